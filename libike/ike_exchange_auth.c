/*
 * ike_exchange_auth.c — IKE_AUTH, both roles (RFC 7296 1.2, 2.15):
 *
 *   HDR, SK {IDi, [CERT,] [CERTREQ,] [IDr,] AUTH, [CP(CFG_REQUEST),]
 *            SAi2, TSi, TSr}  -->
 *                        <--  HDR, SK {IDr, [CERT,] AUTH, [CP(CFG_REPLY),]
 *                                      SAr2, TSi, TSr}
 *
 * Peer authentication: shared key (method 2) or a signature (methods 1,
 * 9-11, 14) with a certificate chain verified against the configured CA
 * store, whose end-entity certificate must name the peer's ID.
 * Errors per 2.21.2 (AUTHENTICATION_FAILED, the IKE SA is not created) and
 * 2.21.3 / 1.2 (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE: the IKE SA is created
 * without a CHILD SA).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>
#include <sodium.h>

#include "ike_auth.h"
#include "ike_exchange_int.h"

#define MAX_CERTREQ_CAS 8

/* CERTREQ with SHA-1 hashes of our CAs' SubjectPublicKeyInfo (3.7). */
void exch_put_certreq(const struct ike_sa *sa, struct ike_msg_builder *mb)
{
	STACK_OF(X509_OBJECT) *objs;
	uint8_t hashes[MAX_CERTREQ_CAS * IKE_CERTREQ_HASH_LEN];
	size_t n = 0;

	if (!sa->cfg->trust)
		return;
	objs = X509_STORE_get0_objects(sa->cfg->trust);
	for (int i = 0; objs && i < sk_X509_OBJECT_num(objs) &&
	     n < MAX_CERTREQ_CAS; i++) {
		X509 *ca = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
		unsigned char *der = NULL;
		unsigned int hl = 0;
		int dl;

		if (!ca)
			continue;
		dl = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(ca), &der);
		if (dl > 0 && EVP_Digest(der, (size_t)dl,
					 hashes + n * IKE_CERTREQ_HASH_LEN, &hl,
					 EVP_sha1(), NULL) &&
		    hl == IKE_CERTREQ_HASH_LEN)
			n++;
		OPENSSL_free(der);
	}
	ike_certreq_build(mb, IKE_CERT_X509_SIG, hashes,
			  n * IKE_CERTREQ_HASH_LEN);
}

/* ID payload body (3.5): ID Type | RESERVED(3) | data. */
static int id_body(const struct ike_exch_cfg *cfg, struct ike_buf *b)
{
	ike_buf_put_u8(b, cfg->id_type);
	ike_buf_put_zero(b, 3);
	ike_buf_put(b, cfg->id, cfg->id_len);
	return ike_buf_error(b);
}

/*
 * Append our AUTH payload: signed octets = our first message | the peer's
 * nonce | prf(SK_p, our ID body) (2.15); shared key or signature.
 */
static int put_auth(const struct ike_sa *sa, struct ike_msg_builder *mb,
		    const struct ike_buf *idb)
{
	const struct ike_exch_cfg *cfg = sa->cfg;
	const struct ike_buf *msg = sa->initiator ? &sa->init_req : &sa->init_resp;
	struct ike_buf oct, sig;
	int r;

	ike_buf_init(&oct);
	ike_buf_init(&sig);
	r = ike_auth_octets(&oct, sa->keys.prf,
			    sa->initiator ? &sa->keys.sk_pi : &sa->keys.sk_pr,
			    msg->data, msg->len,
			    sa->initiator ? sa->nr : sa->ni,
			    sa->initiator ? sa->nr_len : sa->ni_len,
			    idb->data, idb->len);
	if (r == 0)
		r = ike_buf_error(&oct);
	if (r == 0 && cfg->auth == IKE_EXCH_AUTH_PSK) {
		uint8_t a[64];

		r = ike_auth_psk(sa->keys.prf, cfg->psk, cfg->psk_len, oct.data,
				 oct.len, a);
		if (r > 0)
			r = ike_auth_build(mb, IKE_AUTH_PSK, a, (size_t)r);
		sodium_memzero(a, sizeof(a));
	} else if (r == 0) {
		struct ike_auth_sig how;

		r = ike_auth_sig_choose(cfg->key, sa->peer_hashes,
					sa->n_peer_hashes, cfg->rsa_pss, &how);
		if (r == 0)
			r = ike_auth_sign(&how, cfg->key, oct.data, oct.len, &sig);
		if (r == 0)
			r = ike_auth_build(mb, how.method, sig.data, sig.len);
	}
	if (r < 0)
		ike_mb_fail(mb, r);
	ike_buf_free(&oct);
	ike_buf_free(&sig);
	return r < 0 ? r : 0;
}

/* Append IDx, CERT*, AUTH (the part common to both roles). */
static int put_identity(const struct ike_sa *sa, struct ike_msg_builder *mb,
			uint8_t id_pl)
{
	const struct ike_exch_cfg *cfg = sa->cfg;
	struct ike_buf idb;
	int r;

	ike_buf_init(&idb);
	r = id_body(cfg, &idb);
	if (r == 0)
		r = ike_id_build(mb, id_pl, cfg->id_type, cfg->id, cfg->id_len);
	for (size_t i = 0; r == 0 && cfg->auth == IKE_EXCH_AUTH_SIG &&
	     i < cfg->n_certs; i++)
		r = ike_cert_build(mb, IKE_CERT_X509_SIG, cfg->certs[i].ptr,
				   cfg->certs[i].len);
	if (r == 0 && sa->initiator && cfg->peer_auth == IKE_EXCH_AUTH_SIG)
		exch_put_certreq(sa, mb);
	if (r == 0 && sa->initiator && cfg->peer_id_type && cfg->peer_id)
		r = ike_id_build(mb, IKE_PL_IDR, cfg->peer_id_type, cfg->peer_id,
				 cfg->peer_id_len);
	if (r == 0)
		r = put_auth(sa, mb, &idb);
	ike_buf_free(&idb);
	return r;
}

/* Does the end-entity certificate name this ID? (RFC 4945 3.1 / 3.2) */
static bool cert_names_id(X509 *ee, const struct ike_id *id)
{
	char buf[IKE_EXCH_MAX_ID + 1];
	unsigned char *der = NULL;
	bool ok = false;
	int dl;

	switch (id->type) {
	case IKE_ID_FQDN:
	case IKE_ID_RFC822_ADDR:
		if (id->len > IKE_EXCH_MAX_ID || memchr(id->data, 0, id->len))
			return false;
		memcpy(buf, id->data, id->len);
		buf[id->len] = 0;
		if (id->type == IKE_ID_FQDN)
			return X509_check_host(ee, buf, id->len, 0, NULL) == 1;
		return X509_check_email(ee, buf, id->len, 0) == 1;
	case IKE_ID_IPV4_ADDR:
	case IKE_ID_IPV6_ADDR:
		return X509_check_ip(ee, id->data, id->len, 0) == 1;
	case IKE_ID_DER_ASN1_DN:
		dl = i2d_X509_NAME(X509_get_subject_name(ee), &der);
		ok = dl > 0 && (size_t)dl == id->len &&
		     memcmp(der, id->data, id->len) == 0;
		OPENSSL_free(der);
		return ok;
	default:
		return false;
	}
}

/*
 * Verify the peer's certificate chain (first CERT = end entity, the others
 * untrusted intermediates) against cfg->trust at cfg->now, and that it
 * names id.  Returns the end-entity's key (caller frees) or NULL.
 */
static EVP_PKEY *peer_cert_key(const struct ike_sa *sa, const struct ike_chain *in,
			       const struct ike_id *id)
{
	const struct ike_exch_cfg *cfg = sa->cfg;
	STACK_OF(X509) *chain = sk_X509_new_null();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509 *ee = NULL;
	EVP_PKEY *key = NULL;
	size_t n = 0;

	if (!chain || !ctx)
		goto out;
	for (size_t i = 0; i < in->n; i++) {
		struct ike_cert c;
		const unsigned char *p;
		X509 *x;

		if (in->pl[i].type != IKE_PL_CERT)
			continue;
		if (++n > IKE_EXCH_MAX_CERTS ||
		    ike_cert_parse(in->pl[i].body, in->pl[i].len, &c) < 0 ||
		    c.encoding != IKE_CERT_X509_SIG || c.len > LONG_MAX)
			goto out;
		p = c.data;
		x = d2i_X509(NULL, &p, (long)c.len);
		if (!x || p != c.data + c.len) {
			X509_free(x);
			goto out;
		}
		if (!ee) {
			ee = x;
		} else if (!sk_X509_push(chain, x)) {
			X509_free(x);
			goto out;
		}
	}
	if (!ee || !X509_STORE_CTX_init(ctx, cfg->trust, ee, chain))
		goto out;
	if (cfg->now)
		X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx),
					   (time_t)cfg->now);
	else
		X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx),
					    X509_V_FLAG_NO_CHECK_TIME);
	if (X509_verify_cert(ctx) != 1 || !cert_names_id(ee, id))
		goto out;
	key = X509_get_pubkey(ee);
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(chain, X509_free);
	X509_free(ee);
	return key;
}

/*
 * Verify the peer's ID and AUTH payloads of in (2.15): the peer signed its
 * first message | our nonce | prf(SK_px, its ID body).  Records the peer's
 * ID.  Returns 0, -EACCES (any failure: "If authentication fails ... MUST
 * send/treat AUTHENTICATION_FAILED"), -EBADMSG (missing/malformed).
 */
static int verify_peer(struct ike_sa *sa, const struct ike_chain *in)
{
	const struct ike_exch_cfg *cfg = sa->cfg;
	bool peer_is_i = !sa->initiator;
	const struct ike_pl *idp = ike_chain_find(in, peer_is_i ? IKE_PL_IDI :
						  IKE_PL_IDR, 0);
	const struct ike_pl *ap = ike_chain_find(in, IKE_PL_AUTH, 0);
	const struct ike_buf *msg = peer_is_i ? &sa->init_req : &sa->init_resp;
	struct ike_id id;
	struct ike_auth a;
	struct ike_buf oct;
	int r;

	if (!idp || !ap || ike_id_parse(idp->body, idp->len, &id) < 0 ||
	    ike_auth_parse(ap->body, ap->len, &a) < 0 ||
	    id.len > IKE_EXCH_MAX_ID)
		return -EBADMSG;
	sa->peer_id_type = id.type;
	memcpy(sa->peer_id, id.data, id.len);
	sa->peer_id_len = id.len;
	sa->peer_auth_method = a.method;
	if (cfg->peer_id_type &&
	    (id.type != cfg->peer_id_type || id.len != cfg->peer_id_len ||
	     memcmp(id.data, cfg->peer_id, id.len) != 0))
		return -EACCES;
	ike_buf_init(&oct);
	r = ike_auth_octets(&oct, sa->keys.prf,
			    peer_is_i ? &sa->keys.sk_pi : &sa->keys.sk_pr,
			    msg->data, msg->len,
			    peer_is_i ? sa->nr : sa->ni,
			    peer_is_i ? sa->nr_len : sa->ni_len,
			    idp->body, idp->len);
	if (r == 0)
		r = ike_buf_error(&oct);
	if (r < 0) {
		ike_buf_free(&oct);
		return r;
	}
	if (cfg->peer_auth == IKE_EXCH_AUTH_PSK) {
		r = a.method == IKE_AUTH_PSK ?
		    ike_auth_psk_verify(sa->keys.prf, cfg->peer_psk,
					cfg->peer_psk_len, oct.data, oct.len,
					a.data, a.len) : -EACCES;
	} else if (a.method == IKE_AUTH_PSK) {
		r = -EACCES;	/* no downgrade to a shared key */
	} else {
		EVP_PKEY *key = peer_cert_key(sa, in, &id);

		struct ike_auth_sig used = { 0 };

		r = key ? ike_auth_verify(a.method, a.data, a.len, key, oct.data,
					  oct.len, &used) : -EACCES;
		sa->peer_auth_hash = used.hash;
		sa->peer_auth_pss = used.rsa_pss;
		EVP_PKEY_free(key);
	}
	ike_buf_free(&oct);
	return r < 0 ? -EACCES : 0;
}

/* Our CHILD proposals for IKE_AUTH (no DH: 1.2, KE is not sent there). */
int exch_child_offer(const struct ike_sa *sa, uint32_t spi, uint16_t pfs_group,
		     struct ike_proposal *out, size_t max)
{
	const struct ike_exch_cfg *cfg = sa->cfg;
	size_t n = 0;

	if (cfg->n_child_props == 0 || cfg->n_child_props > max)
		return -EINVAL;
	for (size_t i = 0; i < cfg->n_child_props; i++) {
		const struct ike_proposal *c = &cfg->child_props[i];
		struct ike_proposal *o = &out[n++];

		memset(o, 0, sizeof(*o));
		o->num = (uint8_t)n;
		o->protocol = IKE_PROTO_ESP;
		o->spi_len = 4;
		o->spi[0] = (uint8_t)(spi >> 24);
		o->spi[1] = (uint8_t)(spi >> 16);
		o->spi[2] = (uint8_t)(spi >> 8);
		o->spi[3] = (uint8_t)spi;
		for (size_t t = 0; t < c->n_transforms; t++)
			if (c->tr[t].type != IKE_TR_DH &&
			    o->n_transforms < IKE_MAX_TRANSFORMS)
				o->tr[o->n_transforms++] = c->tr[t];
		if (pfs_group && o->n_transforms < IKE_MAX_TRANSFORMS)
			o->tr[o->n_transforms++] = (struct ike_transform){
				.type = IKE_TR_DH, .id = pfs_group };
	}
	return (int)n;
}

/* See ike_exchange.h: the IKE_AUTH request. */
int ike_sa_auth_build(struct ike_sa *sa, struct ike_buf *out)
{
	const struct ike_exch_cfg *cfg = sa->cfg;
	struct ike_buf in;
	struct ike_msg_builder mb;
	struct ike_hdr h;
	uint32_t spi = exch_random_spi();
	int n, r;

	if (!sa->initiator || sa->state != IKE_ST_INIT_DONE)
		return -EINVAL;
	if (sa->pend.kind != IKE_PEND_NONE)
		return -EBUSY;
	n = exch_child_offer(sa, spi, 0, sa->pend.props, IKE_EXCH_MAX_PROPS);
	if (n < 0)
		return n;
	ike_buf_init(&in);
	ike_mb_begin_chain(&mb, &in);
	r = put_identity(sa, &mb, IKE_PL_IDI);
	if (r == 0 && cfg->cp_request) {
		size_t off = ike_mb_pl_begin(&mb, IKE_PL_CP, false);

		ike_cp_put_header(&in, IKE_CFG_REQUEST);
		ike_cp_put_attr(&in, IKE_CA_INTERNAL_IP4_ADDRESS, NULL, 0);
		ike_cp_put_attr(&in, IKE_CA_INTERNAL_IP4_DNS, NULL, 0);
		if (off != SIZE_MAX)
			ike_mb_pl_end(&mb, off);
	}
	if (r == 0) {
		ike_sa_build(&mb, sa->pend.props, (size_t)n);
		exch_put_ts(&mb, IKE_PL_TSI, &cfg->ts_local);
		exch_put_ts(&mb, IKE_PL_TSR, &cfg->ts_remote);
		r = ike_mb_finish(&mb);
	}
	exch_hdr(sa, &h, IKE_AUTH, false, sa->my_msg_id);
	if (r >= 0)
		r = exch_seal(sa, out, &h, &in, mb.first);
	ike_buf_free(&in);
	if (r < 0) {
		exch_pend_clear(&sa->pend);
		return r;
	}
	sa->pend.kind = IKE_PEND_AUTH;
	sa->pend.msg_id = sa->my_msg_id;
	sa->pend.n_props = (size_t)n;
	sa->pend.spi = spi;
	sa->pend.tsi = cfg->ts_local;
	sa->pend.tsr = cfg->ts_remote;
	ike_buf_reset(&sa->last_req_out);
	ike_buf_put(&sa->last_req_out, out->data, out->len);
	sa->state = IKE_ST_AUTH_SENT;
	return ike_buf_error(&sa->last_req_out);
}

/* Parse the TSi and TSr payloads of in (3.13). */
int exch_parse_ts(const struct ike_chain *in, struct ike_ts_list *tsi,
		    struct ike_ts_list *tsr)
{
	const struct ike_pl *a = ike_chain_find(in, IKE_PL_TSI, 0);
	const struct ike_pl *b = ike_chain_find(in, IKE_PL_TSR, 0);

	if (!a || !b || ike_ts_parse(a->body, a->len, tsi) < 0 ||
	    ike_ts_parse(b->body, b->len, tsr) < 0)
		return -EBADMSG;
	return 0;
}

/*
 * Responder half of CHILD SA negotiation shared by IKE_AUTH and
 * CREATE_CHILD_SA: select an ESP proposal from in's SA payload against
 * mine, narrow TSi/TSr (2.9) against the permitted lists.  Returns 0 or the
 * error notify to send (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE) as a positive
 * number, or -EBADMSG.
 */
int exch_child_select(const struct ike_chain *in,
		      const struct ike_proposal *mine, size_t n_mine,
		      const struct ike_ts_list *perm_i,
		      const struct ike_ts_list *perm_r,
		      struct ike_proposal *sel, struct ike_ts_list *tsi,
		      struct ike_ts_list *tsr)
{
	const struct ike_pl *s = ike_chain_find(in, IKE_PL_SA, 0);
	struct ike_proposal *props;
	struct ike_ts_list pi, pr;
	size_t n = 0;
	int r;

	if (!s || exch_parse_ts(in, &pi, &pr) < 0)
		return -EBADMSG;
	props = calloc(IKE_MAX_PROPOSALS, sizeof(*props));
	if (!props)
		return -ENOMEM;
	r = ike_sa_parse(s->body, s->len, 0, props, IKE_MAX_PROPOSALS, &n);
	if (r < 0) {
		free(props);
		return -EBADMSG;
	}
	r = ike_exch_select(mine, n_mine, props, n, sel);
	free(props);
	if (r < 0 || sel->protocol != IKE_PROTO_ESP || sel->spi_len != 4)
		return IKE_N_NO_PROPOSAL_CHOSEN;
	/* 2.9: "narrow them to a subset"; nothing left -> TS_UNACCEPTABLE */
	if (ike_ts_narrow(&pi, perm_i, tsi) <= 0 ||
	    ike_ts_narrow(&pr, perm_r, tsr) <= 0)
		return IKE_N_TS_UNACCEPTABLE;
	return 0;
}

/* Responder: the CP reply (3.15.4); narrows permitted TSi to the address. */
static void put_cp_reply(const struct ike_sa *sa, struct ike_msg_builder *mb)
{
	size_t off = ike_mb_pl_begin(mb, IKE_PL_CP, false);
	int r;

	if (off == SIZE_MAX)
		return;
	r = ike_cp_build_reply(mb->b, sa->cfg->cp_reply);
	if (r < 0)
		ike_mb_fail(mb, r);
	ike_mb_pl_end(mb, off);
}

/* Responder: IKE_AUTH request -> response (see the top of this file). */
int exch_auth_request(struct ike_sa *sa, const struct ike_msg_view *v,
		      const struct ike_chain *in, struct ike_buf *out,
		      struct ike_exch_result *res)
{
	const struct ike_exch_cfg *cfg = sa->cfg;
	const struct ike_pl *idr = ike_chain_find(in, IKE_PL_IDR, 0);
	const struct ike_pl *cp = ike_chain_find(in, IKE_PL_CP, 0);
	struct ike_proposal mine[IKE_EXCH_MAX_PROPS], sel;
	struct ike_ts_list tsi, tsr, perm_i = cfg->ts_remote;
	bool cp_reply = false;
	struct ike_buf ib;
	struct ike_msg_builder mb;
	struct ike_hdr h;
	uint16_t child_err = 0;
	int nm, r;

	r = verify_peer(sa, in);
	if (r == 0 && idr) {
		/* IDr names whom the initiator wants to talk to (3.5) */
		struct ike_id id;

		if (ike_id_parse(idr->body, idr->len, &id) < 0 ||
		    id.type != cfg->id_type || id.len != cfg->id_len ||
		    memcmp(id.data, cfg->id, id.len) != 0)
			r = -EACCES;
	}
	if (r == -EBADMSG)
		return r;
	if (r < 0) {
		/* 2.21.2: "... the responder MUST send an AUTHENTICATION_FAILED
		 * notification in the IKE_AUTH response" */
		res->notify = IKE_N_AUTHENTICATION_FAILED;
		r = exch_notify_resp(sa, IKE_AUTH, v->hdr.msg_id,
				     IKE_N_AUTHENTICATION_FAILED, NULL, 0, out);
		sa->state = IKE_ST_FAILED;
		return r < 0 ? r : 1;
	}
	if (cp) {
		struct ike_cp req;

		if (ike_cp_parse(cp->body, cp->len, &req) < 0)
			return -EBADMSG;
		if (req.cfg_type == IKE_CFG_REQUEST && cfg->cp_reply &&
		    cfg->cp_reply->has_ip4) {
			cp_reply = true;
			/* the client's inner address is the only TSi allowed */
			perm_i.n = 1;
			ike_ts_from_cidr(&perm_i.ts[0], IKE_TS_IPV4_ADDR_RANGE,
					 cfg->cp_reply->ip4, 32, 0, 0, 65535);
		}
	}
	nm = exch_child_offer(sa, 0, 0, mine, IKE_EXCH_MAX_PROPS);
	if (nm < 0)
		child_err = IKE_N_NO_PROPOSAL_CHOSEN;
	else {
		r = exch_child_select(in, mine, (size_t)nm, &perm_i,
				      &cfg->ts_local, &sel, &tsi, &tsr);
		if (r < 0)
			return r;
		child_err = (uint16_t)r;
	}
	ike_buf_init(&ib);
	ike_mb_begin_chain(&mb, &ib);
	r = put_identity(sa, &mb, IKE_PL_IDR);
	if (r == 0 && child_err) {
		ike_notify_build(&mb, 0, child_err, NULL, 0, NULL, 0);
	} else if (r == 0) {
		int slot = exch_child_slot(sa);
		uint32_t spi = exch_random_spi();

		r = slot;
		if (slot >= 0)
			r = exch_child_install(sa, slot, &sel, false, spi,
					       ike_get_u32(sel.spi), NULL,
					       sa->ni, sa->ni_len, sa->nr,
					       sa->nr_len, &tsi, &tsr);
		if (r == 0) {
			res->child = slot;
			sel.spi[0] = (uint8_t)(spi >> 24);
			sel.spi[1] = (uint8_t)(spi >> 16);
			sel.spi[2] = (uint8_t)(spi >> 8);
			sel.spi[3] = (uint8_t)spi;
			if (cp_reply)
				put_cp_reply(sa, &mb);
			ike_sa_build(&mb, &sel, 1);
			exch_put_ts(&mb, IKE_PL_TSI, &tsi);
			exch_put_ts(&mb, IKE_PL_TSR, &tsr);
		}
	}
	if (r >= 0)
		r = ike_mb_finish(&mb);
	exch_hdr(sa, &h, IKE_AUTH, true, v->hdr.msg_id);
	if (r >= 0)
		r = exch_seal(sa, out, &h, &ib, mb.first);
	ike_buf_free(&ib);
	if (r < 0) {
		if (res->child >= 0)
			exch_child_release(sa, res->child);
		res->child = -1;
		return r;
	}
	res->notify = child_err;
	res->established = true;
	sa->state = IKE_ST_ESTABLISHED;
	return 1;
}

/* Is every selector of got inside one of want (the responder may only
 * narrow, 2.9)? */
static bool ts_subset(const struct ike_ts_list *got,
		      const struct ike_ts_list *want)
{
	for (size_t i = 0; i < got->n; i++) {
		bool in = false;

		for (size_t k = 0; k < want->n && !in; k++)
			in = ike_ts_contains(&want->ts[k], &got->ts[i]);
		if (!in)
			return false;
	}
	return true;
}

/* Initiator: read the CP reply's first INTERNAL_IP4_ADDRESS (3.15). */
static int read_cp_reply(struct ike_sa *sa, const struct ike_chain *in)
{
	const struct ike_pl *p = ike_chain_find(in, IKE_PL_CP, 0);
	struct ike_cp cp;
	int i;

	if (!p)
		return 0;
	if (ike_cp_parse(p->body, p->len, &cp) < 0 ||
	    cp.cfg_type != IKE_CFG_REPLY)
		return -EBADMSG;
	i = ike_cp_find(&cp, IKE_CA_INTERNAL_IP4_ADDRESS, 0);
	if (i >= 0 && cp.attr[i].len == 4) {
		memcpy(sa->cp_ip4, cp.attr[i].val, 4);
		sa->cp_have_ip4 = true;
	}
	return 0;
}

/* Initiator: the IKE_AUTH response (see the top of this file). */
int exch_auth_response(struct ike_sa *sa, const struct ike_chain *in,
		       struct ike_exch_result *res)
{
	const struct ike_pl *s;
	struct ike_proposal reply;
	struct ike_ts_list tsi, tsr;
	uint16_t err, g;
	size_t n = 0;
	int slot, r;

	r = exch_scan_error(in, &err, &g);
	if (r < 0)
		return r;
	if (!ike_chain_find(in, IKE_PL_AUTH, 0)) {
		if (!err)
			return -EBADMSG;
		res->notify = err;
		sa->state = IKE_ST_FAILED;
		return -EPROTO;
	}
	r = verify_peer(sa, in);
	if (r == -EBADMSG)
		return r;
	if (r < 0) {
		sa->state = IKE_ST_FAILED;
		return -EACCES;
	}
	sa->state = IKE_ST_ESTABLISHED;
	res->established = true;
	s = ike_chain_find(in, IKE_PL_SA, 0);
	if (err || !s) {
		/* 1.2: the IKE SA is up, the CHILD SA was refused */
		res->notify = err ? err : IKE_N_NO_PROPOSAL_CHOSEN;
		return -EPROTO;
	}
	if (ike_sa_parse(s->body, s->len, IKE_SA_PARSE_REPLY, &reply, 1, &n) < 0 ||
	    n != 1 || reply.spi_len != 4 ||
	    exch_reply_check(sa->pend.props, sa->pend.n_props, &reply) < 0 ||
	    exch_parse_ts(in, &tsi, &tsr) < 0 || !ts_subset(&tsi, &sa->pend.tsi) ||
	    !ts_subset(&tsr, &sa->pend.tsr) || read_cp_reply(sa, in) < 0)
		return -EBADMSG;
	slot = exch_child_slot(sa);
	if (slot < 0)
		return slot;
	r = exch_child_install(sa, slot, &reply, true, sa->pend.spi,
			       ike_get_u32(reply.spi), NULL, sa->ni, sa->ni_len,
			       sa->nr, sa->nr_len, &tsi, &tsr);
	if (r < 0)
		return r;
	res->child = slot;
	return 0;
}
