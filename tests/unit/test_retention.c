/*
 * test_retention.c — issue 5 point 5: "Rows older than `retention` are
 * deleted daily with SQLite `secure_delete` and the space reclaimed
 * incrementally; the deletion itself is recorded."  (daemon/retention.c
 * through connlog.c's writer.)
 *
 *  - a new logs.db is created with auto_vacuum = INCREMENTAL; an existing
 *    one made without it is converted (rows kept);
 *  - rows backdated beyond the retention are deleted from all four logs,
 *    rows inside it are kept, in bounded steps (one step deletes at most
 *    RETENTION_BATCH_ROWS rows);
 *  - the deleted text is gone from the bytes of logs.db and logs.db-wal
 *    (a marker string is grepped for; the same grep finds the kept rows'
 *    marker, so it can fail);
 *  - free pages are given back (freelist empty, file smaller);
 *  - the pass is in the audit log: by "ragd", with the cut-off and counts;
 *  - rows submitted while a pass runs are all committed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "testdb.h"
#include "connlog.h"
#include "retention.h"
#include "store.h"

#define DAY_MS 86400000LL
#define KEEP_S (90u * 86400u)
#define OLD 5000		/* expired rows per log: several steps each */
#define NEW 300			/* rows inside the retention per log */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static sqlite3 *open_logs(void)
{
	char err[STORE_ERR_MAX];
	sqlite3 *db = NULL;

	if (store_open(tpath(CONNLOG_DB_FILE), &db, err, sizeof(err)) < 0)
		fprintf(stderr, "%s\n", err);
	return db;
}

static void rm_logs(void)
{
	tdb_remove(CONNLOG_DB_FILE);
}

/* Whether the bytes of the file name contain s. */
static bool file_has(const char *name, const char *s)
{
	int fd = open(tpath(name), O_RDONLY | O_CLOEXEC);
	struct stat st;
	bool found = false;
	char *buf;

	if (fd < 0)
		return false;
	if (fstat(fd, &st) == 0 && st.st_size > 0 && (buf = malloc((size_t)st.st_size))) {
		ssize_t n = read(fd, buf, (size_t)st.st_size);

		found = n > 0 && memmem(buf, (size_t)n, s, strlen(s)) != NULL;
		free(buf);
	}
	close(fd);
	return found;
}

static bool logs_have(const char *s)
{
	return file_has(CONNLOG_DB_FILE, s) || file_has(CONNLOG_DB_FILE "-wal", s);
}

static off_t file_size(const char *name)
{
	struct stat st;

	return stat(tpath(name), &st) == 0 ? st.st_size : -1;
}

/* A new logs.db gets auto_vacuum = INCREMENTAL before its tables. */
static void test_new_db(void)
{
	struct connlog *l;
	char err[256];
	sqlite3 *db;

	rm_logs();
	CHECK_INT(connlog_open(&l, tdb_dir, err, sizeof(err)), 0);
	connlog_close(l);
	db = open_logs();
	CHECK_INT(store_query_int(db, "PRAGMA auto_vacuum", -1), 2);
	CHECK_INT(store_user_version(db), store_schema_logs.n);
	store_close(db);
}

/* A logs.db made without auto_vacuum (an older ragd) is converted, rows kept. */
static void test_convert_existing(void)
{
	struct connlog *l;
	char err[256];
	sqlite3 *db;

	rm_logs();
	CHECK_INT(store_open_migrated(tpath(CONNLOG_DB_FILE), &store_schema_logs, &db, err,
				      sizeof(err)), 0);
	CHECK_INT(store_query_int(db, "PRAGMA auto_vacuum", -1), 0);
	CHECK_INT(store_exec(db, "INSERT INTO connection (time_ms, event, user) VALUES "
			     "(1, 'connect', 'old'), (2, 'disconnect', 'old')", err, sizeof(err)), 0);
	store_close(db);
	CHECK_INT(connlog_open(&l, tdb_dir, err, sizeof(err)), 0);
	connlog_close(l);
	db = open_logs();
	CHECK_INT(store_query_int(db, "PRAGMA auto_vacuum", -1), 2);
	CHECK_INT(store_query_int(db, "SELECT count(*) FROM connection WHERE user = 'old'", -1), 2);
	store_close(db);
}

/* Queue a row, waiting while the writer's queue is full (its delay bound,
 * store.h); check it was accepted. */
#define SUBMIT_OK(call) do { \
	int _r; \
	while ((_r = (call)) == -EAGAIN) \
		usleep(200); \
	CHECK_INT(_r, 0); \
} while (0)

/* Fill the four logs: OLD rows 91..100 days old with the EXPIRED marker,
 * NEW rows 1..89 days old with the KEPT marker. */
static void fill(struct connlog *l)
{
	int64_t now = now_ms();
	char err[STORE_ERR_MAX];
	sqlite3 *db;

	for (int k = 0; k < OLD + NEW; k++) {
		bool old = k < OLD;
		int64_t t = old ? now - 91 * DAY_MS - (int64_t)k * 1000 :
			    now - 89 * DAY_MS + (int64_t)(k - OLD) * 60000;
		const char *mark = old ? "EXPIRED-MARKER" : "KEPT-MARKER";
		struct connlog_conn c;
		struct connlog_auth a;
		struct connlog_audit *u = calloc(1, sizeof(*u));

		memset(&c, 0, sizeof(c));
		c.time_ms = t;
		c.event = CONNLOG_DISCONNECT;
		snprintf(c.user, sizeof(c.user), "%s-conn-%d", mark, k);
		snprintf(c.reason, sizeof(c.reason), "%s reason", mark);
		SUBMIT_OK(connlog_connection(l, &c));
		memset(&a, 0, sizeof(a));
		a.time_ms = t;
		a.result = CONNLOG_AUTH_FAILURE;
		snprintf(a.user, sizeof(a.user), "%s-auth-%d", mark, k);
		snprintf(a.cert_subject, sizeof(a.cert_subject), "CN=%s", mark);
		SUBMIT_OK(connlog_auth(l, &a));
		u->time_ms = t;
		u->uid = 1000;
		u->result = CONNLOG_AUDIT_OK;
		snprintf(u->command, sizeof(u->command), "user add %s-audit-%d", mark, k);
		u->has_new = true;
		snprintf(u->new_value, sizeof(u->new_value), "%s", mark);
		SUBMIT_OK(connlog_audit(l, u));
		free(u);
	}
	connlog_flush(l);
	/* acl rows have no producer here yet (issue 4): written directly */
	db = open_logs();
	CHECK_INT(store_exec(db, "BEGIN", err, sizeof(err)), 0);
	for (int k = 0; k < OLD + NEW; k++) {
		char sql[256];
		bool old = k < OLD;
		long long t = old ? (long long)(now - 91 * DAY_MS - (int64_t)k * 1000) :
			      (long long)(now - 89 * DAY_MS + (int64_t)(k - OLD) * 60000);

		snprintf(sql, sizeof(sql), "INSERT INTO acl (time_ms, user, dst_addr, verdict) "
			 "VALUES (%lld, '%s-acl-%d', '192.0.2.1', 'deny')", t,
			 old ? "EXPIRED-MARKER" : "KEPT-MARKER", k);
		CHECK_INT(store_exec(db, sql, err, sizeof(err)), 0);
	}
	CHECK_INT(store_exec(db, "COMMIT", err, sizeof(err)), 0);
	store_close(db);
}

/* One step is bounded: it deletes at most RETENTION_BATCH_ROWS rows. */
static void test_step_bounded(void)
{
	struct connlog *l;
	struct retention r;
	struct connlog_audit *row = calloc(1, sizeof(*row));
	char err[256];
	bool ready, vac;
	sqlite3 *db;
	int steps = 0, rc;

	rm_logs();
	CHECK_INT(connlog_open(&l, tdb_dir, err, sizeof(err)), 0);
	fill(l);
	connlog_close(l);
	db = open_logs();
	CHECK_INT(retention_prepare_db(db, &vac, err, sizeof(err)), 0);
	CHECK(!vac);
	retention_init(&r);
	r.keep_s = KEEP_S;
	CHECK_INT(retention_step(&r, db, now_ms(), row, &ready), 1);
	CHECK(!ready);
	CHECK_INT(store_query_int(db, "SELECT count(*) FROM connection", -1), OLD + NEW - RETENTION_BATCH_ROWS);
	CHECK_INT(store_query_int(db, "SELECT count(*) FROM auth", -1), OLD + NEW);
	do {
		rc = retention_step(&r, db, now_ms(), row, &ready);
		steps++;
	} while (rc == 1 && steps < 1000);
	CHECK(ready);
	CHECK_INT(row->result, CONNLOG_AUDIT_OK);
	/* 3 steps per log (5000 rows), + vacuum steps: many small ones */
	CHECK(steps >= 4 * (OLD / RETENTION_BATCH_ROWS + 1) - 1);
	retention_complete(&r);
	CHECK_INT(r.last.deleted[0], OLD);
	CHECK_INT(r.last.deleted[3], OLD);
	CHECK(!retention_abort(&r, row));	/* no pass under way */

	/* shutdown during a pass: what was deleted so far is recorded */
	tdb_remove(CONNLOG_DB_FILE);
	store_close(db);
	CHECK_INT(connlog_open(&l, tdb_dir, err, sizeof(err)), 0);
	fill(l);
	connlog_close(l);
	db = open_logs();
	CHECK_INT(retention_step(&r, db, now_ms(), row, &ready), 1);
	CHECK(retention_abort(&r, row));
	CHECK(strstr(row->message, "stopped by shutdown after deleting 2000 rows") != NULL);
	CHECK(!strcmp(row->old_value, "connection=2000 auth=0 acl=0 audit=0"));
	retention_complete(&r);
	CHECK(!retention_abort(&r, row));
	retention_destroy(&r);
	store_close(db);
	free(row);
}

/* The whole pass through connlog: deleted, kept, wiped, reclaimed, audited. */
static void test_pass(void)
{
	struct connlog *l;
	struct connlog_retention res;
	char err[256], text[512];
	off_t before, after;
	sqlite3 *db;

	rm_logs();
	CHECK_INT(connlog_open(&l, tdb_dir, err, sizeof(err)), 0);
	CHECK_INT(connlog_retention_run(l, NULL), -EINVAL);	/* retention not set */
	fill(l);
	connlog_close(l);
	/* the markers are in the files: the grep below can fail */
	CHECK(logs_have("EXPIRED-MARKER"));
	CHECK(logs_have("KEPT-MARKER"));
	db = open_logs();
	CHECK_INT(store_query_int(db, "PRAGMA wal_checkpoint(TRUNCATE)", -1), 0);
	store_close(db);
	before = file_size(CONNLOG_DB_FILE);

	CHECK_INT(connlog_open(&l, tdb_dir, err, sizeof(err)), 0);
	connlog_set_retention(l, KEEP_S);
	CHECK_INT(connlog_retention_run(l, &res), 0);
	CHECK_INT(res.error, 0);
	CHECK_INT(res.deleted[0], OLD);
	CHECK_INT(res.deleted[1], OLD);
	CHECK_INT(res.deleted[2], OLD);
	CHECK_INT(res.deleted[3], OLD);
	CHECK(res.pages > 0);
	CHECK(res.cutoff_ms < now_ms() - 90 * DAY_MS + 60000);
	CHECK(res.cutoff_ms > now_ms() - 90 * DAY_MS - 60000);
	connlog_close(l);

	db = open_logs();
	CHECK_INT(store_query_int(db, "SELECT count(*) FROM connection", -1), NEW);
	CHECK_INT(store_query_int(db, "SELECT count(*) FROM auth", -1), NEW);
	CHECK_INT(store_query_int(db, "SELECT count(*) FROM acl", -1), NEW);
	CHECK_INT(store_query_int(db, "SELECT count(*) FROM audit WHERE unix_user <> 'ragd'", -1), NEW);
	CHECK_INT(store_query_int(db, "SELECT count(*) FROM connection WHERE user LIKE 'EXPIRED%'", -1), 0);
	CHECK_INT(store_query_int(db, "PRAGMA freelist_count", -1), 0);
	/* the deletion is recorded */
	CHECK_INT(store_query_int(db, "SELECT count(*) FROM audit WHERE unix_user = 'ragd' AND "
			"command = 'retention 90d' AND result = 'ok' AND new_value IS NULL "
			"AND old_value = 'connection=5000 auth=5000 acl=5000 audit=5000'", -1), 1);
	tdb_text(db, "SELECT object || ' | ' || message FROM audit WHERE unix_user = 'ragd'",
	       text, sizeof(text));
	CHECK(strstr(text, "log rows before 20") != NULL);
	CHECK(strstr(text, "deleted 20000 rows older than") != NULL);
	CHECK_INT(store_check(db, err, sizeof(err)), 0);
	store_close(db);
	after = file_size(CONNLOG_DB_FILE);
	CHECK(after > 0 && after < before);
	fprintf(stderr, "logs.db: %lld bytes before, %lld after; %llu pages reclaimed\n",
		(long long)before, (long long)after, (unsigned long long)res.pages);
	/* secure_delete + vacuum + the WAL truncated: the text is gone */
	CHECK(!logs_have("EXPIRED-MARKER"));
	CHECK(logs_have("KEPT-MARKER"));

	/* a second pass finds nothing, and says so in the audit log */
	CHECK_INT(connlog_open(&l, tdb_dir, err, sizeof(err)), 0);
	connlog_set_retention(l, KEEP_S);
	CHECK_INT(connlog_retention_run(l, &res), 0);
	CHECK_INT(res.deleted[0] + res.deleted[1] + res.deleted[2] + res.deleted[3], 0);
	connlog_close(l);
	db = open_logs();
	CHECK_INT(store_query_int(db, "SELECT count(*) FROM audit WHERE unix_user = 'ragd'", -1), 2);
	store_close(db);
}

/* Rows submitted while a pass deletes are all committed (the pass runs in
 * steps between batches, not instead of them). */
struct producer {
	struct connlog *l;
	volatile bool stop;
	int accepted;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	struct connlog_conn c;

	memset(&c, 0, sizeof(c));
	c.event = CONNLOG_CONNECT;
	snprintf(c.user, sizeof(c.user), "during");
	while (!p->stop) {
		int r = connlog_connection(p->l, &c);

		if (r == 0)
			p->accepted++;
		usleep(r == -EAGAIN ? 1000 : 50);
	}
	return NULL;
}

static void test_concurrent_rows(void)
{
	struct producer p = { 0 };
	struct connlog_retention res;
	pthread_t th;
	char err[256];
	sqlite3 *db;

	rm_logs();
	CHECK_INT(connlog_open(&p.l, tdb_dir, err, sizeof(err)), 0);
	fill(p.l);
	connlog_set_retention(p.l, KEEP_S);
	CHECK_INT(pthread_create(&th, NULL, produce, &p), 0);
	usleep(20000);
	CHECK_INT(connlog_retention_run(p.l, &res), 0);
	CHECK_INT(res.deleted[0], OLD);
	usleep(20000);
	p.stop = true;
	pthread_join(th, NULL);
	connlog_close(p.l);
	CHECK(p.accepted > 0);
	db = open_logs();
	CHECK_INT(store_query_int(db, "SELECT count(*) FROM connection WHERE user = 'during'", -1), p.accepted);
	CHECK_INT(store_query_int(db, "SELECT count(*) FROM connection", -1), NEW + p.accepted);
	store_close(db);
}

int main(void)
{
	snprintf(tdb_dir, sizeof(tdb_dir), "/tmp/rag-test-retention-XXXXXX");
	if (!mkdtemp(tdb_dir))
		return 1;
	test_new_db();
	test_convert_existing();
	test_step_bounded();
	test_pass();
	test_concurrent_rows();
	rm_logs();
	rmdir(tdb_dir);
	return check_done("test_retention");
}
