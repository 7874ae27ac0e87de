/*
 * ctl_policy.c — ragd's current access policy (policy.h: the snapshot, the
 * one "policy changed" point and its subscribers) and the control commands
 * that change it (registered in ctl_server.c's table).
 *
 * Requests (built by rag-ctl's cmd_groups.c and cmd_rule.c; tokens
 * separated by one space; ragd checks everything again):
 *   group add NAME | group del NAME | group list [NAME]
 *   group member add GROUP USER | group member del GROUP USER
 *   hostgroup add NAME [ADDR|CIDR]... | hostgroup del NAME | hostgroup list [NAME]
 *   hostgroup member add NAME ADDR|CIDR... | hostgroup member del NAME ADDR|CIDR...
 *   servicegroup ... (as hostgroup, members are SERVICEs)
 *   rule add user-group=G host-group=H service-group=S action=permit|deny
 *            [position=N] [log=no]
 *   rule del ID | rule list
 * Listings answer one line per item, tab-separated, "-" for empty:
 *   group                     name count rules created [members]  (members with NAME)
 *   hostgroup, servicegroup   name count rules created members
 *   rule                      position id action user-group host-group
 *                             service-group log created
 * (members and rules comma-separated; times UTC ISO 8601).  `rule add`
 * answers "id: N" and "position: P".
 *
 * Every accepted change is written to rag.db first and then made live by
 * ragd_policy_reload(): a new snapshot, handed to the subscribers (the
 * nftables compiler) before the command answers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_audit.h"
#include "daemon.h"
#include "log.h"
#include "policy.h"
#include "policy_db.h"
#include "store.h"
#include "users.h"

/* ragd's policy state (struct ragd.policy). */
struct rag_policy {
	pthread_mutex_t mu;		/* guards cur (readers on any thread) */
	sqlite3 *db;			/* rag.db, control thread only */
	const struct pol_snapshot *cur;
	uint64_t generation;
	struct {
		pol_changed_fn fn;
		void *arg;
	} subs[POL_MAX_SUBSCRIBERS];
	size_t nsubs;
};

/* ---- the current snapshot -------------------------------------------------------- */

/* See policy.h. */
int ragd_policy_open(struct ragd *d)
{
	struct rag_policy *p = calloc(1, sizeof(*p));
	char path[4096], err[512];
	struct pol_snapshot *s;
	int r;

	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->mu, NULL);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", d->cfg->state_dir, USERS_DB_FILE) >=
	    sizeof(path)) {
		log_err("policy: state directory path too long");
		r = -ENAMETOOLONG;
		goto fail;
	}
	/* the users module migrated rag.db already; this is a second
	 * connection for the policy (control thread) */
	r = store_open_migrated(path, &store_schema_rag, &p->db, err, sizeof(err));
	if (r == 0)
		r = pol_load(p->db, 1, &s, err, sizeof(err));
	if (r < 0) {
		log_err("policy: %s", err);
		goto fail;
	}
	p->cur = s;
	p->generation = 1;
	d->policy = p;
	log_notice("policy: %zu rule%s over %zu user%s (generation 1)", s->nrules,
		   s->nrules == 1 ? "" : "s", s->nusers, s->nusers == 1 ? "" : "s");
	return 0;
fail:
	store_close(p->db);
	pthread_mutex_destroy(&p->mu);
	free(p);
	return r;
}

/* See policy.h. */
void ragd_policy_close(struct ragd *d)
{
	struct rag_policy *p = d->policy;

	if (!p)
		return;
	d->policy = NULL;
	pol_snapshot_unref(p->cur);
	store_close(p->db);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

/* See policy.h. */
const struct pol_snapshot *ragd_policy_get(struct ragd *d)
{
	const struct pol_snapshot *s;

	if (!d->policy)
		return NULL;
	pthread_mutex_lock(&d->policy->mu);
	s = pol_snapshot_ref(d->policy->cur);
	pthread_mutex_unlock(&d->policy->mu);
	return s;
}

/* See policy.h. */
int ragd_policy_reload(struct ragd *d, char *err, size_t errlen)
{
	struct rag_policy *p = d->policy;
	const struct pol_snapshot *old;
	struct pol_snapshot *s;
	int r;

	if (!p) {
		rag_seterr(err, errlen, "the policy is not loaded");
		return -ENOENT;
	}
	r = pol_load(p->db, p->generation + 1, &s, err, errlen);
	if (r < 0)
		return r;
	pthread_mutex_lock(&p->mu);
	old = p->cur;
	p->cur = s;
	p->generation++;
	pthread_mutex_unlock(&p->mu);
	pol_snapshot_unref(old);
	log_info("policy: generation %llu: %zu rules over %zu users",
		 (unsigned long long)s->generation, s->nrules, s->nusers);
	/* the subscribers run on this (the loop) thread, before the
	 * command that caused the change answers */
	for (size_t i = 0; i < p->nsubs; i++)
		p->subs[i].fn(p->subs[i].arg, s);
	return 0;
}

/* See policy.h. */
int ragd_policy_subscribe(struct ragd *d, pol_changed_fn fn, void *arg)
{
	struct rag_policy *p = d->policy;

	if (!p)
		return -ENOENT;
	if (p->nsubs == POL_MAX_SUBSCRIBERS)
		return -ENOSPC;
	p->subs[p->nsubs].fn = fn;
	p->subs[p->nsubs].arg = arg;
	p->nsubs++;
	fn(arg, p->cur);
	return 0;
}

/* See policy.h. */
void ragd_policy_unsubscribe(struct ragd *d, pol_changed_fn fn, void *arg)
{
	struct rag_policy *p = d->policy;

	if (!p)
		return;
	for (size_t i = 0; i < p->nsubs; i++)
		if (p->subs[i].fn == fn && p->subs[i].arg == arg) {
			memmove(&p->subs[i], &p->subs[i + 1],
				(p->nsubs - i - 1) * sizeof(p->subs[0]));
			p->nsubs--;
			return;
		}
}

/* ---- the control commands --------------------------------------------------------- */

#define MAX_TOKENS (4 + POL_CMD_MEMBERS_MAX)

struct out {
	ctl_emit_fn emit;
	void *arg;
};

static void outf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Emit formatted text of any length. */
static void outf(struct out *o, const char *fmt, ...)
{
	char small[1024], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		o->emit(o->arg, small);
		return;
	}
	big = malloc((size_t)n + 1);
	if (!big) {
		o->emit(o->arg, small);	/* cut; the response then fails as a whole */
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	o->emit(o->arg, big);
	free(big);
}

/* A listing is collected first, so that an error never follows "OK". */
struct growbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

/* ctl_emit_fn appending to a growbuf (at most RAG_CTL_MAX_RESPONSE). */
static void collect(void *arg, const char *text)
{
	struct growbuf *b = arg;

	if (!b->oom && rag_appendf(&b->s, &b->len, &b->cap, RAG_CTL_MAX_RESPONSE, "%s", text) < 0)
		b->oom = true;
}

static void refuse(struct out *o, int r, const char *msg);

/* Answer a collected listing: "OK" and the lines, or the error. */
static void list_done(struct out *o, struct growbuf *b, int r, const char *err)
{
	if (r == 0 && b->oom)
		outf(o, "ERR %d listing too large for one response\n", RAG_CTL_E_REFUSED);
	else if (r < 0)
		refuse(o, r, err);
	else {
		o->emit(o->arg, "OK\n");
		if (b->s)
			o->emit(o->arg, b->s);
	}
	free(b->s);
}

/* "ERR <code> <msg>" for a negative errno r from policy_db. */
static void refuse(struct out *o, int r, const char *msg)
{
	outf(o, "ERR %d %s\n", r == -EINVAL ? RAG_CTL_E_USAGE : RAG_CTL_E_REFUSED, msg);
}

/* Usage error of a malformed request. */
static void usage(struct out *o, const char *cmd, const char *what)
{
	outf(o, "ERR %d %s: %s\n", RAG_CTL_E_USAGE, cmd, what);
}

/*
 * A change was stored: make it live and record it.  old / new describe the
 * changed object before and after ("-" for none).
 */
static void changed(struct ragd *d, struct ctl_client *c, struct out *o, const char *what,
		    const char *old, const char *new, bool membership, const char *body)
{
	char err[512], q[RAG_QUOTE_MAX];

	if (membership && d->users && users_reload_groups(d->users, err, sizeof(err)) < 0)
		log_warn("policy: user groups shown by 'user list' may be stale: %s", err);
	/* the audit log (ctl_audit.h): "-" is "did not exist" / "removed" */
	ctl_audit_object(c, what, strcmp(old, "-") ? old : NULL, strcmp(new, "-") ? new : NULL);
	log_notice("control: uid %u: %s: %s -> %s", (unsigned int)c->uid,
		   rag_quote_str(q, sizeof(q), what), old, new);
	if (ragd_policy_reload(d, err, sizeof(err)) < 0) {
		ctl_audit_error(c);	/* changed in rag.db, not in force */
		log_err("policy: %s stored in rag.db but not applied: %s", what, err);
		outf(o, "ERR %d stored in rag.db but not applied: %s\n", RAG_CTL_E_REFUSED, err);
		return;
	}
	outf(o, "OK\n%s", body ? body : "");
}

/* Group listing line (pol_db_group_list callback). */
static void group_line(void *arg, const struct pol_db_group *g)
{
	char cr[32];

	rag_format_utc(cr, sizeof(cr), (long long)g->created);
	if (g->members)
		outf(arg, "%s\t%zu\t%s\t%s\t%s\n", g->name, g->nmembers,
		     g->rules[0] ? g->rules : "-", cr, g->members[0] ? g->members : "-");
	else
		outf(arg, "%s\t%zu\t%s\t%s\n", g->name, g->nmembers,
		     g->rules[0] ? g->rules : "-", cr);
}

/* The members of a host / service group as text for the audit ("-" for none). */
static void members_of(void *arg, const struct pol_db_group *g)
{
	char *buf = arg;

	snprintf(buf, 2048, "%s", g->members && g->members[0] ? g->members : "(empty)");
}

/* Parse the members tok[0..n) of family f into hosts / svcs (room for
 * POL_CMD_MEMBERS_MAX). */
static int parse_members(enum pol_family f, char **tok, size_t n, struct pol_prefix *hosts,
			 struct pol_service *svcs, char *err, size_t errlen)
{
	if (n > POL_CMD_MEMBERS_MAX) {
		rag_seterr(err, errlen, "%zu members in one command; at most %d", n,
			   POL_CMD_MEMBERS_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		int r = f == POL_FAM_HOST ? pol_parse_prefix(tok[i], &hosts[i], err, errlen) :
			pol_parse_service(tok[i], &svcs[i], err, errlen);

		if (r < 0)
			return r;
	}
	return 0;
}

/* See daemon.h: group, hostgroup, servicegroup. */
void ctl_policy_group_cmd(struct ragd *d, struct ctl_client *c, int family, char *args,
			  ctl_emit_fn emit, void *arg)
{
	enum pol_family f = (enum pol_family)family;
	const char *cmd = pol_family_cmd(f);
	struct out o = { emit, arg };
	char *tok[MAX_TOKENS], *save = NULL, *t;
	struct pol_prefix hosts[POL_CMD_MEMBERS_MAX];
	struct pol_service svcs[POL_CMD_MEMBERS_MAX];
	char err[512], what[256], before[2048], after[2048];
	size_t nt = 0;
	int r;

	if (!d->policy) {
		outf(&o, "ERR %d the policy database is not open\n", RAG_CTL_E_REFUSED);
		return;
	}
	for (t = strtok_r(args, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (nt == MAX_TOKENS) {
			outf(&o, "ERR %d %s: more than %d members in one command\n",
			     RAG_CTL_E_USAGE, cmd, POL_CMD_MEMBERS_MAX);
			return;
		}
		tok[nt++] = t;
	}
	err[0] = '\0';
	if (nt >= 1 && !strcmp(tok[0], "list")) {
		if (nt > 2) {
			usage(&o, cmd, "list takes at most a NAME");
			return;
		}
		struct growbuf b = { 0 };
		struct out co = { collect, &b };

		r = pol_db_group_list(d->policy->db, f, nt == 2 ? tok[1] : NULL, true, group_line,
				      &co, err, sizeof(err));
		list_done(&o, &b, r, err);
		return;
	}
	if (nt >= 2 && (!strcmp(tok[0], "add") || !strcmp(tok[0], "del"))) {
		bool add = tok[0][0] == 'a';
		size_t nm = nt - 2;

		if (!add && nm) {
			usage(&o, cmd, "del takes one NAME");
			return;
		}
		if (add && nm && f == POL_FAM_USER) {
			usage(&o, cmd, "add takes one NAME (members: group member add)");
			return;
		}
		if (add && parse_members(f, tok + 2, nm, hosts, svcs, err, sizeof(err)) < 0) {
			refuse(&o, -EINVAL, err);
			return;
		}
		before[0] = '\0';
		if (!add && f != POL_FAM_USER)
			pol_db_group_list(d->policy->db, f, tok[1], true, members_of, before,
					  NULL, 0);
		r = add ? pol_db_group_add(d->policy->db, f, tok[1], hosts, svcs, nm,
					   (int64_t)time(NULL), err, sizeof(err)) :
		    pol_db_group_del(d->policy->db, f, tok[1], err, sizeof(err));
		if (r < 0) {
			refuse(&o, r, err);
			return;
		}
		snprintf(what, sizeof(what), "%s %s %s", cmd, tok[0], tok[1]);
		after[0] = '\0';
		if (add && f != POL_FAM_USER)
			pol_db_group_list(d->policy->db, f, tok[1], true, members_of, after, NULL, 0);
		changed(d, c, &o, what, add ? "-" : before[0] ? before : "(group)",
			add ? after[0] ? after : "(group)" : "-", !add && f == POL_FAM_USER, NULL);
		return;
	}
	if (nt >= 4 && !strcmp(tok[0], "member") &&
	    (!strcmp(tok[1], "add") || !strcmp(tok[1], "del"))) {
		bool add = tok[1][0] == 'a';
		size_t nm = nt - 3;

		if (f == POL_FAM_USER) {
			if (nt != 4) {
				usage(&o, cmd, "member add|del takes GROUP USER");
				return;
			}
			r = pol_db_user_member(d->policy->db, tok[2], tok[3], add, err, sizeof(err));
			if (r < 0) {
				refuse(&o, r, err);
				return;
			}
			snprintf(what, sizeof(what), "group member %s %s %s", tok[1], tok[2], tok[3]);
			snprintf(before, sizeof(before), "%s %sin %s", tok[3], add ? "not " : "",
				 tok[2]);
			snprintf(after, sizeof(after), "%s %sin %s", tok[3], add ? "" : "not ", tok[2]);
			changed(d, c, &o, what, before, after, true, NULL);
			return;
		}
		if (parse_members(f, tok + 3, nm, hosts, svcs, err, sizeof(err)) < 0) {
			refuse(&o, -EINVAL, err);
			return;
		}
		before[0] = after[0] = '\0';
		pol_db_group_list(d->policy->db, f, tok[2], true, members_of, before, NULL, 0);
		r = f == POL_FAM_HOST ? pol_db_hosts(d->policy->db, tok[2], add, hosts, nm, err,
						     sizeof(err)) :
		    pol_db_services(d->policy->db, tok[2], add, svcs, nm, err, sizeof(err));
		if (r < 0) {
			refuse(&o, r, err);
			return;
		}
		pol_db_group_list(d->policy->db, f, tok[2], true, members_of, after, NULL, 0);
		snprintf(what, sizeof(what), "%s member %s %s", cmd, tok[1], tok[2]);
		changed(d, c, &o, what, before, after, false, NULL);
		return;
	}
	outf(&o, "ERR %d usage: %s add NAME%s | %s del NAME | %s list [NAME] | "
	     "%s member add|del %s\n", RAG_CTL_E_USAGE, cmd,
	     f == POL_FAM_USER ? "" : " [MEMBER]...", cmd, cmd, cmd,
	     f == POL_FAM_USER ? "GROUP USER" : "NAME MEMBER...");
}

/* Rule listing line (pol_db_rule_list callback). */
static void rule_line(void *arg, const struct pol_db_rule *x)
{
	char cr[32];

	rag_format_utc(cr, sizeof(cr), (long long)x->created);
	outf(arg, "%u\t%u\t%s\t%s\t%s\t%s\t%s\t%s\n", x->position, x->id,
	     x->permit ? "permit" : "deny", x->user_group, x->host_group, x->service_group,
	     x->log ? "yes" : "no", cr);
}

/* A rule as one line of text for the audit (pol_db_rule_list callback). */
static void rule_text(void *arg, const struct pol_db_rule *x)
{
	snprintf(arg, 512, "rule %u at %u: %s %s -> %s %s%s", x->id, x->position,
		 x->permit ? "permit" : "deny", x->user_group, x->host_group, x->service_group,
		 x->log ? "" : " no-log");
}

/* See daemon.h: rule add | rule del | rule list. */
void ctl_policy_rule_cmd(struct ragd *d, struct ctl_client *c, char *args, ctl_emit_fn emit,
			 void *arg)
{
	static const char *const keys[] = { "user-group", "host-group", "service-group",
					    "action", "position", "log" };
	struct out o = { emit, arg };
	char *tok[8], *save = NULL, *t;
	const char *val[6] = { 0 };
	char err[512], what[64], old[512], new[512], body[64];
	size_t nt = 0;
	uint64_t v;
	int r;

	if (!d->policy) {
		outf(&o, "ERR %d the policy database is not open\n", RAG_CTL_E_REFUSED);
		return;
	}
	for (t = strtok_r(args, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (nt == 8) {
			usage(&o, "rule", "too many arguments");
			return;
		}
		tok[nt++] = t;
	}
	err[0] = '\0';
	if (nt == 1 && !strcmp(tok[0], "list")) {
		struct growbuf b = { 0 };
		struct out co = { collect, &b };

		r = pol_db_rule_list(d->policy->db, 0, rule_line, &co, err, sizeof(err));
		list_done(&o, &b, r, err);
		return;
	}
	if (nt == 2 && !strcmp(tok[0], "del")) {
		if (rag_parse_uint(tok[1], 1, UINT32_MAX, &v) < 0) {
			usage(&o, "rule del", "ID is a number from 1");
			return;
		}
		snprintf(old, sizeof(old), "-");
		pol_db_rule_list(d->policy->db, (uint32_t)v, rule_text, old, NULL, 0);
		r = pol_db_rule_del(d->policy->db, (uint32_t)v, err, sizeof(err));
		if (r < 0) {
			refuse(&o, r, err);
			return;
		}
		snprintf(what, sizeof(what), "rule del %u", (unsigned int)v);
		changed(d, c, &o, what, old, "-", false, NULL);
		return;
	}
	if (nt >= 1 && !strcmp(tok[0], "add")) {
		uint32_t id, pos = 0;
		bool permit, log = true;

		for (size_t i = 1; i < nt; i++) {
			char *eq = strchr(tok[i], '=');
			size_t k;

			for (k = 0; eq && k < sizeof(keys) / sizeof(keys[0]); k++)
				if (strlen(keys[k]) == (size_t)(eq - tok[i]) &&
				    !strncmp(keys[k], tok[i], (size_t)(eq - tok[i])))
					break;
			if (!eq || k == sizeof(keys) / sizeof(keys[0]) || val[k]) {
				usage(&o, "rule add", "unexpected or repeated argument");
				return;
			}
			val[k] = eq + 1;
		}
		if (!val[0] || !val[1] || !val[2] || !val[3]) {
			usage(&o, "rule add", "needs user-group, host-group, service-group and "
			      "action");
			return;
		}
		if (strcmp(val[3], "permit") && strcmp(val[3], "deny")) {
			usage(&o, "rule add", "action is permit or deny");
			return;
		}
		permit = val[3][0] == 'p';
		if (val[4]) {
			if (rag_parse_uint(val[4], 1, POL_RULES_MAX, &v) < 0) {
				outf(&o, "ERR %d rule add: --position %s: a number from 1 to %d\n",
				     RAG_CTL_E_USAGE, val[4], POL_RULES_MAX);
				return;
			}
			pos = (uint32_t)v;
		}
		if (val[5]) {
			if (strcmp(val[5], "no") && strcmp(val[5], "yes")) {
				usage(&o, "rule add", "log is yes or no");
				return;
			}
			log = val[5][0] == 'y';
		}
		r = pol_db_rule_add(d->policy->db, val[0], val[1], val[2], permit, log, &pos,
				    (int64_t)time(NULL), &id, err, sizeof(err));
		if (r < 0) {
			refuse(&o, r, err);
			return;
		}
		snprintf(what, sizeof(what), "rule add %u", id);
		snprintf(new, sizeof(new), "-");
		pol_db_rule_list(d->policy->db, id, rule_text, new, NULL, 0);
		snprintf(body, sizeof(body), "id: %u\nposition: %u\n", id, pos);
		changed(d, c, &o, what, "-", new, false, body);
		return;
	}
	usage(&o, "rule", "add user-group=G host-group=H service-group=S action=permit|deny "
	      "[position=N] [log=no] | del ID | list");
}

/* See daemon.h: after `user add` / `user del` succeeded. */
void ctl_policy_users_changed(struct ragd *d)
{
	char err[512];

	if (d->policy && ragd_policy_reload(d, err, sizeof(err)) < 0)
		log_err("policy: users changed but the policy was not reloaded: %s", err);
}
