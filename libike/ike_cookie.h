/*
 * ike_cookie.h — stateless responder cookies (RFC 7296 2.6).
 *
 *   "Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>)"
 *
 * VersionIDofSecret is 4 bytes (big endian), Hash is SHA-256, IPi the
 * initiator's address (4 or 16 bytes; not the port, which a NAT may change
 * between the two requests).  The secret lives in guarded memory and is
 * owned and rotated by the caller (the daemon); a cookie made with the
 * previous secret is still accepted ("the responder ... SHOULD accept
 * cookies from the previous version of the secret").  The caller also
 * decides when cookies are required (half-open limits); nothing here reads
 * a clock or keeps state.
 *
 * Typical use in the daemon, for a datagram with SPIr = 0:
 *	if (half_open > limit) {
 *		r = ike_cookie_check(&cur, &prev, msg, len, &peer, &out);
 *		if (r == 1) send out (N(COOKIE)) and stop;
 *		if (r < 0) drop;
 *	}
 *	create the SA and call ike_sa_handle_request().
 */
#ifndef RAG_IKE_COOKIE_H
#define RAG_IKE_COOKIE_H

#include "ike.h"
#include "ike_exchange.h"

#define IKE_COOKIE_VERSION_LEN 4
#define IKE_COOKIE_HASH_LEN    32	/* SHA-256 */
#define IKE_COOKIE_LEN         (IKE_COOKIE_VERSION_LEN + IKE_COOKIE_HASH_LEN)
#define IKE_COOKIE_SECRET_MIN  16	/* bytes of secret we require */

struct ike_cookie_secret {
	uint32_t version;	/* VersionIDofSecret */
	struct ike_key key;	/* >= IKE_COOKIE_SECRET_MIN bytes */
};

/* Make a new secret: version as given, 32 random bytes (libsodium) in
 * guarded memory.  Free with ike_key_free(&s->key).  0 or -ENOMEM. */
int ike_cookie_secret_new(struct ike_cookie_secret *s, uint32_t version);

/*
 * Compute the cookie for (Ni, IPi, SPIi) under secret s into
 * out[IKE_COOKIE_LEN].  peer->family 4 or 6.  Returns 0, -EINVAL (short
 * secret, bad family, nonce outside 16..256 bytes), -ENOMEM.
 */
int ike_cookie_make(const struct ike_cookie_secret *s, const uint8_t spi_i[8],
		    const uint8_t *ni, size_t ni_len,
		    const struct ike_endpoint *peer, uint8_t out[IKE_COOKIE_LEN]);

/*
 * Cookie check of a raw IKE_SA_INIT request msg[0..len) received from peer.
 * cur is the current secret, prev the previous one (NULL, or a key of
 * length 0: none).  Returns
 *   0        the request's first payload is N(COOKIE) with a cookie valid
 *            under cur or prev: go on with the exchange;
 *   1        no cookie or a wrong / outdated one: out (reset first) holds the
 *            unprotected response HDR(SPIi, 0), N(COOKIE) with a fresh cookie
 *            under cur (2.6: "the responder ... send[s] a new cookie");
 *   -EBADMSG not a well-formed IKE_SA_INIT request (drop it);
 *   -EPROTONOSUPPORT  major version != 2 (let the engine answer or drop);
 *   -ENOTSUP an unknown critical payload (let the engine answer);
 *   -EINVAL / -ENOMEM  bad arguments, allocation failure.
 * Cookies are compared in constant time.
 */
int ike_cookie_check(const struct ike_cookie_secret *cur,
		     const struct ike_cookie_secret *prev,
		     const uint8_t *msg, size_t len,
		     const struct ike_endpoint *peer, struct ike_buf *out);

#endif
