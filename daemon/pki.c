/*
 * pki.c — certificate generation, loading and validation (see pki.h).
 */
#include "pki.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "log.h"

/* ---- files -------------------------------------------------------------------- */

/* mkdir one level; EEXIST is fine when it is a directory. */
static int mkdir_one(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (stat(path, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* See pki.h. */
int rag_state_dir_ensure(const char *dir, char *err, size_t errlen)
{
	char tmp[RAG_CONF_PATH_MAX];
	struct stat st;
	size_t n = strlen(dir);
	int r;

	if (n == 0 || n >= sizeof(tmp) || dir[0] != '/') {
		snprintf(err, errlen, "state directory must be an absolute path");
		return -EINVAL;
	}
	memcpy(tmp, dir, n + 1);
	for (size_t i = 1; i < n; i++) {	/* parents */
		if (tmp[i] != '/')
			continue;
		tmp[i] = '\0';
		r = mkdir_one(tmp, 0755);
		tmp[i] = '/';
		if (r < 0) {
			snprintf(err, errlen, "cannot create %.*s: %s", (int)i, tmp, strerror(-r));
			return r;
		}
	}
	r = mkdir_one(tmp, 0700);
	if (r < 0) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-r));
		return r;
	}
	if (stat(dir, &st) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot stat %s: %s", dir, strerror(-r));
		return r;
	}
	if ((st.st_mode & 077) && st.st_uid == geteuid() && chmod(dir, 0700) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot chmod 0700 %s: %s", dir, strerror(-r));
		return r;
	}
	return 0;
}

/* See pki.h. */
int rag_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[RAG_CONF_PATH_MAX + 16], dir[RAG_CONF_PATH_MAX + 16];
	const uint8_t *p = data;
	int fd, dfd, r = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0)
		r = -errno;
	while (r == 0 && len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);	/* make the rename durable; best effort */
		close(dfd);
	}
	return 0;
}

/* PEM passphrase callback: we never prompt (encrypted keys are refused). */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf; (void)size; (void)rwflag; (void)u;
	return -1;
}

/* The first OpenSSL error as text (and clear the queue). */
static const char *ossl_err(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();

	if (e)
		ERR_error_string_n(e, buf, len);
	else
		snprintf(buf, len, "unknown error");
	ERR_clear_error();
	return buf;
}

/* Read all PEM certificates of path: first into *first, the rest into
 * *rest (may be NULL to discard).  Returns count, 0 when none, <0 on I/O. */
static int read_certs(const char *path, X509 **first, STACK_OF(X509) **rest)
{
	BIO *b = BIO_new_file(path, "r");
	X509 *x;
	int n = 0;

	*first = NULL;
	if (rest)
		*rest = NULL;
	if (!b)
		return -errno ? -errno : -EIO;
	while ((x = PEM_read_bio_X509(b, NULL, no_passphrase, NULL))) {
		if (n == 0) {
			*first = x;
		} else if (rest) {
			if (!*rest)
				*rest = sk_X509_new_null();
			if (!*rest || !sk_X509_push(*rest, x))
				X509_free(x);
		} else {
			X509_free(x);
		}
		if (++n >= 64)
			break;	/* limit: a chain/CA bundle longer than this is bogus */
	}
	ERR_clear_error();	/* the expected "no start line" at EOF */
	BIO_free(b);
	return n;
}

/* Read an unencrypted PEM private key. */
static EVP_PKEY *read_key(const char *path)
{
	BIO *b = BIO_new_file(path, "r");
	EVP_PKEY *k;

	if (!b)
		return NULL;
	k = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
	BIO_free(b);
	return k;
}

/* Serialise key (PEM, unencrypted) through secure memory and write it 0600. */
static int write_key(const char *path, EVP_PKEY *key)
{
	BIO *b = BIO_new(BIO_s_secmem());
	char *data;
	long len;
	int r;

	if (!b)
		return -ENOMEM;
	if (!PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)) {
		BIO_free(b);
		return -EIO;
	}
	len = BIO_get_mem_data(b, &data);
	r = len > 0 ? rag_write_file_atomic(path, data, (size_t)len, 0600) : -EIO;
	BIO_free(b);		/* secmem BIOs are cleansed on free */
	return r;
}

/* Write a certificate as PEM, mode 0644 (public). */
static int write_cert(const char *path, X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int r;

	if (!b)
		return -ENOMEM;
	if (!PEM_write_bio_X509(b, x)) {
		BIO_free(b);
		return -EIO;
	}
	len = BIO_get_mem_data(b, &data);
	r = len > 0 ? rag_write_file_atomic(path, data, (size_t)len, 0644) : -EIO;
	BIO_free(b);
	return r;
}

/* ---- certificate building ----------------------------------------------------------- */

/* Add one extension from OpenSSL's config syntax (constant strings only:
 * nothing user-controlled is ever spliced into these). */
static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok;

	if (!e)
		return -EINVAL;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : -EINVAL;
}

/* subjectAltName for id, built from GENERAL_NAMEs (no string splicing):
 * DNS:id, plus iPAddress:id when id is an address (Windows matches the
 * DNS form of an IP id, RFC 7296 clients the iPAddress form). */
static int add_san(X509 *x, const char *id)
{
	GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
	struct rag_addr a;
	int ok = 0;

	if (!names)
		return -ENOMEM;
	if (rag_parse_addr(id, &a) == 0) {
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_OCTET_STRING *ip = ASN1_OCTET_STRING_new();
		int alen = a.family == AF_INET ? 4 : 16;

		if (!g || !ip || !ASN1_OCTET_STRING_set(ip, a.addr, alen)) {
			GENERAL_NAME_free(g);
			ASN1_OCTET_STRING_free(ip);
			goto out;
		}
		GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
		if (!sk_GENERAL_NAME_push(names, g)) {
			GENERAL_NAME_free(g);
			goto out;
		}
	}
	{
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_IA5STRING *dns = ASN1_IA5STRING_new();

		if (!g || !dns || !ASN1_STRING_set(dns, id, (int)strlen(id))) {
			GENERAL_NAME_free(g);
			ASN1_IA5STRING_free(dns);
			goto out;
		}
		GENERAL_NAME_set0_value(g, GEN_DNS, dns);
		if (!sk_GENERAL_NAME_push(names, g)) {
			GENERAL_NAME_free(g);
			goto out;
		}
	}
	ok = X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT);
out:
	GENERAL_NAMES_free(names);
	return ok == 1 ? 0 : -EINVAL;
}

/* A new certificate for key with subject O=rag, CN=cn; positive random
 * 128-bit serial, valid from an hour ago (clock skew) for days. */
static X509 *new_cert(EVP_PKEY *key, const char *cn, int days)
{
	X509 *x = X509_new();
	X509_NAME *name;
	unsigned char serial[16];
	BIGNUM *bn = NULL;

	if (!x)
		return NULL;
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f;
	serial[0] |= 0x40;	/* positive and exactly 16 bytes long */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	name = X509_get_subject_name(x);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
	    !X509_set_version(x, X509_VERSION_3) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL) ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
					(const unsigned char *)"rag", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					(const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_pubkey(x, key))
		goto fail;
	BN_free(bn);
	return x;
fail:
	BN_free(bn);
	X509_free(x);
	return NULL;
}

/* Self-signed CA: basicConstraints CA:TRUE pathlen 0, keyCertSign+cRLSign. */
static X509 *make_ca(EVP_PKEY *key, const char *id)
{
	char cn[64];
	X509V3_CTX ctx;
	X509 *x;

	snprintf(cn, sizeof(cn), "rag CA %.50s", id);
	x = new_cert(key, cn, RAG_CA_DAYS);
	if (!x)
		return NULL;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (!X509_set_issuer_name(x, X509_get_subject_name(x)) ||
	    add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") < 0 ||
	    add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") < 0 ||
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash") < 0 ||
	    !X509_sign(x, key, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Server certificate for id signed by the CA: SAN (add_san), EKU serverAuth
 * + ikeIntermediate, keyUsage digitalSignature, CA:FALSE. */
static X509 *make_server(EVP_PKEY *key, const char *id, X509 *ca, EVP_PKEY *ca_key)
{
	X509V3_CTX ctx;
	X509 *x;

	/* CN has an upper bound of 64 (RFC 5280); the SAN carries the id */
	x = new_cert(key, strlen(id) <= 64 ? id : "rag gateway", RAG_SERVER_DAYS);
	if (!x)
		return NULL;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
	if (!X509_set_issuer_name(x, X509_get_subject_name(ca)) ||
	    add_ext(x, &ctx, NID_basic_constraints, "CA:FALSE") < 0 ||
	    add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") < 0 ||
	    add_ext(x, &ctx, NID_ext_key_usage, "serverAuth," RAG_OID_IKE_INTERMEDIATE) < 0 ||
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash") < 0 ||
	    add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") < 0 ||
	    add_san(x, id) < 0 ||
	    !X509_sign(x, ca_key, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Join dir/name into out; -ENAMETOOLONG when it does not fit. */
static int join(char *out, size_t outlen, const char *dir, const char *name)
{
	int n = snprintf(out, outlen, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

/* Why an existing server certificate cannot be reused, or NULL if it can. */
static const char *server_unusable(X509 *cert, EVP_PKEY *key, X509 *ca, EVP_PKEY *ca_pub,
				   const char *id)
{
	time_t soon = time(NULL) + (time_t)RAG_RENEW_DAYS * 86400;

	if (!cert || !key)
		return "server certificate or key missing or unreadable";
	if (X509_check_private_key(cert, key) != 1)
		return "server key does not match the certificate";
	if (X509_verify(cert, ca_pub) != 1 ||
	    X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(ca)) != 0)
		return "server certificate is not signed by the CA";
	if (!rag_cert_matches_id(cert, id))
		return "server certificate does not name the id";
	if (X509_cmp_time(X509_get0_notAfter(cert), &soon) <= 0)
		return "server certificate expires soon";
	return NULL;
}

/* See pki.h. */
int rag_pki_generate(const char *state_dir, const char *id, struct rag_pki_gen *out,
		     char *err, size_t errlen)
{
	char ca_crt[RAG_CONF_PATH_MAX], ca_key[RAG_CONF_PATH_MAX];
	char srv_crt[RAG_CONF_PATH_MAX], srv_key[RAG_CONF_PATH_MAX], eb[200];
	EVP_PKEY *cak = NULL, *sk = NULL;
	X509 *ca = NULL, *sc = NULL;
	enum rag_id_kind kind;
	struct stat st;
	const char *why;
	bool have_crt, have_key;
	int r;

	memset(out, 0, sizeof(*out));
	if (rag_id_classify(id, &kind) < 0 || kind == RAG_ID_DN) {
		snprintf(err, errlen, "cannot generate a certificate for id %s "
			 "(needs an FQDN or IP address)", rag_quote_str(eb, sizeof(eb), id));
		return -EINVAL;
	}
	if (join(ca_crt, sizeof(ca_crt), state_dir, RAG_CA_CERT_FILE) < 0 ||
	    join(ca_key, sizeof(ca_key), state_dir, RAG_CA_KEY_FILE) < 0 ||
	    join(srv_crt, sizeof(srv_crt), state_dir, RAG_SERVER_CERT_FILE) < 0 ||
	    join(srv_key, sizeof(srv_key), state_dir, RAG_SERVER_KEY_FILE) < 0) {
		snprintf(err, errlen, "state directory path too long");
		return -ENAMETOOLONG;
	}
	r = rag_state_dir_ensure(state_dir, err, errlen);
	if (r < 0)
		return r;

	/* the CA: reuse, or create when neither file exists */
	have_crt = stat(ca_crt, &st) == 0;
	have_key = stat(ca_key, &st) == 0;
	if (have_crt || have_key) {
		if (read_certs(ca_crt, &ca, NULL) <= 0 || !(cak = read_key(ca_key)) ||
		    X509_check_private_key(ca, cak) != 1) {
			snprintf(err, errlen, "%s/%s and %s are unusable (missing, unreadable or "
				 "not a pair); move them away to generate a new CA",
				 state_dir, RAG_CA_KEY_FILE, RAG_CA_CERT_FILE);
			r = -EINVAL;
			goto out;
		}
	} else {
		cak = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		ca = cak ? make_ca(cak, id) : NULL;
		if (!ca) {
			snprintf(err, errlen, "CA generation failed: %s", ossl_err(eb, sizeof(eb)));
			r = -EIO;
			goto out;
		}
		/* key first: a certificate without its key would block regeneration */
		r = write_key(ca_key, cak);
		if (r == 0)
			r = write_cert(ca_crt, ca);
		if (r < 0) {
			snprintf(err, errlen, "cannot write the CA into %s: %s", state_dir,
				 strerror(-r));
			goto out;
		}
		out->ca_created = true;
	}

	/* the server certificate: reuse when still right for id and CA */
	if (read_certs(srv_crt, &sc, NULL) < 0)
		sc = NULL;
	sk = stat(srv_key, &st) == 0 ? read_key(srv_key) : NULL;
	ERR_clear_error();
	why = server_unusable(sc, sk, ca, cak, id);
	if (!why) {
		r = 0;
		goto out;
	}
	snprintf(out->reason, sizeof(out->reason), "%s", why);
	X509_free(sc);
	EVP_PKEY_free(sk);
	sk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	sc = sk ? make_server(sk, id, ca, cak) : NULL;
	if (!sc) {
		snprintf(err, errlen, "server certificate generation failed: %s",
			 ossl_err(eb, sizeof(eb)));
		r = -EIO;
		goto out;
	}
	r = write_key(srv_key, sk);
	if (r == 0)
		r = write_cert(srv_crt, sc);
	if (r < 0) {
		snprintf(err, errlen, "cannot write the server certificate into %s: %s",
			 state_dir, strerror(-r));
		goto out;
	}
	out->server_created = true;
out:
	X509_free(ca);
	X509_free(sc);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(sk);
	return r;
}

/* ---- identity matching --------------------------------------------------------------- */

/* Canonical form of a DN for comparison: lower-case, blanks around ',', '='
 * and '+' dropped.  Writes at most outlen-1 bytes. */
static void dn_canon(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; in[i] && o + 1 < outlen; i++) {
		char ch = in[i];

		if (ch == ' ' || ch == '\t') {
			size_t j = i;

			while (in[j] == ' ' || in[j] == '\t')
				j++;
			if (o == 0 || in[j] == '\0' || in[j] == ',' || in[j] == '=' ||
			    in[j] == '+' || out[o - 1] == ',' || out[o - 1] == '=' ||
			    out[o - 1] == '+') {
				i = j - 1;
				continue;
			}
		}
		out[o++] = (char)((ch >= 'A' && ch <= 'Z') ? ch + 32 : ch);
	}
	out[o] = '\0';
}

/* The subject as "SN=value,SN=value" in certificate order (forward) or
 * reversed (RFC 4514 order). */
static void subject_str(X509_NAME *name, bool reverse, char *out, size_t outlen)
{
	int n = X509_NAME_entry_count(name);
	size_t o = 0;

	out[0] = '\0';
	for (int k = 0; k < n && k < 32; k++) {
		X509_NAME_ENTRY *e = X509_NAME_get_entry(name, reverse ? n - 1 - k : k);
		const char *sn = OBJ_nid2sn(OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)));
		unsigned char *utf8 = NULL;
		int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
		int w;

		if (len < 0)
			return;
		w = snprintf(out + o, outlen - o, "%s%s=%.*s", k ? "," : "",
			     sn ? sn : "?", len, (const char *)utf8);
		OPENSSL_free(utf8);
		if (w < 0 || (size_t)w >= outlen - o)
			return;
		o += (size_t)w;
	}
}

/* See pki.h. */
bool rag_cert_matches_id(X509 *x, const char *id)
{
	enum rag_id_kind kind;
	char a[512], b[512], c[512];

	if (rag_id_classify(id, &kind) < 0)
		return false;
	switch (kind) {
	case RAG_ID_IPV4:
	case RAG_ID_IPV6:
		return X509_check_ip_asc(x, id, 0) == 1;
	case RAG_ID_FQDN:
		return X509_check_host(x, id, strlen(id),
				       X509_CHECK_FLAG_NEVER_CHECK_SUBJECT |
				       X509_CHECK_FLAG_NO_WILDCARDS, NULL) == 1;
	case RAG_ID_DN:
		dn_canon(id, a, sizeof(a));
		subject_str(X509_get_subject_name(x), false, c, sizeof(c));
		dn_canon(c, b, sizeof(b));
		if (!strcmp(a, b))
			return true;
		subject_str(X509_get_subject_name(x), true, c, sizeof(c));
		dn_canon(c, b, sizeof(b));
		return !strcmp(a, b);
	}
	return false;
}

/* See pki.h. */
int rag_fingerprint(X509 *x, char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	size_t o = 0;

	if (outlen < RAG_FPR_LEN || !X509_digest(x, EVP_sha256(), md, &n) || n != 32)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++)
		o += (size_t)snprintf(out + o, outlen - o, i ? ":%02X" : "%02X", md[i]);
	return 0;
}

/* ---- loading --------------------------------------------------------------------------- */

/* See pki.h. */
void rag_pki_free(struct rag_pki *p)
{
	EVP_PKEY_free(p->key);
	X509_free(p->cert);
	sk_X509_pop_free(p->chain, X509_free);
	sk_X509_pop_free(p->cas, X509_free);
	memset(p, 0, sizeof(*p));
}

/* See pki.h. */
int rag_pki_load(struct rag_pki *p, const struct rag_config *c, struct rag_conf_errors *errs)
{
	size_t before = errs->n + errs->dropped;
	char q[RAG_QUOTE_MAX], eb[200], wk[RAG_CONF_PATH_MAX + 64];
	char wc[RAG_CONF_PATH_MAX + 64], wa[RAG_CONF_PATH_MAX + 64];
	struct rag_pki np;
	struct stat st;
	X509 *ca_first = NULL;
	int n;

	memset(&np, 0, sizeof(np));
	rag_config_where(c, "private-key", wk, sizeof(wk));
	rag_config_where(c, "certificate", wc, sizeof(wc));
	rag_config_where(c, "ca", wa, sizeof(wa));

	/* private key: refused if group/world accessible */
	if (stat(c->private_key, &st) < 0) {
		rag_conf_error(errs, "%s: %s: %s", wk, c->private_key, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		rag_conf_error(errs, "%s: %s: not a regular file", wk, c->private_key);
	} else if (st.st_mode & 077) {
		rag_conf_error(errs, "%s: %s: refused: accessible by group/others "
			       "(mode %04o; chmod 600 it)", wk, c->private_key,
			       (unsigned int)(st.st_mode & 07777));
	} else if (!(np.key = read_key(c->private_key))) {
		rag_conf_error(errs, "%s: %s: not an unencrypted PEM private key (%s)",
			       wk, c->private_key, ossl_err(eb, sizeof(eb)));
	}

	/* certificate (+ chain) */
	n = read_certs(c->certificate, &np.cert, &np.chain);
	if (n < 0)
		rag_conf_error(errs, "%s: %s: %s", wc, c->certificate, strerror(-n));
	else if (n == 0)
		rag_conf_error(errs, "%s: %s: no PEM certificate in it", wc, c->certificate);
	if (np.cert) {
		time_t now = time(NULL);

		if (c->id[0] && !rag_cert_matches_id(np.cert, c->id))
			rag_conf_error(errs, "%s: %s: id %s is not in its subjectAltName%s",
				       wc, c->certificate, rag_quote_str(q, sizeof(q), c->id),
				       c->id_kind == RAG_ID_DN ? " (nor its subject)" : "");
		if (np.key && X509_check_private_key(np.cert, np.key) != 1)
			rag_conf_error(errs, "%s: %s does not match certificate %s",
				       wk, c->private_key, c->certificate);
		if (X509_cmp_time(X509_get0_notAfter(np.cert), &now) <= 0)
			rag_conf_error(errs, "%s: %s: expired", wc, c->certificate);
		else if (X509_cmp_time(X509_get0_notBefore(np.cert), &now) >= 0)
			rag_conf_error(errs, "%s: %s: not valid yet", wc, c->certificate);
		rag_fingerprint(np.cert, np.cert_fpr, sizeof(np.cert_fpr));
	}
	ERR_clear_error();

	/* client trust anchors */
	if (c->ca[0]) {
		n = read_certs(c->ca, &ca_first, &np.cas);
		if (n < 0) {
			rag_conf_error(errs, "%s: %s: %s", wa, c->ca, strerror(-n));
		} else if (n == 0) {
			rag_conf_error(errs, "%s: %s: no PEM certificate in it", wa, c->ca);
		} else {
			rag_fingerprint(ca_first, np.ca_fpr, sizeof(np.ca_fpr));
			if (!np.cas)
				np.cas = sk_X509_new_null();
			if (!np.cas || !sk_X509_insert(np.cas, ca_first, 0)) {
				X509_free(ca_first);
				rag_conf_error(errs, "%s: %s: out of memory", wa, c->ca);
			}
		}
		ERR_clear_error();
	}

	if (errs->n + errs->dropped > before) {
		rag_pki_free(&np);
		return -EINVAL;
	}
	*p = np;
	return 0;
}
