/*
 * testdb.h — helpers of the database tests: paths in a per-test temporary
 * directory, removing a database with its WAL and shared-memory files, one
 * text value from a query.  (One integer: store_query_int() in store.h.)
 */
#ifndef RAG_TESTDB_H
#define RAG_TESTDB_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

/* The test's temporary directory (mkdtemp'ed by main). */
static char tdb_dir[256];

/* tdb_dir/name in one of four rotating buffers (so a call can take two). */
static inline const char *tpath(const char *name)
{
	static char p[4][512];
	static unsigned int k;
	char *b = p[k++ % 4];

	snprintf(b, sizeof(p[0]), "%s/%s", tdb_dir, name);
	return b;
}

/* Remove the database tdb_dir/name and its -wal and -shm files. */
static inline void tdb_remove(const char *name)
{
	char p[600];

	snprintf(p, sizeof(p), "%s/%s", tdb_dir, name);
	unlink(p);
	snprintf(p, sizeof(p), "%s/%s-wal", tdb_dir, name);
	unlink(p);
	snprintf(p, sizeof(p), "%s/%s-shm", tdb_dir, name);
	unlink(p);
}

/* The first column of the first row of sql as text into out ("" if none). */
static inline void tdb_text(sqlite3 *db, const char *sql, char *out, size_t n)
{
	sqlite3_stmt *st;

	out[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

#endif
