/*
 * test_kern.c — daemon/kern.h against the real kernel of this host, in a
 * private network namespace (unshare(CLONE_NEWNET): needs root; without it
 * the test FAILS, it does not skip).  This host's kernel has XFRM but no
 * ESP, so what can be proven here is:
 *   - policies: add / update (MOBIKE, RFC 4555 3.5: templates move) /
 *     delete round trips for IPv4, IPv6-in-IPv4, protocol + port selectors,
 *     checked independently through iproute2's `ip xfrm policy` output;
 *   - ownership (issue 3 item 3: "at start it removes leftovers of a crashed
 *     run"): kern_flush_ours removes our policies and larval states and
 *     leaves foreign ones (other reqid, other priority band) alone;
 *   - XFRM_MSG_ALLOCSPI: SPIs in our range, distinct, visible as larval
 *     states with our reqid; the larval hard expire reaches the callback
 *     (net.core.xfrm_acq_expires lowered), a foreign one does not;
 *   - SA add fails cleanly with the kernel's extended-ack reason, and our
 *     own validation (key sizes, algorithms, reqid range) refuses before
 *     anything reaches the kernel;
 *   - kern_check_host: ip_forward off is fatal, the ESP probe fails here,
 *     a host address inside the pool is fatal (but not its first address),
 *     a missing route to the pool is no problem (ragd routes it);
 *   - routes to virtual IPs (device route for an on-link peer, via the
 *     router otherwise, IPv6 vIP over IPv4), the pool's unreachable route,
 *     only ours deleted/flushed;
 *   - a second channel without events (kern_open_channel) allocates SPIs
 *     the first one sees.
 * Real ESP (every algorithm, pings, counters, expires, MOBIKE moves) is
 * proven in the QEMU guest: tests/e2e/kern_xfrm_guest.sh.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ike.h"
#include "kern.h"

/* Run a shell command; its stdout in a malloc'ed string (aborts on error). */
static char *run(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	size_t cap = 4096, n = 0;
	char *out = malloc(cap);

	if (!f || !out)
		abort();
	for (;;) {
		size_t r;

		if (cap - n < 1024) {
			cap *= 2;
			out = realloc(out, cap);
			if (!out)
				abort();
		}
		r = fread(out + n, 1, cap - n - 1, f);
		if (r == 0)
			break;
		n += r;
	}
	out[n] = '\0';
	pclose(f);
	return out;
}

/* Number of (non-overlapping) occurrences of needle in the output of cmd. */
static int count_in(const char *cmd, const char *needle)
{
	char *out = run(cmd);
	int c = 0;

	for (const char *p = out; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		c++;
	free(out);
	return c;
}

static void sh(const char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "command failed: %s\n", cmd);
		check_failures++;
	}
}

static struct kern_addr addr(const char *s)
{
	struct kern_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, a.addr) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, s, a.addr) == 1)
		a.family = AF_INET6;
	else
		abort();
	return a;
}

static struct kern_ts ts(const char *s, uint8_t prefix, uint8_t proto,
			 uint16_t lo, uint16_t hi)
{
	struct kern_addr a = addr(s);
	struct kern_ts t;

	memset(&t, 0, sizeof(t));
	t.family = a.family;
	memcpy(t.addr, a.addr, 16);
	t.prefix = prefix;
	t.proto = proto;
	t.port_lo = lo;
	t.port_hi = hi;
	return t;
}

static struct kern_policy pol(struct kern_ts local, struct kern_ts remote,
			      const char *lo, const char *ro, uint32_t reqid)
{
	struct kern_policy p;

	memset(&p, 0, sizeof(p));
	p.local = local;
	p.remote = remote;
	p.local_outer = addr(lo);
	p.remote_outer = addr(ro);
	p.reqid = reqid;
	return p;
}

static struct kern_flush_stats ours(struct kern *k)
{
	struct kern_flush_stats st = { 99, 99 };

	CHECK_INT(kern_count_ours(k, &st), 0);
	return st;
}

/* Priority of the first policy in `ip xfrm policy` output after `match`. */
static long prio_of(const char *match)
{
	char *out = run("ip xfrm policy");
	const char *p = strstr(out, match), *q;
	long v = -1;

	if (p && (q = strstr(p, "priority ")) != NULL)
		v = strtol(q + 9, NULL, 10);
	free(out);
	return v;
}

/* Policies: add, duplicate, update (MOBIKE), delete; checked via iproute2. */
static void test_policy_roundtrip(struct kern *k)
{
	struct kern_policy p = pol(ts("198.51.100.0", 24, 0, 0, 65535),
				   ts("10.200.0.5", 32, 0, 0, 65535),
				   "192.0.2.1", "192.0.2.11", KERN_REQID_MIN + 1);
	char want[128];
	struct kern_flush_stats st;

	CHECK_INT(kern_policy_add(k, &p), 0);
	st = ours(k);
	CHECK_INT(st.policies, 3);
	CHECK_INT(st.states, 0);
	/* out: local -> remote with template us -> peer; in/fwd: reverse */
	CHECK_INT(count_in("ip xfrm policy", "src 198.51.100.0/24 dst 10.200.0.5/32"), 1);
	CHECK_INT(count_in("ip xfrm policy", "src 10.200.0.5/32 dst 198.51.100.0/24"), 2);
	CHECK_INT(count_in("ip xfrm policy", "dir out"), 1);
	CHECK_INT(count_in("ip xfrm policy", "dir in"), 1);
	CHECK_INT(count_in("ip xfrm policy", "dir fwd"), 1);
	CHECK_INT(count_in("ip xfrm policy", "tmpl src 192.0.2.1 dst 192.0.2.11"), 1);
	CHECK_INT(count_in("ip xfrm policy", "tmpl src 192.0.2.11 dst 192.0.2.1"), 2);
	snprintf(want, sizeof(want), "proto esp reqid %u mode tunnel", KERN_REQID_MIN + 1);
	CHECK_INT(count_in("ip xfrm policy", want), 3);
	long pr = prio_of("src 198.51.100.0/24 dst 10.200.0.5/32");
	CHECK(pr >= (long)KERN_PRIO_BASE && pr < (long)(KERN_PRIO_BASE + KERN_PRIO_SPAN));

	/* same selectors again: the kernel refuses, nothing half-added */
	CHECK_INT(kern_policy_add(k, &p), -EEXIST);
	CHECK_INT(ours(k).policies, 3);

	/* MOBIKE: the peer moved to 192.0.2.99; policies are replaced in place */
	p.remote_outer = addr("192.0.2.99");
	CHECK_INT(kern_policy_update(k, &p), 0);
	CHECK_INT(count_in("ip xfrm policy", "tmpl src 192.0.2.1 dst 192.0.2.99"), 1);
	CHECK_INT(count_in("ip xfrm policy", "tmpl src 192.0.2.99 dst 192.0.2.1"), 2);
	CHECK_INT(count_in("ip xfrm policy", "192.0.2.11"), 0);
	CHECK_INT(ours(k).policies, 3);

	/* a more specific selector gets a lower (= earlier) priority */
	struct kern_policy p2 = pol(ts("198.51.100.10", 32, 0, 0, 65535),
				    ts("10.200.0.5", 32, 0, 0, 65535),
				    "192.0.2.1", "192.0.2.11", KERN_REQID_MIN + 2);
	CHECK_INT(kern_policy_add(k, &p2), 0);
	long pr2 = prio_of("src 198.51.100.10/32 dst 10.200.0.5/32");
	CHECK(pr2 >= (long)KERN_PRIO_BASE && pr2 < pr);

	CHECK_INT(kern_policy_del(k, &p), 0);
	CHECK_INT(kern_policy_del(k, &p2), 0);
	CHECK_INT(kern_policy_del(k, &p), -ENOENT);
	CHECK_INT(count_in("ip xfrm policy", "dir "), 0);
	CHECK_INT(ours(k).policies, 0);
}

/* IPv6 inner over IPv4 outer, protocol/port selectors, refusals. */
static void test_policy_selectors(struct kern *k)
{
	struct kern_policy p6 = pol(ts("2001:db8:0:2::", 64, 0, 0, 65535),
				    ts("fd00:200::5", 128, 0, 0, 65535),
				    "192.0.2.1", "192.0.2.11", KERN_REQID_MIN + 3);
	struct kern_policy pt = pol(ts("198.51.100.10", 32, IPPROTO_TCP, 443, 443),
				    ts("10.200.0.6", 32, IPPROTO_TCP, 0, 65535),
				    "192.0.2.1", "192.0.2.12", KERN_REQID_MIN + 4);
	struct kern_policy pr = pol(ts("198.51.100.10", 32, IPPROTO_UDP, 8000, 8007),
				    ts("10.200.0.7", 32, IPPROTO_UDP, 0, 65535),
				    "192.0.2.1", "192.0.2.13", KERN_REQID_MIN + 5);
	struct kern_policy bad;

	CHECK_INT(kern_policy_add(k, &p6), 0);
	CHECK_INT(count_in("ip xfrm policy", "src 2001:db8:0:2::/64 dst fd00:200::5/128"), 1);
	CHECK_INT(count_in("ip xfrm policy", "src fd00:200::5/128 dst 2001:db8:0:2::/64"), 2);

	CHECK_INT(kern_policy_add(k, &pt), 0);
	CHECK_INT(count_in("ip xfrm policy", "proto tcp sport 443"), 1);	/* out */
	CHECK_INT(count_in("ip xfrm policy", "proto tcp dport 443"), 2);	/* in, fwd */

	/* 8000-8007 is one value/mask pair */
	CHECK_INT(kern_policy_add(k, &pr), 0);
	CHECK_INT(ours(k).policies, 9);

	/* host bits are masked: 10.200.0.9/24 is installed as 10.200.0.0/24 */
	struct kern_policy pm = pol(ts("198.51.100.10", 32, 0, 0, 65535),
				    ts("10.200.1.9", 24, 0, 0, 65535),
				    "192.0.2.1", "192.0.2.14", KERN_REQID_MIN + 6);
	CHECK_INT(kern_policy_add(k, &pm), 0);
	CHECK_INT(count_in("ip xfrm policy", "dst 10.200.1.0/24"), 1);
	CHECK_INT(kern_policy_del(k, &pm), 0);

	/* refused before reaching the kernel */
	bad = pr;
	bad.local.port_hi = 8002;		/* 8000-8002: no single mask */
	CHECK_INT(kern_policy_add(k, &bad), -EOPNOTSUPP);
	bad = pr;
	bad.reqid = 7;				/* not in our range */
	CHECK_INT(kern_policy_add(k, &bad), -ERANGE);
	bad = pr;
	bad.reqid = KERN_REQID_MAX + 1;
	CHECK_INT(kern_policy_add(k, &bad), -ERANGE);
	bad = pr;
	bad.remote = ts("fd00::1", 128, 0, 0, 65535);	/* family mismatch */
	CHECK_INT(kern_policy_add(k, &bad), -EINVAL);
	bad = pr;
	bad.local.proto = 0;
	bad.remote.proto = 0;			/* ports without a protocol */
	CHECK_INT(kern_policy_add(k, &bad), -EINVAL);
	bad = pr;
	bad.local.prefix = 33;
	CHECK_INT(kern_policy_add(k, &bad), -EINVAL);
	bad = pr;
	bad.remote_outer = addr("2001:db8::1");	/* outer family mismatch */
	CHECK_INT(kern_policy_add(k, &bad), -EINVAL);
	CHECK_INT(ours(k).policies, 9);

	CHECK_INT(kern_policy_del(k, &p6), 0);
	CHECK_INT(kern_policy_del(k, &pt), 0);
	CHECK_INT(kern_policy_del(k, &pr), 0);
	CHECK_INT(ours(k).policies, 0);
}

/* Flush removes exactly ours: foreign policies (other reqid; our band but a
 * foreign reqid; our reqid but another band) and foreign states survive. */
static void test_flush_foreign(struct kern *k)
{
	struct kern_policy p = pol(ts("198.51.100.0", 24, 0, 0, 65535),
				   ts("10.200.0.20", 32, 0, 0, 65535),
				   "192.0.2.1", "192.0.2.20", KERN_REQID_MIN + 20);
	struct kern_addr peer = addr("192.0.2.20"), us = addr("192.0.2.1");
	struct kern_flush_stats st = { 0, 0 };
	uint32_t spi = 0;
	char cmd[512];

	CHECK_INT(kern_policy_add(k, &p), 0);
	CHECK_INT(kern_spi_alloc(k, &peer, &us, KERN_REQID_MIN + 20, &spi), 0);
	sh("ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir out priority 5 "
	   "tmpl src 192.0.2.1 dst 192.0.2.2 proto esp mode tunnel reqid 7");
	snprintf(cmd, sizeof(cmd),
		 "ip xfrm policy add src 10.3.0.0/16 dst 10.4.0.0/16 dir out priority %u "
		 "tmpl src 192.0.2.1 dst 192.0.2.2 proto esp mode tunnel reqid 8",
		 KERN_PRIO_BASE + 10);
	sh(cmd);
	snprintf(cmd, sizeof(cmd),
		 "ip xfrm policy add src 10.5.0.0/16 dst 10.6.0.0/16 dir out priority 100 "
		 "tmpl src 192.0.2.1 dst 192.0.2.2 proto esp mode tunnel reqid %u",
		 KERN_REQID_MIN + 21);
	sh(cmd);
	sh("ip xfrm state allocspi src 192.0.2.30 dst 192.0.2.1 proto esp mode tunnel "
	   "reqid 9 min 0x1000 max 0x1fff > /dev/null");

	st = ours(k);
	CHECK_INT(st.policies, 3);
	CHECK_INT(st.states, 1);
	CHECK_INT(kern_flush_ours(k, &st), 0);
	CHECK_INT(st.policies, 3);
	CHECK_INT(st.states, 1);
	st = ours(k);
	CHECK_INT(st.policies, 0);
	CHECK_INT(st.states, 0);
	CHECK_INT(count_in("ip xfrm policy", "dir out"), 3);
	CHECK_INT(count_in("ip xfrm policy", "reqid 7 "), 1);
	CHECK_INT(count_in("ip xfrm policy", "reqid 8 "), 1);
	snprintf(cmd, sizeof(cmd), "reqid %u ", KERN_REQID_MIN + 21);
	CHECK_INT(count_in("ip xfrm policy", cmd), 1);
	CHECK_INT(count_in("ip xfrm policy", "10.200.0.20"), 0);
	CHECK_INT(count_in("ip xfrm state", "reqid 9 "), 1);
	CHECK_INT(count_in("ip xfrm state", "192.0.2.20"), 0);
	/* a second flush finds nothing */
	CHECK_INT(kern_flush_ours(k, &st), 0);
	CHECK_INT(st.policies + st.states, 0);
	sh("ip xfrm policy flush; ip xfrm state flush");
}

/* XFRM_MSG_ALLOCSPI: in range, distinct per call, larval state with our
 * reqid, removable by kern_sa_del. */
static void test_spi_alloc(struct kern *k)
{
	struct kern_addr peer = addr("192.0.2.11"), us = addr("192.0.2.1");
	struct kern_addr peer6 = addr("2001:db8:0:1::11"), us6 = addr("2001:db8:0:1::1");
	uint32_t s1 = 0, s2 = 0, s3 = 0;
	char want[64];

	CHECK_INT(kern_spi_alloc(k, &peer, &us, KERN_REQID_MIN + 30, &s1), 0);
	CHECK_INT(kern_spi_alloc(k, &peer, &us, KERN_REQID_MIN + 30, &s2), 0);
	CHECK_INT(kern_spi_alloc(k, &peer6, &us6, KERN_REQID_MIN + 31, &s3), 0);
	CHECK(s1 >= KERN_SPI_MIN && s1 <= KERN_SPI_MAX);
	CHECK(s2 >= KERN_SPI_MIN && s2 <= KERN_SPI_MAX);
	CHECK(s3 >= KERN_SPI_MIN && s3 <= KERN_SPI_MAX);
	CHECK(s1 != s2);	/* a rekey of the same peer gets a new SPI */
	snprintf(want, sizeof(want), "spi 0x%08x reqid %u", s1, KERN_REQID_MIN + 30);
	CHECK_INT(count_in("ip xfrm state", want), 1);
	snprintf(want, sizeof(want), "spi 0x%08x reqid %u", s3, KERN_REQID_MIN + 31);
	CHECK_INT(count_in("ip xfrm state", want), 1);
	CHECK_INT(ours(k).states, 3);

	CHECK_INT(kern_spi_alloc(k, &peer, &us, 5, &s1), -ERANGE);
	CHECK_INT(kern_spi_alloc(k, &peer, &us6, KERN_REQID_MIN, &s1), -EINVAL);

	CHECK_INT(kern_sa_del(k, &us, s2), 0);
	CHECK_INT(kern_sa_del(k, &us, s2), -ESRCH);
	CHECK_INT(ours(k).states, 2);
	CHECK_INT(kern_flush_ours(k, NULL), 0);
	CHECK_INT(ours(k).states, 0);
}

/* A valid AES-GCM / CBC SA description for SA-add tests. */
static const uint8_t key64[64] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
	21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36,
};

static struct kern_sa gcm_sa(void)
{
	struct kern_sa sa;

	memset(&sa, 0, sizeof(sa));
	sa.src = addr("192.0.2.11");
	sa.dst = addr("192.0.2.1");
	sa.spi = 0xc0001234;
	sa.reqid = KERN_REQID_MIN + 40;
	sa.encr = IKE_ENCR_AES_GCM_16;
	sa.encr_keybits = 256;
	sa.encr_key = key64;
	sa.encr_key_len = 36;		/* RFC 4106 8.1: 32-byte key + 4-byte salt */
	sa.replay_window = 64;
	return sa;
}

/* This host has no ESP: the add must fail with a negative errno and the
 * kernel's reason; our validation refuses bad input before the kernel. */
static void test_sa_add(struct kern *k)
{
	struct kern_sa sa = gcm_sa(), bad;
	struct kern_sa_stats stt;
	int err;

	err = kern_sa_add(k, &sa);
	fprintf(stderr, "SA add on a kernel without ESP: %d (%s), kernel says: '%s'\n",
		err, strerror(-err), kern_last_error(k));
	CHECK(err < 0);
	CHECK(kern_last_error(k)[0] != '\0');	/* it came from the kernel */
	CHECK_INT(ours(k).states, 0);		/* nothing half-installed */

	sa.encr = IKE_ENCR_AES_CBC;
	sa.encr_keybits = 128;
	sa.encr_key_len = 16;
	sa.integ = IKE_INTEG_HMAC_SHA2_256_128;
	sa.integ_key = key64;
	sa.integ_key_len = 32;
	sa.encap_sport = 4500;
	sa.encap_dport = 4500;
	sa.esn = true;
	CHECK(kern_sa_add(k, &sa) < 0);
	CHECK(kern_last_error(k)[0] != '\0');

	/* validation: wrong key lengths, unsupported algorithms, ranges */
	bad = gcm_sa();
	bad.encr_key_len = 32;			/* salt missing */
	CHECK_INT(kern_sa_add(k, &bad), -EINVAL);
	CHECK_INT(kern_last_error(k)[0], 0);	/* nothing was sent */
	bad = gcm_sa();
	bad.encr_keybits = 160;
	CHECK_INT(kern_sa_add(k, &bad), -EINVAL);
	bad = gcm_sa();
	bad.integ = IKE_INTEG_HMAC_SHA2_256_128;	/* AEAD + integ */
	CHECK_INT(kern_sa_add(k, &bad), -EINVAL);
	bad = gcm_sa();
	bad.encr = IKE_ENCR_CHACHA20_POLY1305;
	CHECK_INT(kern_sa_add(k, &bad), -EOPNOTSUPP);
	bad = sa;
	bad.integ = IKE_INTEG_NONE;			/* CBC without integrity */
	bad.integ_key_len = 0;
	CHECK_INT(kern_sa_add(k, &bad), -EINVAL);
	bad = sa;
	bad.integ = IKE_INTEG_AES_XCBC_96;
	CHECK_INT(kern_sa_add(k, &bad), -EOPNOTSUPP);
	bad = sa;
	bad.integ = IKE_INTEG_HMAC_SHA2_512_256;	/* needs a 64-byte key */
	CHECK_INT(kern_sa_add(k, &bad), -EINVAL);
	bad = sa;
	bad.encr = IKE_ENCR_3DES;
	bad.encr_keybits = 0;
	bad.encr_key_len = 16;				/* 3DES: 24 bytes */
	CHECK_INT(kern_sa_add(k, &bad), -EINVAL);
	bad = sa;
	bad.reqid = 1;
	CHECK_INT(kern_sa_add(k, &bad), -ERANGE);
	bad = sa;
	bad.spi = 200;					/* RFC 4303 2.1 reserved */
	CHECK_INT(kern_sa_add(k, &bad), -EINVAL);
	bad = sa;
	bad.replay_window = KERN_MAX_REPLAY + 1;
	CHECK_INT(kern_sa_add(k, &bad), -EINVAL);
	bad = sa;
	bad.encap_dport = 0;				/* half an encapsulation */
	CHECK_INT(kern_sa_add(k, &bad), -EINVAL);
	bad = sa;
	bad.dst = addr("2001:db8::1");
	CHECK_INT(kern_sa_add(k, &bad), -EINVAL);

	/* no such SA: counters, delete and move report -ESRCH */
	CHECK_INT(kern_sa_stats(k, &sa.dst, sa.spi, &stt), -ESRCH);
	CHECK_INT(kern_sa_del(k, &sa.dst, sa.spi), -ESRCH);
	CHECK_INT(kern_sa_move(k, &sa.dst, &sa), -ESRCH);
	bad = gcm_sa();
	bad.encr = IKE_ENCR_CHACHA20_POLY1305;
	CHECK_INT(kern_sa_move(k, &sa.dst, &bad), -EOPNOTSUPP);
}

struct ev_log {
	int n, hard;
	uint32_t spi[8];
	uint32_t reqid[8];
};

static void on_expire(const struct kern_expire *ev, void *arg)
{
	struct ev_log *l = arg;

	if (l->n < 8) {
		l->spi[l->n] = ev->spi;
		l->reqid[l->n] = ev->reqid;
	}
	l->n++;
	l->hard += ev->hard;
}

/* Larval states die after net.core.xfrm_acq_expires with a hard expire:
 * ours reaches the callback with its SPI and reqid, a foreign one does not. */
static void test_events(struct kern *k)
{
	struct kern_addr peer = addr("192.0.2.50"), us = addr("192.0.2.1");
	struct ev_log l;
	uint32_t spi = 0;
	struct pollfd pfd = { .fd = kern_event_fd(k), .events = POLLIN };
	time_t t0 = time(NULL);
	char *acq = run("cat /proc/sys/net/core/xfrm_acq_expires");
	char restore[96];

	snprintf(restore, sizeof(restore), "echo %ld > /proc/sys/net/core/xfrm_acq_expires",
		 strtol(acq, NULL, 10));
	free(acq);
	memset(&l, 0, sizeof(l));
	CHECK_INT(kern_events_read(k, on_expire, &l), 0);	/* nothing pending */
	sh("echo 1 > /proc/sys/net/core/xfrm_acq_expires");
	sh("ip xfrm state allocspi src 192.0.2.51 dst 192.0.2.1 proto esp mode tunnel "
	   "reqid 9 min 0x1000 max 0x1fff > /dev/null");
	CHECK_INT(kern_spi_alloc(k, &peer, &us, KERN_REQID_MIN + 50, &spi), 0);
	while (l.n == 0 && time(NULL) - t0 < 10) {
		if (poll(&pfd, 1, 500) > 0)
			CHECK(kern_events_read(k, on_expire, &l) >= 0);
	}
	/* give the foreign expire time to arrive as well (it must be dropped) */
	usleep(300 * 1000);
	CHECK(kern_events_read(k, on_expire, &l) >= 0);
	CHECK_INT(l.n, 1);
	CHECK_INT(l.hard, 1);
	CHECK_INT(l.spi[0], spi);
	CHECK_INT(l.reqid[0], KERN_REQID_MIN + 50);
	CHECK_INT(count_in("ip xfrm state", "src "), 0);	/* both gone */
	sh(restore);
}

/* Host prerequisites as this host (and this private netns) has them. */
static void test_check_host(struct kern *k)
{
	struct kern_check c;
	struct kern_check_req req;
	bool fwd_msg = false, esp_msg = false, pool_msg = false;

	memset(&req, 0, sizeof(req));
	req.pool4 = ts("10.200.0.0", 24, 0, 0, 65535);
	sh("echo 0 > /proc/sys/net/ipv4/ip_forward");
	CHECK_INT(kern_check_host(k, &req, &c), -ENOTSUP);
	for (size_t i = 0; i < c.n; i++) {
		fprintf(stderr, "check: %s %s\n", c.msg[i].fatal ? "FATAL" : "warning",
			c.msg[i].text);
		if (strstr(c.msg[i].text, "ip_forward") && c.msg[i].fatal)
			fwd_msg = true;
		if (strstr(c.msg[i].text, "ESP") && c.msg[i].fatal)
			esp_msg = true;
	}
	CHECK(fwd_msg);
	CHECK(esp_msg);		/* this kernel has no ESP */
	/* no route to the pool is no problem: ragd routes it itself */
	CHECK_INT(c.n_fatal, 2);
	CHECK_INT(c.n, 2);

	/* a pool holding one of the host's addresses is fatal; its first
	 * address (pool.h: the gateway's by convention) is not */
	sh("ip addr add 10.200.0.1/32 dev lo && ip addr add 10.200.0.9/32 dev lo");
	CHECK_INT(kern_check_host(k, &req, &c), -ENOTSUP);
	for (size_t i = 0; i < c.n; i++) {
		if (strstr(c.msg[i].text, "10.200.0.9") && c.msg[i].fatal)
			pool_msg = true;
		CHECK(!strstr(c.msg[i].text, "10.200.0.1 "));
	}
	CHECK(pool_msg);
	CHECK_INT(c.n_fatal, 3);
	sh("ip addr del 10.200.0.9/32 dev lo && ip addr del 10.200.0.1/32 dev lo");

	/* forwarding on and a default route: only the ESP probe remains */
	sh("echo 1 > /proc/sys/net/ipv4/ip_forward");
	sh("ip link add kt0 type veth peer name kt1 && ip link set kt0 up && ip link set kt1 up && "
	   "ip addr add 192.0.2.1/24 dev kt0 && ip route add default via 192.0.2.254");
	CHECK_INT(kern_check_host(k, &req, &c), -ENOTSUP);
	CHECK_INT(c.n_fatal, 1);
	CHECK_INT(c.n, 1);
	CHECK(strstr(c.msg[0].text, "ESP") != NULL);
	/* the probe left nothing behind (also not its larval state) */
	CHECK_INT(ours(k).states, 0);
	CHECK_INT(count_in("ip xfrm state", "src "), 0);
}

/* Routes to virtual IPs (kern_route.c): the kernel routes before the XFRM
 * policy lookup, so return traffic needs one.  Runs after test_check_host
 * (kt0 = 192.0.2.1/24, default route via 192.0.2.254). */
static void test_routes(struct kern *k)
{
	struct kern_ts v1 = ts("10.200.0.5", 32, 0, 0, 65535);
	struct kern_ts v2 = ts("10.200.0.6", 32, 0, 0, 65535);
	struct kern_ts v6 = ts("fd00:200::5", 128, 0, 0, 65535);
	struct kern_ts foreign = ts("10.200.0.7", 32, 0, 0, 65535);
	struct kern_addr onlink = addr("192.0.2.11"), far = addr("203.0.113.5");
	struct kern_flush_stats st;

	/* an on-link peer: a device route; a peer behind a router: via it */
	CHECK_INT(kern_route_add(k, &v1, &onlink), 0);
	CHECK_INT(kern_route_add(k, &v2, &far), 0);
	CHECK_INT(kern_route_add(k, &v6, &far), 0);	/* IPv6 vIP, IPv4 outer */
	CHECK_INT(count_in("ip route show proto 82", "10.200.0.5 dev kt0 scope link"), 1);
	CHECK_INT(count_in("ip route show proto 82", "10.200.0.6 via 192.0.2.254 dev kt0"), 1);
	CHECK_INT(count_in("ip -6 route show proto 82", "fd00:200::5 dev kt0"), 1);
	CHECK_INT(kern_route_add(k, &v1, &onlink), -EEXIST);
	CHECK_INT(kern_route_flush_ours(k, false), 3);	/* count only */
	CHECK_INT(count_in("ip route show proto 82", "10.200.0.5"), 1);

	/* an admin's route is neither deleted by kern_route_del nor flushed */
	sh("ip route add 10.200.0.7/32 dev kt0 proto static");
	CHECK(kern_route_del(k, &foreign) < 0);
	CHECK_INT(count_in("ip route show", "10.200.0.7 dev kt0"), 1);

	CHECK_INT(kern_route_del(k, &v1), 0);
	CHECK(kern_route_del(k, &v1) < 0);
	CHECK_INT(count_in("ip route show", "10.200.0.5"), 0);
	CHECK_INT(kern_route_flush_ours(k, false), 2);
	CHECK_INT(kern_flush_ours(k, &st), 0);		/* routes go with it */
	CHECK_INT(kern_route_flush_ours(k, false), 0);
	CHECK_INT(count_in("ip route show proto 82", "10.200"), 0);
	CHECK_INT(count_in("ip -6 route show proto 82", "fd00"), 0);
	CHECK_INT(count_in("ip route show", "10.200.0.7 dev kt0"), 1);
	CHECK_INT(count_in("ip route show", "default via 192.0.2.254"), 1);

	/* refused before the kernel */
	struct kern_ts bad = v1;
	bad.prefix = 33;
	CHECK_INT(kern_route_add(k, &bad, &onlink), -EINVAL);
	CHECK_INT(kern_route_add_unreachable(k, &bad), -EINVAL);

	/* the pool's unreachable route: host routes of clients win, the rest
	 * of the pool does not follow the default route; flushed as ours */
	struct kern_ts pool = ts("10.200.0.0", 24, 0, 0, 65535);
	struct kern_ts pool6 = ts("fd00:200::", 120, 0, 0, 65535);

	CHECK_INT(kern_route_add_unreachable(k, &pool), 0);
	CHECK_INT(kern_route_add_unreachable(k, &pool), -EEXIST);
	CHECK_INT(kern_route_add_unreachable(k, &pool6), 0);
	CHECK_INT(kern_route_add(k, &v1, &onlink), 0);
	CHECK_INT(count_in("ip route show proto 82", "unreachable 10.200.0.0/24"), 1);
	CHECK_INT(count_in("ip -6 route show proto 82", "unreachable fd00:200::/120"), 1);
	CHECK_INT(count_in("ip route get 10.200.0.5 2>&1", "10.200.0.5 dev kt0"), 1);
	CHECK_INT(count_in("ip route get 10.200.0.77 2>&1", "via 192.0.2.254"), 0);
	CHECK_INT(kern_route_flush_ours(k, true), 3);
	CHECK_INT(count_in("ip route get 10.200.0.77 2>&1", "via 192.0.2.254"), 1);
	CHECK_INT(count_in("ip route show proto 82; ip -6 route show proto 82", "200"), 0);
}

int main(void)
{
	struct kern *k = NULL;

	if (geteuid() != 0) {
		fprintf(stderr, "test_kern: FAIL: needs root for unshare(CLONE_NEWNET) "
			"and XFRM (this is a failure, not a skip)\n");
		return 1;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "test_kern: FAIL: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 1;
	}
	sh("ip link set lo up");
	CHECK_INT(kern_open(&k), 0);
	if (!k)
		return check_done("test_kern");
	CHECK(kern_event_fd(k) >= 0);
	CHECK_INT(ours(k).policies, 0);
	{
		/* a second channel without events (ragd's SPI allocations) */
		struct kern *k2 = NULL;
		uint32_t spi = 0;
		struct kern_addr us = addr("192.0.2.1"), peer = addr("192.0.2.10");

		CHECK_INT(kern_open_channel(&k2, false), 0);
		if (k2) {
			CHECK_INT(kern_event_fd(k2), -1);
			CHECK_INT(kern_spi_alloc(k2, &peer, &us, KERN_REQID_MIN, &spi), 0);
			CHECK_INT(ours(k).states, 1);	/* seen through the first one */
			CHECK_INT(kern_sa_del(k, &us, spi), 0);
			CHECK_INT(ours(k).states, 0);
			kern_close(k2);
		}
	}

	test_policy_roundtrip(k);
	test_policy_selectors(k);
	test_flush_foreign(k);
	test_spi_alloc(k);
	test_sa_add(k);
	test_events(k);
	test_check_host(k);
	test_routes(k);

	kern_close(k);
	return check_done("test_kern");
}
