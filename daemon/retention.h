/*
 * retention.h — issue 5 point 5: rows of the four logs (connection, auth,
 * acl, audit) older than [logs] retention are deleted daily, and once a
 * minute after start, with SQLite's secure_delete (deleted text is
 * overwritten with zeros, not left in free pages) and the space given back
 * to the file system with incremental vacuum.
 *
 * Everything runs in the logs.db writer thread (store.h maintenance
 * function) in bounded steps — at most RETENTION_BATCH_ROWS rows or
 * RETENTION_VACUUM_PAGES pages per step, each in its own transaction — so
 * queued log rows are committed between steps and the writer never stalls
 * for long.  A pass ends with a WAL checkpoint that truncates the WAL, so
 * the old frames holding the deleted rows leave the -wal file too (when no
 * reader holds the WAL at that moment; otherwise at a later checkpoint).
 * Each pass is recorded in the audit log by "ragd": the cut-off, the rows
 * deleted per log and the pages reclaimed.
 */
#ifndef RAG_RETENTION_H
#define RAG_RETENTION_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "connlog.h"

#define RETENTION_TABLES       4	/* connection, auth, acl, audit */
#define RETENTION_BATCH_ROWS   2000	/* rows deleted per step */
#define RETENTION_VACUUM_PAGES 512	/* pages reclaimed per step */
#define RETENTION_FIRST_MS     (60u * 1000u)		/* first pass after start */
#define RETENTION_EVERY_MS     (24u * 3600u * 1000u)	/* then daily */
#define RETENTION_CKPT_BUSY_MS 200	/* how long the final checkpoint waits for readers */

/* The log tables, in the order a pass visits them. */
extern const char *const retention_table[RETENTION_TABLES];

/* Schedule and state; one per logs.db (inside struct connlog). */
struct retention {
	pthread_mutex_t mu;		/* guards the fields up to `cv` */
	pthread_cond_t cv;		/* a pass completed */
	uint32_t keep_s;		/* [logs] retention; 0 = keep everything */
	uint64_t begun, completed;	/* passes */
	struct connlog_retention last;	/* result of the last completed pass */

	/* writer thread only */
	bool active;
	unsigned int table;		/* index into retention_table */
	bool vacuum_done;
	struct connlog_retention cur;
};

/* Initialise r (keep_s 0); retention_destroy() releases it. */
void retention_init(struct retention *r);
void retention_destroy(struct retention *r);

/*
 * Prepare logs.db's writer connection (before the migrations, so a new
 * database gets auto_vacuum before its first table): secure_delete on,
 * auto_vacuum = INCREMENTAL — an existing database made without it is
 * converted once with VACUUM.  *vacuumed tells whether that happened.
 * 0 or -EIO with err filled.
 */
int retention_prepare_db(sqlite3 *db, bool *vacuumed, char *err, size_t errlen);

/*
 * One bounded step of the pass (writer thread, outside a transaction),
 * starting a pass when none is active (cut-off = now_wall_ms - keep_s).
 * Returns 1 while the pass has more to do, 0 when it just ended (or no pass
 * could start: keep_s is 0): then, if a pass ended, *row holds its audit row
 * and the caller writes it and calls retention_complete().
 */
int retention_step(struct retention *r, sqlite3 *db, int64_t now_wall_ms,
		   struct connlog_audit *row, bool *row_ready);

/* Shutting down (writer thread): when a pass is under way, end it here —
 * *row gets its audit row (what was deleted so far, "stopped by shutdown")
 * and true is returned; the caller writes it and calls
 * retention_complete().  The next start begins a new pass. */
bool retention_abort(struct retention *r, struct connlog_audit *row);

/* The pass's audit row is written: publish the result, wake waiters. */
void retention_complete(struct retention *r);

#endif
