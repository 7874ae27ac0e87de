/*
 * ike_frag.c — IKE message fragmentation (RFC 7383): splitting the inner
 * payload chain of an SK message into sealed SKF messages, and putting
 * received (already decrypted) fragments back together with bounded memory.
 */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "ike_frag.h"

#define SKF_FIXED (IKE_HDR_LEN + IKE_SKF_HDR_LEN)	/* header + SKF header */

/* IKE message budget inside an IP packet of mtu bytes (RFC 7383 2.5.1). */
size_t ike_frag_max_msg(size_t mtu, bool ipv6, bool natt)
{
	size_t over = (ipv6 ? 40 : 20) + 8 + (natt ? 4 : 0);

	return mtu > over ? mtu - over : 0;
}

/* Split and seal; see ike_frag.h.  Every fragment but possibly the last
 * carries the same amount of data, chosen as large as max_msg allows and
 * then evened out over the fragment count. */
int ike_frag_build(const struct ike_sa_keys *k, bool initiator,
		   const struct ike_hdr *hdr, uint8_t first_inner,
		   const uint8_t *inner, size_t inner_len, size_t max_msg,
		   struct ike_buf *frags, size_t max_frags, const uint8_t *iv)
{
	size_t avail, chunk, n, per, limit;

	if (max_msg > IKE_MAX_MSG_LEN)
		max_msg = IKE_MAX_MSG_LEN;
	if (max_msg <= SKF_FIXED)
		return -EMSGSIZE;
	avail = max_msg - SKF_FIXED;
	if (ike_sk_overhead(k, 0) == 0)
		return -EINVAL;	/* keys not usable */
	/* largest chunk whose sealed size (ike_sk_overhead: IV + ciphertext
	 * with padding + ICV) fits; IV, padding and ICV are small, so this
	 * loop runs a few dozen times at most */
	chunk = avail;
	while (chunk > 0 && ike_sk_overhead(k, chunk) > avail)
		chunk--;
	if (chunk == 0)
		return -EMSGSIZE;

	n = inner_len ? (inner_len + chunk - 1) / chunk : 1;
	limit = max_frags < IKE_MAX_FRAGMENTS ? max_frags : IKE_MAX_FRAGMENTS;
	if (n > limit)
		return -E2BIG;
	per = inner_len ? (inner_len + n - 1) / n : 0;	/* <= chunk */

	for (size_t i = 0; i < n; i++) {
		size_t off = i * per;
		size_t flen = inner_len - off < per ? inner_len - off : per;
		int r;

		r = ike_sk_seal_msg(k, initiator, &frags[i], hdr,
				    i == 0 ? first_inner : IKE_PL_NONE,
				    (uint16_t)(i + 1), (uint16_t)n,
				    inner ? inner + off : NULL, flen, iv);
		if (r < 0)
			return r;
	}
	return (int)n;
}

/* Empty context. */
void ike_frag_ctx_init(struct ike_frag_ctx *c, uint32_t msg_id,
		       size_t max_bytes)
{
	memset(c, 0, sizeof(*c));
	c->msg_id = msg_id;
	c->max_bytes = max_bytes ? max_bytes : IKE_FRAG_MAX_BYTES;
}

/* Free every stored fragment; keep msg_id and max_bytes. */
void ike_frag_ctx_reset(struct ike_frag_ctx *c)
{
	for (size_t i = 0; i < IKE_MAX_FRAGMENTS; i++) {
		/* decrypted plaintext: wipe before it goes back to malloc */
		if (c->frag[i].data)
			sodium_memzero(c->frag[i].data, c->frag[i].len);
		free(c->frag[i].data);
		c->frag[i].data = NULL;
		c->frag[i].len = 0;
	}
	c->total = 0;
	c->n_have = 0;
	c->first_inner = 0;
	c->bytes = 0;
}

/* Would ike_frag_add store this fragment? */
bool ike_frag_wanted(const struct ike_frag_ctx *c, uint16_t num,
		     uint16_t total)
{
	if (num == 0 || total == 0 || num > total || total > IKE_MAX_FRAGMENTS)
		return false;
	if (c->total && total < c->total)
		return false;
	if (c->total == total && c->frag[num - 1].data)
		return false;
	return true;
}

/* Store one decrypted fragment; see ike_frag.h for the outcomes. */
int ike_frag_add(struct ike_frag_ctx *c, uint16_t num, uint16_t total,
		 uint8_t next_payload, const uint8_t *data, size_t len)
{
	uint8_t *p;

	if (num == 0 || total == 0 || num > total)
		return -EBADMSG;
	if (total > IKE_MAX_FRAGMENTS)
		return -E2BIG;
	if (c->total && total < c->total)
		return -ESTALE;		/* RFC 7383 2.6.1: stale, ignore */
	if (c->total && total > c->total)
		ike_frag_ctx_reset(c);	/* sender re-fragmented smaller */
	if (c->frag[num - 1].data)
		return -EALREADY;
	if (len > c->max_bytes || c->bytes > c->max_bytes - len) {
		ike_frag_ctx_reset(c);
		return -E2BIG;
	}
	p = malloc(len ? len : 1);
	if (!p)
		return -ENOMEM;
	if (len)
		memcpy(p, data, len);
	c->frag[num - 1].data = p;
	c->frag[num - 1].len = len;
	c->bytes += len;
	c->n_have++;
	c->total = total;
	if (num == 1)
		c->first_inner = next_payload;
	return c->n_have == c->total ? 1 : 0;
}

/* Concatenate a complete message into out, then reset. */
int ike_frag_take(struct ike_frag_ctx *c, struct ike_buf *out,
		  uint8_t *first_inner)
{
	if (c->total == 0 || c->n_have != c->total)
		return -EAGAIN;
	for (size_t i = 0; i < c->total; i++)
		if (c->frag[i].len)	/* ike_buf_put(b, p, 0) on an empty b is
					 * NULL + 0 in ike_buf_reserve */
			ike_buf_put(out, c->frag[i].data, c->frag[i].len);
	if (ike_buf_error(out))
		return ike_buf_error(out);
	*first_inner = c->first_inner;
	ike_frag_ctx_reset(c);
	return 0;
}
