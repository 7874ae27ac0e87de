/*
 * test_twopeer_eap.c — EAP inside IKE_AUTH (RFC 7296 2.16) between an
 * initiator and a responder of libike/ike_exchange.h in one process:
 *
 *   EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2, RFC 2759): with and
 *     without the EAP-Identity round, "DOMAIN\user" names, an empty
 *     identity falling back to the IKE ID, wrong password (MSCHAPv2 Failure
 *     request, then EAP-Failure + AUTHENTICATION_FAILED, or the client's
 *     INFORMATIONAL AUTHENTICATION_FAILED mid-EAP as strongSwan sends it),
 *     unknown and locked users, a Nak switching methods; across several
 *     IKE suites.
 *   EAP-TLS (RFC 5216 / RFC 9190): TLS 1.3 and TLS 1.2, a client
 *     certificate from another CA, an expired one; the MSK checked against
 *     an independent computation (TLS-PRF for 1.2, HKDF exporter for 1.3)
 *     from the key log; fragmentation (L/M flags) of the server's flight.
 *   PSK both ways (cfg->psk_reply, NetworkManager's PSK mode).
 *   Policy and limits: cfg->methods, IDr naming a SAN of our certificate
 *     or not, bounded EAP rounds, bounded EAP-TLS reassembly.
 * Certificates are generated at run time with OpenSSL.
 */
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/core_names.h>

#include "check.h"
#include "ike_eap_tls.h"
#include "ike_exchange.h"
#include "ike_frag.h"
#include "ike_mschap.h"
#include "ike_payload.h"

/* ---- fixtures ---------------------------------------------------------------- */

static struct ike_mschap_ctx *mctx;
static X509_STORE *trust;
static EVP_PKEY *ca1_key, *ca2_key, *srv_key, *cli_key;
static X509 *ca1, *ca2;
static uint8_t *srv_der, *ca1_der, *cli_der, *other_der, *expired_der;
static struct ike_chunk srv_chain[2], cli_chunk, other_chunk, expired_chunk;
static SSL_CTX *srv_tls, *cli_tls, *cli12_tls, *other_tls, *expired_tls;
static long serial = 1;

static void add_ext(X509 *x, X509 *issuer, int nid, const char *val)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, val);
	if (!e || !X509_add_ext(x, e, -1))
		abort();
	X509_EXTENSION_free(e);
}

/* A certificate for key; issuer NULL = self-signed CA. */
static X509 *mkcert(EVP_PKEY *key, const char *cn, X509 *issuer,
		    EVP_PKEY *ikey, const char *san, const char *eku,
		    long from, long to)
{
	X509 *x = X509_new();
	X509_NAME *n;

	if (!x || !key)
		abort();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), from);
	X509_gmtime_adj(X509_getm_notAfter(x), to);
	X509_set_pubkey(x, key);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
				   (const unsigned char *)"rag test", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	if (!issuer) {
		X509_set_issuer_name(x, n);
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		X509_set_issuer_name(x, X509_get_subject_name(issuer));
		add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
		if (san)
			add_ext(x, issuer, NID_subject_alt_name, san);
		if (eku)
			add_ext(x, issuer, NID_ext_key_usage, eku);
	}
	if (!X509_sign(x, issuer ? ikey : key, EVP_sha256()))
		abort();
	return x;
}

static uint8_t *der_of(X509 *x, struct ike_chunk *c)
{
	uint8_t *der = NULL;
	int len = i2d_X509(x, &der);

	if (len <= 0)
		abort();
	c->ptr = der;
	c->len = (size_t)len;
	return der;
}

static void fixtures(void)
{
	EVP_PKEY *other_key;
	X509 *x;
	struct ike_chunk c;

	if (ike_init() < 0 || ike_mschap_ctx_new(&mctx) < 0)
		abort();
	ca1_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ca2_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	srv_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	cli_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	other_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ca1 = mkcert(ca1_key, "rag EAP test CA", NULL, NULL, NULL, NULL,
		     -3600, 86400L * 365);
	ca2 = mkcert(ca2_key, "some other CA", NULL, NULL, NULL, NULL,
		     -3600, 86400L * 365);
	trust = X509_STORE_new();
	if (!trust || !X509_STORE_add_cert(trust, ca1))
		abort();
	x = mkcert(srv_key, "server.example", ca1, ca1_key,
		   "DNS:server.example,DNS:vpn.alias.example",
		   "serverAuth,1.3.6.1.5.5.7.3.17", -3600, 86400L * 30);
	srv_der = der_of(x, &srv_chain[0]);
	X509_free(x);
	ca1_der = der_of(ca1, &srv_chain[1]);
	x = mkcert(cli_key, "alice", ca1, ca1_key, "email:alice@corp.example",
		   "clientAuth", -3600, 86400L * 30);
	cli_der = der_of(x, &cli_chunk);
	X509_free(x);
	x = mkcert(other_key, "mallory", ca2, ca2_key, NULL, "clientAuth",
		   -3600, 86400L * 30);
	other_der = der_of(x, &other_chunk);
	X509_free(x);
	x = mkcert(cli_key, "alice (old)", ca1, ca1_key, NULL, "clientAuth",
		   -86400L * 30, -86400L);
	expired_der = der_of(x, &expired_chunk);
	X509_free(x);
	(void)c;
	if (ike_eap_tls_ctx_new(true, srv_key, srv_chain, 2, trust, &srv_tls) ||
	    ike_eap_tls_ctx_new(false, cli_key, &cli_chunk, 1, trust, &cli_tls) ||
	    ike_eap_tls_ctx_new(false, cli_key, &cli_chunk, 1, trust, &cli12_tls) ||
	    ike_eap_tls_ctx_new(false, other_key, &other_chunk, 1, trust,
				&other_tls) ||
	    ike_eap_tls_ctx_new(false, cli_key, &expired_chunk, 1, trust,
				&expired_tls))
		abort();
	SSL_CTX_set_max_proto_version(cli12_tls, TLS1_2_VERSION);
	EVP_PKEY_free(other_key);
}

static void fixtures_free(void)
{
	SSL_CTX_free(srv_tls);
	SSL_CTX_free(cli_tls);
	SSL_CTX_free(cli12_tls);
	SSL_CTX_free(other_tls);
	SSL_CTX_free(expired_tls);
	OPENSSL_free(srv_der);
	OPENSSL_free(ca1_der);
	OPENSSL_free(cli_der);
	OPENSSL_free(other_der);
	OPENSSL_free(expired_der);
	X509_STORE_free(trust);
	X509_free(ca1);
	X509_free(ca2);
	EVP_PKEY_free(ca1_key);
	EVP_PKEY_free(ca2_key);
	EVP_PKEY_free(srv_key);
	EVP_PKEY_free(cli_key);
	ike_mschap_ctx_free(mctx);
}

/* ---- the user database the daemon would keep --------------------------------- */

struct user {
	const char *name, *pw;
	bool locked;
};
static const struct user users[] = {
	{ "alice", "correct horse battery staple", false },
	{ "bob", "bob's password", true },
	{ "carol@corp.example", "pässwörd", false },
};
static char last_lookup[IKE_EXCH_MAX_ID + 1];
static int n_lookups;

static int nt_hash_cb(void *arg, const char *user, size_t len,
		      struct ike_key *out)
{
	CHECK(arg == &n_lookups);
	CHECK_INT(strlen(user), len);
	n_lookups++;
	snprintf(last_lookup, sizeof(last_lookup), "%s", user);
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		if (strcmp(users[i].name, user) != 0)
			continue;
		if (users[i].locked)
			return -EPERM;
		return ike_mschap_nt_password_hash(mctx, users[i].pw,
						   strlen(users[i].pw), out);
	}
	return -ENOENT;
}

static const uint8_t psk[] = "a shared secret of the two peers";

static int psk_cb(void *arg, uint8_t type, const uint8_t *id, size_t len,
		  struct ike_key *out)
{
	if (type == IKE_ID_FQDN && len == 14 && !memcmp(id, "client.example", 14))
		return ike_key_dup(out, psk, sizeof(psk) - 1);
	return -ENOENT;
}

/* ---- configurations ------------------------------------------------------------- */

static struct ike_proposal mkprop(uint8_t proto, uint16_t encr, uint16_t kl,
				  int integ, int prf, int dh)
{
	struct ike_proposal p;

	memset(&p, 0, sizeof(p));
	p.protocol = proto;
	p.tr[p.n_transforms++] = (struct ike_transform){ IKE_TR_ENCR, encr, kl, false };
	if (prf >= 0)
		p.tr[p.n_transforms++] = (struct ike_transform){ IKE_TR_PRF, (uint16_t)prf, 0, false };
	if (integ >= 0)
		p.tr[p.n_transforms++] = (struct ike_transform){ IKE_TR_INTEG, (uint16_t)integ, 0, false };
	if (dh >= 0)
		p.tr[p.n_transforms++] = (struct ike_transform){ IKE_TR_DH, (uint16_t)dh, 0, false };
	if (proto == IKE_PROTO_ESP)
		p.tr[p.n_transforms++] = (struct ike_transform){ IKE_TR_ESN, 0, 0, false };
	return p;
}

static struct ike_proposal ike_prop, esp_prop;
static struct ike_cp_reply cp_reply;
static const uint8_t id_srv[] = "server.example";
static const uint8_t id_cli_ip[] = { 192, 0, 2, 10 };	/* Windows: IDi = IP */

static void ts_any(struct ike_ts_list *l)
{
	static const uint8_t zero[4];

	l->n = 1;
	if (ike_ts_from_cidr(&l->ts[0], IKE_TS_IPV4_ADDR_RANGE, zero, 0, 0, 0,
			     65535))
		abort();
}

/* The gateway: RSA certificate, EAP-MSCHAPv2 and EAP-TLS. */
static void resp_cfg(struct ike_exch_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->ike_props = &ike_prop;
	c->n_ike_props = 1;
	c->child_props = &esp_prop;
	c->n_child_props = 1;
	c->id_type = IKE_ID_FQDN;
	c->id = id_srv;
	c->id_len = sizeof(id_srv) - 1;
	c->auth = IKE_EXCH_AUTH_SIG;
	c->key = srv_key;
	c->certs = srv_chain;
	c->n_certs = 2;
	c->trust = trust;
	c->now = (int64_t)time(NULL);
	c->methods = IKE_EXCH_M_EAP_MSCHAPV2 | IKE_EXCH_M_EAP_TLS;
	c->eap_identity_round = true;
	c->eap_nt_hash = nt_hash_cb;
	c->auth_arg = &n_lookups;
	c->mschap = mctx;
	c->eap_tls = srv_tls;
	ts_any(&c->ts_local);
	ts_any(&c->ts_remote);
	memset(&cp_reply, 0, sizeof(cp_reply));
	cp_reply.has_ip4 = true;
	memcpy(cp_reply.ip4, (uint8_t[]){ 10, 8, 0, 2 }, 4);
	c->cp_reply = &cp_reply;
}

/* A client using EAP (Windows-like: IDi = IP, no IDr). */
static void init_cfg(struct ike_exch_cfg *c, uint8_t method, const char *user,
		     const char *pw)
{
	memset(c, 0, sizeof(*c));
	c->ike_props = &ike_prop;
	c->n_ike_props = 1;
	c->child_props = &esp_prop;
	c->n_child_props = 1;
	c->id_type = IKE_ID_IPV4_ADDR;
	c->id = id_cli_ip;
	c->id_len = 4;
	c->auth = IKE_EXCH_AUTH_EAP;
	c->peer_auth = IKE_EXCH_AUTH_SIG;
	c->trust = trust;
	c->now = (int64_t)time(NULL);
	c->eap_method = method;
	c->eap_identity = (const uint8_t *)user;
	c->eap_identity_len = user ? strlen(user) : 0;
	c->eap_password = pw;
	c->eap_password_len = pw ? strlen(pw) : 0;
	c->mschap = mctx;
	c->eap_tls = cli_tls;
	c->cp_request = true;
	ts_any(&c->ts_local);
	ts_any(&c->ts_remote);
}

/* ---- driving the two engines ----------------------------------------------------- */

struct run {
	int rc;			/* last ike_sa_handle_response() result */
	int exchanges;		/* IKE_AUTH exchanges */
	struct ike_exch_result qa, sa;	/* responder's / initiator's last */
	struct ike_buf last_resp, prev_resp;	/* the last two responses */
};

static void run_free(struct run *x)
{
	ike_buf_free(&x->last_resp);
	ike_buf_free(&x->prev_resp);
}

/* IKE_SA_INIT then IKE_AUTH rounds until the initiator stops. */
static int run(struct ike_sa *i, struct ike_sa *r, struct run *x)
{
	struct ike_buf m, resp;
	int rc;

	memset(x, 0, sizeof(*x));
	ike_buf_init(&x->last_resp);
	ike_buf_init(&x->prev_resp);
	ike_buf_init(&m);
	ike_buf_init(&resp);
	CHECK_INT(ike_sa_init_build(i, &m), 0);
	CHECK_INT(ike_sa_handle_request(r, m.data, m.len, &resp, &x->qa), 1);
	rc = ike_sa_handle_response(i, resp.data, resp.len, &x->sa);
	CHECK_INT(rc, 0);
	while (rc == 0 || rc == -EAGAIN) {
		if (x->exchanges > 60)
			break;
		rc = ike_sa_auth_build(i, &m);
		CHECK_INT(rc, 0);
		if (rc)
			break;
		x->exchanges++;
		rc = ike_sa_handle_request(r, m.data, m.len, &resp, &x->qa);
		CHECK_INT(rc, 1);
		if (rc != 1)
			break;
		ike_buf_reset(&x->prev_resp);
		ike_buf_put(&x->prev_resp, x->last_resp.data, x->last_resp.len);
		ike_buf_reset(&x->last_resp);
		ike_buf_put(&x->last_resp, resp.data, resp.len);
		rc = ike_sa_handle_response(i, resp.data, resp.len, &x->sa);
		/* -EAGAIN comes with auth_continue on both sides */
		if (rc == -EAGAIN) {
			CHECK(x->sa.auth_continue);
			CHECK(x->qa.auth_continue);
			CHECK_INT(i->state, IKE_ST_INIT_DONE);
			CHECK_INT(r->state, IKE_ST_INIT_DONE);
		}
		if (rc != -EAGAIN)
			break;
	}
	x->rc = rc;
	ike_buf_free(&m);
	ike_buf_free(&resp);
	return rc;
}

/* Decrypt a response the responder sent (with the initiator's copy of the
 * keys) and find its EAP packet / notify: the wire format check. */
struct peek {
	bool has_eap;
	struct ike_eap eap;
	uint8_t pkt[2048];
	size_t pkt_len;
	uint16_t notify;
	bool has_auth, has_sa, has_cp, has_idr, has_cert;
	bool has_mobike;	/* N(MOBIKE_SUPPORTED) */
};

static void peek(const struct ike_sa *i, const struct ike_buf *msg,
		 struct peek *p)
{
	struct ike_sk_info si;
	struct ike_chain ch;
	uint8_t *plain = malloc(msg->len + 1);
	size_t plen = 0;

	memset(p, 0, sizeof(*p));
	if (!plain)
		abort();
	CHECK_INT(ike_sk_decrypt(&i->keys, false, msg->data, msg->len, &si,
				 plain, msg->len, &plen), 0);
	CHECK_INT(ike_chain_parse(plain, plen, 0, si.first_inner, &ch), 0);
	for (size_t k = 0; k < ch.n; k++) {
		const struct ike_pl *pl = &ch.pl[k];
		struct ike_notify n;

		switch (pl->type) {
		case IKE_PL_EAP:
			if (pl->len <= sizeof(p->pkt)) {
				memcpy(p->pkt, pl->body, pl->len);
				p->pkt_len = pl->len;
				p->has_eap = ike_eap_parse(p->pkt, p->pkt_len,
							   &p->eap) == 0;
			}
			break;
		case IKE_PL_NOTIFY:
			if (ike_notify_parse(pl->body, pl->len, &n) == 0 &&
			    n.type < 16384)
				p->notify = n.type;
			else if (ike_notify_parse(pl->body, pl->len, &n) == 0 &&
				 n.type == IKE_N_MOBIKE_SUPPORTED)
				p->has_mobike = true;
			break;
		case IKE_PL_AUTH: p->has_auth = true; break;
		case IKE_PL_SA: p->has_sa = true; break;
		case IKE_PL_CP: p->has_cp = true; break;
		case IKE_PL_IDR: p->has_idr = true; break;
		case IKE_PL_CERT: p->has_cert = true; break;
		default: break;
		}
	}
	free(plain);
}

static bool key_eq(const struct ike_key *a, const struct ike_key *b)
{
	return a->len == b->len && a->len > 0 && memcmp(a->ptr, b->ptr, a->len) == 0;
}

/* 2.14 / 2.17: both sides derived the same IKE keys and CHILD KEYMAT. */
static void check_established(const struct ike_sa *i, const struct ike_sa *r,
			      const struct run *x)
{
	int ci = x->sa.child, cr = x->qa.child;

	CHECK_INT(x->rc, 0);
	CHECK(x->sa.established && x->qa.established);
	CHECK_INT(i->state, IKE_ST_ESTABLISHED);
	CHECK_INT(r->state, IKE_ST_ESTABLISHED);
	CHECK(i->eap == NULL && r->eap == NULL);	/* EAP state released */
	CHECK(key_eq(&i->keys.sk_d, &r->keys.sk_d));
	CHECK(key_eq(&i->keys.sk_pi, &r->keys.sk_pi));
	CHECK(ci >= 0 && cr >= 0);
	if (ci >= 0 && cr >= 0) {
		CHECK(key_eq(&i->child[ci].keymat, &r->child[cr].keymat));
		CHECK_INT(i->child[ci].spi_in, r->child[cr].spi_out);
		CHECK_INT(i->child[ci].spi_out, r->child[cr].spi_in);
	}
	/* 3.15: the CP reply reached the client */
	CHECK(i->cp_have_ip4);
	CHECK_MEM(i->cp_ip4, cp_reply.ip4, 4);
	CHECK_INT(r->auth.fail, IKE_AF_NONE);
	/* the responder authenticated itself with its certificate */
	CHECK_INT(i->auth.method, IKE_PM_PUBKEY);
}

static void check_user(const struct ike_sa *r, const char *want)
{
	CHECK_INT(r->auth.user_len, strlen(want));
	if (r->auth.user_len == strlen(want))
		CHECK_MEM(r->auth.user, want, strlen(want));
}

/* ---- EAP-MSCHAPv2 ------------------------------------------------------------------ */

struct suite {
	const char *name;
	uint16_t encr, keylen;
	int integ, prf, dh;
};

static const struct suite suites[] = {
	{ "aes256-sha256-ecp256", IKE_ENCR_AES_CBC, 256,
	  IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256, IKE_DH_ECP256 },
	{ "aes256gcm16-prfsha384-x25519", IKE_ENCR_AES_GCM_16, 256, -1,
	  IKE_PRF_HMAC_SHA2_384, IKE_DH_CURVE25519 },
	{ "aes128-sha1-ecp384 (Android 11 PRF)", IKE_ENCR_AES_CBC, 128,
	  IKE_INTEG_HMAC_SHA1_96, IKE_PRF_HMAC_SHA1, IKE_DH_ECP384 },
};

static void use_suite(const struct suite *s)
{
	ike_prop = mkprop(IKE_PROTO_IKE, s->encr, s->keylen, s->integ, s->prf,
			  s->dh);
	esp_prop = mkprop(IKE_PROTO_ESP, IKE_ENCR_AES_GCM_16, 256, -1, -1, -1);
}

/* Windows: Identity round, then MSCHAPv2 (RFC 7296 2.16 + draft-kamath). */
static void test_mschap_identity(const struct suite *s)
{
	struct ike_exch_cfg ci, cr;
	struct ike_sa *i = NULL, *r = NULL;
	struct run x;
	struct peek pk;

	fprintf(stderr, "mschapv2 with identity round, %s\n", s->name);
	use_suite(s);
	resp_cfg(&cr);
	init_cfg(&ci, EAP_TYPE_MSCHAPV2, "alice", "correct horse battery staple");
	CHECK_INT(ike_sa_new(&ci, true, NULL, NULL, &i), 0);
	CHECK_INT(ike_sa_new(&cr, false, NULL, NULL, &r), 0);
	n_lookups = 0;
	run(i, r, &x);
	check_established(i, r, &x);
	/* first (-> Identity), Identity (-> Challenge), Response (-> Success
	 * request), ack (-> EAP-Success), AUTH (-> AUTH, SA, TS, CP) */
	CHECK_INT(x.exchanges, 5);
	CHECK_INT(r->auth.method, IKE_PM_EAP_MSCHAPV2);
	check_user(r, "alice");
	CHECK_INT(r->auth.eap_identity_len, 5);
	CHECK_INT(n_lookups, 1);
	CHECK(!strcmp(last_lookup, "alice"));
	/* the IKE ID is the client's address, recorded as such */
	CHECK_INT(r->peer_id_type, IKE_ID_IPV4_ADDR);
	/* 2.16: "HDR, SK {AUTH, SAr2, TSi, TSr}" — no IDr/CERT at the end;
	 * the one before was EAP-Success */
	peek(i, &x.last_resp, &pk);
	CHECK(pk.has_auth && pk.has_sa && pk.has_cp);
	CHECK(!pk.has_idr && !pk.has_cert && !pk.has_eap);
	peek(i, &x.prev_resp, &pk);
	CHECK(pk.has_eap);
	CHECK_INT(pk.eap.code, EAP_SUCCESS);
	ike_sa_free(i);
	ike_sa_free(r);
	run_free(&x);
}

/*
 * RFC 4555 3.1 with EAP: the gateway's MOBIKE_SUPPORTED goes in the
 * IKE_AUTH response that establishes the SA (AUTH, SAr2, TS), not in the
 * first one (IDr, CERT, AUTH, EAP): strongSwan initiators read it only
 * from the last response and otherwise reauthenticate on an address
 * change instead of sending UPDATE_SA_ADDRESSES (3.5).
 */
struct spi_count {
	uint32_t last;
	int allocs, frees;
};

static int count_spi_alloc(void *arg, const struct ike_sa *sa, uint32_t *spi)
{
	struct spi_count *c = arg;

	(void)sa;
	c->allocs++;
	*spi = c->last = 0xc0000200u + (uint32_t)c->allocs;
	return 0;
}

static void count_spi_free(void *arg, const struct ike_sa *sa, uint32_t spi)
{
	(void)sa;
	(void)spi;
	((struct spi_count *)arg)->frees++;
}

/* ... and (cfg->child_spi_alloc) the initiator's offered SPI survives the
 * EAP rounds: allocated once, used by the CHILD SA, never given back. */
static void test_mobike_eap(void)
{
	struct ike_exch_cfg ci, cr;
	struct ike_sa *i = NULL, *r = NULL;
	struct run x;
	struct peek pk;
	struct spi_count sc = { 0, 0, 0 };

	fprintf(stderr, "MOBIKE_SUPPORTED in the final IKE_AUTH response\n");
	use_suite(&suites[0]);
	resp_cfg(&cr);
	init_cfg(&ci, EAP_TYPE_MSCHAPV2, "alice", "correct horse battery staple");
	cr.mobike = ci.mobike = true;
	ci.child_spi_alloc = count_spi_alloc;
	ci.child_spi_free = count_spi_free;
	ci.spi_arg = &sc;
	CHECK_INT(ike_sa_new(&ci, true, NULL, NULL, &i), 0);
	CHECK_INT(ike_sa_new(&cr, false, NULL, NULL, &r), 0);
	run(i, r, &x);
	check_established(i, r, &x);
	CHECK(r->peer_mobike && r->mobike);
	CHECK(i->peer_mobike && i->mobike);
	peek(i, &x.last_resp, &pk);
	CHECK(pk.has_auth && pk.has_sa && pk.has_mobike);
	peek(i, &x.prev_resp, &pk);
	CHECK(pk.has_eap && !pk.has_mobike);
	CHECK_INT(sc.allocs, 1);
	CHECK_INT(sc.frees, 0);
	if (x.sa.child >= 0)
		CHECK_INT(i->child[x.sa.child].spi_in, sc.last);
	ike_sa_free(i);
	ike_sa_free(r);
	run_free(&x);
}

/* No Identity round; "DOMAIN\user" is looked up as "user" (RFC 2759 4). */
static void test_mschap_domain(void)
{
	struct ike_exch_cfg ci, cr;
	struct ike_sa *i = NULL, *r = NULL;
	struct run x;

	fprintf(stderr, "mschapv2 without identity round, CORP\\alice\n");
	use_suite(&suites[0]);
	resp_cfg(&cr);
	cr.eap_identity_round = false;
	init_cfg(&ci, EAP_TYPE_MSCHAPV2, "CORP\\alice",
		 "correct horse battery staple");
	CHECK_INT(ike_sa_new(&ci, true, NULL, NULL, &i), 0);
	CHECK_INT(ike_sa_new(&cr, false, NULL, NULL, &r), 0);
	run(i, r, &x);
	check_established(i, r, &x);
	CHECK_INT(x.exchanges, 4);
	check_user(r, "alice");
	CHECK_INT(r->auth.eap_identity_len, 0);	/* no Identity round */
	ike_sa_free(i);
	ike_sa_free(r);
	run_free(&x);
}

/* Android: empty EAP-Identity and MSCHAPv2 name -> the IKE ID (RFC822). */
static void test_mschap_empty_identity(void)
{
	static const uint8_t carol[] = "carol@corp.example";
	struct ike_exch_cfg ci, cr;
	struct ike_sa *i = NULL, *r = NULL;
	struct run x;

	fprintf(stderr, "mschapv2 with an empty identity\n");
	use_suite(&suites[1]);
	resp_cfg(&cr);
	init_cfg(&ci, EAP_TYPE_MSCHAPV2, "", "pässwörd");
	ci.id_type = IKE_ID_RFC822_ADDR;
	ci.id = carol;
	ci.id_len = sizeof(carol) - 1;
	/* Android sends IDr = the server as typed */
	ci.peer_id_type = IKE_ID_FQDN;
	ci.peer_id = id_srv;
	ci.peer_id_len = sizeof(id_srv) - 1;
	CHECK_INT(ike_sa_new(&ci, true, NULL, NULL, &i), 0);
	CHECK_INT(ike_sa_new(&cr, false, NULL, NULL, &r), 0);
	run(i, r, &x);
	check_established(i, r, &x);
	CHECK_INT(r->auth.eap_identity_len, 0);
	check_user(r, "carol@corp.example");
	CHECK(!strcmp(last_lookup, "carol@corp.example"));
	ike_sa_free(i);
	ike_sa_free(r);
	run_free(&x);
}

/* Failures: the MSCHAPv2 Failure request (E=691 / 647) comes first, then
 * EAP-Failure with AUTHENTICATION_FAILED (2.21.2); nothing established. */
static void test_mschap_fail(const char *user, const char *pw, uint8_t want,
			     unsigned int want_err)
{
	struct ike_exch_cfg ci, cr;
	struct ike_sa *i = NULL, *r = NULL;
	struct run x;
	struct peek pk;
	struct ike_mschap_result mr;

	fprintf(stderr, "mschapv2 failure: %s\n", ike_auth_fail_name(want));
	use_suite(&suites[0]);
	resp_cfg(&cr);
	init_cfg(&ci, EAP_TYPE_MSCHAPV2, user, pw);
	CHECK_INT(ike_sa_new(&ci, true, NULL, NULL, &i), 0);
	CHECK_INT(ike_sa_new(&cr, false, NULL, NULL, &r), 0);
	run(i, r, &x);
	CHECK_INT(x.rc, -EPROTO);
	CHECK_INT(x.sa.notify, IKE_N_AUTHENTICATION_FAILED);
	CHECK_INT(x.qa.notify, IKE_N_AUTHENTICATION_FAILED);
	CHECK(!x.qa.established && !x.sa.established);
	CHECK_INT(r->state, IKE_ST_FAILED);
	CHECK_INT(i->state, IKE_ST_FAILED);
	CHECK_INT(x.qa.child, -1);
	CHECK_INT(r->auth.method, IKE_PM_EAP_MSCHAPV2);
	CHECK_INT(r->auth.fail, want);
	CHECK(r->eap == NULL);
	/* first, Identity, Response (-> Failure request), ack (-> EAP-Failure) */
	CHECK_INT(x.exchanges, 4);
	peek(i, &x.last_resp, &pk);
	CHECK(pk.has_eap);
	CHECK_INT(pk.eap.code, EAP_FAILURE);
	CHECK_INT(pk.notify, IKE_N_AUTHENTICATION_FAILED);
	peek(i, &x.prev_resp, &pk);
	CHECK(pk.has_eap && pk.eap.code == EAP_REQUEST &&
	      pk.eap.type == EAP_TYPE_MSCHAPV2);
	CHECK_INT(ike_mschap_parse_result(pk.pkt, pk.pkt_len, &mr), 0);
	CHECK_INT(mr.opcode, MSCHAP_OP_FAILURE);
	CHECK_INT(mr.error, want_err);
	CHECK(!mr.retry);
	ike_sa_free(i);
	ike_sa_free(r);
	run_free(&x);
}

/*
 * strongSwan after a wrong password (observed with charon 5.9): no
 * acknowledgement of the MSCHAPv2 Failure request, but "INFORMATIONAL
 * request N [ N(AUTH_FAILED) ]" while IKE_AUTH is still in progress (RFC
 * 7296 2.21.2: the initiator "... sends an INFORMATIONAL message with
 * AUTHENTICATION_FAILED").  The responder knows the reason as soon as the
 * Failure request goes out (the caller logs it then), answers the
 * INFORMATIONAL (1.4) and fails the SA.  With pw NULL the client gives up
 * right after the responder's first IKE_AUTH response: no reason of ours,
 * IKE_AF_PEER_ABORT.
 */
static void test_mschap_fail_informational(const char *pw, uint8_t want)
{
	struct ike_exch_cfg ci, cr;
	struct ike_sa *i = NULL, *r = NULL;
	struct ike_buf m, resp, resp2;
	struct ike_exch_result qa, sa;
	struct peek pk;
	struct ike_mschap_result mr;
	int k, rc = 0;

	fprintf(stderr, "client gives up with INFORMATIONAL AUTHENTICATION_FAILED: %s\n",
		ike_auth_fail_name(want));
	use_suite(&suites[0]);
	resp_cfg(&cr);
	init_cfg(&ci, EAP_TYPE_MSCHAPV2, "alice", pw ? pw : "unused");
	ike_buf_init(&m);
	ike_buf_init(&resp);
	ike_buf_init(&resp2);
	CHECK_INT(ike_sa_new(&ci, true, NULL, NULL, &i), 0);
	CHECK_INT(ike_sa_new(&cr, false, NULL, NULL, &r), 0);
	/* a responder never sends it; nothing to give up before IKE_AUTH */
	CHECK_INT(ike_exch_auth_failed_build(r, &m), -EINVAL);
	CHECK_INT(ike_sa_init_build(i, &m), 0);
	CHECK_INT(ike_sa_handle_request(r, m.data, m.len, &resp, &qa), 1);
	CHECK_INT(ike_sa_handle_response(i, resp.data, resp.len, &sa), 0);
	CHECK_INT(ike_exch_auth_failed_build(i, &m), -EINVAL);
	/* EAP rounds until the responder has decided (Failure request out) */
	for (k = 0; k < (pw ? 10 : 1); k++) {
		CHECK_INT(ike_sa_auth_build(i, &m), 0);
		CHECK_INT(ike_sa_handle_request(r, m.data, m.len, &resp, &qa), 1);
		rc = ike_sa_handle_response(i, resp.data, resp.len, &sa);
		CHECK_INT(rc, -EAGAIN);
		if (r->auth.fail || rc != -EAGAIN)
			break;
	}
	CHECK_INT(r->auth.fail, pw ? want : IKE_AF_NONE);
	CHECK_INT(r->state, IKE_ST_INIT_DONE);	/* awaiting the client's word */
	CHECK(r->eap != NULL);
	CHECK_INT(qa.notify, 0);
	if (pw) {
		peek(i, &resp, &pk);
		CHECK(pk.has_eap && pk.eap.code == EAP_REQUEST &&
		      pk.eap.type == EAP_TYPE_MSCHAPV2);
		CHECK_INT(ike_mschap_parse_result(pk.pkt, pk.pkt_len, &mr), 0);
		CHECK_INT(mr.opcode, MSCHAP_OP_FAILURE);
	}
	/* the client gives up instead of answering */
	CHECK_INT(ike_exch_auth_failed_build(i, &m), 0);
	CHECK_INT(ike_exch_auth_failed_build(i, &resp2), -EBUSY);
	CHECK_INT(ike_sa_auth_build(i, &resp2), -EBUSY);
	CHECK_INT(ike_sa_handle_request(r, m.data, m.len, &resp, &qa), 1);
	CHECK_INT(r->state, IKE_ST_FAILED);
	CHECK_INT(r->auth.fail, want);
	CHECK(r->eap == NULL);
	CHECK(!qa.established);
	/* 1.4: the answer is an (empty) INFORMATIONAL response */
	CHECK(resp.len >= 28 && resp.data[18] == INFORMATIONAL &&
	      (resp.data[19] & IKE_FLAG_RESPONSE));
	peek(i, &resp, &pk);
	CHECK(!pk.has_eap && !pk.has_auth && pk.notify == 0);
	/* 2.1: a retransmission gets the same answer */
	CHECK_INT(ike_sa_handle_request(r, m.data, m.len, &resp2, &qa), 1);
	CHECK(resp2.len == resp.len && !memcmp(resp2.data, resp.data, resp.len));
	CHECK_INT(ike_sa_handle_response(i, resp.data, resp.len, &sa), 0);
	CHECK_INT(i->state, IKE_ST_FAILED);
	CHECK(i->eap == NULL);
	ike_sa_free(i);
	ike_sa_free(r);
	ike_buf_free(&m);
	ike_buf_free(&resp);
	ike_buf_free(&resp2);
}

/* RFC 3748 5.3.1: the responder offers EAP-TLS first, the client Naks
 * asking for MSCHAPv2, the responder switches. */
static void test_nak(void)
{
	struct ike_exch_cfg ci, cr;
	struct ike_sa *i = NULL, *r = NULL;
	struct run x;

	fprintf(stderr, "nak: TLS offered, MSCHAPv2 wanted\n");
	use_suite(&suites[0]);
	resp_cfg(&cr);
	cr.eap_first = EAP_TYPE_TLS;
	init_cfg(&ci, EAP_TYPE_MSCHAPV2, "alice", "correct horse battery staple");
	CHECK_INT(ike_sa_new(&ci, true, NULL, NULL, &i), 0);
	CHECK_INT(ike_sa_new(&cr, false, NULL, NULL, &r), 0);
	run(i, r, &x);
	check_established(i, r, &x);
	CHECK_INT(x.exchanges, 6);
	CHECK_INT(r->auth.method, IKE_PM_EAP_MSCHAPV2);
	ike_sa_free(i);
	ike_sa_free(r);
	run_free(&x);

	/* only TLS allowed: the Nak leaves nothing to switch to */
	fprintf(stderr, "nak: nothing acceptable\n");
	resp_cfg(&cr);
	cr.methods = IKE_EXCH_M_EAP_TLS;
	init_cfg(&ci, EAP_TYPE_MSCHAPV2, "alice", "correct horse battery staple");
	CHECK_INT(ike_sa_new(&ci, true, NULL, NULL, &i), 0);
	CHECK_INT(ike_sa_new(&cr, false, NULL, NULL, &r), 0);
	run(i, r, &x);
	CHECK_INT(x.rc, -EPROTO);
	CHECK_INT(x.qa.notify, IKE_N_AUTHENTICATION_FAILED);
	CHECK_INT(r->auth.fail, IKE_AF_METHOD);
	ike_sa_free(i);
	ike_sa_free(r);
	run_free(&x);
}

/* ---- EAP-TLS ---------------------------------------------------------------------- */

static void test_tls(SSL_CTX *client, int want_version, uint8_t want_fail)
{
	struct ike_exch_cfg ci, cr;
	struct ike_sa *i = NULL, *r = NULL;
	struct run x;

	fprintf(stderr, "eap-tls: version %x, expect %s\n", want_version,
		ike_auth_fail_name(want_fail));
	use_suite(&suites[1]);
	resp_cfg(&cr);
	init_cfg(&ci, EAP_TYPE_TLS, "alice", NULL);
	ci.eap_tls = client;
	CHECK_INT(ike_sa_new(&ci, true, NULL, NULL, &i), 0);
	CHECK_INT(ike_sa_new(&cr, false, NULL, NULL, &r), 0);
	run(i, r, &x);
	CHECK_INT(r->auth.method, IKE_PM_EAP_TLS);
	CHECK(r->auth.cert.present);
	if (want_fail == IKE_AF_NONE) {
		uint8_t fp[32];
		unsigned int fl = 0;

		check_established(i, r, &x);
		check_user(r, "alice");
		/* the certificate the daemon logs: subject, issuer, SHA-256 */
		CHECK(strstr(r->auth.cert.subject, "CN=alice") != NULL);
		CHECK(strstr(r->auth.cert.issuer, "CN=rag EAP test CA") != NULL);
		CHECK(EVP_Digest(cli_chunk.ptr, cli_chunk.len, fp, &fl,
				 EVP_sha256(), NULL) && fl == 32);
		CHECK_MEM(r->auth.cert.sha256, fp, 32);
		CHECK(r->auth.cert.serial[0] != 0);
	} else {
		CHECK_INT(x.rc, -EPROTO);
		CHECK_INT(x.qa.notify, IKE_N_AUTHENTICATION_FAILED);
		CHECK_INT(r->state, IKE_ST_FAILED);
		CHECK_INT(r->auth.fail, want_fail);
	}
	ike_sa_free(i);
	ike_sa_free(r);
	run_free(&x);
}

/* Independent MSK: key log (TLS 1.3 EXPORTER_SECRET) and the handshake's
 * master secret / randoms (TLS 1.2), recomputed with EVP_KDF. */
static uint8_t kl_exporter[64];
static size_t kl_exporter_len;
static uint8_t hs_master[48], hs_cr[32], hs_sr[32];
static const EVP_MD *hs_md;

static void keylog_cb(const SSL *ssl, const char *line)
{
	const char *p;
	size_t n;
	uint8_t *b;

	(void)ssl;
	if (strncmp(line, "EXPORTER_SECRET ", 16) != 0)
		return;
	p = strchr(line + 16, ' ');
	if (!p)
		return;
	b = check_unhex(p + 1, &n);
	if (n <= sizeof(kl_exporter)) {
		memcpy(kl_exporter, b, n);
		kl_exporter_len = n;
	}
	free(b);
}

static void info_cb(const SSL *ssl, int where, int ret)
{
	(void)ret;
	if (!(where & SSL_CB_HANDSHAKE_DONE))
		return;
	SSL_get_client_random(ssl, hs_cr, sizeof(hs_cr));
	SSL_get_server_random(ssl, hs_sr, sizeof(hs_sr));
	SSL_SESSION_get_master_key(SSL_get_session(ssl), hs_master,
				   sizeof(hs_master));
	hs_md = SSL_CIPHER_get_handshake_digest(SSL_get_current_cipher(ssl));
}

/* HKDF-Expand-Label (RFC 8446 7.1). */
static void hkdf_expand_label(const EVP_MD *md, const uint8_t *secret,
			      size_t slen, const char *label,
			      const uint8_t *ctx, size_t clen, uint8_t *out,
			      size_t olen)
{
	uint8_t info[2 + 1 + 255 + 1 + 255];
	size_t n = 0, ll = 6 + strlen(label);
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *k = EVP_KDF_CTX_new(kdf);
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM prm[5];

	info[n++] = (uint8_t)(olen >> 8);
	info[n++] = (uint8_t)olen;
	info[n++] = (uint8_t)ll;
	memcpy(info + n, "tls13 ", 6);
	memcpy(info + n + 6, label, strlen(label));
	n += ll;
	info[n++] = (uint8_t)clen;
	memcpy(info + n, ctx, clen);
	n += clen;
	prm[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						  (char *)EVP_MD_get0_name(md), 0);
	prm[1] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	prm[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						   (void *)secret, slen);
	prm[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, n);
	prm[4] = OSSL_PARAM_construct_end();
	if (!k || EVP_KDF_derive(k, out, olen, prm) != 1)
		abort();
	EVP_KDF_CTX_free(k);
	EVP_KDF_free(kdf);
}

/* RFC 9190 2.3 / RFC 8446 7.5 from the exporter master secret. */
static void msk13(uint8_t out[64])
{
	uint8_t empty_h[64], ctx_h[64], derived[64], km[128];
	unsigned int hl = 0;
	static const uint8_t tc = 0x0d;

	CHECK(EVP_Digest("", 0, empty_h, &hl, hs_md, NULL));
	hkdf_expand_label(hs_md, kl_exporter, kl_exporter_len,
			  "EXPORTER_EAP_TLS_Key_Material", empty_h, hl,
			  derived, hl);
	CHECK(EVP_Digest(&tc, 1, ctx_h, &hl, hs_md, NULL));
	hkdf_expand_label(hs_md, derived, hl, "exporter", ctx_h, hl, km,
			  sizeof(km));
	memcpy(out, km, 64);
}

/* RFC 5216 2.3: TLS-PRF-128(master, "client EAP encryption", cr || sr). */
static void msk12(uint8_t out[64])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	EVP_KDF_CTX *k = EVP_KDF_CTX_new(kdf);
	uint8_t seed[21 + 64], km[128];
	OSSL_PARAM prm[4];

	memcpy(seed, "client EAP encryption", 21);
	memcpy(seed + 21, hs_cr, 32);
	memcpy(seed + 53, hs_sr, 32);
	prm[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						  (char *)EVP_MD_get0_name(hs_md), 0);
	prm[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET,
						   hs_master, sizeof(hs_master));
	prm[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed,
						   sizeof(seed));
	prm[3] = OSSL_PARAM_construct_end();
	if (!k || EVP_KDF_derive(k, km, sizeof(km), prm) != 1)
		abort();
	memcpy(out, km, 64);
	EVP_KDF_CTX_free(k);
	EVP_KDF_free(kdf);
}

/* The EAP-TLS engine alone: fragments, acks, commitment, MSK. */
static void test_tls_unit(SSL_CTX *client, int want_version)
{
	struct ike_eap_tls *s = NULL, *c = NULL;
	struct ike_buf a, b;
	struct ike_key ms = { 0 }, mc = { 0 };
	uint8_t want[64];
	int rounds = 0, r = 0, frags = 0;

	fprintf(stderr, "eap-tls engine, version %x\n", want_version);
	SSL_CTX_set_keylog_callback(client, keylog_cb);
	SSL_CTX_set_info_callback(client, info_cb);
	kl_exporter_len = 0;
	hs_md = NULL;
	ike_buf_init(&a);
	ike_buf_init(&b);
	CHECK_INT(ike_eap_tls_new(srv_tls, true, (int64_t)time(NULL), &s), 0);
	CHECK_INT(ike_eap_tls_new(client, false, (int64_t)time(NULL), &c), 0);
	CHECK_INT(ike_eap_tls_start(s, &a), 0);
	CHECK_INT(a.len, 1);
	CHECK_INT(a.data[0], EAP_TLS_FLAG_S);
	while (rounds++ < 40) {
		/* RFC 5216 3.1: L on the first fragment, M on all but the last */
		if (a.len && (a.data[0] & EAP_TLS_FLAG_M)) {
			frags++;
			CHECK(a.len <= 1 + 4 + IKE_EAP_TLS_FRAG_LEN);
		}
		r = ike_eap_tls_step(c, a.data, a.len, &b);
		CHECK_INT(r, 0);
		if (r)
			break;
		r = ike_eap_tls_step(s, b.data, b.len, &a);
		CHECK(r == 0 || r == 1);
		if (r != 0)
			break;
	}
	CHECK_INT(r, 1);
	CHECK(frags > 0);	/* the RSA-2048 chain does not fit in 1024 */
	CHECK(ike_eap_tls_done(s) && ike_eap_tls_done(c));
	CHECK_INT(ike_eap_tls_version(s), want_version);
	CHECK_INT(ike_eap_tls_version(c), want_version);
	CHECK_INT(ike_eap_tls_msk(s, &ms), 0);
	CHECK_INT(ike_eap_tls_msk(c, &mc), 0);
	CHECK(key_eq(&ms, &mc));
	CHECK_INT(ms.len, 64);
	CHECK(hs_md != NULL);
	if (hs_md && ms.len == 64) {
		if (want_version == TLS1_3_VERSION) {
			CHECK(kl_exporter_len > 0);
			msk13(want);
		} else {
			msk12(want);
		}
		CHECK_MEM(ms.ptr, want, 64);
	}
	/* after completion nothing more is accepted */
	CHECK(ike_eap_tls_step(s, b.data, b.len, &a) < 0);
	ike_key_free(&ms);
	ike_key_free(&mc);
	ike_eap_tls_free(s);
	ike_eap_tls_free(c);
	ike_buf_free(&a);
	ike_buf_free(&b);
	SSL_CTX_set_keylog_callback(client, NULL);
	SSL_CTX_set_info_callback(client, NULL);
}

/* RFC 5216 3.1 framing. */
static void test_tls_parse(void)
{
	static const uint8_t l_ok[] = { 0xc0, 0, 0, 0, 0x10, 0, 1, 2 };
	static const uint8_t l_short[] = { 0x80, 0, 0 };
	static const uint8_t l_zero[] = { 0x80, 0, 0, 0, 0 };
	static const uint8_t l_big[] = { 0x80, 0, 0x01, 0, 1, 7 };
	static const uint8_t l_less[] = { 0x80, 0, 0, 0, 1, 7, 8 };
	static const uint8_t m_empty[] = { 0x40 };
	struct ike_eap_tls_pkt p;

	CHECK_INT(ike_eap_tls_parse(l_ok, sizeof(l_ok), &p), 0);
	CHECK(p.has_len && p.tls_len == 16 && p.len == 3);
	CHECK_INT(ike_eap_tls_parse(l_ok, 0, &p), -EBADMSG);
	CHECK_INT(ike_eap_tls_parse(l_short, sizeof(l_short), &p), -EBADMSG);
	CHECK_INT(ike_eap_tls_parse(l_zero, sizeof(l_zero), &p), -EBADMSG);
	CHECK_INT(ike_eap_tls_parse(l_big, sizeof(l_big), &p), -E2BIG);
	CHECK_INT(ike_eap_tls_parse(l_less, sizeof(l_less), &p), -EBADMSG);
	CHECK_INT(ike_eap_tls_parse(m_empty, sizeof(m_empty), &p), -EBADMSG);
}

/* ---- policy ---------------------------------------------------------------------- */

/* cfg->methods: an EAP client against a gateway allowing only psk/pubkey,
 * and a PSK client against one allowing only EAP. */
static void test_methods(void)
{
	static const uint8_t id_c[] = "client.example";
	struct ike_exch_cfg ci, cr;
	struct ike_sa *i = NULL, *r = NULL;
	struct run x;

	fprintf(stderr, "methods policy\n");
	use_suite(&suites[0]);
	resp_cfg(&cr);
	cr.methods = IKE_EXCH_M_PSK | IKE_EXCH_M_PUBKEY;
	cr.psk_lookup = psk_cb;
	init_cfg(&ci, EAP_TYPE_MSCHAPV2, "alice", "correct horse battery staple");
	CHECK_INT(ike_sa_new(&ci, true, NULL, NULL, &i), 0);
	CHECK_INT(ike_sa_new(&cr, false, NULL, NULL, &r), 0);
	run(i, r, &x);
	CHECK_INT(x.rc, -EPROTO);
	CHECK_INT(x.sa.notify, IKE_N_AUTHENTICATION_FAILED);
	CHECK_INT(r->auth.fail, IKE_AF_METHOD);
	CHECK_INT(x.exchanges, 1);
	ike_sa_free(i);
	ike_sa_free(r);
	run_free(&x);

	/* PSK (looked up by IKE ID) accepted when allowed */
	init_cfg(&ci, 0, NULL, NULL);
	ci.auth = IKE_EXCH_AUTH_PSK;
	ci.psk = psk;
	ci.psk_len = sizeof(psk) - 1;
	ci.id_type = IKE_ID_FQDN;
	ci.id = id_c;
	ci.id_len = sizeof(id_c) - 1;
	CHECK_INT(ike_sa_new(&ci, true, NULL, NULL, &i), 0);
	CHECK_INT(ike_sa_new(&cr, false, NULL, NULL, &r), 0);
	run(i, r, &x);
	check_established(i, r, &x);
	CHECK_INT(r->auth.method, IKE_PM_PSK);
	CHECK_INT(x.exchanges, 1);
	ike_sa_free(i);
	ike_sa_free(r);
	run_free(&x);

	/* ... and refused when only EAP is */
	resp_cfg(&cr);
	CHECK_INT(ike_sa_new(&ci, true, NULL, NULL, &i), 0);
	CHECK_INT(ike_sa_new(&cr, false, NULL, NULL, &r), 0);
	run(i, r, &x);
	CHECK_INT(x.rc, -EPROTO);
	CHECK_INT(x.qa.notify, IKE_N_AUTHENTICATION_FAILED);
	CHECK_INT(r->auth.fail, IKE_AF_METHOD);
	ike_sa_free(i);
	ike_sa_free(r);
	run_free(&x);

	/* an unknown PSK identity */
	resp_cfg(&cr);
	cr.methods = IKE_EXCH_M_PSK;
	cr.psk_lookup = psk_cb;
	ci.id = (const uint8_t *)"stranger.example";
	ci.id_len = 16;
	CHECK_INT(ike_sa_new(&ci, true, NULL, NULL, &i), 0);
	CHECK_INT(ike_sa_new(&cr, false, NULL, NULL, &r), 0);
	run(i, r, &x);
	CHECK_INT(x.rc, -EPROTO);
	CHECK_INT(r->auth.fail, IKE_AF_UNKNOWN_USER);
	ike_sa_free(i);
	ike_sa_free(r);
	run_free(&x);

	/* configuration errors are refused up front */
	resp_cfg(&cr);
	cr.eap_nt_hash = NULL;
	CHECK_INT(ike_sa_new(&cr, false, NULL, NULL, &r), -EINVAL);
	init_cfg(&ci, EAP_TYPE_MSCHAPV2, "alice", NULL);
	CHECK_INT(ike_sa_new(&ci, true, NULL, NULL, &i), -EINVAL);
	init_cfg(&ci, 99, "alice", "x");
	CHECK_INT(ike_sa_new(&ci, true, NULL, NULL, &i), -EINVAL);
}

/* New initiator (ci) and responder (cr) SAs, run to the end. */
static void pair_run(const struct ike_exch_cfg *ci, const struct ike_exch_cfg *cr,
		     struct ike_sa **i, struct ike_sa **r, struct run *x)
{
	CHECK_INT(ike_sa_new(ci, true, NULL, NULL, i), 0);
	CHECK_INT(ike_sa_new(cr, false, NULL, NULL, r), 0);
	run(*i, *r, x);
}

static void pair_free(struct ike_sa *i, struct ike_sa *r, struct run *x)
{
	ike_sa_free(i);
	ike_sa_free(r);
	run_free(x);
}

/*
 * NetworkManager-strongswan, iOS and Android in their PSK modes expect the
 * gateway's AUTH by the same pre-shared key (RFC 7296 2.15: "... AUTH ...
 * using the shared secret", each side choosing its method).  With
 * cfg->psk_reply the responder answers a method-2 initiator with the key
 * psk_lookup() found for it, and sends no CERT; without it, such a client
 * (which accepts only PSK from us) refuses our signature.
 */
static void test_psk_reply(void)
{
	static const uint8_t id_c[] = "client.example";
	static const uint8_t wrong[] = "not the shared secret of the peers";
	struct ike_exch_cfg ci, cr;
	struct ike_sa *i = NULL, *r = NULL;
	struct run x;
	struct peek pk;

	fprintf(stderr, "PSK both ways (psk_reply)\n");
	use_suite(&suites[1]);
	resp_cfg(&cr);
	cr.methods |= IKE_EXCH_M_PSK;
	cr.psk_lookup = psk_cb;
	cr.psk_reply = true;
	init_cfg(&ci, 0, NULL, NULL);
	ci.auth = ci.peer_auth = IKE_EXCH_AUTH_PSK;
	ci.psk = ci.peer_psk = psk;
	ci.psk_len = ci.peer_psk_len = sizeof(psk) - 1;
	ci.id_type = IKE_ID_FQDN;
	ci.id = id_c;
	ci.id_len = sizeof(id_c) - 1;
	ci.peer_id_type = IKE_ID_FQDN;
	ci.peer_id = id_srv;
	ci.peer_id_len = sizeof(id_srv) - 1;
	pair_run(&ci, &cr, &i, &r, &x);
	CHECK_INT(x.rc, 0);
	CHECK(x.sa.established && x.qa.established);
	CHECK_INT(x.exchanges, 1);
	CHECK_INT(r->auth.method, IKE_PM_PSK);
	CHECK_INT(i->auth.method, IKE_PM_PSK);	/* the gateway used the PSK */
	CHECK_INT(i->peer_auth_method, IKE_AUTH_PSK);
	CHECK(x.sa.child >= 0 && i->cp_have_ip4);
	CHECK(r->reply_psk.ptr == NULL);	/* wiped after IKE_AUTH */
	peek(i, &x.last_resp, &pk);
	CHECK(pk.has_auth && pk.has_idr && pk.has_sa && !pk.has_cert);
	pair_free(i, r, &x);

	/* a wrong key: AUTHENTICATION_FAILED, and no AUTH of ours at all */
	ci.psk = wrong;
	ci.psk_len = sizeof(wrong) - 1;
	pair_run(&ci, &cr, &i, &r, &x);
	CHECK_INT(x.rc, -EPROTO);
	CHECK_INT(x.qa.notify, IKE_N_AUTHENTICATION_FAILED);
	CHECK_INT(r->auth.fail, IKE_AF_BAD_AUTH);
	CHECK(r->reply_psk.ptr == NULL);
	peek(i, &x.last_resp, &pk);
	CHECK(!pk.has_auth && !pk.has_cert);
	pair_free(i, r, &x);

	/* without psk_reply the gateway signs, which this client refuses */
	ci.psk = psk;
	ci.psk_len = sizeof(psk) - 1;
	cr.psk_reply = false;
	pair_run(&ci, &cr, &i, &r, &x);
	CHECK_INT(x.rc, -EACCES);
	CHECK_INT(i->state, IKE_ST_FAILED);
	CHECK_INT(i->auth.fail, IKE_AF_METHOD);
	peek(i, &x.last_resp, &pk);
	CHECK(pk.has_auth && pk.has_cert);
	pair_free(i, r, &x);

	/* psk_reply changes nothing for a certificate / EAP client */
	cr.psk_reply = true;
	init_cfg(&ci, EAP_TYPE_MSCHAPV2, "alice", "correct horse battery staple");
	pair_run(&ci, &cr, &i, &r, &x);
	check_established(i, r, &x);
	pair_free(i, r, &x);
}

/* Issue 3: "one whose IDr names neither `id` nor a SAN of our certificate
 * gets AUTHENTICATION_FAILED". */
static void test_idr(const char *idr, bool ok)
{
	struct ike_exch_cfg ci, cr;
	struct ike_sa *i = NULL, *r = NULL;
	struct run x;

	fprintf(stderr, "IDr %s\n", idr);
	use_suite(&suites[0]);
	resp_cfg(&cr);
	init_cfg(&ci, EAP_TYPE_MSCHAPV2, "alice", "correct horse battery staple");
	ci.peer_id_type = IKE_ID_FQDN;
	ci.peer_id = (const uint8_t *)idr;
	ci.peer_id_len = strlen(idr);
	CHECK_INT(ike_sa_new(&ci, true, NULL, NULL, &i), 0);
	CHECK_INT(ike_sa_new(&cr, false, NULL, NULL, &r), 0);
	run(i, r, &x);
	if (ok) {
		/* accepted by the responder (which always answers with its
		 * configured id; whether the client then accepts that is the
		 * client's policy) */
		CHECK_INT(r->auth.fail, IKE_AF_NONE);
		CHECK_INT(x.qa.notify, 0);
		if (!strcmp(idr, (const char *)id_srv))
			check_established(i, r, &x);
	} else {
		CHECK_INT(x.rc, -EPROTO);
		CHECK_INT(x.qa.notify, IKE_N_AUTHENTICATION_FAILED);
		CHECK_INT(r->auth.fail, IKE_AF_PEER_ID);
		CHECK_INT(x.exchanges, 1);
	}
	ike_sa_free(i);
	ike_sa_free(r);
	run_free(&x);
}

/* ---- limits (STYLE rule 6) ------------------------------------------------------- */

/* A hand-made IKE_AUTH request from the initiator carrying one payload. */
static int send_raw(struct ike_sa *i, struct ike_sa *r, uint32_t msg_id,
		    uint8_t type, const struct ike_buf *pkt,
		    struct ike_buf *resp, struct ike_exch_result *res)
{
	struct ike_buf inner, m;
	struct ike_msg_builder mb;
	struct ike_hdr h;
	int rc;

	ike_buf_init(&inner);
	ike_buf_init(&m);
	ike_mb_begin_chain(&mb, &inner);
	ike_pl_build_raw(&mb, type, false, pkt->data, pkt->len);
	CHECK(ike_mb_finish(&mb) > 0);
	memset(&h, 0, sizeof(h));
	memcpy(h.spi_i, i->spi_i, 8);
	memcpy(h.spi_r, i->spi_r, 8);
	h.version = IKE_VERSION;
	h.exchange = IKE_AUTH;
	h.flags = IKE_FLAG_INITIATOR;
	h.msg_id = msg_id;
	CHECK_INT(ike_sk_build(&i->keys, true, &m, &h, mb.first, inner.data,
			       inner.len, NULL), 0);
	rc = ike_sa_handle_request(r, m.data, m.len, resp, res);
	ike_buf_free(&inner);
	ike_buf_free(&m);
	return rc;
}

static int send_raw_eap(struct ike_sa *i, struct ike_sa *r, uint32_t msg_id,
			const struct ike_buf *pkt, struct ike_buf *resp,
			struct ike_exch_result *res)
{
	return send_raw(i, r, msg_id, IKE_PL_EAP, pkt, resp, res);
}

/* EAP-TLS fragments that never end: the 51st round fails (rounds bound);
 * fragments over IKE_EAP_TLS_MAX_MSG fail at once (data bound). */
static void test_limits(size_t frag, int want_rounds)
{
	struct ike_exch_cfg ci, cr;
	struct ike_sa *i = NULL, *r = NULL;
	struct ike_buf m, resp, pkt;
	struct ike_exch_result qa, sa;
	struct peek pk;
	uint8_t *junk = calloc(1, frag);
	int rc, k;

	fprintf(stderr, "limits: %zu-byte fragments\n", frag);
	use_suite(&suites[0]);
	resp_cfg(&cr);
	cr.eap_identity_round = false;
	cr.eap_first = EAP_TYPE_TLS;
	init_cfg(&ci, EAP_TYPE_TLS, "alice", NULL);
	ike_buf_init(&m);
	ike_buf_init(&resp);
	ike_buf_init(&pkt);
	CHECK_INT(ike_sa_new(&ci, true, NULL, NULL, &i), 0);
	CHECK_INT(ike_sa_new(&cr, false, NULL, NULL, &r), 0);
	CHECK_INT(ike_sa_init_build(i, &m), 0);
	CHECK_INT(ike_sa_handle_request(r, m.data, m.len, &resp, &qa), 1);
	CHECK_INT(ike_sa_handle_response(i, resp.data, resp.len, &sa), 0);
	CHECK_INT(ike_sa_auth_build(i, &m), 0);
	CHECK_INT(ike_sa_handle_request(r, m.data, m.len, &resp, &qa), 1);
	peek(i, &resp, &pk);	/* EAP-TLS Start */
	CHECK(pk.has_eap && pk.eap.type == EAP_TYPE_TLS);
	for (k = 1; k <= 60; k++) {
		ike_buf_reset(&pkt);
		ike_buf_put_u8(&pkt, EAP_RESPONSE);
		ike_buf_put_u8(&pkt, pk.eap.id);
		ike_buf_put_u16(&pkt, (uint16_t)(5 + 1 + 4 + frag));
		ike_buf_put_u8(&pkt, EAP_TYPE_TLS);
		ike_buf_put_u8(&pkt, EAP_TLS_FLAG_L | EAP_TLS_FLAG_M);
		ike_buf_put_u32(&pkt, IKE_EAP_TLS_MAX_MSG);
		ike_buf_put(&pkt, junk, frag);
		rc = send_raw_eap(i, r, (uint32_t)(k + 1), &pkt, &resp, &qa);
		CHECK_INT(rc, 1);
		if (rc != 1)
			break;
		peek(i, &resp, &pk);
		if (qa.notify)
			break;
		CHECK(qa.auth_continue);
		/* RFC 5216 3.1: each fragment is acknowledged (flags 0) */
		CHECK(pk.has_eap && pk.eap.type_len == 1 &&
		      pk.eap.type_data[0] == 0);
	}
	CHECK_INT(k, want_rounds);
	CHECK_INT(qa.notify, IKE_N_AUTHENTICATION_FAILED);
	CHECK(pk.has_eap && pk.eap.code == EAP_FAILURE);
	CHECK_INT(r->auth.fail, IKE_AF_PROTOCOL);
	CHECK_INT(r->state, IKE_ST_FAILED);
	ike_sa_free(i);
	ike_sa_free(r);
	ike_buf_free(&m);
	ike_buf_free(&resp);
	ike_buf_free(&pkt);
	free(junk);
}

/* An EAP Response whose Identifier is not our request's: refused. */
static void test_wrong_identifier(void)
{
	struct ike_exch_cfg ci, cr;
	struct ike_sa *i = NULL, *r = NULL;
	struct ike_buf m, resp, pkt;
	struct ike_exch_result qa, sa;
	struct peek pk;

	fprintf(stderr, "wrong EAP identifier\n");
	use_suite(&suites[0]);
	resp_cfg(&cr);
	init_cfg(&ci, EAP_TYPE_MSCHAPV2, "alice", "x");
	ike_buf_init(&m);
	ike_buf_init(&resp);
	ike_buf_init(&pkt);
	CHECK_INT(ike_sa_new(&ci, true, NULL, NULL, &i), 0);
	CHECK_INT(ike_sa_new(&cr, false, NULL, NULL, &r), 0);
	CHECK_INT(ike_sa_init_build(i, &m), 0);
	CHECK_INT(ike_sa_handle_request(r, m.data, m.len, &resp, &qa), 1);
	CHECK_INT(ike_sa_handle_response(i, resp.data, resp.len, &sa), 0);
	CHECK_INT(ike_sa_auth_build(i, &m), 0);
	CHECK_INT(ike_sa_handle_request(r, m.data, m.len, &resp, &qa), 1);
	peek(i, &resp, &pk);
	CHECK(pk.has_eap && pk.eap.type == EAP_TYPE_IDENTITY);
	ike_buf_put_u8(&pkt, EAP_RESPONSE);
	ike_buf_put_u8(&pkt, (uint8_t)(pk.eap.id + 1));
	ike_buf_put_u16(&pkt, 10);
	ike_buf_put_u8(&pkt, EAP_TYPE_IDENTITY);
	ike_buf_put(&pkt, "alice", 5);
	CHECK_INT(send_raw_eap(i, r, 2, &pkt, &resp, &qa), 1);
	CHECK_INT(qa.notify, IKE_N_AUTHENTICATION_FAILED);
	CHECK_INT(r->auth.fail, IKE_AF_PROTOCOL);
	ike_sa_free(i);
	ike_sa_free(r);
	ike_buf_free(&m);
	ike_buf_free(&resp);
	ike_buf_free(&pkt);
}

/* ---- address assignment after authentication --------------------------------- */

static int cp_calls;

static int cp_cb(void *arg, const struct ike_sa *sa, struct ike_cp_reply *out)
{
	CHECK(arg == &n_lookups);
	cp_calls++;
	/* called once the user is known (the pool keys on it) */
	if (sa->auth.user_len != 5 || memcmp(sa->auth.user, "alice", 5) != 0)
		return -ENOSPC;
	out->has_ip4 = true;
	memcpy(out->ip4, (uint8_t[]){ 10, 8, 0, 77 }, 4);
	return 0;
}

/* 3.15.4: cp_assign chooses the address; a refusal is
 * INTERNAL_ADDRESS_FAILURE with the IKE SA up and no CHILD SA.  2.4:
 * INITIAL_CONTACT of the first request is reported at the end of EAP. */
static void test_cp_assign(void)
{
	struct ike_exch_cfg ci, cr;
	struct ike_sa *i = NULL, *r = NULL;
	struct run x;

	fprintf(stderr, "cp_assign\n");
	use_suite(&suites[0]);
	resp_cfg(&cr);
	cr.cp_assign = cp_cb;
	cr.mobike = true;
	init_cfg(&ci, EAP_TYPE_MSCHAPV2, "alice", "correct horse battery staple");
	ci.initial_contact = true;
	ci.mobike = true;
	CHECK_INT(ike_sa_new(&ci, true, NULL, NULL, &i), 0);
	CHECK_INT(ike_sa_new(&cr, false, NULL, NULL, &r), 0);
	cp_calls = 0;
	run(i, r, &x);
	CHECK_INT(x.rc, 0);
	CHECK(x.qa.established && x.sa.established);
	CHECK_INT(cp_calls, 1);
	CHECK(i->cp_have_ip4);
	CHECK_MEM(i->cp_ip4, ((uint8_t[]){ 10, 8, 0, 77 }), 4);
	CHECK(x.qa.initial_contact);
	CHECK(r->mobike && i->mobike);
	ike_sa_free(i);
	ike_sa_free(r);
	run_free(&x);

	fprintf(stderr, "cp_assign refuses\n");
	init_cfg(&ci, EAP_TYPE_MSCHAPV2, "CORP\\carol@corp.example", "pässwörd");
	CHECK_INT(ike_sa_new(&ci, true, NULL, NULL, &i), 0);
	CHECK_INT(ike_sa_new(&cr, false, NULL, NULL, &r), 0);
	run(i, r, &x);
	CHECK_INT(x.rc, -EPROTO);
	CHECK(x.qa.established && x.sa.established);
	CHECK_INT(x.qa.notify, IKE_N_INTERNAL_ADDRESS_FAILURE);
	CHECK_INT(x.sa.notify, IKE_N_INTERNAL_ADDRESS_FAILURE);
	CHECK_INT(x.qa.child, -1);
	CHECK_INT(x.sa.child, -1);
	CHECK(!i->cp_have_ip4);
	ike_sa_free(i);
	ike_sa_free(r);
	run_free(&x);
}

/* 2.16: after EAP-Success the initiator's AUTH must be computed with the
 * MSK; a wrong one is AUTHENTICATION_FAILED, also when it uses a method
 * other than "Shared Key". */
static void test_bad_final_auth(uint8_t method)
{
	struct ike_exch_cfg ci, cr;
	struct ike_sa *i = NULL, *r = NULL;
	struct ike_buf m, resp, body;
	struct ike_exch_result qa, sa;
	struct peek pk;
	int rc, k;

	fprintf(stderr, "forged final AUTH, method %u\n", method);
	use_suite(&suites[0]);
	resp_cfg(&cr);
	init_cfg(&ci, EAP_TYPE_MSCHAPV2, "alice", "correct horse battery staple");
	ike_buf_init(&m);
	ike_buf_init(&resp);
	ike_buf_init(&body);
	CHECK_INT(ike_sa_new(&ci, true, NULL, NULL, &i), 0);
	CHECK_INT(ike_sa_new(&cr, false, NULL, NULL, &r), 0);
	CHECK_INT(ike_sa_init_build(i, &m), 0);
	CHECK_INT(ike_sa_handle_request(r, m.data, m.len, &resp, &qa), 1);
	CHECK_INT(ike_sa_handle_response(i, resp.data, resp.len, &sa), 0);
	/* run EAP until the responder sends EAP-Success */
	for (k = 0; k < 10; k++) {
		CHECK_INT(ike_sa_auth_build(i, &m), 0);
		CHECK_INT(ike_sa_handle_request(r, m.data, m.len, &resp, &qa), 1);
		peek(i, &resp, &pk);
		rc = ike_sa_handle_response(i, resp.data, resp.len, &sa);
		CHECK_INT(rc, -EAGAIN);
		if (pk.has_eap && pk.eap.code == EAP_SUCCESS)
			break;
	}
	CHECK(pk.has_eap && pk.eap.code == EAP_SUCCESS);
	/* AUTH body: method | RESERVED(3) | data that is not the MSK MAC */
	ike_buf_put_u8(&body, method);
	ike_buf_put_zero(&body, 3);
	ike_buf_put_zero(&body, 32);
	CHECK_INT(send_raw(i, r, r->peer_msg_id, IKE_PL_AUTH, &body, &resp,
			   &qa), 1);
	CHECK_INT(qa.notify, IKE_N_AUTHENTICATION_FAILED);
	CHECK(!qa.established);
	CHECK_INT(r->state, IKE_ST_FAILED);
	CHECK_INT(r->auth.fail, IKE_AF_BAD_AUTH);
	CHECK_INT(qa.child, -1);
	ike_sa_free(i);
	ike_sa_free(r);
	ike_buf_free(&m);
	ike_buf_free(&resp);
	ike_buf_free(&body);
}

int main(void)
{
	fixtures();
	for (size_t k = 0; k < sizeof(suites) / sizeof(suites[0]); k++)
		test_mschap_identity(&suites[k]);
	test_mschap_domain();
	test_mobike_eap();
	test_mschap_empty_identity();
	test_mschap_fail("alice", "wrong password", IKE_AF_BAD_PASSWORD,
			 MSCHAP_E_AUTHENTICATION_FAILURE);
	test_mschap_fail("nobody", "whatever", IKE_AF_UNKNOWN_USER,
			 MSCHAP_E_AUTHENTICATION_FAILURE);
	test_mschap_fail("bob", "bob's password", IKE_AF_LOCKED,
			 MSCHAP_E_ACCT_DISABLED);
	test_mschap_fail_informational("wrong password", IKE_AF_BAD_PASSWORD);
	test_mschap_fail_informational(NULL, IKE_AF_PEER_ABORT);
	test_nak();
	test_tls_parse();
	test_tls_unit(cli_tls, TLS1_3_VERSION);
	test_tls_unit(cli12_tls, TLS1_2_VERSION);
	test_tls(cli_tls, TLS1_3_VERSION, IKE_AF_NONE);
	test_tls(cli12_tls, TLS1_2_VERSION, IKE_AF_NONE);
	test_tls(other_tls, 0, IKE_AF_CERT_UNKNOWN_CA);
	test_tls(expired_tls, 0, IKE_AF_CERT_EXPIRED);
	test_methods();
	test_psk_reply();
	test_idr("server.example", true);
	test_idr("vpn.alias.example", true);
	test_idr("elsewhere.example", false);
	test_limits(16, IKE_EXCH_EAP_MAX_ROUNDS + 1);
	test_limits(30000, 3);
	test_wrong_identifier();
	test_cp_assign();
	test_bad_final_auth(IKE_AUTH_PSK);
	test_bad_final_auth(IKE_AUTH_RSA_SIG);
	fixtures_free();
	return check_done("twopeer_eap");
}
