/*
 * policy.h — the access policy (issue 4) as ragd enforces it: user groups,
 * host groups, service groups and ordered rules from rag.db, compiled into
 * one immutable snapshot.  The snapshot is what the other parts consume:
 * the nftables compiler (enforcement), the traffic-selector narrowing
 * (split-tunnel) and the live re-evaluation of connected users.
 *
 * Semantics (INTERFACES.md): rules are ordered by position; for a packet
 * from a user's virtual IP the first rule whose user group contains the user,
 * whose host group contains the destination and whose service group contains
 * the protocol/port decides; no match = deny.
 *
 * This header fixes the shared types; policy.c (loading from rag.db) and
 * nft.c (compiling to nftables) implement against it.
 */
#ifndef RAG_POLICY_H
#define RAG_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An address prefix: family AF_INET or AF_INET6, addr in network order
 * (first 4 bytes for IPv4), len 0..32 / 0..128, host bits zero. */
struct pol_prefix {
	uint8_t family;
	uint8_t len;
	uint8_t addr[16];
};

/* A service: proto 0 = any (ports ignored), 1 = icmp (and icmpv6 for IPv6
 * destinations), 6 = tcp, 17 = udp; ports inclusive, 0-65535 = every port. */
#define POL_PROTO_ANY  0
#define POL_PROTO_ICMP 1
#define POL_PROTO_TCP  6
#define POL_PROTO_UDP  17

struct pol_service {
	uint8_t proto;
	uint16_t port_lo, port_hi;
};

struct pol_rule {
	uint32_t id;			/* rag-ctl rule ID, stable across edits */
	bool permit;			/* else deny */
	bool log;			/* false: --no-log */
	uint32_t user_group;		/* user_group.id */
	const struct pol_prefix *dst;	/* the host group's members */
	size_t ndst;
	const struct pol_service *svc;	/* the service group's members */
	size_t nsvc;
};

/* One user's identity as the policy sees it. */
struct pol_user {
	const char *name;
	const uint32_t *groups;		/* user_group ids, ascending */
	size_t ngroups;
};

/* A compiled, immutable snapshot; rules in evaluation order. */
struct pol_snapshot {
	uint64_t generation;		/* increases with every change */
	const struct pol_rule *rules;
	size_t nrules;
	const struct pol_user *users;	/* sorted by name (case-insensitive) */
	size_t nusers;
};

#endif
