/*
 * ike_exchange_init.c — IKE_SA_INIT, both roles (RFC 7296 1.2):
 *
 *   Initiator                         Responder
 *   HDR, SAi1, KEi, Ni  -->
 *                                <--  HDR, SAr1, KEr, Nr, [CERTREQ]
 *
 * with N(COOKIE) (2.6), N(INVALID_KE_PAYLOAD) (1.3, 2.7),
 * N(NO_PROPOSAL_CHOSEN) (2.7), NAT detection (2.23), RFC 7383
 * IKEV2_FRAGMENTATION_SUPPORTED and RFC 7427 SIGNATURE_HASH_ALGORITHMS.
 * The keys of 2.14 are derived as soon as both nonces and g^ir are known.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "ike_exchange_int.h"

/* RFC 7427 4: the hashes we verify (announced unless cfg->no_hash_algs) */
static const uint16_t our_hashes[] = {
	IKE_HASH_SHA2_256, IKE_HASH_SHA2_384, IKE_HASH_SHA2_512,
	IKE_HASH_IDENTITY,
};

/* 2.23: SHA-1(SPIi | SPIr | IP address | port); see ike_exchange_int.h. */
int exch_nat_hash(const uint8_t spi_i[8], const uint8_t spi_r[8],
		    const struct ike_endpoint *ep, uint8_t out[IKE_NAT_HASH_LEN])
{
	uint8_t buf[8 + 8 + 16 + 2];
	size_t alen = ep->family == 6 ? 16 : 4;
	unsigned int olen = 0;

	memcpy(buf, spi_i, 8);
	memcpy(buf + 8, spi_r, 8);
	memcpy(buf + 16, ep->addr, alen);
	buf[16 + alen] = (uint8_t)(ep->port >> 8);
	buf[17 + alen] = (uint8_t)ep->port;
	if (!EVP_Digest(buf, 18 + alen, out, &olen, EVP_sha1(), NULL) ||
	    olen != IKE_NAT_HASH_LEN)
		return -ENOMEM;
	return 0;
}

/* Append N(NAT_DETECTION_SOURCE_IP) and N(NAT_DETECTION_DESTINATION_IP). */
static void put_nat(const struct ike_sa *sa, struct ike_msg_builder *mb)
{
	uint8_t h[IKE_NAT_HASH_LEN];

	if (!sa->have_endpoints)
		return;
	if (exch_nat_hash(sa->spi_i, sa->spi_r, &sa->local, h) < 0) {
		ike_mb_fail(mb, -ENOMEM);
		return;
	}
	ike_notify_build(mb, 0, IKE_N_NAT_DETECTION_SOURCE_IP, NULL, 0, h,
			 sizeof(h));
	if (exch_nat_hash(sa->spi_i, sa->spi_r, &sa->remote, h) < 0) {
		ike_mb_fail(mb, -ENOMEM);
		return;
	}
	ike_notify_build(mb, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, NULL, 0,
			 h, sizeof(h));
}

/*
 * Read the status notifies of an IKE_SA_INIT message (either direction):
 * NAT detection (2.23: "If none of the NAT_DETECTION_SOURCE_IP payload(s)
 * received matches the hash ... the other end is behind a NAT"; a
 * DESTINATION_IP mismatch means we are), fragmentation support, hash
 * algorithms.  -EBADMSG on malformed notify data.
 */
static int read_status(struct ike_sa *sa, const struct ike_chain *ch)
{
	uint8_t want_src[IKE_NAT_HASH_LEN], want_dst[IKE_NAT_HASH_LEN];
	bool seen_src = false, seen_dst = false, src_ok = false, dst_ok = false;

	if (sa->have_endpoints &&
	    (exch_nat_hash(sa->spi_i, sa->spi_r, &sa->remote, want_src) < 0 ||
	     exch_nat_hash(sa->spi_i, sa->spi_r, &sa->local, want_dst) < 0))
		return -ENOMEM;
	for (size_t i = 0; i < ch->n; i++) {
		struct ike_notify n;
		const uint8_t *h;
		size_t cnt = 0;

		if (ch->pl[i].type != IKE_PL_NOTIFY)
			continue;
		if (ike_notify_parse(ch->pl[i].body, ch->pl[i].len, &n) < 0)
			return -EBADMSG;
		switch (n.type) {
		case IKE_N_NAT_DETECTION_SOURCE_IP:
			if (ike_notify_nat_hash(&n, &h) < 0)
				return -EBADMSG;
			seen_src = true;
			if (sa->have_endpoints &&
			    sodium_memcmp(h, want_src, IKE_NAT_HASH_LEN) == 0)
				src_ok = true;
			break;
		case IKE_N_NAT_DETECTION_DESTINATION_IP:
			if (ike_notify_nat_hash(&n, &h) < 0)
				return -EBADMSG;
			seen_dst = true;
			if (sa->have_endpoints &&
			    sodium_memcmp(h, want_dst, IKE_NAT_HASH_LEN) == 0)
				dst_ok = true;
			break;
		case IKE_N_IKEV2_FRAGMENTATION_SUPPORTED:
			sa->peer_frag = true;
			break;
		case IKE_N_SIGNATURE_HASH_ALGORITHMS:
			if (ike_notify_hash_algs(&n, sa->peer_hashes,
						 sizeof(sa->peer_hashes) /
						 sizeof(sa->peer_hashes[0]),
						 &cnt) < 0)
				return -EBADMSG;
			sa->n_peer_hashes = cnt;
			break;
		default:
			break;
		}
	}
	if (sa->have_endpoints) {
		sa->nat_remote = seen_src && !src_ok;
		sa->nat_local = seen_dst && !dst_ok;
	}
	return 0;
}

/* Is group one of the DH transforms of our IKE proposals (and allowed)? */
static bool group_ok(const struct ike_exch_cfg *cfg, uint16_t group)
{
	if (!ike_dh_supported(group) ||
	    (ike_dh_is_legacy(group) && !cfg->allow_legacy_dh))
		return false;
	for (size_t i = 0; i < cfg->n_ike_props; i++)
		for (size_t t = 0; t < cfg->ike_props[i].n_transforms; t++)
			if (cfg->ike_props[i].tr[t].type == IKE_TR_DH &&
			    cfg->ike_props[i].tr[t].id == group)
				return true;
	return false;
}

/* Our IKE proposals numbered 1..n, no SPI (3.3.1), into pend.props. */
static int offer_ike(struct ike_sa *sa, const uint8_t *spi, size_t spi_len)
{
	const struct ike_exch_cfg *cfg = sa->cfg;

	for (size_t i = 0; i < cfg->n_ike_props; i++) {
		sa->pend.props[i] = cfg->ike_props[i];
		sa->pend.props[i].num = (uint8_t)(i + 1);
		sa->pend.props[i].protocol = IKE_PROTO_IKE;
		sa->pend.props[i].spi_len = (uint8_t)spi_len;
		memset(sa->pend.props[i].spi, 0, 8);
		if (spi_len)
			memcpy(sa->pend.props[i].spi, spi, spi_len);
	}
	sa->pend.n_props = cfg->n_ike_props;
	return 0;
}

/* The IKE proposal offer of an IKE rekey (1.3.2): our proposals with our
 * new SPI; used by ike_exchange_child.c. */
int exch_offer_ike(struct ike_sa *sa, const uint8_t spi[8])
{
	return offer_ike(sa, spi, 8);
}

/* See ike_exchange.h: the IKE_SA_INIT request. */
int ike_sa_init_build(struct ike_sa *sa, struct ike_buf *out)
{
	const struct ike_exch_cfg *cfg = sa->cfg;
	struct ike_msg_builder mb;
	struct ike_hdr h;
	const uint8_t *pub;
	size_t pub_len;
	int r;

	if (!sa->initiator || sa->state != IKE_ST_IDLE)
		return -EINVAL;
	if (sa->pend.kind != IKE_PEND_NONE)
		return -EBUSY;
	if (sa->dh_group == 0) {
		r = exch_tr(&cfg->ike_props[0], IKE_TR_DH, NULL);
		if (r <= 0)
			return -EINVAL;
		sa->dh_group = (uint16_t)r;
	}
	if (!group_ok(cfg, sa->dh_group))
		return -ENOTSUP;
	if (!sa->dh) {
		r = ike_dh_new(&sa->dh, sa->dh_group);
		if (r < 0)
			return r;
	}
	if (sa->ni_len == 0) {
		/* 2.6: a retry after COOKIE reuses Ni */
		randombytes_buf(sa->ni, IKE_EXCH_NONCE_LEN);
		sa->ni_len = IKE_EXCH_NONCE_LEN;
	}
	offer_ike(sa, NULL, 0);
	pub = ike_dh_public(sa->dh, &pub_len);

	exch_hdr(sa, &h, IKE_SA_INIT, false, 0);
	ike_buf_reset(out);
	ike_mb_begin(&mb, out, &h);
	/* 2.6: "... with the COOKIE notification as the first payload" */
	if (sa->cookie_len)
		ike_notify_build(&mb, 0, IKE_N_COOKIE, NULL, 0, sa->cookie,
				 sa->cookie_len);
	ike_sa_build(&mb, sa->pend.props, sa->pend.n_props);
	ike_ke_build(&mb, sa->dh_group, pub, pub_len);
	ike_nonce_build(&mb, sa->ni, sa->ni_len);
	put_nat(sa, &mb);
	if (!cfg->no_frag)	/* RFC 7383 2.3 */
		ike_notify_build(&mb, 0, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED,
				 NULL, 0, NULL, 0);
	if (!cfg->no_hash_algs)
		ike_notify_build_hash_algs(&mb, our_hashes,
					   sizeof(our_hashes) / sizeof(our_hashes[0]));
	r = ike_mb_finish(&mb);
	if (r < 0)
		return r;
	ike_buf_reset(&sa->init_req);
	ike_buf_put(&sa->init_req, out->data, out->len);	/* RealMessage1 */
	ike_buf_reset(&sa->last_req_out);
	ike_buf_put(&sa->last_req_out, out->data, out->len);
	if (ike_buf_error(&sa->init_req) || ike_buf_error(&sa->last_req_out))
		return -ENOMEM;
	sa->pend.kind = IKE_PEND_INIT;
	sa->pend.msg_id = 0;
	sa->state = IKE_ST_INIT_SENT;
	return 0;
}

/* Unprotected IKE_SA_INIT error response (SPIr 0) with one notify. */
static int init_refuse(const struct ike_msg_view *v, uint16_t type,
		       const uint8_t *data, size_t data_len, struct ike_buf *out,
		       struct ike_exch_result *res)
{
	struct ike_msg_builder mb;
	struct ike_hdr h;
	int r;

	memset(&h, 0, sizeof(h));
	memcpy(h.spi_i, v->hdr.spi_i, 8);
	h.version = IKE_VERSION;
	h.exchange = IKE_SA_INIT;
	h.flags = IKE_FLAG_RESPONSE;
	h.msg_id = 0;
	ike_buf_reset(out);
	ike_mb_begin(&mb, out, &h);
	ike_notify_build(&mb, 0, type, NULL, 0, data, data_len);
	r = ike_mb_finish(&mb);
	if (r < 0)
		return r;
	res->notify = type;
	return 1;
}

/* Derive the 2.14 keys once Ni, Nr, SPIs and g^ir are known. */
static int init_keys(struct ike_sa *sa, const struct ike_key *shared)
{
	int r = exch_keys_algs(&sa->keys, &sa->prop);

	if (r < 0)
		return r;
	return ike_derive_ike_keys(&sa->keys, sa->ni, sa->ni_len, sa->nr,
				   sa->nr_len, shared->ptr, shared->len,
				   sa->spi_i, sa->spi_r);
}

/* The SA, KE and Nonce payloads of an IKE_SA_INIT message, parsed. */
struct init_pl {
	struct ike_proposal *props;	/* IKE_MAX_PROPOSALS entries */
	size_t n_props;
	struct ike_ke ke;
	struct ike_chunk nonce;
};

/* Find and parse SA, KE, Nonce (each exactly once, 3.3 / 3.4 / 3.9). */
static int init_parse(const struct ike_chain *ch, unsigned int sa_flags,
		      struct init_pl *p)
{
	const struct ike_pl *s = ike_chain_find(ch, IKE_PL_SA, 0);
	const struct ike_pl *k = ike_chain_find(ch, IKE_PL_KE, 0);
	const struct ike_pl *n = ike_chain_find(ch, IKE_PL_NONCE, 0);

	if (!s || !k || !n || ike_chain_count(ch, IKE_PL_SA) != 1 ||
	    ike_chain_count(ch, IKE_PL_KE) != 1 ||
	    ike_chain_count(ch, IKE_PL_NONCE) != 1)
		return -EBADMSG;
	if (ike_sa_parse(s->body, s->len, sa_flags, p->props,
			 sa_flags ? 1 : IKE_MAX_PROPOSALS, &p->n_props) < 0 ||
	    ike_ke_parse(k->body, k->len, &p->ke) < 0 ||
	    ike_nonce_parse(n->body, n->len, &p->nonce) < 0)
		return -EBADMSG;
	return 0;
}

/*
 * Responder: IKE_SA_INIT request -> response, or a stateless refusal.
 * 2.7: "The responder MUST choose a single suite, which may be any subset
 * of the SA proposal"; "If the responder selects a proposal using a
 * different Diffie-Hellman group (other than NONE), the responder MUST
 * reject the request and indicate its preferred Diffie-Hellman group in the
 * INVALID_KE_PAYLOAD Notify payload."
 */
int exch_init_request(struct ike_sa *sa, const struct ike_msg_view *v,
		      struct ike_buf *out, struct ike_exch_result *res)
{
	const struct ike_exch_cfg *cfg = sa->cfg;
	struct init_pl p;
	struct ike_key shared = { 0 };
	struct ike_msg_builder mb;
	struct ike_hdr h;
	const uint8_t *pub;
	size_t pub_len;
	int dh, r;

	p.props = calloc(IKE_MAX_PROPOSALS, sizeof(*p.props));
	if (!p.props)
		return -ENOMEM;
	r = init_parse(&v->ch, 0, &p);
	if (r < 0)
		goto out;
	r = ike_exch_select(cfg->ike_props, cfg->n_ike_props, p.props,
			    p.n_props, &sa->prop);
	dh = r == 0 ? exch_tr(&sa->prop, IKE_TR_DH, NULL) : -1;
	if (r < 0 || dh <= 0 || !group_ok(cfg, (uint16_t)dh) ||
	    exch_tr(&sa->prop, IKE_TR_PRF, NULL) < 0 ||
	    exch_keys_algs(&sa->keys, &sa->prop) < 0) {
		r = init_refuse(v, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0, out, res);
		goto out;
	}
	if (p.ke.group != dh) {
		uint8_t g[2] = { (uint8_t)(dh >> 8), (uint8_t)dh };

		res->ke_group = (uint16_t)dh;
		r = init_refuse(v, IKE_N_INVALID_KE_PAYLOAD, g, 2, out, res);
		goto out;
	}
	/* 2.10: nonces "at least half the key size of the negotiated prf" */
	r = -EBADMSG;
	if (p.nonce.len * 2 < ike_prf_keylen(sa->keys.prf))
		goto out;
	memcpy(sa->spi_i, v->hdr.spi_i, 8);
	r = read_status(sa, &v->ch);	/* NAT-D hashes use SPIr = 0 here */
	if (r < 0)
		goto out;
	sa->dh_group = (uint16_t)dh;
	r = ike_dh_new(&sa->dh, sa->dh_group);
	if (r < 0)
		goto out;
	r = ike_dh_compute(sa->dh, p.ke.data, p.ke.len, &shared);
	if (r < 0)
		goto out;
	memcpy(sa->ni, p.nonce.ptr, p.nonce.len);
	sa->ni_len = p.nonce.len;
	randombytes_buf(sa->nr, IKE_EXCH_NONCE_LEN);
	sa->nr_len = IKE_EXCH_NONCE_LEN;
	do
		randombytes_buf(sa->spi_r, 8);
	while (sodium_is_zero(sa->spi_r, 8));
	r = init_keys(sa, &shared);
	if (r < 0)
		goto out;

	pub = ike_dh_public(sa->dh, &pub_len);
	sa->prop.spi_len = 0;
	exch_hdr(sa, &h, IKE_SA_INIT, true, 0);
	ike_buf_reset(out);
	ike_mb_begin(&mb, out, &h);
	ike_sa_build(&mb, &sa->prop, 1);
	ike_ke_build(&mb, sa->dh_group, pub, pub_len);
	ike_nonce_build(&mb, sa->nr, sa->nr_len);
	put_nat(sa, &mb);
	/* RFC 7383 2.3: "... the responder ... includes the
	 * IKEV2_FRAGMENTATION_SUPPORTED notification in the response" */
	if (sa->peer_frag && !cfg->no_frag)
		ike_notify_build(&mb, 0, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED,
				 NULL, 0, NULL, 0);
	if (!cfg->no_hash_algs && sa->n_peer_hashes)
		ike_notify_build_hash_algs(&mb, our_hashes,
					   sizeof(our_hashes) / sizeof(our_hashes[0]));
	if (cfg->peer_auth == IKE_EXCH_AUTH_SIG)
		exch_put_certreq(sa, &mb);
	r = ike_mb_finish(&mb);
	if (r < 0)
		goto out;
	ike_buf_reset(&sa->init_req);
	ike_buf_put(&sa->init_req, v->msg, v->len);
	ike_buf_reset(&sa->init_resp);
	ike_buf_put(&sa->init_resp, out->data, out->len);
	r = ike_buf_error(&sa->init_req) ? -ENOMEM : ike_buf_error(&sa->init_resp);
	if (r < 0)
		goto out;
	ike_dh_free(sa->dh);
	sa->dh = NULL;
	sa->state = IKE_ST_INIT_DONE;
	r = 1;
out:
	if (r != 1 || sa->state != IKE_ST_INIT_DONE) {
		/* stateless refusal or failure: nothing negotiated stays */
		ike_dh_free(sa->dh);
		sa->dh = NULL;
		ike_sa_keys_free(&sa->keys);
		memset(sa->spi_r, 0, 8);
		sa->ni_len = sa->nr_len = 0;
		sa->dh_group = 0;
	}
	ike_key_free(&shared);
	free(p.props);
	return r;
}

/*
 * Initiator: the IKE_SA_INIT response.  COOKIE (2.6) and
 * INVALID_KE_PAYLOAD (1.3: "the initiator ... retry with the correct
 * group") give -EAGAIN; other error notifies -EPROTO.
 */
int exch_init_response(struct ike_sa *sa, const struct ike_msg_view *v,
		       struct ike_exch_result *res)
{
	struct init_pl p;
	struct ike_proposal reply;
	struct ike_key shared = { 0 };
	uint16_t err, g;
	int r;

	r = exch_scan_error(&v->ch, &err, &g);
	if (r < 0)
		return r;
	if (!ike_chain_find(&v->ch, IKE_PL_SA, 0)) {
		for (size_t i = 0; i < v->ch.n; i++) {
			struct ike_notify n;
			struct ike_chunk c;

			if (v->ch.pl[i].type != IKE_PL_NOTIFY ||
			    ike_notify_parse(v->ch.pl[i].body, v->ch.pl[i].len,
					     &n) < 0 ||
			    n.type != IKE_N_COOKIE)
				continue;
			if (ike_notify_cookie(&n, &c) < 0)
				return -EBADMSG;
			memcpy(sa->cookie, c.ptr, c.len);
			sa->cookie_len = c.len;
			sa->state = IKE_ST_IDLE;
			return -EAGAIN;
		}
		if (err == IKE_N_INVALID_KE_PAYLOAD) {
			res->notify = err;
			res->ke_group = g;
			/* only a group we offered, and not the one we sent */
			if (g == sa->dh_group || !group_ok(sa->cfg, g)) {
				sa->state = IKE_ST_FAILED;
				return -EPROTO;
			}
			ike_dh_free(sa->dh);
			sa->dh = NULL;
			sa->dh_group = g;
			sa->state = IKE_ST_IDLE;
			return -EAGAIN;
		}
		if (err) {
			res->notify = err;
			sa->state = IKE_ST_FAILED;
			return -EPROTO;
		}
		return -EBADMSG;
	}
	p.props = &reply;
	r = init_parse(&v->ch, IKE_SA_PARSE_REPLY, &p);
	if (r < 0 || p.n_props != 1 || sodium_is_zero(v->hdr.spi_r, 8))
		return -EBADMSG;
	if (exch_reply_check(sa->pend.props, sa->pend.n_props, &reply) < 0 ||
	    exch_tr(&reply, IKE_TR_DH, NULL) != sa->dh_group ||
	    p.ke.group != sa->dh_group)
		return -EBADMSG;
	sa->prop = reply;
	if (exch_keys_algs(&sa->keys, &sa->prop) < 0)
		return -EBADMSG;
	if (p.nonce.len * 2 < ike_prf_keylen(sa->keys.prf))
		return -EBADMSG;
	r = ike_dh_compute(sa->dh, p.ke.data, p.ke.len, &shared);
	if (r < 0)
		return -EBADMSG;
	memcpy(sa->spi_r, v->hdr.spi_r, 8);
	memcpy(sa->nr, p.nonce.ptr, p.nonce.len);
	sa->nr_len = p.nonce.len;
	/* NAT-D of the response are computed with the final SPIr (2.23) */
	r = read_status(sa, &v->ch);
	if (r == 0)
		r = init_keys(sa, &shared);
	ike_key_free(&shared);
	if (r < 0) {
		memset(sa->spi_r, 0, 8);
		ike_sa_keys_free(&sa->keys);
		return r == -ENOMEM ? r : -EBADMSG;
	}
	ike_buf_reset(&sa->init_resp);
	ike_buf_put(&sa->init_resp, v->msg, v->len);
	if (ike_buf_error(&sa->init_resp))
		return -ENOMEM;
	ike_dh_free(sa->dh);
	sa->dh = NULL;
	sa->state = IKE_ST_INIT_DONE;
	return 0;
}
