/*
 * pol_parse.c — the text forms of the access policy's members: addresses /
 * CIDRs of host groups and services of service groups (policy.h).  Linked
 * into ragd and rag-ctl, so both refuse the same values with the same
 * words; pure (no allocation, no logging).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "policy.h"

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Format into err when there is one. */
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Decimal s[0..n) in [lo, hi] without sign or leading zeros; -1 if not. */
static long dec(const char *s, size_t n, long lo, long hi)
{
	long v = 0;

	if (n == 0 || n > 6 || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v >= lo && v <= hi ? v : -1;
}

/* Zero the bits of addr (nbytes) after the first len. */
static void mask_bits(uint8_t *addr, size_t nbytes, unsigned int len)
{
	for (size_t i = 0; i < nbytes; i++) {
		unsigned int keep = len >= 8 * (i + 1) ? 8 : len > 8 * i ? len - 8 * (unsigned int)i : 0;

		addr[i] &= (uint8_t)(0xff00u >> keep);
	}
}

/* See policy.h. */
int pol_parse_prefix(const char *s, struct pol_prefix *out, char *err, size_t errlen)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	char a[INET6_ADDRSTRLEN + 1];
	struct pol_prefix p;
	long len;

	memset(&p, 0, sizeof(p));
	if (alen == 0 || alen >= sizeof(a)) {
		seterr(err, errlen, "'%.80s' is not an address or CIDR", s);
		return -EINVAL;
	}
	memcpy(a, s, alen);
	a[alen] = '\0';
	if (inet_pton(AF_INET, a, p.addr) == 1) {
		p.family = AF_INET;
	} else if (inet_pton(AF_INET6, a, p.addr) == 1) {
		p.family = AF_INET6;
		if (!memcmp(p.addr, mapped, sizeof(mapped))) {
			seterr(err, errlen, "'%.80s' is an IPv4-mapped IPv6 address: write the "
			       "IPv4 address", s);
			return -EINVAL;
		}
	} else {
		seterr(err, errlen, "'%.80s' is not an address or CIDR", s);
		return -EINVAL;
	}
	if (slash) {
		len = dec(slash + 1, strlen(slash + 1), 0, p.family == AF_INET ? 32 : 128);
		if (len < 0) {
			seterr(err, errlen, "'%.80s': the prefix length must be 0-%d", s,
			       p.family == AF_INET ? 32 : 128);
			return -EINVAL;
		}
	} else {
		len = p.family == AF_INET ? 32 : 128;
	}
	p.len = (uint8_t)len;
	{
		struct pol_prefix net = p;
		char t[POL_PREFIX_STR];

		mask_bits(net.addr, p.family == AF_INET ? 4 : 16, p.len);
		if (memcmp(net.addr, p.addr, sizeof(p.addr))) {
			pol_format_prefix(&net, t, sizeof(t));
			seterr(err, errlen, "'%.80s' has host bits set (the network is %s)", s, t);
			return -EINVAL;
		}
	}
	*out = p;
	return 0;
}

/* See policy.h. */
int pol_parse_service(const char *s, struct pol_service *out, char *err, size_t errlen)
{
	const char *p, *dash;
	long lo, hi;

	if (!strcmp(s, "any") || !strcmp(s, "icmp")) {
		out->proto = s[0] == 'a' ? POL_PROTO_ANY : POL_PROTO_ICMP;
		out->port_lo = 0;
		out->port_hi = 65535;
		return 0;
	}
	if (strncmp(s, "tcp/", 4) && strncmp(s, "udp/", 4)) {
		seterr(err, errlen, "'%.80s' is not a service (any, icmp, tcp/PORT, udp/PORT, "
		       "tcp/LOW-HIGH, udp/LOW-HIGH)", s);
		return -EINVAL;
	}
	p = s + 4;
	dash = strchr(p, '-');
	lo = dec(p, dash ? (size_t)(dash - p) : strlen(p), 1, 65535);
	hi = dash ? dec(dash + 1, strlen(dash + 1), 1, 65535) : lo;
	if (lo < 0 || hi < 0) {
		seterr(err, errlen, "'%.80s': ports are 1-65535 (decimal, no leading zeros)", s);
		return -EINVAL;
	}
	if (lo > hi) {
		seterr(err, errlen, "'%.80s': reversed port range (write %ld-%ld)", s, hi, lo);
		return -EINVAL;
	}
	out->proto = s[0] == 't' ? POL_PROTO_TCP : POL_PROTO_UDP;
	out->port_lo = (uint16_t)lo;
	out->port_hi = (uint16_t)hi;
	return 0;
}

/* See policy.h. */
void pol_format_prefix(const struct pol_prefix *p, char *out, size_t outlen)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family, p->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	if (p->len == (p->family == AF_INET ? 32 : 128))
		snprintf(out, outlen, "%s", a);		/* a host */
	else
		snprintf(out, outlen, "%s/%u", a, p->len);
}

/* See policy.h. */
void pol_format_service(const struct pol_service *v, char *out, size_t outlen)
{
	const char *name = v->proto == POL_PROTO_TCP ? "tcp" : v->proto == POL_PROTO_UDP ?
			   "udp" : v->proto == POL_PROTO_ICMP ? "icmp" : "any";

	if (v->proto != POL_PROTO_TCP && v->proto != POL_PROTO_UDP)
		snprintf(out, outlen, "%s", name);
	else if (v->port_lo == v->port_hi)
		snprintf(out, outlen, "%s/%u", name, v->port_lo);
	else
		snprintf(out, outlen, "%s/%u-%u", name, v->port_lo, v->port_hi);
}
