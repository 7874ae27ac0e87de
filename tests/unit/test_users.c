/*
 * test_users.c — daemon/secrets.c and daemon/users.c against issue 3
 * point 4 ("what MSCHAPv2 needs (the NT hash) is encrypted at rest with
 * libsodium (key file 0600 in the state dir), never stored in clear; PSKs
 * likewise") and the users brief: add/del/passwd/lock/unlock, the NT hash
 * of RFC 2759 section 9.2 ("clientPass" -> 44EBBA8D...), secrets never in
 * clear in rag.db or its WAL (the file bytes are searched), wrong key file
 * permissions refused, sealed blobs bound to their user and purpose,
 * DOMAIN\user lookups (RFC 2759 section 4), lockout after the threshold
 * and its persistence, the delete hook, groups, limits.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "ike.h"
#include "ike_mschap.h"
#include "secrets.h"
#include "store.h"
#include "users.h"

static char dir[256];

/* RFC 2759 section 9.2 */
static const char *rfc_password = "clientPass";
static const char *rfc_nt_hash = "44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE";

/* A path in the temporary directory (four rotating buffers, so two
 * paths can be arguments of one call). */
static const char *tpath(const char *name)
{
	static char p[4][512];
	static unsigned int k;
	char *b = p[k++ % 4];

	snprintf(b, sizeof(p[0]), "%s/%s", dir, name);
	return b;
}

/* Does file path contain needle[0..n)? (-1: unreadable) */
static int file_contains(const char *path, const uint8_t *needle, size_t n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long len;
	int found = 0;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)len + 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	for (long i = 0; i + (long)n <= len; i++)
		if (!memcmp(buf + i, needle, n)) {
			found = 1;
			break;
		}
	free(buf);
	return found;
}

/* needle in rag.db or rag.db-wal? */
static bool in_db_files(const uint8_t *needle, size_t n)
{
	int a = file_contains(tpath("rag.db"), needle, n);
	int b = file_contains(tpath("rag.db-wal"), needle, n);

	CHECK(a >= 0);	/* the database must exist for this to mean anything */
	return a == 1 || b == 1;
}

/* ---- secrets ---- */

static void test_secrets(void)
{
	struct secrets s1, s2;
	char err[256];
	bool created;
	struct stat st;
	uint8_t blob[128], plain[16] = "0123456789abcde";
	size_t blen;
	struct ike_key out;
	int fd;

	/* created 0600 with 32 random bytes on first use */
	CHECK_INT(secrets_load(&s1, dir, false, &created, err, sizeof(err)), -ENOENT);
	CHECK_INT(secrets_load(&s1, dir, true, &created, err, sizeof(err)), 0);
	CHECK(created);
	CHECK_INT(stat(tpath(SECRETS_KEY_FILE), &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	CHECK_INT(st.st_size, SECRETS_KEY_LEN);
	/* loading again gives the same key */
	CHECK_INT(secrets_load(&s2, dir, true, &created, err, sizeof(err)), 0);
	CHECK(!created);
	CHECK_INT(s1.key.len, SECRETS_KEY_LEN);
	CHECK_MEM(s1.key.ptr, s2.key.ptr, SECRETS_KEY_LEN);
	secrets_free(&s2);

	/* seal/open round trip; bound to user id and purpose; tamper-evident */
	CHECK_INT(secrets_seal(&s1, SECRETS_NT_HASH, 7, plain, sizeof(plain), blob, sizeof(blob),
			       &blen), 0);
	CHECK_INT(blen, sizeof(plain) + SECRETS_OVERHEAD);
	CHECK(!memmem(blob, blen, plain, sizeof(plain)));
	CHECK_INT(secrets_open(&s1, SECRETS_NT_HASH, 7, blob, blen, &out), 0);
	CHECK_INT(out.len, sizeof(plain));
	CHECK_MEM(out.ptr, plain, sizeof(plain));
	ike_key_free(&out);
	CHECK_INT(secrets_open(&s1, SECRETS_NT_HASH, 8, blob, blen, &out), -EBADMSG);
	CHECK_INT(secrets_open(&s1, SECRETS_PSK, 7, blob, blen, &out), -EBADMSG);
	for (size_t i = 1; i < blen; i += 9) {
		blob[i] ^= 0x40;
		CHECK_INT(secrets_open(&s1, SECRETS_NT_HASH, 7, blob, blen, &out), -EBADMSG);
		blob[i] ^= 0x40;
	}
	CHECK_INT(secrets_open(&s1, SECRETS_NT_HASH, 7, blob, blen - 1, &out), -EBADMSG);
	CHECK_INT(secrets_open(&s1, SECRETS_NT_HASH, 7, blob, SECRETS_OVERHEAD - 1, &out),
		  -EINVAL);
	blob[0] = 2;	/* unknown version */
	CHECK_INT(secrets_open(&s1, SECRETS_NT_HASH, 7, blob, blen, &out), -EINVAL);
	CHECK_INT(secrets_seal(&s1, SECRETS_NT_HASH, 7, plain, sizeof(plain), blob,
			       sizeof(plain) + SECRETS_OVERHEAD - 1, &blen), -ENOSPC);
	/* two seals of the same value differ (random nonce) */
	{
		uint8_t b2[128];
		size_t l2;

		CHECK_INT(secrets_seal(&s1, SECRETS_NT_HASH, 7, plain, sizeof(plain), blob,
				       sizeof(blob), &blen), 0);
		CHECK_INT(secrets_seal(&s1, SECRETS_NT_HASH, 7, plain, sizeof(plain), b2,
				       sizeof(b2), &l2), 0);
		CHECK(memcmp(blob, b2, blen) != 0);
	}
	secrets_free(&s1);

	/* refused when group or world can read (or write) it */
	CHECK_INT(chmod(tpath(SECRETS_KEY_FILE), 0640), 0);
	CHECK_INT(secrets_load(&s1, dir, true, NULL, err, sizeof(err)), -EPERM);
	CHECK(strstr(err, "0640") != NULL && strstr(err, "refused") != NULL);
	CHECK_INT(chmod(tpath(SECRETS_KEY_FILE), 0604), 0);
	CHECK_INT(secrets_load(&s1, dir, true, NULL, err, sizeof(err)), -EPERM);
	CHECK_INT(chmod(tpath(SECRETS_KEY_FILE), 0620), 0);
	CHECK_INT(secrets_load(&s1, dir, true, NULL, err, sizeof(err)), -EPERM);
	CHECK_INT(chmod(tpath(SECRETS_KEY_FILE), 0600), 0);
	CHECK_INT(secrets_load(&s1, dir, true, NULL, err, sizeof(err)), 0);
	secrets_free(&s1);

	/* a symbolic link is refused, not followed */
	CHECK_INT(rename(tpath(SECRETS_KEY_FILE), tpath("real.key")), 0);
	CHECK_INT(symlink(tpath("real.key"), tpath(SECRETS_KEY_FILE)), 0);
	CHECK_INT(secrets_load(&s1, dir, true, NULL, err, sizeof(err)), -ELOOP);
	unlink(tpath(SECRETS_KEY_FILE));
	CHECK_INT(rename(tpath("real.key"), tpath(SECRETS_KEY_FILE)), 0);

	/* a truncated key file is refused, not padded */
	CHECK_INT(rename(tpath(SECRETS_KEY_FILE), tpath("real.key")), 0);
	fd = open(tpath(SECRETS_KEY_FILE), O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0);
	CHECK_INT(write(fd, "short", 5), 5);
	close(fd);
	CHECK_INT(secrets_load(&s1, dir, true, NULL, err, sizeof(err)), -EINVAL);
	unlink(tpath(SECRETS_KEY_FILE));
	CHECK_INT(rename(tpath("real.key"), tpath(SECRETS_KEY_FILE)), 0);
}

/* ---- users ---- */

struct hook_log {
	int n;
	enum users_event ev;
	int64_t id;
	char name[USERS_NAME_MAX + 1];
};

static void hook(void *arg, enum users_event ev, int64_t id, const char *name)
{
	struct hook_log *h = arg;

	h->n++;
	h->ev = ev;
	h->id = id;
	snprintf(h->name, sizeof(h->name), "%s", name);
}

struct list_acc {
	int n;
	char names[512];
	char groups[256];
};

static void list_cb(void *arg, const struct users_entry *e)
{
	struct list_acc *a = arg;

	a->n++;
	snprintf(a->names + strlen(a->names), sizeof(a->names) - strlen(a->names), "%s,",
		 e->name);
	if (e->groups[0])
		snprintf(a->groups + strlen(a->groups), sizeof(a->groups) - strlen(a->groups),
			 "%.200s;", e->groups);
}

/* Open users over the state dir with the key there. */
static struct users *open_users(struct secrets *s)
{
	struct users *u = NULL;
	char err[512];
	int r;

	CHECK_INT(secrets_load(s, dir, true, NULL, err, sizeof(err)), 0);
	r = users_open(&u, dir, s, err, sizeof(err));
	if (r < 0)
		fprintf(stderr, "users_open: %s\n", err);
	CHECK_INT(r, 0);
	return u;
}

static void test_users_basic(void)
{
	struct secrets sec;
	struct users *u = open_users(&sec);
	struct users_entry e;
	struct hook_log h = { 0 };
	char err[512];
	size_t hlen;
	uint8_t *want = check_unhex(rfc_nt_hash, &hlen);
	uint8_t utf16[32];
	const int64_t now = 1700000000;

	if (!u)
		return;
	users_set_hook(u, hook, &h);
	CHECK_INT(users_count(u), 0);

	/* add "User" with the RFC 2759 9.2 password */
	CHECK_INT(users_add(u, "User", rfc_password, strlen(rfc_password), NULL, 0, NULL, 0, NULL, now,
			    err, sizeof(err)), 0);
	CHECK_INT(users_lookup(u, "User", 4, now, true, &e), 0);
	CHECK(!strcmp(e.name, "User"));
	CHECK(e.has_password);
	CHECK_INT(e.state, USERS_ACTIVE);
	CHECK_INT(e.nt_hash.len, 16);
	if (e.nt_hash.len == 16)
		CHECK_MEM(e.nt_hash.ptr, want, 16);	/* RFC 2759 9.2 NtPasswordHash */
	users_entry_free(&e);
	CHECK(e.nt_hash.ptr == NULL);

	/* lookups: case-insensitive, "DOMAIN\user" stripped (RFC 2759 4) */
	CHECK_INT(users_lookup(u, "user", 4, now, false, &e), 0);
	CHECK(!strcmp(e.name, "User"));
	CHECK(e.nt_hash.ptr == NULL);	/* not asked for */
	CHECK_INT(users_lookup(u, "CORP\\USER", 9, now, false, &e), 0);
	CHECK_INT(users_lookup(u, "Use", 3, now, false, &e), -ENOENT);
	CHECK_INT(users_lookup(u, "User\0x", 6, now, false, &e), -ENOENT);
	CHECK_INT(users_lookup(u, "", 0, now, false, &e), -ENOENT);
	CHECK_INT(users_lookup(u, "us'er", 5, now, false, &e), -ENOENT);

	/* secrets never in clear: not the NT hash, not the password in
	 * UTF-8 or UTF-16LE, in the database or its WAL */
	CHECK(!in_db_files(want, 16));
	CHECK(!in_db_files((const uint8_t *)rfc_password, strlen(rfc_password)));
	for (size_t i = 0; i < strlen(rfc_password); i++) {
		utf16[2 * i] = (uint8_t)rfc_password[i];
		utf16[2 * i + 1] = 0;
	}
	CHECK(!in_db_files(utf16, 2 * strlen(rfc_password)));
	/* ... while the database does hold the user (the search works) */
	CHECK(in_db_files((const uint8_t *)"User", 4));

	/* duplicates (any case) and invalid names are refused, naming them */
	CHECK_INT(users_add(u, "USER", NULL, 0, NULL, 0, NULL, 0, NULL, now, err, sizeof(err)), -EEXIST);
	CHECK(strstr(err, "'User' already exists") != NULL);
	CHECK_INT(users_add(u, "bad name", NULL, 0, NULL, 0, NULL, 0, NULL, now, err, sizeof(err)),
		  -EINVAL);
	CHECK(strstr(err, "'bad name'") != NULL);
	CHECK_INT(users_add(u, "-dash", NULL, 0, NULL, 0, NULL, 0, NULL, now, err, sizeof(err)), -EINVAL);
	{
		char n64[66];

		memset(n64, 'a', 64);
		n64[64] = '\0';
		CHECK_INT(users_add(u, n64, NULL, 0, NULL, 0, NULL, 0, NULL, now, err, sizeof(err)), 0);
		n64[64] = 'a';
		n64[65] = '\0';
		CHECK_INT(users_add(u, n64, NULL, 0, NULL, 0, NULL, 0, NULL, now, err, sizeof(err)),
			  -EINVAL);
	}
	/* passwords: invalid UTF-8 and empty are refused */
	CHECK_INT(users_add(u, "x1", "\xc3", 1, NULL, 0, NULL, 0, NULL, now, err, sizeof(err)), -EINVAL);
	CHECK_INT(users_add(u, "x1", "", 0, NULL, 0, NULL, 0, NULL, now, err, sizeof(err)), -EINVAL);
	CHECK_INT(users_lookup(u, "x1", 2, now, false, &e), -ENOENT);

	/* certificate-only user with a subject; subject lookups; duplicates */
	CHECK_INT(users_add(u, "carol", NULL, 0, NULL, 0, NULL, 0, "CN=carol, O=Example", now, err,
			    sizeof(err)), 0);
	CHECK_INT(users_lookup_subject(u, "CN=carol, O=Example", now, true, &e), 0);
	CHECK(!strcmp(e.name, "carol"));
	CHECK(!e.has_password && e.nt_hash.ptr == NULL);
	users_entry_free(&e);
	CHECK_INT(users_lookup_subject(u, "CN=Carol, O=Example", now, false, &e), -ENOENT);
	CHECK_INT(users_add(u, "carol2", NULL, 0, NULL, 0, NULL, 0, "CN=carol, O=Example", now, err,
			    sizeof(err)), -EEXIST);
	CHECK(strstr(err, "carol") != NULL);
	CHECK_INT(users_add(u, "dave", NULL, 0, NULL, 0, NULL, 0, "CN=x\ny", now, err, sizeof(err)),
		  -EINVAL);

	/* passwd: the stored hash changes and still never appears in clear */
	{
		struct ike_mschap_ctx *mc;
		struct ike_key nt2;

		h.n = 0;
		CHECK_INT(users_passwd(u, "user", "n\xc3\xa9w-pass", 9, now + 5, err, sizeof(err)),
			  0);
		CHECK_INT(h.n, 1);
		CHECK_INT(h.ev, USERS_EV_PASSWORD);
		CHECK_INT(ike_mschap_ctx_new(&mc), 0);
		CHECK_INT(ike_mschap_nt_password_hash(mc, "n\xc3\xa9w-pass", 9, &nt2), 0);
		CHECK_INT(users_lookup(u, "User", 4, now, true, &e), 0);
		CHECK_INT(e.nt_hash.len, 16);
		if (e.nt_hash.len == 16)
			CHECK_MEM(e.nt_hash.ptr, nt2.ptr, 16);
		CHECK(memcmp(e.nt_hash.ptr, want, 16) != 0);
		CHECK_INT(e.updated, now + 5);
		users_entry_free(&e);
		CHECK(!in_db_files(nt2.ptr, 16));
		ike_key_free(&nt2);
		ike_mschap_ctx_free(mc);
	}
	CHECK_INT(users_passwd(u, "nobody", "x", 1, now, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "'nobody'") != NULL);

	/* PSK: sealed, opened into guarded memory, never in clear */
	{
		static const uint8_t psk[] = "a-long-per-user-pre-shared-key-42";

		CHECK_INT(users_set_psk(u, "carol", psk, sizeof(psk) - 1, now, err, sizeof(err)), 0);
		CHECK_INT(users_lookup(u, "carol", 5, now, true, &e), 0);
		CHECK(e.has_psk);
		CHECK_INT(e.psk.len, sizeof(psk) - 1);
		if (e.psk.len == sizeof(psk) - 1)
			CHECK_MEM(e.psk.ptr, psk, sizeof(psk) - 1);
		users_entry_free(&e);
		CHECK(!in_db_files(psk, sizeof(psk) - 1));
		CHECK_INT(users_set_psk(u, "carol", NULL, 0, now, err, sizeof(err)), 0);
		CHECK_INT(users_lookup(u, "carol", 5, now, true, &e), 0);
		CHECK(!e.has_psk && e.psk.ptr == NULL);
		users_entry_free(&e);
		/* weak PSKs are refused, saying why (issue: offline guessing) */
		err[0] = '\0';
		CHECK_INT(users_set_psk(u, "carol", psk, USERS_PSK_MIN - 1, now, err,
					sizeof(err)), -EINVAL);
		CHECK(strstr(err, "at least 20") != NULL);
		CHECK_INT(users_set_psk(u, "carol", psk, USERS_PSK_MIN, now, err, sizeof(err)),
			  0);
		CHECK_INT(users_set_psk(u, "carol", NULL, 0, now, err, sizeof(err)), 0);
		/* a user created with a PSK (and no password), in one
		 * transaction: a refused PSK leaves no user behind */
		CHECK_INT(users_add(u, "nm", NULL, 0, psk, 7, NULL, 0, NULL, now, err,
				    sizeof(err)), -EINVAL);
		CHECK(strstr(err, "PSK too short") != NULL);
		CHECK_INT(users_lookup(u, "nm", 2, now, false, &e), -ENOENT);
		CHECK_INT(users_add(u, "nm", NULL, 0, psk, sizeof(psk) - 1, NULL, 0, NULL, now,
				    err, sizeof(err)), 0);
		CHECK_INT(users_lookup(u, "nm", 2, now, true, &e), 0);
		CHECK(e.has_psk && !e.has_password);
		CHECK_INT(e.psk.len, sizeof(psk) - 1);
		if (e.psk.len == sizeof(psk) - 1)
			CHECK_MEM(e.psk.ptr, psk, sizeof(psk) - 1);
		users_entry_free(&e);
		CHECK(!in_db_files(psk, sizeof(psk) - 1));
		CHECK_INT(users_del(u, "nm", err, sizeof(err)), 0);
	}

	/* lock / unlock; the hook hears of a lock */
	h.n = 0;
	CHECK_INT(users_lock(u, "carol", true, now, err, sizeof(err)), 0);
	CHECK_INT(h.n, 1);
	CHECK_INT(h.ev, USERS_EV_LOCKED);
	CHECK(!strcmp(h.name, "carol"));
	CHECK_INT(users_lookup(u, "carol", 5, now, false, &e), 0);
	CHECK_INT(e.state, USERS_LOCKED);
	CHECK_INT(users_lock(u, "carol", false, now, err, sizeof(err)), 0);
	CHECK_INT(users_lookup(u, "carol", 5, now, false, &e), 0);
	CHECK_INT(e.state, USERS_ACTIVE);
	CHECK_INT(users_lock(u, "carol", true, now, err, sizeof(err)), 0);	/* stays locked */

	/* delete: gone from the cache and the database; the hook gets the
	 * stored spelling and the id (the runtime ends the user's SAs) */
	{
		int64_t id;

		CHECK_INT(users_add(u, "Eve", "pw", 2, NULL, 0, NULL, 0, NULL, now, err, sizeof(err)), 0);
		CHECK_INT(users_lookup(u, "eve", 3, now, false, &e), 0);
		id = e.id;
		h.n = 0;
		CHECK_INT(users_del(u, "EVE", err, sizeof(err)), 0);
		CHECK_INT(h.n, 1);
		CHECK_INT(h.ev, USERS_EV_DELETED);
		CHECK_INT(h.id, id);
		CHECK(!strcmp(h.name, "Eve"));
		CHECK_INT(users_lookup(u, "eve", 3, now, false, &e), -ENOENT);
		CHECK_INT(users_del(u, "eve", err, sizeof(err)), -ENOENT);
		/* a new Eve gets a new id (AUTOINCREMENT: old blobs never fit) */
		CHECK_INT(users_add(u, "Eve", NULL, 0, NULL, 0, NULL, 0, NULL, now, err, sizeof(err)), 0);
		CHECK_INT(users_lookup(u, "eve", 3, now, false, &e), 0);
		CHECK(e.id > id);
		CHECK_INT(users_del(u, "eve", err, sizeof(err)), 0);
	}

	/* list: name order, case-insensitive */
	{
		struct list_acc a = { 0 };

		CHECK_INT(users_add(u, "bob", "pw", 2, NULL, 0, NULL, 0, NULL, now, err, sizeof(err)), 0);
		CHECK_INT(users_list(u, now, list_cb, &a), 4);
		CHECK_INT(a.n, 4);
		CHECK(!strncmp(a.names, "aaaa", 4));
		CHECK(strstr(a.names, ",bob,carol,User,") != NULL);
	}
	users_close(u);
	secrets_free(&sec);

	/* everything is in rag.db: a fresh process sees the same */
	u = open_users(&sec);
	if (!u)
		return;
	CHECK_INT(users_count(u), 4);
	CHECK_INT(users_lookup(u, "carol", 5, now, false, &e), 0);
	CHECK_INT(e.state, USERS_LOCKED);
	CHECK(!strcmp(e.cert_subject, "CN=carol, O=Example"));
	CHECK_INT(users_lookup(u, "eve", 3, now, false, &e), -ENOENT);
	CHECK_INT(users_lookup(u, "User", 4, now, true, &e), 0);
	CHECK(e.nt_hash.len == 16 && memcmp(e.nt_hash.ptr, want, 16) != 0);
	users_entry_free(&e);
	users_close(u);
	secrets_free(&sec);
	free(want);
}

/* A blob moved to another user's row does not open (AD = user id). */
static void test_blob_swap(void)
{
	struct secrets sec;
	struct users *u;
	struct users_entry e;
	char err[512];
	sqlite3 *db;

	CHECK_INT(store_open(tpath("rag.db"), &db, err, sizeof(err)), 0);
	CHECK_INT(store_exec(db, "UPDATE users SET nt_hash = (SELECT nt_hash FROM users "
			     "WHERE name = 'User') WHERE name = 'bob'", err, sizeof(err)), 0);
	store_close(db);
	u = open_users(&sec);
	if (!u)
		return;
	CHECK_INT(users_lookup(u, "bob", 3, 1, true, &e), -EBADMSG);
	CHECK(e.nt_hash.ptr == NULL);
	CHECK_INT(users_lookup(u, "User", 4, 1, true, &e), 0);
	users_entry_free(&e);
	users_close(u);
	secrets_free(&sec);
}

/* Lockout after the threshold, its expiry, and persistence in order. */
static void test_lockout(void)
{
	struct secrets sec;
	struct users *u = open_users(&sec);
	struct users_entry e;
	enum users_state st;
	char err[512];
	int64_t id, now = 1800000000;

	if (!u)
		return;
	users_set_policy(u, 3, 60);
	CHECK_INT(users_lookup(u, "bob", 3, now, false, &e), 0);
	id = e.id;
	CHECK_INT(users_auth_result(u, id, false, now, &st), 0);
	CHECK_INT(st, USERS_ACTIVE);
	CHECK_INT(users_auth_result(u, id, false, now, &st), 0);
	CHECK_INT(users_lookup(u, "bob", 3, now, false, &e), 0);
	CHECK_INT(e.failed, 2);
	CHECK_INT(users_auth_result(u, id, true, now, &st), 0);	/* success resets */
	CHECK_INT(users_lookup(u, "bob", 3, now, false, &e), 0);
	CHECK_INT(e.failed, 0);
	/* the failure that reaches the threshold says so (the caller logs
	 * the lock once: issue 4, "the lock itself appears in the auth log") */
	for (int i = 0; i < 3; i++)
		CHECK_INT(users_auth_result(u, id, false, now + i, &st), i == 2);
	CHECK_INT(st, USERS_LOCKED_OUT);	/* at the threshold */
	CHECK_INT(users_lookup(u, "bob", 3, now + 30, false, &e), 0);
	CHECK_INT(e.state, USERS_LOCKED_OUT);
	CHECK_INT(e.locked_until, now + 2 + 60);
	/* failures while locked out do not extend it */
	CHECK_INT(users_auth_result(u, id, false, now + 40, &st), 0);
	CHECK_INT(users_lookup(u, "bob", 3, now + 40, false, &e), 0);
	CHECK_INT(e.locked_until, now + 62);
	CHECK_INT(users_lookup(u, "bob", 3, now + 63, false, &e), 0);
	CHECK_INT(e.state, USERS_ACTIVE);	/* expired */
	CHECK_INT(e.failed, 0);			/* counting starts afresh */
	CHECK_INT(users_auth_result(u, id, false, now + 63, &st), 0);
	CHECK_INT(st, USERS_ACTIVE);
	CHECK_INT(users_auth_result(u, id, true, now + 64, &st), 0);
	/* an administrator lock: failures do not count, unlock clears */
	CHECK_INT(users_lock(u, "bob", true, now + 64, err, sizeof(err)), 0);
	CHECK_INT(users_auth_result(u, id, false, now + 64, &st), 0);
	CHECK_INT(st, USERS_LOCKED);
	CHECK_INT(users_lookup(u, "bob", 3, now + 64, false, &e), 0);
	CHECK_INT(e.failed, 0);
	CHECK_INT(users_lock(u, "bob", false, now + 64, err, sizeof(err)), 0);
	/* `user unlock` ends an automatic lockout before its time */
	for (int i = 0; i < 3; i++)
		CHECK_INT(users_auth_result(u, id, false, now + 65, &st), i == 2);
	CHECK_INT(users_lookup(u, "bob", 3, now + 66, false, &e), 0);
	CHECK_INT(e.state, USERS_LOCKED_OUT);
	CHECK_INT(users_lock(u, "bob", false, now + 66, err, sizeof(err)), 0);
	CHECK_INT(users_lookup(u, "bob", 3, now + 66, false, &e), 0);
	CHECK_INT(e.state, USERS_ACTIVE);
	CHECK_INT(e.locked_until, 0);
	CHECK_INT(users_auth_result(u, 999999, false, now, &st), -ENOENT);

	/* persisted by the writer: a restart still sees the lockout */
	for (int i = 0; i < 3; i++)
		users_auth_result(u, id, false, now + 100, &st);
	users_flush(u);
	users_close(u);
	secrets_free(&sec);
	u = open_users(&sec);
	if (!u)
		return;
	CHECK_INT(users_lookup(u, "bob", 3, now + 101, false, &e), 0);
	CHECK_INT(e.state, USERS_LOCKED_OUT);
	CHECK_INT(e.locked_until, now + 160);

	/* threshold 0 = never lock out */
	users_set_policy(u, 0, 60);
	CHECK_INT(users_lookup(u, "User", 4, now, false, &e), 0);
	for (int i = 0; i < 50; i++)
		users_auth_result(u, e.id, false, now, &st);
	CHECK_INT(st, USERS_ACTIVE);

	/* unlock after failures wins in rag.db too (queued in order) */
	users_set_policy(u, 2, 3600);
	users_auth_result(u, id, false, now + 200, &st);
	users_auth_result(u, id, false, now + 200, &st);
	CHECK_INT(st, USERS_LOCKED_OUT);
	CHECK_INT(users_lock(u, "bob", false, now + 201, err, sizeof(err)), 0);
	users_close(u);
	secrets_free(&sec);
	u = open_users(&sec);
	if (!u)
		return;
	CHECK_INT(users_lookup(u, "bob", 3, now + 202, false, &e), 0);
	CHECK_INT(e.state, USERS_ACTIVE);
	CHECK_INT(e.failed, 0);
	users_close(u);
	secrets_free(&sec);
}

/* Groups: membership of existing groups only, rolled back otherwise. */
static void test_groups(void)
{
	struct secrets sec;
	struct users *u;
	struct users_entry e;
	struct list_acc a = { 0 };
	const char *gs[USERS_GROUPS_MAX + 1];
	char err[512];
	sqlite3 *db;

	CHECK_INT(store_open(tpath("rag.db"), &db, err, sizeof(err)), 0);
	CHECK_INT(store_exec(db, "INSERT INTO user_group (name, created) VALUES "
			     "('staff', 1), ('Admins', 1)", err, sizeof(err)), 0);
	store_close(db);
	u = open_users(&sec);
	if (!u)
		return;
	gs[0] = "staff";
	gs[1] = "admins";	/* matched without regard to case, stored spelling kept */
	CHECK_INT(users_add(u, "frank", "pw", 2, NULL, 0, gs, 2, NULL, 1, err, sizeof(err)), 0);
	CHECK_INT(users_lookup(u, "frank", 5, 1, false, &e), 0);
	CHECK(!strcmp(e.groups, "staff,Admins"));
	gs[1] = "nosuch";
	CHECK_INT(users_add(u, "gina", "pw", 2, NULL, 0, gs, 2, NULL, 1, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "group 'nosuch' does not exist") != NULL);
	CHECK_INT(users_lookup(u, "gina", 4, 1, false, &e), -ENOENT);	/* rolled back */
	for (int i = 0; i <= USERS_GROUPS_MAX; i++)
		gs[i] = "staff";
	CHECK_INT(users_add(u, "hank", NULL, 0, NULL, 0, gs, USERS_GROUPS_MAX + 1, NULL, 1, err,
			    sizeof(err)), -E2BIG);
	users_close(u);
	secrets_free(&sec);
	/* membership survives a restart and shows in the list */
	u = open_users(&sec);
	if (!u)
		return;
	users_list(u, 1, list_cb, &a);
	CHECK(!strcmp(a.groups, "Admins,staff;"));	/* loaded in group name order */
	CHECK_INT(users_del(u, "frank", err, sizeof(err)), 0);
	users_close(u);
	secrets_free(&sec);
	CHECK_INT(store_open(tpath("rag.db"), &db, err, sizeof(err)), 0);
	CHECK_INT(store_check(db, err, sizeof(err)), 0);
	store_close(db);
}

/* A regenerated secrets.key cannot open the stored secrets: refused. */
static void test_wrong_key(void)
{
	struct secrets sec;
	struct users *u = NULL;
	char err[512];

	CHECK_INT(rename(tpath(SECRETS_KEY_FILE), tpath("old.key")), 0);
	CHECK_INT(secrets_load(&sec, dir, true, NULL, err, sizeof(err)), 0);
	CHECK_INT(users_open(&u, dir, &sec, err, sizeof(err)), -EBADMSG);
	CHECK(u == NULL);
	CHECK(strstr(err, SECRETS_KEY_FILE) != NULL);
	secrets_free(&sec);
	CHECK_INT(rename(tpath("old.key"), tpath(SECRETS_KEY_FILE)), 0);
	CHECK_INT(secrets_load(&sec, dir, true, NULL, err, sizeof(err)), 0);
	CHECK_INT(users_open(&u, dir, &sec, err, sizeof(err)), 0);
	users_close(u);
	secrets_free(&sec);
}

int main(void)
{
	if (ike_init() < 0)
		return 1;
	snprintf(dir, sizeof(dir), "/tmp/rag-test-users-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	test_secrets();
	test_users_basic();
	test_blob_swap();
	test_lockout();
	test_groups();
	test_wrong_key();
	{
		const char *files[] = { "rag.db", "rag.db-wal", "rag.db-shm", SECRETS_KEY_FILE };

		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
			unlink(tpath(files[i]));
		rmdir(dir);
	}
	return check_done("test_users");
}
