/*
 * rag-ctl.h — shared pieces of the admin CLI: exit codes (INTERFACES.md),
 * the per-invocation context, option parsing and argument validators, and
 * the daemon client.  One file per command family implements *_main().
 */
#ifndef RAG_CTL_H
#define RAG_CTL_H

#include <stdbool.h>
#include <stddef.h>

enum {
	EXIT_OK = 0,
	EXIT_REFUSED = 1,	/* message on stderr naming what and why */
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,	/* daemon not reachable */
};

#define RAG_CTL_DEFAULT_SOCKET "/run/rag/ragd.sock"

struct ctl_ctx {
	const char *socket;	/* --socket, $RAG_CTL_SOCKET or the default */
	bool socket_set;	/* --socket or $RAG_CTL_SOCKET given */
	const char *config;	/* -c/--config, $RAG_CONF, else NULL (the default) */
	bool json;		/* --json given before the command */
};

/* ---- option parsing (args.c) ---- */

#define OPT_MAX_VALUES 32

struct opt_spec {
	const char *name;	/* without "--", e.g. "user" */
	bool has_arg;
	bool multi;		/* may be repeated */
};

struct opt_val {
	int count;
	const char *val[OPT_MAX_VALUES];
};

/*
 * Parse argv[0..argc) against spec: "--name value", "--name=value", flags;
 * everything else is a positional (at most maxpos, "--" ends options).
 * vals[i] belongs to spec[i].  On a usage error prints it naming cmd and
 * returns -1.
 */
int parse_opts(const char *cmd, int argc, char **argv, const struct opt_spec *spec,
	       size_t nspec, struct opt_val *vals, const char **pos, size_t maxpos,
	       size_t *npos);

/* Print "rag-ctl: <cmd>: <msg>" plus "usage: rag-ctl <usage>"; returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "rag-ctl: 'what' is not implemented yet" on stderr; returns EXIT_REFUSED. */
int not_implemented(const char *what);

/* validators: true when s is acceptable */
bool valid_name(const char *s);			/* user/group names */
bool valid_dn(const char *s);
bool valid_uint(const char *s, unsigned long min, unsigned long max);
bool valid_sa_id(const char *s);

/* ---- daemon client (client.c) ---- */

/*
 * Send one request line to ragd and read the whole response.  Returns the
 * status (0 for "OK", else the ERR code) with *msg (ERR text) and *body
 * malloc'ed, or -1 when the daemon is unreachable (reason printed).
 */
int ctl_call(const struct ctl_ctx *ctx, const char *request, char **msg, char **body);

/*
 * ctl_call() for a command: on refusal prints "rag-ctl: <what>: <message>";
 * on success *body (when body is not NULL; caller frees) is the response
 * body.  Returns the exit status (0, 1 refused, 2 usage, 3 unreachable).
 */
int ctl_request(const struct ctl_ctx *ctx, const char *what, const char *request, char **body);

/* Print s as a JSON string (escaped). */
void print_json_str(const char *s);

/* Print a "key: value" body as a JSON object. */
void print_kv_json(const char *body);

/* ---- command families ---- */
int status_main(struct ctl_ctx *ctx, int argc, char **argv);
int reload_main(struct ctl_ctx *ctx, int argc, char **argv);
int sa_main(struct ctl_ctx *ctx, int argc, char **argv);
int user_main(struct ctl_ctx *ctx, int argc, char **argv);
int group_main(struct ctl_ctx *ctx, int argc, char **argv);
int hostgroup_main(struct ctl_ctx *ctx, int argc, char **argv);
int servicegroup_main(struct ctl_ctx *ctx, int argc, char **argv);
int rule_main(struct ctl_ctx *ctx, int argc, char **argv);
int log_main(struct ctl_ctx *ctx, int argc, char **argv);

#endif
