/*
 * test_nft_compile.c — daemon/nft_compile.c, the access-policy compiler
 * (issue 4 point 2): "first match wins; no match = deny" must hold for the
 * compiled form exactly as for the rule list, while per-packet work is one
 * lookup in DISJOINT boxes per user class.
 *
 *   - hand-made policies: first match across permit/deny, icmp = ICMPv6 for
 *     IPv6 destinations, port ranges, users sharing a class, groups without
 *     rules making no class, malformed input refused, the element limit;
 *   - randomised policies (overlapping prefixes, services, several groups
 *     per user) checked point by point against a reference first-match
 *     evaluator written here from the policy.h semantics and against the
 *     policy module's pol_eval() (both must agree), at every
 *     boundary (prefix ends +-1, port range ends +-1) and random points,
 *     plus pairwise disjointness of every class's boxes;
 *   - the nftables text: verdicts, log chains only for rules that log and
 *     are reachable, vIP elements, prefix/range notation.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "nft_compile.h"

/* ---- reference evaluator (policy.h semantics, independent of the compiler) ---- */

static bool ref_in_prefix(const struct pol_prefix *px, int family, const uint8_t *a)
{
	unsigned int full = px->len / 8, rest = px->len % 8;

	if (px->family != family)
		return false;
	if (memcmp(px->addr, a, full) != 0)
		return false;
	if (rest) {
		uint8_t m = (uint8_t)(0xff << (8 - rest));

		if ((px->addr[full] & m) != (a[full] & m))
			return false;
	}
	return true;
}

static bool ref_svc(const struct pol_service *sv, int family, uint8_t proto, uint16_t port)
{
	switch (sv->proto) {
	case POL_PROTO_ANY:
		return true;
	case POL_PROTO_ICMP:
		return proto == (family == AF_INET ? 1 : 58);
	default:
		return proto == sv->proto && port >= sv->port_lo && port <= sv->port_hi;
	}
}

static bool ref_member(const struct pol_user *u, uint32_t g)
{
	for (size_t i = 0; i < u->ngroups; i++)
		if (u->groups[i] == g)
			return true;
	return false;
}

/* Index of the first matching rule, -1 = no match (deny). */
static long ref_eval(const struct pol_snapshot *s, const struct pol_user *u, int family,
		     const uint8_t *a, uint8_t proto, uint16_t port)
{
	for (size_t i = 0; i < s->nrules; i++) {
		const struct pol_rule *r = &s->rules[i];
		bool d = false, v = false;

		if (!u || !ref_member(u, r->user_group))
			continue;
		for (size_t k = 0; k < r->ndst && !d; k++)
			d = ref_in_prefix(&r->dst[k], family, a);
		for (size_t k = 0; k < r->nsvc && d && !v; k++)
			v = ref_svc(&r->svc[k], family, proto, port);
		if (d && v)
			return (long)i;
	}
	return -1;
}

/* ---- helpers --------------------------------------------------------------------- */

static struct pol_prefix pfx(const char *text, unsigned int len)
{
	struct pol_prefix p;

	memset(&p, 0, sizeof(p));
	p.family = strchr(text, ':') ? AF_INET6 : AF_INET;
	p.len = (uint8_t)len;
	if (inet_pton(p.family, text, p.addr) != 1)
		abort();
	return p;
}

static void addr(const char *text, uint8_t *a)
{
	memset(a, 0, 16);
	if (inet_pton(strchr(text, ':') ? AF_INET6 : AF_INET, text, a) != 1)
		abort();
}

/* Decision of the compiled policy for user name. */
static long comp(const struct nftc_policy *p, const char *user, const char *dst, uint8_t proto,
		 uint16_t port)
{
	uint8_t a[16];

	addr(dst, a);
	return nftc_lookup(p, nftc_user_class(p, user), strchr(dst, ':') ? AF_INET6 : AF_INET, a,
			   proto, port);
}

static bool boxes_meet(const struct nftc_box *a, const struct nftc_box *b)
{
	for (int d = 0; d < NFTC_DIMS; d++)
		if (a->hi[d] < b->lo[d] || b->hi[d] < a->lo[d])
			return false;
	return true;
}

static bool map_disjoint(const struct nftc_map *m)
{
	for (int f = 0; f < 2; f++)
		for (size_t i = 0; i < m->nbox[f]; i++)
			for (size_t j = i + 1; j < m->nbox[f]; j++)
				if (boxes_meet(&m->box[f][i], &m->box[f][j]))
					return false;
	return true;
}

/* Every map's boxes pairwise disjoint (pipapo needs it; first match relies
 * on it). */
static bool all_disjoint(const struct nftc_policy *p)
{
	for (size_t k = 0; k < p->nclasses; k++)
		if (!map_disjoint(&p->classes[k].m))
			return false;
	for (size_t g = 0; g < p->ngroups; g++)
		if (!map_disjoint(&p->groups[g].m))
			return false;
	return true;
}

/* ---- hand-made policies --------------------------------------------------------- */

/*
 * groups: 1 = staff, 2 = admins, 3 = contractors, 9 = unused (no rule)
 *  r10: staff    deny   198.51.100.10/32   tcp/22             (log)
 *  r11: staff    permit 198.51.100.0/24    tcp/1-1024, icmp   (log)
 *  r12: admins   permit 198.51.100.0/24    any                (no log)
 *  r13: staff    permit 2001:db8:2::/64    icmp, udp/53       (no log)
 *  r14: contractors deny  0.0.0.0/0        any                (no log)
 */
static void test_first_match(void)
{
	struct pol_prefix d_host = pfx("198.51.100.10", 32), d_net = pfx("198.51.100.0", 24);
	struct pol_prefix d_v6 = pfx("2001:db8:2::", 64), d_all = pfx("0.0.0.0", 0);
	struct pol_service s_ssh = { POL_PROTO_TCP, 22, 22 };
	struct pol_service s_low[2] = { { POL_PROTO_TCP, 1, 1024 }, { POL_PROTO_ICMP, 0, 0 } };
	struct pol_service s_any = { POL_PROTO_ANY, 0, 65535 };
	struct pol_service s_v6[2] = { { POL_PROTO_ICMP, 0, 0 }, { POL_PROTO_UDP, 53, 53 } };
	struct pol_rule rules[] = {
		{ 10, false, true, 1, &d_host, 1, &s_ssh, 1 },
		{ 11, true, true, 1, &d_net, 1, s_low, 2 },
		{ 12, true, false, 2, &d_net, 1, &s_any, 1 },
		{ 13, true, false, 1, &d_v6, 1, s_v6, 2 },
		{ 14, false, false, 3, &d_all, 1, &s_any, 1 },
	};
	uint32_t g_alice[] = { 1 }, g_bob[] = { 1, 2 }, g_carol[] = { 1, 9 }, g_dave[] = { 9 };
	uint32_t g_erin[] = { 3 };
	struct pol_user users[] = {
		{ "alice", g_alice, 1 }, { "bob", g_bob, 2 }, { "carol", g_carol, 2 },
		{ "dave", g_dave, 1 }, { "erin", g_erin, 1 },
	};
	struct pol_snapshot s = { 7, rules, 5, users, 5 };
	struct nftc_policy *p;
	char err[256];

	CHECK_INT(nftc_compile(&s, 0, &p, err, sizeof(err)), 0);
	if (!p)
		return;
	CHECK_INT(p->generation, 7);
	/* alice and carol share a class (group 9 has no rule); dave has none */
	CHECK(nftc_user_class(p, "alice") >= 0);
	CHECK_INT(nftc_user_class(p, "alice"), nftc_user_class(p, "carol"));
	CHECK_INT(nftc_user_class(p, "ALICE"), nftc_user_class(p, "alice"));
	CHECK(nftc_user_class(p, "bob") != nftc_user_class(p, "alice"));
	CHECK_INT(nftc_user_class(p, "dave"), -1);
	CHECK_INT(nftc_user_class(p, "nobody"), -1);
	CHECK_INT(p->nclasses, 3);	/* {1}, {1,2}, {3} */
	CHECK(all_disjoint(p));

	/* alice: the deny of ssh to .10 comes first */
	CHECK_INT(comp(p, "alice", "198.51.100.10", 6, 22), 0);
	CHECK_INT(comp(p, "alice", "198.51.100.10", 6, 23), 1);
	CHECK_INT(comp(p, "alice", "198.51.100.11", 6, 22), 1);
	CHECK_INT(comp(p, "alice", "198.51.100.11", 6, 1025), -1);
	CHECK_INT(comp(p, "alice", "198.51.100.11", 6, 0), -1);
	CHECK_INT(comp(p, "alice", "198.51.100.11", 17, 53), -1);
	CHECK_INT(comp(p, "alice", "198.51.100.10", 1, 0xabcd), 1);	/* icmp, any "port" */
	CHECK_INT(comp(p, "alice", "198.51.101.1", 1, 0), -1);
	/* icmp is ICMPv6 (58) for IPv6 destinations, not protocol 1 */
	CHECK_INT(comp(p, "alice", "2001:db8:2::5", 58, 0x1234), 3);
	CHECK_INT(comp(p, "alice", "2001:db8:2::5", 1, 0), -1);
	CHECK_INT(comp(p, "alice", "2001:db8:2::5", 17, 53), 3);
	CHECK_INT(comp(p, "alice", "2001:db8:3::5", 17, 53), -1);
	/* bob is also an admin, but staff's deny (r10) comes first */
	CHECK_INT(comp(p, "bob", "198.51.100.10", 6, 22), 0);
	CHECK_INT(comp(p, "bob", "198.51.100.10", 6, 8443), 2);
	CHECK_INT(comp(p, "bob", "198.51.100.10", 47, 0), 2);
	CHECK_INT(comp(p, "bob", "198.51.100.10", 6, 80), 1);
	/* dave: no rule applies; erin: explicit deny everywhere */
	CHECK_INT(comp(p, "dave", "198.51.100.10", 6, 80), -1);
	CHECK_INT(comp(p, "erin", "203.0.113.9", 6, 80), 4);
	CHECK_INT(comp(p, "erin", "2001:db8:2::5", 58, 0), -1);	/* r14 is IPv4 only */

	/* the text */
	{
		struct nftc_table_cfg cfg;
		struct nftc_text t = { NULL, 0, 0, false };
		struct nftc_vip v[3];

		memset(&cfg, 0, sizeof(cfg));
		cfg.table = "rag";
		cfg.nflog_group = 7;
		cfg.snaplen = 160;
		cfg.deny_rate = 20;
		cfg.deny_burst = 50;
		cfg.permit_rate = 30;
		cfg.permit_burst = 60;
		cfg.dyn_size = 65536;
		cfg.pool4_family = AF_INET;
		cfg.pool4_len = 24;
		addr("10.200.0.0", cfg.pool4);
		memset(v, 0, sizeof(v));
		v[0].family = AF_INET;
		addr("10.200.0.5", v[0].addr);
		v[0].cls = nftc_user_class(p, "alice");
		v[1].family = AF_INET;
		addr("10.200.0.6", v[1].addr);
		v[1].cls = -1;
		v[2].family = AF_INET6;
		addr("fd00:200::7", v[2].addr);
		v[2].cls = nftc_user_class(p, "bob");
		nftc_emit_table(&t, &cfg, p, v, 3, true);
		CHECK(!t.oom && t.s);
		if (t.s) {
			char want[128];

			CHECK(!strncmp(t.s, "delete table inet rag\ntable inet rag {\n", 38));
			CHECK(strstr(t.s, "chain d10 {") != NULL);	/* deny + log */
			CHECK(strstr(t.s, "log prefix \"rag:d:10\" group 7 snaplen 160 drop") != NULL);
			CHECK(strstr(t.s, "chain p11 {") != NULL);	/* permit + log */
			CHECK(strstr(t.s, "ct state != new accept") != NULL);
			CHECK(strstr(t.s, "update @plim4 { ip saddr limit rate 30/second burst 60 "
				      "packets } log prefix \"rag:p:11\"") != NULL);
			CHECK(strstr(t.s, "update @psup6 { ip6 saddr counter } accept") != NULL);
			CHECK(strstr(t.s, "chain p12") == NULL);	/* no log */
			CHECK(strstr(t.s, "chain d14") == NULL);
			CHECK(strstr(t.s, "log prefix \"rag:d:0\"") != NULL);	/* default deny */
			CHECK(strstr(t.s, "limit rate 20/second burst 50 packets") != NULL);
			CHECK(strstr(t.s, "198.51.100.10 . 6 . 22 : goto d10") != NULL);
			CHECK(strstr(t.s, " : accept") != NULL);
			CHECK(strstr(t.s, "0.0.0.0/0 . 0-255 . 0-65535 : drop") != NULL);
			CHECK(strstr(t.s, "2001:db8:2::/64 . 58 . 0-65535 : accept") != NULL);
			CHECK(strstr(t.s, "ip saddr 10.200.0.0/24 goto deny") != NULL);
			CHECK(strstr(t.s, "ip6 saddr") != NULL);
			CHECK(strstr(t.s, "ct direction reply accept") != NULL);
			CHECK(strstr(t.s, "type filter hook forward priority filter") != NULL);
			snprintf(want, sizeof(want), "10.200.0.5 : goto c%d",
				 nftc_user_class(p, "alice"));
			CHECK(strstr(t.s, want) != NULL);
			CHECK(strstr(t.s, "10.200.0.6 : goto deny") != NULL);
			snprintf(want, sizeof(want), "add element inet rag vip6 {\n\tfd00:200::7 : goto c%d",
				 nftc_user_class(p, "bob"));
			CHECK(strstr(t.s, want) != NULL);
		}
		nftc_text_free(&t);
		nftc_emit_vip(&t, &cfg, &v[0], false);
		CHECK(t.s && !strcmp(t.s, "delete element inet rag vip4 { 10.200.0.5 }\n"));
		nftc_text_free(&t);
		nftc_emit_table(&t, &cfg, NULL, NULL, 0, false);
		CHECK(t.s && !strcmp(t.s, "table inet rag {\n}\n"));
		nftc_text_free(&t);
	}
	nftc_free(p);
}

/* A rule cut by an earlier one becomes a range that is not a prefix. */
static void test_ranges_text(void)
{
	struct pol_prefix a = pfx("10.0.0.5", 32), b = pfx("10.0.0.0", 29);
	struct pol_service any = { POL_PROTO_ANY, 0, 65535 };
	struct pol_rule rules[] = {
		{ 1, false, false, 1, &a, 1, &any, 1 },
		{ 2, true, false, 1, &b, 1, &any, 1 },
	};
	uint32_t g[] = { 1 };
	struct pol_user u = { "u", g, 1 };
	struct pol_snapshot s = { 1, rules, 2, &u, 1 };
	struct nftc_policy *p;
	struct nftc_table_cfg cfg;
	struct nftc_text t = { NULL, 0, 0, false };
	char err[256];

	CHECK_INT(nftc_compile(&s, 0, &p, err, sizeof(err)), 0);
	if (!p)
		return;
	CHECK_INT(p->nboxes, 3);	/* .5; .0-.4; .6-.7 */
	memset(&cfg, 0, sizeof(cfg));
	cfg.table = "rag";
	nftc_emit_table(&t, &cfg, p, NULL, 0, false);
	CHECK(t.s && strstr(t.s, "10.0.0.5 . 0-255 . 0-65535 : drop") != NULL);
	CHECK(t.s && strstr(t.s, "10.0.0.0-10.0.0.4 . 0-255 . 0-65535 : accept") != NULL);
	CHECK(t.s && strstr(t.s, "10.0.0.6/31 . 0-255 . 0-65535 : accept") != NULL);
	nftc_text_free(&t);
	nftc_free(p);
}

/* Malformed snapshots and the element limit. */
static void test_refusals(void)
{
	struct pol_prefix bad = pfx("10.0.0.0", 8), many[64];
	struct pol_service any = { POL_PROTO_ANY, 0, 65535 }, rev = { POL_PROTO_TCP, 9000, 8000 };
	struct pol_service gre = { 47, 0, 0 };
	struct pol_rule r = { 5, true, false, 1, &bad, 1, &any, 1 };
	uint32_t g[] = { 1 };
	struct pol_user u = { "u", g, 1 };
	struct pol_snapshot s = { 1, &r, 1, &u, 1 };
	struct nftc_policy *p = NULL;
	char err[256];

	bad.len = 33;
	CHECK_INT(nftc_compile(&s, 0, &p, err, sizeof(err)), -EINVAL);
	CHECK(p == NULL);
	CHECK(strstr(err, "rule 5") != NULL);
	bad.len = 8;
	bad.family = 3;
	CHECK_INT(nftc_compile(&s, 0, &p, err, sizeof(err)), -EINVAL);
	bad.family = AF_INET;
	r.svc = &rev;
	CHECK_INT(nftc_compile(&s, 0, &p, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "9000-8000") != NULL);
	r.svc = &gre;
	CHECK_INT(nftc_compile(&s, 0, &p, err, sizeof(err)), -EINVAL);
	r.svc = &any;
	/* 64 disjoint /32s: fine with room, refused with a limit of 10 */
	for (int i = 0; i < 64; i++) {
		char t[32];

		snprintf(t, sizeof(t), "10.1.%d.1", i);
		many[i] = pfx(t, 32);
	}
	r.dst = many;
	r.ndst = 64;
	CHECK_INT(nftc_compile(&s, 64, &p, err, sizeof(err)), 0);
	CHECK(p && p->nboxes == 64);
	nftc_free(p);
	CHECK_INT(nftc_compile(&s, 10, &p, err, sizeof(err)), -E2BIG);
	CHECK(strstr(err, "more than 10") != NULL);
	/* no rules, no users: compiles to nothing */
	s.nrules = 0;
	s.nusers = 0;
	CHECK_INT(nftc_compile(&s, 0, &p, err, sizeof(err)), 0);
	CHECK(p && p->nclasses == 0 && p->nboxes == 0);
	nftc_free(p);
}

/* ---- randomised ------------------------------------------------------------------ */

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? (uint32_t)(rng_state % n) : 0;
}

#define R_RULES 16
#define R_USERS 12
#define R_GROUPS 5

/* A random prefix inside a small space so that prefixes overlap: IPv4
 * 10.0.0.0/22, IPv6 2001:db8::/118. */
static void rnd_prefix(struct pol_prefix *p, int family)
{
	memset(p, 0, sizeof(*p));
	p->family = (uint8_t)family;
	if (family == AF_INET) {
		uint32_t a = 0x0a000000u | rnd(1024);

		p->len = (uint8_t)(22 + rnd(11));
		a &= p->len ? ~((1u << (32 - p->len)) - 1) : 0;
		if (rnd(20) == 0) {
			p->len = 0;
			a = 0;
		}
		p->addr[0] = (uint8_t)(a >> 24);
		p->addr[1] = (uint8_t)(a >> 16);
		p->addr[2] = (uint8_t)(a >> 8);
		p->addr[3] = (uint8_t)a;
	} else {
		uint32_t low = rnd(1024);
		unsigned int host;

		p->addr[0] = 0x20;
		p->addr[1] = 0x01;
		p->addr[2] = 0x0d;
		p->addr[3] = 0xb8;
		p->len = (uint8_t)(118 + rnd(11));
		host = 128u - p->len;
		low &= ~((1u << host) - 1);
		p->addr[14] = (uint8_t)(low >> 8);
		p->addr[15] = (uint8_t)low;
	}
}

static void rnd_service(struct pol_service *s)
{
	uint32_t k = rnd(10);

	memset(s, 0, sizeof(*s));
	if (k == 0) {
		s->proto = POL_PROTO_ANY;
		s->port_hi = 65535;
	} else if (k == 1) {
		s->proto = POL_PROTO_ICMP;
	} else {
		uint16_t a = (uint16_t)rnd(40), b = (uint16_t)rnd(40);

		s->proto = k < 6 ? POL_PROTO_TCP : POL_PROTO_UDP;
		s->port_lo = a < b ? a : b;
		s->port_hi = a < b ? b : a;
		if (rnd(8) == 0) {
			s->port_lo = 0;
			s->port_hi = 65535;
		}
	}
}

/* Add px's boundaries (its ends and their neighbours) to pts. */
static size_t prefix_points(const struct pol_prefix *px, uint8_t pts[][16], size_t n, size_t max)
{
	uint8_t lo[16], hi[16];
	unsigned int nb = px->family == AF_INET ? 4 : 16;

	memcpy(lo, px->addr, 16);
	memcpy(hi, px->addr, 16);
	for (unsigned int bit = px->len; bit < nb * 8; bit++)
		hi[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
	if (n + 4 > max)
		return n;
	memcpy(pts[n++], lo, 16);
	memcpy(pts[n++], hi, 16);
	/* lo - 1, hi + 1 (wrapping at the ends of the space is fine) */
	memcpy(pts[n], lo, 16);
	for (int i = (int)nb - 1; i >= 0 && pts[n][i]-- == 0; i--)
		;
	n++;
	memcpy(pts[n], hi, 16);
	for (int i = (int)nb - 1; i >= 0 && ++pts[n][i] == 0; i--)
		;
	n++;
	return n;
}

/* What a packet experiences: the default deny, or the verdict and — for a
 * logging rule — which rule the log names.  Two rules that accept (or
 * drop) without logging are indistinguishable, and the compiler may let
 * either decide where they overlap. */
static bool same_outcome(const struct pol_rule *rules, long want, long got)
{
	if (want < 0 || got < 0)
		return want == got;
	if (rules[want].permit != rules[got].permit || rules[want].log != rules[got].log)
		return false;
	return !rules[want].log || want == got;
}

static void test_random(void)
{
	static struct pol_prefix dst[R_RULES][4];
	static struct pol_service svc[R_RULES][3];
	static struct pol_rule rules[R_RULES];
	static uint32_t ug[R_USERS][R_GROUPS];
	static struct pol_user users[R_USERS];
	static char names[R_USERS][16];
	static uint8_t pts[2][R_RULES * 4 * 4 + 64][16];
	uint16_t ports[R_RULES * 3 * 4 + 8];
	static const uint8_t protos[] = { 1, 6, 17, 58, 47, 0, 132 };
	long checked = 0, mismatches = 0, permits = 0, denies = 0, defaults = 0;
	long merged = 0, ordered = 0, oracle_diff = 0;
	int rounds = 150;

	for (int round = 0; round < rounds; round++) {
		struct pol_snapshot s;
		struct nftc_policy *p;
		char err[256];
		size_t npts[2] = { 0, 0 }, nports = 0;
		size_t nr = 1 + rnd(R_RULES), nu = 1 + rnd(R_USERS);

		for (size_t i = 0; i < nr; i++) {
			size_t nd = 1 + rnd(4), ns = 1 + rnd(3);

			for (size_t k = 0; k < nd; k++)
				rnd_prefix(&dst[i][k], rnd(3) == 0 ? AF_INET6 : AF_INET);
			for (size_t k = 0; k < ns; k++) {
				rnd_service(&svc[i][k]);
				ports[nports++] = svc[i][k].port_lo;
				ports[nports++] = svc[i][k].port_hi;
				ports[nports++] = (uint16_t)(svc[i][k].port_lo - 1);
				ports[nports++] = (uint16_t)(svc[i][k].port_hi + 1);
			}
			rules[i].id = (uint32_t)(100 + i);
			rules[i].permit = rnd(2);
			rules[i].log = rnd(2);
			rules[i].user_group = 1 + rnd(R_GROUPS);
			rules[i].dst = dst[i];
			rules[i].ndst = nd;
			rules[i].svc = svc[i];
			rules[i].nsvc = ns;
		}
		ports[nports++] = 0;
		ports[nports++] = 65535;
		ports[nports++] = (uint16_t)rnd(65536);
		for (size_t u = 0; u < nu; u++) {
			size_t ng = 0;

			for (uint32_t g = 1; g <= R_GROUPS + 1; g++)	/* R_GROUPS + 1: no rule */
				if (rnd(3) == 0 && ng < R_GROUPS)
					ug[u][ng++] = g;
			snprintf(names[u], sizeof(names[u]), "user%02zu", u);
			users[u].name = names[u];
			users[u].groups = ug[u];
			users[u].ngroups = ng;
		}
		/* points: every prefix's boundaries, plus random ones */
		for (size_t i = 0; i < nr; i++)
			for (size_t k = 0; k < rules[i].ndst; k++) {
				int f = dst[i][k].family == AF_INET ? 0 : 1;

				npts[f] = prefix_points(&dst[i][k], pts[f], npts[f], sizeof(pts[0]) / 16);
			}
		for (int f = 0; f < 2; f++)
			for (int k = 0; k < 8 && npts[f] < sizeof(pts[0]) / 16; k++, npts[f]++) {
				memset(pts[f][npts[f]], 0, 16);
				if (f == 0) {
					pts[f][npts[f]][0] = 10;
					pts[f][npts[f]][2] = (uint8_t)rnd(4);
					pts[f][npts[f]][3] = (uint8_t)rnd(256);
				} else {
					memcpy(pts[f][npts[f]], "\x20\x01\x0d\xb8", 4);
					pts[f][npts[f]][14] = (uint8_t)rnd(4);
					pts[f][npts[f]][15] = (uint8_t)rnd(256);
				}
			}
		s.generation = (uint64_t)round;
		s.rules = rules;
		s.nrules = nr;
		s.users = users;
		s.nusers = nu;
		if (nftc_compile(&s, 0, &p, err, sizeof(err)) != 0) {
			fprintf(stderr, "round %d: compile failed: %s\n", round, err);
			CHECK(0);
			continue;
		}
		CHECK(all_disjoint(p));
		for (size_t k = 0; k < p->nclasses; k++) {
			merged += p->classes[k].merged;
			ordered += !p->classes[k].merged && p->classes[k].nseq > 1;
		}
		for (size_t u = 0; u < nu; u++) {
			int cls = nftc_user_class(p, users[u].name);

			for (int f = 0; f < 2; f++) {
				int family = f ? AF_INET6 : AF_INET;

				for (size_t a = 0; a < npts[f]; a++)
					for (size_t pr = 0; pr < sizeof(protos); pr++)
						for (size_t po = 0; po < nports; po++) {
							long want = ref_eval(&s, &users[u], family, pts[f][a],
									     protos[pr], ports[po]);
							long got = nftc_lookup(p, cls, family, pts[f][a],
									       protos[pr], ports[po]);
							/* the policy module's own evaluator agrees */
							struct pol_verdict pv = pol_eval(&s, users[u].name,
									family, pts[f][a], protos[pr], ports[po]);
							long want2 = pv.rule_id ? (long)pv.rule_id - 100 : -1;

							if (want2 != want && oracle_diff++ < 5)
								fprintf(stderr, "pol_eval %ld, ref_eval %ld\n",
									want2, want);

							checked++;
							if (want < 0)
								defaults++;
							else if (rules[want].permit)
								permits++;
							else
								denies++;
							if (!same_outcome(rules, want, got) &&
							    mismatches++ < 5)
								fprintf(stderr, "round %d user %zu fam %d proto %u "
									"port %u: want %ld got %ld\n", round, u,
									family, protos[pr], ports[po], want, got);
						}
			}
		}
		nftc_free(p);
	}
	CHECK_INT(mismatches, 0);
	CHECK_INT(oracle_diff, 0);
	/* the random policies exercised all three outcomes */
	CHECK(permits > 1000 && denies > 1000 && defaults > 1000);
	/* ... and both ways of evaluating a user in several groups */
	CHECK(merged > 50 && ordered > 50);
	printf("test_nft_compile: %ld random points checked (%ld permit, %ld deny, %ld default "
	       "deny); classes of several groups: %ld ordered lookups, %ld merged\n", checked,
	       permits, denies, defaults, ordered, merged);
}

int main(void)
{
	test_first_match();
	test_ranges_text();
	test_refusals();
	test_random();
	return check_done("test_nft_compile");
}
