/*
 * ike_exchange.c — the exchange engine's core: the SA object, proposal
 * selection (RFC 7296 2.7), message IDs and the response cache (2.1, 2.2),
 * SK protection of our messages, dispatch of received requests and
 * responses to the per-exchange files, and INFORMATIONAL (1.4, 2.4).
 *
 * IKE_SA_INIT lives in ike_exchange_init.c, IKE_AUTH in
 * ike_exchange_auth.c, CREATE_CHILD_SA in ike_exchange_child.c.
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
	if (cfg->auth == IKE_EXCH_AUTH_PSK && (!cfg->psk || !cfg->psk_len))
		return -EINVAL;
	if (cfg->auth == IKE_EXCH_AUTH_SIG && (!cfg->key || cfg->n_certs == 0 ||
					       cfg->n_certs > IKE_EXCH_MAX_CERTS))
		return -EINVAL;
	if (cfg->auth != IKE_EXCH_AUTH_PSK && cfg->auth != IKE_EXCH_AUTH_SIG)
		return -EINVAL;
	if (cfg->peer_auth == IKE_EXCH_AUTH_PSK &&
	    (!cfg->peer_psk || !cfg->peer_psk_len))
		return -EINVAL;
	if (cfg->peer_auth == IKE_EXCH_AUTH_SIG && !cfg->trust)
		return -EINVAL;
	if (cfg->peer_auth != IKE_EXCH_AUTH_PSK &&
	    cfg->peer_auth != IKE_EXCH_AUTH_SIG)
		return -EINVAL;
	return 0;
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

	ike_key_free(&c->keymat);
	memset(c, 0, sizeof(*c));
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

/* See ike_exchange.h. */
void ike_sa_free(struct ike_sa *sa)
{
	if (!sa)
		return;
	for (int i = 0; i < IKE_EXCH_MAX_CHILDREN; i++)
		exch_child_release(sa, i);
	exch_pend_clear(&sa->pend);
	ike_dh_free(sa->dh);
	ike_sa_keys_free(&sa->keys);
	ike_buf_free(&sa->init_req);
	ike_buf_free(&sa->init_resp);
	ike_buf_free(&sa->last_req_in);
	ike_buf_free(&sa->last_resp);
	ike_buf_free(&sa->last_req_out);
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

/* Seal an inner chain into a whole SK message (3.14). */
int exch_seal(const struct ike_sa *sa, struct ike_buf *out,
	      const struct ike_hdr *h, const struct ike_buf *inner,
	      uint8_t first)
{
	int r;

	if (ike_buf_error(inner))
		return ike_buf_error(inner);
	r = ike_sk_build(&sa->keys, sa->initiator, out, h, first,
			 inner->data, inner->len, NULL);
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

/* Wipe and free decrypted payloads. */
static void plain_free(uint8_t *p, size_t len)
{
	if (p) {
		sodium_memzero(p, len);
		free(p);
	}
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

/* ---- INFORMATIONAL (1.4, 2.4) ---------------------------------------------------- */

/* Send an INFORMATIONAL request with the given inner chain. */
static int send_info(struct ike_sa *sa, struct ike_buf *in, uint8_t first,
		     uint8_t kind, int child, struct ike_buf *out)
{
	struct ike_hdr h;
	int r;

	exch_hdr(sa, &h, INFORMATIONAL, false, sa->my_msg_id);
	r = exch_seal(sa, out, &h, in, first);
	if (r < 0)
		return r;
	exch_pend_clear(&sa->pend);
	sa->pend.kind = kind;
	sa->pend.msg_id = sa->my_msg_id;
	sa->pend.child = child;
	ike_buf_reset(&sa->last_req_out);
	ike_buf_put(&sa->last_req_out, out->data, out->len);
	return ike_buf_error(&sa->last_req_out);
}

/* Can we start a request now?  (2.3: window size 1) */
int exch_can_request(const struct ike_sa *sa)
{
	if (sa->pend.kind != IKE_PEND_NONE)
		return -EBUSY;
	if (sa->state != IKE_ST_ESTABLISHED)
		return -EINVAL;
	return 0;
}

/* INFORMATIONAL request with a Delete payload (1.4.1): ESP with our inbound
 * SPI of CHILD SA idx, or the IKE SA itself (idx < 0). */
int ike_exch_delete_build(struct ike_sa *sa, int idx, struct ike_buf *out)
{
	struct ike_buf in;
	struct ike_msg_builder mb;
	int r = exch_can_request(sa);

	if (r < 0)
		return r;
	if (idx >= IKE_EXCH_MAX_CHILDREN || (idx >= 0 && !sa->child[idx].in_use))
		return -ENOENT;
	ike_buf_init(&in);
	ike_mb_begin_chain(&mb, &in);
	if (idx >= 0)
		ike_delete_build(&mb, IKE_PROTO_ESP, &sa->child[idx].spi_in, 1);
	else
		ike_delete_build(&mb, IKE_PROTO_IKE, NULL, 0);
	r = ike_mb_finish(&mb);
	if (r >= 0)
		r = send_info(sa, &in, mb.first,
			      idx >= 0 ? IKE_PEND_DELETE_CHILD : IKE_PEND_DELETE_IKE,
			      idx, out);
	ike_buf_free(&in);
	return r;
}

/* Empty INFORMATIONAL request: liveness check (2.4). */
int ike_exch_liveness_build(struct ike_sa *sa, struct ike_buf *out)
{
	struct ike_buf in;
	int r = exch_can_request(sa);

	if (r < 0)
		return r;
	ike_buf_init(&in);
	r = send_info(sa, &in, IKE_PL_NONE, IKE_PEND_LIVENESS, -1, out);
	ike_buf_free(&in);
	return r;
}

/* Index of the CHILD SA whose outbound SPI (the peer's inbound) is spi. */
static int find_child_out(const struct ike_sa *sa, uint32_t spi)
{
	for (int i = 0; i < IKE_EXCH_MAX_CHILDREN; i++)
		if (sa->child[i].in_use && sa->child[i].spi_out == spi)
			return i;
	return -ENOENT;
}

/*
 * INFORMATIONAL request from the peer (1.4.1): "If an IKE SA is deleted,
 * ... the response is an empty INFORMATIONAL"; for ESP "a node SHOULD
 * respond with a Delete payload for the paired SA".  Unknown SPIs are
 * ignored; other payloads too (status notifies).
 */
static int info_request(struct ike_sa *sa, const struct ike_msg_view *v,
			const struct ike_chain *in, struct ike_buf *out,
			struct ike_exch_result *res)
{
	uint32_t ours[IKE_EXCH_MAX_CHILDREN];
	size_t n_ours = 0;
	bool del_ike = false;
	struct ike_buf ib;
	struct ike_msg_builder mb;
	struct ike_hdr h;
	int r;

	for (size_t i = 0; i < in->n; i++) {
		struct ike_delete d;

		if (in->pl[i].type != IKE_PL_DELETE)
			continue;
		r = ike_delete_parse(in->pl[i].body, in->pl[i].len, &d);
		if (r < 0)
			return r;
		if (d.protocol == IKE_PROTO_IKE) {
			del_ike = true;
			continue;
		}
		if (d.protocol != IKE_PROTO_ESP)
			continue;
		for (size_t k = 0; k < d.n_spis; k++) {
			int idx = find_child_out(sa, ike_delete_spi(&d, k));

			if (idx < 0 || n_ours == IKE_EXCH_MAX_CHILDREN)
				continue;
			ours[n_ours++] = sa->child[idx].spi_in;
			exch_child_release(sa, idx);
			res->deleted_child = idx;
		}
	}
	ike_buf_init(&ib);
	ike_mb_begin_chain(&mb, &ib);
	if (!del_ike && n_ours)
		ike_delete_build(&mb, IKE_PROTO_ESP, ours, n_ours);
	r = ike_mb_finish(&mb);
	exch_hdr(sa, &h, INFORMATIONAL, true, v->hdr.msg_id);
	if (r >= 0)
		r = exch_seal(sa, out, &h, &ib, mb.first);
	ike_buf_free(&ib);
	if (r < 0)
		return r;
	if (del_ike) {
		sa->state = IKE_ST_DELETED;
		res->ike_deleted = true;
	}
	return 1;
}

/* Response to our INFORMATIONAL request. */
static int info_response(struct ike_sa *sa, const struct ike_chain *in,
			 struct ike_exch_result *res)
{
	uint16_t err, g;
	int r = exch_scan_error(in, &err, &g);

	if (r < 0)
		return r;
	switch (sa->pend.kind) {
	case IKE_PEND_DELETE_CHILD:
		if (sa->pend.child >= 0 && sa->child[sa->pend.child].in_use) {
			exch_child_release(sa, sa->pend.child);
			res->deleted_child = sa->pend.child;
		}
		break;
	case IKE_PEND_DELETE_IKE:
		sa->state = IKE_ST_DELETED;
		res->ike_deleted = true;
		break;
	default:
		break;
	}
	res->notify = err;
	return err ? -EPROTO : 0;
}

/* ---- dispatch -------------------------------------------------------------------- */

static void res_init(struct ike_exch_result *res)
{
	memset(res, 0, sizeof(*res));
	res->child = res->rekeyed_child = res->deleted_child = -1;
}

/* Remember request and response for retransmissions (2.1). */
static int cache_response(struct ike_sa *sa, const uint8_t *msg, size_t len,
			  const struct ike_buf *out)
{
	ike_buf_reset(&sa->last_req_in);
	ike_buf_reset(&sa->last_resp);
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

/* See ike_exchange.h. */
int ike_sa_handle_request(struct ike_sa *sa, const uint8_t *msg, size_t len,
			  struct ike_buf *out, struct ike_exch_result *res)
{
	struct ike_msg_view *v;
	struct ike_chain *in = NULL;
	uint8_t *plain = NULL;
	int r;

	res_init(res);
	if (is_retransmit(sa, msg, len)) {
		ike_buf_reset(out);
		ike_buf_put(out, sa->last_resp.data, sa->last_resp.len);
		return ike_buf_error(out) ? ike_buf_error(out) : 1;
	}
	v = malloc(sizeof(*v) + sizeof(*in));
	if (!v)
		return -ENOMEM;
	in = (struct ike_chain *)(v + 1);
	r = ike_msg_parse(msg, len, v);
	if (r < 0) {
		r = r == -ENOTSUP ? -ENOTSUP : -EBADMSG;
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
			r = cache_response(sa, msg, len, out) < 0 ? -ENOMEM : 1;
		}
		goto out;
	}
	if (memcmp(v->hdr.spi_i, sa->spi_i, 8) || memcmp(v->hdr.spi_r, sa->spi_r, 8))
		goto out;
	if (sa->state < IKE_ST_INIT_DONE || sa->state >= IKE_ST_DELETED)
		goto out;
	if (v->hdr.msg_id != sa->peer_msg_id)
		goto out_old;
	r = exch_open(sa, msg, len, &plain, in);
	if (r < 0)
		goto out;
	r = -EINVAL;
	switch (v->hdr.exchange) {
	case IKE_AUTH:
		if (!sa->initiator && sa->state == IKE_ST_INIT_DONE)
			r = exch_auth_request(sa, v, in, out, res);
		break;
	case CREATE_CHILD_SA:
		if (sa->state == IKE_ST_ESTABLISHED)
			r = exch_child_request(sa, v, in, out, res);
		break;
	case INFORMATIONAL:
		if (sa->state >= IKE_ST_ESTABLISHED)
			r = info_request(sa, v, in, out, res);
		break;
	default:
		break;
	}
	if (r == 1) {
		sa->peer_msg_id++;
		if (cache_response(sa, msg, len, out) < 0)
			r = -ENOMEM;
	}
	goto out;
out_old:
	r = -EALREADY;	/* an old request whose response we no longer hold */
out:
	plain_free(plain, len);
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
	case IKE_PEND_LIVENESS: return INFORMATIONAL;
	default: return 0;
	}
}

/* See ike_exchange.h. */
int ike_sa_handle_response(struct ike_sa *sa, const uint8_t *msg, size_t len,
			   struct ike_exch_result *res)
{
	struct ike_msg_view *v;
	struct ike_chain *in;
	uint8_t *plain = NULL;
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
	r = exch_open(sa, msg, len, &plain, in);
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
		r = info_response(sa, in, res);
		break;
	}
	if (r != -EBADMSG) {
		/* the exchange is over, whatever its outcome (2.2) */
		exch_pend_clear(&sa->pend);
		sa->my_msg_id++;
	}
out:
	plain_free(plain, len);
	free(v);
	return r;
}
