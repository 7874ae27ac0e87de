/*
 * test_workers.c — the thread pool (daemon/workers.h): issue 3 "public-key
 * and DH work on worker threads so one slow handshake never stalls the
 * others"; completion through the eventfd on the submitting thread; queue
 * limit; stop with queued jobs.  Ordering is forced with semaphores, not
 * sleeps, so a loaded machine cannot make the checks flake.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <unistd.h>

#include "check.h"
#include "workers.h"

struct tjob {
	struct rag_job j;
	int in, out;
	bool done, cancelled;
	pthread_t ran_on;
	sem_t *started;		/* posted when run() begins, if set */
	sem_t *release;		/* run() waits for it, if set */
};

static pthread_t main_thread;
static int done_not_on_main;

static void run(struct rag_job *j)
{
	struct tjob *t = (struct tjob *)j;

	if (t->started)
		sem_post(t->started);
	if (t->release)
		sem_wait(t->release);
	t->out = t->in * 2;
	t->ran_on = pthread_self();
}

static void done(struct rag_job *j)
{
	struct tjob *t = (struct tjob *)j;

	if (!pthread_equal(pthread_self(), main_thread))
		done_not_on_main++;
	t->done = true;
	t->cancelled = j->cancelled;
}

static void test_run_complete(void)
{
	enum { N = 200 };
	struct rag_workers *w;
	static struct tjob jobs[N];
	size_t completed = 0;
	bool threaded = false;

	CHECK_INT(rag_workers_start(&w, 4, 0), 0);
	CHECK_INT(rag_workers_threads(w), 4);
	for (int i = 0; i < N; i++) {
		jobs[i].j.run = run;
		jobs[i].j.done = done;
		jobs[i].in = i;
		CHECK_INT(rag_workers_submit(w, &jobs[i].j), 0);
	}
	while (completed < N) {
		struct pollfd p = { .fd = rag_workers_fd(w), .events = POLLIN };

		CHECK(poll(&p, 1, 5000) == 1);
		completed += rag_workers_complete(w);
	}
	CHECK_INT(completed, N);
	for (int i = 0; i < N; i++) {
		CHECK(jobs[i].done && !jobs[i].cancelled);
		CHECK_INT(jobs[i].out, 2 * i);
		if (!pthread_equal(jobs[i].ran_on, main_thread))
			threaded = true;
	}
	CHECK(threaded);
	CHECK_INT(done_not_on_main, 0);
	CHECK_INT(rag_workers_pending(w), 0);
	rag_workers_stop(w);
}

/* A slow job does not hold up the others (two threads). */
static void test_slow_does_not_block(void)
{
	struct rag_workers *w;
	sem_t started, release;
	struct tjob slow = { .started = &started, .release = &release }, fast = { .in = 21 };

	sem_init(&started, 0, 0);
	sem_init(&release, 0, 0);
	CHECK_INT(rag_workers_start(&w, 2, 0), 0);
	slow.j.run = fast.j.run = run;
	slow.j.done = fast.j.done = done;
	CHECK_INT(rag_workers_submit(w, &slow.j), 0);
	sem_wait(&started);	/* one thread is stuck in the slow job */
	CHECK_INT(rag_workers_submit(w, &fast.j), 0);
	while (!fast.done) {	/* completes while the slow one still runs */
		struct pollfd p = { .fd = rag_workers_fd(w), .events = POLLIN };

		CHECK(poll(&p, 1, 10000) == 1);
		if (p.revents & POLLIN)
			rag_workers_complete(w);
		else
			break;
	}
	CHECK(fast.done);
	CHECK_INT(fast.out, 42);
	CHECK(!slow.done);
	sem_post(&release);
	rag_workers_stop(w);	/* waits for the slow job, then done() */
	CHECK(slow.done && !slow.cancelled);
	sem_destroy(&started);
	sem_destroy(&release);
}

/* Queue limit and stop: queued jobs are completed as cancelled. */
static void test_limit_and_stop(void)
{
	struct rag_workers *w;
	sem_t started, release;
	struct tjob block = { .started = &started, .release = &release }, q[3];

	sem_init(&started, 0, 0);
	sem_init(&release, 0, 0);
	memset(q, 0, sizeof(q));
	CHECK_INT(rag_workers_start(&w, 1, 2), 0);
	block.j.run = run;
	block.j.done = done;
	CHECK_INT(rag_workers_submit(w, &block.j), 0);
	sem_wait(&started);	/* the only thread is busy now */
	for (int i = 0; i < 3; i++) {
		q[i].j.run = run;
		q[i].j.done = done;
	}
	CHECK_INT(rag_workers_submit(w, &q[0].j), 0);
	CHECK_INT(rag_workers_submit(w, &q[1].j), 0);
	CHECK_INT(rag_workers_submit(w, &q[2].j), -EAGAIN);	/* limit */
	CHECK_INT(rag_workers_pending(w), 3);
	sem_post(&release);
	rag_workers_stop(w);
	CHECK(block.done && !block.cancelled);
	CHECK(q[0].done && q[1].done);
	CHECK(!q[2].done);
	sem_destroy(&started);
	sem_destroy(&release);
}

int main(void)
{
	main_thread = pthread_self();
	test_run_complete();
	test_slow_does_not_block();
	test_limit_and_stop();
	return check_done("test_workers");
}
