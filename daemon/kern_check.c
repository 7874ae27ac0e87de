/*
 * kern_check.c — host prerequisites of ragd's kernel side (kern.h):
 * forwarding sysctls, a probe ESP SA through the same kern.h calls the
 * runtime uses, and a route covering each pool (kern_int.h's lookup on the
 * same netns).  No socket of its own: it stays valid if the kern_*.c files
 * move into a helper process together.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ike.h"
#include "kern.h"
#include "kern_int.h"

/* Address length of a family, 0 for anything but AF_INET/AF_INET6. */
static size_t chk_alen(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

/* Append a message to the check report. */
static void kern_note(struct kern_check *c, bool fatal, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void kern_note(struct kern_check *c, bool fatal, const char *fmt, ...)
{
	va_list ap;

	if (fatal)
		c->n_fatal++;
	if (c->n >= KERN_CHECK_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(c->msg[c->n].text, sizeof(c->msg[c->n].text), fmt, ap);
	va_end(ap);
	c->msg[c->n++].fatal = fatal;
}

/* Read a small integer sysctl from /proc/sys; returns it or -errno. */
static long kern_sysctl(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	char *end;
	long v = strtol(buf, &end, 10);

	if (end == buf)
		return -EINVAL;
	return v;
}

/*
 * Add and remove one probe SA from the loopback address to itself with the
 * given algorithm, through kern_spi_alloc() + kern_sa_add(from_alloc) as the
 * runtime does: the kernel picks a free SPI, so no SA can be clobbered.
 * Returns 0 or -errno (text in kern_last_error()).
 */
static int kern_probe_sa(struct kern *k, int family, uint16_t encr, uint16_t integ)
{
	static const uint8_t key[64] = { 0x52, 0x41, 0x47 };	/* never protects data */
	struct kern_sa sa;
	int err;

	memset(&sa, 0, sizeof(sa));
	sa.src.family = sa.dst.family = family;
	if (family == AF_INET)
		sa.src.addr[0] = sa.dst.addr[0] = 127, sa.src.addr[3] = sa.dst.addr[3] = 1;
	else
		sa.src.addr[15] = sa.dst.addr[15] = 1;
	sa.reqid = KERN_REQID_MIN;
	err = kern_spi_alloc(k, &sa.src, &sa.dst, sa.reqid, &sa.spi);
	if (err)
		return err;
	sa.from_alloc = true;
	sa.encr = encr;
	sa.encr_keybits = 128;
	sa.encr_key = key;
	sa.encr_key_len = encr == IKE_ENCR_AES_CBC ? 16 : 20;
	sa.integ = integ;
	if (integ) {
		sa.integ_key = key;
		sa.integ_key_len = 32;
	}
	err = kern_sa_add(k, &sa);
	(void)kern_sa_del(k, &sa.dst, sa.spi);	/* the SA, or the larval state */
	return err;
}

/* Is a inside net (same family, the first prefix bits equal)? */
static bool chk_in_net(const struct kern_addr *a, const struct kern_ts *net)
{
	size_t n = chk_alen(net->family);

	if (a->family != net->family || !n || net->prefix > n * 8)
		return false;
	for (unsigned int b = 0; b < net->prefix; b++) {
		uint8_t m = (uint8_t)(0x80u >> (b % 8));

		if ((a->addr[b / 8] & m) != (net->addr[b / 8] & m))
			return false;
	}
	return true;
}

struct chk_pool {
	const struct kern_ts *pool;
	struct kern_check *out;
};

/* kern_addrs() callback: a host address inside the pool (other than the
 * pool's first host address, pool.h's reservation for the gateway). */
static void chk_pool_addr(const struct kern_addr *a, uint32_t ifindex, void *arg)
{
	struct chk_pool *cp = arg;
	struct kern_addr first;
	size_t n = chk_alen(a->family);
	char txt[INET6_ADDRSTRLEN], net[INET6_ADDRSTRLEN];

	if (!chk_in_net(a, cp->pool))
		return;
	memset(&first, 0, sizeof(first));
	first.family = a->family;
	memcpy(first.addr, cp->pool->addr, n);
	first.addr[n - 1] |= 1;
	if (!memcmp(first.addr, a->addr, n))
		return;
	inet_ntop(a->family, a->addr, txt, sizeof(txt));
	inet_ntop(a->family, cp->pool->addr, net, sizeof(net));
	kern_note(cp->out, true, "the host's address %s (interface index %u) lies inside the "
		  "pool %s/%u: the client given it would be unreachable; choose a pool that "
		  "no interface uses (only its first address may be the gateway's)", txt,
		  (unsigned int)ifindex, net, (unsigned int)cp->pool->prefix);
}

/* Human text of a probe failure. */
static const char *kern_probe_hint(int err)
{
	switch (err) {
	case -EPROTONOSUPPORT:
	case -ENOENT:
	case -ENOSYS:
		return "the kernel lacks ESP (modprobe esp4 esp6) or this algorithm";
	case -EPERM:
	case -EACCES:
		return "ragd needs CAP_NET_ADMIN";
	default:
		return "the kernel refused an ESP SA";
	}
}

/* See kern.h. */
int kern_check_host(struct kern *k, const struct kern_check_req *req,
		    struct kern_check *out)
{
	long v;
	int err;

	memset(out, 0, sizeof(*out));
	v = kern_sysctl("/proc/sys/net/ipv4/ip_forward");
	if (v < 0)
		kern_note(out, false, "cannot read net.ipv4.ip_forward (%s)", strerror((int)-v));
	else if (v != 1)
		kern_note(out, true, "net.ipv4.ip_forward = %ld: clients cannot reach the network "
			  "behind the gateway; set it to 1 (sysctl -w net.ipv4.ip_forward=1, "
			  "and persist it in /etc/sysctl.d/)", v);
	if (req->pool6.family) {
		v = kern_sysctl("/proc/sys/net/ipv6/conf/all/forwarding");
		if (v < 0)
			kern_note(out, true, "an IPv6 pool is set but net.ipv6.conf.all.forwarding "
				  "cannot be read (%s): is IPv6 disabled?", strerror((int)-v));
		else if (v != 1)
			kern_note(out, true, "an IPv6 pool is set but net.ipv6.conf.all.forwarding = %ld; "
				  "set it to 1", v);
	}

	err = kern_probe_sa(k, AF_INET, IKE_ENCR_AES_CBC, IKE_INTEG_HMAC_SHA2_256_128);
	if (err)
		kern_note(out, true, "probe ESP SA cbc(aes)+hmac(sha256) failed: %s (%s%s%s)",
			  kern_probe_hint(err), strerror(-err), kern_last_error(k)[0] ? ": " : "", kern_last_error(k));
	else {
		err = kern_probe_sa(k, AF_INET, IKE_ENCR_AES_GCM_16, IKE_INTEG_NONE);
		if (err)
			kern_note(out, true, "probe ESP SA rfc4106(gcm(aes)) failed: %s (%s%s%s)",
				  kern_probe_hint(err), strerror(-err), kern_last_error(k)[0] ? ": " : "", kern_last_error(k));
	}
	if (req->listen6 && !err) {
		err = kern_probe_sa(k, AF_INET6, IKE_ENCR_AES_CBC, IKE_INTEG_HMAC_SHA2_256_128);
		if (err)
			kern_note(out, false, "probe IPv6 ESP SA failed: %s (%s%s%s); IPv6 "
				  "clients will not get tunnels", kern_probe_hint(err),
				  strerror(-err), kern_last_error(k)[0] ? ": " : "", kern_last_error(k));
	}

	/* routes to the pool are ragd's own business (kern.h: a route per
	 * virtual IP, an unreachable route for the pool); what it cannot fix
	 * is a pool that holds the host's own addresses */
	for (int i = 0; i < 2; i++) {
		struct chk_pool cp;

		memset(&cp, 0, sizeof(cp));
		cp.pool = i == 0 ? &req->pool4 : &req->pool6;
		cp.out = out;
		if (!cp.pool->family)
			continue;
		err = kern_addrs(k, chk_pool_addr, &cp);
		if (err)
			kern_note(out, false, "cannot list the host's addresses (%s)", strerror(-err));
	}
	return out->n_fatal ? -ENOTSUP : 0;
}
