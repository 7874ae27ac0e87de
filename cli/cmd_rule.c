/*
 * cmd_rule.c — `rag-ctl rule add|del|list` (first match wins; no match =
 * deny).  The policy database arrives with the next milestone: arguments are
 * validated, then refused.
 */
#include <string.h>

#include "rag-ctl.h"

#define RULE_USAGE \
	"rule add --user-group G --host-group H --service-group S --action permit|deny " \
	"[--position N] [--no-log] | rule del ID | rule list [--json]"

enum { O_UG, O_HG, O_SG, O_ACTION, O_POS, O_NOLOG, O_JSON, O_N };

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
	size_t npos;

	(void)ctx;
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
		if (!valid_name(v[O_UG].val[0]) || !valid_name(v[O_HG].val[0]) ||
		    !valid_name(v[O_SG].val[0]))
			return usage_error("rule add", RULE_USAGE, "invalid group name");
		if (strcmp(v[O_ACTION].val[0], "permit") && strcmp(v[O_ACTION].val[0], "deny"))
			return usage_error("rule add", RULE_USAGE, "--action is permit or deny");
		if (v[O_POS].count && !valid_uint(v[O_POS].val[0], 1, 100000))
			return usage_error("rule add", RULE_USAGE, "--position is a number from 1");
		return not_implemented("rule add");
	}
	for (int k = O_UG; k <= O_NOLOG; k++)
		if (v[k].count)
			return usage_error("rule", RULE_USAGE, "options are for 'rule add'");
	if (!strcmp(argv[0], "del")) {
		if (npos != 1 || !valid_uint(pos[0], 1, 4294967295ul) || v[O_JSON].count)
			return usage_error("rule del", RULE_USAGE, "needs one rule ID");
		return not_implemented("rule del");
	}
	if (!strcmp(argv[0], "list")) {
		if (npos)
			return usage_error("rule list", RULE_USAGE, "takes only --json");
		return not_implemented("rule list");
	}
	return usage_error("rule", RULE_USAGE, "unknown subcommand '%s'", argv[0]);
}
