/*
 * ike_exchange_int.h — private helpers shared by the exchange engine's files
 * (ike_exchange.c: SA object, message IDs, dispatch, INFORMATIONAL;
 * ike_exchange_init.c: IKE_SA_INIT; ike_exchange_auth.c: IKE_AUTH;
 * ike_exchange_child.c: CREATE_CHILD_SA).  Not installed, not public.
 */
#ifndef RAG_IKE_EXCHANGE_INT_H
#define RAG_IKE_EXCHANGE_INT_H

#include "ike_exchange.h"
#include "ike_payload.h"

/* first transform of type in p: its id (and keylen), or -1 when absent */
int exch_tr(const struct ike_proposal *p, uint8_t type, uint16_t *keylen);

/* the IKE SA key set algorithms of an accepted IKE proposal; -ENOTSUP */
int exch_keys_algs(struct ike_sa_keys *k, const struct ike_proposal *p);

/* Check the responder's accepted proposal against what we offered (2.7:
 * one of ours, one transform per type, every transform one we offered).
 * Returns 0 or -EBADMSG. */
int exch_reply_check(const struct ike_proposal *offered, size_t n,
		     const struct ike_proposal *reply);

/* Header for a message of this SA (I flag from sa->initiator). */
void exch_hdr(const struct ike_sa *sa, struct ike_hdr *h, uint8_t exchange,
	      bool response, uint32_t msg_id);

/* Seal inner[0..inner_len) (first payload type first) into out as a whole
 * SK-protected message with header h, sent by us. */
int exch_seal(const struct ike_sa *sa, struct ike_buf *out,
	      const struct ike_hdr *h, const struct ike_buf *inner,
	      uint8_t first);

/* Verify and decrypt the SK payload of a message the peer sent; *plain is
 * malloc'ed (caller frees) and inner is its parsed chain.  -EBADMSG. */
int exch_open(const struct ike_sa *sa, const uint8_t *msg, size_t len,
	      uint8_t **plain, struct ike_chain *inner);

/* Protected response holding only N(type) [data] (2.21). */
int exch_notify_resp(struct ike_sa *sa, uint8_t exchange, uint32_t msg_id,
		     uint16_t type, const uint8_t *data, size_t data_len,
		     struct ike_buf *out);

/* Parse every Notify of chain ch; first error type (< 16384) in *err (0
 * when none) and its data for INVALID_KE_PAYLOAD in *ke_group. */
int exch_scan_error(const struct ike_chain *ch, uint16_t *err,
		    uint16_t *ke_group);

/* Append a TSi / TSr payload. */
int exch_put_ts(struct ike_msg_builder *mb, uint8_t type,
		const struct ike_ts_list *l);

/* Free a pending request's DH context and clear it. */
void exch_pend_clear(struct ike_pending *p);

/* free CHILD SA slot or -ENOSPC */
int exch_child_slot(const struct ike_sa *sa);

/* Wipe and release CHILD SA slot idx. */
void exch_child_release(struct ike_sa *sa, int idx);

/*
 * Fill CHILD SA slot idx from the accepted ESP proposal: algorithms, SPIs,
 * selectors, KEYMAT = prf+(SK_d, [g^ir |] Ni | Nr) (2.17).
 */
int exch_child_install(struct ike_sa *sa, int idx,
		       const struct ike_proposal *prop, bool exch_initiator,
		       uint32_t spi_in, uint32_t spi_out,
		       const struct ike_key *shared,
		       const uint8_t *ni, size_t ni_len,
		       const uint8_t *nr, size_t nr_len,
		       const struct ike_ts_list *tsi,
		       const struct ike_ts_list *tsr);

/*
 * Our inbound ESP SPI for a new CHILD SA: cfg->child_spi_alloc, or a random
 * one (never 0 or in the reserved range 1..255, RFC 4303 2.1).  0 or the
 * callback's negative errno.  exch_child_spi_free() gives an SPI that did
 * not become a reported CHILD SA back (no-op for 0 / without callback);
 * exch_spi_drop() does so for sa->spi_held (our pending request's offer)
 * and clears it.  exch_child_install() with exch_initiator and spi_in ==
 * sa->spi_held consumes it.
 */
int exch_child_spi(struct ike_sa *sa, uint32_t *spi);
void exch_child_spi_free(struct ike_sa *sa, uint32_t spi);
void exch_spi_drop(struct ike_sa *sa);

/* Copy child proposals for sending: SPI set, DH transforms replaced by
 * pfs_group (0: removed).  Returns the count or -EINVAL. */
int exch_child_offer(const struct ike_sa *sa, uint32_t spi, uint16_t pfs_group,
		     struct ike_proposal *out, size_t max);

/* Responder: select an ESP proposal and narrow TSi/TSr (2.9); 0, a
 * positive error notify type, or -EBADMSG / -ENOMEM. */
int exch_child_select(const struct ike_chain *in,
		      const struct ike_proposal *mine, size_t n_mine,
		      const struct ike_ts_list *perm_i,
		      const struct ike_ts_list *perm_r,
		      struct ike_proposal *sel, struct ike_ts_list *tsi,
		      struct ike_ts_list *tsr);

/* Responder: what TSr / TSi of a CHILD SA of sa may be narrowed to (the
 * selectors fixed in IKE_AUTH, else the configuration's). */
const struct ike_ts_list *exch_perm_local(const struct ike_sa *sa);
const struct ike_ts_list *exch_perm_remote(const struct ike_sa *sa);

/* Parse the TSi and TSr payloads of in (3.13); -EBADMSG. */
int exch_parse_ts(const struct ike_chain *in, struct ike_ts_list *tsi,
		  struct ike_ts_list *tsr);

/* per-exchange handlers (the message is parsed, and decrypted when SK) */
int exch_init_request(struct ike_sa *sa, const struct ike_msg_view *v,
		      struct ike_buf *out, struct ike_exch_result *res);
int exch_init_response(struct ike_sa *sa, const struct ike_msg_view *v,
		       struct ike_exch_result *res);
int exch_auth_request(struct ike_sa *sa, const struct ike_msg_view *v,
		      const struct ike_chain *in, struct ike_buf *out,
		      struct ike_exch_result *res);
int exch_auth_response(struct ike_sa *sa, const struct ike_chain *in,
		       struct ike_exch_result *res);
int exch_child_request(struct ike_sa *sa, const struct ike_msg_view *v,
		       const struct ike_chain *in, struct ike_buf *out,
		       struct ike_exch_result *res);
int exch_child_response(struct ike_sa *sa, const struct ike_chain *in,
			struct ike_exch_result *res);

/* CERTREQ with the SHA-1 SPKI hashes of our trusted CAs (3.7). */
void exch_put_certreq(const struct ike_sa *sa, struct ike_msg_builder *mb);

/* Our IKE proposals with our new 8-byte SPI into sa->pend (IKE rekey). */
int exch_offer_ike(struct ike_sa *sa, const uint8_t spi[8]);

/* Can we start a request now?  -EBUSY (2.3 window) / -EINVAL (state). */
int exch_can_request(const struct ike_sa *sa);

/* Shallow SA for an IKE rekey: same cfg/role, empty keys and children. */
int exch_sa_clone_empty(const struct ike_sa *old, bool initiator,
			struct ike_sa **out);

/* ---- engine-eap: client authentication policy and EAP (RFC 7296 2.16) ----
 * ike_exchange_auth.c / ike_exchange_eap.c. */

/* Validate cfg's own and peer authentication settings (auth, peer_auth,
 * methods, EAP); 0 or -EINVAL.  Called by ike_sa_new(). */
int exch_auth_cfg_check(const struct ike_exch_cfg *cfg);

/* Free the EAP state of sa (NULL-safe); called by ike_sa_free(). */
void exch_eap_free(struct ike_sa *sa);


/* ---- engine-net: fragmentation, MOBIKE, rekey collisions -------------------
 * ike_exchange.c / ike_exchange_init.c / ike_exchange_child.c. */

#include "ike_frag.h"

/* A rekey exchange's lower nonce (2.8.1: "the lowest of the four nonces"). */
struct exch_rekey_rec {
	bool valid;
	int old;		/* CHILD rekey: index of the rekeyed CHILD SA */
	int new_idx;		/* CHILD rekey: index of the CHILD SA it made */
	uint8_t min[IKE_MAX_NONCE_LEN];
	size_t min_len;
};

struct ike_sa_net {
	/* RFC 7383 sending: fragments of our pending request, of the cached
	 * response, and of the response being built (committed when cached) */
	struct ike_buf *req, *resp, *stage;	/* IKE_MAX_FRAGMENTS each, lazily */
	size_t n_req, n_resp, n_stage;
	/* receiving: one reassembly per direction, allocated while in use */
	struct ike_frag_ctx *rx_req, *rx_resp;
	uint8_t rx_req_exch, rx_resp_exch;
	bool last_req_frag;	/* the request answered last came in fragments */
	/* the datagram being handled (ike_sa_handle_request_from), or NULL */
	const struct ike_endpoint *rx_local, *rx_remote;
	/* RFC 4555 */
	bool mobike_sent;	/* responder: MOBIKE_SUPPORTED already sent */
	uint8_t cookie2[16];	/* initiator: COOKIE2 of our pending update */
	/* 2.8.1: the peer's CHILD rekey answered while ours of the same SA was
	 * pending (peer_rk), and our last completed CHILD rekey (our_rk) */
	struct exch_rekey_rec peer_rk, our_rk;
	/* 2.8.2, old SA: the new SA made by answering the peer's IKE rekey
	 * while ours was pending, and that exchange's lower nonce */
	struct ike_sa *ike_peer_new;
	struct exch_rekey_rec ike_rk;
	/* 2.8.2, such a new SA: the old SA it is linked to */
	struct ike_sa *coll_old;
};

/* 2.23: SHA-1(SPIi | SPIr | IP address | port) into out[20]. */
int exch_nat_hash(const uint8_t spi_i[8], const uint8_t spi_r[8],
		  const struct ike_endpoint *ep, uint8_t out[IKE_NAT_HASH_LEN]);

/* We announce fragmentation (cfg) and the peer did (RFC 7383 2.3). */
bool exch_frag_on(const struct ike_sa *sa);

/* The lower of two nonces (memcmp order, a shorter prefix is lower) into
 * rec->min. */
void exch_rekey_min(struct exch_rekey_rec *rec, const uint8_t *a, size_t alen,
		    const uint8_t *b, size_t blen);

/* Is nonce record a below record b (2.8.1 "lowest")? */
bool exch_rekey_lower(const struct exch_rekey_rec *a,
		      const struct exch_rekey_rec *b);

/* Move every CHILD SA of from into to (2.8.2: to the surviving IKE SA). */
void exch_move_children(struct ike_sa *from, struct ike_sa *to);

/* INFORMATIONAL request from the peer -> response in out (1); -EILSEQ for
 * a malformed payload (answered INVALID_SYNTAX by the dispatch); and the
 * response to our INFORMATIONAL request (ike_exchange_info.c). */
int exch_info_request(struct ike_sa *sa, const struct ike_msg_view *v,
		      const struct ike_chain *in, struct ike_buf *out,
		      struct ike_exch_result *res);
int exch_info_response(struct ike_sa *sa, const struct ike_chain *in,
		       struct ike_exch_result *res);
/* Responder: an INFORMATIONAL request while IKE_AUTH with EAP runs (see
 * ike_exch_auth_failed_build() in ike_exchange.h); 1 or -EILSEQ. */
int exch_info_in_auth(struct ike_sa *sa, const struct ike_msg_view *v,
		      const struct ike_chain *in, struct ike_buf *out,
		      struct ike_exch_result *res);

#endif
