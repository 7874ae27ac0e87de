/*
 * ike_eap_tls.c — EAP-TLS (RFC 5216, RFC 9190) over OpenSSL memory BIOs:
 * fragmentation and reassembly of TLS flights (L/M/S flags, RFC 5216
 * 3.1), the handshake driven one EAP packet at a time, client certificate
 * verification results mapped to enum ike_auth_fail, and the MSK.
 * See ike_eap_tls.h for the contract.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include "ike_eap_tls.h"

struct ike_eap_tls {
	SSL *ssl;
	BIO *rbio, *wbio;	/* owned by ssl */
	bool server;
	bool started;		/* server: Start sent / client: Start seen */
	bool hs_done;		/* SSL handshake complete */
	bool commit;		/* TLS 1.3 commitment sent (server) / read (client) */
	bool acked;		/* server: peer acknowledged our final flight */
	uint8_t fail;		/* enum ike_auth_fail */
	/* outgoing flight and how much of it was sent */
	uint8_t *out;
	size_t out_len, out_off;
	/* incoming flight being reassembled */
	uint8_t *in;
	size_t in_len;
	uint32_t in_expect;	/* TLS Message Length of the first fragment, 0 */
	size_t in_total;	/* all TLS bytes received (limit) */
	X509 *peer;		/* the peer's end-entity certificate, kept by
				 * the verify callback also when it fails */
};

/* See ike_eap_tls.h. */
int ike_eap_tls_parse(const uint8_t *td, size_t len, struct ike_eap_tls_pkt *p)
{
	size_t off = 1;

	memset(p, 0, sizeof(*p));
	if (len < 1)
		return -EBADMSG;
	p->flags = td[0];
	if (p->flags & EAP_TLS_FLAG_L) {
		if (len - off < 4)
			return -EBADMSG;
		p->has_len = true;
		p->tls_len = ike_get_u32(td + off);
		off += 4;
		if (p->tls_len == 0)
			return -EBADMSG;
		if (p->tls_len > IKE_EAP_TLS_MAX_MSG)
			return -E2BIG;
	}
	p->data = td + off;
	p->len = len - off;
	if (p->has_len && p->len > p->tls_len)
		return -EBADMSG;
	if ((p->flags & EAP_TLS_FLAG_M) && p->len == 0)
		return -EBADMSG;	/* a fragment carries data */
	return 0;
}

/* ---- certificates ------------------------------------------------------------ */

/* See ike_eap_tls.h. */
uint8_t ike_cert_verify_fail(long e)
{
	switch (e) {
	case X509_V_OK:
		return IKE_AF_NONE;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return IKE_AF_CERT_EXPIRED;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		return IKE_AF_CERT_UNKNOWN_CA;
	case X509_V_ERR_CERT_REVOKED:
		return IKE_AF_CERT_REVOKED;
	default:
		return IKE_AF_CERT_INVALID;
	}
}

/* RFC 2253 text of name into buf (NUL-terminated, truncated). */
static int name_text(const X509_NAME *name, char *buf, size_t cap)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	long n;

	if (!b)
		return -ENOMEM;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) < 0) {
		BIO_free(b);
		return -EINVAL;
	}
	n = BIO_get_mem_data(b, &p);
	if (n < 0)
		n = 0;
	if ((size_t)n >= cap)
		n = (long)cap - 1;
	if (n > 0)
		memcpy(buf, p, (size_t)n);
	buf[n] = 0;
	BIO_free(b);
	return 0;
}

/* See ike_eap_tls.h. */
int ike_cert_info_fill(X509 *x, struct ike_peer_cert_info *info)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
	BIGNUM *bn = NULL;
	char *hex = NULL;
	unsigned int mdlen = 0;
	int r = 0;

	memset(info, 0, sizeof(*info));
	if (!x)
		return -EINVAL;
	if (name_text(X509_get_subject_name(x), info->subject,
		      sizeof(info->subject)) < 0 ||
	    name_text(X509_get_issuer_name(x), info->issuer,
		      sizeof(info->issuer)) < 0)
		r = -ENOMEM;
	bn = sn ? ASN1_INTEGER_to_BN(sn, NULL) : NULL;
	hex = bn ? BN_bn2hex(bn) : NULL;
	if (hex) {
		size_t n = strlen(hex);

		if (n > IKE_EXCH_MAX_SERIAL)
			n = IKE_EXCH_MAX_SERIAL;
		memcpy(info->serial, hex, n);
		info->serial[n] = 0;
	} else {
		r = -ENOMEM;
	}
	if (!X509_digest(x, EVP_sha256(), info->sha256, &mdlen) || mdlen != 32)
		r = -ENOMEM;
	OPENSSL_free(hex);
	BN_free(bn);
	info->present = r == 0;
	return r;
}

/* ---- context ------------------------------------------------------------------- */

/* Parse one whole DER certificate. */
static X509 *der_cert(const struct ike_chunk *c)
{
	const unsigned char *p = c->ptr;
	X509 *x;

	if (!c->ptr || c->len == 0 || c->len > LONG_MAX)
		return NULL;
	x = d2i_X509(NULL, &p, (long)c->len);
	if (x && p != c->ptr + c->len) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* See ike_eap_tls.h. */
int ike_eap_tls_ctx_new(bool server, EVP_PKEY *key,
			const struct ike_chunk *certs, size_t n_certs,
			X509_STORE *trust, SSL_CTX **out)
{
	SSL_CTX *ctx;
	X509 *x;
	int r = -EINVAL;

	*out = NULL;
	if (!key || !certs || n_certs == 0 || !trust)
		return -EINVAL;
	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (!ctx)
		return -ENOMEM;
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION))
		goto fail;
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
			    SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (!SSL_CTX_set_num_tickets(ctx, 0))
		goto fail;
	x = der_cert(&certs[0]);
	if (!x)
		goto fail;
	if (SSL_CTX_use_certificate(ctx, x) != 1) {
		X509_free(x);
		goto fail;
	}
	X509_free(x);
	for (size_t i = 1; i < n_certs; i++) {
		x = der_cert(&certs[i]);
		if (!x || SSL_CTX_add1_chain_cert(ctx, x) != 1) {
			X509_free(x);
			goto fail;
		}
		X509_free(x);
	}
	if (SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		goto fail;
	if (!SSL_CTX_set1_verify_cert_store(ctx, trust))
		goto fail;
	if (server) {
		STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(trust);

		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
				   SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
		/* RFC 5246 7.4.4 certificate_authorities: our client CAs */
		for (int i = 0; objs && i < sk_X509_OBJECT_num(objs); i++) {
			X509 *ca = X509_OBJECT_get0_X509(
				sk_X509_OBJECT_value(objs, i));

			if (ca)
				SSL_CTX_add_client_CA(ctx, ca);
		}
	} else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	ERR_clear_error();
	*out = ctx;
	return 0;
fail:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return r;
}

/* ---- conversation ---------------------------------------------------------------- */

/* OpenSSL verify callback: keep the leaf certificate for the logs (also
 * when verification fails), leave the verdict unchanged. */
static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(ctx,
					      SSL_get_ex_data_X509_STORE_CTX_idx());
	struct ike_eap_tls *t = ssl ? SSL_get_app_data(ssl) : NULL;
	X509 *leaf = X509_STORE_CTX_get0_cert(ctx);

	if (t && !t->peer && leaf && X509_up_ref(leaf))
		t->peer = leaf;
	return ok;
}

/* See ike_eap_tls.h. */
int ike_eap_tls_new(SSL_CTX *ctx, bool server, int64_t now,
		    struct ike_eap_tls **out)
{
	struct ike_eap_tls *t;

	*out = NULL;
	if (!ctx)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->server = server;
	t->ssl = SSL_new(ctx);
	t->rbio = BIO_new(BIO_s_mem());
	t->wbio = BIO_new(BIO_s_mem());
	if (!t->ssl || !t->rbio || !t->wbio) {
		BIO_free(t->rbio);
		BIO_free(t->wbio);
		SSL_free(t->ssl);
		free(t);
		return -ENOMEM;
	}
	/* an empty read BIO means "wait for more", not end of stream */
	BIO_set_mem_eof_return(t->rbio, -1);
	BIO_set_mem_eof_return(t->wbio, -1);
	SSL_set_bio(t->ssl, t->rbio, t->wbio);
	SSL_set_app_data(t->ssl, t);
	SSL_set_verify(t->ssl, SSL_get_verify_mode(t->ssl), verify_cb);
	if (now)
		X509_VERIFY_PARAM_set_time(SSL_get0_param(t->ssl), (time_t)now);
	else
		X509_VERIFY_PARAM_set_flags(SSL_get0_param(t->ssl),
					    X509_V_FLAG_NO_CHECK_TIME);
	if (server)
		SSL_set_accept_state(t->ssl);
	else
		SSL_set_connect_state(t->ssl);
	*out = t;
	return 0;
}

/* Wipe and free a byte buffer. */
static void bytes_free(uint8_t **p, size_t len)
{
	if (*p) {
		sodium_memzero(*p, len);
		free(*p);
	}
	*p = NULL;
}

/* See ike_eap_tls.h. */
void ike_eap_tls_free(struct ike_eap_tls *t)
{
	if (!t)
		return;
	SSL_free(t->ssl);
	X509_free(t->peer);
	bytes_free(&t->out, t->out_len);
	bytes_free(&t->in, t->in_len);
	free(t);
	ERR_clear_error();
}

/* See ike_eap_tls.h. */
int ike_eap_tls_start(struct ike_eap_tls *t, struct ike_buf *out)
{
	if (!t->server || t->started)
		return -EINVAL;
	t->started = true;
	ike_buf_reset(out);
	ike_buf_put_u8(out, EAP_TLS_FLAG_S);
	return ike_buf_error(out);
}

/* Record a failure reason (the first one wins) and return err. */
static int tls_fail(struct ike_eap_tls *t, uint8_t why, int err)
{
	if (!t->fail)
		t->fail = why;
	ERR_clear_error();
	return err;
}

/* Next fragment of the pending outgoing flight (RFC 5216 3.1). */
static int put_fragment(struct ike_eap_tls *t, struct ike_buf *out)
{
	size_t left = t->out_len - t->out_off;
	size_t n = left > IKE_EAP_TLS_FRAG_LEN ? IKE_EAP_TLS_FRAG_LEN : left;
	uint8_t flags = 0;

	if (n < left)
		flags |= EAP_TLS_FLAG_M;
	/* L on the first fragment of a fragmented flight */
	if (t->out_off == 0 && n < left)
		flags |= EAP_TLS_FLAG_L;
	ike_buf_put_u8(out, flags);
	if (flags & EAP_TLS_FLAG_L)
		ike_buf_put_u32(out, (uint32_t)t->out_len);
	ike_buf_put(out, t->out + t->out_off, n);
	t->out_off += n;
	if (t->out_off == t->out_len) {
		bytes_free(&t->out, t->out_len);
		t->out_len = t->out_off = 0;
	}
	return ike_buf_error(out);
}

/* Move what SSL wrote into the outgoing flight buffer. */
static int collect_output(struct ike_eap_tls *t)
{
	size_t pend = BIO_ctrl_pending(t->wbio);
	uint8_t *p;
	int n;

	if (pend == 0)
		return 0;
	if (pend > IKE_EAP_TLS_MAX_MSG || t->out)
		return tls_fail(t, IKE_AF_PROTOCOL, -E2BIG);
	p = malloc(pend);
	if (!p)
		return tls_fail(t, IKE_AF_INTERNAL, -ENOMEM);
	n = BIO_read(t->wbio, p, (int)pend);
	if (n < 0 || (size_t)n != pend) {
		free(p);
		return tls_fail(t, IKE_AF_INTERNAL, -EIO);
	}
	t->out = p;
	t->out_len = pend;
	t->out_off = 0;
	return 0;
}

/* Why a handshake failed: certificate verification result or protocol. */
static uint8_t hs_fail_reason(const struct ike_eap_tls *t)
{
	long v = SSL_get_verify_result(t->ssl);
	X509 *peer = SSL_get0_peer_certificate(t->ssl);

	if (v != X509_V_OK)
		return ike_cert_verify_fail(v);
	if (t->server && !peer && SSL_get_state(t->ssl) != TLS_ST_BEFORE)
		return IKE_AF_CERT_INVALID;
	return IKE_AF_PROTOCOL;
}

/* Feed the reassembled flight to TLS and run the handshake / read the
 * TLS 1.3 commitment. */
static int drive_tls(struct ike_eap_tls *t)
{
	int r;

	if (t->in_len > INT_MAX ||
	    BIO_write(t->rbio, t->in, (int)t->in_len) != (int)t->in_len)
		return tls_fail(t, IKE_AF_INTERNAL, -ENOMEM);
	bytes_free(&t->in, t->in_len);
	t->in_len = 0;
	t->in_expect = 0;
	if (!t->hs_done) {
		r = SSL_do_handshake(t->ssl);
		if (r == 1) {
			t->hs_done = true;
		} else if (SSL_get_error(t->ssl, r) != SSL_ERROR_WANT_READ) {
			uint8_t why = hs_fail_reason(t);

			return tls_fail(t, why, why == IKE_AF_PROTOCOL ?
					-EBADMSG : -EACCES);
		}
	}
	if (t->hs_done && SSL_version(t->ssl) >= TLS1_3_VERSION && !t->commit) {
		if (t->server) {
			/* RFC 9190 2.1.1: "a protected success indication"
			 * of one octet 0x00 */
			static const uint8_t zero = 0;

			if (SSL_write(t->ssl, &zero, 1) != 1)
				return tls_fail(t, IKE_AF_PROTOCOL, -EBADMSG);
			t->commit = true;
		} else if (BIO_ctrl_pending(t->rbio) > 0) {
			uint8_t b[2];
			int n = SSL_read(t->ssl, b, sizeof(b));

			if (n == 1 && b[0] == 0)
				t->commit = true;
			else if (n > 0 || SSL_get_error(t->ssl, n) !=
				 SSL_ERROR_WANT_READ)
				return tls_fail(t, IKE_AF_PROTOCOL, -EBADMSG);
		}
	}
	if (t->hs_done && BIO_ctrl_pending(t->rbio) > 0)
		return tls_fail(t, IKE_AF_PROTOCOL, -EBADMSG);	/* trailing data */
	return collect_output(t);
}

/* Append received TLS data to the flight being reassembled. */
static int reassemble(struct ike_eap_tls *t, const struct ike_eap_tls_pkt *p)
{
	uint8_t *n;

	if (p->has_len) {
		if (t->in_len == 0)
			t->in_expect = p->tls_len;
		else if (p->tls_len != t->in_expect)
			return tls_fail(t, IKE_AF_PROTOCOL, -EBADMSG);
	}
	if (p->len == 0)
		return 0;
	if (p->len > IKE_EAP_TLS_MAX_MSG - t->in_len ||
	    p->len > IKE_EAP_TLS_MAX_TOTAL - t->in_total)
		return tls_fail(t, IKE_AF_PROTOCOL, -E2BIG);
	if (t->in_expect && t->in_len + p->len > t->in_expect)
		return tls_fail(t, IKE_AF_PROTOCOL, -EBADMSG);
	n = malloc(t->in_len + p->len);
	if (!n)
		return tls_fail(t, IKE_AF_INTERNAL, -ENOMEM);
	if (t->in_len)
		memcpy(n, t->in, t->in_len);
	memcpy(n + t->in_len, p->data, p->len);
	bytes_free(&t->in, t->in_len);
	t->in = n;
	t->in_len += p->len;
	t->in_total += p->len;
	return 0;
}

/* See ike_eap_tls.h. */
int ike_eap_tls_step(struct ike_eap_tls *t, const uint8_t *td, size_t len,
		     struct ike_buf *out)
{
	struct ike_eap_tls_pkt p;
	int r;

	ike_buf_reset(out);
	if (t->fail)
		return -EINVAL;
	r = ike_eap_tls_parse(td, len, &p);
	if (r < 0)
		return tls_fail(t, IKE_AF_PROTOCOL, r);
	if (t->server) {
		/* the peer never sends Start; nothing before our Start */
		if ((p.flags & EAP_TLS_FLAG_S) || !t->started || t->acked)
			return tls_fail(t, IKE_AF_PROTOCOL, -EBADMSG);
	} else if (p.flags & EAP_TLS_FLAG_S) {
		/* Start: exactly once, first, without data */
		if (t->started || p.len || p.has_len)
			return tls_fail(t, IKE_AF_PROTOCOL, -EBADMSG);
		t->started = true;
		r = drive_tls(t);	/* ClientHello */
		if (r < 0)
			return r;
		if (!t->out_len)
			return tls_fail(t, IKE_AF_PROTOCOL, -EBADMSG);
		return put_fragment(t, out);
	} else if (!t->started) {
		return tls_fail(t, IKE_AF_PROTOCOL, -EBADMSG);
	}

	/* we are sending a fragmented flight: this must be an ACK */
	if (t->out_len) {
		if (p.len || p.has_len || (p.flags & EAP_TLS_FLAG_M))
			return tls_fail(t, IKE_AF_PROTOCOL, -EBADMSG);
		return put_fragment(t, out);
	}
	r = reassemble(t, &p);
	if (r < 0)
		return r;
	if (p.flags & EAP_TLS_FLAG_M) {
		ike_buf_put_u8(out, 0);	/* ACK: flags 0, no data */
		return ike_buf_error(out);
	}
	if (t->in_expect && t->in_len != t->in_expect)
		return tls_fail(t, IKE_AF_PROTOCOL, -EBADMSG);
	if (t->in_len == 0) {
		/* an empty response acknowledges our final flight */
		if (t->server && t->hs_done &&
		    (t->commit || SSL_version(t->ssl) < TLS1_3_VERSION)) {
			t->acked = true;
			return 1;
		}
		return tls_fail(t, IKE_AF_PROTOCOL, -EBADMSG);
	}
	if (t->server && t->hs_done)
		return tls_fail(t, IKE_AF_PROTOCOL, -EBADMSG);
	r = drive_tls(t);
	if (r < 0)
		return r;
	if (t->out_len)
		return put_fragment(t, out);
	if (t->server)	/* a complete flight that asks for nothing */
		return tls_fail(t, IKE_AF_PROTOCOL, -EBADMSG);
	ike_buf_put_u8(out, 0);	/* client: acknowledge the final flight */
	return ike_buf_error(out);
}

/* See ike_eap_tls.h. */
bool ike_eap_tls_done(const struct ike_eap_tls *t)
{
	if (!t || !t->hs_done || t->fail || t->out_len)
		return false;
	if (SSL_version(t->ssl) >= TLS1_3_VERSION && !t->commit)
		return false;
	return t->server ? t->acked : true;
}

/* See ike_eap_tls.h. */
int ike_eap_tls_version(const struct ike_eap_tls *t)
{
	return t && t->hs_done ? SSL_version(t->ssl) : 0;
}

/* See ike_eap_tls.h. */
uint8_t ike_eap_tls_fail(const struct ike_eap_tls *t)
{
	return t ? t->fail : IKE_AF_INTERNAL;
}

/* See ike_eap_tls.h. */
int ike_eap_tls_msk(const struct ike_eap_tls *t, struct ike_key *msk)
{
	static const char l12[] = "client EAP encryption";
	static const char l13[] = "EXPORTER_EAP_TLS_Key_Material";
	static const uint8_t type_code = EAP_TYPE_TLS;	/* 0x0D */
	uint8_t km[128];
	bool v13;
	int r;

	if (!t || !t->hs_done)
		return -EINVAL;
	v13 = SSL_version(t->ssl) >= TLS1_3_VERSION;
	/* RFC 5216 2.3 (via RFC 5705 without context) / RFC 9190 2.3 */
	if (v13)
		r = SSL_export_keying_material(t->ssl, km, sizeof(km), l13,
					       sizeof(l13) - 1, &type_code, 1, 1);
	else
		r = SSL_export_keying_material(t->ssl, km, sizeof(km), l12,
					       sizeof(l12) - 1, NULL, 0, 0);
	if (r != 1) {
		sodium_memzero(km, sizeof(km));
		ERR_clear_error();
		return -EINVAL;
	}
	r = ike_key_dup(msk, km, IKE_EAP_TLS_MSK_LEN);
	sodium_memzero(km, sizeof(km));
	return r;
}

/* See ike_eap_tls.h. */
int ike_eap_tls_peer_cert(const struct ike_eap_tls *t,
			  struct ike_peer_cert_info *info)
{
	X509 *x = t ? SSL_get0_peer_certificate(t->ssl) : NULL;

	memset(info, 0, sizeof(*info));
	if (!x && t)
		x = t->peer;
	if (!x)
		return -ENOENT;
	return ike_cert_info_fill(x, info);
}
