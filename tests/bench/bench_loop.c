/*
 * bench_loop.c — rag-bench's threads: each runs an epoll loop over its own
 * UDP sockets and drives its share of the IKE SAs through libike's
 * initiator (ike_exchange.h):
 *
 *   IDLE --IKE_SA_INIT--> INIT --IKE_AUTH (EAP rounds)--> AUTH --> UP
 *   UP --hold over, Delete (1.4.1)--> CLOSING --> DONE
 *   any handshake state --error notify / no answer / bad AUTH--> DONE (failed)
 *
 * Requests from the responder (liveness checks, CHILD and IKE rekeys,
 * deletes: 1.3.2, 1.3.3, 1.4, 2.4) are answered in every state.
 * Retransmission (2.1, 2.4): our request is resent after rto, rto * 1.8,
 * ... (strongSwan's schedule) up to `retries` times; then the attempt fails.
 * Datagrams are matched to SAs by our SPI: SPIi when the sender was the
 * original responder (I flag clear), else SPIr (an IKE SA the responder
 * created by rekeying, 2.18).
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define RTO_BACKOFF   1.8	/* strongSwan's retransmit_base */
#define RX_BURST      64	/* datagrams read from one socket per wake-up */
#define RCVBUF_SHARED (4 * 1024 * 1024)	/* receive buffer of a socket shared by
					 * many SAs ... */
#define RCVBUF_OWN    (256 * 1024)	/* ... and of one per SA (or nearly) */

enum slot_state { S_IDLE = 0, S_INIT, S_AUTH, S_UP, S_CLOSING, S_DONE };
enum phase { P_SETUP = 0, P_WAIT_HOLD, P_TEARDOWN, P_DONE };

struct bslot {
	struct ike_sa *sa;
	struct ike_sa *old;	/* rekeyed away by the responder, until it
				 * deletes it (2.18) */
	int64_t t0;		/* first IKE_SA_INIT sent */
	uint32_t seq;		/* timer generation: older heap entries are stale */
	uint32_t rto_ms;
	uint32_t sock;
	uint8_t state;		/* enum slot_state */
	uint8_t tries;		/* retransmissions of the pending request */
	uint8_t rounds;		/* COOKIE / INVALID_KE restarts */
};

struct bsock {
	int fd;
	struct ike_endpoint local;
};

struct hent {			/* our SPI -> slot + 1; 0 empty, TOMB removed */
	uint64_t spi;
	uint32_t slot;
};
#define TOMB UINT32_MAX

struct tmr {
	int64_t at;
	uint32_t slot, seq;
};

struct bshared {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned int setup_done;
	int64_t hold_end_ns;	/* 0 until the setup phase is over everywhere */
};

struct bthread {
	const struct bench_cfg *c;
	struct bshared *sh;
	pthread_t tid;
	int ep;
	bool marker;		/* port 4500: RFC 3948 non-ESP marker */
	struct bsock *socks;
	size_t nsocks;
	struct bslot *slots;
	size_t nslots, next, inflight, del_next, closing;
	uint64_t conc;
	int64_t interval_ns;	/* --rate: between two starts; 0 = no limit */
	int64_t next_start_ns;
	int phase;
	struct hent *ht;
	size_t hcap, hfill;
	struct tmr *heap;
	size_t hn, hmax;
	struct ike_buf out;
	struct bench_stats st, snap;
	int err;
	uint8_t rx[IKE_MAX_MSG_LEN + 4];
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- SPI index (open addressing, linear probing) ---------------------------- */

static uint64_t spi64(const uint8_t spi[8])
{
	uint64_t v;

	memcpy(&v, spi, 8);
	return v;
}

static size_t hslot(const struct bthread *t, uint64_t spi)
{
	return (size_t)((spi * 0x9e3779b97f4a7c15ull) >> 17) & (t->hcap - 1);
}

/* Rebuild without tombstones when they pile up. */
static int ht_rehash(struct bthread *t)
{
	struct hent *old = t->ht;
	size_t cap = t->hcap;

	t->ht = calloc(cap, sizeof(*t->ht));
	if (!t->ht) {
		t->ht = old;
		return -ENOMEM;
	}
	t->hfill = 0;
	for (size_t i = 0; i < cap; i++) {
		size_t k;

		if (old[i].slot == 0 || old[i].slot == TOMB)
			continue;
		for (k = hslot(t, old[i].spi); t->ht[k].slot; k = (k + 1) & (cap - 1))
			;
		t->ht[k] = old[i];
		t->hfill++;
	}
	free(old);
	return 0;
}

static int ht_put(struct bthread *t, const uint8_t spi[8], size_t slot)
{
	uint64_t v = spi64(spi);
	size_t k;

	if ((t->hfill + 1) * 4 > t->hcap * 3 && ht_rehash(t) < 0)
		return -ENOMEM;
	if ((t->hfill + 1) * 4 > t->hcap * 3)
		return -ENOSPC;	/* sized for 2 live SPIs per slot: cannot happen */
	for (k = hslot(t, v); t->ht[k].slot && t->ht[k].slot != TOMB; k = (k + 1) & (t->hcap - 1))
		;
	if (t->ht[k].slot == 0)
		t->hfill++;
	t->ht[k].spi = v;
	t->ht[k].slot = (uint32_t)slot + 1;
	return 0;
}

static struct hent *ht_find(struct bthread *t, const uint8_t spi[8])
{
	uint64_t v = spi64(spi);

	for (size_t k = hslot(t, v), n = 0; t->ht[k].slot && n < t->hcap;
	     k = (k + 1) & (t->hcap - 1), n++)
		if (t->ht[k].slot != TOMB && t->ht[k].spi == v)
			return &t->ht[k];
	return NULL;
}

static void ht_del(struct bthread *t, const uint8_t spi[8])
{
	struct hent *e = ht_find(t, spi);

	if (e)
		e->slot = TOMB;
}

/* Our SPI of an SA: SPIi when we are its original initiator. */
static const uint8_t *our_spi(const struct ike_sa *sa)
{
	return sa->initiator ? sa->spi_i : sa->spi_r;
}

/* ---- timers (binary min-heap, lazy cancellation) ---------------------------- */

static int heap_push(struct bthread *t, int64_t at, uint32_t slot, uint32_t seq)
{
	size_t i;

	if (t->hn == t->hmax) {
		size_t nmax = t->hmax ? t->hmax * 2 : 1024;
		struct tmr *h = realloc(t->heap, nmax * sizeof(*h));

		if (!h)
			return -ENOMEM;
		t->heap = h;
		t->hmax = nmax;
	}
	i = t->hn++;
	while (i > 0 && t->heap[(i - 1) / 2].at > at) {
		t->heap[i] = t->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	t->heap[i] = (struct tmr){ at, slot, seq };
	return 0;
}

static void heap_pop(struct bthread *t)
{
	struct tmr last = t->heap[--t->hn];
	size_t i = 0;

	for (;;) {
		size_t l = 2 * i + 1, m = l;

		if (l >= t->hn)
			break;
		if (l + 1 < t->hn && t->heap[l + 1].at < t->heap[l].at)
			m = l + 1;
		if (t->heap[m].at >= last.at)
			break;
		t->heap[i] = t->heap[m];
		i = m;
	}
	if (t->hn)
		t->heap[i] = last;
}

static void arm(struct bthread *t, size_t i, int64_t now)
{
	struct bslot *s = &t->slots[i];

	s->seq++;
	if (heap_push(t, now + (int64_t)s->rto_ms * 1000000, (uint32_t)i, s->seq) < 0)
		t->err = -ENOMEM;
}

static void disarm(struct bslot *s)
{
	s->seq++;
}

/* ---- sending -------------------------------------------------------------------- */

static void send_dgram(struct bthread *t, const struct bsock *k, const uint8_t *p, size_t len)
{
	static const uint8_t zero[4];
	struct iovec iov[2] = {
		{ (void *)zero, 4 },
		{ (void *)p, len },
	};
	struct msghdr m = { 0 };

	m.msg_iov = t->marker ? iov : iov + 1;
	m.msg_iovlen = t->marker ? 2 : 1;
	if (sendmsg(k->fd, &m, 0) < 0)
		t->st.tx_errors++;
	else
		t->st.tx++;
}

/* Our pending request (whole or as RFC 7383 fragments). */
static void send_request(struct bthread *t, struct bslot *s, const struct ike_sa *sa)
{
	const struct ike_buf *f;
	size_t n = ike_sa_frags(sa, false, &f);

	if (n == 0) {
		send_dgram(t, &t->socks[s->sock], sa->last_req_out.data, sa->last_req_out.len);
		return;
	}
	for (size_t i = 0; i < n; i++)
		send_dgram(t, &t->socks[s->sock], f[i].data, f[i].len);
}

/* Our answer to the responder's request, in t->out or as fragments. */
static void send_response(struct bthread *t, struct bslot *s, const struct ike_sa *sa)
{
	const struct ike_buf *f;
	size_t n = ike_sa_frags(sa, true, &f);

	if (n == 0) {
		send_dgram(t, &t->socks[s->sock], t->out.data, t->out.len);
		return;
	}
	for (size_t i = 0; i < n; i++)
		send_dgram(t, &t->socks[s->sock], f[i].data, f[i].len);
}

/* A new request was built: send it and start its retransmission timer. */
static void request_out(struct bthread *t, size_t i, int64_t now)
{
	struct bslot *s = &t->slots[i];

	s->tries = 0;
	s->rto_ms = t->c->o.rto_ms;
	send_request(t, s, s->sa);
	arm(t, i, now);
}

/* ---- life cycle ------------------------------------------------------------------ */

static void drop_sa(struct bthread *t, struct ike_sa **sa)
{
	if (!*sa)
		return;
	ht_del(t, our_spi(*sa));
	ike_sa_free(*sa);
	*sa = NULL;
}

static void slot_close(struct bthread *t, struct bslot *s)
{
	disarm(s);
	drop_sa(t, &s->sa);
	drop_sa(t, &s->old);
	s->state = S_DONE;
}

/* A handshake ends without an SA. */
static void handshake_failed(struct bthread *t, struct bslot *s)
{
	slot_close(t, s);
	t->st.failed++;
	t->inflight--;
}

static const char *exch_of(const struct bslot *s)
{
	return s->state == S_INIT ? "IKE_SA_INIT" : "IKE_AUTH";
}

static const char *notify_text(uint16_t n, char *buf, size_t len)
{
	const char *name = ike_notify_name(n);

	if (name)
		return name;
	snprintf(buf, len, "notify %u", n);
	return buf;
}

static void start_one(struct bthread *t, int64_t now)
{
	size_t i = t->next++;
	struct bslot *s = &t->slots[i];
	const struct bsock *k;
	int rc;

	s->sock = (uint32_t)(i % t->nsocks);
	k = &t->socks[s->sock];
	t->st.attempted++;
	rc = ike_sa_new(&t->c->exch, true, &k->local, &t->c->o.target, &s->sa);
	if (rc == 0)
		rc = ike_sa_init_build(s->sa, &t->out);
	if (rc == 0)
		rc = ht_put(t, our_spi(s->sa), i);
	if (rc < 0) {
		bench_fail(&t->st, "local: cannot start an IKE SA: %s", strerror(-rc));
		ike_sa_free(s->sa);
		s->sa = NULL;
		s->state = S_DONE;
		t->st.failed++;
		return;
	}
	s->t0 = now;
	if (t->st.t_first_ns == 0)
		t->st.t_first_ns = now;
	s->state = S_INIT;
	if (++t->inflight > t->st.peak_inflight)
		t->st.peak_inflight = t->inflight;
	request_out(t, i, now);
}

static void established(struct bthread *t, struct bslot *s, const struct ike_exch_result *res,
			int64_t now)
{
	char nb[24];
	int64_t us = (now - s->t0) / 1000;

	disarm(s);
	if (res->child < 0) {
		bench_fail(&t->st, "IKE_AUTH: IKE SA without CHILD SA (%s)",
			   res->notify ? notify_text(res->notify, nb, sizeof(nb)) : "no notify");
		handshake_failed(t, s);
		return;
	}
	if (!s->sa->cp_have_ip4) {
		bench_fail(&t->st, "IKE_AUTH: no virtual IPv4 address in the CP reply (%s)",
			   res->notify ? notify_text(res->notify, nb, sizeof(nb)) : "no notify");
		handshake_failed(t, s);
		return;
	}
	s->state = S_UP;
	t->inflight--;
	t->st.established++;
	t->st.lat_us[t->st.n_lat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	memcpy(t->st.vip4[t->st.n_vip4++], s->sa->cp_ip4, 4);
	t->st.t_last_ns = now;
}

/* The response to our pending request on s->sa. */
static void on_response(struct bthread *t, size_t i, const uint8_t *msg, size_t len,
			int64_t now)
{
	struct bslot *s = &t->slots[i];
	struct ike_exch_result res;
	uint8_t kind = s->sa->pend.kind;
	char nb[24];
	int rc = ike_sa_handle_response(s->sa, msg, len, &res);

	if (rc == -EINPROGRESS)
		return;		/* a fragment, stored */
	if (rc == -EALREADY || rc == -EBADMSG) {
		t->st.rx_rejected++;	/* stale or damaged: the request stays pending */
		return;
	}
	if (s->state == S_CLOSING) {
		/* the answer to our Delete (1.4.1); anything but a clean one
		 * counts as unconfirmed */
		if (rc == 0 && kind == IKE_PEND_DELETE_IKE) {
			t->st.del_answered++;
			t->st.t_del_end_ns = now;
		} else {
			t->st.del_timeouts++;
		}
		slot_close(t, s);
		t->closing--;
		return;
	}
	if (s->state != S_INIT && s->state != S_AUTH) {
		t->st.rx_rejected++;	/* nothing of ours was pending */
		return;
	}
	if (rc == -EAGAIN && kind == IKE_PEND_INIT) {
		if (res.ke_group)
			t->st.ke_rounds++;
		else
			t->st.cookie_rounds++;
		if (++s->rounds > BENCH_MAX_ROUNDS) {
			bench_fail(&t->st, "IKE_SA_INIT: more than %d COOKIE / INVALID_KE_PAYLOAD rounds",
				   BENCH_MAX_ROUNDS);
			handshake_failed(t, s);
			return;
		}
		rc = ike_sa_init_build(s->sa, &t->out);
		if (rc < 0) {
			bench_fail(&t->st, "local: rebuilding IKE_SA_INIT: %s", strerror(-rc));
			handshake_failed(t, s);
			return;
		}
		request_out(t, i, now);
		return;
	}
	if (rc == -EAGAIN && res.auth_continue) {
		rc = ike_sa_auth_build(s->sa, &t->out);
		if (rc < 0) {
			bench_fail(&t->st, "local: building the next IKE_AUTH (EAP): %s", strerror(-rc));
			handshake_failed(t, s);
			return;
		}
		request_out(t, i, now);
		return;
	}
	if (rc == -EPROTO) {
		bench_fail(&t->st, "%s: the responder answered %s", exch_of(s),
			   notify_text(res.notify, nb, sizeof(nb)));
		handshake_failed(t, s);
		return;
	}
	if (rc == -EACCES) {
		bench_fail(&t->st, "IKE_AUTH: the responder's AUTH or certificate did not verify");
		handshake_failed(t, s);
		return;
	}
	if (rc < 0) {
		bench_fail(&t->st, "%s: response refused by the engine: %s", exch_of(s), strerror(-rc));
		handshake_failed(t, s);
		return;
	}
	if (kind == IKE_PEND_INIT) {
		rc = ike_sa_auth_build(s->sa, &t->out);
		if (rc < 0) {
			bench_fail(&t->st, "local: building IKE_AUTH: %s", strerror(-rc));
			handshake_failed(t, s);
			return;
		}
		s->state = S_AUTH;
		request_out(t, i, now);
		return;
	}
	if (kind == IKE_PEND_AUTH && res.established) {
		established(t, s, &res, now);
		return;
	}
	bench_fail(&t->st, "%s: answered without establishing the IKE SA", exch_of(s));
	handshake_failed(t, s);
}

/* A request from the responder on sa (s->sa or s->old). */
static void on_request(struct bthread *t, size_t i, struct ike_sa *sa, const uint8_t *msg,
		       size_t len)
{
	struct bslot *s = &t->slots[i];
	struct ike_exch_result res;
	int rc = ike_sa_handle_request(sa, msg, len, &t->out, &res);

	if (rc == -EINPROGRESS)
		return;
	if (rc < 0) {
		t->st.rx_rejected++;
		return;
	}
	send_response(t, s, sa);
	t->st.peer_requests++;
	if (msg[18] == INFORMATIONAL && !res.ike_deleted && res.deleted_child < 0)
		t->st.peer_liveness++;
	if (res.rekeyed_child >= 0)
		t->st.peer_child_rekeys++;
	if (res.new_sa) {
		/* the responder rekeyed the IKE SA (1.3.2): the new one takes
		 * over, the old one waits for the responder's Delete */
		t->st.peer_ike_rekeys++;
		if (ht_put(t, our_spi(res.new_sa), i) < 0) {
			ike_sa_free(res.new_sa);
			t->err = -ENOMEM;
			return;
		}
		drop_sa(t, &s->old);
		s->old = s->sa;
		s->sa = res.new_sa;
		return;
	}
	if (!res.ike_deleted)
		return;
	if (sa == s->old) {
		drop_sa(t, &s->old);
		return;
	}
	t->st.peer_deletes++;
	switch (s->state) {
	case S_INIT:
	case S_AUTH:
		bench_fail(&t->st, "%s: the responder deleted the IKE SA", exch_of(s));
		handshake_failed(t, s);
		break;
	case S_CLOSING:
		t->st.del_answered++;	/* both sides deleted it */
		t->st.t_del_end_ns = mono_ns();
		slot_close(t, s);
		t->closing--;
		break;
	default:
		slot_close(t, s);
		break;
	}
}

static void on_datagram(struct bthread *t, uint8_t *p, size_t len, int64_t now)
{
	struct hent *e;
	struct bslot *s;
	struct ike_sa *sa;
	const uint8_t *spi;

	if (t->marker) {
		if (len < 4 || p[0] | p[1] | p[2] | p[3]) {
			t->st.rx_unknown++;	/* ESP or keepalive: not ours */
			return;
		}
		p += 4;
		len -= 4;
	}
	if (len < IKE_HDR_LEN) {
		t->st.rx_unknown++;
		return;
	}
	spi = p[19] & IKE_FLAG_INITIATOR ? p + 8 : p;
	e = ht_find(t, spi);
	if (!e) {
		t->st.rx_unknown++;
		return;
	}
	s = &t->slots[e->slot - 1];
	sa = s->sa && !memcmp(our_spi(s->sa), spi, 8) ? s->sa : s->old;
	if (!sa) {
		t->st.rx_unknown++;
		return;
	}
	if (p[19] & IKE_FLAG_RESPONSE) {
		if (sa == s->sa)
			on_response(t, e->slot - 1, p, len, now);
		else
			t->st.rx_rejected++;
	} else {
		on_request(t, e->slot - 1, sa, p, len);
	}
}

static void on_timer(struct bthread *t, size_t i, int64_t now)
{
	struct bslot *s = &t->slots[i];

	if (s->state != S_INIT && s->state != S_AUTH && s->state != S_CLOSING)
		return;
	if (s->tries < t->c->o.retries) {
		s->tries++;
		t->st.retransmits++;
		s->rto_ms = (uint32_t)(s->rto_ms * RTO_BACKOFF);
		send_request(t, s, s->sa);
		arm(t, i, now);
		return;
	}
	if (s->state == S_CLOSING) {
		t->st.del_timeouts++;
		slot_close(t, s);
		t->closing--;
		return;
	}
	bench_fail(&t->st, "%s: no answer after %u retransmissions", exch_of(s),
		   t->c->o.retries);
	handshake_failed(t, s);
}

static void start_deletes(struct bthread *t, int64_t now)
{
	while (t->del_next < t->nslots && t->closing < t->conc) {
		size_t i = t->del_next++;
		struct bslot *s = &t->slots[i];

		if (s->state != S_UP)
			continue;
		if (ike_exch_delete_build(s->sa, -1, &t->out) < 0) {
			t->st.del_timeouts++;	/* cannot ask: counted as not confirmed */
			slot_close(t, s);
			continue;
		}
		if (t->st.t_del_start_ns == 0)
			t->st.t_del_start_ns = now;
		t->st.del_sent++;
		s->state = S_CLOSING;
		t->closing++;
		request_out(t, i, now);
	}
}

/* ---- the loop ---------------------------------------------------------------------- */

static void setup_over(struct bthread *t, int64_t now)
{
	t->st.t_end_ns = now;
	t->snap = t->st;
	t->phase = P_WAIT_HOLD;
	pthread_mutex_lock(&t->sh->mu);
	t->sh->setup_done++;
	pthread_cond_broadcast(&t->sh->cv);
	pthread_mutex_unlock(&t->sh->mu);
}

static int wait_ms(const struct bthread *t, int64_t now)
{
	int64_t until = now + 1000000000;	/* at most 1 s */

	if (t->hn && t->heap[0].at < until)
		until = t->heap[0].at;
	if (t->phase == P_SETUP && t->interval_ns && t->next < t->nslots &&
	    t->inflight < t->conc && t->next_start_ns < until)
		until = t->next_start_ns;
	if (t->phase == P_WAIT_HOLD) {
		int64_t he = __atomic_load_n(&t->sh->hold_end_ns, __ATOMIC_ACQUIRE);

		if (he == 0 && now + 20000000 < until)
			until = now + 20000000;
		else if (he && he < until)
			until = he;
	}
	if (until <= now)
		return 0;
	return (int)((until - now + 999999) / 1000000);
}

static void *thread_main(void *arg)
{
	struct bthread *t = arg;
	struct epoll_event ev[32];

	t->next_start_ns = mono_ns();	/* the first start is not a burst of two */

	while (t->phase != P_DONE && t->err == 0) {
		int64_t now = mono_ns();
		int n;

		if (t->phase == P_SETUP) {
			while (t->next < t->nslots && t->inflight < t->conc) {
				if (t->interval_ns) {
					/* one start per interval; after a stall at
					 * most one more is let through at once, and
					 * the k-th start is never earlier than
					 * (k - 1) intervals after the first */
					if (now < t->next_start_ns)
						break;
					if (t->next_start_ns < now - t->interval_ns)
						t->next_start_ns = now - t->interval_ns;
					t->next_start_ns += t->interval_ns;
				}
				start_one(t, now);
			}
			if (t->next == t->nslots && t->inflight == 0)
				setup_over(t, now);
		}
		if (t->phase == P_WAIT_HOLD) {
			int64_t he = __atomic_load_n(&t->sh->hold_end_ns, __ATOMIC_ACQUIRE);

			if (he && now >= he) {
				for (size_t i = 0; i < t->nslots; i++)
					t->st.up_at_hold_end += t->slots[i].state == S_UP;
				t->phase = t->c->o.no_delete ? P_DONE : P_TEARDOWN;
			}
		}
		if (t->phase == P_TEARDOWN) {
			start_deletes(t, now);
			if (t->del_next == t->nslots && t->closing == 0)
				t->phase = P_DONE;
		}
		if (t->phase == P_DONE)
			break;

		n = epoll_wait(t->ep, ev, 32, wait_ms(t, now));
		if (n < 0 && errno != EINTR) {
			t->err = -errno;
			break;
		}
		now = mono_ns();
		for (int k = 0; k < n; k++) {
			const struct bsock *so = &t->socks[ev[k].data.u32];

			for (int b = 0; b < RX_BURST; b++) {
				ssize_t r = recv(so->fd, t->rx, sizeof(t->rx), MSG_DONTWAIT);

				if (r < 0)
					break;
				t->st.rx++;
				on_datagram(t, t->rx, (size_t)r, now);
			}
		}
		while (t->hn && t->heap[0].at <= now) {
			struct tmr top = t->heap[0];

			heap_pop(t);
			if (t->slots[top.slot].seq == top.seq)
				on_timer(t, top.slot, now);
		}
	}
	if (t->phase == P_SETUP)	/* failed early: do not leave main waiting */
		setup_over(t, mono_ns());
	return NULL;
}

/* ---- set-up ------------------------------------------------------------------------- */

static void ep_to_sa(const struct ike_endpoint *e, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (e->family == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(e->port);
		memcpy(&s4->sin_addr, e->addr, 4);
		*len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(e->port);
		memcpy(&s6->sin6_addr, e->addr, 16);
		*len = sizeof(*s6);
	}
}

static void sa_to_ep(const struct sockaddr_storage *ss, struct ike_endpoint *e)
{
	memset(e, 0, sizeof(*e));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		e->family = 4;
		e->port = ntohs(s4->sin_port);
		memcpy(e->addr, &s4->sin_addr, 4);
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		e->family = 6;
		e->port = ntohs(s6->sin6_port);
		memcpy(e->addr, &s6->sin6_addr, 16);
	}
}

/* A UDP socket bound to src (port chosen by the kernel), connected to the
 * target; its local endpoint in k->local. */
static int open_sock(const struct bench_cfg *c, const struct ike_endpoint *src,
		     size_t total, struct bsock *k, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, buf = total * 16 < c->o.count ? RCVBUF_SHARED : RCVBUF_OWN;

	fd = socket(c->o.target.family == 4 ? AF_INET : AF_INET6,
		    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (src) {
		ep_to_sa(src, &ss, &len);
		if (bind(fd, (struct sockaddr *)&ss, len) < 0)
			goto fail;
	}
	ep_to_sa(&c->o.target, &ss, &len);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		goto fail;
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		goto fail;
	sa_to_ep(&ss, &k->local);
	k->fd = fd;
	return 0;
fail:
	snprintf(err, errlen, "UDP socket towards the target%s: %s",
		 src ? " from a --source address" : "", strerror(errno));
	if (fd >= 0)
		close(fd);
	return -errno;
}

/* One socket per source port: raise the soft RLIMIT_NOFILE (up to the hard
 * limit) when the sockets need more descriptors. */
static int raise_nofile(size_t need, char *err, size_t errlen)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		snprintf(err, errlen, "%zu sockets need %zu file descriptors, the hard limit "
			 "is %llu (ulimit -Hn)", need - 64, need, (unsigned long long)rl.rlim_max);
		return -EMFILE;
	}
	if (rl.rlim_cur == RLIM_INFINITY)
		return 0;
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		snprintf(err, errlen, "setrlimit(RLIMIT_NOFILE, %zu): %s", need, strerror(errno));
		return -errno;
	}
	return 0;
}

/* user + system CPU seconds of the whole process, or -1; its peak RSS in
 * *maxrss (KiB) */
static double cpu_now(long *maxrss)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return -1;
	*maxrss = ru.ru_maxrss;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static size_t pow2_at_least(size_t n)
{
	size_t p = 1024;

	while (p < n)
		p <<= 1;
	return p;
}

static void thread_free(struct bthread *t)
{
	if (t->slots)
		for (size_t i = 0; i < t->nslots; i++) {
			ike_sa_free(t->slots[i].sa);
			ike_sa_free(t->slots[i].old);
		}
	free(t->slots);
	free(t->ht);
	free(t->heap);
	free(t->socks);
	if (t->ep >= 0)
		close(t->ep);
	ike_buf_free(&t->out);
	bench_stats_free(&t->st);
}

/* Slots, index, buffers and epoll set of thread t for n SAs. */
static int thread_init(struct bthread *t, size_t n)
{
	t->nslots = n;
	t->ep = epoll_create1(EPOLL_CLOEXEC);
	t->slots = calloc(n ? n : 1, sizeof(*t->slots));
	t->hcap = pow2_at_least(4 * n);	/* 2 SPIs per slot at most, load <= 1/2 */
	t->ht = calloc(t->hcap, sizeof(*t->ht));
	t->st.lat_us = calloc(n ? n : 1, sizeof(*t->st.lat_us));
	t->st.vip4 = calloc(n ? n : 1, sizeof(*t->st.vip4));
	ike_buf_init(&t->out);
	if (t->ep < 0 || !t->slots || !t->ht || !t->st.lat_us || !t->st.vip4)
		return -ENOMEM;
	for (size_t k = 0; k < t->nsocks; k++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)k };

		if (epoll_ctl(t->ep, EPOLL_CTL_ADD, t->socks[k].fd, &ev) < 0)
			return -errno;
	}
	return 0;
}

/* See bench.h. */
int bench_run(const struct bench_cfg *c,
	      void (*on_setup)(const struct bench_cfg *c, const struct bench_stats *s, void *arg),
	      void *arg, struct bench_stats *out, char *err, size_t errlen)
{
	const struct bench_opts *o = &c->o;
	size_t nsrc = o->n_src ? o->n_src : 1, total = nsrc * o->ports, nt;
	struct bsock *socks;
	struct bthread *th = NULL;
	struct bshared sh;
	long rss0 = 0, rss1 = 0;
	double cpu0 = cpu_now(&rss0), cpu1 = -1;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	memset(&sh, 0, sizeof(sh));
	if (errlen)
		err[0] = '\0';
	rc = raise_nofile(total + 64 + o->threads, err, errlen);
	if (rc < 0)
		return rc;
	socks = calloc(total, sizeof(*socks));
	if (!socks)
		return -ENOMEM;
	pthread_mutex_init(&sh.mu, NULL);
	pthread_cond_init(&sh.cv, NULL);
	for (size_t k = 0; k < total; k++)
		socks[k].fd = -1;
	for (size_t k = 0; k < total && rc == 0; k++)
		rc = open_sock(c, o->n_src ? &o->src[k / o->ports] : NULL, total, &socks[k],
			       err, errlen);
	if (rc < 0)
		goto out;

	nt = o->threads < total ? o->threads : total;
	if (nt > o->count)
		nt = (size_t)o->count;
	th = calloc(nt, sizeof(*th));
	if (!th) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nt; i++) {
		struct bthread *t = &th[i];
		size_t n = (size_t)(o->count / nt + (i < o->count % nt));

		t->c = c;
		t->sh = &sh;
		t->ep = -1;
		t->marker = o->target.port == 4500;
		t->conc = o->concurrency / nt + (i < o->concurrency % nt);
		if (t->conc == 0)
			t->conc = 1;
		if (o->rate)
			t->interval_ns = (int64_t)(1e9 * (double)nt / (double)o->rate);
		t->socks = calloc(total / nt + 1, sizeof(*t->socks));
		if (!t->socks) {
			rc = -ENOMEM;
			goto out;
		}
		for (size_t k = i; k < total; k += nt)
			t->socks[t->nsocks++] = socks[k];
		rc = thread_init(t, n);
		if (rc < 0) {
			snprintf(err, errlen, "setting up thread %zu: %s", i, strerror(-rc));
			goto out;
		}
	}
	for (size_t i = 0; i < nt; i++) {
		rc = -pthread_create(&th[i].tid, NULL, thread_main, &th[i]);
		if (rc < 0) {
			snprintf(err, errlen, "pthread_create: %s", strerror(-rc));
			/* the started ones run to their end: let them hold 0 s */
			__atomic_store_n(&sh.hold_end_ns, mono_ns(), __ATOMIC_RELEASE);
			for (size_t k = 0; k < i; k++)
				pthread_join(th[k].tid, NULL);
			goto out;
		}
	}

	pthread_mutex_lock(&sh.mu);
	while (sh.setup_done < nt)
		pthread_cond_wait(&sh.cv, &sh.mu);
	pthread_mutex_unlock(&sh.mu);
	cpu1 = cpu_now(&rss1);
	{
		struct bench_stats m;
		int wr;

		memset(&m, 0, sizeof(m));
		for (size_t i = 0; i < nt && rc == 0; i++)
			rc = bench_stats_merge(&m, &th[i].snap);
		m.n_threads = nt;
		m.n_sockets = total;
		m.cpu_s = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
		m.maxrss_kib = rss1;
		if (rc == 0 && o->ready_file && (wr = bench_write_ready(o->ready_file, &m)) < 0)
			fprintf(stderr, "rag-bench: cannot write %s: %s\n", o->ready_file,
				strerror(-wr));
		if (rc == 0 && on_setup)
			on_setup(c, &m, arg);
		bench_stats_free(&m);
		rc = 0;	/* without the interim figures the run goes on */
	}
	__atomic_store_n(&sh.hold_end_ns, mono_ns() + (int64_t)o->hold_s * 1000000000,
			 __ATOMIC_RELEASE);
	for (size_t i = 0; i < nt; i++)
		pthread_join(th[i].tid, NULL);
	for (size_t i = 0; i < nt && rc == 0; i++) {
		if (th[i].err < 0) {
			rc = th[i].err;
			snprintf(err, errlen, "thread %zu: %s", i, strerror(-rc));
		}
	}
	for (size_t i = 0; i < nt && rc == 0; i++)
		rc = bench_stats_merge(out, &th[i].st);
	out->n_threads = nt;
	out->n_sockets = total;
	out->cpu_s = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
	out->maxrss_kib = rss1;
out:
	if (th)
		for (size_t i = 0; i < nt; i++)
			thread_free(&th[i]);
	free(th);
	for (size_t k = 0; k < total; k++)
		if (socks[k].fd >= 0)
			close(socks[k].fd);
	free(socks);
	pthread_mutex_destroy(&sh.mu);
	pthread_cond_destroy(&sh.cv);
	if (rc < 0 && errlen && !err[0])
		snprintf(err, errlen, "%s", strerror(-rc));
	return rc;
}
