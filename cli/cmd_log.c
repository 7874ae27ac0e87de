/*
 * cmd_log.c — `rag-ctl log search|export|verify`.  These read the databases
 * and bundles directly (no daemon); the log store arrives with a later
 * milestone: arguments are validated, then refused.
 */
#include <string.h>

#include "rag-ctl.h"

#define LOG_USAGE \
	"log search --type connection|acl|auth|audit [--user U] [--since T] [--until T] " \
	"[--contains TEXT] [--limit N] [--json] | log export --from DATE --to DATE -o FILE | " \
	"log verify FILE"

enum { O_TYPE, O_USER, O_SINCE, O_UNTIL, O_CONTAINS, O_LIMIT, O_JSON, O_FROM, O_TO,
       O_OUT, O_N };

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
	};
	static const char *const types[] = { "connection", "acl", "auth", "audit" };
	struct opt_val v[O_N];
	const char *pos[1];
	size_t npos;

	(void)ctx;
	if (argc < 1)
		return usage_error("log", LOG_USAGE, "missing subcommand");
	if (parse_opts("log", argc - 1, argv + 1, spec, O_N, v, pos, 1, &npos) < 0)
		return usage_error("log", LOG_USAGE, "bad arguments");
	if (!strcmp(argv[0], "search")) {
		bool type_ok = false;

		if (npos || v[O_FROM].count || v[O_TO].count || v[O_OUT].count)
			return usage_error("log search", LOG_USAGE, "unexpected argument");
		if (!v[O_TYPE].count)
			return usage_error("log search", LOG_USAGE, "needs --type");
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (!strcmp(v[O_TYPE].val[0], types[i]))
				type_ok = true;
		if (!type_ok)
			return usage_error("log search", LOG_USAGE, "--type is connection, acl, auth or audit");
		if (v[O_USER].count && !valid_name(v[O_USER].val[0]))
			return usage_error("log search", LOG_USAGE, "invalid user name");
		if ((v[O_SINCE].count && !valid_time(v[O_SINCE].val[0])) ||
		    (v[O_UNTIL].count && !valid_time(v[O_UNTIL].val[0])))
			return usage_error("log search", LOG_USAGE, "times are ISO 8601 "
					   "(2026-11-20, 2026-11-20T09:00[Z|+09:00]) or -2h, -7d");
		if (v[O_CONTAINS].count && strlen(v[O_CONTAINS].val[0]) > 256)
			return usage_error("log search", LOG_USAGE, "--contains is too long");
		if (v[O_LIMIT].count && !valid_uint(v[O_LIMIT].val[0], 1, 1000000))
			return usage_error("log search", LOG_USAGE, "--limit is 1..1000000");
		return not_implemented("log search");
	}
	for (int k = O_TYPE; k <= O_JSON; k++)
		if (v[k].count)
			return usage_error("log", LOG_USAGE, "option is for 'log search'");
	if (!strcmp(argv[0], "export")) {
		if (npos || !v[O_FROM].count || !v[O_TO].count || !v[O_OUT].count)
			return usage_error("log export", LOG_USAGE, "needs --from, --to and -o");
		if (!valid_date(v[O_FROM].val[0]) || !valid_date(v[O_TO].val[0]))
			return usage_error("log export", LOG_USAGE, "dates are YYYY-MM-DD");
		if (strcmp(v[O_FROM].val[0], v[O_TO].val[0]) > 0)
			return usage_error("log export", LOG_USAGE, "--from is after --to");
		if (!v[O_OUT].val[0][0])
			return usage_error("log export", LOG_USAGE, "empty output file name");
		return not_implemented("log export");
	}
	if (v[O_FROM].count || v[O_TO].count || v[O_OUT].count)
		return usage_error("log", LOG_USAGE, "option is for 'log export'");
	if (!strcmp(argv[0], "verify")) {
		if (npos != 1 || !pos[0][0])
			return usage_error("log verify", LOG_USAGE, "needs one FILE");
		return not_implemented("log verify");
	}
	return usage_error("log", LOG_USAGE, "unknown subcommand '%s'", argv[0]);
}
