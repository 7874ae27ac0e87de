/*
 * test_proposal.c — strongSwan-style proposal strings.
 *
 * Keywords and rules: strongSwan "Algorithm Proposals (Cipher Suites)",
 * docs.strongswan.org/docs/latest/config/proposals.html (keyword table;
 * "multiple algorithms of the same kind can be specified ... their order
 * defines the preference"; AEAD and classic encryption/integrity algorithms
 * "must not be used in the same proposal").  Transform IDs are written here
 * as literal IANA numbers (RFC 7296 3.3.2 / IANA IKEv2 registry) so a wrong
 * enum in ike.h is caught too.  Examples from INTERFACES.md [proposals].
 */
#include "check.h"
#include "ike.h"
#include "ike_proposal.h"

#define ENCR 1
#define PRF 2
#define INTEG 3
#define DH 4
#define ESN 5

struct tr { uint8_t type; uint16_t id; uint16_t keylen; };

/* p holds exactly the n transforms in want, in order */
static int same(const struct ike_proposal *p, const struct tr *want, size_t n)
{
	if (p->n_transforms != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p->tr[i].type != want[i].type || p->tr[i].id != want[i].id ||
		    p->tr[i].keylen != want[i].keylen)
			return 0;
	return 1;
}

static int equal(const struct ike_proposal *a, const struct ike_proposal *b)
{
	if (a->protocol != b->protocol || a->n_transforms != b->n_transforms)
		return 0;
	for (size_t i = 0; i < a->n_transforms; i++)
		if (a->tr[i].type != b->tr[i].type || a->tr[i].id != b->tr[i].id ||
		    a->tr[i].keylen != b->tr[i].keylen)
			return 0;
	return 1;
}

/* parse s, format it, expect canon, and check canon parses to the same */
static void roundtrip(const char *s, uint8_t proto, const char *canon)
{
	struct ike_proposal a, b;
	char out[512], err[128];
	int n;

	CHECK_INT(ike_proposal_parse(s, proto, &a, err, sizeof(err)), 0);
	n = ike_proposal_format(&a, out, sizeof(out));
	CHECK_INT(n, strlen(canon));
	if (strcmp(out, canon) != 0)
		fprintf(stderr, "format(%s) = '%s', want '%s'\n", s, out, canon);
	CHECK(strcmp(out, canon) == 0);
	CHECK_INT(ike_proposal_parse(out, proto, &b, err, sizeof(err)), 0);
	CHECK(equal(&a, &b));
}

/* parse must fail with -EINVAL and the message must contain needle */
static void bad(const char *s, uint8_t proto, const char *needle)
{
	struct ike_proposal p;
	char err[160];

	err[0] = 'x';
	CHECK_INT(ike_proposal_parse(s, proto, &p, err, sizeof(err)), -EINVAL);
	if (!strstr(err, needle))
		fprintf(stderr, "error for '%s' is '%s', want '%s'\n", s ? s : "(null)",
			err, needle);
	CHECK(strstr(err, needle) != NULL);
}

/* strongSwan keyword table: every keyword rag supports, with IANA numbers */
static void test_keywords(void)
{
	static const struct { const char *kw; struct tr t; } enc[] = {
		{ "aes128", { ENCR, 12, 128 } }, { "aes192", { ENCR, 12, 192 } },
		{ "aes256", { ENCR, 12, 256 } }, { "3des", { ENCR, 3, 0 } },
	}, aead[] = {
		{ "aes128gcm8", { ENCR, 18, 128 } }, { "aes128gcm64", { ENCR, 18, 128 } },
		{ "aes128gcm12", { ENCR, 19, 128 } }, { "aes128gcm96", { ENCR, 19, 128 } },
		{ "aes128gcm16", { ENCR, 20, 128 } }, { "aes128gcm128", { ENCR, 20, 128 } },
		{ "aes128gcm", { ENCR, 20, 128 } },
		{ "aes192gcm8", { ENCR, 18, 192 } }, { "aes192gcm64", { ENCR, 18, 192 } },
		{ "aes192gcm12", { ENCR, 19, 192 } }, { "aes192gcm96", { ENCR, 19, 192 } },
		{ "aes192gcm16", { ENCR, 20, 192 } }, { "aes192gcm128", { ENCR, 20, 192 } },
		{ "aes256gcm8", { ENCR, 18, 256 } }, { "aes256gcm64", { ENCR, 18, 256 } },
		{ "aes256gcm12", { ENCR, 19, 256 } }, { "aes256gcm96", { ENCR, 19, 256 } },
		{ "aes256gcm16", { ENCR, 20, 256 } }, { "aes256gcm128", { ENCR, 20, 256 } },
	}, integ[] = {
		{ "sha1", { INTEG, 2, 0 } }, { "sha256", { INTEG, 12, 0 } },
		{ "sha384", { INTEG, 13, 0 } }, { "sha512", { INTEG, 14, 0 } },
		{ "aesxcbc", { INTEG, 5, 0 } },
	}, prf[] = {
		{ "prfsha1", { PRF, 2, 0 } }, { "prfsha256", { PRF, 5, 0 } },
		{ "prfsha384", { PRF, 6, 0 } }, { "prfsha512", { PRF, 7, 0 } },
		{ "prfaesxcbc", { PRF, 4, 0 } }, { "prfaescmac", { PRF, 8, 0 } },
	}, dh[] = {
		{ "modp1024", { DH, 2, 0 } }, { "modp1536", { DH, 5, 0 } },
		{ "modp2048", { DH, 14, 0 } }, { "modp3072", { DH, 15, 0 } },
		{ "modp4096", { DH, 16, 0 } }, { "ecp256", { DH, 19, 0 } },
		{ "ecp384", { DH, 20, 0 } }, { "ecp521", { DH, 21, 0 } },
		{ "x25519", { DH, 31, 0 } }, { "curve25519", { DH, 31, 0 } },
	};
	/* integrity implies the PRF of the same hash (strongSwan) */
	static const uint16_t implied[] = { 2, 5, 6, 7, 4 };
	struct ike_proposal p;
	char s[128], err[128];

	for (size_t i = 0; i < sizeof(enc) / sizeof(enc[0]); i++) {
		struct tr w[3] = { enc[i].t, { INTEG, 12, 0 }, { ESN, 0, 0 } };

		snprintf(s, sizeof(s), "%s-sha256", enc[i].kw);
		CHECK_INT(ike_proposal_parse(s, IKE_PROTO_ESP, &p, err, sizeof(err)), 0);
		CHECK(same(&p, w, 3));
	}
	for (size_t i = 0; i < sizeof(aead) / sizeof(aead[0]); i++) {
		struct tr w[2] = { aead[i].t, { ESN, 0, 0 } };
		struct tr wi[3] = { aead[i].t, { PRF, 5, 0 }, { DH, 31, 0 } };

		CHECK_INT(ike_proposal_parse(aead[i].kw, IKE_PROTO_ESP, &p, err, sizeof(err)), 0);
		CHECK(same(&p, w, 2));
		snprintf(s, sizeof(s), "%s-prfsha256-x25519", aead[i].kw);
		CHECK_INT(ike_proposal_parse(s, IKE_PROTO_IKE, &p, err, sizeof(err)), 0);
		CHECK(same(&p, wi, 3));
	}
	for (size_t i = 0; i < sizeof(integ) / sizeof(integ[0]); i++) {
		struct tr w[4] = { { ENCR, 12, 128 }, { PRF, implied[i], 0 }, integ[i].t,
				   { DH, 14, 0 } };

		snprintf(s, sizeof(s), "aes128-%s-modp2048", integ[i].kw);
		CHECK_INT(ike_proposal_parse(s, IKE_PROTO_IKE, &p, err, sizeof(err)), 0);
		CHECK(same(&p, w, 4));
	}
	for (size_t i = 0; i < sizeof(prf) / sizeof(prf[0]); i++) {
		struct tr w[4] = { { ENCR, 12, 128 }, prf[i].t, { INTEG, 12, 0 },
				   { DH, 14, 0 } };

		snprintf(s, sizeof(s), "aes128-sha256-%s-modp2048", prf[i].kw);
		CHECK_INT(ike_proposal_parse(s, IKE_PROTO_IKE, &p, err, sizeof(err)), 0);
		CHECK(same(&p, w, 4));
	}
	for (size_t i = 0; i < sizeof(dh) / sizeof(dh[0]); i++) {
		struct tr w[4] = { { ENCR, 12, 128 }, { PRF, 5, 0 }, { INTEG, 12, 0 }, dh[i].t };
		struct tr we[4] = { { ENCR, 12, 128 }, { INTEG, 12, 0 }, dh[i].t, { ESN, 0, 0 } };

		snprintf(s, sizeof(s), "aes128-sha256-%s", dh[i].kw);
		CHECK_INT(ike_proposal_parse(s, IKE_PROTO_IKE, &p, err, sizeof(err)), 0);
		CHECK(same(&p, w, 4));
		/* ESP: a DH group means PFS */
		CHECK_INT(ike_proposal_parse(s, IKE_PROTO_ESP, &p, err, sizeof(err)), 0);
		CHECK(same(&p, we, 4));
	}
	{
		struct tr w1[3] = { { ENCR, 12, 256 }, { INTEG, 12, 0 }, { ESN, 1, 0 } };
		struct tr w2[3] = { { ENCR, 12, 256 }, { INTEG, 12, 0 }, { ESN, 0, 0 } };
		struct tr w3[4] = { { ENCR, 12, 256 }, { INTEG, 12, 0 }, { ESN, 1, 0 },
				    { ESN, 0, 0 } };

		CHECK_INT(ike_proposal_parse("aes256-sha256-esn", IKE_PROTO_ESP, &p, err,
					     sizeof(err)), 0);
		CHECK(same(&p, w1, 3));
		CHECK_INT(ike_proposal_parse("aes256-sha256-noesn", IKE_PROTO_ESP, &p, err,
					     sizeof(err)), 0);
		CHECK(same(&p, w2, 3));
		CHECK_INT(ike_proposal_parse("aes256-sha256-esn-noesn", IKE_PROTO_ESP, &p, err,
					     sizeof(err)), 0);
		CHECK(same(&p, w3, 4));
	}
	/* keywords are case-insensitive */
	CHECK_INT(ike_proposal_parse("AES256-SHA256-MODP2048", IKE_PROTO_IKE, &p, err,
				     sizeof(err)), 0);
}

/* INTERFACES.md [proposals] examples, including the legacy Windows suites. */
static void test_examples(void)
{
	static const struct tr ike1[3] = { { ENCR, 20, 256 }, { PRF, 6, 0 }, { DH, 31, 0 } };
	static const struct tr ike2[4] = { { ENCR, 12, 256 }, { PRF, 5, 0 },
					   { INTEG, 12, 0 }, { DH, 14, 0 } };
	static const struct tr ike3[4] = { { ENCR, 12, 128 }, { PRF, 5, 0 },
					   { INTEG, 12, 0 }, { DH, 19, 0 } };
	static const struct tr leg1[4] = { { ENCR, 12, 256 }, { PRF, 2, 0 },
					   { INTEG, 2, 0 }, { DH, 2, 0 } };
	static const struct tr leg2[4] = { { ENCR, 3, 0 }, { PRF, 2, 0 },
					   { INTEG, 2, 0 }, { DH, 2, 0 } };
	static const struct tr esp1[2] = { { ENCR, 20, 256 }, { ESN, 0, 0 } };
	static const struct tr esp2[3] = { { ENCR, 12, 256 }, { INTEG, 12, 0 }, { ESN, 0, 0 } };
	static const struct tr esp3[3] = { { ENCR, 12, 256 }, { INTEG, 2, 0 }, { ESN, 0, 0 } };
	struct ike_proposal p, l[8];
	char err[128];

	CHECK_INT(ike_proposal_parse("aes256gcm16-prfsha384-x25519", IKE_PROTO_IKE, &p,
				     err, sizeof(err)), 0);
	CHECK(same(&p, ike1, 3));
	CHECK_INT(p.num, 1);
	CHECK_INT(p.protocol, IKE_PROTO_IKE);
	CHECK_INT(p.spi_len, 0);
	CHECK_INT(ike_proposal_parse("aes256-sha256-modp2048", IKE_PROTO_IKE, &p, err,
				     sizeof(err)), 0);
	CHECK(same(&p, ike2, 4));
	CHECK_INT(ike_proposal_parse("aes128-sha256-ecp256", IKE_PROTO_IKE, &p, err,
				     sizeof(err)), 0);
	CHECK(same(&p, ike3, 4));
	CHECK_INT(ike_proposal_parse("aes256-sha1-modp1024", IKE_PROTO_IKE, &p, err,
				     sizeof(err)), 0);
	CHECK(same(&p, leg1, 4));
	CHECK_INT(ike_proposal_parse("3des-sha1-modp1024", IKE_PROTO_IKE, &p, err,
				     sizeof(err)), 0);
	CHECK(same(&p, leg2, 4));
	CHECK_INT(ike_proposal_parse("aes256gcm16", IKE_PROTO_ESP, &p, err, sizeof(err)), 0);
	CHECK(same(&p, esp1, 2));
	CHECK_INT(p.protocol, IKE_PROTO_ESP);
	CHECK_INT(ike_proposal_parse("aes256-sha256", IKE_PROTO_ESP, &p, err, sizeof(err)), 0);
	CHECK(same(&p, esp2, 3));
	CHECK_INT(ike_proposal_parse("aes256-sha1", IKE_PROTO_ESP, &p, err, sizeof(err)), 0);
	CHECK(same(&p, esp3, 3));

	/* the whole lines of the example ragd.conf */
	CHECK_INT(ike_proposal_parse_list("aes256gcm16-prfsha384-x25519, aes256-sha256-modp2048,"
					  " aes128-sha256-ecp256", IKE_PROTO_IKE, l, 8,
					  err, sizeof(err)), 3);
	CHECK(same(&l[0], ike1, 3));
	CHECK(same(&l[1], ike2, 4));
	CHECK(same(&l[2], ike3, 4));
	CHECK_INT(l[0].num, 1);
	CHECK_INT(l[2].num, 3);
	CHECK_INT(ike_proposal_parse_list("aes256gcm16, aes128gcm16, aes256-sha256, aes128-sha256",
					  IKE_PROTO_ESP, l, 8, err, sizeof(err)), 4);
	CHECK(same(&l[0], esp1, 2));
	CHECK(same(&l[2], esp2, 3));
	CHECK_INT(l[3].num, 4);
}

/* strongSwan: several algorithms of a kind, order = preference; the order of
 * different kinds does not matter (docs example (1) == (2)). */
static void test_multiple(void)
{
	static const struct tr w[6] = {
		{ ENCR, 20, 256 }, { ENCR, 20, 192 }, { PRF, 6, 0 }, { PRF, 5, 0 },
		{ DH, 20, 0 }, { DH, 15, 0 },
	};
	static const struct tr w2[7] = {
		{ ENCR, 12, 256 }, { PRF, 5, 0 }, { PRF, 2, 0 }, { INTEG, 12, 0 },
		{ INTEG, 2, 0 }, { DH, 14, 0 }, { DH, 2, 0 },
	};
	struct ike_proposal a, b;
	char err[128];

	CHECK_INT(ike_proposal_parse("aes256gcm16-aes192gcm16-prfsha384-prfsha256-ecp384-modp3072",
				     IKE_PROTO_IKE, &a, err, sizeof(err)), 0);
	CHECK(same(&a, w, 6));
	CHECK_INT(ike_proposal_parse("aes256gcm16-prfsha384-ecp384-aes192gcm16-prfsha256-modp3072",
				     IKE_PROTO_IKE, &b, err, sizeof(err)), 0);
	CHECK(equal(&a, &b));
	/* implied PRFs follow the integrity order */
	CHECK_INT(ike_proposal_parse("aes256-sha256-sha1-modp2048-modp1024", IKE_PROTO_IKE,
				     &a, err, sizeof(err)), 0);
	CHECK(same(&a, w2, 7));
}

/* Canonical form, and format -> parse gives the same proposal. */
static void test_format(void)
{
	struct ike_proposal p;
	char out[64];
	int n;

	roundtrip("aes256gcm16-prfsha384-x25519", IKE_PROTO_IKE, "aes256gcm16-prfsha384-x25519");
	roundtrip("AES256GCM128-curve25519-prfsha384", IKE_PROTO_IKE,
		  "aes256gcm16-prfsha384-x25519");
	roundtrip("aes256-sha256-modp2048", IKE_PROTO_IKE, "aes256-sha256-modp2048");
	roundtrip("modp2048-prfsha256-sha256-aes256", IKE_PROTO_IKE, "aes256-sha256-modp2048");
	roundtrip("aes256-sha256-prfsha384-modp2048", IKE_PROTO_IKE,
		  "aes256-sha256-prfsha384-modp2048");
	roundtrip("aes256-sha256-sha1-prfsha1-prfsha256-modp2048", IKE_PROTO_IKE,
		  "aes256-sha256-sha1-prfsha1-prfsha256-modp2048");
	roundtrip("aes128-aesxcbc-ecp256", IKE_PROTO_IKE, "aes128-aesxcbc-ecp256");
	roundtrip("3des-sha1-modp1024", IKE_PROTO_IKE, "3des-sha1-modp1024");
	roundtrip("aes256gcm16", IKE_PROTO_ESP, "aes256gcm16");
	roundtrip("aes256-sha256-noesn", IKE_PROTO_ESP, "aes256-sha256");
	roundtrip("aes256-sha256-esn", IKE_PROTO_ESP, "aes256-sha256-esn");
	roundtrip("noesn-esn-aes128gcm64", IKE_PROTO_ESP, "aes128gcm8-noesn-esn");
	roundtrip("aes128-sha512-ecp521", IKE_PROTO_ESP, "aes128-sha512-ecp521");

	/* output buffer too small at every size below the need */
	CHECK_INT(ike_proposal_parse("aes256-sha256-modp2048", IKE_PROTO_IKE, &p, NULL, 0), 0);
	for (size_t sz = 1; sz <= 22; sz++)
		CHECK_INT(ike_proposal_format(&p, out, sz), -EMSGSIZE);
	CHECK_INT(ike_proposal_format(&p, out, 23), 22);
	CHECK_INT(ike_proposal_format(&p, out, 0), -EINVAL);
	/* a transform with no keyword (AES-CBC without a key length) */
	p.tr[0].keylen = 0;
	n = ike_proposal_format(&p, out, sizeof(out));
	CHECK_INT(n, -EINVAL);
	p.tr[0].keylen = 128;
	p.protocol = IKE_PROTO_AH;
	CHECK_INT(ike_proposal_format(&p, out, sizeof(out)), -EINVAL);
}

/* Bad input: every message names the offending token. */
static void test_bad(void)
{
	char big[IKE_PROPOSAL_MAX_LEN + 2];
	struct ike_proposal p;
	char err[8];

	bad("", IKE_PROTO_IKE, "empty proposal");
	bad(NULL, IKE_PROTO_IKE, "no proposal");
	bad("aes256-", IKE_PROTO_IKE, "empty algorithm name");
	bad("-aes256-sha1-modp2048", IKE_PROTO_IKE, "empty algorithm name");
	bad("aes256--sha1-modp2048", IKE_PROTO_IKE, "empty algorithm name");
	bad("aes999-sha1-modp2048", IKE_PROTO_IKE, "'aes999'");
	bad("aes256-sha1-modp2048 ", IKE_PROTO_IKE, "'modp2048 '");
	bad("aes256gcm16-sha256-x25519", IKE_PROTO_IKE, "'sha256'");
	bad("aes256gcm16-sha256", IKE_PROTO_ESP, "'sha256'");
	bad("aes256-aes128gcm16-sha256-modp2048", IKE_PROTO_IKE, "'aes128gcm16'");
	bad("aes256gcm16-x25519", IKE_PROTO_IKE, "explicit PRF");
	bad("aes256-modp2048", IKE_PROTO_IKE, "no integrity");
	bad("aes256", IKE_PROTO_ESP, "no integrity");
	bad("sha256-modp2048", IKE_PROTO_IKE, "no encryption");
	bad("aes256-sha256", IKE_PROTO_IKE, "no key exchange");
	bad("aes256-sha256-sha256-modp2048", IKE_PROTO_IKE, "duplicate algorithm 'sha256'");
	bad("aes128gcm16-aes128gcm128-prfsha256-x25519", IKE_PROTO_IKE,
	    "duplicate algorithm 'aes128gcm128'");
	bad("aes256-sha256-x25519-curve25519", IKE_PROTO_IKE, "'curve25519'");
	bad("aes256-sha256-modp2048-esn", IKE_PROTO_IKE, "'esn'");
	bad("aes256-sha256-prfsha256", IKE_PROTO_ESP, "'prfsha256'");
	bad("aes256-sha256-modp2048", IKE_PROTO_AH, "protocol");
	bad("aes\x01-sha1-modp2048", IKE_PROTO_IKE, "'aes?'");
	bad("aes256-sha1-modp2048-abcdefghijklmnopqrstuvwxyz0123456789", IKE_PROTO_IKE,
	    "too long");
	/* 3des, aes with a key length outside the table, des, md5: not ours */
	bad("aes512-sha1-modp2048", IKE_PROTO_IKE, "'aes512'");
	bad("des-sha1-modp1024", IKE_PROTO_IKE, "'des'");
	bad("aes256-md5-modp1024", IKE_PROTO_IKE, "'md5'");
	bad("aes256-sha1-modp768", IKE_PROTO_IKE, "'modp768'");

	/* overlong: one byte over the limit is rejected before tokenising */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	bad(big, IKE_PROTO_IKE, "longer than");
	big[IKE_PROPOSAL_MAX_LEN] = '\0';
	bad(big, IKE_PROTO_IKE, "too long");

	/* a tiny error buffer is truncated, not overrun; NULL err is fine */
	CHECK_INT(ike_proposal_parse("aes999", IKE_PROTO_IKE, &p, err, sizeof(err)), -EINVAL);
	CHECK_INT(strlen(err), sizeof(err) - 1);
	CHECK_INT(ike_proposal_parse("aes999", IKE_PROTO_IKE, &p, NULL, 0), -EINVAL);
	/* a failed parse leaves an empty proposal */
	CHECK_INT(p.n_transforms, 0);
}

/* Lists: blanks, empty items, the proposal count limit. */
static void test_list(void)
{
	struct ike_proposal l[IKE_MAX_PROPOSALS + 1];
	char err[160], s[IKE_PROPOSAL_LIST_MAX_LEN + 16];
	size_t o = 0;

	CHECK_INT(ike_proposal_parse_list("aes256-sha256,\taes128-sha1 ", IKE_PROTO_ESP, l, 4,
					  err, sizeof(err)), 2);
	CHECK_INT(ike_proposal_parse_list("aes256-sha256", IKE_PROTO_ESP, l, 4,
					  err, sizeof(err)), 1);
	CHECK_INT(ike_proposal_parse_list("", IKE_PROTO_ESP, l, 4, err, sizeof(err)), -EINVAL);
	CHECK_INT(ike_proposal_parse_list("aes256-sha256,", IKE_PROTO_ESP, l, 4, err,
					  sizeof(err)), -EINVAL);
	CHECK(strstr(err, "proposal 2: empty proposal") != NULL);
	CHECK_INT(ike_proposal_parse_list("aes256-sha256, aes999-sha1", IKE_PROTO_ESP, l, 4,
					  err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "proposal 2: unknown algorithm 'aes999'") != NULL);
	CHECK_INT(ike_proposal_parse_list("aes256-sha256, ,aes128-sha1", IKE_PROTO_ESP, l, 4,
					  err, sizeof(err)), -EINVAL);
	/* max proposals */
	CHECK_INT(ike_proposal_parse_list("aes256-sha256,aes128-sha1", IKE_PROTO_ESP, l, 1,
					  err, sizeof(err)), -E2BIG);
	/* IKE_MAX_PROPOSALS accepted, one more rejected even with a larger max */
	for (int i = 0; i < IKE_MAX_PROPOSALS + 1; i++)
		o += (size_t)snprintf(s + o, sizeof(s) - o, "%saes128-sha1", i ? "," : "");
	CHECK_INT(ike_proposal_parse_list(s, IKE_PROTO_ESP, l, IKE_MAX_PROPOSALS + 1,
					  err, sizeof(err)), -E2BIG);
	s[o - strlen(",aes128-sha1")] = '\0';
	CHECK_INT(ike_proposal_parse_list(s, IKE_PROTO_ESP, l, IKE_MAX_PROPOSALS + 1,
					  err, sizeof(err)), IKE_MAX_PROPOSALS);
	CHECK_INT(l[IKE_MAX_PROPOSALS - 1].num, IKE_MAX_PROPOSALS);
	/* overlong list */
	memset(s, ' ', IKE_PROPOSAL_LIST_MAX_LEN + 1);
	s[IKE_PROPOSAL_LIST_MAX_LEN + 1] = '\0';
	CHECK_INT(ike_proposal_parse_list(s, IKE_PROTO_ESP, l, 4, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "longer than") != NULL);
}

int main(void)
{
	test_keywords();
	test_examples();
	test_multiple();
	test_format();
	test_bad();
	test_list();
	return check_done("proposal");
}
