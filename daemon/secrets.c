/*
 * secrets.c — secrets.key and sealing of stored secrets (see secrets.h).
 */
#include "secrets.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define AD_LABEL "rag-secret-v1"
#define AD_MAX   (sizeof(AD_LABEL) + 32 + 1 + 8)
#define SEAL_VERSION 0x01

/* Write all of p to fd; 0 or a negative errno. */
static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Create path atomically with len fresh random bytes: written to a
 * temporary file (0600, O_EXCL), synced, then link()ed into place so a crash
 * never leaves a short key file.  -EEXIST when path appeared meanwhile. */
static int create_key(const char *path, size_t len, char *err, size_t errlen)
{
	char tmp[4096];
	struct ike_key k = { 0 };
	int fd, r;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp);	/* a leftover of a crash in the middle of this function */
	r = ike_key_alloc(&k, len);
	if (r < 0)
		return r;
	randombytes_buf(k.ptr, k.len);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		rag_seterr(err, errlen, "%s: %s", tmp, strerror(-r));
		ike_key_free(&k);
		return r;
	}
	r = write_all(fd, k.ptr, k.len);
	ike_key_free(&k);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && link(tmp, path) < 0)
		r = -errno;
	unlink(tmp);
	if (r < 0 && r != -EEXIST)
		rag_seterr(err, errlen, "%s: cannot create: %s", path, strerror(-r));
	return r;
}

/* See secrets.h. */
int secrets_keyfile_load(const char *path, uint8_t *out, size_t len, bool create,
			 bool *created, char *err, size_t errlen)
{
	struct stat st;
	size_t got = 0;
	int fd, r;

	if (created)
		*created = false;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ENOENT && create) {
		r = create_key(path, len, err, errlen);
		if (r < 0 && r != -EEXIST)
			return r;
		if (r == 0 && created)
			*created = true;
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	}
	if (fd < 0) {
		r = -errno;
		rag_seterr(err, errlen, "%s: %s", path, r == -ELOOP ? "is a symbolic link, refused" :
		       strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		rag_seterr(err, errlen, "%s: %s", path, strerror(-r));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		rag_seterr(err, errlen, "%s: not a regular file, refused", path);
		goto out;
	}
	if (st.st_uid != geteuid()) {
		r = -EPERM;
		rag_seterr(err, errlen, "%s: owned by uid %u, not by us (uid %u), refused", path,
		       (unsigned int)st.st_uid, (unsigned int)geteuid());
		goto out;
	}
	if (st.st_mode & 077) {
		r = -EPERM;
		rag_seterr(err, errlen, "%s: mode %04o is group/world accessible, refused "
		       "(chmod 600 it)", path, (unsigned int)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size != len) {
		r = -EINVAL;
		rag_seterr(err, errlen, "%s: %lld bytes, expected %zu, refused", path,
		       (long long)st.st_size, len);
		goto out;
	}
	while (got < len) {
		ssize_t n = read(fd, out + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EINVAL;
			rag_seterr(err, errlen, "%s: short read", path);
			sodium_memzero(out, len);
			goto out;
		}
		got += (size_t)n;
	}
	r = 0;
out:
	close(fd);
	return r;
}

/* See secrets.h. */
int secrets_load(struct secrets *s, const char *dir, bool create, bool *created,
		 char *err, size_t errlen)
{
	char path[4096];
	int r;

	memset(s, 0, sizeof(*s));
	if (created)
		*created = false;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, SECRETS_KEY_FILE) >= sizeof(path)) {
		rag_seterr(err, errlen, "%s: path too long", dir);
		return -ENAMETOOLONG;
	}
	r = ike_key_alloc(&s->key, SECRETS_KEY_LEN);
	if (r < 0) {
		rag_seterr(err, errlen, "%s: out of guarded memory", path);
		return r;
	}
	r = secrets_keyfile_load(path, s->key.ptr, SECRETS_KEY_LEN, create, created, err, errlen);
	if (r < 0)
		ike_key_free(&s->key);
	return r;
}

/* See secrets.h. */
void secrets_free(struct secrets *s)
{
	ike_key_free(&s->key);
}

/* Build the associated data for (purpose, user id); returns its length or 0
 * when purpose is unusable. */
static size_t make_ad(uint8_t ad[AD_MAX], const char *purpose, int64_t user_id)
{
	size_t pl = strlen(purpose), off = 0;
	uint64_t id = (uint64_t)user_id;

	if (pl == 0 || pl > 32)
		return 0;
	memcpy(ad, AD_LABEL, sizeof(AD_LABEL));	/* with its NUL */
	off += sizeof(AD_LABEL);
	memcpy(ad + off, purpose, pl + 1);
	off += pl + 1;
	for (int i = 7; i >= 0; i--)
		ad[off++] = (uint8_t)(id >> (8 * i));
	return off;
}

/* See secrets.h. */
int secrets_seal(const struct secrets *s, const char *purpose, int64_t user_id,
		 const uint8_t *plain, size_t len, uint8_t *out, size_t outcap, size_t *outlen)
{
	uint8_t ad[AD_MAX];
	unsigned long long clen = 0;
	size_t adlen = make_ad(ad, purpose, user_id);

	if (!adlen || s->key.len != SECRETS_KEY_LEN || len > SECRETS_MAX_PLAIN)
		return -EINVAL;
	if (outcap < len + SECRETS_OVERHEAD)
		return -ENOSPC;
	out[0] = SEAL_VERSION;
	randombytes_buf(out + 1, SECRETS_NONCE_LEN);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(out + 1 + SECRETS_NONCE_LEN, &clen,
						       plain, len, ad, adlen, NULL,
						       out + 1, s->key.ptr) != 0)
		return -EINVAL;
	*outlen = 1 + SECRETS_NONCE_LEN + (size_t)clen;
	return 0;
}

/* See secrets.h. */
int secrets_open(const struct secrets *s, const char *purpose, int64_t user_id,
		 const uint8_t *blob, size_t len, struct ike_key *out)
{
	uint8_t ad[AD_MAX];
	unsigned long long plen = 0;
	size_t adlen = make_ad(ad, purpose, user_id);
	int r;

	memset(out, 0, sizeof(*out));
	if (!adlen || s->key.len != SECRETS_KEY_LEN)
		return -EINVAL;
	if (len < SECRETS_OVERHEAD || len - SECRETS_OVERHEAD > SECRETS_MAX_PLAIN ||
	    blob[0] != SEAL_VERSION)
		return -EINVAL;
	/* at least one byte so an empty secret still gets guarded memory */
	r = ike_key_alloc(out, len - SECRETS_OVERHEAD ? len - SECRETS_OVERHEAD : 1);
	if (r < 0)
		return r;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out->ptr, &plen, NULL,
						       blob + 1 + SECRETS_NONCE_LEN,
						       len - 1 - SECRETS_NONCE_LEN, ad, adlen,
						       blob + 1, s->key.ptr) != 0) {
		ike_key_free(out);
		return -EBADMSG;
	}
	out->len = (size_t)plen;
	return 0;
}
