/*
 * nft_compile.h — the access policy (policy.h) compiled into what nftables
 * looks up per packet, and the nftables text (libnftables syntax) of
 * ragd's one table.  Pure: no netlink, no globals, no logging; nft.c runs
 * the text, tests compare the compiled form against a first-match
 * reference evaluator.
 *
 * Model (issue 4 point 2: "per-packet cost must not grow with the number
 * of rules or users").  Users whose groups select the same rules share a
 * policy CLASS (the class key is the user's groups that appear in some
 * rule).  Per packet from a virtual IP nftables does:
 *
 *   1. vip4 / vip6: hash map  virtual IP -> "goto c<K>"  (the class chain);
 *   2. in c<K>, lookups in interval verdict maps
 *        daddr . l4proto . th dport -> accept | drop | goto p<ID> | goto d<ID>
 *      whose elements are DISJOINT boxes with first match resolved at
 *      compile time (every rule's boxes — destination prefix x service —
 *      cut by the boxes of the rules before it); no hit = the default deny.
 *
 * The maps of step 2 are per GROUP (g<G>v4/v6: the rules of one group,
 * resolved among themselves), so their size is bounded by the rules, not
 * by the number of group combinations users have; a class looks its
 * groups' maps up one after the other (one lookup for the usual user in
 * one group).  That is exact when the order of the lookups respects first
 * match: wherever boxes of two of the class's groups overlap with
 * different outcomes, the group whose rule comes first is looked up first.
 * The compiler derives that order per class; when the overlaps of a
 * class's groups contradict each other (a cycle), the class gets its own
 * map of all its rules resolved together (c<K>v4/v6, "merged").
 *
 * So the per-packet work is one hash lookup plus, per group of the user,
 * one lookup in a set holding only that group's boxes — never one rule
 * per (rule x user).  Services map to boxes as: any = every protocol and
 * port; icmp = protocol 1 (IPv4) / 58 (IPv6), any "port" (th dport of ICMP
 * is its checksum field); tcp/udp = protocol 6/17 and the port range.
 */
#ifndef RAG_NFT_COMPILE_H
#define RAG_NFT_COMPILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

__extension__ typedef unsigned __int128 nftc_u128;

/* Dimensions of a box. */
enum { NFTC_DIM_ADDR, NFTC_DIM_PROTO, NFTC_DIM_PORT, NFTC_DIMS };

/* Limits (STYLE.md rule 6): what one policy may compile to. */
#define NFTC_MAX_BOXES_DEFAULT  (1u << 20)	/* nftables elements, all classes */
#define NFTC_MAX_RULES          100000
#define NFTC_MAX_USERS          1000000
#define NFTC_MAX_GROUPS         4096		/* groups of one user */

/* A box: addresses (IPv4 in the low 32 bits), protocols, ports, all
 * inclusive; rule = index in the policy's rules (the first that matches
 * every point of the box). */
struct nftc_box {
	nftc_u128 lo[NFTC_DIMS], hi[NFTC_DIMS];
	uint32_t rule;
};

/* Disjoint boxes, first match resolved: one verdict map per family. */
struct nftc_map {
	struct nftc_box *box[2];	/* [0] IPv4 destinations, [1] IPv6 */
	size_t nbox[2];
};

/* The map of one user group (its rules only). */
struct nftc_group {
	uint32_t id;
	struct nftc_map m;
	bool used;			/* looked up by a class that is not merged */
};

struct nftc_class {
	uint32_t *groups;		/* the class key, ascending */
	size_t ngroups;
	bool merged;			/* one map of all the class's rules (m) */
	struct nftc_map m;
	size_t *seq;			/* else: p->groups indices, lookup order */
	size_t nseq;
	size_t nusers;			/* users of the snapshot in this class */
};

struct nftc_rule {
	uint32_t id;
	bool permit, log;
};

struct nftc_user {
	char *name;
	int cls;			/* -1: no rule applies (default deny) */
};

struct nftc_policy {
	uint64_t generation;
	struct nftc_rule *rules;
	size_t nrules;
	struct nftc_group *groups;	/* the groups of some class, ascending id */
	size_t ngroups;
	struct nftc_class *classes;
	size_t nclasses;
	size_t nmerged;			/* classes with a map of their own */
	struct nftc_user *users;	/* sorted by name, case-insensitive */
	size_t nusers;
	size_t nboxes;			/* elements over all maps */
};

/*
 * Compile snapshot s.  max_boxes bounds the elements (0 = the default).
 * Returns 0 with *out set, -EINVAL for a malformed snapshot (bad family,
 * prefix length, protocol or port range; err names the rule), -E2BIG when
 * the policy needs more than max_boxes elements or exceeds a limit above,
 * -ENOMEM.
 */
int nftc_compile(const struct pol_snapshot *s, size_t max_boxes, struct nftc_policy **out,
		 char *err, size_t errlen);

void nftc_free(struct nftc_policy *p);

/* The class of user name (case-insensitive), -1 when none applies or the
 * user is not in the policy. */
int nftc_user_class(const struct nftc_policy *p, const char *name);

/*
 * What the compiled form decides for a packet of class cls (-1 allowed) to
 * addr (network order; family AF_INET: 4 bytes, AF_INET6: 16) with IP
 * protocol proto and th-dport value port, looking up the maps as the class
 * chain does: the index of the deciding rule in p->rules, or -1 for the
 * default deny; -2 when a map has overlapping boxes (a compiler bug).
 * (Linear scans: for tests.)
 */
long nftc_lookup(const struct nftc_policy *p, int cls, int family, const uint8_t *addr,
		 uint8_t proto, uint16_t port);

/* ---- nftables text ---------------------------------------------------------------- */

/* A growable text buffer. */
struct nftc_text {
	char *s;
	size_t len, cap;
	bool oom;			/* an append failed: the text is incomplete */
};

void nftc_text_free(struct nftc_text *t);
void nftc_text_printf(struct nftc_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* What the table looks like apart from the policy. */
struct nftc_table_cfg {
	const char *table;		/* "rag": table inet <table> */
	uint16_t nflog_group;
	uint16_t snaplen;		/* bytes of each logged packet */
	uint32_t deny_rate;		/* logged denials per second and user */
	uint32_t deny_burst;
	uint32_t permit_rate;		/* logged new permitted flows per second and user */
	uint32_t permit_burst;
	uint32_t dyn_size;		/* entries of the per-user rate-limit sets */
	/* the virtual address pools: a pool address that holds no registered
	 * virtual IP is denied; family 0 = none */
	uint8_t pool4_family, pool4_len, pool4[16];
	uint8_t pool6_family, pool6_len, pool6[16];
};

/* A registered virtual IP: family AF_INET/AF_INET6, network order. */
struct nftc_vip {
	uint8_t family;
	uint8_t addr[16];
	int cls;			/* -1: default deny */
};

/*
 * Append the commands that create table inet <cfg->table> enforcing p (NULL: the table with no filtering, the state before the
 * first policy) with the vIP map holding vips.  replace: begin with
 * "delete table" so that the batch swaps the old table for the new one in
 * one transaction.
 */
void nftc_emit_table(struct nftc_text *t, const struct nftc_table_cfg *cfg,
		     const struct nftc_policy *p, const struct nftc_vip *vips, size_t nvips,
		     bool replace);

/* Append "add element" (add = true) or "delete element" for one vIP. */
void nftc_emit_vip(struct nftc_text *t, const struct nftc_table_cfg *cfg,
		   const struct nftc_vip *v, bool add);

/* NFLOG prefixes: "rag:p:<rule id>" (a new permitted flow), "rag:d:<rule
 * id>" (a denied packet), "rag:d:0" (the default deny). */
#define NFTC_PREFIX_PERMIT "rag:p:"
#define NFTC_PREFIX_DENY   "rag:d:"

#endif
