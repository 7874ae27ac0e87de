/*
 * ike_crypto.h — IKEv2 key schedule and SK payload protection.
 *
 *  PRF / prf+                 RFC 7296 2.13, RFC 4434 (AES-XCBC-PRF-128)
 *  SKEYSEED, SK_d..SK_pr      RFC 7296 2.14; rekeyed SKEYSEED 2.18
 *  CHILD_SA KEYMAT            RFC 7296 2.17 (with and without PFS)
 *  SK encrypt/decrypt         RFC 7296 3.14, RFC 5282 (AES-GCM), RFC 7383
 *
 * All key material is held in struct ike_key (guarded memory, wiped on free).
 * This header is owned by the crypto-a module (ike_prf.c, ike_keys.c,
 * ike_sk_crypt.c); the signatures below are the contract other modules use.
 */
#ifndef RAG_IKE_CRYPTO_H
#define RAG_IKE_CRYPTO_H

#include "ike.h"

/* ---- PRF ------------------------------------------------------------------ */
/* Supported: HMAC-SHA1, HMAC-SHA2-256/384/512, AES128-XCBC, AES128-CMAC
 * (not HMAC-MD5).  Unknown PRF: -ENOTSUP. */
/* output length of a PRF (bytes) or 0 when unsupported */
size_t ike_prf_len(uint16_t prf);
/* preferred key length of a PRF (bytes): = output length; XCBC: 16 */
size_t ike_prf_keylen(uint16_t prf);
/* out must hold ike_prf_len(prf) bytes.  XCBC keys of other lengths are
 * handled as RFC 4434 section 2 says (shorter padded, longer hashed);
 * CMAC keys as RFC 4615 section 3 says (any other length hashed). */
int ike_prf(uint16_t prf, const uint8_t *key, size_t keylen,
	    const uint8_t *data, size_t datalen, uint8_t *out);
/* prf+ (RFC 7296 2.13): fill out[0..outlen) = T1 | T2 | ...;
 * at most 255 iterations, else -EINVAL. */
int ike_prf_plus(uint16_t prf, const uint8_t *key, size_t keylen,
		 const uint8_t *seed, size_t seedlen, uint8_t *out, size_t outlen);

/* Multi-part forms: the data (seed) is the concatenation of n chunks, so
 * secrets such as g^ir never need to be copied into a scratch buffer. */
int ike_prf_chunks(uint16_t prf, const uint8_t *key, size_t keylen,
		   const struct ike_chunk *data, size_t n, uint8_t *out);
int ike_prf_plus_chunks(uint16_t prf, const uint8_t *key, size_t keylen,
			const struct ike_chunk *seed, size_t n,
			uint8_t *out, size_t outlen);

/* ---- MAC primitives (exposed for known-answer tests and the SK code) ---------- */
/* AES-XCBC-MAC (RFC 3566) with a 16-byte key; full 16-byte output */
int ike_aes_xcbc_mac(const uint8_t key[16], const struct ike_chunk *data,
		     size_t n, uint8_t out[16]);
/* AES-CMAC (RFC 4493) with a 16-byte key; full 16-byte output */
int ike_aes_cmac(const uint8_t key[16], const struct ike_chunk *data,
		 size_t n, uint8_t out[16]);
/* Integrity transform over the chunks; writes ike_integ_icv_len(integ)
 * bytes (the truncated ICV).  keylen must be ike_integ_key_len(integ). */
int ike_integ_mac(uint16_t integ, const uint8_t *key, size_t keylen,
		  const struct ike_chunk *data, size_t n, uint8_t *out);
/* AES-GCM with a 12-byte nonce (the raw AEAD under RFC 5282), key 16/24/32
 * bytes, tag 8/12/16 bytes.  out may equal in.  open returns -EBADMSG when
 * the tag does not verify (out is then wiped). */
int ike_aes_gcm_seal(const uint8_t *key, size_t keylen, const uint8_t nonce[12],
		     const uint8_t *aad, size_t aadlen,
		     const uint8_t *in, size_t len, uint8_t *out,
		     uint8_t *tag, size_t taglen);
int ike_aes_gcm_open(const uint8_t *key, size_t keylen, const uint8_t nonce[12],
		     const uint8_t *aad, size_t aadlen,
		     const uint8_t *in, size_t len, uint8_t *out,
		     const uint8_t *tag, size_t taglen);

/* ---- Algorithm facts --------------------------------------------------------- */
/* Supported ENCR: AES-CBC 128/192/256, 3DES (legacy), AES-GCM 8/12/16 at
 * 128/192/256 bits.  INTEG: HMAC-SHA1-96, HMAC-SHA2-256-128/384-192/512-256,
 * AES-XCBC-96, AES-CMAC-96.  Unsupported: 0 from every query below. */
bool ike_encr_is_aead(uint16_t encr);
/* key bytes for ENCR (keylen_bits from the attribute; 0 = default/fixed),
 * including the 4-byte salt for AES-GCM; 0 when unsupported/invalid */
size_t ike_encr_keymat_len(uint16_t encr, uint16_t keylen_bits);
size_t ike_encr_iv_len(uint16_t encr);		/* IV carried in SK payload */
size_t ike_encr_block_len(uint16_t encr);	/* padding alignment (GCM: 1) */
size_t ike_encr_icv_len(uint16_t encr);		/* AEAD tag, 0 for others */
size_t ike_integ_key_len(uint16_t integ);
size_t ike_integ_icv_len(uint16_t integ);	/* truncated output */

/* ---- IKE SA keys (RFC 7296 2.14) ------------------------------------------------ */
struct ike_sa_keys {
	uint16_t prf;
	uint16_t encr;
	uint16_t encr_keylen;	/* bits, 0 when the cipher has a fixed size */
	uint16_t integ;		/* IKE_INTEG_NONE with AEAD */
	struct ike_key sk_d, sk_ai, sk_ar, sk_ei, sk_er, sk_pi, sk_pr;
};

/*
 * SKEYSEED = prf(Ni | Nr, g^ir) and {SK_d | SK_ai | SK_ar | SK_ei | SK_er |
 * SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr).  Ni/Nr are the nonce
 * payload bodies; spi_i/spi_r 8 bytes each.  For AES-XCBC / CMAC PRFs the
 * SKEYSEED key is Ni|Nr truncated to 8+8 bytes as RFC 7296 2.14 requires.
 * keys->prf/encr/encr_keylen/integ must be set by the caller; the seven
 * key fields are overwritten (free them first) and are left empty on error.
 * AEAD suites need integ = IKE_INTEG_NONE and get empty SK_ai/SK_ar.
 * Errors: -ENOTSUP unknown algorithm, -EINVAL bad lengths (a nonce above
 * IKE_MAX_NONCE_LEN, below 8 bytes for XCBC/CMAC), -ENOMEM.
 */
int ike_derive_ike_keys(struct ike_sa_keys *keys,
			const uint8_t *ni, size_t ni_len,
			const uint8_t *nr, size_t nr_len,
			const uint8_t *shared, size_t shared_len,
			const uint8_t spi_i[8], const uint8_t spi_r[8]);

/*
 * Rekeyed IKE SA (RFC 7296 2.18): SKEYSEED = prf(SK_d (old), g^ir (new) |
 * Ni | Nr) using the OLD SA's PRF (old_prf); new keys with the new
 * algorithms in new_keys, SPIs of the new SA.
 */
int ike_derive_rekeyed_ike_keys(struct ike_sa_keys *new_keys,
				uint16_t old_prf, const struct ike_key *old_sk_d,
				const uint8_t *ni, size_t ni_len,
				const uint8_t *nr, size_t nr_len,
				const uint8_t *shared, size_t shared_len,
				const uint8_t spi_i[8], const uint8_t spi_r[8]);

void ike_sa_keys_free(struct ike_sa_keys *keys);

/*
 * CHILD_SA KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) (RFC 7296 2.17);
 * shared = NULL/0 without PFS.  Fills out with outlen bytes; the first half
 * (enc key then integ key) is for the initiator-to-responder SA.
 */
int ike_derive_child_keymat(uint16_t prf, const struct ike_key *sk_d,
			    const uint8_t *shared, size_t shared_len,
			    const uint8_t *ni, size_t ni_len,
			    const uint8_t *nr, size_t nr_len,
			    struct ike_key *out, size_t outlen);

/* ---- SK payload protection (RFC 7296 3.14, RFC 5282, RFC 7383) ---------------
 *
 * Layout: msg[0 .. sk_off) is the IKE header and the payloads before SK;
 * msg[sk_off .. body_off) is the SK (or SKF) generic header, for SKF
 * followed by Fragment Number and Total Fragments; the IV starts at body_off.
 * For AEAD the associated data is msg[0 .. body_off); for CBC + HMAC the
 * ICV covers msg[0 .. end of ciphertext).
 *
 * "initiator" selects the direction: true = sent by the original initiator
 * (SK_ei / SK_ai), false = by the original responder (SK_er / SK_ar).
 */

/* Bytes ike_sk_seal will append for plen bytes of plaintext: IV +
 * ciphertext (plen + minimal padding + pad length byte) + ICV, i.e. plen is
 * included; the SK/SKF header is not.  0 when the suite is unusable. */
size_t ike_sk_overhead(const struct ike_sa_keys *k, size_t plen);

/*
 * msg holds header + earlier payloads + SK/SKF header (msg->len == body_off).
 * Appends IV | ciphertext(plain | padding | pad length) | ICV, then patches
 * the IKE header length (offset 24) and the SK/SKF payload length
 * (sk_off + 2) before computing the ICV.  iv: NULL = random (libsodium).
 * Padding is minimal (GCM: none, only the pad length byte).  On error
 * msg->len is restored and the appended bytes wiped; sticky buffer errors
 * (e.g. -EMSGSIZE over the limit) are returned.
 */
int ike_sk_seal(const struct ike_sa_keys *k, bool initiator,
		struct ike_buf *msg, size_t sk_off,
		const uint8_t *plain, size_t plen, const uint8_t *iv);

/*
 * Verify and decrypt the SK/SKF payload of msg[0..msg_len) whose IV starts at
 * body_off (the SK payload runs to the end of msg).  Checks the ICV in
 * constant time before decrypting (CBC) or as part of AEAD open.  On success
 * writes the inner payloads (padding removed) to plain (capacity plain_cap;
 * msg_len is always enough) and their length to *plen.
 * Returns -EBADMSG on any integrity or padding failure and on any length
 * that cannot hold IKE header + generic header + IV + one block + ICV;
 * -EINVAL when plain_cap is below the ciphertext length.  plain is wiped on
 * failure and beyond *plen on success.
 */
int ike_sk_open(const struct ike_sa_keys *k, bool initiator,
		const uint8_t *msg, size_t msg_len, size_t body_off,
		uint8_t *plain, size_t plain_cap, size_t *plen);

#endif
