/*
 * workers.c — thread pool with an eventfd completion channel (workers.h).
 */
#include "workers.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct rag_workers {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct rag_job *q_head, *q_tail;	/* waiting */
	struct rag_job *d_head, *d_tail;	/* finished */
	size_t queued, running, max_queue;
	bool stopping;
	int efd;
	unsigned int n;
	pthread_t th[RAG_WORKERS_MAX_THREADS];
};

/* Append j to a singly linked FIFO. */
static void fifo_push(struct rag_job **head, struct rag_job **tail, struct rag_job *j)
{
	j->next = NULL;
	if (*tail)
		(*tail)->next = j;
	else
		*head = j;
	*tail = j;
}

/* Take the first job of a FIFO (NULL when empty). */
static struct rag_job *fifo_pop(struct rag_job **head, struct rag_job **tail)
{
	struct rag_job *j = *head;

	if (j) {
		*head = j->next;
		if (!*head)
			*tail = NULL;
		j->next = NULL;
	}
	return j;
}

/* Worker thread: run jobs until stopping, post each to the done list and
 * wake the loop. */
static void *worker_main(void *arg)
{
	struct rag_workers *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct rag_job *j;
		uint64_t one = 1;

		while (!w->stopping && !w->q_head)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stopping)
			break;
		j = fifo_pop(&w->q_head, &w->q_tail);
		w->queued--;
		w->running++;
		pthread_mutex_unlock(&w->mu);
		j->cancelled = false;
		j->run(j);
		pthread_mutex_lock(&w->mu);
		w->running--;
		fifo_push(&w->d_head, &w->d_tail, j);
		/* a full counter (never in practice) still leaves it readable */
		if (write(w->efd, &one, sizeof(one)) < 0) {
			/* EAGAIN: the counter is saturated and thus readable */
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* See workers.h. */
int rag_workers_start(struct rag_workers **out, unsigned int n, size_t max_queue)
{
	struct rag_workers *w = calloc(1, sizeof(*w));
	long cpus;
	int r;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	if (n == 0) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		n = cpus > 0 ? (unsigned int)cpus : 2;
	}
	if (n > RAG_WORKERS_MAX_THREADS)
		n = RAG_WORKERS_MAX_THREADS;
	w->max_queue = max_queue ? max_queue : RAG_WORKERS_MAX_QUEUE;
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->efd < 0) {
		r = -errno;
		free(w);
		return r;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	for (unsigned int i = 0; i < n; i++) {
		r = pthread_create(&w->th[i], NULL, worker_main, w);
		if (r) {
			w->n = i;
			rag_workers_stop(w);
			return -r;
		}
	}
	w->n = n;
	*out = w;
	return 0;
}

/* See workers.h. */
int rag_workers_fd(const struct rag_workers *w)
{
	return w->efd;
}

/* See workers.h. */
unsigned int rag_workers_threads(const struct rag_workers *w)
{
	return w->n;
}

/* See workers.h. */
int rag_workers_submit(struct rag_workers *w, struct rag_job *j)
{
	int r = 0;

	pthread_mutex_lock(&w->mu);
	if (w->stopping)
		r = -ESHUTDOWN;
	else if (w->queued >= w->max_queue)
		r = -EAGAIN;
	else {
		fifo_push(&w->q_head, &w->q_tail, j);
		w->queued++;
		pthread_cond_signal(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return r;
}

/* See workers.h. */
size_t rag_workers_complete(struct rag_workers *w)
{
	struct rag_job *list;
	uint64_t cnt;
	size_t n = 0;

	if (read(w->efd, &cnt, sizeof(cnt)) < 0) {
		/* EAGAIN: nothing signalled; still look at the list */
	}
	pthread_mutex_lock(&w->mu);
	list = w->d_head;
	w->d_head = w->d_tail = NULL;
	pthread_mutex_unlock(&w->mu);
	while (list) {
		struct rag_job *j = list;

		list = j->next;
		j->next = NULL;
		j->done(j);
		n++;
	}
	return n;
}

/* See workers.h. */
size_t rag_workers_pending(const struct rag_workers *w)
{
	struct rag_workers *mw = (struct rag_workers *)(uintptr_t)w;
	size_t n = 0;

	pthread_mutex_lock(&mw->mu);
	n = w->queued + w->running;
	for (struct rag_job *j = w->d_head; j; j = j->next)
		n++;
	pthread_mutex_unlock(&mw->mu);
	return n;
}

/* See workers.h. */
void rag_workers_stop(struct rag_workers *w)
{
	struct rag_job *j;

	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (unsigned int i = 0; i < w->n; i++)
		pthread_join(w->th[i], NULL);
	/* finished jobs first, then the never-run ones (cancelled) */
	while ((j = fifo_pop(&w->d_head, &w->d_tail)))
		j->done(j);
	while ((j = fifo_pop(&w->q_head, &w->q_tail))) {
		j->cancelled = true;
		j->done(j);
	}
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	close(w->efd);
	free(w);
}
