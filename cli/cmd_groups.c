/*
 * cmd_groups.c — the three group families, which share one shape:
 *   group add NAME | group del NAME | group list [--json]
 *   group member add GROUP USER | group member del GROUP USER
 *   hostgroup add NAME [ADDR|CIDR]... | hostgroup member add|del NAME ADDR|CIDR...
 *   servicegroup add NAME [SERVICE]... | servicegroup member add|del NAME SERVICE...
 *   (host|service)group del NAME | (host|service)group list [--json]
 * The policy database arrives with the next milestone: arguments are
 * validated, then refused.
 */
#include <stdio.h>
#include <string.h>

#include "rag-ctl.h"

#define MAX_MEMBERS 256

struct family {
	const char *name;
	const char *usage;
	const char *member_what;	/* "member", for messages */
	bool (*member_ok)(const char *s);
	bool members_on_add;		/* "add NAME [MEMBER]..." */
};

/* Shared implementation of the three families. */
static int family_main(const struct family *f, struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct opt_spec spec[] = { { "json", false, false } };
	struct opt_val v[1];
	const char *pos[MAX_MEMBERS + 2];
	char what[64];
	const char *sub;
	size_t npos;

	(void)ctx;
	if (argc < 1)
		return usage_error(f->name, f->usage, "missing subcommand");
	sub = argv[0];
	if (parse_opts(f->name, argc - 1, argv + 1, spec, 1, v, pos, MAX_MEMBERS + 2, &npos) < 0)
		return usage_error(f->name, f->usage, "bad arguments");
	if (!strcmp(sub, "list")) {
		if (npos)
			return usage_error(f->name, f->usage, "'list' takes only --json");
		snprintf(what, sizeof(what), "%s list", f->name);
		return not_implemented(what);
	}
	if (v[0].count)
		return usage_error(f->name, f->usage, "--json is for 'list'");
	if (!strcmp(sub, "add") || !strcmp(sub, "del")) {
		size_t maxpos = !strcmp(sub, "add") && f->members_on_add ? MAX_MEMBERS + 1 : 1;

		if (npos < 1 || npos > maxpos)
			return usage_error(f->name, f->usage, "wrong number of arguments for '%s'", sub);
		if (!valid_name(pos[0]))
			return usage_error(f->name, f->usage, "invalid name '%s'", pos[0]);
		for (size_t i = 1; i < npos; i++)
			if (!f->member_ok(pos[i]))
				return usage_error(f->name, f->usage, "invalid %s '%s'",
						   f->member_what, pos[i]);
		snprintf(what, sizeof(what), "%s %s", f->name, sub);
		return not_implemented(what);
	}
	if (!strcmp(sub, "member")) {
		bool is_group = !f->members_on_add;

		if (npos < 1 || (strcmp(pos[0], "add") && strcmp(pos[0], "del")))
			return usage_error(f->name, f->usage, "'member' needs 'add' or 'del'");
		if (is_group ? npos != 3 : npos < 3)
			return usage_error(f->name, f->usage, "wrong number of arguments for 'member %s'",
					   pos[0]);
		if (!valid_name(pos[1]))
			return usage_error(f->name, f->usage, "invalid name '%s'", pos[1]);
		for (size_t i = 2; i < npos; i++)
			if (!f->member_ok(pos[i]))
				return usage_error(f->name, f->usage, "invalid %s '%s'",
						   f->member_what, pos[i]);
		snprintf(what, sizeof(what), "%s member %s", f->name, pos[0]);
		return not_implemented(what);
	}
	return usage_error(f->name, f->usage, "unknown subcommand '%s'", sub);
}

/* rag-ctl group ... (members are user names) */
int group_main(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct family f = {
		"group",
		"group add NAME | group del NAME | group list [--json] | "
		"group member add GROUP USER | group member del GROUP USER",
		"user name", valid_name, false,
	};

	return family_main(&f, ctx, argc, argv);
}

/* rag-ctl hostgroup ... (members are addresses or CIDRs) */
int hostgroup_main(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct family f = {
		"hostgroup",
		"hostgroup add NAME [ADDR|CIDR]... | hostgroup member add NAME ADDR|CIDR... | "
		"hostgroup member del NAME ADDR|CIDR... | hostgroup del NAME | hostgroup list [--json]",
		"address or CIDR", valid_addr_or_cidr, true,
	};

	return family_main(&f, ctx, argc, argv);
}

/* rag-ctl servicegroup ... (members are tcp/443, udp/53, tcp/8000-8080, icmp, any) */
int servicegroup_main(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct family f = {
		"servicegroup",
		"servicegroup add NAME [SERVICE]... | servicegroup member add NAME SERVICE... | "
		"servicegroup member del NAME SERVICE... | servicegroup del NAME | "
		"servicegroup list [--json]   (SERVICE = tcp/443, udp/53, tcp/8000-8080, icmp, any)",
		"service", valid_service, true,
	};

	return family_main(&f, ctx, argc, argv);
}
