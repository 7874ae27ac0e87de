/*
 * ike_msg.c — IKE header (RFC 7296 3.1), generic payload chain (3.2) and
 * the message builder that back-patches Next Payload and length fields.
 */
#include <string.h>

#include "ike.h"
#include "ike_payload.h"

/* Parse the fixed 28-byte header; see ike_payload.h for the error contract.
 * The major version is checked before the length so that the caller can
 * answer INVALID_MAJOR_VERSION even for a message of a future format. */
int ike_hdr_parse(const uint8_t *buf, size_t len, struct ike_hdr *h)
{
	if (len < IKE_HDR_LEN)
		return -EBADMSG;
	memcpy(h->spi_i, buf, 8);
	memcpy(h->spi_r, buf + 8, 8);
	h->next_payload = buf[IKE_HDR_OFF_NEXT];
	h->version = buf[IKE_HDR_OFF_VERSION];
	h->exchange = buf[IKE_HDR_OFF_EXCH];
	h->flags = buf[IKE_HDR_OFF_FLAGS];
	h->msg_id = ike_get_u32(buf + IKE_HDR_OFF_MSGID);
	h->length = ike_get_u32(buf + IKE_HDR_OFF_LENGTH);
	if ((h->version >> 4) != (IKE_VERSION >> 4))
		return -EPROTONOSUPPORT;
	if (h->length < IKE_HDR_LEN || h->length != len)
		return -EBADMSG;
	return 0;
}

/* Append h as the 28-byte wire header, every field as given. */
void ike_hdr_build(struct ike_buf *b, const struct ike_hdr *h)
{
	ike_buf_put(b, h->spi_i, 8);
	ike_buf_put(b, h->spi_r, 8);
	ike_buf_put_u8(b, h->next_payload);
	ike_buf_put_u8(b, h->version);
	ike_buf_put_u8(b, h->exchange);
	ike_buf_put_u8(b, h->flags);
	ike_buf_put_u32(b, h->msg_id);
	ike_buf_put_u32(b, h->length);
}

/* Payload types defined by RFC 7296 (33..48) and RFC 7383 (SKF). */
bool ike_pl_type_known(uint8_t type)
{
	return (type >= IKE_PL_SA && type <= IKE_PL_EAP) || type == IKE_PL_SKF;
}

/* Walk buf[start..len) as a payload chain beginning with type `first`;
 * contract in ike_payload.h.  Iterative and bounded by IKE_MAX_PAYLOADS. */
int ike_chain_parse(const uint8_t *buf, size_t len, size_t start,
		    uint8_t first, struct ike_chain *ch)
{
	size_t off = start;
	uint8_t type = first;

	ch->n = 0;
	ch->sk_next = IKE_PL_NONE;
	ch->unsupported_critical = 0;
	if (start > len)
		return -EBADMSG;

	while (type != IKE_PL_NONE) {
		struct ike_pl *pl;
		uint8_t next;
		uint16_t plen;

		if (len - off < IKE_GENERIC_HDR_LEN)
			return -EBADMSG;
		if (ch->n == IKE_MAX_PAYLOADS)
			return -E2BIG;
		next = buf[off];
		plen = ike_get_u16(buf + off + 2);
		if (plen < IKE_GENERIC_HDR_LEN || plen > len - off)
			return -EBADMSG;

		pl = &ch->pl[ch->n++];
		pl->type = type;
		pl->critical = (buf[off + 1] & 0x80) != 0;
		pl->off = off;
		pl->body = buf + off + IKE_GENERIC_HDR_LEN;
		pl->len = (size_t)plen - IKE_GENERIC_HDR_LEN;

		if (type == IKE_PL_SK || type == IKE_PL_SKF) {
			/* 3.14: SK is the last payload; its Next Payload
			 * names the first payload inside. */
			if (plen != len - off)
				return -EBADMSG;
			ch->sk_next = next;
			off = len;
			break;
		}
		if (!ike_pl_type_known(type) && pl->critical &&
		    ch->unsupported_critical == 0)
			ch->unsupported_critical = type;
		off += plen;
		type = next;
	}
	if (off != len)
		return -EBADMSG;	/* bytes after the last payload */
	return ch->unsupported_critical ? -ENOTSUP : 0;
}

/* First payload of `type` at index >= from, or NULL. */
const struct ike_pl *ike_chain_find(const struct ike_chain *ch, uint8_t type,
				    size_t from)
{
	for (size_t i = from; i < ch->n; i++)
		if (ch->pl[i].type == type)
			return &ch->pl[i];
	return NULL;
}

/* Number of payloads of `type` in the chain. */
size_t ike_chain_count(const struct ike_chain *ch, uint8_t type)
{
	size_t c = 0;

	for (size_t i = 0; i < ch->n; i++)
		c += ch->pl[i].type == type;
	return c;
}

/* Header + top-level chain; offsets in v->ch are offsets in the message. */
int ike_msg_parse(const uint8_t *buf, size_t len, struct ike_msg_view *v)
{
	int r;

	v->msg = buf;
	v->len = len;
	v->ch.n = 0;
	v->ch.sk_next = IKE_PL_NONE;
	v->ch.unsupported_critical = 0;
	r = ike_hdr_parse(buf, len, &v->hdr);
	if (r < 0)
		return r;
	return ike_chain_parse(buf, len, IKE_HDR_LEN, v->hdr.next_payload, &v->ch);
}

/* ---- builder ------------------------------------------------------------- */

/* Record err in the buffer (first error wins). */
void ike_mb_fail(struct ike_msg_builder *mb, int err)
{
	if (mb->b->err == 0)
		mb->b->err = err;
}

static void mb_init(struct ike_msg_builder *mb, struct ike_buf *b, bool hdr)
{
	mb->b = b;
	mb->base = b->len;
	mb->has_hdr = hdr;
	mb->closed = false;
	mb->first = IKE_PL_NONE;
	mb->last = SIZE_MAX;
	mb->n = 0;
}

/* Start a message with header h; Next Payload and Length patched later. */
void ike_mb_begin(struct ike_msg_builder *mb, struct ike_buf *b,
		  const struct ike_hdr *h)
{
	struct ike_hdr hh = *h;

	mb_init(mb, b, true);
	hh.next_payload = IKE_PL_NONE;
	hh.length = 0;
	ike_hdr_build(b, &hh);
}

/* Start a bare chain (no header) at the end of b. */
void ike_mb_begin_chain(struct ike_msg_builder *mb, struct ike_buf *b)
{
	mb_init(mb, b, false);
}

/* Link a new payload of `type` into the chain and append its generic
 * header; returns its offset in mb->b or SIZE_MAX on (recorded) error. */
size_t ike_mb_pl_begin(struct ike_msg_builder *mb, uint8_t type, bool critical)
{
	struct ike_buf *b = mb->b;
	size_t off;

	if (b->err)
		return SIZE_MAX;
	if (mb->closed || type == IKE_PL_NONE) {
		ike_mb_fail(mb, -EINVAL);
		return SIZE_MAX;
	}
	off = b->len;
	ike_buf_put_u8(b, IKE_PL_NONE);
	ike_buf_put_u8(b, critical ? 0x80 : 0);
	ike_buf_put_u16(b, IKE_GENERIC_HDR_LEN);
	if (b->err)
		return SIZE_MAX;
	if (mb->n == 0) {
		mb->first = type;
		if (mb->has_hdr)
			b->data[mb->base + IKE_HDR_OFF_NEXT] = type;
	} else {
		b->data[mb->last] = type;
	}
	mb->last = off;
	mb->n++;
	return off;
}

/* Patch the Payload Length of the payload whose header is at off. */
int ike_mb_pl_end(struct ike_msg_builder *mb, size_t off)
{
	struct ike_buf *b = mb->b;
	size_t plen;

	if (b->err)
		return b->err;
	if (off == SIZE_MAX || off > b->len || b->len - off < IKE_GENERIC_HDR_LEN) {
		ike_mb_fail(mb, -EINVAL);
		return -EINVAL;
	}
	plen = b->len - off;
	if (plen > UINT16_MAX) {
		ike_mb_fail(mb, -EMSGSIZE);
		return -EMSGSIZE;
	}
	ike_buf_set_u16(b, off + 2, (uint16_t)plen);
	return 0;
}

/* Whole payload with an opaque body. */
int ike_pl_build_raw(struct ike_msg_builder *mb, uint8_t type, bool critical,
		     const uint8_t *body, size_t len)
{
	size_t off = ike_mb_pl_begin(mb, type, critical);

	if (off == SIZE_MAX)
		return mb->b->err;
	ike_buf_put(mb->b, body, len);
	return ike_mb_pl_end(mb, off);
}

/* SK/SKF generic header with Next Payload = inner_first; closes the chain. */
size_t ike_mb_sk_begin(struct ike_msg_builder *mb, uint8_t type,
		       uint8_t inner_first)
{
	size_t off;

	if (type != IKE_PL_SK && type != IKE_PL_SKF) {
		ike_mb_fail(mb, -EINVAL);
		return SIZE_MAX;
	}
	off = ike_mb_pl_begin(mb, type, false);
	if (off == SIZE_MAX)
		return SIZE_MAX;
	mb->b->data[off] = inner_first;
	mb->closed = true;
	return off;
}

/* Patch the header Length; total length or the first recorded error. */
int ike_mb_finish(struct ike_msg_builder *mb)
{
	struct ike_buf *b = mb->b;
	size_t total;

	if (b->err)
		return b->err;
	total = b->len - mb->base;
	if (total > IKE_MAX_MSG_LEN) {
		ike_mb_fail(mb, -EMSGSIZE);
		return -EMSGSIZE;
	}
	if (mb->has_hdr)
		ike_buf_set_u32(b, mb->base + IKE_HDR_OFF_LENGTH, (uint32_t)total);
	return (int)total;
}
