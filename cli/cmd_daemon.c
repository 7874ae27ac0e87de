/*
 * cmd_daemon.c — `rag-ctl status` and `rag-ctl reload`: answered by ragd.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ctl_proto.h"
#include "rag-ctl.h"

/* Map a ctl_call() result to an exit code, printing refusals. */
static int finish(const char *what, int code, const char *msg, const char *body)
{
	if (code < 0)
		return EXIT_UNREACHABLE;
	if (code == RAG_CTL_E_UNKNOWN) {
		fprintf(stderr, "rag-ctl: this ragd does not know '%s' (%s)\n", what, msg);
		return EXIT_REFUSED;
	}
	fprintf(stderr, "rag-ctl: %s refused: %s\n", what, msg);
	if (body)
		fputs(body, stderr);
	return code == RAG_CTL_E_USAGE ? EXIT_USAGE : EXIT_REFUSED;
}

/* rag-ctl status [--json]: daemon, version, SA counts, clock sync state. */
int status_main(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct opt_spec spec[] = { { "json", false, false } };
	struct opt_val v[1];
	const char *pos[1];
	size_t npos;
	char *msg, *body;
	int code, rc;

	if (parse_opts("status", argc, argv, spec, 1, v, pos, 0, &npos) < 0)
		return usage_error("status", "status [--json]", "bad arguments");
	code = ctl_call(ctx, "status", &msg, &body);
	if (code != 0) {
		rc = finish("status", code, msg ? msg : "", body);
	} else {
		if (ctx->json || v[0].count)
			print_kv_json(body);
		else
			fputs(body, stdout);
		rc = EXIT_OK;
	}
	free(msg);
	free(body);
	return rc;
}

/* rag-ctl reload: re-read configuration and certificates. */
int reload_main(struct ctl_ctx *ctx, int argc, char **argv)
{
	char *msg, *body;
	int code, rc;

	(void)argv;
	if (argc)
		return usage_error("reload", "reload", "takes no arguments");
	code = ctl_call(ctx, "reload", &msg, &body);
	if (code != 0) {
		rc = finish("reload", code, msg ? msg : "", body);
	} else {
		fputs(body, stdout);
		rc = EXIT_OK;
	}
	free(msg);
	free(body);
	return rc;
}
