/*
 * ike_sk.c — SK and SKF payload framing (RFC 7296 3.14, RFC 7383 2.5):
 * find the protected payload of a received message, and lay out header +
 * SK/SKF header of a message to send around ike_sk_seal (ike_crypto.h).
 *
 * SK payload:
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * |                     Initialization Vector                     |
 * ~                    Encrypted IKE Payloads                     ~
 * |               |             Padding (0-255 octets)            |
 * |                                               |  Pad Length   |
 * ~                    Integrity Checksum Data                    ~
 *
 * SKF payload (RFC 7383 2.5): the same, with
 * |        Fragment Number        |        Total Fragments        |
 * between the generic header and the IV.
 */
#include <string.h>

#include "ike_frag.h"

/* Describe the SK/SKF payload of msg[0..len); see ike_frag.h. */
int ike_sk_locate(const uint8_t *msg, size_t len, struct ike_sk_info *info)
{
	size_t off = IKE_HDR_LEN;
	uint8_t np;

	memset(info, 0, sizeof(*info));
	if (len < IKE_HDR_LEN || ike_get_u32(msg + 24) != len)
		return -EBADMSG;
	np = msg[16];
	for (size_t count = 0; np != IKE_PL_NONE; count++) {
		size_t plen;

		if (count == IKE_MAX_PAYLOADS)
			return -E2BIG;
		if (len - off < IKE_GENERIC_HDR_LEN)
			return -EBADMSG;
		plen = ike_get_u16(msg + off + 2);
		if (plen < IKE_GENERIC_HDR_LEN || plen > len - off)
			return -EBADMSG;
		if (np == IKE_PL_SK || np == IKE_PL_SKF) {
			if (plen != len - off)
				return -EBADMSG;	/* SK/SKF must be last */
			info->first_inner = msg[off];
			info->sk_off = off;
			if (np == IKE_PL_SK) {
				info->body_off = off + IKE_GENERIC_HDR_LEN;
				return 0;
			}
			if (plen < IKE_SKF_HDR_LEN)
				return -EBADMSG;
			info->is_frag = true;
			info->frag_num = ike_get_u16(msg + off + 4);
			info->frag_total = ike_get_u16(msg + off + 6);
			info->body_off = off + IKE_SKF_HDR_LEN;
			if (info->frag_num == 0 || info->frag_total == 0 ||
			    info->frag_num > info->frag_total)
				return -EBADMSG;	/* RFC 7383 2.6 */
			if (info->frag_total > IKE_MAX_FRAGMENTS)
				return -E2BIG;
			return 0;
		}
		np = msg[off];
		off += plen;
	}
	return -ENOENT;
}

/* Locate, then verify and decrypt with ike_sk_open. */
int ike_sk_decrypt(const struct ike_sa_keys *k, bool initiator,
		   const uint8_t *msg, size_t len, struct ike_sk_info *info,
		   uint8_t *plain, size_t plain_cap, size_t *plen)
{
	int r = ike_sk_locate(msg, len, info);

	if (r < 0)
		return r;
	return ike_sk_open(k, initiator, msg, len, info->body_off, plain,
			   plain_cap, plen);
}

/* Append the 28-byte IKE header (RFC 7296 3.1) with the given Next Payload
 * and a zero Length (ike_sk_seal patches it). */
static void put_hdr(struct ike_buf *b, const struct ike_hdr *h, uint8_t np)
{
	ike_buf_put(b, h->spi_i, 8);
	ike_buf_put(b, h->spi_r, 8);
	ike_buf_put_u8(b, np);
	ike_buf_put_u8(b, h->version);
	ike_buf_put_u8(b, h->exchange);
	ike_buf_put_u8(b, h->flags);
	ike_buf_put_u32(b, h->msg_id);
	ike_buf_put_u32(b, 0);
}

/* Header + SK or SKF header, then seal; see ike_frag.h. */
int ike_sk_seal_msg(const struct ike_sa_keys *k, bool initiator,
		    struct ike_buf *out, const struct ike_hdr *hdr,
		    uint8_t first_inner, uint16_t frag_num, uint16_t frag_total,
		    const uint8_t *inner, size_t inner_len, const uint8_t *iv)
{
	size_t sk_off;

	if (frag_total > IKE_MAX_FRAGMENTS ||
	    (frag_total && (frag_num == 0 || frag_num > frag_total)))
		return -EINVAL;
	ike_buf_reset(out);
	put_hdr(out, hdr, frag_total ? IKE_PL_SKF : IKE_PL_SK);
	sk_off = out->len;
	ike_buf_put_u8(out, first_inner);
	ike_buf_put_u8(out, 0);
	ike_buf_put_u16(out, 0);	/* Payload Length, patched by the seal */
	if (frag_total) {
		ike_buf_put_u16(out, frag_num);
		ike_buf_put_u16(out, frag_total);
	}
	if (ike_buf_error(out))
		return ike_buf_error(out);
	return ike_sk_seal(k, initiator, out, sk_off, inner, inner_len, iv);
}

/* Whole SK-protected message; see ike_frag.h. */
int ike_sk_build(const struct ike_sa_keys *k, bool initiator,
		 struct ike_buf *out, const struct ike_hdr *hdr,
		 uint8_t first_inner, const uint8_t *inner, size_t inner_len,
		 const uint8_t *iv)
{
	return ike_sk_seal_msg(k, initiator, out, hdr, first_inner, 0, 0,
			       inner, inner_len, iv);
}
