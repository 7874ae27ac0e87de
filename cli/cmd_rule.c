/*
 * cmd_rule.c — `rag-ctl rule add|del|list` (first match wins; no match =
 * deny).  Arguments are checked here (usage errors, exit 2) and again by
 * ragd (daemon/ctl_policy.c documents the request and listing format).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"
#include "policy.h"
#include "rag-ctl.h"

#define RULE_USAGE \
	"rule add --user-group G --host-group H --service-group S --action permit|deny " \
	"[--position N] [--no-log] | rule del ID | rule list [--json]"

enum { O_UG, O_HG, O_SG, O_ACTION, O_POS, O_NOLOG, O_JSON, O_N };

/* Print the listing: position id action user-group host-group service-group
 * log created. */
static void print_list(char *body, bool json)
{
	static const char *const keys[] = { "position", "id", "action", "user_group",
					    "host_group", "service_group", "log", "created" };
	char *save = NULL, *line;
	bool first = true;

	if (json)
		putchar('[');
	else
		printf("%-4s %-6s %-7s %-20s %-20s %-20s %s\n", "POS", "ID", "ACTION", "USER-GROUP",
		       "HOST-GROUP", "SERVICE-GROUP", "LOG");
	for (line = strtok_r(body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[8], *fs = NULL;
		size_t n = 0;

		for (char *t = strtok_r(line, "\t", &fs); t && n < 8; t = strtok_r(NULL, "\t", &fs))
			f[n++] = t;
		if (n != 8)
			continue;
		if (!json) {
			printf("%-4s %-6s %-7s %-20s %-20s %-20s %s\n", f[0], f[1], f[2], f[3], f[4],
			       f[5], f[6]);
			continue;
		}
		printf("%s{", first ? "" : ",");
		first = false;
		for (size_t k = 0; k < 8; k++) {
			printf("%s\"%s\":", k ? "," : "", keys[k]);
			if (k <= 1)
				printf("%s", f[k]);
			else if (k == 6)
				printf("%s", !strcmp(f[k], "yes") ? "true" : "false");
			else
				print_json_str(f[k]);
		}
		putchar('}');
	}
	if (json)
		printf("]\n");
}

/* rag-ctl rule ... */
int rule_main(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct opt_spec spec[O_N] = {
		[O_UG] = { "user-group", true, false },
		[O_HG] = { "host-group", true, false },
		[O_SG] = { "service-group", true, false },
		[O_ACTION] = { "action", true, false },
		[O_POS] = { "position", true, false },
		[O_NOLOG] = { "no-log", false, false },
		[O_JSON] = { "json", false, false },
	};
	struct opt_val v[O_N];
	const char *pos[1];
	char req[RAG_CTL_MAX_REQUEST];
	char *body = NULL;
	size_t npos;
	int rc;

	if (argc < 1)
		return usage_error("rule", RULE_USAGE, "missing subcommand");
	if (parse_opts("rule", argc - 1, argv + 1, spec, O_N, v, pos, 1, &npos) < 0)
		return usage_error("rule", RULE_USAGE, "bad arguments");
	if (!strcmp(argv[0], "add")) {
		if (npos || v[O_JSON].count)
			return usage_error("rule add", RULE_USAGE, "unexpected argument");
		if (!v[O_UG].count || !v[O_HG].count || !v[O_SG].count || !v[O_ACTION].count)
			return usage_error("rule add", RULE_USAGE, "needs --user-group, --host-group, "
					   "--service-group and --action");
		for (int k = O_UG; k <= O_SG; k++)
			if (!valid_name(v[k].val[0]))
				return usage_error("rule add", RULE_USAGE, "invalid --%s '%s'",
						   spec[k].name, v[k].val[0]);
		if (strcmp(v[O_ACTION].val[0], "permit") && strcmp(v[O_ACTION].val[0], "deny"))
			return usage_error("rule add", RULE_USAGE, "--action is permit or deny, not "
					   "'%s'", v[O_ACTION].val[0]);
		if (v[O_POS].count && !valid_uint(v[O_POS].val[0], 1, POL_RULES_MAX))
			return usage_error("rule add", RULE_USAGE, "--position '%s': a number from 1 "
					   "to %d", v[O_POS].val[0], POL_RULES_MAX);
		snprintf(req, sizeof(req), "rule add user-group=%s host-group=%s service-group=%s "
			 "action=%s%s%s%s", v[O_UG].val[0], v[O_HG].val[0], v[O_SG].val[0],
			 v[O_ACTION].val[0], v[O_POS].count ? " position=" : "",
			 v[O_POS].count ? v[O_POS].val[0] : "", v[O_NOLOG].count ? " log=no" : "");
		rc = ctl_request(ctx, "rule add", req, &body);
		if (rc == EXIT_OK) {
			unsigned int id = 0, at = 0;

			if (sscanf(body, "id: %u\nposition: %u", &id, &at) == 2)
				printf("rule %u added at position %u\n", id, at);
		}
		free(body);
		return rc;
	}
	for (int k = O_UG; k <= O_NOLOG; k++)
		if (v[k].count)
			return usage_error("rule", RULE_USAGE, "options are for 'rule add'");
	if (!strcmp(argv[0], "del")) {
		if (npos != 1 || !valid_uint(pos[0], 1, 4294967295ul) || v[O_JSON].count)
			return usage_error("rule del", RULE_USAGE, "needs one rule ID (a number "
					   "from 1)");
		snprintf(req, sizeof(req), "rule del %s", pos[0]);
		return ctl_request(ctx, "rule del", req, NULL);
	}
	if (!strcmp(argv[0], "list")) {
		if (npos)
			return usage_error("rule list", RULE_USAGE, "takes only --json");
		rc = ctl_request(ctx, "rule list", "rule list", &body);
		if (rc == EXIT_OK)
			print_list(body, v[O_JSON].count || ctx->json);
		free(body);
		return rc;
	}
	return usage_error("rule", RULE_USAGE, "unknown subcommand '%s'", argv[0]);
}
