/*
 * bench_policy_load.c — what the access policy costs ragd outside the kernel
 * (issue 4 "Benchmark": a policy of 1,000 rules over 200 groups and 10,000
 * users compiles and applies in under 1 s; the nftables side is measured
 * by the nft benchmark).  Figures printed, nothing asserted:
 *   - pol_load: rag.db -> snapshot (what every rag-ctl change costs before
 *     the subscribers run),
 *   - pol_user_dests: the split-tunnel selectors computed at each login,
 *   - pol_eval: the reference evaluator (the oracle of the tests, not the
 *     data path).
 *
 *   meson test -C build --benchmark policy       (or run bench_policy [DIR])
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"
#include "store.h"

#define USERS        10000
#define USER_GROUPS  200
#define HOST_GROUPS  200
#define SVC_GROUPS   50
#define RULES        1000

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int exec(sqlite3 *db, const char *sql)
{
	char err[256];

	if (store_exec(db, sql, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_policy: %s\n", err);
		return -1;
	}
	return 0;
}

/* Host group h gets 1 + h % 8 prefixes 10.(h % 256).(16 j).0/24. */
static int add_hosts(sqlite3 *db)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, "INSERT INTO host_group_member VALUES (?1, 4, ?2, 24)", -1,
			       &st, NULL) != SQLITE_OK)
		return -1;
	for (int h = 1; h <= HOST_GROUPS; h++)
		for (int j = 0; j <= h % 8; j++) {
			uint8_t a[4] = { 10, (uint8_t)(h % 256), (uint8_t)(j * 16), 0 };

			sqlite3_reset(st);
			sqlite3_bind_int(st, 1, h);
			sqlite3_bind_blob(st, 2, a, 4, SQLITE_TRANSIENT);
			if (sqlite3_step(st) != SQLITE_DONE) {
				sqlite3_finalize(st);
				return -1;
			}
		}
	sqlite3_finalize(st);
	return 0;
}

int main(int argc, char **argv)
{
	char dir[256], path[300], err[256];
	struct pol_snapshot *s = NULL;
	sqlite3 *db = NULL;
	double t0, t1, best = 1e9, total = 0;
	int runs = 5;

	snprintf(dir, sizeof(dir), "%s", argc > 1 ? argv[1] : "/tmp/rag-bench-policy-XXXXXX");
	if (argc <= 1 && !mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/rag.db", dir);
	unlink(path);
	if (store_open_migrated(path, &store_schema_rag, &db, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_policy: %s\n", err);
		return 1;
	}
	/* the policy: 10,000 users, each in 1-3 of 200 user groups; 200 host
	 * groups of 1-8 prefixes; 50 service groups of 1-4 services; 1,000
	 * rules, one in five a deny */
	t0 = now_s();
	if (exec(db, "BEGIN") ||
	    exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000) "
		     "INSERT INTO users (name, created, updated) SELECT 'user' || i, 1, 1 FROM n") ||
	    exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) "
		     "INSERT INTO user_group (name, created) SELECT 'ug' || i, 1 FROM n") ||
	    exec(db, "INSERT INTO user_group_member SELECT u.id, g.id FROM users u, user_group g "
		     "WHERE g.id IN (1 + u.id % 200, 1 + (u.id * 7) % 200, 1 + (u.id * 13) % 200) "
		     "AND (g.id = 1 + u.id % 200 OR u.id % 3 != 0)") ||
	    exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) "
		     "INSERT INTO host_group (name, created) SELECT 'hg' || i, 1 FROM n") ||
	    add_hosts(db) ||
	    exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50) "
		     "INSERT INTO service_group (name, created) SELECT 'sg' || i, 1 FROM n") ||
	    exec(db, "WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 3) "
		     "INSERT INTO service_group_member SELECT s.id, CASE WHEN j = 3 THEN 17 ELSE 6 END, "
		     "1000 + s.id * 10 + j, 1000 + s.id * 10 + j FROM service_group s, k "
		     "WHERE j <= s.id % 4") ||
	    exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) "
		     "INSERT INTO rule (position, user_group_id, host_group_id, service_group_id, "
		     "action, created) SELECT i, 1 + i % 200, 1 + (i * 3) % 200, 1 + i % 50, "
		     "CASE WHEN i % 5 = 0 THEN 'deny' ELSE 'permit' END, 1 FROM n") ||
	    exec(db, "COMMIT")) {
		fprintf(stderr, "bench_policy: building the database failed\n");
		return 1;
	}
	t1 = now_s();
	printf("policy: %d users, %d user groups, %d host groups, %d service groups, %d rules "
	       "(rag.db built in %.0f ms)\n", USERS, USER_GROUPS, HOST_GROUPS, SVC_GROUPS, RULES,
	       (t1 - t0) * 1e3);
	for (int i = 0; i < runs; i++) {
		struct pol_snapshot *x = NULL;

		t0 = now_s();
		if (pol_load(db, (uint64_t)i + 1, &x, err, sizeof(err)) < 0) {
			fprintf(stderr, "bench_policy: pol_load: %s\n", err);
			return 1;
		}
		t1 = now_s();
		total += t1 - t0;
		if (t1 - t0 < best)
			best = t1 - t0;
		if (i == runs - 1)
			s = x;
		else
			pol_snapshot_unref(x);
	}
	printf("pol_load (rag.db -> snapshot): best %.1f ms, mean %.1f ms over %d runs; "
	       "%zu rules, %zu users\n", best * 1e3, total / runs * 1e3, runs, s->nrules,
	       s->nusers);
	{
		struct pol_prefix out[8];
		size_t sum = 0;
		char name[32];

		t0 = now_s();
		for (int u = 1; u <= USERS; u++) {
			snprintf(name, sizeof(name), "user%d", u);
			sum += pol_user_dests(s, name, AF_INET, NULL, 0, out, 8);
		}
		t1 = now_s();
		printf("pol_user_dests (split-tunnel selectors at login): %.1f us per user "
		       "(%.1f prefixes on average, at most 8)\n", (t1 - t0) * 1e6 / USERS,
		       (double)sum / USERS);
	}
	{
		uint32_t seed = 1;
		size_t permits = 0, n = 200000;
		char name[32];

		t0 = now_s();
		for (size_t i = 0; i < n; i++) {
			uint8_t a[4] = { 10, 0, 0, 1 };
			struct pol_verdict v;

			/* destinations and ports of the groups above */
			seed = seed * 1103515245u + 12345u;
			a[1] = (uint8_t)(1 + (seed >> 8) % HOST_GROUPS);
			a[2] = (uint8_t)(16 * ((seed >> 16) % 8));
			snprintf(name, sizeof(name), "user%u", 1 + (seed >> 4) % USERS);
			seed = seed * 1103515245u + 12345u;
			v = pol_eval(s, name, AF_INET, a, 6, (uint16_t)(1000 + 10 * (1 + (seed >> 8) %
									SVC_GROUPS) + (seed >> 20) % 3));
			permits += v.permit;
		}
		t1 = now_s();
		printf("pol_eval (reference evaluator, not the data path): %.2f us per packet "
		       "(%zu of %zu permitted: most packets scan every rule)\n",
		       (t1 - t0) * 1e6 / (double)n, permits, n);
	}
	pol_snapshot_unref(s);
	store_close(db);
	if (argc <= 1) {
		snprintf(path, sizeof(path), "rm -rf '%s'", dir);
		if (system(path) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return 0;
}
