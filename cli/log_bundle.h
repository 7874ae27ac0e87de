/*
 * log_bundle.h — the log export bundle (INTERFACES.md "Export bundle"):
 * one .tar.gz (pax, gzip; libarchive) holding, in this order,
 *
 *   manifest.json     the window, per-file row counts, sizes and SHA-256,
 *                     the gateway id (format LOG_BUNDLE_FORMAT, below)
 *   manifest.sig      64 bytes: Ed25519 signature of manifest.json by the
 *                     gateway's log-signing key (logsign.h)
 *   connection.jsonl  one JSON object per row, ordered by time
 *   acl.jsonl
 *   auth.jsonl
 *
 * manifest.json:
 *   { "format": "rag-log-bundle/1", "gateway_id": "vpn.example.com",
 *     "timezone": "Asia/Tokyo", "from": "2026-11-01", "to": "2026-11-30",
 *     "window_start": "2026-11-01T00:00:00.000+09:00",
 *     "window_end": "2026-12-01T00:00:00.000+09:00",
 *     "window_start_ms": ..., "window_end_ms": ...,   (rows: start <= time_ms < end)
 *     "created": "...", "rag_version": "0.1.0",
 *     "files": { "connection.jsonl": { "rows": N, "bytes": B, "sha256": "hex" },
 *                "acl.jsonl": {...}, "auth.jsonl": {...} } }
 *
 * Export streams: rows go to anonymous temporary files next to the output
 * (hashed while written), then into the archive in 64 KiB pieces; memory
 * does not grow with the number of rows.  The output appears atomically
 * (temporary file, fsync, rename) or not at all.
 */
#ifndef RAG_LOG_BUNDLE_H
#define RAG_LOG_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "log_time.h"
#include "logsign.h"

#define BUNDLE_N_FILES        3		/* connection, acl, auth */
#define BUNDLE_MAX_MEMBERS    16	/* a reader stops after this many */
#define BUNDLE_MAX_MANIFEST   (64 * 1024)
/* a data member larger than this is refused by the reader (10 million rows
 * a day of about 1 KiB for 30 days stays below it) */
#define BUNDLE_MAX_MEMBER     (1ULL << 40)

/* The export window: local days from..to (inclusive) of the configured zone,
 * i.e. UTC milliseconds [start_ms, end_ms). */
struct bundle_window {
	struct logt_date from, to;
	int64_t start_ms, end_ms;
};

/*
 * Check an export request (issue 5 point 4): dates YYYY-MM-DD, from <= to
 * (else -EINVAL: a usage error); to before today in the configured zone,
 * at most export_window_s / 1 day days (a window of exactly that many days
 * is allowed), and not starting before now - retention_s (else -ERANGE: a
 * refusal).  err says why.
 */
int bundle_window(const char *from, const char *to, int64_t now_ms, uint64_t export_window_s,
		  uint64_t retention_s, struct bundle_window *w, char *err, size_t errlen);

/* Signs msg (manifest.json) into sig; 0 or a negative errno with err filled.
 * rag-ctl asks ragd over the control socket; tests sign with a local key. */
typedef int (*bundle_sign_fn)(void *arg, const uint8_t *msg, size_t len,
			      uint8_t sig[LOGSIGN_SIG_LEN], char *err, size_t errlen);

struct bundle_export {
	sqlite3 *db;			/* logs.db, read-only */
	const char *gateway_id;
	const char *timezone;		/* the zone set with logt_set_zone() */
	struct bundle_window win;
	const char *out_path;
	bundle_sign_fn sign;
	void *sign_arg;
};

/* Write the bundle; rows[] gets the counts (connection, acl, auth).  0 or a
 * negative errno with err filled (and no file at out_path). */
int bundle_export(const struct bundle_export *x, uint64_t rows[BUNDLE_N_FILES], char *err,
		  size_t errlen);

/* One verification problem, e.g. "acl.jsonl: SHA-256 does not match the
 * manifest"; or, on success, the "OK ..." summary line. */
typedef void (*bundle_report_fn)(void *arg, const char *line);

/*
 * Verify a bundle held in memory / in a file against public key pk: every
 * member present once and nothing else, manifest fields well-formed, each
 * file's SHA-256, size and row count equal to the manifest's, signature
 * valid.  Every problem is reported (not just the first).  Members larger
 * than max_member bytes are refused.  Returns the number of problems (0 =
 * valid, the "OK" line reported) or a negative errno when the file cannot
 * be read at all (reported too).
 */
int bundle_verify_mem(const uint8_t *buf, size_t len, const uint8_t pk[LOGSIGN_PK_LEN],
		      uint64_t max_member, bundle_report_fn rep, void *arg);
int bundle_verify_file(const char *path, const uint8_t pk[LOGSIGN_PK_LEN],
		       bundle_report_fn rep, void *arg);

/* The names of the data members, in bundle order. */
extern const char *const bundle_files[BUNDLE_N_FILES];

#endif
