/*
 * cmd_sa.c — `rag-ctl sa list [--user U] [--json]` and
 * `rag-ctl sa kill (--user U | --id ID)` (INTERFACES.md).  The daemon side
 * is responder.c; requests are "sa list [json] [user NAME]",
 * "sa kill user NAME" and "sa kill id ID".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"
#include "rag-ctl.h"

#define SA_USAGE "sa list [--user U] [--json] | sa kill (--user U | --id ID)"

/* Send req; print the body (listings) or the daemon's message; map the
 * status to the exit codes of INTERFACES.md. */
static int sa_call(struct ctl_ctx *ctx, const char *what, const char *req, bool print_body)
{
	char *msg = NULL, *body = NULL;
	int code = ctl_call(ctx, req, &msg, &body);

	if (code < 0)
		return EXIT_UNREACHABLE;
	if (code == 0 && body && (print_body || body[0]))
		fputs(body, stdout);
	else if (code != 0)
		fprintf(stderr, "rag-ctl: %s: %s\n", what, msg && msg[0] ? msg : "refused");
	free(msg);
	free(body);
	if (code == 0)
		return EXIT_OK;
	return code == RAG_CTL_E_USAGE ? EXIT_USAGE : EXIT_REFUSED;
}

/* rag-ctl sa ... */
int sa_main(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct opt_spec spec[] = {
		{ "user", true, false }, { "id", true, false }, { "json", false, false },
	};
	struct opt_val v[3];
	const char *pos[1];
	char req[256];
	size_t npos;

	if (argc < 1)
		return usage_error("sa", SA_USAGE, "missing subcommand");
	if (parse_opts("sa", argc - 1, argv + 1, spec, 3, v, pos, 0, &npos) < 0)
		return usage_error("sa", SA_USAGE, "bad arguments");
	if (v[0].count && !valid_name(v[0].val[0]))
		return usage_error("sa", SA_USAGE, "invalid user name '%s'", v[0].val[0]);
	if (!strcmp(argv[0], "list")) {
		if (v[1].count)
			return usage_error("sa list", SA_USAGE, "--id is for 'sa kill'");
		snprintf(req, sizeof(req), "sa list%s%s%s", v[2].count || ctx->json ? " json" : "",
			 v[0].count ? " user " : "", v[0].count ? v[0].val[0] : "");
		return sa_call(ctx, "sa list", req, true);
	}
	if (!strcmp(argv[0], "kill")) {
		if (v[2].count)
			return usage_error("sa kill", SA_USAGE, "--json is for listings");
		if (v[0].count + v[1].count != 1)
			return usage_error("sa kill", SA_USAGE, "give exactly one of --user, --id");
		if (v[1].count && !valid_sa_id(v[1].val[0]))
			return usage_error("sa kill", SA_USAGE, "invalid SA id '%s'", v[1].val[0]);
		if (v[0].count)
			snprintf(req, sizeof(req), "sa kill user %s", v[0].val[0]);
		else
			snprintf(req, sizeof(req), "sa kill id %s", v[1].val[0]);
		return sa_call(ctx, "sa kill", req, false);
	}
	return usage_error("sa", SA_USAGE, "unknown subcommand '%s'", argv[0]);
}
