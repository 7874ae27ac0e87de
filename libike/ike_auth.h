/*
 * ike_auth.h — the AUTH payload (RFC 7296 2.15, 2.16, 3.8).
 *
 *   signed octets                RFC 7296 2.15
 *   shared key (PSK), EAP MSK    RFC 7296 2.15, 2.16
 *   RSA PKCS#1 v1.5 SHA-1        method 1, RFC 7296
 *   ECDSA r | s                  methods 9/10/11, RFC 4754
 *   Digital Signature            method 14, RFC 7427: RSA PKCS#1 v1.5
 *                                (SHA-1/256/384/512), RSASSA-PSS (SHA-256/
 *                                384/512, MGF1 same hash, salt = hash len),
 *                                ECDSA (SHA-256/384/512, DER signature),
 *                                Ed25519 (RFC 8420, hash "Identity")
 *
 * Keys are OpenSSL EVP_PKEYs (ours from the configured key file, the peer's
 * from its certificate).  Verification never trusts the peer's choice of
 * algorithm beyond our table: a method-14 AlgorithmIdentifier must equal one
 * of our DER blobs byte for byte and must fit the key type (and, for ECDSA
 * methods 9/10/11, the curve).
 */
#ifndef RAG_IKE_AUTH_H
#define RAG_IKE_AUTH_H

#include <openssl/evp.h>

#include "ike.h"

/* largest AUTH data we produce or accept (RSA-8192 + AlgorithmIdentifier) */
#define IKE_AUTH_MAX_DATA 1200

/* ---- Signed octets (RFC 7296 2.15) ---------------------------------------------
 *   InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI
 *   MACedIDForI = prf(SK_pi, RestOfInitIDPayload)
 * and the responder analogue (RealMessage2 | NonceIData | prf(SK_pr, IDr')).
 *
 * msg:   the signer's own first message as sent (IKE_SA_INIT request for the
 *        initiator, response for the responder), whole, from the IKE header
 * nonce: the OTHER party's nonce data (Nonce payload body)
 * id:    the signer's ID payload body = ID Type(1) | RESERVED(3) | data
 * sk_p:  SK_pi for the initiator, SK_pr for the responder
 * Appends to out (sticky ike_buf errors); returns 0 or a negative errno
 * (-ENOTSUP unknown prf, -EINVAL id shorter than 4 bytes).
 */
int ike_auth_octets(struct ike_buf *out, uint16_t prf,
		    const struct ike_key *sk_p,
		    const uint8_t *msg, size_t msg_len,
		    const uint8_t *nonce, size_t nonce_len,
		    const uint8_t *id, size_t id_len);

/* ---- Shared key (method 2) ------------------------------------------------------
 * AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)
 * (RFC 7296 2.15).  out must hold ike_prf_len(prf) bytes (at most 64);
 * returns that length or a negative errno.
 */
int ike_auth_psk(uint16_t prf, const uint8_t *secret, size_t secret_len,
		 const uint8_t *octets, size_t octets_len, uint8_t *out);

/* Constant-time check of a received shared-key AUTH: 0 or -EACCES. */
int ike_auth_psk_verify(uint16_t prf, const uint8_t *secret, size_t secret_len,
			const uint8_t *octets, size_t octets_len,
			const uint8_t *auth, size_t auth_len);

/*
 * EAP (RFC 7296 2.16): the shared secret is the EAP MSK; when the method
 * produced no MSK (msk == NULL or msk_len == 0) it is SK_pi / SK_pr (pass
 * sk_p).  Same output and return as ike_auth_psk().
 */
int ike_auth_eap(uint16_t prf, const uint8_t *msk, size_t msk_len,
		 const struct ike_key *sk_p,
		 const uint8_t *octets, size_t octets_len, uint8_t *out);

/* ---- Signatures -------------------------------------------------------------- */
struct ike_auth_sig {
	uint8_t method;	/* IKE_AUTH_RSA_SIG, IKE_AUTH_ECDSA_256/384/521,
			 * IKE_AUTH_DIGITAL_SIG */
	uint8_t hash;	/* enum ike_hash_alg; implied by methods 1/9/10/11 */
	bool rsa_pss;	/* method 14 with an RSA key: RSASSA-PSS */
};

/*
 * Choose how we sign, given our key and the peer's
 * SIGNATURE_HASH_ALGORITHMS notify (RFC 7427 4): hashes = the list of
 * 16-bit hash identifiers it carried, n = their count; n == 0 means the
 * notify was absent, which selects the classic method (1 for RSA, 9/10/11
 * by curve for ECDSA; Ed25519 has none: -ENOTSUP).  With a list, picks
 * method 14 and the first of our preferences the peer announced: ECDSA the
 * curve's own hash then SHA-256/384/512; RSA SHA-256/384/512, then SHA-1;
 * Ed25519 Identity.  When nothing is shared, falls back to the classic
 * method (RSA, ECDSA) or -ENOTSUP (Ed25519).  rsa_pss asks for RSASSA-PSS
 * with RSA keys under method 14.  Returns 0, -ENOTSUP (key type/curve).
 */
int ike_auth_sig_choose(const EVP_PKEY *key, const uint16_t *hashes, size_t n,
			bool rsa_pss, struct ike_auth_sig *out);

/*
 * Sign octets with our private key as sig says and append the AUTH payload
 * data (without the 4-byte Auth Method / RESERVED header) to out:
 *   method 1:       RSA PKCS#1 v1.5 SHA-1 signature
 *   methods 9-11:   r | s, each padded to the curve's size (RFC 4754 7)
 *   method 14:      AlgId length(1) | AlgId DER | signature (RFC 7427 3)
 * Returns 0, -ENOTSUP (method/hash/key combination we do not do),
 * -EINVAL (key does not fit the method), -ENOMEM, or ike_buf errors.
 */
int ike_auth_sign(const struct ike_auth_sig *sig, EVP_PKEY *key,
		  const uint8_t *octets, size_t octets_len, struct ike_buf *out);

/*
 * Verify the AUTH payload data (auth, auth_len: after the 4-byte header)
 * for method against the peer's public key.  Returns 0 when valid,
 * -EACCES on any mismatch, malformed data, unknown AlgorithmIdentifier or
 * one that does not fit the key, -ENOTSUP for methods other than 1, 9, 10,
 * 11 and 14.  When used is non-NULL it receives the method/hash that was
 * verified (for policy, e.g. refusing SHA-1), also on failure if known.
 */
int ike_auth_verify(uint8_t method, const uint8_t *auth, size_t auth_len,
		    EVP_PKEY *key, const uint8_t *octets, size_t octets_len,
		    struct ike_auth_sig *used);

#endif
