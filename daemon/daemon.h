/*
 * daemon.h — ragd's run-time state and its single event loop (epoll over a
 * signalfd, a timerfd and the control socket).  Layout for the next
 * milestones: the IKE sockets, the kernel (XFRM/nftables) channel and the
 * databases become further fds in the same loop.
 */
#ifndef RAG_DAEMON_H
#define RAG_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "conf.h"
#include "ctl_audit.h"
#include "ctl_proto.h"
#include "pki.h"

/* epoll data.u32 tags */
enum ragd_tag {
	RAGD_TAG_SIG = 1,
	RAGD_TAG_TIMER = 2,
	RAGD_TAG_CTL = 3,
	RAGD_TAG_CLIENT = 16,		/* + client slot */
	RAGD_TAG_WORKERS = 48,		/* responder: worker completions */
	RAGD_TAG_KERN = 49,		/* responder: XFRM events */
	RAGD_TAG_NFLOG = 50,		/* acl.h: the access-control log */
	RAGD_TAG_NET = 64,		/* responder: + IKE socket index */
};

struct ctl_client {
	int fd;				/* -1 = free slot */
	uid_t uid;
	pid_t pid;
	uint64_t deadline_ms;		/* monotonic; dropped after this */
	size_t in_len;
	char in[RAG_CTL_MAX_REQUEST];
	char *out;			/* response being written */
	size_t out_len, out_off;
	const char *secret;		/* hex second line (RAG_CTL_SECRET_MARK), */
	size_t secret_len;		/* valid during the command only */
	bool audited;			/* this request is being audited (ctl_audit.h), */
	struct ctl_audit *audit;	/* with this state (NULL: out of memory) */
};

struct rag_resp;
struct rag_acl;
struct secrets;
struct users;
struct connlog;
struct logsign;
struct rag_policy;

struct ragd {
	/* configuration */
	const char *config_path;
	bool config_explicit;		/* -c given: a missing file is an error */
	bool config_from_file;		/* false: running on embedded defaults */
	struct rag_config *cfg;
	struct rag_pki pki;

	/* event loop */
	int epfd, sigfd, timerfd, ctlfd;
	char ctl_path[RAG_CONF_SOCK_MAX + 1];	/* bound path, unlinked at exit */
	dev_t ctl_dev;
	ino_t ctl_ino;
	struct ctl_client clients[RAG_CTL_MAX_CLIENTS];
	uint64_t watchdog_usec;		/* 0 = no watchdog */
	uint64_t next_watchdog_ms;
	uint64_t next_clock_check_ms;	/* monotonic; ragd_clock_check() */
	struct timespec started;	/* CLOCK_MONOTONIC */
	time_t started_wall;
	bool quit;
	unsigned int reloads;

	/* the IKE responder (responder.h); NULL until started */
	struct rag_resp *resp;

	/* databases (ctl_users.c): secrets.key in guarded memory, the users
	 * (rag.db, users.h) and the connection/auth logs (logs.db, connlog.h) */
	struct secrets *secrets;
	struct users *users;
	struct connlog *connlog;
	struct logsign *logsign;	/* log-signing key (logsign.h), opened with the stores */

	/* the access policy (policy.h, ctl_policy.c): rag.db's groups and
	 * rules as the current snapshot; NULL until ragd_policy_open */
	struct rag_policy *policy;

	/* access control (acl.h): nftables enforcement and the acl log */
	struct rag_acl *acl;

	/* the configuration in force, as the audit log describes it
	 * (ctl_audit_config_desc) */
	char config_desc[CTL_AUDIT_CONFIG_DESC];
};

/*
 * Load the configuration (embedded defaults when the default file does not
 * exist), resolve the id, create or reuse generated certificates (unless
 * check_only) and load and validate keys and certificates.  On success *cfg
 * and *pki are filled (caller frees); every problem goes to errs.
 * *from_file tells whether a file was read.  Returns 0 or -EINVAL.
 */
int ragd_load(const char *path, bool explicit_path, bool check_only,
	      struct rag_config **cfg, struct rag_pki *pki, bool *from_file,
	      struct rag_conf_errors *errs);

/* Print errs to stderr, one per line ("ragd: " prefix for check mode). */
void ragd_print_errors(const struct rag_conf_errors *errs, bool as_log);

/* Run the daemon until SIGTERM/SIGINT; returns the process exit status. */
int ragd_run(const char *config_path, bool explicit_path);

/* Re-read configuration and certificates, keeping the old ones on error.
 * Returns 0 or -EINVAL with the reasons in errs. */
int ragd_reload(struct ragd *d, struct rag_conf_errors *errs);

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t ragd_now_ms(void);

/* ---- control socket (ctl_server.c) ---- */

/* Create, bind (0660, group "rag" when it exists) and listen on path; the
 * directory is created (0750) if missing; a stale socket is replaced, a live
 * one is an error.  Returns the fd or a negative errno (logged). */
int ctl_listen(struct ragd *d, const char *path);
/* Accept pending connections on the listening socket. */
void ctl_accept(struct ragd *d);
/* Handle readiness of client slot i. */
void ctl_client_event(struct ragd *d, unsigned int i, uint32_t events);
/* Drop clients past their deadline. */
void ctl_expire(struct ragd *d, uint64_t now_ms);
/* Close every client and the listening socket, unlink the socket path. */
void ctl_close(struct ragd *d);

/* ---- users and logs (ctl_users.c) ---- */

/* Load (creating on first start) secrets.key, open and migrate rag.db and
 * logs.db in the state directory, apply the lockout policy.  Returns 0 or a
 * negative errno (logged, naming the file). */
int ragd_stores_open(struct ragd *d);
/* The configuration changed: apply [auth] lockout-* to the users. */
void ragd_stores_reload(struct ragd *d);
/* Flush queued log rows and counter updates, close everything (SIGTERM). */
void ragd_stores_close(struct ragd *d);
/* Text sink for a control response. */
typedef void (*ctl_emit_fn)(void *arg, const char *text);
/* The "user ..." control command (args after "user"; c->secret when the
 * request carried one); writes the whole response ("OK\n..." or "ERR ..."). */
void ctl_users_cmd(struct ragd *d, struct ctl_client *c, char *args, ctl_emit_fn emit,
		   void *arg);

/* The "log ..." control command (ctl_log.c): "log sign HEX" signs an
 * export-bundle manifest with the log-signing key. */
void ctl_log_cmd(struct ragd *d, struct ctl_client *c, char *args, ctl_emit_fn emit,
		 void *arg);

/* ---- the access policy (ctl_policy.c; the runtime API is in policy.h) ---- */

/* "group|hostgroup|servicegroup ..." (family: enum pol_family of
 * policy_db.h) and "rule ..." control commands; write the whole response. */
void ctl_policy_group_cmd(struct ragd *d, struct ctl_client *c, int family, char *args,
			  ctl_emit_fn emit, void *arg);
void ctl_policy_rule_cmd(struct ragd *d, struct ctl_client *c, char *args, ctl_emit_fn emit,
			 void *arg);
/* A user was added or deleted (memberships change with it): reload. */
void ctl_policy_users_changed(struct ragd *d);

/* Whether the kernel clock is synchronised (adjtimex, read-only): 1 yes,
 * 0 no (TIME_ERROR or STA_UNSYNC), -1 unknown (adjtimex failed). */
int ragd_clock_synced(void);

#define RAGD_CLOCK_CHECK_MS (3600u * 1000u)
/* Issue 5 point 7: log times must come from a synchronised clock.  When
 * RAGD_CLOCK_CHECK_MS have passed since the last check (the first call
 * checks at once), warn if the clock is not synchronised.  now_ms is
 * ragd_now_ms(); returns what ragd_clock_synced() said, or 2 when it was not
 * time to check. */
int ragd_clock_check(struct ragd *d, uint64_t now_ms);

#endif
