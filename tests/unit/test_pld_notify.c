/*
 * test_pld_notify.c — Notify payload (RFC 7296 3.10) and the data of the
 * types we read or send: 3.10.1, RFC 4555 (MOBIKE), RFC 4478 (AUTH_LIFETIME),
 * RFC 5685 (REDIRECT), RFC 7383 (fragmentation), RFC 7427 (hash algorithms).
 */
#include "check.h"
#include "ike.h"
#include "ike_payload.h"

struct one {
	struct ike_buf b;
	struct ike_msg_builder mb;
	struct ike_chain ch;
};

static void one_begin(struct one *o)
{
	ike_buf_init(&o->b);
	ike_mb_begin_chain(&o->mb, &o->b);
}

/* Finish, walk and parse the single Notify; 0 or a negative errno. */
static int one_end(struct one *o, struct ike_notify *n)
{
	int r = ike_mb_finish(&o->mb);

	if (r < 0)
		return r;
	r = ike_chain_parse(o->b.data, o->b.len, 0, o->mb.first, &o->ch);
	if (r < 0)
		return r;
	if (o->ch.n != 1 || o->ch.pl[0].type != IKE_PL_NOTIFY)
		return -EPROTO;
	return ike_notify_parse(o->ch.pl[0].body, o->ch.pl[0].len, n);
}

/* 3.10: Protocol ID, SPI Size (0 for IKE SA notifications, 4 for AH/ESP,
 * 8 is tolerated for IKE SPIs), Notify Message Type, SPI, data. */
static void test_framing(void)
{
	static const uint8_t hand[] = {
		IKE_PROTO_ESP, 4, 0x40, 0x09,	/* REKEY_SA */
		0x11, 0x22, 0x33, 0x44,
	};
	struct ike_notify n;
	uint32_t spi;

	CHECK_INT(ike_notify_parse(hand, sizeof(hand), &n), 0);
	CHECK_INT(n.protocol, IKE_PROTO_ESP);
	CHECK_INT(n.spi_size, 4);
	CHECK_INT(n.type, IKE_N_REKEY_SA);
	CHECK_INT(n.data_len, 0);
	CHECK_INT(ike_notify_rekey_spi(&n, &spi), 0);
	CHECK_INT(spi, 0x11223344);
	CHECK_INT(ike_notify_check(&n), 0);
	for (size_t k = 0; k < sizeof(hand); k++)
		CHECK_INT(ike_notify_parse(hand, k, &n), -EBADMSG);

	for (unsigned int sz = 0; sz < 16; sz++) {
		uint8_t m[4 + 16] = { IKE_PROTO_IKE, (uint8_t)sz, 0x40, 0x00 };
		int want = sz == 0 || sz == 4 || sz == 8 ? 0 : -EBADMSG;

		CHECK_INT(ike_notify_parse(m, sizeof(m), &n), want);
		if (want == 0) {
			CHECK_INT(n.data_len, 16 - sz);
			CHECK(n.data == m + 4 + sz);
		}
	}

	/* builder: SPI with protocol, without; bad SPI sizes refused */
	{
		struct one o;
		static const uint8_t spi8[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

		one_begin(&o);
		CHECK_INT(ike_notify_build(&o.mb, IKE_PROTO_IKE, IKE_N_INVALID_SPI,
					   spi8, 8, NULL, 0), 0);
		CHECK_INT(one_end(&o, &n), 0);
		CHECK_INT(n.spi_size, 8);
		CHECK_MEM(n.spi, spi8, 8);
		CHECK_INT(n.type, IKE_N_INVALID_SPI);
		ike_buf_free(&o.b);
		one_begin(&o);
		CHECK_INT(ike_notify_build(&o.mb, IKE_PROTO_ESP, IKE_N_REKEY_SA, spi8, 3, NULL, 0), -EINVAL);
		ike_buf_free(&o.b);
		one_begin(&o);
		CHECK_INT(ike_notify_build(&o.mb, IKE_PROTO_ESP, IKE_N_REKEY_SA, NULL, 0, NULL, 0), -EINVAL);
		CHECK_INT(one_end(&o, &n), -EINVAL);
		ike_buf_free(&o.b);
	}
}

/* Build one notify without SPI carrying data d[0..len) and return check(). */
static int check_data(uint16_t type, const uint8_t *d, size_t len)
{
	struct one o;
	struct ike_notify n;
	int r;

	one_begin(&o);
	ike_notify_build(&o.mb, 0, type, NULL, 0, d, len);
	r = one_end(&o, &n);
	if (r == 0)
		r = ike_notify_check(&n);
	ike_buf_free(&o.b);
	return r;
}

/* Size rules of each type's Notification Data, at and around the edges. */
static void test_sizes(void)
{
	uint8_t d[300];
	static const struct {
		uint16_t type;
		size_t lo, hi;	/* accepted data lengths lo..hi */
	} rules[] = {
		{ IKE_N_NAT_DETECTION_SOURCE_IP, 20, 20 },	/* 2.23: SHA-1 */
		{ IKE_N_NAT_DETECTION_DESTINATION_IP, 20, 20 },
		{ IKE_N_COOKIE, 1, 64 },			/* 2.6 */
		{ IKE_N_COOKIE2, 8, 64 },			/* RFC 4555 3.8 */
		{ IKE_N_INVALID_KE_PAYLOAD, 2, 2 },		/* 1.3 */
		{ IKE_N_SET_WINDOW_SIZE, 4, 4 },		/* 2.3 */
		{ IKE_N_AUTH_LIFETIME, 4, 4 },			/* RFC 4478 */
		{ IKE_N_ADDITIONAL_IP4_ADDRESS, 4, 4 },		/* RFC 4555 3.6 */
		{ IKE_N_ADDITIONAL_IP6_ADDRESS, 16, 16 },
		{ IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD, 1, 1 },	/* 3.10.1 */
		{ IKE_N_INITIAL_CONTACT, 0, 0 },
		{ IKE_N_MOBIKE_SUPPORTED, 0, 0 },		/* RFC 4555 3.2 */
		{ IKE_N_UPDATE_SA_ADDRESSES, 0, 0 },		/* RFC 4555 3.5 */
		{ IKE_N_NO_ADDITIONAL_ADDRESSES, 0, 0 },	/* RFC 4555 3.7 */
		{ IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, 0, 0 },	/* RFC 7383 2.3 */
		{ IKE_N_REDIRECT_SUPPORTED, 0, 0 },		/* RFC 5685 4.1 */
		{ IKE_N_EAP_ONLY_AUTHENTICATION, 0, 0 },	/* RFC 5998 */
		{ IKE_N_MULTIPLE_AUTH_SUPPORTED, 0, 0 },	/* RFC 4739 */
		{ IKE_N_USE_TRANSPORT_MODE, 0, 0 },
		{ IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED, 0, 0 },
		{ IKE_N_NON_FIRST_FRAGMENTS_ALSO, 0, 0 },
		{ IKE_N_SIGNATURE_HASH_ALGORITHMS, 2, 2 * IKE_MAX_HASH_ALGS },
	};

	memset(d, 0x02, sizeof(d));
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		for (size_t len = 0; len <= 70; len++) {
			int r = check_data(rules[i].type, d, len);
			bool ok = len >= rules[i].lo && len <= rules[i].hi;

			if (rules[i].type == IKE_N_SIGNATURE_HASH_ALGORITHMS) {
				ok = ok && len % 2 == 0;
				if (len > rules[i].hi && len % 2 == 0) {
					CHECK_INT(r, -E2BIG);
					continue;
				}
			}
			if ((r == 0) != ok)
				fprintf(stderr, "  notify %u, data length %zu\n",
					rules[i].type, len);
			CHECK_INT(r, ok ? 0 : -EBADMSG);
		}
	}
	/* types we do not interpret pass */
	CHECK_INT(check_data(IKE_N_NO_PROPOSAL_CHOSEN, d, 0), 0);
	CHECK_INT(check_data(IKE_N_IPCOMP_SUPPORTED, d, 3), 0);
	CHECK_INT(check_data(40000, d, 77), 0);
}

/* Accessors return the values they claim. */
static void test_values(void)
{
	struct one o;
	struct ike_notify n;
	uint16_t g;
	uint32_t v;
	const uint8_t *p;
	struct ike_chunk c;
	static const uint8_t cookie[] = { 0xde, 0xad, 0xbe, 0xef, 0x01 };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 };

	one_begin(&o);
	CHECK_INT(ike_notify_build_u16(&o.mb, IKE_N_INVALID_KE_PAYLOAD, IKE_DH_MODP2048), 0);
	CHECK_INT(one_end(&o, &n), 0);
	CHECK_INT(o.b.len, 4 + 4 + 2);
	CHECK_INT(o.b.data[8], 0x00);
	CHECK_INT(o.b.data[9], 14);
	CHECK_INT(ike_notify_u16(&n, &g), 0);
	CHECK_INT(g, IKE_DH_MODP2048);
	CHECK_INT(ike_notify_u32(&n, &v), -EBADMSG);
	ike_buf_free(&o.b);

	one_begin(&o);
	CHECK_INT(ike_notify_build_u32(&o.mb, IKE_N_AUTH_LIFETIME, 3600), 0);
	CHECK_INT(one_end(&o, &n), 0);
	CHECK_INT(ike_notify_u32(&n, &v), 0);
	CHECK_INT(v, 3600);
	CHECK_INT(n.type, IKE_N_AUTH_LIFETIME);
	ike_buf_free(&o.b);

	one_begin(&o);
	CHECK_INT(ike_notify_build(&o.mb, 0, IKE_N_COOKIE, NULL, 0, cookie, sizeof(cookie)), 0);
	CHECK_INT(one_end(&o, &n), 0);
	CHECK_INT(ike_notify_cookie(&n, &c), 0);
	CHECK_INT(c.len, 5);
	CHECK_MEM(c.ptr, cookie, 5);
	CHECK_INT(ike_notify_cookie2(&n, &c), -EBADMSG);	/* < 8 */
	ike_buf_free(&o.b);

	one_begin(&o);
	CHECK_INT(ike_notify_build(&o.mb, 0, IKE_N_ADDITIONAL_IP6_ADDRESS, NULL, 0, v6, 16), 0);
	CHECK_INT(one_end(&o, &n), 0);
	CHECK_INT(ike_notify_addr(&n, 16, &p), 0);
	CHECK_MEM(p, v6, 16);
	CHECK_INT(ike_notify_addr(&n, 4, &p), -EBADMSG);
	CHECK_INT(ike_notify_addr(&n, 15, &p), -EBADMSG);
	CHECK_INT(ike_notify_empty(&n), -EBADMSG);
	ike_buf_free(&o.b);

	/* REKEY_SA must name an AH/ESP SA with a 4-byte SPI and carry no data */
	{
		static const uint8_t spi4[4] = { 0xc0, 0, 0, 1 };

		one_begin(&o);
		CHECK_INT(ike_notify_build(&o.mb, IKE_PROTO_ESP, IKE_N_REKEY_SA, spi4, 4, NULL, 0), 0);
		CHECK_INT(one_end(&o, &n), 0);
		CHECK_INT(ike_notify_rekey_spi(&n, &v), 0);
		CHECK_INT(v, 0xc0000001);
		ike_buf_free(&o.b);
		one_begin(&o);
		CHECK_INT(ike_notify_build(&o.mb, IKE_PROTO_IKE, IKE_N_REKEY_SA, spi4, 4, NULL, 0), 0);
		CHECK_INT(one_end(&o, &n), 0);
		CHECK_INT(ike_notify_rekey_spi(&n, &v), -EBADMSG);
		CHECK_INT(ike_notify_check(&n), -EBADMSG);
		ike_buf_free(&o.b);
		one_begin(&o);
		CHECK_INT(ike_notify_build(&o.mb, IKE_PROTO_ESP, IKE_N_REKEY_SA, spi4, 4, spi4, 1), 0);
		CHECK_INT(one_end(&o, &n), 0);
		CHECK_INT(ike_notify_check(&n), -EBADMSG);
		ike_buf_free(&o.b);
		one_begin(&o);
		CHECK_INT(ike_notify_build(&o.mb, 0, IKE_N_REKEY_SA, NULL, 0, NULL, 0), 0);
		CHECK_INT(one_end(&o, &n), 0);
		CHECK_INT(ike_notify_check(&n), -EBADMSG);
		ike_buf_free(&o.b);
	}
}

/* RFC 7427 4: "The Notification Data field contains the list of 16-bit
 * hash algorithm identifiers". */
static void test_hash_algs(void)
{
	struct one o;
	struct ike_notify n;
	uint16_t in[IKE_MAX_HASH_ALGS + 1], out[IKE_MAX_HASH_ALGS + 1];
	size_t cnt;
	static const uint8_t hand[] = { 0x00, 0x00, 0x40, 0x2f, 0x00, 0x02, 0x00, 0x04 };

	CHECK_INT(ike_notify_parse(hand, sizeof(hand), &n), 0);
	CHECK_INT(n.type, IKE_N_SIGNATURE_HASH_ALGORITHMS);
	CHECK_INT(ike_notify_hash_algs(&n, out, 2, &cnt), 0);
	CHECK_INT(cnt, 2);
	CHECK_INT(out[0], IKE_HASH_SHA2_256);
	CHECK_INT(out[1], IKE_HASH_SHA2_512);
	CHECK_INT(ike_notify_hash_algs(&n, out, 1, &cnt), -E2BIG);
	CHECK_INT(cnt, 0);

	for (size_t i = 0; i <= IKE_MAX_HASH_ALGS; i++)
		in[i] = (uint16_t)(i + 1);
	one_begin(&o);
	CHECK_INT(ike_notify_build_hash_algs(&o.mb, in, IKE_MAX_HASH_ALGS), 0);
	CHECK_INT(one_end(&o, &n), 0);
	CHECK_INT(n.data_len, 2 * IKE_MAX_HASH_ALGS);
	CHECK_INT(ike_notify_hash_algs(&n, out, IKE_MAX_HASH_ALGS + 1, &cnt), 0);
	CHECK_INT(cnt, IKE_MAX_HASH_ALGS);
	CHECK_MEM(out, in, sizeof(uint16_t) * IKE_MAX_HASH_ALGS);
	ike_buf_free(&o.b);

	/* one beyond our limit */
	one_begin(&o);
	{
		uint8_t d[2 * (IKE_MAX_HASH_ALGS + 1)];

		for (size_t i = 0; i <= IKE_MAX_HASH_ALGS; i++) {
			d[2 * i] = 0;
			d[2 * i + 1] = (uint8_t)(i + 1);
		}
		ike_notify_build(&o.mb, 0, IKE_N_SIGNATURE_HASH_ALGORITHMS, NULL, 0, d, sizeof(d));
	}
	CHECK_INT(one_end(&o, &n), 0);
	CHECK_INT(ike_notify_hash_algs(&n, out, IKE_MAX_HASH_ALGS + 1, &cnt), -E2BIG);
	ike_buf_free(&o.b);

	one_begin(&o);
	CHECK_INT(ike_notify_build_hash_algs(&o.mb, in, IKE_MAX_HASH_ALGS + 1), -EINVAL);
	ike_buf_free(&o.b);
	one_begin(&o);
	CHECK_INT(ike_notify_build_hash_algs(&o.mb, in, 0), -EINVAL);
	ike_buf_free(&o.b);
}

/* RFC 5685 8.1: | GW Ident Type | GW Ident Len | New Responder GW Identity |
 * Nonce Data |; 8.2 REDIRECTED_FROM has no nonce. */
static void test_redirect(void)
{
	struct one o;
	struct ike_notify n;
	struct ike_redirect r;
	uint8_t nonce[32];
	static const uint8_t gw4[4] = { 198, 51, 100, 7 };
	static const uint8_t hand[] = {
		0x00, 0x00, 0x40, 0x17,		/* REDIRECT (16407) */
		IKE_GW_FQDN, 8, 'g', 'w', '2', '.', 't', 'e', 's', 't',
	};

	memset(nonce, 0x4e, sizeof(nonce));
	CHECK_INT(ike_notify_parse(hand, sizeof(hand), &n), 0);
	CHECK_INT(n.type, IKE_N_REDIRECT);
	CHECK_INT(ike_notify_redirect(&n, &r), 0);
	CHECK_INT(r.gw_type, IKE_GW_FQDN);
	CHECK_INT(r.gw_len, 8);
	CHECK_MEM(r.gw, "gw2.test", 8);
	CHECK(r.nonce == NULL);
	CHECK_INT(r.nonce_len, 0);

	/* REDIRECT in an IKE_SA_INIT response carries the initiator's nonce */
	one_begin(&o);
	CHECK_INT(ike_notify_build_redirect(&o.mb, IKE_N_REDIRECT, IKE_GW_IPV4, gw4, 4,
					    nonce, sizeof(nonce)), 0);
	CHECK_INT(one_end(&o, &n), 0);
	CHECK_INT(n.data_len, 2 + 4 + 32);
	CHECK_INT(n.data[0], IKE_GW_IPV4);
	CHECK_INT(n.data[1], 4);
	CHECK_INT(ike_notify_redirect(&n, &r), 0);
	CHECK_INT(r.gw_len, 4);
	CHECK_MEM(r.gw, gw4, 4);
	CHECK_INT(r.nonce_len, 32);
	CHECK_MEM(r.nonce, nonce, 32);
	CHECK_INT(ike_notify_check(&n), 0);
	/* truncations: refused unless what is left of the nonce is none at all
	 * or still 16..256 bytes (a valid nonce on its own) */
	for (size_t k = 0; k < n.data_len; k++) {
		struct ike_notify t = n;

		t.data_len = k;
		CHECK_INT(ike_notify_redirect(&t, &r), k == 6 || k >= 6 + 16 ? 0 : -EBADMSG);
	}
	ike_buf_free(&o.b);

	/* REDIRECTED_FROM: no nonce allowed */
	one_begin(&o);
	CHECK_INT(ike_notify_build_redirect(&o.mb, IKE_N_REDIRECTED_FROM, IKE_GW_IPV4, gw4, 4,
					    NULL, 0), 0);
	CHECK_INT(one_end(&o, &n), 0);
	CHECK_INT(ike_notify_check(&n), 0);
	ike_buf_free(&o.b);
	one_begin(&o);
	CHECK_INT(ike_notify_build(&o.mb, 0, IKE_N_REDIRECTED_FROM, NULL, 0, hand + 4, 10), 0);
	CHECK_INT(one_end(&o, &n), 0);
	CHECK_INT(ike_notify_check(&n), 0);
	ike_buf_free(&o.b);
	{
		uint8_t d[2 + 4 + 16] = { IKE_GW_IPV4, 4, 1, 2, 3, 4 };

		one_begin(&o);
		ike_notify_build(&o.mb, 0, IKE_N_REDIRECTED_FROM, NULL, 0, d, sizeof(d));
		CHECK_INT(one_end(&o, &n), 0);
		CHECK_INT(ike_notify_redirect(&n, &r), -EBADMSG);
		n.type = IKE_N_REDIRECT;
		CHECK_INT(ike_notify_redirect(&n, &r), 0);	/* 16-byte nonce */
		ike_buf_free(&o.b);

		/* identity length must fit the type; unknown types */
		n.data = d;
		n.data_len = 6;
		d[1] = 5;
		CHECK_INT(ike_notify_redirect(&n, &r), -EBADMSG);
		d[1] = 3;
		CHECK_INT(ike_notify_redirect(&n, &r), -EBADMSG);	/* IPv4 3 + junk */
		d[0] = IKE_GW_IPV6;
		d[1] = 4;
		CHECK_INT(ike_notify_redirect(&n, &r), -EBADMSG);
		d[0] = IKE_GW_FQDN;
		d[1] = 0;
		n.data_len = 2;
		CHECK_INT(ike_notify_redirect(&n, &r), -EBADMSG);	/* empty FQDN */
		d[0] = 4;
		d[1] = 4;
		n.data_len = 6;
		CHECK_INT(ike_notify_redirect(&n, &r), -ENOTSUP);
	}
	/* builder refusals */
	one_begin(&o);
	CHECK_INT(ike_notify_build_redirect(&o.mb, IKE_N_REDIRECTED_FROM, IKE_GW_IPV4, gw4, 4,
					    nonce, 32), -EINVAL);
	ike_buf_free(&o.b);
	one_begin(&o);
	CHECK_INT(ike_notify_build_redirect(&o.mb, IKE_N_REDIRECT, IKE_GW_IPV4, gw4, 4,
					    nonce, 15), -EINVAL);
	ike_buf_free(&o.b);
	one_begin(&o);
	CHECK_INT(ike_notify_build_redirect(&o.mb, IKE_N_REDIRECT, IKE_GW_IPV6, gw4, 4,
					    NULL, 0), -EINVAL);
	ike_buf_free(&o.b);
	one_begin(&o);
	CHECK_INT(ike_notify_build_redirect(&o.mb, IKE_N_COOKIE, IKE_GW_IPV4, gw4, 4,
					    NULL, 0), -EINVAL);
	ike_buf_free(&o.b);
}

int main(void)
{
	test_framing();
	test_sizes();
	test_values();
	test_hash_algs();
	test_redirect();
	return check_done("pld_notify");
}
