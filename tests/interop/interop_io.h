/*
 * interop_io.h — the input side of interop_check: a minimal pcap reader
 * (classic libpcap format, Ethernet / Linux SLL, IPv4 / IPv6, UDP 500/4500
 * with the RFC 3948 non-ESP marker) and a reader of the hex dumps strongSwan's
 * charon writes at log level 4 ("LABEL => N bytes @ 0x...", then lines
 * "  16: 0A 1B ...  ascii").
 */
#ifndef RAG_INTEROP_IO_H
#define RAG_INTEROP_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pkt {
	uint8_t *data;		/* the IKE message (non-ESP marker stripped) */
	size_t len;
	unsigned int index;	/* record number in the pcap, 1-based */
};

struct pcap_stats {
	unsigned int esp;	/* ESP-in-UDP datagrams skipped */
	unsigned int keepalive;	/* NAT keepalives skipped */
};

struct logitem {
	char label[48];
	bool chd;		/* [CHD] rather than [IKE] */
	int thread;
	uint8_t *data;
	size_t len, want;
};

/*
 * Load every IKE message of the pcap at path into pkts[0..*n) (each data
 * malloc'ed; the caller frees).  Returns 0, or -1 with a message in err.
 * A truncated record, an IP fragment or a malformed header is an error.
 */
int interop_read_pcap(const char *path, struct pkt *pkts, size_t max, size_t *n,
		      struct pcap_stats *st, char *err, size_t errlen);

/*
 * Collect the [IKE] and [CHD] hex dumps of a charon log, in the order they
 * start, into items[0..*n) (data malloc'ed; the caller frees).  Dumps of
 * other threads may interleave.  Dumps longer than 4096 bytes are skipped.
 * Returns 0, or -1 with a message in err (also for an incomplete dump).
 */
int interop_read_log(const char *path, struct logitem *items, size_t max, size_t *n,
		     char *err, size_t errlen);

/* out = dir "/" name; false when it does not fit cap. */
bool interop_join_path(char *out, size_t cap, const char *dir, const char *name);

#endif
