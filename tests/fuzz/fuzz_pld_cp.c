/*
 * fuzz_pld_cp.c — CP payload body parser (RFC 7296 3.15).  Invariants:
 * accepted bodies re-encode to the input with only the reserved R bits
 * cleared, re-parse to the same attributes, and every attribute points
 * inside the input with a length its type allows.
 */
#include <stdlib.h>
#include <string.h>

#include "ike_ts_cp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_cp cp, cp2;
	struct ike_buf b;
	uint8_t *want;
	size_t off = 4;

	if (ike_cp_parse(data, size, &cp) < 0)
		return 0;
	if (cp.n > IKE_MAX_CP_ATTRS)
		abort();
	for (size_t i = 0; i < cp.n; i++) {
		const struct ike_cp_attr *a = &cp.attr[i];

		if (a->val < data || (size_t)(a->val - data) > size ||
		    size - (size_t)(a->val - data) < a->len)
			abort();
		if (!ike_cp_attr_len_ok(a->type, a->len) || a->type > 0x7fff)
			abort();
		if (ike_cp_find(&cp, a->type, 0) > (int)i)
			abort();
	}

	/* expected re-encoding: the input with each attribute's R bit cleared */
	want = malloc(size ? size : 1);
	if (!want)
		return 0;
	memcpy(want, data, size);
	memset(want + 1, 0, 3);	/* RESERVED is sent as zero */
	for (size_t i = 0; i < cp.n; i++) {
		want[off] &= 0x7f;
		off += 4 + cp.attr[i].len;
	}
	ike_buf_init(&b);
	if (ike_cp_build(&b, &cp) != 0 || b.len != size ||
	    memcmp(b.data, want, size) != 0)
		abort();
	if (ike_cp_parse(b.data, b.len, &cp2) != 0 || cp2.n != cp.n ||
	    cp2.cfg_type != cp.cfg_type)
		abort();
	ike_buf_free(&b);
	free(want);
	return 0;
}
