/*
 * test_logtime.c — cli/log_time.c and the export window (cli/log_bundle.c
 * bundle_window): issue 5 "Times stored in UTC; shown in timezone", the
 * times T of INTERFACES.md (ISO 8601 with or without zone, no zone = the
 * configured timezone; relative -2h, -7d), timezone boundaries (a row at
 * 23:59:59 and 00:00:00 local falls into the right day), DST, and point 4's
 * export edge cases: a window of exactly export-window days is allowed, one
 * day more is refused, a window touching today (in the configured zone) is
 * refused, a window reaching beyond retention is refused naming the oldest
 * time.  timegm() is the independent oracle for UTC arithmetic.
 */
#include <errno.h>
#include <time.h>

#include "check.h"
#include "log_bundle.h"
#include "log_time.h"

#define H 3600000LL
#define D (24 * H)

/* UTC ms of a broken-down UTC time (glibc timegm as the oracle). */
static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = s };

	return (int64_t)timegm(&tm) * 1000;
}

/* logt_parse() result or a sentinel on error. */
static int64_t P(const char *s, int64_t now)
{
	int64_t v;

	return logt_parse(s, now, &v) == 0 ? v : INT64_MIN;
}

static void test_parse_zoned(void)
{
	int64_t now = utc(2026, 11, 20, 12, 0, 0);

	CHECK_INT(logt_set_zone("Asia/Tokyo"), 0);
	/* explicit zones do not depend on the configured one */
	CHECK_INT(P("2026-11-20T09:00Z", now), utc(2026, 11, 20, 9, 0, 0));
	CHECK_INT(P("2026-11-20T09:00+09:00", now), utc(2026, 11, 20, 0, 0, 0));
	CHECK_INT(P("2026-11-20T09:00+0900", now), utc(2026, 11, 20, 0, 0, 0));
	CHECK_INT(P("2026-11-20T09:00+09", now), utc(2026, 11, 20, 0, 0, 0));
	CHECK_INT(P("2026-11-20T09:00-05:30", now), utc(2026, 11, 20, 14, 30, 0));
	CHECK_INT(P("2026-11-20T09:00:30.250Z", now), utc(2026, 11, 20, 9, 0, 30) + 250);
	CHECK_INT(P("2026-11-20T09:00:30.5Z", now), utc(2026, 11, 20, 9, 0, 30) + 500);
	CHECK_INT(P("2026-11-20Z", now), utc(2026, 11, 20, 0, 0, 0));
	/* no zone: the configured one (Tokyo, UTC+9, no DST) */
	CHECK_INT(P("2026-11-20", now), utc(2026, 11, 19, 15, 0, 0));
	CHECK_INT(P("2026-11-20T09:00", now), utc(2026, 11, 20, 0, 0, 0));
	CHECK_INT(P("2026-11-20T23:59:59", now), utc(2026, 11, 20, 14, 59, 59));
	/* relative */
	CHECK_INT(P("-2h", now), now - 2 * H);
	CHECK_INT(P("-7d", now), now - 7 * D);
	CHECK_INT(P("-30m", now), now - 30 * 60000LL);
	CHECK_INT(P("-45s", now), now - 45000);
	CHECK_INT(P("-0d", now), now);
	/* leap years */
	CHECK_INT(P("2024-02-29Z", now), utc(2024, 2, 29, 0, 0, 0));
	CHECK_INT(P("2000-02-29Z", now), utc(2000, 2, 29, 0, 0, 0));
}

static void test_parse_bad(void)
{
	static const char *const bad[] = {
		"", "2026", "2026-11", "2026-11-2", "2026-13-01", "2026-00-10", "2026-11-31",
		"2026-02-29", "1900-02-29", "2026-11-20T24:00", "2026-11-20T09:60",
		"2026-11-20T09:00:60", "2026-11-20T9:00", "2026-11-20 09:00", "2026-11-20T09",
		"2026-11-20T09:00+25:00", "2026-11-20T09:00+09:60", "2026-11-20T09:00Zjunk",
		"2026-11-20T09:00:00.", "2026-11-20T09:00:00.1234567890Z", "2026/11/20",
		"-2", "-h", "-2x", "-2hh", "--2h", "-+2h", "-99999999999d", "-36501d",
		"1969-12-31", "10000-01-01", "+2h", "2026-11-20T09:00+", "now",
	};

	CHECK_INT(logt_set_zone("UTC"), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v;

		if (logt_parse(bad[i], 0, &v) != -EINVAL) {
			fprintf(stderr, "accepted bad time '%s'\n", bad[i]);
			CHECK(0);
		}
	}
	CHECK_INT(logt_set_zone("../etc/passwd"), -EINVAL);
	CHECK_INT(logt_set_zone("No/Such_Zone"), -EINVAL);
}

/* logt_days / logt_date_add against timegm over 1970..2400. */
static void test_civil(void)
{
	struct logt_date d = { 1970, 1, 1 };
	int bad = 0;

	for (int64_t n = 0; n < 157000; n += 7) {
		struct logt_date x = logt_date_add(d, n);

		if (utc(x.y, x.m, x.d, 0, 0, 0) != n * D || logt_days(&x) != n)
			bad++;
	}
	CHECK_INT(bad, 0);
	d = (struct logt_date){ 2024, 2, 28 };
	d = logt_date_add(d, 1);
	CHECK(d.y == 2024 && d.m == 2 && d.d == 29);
	d = logt_date_add(d, 1);
	CHECK(d.y == 2024 && d.m == 3 && d.d == 1);
	d = logt_date_add(d, -61);
	CHECK(d.y == 2023 && d.m == 12 && d.d == 31);
}

/* Format in a zone and compare. */
static void fmt_is(int64_t ms, const char *want)
{
	char buf[LOGT_FMT_MAX];

	logt_format(ms, buf, sizeof(buf));
	if (strcmp(buf, want)) {
		fprintf(stderr, "format %lld: '%s', want '%s'\n", (long long)ms, buf, want);
		CHECK(0);
	} else {
		CHECK(1);
	}
}

/* Issue 5: a row at 23:59:59 and one at 00:00:00 local fall into the right
 * day, both for display and for the export window. */
static void test_day_boundaries(void)
{
	struct logt_date d = { 2026, 11, 20 }, got;
	int64_t start, end, late = utc(2026, 11, 20, 14, 59, 59), midnight = utc(2026, 11, 20, 15, 0, 0);

	CHECK_INT(logt_set_zone("Asia/Tokyo"), 0);
	fmt_is(late, "2026-11-20T23:59:59.000+09:00");
	fmt_is(midnight, "2026-11-21T00:00:00.000+09:00");
	got = logt_local_date(late);
	CHECK(got.y == 2026 && got.m == 11 && got.d == 20);
	got = logt_local_date(midnight);
	CHECK(got.y == 2026 && got.m == 11 && got.d == 21);
	CHECK_INT(logt_day_start(&d, &start), 0);
	d = logt_date_add(d, 1);
	CHECK_INT(logt_day_start(&d, &end), 0);
	CHECK_INT(start, utc(2026, 11, 19, 15, 0, 0));
	CHECK(start <= late && late < end);		/* 23:59:59 is in the 20th */
	CHECK(!(start <= midnight && midnight < end));	/* 00:00:00 is the 21st */
	/* the same instants in UTC belong to other days */
	CHECK_INT(logt_set_zone("UTC"), 0);
	fmt_is(late, "2026-11-20T14:59:59.000+00:00");
	got = logt_local_date(midnight - 1);
	CHECK(got.d == 20);
	/* negative offsets and milliseconds */
	CHECK_INT(logt_set_zone("America/New_York"), 0);
	fmt_is(utc(2026, 11, 21, 4, 59, 59) + 999, "2026-11-20T23:59:59.999-05:00");
	got = logt_local_date(utc(2026, 11, 21, 4, 59, 59) + 999);
	CHECK(got.d == 20);
	got = logt_local_date(utc(2026, 11, 21, 5, 0, 0));
	CHECK(got.d == 21);
}

/* DST: days of 23 and 25 hours, offsets on both sides of the change. */
static void test_dst(void)
{
	struct logt_date a = { 2026, 3, 29 }, b = { 2026, 3, 30 }, c = { 2026, 10, 25 },
			 e = { 2026, 10, 26 };
	int64_t sa, sb, sc, se;

	CHECK_INT(logt_set_zone("Europe/Berlin"), 0);
	CHECK_INT(logt_day_start(&a, &sa), 0);
	CHECK_INT(logt_day_start(&b, &sb), 0);
	CHECK_INT(logt_day_start(&c, &sc), 0);
	CHECK_INT(logt_day_start(&e, &se), 0);
	CHECK_INT(sb - sa, 23 * H);	/* spring forward: 02:00 -> 03:00 */
	CHECK_INT(se - sc, 25 * H);	/* fall back: 03:00 -> 02:00 */
	CHECK_INT(sa, utc(2026, 3, 28, 23, 0, 0));	/* CET midnight */
	CHECK_INT(sb, utc(2026, 3, 29, 22, 0, 0));	/* CEST midnight */
	fmt_is(utc(2026, 3, 29, 0, 59, 59), "2026-03-29T01:59:59.000+01:00");
	fmt_is(utc(2026, 3, 29, 1, 0, 0), "2026-03-29T03:00:00.000+02:00");
	fmt_is(utc(2026, 10, 25, 0, 30, 0), "2026-10-25T02:30:00.000+02:00");
	fmt_is(utc(2026, 10, 25, 1, 30, 0), "2026-10-25T02:30:00.000+01:00");
	/* local times parse with the offset in force then */
	CHECK_INT(P("2026-07-01T12:00", 0), utc(2026, 7, 1, 10, 0, 0));
	CHECK_INT(P("2026-12-01T12:00", 0), utc(2026, 12, 1, 11, 0, 0));
	CHECK_INT(P("2026-03-29T01:59:59", 0), utc(2026, 3, 29, 0, 59, 59));
	CHECK_INT(P("2026-03-29T03:00", 0), utc(2026, 3, 29, 1, 0, 0));
	/* rag-ctl(8): a skipped local time is read with the offset before the
	 * change (02:30 -> 03:30 CEST), a repeated one as its first occurrence
	 * (02:30 CEST), whatever was converted before */
	for (int k = 0; k < 2; k++) {
		CHECK_INT(P("2026-03-29T02:30", 0), utc(2026, 3, 29, 1, 30, 0));
		CHECK_INT(P("2026-10-25T02:30", 0), utc(2026, 10, 25, 0, 30, 0));
		CHECK_INT(P("2026-10-25T02:30+01:00", 0), utc(2026, 10, 25, 1, 30, 0));
		CHECK_INT(P("2026-10-25T03:00", 0), utc(2026, 10, 25, 2, 0, 0));
		CHECK_INT(P("2026-10-25T01:59", 0), utc(2026, 10, 24, 23, 59, 0));
	}
	/* a row at 23:59:59 local on the 25-hour day is still that day */
	CHECK(sc <= utc(2026, 10, 25, 22, 59, 59) && utc(2026, 10, 25, 22, 59, 59) < se);
	CHECK(utc(2026, 10, 25, 23, 0, 0) == se);
	CHECK_INT(logt_set_zone("America/New_York"), 0);
	a = (struct logt_date){ 2026, 3, 8 };
	b = (struct logt_date){ 2026, 3, 9 };
	CHECK_INT(logt_day_start(&a, &sa), 0);
	CHECK_INT(logt_day_start(&b, &sb), 0);
	CHECK_INT(sb - sa, 23 * H);
}

/* bundle_window: the export rules of issue 5 point 4 / INTERFACES.md. */
static void test_window(void)
{
	char err[256];
	struct bundle_window w;
	/* 2026-11-20 16:00 UTC = 2026-11-21 01:00 in Tokyo */
	int64_t now = utc(2026, 11, 20, 16, 0, 0);
	uint64_t ew = 30 * 86400, ret = 90 * 86400;

	CHECK_INT(logt_set_zone("Asia/Tokyo"), 0);
	/* exactly 30 days, ending yesterday (local): allowed */
	CHECK_INT(bundle_window("2026-10-21", "2026-11-19", now, ew, ret, &w, err, sizeof(err)), 0);
	CHECK_INT(w.start_ms, utc(2026, 10, 20, 15, 0, 0));
	CHECK_INT(w.end_ms, utc(2026, 11, 19, 15, 0, 0));
	CHECK_INT(bundle_window("2026-10-22", "2026-11-20", now, ew, ret, &w, err, sizeof(err)), 0);
	/* 31 days: refused, naming the limit */
	CHECK_INT(bundle_window("2026-10-20", "2026-11-19", now, ew, ret, &w, err, sizeof(err)),
		  -ERANGE);
	CHECK(strstr(err, "31 days") && strstr(err, "at most 30"));
	/* today in Tokyo is the 21st: --to 2026-11-21 touches today */
	CHECK_INT(bundle_window("2026-11-15", "2026-11-21", now, ew, ret, &w, err, sizeof(err)),
		  -ERANGE);
	CHECK(strstr(err, "today") && strstr(err, "2026-11-21"));
	CHECK_INT(bundle_window("2026-11-15", "2027-01-01", now, ew, ret, &w, err, sizeof(err)),
		  -ERANGE);
	/* in UTC the same instant is still the 20th: then --to 2026-11-20 is today */
	CHECK_INT(logt_set_zone("UTC"), 0);
	CHECK_INT(bundle_window("2026-11-15", "2026-11-20", now, ew, ret, &w, err, sizeof(err)),
		  -ERANGE);
	CHECK_INT(bundle_window("2026-11-15", "2026-11-19", now, ew, ret, &w, err, sizeof(err)), 0);
	CHECK_INT(logt_set_zone("Asia/Tokyo"), 0);
	/* one day; from after to; bad dates */
	CHECK_INT(bundle_window("2026-11-19", "2026-11-19", now, ew, ret, &w, err, sizeof(err)), 0);
	CHECK_INT(w.end_ms - w.start_ms, D);
	CHECK_INT(bundle_window("2026-11-19", "2026-11-18", now, ew, ret, &w, err, sizeof(err)),
		  -EINVAL);
	CHECK_INT(bundle_window("2026-11-31", "2026-12-01", now, ew, ret, &w, err, sizeof(err)),
		  -EINVAL);
	CHECK_INT(bundle_window("yesterday", "2026-11-19", now, ew, ret, &w, err, sizeof(err)),
		  -EINVAL);
	/* a smaller export-window: exactly 7 days ok, 8 refused */
	CHECK_INT(bundle_window("2026-11-13", "2026-11-19", now, 7 * 86400, ret, &w, err,
				sizeof(err)), 0);
	CHECK_INT(bundle_window("2026-11-12", "2026-11-19", now, 7 * 86400, ret, &w, err,
				sizeof(err)), -ERANGE);
	/* retention 90 days: a from 100 days back is refused with the oldest time */
	CHECK_INT(bundle_window("2026-08-10", "2026-08-20", now, ew, ret, &w, err, sizeof(err)),
		  -ERANGE);
	CHECK(strstr(err, "retention") && strstr(err, "2026-08-23T01:00:00.000+09:00"));
	/* the earliest --from it names is accepted */
	CHECK(strstr(err, "earliest --from is 2026-08-24"));
	CHECK_INT(bundle_window("2026-08-24", "2026-09-01", now, ew, ret, &w, err, sizeof(err)), 0);
	/* the DST day: a 30-day window over the Berlin change is 30 days, 1 hour */
	CHECK_INT(logt_set_zone("Europe/Berlin"), 0);
	CHECK_INT(bundle_window("2026-10-06", "2026-11-04", now, ew, ret, &w, err, sizeof(err)), 0);
	CHECK_INT(w.end_ms - w.start_ms, 30 * D + H);
}

int main(void)
{
	test_parse_zoned();
	test_parse_bad();
	test_civil();
	test_day_boundaries();
	test_dst();
	test_window();
	return check_done("test_logtime");
}
