/*
 * test_logbundle.c — issue 5 point 4: `rag-ctl log export` writes the bundle
 * of INTERFACES.md (connection.jsonl, acl.jsonl, auth.jsonl, manifest.json,
 * manifest.sig = Ed25519 over manifest.json by a key generated at first
 * start, private key 0600), streaming (memory does not grow with rows),
 * atomically; `rag-ctl log verify` reports OK or exactly which file or
 * manifest field does not match.  Edge cases from the issue: rows at
 * 23:59:59 and 00:00:00 local on the window's edges, an empty window gives a
 * valid bundle with zero rows, a tampered byte in each file is detected;
 * plus missing, extra, duplicate and non-regular members, a foreign key, a
 * re-signed manifest with a wrong field, a corrupt or truncated archive and
 * the reader's limits.  Uses daemon/logsign.c for the key (ragd's side).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <sodium.h>
#include <zlib.h>

#include "check.h"
#include "log_bundle.h"
#include "log_query.h"
#include "logsign.h"
#include "store.h"

#define S 1000LL
#define DAY (86400 * S)

static char dir[256];
static struct logsign *key;

static const char *tpath(const char *name)
{
	static char p[4][512];
	static unsigned int k;
	char *b = p[k++ % 4];

	snprintf(b, sizeof(p[0]), "%s/%s", dir, name);
	return b;
}

/* ---- the key (ragd side) ---- */

static void test_key(void)
{
	char err[256], pem[512];
	struct logsign *k2;
	uint8_t pk[LOGSIGN_PK_LEN], pk2[LOGSIGN_PK_LEN];
	struct stat st;
	bool created = false;
	int fd;

	CHECK_INT(logsign_open(&key, dir, &created, err, sizeof(err)), 0);
	CHECK(created);
	CHECK_INT(stat(tpath(LOGSIGN_KEY_FILE), &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	CHECK_INT(st.st_size, 32);
	CHECK_INT(stat(tpath(LOGSIGN_PUB_FILE), &st), 0);
	CHECK_INT(st.st_mode & 0777, 0644);
	CHECK_INT(logsign_pub_load(tpath(LOGSIGN_PUB_FILE), pk, err, sizeof(err)), 0);
	{
		char b64[LOGSIGN_PUB_B64];

		logsign_pub_b64(pk, b64);
		CHECK(!strcmp(b64, logsign_public(key)));
		CHECK_INT(strlen(b64), 60);
		/* the bare base64 line (what `rag-ctl status` shows) parses too */
		CHECK_INT(logsign_pub_parse(b64, strlen(b64), pk2), 0);
		CHECK_MEM(pk, pk2, sizeof(pk));
	}
	/* second start: same key, not created */
	CHECK_INT(logsign_open(&k2, dir, &created, err, sizeof(err)), 0);
	CHECK(!created);
	CHECK(!strcmp(logsign_public(k2), logsign_public(key)));
	logsign_close(k2);
	/* a missing or foreign .pub is rewritten from the private key */
	unlink(tpath(LOGSIGN_PUB_FILE));
	fd = open(tpath(LOGSIGN_PUB_FILE), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	snprintf(pem, sizeof(pem), "-----BEGIN PUBLIC KEY-----\n"
		 "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n"
		 "-----END PUBLIC KEY-----\n");
	CHECK(write(fd, pem, strlen(pem)) == (ssize_t)strlen(pem));
	close(fd);
	CHECK_INT(logsign_open(&k2, dir, NULL, err, sizeof(err)), 0);
	logsign_close(k2);
	CHECK_INT(logsign_pub_load(tpath(LOGSIGN_PUB_FILE), pk2, err, sizeof(err)), 0);
	CHECK_MEM(pk, pk2, sizeof(pk));
	/* a group-readable private key is refused */
	CHECK_INT(chmod(tpath(LOGSIGN_KEY_FILE), 0640), 0);
	CHECK_INT(logsign_open(&k2, dir, NULL, err, sizeof(err)), -EPERM);
	CHECK(strstr(err, LOGSIGN_KEY_FILE) != NULL);
	CHECK_INT(chmod(tpath(LOGSIGN_KEY_FILE), 0600), 0);
	/* malformed public keys */
	CHECK_INT(logsign_pub_parse("MCowBQYDK2VwAyEA", 16, pk2), -EINVAL);
	CHECK_INT(logsign_pub_parse("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
				    53, pk2), -EINVAL);
	/* an RSA/EC SPKI prefix is not ours: change the OID byte */
	CHECK_INT(logsign_pub_parse("MCowBQYDK2VxAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=",
				    60, pk2), -EINVAL);
	/* sign/verify */
	{
		uint8_t sig[LOGSIGN_SIG_LEN];

		CHECK_INT(logsign_sign(key, (const uint8_t *)"abc", 3, sig), 0);
		CHECK(logsign_verify(pk, (const uint8_t *)"abc", 3, sig));
		CHECK(!logsign_verify(pk, (const uint8_t *)"abd", 3, sig));
	}
}

/* bundle_sign_fn with the local key; arg != NULL makes it fail. */
static int sign_local(void *arg, const uint8_t *msg, size_t len, uint8_t sig[LOGSIGN_SIG_LEN],
		      char *err, size_t errlen)
{
	if (arg) {
		snprintf(err, errlen, "signer refuses");
		return -EPERM;
	}
	return logsign_sign(key, msg, len, sig);
}

/* ---- logs.db ---- */

static sqlite3 *wdb;	/* writer (as ragd) */

static void insert_conn(int64_t t, const char *user)
{
	char sql[256], err[256];

	snprintf(sql, sizeof(sql), "INSERT INTO connection (time_ms, event, user, client_addr) "
		 "VALUES (%lld, 'connect', '%s', '192.0.2.1')", (long long)t, user);
	CHECK_INT(store_exec(wdb, sql, err, sizeof(err)), 0);
}

/* ---- reading / rewriting bundles in the test ---- */

#define MAXM 40
struct members {
	int n;
	char name[MAXM][64];
	int type[MAXM];
	uint8_t *data[MAXM];
	size_t len[MAXM];
};

static void load_members(const char *path, struct members *m)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;

	memset(m, 0, sizeof(*m));
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	CHECK_INT(archive_read_open_filename(a, path, 65536), ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK && m->n < MAXM) {
		size_t sz = (size_t)archive_entry_size(e);

		snprintf(m->name[m->n], 64, "%s", archive_entry_pathname(e));
		m->type[m->n] = (int)archive_entry_filetype(e);
		m->data[m->n] = malloc(sz + 1);
		m->len[m->n] = sz;
		CHECK((size_t)archive_read_data(a, m->data[m->n], sz) == sz);
		m->n++;
	}
	archive_read_free(a);
}

static void free_members(struct members *m)
{
	for (int i = 0; i < m->n; i++)
		free(m->data[i]);
}

static void write_members(const char *path, const struct members *m)
{
	struct archive *a = archive_write_new();

	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	CHECK_INT(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (int i = 0; i < m->n; i++) {
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname(e, m->name[i]);
		archive_entry_set_filetype(e, (unsigned int)m->type[i]);
		archive_entry_set_perm(e, 0644);
		if (m->type[i] == AE_IFLNK)
			archive_entry_set_symlink(e, "/etc/passwd");
		else
			archive_entry_set_size(e, (la_int64_t)m->len[i]);
		archive_write_header(a, e);
		if (m->type[i] == AE_IFREG && m->len[i])
			archive_write_data(a, m->data[i], m->len[i]);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
}

static int find(const struct members *m, const char *name)
{
	for (int i = 0; i < m->n; i++)
		if (!strcmp(m->name[i], name))
			return i;
	return -1;
}

/* Collected report lines of one verification. */
static char report[8192];

static void rep(void *arg, const char *line)
{
	size_t o = strlen(report);

	(void)arg;
	snprintf(report + o, sizeof(report) - o, "%s\n", line);
}

static uint8_t pk[LOGSIGN_PK_LEN];

/* Verify path; returns the verify result, report[] holds the lines. */
static int verify(const char *path)
{
	report[0] = '\0';
	return bundle_verify_file(path, pk, rep, NULL);
}

#define CHECK_REPORT(text) do { \
	if (!strstr(report, (text))) \
		fprintf(stderr, "%s:%d: report lacks '%s':\n%s", __FILE__, __LINE__, (text), report); \
	CHECK(strstr(report, (text)) != NULL); \
} while (0)

/* ---- tests ---- */

static struct bundle_window win;	/* 2026-11-10..2026-11-12 in Tokyo */

static int export_to(const char *out, const struct bundle_window *w, void *sign_arg,
		     uint64_t rows[3], char *err, size_t errlen)
{
	struct bundle_export x = {
		.gateway_id = "vpn.test.example", .timezone = "Asia/Tokyo", .win = *w,
		.out_path = out, .sign = sign_local, .sign_arg = sign_arg,
	};
	int r;

	CHECK_INT(logq_open(tpath("logs.db"), &x.db, err, errlen), 0);
	r = bundle_export(&x, rows, err, errlen);
	sqlite3_close(x.db);
	return r;
}

static void test_export_verify(void)
{
	char err[256];
	uint64_t rows[3];
	struct members m;
	json_t *man;
	int i;

	/* issue 5: rows at 23:59:59 and 00:00:00 local on both edges */
	insert_conn(win.start_ms - 1, "before");	/* 11-09 23:59:59.999 */
	insert_conn(win.start_ms, "first");		/* 11-10 00:00:00.000 */
	insert_conn(win.end_ms - S, "last");		/* 11-12 23:59:59.000 */
	insert_conn(win.end_ms, "after");		/* 11-13 00:00:00.000 */
	CHECK_INT(store_exec(wdb, "INSERT INTO acl (time_ms, user, verdict) VALUES "
			     "(1794240000000, 'alice', 'permit')", err, sizeof(err)), 0);
	CHECK_INT(store_exec(wdb, "INSERT INTO auth (time_ms, result, user) VALUES "
			     "(1700000000000, 'success', 'outside')", err, sizeof(err)), 0);
	CHECK_INT(export_to(tpath("b.tar.gz"), &win, NULL, rows, err, sizeof(err)), 0);
	CHECK_INT(rows[0], 2);
	CHECK_INT(rows[1], 1);
	CHECK_INT(rows[2], 0);
	CHECK_INT(verify(tpath("b.tar.gz")), 0);
	CHECK_REPORT("OK: gateway 'vpn.test.example', 2026-11-10..2026-11-12, rows: "
		     "connection 2, acl 1, auth 0; signed by MCowBQYDK2VwAyEA");
	/* the contents: order, the rows of the window, times in the zone */
	load_members(tpath("b.tar.gz"), &m);
	CHECK_INT(m.n, 5);
	CHECK(!strcmp(m.name[0], "manifest.json") && !strcmp(m.name[1], "manifest.sig") &&
	      !strcmp(m.name[2], "connection.jsonl") && !strcmp(m.name[3], "acl.jsonl") &&
	      !strcmp(m.name[4], "auth.jsonl"));
	i = find(&m, "connection.jsonl");
	m.data[i][m.len[i]] = '\0';
	CHECK(strstr((char *)m.data[i], "\"time\":\"2026-11-10T00:00:00.000+09:00\"") != NULL);
	CHECK(strstr((char *)m.data[i], "\"user\":\"first\"") != NULL);
	CHECK(strstr((char *)m.data[i], "\"time\":\"2026-11-12T23:59:59.000+09:00\"") != NULL);
	CHECK(strstr((char *)m.data[i], "before") == NULL);
	CHECK(strstr((char *)m.data[i], "after") == NULL);
	CHECK_INT(m.len[find(&m, "auth.jsonl")], 0);
	i = find(&m, "manifest.json");
	man = json_loadb((char *)m.data[i], m.len[i], 0, NULL);
	CHECK(json_is_object(man));
	CHECK(!strcmp(json_string_value(json_object_get(man, "format")), LOG_BUNDLE_FORMAT));
	CHECK(!strcmp(json_string_value(json_object_get(man, "gateway_id")), "vpn.test.example"));
	CHECK(!strcmp(json_string_value(json_object_get(man, "from")), "2026-11-10"));
	CHECK(!strcmp(json_string_value(json_object_get(man, "to")), "2026-11-12"));
	CHECK_INT(json_integer_value(json_object_get(man, "window_start_ms")), win.start_ms);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(json_object_get(man, "files"),
		  "connection.jsonl"), "rows")), 2);
	json_decref(man);
	/* the signature is plain Ed25519 over manifest.json's bytes */
	CHECK(logsign_verify(pk, m.data[i], m.len[i], m.data[find(&m, "manifest.sig")]));
	free_members(&m);
}

static void test_empty_window(void)
{
	struct bundle_window w;
	char err[256];
	uint64_t rows[3];
	struct members m;

	/* 2026-01-05 16:00 Tokyo: 2025-12-01..2025-12-30 has no rows */
	CHECK_INT(bundle_window("2025-12-01", "2025-12-30", 1767596400000LL, 30 * 86400,
				90 * 86400, &w, err, sizeof(err)), 0);
	CHECK_INT(export_to(tpath("empty.tar.gz"), &w, NULL, rows, err, sizeof(err)), 0);
	CHECK(rows[0] == 0 && rows[1] == 0 && rows[2] == 0);
	CHECK_INT(verify(tpath("empty.tar.gz")), 0);
	CHECK_REPORT("rows: connection 0, acl 0, auth 0");
	load_members(tpath("empty.tar.gz"), &m);
	CHECK_INT(m.n, 5);
	for (int i = 2; i < 5; i++)
		CHECK_INT(m.len[i], 0);
	free_members(&m);
}

/* Rewrite b.tar.gz through fn into t.tar.gz and verify it. */
static int verify_modified(void (*fn)(struct members *m, void *arg), void *arg)
{
	struct members m;
	int r;

	load_members(tpath("b.tar.gz"), &m);
	fn(&m, arg);
	write_members(tpath("t.tar.gz"), &m);
	free_members(&m);
	r = verify(tpath("t.tar.gz"));
	CHECK(r > 0);
	return r;
}

static void flip_byte(struct members *m, void *arg)
{
	int i = find(m, arg);

	if (m->len[i] == 0) {	/* an empty file: add a row */
		m->data[i] = realloc(m->data[i], 3);
		memcpy(m->data[i], "{}\n", 3);
		m->len[i] = 3;
	} else {
		m->data[i][m->len[i] / 2] ^= 0x01;
	}
}

static void drop_member(struct members *m, void *arg)
{
	int i = find(m, arg);

	free(m->data[i]);
	memmove(&m->name[i], &m->name[i + 1], sizeof(m->name[0]) * (size_t)(m->n - i - 1));
	memmove(&m->type[i], &m->type[i + 1], sizeof(m->type[0]) * (size_t)(m->n - i - 1));
	memmove(&m->data[i], &m->data[i + 1], sizeof(m->data[0]) * (size_t)(m->n - i - 1));
	memmove(&m->len[i], &m->len[i + 1], sizeof(m->len[0]) * (size_t)(m->n - i - 1));
	m->n--;
}

static void add_member(struct members *m, void *arg)
{
	int i = m->n++;

	snprintf(m->name[i], 64, "%s", (const char *)arg);
	m->type[i] = AE_IFREG;
	m->data[i] = malloc(8);
	memcpy(m->data[i], "#!/bin/\n", 8);
	m->len[i] = 8;
}

static void dup_member(struct members *m, void *arg)
{
	int j = find(m, arg), i = m->n++;

	memcpy(m->name[i], m->name[j], sizeof(m->name[i]));
	m->type[i] = AE_IFREG;
	m->data[i] = malloc(m->len[j] + 1);
	memcpy(m->data[i], m->data[j], m->len[j]);
	m->len[i] = m->len[j];
}

static void symlink_member(struct members *m, void *arg)
{
	m->type[find(m, arg)] = AE_IFLNK;
}

static void many_members(struct members *m, void *arg)
{
	(void)arg;
	while (m->n < 30) {
		char n[32];

		snprintf(n, sizeof(n), "x%d", m->n);
		add_member(m, n);
	}
}

/* Replace manifest.json by text re-signed with the real key (a valid
 * signature over wrong fields). */
static void resign_manifest(struct members *m, void *arg)
{
	int i = find(m, "manifest.json"), s = find(m, "manifest.sig");
	const char *const *edit = arg;	/* { from, to } */
	char *text, *p;
	size_t n;

	m->data[i][m->len[i]] = '\0';
	p = strstr((char *)m->data[i], edit[0]);
	CHECK(p != NULL);
	if (!p)
		return;
	n = m->len[i] - strlen(edit[0]) + strlen(edit[1]);
	text = malloc(n + 1);
	memcpy(text, m->data[i], (size_t)(p - (char *)m->data[i]));
	strcpy(text + (p - (char *)m->data[i]), edit[1]);
	strcat(text, p + strlen(edit[0]));
	free(m->data[i]);
	m->data[i] = (uint8_t *)text;
	m->len[i] = strlen(text);
	CHECK_INT(logsign_sign(key, m->data[i], m->len[i], m->data[s]), 0);
}

static void test_tamper(void)
{
	static const char *const names[] = { "connection.jsonl", "acl.jsonl", "auth.jsonl" };
	uint8_t good_pk[LOGSIGN_PK_LEN];

	/* issue 5: "a tampered bundle byte in each file" */
	for (int k = 0; k < 3; k++) {
		char want[96];

		verify_modified(flip_byte, (void *)names[k]);
		snprintf(want, sizeof(want), "%s: SHA-256 ", names[k]);
		CHECK_REPORT(want);
		CHECK(strstr(report, "manifest.sig") == NULL);	/* the signature is fine */
		CHECK(strstr(report, "OK") == NULL);
	}
	verify_modified(flip_byte, (void *)"manifest.json");
	CHECK_REPORT("manifest.sig: the signature does not match manifest.json");
	verify_modified(flip_byte, (void *)"manifest.sig");
	CHECK_REPORT("manifest.sig: the signature does not match manifest.json");
	CHECK_INT(verify_modified(drop_member, (void *)"acl.jsonl"), 1);
	CHECK_REPORT("acl.jsonl: missing from the bundle");
	verify_modified(drop_member, (void *)"manifest.sig");
	CHECK_REPORT("manifest.sig: missing from the bundle");
	CHECK_INT(verify_modified(add_member, (void *)"evil.sh"), 1);
	CHECK_REPORT("'evil.sh': extra member");
	verify_modified(add_member, (void *)"../../etc/cron.d/x\x1b[2J");
	CHECK_REPORT("'../../etc/cron.d/x\\x1b[2J': extra member");
	verify_modified(dup_member, (void *)"auth.jsonl");
	CHECK_REPORT("'auth.jsonl': appears more than once");
	verify_modified(symlink_member, (void *)"connection.jsonl");
	CHECK_REPORT("'connection.jsonl': not a regular file");
	CHECK_REPORT("connection.jsonl: missing");
	verify_modified(many_members, NULL);
	CHECK_REPORT("more than 16 members");
	{
		/* a valid signature over a manifest whose field is wrong: the
		 * report names the field */
		const char *rows[2] = { "\"rows\": 2", "\"rows\": 3" };
		const char *fmt[2] = { "rag-log-bundle/1", "rag-log-bundle/9" };
		const char *extra[2] = { "\"files\": {", "\"files\": {\"x.jsonl\": {}," };

		verify_modified(resign_manifest, rows);
		CHECK_REPORT("connection.jsonl: 2 rows, the manifest says 3 "
			     "(files.connection.jsonl.rows)");
		CHECK(strstr(report, "manifest.sig") == NULL);
		verify_modified(resign_manifest, fmt);
		CHECK_REPORT("manifest.json: format is 'rag-log-bundle/9', expected rag-log-bundle/1");
		verify_modified(resign_manifest, extra);
		CHECK_REPORT("manifest.json: files.'x.jsonl' is not a bundle data file");
	}
	/* another gateway's key */
	memcpy(good_pk, pk, sizeof(pk));
	pk[0] ^= 0x80;
	CHECK_INT(verify(tpath("b.tar.gz")), 1);
	CHECK_REPORT("manifest.sig: the signature does not match");
	memcpy(pk, good_pk, sizeof(pk));
}

/* gunzip p[0..n) into out (cap bytes); the length, or -1 when the stream is
 * damaged (zlib checks the CRC-32 and length trailer). */
static long gunzip(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
	z_stream z;
	long r;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return -1;
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	r = inflate(&z, Z_FINISH) == Z_STREAM_END && z.avail_in == 0 ? (long)z.total_out : -1;
	inflateEnd(&z);
	return r;
}

/* Damage the raw .tar.gz: a byte in the compressed stream, truncation. */
static void test_corrupt_archive(void)
{
	struct stat st;
	uint8_t *buf;
	FILE *f;
	size_t n;

	CHECK_INT(stat(tpath("b.tar.gz"), &st), 0);
	n = (size_t)st.st_size;
	buf = malloc(n);
	f = fopen(tpath("b.tar.gz"), "rb");
	CHECK(fread(buf, 1, n, f) == n);
	fclose(f);
	report[0] = '\0';
	CHECK_INT(bundle_verify_mem(buf, n, pk, BUNDLE_MAX_MEMBER, rep, NULL), 0);
	/* every byte after the gzip header, flipped in turn: whenever the
	 * flip changes what the stream decodes to (or breaks it), verify must
	 * fail.  (A few deflate bits do not affect the output at all; the
	 * header's mtime/OS bytes are not covered by any checksum: neither
	 * changes a member.) */
	{
		static uint8_t plain[1 << 16], plain2[1 << 16];
		long pl = gunzip(buf, n, plain, sizeof(plain));
		int missed = 0, changed = 0;

		CHECK(pl > 0);
		for (size_t off = 10; off < n; off++) {
			long l2;
			int vr;

			buf[off] ^= 0x10;
			l2 = gunzip(buf, n, plain2, sizeof(plain2));
			if (l2 != pl || memcmp(plain, plain2, (size_t)pl)) {
				changed++;
				report[0] = '\0';
				vr = bundle_verify_mem(buf, n, pk, BUNDLE_MAX_MEMBER, rep, NULL);
				if (vr == 0 || strstr(report, "OK") == report) {
					fprintf(stderr, "flipped byte %zu of %zu not detected\n",
						off, n);
					missed++;
				}
			}
			buf[off] ^= 0x10;
		}
		CHECK_INT(missed, 0);
		CHECK(changed > (int)n / 2);
	}
	/* the gzip trailer (CRC-32, length), which tar reading alone never reaches */
	for (size_t off = n - 8; off < n; off += 3) {
		buf[off] ^= 0x01;
		report[0] = '\0';
		CHECK(bundle_verify_mem(buf, n, pk, BUNDLE_MAX_MEMBER, rep, NULL) > 0);
		CHECK_REPORT("bundle: the gzip stream is damaged");
		buf[off] ^= 0x01;
	}
	/* data appended after the gzip stream */
	buf = realloc(buf, n + 1);
	buf[n] = 0;
	report[0] = '\0';
	CHECK(bundle_verify_mem(buf, n + 1, pk, BUNDLE_MAX_MEMBER, rep, NULL) > 0);
	CHECK_REPORT("bundle: data after the end of the gzip stream");
	report[0] = '\0';
	CHECK(bundle_verify_mem(buf, n / 2, pk, BUNDLE_MAX_MEMBER, rep, NULL) != 0);
	report[0] = '\0';
	CHECK(bundle_verify_mem(buf, 0, pk, BUNDLE_MAX_MEMBER, rep, NULL) != 0);
	/* a member over the reader's size limit */
	report[0] = '\0';
	CHECK(bundle_verify_mem(buf, n, pk, 100, rep, NULL) > 0);
	CHECK_REPORT("larger than 100 bytes, refused");
	free(buf);
	report[0] = '\0';
	CHECK(bundle_verify_file(tpath("nonexistent.tar.gz"), pk, rep, NULL) != 0);
	CHECK(report[0] != '\0');
}

/* Count the entries of dir. */
static int dir_entries(void)
{
	char cmd[400], out[32] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	p = popen(cmd, "r");
	if (!p || !fgets(out, sizeof(out), p))
		out[0] = '\0';
	if (p)
		pclose(p);
	return atoi(out);
}

/* No partial bundle on error; an existing file is replaced atomically. */
static void test_atomic(void)
{
	char err[256];
	uint64_t rows[3];
	int before = dir_entries();
	struct stat st;
	FILE *f;

	CHECK_INT(export_to(tpath("fail.tar.gz"), &win, (void *)1, rows, err, sizeof(err)), -EPERM);
	CHECK(strstr(err, "signer refuses") != NULL);
	CHECK(stat(tpath("fail.tar.gz"), &st) < 0);
	CHECK_INT(dir_entries(), before);		/* no temporary file left */
	CHECK(export_to(tpath("no/such/dir/b.tar.gz"), &win, NULL, rows, err, sizeof(err)) < 0);
	CHECK_INT(dir_entries(), before);
	f = fopen(tpath("old.tar.gz"), "w");
	fputs("old contents", f);
	fclose(f);
	CHECK_INT(export_to(tpath("old.tar.gz"), &win, NULL, rows, err, sizeof(err)), 0);
	CHECK_INT(verify(tpath("old.tar.gz")), 0);
	CHECK_INT(dir_entries(), before + 1);
}

/* Under AddressSanitizer a freed block sits in a 256 MiB quarantine before
 * it is reused, so churn alone would raise the peak RSS: keep the
 * quarantine small so the RSS check below measures what is live. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=1";
}

/* Peak RSS in KiB. */
static long maxrss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* "Streaming: memory does not grow with rows": 100,000 rows (> 25 MiB of
 * JSONL) must not raise the peak RSS by more than 16 MiB over what a small
 * export already needed. */
static void test_streaming(void)
{
	char err[256], sql[512];
	uint64_t rows[3];
	long before, after;
	struct stat st;

	CHECK_INT(export_to(tpath("small.tar.gz"), &win, NULL, rows, err, sizeof(err)), 0);
	before = maxrss_kib();
	CHECK_INT(store_exec(wdb, "BEGIN", err, sizeof(err)), 0);
	snprintf(sql, sizeof(sql), "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n "
		 "WHERE i < 99999) INSERT INTO connection (time_ms, event, user, device, "
		 "client_addr, reason) SELECT %lld + i * 2000, 'connect', 'user' || (i %% 500), "
		 "'CN=device ' || i || ' of a long certificate subject, O=Example Corp', "
		 "'198.51.100.' || (i %% 250), 'a reason text' FROM n", (long long)win.start_ms);
	CHECK_INT(store_exec(wdb, sql, err, sizeof(err)), 0);
	CHECK_INT(store_exec(wdb, "COMMIT", err, sizeof(err)), 0);
	CHECK_INT(export_to(tpath("big.tar.gz"), &win, NULL, rows, err, sizeof(err)), 0);
	CHECK_INT(rows[0], 100002);
	after = maxrss_kib();
	CHECK_INT(verify(tpath("big.tar.gz")), 0);
	CHECK_INT(stat(tpath("big.tar.gz"), &st), 0);
	printf("streaming: 100002 rows, bundle %lld bytes, peak RSS %ld -> %ld KiB\n",
	       (long long)st.st_size, before, after);
	CHECK(after - before < 16 * 1024);
	{
		struct members m;

		load_members(tpath("big.tar.gz"), &m);
		CHECK(m.len[find(&m, "connection.jsonl")] > 25u << 20);	/* the test means something */
		free_members(&m);
	}
	unlink(tpath("big.tar.gz"));
}

int main(void)
{
	char tmpl[] = "/tmp/rag-logbundle-XXXXXX", err[256];

	if (!mkdtemp(tmpl) || sodium_init() < 0)
		return 1;
	snprintf(dir, sizeof(dir), "%s", tmpl);
	CHECK_INT(logt_set_zone("Asia/Tokyo"), 0);
	/* "now" 2026-11-20 in Tokyo: 2026-11-10..12 is a valid window */
	CHECK_INT(bundle_window("2026-11-10", "2026-11-12", 1795622400000LL, 30 * 86400,
				90 * 86400, &win, err, sizeof(err)), 0);
	CHECK_INT(store_open_migrated(tpath("logs.db"), &store_schema_logs, &wdb, err,
				      sizeof(err)), 0);
	test_key();
	CHECK_INT(logsign_pub_load(tpath(LOGSIGN_PUB_FILE), pk, err, sizeof(err)), 0);
	test_export_verify();
	test_empty_window();
	test_tamper();
	test_corrupt_archive();
	test_atomic();
	test_streaming();
	store_close(wdb);
	logsign_close(key);
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		CHECK_INT(system(cmd), 0);
	}
	return check_done("test_logbundle");
}
