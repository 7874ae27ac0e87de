/*
 * log.c — timestamped, levelled logging to stderr and quoting of untrusted
 * strings (see log.h).
 */
#include "log.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum rag_log_level log_level = RAG_LOG_NOTICE;

static const char *const level_names[] = {
	[RAG_LOG_ERR] = "error",
	[RAG_LOG_WARN] = "warning",
	[RAG_LOG_NOTICE] = "notice",
	[RAG_LOG_INFO] = "info",
	[RAG_LOG_DEBUG] = "debug",
};

/* Set the most verbose level printed; values above DEBUG are clamped. */
void rag_log_set_level(enum rag_log_level level)
{
	if (level > RAG_LOG_DEBUG)
		level = RAG_LOG_DEBUG;
	log_level = level;
}

/* Return the current log level. */
enum rag_log_level rag_log_get_level(void)
{
	return log_level;
}

/* Write "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC, real-time clock) into out. */
void rag_log_timestamp(char *out, size_t outlen)
{
	struct timespec ts;
	struct tm tm;

	if (outlen == 0)
		return;
	if (clock_gettime(CLOCK_REALTIME, &ts) < 0 || !gmtime_r(&ts.tv_sec, &tm)) {
		snprintf(out, outlen, "0000-00-00T00:00:00Z");
		return;
	}
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L);
}

/* Format one line into a local buffer and write it with a single fputs so
 * lines from different code paths are never interleaved. */
void rag_vlog(enum rag_log_level level, const char *fmt, va_list ap)
{
	char ts[40], msg[2048];
	int n;

	if (level > log_level)
		return;
	rag_log_timestamp(ts, sizeof(ts));
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		snprintf(msg, sizeof(msg), "(unformattable log message)");
	fprintf(stderr, "%s %s: %s\n", ts, level_names[level], msg);
	fflush(stderr);
}

/* See log.h. */
void rag_format_utc(char *out, size_t outlen, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm)) {
		snprintf(out, outlen, "-");
		return;
	}
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* printf-style front end of rag_vlog(). */
void rag_log(enum rag_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rag_vlog(level, fmt, ap);
	va_end(ap);
}

/* Escaped form of byte c into esc[4]; returns its length. */
static size_t escape_byte(unsigned char c, char *esc)
{
	static const char hex[] = "0123456789abcdef";

	if (c == '\'' || c == '\\') {
		esc[0] = '\\';
		esc[1] = (char)c;
		return 2;
	}
	if (c >= 0x20 && c < 0x7f) {
		esc[0] = (char)c;
		return 1;
	}
	esc[0] = '\\';
	esc[1] = 'x';
	esc[2] = hex[c >> 4];
	esc[3] = hex[c & 15];
	return 4;
}

/* Quote n bytes of untrusted input; see log.h for the escaping rules. */
char *rag_quote(char *out, size_t outlen, const char *in, size_t n)
{
	size_t o = 0, need = 3;	/* two quotes and the NUL */
	char esc[4];
	bool fits;

	if (outlen < 6) {	/* room for '...' at least */
		if (outlen)
			out[0] = '\0';
		return out;
	}
	for (size_t i = 0; i < n && need <= outlen; i++)
		need += escape_byte((unsigned char)in[i], esc);
	fits = need <= outlen;
	out[o++] = '\'';
	for (size_t i = 0; i < n; i++) {
		size_t el = escape_byte((unsigned char)in[i], esc);

		/* when cutting, keep room for "...'" and the NUL */
		if (!fits && outlen - o < el + 5) {
			memcpy(out + o, "...'", 5);
			return out;
		}
		memcpy(out + o, esc, el);
		o += el;
	}
	out[o++] = '\'';
	out[o] = '\0';
	return out;
}

/* rag_quote() of a NUL-terminated string (NULL quotes as ''). */
char *rag_quote_str(char *out, size_t outlen, const char *in)
{
	return rag_quote(out, outlen, in ? in : "", in ? strlen(in) : 0);
}

int rag_vappendf(char **s, size_t *len, size_t *cap, size_t max, const char *fmt, va_list ap)
{
	va_list aq;
	size_t room = *cap - *len, nc;
	char *ns;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(*s ? *s + *len : NULL, room, fmt, aq);
	va_end(aq);
	if (n < 0)
		return -1;
	if ((size_t)n < room) {
		*len += (size_t)n;
		return 0;
	}
	for (nc = *cap ? *cap * 2 : 1024; nc - *len <= (size_t)n; nc *= 2)
		;
	if ((max && nc > max) || !(ns = realloc(*s, nc)))
		return -1;
	*s = ns;
	*cap = nc;
	vsnprintf(*s + *len, nc - *len, fmt, ap);
	*len += (size_t)n;
	return 0;
}

/* See log.h. */
int rag_appendf(char **s, size_t *len, size_t *cap, size_t max, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = rag_vappendf(s, len, cap, max, fmt, ap);
	va_end(ap);
	return r;
}

/* See log.h. */
void rag_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
