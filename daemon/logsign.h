/*
 * logsign.h — the Ed25519 key that signs log export bundles (INTERFACES.md
 * "Export bundle": manifest.sig is Ed25519 over manifest.json).
 *
 * Files in the state directory, created at ragd's first start:
 *   log-signing.key  the 32-byte Ed25519 seed, raw, 0600, owned by ragd's
 *                    user (the rules of secrets.key: refused when group or
 *                    world accessible, a symlink or the wrong size)
 *   log-signing.pub  the public key as a PEM SubjectPublicKeyInfo, 0644, so
 *                    a bundle can be checked without rag at all:
 *                      openssl pkeyutl -verify -pubin -inkey log-signing.pub \
 *                        -rawin -in manifest.json -sigfile manifest.sig
 *                    rewritten from the private key whenever it differs.
 *
 * The private key never leaves ragd: it lives in sodium_malloc'ed memory
 * kept PROT_NONE except while signing, and rag-ctl obtains signatures over
 * the control socket ("log sign", ctl_log.c).  The public-key helpers are
 * used by rag-ctl too (log verify, status).
 */
#ifndef RAG_LOGSIGN_H
#define RAG_LOGSIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOGSIGN_KEY_FILE  "log-signing.key"
#define LOGSIGN_PUB_FILE  "log-signing.pub"
#define LOGSIGN_SEED_LEN  32
#define LOGSIGN_PK_LEN    32
#define LOGSIGN_SIG_LEN   64
/* base64 of the 44-byte DER SubjectPublicKeyInfo: 60 characters + NUL */
#define LOGSIGN_PUB_B64   61
/* the PEM file: header, one base64 line, footer */
#define LOGSIGN_PUB_PEM_MAX 160
/* largest message ragd signs on request (a bundle manifest; the request
 * carries it hex-encoded within RAG_CTL_MAX_REQUEST) */
#define LOGSIGN_MAX_MESSAGE 1900

/* The bundle's manifest "format" value; ragd signs only such manifests. */
#define LOG_BUNDLE_FORMAT "rag-log-bundle/1"

struct logsign;

/*
 * Load <state_dir>/log-signing.key, creating a new key pair when it is
 * absent (*created set, may be NULL), and (re)write log-signing.pub when it
 * is missing or holds another key.  Returns 0 or a negative errno with the
 * reason in err (naming the file).
 */
int logsign_open(struct logsign **out, const char *state_dir, bool *created,
		 char *err, size_t errlen);

/* Ed25519 signature of msg[0..len) into sig.  0 or a negative errno. */
int logsign_sign(struct logsign *ls, const uint8_t *msg, size_t len,
		 uint8_t sig[LOGSIGN_SIG_LEN]);

/* The public key as the base64 line of log-signing.pub (what `rag-ctl
 * status` shows as log-signing-key). */
const char *logsign_public(const struct logsign *ls);

/* Wipe and free (NULL is a no-op). */
void logsign_close(struct logsign *ls);

/* ---- public keys (no private material; rag-ctl uses these) ---- */

/* Base64 line of the SubjectPublicKeyInfo of pk into out[LOGSIGN_PUB_B64]. */
void logsign_pub_b64(const uint8_t pk[LOGSIGN_PK_LEN], char out[LOGSIGN_PUB_B64]);

/*
 * Parse a public key: the PEM file (BEGIN/END PUBLIC KEY around the base64
 * SubjectPublicKeyInfo of an Ed25519 key) or that base64 line alone.
 * text need not be NUL-terminated.  0 or -EINVAL.
 */
int logsign_pub_parse(const char *text, size_t len, uint8_t pk[LOGSIGN_PK_LEN]);

/* Read and parse a public-key file (at most 4 KiB).  0 or a negative errno
 * with err filled. */
int logsign_pub_load(const char *path, uint8_t pk[LOGSIGN_PK_LEN], char *err, size_t errlen);

/* Whether sig is a valid signature of msg by pk. */
bool logsign_verify(const uint8_t pk[LOGSIGN_PK_LEN], const uint8_t *msg, size_t len,
		    const uint8_t sig[LOGSIGN_SIG_LEN]);

#endif
