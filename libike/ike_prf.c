/*
 * ike_prf.c — IKEv2 pseudo-random functions and integrity MACs.
 *
 *  HMAC-SHA1 / SHA2-256/384/512     RFC 2104, RFC 4868 (via EVP_MAC "HMAC")
 *  AES-XCBC-MAC / AES-XCBC-PRF-128  RFC 3566, RFC 4434 (own code on AES-ECB)
 *  AES-CMAC / AES-CMAC-PRF-128      RFC 4493, RFC 4615 (via EVP_MAC "CMAC")
 *  prf+                             RFC 7296 section 2.13
 *
 * Every entry point takes its input as a list of chunks so callers never
 * have to concatenate secrets into scratch buffers.  Intermediate key
 * material (derived XCBC subkeys, prf+ feedback blocks) is cleansed.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "ike_crypto.h"

#define AES_BLOCK 16
#define MAC_MAX 64		/* largest MAC output (HMAC-SHA-512) */

enum mac_kind { MAC_HMAC, MAC_XCBC, MAC_CMAC };

/*
 * One keyed MAC computation.  For HMAC and CMAC a keyed template context is
 * kept in "tmpl" and duplicated for each run (prf+ reuses one key many
 * times); XCBC is implemented here on top of AES-128-ECB.
 */
struct mac {
	enum mac_kind kind;
	size_t outlen;
	EVP_MAC_CTX *tmpl;	/* HMAC / CMAC: keyed, never finalised */
	EVP_MAC_CTX *run;	/* HMAC / CMAC: current computation */
	EVP_CIPHER_CTX *ecb;	/* XCBC: AES-128-ECB keyed with K1 */
	uint8_t k2[AES_BLOCK], k3[AES_BLOCK];	/* XCBC subkeys */
	uint8_t e[AES_BLOCK];	/* XCBC chaining value */
	uint8_t buf[AES_BLOCK];	/* XCBC pending block */
	size_t blen;
};

/* HMAC digest name of a PRF or integrity transform; NULL when not HMAC. */
static const char *prf_digest(uint16_t prf)
{
	switch (prf) {
	case IKE_PRF_HMAC_SHA1: return "SHA1";
	case IKE_PRF_HMAC_SHA2_256: return "SHA2-256";
	case IKE_PRF_HMAC_SHA2_384: return "SHA2-384";
	case IKE_PRF_HMAC_SHA2_512: return "SHA2-512";
	default: return NULL;
	}
}

/* Output length of a PRF in bytes, 0 when we do not implement it. */
size_t ike_prf_len(uint16_t prf)
{
	switch (prf) {
	case IKE_PRF_HMAC_SHA1: return 20;
	case IKE_PRF_HMAC_SHA2_256: return 32;
	case IKE_PRF_HMAC_SHA2_384: return 48;
	case IKE_PRF_HMAC_SHA2_512: return 64;
	case IKE_PRF_AES128_XCBC: return 16;
	case IKE_PRF_AES128_CMAC: return 16;
	default: return 0;
	}
}

/* Preferred key length (RFC 7296 2.13/2.14: SK_d, SK_pi, SK_pr sizes). */
size_t ike_prf_keylen(uint16_t prf)
{
	return ike_prf_len(prf);	/* XCBC/CMAC: 16 = output length */
}

/* Release a MAC object and cleanse the key-dependent state. */
static void mac_free(struct mac *m)
{
	EVP_MAC_CTX_free(m->tmpl);
	EVP_MAC_CTX_free(m->run);
	EVP_CIPHER_CTX_free(m->ecb);
	OPENSSL_cleanse(m, sizeof(*m));
}

/* Encrypt one AES block with the ECB context (no padding). */
static int aes_block(EVP_CIPHER_CTX *ecb, const uint8_t in[AES_BLOCK],
		     uint8_t out[AES_BLOCK])
{
	int outl = 0;

	if (EVP_EncryptUpdate(ecb, out, &outl, in, AES_BLOCK) != 1 ||
	    outl != AES_BLOCK)
		return -EINVAL;
	return 0;
}

/* XCBC key set-up (RFC 3566 2.2 steps 1-2): K1, K2, K3 from K. */
static int xcbc_setkey(struct mac *m, const uint8_t key[AES_BLOCK])
{
	uint8_t c[AES_BLOCK], k1[AES_BLOCK];
	int r = -ENOMEM;

	m->ecb = EVP_CIPHER_CTX_new();
	if (!m->ecb)
		return -ENOMEM;
	if (EVP_EncryptInit_ex(m->ecb, EVP_aes_128_ecb(), NULL, key, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(m->ecb, 0) != 1)
		goto out;
	memset(c, 0x01, sizeof(c));
	if ((r = aes_block(m->ecb, c, k1)) < 0)
		goto out;
	memset(c, 0x02, sizeof(c));
	if ((r = aes_block(m->ecb, c, m->k2)) < 0)
		goto out;
	memset(c, 0x03, sizeof(c));
	if ((r = aes_block(m->ecb, c, m->k3)) < 0)
		goto out;
	r = -EINVAL;
	if (EVP_EncryptInit_ex(m->ecb, NULL, NULL, k1, NULL) != 1)
		goto out;
	r = 0;
out:
	OPENSSL_cleanse(k1, sizeof(k1));
	return r;
}

/*
 * Key a MAC object.  HMAC accepts any key length; XCBC and CMAC need
 * exactly 16 bytes (the PRF key rules are applied by the caller).
 */
static int mac_init(struct mac *m, enum mac_kind kind, const char *digest,
		    const uint8_t *key, size_t keylen)
{
	static const uint8_t empty[1];
	OSSL_PARAM params[2];
	EVP_MAC *mac;
	int r;

	memset(m, 0, sizeof(*m));
	m->kind = kind;
	if (kind == MAC_XCBC) {
		if (keylen != AES_BLOCK)
			return -EINVAL;
		m->outlen = AES_BLOCK;
		r = xcbc_setkey(m, key);
		if (r < 0)
			mac_free(m);
		return r;
	}
	if (kind == MAC_CMAC) {
		if (keylen != AES_BLOCK)
			return -EINVAL;
		params[0] = OSSL_PARAM_construct_utf8_string(
			OSSL_MAC_PARAM_CIPHER, (char *)"AES-128-CBC", 0);
	} else {
		params[0] = OSSL_PARAM_construct_utf8_string(
			OSSL_MAC_PARAM_DIGEST, (char *)digest, 0);
	}
	params[1] = OSSL_PARAM_construct_end();
	mac = EVP_MAC_fetch(NULL, kind == MAC_CMAC ? "CMAC" : "HMAC", NULL);
	if (!mac)
		return -ENOTSUP;
	m->tmpl = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	if (!m->tmpl)
		return -ENOMEM;
	if (EVP_MAC_init(m->tmpl, keylen ? key : empty, keylen, params) != 1) {
		mac_free(m);
		return -EINVAL;
	}
	m->outlen = EVP_MAC_CTX_get_mac_size(m->tmpl);
	if (m->outlen == 0 || m->outlen > MAC_MAX) {
		mac_free(m);
		return -EINVAL;
	}
	return 0;
}

/* Start a new computation with the key given to mac_init. */
static int mac_start(struct mac *m)
{
	if (m->kind == MAC_XCBC) {
		memset(m->e, 0, sizeof(m->e));
		m->blen = 0;
		return 0;
	}
	EVP_MAC_CTX_free(m->run);
	m->run = EVP_MAC_CTX_dup(m->tmpl);
	return m->run ? 0 : -ENOMEM;
}

/* XCBC: absorb the pending full block into the chaining value. */
static int xcbc_absorb(struct mac *m)
{
	for (size_t i = 0; i < AES_BLOCK; i++)
		m->e[i] ^= m->buf[i];
	m->blen = 0;
	return aes_block(m->ecb, m->e, m->e);
}

/* Feed n bytes.  XCBC keeps the last (possibly full) block back, because
 * the final block is treated differently (RFC 3566 2.2 step 3). */
static int mac_update(struct mac *m, const uint8_t *p, size_t n)
{
	if (n == 0)
		return 0;
	if (m->kind != MAC_XCBC)
		return EVP_MAC_update(m->run, p, n) == 1 ? 0 : -EINVAL;
	while (n > 0) {
		size_t take;

		if (m->blen == AES_BLOCK) {
			int r = xcbc_absorb(m);

			if (r < 0)
				return r;
		}
		take = AES_BLOCK - m->blen;
		if (take > n)
			take = n;
		memcpy(m->buf + m->blen, p, take);
		m->blen += take;
		p += take;
		n -= take;
	}
	return 0;
}

/* Finish; writes m->outlen bytes to out. */
static int mac_final(struct mac *m, uint8_t *out)
{
	if (m->kind != MAC_XCBC) {
		size_t outl = 0;

		if (EVP_MAC_final(m->run, out, &outl, m->outlen) != 1 ||
		    outl != m->outlen)
			return -EINVAL;
		return 0;
	}
	/* RFC 3566 2.2 step 3: full last block ^ K2, else 10* padding ^ K3 */
	if (m->blen == AES_BLOCK) {
		for (size_t i = 0; i < AES_BLOCK; i++)
			m->buf[i] ^= m->k2[i];
	} else {
		m->buf[m->blen] = 0x80;
		for (size_t i = m->blen + 1; i < AES_BLOCK; i++)
			m->buf[i] = 0;
		for (size_t i = 0; i < AES_BLOCK; i++)
			m->buf[i] ^= m->k3[i];
	}
	m->blen = AES_BLOCK;
	if (xcbc_absorb(m) < 0)
		return -EINVAL;
	memcpy(out, m->e, AES_BLOCK);
	return 0;
}

/* One complete MAC over a chunk list with an already keyed object. */
static int mac_run(struct mac *m, const struct ike_chunk *data, size_t n,
		   uint8_t *out)
{
	int r = mac_start(m);

	for (size_t i = 0; r == 0 && i < n; i++)
		r = mac_update(m, data[i].ptr, data[i].len);
	if (r == 0)
		r = mac_final(m, out);
	return r;
}

/* Full AES-XCBC-MAC (RFC 3566) with a 16-byte key. */
int ike_aes_xcbc_mac(const uint8_t key[16], const struct ike_chunk *data,
		     size_t n, uint8_t out[16])
{
	struct mac m;
	int r = mac_init(&m, MAC_XCBC, NULL, key, AES_BLOCK);

	if (r < 0)
		return r;
	r = mac_run(&m, data, n, out);
	mac_free(&m);
	return r;
}

/* Full AES-CMAC (RFC 4493) with a 16-byte key. */
int ike_aes_cmac(const uint8_t key[16], const struct ike_chunk *data,
		 size_t n, uint8_t out[16])
{
	struct mac m;
	int r = mac_init(&m, MAC_CMAC, NULL, key, AES_BLOCK);

	if (r < 0)
		return r;
	r = mac_run(&m, data, n, out);
	mac_free(&m);
	return r;
}

/*
 * Key a MAC object for a PRF, applying the fixed-key-size rules:
 * AES-XCBC-PRF-128 (RFC 4434 section 2): 16 bytes as is, shorter keys
 * zero-padded on the right, longer keys replaced by XCBC(0^128, key).
 * AES-CMAC-PRF-128 (RFC 4615 section 3): 16 bytes as is, any other length
 * replaced by CMAC(0^128, key).
 */
static int prf_init(struct mac *m, uint16_t prf, const uint8_t *key,
		    size_t keylen)
{
	static const uint8_t zero[AES_BLOCK];
	uint8_t k[AES_BLOCK];
	struct ike_chunk c = { key, keylen };
	int r;

	if (keylen > 0 && !key)
		return -EINVAL;
	switch (prf) {
	case IKE_PRF_HMAC_SHA1:
	case IKE_PRF_HMAC_SHA2_256:
	case IKE_PRF_HMAC_SHA2_384:
	case IKE_PRF_HMAC_SHA2_512:
		return mac_init(m, MAC_HMAC, prf_digest(prf), key, keylen);
	case IKE_PRF_AES128_XCBC:
		if (keylen == AES_BLOCK) {
			memcpy(k, key, AES_BLOCK);
		} else if (keylen < AES_BLOCK) {
			memset(k, 0, sizeof(k));
			if (keylen)
				memcpy(k, key, keylen);
		} else if ((r = ike_aes_xcbc_mac(zero, &c, 1, k)) < 0) {
			return r;
		}
		r = mac_init(m, MAC_XCBC, NULL, k, AES_BLOCK);
		break;
	case IKE_PRF_AES128_CMAC:
		if (keylen == AES_BLOCK)
			memcpy(k, key, AES_BLOCK);
		else if ((r = ike_aes_cmac(zero, &c, 1, k)) < 0)
			return r;
		r = mac_init(m, MAC_CMAC, NULL, k, AES_BLOCK);
		break;
	default:
		return -ENOTSUP;
	}
	OPENSSL_cleanse(k, sizeof(k));
	return r;
}

/* prf(key, data[0] | ... | data[n-1]); out holds ike_prf_len(prf) bytes. */
int ike_prf_chunks(uint16_t prf, const uint8_t *key, size_t keylen,
		   const struct ike_chunk *data, size_t n, uint8_t *out)
{
	struct mac m;
	int r = prf_init(&m, prf, key, keylen);

	if (r < 0)
		return r;
	r = mac_run(&m, data, n, out);
	mac_free(&m);
	return r;
}

/* prf(key, data); out holds ike_prf_len(prf) bytes. */
int ike_prf(uint16_t prf, const uint8_t *key, size_t keylen,
	    const uint8_t *data, size_t datalen, uint8_t *out)
{
	struct ike_chunk c = { data, datalen };

	return ike_prf_chunks(prf, key, keylen, &c, 1, out);
}

/*
 * prf+ (RFC 7296 2.13): T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n),
 * out = T1 | T2 | ... truncated to outlen.  More than 255 blocks: -EINVAL.
 * The seed S is the concatenation of the n chunks.
 */
int ike_prf_plus_chunks(uint16_t prf, const uint8_t *key, size_t keylen,
			const struct ike_chunk *seed, size_t n,
			uint8_t *out, size_t outlen)
{
	uint8_t t[MAC_MAX];
	size_t plen = ike_prf_len(prf), done = 0, tlen = 0;
	uint8_t counter = 1;
	struct mac m;
	int r;

	if (plen == 0)
		return -ENOTSUP;
	if (outlen > 255 * plen || (n > 0 && !seed))
		return -EINVAL;
	r = prf_init(&m, prf, key, keylen);
	if (r < 0)
		return r;
	while (r == 0 && done < outlen) {
		size_t take = outlen - done < plen ? outlen - done : plen;

		r = mac_start(&m);
		if (r == 0)
			r = mac_update(&m, t, tlen);
		for (size_t i = 0; r == 0 && i < n; i++)
			r = mac_update(&m, seed[i].ptr, seed[i].len);
		if (r == 0)
			r = mac_update(&m, &counter, 1);
		if (r == 0)
			r = mac_final(&m, t);
		if (r < 0)
			break;
		tlen = plen;
		memcpy(out + done, t, take);
		done += take;
		counter++;
	}
	OPENSSL_cleanse(t, sizeof(t));
	mac_free(&m);
	if (r < 0 && outlen)
		OPENSSL_cleanse(out, outlen);
	return r;
}

/* prf+ with a single-buffer seed. */
int ike_prf_plus(uint16_t prf, const uint8_t *key, size_t keylen,
		 const uint8_t *seed, size_t seedlen, uint8_t *out, size_t outlen)
{
	struct ike_chunk c = { seed, seedlen };

	return ike_prf_plus_chunks(prf, key, keylen, &c, 1, out, outlen);
}

/* Key length of an integrity transform in bytes, 0 when unsupported. */
size_t ike_integ_key_len(uint16_t integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA1_96: return 20;
	case IKE_INTEG_AES_XCBC_96: return 16;
	case IKE_INTEG_AES_CMAC_96: return 16;
	case IKE_INTEG_HMAC_SHA2_256_128: return 32;
	case IKE_INTEG_HMAC_SHA2_384_192: return 48;
	case IKE_INTEG_HMAC_SHA2_512_256: return 64;
	default: return 0;
	}
}

/* Truncated ICV length of an integrity transform, 0 when unsupported. */
size_t ike_integ_icv_len(uint16_t integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA1_96: return 12;
	case IKE_INTEG_AES_XCBC_96: return 12;
	case IKE_INTEG_AES_CMAC_96: return 12;
	case IKE_INTEG_HMAC_SHA2_256_128: return 16;
	case IKE_INTEG_HMAC_SHA2_384_192: return 24;
	case IKE_INTEG_HMAC_SHA2_512_256: return 32;
	default: return 0;
	}
}

/*
 * ICV = truncate(MAC(key, data)) for an integrity transform (RFC 7296 3.14,
 * RFC 2404, RFC 3566, RFC 4494, RFC 4868); writes ike_integ_icv_len bytes.
 */
int ike_integ_mac(uint16_t integ, const uint8_t *key, size_t keylen,
		  const struct ike_chunk *data, size_t n, uint8_t *out)
{
	uint8_t full[MAC_MAX];
	size_t icv = ike_integ_icv_len(integ);
	struct mac m;
	int r;

	if (icv == 0)
		return -ENOTSUP;
	if (keylen != ike_integ_key_len(integ) || !key)
		return -EINVAL;
	switch (integ) {
	case IKE_INTEG_HMAC_SHA1_96:
		r = mac_init(&m, MAC_HMAC, "SHA1", key, keylen);
		break;
	case IKE_INTEG_HMAC_SHA2_256_128:
		r = mac_init(&m, MAC_HMAC, "SHA2-256", key, keylen);
		break;
	case IKE_INTEG_HMAC_SHA2_384_192:
		r = mac_init(&m, MAC_HMAC, "SHA2-384", key, keylen);
		break;
	case IKE_INTEG_HMAC_SHA2_512_256:
		r = mac_init(&m, MAC_HMAC, "SHA2-512", key, keylen);
		break;
	case IKE_INTEG_AES_XCBC_96:
		r = mac_init(&m, MAC_XCBC, NULL, key, keylen);
		break;
	case IKE_INTEG_AES_CMAC_96:
		r = mac_init(&m, MAC_CMAC, NULL, key, keylen);
		break;
	default:
		return -ENOTSUP;
	}
	if (r < 0)
		return r;
	r = mac_run(&m, data, n, full);
	mac_free(&m);
	if (r == 0)
		memcpy(out, full, icv);
	OPENSSL_cleanse(full, sizeof(full));
	return r;
}
