/*
 * bench_policy.c — the access-policy benchmark (issue 4, "Prove it": "a
 * policy of 1,000 rules over 200 groups and 10,000 users compiles and
 * applies in under 1 s").  Figures are printed, nothing is asserted: this
 * is not a timed test.  run-policy-bench.sh drives it.
 *
 * It generates a policy (deterministic for a seed), compiles it
 * (nft_compile.h), creates ragd's nftables table in the current network
 * namespace (nft.h: needs root), registers the virtual IPs of the connected
 * users and applies the policy — first apply, then a replacement (what a
 * policy change costs), then single vIP registrations (what a connect
 * costs).  With --hold FILE it keeps the table (the forwarding benchmark
 * sends through it), writes "ready" to FILE and waits for SIGTERM.
 *
 * The generated policy:
 *   - G user groups; every user has a primary group (round robin) and 30 %
 *     also one of 20 "role" groups;
 *   - N/4 host groups of 1-4 prefixes (/16 .. /32 inside 10.0.0.0/8, one in
 *     ten an IPv6 prefix), N/10 service groups of 1-3 services (any, icmp,
 *     tcp/udp ports and ranges);
 *   - N - 1 random rules (80 % permit, half of them logged) and, last, the
 *     benchmark user's rule: group 1 -> 198.51.100.0/24 udp/443 permit (the
 *     forwarding benchmark's flow; random prefixes never cover it, so the
 *     flow is decided by that rule whatever else applies);
 *   - user "bench" is in group 1 only.  --worst puts every rule in group 1:
 *     all N rules then apply to the benchmark user.
 *
 * usage: bench_policy [--rules N] [--groups G] [--users U] [--connected C]
 *                     [--worst] [--seed S] [--hold FILE]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nft.h"
#include "nft_compile.h"

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

static uint64_t clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t now_us(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

/* CPU time of this process (user + system: libnftables and the kernel's
 * handling of its netlink batch run in it). */
static uint64_t cpu_us(void)
{
	return clock_us(CLOCK_PROCESS_CPUTIME_ID);
}

struct hostgroup {
	struct pol_prefix *p;
	size_t n;
};

struct svcgroup {
	struct pol_service *s;
	size_t n;
};

static void gen_prefix(struct pol_prefix *p)
{
	static const uint8_t lens[] = { 16, 20, 24, 24, 28, 32, 32 };

	memset(p, 0, sizeof(*p));
	if (rnd(10) == 0) {
		p->family = AF_INET6;
		p->len = (uint8_t)(48 + 16 * rnd(5));	/* 48 .. 112 */
		p->addr[0] = 0x20;
		p->addr[1] = 0x01;
		p->addr[2] = 0x0d;
		p->addr[3] = 0xb8;
		for (unsigned int i = 4; i < p->len / 8; i++)
			p->addr[i] = (uint8_t)rnd(256);
		return;
	}
	p->family = AF_INET;
	p->len = lens[rnd(sizeof(lens))];
	p->addr[0] = 10;
	for (unsigned int i = 1; i < 4; i++)
		p->addr[i] = i < (p->len + 7u) / 8 ? (uint8_t)rnd(256) : 0;
	if (p->len % 8)
		p->addr[p->len / 8] &= (uint8_t)(0xff << (8 - p->len % 8));
}

static void gen_service(struct pol_service *s)
{
	static const uint16_t common[] = { 22, 25, 53, 80, 110, 123, 143, 389, 443, 445, 636,
					   993, 1433, 3306, 3389, 5432, 5900, 8080, 8443 };
	uint32_t k = rnd(10);

	memset(s, 0, sizeof(*s));
	if (k == 0) {
		s->proto = POL_PROTO_ANY;
		s->port_hi = 65535;
	} else if (k == 1) {
		s->proto = POL_PROTO_ICMP;
	} else {
		s->proto = k < 8 ? POL_PROTO_TCP : POL_PROTO_UDP;
		s->port_lo = rnd(2) ? common[rnd(sizeof(common) / sizeof(common[0]))] :
				      (uint16_t)(1024 + rnd(60000));
		s->port_hi = s->port_lo;
		if (rnd(4) == 0)
			s->port_hi = (uint16_t)(s->port_lo + rnd(100));
	}
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_policy [--rules N] [--groups G] [--users U] [--connected C] "
		"[--worst] [--seed S] [--hold FILE]\n");
	return 2;
}

/* A checked positive number from text. */
static int num(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return (!errno && end != s && !*end && *out >= 1 && *out <= max) ? 0 : -1;
}

int main(int argc, char **argv)
{
	unsigned long nrules = 1000, ngroups = 200, nusers = 10000, nconn = 10000, seed = 1;
	const char *hold = NULL;
	bool worst = false;
	struct hostgroup *hg;
	struct svcgroup *sg;
	struct pol_rule *rules;
	struct pol_user *users;
	uint32_t *ugroups;
	char (*names)[16];
	size_t nhg, nsg;
	struct pol_snapshot snap;
	struct nftc_policy *p;
	struct rag_nft *n;
	struct rag_nft_cfg cfg;
	struct rag_nft_stats st1, st2;
	char err[RAG_NFT_ERR_MAX];
	uint64_t t0, t_compile, t_reg, c0, c_compile, c_apply1, c_apply2;
	int bench_cls;

	for (int i = 1; i < argc; i++) {
		unsigned long *v = NULL, max = 1000000;

		if (!strcmp(argv[i], "--worst")) {
			worst = true;
			continue;
		}
		if (!strcmp(argv[i], "--hold") && i + 1 < argc) {
			hold = argv[++i];
			continue;
		}
		if (!strcmp(argv[i], "--rules"))
			v = &nrules, max = POL_RULES_MAX;
		else if (!strcmp(argv[i], "--groups"))
			v = &ngroups, max = POL_GROUPS_MAX;
		else if (!strcmp(argv[i], "--users"))
			v = &nusers, max = 60000;
		else if (!strcmp(argv[i], "--connected"))
			v = &nconn, max = 60000;
		else if (!strcmp(argv[i], "--seed"))
			v = &seed;
		if (!v || i + 1 >= argc || num(argv[++i], max, v) < 0)
			return usage();
	}
	if (nconn > nusers)
		nconn = nusers;
	rng = 0x9e3779b97f4a7c15ull ^ seed;

	/* ---- the policy ---- */
	nhg = nrules / 4 > 10 ? nrules / 4 : 10;
	nsg = nrules / 10 > 5 ? nrules / 10 : 5;
	hg = calloc(nhg + 1, sizeof(*hg));
	sg = calloc(nsg + 1, sizeof(*sg));
	rules = calloc(nrules, sizeof(*rules));
	users = calloc(nusers + 1, sizeof(*users));
	ugroups = calloc((nusers + 1) * 2, sizeof(*ugroups));
	names = calloc(nusers + 1, sizeof(*names));
	if (!hg || !sg || !rules || !users || !ugroups || !names)
		return 1;
	for (size_t i = 0; i < nhg; i++) {
		hg[i].n = 1 + rnd(4);
		hg[i].p = calloc(hg[i].n, sizeof(*hg[i].p));
		for (size_t k = 0; k < hg[i].n; k++)
			gen_prefix(&hg[i].p[k]);
	}
	for (size_t i = 0; i < nsg; i++) {
		sg[i].n = 1 + rnd(3);
		sg[i].s = calloc(sg[i].n, sizeof(*sg[i].s));
		for (size_t k = 0; k < sg[i].n; k++)
			gen_service(&sg[i].s[k]);
	}
	/* the benchmark flow's host and service group */
	hg[nhg].n = 1;
	hg[nhg].p = calloc(1, sizeof(*hg[nhg].p));
	hg[nhg].p->family = AF_INET;
	hg[nhg].p->len = 24;
	inet_pton(AF_INET, "198.51.100.0", hg[nhg].p->addr);
	sg[nsg].n = 1;
	sg[nsg].s = calloc(1, sizeof(*sg[nsg].s));
	sg[nsg].s->proto = POL_PROTO_UDP;
	sg[nsg].s->port_lo = sg[nsg].s->port_hi = 443;
	for (size_t i = 0; i + 1 < nrules; i++) {
		struct hostgroup *h = &hg[rnd((uint32_t)nhg)];
		struct svcgroup *s = &sg[rnd((uint32_t)nsg)];

		rules[i] = (struct pol_rule){ (uint32_t)(i + 1), rnd(5) != 0, rnd(2) != 0,
					      worst ? 1 : 1 + rnd((uint32_t)ngroups),
					      h->p, h->n, s->s, s->n };
	}
	rules[nrules - 1] = (struct pol_rule){ (uint32_t)nrules, true, false, 1, hg[nhg].p, 1,
					       sg[nsg].s, 1 };
	/* users, sorted by name: "bench" < "u00000" < ... */
	snprintf(names[0], sizeof(names[0]), "bench");
	ugroups[0] = 1;
	users[0] = (struct pol_user){ names[0], &ugroups[0], 1 };
	for (size_t u = 1; u <= nusers; u++) {
		uint32_t *g = &ugroups[2 * u];
		size_t ng = 1;

		snprintf(names[u], sizeof(names[u]), "u%05u", (unsigned int)(u - 1) % 100000u);
		g[0] = (uint32_t)(1 + (u - 1) % ngroups);
		if (rnd(10) < 3) {
			uint32_t role = 1 + rnd(ngroups < 20 ? (uint32_t)ngroups : 20);

			if (role != g[0]) {
				g[ng++] = role;
				if (g[0] > g[1]) {
					uint32_t t = g[0];

					g[0] = g[1];
					g[1] = t;
				}
			}
		}
		users[u] = (struct pol_user){ names[u], g, ng };
	}
	snap = (struct pol_snapshot){ 1, rules, nrules, users, nusers + 1 };

	/* ---- compile alone ---- */
	t0 = now_us();
	c0 = cpu_us();
	if (nftc_compile(&snap, 0, &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_policy: compile: %s\n", err);
		return 1;
	}
	c_compile = cpu_us() - c0;
	t_compile = now_us() - t0;
	bench_cls = nftc_user_class(p, "bench");
	{
		const struct nftc_class *bc = bench_cls >= 0 ? &p->classes[bench_cls] : NULL;
		size_t el = 0, lookups = 0;

		if (bc && bc->merged) {
			el = bc->m.nbox[0] + bc->m.nbox[1];
			lookups = 1;
		}
		for (size_t i = 0; bc && !bc->merged && i < bc->nseq; i++) {
			el += p->groups[bc->seq[i]].m.nbox[0] + p->groups[bc->seq[i]].m.nbox[1];
			lookups++;
		}

		printf("policy: %lu rules, %lu user groups, %zu host groups, %zu service groups, "
		       "%lu users (+ bench)%s\n", nrules, ngroups, nhg, nsg, nusers,
		       worst ? ", every rule in the bench user's group" : "");
		printf("compiled: %zu classes (%zu with a merged map), %zu group maps, %zu nftables "
		       "elements; the bench user: %zu lookup(s) in %zu elements\n", p->nclasses,
		       p->nmerged, p->ngroups, p->nboxes, lookups, el);
		printf("compile alone: %.1f ms CPU (%.1f ms wall)\n", c_compile / 1000.0,
		       t_compile / 1000.0);
	}
	nftc_free(p);

	/* ---- the table ---- */
	if (geteuid() != 0) {
		fprintf(stderr, "bench_policy: needs root (nftables)\n");
		return 1;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.pool4.family = AF_INET;
	cfg.pool4.len = 16;
	inet_pton(AF_INET, "10.200.0.0", cfg.pool4.addr);
	if (rag_nft_open(&n, &cfg, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_policy: %s\n", err);
		return 1;
	}
	t0 = now_us();
	for (size_t u = 1; u <= nconn; u++) {
		uint8_t a[16] = { 10, 200, (uint8_t)(u >> 8), (uint8_t)u };

		rag_nft_vip_set(n, AF_INET, a, names[u], u);
	}
	{
		uint8_t a[16] = { 10, 200, 255, 254 };

		rag_nft_vip_set(n, AF_INET, a, "bench", 1000000);
	}
	t_reg = now_us() - t0;
	c0 = cpu_us();
	if (rag_nft_apply(n, &snap, &st1, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_policy: apply: %s\n", err);
		return 1;
	}
	c_apply1 = cpu_us() - c0;
	snap.generation = 2;
	c0 = cpu_us();
	if (rag_nft_apply(n, &snap, &st2, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_policy: apply: %s\n", err);
		return 1;
	}
	c_apply2 = cpu_us() - c0;
	printf("first apply, %lu vIPs connected: %.1f ms CPU; wall: compile %.1f ms + nftables "
	       "%.1f ms = %.1f ms (registry %.1f ms)\n", nconn + 1, c_apply1 / 1000.0,
	       st1.compile_us / 1000.0, st1.apply_us / 1000.0,
	       (st1.compile_us + st1.apply_us) / 1000.0, t_reg / 1000.0);
	printf("policy change (table swapped in one transaction): %.1f ms CPU; wall: compile "
	       "%.1f ms + nftables %.1f ms = %.1f ms\n", c_apply2 / 1000.0,
	       st2.compile_us / 1000.0, st2.apply_us / 1000.0,
	       (st2.compile_us + st2.apply_us) / 1000.0);
	/* what one connect costs: register + commit (element add) */
	{
		const int k = 20;
		uint64_t worst_us = 0, sum = 0, cpu = cpu_us();

		for (int i = 0; i < k; i++) {
			uint8_t a[16] = { 10, 200, 254, (uint8_t)(i + 1) };
			uint64_t t = now_us(), d;

			rag_nft_vip_set(n, AF_INET, a, names[1 + (size_t)i % nusers], 2000000u + i);
			if (rag_nft_commit(n, err, sizeof(err)) < 0) {
				fprintf(stderr, "bench_policy: commit: %s\n", err);
				return 1;
			}
			d = now_us() - t;
			sum += d;
			if (d > worst_us)
				worst_us = d;
		}
		cpu = cpu_us() - cpu;
		printf("one connect (vIP element add, one transaction): %.2f ms CPU; wall mean "
		       "%.2f ms, max %.2f ms over %d\n", cpu / 1000.0 / k, sum / 1000.0 / k,
		       worst_us / 1000.0, k);
	}
	fflush(stdout);
	if (hold) {
		FILE *f;

		signal(SIGTERM, on_signal);
		signal(SIGINT, on_signal);
		f = fopen(hold, "w");
		if (!f || fprintf(f, "ready\n") < 0 || fclose(f) != 0) {
			fprintf(stderr, "bench_policy: %s: %s\n", hold, strerror(errno));
			return 1;
		}
		while (!stop)
			sleep(1);	/* a signal ends the sleep */
	}
	rag_nft_close(n);
	return 0;
}
