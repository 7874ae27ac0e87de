/*
 * test_pld_ts.c — Traffic Selector payload codec and selector algebra
 * (RFC 7296 3.13, 3.13.1 and 2.9).
 *
 * Prefix-split vectors were computed independently with Python's
 * ipaddress.summarize_address_range (no published vectors exist for this).
 */
#include <arpa/inet.h>
#include <stdlib.h>

#include "check.h"
#include "ike_ts_cp.h"

/* TS body with two selectors, encoded by hand from the RFC 7296 3.13.1
 * diagram: 10.0.0.0-10.0.0.255 TCP 443, and 2001:db8::-2001:db8::ffff any. */
static const char ts_hex[] =
	"02 000000"
	"07 06 0010 01bb 01bb 0a000000 0a0000ff"
	"08 00 0028 0000 ffff"
	"20010db8000000000000000000000000"
	"20010db800000000000000000000ffff";

static void v4(uint8_t *a, const char *s)
{
	memset(a, 0, 16);
	if (inet_pton(AF_INET, s, a) != 1)
		abort();
}

static void v6(uint8_t *a, const char *s)
{
	if (inet_pton(AF_INET6, s, a) != 1)
		abort();
}

static struct ike_ts ts4(const char *s, const char *e, uint8_t proto,
			 uint16_t sp, uint16_t ep)
{
	struct ike_ts t;

	memset(&t, 0, sizeof(t));
	t.type = IKE_TS_IPV4_ADDR_RANGE;
	t.proto = proto;
	t.start_port = sp;
	t.end_port = ep;
	v4(t.start, s);
	v4(t.end, e);
	return t;
}

static struct ike_ts cidr4(const char *a, unsigned int p, uint8_t proto,
			   uint16_t sp, uint16_t ep)
{
	struct ike_ts t;
	uint8_t x[16];

	v4(x, a);
	if (ike_ts_from_cidr(&t, IKE_TS_IPV4_ADDR_RANGE, x, p, proto, sp, ep))
		abort();
	return t;
}

/* RFC 7296 3.13: parse the hand-encoded body and check every field. */
static void test_parse_known(void)
{
	size_t n;
	uint8_t *b = check_unhex(ts_hex, &n);
	struct ike_ts_list l;
	uint8_t a[16];

	CHECK_INT(n, 4 + 16 + 40);
	CHECK_INT(ike_ts_parse(b, n, &l), 0);
	CHECK_INT(l.n, 2);
	CHECK_INT(l.ts[0].type, IKE_TS_IPV4_ADDR_RANGE);
	CHECK_INT(l.ts[0].proto, 6);
	CHECK_INT(l.ts[0].start_port, 443);
	CHECK_INT(l.ts[0].end_port, 443);
	v4(a, "10.0.0.0");
	CHECK_MEM(l.ts[0].start, a, 16);
	v4(a, "10.0.0.255");
	CHECK_MEM(l.ts[0].end, a, 16);
	CHECK_INT(l.ts[1].type, IKE_TS_IPV6_ADDR_RANGE);
	CHECK_INT(l.ts[1].proto, 0);
	CHECK_INT(l.ts[1].start_port, 0);
	CHECK_INT(l.ts[1].end_port, 65535);
	v6(a, "2001:db8::");
	CHECK_MEM(l.ts[1].start, a, 16);
	v6(a, "2001:db8::ffff");
	CHECK_MEM(l.ts[1].end, a, 16);
	free(b);
}

/* Build reproduces the encoding byte for byte; parse(build(x)) == x. */
static void test_roundtrip(void)
{
	size_t n;
	uint8_t *b = check_unhex(ts_hex, &n);
	struct ike_ts_list l, l2;
	struct ike_buf out;

	ike_buf_init(&out);
	CHECK_INT(ike_ts_parse(b, n, &l), 0);
	CHECK_INT(ike_ts_build(&out, &l), 0);
	CHECK_INT(out.len, n);
	if (out.len == n)
		CHECK_MEM(out.data, b, n);
	CHECK_INT(ike_ts_parse(out.data, out.len, &l2), 0);
	CHECK_MEM(&l, &l2, sizeof(l));

	/* builder refuses invalid lists */
	l2.n = 0;
	ike_buf_reset(&out);
	CHECK_INT(ike_ts_build(&out, &l2), -EINVAL);
	l2 = l;
	l2.ts[0].start_port = 500;
	l2.ts[0].end_port = 400;
	CHECK_INT(ike_ts_build(&out, &l2), -EINVAL);
	l2 = l;
	l2.ts[1].type = 9;
	CHECK_INT(ike_ts_build(&out, &l2), -EINVAL);
	CHECK_INT(out.len, 0);
	ike_buf_free(&out);
	free(b);
}

/* Every truncation of a valid body fails, as does a trailing byte (the
 * selector list must consume the body exactly). */
static void test_truncation(void)
{
	size_t n;
	uint8_t *b = check_unhex(ts_hex, &n);
	uint8_t *big = malloc(n + 1);
	struct ike_ts_list l;
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t *t = malloc(i ? i : 1);	/* exact size: ASan sees overreads */

		memcpy(t, b, i);
		if (ike_ts_parse(t, i, &l) != -EBADMSG)
			bad++;
		CHECK_INT(l.n, 0);	/* output zeroed on error */
		free(t);
	}
	CHECK_INT(bad, 0);
	memcpy(big, b, n);
	big[n] = 0;
	CHECK_INT(ike_ts_parse(big, n + 1, &l), -EBADMSG);
	free(big);
	free(b);
}

/* Number of TSs: 0 is invalid, IKE_MAX_TS is accepted, one more is -E2BIG. */
static void test_count_limits(void)
{
	struct ike_ts_list l;
	struct ike_buf out;
	uint8_t zero[4] = { 0, 0, 0, 0 };

	CHECK_INT(ike_ts_parse(zero, 4, &l), -EBADMSG);

	memset(&l, 0, sizeof(l));
	for (int i = 0; i < IKE_MAX_TS; i++)
		l.ts[i] = cidr4("10.0.0.0", 8, 0, 0, 65535);
	l.n = IKE_MAX_TS;
	ike_buf_init(&out);
	CHECK_INT(ike_ts_build(&out, &l), 0);
	CHECK_INT(ike_ts_parse(out.data, out.len, &l), 0);
	CHECK_INT(l.n, IKE_MAX_TS);

	/* one more selector, count byte 17 */
	ike_buf_put(&out, out.data + 4, IKE_TS_V4_LEN);
	out.data[0] = IKE_MAX_TS + 1;
	CHECK_INT(ike_ts_parse(out.data, out.len, &l), -E2BIG);
	/* count byte says 17 with only 16 present: also rejected */
	CHECK_INT(ike_ts_parse(out.data, out.len - IKE_TS_V4_LEN, &l), -E2BIG);
	/* count 255 */
	out.data[0] = 255;
	CHECK_INT(ike_ts_parse(out.data, out.len, &l), -E2BIG);
	/* count 15 with 17 present: leftover bytes */
	out.data[0] = IKE_MAX_TS - 1;
	CHECK_INT(ike_ts_parse(out.data, out.len, &l), -EBADMSG);
	ike_buf_free(&out);
}

/* RFC 7296 3.13.1: selector length must match the type; unknown types and
 * reversed ranges are rejected; OPAQUE ports (65535..0) are accepted. */
static void test_selector_checks(void)
{
	size_t n;
	uint8_t *b = check_unhex(ts_hex, &n);
	uint8_t *c = malloc(n);
	struct ike_ts_list l;

#define MUT(stmt, want) do { memcpy(c, b, n); stmt; \
	CHECK_INT(ike_ts_parse(c, n, &l), want); } while (0)
	MUT((void)0, 0);
	MUT(c[4 + 3] = 40, -EBADMSG);		/* v4 selector claims 40 */
	MUT(c[4 + 3] = 15, -EBADMSG);
	MUT(c[20 + 3] = 16, -EBADMSG);		/* v6 selector claims 16 */
	MUT(c[4] = 9, -EBADMSG);		/* unknown TS type */
	MUT(c[4] = 0, -EBADMSG);
	MUT(c[20] = 7, -EBADMSG);		/* v6 body with v4 type */
	MUT((c[8] = 0x01, c[9] = 0xbc), -EBADMSG);	/* ports 444..443 */
	MUT(c[19] = 0xfe, 0);			/* end 10.0.0.254 still >= */
	MUT((c[15] = 1, c[19] = 0), -EBADMSG);	/* 10.0.0.1..10.0.0.0 */
	MUT(c[12 + 3] = 0xff, 0);		/* start == end is fine */
	MUT(c[59] = 0x00, 0);			/* v6 end 2001:db8::ff00 */
	MUT((c[24 + 15] = 1, c[59] = 0, c[58] = 0), -EBADMSG);	/* v6 ::1..::0 */
	/* OPAQUE: start 65535 end 0 */
	MUT((c[8] = 0xff, c[9] = 0xff, c[10] = 0, c[11] = 0), 0);
	CHECK_INT(l.ts[0].start_port, 65535);
	CHECK_INT(l.ts[0].end_port, 0);
	MUT((c[8] = 0xff, c[9] = 0xfe, c[10] = 0, c[11] = 0), -EBADMSG);
#undef MUT
	free(c);
	free(b);
}

/* CIDR -> range: host bits of the given address are ignored. */
static void test_from_cidr(void)
{
	struct ike_ts t, w;
	uint8_t a[16];

	t = cidr4("10.1.2.3", 24, 17, 53, 53);
	w = ts4("10.1.2.0", "10.1.2.255", 17, 53, 53);
	CHECK_MEM(&t, &w, sizeof(t));
	t = cidr4("10.1.2.3", 32, 0, 0, 65535);
	w = ts4("10.1.2.3", "10.1.2.3", 0, 0, 65535);
	CHECK_MEM(&t, &w, sizeof(t));
	t = cidr4("10.1.2.3", 0, 0, 0, 65535);
	w = ts4("0.0.0.0", "255.255.255.255", 0, 0, 65535);
	CHECK_MEM(&t, &w, sizeof(t));
	ike_ts_any(&w, IKE_TS_IPV4_ADDR_RANGE);
	CHECK_MEM(&t, &w, sizeof(t));
	t = cidr4("10.1.2.3", 13, 0, 0, 65535);
	w = ts4("10.0.0.0", "10.7.255.255", 0, 0, 65535);
	CHECK_MEM(&t, &w, sizeof(t));

	v6(a, "2001:db8:1:2:3:4:5:6");
	CHECK_INT(ike_ts_from_cidr(&t, IKE_TS_IPV6_ADDR_RANGE, a, 64, 0, 0, 65535), 0);
	v6(a, "2001:db8:1:2::");
	CHECK_MEM(t.start, a, 16);
	v6(a, "2001:db8:1:2:ffff:ffff:ffff:ffff");
	CHECK_MEM(t.end, a, 16);
	CHECK_INT(ike_ts_from_cidr(&t, IKE_TS_IPV6_ADDR_RANGE, a, 129, 0, 0, 65535), -EINVAL);
	CHECK_INT(ike_ts_from_cidr(&t, IKE_TS_IPV4_ADDR_RANGE, a, 33, 0, 0, 65535), -EINVAL);
	CHECK_INT(ike_ts_from_cidr(&t, 9, a, 8, 0, 0, 65535), -EINVAL);
	CHECK_INT(ike_ts_from_cidr(&t, IKE_TS_IPV4_ADDR_RANGE, a, 8, 0, 2, 1), -EINVAL);
}

/* Structural check of a prefix list for ts: ascending, each block aligned,
 * contiguous, exactly covering [start, end], and no two neighbours that
 * could merge into one block (which makes the list minimal). */
static int cidr_list_ok(const struct ike_ts *ts, const struct ike_cidr *c, int n)
{
	size_t alen = ike_ts_addr_len(ts->type);
	uint8_t want[16];

	memcpy(want, ts->start, alen);
	for (int i = 0; i < n; i++) {
		struct ike_ts blk;

		if (memcmp(c[i].addr, want, alen) != 0)
			return 0;	/* gap or overlap */
		if (ike_ts_from_cidr(&blk, ts->type, c[i].addr, c[i].prefix, 0, 0, 65535))
			return 0;
		if (memcmp(blk.start, c[i].addr, alen) != 0)
			return 0;	/* host bits set: not aligned */
		if (i > 0 && c[i].prefix == c[i - 1].prefix && c[i].prefix > 0) {
			/* siblings of one parent block could be merged */
			struct ike_ts par;

			ike_ts_from_cidr(&par, ts->type, c[i - 1].addr,
					 c[i].prefix - 1u, 0, 0, 65535);
			if (memcmp(par.start, c[i - 1].addr, alen) == 0 &&
			    memcmp(par.end, blk.end, alen) == 0)
				return 0;
		}
		if (i == n - 1)
			return memcmp(blk.end, ts->end, alen) == 0;
		memcpy(want, blk.end, alen);
		for (size_t j = alen; j-- > 0;)
			if (++want[j] != 0)
				break;
	}
	return 0;
}

static int cidr_is(const struct ike_cidr *c, const char *s)
{
	char a[INET6_ADDRSTRLEN], buf[64];

	inet_ntop(c->type == IKE_TS_IPV4_ADDR_RANGE ? AF_INET : AF_INET6,
		  c->addr, a, sizeof(a));
	snprintf(buf, sizeof(buf), "%s/%u", a, c->prefix);
	if (strcmp(buf, s) != 0) {
		fprintf(stderr, "  cidr %s != %s\n", buf, s);
		return 0;
	}
	return 1;
}

/* Range -> prefixes (kernel policies), against ipaddress vectors. */
static void test_to_cidrs(void)
{
	struct ike_cidr c[256];
	struct ike_ts t;
	int n;
	static const char *w1[] = { "10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32" };
	static const char *w2[] = {
		"192.168.0.10/31", "192.168.0.12/30", "192.168.0.16/28",
		"192.168.0.32/27", "192.168.0.64/26", "192.168.0.128/25",
		"192.168.1.0/28", "192.168.1.16/30", "192.168.1.20/32" };
	static const char *w3[] = {
		"2001:db8::1/128", "2001:db8::2/127", "2001:db8::4/126",
		"2001:db8::8/125", "2001:db8::10/124", "2001:db8::20/123",
		"2001:db8::40/122", "2001:db8::80/121" };

	t = ts4("10.0.0.1", "10.0.0.6", 0, 0, 65535);
	n = ike_ts_to_cidrs(&t, c, 256);
	CHECK_INT(n, 4);
	for (int i = 0; i < 4 && i < n; i++)
		CHECK(cidr_is(&c[i], w1[i]));
	CHECK(cidr_list_ok(&t, c, n));
	CHECK_INT(ike_ts_to_cidrs(&t, c, 3), -E2BIG);
	CHECK_INT(ike_ts_to_cidrs(&t, c, 4), 4);

	t = ts4("192.168.0.10", "192.168.1.20", 0, 0, 65535);
	n = ike_ts_to_cidrs(&t, c, 256);
	CHECK_INT(n, 9);
	for (int i = 0; i < 9 && i < n; i++)
		CHECK(cidr_is(&c[i], w2[i]));

	memset(&t, 0, sizeof(t));
	t.type = IKE_TS_IPV6_ADDR_RANGE;
	t.end_port = 65535;
	v6(t.start, "2001:db8::1");
	v6(t.end, "2001:db8::ff");
	n = ike_ts_to_cidrs(&t, c, 256);
	CHECK_INT(n, 8);
	for (int i = 0; i < 8 && i < n; i++)
		CHECK(cidr_is(&c[i], w3[i]));

	ike_ts_any(&t, IKE_TS_IPV4_ADDR_RANGE);
	CHECK_INT(ike_ts_to_cidrs(&t, c, 1), 1);
	CHECK(cidr_is(&c[0], "0.0.0.0/0"));
	ike_ts_any(&t, IKE_TS_IPV6_ADDR_RANGE);
	CHECK_INT(ike_ts_to_cidrs(&t, c, 1), 1);
	CHECK(cidr_is(&c[0], "::/0"));

	/* worst cases: ::1 .. ffff..fffe needs 2*128-2 = 254 prefixes */
	v6(t.start, "::1");
	v6(t.end, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
	CHECK_INT(ike_ts_to_cidrs(&t, c, 256), 254);
	CHECK(cidr_list_ok(&t, c, 254));
	CHECK_INT(ike_ts_to_cidrs(&t, c, 253), -E2BIG);
	t = ts4("0.0.0.1", "255.255.255.254", 0, 0, 65535);
	CHECK_INT(ike_ts_to_cidrs(&t, c, 256), 62);
	CHECK(cidr_list_ok(&t, c, 62));

	/* pseudo-random ranges: structural properties */
	srand(7296);
	for (int k = 0; k < 2000; k++) {
		uint32_t x = (uint32_t)rand() ^ ((uint32_t)rand() << 16);
		uint32_t y = (uint32_t)rand() ^ ((uint32_t)rand() << 16);
		uint32_t s = x < y ? x : y, e = x < y ? y : x;

		if (k % 3 == 0)
			e = s + (y & 0xfff);	/* small ranges too */
		if (e < s)
			e = s;
		memset(&t, 0, sizeof(t));
		t.type = IKE_TS_IPV4_ADDR_RANGE;
		t.end_port = 65535;
		for (int i = 0; i < 4; i++) {
			t.start[i] = (uint8_t)(s >> (24 - 8 * i));
			t.end[i] = (uint8_t)(e >> (24 - 8 * i));
		}
		n = ike_ts_to_cidrs(&t, c, 256);
		if (n <= 0 || n > 62 || !cidr_list_ok(&t, c, n)) {
			CHECK(0);
			break;
		}
	}
	t = ts4("10.0.0.6", "10.0.0.1", 0, 0, 65535);
	CHECK_INT(ike_ts_to_cidrs(&t, c, 256), -EINVAL);
}

/* Intersection and containment (RFC 7296 2.9 narrowing building blocks). */
static void test_intersect(void)
{
	struct ike_ts any, a, b, r, w;

	ike_ts_any(&any, IKE_TS_IPV4_ADDR_RANGE);
	a = cidr4("10.0.0.0", 24, 6, 443, 443);
	CHECK(ike_ts_intersect(&any, &a, &r));
	CHECK_MEM(&r, &a, sizeof(r));
	CHECK(ike_ts_intersect(&a, &any, &r));
	CHECK_MEM(&r, &a, sizeof(r));

	b = cidr4("10.0.0.0", 24, 17, 0, 65535);
	CHECK(!ike_ts_intersect(&a, &b, &r));	/* tcp vs udp */
	b = cidr4("10.0.1.0", 24, 0, 0, 65535);
	CHECK(!ike_ts_intersect(&a, &b, &r));	/* disjoint */
	b = ts4("10.0.0.128", "10.0.3.0", 0, 400, 500);
	CHECK(ike_ts_intersect(&a, &b, &r));
	w = ts4("10.0.0.128", "10.0.0.255", 6, 443, 443);
	CHECK_MEM(&r, &w, sizeof(r));
	b = ts4("10.0.0.0", "10.0.0.255", 6, 444, 500);
	CHECK(!ike_ts_intersect(&a, &b, &r));	/* ports disjoint */
	b = ts4("10.0.0.255", "10.0.1.0", 0, 0, 65535);
	CHECK(ike_ts_intersect(&a, &b, &r));	/* single address */
	w = ts4("10.0.0.255", "10.0.0.255", 6, 443, 443);
	CHECK_MEM(&r, &w, sizeof(r));

	ike_ts_any(&b, IKE_TS_IPV6_ADDR_RANGE);
	CHECK(!ike_ts_intersect(&any, &b, &r));	/* families differ */

	/* OPAQUE ports meet only "any port" (or OPAQUE) */
	a = ts4("10.0.0.0", "10.0.0.255", 6, 65535, 0);
	CHECK(ike_ts_intersect(&a, &any, &r));
	CHECK_INT(r.start_port, 65535);
	CHECK_INT(r.end_port, 0);
	b = ts4("10.0.0.0", "10.0.0.255", 6, 443, 443);
	CHECK(!ike_ts_intersect(&a, &b, &r));

	/* contains */
	a = cidr4("10.0.0.0", 8, 0, 0, 65535);
	b = cidr4("10.1.0.0", 16, 6, 80, 80);
	CHECK(ike_ts_contains(&a, &b));
	CHECK(!ike_ts_contains(&b, &a));
	CHECK(ike_ts_contains(&a, &a));
	CHECK(ike_ts_contains(&any, &a));
	b = cidr4("11.0.0.0", 16, 0, 0, 65535);
	CHECK(!ike_ts_contains(&a, &b));
	a = cidr4("10.0.0.0", 8, 6, 0, 65535);
	b = cidr4("10.1.0.0", 16, 0, 0, 65535);
	CHECK(!ike_ts_contains(&a, &b));	/* tcp-only vs any protocol */
	a = cidr4("10.0.0.0", 8, 0, 1, 65535);
	b = cidr4("10.1.0.0", 16, 0, 0, 65535);
	CHECK(!ike_ts_contains(&a, &b));	/* port 0 not covered */
	ike_ts_any(&b, IKE_TS_IPV6_ADDR_RANGE);
	CHECK(!ike_ts_contains(&any, &b));
}

/* RFC 7296 2.9: "the responder is allowed to narrow the choices by
 * selecting a subset of the traffic". */
static void test_narrow(void)
{
	struct ike_ts_list prop, perm, out;
	struct ike_ts w;

	memset(&prop, 0, sizeof(prop));
	memset(&perm, 0, sizeof(perm));
	/* road warrior proposes 0.0.0.0/0, policy allows two subnets */
	ike_ts_any(&prop.ts[0], IKE_TS_IPV4_ADDR_RANGE);
	prop.n = 1;
	perm.ts[0] = cidr4("10.0.0.0", 8, 0, 0, 65535);
	perm.ts[1] = cidr4("192.168.1.0", 24, 0, 0, 65535);
	perm.n = 2;
	CHECK_INT(ike_ts_narrow(&prop, &perm, &out), 2);
	CHECK_MEM(&out.ts[0], &perm.ts[0], sizeof(w));
	CHECK_MEM(&out.ts[1], &perm.ts[1], sizeof(w));

	/* proposal narrower than the policy stays as proposed */
	prop.ts[0] = cidr4("10.1.0.0", 16, 6, 0, 65535);
	prop.ts[1] = cidr4("172.16.0.0", 12, 0, 0, 65535);
	prop.n = 2;
	CHECK_INT(ike_ts_narrow(&prop, &perm, &out), 1);
	CHECK_MEM(&out.ts[0], &prop.ts[0], sizeof(w));

	/* nothing in common: TS_UNACCEPTABLE */
	prop.ts[0] = cidr4("172.16.0.0", 12, 0, 0, 65535);
	prop.n = 1;
	CHECK_INT(ike_ts_narrow(&prop, &perm, &out), 0);
	CHECK_INT(out.n, 0);

	/* v6 proposal against a v4-only policy */
	ike_ts_any(&prop.ts[0], IKE_TS_IPV6_ADDR_RANGE);
	CHECK_INT(ike_ts_narrow(&prop, &perm, &out), 0);

	/* duplicates (result contained in an earlier one) are dropped */
	ike_ts_any(&prop.ts[0], IKE_TS_IPV4_ADDR_RANGE);
	prop.ts[1] = cidr4("10.0.0.0", 16, 0, 0, 65535);
	prop.n = 2;
	CHECK_INT(ike_ts_narrow(&prop, &perm, &out), 2);

	/* limit: 2 x 16 disjoint results are cut to the first IKE_MAX_TS */
	prop.ts[0] = cidr4("10.0.0.0", 8, 6, 0, 65535);
	prop.ts[1] = cidr4("10.0.0.0", 8, 17, 0, 65535);
	prop.n = 2;
	for (int i = 0; i < IKE_MAX_TS; i++) {
		char a[32];

		snprintf(a, sizeof(a), "10.%d.0.0", i);
		perm.ts[i] = cidr4(a, 16, 0, 0, 65535);
	}
	perm.n = IKE_MAX_TS;
	CHECK_INT(ike_ts_narrow(&prop, &perm, &out), IKE_MAX_TS);
	CHECK_INT(out.n, IKE_MAX_TS);
	w = cidr4("10.15.0.0", 16, 6, 0, 65535);
	CHECK_MEM(&out.ts[IKE_MAX_TS - 1], &w, sizeof(w));
	/* exactly IKE_MAX_TS results */
	prop.n = 1;
	CHECK_INT(ike_ts_narrow(&prop, &perm, &out), IKE_MAX_TS);
}

/* Log formatting. */
static void test_format(void)
{
	char buf[IKE_TS_FMT_LEN];
	struct ike_ts t;

#define FMT(ts, want) do { t = (ts); \
	CHECK_INT(ike_ts_format(&t, buf, sizeof(buf)), (int)strlen(want)); \
	if (strcmp(buf, want)) { fprintf(stderr, "  got '%s'\n", buf); CHECK(0); } \
} while (0)
	FMT(cidr4("10.0.0.0", 24, 6, 443, 443), "10.0.0.0/24[tcp/443]");
	FMT(cidr4("10.0.0.0", 24, 0, 0, 65535), "10.0.0.0/24");
	FMT(cidr4("10.0.0.0", 24, 17, 0, 65535), "10.0.0.0/24[udp]");
	FMT(cidr4("10.0.0.0", 24, 0, 53, 53), "10.0.0.0/24[any/53]");
	FMT(cidr4("10.0.0.0", 24, 6, 1000, 2000), "10.0.0.0/24[tcp/1000-2000]");
	FMT(cidr4("10.0.0.0", 24, 99, 0, 65535), "10.0.0.0/24[99]");
	FMT(ts4("10.0.0.1", "10.0.0.9", 0, 0, 65535), "10.0.0.1..10.0.0.9");
	FMT(ts4("10.0.0.1", "10.0.0.1", 6, 65535, 0), "10.0.0.1/32[tcp/OPAQUE]");
	ike_ts_any(&t, IKE_TS_IPV4_ADDR_RANGE);
	FMT(t, "0.0.0.0/0");
	ike_ts_any(&t, IKE_TS_IPV6_ADDR_RANGE);
	v6(t.start, "2001:db8::");
	v6(t.end, "2001:db8::ffff:ffff:ffff:ffff");
	FMT(t, "2001:db8::/64");
	memset(t.start, 0xff, 16);
	memset(t.end, 0xff, 16);
	t.proto = 58;
	t.start_port = t.end_port = 0x8000;	/* ICMPv6 echo request, code 0 */
	FMT(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128[ipv6-icmp/32768]");
	/* longest possible output fits IKE_TS_FMT_LEN */
	v6(t.start, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff1");
	v6(t.end, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
	t.proto = 200;
	t.start_port = 10000;
	t.end_port = 60000;
	FMT(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff1..ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe[200/10000-60000]");
#undef FMT
	t = cidr4("10.0.0.0", 24, 6, 443, 443);
	CHECK_INT(ike_ts_format(&t, buf, 12), -EMSGSIZE);
	CHECK(strlen(buf) < 12);
	CHECK_INT(ike_ts_format(&t, buf, 15), -EMSGSIZE);
	CHECK(strlen(buf) < 15);
	t.type = 3;
	CHECK(ike_ts_format(&t, buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "invalid") != NULL);
}

int main(void)
{
	test_parse_known();
	test_roundtrip();
	test_truncation();
	test_count_limits();
	test_selector_checks();
	test_from_cidr();
	test_to_cidrs();
	test_intersect();
	test_narrow();
	test_format();
	return check_done("test_pld_ts");
}
