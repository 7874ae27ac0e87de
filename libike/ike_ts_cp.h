/*
 * ike_ts_cp.h — Traffic Selector payloads (RFC 7296 3.13) and the
 * Configuration payload (RFC 7296 3.15, RFC 8598), plus the selector algebra
 * a responder needs (CIDR <-> range, narrowing per RFC 7296 2.9, containment,
 * log formatting).
 *
 * All parsers take a payload BODY (the bytes after the 4-byte generic payload
 * header) and all builders append a body to an ike_buf; the generic header
 * is written by the message builder (ike_payload.h).  Parsers validate the
 * whole body first and only then fill the output, so on error the output is
 * left zeroed.  Return values follow ike.h: 0 / count on success, -EBADMSG
 * for malformed input, -E2BIG when a count exceeds our limit.
 */
#ifndef RAG_IKE_TS_CP_H
#define RAG_IKE_TS_CP_H

#include "ike.h"

/* ======================= Traffic selectors (3.13) ======================== */

#define IKE_TS_V4_LEN 16	/* selector length of TS_IPV4_ADDR_RANGE */
#define IKE_TS_V6_LEN 40	/* selector length of TS_IPV6_ADDR_RANGE */

/* One selector.  Addresses are in network byte order; IPv4 uses bytes 0..3
 * and leaves 4..15 zero.  proto 0 = any protocol; ports 0..65535 = any. */
struct ike_ts {
	uint8_t type;		/* IKE_TS_IPV4_ADDR_RANGE / IKE_TS_IPV6_ADDR_RANGE */
	uint8_t proto;		/* IP protocol ID, 0 = any */
	uint16_t start_port;
	uint16_t end_port;
	uint8_t start[16];
	uint8_t end[16];
};

struct ike_ts_list {
	uint8_t n;
	struct ike_ts ts[IKE_MAX_TS];
};

/* A prefix, as a kernel policy wants it. */
struct ike_cidr {
	uint8_t type;		/* IKE_TS_IPV4_ADDR_RANGE / IKE_TS_IPV6_ADDR_RANGE */
	uint8_t prefix;		/* 0..32 or 0..128 */
	uint8_t addr[16];	/* network address (host bits zero) */
};

/* Parse a TSi/TSr body: Number of TSs (1), RESERVED (3), selectors.
 * Rejects: truncation, a count of 0, more than IKE_MAX_TS (-E2BIG), selector
 * length not 16/40 for its type, unknown selector types (-EBADMSG; the caller
 * answers INVALID_SYNTAX / TS_UNACCEPTABLE), start > end for ports or
 * addresses, and bytes left over after the last selector. */
int ike_ts_parse(const uint8_t *buf, size_t len, struct ike_ts_list *out);

/* Append a TS body for l (1..IKE_MAX_TS valid selectors), -EINVAL otherwise.
 * Errors are also left sticky in b. */
int ike_ts_build(struct ike_buf *b, const struct ike_ts_list *l);

/* address length of a selector type: 4, 16, or 0 when unknown */
size_t ike_ts_addr_len(uint8_t type);

/* true when ts has a known type, start <= end for ports and addresses */
bool ike_ts_valid(const struct ike_ts *ts);

/* Selector for every address of a family, all protocols and ports. */
void ike_ts_any(struct ike_ts *ts, uint8_t type);

/* Selector for addr/prefix (host bits are ignored), proto, port range.
 * -EINVAL on unknown type, prefix too long or sport > eport. */
int ike_ts_from_cidr(struct ike_ts *ts, uint8_t type, const uint8_t *addr,
		     unsigned int prefix, uint8_t proto,
		     uint16_t sport, uint16_t eport);

/* Split the address range of ts into the minimal list of prefixes, in
 * ascending order.  Returns the count (at most 2*bits-2 = 254 for IPv6) or
 * -E2BIG when more than max would be needed; -EINVAL for an invalid ts. */
int ike_ts_to_cidrs(const struct ike_ts *ts, struct ike_cidr *out, size_t max);

/* Intersection of two selectors (same family; proto 0 matches any).
 * Returns true and fills *out when non-empty. */
bool ike_ts_intersect(const struct ike_ts *a, const struct ike_ts *b,
		      struct ike_ts *out);

/* true when every packet matched by inner is matched by outer */
bool ike_ts_contains(const struct ike_ts *outer, const struct ike_ts *inner);

/* RFC 7296 2.9 narrowing: out = the non-empty intersections of each proposed
 * selector with each permitted one (proposal order, then policy order),
 * dropping results already contained in an earlier one.  Stops at
 * IKE_MAX_TS results (narrowing to a subset is allowed).  Returns the count;
 * 0 means the responder answers TS_UNACCEPTABLE. */
int ike_ts_narrow(const struct ike_ts_list *proposed,
		  const struct ike_ts_list *permitted, struct ike_ts_list *out);

/* Format for logs: "10.0.0.0/24", "10.0.0.1..10.0.0.9", "2001:db8::/64",
 * with "[tcp/443]", "[udp]", "[47]", "[tcp/1000-2000]" or "[any/53]" appended
 * when protocol or ports are restricted.  Always NUL-terminates when
 * outlen > 0.  Returns the length, or -EMSGSIZE if truncated
 * (IKE_TS_FMT_LEN always suffices). */
#define IKE_TS_FMT_LEN 112
int ike_ts_format(const struct ike_ts *ts, char *out, size_t outlen);

/* ===================== Configuration payload (3.15) ====================== */

/* One attribute, pointing into the parsed buffer (which must outlive it).
 * Unknown types are preserved, never rejected. */
struct ike_cp_attr {
	uint16_t type;		/* 15 bits; the reserved top bit is dropped */
	uint16_t len;
	const uint8_t *val;	/* len bytes; non-NULL even when len == 0 */
};

struct ike_cp {
	uint8_t cfg_type;	/* enum ike_cfg_type */
	uint8_t n;
	struct ike_cp_attr attr[IKE_MAX_CP_ATTRS];
};

/* Parse a CP body: CFG Type (1), RESERVED (3), attributes.  Known attribute
 * lengths are checked against RFC 7296 3.15.1 / RFC 8598 (-EBADMSG), more
 * than IKE_MAX_CP_ATTRS attributes gives -E2BIG, CFG Type outside 1..4 gives
 * -EBADMSG.  Unknown attribute types are kept as they are. */
int ike_cp_parse(const uint8_t *buf, size_t len, struct ike_cp *out);

/* Re-encode a parsed (or hand-built) ike_cp, every attribute verbatim. */
int ike_cp_build(struct ike_buf *b, const struct ike_cp *cp);

/* Low-level builder: body header, then one attribute at a time. */
void ike_cp_put_header(struct ike_buf *b, uint8_t cfg_type);
void ike_cp_put_attr(struct ike_buf *b, uint16_t type, const void *val,
		     size_t len);

/* Is len an acceptable value length for attribute type (RFC 7296 3.15.1)?
 * Unknown types: always true. */
bool ike_cp_attr_len_ok(uint16_t type, size_t len);

/* Index of the first attribute of type at or after index from, or -ENOENT. */
int ike_cp_find(const struct ike_cp *cp, uint16_t type, unsigned int from);

#define IKE_CP_MAX_DNS      4
#define IKE_CP_MAX_SUBNETS  8
#define IKE_CP_MAX_DOMAINS  4

/* What a responder assigns; fields with has_/n_ zero are omitted. */
struct ike_cp_reply {
	bool has_ip4;
	uint8_t ip4[4];
	bool has_ip4_netmask;
	uint8_t ip4_netmask[4];
	uint8_t n_dns4;
	uint8_t dns4[IKE_CP_MAX_DNS][4];
	bool has_ip6;
	uint8_t ip6[16];
	uint8_t ip6_prefix;	/* 0..128 */
	uint8_t n_dns6;
	uint8_t dns6[IKE_CP_MAX_DNS][16];
	uint8_t n_subnet4;	/* INTERNAL_IP4_SUBNET: address + netmask */
	struct { uint8_t addr[4]; uint8_t mask[4]; } subnet4[IKE_CP_MAX_SUBNETS];
	uint8_t n_subnet6;	/* INTERNAL_IP6_SUBNET: address + prefix length */
	struct { uint8_t addr[16]; uint8_t prefix; } subnet6[IKE_CP_MAX_SUBNETS];
	uint8_t n_domains;	/* INTERNAL_DNS_DOMAIN, RFC 8598: no NUL, no dot
				 * at the end needed; at most 255 bytes each */
	const char *domains[IKE_CP_MAX_DOMAINS];
};

/* Append a CFG_REPLY body for r.  -EINVAL on out-of-range counts/prefixes or
 * an empty/over-long domain; otherwise the sticky error of b. */
int ike_cp_build_reply(struct ike_buf *b, const struct ike_cp_reply *r);

#endif
