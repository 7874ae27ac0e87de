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

/* store_open() through the SQLite VFS called vfs (NULL: the default). */
int store_open_vfs(const char *path, const char *vfs, sqlite3 **out, char *err,
		   size_t errlen);

/* PRAGMA user_version of db, or a negative errno. */
int store_user_version(sqlite3 *db);

/* PRAGMA integrity_check and foreign_key_check: 0 when both are clean,
 * -EIO otherwise (first problem in err). */
int store_check(sqlite3 *db, char *err, size_t errlen);

/* The first column of the first row of sql as an integer: dflt when sql
 * fails, gives no row or NULL. */
long long store_query_int(sqlite3 *db, const char *sql, long long dflt);

/* Execute sql (no results expected); 0 or -EIO with the message in err. */
int store_exec(sqlite3 *db, const char *sql, char *err, size_t errlen);

/* Close db (NULL is a no-op); finalizes nothing for the caller. */
void store_close(sqlite3 *db);

/* ---- scrubbing (store_scrub.c) ---------------------------------------------
 * secure_delete zeroes deleted cells and freed pages, but b-tree rebalancing
 * leaves stale copies of cells in the unused part of rebuilt pages, which
 * outlive the rows they came from.  The "rag-scrub" VFS is the default VFS
 * except that each page written to a main database file has its unused
 * bytes (between the cell pointer array and the cell content area, and the
 * inside of freeblocks) zeroed on the way.  logs.db's writer uses it; the
 * database stays a normal SQLite file for every other reader.
 */
#define STORE_SCRUB_VFS "rag-scrub"
#define STORE_SCRUB_MAX_PAGES (1u << 23)	/* no scrubbing in files this big */

/* Register the VFS (idempotent, thread-safe); 0 or -EIO. */
int store_scrub_vfs_register(void);

/*
 * Zero the unused bytes of one b-tree page in place.  page is page number
 * pgno (1-based) of page_size bytes; hdr1 the first 100 bytes of page 1 (the
 * database header; ignored for page 1 itself).  Pages that are not b-tree
 * pages (overflow, freelist, pointer map) or that do not validate are left
 * alone.  Returns how many non-zero bytes it zeroed.
 */
size_t store_scrub_page(uint8_t *page, size_t page_size, uint32_t pgno, const uint8_t *hdr1);

/* ---- the writer thread ------------------------------------------------------
 * One thread per database connection.  Producers submit jobs from any thread
 * without touching SQLite; the thread takes everything queued, runs the jobs
 * in one transaction (a batch), commits, and repeats.  Jobs run in submission
 * order.  A job returning an error is counted as failed and the batch goes
 * on (a job should be one statement: a failed statement has no effect);
 * when the COMMIT itself fails the batch is rolled back and all of it counted
 * as failed.
 *
 * Durability.  The databases run WAL with synchronous=NORMAL: a COMMIT
 * write()s the WAL without fsync, so once committed a row survives the death
 * of ragd (kill -9: the pages are in the kernel) and the database is never
 * corrupted (WAL frames carry checksums; an incomplete last frame is ignored
 * on recovery).  Against power loss the WAL is fdatasync()ed at most
 * STORE_WRITER_SYNC_MS after any commit (by the writer, or by the sync
 * thread of store_writer_offload_sync()), so a power cut loses at most the
 * commits of the last second.
 *
 * Rows still queued when the process dies are lost.  A batch takes
 * everything queued, so a job waits for the batch running when it arrived
 * and then its own.  With store_writer_set_max_delay(w, ms) the writer keeps
 * that wait under ms: after each batch it looks at how long the batch's
 * oldest job waited, shrinks the queue limit at once when that was more than
 * ms and grows it slowly while it was under ms/2 and the limit refused
 * submissions (-EAGAIN, counted as dropped).  A kill -9 then loses only the
 * rows accepted in about the last ms (connlog: 300 ms), at the price of
 * refusing rows while producers outrun the writer, which the counters show.
 * Without it only max_queue bounds the queue.
 *
 * Maintenance.  An owner may register a maintenance function the thread runs
 * between batches, outside any transaction (e.g. retention deletes, in
 * bounded steps, so queued jobs are never held up for long).
 */
struct store_writer;

/* Runs in the writer thread inside a transaction.  owner is the pointer
 * given at submission (e.g. the connlog with its prepared statements).
 * Returns 0 or a negative errno. */
typedef int (*store_job_fn)(sqlite3 *db, void *owner, void *job);

/* Runs in the writer thread outside any transaction (it opens its own, and
 * should do a bounded amount of work per call).  now_ms is CLOCK_MONOTONIC.
 * Returns how many ms until it wants to run again; 0 = right after the next
 * batch (more work pending). */
typedef uint64_t (*store_maint_fn)(sqlite3 *db, void *owner, uint64_t now_ms);

#define STORE_WRITER_MAX_BATCH 65536	/* jobs per transaction at most */
#define STORE_WRITER_SYNC_MS   1000	/* WAL fdatasync at most this after a commit */
#define STORE_WRITER_RESERVE   1024	/* extra room for store_writer_submit_reserved */
#define STORE_WRITER_MIN_QUEUE 128	/* the delay bound never refuses below this */
#define STORE_WRITER_INIT_LIMIT 256	/* its first limit, adapted from there */
#define STORE_WAL_RESTART_FRAMES 8192	/* offloaded sync: WAL pages before the writer
					 * lets it start over (store.c) */

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

/*
 * Take WAL syncs and checkpoints off the writer thread: open a second
 * connection to path (through vfs, NULL = default) and a thread that, at
 * most STORE_WRITER_SYNC_MS after a commit, runs a passive checkpoint (it
 * fsyncs the WAL first and never blocks the writer) and fsyncs the WAL
 * itself when readers kept the checkpoint from copying everything.  The
 * writer's connection stops checkpointing on its own.  Call once, right
 * after store_writer_start(); 0 or a negative errno with err filled.
 */
int store_writer_offload_sync(struct store_writer *w, const char *path, const char *vfs,
			      char *err, size_t errlen);

/* store_writer_submit() for rare rows that must not be lost to a flood of
 * ordinary ones (audit rows): may use STORE_WRITER_RESERVE slots beyond
 * max_queue. */
int store_writer_submit_reserved(struct store_writer *w, store_job_fn fn, void *owner,
				 void *job, void (*job_free)(void *job));

/* Bound the queue to what the writer commits in ms (0: only max_queue);
 * see "Durability" above. */
void store_writer_set_max_delay(struct store_writer *w, uint64_t ms);

/* Block until every job submitted before the call is committed (or failed). */
void store_writer_flush(struct store_writer *w);

/* Register (fn non-NULL) or remove the maintenance function; its first run
 * is first_ms from now. */
void store_writer_set_maint(struct store_writer *w, store_maint_fn fn, void *owner,
			    uint64_t first_ms);

/* Run the maintenance function as soon as the current batch is done. */
void store_writer_kick_maint(struct store_writer *w);

/* Counters (thread-safe). */
struct store_writer_stats {
	uint64_t done, failed, dropped, batches;
	uint64_t syncs;			/* WAL syncs (checkpoint or fdatasync) */
	uint64_t checkpoints;		/* by the sync thread */
	uint64_t max_wal_frames;	/* the WAL's largest size, in pages */
	uint64_t max_latency_ms;	/* longest submit-to-commit of a job */
	double rate;			/* measured rows per second of batch time (0: none) */
	size_t queued, limit;		/* waiting now; accepted up to (delay bound) */
};
void store_writer_stats(struct store_writer *w, struct store_writer_stats *st);

/* Flush, stop the thread, sync the WAL, close the database, free w (NULL is
 * a no-op). */
void store_writer_stop(struct store_writer *w);

/* fdatasync() the WAL of db's main database (no-op when there is none).
 * 0 or a negative errno. */
int store_sync_wal(sqlite3 *db);

#endif
