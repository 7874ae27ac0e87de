/*
 * nft.h — ragd's nftables table (issue 4 point 2): the access policy
 * enforced in the kernel's forward and input hooks for traffic from
 * virtual IPs, through libnftables.  Like kern.h, a narrow interface of
 * plain values (addresses, user names, the policy snapshot) so that it can
 * move into a privileged helper process; it does not log (errors come back
 * as a negative errno with a message).
 *
 * What is ours.  ONE table, `table inet rag`; no other table or chain is
 * touched.  One ragd per network namespace holds it: a lock (an abstract
 * unix socket, which the kernel scopes to the namespace and releases when
 * the process dies) tells a second ragd (rag_nft_open fails with -EBUSY,
 * the table untouched) from the leftover of a crashed run (removed at
 * open).  rag_nft_close deletes it (SIGTERM).  (nftables' `flags owner`
 * would also drop the table on a crash, but ties every change to
 * libnftables' own netlink socket, and the per-connect element updates go
 * through a cheaper libnftnl socket of ours.)
 *
 * Life cycle:
 *   open       the table exists, empty: nothing is filtered yet;
 *   apply      the policy is compiled (nft_compile.h) and the whole table
 *              is swapped for the new one in ONE transaction: packets see
 *              either the old or the new policy, never none;
 *   vip_set /  a user's virtual IP comes / goes (IKE SA up / gone):
 *   vip_clear  queued; commit applies all queued changes as element
 *              adds/deletes in one nf_tables batch (not a table reload);
 *   poll       per-user counts of denials the rate limit kept out of the log.
 *
 * Before the first apply nothing is enforced (the caller decides when a
 * policy exists).  After it, a pool address that holds no registered
 * virtual IP is denied (fail closed while a registration is pending).
 *
 * One thread (the event loop).
 */
#ifndef RAG_NFT_H
#define RAG_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

#define RAG_NFT_TABLE          "rag"
#define RAG_NFT_NFLOG_GROUP    0x5241	/* "RA"; NFLOG group of every log rule */
#define RAG_NFT_SNAPLEN        160	/* bytes of a logged packet (headers) */
#define RAG_NFT_DENY_RATE      20	/* logged denials per second and user */
#define RAG_NFT_DENY_BURST     50
#define RAG_NFT_PERMIT_RATE    50	/* logged new permitted flows per second and user */
#define RAG_NFT_PERMIT_BURST   100
#define RAG_NFT_MAX_VIPS       (1u << 20)	/* registered virtual IPs */
#define RAG_NFT_ERR_MAX        512

struct rag_nft;

struct rag_nft_prefix {
	uint8_t family;			/* 0 = none, AF_INET, AF_INET6 */
	uint8_t len;
	uint8_t addr[16];
};

struct rag_nft_cfg {
	const char *table;		/* NULL: RAG_NFT_TABLE */
	uint16_t nflog_group;		/* 0: RAG_NFT_NFLOG_GROUP */
	uint32_t deny_rate, deny_burst;	/* 0: the defaults above */
	struct rag_nft_prefix pool4, pool6;	/* virtual address pools */
};

/* What the registry knows about a virtual IP. */
struct rag_nft_vip_info {
	uint8_t family;
	uint8_t addr[16];
	const char *user;		/* valid until the next call that changes n */
	uint64_t sa_id;
	bool active;			/* false: released (kept for late log lines) */
};

/* Compile and apply figures (benchmarks, logs). */
struct rag_nft_stats {
	size_t classes, elements, users, rules;
	uint64_t compile_us, apply_us;
};

/*
 * Create the (empty) table in the caller's network namespace, removing a
 * crashed run's leftover of the same name (*leftover = true then).
 * -EBUSY: another ragd runs in this network namespace; -EPROTONOSUPPORT:
 * no nf_tables netlink; others with the reason in err.
 */
int rag_nft_open(struct rag_nft **out, const struct rag_nft_cfg *cfg, bool *leftover,
		 char *err, size_t errlen);

/* Delete the table, free n (NULL is a no-op). */
void rag_nft_close(struct rag_nft *n);

/*
 * Compile s and swap the table for one enforcing it, with every active
 * virtual IP in its class (one transaction).  On error the previous policy
 * stays in force.  st (may be NULL) gets the figures.  The rate-limit
 * state and the suppressed counters start over: poll before.
 */
int rag_nft_apply(struct rag_nft *n, const struct pol_snapshot *s, struct rag_nft_stats *st,
		  char *err, size_t errlen);

/* Is a policy applied? */
bool rag_nft_enforcing(const struct rag_nft *n);

/*
 * Register (or update) the virtual IP addr (family AF_INET/AF_INET6,
 * network order) of user (policy name) and IKE SA sa_id / release it.
 * Queued until rag_nft_commit.  -EINVAL bad family, -ENOSPC over
 * RAG_NFT_MAX_VIPS, -ENOMEM; clearing an unknown address is a no-op.
 */
int rag_nft_vip_set(struct rag_nft *n, int family, const uint8_t *addr, const char *user,
		    uint64_t sa_id);
int rag_nft_vip_clear(struct rag_nft *n, int family, const uint8_t *addr);

/* Anything queued? */
bool rag_nft_pending(const struct rag_nft *n);

/*
 * Apply the queued changes (one transaction).  If that fails, the vIP maps
 * are rebuilt from the registry in one transaction; the error is returned
 * only when that fails too.
 */
int rag_nft_commit(struct rag_nft *n, char *err, size_t errlen);

/* The registry entry of addr (active or released): 0 or -ENOENT. */
int rag_nft_vip_find(const struct rag_nft *n, int family, const uint8_t *addr,
		     struct rag_nft_vip_info *out);

/* Read the per-user counters of suppressed log rows (denied packets, and
 * new permitted flows beyond their own rate); fn gets every address whose
 * count grew since the last poll (or apply), by how much and of which kind. */
typedef void (*rag_nft_supp_fn)(void *arg, const struct rag_nft_vip_info *v, bool permit,
				uint64_t count);
int rag_nft_poll_suppressed(struct rag_nft *n, rag_nft_supp_fn fn, void *arg, char *err,
			    size_t errlen);

/* Parse the JSON of `list set` of the suppression sets (libnftables output)
 * and call fn(arg, family, addr, packets) per element; returns the number
 * of elements or -EINVAL (exposed for tests). */
typedef void (*rag_nft_elem_fn)(void *arg, int family, const uint8_t *addr, uint64_t packets);
int rag_nft_parse_counters(const char *json, rag_nft_elem_fn fn, void *arg);

#endif
