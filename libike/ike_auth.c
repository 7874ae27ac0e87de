/*
 * ike_auth.c — AUTH payload: signed octets, shared-key / EAP MSK AUTH
 * (RFC 7296 2.15, 2.16) and signatures (RFC 7296 method 1, RFC 4754 methods
 * 9-11, RFC 7427 method 14, RFC 8420 Ed25519).  See ike_auth.h.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "ike_auth.h"
#include "ike_crypto.h"

#define PRF_MAX_LEN 64

/* ---- Signed octets (RFC 7296 2.15) ---------------------------------------------- */

/* msg | nonce | prf(SK_p, id) appended to out.  See ike_auth.h. */
int ike_auth_octets(struct ike_buf *out, uint16_t prf,
		    const struct ike_key *sk_p,
		    const uint8_t *msg, size_t msg_len,
		    const uint8_t *nonce, size_t nonce_len,
		    const uint8_t *id, size_t id_len)
{
	uint8_t mac[PRF_MAX_LEN];
	size_t mlen = ike_prf_len(prf);
	int r;

	if (mlen == 0 || mlen > sizeof(mac))
		return -ENOTSUP;
	if (id_len < 4 || !sk_p || !sk_p->ptr)
		return -EINVAL;
	r = ike_prf(prf, sk_p->ptr, sk_p->len, id, id_len, mac);
	if (r < 0)
		return r;
	ike_buf_put(out, msg, msg_len);
	ike_buf_put(out, nonce, nonce_len);
	ike_buf_put(out, mac, mlen);
	return ike_buf_error(out);
}

/* ---- Shared key (RFC 7296 2.15) ------------------------------------------------- */

static const uint8_t key_pad[] = "Key Pad for IKEv2";	/* 17 octets, no NUL */

/* AUTH = prf(prf(secret, "Key Pad for IKEv2"), octets).  See ike_auth.h. */
int ike_auth_psk(uint16_t prf, const uint8_t *secret, size_t secret_len,
		 const uint8_t *octets, size_t octets_len, uint8_t *out)
{
	size_t mlen = ike_prf_len(prf);
	struct ike_key inner;
	int r;

	if (mlen == 0 || mlen > PRF_MAX_LEN)
		return -ENOTSUP;
	if (!secret && secret_len)
		return -EINVAL;
	r = ike_key_alloc(&inner, mlen);
	if (r < 0)
		return r;
	r = ike_prf(prf, secret, secret_len, key_pad, sizeof(key_pad) - 1,
		    inner.ptr);
	if (r >= 0)
		r = ike_prf(prf, inner.ptr, inner.len, octets, octets_len, out);
	ike_key_free(&inner);
	return r < 0 ? r : (int)mlen;
}

/* Constant-time check of a shared-key AUTH.  See ike_auth.h. */
int ike_auth_psk_verify(uint16_t prf, const uint8_t *secret, size_t secret_len,
			const uint8_t *octets, size_t octets_len,
			const uint8_t *auth, size_t auth_len)
{
	uint8_t want[PRF_MAX_LEN];
	int r = ike_auth_psk(prf, secret, secret_len, octets, octets_len, want);

	if (r < 0)
		return r;
	if (auth_len != (size_t)r || sodium_memcmp(want, auth, auth_len) != 0)
		r = -EACCES;
	else
		r = 0;
	sodium_memzero(want, sizeof(want));
	return r;
}

/* EAP: MSK, or SK_p when there is none (RFC 7296 2.16).  See ike_auth.h. */
int ike_auth_eap(uint16_t prf, const uint8_t *msk, size_t msk_len,
		 const struct ike_key *sk_p,
		 const uint8_t *octets, size_t octets_len, uint8_t *out)
{
	if (msk && msk_len)
		return ike_auth_psk(prf, msk, msk_len, octets, octets_len, out);
	if (!sk_p || !sk_p->ptr)
		return -EINVAL;
	return ike_auth_psk(prf, sk_p->ptr, sk_p->len, octets, octets_len, out);
}

/* ---- Signature algorithms ----------------------------------------------------------
 *
 * RFC 7427 section 3 / appendix A: the AlgorithmIdentifier is carried as
 * DER.  We compare the peer's bytes against this table exactly; anything
 * else is refused.  PSS parameters follow RFC 4055 section 3.1 with
 * hashAlgorithm = H, maskGenAlgorithm = mgf1 with H, saltLength = |H|,
 * trailerField default (absent), SHA-2 AlgorithmIdentifiers with NULL
 * parameters (RFC 4055 section 2.1 says to accept both; we emit NULL as
 * RFC 7427 A.4.3 does).
 */
enum sig_scheme { SCHEME_RSA_PKCS1, SCHEME_RSA_PSS, SCHEME_ECDSA, SCHEME_ED25519 };

struct sig_alg {
	uint8_t hash;		/* enum ike_hash_alg */
	uint8_t scheme;		/* enum sig_scheme */
	uint8_t der_len;
	uint8_t der[67];
};

#define OID_PKCS1 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01
#define OID_SHA2  0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02
#define OID_ECDSA_SHA2 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03
/* RSASSA-PSS AlgorithmIdentifier for SHA-2 hash h (1/2/3) and salt s */
#define PSS_ALGID(h, s) \
	0x30, 0x41, OID_PKCS1, 0x0a, 0x30, 0x34, \
	0xa0, 0x0f, 0x30, 0x0d, OID_SHA2, h, 0x05, 0x00, \
	0xa1, 0x1c, 0x30, 0x1a, OID_PKCS1, 0x08, \
	0x30, 0x0d, OID_SHA2, h, 0x05, 0x00, \
	0xa2, 0x03, 0x02, 0x01, s

static const struct sig_alg sig_algs[] = {
	/* sha{1,256,384,512}WithRSAEncryption (RFC 7427 A.1) */
	{ IKE_HASH_SHA1, SCHEME_RSA_PKCS1, 15, { 0x30, 0x0d, OID_PKCS1, 0x05, 0x05, 0x00 } },
	{ IKE_HASH_SHA2_256, SCHEME_RSA_PKCS1, 15, { 0x30, 0x0d, OID_PKCS1, 0x0b, 0x05, 0x00 } },
	{ IKE_HASH_SHA2_384, SCHEME_RSA_PKCS1, 15, { 0x30, 0x0d, OID_PKCS1, 0x0c, 0x05, 0x00 } },
	{ IKE_HASH_SHA2_512, SCHEME_RSA_PKCS1, 15, { 0x30, 0x0d, OID_PKCS1, 0x0d, 0x05, 0x00 } },
	/* RSASSA-PSS (RFC 7427 A.4.3 for SHA-256; same shape for 384/512) */
	{ IKE_HASH_SHA2_256, SCHEME_RSA_PSS, 67, { PSS_ALGID(0x01, 0x20) } },
	{ IKE_HASH_SHA2_384, SCHEME_RSA_PSS, 67, { PSS_ALGID(0x02, 0x30) } },
	{ IKE_HASH_SHA2_512, SCHEME_RSA_PSS, 67, { PSS_ALGID(0x03, 0x40) } },
	/* ecdsa-with-SHA{256,384,512} (RFC 7427 A.3, no parameters) */
	{ IKE_HASH_SHA2_256, SCHEME_ECDSA, 12, { 0x30, 0x0a, OID_ECDSA_SHA2, 0x02 } },
	{ IKE_HASH_SHA2_384, SCHEME_ECDSA, 12, { 0x30, 0x0a, OID_ECDSA_SHA2, 0x03 } },
	{ IKE_HASH_SHA2_512, SCHEME_ECDSA, 12, { 0x30, 0x0a, OID_ECDSA_SHA2, 0x04 } },
	/* id-Ed25519 1.3.101.112 (RFC 8420 section 2, RFC 8410) */
	{ IKE_HASH_IDENTITY, SCHEME_ED25519, 7, { 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70 } },
};
#define N_SIG_ALGS (sizeof(sig_algs) / sizeof(sig_algs[0]))

/* Table entry for (scheme, hash) or NULL. */
static const struct sig_alg *sig_alg_find(int scheme, uint8_t hash)
{
	for (size_t i = 0; i < N_SIG_ALGS; i++)
		if (sig_algs[i].scheme == scheme && sig_algs[i].hash == hash)
			return &sig_algs[i];
	return NULL;
}

/* Table entry whose DER equals der[0..len) exactly, or NULL. */
static const struct sig_alg *sig_alg_by_der(const uint8_t *der, size_t len)
{
	for (size_t i = 0; i < N_SIG_ALGS; i++)
		if (sig_algs[i].der_len == len && memcmp(sig_algs[i].der, der, len) == 0)
			return &sig_algs[i];
	return NULL;
}

/* OpenSSL digest for an RFC 7427 hash identifier (NULL for Identity). */
static const EVP_MD *hash_md(uint8_t hash)
{
	switch (hash) {
	case IKE_HASH_SHA1: return EVP_sha1();
	case IKE_HASH_SHA2_256: return EVP_sha256();
	case IKE_HASH_SHA2_384: return EVP_sha384();
	case IKE_HASH_SHA2_512: return EVP_sha512();
	default: return NULL;
	}
}

/* ---- Keys ---------------------------------------------------------------------- */

enum key_kind { KEY_OTHER, KEY_RSA, KEY_EC, KEY_ED25519 };

/* Kind of an EVP_PKEY (RSA-PSS restricted keys count as "other"). */
static int key_kind(const EVP_PKEY *key)
{
	if (!key)
		return KEY_OTHER;
	if (EVP_PKEY_is_a(key, "RSA"))
		return KEY_RSA;
	if (EVP_PKEY_is_a(key, "EC"))
		return KEY_EC;
	if (EVP_PKEY_is_a(key, "ED25519"))
		return KEY_ED25519;
	return KEY_OTHER;
}

/* Classic ECDSA method (9/10/11) for an EC key's curve, 0 for others. */
static uint8_t ec_classic_method(const EVP_PKEY *key)
{
	char name[64];
	size_t n = 0;
	int nid;

	if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
					   name, sizeof(name), &n) <= 0)
		return 0;
	nid = OBJ_txt2nid(name);
	if (nid == NID_undef)
		nid = EC_curve_nist2nid(name);
	switch (nid) {
	case NID_X9_62_prime256v1: return IKE_AUTH_ECDSA_256;
	case NID_secp384r1: return IKE_AUTH_ECDSA_384;
	case NID_secp521r1: return IKE_AUTH_ECDSA_521;
	default: return 0;
	}
}

/* RFC 4754 section 3: method 9/10/11 -> hash, and r / s length. */
static void ecdsa_classic(uint8_t method, uint8_t *hash, size_t *half)
{
	switch (method) {
	case IKE_AUTH_ECDSA_256: *hash = IKE_HASH_SHA2_256; *half = 32; break;
	case IKE_AUTH_ECDSA_384: *hash = IKE_HASH_SHA2_384; *half = 48; break;
	default: *hash = IKE_HASH_SHA2_512; *half = 66; break;
	}
}

/* Does peer list hashes[0..n) contain h? */
static bool has_hash(const uint16_t *hashes, size_t n, uint8_t h)
{
	for (size_t i = 0; i < n; i++)
		if (hashes[i] == h)
			return true;
	return false;
}

/* Choose method/hash for our key and the peer's list.  See ike_auth.h. */
int ike_auth_sig_choose(const EVP_PKEY *key, const uint16_t *hashes, size_t n,
			bool rsa_pss, struct ike_auth_sig *out)
{
	static const uint8_t rsa_pref[] = {
		IKE_HASH_SHA2_256, IKE_HASH_SHA2_384, IKE_HASH_SHA2_512, IKE_HASH_SHA1,
	};
	uint8_t pref[4], classic;
	size_t npref = 0, half;

	memset(out, 0, sizeof(*out));
	if (!hashes)
		n = 0;
	switch (key_kind(key)) {
	case KEY_RSA:
		if (n == 0)
			goto classic_rsa;
		for (size_t i = 0; i < sizeof(rsa_pref); i++)
			if (has_hash(hashes, n, rsa_pref[i])) {
				out->method = IKE_AUTH_DIGITAL_SIG;
				out->hash = rsa_pref[i];
				/* no PSS with SHA-1 in our table */
				out->rsa_pss = rsa_pss && rsa_pref[i] != IKE_HASH_SHA1;
				return 0;
			}
classic_rsa:
		out->method = IKE_AUTH_RSA_SIG;
		out->hash = IKE_HASH_SHA1;
		return 0;
	case KEY_EC:
		classic = ec_classic_method(key);
		if (classic)
			ecdsa_classic(classic, &pref[npref++], &half);
		pref[npref++] = IKE_HASH_SHA2_256;
		pref[npref++] = IKE_HASH_SHA2_384;
		pref[npref++] = IKE_HASH_SHA2_512;
		for (size_t i = 0; n && i < npref; i++)
			if (has_hash(hashes, n, pref[i])) {
				out->method = IKE_AUTH_DIGITAL_SIG;
				out->hash = pref[i];
				return 0;
			}
		if (!classic)
			return -ENOTSUP;
		out->method = classic;
		ecdsa_classic(classic, &out->hash, &half);
		return 0;
	case KEY_ED25519:
		if (!has_hash(hashes, n, IKE_HASH_IDENTITY))
			return -ENOTSUP;
		out->method = IKE_AUTH_DIGITAL_SIG;
		out->hash = IKE_HASH_IDENTITY;
		return 0;
	default:
		return -ENOTSUP;
	}
}

/* ---- Sign / verify primitives ----------------------------------------------------- */

/*
 * Sign tbs with key using md (NULL for Ed25519) and scheme; *sig is a
 * malloc'ed signature of *sig_len bytes.  Returns 0, -EINVAL, -ENOMEM.
 */
static int evp_sign(EVP_PKEY *key, const EVP_MD *md, int scheme,
		    const uint8_t *tbs, size_t tbs_len,
		    uint8_t **sig, size_t *sig_len)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t *s = NULL;
	size_t len = 0;
	int r = -EINVAL;

	*sig = NULL;
	if (!mctx)
		return -ENOMEM;
	if (EVP_DigestSignInit(mctx, &pctx, md, NULL, key) <= 0)
		goto out;
	if (scheme == SCHEME_RSA_PSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0))
		goto out;
	if (EVP_DigestSign(mctx, NULL, &len, tbs, tbs_len) <= 0 || len == 0)
		goto out;
	s = malloc(len);
	if (!s) {
		r = -ENOMEM;
		goto out;
	}
	if (EVP_DigestSign(mctx, s, &len, tbs, tbs_len) <= 0)
		goto out;
	*sig = s;
	*sig_len = len;
	s = NULL;
	r = 0;
out:
	free(s);
	EVP_MD_CTX_free(mctx);
	return r;
}

/* Verify sig over tbs; 0 when valid, -EACCES otherwise. */
static int evp_verify(EVP_PKEY *key, const EVP_MD *md, int scheme,
		      const uint8_t *tbs, size_t tbs_len,
		      const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int r = -EACCES;

	if (!mctx)
		return -ENOMEM;
	/* RFC 8017 8.1.2 / 8.2.2 step 1: an RSA signature is exactly k
	 * octets; OpenSSL would also accept one with leading zeros stripped */
	if ((scheme == SCHEME_RSA_PKCS1 || scheme == SCHEME_RSA_PSS) &&
	    sig_len != (size_t)EVP_PKEY_get_size(key))
		goto out;
	if (EVP_DigestVerifyInit(mctx, &pctx, md, NULL, key) <= 0)
		goto out;
	if (scheme == SCHEME_RSA_PSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0))
		goto out;
	if (EVP_DigestVerify(mctx, sig, sig_len, tbs, tbs_len) == 1)
		r = 0;
out:
	EVP_MD_CTX_free(mctx);
	ERR_clear_error();
	return r;
}

/* DER ECDSA-Sig-Value -> r | s, each half bytes (RFC 4754 section 7). */
static int ecdsa_der_to_rs(const uint8_t *der, size_t der_len, size_t half,
			   struct ike_buf *out)
{
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	const BIGNUM *r = NULL, *s = NULL;
	uint8_t *o;
	int ret = -EINVAL;

	if (!es)
		return -EINVAL;
	ECDSA_SIG_get0(es, &r, &s);
	o = ike_buf_reserve(out, 2 * half);
	if (!o)
		ret = ike_buf_error(out);
	else if (BN_bn2binpad(r, o, (int)half) == (int)half &&
		 BN_bn2binpad(s, o + half, (int)half) == (int)half)
		ret = 0;
	ECDSA_SIG_free(es);
	return ret;
}

/* r | s (2 * half bytes) -> malloc'ed DER; 0 or -EACCES / -ENOMEM. */
static int ecdsa_rs_to_der(const uint8_t *rs, size_t half,
			   uint8_t **der, size_t *der_len)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(rs, (int)half, NULL);
	BIGNUM *s = BN_bin2bn(rs + half, (int)half, NULL);
	unsigned char *d = NULL;
	int n, ret = -ENOMEM;

	if (!es || !r || !s || !ECDSA_SIG_set0(es, r, s))
		goto out;
	r = s = NULL;	/* owned by es now */
	n = i2d_ECDSA_SIG(es, &d);
	if (n <= 0)
		goto out;
	*der = d;
	*der_len = (size_t)n;
	ret = 0;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return ret;
}

/* Sign per sig and append the AUTH data.  See ike_auth.h. */
int ike_auth_sign(const struct ike_auth_sig *sig, EVP_PKEY *key,
		  const uint8_t *octets, size_t octets_len, struct ike_buf *out)
{
	int kind = key_kind(key), scheme;
	const struct sig_alg *alg = NULL;
	uint8_t *s = NULL, hash = 0;
	size_t slen = 0, half = 0;
	int r;

	switch (sig->method) {
	case IKE_AUTH_RSA_SIG:
		if (kind != KEY_RSA)
			return -EINVAL;
		scheme = SCHEME_RSA_PKCS1;
		hash = IKE_HASH_SHA1;
		break;
	case IKE_AUTH_ECDSA_256:
	case IKE_AUTH_ECDSA_384:
	case IKE_AUTH_ECDSA_521:
		if (kind != KEY_EC || ec_classic_method(key) != sig->method)
			return -EINVAL;
		scheme = SCHEME_ECDSA;
		ecdsa_classic(sig->method, &hash, &half);
		break;
	case IKE_AUTH_DIGITAL_SIG:
		switch (kind) {
		case KEY_RSA:
			scheme = sig->rsa_pss ? SCHEME_RSA_PSS : SCHEME_RSA_PKCS1;
			break;
		case KEY_EC:
			scheme = SCHEME_ECDSA;
			break;
		case KEY_ED25519:
			scheme = SCHEME_ED25519;
			break;
		default:
			return -ENOTSUP;
		}
		hash = sig->hash;
		alg = sig_alg_find(scheme, hash);
		if (!alg)
			return -ENOTSUP;
		break;
	default:
		return -ENOTSUP;
	}
	r = evp_sign(key, hash_md(hash), scheme, octets, octets_len, &s, &slen);
	if (r < 0) {
		ERR_clear_error();
		return r;
	}
	if (alg) {
		/* RFC 7427 section 3: length | AlgorithmIdentifier | signature */
		ike_buf_put_u8(out, alg->der_len);
		ike_buf_put(out, alg->der, alg->der_len);
		ike_buf_put(out, s, slen);
		r = ike_buf_error(out);
	} else if (half) {
		r = ecdsa_der_to_rs(s, slen, half, out);
	} else {
		ike_buf_put(out, s, slen);
		r = ike_buf_error(out);
	}
	free(s);
	return r;
}

/* Verify AUTH data.  See ike_auth.h. */
int ike_auth_verify(uint8_t method, const uint8_t *auth, size_t auth_len,
		    EVP_PKEY *key, const uint8_t *octets, size_t octets_len,
		    struct ike_auth_sig *used)
{
	struct ike_auth_sig u = { .method = method };
	int kind = key_kind(key), scheme, r = -EACCES;
	const struct sig_alg *alg;
	uint8_t *der = NULL;
	size_t half, der_len, alen;

	if (used)
		*used = u;
	if (method != IKE_AUTH_RSA_SIG && method != IKE_AUTH_DIGITAL_SIG &&
	    method != IKE_AUTH_ECDSA_256 && method != IKE_AUTH_ECDSA_384 &&
	    method != IKE_AUTH_ECDSA_521)
		return -ENOTSUP;
	if (!auth || auth_len == 0 || auth_len > IKE_AUTH_MAX_DATA)
		return -EACCES;
	switch (method) {
	case IKE_AUTH_RSA_SIG:
		u.hash = IKE_HASH_SHA1;
		if (used)
			*used = u;
		if (kind != KEY_RSA)
			return -EACCES;
		return evp_verify(key, EVP_sha1(), SCHEME_RSA_PKCS1,
				  octets, octets_len, auth, auth_len);
	case IKE_AUTH_ECDSA_256:
	case IKE_AUTH_ECDSA_384:
	case IKE_AUTH_ECDSA_521:
		ecdsa_classic(method, &u.hash, &half);
		if (used)
			*used = u;
		/* the key's curve must be the method's (RFC 4754 section 3) */
		if (kind != KEY_EC || ec_classic_method(key) != method ||
		    auth_len != 2 * half)
			return -EACCES;
		r = ecdsa_rs_to_der(auth, half, &der, &der_len);
		if (r < 0)
			return r == -ENOMEM ? r : -EACCES;
		r = evp_verify(key, hash_md(u.hash), SCHEME_ECDSA,
			       octets, octets_len, der, der_len);
		OPENSSL_free(der);
		return r;
	case IKE_AUTH_DIGITAL_SIG:
		break;
	default:
		return -ENOTSUP;
	}
	/* RFC 7427 section 3: ASN.1 length (1) | AlgorithmIdentifier | sig */
	alen = auth[0];
	if (alen == 0 || auth_len - 1 <= alen)
		return -EACCES;
	alg = sig_alg_by_der(auth + 1, alen);
	if (!alg)
		return -EACCES;
	u.hash = alg->hash;
	u.rsa_pss = alg->scheme == SCHEME_RSA_PSS;
	if (used)
		*used = u;
	scheme = alg->scheme;
	/* no algorithm substitution: the AlgorithmIdentifier must fit the
	 * key from the certificate */
	switch (scheme) {
	case SCHEME_RSA_PKCS1:
	case SCHEME_RSA_PSS:
		if (kind != KEY_RSA)
			return -EACCES;
		break;
	case SCHEME_ECDSA:
		if (kind != KEY_EC)
			return -EACCES;
		break;
	default:
		if (kind != KEY_ED25519)
			return -EACCES;
		break;
	}
	return evp_verify(key, hash_md(alg->hash), scheme, octets, octets_len,
			  auth + 1 + alen, auth_len - 1 - alen);
}
