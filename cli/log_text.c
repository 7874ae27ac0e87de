/*
 * log_text.c — escaping untrusted text for JSON and the terminal (see
 * log_text.h).
 */
#include "log_text.h"

#include <stdbool.h>
#include <stdint.h>

/* Length of the valid UTF-8 sequence at s[0..n) (RFC 3629 section 4: no
 * overlongs, no surrogates, at most U+10FFFF), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* See log_text.h.  Runs of bytes that need no escaping go out in one
 * fwrite, and stdio without locking: rag-ctl is single-threaded and an
 * export writes hundreds of millions of characters. */
void text_json(FILE *f, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t run = 0, i = 0;	/* s[run..i) is pending verbatim output */

	putc_unlocked('"', f);
	while (i < n) {
		unsigned char c = s[i];
		size_t l;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (c >= 0x80 && (l = utf8_len(s + i, n - i)) != 0) {
			i += l;
			continue;
		}
		fwrite_unlocked(s + run, 1, i - run, f);
		if (c == '"' || c == '\\') {
			putc_unlocked('\\', f);
			putc_unlocked(c, f);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
		} else {
			fputs_unlocked("\xef\xbf\xbd", f);	/* U+FFFD for an invalid byte */
		}
		run = ++i;
	}
	fwrite_unlocked(s + run, 1, i - run, f);
	putc_unlocked('"', f);
}

/* See log_text.h. */
size_t text_term(FILE *f, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t w = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\') {
			fputs("\\\\", f);
			w += 2;
		} else if (s[i] >= 0x20 && s[i] < 0x7f) {
			putc(s[i], f);
			w++;
		} else {
			fprintf(f, "\\x%02x", s[i]);
			w += 4;
		}
	}
	return w;
}
