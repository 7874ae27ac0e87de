/*
 * log_time.c — parsing, formatting and day boundaries of log times in the
 * configured zone (see log_time.h).
 */
#include "log_time.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"

#define MS_PER_S   1000LL
#define S_PER_DAY  86400LL
#define YEAR_MIN   1970
#define YEAR_MAX   9999

/* See log_time.h. */
int logt_set_zone(const char *tz)
{
	char val[sizeof(RAG_ZONEINFO_DIR) + RAG_CONF_TZ_MAX + 4];

	if (rag_check_timezone(tz) < 0)
		return -EINVAL;
	/* ":/path" makes glibc read that TZif file and nothing else */
	snprintf(val, sizeof(val), ":%s/%s", RAG_ZONEINFO_DIR, tz);
	if (setenv("TZ", val, 1) < 0)
		return -errno;
	tzset();
	return 0;
}

/* n decimal digits at s into *v. */
static bool num(const char *s, size_t n, int *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const int md[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && leap(y) ? 29 : md[m - 1];
}

/* See log_time.h. */
int64_t logt_days(const struct logt_date *d)
{
	/* days from civil (H. Hinnant's algorithm), era = 400 years */
	int64_t y = d->y - (d->m <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (d->m + (d->m > 2 ? -3 : 9)) + 2) / 5 + d->d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* See log_time.h. */
struct logt_date logt_date_add(struct logt_date d, int64_t n)
{
	/* civil from days (the inverse of logt_days) */
	int64_t z = logt_days(&d) + n + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	struct logt_date r;

	r.d = (int)(doy - (153 * mp + 2) / 5 + 1);
	r.m = (int)(mp < 10 ? mp + 3 : mp - 9);
	r.y = (int)(yoe + era * 400 + (r.m <= 2));
	return r;
}

/* See log_time.h. */
int logt_parse_date(const char *s, struct logt_date *d)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !num(s, 4, &d->y) ||
	    !num(s + 5, 2, &d->m) || !num(s + 8, 2, &d->d))
		return -EINVAL;
	if (d->y < YEAR_MIN || d->y > YEAR_MAX || d->m < 1 || d->m > 12 || d->d < 1 ||
	    d->d > month_days(d->y, d->m))
		return -EINVAL;
	return 0;
}

/* The zone's offset from UTC (seconds east) at instant t. */
static int64_t gmtoff_at(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	return localtime_r(&tt, &tm) ? (int64_t)tm.tm_gmtoff : 0;
}

/*
 * Local wall-clock time -> UTC seconds, deterministically around offset
 * changes (mktime's choice for tm_isdst = -1 depends on glibc's cache of the
 * last call): the candidates are the wall time minus the offset in force a
 * day before and a day after; a candidate is right when the zone shows that
 * wall time at it.  Two right ones (a repeated hour): the first occurrence.
 * None (a skipped hour): the offset before the change, so 02:30 on a
 * 02:00 -> 03:00 night reads as 03:30.
 */
static int local_to_utc(const struct logt_date *d, int h, int mi, int s, int64_t *out)
{
	int64_t wall = logt_days(d) * S_PER_DAY + h * 3600LL + mi * 60LL + s;
	int64_t ta = wall - gmtoff_at(wall - S_PER_DAY), tb = wall - gmtoff_at(wall + S_PER_DAY);
	bool a_ok = ta + gmtoff_at(ta) == wall, b_ok = tb + gmtoff_at(tb) == wall;

	if (a_ok && b_ok)
		*out = ta < tb ? ta : tb;
	else if (b_ok)
		*out = tb;
	else
		*out = ta;	/* right, or the gap: the offset before the change */
	return 0;
}

/* See log_time.h. */
int logt_day_start(const struct logt_date *d, int64_t *ms)
{
	int64_t s;

	if (local_to_utc(d, 0, 0, 0, &s) < 0)
		return -ERANGE;
	*ms = s * MS_PER_S;
	return 0;
}

/* Relative time "-N[smhd]". */
static int parse_relative(const char *s, int64_t now_ms, int64_t *out)
{
	static const struct { char c; int64_t ms; } units[] = {
		{ 's', 1000LL }, { 'm', 60000LL }, { 'h', 3600000LL }, { 'd', 86400000LL },
	};
	size_t n = strlen(s);
	char digits[16];
	uint64_t v;

	if (n < 3 || n - 2 >= sizeof(digits))
		return -EINVAL;
	memcpy(digits, s + 1, n - 2);
	digits[n - 2] = '\0';
	/* at most 100 years back */
	if (rag_parse_uint(digits, 0, 36500ULL * 86400ULL, &v) < 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (s[n - 1] == units[i].c) {
			if (v > (uint64_t)(36500LL * 86400000LL / units[i].ms))
				return -EINVAL;
			*out = now_ms - (int64_t)v * units[i].ms;
			return 0;
		}
	return -EINVAL;
}

/* Zone suffix at p: "", "Z", "+HH", "+HHMM", "+HH:MM" (or '-').  Sets
 * *has and *off_s (seconds east of UTC). */
static int parse_zone(const char *p, bool *has, int64_t *off_s)
{
	int hh = 0, mm = 0;
	size_t n = strlen(p);

	*has = false;
	*off_s = 0;
	if (n == 0)
		return 0;
	*has = true;
	if (!strcmp(p, "Z"))
		return 0;
	if (p[0] != '+' && p[0] != '-')
		return -EINVAL;
	if (!(n == 3 && num(p + 1, 2, &hh)) &&
	    !(n == 5 && num(p + 1, 2, &hh) && num(p + 3, 2, &mm)) &&
	    !(n == 6 && num(p + 1, 2, &hh) && p[3] == ':' && num(p + 4, 2, &mm)))
		return -EINVAL;
	if (hh > 23 || mm > 59)
		return -EINVAL;
	*off_s = (hh * 3600LL + mm * 60LL) * (p[0] == '-' ? -1 : 1);
	return 0;
}

/* See log_time.h. */
int logt_parse(const char *s, int64_t now_ms, int64_t *out)
{
	struct logt_date d;
	char date[11];
	int h = 0, mi = 0, sec = 0, frac = 0;
	const char *p;
	bool has_zone;
	int64_t off, t;

	if (s[0] == '-')
		return parse_relative(s, now_ms, out);
	if (strlen(s) < 10)
		return -EINVAL;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (logt_parse_date(date, &d) < 0)
		return -EINVAL;
	p = s + 10;
	if (*p == 'T') {
		if (!num(p + 1, 2, &h) || p[3] != ':' || !num(p + 4, 2, &mi) || h > 23 || mi > 59)
			return -EINVAL;
		p += 6;
		if (*p == ':') {
			if (!num(p + 1, 2, &sec) || sec > 59)
				return -EINVAL;
			p += 3;
			if (*p == '.') {
				size_t k = 0;
				int scale = 100;

				for (p++; *p >= '0' && *p <= '9'; p++, k++) {
					if (k >= 9)
						return -EINVAL;
					frac += (*p - '0') * scale;
					scale /= 10;
				}
				if (k == 0)
					return -EINVAL;
			}
		}
	}
	if (parse_zone(p, &has_zone, &off) < 0)
		return -EINVAL;
	if (has_zone) {
		t = logt_days(&d) * S_PER_DAY + h * 3600LL + mi * 60LL + sec - off;
	} else if (local_to_utc(&d, h, mi, sec, &t) < 0) {
		return -EINVAL;
	}
	*out = t * MS_PER_S + frac;
	return 0;
}

/* Floor division of ms into seconds and the millisecond remainder. */
static void split_ms(int64_t ms, time_t *s, int *rem)
{
	int64_t q = ms / MS_PER_S, r = ms % MS_PER_S;

	if (r < 0) {
		q--;
		r += MS_PER_S;
	}
	*s = (time_t)q;
	*rem = (int)r;
}

/* See log_time.h. */
struct logt_date logt_local_date(int64_t ms)
{
	struct logt_date d = { 1970, 1, 1 };
	struct tm tm;
	time_t s;
	int rem;

	split_ms(ms, &s, &rem);
	if (localtime_r(&s, &tm)) {
		d.y = tm.tm_year + 1900;
		d.m = tm.tm_mon + 1;
		d.d = tm.tm_mday;
	}
	return d;
}

/* See log_time.h. */
void logt_format(int64_t ms, char *out, size_t outlen)
{
	struct tm tm;
	time_t s;
	int rem;
	long off;

	split_ms(ms, &s, &rem);
	if (!localtime_r(&s, &tm) || tm.tm_year + 1900 > YEAR_MAX || tm.tm_year + 1900 < 0) {
		snprintf(out, outlen, "@%lld", (long long)ms);
		return;
	}
	off = tm.tm_gmtoff;
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02ld:%02ld",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		 tm.tm_sec, rem, off < 0 ? '-' : '+', labs(off) / 3600, labs(off) % 3600 / 60);
}

/* See log_time.h. */
void logt_format_date(const struct logt_date *d, char *out, size_t outlen)
{
	snprintf(out, outlen, "%04d-%02d-%02d", d->y, d->m, d->d);
}

/* See log_time.h. */
int64_t logt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * MS_PER_S + ts.tv_nsec / 1000000;
}
