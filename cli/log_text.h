/*
 * log_text.h — writing untrusted text (user names, IKE IDs, certificate
 * subjects: they come from the network) to JSON and to a terminal.
 */
#ifndef RAG_LOG_TEXT_H
#define RAG_LOG_TEXT_H

#include <stddef.h>
#include <stdio.h>

/*
 * Write s[0..n) as a JSON string (RFC 8259 section 7) with its quotes:
 * '"' and '\' escaped, control characters and DEL as \u00XX; valid UTF-8 is
 * kept, every byte of an invalid sequence becomes U+FFFD, so the output is
 * always valid UTF-8 JSON whatever the input.
 */
void text_json(FILE *f, const char *s, size_t n);

/* Write s[0..n) for a terminal: printable ASCII as is (backslash doubled),
 * every other byte as \xNN, so nothing in it can move the cursor, change
 * colours or pose as another column.  Returns the bytes written. */
size_t text_term(FILE *f, const char *s, size_t n);

#endif
