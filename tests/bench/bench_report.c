/*
 * bench_report.c — rag-bench's figures: failure reasons, merging the
 * threads' counters, percentiles, and the report.  A figure is printed
 * only when it was measured (samples exist, a duration is positive).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

/* See bench.h. */
void bench_fail(struct bench_stats *s, const char *fmt, ...)
{
	char text[BENCH_REASON_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < s->n_reason; i++)
		if (!strcmp(s->reason[i].text, text)) {
			s->reason[i].n++;
			return;
		}
	if (s->n_reason == BENCH_MAX_REASONS) {
		s->reason_overflow++;
		return;
	}
	memcpy(s->reason[s->n_reason].text, text, sizeof(text));
	s->reason[s->n_reason++].n = 1;
}

static int64_t min_set(int64_t a, int64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* See bench.h. */
int bench_stats_merge(struct bench_stats *d, const struct bench_stats *s)
{
	if (s->n_lat) {
		uint32_t *l = realloc(d->lat_us, (d->n_lat + s->n_lat) * sizeof(*l));

		if (!l)
			return -ENOMEM;
		memcpy(l + d->n_lat, s->lat_us, s->n_lat * sizeof(*l));
		d->lat_us = l;
		d->n_lat += s->n_lat;
	}
	if (s->n_vip4) {
		uint8_t (*v)[4] = realloc(d->vip4, (d->n_vip4 + s->n_vip4) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		memcpy(v + d->n_vip4, s->vip4, s->n_vip4 * sizeof(*v));
		d->vip4 = v;
		d->n_vip4 += s->n_vip4;
	}
	for (size_t i = 0; i < s->n_reason; i++) {
		size_t k;

		for (k = 0; k < d->n_reason; k++)
			if (!strcmp(d->reason[k].text, s->reason[i].text))
				break;
		if (k == d->n_reason) {
			if (k == BENCH_MAX_REASONS) {
				d->reason_overflow += s->reason[i].n;
				continue;
			}
			d->reason[d->n_reason++] = s->reason[i];
		} else {
			d->reason[k].n += s->reason[i].n;
		}
	}
	d->reason_overflow += s->reason_overflow;
#define ADD(f) d->f += s->f
	ADD(attempted); ADD(established); ADD(failed);
	ADD(retransmits); ADD(cookie_rounds); ADD(ke_rounds); ADD(peak_inflight);
	ADD(tx); ADD(tx_errors); ADD(rx); ADD(rx_unknown); ADD(rx_rejected);
	ADD(peer_requests); ADD(peer_liveness); ADD(peer_child_rekeys);
	ADD(peer_ike_rekeys); ADD(peer_deletes); ADD(up_at_hold_end);
	ADD(del_sent); ADD(del_answered); ADD(del_timeouts);
#undef ADD
	d->t_first_ns = min_set(d->t_first_ns, s->t_first_ns);
	d->t_last_ns = max64(d->t_last_ns, s->t_last_ns);
	d->t_end_ns = max64(d->t_end_ns, s->t_end_ns);
	d->t_del_start_ns = min_set(d->t_del_start_ns, s->t_del_start_ns);
	d->t_del_end_ns = max64(d->t_del_end_ns, s->t_del_end_ns);
	return 0;
}

/* See bench.h. */
void bench_stats_free(struct bench_stats *s)
{
	free(s->lat_us);
	free(s->vip4);
	s->lat_us = NULL;
	s->vip4 = NULL;
	s->n_lat = s->n_vip4 = 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_vip(const void *a, const void *b)
{
	return memcmp(a, b, 4);
}

/* See bench.h. */
uint32_t bench_percentile(struct bench_stats *s, double p)
{
	size_t rank;

	qsort(s->lat_us, s->n_lat, sizeof(*s->lat_us), cmp_u32);
	rank = (size_t)((p / 100.0) * (double)s->n_lat + 0.999999);	/* ceil */
	if (rank < 1)
		rank = 1;
	if (rank > s->n_lat)
		rank = s->n_lat;
	return s->lat_us[rank - 1];
}

/* See bench.h. */
size_t bench_distinct_vips(struct bench_stats *s)
{
	size_t n = s->n_vip4 ? 1 : 0;

	qsort(s->vip4, s->n_vip4, sizeof(*s->vip4), cmp_vip);
	for (size_t i = 1; i < s->n_vip4; i++)
		n += memcmp(s->vip4[i - 1], s->vip4[i], 4) != 0;
	return n;
}

static double secs(int64_t ns)
{
	return (double)ns / 1e9;
}

/* Seconds from the first IKE_SA_INIT to the last established SA, or 0
 * when that span was not measured. */
static double setup_span(const struct bench_stats *s)
{
	if (!s->established || s->t_last_ns <= s->t_first_ns)
		return 0;
	return secs(s->t_last_ns - s->t_first_ns);
}

/* See bench.h. */
void bench_print_setup(FILE *f, const struct bench_cfg *c, struct bench_stats *s)
{
	double span = setup_span(s);

	char rate[32] = "unlimited";

	if (c->o.rate)
		snprintf(rate, sizeof(rate), "%llu/s", (unsigned long long)c->o.rate);
	fprintf(f, "rag-bench: setup: attempted %llu, established %llu, failed %llu "
		"(%zu threads, %zu sockets, concurrency %llu, rate %s)\n",
		(unsigned long long)s->attempted, (unsigned long long)s->established,
		(unsigned long long)s->failed, s->n_threads, s->n_sockets,
		(unsigned long long)c->o.concurrency, rate);
	if (span > 0)
		fprintf(f, "rag-bench: setup rate: %.1f handshakes/s (%llu established in "
			"%.3f s, first IKE_SA_INIT to last IKE_AUTH answer)\n",
			(double)s->established / span, (unsigned long long)s->established, span);
	else
		fprintf(f, "rag-bench: setup rate: not measured (nothing established)\n");
	if (s->t_end_ns > s->t_first_ns && s->t_first_ns)
		fprintf(f, "rag-bench: setup phase: %.3f s until every attempt had ended\n",
			secs(s->t_end_ns - s->t_first_ns));
	if (s->cpu_s >= 0 && s->t_end_ns > s->t_first_ns && s->t_first_ns)
		fprintf(f, "rag-bench: own CPU time in the setup phase: %.2f s (%.0f%% of one CPU), "
			"peak RSS %.1f MiB\n", s->cpu_s, 100 * s->cpu_s / secs(s->t_end_ns - s->t_first_ns),
			s->maxrss_kib / 1024.0);
	if (s->n_lat) {
		uint32_t p50 = bench_percentile(s, 50), p99 = bench_percentile(s, 99);

		fprintf(f, "rag-bench: latency (first IKE_SA_INIT sent to IKE_AUTH answer, %zu SAs): "
			"p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", s->n_lat, p50 / 1e3,
			p99 / 1e3, s->lat_us[s->n_lat - 1] / 1e3);
	}
	if (s->n_vip4)
		fprintf(f, "rag-bench: virtual IPv4 addresses: %zu assigned, %zu distinct\n",
			s->n_vip4, bench_distinct_vips(s));
	fprintf(f, "rag-bench: retransmissions %llu, COOKIE rounds %llu, INVALID_KE_PAYLOAD rounds %llu, "
		"at most %llu handshakes in flight\n",
		(unsigned long long)s->retransmits, (unsigned long long)s->cookie_rounds,
		(unsigned long long)s->ke_rounds, (unsigned long long)s->peak_inflight);
	if (s->failed) {
		fprintf(f, "rag-bench: failures by reason:\n");
		for (size_t i = 0; i < s->n_reason; i++)
			fprintf(f, "rag-bench:   %8llu  %s\n", (unsigned long long)s->reason[i].n,
				s->reason[i].text);
		if (s->reason_overflow)
			fprintf(f, "rag-bench:   %8llu  (other reasons)\n",
				(unsigned long long)s->reason_overflow);
	}
}

/* See bench.h. */
void bench_print_keys(FILE *f, struct bench_stats *s)
{
	double span = setup_span(s);

	fprintf(f, "attempted=%llu\nestablished=%llu\nfailed=%llu\nretransmits=%llu\n",
		(unsigned long long)s->attempted, (unsigned long long)s->established,
		(unsigned long long)s->failed, (unsigned long long)s->retransmits);
	if (span > 0)
		fprintf(f, "setup_s=%.3f\nrate_hs=%.1f\n", span, (double)s->established / span);
	if (s->n_lat) {
		/* the percentiles sort lat_us: the maximum is read after them */
		uint32_t p50 = bench_percentile(s, 50), p99 = bench_percentile(s, 99);

		fprintf(f, "p50_ms=%.1f\np99_ms=%.1f\nmax_ms=%.1f\n", p50 / 1e3, p99 / 1e3,
			s->lat_us[s->n_lat - 1] / 1e3);
	}
	if (s->n_vip4)
		fprintf(f, "distinct_vips=%zu\n", bench_distinct_vips(s));
	if (s->cpu_s >= 0)
		fprintf(f, "bench_cpu_s=%.2f\n", s->cpu_s);
	if (s->maxrss_kib > 0)
		fprintf(f, "bench_maxrss_kib=%ld\n", s->maxrss_kib);
	if (s->t_end_ns > s->t_first_ns && s->t_first_ns)
		fprintf(f, "setup_wall_s=%.3f\n", secs(s->t_end_ns - s->t_first_ns));
}

/* See bench.h. */
void bench_print_end(FILE *f, const struct bench_cfg *c, const struct bench_stats *s)
{
	fprintf(f, "rag-bench: hold %llu s: requests from the responder answered %llu "
		"(INFORMATIONAL without Delete %llu, CHILD rekeys %llu, IKE rekeys %llu), "
		"IKE SAs deleted by the responder %llu, SAs up when the hold ended %llu\n",
		(unsigned long long)c->o.hold_s, (unsigned long long)s->peer_requests,
		(unsigned long long)s->peer_liveness, (unsigned long long)s->peer_child_rekeys,
		(unsigned long long)s->peer_ike_rekeys, (unsigned long long)s->peer_deletes,
		(unsigned long long)s->up_at_hold_end);
	if (c->o.no_delete)
		fprintf(f, "rag-bench: teardown: skipped (--no-delete)\n");
	else if (s->del_answered && s->t_del_end_ns > s->t_del_start_ns)
		fprintf(f, "rag-bench: teardown: Delete sent %llu, answered %llu, unconfirmed %llu, "
			"in %.3f s\n", (unsigned long long)s->del_sent,
			(unsigned long long)s->del_answered, (unsigned long long)s->del_timeouts,
			secs(s->t_del_end_ns - s->t_del_start_ns));
	else
		fprintf(f, "rag-bench: teardown: Delete sent %llu, answered %llu, unconfirmed %llu\n",
			(unsigned long long)s->del_sent, (unsigned long long)s->del_answered,
			(unsigned long long)s->del_timeouts);
	fprintf(f, "rag-bench: datagrams: sent %llu (send errors %llu), received %llu "
		"(unknown SPI %llu, refused by the engine %llu)\n",
		(unsigned long long)s->tx, (unsigned long long)s->tx_errors,
		(unsigned long long)s->rx, (unsigned long long)s->rx_unknown,
		(unsigned long long)s->rx_rejected);
}

/* See bench.h. */
int bench_write_ready(const char *path, struct bench_stats *s)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	bench_print_keys(f, s);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		int e = -errno;

		unlink(tmp);
		return e;
	}
	return 0;
}
