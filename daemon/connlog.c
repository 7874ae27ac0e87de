/*
 * connlog.c — connection, auth, acl and audit log rows through the logs.db
 * writer thread (see connlog.h).  Producers copy the row into a heap job;
 * the writer thread inserts batches in one transaction with statements it
 * prepared once.  Retention (retention.c) runs as the writer's maintenance
 * function.
 */
#include "connlog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "retention.h"
#include "store.h"

/* The writer connection: a page cache that holds the hot index pages.
 * Checkpoints run in the writer's sync thread (store_writer_offload_sync). */
#define CONNLOG_WRITER_PRAGMAS "PRAGMA cache_size = -32768;"

struct connlog {
	struct store_writer *writer;
	sqlite3_stmt *ins_conn, *ins_auth, *ins_acl, *ins_audit;	/* writer thread only */
	struct retention ret;
};

/* See connlog.h. */
const char *connlog_event_name(enum connlog_event ev)
{
	switch (ev) {
	case CONNLOG_CONNECT: return "connect";
	case CONNLOG_DISCONNECT: return "disconnect";
	case CONNLOG_REKEY: return "rekey";
	case CONNLOG_FAIL: return "fail";
	}
	return NULL;
}

/* See connlog.h. */
const char *connlog_result_name(enum connlog_result r)
{
	switch (r) {
	case CONNLOG_AUTH_SUCCESS: return "success";
	case CONNLOG_AUTH_FAILURE: return "failure";
	case CONNLOG_AUTH_LOCKED: return "locked";
	}
	return NULL;
}

/* See connlog.h. */
const char *connlog_audit_result_name(enum connlog_audit_result r)
{
	switch (r) {
	case CONNLOG_AUDIT_OK: return "ok";
	case CONNLOG_AUDIT_REFUSED: return "refused";
	case CONNLOG_AUDIT_ERROR: return "error";
	}
	return NULL;
}

/* See connlog.h. */
void connlog_format_addr(const struct sockaddr_storage *sa, char *out, size_t outlen)
{
	char a[INET6_ADDRSTRLEN];

	if (!outlen)
		return;
	out[0] = '\0';
	if (sa->ss_family == AF_INET) {
		struct sockaddr_in in;

		memcpy(&in, sa, sizeof(in));
		if (inet_ntop(AF_INET, &in.sin_addr, a, sizeof(a)))
			snprintf(out, outlen, "%s:%u", a, (unsigned int)ntohs(in.sin_port));
	} else if (sa->ss_family == AF_INET6) {
		struct sockaddr_in6 in6;

		memcpy(&in6, sa, sizeof(in6));
		if (inet_ntop(AF_INET6, &in6.sin6_addr, a, sizeof(a)))
			snprintf(out, outlen, "[%s]:%u", a, (unsigned int)ntohs(in6.sin6_port));
	}
}

/* The address (without port) and port of sa; port -1 when unknown. */
static int split_addr(const struct sockaddr_storage *sa, char *out, size_t outlen)
{
	out[0] = '\0';
	if (sa->ss_family == AF_INET) {
		struct sockaddr_in in;

		memcpy(&in, sa, sizeof(in));
		if (inet_ntop(AF_INET, &in.sin_addr, out, (socklen_t)outlen))
			return ntohs(in.sin_port);
	} else if (sa->ss_family == AF_INET6) {
		struct sockaddr_in6 in6;

		memcpy(&in6, sa, sizeof(in6));
		if (inet_ntop(AF_INET6, &in6.sin6_addr, out, (socklen_t)outlen))
			return ntohs(in6.sin6_port);
	}
	out[0] = '\0';
	return -1;
}

/* Current UTC time in milliseconds. */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Bind a bounded string field (always NUL-terminated in its array): NULL
 * when empty and nullable.  SQLITE_STATIC: every bound buffer outlives the
 * statement's step (the caller steps and resets before returning). */
static void bind_str(sqlite3_stmt *st, int i, const char *s, size_t cap, bool nullable)
{
	size_t n = strnlen(s, cap);

	if (!n && nullable)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, (int)n, SQLITE_STATIC);
}

/* uint64 counters as SQLite integers (clamped; 2^63 bytes is not a real case). */
static sqlite3_int64 clamp64(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)v;
}

/* Writer thread: insert one connection row. */
static int insert_conn(sqlite3 *db, struct connlog *l, const struct connlog_conn *c)
{
	char addr[INET6_ADDRSTRLEN], spi_i[17], spi_r[17];
	int port, rc;
	sqlite3_stmt *st;

	if (!l->ins_conn && sqlite3_prepare_v3(db,
		"INSERT INTO connection (time_ms, event, sa_id, user, device, client_addr, "
		"client_port, vip4, vip6, spi_i, spi_r, ike_alg, esp_alg, bytes_in, bytes_out, "
		"packets_in, packets_out, duration_s, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
		"?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)", -1,
		SQLITE_PREPARE_PERSISTENT, &l->ins_conn, NULL) != SQLITE_OK)
		return -EIO;
	st = l->ins_conn;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_int64(st, 1, c->time_ms);
	sqlite3_bind_text(st, 2, connlog_event_name(c->event), -1, SQLITE_STATIC);
	if (c->sa_id)
		sqlite3_bind_int64(st, 3, clamp64(c->sa_id));
	bind_str(st, 4, c->user, sizeof(c->user), false);
	bind_str(st, 5, c->device, sizeof(c->device), false);
	port = split_addr(&c->client, addr, sizeof(addr));
	sqlite3_bind_text(st, 6, addr, -1, SQLITE_STATIC);
	if (port >= 0)
		sqlite3_bind_int(st, 7, port);
	bind_str(st, 8, c->vip4, sizeof(c->vip4), true);
	bind_str(st, 9, c->vip6, sizeof(c->vip6), true);
	if (c->spi_i || c->spi_r) {
		snprintf(spi_i, sizeof(spi_i), "%016" PRIx64, c->spi_i);
		sqlite3_bind_text(st, 10, spi_i, -1, SQLITE_STATIC);
		snprintf(spi_r, sizeof(spi_r), "%016" PRIx64, c->spi_r);
		sqlite3_bind_text(st, 11, spi_r, -1, SQLITE_STATIC);
	}
	bind_str(st, 12, c->ike_alg, sizeof(c->ike_alg), true);
	bind_str(st, 13, c->esp_alg, sizeof(c->esp_alg), true);
	sqlite3_bind_int64(st, 14, clamp64(c->bytes_in));
	sqlite3_bind_int64(st, 15, clamp64(c->bytes_out));
	sqlite3_bind_int64(st, 16, clamp64(c->packets_in));
	sqlite3_bind_int64(st, 17, clamp64(c->packets_out));
	if (c->event != CONNLOG_CONNECT)
		sqlite3_bind_int64(st, 18, c->duration_s);
	bind_str(st, 19, c->reason, sizeof(c->reason), true);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);	/* drop the pointers into this row */
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* Writer thread: insert one auth row. */
static int insert_auth(sqlite3 *db, struct connlog *l, const struct connlog_auth *a)
{
	char addr[INET6_ADDRSTRLEN];
	int port, rc;
	sqlite3_stmt *st;

	if (!l->ins_auth && sqlite3_prepare_v3(db,
		"INSERT INTO auth (time_ms, result, sa_id, user, identity, ike_id, method, "
		"reason, client_addr, client_port, cert_subject, cert_issuer, cert_serial, "
		"cert_sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
		"?14)", -1, SQLITE_PREPARE_PERSISTENT, &l->ins_auth, NULL) != SQLITE_OK)
		return -EIO;
	st = l->ins_auth;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_int64(st, 1, a->time_ms);
	sqlite3_bind_text(st, 2, connlog_result_name(a->result), -1, SQLITE_STATIC);
	if (a->sa_id)
		sqlite3_bind_int64(st, 3, clamp64(a->sa_id));
	bind_str(st, 4, a->user, sizeof(a->user), false);
	bind_str(st, 5, a->identity, sizeof(a->identity), false);
	bind_str(st, 6, a->ike_id, sizeof(a->ike_id), false);
	bind_str(st, 7, a->method, sizeof(a->method), false);
	bind_str(st, 8, a->reason, sizeof(a->reason), false);
	port = split_addr(&a->client, addr, sizeof(addr));
	sqlite3_bind_text(st, 9, addr, -1, SQLITE_STATIC);
	if (port >= 0)
		sqlite3_bind_int(st, 10, port);
	bind_str(st, 11, a->cert_subject, sizeof(a->cert_subject), true);
	bind_str(st, 12, a->cert_issuer, sizeof(a->cert_issuer), true);
	bind_str(st, 13, a->cert_serial, sizeof(a->cert_serial), true);
	bind_str(st, 14, a->cert_sha256, sizeof(a->cert_sha256), true);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);	/* drop the pointers into this row */
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* Writer thread: insert one acl row. */
static int insert_acl(sqlite3 *db, struct connlog *l, const struct connlog_acl *a)
{
	int rc;
	sqlite3_stmt *st;

	if (!l->ins_acl && sqlite3_prepare_v3(db,
		"INSERT INTO acl (time_ms, user, sa_id, vip, dst_addr, proto, src_port, "
		"dst_port, verdict, rule_id, suppressed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
		"?8, ?9, ?10, ?11)", -1, SQLITE_PREPARE_PERSISTENT, &l->ins_acl, NULL) != SQLITE_OK)
		return -EIO;
	st = l->ins_acl;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_int64(st, 1, a->time_ms);
	bind_str(st, 2, a->user, sizeof(a->user), false);
	if (a->sa_id)
		sqlite3_bind_int64(st, 3, clamp64(a->sa_id));
	bind_str(st, 4, a->vip, sizeof(a->vip), false);
	bind_str(st, 5, a->dst, sizeof(a->dst), false);
	bind_str(st, 6, a->proto, sizeof(a->proto), false);
	if (a->src_port >= 0 && a->src_port <= 65535)
		sqlite3_bind_int(st, 7, a->src_port);
	if (a->dst_port >= 0 && a->dst_port <= 65535)
		sqlite3_bind_int(st, 8, a->dst_port);
	sqlite3_bind_text(st, 9, a->permit ? "permit" : "deny", -1, SQLITE_STATIC);
	if (a->rule_id)
		sqlite3_bind_int64(st, 10, a->rule_id);
	sqlite3_bind_int64(st, 11, clamp64(a->suppressed));
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);	/* drop the pointers into this row */
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* Writer thread: insert one audit row. */
static int insert_audit(sqlite3 *db, struct connlog *l, const struct connlog_audit *a)
{
	sqlite3_stmt *st;
	int rc;

	if (!l->ins_audit && sqlite3_prepare_v3(db,
		"INSERT INTO audit (time_ms, uid, unix_user, pid, command, object, old_value, "
		"new_value, result, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
		-1, SQLITE_PREPARE_PERSISTENT, &l->ins_audit, NULL) != SQLITE_OK)
		return -EIO;
	st = l->ins_audit;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_int64(st, 1, a->time_ms);
	sqlite3_bind_int64(st, 2, a->uid);
	bind_str(st, 3, a->unix_user, sizeof(a->unix_user), false);
	if (a->pid > 0)
		sqlite3_bind_int(st, 4, a->pid);
	bind_str(st, 5, a->command, sizeof(a->command), false);
	bind_str(st, 6, a->object, sizeof(a->object), false);
	if (a->has_old)
		bind_str(st, 7, a->old_value, sizeof(a->old_value), false);
	if (a->has_new)
		bind_str(st, 8, a->new_value, sizeof(a->new_value), false);
	sqlite3_bind_text(st, 9, connlog_audit_result_name(a->result), -1, SQLITE_STATIC);
	bind_str(st, 10, a->message, sizeof(a->message), false);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);	/* drop the pointers into this row */
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* store_job_fn for each row type (the job is the row's copy). */
static int conn_job(sqlite3 *db, void *owner, void *job)
{
	return insert_conn(db, owner, job);
}

static int auth_job(sqlite3 *db, void *owner, void *job)
{
	return insert_auth(db, owner, job);
}

static int acl_job(sqlite3 *db, void *owner, void *job)
{
	return insert_acl(db, owner, job);
}

static int audit_job(sqlite3 *db, void *owner, void *job)
{
	return insert_audit(db, owner, job);
}

/* store_job_fn at shutdown: record a retention pass cut short. */
static int retention_abort_job(sqlite3 *db, void *owner, void *job)
{
	struct connlog *l = owner;
	struct connlog_audit *row = job;
	int r = 0;

	if (retention_abort(&l->ret, row)) {
		row->time_ms = now_ms();
		r = insert_audit(db, l, row);
		retention_complete(&l->ret);
	}
	return r;
}

/* store_maint_fn: one retention step; its audit row when a pass ends. */
static uint64_t logs_maint(sqlite3 *db, void *owner, uint64_t mono_ms)
{
	struct connlog *l = owner;
	struct connlog_audit row;
	bool ready;

	(void)mono_ms;
	if (retention_step(&l->ret, db, now_ms(), &row, &ready))
		return 0;	/* more to do after the next batch */
	if (ready) {
		row.time_ms = now_ms();
		if (store_exec(db, "BEGIN IMMEDIATE", NULL, 0) == 0) {
			if (insert_audit(db, l, &row) < 0 || store_exec(db, "COMMIT", NULL, 0) < 0)
				store_exec(db, "ROLLBACK", NULL, 0);
		}
		retention_complete(&l->ret);
	}
	return RETENTION_EVERY_MS;
}

/* See connlog.h. */
int connlog_open(struct connlog **out, const char *state_dir, char *err, size_t errlen)
{
	struct connlog *l = calloc(1, sizeof(*l));
	char path[4096], msg[STORE_ERR_MAX];
	bool vacuumed;
	sqlite3 *db;
	int r;

	*out = NULL;
	if (!l)
		return -ENOMEM;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", state_dir, CONNLOG_DB_FILE) >=
	    sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", state_dir);
		free(l);
		return -ENAMETOOLONG;
	}
	/* the writer writes through the scrubbing VFS (store.h) */
	if (store_scrub_vfs_register() < 0) {
		snprintf(err, errlen, "%s: cannot register the %s VFS", path, STORE_SCRUB_VFS);
		free(l);
		return -EIO;
	}
	r = store_open_vfs(path, STORE_SCRUB_VFS, &db, err, errlen);
	if (r < 0) {
		free(l);
		return r;
	}
	/* before the migrations: a new file gets auto_vacuum before its tables */
	r = retention_prepare_db(db, &vacuumed, msg, sizeof(msg));
	if (r == 0)
		r = store_exec(db, CONNLOG_WRITER_PRAGMAS, msg, sizeof(msg));
	if (r == 0)
		r = store_migrate_to(db, &store_schema_logs, (unsigned int)store_schema_logs.n,
				     msg, sizeof(msg));
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path, msg);
		store_close(db);
		free(l);
		return r;
	}
	retention_init(&l->ret);
	r = store_writer_start(&l->writer, db, CONNLOG_MAX_QUEUE);
	if (r < 0) {
		snprintf(err, errlen, "%s: cannot start the log writer: %s", path, strerror(-r));
		retention_destroy(&l->ret);
		store_close(db);
		free(l);
		return r;
	}
	r = store_writer_offload_sync(l->writer, path, STORE_SCRUB_VFS, msg, sizeof(msg));
	if (r < 0) {
		snprintf(err, errlen, "%s", msg);
		connlog_close(l);
		return r;
	}
	store_writer_set_max_delay(l->writer, CONNLOG_MAX_DELAY_MS);
	*out = l;
	return 0;
}

/* Queue a copy of a row (size bytes, fixed by fix() in the copy). */
static int submit(struct connlog *l, store_job_fn fn, const void *row, size_t size,
		  bool reserved)
{
	void *copy = malloc(size);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, row, size);
	return (reserved ? store_writer_submit_reserved : store_writer_submit)(l->writer, fn,
									 l, copy, free);
}

/* Strings are bounded by their arrays even if the caller did not terminate
 * them; the time defaults to now. */
#define TERMINATE(field) ((field)[sizeof(field) - 1] = '\0')

/* See connlog.h. */
int connlog_connection(struct connlog *l, const struct connlog_conn *row)
{
	struct connlog_conn c;

	if (!connlog_event_name(row->event))
		return -EINVAL;
	c = *row;
	if (!c.time_ms)
		c.time_ms = now_ms();
	TERMINATE(c.user);
	TERMINATE(c.device);
	TERMINATE(c.vip4);
	TERMINATE(c.vip6);
	TERMINATE(c.ike_alg);
	TERMINATE(c.esp_alg);
	TERMINATE(c.reason);
	return submit(l, conn_job, &c, sizeof(c), false);
}

/* See connlog.h. */
int connlog_auth(struct connlog *l, const struct connlog_auth *row)
{
	struct connlog_auth a;

	if (!connlog_result_name(row->result))
		return -EINVAL;
	a = *row;
	if (!a.time_ms)
		a.time_ms = now_ms();
	TERMINATE(a.user);
	TERMINATE(a.identity);
	TERMINATE(a.ike_id);
	TERMINATE(a.method);
	TERMINATE(a.reason);
	TERMINATE(a.cert_subject);
	TERMINATE(a.cert_issuer);
	TERMINATE(a.cert_serial);
	TERMINATE(a.cert_sha256);
	return submit(l, auth_job, &a, sizeof(a), false);
}

/* See connlog.h. */
int connlog_acl(struct connlog *l, const struct connlog_acl *row)
{
	struct connlog_acl a = *row;

	if (!a.time_ms)
		a.time_ms = now_ms();
	TERMINATE(a.user);
	TERMINATE(a.vip);
	TERMINATE(a.dst);
	TERMINATE(a.proto);
	return submit(l, acl_job, &a, sizeof(a), false);
}

/* See connlog.h. */
int connlog_audit(struct connlog *l, const struct connlog_audit *row)
{
	struct connlog_audit *a;
	int r;

	if (!connlog_audit_result_name(row->result))
		return -EINVAL;
	a = malloc(sizeof(*a));	/* ~10 KiB: not on the stack */
	if (!a)
		return -ENOMEM;
	*a = *row;
	if (!a->time_ms)
		a->time_ms = now_ms();
	TERMINATE(a->unix_user);
	TERMINATE(a->command);
	TERMINATE(a->object);
	TERMINATE(a->old_value);
	TERMINATE(a->new_value);
	TERMINATE(a->message);
	r = submit(l, audit_job, a, sizeof(*a), true);
	free(a);
	return r;
}

/* See connlog.h. */
void connlog_set_retention(struct connlog *l, uint32_t seconds)
{
	bool first;

	pthread_mutex_lock(&l->ret.mu);
	first = !l->ret.keep_s && seconds;
	l->ret.keep_s = seconds;
	pthread_mutex_unlock(&l->ret.mu);
	if (first)
		store_writer_set_maint(l->writer, logs_maint, l, RETENTION_FIRST_MS);
}

/* See connlog.h. */
int connlog_retention_run(struct connlog *l, struct connlog_retention *out)
{
	uint64_t want;
	int r;

	pthread_mutex_lock(&l->ret.mu);
	if (!l->ret.keep_s) {
		pthread_mutex_unlock(&l->ret.mu);
		return -EINVAL;
	}
	/* a pass begun after this call: passes begun so far finish first */
	want = l->ret.begun + 1;
	pthread_mutex_unlock(&l->ret.mu);
	store_writer_kick_maint(l->writer);
	pthread_mutex_lock(&l->ret.mu);
	while (l->ret.completed < want) {
		pthread_mutex_unlock(&l->ret.mu);
		store_writer_kick_maint(l->writer);	/* after an active pass ends */
		pthread_mutex_lock(&l->ret.mu);
		if (l->ret.completed < want)
			pthread_cond_wait(&l->ret.cv, &l->ret.mu);
	}
	if (out)
		*out = l->ret.last;
	r = l->ret.last.error;
	pthread_mutex_unlock(&l->ret.mu);
	return r;
}

/* See connlog.h. */
void connlog_flush(struct connlog *l)
{
	store_writer_flush(l->writer);
}

/* See connlog.h. */
void connlog_stats(struct connlog *l, uint64_t *written, uint64_t *failed, uint64_t *dropped)
{
	struct store_writer_stats st;

	store_writer_stats(l->writer, &st);
	*written = st.done;
	*failed = st.failed;
	*dropped = st.dropped;
}

/* See connlog.h. */
void connlog_writer_stats(struct connlog *l, struct store_writer_stats *st)
{
	store_writer_stats(l->writer, st);
}

/* See connlog.h. */
void connlog_close(struct connlog *l)
{
	if (!l)
		return;
	/* after everything queued: a retention pass under way is recorded */
	{
		struct connlog_audit *row = calloc(1, sizeof(*row));

		if (row)
			store_writer_submit_reserved(l->writer, retention_abort_job, l, row, free);
	}
	store_writer_stop(l->writer);	/* drains the queue, close_v2 */
	sqlite3_finalize(l->ins_conn);
	sqlite3_finalize(l->ins_auth);
	sqlite3_finalize(l->ins_acl);
	sqlite3_finalize(l->ins_audit);
	retention_destroy(&l->ret);
	free(l);
}
