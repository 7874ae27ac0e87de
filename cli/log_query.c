/*
 * log_query.c — searching logs.db (see log_query.h).
 */
#include "log_query.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "log_text.h"
#include "log_time.h"

#define MAX_TEXT_COLS 12
#define LOGQ_DAY_MS 86400000	/* the day of schema/logs/005_user_day.sql */
#define MAX_SHOW_COLS 12

/* A column of the table output: header, column name, minimum width. */
struct show_col {
	const char *head;
	const char *col;
	int width;
};

/* What each log type is: its table, the column --user matches, the text
 * columns --contains looks in, and what the table output shows. */
static const struct log_def {
	const char *name;
	const char *user_col;
	const char *text_cols[MAX_TEXT_COLS];
	struct show_col show[MAX_SHOW_COLS];
} defs[LOG_N_TYPES] = {
	[LOG_CONNECTION] = {
		"connection", "user",
		{ "event", "user", "device", "client_addr", "vip4", "vip6", "spi_i", "spi_r",
		  "ike_alg", "esp_alg", "reason" },
		{ { "EVENT", "event", 10 }, { "USER", "user", 12 }, { "DEVICE", "device", 16 },
		  { "CLIENT", "client_addr", 15 }, { "PORT", "client_port", 5 },
		  { "VIP", "vip4", 15 }, { "BYTES-IN", "bytes_in", 10 },
		  { "BYTES-OUT", "bytes_out", 10 }, { "DURATION", "duration_s", 8 },
		  { "REASON", "reason", 0 } },
	},
	[LOG_ACL] = {
		"acl", "user",
		{ "user", "vip", "dst_addr", "proto", "verdict" },
		{ { "USER", "user", 12 }, { "VIP", "vip", 15 }, { "DESTINATION", "dst_addr", 15 },
		  { "PROTO", "proto", 6 }, { "PORT", "dst_port", 5 }, { "VERDICT", "verdict", 7 },
		  { "RULE", "rule_id", 5 }, { "SUPPRESSED", "suppressed", 0 } },
	},
	[LOG_AUTH] = {
		"auth", "user",
		{ "result", "user", "identity", "ike_id", "method", "reason", "client_addr",
		  "cert_subject", "cert_issuer", "cert_serial", "cert_sha256" },
		{ { "RESULT", "result", 8 }, { "USER", "user", 12 }, { "IDENTITY", "identity", 16 },
		  { "METHOD", "method", 12 }, { "CLIENT", "client_addr", 15 },
		  { "REASON", "reason", 16 }, { "CERT-SUBJECT", "cert_subject", 0 } },
	},
	[LOG_AUDIT] = {
		"audit", "unix_user",
		{ "unix_user", "command", "object", "old_value", "new_value", "result", "message" },
		{ { "UNIX-USER", "unix_user", 10 }, { "UID", "uid", 6 }, { "RESULT", "result", 8 },
		  { "OBJECT", "object", 16 }, { "OLD", "old_value", 16 }, { "NEW", "new_value", 16 },
		  { "COMMAND", "command", 0 } },
	},
};

/* See log_query.h. */
int logq_type_parse(const char *name, enum log_type *t)
{
	for (int i = 0; i < LOG_N_TYPES; i++)
		if (!strcmp(name, defs[i].name)) {
			*t = (enum log_type)i;
			return 0;
		}
	return -EINVAL;
}

/* See log_query.h. */
const char *logq_table(enum log_type t)
{
	return t < LOG_N_TYPES ? defs[t].name : "";
}

/* See log_query.h. */
int logq_open(const char *path, sqlite3 **out, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL);

	*out = NULL;
	if (rc != SQLITE_OK) {
		rag_seterr(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return -EIO;
	}
	sqlite3_busy_timeout(db, 5000);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, (int *)NULL);
	if (sqlite3_exec(db, "PRAGMA query_only = 1", NULL, NULL, NULL) != SQLITE_OK) {
		rag_seterr(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return -EIO;
	}
	*out = db;
	return 0;
}

/* The LIKE pattern "%TEXT%" with \, % and _ escaped by '\' (malloc'ed). */
static char *like_pattern(const char *text)
{
	size_t n = strlen(text), o = 0;
	char *p = malloc(2 * n + 3);

	if (!p)
		return NULL;
	p[o++] = '%';
	for (size_t i = 0; i < n; i++) {
		if (text[i] == '\\' || text[i] == '%' || text[i] == '_')
			p[o++] = '\\';
		p[o++] = text[i];
	}
	p[o++] = '%';
	p[o] = '\0';
	return p;
}

/* Build the SQL of q into sql[len]; -ENOSPC when it does not fit. */
static int build_sql(const struct log_search *q, char *sql, size_t len)
{
	const struct log_def *def = &defs[q->type];
	size_t o;
	int n;

	/* column and table names come from defs[], never from the user.
	 * One user's rows: the index is (day, user, time_ms)
	 * (schema/logs/005_user_day.sql), so seek once per day of the
	 * window, the days clipped to those the table has rows in; ordered
	 * by day first, which is time order, so the index needs no sort. */
	if (q->user)
		n = snprintf(sql, len,
			     "WITH RECURSIVE days(d) AS ("
			     "SELECT max(?1, coalesce((SELECT min(time_ms) FROM %s), ?1)) / %d "
			     "UNION ALL SELECT d + 1 FROM days WHERE d < "
			     "min(?2 - 1, coalesce((SELECT max(time_ms) FROM %s), 0)) / %d) "
			     "SELECT * FROM %s WHERE time_ms >= ?1 AND time_ms < ?2 AND "
			     "time_ms / %d IN (SELECT d FROM days) AND %s = ?3",
			     def->name, LOGQ_DAY_MS, def->name, LOGQ_DAY_MS, def->name,
			     LOGQ_DAY_MS, def->user_col);
	else
		n = snprintf(sql, len, "SELECT * FROM %s WHERE time_ms >= ?1 AND time_ms < ?2",
			     def->name);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	o = (size_t)n;
	if (q->contains) {
		for (size_t i = 0; i < MAX_TEXT_COLS && def->text_cols[i]; i++) {
			n = snprintf(sql + o, len - o, "%s%s LIKE ?4 ESCAPE '\\'",
				     i ? " OR " : " AND (", def->text_cols[i]);
			if (n < 0 || (size_t)n >= len - o)
				return -ENOSPC;
			o += (size_t)n;
		}
		n = snprintf(sql + o, len - o, ")");
		if (n < 0 || (size_t)n >= len - o)
			return -ENOSPC;
		o += (size_t)n;
	}
	if (q->user)
		n = snprintf(sql + o, len - o, " ORDER BY time_ms / %d, time_ms, id LIMIT ?5",
			     LOGQ_DAY_MS);
	else
		n = snprintf(sql + o, len - o, " ORDER BY time_ms, id LIMIT ?5");
	return n < 0 || (size_t)n >= len - o ? -ENOSPC : 0;
}

/* See log_query.h. */
int logq_prepare(sqlite3 *db, const struct log_search *q, sqlite3_stmt **out, char *err,
		 size_t errlen)
{
	char sql[1024], *pat = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	if (q->type >= LOG_N_TYPES || build_sql(q, sql, sizeof(sql)) < 0 ||
	    (q->contains && strlen(q->contains) > LOGQ_CONTAINS_MAX)) {
		rag_seterr(err, errlen, "bad search");
		return -EINVAL;
	}
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		rag_seterr(err, errlen, "logs.db: %s", sqlite3_errmsg(db));
		return -EIO;
	}
	if (q->contains && !(pat = like_pattern(q->contains))) {
		sqlite3_finalize(st);
		rag_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = sqlite3_bind_int64(st, 1, q->since_ms);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, q->until_ms);
	if (rc == SQLITE_OK && q->user)
		rc = sqlite3_bind_text(st, 3, q->user, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK && pat)
		rc = sqlite3_bind_text(st, 4, pat, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, q->limit && q->limit <= INT64_MAX ?
					(int64_t)q->limit : -1);
	free(pat);
	if (rc != SQLITE_OK) {
		rag_seterr(err, errlen, "logs.db: %s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return -EIO;
	}
	*out = st;
	return 0;
}

/* Index of column name in st's result, -1 when absent. */
static int col_index(sqlite3_stmt *st, const char *name)
{
	int n = sqlite3_column_count(st);

	for (int i = 0; i < n; i++)
		if (!strcmp(sqlite3_column_name(st, i), name))
			return i;
	return -1;
}

/* Write v in decimal (the export's hot path: no printf). */
static void put_int(FILE *f, int64_t v)
{
	char buf[24], *p = buf + sizeof(buf);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	fwrite_unlocked(p, 1, (size_t)(buf + sizeof(buf) - p), f);
}

/* See log_query.h.  (Unlocked stdio: rag-ctl is single-threaded.) */
void logq_row_json(FILE *f, sqlite3_stmt *st)
{
	int n = sqlite3_column_count(st), t = col_index(st, "time_ms");
	char when[LOGT_FMT_MAX];

	putc_unlocked('{', f);
	if (t >= 0) {
		logt_format(sqlite3_column_int64(st, t), when, sizeof(when));
		fputs_unlocked("\"time\":\"", f);
		fputs_unlocked(when, f);
		fputs_unlocked("\",", f);
	}
	for (int i = 0; i < n; i++) {
		const char *name = sqlite3_column_name(st, i);

		if (i)
			putc_unlocked(',', f);
		text_json(f, name, strlen(name));
		putc_unlocked(':', f);
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_INTEGER:
			put_int(f, sqlite3_column_int64(st, i));
			break;
		case SQLITE_NULL:
			fputs_unlocked("null", f);
			break;
		default: {
			/* STRICT tables: TEXT (or a BLOB nobody writes) */
			const char *v = (const char *)sqlite3_column_text(st, i);

			text_json(f, v ? v : "", (size_t)sqlite3_column_bytes(st, i));
			break;
		}
		}
	}
	putc_unlocked('}', f);
}

/* One table cell: the value escaped, padded to width (0 = last column). */
static void cell(FILE *f, sqlite3_stmt *st, int idx, int width)
{
	const char *v = idx >= 0 ? (const char *)sqlite3_column_text(st, idx) : NULL;
	size_t w = 1;

	if (v && *v)
		w = text_term(f, v, (size_t)sqlite3_column_bytes(st, idx));
	else
		putc('-', f);	/* NULL or empty */
	if (!width)
		return;
	for (; w < (size_t)width; w++)
		putc(' ', f);
	putc(' ', f);
}

/* See log_query.h. */
int logq_search(sqlite3 *db, const struct log_search *q, bool json, FILE *out,
		uint64_t *rows, char *err, size_t errlen)
{
	const struct log_def *def = &defs[q->type < LOG_N_TYPES ? q->type : 0];
	int idx[MAX_SHOW_COLS], time_idx, rc, r;
	char when[LOGT_FMT_MAX];
	sqlite3_stmt *st;

	*rows = 0;
	r = logq_prepare(db, q, &st, err, errlen);
	if (r < 0)
		return r;
	time_idx = col_index(st, "time_ms");
	for (int i = 0; i < MAX_SHOW_COLS; i++)
		idx[i] = def->show[i].col ? col_index(st, def->show[i].col) : -1;
	if (json) {
		fputs("[", out);
	} else {
		fprintf(out, "%-29s ", "TIME");
		for (int i = 0; i < MAX_SHOW_COLS && def->show[i].head; i++)
			fprintf(out, def->show[i].width ? "%-*s " : "%-*s", def->show[i].width,
				def->show[i].head);
		putc('\n', out);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (json) {
			fputs(*rows ? ",\n" : "\n", out);
			logq_row_json(out, st);
		} else {
			logt_format(sqlite3_column_int64(st, time_idx), when, sizeof(when));
			fprintf(out, "%-29s ", when);
			for (int i = 0; i < MAX_SHOW_COLS && def->show[i].head; i++)
				cell(out, st, idx[i], def->show[i].width);
			putc('\n', out);
		}
		(*rows)++;
	}
	if (json)
		fputs(*rows ? "\n]\n" : "]\n", out);
	if (rc != SQLITE_DONE) {
		rag_seterr(err, errlen, "logs.db: %s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return -EIO;
	}
	sqlite3_finalize(st);
	return 0;
}
