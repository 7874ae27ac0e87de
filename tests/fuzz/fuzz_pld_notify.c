/*
 * fuzz_pld_notify.c — Notify payload body (RFC 7296 3.10) and every
 * type-specific accessor, whatever the type says.  Invariants (abort on
 * violation): views stay inside the body; re-encoding gives the body back
 * (Protocol ID is ignored on receipt when there is no SPI, 3.10);
 * ike_notify_check() agrees with the accessor of the type.
 */
#include <stdlib.h>
#include <string.h>

#include "ike_payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_notify n;
	const uint8_t *end = data + size, *p;
	struct ike_chunk c;
	struct ike_redirect r;
	uint16_t u16, algs[IKE_MAX_HASH_ALGS];
	uint32_t u32;
	size_t cnt;
	int chk;

	if (ike_notify_parse(data, size, &n) < 0)
		return 0;
	if (n.data + n.data_len != end || n.spi + n.spi_size != n.data)
		abort();
	chk = ike_notify_check(&n);

	if (ike_notify_nat_hash(&n, &p) == 0 && p + IKE_NAT_HASH_LEN != end)
		abort();
	if (ike_notify_cookie(&n, &c) == 0 && (c.len == 0 || c.len > IKE_MAX_COOKIE_LEN))
		abort();
	if (ike_notify_cookie2(&n, &c) == 0 && (c.len < 8 || c.len > IKE_MAX_COOKIE2_LEN))
		abort();
	ike_notify_u16(&n, &u16);
	ike_notify_u32(&n, &u32);
	ike_notify_rekey_spi(&n, &u32);
	ike_notify_addr(&n, 4, &p);
	ike_notify_addr(&n, 16, &p);
	ike_notify_empty(&n);
	if (ike_notify_hash_algs(&n, algs, IKE_MAX_HASH_ALGS, &cnt) == 0 &&
	    (cnt == 0 || cnt > IKE_MAX_HASH_ALGS))
		abort();
	if (ike_notify_redirect(&n, &r) == 0) {
		if (r.gw + r.gw_len > end || (r.nonce && r.nonce + r.nonce_len != end))
			abort();
		if (r.nonce && (r.nonce_len < IKE_MIN_NONCE_LEN || r.nonce_len > IKE_MAX_NONCE_LEN))
			abort();
	}
	/* check() and the accessor of the type agree */
	switch (n.type) {
	case IKE_N_NAT_DETECTION_SOURCE_IP:
		if ((chk == 0) != (ike_notify_nat_hash(&n, &p) == 0))
			abort();
		break;
	case IKE_N_COOKIE:
		if ((chk == 0) != (ike_notify_cookie(&n, &c) == 0))
			abort();
		break;
	case IKE_N_REDIRECT:
		if ((chk == 0) != (ike_notify_redirect(&n, &r) == 0))
			abort();
		break;
	default:
		break;
	}

	/* round trip */
	{
		struct ike_buf b;
		struct ike_msg_builder mb;
		uint8_t proto = n.spi_size ? n.protocol : 0;

		ike_buf_init(&b);
		ike_mb_begin_chain(&mb, &b);
		if (ike_notify_build(&mb, proto, n.type, n.spi, n.spi_size, n.data, n.data_len) != 0 ||
		    b.len != size + 4 || memcmp(b.data + 5, data + 1, size - 1) != 0 ||
		    b.data[4] != proto)
			abort();
		ike_buf_free(&b);
	}
	return 0;
}
