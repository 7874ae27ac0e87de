/*
 * kern_xfrm_driver.c — drives daemon/kern.h against real kernel ESP for
 * tests/e2e/kern_xfrm_guest.sh (inside the QEMU guest).  Two network
 * namespaces stand for the two tunnel ends; the driver setns()es into each
 * and opens one struct kern there.  Addresses are fixed by the script:
 *   NSA: outer 192.0.2.1, inner 10.1.0.1   NSB: outer 192.0.2.2, inner 10.2.0.1
 * (B may get 192.0.2.3 for the MOBIKE move).  Every subcommand prints
 * "driver: ..." lines and exits 0 only when all its checks held.
 *
 *   case NSA NSB ALG [encap] [esn] [keep]
 *       SPIs by kern_spi_alloc (inbound, from_alloc), four SAs + both
 *       policy sets; the installed algorithm/key checked through
 *       `ip xfrm state`; ping A -> B through the tunnel; kern_sa_stats
 *       non-zero on all four SAs; removal through the API leaves nothing of
 *       ours (unless keep).  ALG: aes{128,192,256}-sha{1,256,384,512},
 *       aes{128,192,256}gcm{8,12,16}, 3des-sha1.
 *   matrix NSA NSB       every ALG above, plain and encap, in one process
 *   expire NSA NSB
 *       tiny lifetimes (packets on A's outbound SA, seconds on A's inbound
 *       SA); soft and hard XFRM expire events arrive through
 *       kern_events_read, and the hard-expired SAs are gone.
 *   move NSA NSB
 *       an in-place kern_sa_move of A's outbound SA (NAT mapping refresh)
 *       must keep its sequence number (else B's replay window drops the
 *       ping); then RFC 4555 3.5: B moves from 192.0.2.2 to 192.0.2.3;
 *       kern_sa_move + kern_policy_update on both sides; ping still works
 *       and the counters kept counting.
 *   forward NSA NSB NSH
 *       A as a gateway with NSH behind it, B's "virtual IP" 10.3.0.1: NSH
 *       cannot reach it until kern_route_add() routes it (the kernel routes
 *       before the XFRM lookup), then it goes through A's SAs.
 *   spi NSA
 *       kernel SPI allocation as ragd uses it: SPIs are allocated on a
 *       second channel without events (kern_open_channel, what ragd's
 *       worker threads use) and are distinct and in [KERN_SPI_MIN,
 *       KERN_SPI_MAX]; each leaves a larval state of ours; one is given
 *       back with kern_sa_del (an exchange that failed), the other is
 *       filled through the FIRST channel with UPDSA (kern_sa_add
 *       from_alloc): still one state, now complete (algorithm and key read
 *       back, counters readable); a larval state that vanished (expired)
 *       makes kern_sa_add fall back to NEWSA.  (The matrix's tunnels carry
 *       pings over SAs filled from larval states.)
 *   flush NS...          kern_flush_ours; nothing of ours left after.
 *   count NS             prints "states N policies M" (ours).
 *   check NS [pool6|overlap]  kern_check_host (pool 10.2.0.0/24; overlap: the
 *                        pool 10.1.0.0/24 of A's own addresses); exit 0
 *                        when nothing is fatal.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/udp.h>
#include <sodium.h>

#include "ike.h"
#include "kern.h"

#ifndef UDP_ENCAP
#define UDP_ENCAP 100
#endif
#ifndef UDP_ENCAP_ESPINUDP
#define UDP_ENCAP_ESPINUDP 2
#endif

#define A_OUT "192.0.2.1"
#define B_OUT "192.0.2.2"
#define B_OUT2 "192.0.2.3"
#define REQID (KERN_REQID_MIN + 0x100)

static int failures;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("driver: ");
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	va_end(ap);
}

#define EXPECT(cond, ...) do { \
	if (!(cond)) { \
		failures++; \
		say("FAIL %s:%d: %s", __FILE__, __LINE__, #cond); \
		say(__VA_ARGS__); \
	} \
} while (0)

/* Enter network namespace name (/run/netns/NAME). */
static void enter_ns(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		say("cannot enter netns %s: %s", name, strerror(errno));
		exit(2);
	}
	close(fd);
}

/* kern_open() inside netns name. */
static struct kern *open_in(const char *name)
{
	struct kern *k;
	int err;

	enter_ns(name);
	err = kern_open(&k);
	if (err) {
		say("kern_open in %s: %s", name, strerror(-err));
		exit(2);
	}
	return k;
}

/* A UDP socket on port 4500 with UDP_ENCAP_ESPINUDP in netns name: the
 * kernel hands ESP-in-UDP arriving there to XFRM (RFC 3948). */
static int encap_sock_in(const char *name)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(4500) };
	int type = UDP_ENCAP_ESPINUDP, fd;

	enter_ns(name);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &type, sizeof(type)) < 0) {
		say("encap socket in %s: %s", name, strerror(errno));
		exit(2);
	}
	return fd;
}

static struct kern_addr addr(const char *s)
{
	struct kern_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, a.addr) != 1)
		abort();
	a.family = AF_INET;
	return a;
}

static struct kern_ts net24(const char *s)
{
	struct kern_addr a = addr(s);
	struct kern_ts t;

	memset(&t, 0, sizeof(t));
	t.family = AF_INET;
	memcpy(t.addr, a.addr, 4);
	t.prefix = 24;
	t.port_hi = 65535;
	return t;
}

/* Parse ALG into the encr/integ fields and key lengths of sa. */
static int parse_alg(const char *alg, struct kern_sa *sa)
{
	unsigned int bits, icv, sha;
	char tail;

	if (strcmp(alg, "3des-sha1") == 0) {
		sa->encr = IKE_ENCR_3DES;
		sa->encr_key_len = 24;
		sa->integ = IKE_INTEG_HMAC_SHA1_96;
		sa->integ_key_len = 20;
		return 0;
	}
	if (sscanf(alg, "aes%ugcm%u%c", &bits, &icv, &tail) == 2) {
		if ((bits != 128 && bits != 192 && bits != 256) ||
		    (icv != 8 && icv != 12 && icv != 16))
			return -1;
		sa->encr = icv == 8 ? IKE_ENCR_AES_GCM_8 : icv == 12 ? IKE_ENCR_AES_GCM_12 :
			   IKE_ENCR_AES_GCM_16;
		sa->encr_keybits = (uint16_t)bits;
		sa->encr_key_len = bits / 8 + 4;
		return 0;
	}
	if (sscanf(alg, "aes%u-sha%u%c", &bits, &sha, &tail) == 2) {
		if (bits != 128 && bits != 192 && bits != 256)
			return -1;
		sa->encr = IKE_ENCR_AES_CBC;
		sa->encr_keybits = (uint16_t)bits;
		sa->encr_key_len = bits / 8;
		switch (sha) {
		case 1: sa->integ = IKE_INTEG_HMAC_SHA1_96; sa->integ_key_len = 20; break;
		case 256: sa->integ = IKE_INTEG_HMAC_SHA2_256_128; sa->integ_key_len = 32; break;
		case 384: sa->integ = IKE_INTEG_HMAC_SHA2_384_192; sa->integ_key_len = 48; break;
		case 512: sa->integ = IKE_INTEG_HMAC_SHA2_512_256; sa->integ_key_len = 64; break;
		default: return -1;
		}
		return 0;
	}
	return -1;
}

/* What `ip xfrm state` must show for sa (kernel name, key hex, ICV/trunc). */
static void expected_lines(const struct kern_sa *sa, char *l1, char *l2, size_t n)
{
	char hex1[2 * KERN_MAX_KEY + 1], hex2[2 * KERN_MAX_KEY + 1];

	sodium_bin2hex(hex1, sizeof(hex1), sa->encr_key, sa->encr_key_len);
	l2[0] = '\0';
	switch (sa->encr) {
	case IKE_ENCR_AES_GCM_8:
	case IKE_ENCR_AES_GCM_12:
	case IKE_ENCR_AES_GCM_16:
		snprintf(l1, n, "aead rfc4106(gcm(aes)) 0x%s %d", hex1,
			 sa->encr == IKE_ENCR_AES_GCM_8 ? 64 :
			 sa->encr == IKE_ENCR_AES_GCM_12 ? 96 : 128);
		return;
	case IKE_ENCR_3DES:
		snprintf(l1, n, "enc cbc(des3_ede) 0x%s", hex1);
		break;
	default:
		snprintf(l1, n, "enc cbc(aes) 0x%s", hex1);
		break;
	}
	sodium_bin2hex(hex2, sizeof(hex2), sa->integ_key, sa->integ_key_len);
	snprintf(l2, n, "auth-trunc hmac(%s) 0x%s %d",
		 sa->integ == IKE_INTEG_HMAC_SHA1_96 ? "sha1" :
		 sa->integ == IKE_INTEG_HMAC_SHA2_256_128 ? "sha256" :
		 sa->integ == IKE_INTEG_HMAC_SHA2_384_192 ? "sha384" : "sha512", hex2,
		 sa->integ == IKE_INTEG_HMAC_SHA1_96 ? 96 :
		 sa->integ == IKE_INTEG_HMAC_SHA2_256_128 ? 128 :
		 sa->integ == IKE_INTEG_HMAC_SHA2_384_192 ? 192 : 256);
}

/* Does the output of cmd contain needle? */
static bool output_has(const char *cmd, const char *needle)
{
	FILE *f = popen(cmd, "r");
	static char buf[1 << 16];
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	pclose(f);
	return strstr(buf, needle) != NULL;
}

/* The two SAs of one direction pair and the keys behind them. */
struct tunnel {
	struct kern *ka, *kb;
	const char *na, *nb;
	struct kern_sa ab, ba;		/* A->B and B->A */
	uint8_t keys[4][KERN_MAX_KEY];
	struct kern_policy pa, pb;
	int encap_a, encap_b;
};

/* Allocate SPIs, install the SAs (outbound plain, inbound from_alloc) and
 * the policies on both ends. */
static int tunnel_up(struct tunnel *t, const char *alg, bool encap, bool esn,
		     const struct kern_lifetime *lt_a_out, const struct kern_lifetime *lt_a_in)
{
	struct kern_sa base, sa;
	int err;

	memset(&base, 0, sizeof(base));
	if (parse_alg(alg, &base) < 0) {
		say("unknown algorithm %s", alg);
		exit(2);
	}
	base.reqid = REQID;
	base.esn = esn;
	if (encap)
		base.encap_sport = base.encap_dport = 4500;
	randombytes_buf(t->keys, sizeof(t->keys));

	t->ab = base;
	t->ab.src = addr(A_OUT);
	t->ab.dst = addr(B_OUT);
	t->ab.encr_key = t->keys[0];
	t->ab.integ_key = base.integ_key_len ? t->keys[1] : NULL;
	t->ba = base;
	t->ba.src = addr(B_OUT);
	t->ba.dst = addr(A_OUT);
	t->ba.encr_key = t->keys[2];
	t->ba.integ_key = base.integ_key_len ? t->keys[3] : NULL;

	err = kern_spi_alloc(t->kb, &t->ab.src, &t->ab.dst, REQID, &t->ab.spi);
	EXPECT(!err, "spi alloc in B: %s", strerror(-err));
	err = kern_spi_alloc(t->ka, &t->ba.src, &t->ba.dst, REQID, &t->ba.spi);
	EXPECT(!err, "spi alloc in A: %s", strerror(-err));
	if (failures)
		return -1;

	/* A: outbound A->B, inbound B->A */
	sa = t->ab;
	if (lt_a_out)
		sa.lt = *lt_a_out;
	err = kern_sa_add(t->ka, &sa);
	EXPECT(!err, "A out SA: %s (%s)", strerror(-err), kern_last_error(t->ka));
	sa = t->ba;
	sa.from_alloc = true;
	sa.replay_window = 64;
	if (lt_a_in)
		sa.lt = *lt_a_in;
	err = kern_sa_add(t->ka, &sa);
	EXPECT(!err, "A in SA: %s (%s)", strerror(-err), kern_last_error(t->ka));
	/* B: outbound B->A, inbound A->B */
	err = kern_sa_add(t->kb, &t->ba);
	EXPECT(!err, "B out SA: %s (%s)", strerror(-err), kern_last_error(t->kb));
	sa = t->ab;
	sa.from_alloc = true;
	sa.replay_window = 64;
	err = kern_sa_add(t->kb, &sa);
	EXPECT(!err, "B in SA: %s (%s)", strerror(-err), kern_last_error(t->kb));

	memset(&t->pa, 0, sizeof(t->pa));
	t->pa.local = net24("10.1.0.0");
	t->pa.remote = net24("10.2.0.0");
	t->pa.local_outer = addr(A_OUT);
	t->pa.remote_outer = addr(B_OUT);
	t->pa.reqid = REQID;
	t->pb = t->pa;
	t->pb.local = t->pa.remote;
	t->pb.remote = t->pa.local;
	t->pb.local_outer = t->pa.remote_outer;
	t->pb.remote_outer = t->pa.local_outer;
	err = kern_policy_add(t->ka, &t->pa);
	EXPECT(!err, "A policies: %s (%s)", strerror(-err), kern_last_error(t->ka));
	err = kern_policy_add(t->kb, &t->pb);
	EXPECT(!err, "B policies: %s (%s)", strerror(-err), kern_last_error(t->kb));
	return failures ? -1 : 0;
}

static bool ping_ab(const char *na, int count)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "ip netns exec %s ping -q -c %d -i 0.1 -W 3 -I 10.1.0.1 "
		 "10.2.0.1 > /dev/null 2>&1", na, count);
	return system(cmd) == 0;
}

/* Counters of SA (dst, spi) in k: packets > 0 and bytes > 0. */
static void expect_counted(struct kern *k, const struct kern_sa *sa, const char *what,
			   struct kern_sa_stats *out)
{
	struct kern_sa_stats st;
	int err = kern_sa_stats(k, &sa->dst, sa->spi, &st);

	EXPECT(!err, "%s stats: %s", what, strerror(-err));
	if (err)
		return;
	say("%s spi 0x%08x: %llu bytes, %llu packets", what, sa->spi,
	    (unsigned long long)st.bytes, (unsigned long long)st.packets);
	EXPECT(st.bytes > 0 && st.packets > 0, "%s counters zero", what);
	if (out)
		*out = st;
}

/* Remove everything through the API and check nothing of ours is left. */
static void tunnel_down(struct tunnel *t)
{
	struct kern_flush_stats st;
	int err;

	err = kern_policy_del(t->ka, &t->pa);
	EXPECT(!err, "A policy del: %s", strerror(-err));
	err = kern_policy_del(t->kb, &t->pb);
	EXPECT(!err, "B policy del: %s", strerror(-err));
	EXPECT(kern_sa_del(t->ka, &t->ab.dst, t->ab.spi) == 0, "A out del");
	EXPECT(kern_sa_del(t->ka, &t->ba.dst, t->ba.spi) == 0, "A in del");
	EXPECT(kern_sa_del(t->kb, &t->ba.dst, t->ba.spi) == 0, "B out del");
	EXPECT(kern_sa_del(t->kb, &t->ab.dst, t->ab.spi) == 0, "B in del");
	EXPECT(kern_count_ours(t->ka, &st) == 0 && st.states == 0 && st.policies == 0,
	       "A still has %zu states %zu policies of ours", st.states, st.policies);
	EXPECT(kern_count_ours(t->kb, &st) == 0 && st.states == 0 && st.policies == 0,
	       "B still has %zu states %zu policies of ours", st.states, st.policies);
}

/*
 * One algorithm case on open handles ka/kb (encapsulation sockets, when
 * wanted, already open): install, read back, ping, counters, removal
 * (unless keep).  Returns 0 when all its checks held.
 */
static int run_case(struct kern *ka, struct kern *kb, const char *na, const char *nb,
		    const char *alg, bool encap, bool esn, bool keep)
{
	struct tunnel t;
	int before = failures;
	char l1[400], l2[400], cmd[128];

	memset(&t, 0, sizeof(t));
	t.na = na;
	t.nb = nb;
	t.ka = ka;
	t.kb = kb;
	bool up = tunnel_up(&t, alg, encap, esn, NULL, NULL) == 0;

	if (up) {
		/* what the kernel holds, read back independently through iproute2 */
		snprintf(cmd, sizeof(cmd), "ip -n %s xfrm state", na);
		expected_lines(&t.ab, l1, l2, sizeof(l1));
		EXPECT(output_has(cmd, l1), "A out SA lacks \"%.60s...\"", l1);
		EXPECT(!l2[0] || output_has(cmd, l2), "A out SA lacks \"%.60s...\"", l2);
		expected_lines(&t.ba, l1, l2, sizeof(l1));
		EXPECT(output_has(cmd, l1), "A in SA lacks \"%.60s...\"", l1);
		EXPECT(!l2[0] || output_has(cmd, l2), "A in SA lacks \"%.60s...\"", l2);
		if (encap)
			EXPECT(output_has(cmd, "encap type espinudp sport 4500 dport 4500"),
			       "no UDP encapsulation on A's SAs");
		if (esn)
			EXPECT(output_has(cmd, "esn"), "ESN flag missing");

		EXPECT(ping_ab(na, 2), "ping 10.1.0.1 -> 10.2.0.1 through %s failed", alg);
		expect_counted(ka, &t.ab, "A out", NULL);
		expect_counted(ka, &t.ba, "A in", NULL);
		expect_counted(kb, &t.ba, "B out", NULL);
		expect_counted(kb, &t.ab, "B in", NULL);
	}
	if (!up) {	/* half installed: clear it for the next case */
		(void)kern_flush_ours(ka, NULL);
		(void)kern_flush_ours(kb, NULL);
	} else if (!keep) {
		tunnel_down(&t);
	}
	sodium_memzero(t.keys, sizeof(t.keys));
	say("case %s%s%s: %s", alg, encap ? " encap" : "", esn ? " esn" : "",
	    failures > before ? "FAILED" : "ok");
	return failures > before ? 1 : 0;
}

/* The "case" subcommand (see the top of the file). */
static int cmd_case(int argc, char **argv)
{
	bool encap = false, esn = false, keep = false;
	struct kern *ka, *kb;
	int rc;

	for (int i = 3; i < argc; i++) {
		encap |= strcmp(argv[i], "encap") == 0;
		esn |= strcmp(argv[i], "esn") == 0;
		keep |= strcmp(argv[i], "keep") == 0;
	}
	ka = open_in(argv[0]);
	kb = open_in(argv[1]);
	if (encap) {
		(void)encap_sock_in(argv[0]);
		(void)encap_sock_in(argv[1]);
	}
	rc = run_case(ka, kb, argv[0], argv[1], argv[2], encap, esn, keep);
	kern_close(ka);
	kern_close(kb);
	return rc;
}

/* The "matrix" subcommand: every algorithm and key size, plain and
 * UDP-encapsulated, in one process (the guest is slow to start programs). */
static int cmd_matrix(char **argv)
{
	static const char *const algs[] = {
		"aes128-sha1", "aes128-sha256", "aes128-sha384", "aes128-sha512",
		"aes192-sha1", "aes192-sha256", "aes192-sha384", "aes192-sha512",
		"aes256-sha1", "aes256-sha256", "aes256-sha384", "aes256-sha512",
		"aes128gcm8", "aes128gcm12", "aes128gcm16",
		"aes192gcm8", "aes192gcm12", "aes192gcm16",
		"aes256gcm8", "aes256gcm12", "aes256gcm16",
		"3des-sha1",
	};
	struct kern *ka = open_in(argv[0]), *kb = open_in(argv[1]);
	int bad = 0, n = 0;

	(void)encap_sock_in(argv[0]);	/* only encapsulated SAs use them */
	(void)encap_sock_in(argv[1]);
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		for (int encap = 0; encap < 2; encap++) {
			bad += run_case(ka, kb, argv[0], argv[1], algs[i], encap, false, false);
			n++;
		}
	}
	say("matrix: %d cases, %d failed", n, bad);
	kern_close(ka);
	kern_close(kb);
	return bad ? 1 : 0;
}

struct ev_seen {
	uint32_t spi_out, spi_in;
	bool out_soft, out_hard, in_soft, in_hard;
	int other;
};

static void on_expire(const struct kern_expire *ev, void *arg)
{
	struct ev_seen *s = arg;
	char d[INET6_ADDRSTRLEN];

	inet_ntop(ev->dst.family, ev->dst.addr, d, sizeof(d));
	say("expire event: %s spi 0x%08x dst %s reqid 0x%08x", ev->hard ? "hard" : "soft",
	    ev->spi, d, ev->reqid);
	if (ev->spi == s->spi_out)
		*(ev->hard ? &s->out_hard : &s->out_soft) = true;
	else if (ev->spi == s->spi_in)
		*(ev->hard ? &s->in_hard : &s->in_soft) = true;
	else
		s->other++;
}

/* The "expire" subcommand. */
static int cmd_expire(char **argv)
{
	struct tunnel t;
	struct kern_lifetime lo = { .soft_packets = 3, .hard_packets = 6 };
	struct kern_lifetime li = { .soft_secs = 2, .hard_secs = 4 };
	struct ev_seen s;
	struct kern_sa_stats st;
	struct pollfd pfd;
	time_t t0;

	memset(&t, 0, sizeof(t));
	memset(&s, 0, sizeof(s));
	t.na = argv[0];
	t.nb = argv[1];
	t.ka = open_in(t.na);
	t.kb = open_in(t.nb);
	if (tunnel_up(&t, "aes128gcm16", false, false, &lo, &li) < 0)
		return 1;
	s.spi_out = t.ab.spi;
	s.spi_in = t.ba.spi;
	/* 8 pings: the 3rd packet crosses the soft limit, the 6th the hard one
	 * (pings after it fail: the SA is gone, so ping's status is ignored) */
	(void)ping_ab(t.na, 8);
	pfd.fd = kern_event_fd(t.ka);
	pfd.events = POLLIN;
	t0 = time(NULL);
	while (!(s.out_soft && s.out_hard && s.in_soft && s.in_hard) && time(NULL) - t0 < 20) {
		if (poll(&pfd, 1, 500) > 0) {
			int n = kern_events_read(t.ka, on_expire, &s);

			EXPECT(n >= 0, "kern_events_read: %s", strerror(-n));
		}
	}
	EXPECT(s.out_soft, "no soft expire (packets) for A's outbound SA");
	EXPECT(s.out_hard, "no hard expire (packets) for A's outbound SA");
	EXPECT(s.in_soft, "no soft expire (time) for A's inbound SA");
	EXPECT(s.in_hard, "no hard expire (time) for A's inbound SA");
	EXPECT(s.other == 0, "%d events for SAs we did not expect", s.other);
	EXPECT(kern_sa_stats(t.ka, &t.ab.dst, t.ab.spi, &st) == -ESRCH,
	       "hard-expired outbound SA still present");
	EXPECT(kern_sa_stats(t.ka, &t.ba.dst, t.ba.spi, &st) == -ESRCH,
	       "hard-expired inbound SA still present");
	EXPECT(kern_flush_ours(t.ka, NULL) == 0 && kern_flush_ours(t.kb, NULL) == 0, "flush");
	kern_close(t.ka);
	kern_close(t.kb);
	say("expire: %s", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}

/* Move SA sa (installed as *sa) to new addresses in k; updates *sa. */
static void move_sa(struct kern *k, struct kern_sa *sa, const struct kern_sa *moved,
		    const char *what)
{
	int err = kern_sa_move(k, &sa->dst, moved);

	EXPECT(!err, "move %s: %s (%s)", what, strerror(-err), kern_last_error(k));
	*sa = *moved;
}

/* The "move" subcommand: B moves from B_OUT to B_OUT2 (RFC 4555 3.5). */
static int cmd_move(char **argv)
{
	struct tunnel t;
	struct kern_sa m, a_out, a_in, b_out, b_in;
	struct kern_sa_stats before, after;
	char cmd[128];
	int err;

	memset(&t, 0, sizeof(t));
	t.na = argv[0];
	t.nb = argv[1];
	t.ka = open_in(t.na);
	t.kb = open_in(t.nb);
	if (tunnel_up(&t, "aes256gcm16", false, false, NULL, NULL) < 0)
		return 1;
	EXPECT(ping_ab(t.na, 3), "ping before the move");
	memset(&before, 0, sizeof(before));
	expect_counted(t.ka, &t.ab, "A out before move", &before);

	/* in place first (what a NAT mapping refresh does): B's inbound SA
	 * keeps its replay window, so if A's sequence number restarted at 1
	 * these pings would be dropped as replays (RFC 4303 3.4.3) */
	m = t.ab;
	err = kern_sa_move(t.ka, &t.ab.dst, &m);
	EXPECT(!err, "in-place move: %s (%s)", strerror(-err), kern_last_error(t.ka));
	EXPECT(ping_ab(t.na, 3), "ping after the in-place move (sequence number reset?)");

	a_out = t.ab;
	b_in = t.ab;
	b_in.replay_window = 64;
	a_in = t.ba;
	a_in.replay_window = 64;
	b_out = t.ba;
	/* A: outbound now to B_OUT2 (new SA id), inbound now from B_OUT2 */
	m = a_out; m.dst = addr(B_OUT2); move_sa(t.ka, &a_out, &m, "A out");
	m = a_in; m.src = addr(B_OUT2); move_sa(t.ka, &a_in, &m, "A in");
	/* B: inbound now addressed to B_OUT2, outbound from B_OUT2 */
	m = b_in; m.dst = addr(B_OUT2); move_sa(t.kb, &b_in, &m, "B in");
	m = b_out; m.src = addr(B_OUT2); move_sa(t.kb, &b_out, &m, "B out");
	t.pa.remote_outer = addr(B_OUT2);
	t.pb.local_outer = addr(B_OUT2);
	err = kern_policy_update(t.ka, &t.pa);
	EXPECT(!err, "A policy update: %s", strerror(-err));
	err = kern_policy_update(t.kb, &t.pb);
	EXPECT(!err, "B policy update: %s", strerror(-err));

	snprintf(cmd, sizeof(cmd), "ip -n %s xfrm state; ip -n %s xfrm policy", t.na, t.na);
	EXPECT(output_has(cmd, "src 192.0.2.1 dst 192.0.2.3"), "A has no SA to the new address");
	EXPECT(!output_has(cmd, "192.0.2.2"), "A still refers to the old address");
	EXPECT(ping_ab(t.na, 3), "ping after the move");
	memset(&after, 0, sizeof(after));
	expect_counted(t.ka, &a_out, "A out after move", &after);
	EXPECT(after.packets >= before.packets + 6, "counters did not carry over (%llu -> %llu)",
	       (unsigned long long)before.packets, (unsigned long long)after.packets);
	expect_counted(t.kb, &b_in, "B in after move", NULL);
	t.ab = a_out;	/* ids for tunnel_down: A's out / B's in share dst */
	EXPECT(kern_policy_del(t.ka, &t.pa) == 0 && kern_policy_del(t.kb, &t.pb) == 0, "policy del");
	EXPECT(kern_sa_del(t.ka, &a_out.dst, a_out.spi) == 0, "del A out");
	EXPECT(kern_sa_del(t.ka, &a_in.dst, a_in.spi) == 0, "del A in");
	EXPECT(kern_sa_del(t.kb, &b_out.dst, b_out.spi) == 0, "del B out");
	EXPECT(kern_sa_del(t.kb, &b_in.dst, b_in.spi) == 0, "del B in");
	kern_close(t.ka);
	kern_close(t.kb);
	say("move: %s", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}

/* Run cmd through the shell; true when it exits 0. */
static bool run_ok(const char *cmd)
{
	return system(cmd) == 0;
}

/*
 * The "forward" subcommand: A is a gateway with host NSH (198.51.100.10)
 * behind it, B a client whose virtual IP is 10.3.0.1 (no route to it in A).
 * The kernel routes before it looks up XFRM policies, so NSH -> 10.3.0.1
 * fails until kern_route_add() puts in a route; then it crosses the tunnel
 * (A's out and fwd policies) and counts on A's SAs.
 */
static int cmd_forward(char **argv)
{
	struct tunnel t;
	struct kern_policy fa, fb;
	struct kern_ts vip, lan;
	struct kern_addr b_out = addr(B_OUT);
	struct kern_sa_stats st;
	char ping[160];
	int err;

	memset(&t, 0, sizeof(t));
	t.na = argv[0];
	t.nb = argv[1];
	t.ka = open_in(t.na);
	t.kb = open_in(t.nb);
	if (tunnel_up(&t, "aes128gcm16", false, false, NULL, NULL) < 0)
		return 1;
	vip = net24("10.3.0.1");
	vip.prefix = 32;
	lan = net24("198.51.100.0");
	memset(&fa, 0, sizeof(fa));
	fa.local = lan;
	fa.remote = vip;
	fa.local_outer = addr(A_OUT);
	fa.remote_outer = b_out;
	fa.reqid = REQID;
	fb = fa;
	fb.local = vip;
	fb.remote = lan;
	fb.local_outer = b_out;
	fb.remote_outer = addr(A_OUT);
	err = kern_policy_add(t.ka, &fa);
	EXPECT(!err, "A lan policies: %s", strerror(-err));
	err = kern_policy_add(t.kb, &fb);
	EXPECT(!err, "B vip policies: %s", strerror(-err));

	snprintf(ping, sizeof(ping), "ip netns exec %s ping -q -c 2 -i 0.2 -W 2 10.3.0.1 "
		 "> /dev/null 2>&1", argv[2]);
	EXPECT(!run_ok(ping), "forwarding to the vIP worked without a route: the "
	       "premise of kern_route_add is wrong on this kernel");
	err = kern_route_add(t.ka, &vip, &b_out);
	EXPECT(!err, "kern_route_add: %s", strerror(-err));
	EXPECT(run_ok(ping), "%s -> 10.3.0.1 through the tunnel failed with the route", argv[2]);
	err = kern_sa_stats(t.ka, &t.ab.dst, t.ab.spi, &st);
	EXPECT(!err && st.packets >= 2, "A out SA did not carry the forwarded pings");
	err = kern_sa_stats(t.ka, &t.ba.dst, t.ba.spi, &st);
	EXPECT(!err && st.packets >= 2, "A in SA did not carry the replies");
	err = kern_route_del(t.ka, &vip);
	EXPECT(!err, "kern_route_del: %s", strerror(-err));
	EXPECT(kern_route_flush_ours(t.ka, false) == 0, "a route of ours is left");
	EXPECT(kern_policy_del(t.ka, &fa) == 0 && kern_policy_del(t.kb, &fb) == 0, "policy del");
	tunnel_down(&t);
	kern_close(t.ka);
	kern_close(t.kb);
	say("forward: %s", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}

/* Number of our states in k's netns (larval ones included). */
static size_t our_states(struct kern *k)
{
	struct kern_flush_stats st;

	if (kern_count_ours(k, &st) < 0)
		return (size_t)-1;
	return st.states;
}

static void no_event(const struct kern_expire *ev, void *arg)
{
	(void)ev;
	(void)arg;
}

/* The "spi" subcommand (see the top). */
static int cmd_spi(char **argv)
{
	struct kern *ka = open_in(argv[0]), *ka2;
	struct kern_addr a = addr(A_OUT), b = addr(B_OUT);
	struct kern_sa sa;
	uint8_t key[20];
	uint32_t s1 = 0, s2 = 0, s3 = 0;
	char l1[256], l2[256], cmd[256];
	struct kern_sa_stats st;
	int err;

	err = kern_open_channel(&ka2, false);
	if (err) {
		say("kern_open_channel in %s: %s", argv[0], strerror(-err));
		return 2;
	}
	EXPECT(kern_event_fd(ka2) == -1, "a channel without events has an event fd");
	EXPECT(kern_events_read(ka2, no_event, NULL) == -ENOTCONN, "events read without events");
	EXPECT(kern_event_fd(ka) >= 0, "the first channel has no event fd");

	/* two SPIs for B -> A: distinct, ours, each a larval state */
	err = kern_spi_alloc(ka2, &b, &a, KERN_REQID_MIN, &s1);
	EXPECT(!err, "alloc 1: %s", strerror(-err));
	err = kern_spi_alloc(ka2, &b, &a, KERN_REQID_MIN, &s2);
	EXPECT(!err, "alloc 2: %s", strerror(-err));
	EXPECT(s1 != s2, "the same SPI twice: %08x", s1);
	EXPECT(s1 >= KERN_SPI_MIN && s1 <= KERN_SPI_MAX && s2 >= KERN_SPI_MIN &&
	       s2 <= KERN_SPI_MAX, "SPIs %08x %08x outside our range", s1, s2);
	EXPECT(our_states(ka) == 2, "%zu states of ours, want 2 larval", our_states(ka));
	say("spi: allocated %08x and %08x (larval states)", s1, s2);

	/* an exchange that failed: give s1 back */
	err = kern_sa_del(ka2, &a, s1);
	EXPECT(!err, "larval delete: %s", strerror(-err));
	EXPECT(our_states(ka) == 1, "%zu states of ours after the free, want 1", our_states(ka));

	/* the CHILD SA is installed over s2 through the first channel */
	memset(&sa, 0, sizeof(sa));
	randombytes_buf(key, sizeof(key));
	sa.src = b;
	sa.dst = a;
	sa.spi = s2;
	sa.reqid = REQID;
	sa.encr = IKE_ENCR_AES_GCM_16;
	sa.encr_keybits = 128;
	sa.encr_key = key;
	sa.encr_key_len = sizeof(key);
	sa.replay_window = 64;
	sa.from_alloc = true;
	err = kern_sa_add(ka, &sa);
	EXPECT(!err, "UPDSA over the larval state: %s (%s)", strerror(-err), kern_last_error(ka));
	EXPECT(our_states(ka) == 1, "%zu states of ours after UPDSA, want 1", our_states(ka));
	expected_lines(&sa, l1, l2, sizeof(l1));
	snprintf(cmd, sizeof(cmd), "ip -n %s xfrm state get src %s dst %s proto esp spi 0x%08x",
		 argv[0], B_OUT, A_OUT, s2);
	EXPECT(output_has(cmd, l1), "the filled state lacks '%s'", l1);
	snprintf(l2, sizeof(l2), "reqid %u ", REQID);
	EXPECT(output_has(cmd, l2), "the filled state lacks its reqid %u", REQID);
	EXPECT(kern_sa_stats(ka, &a, s2, &st) == 0, "counters of the filled SA");
	EXPECT(kern_sa_del(ka, &a, s2) == 0, "delete the filled SA");

	/* the larval state is gone (expired): the add falls back to NEWSA */
	err = kern_spi_alloc(ka2, &b, &a, KERN_REQID_MIN, &s3);
	EXPECT(!err, "alloc 3: %s", strerror(-err));
	EXPECT(kern_sa_del(ka2, &a, s3) == 0, "larval delete 3");
	sa.spi = s3;
	err = kern_sa_add(ka, &sa);
	EXPECT(!err, "NEWSA fallback: %s (%s)", strerror(-err), kern_last_error(ka));
	EXPECT(our_states(ka) == 1, "%zu states of ours after the fallback", our_states(ka));
	EXPECT(kern_sa_del(ka, &a, s3) == 0, "delete the fallback SA");
	EXPECT(our_states(ka) == 0, "%zu states of ours left", our_states(ka));

	kern_close(ka2);
	kern_close(ka);
	say("spi: %s", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}

/* The "flush" subcommand. */
static int cmd_flush(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		struct kern *k = open_in(argv[i]);
		struct kern_flush_stats st;
		int err = kern_flush_ours(k, &st);

		EXPECT(!err, "flush in %s: %s", argv[i], strerror(-err));
		say("flush %s: removed %zu states, %zu policies", argv[i], st.states, st.policies);
		err = kern_count_ours(k, &st);
		EXPECT(!err && st.states == 0 && st.policies == 0,
		       "%s: %zu states %zu policies of ours left", argv[i], st.states, st.policies);
		kern_close(k);
	}
	return failures ? 1 : 0;
}

/* The "count" subcommand. */
static int cmd_count(char **argv)
{
	struct kern *k = open_in(argv[0]);
	struct kern_flush_stats st;
	int err = kern_count_ours(k, &st);

	if (err) {
		say("count: %s", strerror(-err));
		return 1;
	}
	printf("states %zu policies %zu\n", st.states, st.policies);
	kern_close(k);
	return 0;
}

/* The "check" subcommand. */
static int cmd_check(int argc, char **argv)
{
	struct kern *k = open_in(argv[0]);
	struct kern_check_req req;
	struct kern_check c;
	int err;

	memset(&req, 0, sizeof(req));
	req.pool4 = net24("10.2.0.0");
	req.listen6 = argc > 1 && strcmp(argv[1], "pool6") == 0;
	if (argc > 1 && strcmp(argv[1], "overlap") == 0)
		req.pool4 = net24("10.1.0.0");	/* .1 is A's: allowed; .77 is not */
	err = kern_check_host(k, &req, &c);
	for (size_t i = 0; i < c.n; i++)
		say("check: %s: %s", c.msg[i].fatal ? "FATAL" : "warning", c.msg[i].text);
	say("check: %zu messages, %zu fatal", c.n, c.n_fatal);
	kern_close(k);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 2;
	if (argc == 4 && strcmp(argv[1], "matrix") == 0)
		return cmd_matrix(argv + 2);
	if (argc >= 5 && strcmp(argv[1], "case") == 0)
		return cmd_case(argc - 2, argv + 2);
	if (argc == 4 && strcmp(argv[1], "expire") == 0)
		return cmd_expire(argv + 2);
	if (argc == 4 && strcmp(argv[1], "move") == 0)
		return cmd_move(argv + 2);
	if (argc == 5 && strcmp(argv[1], "forward") == 0)
		return cmd_forward(argv + 2);
	if (argc >= 3 && strcmp(argv[1], "flush") == 0)
		return cmd_flush(argc - 2, argv + 2);
	if (argc == 3 && strcmp(argv[1], "spi") == 0)
		return cmd_spi(argv + 2);
	if (argc == 3 && strcmp(argv[1], "count") == 0)
		return cmd_count(argv + 2);
	if (argc >= 3 && strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 2, argv + 2);
	fprintf(stderr, "usage: kern_xfrm_driver case NSA NSB ALG [encap] [esn] [keep] | matrix NSA NSB | "
		"expire NSA NSB | move NSA NSB | forward NSA NSB NSH | spi NSA | flush NS... | count NS | "
		"check NS [pool6|overlap]\n");
	return 2;
}
