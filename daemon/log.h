/*
 * log.h — ragd's logger.  One line per event on stderr, prefixed with a UTC
 * ISO-8601 timestamp and the level (journald stores stderr of the unit).
 * Untrusted strings (peer identities, config values, user names) must go
 * through rag_log_quote() before they reach a format string argument.
 */
#ifndef RAG_LOG_H
#define RAG_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum rag_log_level {
	RAG_LOG_ERR = 0,
	RAG_LOG_WARN = 1,
	RAG_LOG_NOTICE = 2,
	RAG_LOG_INFO = 3,
	RAG_LOG_DEBUG = 4,
};

/* Set the most verbose level that is printed (default RAG_LOG_NOTICE). */
void rag_log_set_level(enum rag_log_level level);
enum rag_log_level rag_log_get_level(void);

/* Print one log line if level is enabled; a trailing newline is added. */
void rag_log(enum rag_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void rag_vlog(enum rag_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define log_err(...)    rag_log(RAG_LOG_ERR, __VA_ARGS__)
#define log_warn(...)   rag_log(RAG_LOG_WARN, __VA_ARGS__)
#define log_notice(...) rag_log(RAG_LOG_NOTICE, __VA_ARGS__)
#define log_info(...)   rag_log(RAG_LOG_INFO, __VA_ARGS__)
#define log_debug(...)  rag_log(RAG_LOG_DEBUG, __VA_ARGS__)

/*
 * Quote an untrusted string of n bytes for a log line or an error message:
 * the result is wrapped in single quotes, printable ASCII is kept, quote and
 * backslash are escaped, anything else becomes \xNN.  The output is always
 * NUL-terminated; when it does not fit it is cut and ends in "...'".
 * Returns out, so it can be used directly as a printf argument.
 */
char *rag_quote(char *out, size_t outlen, const char *in, size_t n);

/* rag_quote() of a NUL-terminated string. */
char *rag_quote_str(char *out, size_t outlen, const char *in);

/* Size of a buffer that always holds rag_quote() of a short value. */
#define RAG_QUOTE_MAX 160

/* Format the current UTC time as 2026-11-20T09:00:00.123Z (needs >= 32 bytes). */
void rag_log_timestamp(char *out, size_t outlen);

/* Format unix seconds t as 2026-11-20T09:00:00Z (UTC; "-" for 0; needs >= 32
 * bytes): how control listings show times. */
void rag_format_utc(char *out, size_t outlen, long long t);

/* Format a message into the caller's error buffer err[errlen] (nothing when
 * err is NULL or errlen 0): the "char *err, size_t errlen" convention of
 * functions that report why they failed without logging themselves. */
void rag_seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Append formatted text to the growing NUL-terminated buffer *s (*len bytes
 * used, *cap allocated), growing it by doubling up to max bytes (0: no
 * limit).  0, or -1 when it would exceed max or memory ran out (the buffer
 * is then unchanged).  What the control responses and the nftables text
 * are built with. */
int rag_vappendf(char **s, size_t *len, size_t *cap, size_t max, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));
int rag_appendf(char **s, size_t *len, size_t *cap, size_t max, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif
