/*
 * bench_logs.c — the logs benchmark of issue 5: N rows (default 10 million)
 * spread over 90 days across the logs, written through ragd's real writer
 * (connlog.c / store.c: batched WAL transactions off the caller's thread),
 * then
 *   - ingest rate: rows per second from the first submission until the last
 *     row is committed (target >= 100,000 rows/s), and per CPU second of
 *     the writer's threads;
 *   - the longest submit-to-commit delay the writer saw (the kill -9 loss
 *     window, store.h "Durability"), the largest WAL;
 *   - database size per million rows (logs.db after the writer closed);
 *   - a retention pass deleting the oldest day;
 *   - with a ragd started on the same state directory (it signs exports):
 *     one user's 90-day search, `rag-ctl log search --type T --user U
 *     --since -90d`, run as a process for 200 random users: p50/p95/max
 *     (target p50 < 50 ms); a 30-day export, `rag-ctl log export`, its time
 *     and the peak RSS of the rag-ctl process (targets < 30 s, < 64 MiB);
 *     `rag-ctl log verify` of that bundle.
 * Figures only: nothing here passes or fails on time (tests/bench/README.md).
 *
 *   bench_logs --ragd PATH --rag-ctl PATH [--rows N] [--users N] [--dir DIR]
 *              [--keep] [--existing DIR]
 *   (--existing: the phases after the ingest on a logs.db kept by --keep)
 *   (RAG_BENCH_LOG_ROWS=N also sets the row count)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "connlog.h"
#include "log_query.h"
#include "log_time.h"
#include "store.h"

#define DAY_MS (86400000LL)
#define SPAN_MS (90 * DAY_MS)
#define SEARCHES 200

struct opts {
	uint64_t rows;
	uint64_t users;
	char dir[512];
	bool keep;
	bool existing;		/* --existing DIR: skip the ingest, use DIR's logs.db */
	const char *ragd, *rag_ctl;
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
	fprintf(stderr, "usage: bench_logs --ragd PATH --rag-ctl PATH [--rows N] [--users N] "
		"[--dir DIR] [--keep] [--existing DIR]\n");
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
		} else if (!strcmp(argv[i], "--existing") && i + 1 < argc) {
			snprintf(o->dir, sizeof(o->dir), "%s", argv[++i]);
			o->existing = o->keep = true;
		} else if (!strcmp(argv[i], "--ragd") && i + 1 < argc) {
			o->ragd = argv[++i];
		} else if (!strcmp(argv[i], "--rag-ctl") && i + 1 < argc) {
			o->rag_ctl = argv[++i];
		} else {
			usage();
		}
	}
	if (!o->ragd || !o->rag_ctl)
		usage();
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
static int64_t ingest(const struct opts *o, uint64_t *n_conn, uint64_t *n_auth,
		      uint64_t *n_acl)
{
	struct connlog *l;
	struct connlog_conn c;
	struct connlog_auth a;
	struct connlog_acl x;
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
	memset(&x, 0, sizeof(x));
	snprintf(c.ike_alg, sizeof(c.ike_alg), "aes256gcm16-prfsha384-x25519");
	snprintf(c.esp_alg, sizeof(c.esp_alg), "aes256gcm16");
	snprintf(a.method, sizeof(a.method), "eap-mschapv2");
	*n_conn = *n_auth = *n_acl = 0;
	t0 = now_s();
	c0 = cpu_s();
	p0 = thread_cpu_s();
	for (uint64_t i = 0; i < o->rows; i++) {
		uint64_t r = rnd(&seed);
		uint64_t u = r % o->users;
		int64_t t = start + (int64_t)((double)SPAN_MS * (double)i / (double)o->rows);

		unsigned int kind = (unsigned int)((r >> 32) % 100);

		if (kind < 45) {
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
		} else if (kind < 65) {
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
		} else {
			/* access-control log: new permitted flows and denials */
			x.time_ms = t;
			x.permit = (r >> 40) % 4 != 0;
			x.rule_id = x.permit ? 1 + (uint32_t)((r >> 44) % 1000) : 0;
			x.sa_id = i + 1;
			snprintf(x.user, sizeof(x.user), "user%06" PRIu64, u);
			snprintf(x.vip, sizeof(x.vip), "10.8.%u.%u", (unsigned int)(u >> 8 & 255),
				 (unsigned int)(u & 255));
			snprintf(x.dst, sizeof(x.dst), "172.16.%u.%u", (unsigned int)(r >> 48 & 255),
				 (unsigned int)(r >> 56 & 255));
			snprintf(x.proto, sizeof(x.proto), "%s", (r >> 12) % 3 == 0 ? "udp" : "tcp");
			x.src_port = 1024 + (int32_t)((r >> 16) % 60000);
			x.dst_port = (r >> 12) % 3 == 0 ? 53 : (r >> 14) % 2 ? 443 : 22;
			x.suppressed = 0;
			SUBMIT(connlog_acl(l, &x), retries);
			(*n_acl)++;
		}
	}
	connlog_flush(l);
	t1 = now_s();
	c1 = cpu_s();
	p1 = thread_cpu_s();
	connlog_stats(l, &w, &f, &d);
	connlog_writer_stats(l, &st);
	printf("ingest: %" PRIu64 " rows (connection %" PRIu64 ", auth %" PRIu64 ", acl %" PRIu64
	       ") in %.2f s = %.0f rows/s through the writer\n", o->rows, *n_conn, *n_auth,
	       *n_acl, t1 - t0,
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

/* Run argv with stdout to /dev/null and stderr to errpath; its exit status
 * (or -1), wall seconds and peak RSS in KiB. */
static int run(char *const argv[], const char *errpath, double *secs, long *rss_kib)
{
	struct rusage ru;
	double t0 = now_s();
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int out = open("/dev/null", O_WRONLY | O_CLOEXEC);
		int err = open(errpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		if (out >= 0)
			dup2(out, 1);
		if (err >= 0)
			dup2(err, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0)
		return -1;
	*secs = now_s() - t0;
	*rss_kib = ru.ru_maxrss;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Start ragd on the benchmark's state directory (it signs export
 * manifests); its pid, 0 on failure. */
static pid_t start_ragd(const struct opts *o, const char *conf)
{
	char sock[600], logpath[600], port[16], nport[16];
	pid_t pid;

	snprintf(sock, sizeof(sock), "%s/ragd.sock", o->dir);
	snprintf(logpath, sizeof(logpath), "%s/ragd.log", o->dir);
	snprintf(port, sizeof(port), "%d", 40000 + (int)(getpid() % 10000) * 2);
	snprintf(nport, sizeof(nport), "%d", 40001 + (int)(getpid() % 10000) * 2);
	pid = fork();
	if (pid == 0) {
		int err = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		if (err >= 0) {
			dup2(err, 1);
			dup2(err, 2);
		}
		setenv("RAG_IKE_PORT", port, 1);	/* beside a real gateway */
		setenv("RAG_NATT_PORT", nport, 1);
		execl(o->ragd, "ragd", "-f", "-c", conf, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; pid > 0 && i < 600; i++) {
		struct stat st;

		if (stat(sock, &st) == 0)
			return pid;
		usleep(100000);
	}
	fprintf(stderr, "bench_logs: ragd did not start (see %s)\n", logpath);
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	return 0;
}

/* p50/p95/max of n latencies (sorted in place) into a line. */
static void pctl(double *lat, int n, char *out, size_t outlen)
{
	qsort(lat, (size_t)n, sizeof(lat[0]), cmp_double);
	snprintf(out, outlen, "p50 %.1f ms, p95 %.1f ms, max %.1f ms", lat[n / 2],
		 lat[n * 95 / 100], lat[n - 1]);
}

/* The search rag-ctl runs (cli/log_query.c: open read-only, the indexed
 * query, every row formatted as the table rag-ctl prints) in this process,
 * to /dev/null: the search without the cost of starting a process. */
static void search_in_process(const struct opts *o)
{
	char path[600], err[512], line[160];
	double lat[SEARCHES];
	uint64_t seed = 12345, rows = 0, n;
	FILE *devnull = fopen("/dev/null", "w");

	snprintf(path, sizeof(path), "%s/%s", o->dir, CONNLOG_DB_FILE);
	if (!devnull || logt_set_zone("UTC") < 0)
		return;
	for (int i = 0; i < SEARCHES; i++) {
		char user[32];
		static const enum log_type types[] = { LOG_CONNECTION, LOG_AUTH, LOG_ACL };
		struct log_search q = { .type = types[i % 3], .user = user,
					.until_ms = INT64_MAX };
		double t0 = now_s();
		sqlite3 *db;

		snprintf(user, sizeof(user), "user%06" PRIu64, rnd(&seed) % o->users);
		q.since_ms = wall_ms() - SPAN_MS;
		if (logq_open(path, &db, err, sizeof(err)) < 0 ||
		    logq_search(db, &q, false, devnull, &n, err, sizeof(err)) < 0) {
			fprintf(stderr, "bench_logs: search: %s\n", err);
			fclose(devnull);
			return;
		}
		sqlite3_close(db);
		rows += n;
		lat[i] = (now_s() - t0) * 1000.0;
	}
	fclose(devnull);
	pctl(lat, SEARCHES, line, sizeof(line));
	printf("search: the same query and table output in-process (cli/log_query.c): %s, "
	       "%.0f rows per search\n", line, (double)rows / SEARCHES);
}

/* Phase 5: rag-ctl log search / export / verify against the data. */
static void ragctl_phase(const struct opts *o)
{
	char conf[600], errpath[600], bundle[600], from[16], to[16];
	static const char *const types[] = { "connection", "auth", "acl" };
	double lat[SEARCHES], base[SEARCHES / 4], secs;
	char line[160];
	uint64_t seed = 12345;
	long rss;
	pid_t ragd;
	FILE *f;
	time_t t;
	struct tm tm;

	snprintf(conf, sizeof(conf), "%s/ragd.conf", o->dir);
	snprintf(errpath, sizeof(errpath), "%s/rag-ctl.err", o->dir);
	snprintf(bundle, sizeof(bundle), "%s/export.tar.gz", o->dir);
	f = fopen(conf, "w");
	if (!f) {
		perror(conf);
		exit(1);
	}
	/* retention above the data's 90 days: ragd's first pass deletes nothing */
	fprintf(f, "[gateway]\nlisten = 127.0.0.1\nid = bench.example\nstate-dir = %s\n"
		"control-socket = %s/ragd.sock\ntimezone = UTC\n[pool]\nsplit-tunnel = no\n"
		"[logs]\nretention = 100d\nexport-window = 30d\n", o->dir, o->dir);
	fclose(f);
	ragd = start_ragd(o, conf);
	if (!ragd)
		return;

	for (int i = 0; i < SEARCHES; i++) {
		char user[32];
		char *argv[] = { (char *)o->rag_ctl, "-c", conf, "log", "search", "--type",
				 (char *)types[i % 3], "--user", user, "--since", "-90d",
				 NULL };
		int rc;

		snprintf(user, sizeof(user), "user%06" PRIu64, rnd(&seed) % o->users);
		rc = run(argv, errpath, &secs, &rss);
		if (rc != 0) {
			fprintf(stderr, "bench_logs: rag-ctl log search exited %d (see %s)\n", rc,
				errpath);
			goto out;
		}
		lat[i] = secs * 1000.0;
	}
	pctl(lat, SEARCHES, line, sizeof(line));
	printf("search: rag-ctl log search --type connection|auth|acl --user U --since -90d, %d "
	       "random users, each a new process: %s\n", SEARCHES, line);
	for (int i = 0; i < SEARCHES / 4; i++) {
		char *argv[] = { (char *)o->rag_ctl, "--version", NULL };

		run(argv, errpath, &secs, &rss);
		base[i] = secs * 1000.0;
	}
	pctl(base, SEARCHES / 4, line, sizeof(line));
	printf("search: starting a rag-ctl process alone (rag-ctl --version): %s\n", line);
	search_in_process(o);

	/* the last 30 whole days before today (UTC) */
	t = time(NULL) - 30 * 86400;
	gmtime_r(&t, &tm);
	strftime(from, sizeof(from), "%Y-%m-%d", &tm);
	t = time(NULL) - 86400;
	gmtime_r(&t, &tm);
	strftime(to, sizeof(to), "%Y-%m-%d", &tm);
	{
		char *argv[] = { (char *)o->rag_ctl, "-c", conf, "log", "export", "--from", from,
				 "--to", to, "-o", bundle, NULL };
		struct stat st;
		int rc = run(argv, errpath, &secs, &rss);

		if (rc != 0) {
			fprintf(stderr, "bench_logs: rag-ctl log export exited %d (see %s)\n", rc,
				errpath);
			goto out;
		}
		printf("export: rag-ctl log export --from %s --to %s: %.1f s, peak RSS of rag-ctl "
		       "%.1f MiB, bundle %.1f MiB\n", from, to, secs, (double)rss / 1024.0,
		       stat(bundle, &st) == 0 ? (double)st.st_size / 1048576.0 : 0.0);
	}
	{
		char *argv[] = { (char *)o->rag_ctl, "-c", conf, "log", "verify", bundle, NULL };
		int rc = run(argv, errpath, &secs, &rss);

		printf("verify: rag-ctl log verify: %s in %.1f s, peak RSS %.1f MiB\n",
		       rc == 0 ? "OK" : "FAILED", secs, (double)rss / 1024.0);
	}
out:
	kill(ragd, SIGTERM);
	waitpid(ragd, NULL, 0);
	unlink(bundle);
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
	uint64_t n_conn, n_auth, n_acl, size;
	struct rusage ru;

	setvbuf(stdout, NULL, _IOLBF, 0);	/* figures as they come, even into a file */
	parse(argc, argv, &o);
	printf("bench_logs: %" PRIu64 " rows over 90 days, %" PRIu64 " users, in %s\n",
	       o.rows, o.users, o.dir);
	if (o.existing) {
		char path[600], err[STORE_ERR_MAX];
		sqlite3 *db;

		snprintf(path, sizeof(path), "%s/%s", o.dir, CONNLOG_DB_FILE);
		if (store_open(path, &db, err, sizeof(err)) < 0) {
			fprintf(stderr, "bench_logs: %s\n", err);
			return 1;
		}
		o.rows = (uint64_t)store_query_int(db, "SELECT (SELECT count(*) FROM connection) + "
						   "(SELECT count(*) FROM auth) + (SELECT count(*) "
						   "FROM acl)", 0);
		store_close(db);
		printf("existing: %" PRIu64 " rows in %s (no ingest)\n", o.rows, path);
	} else {
		ingest(&o, &n_conn, &n_auth, &n_acl);
	}
	size = fsize(o.dir, CONNLOG_DB_FILE) + fsize(o.dir, CONNLOG_DB_FILE "-wal");
	printf("size: logs.db %.1f MiB = %.1f MiB per million rows\n", (double)size / 1048576.0,
	       (double)size / 1048576.0 / ((double)o.rows / 1e6));
	retention(&o);
	ragctl_phase(&o);
	getrusage(RUSAGE_SELF, &ru);
	printf("peak RSS of bench_logs (the writer's process): %.1f MiB\n",
	       (double)ru.ru_maxrss / 1024.0);
	if (!o.keep) {
		char cmd[700];

		/* what ragd made there too (certificates, keys, rag.db, logs) */
		snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", o.dir);
		if (!strchr(o.dir, '\'') && system(cmd) != 0)
			fprintf(stderr, "bench_logs: could not remove %s\n", o.dir);
	}
	return 0;
}
