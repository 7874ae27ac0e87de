/*
 * timer.h — ragd's timers: a binary min-heap of intrusive struct rag_timer
 * keyed by an absolute CLOCK_MONOTONIC deadline in milliseconds.  Arming,
 * re-arming and cancelling are O(log n); finding the next deadline is O(1);
 * nothing ever scans all SAs (issue 3: "timers that do not scan all SAs").
 * The event loop programs its timerfd with rag_timers_next() and calls
 * rag_timers_run() when it fires.
 *
 * What the responder hangs on it, per IKE SA: the half-open timeout, the
 * retransmission of our own requests (DPD, DELETE, rekey) with exponential
 * backoff (rag_backoff_ms), DPD after `dpd` idle, and our rekey before the
 * IKE / CHILD lifetime ends with a randomised margin (rag_rekey_ms).
 *
 * Single-threaded (the event loop).  Nothing here reads the clock: "now" is
 * passed in, so the tests drive time by hand.
 */
#ifndef RAG_TIMER_H
#define RAG_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RAG_TIMER_NONE UINT64_MAX	/* rag_timers_next(): nothing armed */

struct rag_timer;
typedef void (*rag_timer_fn)(struct rag_timer *t, void *arg, uint64_t now_ms);

struct rag_timer {
	uint64_t when;			/* deadline, ms */
	size_t idx;			/* heap slot; SIZE_MAX = not armed */
	rag_timer_fn fn;
	void *arg;
};

struct rag_timers {
	struct rag_timer **heap;
	size_t n, cap, max;
	uint64_t seq;			/* fired so far (statistics) */
};

/* Empty heap holding at most max timers (0 = unlimited).  0 or -ENOMEM. */
int rag_timers_init(struct rag_timers *h, size_t max);

/* Free the heap array; armed timers are simply forgotten. */
void rag_timers_free(struct rag_timers *h);

/* Prepare t (not armed) to call fn(t, arg, now) when it fires. */
void rag_timer_init(struct rag_timer *t, rag_timer_fn fn, void *arg);

/* Arm t for when_ms, or move it there when it is armed already.
 * 0, -ENOSPC (max reached), -ENOMEM. */
int rag_timer_arm(struct rag_timers *h, struct rag_timer *t, uint64_t when_ms);

/* Disarm t (no-op when not armed). */
void rag_timer_cancel(struct rag_timers *h, struct rag_timer *t);

static inline bool rag_timer_armed(const struct rag_timer *t)
{
	return t->idx != SIZE_MAX;
}

/* Earliest deadline, or RAG_TIMER_NONE. */
uint64_t rag_timers_next(const struct rag_timers *h);

/*
 * Fire every timer whose deadline is <= now, earliest first, at most max of
 * them (0 = no cap; a cap keeps one tick bounded under a timer storm).
 * Each is disarmed before its callback runs; callbacks may arm / cancel any
 * timer (also their own).  Returns the number fired.
 */
size_t rag_timers_run(struct rag_timers *h, uint64_t now_ms, size_t max);

/* Retransmission timeout for attempt n (0 = first send): base * 2^n, capped
 * at cap_ms (RFC 7296 2.1: exponential back-off). */
uint64_t rag_backoff_ms(unsigned int attempt, uint64_t base_ms, uint64_t cap_ms);

/*
 * When to start our own rekey of something with lifetime life_s seconds,
 * as ms after its creation: life minus a margin of 10 % (at least 60 s,
 * at most 540 s, never more than half the lifetime) randomised by up to
 * one third of the margin more (RFC 7296 2.8: randomise to avoid both ends
 * rekeying at once).  rnd is a uniform random 32-bit value (the caller's
 * randombytes_random()), so the tests can pin it.
 */
uint64_t rag_rekey_ms(uint32_t life_s, uint32_t rnd);

#endif
