/*
 * responder.h — the IKEv2 responder inside ragd: glue between the event
 * loop (daemon.c), the sockets (net.h), the SA table (sa_table.h), the
 * timers (timer.h), the worker threads (workers.h), the address pool
 * (pool.h), the libike exchange engine (ike_exchange.h, responder role) and
 * the kernel (kern.h).
 *
 * Per datagram (event loop): classify (net.c), find the SA by SPIr or, for
 * IKE_SA_INIT, by (SPIi, peer) or create it (COOKIE first when more than
 * `half-open-limit` SAs are half open, RFC 7296 2.6); hand the SA and the
 * datagram to a worker, which runs ike_sa_handle_request_from(); back on
 * the loop, send the response (fragments when the engine made them) and
 * apply the side effects: SPI index, user index, INITIAL_CONTACT, kernel
 * ESP SAs and policies for new / rekeyed CHILD SAs, removal on DELETE,
 * virtual address release, timers (half-open timeout, DPD, rekey).
 *
 * Configuration: an immutable "generation" (struct ike_exch_cfg with the
 * proposals, our certificate chain and key, the CA store and the TS
 * policy) is built from the config; a reload makes a new one for new SAs
 * and SAs keep theirs (reference counted) until they end.
 *
 * Everything here runs on the event loop thread except the engine call and
 * the engine's callbacks (cp_assign: the pool is locked).
 */
#ifndef RAG_RESPONDER_H
#define RAG_RESPONDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ragd;
struct rag_resp;

/* Counts for `rag-ctl status` and sd_notify STATUS=. */
struct rag_resp_counts {
	size_t ike;		/* IKE SAs established */
	size_t half_open;	/* IKE_SA_INIT done or in progress, not authenticated */
	size_t child;		/* CHILD SAs established */
	size_t child_kernel;	/* ... of which installed in the kernel */
	uint64_t rx, tx, dropped;	/* datagrams */
};

/*
 * Start the IKE service for d: build the exchange configuration, open the
 * kernel channel (flushing leftovers of a crashed run) and the sockets,
 * start the workers and register their fds in d->epfd.  Returns 0 or a
 * negative errno (logged: why, which address/port).
 */
int rag_resp_start(struct ragd *d);

/* An epoll event with a tag from RAGD_TAG_NET / _WORKERS / _KERN. */
void rag_resp_event(struct ragd *d, uint32_t tag, uint32_t events);

/* Fire due timers; returns the next deadline (ms, CLOCK_MONOTONIC) or
 * UINT64_MAX. */
uint64_t rag_resp_timers(struct ragd *d, uint64_t now_ms);

/* The configuration was reloaded: new SAs use it.  0 or -errno (logged;
 * the previous generation stays in use). */
int rag_resp_reload(struct ragd *d);

/*
 * SIGTERM: send DELETE for every established IKE SA (RFC 7296 1.4.1), wait
 * briefly for the workers, remove every kernel state and policy we
 * installed (kern_flush_ours), close everything.  Safe when start failed.
 */
void rag_resp_stop(struct ragd *d);

void rag_resp_counts(const struct ragd *d, struct rag_resp_counts *c);

/* Text sink for listings (ctl_server.c's response buffer). */
typedef void (*rag_resp_emit)(void *arg, const char *text);

/*
 * `sa list [--user U]`: one line per IKE SA as "key=value" pairs separated
 * by spaces (id, user, state, remote, local, vip, algs, child-algs,
 * children, bytes-in, bytes-out, since, method), or with json a JSON array
 * of objects with the same keys.  user NULL = all.  Returns the count.
 */
size_t rag_resp_sa_list(struct ragd *d, const char *user, bool json,
			rag_resp_emit emit, void *arg);

/* `sa kill --user U` / `--id ID`: send DELETE, remove kernel state and the
 * SA.  Returns how many SAs were killed (0 = none matched). */
size_t rag_resp_sa_kill_user(struct ragd *d, const char *user);
size_t rag_resp_sa_kill_id(struct ragd *d, uint64_t id);

#endif
