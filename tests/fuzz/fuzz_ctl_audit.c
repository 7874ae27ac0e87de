/*
 * fuzz_ctl_audit.c — libFuzzer target for the audit log's redaction of
 * control requests and response messages (daemon/ctl_audit.c
 * ctl_audit_redact, ctl_audit_redact_text): any request line from the
 * control socket (4 KiB at most) must give a NUL-terminated line within the
 * buffer, and redacting a message twice must change nothing the second time;
 * never crash or read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "connlog.h"
#include "ctl_audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One input: the first byte picks the buffer sizes, the rest is the text. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[4097], out[CONNLOG_CMD], msg[CONNLOG_STR], again[CONNLOG_STR];
	size_t n, outlen, msglen;

	if (size < 1)
		return 0;
	outlen = 1 + data[0] % sizeof(out);
	msglen = 1 + data[0] % sizeof(msg);
	n = size - 1 < sizeof(in) - 1 ? size - 1 : sizeof(in) - 1;
	memcpy(in, data + 1, n);
	in[n] = '\0';	/* the server hands over a NUL-terminated line */
	ctl_audit_redact("user", in, data[0] & 1, out, outlen);
	if (strnlen(out, outlen) >= outlen)
		abort();
	n = strnlen(in, msglen - 1);
	memcpy(msg, in, n);
	msg[n] = '\0';
	ctl_audit_redact_text(msg, msglen);
	if (strnlen(msg, msglen) >= msglen)
		abort();
	memcpy(again, msg, msglen);
	ctl_audit_redact_text(again, msglen);
	if (strcmp(again, msg))
		abort();	/* idempotent */
	return 0;
}
