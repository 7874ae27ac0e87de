/*
 * test_logsearch.c — cli/log_query.c, issue 5 point 3: `rag-ctl log search`
 * filters by type, user, time window and text; table output in the
 * configured timezone or --json; "Queries use indexes (a test checks the
 * query plan)": no full-table SCAN and no temporary sort for user+time and
 * time-window searches of every log; --contains is bound and LIKE-escaped
 * (no SQL injection, % and _ literal); untrusted text (user names and IKE
 * IDs come from the network) is escaped in both outputs: the JSON stays
 * valid UTF-8 JSON and the table carries no control bytes.  logs.db is
 * opened read-only.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"
#include "log_query.h"
#include "log_time.h"
#include "store.h"

#define T0 1795000000000LL	/* 2026-11-18T20:06:40+09:00 */
#define MIN 60000LL

static char dir[256], dbpath[300];

/* Synthetic rows: alice and bob connect over 10 minutes; auth rows with
 * hostile identities; acl and audit rows. */
static void fill(void)
{
	char err[STORE_ERR_MAX], sql[512];
	sqlite3 *db;

	CHECK_INT(store_open_migrated(dbpath, &store_schema_logs, &db, err, sizeof(err)), 0);
	CHECK_INT(store_exec(db, "BEGIN", err, sizeof(err)), 0);
	for (int i = 0; i < 10; i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO connection (time_ms, event, user, "
			 "client_addr, reason) VALUES (%lld, 'connect', '%s', '192.0.2.%d', "
			 "'r%d')", T0 + i * MIN, i % 2 ? "bob" : "alice", i, i);
		CHECK_INT(store_exec(db, sql, err, sizeof(err)), 0);
	}
	/* identity with an escape sequence, a quote, a backslash, invalid UTF-8
	 * (0xff, a lone continuation byte, an overlong '/'), valid UTF-8 (é) */
	CHECK_INT(store_exec(db, "INSERT INTO auth (time_ms, result, user, identity, method, "
			     "reason) VALUES (" "1795000000000, 'failure', '', "
			     "CAST(X'6d616c1b5b33316d22275cff80c0afc3a9' AS TEXT), 'eap-mschapv2', "
			     "'unknown user 50%_off')", err, sizeof(err)), 0);
	CHECK_INT(store_exec(db, "INSERT INTO auth (time_ms, result, user, identity, method, "
			     "reason) VALUES (1795000060000, 'success', 'carol', 'carol', "
			     "'eap-tls', '50xyoff')", err, sizeof(err)), 0);
	CHECK_INT(store_exec(db, "INSERT INTO auth (time_ms, result, user, identity, method, "
			     "reason) VALUES (1795000120000, 'failure', 'dave', 'DAVE', "
			     "'eap-mschapv2', 'bad password')", err, sizeof(err)), 0);
	CHECK_INT(store_exec(db, "INSERT INTO acl (time_ms, user, vip, dst_addr, proto, "
			     "dst_port, verdict, rule_id) VALUES (1795000000000, 'alice', "
			     "'10.8.0.2', '10.1.2.3', 'tcp', 443, 'deny', NULL)", err, sizeof(err)), 0);
	CHECK_INT(store_exec(db, "INSERT INTO audit (time_ms, uid, unix_user, command, object, "
			     "old_value, new_value, result) VALUES (1795000000000, 0, 'root', "
			     "'user lock bob', 'user bob', 'active', 'locked', 'ok')", err,
			     sizeof(err)), 0);
	CHECK_INT(store_exec(db, "COMMIT", err, sizeof(err)), 0);
	store_close(db);
}

/* Run q; returns the output (malloc'ed) and the row count in *rows. */
static char *run(sqlite3 *db, const struct log_search *q, bool json, uint64_t *rows, int *rc)
{
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	*rc = logq_search(db, q, json, f, rows, err, sizeof(err));
	if (*rc < 0)
		fprintf(stderr, "search: %s\n", err);
	fclose(f);
	return buf;
}

/* Search and parse the JSON output; returns the array (caller decrefs). */
static json_t *search_json(sqlite3 *db, const struct log_search *q)
{
	uint64_t rows;
	int rc;
	char *out = run(db, q, true, &rows, &rc);
	json_error_t je;
	json_t *a = json_loads(out, 0, &je);

	CHECK_INT(rc, 0);
	if (!json_is_array(a)) {
		fprintf(stderr, "not a JSON array (%s): %s\n", je.text, out);
		CHECK(0);
	} else {
		CHECK_INT(json_array_size(a), rows);
	}
	free(out);
	return a;
}

/* The "id" values of a result, as a string "1,3,5". */
static const char *ids(json_t *a)
{
	static char s[256];
	size_t i, o = 0;
	json_t *v;

	s[0] = '\0';
	json_array_foreach(a, i, v) {
		o += (size_t)snprintf(s + o, sizeof(s) - o, "%s%lld", i ? "," : "",
				      (long long)json_integer_value(json_object_get(v, "id")));
	}
	return s;
}

#define CHECK_IDS(q, want) do { \
	json_t *_a = search_json(db, (q)); \
	const char *_got = ids(_a); \
	if (strcmp(_got, (want))) \
		fprintf(stderr, "%s:%d: ids %s, want %s\n", __FILE__, __LINE__, _got, (want)); \
	CHECK(!strcmp(_got, (want))); \
	json_decref(_a); \
} while (0)

static void test_filters(sqlite3 *db)
{
	struct log_search q = { .type = LOG_CONNECTION, .since_ms = 0, .until_ms = INT64_MAX };

	CHECK_IDS(&q, "1,2,3,4,5,6,7,8,9,10");
	q.user = "alice";
	CHECK_IDS(&q, "1,3,5,7,9");
	q.user = "ALICE";	/* names are exact */
	CHECK_IDS(&q, "");
	q.user = NULL;
	/* since inclusive, until exclusive */
	q.since_ms = T0 + 2 * MIN;
	q.until_ms = T0 + 5 * MIN;
	CHECK_IDS(&q, "3,4,5");
	q.user = "bob";
	CHECK_IDS(&q, "4");
	q.user = NULL;
	q.since_ms = 0;
	q.until_ms = INT64_MAX;
	q.limit = 3;
	CHECK_IDS(&q, "1,2,3");
	q.limit = 0;
	q.contains = "192.0.2.7";
	CHECK_IDS(&q, "8");
	q.contains = "R9";		/* case-insensitive (ASCII) */
	CHECK_IDS(&q, "10");
	q.type = LOG_AUTH;
	/* % and _ are literal */
	q.contains = "50%_";
	CHECK_IDS(&q, "1");
	q.contains = "%";
	CHECK_IDS(&q, "1");
	q.contains = "50_y";	/* unescaped it would match carol's "50xyoff" */
	CHECK_IDS(&q, "");
	q.contains = "50x";
	CHECK_IDS(&q, "2");
	q.contains = "\\";		/* the backslash in the identity */
	CHECK_IDS(&q, "1");
	/* injection attempts match nothing and change nothing */
	q.contains = "' OR 1=1 --";
	CHECK_IDS(&q, "");
	q.contains = "x'); DROP TABLE auth; --";
	CHECK_IDS(&q, "");
	q.contains = NULL;
	q.user = "' OR ''='";
	CHECK_IDS(&q, "");
	q.user = NULL;
	CHECK_IDS(&q, "1,2,3");
	q.contains = "dave";	/* identity column, case-insensitive */
	CHECK_IDS(&q, "3");
	q.contains = NULL;
	q.type = LOG_AUDIT;
	q.user = "root";	/* audit: --user is the Unix user */
	CHECK_IDS(&q, "1");
	q.user = NULL;
	q.contains = "locked";
	CHECK_IDS(&q, "1");
	q.contains = NULL;
	q.type = LOG_ACL;
	q.user = "alice";
	CHECK_IDS(&q, "1");
}

/* JSON: valid UTF-8 whatever the stored bytes; escapes decode back. */
static void test_json_escaping(sqlite3 *db)
{
	struct log_search q = { .type = LOG_AUTH, .since_ms = 0, .until_ms = INT64_MAX,
				.limit = 1 };
	json_t *a = search_json(db, &q), *row = json_array_get(a, 0);
	const char *idn = json_string_value(json_object_get(row, "identity"));
	/* ESC [31m " ' \ then three invalid bytes as U+FFFD, then é */
	static const char want[] = "mal\x1b[31m\"'\\\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9";

	CHECK(idn != NULL);
	if (idn && strcmp(idn, want)) {
		check_hexdump("got ", (const uint8_t *)idn, strlen(idn));
		check_hexdump("want", (const uint8_t *)want, strlen(want));
		CHECK(0);
	}
	/* the configured zone shows in "time"; time_ms is the stored value */
	CHECK_INT(json_integer_value(json_object_get(row, "time_ms")), T0);
	CHECK(!strcmp(json_string_value(json_object_get(row, "time")),
		      "2026-11-18T20:06:40.000+09:00"));
	CHECK(json_is_null(json_object_get(row, "cert_subject")));
	json_decref(a);
}

/* Table: the zone, and no raw control byte from the data. */
static void test_table(sqlite3 *db)
{
	struct log_search q = { .type = LOG_AUTH, .since_ms = 0, .until_ms = INT64_MAX };
	uint64_t rows;
	int rc;
	char *out = run(db, &q, false, &rows, &rc);

	CHECK_INT(rc, 0);
	CHECK_INT(rows, 3);
	CHECK(strncmp(out, "TIME", 4) == 0);
	CHECK(strstr(out, "2026-11-18T20:06:40.000+09:00 failure") != NULL);
	CHECK(strstr(out, "mal\\x1b[31m\"'\\\\\\xff\\x80\\xc0\\xaf\\xc3\\xa9") != NULL);
	for (const char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n') {
			CHECK(!"control byte in table output");
			break;
		}
	for (const char *p = out; *p; p++)
		if ((unsigned char)*p >= 0x7f) {
			CHECK(!"non-ASCII byte in table output");
			break;
		}
	free(out);
	/* an empty result: header only / [] */
	q.user = "nobody";
	out = run(db, &q, false, &rows, &rc);
	CHECK_INT(rows, 0);
	CHECK(strchr(out, '\n') == out + strlen(out) - 1);
	free(out);
	out = run(db, &q, true, &rows, &rc);
	CHECK(!strcmp(out, "[]\n"));
	free(out);
}

/* Issue 5: "Queries use indexes (a test checks the query plan)". */
static void test_query_plan(sqlite3 *db)
{
	static const char *const users[] = { NULL, "alice" };
	static const char *const texts[] = { NULL, "x" };

	for (int t = 0; t < LOG_N_TYPES; t++)
		for (int u = 0; u < 2; u++)
			for (int c = 0; c < 2; c++) {
				struct log_search q = { .type = (enum log_type)t, .user = users[u],
							.contains = texts[c], .since_ms = T0,
							.until_ms = T0 + 86400000LL, .limit = 100 };
				char err[256], sql[2048], want[96], scan[64], plan[2048] = "";
				sqlite3_stmt *st, *ex;
				size_t o = 0;

				CHECK_INT(logq_prepare(db, &q, &st, err, sizeof(err)), 0);
				snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", sqlite3_sql(st));
				CHECK_INT(sqlite3_prepare_v2(db, sql, -1, &ex, NULL), SQLITE_OK);
				while (sqlite3_step(ex) == SQLITE_ROW)
					o += (size_t)snprintf(plan + o, sizeof(plan) - o, "%s\n",
							      sqlite3_column_text(ex, 3));
				sqlite3_finalize(ex);
				sqlite3_finalize(st);
				/* one user: a seek per day of the window on (day, user,
				 * time_ms), schema/logs/005_user_day.sql; the CTE of the
				 * days may scan itself, the log table never */
				if (u)
					snprintf(want, sizeof(want),
						 "USING INDEX %s_user_day (<expr>=? AND %s=?",
						 logq_table(q.type), t == LOG_AUDIT ? "unix_user" : "user");
				else
					snprintf(want, sizeof(want), "USING INDEX %s_time",
						 logq_table(q.type));
				snprintf(scan, sizeof(scan), "SCAN %s\n", logq_table(q.type));
				if (strstr(plan, scan) || strstr(plan, "TEMP B-TREE") ||
				    !strstr(plan, "SEARCH") || !strstr(plan, want)) {
					fprintf(stderr, "plan for type %d user %d text %d:\n%s(want %s)\n",
						t, u, c, plan, want);
					CHECK(0);
				} else {
					CHECK(1);
				}
			}
}

/* One user's search seeks per UTC day (schema/logs/005_user_day.sql): over
 * rows spread across day boundaries (the last and first millisecond of a
 * day, inserted out of time order), every window gives exactly the rows and
 * the order a plain filtered query does. */
static void test_user_days(void)
{
	static const long long day = 86400000LL, d0 = T0 / 86400000LL * 86400000LL;
	static const long long offs[] = { -1, 0, 1, 43200000LL, 86399999LL, 86400000LL };
	char path[320], err[STORE_ERR_MAX], sql[512];
	uint64_t seed = 7;
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/days.db", dir);
	CHECK_INT(store_open_migrated(path, &store_schema_logs, &db, err, sizeof(err)), 0);
	CHECK_INT(store_exec(db, "BEGIN", err, sizeof(err)), 0);
	for (int i = 0; i < 400; i++) {
		long long t;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		t = d0 + (long long)(seed >> 33) % 6 * day +
		    offs[(seed >> 20) % (sizeof(offs) / sizeof(offs[0]))];
		snprintf(sql, sizeof(sql), "INSERT INTO connection (time_ms, event, user) "
			 "VALUES (%lld, 'connect', '%s')", t, (seed >> 40) % 3 ? "erin" : "frank");
		CHECK_INT(store_exec(db, sql, err, sizeof(err)), 0);
	}
	CHECK_INT(store_exec(db, "COMMIT", err, sizeof(err)), 0);
	for (int a = -1; a < 7; a++)
		for (int b = a; b < 8; b++)
			for (int k = 0; k < 3; k++) {
				struct log_search q = { .type = LOG_CONNECTION, .user = "erin",
							.since_ms = d0 + a * day + offs[k],
							.until_ms = d0 + b * day + offs[5 - k] };
				char want[4096] = "", got[4096] = "", *w = want, *g = got;
				sqlite3_stmt *st;
				uint64_t n = 0;

				if (q.until_ms < q.since_ms)
					continue;
				snprintf(sql, sizeof(sql), "SELECT id FROM connection WHERE user = "
					 "'erin' AND time_ms >= %lld AND time_ms < %lld ORDER BY "
					 "time_ms, id", (long long)q.since_ms, (long long)q.until_ms);
				CHECK_INT(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
				while (sqlite3_step(st) == SQLITE_ROW && w < want + sizeof(want) - 16)
					w += sprintf(w, "%lld,", (long long)sqlite3_column_int64(st, 0));
				sqlite3_finalize(st);
				CHECK_INT(logq_prepare(db, &q, &st, err, sizeof(err)), 0);
				while (sqlite3_step(st) == SQLITE_ROW && g < got + sizeof(got) - 16) {
					g += sprintf(g, "%lld,", (long long)sqlite3_column_int64(st, 0));
					n++;
				}
				sqlite3_finalize(st);
				if (strcmp(want, got)) {
					fprintf(stderr, "window [%lld, %lld): want %s got %s\n",
						(long long)q.since_ms, (long long)q.until_ms, want, got);
					CHECK(0);
				} else {
					CHECK(1);
				}
			}
	store_close(db);
}

/* logs.db is opened read-only: even a statement cannot write. */
static void test_read_only(sqlite3 *db)
{
	CHECK(sqlite3_exec(db, "DELETE FROM auth", NULL, NULL, NULL) != SQLITE_OK);
	CHECK(sqlite3_exec(db, "PRAGMA query_only = 0; DELETE FROM auth", NULL, NULL, NULL) !=
	      SQLITE_OK);
	{
		char err[256];
		sqlite3 *none;

		CHECK(logq_open("/nonexistent/logs.db", &none, err, sizeof(err)) < 0);
		CHECK(none == NULL);
	}
}

int main(void)
{
	char tmpl[] = "/tmp/rag-logsearch-XXXXXX", err[256];
	sqlite3 *db;

	if (!mkdtemp(tmpl))
		return 1;
	snprintf(dir, sizeof(dir), "%s", tmpl);
	snprintf(dbpath, sizeof(dbpath), "%s/logs.db", dir);
	CHECK_INT(logt_set_zone("Asia/Tokyo"), 0);
	fill();
	CHECK_INT(logq_open(dbpath, &db, err, sizeof(err)), 0);
	test_filters(db);
	test_json_escaping(db);
	test_table(db);
	test_query_plan(db);
	test_read_only(db);
	test_user_days();
	sqlite3_close(db);
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		CHECK_INT(system(cmd), 0);
	}
	return check_done("test_logsearch");
}
