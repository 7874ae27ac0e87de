/*
 * workers.h — a small thread pool for the CPU-heavy part of IKE (DH in
 * IKE_SA_INIT, signatures in IKE_AUTH), so one slow handshake never stalls
 * the event loop (issue 3, "ragd runtime").
 *
 * Flow: the event loop fills a struct rag_job and submits it; a worker
 * thread calls job->run(job); the finished job goes onto a done list and
 * the pool's eventfd becomes readable; the loop, woken by epoll, calls
 * rag_workers_complete(), which calls job->done(job) on the loop thread.
 * Jobs are intrusive (embed struct rag_job and use container_of); the pool
 * never allocates per job.  The caller guarantees that whatever run()
 * touches is not touched by the loop until done() (the responder keeps
 * one job per SA: the SA is "busy" in between).
 */
#ifndef RAG_WORKERS_H
#define RAG_WORKERS_H

#include <stdbool.h>
#include <stddef.h>

#define RAG_WORKERS_MAX_THREADS 64
#define RAG_WORKERS_MAX_QUEUE   65536	/* jobs waiting for a thread */

struct rag_job {
	struct rag_job *next;		/* pool-internal */
	void (*run)(struct rag_job *j);		/* worker thread */
	void (*done)(struct rag_job *j);	/* event loop thread */
	bool cancelled;			/* done() without run(): pool stopped */
};

struct rag_workers;

/* Start n threads (0 = number of online CPUs, at most
 * RAG_WORKERS_MAX_THREADS) with a queue of at most max_queue waiting jobs
 * (0 = RAG_WORKERS_MAX_QUEUE).  0 or -errno. */
int rag_workers_start(struct rag_workers **out, unsigned int n,
		      size_t max_queue);

/* The eventfd (non-blocking, CLOEXEC) the loop polls for EPOLLIN. */
int rag_workers_fd(const struct rag_workers *w);

/* Threads running. */
unsigned int rag_workers_threads(const struct rag_workers *w);

/* Queue j.  0, or -EAGAIN when the queue is full (the caller drops the
 * datagram: the peer retransmits), -ESHUTDOWN after stop. */
int rag_workers_submit(struct rag_workers *w, struct rag_job *j);

/* Loop thread: read the eventfd and call done() of every finished job.
 * Returns how many completed. */
size_t rag_workers_complete(struct rag_workers *w);

/* Jobs queued or running (not yet completed). */
size_t rag_workers_pending(const struct rag_workers *w);

/* Stop: running jobs finish, queued ones are not run; then done() of all
 * of them is called on the calling thread (cancelled set for the queued
 * ones) and everything is freed.  NULL is fine. */
void rag_workers_stop(struct rag_workers *w);

#endif
