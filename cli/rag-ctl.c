/*
 * rag-ctl.c — the admin CLI's entry point: global options and the command
 * table (wireguard-tools style: one entry per command family, one file per
 * family).  Exit codes: 0 ok, 1 refused, 2 usage, 3 daemon unreachable.
 *
 *   rag-ctl [-c FILE] [--socket PATH] [--json] COMMAND [ARGS...]
 * The socket defaults to $RAG_CTL_SOCKET, else /run/rag/ragd.sock.  The
 * configuration (read by the log commands: state-dir, timezone, [logs]) is
 * -c/--config, $RAG_CONF, else /etc/rag/ragd.conf or ragd's embedded
 * defaults when that does not exist.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "config.h"
#include "rag-ctl.h"

static const struct {
	const char *name;
	int (*fn)(struct ctl_ctx *ctx, int argc, char **argv);
	const char *help;
} commands[] = {
	{ "status", status_main, "daemon, version, SA counts, clock sync state" },
	{ "reload", reload_main, "re-read configuration and certificates" },
	{ "sa", sa_main, "list | kill IKE SAs" },
	{ "user", user_main, "add | del | passwd | psk | lock | unlock | list users" },
	{ "group", group_main, "user groups and their members" },
	{ "hostgroup", hostgroup_main, "destination address groups" },
	{ "servicegroup", servicegroup_main, "service (protocol/port) groups" },
	{ "rule", rule_main, "access rules: add | del | list (first match wins)" },
	{ "log", log_main, "search | export | verify the connection, acl, auth and audit logs" },
};

/* Print the overview to f. */
static void usage(FILE *f)
{
	fprintf(f, "usage: rag-ctl [-c FILE] [--socket PATH] [--json] COMMAND [ARGS...]\n\n"
		"commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nListings take --json.  Secrets are read only from standard input "
		"(--password-stdin).\nThe control socket is --socket, $RAG_CTL_SOCKET or %s.\n"
		"The configuration (log commands) is -c/--config, $RAG_CONF or %s.\n"
		"Exit status: 0 ok, 1 refused, 2 usage, 3 ragd unreachable.\n",
		RAG_CTL_DEFAULT_SOCKET, RAG_DEFAULT_CONFIG);
}

/* Global options, then dispatch to the command family; returns the exit
 * status (0 ok, 1 refused, 2 usage, 3 unreachable). */
int main(int argc, char **argv)
{
	struct ctl_ctx ctx = { .socket = getenv("RAG_CTL_SOCKET"), .config = getenv("RAG_CONF") };
	int i = 1;

	ctx.socket_set = ctx.socket && ctx.socket[0];
	if (!ctx.socket_set)
		ctx.socket = RAG_CTL_DEFAULT_SOCKET;
	if (ctx.config && !ctx.config[0])
		ctx.config = NULL;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--socket") && i + 1 < argc) {
			ctx.socket = argv[++i];
			ctx.socket_set = true;
		} else if (!strncmp(a, "--socket=", 9)) {
			ctx.socket = a + 9;
			ctx.socket_set = true;
		} else if ((!strcmp(a, "-c") || !strcmp(a, "--config")) && i + 1 < argc) {
			ctx.config = argv[++i];
		} else if (!strncmp(a, "--config=", 9)) {
			ctx.config = a + 9;
		} else if (!strcmp(a, "--json")) {
			ctx.json = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "--version")) {
			printf("rag-ctl %s\n", RAG_VERSION);
			return EXIT_OK;
		} else {
			fprintf(stderr, "rag-ctl: unknown option '%s'\n", a);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i == argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!ctx.socket[0]) {
		fprintf(stderr, "rag-ctl: empty --socket\n");
		return EXIT_USAGE;
	}
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
		if (strcmp(commands[k].name, argv[i]))
			continue;
		/* --json given before the command also applies to listings */
		if (ctx.json && strcmp(argv[i], "status")) {
			/* pass it on as if it followed the command */
			int n = argc - i - 1;
			char **v = calloc((size_t)n + 2, sizeof(*v));
			int rc;

			if (!v)
				return EXIT_REFUSED;
			memcpy(v, argv + i + 1, (size_t)n * sizeof(*v));
			v[n] = (char *)"--json";
			rc = commands[k].fn(&ctx, n + 1, v);
			free(v);
			return rc;
		}
		return commands[k].fn(&ctx, argc - i - 1, argv + i + 1);
	}
	fprintf(stderr, "rag-ctl: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return EXIT_USAGE;
}
