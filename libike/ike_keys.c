/*
 * ike_keys.c — the IKEv2 key schedule.
 *
 *  SKEYSEED and SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr
 *                                   RFC 7296 section 2.14
 *  rekeyed IKE SA (old PRF, old SK_d) RFC 7296 section 2.18
 *  CHILD_SA KEYMAT (with/without PFS) RFC 7296 section 2.17
 *
 * SKEYSEED and the prf+ output live in guarded memory and are wiped; every
 * derived key is its own struct ike_key.
 */
#include <string.h>

#include <sodium.h>

#include "ike_crypto.h"

#define PRF_MAX 64		/* largest PRF output (HMAC-SHA-512) */
#define FIXED_KEY_HALF 8	/* RFC 7296 2.14: 64 bits of each nonce */

/* True for PRFs with a fixed 128-bit key (RFC 7296 2.14 special case). */
static bool prf_fixed_key(uint16_t prf)
{
	return prf == IKE_PRF_AES128_XCBC || prf == IKE_PRF_AES128_CMAC;
}

/* Leave every key of the set empty (does not free: the caller owns them). */
static void keys_clear(struct ike_sa_keys *k)
{
	struct ike_key *all[] = { &k->sk_d, &k->sk_ai, &k->sk_ar, &k->sk_ei,
				  &k->sk_er, &k->sk_pi, &k->sk_pr };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		all[i]->ptr = NULL;
		all[i]->len = 0;
	}
}

/* Wipe and free all seven keys; algorithm fields are kept. */
void ike_sa_keys_free(struct ike_sa_keys *keys)
{
	ike_key_free(&keys->sk_d);
	ike_key_free(&keys->sk_ai);
	ike_key_free(&keys->sk_ar);
	ike_key_free(&keys->sk_ei);
	ike_key_free(&keys->sk_er);
	ike_key_free(&keys->sk_pi);
	ike_key_free(&keys->sk_pr);
}

/*
 * Check the algorithm set of keys and compute the per-key lengths.
 * AEAD ciphers carry no separate integrity transform (RFC 5282 section 8);
 * any other cipher needs one.
 */
static int keys_lengths(const struct ike_sa_keys *k, size_t *prf_key,
			size_t *integ_key, size_t *encr_key)
{
	*prf_key = ike_prf_keylen(k->prf);
	*encr_key = ike_encr_keymat_len(k->encr, k->encr_keylen);
	if (*prf_key == 0 || *encr_key == 0)
		return -ENOTSUP;
	if (ike_encr_is_aead(k->encr)) {
		if (k->integ != IKE_INTEG_NONE)
			return -EINVAL;
		*integ_key = 0;
	} else {
		*integ_key = ike_integ_key_len(k->integ);
		if (*integ_key == 0)
			return -ENOTSUP;
	}
	return 0;
}

/* Copy n bytes at *off of the prf+ stream into a fresh guarded key. */
static int take_key(struct ike_key *dst, const struct ike_key *stream,
		    size_t *off, size_t n)
{
	int r;

	if (n == 0)
		return 0;	/* AEAD: SK_ai / SK_ar stay empty */
	r = ike_key_dup(dst, stream->ptr + *off, n);
	*off += n;
	return r;
}

/*
 * Second half of 2.14: {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi |
 * SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) with keys->prf.
 */
static int keys_expand(struct ike_sa_keys *keys, const uint8_t *skeyseed,
		       size_t skeyseed_len,
		       const uint8_t *ni, size_t ni_len,
		       const uint8_t *nr, size_t nr_len,
		       const uint8_t spi_i[8], const uint8_t spi_r[8])
{
	struct ike_chunk seed[4] = {
		{ ni, ni_len }, { nr, nr_len }, { spi_i, 8 }, { spi_r, 8 },
	};
	size_t pk, ik, ek, total, off = 0;
	struct ike_key stream = { NULL, 0 };
	int r;

	r = keys_lengths(keys, &pk, &ik, &ek);
	if (r < 0)
		return r;
	total = 3 * pk + 2 * ik + 2 * ek;	/* all bounded by 64: no overflow */
	r = ike_key_alloc(&stream, total);
	if (r < 0)
		return r;
	r = ike_prf_plus_chunks(keys->prf, skeyseed, skeyseed_len, seed, 4,
				stream.ptr, total);
	if (r == 0)
		r = take_key(&keys->sk_d, &stream, &off, pk);
	if (r == 0)
		r = take_key(&keys->sk_ai, &stream, &off, ik);
	if (r == 0)
		r = take_key(&keys->sk_ar, &stream, &off, ik);
	if (r == 0)
		r = take_key(&keys->sk_ei, &stream, &off, ek);
	if (r == 0)
		r = take_key(&keys->sk_er, &stream, &off, ek);
	if (r == 0)
		r = take_key(&keys->sk_pi, &stream, &off, pk);
	if (r == 0)
		r = take_key(&keys->sk_pr, &stream, &off, pk);
	ike_key_free(&stream);
	if (r < 0)
		ike_sa_keys_free(keys);
	return r;
}

/* Common argument checks for the nonce / SPI / shared secret inputs. */
static int check_inputs(const uint8_t *ni, size_t ni_len,
			const uint8_t *nr, size_t nr_len,
			const uint8_t *shared, size_t shared_len,
			const uint8_t *spi_i, const uint8_t *spi_r)
{
	if (!ni || !nr || !spi_i || !spi_r || (shared_len && !shared))
		return -EINVAL;
	if (ni_len > IKE_MAX_NONCE_LEN || nr_len > IKE_MAX_NONCE_LEN)
		return -EINVAL;
	if (shared_len > IKE_MAX_MSG_LEN)
		return -EINVAL;
	return 0;
}

/*
 * RFC 7296 2.14: SKEYSEED = prf(Ni | Nr, g^ir), then keys_expand().  For
 * AES-XCBC-PRF-128 and AES-CMAC-PRF-128 the key is the first 64 bits of
 * Ni followed by the first 64 bits of Nr.  The caller sets keys->prf,
 * encr, encr_keylen and integ; the seven key fields are overwritten.
 */
int ike_derive_ike_keys(struct ike_sa_keys *keys,
			const uint8_t *ni, size_t ni_len,
			const uint8_t *nr, size_t nr_len,
			const uint8_t *shared, size_t shared_len,
			const uint8_t spi_i[8], const uint8_t spi_r[8])
{
	uint8_t nonces[2 * IKE_MAX_NONCE_LEN];
	uint8_t skeyseed[PRF_MAX];
	size_t plen = ike_prf_len(keys->prf), klen;
	int r;

	keys_clear(keys);
	if (plen == 0)
		return -ENOTSUP;
	r = check_inputs(ni, ni_len, nr, nr_len, shared, shared_len, spi_i, spi_r);
	if (r < 0)
		return r;
	if (prf_fixed_key(keys->prf)) {
		if (ni_len < FIXED_KEY_HALF || nr_len < FIXED_KEY_HALF)
			return -EINVAL;
		memcpy(nonces, ni, FIXED_KEY_HALF);
		memcpy(nonces + FIXED_KEY_HALF, nr, FIXED_KEY_HALF);
		klen = 2 * FIXED_KEY_HALF;
	} else {
		memcpy(nonces, ni, ni_len);
		memcpy(nonces + ni_len, nr, nr_len);
		klen = ni_len + nr_len;
	}
	r = ike_prf(keys->prf, nonces, klen, shared, shared_len, skeyseed);
	if (r == 0)
		r = keys_expand(keys, skeyseed, plen, ni, ni_len, nr, nr_len,
				spi_i, spi_r);
	sodium_memzero(skeyseed, sizeof(skeyseed));
	return r;
}

/*
 * RFC 7296 2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) with the
 * OLD SA's PRF; the new keys use new_keys->prf and the new SPIs.
 */
int ike_derive_rekeyed_ike_keys(struct ike_sa_keys *new_keys,
				uint16_t old_prf, const struct ike_key *old_sk_d,
				const uint8_t *ni, size_t ni_len,
				const uint8_t *nr, size_t nr_len,
				const uint8_t *shared, size_t shared_len,
				const uint8_t spi_i[8], const uint8_t spi_r[8])
{
	struct ike_chunk data[3] = {
		{ shared, shared_len }, { ni, ni_len }, { nr, nr_len },
	};
	uint8_t skeyseed[PRF_MAX];
	size_t plen = ike_prf_len(old_prf);
	int r;

	keys_clear(new_keys);
	if (plen == 0 || ike_prf_len(new_keys->prf) == 0)
		return -ENOTSUP;
	if (!old_sk_d || !old_sk_d->ptr || old_sk_d->len == 0)
		return -EINVAL;
	r = check_inputs(ni, ni_len, nr, nr_len, shared, shared_len, spi_i, spi_r);
	if (r < 0)
		return r;
	r = ike_prf_chunks(old_prf, old_sk_d->ptr, old_sk_d->len, data, 3,
			   skeyseed);
	if (r == 0)
		r = keys_expand(new_keys, skeyseed, plen, ni, ni_len, nr, nr_len,
				spi_i, spi_r);
	sodium_memzero(skeyseed, sizeof(skeyseed));
	return r;
}

/*
 * RFC 7296 2.17: KEYMAT = prf+(SK_d, Ni | Nr), or with PFS
 * prf+(SK_d, g^ir (new) | Ni | Nr).  out is allocated (guarded) with
 * outlen bytes; on error it is left empty.
 */
int ike_derive_child_keymat(uint16_t prf, const struct ike_key *sk_d,
			    const uint8_t *shared, size_t shared_len,
			    const uint8_t *ni, size_t ni_len,
			    const uint8_t *nr, size_t nr_len,
			    struct ike_key *out, size_t outlen)
{
	struct ike_chunk seed[3] = {
		{ shared, shared_len }, { ni, ni_len }, { nr, nr_len },
	};
	int r;

	out->ptr = NULL;
	out->len = 0;
	if (ike_prf_len(prf) == 0)
		return -ENOTSUP;
	if (!sk_d || !sk_d->ptr || sk_d->len == 0 || !ni || !nr ||
	    (shared_len && !shared) || ni_len > IKE_MAX_NONCE_LEN ||
	    nr_len > IKE_MAX_NONCE_LEN || shared_len > IKE_MAX_MSG_LEN ||
	    outlen == 0 || outlen > 255 * ike_prf_len(prf))
		return -EINVAL;
	r = ike_key_alloc(out, outlen);
	if (r < 0)
		return r;
	r = ike_prf_plus_chunks(prf, sk_d->ptr, sk_d->len,
				shared_len ? seed : seed + 1,
				shared_len ? 3 : 2, out->ptr, outlen);
	if (r < 0)
		ike_key_free(out);
	return r;
}
