/*
 * nflog.h — the access-control log's source (issue 4 point 5): packets the
 * nftables table (nft.h) logs to its NFLOG group, read over nfnetlink
 * (NETLINK_NETFILTER, NFULNL_*) with libmnl.  A narrow interface like
 * kern.h: it hands back plain records and does not log.
 *
 * Each record is one logged packet: the rule (from the log prefix
 * "rag:p:<id>" = a new permitted flow, "rag:d:<id>" = a denied packet, id 0
 * = the default deny), source and destination address, protocol and ports,
 * parsed from the packet's headers (IPv4, IPv6 with extension headers).
 * Messages that are not ours (another prefix) or malformed are skipped and
 * counted, never trusted: the parser is validate-then-interpret and has a
 * fuzz target (tests/fuzz/fuzz_nflog.c).
 */
#ifndef RAG_NFLOG_H
#define RAG_NFLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RAG_NFLOG_BUF        (1u << 16)	/* bytes of one read */
#define RAG_NFLOG_MAX_EXT    8		/* IPv6 extension headers walked */
#define RAG_NFLOG_READ_MAX   64		/* datagrams per rag_nflog_read call */

struct rag_nflog;

struct rag_nflog_rec {
	int64_t time_ms;		/* kernel timestamp (UTC ms), 0 = none */
	bool permit;			/* "rag:p:" else "rag:d:" */
	uint32_t rule_id;		/* 0 = default deny */
	uint8_t family;			/* AF_INET / AF_INET6 */
	uint8_t src[16], dst[16];	/* network order */
	uint8_t proto;			/* final IP protocol */
	int32_t sport, dport;		/* -1 = none (no ports, later fragment,
					 * truncated) */
};

typedef void (*rag_nflog_fn)(void *arg, const struct rag_nflog_rec *rec);

/* Counters of what was skipped. */
struct rag_nflog_stats {
	uint64_t records, foreign, malformed, overruns;
};

/*
 * Parse one datagram of NFULNL_MSG_PACKET messages (buf[0..len)), calling
 * fn per valid record.  Returns the number of records, or -EBADMSG when
 * the netlink framing itself is broken (what came before was delivered).
 * st (may be NULL) counts skipped messages.
 */
int rag_nflog_parse(const uint8_t *buf, size_t len, rag_nflog_fn fn, void *arg,
		    struct rag_nflog_stats *st);

/*
 * Open a nonblocking, close-on-exec NFLOG socket in the caller's network
 * namespace bound to group, copying snaplen bytes of each packet.
 * -EBUSY: another process has the group; others with the reason in err.
 */
int rag_nflog_open(struct rag_nflog **out, uint16_t group, uint16_t snaplen, char *err,
		   size_t errlen);

/* The fd to poll for input. */
int rag_nflog_fd(const struct rag_nflog *l);

/* Read what is queued (up to RAG_NFLOG_READ_MAX datagrams) and deliver the
 * records; returns how many, or a negative errno.  A socket overrun (the
 * kernel dropped messages) is counted in the stats, not an error. */
int rag_nflog_read(struct rag_nflog *l, rag_nflog_fn fn, void *arg);

void rag_nflog_stats(const struct rag_nflog *l, struct rag_nflog_stats *st);

/* Unbind and close (NULL is a no-op). */
void rag_nflog_close(struct rag_nflog *l);

#endif
