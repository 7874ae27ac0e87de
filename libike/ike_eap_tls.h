/*
 * ike_eap_tls.h — EAP-TLS (RFC 5216; RFC 9190 when TLS 1.3 is negotiated)
 * for the IKEv2 exchange engine, both roles, on OpenSSL memory BIOs.
 *
 * EAP-TLS Type-Data (RFC 5216 3.1 / 3.2):
 *    0 1 2 3 4 5 6 7
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |L M S R R R R R|  TLS Message Length (4, if L) | TLS Data ...
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   L = length included, M = more fragments, S = EAP-TLS start.
 * A fragment with M set is acknowledged by an EAP-TLS packet with no data
 * (flags 0); the receiver reassembles up to IKE_EAP_TLS_MAX_MSG bytes.
 *
 * Keys (RFC 5216 2.3, RFC 9190 2.3), 64-byte MSK:
 *   TLS 1.2: TLS-PRF-128(master_secret, "client EAP encryption",
 *            client.random || server.random)[0..63]
 *   TLS 1.3: TLS-Exporter("EXPORTER_EAP_TLS_Key_Material", 0x0D, 128)[0..63]
 * TLS 1.3 (RFC 9190 2.1.1): the server sends a protected one-octet
 * application data record 0x00 (the commitment message) once the handshake
 * is complete; the peer accepts EAP-Success only after it.
 *
 * The state object holds no clock: certificate validity is checked at the
 * `now` given to ike_eap_tls_new() (0 = OpenSSL's current time is not used
 * either: times are not checked, as in struct ike_exch_cfg).
 */
#ifndef RAG_IKE_EAP_TLS_H
#define RAG_IKE_EAP_TLS_H

#include <openssl/ssl.h>

#include "ike.h"
#include "ike_exchange.h"

#define EAP_TLS_FLAG_L 0x80
#define EAP_TLS_FLAG_M 0x40
#define EAP_TLS_FLAG_S 0x20

#define IKE_EAP_TLS_MAX_MSG   (64 * 1024)	/* one reassembled TLS flight */
#define IKE_EAP_TLS_MAX_TOTAL (256 * 1024)	/* TLS bytes in, whole handshake */
#define IKE_EAP_TLS_FRAG_LEN  1024		/* TLS data per fragment we send */
#define IKE_EAP_TLS_MSK_LEN   64

/* One parsed EAP-TLS Type-Data (points into the input). */
struct ike_eap_tls_pkt {
	uint8_t flags;
	bool has_len;		/* L: tls_len present */
	uint32_t tls_len;
	const uint8_t *data;
	size_t len;
};

/*
 * Validate and parse EAP-TLS Type-Data td[0..len) (after the EAP Type
 * octet).  Checks: at least the flags octet; L needs 4 more octets and a
 * TLS Message Length of 1..IKE_EAP_TLS_MAX_MSG not below the data carried;
 * S never with data in a Response (the caller checks the direction).
 * Reserved flag bits are ignored (RFC 5216 3.1: "set to zero on
 * transmission and ignored on reception").  0 or -EBADMSG / -E2BIG.
 */
int ike_eap_tls_parse(const uint8_t *td, size_t len, struct ike_eap_tls_pkt *p);

/*
 * An SSL_CTX for EAP-TLS.  server: our certificate (certs[0], DER; the
 * others are sent as the chain) and key; a client certificate is required
 * and verified against trust (its CAs are also announced in the
 * CertificateRequest).  client: our certificate and key; the server's
 * certificate is verified against trust.  TLS 1.2 or 1.3 (the caller may
 * lower the maximum with SSL_CTX_set_max_proto_version), no session
 * tickets, no session cache, no renegotiation.  The store is referenced,
 * not copied.  Returns 0, -EINVAL (missing/unusable key or certificate),
 * -ENOMEM.
 */
int ike_eap_tls_ctx_new(bool server, EVP_PKEY *key,
			const struct ike_chunk *certs, size_t n_certs,
			X509_STORE *trust, SSL_CTX **out);

struct ike_eap_tls;

/* One EAP-TLS conversation on ctx; now as in struct ike_exch_cfg. */
int ike_eap_tls_new(SSL_CTX *ctx, bool server, int64_t now,
		    struct ike_eap_tls **out);
void ike_eap_tls_free(struct ike_eap_tls *t);	/* NULL is fine */

/* Server: the Type-Data of the EAP-TLS Start request (S flag only). */
int ike_eap_tls_start(struct ike_eap_tls *t, struct ike_buf *out);

/*
 * Consume the peer's EAP-TLS Type-Data td[0..len) and write the Type-Data
 * of our next packet to out (reset first).
 *   server: 0 = send out as the next EAP-Request; 1 = the handshake is
 *           complete and the peer acknowledged our last flight: send
 *           EAP-Success (out empty; ike_eap_tls_msk() works).
 *   client: 0 = send out as the EAP-Response (possibly an empty
 *           acknowledgement); ike_eap_tls_done() tells when EAP-Success may
 *           be accepted.
 * Negative errno on failure (-EBADMSG framing / TLS protocol, -E2BIG over a
 * limit, -EACCES certificate refused); ike_eap_tls_fail() gives the reason
 * as enum ike_auth_fail.
 */
int ike_eap_tls_step(struct ike_eap_tls *t, const uint8_t *td, size_t len,
		     struct ike_buf *out);

/* Handshake complete (and, for TLS 1.3, commitment message sent / seen). */
bool ike_eap_tls_done(const struct ike_eap_tls *t);
/* Negotiated TLS version (TLS1_2_VERSION, TLS1_3_VERSION) or 0. */
int ike_eap_tls_version(const struct ike_eap_tls *t);
/* enum ike_auth_fail explaining the last failure (IKE_AF_NONE if none) */
uint8_t ike_eap_tls_fail(const struct ike_eap_tls *t);
/* The 64-byte MSK (see the top of this file) into *msk (allocated). */
int ike_eap_tls_msk(const struct ike_eap_tls *t, struct ike_key *msk);
/* The peer's certificate (after the handshake, or when it failed
 * verification) into *info; -ENOENT when the peer sent none. */
int ike_eap_tls_peer_cert(const struct ike_eap_tls *t,
			  struct ike_peer_cert_info *info);

/* Fill *info from a certificate (subject, issuer as RFC 2253 text, serial
 * in hex, SHA-256 of the DER).  0 or -ENOMEM / -EINVAL. */
int ike_cert_info_fill(X509 *x, struct ike_peer_cert_info *info);
/* enum ike_auth_fail for an X509_V_ERR_* verification result */
uint8_t ike_cert_verify_fail(long x509_err);

#endif
