/*
 * fuzz_frag.c — RFC 7383 reassembly driven by a record stream, plus the
 * SK/SKF locator on the raw input.
 *
 * Input: byte 0 selects the byte limit (0 = default 64 KiB, else n * 256);
 * then records  num(1) total(1) next_payload(1) len(2, big endian, taken
 * modulo 2048) data(len, truncated at the end of input).  Fragment numbers
 * and totals are taken as bytes so the interesting range (0..65, around
 * IKE_MAX_FRAGMENTS) is hit often.  Invariants: the context never holds
 * more than max_bytes or IKE_MAX_FRAGMENTS; a completed message has
 * exactly the stored bytes; nothing leaks.
 */
#include <stdlib.h>
#include <string.h>

#include "ike_frag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_ctx(const struct ike_frag_ctx *c)
{
	size_t have = 0, bytes = 0;

	if (c->total > IKE_MAX_FRAGMENTS || c->bytes > c->max_bytes)
		abort();
	for (size_t i = 0; i < IKE_MAX_FRAGMENTS; i++) {
		if (!c->frag[i].data)
			continue;
		if (i >= c->total)
			abort();
		have++;
		bytes += c->frag[i].len;
	}
	if (have != c->n_have || bytes != c->bytes)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_frag_ctx c;
	struct ike_sk_info si;
	struct ike_buf out;
	size_t off = 1;

	(void)ike_sk_locate(data, size, &si);
	if (size < 1)
		return 0;
	ike_frag_ctx_init(&c, 0, (size_t)data[0] * 256);
	ike_buf_init(&out);
	while (size - off >= 5) {
		uint16_t num = data[off], total = data[off + 1];
		uint8_t np = data[off + 2];
		size_t len = ike_get_u16(data + off + 3) % 2048;
		bool wanted = ike_frag_wanted(&c, num, total);
		int r;

		off += 5;
		if (len > size - off)
			len = size - off;
		r = ike_frag_add(&c, num, total, np, data + off, len);
		off += len;
		if ((r >= 0) != wanted && r != -E2BIG && r != -ENOMEM)
			abort();	/* wanted() must predict add() */
		check_ctx(&c);
		if (r == 1) {
			size_t bytes = c.bytes;
			uint8_t first;

			ike_buf_reset(&out);
			out.limit = 2 * IKE_FRAG_MAX_BYTES;
			if (ike_frag_take(&c, &out, &first) != 0 || out.len != bytes)
				abort();
			if (c.total || c.n_have || c.bytes)
				abort();
		} else if (ike_frag_take(&c, &out, &(uint8_t){ 0 }) != -EAGAIN) {
			abort();
		}
	}
	ike_frag_ctx_reset(&c);
	ike_buf_free(&out);
	return 0;
}
