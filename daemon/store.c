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
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char msg[STORE_ERR_MAX];
	int rc, r;

	*out = NULL;
	r = prepare_file(path, err, errlen);
	if (r < 0)
		return r;
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX, NULL);
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

/* ---- writer thread ------------------------------------------------------------ */

struct store_job {
	struct store_job *next;
	store_job_fn fn;
	void *owner, *job;
	void (*job_free)(void *job);
};

struct store_writer {
	sqlite3 *db;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work;		/* jobs queued or stop */
	pthread_cond_t progress;	/* a batch finished */
	struct store_job *head, *tail;
	size_t queued, max_queue;
	uint64_t submitted, finished;	/* sequence numbers */
	uint64_t done, failed, dropped, batches;
	bool stop;
};

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

/* The writer thread: take everything queued (up to a batch), run it, repeat
 * until stopped with an empty queue. */
static void *writer_main(void *arg)
{
	struct store_writer *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct store_job *list, *last;
		uint64_t n = 1, failed;

		while (!w->head && !w->stop)
			pthread_cond_wait(&w->work, &w->mu);
		if (!w->head)
			break;
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
		pthread_mutex_unlock(&w->mu);

		failed = run_batch(w, list);
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
		pthread_cond_broadcast(&w->progress);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* See store.h. */
int store_writer_start(struct store_writer **out, sqlite3 *db, size_t max_queue)
{
	struct store_writer *w = calloc(1, sizeof(*w));
	int r;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->db = db;
	w->max_queue = max_queue ? max_queue : 1;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->progress, NULL);
	r = pthread_create(&w->thread, NULL, writer_main, w);
	if (r) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->work);
		pthread_cond_destroy(&w->progress);
		free(w);
		return -r;
	}
	*out = w;
	return 0;
}

/* See store.h. */
int store_writer_submit(struct store_writer *w, store_job_fn fn, void *owner, void *job,
			void (*job_free)(void *job))
{
	struct store_job *j = malloc(sizeof(*j));
	int r = 0;

	pthread_mutex_lock(&w->mu);
	if (w->stop)
		r = -ESHUTDOWN;
	else if (w->queued >= w->max_queue)
		r = -EAGAIN;
	else if (!j)
		r = -ENOMEM;
	if (r < 0) {
		if (r != -ESHUTDOWN)
			w->dropped++;
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
void store_writer_stats(struct store_writer *w, struct store_writer_stats *st)
{
	pthread_mutex_lock(&w->mu);
	st->done = w->done;
	st->failed = w->failed;
	st->dropped = w->dropped;
	st->batches = w->batches;
	st->queued = w->queued;
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
	pthread_join(w->thread, NULL);	/* the thread drains the queue first */
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->progress);
	store_close(w->db);
	free(w);
}
