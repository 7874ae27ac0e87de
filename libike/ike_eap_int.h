/*
 * ike_eap_int.h — private interface between ike_exchange_auth.c (IKE_AUTH,
 * AUTH payloads, CHILD SA of IKE_AUTH) and ike_exchange_eap.c (the EAP
 * rounds of RFC 7296 2.16).  Not installed, not public.
 */
#ifndef RAG_IKE_EAP_INT_H
#define RAG_IKE_EAP_INT_H

#include "ike_exchange_int.h"

/* ---- provided by ike_exchange_auth.c ------------------------------------------ */

/* ID payload body of our configured identity (3.5) appended to b. */
int exch_auth_id_body(const struct ike_exch_cfg *cfg, struct ike_buf *b);

/* Append IDx and our CERTs and, for the initiator, CERTREQ / IDr;
 * with_auth adds our AUTH (2.15).  (INITIAL_CONTACT and MOBIKE_SUPPORTED
 * are added by exch_seal() in ike_exchange.c.) */
int exch_auth_put_identity(const struct ike_sa *sa, struct ike_msg_builder *mb,
			   uint8_t id_pl, bool with_auth);

/* Append our AUTH computed with the EAP MSK (2.16, method 2) over our
 * signed octets with ID body idb. */
int exch_auth_put_msk(const struct ike_sa *sa, struct ike_msg_builder *mb,
		      const struct ike_key *msk, const uint8_t *idb,
		      size_t idb_len);

/* Verify the peer's AUTH payload of in computed with the MSK over its
 * signed octets with its ID body idb (2.16).  0 or -EACCES / -EBADMSG. */
int exch_auth_verify_msk(const struct ike_sa *sa, const struct ike_chain *in,
			 const struct ike_key *msk, const uint8_t *idb,
			 size_t idb_len);

/* Verify the peer's ID and AUTH of in as non-EAP authentication
 * (PSK / signature, policy of cfg), recording sa->auth.  0, -EACCES,
 * -EBADMSG. */
int exch_auth_verify_peer(struct ike_sa *sa, const struct ike_chain *in);

/* Responder: record the initiator's IDi of in and check its IDr (3.5)
 * against our id / certificate; 0, -EACCES (reason recorded), -EBADMSG. */
int exch_auth_check_ids(struct ike_sa *sa, const struct ike_chain *in);

/* Responder: AUTHENTICATION_FAILED response (2.21.2), preceded by an
 * EAP-Failure with identifier eap_id when eap_id >= 0.  Records reason in
 * sa->auth.fail (unless one is there), marks the SA FAILED, frees the EAP
 * state.  Returns 1 or a negative errno. */
int exch_auth_fail(struct ike_sa *sa, uint32_t msg_id, uint8_t reason,
		   int eap_id, struct ike_buf *out, struct ike_exch_result *res);

/* Responder: the last IKE_AUTH response once the peer is authenticated:
 * [IDr, CERT, AUTH] (non-EAP) or AUTH with the MSK (EAP final, msk set),
 * then [CP], SAr2, TSi, TSr or an error notify for the CHILD SA, taken
 * from req (the first IKE_AUTH request's payloads).  Marks the SA
 * ESTABLISHED.  Returns 1 or a negative errno. */
int exch_auth_finish(struct ike_sa *sa, uint32_t msg_id,
		     const struct ike_chain *req, const struct ike_key *msk,
		     struct ike_buf *out, struct ike_exch_result *res);

/* Initiator: the CHILD SA part of the last IKE_AUTH response (SA, TS, CP)
 * against what we offered (sa->pend).  Marks the SA ESTABLISHED. */
int exch_auth_child_done(struct ike_sa *sa, const struct ike_chain *in,
			 uint16_t err, struct ike_exch_result *res);

/* ---- provided by ike_exchange_eap.c ------------------------------------------- */

/* Responder: first IKE_AUTH request without AUTH (2.16). */
int exch_eap_start(struct ike_sa *sa, const struct ike_msg_view *v,
		   const struct ike_chain *in, struct ike_buf *out,
		   struct ike_exch_result *res);
/* Responder: a later IKE_AUTH request while sa->eap is set. */
int exch_eap_request(struct ike_sa *sa, const struct ike_msg_view *v,
		     const struct ike_chain *in, struct ike_buf *out,
		     struct ike_exch_result *res);
/* Initiator: the next IKE_AUTH request (first, EAP, or final AUTH) as the
 * inner chain into mb; called by ike_sa_auth_build(). */
int exch_eap_build(struct ike_sa *sa, struct ike_msg_builder *mb);
/* Initiator: create the EAP state after the first request and record
 * what it offered (pend props / SPI / TS) so that later rounds can
 * restore it.  0 or -ENOMEM. */
int exch_eap_sent(struct ike_sa *sa);
/* Initiator: an IKE_AUTH response while sa->eap is set. */
int exch_eap_response(struct ike_sa *sa, const struct ike_chain *in,
		      struct ike_exch_result *res);

#endif
