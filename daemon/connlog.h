/*
 * connlog.h — the connection log, the auth log, the access-control log
 * (INTERFACES.md "The three logs") and the audit trail of admin changes,
 * written to <state-dir>/logs.db by a writer thread (store.h) that batches
 * rows into transactions, so the event loop only copies a record into a
 * queue.  connlog_close() (SIGTERM) flushes every queued row; a kill -9
 * loses only rows not yet committed (store.h "Durability"), and retention
 * (retention.h) deletes old rows.
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
#define CONNLOG_MAX_DELAY_MS 300	/* longest wait before commit (store.h) */
#define CONNLOG_STR        256		/* user, device, identities, reason */
#define CONNLOG_ALG        128		/* "aes256gcm16-prfsha384-x25519" */
#define CONNLOG_ADDR       64		/* "[2001:db8::1]:4500" */
#define CONNLOG_CMD        1024		/* audit: the request line */
#define CONNLOG_VALUE      4096		/* audit: old / new value */

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

enum connlog_audit_result {
	CONNLOG_AUDIT_OK = 1,
	CONNLOG_AUDIT_REFUSED = 2,	/* a valid or invalid request that changed nothing */
	CONNLOG_AUDIT_ERROR = 3,	/* the change failed (database error, no memory) */
};

/* One audit row (schema/logs/004_audit.sql).  Never put a secret here. */
struct connlog_audit {
	int64_t time_ms;		/* 0 = now */
	uint32_t uid;			/* caller (SO_PEERCRED) */
	int32_t pid;			/* 0 = unknown */
	char unix_user[64];		/* name of uid, "" when unresolvable */
	char command[CONNLOG_CMD];	/* the request line, secrets removed */
	char object[CONNLOG_STR];	/* "user alice", "" = none */
	bool has_old, has_new;		/* false: NULL (did not exist / removed) */
	char old_value[CONNLOG_VALUE];
	char new_value[CONNLOG_VALUE];
	enum connlog_audit_result result;
	char message[CONNLOG_STR];
};

/* What a retention pass did (retention.h). */
struct connlog_retention {
	int64_t cutoff_ms;		/* rows before this (UTC ms) were deleted */
	uint64_t deleted[4];		/* connection, auth, acl, audit */
	uint64_t pages;			/* pages given back to the file system */
	int error;			/* 0 or the negative errno that ended it */
	char message[CONNLOG_STR];	/* the failure, when error */
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
/* Audit rows may use the writer's reserve (a flood of connection rows does
 * not crowd them out); -EINVAL for a bad result. */
int connlog_audit(struct connlog *l, const struct connlog_audit *row);

/* [logs] retention in seconds (0 = keep everything).  The first call with a
 * non-zero value schedules a pass a minute later, then daily. */
void connlog_set_retention(struct connlog *l, uint32_t seconds);

/* Run a retention pass now and wait for it; *out (may be NULL) gets what it
 * did.  Returns its error (0) or -EINVAL when retention is 0. */
int connlog_retention_run(struct connlog *l, struct connlog_retention *out);

/* Block until every row queued before the call is committed. */
void connlog_flush(struct connlog *l);

/* Rows written, failed and dropped so far. */
void connlog_stats(struct connlog *l, uint64_t *written, uint64_t *failed, uint64_t *dropped);

/* The writer's counters (store.h: batches, WAL syncs, longest delay). */
struct store_writer_stats;
void connlog_writer_stats(struct connlog *l, struct store_writer_stats *st);

/* Flush, stop the writer, close logs.db, free (NULL is a no-op). */
void connlog_close(struct connlog *l);

/* "connect", "disconnect", "rekey", "fail" (NULL for others). */
const char *connlog_event_name(enum connlog_event ev);
/* "success", "failure", "locked". */
const char *connlog_result_name(enum connlog_result r);
/* "ok", "refused", "error". */
const char *connlog_audit_result_name(enum connlog_audit_result r);

/* Format sa as "1.2.3.4:500" or "[2001:db8::1]:4500" ("" for AF_UNSPEC). */
void connlog_format_addr(const struct sockaddr_storage *sa, char *out, size_t outlen);

#endif
