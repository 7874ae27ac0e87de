/*
 * test_policy.c — the access policy of issue 4 point 1 and 3 below the
 * control socket: daemon/pol_parse.c (ADDR|CIDR and SERVICE text forms:
 * "bad input (bad CIDRs, tcp/70000, reversed ranges) is refused with a
 * message naming the value"), daemon/policy_db.c (groups, members, ordered
 * rules with stable IDs, "deleting something a rule uses is refused with the
 * rule IDs", duplicates, unknown names, the limits of policy.h) and
 * daemon/policy.c (the snapshot from rag.db; pol_eval: "rules are ordered;
 * first match wins; no match = deny"; pol_user_dests: the split-tunnel
 * destinations, a superset of what pol_eval permits, merged and at most
 * the requested number of prefixes).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "policy.h"
#include "policy_db.h"
#include "store.h"

static char dir[256];
static char err[512];

/* ---- text forms ------------------------------------------------------------------- */

/* s parses as a prefix whose canonical text is want. */
static void prefix_ok(const char *s, const char *want)
{
	struct pol_prefix p, q;
	char t[POL_PREFIX_STR];

	err[0] = '\0';
	CHECK_INT(pol_parse_prefix(s, &p, err, sizeof(err)), 0);
	pol_format_prefix(&p, t, sizeof(t));
	if (strcmp(t, want))
		fprintf(stderr, "prefix %s: got %s, want %s\n", s, t, want);
	CHECK(!strcmp(t, want));
	/* the canonical text reads back to the same value */
	CHECK_INT(pol_parse_prefix(t, &q, err, sizeof(err)), 0);
	CHECK_MEM(&p, &q, sizeof(p));
}

/* s is refused and the message names s and contains also (when not NULL). */
static void prefix_bad(const char *s, const char *also)
{
	struct pol_prefix p;

	err[0] = '\0';
	CHECK_INT(pol_parse_prefix(s, &p, err, sizeof(err)), -EINVAL);
	if (!strstr(err, s) || (also && !strstr(err, also)))
		fprintf(stderr, "prefix %s: message '%s'\n", s, err);
	CHECK(strstr(err, s) != NULL);
	CHECK(!also || strstr(err, also) != NULL);
}

static void service_ok(const char *s, const char *want, int proto, int lo, int hi)
{
	struct pol_service v;
	char t[POL_SERVICE_STR];

	CHECK_INT(pol_parse_service(s, &v, err, sizeof(err)), 0);
	CHECK_INT(v.proto, proto);
	CHECK_INT(v.port_lo, lo);
	CHECK_INT(v.port_hi, hi);
	pol_format_service(&v, t, sizeof(t));
	CHECK(!strcmp(t, want));
}

static void service_bad(const char *s, const char *also)
{
	struct pol_service v;

	err[0] = '\0';
	CHECK_INT(pol_parse_service(s, &v, err, sizeof(err)), -EINVAL);
	if (!strstr(err, s) || (also && !strstr(err, also)))
		fprintf(stderr, "service %s: message '%s'\n", s, err);
	CHECK(strstr(err, s) != NULL);
	CHECK(!also || strstr(err, also) != NULL);
}

static void test_text_forms(void)
{
	prefix_ok("10.0.0.0/24", "10.0.0.0/24");
	prefix_ok("10.0.0.5", "10.0.0.5");
	prefix_ok("10.0.0.5/32", "10.0.0.5");
	prefix_ok("0.0.0.0/0", "0.0.0.0/0");
	prefix_ok("2001:db8::/32", "2001:db8::/32");
	prefix_ok("2001:DB8:0:0::1", "2001:db8::1");
	prefix_ok("::/0", "::/0");
	/* host bits: refused, naming the network (decision in policy.h) */
	prefix_bad("10.0.0.1/24", "10.0.0.0/24");
	prefix_bad("2001:db8::1/64", "2001:db8::/64");
	prefix_bad("10.0.0.0/33", "0-32");
	prefix_bad("2001:db8::/129", "0-128");
	prefix_bad("10.0.0.0/08", NULL);
	prefix_bad("10.0.0.0/", NULL);
	prefix_bad("10.0.0.0/-1", NULL);
	prefix_bad("10.0.0", NULL);
	prefix_bad("10.0.0.256", NULL);
	prefix_bad("host.example", NULL);
	prefix_bad("::ffff:10.0.0.1", "IPv4-mapped");
	prefix_bad("/24", NULL);

	service_ok("tcp/443", "tcp/443", POL_PROTO_TCP, 443, 443);
	service_ok("udp/53", "udp/53", POL_PROTO_UDP, 53, 53);
	service_ok("tcp/8000-8080", "tcp/8000-8080", POL_PROTO_TCP, 8000, 8080);
	service_ok("tcp/443-443", "tcp/443", POL_PROTO_TCP, 443, 443);
	service_ok("udp/1-65535", "udp/1-65535", POL_PROTO_UDP, 1, 65535);
	service_ok("icmp", "icmp", POL_PROTO_ICMP, 0, 65535);
	service_ok("any", "any", POL_PROTO_ANY, 0, 65535);
	service_bad("tcp/70000", "1-65535");
	service_bad("tcp/9000-8000", "reversed");
	service_bad("tcp/0", NULL);
	service_bad("tcp/", NULL);
	service_bad("tcp/080", NULL);
	service_bad("tcp/1-", NULL);
	service_bad("tcp/-5", NULL);
	service_bad("TCP/443", NULL);
	service_bad("sctp/9", NULL);
	service_bad("icmp/8", NULL);
	service_bad("tcp/443x", NULL);
}

/* ---- administration in rag.db --------------------------------------------------------- */

static sqlite3 *open_db(const char *name)
{
	char path[512];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	CHECK_INT(store_open_migrated(path, &store_schema_rag, &db, err, sizeof(err)), 0);
	return db;
}

static void add_user(sqlite3 *db, const char *name)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "INSERT INTO users (name, created, updated) VALUES ('%s', 1, 1)",
		 name);
	CHECK_INT(store_exec(db, sql, err, sizeof(err)), 0);
}

static struct pol_prefix P(const char *s)
{
	struct pol_prefix p;

	memset(&p, 0, sizeof(p));
	if (pol_parse_prefix(s, &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "bad test prefix %s\n", s);
		abort();
	}
	return p;
}

static struct pol_service S(const char *s)
{
	struct pol_service v;

	if (pol_parse_service(s, &v, err, sizeof(err)) < 0) {
		fprintf(stderr, "bad test service %s\n", s);
		abort();
	}
	return v;
}

/* Count of rows of a query. */
static long long count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* rule list as "id:action " ... in evaluation order */
static void rule_cat(void *arg, const struct pol_db_rule *r)
{
	char *s = arg;

	snprintf(s + strlen(s), 512 - strlen(s), "%u@%u:%s%s ", r->id, r->position,
		 r->permit ? "permit" : "deny", r->log ? "" : "/nolog");
}

static void group_cat(void *arg, const struct pol_db_group *g)
{
	char *s = arg;

	snprintf(s + strlen(s), 1024 - strlen(s), "%s[%zu|%s|%s] ", g->name, g->nmembers,
		 g->members ? g->members : "?", g->rules);
}

/* err contains want (printed when not). */
static void err_has(const char *want)
{
	if (!strstr(err, want))
		fprintf(stderr, "message '%s' lacks '%s'\n", err, want);
	CHECK(strstr(err, want) != NULL);
}

static void test_db_groups(void)
{
	sqlite3 *db = open_db("groups.db");
	struct pol_prefix h[3] = { P("10.0.0.0/24"), P("10.0.1.5"), P("2001:db8::/48") };
	struct pol_service v[2] = { S("tcp/443"), S("udp/53") };
	char list[1024];

	add_user(db, "alice");
	add_user(db, "bob");
	CHECK_INT(pol_db_group_add(db, POL_FAM_USER, "eng", NULL, NULL, 0, 1, err, sizeof(err)), 0);
	CHECK_INT(pol_db_group_add(db, POL_FAM_USER, "ENG", NULL, NULL, 0, 1, err, sizeof(err)),
		  -EEXIST);
	err_has("'eng' already exists");
	CHECK_INT(pol_db_group_add(db, POL_FAM_USER, "-x", NULL, NULL, 0, 1, err, sizeof(err)),
		  -EINVAL);
	err_has("'-x'");
	/* a user group name may repeat as a host group name: separate kinds */
	CHECK_INT(pol_db_group_add(db, POL_FAM_HOST, "eng", h, NULL, 3, 1, err, sizeof(err)), 0);
	CHECK_INT(pol_db_group_add(db, POL_FAM_SERVICE, "web", NULL, v, 2, 1, err, sizeof(err)),
		  0);

	/* members: users must exist, duplicates refused */
	CHECK_INT(pol_db_user_member(db, "eng", "alice", true, err, sizeof(err)), 0);
	CHECK_INT(pol_db_user_member(db, "Eng", "ALICE", true, err, sizeof(err)), -EEXIST);
	err_has("'alice' is already in group 'eng'");
	CHECK_INT(pol_db_user_member(db, "eng", "nobody", true, err, sizeof(err)), -ENOENT);
	err_has("'nobody'");
	CHECK_INT(pol_db_user_member(db, "ops", "bob", true, err, sizeof(err)), -ENOENT);
	err_has("user group 'ops' does not exist");
	CHECK_INT(pol_db_user_member(db, "eng", "bob", false, err, sizeof(err)), -ENOENT);
	err_has("'bob' is not in group 'eng'");
	CHECK_INT(count(db, "SELECT count(*) FROM user_group_member"), 1);

	/* host members: all or nothing, duplicates named */
	{
		struct pol_prefix two[2] = { P("10.9.0.0/16"), P("10.0.1.5") };
		struct pol_prefix same[2] = { P("10.8.0.0/16"), P("10.8.0.0/16") };

		CHECK_INT(pol_db_hosts(db, "eng", true, two, 2, err, sizeof(err)), -EEXIST);
		err_has("already has 10.0.1.5");
		CHECK_INT(count(db, "SELECT count(*) FROM host_group_member"), 3);
		CHECK_INT(pol_db_hosts(db, "eng", true, same, 2, err, sizeof(err)), -EEXIST);
		err_has("10.8.0.0/16 given twice");
		CHECK_INT(pol_db_hosts(db, "eng", true, two, 1, err, sizeof(err)), 0);
		CHECK_INT(pol_db_hosts(db, "eng", false, &two[1], 1, err, sizeof(err)), 0);
		CHECK_INT(pol_db_hosts(db, "eng", false, &two[1], 1, err, sizeof(err)), -ENOENT);
		err_has("has no member 10.0.1.5");
		CHECK_INT(pol_db_hosts(db, "nohost", true, two, 1, err, sizeof(err)), -ENOENT);
		err_has("host group 'nohost' does not exist");
	}
	{
		struct pol_service icmp = S("icmp"), dns = S("udp/53");

		CHECK_INT(pol_db_services(db, "web", true, &dns, 1, err, sizeof(err)), -EEXIST);
		err_has("already has udp/53");
		CHECK_INT(pol_db_services(db, "web", true, &icmp, 1, err, sizeof(err)), 0);
	}
	list[0] = '\0';
	CHECK_INT(pol_db_group_list(db, POL_FAM_HOST, NULL, false, group_cat, list, err,
				    sizeof(err)), 0);
	CHECK(!strcmp(list, "eng[3|10.0.0.0/24,10.9.0.0/16,2001:db8::/48|] "));
	list[0] = '\0';
	CHECK_INT(pol_db_group_list(db, POL_FAM_SERVICE, "WEB", false, group_cat, list, err,
				    sizeof(err)), 0);
	CHECK(!strcmp(list, "web[3|icmp,tcp/443,udp/53|] "));
	/* user groups list members only when one is named */
	list[0] = '\0';
	CHECK_INT(pol_db_group_list(db, POL_FAM_USER, NULL, true, group_cat, list, err,
				    sizeof(err)), 0);
	CHECK(!strcmp(list, "eng[1|?|] "));
	list[0] = '\0';
	CHECK_INT(pol_db_group_list(db, POL_FAM_USER, "eng", true, group_cat, list, err,
				    sizeof(err)), 0);
	CHECK(!strcmp(list, "eng[1|alice|] "));
	CHECK_INT(pol_db_group_list(db, POL_FAM_USER, "ops", true, group_cat, list, err,
				    sizeof(err)), -ENOENT);

	/* deleting a group cascades its members */
	CHECK_INT(pol_db_group_del(db, POL_FAM_USER, "eng", err, sizeof(err)), 0);
	CHECK_INT(count(db, "SELECT count(*) FROM user_group_member"), 0);
	CHECK_INT(pol_db_group_del(db, POL_FAM_USER, "eng", err, sizeof(err)), -ENOENT);
	store_close(db);
}

static void test_db_rules(void)
{
	sqlite3 *db = open_db("rules.db");
	struct pol_prefix h = P("10.0.0.0/24");
	struct pol_service v = S("tcp/22");
	uint32_t id, pos;
	char list[512];

	CHECK_INT(pol_db_group_add(db, POL_FAM_USER, "eng", NULL, NULL, 0, 1, err, sizeof(err)), 0);
	CHECK_INT(pol_db_group_add(db, POL_FAM_HOST, "srv", &h, NULL, 1, 1, err, sizeof(err)), 0);
	CHECK_INT(pol_db_group_add(db, POL_FAM_SERVICE, "ssh", NULL, &v, 1, 1, err, sizeof(err)),
		  0);
	pos = 0;
	CHECK_INT(pol_db_rule_add(db, "eng", "srv", "ssh", true, true, &pos, 1, &id, err,
				  sizeof(err)), 0);
	CHECK_INT(id, 1);
	CHECK_INT(pos, 1);
	pos = 0;
	CHECK_INT(pol_db_rule_add(db, "eng", "srv", "ssh", false, false, &pos, 1, &id, err,
				  sizeof(err)), 0);
	CHECK_INT(id, 2);
	CHECK_INT(pos, 2);
	pos = 1;	/* --position 1: in front, the others move down */
	CHECK_INT(pol_db_rule_add(db, "eng", "srv", "ssh", false, true, &pos, 1, &id, err,
				  sizeof(err)), 0);
	CHECK_INT(id, 3);
	pos = 5;
	CHECK_INT(pol_db_rule_add(db, "eng", "srv", "ssh", true, true, &pos, 1, &id, err,
				  sizeof(err)), -ERANGE);
	err_has("--position 5 is past the end: there are 3 rules (use 1-4)");
	pos = 4;	/* = count + 1: at the end */
	CHECK_INT(pol_db_rule_add(db, "eng", "srv", "ssh", true, true, &pos, 1, &id, err,
				  sizeof(err)), 0);
	CHECK_INT(id, 4);
	list[0] = '\0';
	CHECK_INT(pol_db_rule_list(db, 0, rule_cat, list, err, sizeof(err)), 0);
	CHECK(!strcmp(list, "3@1:deny 1@2:permit 2@3:deny/nolog 4@4:permit "));
	/* unknown names are named */
	pos = 0;
	CHECK_INT(pol_db_rule_add(db, "eng", "nosrv", "ssh", true, true, &pos, 1, &id, err,
				  sizeof(err)), -ENOENT);
	err_has("host group 'nosrv' does not exist");
	CHECK_INT(pol_db_rule_add(db, "eng", "srv", "nossh", true, true, &pos, 1, &id, err,
				  sizeof(err)), -ENOENT);
	err_has("service group 'nossh' does not exist");
	CHECK_INT(pol_db_rule_add(db, "noeng", "srv", "ssh", true, true, &pos, 1, &id, err,
				  sizeof(err)), -ENOENT);
	err_has("user group 'noeng' does not exist");
	/* a group in use cannot go; the refusal lists the rules */
	CHECK_INT(pol_db_group_del(db, POL_FAM_HOST, "srv", err, sizeof(err)), -EBUSY);
	err_has("host group 'srv' is used by rules 1, 2, 3, 4");
	CHECK_INT(pol_db_group_del(db, POL_FAM_SERVICE, "SSH", err, sizeof(err)), -EBUSY);
	err_has("'ssh' is used by rules 1, 2, 3, 4");
	CHECK_INT(pol_db_group_del(db, POL_FAM_USER, "eng", err, sizeof(err)), -EBUSY);
	/* deleting keeps the other IDs and closes the gap in the positions */
	CHECK_INT(pol_db_rule_del(db, 1, err, sizeof(err)), 0);
	CHECK_INT(pol_db_rule_del(db, 1, err, sizeof(err)), -ENOENT);
	err_has("no rule with ID 1");
	list[0] = '\0';
	CHECK_INT(pol_db_rule_list(db, 0, rule_cat, list, err, sizeof(err)), 0);
	CHECK(!strcmp(list, "3@1:deny 2@2:deny/nolog 4@3:permit "));
	list[0] = '\0';
	CHECK_INT(pol_db_rule_list(db, 4, rule_cat, list, err, sizeof(err)), 0);
	CHECK(!strcmp(list, "4@3:permit "));
	for (uint32_t k = 2; k <= 4; k++)
		CHECK_INT(pol_db_rule_del(db, k, err, sizeof(err)), 0);
	/* IDs are never reused (AUTOINCREMENT) */
	pos = 0;
	CHECK_INT(pol_db_rule_add(db, "eng", "srv", "ssh", true, true, &pos, 1, &id, err,
				  sizeof(err)), 0);
	CHECK_INT(id, 5);
	CHECK_INT(pos, 1);
	CHECK_INT(pol_db_rule_del(db, 5, err, sizeof(err)), 0);
	CHECK_INT(pol_db_group_del(db, POL_FAM_HOST, "srv", err, sizeof(err)), 0);
	store_close(db);
}

/* Every limit of policy.h, at the limit and one past it. */
static void test_db_limits(void)
{
	sqlite3 *db = open_db("limits.db");
	struct pol_prefix many[POL_CMD_MEMBERS_MAX + 1];
	struct pol_service svcs[POL_CMD_MEMBERS_MAX];
	uint32_t id, pos;
	char name[32];
	int r = 0;

	for (int i = 0; i <= POL_CMD_MEMBERS_MAX; i++) {
		snprintf(name, sizeof(name), "10.1.%d.0/24", i);
		many[i] = P(name);
	}
	CHECK_INT(pol_db_group_add(db, POL_FAM_HOST, "big", many, NULL, POL_CMD_MEMBERS_MAX + 1,
				   1, err, sizeof(err)), -E2BIG);
	err_has("at most 64");
	CHECK_INT(pol_db_group_add(db, POL_FAM_HOST, "big", many, NULL, POL_CMD_MEMBERS_MAX, 1,
				   err, sizeof(err)), 0);
	/* members per host group */
	CHECK_INT(store_exec(db, "BEGIN", err, sizeof(err)), 0);
	for (int i = POL_CMD_MEMBERS_MAX; i < POL_HOST_MEMBERS_MAX; i++) {
		char sql[200];

		snprintf(sql, sizeof(sql), "INSERT INTO host_group_member SELECT id, 4, "
			 "x'0b%02x%02x00', 24 FROM host_group WHERE name = 'big'", i >> 8, i & 255);
		r |= store_exec(db, sql, err, sizeof(err));
	}
	CHECK_INT(store_exec(db, "COMMIT", err, sizeof(err)), 0);
	CHECK_INT(r, 0);
	CHECK_INT(count(db, "SELECT count(*) FROM host_group_member"), POL_HOST_MEMBERS_MAX);
	CHECK_INT(pol_db_hosts(db, "big", true, &many[POL_CMD_MEMBERS_MAX], 1, err, sizeof(err)),
		  -E2BIG);
	err_has("limit is 1024");
	/* groups per family */
	CHECK_INT(store_exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
			     "WHERE i < 1023) INSERT INTO service_group (name, created) "
			     "SELECT 'g' || i, 1 FROM n", err, sizeof(err)), 0);
	CHECK_INT(pol_db_group_add(db, POL_FAM_SERVICE, "last", NULL, NULL, 0, 1, err, sizeof(err)),
		  0);
	CHECK_INT(pol_db_group_add(db, POL_FAM_SERVICE, "toomany", NULL, NULL, 0, 1, err,
				   sizeof(err)), -E2BIG);
	err_has("already 1024 service groups");
	/* members per service group */
	for (int i = 0; i < POL_CMD_MEMBERS_MAX; i++) {
		svcs[i].proto = POL_PROTO_TCP;
		svcs[i].port_lo = svcs[i].port_hi = (uint16_t)(1000 + i);
	}
	for (int k = 0; k < POL_SVC_MEMBERS_MAX / POL_CMD_MEMBERS_MAX; k++) {
		for (int i = 0; i < POL_CMD_MEMBERS_MAX; i++)
			svcs[i].port_lo = svcs[i].port_hi = (uint16_t)(1000 + k * 100 + i);
		CHECK_INT(pol_db_services(db, "last", true, svcs, POL_CMD_MEMBERS_MAX, err,
					  sizeof(err)), 0);
	}
	svcs[0] = S("udp/9");
	CHECK_INT(pol_db_services(db, "last", true, svcs, 1, err, sizeof(err)), -E2BIG);
	err_has("limit is 256");
	/* rules */
	CHECK_INT(pol_db_group_add(db, POL_FAM_USER, "u", NULL, NULL, 0, 1, err, sizeof(err)), 0);
	CHECK_INT(store_exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
			     "WHERE i < 4095) INSERT INTO rule (position, user_group_id, "
			     "host_group_id, service_group_id, action, created) SELECT i, "
			     "(SELECT id FROM user_group), (SELECT id FROM host_group), "
			     "(SELECT id FROM service_group WHERE name = 'last'), 'deny', 1 FROM n",
			     err, sizeof(err)), 0);
	pos = 0;
	CHECK_INT(pol_db_rule_add(db, "u", "big", "last", true, true, &pos, 1, &id, err,
				  sizeof(err)), 0);
	CHECK_INT(pos, POL_RULES_MAX);
	CHECK_INT(pol_db_rule_add(db, "u", "big", "last", true, true, &pos, 1, &id, err,
				  sizeof(err)), -E2BIG);
	err_has("already 4096 rules");
	/* user groups per user */
	{
		sqlite3 *d2 = open_db("limits2.db");

		add_user(d2, "carol");
		for (int i = 0; i <= 32 && !r; i++) {
			snprintf(name, sizeof(name), "grp%d", i);
			r = pol_db_group_add(d2, POL_FAM_USER, name, NULL, NULL, 0, 1, err,
					     sizeof(err));
			if (!r)
				r = pol_db_user_member(d2, name, "carol", true, err, sizeof(err));
		}
		CHECK_INT(r, -E2BIG);
		err_has("already in 32 groups");
		CHECK_INT(count(d2, "SELECT count(*) FROM user_group_member"), 32);
		store_close(d2);
	}
	store_close(db);
}

/* ---- snapshot and evaluation --------------------------------------------------------- */

static uint8_t a4[4], a6[16];

static const uint8_t *ip4(const char *s)
{
	CHECK_INT(inet_pton(AF_INET, s, a4), 1);
	return a4;
}

static const uint8_t *ip6(const char *s)
{
	CHECK_INT(inet_pton(AF_INET6, s, a6), 1);
	return a6;
}

/* The verdict must be (rule, permit). */
static void expect(const struct pol_snapshot *s, const char *user, int fam, const uint8_t *dst,
		   int proto, int port, uint32_t rule, bool permit)
{
	struct pol_verdict v = pol_eval(s, user, fam, dst, (uint8_t)proto, (uint16_t)port);

	if (v.rule_id != rule || v.permit != permit)
		fprintf(stderr, "pol_eval(%s, proto %d port %d): rule %u %s, want rule %u %s\n",
			user ? user : "(null)", proto, port, v.rule_id, v.permit ? "permit" : "deny",
			rule, permit ? "permit" : "deny");
	CHECK_INT(v.rule_id, rule);
	CHECK_INT(v.permit, permit);
}

/* Add a rule with the next ID at the end. */
static uint32_t rule(sqlite3 *db, const char *ug, const char *hg, const char *sg, bool permit)
{
	uint32_t id = 0, pos = 0;

	CHECK_INT(pol_db_rule_add(db, ug, hg, sg, permit, true, &pos, 1, &id, err, sizeof(err)), 0);
	return id;
}

static void test_eval(void)
{
	sqlite3 *db = open_db("eval.db");
	struct pol_snapshot *s = NULL;
	struct pol_prefix srv[2] = { P("10.0.0.0/24"), P("2001:db8:1::/48") };
	struct pol_prefix dbh = P("10.0.0.5");
	struct pol_service web = S("tcp/443"), ssh = S("tcp/22"), dns = S("udp/53"),
			   ping = S("icmp"), any = S("any"), hi[2] = { S("tcp/8000-8080"),
								      S("udp/8000-8080") };
	uint32_t r_deny_db, r_eng_ssh, r_ops_web, r_eng_ping, r_eng_hi, r_empty, r_any;

	add_user(db, "alice");	/* eng, ops */
	add_user(db, "bob");	/* ops */
	add_user(db, "carol");	/* no group */
	for (int i = 0; i < 3; i++) {
		static const char *g[] = { "eng", "ops", "nobody" };

		CHECK_INT(pol_db_group_add(db, POL_FAM_USER, g[i], NULL, NULL, 0, 1, err,
					   sizeof(err)), 0);
	}
	CHECK_INT(pol_db_user_member(db, "eng", "alice", true, err, sizeof(err)), 0);
	CHECK_INT(pol_db_user_member(db, "ops", "alice", true, err, sizeof(err)), 0);
	CHECK_INT(pol_db_user_member(db, "ops", "bob", true, err, sizeof(err)), 0);
	CHECK_INT(pol_db_group_add(db, POL_FAM_HOST, "srv", srv, NULL, 2, 1, err, sizeof(err)), 0);
	CHECK_INT(pol_db_group_add(db, POL_FAM_HOST, "db", &dbh, NULL, 1, 1, err, sizeof(err)), 0);
	CHECK_INT(pol_db_group_add(db, POL_FAM_HOST, "empty", NULL, NULL, 0, 1, err, sizeof(err)),
		  0);
	CHECK_INT(pol_db_group_add(db, POL_FAM_SERVICE, "web", NULL, &web, 1, 1, err, sizeof(err)),
		  0);
	CHECK_INT(pol_db_group_add(db, POL_FAM_SERVICE, "ssh", NULL, &ssh, 1, 1, err, sizeof(err)),
		  0);
	CHECK_INT(pol_db_group_add(db, POL_FAM_SERVICE, "ping", NULL, &ping, 1, 1, err,
				   sizeof(err)), 0);
	CHECK_INT(pol_db_group_add(db, POL_FAM_SERVICE, "hi", NULL, hi, 2, 1, err, sizeof(err)), 0);
	CHECK_INT(pol_db_group_add(db, POL_FAM_SERVICE, "any", NULL, &any, 1, 1, err, sizeof(err)),
		  0);
	(void)dns;
	r_deny_db = rule(db, "eng", "db", "ssh", false);
	r_eng_ssh = rule(db, "eng", "srv", "ssh", true);
	r_ops_web = rule(db, "ops", "srv", "web", true);
	r_eng_ping = rule(db, "eng", "srv", "ping", true);
	r_eng_hi = rule(db, "eng", "srv", "hi", true);
	r_empty = rule(db, "ops", "empty", "any", true);
	r_any = rule(db, "nobody", "srv", "any", true);

	CHECK_INT(pol_load(db, 7, &s, err, sizeof(err)), 0);
	if (!s)
		return;
	CHECK_INT(s->generation, 7);
	CHECK_INT(s->nrules, 7);
	CHECK_INT(s->nusers, 3);
	CHECK(pol_find_user(s, "ALICE") != NULL);
	CHECK(pol_find_user(s, "dave") == NULL);
	CHECK_INT(pol_find_user(s, "bob")->ngroups, 1);
	CHECK_INT(pol_find_user(s, "carol")->ngroups, 0);

	/* first match wins: the deny of db before the permit of srv */
	expect(s, "alice", AF_INET, ip4("10.0.0.5"), 6, 22, r_deny_db, false);
	expect(s, "alice", AF_INET, ip4("10.0.0.6"), 6, 22, r_eng_ssh, true);
	/* ... but only for what the deny's service covers */
	expect(s, "alice", AF_INET, ip4("10.0.0.5"), 6, 443, r_ops_web, true);
	/* several groups: alice gets ops' permits too */
	expect(s, "alice", AF_INET, ip4("10.0.0.200"), 6, 443, r_ops_web, true);
	expect(s, "Alice", AF_INET, ip4("10.0.0.200"), 6, 443, r_ops_web, true);
	/* bob (ops) has no ssh; no match = deny (rule 0) */
	expect(s, "bob", AF_INET, ip4("10.0.0.6"), 6, 22, 0, false);
	expect(s, "bob", AF_INET, ip4("10.0.0.6"), 6, 443, r_ops_web, true);
	expect(s, "bob", AF_INET, ip4("10.0.1.6"), 6, 443, 0, false);
	/* protocol matters: udp/443 is not tcp/443 */
	expect(s, "bob", AF_INET, ip4("10.0.0.6"), 17, 443, 0, false);
	/* ranges, both ends and outside */
	expect(s, "alice", AF_INET, ip4("10.0.0.9"), 6, 8000, r_eng_hi, true);
	expect(s, "alice", AF_INET, ip4("10.0.0.9"), 17, 8080, r_eng_hi, true);
	expect(s, "alice", AF_INET, ip4("10.0.0.9"), 6, 8081, 0, false);
	expect(s, "alice", AF_INET, ip4("10.0.0.9"), 6, 7999, 0, false);
	/* icmp is 1 towards IPv4 and 58 towards IPv6 */
	expect(s, "alice", AF_INET, ip4("10.0.0.9"), 1, 0, r_eng_ping, true);
	expect(s, "alice", AF_INET, ip4("10.0.0.9"), 58, 0, 0, false);
	expect(s, "alice", AF_INET6, ip6("2001:db8:1::9"), 58, 0, r_eng_ping, true);
	expect(s, "alice", AF_INET6, ip6("2001:db8:1::9"), 1, 0, 0, false);
	expect(s, "alice", AF_INET6, ip6("2001:db8:1::9"), 6, 22, r_eng_ssh, true);
	expect(s, "alice", AF_INET6, ip6("2001:db8:2::9"), 6, 22, 0, false);
	/* an IPv4 host group never matches an IPv6 packet with the same bytes */
	expect(s, "alice", AF_INET6, ip6("a00:5::"), 6, 22, 0, false);
	/* an empty host group matches nothing; "any" matches every protocol */
	expect(s, "bob", AF_INET, ip4("10.0.0.6"), 47, 0, 0, false);
	/* users in no group, unknown users and no user: default deny */
	expect(s, "carol", AF_INET, ip4("10.0.0.6"), 6, 443, 0, false);
	expect(s, "mallory", AF_INET, ip4("10.0.0.6"), 6, 443, 0, false);
	expect(s, NULL, AF_INET, ip4("10.0.0.6"), 6, 443, 0, false);
	CHECK(pol_eval(s, "carol", AF_INET, ip4("10.0.0.6"), 6, 443).log);
	(void)r_empty;
	(void)r_any;

	/* a rule inserted at position 1 takes over; the snapshot in hand does
	 * not change, the next generation does */
	{
		uint32_t id = 0, pos = 1;
		struct pol_snapshot *s2 = NULL;
		const struct pol_snapshot *held = pol_snapshot_ref(s);

		CHECK_INT(pol_db_rule_add(db, "ops", "srv", "web", false, false, &pos, 1, &id, err,
					  sizeof(err)), 0);
		CHECK_INT(pol_load(db, 8, &s2, err, sizeof(err)), 0);
		expect(s2, "bob", AF_INET, ip4("10.0.0.6"), 6, 443, id, false);
		CHECK(!pol_eval(s2, "bob", AF_INET, ip4("10.0.0.6"), 6, 443).log);
		expect(s, "bob", AF_INET, ip4("10.0.0.6"), 6, 443, r_ops_web, true);
		/* removing bob from ops ends bob's permits */
		CHECK_INT(pol_db_rule_del(db, id, err, sizeof(err)), 0);
		CHECK_INT(pol_db_user_member(db, "ops", "bob", false, err, sizeof(err)), 0);
		pol_snapshot_unref(s2);
		CHECK_INT(pol_load(db, 9, &s2, err, sizeof(err)), 0);
		expect(s2, "bob", AF_INET, ip4("10.0.0.6"), 6, 443, 0, false);
		expect(s2, "alice", AF_INET, ip4("10.0.0.6"), 6, 443, r_ops_web, true);
		pol_snapshot_unref(s2);
		pol_snapshot_unref(held);
	}
	pol_snapshot_unref(s);
	store_close(db);
}

/* ---- split-tunnel destinations ---------------------------------------------------------- */

/* The snapshot of rag.db with user "u" in group "g" and one permit rule
 * per prefix list entry (each in its own host group), plus deny rules for
 * deny[] first. */
static struct pol_snapshot *dest_policy(sqlite3 *db, const char *const *permit, size_t np,
					const char *const *deny, size_t nd)
{
	struct pol_service any = S("any");
	struct pol_snapshot *s = NULL;
	char name[32];

	add_user(db, "u");
	add_user(db, "other");
	CHECK_INT(pol_db_group_add(db, POL_FAM_USER, "g", NULL, NULL, 0, 1, err, sizeof(err)), 0);
	CHECK_INT(pol_db_group_add(db, POL_FAM_USER, "og", NULL, NULL, 0, 1, err, sizeof(err)), 0);
	CHECK_INT(pol_db_user_member(db, "g", "u", true, err, sizeof(err)), 0);
	CHECK_INT(pol_db_user_member(db, "og", "other", true, err, sizeof(err)), 0);
	CHECK_INT(pol_db_group_add(db, POL_FAM_SERVICE, "any", NULL, &any, 1, 1, err, sizeof(err)),
		  0);
	for (size_t i = 0; i < nd + np; i++) {
		struct pol_prefix p = P(i < nd ? deny[i] : permit[i - nd]);

		snprintf(name, sizeof(name), "h%zu", i);
		CHECK_INT(pol_db_group_add(db, POL_FAM_HOST, name, &p, NULL, 1, 1, err,
					   sizeof(err)), 0);
		rule(db, "g", name, "any", i >= nd);
	}
	/* another group's permit must not leak into u's destinations */
	{
		struct pol_prefix p = P("172.16.0.0/12");

		CHECK_INT(pol_db_group_add(db, POL_FAM_HOST, "theirs", &p, NULL, 1, 1, err,
					   sizeof(err)), 0);
		rule(db, "og", "theirs", "any", true);
	}
	CHECK_INT(pol_load(db, 1, &s, err, sizeof(err)), 0);
	return s;
}

/* pol_user_dests(user, family, extra, max) must be exactly want[]
 * (canonical texts). */
static void dests_extra_are(const struct pol_snapshot *s, const char *user, int fam,
			    const struct pol_prefix *extra, size_t nextra, size_t max,
			    const char *const *want, size_t nw)
{
	struct pol_prefix out[64];
	size_t n = pol_user_dests(s, user, fam, extra, nextra, out, max);
	char got[1024] = "", exp[1024] = "";

	for (size_t i = 0; i < n; i++) {
		char t[POL_PREFIX_STR];

		pol_format_prefix(&out[i], t, sizeof(t));
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s ", t);
	}
	for (size_t i = 0; i < nw; i++)
		snprintf(exp + strlen(exp), sizeof(exp) - strlen(exp), "%s ", want[i]);
	if (strcmp(got, exp))
		fprintf(stderr, "dests: got '%s', want '%s'\n", got, exp);
	CHECK(!strcmp(got, exp));
}

static void dests_are(const struct pol_snapshot *s, int fam, size_t max,
		      const char *const *want, size_t nw)
{
	dests_extra_are(s, "u", fam, NULL, 0, max, want, nw);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_dests(void)
{
	{
		static const char *const permit[] = { "10.0.0.128/25", "10.0.0.0/25", "10.0.0.7",
						      "10.0.1.0/24", "10.0.3.0/24", "10.0.4.0/23",
						      "192.168.1.1", "2001:db8::/33",
						      "2001:db8:8000::/33" };
		static const char *const deny[] = { "10.0.0.0/8" };
		static const char *const v4[] = { "10.0.0.0/23", "10.0.3.0/24", "10.0.4.0/23",
						  "192.168.1.1" };
		static const char *const v6[] = { "2001:db8::/32" };
		static const char *const v4_2[] = { "10.0.0.0/21", "192.168.1.1" };
		static const char *const v4_1[] = { "0.0.0.0/0" };
		sqlite3 *db = open_db("dests1.db");
		struct pol_snapshot *s = dest_policy(db, permit, N(permit), deny, N(deny));

		/* merged exactly: siblings join (/25 + /25 = /24, /24 + /24 =
		 * /23), contained ones vanish, the earlier deny of 10/8 is
		 * ignored (superset), non-aligned neighbours stay apart */
		dests_are(s, AF_INET, 8, v4, N(v4));
		dests_are(s, AF_INET6, 8, v6, N(v6));
		/* widened to fit: the cheapest neighbours first */
		dests_are(s, AF_INET, 2, v4_2, N(v4_2));
		dests_are(s, AF_INET, 1, v4_1, N(v4_1));
		/* extra prefixes (ragd: the DNS servers) join the merge */
		{
			struct pol_prefix dns[3] = { P("10.0.2.53"), P("2001:db8:ffff::53"),
						     P("10.0.0.53") };
			static const char *const v4x[] = { "10.0.0.0/23", "10.0.2.53",
							   "10.0.3.0/24", "10.0.4.0/23",
							   "192.168.1.1" };
			static const char *const only[] = { "10.0.0.53", "10.0.2.53" };
			static const char *const only6[] = { "2001:db8:ffff::53" };

			dests_extra_are(s, "u", AF_INET, dns, 3, 8, v4x, N(v4x));
			dests_extra_are(s, "u", AF_INET6, dns, 3, 8, v6, N(v6));
			dests_extra_are(s, "nobody", AF_INET, dns, 3, 8, only, N(only));
			dests_extra_are(s, "nobody", AF_INET6, dns, 3, 8, only6, N(only6));
		}
		CHECK_INT(pol_user_dests(s, "nobody", AF_INET, NULL, 0, NULL, 8), 0);
		CHECK_INT(pol_user_dests(s, "other", AF_INET6, NULL, 0, NULL, 8), 0);
		pol_snapshot_unref(s);
		store_close(db);
	}
	{
		static const char *const permit[] = { "0.0.0.0/0", "10.0.0.0/8", "::/0" };
		static const char *const all4[] = { "0.0.0.0/0" };
		static const char *const all6[] = { "::/0" };
		sqlite3 *db = open_db("dests2.db");
		struct pol_snapshot *s = dest_policy(db, permit, N(permit), NULL, 0);

		dests_are(s, AF_INET, 8, all4, 1);
		dests_are(s, AF_INET6, 8, all6, 1);
		pol_snapshot_unref(s);
		store_close(db);
	}
}

/* A pseudo-random generator for the property test (deterministic). */
static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

/*
 * Property: for random policies (permits and denies over random prefixes
 * and services), every packet pol_eval permits goes to a destination inside
 * pol_user_dests (superset: issue 4 point 3 "never a subset"), the result has
 * at most max prefixes, they are disjoint and ascending; and when no
 * widening was needed every address of the result is in some permitted
 * prefix (exact).
 */
static void test_dests_property(void)
{
	for (int round = 0; round < 30; round++) {
		char path[64];
		sqlite3 *db;
		struct pol_snapshot *s = NULL;
		struct pol_service svc[3] = { S("tcp/22"), S("udp/53"), S("any") };
		struct pol_prefix all[40], out[8];
		size_t nall = 0, n, max = 1 + rnd() % 8;
		bool exact;

		snprintf(path, sizeof(path), "prop%d.db", round);
		db = open_db(path);
		add_user(db, "u");
		CHECK_INT(pol_db_group_add(db, POL_FAM_USER, "g", NULL, NULL, 0, 1, err, sizeof(err)),
			  0);
		CHECK_INT(pol_db_user_member(db, "g", "u", true, err, sizeof(err)), 0);
		for (int k = 0; k < 3; k++) {
			char nm[8];

			snprintf(nm, sizeof(nm), "s%d", k);
			CHECK_INT(pol_db_group_add(db, POL_FAM_SERVICE, nm, NULL, &svc[k], 1, 1,
						   err, sizeof(err)), 0);
		}
		for (int k = 0; k < 10 + (int)(rnd() % 30); k++) {
			struct pol_prefix p;
			char nm[8], sn[8];
			bool permit = rnd() % 3 != 0;

			memset(&p, 0, sizeof(p));
			p.family = AF_INET;
			p.len = (uint8_t)(16 + rnd() % 17);
			p.addr[0] = 10;
			p.addr[1] = (uint8_t)(rnd() % 4);
			p.addr[2] = (uint8_t)rnd();
			p.addr[3] = (uint8_t)rnd();
			for (unsigned int b = p.len; b < 32; b++)
				p.addr[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
			snprintf(nm, sizeof(nm), "h%d", k);
			snprintf(sn, sizeof(sn), "s%u", rnd() % 3);
			CHECK_INT(pol_db_group_add(db, POL_FAM_HOST, nm, &p, NULL, 1, 1, err,
						   sizeof(err)), 0);
			rule(db, "g", nm, sn, permit);
			if (permit)
				all[nall++] = p;
		}
		CHECK_INT(pol_load(db, 1, &s, err, sizeof(err)), 0);
		n = pol_user_dests(s, "u", AF_INET, NULL, 0, out, max);
		CHECK(n <= max);
		CHECK(nall == 0 || n >= 1);
		for (size_t i = 1; i < n; i++) {
			/* ascending and disjoint: the next starts after this one ends */
			uint32_t a, b, end;

			memcpy(&a, out[i - 1].addr, 4);
			memcpy(&b, out[i].addr, 4);
			a = ntohl(a);
			b = ntohl(b);
			end = out[i - 1].len == 0 ? 0xffffffffu : out[i - 1].len == 32 ? a :
			      a | (0xffffffffu >> out[i - 1].len);
			CHECK(b > end);
		}
		/* exact when the merged list fit (computed with a generous max) */
		{
			struct pol_prefix big[64];
			size_t nb = pol_user_dests(s, "u", AF_INET, NULL, 0, big, 64);

			exact = nb <= max;
			if (exact) {
				CHECK_INT(n, nb);
				CHECK_MEM(out, big, n * sizeof(out[0]));
			}
		}
		for (int t = 0; t < 4000; t++) {
			uint8_t a[4] = { 10, (uint8_t)(rnd() % 4), (uint8_t)rnd(), (uint8_t)rnd() };
			uint8_t proto = (uint8_t)(rnd() % 2 ? 6 : 17);
			uint16_t port = (uint16_t)(rnd() % 2 ? 22 : 53);
			struct pol_verdict v = pol_eval(s, "u", AF_INET, a, proto, port);
			bool in_out = false, in_all = false;

			for (size_t i = 0; i < n; i++)
				in_out |= pol_prefix_contains(&out[i], AF_INET, a);
			for (size_t i = 0; i < nall; i++)
				in_all |= pol_prefix_contains(&all[i], AF_INET, a);
			if (v.permit)
				CHECK(in_out);
			/* superset of every permit rule's destinations */
			if (in_all)
				CHECK(in_out);
			if (exact && in_out)
				CHECK(in_all);
		}
		pol_snapshot_unref(s);
		store_close(db);
	}
}

/* An empty database gives an empty policy: everyone denied. */
static void test_empty(void)
{
	sqlite3 *db = open_db("empty.db");
	struct pol_snapshot *s = NULL;

	CHECK_INT(pol_load(db, 1, &s, err, sizeof(err)), 0);
	CHECK_INT(s->nrules, 0);
	CHECK_INT(s->nusers, 0);
	expect(s, "alice", AF_INET, ip4("10.0.0.1"), 6, 22, 0, false);
	CHECK_INT(pol_user_dests(s, "alice", AF_INET, NULL, 0, NULL, 8), 0);
	pol_snapshot_unref(s);
	pol_snapshot_unref(NULL);
	store_close(db);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/rag-test-policy-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_text_forms();
	test_db_groups();
	test_db_rules();
	test_db_limits();
	test_eval();
	test_dests();
	test_dests_property();
	test_empty();
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return check_done("test_policy");
}
