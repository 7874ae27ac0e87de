/*
 * policy_db.c — administration of the access policy in rag.db
 * (policy_db.h).  Control thread only; each change is one IMMEDIATE
 * transaction that either commits whole or is rolled back.
 */
#include "policy_db.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "store.h"
#include "users.h"

/* The tables of one family (constant strings, never user input). */
static const struct fam {
	const char *cmd;	/* rag-ctl command */
	const char *what;	/* for messages */
	const char *table;
	const char *members;	/* member table */
	const char *rule_col;	/* the rule column referring to it */
} fams[3] = {
	[POL_FAM_USER] = { "group", "user group", "user_group", "user_group_member",
			   "user_group_id" },
	[POL_FAM_HOST] = { "hostgroup", "host group", "host_group", "host_group_member",
			   "host_group_id" },
	[POL_FAM_SERVICE] = { "servicegroup", "service group", "service_group",
			      "service_group_member", "service_group_id" },
};

/* See policy_db.h. */
const char *pol_family_cmd(enum pol_family f)
{
	return fams[f].cmd;
}

/* ---- small helpers --------------------------------------------------------------- */

/* A growing string (sticky out-of-memory). */
struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append formatted text. */
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 64;
		char *ns;

		while (ncap < b->len + (size_t)n + 1)
			ncap *= 2;
		ns = realloc(b->s, ncap);
		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = ncap;
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* The text so far ("" when empty or out of memory). */
static const char *sb_str(const struct sbuf *b)
{
	return b->s && !b->oom ? b->s : "";
}

/* Prepare sql; 0 or -EIO with err. */
static int prep(sqlite3 *db, sqlite3_stmt **st, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int prep(sqlite3 *db, sqlite3_stmt **st, char *err, size_t errlen, const char *fmt, ...)
{
	char sql[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	*st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK)
		return 0;
	rag_seterr(err, errlen, "rag.db: %s", sqlite3_errmsg(db));
	return -EIO;
}

/* Step a statement expected to finish (INSERT/UPDATE/DELETE) and finalize
 * it; 0 or -EIO with err. */
static int step_done(sqlite3 *db, sqlite3_stmt *st, char *err, size_t errlen)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	rag_seterr(err, errlen, "rag.db: %s", sqlite3_errmsg(db));
	return -EIO;
}

/* A single integer from sql with one optional int64 parameter (-1: none);
 * *out or -EIO. */
static int q_int(sqlite3 *db, int64_t param, int64_t *out, char *err, size_t errlen,
		 const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int q_int(sqlite3 *db, int64_t param, int64_t *out, char *err, size_t errlen,
		 const char *fmt, ...)
{
	char sql[512];
	sqlite3_stmt *st;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (prep(db, &st, err, errlen, "%s", sql) < 0)
		return -EIO;
	if (param >= 0)
		sqlite3_bind_int64(st, 1, param);
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;
	rag_seterr(err, errlen, "rag.db: %s", sqlite3_errmsg(db));
	return -EIO;
}

/* BEGIN IMMEDIATE: 0 or -EIO. */
static int begin(sqlite3 *db, char *err, size_t errlen)
{
	return store_exec(db, "BEGIN IMMEDIATE", err, errlen) < 0 ? -EIO : 0;
}

/* COMMIT, or ROLLBACK when r < 0 (or the commit fails); returns r or -EIO. */
static int finish(sqlite3 *db, int r, char *err, size_t errlen)
{
	if (r == 0 && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		rag_seterr(err, errlen, "rag.db: %s", sqlite3_errmsg(db));
		r = -EIO;
	}
	if (r < 0)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

/* A group or user name as users.h has them. */
static int check_name(const char *what, const char *name, char *err, size_t errlen)
{
	if (users_valid_name(name, strlen(name)))
		return 0;
	rag_seterr(err, errlen, "invalid %s name '%.80s': 1-%d characters of A-Z a-z 0-9 . _ "
		   "@ -, not starting with . or -", what, name, POL_NAME_MAX);
	return -EINVAL;
}

/* The id of group `name` of family f (and its stored spelling in canon,
 * POL_NAME_MAX + 1 bytes, when not NULL).  0, -ENOENT (err names it), -EIO. */
static int group_id(sqlite3 *db, enum pol_family f, const char *name, int64_t *id,
		    char *canon, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (check_name(fams[f].what, name, err, errlen) < 0)
		return -EINVAL;
	if (prep(db, &st, err, errlen, "SELECT id, name FROM %s WHERE name = ?1",
		 fams[f].table) < 0)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		if (canon)
			snprintf(canon, POL_NAME_MAX + 1, "%s", sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE) {
		rag_seterr(err, errlen, "%s '%s' does not exist", fams[f].what, name);
		return -ENOENT;
	}
	rag_seterr(err, errlen, "rag.db: %s", sqlite3_errmsg(db));
	return -EIO;
}

/* "3,7" (ascending; sep between) of the rules using group gid of family f
 * into b. */
static int rules_using(sqlite3 *db, enum pol_family f, int64_t gid, const char *sep,
		       struct sbuf *b, size_t *count, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	*count = 0;
	if (prep(db, &st, err, errlen, "SELECT id FROM rule WHERE %s = ?1 ORDER BY id",
		 fams[f].rule_col) < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, gid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sb_add(b, "%s%lld", *count ? sep : "", (long long)sqlite3_column_int64(st, 0));
		(*count)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rag_seterr(err, errlen, "rag.db: %s", sqlite3_errmsg(db));
		return -EIO;
	}
	return b->oom ? -ENOMEM : 0;
}

/* ---- members ---------------------------------------------------------------------- */

/* Store form of a prefix: family 4/6 and the address length. */
static int fam46(const struct pol_prefix *p)
{
	return p->family == AF_INET ? 4 : 6;
}

static size_t alen(const struct pol_prefix *p)
{
	return p->family == AF_INET ? 4 : 16;
}

/* Validate n prefixes (as pol_parse_prefix leaves them). */
static int check_hosts(const struct pol_prefix *p, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		char t[POL_PREFIX_STR];
		struct pol_prefix q;

		pol_format_prefix(&p[i], t, sizeof(t));
		if ((p[i].family != AF_INET && p[i].family != AF_INET6) ||
		    pol_parse_prefix(t, &q, err, errlen) < 0 || memcmp(&q, &p[i], sizeof(q))) {
			if (!err || !err[0] || (p[i].family != AF_INET && p[i].family != AF_INET6))
				rag_seterr(err, errlen, "invalid address or CIDR");
			return -EINVAL;
		}
		for (size_t k = 0; k < i; k++)
			if (!memcmp(&p[k], &p[i], sizeof(p[i]))) {
				rag_seterr(err, errlen, "%s given twice", t);
				return -EEXIST;
			}
	}
	return 0;
}

/* Validate n services. */
static int check_services(const struct pol_service *v, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		char t[POL_SERVICE_STR];
		struct pol_service q;

		pol_format_service(&v[i], t, sizeof(t));
		if (pol_parse_service(t, &q, err, errlen) < 0 || q.proto != v[i].proto ||
		    q.port_lo != v[i].port_lo || q.port_hi != v[i].port_hi) {
			rag_seterr(err, errlen, "invalid service %s", t);
			return -EINVAL;
		}
		for (size_t k = 0; k < i; k++)
			if (v[k].proto == v[i].proto && v[k].port_lo == v[i].port_lo &&
			    v[k].port_hi == v[i].port_hi) {
				rag_seterr(err, errlen, "%s given twice", t);
				return -EEXIST;
			}
	}
	return 0;
}

/* Whether host group gid has p: 1, 0 or -EIO. */
static int host_has(sqlite3 *db, int64_t gid, const struct pol_prefix *p, char *err,
		    size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (prep(db, &st, err, errlen, "SELECT 1 FROM host_group_member WHERE group_id = ?1 "
		 "AND family = ?2 AND addr = ?3 AND prefix = ?4") < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, gid);
	sqlite3_bind_int(st, 2, fam46(p));
	sqlite3_bind_blob(st, 3, p->addr, (int)alen(p), SQLITE_STATIC);
	sqlite3_bind_int(st, 4, p->len);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc == SQLITE_ROW;
	rag_seterr(err, errlen, "rag.db: %s", sqlite3_errmsg(db));
	return -EIO;
}

/* Whether service group gid has v: 1, 0 or -EIO. */
static int svc_has(sqlite3 *db, int64_t gid, const struct pol_service *v, char *err,
		   size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (prep(db, &st, err, errlen, "SELECT 1 FROM service_group_member WHERE group_id = ?1 "
		 "AND proto = ?2 AND port_lo = ?3 AND port_hi = ?4") < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, gid);
	sqlite3_bind_int(st, 2, v->proto);
	sqlite3_bind_int(st, 3, v->port_lo);
	sqlite3_bind_int(st, 4, v->port_hi);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc == SQLITE_ROW;
	rag_seterr(err, errlen, "rag.db: %s", sqlite3_errmsg(db));
	return -EIO;
}

/* Check the member limits of family f for n more members of group gid. */
static int check_room(sqlite3 *db, enum pol_family f, int64_t gid, const char *name, size_t n,
		      char *err, size_t errlen)
{
	long per = f == POL_FAM_HOST ? POL_HOST_MEMBERS_MAX : POL_SVC_MEMBERS_MAX;
	long total = f == POL_FAM_HOST ? POL_HOST_TOTAL_MAX : POL_SVC_TOTAL_MAX;
	int64_t have, all;

	if (q_int(db, gid, &have, err, errlen, "SELECT count(*) FROM %s WHERE group_id = ?1",
		  fams[f].members) < 0 ||
	    q_int(db, -1, &all, err, errlen, "SELECT count(*) FROM %s", fams[f].members) < 0)
		return -EIO;
	if (have + (int64_t)n > per) {
		rag_seterr(err, errlen, "%s '%s' would have %lld members; the limit is %ld",
			   fams[f].what, name, (long long)(have + (int64_t)n), per);
		return -E2BIG;
	}
	if (all + (int64_t)n > total) {
		rag_seterr(err, errlen, "all %ss together would have %lld members; the limit is "
			   "%ld", fams[f].what, (long long)(all + (int64_t)n), total);
		return -E2BIG;
	}
	return 0;
}

/* Add or remove n hosts of group gid (transaction open). */
static int hosts_change(sqlite3 *db, int64_t gid, const char *name, bool add,
			const struct pol_prefix *p, size_t n, char *err, size_t errlen)
{
	int r = check_hosts(p, n, err, errlen);

	if (r == 0 && add)
		r = check_room(db, POL_FAM_HOST, gid, name, n, err, errlen);
	for (size_t i = 0; r == 0 && i < n; i++) {
		char t[POL_PREFIX_STR];
		sqlite3_stmt *st;
		int has = host_has(db, gid, &p[i], err, errlen);

		pol_format_prefix(&p[i], t, sizeof(t));
		if (has < 0)
			return has;
		if (add && has) {
			rag_seterr(err, errlen, "host group '%s' already has %s", name, t);
			return -EEXIST;
		}
		if (!add && !has) {
			rag_seterr(err, errlen, "host group '%s' has no member %s", name, t);
			return -ENOENT;
		}
		if (prep(db, &st, err, errlen, add ?
			 "INSERT INTO host_group_member (group_id, family, addr, prefix) "
			 "VALUES (?1, ?2, ?3, ?4)" :
			 "DELETE FROM host_group_member WHERE group_id = ?1 AND family = ?2 "
			 "AND addr = ?3 AND prefix = ?4") < 0)
			return -EIO;
		sqlite3_bind_int64(st, 1, gid);
		sqlite3_bind_int(st, 2, fam46(&p[i]));
		sqlite3_bind_blob(st, 3, p[i].addr, (int)alen(&p[i]), SQLITE_STATIC);
		sqlite3_bind_int(st, 4, p[i].len);
		r = step_done(db, st, err, errlen);
	}
	return r;
}

/* Add or remove n services of group gid (transaction open). */
static int services_change(sqlite3 *db, int64_t gid, const char *name, bool add,
			   const struct pol_service *v, size_t n, char *err, size_t errlen)
{
	int r = check_services(v, n, err, errlen);

	if (r == 0 && add)
		r = check_room(db, POL_FAM_SERVICE, gid, name, n, err, errlen);
	for (size_t i = 0; r == 0 && i < n; i++) {
		char t[POL_SERVICE_STR];
		sqlite3_stmt *st;
		int has = svc_has(db, gid, &v[i], err, errlen);

		pol_format_service(&v[i], t, sizeof(t));
		if (has < 0)
			return has;
		if (add && has) {
			rag_seterr(err, errlen, "service group '%s' already has %s", name, t);
			return -EEXIST;
		}
		if (!add && !has) {
			rag_seterr(err, errlen, "service group '%s' has no member %s", name, t);
			return -ENOENT;
		}
		if (prep(db, &st, err, errlen, add ?
			 "INSERT INTO service_group_member (group_id, proto, port_lo, port_hi) "
			 "VALUES (?1, ?2, ?3, ?4)" :
			 "DELETE FROM service_group_member WHERE group_id = ?1 AND proto = ?2 "
			 "AND port_lo = ?3 AND port_hi = ?4") < 0)
			return -EIO;
		sqlite3_bind_int64(st, 1, gid);
		sqlite3_bind_int(st, 2, v[i].proto);
		sqlite3_bind_int(st, 3, v[i].port_lo);
		sqlite3_bind_int(st, 4, v[i].port_hi);
		r = step_done(db, st, err, errlen);
	}
	return r;
}

/* The per-command member limit. */
static int check_count(size_t n, char *err, size_t errlen)
{
	if (n <= POL_CMD_MEMBERS_MAX)
		return 0;
	rag_seterr(err, errlen, "%zu members in one command; at most %d", n, POL_CMD_MEMBERS_MAX);
	return -E2BIG;
}

/* ---- groups ----------------------------------------------------------------------- */

/* See policy_db.h. */
int pol_db_group_add(sqlite3 *db, enum pol_family f, const char *name,
		     const struct pol_prefix *hosts, const struct pol_service *svcs, size_t n,
		     int64_t now, char *err, size_t errlen)
{
	char canon[POL_NAME_MAX + 1];
	sqlite3_stmt *st;
	int64_t gid, count;
	int r;

	if (check_name(fams[f].what, name, err, errlen) < 0)
		return -EINVAL;
	if (n && (f == POL_FAM_USER || (f == POL_FAM_HOST ? !hosts : !svcs))) {
		rag_seterr(err, errlen, "members of the wrong kind");
		return -EINVAL;
	}
	if (check_count(n, err, errlen) < 0)
		return -E2BIG;
	if (begin(db, err, errlen) < 0)
		return -EIO;
	r = group_id(db, f, name, &gid, canon, NULL, 0);
	if (r == 0) {
		rag_seterr(err, errlen, "%s '%s' already exists", fams[f].what, canon);
		return finish(db, -EEXIST, err, errlen);
	}
	if (r != -ENOENT)
		return finish(db, -EIO, err, errlen);
	r = q_int(db, -1, &count, err, errlen, "SELECT count(*) FROM %s", fams[f].table);
	if (r == 0 && count >= POL_GROUPS_MAX) {
		rag_seterr(err, errlen, "already %lld %ss, the limit", (long long)count,
			   fams[f].what);
		r = -E2BIG;
	}
	if (r == 0)
		r = prep(db, &st, err, errlen, "INSERT INTO %s (name, created) VALUES (?1, ?2)",
			 fams[f].table);
	if (r == 0) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, now);
		r = step_done(db, st, err, errlen);
	}
	gid = sqlite3_last_insert_rowid(db);
	if (r == 0 && n && f == POL_FAM_HOST)
		r = hosts_change(db, gid, name, true, hosts, n, err, errlen);
	if (r == 0 && n && f == POL_FAM_SERVICE)
		r = services_change(db, gid, name, true, svcs, n, err, errlen);
	return finish(db, r, err, errlen);
}

/* See policy_db.h. */
int pol_db_group_del(sqlite3 *db, enum pol_family f, const char *name, char *err,
		     size_t errlen)
{
	char canon[POL_NAME_MAX + 1];
	struct sbuf ids = { 0 };
	sqlite3_stmt *st;
	size_t nrules = 0;
	int64_t gid;
	int r;

	if (begin(db, err, errlen) < 0)
		return -EIO;
	r = group_id(db, f, name, &gid, canon, err, errlen);
	if (r == 0)
		r = rules_using(db, f, gid, ", ", &ids, &nrules, err, errlen);
	if (r == 0 && nrules) {
		rag_seterr(err, errlen, "%s '%s' is used by rule%s %s: delete %s first",
			   fams[f].what, canon, nrules == 1 ? "" : "s", sb_str(&ids),
			   nrules == 1 ? "it" : "them");
		r = -EBUSY;
	}
	free(ids.s);
	if (r == 0)
		r = prep(db, &st, err, errlen, "DELETE FROM %s WHERE id = ?1", fams[f].table);
	if (r == 0) {
		sqlite3_bind_int64(st, 1, gid);
		r = step_done(db, st, err, errlen);
	}
	return finish(db, r, err, errlen);
}

/* Members of a host or service group (the shared part). */
static int members_change(sqlite3 *db, enum pol_family f, const char *name, bool add,
			  const struct pol_prefix *p, const struct pol_service *v, size_t n,
			  char *err, size_t errlen)
{
	char canon[POL_NAME_MAX + 1];
	int64_t gid;
	int r;

	if (!n) {
		rag_seterr(err, errlen, "no members given");
		return -EINVAL;
	}
	if (check_count(n, err, errlen) < 0)
		return -E2BIG;
	if (begin(db, err, errlen) < 0)
		return -EIO;
	r = group_id(db, f, name, &gid, canon, err, errlen);
	if (r == 0)
		r = f == POL_FAM_HOST ? hosts_change(db, gid, canon, add, p, n, err, errlen) :
		    services_change(db, gid, canon, add, v, n, err, errlen);
	return finish(db, r, err, errlen);
}

/* See policy_db.h. */
int pol_db_hosts(sqlite3 *db, const char *name, bool add, const struct pol_prefix *p,
		 size_t n, char *err, size_t errlen)
{
	return members_change(db, POL_FAM_HOST, name, add, p, NULL, n, err, errlen);
}

/* See policy_db.h. */
int pol_db_services(sqlite3 *db, const char *name, bool add, const struct pol_service *v,
		    size_t n, char *err, size_t errlen)
{
	return members_change(db, POL_FAM_SERVICE, name, add, NULL, v, n, err, errlen);
}

/* See policy_db.h. */
int pol_db_user_member(sqlite3 *db, const char *group, const char *user, bool add,
		       char *err, size_t errlen)
{
	char gname[POL_NAME_MAX + 1], uname[USERS_NAME_MAX + 1];
	sqlite3_stmt *st;
	int64_t gid, uid = 0, is, count;
	int r, rc;

	if (check_name("user", user, err, errlen) < 0)
		return -EINVAL;
	if (begin(db, err, errlen) < 0)
		return -EIO;
	r = group_id(db, POL_FAM_USER, group, &gid, gname, err, errlen);
	if (r == 0)
		r = prep(db, &st, err, errlen, "SELECT id, name FROM users WHERE name = ?1");
	if (r == 0) {
		sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			uid = sqlite3_column_int64(st, 0);
			snprintf(uname, sizeof(uname), "%s", sqlite3_column_text(st, 1));
		} else if (rc == SQLITE_DONE) {
			rag_seterr(err, errlen, "no user '%s'", user);
			r = -ENOENT;
		} else {
			rag_seterr(err, errlen, "rag.db: %s", sqlite3_errmsg(db));
			r = -EIO;
		}
		sqlite3_finalize(st);
	}
	if (r == 0)
		r = prep(db, &st, err, errlen, "SELECT count(*), coalesce(sum(group_id = ?2), 0) "
			 "FROM user_group_member WHERE user_id = ?1");
	if (r == 0) {
		sqlite3_bind_int64(st, 1, uid);
		sqlite3_bind_int64(st, 2, gid);
		rc = sqlite3_step(st);
		count = sqlite3_column_int64(st, 0);
		is = sqlite3_column_int64(st, 1);
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW) {
			rag_seterr(err, errlen, "rag.db: %s", sqlite3_errmsg(db));
			r = -EIO;
		} else if (add && is) {
			rag_seterr(err, errlen, "user '%s' is already in group '%s'", uname, gname);
			r = -EEXIST;
		} else if (!add && !is) {
			rag_seterr(err, errlen, "user '%s' is not in group '%s'", uname, gname);
			r = -ENOENT;
		} else if (add && count >= USERS_GROUPS_MAX) {
			rag_seterr(err, errlen, "user '%s' is already in %lld groups, the limit",
				   uname, (long long)count);
			r = -E2BIG;
		}
	}
	if (r == 0)
		r = prep(db, &st, err, errlen, add ?
			 "INSERT INTO user_group_member (user_id, group_id) VALUES (?1, ?2)" :
			 "DELETE FROM user_group_member WHERE user_id = ?1 AND group_id = ?2");
	if (r == 0) {
		sqlite3_bind_int64(st, 1, uid);
		sqlite3_bind_int64(st, 2, gid);
		r = step_done(db, st, err, errlen);
	}
	return finish(db, r, err, errlen);
}

/* ---- rules ------------------------------------------------------------------------- */

/* See policy_db.h. */
int pol_db_rule_add(sqlite3 *db, const char *user_group, const char *host_group,
		    const char *service_group, bool permit, bool log, uint32_t *pos,
		    int64_t now, uint32_t *id, char *err, size_t errlen)
{
	uint32_t position = *pos;
	int64_t ug, hg, sg, count, rid;
	sqlite3_stmt *st;
	int r;

	*id = 0;
	if (begin(db, err, errlen) < 0)
		return -EIO;
	r = group_id(db, POL_FAM_USER, user_group, &ug, NULL, err, errlen);
	if (r == 0)
		r = group_id(db, POL_FAM_HOST, host_group, &hg, NULL, err, errlen);
	if (r == 0)
		r = group_id(db, POL_FAM_SERVICE, service_group, &sg, NULL, err, errlen);
	if (r == 0)
		r = q_int(db, -1, &count, err, errlen, "SELECT count(*) FROM rule");
	if (r == 0 && count >= POL_RULES_MAX) {
		rag_seterr(err, errlen, "already %lld rules, the limit", (long long)count);
		r = -E2BIG;
	}
	if (r == 0 && position > (uint64_t)count + 1) {
		rag_seterr(err, errlen, "--position %u is past the end: there %s %lld rule%s "
			   "(use 1-%lld)", position, count == 1 ? "is" : "are", (long long)count,
			   count == 1 ? "" : "s", (long long)count + 1);
		r = -ERANGE;
	}
	if (r == 0 && position == 0)
		position = (uint32_t)count + 1;
	if (r == 0)
		r = prep(db, &st, err, errlen, "UPDATE rule SET position = position + 1 "
			 "WHERE position >= ?1");
	if (r == 0) {
		sqlite3_bind_int64(st, 1, position);
		r = step_done(db, st, err, errlen);
	}
	if (r == 0)
		r = prep(db, &st, err, errlen, "INSERT INTO rule (position, user_group_id, "
			 "host_group_id, service_group_id, action, log, created) "
			 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (r == 0) {
		sqlite3_bind_int64(st, 1, position);
		sqlite3_bind_int64(st, 2, ug);
		sqlite3_bind_int64(st, 3, hg);
		sqlite3_bind_int64(st, 4, sg);
		sqlite3_bind_text(st, 5, permit ? "permit" : "deny", -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 6, log ? 1 : 0);
		sqlite3_bind_int64(st, 7, now);
		r = step_done(db, st, err, errlen);
	}
	rid = sqlite3_last_insert_rowid(db);
	if (r == 0 && (rid < 1 || rid > UINT32_MAX)) {
		rag_seterr(err, errlen, "rule IDs are exhausted");
		r = -E2BIG;
	}
	if (r == 0) {
		*id = (uint32_t)rid;
		*pos = position;
	}
	return finish(db, r, err, errlen);
}

/* See policy_db.h. */
int pol_db_rule_del(sqlite3 *db, uint32_t id, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t pos;
	int r;

	if (begin(db, err, errlen) < 0)
		return -EIO;
	r = q_int(db, id, &pos, err, errlen, "SELECT position FROM rule WHERE id = ?1");
	if (r == 0 && pos < 1) {
		rag_seterr(err, errlen, "no rule with ID %u", id);
		r = -ENOENT;
	}
	if (r == 0)
		r = prep(db, &st, err, errlen, "DELETE FROM rule WHERE id = ?1");
	if (r == 0) {
		sqlite3_bind_int64(st, 1, id);
		r = step_done(db, st, err, errlen);
	}
	if (r == 0)
		r = prep(db, &st, err, errlen, "UPDATE rule SET position = position - 1 "
			 "WHERE position > ?1");
	if (r == 0) {
		sqlite3_bind_int64(st, 1, pos);
		r = step_done(db, st, err, errlen);
	}
	return finish(db, r, err, errlen);
}

/* ---- listings ---------------------------------------------------------------------- */

/* The members of group gid of family f as "a,b" into b; *n their count. */
static int members_text(sqlite3 *db, enum pol_family f, int64_t gid, struct sbuf *b,
			size_t *n, char *err, size_t errlen)
{
	static const char *const q[3] = {
		[POL_FAM_USER] = "SELECT u.name FROM user_group_member m JOIN users u "
				 "ON u.id = m.user_id WHERE m.group_id = ?1 ORDER BY u.name",
		[POL_FAM_HOST] = "SELECT family, addr, prefix FROM host_group_member "
				 "WHERE group_id = ?1 ORDER BY family, addr, prefix",
		[POL_FAM_SERVICE] = "SELECT proto, port_lo, port_hi FROM service_group_member "
				    "WHERE group_id = ?1 ORDER BY proto, port_lo, port_hi",
	};
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if (prep(db, &st, err, errlen, "%s", q[f]) < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, gid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char t[POL_PREFIX_STR];

		if (f == POL_FAM_USER) {
			snprintf(t, sizeof(t), "%s", sqlite3_column_text(st, 0));
		} else if (f == POL_FAM_HOST) {
			struct pol_prefix p;
			size_t len = (size_t)sqlite3_column_bytes(st, 1);

			memset(&p, 0, sizeof(p));
			p.family = sqlite3_column_int(st, 0) == 4 ? AF_INET : AF_INET6;
			p.len = (uint8_t)sqlite3_column_int(st, 2);
			if (len <= sizeof(p.addr) && sqlite3_column_blob(st, 1))
				memcpy(p.addr, sqlite3_column_blob(st, 1), len);
			pol_format_prefix(&p, t, sizeof(t));
		} else {
			struct pol_service v;

			v.proto = (uint8_t)sqlite3_column_int(st, 0);
			v.port_lo = (uint16_t)sqlite3_column_int(st, 1);
			v.port_hi = (uint16_t)sqlite3_column_int(st, 2);
			pol_format_service(&v, t, sizeof(t));
		}
		sb_add(b, "%s%s", *n ? "," : "", t);
		(*n)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rag_seterr(err, errlen, "rag.db: %s", sqlite3_errmsg(db));
		return -EIO;
	}
	return b->oom ? -ENOMEM : 0;
}

/* See policy_db.h. */
int pol_db_group_list(sqlite3 *db, enum pol_family f, const char *only, bool with_members,
		      void (*fn)(void *arg, const struct pol_db_group *g), void *arg,
		      char *err, size_t errlen)
{
	sqlite3_stmt *st;
	size_t seen = 0;
	int rc, r = 0;

	if (only && check_name(fams[f].what, only, err, errlen) < 0)
		return -EINVAL;
	if (f != POL_FAM_USER)
		with_members = true;
	else if (!only)
		with_members = false;
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		rag_seterr(err, errlen, "rag.db: %s", sqlite3_errmsg(db));
		return -EIO;
	}
	if (prep(db, &st, err, errlen, "SELECT id, name, created FROM %s %s ORDER BY name",
		 fams[f].table, only ? "WHERE name = ?1" : "") < 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -EIO;
	}
	if (only)
		sqlite3_bind_text(st, 1, only, -1, SQLITE_STATIC);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sbuf mem = { 0 }, ids = { 0 };
		struct pol_db_group g;
		size_t nr;
		int64_t gid = sqlite3_column_int64(st, 0), cnt;
		char name[POL_NAME_MAX + 1];

		snprintf(name, sizeof(name), "%s", sqlite3_column_text(st, 1));
		memset(&g, 0, sizeof(g));
		g.name = name;
		g.created = sqlite3_column_int64(st, 2);
		if (with_members) {
			r = members_text(db, f, gid, &mem, &g.nmembers, err, errlen);
			g.members = sb_str(&mem);
		} else {
			r = q_int(db, gid, &cnt, err, errlen, "SELECT count(*) FROM %s "
				  "WHERE group_id = ?1", fams[f].members);
			g.nmembers = (size_t)cnt;
		}
		if (r == 0)
			r = rules_using(db, f, gid, ",", &ids, &nr, err, errlen);
		g.rules = sb_str(&ids);
		if (r == 0)
			fn(arg, &g);
		seen++;
		free(mem.s);
		free(ids.s);
	}
	if (r == 0 && rc != SQLITE_DONE) {
		rag_seterr(err, errlen, "rag.db: %s", sqlite3_errmsg(db));
		r = -EIO;
	}
	sqlite3_finalize(st);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (r == 0 && only && !seen) {
		rag_seterr(err, errlen, "%s '%s' does not exist", fams[f].what, only);
		r = -ENOENT;
	}
	return r;
}

/* See policy_db.h. */
int pol_db_rule_list(sqlite3 *db, uint32_t only,
		     void (*fn)(void *arg, const struct pol_db_rule *r), void *arg,
		     char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (prep(db, &st, err, errlen, "SELECT r.position, r.id, r.action, r.log, ug.name, "
		 "hg.name, sg.name, r.created FROM rule r "
		 "JOIN user_group ug ON ug.id = r.user_group_id "
		 "JOIN host_group hg ON hg.id = r.host_group_id "
		 "JOIN service_group sg ON sg.id = r.service_group_id %s "
		 "ORDER BY r.position, r.id", only ? "WHERE r.id = ?1" : "") < 0)
		return -EIO;
	if (only)
		sqlite3_bind_int64(st, 1, only);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct pol_db_rule x;

		x.position = (uint32_t)sqlite3_column_int64(st, 0);
		x.id = (uint32_t)sqlite3_column_int64(st, 1);
		x.permit = sqlite3_column_text(st, 2) &&
			   !strcmp((const char *)sqlite3_column_text(st, 2), "permit");
		x.log = sqlite3_column_int(st, 3) != 0;
		x.user_group = (const char *)sqlite3_column_text(st, 4);
		x.host_group = (const char *)sqlite3_column_text(st, 5);
		x.service_group = (const char *)sqlite3_column_text(st, 6);
		x.created = sqlite3_column_int64(st, 7);
		if (!x.user_group || !x.host_group || !x.service_group)
			continue;
		fn(arg, &x);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rag_seterr(err, errlen, "rag.db: %s", sqlite3_errmsg(db));
		return -EIO;
	}
	return 0;
}
