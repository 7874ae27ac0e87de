/*
 * ike_mschap.c — EAP-MSCHAPv2 primitives (RFC 2759 section 8), MPPE keys
 * (RFC 3079 section 3.4), the IKEv2 MSK and the EAP-MSCHAPv2 packet layer
 * (draft-kamath-pppext-eap-mschapv2).  See ike_mschap.h for the contract.
 *
 * MD4 and DES-ECB come from OpenSSL's legacy provider, loaded into a library
 * context private to struct ike_mschap_ctx; the default context is never
 * touched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/provider.h>
#include <sodium.h>

#include "ike_mschap.h"

struct ike_mschap_ctx {
	OSSL_LIB_CTX *libctx;
	OSSL_PROVIDER *legacy;
	OSSL_PROVIDER *deflt;
	EVP_MD *md4;
	EVP_MD *sha1;
	EVP_CIPHER *des;
};

/* RFC 2759 8.7 Magic1 / Magic2 */
static const char auth_magic1[] = "Magic server to client signing constant";
static const char auth_magic2[] = "Pad to make it do more than one iteration";
/* RFC 3079 3.4 Magic1 / Magic2 / Magic3 */
static const char mppe_magic1[] = "This is the MPPE Master Key";
static const char mppe_magic2[] =
	"On the client side, this is the send key; "
	"on the server side, it is the receive key.";
static const char mppe_magic3[] =
	"On the client side, this is the receive key; "
	"on the server side, it is the send key.";

#define SHS_PAD_LEN 40
#define SHA1_LEN 20
#define EAP_HDR_LEN 4
#define MSCHAP_HDR_LEN 9	/* EAP header + Type + OpCode + ID + MS-Length */

/* ---- context ------------------------------------------------------------- */

/* Create the private library context and fetch MD4, SHA-1 and DES-ECB. */
int ike_mschap_ctx_new(struct ike_mschap_ctx **out)
{
	struct ike_mschap_ctx *c;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->libctx = OSSL_LIB_CTX_new();
	if (!c->libctx) {
		free(c);
		return -ENOMEM;
	}
	c->legacy = OSSL_PROVIDER_load(c->libctx, "legacy");
	c->deflt = OSSL_PROVIDER_load(c->libctx, "default");
	if (c->legacy && c->deflt) {
		c->md4 = EVP_MD_fetch(c->libctx, "MD4", NULL);
		c->sha1 = EVP_MD_fetch(c->libctx, "SHA1", NULL);
		c->des = EVP_CIPHER_fetch(c->libctx, "DES-ECB", NULL);
	}
	if (!c->md4 || !c->sha1 || !c->des) {
		ike_mschap_ctx_free(c);
		return -ENOTSUP;
	}
	*out = c;
	return 0;
}

/* Release the algorithms, providers and library context. */
void ike_mschap_ctx_free(struct ike_mschap_ctx *c)
{
	if (!c)
		return;
	EVP_MD_free(c->md4);
	EVP_MD_free(c->sha1);
	EVP_CIPHER_free(c->des);
	if (c->legacy)
		OSSL_PROVIDER_unload(c->legacy);
	if (c->deflt)
		OSSL_PROVIDER_unload(c->deflt);
	OSSL_LIB_CTX_free(c->libctx);
	free(c);
}

/* ---- hashing helpers -------------------------------------------------------- */

struct part {
	const void *p;
	size_t n;
};

/* out = md(parts[0] | parts[1] | ...); out must hold the digest size. */
static int digest(const EVP_MD *md, const struct part *parts, size_t n,
		  uint8_t *out)
{
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	int ok;

	if (!mc)
		return -ENOMEM;
	ok = EVP_DigestInit_ex2(mc, md, NULL);
	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(mc, parts[i].p, parts[i].n);
	if (ok)
		ok = EVP_DigestFinal_ex(mc, out, NULL);
	EVP_MD_CTX_free(mc);
	return ok ? 0 : -EINVAL;
}

/* true for a 16-byte key (NT hash, hash hash, master key) */
static bool is_hash_key(const struct ike_key *k)
{
	return k && k->ptr && k->len == MSCHAP_HASH_LEN;
}

/*
 * Decode one UTF-8 sequence at s[*i .. len); advance *i.  Returns the code
 * point or -1 for invalid input (truncated, overlong, surrogate, > U+10FFFF).
 */
static long utf8_next(const uint8_t *s, size_t len, size_t *i)
{
	uint8_t c = s[*i];
	size_t need;
	long cp, min;

	if (c < 0x80) {
		*i += 1;
		return c;
	} else if ((c & 0xe0) == 0xc0) {
		need = 1, cp = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		need = 2, cp = c & 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		need = 3, cp = c & 0x07, min = 0x10000;
	} else {
		return -1;
	}
	if (len - *i - 1 < need)
		return -1;
	for (size_t k = 1; k <= need; k++) {
		uint8_t cc = s[*i + k];

		if ((cc & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (cc & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += need + 1;
	return cp;
}

/* ---- RFC 2759 section 8 ---------------------------------------------------- */

/* NtPasswordHash (8.3): MD4 over the UTF-16LE form of a UTF-8 password. */
int ike_mschap_nt_password_hash(const struct ike_mschap_ctx *ctx,
				const char *pw, size_t pw_len, struct ike_key *out)
{
	const uint8_t *s = (const uint8_t *)pw;
	struct ike_key u16 = { NULL, 0 };
	size_t i = 0, units = 0;
	struct part part;
	int r;

	out->ptr = NULL;
	out->len = 0;
	if (!ctx || (!pw && pw_len))
		return -EINVAL;
	if (pw_len > MSCHAP_MAX_PASSWORD_BYTES)
		return -E2BIG;
	/* each UTF-8 byte yields at most one UTF-16 unit (4 bytes -> 2 units) */
	r = ike_key_alloc(&u16, pw_len * 2);
	if (r < 0)
		return r;
	while (i < pw_len) {
		long cp = utf8_next(s, pw_len, &i);
		uint16_t w[2];
		size_t nw;

		if (cp <= 0) {	/* invalid, or NUL inside the password */
			r = -EINVAL;
			goto out;
		}
		if (cp >= 0x10000) {
			w[0] = (uint16_t)(0xd800 + ((cp - 0x10000) >> 10));
			w[1] = (uint16_t)(0xdc00 + ((cp - 0x10000) & 0x3ff));
			nw = 2;
		} else {
			w[0] = (uint16_t)cp;
			nw = 1;
		}
		if (units + nw > MSCHAP_MAX_PASSWORD_UNITS) {
			r = -E2BIG;
			goto out;
		}
		for (size_t k = 0; k < nw; k++, units++) {
			u16.ptr[2 * units] = (uint8_t)w[k];
			u16.ptr[2 * units + 1] = (uint8_t)(w[k] >> 8);
		}
	}
	r = ike_key_alloc(out, MSCHAP_HASH_LEN);
	if (r < 0)
		goto out;
	part.p = u16.ptr;
	part.n = units * 2;
	r = digest(ctx->md4, &part, 1, out->ptr);
	if (r < 0)
		ike_key_free(out);
out:
	ike_key_free(&u16);
	return r;
}

/* HashNtPasswordHash (8.4): MD4 of the 16-octet NT hash. */
int ike_mschap_hash_nt_password_hash(const struct ike_mschap_ctx *ctx,
				     const struct ike_key *nt_hash,
				     struct ike_key *out)
{
	struct part part;
	int r;

	out->ptr = NULL;
	out->len = 0;
	if (!ctx || !is_hash_key(nt_hash))
		return -EINVAL;
	r = ike_key_alloc(out, MSCHAP_HASH_LEN);
	if (r < 0)
		return r;
	part.p = nt_hash->ptr;
	part.n = MSCHAP_HASH_LEN;
	r = digest(ctx->md4, &part, 1, out->ptr);
	if (r < 0)
		ike_key_free(out);
	return r;
}

/* The name after the first backslash, or all of it (RFC 2759 section 4). */
struct ike_chunk ike_mschap_strip_domain(const uint8_t *name, size_t len)
{
	struct ike_chunk c = { name, len };
	const uint8_t *bs = len ? memchr(name, '\\', len) : NULL;

	if (bs) {
		c.ptr = bs + 1;
		c.len = len - (size_t)(bs + 1 - name);
	}
	return c;
}

/* ChallengeHash (8.2): SHA-1(PeerChallenge | AuthenticatorChallenge | user)[0..8). */
int ike_mschap_challenge_hash(const struct ike_mschap_ctx *ctx,
			      const uint8_t peer_challenge[MSCHAP_CHALLENGE_LEN],
			      const uint8_t auth_challenge[MSCHAP_CHALLENGE_LEN],
			      const uint8_t *user, size_t user_len,
			      uint8_t out[MSCHAP_CHALLENGE_HASH_LEN])
{
	struct part parts[3] = {
		{ peer_challenge, MSCHAP_CHALLENGE_LEN },
		{ auth_challenge, MSCHAP_CHALLENGE_LEN },
		{ user, user_len },
	};
	uint8_t d[SHA1_LEN];
	int r;

	if (!ctx || (!user && user_len))
		return -EINVAL;
	if (user_len > MSCHAP_MAX_NAME_LEN)
		return -E2BIG;
	r = digest(ctx->sha1, parts, user_len ? 3 : 2, d);
	if (r == 0)
		memcpy(out, d, MSCHAP_CHALLENGE_HASH_LEN);
	sodium_memzero(d, sizeof(d));
	return r;
}

/* Spread 56 key bits over 8 octets (7 bits each, MSB first), odd parity LSB. */
void ike_mschap_des_key(const uint8_t in[7], uint8_t out[8])
{
	out[0] = in[0];
	for (int i = 1; i < 7; i++)
		out[i] = (uint8_t)(in[i - 1] << (8 - i) | in[i] >> i);
	out[7] = (uint8_t)(in[6] << 1);
	for (int i = 0; i < 8; i++) {
		uint8_t v = out[i] & 0xfe, p = v;

		p ^= p >> 4;
		p ^= p >> 2;
		p ^= p >> 1;
		/* p & 1 is the parity of the seven key bits; make the total odd */
		out[i] = (uint8_t)(v | ((p & 1) ^ 1));
	}
}

/* DesEncrypt (8.6): one block of DES-ECB under a 7-octet key. */
static int des_encrypt(const struct ike_mschap_ctx *ctx, const uint8_t clear[8],
		       const uint8_t key7[7], uint8_t cypher[8])
{
	EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
	uint8_t key[8];
	int outl = 0, ok;

	if (!cc)
		return -ENOMEM;
	ike_mschap_des_key(key7, key);
	ok = EVP_EncryptInit_ex2(cc, ctx->des, key, NULL, NULL) &&
	     EVP_CIPHER_CTX_set_padding(cc, 0) &&
	     EVP_EncryptUpdate(cc, cypher, &outl, clear, 8) && outl == 8;
	sodium_memzero(key, sizeof(key));
	EVP_CIPHER_CTX_free(cc);
	return ok ? 0 : -EINVAL;
}

/* ChallengeResponse (8.5): three DES encryptions under the padded NT hash. */
int ike_mschap_challenge_response(const struct ike_mschap_ctx *ctx,
				  const uint8_t challenge[MSCHAP_CHALLENGE_HASH_LEN],
				  const struct ike_key *nt_hash,
				  uint8_t out[MSCHAP_NT_RESPONSE_LEN])
{
	uint8_t z[21];
	int r = 0;

	if (!ctx || !is_hash_key(nt_hash))
		return -EINVAL;
	memset(z, 0, sizeof(z));
	memcpy(z, nt_hash->ptr, MSCHAP_HASH_LEN);
	for (int i = 0; i < 3 && r == 0; i++)
		r = des_encrypt(ctx, challenge, z + 7 * i, out + 8 * i);
	sodium_memzero(z, sizeof(z));
	return r;
}

/* GenerateNTResponse (8.1) with the NT hash in place of the password. */
int ike_mschap_generate_nt_response(const struct ike_mschap_ctx *ctx,
				    const uint8_t auth_challenge[MSCHAP_CHALLENGE_LEN],
				    const uint8_t peer_challenge[MSCHAP_CHALLENGE_LEN],
				    const uint8_t *user, size_t user_len,
				    const struct ike_key *nt_hash,
				    uint8_t out[MSCHAP_NT_RESPONSE_LEN])
{
	uint8_t ch[MSCHAP_CHALLENGE_HASH_LEN];
	int r;

	r = ike_mschap_challenge_hash(ctx, peer_challenge, auth_challenge,
				      user, user_len, ch);
	if (r == 0)
		r = ike_mschap_challenge_response(ctx, ch, nt_hash, out);
	return r;
}

/* The 20-octet digest behind the authenticator response (8.7). */
static int auth_digest(const struct ike_mschap_ctx *ctx,
		       const struct ike_key *nt_hash,
		       const uint8_t nt_response[MSCHAP_NT_RESPONSE_LEN],
		       const uint8_t peer_challenge[MSCHAP_CHALLENGE_LEN],
		       const uint8_t auth_challenge[MSCHAP_CHALLENGE_LEN],
		       const uint8_t *user, size_t user_len,
		       uint8_t out[SHA1_LEN])
{
	struct ike_key hh = { NULL, 0 };
	uint8_t d[SHA1_LEN], ch[MSCHAP_CHALLENGE_HASH_LEN];
	int r;

	r = ike_mschap_hash_nt_password_hash(ctx, nt_hash, &hh);
	if (r < 0)
		return r;
	{
		struct part p1[3] = {
			{ hh.ptr, MSCHAP_HASH_LEN },
			{ nt_response, MSCHAP_NT_RESPONSE_LEN },
			{ auth_magic1, sizeof(auth_magic1) - 1 },
		};
		r = digest(ctx->sha1, p1, 3, d);
	}
	if (r == 0)
		r = ike_mschap_challenge_hash(ctx, peer_challenge, auth_challenge,
					      user, user_len, ch);
	if (r == 0) {
		struct part p2[3] = {
			{ d, SHA1_LEN },
			{ ch, MSCHAP_CHALLENGE_HASH_LEN },
			{ auth_magic2, sizeof(auth_magic2) - 1 },
		};
		r = digest(ctx->sha1, p2, 3, out);
	}
	sodium_memzero(d, sizeof(d));
	ike_key_free(&hh);
	return r;
}

/* GenerateAuthenticatorResponse (8.7): "S=" + 40 uppercase hex digits. */
int ike_mschap_generate_authenticator_response(
	const struct ike_mschap_ctx *ctx, const struct ike_key *nt_hash,
	const uint8_t nt_response[MSCHAP_NT_RESPONSE_LEN],
	const uint8_t peer_challenge[MSCHAP_CHALLENGE_LEN],
	const uint8_t auth_challenge[MSCHAP_CHALLENGE_LEN],
	const uint8_t *user, size_t user_len,
	char out[MSCHAP_AUTH_RESPONSE_LEN + 1])
{
	static const char hex[] = "0123456789ABCDEF";
	uint8_t d[SHA1_LEN];
	int r;

	r = auth_digest(ctx, nt_hash, nt_response, peer_challenge,
			auth_challenge, user, user_len, d);
	if (r < 0)
		return r;
	out[0] = 'S';
	out[1] = '=';
	for (size_t i = 0; i < SHA1_LEN; i++) {
		out[2 + 2 * i] = hex[d[i] >> 4];
		out[3 + 2 * i] = hex[d[i] & 15];
	}
	out[MSCHAP_AUTH_RESPONSE_LEN] = '\0';
	sodium_memzero(d, sizeof(d));
	return 0;
}

/* Server check of the peer's NT-Response, constant-time compare. */
int ike_mschap_verify_nt_response(const struct ike_mschap_ctx *ctx,
				  const struct ike_key *nt_hash,
				  const uint8_t auth_challenge[MSCHAP_CHALLENGE_LEN],
				  const uint8_t peer_challenge[MSCHAP_CHALLENGE_LEN],
				  const uint8_t *user, size_t user_len,
				  const uint8_t received[MSCHAP_NT_RESPONSE_LEN])
{
	uint8_t want[MSCHAP_NT_RESPONSE_LEN];
	int r;

	r = ike_mschap_generate_nt_response(ctx, auth_challenge, peer_challenge,
					    user, user_len, nt_hash, want);
	if (r == 0 && sodium_memcmp(want, received, sizeof(want)) != 0)
		r = -EACCES;
	sodium_memzero(want, sizeof(want));
	return r;
}

/* Peer check of "S=<40 hex>" (hex digits compared case-insensitively). */
int ike_mschap_check_authenticator_response(
	const struct ike_mschap_ctx *ctx, const struct ike_key *nt_hash,
	const uint8_t nt_response[MSCHAP_NT_RESPONSE_LEN],
	const uint8_t peer_challenge[MSCHAP_CHALLENGE_LEN],
	const uint8_t auth_challenge[MSCHAP_CHALLENGE_LEN],
	const uint8_t *user, size_t user_len,
	const uint8_t *received, size_t received_len)
{
	char want[MSCHAP_AUTH_RESPONSE_LEN + 1];
	uint8_t got[MSCHAP_AUTH_RESPONSE_LEN];
	int r;

	if (!received || received_len != MSCHAP_AUTH_RESPONSE_LEN)
		return -EACCES;
	r = ike_mschap_generate_authenticator_response(ctx, nt_hash, nt_response,
						       peer_challenge, auth_challenge,
						       user, user_len, want);
	if (r < 0)
		return r;
	for (size_t i = 0; i < MSCHAP_AUTH_RESPONSE_LEN; i++) {
		uint8_t c = received[i];

		got[i] = (c >= 'a' && c <= 'f') ? (uint8_t)(c - 32) : c;
	}
	if (sodium_memcmp(got, want, MSCHAP_AUTH_RESPONSE_LEN) != 0)
		r = -EACCES;
	sodium_memzero(want, sizeof(want));
	return r;
}

/* ---- RFC 3079 section 3.4 ---------------------------------------------------- */

/* GetMasterKey: SHA-1(PasswordHashHash | NTResponse | Magic1)[0..16). */
int ike_mschap_master_key(const struct ike_mschap_ctx *ctx,
			  const struct ike_key *nt_hash_hash,
			  const uint8_t nt_response[MSCHAP_NT_RESPONSE_LEN],
			  struct ike_key *out)
{
	uint8_t d[SHA1_LEN];
	int r;

	out->ptr = NULL;
	out->len = 0;
	if (!ctx || !is_hash_key(nt_hash_hash))
		return -EINVAL;
	{
		struct part p[3] = {
			{ nt_hash_hash->ptr, MSCHAP_HASH_LEN },
			{ nt_response, MSCHAP_NT_RESPONSE_LEN },
			{ mppe_magic1, sizeof(mppe_magic1) - 1 },
		};
		r = digest(ctx->sha1, p, 3, d);
	}
	if (r == 0)
		r = ike_key_dup(out, d, MSCHAP_HASH_LEN);
	sodium_memzero(d, sizeof(d));
	return r;
}

/* GetAsymmetricStartKey: SHA-1(Master | pad1 | Magic2/3 | pad2)[0..key_len). */
int ike_mschap_asymmetric_start_key(const struct ike_mschap_ctx *ctx,
				    const struct ike_key *master, size_t key_len,
				    bool is_send, bool is_server,
				    struct ike_key *out)
{
	static const uint8_t pad1[SHS_PAD_LEN] = { 0 };
	uint8_t pad2[SHS_PAD_LEN], d[SHA1_LEN];
	const char *magic = is_send == is_server ? mppe_magic3 : mppe_magic2;
	int r;

	out->ptr = NULL;
	out->len = 0;
	if (!ctx || !is_hash_key(master) || (key_len != 8 && key_len != 16))
		return -EINVAL;
	memset(pad2, 0xf2, sizeof(pad2));
	{
		struct part p[4] = {
			{ master->ptr, MSCHAP_HASH_LEN },
			{ pad1, SHS_PAD_LEN },
			{ magic, sizeof(mppe_magic2) - 1 },
			{ pad2, SHS_PAD_LEN },
		};
		r = digest(ctx->sha1, p, 4, d);
	}
	if (r == 0)
		r = ike_key_dup(out, d, key_len);
	sodium_memzero(d, sizeof(d));
	return r;
}

/* MSK = MasterReceiveKey | MasterSendKey | 32 zero octets (server view). */
int ike_mschap_msk(const struct ike_mschap_ctx *ctx,
		   const struct ike_key *nt_hash,
		   const uint8_t nt_response[MSCHAP_NT_RESPONSE_LEN],
		   struct ike_key *out)
{
	struct ike_key hh = { NULL, 0 }, mk = { NULL, 0 };
	struct ike_key recv = { NULL, 0 }, send = { NULL, 0 };
	int r;

	out->ptr = NULL;
	out->len = 0;
	r = ike_mschap_hash_nt_password_hash(ctx, nt_hash, &hh);
	if (r == 0)
		r = ike_mschap_master_key(ctx, &hh, nt_response, &mk);
	if (r == 0)
		r = ike_mschap_asymmetric_start_key(ctx, &mk, 16, false, true, &recv);
	if (r == 0)
		r = ike_mschap_asymmetric_start_key(ctx, &mk, 16, true, true, &send);
	if (r == 0)
		r = ike_key_alloc(out, MSCHAP_MSK_LEN);	/* zero-filled */
	if (r == 0) {
		memcpy(out->ptr, recv.ptr, 16);
		memcpy(out->ptr + 16, send.ptr, 16);
	}
	ike_key_free(&hh);
	ike_key_free(&mk);
	ike_key_free(&recv);
	ike_key_free(&send);
	return r;
}

/* ---- packet helpers ------------------------------------------------------------ */

/* true when s[0..n) is printable ASCII (0x20..0x7e) */
static bool printable(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

/* a name from the wire: no control characters (UTF-8 bytes >= 0x80 pass) */
static bool name_ok(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* Append the 9-octet header; Length and MS-Length are patched by finish(). */
static size_t start_pkt(struct ike_buf *b, uint8_t code, uint8_t id,
			uint8_t opcode, uint8_t ms_id)
{
	size_t start = b->len;

	ike_buf_put_u8(b, code);
	ike_buf_put_u8(b, id);
	ike_buf_put_u16(b, 0);
	ike_buf_put_u8(b, EAP_TYPE_MSCHAPV2);
	ike_buf_put_u8(b, opcode);
	ike_buf_put_u8(b, ms_id);
	ike_buf_put_u16(b, 0);
	return start;
}

/* Patch Length and MS-Length (= Length - 5) of the packet at start. */
static int finish_pkt(struct ike_buf *b, size_t start)
{
	size_t n;

	if (ike_buf_error(b))
		return ike_buf_error(b);
	n = b->len - start;
	if (n > 0xffff)
		return -EMSGSIZE;
	ike_buf_set_u16(b, start + 2, (uint16_t)n);
	ike_buf_set_u16(b, start + 7, (uint16_t)(n - 5));
	return 0;
}

/* Append n bytes as uppercase hex digits. */
static void put_hex(struct ike_buf *b, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		ike_buf_put_u8(b, (uint8_t)hex[p[i] >> 4]);
		ike_buf_put_u8(b, (uint8_t)hex[p[i] & 15]);
	}
}

/* Value of one hex digit (either case), or -1. */
static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Validate the common 9-octet header of a packet with a Value/Message:
 * Code, Type 26, OpCode, Length == len, MS-Length == Length - 5.
 */
static int check_hdr(const uint8_t *buf, size_t len, uint8_t code,
		     uint8_t opcode)
{
	if (!buf || len < MSCHAP_HDR_LEN)
		return -EBADMSG;
	if (buf[0] != code || buf[4] != EAP_TYPE_MSCHAPV2 || buf[5] != opcode)
		return -EBADMSG;
	if (ike_get_u16(buf + 2) != len)
		return -EBADMSG;
	if (ike_get_u16(buf + 7) != len - 5)
		return -EBADMSG;
	return 0;
}

/* ---- server side ---------------------------------------------------------------- */

/* EAP-Request/Challenge: Value-Size 16 | challenge | server name. */
int ike_mschap_build_challenge(struct ike_buf *b, uint8_t eap_id, uint8_t ms_id,
			       const uint8_t challenge[MSCHAP_CHALLENGE_LEN],
			       const char *server_name)
{
	size_t nlen = server_name ? strnlen(server_name, MSCHAP_MAX_NAME_LEN + 1) : 0;
	size_t start;

	if (ike_buf_error(b))
		return ike_buf_error(b);
	if (nlen > MSCHAP_MAX_NAME_LEN)
		return -E2BIG;
	if (!printable((const uint8_t *)server_name, nlen))
		return -EINVAL;
	start = start_pkt(b, EAP_REQUEST, eap_id, MSCHAP_OP_CHALLENGE, ms_id);
	ike_buf_put_u8(b, MSCHAP_CHALLENGE_LEN);
	ike_buf_put(b, challenge, MSCHAP_CHALLENGE_LEN);
	ike_buf_put(b, server_name, nlen);
	return finish_pkt(b, start);
}

/* Parse EAP-Response/Response: validate every length, then copy fields. */
int ike_mschap_parse_response(const uint8_t *buf, size_t len,
			      struct ike_mschap_response *r)
{
	static const uint8_t zero[8] = { 0 };
	size_t off = MSCHAP_HDR_LEN, name_len;
	int e;

	memset(r, 0, sizeof(*r));
	e = check_hdr(buf, len, EAP_RESPONSE, MSCHAP_OP_RESPONSE);
	if (e < 0)
		return e;
	if (len - off < 1 + MSCHAP_RESPONSE_VALUE_LEN)
		return -EBADMSG;
	if (buf[off] != MSCHAP_RESPONSE_VALUE_LEN)
		return -EBADMSG;
	off += 1;
	/* Reserved (8 octets) MUST be zero and Flags MUST be zero (RFC 2759 4) */
	if (memcmp(buf + off + MSCHAP_CHALLENGE_LEN, zero, sizeof(zero)) != 0 ||
	    buf[off + MSCHAP_RESPONSE_VALUE_LEN - 1] != 0)
		return -EBADMSG;
	name_len = len - off - MSCHAP_RESPONSE_VALUE_LEN;
	if (name_len > MSCHAP_MAX_NAME_LEN)
		return -E2BIG;
	if (!name_ok(buf + off + MSCHAP_RESPONSE_VALUE_LEN, name_len))
		return -EBADMSG;

	r->eap_id = buf[1];
	r->ms_id = buf[6];
	memcpy(r->peer_challenge, buf + off, MSCHAP_CHALLENGE_LEN);
	memcpy(r->nt_response, buf + off + MSCHAP_CHALLENGE_LEN + 8,
	       MSCHAP_NT_RESPONSE_LEN);
	r->flags = buf[off + MSCHAP_RESPONSE_VALUE_LEN - 1];
	r->name.ptr = buf + off + MSCHAP_RESPONSE_VALUE_LEN;
	r->name.len = name_len;
	return 0;
}

/* length of an optional printable message, or -errno */
static long msg_len(const char *msg)
{
	size_t n;

	if (!msg)
		return 0;
	n = strnlen(msg, MSCHAP_MAX_MESSAGE_LEN + 1);
	if (n > MSCHAP_MAX_MESSAGE_LEN)
		return -E2BIG;
	if (!printable((const uint8_t *)msg, n))
		return -EINVAL;
	return (long)n;
}

/* EAP-Request/Success: "S=<auth> M=<msg>". */
int ike_mschap_build_success(struct ike_buf *b, uint8_t eap_id, uint8_t ms_id,
			     const char *auth_response,
			     const char *msg)
{
	long ml = msg_len(msg);
	size_t start;

	if (ike_buf_error(b))
		return ike_buf_error(b);
	if (ml < 0)
		return (int)ml;
	if (!auth_response || auth_response[0] != 'S' || auth_response[1] != '=' ||
	    strnlen(auth_response, MSCHAP_AUTH_RESPONSE_LEN + 1) != MSCHAP_AUTH_RESPONSE_LEN)
		return -EINVAL;
	for (size_t i = 2; i < MSCHAP_AUTH_RESPONSE_LEN; i++)
		if (hexval((uint8_t)auth_response[i]) < 0)
			return -EINVAL;
	start = start_pkt(b, EAP_REQUEST, eap_id, MSCHAP_OP_SUCCESS, ms_id);
	ike_buf_put(b, auth_response, MSCHAP_AUTH_RESPONSE_LEN);
	if (msg) {
		ike_buf_put(b, " M=", 3);
		ike_buf_put(b, msg, (size_t)ml);
	}
	return finish_pkt(b, start);
}

/* EAP-Request/Failure: "E=<e> R=<r> C=<hex> V=3 M=<msg>". */
int ike_mschap_build_failure(struct ike_buf *b, uint8_t eap_id, uint8_t ms_id,
			     unsigned int error, bool retry,
			     const uint8_t challenge[MSCHAP_CHALLENGE_LEN],
			     const char *msg)
{
	long ml = msg_len(msg);
	char head[32];
	size_t start;
	int n;

	if (ike_buf_error(b))
		return ike_buf_error(b);
	if (ml < 0)
		return (int)ml;
	if (!challenge)
		return -EINVAL;
	n = snprintf(head, sizeof(head), "E=%u R=%d C=", error, retry ? 1 : 0);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -EINVAL;
	start = start_pkt(b, EAP_REQUEST, eap_id, MSCHAP_OP_FAILURE, ms_id);
	ike_buf_put(b, head, (size_t)n);
	put_hex(b, challenge, MSCHAP_CHALLENGE_LEN);
	ike_buf_put(b, " V=3", 4);
	if (msg) {
		ike_buf_put(b, " M=", 3);
		ike_buf_put(b, msg, (size_t)ml);
	}
	return finish_pkt(b, start);
}

/* The peer's 6-octet EAP-Response/Success or /Failure. */
int ike_mschap_parse_ack(const uint8_t *buf, size_t len, uint8_t *eap_id,
			 uint8_t *opcode)
{
	if (!buf || len != 6 || buf[0] != EAP_RESPONSE ||
	    ike_get_u16(buf + 2) != 6 || buf[4] != EAP_TYPE_MSCHAPV2)
		return -EBADMSG;
	if (buf[5] != MSCHAP_OP_SUCCESS && buf[5] != MSCHAP_OP_FAILURE)
		return -EBADMSG;
	*eap_id = buf[1];
	*opcode = buf[5];
	return 0;
}

/* ---- peer side ---------------------------------------------------------------- */

/* Parse EAP-Request/Challenge (Value-Size 16, then the authenticator name). */
int ike_mschap_parse_challenge(const uint8_t *buf, size_t len,
			       struct ike_mschap_challenge *c)
{
	size_t off = MSCHAP_HDR_LEN, name_len;
	int e;

	memset(c, 0, sizeof(*c));
	e = check_hdr(buf, len, EAP_REQUEST, MSCHAP_OP_CHALLENGE);
	if (e < 0)
		return e;
	if (len - off < 1 + MSCHAP_CHALLENGE_LEN || buf[off] != MSCHAP_CHALLENGE_LEN)
		return -EBADMSG;
	off += 1;
	name_len = len - off - MSCHAP_CHALLENGE_LEN;
	if (name_len > MSCHAP_MAX_NAME_LEN)
		return -E2BIG;
	if (!name_ok(buf + off + MSCHAP_CHALLENGE_LEN, name_len))
		return -EBADMSG;
	c->eap_id = buf[1];
	c->ms_id = buf[6];
	memcpy(c->challenge, buf + off, MSCHAP_CHALLENGE_LEN);
	c->name.ptr = buf + off + MSCHAP_CHALLENGE_LEN;
	c->name.len = name_len;
	return 0;
}

/* EAP-Response/Response: Value-Size 49 | PeerChallenge | 0*8 | NT | 0 | name. */
int ike_mschap_build_response(struct ike_buf *b, uint8_t eap_id, uint8_t ms_id,
			      const uint8_t peer_challenge[MSCHAP_CHALLENGE_LEN],
			      const uint8_t nt_response[MSCHAP_NT_RESPONSE_LEN],
			      const uint8_t *name, size_t name_len)
{
	size_t start;

	if (ike_buf_error(b))
		return ike_buf_error(b);
	if (name_len > MSCHAP_MAX_NAME_LEN)
		return -E2BIG;
	if ((!name && name_len) || !name_ok(name, name_len))
		return -EINVAL;
	start = start_pkt(b, EAP_RESPONSE, eap_id, MSCHAP_OP_RESPONSE, ms_id);
	ike_buf_put_u8(b, MSCHAP_RESPONSE_VALUE_LEN);
	ike_buf_put(b, peer_challenge, MSCHAP_CHALLENGE_LEN);
	ike_buf_put_zero(b, 8);
	ike_buf_put(b, nt_response, MSCHAP_NT_RESPONSE_LEN);
	ike_buf_put_u8(b, 0);
	ike_buf_put(b, name, name_len);
	return finish_pkt(b, start);
}

/* Parse an unsigned decimal of 1..10 digits at s[*i..n) into *v. */
static int parse_dec(const uint8_t *s, size_t n, size_t *i, unsigned int *v)
{
	unsigned long long acc = 0;
	size_t digits = 0;

	while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
		if (++digits > 10)
			return -EBADMSG;
		acc = acc * 10 + (unsigned)(s[*i] - '0');
		(*i)++;
	}
	if (!digits || acc > 0xffffffffULL)
		return -EBADMSG;
	*v = (unsigned int)acc;
	return 0;
}

/*
 * Failure message fields "E=.. R=.. C=.. V=.. M=.." (RFC 2759 6).  Tokens are
 * separated by single spaces; M= takes the rest of the message.  E= is
 * required; unknown keys are skipped to their end.
 */
static int parse_failure_msg(const uint8_t *s, size_t n,
			     struct ike_mschap_result *res)
{
	bool have_e = false;
	size_t i = 0;

	while (i < n) {
		uint8_t key;
		unsigned int v;

		if (n - i < 2 || s[i + 1] != '=')
			return -EBADMSG;
		key = s[i];
		i += 2;
		if (key == 'M') {
			res->message.ptr = s + i;
			res->message.len = n - i;
			return have_e ? 0 : -EBADMSG;
		}
		if (key == 'E' || key == 'R' || key == 'V') {
			if (parse_dec(s, n, &i, &v) < 0)
				return -EBADMSG;
			if (key == 'E') {
				res->error = v;
				have_e = true;
			} else if (key == 'R') {
				if (v > 1)
					return -EBADMSG;
				res->retry = v == 1;
			}
		} else if (key == 'C') {
			if (n - i < 2 * MSCHAP_CHALLENGE_LEN)
				return -EBADMSG;
			for (size_t k = 0; k < MSCHAP_CHALLENGE_LEN; k++) {
				int hi = hexval(s[i + 2 * k]), lo = hexval(s[i + 2 * k + 1]);

				if (hi < 0 || lo < 0)
					return -EBADMSG;
				res->challenge[k] = (uint8_t)(hi << 4 | lo);
			}
			res->has_challenge = true;
			i += 2 * MSCHAP_CHALLENGE_LEN;
		} else {
			while (i < n && s[i] != ' ')
				i++;
		}
		if (i < n) {
			if (s[i] != ' ')
				return -EBADMSG;
			i++;
			if (i == n)
				return -EBADMSG;	/* trailing space */
		}
	}
	return have_e ? 0 : -EBADMSG;
}

/* Parse EAP-Request/Success ("S=<40 hex>[ M=<msg>]") or /Failure. */
int ike_mschap_parse_result(const uint8_t *buf, size_t len,
			    struct ike_mschap_result *res)
{
	const uint8_t *m;
	size_t n;
	int e;

	memset(res, 0, sizeof(*res));
	if (!buf || len < MSCHAP_HDR_LEN)
		return -EBADMSG;
	e = check_hdr(buf, len, EAP_REQUEST, buf[5]);
	if (e < 0)
		return e;
	if (buf[5] != MSCHAP_OP_SUCCESS && buf[5] != MSCHAP_OP_FAILURE)
		return -EBADMSG;
	m = buf + MSCHAP_HDR_LEN;
	n = len - MSCHAP_HDR_LEN;
	if (n > MSCHAP_AUTH_RESPONSE_LEN + 3 + MSCHAP_MAX_MESSAGE_LEN + 64)
		return -E2BIG;
	/* strongSwan's server includes the C string's terminating NUL in the
	 * Success and Failure messages (sizeof of a literal): tolerate
	 * trailing NULs, they carry no text */
	while (n > 0 && m[n - 1] == 0)
		n--;
	if (!name_ok(m, n))	/* M= text may be in any charset (RFC 2759 5) */
		return -EBADMSG;
	res->eap_id = buf[1];
	res->ms_id = buf[6];
	res->opcode = buf[5];
	if (res->opcode == MSCHAP_OP_FAILURE)
		return parse_failure_msg(m, n, res);

	if (n < MSCHAP_AUTH_RESPONSE_LEN || m[0] != 'S' || m[1] != '=')
		return -EBADMSG;
	for (size_t i = 2; i < MSCHAP_AUTH_RESPONSE_LEN; i++)
		if (hexval(m[i]) < 0)
			return -EBADMSG;
	res->auth_response.ptr = m;
	res->auth_response.len = MSCHAP_AUTH_RESPONSE_LEN;
	if (n > MSCHAP_AUTH_RESPONSE_LEN) {
		if (n - MSCHAP_AUTH_RESPONSE_LEN < 3 ||
		    memcmp(m + MSCHAP_AUTH_RESPONSE_LEN, " M=", 3) != 0)
			return -EBADMSG;
		res->message.ptr = m + MSCHAP_AUTH_RESPONSE_LEN + 3;
		res->message.len = n - MSCHAP_AUTH_RESPONSE_LEN - 3;
	}
	return 0;
}

/* EAP-Response/Success or /Failure: Code 2 | Id | Length 6 | 26 | OpCode. */
int ike_mschap_build_ack(struct ike_buf *b, uint8_t eap_id, uint8_t opcode)
{
	if (ike_buf_error(b))
		return ike_buf_error(b);
	if (opcode != MSCHAP_OP_SUCCESS && opcode != MSCHAP_OP_FAILURE)
		return -EINVAL;
	ike_buf_put_u8(b, EAP_RESPONSE);
	ike_buf_put_u8(b, eap_id);
	ike_buf_put_u16(b, 6);
	ike_buf_put_u8(b, EAP_TYPE_MSCHAPV2);
	ike_buf_put_u8(b, opcode);
	return ike_buf_error(b);
}
