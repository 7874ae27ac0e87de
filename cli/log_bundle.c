/*
 * log_bundle.c — writing and verifying log export bundles (see
 * log_bundle.h).  The reader treats the bundle as hostile input: member
 * count, manifest size and member sizes are bounded, names are compared
 * exactly and quoted when reported, the manifest is parsed by jansson.
 */
#include "log_bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <zlib.h>

#include "config.h"
#include "log.h"
#include "log_query.h"

#define CHUNK (64 * 1024)
#define SHA_LEN 32
#define SHA_HEX (2 * SHA_LEN + 1)
#define DAY_MS 86400000LL

/* SHA-256 through OpenSSL (which uses the CPU's SHA extensions; an export
 * hashes every byte it writes and verify every byte it reads). */
static EVP_MD_CTX *sha_begin(void)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		c = NULL;
	}
	return c;
}

/* Finish c into hex (lower case) and free it. */
static void sha_end(EVP_MD_CTX *c, char hex[SHA_HEX])
{
	uint8_t d[SHA_LEN];
	unsigned int len = 0;

	if (EVP_DigestFinal_ex(c, d, &len) != 1 || len != SHA_LEN)
		memset(d, 0, sizeof(d));
	EVP_MD_CTX_free(c);
	sodium_bin2hex(hex, SHA_HEX, d, sizeof(d));
}

const char *const bundle_files[BUNDLE_N_FILES] = {
	"connection.jsonl", "acl.jsonl", "auth.jsonl",
};
static const enum log_type bundle_types[BUNDLE_N_FILES] = { LOG_CONNECTION, LOG_ACL, LOG_AUTH };

/* ---- the window -------------------------------------------------------------------- */

/* See log_bundle.h. */
int bundle_window(const char *from, const char *to, int64_t now_ms, uint64_t export_window_s,
		  uint64_t retention_s, struct bundle_window *w, char *err, size_t errlen)
{
	struct logt_date today = logt_local_date(now_ms), next;
	char d1[16], d2[16], oldest[LOGT_FMT_MAX];
	int64_t ndays, maxdays = (int64_t)(export_window_s / 86400u);

	if (logt_parse_date(from, &w->from) < 0 || logt_parse_date(to, &w->to) < 0) {
		rag_seterr(err, errlen, "dates are YYYY-MM-DD (a real day)");
		return -EINVAL;
	}
	ndays = logt_days(&w->to) - logt_days(&w->from) + 1;
	if (ndays < 1) {
		rag_seterr(err, errlen, "--from %s is after --to %s", from, to);
		return -EINVAL;
	}
	logt_format_date(&today, d1, sizeof(d1));
	if (logt_days(&w->to) >= logt_days(&today)) {
		rag_seterr(err, errlen, "--to %s is not before today (%s in the configured "
			   "timezone): a bundle never includes today", to, d1);
		return -ERANGE;
	}
	if (ndays > maxdays) {
		rag_seterr(err, errlen, "the window %s..%s is %lld days; export-window allows "
			   "at most %lld", from, to, (long long)ndays, (long long)maxdays);
		return -ERANGE;
	}
	next = logt_date_add(w->to, 1);
	if (logt_day_start(&w->from, &w->start_ms) < 0 || logt_day_start(&next, &w->end_ms) < 0) {
		rag_seterr(err, errlen, "the window %s..%s cannot be represented", from, to);
		return -ERANGE;
	}
	if (retention_s <= (uint64_t)now_ms / 1000u &&
	    w->start_ms < now_ms - (int64_t)retention_s * 1000) {
		struct logt_date od = logt_local_date(now_ms - (int64_t)retention_s * 1000);

		logt_format(now_ms - (int64_t)retention_s * 1000, oldest, sizeof(oldest));
		/* the first whole day still inside retention */
		od = logt_date_add(od, 1);
		logt_format_date(&od, d2, sizeof(d2));
		rag_seterr(err, errlen, "--from %s reaches beyond retention: the oldest searchable "
			   "time is %s (the earliest --from is %s)", from, oldest, d2);
		return -ERANGE;
	}
	return 0;
}

/* ---- export ------------------------------------------------------------------------- */

/* Write all of p to fd. */
static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A temporary file hashed while written through a FILE (fopencookie). */
struct hashed {
	int fd;
	EVP_MD_CTX *h;
	uint64_t bytes;
	int err;		/* first write error */
};

static ssize_t hashed_write(void *cookie, const char *buf, size_t n)
{
	struct hashed *hw = cookie;
	int r = write_all(hw->fd, buf, n);

	if (r < 0) {
		if (!hw->err)
			hw->err = r;
		errno = -r;
		return -1;
	}
	EVP_DigestUpdate(hw->h, buf, n);
	hw->bytes += n;
	return (ssize_t)n;
}

/* An anonymous file in dir (O_TMPFILE, else mkstemp + unlink). */
static int anon_file(const char *dir)
{
	char path[4096];
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd >= 0)
		return fd;
	if ((size_t)snprintf(path, sizeof(path), "%s/.rag-export-XXXXXX", dir) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(path);
	return fd;
}

/* Dump the window's rows of type t as JSONL into hw; *rows counted. */
static int dump_rows(const struct bundle_export *x, enum log_type t, struct hashed *hw,
		     uint64_t *rows, char *err, size_t errlen)
{
	static const cookie_io_functions_t io = { .write = hashed_write };
	struct log_search q = {
		.type = t, .since_ms = x->win.start_ms, .until_ms = x->win.end_ms,
	};
	sqlite3_stmt *st;
	FILE *f;
	int rc, r;

	*rows = 0;
	r = logq_prepare(x->db, &q, &st, err, errlen);
	if (r < 0)
		return r;
	f = fopencookie(hw, "w", io);
	if (!f) {
		sqlite3_finalize(st);
		rag_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	setvbuf(f, NULL, _IOFBF, CHUNK);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && !hw->err) {
		logq_row_json(f, st);
		putc('\n', f);
		(*rows)++;
	}
	r = 0;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rag_seterr(err, errlen, "logs.db: %s", sqlite3_errmsg(x->db));
		r = -EIO;
	}
	sqlite3_finalize(st);
	if (fclose(f) != 0 && !hw->err)
		hw->err = -EIO;
	if (r == 0 && hw->err) {
		rag_seterr(err, errlen, "temporary file: %s", strerror(-hw->err));
		r = hw->err;
	}
	return r;
}

/* Build manifest.json (malloc'ed text, *len bytes). */
static char *make_manifest(const struct bundle_export *x, const uint64_t rows[],
			   const uint64_t bytes[], char sha[][SHA_HEX], size_t *len)
{
	char d1[16], d2[16], ws[LOGT_FMT_MAX], we[LOGT_FMT_MAX], now[LOGT_FMT_MAX];
	json_t *root = json_object(), *files = json_object();
	char *text = NULL;

	logt_format_date(&x->win.from, d1, sizeof(d1));
	logt_format_date(&x->win.to, d2, sizeof(d2));
	logt_format(x->win.start_ms, ws, sizeof(ws));
	logt_format(x->win.end_ms, we, sizeof(we));
	logt_format(logt_now_ms(), now, sizeof(now));
	if (!root || !files)
		goto out;
	for (int i = 0; i < BUNDLE_N_FILES; i++)
		if (json_object_set_new(files, bundle_files[i],
					json_pack("{s:I,s:I,s:s}", "rows", (json_int_t)rows[i],
						  "bytes", (json_int_t)bytes[i], "sha256", sha[i])) < 0)
			goto out;
	if (json_object_set_new(root, "format", json_string(LOG_BUNDLE_FORMAT)) < 0 ||
	    json_object_set_new(root, "gateway_id", json_string(x->gateway_id)) < 0 ||
	    json_object_set_new(root, "timezone", json_string(x->timezone)) < 0 ||
	    json_object_set_new(root, "from", json_string(d1)) < 0 ||
	    json_object_set_new(root, "to", json_string(d2)) < 0 ||
	    json_object_set_new(root, "window_start", json_string(ws)) < 0 ||
	    json_object_set_new(root, "window_end", json_string(we)) < 0 ||
	    json_object_set_new(root, "window_start_ms", json_integer(x->win.start_ms)) < 0 ||
	    json_object_set_new(root, "window_end_ms", json_integer(x->win.end_ms)) < 0 ||
	    json_object_set_new(root, "created", json_string(now)) < 0 ||
	    json_object_set_new(root, "rag_version", json_string(RAG_VERSION)) < 0)
		goto out;
	json_object_set(root, "files", files);
	text = json_dumps(root, JSON_INDENT(2));
	if (text) {
		size_t n = strlen(text);
		char *t2 = realloc(text, n + 2);

		if (!t2) {
			free(text);
			text = NULL;
			goto out;
		}
		text = t2;
		text[n] = '\n';
		text[n + 1] = '\0';
		*len = n + 1;
	}
out:
	json_decref(files);
	json_decref(root);
	return text;
}

/* Append one regular-file member: from mem when mem != NULL, else from fd. */
static int add_member(struct archive *a, const char *name, const void *mem, int fd,
		      uint64_t size, time_t mtime, uint8_t *buf)
{
	struct archive_entry *e = archive_entry_new();
	uint64_t off = 0;
	int r = 0;

	if (!e)
		return -ENOMEM;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, mtime, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		r = -EIO;
	archive_entry_free(e);
	while (r == 0 && off < size) {
		size_t want = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
		const void *p = mem ? (const uint8_t *)mem + off : buf;

		if (!mem) {
			ssize_t n = pread(fd, buf, want, (off_t)off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return n < 0 ? -errno : -EIO;
			want = (size_t)n;
		}
		if (archive_write_data(a, p, want) != (la_ssize_t)want)
			return -EIO;
		off += want;
	}
	return r;
}

/* Write the archive into fd. */
static int write_archive(int fd, const char *manifest, size_t mlen, const uint8_t *sig,
			 const int fds[], const uint64_t bytes[], char *err, size_t errlen)
{
	struct archive *a = archive_write_new();
	time_t now = time(NULL);
	uint8_t *buf = malloc(CHUNK);
	int r = -ENOMEM;

	if (!a || !buf)
		goto out;
	/* gzip level 1: a bundle of repetitive JSONL still shrinks ~8x, at a
	 * third of the default level's CPU (issue 5: 30 days in < 30 s) */
	if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_filter_option(a, "gzip", "compression-level", "1") != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		rag_seterr(err, errlen, "archive: %s", archive_error_string(a));
		r = -EIO;
		goto out;
	}
	r = add_member(a, "manifest.json", manifest, -1, mlen, now, buf);
	if (r == 0)
		r = add_member(a, "manifest.sig", sig, -1, LOGSIGN_SIG_LEN, now, buf);
	for (int i = 0; r == 0 && i < BUNDLE_N_FILES; i++)
		r = add_member(a, bundle_files[i], NULL, fds[i], bytes[i], now, buf);
	if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
		r = -EIO;
	if (r < 0)
		rag_seterr(err, errlen, "writing the archive: %s", archive_error_string(a) ?
			   archive_error_string(a) : strerror(-r));
out:
	if (r == -ENOMEM)
		rag_seterr(err, errlen, "out of memory");
	if (a)
		archive_write_free(a);
	free(buf);
	return r;
}

/* See log_bundle.h. */
int bundle_export(const struct bundle_export *x, uint64_t rows[BUNDLE_N_FILES], char *err,
		  size_t errlen)
{
	struct hashed hw[BUNDLE_N_FILES];
	int fds[BUNDLE_N_FILES], out_fd = -1, r = 0;
	uint64_t bytes[BUNDLE_N_FILES];
	char sha[BUNDLE_N_FILES][SHA_HEX], dir[4096], tmp[4200];
	uint8_t sig[LOGSIGN_SIG_LEN];
	char *manifest = NULL;
	size_t mlen = 0;
	bool in_txn = false;

	for (int i = 0; i < BUNDLE_N_FILES; i++)
		fds[i] = -1;
	if (strlen(x->out_path) >= sizeof(dir)) {
		rag_seterr(err, errlen, "output path too long");
		return -ENAMETOOLONG;
	}
	{
		char copy[sizeof(dir)];

		snprintf(copy, sizeof(copy), "%s", x->out_path);
		snprintf(dir, sizeof(dir), "%s", dirname(copy));	/* dirname may return copy */
	}
	/* one read transaction: the three files come from the same snapshot */
	if (sqlite3_exec(x->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		rag_seterr(err, errlen, "logs.db: %s", sqlite3_errmsg(x->db));
		return -EIO;
	}
	in_txn = true;
	for (int i = 0; i < BUNDLE_N_FILES && r == 0; i++) {
		fds[i] = anon_file(dir);
		if (fds[i] < 0) {
			r = fds[i];
			rag_seterr(err, errlen, "%s: cannot create a temporary file: %s", dir,
				   strerror(-r));
			break;
		}
		memset(&hw[i], 0, sizeof(hw[i]));
		hw[i].fd = fds[i];
		hw[i].h = sha_begin();
		if (!hw[i].h) {
			rag_seterr(err, errlen, "out of memory");
			r = -ENOMEM;
			break;
		}
		r = dump_rows(x, bundle_types[i], &hw[i], &rows[i], err, errlen);
		sha_end(hw[i].h, sha[i]);
		bytes[i] = hw[i].bytes;
	}
	sqlite3_exec(x->db, "COMMIT", NULL, NULL, NULL);
	in_txn = false;
	if (r < 0)
		goto out;
	manifest = make_manifest(x, rows, bytes, sha, &mlen);
	if (!manifest) {
		rag_seterr(err, errlen, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	r = x->sign(x->sign_arg, (const uint8_t *)manifest, mlen, sig, err, errlen);
	if (r < 0)
		goto out;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", x->out_path) >= sizeof(tmp)) {
		rag_seterr(err, errlen, "output path too long");
		r = -ENAMETOOLONG;
		goto out;
	}
	out_fd = mkostemp(tmp, O_CLOEXEC);
	if (out_fd < 0) {
		r = -errno;
		rag_seterr(err, errlen, "%s: %s", tmp, strerror(-r));
		goto out;
	}
	r = write_archive(out_fd, manifest, mlen, sig, fds, bytes, err, errlen);
	if (r == 0 && fsync(out_fd) < 0) {
		r = -errno;
		rag_seterr(err, errlen, "%s: %s", tmp, strerror(-r));
	}
	if (close(out_fd) < 0 && r == 0) {
		r = -errno;
		rag_seterr(err, errlen, "%s: %s", tmp, strerror(-r));
	}
	out_fd = -1;
	if (r == 0 && rename(tmp, x->out_path) < 0) {
		r = -errno;
		rag_seterr(err, errlen, "%s: %s", x->out_path, strerror(-r));
	}
	if (r < 0)
		unlink(tmp);
	else {
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd >= 0) {
			fsync(dfd);	/* the rename itself */
			close(dfd);
		}
	}
out:
	if (in_txn)
		sqlite3_exec(x->db, "COMMIT", NULL, NULL, NULL);
	for (int i = 0; i < BUNDLE_N_FILES; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(manifest);
	return r;
}

/* ---- verify -------------------------------------------------------------------------- */

enum { M_MANIFEST = BUNDLE_N_FILES, M_SIG, M_N };

struct member {
	bool seen;
	uint64_t bytes, lines;
	char sha[SHA_HEX];
};

struct verify {
	bundle_report_fn rep;
	void *arg;
	int problems;
	struct member m[M_N];
	uint8_t *manifest;		/* BUNDLE_MAX_MANIFEST */
	size_t mlen;
	uint8_t sig[LOGSIGN_SIG_LEN];
	size_t siglen;
};

static void problem(struct verify *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Report one problem. */
static void problem(struct verify *v, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	v->problems++;
	v->rep(v->arg, line);
}

/* Which member a name is (-1: not one of ours). */
static int member_index(const char *name)
{
	for (int i = 0; i < BUNDLE_N_FILES; i++)
		if (!strcmp(name, bundle_files[i]))
			return i;
	if (!strcmp(name, "manifest.json"))
		return M_MANIFEST;
	if (!strcmp(name, "manifest.sig"))
		return M_SIG;
	return -1;
}

static const char *member_name(int i)
{
	return i < BUNDLE_N_FILES ? bundle_files[i] : i == M_MANIFEST ? "manifest.json" :
	       "manifest.sig";
}

/* Read the current entry's data: hash, count bytes and lines, keep the
 * manifest/signature.  Returns 0, 1 when over a limit (reported), or -EIO
 * when the archive is broken (reported by the caller). */
static int read_member(struct archive *a, struct verify *v, int k, uint64_t max_member,
		       uint8_t *buf)
{
	struct member *m = &v->m[k];
	EVP_MD_CTX *h = sha_begin();
	uint64_t limit = k == M_MANIFEST ? BUNDLE_MAX_MANIFEST : k == M_SIG ?
			 LOGSIGN_SIG_LEN : max_member;
	int r = 0;

	if (!h) {
		problem(v, "out of memory");
		return 1;
	}
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, CHUNK);
		const uint8_t *p, *end;

		if (n < 0) {
			r = -EIO;
			break;
		}
		if (n == 0)
			break;
		if ((uint64_t)n > limit - m->bytes) {
			problem(v, "%s: larger than %llu bytes, refused", member_name(k),
				(unsigned long long)limit);
			r = 1;
			break;
		}
		if (k == M_MANIFEST)
			memcpy(v->manifest + m->bytes, buf, (size_t)n);
		else if (k == M_SIG)
			memcpy(v->sig + m->bytes, buf, (size_t)n);
		EVP_DigestUpdate(h, buf, (size_t)n);
		end = buf + n;
		for (p = buf; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
			m->lines++;
		m->bytes += (uint64_t)n;
	}
	sha_end(h, m->sha);
	if (k == M_MANIFEST)
		v->mlen = (size_t)m->bytes;
	if (k == M_SIG)
		v->siglen = (size_t)m->bytes;
	return r;
}

/* Walk the archive's members. */
static void read_members(struct archive *a, struct verify *v, uint64_t max_member)
{
	uint8_t *buf = malloc(CHUNK);
	struct archive_entry *e;
	int count = 0;

	if (!buf) {
		problem(v, "out of memory");
		return;
	}
	for (;;) {
		char q[RAG_QUOTE_MAX];
		const char *name;
		int r = archive_read_next_header(a, &e), k;

		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			problem(v, "bundle: not a readable .tar.gz (%s)",
				archive_error_string(a) ? archive_error_string(a) : "unknown error");
			break;
		}
		if (++count > BUNDLE_MAX_MEMBERS) {
			problem(v, "bundle: more than %d members, refused", BUNDLE_MAX_MEMBERS);
			break;
		}
		name = archive_entry_pathname(e);
		rag_quote_str(q, sizeof(q), name ? name : "");
		k = name ? member_index(name) : -1;
		if (k < 0) {
			problem(v, "%s: extra member, not part of a log bundle", q);
			continue;
		}
		if (archive_entry_filetype(e) != AE_IFREG) {
			problem(v, "%s: not a regular file", q);
			continue;
		}
		if (v->m[k].seen) {
			problem(v, "%s: appears more than once", q);
			continue;
		}
		v->m[k].seen = true;
		r = read_member(a, v, k, max_member, buf);
		if (r < 0) {
			problem(v, "%s: cannot be read (%s)", q, archive_error_string(a) ?
				archive_error_string(a) : "truncated");
			break;
		}
		if (r > 0)
			break;
	}
	free(buf);
}

/* An integer field >= 0 of obj, or -1 (reporting it) when absent/wrong. */
static json_int_t int_field(struct verify *v, json_t *obj, const char *path, const char *key)
{
	json_t *x = json_object_get(obj, key);

	if (!json_is_integer(x) || json_integer_value(x) < 0) {
		problem(v, "manifest.json: %s%s is missing or not a non-negative integer", path, key);
		return -1;
	}
	return json_integer_value(x);
}

/* A string field of obj, or NULL (reporting it). */
static const char *str_field(struct verify *v, json_t *obj, const char *path, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	if (!s)
		problem(v, "manifest.json: %s%s is missing or not a string", path, key);
	return s;
}

/* Check the manifest's fields and compare the files with it. */
static void check_manifest(struct verify *v, json_t *root, const char **gw, const char **from,
			   const char **to)
{
	const char *fmt, *k, *sha;
	struct logt_date d1, d2;
	json_t *files, *val;
	json_int_t ws, we;

	fmt = str_field(v, root, "", "format");
	if (fmt && strcmp(fmt, LOG_BUNDLE_FORMAT)) {
		char q[RAG_QUOTE_MAX];

		problem(v, "manifest.json: format is %s, expected %s",
			rag_quote_str(q, sizeof(q), fmt), LOG_BUNDLE_FORMAT);
	}
	*gw = str_field(v, root, "", "gateway_id");
	*from = str_field(v, root, "", "from");
	*to = str_field(v, root, "", "to");
	str_field(v, root, "", "timezone");
	if (*from && logt_parse_date(*from, &d1) < 0)
		problem(v, "manifest.json: from is not a date");
	if (*to && logt_parse_date(*to, &d2) < 0)
		problem(v, "manifest.json: to is not a date");
	ws = int_field(v, root, "", "window_start_ms");
	we = int_field(v, root, "", "window_end_ms");
	if (ws >= 0 && we >= 0 && we <= ws)
		problem(v, "manifest.json: window_end_ms is not after window_start_ms");
	files = json_object_get(root, "files");
	if (!json_is_object(files)) {
		problem(v, "manifest.json: files is missing or not an object");
		return;
	}
	json_object_foreach(files, k, val) {
		char q[RAG_QUOTE_MAX];
		int i = member_index(k);

		if (i < 0 || i >= BUNDLE_N_FILES)
			problem(v, "manifest.json: files.%s is not a bundle data file",
				rag_quote_str(q, sizeof(q), k));
	}
	for (int i = 0; i < BUNDLE_N_FILES; i++) {
		const char *name = bundle_files[i];
		struct member *m = &v->m[i];
		char path[64];
		json_int_t rows, bytes;

		snprintf(path, sizeof(path), "files.%s.", name);
		val = json_object_get(files, name);
		if (!json_is_object(val)) {
			problem(v, "manifest.json: files.%s is missing", name);
			continue;
		}
		rows = int_field(v, val, path, "rows");
		bytes = int_field(v, val, path, "bytes");
		sha = str_field(v, val, path, "sha256");
		if (!m->seen)
			continue;
		if (sha && strcmp(sha, m->sha))
			problem(v, "%s: SHA-256 %s does not match the manifest's %.64s", name,
				m->sha, sha);
		if (bytes >= 0 && (uint64_t)bytes != m->bytes)
			problem(v, "%s: %llu bytes, the manifest says %lld (%sbytes)", name,
				(unsigned long long)m->bytes, (long long)bytes, path);
		if (rows >= 0 && (uint64_t)rows != m->lines)
			problem(v, "%s: %llu rows, the manifest says %lld (%srows)", name,
				(unsigned long long)m->lines, (long long)rows, path);
	}
}

/* Everything after the members were read. */
static int verify_finish(struct verify *v, const uint8_t pk[LOGSIGN_PK_LEN])
{
	const char *gw = NULL, *from = NULL, *to = NULL;
	json_t *root = NULL;
	json_error_t jerr;
	char line[512], q[RAG_QUOTE_MAX], pub[LOGSIGN_PUB_B64];

	for (int k = 0; k < M_N; k++)
		if (!v->m[k].seen)
			problem(v, "%s: missing from the bundle", member_name(k));
	if (v->m[M_SIG].seen && v->siglen != LOGSIGN_SIG_LEN)
		problem(v, "manifest.sig: %zu bytes, an Ed25519 signature is %d", v->siglen,
			LOGSIGN_SIG_LEN);
	else if (v->m[M_SIG].seen && v->m[M_MANIFEST].seen &&
		 !logsign_verify(pk, v->manifest, v->mlen, v->sig))
		problem(v, "manifest.sig: the signature does not match manifest.json and the "
			"public key (manifest altered, or signed by another key)");
	if (v->m[M_MANIFEST].seen) {
		root = json_loadb((const char *)v->manifest, v->mlen, JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(root))
			problem(v, "manifest.json: not a JSON object (line %d: %s)", jerr.line,
				jerr.text);
		else
			check_manifest(v, root, &gw, &from, &to);
	}
	if (v->problems == 0) {
		logsign_pub_b64(pk, pub);
		snprintf(line, sizeof(line), "OK: gateway %s, %s..%s, rows: connection %llu, acl "
			 "%llu, auth %llu; signed by %s", rag_quote_str(q, sizeof(q), gw),
			 from, to, (unsigned long long)v->m[0].lines,
			 (unsigned long long)v->m[1].lines, (unsigned long long)v->m[2].lines, pub);
		v->rep(v->arg, line);
	}
	json_decref(root);
	return v->problems;
}



/* ---- the gzip container ----
 * libarchive stops at the tar end-of-archive blocks, before the gzip
 * trailer, so a damaged CRC-32/length would pass unseen.  zlib decodes the
 * whole stream once more, checks the trailer and that nothing follows. */
struct gzcheck {
	z_stream z;
	bool done, bad, trailing;
	uint8_t *out;
};

/* Start; false when out of memory. */
static bool gz_init(struct gzcheck *g)
{
	memset(g, 0, sizeof(*g));
	g->out = malloc(CHUNK);
	if (!g->out || inflateInit2(&g->z, 16 + MAX_WBITS) != Z_OK) {
		free(g->out);
		return false;
	}
	return true;
}

/* Feed the next n compressed bytes. */
static void gz_feed(struct gzcheck *g, const uint8_t *p, size_t n)
{
	while (n && !g->bad) {
		uInt take = n > (1u << 30) ? (1u << 30) : (uInt)n;

		if (g->done) {
			g->trailing = true;
			return;
		}
		g->z.next_in = (Bytef *)(uintptr_t)p;
		g->z.avail_in = take;
		while (g->z.avail_in && !g->done && !g->bad) {
			int r;

			g->z.next_out = g->out;
			g->z.avail_out = CHUNK;
			r = inflate(&g->z, Z_NO_FLUSH);
			if (r == Z_STREAM_END)
				g->done = true;
			else if (r != Z_OK && !(r == Z_BUF_ERROR && g->z.avail_out))
				g->bad = true;
		}
		if (g->done && g->z.avail_in)
			g->trailing = true;
		p += take;
		n -= take;
	}
}

/* Finish: report what is wrong with the container. */
static void gz_finish(struct gzcheck *g, struct verify *v)
{
	if (g->bad || !g->done)
		problem(v, "bundle: the gzip stream is damaged or truncated (%s)",
			g->z.msg ? g->z.msg : "ends early");
	else if (g->trailing)
		problem(v, "bundle: data after the end of the gzip stream");
	inflateEnd(&g->z);
	free(g->out);
}

/* Verify the archive a (opened by the caller or not: open_rc); gz has
 * been fed the whole file. */
static int verify_archive(struct archive *a, int open_rc, const uint8_t pk[LOGSIGN_PK_LEN],
			  uint64_t max_member, struct gzcheck *gz, bundle_report_fn rep,
			  void *arg)
{
	struct verify *v = calloc(1, sizeof(*v));
	int r;

	if (!v || !(v->manifest = malloc(BUNDLE_MAX_MANIFEST))) {
		free(v);
		inflateEnd(&gz->z);
		free(gz->out);
		rep(arg, "out of memory");
		return -ENOMEM;
	}
	v->rep = rep;
	v->arg = arg;
	gz_finish(gz, v);	/* frees gz */
	if (open_rc != ARCHIVE_OK) {
		problem(v, "bundle: cannot open (%s)", archive_error_string(a) ?
			archive_error_string(a) : "unknown error");
		r = -EIO;
	} else {
		read_members(a, v, max_member);
		r = verify_finish(v, pk);
	}
	free(v->manifest);
	free(v);
	return r;
}

/* A reader for gzip'ed tar only. */
static struct archive *reader(void)
{
	struct archive *a = archive_read_new();

	if (a && (archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
		  archive_read_support_format_tar(a) != ARCHIVE_OK)) {
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* See log_bundle.h. */
int bundle_verify_mem(const uint8_t *buf, size_t len, const uint8_t pk[LOGSIGN_PK_LEN],
		      uint64_t max_member, bundle_report_fn rep, void *arg)
{
	struct archive *a = reader();
	struct gzcheck gz;
	int r;

	if (!a || !gz_init(&gz)) {
		if (a)
			archive_read_free(a);
		rep(arg, "out of memory");
		return -ENOMEM;
	}
	gz_feed(&gz, buf, len);
	r = verify_archive(a, archive_read_open_memory(a, buf, len), pk, max_member, &gz, rep,
			   arg);
	archive_read_free(a);
	return r;
}

/* See log_bundle.h. */
int bundle_verify_file(const char *path, const uint8_t pk[LOGSIGN_PK_LEN],
		       bundle_report_fn rep, void *arg)
{
	struct archive *a;
	struct gzcheck gz;
	char line[512], q[RAG_QUOTE_MAX];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), r;

	if (fd < 0) {
		r = -errno;
		snprintf(line, sizeof(line), "%s: %s", rag_quote_str(q, sizeof(q), path),
			 strerror(-r));
		rep(arg, line);
		return r;
	}
	a = reader();
	if (!a || !gz_init(&gz)) {
		if (a)
			archive_read_free(a);
		close(fd);
		rep(arg, "out of memory");
		return -ENOMEM;
	}
	/* the zlib pass reads the file first; libarchive then reads it again */
	for (;;) {
		uint8_t chunk[4096];
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				gz.bad = true;
			break;
		}
		gz_feed(&gz, chunk, (size_t)n);
		if (gz.bad)
			break;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		gz.bad = true;
	r = verify_archive(a, archive_read_open_fd(a, fd, CHUNK), pk, BUNDLE_MAX_MEMBER, &gz,
			   rep, arg);
	archive_read_free(a);
	close(fd);
	return r;
}
