/*
 * store.c — opening ragd's SQLite databases, migrations, and the writer
 * thread (see store.h).
 */
#include "store.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* See store.h. */
int store_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		rag_seterr(err, errlen, "%s", msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

/* See store.h. */
long long store_query_int(sqlite3 *db, const char *sql, long long dflt)
{
	sqlite3_stmt *st;
	long long v = dflt;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return dflt;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Create path 0600 when missing (never through a symlink), check it is a
 * regular file and tighten a wider mode to 0600.  0 or a negative errno. */
static int prepare_file(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	int r = 0;

	if (fd < 0) {
		r = -errno;
		rag_seterr(err, errlen, "%s: %s", path, r == -ELOOP ? "is a symbolic link" :
		       strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		rag_seterr(err, errlen, "%s: %s", path, strerror(-r));
	} else if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		rag_seterr(err, errlen, "%s: not a regular file", path);
	} else if ((st.st_mode & 077) && fchmod(fd, 0600) < 0) {
		r = -errno;
		rag_seterr(err, errlen, "%s: mode %03o and cannot make it 0600: %s", path,
		       (unsigned int)(st.st_mode & 0777), strerror(-r));
	}
	close(fd);
	return r;
}

/* See store.h. */
int store_open(const char *path, sqlite3 **out, char *err, size_t errlen)
{
	return store_open_vfs(path, NULL, out, err, errlen);
}

/* See store.h. */
int store_open_vfs(const char *path, const char *vfs, sqlite3 **out, char *err,
		   size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char msg[STORE_ERR_MAX];
	int rc, r;

	*out = NULL;
	r = prepare_file(path, err, errlen);
	if (r < 0)
		return r;
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX, vfs);
	if (rc != SQLITE_OK) {
		rag_seterr(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return -EIO;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, STORE_BUSY_TIMEOUT_MS);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, (int *)NULL);
	if (store_exec(db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
		       msg, sizeof(msg)) < 0)
		goto sqlfail;
	/* journal_mode answers with the mode in force: insist on WAL */
	rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		snprintf(msg, sizeof(msg), "%s", sqlite3_errmsg(db));
		goto sqlfail;
	}
	if (!sqlite3_column_text(st, 0) ||
	    strcmp((const char *)sqlite3_column_text(st, 0), "wal")) {
		snprintf(msg, sizeof(msg), "cannot switch to WAL mode");
		goto sqlfail;
	}
	sqlite3_finalize(st);
	*out = db;
	return 0;
sqlfail:
	sqlite3_finalize(st);
	rag_seterr(err, errlen, "%s: %s", path, msg);
	sqlite3_close(db);
	return -EIO;
}

/* See store.h. */
int store_user_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	int v = -EIO;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v < -EIO ? -EIO : v;
}

/* See store.h. */
int store_migrate_to(sqlite3 *db, const struct store_schema *s, unsigned int target,
		     char *err, size_t errlen)
{
	char msg[STORE_ERR_MAX], sql[64];
	int v;

	if (target == 0 || target > s->n) {
		rag_seterr(err, errlen, "%s.db: no migration %u", s->db, target);
		return -EINVAL;
	}
	if (store_exec(db, "BEGIN IMMEDIATE", msg, sizeof(msg)) < 0) {
		rag_seterr(err, errlen, "%s.db: cannot begin the migration: %s", s->db, msg);
		return -EIO;
	}
	v = store_user_version(db);
	if (v < 0) {
		rag_seterr(err, errlen, "%s.db: cannot read its version", s->db);
		goto rollback;
	}
	if ((unsigned int)v > s->n) {
		rag_seterr(err, errlen, "%s.db is at schema version %d, newer than this ragd "
		       "knows (%zu): refusing to use it", s->db, v, s->n);
		store_exec(db, "ROLLBACK", NULL, 0);
		return -EPROTO;
	}
	if ((unsigned int)v > target) {
		rag_seterr(err, errlen, "%s.db: at version %d, cannot go back to %u", s->db, v,
		       target);
		store_exec(db, "ROLLBACK", NULL, 0);
		return -EPROTO;
	}
	for (unsigned int i = (unsigned int)v; i < target; i++) {
		const struct store_migration *m = &s->migrations[i];

		if (m->version != i + 1) {
			rag_seterr(err, errlen, "%s.db: migration %s out of order", s->db, m->name);
			goto rollback;
		}
		if (store_exec(db, m->sql, msg, sizeof(msg)) < 0) {
			rag_seterr(err, errlen, "%s.db: migration %s failed: %s", s->db, m->name, msg);
			goto rollback;
		}
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %u", m->version);
		if (store_exec(db, sql, msg, sizeof(msg)) < 0) {
			rag_seterr(err, errlen, "%s.db: %s", s->db, msg);
			goto rollback;
		}
	}
	if (store_exec(db, "COMMIT", msg, sizeof(msg)) < 0) {
		rag_seterr(err, errlen, "%s.db: cannot commit the migration: %s", s->db, msg);
		goto rollback;
	}
	return 0;
rollback:
	store_exec(db, "ROLLBACK", NULL, 0);
	return -EIO;
}

/* See store.h. */
int store_open_migrated(const char *path, const struct store_schema *schema, sqlite3 **out,
			char *err, size_t errlen)
{
	char msg[STORE_ERR_MAX];
	int r = store_open(path, out, err, errlen);

	if (r < 0)
		return r;
	r = store_migrate_to(*out, schema, (unsigned int)schema->n, msg, sizeof(msg));
	if (r < 0) {
		rag_seterr(err, errlen, "%s: %s", path, msg);
		sqlite3_close(*out);
		*out = NULL;
	}
	return r;
}

/* See store.h. */
int store_check(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int r = 0, rc;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
		rag_seterr(err, errlen, "integrity_check: %s", sqlite3_errmsg(db));
		return -EIO;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW || !sqlite3_column_text(st, 0) ||
	    strcmp((const char *)sqlite3_column_text(st, 0), "ok")) {
		rag_seterr(err, errlen, "integrity_check: %s", rc == SQLITE_ROW &&
		       sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) :
		       sqlite3_errmsg(db));
		r = -EIO;
	}
	sqlite3_finalize(st);
	if (r < 0)
		return r;
	if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK) {
		rag_seterr(err, errlen, "foreign_key_check: %s", sqlite3_errmsg(db));
		return -EIO;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		rag_seterr(err, errlen, "foreign_key_check: a row of %s breaks a foreign key",
		       (const char *)sqlite3_column_text(st, 0));
		r = -EIO;
	} else if (rc != SQLITE_DONE) {
		rag_seterr(err, errlen, "foreign_key_check: %s", sqlite3_errmsg(db));
		r = -EIO;
	}
	sqlite3_finalize(st);
	return r;
}

/* See store.h. */
void store_close(sqlite3 *db)
{
	if (db)
		sqlite3_close_v2(db);
}

/* See store.h. */
int store_sync_wal(sqlite3 *db)
{
	sqlite3_file *f = NULL;

	/* In WAL mode the "journal" file of the pager is the WAL. */
	if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &f) != SQLITE_OK)
		return -EIO;
	if (!f || !f->pMethods)
		return 0;	/* no WAL open yet */
	return f->pMethods->xSync(f, SQLITE_SYNC_NORMAL) == SQLITE_OK ? 0 : -EIO;
}

/* ---- writer thread ------------------------------------------------------------ */

struct store_job {
	struct store_job *next;
	store_job_fn fn;
	void *owner, *job;
	void (*job_free)(void *job);
	uint64_t queued_ms;		/* CLOCK_MONOTONIC at submission */
};

struct store_writer {
	sqlite3 *db;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work;		/* jobs queued, maintenance kicked or stop */
	pthread_cond_t progress;	/* a batch finished */
	struct store_job *head, *tail;
	size_t queued, max_queue;
	uint64_t submitted, finished;	/* sequence numbers */
	uint64_t done, failed, dropped, batches, syncs, max_latency_ms;
	uint64_t max_delay_ms;		/* 0 = no delay bound */
	size_t limit;			/* jobs accepted (delay bound), adapted */
	bool refused;			/* the limit refused a job since the last batch */
	double rate;			/* rows/s of batch time, EWMA; 0 = unknown */
	store_maint_fn maint;
	void *maint_owner;
	uint64_t maint_due_ms;		/* monotonic */
	bool stop;

	/* store_writer_offload_sync(): WAL syncs and checkpoints in their own
	 * thread on their own connection */
	sqlite3 *bg_db;			/* NULL: the writer syncs itself */
	pthread_t bg_thread;
	pthread_cond_t bg_work;		/* a commit happened, or stop */
	bool bg_dirty, bg_stop;
	uint64_t checkpoints;
	/* writer thread: the WAL's size after its last commit (wal hook), and
	 * when the writer last tried to let it start over */
	int wal_frames;
	uint64_t last_wal_try;
	int max_wal_frames;		/* under mu, for the counters */
};

/* CLOCK_MONOTONIC in ms. */
static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Run one batch of jobs in a transaction; returns how many failed. */
static uint64_t run_batch(struct store_writer *w, struct store_job *list)
{
	uint64_t failed = 0, n = 0;
	bool in_tx = store_exec(w->db, "BEGIN IMMEDIATE", NULL, 0) == 0;

	for (struct store_job *j = list; j; j = j->next) {
		n++;
		if (j->fn(w->db, j->owner, j->job) < 0)
			failed++;
	}
	if (in_tx && store_exec(w->db, "COMMIT", NULL, 0) < 0) {
		store_exec(w->db, "ROLLBACK", NULL, 0);
		failed = n;
	}
	return failed;
}

/* Take up to a batch off the queue, run it and account for it (called and
 * returning with w->mu held). */
static void writer_batch(struct store_writer *w)
{
	struct store_job *list, *last;
	uint64_t n = 1, failed, now, oldest, began;

	list = last = w->head;
	while (last->next && n < STORE_WRITER_MAX_BATCH) {
		last = last->next;
		n++;
	}
	w->head = last->next;
	if (!w->head)
		w->tail = NULL;
	last->next = NULL;
	w->queued -= (size_t)n;
	oldest = list->queued_ms;
	pthread_mutex_unlock(&w->mu);

	began = mono_ms();
	failed = run_batch(w, list);
	now = mono_ms();
	while (list) {
		struct store_job *next = list->next;

		if (list->job_free)
			list->job_free(list->job);
		free(list);
		list = next;
	}

	pthread_mutex_lock(&w->mu);
	w->finished += n;
	w->done += n - failed;
	w->failed += failed;
	w->batches++;
	if (now > oldest && now - oldest > w->max_latency_ms)
		w->max_latency_ms = now - oldest;
	/* the rate (for the counters), from batches big enough that the
	 * per-commit cost does not dominate */
	if (n >= STORE_WRITER_MIN_QUEUE / 4) {
		double inst = (double)n * 1000.0 / (double)(now > began ? now - began : 1);

		w->rate = w->rate > 0 ? 0.8 * w->rate + 0.2 * inst : inst;
	}
	/* the delay bound: the oldest job of a batch waited longest; shrink
	 * the queue at once when it waited too long, grow it slowly when the
	 * limit was in the way and there is room */
	if (w->max_delay_ms && now > oldest) {
		if (now - oldest > w->max_delay_ms)
			w->limit = w->limit * 3 / 5;
		else if (w->refused && now - oldest < w->max_delay_ms / 2)
			w->limit += w->limit / 4 + 256;
		if (w->limit < STORE_WRITER_MIN_QUEUE)
			w->limit = STORE_WRITER_MIN_QUEUE;
		if (w->limit > w->max_queue)
			w->limit = w->max_queue;
		w->refused = false;
	}
	pthread_cond_broadcast(&w->progress);
}

/* Wait on cv (w->mu held) until the monotonic deadline (UINT64_MAX: none). */
static void writer_wait_on(struct store_writer *w, pthread_cond_t *cv, uint64_t deadline_ms)
{
	struct timespec ts;

	if (deadline_ms == UINT64_MAX) {
		pthread_cond_wait(cv, &w->mu);
		return;
	}
	ts.tv_sec = (time_t)(deadline_ms / 1000u);
	ts.tv_nsec = (long)(deadline_ms % 1000u) * 1000000L;
	pthread_cond_timedwait(cv, &w->mu, &ts);	/* the conds use CLOCK_MONOTONIC */
}

/* Wait on w->work until the monotonic deadline (UINT64_MAX: no deadline). */
static void writer_wait(struct store_writer *w, uint64_t deadline_ms)
{
	writer_wait_on(w, &w->work, deadline_ms);
}

/*
 * (w->mu held.)  The sync thread's checkpoints run while the writer keeps
 * appending, so they never catch up with the end of the WAL, and SQLite
 * only starts the WAL over when a write transaction begins with every
 * frame copied: under steady load it would grow without end.  So when it is
 * big the writer checkpoints itself between transactions — cheap, the sync
 * thread has copied all but the last second — and its next transaction
 * starts the WAL over.  Readers holding old frames can prevent that; then
 * it is tried again a second later.
 */
static void writer_wal_restart(struct store_writer *w, uint64_t now)
{
	int nlog = 0, nckpt = 0, rc;

	pthread_mutex_unlock(&w->mu);
	rc = sqlite3_wal_checkpoint_v2(w->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &nlog, &nckpt);
	pthread_mutex_lock(&w->mu);
	if (rc == SQLITE_OK && nckpt >= nlog)
		w->wal_frames = 0;	/* the next transaction starts it over */
	else if (rc == SQLITE_OK)
		w->last_wal_try = now;	/* readers: not again for a second */
	/* SQLITE_BUSY: the sync thread is checkpointing; after the next batch */
}

/* sqlite3_wal_hook on the writer connection: the WAL's size after a commit. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store_writer *w = arg;

	(void)db;
	(void)name;
	w->wal_frames = frames;		/* writer thread only */
	pthread_mutex_lock(&w->mu);	/* not held here: inside a batch's COMMIT */
	if (frames > w->max_wal_frames)
		w->max_wal_frames = frames;
	pthread_mutex_unlock(&w->mu);
	return SQLITE_OK;
}

/*
 * The writer thread: run what is queued in batches; between batches run the
 * maintenance function when it is due, and fdatasync the WAL when a commit
 * is older than STORE_WRITER_SYNC_MS; sleep until one of those is needed.
 * Stops when told to and the queue is empty.
 */
static void *writer_main(void *arg)
{
	struct store_writer *w = arg;
	uint64_t last_sync = 0;
	bool dirty = false;		/* committed since the last WAL sync */

	pthread_setname_np(pthread_self(), "rag-dbwriter");	/* top -H, perf */
	pthread_mutex_lock(&w->mu);
	for (;;) {
		uint64_t now = mono_ms();

		if (!w->head) {
			uint64_t deadline = UINT64_MAX;

			if (w->stop)
				break;
			if (dirty)
				deadline = last_sync + STORE_WRITER_SYNC_MS;
			if (w->maint && w->maint_due_ms < deadline)
				deadline = w->maint_due_ms;
			if (deadline > now) {
				writer_wait(w, deadline);
				continue;
			}
		} else {
			writer_batch(w);
			dirty = true;
			now = mono_ms();
		}
		if (w->bg_db && dirty) {
			/* the sync thread takes it from here */
			w->bg_dirty = true;
			pthread_cond_signal(&w->bg_work);
			dirty = false;
		}
		if (w->maint && !w->stop && w->maint_due_ms <= now) {
			store_maint_fn fn = w->maint;
			void *owner = w->maint_owner;
			uint64_t delay;

			w->maint_due_ms = UINT64_MAX;	/* a kick meanwhile moves it */
			pthread_mutex_unlock(&w->mu);
			delay = fn(w->db, owner, now);
			pthread_mutex_lock(&w->mu);
			if (w->maint == fn && w->maint_due_ms == UINT64_MAX)
				w->maint_due_ms = delay > UINT64_MAX - now ? UINT64_MAX : now + delay;
			dirty = !w->bg_db;
			if (w->bg_db) {
				w->bg_dirty = true;
				pthread_cond_signal(&w->bg_work);
			}
			now = mono_ms();
		}
		if (w->bg_db && w->wal_frames > STORE_WAL_RESTART_FRAMES &&
		    now - w->last_wal_try >= STORE_WRITER_SYNC_MS)
			writer_wal_restart(w, now);
		if (dirty && now - last_sync >= STORE_WRITER_SYNC_MS) {
			pthread_mutex_unlock(&w->mu);
			store_sync_wal(w->db);
			pthread_mutex_lock(&w->mu);
			w->syncs++;
			dirty = false;
			last_sync = now;
		}
	}
	pthread_mutex_unlock(&w->mu);
	if (dirty)
		store_sync_wal(w->db);
	return NULL;
}

/*
 * The sync thread of store_writer_offload_sync(): after a commit (at most
 * once per STORE_WRITER_SYNC_MS) a passive checkpoint, which fsyncs the WAL
 * before copying frames into the database and never blocks the writer; when
 * readers kept it from copying everything, an explicit WAL sync too.
 */
static void *sync_main(void *arg)
{
	struct store_writer *w = arg;
	uint64_t last = 0;

	pthread_setname_np(pthread_self(), "rag-dbsync");
	pthread_mutex_lock(&w->mu);
	for (;;) {
		uint64_t now = mono_ms();
		int nlog = 0, nckpt = 0, rc;

		if (!w->bg_dirty) {
			if (w->bg_stop)
				break;
			pthread_cond_wait(&w->bg_work, &w->mu);
			continue;
		}
		if (!w->bg_stop && now - last < STORE_WRITER_SYNC_MS) {
			writer_wait_on(w, &w->bg_work, last + STORE_WRITER_SYNC_MS);
			continue;
		}
		w->bg_dirty = false;
		pthread_mutex_unlock(&w->mu);
		rc = sqlite3_wal_checkpoint_v2(w->bg_db, NULL, SQLITE_CHECKPOINT_PASSIVE, &nlog,
					       &nckpt);
		if (rc != SQLITE_OK || nckpt < nlog)
			store_sync_wal(w->bg_db);
		pthread_mutex_lock(&w->mu);
		w->syncs++;
		w->checkpoints += rc == SQLITE_OK;
		last = now;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* See store.h. */
int store_writer_offload_sync(struct store_writer *w, const char *path, const char *vfs,
			      char *err, size_t errlen)
{
	sqlite3 *db;
	int r;

	r = store_open_vfs(path, vfs, &db, err, errlen);
	if (r < 0)
		return r;
	/* its WAL handle opens with the first read */
	if (store_query_int(db, "PRAGMA user_version", -1) < 0) {
		rag_seterr(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		store_close(db);
		return -EIO;
	}
	pthread_mutex_lock(&w->mu);
	w->bg_db = db;
	r = -pthread_create(&w->bg_thread, NULL, sync_main, w);
	if (r < 0)
		w->bg_db = NULL;
	pthread_mutex_unlock(&w->mu);
	if (r < 0) {
		rag_seterr(err, errlen, "%s: cannot start the sync thread: %s", path, strerror(-r));
		store_close(db);
		return r;
	}
	/* the writer connection stops checkpointing after each commit (this
	 * hook replaces SQLite's automatic one) and tracks the WAL's size; it
	 * is SQLITE_OPEN_FULLMUTEX: callable from this thread */
	sqlite3_wal_hook(w->db, wal_hook, w);
	return 0;
}

/* See store.h. */
int store_writer_start(struct store_writer **out, sqlite3 *db, size_t max_queue)
{
	struct store_writer *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;
	int r;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->db = db;
	w->max_queue = max_queue ? max_queue : 1;
	w->maint_due_ms = UINT64_MAX;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->work, &ca);
	pthread_cond_init(&w->bg_work, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&w->progress, NULL);
	r = pthread_create(&w->thread, NULL, writer_main, w);
	if (r) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->work);
		pthread_cond_destroy(&w->bg_work);
		pthread_cond_destroy(&w->progress);
		free(w);
		return -r;
	}
	*out = w;
	return 0;
}

/* How many jobs may wait (w->mu held): max_queue, or the adapted limit of
 * the delay bound. */
static size_t queue_limit(const struct store_writer *w)
{
	return w->max_delay_ms ? w->limit : w->max_queue;
}

/* Queue a job when fewer than the limit (+ extra) are waiting (see
 * store_writer_submit). */
static int submit_job(struct store_writer *w, store_job_fn fn, void *owner, void *job,
		      void (*job_free)(void *job), size_t extra)
{
	struct store_job *j = malloc(sizeof(*j));
	int r = 0;

	pthread_mutex_lock(&w->mu);
	if (w->stop)
		r = -ESHUTDOWN;
	else if (w->queued >= queue_limit(w) + extra)
		r = -EAGAIN;
	else if (!j)
		r = -ENOMEM;
	if (r < 0) {
		if (r != -ESHUTDOWN)
			w->dropped++;
		if (r == -EAGAIN)
			w->refused = true;	/* the delay bound may grow */
		pthread_mutex_unlock(&w->mu);
		free(j);
		if (job_free)
			job_free(job);
		return r;
	}
	j->next = NULL;
	j->fn = fn;
	j->owner = owner;
	j->job = job;
	j->job_free = job_free;
	j->queued_ms = mono_ms();
	if (w->tail)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	w->queued++;
	w->submitted++;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

/* See store.h. */
int store_writer_submit(struct store_writer *w, store_job_fn fn, void *owner, void *job,
			void (*job_free)(void *job))
{
	return submit_job(w, fn, owner, job, job_free, 0);
}

/* See store.h. */
int store_writer_submit_reserved(struct store_writer *w, store_job_fn fn, void *owner,
				 void *job, void (*job_free)(void *job))
{
	return submit_job(w, fn, owner, job, job_free, STORE_WRITER_RESERVE);
}

/* See store.h. */
void store_writer_set_max_delay(struct store_writer *w, uint64_t ms)
{
	pthread_mutex_lock(&w->mu);
	w->max_delay_ms = ms;
	w->limit = STORE_WRITER_INIT_LIMIT < w->max_queue ? STORE_WRITER_INIT_LIMIT : w->max_queue;
	pthread_mutex_unlock(&w->mu);
}

/* See store.h. */
void store_writer_flush(struct store_writer *w)
{
	uint64_t target;

	pthread_mutex_lock(&w->mu);
	target = w->submitted;
	while (w->finished < target)
		pthread_cond_wait(&w->progress, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

/* See store.h. */
void store_writer_set_maint(struct store_writer *w, store_maint_fn fn, void *owner,
			    uint64_t first_ms)
{
	pthread_mutex_lock(&w->mu);
	w->maint = fn;
	w->maint_owner = owner;
	w->maint_due_ms = fn ? mono_ms() + first_ms : UINT64_MAX;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
}

/* See store.h. */
void store_writer_kick_maint(struct store_writer *w)
{
	pthread_mutex_lock(&w->mu);
	if (w->maint) {
		w->maint_due_ms = mono_ms();
		pthread_cond_signal(&w->work);
	}
	pthread_mutex_unlock(&w->mu);
}

/* See store.h. */
void store_writer_stats(struct store_writer *w, struct store_writer_stats *st)
{
	pthread_mutex_lock(&w->mu);
	st->done = w->done;
	st->failed = w->failed;
	st->dropped = w->dropped;
	st->batches = w->batches;
	st->syncs = w->syncs;
	st->checkpoints = w->checkpoints;
	st->max_wal_frames = (uint64_t)w->max_wal_frames;
	st->max_latency_ms = w->max_latency_ms;
	st->rate = w->rate;
	st->queued = w->queued;
	st->limit = queue_limit(w);
	pthread_mutex_unlock(&w->mu);
}

/* See store.h. */
void store_writer_stop(struct store_writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);	/* the thread drains the queue and syncs */
	if (w->bg_db) {
		/* a last checkpoint and sync of what the writer committed */
		pthread_mutex_lock(&w->mu);
		w->bg_stop = true;
		pthread_cond_signal(&w->bg_work);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->bg_thread, NULL);
		store_close(w->bg_db);
	}
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->bg_work);
	pthread_cond_destroy(&w->progress);
	store_close(w->db);
	free(w);
}
