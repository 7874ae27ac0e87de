/*
 * check.h — minimal assertions for rag's unit tests.  Every failed check is
 * reported with file:line and counted; check_done() turns the count into the
 * exit status meson reads.
 */
#ifndef RAG_CHECK_H
#define RAG_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond) do { \
	check_count++; \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		check_failures++; \
	} \
} while (0)

#define CHECK_INT(a, b) do { \
	long long _a = (long long)(a), _b = (long long)(b); \
	check_count++; \
	if (_a != _b) { \
		fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld)\n", \
			__FILE__, __LINE__, #a, #b, _a, _b); \
		check_failures++; \
	} \
} while (0)

#define CHECK_MEM(a, b, n) do { \
	check_count++; \
	if (memcmp((a), (b), (n)) != 0) { \
		fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%zu bytes)\n", \
			__FILE__, __LINE__, #a, #b, (size_t)(n)); \
		check_hexdump("  got ", (const uint8_t *)(a), (n)); \
		check_hexdump("  want", (const uint8_t *)(b), (n)); \
		check_failures++; \
	} \
} while (0)

static inline void check_hexdump(const char *tag, const uint8_t *p, size_t n)
{
	fprintf(stderr, "%s ", tag);
	for (size_t i = 0; i < n && i < 96; i++)
		fprintf(stderr, "%02x", p[i]);
	fprintf(stderr, n > 96 ? "...\n" : "\n");
}

/* Decode hex (whitespace ignored) into a malloc'ed buffer; aborts on bad input. */
static inline uint8_t *check_unhex(const char *hex, size_t *len)
{
	size_t n = strlen(hex), o = 0;
	uint8_t *out = malloc(n / 2 + 1);
	int hi = -1;

	if (!out)
		abort();
	for (size_t i = 0; i < n; i++) {
		char c = hex[i];
		int v;

		if (c == ' ' || c == '\n' || c == '\t' || c == ':')
			continue;
		if (c >= '0' && c <= '9') v = c - '0';
		else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
		else abort();
		if (hi < 0) {
			hi = v;
		} else {
			out[o++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		abort();
	*len = o;
	return out;
}

static inline int check_done(const char *name)
{
	if (check_failures) {
		fprintf(stderr, "%s: %d of %d checks FAILED\n", name, check_failures, check_count);
		return 1;
	}
	printf("%s: all %d checks passed\n", name, check_count);
	return check_count > 0 ? 0 : 1;	/* a test that checked nothing fails */
}

#endif
