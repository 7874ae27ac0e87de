/* ike_buf.c — growable output buffer with sticky errors; ike_init(). */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ike.h"

void ike_buf_init(struct ike_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void ike_buf_free(struct ike_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void ike_buf_reset(struct ike_buf *b)
{
	b->len = 0;
	b->err = 0;
}

uint8_t *ike_buf_reserve(struct ike_buf *b, size_t n)
{
	size_t limit = b->limit ? b->limit : IKE_MAX_MSG_LEN;
	uint8_t *p;

	if (b->err)
		return NULL;
	if (n == 0)
		return b->data ? b->data + b->len : NULL;	/* nothing to reserve */
	if (n > limit || b->len > limit - n) {
		b->err = -EMSGSIZE;
		return NULL;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p) {
			b->err = -ENOMEM;
			return NULL;
		}
		b->data = p;
		b->cap = cap;
	}
	p = b->data + b->len;
	b->len += n;
	return p;
}

void ike_buf_put(struct ike_buf *b, const void *p, size_t n)
{
	uint8_t *d = ike_buf_reserve(b, n);

	if (d && n)
		memcpy(d, p, n);
}

void ike_buf_put_zero(struct ike_buf *b, size_t n)
{
	uint8_t *d = ike_buf_reserve(b, n);

	if (d && n)
		memset(d, 0, n);
}

void ike_buf_put_u8(struct ike_buf *b, uint8_t v)
{
	ike_buf_put(b, &v, 1);
}

void ike_buf_put_u16(struct ike_buf *b, uint16_t v)
{
	uint8_t d[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	ike_buf_put(b, d, sizeof(d));
}

void ike_buf_put_u32(struct ike_buf *b, uint32_t v)
{
	uint8_t d[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	ike_buf_put(b, d, sizeof(d));
}

void ike_buf_put_u64(struct ike_buf *b, uint64_t v)
{
	ike_buf_put_u32(b, (uint32_t)(v >> 32));
	ike_buf_put_u32(b, (uint32_t)v);
}

void ike_buf_set_u16(struct ike_buf *b, size_t off, uint16_t v)
{
	if (b->err || off > b->len || b->len - off < 2)
		return;
	b->data[off] = (uint8_t)(v >> 8);
	b->data[off + 1] = (uint8_t)v;
}

void ike_buf_set_u32(struct ike_buf *b, size_t off, uint32_t v)
{
	if (b->err || off > b->len || b->len - off < 4)
		return;
	b->data[off] = (uint8_t)(v >> 24);
	b->data[off + 1] = (uint8_t)(v >> 16);
	b->data[off + 2] = (uint8_t)(v >> 8);
	b->data[off + 3] = (uint8_t)v;
}

int ike_init(void)
{
	return sodium_init() < 0 ? -ENOMEM : 0;
}
