/*
 * responder.c — the IKEv2 responder inside ragd (responder.h): datagram
 * dispatch, worker jobs, side effects (kernel, pool, indices), timers,
 * control commands and shutdown.
 */
#include "responder.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/x509.h>
#include <sodium.h>

#include "connlog.h"
#include "daemon.h"
#include "ike_mschap.h"
#include "ike_proposal.h"
#include "log.h"
#include "responder_int.h"

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Timing (milliseconds). */
#define HALF_OPEN_MS       30000	/* IKE_SA_INIT -> IKE_AUTH done */
/*
 * Retransmission of our requests (RFC 7296 2.1: only the requester
 * retransmits) and dead peer detection (2.4).  A request is sent, then
 * resent RETX_MAX times, each time after a timeout that doubles from
 * RETX_BASE_MS up to RETX_CAP_MS: sends at 0, 2, 6, 14 and 22 s; 8 s after
 * the last one (30 s after the first) the peer is declared dead and its
 * IKE SA and kernel state are removed.  So a client that vanishes is gone
 * `dpd` + 30 s after the last sign of life (ragd.conf(5), [timers] dpd).
 */
#define RETX_BASE_MS       2000
#define RETX_CAP_MS        8000
#define RETX_MAX           4		/* retransmissions, then the peer is dead */
#define RETX_MAX_KILL      2		/* sa kill: gone after 14 s at most */
#define COOKIE_ROTATE_MS   (5 * 60 * 1000)
/* Half-open SAs one source address (IPv6: one /64) may hold before its
 * next IKE_SA_INIT must carry a COOKIE (RFC 7296 2.6; ragd.conf(5)).  A
 * client has one, or two when it retries; a handful of devices behind one
 * NAT rarely connect within the same second or two; beyond that a cookie
 * costs a legitimate client one round trip, and a flooder from one address
 * (a spoofer cannot answer at all) no longer fills the global budget.
 * strongSwan's cookie_threshold_ip is 3. */
#define HALF_OPEN_PER_SRC  5
#define TIMERS_PER_TICK    10000	/* bounded work per tick */
#define STOP_DRAIN_MS      2000		/* SIGTERM: wait for DELETE answers */
#define AUTH_FAIL_LINGER_MS 5000	/* failed EAP: the client's last word */

__thread struct rag_sa *rag_resp_cur;

static void sa_submit_next(struct rag_resp *r, struct rag_sa *sa);

/* ---- small helpers ---------------------------------------------------------- */

uint64_t rag_resp_now_ms(void)
{
	return ragd_now_ms();
}

/* Endpoint -> kernel address. */
void ep_kaddr(const struct ike_endpoint *ep, struct kern_addr *k)
{
	memset(k, 0, sizeof(*k));
	k->family = ep->family == 4 ? AF_INET : AF_INET6;
	memcpy(k->addr, ep->addr, ep->family == 4 ? 4 : 16);
}

/* "id 12 user 'alice' peer 192.0.2.10:4500" prefix for log lines. */
const char *sa_tag(const struct rag_sa *sa, char *out, size_t outlen)
{
	char ep[64], q[RAG_QUOTE_MAX];

	rag_ep_str(&sa->remote, ep, sizeof(ep));
	if (sa->user[0])
		snprintf(out, outlen, "SA %llu %s %s", (unsigned long long)sa->id,
			 rag_quote_str(q, sizeof(q), sa->user), ep);
	else
		snprintf(out, outlen, "SA %llu %s", (unsigned long long)sa->id, ep);
	return out;
}

/* The peer's identity as text: the authenticated user name (EAP), the
 * certificate subject, or the IKE ID.  Returns the length. */
size_t identity_text(const struct ike_sa *ike, char *out, size_t outlen)
{
	size_t n = 0;

	out[0] = '\0';
	if (ike->auth.user_len) {
		n = ike->auth.user_len < outlen - 1 ? ike->auth.user_len : outlen - 1;
		memcpy(out, ike->auth.user, n);
	} else if (ike->peer_id_type == IKE_ID_IPV4_ADDR && ike->peer_id_len == 4) {
		inet_ntop(AF_INET, ike->peer_id, out, (socklen_t)outlen);
		n = strlen(out);
	} else if (ike->peer_id_type == IKE_ID_IPV6_ADDR && ike->peer_id_len == 16) {
		inet_ntop(AF_INET6, ike->peer_id, out, (socklen_t)outlen);
		n = strlen(out);
	} else if (ike->peer_id_type == IKE_ID_DER_ASN1_DN) {
		if (ike->auth.cert.present && ike->auth.cert.subject[0]) {
			snprintf(out, outlen, "%s", ike->auth.cert.subject);
		} else {
			const unsigned char *p = ike->peer_id;
			X509_NAME *nm = d2i_X509_NAME(NULL, &p, (long)ike->peer_id_len);

			if (nm) {
				X509_NAME_oneline(nm, out, (int)outlen);
				X509_NAME_free(nm);
			}
		}
		n = strlen(out);
	} else {
		n = ike->peer_id_len < outlen - 1 ? ike->peer_id_len : outlen - 1;
		memcpy(out, ike->peer_id, n);
	}
	/* control characters would break indices' users and log lines */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = '?';
	out[n] = '\0';
	return n;
}

/* ---- sending -------------------------------------------------------------------- */

/* Send one IKE message of sa (from its local address / port kind). */
static void sa_send(struct rag_resp *r, const struct ike_endpoint *local,
		    const struct ike_endpoint *remote, bool natt, const uint8_t *msg, size_t len)
{
	int rc = rag_net_send(&r->net, local, remote, natt, msg, len);

	if (rc < 0) {
		char ep[64];

		log_info("send to %s failed: %s", rag_ep_str(remote, ep, sizeof(ep)),
			 strerror(-rc));
	}
}

/* Send our response (its RFC 7383 fragments when the engine made them). */
static void send_response(struct rag_resp *r, struct rag_sa *sa, const struct rag_dgram_q *d,
			  const struct ike_buf *out)
{
	const struct ike_buf *frags;
	size_t n = sa->ike ? ike_sa_frags(sa->ike, true, &frags) : 0;

	if (n) {
		for (size_t i = 0; i < n; i++)
			sa_send(r, &d->local, &d->remote, d->natt, frags[i].data, frags[i].len);
		return;
	}
	sa_send(r, &d->local, &d->remote, d->natt, out->data, out->len);
}

/* (Re)send our pending request to the peer's current address. */
static void send_request(struct rag_resp *r, struct rag_sa *sa)
{
	const struct ike_buf *frags;
	size_t n = ike_sa_frags(sa->ike, false, &frags);

	if (n) {
		for (size_t i = 0; i < n; i++)
			sa_send(r, &sa->local, &sa->remote, sa->natt, frags[i].data,
				frags[i].len);
		return;
	}
	sa_send(r, &sa->local, &sa->remote, sa->natt, sa->ike->last_req_out.data,
		sa->ike->last_req_out.len);
}

/* We just built a request with a builder: send it and start the
 * retransmission timer (RFC 7296 2.1: we retransmit, the peer never does). */
static void request_start(struct rag_resp *r, struct rag_sa *sa)
{
	send_request(r, sa);
	sa->retx_count = 0;
	sa->retx_first = false;
	sa->retx_start_ms = rag_resp_now_ms();
	rag_timer_arm(&r->timers, &sa->t_retx, sa->retx_start_ms + rag_backoff_ms(0, RETX_BASE_MS,
										   RETX_CAP_MS));
}

/* As request_start(), but the first transmission waits delay_ms: a
 * DELETE that follows our IKE_AUTH response at once can overtake it
 * (the peer then drops it as not yet established). */
static void request_start_delayed(struct rag_resp *r, struct rag_sa *sa, uint64_t delay_ms)
{
	sa->retx_count = 0;
	sa->retx_first = true;
	rag_timer_arm(&r->timers, &sa->t_retx, rag_resp_now_ms() + delay_ms);
}

/* May we start a request on sa now (loop thread)? */
static bool can_request(const struct rag_sa *sa)
{
	return sa->ike && !sa->busy && !sa->dying && sa->ike->pend.kind == IKE_PEND_NONE &&
	       sa->ike->state == IKE_ST_ESTABLISHED;
}

/* Send DELETE for CHILD slot idx (< 0: the IKE SA), after delay_ms.
 * Returns 0 or -errno. */
static int send_delete_after(struct rag_resp *r, struct rag_sa *sa, int idx, uint64_t delay_ms)
{
	struct ike_buf out;
	int rc;

	if (!can_request(sa))
		return -EBUSY;
	ike_buf_init(&out);
	rc = ike_exch_delete_build(sa->ike, idx, &out);
	if (rc >= 0 && delay_ms)
		request_start_delayed(r, sa, delay_ms);
	else if (rc >= 0)
		request_start(r, sa);
	ike_buf_free(&out);
	return rc < 0 ? rc : 0;
}

/* Send DELETE for CHILD slot idx (< 0: the IKE SA) now. */
int send_delete(struct rag_resp *r, struct rag_sa *sa, int idx)
{
	return send_delete_after(r, sa, idx, 0);
}

/* ---- SA life ----------------------------------------------------------------------- */

static void t_half_fn(struct rag_timer *t, void *arg, uint64_t now);
static void t_dpd_fn(struct rag_timer *t, void *arg, uint64_t now);
static void t_retx_fn(struct rag_timer *t, void *arg, uint64_t now);
static void t_rekey_fn(struct rag_timer *t, void *arg, uint64_t now);

/* A zeroed rag_sa with its timers prepared, bound to generation g. */
static struct rag_sa *sa_alloc(struct rag_resp_gen *g)
{
	struct rag_sa *sa = calloc(1, sizeof(*sa));

	if (!sa)
		return NULL;
	sa->gen = g;
	g->refs++;
	rag_timer_init(&sa->t_half, t_half_fn, sa);
	rag_timer_init(&sa->t_dpd, t_dpd_fn, sa);
	rag_timer_init(&sa->t_retx, t_retx_fn, sa);
	rag_timer_init(&sa->t_rekey, t_rekey_fn, sa);
	sa->created_ms = rag_resp_now_ms();
	return sa;
}

/* Free the waiting datagrams of sa. */
static void queue_free(struct rag_sa *sa)
{
	while (sa->q) {
		struct rag_dgram_q *n = sa->q->next;

		free(sa->q);
		sa->q = n;
	}
	sa->nq = 0;
}

/*
 * Tear sa down: optionally send DELETE (RFC 7296 1.4.1), remove its kernel
 * state, give its virtual addresses back, leave every index, free it.
 * While a worker owns it, it is only marked and the job's completion
 * finishes the job.
 */
void sa_destroy(struct rag_resp *r, struct rag_sa *sa, const char *reason,
		       bool send_del)
{
	char tag[160];
	bool est = sa->established_ms != 0;

	if (sa->busy) {
		sa->dying = true;
		return;
	}
	if (est) {
		uint64_t bin, bout;

		sa_bytes(r, sa, &bin, &bout);	/* before the kernel state goes */
		resp_log_conn(r, sa, CONNLOG_DISCONNECT, reason, bin, bout);
	}
	if (send_del && sa->ike && sa->ike->state == IKE_ST_ESTABLISHED) {
		struct ike_buf out;

		/* a pending request of ours does not stop a DELETE at exit:
		 * it is sent once, unanswered requests are moot */
		ike_buf_init(&out);
		if (sa->ike->pend.kind == IKE_PEND_NONE &&
		    ike_exch_delete_build(sa->ike, -1, &out) >= 0)
			send_request(r, sa);
		ike_buf_free(&out);
	}
	for (int i = 0; i < IKE_EXCH_MAX_CHILDREN; i++) {
		if (!sa->ck[i].known)
			continue;
		child_kern_remove(r, sa, i);
		sa->ck[i].known = false;
		r->n_child--;
	}
	resp_acl_sa(r, sa, false);	/* its virtual IPs leave the access policy */
	pthread_mutex_lock(&r->pool_mu);
	if (sa->have_vip4)
		rag_pool_release(&r->pool4, sa->vip4);
	if (sa->have_vip6)
		rag_pool_release(&r->pool6, sa->vip6);
	pthread_mutex_unlock(&r->pool_mu);
	rag_timer_cancel(&r->timers, &sa->t_half);
	rag_timer_cancel(&r->timers, &sa->t_dpd);
	rag_timer_cancel(&r->timers, &sa->t_retx);
	rag_timer_cancel(&r->timers, &sa->t_rekey);
	if (est) {
		r->n_est--;
		log_notice("%s: IKE SA removed: %s (up %llu s)", sa_tag(sa, tag, sizeof(tag)),
			   reason, (unsigned long long)((rag_resp_now_ms() - sa->established_ms) / 1000));
	} else {
		log_info("%s: half-open IKE SA removed: %s", sa_tag(sa, tag, sizeof(tag)), reason);
	}
	rag_sa_remove(&r->tab, sa);
	queue_free(sa);
	ike_sa_free(sa->ike);
	gen_unref(sa->gen);
	free(sa);
}

/* Arm the DPD timer for dpd seconds after the last message from the peer. */
static void dpd_arm(struct rag_resp *r, struct rag_sa *sa)
{
	if (sa->gen->dpd_s && sa->established_ms)
		rag_timer_arm(&r->timers, &sa->t_dpd,
			      sa->last_rx_ms + (uint64_t)sa->gen->dpd_s * 1000u);
}

/* The IKE SA just became ESTABLISHED (IKE_AUTH done, or created by an IKE
 * rekey when adopted): indices, timers, INITIAL_CONTACT, the log line. */
static void sa_established(struct rag_resp *r, struct rag_sa *sa, bool initial_contact)
{
	char ident[RAG_SA_USER_MAX + 1], tag[160], vip[INET6_ADDRSTRLEN + 2] = "";
	size_t n = resp_canonical_user(r, sa, ident, sizeof(ident));

	rag_sa_half_done(&r->tab, sa);
	rag_timer_cancel(&r->timers, &sa->t_half);
	sa->established_ms = rag_resp_now_ms();
	sa->established_wall = time(NULL);
	r->n_est++;
	if (ike_proposal_format(&sa->ike->prop, sa->algs, sizeof(sa->algs)) < 0)
		snprintf(sa->algs, sizeof(sa->algs), "?");
	snprintf(sa->method, sizeof(sa->method), "%s", ike_peer_method_name(sa->ike->auth.method));
	if (rag_sa_set_user(&r->tab, sa, ident, n) < 0)
		rag_sa_set_user(&r->tab, sa, NULL, 0);
	resp_acl_sa(r, sa, true);	/* before any CHILD SA can carry traffic */
	if (initial_contact && n) {
		/* RFC 7296 2.4: the peer lost its state: remove the
		 * identity's other IKE SAs (without DELETE: it knows none) */
		struct rag_sa *old[64];
		size_t k = rag_sa_by_user(&r->tab, ident, n, old, 64);

		for (size_t i = 0; i < k && i < 64; i++)
			if (old[i] != sa)
				sa_destroy(r, old[i], "INITIAL_CONTACT from a new SA", false);
	}
	if (sa->have_vip4)
		inet_ntop(AF_INET, sa->vip4, vip, sizeof(vip));
	log_notice("%s: IKE SA established (%s, %s%s%s)", sa_tag(sa, tag, sizeof(tag)),
		   sa->method, sa->algs, vip[0] ? ", virtual IP " : "", vip);
	dpd_arm(r, sa);
	if (sa->gen->ike_life_s)
		rag_timer_arm(&r->timers, &sa->t_rekey, sa->established_ms +
			      rag_rekey_ms(sa->gen->ike_life_s, randombytes_random()));
}

/*
 * IKE SA rekey (RFC 7296 1.3.2 / 2.18): the engine made new_sa and moved
 * the CHILD SAs into it.  Make a rag_sa for it that takes over the old
 * one's identity, addresses, virtual IPs and kernel state (the kernel SAs
 * stay as they are).  Returns the new SA or NULL (new_sa freed).
 */
static struct rag_sa *sa_adopt(struct rag_resp *r, struct rag_sa *old, struct ike_sa *new_sa)
{
	struct rag_sa *sa = sa_alloc(old->gen);
	char tag[160];

	if (!sa) {
		ike_sa_free(new_sa);
		return NULL;
	}
	sa->ike = new_sa;
	memcpy(sa->spi_i, new_sa->spi_i, 8);
	sa->local = old->local;
	sa->remote = old->remote;
	sa->natt = old->natt;
	if (rag_sa_insert(&r->tab, sa) < 0 || rag_sa_set_spi(&r->tab, sa, new_sa->spi_r) < 0) {
		rag_sa_remove(&r->tab, sa);
		ike_sa_free(new_sa);
		gen_unref(sa->gen);
		free(sa);
		log_err("%s: IKE SA rekey: cannot index the new SA",
			sa_tag(old, tag, sizeof(tag)));
		return NULL;
	}
	sa->state = new_sa->state;
	sa->have_vip4 = old->have_vip4;
	sa->have_vip6 = old->have_vip6;
	memcpy(sa->vip4, old->vip4, 16);
	memcpy(sa->vip6, old->vip6, 16);
	sa->route4 = old->route4;	/* the routes go with the addresses */
	sa->route6 = old->route6;
	old->have_vip4 = old->have_vip6 = false;
	old->route4 = old->route6 = false;
	snprintf(sa->child_algs, sizeof(sa->child_algs), "%s", old->child_algs);
	for (int i = 0; i < IKE_EXCH_MAX_CHILDREN; i++) {
		int j;

		if (!old->ck[i].known)
			continue;
		j = ike_sa_find_child(new_sa, old->ck[i].spi_in);
		if (j < 0 || sa->ck[j].known)
			continue;	/* children_sync(old) removes it */
		sa->ck[j] = old->ck[i];
		memset(&old->ck[i], 0, sizeof(old->ck[i]));
		rag_sa_child_clear(&r->tab, old, i);
		rag_sa_child_set(&r->tab, sa, j, sa->ck[j].spi_in);
	}
	sa->last_rx_ms = rag_resp_now_ms();
	sa_established(r, sa, false);
	log_notice("%s: IKE SA rekeyed, replaces SA %llu", sa_tag(sa, tag, sizeof(tag)),
		   (unsigned long long)old->id);
	resp_log_conn(r, sa, CONNLOG_REKEY, "IKE SA rekeyed", 0, 0);
	return sa;
}

/* ---- termination by the administrator ---------------------------------------------- */

/* A requested kill goes on: DELETE as soon as no other request of ours is
 * outstanding (window size 1, RFC 7296 2.3); the answer removes the SA. */
static void sa_kill_progress(struct rag_resp *r, struct rag_sa *sa)
{
	if (!sa->kill_requested || sa->kill_sent || !can_request(sa))
		return;
	if (send_delete(r, sa, -1) == 0)
		sa->kill_sent = true;
	else
		sa_destroy(r, sa, "terminated by the administrator", false);
}

/* See responder_int.h. */
void sa_kill(struct rag_resp *r, struct rag_sa *sa)
{
	char tag[160];

	log_notice("%s: terminated by the administrator", sa_tag(sa, tag, sizeof(tag)));
	if (sa->busy || !sa->ike || sa->ike->state != IKE_ST_ESTABLISHED) {
		/* nothing to tell the peer (or a worker holds it: then it
		 * goes when the job is back) */
		if (!sa->busy && sa->ike && sa->ike->state == IKE_ST_ESTABLISHED)
			sa_destroy(r, sa, "terminated by the administrator", true);
		else if (!sa->busy)
			sa_destroy(r, sa, "terminated by the administrator", false);
		else
			sa->kill_requested = true;
		return;
	}
	/* the traffic stops now; the IKE SA ends with the DELETE exchange */
	for (int i = 0; i < IKE_EXCH_MAX_CHILDREN; i++)
		if (sa->ck[i].known)
			child_kern_remove(r, sa, i);
	sa->kill_requested = true;
	sa_kill_progress(r, sa);
}

/* ---- worker jobs -------------------------------------------------------------------- */

/* Worker thread: run the engine on the SA's datagram. */
static void job_run(struct rag_job *j)
{
	struct rag_sa *sa = container_of(j, struct rag_sa, job);
	struct rag_jobdata *jd = sa->job_priv;
	struct rag_dgram_q *d = jd->d;

	rag_resp_cur = sa;
	if (jd->response)
		jd->rc = ike_sa_handle_response(sa->ike, d->msg, d->len, &jd->res);
	else
		jd->rc = ike_sa_handle_request_from(sa->ike, d->msg, d->len, &d->local,
						    &d->remote, &jd->out, &jd->res);
	rag_resp_cur = NULL;
}

/* The peer's address or port changed (NAT mapping, RFC 7296 2.23 "port
 * floating", or MOBIKE, RFC 4555 3.5): take the new one and move the
 * kernel SAs and policies of sa along. */
static void sa_move(struct rag_resp *r, struct rag_sa *sa, const struct ike_endpoint *local,
		    const struct ike_endpoint *remote, bool natt)
{
	char tag[160], ep[64];
	bool new_addr = sa->remote.family != remote->family ||
			memcmp(sa->remote.addr, remote->addr, sizeof(remote->addr));

	if (!memcmp(&sa->remote, remote, sizeof(*remote)) &&
	    !memcmp(&sa->local, local, sizeof(*local)) && sa->natt == natt)
		return;
	sa->local = *local;
	sa->remote = *remote;
	sa->natt = natt;
	if (!sa->established_ms)
		return;
	log_notice("%s: peer moved to %s", sa_tag(sa, tag, sizeof(tag)),
		   rag_ep_str(remote, ep, sizeof(ep)));
	for (int i = 0; i < IKE_EXCH_MAX_CHILDREN; i++) {
		struct rag_child_k *k = &sa->ck[i];

		if (!k->known || !k->installed_in)
			continue;
		/* in place: same SPIs, replay state and counters */
		if (child_kern_move(r, sa, i) == 0)
			continue;
		log_warn("%s: CHILD SA %08x could not be moved (%s): reinstalling it",
			 sa_tag(sa, tag, sizeof(tag)), k->spi_in, sa->kern_error);
		/* reinstall with the new addresses (the keys are in the
		 * engine's CHILD SA) */
		child_kern_remove(r, sa, i);
		k->known = false;
		r->n_child--;
		rag_sa_child_clear(&r->tab, sa, i);
	}
	children_sync(r, sa, -1, -1);
	vip_routes_sync(r, sa, new_addr);	/* the path to the client changed */
}

/* Loop thread: a request's result. */
static void done_request(struct rag_resp *r, struct rag_sa *sa, struct rag_jobdata *jd)
{
	struct ike_exch_result *res = &jd->res;
	struct rag_dgram_q *d = jd->d;
	char tag[160];
	unsigned int failed = 0;
	bool was_half = !sa->in_spi;
	struct rag_sa *nsa = NULL;

	if (jd->rc == -EINPROGRESS)
		return;			/* a fragment stored */
	if (jd->rc < 0) {
		r->dropped++;
		log_debug("%s: request dropped: %s", sa_tag(sa, tag, sizeof(tag)),
			  strerror(-jd->rc));
		if (sa->ike->state == IKE_ST_IDLE)
			sa_destroy(r, sa, "invalid IKE_SA_INIT", false);
		return;
	}
	sa->last_rx_ms = rag_resp_now_ms();
	if (was_half) {
		/* IKE_SA_INIT answered */
		if (sa->ike->state != IKE_ST_INIT_DONE) {
			send_response(r, sa, d, &jd->out);
			log_info("%s: IKE_SA_INIT refused (notify %u%s)",
				 sa_tag(sa, tag, sizeof(tag)), (unsigned int)res->notify,
				 res->notify == IKE_N_NO_PROPOSAL_CHOSEN ? ", NO_PROPOSAL_CHOSEN" : "");
			sa_destroy(r, sa, "IKE_SA_INIT refused", false);
			return;
		}
		if (rag_sa_set_spi(&r->tab, sa, sa->ike->spi_r) < 0) {
			sa_destroy(r, sa, "SPI collision", false);
			return;
		}
		sa->local = d->local;
		sa->remote = d->remote;
		sa->natt = d->natt;
		send_response(r, sa, d, &jd->out);
		return;
	}
	/* authenticated request: follow the peer's address (2.23) */
	if (res->addr_changed)
		sa_move(r, sa, &d->local, &d->remote, d->natt);
	else if (sa->ike->state == IKE_ST_INIT_DONE || res->established)
		sa_move(r, sa, &d->local, &d->remote, d->natt);
	else if (sa->ike->nat_remote || d->natt)
		sa_move(r, sa, &d->local, &d->remote, d->natt);
	if (res->new_sa)
		nsa = sa_adopt(r, sa, res->new_sa);
	if (res->established) {
		sa_established(r, sa, res->initial_contact);
		resp_auth_outcome(r, sa, true);
		resp_log_conn(r, sa, CONNLOG_CONNECT, NULL, 0, 0);
	}
	/* kernel first, so inbound ESP works when the peer sees the answer */
	if (sa->ike->state == IKE_ST_ESTABLISHED || sa->ike->state == IKE_ST_REKEYED)
		failed = children_sync(r, sa, res->child, res->rekeyed_child);
	send_response(r, sa, d, &jd->out);
	if (sa->ike->state == IKE_ST_INIT_DONE && sa->ike->auth.fail && !sa->auth_failed) {
		/* EAP failed (an MSCHAPv2 Failure request is out, RFC 2759 /
		 * draft-kamath 2.3): log and count it now; the client gets a
		 * few seconds to acknowledge or give up */
		char ident[RAG_SA_USER_MAX + 1], q[RAG_QUOTE_MAX];

		sa->auth_failed = true;
		identity_text(sa->ike, ident, sizeof(ident));
		log_notice("%s: authentication of %s failed (%s): %s",
			   sa_tag(sa, tag, sizeof(tag)), rag_quote_str(q, sizeof(q), ident),
			   ike_peer_method_name(sa->ike->auth.method),
			   ike_auth_fail_name(sa->ike->auth.fail));
		resp_auth_outcome(r, sa, false);
		resp_log_conn(r, sa, CONNLOG_FAIL, ike_auth_fail_name(sa->ike->auth.fail), 0, 0);
		rag_timer_arm(&r->timers, &sa->t_half, rag_resp_now_ms() + AUTH_FAIL_LINGER_MS);
	}
	if (sa->ike->state == IKE_ST_FAILED && sa->auth_failed) {
		sa_destroy(r, sa, "IKE_AUTH failed", false);
		return;
	}
	if (sa->ike->state == IKE_ST_FAILED) {
		char ident[RAG_SA_USER_MAX + 1], q[RAG_QUOTE_MAX];

		identity_text(sa->ike, ident, sizeof(ident));
		log_notice("%s: authentication of %s failed (%s): %s",
			   sa_tag(sa, tag, sizeof(tag)), rag_quote_str(q, sizeof(q), ident),
			   ike_peer_method_name(sa->ike->auth.method),
			   res->notify == IKE_N_AUTHENTICATION_FAILED || sa->ike->auth.fail ?
			   ike_auth_fail_name(sa->ike->auth.fail) : "protocol error");
		resp_auth_outcome(r, sa, false);
		resp_log_conn(r, sa, CONNLOG_FAIL, sa->ike->auth.fail ?
			      ike_auth_fail_name(sa->ike->auth.fail) : "IKE_AUTH failed", 0, 0);
		sa_destroy(r, sa, "IKE_AUTH failed", false);
		return;
	}
	if (res->ike_deleted) {
		sa_destroy(r, sa, "deleted by the peer", false);
		return;
	}
	if (res->delete_child >= 0 && send_delete(r, sa, res->delete_child) < 0)
		log_info("%s: cannot delete redundant CHILD SA now",
			 sa_tag(sa, tag, sizeof(tag)));
	for (int i = 0; failed && i < IKE_EXCH_MAX_CHILDREN; i++) {
		if (!(failed & (1u << i)))
			continue;
		/* without kernel state the CHILD SA would black-hole the
		 * client's traffic: tell it (1.4.1) */
		if (send_delete_after(r, sa, i, 500) == 0)
			log_notice("%s: deleting the CHILD SA that could not be installed",
				   sa_tag(sa, tag, sizeof(tag)));
		break;	/* window size 1: the next after the answer */
	}
	dpd_arm(r, sa);
	sa_kill_progress(r, sa);
	(void)nsa;
}

/* Loop thread: the answer to one of our requests. */
static void done_response(struct rag_resp *r, struct rag_sa *sa, struct rag_jobdata *jd)
{
	struct ike_exch_result *res = &jd->res;
	char tag[160];
	unsigned int failed;

	if (jd->rc == -EBADMSG || jd->rc == -EALREADY || jd->rc == -EINPROGRESS) {
		if (jd->rc != -EINPROGRESS)
			r->dropped++;
		return;
	}
	sa->last_rx_ms = rag_resp_now_ms();
	rag_timer_cancel(&r->timers, &sa->t_retx);
	sa->retx_count = 0;
	if (jd->rc < 0 && jd->rc != -EAGAIN)
		log_info("%s: our request was refused: %s (notify %u)",
			 sa_tag(sa, tag, sizeof(tag)), strerror(-jd->rc),
			 (unsigned int)res->notify);
	if (res->new_sa) {
		struct ike_sa *new_ike = res->new_sa;
		struct rag_sa *nsa = sa_adopt(r, sa, new_ike);

		/* 2.8.2 collision: our new SA lost, delete it */
		if (nsa && res->delete_sa == new_ike && send_delete(r, nsa, -1) < 0)
			sa_destroy(r, nsa, "redundant after a rekey collision", false);
	}
	failed = children_sync(r, sa, res->child, res->rekeyed_child);
	if (res->ike_deleted) {
		sa_destroy(r, sa, sa->kill_requested ? "terminated by the administrator" :
			   "deleted", false);
		return;
	}
	if (res->delete_sa == sa->ike) {
		if (send_delete(r, sa, -1) < 0)
			sa_destroy(r, sa, "replaced by a rekeyed IKE SA", false);
		return;
	}
	if (res->delete_child >= 0)
		send_delete(r, sa, res->delete_child);
	else if (failed)
		for (int i = 0; i < IKE_EXCH_MAX_CHILDREN; i++)
			if (failed & (1u << i)) {
				send_delete(r, sa, i);
				break;
			}
	if (r->draining && can_request(sa)) {
		/* SIGTERM: our other request is answered, now the DELETE */
		send_delete(r, sa, -1);
		return;
	}
	/* CHILD SAs still uninstalled (we could not delete them earlier) */
	for (int i = 0; can_request(sa) && i < IKE_EXCH_MAX_CHILDREN; i++)
		if (sa->ck[i].known && sa->ck[i].failed) {
			send_delete(r, sa, i);
			break;
		}
	dpd_arm(r, sa);
	sa_kill_progress(r, sa);
}

/* Loop thread: a worker finished sa's job. */
static void job_done(struct rag_job *j)
{
	struct rag_sa *sa = container_of(j, struct rag_sa, job);
	struct rag_jobdata *jd = sa->job_priv;
	struct rag_resp *r = sa->gen->r;
	uint64_t id = sa->id;

	sa->busy = false;
	sa->job_priv = NULL;
	if (!j->cancelled && !sa->dying) {
		if (jd->response)
			done_response(r, sa, jd);
		else
			done_request(r, sa, jd);
	} else {
		sa_destroy(r, sa, sa->dying ? "terminated" : "stopped", false);
	}
	ike_buf_free(&jd->out);
	free(jd->d);
	free(jd);
	/* sa may be gone (ids are never reused): the next datagram */
	sa = rag_sa_by_id(&r->tab, id);
	if (sa)
		sa_submit_next(r, sa);
}

/* Hand sa's next waiting datagram to a worker (nothing when busy). */
static void sa_submit_next(struct rag_resp *r, struct rag_sa *sa)
{
	struct rag_dgram_q *d;
	struct rag_jobdata *jd;

	if (sa->busy || !sa->q || sa->dying || r->stopping)
		return;
	jd = calloc(1, sizeof(*jd));
	if (!jd)
		return;
	d = sa->q;
	sa->q = d->next;
	sa->nq--;
	d->next = NULL;
	jd->d = d;
	jd->response = (d->msg[19] & IKE_FLAG_RESPONSE) != 0;
	ike_buf_init(&jd->out);
	sa->job_priv = jd;
	sa->job.run = job_run;
	sa->job.done = job_done;
	sa->busy = true;
	if (rag_workers_submit(r->w, &sa->job) < 0) {
		sa->busy = false;
		sa->job_priv = NULL;
		r->dropped++;
		free(d);
		free(jd);
	}
}

/* Queue a copy of datagram dg for sa (bounded), then run it if idle. */
static void sa_enqueue(struct rag_resp *r, struct rag_sa *sa, const struct rag_dgram *dg)
{
	struct rag_dgram_q *d, **pp;

	if (sa->dying || sa->nq >= RAG_SA_QUEUE_MAX) {
		r->dropped++;
		return;
	}
	d = malloc(sizeof(*d) + dg->len);
	if (!d) {
		r->dropped++;
		return;
	}
	d->next = NULL;
	d->local = dg->local;
	d->remote = dg->remote;
	d->natt = dg->natt;
	d->len = dg->len;
	memcpy(d->msg, dg->msg, dg->len);
	for (pp = &sa->q; *pp; pp = &(*pp)->next)
		;
	*pp = d;
	sa->nq++;
	sa_submit_next(r, sa);
}

/* ---- datagrams ---------------------------------------------------------------------- */

/* A new IKE_SA_INIT request (SPIr = 0): a COOKIE first (RFC 7296 2.6)
 * when more than `half-open-limit` SAs are half open, or when its source
 * address (IPv6: its /64) has HALF_OPEN_PER_SRC of them already, so that
 * one address cannot fill the table; else a new half-open SA. */
static void new_init(struct rag_resp *r, const struct rag_dgram *dg)
{
	struct rag_resp_gen *g = r->gen;
	struct rag_sa *sa;
	struct ike_sa *ike;
	int rc;

	if (r->tab.n_half >= g->half_open_limit ||
	    rag_sa_half_from(&r->tab, &dg->remote) >= HALF_OPEN_PER_SRC) {
		struct ike_buf out;

		ike_buf_init(&out);
		rc = ike_cookie_check(&r->cookie_cur, &r->cookie_prev, dg->msg, dg->len,
				      &dg->remote, &out);
		if (rc == 1) {
			sa_send(r, &dg->local, &dg->remote, dg->natt, out.data, out.len);
			r->cookies_sent++;
		}
		ike_buf_free(&out);
		if (rc != 0 && rc != -EPROTONOSUPPORT && rc != -ENOTSUP) {
			if (rc < 0)
				r->dropped++;
			return;
		}
	}
	if (ike_sa_new(&g->cfg, false, &dg->local, &dg->remote, &ike) < 0) {
		r->dropped++;
		return;
	}
	sa = sa_alloc(g);
	if (!sa) {
		ike_sa_free(ike);
		r->dropped++;
		return;
	}
	sa->ike = ike;
	memcpy(sa->spi_i, dg->msg, 8);
	sa->local = dg->local;
	sa->remote = dg->remote;
	sa->natt = dg->natt;
	rc = rag_sa_insert(&r->tab, sa);
	if (rc < 0) {
		ike_sa_free(ike);
		gen_unref(sa->gen);
		free(sa);
		r->dropped++;
		return;
	}
	rag_timer_arm(&r->timers, &sa->t_half, rag_resp_now_ms() + HALF_OPEN_MS);
	sa_enqueue(r, sa, dg);
}

/* Route one IKE message to its SA (RFC 7296 2.21: drop what fits none). */
static void on_dgram(struct rag_resp *r, const struct rag_dgram *dg)
{
	static const uint8_t zero[8];
	const uint8_t *m = dg->msg;
	struct rag_sa *sa;

	if (!memcmp(m + 8, zero, 8)) {
		if (r->draining) {
			r->dropped++;	/* shutting down: no new SAs */
			return;
		}
		/* SPIr 0: only an IKE_SA_INIT request from the initiator */
		if (m[18] != IKE_SA_INIT || (m[19] & IKE_FLAG_RESPONSE) ||
		    !(m[19] & IKE_FLAG_INITIATOR) || !memcmp(m, zero, 8)) {
			r->dropped++;
			return;
		}
		sa = rag_sa_by_half(&r->tab, m, &dg->remote);
		if (sa) {
			sa_enqueue(r, sa, dg);	/* a retransmission (2.1) */
			return;
		}
		new_init(r, dg);
		return;
	}
	sa = rag_sa_by_spi(&r->tab, m + 8);
	if (!sa || memcmp(sa->spi_i, m, 8)) {
		r->dropped++;
		return;
	}
	sa_enqueue(r, sa, dg);
}

/* Read what socket i has (bounded per wake-up so one flood cannot starve
 * the other sockets; epoll is level-triggered and comes back). */
static void net_readable(struct rag_resp *r, size_t i)
{
	for (int k = 0; k < RAG_NET_RECV_BATCH; k++) {
		struct rag_dgram dg;
		int rc = rag_net_recv(&r->net, i, r->rxbuf, RAG_NET_BUF, &dg);

		if (rc == -EAGAIN)
			return;
		if (rc < 0) {
			log_debug("IKE socket %zu: %s", i, strerror(-rc));
			return;
		}
		if (rc == 1)
			on_dgram(r, &dg);
	}
}

/* ---- timers ----------------------------------------------------------------------- */

/* IKE_SA_INIT / IKE_AUTH did not finish in time. */
static void t_half_fn(struct rag_timer *t, void *arg, uint64_t now)
{
	struct rag_sa *sa = arg;

	(void)t;
	(void)now;
	if (sa->established_ms)
		return;
	if (!sa->busy && sa->ike && sa->ike->auth.method != IKE_PM_NONE && !sa->auth_failed) {
		char tag[160], ident[RAG_SA_USER_MAX + 1], q[RAG_QUOTE_MAX];

		identity_text(sa->ike, ident, sizeof(ident));
		log_notice("%s: %s: authentication did not complete (%s)",
			   sa_tag(sa, tag, sizeof(tag)), rag_quote_str(q, sizeof(q), ident),
			   ike_peer_method_name(sa->ike->auth.method));
	}
	sa_destroy(sa->gen->r, sa, "half-open timeout", false);
}

/*
 * Nothing from the peer for `dpd`: RFC 7296 2.4 liveness check ("... if
 * there has only been outgoing traffic on all of the SAs associated with
 * an IKE SA, it is essential to confirm liveness of the other endpoint").
 * Inbound ESP counts as a sign of life: when the byte counters of the
 * inbound CHILD SAs moved since the last look, the check is put off by
 * another `dpd` (one GETAE per inbound SA instead of an exchange).
 */
static void t_dpd_fn(struct rag_timer *t, void *arg, uint64_t now)
{
	struct rag_sa *sa = arg;
	struct rag_resp *r = sa->gen->r;
	uint64_t dpd_ms = (uint64_t)sa->gen->dpd_s * 1000u;
	uint64_t last = sa->last_rx_ms > sa->last_esp_ms ? sa->last_rx_ms : sa->last_esp_ms;
	uint64_t esp_in;
	struct ike_buf out;

	if (now < last + dpd_ms) {
		rag_timer_arm(&r->timers, t, last + dpd_ms);
		return;
	}
	sa_bytes(r, sa, &esp_in, NULL);
	if (esp_in != sa->dpd_esp_in) {
		sa->dpd_esp_in = esp_in;
		sa->last_esp_ms = now;
		rag_timer_arm(&r->timers, t, now + dpd_ms);
		return;
	}
	if (!can_request(sa)) {
		/* busy, or our own request is out (its retransmissions
		 * detect a dead peer as well): look again later */
		rag_timer_arm(&r->timers, t, now + 1000);
		return;
	}
	ike_buf_init(&out);
	if (ike_exch_liveness_build(sa->ike, &out) >= 0)
		request_start(r, sa);
	ike_buf_free(&out);
}

/* What our pending request is, for log lines and the connection log. */
static const char *pend_name(uint8_t kind)
{
	switch (kind) {
	case IKE_PEND_LIVENESS: return "liveness check";
	case IKE_PEND_CHILD_NEW: return "CREATE_CHILD_SA request";
	case IKE_PEND_CHILD_REKEY: return "CHILD SA rekey";
	case IKE_PEND_IKE_REKEY: return "IKE SA rekey";
	case IKE_PEND_DELETE_CHILD:
	case IKE_PEND_DELETE_IKE: return "DELETE";
	default: return "request";
	}
}

/* Our request is unanswered: retransmit with back-off, or give up. */
static void t_retx_fn(struct rag_timer *t, void *arg, uint64_t now)
{
	struct rag_sa *sa = arg;
	struct rag_resp *r = sa->gen->r;

	if (sa->busy) {
		rag_timer_arm(&r->timers, t, now + 200);
		return;
	}
	if (sa->ike->pend.kind == IKE_PEND_NONE)
		return;
	if (sa->retx_first) {
		/* a delayed first transmission (request_start_delayed) */
		sa->retx_first = false;
		sa->retx_start_ms = now;
		send_request(r, sa);
		rag_timer_arm(&r->timers, t, now + rag_backoff_ms(0, RETX_BASE_MS, RETX_CAP_MS));
		return;
	}
	if (sa->retx_count >= (sa->kill_requested ? RETX_MAX_KILL : RETX_MAX)) {
		char why[128];

		snprintf(why, sizeof(why), "peer dead: no answer to %u transmissions of our %s "
			 "in %llu s", sa->retx_count + 1, pend_name(sa->ike->pend.kind),
			 (unsigned long long)((now - sa->retx_start_ms) / 1000));
		sa_destroy(r, sa, why, false);
		return;
	}
	sa->retx_count++;
	send_request(r, sa);
	rag_timer_arm(&r->timers, t, now + rag_backoff_ms(sa->retx_count, RETX_BASE_MS,
							  RETX_CAP_MS));
}

/* The IKE SA approaches ike-lifetime: rekey it ourselves (RFC 7296 1.3.2,
 * 2.8) unless the peer has done so. */
static void t_rekey_fn(struct rag_timer *t, void *arg, uint64_t now)
{
	struct rag_sa *sa = arg;
	struct rag_resp *r = sa->gen->r;
	struct ike_buf out;
	char tag[160];
	int rc;

	if (sa->ike->state != IKE_ST_ESTABLISHED)
		return;		/* rekeyed by the peer already: it is going away */
	if (!can_request(sa)) {
		rag_timer_arm(&r->timers, t, now + 2000);
		return;
	}
	ike_buf_init(&out);
	rc = ike_rekey_ike_build(sa->ike, &out);
	ike_buf_free(&out);
	if (rc < 0) {
		log_err("%s: IKE SA rekey: %s; deleting it at its lifetime",
			sa_tag(sa, tag, sizeof(tag)), strerror(-rc));
		sa_destroy(r, sa, "lifetime reached, rekey impossible", true);
		return;
	}
	log_info("%s: rekeying the IKE SA", sa_tag(sa, tag, sizeof(tag)));
	request_start(r, sa);
}

/* Rotate the cookie secret (RFC 7296 2.6: "... change the value of
 * <secret> frequently, especially under attack"). */
static void t_cookie_fn(struct rag_timer *t, void *arg, uint64_t now)
{
	struct rag_resp *r = arg;

	ike_key_free(&r->cookie_prev.key);
	r->cookie_prev = r->cookie_cur;
	memset(&r->cookie_cur, 0, sizeof(r->cookie_cur));
	if (ike_cookie_secret_new(&r->cookie_cur, ++r->cookie_ver) < 0)
		log_err("cookie secret: out of memory");
	rag_timer_arm(&r->timers, t, now + COOKIE_ROTATE_MS);
}

/* ---- XFRM events ---------------------------------------------------------------- */

/* An expire of one of our SAs: soft -> rekey the CHILD SA (RFC 7296 2.8),
 * hard -> the kernel removed it: delete the CHILD SA. */
static void kern_expire_fn(const struct kern_expire *ev, void *arg)
{
	struct rag_resp *r = arg;
	struct rag_sa *sa = NULL;
	char tag[160];
	int idx = -1;
	struct ike_buf out;

	/* inbound SAs expire first (same lifetime, added first); an
	 * outbound expire is not indexed and ignored */
	sa = rag_sa_by_child(&r->tab, ev->spi, &idx);
	if (!sa || sa->busy)
		return;
	if (ev->hard) {
		sa->ck[idx].installed_in = false;	/* the kernel dropped it */
		log_notice("%s: CHILD SA %08x expired (hard)", sa_tag(sa, tag, sizeof(tag)),
			   ev->spi);
		send_delete(r, sa, idx);
		return;
	}
	if (!can_request(sa))
		return;		/* the peer or a later event rekeys it */
	ike_buf_init(&out);
	if (ike_child_build(sa->ike, idx, sa->ike->child[idx].dh, &out) >= 0) {
		log_info("%s: rekeying CHILD SA %08x", sa_tag(sa, tag, sizeof(tag)), ev->spi);
		request_start(r, sa);
	}
	ike_buf_free(&out);
}

/* ---- public API --------------------------------------------------------------------- */

/* Add fd to d's epoll set with tag. */
static int watch_fd(struct ragd *d, int fd, uint32_t tag)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = tag;
	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* Pools from [pool]; 0 or -EINVAL (logged). */
static int pools_init(struct rag_resp *r)
{
	const struct rag_config *c = r->d->cfg;
	int rc;

	if (c->pool4.family) {
		rc = rag_pool_init(&r->pool4, AF_INET, c->pool4.addr, c->pool4.prefix, 0);
		if (rc < 0) {
			log_err("[pool] ipv4: unusable as a pool (prefix 8..32): %s",
				strerror(-rc));
			return rc;
		}
	}
	if (c->pool6.family) {
		rc = rag_pool_init(&r->pool6, AF_INET6, c->pool6.addr, c->pool6.prefix, 0);
		if (rc < 0) {
			log_err("[pool] ipv6: unusable as a pool (prefix 64..126): %s",
				strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/*
 * The pools' unreachable routes (kern.h): addresses without a connected
 * client are refused (ICMP unreachable) instead of leaving through a less
 * specific route, e.g. the default route, in the clear; each connected
 * client's virtual IP gets a host route of its own (vip_routes_sync).  A
 * route for exactly the pool that is not ours is kept (logged).
 */
static void pool_routes(struct rag_resp *r)
{
	const struct rag_config *c = r->d->cfg;

	for (int f = 0; f < 2; f++) {
		const struct rag_cidr *p = f == 0 ? &c->pool4 : &c->pool6;
		struct kern_ts ts;
		char txt[INET6_ADDRSTRLEN];
		int rc;

		if (!p->family)
			continue;
		memset(&ts, 0, sizeof(ts));
		ts.family = p->family;
		ts.prefix = p->prefix;
		memcpy(ts.addr, p->addr, p->family == AF_INET ? 4 : 16);
		inet_ntop(p->family, p->addr, txt, sizeof(txt));
		rc = kern_route_add_unreachable(r->kern, &ts);
		if (rc == -EEXIST)
			log_notice("a route for the pool %s/%u exists (not ragd's): kept; pool "
				   "addresses without a client follow it", txt,
				   (unsigned int)p->prefix);
		else if (rc < 0)
			log_warn("unreachable route for the pool %s/%u: %s", txt,
				 (unsigned int)p->prefix, strerror(-rc));
	}
}

/* Kernel channel: open, flush leftovers, check the host.  A missing XFRM
 * is not fatal for IKE (logged loudly: CHILD SAs cannot be installed). */
static void kern_init(struct rag_resp *r)
{
	const struct rag_config *c = r->d->cfg;
	struct kern_flush_stats fs = { 0, 0 };
	struct kern_check_req req;
	struct kern_check chk;
	int rc = kern_open(&r->kern);

	if (rc < 0) {
		log_err("kernel XFRM unavailable (%s): IKE is served but no CHILD SA can be "
			"installed", strerror(-rc));
		r->kern = NULL;
		return;
	}
	rc = kern_open_channel(&r->kspi, false);
	if (rc < 0) {
		log_warn("second XFRM channel: %s; inbound SPIs are chosen at random instead "
			 "of by the kernel", strerror(-rc));
		r->kspi = NULL;
	}
	if (kern_flush_ours(r->kern, &fs) == 0 && (fs.states || fs.policies))
		log_notice("removed %zu XFRM states and %zu policies left by an earlier run",
			   fs.states, fs.policies);
	memset(&req, 0, sizeof(req));
	memset(&chk, 0, sizeof(chk));
	for (size_t i = 0; i < c->n_listen; i++)
		if (c->listen[i].family == AF_INET6)
			req.listen6 = true;
	req.pool4.family = c->pool4.family;
	memcpy(req.pool4.addr, c->pool4.addr, 4);
	req.pool4.prefix = c->pool4.prefix;
	req.pool6.family = c->pool6.family;
	memcpy(req.pool6.addr, c->pool6.addr, 16);
	req.pool6.prefix = c->pool6.prefix;
	kern_check_host(r->kern, &req, &chk);
	for (size_t i = 0; i < chk.n; i++) {
		if (chk.msg[i].fatal)
			log_err("host check: %s", chk.msg[i].text);
		else
			log_warn("host check: %s", chk.msg[i].text);
	}
	if (chk.n_fatal)
		log_err("host check: %zu problem(s) above prevent ESP: IKE is served, but "
			"CHILD SAs will fail to install until they are fixed", chk.n_fatal);
	pool_routes(r);
}

/* See responder.h. */
int rag_resp_start(struct ragd *d)
{
	struct rag_resp *r = calloc(1, sizeof(*r));
	char err[512];
	uint16_t ike_port, natt_port;
	int rc;

	if (!r)
		return -ENOMEM;
	d->resp = r;
	r->d = d;
	pthread_mutex_init(&r->pool_mu, NULL);
	pthread_mutex_init(&r->kspi_mu, NULL);
	r->next_reqid = KERN_REQID_MIN;
	r->rxbuf = malloc(RAG_NET_BUF);
	if (!r->rxbuf || rag_sa_table_init(&r->tab, 0) < 0 ||
	    rag_timers_init(&r->timers, 0) < 0) {
		log_err("IKE service: out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < RAG_NET_MAX_SOCKS; i++)
		r->net.s[i].fd = -1;
	rc = rag_net_ports(&ike_port, &natt_port, err, sizeof(err));
	if (rc < 0) {
		log_err("IKE ports: %s", err);
		return rc;
	}
	if (ike_port != RAG_NET_IKE_PORT || natt_port != RAG_NET_NATT_PORT)
		log_notice("IKE ports overridden by the environment: %u and %u (NAT-T)",
			   (unsigned int)ike_port, (unsigned int)natt_port);
	if (ike_mschap_ctx_new(&r->mschap) < 0) {
		/* no MD4/DES (OpenSSL legacy provider): EAP-MSCHAPv2 is off */
		log_warn("EAP-MSCHAPv2 unavailable: OpenSSL's legacy provider (MD4, DES) "
			 "cannot be loaded");
		r->mschap = NULL;
	}
	kern_init(r);		/* first: the configuration uses r->kspi */
	r->gen = gen_build(r, err, sizeof(err));
	if (!r->gen) {
		log_err("IKE configuration: %s", err);
		return -EINVAL;
	}
	if (pools_init(r) < 0)
		return -EINVAL;
	if (ike_cookie_secret_new(&r->cookie_cur, ++r->cookie_ver) < 0)
		return -ENOMEM;
	rag_timer_init(&r->t_cookie, t_cookie_fn, r);
	rag_timer_arm(&r->timers, &r->t_cookie, rag_resp_now_ms() + COOKIE_ROTATE_MS);
	rc = rag_workers_start(&r->w, 0, 0);
	if (rc < 0) {
		log_err("IKE workers: %s", strerror(-rc));
		return rc;
	}
	rc = rag_net_open(&r->net, d->cfg->listen, d->cfg->n_listen, ike_port, natt_port,
			  err, sizeof(err));
	if (rc < 0) {
		log_err("IKE sockets: %s", err);
		return rc;
	}
	if (r->net.no_bypass)
		log_warn("IKE sockets: no IPsec bypass policy (needs CAP_NET_ADMIN)");
	for (size_t i = 0; i < r->net.n; i++) {
		rc = watch_fd(d, r->net.s[i].fd, RAGD_TAG_NET + (uint32_t)i);
		if (rc < 0)
			return rc;
	}
	rc = watch_fd(d, rag_workers_fd(r->w), RAGD_TAG_WORKERS);
	if (rc == 0 && r->kern)
		rc = watch_fd(d, kern_event_fd(r->kern), RAGD_TAG_KERN);
	if (rc < 0)
		return rc;
	resp_users_attach(r, true);
	log_notice("IKE responder on UDP %u and %u (%zu sockets, %u worker threads)",
		   (unsigned int)ike_port, (unsigned int)natt_port, r->net.n,
		   rag_workers_threads(r->w));
	return 0;
}

/* See responder.h. */
void rag_resp_event(struct ragd *d, uint32_t tag, uint32_t events)
{
	struct rag_resp *r = d->resp;

	(void)events;
	if (!r)
		return;
	if (tag == RAGD_TAG_WORKERS) {
		rag_workers_complete(r->w);
	} else if (tag == RAGD_TAG_KERN) {
		int rc = kern_events_read(r->kern, kern_expire_fn, r);

		if (rc == -ENOBUFS)
			log_warn("XFRM events were lost (socket buffer overflow)");
	} else if (tag >= RAGD_TAG_NET && tag - RAGD_TAG_NET < r->net.n) {
		net_readable(r, tag - RAGD_TAG_NET);
	}
}

/* See responder.h. */
uint64_t rag_resp_timers(struct ragd *d, uint64_t now)
{
	struct rag_resp *r = d->resp;

	if (!r)
		return RAG_TIMER_NONE;
	if (r->gen)	/* certificate validity is checked against this */
		__atomic_store_n(&r->gen->cfg.now, (int64_t)time(NULL), __ATOMIC_RELAXED);
	rag_timers_run(&r->timers, now, TIMERS_PER_TICK);
	return rag_timers_next(&r->timers);
}

/* See responder.h. */
int rag_resp_reload(struct ragd *d)
{
	struct rag_resp *r = d->resp;
	struct rag_resp_gen *g;
	char err[512];

	if (!r)
		return 0;
	g = gen_build(r, err, sizeof(err));
	if (!g) {
		log_err("IKE configuration not reloaded: %s", err);
		return -EINVAL;
	}
	gen_unref(r->gen);
	r->gen = g;
	log_notice("IKE configuration reloaded: new IKE SAs use it, existing ones keep theirs");
	return 0;
}

/*
 * SIGTERM, first phase (RFC 7296 1.4.1): DELETE to every established IKE
 * SA, then up to STOP_DRAIN_MS of serving answers (each answered DELETE
 * removes its SA; an SA with another request of ours outstanding sends its
 * DELETE when that one is answered: window size 1, 2.3).
 */
static void stop_drain(struct ragd *d, struct rag_resp *r)
{
	uint64_t end = rag_resp_now_ms() + STOP_DRAIN_MS;

	if (!r->w || !r->n_est)
		return;
	r->draining = true;
	for (struct rag_sa *sa = rag_sa_first(&r->tab); sa; sa = rag_sa_next(sa))
		if (sa->established_ms && can_request(sa))
			send_delete(r, sa, -1);
	while (r->n_est && rag_resp_now_ms() < end) {
		struct epoll_event ev[16];
		int n = epoll_wait(d->epfd, ev, 16, 50);

		for (int i = 0; i < n; i++) {
			uint32_t tag = ev[i].data.u32;

			if (tag == RAGD_TAG_WORKERS || tag >= RAGD_TAG_NET)
				rag_resp_event(d, tag, ev[i].events);
		}
		rag_timers_run(&r->timers, rag_resp_now_ms(), TIMERS_PER_TICK);
	}
}

/* See responder.h. */
void rag_resp_stop(struct ragd *d)
{
	struct rag_resp *r = d->resp;
	struct kern_flush_stats fs = { 0, 0 };
	size_t n = 0;

	if (!r)
		return;
	resp_users_attach(r, false);
	n = r->n_est;
	stop_drain(d, r);
	r->stopping = true;
	/* running jobs finish, their SAs come back idle (or are freed) */
	rag_workers_stop(r->w);
	r->w = NULL;
	while (rag_sa_first(&r->tab)) {
		struct rag_sa *sa = rag_sa_first(&r->tab);

		sa->busy = false;
		sa_destroy(r, sa, "ragd stopping", true);
	}
	if (n)
		log_notice("sent DELETE for %zu IKE SAs", n);
	if (r->kern) {
		if (kern_flush_ours(r->kern, &fs) == 0 && (fs.states || fs.policies))
			log_notice("removed %zu remaining XFRM states and %zu policies",
				   fs.states, fs.policies);
		kern_close(r->kern);
	}
	kern_close(r->kspi);
	rag_net_close(&r->net);
	rag_timers_free(&r->timers);
	rag_sa_table_free(&r->tab);
	rag_pool_free(&r->pool4);
	rag_pool_free(&r->pool6);
	ike_key_free(&r->cookie_cur.key);
	ike_key_free(&r->cookie_prev.key);
	gen_unref(r->gen);
	ike_mschap_ctx_free(r->mschap);
	pthread_mutex_destroy(&r->pool_mu);
	pthread_mutex_destroy(&r->kspi_mu);
	free(r->rxbuf);
	free(r);
	d->resp = NULL;
}

/* See responder.h. */
void rag_resp_counts(const struct ragd *d, struct rag_resp_counts *c)
{
	const struct rag_resp *r = d->resp;

	memset(c, 0, sizeof(*c));
	if (!r)
		return;
	c->ike = r->n_est;
	c->half_open = r->tab.n_half + (r->tab.n - r->tab.n_half - r->n_est);
	c->child = r->n_child;
	c->child_kernel = r->n_child_kernel;
	c->rx = r->net.st.rx;
	c->tx = r->net.st.tx;
	c->dropped = r->dropped + r->net.st.garbage;
}

/* Append JSON-escaped s to buf (bounded). */
