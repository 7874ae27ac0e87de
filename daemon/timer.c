/*
 * timer.c — binary min-heap of intrusive timers (timer.h).
 */
#include "timer.h"

#include <errno.h>
#include <stdlib.h>

/* See timer.h. */
int rag_timers_init(struct rag_timers *h, size_t max)
{
	h->n = 0;
	h->cap = 64;
	h->max = max;
	h->seq = 0;
	h->heap = calloc(h->cap, sizeof(*h->heap));
	return h->heap ? 0 : -ENOMEM;
}

/* See timer.h. */
void rag_timers_free(struct rag_timers *h)
{
	for (size_t i = 0; i < h->n; i++)
		h->heap[i]->idx = SIZE_MAX;
	free(h->heap);
	h->heap = NULL;
	h->n = h->cap = 0;
}

/* See timer.h. */
void rag_timer_init(struct rag_timer *t, rag_timer_fn fn, void *arg)
{
	t->when = 0;
	t->idx = SIZE_MAX;
	t->fn = fn;
	t->arg = arg;
}

/* Put t into slot i and record it there. */
static void place(struct rag_timers *h, size_t i, struct rag_timer *t)
{
	h->heap[i] = t;
	t->idx = i;
}

/* Move the timer at slot i towards the root while it is earlier than its
 * parent; returns its final slot. */
static size_t sift_up(struct rag_timers *h, size_t i)
{
	struct rag_timer *t = h->heap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (h->heap[p]->when <= t->when)
			break;
		place(h, i, h->heap[p]);
		i = p;
	}
	place(h, i, t);
	return i;
}

/* Move the timer at slot i towards the leaves while a child is earlier. */
static void sift_down(struct rag_timers *h, size_t i)
{
	struct rag_timer *t = h->heap[i];

	for (;;) {
		size_t l = 2 * i + 1, m;

		if (l >= h->n)
			break;
		m = l;
		if (l + 1 < h->n && h->heap[l + 1]->when < h->heap[l]->when)
			m = l + 1;
		if (h->heap[m]->when >= t->when)
			break;
		place(h, i, h->heap[m]);
		i = m;
	}
	place(h, i, t);
}

/* Remove the timer at slot i, keeping the heap property. */
static void remove_at(struct rag_timers *h, size_t i)
{
	struct rag_timer *t = h->heap[i];
	struct rag_timer *last = h->heap[--h->n];

	t->idx = SIZE_MAX;
	if (i == h->n)
		return;
	place(h, i, last);
	if (sift_up(h, i) == i)
		sift_down(h, i);
}

/* See timer.h. */
int rag_timer_arm(struct rag_timers *h, struct rag_timer *t, uint64_t when_ms)
{
	if (rag_timer_armed(t)) {
		size_t i = t->idx;

		t->when = when_ms;
		if (sift_up(h, i) == i)
			sift_down(h, i);
		return 0;
	}
	if (h->max && h->n >= h->max)
		return -ENOSPC;
	if (h->n == h->cap) {
		size_t ncap = h->cap * 2;
		struct rag_timer **nh = realloc(h->heap, ncap * sizeof(*nh));

		if (!nh)
			return -ENOMEM;
		h->heap = nh;
		h->cap = ncap;
	}
	t->when = when_ms;
	place(h, h->n, t);
	h->n++;
	sift_up(h, h->n - 1);
	return 0;
}

/* See timer.h. */
void rag_timer_cancel(struct rag_timers *h, struct rag_timer *t)
{
	if (!rag_timer_armed(t))
		return;
	remove_at(h, t->idx);
}

/* See timer.h. */
uint64_t rag_timers_next(const struct rag_timers *h)
{
	return h->n ? h->heap[0]->when : RAG_TIMER_NONE;
}

/* See timer.h. */
size_t rag_timers_run(struct rag_timers *h, uint64_t now_ms, size_t max)
{
	size_t fired = 0;

	while (h->n && h->heap[0]->when <= now_ms && (!max || fired < max)) {
		struct rag_timer *t = h->heap[0];

		remove_at(h, 0);
		fired++;
		h->seq++;
		if (t->fn)
			t->fn(t, t->arg, now_ms);
	}
	return fired;
}

/* See timer.h. */
uint64_t rag_backoff_ms(unsigned int attempt, uint64_t base_ms, uint64_t cap_ms)
{
	uint64_t v = base_ms;

	for (unsigned int i = 0; i < attempt && v < cap_ms; i++)
		v *= 2;
	return v < cap_ms ? v : cap_ms;
}

/* See timer.h. */
uint64_t rag_rekey_ms(uint32_t life_s, uint32_t rnd)
{
	uint64_t life = (uint64_t)life_s * 1000u;
	uint64_t margin = life / 10;
	uint64_t extra;

	if (margin < 60000)
		margin = 60000;
	if (margin > 540000)
		margin = 540000;
	if (margin > life / 2)
		margin = life / 2;
	extra = margin / 3 ? (uint64_t)rnd % (margin / 3 + 1) : 0;
	return life - margin - extra;
}
