/*
 * test_twopeer_net.c — the network-facing machinery of the exchange engine
 * (libike/ike_exchange.h, ike_cookie.h), with two engines in one process:
 *
 *   RFC 7383   IKE_AUTH both ways with a 3-certificate chain at a 576-byte
 *              datagram limit (>= 20 SKF fragments), out-of-order and
 *              duplicated fragments, fragment 1 of an answered request ->
 *              the cached fragment set (2.6.1); no fragments unless
 *              negotiated (2.3)
 *   RFC 7296 2.6  stateless cookies: needed -> N(COOKIE) -> retry accepted;
 *              wrong cookie, other address, rotated secret, old version;
 *              the cookie value cross-checked against OpenSSL SHA-256
 *   RFC 4555   MOBIKE negotiation, UPDATE_SA_ADDRESSES with NAT detection
 *              recomputed and COOKIE2 echoed, ADDITIONAL_*_ADDRESS accepted
 *   RFC 7296 2.4  INITIAL_CONTACT reported on establishment
 *   RFC 7296 2.8.1 / 2.8.2  simultaneous CHILD and IKE rekeys resolved
 *              identically on both sides by the lowest of the four nonces
 *   RFC 7296 2.5, 3.2, 2.21  INVALID_MAJOR_VERSION, UNSUPPORTED_CRITICAL_
 *              PAYLOAD (plain and protected), INVALID_SYNTAX
 */
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "ike_cookie.h"
#include "ike_exchange.h"
#include "ike_frag.h"
#include "ike_payload.h"

/* ---- fixtures: root CA -> intermediate 1 -> intermediate 2 -> end entity --- */

static X509_STORE *trust;
static EVP_PKEY *root_key, *ee_key;
static X509 *root;
static uint8_t *chain_der[3];
static struct ike_chunk chain[3];	/* end entity first, as sent */
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

/* Certificate for key signed by issuer (NULL: self-signed CA).  A long
 * comment makes each certificate about 3 kB so that the chain needs more
 * than 20 fragments of a 576-byte datagram. */
static X509 *mkcert(EVP_PKEY *key, const char *cn, X509 *issuer,
		    EVP_PKEY *issuer_key, bool ca)
{
	char comment[2300];
	X509 *x = X509_new();
	X509_NAME *n;

	if (!x)
		abort();
	memset(comment, 'x', sizeof(comment) - 1);
	comment[sizeof(comment) - 1] = 0;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 30);
	X509_set_pubkey(x, key);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	if (ca) {
		add_ext(x, issuer ? issuer : x, NID_basic_constraints,
			"critical,CA:TRUE");
		add_ext(x, issuer ? issuer : x, NID_key_usage,
			"critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, issuer, NID_subject_alt_name,
			"DNS:client.example,DNS:server.example");
	}
	if (issuer)
		add_ext(x, issuer, NID_netscape_comment, comment);
	if (!X509_sign(x, issuer ? issuer_key : key, EVP_sha256()))
		abort();
	return x;
}

static EVP_PKEY *rsa(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);

	if (!k)
		abort();
	return k;
}

static void put_der(int i, X509 *x)
{
	int len;

	chain_der[i] = NULL;
	len = i2d_X509(x, &chain_der[i]);
	if (len <= 0)
		abort();
	chain[i].ptr = chain_der[i];
	chain[i].len = (size_t)len;
}

static void fixtures(void)
{
	EVP_PKEY *k1 = rsa(), *k2 = rsa();
	X509 *i1, *i2, *ee;

	root_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ee_key = rsa();
	root = mkcert(root_key, "rag net test root", NULL, NULL, true);
	i1 = mkcert(k1, "rag net test intermediate 1", root, root_key, true);
	i2 = mkcert(k2, "rag net test intermediate 2", i1, k1, true);
	ee = mkcert(ee_key, "rag net test peer", i2, k2, false);
	put_der(0, ee);
	put_der(1, i2);
	put_der(2, i1);
	trust = X509_STORE_new();
	if (!trust || !X509_STORE_add_cert(trust, root))
		abort();
	X509_free(i1);
	X509_free(i2);
	X509_free(ee);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

static void fixtures_free(void)
{
	for (int i = 0; i < 3; i++)
		OPENSSL_free(chain_der[i]);
	X509_STORE_free(trust);
	X509_free(root);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(ee_key);
}

static struct ike_proposal mkprop(uint8_t proto, int prf, int dh)
{
	struct ike_proposal p;

	memset(&p, 0, sizeof(p));
	p.protocol = proto;
	p.tr[p.n_transforms++] = (struct ike_transform){ IKE_TR_ENCR, IKE_ENCR_AES_GCM_16, 256, false };
	if (prf >= 0)
		p.tr[p.n_transforms++] = (struct ike_transform){ IKE_TR_PRF, (uint16_t)prf, 0, false };
	if (dh >= 0)
		p.tr[p.n_transforms++] = (struct ike_transform){ IKE_TR_DH, (uint16_t)dh, 0, false };
	if (proto == IKE_PROTO_ESP)
		p.tr[p.n_transforms++] = (struct ike_transform){ IKE_TR_ESN, IKE_ESN_NO, 0, false };
	return p;
}

static void ts_any(struct ike_ts_list *l)
{
	static const uint8_t z[4];

	l->n = 1;
	if (ike_ts_from_cidr(&l->ts[0], IKE_TS_IPV4_ADDR_RANGE, z, 0, 0, 0, 65535))
		abort();
}

static const uint8_t id_i[] = "client.example";
static const uint8_t id_r[] = "server.example";
static const uint8_t psk[] = "a shared secret of the two peers";

struct pair {
	struct ike_exch_cfg ci, cr;
	struct ike_proposal ip, rp, icp, rcp;
	struct ike_sa *i, *r;
	struct ike_buf m, resp;
};

/* PSK both ways (certs: true -> the 3-certificate chain both ways). */
static void pair_init(struct pair *p, bool certs)
{
	struct ike_exch_cfg *c[2] = { &p->ci, &p->cr };

	memset(p, 0, sizeof(*p));
	p->ip = p->rp = mkprop(IKE_PROTO_IKE, IKE_PRF_HMAC_SHA2_256,
			       IKE_DH_CURVE25519);
	p->icp = p->rcp = mkprop(IKE_PROTO_ESP, -1, -1);
	for (int k = 0; k < 2; k++) {
		c[k]->id_type = IKE_ID_FQDN;
		c[k]->id = k == 0 ? id_i : id_r;
		c[k]->id_len = sizeof(id_i) - 1;
		c[k]->auth = c[k]->peer_auth = IKE_EXCH_AUTH_PSK;
		c[k]->psk = c[k]->peer_psk = psk;
		c[k]->psk_len = c[k]->peer_psk_len = sizeof(psk) - 1;
		c[k]->trust = trust;
		c[k]->now = (int64_t)time(NULL);
		ts_any(&c[k]->ts_local);
		ts_any(&c[k]->ts_remote);
		c[k]->ike_props = k == 0 ? &p->ip : &p->rp;
		c[k]->n_ike_props = 1;
		c[k]->child_props = k == 0 ? &p->icp : &p->rcp;
		c[k]->n_child_props = 1;
		if (certs) {
			c[k]->auth = c[k]->peer_auth = IKE_EXCH_AUTH_SIG;
			c[k]->key = ee_key;
			c[k]->certs = chain;
			c[k]->n_certs = 3;
		}
	}
	ike_buf_init(&p->m);
	ike_buf_init(&p->resp);
}

static void pair_start(struct pair *p, const struct ike_endpoint *li,
		       const struct ike_endpoint *lr)
{
	CHECK_INT(ike_sa_new(&p->ci, true, li, li ? lr : NULL, &p->i), 0);
	CHECK_INT(ike_sa_new(&p->cr, false, lr, lr ? li : NULL, &p->r), 0);
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

/* request a -> b, response back; returns the response handler's result */
static int roundtrip(struct ike_sa *a, const struct ike_buf *req,
		     struct ike_sa *b, struct ike_exch_result *rq,
		     struct ike_exch_result *rs)
{
	struct ike_buf resp;
	int r;

	ike_buf_init(&resp);
	r = ike_sa_handle_request(b, req->data, req->len, &resp, rq);
	CHECK_INT(r, 1);
	r = r == 1 ? ike_sa_handle_response(a, resp.data, resp.len, rs) : -999;
	ike_buf_free(&resp);
	return r;
}

/* IKE_SA_INIT + IKE_AUTH without fragments. */
static void establish(struct pair *p)
{
	struct ike_exch_result q, s;

	CHECK_INT(ike_sa_init_build(p->i, &p->m), 0);
	CHECK_INT(roundtrip(p->i, &p->m, p->r, &q, &s), 0);
	CHECK_INT(ike_sa_auth_build(p->i, &p->m), 0);
	CHECK_INT(roundtrip(p->i, &p->m, p->r, &q, &s), 0);
	CHECK(q.established && s.established);
}

static bool key_eq(const struct ike_key *a, const struct ike_key *b)
{
	return a->len == b->len && a->len > 0 && memcmp(a->ptr, b->ptr, a->len) == 0;
}

static void check_same_child(const struct ike_sa *a, int ca,
			     const struct ike_sa *b, int cb)
{
	CHECK(ca >= 0 && cb >= 0);
	if (ca < 0 || cb < 0)
		return;
	CHECK(a->child[ca].in_use && b->child[cb].in_use);
	CHECK(key_eq(&a->child[ca].keymat, &b->child[cb].keymat));
	CHECK_INT(a->child[ca].spi_in, b->child[cb].spi_out);
	CHECK_INT(a->child[ca].spi_out, b->child[cb].spi_in);
}

static int n_children(const struct ike_sa *sa, int *last)
{
	int n = 0;

	for (int k = 0; k < IKE_EXCH_MAX_CHILDREN; k++)
		if (sa->child[k].in_use) {
			n++;
			if (last)
				*last = k;
		}
	return n;
}

/* Copy of a fragment set. */
struct fset {
	struct ike_buf f[IKE_MAX_FRAGMENTS];
	size_t n;
};

static void fset_take(struct fset *s, const struct ike_sa *sa, bool response)
{
	const struct ike_buf *f;

	memset(s, 0, sizeof(*s));
	s->n = ike_sa_frags(sa, response, &f);
	for (size_t k = 0; k < s->n; k++) {
		ike_buf_init(&s->f[k]);
		ike_buf_put(&s->f[k], f[k].data, f[k].len);
	}
}

static void fset_free(struct fset *s)
{
	for (size_t k = 0; k < s->n; k++)
		ike_buf_free(&s->f[k]);
	s->n = 0;
}

/* SKF header fields of a fragment (RFC 7383 2.5). */
static void frag_nums(const struct ike_buf *b, uint16_t *num, uint16_t *total)
{
	struct ike_sk_info si;

	*num = *total = 0;
	if (ike_sk_locate(b->data, b->len, &si) == 0 && si.is_frag) {
		*num = si.frag_num;
		*total = si.frag_total;
	}
}

/*
 * RFC 7383: IKE_AUTH both ways with a 3-certificate chain and a 576-byte
 * limit.  2.5: "... fragmented so that each fragment fits"; 2.6: the
 * receiver reassembles "regardless of the order" and discards duplicates;
 * 2.6.1: a retransmitted fragment 1 of an answered request triggers the
 * retransmission of the (fragmented) response, other fragments do not.
 */
static void test_fragments(void)
{
	struct pair p;
	struct ike_exch_result q, s;
	struct fset rq, rs, again;
	size_t max;
	int rc;

	pair_init(&p, true);
	p.ci.frag_mtu = p.cr.frag_mtu = IKE_FRAG_MTU_IPV4;
	pair_start(&p, NULL, NULL);
	CHECK_INT(ike_sa_init_build(p.i, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	CHECK(p.i->peer_frag && p.r->peer_frag);
	max = ike_sa_frag_max_msg(p.i);
	/* 576 - IPv4 20 - UDP 8 - non-ESP marker 4 */
	CHECK_INT(max, 544);

	CHECK_INT(ike_sa_auth_build(p.i, &p.m), 0);
	CHECK(p.m.len > 9000);	/* three ~3 kB certificates */
	fset_take(&rq, p.i, false);
	CHECK(rq.n >= 20);
	for (size_t k = 0; k < rq.n; k++) {
		uint16_t num, total;

		CHECK(rq.f[k].len <= max);
		frag_nums(&rq.f[k], &num, &total);
		CHECK_INT(num, k + 1);
		CHECK_INT(total, rq.n);
	}
	/* out of order: the even fragments backwards, then the odd ones;
	 * a duplicate in the middle */
	rc = 0;
	for (size_t k = rq.n; k-- > 0;) {
		if (k % 2)
			continue;
		rc = ike_sa_handle_request(p.r, rq.f[k].data, rq.f[k].len, &p.resp, &q);
		CHECK_INT(rc, -EINPROGRESS);
	}
	CHECK_INT(ike_sa_handle_request(p.r, rq.f[2].data, rq.f[2].len, &p.resp, &q),
		  -EALREADY);
	for (size_t k = 1; k < rq.n; k += 2) {
		rc = ike_sa_handle_request(p.r, rq.f[k].data, rq.f[k].len, &p.resp, &q);
		CHECK_INT(rc, k + 2 >= rq.n ? 1 : -EINPROGRESS);
	}
	CHECK_INT(rc, 1);
	CHECK(q.established);
	CHECK_INT(p.r->peer_auth_method, IKE_AUTH_DIGITAL_SIG);
	fset_take(&rs, p.r, true);
	CHECK(rs.n >= 20);
	for (size_t k = 0; k < rs.n; k++)
		CHECK(rs.f[k].len <= max);

	/* 2.6.1: fragment 2 again is ignored, fragment 1 again brings back
	 * the same response fragments */
	CHECK_INT(ike_sa_handle_request(p.r, rq.f[1].data, rq.f[1].len, &p.resp, &q),
		  -EALREADY);
	CHECK_INT(ike_sa_handle_request(p.r, rq.f[0].data, rq.f[0].len, &p.resp, &q), 1);
	CHECK(!q.established);
	fset_take(&again, p.r, true);
	CHECK_INT(again.n, rs.n);
	for (size_t k = 0; k < rs.n && k < again.n; k++)
		CHECK(again.f[k].len == rs.f[k].len &&
		      memcmp(again.f[k].data, rs.f[k].data, rs.f[k].len) == 0);
	fset_free(&again);

	/* the initiator: last fragment first, each once, one twice */
	for (size_t k = rs.n; k-- > 1;)
		CHECK_INT(ike_sa_handle_response(p.i, rs.f[k].data, rs.f[k].len, &s),
			  -EINPROGRESS);
	CHECK_INT(ike_sa_handle_response(p.i, rs.f[3].data, rs.f[3].len, &s),
		  -EALREADY);
	CHECK_INT(ike_sa_handle_response(p.i, rs.f[0].data, rs.f[0].len, &s), 0);
	CHECK(s.established);
	CHECK_INT(p.i->state, IKE_ST_ESTABLISHED);
	check_same_child(p.i, s.child, p.r, 0);
	/* a late duplicate of the response is not taken again */
	CHECK(ike_sa_handle_response(p.i, rs.f[0].data, rs.f[0].len, &s) < 0);

	/* small messages are not fragmented (n == 0) */
	CHECK_INT(ike_exch_liveness_build(p.i, &p.m), 0);
	{
		const struct ike_buf *f;

		CHECK_INT(ike_sa_frags(p.i, false, &f), 0);
	}
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	{
		/* the cached response is now the small one: no fragments */
		const struct ike_buf *f;

		CHECK_INT(ike_sa_frags(p.r, true, &f), 0);
	}
	fset_free(&rq);
	fset_free(&rs);
	pair_free(&p);

	/* limits (STYLE rule 6): a 260-byte MTU needs 40..64 fragments, all
	 * taken; one that would need more than IKE_MAX_FRAGMENTS (64) is not
	 * sent at all and leaves the SA as it was */
	pair_init(&p, true);
	p.ci.frag_mtu = p.cr.frag_mtu = 260;
	pair_start(&p, NULL, NULL);
	CHECK_INT(ike_sa_init_build(p.i, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	CHECK_INT(ike_sa_auth_build(p.i, &p.m), 0);
	fset_take(&rq, p.i, false);
	CHECK(rq.n > 40 && rq.n <= IKE_MAX_FRAGMENTS);
	rc = 0;
	for (size_t k = 0; k < rq.n; k++)
		rc = ike_sa_handle_request(p.r, rq.f[k].data, rq.f[k].len, &p.resp, &q);
	CHECK_INT(rc, 1);
	CHECK(q.established);
	fset_free(&rq);
	pair_free(&p);
	pair_init(&p, true);
	p.ci.frag_mtu = p.cr.frag_mtu = 120;
	pair_start(&p, NULL, NULL);
	CHECK_INT(ike_sa_init_build(p.i, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	CHECK_INT(ike_sa_auth_build(p.i, &p.m), -E2BIG);
	CHECK_INT(p.i->state, IKE_ST_INIT_DONE);
	CHECK_INT(p.i->pend.kind, IKE_PEND_NONE);
	pair_free(&p);

	/* 2.3: not negotiated (the responder does not announce it) -> the
	 * big IKE_AUTH goes whole, and no SKF is accepted */
	pair_init(&p, true);
	p.ci.frag_mtu = p.cr.frag_mtu = IKE_FRAG_MTU_IPV4;
	p.cr.no_frag = true;
	pair_start(&p, NULL, NULL);
	CHECK_INT(ike_sa_init_build(p.i, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	CHECK(!p.i->peer_frag);
	CHECK_INT(ike_sa_frag_max_msg(p.i), 0);
	CHECK_INT(ike_sa_auth_build(p.i, &p.m), 0);
	{
		const struct ike_buf *f;

		CHECK_INT(ike_sa_frags(p.i, false, &f), 0);
	}
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	CHECK(s.established);
	pair_free(&p);
}

/* ---- cookies (RFC 7296 2.6) ------------------------------------------------- */

/* Cookie of the first payload of an IKE_SA_INIT message, or len 0. */
static struct ike_chunk first_cookie(const struct ike_buf *b)
{
	struct ike_msg_view v;
	struct ike_notify n;
	struct ike_chunk c = { NULL, 0 };

	if (ike_msg_parse(b->data, b->len, &v) == 0 && v.ch.n > 0 &&
	    v.ch.pl[0].type == IKE_PL_NOTIFY &&
	    ike_notify_parse(v.ch.pl[0].body, v.ch.pl[0].len, &n) == 0 &&
	    n.type == IKE_N_COOKIE)
		ike_notify_cookie(&n, &c);
	return c;
}

/* Nonce of a plain message (IKE_SA_INIT). */
static struct ike_chunk plain_nonce(const struct ike_buf *b)
{
	struct ike_msg_view v;
	struct ike_chunk c = { NULL, 0 };
	const struct ike_pl *pl;

	if (ike_msg_parse(b->data, b->len, &v) == 0 &&
	    (pl = ike_chain_find(&v.ch, IKE_PL_NONCE, 0)) != NULL)
		ike_nonce_parse(pl->body, pl->len, &c);
	return c;
}

/* "Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>)"
 * computed independently with OpenSSL's SHA-256. */
static void openssl_cookie(const struct ike_cookie_secret *s,
			   const uint8_t spi[8], struct ike_chunk ni,
			   const uint8_t *ip, size_t iplen, uint8_t out[36])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int l = 0;

	out[0] = (uint8_t)(s->version >> 24);
	out[1] = (uint8_t)(s->version >> 16);
	out[2] = (uint8_t)(s->version >> 8);
	out[3] = (uint8_t)s->version;
	if (!c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(c, ni.ptr, ni.len) ||
	    !EVP_DigestUpdate(c, ip, iplen) || !EVP_DigestUpdate(c, spi, 8) ||
	    !EVP_DigestUpdate(c, s->key.ptr, s->key.len) ||
	    !EVP_DigestFinal_ex(c, out + 4, &l) || l != 32)
		abort();
	EVP_MD_CTX_free(c);
}

static void test_cookies(void)
{
	struct ike_endpoint peer = { 4, { 192, 0, 2, 33 }, 500 };
	struct ike_endpoint other = { 4, { 192, 0, 2, 34 }, 500 };
	struct ike_endpoint peer6 = { 6, { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 }, 500 };
	struct ike_cookie_secret s1, s2, s3;
	struct pair p;
	struct ike_exch_result q, s;
	struct ike_buf out, bad;
	struct ike_chunk c;
	uint8_t want[36];

	CHECK_INT(ike_cookie_secret_new(&s1, 1), 0);
	CHECK_INT(ike_cookie_secret_new(&s2, 2), 0);
	CHECK_INT(ike_cookie_secret_new(&s3, 3), 0);
	ike_buf_init(&out);
	ike_buf_init(&bad);
	pair_init(&p, false);
	pair_start(&p, NULL, NULL);

	/* needed: no cookie in the request -> HDR, N(COOKIE) */
	CHECK_INT(ike_sa_init_build(p.i, &p.m), 0);
	CHECK_INT(ike_cookie_check(&s1, NULL, p.m.data, p.m.len, &peer, &out), 1);
	c = first_cookie(&out);
	CHECK_INT(c.len, IKE_COOKIE_LEN);
	if (c.len == IKE_COOKIE_LEN) {
		openssl_cookie(&s1, p.i->spi_i, plain_nonce(&p.m), peer.addr, 4, want);
		CHECK_MEM(c.ptr, want, 36);
	}
	/* the initiator retries with the cookie first (2.6) */
	CHECK_INT(ike_sa_handle_response(p.i, out.data, out.len, &s), -EAGAIN);
	CHECK_INT(ike_sa_init_build(p.i, &p.m), 0);
	CHECK_INT(first_cookie(&p.m).len, IKE_COOKIE_LEN);
	CHECK_INT(ike_cookie_check(&s1, NULL, p.m.data, p.m.len, &peer, &out), 0);
	/* the same request from another address, or a tampered cookie: a new
	 * cookie is asked for */
	CHECK_INT(ike_cookie_check(&s1, NULL, p.m.data, p.m.len, &other, &out), 1);
	ike_buf_put(&bad, p.m.data, p.m.len);
	bad.data[IKE_HDR_LEN + 8 + 10] ^= 0x01;	/* inside the cookie hash */
	CHECK_INT(ike_cookie_check(&s1, NULL, bad.data, bad.len, &peer, &out), 1);
	/* rotation: a cookie of secret 1 is accepted while it is the previous
	 * secret, refused once it is older than that */
	CHECK_INT(ike_cookie_check(&s2, &s1, p.m.data, p.m.len, &peer, &out), 0);
	CHECK_INT(ike_cookie_check(&s2, NULL, p.m.data, p.m.len, &peer, &out), 1);
	CHECK_INT(ike_cookie_check(&s3, &s2, p.m.data, p.m.len, &peer, &out), 1);
	c = first_cookie(&out);
	CHECK(c.len == IKE_COOKIE_LEN && ike_get_u32(c.ptr) == 3);
	/* the accepted retry goes on to a working SA */
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	CHECK_INT(ike_sa_auth_build(p.i, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	CHECK(s.established);
	/* IPv6 peers hash 16 address bytes */
	{
		struct ike_buf m6;

		ike_buf_init(&m6);
		pair_free(&p);
		pair_init(&p, false);
		pair_start(&p, NULL, NULL);
		CHECK_INT(ike_sa_init_build(p.i, &m6), 0);
		CHECK_INT(ike_cookie_check(&s1, NULL, m6.data, m6.len, &peer6, &out), 1);
		c = first_cookie(&out);
		openssl_cookie(&s1, p.i->spi_i, plain_nonce(&m6), peer6.addr, 16, want);
		CHECK(c.len == 36 && memcmp(c.ptr, want, 36) == 0);
		/* a response or a truncated request is not answered */
		CHECK_INT(ike_cookie_check(&s1, NULL, out.data, out.len, &peer6, &bad),
			  -EBADMSG);
		CHECK_INT(ike_cookie_check(&s1, NULL, m6.data, m6.len - 1, &peer6, &bad),
			  -EBADMSG);
		ike_buf_free(&m6);
	}
	ike_key_free(&s1.key);
	ike_key_free(&s2.key);
	ike_key_free(&s3.key);
	ike_buf_free(&out);
	ike_buf_free(&bad);
	pair_free(&p);
}

/* ---- crafted protected requests ------------------------------------------------ */

/* Send inner (first payload type first) as a protected request of exchange
 * from a (its next message ID) to b; response into resp, decrypted into
 * plain / ch.  Returns b's handler result. */
static int crafted(struct ike_sa *a, struct ike_sa *b, uint8_t exchange,
		   const struct ike_buf *inner, uint8_t first,
		   struct ike_buf *resp, struct ike_exch_result *q,
		   uint8_t *plain, size_t cap, struct ike_chain *ch)
{
	struct ike_buf m;
	struct ike_hdr h;
	struct ike_sk_info si;
	size_t plen = 0;
	int r;

	memset(&h, 0, sizeof(h));
	memcpy(h.spi_i, a->spi_i, 8);
	memcpy(h.spi_r, a->spi_r, 8);
	h.version = IKE_VERSION;
	h.exchange = exchange;
	h.flags = a->initiator ? IKE_FLAG_INITIATOR : 0;
	h.msg_id = a->my_msg_id;
	ike_buf_init(&m);
	CHECK_INT(ike_sk_build(&a->keys, a->initiator, &m, &h, first,
			       inner->data, inner->len, NULL), 0);
	r = ike_sa_handle_request(b, m.data, m.len, resp, q);
	ike_buf_free(&m);
	if (r != 1)
		return r;
	a->my_msg_id++;		/* the exchange is done on a's side too */
	ch->n = 0;
	if (ike_sk_decrypt(&b->keys, b->initiator, resp->data, resp->len, &si,
			   plain, cap, &plen) < 0 ||
	    ike_chain_parse(plain, plen, 0, si.first_inner, ch) < 0)
		return -1000;
	return r;
}

/* First notify of a chain: type and (data, len). */
static uint16_t chain_notify(const struct ike_chain *ch, struct ike_notify *n)
{
	const struct ike_pl *pl = ike_chain_find(ch, IKE_PL_NOTIFY, 0);

	if (!pl || ike_notify_parse(pl->body, pl->len, n) < 0)
		return 0;
	return n->type;
}

/* ---- MOBIKE and INITIAL_CONTACT ---------------------------------------------- */

static void test_mobike(void)
{
	struct ike_endpoint li = { 4, { 192, 168, 1, 10 }, 500 };
	struct ike_endpoint gw = { 4, { 198, 51, 100, 1 }, 500 };
	struct ike_endpoint wifi = { 4, { 203, 0, 113, 5 }, 4500 };
	struct ike_endpoint gw4500 = { 4, { 198, 51, 100, 1 }, 4500 };
	struct ike_endpoint natted = { 4, { 198, 18, 0, 9 }, 61000 };
	struct pair p;
	struct ike_exch_result q, s;
	struct ike_buf in, resp;
	struct ike_msg_builder mb;
	struct ike_chain *ch = malloc(sizeof(*ch));
	struct ike_notify n;
	uint8_t plain[2048];
	static const uint8_t a4[4] = { 10, 0, 0, 9 }, a6[16] = { 0xfd, [15] = 1 };

	if (!ch)
		abort();
	ike_buf_init(&in);
	ike_buf_init(&resp);

	/* RFC 4555 3.1 + 2.4: both sides want MOBIKE; the client sends
	 * INITIAL_CONTACT, reported once the SA is up */
	pair_init(&p, false);
	p.ci.mobike = p.cr.mobike = true;
	p.ci.initial_contact = true;
	pair_start(&p, &li, &gw);
	CHECK_INT(ike_sa_init_build(p.i, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	CHECK(!p.r->nat_remote && !p.i->nat_local);
	CHECK_INT(ike_sa_auth_build(p.i, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	CHECK(q.established && q.initial_contact);
	CHECK(p.r->peer_initial_contact);
	CHECK(p.r->mobike && p.i->mobike && p.r->peer_mobike && p.i->peer_mobike);

	/* 3.5: the client moves to a new network behind a NAT */
	CHECK_INT(ike_exch_update_addresses_build(p.i, &wifi, &gw4500, &p.m), 0);
	CHECK_INT(ike_sa_handle_request_from(p.r, p.m.data, p.m.len, &gw4500,
					     &natted, &p.resp, &q), 1);
	CHECK(q.addr_changed);
	CHECK_MEM(p.r->remote.addr, natted.addr, 4);
	CHECK_INT(p.r->remote.port, 61000);
	CHECK_INT(p.r->local.port, 4500);
	CHECK(p.r->nat_remote && !p.r->nat_local);
	CHECK_INT(ike_sa_handle_response(p.i, p.resp.data, p.resp.len, &s), 0);
	CHECK(s.addr_changed);
	CHECK(p.i->nat_local && !p.i->nat_remote);
	CHECK_MEM(p.i->local.addr, wifi.addr, 4);
	/* ... and back to a network without NAT */
	CHECK_INT(ike_exch_update_addresses_build(p.i, &wifi, &gw4500, &p.m), 0);
	CHECK_INT(ike_sa_handle_request_from(p.r, p.m.data, p.m.len, &gw4500,
					     &wifi, &p.resp, &q), 1);
	CHECK(q.addr_changed && !p.r->nat_remote);
	CHECK_INT(ike_sa_handle_response(p.i, p.resp.data, p.resp.len, &s), 0);
	CHECK(!p.i->nat_local);
	/* without the datagram's addresses nothing moves */
	CHECK_INT(ike_exch_update_addresses_build(p.i, &li, &gw, &p.m), 0);
	CHECK_INT(ike_sa_handle_request(p.r, p.m.data, p.m.len, &p.resp, &q), 1);
	CHECK(!q.addr_changed);
	CHECK_MEM(p.r->remote.addr, wifi.addr, 4);
	CHECK_INT(ike_sa_handle_response(p.i, p.resp.data, p.resp.len, &s), 0);
	/* the responder may not send UPDATE_SA_ADDRESSES */
	CHECK_INT(ike_exch_update_addresses_build(p.r, &gw, &li, &p.m), -EINVAL);

	/* 3.6 / 3.8: address notifies are accepted, COOKIE2 comes back */
	{
		static const uint8_t c2[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

		ike_mb_begin_chain(&mb, &in);
		ike_notify_build(&mb, 0, IKE_N_ADDITIONAL_IP4_ADDRESS, NULL, 0, a4, 4);
		ike_notify_build(&mb, 0, IKE_N_ADDITIONAL_IP6_ADDRESS, NULL, 0, a6, 16);
		ike_notify_build(&mb, 0, IKE_N_COOKIE2, NULL, 0, c2, sizeof(c2));
		CHECK(ike_mb_finish(&mb) > 0);
		CHECK_INT(crafted(p.i, p.r, INFORMATIONAL, &in, mb.first, &resp, &q,
				  plain, sizeof(plain), ch), 1);
		CHECK_INT(q.notify, 0);
		CHECK_INT(chain_notify(ch, &n), IKE_N_COOKIE2);
		CHECK(n.data_len == sizeof(c2) && memcmp(n.data, c2, sizeof(c2)) == 0);
		ike_buf_reset(&in);
		ike_mb_begin_chain(&mb, &in);
		ike_notify_build(&mb, 0, IKE_N_NO_ADDITIONAL_ADDRESSES, NULL, 0, NULL, 0);
		CHECK(ike_mb_finish(&mb) > 0);
		CHECK_INT(crafted(p.i, p.r, INFORMATIONAL, &in, mb.first, &resp, &q,
				  plain, sizeof(plain), ch), 1);
		CHECK_INT(q.notify, 0);
		/* a malformed ADDITIONAL_IP4_ADDRESS (3 bytes) is a syntax error
		 * in an authenticated message (3.10.1) */
		ike_buf_reset(&in);
		ike_mb_begin_chain(&mb, &in);
		ike_notify_build(&mb, 0, IKE_N_ADDITIONAL_IP4_ADDRESS, NULL, 0, a4, 3);
		CHECK(ike_mb_finish(&mb) > 0);
		CHECK_INT(crafted(p.i, p.r, INFORMATIONAL, &in, mb.first, &resp, &q,
				  plain, sizeof(plain), ch), 1);
		CHECK_INT(q.notify, IKE_N_INVALID_SYNTAX);
		CHECK_INT(chain_notify(ch, &n), IKE_N_INVALID_SYNTAX);
	}
	/* the SA still works */
	CHECK_INT(ike_exch_liveness_build(p.i, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	pair_free(&p);

	/* the gateway without MOBIKE: not negotiated, updates ignored, and no
	 * INITIAL_CONTACT when the client does not send it */
	pair_init(&p, false);
	p.ci.mobike = true;
	pair_start(&p, &li, &gw);
	establish(&p);
	CHECK(p.r->peer_mobike && !p.r->mobike && !p.i->mobike);
	CHECK(!p.r->peer_initial_contact);
	CHECK_INT(ike_exch_update_addresses_build(p.i, &wifi, &gw4500, &p.m), -EINVAL);
	ike_buf_reset(&in);
	ike_mb_begin_chain(&mb, &in);
	ike_notify_build(&mb, 0, IKE_N_UPDATE_SA_ADDRESSES, NULL, 0, NULL, 0);
	CHECK(ike_mb_finish(&mb) > 0);
	CHECK_INT(ike_sa_handle_request_from(p.r, NULL, 0, &gw, &li, &p.resp, &q),
		  -EBADMSG);
	{
		struct ike_buf m;
		struct ike_hdr h;

		memset(&h, 0, sizeof(h));
		memcpy(h.spi_i, p.i->spi_i, 8);
		memcpy(h.spi_r, p.i->spi_r, 8);
		h.version = IKE_VERSION;
		h.exchange = INFORMATIONAL;
		h.flags = IKE_FLAG_INITIATOR;
		h.msg_id = p.i->my_msg_id;
		ike_buf_init(&m);
		CHECK_INT(ike_sk_build(&p.i->keys, true, &m, &h, mb.first, in.data,
				       in.len, NULL), 0);
		CHECK_INT(ike_sa_handle_request_from(p.r, m.data, m.len, &gw4500,
						     &wifi, &p.resp, &q), 1);
		CHECK(!q.addr_changed);
		CHECK_MEM(p.r->remote.addr, li.addr, 4);
		ike_buf_free(&m);
	}
	pair_free(&p);
	ike_buf_free(&in);
	ike_buf_free(&resp);
	free(ch);
}

/* ---- simultaneous rekeying (2.8.1, 2.8.2) ------------------------------------ */

/* Nonce of a protected message sent by sa's peer (or by sa: own). */
static void msg_nonce(const struct ike_sa *keys_of, bool sender_is_i,
		      const struct ike_buf *m, uint8_t *out, size_t *len)
{
	static uint8_t plain[4096];
	struct ike_sk_info si;
	struct ike_chain *ch = malloc(sizeof(*ch));
	const struct ike_pl *pl;
	struct ike_chunk n = { NULL, 0 };
	size_t plen = 0;

	*len = 0;
	if (ch && ike_sk_decrypt(&keys_of->keys, sender_is_i, m->data, m->len,
				 &si, plain, sizeof(plain), &plen) == 0 &&
	    ike_chain_parse(plain, plen, 0, si.first_inner, ch) == 0 &&
	    (pl = ike_chain_find(ch, IKE_PL_NONCE, 0)) != NULL &&
	    ike_nonce_parse(pl->body, pl->len, &n) == 0) {
		memcpy(out, n.ptr, n.len);
		*len = n.len;
	}
	free(ch);
}

/* memcmp order, shorter first on a tie */
static int ncmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	return c ? c : (al < bl ? -1 : al > bl);
}

/* Is the lowest of the four nonces in exchange A (a1/a2) rather than B? */
static bool lowest_in_a(const uint8_t *a1, size_t l1, const uint8_t *a2,
			size_t l2, const uint8_t *b1, size_t l3,
			const uint8_t *b2, size_t l4)
{
	const uint8_t *amin = ncmp(a1, l1, a2, l2) <= 0 ? a1 : a2;
	size_t alen = amin == a1 ? l1 : l2;
	const uint8_t *bmin = ncmp(b1, l3, b2, l4) <= 0 ? b1 : b2;
	size_t blen = bmin == b1 ? l3 : l4;

	return ncmp(amin, alen, bmin, blen) < 0;
}

/*
 * 2.8.1: "If redundant SAs are created though such a collision, the SA
 * created with the lowest of the four nonces used in the two exchanges
 * SHOULD be closed by the endpoint that created it."  Exchange A is
 * started by the initiator, B by the responder, for the same CHILD SA;
 * the requests cross.
 */
static void test_child_collision(void)
{
	struct pair p;
	struct ike_exch_result q, s, q2, s2;
	struct ike_buf mb, ra, rb;
	uint8_t na1[256], na2[256], nb1[256], nb2[256];
	size_t la1, la2, lb1, lb2;
	int ci, cr, surv_i = -1, surv_r = -1;
	bool a_low;

	for (int round = 0; round < 4; round++) {
		pair_init(&p, false);
		ike_buf_init(&mb);
		ike_buf_init(&ra);
		ike_buf_init(&rb);
		pair_start(&p, NULL, NULL);
		establish(&p);
		ci = cr = 0;
		CHECK_INT(ike_child_build(p.i, ci, 0, &p.m), 0);	/* A */
		CHECK_INT(ike_child_build(p.r, cr, 0, &mb), 0);		/* B */
		/* both answer the other's request while their own is pending */
		CHECK_INT(ike_sa_handle_request(p.r, p.m.data, p.m.len, &ra, &q), 1);
		CHECK_INT(ike_sa_handle_request(p.i, mb.data, mb.len, &rb, &q2), 1);
		CHECK_INT(q.rekeyed_child, cr);
		CHECK_INT(q2.rekeyed_child, ci);
		msg_nonce(p.i, true, &p.m, na1, &la1);
		msg_nonce(p.i, false, &ra, na2, &la2);
		msg_nonce(p.i, false, &mb, nb1, &lb1);
		msg_nonce(p.i, true, &rb, nb2, &lb2);
		CHECK(la1 && la2 && lb1 && lb2);
		a_low = lowest_in_a(na1, la1, na2, la2, nb1, lb1, nb2, lb2);
		CHECK_INT(ike_sa_handle_response(p.i, ra.data, ra.len, &s), 0);
		CHECK_INT(ike_sa_handle_response(p.r, rb.data, rb.len, &s2), 0);
		CHECK(s.rekey_collision && s2.rekey_collision);
		/* A's new SA: s.child (i) / q.child (r); B's: q2.child (i) /
		 * s2.child (r) */
		check_same_child(p.i, s.child, p.r, q.child);
		check_same_child(p.i, q2.child, p.r, s2.child);
		if (a_low) {
			/* A made the redundant SA: i (A's initiator) deletes it,
			 * r (B's initiator, the survivor) deletes the old one */
			CHECK_INT(s.delete_child, s.child);
			CHECK_INT(s2.delete_child, cr);
			surv_i = q2.child;
			surv_r = s2.child;
		} else {
			CHECK_INT(s.delete_child, ci);
			CHECK_INT(s2.delete_child, s2.child);
			surv_i = s.child;
			surv_r = q.child;
		}
		/* carry out the deletions: first i's, then r's */
		CHECK_INT(ike_exch_delete_build(p.i, s.delete_child, &p.m), 0);
		CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
		CHECK_INT(ike_exch_delete_build(p.r, s2.delete_child, &p.m), 0);
		CHECK_INT(roundtrip(p.r, &p.m, p.i, &q, &s), 0);
		/* one CHILD SA left on each side, the same one */
		CHECK_INT(n_children(p.i, NULL), 1);
		CHECK_INT(n_children(p.r, NULL), 1);
		check_same_child(p.i, surv_i, p.r, surv_r);
		ike_buf_free(&mb);
		ike_buf_free(&ra);
		ike_buf_free(&rb);
		pair_free(&p);
	}
	/* no collision: the rekey's initiator deletes the old SA (1.3.3) */
	pair_init(&p, false);
	pair_start(&p, NULL, NULL);
	establish(&p);
	CHECK_INT(ike_child_build(p.i, 0, 0, &p.m), 0);
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	CHECK(!s.rekey_collision && !q.rekey_collision);
	CHECK_INT(s.delete_child, 0);
	CHECK_INT(q.delete_child, -1);
	pair_free(&p);
}

/*
 * 2.8.2: both peers rekey the IKE SA at once; "the SA created with the
 * lowest of the four nonces ... SHOULD be closed by the endpoint that
 * created it", the CHILD SAs live on in the surviving IKE SA, whose
 * initiator deletes the old IKE SA.
 */
static void test_ike_collision(void)
{
	struct pair p;
	struct ike_exch_result q, s, q2, s2;
	struct ike_buf mb, ra, rb;
	uint8_t na1[256], na2[256], nb1[256], nb2[256];
	size_t la1, la2, lb1, lb2;
	bool a_low;

	for (int round = 0; round < 3; round++) {
		struct ike_sa *a_i, *a_r, *b_i, *b_r, *si, *sr;

		pair_init(&p, false);
		ike_buf_init(&mb);
		ike_buf_init(&ra);
		ike_buf_init(&rb);
		pair_start(&p, NULL, NULL);
		establish(&p);
		CHECK_INT(ike_rekey_ike_build(p.i, &p.m), 0);	/* A */
		CHECK_INT(ike_rekey_ike_build(p.r, &mb), 0);	/* B */
		CHECK_INT(ike_sa_handle_request(p.r, p.m.data, p.m.len, &ra, &q), 1);
		CHECK_INT(ike_sa_handle_request(p.i, mb.data, mb.len, &rb, &q2), 1);
		a_r = q.new_sa;
		b_i = q2.new_sa;
		msg_nonce(p.i, true, &p.m, na1, &la1);
		msg_nonce(p.i, false, &ra, na2, &la2);
		msg_nonce(p.i, false, &mb, nb1, &lb1);
		msg_nonce(p.i, true, &rb, nb2, &lb2);
		CHECK(la1 && la2 && lb1 && lb2);
		a_low = lowest_in_a(na1, la1, na2, la2, nb1, lb1, nb2, lb2);
		CHECK_INT(ike_sa_handle_response(p.i, ra.data, ra.len, &s), 0);
		CHECK_INT(ike_sa_handle_response(p.r, rb.data, rb.len, &s2), 0);
		a_i = s.new_sa;
		b_r = s2.new_sa;
		CHECK(a_i && a_r && b_i && b_r);
		if (!a_i || !a_r || !b_i || !b_r)
			abort();
		CHECK(s.rekey_collision && s2.rekey_collision);
		CHECK(key_eq(&a_i->keys.sk_d, &a_r->keys.sk_d));
		CHECK(key_eq(&b_i->keys.sk_d, &b_r->keys.sk_d));
		if (a_low) {
			CHECK(s.delete_sa == a_i);	/* i deletes its own A */
			CHECK(s2.delete_sa == p.r);	/* r deletes the old SA */
			si = b_i;
			sr = b_r;
		} else {
			CHECK(s.delete_sa == p.i);
			CHECK(s2.delete_sa == b_r);
			si = a_i;
			sr = a_r;
		}
		/* the CHILD SA lives in the survivor on both sides */
		CHECK_INT(n_children(si, NULL), 1);
		CHECK_INT(n_children(sr, NULL), 1);
		CHECK_INT(n_children(si == a_i ? b_i : a_i, NULL), 0);
		CHECK_INT(n_children(p.i, NULL), 0);
		{
			int x = -1, y = -1;

			n_children(si, &x);
			n_children(sr, &y);
			check_same_child(si, x, sr, y);
		}
		/* carry out the deletions, then use the survivor */
		CHECK_INT(ike_exch_delete_build(s.delete_sa, -1, &p.m), 0);
		CHECK_INT(roundtrip(s.delete_sa,  &p.m,
				    s.delete_sa == p.i ? p.r : a_r, &q, &s), 0);
		CHECK(q.ike_deleted && s.ike_deleted);
		CHECK_INT(ike_exch_delete_build(s2.delete_sa, -1, &p.m), 0);
		CHECK_INT(roundtrip(s2.delete_sa, &p.m,
				    s2.delete_sa == p.r ? p.i : b_i, &q, &s), 0);
		CHECK(q.ike_deleted);
		CHECK_INT(ike_exch_liveness_build(si, &p.m), 0);
		CHECK_INT(roundtrip(si, &p.m, sr, &q, &s), 0);
		CHECK_INT(ike_child_build(sr, -1, 0, &p.m), 0);
		CHECK_INT(roundtrip(sr, &p.m, si, &q, &s), 0);
		check_same_child(sr, s.child, si, q.child);
		ike_sa_free(a_i);
		ike_sa_free(a_r);
		ike_sa_free(b_i);
		ike_sa_free(b_r);
		ike_buf_free(&mb);
		ike_buf_free(&ra);
		ike_buf_free(&rb);
		pair_free(&p);
	}
}

/* ---- error answers (2.5, 3.2, 2.21) -------------------------------------------- */

/* First notify of a plain message and its data byte. */
static uint16_t plain_notify(const struct ike_buf *b, struct ike_notify *n,
			     struct ike_hdr *h)
{
	static struct ike_msg_view v;
	const struct ike_pl *pl;

	if (ike_msg_parse(b->data, b->len, &v) < 0)
		return 0;
	*h = v.hdr;
	pl = ike_chain_find(&v.ch, IKE_PL_NOTIFY, 0);
	if (!pl || ike_notify_parse(pl->body, pl->len, n) < 0)
		return 0;
	return n->type;
}

/* Append an empty payload of type t (critical or not) to message b. */
static void add_payload(struct ike_buf *b, uint8_t t, bool critical)
{
	struct ike_msg_view v;

	if (ike_msg_parse(b->data, b->len, &v) < 0 || v.ch.n == 0)
		abort();
	b->data[v.ch.pl[v.ch.n - 1].off] = t;
	ike_buf_put_u8(b, 0);
	ike_buf_put_u8(b, critical ? 0x80 : 0);
	ike_buf_put_u16(b, 4);
	ike_buf_set_u32(b, IKE_HDR_OFF_LENGTH, (uint32_t)b->len);
}

static void test_errors(void)
{
	struct pair p;
	struct ike_exch_result q, s;
	struct ike_buf m2, in, resp;
	struct ike_msg_builder mb;
	struct ike_notify n;
	struct ike_hdr h;
	struct ike_chain *ch = malloc(sizeof(*ch));
	uint8_t plain[2048];
	uint32_t id;

	if (!ch)
		abort();
	ike_buf_init(&m2);
	ike_buf_init(&in);
	ike_buf_init(&resp);
	pair_init(&p, false);
	pair_start(&p, NULL, NULL);
	CHECK_INT(ike_sa_init_build(p.i, &p.m), 0);

	/* 2.5: major version 3 -> INVALID_MAJOR_VERSION, header says 2.0 */
	ike_buf_put(&m2, p.m.data, p.m.len);
	m2.data[IKE_HDR_OFF_VERSION] = 0x30;
	CHECK_INT(ike_sa_handle_request(p.r, m2.data, m2.len, &p.resp, &q), 1);
	CHECK_INT(q.notify, IKE_N_INVALID_MAJOR_VERSION);
	CHECK_INT(plain_notify(&p.resp, &n, &h), IKE_N_INVALID_MAJOR_VERSION);
	CHECK_INT(h.version, 0x20);
	CHECK_MEM(h.spi_i, p.i->spi_i, 8);
	CHECK_INT(p.r->state, IKE_ST_IDLE);
	/* IKEv1 (major 1) is dropped without answer */
	m2.data[IKE_HDR_OFF_VERSION] = 0x10;
	CHECK(ike_sa_handle_request(p.r, m2.data, m2.len, &p.resp, &q) < 0);

	/* 3.2: an unknown critical payload in IKE_SA_INIT */
	ike_buf_reset(&m2);
	ike_buf_put(&m2, p.m.data, p.m.len);
	add_payload(&m2, 211, true);
	CHECK_INT(ike_sa_handle_request(p.r, m2.data, m2.len, &p.resp, &q), 1);
	CHECK_INT(plain_notify(&p.resp, &n, &h), IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD);
	CHECK(n.data_len == 1 && n.data[0] == 211);
	CHECK_INT(p.r->state, IKE_ST_IDLE);
	/* ... without the critical bit it is skipped (3.2) */
	ike_buf_reset(&m2);
	ike_buf_put(&m2, p.m.data, p.m.len);
	add_payload(&m2, 211, false);
	CHECK_INT(ike_sa_handle_request(p.r, m2.data, m2.len, &p.resp, &q), 1);
	CHECK_INT(q.notify, 0);
	CHECK_INT(p.r->state, IKE_ST_INIT_DONE);
	/* (that message is not the one the initiator signs: start over) */
	pair_free(&p);
	pair_init(&p, false);
	pair_start(&p, NULL, NULL);
	establish(&p);

	/* 3.2 inside SK: protected UNSUPPORTED_CRITICAL_PAYLOAD */
	id = p.r->peer_msg_id;
	ike_mb_begin_chain(&mb, &in);
	ike_pl_build_raw(&mb, 222, true, NULL, 0);
	CHECK(ike_mb_finish(&mb) > 0);
	CHECK_INT(crafted(p.i, p.r, INFORMATIONAL, &in, mb.first, &resp, &q, plain,
			  sizeof(plain), ch), 1);
	CHECK_INT(q.notify, IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD);
	CHECK_INT(chain_notify(ch, &n), IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD);
	CHECK(n.data_len == 1 && n.data[0] == 222);
	CHECK_INT(p.r->peer_msg_id, id + 1);

	/* 2.21 / 3.10.1: authenticated but malformed -> INVALID_SYNTAX:
	 * a Delete whose SPI count does not match its length */
	{
		static const uint8_t del[] = { IKE_PROTO_ESP, 4, 0, 2, 1, 2, 3, 4 };

		ike_buf_reset(&in);
		ike_mb_begin_chain(&mb, &in);
		ike_pl_build_raw(&mb, IKE_PL_DELETE, false, del, sizeof(del));
		CHECK(ike_mb_finish(&mb) > 0);
		CHECK_INT(crafted(p.i, p.r, INFORMATIONAL, &in, mb.first, &resp, &q,
				  plain, sizeof(plain), ch), 1);
		CHECK_INT(chain_notify(ch, &n), IKE_N_INVALID_SYNTAX);
	}
	/* a CREATE_CHILD_SA without SA payload */
	ike_buf_reset(&in);
	ike_mb_begin_chain(&mb, &in);
	ike_nonce_build(&mb, plain, 32);
	CHECK(ike_mb_finish(&mb) > 0);
	CHECK_INT(crafted(p.i, p.r, CREATE_CHILD_SA, &in, mb.first, &resp, &q,
			  plain, sizeof(plain), ch), 1);
	CHECK_INT(chain_notify(ch, &n), IKE_N_INVALID_SYNTAX);
	CHECK_INT(p.r->state, IKE_ST_ESTABLISHED);
	/* a tampered message still gets no answer at all (2.21) */
	CHECK_INT(ike_exch_liveness_build(p.i, &p.m), 0);
	p.m.data[p.m.len - 3] ^= 0x40;
	CHECK_INT(ike_sa_handle_request(p.r, p.m.data, p.m.len, &p.resp, &q), -EBADMSG);
	p.m.data[p.m.len - 3] ^= 0x40;
	CHECK_INT(roundtrip(p.i, &p.m, p.r, &q, &s), 0);
	free(ch);
	ike_buf_free(&m2);
	ike_buf_free(&in);
	ike_buf_free(&resp);
	pair_free(&p);
}

int main(void)
{
	if (ike_init() < 0)
		return 1;
	fixtures();
	test_fragments();
	test_cookies();
	test_mobike();
	test_child_collision();
	test_ike_collision();
	test_errors();
	fixtures_free();
	return check_done("twopeer_net");
}
