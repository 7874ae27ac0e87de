/*
 * ike_pld_ts.c — Traffic Selector payload bodies (RFC 7296 3.13) and the
 * selector algebra of a responder: CIDR <-> range, intersection and
 * narrowing (RFC 7296 2.9), containment, log formatting.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Number of TSs |                 RESERVED                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       <Traffic Selectors>                     ~
 *
 * Traffic Selector (3.13.1):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   TS Type     |IP Protocol ID*|       Selector Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Start Port*         |           End Port*           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                         Starting Address*                     ~
 * ~                         Ending Address*                       ~
 *
 * Port ranges: start <= end, except the OPAQUE encoding (start 65535,
 * end 0; RFC 7296 3.13.1 / RFC 4301 4.4.1.1), which is accepted as is.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "ike_ts_cp.h"

#define TS_HDR_LEN 4	/* Number of TSs + RESERVED */
#define SEL_HDR_LEN 8	/* type, proto, length, ports */

/* Address bytes used by a selector type (4 / 16), 0 when unknown. */
size_t ike_ts_addr_len(uint8_t type)
{
	switch (type) {
	case IKE_TS_IPV4_ADDR_RANGE:
		return 4;
	case IKE_TS_IPV6_ADDR_RANGE:
		return 16;
	default:
		return 0;
	}
}

/* true for the OPAQUE port encoding 65535..0 */
static bool ports_opaque(uint16_t s, uint16_t e)
{
	return s == 65535 && e == 0;
}

/* true when the port pair is a forward range or OPAQUE */
static bool ports_ok(uint16_t s, uint16_t e)
{
	return s <= e || ports_opaque(s, e);
}

/* Known type and forward ranges (ports may be OPAQUE). */
bool ike_ts_valid(const struct ike_ts *ts)
{
	size_t alen = ike_ts_addr_len(ts->type);

	if (!alen)
		return false;
	if (!ports_ok(ts->start_port, ts->end_port))
		return false;
	return memcmp(ts->start, ts->end, alen) <= 0;
}

/* Parse a TS payload body; see ike_ts_cp.h.  Validates lengths of every
 * selector first, then interprets. */
int ike_ts_parse(const uint8_t *buf, size_t len, struct ike_ts_list *out)
{
	size_t off, n;

	memset(out, 0, sizeof(*out));
	if (len < TS_HDR_LEN)
		return -EBADMSG;
	n = buf[0];
	if (n == 0)
		return -EBADMSG;
	if (n > IKE_MAX_TS)
		return -E2BIG;

	/* pass 1: lengths only */
	off = TS_HDR_LEN;
	for (size_t i = 0; i < n; i++) {
		size_t alen, need;

		if (len - off < SEL_HDR_LEN)
			return -EBADMSG;
		alen = ike_ts_addr_len(buf[off]);
		if (!alen)
			return -EBADMSG;	/* unknown TS type */
		need = SEL_HDR_LEN + 2 * alen;
		if (ike_get_u16(buf + off + 2) != need)
			return -EBADMSG;
		if (len - off < need)
			return -EBADMSG;
		off += need;
	}
	if (off != len)
		return -EBADMSG;	/* the list must consume the body */

	/* pass 2: interpret */
	off = TS_HDR_LEN;
	for (size_t i = 0; i < n; i++) {
		struct ike_ts *ts = &out->ts[i];
		size_t alen = ike_ts_addr_len(buf[off]);

		ts->type = buf[off];
		ts->proto = buf[off + 1];
		ts->start_port = ike_get_u16(buf + off + 4);
		ts->end_port = ike_get_u16(buf + off + 6);
		memcpy(ts->start, buf + off + SEL_HDR_LEN, alen);
		memcpy(ts->end, buf + off + SEL_HDR_LEN + alen, alen);
		if (!ike_ts_valid(ts)) {
			memset(out, 0, sizeof(*out));
			return -EBADMSG;	/* reversed range */
		}
		off += SEL_HDR_LEN + 2 * alen;
	}
	out->n = (uint8_t)n;
	return 0;
}

/* Append a TS body; every selector must be valid and 1 <= n <= IKE_MAX_TS. */
int ike_ts_build(struct ike_buf *b, const struct ike_ts_list *l)
{
	if (l->n == 0 || l->n > IKE_MAX_TS)
		return -EINVAL;
	for (size_t i = 0; i < l->n; i++)
		if (!ike_ts_valid(&l->ts[i]))
			return -EINVAL;
	ike_buf_put_u8(b, l->n);
	ike_buf_put_zero(b, 3);
	for (size_t i = 0; i < l->n; i++) {
		const struct ike_ts *ts = &l->ts[i];
		size_t alen = ike_ts_addr_len(ts->type);

		ike_buf_put_u8(b, ts->type);
		ike_buf_put_u8(b, ts->proto);
		ike_buf_put_u16(b, (uint16_t)(SEL_HDR_LEN + 2 * alen));
		ike_buf_put_u16(b, ts->start_port);
		ike_buf_put_u16(b, ts->end_port);
		ike_buf_put(b, ts->start, alen);
		ike_buf_put(b, ts->end, alen);
	}
	return ike_buf_error(b);
}

/* Every address of the family, any protocol, all ports. */
void ike_ts_any(struct ike_ts *ts, uint8_t type)
{
	size_t alen = ike_ts_addr_len(type);

	memset(ts, 0, sizeof(*ts));
	ts->type = type;
	ts->end_port = 65535;
	memset(ts->end, 0xff, alen);
}

/* ---- bit helpers on big-endian addresses of alen bytes ------------------- */

/* Set (ones) or clear the lowest h bits of a. */
static void low_bits(uint8_t *a, size_t alen, unsigned int h, bool ones)
{
	for (size_t i = alen; i-- > 0 && h > 0;) {
		uint8_t m = h >= 8 ? 0xff : (uint8_t)((1u << h) - 1);

		a[i] = ones ? (uint8_t)(a[i] | m) : (uint8_t)(a[i] & ~m);
		h = h >= 8 ? h - 8 : 0;
	}
}

/* Number of trailing zero bits of a (alen*8 when a is zero). */
static unsigned int trailing_zeros(const uint8_t *a, size_t alen)
{
	unsigned int n = 0;

	for (size_t i = alen; i-- > 0;) {
		if (a[i] == 0) {
			n += 8;
			continue;
		}
		for (uint8_t v = a[i]; !(v & 1); v >>= 1)
			n++;
		break;
	}
	return n;
}

/* a += 1; returns true on wrap-around to zero. */
static bool addr_inc(uint8_t *a, size_t alen)
{
	for (size_t i = alen; i-- > 0;)
		if (++a[i] != 0)
			return false;
	return true;
}

/* Selector for addr/prefix with the given protocol and ports. */
int ike_ts_from_cidr(struct ike_ts *ts, uint8_t type, const uint8_t *addr,
		     unsigned int prefix, uint8_t proto,
		     uint16_t sport, uint16_t eport)
{
	size_t alen = ike_ts_addr_len(type);

	if (!alen || prefix > alen * 8 || !ports_ok(sport, eport))
		return -EINVAL;
	memset(ts, 0, sizeof(*ts));
	ts->type = type;
	ts->proto = proto;
	ts->start_port = sport;
	ts->end_port = eport;
	memcpy(ts->start, addr, alen);
	low_bits(ts->start, alen, (unsigned int)(alen * 8 - prefix), false);
	memcpy(ts->end, addr, alen);
	low_bits(ts->end, alen, (unsigned int)(alen * 8 - prefix), true);
	return 0;
}

/* Minimal prefix cover of the address range of ts, ascending.  Each step
 * takes the largest aligned block starting at the cursor that does not pass
 * the end, so at most 2*bits steps run. */
int ike_ts_to_cidrs(const struct ike_ts *ts, struct ike_cidr *out, size_t max)
{
	size_t alen = ike_ts_addr_len(ts->type);
	unsigned int bits = (unsigned int)alen * 8;
	uint8_t cur[16], last[16];
	size_t n = 0;

	if (!ike_ts_valid(ts))
		return -EINVAL;
	memcpy(cur, ts->start, alen);
	for (;;) {
		unsigned int h = trailing_zeros(cur, alen);

		for (;; h--) {
			memcpy(last, cur, alen);
			low_bits(last, alen, h, true);
			if (h == 0 || memcmp(last, ts->end, alen) <= 0)
				break;	/* h == 0: last == cur <= end */
		}
		if (n == max)
			return -E2BIG;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].type = ts->type;
		out[n].prefix = (uint8_t)(bits - h);
		memcpy(out[n].addr, cur, alen);
		n++;
		if (memcmp(last, ts->end, alen) == 0)
			break;
		memcpy(cur, last, alen);
		if (addr_inc(cur, alen))
			break;	/* unreachable: last < end */
	}
	return (int)n;
}

/* Intersection of two port ranges; handles OPAQUE (matches only "any"). */
static bool ports_intersect(const struct ike_ts *a, const struct ike_ts *b,
			    uint16_t *s, uint16_t *e)
{
	bool ao = ports_opaque(a->start_port, a->end_port);
	bool bo = ports_opaque(b->start_port, b->end_port);

	if (ao || bo) {
		bool a_any = a->start_port == 0 && a->end_port == 65535;
		bool b_any = b->start_port == 0 && b->end_port == 65535;

		if (!(ao || a_any) || !(bo || b_any))
			return false;
		*s = 65535;
		*e = 0;
		return true;
	}
	*s = a->start_port > b->start_port ? a->start_port : b->start_port;
	*e = a->end_port < b->end_port ? a->end_port : b->end_port;
	return *s <= *e;
}

/* Non-empty intersection of a and b into *out. */
bool ike_ts_intersect(const struct ike_ts *a, const struct ike_ts *b,
		      struct ike_ts *out)
{
	size_t alen = ike_ts_addr_len(a->type);
	struct ike_ts r;

	if (!alen || a->type != b->type)
		return false;
	memset(&r, 0, sizeof(r));
	r.type = a->type;
	if (a->proto == 0)
		r.proto = b->proto;
	else if (b->proto == 0 || b->proto == a->proto)
		r.proto = a->proto;
	else
		return false;
	if (!ports_intersect(a, b, &r.start_port, &r.end_port))
		return false;
	memcpy(r.start, memcmp(a->start, b->start, alen) >= 0 ? a->start : b->start, alen);
	memcpy(r.end, memcmp(a->end, b->end, alen) <= 0 ? a->end : b->end, alen);
	if (memcmp(r.start, r.end, alen) > 0)
		return false;
	*out = r;
	return true;
}

/* outer matches every packet inner matches */
bool ike_ts_contains(const struct ike_ts *outer, const struct ike_ts *inner)
{
	size_t alen = ike_ts_addr_len(outer->type);

	if (!alen || outer->type != inner->type)
		return false;
	if (outer->proto != 0 && outer->proto != inner->proto)
		return false;
	if (ports_opaque(inner->start_port, inner->end_port)) {
		if (!ports_opaque(outer->start_port, outer->end_port) &&
		    !(outer->start_port == 0 && outer->end_port == 65535))
			return false;
	} else if (ports_opaque(outer->start_port, outer->end_port) ||
		   outer->start_port > inner->start_port ||
		   outer->end_port < inner->end_port) {
		return false;
	}
	return memcmp(outer->start, inner->start, alen) <= 0 &&
	       memcmp(outer->end, inner->end, alen) >= 0;
}

/* RFC 7296 2.9 narrowing; see ike_ts_cp.h. */
int ike_ts_narrow(const struct ike_ts_list *proposed,
		  const struct ike_ts_list *permitted, struct ike_ts_list *out)
{
	size_t np = proposed->n < IKE_MAX_TS ? proposed->n : IKE_MAX_TS;
	size_t nq = permitted->n < IKE_MAX_TS ? permitted->n : IKE_MAX_TS;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < np; i++) {
		for (size_t j = 0; j < nq; j++) {
			struct ike_ts r;
			bool dup = false;

			if (!ike_ts_intersect(&proposed->ts[i], &permitted->ts[j], &r))
				continue;
			for (size_t k = 0; k < out->n && !dup; k++)
				dup = ike_ts_contains(&out->ts[k], &r);
			if (dup)
				continue;
			if (out->n == IKE_MAX_TS)
				return out->n;
			out->ts[out->n++] = r;
		}
	}
	return out->n;
}

/* Name of an IP protocol for logs, or NULL. */
static const char *proto_name(uint8_t p)
{
	switch (p) {
	case 1: return "icmp";
	case 6: return "tcp";
	case 17: return "udp";
	case 47: return "gre";
	case 58: return "ipv6-icmp";
	case 132: return "sctp";
	default: return NULL;
	}
}

/* Log form of a selector; see ike_ts_cp.h. */
int ike_ts_format(const struct ike_ts *ts, char *out, size_t outlen)
{
	char a[INET6_ADDRSTRLEN], e[INET6_ADDRSTRLEN], pr[16];
	struct ike_cidr c;
	int af, n;
	size_t used;

	if (outlen)
		out[0] = '\0';
	if (!ike_ts_valid(ts)) {
		n = snprintf(out, outlen, "(invalid TS, type %u)", ts->type);
		return n < 0 || (size_t)n >= outlen ? -EMSGSIZE : n;
	}
	af = ts->type == IKE_TS_IPV4_ADDR_RANGE ? AF_INET : AF_INET6;
	if (!inet_ntop(af, ts->start, a, sizeof(a)) ||
	    !inet_ntop(af, ts->end, e, sizeof(e)))
		return -EINVAL;
	if (ike_ts_to_cidrs(ts, &c, 1) == 1)
		n = snprintf(out, outlen, "%s/%u", a, c.prefix);
	else
		n = snprintf(out, outlen, "%s..%s", a, e);
	if (n < 0 || (size_t)n >= outlen)
		return -EMSGSIZE;
	used = (size_t)n;

	if (ts->proto == 0 && ts->start_port == 0 && ts->end_port == 65535)
		return (int)used;
	if (proto_name(ts->proto))
		snprintf(pr, sizeof(pr), "%s", proto_name(ts->proto));
	else if (ts->proto)
		snprintf(pr, sizeof(pr), "%u", ts->proto);
	else
		snprintf(pr, sizeof(pr), "any");

	if (ts->start_port == 0 && ts->end_port == 65535)
		n = snprintf(out + used, outlen - used, "[%s]", pr);
	else if (ports_opaque(ts->start_port, ts->end_port))
		n = snprintf(out + used, outlen - used, "[%s/OPAQUE]", pr);
	else if (ts->start_port == ts->end_port)
		n = snprintf(out + used, outlen - used, "[%s/%u]", pr, ts->start_port);
	else
		n = snprintf(out + used, outlen - used, "[%s/%u-%u]", pr,
			     ts->start_port, ts->end_port);
	if (n < 0 || (size_t)n >= outlen - used)
		return -EMSGSIZE;
	return (int)(used + (size_t)n);
}
