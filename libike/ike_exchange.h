/*
 * ike_exchange.h — the IKEv2 exchange engine, both roles (RFC 7296):
 *
 *   IKE_SA_INIT      1.2, 2.6 (COOKIE), 2.7 (proposal selection), 1.3 /
 *                    3.10.1 (INVALID_KE_PAYLOAD), 2.23 (NAT detection),
 *                    RFC 7383 (fragmentation support), RFC 7427 (hashes)
 *   IKE_AUTH         1.2, 2.15 (AUTH), 2.9 (TS narrowing), 3.15 (CP),
 *                    2.21.2 / 2.21.3 (error handling)
 *   CREATE_CHILD_SA  1.3.1 (new CHILD SA), 1.3.3 (CHILD rekey, REKEY_SA),
 *                    1.3.2 / 2.18 (IKE SA rekey), 2.17 (KEYMAT, PFS)
 *   INFORMATIONAL    1.4 (Delete), 1.4.1, 2.4 (liveness)
 *   Message IDs      2.1, 2.2 (window size 1, cached last response)
 *
 * The engine is pure: no sockets, no clock, no globals, no logging.  The
 * caller moves bytes: a builder writes a request to send, the peer's
 * ike_sa_handle_request() consumes it and writes the response, which the
 * first side hands to ike_sa_handle_response().  Tests run two engines in
 * one process this way; ragd uses the responder half, rag-bench both.
 *
 * Roles: sa->initiator is the ORIGINAL initiator of the IKE SA (it selects
 * the I flag, SK_ei/SK_ai).  CREATE_CHILD_SA and INFORMATIONAL requests may
 * be started by either side; every SA keeps two message-ID counters (2.2).
 *
 * Ownership: the configuration (and everything it points to: proposals,
 * certificates, keys, the X509_STORE) is owned by the caller and must
 * outlive the SA.  Key material lives in struct ike_key (guarded memory).
 */
#ifndef RAG_IKE_EXCHANGE_H
#define RAG_IKE_EXCHANGE_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ike.h"
#include "ike_crypto.h"
#include "ike_dh.h"
#include "ike_payload.h"
#include "ike_ts_cp.h"

#define IKE_EXCH_MAX_CHILDREN   8	/* CHILD SAs per IKE SA (limit, rule 6) */
#define IKE_EXCH_MAX_PROPS      8	/* proposals we send / keep */
#define IKE_EXCH_MAX_CERTS      4	/* CERT payloads we send or accept */
#define IKE_EXCH_NONCE_LEN      32	/* our nonces (>= half the PRF key, 2.10) */
#define IKE_EXCH_MAX_ID         256	/* peer ID data we keep */

/* One network endpoint, for NAT detection (2.23). */
struct ike_endpoint {
	uint8_t family;		/* 4 or 6 */
	uint8_t addr[16];	/* network order; IPv4 in bytes 0..3 */
	uint16_t port;		/* host order */
};

/* How a side authenticates (or expects the peer to). */
enum ike_exch_auth {
	IKE_EXCH_AUTH_PSK = 1,	/* shared key, method 2 */
	IKE_EXCH_AUTH_SIG = 2,	/* certificate + private key: method 1, 9-11
				 * or 14, chosen per RFC 7427 4 */
	IKE_EXCH_AUTH_EAP = 3,	/* cfg->auth of an initiator only: EAP
				 * (RFC 7296 2.16) with cfg->eap_method */
};

/* ---- EAP and client authentication policy (engine-eap) -----------------------
 * RFC 7296 2.16: an initiator that wants EAP leaves AUTH out of its first
 * IKE_AUTH request; the responder answers with IDr, CERT, its AUTH and the
 * first EAP request; EAP round trips follow, each an IKE_AUTH exchange;
 * after EAP-Success both AUTH payloads use the EAP MSK as the shared secret.
 * Methods: EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2, ike_mschap.h),
 * EAP-TLS (RFC 5216; RFC 9190 when TLS 1.3 is negotiated; ike_eap_tls.h).
 */
#define IKE_EXCH_EAP_MAX_ROUNDS 50	/* EAP requests in one IKE_AUTH (limit) */
#define IKE_EXCH_MAX_DN         256	/* certificate subject / issuer text */
#define IKE_EXCH_MAX_SERIAL     64	/* certificate serial, hex digits */

/* cfg->methods: what a responder accepts from initiators (same bits as the
 * daemon's [auth] methods) */
#define IKE_EXCH_M_EAP_MSCHAPV2 0x01u
#define IKE_EXCH_M_EAP_TLS      0x02u
#define IKE_EXCH_M_PUBKEY       0x04u
#define IKE_EXCH_M_PSK          0x08u

/* How the peer authenticated (struct ike_auth_info.method). */
enum ike_peer_method {
	IKE_PM_NONE = 0,
	IKE_PM_PSK,
	IKE_PM_PUBKEY,
	IKE_PM_EAP_MSCHAPV2,
	IKE_PM_EAP_TLS,
};

/* Why the peer's authentication failed (struct ike_auth_info.fail). */
enum ike_auth_fail {
	IKE_AF_NONE = 0,
	IKE_AF_METHOD,		/* method not allowed by cfg->methods */
	IKE_AF_UNKNOWN_USER,	/* EAP user (or PSK identity) unknown */
	IKE_AF_BAD_PASSWORD,	/* MSCHAPv2 NT-Response mismatch */
	IKE_AF_LOCKED,		/* the user is locked / disabled */
	IKE_AF_CERT_EXPIRED,	/* certificate expired or not yet valid */
	IKE_AF_CERT_UNKNOWN_CA,	/* chain does not end at a configured CA */
	IKE_AF_CERT_REVOKED,
	IKE_AF_CERT_INVALID,	/* any other certificate problem, incl. a
				 * certificate not naming the IKE ID */
	IKE_AF_BAD_AUTH,	/* AUTH payload did not verify (PSK,
				 * signature, MSK) */
	IKE_AF_PEER_ID,		/* IDr names neither our id nor our cert */
	IKE_AF_PROTOCOL,	/* malformed / unexpected EAP, TLS failure,
				 * too many rounds or too much data */
	IKE_AF_INTERNAL,	/* resource or callback failure */
	IKE_AF_PEER_ABORT,	/* the initiator gave up during IKE_AUTH
				 * (INFORMATIONAL with an error notify or a
				 * Delete, 2.21.2) before we found a reason */
};

/* The client certificate seen (EAP-TLS or certificate AUTH). */
struct ike_peer_cert_info {
	bool present;
	char subject[IKE_EXCH_MAX_DN];	/* RFC 2253 text, NUL-terminated,
					 * truncated to fit */
	char issuer[IKE_EXCH_MAX_DN];
	char serial[IKE_EXCH_MAX_SERIAL + 1];	/* uppercase hex */
	uint8_t sha256[32];		/* fingerprint of the DER */
};

/* What the daemon logs and authorises with; filled during IKE_AUTH and
 * kept for the SA's life (also after a failure, for the auth log). */
struct ike_auth_info {
	uint8_t method;		/* enum ike_peer_method, IKE_PM_NONE until known */
	uint8_t fail;		/* enum ike_auth_fail, IKE_AF_NONE on success;
				 * set as soon as the failure is known: for
				 * EAP-MSCHAPv2 when the Failure request goes
				 * out, while the SA is still INIT_DONE
				 * awaiting the client's last word */
	/* the authenticated user: EAP-MSCHAPv2 name without "DOMAIN\"
	 * (falling back to the EAP identity, then the IKE ID); EAP-TLS: the
	 * EAP identity or, when empty, the IKE ID; empty for PSK / pubkey
	 * (use sa->peer_id).  Not NUL-terminated. */
	uint8_t user[IKE_EXCH_MAX_ID];
	size_t user_len;
	uint8_t eap_identity[IKE_EXCH_MAX_ID];	/* EAP-Identity answer as sent */
	size_t eap_identity_len;
	struct ike_peer_cert_info cert;
};

/* "eap-mschapv2", "eap-tls", "pubkey", "psk", "none" */
const char *ike_peer_method_name(unsigned int m);
/* "unknown user", "bad password", "locked", "certificate expired", ... */
const char *ike_auth_fail_name(unsigned int f);

struct ike_mschap_ctx;
struct ike_eap_state;	/* private to ike_exchange_eap.c */
struct ike_sa;

/*
 * Configuration of one side.  Initiator: ts_local / ts_remote are proposed
 * as TSi / TSr.  Responder: they are the permitted selectors TSr / TSi are
 * narrowed to (2.9); when a CP address is assigned TSi is narrowed to it.
 */
struct ike_exch_cfg {
	/* IKE proposals in preference order; the initiator's first DH group
	 * (first DH transform of the first proposal) is the one it sends KE for */
	const struct ike_proposal *ike_props;
	size_t n_ike_props;
	/* ESP proposals in preference order (SPI fields ignored).  DH
	 * transforms are stripped in IKE_AUTH; in CREATE_CHILD_SA a responder
	 * proposal with DH transforms accepts those groups (id 0 = no PFS),
	 * one without accepts no PFS only. */
	const struct ike_proposal *child_props;
	size_t n_child_props;
	bool allow_legacy_dh;		/* accept groups 2 and 5 */

	/* who we are */
	uint8_t id_type;		/* enum ike_id_type */
	const uint8_t *id;
	size_t id_len;
	uint8_t auth;			/* enum ike_exch_auth */
	const uint8_t *psk;		/* IKE_EXCH_AUTH_PSK */
	size_t psk_len;
	EVP_PKEY *key;			/* IKE_EXCH_AUTH_SIG: private key */
	const struct ike_chunk *certs;	/* DER, end-entity first */
	size_t n_certs;
	bool rsa_pss;			/* RSA keys under method 14: PSS */
	bool no_hash_algs;		/* do not send SIGNATURE_HASH_ALGORITHMS
					 * (the peer then signs with the
					 * classic methods 1 / 9-11) */

	/* whom we accept */
	uint8_t peer_auth;		/* enum ike_exch_auth */
	const uint8_t *peer_psk;
	size_t peer_psk_len;
	X509_STORE *trust;		/* CAs for the peer's certificate */
	int64_t now;			/* seconds since the epoch for certificate
					 * validity; 0 = do not check times */
	uint8_t peer_id_type;		/* 0 = any ID */
	const uint8_t *peer_id;		/* initiator: also sent as IDr */
	size_t peer_id_len;

	/* CHILD SA */
	struct ike_ts_list ts_local, ts_remote;
	bool cp_request;		/* initiator: ask for an address */
	const struct ike_cp_reply *cp_reply;	/* responder: assign this */

	/* ---- fragmentation, MOBIKE, INITIAL_CONTACT (engine-net) ----
	 * frag_mtu: largest IP packet an IKE message may travel in once
	 * fragmentation is negotiated (RFC 7383 2.5.1); messages after
	 * IKE_SA_INIT that do not fit are sent as SKF fragments.  0 = the RFC
	 * 7383 2.5.1 defaults: 576 for IPv4 and 1280 for IPv6. */
	uint16_t frag_mtu;
	bool no_frag;			/* do not announce fragmentation support */
	bool mobike;			/* RFC 4555: announce / accept MOBIKE */
	bool initial_contact;		/* initiator: send INITIAL_CONTACT (2.4)
					 * in the first IKE_AUTH request */

	/* ---- EAP and client authentication policy (engine-eap) ----
	 * Responder: methods = IKE_EXCH_M_* accepted from the initiator;
	 * 0 = only peer_auth (PSK or SIG).  Certificate AUTH is checked
	 * against trust, PSK against peer_psk or psk_lookup(). */
	uint32_t methods;
	/* Responder: answer an initiator that authenticated with a shared
	 * key (method 2) with AUTH by the same key, and no CERT (what
	 * NetworkManager-strongswan, iOS and Android expect in their PSK
	 * modes: RFC 7296 2.15 lets each side choose its method); false =
	 * always our cfg->auth */
	bool psk_reply;
	bool eap_identity_round;	/* responder: EAP-Identity first (Windows) */
	uint8_t eap_first;		/* responder: EAP_TYPE_MSCHAPV2 / _TLS to
					 * offer first; 0 = MSCHAPv2 when allowed */
	const char *eap_server_name;	/* MSCHAPv2 Challenge Name, NULL = "rag" */
	/*
	 * Responder: the NT hash of an EAP-MSCHAPv2 user.  user is the name
	 * without "DOMAIN\" (NUL-terminated, len bytes, no control
	 * characters).  Returns 0 with *out allocated (ike_key_dup(), 16
	 * bytes; the engine frees it), -ENOENT unknown user, -EPERM locked
	 * or disabled; any other error fails the authentication.
	 */
	int (*eap_nt_hash)(void *arg, const char *user, size_t len,
			   struct ike_key *out);
	/* Responder: PSK for the initiator's IKE ID when peer_psk is NULL;
	 * same returns as eap_nt_hash. */
	int (*psk_lookup)(void *arg, uint8_t id_type, const uint8_t *id,
			  size_t len, struct ike_key *out);
	/*
	 * Responder: the CP reply for this SA, called once the peer is
	 * authenticated and asked for an address (sa->auth and sa->peer_id
	 * tell who it is).  Returns 0 with *out filled; any negative value
	 * answers INTERNAL_ADDRESS_FAILURE (3.15.4) without a CHILD SA.
	 * NULL = cfg->cp_reply for everyone.
	 */
	int (*cp_assign)(void *arg, const struct ike_sa *sa,
			 struct ike_cp_reply *out);
	/*
	 * Responder: the selectors this peer may reach, i.e. what TSr is
	 * narrowed to (2.9) instead of ts_local (a per-user split tunnel).
	 * Called once per IKE SA when the peer is authenticated, after
	 * cp_assign and before the first CHILD SA; the result stays with the
	 * IKE SA (and the SAs that rekey it) for every later CHILD SA.
	 * Returns 0 with *out filled (out->n = 0 .. IKE_MAX_TS valid
	 * selectors; 0 means nothing is reachable: TS_UNACCEPTABLE), any
	 * negative value = use ts_local.  NULL = ts_local for everyone.
	 */
	int (*ts_local_for)(void *arg, const struct ike_sa *sa,
			    struct ike_ts_list *out);
	void *auth_arg;			/* first argument of the callbacks */

	/* ---- inbound ESP SPIs ----
	 * child_spi_alloc: the SPI we ask the peer to send with on a new
	 * CHILD SA, in both roles (our IKE_AUTH / CREATE_CHILD_SA offer and
	 * our answer to the peer's), e.g. by XFRM_MSG_ALLOCSPI so that the
	 * kernel guarantees it is unused.  Returns 0 with *spi >= 256, or a
	 * negative errno: a responder then refuses that CHILD SA with
	 * TEMPORARY_FAILURE (RFC 7296 3.10.1: "retry later"), a builder
	 * fails with that errno.  child_spi_free: an SPI from child_spi_alloc
	 * did not become the spi_in of a CHILD SA reported to the caller (the
	 * exchange failed or was refused, or the SA was freed while our
	 * request was out): release it.  It is never called for a reported
	 * CHILD SA — that one is the caller's from then on.  Both are called
	 * on the thread that called the engine for sa, with spi_arg.  NULL =
	 * the engine picks random SPIs and frees nothing. */
	int (*child_spi_alloc)(void *arg, const struct ike_sa *sa, uint32_t *spi);
	void (*child_spi_free)(void *arg, const struct ike_sa *sa, uint32_t spi);
	void *spi_arg;
	/* MD4/DES context (ike_mschap.h) for MSCHAPv2, both roles */
	const struct ike_mschap_ctx *mschap;
	/* EAP-TLS: a server context (responder) or a client context
	 * (initiator), from ike_eap_tls_ctx_new() (ike_eap_tls.h) */
	SSL_CTX *eap_tls;
	/* Initiator with auth = IKE_EXCH_AUTH_EAP: the method we run,
	 * the EAP-Identity answer (may be empty: the responder then uses
	 * the IKE ID) and the MSCHAPv2 name / password (UTF-8). */
	uint8_t eap_method;		/* EAP_TYPE_MSCHAPV2 or EAP_TYPE_TLS */
	const uint8_t *eap_identity;
	size_t eap_identity_len;
	const uint8_t *eap_user;	/* MSCHAPv2 Name; NULL = eap_identity */
	size_t eap_user_len;
	const char *eap_password;
	size_t eap_password_len;
};

enum ike_sa_state {
	IKE_ST_IDLE = 0,
	IKE_ST_INIT_SENT,	/* initiator: IKE_SA_INIT request out */
	IKE_ST_INIT_DONE,	/* keys derived, IKE_AUTH next */
	IKE_ST_AUTH_SENT,	/* initiator: IKE_AUTH request out */
	IKE_ST_ESTABLISHED,
	IKE_ST_REKEYED,		/* replaced by a new IKE SA (2.18) */
	IKE_ST_DELETED,
	IKE_ST_FAILED,		/* authentication failed / fatal error */
};

/* One CHILD SA (ESP).  spi_in is ours (the peer sends with it), spi_out the
 * peer's.  keymat = KEYMAT of 2.17: the first half for the direction
 * initiator -> responder OF THE EXCHANGE that created the SA (i_to_r). */
struct ike_child_sa {
	bool in_use;
	bool exch_initiator;	/* we initiated the creating exchange */
	uint32_t spi_in, spi_out;
	struct ike_proposal prop;	/* the accepted proposal */
	uint16_t encr, encr_keylen, integ, esn, dh;
	size_t encr_len, integ_len;	/* key bytes per direction */
	struct ike_key keymat;		/* 2 * (encr_len + integ_len) */
	struct ike_ts_list tsi, tsr;
};

/* The request we are waiting for an answer to (window size 1). */
enum ike_pend_kind {
	IKE_PEND_NONE = 0,
	IKE_PEND_INIT, IKE_PEND_AUTH,
	IKE_PEND_CHILD_NEW, IKE_PEND_CHILD_REKEY, IKE_PEND_IKE_REKEY,
	IKE_PEND_DELETE_CHILD, IKE_PEND_DELETE_IKE, IKE_PEND_LIVENESS,
	IKE_PEND_UPDATE_ADDR,	/* engine-net: RFC 4555 UPDATE_SA_ADDRESSES */
	IKE_PEND_AUTH_FAILED,	/* initiator: N(AUTHENTICATION_FAILED), 2.21.2 */
};

struct ike_pending {
	uint8_t kind;		/* enum ike_pend_kind */
	uint32_t msg_id;
	int child;		/* CHILD being rekeyed / deleted, -1 */
	uint32_t spi;		/* our new inbound ESP SPI */
	uint8_t ike_spi[8];	/* IKE rekey: our new SPI */
	struct ike_dh *dh;	/* KE of this exchange, or NULL */
	uint8_t nonce[IKE_EXCH_NONCE_LEN];
	struct ike_proposal props[IKE_EXCH_MAX_PROPS];	/* what we offered */
	size_t n_props;
	struct ike_ts_list tsi, tsr;
};

struct ike_sa {
	const struct ike_exch_cfg *cfg;
	bool initiator;		/* original initiator of this IKE SA */
	uint8_t state;		/* enum ike_sa_state */
	uint8_t spi_i[8], spi_r[8];
	struct ike_proposal prop;	/* accepted IKE proposal */
	struct ike_sa_keys keys;
	uint16_t dh_group;
	struct ike_dh *dh;	/* IKE_SA_INIT DH, freed once keys exist */
	uint8_t ni[IKE_MAX_NONCE_LEN], nr[IKE_MAX_NONCE_LEN];
	size_t ni_len, nr_len;
	struct ike_buf init_req, init_resp;	/* RealMessage1 / 2 (2.15) */
	uint8_t cookie[IKE_MAX_COOKIE_LEN];	/* 2.6, from the responder */
	size_t cookie_len;
	bool have_endpoints;
	struct ike_endpoint local, remote;
	bool nat_local, nat_remote;	/* 2.23: we / the peer are behind NAT */
	bool peer_frag;			/* RFC 7383: peer supports fragments */
	uint16_t peer_hashes[16];	/* RFC 7427 4, from the peer */
	size_t n_peer_hashes;
	uint8_t peer_id_type;
	uint8_t peer_id[IKE_EXCH_MAX_ID];
	size_t peer_id_len;
	uint8_t peer_auth_method;	/* AUTH method the peer used */
	struct ike_key reply_psk;	/* responder with cfg->psk_reply: the
					 * initiator's verified key, for our AUTH;
					 * wiped once IKE_AUTH is over */
	uint8_t peer_auth_hash;		/* signatures: enum ike_hash_alg used */
	bool peer_auth_pss;		/* signatures: RSASSA-PSS */
	bool cp_have_ip4;		/* initiator: address assigned by CP */
	uint8_t cp_ip4[4];

	/* 2.2: requests we send use my_msg_id; requests from the peer must
	 * carry peer_msg_id */
	uint32_t my_msg_id, peer_msg_id;
	struct ike_pending pend;
	struct ike_buf last_req_in;	/* last request from the peer ... */
	struct ike_buf last_resp;	/* ... and our response to it (2.1) */
	bool have_last;
	struct ike_buf last_req_out;	/* our last request (to retransmit) */

	struct ike_child_sa child[IKE_EXCH_MAX_CHILDREN];
	/* the child_spi_alloc()ed SPI our pending CHILD-creating request
	 * offered (also across the IKE_AUTH rounds of EAP), 0 = none */
	uint32_t spi_held;

	/* ---- engine-net: RFC 4555, 2.4, RFC 7383 / 2.8 state ---- */
	bool peer_mobike;		/* the peer sent MOBIKE_SUPPORTED */
	bool mobike;			/* MOBIKE negotiated (both sides sent it) */
	bool peer_initial_contact;	/* INITIAL_CONTACT seen in IKE_AUTH */
	struct ike_sa_net *net;		/* fragments and rekey collisions
					 * (private, ike_exchange_int.h) */

	/* engine-eap: EAP in progress during IKE_AUTH (NULL otherwise; the
	 * state stays IKE_ST_INIT_DONE between EAP rounds), and how the peer
	 * authenticated (responder) */
	struct ike_eap_state *eap;
	struct ike_auth_info auth;

	/* Responder: the selectors fixed for this peer in IKE_AUTH, used by
	 * every later CHILD SA (and kept over IKE rekeys): TSr from
	 * cfg->ts_local_for, TSi = the addresses CP assigned (so a second
	 * CHILD SA cannot claim another client's address).  When not set,
	 * cfg->ts_local / cfg->ts_remote apply. */
	bool have_own_local, have_own_remote;
	struct ike_ts_list own_local, own_remote;
};

/* What a handler did (all fields set on every call). */
struct ike_exch_result {
	uint16_t notify;	/* error notify we sent (handle_request) or
				 * received (handle_response); 0 = none */
	uint16_t ke_group;	/* INVALID_KE_PAYLOAD: the group asked for */
	bool established;	/* the IKE SA became ESTABLISHED */
	int child;		/* index of a CHILD SA created, -1 */
	int rekeyed_child;	/* index of the CHILD SA that was rekeyed, -1 */
	int deleted_child;	/* index of a CHILD SA deleted (freed), -1 */
	bool ike_deleted;	/* the IKE SA was deleted */
	struct ike_sa *new_sa;	/* IKE rekey: the new SA (caller frees) */
	/* ---- engine-net ---- */
	bool initial_contact;	/* 2.4: set together with `established` when
				 * the peer's IKE_AUTH carried INITIAL_CONTACT:
				 * the caller removes the other IKE SAs of the
				 * authenticated identity */
	bool addr_changed;	/* RFC 4555 3.5: UPDATE_SA_ADDRESSES processed;
				 * sa->local / sa->remote / nat_* hold the new
				 * addresses: move the IKE SA and CHILD SAs */
	bool rekey_collision;	/* 2.8.1 / 2.8.2: a simultaneous rekey was
				 * resolved in this call */
	int delete_child;	/* CHILD SA this side must delete now
				 * (ike_exch_delete_build): the old SA after
				 * our CHILD rekey; after a collision the
				 * redundant SA we created, or the old one when
				 * ours survived; -1 */
	struct ike_sa *delete_sa;	/* IKE rekey: the IKE SA this side must
				 * delete: the old SA (sa) after our rekey, or
				 * after a collision our redundant new SA
				 * (new_sa) when the peer's survived; NULL */
	bool auth_continue;	/* IKE_AUTH goes on (EAP, 2.16): the initiator
				 * calls ike_sa_auth_build() again, the
				 * responder expects another IKE_AUTH */
};

/*
 * Create an SA for cfg.  initiator: we start with IKE_SA_INIT (a random
 * SPIi is chosen); otherwise the SA waits for an IKE_SA_INIT request.
 * local / remote (both or neither) enable NAT detection (2.23).
 * Returns 0, -ENOMEM, -EINVAL (no proposals, bad auth configuration).
 */
int ike_sa_new(const struct ike_exch_cfg *cfg, bool initiator,
	       const struct ike_endpoint *local,
	       const struct ike_endpoint *remote, struct ike_sa **out);

/* Wipe every key, free the SA and its CHILD SAs; NULL is fine. */
void ike_sa_free(struct ike_sa *sa);

/* ---- Requests we send (we are the initiator of the exchange) ---------------
 * Each writes a whole message to out (reset first) and records it as the
 * pending request; out stays valid for retransmission.  -EBUSY when a
 * request is still outstanding (window size 1, 2.3), -EINVAL in the wrong
 * state. */

/* IKE_SA_INIT request (1.2): SA, KE, Ni, [N(COOKIE) first when the responder
 * asked for one], N(NAT_DETECTION_*), N(IKEV2_FRAGMENTATION_SUPPORTED),
 * N(SIGNATURE_HASH_ALGORITHMS).  Called again after -EAGAIN from
 * ike_sa_handle_response() (COOKIE or INVALID_KE_PAYLOAD). */
int ike_sa_init_build(struct ike_sa *sa, struct ike_buf *out);

/* IKE_AUTH request (1.2): SK { IDi, [CERT+], [CERTREQ], [IDr], AUTH, [CP],
 * SAi2, TSi, TSr }.  With cfg->auth == IKE_EXCH_AUTH_EAP (2.16): the first
 * request has no AUTH; after ike_sa_handle_response() returned -EAGAIN
 * (res->auth_continue) the next one carries SK { EAP } (our EAP response)
 * or, after EAP-Success, SK { AUTH } computed with the MSK. */
int ike_sa_auth_build(struct ike_sa *sa, struct ike_buf *out);

/*
 * CREATE_CHILD_SA request for a CHILD SA (1.3.1), or the rekey of CHILD SA
 * sa->child[rekey] (rekey >= 0, 1.3.3: N(REKEY_SA) with our inbound SPI).
 * pfs_group != 0 adds a KE of that group and offers it as the proposals'
 * only DH transform (PFS, 2.17); 0 offers no DH.
 */
int ike_child_build(struct ike_sa *sa, int rekey, uint16_t pfs_group,
		    struct ike_buf *out);

/* CREATE_CHILD_SA rekeying the IKE SA (1.3.2): SA (our proposals with a new
 * 8-byte SPI), Ni, KEi (the group of the current IKE SA). */
int ike_rekey_ike_build(struct ike_sa *sa, struct ike_buf *out);

/* INFORMATIONAL (1.4): Delete of CHILD SA sa->child[idx] (our inbound SPI),
 * of the IKE SA (idx < 0), or an empty liveness check (ike_exch_liveness_build). */
int ike_exch_delete_build(struct ike_sa *sa, int idx, struct ike_buf *out);
int ike_exch_liveness_build(struct ike_sa *sa, struct ike_buf *out);

/*
 * Initiator giving up during IKE_AUTH (2.21.2: "... the initiator ... sends
 * an INFORMATIONAL message with AUTHENTICATION_FAILED"): an INFORMATIONAL
 * request with N(AUTHENTICATION_FAILED), sent between EAP rounds (state
 * INIT_DONE after a response with res->auth_continue) or on an ESTABLISHED
 * SA whose responder we do not accept.  Its response marks the SA FAILED.
 * strongSwan sends this instead of acknowledging an MSCHAPv2 Failure.
 * -EINVAL for a responder or another state, -EBUSY as the other builders.
 *
 * The responder side: while IKE_AUTH with EAP is in progress, an
 * INFORMATIONAL request carrying an error notify or a Delete of the IKE SA
 * is answered with an empty INFORMATIONAL and FAILS the SA
 * (sa->auth.fail keeps the reason already found, e.g. a bad password,
 * else IKE_AF_PEER_ABORT); other INFORMATIONAL requests are answered and
 * IKE_AUTH goes on.
 */
int ike_exch_auth_failed_build(struct ike_sa *sa, struct ike_buf *out);

/* ---- Receiving ------------------------------------------------------------------ */

/*
 * A request from the peer (R flag clear).  Returns 1 with the response in
 * out (reset first) — also for error notifies (res->notify) and for a
 * retransmitted request (the cached response, 2.1) —, or a negative errno
 * when the message is dropped without answer: -EBADMSG malformed or
 * failed integrity check (2.21), -EALREADY old message ID, -EINVAL wrong
 * state / unexpected exchange.  An IKE_SA_INIT answered with an error
 * notify leaves the SA IDLE (stateless refusal).
 */
int ike_sa_handle_request(struct ike_sa *sa, const uint8_t *msg, size_t len,
			  struct ike_buf *out, struct ike_exch_result *res);

/*
 * The response to our pending request.  Returns 0 when processed,
 * -EAGAIN when IKE_SA_INIT must be sent again (COOKIE, or
 * INVALID_KE_PAYLOAD naming an acceptable group in res->ke_group; call
 * ike_sa_init_build()) or, for IKE_AUTH with EAP, when another IKE_AUTH
 * request follows (res->auth_continue; call ike_sa_auth_build()), -EPROTO when the peer answered with an error notify
 * (res->notify; for IKE_AUTH the SA is then FAILED, 2.21.2), -EACCES when the
 * peer's AUTH does not verify (SA FAILED), -EBADMSG malformed or integrity
 * failure (dropped, the request stays pending), -EALREADY when it does not
 * match the pending request.
 */
int ike_sa_handle_response(struct ike_sa *sa, const uint8_t *msg, size_t len,
			   struct ike_exch_result *res);

/* index of the CHILD SA with our inbound SPI spi, or -ENOENT */
int ike_sa_find_child(const struct ike_sa *sa, uint32_t spi_in);

/* Pick one IKE/ESP proposal (2.7): our proposals in our preference order,
 * for each the peer's in theirs; within a match the first of our transforms
 * of each type that the peer also offered.  A type absent from a proposal
 * counts as "NONE" for INTEG, DH and ESN.  Writes the accepted proposal
 * (peer's number and SPI, one transform per type) to out; returns 0 or
 * -ENOENT (NO_PROPOSAL_CHOSEN). */
int ike_exch_select(const struct ike_proposal *mine, size_t n_mine,
		    const struct ike_proposal *peer, size_t n_peer,
		    struct ike_proposal *out);


/* ---- Fragmentation, MOBIKE, collisions (engine-net) ---------------------------
 *
 * RFC 7383 fragmentation.  Each side announces IKEV2_FRAGMENTATION_SUPPORTED
 * in IKE_SA_INIT (unless cfg->no_frag); once both did (sa->peer_frag and
 * ours), every protected message larger than ike_sa_frag_max_msg() is ALSO
 * split into SKF fragments.  Builders and ike_sa_handle_request() still
 * write the whole message to out; the datagrams to put on the wire are
 * then those of ike_sa_frags() (0 = send out as is).  A retransmission
 * resends the same set: for requests the caller resends the fragments,
 * for responses ike_sa_handle_request() returns the cached response and
 * ike_sa_frags(sa, true) the cached fragment set.
 * Receiving: SKF fragments of the expected request (message ID
 * peer_msg_id) or of the response to our pending request are decrypted one
 * by one and reassembled (RFC 7383 2.6; at most IKE_MAX_FRAGMENTS, at most
 * IKE_FRAG_MAX_BYTES); both handlers return -EINPROGRESS while fragments are
 * missing (nothing to send).  Fragment 1 of the request answered last
 * triggers the resend of the cached response; other fragments of it are
 * dropped (-EALREADY) (RFC 7383 2.6.1).
 *
 * Errors answered (ike_sa_handle_request returns 1): a major version above
 * 2 in IKE_SA_INIT -> INVALID_MAJOR_VERSION (2.5, unprotected, SA stays
 * IDLE); an unknown payload with the critical bit -> UNSUPPORTED_CRITICAL_
 * PAYLOAD with its type (3.2; unprotected in IKE_SA_INIT, else protected);
 * a request that passed the integrity check but is malformed ->
 * INVALID_SYNTAX (2.21, 3.10.1; an IKE_AUTH request then FAILS the SA).
 *
 * MOBIKE (RFC 4555): the initiator sends MOBIKE_SUPPORTED in IKE_AUTH when
 * cfg->mobike; the responder answers it when cfg->mobike and the peer sent
 * it (sa->mobike).  UPDATE_SA_ADDRESSES from the original initiator is
 * processed only when MOBIKE was negotiated and the caller passed the
 * datagram's addresses (ike_sa_handle_request_from): the SA takes them,
 * NAT detection is recomputed (3.5), COOKIE2 is echoed (3.8) and
 * res->addr_changed is set.  ADDITIONAL_IP4/6_ADDRESS and
 * NO_ADDITIONAL_ADDRESSES are validated and accepted (3.6).
 *
 * Simultaneous rekeying (2.8.1 CHILD, 2.8.2 IKE).  Both directions of
 * requests are independent: a request from the peer is answered while ours
 * is pending.  When both sides rekeyed the same SA, the exchange whose two
 * nonces hold the lowest of the four nonces made the redundant SA; the side
 * that initiated it reports it in res->delete_child / res->delete_sa, the
 * other side reports the old SA there.  IKE rekey: the new SA created by
 * answering the peer's colliding request stays linked to the old SA until
 * the collision is resolved (the CHILD SAs are moved to the survivor); both
 * must be used from one thread; freeing either unlinks them.
 */

/* RFC 7383 2.5.1: "... 576 bytes for IPv4 and 1280 bytes for IPv6" */
#define IKE_FRAG_MTU_IPV4 576
#define IKE_FRAG_MTU_IPV6 1280

struct ike_sa_net;	/* private to the engine (ike_exchange_int.h) */

/* As ike_sa_handle_request(); local / remote (both or neither) are the
 * addresses the datagram was received on / from, needed for MOBIKE
 * UPDATE_SA_ADDRESSES (RFC 4555 3.5).  -EINPROGRESS: a fragment was stored. */
int ike_sa_handle_request_from(struct ike_sa *sa, const uint8_t *msg,
			       size_t len, const struct ike_endpoint *local,
			       const struct ike_endpoint *remote,
			       struct ike_buf *out, struct ike_exch_result *res);

/* The RFC 7383 fragments of our pending request (response false) or of our
 * cached response (true): returns their number (>= 2) and the array in
 * *frags, or 0 when that message is not fragmented (send it whole). */
size_t ike_sa_frags(const struct ike_sa *sa, bool response,
		    const struct ike_buf **frags);

/* Largest protected message sent whole (ike_frag_max_msg of the MTU and
 * address family of the SA, with the 4-byte non-ESP marker when port 4500
 * is used or unknown); 0 when fragmentation is not negotiated. */
size_t ike_sa_frag_max_msg(const struct ike_sa *sa);

/* MOBIKE initiator (RFC 4555 3.5): INFORMATIONAL request with
 * N(UPDATE_SA_ADDRESSES), N(NAT_DETECTION_SOURCE_IP / _DESTINATION_IP) for
 * the new local / remote and a fresh N(COOKIE2); the SA takes the new
 * addresses.  -EINVAL unless we are the original initiator with MOBIKE
 * negotiated; -EBUSY as the other builders. */
int ike_exch_update_addresses_build(struct ike_sa *sa,
				    const struct ike_endpoint *local,
				    const struct ike_endpoint *remote,
				    struct ike_buf *out);

#endif
