/*
 * fuzz_eap_tls.c — the EAP-TLS framing parser and conversation engine of
 * libike/ike_eap_tls.h (RFC 5216 3.1 L/M/S flags, fragment reassembly,
 * RFC 9190 commitment) fed with peer-controlled packets.
 *
 * Input: byte 0 % 3 selects the case, the rest is peer data:
 *   0  ike_eap_tls_parse() of the whole rest
 *   1  server: after our Start, the rest is a sequence of packets, each
 *      prefixed by a 2-byte big-endian length, given to ike_eap_tls_step()
 *      as the peer's responses (at most 64 packets)
 *   2  client: the same as the server's requests (the first usually Start)
 * The server and client contexts use a P-256 certificate generated once.
 *
 * Oracles (besides ASan/UBSan/LSan):
 *  - parse: only -EBADMSG / -E2BIG; data lies inside the input; with L the
 *    TLS Message Length is 1..IKE_EAP_TLS_MAX_MSG and not below the data;
 *  - step: only 0 / 1 (server) or a negative errno; once a step failed every
 *    later step fails and ike_eap_tls_fail() names a reason; each packet we
 *    produce parses and carries at most IKE_EAP_TLS_FRAG_LEN bytes of TLS
 *    data; the MSK exists only once the handshake is done.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "ike_eap_tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static SSL_CTX *srv, *cli;

/* One self-signed P-256 certificate as both our identity and trust. */
static void setup(void)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	X509_STORE *st = X509_STORE_new();
	uint8_t *der = NULL;
	struct ike_chunk c;
	int len;

	if (!key || !x || !st)
		abort();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"fuzz", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	if (!X509_sign(x, key, EVP_sha256()) || !X509_STORE_add_cert(st, x))
		abort();
	len = i2d_X509(x, &der);
	if (len <= 0)
		abort();
	c.ptr = der;
	c.len = (size_t)len;
	if (ike_eap_tls_ctx_new(true, key, &c, 1, st, &srv) ||
	    ike_eap_tls_ctx_new(false, key, &c, 1, st, &cli))
		abort();
	OPENSSL_free(der);
	X509_free(x);
	X509_STORE_free(st);	/* the contexts hold references */
	EVP_PKEY_free(key);
}

static void check_parse(const uint8_t *d, size_t n)
{
	struct ike_eap_tls_pkt p;
	int r = ike_eap_tls_parse(d, n, &p);

	if (r != 0 && r != -EBADMSG && r != -E2BIG)
		abort();
	if (r != 0)
		return;
	if (p.data < d || p.data + p.len > d + n)
		abort();
	if (p.has_len && (p.tls_len == 0 || p.tls_len > IKE_EAP_TLS_MAX_MSG ||
			  p.len > p.tls_len))
		abort();
}

/* What we send must itself be valid EAP-TLS framing. */
static void check_ours(const struct ike_buf *b)
{
	struct ike_eap_tls_pkt p;

	if (b->len == 0)
		return;
	if (ike_eap_tls_parse(b->data, b->len, &p) != 0 ||
	    p.len > IKE_EAP_TLS_FRAG_LEN)
		abort();
}

static void converse(bool server, const uint8_t *d, size_t n)
{
	struct ike_eap_tls *t = NULL;
	struct ike_buf out;
	struct ike_key msk = { 0 };
	bool failed = false;
	size_t off = 0;

	ike_buf_init(&out);
	if (ike_eap_tls_new(server ? srv : cli, server, 0, &t) < 0)
		abort();
	if (server && ike_eap_tls_start(t, &out) != 0)
		abort();
	for (int k = 0; k < 64 && n - off >= 2; k++) {
		size_t len = (size_t)d[off] << 8 | d[off + 1];
		int r;

		off += 2;
		if (len > n - off)
			len = n - off;
		r = ike_eap_tls_step(t, d + off, len, &out);
		off += len;
		if (failed && r >= 0)
			abort();	/* a failed conversation stays failed */
		if (r < 0) {
			if (!ike_eap_tls_fail(t))
				abort();
			failed = true;
			continue;
		}
		if (r > 1 || (r == 1 && !server))
			abort();
		check_ours(&out);
	}
	if (ike_eap_tls_msk(t, &msk) == 0) {
		if (!ike_eap_tls_version(t) || msk.len != IKE_EAP_TLS_MSK_LEN)
			abort();
	}
	ike_key_free(&msk);
	ike_eap_tls_free(t);
	ike_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!srv) {
		if (ike_init() < 0)
			abort();
		setup();
	}
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		check_parse(data + 1, size - 1);
		break;
	case 1:
		converse(true, data + 1, size - 1);
		break;
	default:
		converse(false, data + 1, size - 1);
		break;
	}
	return 0;
}
