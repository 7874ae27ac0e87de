/*
 * bench_logs.c — the logs benchmark of issue 5: N rows (default 10 million)
 * spread over 90 days across the logs, written through ragd's real writer
 * (connlog.c / store.c: batched WAL transactions off the caller's thread),
 * then
 *   - ingest rate: rows per second from the first submission until the last
 *     row is committed (target >= 100,000 rows/s);
 *   - the largest submit-to-commit delay the writer saw (the kill -9 loss
 *     window, store.h "Durability");
 *   - database size per million rows (logs.db after the final checkpoint);
 *   - one user's 90-day search: p50/p95/max over many users of the indexed
 *     query a `log search --type T --user U --since -90d` runs, on a fresh
 *     read-only connection per search like a rag-ctl process
 *     (target p50 < 50 ms), with the query plan printed;
 *   - retention: one pass deleting the oldest day (rows/s, longest step).
 * Figures only: nothing here passes or fails on time (tests/bench/README.md).
 *
 *   bench_logs [--rows N] [--users N] [--dir DIR] [--keep]
 *   (RAG_BENCH_LOG_ROWS=N also sets the row count)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "connlog.h"
#include "store.h"

#define DAY_MS (86400000LL)
#define SPAN_MS (90 * DAY_MS)
#define SEARCHES 200

struct opts {
	uint64_t rows;
	uint64_t users;
	char dir[512];
	bool keep;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of the process (all threads), user + system. */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* CPU time of the calling thread. */
static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* xorshift64*: deterministic synthetic data. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_logs [--rows N] [--users N] [--dir DIR] [--keep]\n");
	exit(2);
}

static void parse(int argc, char **argv, struct opts *o)
{
	const char *env = getenv("RAG_BENCH_LOG_ROWS");

	o->rows = 10000000;
	o->users = 10000;
	o->dir[0] = '\0';
	o->keep = false;
	if (env && rag_parse_uint(env, 1000, 1000000000, &o->rows) < 0)
		usage();
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rows") && i + 1 < argc) {
			if (rag_parse_uint(argv[++i], 1000, 1000000000, &o->rows) < 0)
				usage();
		} else if (!strcmp(argv[i], "--users") && i + 1 < argc) {
			if (rag_parse_uint(argv[++i], 1, 10000000, &o->users) < 0)
				usage();
		} else if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
			snprintf(o->dir, sizeof(o->dir), "%s", argv[++i]);
		} else if (!strcmp(argv[i], "--keep")) {
			o->keep = true;
		} else {
			usage();
		}
	}
	if (!o->dir[0]) {
		const char *base = getenv("TMPDIR");

		snprintf(o->dir, sizeof(o->dir), "%s/rag-bench-logs-XXXXXX",
			 base && *base ? base : "/var/tmp");
		if (!mkdtemp(o->dir)) {
			perror("mkdtemp");
			exit(1);
		}
	}
}

/* Submit with retries while the queue is full (a producer that must not
 * lose rows); counts the retries. */
#define SUBMIT(call, retries) do { \
	int _r; \
	while ((_r = (call)) == -EAGAIN) { \
		struct timespec _ts = { 0, 100000 }; \
		(retries)++; \
		nanosleep(&_ts, NULL); \
	} \
	if (_r < 0) { \
		fprintf(stderr, "submit: %s\n", strerror(-_r)); \
		exit(1); \
	} \
} while (0)

/* Phase 1: ingest through the writer.  Rows are in time order (a log is
 * appended in time order), users drawn at random.  Returns the start time of
 * the data. */
static int64_t ingest(const struct opts *o, uint64_t *n_conn, uint64_t *n_auth)
{
	struct connlog *l;
	struct connlog_conn c;
	struct connlog_auth a;
	struct store_writer_stats st;
	char err[512];
	uint64_t seed = 0x9e3779b97f4a7c15ull, retries = 0, w, f, d;
	int64_t end = wall_ms() - 60000, start = end - SPAN_MS;
	double t0, t1, c0, c1, p0, p1;

	if (connlog_open(&l, o->dir, err, sizeof(err)) < 0) {
		fprintf(stderr, "connlog_open: %s\n", err);
		exit(1);
	}
	memset(&c, 0, sizeof(c));
	memset(&a, 0, sizeof(a));
	snprintf(c.ike_alg, sizeof(c.ike_alg), "aes256gcm16-prfsha384-x25519");
	snprintf(c.esp_alg, sizeof(c.esp_alg), "aes256gcm16");
	snprintf(a.method, sizeof(a.method), "eap-mschapv2");
	*n_conn = *n_auth = 0;
	t0 = now_s();
	c0 = cpu_s();
	p0 = thread_cpu_s();
	for (uint64_t i = 0; i < o->rows; i++) {
		uint64_t r = rnd(&seed);
		uint64_t u = r % o->users;
		int64_t t = start + (int64_t)((double)SPAN_MS * (double)i / (double)o->rows);

		if ((r >> 32) % 100 < 70) {
			/* connection log: connect/disconnect/rekey/fail */
			c.time_ms = t;
			c.event = (enum connlog_event)(1 + (r >> 40) % 4);
			c.sa_id = i + 1;
			snprintf(c.user, sizeof(c.user), "user%06" PRIu64, u);
			snprintf(c.device, sizeof(c.device), "CN=laptop-%06" PRIu64, u);
			c.client.ss_family = AF_UNSPEC;
			snprintf(c.vip4, sizeof(c.vip4), "10.8.%u.%u", (unsigned int)(u >> 8 & 255),
				 (unsigned int)(u & 255));
			c.spi_i = r;
			c.spi_r = ~r;
			c.bytes_in = r >> 20;
			c.bytes_out = r >> 22;
			c.duration_s = (uint32_t)(r >> 50);
			snprintf(c.reason, sizeof(c.reason), "%s", c.event == CONNLOG_FAIL ?
				 "AUTHENTICATION_FAILED" : c.event == CONNLOG_DISCONNECT ?
				 "client DELETE" : "");
			SUBMIT(connlog_connection(l, &c), retries);
			(*n_conn)++;
		} else {
			a.time_ms = t;
			a.result = (r >> 40) % 10 ? CONNLOG_AUTH_SUCCESS : CONNLOG_AUTH_FAILURE;
			a.sa_id = i + 1;
			snprintf(a.user, sizeof(a.user), "user%06" PRIu64, u);
			snprintf(a.identity, sizeof(a.identity), "user%06" PRIu64, u);
			snprintf(a.ike_id, sizeof(a.ike_id), "192.0.2.%u", (unsigned int)(u & 255));
			snprintf(a.reason, sizeof(a.reason), "%s", a.result == CONNLOG_AUTH_SUCCESS ?
				 "" : "bad password");
			SUBMIT(connlog_auth(l, &a), retries);
			(*n_auth)++;
		}
	}
	connlog_flush(l);
	t1 = now_s();
	c1 = cpu_s();
	p1 = thread_cpu_s();
	connlog_stats(l, &w, &f, &d);
	connlog_writer_stats(l, &st);
	printf("ingest: %" PRIu64 " rows (connection %" PRIu64 ", auth %" PRIu64 ") in %.2f s"
	       " = %.0f rows/s through the writer\n", o->rows, *n_conn, *n_auth, t1 - t0,
	       (double)o->rows / (t1 - t0));
	printf("ingest: CPU time: writer and sync threads %.2f s = %.0f rows per CPU second "
	       "(the rate when it has a core to itself), producer %.2f s\n",
	       (c1 - c0) - (p1 - p0), (double)o->rows / ((c1 - c0) - (p1 - p0)), p1 - p0);
	printf("ingest: %" PRIu64 " batches (%.0f rows each), %" PRIu64 " WAL syncs, %" PRIu64
	       " submissions refused while the queue was full and retried, %" PRIu64 " rows "
	       "failed\n", st.batches, st.batches ? (double)w / (double)st.batches : 0.0,
	       st.syncs, retries, f);
	(void)d;	/* = retries: every refusal counts as a drop in the writer */
	printf("ingest: largest WAL %.1f MiB, %" PRIu64 " checkpoints by the sync thread\n",
	       (double)st.max_wal_frames * 4096.0 / 1048576.0, st.checkpoints);
	printf("ingest: longest submit-to-commit delay %" PRIu64 " ms (target %d ms; queue limit "
	       "adapted to %zu rows, at most %d)\n", st.max_latency_ms, CONNLOG_MAX_DELAY_MS,
	       st.limit, CONNLOG_MAX_QUEUE);
	t0 = now_s();
	connlog_close(l);
	printf("close: %.2f s (final commit, checkpoint)\n", now_s() - t0);
	return start;
}

/* File size in bytes (0 when missing). */
static uint64_t fsize(const char *dir, const char *name)
{
	char p[600];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Phase 3: one user's 90-day search, each on a fresh read-only connection. */
static void search(const struct opts *o, const char *table, const char *cols)
{
	char path[600], sql[512];
	double lat[SEARCHES];
	uint64_t seed = 12345, rows = 0;
	int64_t until = wall_ms(), since = until - SPAN_MS;

	snprintf(path, sizeof(path), "%s/%s", o->dir, CONNLOG_DB_FILE);
	snprintf(sql, sizeof(sql), "SELECT %s FROM %s WHERE user = ?1 AND time_ms >= ?2 AND "
		 "time_ms < ?3 ORDER BY time_ms", cols, table);
	for (int i = 0; i < SEARCHES; i++) {
		char user[32];
		sqlite3 *db;
		sqlite3_stmt *st;
		double t0 = now_s();

		snprintf(user, sizeof(user), "user%06" PRIu64, rnd(&seed) % o->users);
		if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
			fprintf(stderr, "search: %s\n", sqlite3_errmsg(db));
			exit(1);
		}
		sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, since);
		sqlite3_bind_int64(st, 3, until);
		while (sqlite3_step(st) == SQLITE_ROW) {
			/* touch every column, as printing would */
			for (int k = 0; k < sqlite3_column_count(st); k++)
				(void)sqlite3_column_text(st, k);
			rows++;
		}
		sqlite3_finalize(st);
		sqlite3_close(db);
		lat[i] = (now_s() - t0) * 1000.0;
	}
	qsort(lat, SEARCHES, sizeof(lat[0]), cmp_double);
	printf("search %s: one user over 90 days, %d users: p50 %.2f ms, p95 %.2f ms, "
	       "max %.2f ms, %.0f rows per search\n", table, SEARCHES, lat[SEARCHES / 2],
	       lat[SEARCHES * 95 / 100], lat[SEARCHES - 1], (double)rows / SEARCHES);
	{
		sqlite3 *db;
		sqlite3_stmt *st;
		char plan[600];

		snprintf(plan, sizeof(plan), "EXPLAIN QUERY PLAN %s", sql);
		if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
		    sqlite3_prepare_v2(db, plan, -1, &st, NULL) == SQLITE_OK) {
			while (sqlite3_step(st) == SQLITE_ROW)
				printf("search %s: plan: %s\n", table, sqlite3_column_text(st, 3));
			sqlite3_finalize(st);
		}
		sqlite3_close(db);
	}
}

/* Phase 4: a retention pass deleting the oldest day of rows. */
static void retention(const struct opts *o)
{
	struct connlog *l;
	struct connlog_retention res;
	char err[512];
	uint64_t total = 0;
	double t0;

	if (connlog_open(&l, o->dir, err, sizeof(err)) < 0) {
		fprintf(stderr, "connlog_open: %s\n", err);
		exit(1);
	}
	connlog_set_retention(l, 89 * 86400);
	t0 = now_s();
	if (connlog_retention_run(l, &res) < 0)
		fprintf(stderr, "retention: %s\n", res.message);
	for (int i = 0; i < 4; i++)
		total += res.deleted[i];
	printf("retention: deleted %" PRIu64 " rows (one day) in %.2f s = %.0f rows/s, "
	       "%" PRIu64 " pages reclaimed\n", total, now_s() - t0,
	       (double)total / (now_s() - t0), res.pages);
	connlog_close(l);
}

int main(int argc, char **argv)
{
	struct opts o;
	uint64_t n_conn, n_auth, size;
	struct rusage ru;

	parse(argc, argv, &o);
	printf("bench_logs: %" PRIu64 " rows over 90 days, %" PRIu64 " users, in %s\n",
	       o.rows, o.users, o.dir);
	ingest(&o, &n_conn, &n_auth);
	size = fsize(o.dir, CONNLOG_DB_FILE) + fsize(o.dir, CONNLOG_DB_FILE "-wal");
	printf("size: logs.db %.1f MiB = %.1f MiB per million rows\n", (double)size / 1048576.0,
	       (double)size / 1048576.0 / ((double)o.rows / 1e6));
	search(&o, "connection", "time_ms, event, user, device, client_addr, client_port, vip4, "
	       "vip6, spi_i, spi_r, ike_alg, esp_alg, bytes_in, bytes_out, duration_s, reason");
	search(&o, "auth", "time_ms, result, user, identity, ike_id, method, reason, "
	       "client_addr, cert_subject, cert_serial");
	retention(&o);
	getrusage(RUSAGE_SELF, &ru);
	printf("peak RSS of this process: %.1f MiB\n", (double)ru.ru_maxrss / 1024.0);
	if (!o.keep) {
		char p[600];
		const char *files[] = { CONNLOG_DB_FILE, CONNLOG_DB_FILE "-wal",
					CONNLOG_DB_FILE "-shm" };

		for (size_t i = 0; i < 3; i++) {
			snprintf(p, sizeof(p), "%s/%s", o.dir, files[i]);
			unlink(p);
		}
		rmdir(o.dir);
	}
	return 0;
}
