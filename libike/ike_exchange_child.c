/*
 * ike_exchange_child.c — CREATE_CHILD_SA, both roles (RFC 7296 1.3):
 *
 *   new CHILD SA (1.3.1)   HDR, SK {SA, Ni, [KEi,] TSi, TSr}
 *   CHILD rekey (1.3.3)    HDR, SK {N(REKEY_SA), SA, Ni, [KEi,] TSi, TSr}
 *   IKE SA rekey (1.3.2)   HDR, SK {SA, Ni, KEi}
 *
 * and the responses (SA, Nr, [KEr,] [TSi, TSr]).  CHILD KEYMAT per 2.17
 * (with PFS when a KE is exchanged), the rekeyed IKE SA per 2.18; the
 * CHILD SAs move to the new IKE SA (2.8).  CHILD SA keys are also set up
 * here for IKE_AUTH (exch_child_install).
 * Simultaneous rekeying (2.8.1 CHILD SAs, 2.8.2 the IKE SA) is resolved
 * here: "the SA created with the lowest of the four nonces used in the two
 * exchanges is redundant and SHOULD be closed by the endpoint that created
 * it" (see ike_exchange.h, res->delete_child / res->delete_sa).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ike_exchange_int.h"

/* See ike_exchange_int.h. */
int exch_child_spi(struct ike_sa *sa, uint32_t *spi)
{
	const struct ike_exch_cfg *cfg = sa->cfg;
	int r;

	if (cfg->child_spi_alloc) {
		*spi = 0;
		r = cfg->child_spi_alloc(cfg->spi_arg, sa, spi);
		if (r < 0)
			return r;
		if (*spi < 256) {	/* RFC 4303 2.1: reserved */
			exch_child_spi_free(sa, *spi);
			return -ERANGE;
		}
		return 0;
	}
	do
		*spi = randombytes_random();
	while (*spi < 256);
	return 0;
}

/* See ike_exchange_int.h. */
void exch_child_spi_free(struct ike_sa *sa, uint32_t spi)
{
	const struct ike_exch_cfg *cfg = sa->cfg;

	if (spi && cfg->child_spi_alloc && cfg->child_spi_free)
		cfg->child_spi_free(cfg->spi_arg, sa, spi);
}

/* See ike_exchange_int.h. */
void exch_spi_drop(struct ike_sa *sa)
{
	exch_child_spi_free(sa, sa->spi_held);
	sa->spi_held = 0;
}

/* Lower of nonces a and b into rec->min (memcmp order over the common
 * length, then the shorter first). */
void exch_rekey_min(struct exch_rekey_rec *rec, const uint8_t *a, size_t alen,
		    const uint8_t *b, size_t blen)
{
	size_t m = alen < blen ? alen : blen;
	int c = memcmp(a, b, m);
	bool a_low = c < 0 || (c == 0 && alen <= blen);

	if (a_low) {
		memcpy(rec->min, a, alen);
		rec->min_len = alen;
	} else {
		memcpy(rec->min, b, blen);
		rec->min_len = blen;
	}
}

/* Does record a hold a lower nonce than record b? (2.8.1) */
bool exch_rekey_lower(const struct exch_rekey_rec *a,
		      const struct exch_rekey_rec *b)
{
	size_t m = a->min_len < b->min_len ? a->min_len : b->min_len;
	int c = memcmp(a->min, b->min, m);

	return c < 0 || (c == 0 && a->min_len < b->min_len);
}

/* Install CHILD SA slot idx with KEYMAT of 2.17; see ike_exchange_int.h. */
int exch_child_install(struct ike_sa *sa, int idx,
		       const struct ike_proposal *prop, bool exch_initiator,
		       uint32_t spi_in, uint32_t spi_out,
		       const struct ike_key *shared,
		       const uint8_t *ni, size_t ni_len,
		       const uint8_t *nr, size_t nr_len,
		       const struct ike_ts_list *tsi,
		       const struct ike_ts_list *tsr)
{
	struct ike_child_sa *c = &sa->child[idx];
	uint16_t kl = 0;
	int encr = exch_tr(prop, IKE_TR_ENCR, &kl);
	int integ = exch_tr(prop, IKE_TR_INTEG, NULL);
	int esn = exch_tr(prop, IKE_TR_ESN, NULL);
	int dh = exch_tr(prop, IKE_TR_DH, NULL);
	int r;

	if (c->in_use || encr < 0)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->encr = (uint16_t)encr;
	c->encr_keylen = kl;
	c->integ = integ < 0 ? 0 : (uint16_t)integ;
	c->esn = esn < 0 ? 0 : (uint16_t)esn;
	c->dh = dh < 0 ? 0 : (uint16_t)dh;
	c->encr_len = ike_encr_keymat_len(c->encr, kl);
	c->integ_len = c->integ ? ike_integ_key_len(c->integ) : 0;
	if (c->encr_len == 0 || (c->integ && c->integ_len == 0) ||
	    ike_encr_is_aead(c->encr) != (c->integ == 0))
		return -ENOTSUP;
	/* 2.17: "KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr)" */
	r = ike_derive_child_keymat(sa->keys.prf, &sa->keys.sk_d,
				    shared ? shared->ptr : NULL,
				    shared ? shared->len : 0, ni, ni_len, nr,
				    nr_len, &c->keymat,
				    2 * (c->encr_len + c->integ_len));
	if (r < 0)
		return r;
	c->prop = *prop;
	c->exch_initiator = exch_initiator;
	c->spi_in = spi_in;
	c->spi_out = spi_out;
	c->tsi = *tsi;
	c->tsr = *tsr;
	c->in_use = true;
	if (exch_initiator && spi_in == sa->spi_held)
		sa->spi_held = 0;	/* our offer became this CHILD SA */
	return 0;
}

/* The peer's inbound SPI is our outbound one (1.3.3 REKEY_SA, 1.4.1). */
static int find_out(const struct ike_sa *sa, uint32_t spi)
{
	for (int i = 0; i < IKE_EXCH_MAX_CHILDREN; i++)
		if (sa->child[i].in_use && sa->child[i].spi_out == spi)
			return i;
	return -ENOENT;
}

/* Record the request just built as pending and keep it for resending. */
static int pend_sent(struct ike_sa *sa, uint8_t kind, const struct ike_buf *out)
{
	sa->pend.kind = kind;
	sa->pend.msg_id = sa->my_msg_id;
	ike_buf_reset(&sa->last_req_out);
	ike_buf_put(&sa->last_req_out, out->data, out->len);
	return ike_buf_error(&sa->last_req_out);
}

/* See ike_exchange.h: new CHILD SA or CHILD rekey request. */
int ike_child_build(struct ike_sa *sa, int rekey, uint16_t pfs_group,
		    struct ike_buf *out)
{
	struct ike_pending *p = &sa->pend;
	const struct ike_ts_list *tsi = &sa->cfg->ts_local, *tsr = &sa->cfg->ts_remote;
	struct ike_buf in;
	struct ike_msg_builder mb;
	struct ike_hdr h;
	int n, r = exch_can_request(sa);

	if (r < 0)
		return r;
	if (rekey >= IKE_EXCH_MAX_CHILDREN ||
	    (rekey >= 0 && !sa->child[rekey].in_use))
		return -ENOENT;
	if (exch_child_slot(sa) < 0)
		return -ENOSPC;
	exch_pend_clear(p);
	r = exch_child_spi(sa, &p->spi);
	if (r < 0) {
		exch_pend_clear(p);
		return r;
	}
	sa->spi_held = p->spi;
	n = exch_child_offer(sa, p->spi, pfs_group, p->props, IKE_EXCH_MAX_PROPS);
	if (n < 0) {
		exch_pend_clear(p);
		exch_spi_drop(sa);
		return n;
	}
	p->n_props = (size_t)n;
	if (pfs_group) {
		r = ike_dh_new(&p->dh, pfs_group);
		if (r < 0) {
			exch_pend_clear(p);
			exch_spi_drop(sa);
			return r;
		}
	}
	if (rekey >= 0) {
		/* 1.3.3: the rekeyed SA keeps its traffic selectors */
		tsi = &sa->child[rekey].tsi;
		tsr = &sa->child[rekey].tsr;
		if (!sa->child[rekey].exch_initiator) {
			const struct ike_ts_list *t = tsi;

			tsi = tsr;	/* we are the initiator of this exchange */
			tsr = t;
		}
	}
	p->tsi = *tsi;
	p->tsr = *tsr;
	p->child = rekey;
	randombytes_buf(p->nonce, sizeof(p->nonce));

	ike_buf_init(&in);
	ike_mb_begin_chain(&mb, &in);
	if (rekey >= 0) {
		uint8_t spi[4];
		uint32_t s = sa->child[rekey].spi_in;

		spi[0] = (uint8_t)(s >> 24);
		spi[1] = (uint8_t)(s >> 16);
		spi[2] = (uint8_t)(s >> 8);
		spi[3] = (uint8_t)s;
		ike_notify_build(&mb, IKE_PROTO_ESP, IKE_N_REKEY_SA, spi, 4,
				 NULL, 0);
	}
	ike_sa_build(&mb, p->props, p->n_props);
	ike_nonce_build(&mb, p->nonce, sizeof(p->nonce));
	if (p->dh) {
		size_t pl;
		const uint8_t *pub = ike_dh_public(p->dh, &pl);

		ike_ke_build(&mb, pfs_group, pub, pl);
	}
	exch_put_ts(&mb, IKE_PL_TSI, tsi);
	exch_put_ts(&mb, IKE_PL_TSR, tsr);
	r = ike_mb_finish(&mb);
	exch_hdr(sa, &h, CREATE_CHILD_SA, false, sa->my_msg_id);
	if (r >= 0)
		r = exch_seal(sa, out, &h, &in, mb.first);
	ike_buf_free(&in);
	if (r >= 0)
		r = pend_sent(sa, rekey >= 0 ? IKE_PEND_CHILD_REKEY :
			      IKE_PEND_CHILD_NEW, out);
	if (r < 0) {
		exch_pend_clear(p);
		exch_spi_drop(sa);
	}
	return r;
}

/* See ike_exchange.h: IKE SA rekey request (1.3.2). */
int ike_rekey_ike_build(struct ike_sa *sa, struct ike_buf *out)
{
	struct ike_pending *p = &sa->pend;
	struct ike_buf in;
	struct ike_msg_builder mb;
	struct ike_hdr h;
	const uint8_t *pub;
	size_t pl;
	int r = exch_can_request(sa);

	if (r < 0)
		return r;
	exch_pend_clear(p);
	do
		randombytes_buf(p->ike_spi, 8);
	while (sodium_is_zero(p->ike_spi, 8));
	exch_offer_ike(sa, p->ike_spi);
	r = ike_dh_new(&p->dh, sa->dh_group);
	if (r < 0) {
		exch_pend_clear(p);
		return r;
	}
	randombytes_buf(p->nonce, sizeof(p->nonce));
	pub = ike_dh_public(p->dh, &pl);
	ike_buf_init(&in);
	ike_mb_begin_chain(&mb, &in);
	ike_sa_build(&mb, p->props, p->n_props);
	ike_nonce_build(&mb, p->nonce, sizeof(p->nonce));
	ike_ke_build(&mb, sa->dh_group, pub, pl);
	r = ike_mb_finish(&mb);
	exch_hdr(sa, &h, CREATE_CHILD_SA, false, sa->my_msg_id);
	if (r >= 0)
		r = exch_seal(sa, out, &h, &in, mb.first);
	ike_buf_free(&in);
	if (r >= 0)
		r = pend_sent(sa, IKE_PEND_IKE_REKEY, out);
	if (r < 0)
		exch_pend_clear(p);
	return r;
}

/*
 * Build the new IKE SA of a rekey (2.18): "SKEYSEED = prf(SK_d (old),
 * g^ir (new) | Ni | Nr)", SPIs of the new SA; the CHILD SAs move to it.
 * i_role: we initiated the rekey exchange (and so the new SA).
 */
static int rekeyed_sa(struct ike_sa *sa, bool i_role,
		      const struct ike_proposal *prop, const uint8_t spi_i[8],
		      const uint8_t spi_r[8], const struct ike_key *shared,
		      const uint8_t *ni, size_t ni_len,
		      const uint8_t *nr, size_t nr_len, struct ike_sa **out)
{
	struct ike_sa *n;
	int r = exch_sa_clone_empty(sa, i_role, &n);

	if (r < 0)
		return r;
	n->prop = *prop;
	n->prop.spi_len = 0;
	n->dh_group = (uint16_t)exch_tr(prop, IKE_TR_DH, NULL);
	memcpy(n->spi_i, spi_i, 8);
	memcpy(n->spi_r, spi_r, 8);
	memcpy(n->ni, ni, ni_len);
	n->ni_len = ni_len;
	memcpy(n->nr, nr, nr_len);
	n->nr_len = nr_len;
	r = exch_keys_algs(&n->keys, prop);
	if (r == 0)
		r = ike_derive_rekeyed_ike_keys(&n->keys, sa->keys.prf,
						&sa->keys.sk_d, ni, ni_len, nr,
						nr_len, shared->ptr, shared->len,
						spi_i, spi_r);
	if (r < 0) {
		ike_sa_free(n);
		return r;
	}
	/* 2.8: "... the CHILD SAs ... are moved to the new IKE SA" */
	memcpy(n->child, sa->child, sizeof(n->child));
	memset(sa->child, 0, sizeof(sa->child));
	n->state = IKE_ST_ESTABLISHED;
	sa->state = IKE_ST_REKEYED;
	*out = n;
	return 0;
}

/* Find and parse the one Nonce and the optional KE of in. */
static int parse_nonce_ke(const struct ike_chain *in, struct ike_chunk *nonce,
			  struct ike_ke *ke, bool *have_ke)
{
	const struct ike_pl *n = ike_chain_find(in, IKE_PL_NONCE, 0);
	const struct ike_pl *k = ike_chain_find(in, IKE_PL_KE, 0);

	*have_ke = k != NULL;
	if (!n || ike_nonce_parse(n->body, n->len, nonce) < 0 ||
	    (k && ike_ke_parse(k->body, k->len, ke) < 0))
		return -EBADMSG;
	return 0;
}

/* Our child proposals as configured (DH kept) with protocol ESP. */
static size_t child_policy(const struct ike_sa *sa, struct ike_proposal *out)
{
	size_t n = sa->cfg->n_child_props;

	for (size_t i = 0; i < n; i++) {
		out[i] = sa->cfg->child_props[i];
		out[i].protocol = IKE_PROTO_ESP;
		out[i].spi_len = 4;
	}
	return n;
}

/* Responder: IKE SA rekey request -> response and the new SA. */
static int rekey_ike_request(struct ike_sa *sa, const struct ike_msg_view *v,
			     const struct ike_chain *in, struct ike_buf *ib,
			     struct ike_msg_builder *mb,
			     struct ike_exch_result *res, uint16_t *err,
			     uint16_t *err_data, struct ike_key *shared,
			     struct ike_dh **dh)
{
	const struct ike_pl *s = ike_chain_find(in, IKE_PL_SA, 0);
	struct ike_proposal *props, sel;
	struct ike_chunk nonce;
	struct ike_ke ke;
	uint8_t nr[IKE_EXCH_NONCE_LEN], spi_r[8];
	bool have_ke;
	size_t n = 0, pl;
	int grp, r;

	(void)v;
	(void)ib;
	if (parse_nonce_ke(in, &nonce, &ke, &have_ke) < 0)
		return -EBADMSG;
	props = calloc(IKE_MAX_PROPOSALS, sizeof(*props));
	if (!props)
		return -ENOMEM;
	r = ike_sa_parse(s->body, s->len, 0, props, IKE_MAX_PROPOSALS, &n);
	if (r == 0)
		r = ike_exch_select(sa->cfg->ike_props, sa->cfg->n_ike_props,
				    props, n, &sel) < 0 ? 1 : 0;
	free(props);
	if (r < 0)
		return -EBADMSG;
	grp = r == 0 ? exch_tr(&sel, IKE_TR_DH, NULL) : -1;
	if (r == 1 || sel.spi_len != 8 || grp <= 0) {
		*err = IKE_N_NO_PROPOSAL_CHOSEN;
		return 0;
	}
	if (!have_ke || ke.group != grp) {
		/* 1.3.2 / 2.7: name the group we selected */
		*err = IKE_N_INVALID_KE_PAYLOAD;
		*err_data = (uint16_t)grp;
		return 0;
	}
	r = ike_dh_new(dh, (uint16_t)grp);
	if (r == 0)
		r = ike_dh_compute(*dh, ke.data, ke.len, shared);
	if (r < 0)
		return r == -ENOMEM ? r : -EBADMSG;
	randombytes_buf(nr, sizeof(nr));
	do
		randombytes_buf(spi_r, 8);
	while (sodium_is_zero(spi_r, 8));
	r = rekeyed_sa(sa, false, &sel, sel.spi, spi_r, shared, nonce.ptr,
		       nonce.len, nr, sizeof(nr), &res->new_sa);
	if (r < 0)
		return r;
	if (sa->pend.kind == IKE_PEND_IKE_REKEY) {
		/* 2.8.2: our own rekey of this SA is in flight; the winner is
		 * known when its response arrives (exch_child_response) */
		struct exch_rekey_rec *rk = &sa->net->ike_rk;

		exch_rekey_min(rk, nonce.ptr, nonce.len, nr, sizeof(nr));
		rk->valid = true;
		sa->net->ike_peer_new = res->new_sa;
		res->new_sa->net->coll_old = sa;
	}
	memcpy(sel.spi, spi_r, 8);
	ike_sa_build(mb, &sel, 1);
	ike_nonce_build(mb, nr, sizeof(nr));
	{
		const uint8_t *pub = ike_dh_public(*dh, &pl);

		ike_ke_build(mb, (uint16_t)grp, pub, pl);
	}
	return 0;
}

/*
 * We answered the peer's rekey of CHILD SA old (new SA slot).  If our own
 * rekey of old is pending, remember this exchange's lower nonce for when
 * our response arrives; if ours already completed (the messages crossed),
 * decide now (2.8.1).
 */
static void child_collision_peer(struct ike_sa *sa, int old, int slot,
				 const struct ike_chunk *ni,
				 const uint8_t *nr, size_t nr_len,
				 struct ike_exch_result *res)
{
	struct ike_sa_net *n = sa->net;
	struct exch_rekey_rec peer;

	exch_rekey_min(&peer, ni->ptr, ni->len, nr, nr_len);
	peer.old = old;
	peer.new_idx = slot;
	peer.valid = true;
	if (sa->pend.kind == IKE_PEND_CHILD_REKEY && sa->pend.child == old) {
		n->peer_rk = peer;
	} else if (n->our_rk.valid && n->our_rk.old == old) {
		res->rekey_collision = true;
		/* ours holds the lowest nonce: the SA we made is redundant and
		 * ours to delete; otherwise the peer deletes its new SA */
		if (exch_rekey_lower(&n->our_rk, &peer))
			res->delete_child = n->our_rk.new_idx;
		n->our_rk.valid = false;
	}
}

/* Responder: new CHILD SA / CHILD rekey request -> response. */
static int child_request(struct ike_sa *sa, const struct ike_chain *in,
			 struct ike_msg_builder *mb,
			 struct ike_exch_result *res, uint16_t *err,
			 uint16_t *err_data, struct ike_key *shared,
			 struct ike_dh **dh)
{
	struct ike_proposal mine[IKE_EXCH_MAX_PROPS], sel;
	struct ike_ts_list tsi, tsr;
	struct ike_chunk nonce;
	struct ike_ke ke;
	uint8_t nr[IKE_EXCH_NONCE_LEN];
	bool have_ke;
	int old = -1, slot, grp, r;
	uint32_t spi;

	if (parse_nonce_ke(in, &nonce, &ke, &have_ke) < 0)
		return -EBADMSG;
	for (size_t i = 0; i < in->n; i++) {
		struct ike_notify nt;
		uint32_t s;

		if (in->pl[i].type != IKE_PL_NOTIFY ||
		    ike_notify_parse(in->pl[i].body, in->pl[i].len, &nt) < 0 ||
		    nt.type != IKE_N_REKEY_SA)
			continue;
		if (ike_notify_rekey_spi(&nt, &s) < 0)
			return -EBADMSG;
		old = find_out(sa, s);
		if (old < 0) {
			/* 1.3.3 / 3.10.1: CHILD_SA_NOT_FOUND */
			*err = IKE_N_CHILD_SA_NOT_FOUND;
			return 0;
		}
	}
	slot = exch_child_slot(sa);
	if (slot < 0) {
		*err = IKE_N_NO_ADDITIONAL_SAS;
		return 0;
	}
	r = exch_child_select(in, mine, child_policy(sa, mine),
			      exch_perm_remote(sa), exch_perm_local(sa), &sel,
			      &tsi, &tsr);
	if (r != 0) {
		if (r > 0)
			*err = (uint16_t)r;
		return r > 0 ? 0 : r;
	}
	grp = exch_tr(&sel, IKE_TR_DH, NULL);
	if (grp > 0) {
		if (!have_ke || ke.group != grp) {
			*err = IKE_N_INVALID_KE_PAYLOAD;
			*err_data = (uint16_t)grp;
			return 0;
		}
		if ((ike_dh_is_legacy((uint16_t)grp) && !sa->cfg->allow_legacy_dh))
			return -EBADMSG;
		r = ike_dh_new(dh, (uint16_t)grp);
		if (r == 0)
			r = ike_dh_compute(*dh, ke.data, ke.len, shared);
		if (r < 0)
			return r == -ENOMEM ? r : -EBADMSG;
	}
	randombytes_buf(nr, sizeof(nr));
	if (exch_child_spi(sa, &spi) < 0) {
		/* no SPI now (the kernel's table is full, ...): 3.10.1
		 * TEMPORARY_FAILURE, the peer retries later */
		*err = IKE_N_TEMPORARY_FAILURE;
		return 0;
	}
	r = exch_child_install(sa, slot, &sel, false, spi, ike_get_u32(sel.spi),
			       grp > 0 ? shared : NULL, nonce.ptr, nonce.len,
			       nr, sizeof(nr), &tsi, &tsr);
	if (r < 0) {
		exch_child_spi_free(sa, spi);
		return r;
	}
	res->child = slot;
	res->rekeyed_child = old;
	if (old >= 0)
		child_collision_peer(sa, old, slot, &nonce, nr, sizeof(nr), res);
	sel.spi[0] = (uint8_t)(spi >> 24);
	sel.spi[1] = (uint8_t)(spi >> 16);
	sel.spi[2] = (uint8_t)(spi >> 8);
	sel.spi[3] = (uint8_t)spi;
	ike_sa_build(mb, &sel, 1);
	ike_nonce_build(mb, nr, sizeof(nr));
	if (grp > 0) {
		size_t pl;
		const uint8_t *pub = ike_dh_public(*dh, &pl);

		ike_ke_build(mb, (uint16_t)grp, pub, pl);
	}
	exch_put_ts(mb, IKE_PL_TSI, &tsi);
	exch_put_ts(mb, IKE_PL_TSR, &tsr);
	return 0;
}

/* Responder: CREATE_CHILD_SA request -> response (see the top). */
int exch_child_request(struct ike_sa *sa, const struct ike_msg_view *v,
		       const struct ike_chain *in, struct ike_buf *out,
		       struct ike_exch_result *res)
{
	const struct ike_pl *s = ike_chain_find(in, IKE_PL_SA, 0);
	struct ike_key shared = { 0 };
	struct ike_dh *dh = NULL;
	struct ike_buf ib;
	struct ike_msg_builder mb;
	struct ike_hdr h;
	uint16_t err = 0, err_data = 0;
	bool ike_rekey;
	int r;

	if (!s || s->len < 6)
		return -EBADMSG;
	/* proposal substructure: Last, RESERVED, Length(2), Num, Protocol ID */
	ike_rekey = s->body[5] == IKE_PROTO_IKE;
	ike_buf_init(&ib);
	ike_mb_begin_chain(&mb, &ib);
	if (ike_rekey)
		r = rekey_ike_request(sa, v, in, &ib, &mb, res, &err, &err_data,
				      &shared, &dh);
	else
		r = child_request(sa, in, &mb, res, &err, &err_data, &shared, &dh);
	ike_key_free(&shared);
	ike_dh_free(dh);
	if (r == 0 && err) {
		uint8_t d[2] = { (uint8_t)(err_data >> 8), (uint8_t)err_data };

		ike_buf_free(&ib);
		res->notify = err;
		res->ke_group = err_data;
		r = exch_notify_resp(sa, CREATE_CHILD_SA, v->hdr.msg_id, err, d,
				     err == IKE_N_INVALID_KE_PAYLOAD ? 2 : 0, out);
		return r < 0 ? r : 1;
	}
	if (r == 0)
		r = ike_mb_finish(&mb);
	exch_hdr(sa, &h, CREATE_CHILD_SA, true, v->hdr.msg_id);
	if (r >= 0)
		r = exch_seal(sa, out, &h, &ib, mb.first);
	ike_buf_free(&ib);
	if (r < 0) {
		if (res->child >= 0) {
			exch_child_spi_free(sa, sa->child[res->child].spi_in);
			exch_child_release(sa, res->child);
		}
		res->child = res->rekeyed_child = -1;
		if (res->new_sa) {
			/* undo the move of the CHILD SAs */
			memcpy(sa->child, res->new_sa->child, sizeof(sa->child));
			memset(res->new_sa->child, 0, sizeof(sa->child));
			sa->state = IKE_ST_ESTABLISHED;
			ike_sa_free(res->new_sa);
			res->new_sa = NULL;
		}
		return r;
	}
	return 1;
}

/*
 * Our rekey of CHILD SA p->child completed with new SA slot.  Normally we
 * delete the old SA (1.3.3); if we answered the peer's rekey of the same SA
 * meanwhile, the exchange with the lowest nonce made the redundant SA
 * (2.8.1).
 */
static void child_collision_ours(struct ike_sa *sa, const struct ike_pending *p,
				 int slot, const struct ike_chunk *nr,
				 struct ike_exch_result *res)
{
	struct ike_sa_net *n = sa->net;
	struct exch_rekey_rec mine;

	exch_rekey_min(&mine, p->nonce, sizeof(p->nonce), nr->ptr, nr->len);
	mine.old = p->child;
	mine.new_idx = slot;
	mine.valid = true;
	res->delete_child = p->child;
	if (n->peer_rk.valid && n->peer_rk.old == p->child) {
		res->rekey_collision = true;
		if (exch_rekey_lower(&mine, &n->peer_rk))
			res->delete_child = slot;	/* ours is redundant */
		n->peer_rk.valid = false;
	} else {
		n->our_rk = mine;
	}
}

/*
 * Our IKE SA rekey completed (res->new_sa).  Normally we delete the old SA
 * (2.18).  If we answered the peer's IKE rekey meanwhile (2.8.2), the
 * exchange with the lowest nonce made the redundant IKE SA: when it is
 * ours, we delete our new SA and the CHILD SAs stay with the peer's; else
 * they move from the peer's new SA to ours and we delete the old one.
 */
static void ike_collision_ours(struct ike_sa *sa, const struct ike_pending *p,
			       const struct ike_chunk *nr,
			       struct ike_exch_result *res)
{
	struct ike_sa_net *n = sa->net;
	struct ike_sa *other = n->ike_peer_new;
	struct exch_rekey_rec mine;

	res->delete_sa = sa;
	if (!other || !n->ike_rk.valid)
		return;
	exch_rekey_min(&mine, p->nonce, sizeof(p->nonce), nr->ptr, nr->len);
	res->rekey_collision = true;
	if (exch_rekey_lower(&mine, &n->ike_rk))
		res->delete_sa = res->new_sa;
	else
		exch_move_children(other, res->new_sa);
	other->net->coll_old = NULL;
	n->ike_peer_new = NULL;
	n->ike_rk.valid = false;
}

/* Initiator: the response to our CREATE_CHILD_SA request. */
int exch_child_response(struct ike_sa *sa, const struct ike_chain *in,
			struct ike_exch_result *res)
{
	struct ike_pending *p = &sa->pend;
	const struct ike_pl *s = ike_chain_find(in, IKE_PL_SA, 0);
	struct ike_proposal reply;
	struct ike_ts_list tsi, tsr;
	struct ike_key shared = { 0 };
	struct ike_chunk nonce;
	struct ike_ke ke;
	bool have_ke;
	uint16_t err, g;
	size_t n = 0;
	int grp, slot, r;

	r = exch_scan_error(in, &err, &g);
	if (r < 0)
		return r;
	if (err) {
		res->notify = err;
		res->ke_group = g;
		return -EPROTO;
	}
	if (!s || ike_sa_parse(s->body, s->len, IKE_SA_PARSE_REPLY, &reply, 1,
			       &n) < 0 || n != 1 ||
	    exch_reply_check(p->props, p->n_props, &reply) < 0 ||
	    parse_nonce_ke(in, &nonce, &ke, &have_ke) < 0)
		return -EBADMSG;
	grp = exch_tr(&reply, IKE_TR_DH, NULL);
	if (grp > 0) {
		if (!have_ke || !p->dh || ke.group != grp ||
		    ike_dh_group(p->dh) != grp ||
		    ike_dh_compute(p->dh, ke.data, ke.len, &shared) < 0)
			return -EBADMSG;
	}
	if (p->kind == IKE_PEND_IKE_REKEY) {
		if (reply.spi_len != 8 || sodium_is_zero(reply.spi, 8) || grp <= 0)
			r = -EBADMSG;
		else
			r = rekeyed_sa(sa, true, &reply, p->ike_spi, reply.spi,
				       &shared, p->nonce, sizeof(p->nonce),
				       nonce.ptr, nonce.len, &res->new_sa);
		ike_key_free(&shared);
		if (r == 0)
			ike_collision_ours(sa, p, &nonce, res);
		return r;
	}
	r = -EBADMSG;
	slot = exch_child_slot(sa);
	if (reply.spi_len != 4 || exch_parse_ts(in, &tsi, &tsr) < 0)
		goto out;
	r = slot;
	if (slot < 0)
		goto out;
	r = exch_child_install(sa, slot, &reply, true, p->spi,
			       ike_get_u32(reply.spi), grp > 0 ? &shared : NULL,
			       p->nonce, sizeof(p->nonce), nonce.ptr, nonce.len,
			       &tsi, &tsr);
	if (r == 0) {
		res->child = slot;
		res->rekeyed_child = p->kind == IKE_PEND_CHILD_REKEY ? p->child : -1;
		if (p->kind == IKE_PEND_CHILD_REKEY)
			child_collision_ours(sa, p, slot, &nonce, res);
	}
out:
	ike_key_free(&shared);
	return r;
}
