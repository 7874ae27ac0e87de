/*
 * sa_table.h — ragd's IKE SAs and their indices (issue 3: "O(1) SA lookup
 * by SPI ... design for 100,000 concurrent IKE SAs"):
 *
 *   by our SPI       the responder SPI (SPIr) of every IKE SA past
 *                    IKE_SA_INIT: where every later message is looked up;
 *   half-open        (SPIi, peer address and port) while IKE_SA_INIT is in
 *                    progress, so a retransmitted IKE_SA_INIT finds its SA
 *                    (RFC 7296 2.1) instead of creating a second one;
 *   by id            the number `rag-ctl sa list` shows and `sa kill --id`
 *                    takes;
 *   by user          the authenticated identity: INITIAL_CONTACT (2.4) and
 *                    `sa kill --user`;
 *   by ESP SPI       our inbound CHILD SA SPIs (XFRM expire events).
 *
 * All indices are intrusive hash tables (chains, hlist-style for O(1)
 * removal) that double when the load exceeds 1; hashes of attacker-chosen
 * keys (SPIs, addresses, names) are SipHash with a random per-table key.
 * Plus one list of all SAs for listings and shutdown (never walked on the
 * packet path).  Single-threaded: the event loop owns the table.
 */
#ifndef RAG_SA_TABLE_H
#define RAG_SA_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ike_exchange.h"
#include "kern.h"
#include "timer.h"
#include "workers.h"

#define RAG_SA_MAX_DEFAULT   200000	/* IKE SAs (all states) */
#define RAG_SA_USER_MAX      255	/* bytes of an identity / user name */
#define RAG_SA_QUEUE_MAX     72		/* datagrams waiting while busy
					 * (> IKE_MAX_FRAGMENTS) */

struct rag_hnode {
	struct rag_hnode *next, **pprev;
	uint64_t h;
};

struct rag_hidx {
	struct rag_hnode **b;
	size_t nb, n;
};

/* Index node of one CHILD SA slot (by our inbound ESP SPI). */
struct rag_child_node {
	struct rag_hnode n;
	struct rag_sa *sa;
	int idx;
	uint32_t spi;
	bool linked;
};

/*
 * Half-open SAs per source (RFC 7296 2.6 cookies per source, see
 * rag_sa_half_from): one node per source address that has half-open SAs
 * (IPv4: the address; IPv6: its /64, what one host or site can choose
 * freely), freed when its count drops to 0.  So there are never more
 * nodes than half-open SAs, which the table's max bounds.
 */
struct rag_src {
	struct rag_hnode n;
	uint8_t key[9];			/* family, then 4 bytes / the /64 */
	uint32_t n_half;
};

struct rag_dgram_q;	/* responder.c: queued datagrams of a busy SA */
struct rag_resp_gen;	/* responder.c: the configuration generation */

/* Kernel state of one CHILD SA slot (responder.c). */
struct rag_child_k {
	bool known;			/* the engine's slot is in use and seen */
	bool installed_in, installed_out;
	bool out_deferred;		/* rekeyed by the peer: our new outbound
					 * SA waits for the old one to go */
	bool failed;			/* installation failed (logged) */
	uint32_t reqid;
	uint32_t spi_in, spi_out;	/* as installed */
	uint32_t soft_s;		/* soft expire (our rekey), s after the add */
	struct kern_addr in_dst, out_dst;
	struct kern_policy *pol;	/* policies this slot owns (malloc) */
	size_t npol;
	uint64_t created_ms;
};

struct rag_sa {
	/* ---- table-owned ---- */
	uint64_t id;
	struct rag_hnode n_spi, n_half, n_id, n_user;
	struct rag_child_node cn[IKE_EXCH_MAX_CHILDREN];
	struct rag_sa *all_prev, *all_next;
	bool in_spi, in_half, in_user;
	struct rag_src *src;		/* counted there while half open */

	/* ---- keys (set before / through the table calls) ---- */
	uint8_t spi_i[8], spi_r[8];
	struct ike_endpoint local, remote;	/* current addresses */
	char user[RAG_SA_USER_MAX + 1];		/* "" until authenticated */

	/* ---- responder-owned ---- */
	struct ike_sa *ike;
	struct rag_resp_gen *gen;	/* configuration it runs with */
	bool natt;			/* the peer talks to our NAT-T port */
	bool busy;			/* a worker job owns ike */
	bool dying;			/* being torn down */
	bool auth_failed;		/* the failure is logged and counted */
	bool kill_requested, kill_sent;	/* sa kill: DELETE pending / out */
	uint8_t state;			/* snapshot of ike->state (loop-readable) */
	struct rag_job job;
	struct rag_dgram_q *q;		/* waiting datagrams (FIFO head) */
	unsigned int nq;
	void *job_priv;			/* the job's datagram / result */
	struct rag_timer t_half;	/* half-open timeout / IKE SA lifetime */
	struct rag_timer t_retx;	/* retransmission of our request */
	struct rag_timer t_dpd;		/* liveness after idle */
	struct rag_timer t_rekey;	/* our IKE SA rekey */
	unsigned int retx_count;
	bool retx_first;		/* t_retx sends the first transmission */
	uint64_t retx_start_ms;		/* first transmission of our request */
	uint64_t created_ms, established_ms, last_rx_ms;
	uint64_t last_esp_ms;		/* DPD: inbound ESP seen moving then */
	uint64_t dpd_esp_in;		/* DPD: inbound ESP bytes at that look */
	time_t established_wall;
	bool have_vip4, have_vip6;
	uint8_t vip4[16], vip6[16];
	bool route4, route6;		/* our host route to vip4 / vip6 is in */
	struct rag_child_k ck[IKE_EXCH_MAX_CHILDREN];
	char method[16];		/* how the peer authenticated */
	char algs[96];			/* IKE proposal text */
	char child_algs[96];		/* first CHILD proposal text */
	char kern_error[128];		/* last kernel failure, "" if none */
};

struct rag_sa_table {
	struct rag_hidx spi, half, id, user, child, src;
	struct rag_sa *all_head;
	size_t n, n_half, max;
	uint64_t next_id;
	uint8_t hkey[16];		/* crypto_shorthash key */
};

/* Empty table for at most max SAs (0 = RAG_SA_MAX_DEFAULT).  0 / -ENOMEM. */
int rag_sa_table_init(struct rag_sa_table *t, size_t max);

/* Free the indices (not the SAs: the responder frees them first). */
void rag_sa_table_free(struct rag_sa_table *t);

/*
 * Add sa (zeroed apart from spi_i, local and remote) as a half-open SA:
 * assigns sa->id and links it into the id, half-open and all lists, and
 * counts it for its source (sa->remote's address).
 * 0, -ENOSPC (table full), -EEXIST (same SPIi and peer already there),
 * -ENOMEM.
 */
int rag_sa_insert(struct rag_sa_table *t, struct rag_sa *sa);

/* Unlink sa from every index (it may then be freed). */
void rag_sa_remove(struct rag_sa_table *t, struct rag_sa *sa);

/* Index sa under our SPI (copied to sa->spi_r).  0, -EEXIST, -ENOMEM. */
int rag_sa_set_spi(struct rag_sa_table *t, struct rag_sa *sa, const uint8_t spi_r[8]);

/* IKE_SA_INIT is over: leave the half-open index (and counts). */
void rag_sa_half_done(struct rag_sa_table *t, struct rag_sa *sa);

/* Half-open SAs whose source is the address of ep (IPv6: the same /64),
 * ports ignored: O(1), for the per-source cookie threshold. */
uint32_t rag_sa_half_from(const struct rag_sa_table *t, const struct ike_endpoint *ep);

/* Set (or with user == NULL / len 0 clear) the identity index of sa.
 * Names longer than RAG_SA_USER_MAX are -ENAMETOOLONG. */
int rag_sa_set_user(struct rag_sa_table *t, struct rag_sa *sa, const char *user, size_t len);

/* Index CHILD SA idx of sa under our inbound ESP SPI (replacing an earlier
 * SPI of that slot).  0, -EINVAL (idx), -EEXIST (SPI in use), -ENOMEM. */
int rag_sa_child_set(struct rag_sa_table *t, struct rag_sa *sa, int idx, uint32_t spi_in);
void rag_sa_child_clear(struct rag_sa_table *t, struct rag_sa *sa, int idx);

/* Lookups: NULL when absent. */
struct rag_sa *rag_sa_by_spi(const struct rag_sa_table *t, const uint8_t spi_r[8]);
struct rag_sa *rag_sa_by_half(const struct rag_sa_table *t, const uint8_t spi_i[8],
			      const struct ike_endpoint *peer);
struct rag_sa *rag_sa_by_id(const struct rag_sa_table *t, uint64_t id);
/* *idx receives the CHILD slot. */
struct rag_sa *rag_sa_by_child(const struct rag_sa_table *t, uint32_t spi_in, int *idx);

/*
 * The SAs of user (exact, case-sensitive): up to max of them into out,
 * returns how many exist (may exceed max).  Cost: the SAs in user's hash
 * chain, never the whole table.
 */
size_t rag_sa_by_user(const struct rag_sa_table *t, const char *user, size_t len,
		      struct rag_sa **out, size_t max);

/* Iterate over all SAs (listings, shutdown): first, then next(sa). */
static inline struct rag_sa *rag_sa_first(const struct rag_sa_table *t)
{
	return t->all_head;
}

static inline struct rag_sa *rag_sa_next(const struct rag_sa *sa)
{
	return sa->all_next;
}

#endif
