/*
 * ike_exchange.c — the exchange engine's core: the SA object, proposal
 * selection (RFC 7296 2.7), message IDs and the response cache (2.1, 2.2),
 * SK protection of our messages, dispatch of received requests and
 * responses to the per-exchange files.
 *
 * IKE_SA_INIT lives in ike_exchange_init.c, IKE_AUTH in
 * ike_exchange_auth.c, CREATE_CHILD_SA in ike_exchange_child.c,
 * INFORMATIONAL (with MOBIKE) in ike_exchange_info.c.
 * Also here: RFC 7383 fragmentation of what we send and reassembly of what
 * we receive, the status notifies of IKE_AUTH (2.4 INITIAL_CONTACT, RFC
 * 4555 MOBIKE_SUPPORTED), the error answers of 2.5 / 3.2 / 2.21 and the
 * engine-net state of an SA (fragments, rekey-collision links).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ike_exchange_int.h"
#include "ike_frag.h"

/* ---- proposals ------------------------------------------------------------ */

/* First transform of type in p: its id (keylen in *keylen), or -1. */
int exch_tr(const struct ike_proposal *p, uint8_t type, uint16_t *keylen)
{
	for (size_t i = 0; i < p->n_transforms; i++) {
		if (p->tr[i].type == type) {
			if (keylen)
				*keylen = p->tr[i].keylen;
			return p->tr[i].id;
		}
	}
	return -1;
}

/* Transform types an absent entry of which means "NONE" (id 0). */
static bool type_optional(uint8_t type)
{
	return type == IKE_TR_INTEG || type == IKE_TR_DH || type == IKE_TR_ESN;
}

/* Does p offer (type, id, keylen)?  Absent optional types offer id 0. */
static bool offers(const struct ike_proposal *p, uint8_t type, uint16_t id,
		   uint16_t keylen)
{
	bool any = false;

	for (size_t i = 0; i < p->n_transforms; i++) {
		const struct ike_transform *t = &p->tr[i];

		if (t->type != type)
			continue;
		any = true;
		if (t->id == id && t->keylen == keylen && !t->unknown_attr)
			return true;
	}
	return !any && id == 0 && type_optional(type);
}

/* Try to match our proposal m against the peer's p (2.7). */
static bool match_one(const struct ike_proposal *m, const struct ike_proposal *p,
		      struct ike_proposal *out)
{
	if (m->protocol != p->protocol)
		return false;
	memset(out, 0, sizeof(*out));
	out->num = p->num;
	out->protocol = p->protocol;
	out->spi_len = p->spi_len;
	memcpy(out->spi, p->spi, sizeof(out->spi));
	for (uint8_t type = IKE_TR_ENCR; type <= IKE_TR_ESN; type++) {
		bool m_has = exch_tr(m, type, NULL) >= 0;
		bool p_has = exch_tr(p, type, NULL) >= 0;
		const struct ike_transform *pick = NULL;
		struct ike_transform none = { .type = type };

		if (!m_has && !p_has)
			continue;
		if (m_has) {
			for (size_t i = 0; i < m->n_transforms && !pick; i++)
				if (m->tr[i].type == type &&
				    offers(p, type, m->tr[i].id, m->tr[i].keylen))
					pick = &m->tr[i];
		} else if (type_optional(type) && offers(p, type, 0, 0)) {
			pick = &none;
		}
		if (!pick)
			return false;
		/* reply only with transforms the peer listed (3.3.1) */
		if (p_has) {
			out->tr[out->n_transforms] = *pick;
			out->tr[out->n_transforms].unknown_attr = false;
			out->n_transforms++;
		}
	}
	return out->n_transforms > 0 && exch_tr(out, IKE_TR_ENCR, NULL) >= 0;
}

/* RFC 7296 2.7 selection in our preference order; see ike_exchange.h. */
int ike_exch_select(const struct ike_proposal *mine, size_t n_mine,
		    const struct ike_proposal *peer, size_t n_peer,
		    struct ike_proposal *out)
{
	for (size_t i = 0; i < n_mine; i++)
		for (size_t j = 0; j < n_peer; j++)
			if (match_one(&mine[i], &peer[j], out))
				return 0;
	return -ENOENT;
}

/* Responder's choice must be one of our proposals, narrowed to one
 * transform per type (2.7, 3.3.6). */
int exch_reply_check(const struct ike_proposal *offered, size_t n,
		     const struct ike_proposal *reply)
{
	const struct ike_proposal *o = NULL;

	for (size_t i = 0; i < n; i++)
		if (offered[i].num == reply->num)
			o = &offered[i];
	if (!o || o->protocol != reply->protocol)
		return -EBADMSG;
	for (uint8_t type = IKE_TR_ENCR; type <= IKE_TR_ESN; type++) {
		size_t count = 0;

		for (size_t i = 0; i < reply->n_transforms; i++) {
			const struct ike_transform *t = &reply->tr[i];

			if (t->type != type)
				continue;
			if (++count > 1 || !offers(o, type, t->id, t->keylen))
				return -EBADMSG;
		}
		if (count == 0 && exch_tr(o, type, NULL) >= 0 &&
		    !offers(o, type, 0, 0))
			return -EBADMSG;
	}
	for (size_t i = 0; i < reply->n_transforms; i++)
		if (reply->tr[i].type < IKE_TR_ENCR || reply->tr[i].type > IKE_TR_ESN)
			return -EBADMSG;
	return 0;
}

/* Algorithms of the IKE SA from the accepted proposal. */
int exch_keys_algs(struct ike_sa_keys *k, const struct ike_proposal *p)
{
	uint16_t kl = 0;
	int encr = exch_tr(p, IKE_TR_ENCR, &kl);
	int prf = exch_tr(p, IKE_TR_PRF, NULL);
	int integ = exch_tr(p, IKE_TR_INTEG, NULL);

	if (encr < 0 || prf < 0)
		return -ENOTSUP;
	k->encr = (uint16_t)encr;
	k->encr_keylen = kl;
	k->prf = (uint16_t)prf;
	k->integ = integ < 0 ? IKE_INTEG_NONE : (uint16_t)integ;
	if (ike_encr_keymat_len(k->encr, kl) == 0 || ike_prf_len(k->prf) == 0)
		return -ENOTSUP;
	if (ike_encr_is_aead(k->encr) != (k->integ == IKE_INTEG_NONE))
		return -ENOTSUP;
	return 0;
}

/* ---- the SA object -------------------------------------------------------------- */

/* Validate the parts of cfg every role needs. */
static int cfg_check(const struct ike_exch_cfg *cfg)
{
	if (!cfg->ike_props || cfg->n_ike_props == 0 ||
	    cfg->n_ike_props > IKE_EXCH_MAX_PROPS ||
	    cfg->n_child_props > IKE_EXCH_MAX_PROPS || !cfg->id ||
	    cfg->id_len == 0)
		return -EINVAL;
	/* own and peer authentication, methods, EAP (engine-eap) */
	return exch_auth_cfg_check(cfg);
}

/* Allocate a zeroed SA bound to cfg. */
static struct ike_sa *sa_alloc(const struct ike_exch_cfg *cfg, bool initiator)
{
	struct ike_sa *sa = calloc(1, sizeof(*sa));

	if (!sa)
		return NULL;
	sa->cfg = cfg;
	sa->initiator = initiator;
	ike_buf_init(&sa->init_req);
	ike_buf_init(&sa->init_resp);
	ike_buf_init(&sa->last_req_in);
	ike_buf_init(&sa->last_resp);
	ike_buf_init(&sa->last_req_out);
	for (size_t i = 0; i < IKE_EXCH_MAX_CHILDREN; i++)
		sa->child[i].in_use = false;
	sa->pend.child = -1;
	sa->net = calloc(1, sizeof(*sa->net));
	if (!sa->net) {
		free(sa);
		return NULL;
	}
	return sa;
}

/* See ike_exchange.h. */
int ike_sa_new(const struct ike_exch_cfg *cfg, bool initiator,
	       const struct ike_endpoint *local,
	       const struct ike_endpoint *remote, struct ike_sa **out)
{
	struct ike_sa *sa;
	int r;

	*out = NULL;
	r = cfg_check(cfg);
	if (r < 0)
		return r;
	if (!local != !remote)
		return -EINVAL;
	sa = sa_alloc(cfg, initiator);
	if (!sa)
		return -ENOMEM;
	if (local) {
		sa->have_endpoints = true;
		sa->local = *local;
		sa->remote = *remote;
	}
	if (initiator) {
		do
			randombytes_buf(sa->spi_i, sizeof(sa->spi_i));
		while (sodium_is_zero(sa->spi_i, sizeof(sa->spi_i)));
	}
	*out = sa;
	return 0;
}

/* Same configuration and endpoints, nothing negotiated (IKE rekey). */
int exch_sa_clone_empty(const struct ike_sa *old, bool initiator,
			struct ike_sa **out)
{
	struct ike_sa *sa = sa_alloc(old->cfg, initiator);

	*out = NULL;
	if (!sa)
		return -ENOMEM;
	sa->have_endpoints = old->have_endpoints;
	sa->local = old->local;
	sa->remote = old->remote;
	sa->nat_local = old->nat_local;
	sa->nat_remote = old->nat_remote;
	sa->peer_frag = old->peer_frag;
	memcpy(sa->peer_hashes, old->peer_hashes, sizeof(sa->peer_hashes));
	sa->n_peer_hashes = old->n_peer_hashes;
	sa->peer_id_type = old->peer_id_type;
	memcpy(sa->peer_id, old->peer_id, old->peer_id_len);
	sa->peer_id_len = old->peer_id_len;
	sa->peer_auth_method = old->peer_auth_method;
	sa->peer_mobike = old->peer_mobike;	/* RFC 4555: kept over a rekey */
	sa->mobike = old->mobike;
	sa->auth = old->auth;	/* the rekeyed SA keeps who authenticated */
	sa->have_own_local = old->have_own_local;	/* ... and its selectors */
	sa->have_own_remote = old->have_own_remote;
	sa->own_local = old->own_local;
	sa->own_remote = old->own_remote;
	*out = sa;
	return 0;
}

/* Free the DH context of a pending request and forget it. */
void exch_pend_clear(struct ike_pending *p)
{
	ike_dh_free(p->dh);
	memset(p, 0, sizeof(*p));
	p->child = -1;
}

/* Wipe and release one CHILD SA slot. */
void exch_child_release(struct ike_sa *sa, int idx)
{
	struct ike_child_sa *c = &sa->child[idx];
	struct ike_sa_net *n = sa->net;

	ike_key_free(&c->keymat);
	memset(c, 0, sizeof(*c));
	if (n && n->our_rk.valid &&
	    (n->our_rk.old == idx || n->our_rk.new_idx == idx))
		n->our_rk.valid = false;
	if (n && n->peer_rk.valid &&
	    (n->peer_rk.old == idx || n->peer_rk.new_idx == idx))
		n->peer_rk.valid = false;
}

/* First free CHILD SA slot, or -ENOSPC. */
int exch_child_slot(const struct ike_sa *sa)
{
	for (int i = 0; i < IKE_EXCH_MAX_CHILDREN; i++)
		if (!sa->child[i].in_use)
			return i;
	return -ENOSPC;
}

/* See ike_exchange.h. */
int ike_sa_find_child(const struct ike_sa *sa, uint32_t spi_in)
{
	for (int i = 0; i < IKE_EXCH_MAX_CHILDREN; i++)
		if (sa->child[i].in_use && sa->child[i].spi_in == spi_in)
			return i;
	return -ENOENT;
}

/* Wipe and free a reassembly context (decrypted fragments) and clear *c. */
static void rx_ctx_free(struct ike_frag_ctx **c)
{
	if (!*c)
		return;
	for (size_t i = 0; i < IKE_MAX_FRAGMENTS; i++)
		if ((*c)->frag[i].data)
			sodium_memzero((*c)->frag[i].data, (*c)->frag[i].len);
	ike_frag_ctx_reset(*c);
	free(*c);
	*c = NULL;
}

/* Free a fragment set (IKE_MAX_FRAGMENTS buffers); NULL is fine. */
static void frag_set_free(struct ike_buf *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < IKE_MAX_FRAGMENTS; i++)
		ike_buf_free(&set[i]);
	free(set);
}

/* Release the engine-net state of sa; unlink a rekey-collision partner
 * (2.8.2) so that neither keeps a pointer to freed memory. */
static void net_free(struct ike_sa *sa)
{
	struct ike_sa_net *n = sa->net;

	if (!n)
		return;
	if (n->ike_peer_new && n->ike_peer_new->net)
		n->ike_peer_new->net->coll_old = NULL;
	if (n->coll_old && n->coll_old->net) {
		n->coll_old->net->ike_peer_new = NULL;
		n->coll_old->net->ike_rk.valid = false;
	}
	frag_set_free(n->req);
	frag_set_free(n->resp);
	frag_set_free(n->stage);
	rx_ctx_free(&n->rx_req);
	rx_ctx_free(&n->rx_resp);
	sodium_memzero(n, sizeof(*n));
	free(n);
	sa->net = NULL;
}

/* See ike_exchange.h. */
void ike_sa_free(struct ike_sa *sa)
{
	if (!sa)
		return;
	for (int i = 0; i < IKE_EXCH_MAX_CHILDREN; i++)
		exch_child_release(sa, i);
	exch_spi_drop(sa);	/* our request's offer, never answered */
	exch_pend_clear(&sa->pend);
	exch_eap_free(sa);	/* engine-eap: EAP state of IKE_AUTH */
	ike_key_free(&sa->reply_psk);
	ike_dh_free(sa->dh);
	ike_sa_keys_free(&sa->keys);
	ike_buf_free(&sa->init_req);
	ike_buf_free(&sa->init_resp);
	ike_buf_free(&sa->last_req_in);
	ike_buf_free(&sa->last_resp);
	ike_buf_free(&sa->last_req_out);
	net_free(sa);
	sodium_memzero(sa, sizeof(*sa));
	free(sa);
}

/* ---- protection ---------------------------------------------------------------- */

/* Header of a message of this SA (3.1: I flag set by the original
 * initiator, R flag on responses). */
void exch_hdr(const struct ike_sa *sa, struct ike_hdr *h, uint8_t exchange,
	      bool response, uint32_t msg_id)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->spi_i, sa->spi_i, 8);
	memcpy(h->spi_r, sa->spi_r, 8);
	h->version = IKE_VERSION;
	h->exchange = exchange;
	h->flags = (uint8_t)((sa->initiator ? IKE_FLAG_INITIATOR : 0) |
			     (response ? IKE_FLAG_RESPONSE : 0));
	h->msg_id = msg_id;
}

/* We announce fragmentation and the peer did (RFC 7383 2.3). */
bool exch_frag_on(const struct ike_sa *sa)
{
	return sa->peer_frag && !sa->cfg->no_frag;
}

/* See ike_exchange.h: RFC 7383 2.5.1 budget of one datagram. */
size_t ike_sa_frag_max_msg(const struct ike_sa *sa)
{
	bool v6 = sa->have_endpoints && sa->remote.family == 6;
	bool natt = !sa->have_endpoints || sa->local.port == 4500 ||
		    sa->remote.port == 4500;
	size_t mtu = sa->cfg->frag_mtu ? sa->cfg->frag_mtu :
		     v6 ? IKE_FRAG_MTU_IPV6 : IKE_FRAG_MTU_IPV4;

	if (!exch_frag_on(sa))
		return 0;
	return ike_frag_max_msg(mtu, v6, natt);
}

/* See ike_exchange.h. */
size_t ike_sa_frags(const struct ike_sa *sa, bool response,
		    const struct ike_buf **frags)
{
	const struct ike_sa_net *n = sa->net;

	*frags = NULL;
	if (!n)
		return 0;
	if (response) {
		*frags = n->n_resp ? n->resp : NULL;
		return n->n_resp;
	}
	if (sa->pend.kind == IKE_PEND_NONE || sa->pend.kind == IKE_PEND_INIT ||
	    n->n_req == 0)
		return 0;
	*frags = n->req;
	return n->n_req;
}

/*
 * Status notifies the engine adds to an IKE_AUTH message (types out[],
 * returns the count): the initiator's first request carries
 * MOBIKE_SUPPORTED (RFC 4555 3.1, cfg->mobike) and INITIAL_CONTACT (2.4,
 * cfg->initial_contact); the responder answers MOBIKE_SUPPORTED once, when
 * MOBIKE was negotiated, in the IKE_AUTH response that completes the
 * exchange: the one carrying AUTH and no EAP.  With EAP (2.16) the first
 * response carries our AUTH as well, but initiators such as strongSwan
 * read the peer's MOBIKE_SUPPORTED only from the last IKE_AUTH response
 * (the one that establishes the SA) and otherwise fall back to
 * reauthentication on an address change instead of RFC 4555 3.5.
 */
static size_t auth_status(const struct ike_sa *sa, const struct ike_hdr *h,
			  const struct ike_chain *ch, uint16_t out[2])
{
	struct ike_notify n;
	size_t k = 0;

	if (h->exchange != IKE_AUTH)
		return 0;
	if (ike_chain_find_notify(ch, IKE_N_MOBIKE_SUPPORTED, &n) != 0)
		return 0;	/* already there (or malformed: leave it) */
	if (!(h->flags & IKE_FLAG_RESPONSE)) {
		if (!sa->initiator || !ike_chain_find(ch, IKE_PL_IDI, 0))
			return 0;
		if (sa->cfg->mobike)
			out[k++] = IKE_N_MOBIKE_SUPPORTED;
		if (sa->cfg->initial_contact)
			out[k++] = IKE_N_INITIAL_CONTACT;
	} else if (!sa->initiator && sa->mobike && !sa->net->mobike_sent &&
		   ike_chain_find(ch, IKE_PL_AUTH, 0) &&
		   !ike_chain_find(ch, IKE_PL_EAP, 0)) {
		out[k++] = IKE_N_MOBIKE_SUPPORTED;
	}
	return k;
}

/* Append data-less notifies types[0..n) to the chain in b (parsed as ch,
 * first payload *first): patch the last Next Payload, then the payloads. */
static int chain_add_notifies(struct ike_buf *b, uint8_t *first,
			      const struct ike_chain *ch,
			      const uint16_t *types, size_t n)
{
	if (ch->n)
		b->data[ch->pl[ch->n - 1].off] = IKE_PL_NOTIFY;
	else
		*first = IKE_PL_NOTIFY;
	for (size_t i = 0; i < n; i++) {
		/* 3.2 generic header, 3.10 Protocol 0, SPI Size 0, type */
		ike_buf_put_u8(b, i + 1 < n ? IKE_PL_NOTIFY : IKE_PL_NONE);
		ike_buf_put_u8(b, 0);
		ike_buf_put_u16(b, 8);
		ike_buf_put_u8(b, 0);
		ike_buf_put_u8(b, 0);
		ike_buf_put_u16(b, types[i]);
	}
	return ike_buf_error(b);
}

/* Wipe and free a plaintext buffer. */
static void buf_wipe_free(struct ike_buf *b)
{
	if (b->data)
		sodium_memzero(b->data, b->cap);
	ike_buf_free(b);
}

/*
 * Seal an inner chain into a whole SK message (3.14) in out; when
 * fragmentation is on and out is larger than one datagram may be, also
 * into SKF fragments (RFC 7383 2.5): the request set, or the staged
 * response set that cache_response() commits.  IKE_AUTH messages get the
 * status notifies of auth_status().
 */
int exch_seal(const struct ike_sa *sa, struct ike_buf *out,
	      const struct ike_hdr *h, const struct ike_buf *inner,
	      uint8_t first)
{
	struct ike_sa_net *net = sa->net;
	bool resp = h->flags & IKE_FLAG_RESPONSE;
	const struct ike_buf *use = inner;
	struct ike_buf dec;
	size_t max;
	int r;

	if (ike_buf_error(inner))
		return ike_buf_error(inner);
	ike_buf_init(&dec);
	if (h->exchange == IKE_AUTH) {
		struct ike_chain *ch = malloc(sizeof(*ch));
		uint16_t types[2];
		size_t nt = 0;

		if (!ch)
			return -ENOMEM;
		r = inner->len ? ike_chain_parse(inner->data, inner->len, 0,
						 first, ch) : 0;
		if (!inner->len)
			ch->n = 0;
		if (r == 0)
			nt = auth_status(sa, h, ch, types);
		if (nt) {
			ike_buf_put(&dec, inner->data, inner->len);
			r = ike_buf_error(&dec);
			if (r == 0)
				r = chain_add_notifies(&dec, &first, ch, types, nt);
			use = &dec;
			if (resp && r == 0)
				net->mobike_sent = true;
		}
		free(ch);
		if (r < 0) {
			buf_wipe_free(&dec);
			return r;
		}
	}
	r = ike_sk_build(&sa->keys, sa->initiator, out, h, first,
			 use->data, use->len, NULL);
	if (r >= 0 && net) {
		struct ike_buf **set = resp ? &net->stage : &net->req;
		size_t *n = resp ? &net->n_stage : &net->n_req;

		*n = 0;
		max = ike_sa_frag_max_msg(sa);
		if (max && out->len > max) {
			if (!*set)
				*set = calloc(IKE_MAX_FRAGMENTS, sizeof(**set));
			r = !*set ? -ENOMEM :
			    ike_frag_build(&sa->keys, sa->initiator, h, first,
					   use->data, use->len, max, *set,
					   IKE_MAX_FRAGMENTS, NULL);
			if (r > 0)
				*n = (size_t)r;
		}
	}
	buf_wipe_free(&dec);
	return r < 0 ? r : 0;
}

/* Verify + decrypt a message the peer sent (3.14, 2.21: integrity
 * failures are dropped silently by the caller). */
int exch_open(const struct ike_sa *sa, const uint8_t *msg, size_t len,
	      uint8_t **plain, struct ike_chain *inner)
{
	struct ike_sk_info si;
	size_t plen = 0;
	uint8_t *p;
	int r;

	*plain = NULL;
	if (!sa->keys.sk_d.ptr)
		return -EINVAL;
	p = malloc(len ? len : 1);
	if (!p)
		return -ENOMEM;
	r = ike_sk_decrypt(&sa->keys, !sa->initiator, msg, len, &si, p, len,
			   &plen);
	if (r == 0 && si.is_frag)
		r = -ENOTSUP;	/* reassembly is the caller's (ike_frag.h) */
	if (r == 0)
		r = ike_chain_parse(p, plen, 0, si.first_inner, inner);
	if (r < 0) {
		sodium_memzero(p, len);
		free(p);
		return r == -ENOMEM ? r : -EBADMSG;
	}
	*plain = p;
	return 0;
}

/* Protected response carrying one error/status notify. */
int exch_notify_resp(struct ike_sa *sa, uint8_t exchange, uint32_t msg_id,
		     uint16_t type, const uint8_t *data, size_t data_len,
		     struct ike_buf *out)
{
	struct ike_buf in;
	struct ike_msg_builder mb;
	struct ike_hdr h;
	int r;

	ike_buf_init(&in);
	ike_mb_begin_chain(&mb, &in);
	ike_notify_build(&mb, 0, type, NULL, 0, data, data_len);
	r = ike_mb_finish(&mb);
	exch_hdr(sa, &h, exchange, true, msg_id);
	if (r >= 0)
		r = exch_seal(sa, out, &h, &in, mb.first);
	ike_buf_free(&in);
	return r;
}

/* First error notify of ch (types below 16384, 3.10.1). */
int exch_scan_error(const struct ike_chain *ch, uint16_t *err,
		    uint16_t *ke_group)
{
	*err = 0;
	*ke_group = 0;
	for (size_t i = 0; i < ch->n; i++) {
		struct ike_notify n;

		if (ch->pl[i].type != IKE_PL_NOTIFY)
			continue;
		if (ike_notify_parse(ch->pl[i].body, ch->pl[i].len, &n) < 0)
			return -EBADMSG;
		if (n.type >= 16384 || *err)
			continue;
		*err = n.type;
		if (n.type == IKE_N_INVALID_KE_PAYLOAD &&
		    ike_notify_u16(&n, ke_group) < 0)
			return -EBADMSG;
	}
	return 0;
}

/* TSi / TSr payload (3.13). */
int exch_put_ts(struct ike_msg_builder *mb, uint8_t type,
		const struct ike_ts_list *l)
{
	size_t off = ike_mb_pl_begin(mb, type, false);
	int r;

	if (off == SIZE_MAX)
		return ike_buf_error(mb->b);
	r = ike_ts_build(mb->b, l);
	if (r < 0) {
		ike_mb_fail(mb, r);
		return r;
	}
	return ike_mb_pl_end(mb, off);
}

/* ---- dispatch -------------------------------------------------------------------- */

static void res_init(struct ike_exch_result *res)
{
	memset(res, 0, sizeof(*res));
	res->child = res->rekeyed_child = res->deleted_child = -1;
	res->delete_child = -1;
}

/* Remember request and response for retransmissions (2.1); the staged
 * fragments of the response become the cached set.  A request that came
 * in fragments is not kept byte for byte: only its fragment 1 triggers a
 * resend (RFC 7383 2.6.1). */
static int cache_response(struct ike_sa *sa, const uint8_t *msg, size_t len,
			  bool fragmented, const struct ike_buf *out)
{
	struct ike_sa_net *n = sa->net;
	struct ike_buf *t = n->resp;

	n->resp = n->stage;
	n->n_resp = n->n_stage;
	n->stage = t;
	n->n_stage = 0;
	n->last_req_frag = fragmented;
	ike_buf_reset(&sa->last_req_in);
	ike_buf_reset(&sa->last_resp);
	if (!fragmented)
		ike_buf_put(&sa->last_req_in, msg, len);
	ike_buf_put(&sa->last_resp, out->data, out->len);
	sa->have_last = !ike_buf_error(&sa->last_req_in) &&
			!ike_buf_error(&sa->last_resp);
	return sa->have_last ? 0 : -ENOMEM;
}

/* A retransmission of the request we answered last?  Then resend the
 * cached response: "the responder MUST ... retransmit the response" (2.1). */
static bool is_retransmit(const struct ike_sa *sa, const uint8_t *msg,
			  size_t len)
{
	return sa->have_last && sa->last_req_in.len == len &&
	       memcmp(sa->last_req_in.data, msg, len) == 0;
}

/* The cached response into out (its fragments: ike_sa_frags(sa, true)). */
static int resend(const struct ike_sa *sa, struct ike_buf *out)
{
	ike_buf_reset(out);
	ike_buf_put(out, sa->last_resp.data, sa->last_resp.len);
	return ike_buf_error(out) ? ike_buf_error(out) : 1;
}

/* Decrypted inner payloads of one message (wiped when freed). */
struct rx_plain {
	uint8_t *p;
	size_t len, cap;
};

static void rx_plain_free(struct rx_plain *pt)
{
	if (pt->p) {
		sodium_memzero(pt->p, pt->cap);
		free(pt->p);
	}
	memset(pt, 0, sizeof(*pt));
}

/*
 * Fragment bookkeeping before decryption (RFC 7383 2.6): the reassembly
 * of this direction, (re)started for the message ID of v; fragments of
 * another exchange type, duplicates and stale ones are refused unread.
 */
static int frag_pre(struct ike_sa *sa, const struct ike_msg_view *v,
		    bool response, const struct ike_sk_info *si,
		    struct ike_frag_ctx **c)
{
	struct ike_sa_net *n = sa->net;
	struct ike_frag_ctx **cp = response ? &n->rx_resp : &n->rx_req;
	uint8_t *ex = response ? &n->rx_resp_exch : &n->rx_req_exch;

	/* 2.3: not negotiated -> not accepted */
	if (!exch_frag_on(sa))
		return -EBADMSG;
	if (*cp && (*cp)->msg_id != v->hdr.msg_id)
		rx_ctx_free(cp);
	if (!*cp) {
		*cp = malloc(sizeof(**cp));
		if (!*cp)
			return -ENOMEM;
		ike_frag_ctx_init(*cp, v->hdr.msg_id, 0);
		*ex = v->hdr.exchange;
	}
	if (*ex != v->hdr.exchange) {
		if ((*cp)->n_have)
			return -EBADMSG;
		*ex = v->hdr.exchange;
	}
	if (!ike_frag_wanted(*cp, si->frag_num, si->frag_total))
		return -EALREADY;
	*c = *cp;
	return 0;
}

/*
 * Verify and decrypt the SK payload, or one SKF fragment, of a message the
 * peer sent, and parse the inner chain once the message is whole.
 *   0            pt / in hold the inner payloads;
 *   -EINPROGRESS a fragment was stored, more are needed;
 *   -EALREADY    duplicate or stale fragment (dropped unread);
 *   -EBADMSG     framing or integrity failure (2.21: dropped);
 *   -EILSEQ      authenticated, but the inner chain is malformed;
 *   -ENOTSUP     authenticated, an unknown critical payload
 *                (in->unsupported_critical);
 *   -E2BIG, -ENOMEM, -EINVAL (no keys yet).
 */
static int rx_open(struct ike_sa *sa, const struct ike_msg_view *v,
		   bool response, struct rx_plain *pt, struct ike_chain *in)
{
	struct ike_frag_ctx *c = NULL;
	struct ike_sk_info si;
	uint8_t first;
	size_t plen = 0;
	int r;

	if (!sa->keys.sk_d.ptr)
		return -EINVAL;
	r = ike_sk_locate(v->msg, v->len, &si);
	if (r < 0)
		return r == -E2BIG ? r : -EBADMSG;
	if (si.is_frag) {
		r = frag_pre(sa, v, response, &si, &c);
		if (r < 0)
			return r;
	}
	pt->cap = v->len;
	pt->p = malloc(pt->cap);
	if (!pt->p)
		return -ENOMEM;
	r = ike_sk_open(&sa->keys, !sa->initiator, v->msg, v->len, si.body_off,
			pt->p, pt->cap, &plen);
	if (r < 0)
		return r == -ENOMEM ? r : -EBADMSG;
	first = si.first_inner;
	if (c) {
		struct ike_frag_ctx **cp = response ? &sa->net->rx_resp :
						      &sa->net->rx_req;
		struct ike_buf whole;

		r = ike_frag_add(c, si.frag_num, si.frag_total, si.first_inner,
				 pt->p, plen);
		rx_plain_free(pt);
		if (r == -E2BIG || r == -ENOMEM)
			return r;
		if (r < 0)
			return -EALREADY;
		if (r == 0)
			return -EINPROGRESS;
		/* complete: one allocation of the exact size, so no partial
		 * plaintext copy is left behind by a realloc */
		ike_buf_init(&whole);
		whole.limit = c->max_bytes;
		if (c->bytes && !ike_buf_reserve(&whole, c->bytes)) {
			rx_ctx_free(cp);
			ike_buf_free(&whole);
			return -ENOMEM;
		}
		whole.len = 0;
		r = ike_frag_take(c, &whole, &first);
		rx_ctx_free(cp);
		if (r < 0) {
			buf_wipe_free(&whole);
			return r;
		}
		pt->p = whole.data;
		pt->cap = whole.cap;
		plen = whole.len;
	}
	pt->len = plen;
	if (plen == 0 && first != IKE_PL_NONE)
		return -EILSEQ;
	r = plen ? ike_chain_parse(pt->p, plen, 0, first, in) :
		   ike_chain_parse((const uint8_t *)"", 0, 0, first, in);
	if (r == -ENOTSUP)
		return r;
	if (r < 0)
		return -EILSEQ;
	/* 3.14: no encrypted payload inside an encrypted payload */
	for (size_t i = 0; i < in->n; i++)
		if (in->pl[i].type == IKE_PL_SK || in->pl[i].type == IKE_PL_SKF)
			return -EILSEQ;
	return 0;
}

/* Unprotected answer to a request with one notify (2.5, 3.2 in
 * IKE_SA_INIT): HDR(SPIi, SPIr as received, IKEv2), N(type) [data]. */
static int plain_answer(const struct ike_hdr *req, uint16_t type,
			const uint8_t *data, size_t data_len,
			struct ike_buf *out, struct ike_exch_result *res)
{
	struct ike_msg_builder mb;
	struct ike_hdr h;
	int r;

	memset(&h, 0, sizeof(h));
	memcpy(h.spi_i, req->spi_i, 8);
	memcpy(h.spi_r, req->spi_r, 8);
	h.version = IKE_VERSION;	/* "the closest version ... we support" */
	h.exchange = req->exchange;
	h.flags = IKE_FLAG_RESPONSE;
	h.msg_id = req->msg_id;
	ike_buf_reset(out);
	ike_mb_begin(&mb, out, &h);
	ike_notify_build(&mb, 0, type, NULL, 0, data, data_len);
	r = ike_mb_finish(&mb);
	if (r < 0)
		return r;
	res->notify = type;
	return 1;
}

/* May this IKE_SA_INIT request get an unprotected answer from sa? */
static bool init_answerable(const struct ike_sa *sa, const struct ike_hdr *h)
{
	return h->exchange == IKE_SA_INIT && !sa->initiator &&
	       sa->state == IKE_ST_IDLE && h->msg_id == 0 &&
	       (h->flags & (IKE_FLAG_RESPONSE | IKE_FLAG_INITIATOR)) ==
	       IKE_FLAG_INITIATOR && sodium_is_zero(h->spi_r, 8);
}

/* Fragment 1 of the request answered last (RFC 7383 2.6.1: "... MUST only
 * trigger a retransmission of the response ... if the Fragment Number ...
 * is set to 1; otherwise, it MUST be ignored"); authenticated first. */
static int frag_retransmit(struct ike_sa *sa, const struct ike_msg_view *v,
			   struct ike_buf *out)
{
	struct ike_sk_info si;
	uint8_t *p;
	size_t plen = 0;
	int r;

	if (ike_sk_locate(v->msg, v->len, &si) < 0 || !si.is_frag ||
	    !sa->keys.sk_d.ptr)
		return -EBADMSG;
	if (si.frag_num != 1 || !sa->net->last_req_frag)
		return -EALREADY;
	p = malloc(v->len);
	if (!p)
		return -ENOMEM;
	r = ike_sk_open(&sa->keys, !sa->initiator, v->msg, v->len, si.body_off,
			p, v->len, &plen);
	sodium_memzero(p, v->len);
	free(p);
	if (r < 0)
		return -EBADMSG;
	return resend(sa, out);
}

/* Status notifies of a decrypted IKE_AUTH message (either direction):
 * INITIAL_CONTACT (2.4) and MOBIKE_SUPPORTED (RFC 4555 3.1).  -EILSEQ when
 * one of them is malformed. */
static int auth_scan(struct ike_sa *sa, const struct ike_chain *in)
{
	for (size_t i = 0; i < in->n; i++) {
		struct ike_notify n;

		if (in->pl[i].type != IKE_PL_NOTIFY)
			continue;
		if (ike_notify_parse(in->pl[i].body, in->pl[i].len, &n) < 0)
			return -EILSEQ;
		if (n.type == IKE_N_INITIAL_CONTACT && !sa->initiator) {
			if (ike_notify_empty(&n) < 0)
				return -EILSEQ;
			sa->peer_initial_contact = true;
		} else if (n.type == IKE_N_MOBIKE_SUPPORTED) {
			if (ike_notify_empty(&n) < 0)
				return -EILSEQ;
			sa->peer_mobike = true;
			sa->mobike = sa->cfg->mobike;
		}
	}
	return 0;
}

/* May an INFORMATIONAL request be processed now?  After IKE_AUTH (1.4),
 * and on a responder while IKE_AUTH with EAP runs: the initiator may give
 * up there with AUTHENTICATION_FAILED (2.21.2, exch_info_in_auth()). */
static bool info_allowed(const struct ike_sa *sa)
{
	return sa->state >= IKE_ST_ESTABLISHED ||
	       (sa->state == IKE_ST_INIT_DONE && !sa->initiator && sa->eap);
}

/* See ike_exchange.h. */
int ike_sa_handle_request(struct ike_sa *sa, const uint8_t *msg, size_t len,
			  struct ike_buf *out, struct ike_exch_result *res)
{
	return ike_sa_handle_request_from(sa, msg, len, NULL, NULL, out, res);
}

/* See ike_exchange.h. */
int ike_sa_handle_request_from(struct ike_sa *sa, const uint8_t *msg,
			       size_t len, const struct ike_endpoint *local,
			       const struct ike_endpoint *remote,
			       struct ike_buf *out, struct ike_exch_result *res)
{
	struct ike_msg_view *v;
	struct ike_chain *in = NULL;
	struct rx_plain pt = { 0 };
	bool frag, handled = false;
	uint8_t crit;
	int r;

	res_init(res);
	if (!local != !remote || !sa->net)
		return -EINVAL;
	sa->net->n_stage = 0;
	if (is_retransmit(sa, msg, len))
		return resend(sa, out);
	v = malloc(sizeof(*v) + sizeof(*in));
	if (!v)
		return -ENOMEM;
	in = (struct ike_chain *)(v + 1);
	r = ike_msg_parse(msg, len, v);
	if (r == -EPROTONOSUPPORT) {
		/* 2.5: "If an endpoint receives a message with a higher major
		 * version number, it MUST drop the message and SHOULD send an
		 * unauthenticated Notify message of type INVALID_MAJOR_VERSION
		 * containing the highest (closest) version number it supports" */
		if ((v->hdr.version >> 4) > (IKE_VERSION >> 4) &&
		    init_answerable(sa, &v->hdr))
			r = plain_answer(&v->hdr, IKE_N_INVALID_MAJOR_VERSION,
					 NULL, 0, out, res);
		goto out;
	}
	if (r == -ENOTSUP) {
		/* 3.2: "... MUST reject the entire message and send an
		 * UNSUPPORTED_CRITICAL_PAYLOAD ... containing the payload type" */
		crit = v->ch.unsupported_critical;
		if (init_answerable(sa, &v->hdr))
			r = plain_answer(&v->hdr,
					 IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD,
					 &crit, 1, out, res);
		goto out;
	}
	if (r < 0) {
		r = -EBADMSG;
		goto out;
	}
	r = -EINVAL;
	if (v->hdr.flags & IKE_FLAG_RESPONSE)
		goto out;
	/* 3.1: the I flag tells who sent it; it must be the other role */
	if (!!(v->hdr.flags & IKE_FLAG_INITIATOR) == sa->initiator)
		goto out;
	if (v->hdr.exchange == IKE_SA_INIT) {
		if (sa->initiator || sa->state != IKE_ST_IDLE)
			goto out_old;
		if (v->hdr.msg_id != 0 || !sodium_is_zero(v->hdr.spi_r, 8))
			goto out;
		r = exch_init_request(sa, v, out, res);
		if (r == 1 && sa->state == IKE_ST_INIT_DONE) {
			sa->peer_msg_id = 1;
			r = cache_response(sa, msg, len, false, out) < 0 ?
			    -ENOMEM : 1;
		}
		goto out;
	}
	if (memcmp(v->hdr.spi_i, sa->spi_i, 8) || memcmp(v->hdr.spi_r, sa->spi_r, 8))
		goto out;
	if (sa->state < IKE_ST_INIT_DONE || sa->state >= IKE_ST_DELETED)
		goto out;
	frag = v->ch.n > 0 && v->ch.pl[v->ch.n - 1].type == IKE_PL_SKF;
	if (v->hdr.msg_id != sa->peer_msg_id) {
		r = -EALREADY;
		if (frag && sa->have_last && v->hdr.msg_id + 1 == sa->peer_msg_id)
			r = frag_retransmit(sa, v, out);
		goto out;
	}
	r = rx_open(sa, v, false, &pt, in);
	if (r == -ENOTSUP) {
		crit = in->unsupported_critical;
		res->notify = IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD;
		r = exch_notify_resp(sa, v->hdr.exchange, v->hdr.msg_id,
				     IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD, &crit,
				     1, out);
		r = r < 0 ? r : 1;
		goto answered;
	}
	if (r < 0 && r != -EILSEQ)
		goto out;
	sa->net->rx_local = local;
	sa->net->rx_remote = remote;
	if (r == 0 && v->hdr.exchange == IKE_AUTH)
		r = auth_scan(sa, in);
	if (r == 0) {
		r = -EINVAL;
		switch (v->hdr.exchange) {
		case IKE_AUTH:
			handled = !sa->initiator && sa->state == IKE_ST_INIT_DONE;
			if (handled)
				r = exch_auth_request(sa, v, in, out, res);
			if (r == 1 && res->established)
				res->initial_contact = sa->peer_initial_contact;
			break;
		case CREATE_CHILD_SA:
			handled = sa->state == IKE_ST_ESTABLISHED;
			if (handled) {
				r = exch_child_request(sa, v, in, out, res);
			} else if (sa->state == IKE_ST_REKEYED) {
				/* 2.25: an SA being replaced takes no new
				 * CHILD SAs or rekeys: TEMPORARY_FAILURE */
				res->notify = IKE_N_TEMPORARY_FAILURE;
				r = exch_notify_resp(sa, CREATE_CHILD_SA,
						     v->hdr.msg_id,
						     IKE_N_TEMPORARY_FAILURE,
						     NULL, 0, out);
				r = r < 0 ? r : 1;
			}
			break;
		case INFORMATIONAL:
			handled = info_allowed(sa);
			if (handled && sa->state == IKE_ST_INIT_DONE)
				r = exch_info_in_auth(sa, v, in, out, res);
			else if (handled)
				r = exch_info_request(sa, v, in, out, res);
			break;
		default:
			break;
		}
	} else {
		handled = (v->hdr.exchange == IKE_AUTH && !sa->initiator &&
			   sa->state == IKE_ST_INIT_DONE) ||
			  (v->hdr.exchange == CREATE_CHILD_SA &&
			   sa->state >= IKE_ST_ESTABLISHED) ||
			  (v->hdr.exchange == INFORMATIONAL && info_allowed(sa));
	}
	sa->net->rx_local = sa->net->rx_remote = NULL;
	if ((r == -EILSEQ || r == -EBADMSG) && handled) {
		/* 3.10.1 INVALID_SYNTAX: "... may only be returned for and
		 * in an encrypted packet if the Message ID and cryptographic
		 * checksum were valid"; 2.21.2: a failed IKE_AUTH leaves no
		 * IKE SA */
		res_init(res);
		res->notify = IKE_N_INVALID_SYNTAX;
		r = exch_notify_resp(sa, v->hdr.exchange, v->hdr.msg_id,
				     IKE_N_INVALID_SYNTAX, NULL, 0, out);
		r = r < 0 ? r : 1;
		if (v->hdr.exchange == IKE_AUTH)
			sa->state = IKE_ST_FAILED;
	} else if (r == -EILSEQ) {
		r = -EBADMSG;
	}
answered:
	if (r == 1) {
		sa->peer_msg_id++;
		if (cache_response(sa, msg, len, frag, out) < 0)
			r = -ENOMEM;
	}
	goto out;
out_old:
	r = -EALREADY;	/* an old request whose response we no longer hold */
out:
	rx_plain_free(&pt);
	free(v);
	return r;
}

/* Exchange type a pending request kind expects. */
static uint8_t pend_exchange(uint8_t kind)
{
	switch (kind) {
	case IKE_PEND_INIT: return IKE_SA_INIT;
	case IKE_PEND_AUTH: return IKE_AUTH;
	case IKE_PEND_CHILD_NEW:
	case IKE_PEND_CHILD_REKEY:
	case IKE_PEND_IKE_REKEY: return CREATE_CHILD_SA;
	case IKE_PEND_DELETE_CHILD:
	case IKE_PEND_DELETE_IKE:
	case IKE_PEND_LIVENESS:
	case IKE_PEND_UPDATE_ADDR:
	case IKE_PEND_AUTH_FAILED: return INFORMATIONAL;
	default: return 0;
	}
}

/* See ike_exchange.h. */
int ike_sa_handle_response(struct ike_sa *sa, const uint8_t *msg, size_t len,
			   struct ike_exch_result *res)
{
	struct ike_msg_view *v;
	struct ike_chain *in;
	struct rx_plain pt = { 0 };
	uint8_t kind = sa->pend.kind;
	int r;

	res_init(res);
	if (kind == IKE_PEND_NONE)
		return -EALREADY;
	v = malloc(sizeof(*v) + sizeof(*in));
	if (!v)
		return -ENOMEM;
	in = (struct ike_chain *)(v + 1);
	r = ike_msg_parse(msg, len, v);
	if (r < 0) {
		r = -EBADMSG;
		goto out;
	}
	r = -EALREADY;
	/* 2.2: a response carries the message ID of its request */
	if (!(v->hdr.flags & IKE_FLAG_RESPONSE) ||
	    v->hdr.msg_id != sa->pend.msg_id ||
	    v->hdr.exchange != pend_exchange(kind) ||
	    !!(v->hdr.flags & IKE_FLAG_INITIATOR) == sa->initiator ||
	    memcmp(v->hdr.spi_i, sa->spi_i, 8) != 0)
		goto out;
	if (kind == IKE_PEND_INIT) {
		r = exch_init_response(sa, v, res);
		if (r != -EBADMSG && r != -EALREADY) {
			exch_pend_clear(&sa->pend);
			if (r == 0)
				sa->my_msg_id = 1;
		}
		goto out;
	}
	if (memcmp(v->hdr.spi_r, sa->spi_r, 8) != 0)
		goto out;
	r = rx_open(sa, v, true, &pt, in);
	if (r == -EILSEQ || r == -ENOTSUP)
		r = -EBADMSG;
	if (r == 0 && kind == IKE_PEND_AUTH)
		r = auth_scan(sa, in) < 0 ? -EBADMSG : 0;
	if (r < 0)
		goto out;
	switch (kind) {
	case IKE_PEND_AUTH:
		r = exch_auth_response(sa, in, res);
		break;
	case IKE_PEND_CHILD_NEW:
	case IKE_PEND_CHILD_REKEY:
	case IKE_PEND_IKE_REKEY:
		r = exch_child_response(sa, in, res);
		break;
	default:
		r = exch_info_response(sa, in, res);
		break;
	}
	if (r != -EBADMSG) {
		/* the exchange is over, whatever its outcome (2.2); an offered
		 * SPI that did not become a CHILD SA is given back (EAP rounds
		 * keep it: the last IKE_AUTH response creates the CHILD SA) */
		if (!(kind == IKE_PEND_AUTH && r == -EAGAIN))
			exch_spi_drop(sa);
		exch_pend_clear(&sa->pend);
		sa->my_msg_id++;
		sa->net->n_req = 0;
	}
out:
	rx_plain_free(&pt);
	free(v);
	return r;
}
