/*
 * log_time.h — log times for rag-ctl: rows are stored as UTC milliseconds
 * since the epoch and shown, parsed and cut into days in the configured
 * `timezone` (ragd.conf [gateway] timezone; INTERFACES.md).
 *
 * The zone is applied with TZ + tzset(), so the C library's tzfile code
 * (including DST rules) does the conversions; rag-ctl is single-threaded.
 */
#ifndef RAG_LOG_TIME_H
#define RAG_LOG_TIME_H

#include <stddef.h>
#include <stdint.h>

/* A calendar date (proleptic Gregorian). */
struct logt_date {
	int y, m, d;
};

/* Longest output of logt_format(): 2026-11-20T09:00:00.123+09:00 */
#define LOGT_FMT_MAX 40

/* Use zone tz ("UTC", "Asia/Tokyo": a name rag_check_timezone() accepts)
 * for everything below.  0 or -EINVAL. */
int logt_set_zone(const char *tz);

/*
 * Parse a time T (INTERFACES.md): ISO 8601 "YYYY-MM-DD", "YYYY-MM-DDTHH:MM",
 * "YYYY-MM-DDTHH:MM:SS" or with ".fff" fractions, each optionally followed by
 * "Z" or "+HH:MM" / "-HH:MM" (also "+HHMM", "+HH"); without a zone the time
 * is local in the configured zone (a date alone is its local midnight).  Or
 * relative to now_ms: "-30s", "-15m", "-2h", "-7d".  Returns 0 with *out in
 * UTC milliseconds, or -EINVAL.
 */
int logt_parse(const char *s, int64_t now_ms, int64_t *out);

/* "YYYY-MM-DD" with a real month and day (leap years counted).  0 or -EINVAL. */
int logt_parse_date(const char *s, struct logt_date *d);

/* Days since 1970-01-01 of a date (negative before). */
int64_t logt_days(const struct logt_date *d);

/* The date n days after d. */
struct logt_date logt_date_add(struct logt_date d, int64_t n);

/* Local midnight starting date d, in UTC milliseconds (a day is 23, 24 or 25
 * hours long around DST changes).  0 or -ERANGE. */
int logt_day_start(const struct logt_date *d, int64_t *ms);

/* The local date containing the instant ms. */
struct logt_date logt_local_date(int64_t ms);

/* Format ms as local ISO 8601 with the zone's offset at that instant:
 * "2026-11-20T09:00:00.123+09:00" (out has LOGT_FMT_MAX bytes). */
void logt_format(int64_t ms, char *out, size_t outlen);

/* Format a date as YYYY-MM-DD (out has at least 11 bytes). */
void logt_format_date(const struct logt_date *d, char *out, size_t outlen);

/* Current UTC time in milliseconds (CLOCK_REALTIME). */
int64_t logt_now_ms(void);

#endif
