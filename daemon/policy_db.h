/*
 * policy_db.h — administration of the access policy in rag.db: user,
 * host and service groups, their members, and the ordered rules
 * (schema/rag/003_policy.sql).  Used by the control commands
 * (ctl_policy.c) on the control thread with ragd's own rag.db connection;
 * every change is one IMMEDIATE transaction, so a refused command changes
 * nothing.
 *
 * Every function validates its input again (names, limits of policy.h) and
 * returns 0 or a negative errno with a message for the administrator in
 * err that names the offending value:
 *   -EINVAL  invalid name or value       -ENOENT  unknown group / user / rule
 *   -EEXIST  duplicate name or member    -EBUSY   group used by rules (IDs named)
 *   -E2BIG   a limit of policy.h         -ERANGE  --position past the end
 *   -EIO     SQLite error                -ENOMEM
 */
#ifndef RAG_POLICY_DB_H
#define RAG_POLICY_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "policy.h"

enum pol_family {
	POL_FAM_USER = 0,	/* rag-ctl group */
	POL_FAM_HOST = 1,	/* rag-ctl hostgroup */
	POL_FAM_SERVICE = 2,	/* rag-ctl servicegroup */
};

/* "group", "hostgroup", "servicegroup" (for messages). */
const char *pol_family_cmd(enum pol_family f);

/* Create a group of family f; host and service groups may come with their
 * first members (hosts or svcs, n of them; the other NULL). */
int pol_db_group_add(sqlite3 *db, enum pol_family f, const char *name,
		     const struct pol_prefix *hosts, const struct pol_service *svcs, size_t n,
		     int64_t now, char *err, size_t errlen);

/* Delete a group (refused with the rule IDs while a rule uses it). */
int pol_db_group_del(sqlite3 *db, enum pol_family f, const char *name, char *err,
		     size_t errlen);

/* Add / remove members of host group or service group `name`: all or
 * nothing; adding one already there or removing one not there is refused
 * naming it. */
int pol_db_hosts(sqlite3 *db, const char *name, bool add, const struct pol_prefix *p,
		 size_t n, char *err, size_t errlen);
int pol_db_services(sqlite3 *db, const char *name, bool add, const struct pol_service *v,
		    size_t n, char *err, size_t errlen);

/* Add / remove user `user` to / from user group `group`. */
int pol_db_user_member(sqlite3 *db, const char *group, const char *user, bool add,
		       char *err, size_t errlen);

/* Add a rule at *position (1 = first; 0 = after the last; the rules from
 * there on move down one); *id and *position get its ID and position. */
int pol_db_rule_add(sqlite3 *db, const char *user_group, const char *host_group,
		    const char *service_group, bool permit, bool log, uint32_t *position,
		    int64_t now, uint32_t *id, char *err, size_t errlen);
int pol_db_rule_del(sqlite3 *db, uint32_t id, char *err, size_t errlen);

/* One group as listed. */
struct pol_db_group {
	const char *name;
	size_t nmembers;
	const char *members;	/* "a,b,c" (canonical text; users by name) or
				 * NULL when not asked for */
	const char *rules;	/* IDs of the rules using it, "3,7", "" for none */
	int64_t created;
};

/*
 * Call fn for every group of family f in name order (only the one called
 * `only` when not NULL: -ENOENT if there is none).  with_members: fill
 * members (host and service groups always have it; user groups only with
 * `only`, as a group can hold every user).  0 or a negative errno.
 */
int pol_db_group_list(sqlite3 *db, enum pol_family f, const char *only, bool with_members,
		      void (*fn)(void *arg, const struct pol_db_group *g), void *arg,
		      char *err, size_t errlen);

/* One rule as listed. */
struct pol_db_rule {
	uint32_t position, id;
	bool permit, log;
	const char *user_group, *host_group, *service_group;
	int64_t created;
};

/* Call fn for every rule in evaluation order (only rule `only` when not
 * 0).  0 or a negative errno. */
int pol_db_rule_list(sqlite3 *db, uint32_t only,
		     void (*fn)(void *arg, const struct pol_db_rule *r), void *arg,
		     char *err, size_t errlen);

#endif
