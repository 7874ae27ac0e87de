/*
 * fuzz_net.c — ragd's first look at every UDP datagram (daemon/net.h
 * rag_net_classify): RFC 3948 2.2 non-ESP marker, 2.3 NAT-keepalive,
 * RFC 7296 3.1 header Length.
 *
 * Input: byte 0 bit 0 selects the port (1: NAT-T port, 0: IKE port); the
 * rest is the UDP payload.  Invariants: an accepted datagram leaves at
 * least the 28-byte IKE header after the offset, the offset is 4 only on
 * the NAT-T port (and then the marker is four zero bytes), and the header's
 * Length equals what follows the offset; the classification is stable.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool natt;
	const uint8_t *p;
	size_t n;
	int off;

	if (size < 1)
		return 0;
	natt = data[0] & 1;
	p = data + 1;
	n = size - 1;
	off = rag_net_classify(p, n, natt);
	if (off >= 0) {
		uint32_t l;

		if ((off != 0 && off != 4) || (off == 4 && !natt) || (off == 0 && natt))
			abort();
		if (off == 4 && (p[0] | p[1] | p[2] | p[3]))
			abort();
		if (n - (size_t)off < 28)
			abort();
		l = (uint32_t)p[off + 24] << 24 | (uint32_t)p[off + 25] << 16 |
		    (uint32_t)p[off + 26] << 8 | p[off + 27];
		if (l != n - (size_t)off)
			abort();
	} else if (off != -EBADMSG && off != -ENOMSG && off != -EPROTO) {
		abort();
	}
	if (rag_net_classify(p, n, natt) != off)
		abort();
	return 0;
}
