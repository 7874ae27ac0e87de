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
	if (req->pool6) {
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

	for (int i = 0; i < 2; i++) {
		bool on = i == 0 ? req->pool4 : req->pool6;
		const struct kern_addr *a = i == 0 ? &req->pool4_addr : &req->pool6_addr;
		char txt[INET6_ADDRSTRLEN];

		if (!on || !chk_alen(a->family))
			continue;
		err = kern_route_lookup(k, a);
		if (err && inet_ntop(a->family, a->addr, txt, sizeof(txt)))
			kern_note(out, false, "no route covers the pool address %s (%s): return "
				  "traffic to clients is dropped before the IPsec policy lookup; "
				  "add a route for the pool (e.g. via the uplink) or a default route",
				  txt, strerror(-err));
	}
	return out->n_fatal ? -ENOTSUP : 0;
}
