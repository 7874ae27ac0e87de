/*
 * test_store.c — daemon/store.c: the schema/ migrations (STYLE.md 8: "tested
 * from an empty database and from every older version"), the database
 * settings of issue 3 point 4 / the users brief (WAL, foreign keys, busy
 * timeout, SQLITE_OPEN_NOFOLLOW, files 0600), refusal of a database newer
 * than the build, rollback of a failing migration, and the writer thread
 * (batched transactions, bounded queue, nothing lost on stop — issue 5
 * "SIGTERM loses no row").
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "store.h"

static char dir[256];

/* A path in the temporary directory (four rotating buffers, so two
 * paths can be arguments of one call). */
static const char *tpath(const char *name)
{
	static char p[4][512];
	static unsigned int k;
	char *b = p[k++ % 4];

	snprintf(b, sizeof(p[0]), "%s/%s", dir, name);
	return b;
}

/* Remove a database and its WAL/SHM files. */
static void rm_db(const char *path)
{
	char p[600];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

/* One integer from a query (or -1). */
static long long q_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* One text value from a query into out. */
static void q_text(sqlite3 *db, const char *sql, char *out, size_t n)
{
	sqlite3_stmt *st;

	out[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/*
 * Representative rows valid at a given version of each database: inserted
 * after migrating to that version, they must survive every later migration.
 */
struct seed {
	const char *db;
	unsigned int version;
	const char *sql;
	const char *check;	/* SELECT count(*) ... that must be 1 at the end */
};

static const struct seed seeds[] = {
	{ "rag", 1, "INSERT INTO users (name, nt_hash, created, updated) "
		    "VALUES ('alice', x'01020304', 1, 1)",
	  "SELECT count(*) FROM users WHERE name = 'ALICE' AND nt_hash = x'01020304'" },
	{ "rag", 2, "INSERT INTO user_group (name, created) VALUES ('staff', 2); "
		    "INSERT INTO user_group_member SELECT u.id, g.id FROM users u, user_group g",
	  "SELECT count(*) FROM user_group_member" },
	{ "rag", 3, "INSERT INTO host_group (name, created) VALUES ('servers', 3); "
		    "INSERT INTO host_group_member SELECT id, 4, x'0a000000', 24 FROM host_group; "
		    "INSERT INTO service_group (name, created) VALUES ('web', 3); "
		    "INSERT INTO service_group_member SELECT id, 6, 443, 443 FROM service_group; "
		    "INSERT INTO rule (position, user_group_id, host_group_id, service_group_id, "
		    "action, created) SELECT 1, u.id, h.id, s.id, 'permit', 3 "
		    "FROM user_group u, host_group h, service_group s",
	  "SELECT count(*) FROM rule r JOIN host_group_member m ON m.group_id = r.host_group_id "
	  "JOIN service_group_member v ON v.group_id = r.service_group_id "
	  "WHERE r.action = 'permit' AND r.log = 1 AND m.prefix = 24 AND v.port_lo = 443" },
	{ "logs", 1, "INSERT INTO connection (time_ms, event, user) "
		     "VALUES (1700000000000, 'connect', 'alice')",
	  "SELECT count(*) FROM connection WHERE user = 'alice' AND event = 'connect'" },
	{ "logs", 2, "INSERT INTO auth (time_ms, result, user, method) "
		     "VALUES (1700000000001, 'failure', 'bob', 'eap-mschapv2')",
	  "SELECT count(*) FROM auth WHERE result = 'failure'" },
};

/* Migrate a fresh database of schema s to `from`, seed it, then to the
 * latest version; everything seeded must still be there and sound. */
static void migrate_from(const struct store_schema *s, unsigned int from)
{
	char err[STORE_ERR_MAX];
	const char *path = tpath("m.db");
	sqlite3 *db;

	rm_db(path);
	CHECK_INT(store_open(path, &db, err, sizeof(err)), 0);
	if (from) {
		CHECK_INT(store_migrate_to(db, s, from, err, sizeof(err)), 0);
		CHECK_INT(store_user_version(db), from);
	}
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		if (!strcmp(seeds[i].db, s->db) && seeds[i].version <= from)
			CHECK_INT(store_exec(db, seeds[i].sql, err, sizeof(err)), 0);
	CHECK_INT(store_migrate_to(db, s, (unsigned int)s->n, err, sizeof(err)), 0);
	CHECK_INT(store_user_version(db), s->n);
	CHECK_INT(store_check(db, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		if (!strcmp(seeds[i].db, s->db) && seeds[i].version <= from)
			CHECK_INT(q_int(db, seeds[i].check), 1);
	/* and the latest schema accepts every seed */
	if (from == 0) {
		for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
			if (!strcmp(seeds[i].db, s->db)) {
				CHECK_INT(store_exec(db, seeds[i].sql, err, sizeof(err)), 0);
				CHECK_INT(q_int(db, seeds[i].check), 1);
			}
		CHECK_INT(store_check(db, err, sizeof(err)), 0);
	}
	store_close(db);
}

/* The embedded schema is numbered 1..n (embed.py refuses gaps, checked again). */
static void test_embedded(void)
{
	const struct store_schema *all[] = { &store_schema_rag, &store_schema_logs };

	for (size_t k = 0; k < 2; k++) {
		CHECK(all[k]->n >= 2);
		for (size_t i = 0; i < all[k]->n; i++) {
			CHECK_INT(all[k]->migrations[i].version, i + 1);
			CHECK(strlen(all[k]->migrations[i].sql) > 20);
		}
	}
	CHECK(strstr(store_schema_rag.migrations[0].sql, "CREATE TABLE users") != NULL);
}

/* From an empty database and from every older version, both databases. */
static void test_migrations(void)
{
	const struct store_schema *all[] = { &store_schema_rag, &store_schema_logs };

	for (size_t k = 0; k < 2; k++)
		for (unsigned int v = 0; v < all[k]->n; v++)
			migrate_from(all[k], v);
}

/* Settings every database gets; the file and its WAL are 0600. */
static void test_settings(void)
{
	char err[STORE_ERR_MAX], mode[32];
	char path[512], wal[600];
	struct stat st;
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s", tpath("s.db"));
	rm_db(path);
	CHECK_INT(store_open_migrated(path, &store_schema_rag, &db, err, sizeof(err)), 0);
	q_text(db, "PRAGMA journal_mode", mode, sizeof(mode));
	CHECK(!strcmp(mode, "wal"));
	CHECK_INT(q_int(db, "PRAGMA foreign_keys"), 1);
	CHECK_INT(q_int(db, "PRAGMA busy_timeout"), STORE_BUSY_TIMEOUT_MS);
	CHECK_INT(q_int(db, "PRAGMA trusted_schema"), 0);
	/* foreign keys are enforced: a member of no group is refused */
	CHECK(store_exec(db, "INSERT INTO user_group_member VALUES (99, 99)", err,
			 sizeof(err)) < 0);
	CHECK_INT(store_exec(db, "INSERT INTO users (name, created, updated) "
			     "VALUES ('x', 1, 1)", err, sizeof(err)), 0);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	CHECK_INT(stat(wal, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	store_close(db);

	/* reopening an up-to-date database changes nothing */
	CHECK_INT(store_open_migrated(path, &store_schema_rag, &db, err, sizeof(err)), 0);
	CHECK_INT(store_user_version(db), store_schema_rag.n);
	CHECK_INT(q_int(db, "SELECT count(*) FROM users"), 1);
	store_close(db);

	/* a world-readable database is tightened to 0600 */
	CHECK_INT(chmod(path, 0644), 0);
	CHECK_INT(store_open(path, &db, err, sizeof(err)), 0);
	store_close(db);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);

	/* never through a symbolic link (SQLITE_OPEN_NOFOLLOW, O_NOFOLLOW) */
	unlink(tpath("link.db"));
	CHECK_INT(symlink(path, tpath("link.db")), 0);
	CHECK_INT(store_open(tpath("link.db"), &db, err, sizeof(err)), -ELOOP);
	CHECK(db == NULL);
	CHECK(strstr(err, "symbolic link") != NULL);
	unlink(tpath("link.db"));
	/* the target is untouched: still a valid database with its row */
	CHECK_INT(store_open(path, &db, err, sizeof(err)), 0);
	CHECK_INT(q_int(db, "SELECT count(*) FROM users"), 1);
	store_close(db);
}

/* A database newer than this build is refused; nothing is changed. */
static void test_newer_refused(void)
{
	char err[STORE_ERR_MAX], sql[64];
	const char *path = tpath("n.db");
	sqlite3 *db;

	rm_db(path);
	CHECK_INT(store_open(path, &db, err, sizeof(err)), 0);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", store_schema_logs.n + 1);
	CHECK_INT(store_exec(db, sql, err, sizeof(err)), 0);
	CHECK_INT(store_migrate_to(db, &store_schema_logs, (unsigned int)store_schema_logs.n,
				   err, sizeof(err)), -EPROTO);
	CHECK(strstr(err, "newer") != NULL);
	CHECK_INT(store_user_version(db), store_schema_logs.n + 1);
	CHECK_INT(q_int(db, "SELECT count(*) FROM sqlite_master"), 0);
	/* going back is not possible either */
	CHECK_INT(store_migrate_to(db, &store_schema_logs, 0, err, sizeof(err)), -EINVAL);
	store_close(db);
}

/* A failing migration rolls back entirely: version and tables unchanged. */
static void test_failed_migration(void)
{
	static const struct store_migration bad[] = {
		{ 1, "t/001_ok.sql", "CREATE TABLE a (x INTEGER);" },
		{ 2, "t/002_bad.sql", "CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);" },
	};
	static const struct store_schema s = { "t", bad, 2 };
	char err[STORE_ERR_MAX];
	const char *path = tpath("f.db");
	sqlite3 *db;

	rm_db(path);
	CHECK_INT(store_open(path, &db, err, sizeof(err)), 0);
	CHECK_INT(store_migrate_to(db, &s, 2, err, sizeof(err)), -EIO);
	CHECK(strstr(err, "002_bad.sql") != NULL);
	CHECK_INT(store_user_version(db), 0);
	CHECK_INT(q_int(db, "SELECT count(*) FROM sqlite_master"), 0);
	/* the good one alone applies; the bad one still rolls back to 1 */
	CHECK_INT(store_migrate_to(db, &s, 1, err, sizeof(err)), 0);
	CHECK_INT(store_migrate_to(db, &s, 2, err, sizeof(err)), -EIO);
	CHECK_INT(store_user_version(db), 1);
	CHECK_INT(q_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'b'"), 0);
	store_close(db);
}

/* ---- writer ---- */

static int insert_job(sqlite3 *db, void *owner, void *job)
{
	char sql[96];

	(void)owner;
	snprintf(sql, sizeof(sql), "INSERT INTO t (v) VALUES (%d)", *(int *)job);
	return store_exec(db, sql, NULL, 0);
}

static int failing_job(sqlite3 *db, void *owner, void *job)
{
	(void)owner;
	(void)job;
	return store_exec(db, "INSERT INTO missing VALUES (1)", NULL, 0);
}

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static bool gate_open, gate_entered;

/* Blocks the writer thread until the test opens the gate. */
static int gate_job(sqlite3 *db, void *owner, void *job)
{
	(void)db;
	(void)owner;
	(void)job;
	pthread_mutex_lock(&gate_mu);
	gate_entered = true;
	pthread_cond_broadcast(&gate_cv);
	while (!gate_open)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
	return 0;
}

static int frees;
static void count_free(void *p)
{
	frees++;
	free(p);
}

/* Open t.db with a table t for the writer tests. */
static sqlite3 *writer_db(const char *name)
{
	char err[STORE_ERR_MAX];
	sqlite3 *db;

	rm_db(tpath(name));
	if (store_open(tpath(name), &db, err, sizeof(err)) < 0)
		return NULL;
	store_exec(db, "CREATE TABLE t (v INTEGER NOT NULL)", err, sizeof(err));
	return db;
}

static void test_writer(void)
{
	struct store_writer *w;
	struct store_writer_stats st;
	char err[STORE_ERR_MAX];
	sqlite3 *db = writer_db("w.db"), *rd;
	const int N = 20000;

	CHECK(db != NULL);
	CHECK_INT(store_writer_start(&w, db, 100000), 0);
	frees = 0;
	for (int i = 0; i < N; i++) {
		int *v = malloc(sizeof(*v));

		*v = i;
		CHECK_INT(store_writer_submit(w, insert_job, NULL, v, count_free), 0);
	}
	CHECK_INT(store_writer_submit(w, failing_job, NULL, NULL, NULL), 0);
	store_writer_flush(w);
	store_writer_stats(w, &st);
	CHECK_INT(st.done, N);
	CHECK_INT(st.failed, 1);
	CHECK_INT(frees, N);
	/* batched: far fewer transactions than rows */
	CHECK(st.batches >= (uint64_t)(N / STORE_WRITER_MAX_BATCH));
	CHECK(st.batches < (uint64_t)N / 4);
	CHECK_INT(store_open(tpath("w.db"), &rd, err, sizeof(err)), 0);
	CHECK_INT(q_int(rd, "SELECT count(*) FROM t"), N);
	CHECK_INT(q_int(rd, "SELECT sum(v) FROM t"), (long long)N * (N - 1) / 2);
	store_close(rd);

	/* stop right after submitting: the queue is drained first */
	for (int i = 0; i < 1000; i++) {
		int *v = malloc(sizeof(*v));

		*v = 1;
		store_writer_submit(w, insert_job, NULL, v, free);
	}
	store_writer_stop(w);
	CHECK_INT(store_open(tpath("w.db"), &rd, err, sizeof(err)), 0);
	CHECK_INT(q_int(rd, "SELECT count(*) FROM t"), N + 1000);
	store_close(rd);
}

/* The queue limit: a full queue drops (and counts) instead of blocking. */
static void test_writer_limit(void)
{
	struct store_writer *w;
	struct store_writer_stats st;
	sqlite3 *db = writer_db("l.db");
	int ok = 0, full = 0;

	CHECK_INT(store_writer_start(&w, db, 8), 0);
	gate_open = gate_entered = false;
	CHECK_INT(store_writer_submit(w, gate_job, NULL, NULL, NULL), 0);
	pthread_mutex_lock(&gate_mu);
	while (!gate_entered)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
	/* the writer is held inside the gate job: exactly 8 more fit */
	frees = 0;
	for (int i = 0; i < 20; i++) {
		int *v = malloc(sizeof(*v));
		int r;

		*v = i;
		r = store_writer_submit(w, insert_job, NULL, v, count_free);
		if (r == 0)
			ok++;
		else if (r == -EAGAIN)
			full++;
	}
	CHECK_INT(ok, 8);
	CHECK_INT(full, 12);
	CHECK_INT(frees, 12);	/* dropped jobs are freed at once */
	pthread_mutex_lock(&gate_mu);
	gate_open = true;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
	store_writer_flush(w);
	store_writer_stats(w, &st);
	CHECK_INT(st.dropped, 12);
	CHECK_INT(st.done, 9);
	CHECK_INT(st.queued, 0);
	store_writer_stop(w);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/rag-test-store-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	test_embedded();
	test_migrations();
	test_settings();
	test_newer_refused();
	test_failed_migration();
	test_writer();
	test_writer_limit();
	{
		const char *files[] = { "m.db", "s.db", "n.db", "f.db", "w.db", "l.db" };

		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
			rm_db(tpath(files[i]));
		rmdir(dir);
	}
	return check_done("test_store");
}
