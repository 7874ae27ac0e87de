/*
 * cmd_groups.c — the three group families, which share one shape:
 *   group add NAME | group del NAME | group list [NAME] [--json]
 *   group member add GROUP USER | group member del GROUP USER
 *   hostgroup add NAME [ADDR|CIDR]... | hostgroup member add|del NAME ADDR|CIDR...
 *   servicegroup add NAME [SERVICE]... | servicegroup member add|del NAME SERVICE...
 *   (host|service)group del NAME | (host|service)group list [NAME] [--json]
 * Names, addresses and services are checked here (usage errors, exit 2,
 * with the same words as ragd: daemon/pol_parse.c) and again by ragd
 * (daemon/ctl_policy.c documents the requests and the listing format).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"
#include "policy.h"
#include "rag-ctl.h"

struct family {
	const char *name;
	const char *usage;
	bool users;		/* members are user names (group) */
	bool services;		/* members are SERVICEs, else ADDR|CIDR */
};

/* Check one member; prints the usage error naming it. */
static int member_ok(const struct family *f, const char *s)
{
	char err[256];
	struct pol_prefix p;
	struct pol_service v;

	if (f->users) {
		if (valid_name(s))
			return 0;
		return usage_error(f->name, f->usage, "invalid user name '%s'", s);
	}
	if (f->services ? pol_parse_service(s, &v, err, sizeof(err)) == 0 :
	    pol_parse_prefix(s, &p, err, sizeof(err)) == 0)
		return 0;
	return usage_error(f->name, f->usage, "%s", err);
}

/* Split "a,b,c" (or "-") in place and print it as a JSON array of strings
 * (numbers when num). */
static void json_list(char *s, bool num)
{
	char *save = NULL;
	bool first = true;

	putchar('[');
	if (strcmp(s, "-"))
		for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			if (!first)
				putchar(',');
			if (num)
				printf("%s", t);
			else
				print_json_str(t);
			first = false;
		}
	putchar(']');
}

/* Print the listing (ctl_policy.c: name count rules created [members]). */
static void print_list(const struct family *f, char *body, bool json)
{
	char *save = NULL, *line;
	bool first = true, header = false;

	if (json)
		putchar('[');
	for (line = strtok_r(body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *fl[5], *fs = NULL;
		size_t n = 0;

		for (char *t = strtok_r(line, "\t", &fs); t && n < 5; t = strtok_r(NULL, "\t", &fs))
			fl[n++] = t;
		if (n < 4)
			continue;
		if (!json) {
			if (!header)
				printf("%-24s %-7s %-16s %s\n", "NAME", "MEMBERS", "RULES",
				       n == 5 ? (f->users ? "USERS" : f->services ? "SERVICES" :
						 "DESTINATIONS") : "");
			header = true;
			printf("%-24s %-7s %-16s %s\n", fl[0], fl[1], fl[2], n == 5 ? fl[4] : "");
			continue;
		}
		printf("%s{\"name\":", first ? "" : ",");
		first = false;
		print_json_str(fl[0]);
		printf(",\"member_count\":%s", fl[1]);
		if (n == 5) {
			printf(",\"members\":");
			json_list(fl[4], false);
		}
		printf(",\"rules\":");
		json_list(fl[2], true);
		printf(",\"created\":");
		print_json_str(fl[3]);
		putchar('}');
	}
	if (json)
		printf("]\n");
}

/* Shared implementation of the three families. */
static int family_main(const struct family *f, struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct opt_spec spec[] = { { "json", false, false } };
	struct opt_val v[1];
	const char *pos[POL_CMD_MEMBERS_MAX + 4];
	char req[RAG_CTL_MAX_REQUEST], what[64];
	const char *sub;
	size_t npos, off, first_member, name_at;
	int rc;

	if (argc < 1)
		return usage_error(f->name, f->usage, "missing subcommand");
	sub = argv[0];
	if (parse_opts(f->name, argc - 1, argv + 1, spec, 1, v, pos, POL_CMD_MEMBERS_MAX + 4,
		       &npos) < 0)
		return usage_error(f->name, f->usage, "bad arguments (at most %d members in "
				   "one command)", POL_CMD_MEMBERS_MAX);
	if (!strcmp(sub, "list")) {
		char *body = NULL;

		if (npos > 1)
			return usage_error(f->name, f->usage, "'list' takes at most a NAME");
		if (npos && !valid_name(pos[0]))
			return usage_error(f->name, f->usage, "invalid name '%s'", pos[0]);
		snprintf(req, sizeof(req), "%s list%s%s", f->name, npos ? " " : "",
			 npos ? pos[0] : "");
		snprintf(what, sizeof(what), "%s list", f->name);
		rc = ctl_request(ctx, what, req, &body);
		if (rc == EXIT_OK)
			print_list(f, body, v[0].count || ctx->json);
		free(body);
		return rc;
	}
	if (v[0].count)
		return usage_error(f->name, f->usage, "--json is for 'list'");
	if (!strcmp(sub, "add") || !strcmp(sub, "del")) {
		bool members = !strcmp(sub, "add") && !f->users;

		if (npos < 1 || (!members && npos != 1))
			return usage_error(f->name, f->usage, "wrong number of arguments for '%s'",
					   sub);
		name_at = 0;
		first_member = 1;
		off = (size_t)snprintf(req, sizeof(req), "%s %s", f->name, sub);
	} else if (!strcmp(sub, "member")) {
		if (npos < 1 || (strcmp(pos[0], "add") && strcmp(pos[0], "del")))
			return usage_error(f->name, f->usage, "'member' needs 'add' or 'del'");
		if (f->users ? npos != 3 : npos < 3)
			return usage_error(f->name, f->usage, "wrong number of arguments for "
					   "'member %s'", pos[0]);
		name_at = 1;
		first_member = 2;
		off = (size_t)snprintf(req, sizeof(req), "%s member %s", f->name, pos[0]);
	} else {
		return usage_error(f->name, f->usage, "unknown subcommand '%s'", sub);
	}
	if (!valid_name(pos[name_at]))
		return usage_error(f->name, f->usage, "invalid name '%s' (1-64 of A-Z a-z 0-9 "
				   ". _ @ -, not starting with . or -)", pos[name_at]);
	if (npos - first_member > POL_CMD_MEMBERS_MAX)
		return usage_error(f->name, f->usage, "at most %d members in one command",
				   POL_CMD_MEMBERS_MAX);
	for (size_t i = first_member; i < npos; i++)
		if (member_ok(f, pos[i]) != 0)
			return EXIT_USAGE;
	for (size_t i = name_at; i < npos; i++) {
		/* validated above: no spaces; POL_CMD_MEMBERS_MAX members fit */
		if (off + 1 + strlen(pos[i]) + 1 > sizeof(req))
			return usage_error(f->name, f->usage, "request too long");
		off += (size_t)snprintf(req + off, sizeof(req) - off, " %s", pos[i]);
	}
	snprintf(what, sizeof(what), "%s %s%s%s", f->name, sub, name_at ? " " : "",
		 name_at ? pos[0] : "");
	return ctl_request(ctx, what, req, NULL);
}

/* rag-ctl group ... (members are user names) */
int group_main(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct family f = {
		"group",
		"group add NAME | group del NAME | group list [NAME] [--json] | "
		"group member add GROUP USER | group member del GROUP USER",
		true, false,
	};

	return family_main(&f, ctx, argc, argv);
}

/* rag-ctl hostgroup ... (members are addresses or CIDRs) */
int hostgroup_main(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct family f = {
		"hostgroup",
		"hostgroup add NAME [ADDR|CIDR]... | hostgroup member add NAME ADDR|CIDR... | "
		"hostgroup member del NAME ADDR|CIDR... | hostgroup del NAME | "
		"hostgroup list [NAME] [--json]",
		false, false,
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
		"servicegroup list [NAME] [--json]   (SERVICE = tcp/443, udp/53, tcp/8000-8080, "
		"icmp, any)",
		false, true,
	};

	return family_main(&f, ctx, argc, argv);
}
