/*
 * ike_exchange_info.c — INFORMATIONAL exchanges, both roles (RFC 7296 1.4):
 * Delete of CHILD SAs and of the IKE SA (1.4.1), liveness checks (2.4),
 * MOBIKE (RFC 4555): UPDATE_SA_ADDRESSES with NAT detection (3.5),
 * COOKIE2 (3.8), the address notifies (3.6), and an initiator giving up
 * during IKE_AUTH with AUTHENTICATION_FAILED (2.21.2), both roles.  The dispatch of received
 * messages (ike_exchange.c) calls exch_info_request / exch_info_response.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ike_exchange_int.h"

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

	/* 2.18: "... the old IKE SA is deleted" by the rekey's initiator, so
	 * a REKEYED SA may still send its own Delete */
	if (r == -EINVAL && idx < 0 && sa->state == IKE_ST_REKEYED &&
	    sa->pend.kind == IKE_PEND_NONE)
		r = 0;
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

/* See ike_exchange.h: INFORMATIONAL with N(AUTHENTICATION_FAILED) from an
 * initiator that gives up (2.21.2). */
int ike_exch_auth_failed_build(struct ike_sa *sa, struct ike_buf *out)
{
	struct ike_buf in;
	struct ike_msg_builder mb;
	int r;

	if (!sa->initiator)
		return -EINVAL;
	if (sa->pend.kind != IKE_PEND_NONE)
		return -EBUSY;
	/* mid-EAP (2.16: between IKE_AUTH rounds) or after the responder's
	 * last IKE_AUTH response */
	if (!(sa->state == IKE_ST_INIT_DONE && sa->eap) &&
	    sa->state != IKE_ST_ESTABLISHED)
		return -EINVAL;
	ike_buf_init(&in);
	ike_mb_begin_chain(&mb, &in);
	ike_notify_build(&mb, 0, IKE_N_AUTHENTICATION_FAILED, NULL, 0, NULL, 0);
	r = ike_mb_finish(&mb);
	if (r >= 0)
		r = send_info(sa, &in, mb.first, IKE_PEND_AUTH_FAILED, -1, out);
	ike_buf_free(&in);
	return r;
}

/*
 * Responder, IKE_AUTH with EAP in progress (state INIT_DONE, sa->eap set):
 * an INFORMATIONAL request from the initiator.  2.21.2 lets an initiator
 * that will not go on say so with AUTHENTICATION_FAILED in an
 * INFORMATIONAL; strongSwan does exactly that after an EAP-MSCHAPv2
 * Failure request instead of acknowledging it.  An error notify (3.10.1,
 * types below 16384) or a Delete of the IKE SA ends the attempt: answered
 * with an empty INFORMATIONAL (1.4: "... MUST ... respond"), the SA FAILS
 * with the reason found so far (a bad password) or IKE_AF_PEER_ABORT.
 * Anything else (a liveness check) is answered and IKE_AUTH goes on.
 * -EILSEQ for a malformed payload (answered INVALID_SYNTAX by the
 * dispatch, which fails an SA in IKE_AUTH).
 */
int exch_info_in_auth(struct ike_sa *sa, const struct ike_msg_view *v,
		      const struct ike_chain *in, struct ike_buf *out,
		      struct ike_exch_result *res)
{
	uint16_t err = 0, g;
	bool del_ike = false;
	struct ike_buf ib;
	struct ike_hdr h;
	int r;

	if (exch_scan_error(in, &err, &g) < 0)
		return -EILSEQ;
	for (size_t i = 0; i < in->n; i++) {
		struct ike_delete d;

		if (in->pl[i].type != IKE_PL_DELETE)
			continue;
		if (ike_delete_parse(in->pl[i].body, in->pl[i].len, &d) < 0)
			return -EILSEQ;
		if (d.protocol == IKE_PROTO_IKE)
			del_ike = true;
	}
	ike_buf_init(&ib);
	exch_hdr(sa, &h, INFORMATIONAL, true, v->hdr.msg_id);
	r = exch_seal(sa, out, &h, &ib, IKE_PL_NONE);
	ike_buf_free(&ib);
	if (r < 0)
		return r;
	if (err || del_ike) {
		if (!sa->auth.fail)
			sa->auth.fail = IKE_AF_PEER_ABORT;
		sa->state = IKE_ST_FAILED;
		exch_eap_free(sa);
		res->ike_deleted = del_ike;
	}
	return 1;
}

/* Index of the CHILD SA whose outbound SPI (the peer's inbound) is spi. */
static int find_child_out(const struct ike_sa *sa, uint32_t spi)
{
	for (int i = 0; i < IKE_EXCH_MAX_CHILDREN; i++)
		if (sa->child[i].in_use && sa->child[i].spi_out == spi)
			return i;
	return -ENOENT;
}

/* Move every CHILD SA of from into free slots of to (2.8.2). */
void exch_move_children(struct ike_sa *from, struct ike_sa *to)
{
	for (int i = 0; i < IKE_EXCH_MAX_CHILDREN; i++) {
		int slot;

		if (!from->child[i].in_use)
			continue;
		slot = exch_child_slot(to);
		if (slot < 0)
			break;	/* both hold at most the same SAs */
		to->child[slot] = from->child[i];
		memset(&from->child[i], 0, sizeof(from->child[i]));
	}
}

/* N(NAT_DETECTION_SOURCE_IP) for local, N(NAT_DETECTION_DESTINATION_IP)
 * for remote (2.23, RFC 4555 3.5). */
static void put_nat_ep(const struct ike_sa *sa, struct ike_msg_builder *mb,
		       const struct ike_endpoint *local,
		       const struct ike_endpoint *remote)
{
	uint8_t h[IKE_NAT_HASH_LEN];

	if (exch_nat_hash(sa->spi_i, sa->spi_r, local, h) < 0) {
		ike_mb_fail(mb, -ENOMEM);
		return;
	}
	ike_notify_build(mb, 0, IKE_N_NAT_DETECTION_SOURCE_IP, NULL, 0, h,
			 sizeof(h));
	if (exch_nat_hash(sa->spi_i, sa->spi_r, remote, h) < 0) {
		ike_mb_fail(mb, -ENOMEM);
		return;
	}
	ike_notify_build(mb, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, NULL, 0, h,
			 sizeof(h));
}

/* The MOBIKE notifies of an INFORMATIONAL message, validated. */
struct mobike_in {
	bool update;			/* UPDATE_SA_ADDRESSES */
	struct ike_chunk cookie2;	/* COOKIE2, ptr NULL when absent */
	bool seen_src, src_ok, seen_dst, dst_ok;	/* NAT detection */
};

/*
 * Read UPDATE_SA_ADDRESSES, COOKIE2, NAT detection and the address
 * notifies of RFC 4555 (3.5, 3.6, 3.8) from in.  NAT hashes are compared
 * with those of src (the sender's address) and dst (ours), when given.
 * Returns 0 or -EILSEQ (a malformed notify in an authenticated message).
 */
static int mobike_scan(const struct ike_sa *sa, const struct ike_chain *in,
		       const struct ike_endpoint *src,
		       const struct ike_endpoint *dst, struct mobike_in *m)
{
	uint8_t want_src[IKE_NAT_HASH_LEN], want_dst[IKE_NAT_HASH_LEN];

	memset(m, 0, sizeof(*m));
	if (src && (exch_nat_hash(sa->spi_i, sa->spi_r, src, want_src) < 0 ||
		    exch_nat_hash(sa->spi_i, sa->spi_r, dst, want_dst) < 0))
		return -ENOMEM;
	for (size_t i = 0; i < in->n; i++) {
		struct ike_notify n;
		const uint8_t *p;
		int r = 0;

		if (in->pl[i].type != IKE_PL_NOTIFY)
			continue;
		if (ike_notify_parse(in->pl[i].body, in->pl[i].len, &n) < 0)
			return -EILSEQ;
		switch (n.type) {
		case IKE_N_UPDATE_SA_ADDRESSES:
			r = ike_notify_empty(&n);
			m->update = true;
			break;
		case IKE_N_COOKIE2:
			r = ike_notify_cookie2(&n, &m->cookie2);
			break;
		case IKE_N_NAT_DETECTION_SOURCE_IP:
			r = ike_notify_nat_hash(&n, &p);
			m->seen_src = true;
			if (r == 0 && src &&
			    sodium_memcmp(p, want_src, IKE_NAT_HASH_LEN) == 0)
				m->src_ok = true;
			break;
		case IKE_N_NAT_DETECTION_DESTINATION_IP:
			r = ike_notify_nat_hash(&n, &p);
			m->seen_dst = true;
			if (r == 0 && src &&
			    sodium_memcmp(p, want_dst, IKE_NAT_HASH_LEN) == 0)
				m->dst_ok = true;
			break;
		case IKE_N_ADDITIONAL_IP4_ADDRESS:
			r = ike_notify_addr(&n, 4, &p);	/* accepted (3.6) */
			break;
		case IKE_N_ADDITIONAL_IP6_ADDRESS:
			r = ike_notify_addr(&n, 16, &p);
			break;
		case IKE_N_NO_ADDITIONAL_ADDRESSES:
			r = ike_notify_empty(&n);
			break;
		default:
			break;
		}
		if (r < 0)
			return -EILSEQ;
	}
	return 0;
}

/*
 * INFORMATIONAL request from the peer (1.4.1): "If an IKE SA is deleted,
 * ... the response is an empty INFORMATIONAL"; for ESP "a node SHOULD
 * respond with a Delete payload for the paired SA".  Unknown SPIs are
 * ignored; other payloads too (status notifies).  RFC 4555 3.5: an
 * UPDATE_SA_ADDRESSES from the original initiator of a MOBIKE SA moves the
 * SA to the datagram's addresses and is answered with NAT detection for
 * them; COOKIE2 is copied into the response (3.8).
 */
int exch_info_request(struct ike_sa *sa, const struct ike_msg_view *v,
			const struct ike_chain *in, struct ike_buf *out,
			struct ike_exch_result *res)
{
	const struct ike_endpoint *lo = sa->net->rx_local;
	const struct ike_endpoint *re = sa->net->rx_remote;
	uint32_t ours[IKE_EXCH_MAX_CHILDREN];
	size_t n_ours = 0;
	bool del_ike = false, moved = false;
	struct mobike_in mi;
	struct ike_buf ib;
	struct ike_msg_builder mb;
	struct ike_hdr h;
	int r;

	r = mobike_scan(sa, in, re, lo, &mi);
	if (r < 0)
		return r;
	for (size_t i = 0; i < in->n; i++) {
		struct ike_delete d;

		if (in->pl[i].type != IKE_PL_DELETE)
			continue;
		r = ike_delete_parse(in->pl[i].body, in->pl[i].len, &d);
		if (r < 0)
			return -EILSEQ;
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
	/* RFC 4555 3.5: only the original initiator moves the SA, only with
	 * MOBIKE, and only when we know where the datagram came from */
	if (mi.update && !del_ike && sa->mobike && !sa->initiator && lo && re) {
		sa->have_endpoints = true;
		sa->local = *lo;
		sa->remote = *re;
		/* 2.23 as in IKE_SA_INIT: a source hash that does not match
		 * means the peer is behind a NAT, a destination one that we are */
		sa->nat_remote = mi.seen_src && !mi.src_ok;
		sa->nat_local = mi.seen_dst && !mi.dst_ok;
		res->addr_changed = true;
		moved = true;
	}
	ike_buf_init(&ib);
	ike_mb_begin_chain(&mb, &ib);
	if (!del_ike && n_ours)
		ike_delete_build(&mb, IKE_PROTO_ESP, ours, n_ours);
	if (moved)
		put_nat_ep(sa, &mb, &sa->local, &sa->remote);
	if (mi.cookie2.ptr)
		ike_notify_build(&mb, 0, IKE_N_COOKIE2, NULL, 0, mi.cookie2.ptr,
				 mi.cookie2.len);
	r = ike_mb_finish(&mb);
	exch_hdr(sa, &h, INFORMATIONAL, true, v->hdr.msg_id);
	if (r >= 0)
		r = exch_seal(sa, out, &h, &ib, mb.first);
	ike_buf_free(&ib);
	if (r < 0)
		return r;
	if (del_ike) {
		/* 2.8.2: a new SA of a colliding IKE rekey deleted by the peer
		 * before the collision was resolved here gives its CHILD SAs
		 * back to the old SA, which hands them to the survivor */
		if (sa->net->coll_old) {
			struct ike_sa *old = sa->net->coll_old;

			exch_move_children(sa, old);
			old->net->ike_peer_new = NULL;
			old->net->ike_rk.valid = false;
			sa->net->coll_old = NULL;
		}
		sa->state = IKE_ST_DELETED;
		res->ike_deleted = true;
	}
	return 1;
}

/* Response to our UPDATE_SA_ADDRESSES (RFC 4555 3.5, 3.8): COOKIE2 must
 * come back unchanged; NAT detection for the new addresses. */
static int update_response(struct ike_sa *sa, const struct ike_chain *in,
			   struct ike_exch_result *res)
{
	struct mobike_in mi;
	int r = mobike_scan(sa, in, &sa->remote, &sa->local, &mi);

	if (r < 0)
		return -EBADMSG;
	if (!mi.cookie2.ptr || mi.cookie2.len != sizeof(sa->net->cookie2) ||
	    sodium_memcmp(mi.cookie2.ptr, sa->net->cookie2,
			  sizeof(sa->net->cookie2)) != 0)
		return -EBADMSG;
	sa->nat_remote = mi.seen_src && !mi.src_ok;
	sa->nat_local = mi.seen_dst && !mi.dst_ok;
	res->addr_changed = true;
	return 0;
}

/* Response to our INFORMATIONAL request. */
int exch_info_response(struct ike_sa *sa, const struct ike_chain *in,
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
	case IKE_PEND_AUTH_FAILED:
		/* 2.21.2: we gave up; the exchange only closes the attempt */
		sa->state = IKE_ST_FAILED;
		exch_eap_free(sa);
		break;
	case IKE_PEND_UPDATE_ADDR:
		if (!err) {
			r = update_response(sa, in, res);
			if (r < 0)
				return r;
		}
		break;
	default:
		break;
	}
	res->notify = err;
	return err ? -EPROTO : 0;
}

/* See ike_exchange.h: RFC 4555 3.5 UPDATE_SA_ADDRESSES request. */
int ike_exch_update_addresses_build(struct ike_sa *sa,
				    const struct ike_endpoint *local,
				    const struct ike_endpoint *remote,
				    struct ike_buf *out)
{
	struct ike_buf in;
	struct ike_msg_builder mb;
	int r = exch_can_request(sa);

	if (r < 0)
		return r;
	if (!sa->initiator || !sa->mobike || !local || !remote ||
	    (local->family != 4 && local->family != 6) ||
	    remote->family != local->family)
		return -EINVAL;
	/* "the initiator ... updates the IKE_SA with the new addresses, and
	 * sends an INFORMATIONAL request containing UPDATE_SA_ADDRESSES" */
	sa->have_endpoints = true;
	sa->local = *local;
	sa->remote = *remote;
	randombytes_buf(sa->net->cookie2, sizeof(sa->net->cookie2));
	ike_buf_init(&in);
	ike_mb_begin_chain(&mb, &in);
	ike_notify_build(&mb, 0, IKE_N_UPDATE_SA_ADDRESSES, NULL, 0, NULL, 0);
	put_nat_ep(sa, &mb, local, remote);
	ike_notify_build(&mb, 0, IKE_N_COOKIE2, NULL, 0, sa->net->cookie2,
			 sizeof(sa->net->cookie2));
	r = ike_mb_finish(&mb);
	if (r >= 0)
		r = send_info(sa, &in, mb.first, IKE_PEND_UPDATE_ADDR, -1, out);
	ike_buf_free(&in);
	return r;
}
