/*
 * users.h — the users of the gateway: rag.db's users table behind an
 * in-memory cache, so the IKE path (any thread) never touches SQLite.
 *
 * Names: 1..USERS_NAME_MAX bytes of [A-Za-z0-9._@-], not starting with '.'
 * or '-' (the same rule as rag-ctl).  Names are unique without regard to
 * ASCII case and looked up the same way: Windows treats account names
 * case-insensitively and users type "Alice" as often as "alice"; the stored
 * spelling is what is shown and logged.  A name arriving from a client as
 * "DOMAIN\user" (Windows EAP-MSCHAPv2 identities) is looked up as "user":
 * RFC 2759 section 4 uses only the user name, without the Windows NT domain,
 * in the challenge hash, and we do the same for the lookup (the domain is
 * not checked; the gateway has no domains).
 *
 * Secrets: the NT hash (RFC 2759 NtPasswordHash, what MSCHAPv2 verification
 * needs) and an optional per-user PSK are stored sealed (secrets.h); the
 * cache keeps the sealed blobs and users_lookup() opens them into guarded
 * memory on demand, so decrypted secrets exist only while a caller uses them.
 *
 * Lockout: `locked` is the administrator's lock (until `user unlock`);
 * `locked_until` is the automatic lockout after lockout-threshold failed
 * authentications in a row, for lockout-time.  Counters change in the cache
 * at once and are persisted by a writer thread (store.h) in order.
 *
 * Groups: group names live in rag.db's user_group table, membership in
 * user_group_member (schema/rag/002_groups.sql); `rag-ctl group ...`
 * (ctl_policy.c, policy_db.h) changes them and then calls
 * users_reload_groups().  `user add --group G` is refused for a group that
 * does not exist, naming it.
 */
#ifndef RAG_USERS_H
#define RAG_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike.h"
#include "secrets.h"

#define USERS_NAME_MAX     64
#define USERS_SUBJECT_MAX  512		/* --cert-subject DN */
#define USERS_MAX          200000	/* users in the database */
#define USERS_GROUPS_MAX   32		/* --group per user */
#define USERS_PASSWORD_MAX 256		/* UTF-16 units (MSCHAPv2 limit), bytes here */
#define USERS_PSK_MAX      256
/* Shortest PSK accepted: an IKE_AUTH exchange captured once lets anyone
 * test guesses offline (AUTH = prf(prf(PSK, "Key Pad for IKEv2"), ...),
 * RFC 7296 2.15), so short keys are refused; NetworkManager-strongswan
 * demands the same minimum. */
#define USERS_PSK_MIN      20
#define USERS_DB_FILE      "rag.db"

struct users;

enum users_state {
	USERS_ACTIVE = 0,
	USERS_LOCKED = 1,		/* administrator lock */
	USERS_LOCKED_OUT = 2,		/* too many failures, until locked_until */
};

/* Events the runtime reacts to (terminate the user's SAs). */
enum users_event {
	USERS_EV_DELETED = 1,
	USERS_EV_LOCKED = 2,
	USERS_EV_PASSWORD = 3,		/* password or PSK changed */
};

/* Called on the thread that made the change, after it is committed. */
typedef void (*users_hook_fn)(void *arg, enum users_event ev, int64_t id, const char *name);

/* What a lookup returns; secrets are in guarded memory (users_lookup_free). */
struct users_entry {
	int64_t id;
	char name[USERS_NAME_MAX + 1];	/* stored spelling */
	char cert_subject[USERS_SUBJECT_MAX + 1];	/* "" = none */
	char groups[USERS_GROUPS_MAX * (USERS_NAME_MAX + 1) + 1];	/* "a,b" */
	enum users_state state;		/* evaluated at `now` */
	int64_t locked_until;		/* unix seconds; 0 = not locked out */
	uint32_t failed;		/* consecutive failures */
	bool has_password, has_psk;
	int64_t created, updated;	/* unix seconds */
	struct ike_key nt_hash;		/* 16 bytes when requested and present */
	struct ike_key psk;
};

/*
 * Open <state_dir>/rag.db (created 0600, migrated), load every user into the
 * cache and start the counter writer.  sec must outlive u.  Returns 0 or a
 * negative errno with err filled.
 */
int users_open(struct users **out, const char *state_dir, const struct secrets *sec,
	       char *err, size_t errlen);

/* Flush pending counter writes, stop, free (NULL is a no-op). */
void users_close(struct users *u);

/* Lockout policy ([auth] lockout-threshold, 0 = never; lockout-time s). */
void users_set_policy(struct users *u, uint32_t threshold, uint32_t lockout_time);

/* The hook called on delete/lock/password change (fn NULL: none). */
void users_set_hook(struct users *u, users_hook_fn fn, void *arg);

/* true when name[0..len) is a valid user/group name (rule above). */
bool users_valid_name(const char *name, size_t len);

/* ---- the IKE path: any thread, no SQLite, no blocking on writes ---- */

/*
 * Find the user called name[0..len) (untrusted: an EAP or IKE identity; a
 * "DOMAIN\" prefix is stripped, ASCII case ignored).  With want_secrets the
 * NT hash and PSK are opened into e->nt_hash / e->psk.  The state is
 * evaluated at now (unix seconds).  0, -ENOENT (unknown or invalid name),
 * -EBADMSG (a stored secret does not open: wrong secrets.key), -ENOMEM.
 */
int users_lookup(struct users *u, const char *name, size_t len, int64_t now,
		 bool want_secrets, struct users_entry *e);

/* Find the user whose --cert-subject equals dn exactly; as users_lookup. */
int users_lookup_subject(struct users *u, const char *dn, int64_t now, bool want_secrets,
			 struct users_entry *e);

/* Wipe and free the secrets of e (safe on a zeroed or unused entry). */
void users_entry_free(struct users_entry *e);

/*
 * Record an authentication outcome of user id at now: success resets the
 * failure count; a failure of an active user counts and, at the threshold,
 * locks the user out for lockout-time (failures while locked do not count
 * and do not extend the lockout).  *state (may be NULL) gets the state
 * afterwards.  Returns 1 when this failure started a lockout (the caller
 * logs the lock once), 0 otherwise, or -ENOENT.
 */
int users_auth_result(struct users *u, int64_t id, bool success, int64_t now,
		      enum users_state *state);

/* ---- administration (control commands; writes rag.db synchronously) ----
 * All return 0 or a negative errno with a message for the administrator in
 * err (naming the value): -EINVAL invalid name/password/subject, -EEXIST,
 * -ENOENT (user or group), -E2BIG (limits), -ENOTSUP (no MD4), -EIO. */

/* Add a user.  password (UTF-8, pwlen bytes) and psk (psklen bytes,
 * USERS_PSK_MIN..USERS_PSK_MAX) may be NULL (certificate-only users);
 * groups must exist.  All of it is stored in one transaction. */
int users_add(struct users *u, const char *name, const char *password, size_t pwlen,
	      const uint8_t *psk, size_t psklen, const char *const *groups, size_t ngroups,
	      const char *cert_subject, int64_t now, char *err, size_t errlen);
int users_del(struct users *u, const char *name, char *err, size_t errlen);
int users_passwd(struct users *u, const char *name, const char *password, size_t pwlen,
		 int64_t now, char *err, size_t errlen);
/* Is len an acceptable PSK length (USERS_PSK_MIN..USERS_PSK_MAX)?  0, or
 * -EINVAL with the reason in err. */
int users_psk_check(size_t len, char *err, size_t errlen);
/* Set (psk non-NULL, length as users_psk_check) or remove (NULL) the
 * user's PSK; the user's SAs end (USERS_EV_PASSWORD). */
int users_set_psk(struct users *u, const char *name, const uint8_t *psk, size_t len,
		  int64_t now, char *err, size_t errlen);
/* lock = true: administrator lock; false: unlock (also clears a lockout and
 * the failure count). */
int users_lock(struct users *u, const char *name, bool lock, int64_t now, char *err,
	       size_t errlen);

/* Call fn for every user in name order (secrets not opened); the cache is
 * read-locked meanwhile, so fn must not call back into u.  Returns count. */
size_t users_list(struct users *u, int64_t now,
		  void (*fn)(void *arg, const struct users_entry *e), void *arg);

/* Re-read every user's group names from rag.db into the cache (after
 * `rag-ctl group ...` changed memberships).  0 or a negative errno. */
int users_reload_groups(struct users *u, char *err, size_t errlen);

/* Number of users. */
size_t users_count(struct users *u);

/* Wait until counter updates queued so far are in rag.db (tests, SIGTERM). */
void users_flush(struct users *u);

#endif
