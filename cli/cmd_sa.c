/*
 * cmd_sa.c — `rag-ctl sa list [--user U] [--json]` and
 * `rag-ctl sa kill (--user U | --id ID)`.  The daemon side (IKE SAs) arrives
 * with the responder milestone: arguments are validated, then refused.
 */
#include <string.h>

#include "rag-ctl.h"

#define SA_USAGE "sa list [--user U] [--json] | sa kill (--user U | --id ID)"

/* rag-ctl sa ... */
int sa_main(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct opt_spec spec[] = {
		{ "user", true, false }, { "id", true, false }, { "json", false, false },
	};
	struct opt_val v[3];
	const char *pos[1];
	size_t npos;

	(void)ctx;
	if (argc < 1)
		return usage_error("sa", SA_USAGE, "missing subcommand");
	if (parse_opts("sa", argc - 1, argv + 1, spec, 3, v, pos, 0, &npos) < 0)
		return usage_error("sa", SA_USAGE, "bad arguments");
	if (v[0].count && !valid_name(v[0].val[0]))
		return usage_error("sa", SA_USAGE, "invalid user name '%s'", v[0].val[0]);
	if (!strcmp(argv[0], "list")) {
		if (v[1].count)
			return usage_error("sa list", SA_USAGE, "--id is for 'sa kill'");
		return not_implemented("sa list");
	}
	if (!strcmp(argv[0], "kill")) {
		if (v[2].count)
			return usage_error("sa kill", SA_USAGE, "--json is for listings");
		if (v[0].count + v[1].count != 1)
			return usage_error("sa kill", SA_USAGE, "give exactly one of --user, --id");
		if (v[1].count && !valid_sa_id(v[1].val[0]))
			return usage_error("sa kill", SA_USAGE, "invalid SA id '%s'", v[1].val[0]);
		return not_implemented("sa kill");
	}
	return usage_error("sa", SA_USAGE, "unknown subcommand '%s'", argv[0]);
}
