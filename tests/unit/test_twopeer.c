/*
 * test_twopeer.c — an initiator and a responder (libike/ike_exchange.h)
 * exchange byte buffers in one process through IKE_SA_INIT, IKE_AUTH,
 * CREATE_CHILD_SA (new CHILD SA, CHILD rekey with and without PFS, IKE SA
 * rekey) and INFORMATIONAL (Delete, liveness), for every proposal family
 * libike supports, plus the error paths of RFC 7296.
 *
 * Coverage (a covering set, not the cross product — MODP 3072/4096 keygen is
 * slow under ASan, so each is used once):
 *   ENCR   AES-CBC-128/192/256, AES-GCM-8/12/16 x 128/192/256 (all nine),
 *          3DES (legacy groups 2 and 5)
 *   INTEG  HMAC-SHA1-96, SHA2-256-128, SHA2-384-192, SHA2-512-256
 *   PRF    HMAC-SHA1, SHA2-256, SHA2-384, SHA2-512, AES128-XCBC
 *   DH     2, 5, 14, 15, 16, 19, 20, 21, 31
 *   AUTH   PSK; RSA method 1; RSA method 14 (PKCS#1 v1.5 SHA-256 and PSS);
 *          ECDSA methods 9, 10, 11 and 14; Ed25519 method 14
 * Certificates are generated at run time with OpenSSL (a P-256 CA and one
 * end-entity certificate per key type naming both test identities).
 */
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "ike_exchange.h"
#include "ike_payload.h"

/* ---- fixtures ---------------------------------------------------------------- */

enum keykind { K_RSA, K_P256, K_P384, K_P521, K_ED25519, K_MAX };

static X509_STORE *trust;
static EVP_PKEY *ca_key;
static X509 *ca_cert;
static EVP_PKEY *ee_key[K_MAX];
static uint8_t *ee_der[K_MAX];
static struct ike_chunk ee_chunk[K_MAX];
static long serial = 1;

static EVP_PKEY *genkey(enum keykind k)
{
	switch (k) {
	case K_RSA: return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	case K_P256: return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	case K_P384: return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	case K_P521: return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	default: return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	}
}

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

/* CA (issuer NULL) or end-entity certificate for key. */
static X509 *mkcert(EVP_PKEY *key, const char *cn)
{
	X509 *x = X509_new();
	X509_NAME *n;

	if (!x || !key)
		abort();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 30);
	X509_set_pubkey(x, key);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	if (!ca_cert) {
		X509_set_issuer_name(x, n);
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		X509_set_issuer_name(x, X509_get_subject_name(ca_cert));
		add_ext(x, ca_cert, NID_subject_alt_name,
			"DNS:client.example,DNS:server.example");
	}
	if (!X509_sign(x, ca_cert ? ca_key : key, EVP_sha256()))
		abort();
	return x;
}

static void fixtures(void)
{
	ca_key = genkey(K_P256);
	ca_cert = mkcert(ca_key, "rag test CA");
	trust = X509_STORE_new();
	if (!trust || !X509_STORE_add_cert(trust, ca_cert))
		abort();
	for (int k = 0; k < K_MAX; k++) {
		X509 *x;
		int len;

		ee_key[k] = genkey((enum keykind)k);
		x = mkcert(ee_key[k], "rag test peer");
		ee_der[k] = NULL;
		len = i2d_X509(x, &ee_der[k]);
		if (len <= 0)
			abort();
		ee_chunk[k].ptr = ee_der[k];
		ee_chunk[k].len = (size_t)len;
		X509_free(x);
	}
}

static void fixtures_free(void)
{
	for (int k = 0; k < K_MAX; k++) {
		EVP_PKEY_free(ee_key[k]);
		OPENSSL_free(ee_der[k]);
	}
	X509_STORE_free(trust);
	X509_free(ca_cert);
	EVP_PKEY_free(ca_key);
}

/* One proposal; keylen 0 = none, integ/prf/dh/esn < 0 = absent. */
static struct ike_proposal mkprop(uint8_t proto, uint16_t encr, uint16_t kl,
				  int integ, int prf, int dh, int dh2, int esn)
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
	if (dh2 >= 0)
		p.tr[p.n_transforms++] = (struct ike_transform){ IKE_TR_DH, (uint16_t)dh2, 0, false };
	if (esn >= 0)
		p.tr[p.n_transforms++] = (struct ike_transform){ IKE_TR_ESN, (uint16_t)esn, 0, false };
	return p;
}

static void ts_cidr(struct ike_ts_list *l, const char *a4, unsigned int pfx)
{
	uint8_t a[4];
	unsigned int b[4];

	if (sscanf(a4, "%u.%u.%u.%u", &b[0], &b[1], &b[2], &b[3]) != 4)
		abort();
	for (int i = 0; i < 4; i++)
		a[i] = (uint8_t)b[i];
	l->n = 1;
	if (ike_ts_from_cidr(&l->ts[0], IKE_TS_IPV4_ADDR_RANGE, a, pfx, 0, 0, 65535))
		abort();
}

static const uint8_t id_i[] = "client.example";
static const uint8_t id_r[] = "server.example";
static const uint8_t psk[] = "a shared secret of the two peers";

/* A configuration with PSK on both sides, 0.0.0.0/0 both ways. */
static void base_cfg(struct ike_exch_cfg *c, bool initiator)
{
	memset(c, 0, sizeof(*c));
	c->id_type = IKE_ID_FQDN;
	c->id = initiator ? id_i : id_r;
	c->id_len = sizeof(id_i) - 1;
	c->auth = c->peer_auth = IKE_EXCH_AUTH_PSK;
	c->psk = c->peer_psk = psk;
	c->psk_len = c->peer_psk_len = sizeof(psk) - 1;
	c->trust = trust;
	c->now = (int64_t)time(NULL);
	ts_cidr(&c->ts_local, "0.0.0.0", 0);
	ts_cidr(&c->ts_remote, "0.0.0.0", 0);
}

static void use_cert(struct ike_exch_cfg *c, enum keykind k, bool classic,
		     bool pss)
{
	c->auth = IKE_EXCH_AUTH_SIG;
	c->key = ee_key[k];
	c->certs = &ee_chunk[k];
	c->n_certs = 1;
	c->no_hash_algs = classic;
	c->rsa_pss = pss;
}

static bool key_eq(const struct ike_key *a, const struct ike_key *b)
{
	return a->len == b->len && a->len > 0 && memcmp(a->ptr, b->ptr, a->len) == 0;
}

/* "the two directions of traffic ... SK_d, SK_ai ... computed" (2.14):
 * both sides must derive byte-identical keys. */
static void check_same_keys(const struct ike_sa *i, const struct ike_sa *r)
{
	CHECK(key_eq(&i->keys.sk_d, &r->keys.sk_d));
	CHECK(key_eq(&i->keys.sk_ei, &r->keys.sk_ei));
	CHECK(key_eq(&i->keys.sk_er, &r->keys.sk_er));
	CHECK(key_eq(&i->keys.sk_pi, &r->keys.sk_pi));
	CHECK(key_eq(&i->keys.sk_pr, &r->keys.sk_pr));
	if (i->keys.integ) {
		CHECK(key_eq(&i->keys.sk_ai, &r->keys.sk_ai));
		CHECK(key_eq(&i->keys.sk_ar, &r->keys.sk_ar));
	}
	CHECK(!key_eq(&i->keys.sk_ei, &i->keys.sk_er));
}

/* 2.17: both ends compute the same KEYMAT; each end's inbound SPI is the
 * other's outbound SPI. */
static void check_same_child(const struct ike_sa *i, int ci,
			     const struct ike_sa *r, int cr)
{
	CHECK(ci >= 0 && cr >= 0);
	if (ci < 0 || cr < 0)
		return;
	CHECK(i->child[ci].in_use && r->child[cr].in_use);
	CHECK(key_eq(&i->child[ci].keymat, &r->child[cr].keymat));
	CHECK_INT(i->child[ci].spi_in, r->child[cr].spi_out);
	CHECK_INT(i->child[ci].spi_out, r->child[cr].spi_in);
	CHECK_INT(i->child[ci].encr, r->child[cr].encr);
	CHECK_INT(i->child[ci].keymat.len,
		  2 * (i->child[ci].encr_len + i->child[ci].integ_len));
}

/* Move a request from a to b and the response back.  Returns the
 * response handler's result; *resp_res gets b's result. */
static int roundtrip(struct ike_sa *a, const struct ike_buf *req,
		     struct ike_sa *b, struct ike_exch_result *rq,
		     struct ike_exch_result *rs)
{
	struct ike_buf resp;
	int r;

	ike_buf_init(&resp);
	r = ike_sa_handle_request(b, req->data, req->len, &resp, rq);
	CHECK_INT(r, 1);
	if (r == 1)
		r = ike_sa_handle_response(a, resp.data, resp.len, rs);
	else
		r = -999;
	ike_buf_free(&resp);
	return r;
}

struct tcase {
	const char *name;
	uint16_t encr, keylen;
	int integ, prf;
	uint16_t dh;
	int i_key, r_key;	/* enum keykind, -1 = PSK */
	bool classic, pss;
	uint8_t want_i_method, want_r_method;	/* AUTH methods seen by the peer */
	uint16_t pfs;		/* group for the PFS CHILD rekey */
};

/* The whole life of an IKE SA with the proposal of tc. */
static void run_case(const struct tcase *tc)
{
	struct ike_exch_cfg ci, cr;
	struct ike_proposal ip[2], rp[2], icp[1], rcp[1];
	struct ike_sa *i = NULL, *r = NULL, *ni, *nr;
	struct ike_buf m;
	struct ike_exch_result qa, sa_;
	int rc, c_i, c_r;

	fprintf(stderr, "case %s\n", tc->name);
	base_cfg(&ci, true);
	base_cfg(&cr, false);
	ci.allow_legacy_dh = cr.allow_legacy_dh = true;
	/* the responder prefers something the initiator lacks, then tc's */
	ip[0] = mkprop(IKE_PROTO_IKE, tc->encr, tc->keylen, tc->integ, tc->prf,
		       tc->dh, -1, -1);
	rp[0] = mkprop(IKE_PROTO_IKE, IKE_ENCR_AES_CBC, 256,
		       IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256,
		       IKE_DH_ECP384, -1, -1);
	if (tc->encr == IKE_ENCR_AES_CBC && tc->keylen == 256 &&
	    tc->integ == IKE_INTEG_HMAC_SHA2_256_128)
		rp[0].tr[0].keylen = 128;
	rp[1] = ip[0];
	ci.ike_props = ip;
	ci.n_ike_props = 1;
	cr.ike_props = rp;
	cr.n_ike_props = 2;
	/* ESP: alternate AEAD / CBC+HMAC by case */
	if (tc->dh % 2)
		icp[0] = mkprop(IKE_PROTO_ESP, IKE_ENCR_AES_GCM_16, 256, -1, -1,
				-1, -1, IKE_ESN_NO);
	else
		icp[0] = mkprop(IKE_PROTO_ESP, IKE_ENCR_AES_CBC, 128,
				IKE_INTEG_HMAC_SHA2_256_128, -1, -1, -1,
				IKE_ESN_NO);
	rcp[0] = icp[0];
	/* responder: PFS optional with tc->pfs (DH transform list {pfs, NONE}) */
	rcp[0].tr[rcp[0].n_transforms++] = (struct ike_transform){ IKE_TR_DH, tc->pfs, 0, false };
	rcp[0].tr[rcp[0].n_transforms++] = (struct ike_transform){ IKE_TR_DH, 0, 0, false };
	ci.child_props = icp;
	ci.n_child_props = 1;
	cr.child_props = rcp;
	cr.n_child_props = 1;
	if (tc->i_key >= 0) {
		use_cert(&ci, (enum keykind)tc->i_key, tc->classic, tc->pss);
		cr.peer_auth = IKE_EXCH_AUTH_SIG;
	}
	if (tc->r_key >= 0) {
		use_cert(&cr, (enum keykind)tc->r_key, tc->classic, tc->pss);
		ci.peer_auth = IKE_EXCH_AUTH_SIG;
	}
	if (tc->classic)
		ci.no_hash_algs = cr.no_hash_algs = true;
	CHECK_INT(ike_sa_new(&ci, true, NULL, NULL, &i), 0);
	CHECK_INT(ike_sa_new(&cr, false, NULL, NULL, &r), 0);
	if (!i || !r)
		goto out;
	ike_buf_init(&m);

	/* IKE_SA_INIT */
	CHECK_INT(ike_sa_init_build(i, &m), 0);
	rc = roundtrip(i, &m, r, &qa, &sa_);
	CHECK_INT(rc, 0);
	/* 2.7: "The responder MUST choose a single suite" — the one both have */
	CHECK_INT(r->prop.num, 1);
	CHECK_INT(r->keys.encr, tc->encr);
	CHECK_INT(r->keys.encr_keylen, tc->keylen);
	CHECK_INT(r->keys.prf, tc->prf);
	CHECK_INT(r->dh_group, tc->dh);
	CHECK_INT(i->keys.prf, tc->prf);
	check_same_keys(i, r);

	/* IKE_AUTH */
	CHECK_INT(ike_sa_auth_build(i, &m), 0);
	rc = roundtrip(i, &m, r, &qa, &sa_);
	CHECK_INT(rc, 0);
	CHECK(qa.established && sa_.established);
	CHECK_INT(qa.notify, 0);
	CHECK_INT(i->state, IKE_ST_ESTABLISHED);
	CHECK_INT(r->state, IKE_ST_ESTABLISHED);
	/* AUTH verified both ways, with the method the policy implies */
	CHECK_INT(r->peer_auth_method, tc->want_i_method);
	CHECK_INT(i->peer_auth_method, tc->want_r_method);
	/* RFC 7427 / 4055: RSASSA-PSS when asked for, else PKCS#1 v1.5 */
	if (tc->i_key == K_RSA && !tc->classic) {
		CHECK_INT(r->peer_auth_pss, tc->pss);
		CHECK_INT(i->peer_auth_pss, tc->pss);
		CHECK_INT(r->peer_auth_hash, IKE_HASH_SHA2_256);
	}
	CHECK_INT(r->peer_id_len, sizeof(id_i) - 1);
	CHECK_MEM(r->peer_id, id_i, sizeof(id_i) - 1);
	check_same_child(i, sa_.child, r, qa.child);

	/* CREATE_CHILD_SA: new CHILD SA without PFS (1.3.1) */
	CHECK_INT(ike_child_build(i, -1, 0, &m), 0);
	rc = roundtrip(i, &m, r, &qa, &sa_);
	CHECK_INT(rc, 0);
	check_same_child(i, sa_.child, r, qa.child);
	c_i = sa_.child;
	c_r = qa.child;
	if (c_i >= 0)
		CHECK_INT(i->child[c_i].dh, 0);

	/* CHILD rekey with PFS (1.3.3, 2.17 "g^ir (new)") */
	CHECK_INT(ike_child_build(i, c_i, tc->pfs, &m), 0);
	rc = roundtrip(i, &m, r, &qa, &sa_);
	CHECK_INT(rc, 0);
	/* 1.3.3: "The SA being rekeyed is identified by the SPI field in the
	 * Notify payload" */
	CHECK_INT(qa.rekeyed_child, c_r);
	CHECK_INT(sa_.rekeyed_child, c_i);
	check_same_child(i, sa_.child, r, qa.child);
	if (sa_.child >= 0 && c_i >= 0) {
		CHECK_INT(i->child[sa_.child].dh, tc->pfs);
		CHECK(!key_eq(&i->child[sa_.child].keymat, &i->child[c_i].keymat));
	}
	/* delete the old one (1.4.1) */
	CHECK_INT(ike_exch_delete_build(i, c_i, &m), 0);
	rc = roundtrip(i, &m, r, &qa, &sa_);
	CHECK_INT(rc, 0);
	CHECK_INT(sa_.deleted_child, c_i);
	CHECK_INT(qa.deleted_child, c_r);

	/* CHILD rekey without PFS, started by the original responder */
	{
		int rc_r = -1;

		for (int k = 0; k < IKE_EXCH_MAX_CHILDREN; k++)
			if (r->child[k].in_use)
				rc_r = k;
		CHECK_INT(ike_child_build(r, rc_r, 0, &m), 0);
		rc = roundtrip(r, &m, i, &qa, &sa_);
		CHECK_INT(rc, 0);
		check_same_child(r, sa_.child, i, qa.child);
	}

	/* IKE SA rekey (1.3.2, 2.18) */
	CHECK_INT(ike_rekey_ike_build(i, &m), 0);
	rc = roundtrip(i, &m, r, &qa, &sa_);
	CHECK_INT(rc, 0);
	ni = sa_.new_sa;
	nr = qa.new_sa;
	CHECK(ni && nr);
	if (ni && nr) {
		/* 2.18: the new SA's keys from "SKEYSEED = prf(SK_d (old),
		 * g^ir (new) | Ni | Nr)" must agree and differ from the old */
		check_same_keys(ni, nr);
		CHECK(!key_eq(&ni->keys.sk_d, &i->keys.sk_d));
		CHECK_MEM(ni->spi_i, nr->spi_i, 8);
		CHECK_MEM(ni->spi_r, nr->spi_r, 8);
		CHECK(memcmp(ni->spi_i, i->spi_i, 8) != 0);
		CHECK_INT(i->state, IKE_ST_REKEYED);
		/* 2.8: CHILD SAs moved to the new IKE SA */
		CHECK_INT(ike_sa_find_child(i, ni->child[0].spi_in), -ENOENT);

		/* the old IKE SA is deleted by its own INFORMATIONAL
		 * ("Deleting an IKE SA ... the response is empty", 1.4.1) */
		i->state = IKE_ST_ESTABLISHED;	/* allow requests on the old SA */
		CHECK_INT(ike_exch_delete_build(i, -1, &m), 0);
		rc = roundtrip(i, &m, r, &qa, &sa_);
		CHECK_INT(rc, 0);
		CHECK(qa.ike_deleted && sa_.ike_deleted);

		/* the new SA works: liveness check (2.4) and CHILD delete */
		CHECK_INT(ike_exch_liveness_build(ni, &m), 0);
		CHECK_INT(roundtrip(ni, &m, nr, &qa, &sa_), 0);
		for (int k = 0; k < IKE_EXCH_MAX_CHILDREN; k++) {
			if (!ni->child[k].in_use)
				continue;
			CHECK_INT(ike_exch_delete_build(ni, k, &m), 0);
			CHECK_INT(roundtrip(ni, &m, nr, &qa, &sa_), 0);
			CHECK_INT(sa_.deleted_child, k);
			CHECK(qa.deleted_child >= 0);
		}
		CHECK_INT(ike_exch_delete_build(ni, -1, &m), 0);
		CHECK_INT(roundtrip(ni, &m, nr, &qa, &sa_), 0);
		CHECK_INT(nr->state, IKE_ST_DELETED);
	}
	ike_sa_free(ni);
	ike_sa_free(nr);
	ike_buf_free(&m);
out:
	ike_sa_free(i);
	ike_sa_free(r);
}

#define GCM(n) IKE_ENCR_AES_GCM_##n
static const struct tcase cases[] = {
	{ "aes128-sha1-prfsha1-modp2048-psk", IKE_ENCR_AES_CBC, 128,
	  IKE_INTEG_HMAC_SHA1_96, IKE_PRF_HMAC_SHA1, 14, -1, -1, false, false,
	  IKE_AUTH_PSK, IKE_AUTH_PSK, 14 },
	{ "aes192-sha256-ecp256-rsa-method1", IKE_ENCR_AES_CBC, 192,
	  IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256, 19, K_RSA, K_RSA,
	  true, false, IKE_AUTH_RSA_SIG, IKE_AUTH_RSA_SIG, 19 },
	{ "aes256-sha384-ecp384-ecdsa384-method10", IKE_ENCR_AES_CBC, 256,
	  IKE_INTEG_HMAC_SHA2_384_192, IKE_PRF_HMAC_SHA2_384, 20, K_P384, K_P384,
	  true, false, IKE_AUTH_ECDSA_384, IKE_AUTH_ECDSA_384, 20 },
	{ "aes256-sha512-ecp521-ecdsa521-method11", IKE_ENCR_AES_CBC, 256,
	  IKE_INTEG_HMAC_SHA2_512_256, IKE_PRF_HMAC_SHA2_512, 21, K_P521, K_P521,
	  true, false, IKE_AUTH_ECDSA_521, IKE_AUTH_ECDSA_521, 21 },
	{ "aes128gcm16-prfsha256-x25519-ed25519", GCM(16), 128, -1,
	  IKE_PRF_HMAC_SHA2_256, 31, K_ED25519, K_ED25519, false, false,
	  IKE_AUTH_DIGITAL_SIG, IKE_AUTH_DIGITAL_SIG, 31 },
	{ "aes192gcm12-prfxcbc-ecp256-ecdsa256-method9", GCM(12), 192, -1,
	  IKE_PRF_AES128_XCBC, 19, K_P256, K_P256, true, false,
	  IKE_AUTH_ECDSA_256, IKE_AUTH_ECDSA_256, 19 },
	{ "aes256gcm8-prfsha384-modp3072-rsa-sha256-method14", GCM(8), 256, -1,
	  IKE_PRF_HMAC_SHA2_384, 15, K_RSA, K_RSA, false, false,
	  IKE_AUTH_DIGITAL_SIG, IKE_AUTH_DIGITAL_SIG, 31 },
	{ "aes256gcm16-prfsha512-modp4096-rsa-pss-method14", GCM(16), 256, -1,
	  IKE_PRF_HMAC_SHA2_512, 16, K_RSA, K_RSA, false, true,
	  IKE_AUTH_DIGITAL_SIG, IKE_AUTH_DIGITAL_SIG, 19 },
	{ "aes192gcm16-prfsha1-ecp256-ecdsa256-method14", GCM(16), 192, -1,
	  IKE_PRF_HMAC_SHA1, 19, K_P256, K_P384, false, false,
	  IKE_AUTH_DIGITAL_SIG, IKE_AUTH_DIGITAL_SIG, 19 },
	{ "aes128gcm12-prfsha256-x25519-psk", GCM(12), 128, -1,
	  IKE_PRF_HMAC_SHA2_256, 31, -1, -1, false, false, IKE_AUTH_PSK,
	  IKE_AUTH_PSK, 31 },
	{ "aes256gcm12-prfsha512-ecp384-ecdsa384-method14", GCM(12), 256, -1,
	  IKE_PRF_HMAC_SHA2_512, 20, K_P384, K_P521, false, false,
	  IKE_AUTH_DIGITAL_SIG, IKE_AUTH_DIGITAL_SIG, 20 },
	{ "aes128gcm8-prfxcbc-x25519-psk-ed25519", GCM(8), 128, -1,
	  IKE_PRF_AES128_XCBC, 31, -1, K_ED25519, false, false, IKE_AUTH_PSK,
	  IKE_AUTH_DIGITAL_SIG, 31 },
	{ "aes192gcm8-prfsha256-ecp521-ecdsa521-method14", GCM(8), 192, -1,
	  IKE_PRF_HMAC_SHA2_256, 21, K_P521, -1, false, false,
	  IKE_AUTH_DIGITAL_SIG, IKE_AUTH_PSK, 21 },
	{ "3des-sha1-modp1024-psk (legacy)", IKE_ENCR_3DES, 0,
	  IKE_INTEG_HMAC_SHA1_96, IKE_PRF_HMAC_SHA1, 2, -1, -1, false, false,
	  IKE_AUTH_PSK, IKE_AUTH_PSK, 2 },
	{ "3des-sha256-modp1536-psk (legacy)", IKE_ENCR_3DES, 0,
	  IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256, 5, -1, -1, false,
	  false, IKE_AUTH_PSK, IKE_AUTH_PSK, 31 },
};

/* Plain PSK pair with one fast proposal (x25519). */
struct pair {
	struct ike_exch_cfg ci, cr;
	struct ike_proposal ip[2], rp[2], icp, rcp;
	struct ike_sa *i, *r;
	struct ike_buf m, resp;
};

static void pair_init(struct pair *p)
{
	memset(p, 0, sizeof(*p));
	base_cfg(&p->ci, true);
	base_cfg(&p->cr, false);
	p->ip[0] = mkprop(IKE_PROTO_IKE, IKE_ENCR_AES_GCM_16, 256, -1,
			  IKE_PRF_HMAC_SHA2_256, IKE_DH_CURVE25519, -1, -1);
	p->rp[0] = p->ip[0];
	p->icp = mkprop(IKE_PROTO_ESP, IKE_ENCR_AES_GCM_16, 256, -1, -1, -1, -1,
			IKE_ESN_NO);
	p->rcp = p->icp;
	p->ci.ike_props = p->ip;
	p->ci.n_ike_props = 1;
	p->cr.ike_props = p->rp;
	p->cr.n_ike_props = 1;
	p->ci.child_props = &p->icp;
	p->ci.n_child_props = 1;
	p->cr.child_props = &p->rcp;
	p->cr.n_child_props = 1;
	ike_buf_init(&p->m);
	ike_buf_init(&p->resp);
}

static void pair_start(struct pair *p)
{
	CHECK_INT(ike_sa_new(&p->ci, true, NULL, NULL, &p->i), 0);
	CHECK_INT(ike_sa_new(&p->cr, false, NULL, NULL, &p->r), 0);
	if (!p->i || !p->r)
		abort();
}

static void pair_free(struct pair *p)
{
	ike_sa_free(p->i);
	ike_sa_free(p->r);
	ike_buf_free(&p->m);
	ike_buf_free(&p->resp);
}

/* Find the first Notify of a plain (unprotected) message. */
static uint16_t plain_notify(const struct ike_buf *b)
{
	struct ike_msg_view v;
	const struct ike_pl *pl;
	struct ike_notify n;

	if (ike_msg_parse(b->data, b->len, &v) < 0)
		return 0;
	pl = ike_chain_find(&v.ch, IKE_PL_NOTIFY, 0);
	if (!pl || ike_notify_parse(pl->body, pl->len, &n) < 0)
		return 0;
	return n.type;
}

/* 2.21.2: "If the responder's AUTH ... fails ... the responder MUST send an
 * AUTHENTICATION_FAILED notification" — wrong PSK on the initiator. */
static void test_wrong_psk(void)
{
	static const uint8_t bad[] = "not the shared secret";
	struct pair p;
	struct ike_exch_result q, s;

	pair_init(&p);
	p.ci.psk = bad;
	p.ci.psk_len = sizeof(bad) - 1;
	pair_start(&p);
	CHECK_INT(ike_sa_init_build(p.i, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	CHECK_INT(ike_sa_auth_build(p.i, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), -EPROTO);
	CHECK_INT(q.notify, IKE_N_AUTHENTICATION_FAILED);
	CHECK_INT(s.notify, IKE_N_AUTHENTICATION_FAILED);
	CHECK(!q.established && !s.established);
	CHECK_INT(p.r->state, IKE_ST_FAILED);
	CHECK_INT(p.i->state, IKE_ST_FAILED);
	pair_free(&p);
}

/* A certificate peer whose certificate does not name its ID: the
 * responder must refuse (RFC 4945 3.1 binding of ID and certificate). */
static void test_cert_id_mismatch(void)
{
	static const uint8_t other[] = "mallory.example";
	struct pair p;
	struct ike_exch_result q, s;

	pair_init(&p);
	use_cert(&p.ci, K_P256, false, false);
	p.ci.id = other;
	p.ci.id_len = sizeof(other) - 1;
	p.cr.peer_auth = IKE_EXCH_AUTH_SIG;
	pair_start(&p);
	CHECK_INT(ike_sa_init_build(p.i, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	CHECK_INT(ike_sa_auth_build(p.i, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), -EPROTO);
	CHECK_INT(q.notify, IKE_N_AUTHENTICATION_FAILED);
	pair_free(&p);
}

/* 2.7: "If the responder cannot ... it MUST respond with NO_PROPOSAL_CHOSEN" */
static void test_no_proposal(void)
{
	struct pair p;
	struct ike_exch_result q, s;

	pair_init(&p);
	p.rp[0] = mkprop(IKE_PROTO_IKE, IKE_ENCR_AES_CBC, 128,
			 IKE_INTEG_HMAC_SHA1_96, IKE_PRF_HMAC_SHA1, 14, -1, -1);
	pair_start(&p);
	CHECK_INT(ike_sa_init_build(p.i, &p.m), 0);
	CHECK_INT(ike_sa_handle_request(p.r, p.m.data, p.m.len, &p.resp, &q), 1);
	CHECK_INT(q.notify, IKE_N_NO_PROPOSAL_CHOSEN);
	CHECK_INT(plain_notify(&p.resp), IKE_N_NO_PROPOSAL_CHOSEN);
	CHECK_INT(p.r->state, IKE_ST_IDLE);
	CHECK_INT(ike_sa_handle_response(p.i, p.resp.data, p.resp.len, &s), -EPROTO);
	CHECK_INT(s.notify, IKE_N_NO_PROPOSAL_CHOSEN);
	pair_free(&p);
}

/* 1.2 / 2.7: "the responder MUST reject the request and indicate its
 * preferred Diffie-Hellman group in the INVALID_KE_PAYLOAD Notify
 * payload"; the initiator retries with that group and succeeds. */
static void test_invalid_ke(void)
{
	struct pair p;
	struct ike_exch_result q, s;
	struct ike_msg_view v;
	struct ike_ke ke;
	const struct ike_pl *pl;

	pair_init(&p);
	/* initiator: x25519 first, ECP-256 acceptable; responder prefers 19 */
	p.ip[0] = mkprop(IKE_PROTO_IKE, IKE_ENCR_AES_GCM_16, 256, -1,
			 IKE_PRF_HMAC_SHA2_256, IKE_DH_CURVE25519, IKE_DH_ECP256, -1);
	p.rp[0] = mkprop(IKE_PROTO_IKE, IKE_ENCR_AES_GCM_16, 256, -1,
			 IKE_PRF_HMAC_SHA2_256, IKE_DH_ECP256, IKE_DH_CURVE25519, -1);
	pair_start(&p);
	CHECK_INT(ike_sa_init_build(p.i, &p.m), 0);
	CHECK_INT(ike_sa_handle_request(p.r, p.m.data, p.m.len, &p.resp, &q), 1);
	CHECK_INT(q.notify, IKE_N_INVALID_KE_PAYLOAD);
	CHECK_INT(q.ke_group, IKE_DH_ECP256);
	CHECK_INT(ike_sa_handle_response(p.i, p.resp.data, p.resp.len, &s), -EAGAIN);
	CHECK_INT(s.ke_group, IKE_DH_ECP256);
	CHECK_INT(ike_sa_init_build(p.i, &p.m), 0);
	CHECK_INT(ike_msg_parse(p.m.data, p.m.len, &v), 0);
	pl = ike_chain_find(&v.ch, IKE_PL_KE, 0);
	CHECK(pl && ike_ke_parse(pl->body, pl->len, &ke) == 0 &&
	      ke.group == IKE_DH_ECP256);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	CHECK_INT(p.r->dh_group, IKE_DH_ECP256);
	check_same_keys(p.i, p.r);
	CHECK_INT(ike_sa_auth_build(p.i, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	CHECK(s.established);
	pair_free(&p);
}

/* 2.6: "the initiator MUST retry the IKE_SA_INIT request, and include the
 * COOKIE notification containing the received data as the first payload" */
static void test_cookie(void)
{
	static const uint8_t cookie[] = { 0xc0, 0x0c, 0x1e, 0x01, 2, 3, 4, 5 };
	struct pair p;
	struct ike_exch_result q, s;
	struct ike_msg_builder mb;
	struct ike_hdr h;
	struct ike_msg_view v;
	struct ike_notify n;

	pair_init(&p);
	pair_start(&p);
	CHECK_INT(ike_sa_init_build(p.i, &p.m), 0);
	/* the responder's stateless cookie answer, built by hand */
	memset(&h, 0, sizeof(h));
	memcpy(h.spi_i, p.i->spi_i, 8);
	h.version = IKE_VERSION;
	h.exchange = IKE_SA_INIT;
	h.flags = IKE_FLAG_RESPONSE;
	ike_mb_begin(&mb, &p.resp, &h);
	ike_notify_build(&mb, 0, IKE_N_COOKIE, NULL, 0, cookie, sizeof(cookie));
	CHECK(ike_mb_finish(&mb) > 0);
	CHECK_INT(ike_sa_handle_response(p.i, p.resp.data, p.resp.len, &s), -EAGAIN);
	CHECK_INT(ike_sa_init_build(p.i, &p.m), 0);
	CHECK_INT(ike_msg_parse(p.m.data, p.m.len, &v), 0);
	CHECK(v.ch.n > 0 && v.ch.pl[0].type == IKE_PL_NOTIFY);
	CHECK(ike_notify_parse(v.ch.pl[0].body, v.ch.pl[0].len, &n) == 0 &&
	      n.type == IKE_N_COOKIE && n.data_len == sizeof(cookie) &&
	      memcmp(n.data, cookie, sizeof(cookie)) == 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	check_same_keys(p.i, p.r);
	pair_free(&p);
}

/*
 * 2.21: "If the integrity check fails, the message MUST be dropped" — a
 * tampered IKE_AUTH request is ignored; then 2.1: "retransmitted ... the
 * responder MUST retransmit the response" — the duplicate of the genuine
 * request gets the byte-identical cached response.
 */
static void test_tamper_and_retransmit(void)
{
	struct pair p;
	struct ike_exch_result q, s;
	struct ike_buf bad, again;

	pair_init(&p);
	pair_start(&p);
	ike_buf_init(&bad);
	ike_buf_init(&again);
	CHECK_INT(ike_sa_init_build(p.i, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	CHECK_INT(ike_sa_auth_build(p.i, &p.m), 0);
	ike_buf_put(&bad, p.m.data, p.m.len);
	bad.data[bad.len - 20] ^= 0x01;		/* inside the ciphertext */
	CHECK_INT(ike_sa_handle_request(p.r, bad.data, bad.len, &p.resp, &q), -EBADMSG);
	CHECK_INT(p.r->state, IKE_ST_INIT_DONE);
	CHECK_INT(ike_sa_handle_request(p.r, p.m.data, p.m.len, &p.resp, &q), 1);
	CHECK(q.established && q.child >= 0);
	CHECK_INT(ike_sa_handle_request(p.r, p.m.data, p.m.len, &again, &q), 1);
	CHECK_INT(again.len, p.resp.len);
	CHECK(again.len == p.resp.len &&
	      memcmp(again.data, p.resp.data, again.len) == 0);
	CHECK(!q.established && q.child < 0);	/* nothing negotiated twice */
	/* a tampered copy of the old request is not a retransmission */
	CHECK(ike_sa_handle_request(p.r, bad.data, bad.len, &again, &q) < 0);
	/* the initiator drops a tampered response, then takes the real one */
	ike_buf_reset(&bad);
	ike_buf_put(&bad, p.resp.data, p.resp.len);
	bad.data[bad.len - 1] ^= 0x80;
	CHECK_INT(ike_sa_handle_response(p.i, bad.data, bad.len, &s), -EBADMSG);
	CHECK_INT(ike_sa_handle_response(p.i, p.resp.data, p.resp.len, &s), 0);
	CHECK(s.established);
	check_same_child(p.i, s.child, p.r, 0);
	/* a response with a message ID we are not waiting for is dropped */
	CHECK_INT(ike_sa_handle_response(p.i, p.resp.data, p.resp.len, &s), -EALREADY);
	ike_buf_free(&bad);
	ike_buf_free(&again);
	pair_free(&p);
}

/* 2.9: "If the responder's policy does not allow it to accept any part of
 * the proposed Traffic Selectors, it responds with a TS_UNACCEPTABLE"; the
 * IKE SA is still established (1.2). */
static void test_ts_unacceptable(void)
{
	struct pair p;
	struct ike_exch_result q, s;

	pair_init(&p);
	ts_cidr(&p.ci.ts_remote, "192.168.0.0", 24);
	ts_cidr(&p.cr.ts_local, "10.1.0.0", 16);
	pair_start(&p);
	CHECK_INT(ike_sa_init_build(p.i, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	CHECK_INT(ike_sa_auth_build(p.i, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), -EPROTO);
	CHECK_INT(q.notify, IKE_N_TS_UNACCEPTABLE);
	CHECK_INT(s.notify, IKE_N_TS_UNACCEPTABLE);
	CHECK(s.established && q.established && s.child < 0 && q.child < 0);
	CHECK_INT(p.i->state, IKE_ST_ESTABLISHED);
	pair_free(&p);
}

/* 3.15.4: the CP(CFG_REQUEST) is answered with CFG_REPLY carrying the
 * address; 2.9 narrowing: TSi becomes that address; NAT detection (2.23). */
static void test_cp_and_nat(void)
{
	struct pair p;
	struct ike_exch_result q, s;
	struct ike_cp_reply rep;
	struct ike_endpoint li = { 4, { 192, 168, 1, 10 }, 500 };
	struct ike_endpoint gw = { 4, { 198, 51, 100, 1 }, 500 };
	struct ike_endpoint nat = { 4, { 203, 0, 113, 7 }, 4500 };
	static const uint8_t a[4] = { 10, 9, 0, 5 };

	pair_init(&p);
	memset(&rep, 0, sizeof(rep));
	rep.has_ip4 = true;
	memcpy(rep.ip4, a, 4);
	p.ci.cp_request = true;
	p.cr.cp_reply = &rep;
	CHECK_INT(ike_sa_new(&p.ci, true, &li, &gw, &p.i), 0);
	/* the responder sees the initiator's NAT-mapped address */
	CHECK_INT(ike_sa_new(&p.cr, false, &gw, &nat, &p.r), 0);
	CHECK_INT(ike_sa_init_build(p.i, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	CHECK(p.r->nat_remote && !p.r->nat_local);
	CHECK(p.i->nat_local && !p.i->nat_remote);
	CHECK_INT(ike_sa_auth_build(p.i, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	CHECK(p.i->cp_have_ip4);
	CHECK_MEM(p.i->cp_ip4, a, 4);
	if (s.child >= 0) {
		const struct ike_ts *t = &p.i->child[s.child].tsi.ts[0];

		CHECK_INT(p.i->child[s.child].tsi.n, 1);
		CHECK_MEM(t->start, a, 4);
		CHECK_MEM(t->end, a, 4);
	}
	pair_free(&p);
}

/* The responder's per-peer selectors (cfg->ts_local_for, used by ragd's
 * split tunnel, issue 4 point 3): 2.9 "narrow them to a subset" with what
 * the callback allows; kept for later CHILD SAs, which are also held to
 * the CP-assigned address as TSi; 0 selectors = TS_UNACCEPTABLE; a failing
 * callback falls back to ts_local. */
static int ts_mode;
static int ts_calls;

static int ts_local_cb(void *arg, const struct ike_sa *sa, struct ike_ts_list *out)
{
	static const uint8_t n1[4] = { 10, 1, 0, 0 }, n2[4] = { 10, 2, 3, 0 };

	(void)arg;
	(void)sa;
	ts_calls++;
	if (ts_mode < 0)
		return -EIO;
	out->n = 0;
	if (ts_mode == 0)
		return 0;
	CHECK_INT(ike_ts_from_cidr(&out->ts[out->n++], IKE_TS_IPV4_ADDR_RANGE, n1, 16, 0, 0,
				   65535), 0);
	CHECK_INT(ike_ts_from_cidr(&out->ts[out->n++], IKE_TS_IPV4_ADDR_RANGE, n2, 24, 0, 0,
				   65535), 0);
	return 0;
}

/* The initiator's view of child c: TSr must be exactly want[0..n) (/16, /24
 * as in ts_local_cb) and TSi the assigned address. */
static void check_child_ts(const struct ike_sa *i, int c, size_t n)
{
	static const uint8_t vip[4] = { 10, 9, 0, 5 };
	struct ike_ts_list want;
	static const uint8_t n1[4] = { 10, 1, 0, 0 }, n2[4] = { 10, 2, 3, 0 };

	if (c < 0)
		return;
	want.n = 0;
	ike_ts_from_cidr(&want.ts[want.n++], IKE_TS_IPV4_ADDR_RANGE, n1, 16, 0, 0, 65535);
	ike_ts_from_cidr(&want.ts[want.n++], IKE_TS_IPV4_ADDR_RANGE, n2, 24, 0, 0, 65535);
	CHECK_INT(i->child[c].tsr.n, n);
	for (size_t k = 0; k < n && k < i->child[c].tsr.n; k++)
		CHECK_MEM(&i->child[c].tsr.ts[k], &want.ts[k], sizeof(want.ts[k]));
	CHECK_INT(i->child[c].tsi.n, 1);
	CHECK_MEM(i->child[c].tsi.ts[0].start, vip, 4);
	CHECK_MEM(i->child[c].tsi.ts[0].end, vip, 4);
}

static void test_ts_local_for(void)
{
	static const uint8_t vip[4] = { 10, 9, 0, 5 };
	struct ike_cp_reply rep;
	struct ike_exch_result q, s;
	struct pair p;

	memset(&rep, 0, sizeof(rep));
	rep.has_ip4 = true;
	memcpy(rep.ip4, vip, 4);
	for (ts_mode = -1; ts_mode <= 1; ts_mode++) {
		pair_init(&p);
		p.ci.cp_request = true;
		p.cr.cp_reply = &rep;
		p.cr.ts_local_for = ts_local_cb;
		ts_calls = 0;
		pair_start(&p);
		CHECK_INT(ike_sa_init_build(p.i, &p.m), 0);
		CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
		CHECK_INT(ike_sa_auth_build(p.i, &p.m), 0);
		CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), ts_mode == 0 ? -EPROTO : 0);
		CHECK(s.established && q.established);
		CHECK_INT(ts_calls, 1);
		if (ts_mode < 0) {
			/* the callback failed: ts_local (0.0.0.0/0) */
			CHECK(s.child >= 0 && p.i->child[s.child].tsr.n == 1 &&
			      p.i->child[s.child].tsr.ts[0].start[0] == 0 &&
			      p.i->child[s.child].tsr.ts[0].end[0] == 255);
		} else if (ts_mode == 0) {
			/* nothing reachable: no CHILD SA, the IKE SA stays */
			CHECK_INT(s.notify, IKE_N_TS_UNACCEPTABLE);
			CHECK(s.child < 0 && q.child < 0);
		} else {
			check_child_ts(p.i, s.child, 2);
		}
		/* a second CHILD SA proposing 0.0.0.0/0 both ways gets the
		 * same narrowing, without another callback */
		CHECK_INT(ike_child_build(p.i, -1, 0, &p.m), 0);
		CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), ts_mode == 0 ? -EPROTO : 0);
		CHECK_INT(ts_calls, 1);
		if (ts_mode == 1)
			check_child_ts(p.i, s.child, 2);
		if (ts_mode < 0 && s.child >= 0) {
			/* TSi is the assigned address even though the
			 * configuration's ts_remote is 0.0.0.0/0 */
			CHECK_INT(p.i->child[s.child].tsi.n, 1);
			CHECK_MEM(p.i->child[s.child].tsi.ts[0].start, vip, 4);
			CHECK_MEM(p.i->child[s.child].tsi.ts[0].end, vip, 4);
		}
		pair_free(&p);
	}
}

/* CREATE_CHILD_SA error paths: PFS group the responder does not want
 * (INVALID_KE_PAYLOAD, 1.3) and REKEY_SA for an unknown SA (1.3.3). */
static void test_child_errors(void)
{
	struct pair p;
	struct ike_exch_result q, s;

	pair_init(&p);
	p.rcp.tr[p.rcp.n_transforms++] = (struct ike_transform){ IKE_TR_DH, IKE_DH_ECP256, 0, false };
	pair_start(&p);
	CHECK_INT(ike_sa_init_build(p.i, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	CHECK_INT(ike_sa_auth_build(p.i, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	/* offer x25519 PFS: the responder only does ECP-256 */
	CHECK_INT(ike_child_build(p.i, -1, IKE_DH_CURVE25519, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), -EPROTO);
	CHECK_INT(q.notify, IKE_N_NO_PROPOSAL_CHOSEN);
	/* no PFS when the responder requires it: no proposal either */
	CHECK_INT(ike_child_build(p.i, -1, 0, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), -EPROTO);
	CHECK_INT(s.notify, IKE_N_NO_PROPOSAL_CHOSEN);
	/* with ECP-256 it works */
	CHECK_INT(ike_child_build(p.i, -1, IKE_DH_ECP256, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	check_same_child(p.i, s.child, p.r, q.child);
	/* the responder forgot the SA: CHILD_SA_NOT_FOUND */
	if (q.child >= 0 && s.child >= 0) {
		p.r->child[q.child].spi_out ^= 1;
		CHECK_INT(ike_child_build(p.i, s.child, 0, &p.m), 0);
		CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), -EPROTO);
		CHECK_INT(s.notify, IKE_N_CHILD_SA_NOT_FOUND);
	}
	/* window size 1 (2.3): a second request while one is pending */
	CHECK_INT(ike_exch_liveness_build(p.i, &p.m), 0);
	CHECK_INT(ike_exch_liveness_build(p.i, &p.m), -EBUSY);
	pair_free(&p);
}

/* ---- inbound SPIs chosen by the caller (cfg->child_spi_alloc) -------------------- */

/* A fake of ragd's XFRM_MSG_ALLOCSPI: hands out 0xc0000100, 0xc0000101, ...
 * and records what was allocated and what was given back. */
struct spi_pool {
	uint32_t next;
	uint32_t got[32], freed[32];
	size_t n_got, n_freed;
	int fail;		/* fail the next `fail` allocations */
	const struct ike_sa *last_sa;
};

static int fake_spi_alloc(void *arg, const struct ike_sa *sa, uint32_t *spi)
{
	struct spi_pool *pl = arg;

	pl->last_sa = sa;
	if (pl->fail > 0) {
		pl->fail--;
		return -ENOSPC;
	}
	if (pl->n_got == 32)
		abort();
	*spi = pl->next++;
	pl->got[pl->n_got++] = *spi;
	return 0;
}

static void fake_spi_free(void *arg, const struct ike_sa *sa, uint32_t spi)
{
	struct spi_pool *pl = arg;

	(void)sa;
	if (pl->n_freed == 32)
		abort();
	pl->freed[pl->n_freed++] = spi;
}

static void spi_pool_use(struct spi_pool *pl, struct ike_exch_cfg *c)
{
	memset(pl, 0, sizeof(*pl));
	pl->next = 0xc0000100u;
	c->child_spi_alloc = fake_spi_alloc;
	c->child_spi_free = fake_spi_free;
	c->spi_arg = pl;
}

static bool spi_freed(const struct spi_pool *pl, uint32_t spi)
{
	for (size_t k = 0; k < pl->n_freed; k++)
		if (pl->freed[k] == spi)
			return true;
	return false;
}

/*
 * The engine asks the caller for every inbound SPI (ragd: the kernel
 * allocates it) in both roles, uses exactly that SPI, and gives back
 * (child_spi_free) each one that did not become a reported CHILD SA:
 * refused or failed exchanges, an SA freed with its request out.  A
 * responder that gets no SPI answers TEMPORARY_FAILURE (3.10.1).
 */
static void test_child_spi(void)
{
	struct pair p;
	struct spi_pool pi, pr;
	struct ike_exch_result q, s;
	int old;

	/* IKE_AUTH: each side's CHILD SA has the SPI its allocator gave */
	pair_init(&p);
	spi_pool_use(&pi, &p.ci);
	spi_pool_use(&pr, &p.cr);
	pair_start(&p);
	CHECK_INT(ike_sa_init_build(p.i, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	CHECK_INT(pi.n_got + pr.n_got, 0);	/* no CHILD SA yet, no SPI */
	CHECK_INT(ike_sa_auth_build(p.i, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	check_same_child(p.i, s.child, p.r, q.child);
	if (s.child < 0 || q.child < 0)
		abort();
	CHECK_INT(pi.n_got, 1);
	CHECK_INT(pr.n_got, 1);
	CHECK_INT(p.i->child[s.child].spi_in, pi.got[0]);
	CHECK_INT(p.r->child[q.child].spi_in, pr.got[0]);
	CHECK(pr.last_sa == p.r && pi.last_sa == p.i);
	CHECK_INT(pi.n_freed + pr.n_freed, 0);

	/* 1.3.3 CHILD rekey: new SPIs from both allocators, none given back
	 * (the old CHILD SA is the caller's to remove) */
	old = s.child;
	CHECK_INT(ike_child_build(p.i, old, 0, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	check_same_child(p.i, s.child, p.r, q.child);
	if (s.child >= 0 && q.child >= 0) {
		CHECK_INT(p.i->child[s.child].spi_in, pi.got[1]);
		CHECK_INT(p.r->child[q.child].spi_in, pr.got[1]);
	}
	CHECK_INT(pi.n_freed + pr.n_freed, 0);

	/* the responder gets no SPI: TEMPORARY_FAILURE; the initiator gives
	 * its offered SPI back */
	pr.fail = 1;
	CHECK_INT(ike_child_build(p.i, -1, 0, &p.m), 0);
	CHECK_INT(pi.n_got, 3);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), -EPROTO);
	CHECK_INT(q.notify, IKE_N_TEMPORARY_FAILURE);
	CHECK_INT(s.notify, IKE_N_TEMPORARY_FAILURE);
	CHECK(q.child < 0 && s.child < 0);
	CHECK_INT(pi.n_freed, 1);
	CHECK(spi_freed(&pi, pi.got[2]));
	CHECK_INT(pr.n_got, 2);
	CHECK_INT(pr.n_freed, 0);

	/* refused for another reason (PFS the responder does not take):
	 * the offer comes back, the responder never allocated */
	CHECK_INT(ike_child_build(p.i, -1, IKE_DH_CURVE25519, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), -EPROTO);
	CHECK_INT(q.notify, IKE_N_NO_PROPOSAL_CHOSEN);
	CHECK(spi_freed(&pi, pi.got[3]));
	CHECK_INT(pr.n_got, 2);

	/* our own allocator fails: the builder fails, nothing is pending */
	pi.fail = 1;
	CHECK_INT(ike_child_build(p.i, -1, 0, &p.m), -ENOSPC);
	CHECK_INT(ike_exch_liveness_build(p.i, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);

	/* the SA goes while our CREATE_CHILD_SA request is out */
	CHECK_INT(ike_child_build(p.i, -1, 0, &p.m), 0);
	CHECK_INT(pi.n_got, 5);
	ike_sa_free(p.i);
	p.i = NULL;
	CHECK(spi_freed(&pi, pi.got[4]));
	CHECK_INT(pi.n_freed, 3);
	/* CHILD SAs that were reported are never given back */
	CHECK(!spi_freed(&pi, pi.got[0]) && !spi_freed(&pi, pi.got[1]));
	ike_sa_free(p.r);
	p.r = NULL;
	CHECK_INT(pr.n_freed, 0);
	pair_free(&p);

	/* IKE_AUTH, the responder gets no SPI: the IKE SA is set up, the
	 * CHILD SA refused with TEMPORARY_FAILURE (1.2), the offer given back */
	pair_init(&p);
	spi_pool_use(&pi, &p.ci);
	spi_pool_use(&pr, &p.cr);
	pr.fail = 1;
	pair_start(&p);
	CHECK_INT(ike_sa_init_build(p.i, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	CHECK_INT(ike_sa_auth_build(p.i, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), -EPROTO);
	CHECK(q.established && s.established);
	CHECK_INT(q.notify, IKE_N_TEMPORARY_FAILURE);
	CHECK(q.child < 0 && s.child < 0);
	CHECK_INT(pi.n_got, 1);
	CHECK(spi_freed(&pi, pi.got[0]));
	CHECK_INT(pr.n_got + pr.n_freed, 0);
	pair_free(&p);
}

int main(void)
{
	if (ike_init() < 0)
		return 1;
	fixtures();
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
		run_case(&cases[k]);
	test_wrong_psk();
	test_cert_id_mismatch();
	test_no_proposal();
	test_invalid_ke();
	test_cookie();
	test_tamper_and_retransmit();
	test_ts_unacceptable();
	test_cp_and_nat();
	test_ts_local_for();
	test_child_errors();
	test_child_spi();
	fixtures_free();
	return check_done("twopeer");
}
