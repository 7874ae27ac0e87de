/*
 * ctl_users.c — ragd's databases at start/stop and the "user" control
 * command (registered in ctl_server.c's table).
 *
 * Requests (built by rag-ctl's cmd_user.c; tokens separated by one space):
 *   user add NAME [group=G]... [subject=HEX] [psk] [--secret-follows]
 *   user del NAME | user lock NAME | user unlock NAME
 *   user passwd NAME --secret-follows
 *   user psk NAME [--secret-follows]      (without a secret: remove the PSK)
 *   user list
 * The DN travels hex-encoded (it has spaces); the secret is the hex second
 * line (ctl_proto.h RAG_CTL_SECRET_MARK), decoded into guarded memory: the
 * password, or with `user add ... psk` / `user psk` the pre-shared key
 * (at least USERS_PSK_MIN bytes).
 * `user list` answers one line per user, tab-separated:
 *   name state password psk groups cert-subject failed locked-until created updated
 * (times as UTC ISO 8601, "-" for none; no field can hold a tab).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "connlog.h"
#include "ctl_audit.h"
#include "daemon.h"
#include "log.h"
#include "logsign.h"
#include "secrets.h"
#include "users.h"

#define MAX_TOKENS (4 + USERS_GROUPS_MAX)

/* See daemon.h. */
int ragd_stores_open(struct ragd *d)
{
	char err[512];
	bool created = false;
	struct stat st;
	int r;

	if (stat(d->cfg->state_dir, &st) < 0 && mkdir(d->cfg->state_dir, 0700) < 0) {
		r = -errno;
		log_err("state directory %s: %s", d->cfg->state_dir, strerror(-r));
		return r;
	}
	d->secrets = calloc(1, sizeof(*d->secrets));
	if (!d->secrets)
		return -ENOMEM;
	r = secrets_load(d->secrets, d->cfg->state_dir, true, &created, err, sizeof(err));
	if (r < 0) {
		log_err("secrets key: %s", err);
		goto fail;
	}
	if (created)
		log_notice("created a new secrets key %s/%s (back it up with rag.db: the "
			   "stored passwords cannot be used without it)", d->cfg->state_dir,
			   SECRETS_KEY_FILE);
	r = logsign_open(&d->logsign, d->cfg->state_dir, &created, err, sizeof(err));
	if (r < 0) {
		log_err("log-signing key: %s", err);
		goto fail;
	}
	if (created)
		log_notice("created a new log-signing key %s/%s; its public key is %s/%s",
			   d->cfg->state_dir, LOGSIGN_KEY_FILE, d->cfg->state_dir,
			   LOGSIGN_PUB_FILE);
	r = users_open(&d->users, d->cfg->state_dir, d->secrets, err, sizeof(err));
	if (r < 0) {
		log_err("users: %s", err);
		goto fail;
	}
	users_set_policy(d->users, d->cfg->lockout_threshold, d->cfg->lockout_time);
	r = connlog_open(&d->connlog, d->cfg->state_dir, err, sizeof(err));
	if (r < 0) {
		log_err("logs: %s", err);
		goto fail;
	}
	connlog_set_retention(d->connlog, d->cfg->retention);	/* first pass in a minute */
	ctl_audit_config_desc(d);
	log_notice("databases: %s/%s (%zu users), %s/%s", d->cfg->state_dir, USERS_DB_FILE,
		   users_count(d->users), d->cfg->state_dir, CONNLOG_DB_FILE);
	return 0;
fail:
	ragd_stores_close(d);
	return r;
}

/* See daemon.h. */
void ragd_stores_reload(struct ragd *d)
{
	if (d->users)
		users_set_policy(d->users, d->cfg->lockout_threshold, d->cfg->lockout_time);
	if (d->connlog)
		connlog_set_retention(d->connlog, d->cfg->retention);
	ctl_audit_config_desc(d);	/* the new configuration, for the audit log */
}

/* See daemon.h. */
void ragd_stores_close(struct ragd *d)
{
	if (d->connlog) {
		uint64_t w, f, dr;

		connlog_flush(d->connlog);
		connlog_stats(d->connlog, &w, &f, &dr);
		if (f || dr)
			log_warn("logs: %llu rows failed, %llu dropped (queue full) since start",
				 (unsigned long long)f, (unsigned long long)dr);
		connlog_close(d->connlog);
		d->connlog = NULL;
	}
	users_close(d->users);
	d->users = NULL;
	logsign_close(d->logsign);
	d->logsign = NULL;
	if (d->secrets) {
		secrets_free(d->secrets);
		free(d->secrets);
		d->secrets = NULL;
	}
}

/* ---- the "user" command ----------------------------------------------------- */

struct out {
	ctl_emit_fn emit;
	void *arg;
};

static void outf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Emit formatted text (one line at most 2 KiB + a subject). */
static void outf(struct out *o, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	o->emit(o->arg, buf);
}

/* Decode hex of n chars into out (cap bytes); length or -1. */
static ssize_t unhex(const char *s, size_t n, uint8_t *out, size_t cap)
{
	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		int v = 0;

		for (int k = 0; k < 2; k++) {
			char ch = s[i + (size_t)k];

			v <<= 4;
			if (ch >= '0' && ch <= '9')
				v |= ch - '0';
			else if (ch >= 'a' && ch <= 'f')
				v |= ch - 'a' + 10;
			else if (ch >= 'A' && ch <= 'F')
				v |= ch - 'A' + 10;
			else
				return -1;
		}
		out[i / 2] = (uint8_t)v;
	}
	return (ssize_t)(n / 2);
}

/* "ERR 1 <msg>": a valid request the users module refused (rag-ctl exit 1). */
static void refuse(struct out *o, const char *msg)
{
	outf(o, "ERR %d %s\n", RAG_CTL_E_REFUSED, msg);
}

/* UTC ISO 8601 of t, "-" for 0. */
static void iso(char *out, size_t n, int64_t t)
{
	rag_format_utc(out, n, (long long)t);
}

/* users_list() callback: one tab-separated line. */
static void list_one(void *arg, const struct users_entry *e)
{
	static const char *const states[] = { "active", "locked", "locked-out" };
	char lu[32], cr[32], up[32];

	iso(lu, sizeof(lu), e->locked_until);
	iso(cr, sizeof(cr), e->created);
	iso(up, sizeof(up), e->updated);
	outf(arg, "%s\t%s\t%s\t%s\t%s\t%s\t%u\t%s\t%s\t%s\n", e->name,
	     states[e->state <= USERS_LOCKED_OUT ? e->state : 0],
	     e->has_password ? "yes" : "no", e->has_psk ? "yes" : "no",
	     e->groups[0] ? e->groups : "-", e->cert_subject[0] ? e->cert_subject : "-",
	     (unsigned int)e->failed, lu, cr, up);
}

/* The audit log's view of user name (ctl_audit.h): its state, never its
 * secrets; false (out untouched) when there is no such user.  *stored gets
 * the stored spelling of the name. */
static bool describe_user(struct users *u, const char *name, int64_t now, char *out,
			  size_t outlen, char *stored, size_t storedlen)
{
	static const char *const states[] = { "active", "locked", "locked-out" };
	struct users_entry *e = calloc(1, sizeof(*e));
	char lu[32];
	bool found;

	if (!e)
		return false;
	found = users_lookup(u, name, strlen(name), now, false, e) == 0;
	if (found) {
		iso(lu, sizeof(lu), e->locked_until);
		snprintf(out, outlen, "state=%s password=%s psk=%s groups=%s cert-subject=%s "
			 "failed=%u locked-until=%s", states[e->state <= USERS_LOCKED_OUT ?
			 e->state : 0], e->has_password ? "yes" : "no", e->has_psk ? "yes" : "no",
			 e->groups[0] ? e->groups : "-", e->cert_subject[0] ? e->cert_subject : "-",
			 (unsigned int)e->failed, lu);
		snprintf(stored, storedlen, "%s", e->name);
	}
	users_entry_free(e);
	free(e);
	return found;
}

/* Audit the change of one user: its description before (old_found, old) and
 * now; a new password or PSK shows as "password=new" / "psk=new" (the value
 * is never seen). */
static void audit_user(struct ragd *d, struct ctl_client *c, const char *verb,
		       const char *name, bool old_found, const char *old, bool done, int64_t now)
{
	char *cur = malloc(CONNLOG_VALUE);
	char obj[CONNLOG_STR], stored[USERS_NAME_MAX + 1];
	bool now_found;

	if (!cur) {
		ctl_audit_error(c);
		return;
	}
	snprintf(stored, sizeof(stored), "%.*s", USERS_NAME_MAX, name);
	now_found = describe_user(d->users, name, now, cur, CONNLOG_VALUE, stored,
				  sizeof(stored));
	if (now_found && done && (!strcmp(verb, "passwd") ||
				  (!strcmp(verb, "psk") && c->secret))) {
		size_t n = strlen(cur);

		snprintf(cur + n, CONNLOG_VALUE - n, " %s=new", verb[0] == 'p' && verb[1] == 'a' ?
			 "password" : "psk");
	}
	snprintf(obj, sizeof(obj), "user %s", stored);
	ctl_audit_object(c, obj, old_found ? old : NULL, now_found ? cur : NULL);
	free(cur);
}

/* See daemon.h. */
void ctl_users_cmd(struct ragd *d, struct ctl_client *c, char *args, ctl_emit_fn emit,
		   void *arg)
{
	struct out o = { emit, arg };
	char *tok[MAX_TOKENS], *save = NULL, *t;
	const char *groups[USERS_GROUPS_MAX];
	char subject[USERS_SUBJECT_MAX + 1];
	char err[512], q[RAG_QUOTE_MAX];
	struct ike_key pw = { 0 };
	size_t nt = 0, ng = 0;
	bool has_subject = false, is_psk = false, old_found = false;
	int64_t now = (int64_t)time(NULL);
	char *old = NULL;
	int r = 0;

	if (!d->users) {
		outf(&o, "ERR %d the user database is not open\n", RAG_CTL_E_REFUSED);
		return;
	}
	for (t = strtok_r(args, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (nt == MAX_TOKENS) {
			outf(&o, "ERR %d too many arguments\n", RAG_CTL_E_USAGE);
			return;
		}
		tok[nt++] = t;
	}
	if (nt < 1) {
		outf(&o, "ERR %d user: missing subcommand\n", RAG_CTL_E_USAGE);
		return;
	}
	if (!strcmp(tok[0], "list")) {
		if (nt != 1) {
			outf(&o, "ERR %d user list takes no arguments\n", RAG_CTL_E_USAGE);
			return;
		}
		outf(&o, "OK\n");
		users_list(d->users, now, list_one, &o);
		return;
	}
	if (nt < 2) {
		outf(&o, "ERR %d user %s: missing NAME\n", RAG_CTL_E_USAGE,
		     rag_quote_str(q, sizeof(q), tok[0]));
		return;
	}
	/* options of add (the parser checks they only come with add) */
	for (size_t i = 2; i < nt; i++) {
		if (!strcmp(tok[i], "psk") && !is_psk) {
			is_psk = true;
		} else if (!strncmp(tok[i], "group=", 6) && ng < USERS_GROUPS_MAX) {
			groups[ng++] = tok[i] + 6;
		} else if (!strncmp(tok[i], "subject=", 8) && !has_subject) {
			ssize_t n = unhex(tok[i] + 8, strlen(tok[i] + 8), (uint8_t *)subject,
					  sizeof(subject) - 1);

			if (n <= 0 || memchr(subject, '\0', (size_t)n)) {
				outf(&o, "ERR %d invalid --cert-subject encoding\n", RAG_CTL_E_USAGE);
				return;
			}
			subject[n] = '\0';
			has_subject = true;
		} else {
			outf(&o, "ERR %d user %s: unexpected argument %s\n", RAG_CTL_E_USAGE,
			     tok[0], rag_quote_str(q, sizeof(q), tok[i]));
			return;
		}
	}
	if ((ng || has_subject || is_psk) && strcmp(tok[0], "add")) {
		outf(&o, "ERR %d --group/--cert-subject/--psk-stdin are for user add\n",
		     RAG_CTL_E_USAGE);
		return;
	}
	if (is_psk && !c->secret) {
		outf(&o, "ERR %d user add psk: the PSK line is missing\n", RAG_CTL_E_USAGE);
		return;
	}
	if (c->secret) {
		ssize_t n;

		if (strcmp(tok[0], "add") && strcmp(tok[0], "passwd") && strcmp(tok[0], "psk")) {
			outf(&o, "ERR %d user %s takes no secret\n", RAG_CTL_E_USAGE, tok[0]);
			return;
		}
		if (c->secret_len / 2 > RAG_CTL_MAX_SECRET ||
		    ike_key_alloc(&pw, c->secret_len / 2 ? c->secret_len / 2 : 1) < 0) {
			outf(&o, "ERR %d secret too long\n", RAG_CTL_E_REFUSED);
			return;
		}
		n = unhex(c->secret, c->secret_len, pw.ptr, pw.len);
		if (n < 0) {
			ike_key_free(&pw);
			outf(&o, "ERR %d malformed secret line\n", RAG_CTL_E_USAGE);
			return;
		}
		pw.len = (size_t)n;
	}
	err[0] = '\0';
	old = malloc(CONNLOG_VALUE);
	if (old) {
		char stored[USERS_NAME_MAX + 1];

		old_found = describe_user(d->users, tok[1], now, old, CONNLOG_VALUE, stored,
					  sizeof(stored));
	}
	if (!strcmp(tok[0], "add")) {
		bool has_pw = c->secret && !is_psk;

		r = users_add(d->users, tok[1], has_pw ? (const char *)pw.ptr : NULL,
			      has_pw ? pw.len : 0, is_psk ? pw.ptr : NULL, is_psk ? pw.len : 0,
			      groups, ng, has_subject ? subject : NULL, now, err, sizeof(err));
	} else if (!strcmp(tok[0], "psk")) {
		r = users_set_psk(d->users, tok[1], c->secret ? pw.ptr : NULL,
				  c->secret ? pw.len : 0, now, err, sizeof(err));
	} else if (!strcmp(tok[0], "passwd")) {
		if (!c->secret) {
			free(old);
			outf(&o, "ERR %d user passwd needs the password (--password-stdin)\n",
			     RAG_CTL_E_USAGE);
			return;
		}
		r = users_passwd(d->users, tok[1], (const char *)pw.ptr, pw.len, now, err,
				 sizeof(err));
	} else if (!strcmp(tok[0], "del")) {
		r = users_del(d->users, tok[1], err, sizeof(err));
	} else if (!strcmp(tok[0], "lock") || !strcmp(tok[0], "unlock")) {
		r = users_lock(d->users, tok[1], tok[0][0] == 'l', now, err, sizeof(err));
	} else {
		ike_key_free(&pw);
		free(old);
		outf(&o, "ERR %d user: unknown subcommand %s\n", RAG_CTL_E_USAGE,
		     rag_quote_str(q, sizeof(q), tok[0]));
		return;
	}
	ike_key_free(&pw);
	if (old)
		audit_user(d, c, tok[0], tok[1], old_found, old, r == 0, now);
	else
		ctl_audit_error(c);
	free(old);
	rag_quote_str(q, sizeof(q), tok[1]);
	if (r < 0) {
		log_notice("control: uid %u: user %s %s refused: %s", (unsigned int)c->uid,
			   tok[0], q, err);
		refuse(&o, err);
		return;
	}
	log_notice("control: uid %u: user %s %s done", (unsigned int)c->uid, tok[0], q);
	outf(&o, "OK\n");
}
