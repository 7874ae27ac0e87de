/*
 * ike_pld_sa.c — Security Association payload (RFC 7296 3.3): proposals,
 * transforms and transform attributes.
 *
 * Proposal substructure (3.3.1):
 *  | Last Substruc |   RESERVED    |         Proposal Length       |
 *  | Proposal Num  |  Protocol ID  |    SPI Size   |Num  Transforms|
 *  ~                        SPI (variable)                         ~
 *  ~                        <Transforms>                           ~
 * Transform substructure (3.3.2):
 *  | Last Substruc |   RESERVED    |        Transform Length       |
 *  |Transform Type |   RESERVED    |          Transform ID         |
 *  ~                      Transform Attributes                     ~
 * Attribute (3.3.5):
 *  |A|       Attribute Type        |    AF=0  Attribute Length     |
 *  |                               |    AF=1  Attribute Value      |
 *  |                   AF=0  Attribute Value                       |
 *
 * Parsing runs the same walk twice: first to validate (out == NULL), then
 * to interpret, so nothing is written unless the whole payload is valid.
 */
#include <string.h>

#include "ike.h"
#include "ike_payload.h"

#define PROP_HDR_LEN   8
#define TRANS_HDR_LEN  8
#define ATTR_HDR_LEN   4
#define LAST_PROPOSAL  0
#define MORE_PROPOSALS 2
#define LAST_TRANSFORM 0
#define MORE_TRANSFORMS 3

/* Walk the attributes a[0..len) of one transform; fill t when non-NULL. */
static int walk_attrs(const uint8_t *a, size_t len, struct ike_transform *t)
{
	size_t off = 0;
	bool have_keylen = false;

	while (off < len) {
		uint16_t atype, aval;

		if (len - off < ATTR_HDR_LEN)
			return -EBADMSG;
		atype = ike_get_u16(a + off);
		aval = ike_get_u16(a + off + 2);
		if (atype & IKE_ATTR_AF) {
			/* TV: value in the header */
			if ((atype & 0x7fff) == IKE_ATTR_KEY_LENGTH) {
				if (have_keylen)
					return -EBADMSG;	/* twice */
				have_keylen = true;
				if (t)
					t->keylen = aval;
			} else if (t) {
				t->unknown_attr = true;
			}
			off += ATTR_HDR_LEN;
		} else {
			/* TLV: aval is the value length */
			if (len - off - ATTR_HDR_LEN < aval)
				return -EBADMSG;
			if (t)
				t->unknown_attr = true;
			off += ATTR_HDR_LEN + (size_t)aval;
		}
	}
	return 0;
}

/* Walk the n_tr transforms in p[0..len), which they must fill exactly. */
static int walk_transforms(const uint8_t *p, size_t len, unsigned int n_tr,
			   struct ike_proposal *out)
{
	size_t off = 0;

	for (unsigned int i = 0; i < n_tr; i++) {
		uint8_t last;
		uint16_t tlen;
		int r;

		if (len - off < TRANS_HDR_LEN)
			return -EBADMSG;
		last = p[off];
		tlen = ike_get_u16(p + off + 2);
		if (tlen < TRANS_HDR_LEN || tlen > len - off)
			return -EBADMSG;
		if (last != (i + 1 == n_tr ? LAST_TRANSFORM : MORE_TRANSFORMS))
			return -EBADMSG;
		if (out) {
			struct ike_transform *t = &out->tr[i];

			memset(t, 0, sizeof(*t));
			t->type = p[off + 4];
			t->id = ike_get_u16(p + off + 6);
		}
		r = walk_attrs(p + off + TRANS_HDR_LEN, tlen - TRANS_HDR_LEN,
			       out ? &out->tr[i] : NULL);
		if (r < 0)
			return r;
		off += tlen;
	}
	return off == len ? 0 : -EBADMSG;
}

/* SPI Size allowed for a protocol (3.3.1): IKE 0 (or 8 when rekeying the
 * IKE SA in CREATE_CHILD_SA), AH/ESP 4. */
static bool spi_size_ok(uint8_t protocol, uint8_t size)
{
	switch (protocol) {
	case IKE_PROTO_IKE:
		return size == 0 || size == 8;
	case IKE_PROTO_AH:
	case IKE_PROTO_ESP:
		return size == 4;
	default:
		return false;
	}
}

/* Validate (props == NULL) or interpret the whole SA body; returns the
 * number of proposals or a negative errno. */
static int walk_sa(const uint8_t *body, size_t len, unsigned int flags,
		   struct ike_proposal *props, size_t max)
{
	size_t off = 0, n = 0;

	while (off < len) {
		uint8_t last, num, proto, spisz, ntr;
		uint16_t plen;
		bool is_last;
		int r;

		if (n == max)
			return -E2BIG;
		if (len - off < PROP_HDR_LEN)
			return -EBADMSG;
		last = body[off];
		plen = ike_get_u16(body + off + 2);
		num = body[off + 4];
		proto = body[off + 5];
		spisz = body[off + 6];
		ntr = body[off + 7];
		if (plen < PROP_HDR_LEN || plen > len - off)
			return -EBADMSG;
		is_last = plen == len - off;
		if (last != (is_last ? LAST_PROPOSAL : MORE_PROPOSALS))
			return -EBADMSG;
		if (flags & IKE_SA_PARSE_REPLY) {
			if (num == 0 || !is_last || n != 0)
				return -EBADMSG;	/* one accepted proposal */
		} else if (num != n + 1) {
			return -EBADMSG;	/* 3.3.1: 1, 2, 3, ... */
		}
		if (!spi_size_ok(proto, spisz))
			return -EBADMSG;
		if (ntr == 0)
			return -EBADMSG;
		if (ntr > IKE_MAX_TRANSFORMS)
			return -E2BIG;
		if (plen - PROP_HDR_LEN < spisz)
			return -EBADMSG;
		if (props) {
			struct ike_proposal *p = &props[n];

			p->num = num;
			p->protocol = proto;
			p->spi_len = spisz;
			memset(p->spi, 0, sizeof(p->spi));
			memcpy(p->spi, body + off + PROP_HDR_LEN, spisz);
			p->n_transforms = ntr;
		}
		r = walk_transforms(body + off + PROP_HDR_LEN + spisz,
				    (size_t)plen - PROP_HDR_LEN - spisz, ntr,
				    props ? &props[n] : NULL);
		if (r < 0)
			return r;
		off += plen;
		n++;
	}
	if (n == 0)
		return -EBADMSG;	/* an SA payload has at least one proposal */
	return (int)n;
}

/* Parse an SA payload body into props[0..*n); contract in ike_payload.h. */
int ike_sa_parse(const uint8_t *body, size_t len, unsigned int flags,
		 struct ike_proposal *props, size_t max, size_t *n)
{
	int r;

	*n = 0;
	if (max > IKE_MAX_PROPOSALS)
		max = IKE_MAX_PROPOSALS;
	r = walk_sa(body, len, flags, NULL, max);
	if (r < 0)
		return r;
	r = walk_sa(body, len, flags, props, max);
	if (r < 0)
		return r;	/* cannot happen: same walk */
	*n = (size_t)r;
	return 0;
}

/* Append an SA payload for props[0..n); -EINVAL on invalid input. */
int ike_sa_build(struct ike_msg_builder *mb, const struct ike_proposal *props,
		 size_t n)
{
	struct ike_buf *b = mb->b;
	size_t off;

	if (n == 0 || n > IKE_MAX_PROPOSALS)
		goto inval;
	for (size_t i = 0; i < n; i++) {
		const struct ike_proposal *p = &props[i];

		if (p->num == 0 || p->n_transforms == 0 ||
		    p->n_transforms > IKE_MAX_TRANSFORMS ||
		    !spi_size_ok(p->protocol, p->spi_len))
			goto inval;
	}

	off = ike_mb_pl_begin(mb, IKE_PL_SA, false);
	if (off == SIZE_MAX)
		return b->err;
	for (size_t i = 0; i < n; i++) {
		const struct ike_proposal *p = &props[i];
		size_t poff = b->len;

		ike_buf_put_u8(b, i + 1 == n ? LAST_PROPOSAL : MORE_PROPOSALS);
		ike_buf_put_u8(b, 0);
		ike_buf_put_u16(b, 0);	/* Proposal Length, patched */
		ike_buf_put_u8(b, p->num);
		ike_buf_put_u8(b, p->protocol);
		ike_buf_put_u8(b, p->spi_len);
		ike_buf_put_u8(b, p->n_transforms);
		ike_buf_put(b, p->spi, p->spi_len);
		for (unsigned int j = 0; j < p->n_transforms; j++) {
			const struct ike_transform *t = &p->tr[j];

			ike_buf_put_u8(b, j + 1 == p->n_transforms ?
				       LAST_TRANSFORM : MORE_TRANSFORMS);
			ike_buf_put_u8(b, 0);
			ike_buf_put_u16(b, TRANS_HDR_LEN + (t->keylen ? ATTR_HDR_LEN : 0));
			ike_buf_put_u8(b, t->type);
			ike_buf_put_u8(b, 0);
			ike_buf_put_u16(b, t->id);
			if (t->keylen) {
				ike_buf_put_u16(b, IKE_ATTR_AF | IKE_ATTR_KEY_LENGTH);
				ike_buf_put_u16(b, t->keylen);
			}
		}
		if (b->err)
			return b->err;
		ike_buf_set_u16(b, poff + 2, (uint16_t)(b->len - poff));
	}
	return ike_mb_pl_end(mb, off);

inval:
	ike_mb_fail(mb, -EINVAL);
	return -EINVAL;
}
