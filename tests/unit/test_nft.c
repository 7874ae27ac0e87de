/*
 * test_nft.c — daemon/nft.h and daemon/nflog.h against this host's real
 * kernel (nf_tables, NFLOG), in a private network namespace
 * (unshare(CLONE_NEWNET): needs root; without it the test FAILS, it does
 * not skip).  Issue 4 points 2 and 5:
 *
 *   - ownership (issue 4: "removed at exit, leftovers of a crashed run
 *     removed at start; never touches other tables"): a leftover `table inet
 *     rag` is replaced, another table is left alone, a second ragd in the
 *     same network namespace gets -EBUSY and does not touch the table, and
 *     the table of a ragd killed with SIGKILL is removed by the next start;
 *   - enforcement, with real packets: the virtual IPs and destinations live
 *     on lo, so a packet from a vIP to a destination passes the INPUT hook
 *     of ragd's table exactly like forwarded traffic passes FORWARD (same
 *     chains).  TCP connects and UDP datagrams show first match (a deny
 *     before a permit of the same host), default deny, per-user classes,
 *     IPv6, a pool address without a registered user denied, non-pool
 *     sources untouched, nothing filtered before the first policy;
 *   - live changes: vIP registration/release as element updates, a new
 *     policy swapped in (membership change);
 *   - the log: NFLOG records with the rule ID, verdict, addresses and ports;
 *     a flood of denials, and a burst of new permitted flows, are
 *     rate-limited per user and logged + suppressed counts add up to
 *     exactly the packets (flows) sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nftables/libnftables.h>

#include "check.h"
#include "nflog.h"
#include "nft.h"

/* ---- helpers ---------------------------------------------------------------------- */

static void sh(const char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "test_nft: command failed: %s\n", cmd);
		exit(1);
	}
}

/* `list table inet rag` through a separate libnftables context ("" when absent). */
static char *list_table(void)
{
	struct nft_ctx *c = nft_ctx_new(NFT_CTX_DEFAULT);
	char *out;

	nft_ctx_buffer_output(c);
	nft_ctx_buffer_error(c);
	if (nft_run_cmd_from_buffer(c, "list table inet rag") == 0)
		out = strdup(nft_ctx_get_output_buffer(c));
	else
		out = strdup("");
	nft_ctx_free(c);
	return out;
}

static bool table_has(const char *needle)
{
	char *t = list_table();
	bool r = strstr(t, needle) != NULL;

	free(t);
	return r;
}

static void sa_of(const char *a, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(a, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		inet_pton(AF_INET6, a, &s6->sin6_addr);
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		inet_pton(AF_INET, a, &s4->sin_addr);
		*len = sizeof(*s4);
	}
}

/* A TCP connection from src to dst:port completes within 400 ms. */
static bool tcp_ok(const char *src, const char *dst, uint16_t port)
{
	struct sockaddr_storage s, d;
	socklen_t sl, dl;
	struct pollfd pfd;
	int fd, e = -1;
	socklen_t el = sizeof(e);

	sa_of(src, 0, &s, &sl);
	sa_of(dst, port, &d, &dl);
	fd = socket(s.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&s, sl) < 0)
		abort();
	if (connect(fd, (struct sockaddr *)&d, dl) == 0) {
		close(fd);
		return true;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, 400) == 1)
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
	close(fd);
	return e == 0;
}

/* Listening TCP sockets on every address (both families) for port. */
static void tcp_listen(uint16_t port)
{
	struct sockaddr_in6 a;
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), zero = 0, one = 1;

	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_port = htons(port);
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 128) < 0)
		abort();
	/* left open: the kernel completes handshakes into the backlog */
}

static int udp_bind(int family, uint16_t port)
{
	struct sockaddr_storage s;
	socklen_t sl;
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

	sa_of(family == AF_INET ? "0.0.0.0" : "::", port, &s, &sl);
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&s, sl) < 0)
		abort();
	return fd;
}

/* A datagram from src to dst:port arrives (receivers bound to the port). */
static bool udp_ok(const char *src, const char *dst, uint16_t port, int rx)
{
	struct sockaddr_storage s, d;
	socklen_t sl, dl;
	struct pollfd pfd;
	char b[64];
	int fd;
	bool got = false;

	while (recv(rx, b, sizeof(b), 0) > 0)
		;	/* stale */
	sa_of(src, 0, &s, &sl);
	sa_of(dst, port, &d, &dl);
	fd = socket(s.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&s, sl) < 0)
		abort();
	sendto(fd, "q", 1, 0, (struct sockaddr *)&d, dl);
	pfd.fd = rx;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 300) == 1)
		got = recv(rx, b, sizeof(b), 0) == 1;
	close(fd);
	return got;
}

static void vip(const char *a, uint8_t *out, int *family)
{
	memset(out, 0, 16);
	*family = strchr(a, ':') ? AF_INET6 : AF_INET;
	inet_pton(*family, a, out);
}

static int set_vip(struct rag_nft *n, const char *a, const char *user, uint64_t sa)
{
	uint8_t b[16];
	int f;

	vip(a, b, &f);
	return rag_nft_vip_set(n, f, b, user, sa);
}

static int clear_vip(struct rag_nft *n, const char *a)
{
	uint8_t b[16];
	int f;

	vip(a, b, &f);
	return rag_nft_vip_clear(n, f, b);
}

/* ---- NFLOG records ------------------------------------------------------------------------ */

#define MAX_RECS 4096
static struct rag_nflog_rec recs[MAX_RECS];
static size_t nrecs;

static void rec_fn(void *arg, const struct rag_nflog_rec *r)
{
	(void)arg;
	if (nrecs < MAX_RECS)
		recs[nrecs++] = *r;
}

static void drain(struct rag_nflog *l)
{
	for (int i = 0; i < 20; i++) {
		struct pollfd pfd = { rag_nflog_fd(l), POLLIN, 0 };

		if (poll(&pfd, 1, 50) != 1)
			break;
		rag_nflog_read(l, rec_fn, NULL);
	}
}

/* A record with these fields (sport ignored). */
static bool has_rec(bool permit, uint32_t rule, const char *src, const char *dst, uint8_t proto,
		    int dport)
{
	uint8_t s[16], d[16];
	int f;

	vip(src, s, &f);
	vip(dst, d, &f);
	for (size_t i = 0; i < nrecs; i++)
		if (recs[i].permit == permit && recs[i].rule_id == rule && recs[i].family == f &&
		    !memcmp(recs[i].src, s, 16) && !memcmp(recs[i].dst, d, 16) &&
		    recs[i].proto == proto && recs[i].dport == dport)
			return true;
	return false;
}

/* ---- the policy ------------------------------------------------------------------------------- */

/*
 * groups 1 = staff, 2 = admins
 *  r10 staff  deny   198.51.100.10/32  tcp/22               log
 *  r11 staff  permit 198.51.100.0/24   tcp/1-1024, udp/53   log
 *  r12 admins permit 198.51.100.0/24   any                  no log
 *  r13 staff  permit 2001:db8:2::/64   tcp/443              log
 */
static struct pol_prefix d_host, d_net, d_v6;
static struct pol_service s_ssh = { POL_PROTO_TCP, 22, 22 };
static struct pol_service s_low[2] = { { POL_PROTO_TCP, 1, 1024 }, { POL_PROTO_UDP, 53, 53 } };
static struct pol_service s_any = { POL_PROTO_ANY, 0, 65535 };
static struct pol_service s_https = { POL_PROTO_TCP, 443, 443 };
static struct pol_rule rules[4];
static uint32_t g_staff[] = { 1 }, g_admin[] = { 2 };
static struct pol_user users[3];
static struct pol_snapshot snap;

static void make_policy(void)
{
	d_host.family = AF_INET;
	d_host.len = 32;
	inet_pton(AF_INET, "198.51.100.10", d_host.addr);
	d_net.family = AF_INET;
	d_net.len = 24;
	inet_pton(AF_INET, "198.51.100.0", d_net.addr);
	d_v6.family = AF_INET6;
	d_v6.len = 64;
	inet_pton(AF_INET6, "2001:db8:2::", d_v6.addr);
	rules[0] = (struct pol_rule){ 10, false, true, 1, &d_host, 1, &s_ssh, 1 };
	rules[1] = (struct pol_rule){ 11, true, true, 1, &d_net, 1, s_low, 2 };
	rules[2] = (struct pol_rule){ 12, true, false, 2, &d_net, 1, &s_any, 1 };
	rules[3] = (struct pol_rule){ 13, true, true, 1, &d_v6, 1, &s_https, 1 };
	users[0] = (struct pol_user){ "alice", g_staff, 1 };
	users[1] = (struct pol_user){ "bob", g_admin, 1 };
	users[2] = (struct pol_user){ "carol", NULL, 0 };
	snap = (struct pol_snapshot){ 1, rules, 4, users, 3 };
}

/* ---- tests ------------------------------------------------------------------------------------ */

static void test_ownership(void)
{
	struct nft_ctx *c = nft_ctx_new(NFT_CTX_DEFAULT);
	struct rag_nft_cfg cfg;
	struct rag_nft *n, *n2;
	char err[RAG_NFT_ERR_MAX];
	bool left;
	int pfd[2], status;
	pid_t pid;

	/* a table of our name left by a crashed run, and someone else's table */
	nft_ctx_buffer_output(c);
	nft_ctx_buffer_error(c);
	CHECK_INT(nft_run_cmd_from_buffer(c, "table inet rag {\n chain x {\n type filter hook "
					  "forward priority 0; policy accept;\n }\n}\n"
					  "table inet other {\n chain y {\n type filter hook "
					  "forward priority 0; policy accept;\n }\n}\n"), 0);
	memset(&cfg, 0, sizeof(cfg));
	CHECK_INT(rag_nft_open(&n, &cfg, &left, err, sizeof(err)), 0);
	CHECK(left);
	CHECK(table_has("table inet rag"));
	CHECK(!table_has("chain x"));
	CHECK(!rag_nft_enforcing(n));
	/* a second ragd in the same namespace: refused, the table untouched */
	CHECK_INT(rag_nft_open(&n2, &cfg, &left, err, sizeof(err)), -EBUSY);
	CHECK(strstr(err, "another ragd") != NULL);
	CHECK(table_has("table inet rag"));
	rag_nft_close(n);
	CHECK(!table_has("table inet rag"));
	CHECK_INT(nft_run_cmd_from_buffer(c, "list table inet other"), 0);	/* not ours */
	CHECK_INT(nft_run_cmd_from_buffer(c, "delete table inet other"), 0);

	/* SIGKILL: the table stays until the next start removes it */
	CHECK_INT(pipe(pfd), 0);
	pid = fork();
	if (pid == 0) {
		struct rag_nft *cn;

		if (rag_nft_open(&cn, &cfg, NULL, err, sizeof(err)) != 0)
			_exit(1);
		if (write(pfd[1], "k", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	{
		char b;

		CHECK_INT(read(pfd[0], &b, 1), 1);
	}
	CHECK(table_has("table inet rag"));
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	CHECK(table_has("table inet rag"));
	CHECK_INT(rag_nft_open(&n, &cfg, &left, err, sizeof(err)), 0);
	CHECK(left);
	rag_nft_close(n);
	CHECK(!table_has("table inet rag"));
	close(pfd[0]);
	close(pfd[1]);
	nft_ctx_free(c);
}

struct supp_sum {
	uint64_t total;			/* suppressed denials */
	uint64_t permit_total;		/* suppressed new permitted flows */
	char user[32];
};

static void supp_fn(void *arg, const struct rag_nft_vip_info *v, bool permit, uint64_t count)
{
	struct supp_sum *s = arg;

	if (permit)
		s->permit_total += count;
	else
		s->total += count;
	snprintf(s->user, sizeof(s->user), "%s", v->user);
}

static void test_enforce(void)
{
	struct rag_nft_cfg cfg;
	struct rag_nft *n;
	struct rag_nflog *l;
	struct rag_nft_stats st;
	struct rag_nft_vip_info info;
	char err[RAG_NFT_ERR_MAX];
	uint8_t a[16];
	int rx53, rx54, rx53_6, f;

	memset(&cfg, 0, sizeof(cfg));
	cfg.pool4.family = AF_INET;
	cfg.pool4.len = 24;
	inet_pton(AF_INET, "10.200.0.0", cfg.pool4.addr);
	cfg.pool6.family = AF_INET6;
	cfg.pool6.len = 120;
	inet_pton(AF_INET6, "fd00:200::", cfg.pool6.addr);
	CHECK_INT(rag_nft_open(&n, &cfg, NULL, err, sizeof(err)), 0);
	CHECK_INT(rag_nflog_open(&l, RAG_NFT_NFLOG_GROUP, RAG_NFT_SNAPLEN, err, sizeof(err)), 0);
	if (!n || !l) {
		fprintf(stderr, "test_nft: %s\n", err);
		exit(1);
	}
	tcp_listen(22);
	tcp_listen(80);
	tcp_listen(443);
	tcp_listen(8080);
	rx53 = udp_bind(AF_INET, 53);
	rx54 = udp_bind(AF_INET, 54);
	rx53_6 = udp_bind(AF_INET6, 53);

	CHECK_INT(set_vip(n, "10.200.0.5", "alice", 1), 0);
	CHECK_INT(set_vip(n, "10.200.0.6", "Bob", 2), 0);	/* names are case-insensitive */
	CHECK_INT(set_vip(n, "10.200.0.7", "carol", 3), 0);
	CHECK_INT(set_vip(n, "fd00:200::5", "alice", 1), 0);
	CHECK(rag_nft_pending(n));
	CHECK_INT(rag_nft_commit(n, err, sizeof(err)), 0);
	/* before the first policy nothing is filtered */
	CHECK(tcp_ok("10.200.0.5", "198.51.100.10", 22));
	CHECK(tcp_ok("10.200.0.7", "198.51.100.10", 8080));

	CHECK_INT(rag_nft_apply(n, &snap, &st, err, sizeof(err)), 0);
	CHECK(rag_nft_enforcing(n));
	CHECK_INT(st.classes, 2);	/* staff, admins; carol has none */
	CHECK_INT(st.rules, 4);
	CHECK(table_has("10.200.0.7 : goto deny"));
	nrecs = 0;

	/* alice (staff): deny ssh to .10 first, then the permit */
	CHECK(!tcp_ok("10.200.0.5", "198.51.100.10", 22));
	CHECK(tcp_ok("10.200.0.5", "198.51.100.11", 22));
	CHECK(tcp_ok("10.200.0.5", "198.51.100.10", 80));
	CHECK(!tcp_ok("10.200.0.5", "198.51.100.10", 8080));	/* default deny */
	CHECK(udp_ok("10.200.0.5", "198.51.100.10", 53, rx53));
	CHECK(!udp_ok("10.200.0.5", "198.51.100.10", 54, rx54));
	/* IPv6 */
	CHECK(tcp_ok("fd00:200::5", "2001:db8:2::10", 443));
	CHECK(!tcp_ok("fd00:200::5", "2001:db8:2::10", 22));
	CHECK(!udp_ok("fd00:200::5", "2001:db8:2::10", 53, rx53_6));
	/* bob (admins): everything to the /24, nothing logged */
	CHECK(tcp_ok("10.200.0.6", "198.51.100.10", 22));
	CHECK(udp_ok("10.200.0.6", "198.51.100.10", 54, rx54));
	CHECK(!tcp_ok("10.200.0.6", "203.0.113.1", 80));
	/* carol: no rule applies */
	CHECK(!tcp_ok("10.200.0.7", "198.51.100.10", 80));
	/* a pool address nobody holds; a source outside the pools */
	CHECK(!tcp_ok("10.200.0.8", "198.51.100.10", 80));
	CHECK(tcp_ok("192.0.2.99", "198.51.100.10", 8080));
	CHECK(tcp_ok("127.0.0.1", "198.51.100.10", 22));

	drain(l);
	CHECK(has_rec(false, 10, "10.200.0.5", "198.51.100.10", 6, 22));
	CHECK(has_rec(true, 11, "10.200.0.5", "198.51.100.11", 6, 22));
	CHECK(has_rec(true, 11, "10.200.0.5", "198.51.100.10", 6, 80));
	CHECK(has_rec(false, 0, "10.200.0.5", "198.51.100.10", 6, 8080));
	CHECK(has_rec(true, 11, "10.200.0.5", "198.51.100.10", 17, 53));
	CHECK(has_rec(false, 0, "10.200.0.5", "198.51.100.10", 17, 54));
	CHECK(has_rec(true, 13, "fd00:200::5", "2001:db8:2::10", 6, 443));
	CHECK(has_rec(false, 0, "fd00:200::5", "2001:db8:2::10", 6, 22));
	CHECK(has_rec(false, 0, "10.200.0.7", "198.51.100.10", 6, 80));
	CHECK(has_rec(false, 0, "10.200.0.8", "198.51.100.10", 6, 80));
	CHECK(!has_rec(true, 12, "10.200.0.6", "198.51.100.10", 6, 22));	/* --no-log */
	/* a permitted TCP flow is logged once (its SYN), not per packet */
	{
		size_t k = 0;

		for (size_t i = 0; i < nrecs; i++)
			k += recs[i].permit && recs[i].rule_id == 11 && recs[i].dport == 80;
		CHECK_INT(k, 1);
	}
	for (size_t i = 0; i < nrecs; i++)
		if (recs[i].proto == 6)
			CHECK(recs[i].sport > 0);
	/* attribution through the registry */
	vip("10.200.0.6", a, &f);
	CHECK_INT(rag_nft_vip_find(n, f, a, &info), 0);
	CHECK(!strcmp(info.user, "Bob") && info.sa_id == 2 && info.active);

	/* live: alice's vIP released -> an unregistered pool address */
	CHECK_INT(clear_vip(n, "10.200.0.5"), 0);
	CHECK_INT(rag_nft_commit(n, err, sizeof(err)), 0);
	CHECK(!tcp_ok("10.200.0.5", "198.51.100.10", 80));
	vip("10.200.0.5", a, &f);
	CHECK_INT(rag_nft_vip_find(n, f, a, &info), 0);
	CHECK(!info.active && !strcmp(info.user, "alice"));
	/* ... and handed to bob: his class, at once */
	CHECK_INT(set_vip(n, "10.200.0.5", "bob", 4), 0);
	CHECK_INT(rag_nft_commit(n, err, sizeof(err)), 0);
	CHECK(tcp_ok("10.200.0.5", "198.51.100.10", 22));
	/* a new policy: carol joins staff, bob leaves admins */
	{
		static uint32_t g_carol[] = { 1 };

		users[1].ngroups = 0;
		users[2].groups = g_carol;
		users[2].ngroups = 1;
		snap.generation = 2;
		CHECK_INT(rag_nft_apply(n, &snap, &st, err, sizeof(err)), 0);
		CHECK(tcp_ok("10.200.0.7", "198.51.100.10", 80));	/* carol: now permitted */
		CHECK(!tcp_ok("10.200.0.6", "198.51.100.10", 22));	/* bob: lost it */
		CHECK(!tcp_ok("10.200.0.5", "198.51.100.10", 22));
		users[1].ngroups = 1;
		users[2].groups = NULL;
		users[2].ngroups = 0;
	}

	/* a flood of denials: rate-limited per user, the rest counted */
	{
		struct sockaddr_storage s, d;
		socklen_t sl, dl;
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		struct supp_sum sum;
		size_t logged = 0;
		const int N = 2000;

		CHECK_INT(rag_nft_apply(n, &snap, &st, err, sizeof(err)), 0);	/* carol: none */
		drain(l);
		nrecs = 0;
		sa_of("10.200.0.7", 0, &s, &sl);
		sa_of("198.51.100.10", 9999, &d, &dl);
		if (fd < 0 || bind(fd, (struct sockaddr *)&s, sl) < 0)
			abort();
		for (int i = 0; i < N; i++)
			sendto(fd, "x", 1, 0, (struct sockaddr *)&d, dl);
		close(fd);
		drain(l);
		for (size_t i = 0; i < nrecs; i++)
			logged += !recs[i].permit && recs[i].dport == 9999;
		memset(&sum, 0, sizeof(sum));
		if (rag_nft_poll_suppressed(n, supp_fn, &sum, err, sizeof(err)) != 0) {
			fprintf(stderr, "test_nft: poll: %s\n", err);
			CHECK(0);
		}
		printf("test_nft: flood of %d denied datagrams: %zu logged, %llu suppressed\n", N,
		       logged, (unsigned long long)sum.total);
		CHECK(logged >= RAG_NFT_DENY_BURST && logged < (size_t)N / 4);
		CHECK_INT(logged + sum.total, N);
		CHECK(!strcmp(sum.user, "carol"));
		/* counted once: a second poll reports nothing new */
		memset(&sum, 0, sizeof(sum));
		CHECK_INT(rag_nft_poll_suppressed(n, supp_fn, &sum, err, sizeof(err)), 0);
		CHECK_INT(sum.total, 0);
		CHECK_INT(sum.permit_total, 0);
	}
	/* a burst of new permitted flows: alice (staff) on 10.200.0.7 sends one
	 * datagram to udp/53 (rule 11, logged) from each of N source ports, N
	 * flows: rate-limited per user too, each flow logged at most once, and
	 * every flow either logged or counted */
	{
		struct sockaddr_storage s, d;
		socklen_t sl, dl;
		struct supp_sum sum;
		size_t logged = 0;
		const int N = 400;
		int sent = 0;

		CHECK_INT(clear_vip(n, "10.200.0.7"), 0);
		CHECK_INT(set_vip(n, "10.200.0.7", "alice", 5), 0);
		CHECK_INT(rag_nft_commit(n, err, sizeof(err)), 0);
		drain(l);
		nrecs = 0;
		sa_of("10.200.0.7", 0, &s, &sl);
		sa_of("198.51.100.10", 53, &d, &dl);
		for (int i = 0; i < N; i++) {
			int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

			if (fd < 0 || bind(fd, (struct sockaddr *)&s, sl) < 0)
				abort();
			sent += sendto(fd, "q", 1, 0, (struct sockaddr *)&d, dl) == 1;
			close(fd);
		}
		CHECK_INT(sent, N);
		drain(l);
		for (size_t i = 0; i < nrecs; i++)
			logged += recs[i].permit && recs[i].rule_id == 11 && recs[i].dport == 53;
		memset(&sum, 0, sizeof(sum));
		CHECK_INT(rag_nft_poll_suppressed(n, supp_fn, &sum, err, sizeof(err)), 0);
		printf("test_nft: %d new permitted flows: %zu logged, %llu suppressed\n", N, logged,
		       (unsigned long long)sum.permit_total);
		CHECK(logged >= RAG_NFT_PERMIT_BURST && logged < (size_t)N / 2);
		CHECK_INT(logged + sum.permit_total, N);
		CHECK_INT(sum.total, 0);
		CHECK(!strcmp(sum.user, "alice"));
	}
	rag_nflog_close(l);
	rag_nft_close(n);
	close(rx53);
	close(rx54);
	close(rx53_6);
}

static void count_fn(void *arg, int family, const uint8_t *addr, uint64_t packets)
{
	uint64_t *sum = arg;

	(void)addr;
	sum[0]++;
	sum[1] += packets;
	sum[2] += family == AF_INET6;
}

static void test_parse_counters(void)
{
	uint64_t sum[3] = { 0, 0, 0 };

	CHECK_INT(rag_nft_parse_counters("{\"nftables\": [{\"set\": {\"elem\": [{\"elem\": "
		"{\"val\": \"10.0.0.1\", \"expires\": 599, \"counter\": {\"packets\": 5, "
		"\"bytes\": 100}}}, {\"elem\": {\"val\": \"10.0.0.2\"}}, {\"elem\": {\"val\": "
		"\"fd00::1\", \"counter\": {\"packets\": 18446744073709551615, \"bytes\": 1}}}]}}]}",
		count_fn, sum), 3);
	CHECK_INT(sum[0], 3);
	CHECK(sum[1] == 4ull);	/* 5 + 0 + UINT64_MAX wraps to 4 */
	CHECK_INT(sum[2], 1);
	CHECK_INT(rag_nft_parse_counters("{\"val\": \"not an address\"}", count_fn, sum), -EINVAL);
	CHECK_INT(rag_nft_parse_counters("{\"val\": \"10.0.0.1\", \"packets\": 184467440737095516150}",
					 count_fn, sum), -EINVAL);
	CHECK_INT(rag_nft_parse_counters("{}", count_fn, sum), 0);
}

int main(void)
{
	test_parse_counters();
	if (geteuid() != 0) {
		fprintf(stderr, "test_nft: FAIL: needs root for unshare(CLONE_NEWNET) "
			"(nf_tables in a private network namespace)\n");
		return 1;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "test_nft: FAIL: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 1;
	}
	sh("ip link set lo up");
	sh("ip addr add 10.200.0.5/32 dev lo && ip addr add 10.200.0.6/32 dev lo && "
	   "ip addr add 10.200.0.7/32 dev lo && ip addr add 10.200.0.8/32 dev lo && "
	   "ip addr add 198.51.100.10/32 dev lo && ip addr add 198.51.100.11/32 dev lo && "
	   "ip addr add 192.0.2.99/32 dev lo && ip addr add 203.0.113.1/32 dev lo && "
	   "ip -6 addr add fd00:200::5/128 dev lo nodad && "
	   "ip -6 addr add 2001:db8:2::10/128 dev lo nodad");
	make_policy();
	test_ownership();
	test_enforce();
	return check_done("test_nft");
}
