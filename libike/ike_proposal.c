/*
 * ike_proposal.c — strongSwan-style proposal strings <-> struct ike_proposal.
 * The keyword table is data; parsing is a bounded token loop that validates
 * everything before writing the result.  See ike_proposal.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ike_proposal.h"

struct keyword {
	const char *name;
	uint8_t type;		/* enum ike_transform_type */
	uint16_t id;
	uint16_t keylen;	/* bits, 0 = no Key Length attribute */
};

/*
 * strongSwan keywords (proposals.html); the first entry for a given
 * (type, id, keylen) is the canonical spelling ike_proposal_format emits.
 */
static const struct keyword keywords[] = {
	{ "aes128", IKE_TR_ENCR, IKE_ENCR_AES_CBC, 128 },
	{ "aes192", IKE_TR_ENCR, IKE_ENCR_AES_CBC, 192 },
	{ "aes256", IKE_TR_ENCR, IKE_ENCR_AES_CBC, 256 },
	{ "3des", IKE_TR_ENCR, IKE_ENCR_3DES, 0 },
	{ "aes128gcm16", IKE_TR_ENCR, IKE_ENCR_AES_GCM_16, 128 },
	{ "aes128gcm12", IKE_TR_ENCR, IKE_ENCR_AES_GCM_12, 128 },
	{ "aes128gcm8", IKE_TR_ENCR, IKE_ENCR_AES_GCM_8, 128 },
	{ "aes192gcm16", IKE_TR_ENCR, IKE_ENCR_AES_GCM_16, 192 },
	{ "aes192gcm12", IKE_TR_ENCR, IKE_ENCR_AES_GCM_12, 192 },
	{ "aes192gcm8", IKE_TR_ENCR, IKE_ENCR_AES_GCM_8, 192 },
	{ "aes256gcm16", IKE_TR_ENCR, IKE_ENCR_AES_GCM_16, 256 },
	{ "aes256gcm12", IKE_TR_ENCR, IKE_ENCR_AES_GCM_12, 256 },
	{ "aes256gcm8", IKE_TR_ENCR, IKE_ENCR_AES_GCM_8, 256 },
	/* aliases: ICV length in bits, and "gcm" alone = 16-octet ICV */
	{ "aes128gcm128", IKE_TR_ENCR, IKE_ENCR_AES_GCM_16, 128 },
	{ "aes128gcm96", IKE_TR_ENCR, IKE_ENCR_AES_GCM_12, 128 },
	{ "aes128gcm64", IKE_TR_ENCR, IKE_ENCR_AES_GCM_8, 128 },
	{ "aes128gcm", IKE_TR_ENCR, IKE_ENCR_AES_GCM_16, 128 },
	{ "aes192gcm128", IKE_TR_ENCR, IKE_ENCR_AES_GCM_16, 192 },
	{ "aes192gcm96", IKE_TR_ENCR, IKE_ENCR_AES_GCM_12, 192 },
	{ "aes192gcm64", IKE_TR_ENCR, IKE_ENCR_AES_GCM_8, 192 },
	{ "aes192gcm", IKE_TR_ENCR, IKE_ENCR_AES_GCM_16, 192 },
	{ "aes256gcm128", IKE_TR_ENCR, IKE_ENCR_AES_GCM_16, 256 },
	{ "aes256gcm96", IKE_TR_ENCR, IKE_ENCR_AES_GCM_12, 256 },
	{ "aes256gcm64", IKE_TR_ENCR, IKE_ENCR_AES_GCM_8, 256 },
	{ "aes256gcm", IKE_TR_ENCR, IKE_ENCR_AES_GCM_16, 256 },

	{ "sha1", IKE_TR_INTEG, IKE_INTEG_HMAC_SHA1_96, 0 },
	{ "sha256", IKE_TR_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0 },
	{ "sha384", IKE_TR_INTEG, IKE_INTEG_HMAC_SHA2_384_192, 0 },
	{ "sha512", IKE_TR_INTEG, IKE_INTEG_HMAC_SHA2_512_256, 0 },
	{ "aesxcbc", IKE_TR_INTEG, IKE_INTEG_AES_XCBC_96, 0 },

	{ "prfsha1", IKE_TR_PRF, IKE_PRF_HMAC_SHA1, 0 },
	{ "prfsha256", IKE_TR_PRF, IKE_PRF_HMAC_SHA2_256, 0 },
	{ "prfsha384", IKE_TR_PRF, IKE_PRF_HMAC_SHA2_384, 0 },
	{ "prfsha512", IKE_TR_PRF, IKE_PRF_HMAC_SHA2_512, 0 },
	{ "prfaesxcbc", IKE_TR_PRF, IKE_PRF_AES128_XCBC, 0 },
	{ "prfaescmac", IKE_TR_PRF, IKE_PRF_AES128_CMAC, 0 },

	{ "modp1024", IKE_TR_DH, IKE_DH_MODP1024, 0 },
	{ "modp1536", IKE_TR_DH, IKE_DH_MODP1536, 0 },
	{ "modp2048", IKE_TR_DH, IKE_DH_MODP2048, 0 },
	{ "modp3072", IKE_TR_DH, IKE_DH_MODP3072, 0 },
	{ "modp4096", IKE_TR_DH, IKE_DH_MODP4096, 0 },
	{ "ecp256", IKE_TR_DH, IKE_DH_ECP256, 0 },
	{ "ecp384", IKE_TR_DH, IKE_DH_ECP384, 0 },
	{ "ecp521", IKE_TR_DH, IKE_DH_ECP521, 0 },
	{ "x25519", IKE_TR_DH, IKE_DH_CURVE25519, 0 },
	{ "curve25519", IKE_TR_DH, IKE_DH_CURVE25519, 0 },

	{ "esn", IKE_TR_ESN, IKE_ESN_YES, 0 },
	{ "noesn", IKE_TR_ESN, IKE_ESN_NO, 0 },
};

#define N_KEYWORDS (sizeof(keywords) / sizeof(keywords[0]))

/* order of transform kinds in a parsed proposal (RFC 7296 3.3 example order) */
static const uint8_t parse_order[] = {
	IKE_TR_ENCR, IKE_TR_PRF, IKE_TR_INTEG, IKE_TR_DH, IKE_TR_ESN,
};
/* order of kinds in a formatted string (strongSwan's usual spelling) */
static const uint8_t format_order[] = {
	IKE_TR_ENCR, IKE_TR_INTEG, IKE_TR_PRF, IKE_TR_DH, IKE_TR_ESN,
};

/* the PRF strongSwan derives from an integrity algorithm, 0 = none */
static uint16_t implied_prf(uint16_t integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA1_96: return IKE_PRF_HMAC_SHA1;
	case IKE_INTEG_HMAC_SHA2_256_128: return IKE_PRF_HMAC_SHA2_256;
	case IKE_INTEG_HMAC_SHA2_384_192: return IKE_PRF_HMAC_SHA2_384;
	case IKE_INTEG_HMAC_SHA2_512_256: return IKE_PRF_HMAC_SHA2_512;
	case IKE_INTEG_AES_XCBC_96: return IKE_PRF_AES128_XCBC;
	default: return 0;
	}
}

/* combined-mode ciphers (RFC 5282): no separate integrity transform */
static bool encr_is_aead(uint16_t id)
{
	switch (id) {
	case IKE_ENCR_AES_CCM_8: case IKE_ENCR_AES_CCM_12: case IKE_ENCR_AES_CCM_16:
	case IKE_ENCR_AES_GCM_8: case IKE_ENCR_AES_GCM_12: case IKE_ENCR_AES_GCM_16:
	case IKE_ENCR_CHACHA20_POLY1305:
		return true;
	default:
		return false;
	}
}

/* Keyword for exactly len bytes at s (case-insensitive), or NULL. */
static const struct keyword *lookup(const char *s, size_t len)
{
	for (size_t i = 0; i < N_KEYWORDS; i++)
		if (strlen(keywords[i].name) == len &&
		    strncasecmp(keywords[i].name, s, len) == 0)
			return &keywords[i];
	return NULL;
}

/* Canonical keyword of a transform, or NULL. */
static const char *canonical(const struct ike_transform *t)
{
	for (size_t i = 0; i < N_KEYWORDS; i++)
		if (keywords[i].type == t->type && keywords[i].id == t->id &&
		    keywords[i].keylen == t->keylen)
			return keywords[i].name;
	return NULL;
}

/* Printable, bounded copy of a token for error messages. */
static void token_str(char *dst, size_t dstlen, const char *s, size_t len)
{
	size_t o = 0, max = IKE_PROPOSAL_TOKEN_MAX + 1;

	for (size_t i = 0; i < len && i < max && o + 1 < dstlen; i++) {
		unsigned char c = (unsigned char)s[i];

		dst[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (len > max && o + 3 < dstlen) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o < dstlen ? o : dstlen - 1] = '\0';
}

/* Write a message to err (if any) and return -EINVAL. */
__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* What parse collects before validation: transforms per kind, in order. */
struct collect {
	struct ike_transform tr[IKE_MAX_TRANSFORMS];
	size_t n;
	const char *aead_tok, *plain_tok, *integ_tok;	/* for messages */
	size_t aead_len, plain_len, integ_len;
};

/* Number of collected transforms of one kind. */
static size_t count_type(const struct collect *c, uint8_t type)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		n += c->tr[i].type == type;
	return n;
}

/* true when exactly this transform was already collected */
static bool has(const struct collect *c, uint8_t type, uint16_t id, uint16_t keylen)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->tr[i].type == type && c->tr[i].id == id &&
		    c->tr[i].keylen == keylen)
			return true;
	return false;
}

/* Append a transform; false at IKE_MAX_TRANSFORMS. */
static bool add(struct collect *c, uint8_t type, uint16_t id, uint16_t keylen)
{
	if (c->n >= IKE_MAX_TRANSFORMS)
		return false;
	c->tr[c->n].type = type;
	c->tr[c->n].id = id;
	c->tr[c->n].keylen = keylen;
	c->tr[c->n].unknown_attr = false;
	c->n++;
	return true;
}

/* Validate and collect the tokens of s[0..len). */
static int collect_tokens(const char *s, size_t len, uint8_t protocol,
			  struct collect *c, char *err, size_t errlen)
{
	char tok[IKE_PROPOSAL_TOKEN_MAX + 8];
	size_t off = 0;

	if (len == 0)
		return fail(err, errlen, "empty proposal");
	while (off <= len) {
		const char *t = s + off, *dash = memchr(t, '-', len - off);
		size_t tlen = dash ? (size_t)(dash - t) : len - off;
		const struct keyword *k;

		token_str(tok, sizeof(tok), t, tlen);
		if (tlen == 0)
			return fail(err, errlen, "empty algorithm name at offset %zu", off);
		if (tlen > IKE_PROPOSAL_TOKEN_MAX)
			return fail(err, errlen, "algorithm name too long: '%s'", tok);
		k = lookup(t, tlen);
		if (!k)
			return fail(err, errlen, "unknown algorithm '%s'", tok);
		if (protocol == IKE_PROTO_ESP && k->type == IKE_TR_PRF)
			return fail(err, errlen, "'%s': a PRF is not used in an ESP proposal", tok);
		if (protocol == IKE_PROTO_IKE && k->type == IKE_TR_ESN)
			return fail(err, errlen, "'%s': ESN is not used in an IKE proposal", tok);
		if (has(c, k->type, k->id, k->keylen))
			return fail(err, errlen, "duplicate algorithm '%s'", tok);
		if (!add(c, k->type, k->id, k->keylen))
			return fail(err, errlen, "too many algorithms at '%s'", tok);
		if (k->type == IKE_TR_ENCR && encr_is_aead(k->id) && !c->aead_tok) {
			c->aead_tok = t;
			c->aead_len = tlen;
		} else if (k->type == IKE_TR_ENCR && !encr_is_aead(k->id) && !c->plain_tok) {
			c->plain_tok = t;
			c->plain_len = tlen;
		} else if (k->type == IKE_TR_INTEG && !c->integ_tok) {
			c->integ_tok = t;
			c->integ_len = tlen;
		}
		if (!dash)
			break;
		off += tlen + 1;
	}
	return 0;
}

/* Parse one proposal: collect, check the rules, add implied PRF/ESN, store. */
static int parse_n(const char *s, size_t len, uint8_t protocol,
		   struct ike_proposal *p, char *err, size_t errlen)
{
	struct collect c;
	char t1[IKE_PROPOSAL_TOKEN_MAX + 8], t2[IKE_PROPOSAL_TOKEN_MAX + 8];
	int r;

	memset(p, 0, sizeof(*p));
	memset(&c, 0, sizeof(c));
	if (protocol != IKE_PROTO_IKE && protocol != IKE_PROTO_ESP)
		return fail(err, errlen, "unsupported protocol %u", (unsigned int)protocol);
	if (len > IKE_PROPOSAL_MAX_LEN)
		return fail(err, errlen, "proposal longer than %d bytes", IKE_PROPOSAL_MAX_LEN);
	r = collect_tokens(s, len, protocol, &c, err, errlen);
	if (r < 0)
		return r;

	if (c.aead_tok && c.plain_tok) {
		token_str(t1, sizeof(t1), c.plain_tok, c.plain_len);
		token_str(t2, sizeof(t2), c.aead_tok, c.aead_len);
		return fail(err, errlen, "'%s' and AEAD cipher '%s' in one proposal", t1, t2);
	}
	if (c.aead_tok && c.integ_tok) {
		token_str(t1, sizeof(t1), c.integ_tok, c.integ_len);
		token_str(t2, sizeof(t2), c.aead_tok, c.aead_len);
		return fail(err, errlen,
			    "integrity algorithm '%s' cannot be combined with AEAD cipher '%s'",
			    t1, t2);
	}
	if (!count_type(&c, IKE_TR_ENCR))
		return fail(err, errlen, "no encryption algorithm");
	if (!c.aead_tok && !c.integ_tok)
		return fail(err, errlen, "no integrity algorithm");
	if (protocol == IKE_PROTO_IKE) {
		if (!count_type(&c, IKE_TR_PRF)) {
			if (c.aead_tok) {
				token_str(t1, sizeof(t1), c.aead_tok, c.aead_len);
				return fail(err, errlen,
					    "AEAD cipher '%s' needs an explicit PRF (e.g. prfsha256)",
					    t1);
			}
			/* strongSwan: each integrity algorithm implies its PRF */
			for (size_t i = 0, n = c.n; i < n; i++) {
				uint16_t prf;

				if (c.tr[i].type != IKE_TR_INTEG)
					continue;
				prf = implied_prf(c.tr[i].id);
				if (!prf)
					return fail(err, errlen, "no PRF implied by integrity "
						    "algorithm %u; add one", (unsigned int)c.tr[i].id);
				if (!has(&c, IKE_TR_PRF, prf, 0) &&
				    !add(&c, IKE_TR_PRF, prf, 0))
					return fail(err, errlen, "too many algorithms");
			}
		}
		if (!count_type(&c, IKE_TR_DH))
			return fail(err, errlen, "no key exchange (DH) group");
	} else if (!count_type(&c, IKE_TR_ESN)) {
		if (!add(&c, IKE_TR_ESN, IKE_ESN_NO, 0))
			return fail(err, errlen, "too many algorithms");
	}

	p->num = 1;
	p->protocol = protocol;
	for (size_t k = 0; k < sizeof(parse_order); k++)
		for (size_t i = 0; i < c.n; i++)
			if (c.tr[i].type == parse_order[k])
				p->tr[p->n_transforms++] = c.tr[i];
	return 0;
}

/* Parse a NUL-terminated single proposal string. */
int ike_proposal_parse(const char *s, uint8_t protocol, struct ike_proposal *p,
		       char *err, size_t errlen)
{
	size_t len;

	if (err && errlen)
		err[0] = '\0';
	if (!s || !p) {
		if (p)
			memset(p, 0, sizeof(*p));
		return fail(err, errlen, "no proposal");
	}
	len = strnlen(s, IKE_PROPOSAL_MAX_LEN + 1);
	return parse_n(s, len, protocol, p, err, errlen);
}

/* space or tab */
static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Parse "a, b, c": split on commas, trim blanks, parse each. */
int ike_proposal_parse_list(const char *s, uint8_t protocol,
			    struct ike_proposal *p, size_t max,
			    char *err, size_t errlen)
{
	size_t len, off = 0, count = 0;

	if (err && errlen)
		err[0] = '\0';
	if (!s || !p)
		return fail(err, errlen, "no proposal list");
	if (max > IKE_MAX_PROPOSALS)
		max = IKE_MAX_PROPOSALS;
	len = strnlen(s, IKE_PROPOSAL_LIST_MAX_LEN + 1);
	if (len > IKE_PROPOSAL_LIST_MAX_LEN)
		return fail(err, errlen, "proposal list longer than %d bytes",
			    IKE_PROPOSAL_LIST_MAX_LEN);
	while (off <= len) {
		const char *item = s + off, *comma = memchr(item, ',', len - off);
		size_t ilen = comma ? (size_t)(comma - item) : len - off;
		size_t a = 0, b = ilen;
		char sub[256];
		int r;

		while (a < b && blank(item[a]))
			a++;
		while (b > a && blank(item[b - 1]))
			b--;
		if (count >= max) {
			if (err && errlen)
				snprintf(err, errlen, "more than %zu proposals", max);
			return -E2BIG;
		}
		r = parse_n(item + a, b - a, protocol, &p[count], sub, sizeof(sub));
		if (r < 0)
			return fail(err, errlen, "proposal %zu: %s", count + 1, sub);
		p[count].num = (uint8_t)(count + 1);
		count++;
		if (!comma)
			break;
		off += ilen + 1;
	}
	return (int)count;
}

/* Append "-name" (or "name" first) to out; false when it does not fit. */
static bool append(char *out, size_t outlen, size_t *o, const char *name)
{
	size_t n = strlen(name), need = n + (*o ? 1 : 0);

	if (outlen - *o <= need)	/* keep room for the NUL */
		return false;
	if (*o)
		out[(*o)++] = '-';
	memcpy(out + *o, name, n);
	*o += n;
	out[*o] = '\0';
	return true;
}

/* true when the PRFs of p are exactly those its integrity algorithms imply */
static bool prfs_implied(const struct ike_proposal *p)
{
	uint16_t want[IKE_MAX_TRANSFORMS];
	size_t nw = 0, np = 0;

	for (size_t i = 0; i < p->n_transforms && i < IKE_MAX_TRANSFORMS; i++) {
		uint16_t prf;
		bool dup = false;

		if (p->tr[i].type != IKE_TR_INTEG)
			continue;
		prf = implied_prf(p->tr[i].id);
		if (!prf)
			return false;
		for (size_t k = 0; k < nw; k++)
			dup |= want[k] == prf;
		if (!dup)
			want[nw++] = prf;
	}
	if (!nw)
		return false;
	for (size_t i = 0; i < p->n_transforms && i < IKE_MAX_TRANSFORMS; i++) {
		if (p->tr[i].type != IKE_TR_PRF)
			continue;
		if (np >= nw || p->tr[i].id != want[np] || p->tr[i].keylen)
			return false;
		np++;
	}
	return np == nw;
}

/* Canonical string of p, see ike_proposal.h. */
int ike_proposal_format(const struct ike_proposal *p, char *out, size_t outlen)
{
	size_t o = 0, n;
	bool skip_prf, skip_esn;
	size_t n_esn = 0;

	if (!p || !out || !outlen)
		return -EINVAL;
	out[0] = '\0';
	if (p->protocol != IKE_PROTO_IKE && p->protocol != IKE_PROTO_ESP)
		return -EINVAL;
	n = p->n_transforms < IKE_MAX_TRANSFORMS ? p->n_transforms : IKE_MAX_TRANSFORMS;
	for (size_t i = 0; i < n; i++)
		if (p->tr[i].type == IKE_TR_ESN)
			n_esn++;
	skip_prf = p->protocol == IKE_PROTO_IKE && prfs_implied(p);
	skip_esn = false;
	if (p->protocol == IKE_PROTO_ESP && n_esn == 1)
		for (size_t i = 0; i < n; i++)
			if (p->tr[i].type == IKE_TR_ESN)
				skip_esn = p->tr[i].id == IKE_ESN_NO && !p->tr[i].keylen;

	for (size_t k = 0; k < sizeof(format_order); k++) {
		uint8_t type = format_order[k];

		if ((type == IKE_TR_PRF && skip_prf) || (type == IKE_TR_ESN && skip_esn))
			continue;
		for (size_t i = 0; i < n; i++) {
			const char *name;

			if (p->tr[i].type != type)
				continue;
			name = canonical(&p->tr[i]);
			if (!name) {
				out[0] = '\0';
				return -EINVAL;
			}
			if (!append(out, outlen, &o, name)) {
				out[0] = '\0';
				return -EMSGSIZE;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		bool known = false;

		for (size_t k = 0; k < sizeof(format_order); k++)
			known |= p->tr[i].type == format_order[k];
		if (!known) {
			out[0] = '\0';
			return -EINVAL;
		}
	}
	return (int)o;
}
