/*
 * responder_users.c — the responder and the users / logs modules: the
 * engine's secret callbacks (NT hash for EAP-MSCHAPv2, per-user PSK) on
 * worker threads, the lockout bookkeeping, and the connection / auth log
 * rows (connlog.h) for connect, disconnect, rekey and failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "acl.h"
#include "connlog.h"
#include "daemon.h"
#include "log.h"
#include "responder_int.h"
#include "users.h"

/* Worker thread (engine callback, ike_exchange.h eap_nt_hash): the NT hash
 * of user name[0..len).  -ENOENT unknown or without a password, -EPERM
 * locked (administrator) or locked out. */
int resp_nt_hash_cb(void *arg, const char *user, size_t len, struct ike_key *out)
{
	struct rag_resp_gen *g = arg;
	struct users *u = g->r->d->users;
	struct users_entry e;
	int rc;

	if (!u)
		return -ENOENT;
	memset(&e, 0, sizeof(e));
	rc = users_lookup(u, user, len, (int64_t)time(NULL), true, &e);
	if (rc < 0)
		return rc;
	if (e.state != USERS_ACTIVE)
		rc = -EPERM;
	else if (!e.has_password || e.nt_hash.len != 16)
		rc = -ENOENT;
	else
		rc = ike_key_dup(out, e.nt_hash.ptr, 16);
	users_entry_free(&e);
	return rc;
}

/* The text a peer ID is looked up as (FQDN, e-mail, key id as is; IP
 * addresses in their text form); 0 when it has none. */
static size_t id_name(uint8_t id_type, const uint8_t *id, size_t len, char *out, size_t outlen)
{
	if (id_type == IKE_ID_IPV4_ADDR && len == 4)
		return inet_ntop(AF_INET, id, out, (socklen_t)outlen) ? strlen(out) : 0;
	if (id_type == IKE_ID_IPV6_ADDR && len == 16)
		return inet_ntop(AF_INET6, id, out, (socklen_t)outlen) ? strlen(out) : 0;
	if ((id_type == IKE_ID_FQDN || id_type == IKE_ID_RFC822_ADDR || id_type == IKE_ID_KEY_ID) &&
	    len && len < outlen) {
		memcpy(out, id, len);
		out[len] = '\0';
		return len;
	}
	return 0;
}

/* Worker thread (engine callback, psk_lookup): the PSK of the user named
 * by the initiator's IKE ID (`rag-ctl user` stores one per user). */
int resp_psk_cb(void *arg, uint8_t id_type, const uint8_t *id, size_t len, struct ike_key *out)
{
	struct rag_resp_gen *g = arg;
	struct users *u = g->r->d->users;
	struct users_entry e;
	char name[RAG_SA_USER_MAX + 1];
	size_t n = id_name(id_type, id, len, name, sizeof(name));
	int rc;

	if (!u || !n)
		return -ENOENT;
	memset(&e, 0, sizeof(e));
	rc = users_lookup(u, name, n, (int64_t)time(NULL), true, &e);
	if (rc < 0)
		return rc;
	if (e.state != USERS_ACTIVE)
		rc = -EPERM;
	else if (!e.has_psk || !e.psk.len)
		rc = -ENOENT;
	else
		rc = ike_key_dup(out, e.psk.ptr, e.psk.len);
	users_entry_free(&e);
	return rc;
}

/* ike_endpoint -> sockaddr_storage. */
static void ep_sockaddr(const struct ike_endpoint *ep, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ep->family == 4) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(ep->port);
		memcpy(&in->sin_addr, ep->addr, 4);
	} else if (ep->family == 6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(ep->port);
		memcpy(&in6->sin6_addr, ep->addr, 16);
	}
}

/* 8 SPI bytes as a number (network order). */
static uint64_t spi64(const uint8_t s[8])
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | s[i];
	return v;
}

/* Does the method use a user's secret (lockout applies)? */
static bool password_method(uint8_t m)
{
	return m == IKE_PM_EAP_MSCHAPV2 || m == IKE_PM_PSK;
}

/* UTC ISO 8601 of unix time t into out. */
static void utc_iso(int64_t t, char *out, size_t outlen)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, outlen, "%lld", (long long)t);
}

/* The reason of a failed authentication for the auth log: the engine's
 * reason, made specific for a locked user (known: e filled). */
static void fail_reason(const struct ike_sa *ike, const struct users_entry *e, bool known,
			char *out, size_t outlen)
{
	char until[32];

	if (ike->auth.fail == IKE_AF_LOCKED && known && e->state == USERS_LOCKED) {
		snprintf(out, outlen, "locked by the administrator");
	} else if (ike->auth.fail == IKE_AF_LOCKED && known && e->state == USERS_LOCKED_OUT) {
		utc_iso(e->locked_until, until, sizeof(until));
		snprintf(out, outlen, "locked out after failed authentications, until %s", until);
	} else {
		snprintf(out, outlen, "%s",
			 ike->auth.fail ? ike_auth_fail_name(ike->auth.fail) : "protocol error");
	}
}

/* See responder_int.h. */
void resp_auth_outcome(struct rag_resp *r, struct rag_sa *sa, bool success)
{
	const struct ike_sa *ike = sa->ike;
	struct users *u = r->d->users;
	struct connlog_auth row;
	struct users_entry e;
	enum users_state st = USERS_ACTIVE;
	char ident[RAG_SA_USER_MAX + 1], tag[160], q[RAG_QUOTE_MAX], until[32] = "";
	size_t n = identity_text(ike, ident, sizeof(ident));
	bool known = false;
	int locked_now = 0;
	int64_t now = (int64_t)time(NULL);

	memset(&row, 0, sizeof(row));
	memset(&e, 0, sizeof(e));
	if (u && ike->auth.cert.present && ike->auth.cert.subject[0] &&
	    users_lookup_subject(u, ike->auth.cert.subject, now, false, &e) == 0) {
		/* a certificate registered with `user add --cert-subject`:
		 * the row names that user, as resp_canonical_user() does */
		known = true;
		snprintf(row.user, sizeof(row.user), "%s", e.name);
	} else if (u && n && ike->auth.method != IKE_PM_PUBKEY &&
		   users_lookup(u, ident, n, now, false, &e) == 0) {
		known = true;
		snprintf(row.user, sizeof(row.user), "%s", e.name);
		/* lockout (issue 4): wrong passwords and PSKs count; a
		 * success resets the count */
		if (password_method(ike->auth.method) &&
		    (success || ike->auth.fail == IKE_AF_BAD_PASSWORD ||
		     ike->auth.fail == IKE_AF_BAD_AUTH))
			locked_now = users_auth_result(u, e.id, success, now, &st);
		if (locked_now == 1) {
			/* the entry as it is now, for locked_until */
			users_entry_free(&e);
			if (users_lookup(u, ident, n, now, false, &e) < 0)
				e.locked_until = now + r->d->cfg->lockout_time;
			utc_iso(e.locked_until, until, sizeof(until));
			log_notice("%s: user %s locked out after %u failed authentication%s, "
				   "until %s", sa_tag(sa, tag, sizeof(tag)),
				   rag_quote_str(q, sizeof(q), row.user),
				   r->d->cfg->lockout_threshold,
				   r->d->cfg->lockout_threshold == 1 ? "" : "s", until);
		}
	}
	if (!r->d->connlog) {
		users_entry_free(&e);
		return;
	}
	row.result = success ? CONNLOG_AUTH_SUCCESS :
		     ike->auth.fail == IKE_AF_LOCKED ? CONNLOG_AUTH_LOCKED : CONNLOG_AUTH_FAILURE;
	row.sa_id = sa->id;
	if (!known && success)
		snprintf(row.user, sizeof(row.user), "%s", ident);
	if (ike->auth.eap_identity_len)
		snprintf(row.identity, sizeof(row.identity), "%.*s",
			 (int)ike->auth.eap_identity_len, (const char *)ike->auth.eap_identity);
	else
		snprintf(row.identity, sizeof(row.identity), "%s", ident);
	id_name(ike->peer_id_type, ike->peer_id, ike->peer_id_len, row.ike_id, sizeof(row.ike_id));
	snprintf(row.method, sizeof(row.method), "%s", ike_peer_method_name(ike->auth.method));
	if (!success)
		fail_reason(ike, &e, known, row.reason, sizeof(row.reason));
	ep_sockaddr(&sa->remote, &row.client);
	if (ike->auth.cert.present) {
		snprintf(row.cert_subject, sizeof(row.cert_subject), "%s", ike->auth.cert.subject);
		snprintf(row.cert_issuer, sizeof(row.cert_issuer), "%s", ike->auth.cert.issuer);
		snprintf(row.cert_serial, sizeof(row.cert_serial), "%s", ike->auth.cert.serial);
		for (int i = 0; i < 32; i++)
			snprintf(row.cert_sha256 + 2 * i, sizeof(row.cert_sha256) - 2 * (size_t)i,
				 "%02X", ike->auth.cert.sha256[i]);
	}
	connlog_auth(r->d->connlog, &row);
	if (locked_now == 1) {
		/* the lock itself is an auth-log row of its own (issue 4) */
		row.result = CONNLOG_AUTH_LOCKED;
		snprintf(row.reason, sizeof(row.reason),
			 "locked out after %u failed authentication%s, until %s",
			 r->d->cfg->lockout_threshold,
			 r->d->cfg->lockout_threshold == 1 ? "" : "s", until);
		connlog_auth(r->d->connlog, &row);
	}
	users_entry_free(&e);
}

/* See responder_int.h. */
void resp_log_conn(struct rag_resp *r, struct rag_sa *sa, int event, const char *reason,
		   uint64_t bytes_in, uint64_t bytes_out)
{
	struct connlog_conn row;

	if (!r->d->connlog)
		return;
	memset(&row, 0, sizeof(row));
	row.event = (enum connlog_event)event;
	row.sa_id = sa->id;
	if (sa->user[0])
		snprintf(row.user, sizeof(row.user), "%s", sa->user);
	else if (sa->ike)	/* a failure before the SA got its user index */
		resp_canonical_user(r, sa, row.user, sizeof(row.user));
	if (sa->ike) {
		if (sa->ike->auth.cert.present)
			snprintf(row.device, sizeof(row.device), "%s", sa->ike->auth.cert.subject);
		else
			id_name(sa->ike->peer_id_type, sa->ike->peer_id, sa->ike->peer_id_len,
				row.device, sizeof(row.device));
		row.spi_i = spi64(sa->ike->spi_i);
		row.spi_r = spi64(sa->ike->spi_r);
	}
	ep_sockaddr(&sa->remote, &row.client);
	if (sa->have_vip4)
		inet_ntop(AF_INET, sa->vip4, row.vip4, sizeof(row.vip4));
	if (sa->have_vip6)
		inet_ntop(AF_INET6, sa->vip6, row.vip6, sizeof(row.vip6));
	snprintf(row.ike_alg, sizeof(row.ike_alg), "%s", sa->algs);
	snprintf(row.esp_alg, sizeof(row.esp_alg), "%s", sa->child_algs);
	row.bytes_in = bytes_in;
	row.bytes_out = bytes_out;
	if (sa->established_ms)
		row.duration_s = (uint32_t)((rag_resp_now_ms() - sa->established_ms) / 1000);
	if (reason)
		snprintf(row.reason, sizeof(row.reason), "%s", reason);
	if (connlog_connection(r->d->connlog, &row) < 0)
		log_debug("connection log row dropped (queue full)");
}

/* See responder_int.h. */
size_t resp_canonical_user(struct rag_resp *r, const struct rag_sa *sa, char *out, size_t outlen)
{
	struct users_entry e;
	size_t n = identity_text(sa->ike, out, outlen);

	if (!r->d->users || !n)
		return n;
	memset(&e, 0, sizeof(e));
	/* a certificate registered with `user add --cert-subject` is that
	 * user (so user del/lock and the access policy find the SA) */
	if (sa->ike->auth.cert.present && sa->ike->auth.cert.subject[0] &&
	    users_lookup_subject(r->d->users, sa->ike->auth.cert.subject, (int64_t)time(NULL),
				 false, &e) == 0) {
		snprintf(out, outlen, "%s", e.name);
		n = strlen(out);
		users_entry_free(&e);
		return n;
	}
	if (sa->ike->auth.method == IKE_PM_PUBKEY)
		return n;
	if (users_lookup(r->d->users, out, n, (int64_t)time(NULL), false, &e) == 0) {
		snprintf(out, outlen, "%s", e.name);
		n = strlen(out);
		users_entry_free(&e);
	}
	return n;
}

/* Loop thread (users hook): a user was deleted, locked or got a new
 * secret: end its SAs now (INTERFACES.md: "user del ... also terminates
 * the user's SAs"). */
static void users_hook(void *arg, enum users_event ev, int64_t id, const char *name)
{
	struct ragd *d = arg;
	size_t n;

	(void)id;
	n = rag_resp_sa_kill_user(d, name);
	if (n)
		log_notice("user %s %s: %zu IKE SA%s terminated", name,
			   ev == USERS_EV_DELETED ? "deleted" : ev == USERS_EV_LOCKED ?
			   "locked" : "changed its secret", n, n == 1 ? "" : "s");
}

/* See responder_int.h. */
void resp_users_attach(struct rag_resp *r, bool attach)
{
	if (r->d->users)
		users_set_hook(r->d->users, attach ? users_hook : NULL, attach ? r->d : NULL);
}

/* The name the access policy knows sa's user by: the stored user of that
 * name, else the user whose --cert-subject is the peer's certificate
 * subject, else the identity as it is (no rule applies to it). */
static void acl_user(struct rag_resp *r, const struct rag_sa *sa, char *out, size_t outlen)
{
	struct users *u = r->d->users;
	struct users_entry e;
	int64_t now = (int64_t)time(NULL);

	snprintf(out, outlen, "%s", sa->user);
	if (!u)
		return;
	memset(&e, 0, sizeof(e));
	if (sa->user[0] && users_lookup(u, sa->user, strlen(sa->user), now, false, &e) == 0) {
		snprintf(out, outlen, "%s", e.name);
		users_entry_free(&e);
	} else if (sa->ike && sa->ike->auth.cert.present && sa->ike->auth.cert.subject[0] &&
		   users_lookup_subject(u, sa->ike->auth.cert.subject, now, false, &e) == 0) {
		snprintf(out, outlen, "%s", e.name);
		users_entry_free(&e);
	}
}

/* See responder_int.h. */
void resp_acl_sa(struct rag_resp *r, const struct rag_sa *sa, bool up)
{
	char user[RAG_SA_USER_MAX + 1];

	if (up)
		acl_user(r, sa, user, sizeof(user));
	if (sa->have_vip4) {
		if (up)
			ragd_acl_vip_up(r->d, AF_INET, sa->vip4, user, sa->id);
		else
			ragd_acl_vip_down(r->d, AF_INET, sa->vip4);
	}
	if (sa->have_vip6) {
		if (up)
			ragd_acl_vip_up(r->d, AF_INET6, sa->vip6, user, sa->id);
		else
			ragd_acl_vip_down(r->d, AF_INET6, sa->vip6);
	}
}
