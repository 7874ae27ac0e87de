/*
 * test_pld_cp.c — Configuration payload codec (RFC 7296 3.15, 3.15.1;
 * RFC 8598 4.1 INTERNAL_DNS_DOMAIN).
 */
#include <stdlib.h>

#include "check.h"
#include "ike_ts_cp.h"

/* A CFG_REQUEST as Windows sends it (RFC 7296 3.15.1: empty values ask for
 * an assignment), including NBNS and the Microsoft private attributes
 * 23456 / 23457 (0x5ba0 / 0x5ba1), which must be preserved. */
static const char win_req_hex[] =
	"01 000000"
	"0001 0000"	/* INTERNAL_IP4_ADDRESS */
	"0003 0000"	/* INTERNAL_IP4_DNS */
	"0004 0000"	/* INTERNAL_IP4_NBNS */
	"5ba0 0000"	/* MS INTERNAL_IP4_SERVER */
	"0008 0000"	/* INTERNAL_IP6_ADDRESS */
	"000a 0000"	/* INTERNAL_IP6_DNS */
	"5ba1 0000";	/* MS INTERNAL_IP6_SERVER */

/* A CFG_REQUEST with values and an unknown attribute carrying data. */
static const char req_hex[] =
	"01 000000"
	"0001 0004 0a000005"		/* preferred address 10.0.0.5 */
	"0007 0006 737773616e31"	/* APPLICATION_VERSION "swsan1" */
	"0019 000b 6578616d706c652e636f6d"	/* INTERNAL_DNS_DOMAIN example.com */
	"4e20 0003 010203"		/* unknown type 20000 */
	"000e 0004 00010003";		/* SUPPORTED_ATTRIBUTES 1, 3 */

static void test_windows_request(void)
{
	size_t n;
	uint8_t *b = check_unhex(win_req_hex, &n);
	struct ike_cp cp;
	static const uint16_t types[] = { 1, 3, 4, 23456, 8, 10, 23457 };

	CHECK_INT(ike_cp_parse(b, n, &cp), 0);
	CHECK_INT(cp.cfg_type, IKE_CFG_REQUEST);
	CHECK_INT(cp.n, 7);
	for (size_t i = 0; i < 7; i++) {
		CHECK_INT(cp.attr[i].type, types[i]);
		CHECK_INT(cp.attr[i].len, 0);
		CHECK(cp.attr[i].val != NULL);
	}
	CHECK_INT(ike_cp_find(&cp, IKE_CA_INTERNAL_IP6_ADDRESS, 0), 4);
	CHECK_INT(ike_cp_find(&cp, IKE_CA_MS_INTERNAL_IP4_SERVER, 0), 3);
	CHECK_INT(ike_cp_find(&cp, IKE_CA_INTERNAL_IP4_ADDRESS, 1), -ENOENT);
	CHECK_INT(ike_cp_find(&cp, IKE_CA_INTERNAL_IP4_SUBNET, 0), -ENOENT);
	free(b);
}

/* Values are pointed to, unknown attributes kept, and ike_cp_build re-encodes
 * the body byte for byte. */
static void test_preserve_roundtrip(void)
{
	size_t n;
	uint8_t *b = check_unhex(req_hex, &n);
	struct ike_cp cp, cp2;
	struct ike_buf out;

	CHECK_INT(ike_cp_parse(b, n, &cp), 0);
	CHECK_INT(cp.n, 5);
	CHECK_INT(cp.attr[0].len, 4);
	CHECK_MEM(cp.attr[0].val, "\x0a\x00\x00\x05", 4);
	CHECK_INT(cp.attr[1].len, 6);
	CHECK_MEM(cp.attr[1].val, "swsan1", 6);
	CHECK_INT(cp.attr[2].type, IKE_CA_INTERNAL_DNS_DOMAIN);
	CHECK_MEM(cp.attr[2].val, "example.com", 11);
	CHECK_INT(cp.attr[3].type, 20000);
	CHECK_INT(cp.attr[3].len, 3);
	CHECK_MEM(cp.attr[3].val, "\x01\x02\x03", 3);
	CHECK_INT(cp.attr[4].type, IKE_CA_SUPPORTED_ATTRIBUTES);

	ike_buf_init(&out);
	CHECK_INT(ike_cp_build(&out, &cp), 0);
	CHECK_INT(out.len, n);
	if (out.len == n)
		CHECK_MEM(out.data, b, n);
	CHECK_INT(ike_cp_parse(out.data, out.len, &cp2), 0);
	CHECK_INT(cp2.n, cp.n);

	/* Windows request too */
	free(b);
	b = check_unhex(win_req_hex, &n);
	CHECK_INT(ike_cp_parse(b, n, &cp), 0);
	ike_buf_reset(&out);
	CHECK_INT(ike_cp_build(&out, &cp), 0);
	CHECK_INT(out.len, n);
	if (out.len == n)
		CHECK_MEM(out.data, b, n);

	/* 3.15.1: the R bit is ignored on receipt and sent as zero */
	b[4] |= 0x80;
	CHECK_INT(ike_cp_parse(b, n, &cp), 0);
	CHECK_INT(cp.attr[0].type, IKE_CA_INTERNAL_IP4_ADDRESS);
	ike_buf_reset(&out);
	CHECK_INT(ike_cp_build(&out, &cp), 0);
	CHECK_INT(out.data[4], 0x00);
	ike_buf_free(&out);
	free(b);
}

/* Every truncation either fails or (when it ends exactly on an attribute
 * boundary) yields that many attributes. */
static void test_truncation(void)
{
	size_t n, bounds[8], nb = 0, off = 4;
	uint8_t *b = check_unhex(req_hex, &n);
	struct ike_cp cp;

	while (off <= n) {
		bounds[nb++] = off;
		if (off == n)
			break;
		off += 4 + ike_get_u16(b + off + 2);
	}
	CHECK_INT(nb, 6);
	for (size_t i = 0; i < n; i++) {
		uint8_t *t = malloc(i ? i : 1);
		int r, want = -EBADMSG;

		memcpy(t, b, i);
		for (size_t k = 0; k < nb; k++)
			if (bounds[k] == i)
				want = (int)k;
		r = ike_cp_parse(t, i, &cp);
		if (want < 0) {
			CHECK_INT(r, -EBADMSG);
			CHECK_INT(cp.n, 0);
		} else {
			CHECK_INT(r, 0);
			CHECK_INT(cp.n, want);
		}
		free(t);
	}
	free(b);
}

/* CFG Type must be 1..4 (RFC 7296 3.15); the body needs its 4-byte header. */
static void test_header(void)
{
	uint8_t b[4] = { 0, 0, 0, 0 };
	struct ike_cp cp;

	for (int t = 0; t < 256; t++) {
		b[0] = (uint8_t)t;
		CHECK_INT(ike_cp_parse(b, 4, &cp), t >= 1 && t <= 4 ? 0 : -EBADMSG);
	}
	b[0] = IKE_CFG_ACK;
	CHECK_INT(ike_cp_parse(b, 4, &cp), 0);
	CHECK_INT(cp.n, 0);
	CHECK_INT(cp.cfg_type, IKE_CFG_ACK);
	CHECK_INT(ike_cp_parse(b, 3, &cp), -EBADMSG);
}

/* RFC 7296 3.15.1 table (and RFC 8598 4.1): accepted value lengths. */
static void test_attr_lengths(void)
{
	static const struct { uint16_t type; int l1, l2; } fixed[] = {
		{ 1, 0, 4 }, { 2, 0, 4 }, { 3, 0, 4 }, { 4, 0, 4 }, { 6, 0, 4 },
		{ 8, 0, 17 }, { 10, 0, 16 }, { 12, 0, 16 }, { 13, 0, 8 },
		{ 15, 0, 17 },
	};
	uint8_t body[4 + 4 + 40];
	struct ike_cp cp;

	memset(body, 0, sizeof(body));
	body[0] = IKE_CFG_REPLY;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		for (int l = 0; l <= 40; l++) {
			bool ok = l == fixed[i].l1 || l == fixed[i].l2;

			body[4] = (uint8_t)(fixed[i].type >> 8);
			body[5] = (uint8_t)fixed[i].type;
			body[6] = 0;
			body[7] = (uint8_t)l;
			CHECK_INT(ike_cp_attr_len_ok(fixed[i].type, (size_t)l), ok);
			CHECK_INT(ike_cp_parse(body, 8 + (size_t)l, &cp),
				  ok ? 0 : -EBADMSG);
		}
	}
	/* SUPPORTED_ATTRIBUTES: a multiple of 2; free-length attributes */
	for (int l = 0; l <= 40; l++) {
		CHECK_INT(ike_cp_attr_len_ok(IKE_CA_SUPPORTED_ATTRIBUTES, (size_t)l), l % 2 == 0);
		CHECK(ike_cp_attr_len_ok(IKE_CA_APPLICATION_VERSION, (size_t)l));
		CHECK(ike_cp_attr_len_ok(IKE_CA_INTERNAL_DNS_DOMAIN, (size_t)l));
		CHECK(ike_cp_attr_len_ok(IKE_CA_MS_INTERNAL_IP4_SERVER, (size_t)l));
		CHECK(ike_cp_attr_len_ok(5, (size_t)l));	/* 5 is unassigned */
		CHECK(ike_cp_attr_len_ok(0x7fff, (size_t)l));
	}
	/* the R bit does not hide a known type's rule */
	CHECK(!ike_cp_attr_len_ok(0x8001, 3));
	/* the value length field may not run past the body */
	body[4] = 0;
	body[5] = 7;
	body[6] = 0;
	body[7] = 41;
	CHECK_INT(ike_cp_parse(body, sizeof(body), &cp), -EBADMSG);
	body[7] = 40;
	CHECK_INT(ike_cp_parse(body, sizeof(body), &cp), 0);
	body[6] = 0xff;
	CHECK_INT(ike_cp_parse(body, sizeof(body), &cp), -EBADMSG);
}

/* IKE_MAX_CP_ATTRS attributes are accepted, one more gives -E2BIG. */
static void test_limit(void)
{
	struct ike_buf b;
	struct ike_cp cp;

	ike_buf_init(&b);
	ike_cp_put_header(&b, IKE_CFG_REQUEST);
	for (int i = 0; i < IKE_MAX_CP_ATTRS; i++)
		ike_cp_put_attr(&b, (uint16_t)(100 + i), "x", 1);
	CHECK_INT(ike_buf_error(&b), 0);
	CHECK_INT(ike_cp_parse(b.data, b.len, &cp), 0);
	CHECK_INT(cp.n, IKE_MAX_CP_ATTRS);
	CHECK_INT(cp.attr[IKE_MAX_CP_ATTRS - 1].type, 100 + IKE_MAX_CP_ATTRS - 1);
	ike_cp_put_attr(&b, 1, NULL, 0);
	CHECK_INT(ike_cp_parse(b.data, b.len, &cp), -E2BIG);
	CHECK_INT(cp.n, 0);
	/* a malformed attribute after the limit is still -E2BIG or -EBADMSG,
	 * never accepted */
	ike_buf_put_u8(&b, 0);
	CHECK(ike_cp_parse(b.data, b.len, &cp) < 0);
	/* builder guards its count and value lengths */
	cp.n = IKE_MAX_CP_ATTRS + 1;
	CHECK_INT(ike_cp_build(&b, &cp), -EINVAL);
	ike_buf_reset(&b);
	ike_cp_put_attr(&b, 7, b.data, 70000);
	CHECK_INT(ike_buf_error(&b), -EINVAL);
	ike_buf_free(&b);
}

/* CFG_REPLY builder: exact bytes of a small reply, then a full one parsed
 * back attribute by attribute. */
static void test_build_reply(void)
{
	struct ike_cp_reply r;
	struct ike_buf b;
	struct ike_cp cp;
	size_t n;
	uint8_t *want = check_unhex(
		"02 000000"
		"0001 0004 0a000002"	/* INTERNAL_IP4_ADDRESS 10.0.0.2 */
		"0003 0004 0a000001", &n);	/* INTERNAL_IP4_DNS 10.0.0.1 */
	static const uint8_t ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	static const uint8_t dns6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x53 };

	memset(&r, 0, sizeof(r));
	r.has_ip4 = true;
	memcpy(r.ip4, "\x0a\x00\x00\x02", 4);
	r.n_dns4 = 1;
	memcpy(r.dns4[0], "\x0a\x00\x00\x01", 4);
	ike_buf_init(&b);
	CHECK_INT(ike_cp_build_reply(&b, &r), 0);
	CHECK_INT(b.len, n);
	if (b.len == n)
		CHECK_MEM(b.data, want, n);

	r.has_ip4_netmask = true;
	memcpy(r.ip4_netmask, "\xff\xff\xff\x00", 4);
	r.n_dns4 = 2;
	memcpy(r.dns4[1], "\x08\x08\x08\x08", 4);
	r.has_ip6 = true;
	memcpy(r.ip6, ip6, 16);
	r.ip6_prefix = 64;
	r.n_dns6 = 1;
	memcpy(r.dns6[0], dns6, 16);
	r.n_subnet4 = 1;
	memcpy(r.subnet4[0].addr, "\x0a\x00\x00\x00", 4);
	memcpy(r.subnet4[0].mask, "\xff\x00\x00\x00", 4);
	r.n_subnet6 = 1;
	memcpy(r.subnet6[0].addr, ip6, 16);
	r.subnet6[0].prefix = 48;
	r.n_domains = 2;
	r.domains[0] = "corp.example";
	r.domains[1] = "example.net";
	ike_buf_reset(&b);
	CHECK_INT(ike_cp_build_reply(&b, &r), 0);
	CHECK_INT(ike_cp_parse(b.data, b.len, &cp), 0);
	CHECK_INT(cp.cfg_type, IKE_CFG_REPLY);
	CHECK_INT(cp.n, 10);
	if (cp.n == 10) {
		CHECK_INT(cp.attr[0].type, IKE_CA_INTERNAL_IP4_ADDRESS);
		CHECK_INT(cp.attr[1].type, IKE_CA_INTERNAL_IP4_NETMASK);
		CHECK_MEM(cp.attr[1].val, "\xff\xff\xff\x00", 4);
		CHECK_INT(cp.attr[3].type, IKE_CA_INTERNAL_IP4_DNS);
		CHECK_MEM(cp.attr[3].val, "\x08\x08\x08\x08", 4);
		CHECK_INT(cp.attr[4].type, IKE_CA_INTERNAL_IP6_ADDRESS);
		CHECK_INT(cp.attr[4].len, 17);
		CHECK_MEM(cp.attr[4].val, ip6, 16);
		CHECK_INT(cp.attr[4].val[16], 64);
		CHECK_INT(cp.attr[5].type, IKE_CA_INTERNAL_IP6_DNS);
		CHECK_MEM(cp.attr[5].val, dns6, 16);
		CHECK_INT(cp.attr[6].type, IKE_CA_INTERNAL_IP4_SUBNET);
		CHECK_MEM(cp.attr[6].val, "\x0a\x00\x00\x00\xff\x00\x00\x00", 8);
		CHECK_INT(cp.attr[7].type, IKE_CA_INTERNAL_IP6_SUBNET);
		CHECK_INT(cp.attr[7].val[16], 48);
		CHECK_INT(cp.attr[8].type, IKE_CA_INTERNAL_DNS_DOMAIN);
		CHECK_INT(cp.attr[8].len, 12);	/* no NUL (RFC 8598 4.1) */
		CHECK_MEM(cp.attr[8].val, "corp.example", 12);
		CHECK_MEM(cp.attr[9].val, "example.net", 11);
	}

	/* invalid arguments append nothing */
	ike_buf_reset(&b);
	r.ip6_prefix = 129;
	CHECK_INT(ike_cp_build_reply(&b, &r), -EINVAL);
	r.ip6_prefix = 64;
	r.subnet6[0].prefix = 200;
	CHECK_INT(ike_cp_build_reply(&b, &r), -EINVAL);
	r.subnet6[0].prefix = 48;
	r.domains[1] = "";
	CHECK_INT(ike_cp_build_reply(&b, &r), -EINVAL);
	r.domains[1] = NULL;
	CHECK_INT(ike_cp_build_reply(&b, &r), -EINVAL);
	r.domains[1] = "example.net";
	r.n_dns4 = IKE_CP_MAX_DNS + 1;
	CHECK_INT(ike_cp_build_reply(&b, &r), -EINVAL);
	CHECK_INT(b.len, 0);
	{
		char longname[300];

		memset(longname, 'a', sizeof(longname) - 1);
		longname[299] = '\0';
		r.n_dns4 = 1;
		r.domains[1] = longname;
		CHECK_INT(ike_cp_build_reply(&b, &r), -EINVAL);
		longname[255] = '\0';
		CHECK_INT(ike_cp_build_reply(&b, &r), 0);
	}
	ike_buf_free(&b);
	free(want);
}

int main(void)
{
	test_windows_request();
	test_preserve_roundtrip();
	test_truncation();
	test_header();
	test_attr_lengths();
	test_limit();
	test_build_reply();
	return check_done("test_pld_cp");
}
