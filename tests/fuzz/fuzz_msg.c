/*
 * fuzz_msg.c — whole IKE messages: header (RFC 7296 3.1), payload chain
 * (3.2), and every payload body handed to the parser of its type.  The SK
 * body is walked once as if it were the decrypted inner chain (one level,
 * no recursion).  Invariants (abort on violation): every payload lies
 * inside the message and the payloads tile it exactly; rebuilding the
 * message from the parsed view with the builder gives the input back
 * (apart from the reserved bits of the generic headers).
 */
#include <stdlib.h>
#include <string.h>

#include "ike_payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Run the body parser of `type`; results are checked for staying inside. */
static void parse_body(uint8_t type, const uint8_t *b, size_t len)
{
	static struct ike_proposal props[IKE_MAX_PROPOSALS];
	const uint8_t *end = b + len;
	size_t n;

	switch (type) {
	case IKE_PL_SA:
		if (ike_sa_parse(b, len, 0, props, IKE_MAX_PROPOSALS, &n) == 0 &&
		    (n == 0 || n > IKE_MAX_PROPOSALS))
			abort();
		ike_sa_parse(b, len, IKE_SA_PARSE_REPLY, props, 1, &n);
		break;
	case IKE_PL_KE: {
		struct ike_ke ke;

		if (ike_ke_parse(b, len, &ke) == 0 && ke.data + ke.len != end)
			abort();
		break;
	}
	case IKE_PL_IDI:
	case IKE_PL_IDR: {
		struct ike_id id;

		if (ike_id_parse(b, len, &id) == 0 && id.data + id.len != end)
			abort();
		break;
	}
	case IKE_PL_CERT: {
		struct ike_cert c;

		if (ike_cert_parse(b, len, &c) == 0 && c.data + c.len != end)
			abort();
		break;
	}
	case IKE_PL_CERTREQ: {
		struct ike_certreq c;

		if (ike_certreq_parse(b, len, &c) == 0 &&
		    (c.data + c.len != end || c.n_hashes * IKE_CERTREQ_HASH_LEN > c.len))
			abort();
		break;
	}
	case IKE_PL_AUTH: {
		struct ike_auth a;
		struct ike_sigdata s;

		if (ike_auth_parse(b, len, &a) == 0 &&
		    ike_sigdata_parse(a.data, a.len, &s) == 0 &&
		    s.sig + s.sig_len != end)
			abort();
		break;
	}
	case IKE_PL_NONCE: {
		struct ike_chunk c;

		ike_nonce_parse(b, len, &c);
		break;
	}
	case IKE_PL_NOTIFY: {
		struct ike_notify nt;

		if (ike_notify_parse(b, len, &nt) == 0) {
			if (nt.data + nt.data_len != end)
				abort();
			ike_notify_check(&nt);
		}
		break;
	}
	case IKE_PL_DELETE: {
		struct ike_delete d;

		if (ike_delete_parse(b, len, &d) == 0) {
			if (d.n_spis > IKE_MAX_DELETE_SPIS ||
			    d.spis + (size_t)d.n_spis * d.spi_size != end)
				abort();
			for (size_t i = 0; i < d.n_spis; i++)
				(void)ike_delete_spi(&d, i);
		}
		break;
	}
	case IKE_PL_VENDOR: {
		struct ike_chunk c;

		ike_vendor_parse(b, len, &c);
		break;
	}
	case IKE_PL_EAP: {
		struct ike_eap e;

		if (ike_eap_parse(b, len, &e) == 0 &&
		    (e.pkt_len != len || (e.type_data && e.type_data + e.type_len != end)))
			abort();
		break;
	}
	default:
		break;	/* TS, CP, SK: other codecs (their own fuzz targets) */
	}
}

/* Payloads must tile buf[start..len) in order. */
static void check_tiling(const struct ike_chain *ch, const uint8_t *buf,
			 size_t start, size_t len)
{
	size_t off = start;

	if (ch->n > IKE_MAX_PAYLOADS)
		abort();
	for (size_t i = 0; i < ch->n; i++) {
		const struct ike_pl *pl = &ch->pl[i];

		if (pl->off != off || pl->body != buf + off + 4 || pl->len > len - off - 4)
			abort();
		off += 4 + pl->len;
	}
	if (off != len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_msg_view v;
	struct ike_chain inner;
	int r = ike_msg_parse(data, size, &v);

	if (r < 0 && r != -ENOTSUP)
		return 0;
	check_tiling(&v.ch, data, IKE_HDR_LEN, size);
	if (r == -ENOTSUP && (v.ch.unsupported_critical == 0 ||
			      ike_pl_type_known(v.ch.unsupported_critical)))
		abort();
	for (size_t i = 0; i < v.ch.n; i++)
		parse_body(v.ch.pl[i].type, v.ch.pl[i].body, v.ch.pl[i].len);

	/* the SK body as if decrypted: walk it once, parse its bodies */
	if (v.ch.n && (v.ch.pl[v.ch.n - 1].type == IKE_PL_SK ||
		       v.ch.pl[v.ch.n - 1].type == IKE_PL_SKF)) {
		const struct ike_pl *sk = &v.ch.pl[v.ch.n - 1];

		r = ike_chain_parse(sk->body, sk->len, 0, v.ch.sk_next, &inner);
		if (r == 0 || r == -ENOTSUP) {
			check_tiling(&inner, sk->body, 0, sk->len);
			for (size_t i = 0; i < inner.n; i++)
				parse_body(inner.pl[i].type, inner.pl[i].body, inner.pl[i].len);
		}
	}

	/* rebuild: header + each payload as raw; SK keeps its Next Payload */
	{
		struct ike_buf b;
		struct ike_msg_builder mb;

		ike_buf_init(&b);
		ike_mb_begin(&mb, &b, &v.hdr);
		for (size_t i = 0; i < v.ch.n; i++) {
			const struct ike_pl *pl = &v.ch.pl[i];

			if (pl->type == IKE_PL_SK || pl->type == IKE_PL_SKF) {
				size_t off = ike_mb_sk_begin(&mb, pl->type, v.ch.sk_next);

				if (off == SIZE_MAX)
					abort();
				b.data[off + 1] = pl->critical ? 0x80 : 0;
				ike_buf_put(&b, pl->body, pl->len);
				ike_buf_set_u16(&b, off + 2, (uint16_t)(pl->len + 4));
			} else {
				ike_pl_build_raw(&mb, pl->type, pl->critical, pl->body, pl->len);
			}
		}
		if (ike_mb_finish(&mb) != (int)size || b.len != size)
			abort();
		for (size_t i = 0; i < v.ch.n; i++)	/* reserved bits are not kept */
			b.data[v.ch.pl[i].off + 1] = data[v.ch.pl[i].off + 1];
		if (memcmp(b.data, data, size) != 0)
			abort();
		ike_buf_free(&b);
	}
	return 0;
}
