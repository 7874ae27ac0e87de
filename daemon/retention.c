/*
 * retention.c — deleting log rows past [logs] retention, in bounded steps in
 * the logs.db writer thread (see retention.h).
 */
#include "retention.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store.h"

const char *const retention_table[RETENTION_TABLES] = { "connection", "auth", "acl", "audit" };

/* See retention.h. */
void retention_init(struct retention *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
}

/* See retention.h. */
void retention_destroy(struct retention *r)
{
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
}

/* See retention.h. */
int retention_prepare_db(sqlite3 *db, bool *vacuumed, char *err, size_t errlen)
{
	char msg[STORE_ERR_MAX];

	*vacuumed = false;
	if (store_exec(db, "PRAGMA secure_delete = ON", msg, sizeof(msg)) < 0 ||
	    store_query_int(db, "PRAGMA secure_delete", -1) != 1) {
		rag_seterr(err, errlen, "cannot turn on secure_delete");
		return -EIO;
	}
	if (store_query_int(db, "PRAGMA auto_vacuum", -1) == 2)
		return 0;
	/* Takes effect at once on a database without pages; a database that
	 * has been written needs a VACUUM to rebuild it in the new mode. */
	if (store_exec(db, "PRAGMA auto_vacuum = INCREMENTAL", msg, sizeof(msg)) < 0) {
		rag_seterr(err, errlen, "auto_vacuum: %s", msg);
		return -EIO;
	}
	if (store_query_int(db, "PRAGMA auto_vacuum", -1) != 2) {
		if (store_exec(db, "VACUUM", msg, sizeof(msg)) < 0) {
			rag_seterr(err, errlen, "VACUUM to turn on incremental vacuum: %s", msg);
			return -EIO;
		}
		*vacuumed = true;
	}
	if (store_query_int(db, "PRAGMA auto_vacuum", -1) != 2) {
		rag_seterr(err, errlen, "cannot turn on incremental auto_vacuum");
		return -EIO;
	}
	return 0;
}

/* Delete up to RETENTION_BATCH_ROWS rows of table older than cutoff in one
 * transaction; the number deleted or a negative errno (msg filled). */
static long long delete_batch(sqlite3 *db, const char *table, int64_t cutoff,
			      char *msg, size_t msglen)
{
	char sql[256];
	sqlite3_stmt *st = NULL;
	long long n = -EIO;
	int rc;

	/* the inner SELECT walks the <table>_time index */
	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE id IN (SELECT id FROM %s "
		 "WHERE time_ms < ?1 ORDER BY time_ms LIMIT %d)", table, table,
		 RETENTION_BATCH_ROWS);
	if (store_exec(db, "BEGIN IMMEDIATE", msg, msglen) < 0)
		return -EIO;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(msg, msglen, "%s: %s", table, sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_bind_int64(st, 1, cutoff);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		snprintf(msg, msglen, "%s: %s", table, sqlite3_errmsg(db));
		goto out;
	}
	n = sqlite3_changes64(db);
out:
	sqlite3_finalize(st);
	if (n < 0 || store_exec(db, "COMMIT", msg, msglen) < 0) {
		store_exec(db, "ROLLBACK", NULL, 0);
		return -EIO;
	}
	return n;
}

/* Give up to RETENTION_VACUUM_PAGES free pages back; how many are left free
 * afterwards, or a negative errno. */
static long long vacuum_step(sqlite3 *db, uint64_t *pages, char *msg, size_t msglen)
{
	char sql[64];
	long long before = store_query_int(db, "PRAGMA freelist_count", -1), after;

	if (before <= 0)
		return before < 0 ? -EIO : 0;
	snprintf(sql, sizeof(sql), "PRAGMA incremental_vacuum(%d)", RETENTION_VACUUM_PAGES);
	if (store_exec(db, sql, msg, msglen) < 0)
		return -EIO;
	after = store_query_int(db, "PRAGMA freelist_count", -1);
	if (after < 0)
		return -EIO;
	if (after < before)
		*pages += (uint64_t)(before - after);
	/* no progress (nothing movable): stop rather than spin */
	return after < before ? after : 0;
}

/* UTC ISO 8601 of a time in ms. */
static void iso_ms(char *out, size_t n, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, n, "%lld", (long long)ms);
}

/* The audit row of a finished pass. */
static void pass_row(const struct retention *r, uint32_t keep_s, struct connlog_audit *row)
{
	const struct connlog_retention *c = &r->cur;
	char cut[40];
	uint64_t total = 0;

	for (unsigned int i = 0; i < RETENTION_TABLES; i++)
		total += c->deleted[i];
	iso_ms(cut, sizeof(cut), c->cutoff_ms);
	memset(row, 0, sizeof(*row));
	row->uid = (uint32_t)geteuid();
	row->pid = (int32_t)getpid();
	snprintf(row->unix_user, sizeof(row->unix_user), "ragd");
	if (keep_s % 86400 == 0)	/* as ragd.conf would say it */
		snprintf(row->command, sizeof(row->command), "retention %lud",
			 (unsigned long)(keep_s / 86400));
	else
		snprintf(row->command, sizeof(row->command), "retention %lus",
			 (unsigned long)keep_s);
	snprintf(row->object, sizeof(row->object), "log rows before %s", cut);
	row->has_old = true;
	snprintf(row->old_value, sizeof(row->old_value),
		 "connection=%llu auth=%llu acl=%llu audit=%llu",
		 (unsigned long long)c->deleted[0], (unsigned long long)c->deleted[1],
		 (unsigned long long)c->deleted[2], (unsigned long long)c->deleted[3]);
	row->has_new = false;	/* removed */
	row->result = c->error ? CONNLOG_AUDIT_ERROR : CONNLOG_AUDIT_OK;
	if (c->error)
		snprintf(row->message, sizeof(row->message), "stopped after %llu rows: %.200s",
			 (unsigned long long)total, c->message);
	else
		snprintf(row->message, sizeof(row->message), "deleted %llu rows older than %s, "
			 "%llu pages reclaimed", (unsigned long long)total, cut,
			 (unsigned long long)c->pages);
}

/* See retention.h. */
int retention_step(struct retention *r, sqlite3 *db, int64_t now_wall_ms,
		   struct connlog_audit *row, bool *row_ready)
{
	uint32_t keep_s;
	long long n;

	*row_ready = false;
	pthread_mutex_lock(&r->mu);
	keep_s = r->keep_s;
	if (!r->active && keep_s) {
		r->begun++;
		r->active = true;
		r->table = 0;
		r->vacuum_done = false;
		memset(&r->cur, 0, sizeof(r->cur));
		r->cur.cutoff_ms = now_wall_ms - (int64_t)keep_s * 1000;
	}
	pthread_mutex_unlock(&r->mu);
	if (!r->active)
		return 0;

	if (r->table < RETENTION_TABLES) {
		n = delete_batch(db, retention_table[r->table], r->cur.cutoff_ms,
				 r->cur.message, sizeof(r->cur.message));
		if (n < 0)
			goto failed;
		r->cur.deleted[r->table] += (uint64_t)n;
		if (n < RETENTION_BATCH_ROWS)
			r->table++;
		if (n > 0 && vacuum_step(db, &r->cur.pages, r->cur.message,
					 sizeof(r->cur.message)) < 0)
			goto failed;
		return 1;
	}
	if (!r->vacuum_done) {
		n = vacuum_step(db, &r->cur.pages, r->cur.message, sizeof(r->cur.message));
		if (n < 0)
			goto failed;
		if (n > 0)
			return 1;
		r->vacuum_done = true;
	}
	/* drop the WAL frames that still hold the deleted rows; readers in
	 * the WAL make this wait, so only briefly */
	sqlite3_busy_timeout(db, RETENTION_CKPT_BUSY_MS);
	sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_busy_timeout(db, STORE_BUSY_TIMEOUT_MS);
	pass_row(r, keep_s, row);
	*row_ready = true;
	return 0;
failed:
	r->cur.error = -EIO;
	pass_row(r, keep_s, row);
	*row_ready = true;
	return 0;
}

/* See retention.h. */
bool retention_abort(struct retention *r, struct connlog_audit *row)
{
	uint64_t total = 0;
	uint32_t keep_s;
	char cut[40];

	if (!r->active)
		return false;
	pthread_mutex_lock(&r->mu);
	keep_s = r->keep_s;
	pthread_mutex_unlock(&r->mu);
	for (unsigned int i = 0; i < RETENTION_TABLES; i++)
		total += r->cur.deleted[i];
	pass_row(r, keep_s, row);
	iso_ms(cut, sizeof(cut), r->cur.cutoff_ms);
	snprintf(row->message, sizeof(row->message), "stopped by shutdown after deleting "
		 "%llu rows older than %s; the next pass deletes the rest",
		 (unsigned long long)total, cut);
	return true;
}

/* See retention.h. */
void retention_complete(struct retention *r)
{
	pthread_mutex_lock(&r->mu);
	r->active = false;
	r->completed++;
	r->last = r->cur;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}
