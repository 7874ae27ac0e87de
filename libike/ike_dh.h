/*
 * ike_dh.h — Diffie-Hellman for the KE payload (RFC 7296 2.10 / 3.4).
 *
 *   MODP groups 2, 5, 14, 15, 16     RFC 2409 6.2 (group 2), RFC 3526
 *   ECP groups 19, 20, 21            RFC 5903 (KE data = x | y, no 0x04
 *                                    prefix; shared secret = x only, s. 7)
 *   Curve25519 (group 31)            RFC 8031, RFC 7748 (X25519)
 *
 * Groups 2 and 5 are "legacy": the library implements them, callers decide
 * (ike_dh_is_legacy()) whether configuration may enable them.
 *
 * Lengths are exact: the public value is always ike_dh_public_len() bytes
 * (MODP: big-endian, left-padded to the size of p; ECP: both coordinates
 * padded to the field size) and the shared secret is ike_dh_shared_len()
 * bytes (MODP: padded to the size of p, RFC 7296 2.14 "g^ir ... with leading
 * zeros if necessary").
 *
 * Peer public values are validated before use; any invalid value gives
 * -EINVAL (send INVALID_SYNTAX / fail the exchange):
 *   MODP:   length != public_len, y <= 1, y >= p - 1 (NIST SP 800-56A
 *           5.6.2.3.1 partial check; the groups are safe primes, so this
 *           excludes the only small subgroup {1, p-1})
 *   ECP:    length != public_len, coordinate >= field prime, point not on
 *           the curve (this also excludes the point at infinity, which has
 *           no x | y encoding)
 *   X25519: length != 32, shared secret all zero (low-order point)
 *
 * Our private key lives in guarded memory for X25519 and inside OpenSSL's
 * EVP_PKEY for MODP/ECP; it is wiped by ike_dh_free().
 */
#ifndef RAG_IKE_DH_H
#define RAG_IKE_DH_H

#include "ike.h"

struct ike_dh;	/* opaque: group, private key, our public value */

/* true for the groups this library implements (2 5 14 15 16 19 20 21 31) */
bool ike_dh_supported(uint16_t group);

/* true for groups that are implemented but weak (2 = MODP-1024,
 * 5 = MODP-1536); the caller's policy decides whether to accept them */
bool ike_dh_is_legacy(uint16_t group);

/* exact KE payload data length for group, 0 when unsupported */
size_t ike_dh_public_len(uint16_t group);

/* exact shared secret (g^ir) length for group, 0 when unsupported */
size_t ike_dh_shared_len(uint16_t group);

/*
 * Create a context for group with a fresh random private key.
 * Returns 0 and *out, -ENOTSUP for an unsupported group, -ENOMEM.
 */
int ike_dh_new(struct ike_dh **out, uint16_t group);

/*
 * Deterministic variant for known-answer tests: use priv (big-endian for
 * MODP/ECP, priv_len <= public_len / field size; the 32-byte scalar as in
 * RFC 7748 for X25519) as the private key.  Returns -EINVAL when the key is
 * out of range (0, >= group order).  Not for production use.
 */
int ike_dh_new_with_private(struct ike_dh **out, uint16_t group,
			    const uint8_t *priv, size_t priv_len);

/* the group the context was created for */
uint16_t ike_dh_group(const struct ike_dh *dh);

/* our public value (KE payload data); *len = ike_dh_public_len(group).
 * The pointer stays valid until ike_dh_free(). */
const uint8_t *ike_dh_public(const struct ike_dh *dh, size_t *len);

/*
 * Validate the peer's KE data and compute the shared secret g^ir into
 * shared (allocated here, ike_dh_shared_len() bytes, guarded memory; the
 * caller frees it with ike_key_free).  Returns 0, -EINVAL for an invalid
 * peer value (shared is left empty), -ENOMEM.  May be called more than once.
 */
int ike_dh_compute(const struct ike_dh *dh, const uint8_t *peer, size_t peer_len,
		   struct ike_key *shared);

/* wipe and free; NULL is fine */
void ike_dh_free(struct ike_dh *dh);

#endif
