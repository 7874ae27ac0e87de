/*
 * pki.h — ragd's certificates and keys: loading and validating the configured
 * server certificate/key and client CA (ragd -n), and generating a CA plus an
 * RSA-2048 server certificate in the state directory when none is configured
 * (INTERFACES.md "embedded defaults").  OpenSSL 3 only; nothing here logs.
 */
#ifndef RAG_PKI_H
#define RAG_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "conf.h"

/* "AB:CD:..." of a SHA-256 digest: 32 * 3 bytes incl. the NUL */
#define RAG_FPR_LEN 96

#define RAG_CA_DAYS     3650	/* generated CA: 10 years */
#define RAG_SERVER_DAYS 730	/* generated server certificate: 2 years
				 * (Apple clients refuse > 825 days) */
#define RAG_RENEW_DAYS  30	/* regenerate a server cert expiring this soon */

/* File names inside the state directory. */
#define RAG_CA_CERT_FILE     "ca.crt"
#define RAG_CA_KEY_FILE      "ca.key"
#define RAG_SERVER_CERT_FILE "server.crt"
#define RAG_SERVER_KEY_FILE  "server.key"

/* ikeIntermediate, RFC 4945 section 5.1.3.12 / RFC 4809 */
#define RAG_OID_IKE_INTERMEDIATE "1.3.6.1.5.5.8.2.2"

/* What the daemon holds while running. */
struct rag_pki {
	EVP_PKEY *key;			/* server private key */
	X509 *cert;			/* server certificate */
	STACK_OF(X509) *chain;		/* further certificates of the cert file */
	STACK_OF(X509) *cas;		/* trust anchors for clients (may be NULL) */
	char cert_fpr[RAG_FPR_LEN];
	char ca_fpr[RAG_FPR_LEN];	/* first certificate of the ca file */
};

/* Outcome of rag_pki_generate(). */
struct rag_pki_gen {
	bool ca_created;
	bool server_created;
	char reason[160];		/* why the server certificate was (re)made */
};

/*
 * Create dir (parents 0755, dir itself 0700) if missing; an existing dir
 * owned by us that is group/world accessible is tightened to 0700.
 * Returns 0 or a negative errno with a message in err.
 */
int rag_state_dir_ensure(const char *dir, char *err, size_t errlen);

/*
 * Write len bytes to path atomically: temp file in the same directory with
 * the given mode, fsync, rename, fsync of the directory.  Returns 0 or a
 * negative errno.
 */
int rag_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/*
 * Make sure state_dir holds a CA (ca.key, ca.crt) and a server key and
 * certificate for id signed by it (server.key, server.crt).  Existing files
 * are reused; a CA that is present but unusable is an error (never silently
 * replaced); a server certificate that does not match id, is not signed by
 * the CA or expires within RAG_RENEW_DAYS is regenerated.  id must be an FQDN
 * or IP address.  Returns 0 or a negative errno with a message in err.
 */
int rag_pki_generate(const char *state_dir, const char *id, struct rag_pki_gen *out,
		     char *err, size_t errlen);

/*
 * Load and validate what c names: private key not group/world accessible,
 * certificate (plus chain) parses, c->id is in its SAN (DNS or IP; a DN id
 * must equal the subject), key matches certificate, certificate within its
 * validity, ca file parses (when set).  Every problem is added to errs.
 * Returns 0 with p filled, or -EINVAL (p left empty).
 */
int rag_pki_load(struct rag_pki *p, const struct rag_config *c, struct rag_conf_errors *errs);

/* Release everything p holds (safe on a zeroed struct). */
void rag_pki_free(struct rag_pki *p);

/* SHA-256 fingerprint of x as colon-separated upper-case hex. */
int rag_fingerprint(X509 *x, char *out, size_t outlen);

/* Does x carry id (FQDN, IPv4/IPv6 text or DN) as described above? */
bool rag_cert_matches_id(X509 *x, const char *id);

#endif
