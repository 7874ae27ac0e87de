/*
 * users.c — users in rag.db behind a read-mostly in-memory cache (users.h).
 *
 * Locking: one rwlock over the cache.  The IKE path takes it shared; the
 * administration functions write rag.db first (their own connection, on the
 * control thread) and then update the cache under the exclusive lock.  The
 * failure counters are changed in the cache under the exclusive lock and a
 * job carrying their new absolute values is queued to the writer thread (a
 * second connection) while still holding it, so rag.db sees the changes in
 * the order the cache did; `user unlock` queues its cleared counters the same
 * way and therefore always wins over an earlier failure.
 *
 * Lookups hash untrusted names with SipHash (crypto_shorthash) under a
 * random per-process key, so a client cannot aim identities at one bucket.
 */
#include "users.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "ike_mschap.h"
#include "store.h"
#include "log.h"

struct user_rec {
	int64_t id;
	char name[USERS_NAME_MAX + 1];
	char *subject;			/* NULL = none */
	char *groups;			/* "a,b" or NULL */
	uint8_t *nt_blob, *psk_blob;	/* sealed; NULL = none */
	size_t nt_len, psk_len;
	bool locked;
	int64_t locked_until;
	uint32_t failed;
	int64_t created, updated;
	size_t idx;			/* position in users.recs */
	struct user_rec *next_name, *next_subj, *next_id;
};

struct users {
	pthread_rwlock_t lock;
	sqlite3 *db;			/* administration (control thread) */
	struct store_writer *writer;	/* counters (own connection) */
	sqlite3_stmt *counter_stmt;	/* used by the writer thread only */
	const struct secrets *sec;
	struct ike_mschap_ctx *mschap;	/* NULL: MD4 unavailable */
	uint8_t hkey[crypto_shorthash_KEYBYTES];
	struct user_rec **recs;		/* every user */
	size_t n, cap;
	struct user_rec **by_name, **by_subj, **by_id;
	size_t nb;			/* buckets (power of two) */
	uint32_t threshold, lockout_time;
	users_hook_fn hook;
	void *hook_arg;
};

/* See users.h. */
bool users_valid_name(const char *s, size_t n)
{
	if (n == 0 || n > USERS_NAME_MAX || s[0] == '-' || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(isascii(c) && isalnum(c)) && c != '.' && c != '_' && c != '@' && c != '-')
			return false;
	}
	return true;
}

/* A certificate subject: 1..USERS_SUBJECT_MAX bytes without control chars. */
static bool valid_subject(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > USERS_SUBJECT_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return false;
	return true;
}

/* ---- hash tables --------------------------------------------------------------- */

/* Bucket of name (ASCII case folded) under the process key. */
static size_t hash_name(const struct users *u, const char *name, size_t n)
{
	char low[USERS_NAME_MAX];
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	crypto_shorthash(h, (const unsigned char *)low, n, u->hkey);
	memcpy(&v, h, sizeof(v));
	return (size_t)v & (u->nb - 1);
}

/* Bucket of a certificate subject (exact bytes). */
static size_t hash_subj(const struct users *u, const char *s)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, (const unsigned char *)s, strlen(s), u->hkey);
	memcpy(&v, h, sizeof(v));
	return (size_t)v & (u->nb - 1);
}

/* Bucket of a user id (ids are ours, not attacker-chosen). */
static size_t hash_id(const struct users *u, int64_t id)
{
	uint64_t v = (uint64_t)id * 0x9e3779b97f4a7c15ull;

	return (size_t)(v >> 20) & (u->nb - 1);
}

/* Link r into the three tables. */
static void table_link(struct users *u, struct user_rec *r)
{
	size_t b = hash_name(u, r->name, strlen(r->name));

	r->next_name = u->by_name[b];
	u->by_name[b] = r;
	b = hash_id(u, r->id);
	r->next_id = u->by_id[b];
	u->by_id[b] = r;
	r->next_subj = NULL;
	if (r->subject) {
		b = hash_subj(u, r->subject);
		r->next_subj = u->by_subj[b];
		u->by_subj[b] = r;
	}
}

/* Unlink r from the three tables. */
static void table_unlink(struct users *u, struct user_rec *r)
{
	struct user_rec **pp;

	for (pp = &u->by_name[hash_name(u, r->name, strlen(r->name))]; *pp; pp = &(*pp)->next_name)
		if (*pp == r) {
			*pp = r->next_name;
			break;
		}
	for (pp = &u->by_id[hash_id(u, r->id)]; *pp; pp = &(*pp)->next_id)
		if (*pp == r) {
			*pp = r->next_id;
			break;
		}
	if (r->subject)
		for (pp = &u->by_subj[hash_subj(u, r->subject)]; *pp; pp = &(*pp)->next_subj)
			if (*pp == r) {
				*pp = r->next_subj;
				break;
			}
}

/* Resize the tables to nb buckets (power of two) and relink everything. */
static int table_resize(struct users *u, size_t nb)
{
	struct user_rec **a = calloc(nb, sizeof(*a)), **b = calloc(nb, sizeof(*b)),
			**c = calloc(nb, sizeof(*c));

	if (!a || !b || !c) {
		free(a);
		free(b);
		free(c);
		return -ENOMEM;
	}
	free(u->by_name);
	free(u->by_subj);
	free(u->by_id);
	u->by_name = a;
	u->by_subj = b;
	u->by_id = c;
	u->nb = nb;
	for (size_t i = 0; i < u->n; i++)
		table_link(u, u->recs[i]);
	return 0;
}

/* Add r to the cache (exclusive lock held).  0 or -ENOMEM. */
static int cache_add(struct users *u, struct user_rec *r)
{
	if (u->n == u->cap) {
		size_t ncap = u->cap ? u->cap * 2 : 64;
		struct user_rec **nr = realloc(u->recs, ncap * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		u->recs = nr;
		u->cap = ncap;
	}
	if (u->n + 1 > u->nb && table_resize(u, u->nb * 2) < 0)
		return -ENOMEM;
	r->idx = u->n;
	u->recs[u->n++] = r;
	table_link(u, r);
	return 0;
}

/* Free a record. */
static void rec_free(struct user_rec *r)
{
	if (!r)
		return;
	free(r->subject);
	free(r->groups);
	free(r->nt_blob);
	free(r->psk_blob);
	free(r);
}

/* Remove r from the cache and free it (exclusive lock held). */
static void cache_remove(struct users *u, struct user_rec *r)
{
	table_unlink(u, r);
	u->recs[r->idx] = u->recs[u->n - 1];
	u->recs[r->idx]->idx = r->idx;
	u->n--;
	rec_free(r);
}

/* Drop every cached user (exclusive lock held or single-threaded). */
static void cache_clear(struct users *u)
{
	for (size_t i = 0; i < u->n; i++)
		rec_free(u->recs[i]);
	u->n = 0;
	if (u->nb)
		memset(u->by_name, 0, u->nb * sizeof(*u->by_name));
	if (u->nb)
		memset(u->by_subj, 0, u->nb * sizeof(*u->by_subj));
	if (u->nb)
		memset(u->by_id, 0, u->nb * sizeof(*u->by_id));
}

/* Find by name (already domain-stripped; lock held). */
static struct user_rec *find_name(const struct users *u, const char *name, size_t n)
{
	if (!users_valid_name(name, n))
		return NULL;
	for (struct user_rec *r = u->by_name[hash_name(u, name, n)]; r; r = r->next_name)
		if (strlen(r->name) == n && !strncasecmp(r->name, name, n))
			return r;
	return NULL;
}

/* Find by id (lock held). */
static struct user_rec *find_id(const struct users *u, int64_t id)
{
	for (struct user_rec *r = u->by_id[hash_id(u, id)]; r; r = r->next_id)
		if (r->id == id)
			return r;
	return NULL;
}

/* Find by exact certificate subject (lock held). */
static struct user_rec *find_subj(const struct users *u, const char *s)
{
	for (struct user_rec *r = u->by_subj[hash_subj(u, s)]; r; r = r->next_subj)
		if (!strcmp(r->subject, s))
			return r;
	return NULL;
}

/* Duplicate n bytes (NULL for n == 0 or p NULL; *ok false on ENOMEM). */
static uint8_t *memdup(const void *p, size_t n, bool *ok)
{
	uint8_t *d;

	if (!p || !n)
		return NULL;
	d = malloc(n);
	if (!d) {
		*ok = false;
		return NULL;
	}
	memcpy(d, p, n);
	return d;
}

/* ---- loading ------------------------------------------------------------------- */

/* Append group g to r's "a,b" list; 0 or -ENOMEM. */
static int rec_add_group(struct user_rec *r, const char *g)
{
	size_t old = r->groups ? strlen(r->groups) : 0, gl = strlen(g);
	char *ng = realloc(r->groups, old + gl + 2);

	if (!ng)
		return -ENOMEM;
	if (old)
		ng[old++] = ',';
	memcpy(ng + old, g, gl + 1);
	r->groups = ng;
	return 0;
}

/* A group: id and name (users_reload_groups). */
struct group_name {
	int64_t id;
	char name[USERS_NAME_MAX + 1];
};

/* bsearch: group by id. */
static int cmp_group_id(const void *key, const void *g)
{
	int64_t a = *(const int64_t *)key, b = ((const struct group_name *)g)->id;

	return a < b ? -1 : a > b;
}

/* See users.h.  The memberships are read without the lock (group names
 * once, then id pairs), then swapped into the cache under it. */
int users_reload_groups(struct users *u, char *err, size_t errlen)
{
	struct group_name *g = NULL;
	int64_t (*pairs)[2] = NULL;
	size_t ng = 0, gcap = 0, np = 0, pcap = 0;
	sqlite3_stmt *st = NULL;
	int rc, r = 0;

	if (sqlite3_prepare_v2(u->db, "SELECT id, name FROM user_group ORDER BY id", -1, &st,
			       NULL) != SQLITE_OK)
		goto sqlerr;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (ng == gcap) {
			struct group_name *ngp = realloc(g, (gcap ? gcap * 2 : 64) * sizeof(*g));

			if (!ngp) {
				r = -ENOMEM;
				break;
			}
			g = ngp;
			gcap = gcap ? gcap * 2 : 64;
		}
		g[ng].id = sqlite3_column_int64(st, 0);
		snprintf(g[ng].name, sizeof(g[ng].name), "%s", sqlite3_column_text(st, 1));
		ng++;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (r == 0 && rc != SQLITE_DONE)
		goto sqlerr;
	/* pairs in group-name order: each user's list comes out sorted */
	if (r == 0 && sqlite3_prepare_v2(u->db, "SELECT m.user_id, m.group_id FROM "
					 "user_group_member m JOIN user_group g ON "
					 "g.id = m.group_id ORDER BY g.name", -1, &st,
					 NULL) != SQLITE_OK)
		goto sqlerr;
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (np == pcap) {
			int64_t (*npp)[2] = realloc(pairs, (pcap ? pcap * 2 : 256) * sizeof(*pairs));

			if (!npp) {
				r = -ENOMEM;
				break;
			}
			pairs = npp;
			pcap = pcap ? pcap * 2 : 256;
		}
		pairs[np][0] = sqlite3_column_int64(st, 0);
		pairs[np][1] = sqlite3_column_int64(st, 1);
		np++;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (r == 0 && rc != SQLITE_DONE)
		goto sqlerr;
	if (r == 0) {
		pthread_rwlock_wrlock(&u->lock);
		for (size_t i = 0; i < u->n; i++) {
			free(u->recs[i]->groups);
			u->recs[i]->groups = NULL;
		}
		for (size_t i = 0; i < np && r == 0; i++) {
			struct user_rec *rec = find_id(u, pairs[i][0]);
			const struct group_name *gn = bsearch(&pairs[i][1], g, ng, sizeof(*g),
							      cmp_group_id);

			if (rec && gn && rec_add_group(rec, gn->name) < 0)
				r = -ENOMEM;
		}
		pthread_rwlock_unlock(&u->lock);
	}
	free(g);
	free(pairs);
	if (r == -ENOMEM)
		rag_seterr(err, errlen, "rag.db: out of memory loading groups");
	return r;
sqlerr:
	rag_seterr(err, errlen, "rag.db: loading groups: %s", sqlite3_errmsg(u->db));
	sqlite3_finalize(st);
	free(g);
	free(pairs);
	return -EIO;
}

/* Load every user from rag.db into the (empty) cache; counts sealed values
 * that do not open into *bad and those present into *sealed. */
static int cache_load(struct users *u, size_t *sealed, size_t *bad, char *err, size_t errlen)
{
	static const char q_users[] =
		"SELECT id, name, cert_subject, nt_hash, psk, locked, locked_until, "
		"failed_count, created, updated FROM users";
	sqlite3_stmt *st = NULL;
	int rc, r = 0;

	*sealed = *bad = 0;
	if (sqlite3_prepare_v2(u->db, q_users, -1, &st, NULL) != SQLITE_OK)
		goto sqlerr;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct user_rec *rec = calloc(1, sizeof(*rec));
		const char *name = (const char *)sqlite3_column_text(st, 1);
		const char *subj = (const char *)sqlite3_column_text(st, 2);
		bool ok = true;

		if (!rec) {
			r = -ENOMEM;
			break;
		}
		if (u->n >= USERS_MAX) {
			free(rec);
			rag_seterr(err, errlen, "rag.db: more than %d users", USERS_MAX);
			r = -E2BIG;
			break;
		}
		rec->id = sqlite3_column_int64(st, 0);
		snprintf(rec->name, sizeof(rec->name), "%s", name ? name : "");
		rec->subject = subj ? strdup(subj) : NULL;
		ok = !subj || rec->subject;
		rec->nt_len = (size_t)sqlite3_column_bytes(st, 3);
		rec->nt_blob = memdup(sqlite3_column_blob(st, 3), rec->nt_len, &ok);
		rec->psk_len = (size_t)sqlite3_column_bytes(st, 4);
		rec->psk_blob = memdup(sqlite3_column_blob(st, 4), rec->psk_len, &ok);
		rec->locked = sqlite3_column_int(st, 5) != 0;
		rec->locked_until = sqlite3_column_int64(st, 6);
		rec->failed = (uint32_t)sqlite3_column_int64(st, 7);
		rec->created = sqlite3_column_int64(st, 8);
		rec->updated = sqlite3_column_int64(st, 9);
		if (!ok || cache_add(u, rec) < 0) {
			rec_free(rec);
			r = -ENOMEM;
			break;
		}
		/* a quick health check of secrets.key against what is stored */
		for (int k = 0; k < 2; k++) {
			const uint8_t *blob = k ? rec->psk_blob : rec->nt_blob;
			struct ike_key tmp;

			if (!blob)
				continue;
			(*sealed)++;
			if (secrets_open(u->sec, k ? SECRETS_PSK : SECRETS_NT_HASH, rec->id, blob,
					 k ? rec->psk_len : rec->nt_len, &tmp) < 0)
				(*bad)++;
			ike_key_free(&tmp);
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	if (r < 0) {
		if (r == -ENOMEM)
			rag_seterr(err, errlen, "rag.db: out of memory loading users");
		return r;
	}
	return users_reload_groups(u, err, errlen);
sqlerr:
	rag_seterr(err, errlen, "rag.db: loading users: %s", sqlite3_errmsg(u->db));
	sqlite3_finalize(st);
	return -EIO;
}

/* See users.h. */
int users_open(struct users **out, const char *state_dir, const struct secrets *sec,
	       char *err, size_t errlen)
{
	struct users *u = calloc(1, sizeof(*u));
	char path[4096];
	sqlite3 *wdb = NULL;
	size_t sealed, bad;
	int r;

	*out = NULL;
	if (!u)
		return -ENOMEM;
	pthread_rwlock_init(&u->lock, NULL);
	u->sec = sec;
	randombytes_buf(u->hkey, sizeof(u->hkey));
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", state_dir, USERS_DB_FILE) >=
	    sizeof(path)) {
		rag_seterr(err, errlen, "%s: path too long", state_dir);
		r = -ENAMETOOLONG;
		goto fail;
	}
	r = store_open_migrated(path, &store_schema_rag, &u->db, err, errlen);
	if (r < 0)
		goto fail;
	r = table_resize(u, 1024);
	if (r < 0)
		goto fail;
	r = cache_load(u, &sealed, &bad, err, errlen);
	if (r < 0)
		goto fail;
	if (sealed && bad == sealed) {
		rag_seterr(err, errlen, "%s: none of the %zu stored secrets opens with %s/%s: "
		       "wrong or regenerated key file", path, sealed, state_dir, SECRETS_KEY_FILE);
		r = -EBADMSG;
		goto fail;
	}
	/* MD4 for NtPasswordHash: only `user add/passwd` need it */
	if (ike_mschap_ctx_new(&u->mschap) < 0)
		u->mschap = NULL;
	r = store_open(path, &wdb, err, errlen);
	if (r < 0)
		goto fail;
	r = store_writer_start(&u->writer, wdb, 65536);
	if (r < 0) {
		store_close(wdb);
		rag_seterr(err, errlen, "cannot start the users writer: %s", strerror(-r));
		goto fail;
	}
	*out = u;
	return 0;
fail:
	users_close(u);
	return r;
}

/* See users.h. */
void users_close(struct users *u)
{
	if (!u)
		return;
	store_writer_stop(u->writer);	/* flushes; closes its connection */
	/* the writer's connection was closed with sqlite3_close_v2, which
	 * waits for this last statement of it */
	sqlite3_finalize(u->counter_stmt);
	cache_clear(u);
	free(u->recs);
	free(u->by_name);
	free(u->by_subj);
	free(u->by_id);
	ike_mschap_ctx_free(u->mschap);
	store_close(u->db);
	pthread_rwlock_destroy(&u->lock);
	sodium_memzero(u->hkey, sizeof(u->hkey));
	free(u);
}

/* See users.h. */
void users_set_policy(struct users *u, uint32_t threshold, uint32_t lockout_time)
{
	pthread_rwlock_wrlock(&u->lock);
	u->threshold = threshold;
	u->lockout_time = lockout_time;
	pthread_rwlock_unlock(&u->lock);
}

/* See users.h. */
void users_set_hook(struct users *u, users_hook_fn fn, void *arg)
{
	pthread_rwlock_wrlock(&u->lock);
	u->hook = fn;
	u->hook_arg = arg;
	pthread_rwlock_unlock(&u->lock);
}

/* Call the hook (outside the lock). */
static void fire(struct users *u, enum users_event ev, int64_t id, const char *name)
{
	users_hook_fn fn;
	void *arg;

	pthread_rwlock_rdlock(&u->lock);
	fn = u->hook;
	arg = u->hook_arg;
	pthread_rwlock_unlock(&u->lock);
	if (fn)
		fn(arg, ev, id, name);
}

/* ---- the IKE path -------------------------------------------------------------- */

/* The state of r at now. */
static enum users_state rec_state(const struct user_rec *r, int64_t now)
{
	if (r->locked)
		return USERS_LOCKED;
	if (r->locked_until > now)
		return USERS_LOCKED_OUT;
	return USERS_ACTIVE;
}

/* Fill e from r (lock held), opening secrets when asked. */
static int fill_entry(const struct users *u, const struct user_rec *r, int64_t now,
		      bool want_secrets, struct users_entry *e)
{
	int rr;

	memset(e, 0, sizeof(*e));
	e->id = r->id;
	snprintf(e->name, sizeof(e->name), "%s", r->name);
	snprintf(e->cert_subject, sizeof(e->cert_subject), "%s", r->subject ? r->subject : "");
	snprintf(e->groups, sizeof(e->groups), "%s", r->groups ? r->groups : "");
	e->state = rec_state(r, now);
	e->locked_until = r->locked_until > now ? r->locked_until : 0;
	e->failed = r->failed;
	e->has_password = r->nt_blob != NULL;
	e->has_psk = r->psk_blob != NULL;
	e->created = r->created;
	e->updated = r->updated;
	if (!want_secrets)
		return 0;
	if (r->nt_blob) {
		rr = secrets_open(u->sec, SECRETS_NT_HASH, r->id, r->nt_blob, r->nt_len,
				  &e->nt_hash);
		if (rr < 0)
			return rr;
	}
	if (r->psk_blob) {
		rr = secrets_open(u->sec, SECRETS_PSK, r->id, r->psk_blob, r->psk_len, &e->psk);
		if (rr < 0) {
			ike_key_free(&e->nt_hash);
			return rr;
		}
	}
	return 0;
}

/* See users.h. */
int users_lookup(struct users *u, const char *name, size_t len, int64_t now,
		 bool want_secrets, struct users_entry *e)
{
	struct ike_chunk c = ike_mschap_strip_domain((const uint8_t *)name, len);
	const struct user_rec *r;
	int rr = -ENOENT;

	memset(e, 0, sizeof(*e));
	pthread_rwlock_rdlock(&u->lock);
	r = find_name(u, (const char *)c.ptr, c.len);
	if (r)
		rr = fill_entry(u, r, now, want_secrets, e);
	pthread_rwlock_unlock(&u->lock);
	return rr;
}

/* See users.h. */
int users_lookup_subject(struct users *u, const char *dn, int64_t now, bool want_secrets,
			 struct users_entry *e)
{
	const struct user_rec *r;
	int rr = -ENOENT;

	memset(e, 0, sizeof(*e));
	if (!valid_subject(dn))
		return -ENOENT;
	pthread_rwlock_rdlock(&u->lock);
	r = find_subj(u, dn);
	if (r)
		rr = fill_entry(u, r, now, want_secrets, e);
	pthread_rwlock_unlock(&u->lock);
	return rr;
}

/* See users.h. */
void users_entry_free(struct users_entry *e)
{
	ike_key_free(&e->nt_hash);
	ike_key_free(&e->psk);
}

/* A counter update for the writer thread. */
struct counter_job {
	int64_t id, locked_until;
	uint32_t failed;
};

/* Writer thread: persist one counter update. */
static int counter_job(sqlite3 *db, void *owner, void *job)
{
	struct users *u = owner;
	const struct counter_job *j = job;
	int rc;

	if (!u->counter_stmt &&
	    sqlite3_prepare_v3(db, "UPDATE users SET failed_count = ?1, locked_until = ?2 "
			       "WHERE id = ?3", -1, SQLITE_PREPARE_PERSISTENT,
			       &u->counter_stmt, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_reset(u->counter_stmt);
	sqlite3_bind_int64(u->counter_stmt, 1, j->failed);
	sqlite3_bind_int64(u->counter_stmt, 2, j->locked_until);
	sqlite3_bind_int64(u->counter_stmt, 3, j->id);
	rc = sqlite3_step(u->counter_stmt);
	sqlite3_reset(u->counter_stmt);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* Queue r's counters (exclusive lock held: keeps rag.db in cache order). */
static void queue_counters(struct users *u, const struct user_rec *r)
{
	struct counter_job *j = malloc(sizeof(*j));

	if (!j)
		return;	/* the cache is right; rag.db catches up at the next change */
	j->id = r->id;
	j->failed = r->failed;
	j->locked_until = r->locked_until;
	store_writer_submit(u->writer, counter_job, u, j, free);
}

/* See users.h. */
int users_auth_result(struct users *u, int64_t id, bool success, int64_t now,
		      enum users_state *state)
{
	struct user_rec *r;
	int locked = 0;

	pthread_rwlock_wrlock(&u->lock);
	r = find_id(u, id);
	if (!r) {
		pthread_rwlock_unlock(&u->lock);
		return -ENOENT;
	}
	if (success) {
		if (r->failed || r->locked_until) {
			r->failed = 0;
			r->locked_until = 0;
			queue_counters(u, r);
		}
	} else if (rec_state(r, now) == USERS_ACTIVE) {
		r->failed++;
		if (u->threshold && r->failed >= u->threshold) {
			r->locked_until = now + (int64_t)u->lockout_time;
			r->failed = 0;	/* counting restarts when the lockout ends */
			locked = 1;
		}
		queue_counters(u, r);
	}
	if (state)
		*state = rec_state(r, now);
	pthread_rwlock_unlock(&u->lock);
	return locked;
}

/* ---- administration ---------------------------------------------------------- */

/* Compute the NT hash of password and seal it for id into blob. */
static int seal_password(struct users *u, int64_t id, const char *pw, size_t pwlen,
			 uint8_t *blob, size_t cap, size_t *blen, char *err, size_t errlen)
{
	struct ike_key nt = { 0 };
	int r;

	if (!u->mschap) {
		rag_seterr(err, errlen, "passwords need MD4 (OpenSSL legacy provider), which is "
		       "not available");
		return -ENOTSUP;
	}
	if (pwlen == 0) {
		rag_seterr(err, errlen, "empty password");
		return -EINVAL;
	}
	r = ike_mschap_nt_password_hash(u->mschap, pw, pwlen, &nt);
	if (r == -E2BIG) {
		rag_seterr(err, errlen, "password longer than %d characters", USERS_PASSWORD_MAX);
		return -E2BIG;
	}
	if (r < 0) {
		rag_seterr(err, errlen, "password is not valid UTF-8 text (or contains NUL)");
		return -EINVAL;
	}
	r = secrets_seal(u->sec, SECRETS_NT_HASH, id, nt.ptr, nt.len, blob, cap, blen);
	ike_key_free(&nt);
	if (r < 0)
		rag_seterr(err, errlen, "cannot seal the password hash");
	return r;
}

/* Prepare sql on db into *st; returns SQLITE_OK or the error code. */
static int prepare(sqlite3 *db, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
		return sqlite3_errcode(db);
	return SQLITE_OK;
}

/* Run sql ("... ?1 = blob ... ?2 = id") once; the sqlite3_step() code. */
static int update_blob(sqlite3 *db, const char *sql, int64_t id, const uint8_t *blob,
		       size_t len)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare(db, &st, sql);

	if (rc == SQLITE_OK) {
		sqlite3_bind_blob(st, 1, blob, (int)len, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, id);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	return rc;
}

/* See users.h. */
int users_psk_check(size_t len, char *err, size_t errlen)
{
	if (len < USERS_PSK_MIN) {
		rag_seterr(err, errlen, "PSK too short: %zu bytes, at least %d are required (a "
			   "short PSK can be guessed offline from one captured IKE exchange)",
			   len, USERS_PSK_MIN);
		return -EINVAL;
	}
	if (len > USERS_PSK_MAX) {
		rag_seterr(err, errlen, "PSK too long: %zu bytes, at most %d", len,
			   USERS_PSK_MAX);
		return -EINVAL;
	}
	return 0;
}

/* See users.h. */
int users_add(struct users *u, const char *name, const char *password, size_t pwlen,
	      const uint8_t *psk, size_t psklen, const char *const *groups, size_t ngroups,
	      const char *cert_subject, int64_t now, char *err, size_t errlen)
{
	uint8_t blob[64], pblob[USERS_PSK_MAX + SECRETS_OVERHEAD];
	size_t blen = 0, pblen = 0, nusers;
	sqlite3_stmt *st = NULL;
	struct user_rec *rec = NULL;
	int64_t id;
	int r, rc;
	char other[USERS_NAME_MAX + 1] = "";

	if (!users_valid_name(name, strlen(name))) {
		rag_seterr(err, errlen, "invalid user name '%.*s': 1-%d characters of A-Z a-z 0-9 "
		       ". _ @ -, not starting with . or -", 80, name, USERS_NAME_MAX);
		return -EINVAL;
	}
	if (cert_subject && !valid_subject(cert_subject)) {
		rag_seterr(err, errlen, "invalid --cert-subject: 1-%d characters, no control "
		       "characters", USERS_SUBJECT_MAX);
		return -EINVAL;
	}
	if (ngroups > USERS_GROUPS_MAX) {
		rag_seterr(err, errlen, "more than %d groups", USERS_GROUPS_MAX);
		return -E2BIG;
	}
	for (size_t i = 0; i < ngroups; i++)
		if (!users_valid_name(groups[i], strlen(groups[i]))) {
			rag_seterr(err, errlen, "invalid group name '%.*s'", 80, groups[i]);
			return -EINVAL;
		}
	pthread_rwlock_rdlock(&u->lock);
	nusers = u->n;
	if (find_name(u, name, strlen(name)))
		snprintf(other, sizeof(other), "%s", find_name(u, name, strlen(name))->name);
	else if (cert_subject && find_subj(u, cert_subject))
		snprintf(other, sizeof(other), "%s", find_subj(u, cert_subject)->name);
	pthread_rwlock_unlock(&u->lock);
	if (other[0]) {
		if (!strcasecmp(other, name))
			rag_seterr(err, errlen, "user '%s' already exists", other);
		else
			rag_seterr(err, errlen, "certificate subject already belongs to user '%s'",
			       other);
		return -EEXIST;
	}
	if (nusers >= USERS_MAX) {
		rag_seterr(err, errlen, "already %d users, the limit", USERS_MAX);
		return -E2BIG;
	}
	if (password && pwlen == 0) {
		rag_seterr(err, errlen, "empty password");
		return -EINVAL;
	}
	if (psk && users_psk_check(psklen, err, errlen) < 0)
		return -EINVAL;
	rec = calloc(1, sizeof(*rec));
	if (!rec || store_exec(u->db, "BEGIN IMMEDIATE", err, errlen) < 0) {
		if (!rec)
			rag_seterr(err, errlen, "out of memory");
		free(rec);
		return rec ? -EIO : -ENOMEM;
	}
	rc = prepare(u->db, &st, "INSERT INTO users (name, cert_subject, created, updated) "
		       "VALUES (?1, ?2, ?3, ?3)");
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		if (cert_subject)
			sqlite3_bind_text(st, 2, cert_subject, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		rag_seterr(err, errlen, "user '%s' already exists", name);
		r = -EEXIST;
		goto rollback;
	}
	if (rc != SQLITE_DONE)
		goto sqlerr;
	id = sqlite3_last_insert_rowid(u->db);
	if (password) {
		r = seal_password(u, id, password, pwlen, blob, sizeof(blob), &blen, err, errlen);
		if (r < 0)
			goto rollback;
		if (update_blob(u->db, "UPDATE users SET nt_hash = ?1 WHERE id = ?2", id, blob,
				blen) != SQLITE_DONE)
			goto sqlerr;
	}
	if (psk) {
		r = secrets_seal(u->sec, SECRETS_PSK, id, psk, psklen, pblob, sizeof(pblob),
				 &pblen);
		if (r < 0) {
			rag_seterr(err, errlen, "cannot seal the PSK");
			goto rollback;
		}
		if (update_blob(u->db, "UPDATE users SET psk = ?1 WHERE id = ?2", id, pblob,
				pblen) != SQLITE_DONE)
			goto sqlerr;
	}
	for (size_t i = 0; i < ngroups; i++) {
		int64_t gid = -1;
		const char *gname = NULL;

		rc = prepare(u->db, &st, "SELECT id, name FROM user_group WHERE name = ?1");
		if (rc == SQLITE_OK) {
			sqlite3_bind_text(st, 1, groups[i], -1, SQLITE_STATIC);
			rc = sqlite3_step(st);
			if (rc == SQLITE_ROW) {
				gid = sqlite3_column_int64(st, 0);
				gname = (const char *)sqlite3_column_text(st, 1);
				if (gname && rec_add_group(rec, gname) < 0) {
					sqlite3_finalize(st);
					rag_seterr(err, errlen, "out of memory");
					r = -ENOMEM;
					goto rollback;
				}
			}
		}
		sqlite3_finalize(st);
		st = NULL;
		if (rc == SQLITE_DONE) {
			rag_seterr(err, errlen, "group '%s' does not exist (create it with "
			       "'rag-ctl group add %s')", groups[i], groups[i]);
			r = -ENOENT;
			goto rollback;
		}
		if (rc != SQLITE_ROW)
			goto sqlerr;
		rc = prepare(u->db, &st, "INSERT OR IGNORE INTO user_group_member "
			       "(user_id, group_id) VALUES (?1, ?2)");
		if (rc == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, id);
			sqlite3_bind_int64(st, 2, gid);
			rc = sqlite3_step(st);
		}
		sqlite3_finalize(st);
		st = NULL;
		if (rc != SQLITE_DONE)
			goto sqlerr;
	}
	if (store_exec(u->db, "COMMIT", err, errlen) < 0) {
		r = -EIO;
		goto rollback;
	}
	rec->id = id;
	snprintf(rec->name, sizeof(rec->name), "%s", name);
	rec->created = rec->updated = now;
	if (cert_subject)
		rec->subject = strdup(cert_subject);
	if (blen) {
		bool ok = true;

		rec->nt_blob = memdup(blob, blen, &ok);
		rec->nt_len = blen;
	}
	if (pblen) {
		bool ok = true;

		rec->psk_blob = memdup(pblob, pblen, &ok);
		rec->psk_len = pblen;
	}
	pthread_rwlock_wrlock(&u->lock);
	r = (cert_subject && !rec->subject) || (blen && !rec->nt_blob) ||
	    (pblen && !rec->psk_blob) ? -ENOMEM : cache_add(u, rec);
	pthread_rwlock_unlock(&u->lock);
	sodium_memzero(blob, sizeof(blob));
	sodium_memzero(pblob, sizeof(pblob));
	if (r < 0) {
		rec_free(rec);
		rag_seterr(err, errlen, "added to rag.db but out of memory for the cache");
		return r;
	}
	return 0;
sqlerr:
	rag_seterr(err, errlen, "rag.db: %s", sqlite3_errmsg(u->db));
	r = -EIO;
rollback:
	store_exec(u->db, "ROLLBACK", NULL, 0);
	sodium_memzero(blob, sizeof(blob));
	sodium_memzero(pblob, sizeof(pblob));
	rec_free(rec);
	return r;
}

/* Look up name for administration: copies id and stored spelling. */
static int admin_find(struct users *u, const char *name, int64_t *id, char *canon,
		      char *err, size_t errlen)
{
	const struct user_rec *r;

	if (!users_valid_name(name, strlen(name))) {
		rag_seterr(err, errlen, "invalid user name '%.*s'", 80, name);
		return -EINVAL;
	}
	pthread_rwlock_rdlock(&u->lock);
	r = find_name(u, name, strlen(name));
	if (r) {
		*id = r->id;
		snprintf(canon, USERS_NAME_MAX + 1, "%s", r->name);
	}
	pthread_rwlock_unlock(&u->lock);
	if (!r) {
		rag_seterr(err, errlen, "no user '%s'", name);
		return -ENOENT;
	}
	return 0;
}

/* Run one UPDATE/DELETE with an id (and an optional blob or int) in rag.db;
 * 0, -ENOENT (no row changed) or -EIO. */
static int exec_id(struct users *u, const char *sql, int64_t id, const uint8_t *blob,
		   size_t blen, bool has_int, int64_t ival, int64_t now, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare(u->db, &st, sql);

	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_bind_parameter_count(st) >= 2)
			sqlite3_bind_int64(st, 2, now);
		if (blob)
			sqlite3_bind_blob(st, 3, blob, (int)blen, SQLITE_STATIC);
		else if (has_int)
			sqlite3_bind_int64(st, 3, ival);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rag_seterr(err, errlen, "rag.db: %s", sqlite3_errmsg(u->db));
		return -EIO;
	}
	if (sqlite3_changes(u->db) == 0) {
		rag_seterr(err, errlen, "user no longer in rag.db");
		return -ENOENT;
	}
	return 0;
}

/* See users.h. */
int users_del(struct users *u, const char *name, char *err, size_t errlen)
{
	char canon[USERS_NAME_MAX + 1];
	struct user_rec *rec;
	int64_t id;
	int r = admin_find(u, name, &id, canon, err, errlen);

	if (r < 0)
		return r;
	r = exec_id(u, "DELETE FROM users WHERE id = ?1", id, NULL, 0,
		    false, 0, 0, err, errlen);
	if (r < 0 && r != -ENOENT)
		return r;
	pthread_rwlock_wrlock(&u->lock);
	rec = find_id(u, id);
	if (rec)
		cache_remove(u, rec);
	pthread_rwlock_unlock(&u->lock);
	fire(u, USERS_EV_DELETED, id, canon);
	return 0;
}

/* See users.h. */
int users_passwd(struct users *u, const char *name, const char *password, size_t pwlen,
		 int64_t now, char *err, size_t errlen)
{
	char canon[USERS_NAME_MAX + 1];
	uint8_t blob[64];
	size_t blen;
	struct user_rec *rec;
	int64_t id;
	int r = admin_find(u, name, &id, canon, err, errlen);

	if (r < 0)
		return r;
	r = seal_password(u, id, password, pwlen, blob, sizeof(blob), &blen, err, errlen);
	if (r < 0)
		return r;
	r = exec_id(u, "UPDATE users SET updated = ?2, nt_hash = ?3 WHERE id = ?1", id, blob,
		    blen, false, 0, now, err, errlen);
	if (r == 0) {
		pthread_rwlock_wrlock(&u->lock);
		rec = find_id(u, id);
		if (rec) {
			uint8_t *nb = malloc(blen);

			if (nb) {
				memcpy(nb, blob, blen);
				free(rec->nt_blob);
				rec->nt_blob = nb;
				rec->nt_len = blen;
				rec->updated = now;
			} else {
				r = -ENOMEM;
			}
		}
		pthread_rwlock_unlock(&u->lock);
	}
	sodium_memzero(blob, sizeof(blob));
	if (r == -ENOMEM)
		rag_seterr(err, errlen, "stored, but out of memory for the cache");
	if (r == 0)
		fire(u, USERS_EV_PASSWORD, id, canon);
	return r;
}

/* See users.h. */
int users_set_psk(struct users *u, const char *name, const uint8_t *psk, size_t len,
		  int64_t now, char *err, size_t errlen)
{
	char canon[USERS_NAME_MAX + 1];
	uint8_t blob[USERS_PSK_MAX + SECRETS_OVERHEAD];
	size_t blen = 0;
	struct user_rec *rec;
	int64_t id;
	int r = admin_find(u, name, &id, canon, err, errlen);

	if (r < 0)
		return r;
	if (psk && users_psk_check(len, err, errlen) < 0)
		return -EINVAL;
	if (psk) {
		r = secrets_seal(u->sec, SECRETS_PSK, id, psk, len, blob, sizeof(blob), &blen);
		if (r < 0) {
			rag_seterr(err, errlen, "cannot seal the PSK");
			return r;
		}
		r = exec_id(u, "UPDATE users SET updated = ?2, psk = ?3 WHERE id = ?1", id, blob,
			    blen, false, 0, now, err, errlen);
	} else {
		r = exec_id(u, "UPDATE users SET updated = ?2, psk = NULL WHERE id = ?1", id,
			    NULL, 0, false, 0, now, err, errlen);
	}
	if (r == 0) {
		pthread_rwlock_wrlock(&u->lock);
		rec = find_id(u, id);
		if (rec) {
			bool ok = true;
			uint8_t *nb = memdup(psk ? blob : NULL, blen, &ok);

			if (ok) {
				free(rec->psk_blob);
				rec->psk_blob = nb;
				rec->psk_len = blen;
				rec->updated = now;
			} else {
				r = -ENOMEM;
			}
		}
		pthread_rwlock_unlock(&u->lock);
	}
	sodium_memzero(blob, sizeof(blob));
	if (r == 0)
		fire(u, USERS_EV_PASSWORD, id, canon);
	return r;
}

/* See users.h. */
int users_lock(struct users *u, const char *name, bool lock, int64_t now, char *err,
	       size_t errlen)
{
	char canon[USERS_NAME_MAX + 1];
	struct user_rec *rec;
	int64_t id;
	int r = admin_find(u, name, &id, canon, err, errlen);

	if (r < 0)
		return r;
	r = exec_id(u, "UPDATE users SET updated = ?2, locked = ?3 WHERE id = ?1", id, NULL, 0,
		    true, lock ? 1 : 0, now, err, errlen);
	if (r < 0)
		return r;
	pthread_rwlock_wrlock(&u->lock);
	rec = find_id(u, id);
	if (rec) {
		rec->locked = lock;
		rec->updated = now;
		if (!lock) {
			/* unlock also ends an automatic lockout; queued behind
			 * any earlier failure so it wins in rag.db too */
			rec->failed = 0;
			rec->locked_until = 0;
			queue_counters(u, rec);
		}
	}
	pthread_rwlock_unlock(&u->lock);
	if (lock)
		fire(u, USERS_EV_LOCKED, id, canon);
	return 0;
}

/* qsort by name, case-insensitively (the uniqueness rule), then exactly. */
static int cmp_rec(const void *a, const void *b)
{
	const struct user_rec *x = *(const struct user_rec *const *)a;
	const struct user_rec *y = *(const struct user_rec *const *)b;
	int c = strcasecmp(x->name, y->name);

	return c ? c : strcmp(x->name, y->name);
}

/* See users.h. */
size_t users_list(struct users *u, int64_t now,
		  void (*fn)(void *arg, const struct users_entry *e), void *arg)
{
	struct users_entry *e = malloc(sizeof(*e));
	struct user_rec **v;
	size_t n;

	if (!e)
		return 0;
	pthread_rwlock_rdlock(&u->lock);
	n = u->n;
	v = malloc((n ? n : 1) * sizeof(*v));
	if (!v) {
		pthread_rwlock_unlock(&u->lock);
		free(e);
		return 0;
	}
	memcpy(v, u->recs, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_rec);
	for (size_t i = 0; i < n; i++) {
		fill_entry(u, v[i], now, false, e);
		fn(arg, e);
	}
	pthread_rwlock_unlock(&u->lock);
	free(v);
	free(e);
	return n;
}

/* See users.h. */
size_t users_count(struct users *u)
{
	size_t n;

	pthread_rwlock_rdlock(&u->lock);
	n = u->n;
	pthread_rwlock_unlock(&u->lock);
	return n;
}

/* See users.h. */
void users_flush(struct users *u)
{
	store_writer_flush(u->writer);
}
