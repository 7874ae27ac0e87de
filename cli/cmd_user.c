/*
 * cmd_user.c — `rag-ctl user add|del|passwd|lock|unlock|list`.  Secrets only
 * via --password-stdin.  The user database arrives with the next milestone:
 * arguments are validated, then refused.
 */
#include <string.h>

#include "rag-ctl.h"

#define USER_USAGE \
	"user add NAME [--password-stdin] [--group G]... [--cert-subject DN] | " \
	"user del NAME | user passwd NAME --password-stdin | user lock NAME | " \
	"user unlock NAME | user list [--json]"

enum { O_PWSTDIN, O_GROUP, O_SUBJECT, O_JSON, O_N };

/* rag-ctl user ... */
int user_main(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct opt_spec spec[O_N] = {
		[O_PWSTDIN] = { "password-stdin", false, false },
		[O_GROUP] = { "group", true, true },
		[O_SUBJECT] = { "cert-subject", true, false },
		[O_JSON] = { "json", false, false },
	};
	struct opt_val v[O_N];
	const char *pos[2];
	const char *sub;
	size_t npos;

	(void)ctx;
	if (argc < 1)
		return usage_error("user", USER_USAGE, "missing subcommand");
	sub = argv[0];
	if (parse_opts("user", argc - 1, argv + 1, spec, O_N, v, pos, 2, &npos) < 0)
		return usage_error("user", USER_USAGE, "bad arguments");
	if (!strcmp(sub, "list")) {
		if (npos || v[O_PWSTDIN].count || v[O_GROUP].count || v[O_SUBJECT].count)
			return usage_error("user list", USER_USAGE, "takes only --json");
		return not_implemented("user list");
	}
	if (strcmp(sub, "add") && strcmp(sub, "del") && strcmp(sub, "passwd") &&
	    strcmp(sub, "lock") && strcmp(sub, "unlock"))
		return usage_error("user", USER_USAGE, "unknown subcommand '%s'", sub);
	if (npos != 1)
		return usage_error("user", USER_USAGE, "'user %s' takes one NAME", sub);
	if (!valid_name(pos[0]))
		return usage_error("user", USER_USAGE, "invalid user name '%s'", pos[0]);
	if (v[O_JSON].count)
		return usage_error("user", USER_USAGE, "--json is for 'user list'");
	if (!strcmp(sub, "add")) {
		for (int i = 0; i < v[O_GROUP].count; i++)
			if (!valid_name(v[O_GROUP].val[i]))
				return usage_error("user add", USER_USAGE, "invalid group name '%s'",
						   v[O_GROUP].val[i]);
		if (v[O_SUBJECT].count && !valid_dn(v[O_SUBJECT].val[0]))
			return usage_error("user add", USER_USAGE, "invalid --cert-subject");
		return not_implemented("user add");
	}
	if (v[O_GROUP].count || v[O_SUBJECT].count)
		return usage_error("user", USER_USAGE, "--group/--cert-subject are for 'user add'");
	if (!strcmp(sub, "passwd")) {
		if (!v[O_PWSTDIN].count)
			return usage_error("user passwd", USER_USAGE, "needs --password-stdin");
		return not_implemented("user passwd");
	}
	if (v[O_PWSTDIN].count)
		return usage_error("user", USER_USAGE, "--password-stdin is for add/passwd");
	if (!strcmp(sub, "del"))
		return not_implemented("user del");
	if (!strcmp(sub, "lock"))
		return not_implemented("user lock");
	return not_implemented("user unlock");
}
