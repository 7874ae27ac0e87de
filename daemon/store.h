/*
 * store.h — ragd's SQLite databases: opening them safely, applying the
 * migrations embedded from schema/ at build time, and a writer thread that
 * takes database writes off the event loop.
 *
 * Two databases live in the state directory:
 *   rag.db   configuration-like state: users, groups (schema/rag/NNN_*.sql)
 *   logs.db  connection and auth logs; later acl and audit (schema/logs/)
 * They are kept apart because the logs grow without bound, have their own
 * retention (secure_delete, incremental vacuum), are written by a batching
 * thread at high rates and are read by `rag-ctl log search/export`; keeping
 * them in their own file means a log burst or a long export never holds a
 * lock that a user change or an authentication needs, and a log database can
 * be archived or wiped without touching the users.
 *
 * Every database: opened with SQLITE_OPEN_NOFOLLOW, the file created 0600
 * (and tightened to 0600 when found wider), WAL, foreign keys on, a busy
 * timeout, trusted_schema off and SQLITE_DBCONFIG_DEFENSIVE.  PRAGMA
 * user_version is the number of the last migration applied; migrations are
 * applied in one transaction at start, so a database is always at a version
 * some release knew.
 */
#ifndef RAG_STORE_H
#define RAG_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/* One migration: schema/<db>/NNN_name.sql, NNN = version (1, 2, ...). */
struct store_migration {
	unsigned int version;
	const char *name;	/* file name, for messages */
	const char *sql;
};

/* The ordered migrations of one database (versions 1..n, no gaps). */
struct store_schema {
	const char *db;		/* "rag" or "logs" */
	const struct store_migration *migrations;
	size_t n;
};

/* Generated from schema/ at build time (schema_sql.c). */
extern const struct store_schema store_schema_rag;
extern const struct store_schema store_schema_logs;

#define STORE_BUSY_TIMEOUT_MS 5000
#define STORE_ERR_MAX 256

/*
 * Open (creating it 0600 when missing) the database at path and configure it
 * as described above; does not migrate.  On error returns a negative errno
 * with a message in err (naming the path).
 */
int store_open(const char *path, sqlite3 **out, char *err, size_t errlen);

/*
 * Bring db to version target (0 < target <= schema->n; pass schema->n for
 * "latest") in one IMMEDIATE transaction: every migration newer than the
 * current user_version runs in order.  A database newer than the schema
 * (user_version > schema->n) is refused with -EPROTO; on any SQL error the
 * transaction is rolled back and -EIO returned.  0 when already there.
 */
int store_migrate_to(sqlite3 *db, const struct store_schema *schema, unsigned int target,
		     char *err, size_t errlen);

/* store_open() + store_migrate_to(latest). */
int store_open_migrated(const char *path, const struct store_schema *schema, sqlite3 **out,
			char *err, size_t errlen);

/* PRAGMA user_version of db, or a negative errno. */
int store_user_version(sqlite3 *db);

/* PRAGMA integrity_check and foreign_key_check: 0 when both are clean,
 * -EIO otherwise (first problem in err). */
int store_check(sqlite3 *db, char *err, size_t errlen);

/* Execute sql (no results expected); 0 or -EIO with the message in err. */
int store_exec(sqlite3 *db, const char *sql, char *err, size_t errlen);

/* Close db (NULL is a no-op); finalizes nothing for the caller. */
void store_close(sqlite3 *db);

/* ---- the writer thread ------------------------------------------------------
 * One thread per database connection.  Producers submit jobs from any thread
 * without touching SQLite; the thread takes everything queued, runs the jobs
 * in one transaction (a batch), commits, and repeats.  Jobs run in submission
 * order.  A job returning an error is counted as failed and the batch goes
 * on (a job should be one statement: a failed statement has no effect);
 * when the COMMIT itself fails the batch is rolled back and all of it counted
 * as failed.
 */
struct store_writer;

/* Runs in the writer thread inside a transaction.  owner is the pointer
 * given at submission (e.g. the connlog with its prepared statements).
 * Returns 0 or a negative errno. */
typedef int (*store_job_fn)(sqlite3 *db, void *owner, void *job);

#define STORE_WRITER_MAX_BATCH 4096

/*
 * Start a writer over db, which the writer owns from now on (closed by
 * store_writer_stop).  max_queue bounds the jobs waiting (>= 1).
 * Returns 0 or a negative errno.
 */
int store_writer_start(struct store_writer **out, sqlite3 *db, size_t max_queue);

/*
 * Queue a job.  job_free (may be NULL) is called on job after it ran or when
 * it is dropped.  -EAGAIN when the queue is full (the job is freed and
 * counted as dropped), -ESHUTDOWN after stop began.  Never blocks on SQLite.
 */
int store_writer_submit(struct store_writer *w, store_job_fn fn, void *owner, void *job,
			void (*job_free)(void *job));

/* Block until every job submitted before the call is committed (or failed). */
void store_writer_flush(struct store_writer *w);

/* Counters (thread-safe). */
struct store_writer_stats {
	uint64_t done, failed, dropped, batches;
	size_t queued;
};
void store_writer_stats(struct store_writer *w, struct store_writer_stats *st);

/* Flush, stop the thread, close the database, free w (NULL is a no-op). */
void store_writer_stop(struct store_writer *w);

#endif
