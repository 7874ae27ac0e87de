/*
 * cmd_log.c — `rag-ctl log search|export|verify` (INTERFACES.md).
 *
 * search and export read <state-dir>/logs.db directly, read-only
 * (log_query.h); times are parsed and shown in the configured timezone
 * (log_time.h).  export asks ragd to sign the bundle's manifest over the
 * control socket ("log sign", daemon/ctl_log.c): the private key never
 * leaves ragd.  verify needs only the bundle and the public key.  The
 * configuration comes from -c/--config, $RAG_CONF, /etc/rag/ragd.conf or,
 * when that does not exist, ragd's embedded defaults (conf.c, ragd's own
 * parser).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "conf.h"
#include "connlog.h"
#include "log_bundle.h"
#include "log_query.h"
#include "log_time.h"
#include "logsign.h"
#include "rag-ctl.h"

#define LOG_USAGE \
	"log search --type connection|acl|auth|audit [--user U] [--since T] [--until T] " \
	"[--contains TEXT] [--limit N] [--json] | log export --from DATE --to DATE -o FILE | " \
	"log verify FILE [--key PUBFILE]"
#define TIME_HELP "times are ISO 8601 (2026-11-20, 2026-11-20T09:00[:SS][Z|+09:00]) or " \
	"relative (-30m, -2h, -7d)"

enum { O_TYPE, O_USER, O_SINCE, O_UNTIL, O_CONTAINS, O_LIMIT, O_JSON, O_FROM, O_TO,
       O_OUT, O_KEY, O_N };

/* Print a refusal ("rag-ctl: log CMD: why"); returns EXIT_REFUSED. */
static int refused(const char *cmd, const char *why)
{
	fprintf(stderr, "rag-ctl: log %s: %s\n", cmd, why);
	return EXIT_REFUSED;
}

/* Load the configuration the way ragd does and apply its timezone; on
 * error print every problem and return NULL. */
static struct rag_config *load_config(const struct ctl_ctx *ctx)
{
	const char *path = ctx->config ? ctx->config : RAG_DEFAULT_CONFIG;
	struct rag_conf_errors *errs = calloc(1, sizeof(*errs));
	struct rag_config *c = malloc(sizeof(*c));
	bool from_file;

	if (!errs || !c) {
		fprintf(stderr, "rag-ctl: out of memory\n");
		goto fail;
	}
	rag_config_init(c);
	if (rag_config_load_or_defaults(c, path, ctx->config != NULL, &from_file, errs) < 0 ||
	    errs->n) {
		fprintf(stderr, "rag-ctl: configuration %s:\n", path);
		for (size_t i = 0; i < errs->n; i++)
			fprintf(stderr, "  %s\n", errs->msg[i]);
		goto fail;
	}
	if (rag_config_resolve_id(c) < 0) {
		fprintf(stderr, "rag-ctl: %s: [gateway] id is not set and the host name is not "
			"usable as one\n", c->source);
		goto fail;
	}
	if (logt_set_zone(c->timezone) < 0) {
		fprintf(stderr, "rag-ctl: timezone %s is not usable\n", c->timezone);
		goto fail;
	}
	free(errs);
	return c;
fail:
	free(errs);
	free(c);
	return NULL;
}

/* Open <state-dir>/logs.db read-only; NULL after printing why. */
static sqlite3 *open_logs(const struct rag_config *c, const char *cmd)
{
	char path[RAG_CONF_PATH_MAX + 16], err[1024];
	struct stat st;
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/%s", c->state_dir, CONNLOG_DB_FILE);
	if (stat(path, &st) < 0) {
		snprintf(err, sizeof(err), "%s: %s (has ragd run with this state-dir?)", path,
			 strerror(errno));
		refused(cmd, err);
		return NULL;
	}
	if (logq_open(path, &db, err, sizeof(err)) < 0) {
		refused(cmd, err);
		return NULL;
	}
	return db;
}

/* rag-ctl log search ... (v: the parsed options). */
static int log_search(const struct ctl_ctx *ctx, struct opt_val *v)
{
	struct log_search q = { .until_ms = INT64_MAX };
	int64_t now = logt_now_ms(), oldest;
	char err[512], when[LOGT_FMT_MAX];
	struct rag_config *c;
	uint64_t rows, lim;
	sqlite3 *db;
	int rc;

	if (!v[O_TYPE].count)
		return usage_error("log search", LOG_USAGE, "needs --type");
	if (logq_type_parse(v[O_TYPE].val[0], &q.type) < 0)
		return usage_error("log search", LOG_USAGE, "--type is connection, acl, auth or audit");
	if (v[O_USER].count) {
		if (!valid_name(v[O_USER].val[0]))
			return usage_error("log search", LOG_USAGE, "invalid user name");
		q.user = v[O_USER].val[0];
	}
	if (v[O_CONTAINS].count) {
		q.contains = v[O_CONTAINS].val[0];
		if (!q.contains[0] || strlen(q.contains) > LOGQ_CONTAINS_MAX)
			return usage_error("log search", LOG_USAGE, "--contains is 1..%d bytes",
					   LOGQ_CONTAINS_MAX);
	}
	if (v[O_LIMIT].count) {
		if (rag_parse_uint(v[O_LIMIT].val[0], 1, 1000000000, &lim) < 0)
			return usage_error("log search", LOG_USAGE, "--limit is 1..1000000000");
		q.limit = lim;
	}
	c = load_config(ctx);
	if (!c)
		return EXIT_REFUSED;
	/* times are parsed in the configured zone, so after load_config() */
	if ((v[O_SINCE].count && logt_parse(v[O_SINCE].val[0], now, &q.since_ms) < 0) ||
	    (v[O_UNTIL].count && logt_parse(v[O_UNTIL].val[0], now, &q.until_ms) < 0)) {
		free(c);
		return usage_error("log search", LOG_USAGE, TIME_HELP);
	}
	oldest = now - (int64_t)c->retention * 1000;
	if (!v[O_SINCE].count)
		q.since_ms = oldest;
	/* an explicit --since before it, or an --until that ends before it */
	if (q.since_ms < oldest || q.until_ms <= oldest) {
		logt_format(oldest, when, sizeof(when));
		snprintf(err, sizeof(err), "the window reaches beyond retention (%u days): the "
			 "oldest searchable time is %s", c->retention / 86400, when);
		free(c);
		return refused("search", err);
	}
	if (q.until_ms <= q.since_ms) {
		free(c);
		return usage_error("log search", LOG_USAGE, "--until is not after --since");
	}
	db = open_logs(c, "search");
	free(c);
	if (!db)
		return EXIT_REFUSED;
	rc = logq_search(db, &q, ctx->json || v[O_JSON].count, stdout, &rows, err, sizeof(err));
	sqlite3_close(db);
	if (fflush(stdout) != 0 || ferror(stdout))
		return refused("search", "cannot write the output");
	return rc < 0 ? refused("search", err) : EXIT_OK;
}

/* What signing over the control socket needs. */
struct ragd_signer {
	struct ctl_ctx ctx;		/* socket: --socket, $RAG_CTL_SOCKET or control-socket */
	const char *pub_path;		/* checked against the answer when readable */
	bool unreachable;
};

/* bundle_sign_fn: "log sign HEX" to ragd. */
static int sign_via_ragd(void *arg, const uint8_t *msg, size_t len, uint8_t sig[LOGSIGN_SIG_LEN],
			 char *err, size_t errlen)
{
	struct ragd_signer *s = arg;
	char *req = malloc(2 * len + 16), *emsg = NULL, *body = NULL;
	uint8_t pk[LOGSIGN_PK_LEN];
	size_t siglen;
	int code, r = 0;

	if (!req) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memcpy(req, "log sign ", 9);
	sodium_bin2hex(req + 9, 2 * len + 1, msg, len);
	code = ctl_call(&s->ctx, req, &emsg, &body);
	free(req);
	if (code < 0) {
		s->unreachable = true;
		snprintf(err, errlen, "ragd signs the manifest and is not reachable at %s",
			 s->ctx.socket);
		return -EHOSTUNREACH;
	}
	if (code != 0) {
		snprintf(err, errlen, "ragd refused to sign: %s", emsg ? emsg : "");
		r = -EPERM;
	} else if (sodium_hex2bin(sig, LOGSIGN_SIG_LEN, body, strlen(body), "\n", &siglen,
				  NULL) != 0 || siglen != LOGSIGN_SIG_LEN) {
		snprintf(err, errlen, "ragd answered something that is not a signature");
		r = -EPROTO;
	} else if (logsign_pub_load(s->pub_path, pk, NULL, 0) == 0 &&
		   !logsign_verify(pk, msg, len, sig)) {
		snprintf(err, errlen, "ragd's signature does not verify with %s", s->pub_path);
		r = -EPROTO;
	}
	free(emsg);
	free(body);
	return r;
}

/* rag-ctl log export --from DATE --to DATE -o FILE. */
static int log_export(const struct ctl_ctx *ctx, struct opt_val *v)
{
	struct bundle_export x = { 0 };
	struct ragd_signer s = { .ctx = *ctx };
	char err[512], pub[RAG_CONF_PATH_MAX + 32];
	uint64_t rows[BUNDLE_N_FILES];
	struct rag_config *c;
	int r;

	if (!v[O_FROM].count || !v[O_TO].count || !v[O_OUT].count)
		return usage_error("log export", LOG_USAGE, "needs --from, --to and -o");
	if (!v[O_OUT].val[0][0])
		return usage_error("log export", LOG_USAGE, "empty output file name");
	c = load_config(ctx);
	if (!c)
		return EXIT_REFUSED;
	r = bundle_window(v[O_FROM].val[0], v[O_TO].val[0], logt_now_ms(), c->export_window,
			  c->retention, &x.win, err, sizeof(err));
	if (r < 0) {
		free(c);
		return r == -EINVAL ? usage_error("log export", LOG_USAGE, "%s", err) :
		       refused("export", err);
	}
	x.db = open_logs(c, "export");
	if (!x.db) {
		free(c);
		return EXIT_REFUSED;
	}
	if (!ctx->socket_set)
		s.ctx.socket = c->control_socket;
	snprintf(pub, sizeof(pub), "%s/%s", c->state_dir, LOGSIGN_PUB_FILE);
	s.pub_path = pub;
	x.gateway_id = c->id;
	x.timezone = c->timezone;
	x.out_path = v[O_OUT].val[0];
	x.sign = sign_via_ragd;
	x.sign_arg = &s;
	r = bundle_export(&x, rows, err, sizeof(err));
	sqlite3_close(x.db);
	if (r == 0)
		printf("wrote %s: %s..%s, rows: connection %llu, acl %llu, auth %llu\n",
		       x.out_path, v[O_FROM].val[0], v[O_TO].val[0], (unsigned long long)rows[0],
		       (unsigned long long)rows[1], (unsigned long long)rows[2]);
	free(c);
	if (r == 0)
		return EXIT_OK;
	refused("export", err);
	return s.unreachable ? EXIT_UNREACHABLE : EXIT_REFUSED;
}

/* bundle_report_fn: OK on stdout, problems on stderr. */
static void report(void *arg, const char *line)
{
	(void)arg;
	if (!strncmp(line, "OK", 2))
		printf("%s\n", line);
	else
		fprintf(stderr, "rag-ctl: log verify: %s\n", line);
}

/* rag-ctl log verify FILE [--key PUBFILE]. */
static int log_verify(const struct ctl_ctx *ctx, const char *file, struct opt_val *v)
{
	char path[RAG_CONF_PATH_MAX + 32], err[512];
	uint8_t pk[LOGSIGN_PK_LEN];
	int r;

	if (v[O_KEY].count) {
		snprintf(path, sizeof(path), "%s", v[O_KEY].val[0]);
	} else {
		struct rag_config *c = load_config(ctx);

		if (!c)
			return EXIT_REFUSED;
		snprintf(path, sizeof(path), "%s/%s", c->state_dir, LOGSIGN_PUB_FILE);
		free(c);
	}
	if (logsign_pub_load(path, pk, err, sizeof(err)) < 0)
		return refused("verify", err);
	r = bundle_verify_file(file, pk, report, NULL);
	return r == 0 ? EXIT_OK : EXIT_REFUSED;
}

/* rag-ctl log ... */
int log_main(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct opt_spec spec[O_N] = {
		[O_TYPE] = { "type", true, false },
		[O_USER] = { "user", true, false },
		[O_SINCE] = { "since", true, false },
		[O_UNTIL] = { "until", true, false },
		[O_CONTAINS] = { "contains", true, false },
		[O_LIMIT] = { "limit", true, false },
		[O_JSON] = { "json", false, false },
		[O_FROM] = { "from", true, false },
		[O_TO] = { "to", true, false },
		[O_OUT] = { "o", true, false },
		[O_KEY] = { "key", true, false },
	};
	struct opt_val v[O_N];
	const char *pos[1];
	size_t npos;

	if (argc < 1)
		return usage_error("log", LOG_USAGE, "missing subcommand");
	if (parse_opts("log", argc - 1, argv + 1, spec, O_N, v, pos, 1, &npos) < 0)
		return usage_error("log", LOG_USAGE, "bad arguments");
	if (!strcmp(argv[0], "search")) {
		if (npos || v[O_FROM].count || v[O_TO].count || v[O_OUT].count || v[O_KEY].count)
			return usage_error("log search", LOG_USAGE, "unexpected argument");
		return log_search(ctx, v);
	}
	for (int k = O_TYPE; k <= O_LIMIT; k++)
		if (v[k].count)
			return usage_error("log", LOG_USAGE, "option is for 'log search'");
	if (!strcmp(argv[0], "export")) {
		if (npos || v[O_KEY].count)
			return usage_error("log export", LOG_USAGE, "unexpected argument");
		return log_export(ctx, v);
	}
	if (v[O_FROM].count || v[O_TO].count || v[O_OUT].count)
		return usage_error("log", LOG_USAGE, "option is for 'log export'");
	if (!strcmp(argv[0], "verify")) {
		if (npos != 1 || !pos[0][0])
			return usage_error("log verify", LOG_USAGE, "needs one FILE");
		return log_verify(ctx, pos[0], v);
	}
	return usage_error("log", LOG_USAGE, "unknown subcommand '%s'", argv[0]);
}
