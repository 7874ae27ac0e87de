/*
 * test_auth.c — AUTH payload (ike_auth.h).
 *
 * Published vectors used:
 *  - RFC 7427 appendix A.1 / A.3 / A.4.3 AlgorithmIdentifier DER;
 *    PSS SHA-384/512 AlgorithmIdentifiers as OpenSSL 3.0 encodes them in a
 *    certificate (openssl req -sigopt rsa_padding_mode:pss ... | DER).
 *  - RFC 8420 section 2 id-Ed25519 AlgorithmIdentifier; RFC 8032 section
 *    7.1 TEST 2 (Ed25519 is deterministic: our AUTH must carry exactly
 *    that signature).
 *  - RFC 4754 section 8.1 / 8.2 ECDSA-256 / ECDSA-384 signatures over "abc"
 *    (verified through methods 9 / 10).
 * Independent computations made at authoring time (no published vector):
 *  - RSA PKCS#1 v1.5 (deterministic) signatures of MSG with the key below
 *    made by the openssl 3.0 command line (openssl dgst -sha1/-sha256/
 *    -sha512 -sign tests/unit/data/rsa2048.pem).
 *  - PSK / EAP AUTH and signed octets: python3 hmac/hashlib.
 *  - An RSASSA-PSS method-14 signature made by this code verified with
 *    openssl dgst -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest.
 */
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "ike_auth.h"
#include "ike_crypto.h"
#include "check.h"

/* tests/unit/data/rsa2048.pem (generated with openssl genpkey, test only) */
static const char rsa_pem[] =
#include "data/rsa2048.pem.inc"
;

static const char MSG[] = "IKEv2 signed octets for rag test_auth";

/* openssl dgst -sha1 -sign rsa2048.pem (MSG) */
static const char rsa_sha1_sig[] =
	"39e568f39f562e971d57db7c2eca06eec9d3378ee76a24dc9015d70676237af3"
	"7c9dac5c4b6459efc6e8053ba28c13640a8431cda7609d816044b1fcfad606f2"
	"6f997bedea0d9bb9cd226b2ff04d15245cf30d9e40e3a78abcd1f5c33dbcd3c2"
	"95f2ce3a3eb73fef05428acc1a16b8985d1732d1dd3516c0874a87d181cb9e51"
	"943d0ab8aa7ab31a7534e0609c5c5f66905c8306769c735e2e82d2871eefefa0"
	"e97dfaf6fcaf6d94df134862f67c6cd74ffbce9fffa2b3c07bbfb640328d029a"
	"b791da94b5c53c4485e830c00b79b05dec23b1ff38340a765e95b61a96067a0a"
	"c8ed896675c218552140a8bd3b66a4d43463574251871bead5cab51632de49d3";
/* openssl dgst -sha256 -sign rsa2048.pem (MSG) */
static const char rsa_sha256_sig[] =
	"7e793157599fb71771f21089fd3fe278e21fccf964fe494018dfa7b90b259865"
	"adf556c9873425da15b40d246127256a6568bbef64555aae714b25a6ebcc8e60"
	"c4393aeb4c8224d92586634f82c1d75458f28db7e41a8d591ef4b40606a4baf6"
	"42ca0894d915705ec879c9565a0167bcdd6bc0b4c92dde101ab3c396df494352"
	"0a02caa2dd71e5636ab3cbc4274dcf7765dfde6ae65d9b2a078d3489052cbf63"
	"7e0ab6a8680f9defb356a3261531a19ae1fa7d1820675b6705a8a49358b06fe2"
	"142563a5656e0e6fc67037d0e16ac8de3d1bb00e3dc7bb8cfc727e5c128af789"
	"c2b3e0b49f18e4cfc56806e2d8e21ec3bbdcffe4c771ce82179e3a1ebee110bb";
/* openssl dgst -sha512 -sign rsa2048.pem (MSG) */
static const char rsa_sha512_sig[] =
	"9638d85310f4e0ae35a34a97696e40817ad08c524a8153fc79bd5dd8d989d7d9"
	"d7c84187853bab0c8c07c4b20bf0b29cc1d01e321d87c79fd8aea4ece84a5d4d"
	"5bd590650449c91f4768533d5522b58d13ade12fc0e37a4a2cdf2ba5efbb7dbc"
	"6ed26b678619f1b731fe19f3cf833a92c22c52d54d1e418e3a8bf1691b0f14c3"
	"f62b485f01844370cbb5567df8ebf7e17b492ca38b1007b7c272f400b3945869"
	"6f83fc093f27ba4f0d670695e064cd73c62900b042b60a5e5af76c7a47eb9d50"
	"cfebcc33de9eca1f9a3e0744d762bc8cd9f0b2565087a8ecffe87e53e4df32d6"
	"9a9acda876febee2f77f513997495111488c651b4fdb2da085be2a25c519481a";

/* RFC 7427 appendix A AlgorithmIdentifiers (hex as printed there), PSS
 * 384/512 as OpenSSL encodes them, RFC 8420 id-Ed25519. */
static const char algid_rsa_sha1[] = "300d06092a864886f70d0101050500";
static const char algid_rsa_sha256[] = "300d06092a864886f70d01010b0500";
static const char algid_rsa_sha384[] = "300d06092a864886f70d01010c0500";
static const char algid_rsa_sha512[] = "300d06092a864886f70d01010d0500";
static const char algid_ecdsa_sha256[] = "300a06082a8648ce3d040302";
static const char algid_ecdsa_sha384[] = "300a06082a8648ce3d040303";
static const char algid_ecdsa_sha512[] = "300a06082a8648ce3d040304";
static const char algid_pss_sha256[] =
	"304106092a864886f70d01010a3034a00f300d06096086480165030402010500"
	"a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120";
static const char algid_pss_sha384[] =
	"304106092a864886f70d01010a3034a00f300d06096086480165030402020500"
	"a11c301a06092a864886f70d010108300d06096086480165030402020500a203020130";
static const char algid_pss_sha512[] =
	"304106092a864886f70d01010a3034a00f300d06096086480165030402030500"
	"a11c301a06092a864886f70d010108300d06096086480165030402030500a203020140";
static const char algid_ed25519[] = "300506032b6570";

/* ---- helpers ------------------------------------------------------------------ */

static EVP_PKEY *load_rsa(void)
{
	BIO *bio = BIO_new_mem_buf(rsa_pem, -1);
	EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	if (!k)
		abort();
	return k;
}

static EVP_PKEY *gen(const char *type, const char *arg)
{
	EVP_PKEY *k;

	if (!strcmp(type, "RSA"))
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (!strcmp(type, "EC"))
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", arg);
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, type);
	if (!k)
		abort();
	return k;
}

/* Public half only, as it would come out of a certificate. */
static EVP_PKEY *pub_of(EVP_PKEY *k)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int n = i2d_PUBKEY(k, &der);
	EVP_PKEY *pub;

	if (n <= 0)
		abort();
	p = der;
	pub = d2i_PUBKEY(NULL, &p, n);
	OPENSSL_free(der);
	if (!pub)
		abort();
	return pub;
}

/* EC public key on curve from hex x and y. */
static EVP_PKEY *ec_pub(const char *curve, const char *xhex, const char *yhex)
{
	size_t xn, yn;
	uint8_t *x = check_unhex(xhex, &xn), *y = check_unhex(yhex, &yn);
	uint8_t pt[1 + 2 * 66];
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *k = NULL;

	pt[0] = 4;
	memcpy(pt + 1, x, xn);
	memcpy(pt + 1 + xn, y, yn);
	OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve, 0);
	OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, 1 + xn + yn);
	params = OSSL_PARAM_BLD_to_param(bld);
	if (!params || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		abort();
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	free(x);
	free(y);
	return k;
}

static const uint8_t *octets = (const uint8_t *)MSG;
#define OCTETS_LEN (sizeof(MSG) - 1)

/* Sign with (method, hash, pss); returns 0 and fills b. */
static int sign(uint8_t method, uint8_t hash, bool pss, EVP_PKEY *k,
		struct ike_buf *b)
{
	struct ike_auth_sig s = { .method = method, .hash = hash, .rsa_pss = pss };

	ike_buf_init(b);
	return ike_auth_sign(&s, k, octets, OCTETS_LEN, b);
}

static int verify(uint8_t method, const uint8_t *a, size_t n, EVP_PKEY *k)
{
	return ike_auth_verify(method, a, n, k, octets, OCTETS_LEN, NULL);
}

/* AUTH data of b begins with length byte + the AlgorithmIdentifier hex. */
static void check_algid(const struct ike_buf *b, const char *hex)
{
	size_t n;
	uint8_t *want = check_unhex(hex, &n);

	CHECK(b->len > 1 + n);
	if (b->len > 1 + n) {
		CHECK_INT(b->data[0], n);
		CHECK_MEM(b->data + 1, want, n);
	}
	free(want);
}

/* ---- signatures: known answers ------------------------------------------------- */

/* RSA PKCS#1 v1.5 is deterministic: methods 1 and 14 must give exactly the
 * openssl command line's signatures; RFC 7427 A.1 AlgorithmIdentifiers. */
static void test_rsa_known_answer(EVP_PKEY *rsa)
{
	static const struct { uint8_t method, hash; const char *algid, *sig; } t[] = {
		{ IKE_AUTH_RSA_SIG, 0, NULL, rsa_sha1_sig },
		{ IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA1, algid_rsa_sha1, rsa_sha1_sig },
		{ IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_256, algid_rsa_sha256, rsa_sha256_sig },
		{ IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_512, algid_rsa_sha512, rsa_sha512_sig },
	};
	EVP_PKEY *pub = pub_of(rsa);

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ike_buf b;
		size_t n, off = 0;
		uint8_t *want = check_unhex(t[i].sig, &n);

		CHECK_INT(sign(t[i].method, t[i].hash, false, rsa, &b), 0);
		if (t[i].algid) {
			check_algid(&b, t[i].algid);
			off = 1 + (size_t)b.data[0];
		}
		CHECK_INT(b.len, off + n);
		if (b.len == off + n)
			CHECK_MEM(b.data + off, want, n);
		CHECK_INT(verify(t[i].method, b.data, b.len, pub), 0);
		ike_buf_free(&b);
		free(want);
	}
	EVP_PKEY_free(pub);
}

/* RFC 8032 7.1 TEST 2 through method 14 / RFC 8420 (hash Identity). */
static void test_ed25519_rfc8032(void)
{
	size_t sn, pn, wn;
	uint8_t *seed = check_unhex(
		"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", &sn);
	uint8_t *pubraw = check_unhex(
		"3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", &pn);
	uint8_t *want = check_unhex(
		"92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
		"085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00", &wn);
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, sn);
	EVP_PKEY *pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pubraw, pn);
	struct ike_auth_sig s = { IKE_AUTH_DIGITAL_SIG, IKE_HASH_IDENTITY, false };
	const uint8_t msg[1] = { 0x72 };
	struct ike_buf b;

	if (!k || !pub)
		abort();
	ike_buf_init(&b);
	CHECK_INT(ike_auth_sign(&s, k, msg, 1, &b), 0);
	check_algid(&b, algid_ed25519);
	CHECK_INT(b.len, 1 + 7 + 64);
	if (b.len == 1 + 7 + 64)
		CHECK_MEM(b.data + 8, want, 64);
	CHECK_INT(ike_auth_verify(IKE_AUTH_DIGITAL_SIG, b.data, b.len, pub, msg, 1, NULL), 0);
	b.data[b.len - 1] ^= 1;
	CHECK_INT(ike_auth_verify(IKE_AUTH_DIGITAL_SIG, b.data, b.len, pub, msg, 1, NULL),
		  -EACCES);
	/* Ed25519 with a hash other than Identity is not a thing (RFC 8420) */
	s.hash = IKE_HASH_SHA2_256;
	ike_buf_reset(&b);
	CHECK_INT(ike_auth_sign(&s, k, msg, 1, &b), -ENOTSUP);
	ike_buf_free(&b);
	EVP_PKEY_free(k);
	EVP_PKEY_free(pub);
	free(seed);
	free(pubraw);
	free(want);
}

/* RFC 4754 8.1 (ECDSA-256) and 8.2 (ECDSA-384): w, g^w, "abc", r | s. */
static void test_ecdsa_rfc4754(void)
{
	static const struct { uint8_t method; const char *curve, *x, *y, *rs; } t[] = {
		{ IKE_AUTH_ECDSA_256, "P-256",
		  "2442A5CC0ECD015FA3CA31DC8E2BBC70BF42D60CBCA20085E0822CB04235E970",
		  "6FC98BD7E50211A4A27102FA3549DF79EBCB4BF246B80945CDDFE7D509BBFD7D",
		  "CB28E0999B9C7715FD0A80D8E47A77079716CBBF917DD72E97566EA1C066957C"
		  "86FA3BB4E26CAD5BF90B7F81899256CE7594BB1EA0C89212748BFF3B3D5B0315" },
		{ IKE_AUTH_ECDSA_384, "P-384",
		  "96281BF8DD5E0525CA049C048D345D3082968D10FEDF5C5ACA0C64E6465A97EA"
		  "5CE10C9DFEC21797415710721F437922",
		  "447688BA94708EB6E2E4D59F6AB6D7EDFF9301D249FE49C33096655F5D502FAD"
		  "3D383B91C5E7EDAA2B714CC99D5743CA",
		  "FB017B914E29149432D8BAC29A514640B46F53DDAB2C69948084E2930F1C8F7E"
		  "08E07C9C63F2D21A07DCB56A6AF56EB3B263A1305E057F984D38726A1B468741"
		  "09F417BCA112674C528262A40A629AF1CBB9F516CE0FA7D2FF630863A00E8B9F" },
	};
	const uint8_t abc[3] = { 'a', 'b', 'c' };

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		EVP_PKEY *k = ec_pub(t[i].curve, t[i].x, t[i].y);
		size_t n;
		uint8_t *rs = check_unhex(t[i].rs, &n);
		struct ike_auth_sig used;

		CHECK_INT(ike_auth_verify(t[i].method, rs, n, k, abc, 3, &used), 0);
		CHECK_INT(used.method, t[i].method);
		CHECK_INT(used.hash, i == 0 ? IKE_HASH_SHA2_256 : IKE_HASH_SHA2_384);
		/* other message, other s, r | s of the wrong size, wrong method */
		CHECK_INT(ike_auth_verify(t[i].method, rs, n, k, abc, 2, NULL), -EACCES);
		rs[n - 1] ^= 1;
		CHECK_INT(ike_auth_verify(t[i].method, rs, n, k, abc, 3, NULL), -EACCES);
		rs[n - 1] ^= 1;
		CHECK_INT(ike_auth_verify(t[i].method, rs, n - 1, k, abc, 3, NULL), -EACCES);
		CHECK_INT(ike_auth_verify(t[i].method, rs, n / 2, k, abc, 3, NULL), -EACCES);
		CHECK_INT(ike_auth_verify(i == 0 ? IKE_AUTH_ECDSA_384 : IKE_AUTH_ECDSA_256,
					  rs, n, k, abc, 3, NULL), -EACCES);
		CHECK_INT(ike_auth_verify(IKE_AUTH_ECDSA_521, rs, n, k, abc, 3, NULL), -EACCES);
		/* r = 0 */
		memset(rs, 0, n / 2);
		CHECK_INT(ike_auth_verify(t[i].method, rs, n, k, abc, 3, NULL), -EACCES);
		free(rs);
		EVP_PKEY_free(k);
	}
}

/* Independent OpenSSL RSASSA-PSS operation with md and salt length
 * saltlen (RSA_PSS_SALTLEN_*) over MSG: sign (sig == NULL: returns a
 * malloc'ed signature in *out) or verify (returns 1 when valid). */
static int pss_direct(EVP_PKEY *k, const EVP_MD *md, int saltlen,
		      const uint8_t *sig, size_t sig_len,
		      uint8_t **out, size_t *out_len)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	int ok;

	if (sig)
		ok = EVP_DigestVerifyInit(m, &pc, md, NULL, k) > 0;
	else
		ok = EVP_DigestSignInit(m, &pc, md, NULL, k) > 0;
	ok = ok && EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) > 0 &&
	     EVP_PKEY_CTX_set_rsa_mgf1_md(pc, md) > 0 &&
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, saltlen) > 0;
	if (ok && sig) {
		ok = EVP_DigestVerify(m, sig, sig_len, octets, OCTETS_LEN) == 1;
	} else if (ok) {
		*out_len = 0;
		ok = EVP_DigestSign(m, NULL, out_len, octets, OCTETS_LEN) > 0 &&
		     (*out = malloc(*out_len)) != NULL &&
		     EVP_DigestSign(m, *out, out_len, octets, OCTETS_LEN) > 0;
	}
	EVP_MD_CTX_free(m);
	return ok;
}

/* RFC 7427 A.4.3 / RFC 4055: salt length = hash length, MGF1 with the same
 * hash.  Our PSS signatures verify under OpenSSL with exactly those
 * parameters (salt length checked, not auto-detected); a signature with the
 * maximum salt, or with MGF1-SHA-1, labelled PSS-SHA-256 is refused. */
static void test_pss_params(EVP_PKEY *rsa, EVP_PKEY *pub)
{
	static const struct { uint8_t hash; const EVP_MD *(*md)(void); const char *algid; } t[] = {
		{ IKE_HASH_SHA2_256, EVP_sha256, algid_pss_sha256 },
		{ IKE_HASH_SHA2_384, EVP_sha384, algid_pss_sha384 },
		{ IKE_HASH_SHA2_512, EVP_sha512, algid_pss_sha512 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ike_buf b, o;
		uint8_t *sig = NULL;
		size_t sig_len = 0, off;

		CHECK_INT(sign(IKE_AUTH_DIGITAL_SIG, t[i].hash, true, rsa, &b), 0);
		off = 1 + (size_t)b.data[0];
		CHECK(pss_direct(pub, t[i].md(), RSA_PSS_SALTLEN_DIGEST,
				 b.data + off, b.len - off, NULL, NULL));
		ike_buf_free(&b);

		/* maximum salt length, correctly labelled hash */
		CHECK(pss_direct(rsa, t[i].md(), RSA_PSS_SALTLEN_MAX, NULL, 0,
				 &sig, &sig_len));
		ike_buf_init(&o);
		{
			size_t n;
			uint8_t *alg = check_unhex(t[i].algid, &n);

			ike_buf_put_u8(&o, (uint8_t)n);
			ike_buf_put(&o, alg, n);
			free(alg);
		}
		ike_buf_put(&o, sig, sig_len);
		CHECK_INT(verify(IKE_AUTH_DIGITAL_SIG, o.data, o.len, pub), -EACCES);
		free(sig);
		ike_buf_free(&o);
	}
}

/* ---- signatures: round trips and failures ----------------------------------------- */

struct keyset {
	const char *name;
	EVP_PKEY *key, *pub, *other_pub;	/* other: same type, other key */
};

struct case_ {
	uint8_t method, hash;
	bool pss;
	const char *algid;
	size_t key;		/* index into keyset */
};

/* Every method / hash for the key it fits: sign -> verify; flipped octet,
 * flipped signature, wrong key, truncated and extended data fail. */
static void test_roundtrips(const struct keyset *ks, const struct case_ *c, size_t nc)
{
	for (size_t i = 0; i < nc; i++) {
		const struct keyset *k = &ks[c[i].key];
		struct ike_buf b;
		struct ike_auth_sig used;
		uint8_t flipped[sizeof(MSG)];
		uint8_t *ext;

		CHECK_INT(sign(c[i].method, c[i].hash, c[i].pss, k->key, &b), 0);
		if (b.err || b.len == 0) {
			fprintf(stderr, "sign failed: %s method %u hash %u\n",
				k->name, c[i].method, c[i].hash);
			ike_buf_free(&b);
			continue;
		}
		if (c[i].algid)
			check_algid(&b, c[i].algid);
		CHECK_INT(ike_auth_verify(c[i].method, b.data, b.len, k->pub,
					  octets, OCTETS_LEN, &used), 0);
		CHECK_INT(used.method, c[i].method);
		if (c[i].method == IKE_AUTH_DIGITAL_SIG) {
			CHECK_INT(used.hash, c[i].hash);
			CHECK_INT(used.rsa_pss, c[i].pss);
		}
		/* the private key object verifies as well */
		CHECK_INT(verify(c[i].method, b.data, b.len, k->key), 0);

		memcpy(flipped, MSG, OCTETS_LEN);
		flipped[OCTETS_LEN / 2] ^= 0x01;
		CHECK_INT(ike_auth_verify(c[i].method, b.data, b.len, k->pub,
					  flipped, OCTETS_LEN, NULL), -EACCES);
		CHECK_INT(verify(c[i].method, b.data, b.len - 1, k->pub), -EACCES);
		CHECK_INT(verify(c[i].method, b.data, 1, k->pub), -EACCES);
		CHECK_INT(verify(c[i].method, b.data, 0, k->pub), -EACCES);
		CHECK_INT(verify(c[i].method, NULL, 0, k->pub), -EACCES);
		CHECK_INT(verify(c[i].method, b.data, b.len, k->other_pub), -EACCES);
		ext = malloc(b.len + 1);
		memcpy(ext, b.data, b.len);
		ext[b.len] = 0;
		CHECK_INT(verify(c[i].method, ext, b.len + 1, k->pub), -EACCES);
		free(ext);
		b.data[b.len - 1] ^= 0x80;
		CHECK_INT(verify(c[i].method, b.data, b.len, k->pub), -EACCES);
		ike_buf_free(&b);
	}
}

/* Replace the AlgorithmIdentifier of a method-14 AUTH with algid (hex). */
static struct ike_buf swap_algid(const struct ike_buf *b, const char *hex)
{
	size_t n, old = b->data[0];
	uint8_t *alg = check_unhex(hex, &n);
	struct ike_buf o;

	ike_buf_init(&o);
	ike_buf_put_u8(&o, (uint8_t)n);
	ike_buf_put(&o, alg, n);
	ike_buf_put(&o, b->data + 1 + old, b->len - 1 - old);
	free(alg);
	return o;
}

/* Algorithm substitution (RFC 7427 section 3 / 8): the AlgorithmIdentifier
 * must be one we support, fit the key and be the one the signature was
 * made with. */
static void test_algid_substitution(const struct keyset *rsa,
				    const struct keyset *p256,
				    const struct keyset *ed)
{
	static const struct { const char *name, *algid; } bad[] = {
		/* sha224WithRSAEncryption: not in our table */
		{ "sha224-rsa", "300d06092a864886f70d01010e0500" },
		/* sha256WithRSA without the NULL parameters: not exact DER */
		{ "sha256-rsa-noparams", "300b06092a864886f70d01010b" },
		/* PSS SHA-256 with salt 0x10 */
		{ "pss-salt16",
		  "304106092a864886f70d01010a3034a00f300d06096086480165030402010500"
		  "a11c301a06092a864886f70d010108300d06096086480165030402010500a203020110" },
		/* PSS with hash SHA-256 but MGF1 with SHA-384 (parameters mixed) */
		{ "pss-mgf-mismatch",
		  "304106092a864886f70d01010a3034a00f300d06096086480165030402010500"
		  "a11c301a06092a864886f70d010108300d06096086480165030402020500a203020120" },
		/* rsaEncryption, a key OID not a signature algorithm */
		{ "rsaEncryption", "300d06092a864886f70d0101010500" },
	};
	struct ike_buf b, o;

	/* RSA PKCS#1 SHA-256 signature relabelled */
	CHECK_INT(sign(IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_256, false, rsa->key, &b), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = swap_algid(&b, bad[i].algid);
		CHECK_INT(verify(IKE_AUTH_DIGITAL_SIG, o.data, o.len, rsa->pub), -EACCES);
		ike_buf_free(&o);
	}
	/* as PSS SHA-256, as PKCS#1 SHA-384: the wrong verification */
	o = swap_algid(&b, algid_pss_sha256);
	CHECK_INT(verify(IKE_AUTH_DIGITAL_SIG, o.data, o.len, rsa->pub), -EACCES);
	ike_buf_free(&o);
	o = swap_algid(&b, algid_rsa_sha384);
	CHECK_INT(verify(IKE_AUTH_DIGITAL_SIG, o.data, o.len, rsa->pub), -EACCES);
	ike_buf_free(&o);
	/* RSA AlgorithmIdentifier presented with an EC / Ed25519 key */
	CHECK_INT(verify(IKE_AUTH_DIGITAL_SIG, b.data, b.len, p256->pub), -EACCES);
	CHECK_INT(verify(IKE_AUTH_DIGITAL_SIG, b.data, b.len, ed->pub), -EACCES);
	/* AlgorithmIdentifier length larger than the data, zero, one less */
	b.data[0] = 0xff;
	CHECK_INT(verify(IKE_AUTH_DIGITAL_SIG, b.data, 40, rsa->pub), -EACCES);
	b.data[0] = 0;
	CHECK_INT(verify(IKE_AUTH_DIGITAL_SIG, b.data, b.len, rsa->pub), -EACCES);
	b.data[0] = 14;
	CHECK_INT(verify(IKE_AUTH_DIGITAL_SIG, b.data, b.len, rsa->pub), -EACCES);
	b.data[0] = 15;
	/* AlgorithmIdentifier only, no signature */
	CHECK_INT(verify(IKE_AUTH_DIGITAL_SIG, b.data, 16, rsa->pub), -EACCES);
	/* the classic method 1 does not accept 7427-framed data */
	CHECK_INT(verify(IKE_AUTH_RSA_SIG, b.data, b.len, rsa->pub), -EACCES);
	ike_buf_free(&b);

	/* PSS SHA-384 signature relabelled as PSS SHA-256 / SHA-512 / PKCS#1 */
	CHECK_INT(sign(IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_384, true, rsa->key, &b), 0);
	CHECK_INT(verify(IKE_AUTH_DIGITAL_SIG, b.data, b.len, rsa->pub), 0);
	o = swap_algid(&b, algid_pss_sha256);
	CHECK_INT(verify(IKE_AUTH_DIGITAL_SIG, o.data, o.len, rsa->pub), -EACCES);
	ike_buf_free(&o);
	o = swap_algid(&b, algid_pss_sha512);
	CHECK_INT(verify(IKE_AUTH_DIGITAL_SIG, o.data, o.len, rsa->pub), -EACCES);
	ike_buf_free(&o);
	o = swap_algid(&b, algid_rsa_sha384);
	CHECK_INT(verify(IKE_AUTH_DIGITAL_SIG, o.data, o.len, rsa->pub), -EACCES);
	ike_buf_free(&o);
	ike_buf_free(&b);

	/* ECDSA SHA-256 relabelled SHA-384, and ECDSA AlgId with RSA key */
	CHECK_INT(sign(IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_256, false, p256->key, &b), 0);
	o = swap_algid(&b, algid_ecdsa_sha384);
	CHECK_INT(verify(IKE_AUTH_DIGITAL_SIG, o.data, o.len, p256->pub), -EACCES);
	ike_buf_free(&o);
	CHECK_INT(verify(IKE_AUTH_DIGITAL_SIG, b.data, b.len, rsa->pub), -EACCES);
	CHECK_INT(verify(IKE_AUTH_DIGITAL_SIG, b.data, b.len, ed->pub), -EACCES);
	/* method 14 ECDSA carries DER, not r | s: as method 9 it fails */
	CHECK_INT(verify(IKE_AUTH_ECDSA_256, b.data + 13, b.len - 13, p256->pub), -EACCES);
	ike_buf_free(&b);

	/* Ed25519 AlgId with an EC key */
	CHECK_INT(sign(IKE_AUTH_DIGITAL_SIG, IKE_HASH_IDENTITY, false, ed->key, &b), 0);
	CHECK_INT(verify(IKE_AUTH_DIGITAL_SIG, b.data, b.len, p256->pub), -EACCES);
	o = swap_algid(&b, algid_ecdsa_sha256);
	CHECK_INT(verify(IKE_AUTH_DIGITAL_SIG, o.data, o.len, ed->pub), -EACCES);
	ike_buf_free(&o);
	ike_buf_free(&b);
}

/* Methods / keys that do not go together, and unsupported methods. */
static void test_sign_mismatch(const struct keyset *rsa, const struct keyset *p256,
			       const struct keyset *p384, const struct keyset *ed)
{
	struct ike_buf b;

	CHECK_INT(sign(IKE_AUTH_RSA_SIG, 0, false, p256->key, &b), -EINVAL);
	ike_buf_free(&b);
	CHECK_INT(sign(IKE_AUTH_ECDSA_256, 0, false, rsa->key, &b), -EINVAL);
	ike_buf_free(&b);
	CHECK_INT(sign(IKE_AUTH_ECDSA_256, 0, false, p384->key, &b), -EINVAL);
	ike_buf_free(&b);
	CHECK_INT(sign(IKE_AUTH_ECDSA_384, 0, false, ed->key, &b), -EINVAL);
	ike_buf_free(&b);
	CHECK_INT(sign(IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA1, true, rsa->key, &b), -ENOTSUP);
	ike_buf_free(&b);
	CHECK_INT(sign(IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA1, false, p256->key, &b), -ENOTSUP);
	ike_buf_free(&b);
	CHECK_INT(sign(IKE_AUTH_DIGITAL_SIG, IKE_HASH_IDENTITY, false, rsa->key, &b), -ENOTSUP);
	ike_buf_free(&b);
	CHECK_INT(sign(IKE_AUTH_DIGITAL_SIG, 9, false, rsa->key, &b), -ENOTSUP);
	ike_buf_free(&b);
	CHECK_INT(sign(IKE_AUTH_PSK, 0, false, rsa->key, &b), -ENOTSUP);
	ike_buf_free(&b);
	CHECK_INT(sign(IKE_AUTH_DSS, 0, false, rsa->key, &b), -ENOTSUP);
	ike_buf_free(&b);
	{
		uint8_t x[64] = { 0 };

		CHECK_INT(verify(IKE_AUTH_PSK, x, sizeof(x), rsa->pub), -ENOTSUP);
		CHECK_INT(verify(IKE_AUTH_DSS, x, sizeof(x), rsa->pub), -ENOTSUP);
		CHECK_INT(verify(IKE_AUTH_NULL, x, sizeof(x), rsa->pub), -ENOTSUP);
		CHECK_INT(verify(0, x, sizeof(x), rsa->pub), -ENOTSUP);
		/* method 1 with an EC key */
		CHECK_INT(verify(IKE_AUTH_RSA_SIG, x, sizeof(x), p256->pub), -EACCES);
	}
	/* a sticky ike_buf error is reported */
	ike_buf_init(&b);
	b.limit = 100;
	{
		struct ike_auth_sig s = { IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_256, false };

		CHECK_INT(ike_auth_sign(&s, rsa->key, octets, OCTETS_LEN, &b), -EMSGSIZE);
	}
	ike_buf_free(&b);
}

/* Method choice (RFC 7427 section 4, RFC 8420). */
static void test_choose(const struct keyset *rsa, const struct keyset *p256,
			const struct keyset *p384, const struct keyset *p521,
			const struct keyset *ed)
{
	static const uint16_t sha2[] = { IKE_HASH_SHA2_512, IKE_HASH_SHA2_384,
					 IKE_HASH_SHA2_256 };
	static const uint16_t sha1only[] = { IKE_HASH_SHA1 };
	static const uint16_t ident[] = { IKE_HASH_IDENTITY };
	static const uint16_t s512[] = { 0x1234, IKE_HASH_SHA2_512 };
	static const uint16_t all[] = { 1, 2, 3, 4, 5 };
	struct ike_auth_sig s;

	/* no notify: classic methods */
	CHECK_INT(ike_auth_sig_choose(rsa->key, NULL, 0, false, &s), 0);
	CHECK_INT(s.method, IKE_AUTH_RSA_SIG);
	CHECK_INT(ike_auth_sig_choose(rsa->key, sha2, 0, true, &s), 0);
	CHECK_INT(s.method, IKE_AUTH_RSA_SIG);
	CHECK_INT(ike_auth_sig_choose(p256->key, NULL, 0, false, &s), 0);
	CHECK_INT(s.method, IKE_AUTH_ECDSA_256);
	CHECK_INT(ike_auth_sig_choose(p384->key, NULL, 0, false, &s), 0);
	CHECK_INT(s.method, IKE_AUTH_ECDSA_384);
	CHECK_INT(ike_auth_sig_choose(p521->pub, NULL, 0, false, &s), 0);
	CHECK_INT(s.method, IKE_AUTH_ECDSA_521);
	CHECK_INT(s.hash, IKE_HASH_SHA2_512);
	CHECK_INT(ike_auth_sig_choose(ed->key, NULL, 0, false, &s), -ENOTSUP);

	/* with a list: method 14 and our preference */
	CHECK_INT(ike_auth_sig_choose(rsa->key, sha2, 3, false, &s), 0);
	CHECK_INT(s.method, IKE_AUTH_DIGITAL_SIG);
	CHECK_INT(s.hash, IKE_HASH_SHA2_256);
	CHECK(!s.rsa_pss);
	CHECK_INT(ike_auth_sig_choose(rsa->key, sha2, 3, true, &s), 0);
	CHECK(s.rsa_pss);
	CHECK_INT(ike_auth_sig_choose(rsa->key, sha1only, 1, true, &s), 0);
	CHECK_INT(s.method, IKE_AUTH_DIGITAL_SIG);
	CHECK_INT(s.hash, IKE_HASH_SHA1);
	CHECK(!s.rsa_pss);
	CHECK_INT(ike_auth_sig_choose(rsa->key, ident, 1, false, &s), 0);
	CHECK_INT(s.method, IKE_AUTH_RSA_SIG);	/* nothing shared: classic */
	CHECK_INT(ike_auth_sig_choose(p384->key, sha2, 3, false, &s), 0);
	CHECK_INT(s.method, IKE_AUTH_DIGITAL_SIG);
	CHECK_INT(s.hash, IKE_HASH_SHA2_384);	/* the curve's own hash */
	CHECK_INT(ike_auth_sig_choose(p256->key, s512, 2, false, &s), 0);
	CHECK_INT(s.method, IKE_AUTH_DIGITAL_SIG);
	CHECK_INT(s.hash, IKE_HASH_SHA2_512);
	CHECK_INT(ike_auth_sig_choose(p256->key, sha1only, 1, false, &s), 0);
	CHECK_INT(s.method, IKE_AUTH_ECDSA_256);
	CHECK_INT(ike_auth_sig_choose(ed->key, sha2, 3, false, &s), -ENOTSUP);
	CHECK_INT(ike_auth_sig_choose(ed->key, all, 5, false, &s), 0);
	CHECK_INT(s.method, IKE_AUTH_DIGITAL_SIG);
	CHECK_INT(s.hash, IKE_HASH_IDENTITY);
	CHECK_INT(ike_auth_sig_choose(NULL, all, 5, false, &s), -ENOTSUP);

	/* every choice signs and verifies */
	{
		const struct keyset *keys[] = { rsa, p256, p384, p521, ed };

		for (size_t i = 0; i < 5; i++)
			for (int pss = 0; pss < 2; pss++) {
				struct ike_buf b;

				CHECK_INT(ike_auth_sig_choose(keys[i]->key, all, 5, pss, &s), 0);
				ike_buf_init(&b);
				CHECK_INT(ike_auth_sign(&s, keys[i]->key, octets, OCTETS_LEN, &b), 0);
				CHECK_INT(verify(s.method, b.data, b.len, keys[i]->pub), 0);
				ike_buf_free(&b);
			}
	}
}

/* ---- PSK / EAP / signed octets -------------------------------------------------- */

/* 512 octets 00..ff twice, then "tail" (the python3 input) */
static uint8_t *psk_octets(size_t *n)
{
	uint8_t *o = malloc(516);

	for (size_t i = 0; i < 512; i++)
		o[i] = (uint8_t)i;
	memcpy(o + 512, "tail", 4);
	*n = 516;
	return o;
}

/* RFC 7296 2.15 AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"),
 * <SignedOctets>), against python3 hmac. */
static void test_psk(void)
{
	static const struct { uint16_t prf; const char *want; } t[] = {
		{ IKE_PRF_HMAC_SHA1, "8cf42bf7ca167d078b9c28f6e23fe3f564d98b32" },
		{ IKE_PRF_HMAC_SHA2_256,
		  "7f0bd0c04125e130cea6a1163bf69ff7bf6eaf54417d2c669fb9240c80cd3baf" },
		{ IKE_PRF_HMAC_SHA2_384,
		  "689b5c1373c4bc83926ef42b69badb6f6bb054516c1154770aaeb475d765a99d"
		  "1c7f5814787bc362e857d3881215941b" },
		{ IKE_PRF_HMAC_SHA2_512,
		  "b874b6d270867a555385021b2d60f3cf2925ab2d557a62a822a727bf9b3eb22e"
		  "531803b995788106624eb1f4ae053d45f0550d6cdd26b6b2cce1b2d292f79f5a" },
	};
	static const uint8_t psk[] = "rag-test-psk";
	size_t on;
	uint8_t *o = psk_octets(&on);

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t out[64];
		size_t n;
		uint8_t *want = check_unhex(t[i].want, &n);

		CHECK_INT(ike_auth_psk(t[i].prf, psk, sizeof(psk) - 1, o, on, out), n);
		CHECK_MEM(out, want, n);
		CHECK_INT(ike_auth_psk_verify(t[i].prf, psk, sizeof(psk) - 1, o, on, want, n), 0);
		CHECK_INT(ike_auth_psk_verify(t[i].prf, psk, sizeof(psk) - 1, o, on, want, n - 1),
			  -EACCES);
		CHECK_INT(ike_auth_psk_verify(t[i].prf, psk, sizeof(psk) - 2, o, on, want, n),
			  -EACCES);
		want[n - 1] ^= 1;
		CHECK_INT(ike_auth_psk_verify(t[i].prf, psk, sizeof(psk) - 1, o, on, want, n),
			  -EACCES);
		CHECK_INT(ike_auth_psk_verify(t[i].prf, psk, sizeof(psk) - 1, o, on, NULL, 0),
			  -EACCES);
		free(want);
	}
	{
		uint8_t out[64];

		CHECK_INT(ike_auth_psk(99, psk, sizeof(psk) - 1, o, on, out), -ENOTSUP);
	}
	free(o);
}

/* RFC 7296 2.16: the MSK is the shared secret; without one, SK_pi/SK_pr. */
static void test_eap(void)
{
	static const char want_msk[] =
		"0970965346884c43a5257432a62e17881e34be36c5b37740f43ccef9dfc7f526";
	static const char want_skp[] =
		"146e55b026e8c546e6d5aed16f726c9459287ad1fea398acbd3cfe93a18690bd";
	uint8_t msk[64], skp[32], out[64];
	struct ike_key sk;
	size_t on, n;
	uint8_t *o = psk_octets(&on), *w;

	for (size_t i = 0; i < sizeof(msk); i++)
		msk[i] = (uint8_t)(i * 7 + 3);
	for (size_t i = 0; i < sizeof(skp); i++)
		skp[i] = (uint8_t)(0xa0 + i);
	CHECK_INT(ike_key_dup(&sk, skp, sizeof(skp)), 0);
	w = check_unhex(want_msk, &n);
	CHECK_INT(ike_auth_eap(IKE_PRF_HMAC_SHA2_256, msk, sizeof(msk), &sk, o, on, out), 32);
	CHECK_MEM(out, w, n);
	free(w);
	w = check_unhex(want_skp, &n);
	CHECK_INT(ike_auth_eap(IKE_PRF_HMAC_SHA2_256, NULL, 0, &sk, o, on, out), 32);
	CHECK_MEM(out, w, n);
	CHECK_INT(ike_auth_eap(IKE_PRF_HMAC_SHA2_256, msk, 0, &sk, o, on, out), 32);
	CHECK_MEM(out, w, n);
	CHECK_INT(ike_auth_eap(IKE_PRF_HMAC_SHA2_256, NULL, 0, NULL, o, on, out), -EINVAL);
	free(w);
	ike_key_free(&sk);
	free(o);
}

/* RFC 7296 2.15: SignedOctets = RealMessage | Nonce(other) | prf(SK_p, ID'). */
static void test_signed_octets(void)
{
	static const char maced256[] =
		"10e7e736f89bf7834fafc31ea6984065f7393397a5173592315d5df9b4996ff9";
	static const char maced1[] = "c9979c855e7b299a3f966e0be3aadc8bc12a9e51";
	uint8_t msg[300], nonce[32], skp[32], id[4 + 15] = { IKE_ID_FQDN, 0, 0, 0 };
	struct ike_key sk, sk1;
	struct ike_buf b;
	size_t n;
	uint8_t *w;

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 3);
	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)(0x40 + i);
	for (size_t i = 0; i < sizeof(skp); i++)
		skp[i] = (uint8_t)(0xa0 + i);
	memcpy(id + 4, "vpn.example.org", 15);
	CHECK_INT(ike_key_dup(&sk, skp, 32), 0);
	CHECK_INT(ike_key_dup(&sk1, skp, 20), 0);

	ike_buf_init(&b);
	ike_buf_put(&b, "x", 1);	/* appends after what is there */
	CHECK_INT(ike_auth_octets(&b, IKE_PRF_HMAC_SHA2_256, &sk, msg, sizeof(msg),
				  nonce, sizeof(nonce), id, sizeof(id)), 0);
	w = check_unhex(maced256, &n);
	CHECK_INT(b.len, 1 + sizeof(msg) + sizeof(nonce) + 32);
	if (b.len == 1 + sizeof(msg) + sizeof(nonce) + 32) {
		CHECK_MEM(b.data + 1, msg, sizeof(msg));
		CHECK_MEM(b.data + 1 + sizeof(msg), nonce, sizeof(nonce));
		CHECK_MEM(b.data + 1 + sizeof(msg) + sizeof(nonce), w, 32);
	}
	free(w);

	ike_buf_reset(&b);
	CHECK_INT(ike_auth_octets(&b, IKE_PRF_HMAC_SHA1, &sk1, msg, sizeof(msg),
				  nonce, sizeof(nonce), id, sizeof(id)), 0);
	w = check_unhex(maced1, &n);
	CHECK_INT(b.len, sizeof(msg) + sizeof(nonce) + 20);
	if (b.len == sizeof(msg) + sizeof(nonce) + 20)
		CHECK_MEM(b.data + sizeof(msg) + sizeof(nonce), w, 20);
	free(w);

	ike_buf_reset(&b);
	CHECK_INT(ike_auth_octets(&b, IKE_PRF_HMAC_SHA2_256, &sk, msg, sizeof(msg),
				  nonce, sizeof(nonce), id, 3), -EINVAL);
	CHECK_INT(ike_auth_octets(&b, 99, &sk, msg, sizeof(msg),
				  nonce, sizeof(nonce), id, sizeof(id)), -ENOTSUP);
	CHECK_INT(b.len, 0);
	b.limit = 200;
	CHECK_INT(ike_auth_octets(&b, IKE_PRF_HMAC_SHA2_256, &sk, msg, sizeof(msg),
				  nonce, sizeof(nonce), id, sizeof(id)), -EMSGSIZE);
	ike_buf_free(&b);
	ike_key_free(&sk);
	ike_key_free(&sk1);
}

int main(void)
{
	struct keyset ks[5] = {
		{ "RSA-2048", NULL, NULL, NULL }, { "P-256", NULL, NULL, NULL },
		{ "P-384", NULL, NULL, NULL }, { "P-521", NULL, NULL, NULL },
		{ "Ed25519", NULL, NULL, NULL },
	};
	EVP_PKEY *others[5];
	const struct case_ cases[] = {
		{ IKE_AUTH_RSA_SIG, 0, false, NULL, 0 },
		{ IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA1, false, algid_rsa_sha1, 0 },
		{ IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_256, false, algid_rsa_sha256, 0 },
		{ IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_384, false, algid_rsa_sha384, 0 },
		{ IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_512, false, algid_rsa_sha512, 0 },
		{ IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_256, true, algid_pss_sha256, 0 },
		{ IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_384, true, algid_pss_sha384, 0 },
		{ IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_512, true, algid_pss_sha512, 0 },
		{ IKE_AUTH_ECDSA_256, 0, false, NULL, 1 },
		{ IKE_AUTH_ECDSA_384, 0, false, NULL, 2 },
		{ IKE_AUTH_ECDSA_521, 0, false, NULL, 3 },
		{ IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_256, false, algid_ecdsa_sha256, 1 },
		{ IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_384, false, algid_ecdsa_sha384, 1 },
		{ IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_512, false, algid_ecdsa_sha512, 1 },
		{ IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_384, false, algid_ecdsa_sha384, 2 },
		{ IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_256, false, algid_ecdsa_sha256, 2 },
		{ IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_512, false, algid_ecdsa_sha512, 3 },
		{ IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_256, false, algid_ecdsa_sha256, 3 },
		{ IKE_AUTH_DIGITAL_SIG, IKE_HASH_IDENTITY, false, algid_ed25519, 4 },
	};

	if (ike_init() < 0)
		return 1;
	ks[0].key = load_rsa();
	others[0] = gen("RSA", NULL);
	ks[1].key = gen("EC", "P-256");
	others[1] = gen("EC", "P-256");
	ks[2].key = gen("EC", "P-384");
	others[2] = gen("EC", "P-384");
	ks[3].key = gen("EC", "P-521");
	others[3] = gen("EC", "P-521");
	ks[4].key = gen("ED25519", NULL);
	others[4] = gen("ED25519", NULL);
	for (size_t i = 0; i < 5; i++) {
		ks[i].pub = pub_of(ks[i].key);
		ks[i].other_pub = pub_of(others[i]);
	}

	test_rsa_known_answer(ks[0].key);
	test_ed25519_rfc8032();
	test_ecdsa_rfc4754();
	test_pss_params(ks[0].key, ks[0].pub);
	test_roundtrips(ks, cases, sizeof(cases) / sizeof(cases[0]));
	test_algid_substitution(&ks[0], &ks[1], &ks[4]);
	test_sign_mismatch(&ks[0], &ks[1], &ks[2], &ks[4]);
	test_choose(&ks[0], &ks[1], &ks[2], &ks[3], &ks[4]);
	test_psk();
	test_eap();
	test_signed_octets();

	for (size_t i = 0; i < 5; i++) {
		EVP_PKEY_free(ks[i].key);
		EVP_PKEY_free(ks[i].pub);
		EVP_PKEY_free(ks[i].other_pub);
		EVP_PKEY_free(others[i]);
	}
	return check_done("test_auth");
}
