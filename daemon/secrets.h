/*
 * secrets.h — secrets at rest: NT hashes and PSKs are stored in rag.db only
 * sealed with XChaCha20-Poly1305 (libsodium, IETF construction) under the
 * 256-bit key in <state-dir>/secrets.key.
 *
 * Sealed blob: version (1 byte, 0x01) | nonce (24, random) | ciphertext | tag (16).
 * Associated data binds the blob to its place: "rag-secret-v1" NUL purpose NUL
 * user id (8 bytes big endian), so a blob copied to another user's row or
 * from the PSK column to the NT-hash column does not open.
 *
 * secrets.key: 32 random bytes, created 0600 with O_EXCL on first start;
 * refused when it is not a regular file owned by us, is group/world
 * accessible (any of 077), or has the wrong size.  The key lives in guarded
 * memory (struct ike_key) while ragd runs.
 */
#ifndef RAG_SECRETS_H
#define RAG_SECRETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike.h"

#define SECRETS_KEY_FILE  "secrets.key"
#define SECRETS_KEY_LEN   32
#define SECRETS_NONCE_LEN 24
#define SECRETS_TAG_LEN   16
#define SECRETS_OVERHEAD  (1 + SECRETS_NONCE_LEN + SECRETS_TAG_LEN)
#define SECRETS_MAX_PLAIN 1024		/* NT hash 16, PSK up to 1024 */

/* what a sealed value is (part of the associated data) */
#define SECRETS_NT_HASH "nt-hash"
#define SECRETS_PSK     "psk"

struct secrets {
	struct ike_key key;		/* SECRETS_KEY_LEN bytes, guarded */
};

/*
 * Load <dir>/secrets.key, creating it (0600, random) when absent and create
 * is true.  *created tells whether it was created (may be NULL).  Returns 0,
 * -EPERM (wrong mode/owner; err says which), -EINVAL (wrong size/type),
 * -ENOENT (absent and !create) or another negative errno.
 */
int secrets_load(struct secrets *s, const char *dir, bool create, bool *created,
		 char *err, size_t errlen);

/*
 * The key-file rules above for any key file: load exactly len bytes from
 * path into out (caller's guarded memory), creating the file 0600 with len
 * random bytes when absent and create is true.  Same returns as
 * secrets_load(); out is wiped on a short read.  (Also used for the
 * log-signing key, logsign.h.)
 */
int secrets_keyfile_load(const char *path, uint8_t *out, size_t len, bool create,
			 bool *created, char *err, size_t errlen);

/* Wipe and free the key (safe on a zeroed struct). */
void secrets_free(struct secrets *s);

/*
 * Seal plain[0..len) for (purpose, user_id) into out (capacity outcap >=
 * len + SECRETS_OVERHEAD); *outlen is set.  0, -EINVAL or -ENOSPC.
 */
int secrets_seal(const struct secrets *s, const char *purpose, int64_t user_id,
		 const uint8_t *plain, size_t len, uint8_t *out, size_t outcap, size_t *outlen);

/*
 * Open a sealed blob for (purpose, user_id) into guarded memory *out (freed
 * with ike_key_free).  -EBADMSG when it does not authenticate (wrong key,
 * user, purpose or tampered), -EINVAL on a malformed blob.
 */
int secrets_open(const struct secrets *s, const char *purpose, int64_t user_id,
		 const uint8_t *blob, size_t len, struct ike_key *out);

#endif
