/*
 * fuzz_pld_ts.c — TS payload body parser (RFC 7296 3.13) and the selector
 * algebra run on whatever it accepts.  Invariants checked (abort on
 * violation): parse(build(x)) == x and build(parse(b)) == b up to the
 * RESERVED bytes; prefix lists
 * cover their selector; narrowing results lie inside both inputs; the
 * formatter stays within its buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "ike_ts_cp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_ts_list l, l2, out, any;
	struct ike_buf b;
	struct ike_cidr c[256];
	char s[IKE_TS_FMT_LEN];

	if (ike_ts_parse(data, size, &l) < 0)
		return 0;
	if (l.n == 0 || l.n > IKE_MAX_TS)
		abort();

	ike_buf_init(&b);
	/* identical except RESERVED, which is sent as zero */
	if (ike_ts_build(&b, &l) != 0 || b.len != size || b.data[0] != data[0] ||
	    memcmp(b.data + 1, "\0\0\0", 3) != 0 ||
	    memcmp(b.data + 4, data + 4, size - 4) != 0)
		abort();
	if (ike_ts_parse(b.data, b.len, &l2) != 0 || memcmp(&l, &l2, sizeof(l)))
		abort();
	ike_buf_free(&b);

	for (size_t i = 0; i < l.n; i++) {
		int n = ike_ts_to_cidrs(&l.ts[i], c, 256);
		size_t alen = ike_ts_addr_len(l.ts[i].type);

		if (n <= 0 || n > 254)
			abort();
		if (memcmp(c[0].addr, l.ts[i].start, alen) != 0)
			abort();
		if (ike_ts_format(&l.ts[i], s, sizeof(s)) < 0 || strlen(s) >= sizeof(s))
			abort();
		for (size_t j = 0; j < l.n; j++) {
			struct ike_ts r;

			if (ike_ts_intersect(&l.ts[i], &l.ts[j], &r) &&
			    (!ike_ts_contains(&l.ts[i], &r) || !ike_ts_contains(&l.ts[j], &r)))
				abort();
		}
	}

	memset(&any, 0, sizeof(any));
	ike_ts_any(&any.ts[0], IKE_TS_IPV4_ADDR_RANGE);
	ike_ts_any(&any.ts[1], IKE_TS_IPV6_ADDR_RANGE);
	any.n = 2;
	if (ike_ts_narrow(&l, &any, &out) < 0 || out.n > IKE_MAX_TS)
		abort();
	if (ike_ts_narrow(&l, &l, &out) < 0)
		abort();
	for (size_t i = 0; i < out.n; i++) {
		bool in = false;

		for (size_t j = 0; j < l.n && !in; j++)
			in = ike_ts_contains(&l.ts[j], &out.ts[i]);
		if (!in)
			abort();
	}
	return 0;
}
