/*
 * connlog.h — the connection log, the auth log and the access-control log
 * (INTERFACES.md "The three logs"), written to <state-dir>/logs.db by a writer thread (store.h) that
 * batches rows into transactions, so the event loop only copies a record
 * into a queue.  connlog_close() (SIGTERM) flushes every queued row.
 *
 * Times are UTC milliseconds since the epoch (shown in `timezone` by
 * rag-ctl).  Strings are copied and cut to the field sizes below; they are
 * stored as given (untrusted text is escaped when shown, not when stored).
 */
#ifndef RAG_CONNLOG_H
#define RAG_CONNLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CONNLOG_DB_FILE    "logs.db"
#define CONNLOG_MAX_QUEUE  65536	/* rows waiting; beyond: dropped, counted */
#define CONNLOG_STR        256		/* user, device, identities, reason */
#define CONNLOG_ALG        128		/* "aes256gcm16-prfsha384-x25519" */
#define CONNLOG_ADDR       64		/* "[2001:db8::1]:4500" */

struct connlog;

enum connlog_event {
	CONNLOG_CONNECT = 1,
	CONNLOG_DISCONNECT = 2,
	CONNLOG_REKEY = 3,
	CONNLOG_FAIL = 4,
};

/* One connection-log row.  Zero-initialise, fill what is known. */
struct connlog_conn {
	int64_t time_ms;		/* 0 = now */
	enum connlog_event event;
	uint64_t sa_id;			/* the runtime's IKE SA id (sa list --id) */
	char user[CONNLOG_STR];
	char device[CONNLOG_STR];	/* IKE ID / certificate subject */
	struct sockaddr_storage client;	/* outer address:port (AF_UNSPEC = unknown) */
	char vip4[CONNLOG_ADDR];	/* virtual IPs, "" = none */
	char vip6[CONNLOG_ADDR];
	uint64_t spi_i, spi_r;		/* IKE SPIs */
	char ike_alg[CONNLOG_ALG];	/* IKE proposal, strongSwan syntax */
	char esp_alg[CONNLOG_ALG];	/* ESP proposal */
	uint64_t bytes_in, bytes_out;	/* ESP, from the kernel counters */
	uint64_t packets_in, packets_out;
	uint32_t duration_s;		/* since connect (disconnect/fail/rekey) */
	char reason[CONNLOG_STR];	/* fail/disconnect reason */
};

enum connlog_result {
	CONNLOG_AUTH_SUCCESS = 1,
	CONNLOG_AUTH_FAILURE = 2,
	CONNLOG_AUTH_LOCKED = 3,
};

/* One auth-log row (issue 5 adds the certificate fields' users). */
struct connlog_auth {
	int64_t time_ms;		/* 0 = now */
	enum connlog_result result;
	uint64_t sa_id;
	char user[CONNLOG_STR];		/* resolved user name, "" = unknown */
	char identity[CONNLOG_STR];	/* EAP identity, else the IKE ID */
	char ike_id[CONNLOG_STR];	/* IDi as received */
	char method[32];		/* "eap-mschapv2", "eap-tls", "pubkey", "psk" */
	char reason[CONNLOG_STR];	/* "bad password", "unknown user", ... */
	struct sockaddr_storage client;
	char cert_subject[CONNLOG_STR];	/* client certificate, where there is one */
	char cert_issuer[CONNLOG_STR];
	char cert_serial[80];		/* hex */
	char cert_sha256[96];		/* hex */
};

/* One access-control-log row (schema/logs/003_acl.sql): a new permitted
 * flow or a denied packet from a virtual IP, read from NFLOG (issue 4). */
struct connlog_acl {
	int64_t time_ms;		/* 0 = now */
	bool permit;			/* else deny */
	uint32_t rule_id;		/* 0 = the default deny (no rule matched) */
	uint64_t sa_id;			/* 0 = unknown */
	char user[CONNLOG_STR];		/* "" = no user holds the virtual IP */
	char vip[CONNLOG_ADDR];		/* source (virtual) address */
	char dst[CONNLOG_ADDR];		/* destination address, "" = summary row */
	char proto[16];			/* "tcp", "udp", "icmp", "icmpv6", a number */
	int32_t src_port, dst_port;	/* -1 = none (protocols without ports) */
	uint64_t suppressed;		/* denials before this row not recorded */
};

/*
 * Open <state_dir>/logs.db (created 0600, migrated) and start the writer.
 * Returns 0 or a negative errno with err filled.
 */
int connlog_open(struct connlog **out, const char *state_dir, char *err, size_t errlen);

/* Queue a row (copied; any thread).  0, -EAGAIN (queue full: dropped and
 * counted), -EINVAL (bad event/result), -ENOMEM. */
int connlog_connection(struct connlog *l, const struct connlog_conn *row);
int connlog_auth(struct connlog *l, const struct connlog_auth *row);
int connlog_acl(struct connlog *l, const struct connlog_acl *row);

/* Block until every row queued before the call is committed. */
void connlog_flush(struct connlog *l);

/* Rows written, failed and dropped so far. */
void connlog_stats(struct connlog *l, uint64_t *written, uint64_t *failed, uint64_t *dropped);

/* Flush, stop the writer, close logs.db, free (NULL is a no-op). */
void connlog_close(struct connlog *l);

/* "connect", "disconnect", "rekey", "fail" (NULL for others). */
const char *connlog_event_name(enum connlog_event ev);
/* "success", "failure", "locked". */
const char *connlog_result_name(enum connlog_result r);

/* Format sa as "1.2.3.4:500" or "[2001:db8::1]:4500" ("" for AF_UNSPEC). */
void connlog_format_addr(const struct sockaddr_storage *sa, char *out, size_t outlen);

#endif
