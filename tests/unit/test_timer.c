/*
 * test_timer.c — the timer heap (daemon/timer.h): issue 3 "timers that do
 * not scan all SAs"; RFC 7296 2.1 exponential back-off; 2.8 randomised
 * rekey margin.
 */
#include <errno.h>
#include <stdbool.h>

#include "check.h"
#include "timer.h"

static uint64_t fired[64];
static size_t nfired;

static void record(struct rag_timer *t, void *arg, uint64_t now)
{
	(void)t;
	(void)now;
	if (nfired < 64)
		fired[nfired++] = (uint64_t)(uintptr_t)arg;
}

/* A callback that re-arms itself 10 ms later, and cancels another. */
static struct rag_timers *g_h;
static struct rag_timer *g_victim;

static void rearm(struct rag_timer *t, void *arg, uint64_t now)
{
	(void)arg;
	if (nfired < 64)
		fired[nfired++] = 1000 + now;
	if (nfired < 3)
		rag_timer_arm(g_h, t, now + 10);
	rag_timer_cancel(g_h, g_victim);
}

static void test_order(void)
{
	struct rag_timers h;
	struct rag_timer t[10];
	uint64_t when[10] = { 50, 10, 40, 30, 20, 90, 60, 80, 70, 100 };

	CHECK_INT(rag_timers_init(&h, 0), 0);
	CHECK(rag_timers_next(&h) == RAG_TIMER_NONE);
	for (int i = 0; i < 10; i++) {
		rag_timer_init(&t[i], record, (void *)(uintptr_t)when[i]);
		CHECK(!rag_timer_armed(&t[i]));
		CHECK_INT(rag_timer_arm(&h, &t[i], when[i]), 0);
	}
	CHECK_INT(rag_timers_next(&h), 10);
	/* move one earlier and one later, cancel one */
	CHECK_INT(rag_timer_arm(&h, &t[0], 5), 0);	/* 50 -> 5 */
	CHECK_INT(rag_timer_arm(&h, &t[1], 95), 0);	/* 10 -> 95 */
	rag_timer_cancel(&h, &t[2]);			/* 40 gone */
	rag_timer_cancel(&h, &t[2]);			/* twice is fine */
	CHECK_INT(h.n, 9);
	CHECK_INT(rag_timers_next(&h), 5);
	nfired = 0;
	CHECK_INT(rag_timers_run(&h, 4, 0), 0);
	CHECK_INT(rag_timers_run(&h, 60, 0), 4);	/* 5, 20, 30, 60 */
	CHECK_INT(fired[0], 50);	/* t[0]'s arg, fired at 5 */
	CHECK_INT(fired[1], 20);
	CHECK_INT(fired[2], 30);
	CHECK_INT(fired[3], 60);
	CHECK(!rag_timer_armed(&t[0]));
	/* cap per run */
	CHECK_INT(rag_timers_run(&h, 1000, 2), 2);	/* 70, 80 */
	CHECK_INT(rag_timers_run(&h, 1000, 0), 3);	/* 90, 95, 100 */
	CHECK_INT(fired[6], 90);
	CHECK_INT(fired[7], 10);	/* t[1], moved to 95 */
	CHECK_INT(fired[8], 100);
	CHECK(rag_timers_next(&h) == RAG_TIMER_NONE);
	rag_timers_free(&h);
}

static void test_callbacks_modify(void)
{
	struct rag_timers h;
	struct rag_timer a, victim;

	CHECK_INT(rag_timers_init(&h, 0), 0);
	g_h = &h;
	g_victim = &victim;
	rag_timer_init(&a, rearm, NULL);
	rag_timer_init(&victim, record, (void *)(uintptr_t)7);
	rag_timer_arm(&h, &a, 100);
	rag_timer_arm(&h, &victim, 105);
	nfired = 0;
	/* callbacks get the run's "now" */
	CHECK_INT(rag_timers_run(&h, 100, 0), 1);	/* a; re-armed for 110, victim cancelled */
	CHECK_INT(rag_timers_run(&h, 109, 0), 0);
	CHECK_INT(rag_timers_run(&h, 110, 0), 1);
	CHECK_INT(rag_timers_run(&h, 200, 0), 1);	/* 120 fires at 200: no re-arm */
	CHECK(rag_timers_next(&h) == RAG_TIMER_NONE);
	CHECK_INT(fired[0], 1100);
	CHECK_INT(fired[1], 1110);
	CHECK_INT(fired[2], 1200);
	CHECK(!rag_timer_armed(&victim));
	rag_timers_free(&h);
}

/* 100,000 timers (one per SA, issue 3) in random order come out sorted;
 * the heap limit is enforced. */
static void test_many(void)
{
	struct rag_timers h;
	size_t n = 100000;
	struct rag_timer *t = calloc(n, sizeof(*t));
	uint64_t last = 0, x = 88172645463325252ull;
	bool sorted = true;
	struct rag_timer extra;

	CHECK(t != NULL);
	CHECK_INT(rag_timers_init(&h, n), 0);
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		rag_timer_init(&t[i], NULL, NULL);
		CHECK_INT(rag_timer_arm(&h, &t[i], x % 1000000u), 0);
	}
	rag_timer_init(&extra, NULL, NULL);
	CHECK_INT(rag_timer_arm(&h, &extra, 1), -ENOSPC);
	/* cancel every third */
	for (size_t i = 0; i < n; i += 3)
		rag_timer_cancel(&h, &t[i]);
	while (h.n) {
		uint64_t w = rag_timers_next(&h);

		if (w < last)
			sorted = false;
		last = w;
		rag_timers_run(&h, w, 1);
	}
	CHECK(sorted);
	for (size_t i = 0; i < n; i++)
		CHECK(!rag_timer_armed(&t[i]));
	rag_timers_free(&h);
	free(t);
}

static void test_backoff_rekey(void)
{
	/* RFC 7296 2.1: exponential back-off */
	CHECK_INT(rag_backoff_ms(0, 2000, 32000), 2000);
	CHECK_INT(rag_backoff_ms(1, 2000, 32000), 4000);
	CHECK_INT(rag_backoff_ms(4, 2000, 32000), 32000);
	CHECK_INT(rag_backoff_ms(10, 2000, 32000), 32000);
	CHECK_INT(rag_backoff_ms(100, 2000, 32000), 32000);
	/* 24 h: margin 540 s, plus up to 180 s random */
	CHECK_INT(rag_rekey_ms(86400, 0), (86400 - 540) * 1000ull);
	CHECK(rag_rekey_ms(86400, 0xffffffffu) >= (86400ull - 540 - 180) * 1000);
	CHECK(rag_rekey_ms(86400, 0xffffffffu) < (86400ull - 540) * 1000);
	CHECK(rag_rekey_ms(86400, 12345) != rag_rekey_ms(86400, 54321));
	/* 1 h: 10 % = 360 s */
	CHECK_INT(rag_rekey_ms(3600, 0), (3600 - 360) * 1000ull);
	/* 100 s: at least 60 s margin, at most half */
	CHECK_INT(rag_rekey_ms(100, 0), 50 * 1000ull);
	CHECK(rag_rekey_ms(100, 0xffffffffu) > 0);
	CHECK_INT(rag_rekey_ms(0, 7), 0);
}

int main(void)
{
	test_order();
	test_callbacks_modify();
	test_many();
	test_backoff_rekey();
	return check_done("test_timer");
}
