/*
 * responder_int.h — private to the responder (responder.c, responder_cfg.c,
 * responder_kern.c, responder_ctl.c): its state, the configuration
 * generation, and the functions the files share.  Loop thread only, except
 * where noted.
 */
#ifndef RAG_RESPONDER_INT_H
#define RAG_RESPONDER_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "conf.h"
#include "ike_cookie.h"
#include "kern.h"
#include "net.h"
#include "policy.h"
#include "pool.h"
#include "responder.h"
#include "sa_table.h"
#include "timer.h"
#include "workers.h"

struct ike_mschap_ctx;

/* A datagram waiting for (or being processed by) a worker. */
struct rag_dgram_q {
	struct rag_dgram_q *next;
	struct ike_endpoint local, remote;
	bool natt;
	size_t len;
	uint8_t msg[];
};

/* What a worker job carries (sa->job_priv while busy). */
struct rag_jobdata {
	struct rag_dgram_q *d;
	bool response;			/* the datagram is a response */
	int rc;
	struct ike_buf out;
	struct ike_exch_result res;
};

/* One immutable configuration for the engine (see responder.h). */
struct rag_resp_gen {
	unsigned int refs;
	struct rag_resp *r;
	struct ike_exch_cfg cfg;
	struct ike_proposal ike_props[IKE_EXCH_MAX_PROPS];
	struct ike_proposal child_props[IKE_EXCH_MAX_PROPS];
	struct ike_chunk certs[IKE_EXCH_MAX_CERTS];
	uint8_t *der[IKE_EXCH_MAX_CERTS];
	EVP_PKEY *key;
	X509_STORE *trust;
	SSL_CTX *eap_tls;		/* EAP-TLS server context, or NULL */
	uint8_t id[RAG_CONF_ID_MAX + 1];
	struct ike_cp_reply cp_tmpl;	/* DNS, domain */
	/* split-tunnel = yes: TSr and INTERNAL_IP4/6_SUBNET per user from the
	 * access policy (responder_cfg.c), for the families handed out */
	bool split, split4, split6;
	struct pol_prefix split_dns[RAG_CONF_MAX_DNS];	/* always reachable */
	size_t n_split_dns;
	char domain[RAG_CONF_DOMAIN_MAX + 1];
	uint32_t dpd_s, ike_life_s, child_life_s, half_open_limit;
};

struct rag_resp {
	struct ragd *d;
	struct rag_net net;
	struct rag_sa_table tab;
	struct rag_timers timers;
	struct rag_workers *w;
	struct kern *kern;		/* NULL: no XFRM (reported at start) */
	/* second XFRM channel (no events) for the engine's SPI callbacks,
	 * which run on worker threads too; NULL: the engine picks SPIs */
	struct kern *kspi;
	pthread_mutex_t kspi_mu;
	pthread_mutex_t pool_mu;	/* pools: workers assign in cp_assign */
	struct rag_pool pool4, pool6;
	struct rag_resp_gen *gen;	/* for new SAs */
	struct ike_cookie_secret cookie_cur, cookie_prev;
	uint32_t cookie_ver;
	struct rag_timer t_cookie;
	struct ike_mschap_ctx *mschap;	/* EAP-MSCHAPv2 (MD4/DES), read-only */
	uint32_t next_reqid;
	uint8_t *rxbuf;
	size_t n_est, n_child, n_child_kernel;
	uint64_t dropped, cookies_sent;
	bool draining;			/* SIGTERM: DELETEs out, awaiting answers */
	bool stopping;
};

/* The SA a worker thread is processing (for the engine's callbacks). */

/* The SA a worker thread is processing (for the engine's callbacks). */
extern __thread struct rag_sa *rag_resp_cur;

/* responder.c */
uint64_t rag_resp_now_ms(void);
void ep_kaddr(const struct ike_endpoint *ep, struct kern_addr *k);
/* "SA 12 'alice' 192.0.2.10:4500" for log lines */
const char *sa_tag(const struct rag_sa *sa, char *out, size_t outlen);
/* the peer's identity as text (EAP user, certificate subject, IKE ID) */
size_t identity_text(const struct ike_sa *ike, char *out, size_t outlen);
void sa_destroy(struct rag_resp *r, struct rag_sa *sa, const char *reason, bool send_del);
int send_delete(struct rag_resp *r, struct rag_sa *sa, int idx);
/* `sa kill`, users hook: kernel state now, DELETE exchange, then gone */
void sa_kill(struct rag_resp *r, struct rag_sa *sa);

/* responder_cfg.c: the generation from the running configuration (refs 1)
 * or NULL with err; unref frees at 0 */
struct rag_resp_gen *gen_build(struct rag_resp *r, char *err, size_t errlen);
void gen_unref(struct rag_resp_gen *g);

/* responder_users.c: engine callbacks (worker threads), the auth outcome
 * (lockout, auth log) and connection log rows (event: enum connlog_event) */
int resp_nt_hash_cb(void *arg, const char *user, size_t len, struct ike_key *out);
int resp_psk_cb(void *arg, uint8_t id_type, const uint8_t *id, size_t len, struct ike_key *out);
void resp_auth_outcome(struct rag_resp *r, struct rag_sa *sa, bool success);
void resp_log_conn(struct rag_resp *r, struct rag_sa *sa, int event, const char *reason,
		   uint64_t bytes_in, uint64_t bytes_out);
/* the name sa is indexed under: the stored spelling of a known user (by
 * its certificate's subject when one is registered, else by name), else
 * identity_text() */
size_t resp_canonical_user(struct rag_resp *r, const struct rag_sa *sa, char *out,
			   size_t outlen);
/* (un)register the users hook that ends a deleted / locked user's SAs */
void resp_users_attach(struct rag_resp *r, bool attach);
/* sa's virtual IPs join (up) / leave its user's access-policy class (acl.h) */
void resp_acl_sa(struct rag_resp *r, const struct rag_sa *sa, bool up);

/* responder_kern.c */
/* engine callbacks (ike_exch_cfg child_spi_alloc / _free; any thread): the
 * inbound SPI of a new CHILD SA from XFRM_MSG_ALLOCSPI, and its larval
 * state removed when no CHILD SA came of it */
int resp_spi_alloc_cb(void *arg, const struct ike_sa *ike, uint32_t *spi);
void resp_spi_free_cb(void *arg, const struct ike_sa *ike, uint32_t spi);
void child_kern_remove(struct rag_resp *r, struct rag_sa *sa, int i);
/* the peer's addresses / encapsulation changed (MOBIKE, NAT): move slot
 * i's kernel SAs and policies in place; 0 or -errno (sa->kern_error) */
int child_kern_move(struct rag_resp *r, struct rag_sa *sa, int i);
/* host routes to sa's virtual IPs while it has policies (force: re-add
 * through the client's current path) */
void vip_routes_sync(struct rag_resp *r, struct rag_sa *sa, bool force);
/* ESP byte counters of sa's installed CHILD SAs (out may be NULL: only
 * the inbound ones are queried) */
void sa_bytes(struct rag_resp *r, const struct rag_sa *sa, uint64_t *in, uint64_t *out);
unsigned int children_sync(struct rag_resp *r, struct rag_sa *sa, int created, int rekeyed);

#endif
