/*
 * logsign.c — the log-signing key pair (see logsign.h).  Library code: no
 * logging, errors go to the caller's err buffer.
 */
#include "logsign.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "pki.h"
#include "secrets.h"

/* DER of SubjectPublicKeyInfo { AlgorithmIdentifier { id-Ed25519 (1.3.101.112) },
 * BIT STRING (0 unused bits) } up to the 32 key bytes (RFC 8410 section 4). */
static const uint8_t spki_prefix[12] = {
	0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
};
#define SPKI_LEN (sizeof(spki_prefix) + LOGSIGN_PK_LEN)

#define PEM_BEGIN "-----BEGIN PUBLIC KEY-----"
#define PEM_END   "-----END PUBLIC KEY-----"
#define PUB_FILE_MAX 4096

struct logsign {
	uint8_t *sk;			/* crypto_sign_SECRETKEYBYTES, sodium_malloc, PROT_NONE at rest */
	uint8_t pk[LOGSIGN_PK_LEN];
	char pub[LOGSIGN_PUB_B64];
};

/* See logsign.h. */
void logsign_pub_b64(const uint8_t pk[LOGSIGN_PK_LEN], char out[LOGSIGN_PUB_B64])
{
	uint8_t der[SPKI_LEN];

	memcpy(der, spki_prefix, sizeof(spki_prefix));
	memcpy(der + sizeof(spki_prefix), pk, LOGSIGN_PK_LEN);
	sodium_bin2base64(out, LOGSIGN_PUB_B64, der, sizeof(der), sodium_base64_VARIANT_ORIGINAL);
}

/* See logsign.h. */
int logsign_pub_parse(const char *text, size_t len, uint8_t pk[LOGSIGN_PK_LEN])
{
	char buf[PUB_FILE_MAX + 1];
	uint8_t der[SPKI_LEN + 4];
	const char *b64, *end, *b64_end;
	size_t derlen;

	if (len > PUB_FILE_MAX)
		return -EINVAL;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (strlen(buf) != len)
		return -EINVAL;		/* NUL inside */
	b64 = strstr(buf, PEM_BEGIN);
	if (b64) {
		b64 += strlen(PEM_BEGIN);
		end = strstr(b64, PEM_END);
		if (!end)
			return -EINVAL;
	} else {
		b64 = buf;
		end = buf + len;
	}
	if (sodium_base642bin(der, sizeof(der), b64, (size_t)(end - b64), " \t\r\n", &derlen,
			      &b64_end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    b64_end != end || derlen != SPKI_LEN ||
	    memcmp(der, spki_prefix, sizeof(spki_prefix)) != 0)
		return -EINVAL;
	memcpy(pk, der + sizeof(spki_prefix), LOGSIGN_PK_LEN);
	return 0;
}

/* See logsign.h. */
int logsign_pub_load(const char *path, uint8_t pk[LOGSIGN_PK_LEN], char *err, size_t errlen)
{
	char buf[PUB_FILE_MAX + 1];
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), r;

	if (fd < 0) {
		r = -errno;
		rag_seterr(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	while (got < sizeof(buf)) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			close(fd);
			rag_seterr(err, errlen, "%s: %s", path, strerror(-r));
			return r;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got > PUB_FILE_MAX || logsign_pub_parse(buf, got, pk) < 0) {
		rag_seterr(err, errlen, "%s: not an Ed25519 public key (PEM)", path);
		return -EINVAL;
	}
	return 0;
}

/* See logsign.h. */
bool logsign_verify(const uint8_t pk[LOGSIGN_PK_LEN], const uint8_t *msg, size_t len,
		    const uint8_t sig[LOGSIGN_SIG_LEN])
{
	return crypto_sign_verify_detached(sig, msg, len, pk) == 0;
}

/* Write the PEM public key file atomically (pki.h). */
static int write_pub(const char *path, const char *b64, char *err, size_t errlen)
{
	char pem[LOGSIGN_PUB_PEM_MAX];
	int n, r;

	n = snprintf(pem, sizeof(pem), PEM_BEGIN "\n%s\n" PEM_END "\n", b64);
	if (n < 0 || (size_t)n >= sizeof(pem))
		return -EINVAL;
	r = rag_write_file_atomic(path, pem, (size_t)n, 0644);
	if (r < 0)
		rag_seterr(err, errlen, "%s: cannot write: %s", path, strerror(-r));
	return r;
}

/* See logsign.h. */
int logsign_open(struct logsign **out, const char *state_dir, bool *created,
		 char *err, size_t errlen)
{
	char path[4096], pubpath[4096];
	struct logsign *ls;
	uint8_t *seed, old_pk[LOGSIGN_PK_LEN];
	int r;

	*out = NULL;
	if (sodium_init() < 0)
		return -ENOMEM;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", state_dir, LOGSIGN_KEY_FILE) >= sizeof(path) ||
	    (size_t)snprintf(pubpath, sizeof(pubpath), "%s/%s", state_dir, LOGSIGN_PUB_FILE) >=
	    sizeof(pubpath)) {
		rag_seterr(err, errlen, "%s: path too long", state_dir);
		return -ENAMETOOLONG;
	}
	ls = calloc(1, sizeof(*ls));
	seed = sodium_malloc(LOGSIGN_SEED_LEN);
	if (ls)
		ls->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (!ls || !seed || !ls->sk) {
		sodium_free(seed);
		logsign_close(ls);
		rag_seterr(err, errlen, "%s: out of guarded memory", path);
		return -ENOMEM;
	}
	/* a random 32-byte string is a valid Ed25519 seed (RFC 8032 5.1.5) */
	r = secrets_keyfile_load(path, seed, LOGSIGN_SEED_LEN, true, created, err, errlen);
	if (r == 0 && crypto_sign_seed_keypair(ls->pk, ls->sk, seed) != 0) {
		rag_seterr(err, errlen, "%s: cannot derive the key pair", path);
		r = -EINVAL;
	}
	sodium_free(seed);	/* wipes */
	if (r < 0) {
		logsign_close(ls);
		return r;
	}
	sodium_mprotect_noaccess(ls->sk);
	logsign_pub_b64(ls->pk, ls->pub);
	if (logsign_pub_load(pubpath, old_pk, NULL, 0) < 0 ||
	    sodium_memcmp(old_pk, ls->pk, LOGSIGN_PK_LEN) != 0) {
		r = write_pub(pubpath, ls->pub, err, errlen);
		if (r < 0) {
			logsign_close(ls);
			return r;
		}
	}
	*out = ls;
	return 0;
}

/* See logsign.h. */
int logsign_sign(struct logsign *ls, const uint8_t *msg, size_t len,
		 uint8_t sig[LOGSIGN_SIG_LEN])
{
	int r;

	if (!ls || !ls->sk)
		return -EINVAL;
	sodium_mprotect_readonly(ls->sk);
	r = crypto_sign_detached(sig, NULL, msg, len, ls->sk);
	sodium_mprotect_noaccess(ls->sk);
	return r == 0 ? 0 : -EIO;
}

/* See logsign.h. */
const char *logsign_public(const struct logsign *ls)
{
	return ls ? ls->pub : "";
}

/* See logsign.h. */
void logsign_close(struct logsign *ls)
{
	if (!ls)
		return;
	if (ls->sk) {
		sodium_mprotect_readwrite(ls->sk);
		sodium_free(ls->sk);	/* wipes */
	}
	free(ls);
}
