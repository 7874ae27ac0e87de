/*
 * ike_frag.h — SK / SKF payload framing (RFC 7296 3.14, RFC 7383 2.5) and
 * IKE message fragmentation and reassembly (RFC 7383).
 *
 * The cryptography is ike_sk_seal / ike_sk_open (ike_crypto.h); this module
 * only locates the SK/SKF payload in a received datagram, lays out the
 * header + SK/SKF generic header for sealing, splits an inner payload chain
 * into fragments and puts received fragments back together.
 *
 * Receiving, per datagram:
 *     struct ike_sk_info si;
 *     ike_sk_locate(msg, len, &si);                 (framing only)
 *     if (si.is_frag && !ike_frag_wanted(ctx, si.frag_num, si.frag_total))
 *             drop (duplicate or stale) without decrypting;
 *     ike_sk_open(keys, ..., msg, len, si.body_off, plain, ...);
 *     if si.is_frag: r = ike_frag_add(ctx, si.frag_num, si.frag_total,
 *                                     si.first_inner, plain, plen);
 *                    r == 1: ike_frag_take(ctx, &inner, &first)
 *     else: the inner chain is plain, first payload type si.first_inner
 */
#ifndef RAG_IKE_FRAG_H
#define RAG_IKE_FRAG_H

#include "ike.h"
#include "ike_crypto.h"
#include "ike_payload.h"

#define IKE_SKF_HDR_LEN 8	/* generic header + Fragment Number + Total */

/* Default limit on the reassembled inner chain. */
#define IKE_FRAG_MAX_BYTES (64 * 1024)

/* ---- SK / SKF framing --------------------------------------------------- */

struct ike_sk_info {
	bool is_frag;		/* SKF (RFC 7383) rather than SK */
	uint8_t first_inner;	/* Next Payload of the SK/SKF header */
	size_t sk_off;		/* offset of the SK/SKF generic header */
	size_t body_off;	/* offset of the IV (what ike_sk_open wants) */
	uint16_t frag_num;	/* SKF only, 1..frag_total */
	uint16_t frag_total;	/* SKF only, 1..IKE_MAX_FRAGMENTS */
};

/*
 * Walk the payload chain of a whole IKE message msg[0..len) (header
 * included) to its SK or SKF payload and describe it.  Checks: header length
 * field == len, every unencrypted payload fits, the SK/SKF payload is the
 * last one and ends exactly at the end of the message, at most
 * IKE_MAX_PAYLOADS payloads in all (-E2BIG); for SKF also Fragment Number in
 * 1..Total and Total <= IKE_MAX_FRAGMENTS (-E2BIG above).  Returns 0,
 * -ENOENT when the message has no SK/SKF payload, -EBADMSG when malformed.
 */
int ike_sk_locate(const uint8_t *msg, size_t len, struct ike_sk_info *info);

/* ike_sk_locate + ike_sk_open: decrypt into plain (plain_cap >= len is
 * always enough); *plen = inner length. */
int ike_sk_decrypt(const struct ike_sa_keys *k, bool initiator,
		   const uint8_t *msg, size_t len, struct ike_sk_info *info,
		   uint8_t *plain, size_t plain_cap, size_t *plen);

/*
 * Build a whole protected message into out (reset first): hdr is the IKE
 * header to send (SPIs, version, exchange, flags, message ID; its
 * next_payload and length are ignored and set here), inner[0..inner_len) the inner
 * payload chain whose first payload has type first_inner.  iv: NULL =
 * random (tests pass a fixed IV).
 */
int ike_sk_build(const struct ike_sa_keys *k, bool initiator,
		 struct ike_buf *out, const struct ike_hdr *hdr,
		 uint8_t first_inner, const uint8_t *inner, size_t inner_len,
		 const uint8_t *iv);

/*
 * Lower level of ike_sk_build / ike_frag_build: one protected message into
 * out (reset first).  frag_total == 0 builds an SK payload; otherwise an SKF
 * payload with Fragment Number frag_num (1..frag_total) and Total Fragments
 * frag_total (<= IKE_MAX_FRAGMENTS), carrying inner[0..inner_len) and
 * first_inner as its Next Payload (RFC 7383 2.5: 0 in fragments after the
 * first; this function writes what it is given).  -EINVAL on bad numbers.
 */
int ike_sk_seal_msg(const struct ike_sa_keys *k, bool initiator,
		    struct ike_buf *out, const struct ike_hdr *hdr,
		    uint8_t first_inner, uint16_t frag_num, uint16_t frag_total,
		    const uint8_t *inner, size_t inner_len, const uint8_t *iv);

/* ---- Fragmentation (sending), RFC 7383 2.5 ---------------------------------- */

/* Largest IKE message (UDP payload) that fits an IP packet of mtu bytes:
 * mtu - IP header (20 / 40) - UDP (8) - non-ESP marker (4, port 4500). */
size_t ike_frag_max_msg(size_t mtu, bool ipv6, bool natt);

/*
 * Split inner[0..inner_len) into SKF messages of at most max_msg bytes each
 * (header included) and seal each one: Fragment Number 1..N, Total N, Next
 * Payload first_inner in fragment 1 and 0 in the others.  frags[0..max_frags)
 * are initialised ike_bufs; fragment i is written to frags[i] (reset first).
 * Returns N, -EMSGSIZE when max_msg leaves no room for data, -E2BIG when more
 * than min(max_frags, IKE_MAX_FRAGMENTS) fragments would be needed.
 * iv: NULL = random per fragment (tests may fix it).
 */
int ike_frag_build(const struct ike_sa_keys *k, bool initiator,
		   const struct ike_hdr *hdr, uint8_t first_inner,
		   const uint8_t *inner, size_t inner_len, size_t max_msg,
		   struct ike_buf *frags, size_t max_frags, const uint8_t *iv);

/* ---- Reassembly (receiving), RFC 7383 2.6 ------------------------------------ */

/*
 * One context per message ID being reassembled.  Memory: one heap block per
 * stored fragment, sum of stored bytes <= max_bytes, at most
 * IKE_MAX_FRAGMENTS fragments.  Free with ike_frag_ctx_reset().
 */
struct ike_frag_ctx {
	uint32_t msg_id;	/* for the caller; not interpreted */
	uint16_t total;		/* Total Fragments being collected, 0 = none */
	uint16_t n_have;	/* fragments stored */
	uint8_t first_inner;	/* from fragment 1 */
	size_t bytes;		/* sum of stored fragment lengths */
	size_t max_bytes;	/* limit on the reassembled message */
	struct {
		uint8_t *data;	/* NULL = not received */
		size_t len;
	} frag[IKE_MAX_FRAGMENTS];
};

/* Empty context; max_bytes 0 = IKE_FRAG_MAX_BYTES. */
void ike_frag_ctx_init(struct ike_frag_ctx *c, uint32_t msg_id,
		       size_t max_bytes);

/* Drop every stored fragment (frees memory); keeps msg_id and max_bytes. */
void ike_frag_ctx_reset(struct ike_frag_ctx *c);

/* Would a fragment with this number/total be stored?  (Lets the caller skip
 * decrypting duplicates and stale fragments.) */
bool ike_frag_wanted(const struct ike_frag_ctx *c, uint16_t num,
		     uint16_t total);

/*
 * Store one decrypted fragment (RFC 7383 2.6):
 *   num == 0, num > total, total == 0      -EBADMSG (ignored)
 *   total > IKE_MAX_FRAGMENTS               -E2BIG (ignored)
 *   total < the total being collected       -ESTALE (ignored)
 *   total > the total being collected       earlier fragments discarded,
 *                                           collection restarts with this one
 *   a fragment already stored               -EALREADY (ignored)
 *   stored bytes would exceed max_bytes     -E2BIG; the context is reset
 *   allocation failure                      -ENOMEM (ignored)
 * next_payload is only used from fragment 1 (others carry 0; RFC 7383 2.5).
 * Returns 1 when all fragments are present, 0 when more are needed.
 */
int ike_frag_add(struct ike_frag_ctx *c, uint16_t num, uint16_t total,
		 uint8_t next_payload, const uint8_t *data, size_t len);

/* Once complete: append the reassembled inner chain to out, set *first_inner
 * and reset the context.  -EAGAIN when not complete. */
int ike_frag_take(struct ike_frag_ctx *c, struct ike_buf *out,
		  uint8_t *first_inner);

#endif
