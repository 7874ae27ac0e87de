/*
 * bench.h — rag-bench, the load generator of rag's benchmarks
 * (INTERFACES.md: "load generator (IKEv2 initiator built on libike) for
 * benchmarks; not installed by the package").
 *
 * rag-bench opens many IKE SAs against one responder, each with IKE_SA_INIT
 * and IKE_AUTH (RFC 7296 1.2), a CHILD SA and a CP request for a virtual
 * IPv4 address (3.15), from several source addresses and UDP ports, with at
 * most `concurrency` handshakes in flight and optionally at most `rate` new
 * handshakes per second.  Once every attempt has ended (established or
 * failed) the SAs are held for `hold` seconds, answering every request the
 * responder sends (liveness checks, CHILD and IKE rekeys, deletes), then
 * deleted (INFORMATIONAL Delete of the IKE SA, 1.4.1) unless no_delete.
 *
 * Work is split over `threads` threads, each running its own event loop
 * (epoll) over its own sockets and SAs; libike SAs are used by one thread
 * only.  Nothing is shared between threads but the read-only configuration
 * and the phase barrier.
 *
 * Every figure rag-bench prints is measured in that run: no figure is
 * printed for a quantity without samples (e.g. no latency when nothing was
 * established).
 *
 * Split: bench_opts.c (command line, credentials), bench_loop.c (the
 * threads and the SA life cycle), bench_report.c (merging and printing),
 * rag_bench.c (main).
 */
#ifndef RAG_BENCH_H
#define RAG_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ike.h"
#include "ike_exchange.h"
#include "ike_mschap.h"

/* Limits on what the command line controls (STYLE.md rule 6). */
#define BENCH_MAX_COUNT       10000000ull	/* IKE SAs in one run */
#define BENCH_MAX_CONCURRENCY 1000000ull
#define BENCH_MAX_RATE        10000000ull	/* handshakes per second */
#define BENCH_MAX_THREADS     64
#define BENCH_MAX_SOURCES     256		/* local addresses */
#define BENCH_MAX_PORTS       1024		/* sockets per local address */
#define BENCH_MAX_RETRIES     20
#define BENCH_MAX_HOLD_S      (7ull * 86400)
#define BENCH_MAX_REASONS     32		/* distinct failure reasons kept */
#define BENCH_REASON_LEN      96
#define BENCH_MAX_ROUNDS      4		/* COOKIE / INVALID_KE retries */
#define BENCH_MAX_SECRET      256		/* password file, bytes */

enum bench_auth {
	BENCH_AUTH_CERT = 1,		/* certificate of the client (pubkey) */
	BENCH_AUTH_EAP_MSCHAPV2 = 2,	/* EAP-MSCHAPv2 (RFC 7296 2.16) */
};

/* Everything the command line sets; bench_opts_parse() fills it. */
struct bench_opts {
	struct ike_endpoint target;
	struct ike_endpoint src[BENCH_MAX_SOURCES];	/* port 0 */
	size_t n_src;			/* 0 = the route's source address */
	unsigned int ports;		/* sockets per source address */
	unsigned int threads;
	uint64_t count;
	uint64_t concurrency;
	uint64_t rate;			/* new handshakes per second, 0 = no limit */
	uint64_t hold_s;
	uint32_t rto_ms;		/* first retransmission timeout */
	unsigned int retries;		/* retransmissions before giving up */
	uint16_t frag_mtu;
	bool no_delete;
	const char *ready_file;		/* setup figures written here, or NULL */
	const char *ike;		/* proposal lists, strongSwan syntax */
	const char *esp;
	enum bench_auth auth;
	const char *cert_file, *key_file, *ca_file;
	const char *id;			/* our IKE ID (IDi) */
	const char *remote_id;		/* IDr to send, or NULL */
	const char *eap_user;
	const char *password_file;
};

/* The engine configuration built from the options, shared read-only by
 * the threads (libike and OpenSSL objects used here are safe for
 * concurrent readers). */
struct bench_cfg {
	struct bench_opts o;
	struct ike_exch_cfg exch;
	struct ike_proposal ike_props[IKE_EXCH_MAX_PROPS];
	struct ike_proposal esp_props[IKE_EXCH_MAX_PROPS];
	uint8_t id[IKE_EXCH_MAX_ID];
	uint8_t remote_id[IKE_EXCH_MAX_ID];
	EVP_PKEY *key;
	uint8_t *cert_der[IKE_EXCH_MAX_CERTS];
	struct ike_chunk certs[IKE_EXCH_MAX_CERTS];
	X509_STORE *trust;
	struct ike_mschap_ctx *mschap;
	char password[BENCH_MAX_SECRET + 1];
};

struct bench_reason {
	char text[BENCH_REASON_LEN];
	uint64_t n;
};

/* What one thread (or, merged, the whole run) measured. */
struct bench_stats {
	size_t n_threads, n_sockets;	/* what the run used */
	/* setup phase */
	uint64_t attempted, established, failed;
	struct bench_reason reason[BENCH_MAX_REASONS];
	size_t n_reason;
	uint64_t reason_overflow;	/* failures whose reason did not fit */
	uint64_t retransmits, cookie_rounds, ke_rounds;
	uint64_t peak_inflight;		/* most handshakes in flight at once
					 * (merged: the sum of the threads') */
	uint32_t *lat_us;		/* handshake latencies, one per success */
	size_t n_lat;
	uint8_t (*vip4)[4];		/* assigned virtual addresses */
	size_t n_vip4;
	int64_t t_first_ns, t_last_ns;	/* first IKE_SA_INIT sent, last success */
	int64_t t_end_ns;		/* every attempt over */
	double cpu_s;			/* rag-bench's own user+system CPU time
					 * from the start to the end of the setup
					 * phase (all threads); < 0 = unknown */
	long maxrss_kib;		/* rag-bench's peak RSS at that point */
	/* traffic, all phases */
	uint64_t tx, tx_errors, rx, rx_unknown, rx_rejected;
	/* hold phase (and requests that arrived earlier) */
	uint64_t peer_requests, peer_liveness, peer_child_rekeys, peer_ike_rekeys;
	uint64_t peer_deletes;		/* IKE SAs the responder deleted */
	uint64_t up_at_hold_end;
	/* teardown */
	uint64_t del_sent, del_answered, del_timeouts;	/* timeouts: not confirmed */
	int64_t t_del_start_ns, t_del_end_ns;
};

/* ---- bench_opts.c ---- */

/* Parse argv (getopt_long; optind is reset).  Returns 0, 1 after --help
 * (usage printed to out), or -EINVAL with a message in err. */
int bench_opts_parse(int argc, char **argv, struct bench_opts *o, FILE *out,
		     char *err, size_t errlen);

/* Load proposals, credentials and identities for o into c (which takes a
 * copy of o).  Returns 0 or a negative errno with a message in err. */
int bench_cfg_load(struct bench_cfg *c, const struct bench_opts *o,
		   char *err, size_t errlen);
void bench_cfg_free(struct bench_cfg *c);

/* ---- bench_loop.c ---- */

/*
 * Run the benchmark.  When every attempt has ended, the merged setup
 * figures are written to o.ready_file (when set) and on_setup (may be NULL)
 * is called with them on the calling thread; then the hold phase starts.  The final merged figures go to *out (free with
 * bench_stats_free).  Returns 0, or a negative errno when the run could not
 * start (sockets, threads) with a message in err.
 */
int bench_run(const struct bench_cfg *c,
	      void (*on_setup)(const struct bench_cfg *c,
			       const struct bench_stats *s, void *arg),
	      void *arg, struct bench_stats *out, char *err, size_t errlen);

/* ---- bench_report.c ---- */

/* Count one failure under reason text (formatted). */
void bench_fail(struct bench_stats *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Add everything of src to dst (arrays appended; src stays as it is). */
int bench_stats_merge(struct bench_stats *dst, const struct bench_stats *src);
void bench_stats_free(struct bench_stats *s);
/* Nearest-rank percentile (0 < p <= 100) of the latencies, in
 * microseconds; sorts s->lat_us.  s->n_lat must be > 0. */
uint32_t bench_percentile(struct bench_stats *s, double p);
/* Distinct virtual addresses among s->vip4 (sorts it). */
size_t bench_distinct_vips(struct bench_stats *s);
/* The human report of the setup phase, and the key=value form written to
 * the ready file; then the hold / teardown report. */
void bench_print_setup(FILE *f, const struct bench_cfg *c, struct bench_stats *s);
void bench_print_keys(FILE *f, struct bench_stats *s);
void bench_print_end(FILE *f, const struct bench_cfg *c, const struct bench_stats *s);
/* bench_print_keys() into path atomically (temp file + rename), so that a
 * script polling for the file never reads half of it.  0 or -errno. */
int bench_write_ready(const char *path, struct bench_stats *s);

#endif
