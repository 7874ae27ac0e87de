/*
 * ike_exchange_eap.c — EAP inside IKE_AUTH (RFC 7296 2.16), both roles:
 *
 *   HDR, SK {IDi, [CERTREQ,] [IDr,] SAi2, TSi, TSr}  -->
 *                          <--  HDR, SK {IDr, [CERT,] AUTH, EAP}
 *   HDR, SK {EAP}  -->
 *                          <--  HDR, SK {EAP (Request)}      ... repeated
 *   HDR, SK {EAP}  -->
 *                          <--  HDR, SK {EAP (Success)}
 *   HDR, SK {AUTH}  -->
 *                          <--  HDR, SK {AUTH, SAr2, TSi, TSr}
 *
 * "the shared secret is the MSK" for both final AUTH payloads (2.16).
 * Methods (RFC 3748 framing): Identity (type 1; an empty answer falls back
 * to the IKE ID), Notification (2, answered), Nak (3), EAP-MSCHAPv2 (26,
 * draft-kamath-pppext-eap-mschapv2: Challenge, Response, Success/Failure
 * request, acknowledgement; on a wrong password the Failure request comes
 * first, then EAP-Failure with AUTHENTICATION_FAILED) and EAP-TLS (13,
 * ike_eap_tls.c).  Every EAP round is bounded (IKE_EXCH_EAP_MAX_ROUNDS);
 * anything unexpected ends the exchange with AUTHENTICATION_FAILED.
 * Between rounds the SA stays IKE_ST_INIT_DONE so the message-ID machinery
 * of ike_exchange.c carries each round like any IKE_AUTH exchange.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ike_eap_int.h"
#include "ike_eap_tls.h"
#include "ike_mschap.h"

enum eap_phase {
	/* responder: what our outstanding request was */
	RP_IDENTITY = 1,	/* EAP-Request/Identity */
	RP_METHOD,		/* MSCHAPv2 Challenge / an EAP-TLS request */
	RP_MS_SUCCESS,		/* MSCHAPv2 Success request */
	RP_MS_FAILURE,		/* MSCHAPv2 Failure request */
	RP_EAP_SUCCESS,		/* EAP-Success sent: the AUTH comes next */
	/* initiator */
	IP_FIRST,		/* first IKE_AUTH request (no AUTH) sent */
	IP_EAP,			/* EAP conversation */
	IP_AUTH,		/* EAP-Success seen: AUTH with the MSK */
};

#define M_BIT(type) ((type) == EAP_TYPE_TLS ? IKE_EXCH_M_EAP_TLS : \
		     IKE_EXCH_M_EAP_MSCHAPV2)

struct ike_eap_state {
	uint8_t phase;		/* enum eap_phase */
	uint8_t id;		/* responder: Identifier of our request */
	uint8_t method;		/* EAP type running (0 before) */
	uint32_t tried;		/* responder: IKE_EXCH_M_* started */
	unsigned int rounds;
	struct ike_key msk;
	/* the peer's ID payload body for its MSK AUTH (responder: IDi,
	 * initiator: IDr) */
	uint8_t peer_idb[4 + IKE_EXCH_MAX_ID];
	size_t peer_idb_len;
	/* responder: the first request's payloads, re-parsed at the end */
	struct ike_buf saved;
	uint8_t saved_first;
	/* MSCHAPv2 */
	uint8_t ms_id;
	uint8_t auth_chal[MSCHAP_CHALLENGE_LEN];
	uint8_t peer_chal[MSCHAP_CHALLENGE_LEN];
	uint8_t nt_resp[MSCHAP_NT_RESPONSE_LEN];
	uint8_t ms_fail;	/* responder: reason behind our Failure request */
	bool ms_done;		/* initiator: server verified, MSK computed */
	struct ike_key nt_hash;	/* initiator: from the password */
	/* EAP-TLS */
	struct ike_eap_tls *tls;
	/* initiator: our next EAP packet and the first request's offer */
	struct ike_buf next;
	struct ike_proposal props[IKE_EXCH_MAX_PROPS];
	size_t n_props;
	uint32_t spi;
	struct ike_ts_list tsi, tsr;
};

/* See ike_exchange_int.h. */
void exch_eap_free(struct ike_sa *sa)
{
	struct ike_eap_state *e = sa->eap;

	if (!e)
		return;
	ike_key_free(&e->msk);
	ike_key_free(&e->nt_hash);
	ike_eap_tls_free(e->tls);
	if (e->saved.data)
		sodium_memzero(e->saved.data, e->saved.len);
	ike_buf_free(&e->saved);
	if (e->next.data)
		sodium_memzero(e->next.data, e->next.len);
	ike_buf_free(&e->next);
	sodium_memzero(e, sizeof(*e));
	free(e);
	sa->eap = NULL;
}

static struct ike_eap_state *eap_new(void)
{
	struct ike_eap_state *e = calloc(1, sizeof(*e));

	if (e) {
		ike_buf_init(&e->saved);
		ike_buf_init(&e->next);
	}
	return e;
}

/* A whole EAP packet (RFC 3748 4): Code | Identifier | Length | [Type |
 * Type-Data] appended to b. */
static int eap_pkt(struct ike_buf *b, uint8_t code, uint8_t id, uint8_t type,
		   const uint8_t *data, size_t len)
{
	bool typed = code == EAP_REQUEST || code == EAP_RESPONSE;
	size_t total = typed ? 5 + len : 4;

	if (total > 65535 - IKE_GENERIC_HDR_LEN)
		return -EMSGSIZE;
	ike_buf_put_u8(b, code);
	ike_buf_put_u8(b, id);
	ike_buf_put_u16(b, (uint16_t)total);
	if (typed) {
		ike_buf_put_u8(b, type);
		ike_buf_put(b, data, len);
	}
	return ike_buf_error(b);
}

/* Is this a usable user name (no control characters, not empty)? */
static bool name_ok(const uint8_t *p, size_t len)
{
	if (len == 0 || len > IKE_EXCH_MAX_ID)
		return false;
	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return false;
	return true;
}

/* Record the authenticated user (struct ike_auth_info.user): name when
 * usable, else the EAP identity, else a textual IKE ID.  -ENOENT when
 * none is usable. */
static int set_user(struct ike_sa *sa, const uint8_t *name, size_t len)
{
	struct ike_auth_info *a = &sa->auth;
	bool text_id = sa->peer_id_type == IKE_ID_FQDN ||
		       sa->peer_id_type == IKE_ID_RFC822_ADDR ||
		       sa->peer_id_type == IKE_ID_KEY_ID;

	if (!name_ok(name, len)) {
		name = a->eap_identity;
		len = a->eap_identity_len;
	}
	if (!name_ok(name, len)) {
		/* "An empty EAP-Identity falls back to the IKE ID" (Android) */
		name = sa->peer_id;
		len = text_id ? sa->peer_id_len : 0;
	}
	if (!name_ok(name, len)) {
		a->user_len = 0;
		return -ENOENT;
	}
	memcpy(a->user, name, len);
	a->user_len = len;
	return 0;
}

/* ---- responder ---------------------------------------------------------------- */

/* Our response: [IDr, CERT, AUTH] (first round) then one EAP packet. */
static int send_eap(struct ike_sa *sa, uint32_t msg_id, bool first,
		    const struct ike_buf *pkt, struct ike_buf *out,
		    struct ike_exch_result *res)
{
	struct ike_buf ib;
	struct ike_msg_builder mb;
	struct ike_hdr h;
	int r = ike_buf_error(pkt);

	ike_buf_init(&ib);
	ike_mb_begin_chain(&mb, &ib);
	if (r == 0 && first)
		r = exch_auth_put_identity(sa, &mb, IKE_PL_IDR, true);
	if (r == 0)
		r = ike_pl_build_raw(&mb, IKE_PL_EAP, false, pkt->data, pkt->len);
	if (r == 0)
		r = ike_mb_finish(&mb);
	exch_hdr(sa, &h, IKE_AUTH, true, msg_id);
	if (r >= 0)
		r = exch_seal(sa, out, &h, &ib, mb.first);
	ike_buf_free(&ib);
	if (r < 0)
		return r;
	res->auth_continue = true;
	return 1;
}

/* Start EAP method type with a new request into pkt (RFC 3748 2.1). */
static int start_method(struct ike_sa *sa, uint8_t type, struct ike_buf *pkt)
{
	const struct ike_exch_cfg *cfg = sa->cfg;
	struct ike_eap_state *e = sa->eap;
	struct ike_buf td;
	int r;

	e->id++;
	e->method = type;
	e->tried |= M_BIT(type);
	e->phase = RP_METHOD;
	if (type == EAP_TYPE_MSCHAPV2) {
		sa->auth.method = IKE_PM_EAP_MSCHAPV2;
		randombytes_buf(e->auth_chal, sizeof(e->auth_chal));
		e->ms_id = e->id;
		return ike_mschap_build_challenge(pkt, e->id, e->ms_id,
						  e->auth_chal,
						  cfg->eap_server_name ?
						  cfg->eap_server_name : "rag");
	}
	sa->auth.method = IKE_PM_EAP_TLS;
	ike_eap_tls_free(e->tls);
	e->tls = NULL;
	r = ike_eap_tls_new(cfg->eap_tls, true, cfg->now, &e->tls);
	if (r < 0)
		return r;
	ike_buf_init(&td);
	r = ike_eap_tls_start(e->tls, &td);
	if (r == 0)
		r = eap_pkt(pkt, EAP_REQUEST, e->id, EAP_TYPE_TLS, td.data,
			    td.len);
	ike_buf_free(&td);
	return r;
}

/* The EAP method a responder offers first. */
static uint8_t first_method(const struct ike_exch_cfg *cfg)
{
	uint32_t m = cfg->methods;

	if (cfg->eap_first == EAP_TYPE_TLS && (m & IKE_EXCH_M_EAP_TLS))
		return EAP_TYPE_TLS;
	if (cfg->eap_first == EAP_TYPE_MSCHAPV2 && (m & IKE_EXCH_M_EAP_MSCHAPV2))
		return EAP_TYPE_MSCHAPV2;
	return (m & IKE_EXCH_M_EAP_MSCHAPV2) ? EAP_TYPE_MSCHAPV2 : EAP_TYPE_TLS;
}

/* Keep the payloads of the first request the last exchange needs (IDi
 * for the MSK AUTH, SA / TS / CP for the CHILD SA, status notifies). */
static int save_request(struct ike_eap_state *e, const struct ike_chain *in)
{
	struct ike_msg_builder mb;
	const struct ike_pl *idi = ike_chain_find(in, IKE_PL_IDI, 0);
	int r;

	if (!idi || idi->len > sizeof(e->peer_idb))
		return -EBADMSG;
	memcpy(e->peer_idb, idi->body, idi->len);
	e->peer_idb_len = idi->len;
	ike_mb_begin_chain(&mb, &e->saved);
	for (size_t i = 0; i < in->n; i++) {
		const struct ike_pl *p = &in->pl[i];

		if (p->type == IKE_PL_SA || p->type == IKE_PL_TSI ||
		    p->type == IKE_PL_TSR || p->type == IKE_PL_CP ||
		    p->type == IKE_PL_NOTIFY)
			ike_pl_build_raw(&mb, p->type, p->critical, p->body,
					 p->len);
	}
	r = ike_mb_finish(&mb);
	e->saved_first = mb.first;
	return r < 0 ? r : 0;
}

/* See ike_eap_int.h: the first IKE_AUTH request, without AUTH. */
int exch_eap_start(struct ike_sa *sa, const struct ike_msg_view *v,
		   const struct ike_chain *in, struct ike_buf *out,
		   struct ike_exch_result *res)
{
	const struct ike_exch_cfg *cfg = sa->cfg;
	uint32_t msg_id = v->hdr.msg_id;
	struct ike_buf pkt;
	int r;

	r = exch_auth_check_ids(sa, in);
	if (r == -EBADMSG)
		return r;
	if (r < 0)
		return exch_auth_fail(sa, msg_id, IKE_AF_PEER_ID, -1, out, res);
	if (!ike_chain_find(in, IKE_PL_SA, 0) ||
	    !ike_chain_find(in, IKE_PL_TSI, 0) || !ike_chain_find(in, IKE_PL_TSR, 0))
		return -EBADMSG;
	if (!(cfg->methods & (IKE_EXCH_M_EAP_MSCHAPV2 | IKE_EXCH_M_EAP_TLS)) ||
	    (cfg->auth != IKE_EXCH_AUTH_SIG && cfg->auth != IKE_EXCH_AUTH_PSK))
		return exch_auth_fail(sa, msg_id, IKE_AF_METHOD, -1, out, res);
	if (cfg->peer_id_type &&
	    (sa->peer_id_type != cfg->peer_id_type ||
	     sa->peer_id_len != cfg->peer_id_len ||
	     memcmp(sa->peer_id, cfg->peer_id, sa->peer_id_len) != 0))
		return exch_auth_fail(sa, msg_id, IKE_AF_BAD_AUTH, -1, out, res);
	sa->eap = eap_new();
	if (!sa->eap)
		return -ENOMEM;
	r = save_request(sa->eap, in);
	if (r < 0) {
		exch_eap_free(sa);
		return r;
	}
	randombytes_buf(&sa->eap->id, 1);
	ike_buf_init(&pkt);
	if (cfg->eap_identity_round) {
		/* RFC 3748 5.1: Request/Identity with no Type-Data */
		sa->eap->id++;
		sa->eap->phase = RP_IDENTITY;
		r = eap_pkt(&pkt, EAP_REQUEST, sa->eap->id, EAP_TYPE_IDENTITY,
			    NULL, 0);
	} else {
		r = start_method(sa, first_method(cfg), &pkt);
	}
	if (r == 0)
		r = send_eap(sa, msg_id, true, &pkt, out, res);
	ike_buf_free(&pkt);
	if (r < 0)
		exch_eap_free(sa);
	return r;
}

/* Responder: the peer's MSCHAPv2 Response (RFC 2759 4, draft 2). */
static int ms_response(struct ike_sa *sa, const struct ike_eap *ep,
		       struct ike_buf *pkt, uint8_t *fail)
{
	const struct ike_exch_cfg *cfg = sa->cfg;
	struct ike_eap_state *e = sa->eap;
	struct ike_mschap_response mr;
	struct ike_chunk nm;
	struct ike_key nt = { 0 };
	char ubuf[IKE_EXCH_MAX_ID + 1];
	char auth_str[MSCHAP_AUTH_RESPONSE_LEN + 1];
	unsigned int err = MSCHAP_E_AUTHENTICATION_FAILURE;
	uint8_t why = IKE_AF_NONE;
	int r;

	if (ike_mschap_parse_response(ep->pkt, ep->pkt_len, &mr) < 0 ||
	    mr.ms_id != e->ms_id) {
		*fail = IKE_AF_PROTOCOL;
		return -EBADMSG;
	}
	memcpy(e->peer_chal, mr.peer_challenge, sizeof(e->peer_chal));
	memcpy(e->nt_resp, mr.nt_response, sizeof(e->nt_resp));
	/* RFC 2759 4: "only the user name is used, without any associated
	 * Windows NT domain name" */
	nm = ike_mschap_strip_domain(mr.name.ptr, mr.name.len);
	if (set_user(sa, nm.ptr, nm.len) < 0) {
		why = IKE_AF_UNKNOWN_USER;
	} else {
		memcpy(ubuf, sa->auth.user, sa->auth.user_len);
		ubuf[sa->auth.user_len] = 0;
		r = cfg->eap_nt_hash(cfg->auth_arg, ubuf, sa->auth.user_len, &nt);
		if (r == 0 && (!nt.ptr || nt.len != MSCHAP_HASH_LEN))
			r = -EINVAL;
		if (r == -ENOENT) {
			why = IKE_AF_UNKNOWN_USER;
		} else if (r == -EPERM) {
			why = IKE_AF_LOCKED;
			err = MSCHAP_E_ACCT_DISABLED;
		} else if (r < 0) {
			why = IKE_AF_INTERNAL;
		} else {
			r = ike_mschap_verify_nt_response(cfg->mschap, &nt,
							  e->auth_chal,
							  e->peer_chal, nm.ptr,
							  nm.len, e->nt_resp);
			if (r == -EACCES)
				why = IKE_AF_BAD_PASSWORD;
			else if (r < 0)
				why = IKE_AF_INTERNAL;
		}
	}
	e->id++;
	if (why == IKE_AF_NONE) {
		r = ike_mschap_generate_authenticator_response(
			cfg->mschap, &nt, e->nt_resp, e->peer_chal, e->auth_chal,
			nm.ptr, nm.len, auth_str);
		if (r == 0)
			r = ike_mschap_msk(cfg->mschap, &nt, e->nt_resp, &e->msk);
		if (r == 0)
			r = ike_mschap_build_success(pkt, e->id, e->ms_id,
						     auth_str, "Welcome");
		e->phase = RP_MS_SUCCESS;
		sodium_memzero(auth_str, sizeof(auth_str));
	} else {
		/* draft-kamath 2: a Failure request, which the peer
		 * acknowledges before EAP-Failure (Windows expects it) or
		 * answers with an INFORMATIONAL AUTHENTICATION_FAILED
		 * (strongSwan); the reason is known now, so the caller may
		 * log and count it before either arrives */
		e->ms_fail = why;
		if (!sa->auth.fail)
			sa->auth.fail = why;
		r = ike_mschap_build_failure(pkt, e->id, e->ms_id, err, false,
					     e->auth_chal, "authentication failed");
		e->phase = RP_MS_FAILURE;
	}
	ike_key_free(&nt);
	sodium_memzero(ubuf, sizeof(ubuf));
	if (r < 0)
		*fail = IKE_AF_INTERNAL;
	return r;
}

/* Responder: one EAP-TLS response; 1 when EAP-Success is due. */
static int tls_response(struct ike_sa *sa, const struct ike_eap *ep,
			struct ike_buf *pkt, uint8_t *fail)
{
	struct ike_eap_state *e = sa->eap;
	struct ike_buf td;
	int r;

	ike_buf_init(&td);
	r = ike_eap_tls_step(e->tls, ep->type_data, ep->type_len, &td);
	if (r < 0) {
		*fail = ike_eap_tls_fail(e->tls);
		if (!*fail)
			*fail = IKE_AF_PROTOCOL;
		ike_eap_tls_peer_cert(e->tls, &sa->auth.cert);
	} else if (r == 0) {
		e->id++;
		r = eap_pkt(pkt, EAP_REQUEST, e->id, EAP_TYPE_TLS, td.data,
			    td.len);
		if (r < 0)
			*fail = IKE_AF_INTERNAL;
	} else {
		/* RFC 5216 2.1.1: the handshake is done -> EAP-Success */
		ike_eap_tls_peer_cert(e->tls, &sa->auth.cert);
		r = ike_eap_tls_msk(e->tls, &e->msk);
		if (r == 0 && set_user(sa, NULL, 0) < 0)
			sa->auth.user_len = 0;	/* the certificate names it */
		if (r < 0)
			*fail = IKE_AF_INTERNAL;
		else
			r = 1;
	}
	ike_buf_free(&td);
	return r;
}

/* Pick another allowed, untried method from a Nak's list (RFC 3748 5.3.1). */
static uint8_t nak_choice(const struct ike_sa *sa, const struct ike_eap *ep)
{
	for (size_t i = 0; i < ep->type_len; i++) {
		uint8_t t = ep->type_data[i];

		if ((t == EAP_TYPE_MSCHAPV2 || t == EAP_TYPE_TLS) &&
		    (sa->cfg->methods & M_BIT(t)) && !(sa->eap->tried & M_BIT(t)))
			return t;
	}
	return 0;
}

/* Responder: the final AUTH after EAP-Success (2.16). */
static int final_auth(struct ike_sa *sa, uint32_t msg_id,
		      const struct ike_chain *in, struct ike_buf *out,
		      struct ike_exch_result *res)
{
	struct ike_eap_state *e = sa->eap;
	struct ike_chain *req;
	int r;

	if (exch_auth_verify_msk(sa, in, &e->msk, e->peer_idb,
				 e->peer_idb_len) < 0)
		return exch_auth_fail(sa, msg_id, IKE_AF_BAD_AUTH, -1, out, res);
	req = malloc(sizeof(*req));
	if (!req)
		return -ENOMEM;
	r = ike_chain_parse(e->saved.data, e->saved.len, 0, e->saved_first, req);
	if (r == 0)
		r = exch_auth_finish(sa, msg_id, req, &e->msk, out, res);
	free(req);
	return r;
}

/* See ike_eap_int.h: an IKE_AUTH request during EAP. */
int exch_eap_request(struct ike_sa *sa, const struct ike_msg_view *v,
		     const struct ike_chain *in, struct ike_buf *out,
		     struct ike_exch_result *res)
{
	struct ike_eap_state *e = sa->eap;
	uint32_t msg_id = v->hdr.msg_id;
	const struct ike_pl *p = ike_chain_find(in, IKE_PL_EAP, 0);
	struct ike_eap ep;
	struct ike_buf pkt;
	uint8_t fail = IKE_AF_NONE;
	uint8_t next;
	int r = 0;

	if (e->phase == RP_EAP_SUCCESS) {
		if (!ike_chain_find(in, IKE_PL_AUTH, 0))
			return exch_auth_fail(sa, msg_id, IKE_AF_PROTOCOL, -1,
					      out, res);
		return final_auth(sa, msg_id, in, out, res);
	}
	/* STYLE rule 6: bounded EAP rounds */
	if (++e->rounds > IKE_EXCH_EAP_MAX_ROUNDS || !p ||
	    ike_chain_count(in, IKE_PL_EAP) != 1 ||
	    ike_eap_parse(p->body, p->len, &ep) < 0 ||
	    ep.code != EAP_RESPONSE || ep.id != e->id)
		return exch_auth_fail(sa, msg_id, IKE_AF_PROTOCOL, e->id, out,
				      res);
	ike_buf_init(&pkt);
	switch (e->phase) {
	case RP_IDENTITY:
		if (ep.type != EAP_TYPE_IDENTITY ||
		    ep.type_len > sizeof(sa->auth.eap_identity)) {
			fail = IKE_AF_PROTOCOL;
			break;
		}
		memcpy(sa->auth.eap_identity, ep.type_data, ep.type_len);
		sa->auth.eap_identity_len = ep.type_len;
		r = start_method(sa, first_method(sa->cfg), &pkt);
		if (r < 0)
			fail = IKE_AF_INTERNAL;
		break;
	case RP_METHOD:
		if (ep.type == EAP_TYPE_NAK) {
			next = nak_choice(sa, &ep);
			if (!next) {
				fail = IKE_AF_METHOD;
				break;
			}
			r = start_method(sa, next, &pkt);
			if (r < 0)
				fail = IKE_AF_INTERNAL;
		} else if (ep.type != e->method) {
			fail = IKE_AF_PROTOCOL;
		} else if (e->method == EAP_TYPE_MSCHAPV2) {
			r = ms_response(sa, &ep, &pkt, &fail);
		} else {
			r = tls_response(sa, &ep, &pkt, &fail);
			if (r == 1) {
				ike_buf_reset(&pkt);
				r = eap_pkt(&pkt, EAP_SUCCESS, ep.id, 0, NULL, 0);
				e->phase = RP_EAP_SUCCESS;
			}
		}
		break;
	case RP_MS_SUCCESS: {
		uint8_t id, op;

		if (ep.type != EAP_TYPE_MSCHAPV2 ||
		    ike_mschap_parse_ack(ep.pkt, ep.pkt_len, &id, &op) < 0 ||
		    op != MSCHAP_OP_SUCCESS) {
			fail = IKE_AF_PROTOCOL;
			break;
		}
		/* RFC 3748 4.2: Success carries the Response's Identifier */
		r = eap_pkt(&pkt, EAP_SUCCESS, ep.id, 0, NULL, 0);
		e->phase = RP_EAP_SUCCESS;
		break;
	}
	case RP_MS_FAILURE:
	default:
		fail = e->ms_fail ? e->ms_fail : IKE_AF_PROTOCOL;
		break;
	}
	if (fail || r < 0) {
		ike_buf_free(&pkt);
		return exch_auth_fail(sa, msg_id, fail ? fail : IKE_AF_INTERNAL,
				      ep.id, out, res);
	}
	r = send_eap(sa, msg_id, false, &pkt, out, res);
	ike_buf_free(&pkt);
	return r;
}

/* ---- initiator ----------------------------------------------------------------- */

/* See ike_eap_int.h. */
int exch_eap_sent(struct ike_sa *sa)
{
	struct ike_eap_state *e = sa->eap;

	if (!e) {
		e = eap_new();
		if (!e)
			return -ENOMEM;
		sa->eap = e;
	}
	e->phase = IP_FIRST;
	memcpy(e->props, sa->pend.props, sizeof(e->props));
	e->n_props = sa->pend.n_props;
	e->spi = sa->pend.spi;
	e->tsi = sa->pend.tsi;
	e->tsr = sa->pend.tsr;
	return 0;
}

/* See ike_eap_int.h: SK { EAP } or, after EAP-Success, SK { AUTH }. */
int exch_eap_build(struct ike_sa *sa, struct ike_msg_builder *mb)
{
	struct ike_eap_state *e = sa->eap;
	struct ike_buf idb;
	int r;

	/* the final response is checked against the first request's offer */
	memcpy(sa->pend.props, e->props, sizeof(e->props));
	sa->pend.n_props = e->n_props;
	sa->pend.spi = e->spi;
	sa->pend.tsi = e->tsi;
	sa->pend.tsr = e->tsr;
	if (e->phase == IP_AUTH) {
		ike_buf_init(&idb);
		r = exch_auth_id_body(sa->cfg, &idb);
		if (r == 0)
			r = exch_auth_put_msk(sa, mb, &e->msk, idb.data, idb.len);
		ike_buf_free(&idb);
		return r;
	}
	if (e->phase != IP_EAP || e->next.len == 0)
		return -EINVAL;
	return ike_pl_build_raw(mb, IKE_PL_EAP, false, e->next.data,
				e->next.len);
}

/* Initiator: answer an MSCHAPv2 request (Challenge, Success, Failure). */
static int ms_request(struct ike_sa *sa, const struct ike_eap *ep)
{
	const struct ike_exch_cfg *cfg = sa->cfg;
	struct ike_eap_state *e = sa->eap;
	const uint8_t *name = cfg->eap_user ? cfg->eap_user : cfg->eap_identity;
	size_t name_len = cfg->eap_user ? cfg->eap_user_len :
			  cfg->eap_identity_len;
	struct ike_chunk user = ike_mschap_strip_domain(name, name_len);
	struct ike_mschap_challenge c;
	struct ike_mschap_result res;
	int r;

	if (ep->type_len < 1)
		return -EBADMSG;
	switch (ep->type_data[0]) {
	case MSCHAP_OP_CHALLENGE:
		if (e->ms_done || ike_mschap_parse_challenge(ep->pkt, ep->pkt_len,
							     &c) < 0)
			return -EBADMSG;
		memcpy(e->auth_chal, c.challenge, sizeof(e->auth_chal));
		e->ms_id = c.ms_id;
		randombytes_buf(e->peer_chal, sizeof(e->peer_chal));
		ike_key_free(&e->nt_hash);
		r = ike_mschap_nt_password_hash(cfg->mschap, cfg->eap_password,
						cfg->eap_password_len,
						&e->nt_hash);
		if (r == 0)
			r = ike_mschap_generate_nt_response(cfg->mschap,
							    e->auth_chal,
							    e->peer_chal,
							    user.ptr, user.len,
							    &e->nt_hash,
							    e->nt_resp);
		if (r == 0)
			r = ike_mschap_build_response(&e->next, ep->id, e->ms_id,
						      e->peer_chal, e->nt_resp,
						      name, name_len);
		return r;
	case MSCHAP_OP_SUCCESS:
		if (!e->nt_hash.ptr || e->ms_done ||
		    ike_mschap_parse_result(ep->pkt, ep->pkt_len, &res) < 0)
			return -EBADMSG;
		/* RFC 2759 8.8: authenticate the server before trusting it */
		r = ike_mschap_check_authenticator_response(
			cfg->mschap, &e->nt_hash, e->nt_resp, e->peer_chal,
			e->auth_chal, user.ptr, user.len, res.auth_response.ptr,
			res.auth_response.len);
		if (r < 0)
			return -EACCES;
		r = ike_mschap_msk(cfg->mschap, &e->nt_hash, e->nt_resp, &e->msk);
		if (r == 0)
			r = ike_mschap_build_ack(&e->next, ep->id,
						 MSCHAP_OP_SUCCESS);
		e->ms_done = r == 0;
		return r;
	case MSCHAP_OP_FAILURE:
		if (ike_mschap_parse_result(ep->pkt, ep->pkt_len, &res) < 0)
			return -EBADMSG;
		return ike_mschap_build_ack(&e->next, ep->id, MSCHAP_OP_FAILURE);
	default:
		return -EBADMSG;
	}
}

/* Initiator: answer one EAP request into e->next. */
static int answer_request(struct ike_sa *sa, const struct ike_eap *ep)
{
	const struct ike_exch_cfg *cfg = sa->cfg;
	struct ike_eap_state *e = sa->eap;
	struct ike_buf td;
	int r;

	ike_buf_reset(&e->next);
	if (ep->type == EAP_TYPE_IDENTITY)
		return eap_pkt(&e->next, EAP_RESPONSE, ep->id, EAP_TYPE_IDENTITY,
			       cfg->eap_identity, cfg->eap_identity_len);
	if (ep->type == EAP_TYPE_NOTIFICATION)	/* RFC 3748 5.2 */
		return eap_pkt(&e->next, EAP_RESPONSE, ep->id,
			       EAP_TYPE_NOTIFICATION, NULL, 0);
	if (ep->type != cfg->eap_method) {
		/* RFC 3748 5.3.1: Legacy Nak naming the method we want */
		if (e->method)
			return -EBADMSG;	/* no switching mid-method */
		return eap_pkt(&e->next, EAP_RESPONSE, ep->id, EAP_TYPE_NAK,
			       &cfg->eap_method, 1);
	}
	e->method = ep->type;
	if (ep->type == EAP_TYPE_MSCHAPV2)
		return ms_request(sa, ep);
	if (!e->tls) {
		r = ike_eap_tls_new(cfg->eap_tls, false, cfg->now, &e->tls);
		if (r < 0)
			return r;
	}
	ike_buf_init(&td);
	r = ike_eap_tls_step(e->tls, ep->type_data, ep->type_len, &td);
	if (r == 0)
		r = eap_pkt(&e->next, EAP_RESPONSE, ep->id, EAP_TYPE_TLS,
			    td.data, td.len);
	else if (r < 0)
		ike_eap_tls_peer_cert(e->tls, &sa->auth.cert);
	ike_buf_free(&td);
	return r < 0 ? (r == -EACCES ? r : -EBADMSG) : 0;
}

/* Has the method finished so that EAP-Success may be accepted? */
static bool method_done(const struct ike_eap_state *e)
{
	if (e->method == EAP_TYPE_MSCHAPV2)
		return e->ms_done;
	if (e->method == EAP_TYPE_TLS)
		return ike_eap_tls_done(e->tls);
	return false;
}

/* Initiator: give up (2.21.2); notify is what the peer told us, if any. */
static int give_up(struct ike_sa *sa, uint16_t notify,
		   struct ike_exch_result *res, int r)
{
	res->notify = notify;
	sa->state = IKE_ST_FAILED;
	exch_eap_free(sa);
	return r;
}

/* See ike_eap_int.h: an IKE_AUTH response while EAP runs. */
int exch_eap_response(struct ike_sa *sa, const struct ike_chain *in,
		      struct ike_exch_result *res)
{
	struct ike_eap_state *e = sa->eap;
	const struct ike_pl *p = ike_chain_find(in, IKE_PL_EAP, 0);
	bool has_auth = ike_chain_find(in, IKE_PL_AUTH, 0) != NULL;
	struct ike_eap ep;
	uint16_t err, g;
	int r;

	r = exch_scan_error(in, &err, &g);
	if (r < 0)
		return r;
	if (e->phase == IP_AUTH) {
		if (!has_auth)
			return err ? give_up(sa, err, res, -EPROTO) : -EBADMSG;
		if (exch_auth_verify_msk(sa, in, &e->msk, e->peer_idb,
					 e->peer_idb_len) < 0)
			return give_up(sa, 0, res, -EACCES);
		r = exch_auth_child_done(sa, in, err, res);
		exch_eap_free(sa);
		return r;
	}
	if (e->phase == IP_FIRST) {
		const struct ike_pl *idr = ike_chain_find(in, IKE_PL_IDR, 0);

		if (!has_auth)
			return err ? give_up(sa, err, res, -EPROTO) : -EBADMSG;
		r = exch_auth_verify_peer(sa, in);
		if (r == -EBADMSG)
			return r;
		if (r < 0)
			return give_up(sa, 0, res, -EACCES);
		if (!idr || idr->len > sizeof(e->peer_idb))
			return -EBADMSG;
		memcpy(e->peer_idb, idr->body, idr->len);
		e->peer_idb_len = idr->len;
		e->phase = IP_EAP;
	}
	if (!p || ike_eap_parse(p->body, p->len, &ep) < 0)
		return give_up(sa, err ? err : IKE_N_AUTHENTICATION_FAILED, res,
			       -EPROTO);
	if (ep.code == EAP_FAILURE || err)
		return give_up(sa, err ? err : IKE_N_AUTHENTICATION_FAILED, res,
			       -EPROTO);
	if (ep.code == EAP_SUCCESS) {
		/* RFC 3748 4.2: a premature Success is not accepted */
		if (!method_done(e))
			return give_up(sa, 0, res, -EACCES);
		if (e->method == EAP_TYPE_TLS) {
			r = ike_eap_tls_msk(e->tls, &e->msk);
			if (r < 0)
				return give_up(sa, 0, res, r);
		}
		e->phase = IP_AUTH;
	} else if (ep.code != EAP_REQUEST ||
		   ++e->rounds > IKE_EXCH_EAP_MAX_ROUNDS) {
		return give_up(sa, 0, res, -EPROTO);
	} else {
		r = answer_request(sa, &ep);
		if (r < 0)
			return give_up(sa, 0, res, r == -EACCES ? -EACCES :
				       -EPROTO);
	}
	/* 2.16: the next IKE_AUTH request carries EAP or the AUTH */
	sa->state = IKE_ST_INIT_DONE;
	res->auth_continue = true;
	return -EAGAIN;
}
