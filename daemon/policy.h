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
 * This header fixes the shared types; policy.c (loading from rag.db,
 * evaluation) and nft.c (compiling to nftables) implement against it;
 * ctl_policy.c keeps ragd's current snapshot and tells the subscribers
 * (nft.c) about every change.
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

/* ---- limits (every size an administrator controls; INTERFACES.md,
 * rag-ctl(8)) ---- */
#define POL_NAME_MAX          64	/* group names: as user names */
#define POL_GROUPS_MAX        1024	/* user groups, host groups, service
					 * groups: each family */
#define POL_HOST_MEMBERS_MAX  1024	/* addresses/CIDRs in one host group */
#define POL_HOST_TOTAL_MAX    16384	/* ... in all host groups */
#define POL_SVC_MEMBERS_MAX   256	/* services in one service group */
#define POL_SVC_TOTAL_MAX     16384	/* ... in all service groups */
#define POL_RULES_MAX         4096	/* rules */
#define POL_CMD_MEMBERS_MAX   64	/* members named by one command */

/* ---- text forms (pol_parse.c; shared by ragd and rag-ctl, which both
 * validate: rag-ctl for the usage error, ragd because it never trusts the
 * socket) ---- */
#define POL_PREFIX_STR  52	/* "ffff:...:255.255.255.255/128" + NUL */
#define POL_SERVICE_STR 16	/* "tcp/65535-65535" + NUL */

/*
 * ADDR or ADDR/LEN (IPv4 dotted quad or IPv6) into *out; a bare address is
 * /32 or /128.  Refused, with a message naming s in err: anything else,
 * a length out of range or with leading zeros, IPv4-mapped IPv6 addresses
 * (write the IPv4 address), and host bits set ("10.0.0.1/24": refused, not
 * normalised, the message names the network 10.0.0.0/24 — a typo for a
 * host must not silently widen to its whole network).  0 or -EINVAL.
 */
int pol_parse_prefix(const char *s, struct pol_prefix *out, char *err, size_t errlen);

/*
 * SERVICE into *out: "any", "icmp", "tcp/PORT", "udp/PORT",
 * "tcp/LO-HI", "udp/LO-HI" with ports 1-65535 in decimal without leading
 * zeros and LO <= HI ("tcp/443-443" is tcp/443).  0 or -EINVAL with a
 * message naming s (out of range, reversed range, unknown protocol).
 */
int pol_parse_service(const char *s, struct pol_service *out, char *err, size_t errlen);

/* The canonical text of p / v (what the parsers read back); a host prefix
 * (/32, /128) is written as the bare address. */
void pol_format_prefix(const struct pol_prefix *p, char *out, size_t outlen);
void pol_format_service(const struct pol_service *v, char *out, size_t outlen);

/* ---- evaluation: the reference semantics ---- */

/* The outcome for one packet. */
struct pol_verdict {
	uint32_t rule_id;		/* 0: no rule matched (the default deny) */
	bool permit;
	bool log;			/* the rule's log flag; true for the default */
};

/*
 * The reference evaluator (and the oracle of the nftables tests): the
 * verdict of s for a packet from user (by name, ASCII case ignored; an
 * unknown user is in no group) to dst (family AF_INET / AF_INET6, 4 or 16
 * bytes, network order) with IP protocol proto (1 / 58 = icmp / icmpv6, 6,
 * 17, anything else) and destination port (used for tcp and udp only).
 * First matching rule wins; no match = deny.  Service "any" matches every
 * protocol; "icmp" matches 1 for IPv4 and 58 for IPv6 destinations.
 */
struct pol_verdict pol_eval(const struct pol_snapshot *s, const char *user, int family,
			    const uint8_t *dst, uint8_t proto, uint16_t port);

/* The user called name (ASCII case ignored) or NULL. */
const struct pol_user *pol_find_user(const struct pol_snapshot *s, const char *name);

/* Whether u is a member of user group gid. */
bool pol_user_in_group(const struct pol_user *u, uint32_t gid);

/* Whether prefix p contains address a (same family, 4 or 16 bytes). */
bool pol_prefix_contains(const struct pol_prefix *p, int family, const uint8_t *a);

/* Whether service v matches (proto, port) for a destination of family. */
bool pol_service_matches(const struct pol_service *v, int family, uint8_t proto,
			 uint16_t port);

/*
 * The destinations of family (AF_INET / AF_INET6) that user can reach by
 * some permit rule (denies ignored: the result is a superset of what
 * pol_eval permits, never a subset), together with the nextra prefixes of
 * extra of that family (e.g. the DNS servers handed out), as at most max
 * prefixes in ascending order: overlapping and adjacent prefixes merged
 * into the fewest exact prefixes; when more than max remain, neighbours are
 * replaced by their covering prefix, the one adding the fewest addresses
 * first.  Returns the count (0: nothing of family).
 */
size_t pol_user_dests(const struct pol_snapshot *s, const char *user, int family,
		      const struct pol_prefix *extra, size_t nextra,
		      struct pol_prefix *out, size_t max);

/* ---- snapshots from rag.db (policy.c) ---- */
struct sqlite3;

/*
 * Read the policy of rag.db (schema/rag/002_groups.sql, 003_policy.sql)
 * into a new snapshot with the given generation (references = 1).  0 or a
 * negative errno with err filled.
 */
int pol_load(struct sqlite3 *db, uint64_t generation, struct pol_snapshot **out,
	     char *err, size_t errlen);

/* Take / drop a reference (any thread; unref of NULL is a no-op; the last
 * unref frees). */
const struct pol_snapshot *pol_snapshot_ref(const struct pol_snapshot *s);
void pol_snapshot_unref(const struct pol_snapshot *s);

/* ---- ragd's current policy (ctl_policy.c) ---- */
struct ragd;

/* A consumer of policy changes (the nftables compiler). */
typedef void (*pol_changed_fn)(void *arg, const struct pol_snapshot *s);
#define POL_MAX_SUBSCRIBERS 4

/* At start, once rag.db is open: own connection, first snapshot.  0 or a
 * negative errno (logged). */
int ragd_policy_open(struct ragd *d);
/* At exit (after the subscribers are gone). */
void ragd_policy_close(struct ragd *d);

/*
 * THE "policy changed" point: rebuild the snapshot from rag.db with the
 * next generation, make it current and call every subscriber with it (loop
 * thread).  Every rule, group or membership change and every user addition
 * or deletion ends here.  0 or a negative errno (the old snapshot stays;
 * err filled).
 */
int ragd_policy_reload(struct ragd *d, char *err, size_t errlen);

/* The current snapshot, referenced (any thread; pol_snapshot_unref it).
 * NULL before ragd_policy_open. */
const struct pol_snapshot *ragd_policy_get(struct ragd *d);

/* Loop thread: call fn(arg, snapshot) now with the current snapshot and
 * after every change.  0 or -ENOSPC (more than POL_MAX_SUBSCRIBERS). */
int ragd_policy_subscribe(struct ragd *d, pol_changed_fn fn, void *arg);
void ragd_policy_unsubscribe(struct ragd *d, pol_changed_fn fn, void *arg);

#endif
