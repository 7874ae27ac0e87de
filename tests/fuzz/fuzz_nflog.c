/*
 * fuzz_nflog.c — the access-control log's parser of NFLOG datagrams
 * (daemon/nflog.h rag_nflog_parse): netlink framing, nfnetlink_log
 * attributes, the "rag:p:<id>" / "rag:d:<id>" prefix, IPv4 and IPv6 (with
 * extension headers) up to the ports.
 *
 * Invariants: the result is the number of records delivered or -EBADMSG;
 * every record has a family of AF_INET or AF_INET6 and ports in -1..65535;
 * parsing is deterministic (a second parse delivers the same records).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nflog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	size_t n;
	struct rag_nflog_rec first;
};

static void check_rec(void *arg, const struct rag_nflog_rec *r)
{
	struct seen *s = arg;

	if (r->family != AF_INET && r->family != AF_INET6)
		abort();
	if (r->sport < -1 || r->sport > 65535 || r->dport < -1 || r->dport > 65535)
		abort();
	if ((r->sport < 0) != (r->dport < 0))
		abort();
	if (!s->n)
		s->first = *r;
	s->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen a, b;
	struct rag_nflog_stats st;
	int n1, n2;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&st, 0, sizeof(st));
	n1 = rag_nflog_parse(data, size, check_rec, &a, &st);
	n2 = rag_nflog_parse(data, size, check_rec, &b, NULL);
	if (n1 < 0 && n1 != -EBADMSG)
		abort();
	if (n1 != n2 || a.n != b.n || (n1 >= 0 && (size_t)n1 != a.n))
		abort();
	if (a.n && memcmp(&a.first, &b.first, sizeof(a.first)) != 0)
		abort();
	if (st.records != a.n)
		abort();
	return 0;
}
