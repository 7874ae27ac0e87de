/*
 * fuzz_pld_basic.c — the simple payload bodies of RFC 7296 section 3.
 * Byte 0 selects the parser (mod 10): 0 KE, 1 Nonce, 2 ID, 3 CERT,
 * 4 CERTREQ, 5 AUTH (+ RFC 7427 signature data), 6 RFC 7427 signature data
 * alone, 7 Vendor ID, 8 EAP, 9 Delete; the rest is the body.  Invariants
 * (abort on violation): views stay inside the body; re-encoding what was
 * parsed gives the body back (reserved bytes zeroed).
 */
#include <stdlib.h>
#include <string.h>

#include "ike_payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The builder's single payload body must equal want[0..len), where the
 * bytes flagged in `reserved` (a bit mask over the first 8 bytes) are
 * compared as zero. */
static void expect_body(struct ike_buf *b, const uint8_t *want, size_t len,
			unsigned int reserved)
{
	if (b->err || b->len != len + 4)
		abort();
	for (size_t i = 0; i < len; i++) {
		uint8_t w = i < 8 && (reserved >> i & 1) ? 0 : want[i];

		if (b->data[4 + i] != w)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p;
	size_t len;
	struct ike_buf b;
	struct ike_msg_builder mb;

	if (size < 1)
		return 0;
	p = data + 1;
	len = size - 1;
	ike_buf_init(&b);
	ike_mb_begin_chain(&mb, &b);

	switch (data[0] % 10) {
	case 0: {
		struct ike_ke ke;

		if (ike_ke_parse(p, len, &ke) == 0) {
			ike_ke_build(&mb, ke.group, ke.data, ke.len);
			expect_body(&b, p, len, 0x0c);
		}
		break;
	}
	case 1: {
		struct ike_chunk c;

		if (ike_nonce_parse(p, len, &c) == 0) {
			if (c.len < IKE_MIN_NONCE_LEN || c.len > IKE_MAX_NONCE_LEN)
				abort();
			ike_nonce_build(&mb, c.ptr, c.len);
			expect_body(&b, p, len, 0);
		}
		break;
	}
	case 2: {
		struct ike_id id;

		if (ike_id_parse(p, len, &id) == 0) {
			if ((id.type == IKE_ID_IPV4_ADDR && id.len != 4) ||
			    (id.type == IKE_ID_IPV6_ADDR && id.len != 16) || id.len == 0)
				abort();
			ike_id_build(&mb, IKE_PL_IDI, id.type, id.data, id.len);
			expect_body(&b, p, len, 0x0e);
		}
		break;
	}
	case 3: {
		struct ike_cert c;

		if (ike_cert_parse(p, len, &c) == 0) {
			ike_cert_build(&mb, c.encoding, c.data, c.len);
			expect_body(&b, p, len, 0);
		}
		break;
	}
	case 4: {
		struct ike_certreq c;

		if (ike_certreq_parse(p, len, &c) == 0) {
			for (size_t i = 0; i < c.n_hashes; i++)
				if (ike_certreq_hash(&c, i) + IKE_CERTREQ_HASH_LEN > p + len)
					abort();
			ike_certreq_build(&mb, c.encoding, c.data, c.len);
			expect_body(&b, p, len, 0);
		}
		break;
	}
	case 5: {
		struct ike_auth a;
		struct ike_sigdata s;

		if (ike_auth_parse(p, len, &a) == 0) {
			if (a.method == IKE_AUTH_DIGITAL_SIG &&
			    ike_sigdata_parse(a.data, a.len, &s) == 0) {
				ike_auth_build_sig(&mb, s.alg_id, s.alg_id_len, s.sig, s.sig_len);
			} else {
				ike_auth_build(&mb, a.method, a.data, a.len);
			}
			expect_body(&b, p, len, 0x0e);
		}
		break;
	}
	case 6: {
		struct ike_sigdata s;

		if (ike_sigdata_parse(p, len, &s) == 0 &&
		    (s.alg_id_len == 0 || s.sig_len == 0 || s.sig + s.sig_len != p + len))
			abort();
		break;
	}
	case 7: {
		struct ike_chunk c;

		if (ike_vendor_parse(p, len, &c) == 0) {
			ike_vendor_build(&mb, c.ptr, c.len);
			expect_body(&b, p, len, 0);
		}
		break;
	}
	case 8: {
		struct ike_eap e;

		if (ike_eap_parse(p, len, &e) == 0) {
			ike_eap_build(&mb, e.code, e.id, e.type, e.type_data, e.type_len);
			expect_body(&b, p, len, 0);
		}
		break;
	}
	case 9: {
		struct ike_delete d;
		uint32_t spis[IKE_MAX_DELETE_SPIS];

		if (ike_delete_parse(p, len, &d) == 0) {
			if (d.n_spis > IKE_MAX_DELETE_SPIS)
				abort();
			for (size_t i = 0; i < d.n_spis; i++)
				spis[i] = ike_delete_spi(&d, i);
			if (d.protocol == IKE_PROTO_IKE || d.n_spis > 0) {
				ike_delete_build(&mb, d.protocol, spis, d.n_spis);
				expect_body(&b, p, len, 0);
			}
		}
		break;
	}
	}
	ike_buf_free(&b);
	return 0;
}
