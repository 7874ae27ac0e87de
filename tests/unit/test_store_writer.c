/*
 * test_store_writer.c — the parts of daemon/store.c's writer thread that
 * issue 5 point 1 ("a writer off the event loop that batches inserts (WAL);
 * a kill -9 loses at most the last second") added: the WAL sync and
 * checkpoint thread and the WAL staying bounded under steady writes, the
 * delay bound on the queue, the reserved lane, the maintenance hook.
 * (test_store.c covers batching, order, the queue limit; test_connlog_crash.c
 * the kill -9 behaviour end to end.)
 */
#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "store.h"
#include "testdb.h"

static sqlite3 *open_db(const char *name)
{
	char err[STORE_ERR_MAX];
	sqlite3 *db = NULL;

	tdb_remove(name);
	if (store_open(tpath(name), &db, err, sizeof(err)) < 0 ||
	    store_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL, "
		       "v BLOB NOT NULL); CREATE INDEX t_k ON t (k)", err, sizeof(err)) < 0)
		fprintf(stderr, "%s\n", err);
	return db;
}

/* ---- the WAL stays bounded under writes that never pause ---- */

struct feeder {
	struct store_writer *w;
	int left;		/* jobs still to submit */
	uint64_t seed;
};

static int feed_job(sqlite3 *db, void *owner, void *job);

/* Insert a row with a scattered key (index pages all over), then submit
 * the next job from inside the batch: the queue is never empty, the writer
 * never pauses between transactions. */
static int feed_job(sqlite3 *db, void *owner, void *job)
{
	struct feeder *f = owner;
	char sql[160];

	(void)job;
	f->seed = f->seed * 6364136223846793005ull + 1442695040888963407ull;
	snprintf(sql, sizeof(sql), "INSERT INTO t (k, v) VALUES ('k%016llx', zeroblob(300))",
		 (unsigned long long)f->seed);
	if (store_exec(db, sql, NULL, 0) < 0)
		return -EIO;
	if (f->left > 0) {
		f->left--;
		store_writer_submit_reserved(f->w, feed_job, f, NULL, NULL);
	}
	return 0;
}

static void test_wal_bounded(void)
{
	static struct feeder f;
	struct store_writer_stats st;
	char err[STORE_ERR_MAX];
	sqlite3 *db = open_db("w.db");
	struct stat sb;

	CHECK(db != NULL);
	CHECK_INT(store_writer_start(&f.w, db, 100000), 0);
	CHECK_INT(store_writer_offload_sync(f.w, tpath("w.db"), NULL, err, sizeof(err)), 0);
	f.left = 150000;
	f.seed = 1;
	for (int i = 0; i < 200; i++)	/* 200 chains of jobs in flight */
		CHECK_INT(store_writer_submit(f.w, feed_job, &f, NULL, NULL), 0);
	while (f.left > 0) {
		struct timespec ts = { 0, 50 * 1000000L };

		nanosleep(&ts, NULL);
	}
	store_writer_flush(f.w);
	store_writer_stats(f.w, &st);
	CHECK(stat(tpath("w.db-wal"), &sb) == 0);
	fprintf(stderr, "WAL: largest %llu pages, %lld bytes at the end, %llu checkpoints, "
		"%llu batches\n", (unsigned long long)st.max_wal_frames, (long long)sb.st_size,
		(unsigned long long)st.checkpoints, (unsigned long long)st.batches);
	CHECK_INT(st.done, 150000 + 200);
	CHECK(st.checkpoints > 0);
	CHECK(st.max_wal_frames < 3 * STORE_WAL_RESTART_FRAMES);
	CHECK(sb.st_size < (off_t)3 * STORE_WAL_RESTART_FRAMES * 4200);
	store_writer_stop(f.w);
	CHECK_INT(store_open(tpath("w.db"), &db, err, sizeof(err)), 0);
	CHECK_INT(store_query_int(db, "SELECT count(*) FROM t", -1), 150000 + 200);
	CHECK_INT(store_check(db, err, sizeof(err)), 0);
	store_close(db);
	tdb_remove("w.db");
}

/* ---- syncs happen after commits, with and without the sync thread ---- */

static int insert_job(sqlite3 *db, void *owner, void *job)
{
	(void)owner;
	(void)job;
	return store_exec(db, "INSERT INTO t (k, v) VALUES ('x', x'00')", NULL, 0);
}

static void test_syncs(void)
{
	for (int offload = 0; offload < 2; offload++) {
		struct store_writer *w;
		struct store_writer_stats st;
		char err[STORE_ERR_MAX];
		sqlite3 *db = open_db("s.db");
		int waited = 0;

		CHECK_INT(store_writer_start(&w, db, 100), 0);
		if (offload)
			CHECK_INT(store_writer_offload_sync(w, tpath("s.db"), NULL, err,
							    sizeof(err)), 0);
		store_writer_stats(w, &st);
		CHECK_INT(st.syncs, 0);		/* nothing committed: nothing to sync */
		CHECK_INT(store_writer_submit(w, insert_job, NULL, NULL, NULL), 0);
		store_writer_flush(w);
		/* within STORE_WRITER_SYNC_MS of the commit (polling generously:
		 * this checks that it happens, not how fast) */
		do {
			usleep(100000);
			store_writer_stats(w, &st);
		} while (!st.syncs && ++waited < 100);
		CHECK(st.syncs >= 1);
		if (offload)
			CHECK(st.checkpoints >= 1);
		store_writer_stop(w);
		tdb_remove("s.db");
	}
}

/* ---- the reserved lane and the delay bound ---- */

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static bool gate_open, gate_entered;

static int gate_job(sqlite3 *db, void *owner, void *job)
{
	(void)db;
	(void)owner;
	(void)job;
	pthread_mutex_lock(&gate_mu);
	gate_entered = true;
	pthread_cond_broadcast(&gate_cv);
	while (!gate_open)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
	return 0;
}

static void test_reserved(void)
{
	struct store_writer *w;
	struct store_writer_stats st;
	sqlite3 *db = open_db("r.db");
	int ok = 0;

	CHECK_INT(store_writer_start(&w, db, 4), 0);
	gate_open = gate_entered = false;
	CHECK_INT(store_writer_submit(w, gate_job, NULL, NULL, NULL), 0);
	pthread_mutex_lock(&gate_mu);
	while (!gate_entered)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
	for (int i = 0; i < 4; i++)
		CHECK_INT(store_writer_submit(w, insert_job, NULL, NULL, NULL), 0);
	CHECK_INT(store_writer_submit(w, insert_job, NULL, NULL, NULL), -EAGAIN);
	/* the reserve takes what the ordinary queue refuses, up to its size */
	for (int i = 0; i < STORE_WRITER_RESERVE + 5; i++)
		ok += store_writer_submit_reserved(w, insert_job, NULL, NULL, NULL) == 0;
	CHECK_INT(ok, STORE_WRITER_RESERVE);
	pthread_mutex_lock(&gate_mu);
	gate_open = true;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
	store_writer_flush(w);
	store_writer_stats(w, &st);
	CHECK_INT(st.done, 1 + 4 + STORE_WRITER_RESERVE);
	CHECK_INT(st.dropped, 1 + 5);
	store_writer_stop(w);
	tdb_remove("r.db");
}

static int slow_job(sqlite3 *db, void *owner, void *job)
{
	(void)owner;
	(void)job;
	usleep(2000);	/* a slow disk: 500 jobs per second at most */
	return store_exec(db, "INSERT INTO t (k, v) VALUES ('s', x'00')", NULL, 0);
}

/* A writer that commits 500 jobs/s with a 100 ms bound: the queue limit
 * falls from its start to the floor, where a batch takes ~0.26 s; then it
 * stays there.  Without the bound the same flood queues max_queue jobs. */
static void test_delay_bound(void)
{
	struct store_writer *w;
	struct store_writer_stats st;
	sqlite3 *db = open_db("d.db");
	int accepted = 0;
	time_t end;

	CHECK_INT(store_writer_start(&w, db, 100000), 0);
	store_writer_set_max_delay(w, 100);
	store_writer_stats(w, &st);
	CHECK_INT(st.limit, STORE_WRITER_INIT_LIMIT);
	end = time(NULL) + 3;
	while (time(NULL) < end) {
		if (store_writer_submit(w, slow_job, NULL, NULL, NULL) == 0)
			accepted++;
		else
			usleep(1000);
		store_writer_stats(w, &st);
		CHECK(st.queued <= STORE_WRITER_INIT_LIMIT);
	}
	store_writer_stats(w, &st);
	CHECK_INT(st.limit, STORE_WRITER_MIN_QUEUE);
	CHECK(st.dropped > 0);		/* refused, counted */
	store_writer_flush(w);
	store_writer_stats(w, &st);
	CHECK_INT(st.done, accepted);
	store_writer_stop(w);
	tdb_remove("d.db");
}

/* ---- the maintenance hook ---- */

struct maint_state {
	int calls;
	int more;		/* calls that ask to run again right away */
	struct store_writer *w;
	bool saw_tx;
};

static uint64_t maint_fn(sqlite3 *db, void *owner, uint64_t now_ms)
{
	struct maint_state *m = owner;

	(void)now_ms;
	if (!sqlite3_get_autocommit(db))
		m->saw_tx = true;	/* must run outside any transaction */
	m->calls++;
	if (m->more > 0) {
		m->more--;
		return 0;
	}
	return 3600u * 1000u;
}

static void test_maint(void)
{
	static struct maint_state m;
	struct store_writer *w;
	sqlite3 *db = open_db("m.db");
	int waited = 0;

	CHECK_INT(store_writer_start(&w, db, 100), 0);
	m.more = 3;
	store_writer_set_maint(w, maint_fn, &m, 0);
	while (m.calls < 4 && ++waited < 100)
		usleep(20000);
	CHECK_INT(m.calls, 4);		/* the first run + three "again" */
	usleep(100000);
	CHECK_INT(m.calls, 4);		/* then an hour away */
	store_writer_kick_maint(w);
	waited = 0;
	while (m.calls < 5 && ++waited < 100)
		usleep(20000);
	CHECK_INT(m.calls, 5);
	CHECK(!m.saw_tx);
	store_writer_set_maint(w, NULL, NULL, 0);
	store_writer_kick_maint(w);	/* no function: nothing */
	usleep(50000);
	CHECK_INT(m.calls, 5);
	store_writer_stop(w);
	tdb_remove("m.db");
}

int main(void)
{
	snprintf(tdb_dir, sizeof(tdb_dir), "/tmp/rag-test-writer-XXXXXX");
	if (!mkdtemp(tdb_dir))
		return 1;
	test_maint();
	test_reserved();
	test_syncs();
	test_delay_bound();
	test_wal_bounded();
	rmdir(tdb_dir);
	return check_done("test_store_writer");
}
