/*
 * acl.c — access control inside ragd: nftables enforcement, NFLOG and the
 * acl log rows (see acl.h).
 */
#include "acl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include "connlog.h"
#include "daemon.h"
#include "log.h"
#include "nflog.h"
#include "nft.h"

#define HOT_TICKS 2	/* ticks the counters are polled after the last logged packet */

struct rag_acl {
	struct rag_nft *nft;		/* NULL: enforcement unavailable */
	struct rag_nflog *nflog;	/* NULL: no acl log */
	unsigned int hot;		/* denials logged recently: poll the counters */
	uint64_t rows, dropped;
	char err[RAG_NFT_ERR_MAX];
};

/* UTC milliseconds now. */
static int64_t rag_now_real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "tcp", "udp", "icmp", "icmpv6" or the number. */
static void proto_name(uint8_t p, char *out, size_t outlen)
{
	switch (p) {
	case 1: snprintf(out, outlen, "icmp"); break;
	case 6: snprintf(out, outlen, "tcp"); break;
	case 17: snprintf(out, outlen, "udp"); break;
	case 58: snprintf(out, outlen, "icmpv6"); break;
	default: snprintf(out, outlen, "%u", (unsigned int)p); break;
	}
}

static void queue_row(struct ragd *d, const struct connlog_acl *row)
{
	struct rag_acl *a = d->acl;

	if (!d->connlog || connlog_acl(d->connlog, row) < 0)
		a->dropped++;
	else
		a->rows++;
}

/* One logged packet -> one acl row, the user found by the source address. */
static void on_record(void *arg, const struct rag_nflog_rec *r)
{
	struct ragd *d = arg;
	struct rag_acl *a = d->acl;
	struct connlog_acl row;
	struct rag_nft_vip_info v;
	int64_t now;

	memset(&row, 0, sizeof(row));
	/* the kernel's stamp when it is wall-clock time (a forwarded skb may
	 * carry a monotonic delivery time instead); else now */
	now = rag_now_real_ms();
	row.time_ms = r->time_ms > now - 60000 && r->time_ms < now + 60000 ? r->time_ms : 0;
	row.permit = r->permit;
	row.rule_id = r->rule_id;
	if (a->nft && rag_nft_vip_find(a->nft, r->family, r->src, &v) == 0) {
		snprintf(row.user, sizeof(row.user), "%s", v.user);
		row.sa_id = v.sa_id;
	}
	inet_ntop(r->family, r->src, row.vip, sizeof(row.vip));
	inet_ntop(r->family, r->dst, row.dst, sizeof(row.dst));
	proto_name(r->proto, row.proto, sizeof(row.proto));
	row.src_port = r->sport;
	row.dst_port = r->dport;
	a->hot = HOT_TICKS;	/* suppressed ones follow logged ones: poll */
	queue_row(d, &row);
}

/* Suppressed log rows of one user since the last poll (denied packets, or
 * new permitted flows) -> a summary row (destination "", suppressed =
 * count, verdict of what was suppressed). */
static void on_suppressed(void *arg, const struct rag_nft_vip_info *v, bool permit,
			  uint64_t count)
{
	struct ragd *d = arg;
	struct connlog_acl row;

	memset(&row, 0, sizeof(row));
	row.permit = permit;
	row.sa_id = v->sa_id;
	snprintf(row.user, sizeof(row.user), "%s", v->user);
	inet_ntop(v->family, v->addr, row.vip, sizeof(row.vip));
	row.src_port = row.dst_port = -1;
	row.suppressed = count;
	queue_row(d, &row);
	log_info("acl: %llu %s from %s (%s) not logged (rate limit)",
		 (unsigned long long)count, permit ? "new permitted flows" : "denied packets",
		 row.vip, v->user[0] ? v->user : "no user");
}

/* Read the suppression counters now. */
static void poll_counters(struct ragd *d)
{
	struct rag_acl *a = d->acl;

	if (a->nft && rag_nft_poll_suppressed(a->nft, on_suppressed, d, a->err,
					      sizeof(a->err)) < 0)
		log_warn("acl: %s", a->err);
}

/* The policy changed (ragd_policy_subscribe). */
static void on_policy(void *arg, const struct pol_snapshot *s)
{
	ragd_acl_policy(arg, s);
}

/* See acl.h. */
int ragd_acl_open(struct ragd *d)
{
	struct rag_acl *a = calloc(1, sizeof(*a));
	struct rag_nft_cfg cfg;
	struct epoll_event ev;
	bool leftover = false;
	int rc;

	if (!a)
		return -ENOMEM;
	d->acl = a;
	memset(&cfg, 0, sizeof(cfg));
	if (d->cfg->pool4.family == AF_INET) {
		cfg.pool4.family = AF_INET;
		cfg.pool4.len = d->cfg->pool4.prefix;
		memcpy(cfg.pool4.addr, d->cfg->pool4.addr, 16);
	}
	if (d->cfg->pool6.family == AF_INET6) {
		cfg.pool6.family = AF_INET6;
		cfg.pool6.len = d->cfg->pool6.prefix;
		memcpy(cfg.pool6.addr, d->cfg->pool6.addr, 16);
	}
	rc = rag_nft_open(&a->nft, &cfg, &leftover, a->err, sizeof(a->err));
	if (rc < 0) {
		log_err("access policy CANNOT be enforced: nftables: %s; no CHILD SA will be "
			"installed", a->err);
		return rc;
	}
	if (leftover)
		log_notice("nftables: removed a table inet %s left by an earlier run", RAG_NFT_TABLE);
	/* the current policy now, every change later */
	rc = ragd_policy_subscribe(d, on_policy, d);
	if (rc < 0)
		log_err("access policy: cannot follow policy changes: %s", rc == -ENOENT ?
			"no policy loaded" : "too many subscribers");
	if (!rag_nft_enforcing(a->nft))
		log_err("access policy NOT in force: no CHILD SA will be installed");
	rc = rag_nflog_open(&a->nflog, RAG_NFT_NFLOG_GROUP, RAG_NFT_SNAPLEN, a->err,
			    sizeof(a->err));
	if (rc < 0) {
		log_err("access-control log unavailable (enforcement is not affected): %s", a->err);
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = RAGD_TAG_NFLOG;
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, rag_nflog_fd(a->nflog), &ev) < 0) {
		log_err("access-control log unavailable: epoll: %s", strerror(errno));
		rag_nflog_close(a->nflog);
		a->nflog = NULL;
		return 0;
	}
	log_notice("nftables table inet %s ready; access-control log on NFLOG group %u",
		   RAG_NFT_TABLE, (unsigned int)RAG_NFT_NFLOG_GROUP);
	return 0;
}

/* See acl.h. */
void ragd_acl_close(struct ragd *d)
{
	struct rag_acl *a = d->acl;

	if (!a)
		return;
	if (a->nflog) {
		struct rag_nflog_stats st;

		rag_nflog_read(a->nflog, on_record, d);	/* what is still queued */
		rag_nflog_stats(a->nflog, &st);
		if (st.overruns || st.malformed)
			log_notice("acl log: %llu NFLOG overruns, %llu malformed messages",
				   (unsigned long long)st.overruns,
				   (unsigned long long)st.malformed);
		rag_nflog_close(a->nflog);
	}
	if (a->nft) {
		ragd_policy_unsubscribe(d, on_policy, d);
		poll_counters(d);
		rag_nft_close(a->nft);	/* the table goes (INTERFACES.md: SIGTERM) */
		log_info("nftables table inet %s removed", RAG_NFT_TABLE);
	}
	if (a->dropped)
		log_warn("acl log: %llu rows dropped (log queue full)",
			 (unsigned long long)a->dropped);
	free(a);
	d->acl = NULL;
}

/* See acl.h.  Fail closed: only once a policy is in force (a first apply
 * that failed, or no policy at all, leaves the empty table: nothing would
 * be filtered). */
bool ragd_acl_ready(const struct ragd *d)
{
	return d->acl && d->acl->nft && rag_nft_enforcing(d->acl->nft);
}

/* See acl.h. */
int ragd_acl_policy(struct ragd *d, const struct pol_snapshot *s)
{
	struct rag_acl *a = d->acl;
	struct rag_nft_stats st;
	int rc;

	if (!a || !a->nft)
		return -ENOTCONN;
	if (!s)
		return -EINVAL;
	poll_counters(d);	/* the swap starts the counters over */
	rc = rag_nft_apply(a->nft, s, &st, a->err, sizeof(a->err));
	if (rc < 0) {
		log_err("access policy generation %llu NOT applied (the previous one stays in "
			"force): %s", (unsigned long long)s->generation, a->err);
		return rc;
	}
	log_notice("access policy generation %llu enforced: %zu rules, %zu users in %zu "
		   "classes, %zu nftables elements (compiled in %llu us, applied in %llu us)",
		   (unsigned long long)s->generation, st.rules, st.users, st.classes,
		   st.elements, (unsigned long long)st.compile_us,
		   (unsigned long long)st.apply_us);
	return 0;
}

/* See acl.h. */
void ragd_acl_vip_up(struct ragd *d, int family, const uint8_t *addr, const char *user,
		     uint64_t sa_id)
{
	struct rag_acl *a = d->acl;
	char text[INET6_ADDRSTRLEN] = "?";
	int rc;

	if (!a || !a->nft)
		return;
	if (a->hot)
		poll_counters(d);	/* earlier counts belong to the address's last user */
	inet_ntop(family, addr, text, sizeof(text));
	rc = rag_nft_vip_set(a->nft, family, addr, user, sa_id);
	/* at once: the client may send as soon as it has our IKE_AUTH answer */
	if (rc == 0)
		rc = rag_nft_commit(a->nft, a->err, sizeof(a->err));
	else
		snprintf(a->err, sizeof(a->err), "%s", strerror(-rc));
	if (rc < 0)
		log_err("acl: virtual IP %s of %s not registered (its traffic is denied): %s",
			text, user, a->err);
}

/* See acl.h. */
void ragd_acl_vip_down(struct ragd *d, int family, const uint8_t *addr)
{
	struct rag_acl *a = d->acl;

	if (!a || !a->nft)
		return;
	rag_nft_vip_clear(a->nft, family, addr);
	if (rag_nft_commit(a->nft, a->err, sizeof(a->err)) < 0)
		log_err("acl: virtual IP not released: %s", a->err);
}

/* See acl.h. */
void ragd_acl_event(struct ragd *d)
{
	struct rag_acl *a = d->acl;
	int rc;

	if (!a || !a->nflog)
		return;
	rc = rag_nflog_read(a->nflog, on_record, d);
	if (rc < 0)
		log_warn("acl log: NFLOG read: %s", strerror(-rc));
}

/* See acl.h. */
void ragd_acl_tick(struct ragd *d)
{
	struct rag_acl *a = d->acl;

	if (!a || !a->hot)
		return;
	a->hot--;
	poll_counters(d);
}
