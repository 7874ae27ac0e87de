/*
 * log_query.h — reading logs.db for `rag-ctl log search` and `log export`.
 *
 * rag-ctl opens <state-dir>/logs.db itself, read-only (ragd keeps writing it
 * in WAL mode; a reader never blocks the writer), and streams rows: nothing
 * here holds more than one row in memory.  Every value from the user is a
 * bound parameter; --contains is a LIKE pattern with its wildcards escaped.
 * Queries are shaped for the indexes of schema/logs (TABLE_time and
 * TABLE_user_time): a time window, optionally one user, ordered by time.
 */
#ifndef RAG_LOG_QUERY_H
#define RAG_LOG_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

enum log_type { LOG_CONNECTION, LOG_ACL, LOG_AUTH, LOG_AUDIT, LOG_N_TYPES };

#define LOGQ_CONTAINS_MAX 256		/* bytes of --contains */

struct log_search {
	enum log_type type;
	const char *user;	/* NULL = every user (audit: the Unix user) */
	int64_t since_ms;	/* rows with since_ms <= time_ms < until_ms */
	int64_t until_ms;
	const char *contains;	/* NULL = no text filter; else case-insensitive
				 * (ASCII) substring of any text column */
	uint64_t limit;		/* 0 = no limit */
};

/* "connection", "acl", "auth", "audit" -> *t; 0 or -EINVAL. */
int logq_type_parse(const char *name, enum log_type *t);
/* The table of a type (also the bundle member name without ".jsonl"). */
const char *logq_table(enum log_type t);

/*
 * Open path read-only (no symlink, query_only, defensive) with a busy
 * timeout.  0 or a negative errno with err filled.
 */
int logq_open(const char *path, sqlite3 **db, char *err, size_t errlen);

/*
 * Prepare the search q on db with every parameter bound.  The statement
 * returns every column of the table (SELECT *), ordered by time_ms, id.
 * 0 or -EIO/-EINVAL with err filled.
 */
int logq_prepare(sqlite3 *db, const struct log_search *q, sqlite3_stmt **st, char *err,
		 size_t errlen);

/* Write the current row of st as one JSON object (no newline): "time" in
 * the configured zone (log_time.h) first, then every column by name. */
void logq_row_json(FILE *f, sqlite3_stmt *st);

/*
 * Run q and print the rows to out: a table (columns per type, times in the
 * configured zone, untrusted text escaped) or, with json, one JSON array.
 * *rows gets the count.  0 or -EIO with err filled (output may be partial).
 */
int logq_search(sqlite3 *db, const struct log_search *q, bool json, FILE *out,
		uint64_t *rows, char *err, size_t errlen);

#endif
