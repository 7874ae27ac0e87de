/*
 * fuzz_pol_parse.c — the access policy's member text forms
 * (daemon/pol_parse.c): ADDR|CIDR of host groups and SERVICE of service
 * groups, parsed by rag-ctl from its command line and by ragd from every
 * control request (issue 4 point 1: bad values refused naming them).
 *
 * Input: byte 0 bit 0 selects the parser (0 prefix, 1 service); the rest is
 * the text (cut at 255 bytes and at a NUL).  Invariants: a refusal leaves a
 * NUL-terminated message; an accepted value has a valid family / length /
 * protocol / range, no host bits, and its canonical text parses back to the
 * same value.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[256], err[256], t[POL_PREFIX_STR > POL_SERVICE_STR ? POL_PREFIX_STR :
				     POL_SERVICE_STR];
	size_t n;

	if (size < 1)
		return 0;
	n = size - 1 < sizeof(s) - 1 ? size - 1 : sizeof(s) - 1;
	memcpy(s, data + 1, n);
	s[n] = '\0';
	memset(err, 'x', sizeof(err));
	if (!(data[0] & 1)) {
		struct pol_prefix p, q;
		unsigned int max;

		if (pol_parse_prefix(s, &p, err, sizeof(err)) < 0) {
			if (!memchr(err, '\0', sizeof(err)))
				abort();
			return 0;
		}
		if (p.family != AF_INET && p.family != AF_INET6)
			abort();
		max = p.family == AF_INET ? 32 : 128;
		if (p.len > max)
			abort();
		for (unsigned int b = p.len; b < 128; b++)
			if (p.addr[b / 8] & (0x80u >> (b % 8)))
				abort();	/* host bits, or bytes past an IPv4 address */
		pol_format_prefix(&p, t, sizeof(t));
		if (strlen(t) >= POL_PREFIX_STR || pol_parse_prefix(t, &q, err, sizeof(err)) < 0 ||
		    memcmp(&p, &q, sizeof(p)))
			abort();
	} else {
		struct pol_service v, w;

		if (pol_parse_service(s, &v, err, sizeof(err)) < 0) {
			if (!memchr(err, '\0', sizeof(err)))
				abort();
			return 0;
		}
		if (v.port_lo > v.port_hi)
			abort();
		if (v.proto == POL_PROTO_TCP || v.proto == POL_PROTO_UDP) {
			if (v.port_lo < 1)
				abort();
		} else if (v.proto != POL_PROTO_ANY && v.proto != POL_PROTO_ICMP) {
			abort();
		} else if (v.port_lo != 0 || v.port_hi != 65535) {
			abort();
		}
		pol_format_service(&v, t, sizeof(t));
		if (strlen(t) >= POL_SERVICE_STR || pol_parse_service(t, &w, err, sizeof(err)) < 0 ||
		    w.proto != v.proto || w.port_lo != v.port_lo || w.port_hi != v.port_hi)
			abort();
	}
	return 0;
}
