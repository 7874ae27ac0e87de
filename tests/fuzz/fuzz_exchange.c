/*
 * fuzz_exchange.c — the exchange engine (libike/ike_exchange.h) driven with
 * attacker-controlled messages, both behind and in front of the integrity
 * check (RFC 7296 2.21: whatever arrives, the engine answers or drops it; it
 * must never crash, leak or read out of bounds).
 *
 * Input: byte 0 selects the mode (low two bits) and some options; the rest
 * depends on the mode.
 *
 *   mode 0  raw datagram -> ike_sa_handle_request() of a fresh responder
 *           (IKE_SA_INIT: proposal selection, KE, nonces, notifies, NAT
 *           detection).  Byte 0 bit 2: responder expects certificates
 *           (sends CERTREQ); bit 3: NAT detection enabled (endpoints set).
 *   mode 2  raw datagram -> ike_sa_handle_response() of an initiator that
 *           has sent IKE_SA_INIT.  Bit 2: suite; bit 3: the initiator signs
 *           with a certificate; bit 4: NAT detection.  A COOKIE /
 *           INVALID_KE_PAYLOAD answer (-EAGAIN) is followed by a new
 *           IKE_SA_INIT request, an accepted one by the IKE_AUTH request.
 *   mode 1  sealed request to the responder, behind the integrity check.
 *   mode 3  sealed response to the initiator, behind the integrity check.
 *
 * Modes 1 and 3 take, after byte 0:
 *   [0] set-up   bit 0  suite: 0 = aes128gcm16-prfsha256-x25519,
 *                                  1 = aes128-sha256-prfsha256-ecp256
 *                bit 1  the initiator authenticates with an Ed25519
 *                       certificate (the responder verifies the chain)
 *                bits 2-4  mode 1: bit 2 set = the SA is ESTABLISHED
 *                          (IKE_AUTH done; CREATE_CHILD_SA and
 *                          INFORMATIONAL are accepted), clear = INIT_DONE
 *                          (IKE_AUTH is next); bit 2 clear and bit 3 set
 *                          = EAP in progress (RFC 7296 2.16): an
 *                          EAP-MSCHAPv2 client's first IKE_AUTH is
 *                          answered (the responder's AUTH and MSCHAPv2
 *                          Challenge are out), so the next EAP round and
 *                          the INFORMATIONAL a client may give up with
 *                          (2.21.2) are reached; bit 1 (cert) is ignored
 *                          then.  Without MD4 (no OpenSSL legacy
 *                          provider) this falls back to INIT_DONE.
 *                          mode 3: the request the initiator has pending,
 *                          (value % 7): 0 IKE_AUTH, 1 new CHILD SA,
 *                          2 CHILD rekey with PFS, 3 IKE SA rekey,
 *                          4 Delete CHILD, 5 Delete IKE, 6 liveness
 *                bit 5  rewrite the shared-key AUTH data of the inner
 *                       chain to the value the receiver expects (2.15), so
 *                       that mutated chains still pass authentication
 *   [1] exchange type
 *   [2] flags, XORed into the correct flags (0 = correct)
 *   [3..6] message ID, XORed into the expected one (0 = expected)
 *   [7] first inner payload type (Next Payload of the SK header)
 *   [8..] the inner payload chain, sealed by the harness with the keys of
 *         the sending direction (ike_sk_seal: SK_ei/SK_ai for requests to
 *         the responder, SK_er/SK_ar for responses to the initiator).
 *
 * State between inputs: none.  Configurations (proposals, identities, PSK,
 * the embedded test CA and certificate) are built once; every input gets
 * fresh SAs: a new initiator/responder pair is run through IKE_SA_INIT (and
 * IKE_AUTH when needed) for each input.  That costs two X25519 or P-256
 * key pairs and the key schedule per input (well above 200 exec/s under
 * ASan) and, unlike reusing one SA after IKE_SA_INIT, cannot leak state
 * between inputs (each accepted request moves the message ID, the response
 * cache and the SA state).  To make inputs reproducible the harness
 * installs a deterministic libsodium randombytes implementation, reseeded
 * with the same value before every input: SPIs, nonces, X25519 keys and IVs
 * are then identical on every run, so the seeds captured by the generator
 * below (real IKE_AUTH / CREATE_CHILD_SA / INFORMATIONAL chains with valid
 * AUTH values) stay valid.  P-256 keys come from OpenSSL and differ between
 * runs; set-up bit 5 recomputes AUTH for that suite.
 *
 * Every result must obey the handler's contract: handle_request returns 1
 * or a negative errno, a request answered once is answered again with the
 * identical cached response (2.1), handle_response returns 0 or a negative
 * errno.
 *
 * Built with -DFUZZ_EXCHANGE_GEN_MAIN this file is instead the generator of
 * the seed corpus:  fuzz_exchange_gen DIR  (see gen_main at the end).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "ike_auth.h"
#include "ike_exchange.h"
#include "ike_frag.h"
#include "ike_mschap.h"
#include "ike_payload.h"

/* -DFUZZ_EXCHANGE_TRACE: print each handler's result (to check that the
 * seeds get where they should); silent otherwise. */
#ifdef FUZZ_EXCHANGE_TRACE
#define FZ_TRACE(...) fprintf(stderr, __VA_ARGS__)
#else
#define FZ_TRACE(...) do { } while (0)
#endif

/* ---- guarded memory on the ordinary heap (this executable only) ------------
 * libike keeps every key in sodium_malloc memory: guard pages and mlock,
 * about five system calls per key and 20 to 60 keys per input here, which
 * was most of the run time (under 100 exec/s).  These definitions interpose
 * libsodium's for this executable (libike is linked in statically, so its
 * calls bind here) and use the heap instead, which ASan checks byte for
 * byte (overflow either side, use after free, double free) and
 * LeakSanitizer tracks, neither of which it does for mmap'ed guarded pages.
 * Same contract as libsodium: new memory is filled with 0xdb, never zero;
 * freed memory is wiped.  -DFUZZ_EXCHANGE_REAL_SODIUM_MALLOC keeps
 * libsodium's allocator. */
#ifndef FUZZ_EXCHANGE_REAL_SODIUM_MALLOC
void *sodium_malloc(const size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p)
		memset(p, 0xdb, size ? size : 1);
	return p;
}

void sodium_free(void *ptr)
{
	if (!ptr)
		return;
	sodium_memzero(ptr, malloc_usable_size(ptr));
	free(ptr);
}
#endif

/* ---- deterministic randomness (test only) ---------------------------------- */

static uint64_t fz_rng_state;

/* splitmix64: statistically fine, reproducible; NOT for production. */
static uint64_t fz_rng_next(void)
{
	uint64_t z = (fz_rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* randombytes_implementation callbacks: name, 32-bit value, stir, uniform,
 * buffer fill, close. */
static const char *fz_rng_name(void)
{
	return "rag-fuzz-deterministic";
}

static uint32_t fz_rng_random(void)
{
	return (uint32_t)(fz_rng_next() >> 32);
}

static void fz_rng_stir(void)
{
}

static uint32_t fz_rng_uniform(const uint32_t upper)
{
	return upper < 2 ? 0 : fz_rng_random() % upper;
}

static void fz_rng_buf(void *const buf, const size_t size)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < size; i += 8) {
		uint64_t v = fz_rng_next();
		size_t n = size - i < 8 ? size - i : 8;

		memcpy(p + i, &v, n);
	}
}

static int fz_rng_close(void)
{
	return 0;
}

static randombytes_implementation fz_rng = {
	fz_rng_name, fz_rng_random, fz_rng_stir, fz_rng_uniform, fz_rng_buf,
	fz_rng_close,
};

/* Start every input from the same random stream. */
static void fz_reseed(void)
{
	fz_rng_state = 0x7261672d66757a7aULL;	/* "rag-fuzz" */
}

/* ---- fixed test credentials ---------------------------------------------------
 * A P-256 CA and an Ed25519 end-entity certificate for "client.example"
 * signed by it (openssl req/x509, 100 years).  Test-only keys, generated
 * for this harness; never used anywhere else. */
static const char fz_ca_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBkjCCATmgAwIBAgIUEpcJfhDWczATEHg+IQmUe26vXcwwCgYIKoZIzj0EAwIw\n"
	"FjEUMBIGA1UEAwwLcmFnIGZ1enogQ0EwIBcNMjYxMTIzMDEwMDEyWhgPMjEyNjEw\n"
	"MzAwMTAwMTJaMBYxFDASBgNVBAMMC3JhZyBmdXp6IENBMFkwEwYHKoZIzj0CAQYI\n"
	"KoZIzj0DAQcDQgAECi5uRoOzFjs7T7kGE6wRzhGMBWZ5LV8Ghaf+juZIFLuVozGo\n"
	"Kp5ljfAtnfX9JQL21pUf0NSHreyoYNUeVl6Gv6NjMGEwHQYDVR0OBBYEFHdrFe5f\n"
	"aB+uHqxXMZrR31LFk2zfMB8GA1UdIwQYMBaAFHdrFe5faB+uHqxXMZrR31LFk2zf\n"
	"MA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgEGMAoGCCqGSM49BAMCA0cA\n"
	"MEQCIGg/aOO/M5S/eGw+w0HDX+VWKJfLvfc4am5tEh+0OE8qAiBXFDaVdlm81iTE\n"
	"stvIySHCwmtzQPuPg2J+tEGQ2CsrQg==\n"
	"-----END CERTIFICATE-----\n";

static const char fz_ee_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBTDCB86ADAgECAgECMAoGCCqGSM49BAMCMBYxFDASBgNVBAMMC3JhZyBmdXp6\n"
	"IENBMCAXDTI2MTEyMzAxMDAxMloYDzIxMjYxMDMwMDEwMDEyWjAYMRYwFAYDVQQD\n"
	"DA1yYWcgZnV6eiBwZWVyMCowBQYDK2VwAyEAIUhWnR16rH1xrpbe5OCdKFEfr00a\n"
	"VGbJ0HGpbVbUZa+jXTBbMBkGA1UdEQQSMBCCDmNsaWVudC5leGFtcGxlMB0GA1Ud\n"
	"DgQWBBQwqqkzcAarNyJhxy3CSgLOIMLktzAfBgNVHSMEGDAWgBR3axXuX2gfrh6s\n"
	"VzGa0d9SxZNs3zAKBggqhkjOPQQDAgNIADBFAiEAkQcNfZKO5ceBxnZj8yMuza0X\n"
	"JOAICdmuBGpBcCRjxYoCID2uSSduo7ben4fRoImxRHfCjMfWZGBoKSDfdpuncvo3\n"
	"-----END CERTIFICATE-----\n";

static const char fz_ee_key_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MC4CAQAwBQYDK2VwBCIEIEsOlHCrp/xKwLhnkJwPsn+/CNb3PAYrIsjfbpJLHeB2\n"
	"-----END PRIVATE KEY-----\n";

static const uint8_t fz_id_i[] = "client.example";
static const uint8_t fz_id_r[] = "server.example";
static const uint8_t fz_psk[] = "a shared secret of the fuzz peers";
static const char fz_eap_user[] = "fuzz";
static const char fz_eap_pw[] = "the fuzz user's password";

/* ---- configurations (built once) ---------------------------------------------- */

struct fz_world {
	struct ike_proposal ike[2];	/* per suite */
	struct ike_proposal esp_i, esp_r;
	struct ike_cp_reply cp;
	struct ike_exch_cfg ci[2][2];	/* initiator [suite][cert] */
	struct ike_exch_cfg cr[2];	/* responder [expects cert] */
	/* EAP-MSCHAPv2 (mode 1 set-up bit 3): initiator per suite and the
	 * responder allowing it; mschap NULL when MD4/DES are unavailable */
	struct ike_mschap_ctx *mschap;
	struct ike_exch_cfg ci_eap[2], cr_eap;
	X509_STORE *trust;
	EVP_PKEY *ee_key;
	uint8_t *ee_der;
	struct ike_chunk ee_chunk;
	struct ike_endpoint ep_i, ep_r;
};

static struct fz_world *W;

static const uint16_t fz_suite_dh[2] = { IKE_DH_CURVE25519, IKE_DH_ECP256 };

/* Append transform (type, id, keylen) to p. */
static void fz_tr(struct ike_proposal *p, uint8_t type, uint16_t id,
		  uint16_t keylen)
{
	p->tr[p->n_transforms++] = (struct ike_transform){ type, id, keylen, false };
}

/* Read a PEM object from a string (certificate or private key); aborts. */
static X509 *fz_pem_cert(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	if (!x)
		abort();
	return x;
}

/* ike_ts_list holding 0.0.0.0/0, all protocols and ports. */
static void fz_ts_any(struct ike_ts_list *l)
{
	static const uint8_t zero[4];

	l->n = 1;
	if (ike_ts_from_cidr(&l->ts[0], IKE_TS_IPV4_ADDR_RANGE, zero, 0, 0, 0,
			     65535) < 0)
		abort();
}

/* Common part of one side's configuration (PSK both ways, any TS). */
static void fz_cfg_base(struct ike_exch_cfg *c, bool initiator)
{
	memset(c, 0, sizeof(*c));
	c->id_type = IKE_ID_FQDN;
	c->id = initiator ? fz_id_i : fz_id_r;
	c->id_len = sizeof(fz_id_i) - 1;
	c->auth = c->peer_auth = IKE_EXCH_AUTH_PSK;
	c->psk = c->peer_psk = fz_psk;
	c->psk_len = c->peer_psk_len = sizeof(fz_psk) - 1;
	c->child_props = initiator ? &W->esp_i : &W->esp_r;
	c->n_child_props = 1;
	fz_ts_any(&c->ts_local);
	fz_ts_any(&c->ts_remote);
}

/* The responder's user database for EAP: one user, fz_eap_user. */
static int fz_nt_hash(void *arg, const char *user, size_t len, struct ike_key *out)
{
	(void)arg;
	if (len != sizeof(fz_eap_user) - 1 || memcmp(user, fz_eap_user, len) != 0)
		return -ENOENT;
	return ike_mschap_nt_password_hash(W->mschap, fz_eap_pw,
					   sizeof(fz_eap_pw) - 1, out);
}

/* The EAP-MSCHAPv2 configurations (W->mschap set). */
static void fz_setup_eap(void)
{
	for (int s = 0; s < 2; s++) {
		struct ike_exch_cfg *ci = &W->ci_eap[s];

		*ci = W->ci[s][0];
		ci->auth = IKE_EXCH_AUTH_EAP;
		ci->psk = NULL;
		ci->psk_len = 0;
		ci->eap_method = EAP_TYPE_MSCHAPV2;
		ci->eap_identity = (const uint8_t *)fz_eap_user;
		ci->eap_identity_len = sizeof(fz_eap_user) - 1;
		ci->eap_password = fz_eap_pw;
		ci->eap_password_len = sizeof(fz_eap_pw) - 1;
		ci->mschap = W->mschap;
	}
	W->cr_eap = W->cr[0];
	W->cr_eap.methods = IKE_EXCH_M_EAP_MSCHAPV2 | IKE_EXCH_M_PSK;
	W->cr_eap.eap_nt_hash = fz_nt_hash;
	W->cr_eap.mschap = W->mschap;
}

/* Build the configurations, credentials and the RNG once.  Aborts on any
 * failure (they do not depend on the input). */
static void fz_setup(void)
{
	X509 *ca, *ee;
	BIO *b;
	int len;

	if (randombytes_set_implementation(&fz_rng) != 0 || ike_init() < 0)
		abort();
	W = calloc(1, sizeof(*W));
	if (!W)
		abort();
	/* IKE: suite 0 aes128gcm16-prfsha256-x25519,
	 *      suite 1 aes128-sha256-prfsha256-ecp256 */
	fz_tr(&W->ike[0], IKE_TR_ENCR, IKE_ENCR_AES_GCM_16, 128);
	fz_tr(&W->ike[0], IKE_TR_PRF, IKE_PRF_HMAC_SHA2_256, 0);
	fz_tr(&W->ike[0], IKE_TR_DH, IKE_DH_CURVE25519, 0);
	fz_tr(&W->ike[1], IKE_TR_ENCR, IKE_ENCR_AES_CBC, 128);
	fz_tr(&W->ike[1], IKE_TR_PRF, IKE_PRF_HMAC_SHA2_256, 0);
	fz_tr(&W->ike[1], IKE_TR_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0);
	fz_tr(&W->ike[1], IKE_TR_DH, IKE_DH_ECP256, 0);
	W->ike[0].protocol = W->ike[1].protocol = IKE_PROTO_IKE;
	/* ESP aes128gcm16, no ESN; the responder allows PFS with either
	 * group or none */
	W->esp_i.protocol = IKE_PROTO_ESP;
	fz_tr(&W->esp_i, IKE_TR_ENCR, IKE_ENCR_AES_GCM_16, 128);
	fz_tr(&W->esp_i, IKE_TR_ESN, IKE_ESN_NO, 0);
	W->esp_r = W->esp_i;
	fz_tr(&W->esp_r, IKE_TR_DH, IKE_DH_CURVE25519, 0);
	fz_tr(&W->esp_r, IKE_TR_DH, IKE_DH_ECP256, 0);
	fz_tr(&W->esp_r, IKE_TR_DH, IKE_DH_NONE, 0);
	/* CP reply: 10.9.0.2, DNS 10.9.0.1 */
	W->cp.has_ip4 = true;
	memcpy(W->cp.ip4, "\x0a\x09\x00\x02", 4);
	W->cp.n_dns4 = 1;
	memcpy(W->cp.dns4[0], "\x0a\x09\x00\x01", 4);

	ca = fz_pem_cert(fz_ca_pem);
	ee = fz_pem_cert(fz_ee_pem);
	W->trust = X509_STORE_new();
	if (!W->trust || !X509_STORE_add_cert(W->trust, ca))
		abort();
	len = i2d_X509(ee, &W->ee_der);
	if (len <= 0)
		abort();
	W->ee_chunk.ptr = W->ee_der;
	W->ee_chunk.len = (size_t)len;
	X509_free(ca);
	X509_free(ee);
	b = BIO_new_mem_buf(fz_ee_key_pem, -1);
	W->ee_key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!W->ee_key)
		abort();

	for (int s = 0; s < 2; s++) {
		for (int c = 0; c < 2; c++) {
			struct ike_exch_cfg *ci = &W->ci[s][c];

			fz_cfg_base(ci, true);
			ci->ike_props = &W->ike[s];
			ci->n_ike_props = 1;
			ci->cp_request = true;
			if (c) {
				ci->auth = IKE_EXCH_AUTH_SIG;
				ci->key = W->ee_key;
				ci->certs = &W->ee_chunk;
				ci->n_certs = 1;
			}
		}
	}
	for (int c = 0; c < 2; c++) {
		struct ike_exch_cfg *cr = &W->cr[c];

		fz_cfg_base(cr, false);
		cr->ike_props = W->ike;
		cr->n_ike_props = 2;
		cr->cp_reply = &W->cp;
		if (c) {
			cr->peer_auth = IKE_EXCH_AUTH_SIG;
			cr->trust = W->trust;
			cr->now = 0;	/* fixed certificates: no time checks */
		}
	}
	if (ike_mschap_ctx_new(&W->mschap) == 0)
		fz_setup_eap();
	else
		W->mschap = NULL;
	W->ep_i = (struct ike_endpoint){ .family = 4, .addr = { 192, 0, 2, 1 },
					 .port = 4500 };
	W->ep_r = (struct ike_endpoint){ .family = 4, .addr = { 198, 51, 100, 7 },
					 .port = 500 };
}

/* ---- helpers ------------------------------------------------------------------------ */

/* A fresh SA; aborts when the (fixed) configuration is refused. */
static struct ike_sa *fz_sa(const struct ike_exch_cfg *cfg, bool initiator,
			    bool nat)
{
	struct ike_sa *sa = NULL;
	const struct ike_endpoint *l = initiator ? &W->ep_i : &W->ep_r;
	const struct ike_endpoint *r = initiator ? &W->ep_r : &W->ep_i;

	if (ike_sa_new(cfg, initiator, nat ? l : NULL, nat ? r : NULL, &sa) < 0)
		abort();
	return sa;
}

/* Free what a handler handed to us (IKE rekey: the new SA). */
static void fz_res_done(struct ike_exch_result *res)
{
	ike_sa_free(res->new_sa);
	res->new_sa = NULL;
}

/*
 * Run a fresh pair (suite, cert) through IKE_SA_INIT and, when est,
 * IKE_AUTH; the RNG is reseeded first so the result is the same every
 * time.  Valid inputs of our own making: any failure aborts.
 */
static void fz_pair(unsigned int suite, unsigned int cert, bool est,
		    struct ike_sa **pi, struct ike_sa **pr)
{
	struct ike_sa *i, *r;
	struct ike_buf m, resp;
	struct ike_exch_result q, s;

	fz_reseed();
	i = fz_sa(&W->ci[suite][cert], true, false);
	r = fz_sa(&W->cr[cert], false, false);
	ike_buf_init(&m);
	ike_buf_init(&resp);
	if (ike_sa_init_build(i, &m) != 0 ||
	    ike_sa_handle_request(r, m.data, m.len, &resp, &q) != 1 ||
	    ike_sa_handle_response(i, resp.data, resp.len, &s) != 0)
		abort();
	if (est && (ike_sa_auth_build(i, &m) != 0 ||
		    ike_sa_handle_request(r, m.data, m.len, &resp, &q) != 1 ||
		    ike_sa_handle_response(i, resp.data, resp.len, &s) != 0 ||
		    i->state != IKE_ST_ESTABLISHED ||
		    r->state != IKE_ST_ESTABLISHED))
		abort();
	ike_buf_free(&m);
	ike_buf_free(&resp);
	*pi = i;
	*pr = r;
}

/* A fresh EAP-MSCHAPv2 pair of suite after IKE_SA_INIT and the first
 * IKE_AUTH exchange (the responder waits for the MSCHAPv2 Response);
 * fz_pair(suite, 0, false) when MD4 is unavailable. */
static void fz_pair_eap(unsigned int suite, struct ike_sa **pi, struct ike_sa **pr)
{
	struct ike_sa *i, *r;
	struct ike_buf m, resp;
	struct ike_exch_result q, s;

	if (!W->mschap) {
		fz_pair(suite, 0, false, pi, pr);
		return;
	}
	fz_reseed();
	i = fz_sa(&W->ci_eap[suite], true, false);
	r = fz_sa(&W->cr_eap, false, false);
	ike_buf_init(&m);
	ike_buf_init(&resp);
	if (ike_sa_init_build(i, &m) != 0 ||
	    ike_sa_handle_request(r, m.data, m.len, &resp, &q) != 1 ||
	    ike_sa_handle_response(i, resp.data, resp.len, &s) != 0 ||
	    ike_sa_auth_build(i, &m) != 0 ||
	    ike_sa_handle_request(r, m.data, m.len, &resp, &q) != 1 ||
	    ike_sa_handle_response(i, resp.data, resp.len, &s) != -EAGAIN ||
	    r->state != IKE_ST_INIT_DONE || !r->eap)
		abort();
	ike_buf_free(&m);
	ike_buf_free(&resp);
	*pi = i;
	*pr = r;
}

/* Index of the first CHILD SA in use, or -1. */
static int fz_first_child(const struct ike_sa *sa)
{
	for (int k = 0; k < IKE_EXCH_MAX_CHILDREN; k++)
		if (sa->child[k].in_use)
			return k;
	return -1;
}

/*
 * Make the shared-key AUTH payload of the inner chain plain[0..len) (first
 * payload type first) carry the value rx expects from its peer (2.15:
 * prf(prf(PSK, "Key Pad for IKEv2"), peer's first message | rx's nonce |
 * prf(SK_px, peer's ID body))) for the first IDi (rx responder) / IDr
 * payload of the chain.  Only rewrites AUTH data of exactly the PRF length;
 * everything else is left as the fuzzer made it.
 */
static void fz_fix_auth(uint8_t *plain, size_t len, uint8_t first,
			const struct ike_sa *rx)
{
	struct ike_chain ch;
	const struct ike_pl *idp, *ap;
	bool peer_is_i = !rx->initiator;
	const struct ike_buf *msg = peer_is_i ? &rx->init_req : &rx->init_resp;
	size_t plen = ike_prf_len(rx->keys.prf);
	struct ike_buf oct;
	uint8_t a[64];

	if (ike_chain_parse(plain, len, 0, first, &ch) < 0)
		return;
	idp = ike_chain_find(&ch, peer_is_i ? IKE_PL_IDI : IKE_PL_IDR, 0);
	ap = ike_chain_find(&ch, IKE_PL_AUTH, 0);
	if (!idp || !ap || plen == 0 || plen > sizeof(a) || ap->len != 4 + plen)
		return;
	ike_buf_init(&oct);
	if (ike_auth_octets(&oct, rx->keys.prf,
			    peer_is_i ? &rx->keys.sk_pi : &rx->keys.sk_pr,
			    msg->data, msg->len, peer_is_i ? rx->nr : rx->ni,
			    peer_is_i ? rx->nr_len : rx->ni_len, idp->body,
			    idp->len) == 0 && !ike_buf_error(&oct) &&
	    ike_auth_psk(rx->keys.prf, fz_psk, sizeof(fz_psk) - 1, oct.data,
			 oct.len, a) == (int)plen)
		memcpy(plain + (size_t)(ap->body - plain) + 4, a, plen);
	ike_buf_free(&oct);
}

/*
 * Build header + SK payload around inner and seal it as sent by the
 * original initiator (from_i) or responder, with the SPIs of sa.  Returns
 * 0, or < 0 when the message does not fit (over 64 KiB).
 */
static int fz_seal(const struct ike_sa *sa, bool from_i, uint8_t exch,
		   uint8_t flags, uint32_t msg_id, uint8_t first,
		   const uint8_t *inner, size_t ilen, struct ike_buf *out)
{
	ike_buf_reset(out);
	ike_buf_put(out, sa->spi_i, 8);
	ike_buf_put(out, sa->spi_r, 8);
	ike_buf_put_u8(out, IKE_PL_SK);
	ike_buf_put_u8(out, IKE_VERSION);
	ike_buf_put_u8(out, exch);
	ike_buf_put_u8(out, flags);
	ike_buf_put_u32(out, msg_id);
	ike_buf_put_u32(out, 0);	/* patched by ike_sk_seal */
	ike_buf_put_u8(out, first);
	ike_buf_put_u8(out, 0);
	ike_buf_put_u16(out, 0);
	if (ike_buf_error(out))
		return ike_buf_error(out);
	return ike_sk_seal(&sa->keys, from_i, out, IKE_HDR_LEN, inner, ilen,
			   NULL);
}

/*
 * Hand msg to sa as a request, twice: the second time is a retransmission
 * and must get the cached response byte for byte (2.1) when the first was
 * answered and cached.  Contract: 1 or a negative errno.
 */
static void fz_request(struct ike_sa *sa, const uint8_t *msg, size_t len)
{
	struct ike_buf out, again;
	struct ike_exch_result res;
	bool cached;
	int rc, rc2;

	ike_buf_init(&out);
	ike_buf_init(&again);
	rc = ike_sa_handle_request(sa, msg, len, &out, &res);
	FZ_TRACE("request: rc %d notify %u state %u child %d\n", rc,
		 res.notify, sa->state, res.child);
	if (rc != 1 && rc >= 0)
		abort();
	if (rc < 0 && res.new_sa)
		abort();	/* a dropped request created an SA */
	fz_res_done(&res);
	cached = rc == 1 && sa->have_last && sa->last_req_in.len == len &&
		 memcmp(sa->last_req_in.data, msg, len) == 0;
	rc2 = ike_sa_handle_request(sa, msg, len, &again, &res);
	if (rc2 != 1 && rc2 >= 0)
		abort();
	fz_res_done(&res);
	if (cached && (rc2 != 1 || again.len != out.len ||
		       memcmp(again.data, out.data, out.len) != 0))
		abort();
	ike_buf_free(&out);
	ike_buf_free(&again);
}

/* ---- the four modes ------------------------------------------------------------------ */

/* Mode 0: raw IKE_SA_INIT (or anything) to a fresh responder. */
static void fz_mode0(uint8_t sel, const uint8_t *d, size_t n)
{
	struct ike_sa *r;

	fz_reseed();
	r = fz_sa(&W->cr[(sel >> 2) & 1], false, (sel >> 3) & 1);
	fz_request(r, d, n);
	ike_sa_free(r);
}

/* Mode 2: raw response to an initiator with IKE_SA_INIT pending. */
static void fz_mode2(uint8_t sel, const uint8_t *d, size_t n)
{
	struct ike_sa *i;
	struct ike_buf m;
	struct ike_exch_result res;
	int rc;

	fz_reseed();
	i = fz_sa(&W->ci[(sel >> 2) & 1][(sel >> 3) & 1], true, (sel >> 4) & 1);
	ike_buf_init(&m);
	if (ike_sa_init_build(i, &m) != 0)
		abort();
	rc = ike_sa_handle_response(i, d, n, &res);
	FZ_TRACE("init response: rc %d notify %u state %u\n", rc, res.notify,
		 i->state);
	if (rc > 0)
		abort();
	fz_res_done(&res);
	if (rc == -EAGAIN) {
		/* 2.6 / 1.3: send IKE_SA_INIT again with the cookie / group */
		(void)ike_sa_init_build(i, &m);
	} else if (rc == 0) {
		if (i->state != IKE_ST_INIT_DONE)
			abort();
		(void)ike_sa_auth_build(i, &m);
	}
	ike_buf_free(&m);
	ike_sa_free(i);
}

/* Decoded set-up + header bytes of modes 1 and 3. */
struct fz_sealed {
	unsigned int suite, cert, state;
	bool fix_auth;
	uint8_t exch, flags_x, first;
	uint32_t msg_id_x;
	uint8_t *inner;		/* exact-size heap copy (ASan sees overreads) */
	size_t ilen;
};

/* Split the input of modes 1/3; false when too short. */
static bool fz_sealed_parse(const uint8_t *d, size_t n, struct fz_sealed *s)
{
	if (n < 8)
		return false;
	s->suite = d[0] & 1;
	s->cert = (d[0] >> 1) & 1;
	s->state = (d[0] >> 2) & 7;
	s->fix_auth = (d[0] >> 5) & 1;
	s->exch = d[1];
	s->flags_x = d[2];
	s->msg_id_x = ike_get_u32(d + 3);
	s->first = d[7];
	s->ilen = n - 8;
	s->inner = malloc(s->ilen ? s->ilen : 1);
	if (!s->inner)
		abort();
	memcpy(s->inner, d + 8, s->ilen);
	return true;
}

/* Mode 1: sealed request to a responder in INIT_DONE or ESTABLISHED. */
static void fz_mode1(const uint8_t *d, size_t n)
{
	struct fz_sealed s;
	struct ike_sa *i, *r;
	struct ike_buf msg;

	if (!fz_sealed_parse(d, n, &s))
		return;
	if ((s.state & 3) == 2)
		fz_pair_eap(s.suite, &i, &r);
	else
		fz_pair(s.suite, s.cert, s.state & 1, &i, &r);
	if (s.fix_auth)
		fz_fix_auth(s.inner, s.ilen, s.first, r);
	ike_buf_init(&msg);
	if (fz_seal(r, true, s.exch, IKE_FLAG_INITIATOR ^ s.flags_x,
		    r->peer_msg_id ^ s.msg_id_x, s.first, s.inner, s.ilen,
		    &msg) == 0)
		fz_request(r, msg.data, msg.len);
	ike_buf_free(&msg);
	free(s.inner);
	ike_sa_free(i);
	ike_sa_free(r);
}

/* Mode 3 pending requests (set-up bits 2-4, value % 7). */
enum { P_AUTH, P_CHILD, P_REKEY_CHILD, P_REKEY_IKE, P_DEL_CHILD, P_DEL_IKE,
       P_LIVENESS, P_MAX };

/* Make the initiator of an (established) pair send request kind. */
static void fz_pending(struct ike_sa *i, unsigned int kind, unsigned int suite,
		       struct ike_buf *m)
{
	int rc;

	switch (kind) {
	case P_AUTH: rc = ike_sa_auth_build(i, m); break;
	case P_CHILD: rc = ike_child_build(i, -1, 0, m); break;
	case P_REKEY_CHILD:
		rc = ike_child_build(i, fz_first_child(i), fz_suite_dh[suite], m);
		break;
	case P_REKEY_IKE: rc = ike_rekey_ike_build(i, m); break;
	case P_DEL_CHILD: rc = ike_exch_delete_build(i, fz_first_child(i), m); break;
	case P_DEL_IKE: rc = ike_exch_delete_build(i, -1, m); break;
	default: rc = ike_exch_liveness_build(i, m); break;
	}
	if (rc != 0)
		abort();
}

/* Mode 3: sealed response to an initiator with a request pending. */
static void fz_mode3(const uint8_t *d, size_t n)
{
	struct fz_sealed s;
	struct ike_sa *i, *r;
	struct ike_buf m;
	struct ike_exch_result res;
	unsigned int kind;
	int rc;

	if (!fz_sealed_parse(d, n, &s))
		return;
	kind = s.state % P_MAX;
	fz_pair(s.suite, s.cert, kind != P_AUTH, &i, &r);
	ike_buf_init(&m);
	fz_pending(i, kind, s.suite, &m);
	if (s.fix_auth)
		fz_fix_auth(s.inner, s.ilen, s.first, i);
	if (fz_seal(i, false, s.exch, IKE_FLAG_RESPONSE ^ s.flags_x,
		    i->pend.msg_id ^ s.msg_id_x, s.first, s.inner, s.ilen,
		    &m) == 0) {
		rc = ike_sa_handle_response(i, m.data, m.len, &res);
		FZ_TRACE("response: rc %d notify %u state %u child %d\n", rc,
			 res.notify, i->state, res.child);
		if (rc > 0)
			abort();
		if (res.new_sa) {
			/* the new IKE SA must be usable */
			if (rc != 0 || res.new_sa->state != IKE_ST_ESTABLISHED)
				abort();
			(void)ike_exch_liveness_build(res.new_sa, &m);
		}
		fz_res_done(&res);
		/* the CHILD SA the peer's answer created can be rekeyed */
		if (rc == 0 && res.child >= 0 && i->state == IKE_ST_ESTABLISHED)
			(void)ike_child_build(i, res.child, 0, &m);
	}
	ike_buf_free(&m);
	free(s.inner);
	ike_sa_free(i);
	ike_sa_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!W)
		fz_setup();
	if (size < 1)
		return 0;
	switch (data[0] & 3) {
	case 0: fz_mode0(data[0], data + 1, size - 1); break;
	case 1: fz_mode1(data + 1, size - 1); break;
	case 2: fz_mode2(data[0], data + 1, size - 1); break;
	default: fz_mode3(data + 1, size - 1); break;
	}
	return 0;
}

#ifdef FUZZ_EXCHANGE_GEN_MAIN
/* ---- seed generator ------------------------------------------------------------------- */

static const char *gen_dir;

/* Write one seed: the bytes of head then body. */
static void gen_write(const char *name, const uint8_t *head, size_t hlen,
		      const uint8_t *body, size_t blen)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", gen_dir, name);
	f = fopen(path, "wb");
	if (!f || (hlen && fwrite(head, 1, hlen, f) != hlen) ||
	    (blen && fwrite(body, 1, blen, f) != blen) || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Write a sealed-mode seed: mode byte, set-up, exchange, flags, msg id,
 * first, inner chain. */
static void gen_sealed(const char *name, uint8_t mode, uint8_t setup,
		       uint8_t exch, uint8_t flags_x, uint32_t msg_id_x,
		       uint8_t first, const uint8_t *inner, size_t ilen)
{
	uint8_t h[9] = { mode, setup, exch, flags_x, (uint8_t)(msg_id_x >> 24),
			 (uint8_t)(msg_id_x >> 16), (uint8_t)(msg_id_x >> 8),
			 (uint8_t)msg_id_x, first };

	gen_write(name, h, sizeof(h), inner, ilen);
}

/* Decrypt message m as rx sees it; the inner chain into *plain. */
static void gen_open(const struct ike_sa *rx, const struct ike_buf *m,
		     uint8_t **plain, size_t *plen, uint8_t *first)
{
	struct ike_sk_info si;

	*plain = malloc(m->len);
	if (!*plain || ike_sk_decrypt(&rx->keys, !rx->initiator, m->data, m->len,
				      &si, *plain, m->len, plen) < 0)
		abort();
	*first = si.first_inner;
}

/* Mode 0 / 2 seeds: real IKE_SA_INIT requests and responses. */
static void gen_raw(void)
{
	struct ike_buf m, resp;
	struct ike_exch_result q;
	char name[128];

	ike_buf_init(&m);
	ike_buf_init(&resp);
	for (unsigned int s = 0; s < 2; s++) {
		for (unsigned int c = 0; c < 2; c++) {
			for (unsigned int nat = 0; nat < 2; nat++) {
				uint8_t sel2 = (uint8_t)(2 | s << 2 | c << 3 | nat << 4);
				uint8_t sel0 = (uint8_t)(0 | c << 2 | nat << 3);
				struct ike_sa *i, *r;

				/* the initiator exactly as mode 2 makes it */
				fz_reseed();
				i = fz_sa(&W->ci[s][c], true, nat);
				if (ike_sa_init_build(i, &m) != 0)
					abort();
				r = fz_sa(&W->cr[c], false, nat);
				if (ike_sa_handle_request(r, m.data, m.len, &resp,
							  &q) != 1)
					abort();
				snprintf(name, sizeof(name), "m0-init-req-s%u-c%u-nat%u",
					 s, c, nat);
				gen_write(name, &sel0, 1, m.data, m.len);
				snprintf(name, sizeof(name), "m2-init-resp-s%u-c%u-nat%u",
					 s, c, nat);
				gen_write(name, &sel2, 1, resp.data, resp.len);
				if (s == 0 && c == 0 && nat == 0) {
					uint8_t *x = malloc(m.len);

					if (!x)
						abort();
					/* edge cases of the request */
					gen_write("m0-edge-empty", &sel0, 1, NULL, 0);
					gen_write("m0-edge-header-only", &sel0, 1,
						  m.data, IKE_HDR_LEN);
					gen_write("m0-edge-truncated", &sel0, 1,
						  m.data, m.len - 1);
					memcpy(x, m.data, m.len);
					x[IKE_HDR_OFF_FLAGS] |= IKE_FLAG_RESPONSE;
					gen_write("m0-edge-response-flag", &sel0, 1,
						  x, m.len);
					memcpy(x, m.data, m.len);
					x[IKE_HDR_OFF_MSGID + 3] = 1;
					gen_write("m0-edge-msgid1", &sel0, 1, x, m.len);
					memcpy(x, m.data, m.len);
					x[8] = 1;	/* SPIr not zero */
					gen_write("m0-edge-spir", &sel0, 1, x, m.len);
					memcpy(x, m.data, m.len);
					x[IKE_HDR_OFF_VERSION] = 0x30;
					gen_write("m0-edge-major3", &sel0, 1, x, m.len);
					/* the KE payload's group field (after SA) */
					memcpy(x, m.data, m.len);
					{
						size_t off = IKE_HDR_LEN;
						size_t sal = ike_get_u16(x + off + 2);

						if (off + sal + 6 <= m.len)
							x[off + sal + 5] = IKE_DH_ECP256;
					}
					gen_write("m0-edge-ke-group-mismatch", &sel0, 1,
						  x, m.len);
					free(x);
					gen_write("m2-edge-truncated", &sel2, 1,
						  resp.data, resp.len - 1);
					x = malloc(resp.len);
					if (!x)
						abort();
					memcpy(x, resp.data, resp.len);
					x[IKE_HDR_OFF_FLAGS] &= (uint8_t)~IKE_FLAG_RESPONSE;
					gen_write("m2-edge-no-response-flag", &sel2, 1,
						  x, resp.len);
					free(x);
				}
				ike_sa_free(i);
				ike_sa_free(r);
			}
		}
	}
	ike_buf_free(&m);
	ike_buf_free(&resp);
}

/* An unprotected IKE_SA_INIT response to i holding one Notify (mode 2). */
static void gen_init_notify(const char *name, const struct ike_sa *i,
			    uint16_t type, const uint8_t *data, size_t dlen)
{
	struct ike_buf b;
	uint8_t sel2 = 2;

	ike_buf_init(&b);
	ike_buf_put(&b, i->spi_i, 8);
	ike_buf_put_zero(&b, 8);
	ike_buf_put_u8(&b, IKE_PL_NOTIFY);
	ike_buf_put_u8(&b, IKE_VERSION);
	ike_buf_put_u8(&b, IKE_SA_INIT);
	ike_buf_put_u8(&b, IKE_FLAG_RESPONSE);
	ike_buf_put_u32(&b, 0);
	ike_buf_put_u32(&b, (uint32_t)(IKE_HDR_LEN + 8 + dlen));
	ike_buf_put_u8(&b, IKE_PL_NONE);
	ike_buf_put_u8(&b, 0);
	ike_buf_put_u16(&b, (uint16_t)(8 + dlen));
	ike_buf_put_u8(&b, 0);	/* protocol */
	ike_buf_put_u8(&b, 0);	/* SPI size */
	ike_buf_put_u16(&b, type);
	ike_buf_put(&b, data, dlen);
	if (ike_buf_error(&b))
		abort();
	gen_write(name, &sel2, 1, b.data, b.len);
	ike_buf_free(&b);
}

/* Refusals of IKE_SA_INIT as a responder sends them (mode 2):
 * NO_PROPOSAL_CHOSEN from a real responder whose only proposal the
 * initiator lacks; COOKIE (2.6) and INVALID_KE_PAYLOAD (1.3) built by hand
 * (the engine's responder sends neither to this initiator). */
static void gen_refusals(void)
{
	static const uint8_t cookie[16] = "fuzz-cookie-1234";
	static const uint8_t g19[2] = { 0, IKE_DH_ECP256 };
	static const uint8_t g31[2] = { 0, IKE_DH_CURVE25519 };
	struct ike_exch_cfg cr = W->cr[0];
	struct ike_proposal other = W->ike[0];
	struct ike_buf m, resp;
	struct ike_exch_result q;
	uint8_t sel2 = 2;
	struct ike_sa *i, *r;

	ike_buf_init(&m);
	ike_buf_init(&resp);
	/* NO_PROPOSAL_CHOSEN: AES-GCM with 256-bit keys only */
	other.tr[0].keylen = 256;
	cr.ike_props = &other;
	cr.n_ike_props = 1;
	fz_reseed();
	i = fz_sa(&W->ci[0][0], true, false);
	if (ike_sa_init_build(i, &m) != 0)
		abort();
	r = fz_sa(&cr, false, false);
	if (ike_sa_handle_request(r, m.data, m.len, &resp, &q) != 1 ||
	    q.notify != IKE_N_NO_PROPOSAL_CHOSEN)
		abort();
	gen_write("m2-no-proposal-chosen", &sel2, 1, resp.data, resp.len);
	ike_sa_free(r);
	gen_init_notify("m2-cookie", i, IKE_N_COOKIE, cookie, sizeof(cookie));
	gen_init_notify("m2-invalid-ke-19", i, IKE_N_INVALID_KE_PAYLOAD, g19, 2);
	gen_init_notify("m2-invalid-ke-31", i, IKE_N_INVALID_KE_PAYLOAD, g31, 2);
	ike_sa_free(i);
	ike_buf_free(&m);
	ike_buf_free(&resp);
}

/* Mode 1 seeds: the real IKE_AUTH, CREATE_CHILD_SA and INFORMATIONAL
 * inner chains an initiator sends, as the responder decrypts them. */
static void gen_mode1(void)
{
	struct ike_buf m;
	char name[128];

	ike_buf_init(&m);
	for (unsigned int s = 0; s < 2; s++) {
		for (unsigned int c = 0; c < 2; c++) {
			for (unsigned int k = 0; k < 8; k++) {
				static const char *const kname[8] = {
					"ike-auth", "child-new", "child-new-pfs",
					"child-rekey-pfs", "ike-rekey",
					"delete-child", "delete-ike", "liveness" };
				struct ike_sa *i, *r;
				uint8_t *plain, first;
				size_t plen;
				int rc = 0;
				uint8_t setup = (uint8_t)(s | c << 1 | (k ? 4 : 0));

				if (c && k > 1 && k != 7)
					continue;	/* those do not depend on AUTH */
				fz_pair(s, c, k != 0, &i, &r);
				switch (k) {
				case 0: rc = ike_sa_auth_build(i, &m); break;
				case 1: rc = ike_child_build(i, -1, 0, &m); break;
				case 2: rc = ike_child_build(i, -1, fz_suite_dh[s], &m); break;
				case 3: rc = ike_child_build(i, fz_first_child(i),
							     fz_suite_dh[s], &m); break;
				case 4: rc = ike_rekey_ike_build(i, &m); break;
				case 5: rc = ike_exch_delete_build(i, fz_first_child(i), &m); break;
				case 6: rc = ike_exch_delete_build(i, -1, &m); break;
				default: rc = ike_exch_liveness_build(i, &m); break;
				}
				if (rc != 0)
					abort();
				gen_open(r, &m, &plain, &plen, &first);
				snprintf(name, sizeof(name), "m1-%s-s%u-c%u", kname[k],
					 s, c);
				gen_sealed(name, 1, setup, m.data[IKE_HDR_OFF_EXCH], 0,
					   0, first, plain, plen);
				if (k == 0 && c == 0) {
					/* same chain, AUTH recomputed by the harness */
					snprintf(name, sizeof(name), "m1-ike-auth-fix-s%u", s);
					gen_sealed(name, 1, (uint8_t)(setup | 0x20), IKE_AUTH,
						   0, 0, first, plain, plen);
				}
				if (k == 0 && s == 0 && c == 0) {
					/* edge cases: AUTH data flipped, old message
					 * ID, response flag, IKE_AUTH to an
					 * ESTABLISHED SA, unknown exchange, empty */
					uint8_t *x = malloc(plen);
					struct ike_chain ch;
					const struct ike_pl *ap;

					if (!x)
						abort();
					memcpy(x, plain, plen);
					if (ike_chain_parse(x, plen, 0, first, &ch) < 0 ||
					    !(ap = ike_chain_find(&ch, IKE_PL_AUTH, 0)) ||
					    ap->len < 5)
						abort();
					x[(size_t)(ap->body - x) + ap->len - 1] ^= 0x80;
					gen_sealed("m1-edge-auth-flipped", 1, setup,
						   IKE_AUTH, 0, 0, first, x, plen);
					gen_sealed("m1-edge-msgid-old", 1, setup, IKE_AUTH,
						   0, 1, first, plain, plen);
					gen_sealed("m1-edge-response-flag", 1, setup,
						   IKE_AUTH, IKE_FLAG_RESPONSE, 0, first,
						   plain, plen);
					gen_sealed("m1-edge-auth-when-established", 1,
						   (uint8_t)(setup | 4), IKE_AUTH, 0, 0,
						   first, plain, plen);
					gen_sealed("m1-edge-exchange-40", 1, setup, 40, 0,
						   0, first, plain, plen);
					gen_sealed("m1-edge-empty-auth", 1, setup, IKE_AUTH,
						   0, 0, IKE_PL_NONE, NULL, 0);
					gen_sealed("m1-edge-unknown-critical", 1, setup,
						   IKE_AUTH, 0, 0, 200,
						   (const uint8_t *)"\x00\x80\x00\x04", 4);
					free(x);
				}
				free(plain);
				ike_sa_free(i);
				ike_sa_free(r);
			}
		}
	}
	ike_buf_free(&m);
}

/* Mode 1 seeds with EAP in progress (set-up bit 3): the client's
 * MSCHAPv2 Response and the INFORMATIONAL AUTHENTICATION_FAILED it may
 * send instead (strongSwan does after a Failure request, 2.21.2). */
static void gen_mode1_eap(void)
{
	struct ike_buf m;
	char name[128];

	if (!W->mschap) {
		fprintf(stderr, "no MD4/DES: EAP seeds not generated\n");
		return;
	}
	ike_buf_init(&m);
	for (unsigned int s = 0; s < 2; s++) {
		for (unsigned int k = 0; k < 2; k++) {
			struct ike_sa *i, *r;
			uint8_t *plain, first;
			size_t plen;

			fz_pair_eap(s, &i, &r);
			if ((k ? ike_exch_auth_failed_build(i, &m) :
			     ike_sa_auth_build(i, &m)) != 0)
				abort();
			gen_open(r, &m, &plain, &plen, &first);
			snprintf(name, sizeof(name), "m1-eap-%s-s%u",
				 k ? "info-auth-failed" : "mschapv2-response", s);
			gen_sealed(name, 1, (uint8_t)(s | 8), m.data[IKE_HDR_OFF_EXCH],
				   0, 0, first, plain, plen);
			free(plain);
			ike_sa_free(i);
			ike_sa_free(r);
		}
	}
	/* an INFORMATIONAL without error (liveness) and one with a Delete of
	 * the IKE SA, mid-EAP */
	gen_sealed("m1-eap-info-empty", 1, 8, INFORMATIONAL, 0, 0, IKE_PL_NONE, NULL, 0);
	gen_sealed("m1-eap-info-delete-ike", 1, 8, INFORMATIONAL, 0, 0, IKE_PL_DELETE,
		   (const uint8_t *)"\x00\x00\x00\x08\x01\x00\x00\x00", 8);
	ike_buf_free(&m);
}

/* Mode 3 seeds: the real responses of a responder to every pending
 * request kind, as the initiator decrypts them. */
static void gen_mode3(void)
{
	static const char *const kname[P_MAX] = {
		"ike-auth", "child-new", "child-rekey-pfs", "ike-rekey",
		"delete-child", "delete-ike", "liveness" };
	struct ike_buf m, resp;
	struct ike_exch_result q;
	char name[128];

	ike_buf_init(&m);
	ike_buf_init(&resp);
	for (unsigned int s = 0; s < 2; s++) {
		for (unsigned int c = 0; c < 2; c++) {
			for (unsigned int k = 0; k < P_MAX; k++) {
				struct ike_sa *i, *r;
				uint8_t *plain, first;
				size_t plen;
				uint8_t setup = (uint8_t)(s | c << 1 | k << 2);

				if (c && k != P_AUTH)
					continue;
				fz_pair(s, c, k != P_AUTH, &i, &r);
				fz_pending(i, k, s, &m);
				if (ike_sa_handle_request(r, m.data, m.len, &resp, &q) != 1)
					abort();
				fz_res_done(&q);
				gen_open(i, &resp, &plain, &plen, &first);
				snprintf(name, sizeof(name), "m3-%s-s%u-c%u", kname[k],
					 s, c);
				gen_sealed(name, 3, setup, resp.data[IKE_HDR_OFF_EXCH],
					   0, 0, first, plain, plen);
				if (k == P_AUTH && c == 0) {
					snprintf(name, sizeof(name), "m3-ike-auth-fix-s%u", s);
					gen_sealed(name, 3, (uint8_t)(setup | 0x20),
						   IKE_AUTH, 0, 0, first, plain, plen);
				}
				if (k == P_AUTH && s == 0 && c == 0) {
					/* a refusal: N(AUTHENTICATION_FAILED) alone */
					static const uint8_t nf[] = {
						0, 0, 0, 8, 0, 0, 0, IKE_N_AUTHENTICATION_FAILED };

					gen_sealed("m3-edge-auth-failed", 3, setup,
						   IKE_AUTH, 0, 0, IKE_PL_NOTIFY, nf,
						   sizeof(nf));
					gen_sealed("m3-edge-wrong-msgid", 3, setup,
						   IKE_AUTH, 0, 1, first, plain, plen);
				}
				free(plain);
				ike_sa_free(i);
				ike_sa_free(r);
			}
		}
	}
	ike_buf_free(&m);
	ike_buf_free(&resp);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	gen_dir = argv[1];
	fz_setup();
	gen_raw();
	gen_refusals();
	gen_mode1();
	gen_mode1_eap();
	gen_mode3();
	return 0;
}
#endif
