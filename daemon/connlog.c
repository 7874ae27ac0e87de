/*
 * connlog.c — connection, auth and acl log rows through the logs.db writer thread
 * (see connlog.h).  Producers copy the row into a heap job; the writer
 * thread inserts batches in one transaction with statements it prepared
 * once.
 */
#include "connlog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"

struct connlog {
	struct store_writer *writer;
	sqlite3_stmt *ins_conn, *ins_auth;	/* writer thread only */
	sqlite3_stmt *ins_acl;
};

enum { JOB_CONN, JOB_AUTH, JOB_ACL };

struct conn_job {
	int kind;			/* JOB_* */
	union {
		struct connlog_conn conn;
		struct connlog_auth auth;
		struct connlog_acl acl;
	} u;
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
 * when empty and nullable. */
static void bind_str(sqlite3_stmt *st, int i, const char *s, size_t cap, bool nullable)
{
	size_t n = strnlen(s, cap);

	if (!n && nullable)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, (int)n, SQLITE_TRANSIENT);
}

/* uint64 counters as SQLite integers (clamped; 2^63 bytes is not a real case). */
static sqlite3_int64 clamp64(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)v;
}

/* Writer thread: insert one connection row. */
static int insert_conn(sqlite3 *db, struct connlog *l, const struct connlog_conn *c)
{
	char addr[INET6_ADDRSTRLEN], spi[17];
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
	sqlite3_bind_text(st, 6, addr, -1, SQLITE_TRANSIENT);
	if (port >= 0)
		sqlite3_bind_int(st, 7, port);
	bind_str(st, 8, c->vip4, sizeof(c->vip4), true);
	bind_str(st, 9, c->vip6, sizeof(c->vip6), true);
	if (c->spi_i || c->spi_r) {
		snprintf(spi, sizeof(spi), "%016" PRIx64, c->spi_i);
		sqlite3_bind_text(st, 10, spi, -1, SQLITE_TRANSIENT);
		snprintf(spi, sizeof(spi), "%016" PRIx64, c->spi_r);
		sqlite3_bind_text(st, 11, spi, -1, SQLITE_TRANSIENT);
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
	sqlite3_bind_text(st, 9, addr, -1, SQLITE_TRANSIENT);
	if (port >= 0)
		sqlite3_bind_int(st, 10, port);
	bind_str(st, 11, a->cert_subject, sizeof(a->cert_subject), true);
	bind_str(st, 12, a->cert_issuer, sizeof(a->cert_issuer), true);
	bind_str(st, 13, a->cert_serial, sizeof(a->cert_serial), true);
	bind_str(st, 14, a->cert_sha256, sizeof(a->cert_sha256), true);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
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
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* store_job_fn: one row. */
static int run_job(sqlite3 *db, void *owner, void *job)
{
	struct conn_job *j = job;

	switch (j->kind) {
	case JOB_CONN: return insert_conn(db, owner, &j->u.conn);
	case JOB_AUTH: return insert_auth(db, owner, &j->u.auth);
	case JOB_ACL: return insert_acl(db, owner, &j->u.acl);
	}
	return -EINVAL;
}

/* See connlog.h. */
int connlog_open(struct connlog **out, const char *state_dir, char *err, size_t errlen)
{
	struct connlog *l = calloc(1, sizeof(*l));
	char path[4096];
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
	r = store_open_migrated(path, &store_schema_logs, &db, err, errlen);
	if (r < 0) {
		free(l);
		return r;
	}
	r = store_writer_start(&l->writer, db, CONNLOG_MAX_QUEUE);
	if (r < 0) {
		snprintf(err, errlen, "%s: cannot start the log writer: %s", path, strerror(-r));
		store_close(db);
		free(l);
		return r;
	}
	*out = l;
	return 0;
}

/* Copy a row into a job and queue it. */
static int submit(struct connlog *l, int kind, const void *row)
{
	struct conn_job *j = malloc(sizeof(*j));

	if (!j)
		return -ENOMEM;
	j->kind = kind;
	if (kind == JOB_ACL) {
		j->u.acl = *(const struct connlog_acl *)row;
		if (!j->u.acl.time_ms)
			j->u.acl.time_ms = now_ms();
		j->u.acl.user[CONNLOG_STR - 1] = '\0';
		j->u.acl.vip[CONNLOG_ADDR - 1] = j->u.acl.dst[CONNLOG_ADDR - 1] = '\0';
		j->u.acl.proto[sizeof(j->u.acl.proto) - 1] = '\0';
	} else if (kind == JOB_CONN) {
		j->u.conn = *(const struct connlog_conn *)row;
		if (!j->u.conn.time_ms)
			j->u.conn.time_ms = now_ms();
		/* strings are bounded by their arrays even if the caller did not
		 * terminate them */
		j->u.conn.user[CONNLOG_STR - 1] = j->u.conn.device[CONNLOG_STR - 1] = '\0';
		j->u.conn.vip4[CONNLOG_ADDR - 1] = j->u.conn.vip6[CONNLOG_ADDR - 1] = '\0';
		j->u.conn.ike_alg[CONNLOG_ALG - 1] = j->u.conn.esp_alg[CONNLOG_ALG - 1] = '\0';
		j->u.conn.reason[CONNLOG_STR - 1] = '\0';
	} else {
		j->u.auth = *(const struct connlog_auth *)row;
		if (!j->u.auth.time_ms)
			j->u.auth.time_ms = now_ms();
		j->u.auth.user[CONNLOG_STR - 1] = j->u.auth.identity[CONNLOG_STR - 1] = '\0';
		j->u.auth.ike_id[CONNLOG_STR - 1] = j->u.auth.reason[CONNLOG_STR - 1] = '\0';
		j->u.auth.method[sizeof(j->u.auth.method) - 1] = '\0';
		j->u.auth.cert_subject[CONNLOG_STR - 1] = '\0';
		j->u.auth.cert_issuer[CONNLOG_STR - 1] = '\0';
		j->u.auth.cert_serial[sizeof(j->u.auth.cert_serial) - 1] = '\0';
		j->u.auth.cert_sha256[sizeof(j->u.auth.cert_sha256) - 1] = '\0';
	}
	return store_writer_submit(l->writer, run_job, l, j, free);
}

/* See connlog.h. */
int connlog_connection(struct connlog *l, const struct connlog_conn *row)
{
	if (!connlog_event_name(row->event))
		return -EINVAL;
	return submit(l, JOB_CONN, row);
}

/* See connlog.h. */
int connlog_auth(struct connlog *l, const struct connlog_auth *row)
{
	if (!connlog_result_name(row->result))
		return -EINVAL;
	return submit(l, JOB_AUTH, row);
}

/* See connlog.h. */
int connlog_acl(struct connlog *l, const struct connlog_acl *row)
{
	return submit(l, JOB_ACL, row);
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
void connlog_close(struct connlog *l)
{
	if (!l)
		return;
	store_writer_stop(l->writer);	/* drains the queue, close_v2 */
	sqlite3_finalize(l->ins_conn);
	sqlite3_finalize(l->ins_auth);
	sqlite3_finalize(l->ins_acl);
	free(l);
}
