/*
 * ike_exchange_auth.c — IKE_AUTH, both roles (RFC 7296 1.2, 2.15, 2.16):
 *
 *   HDR, SK {IDi, [CERT,] [CERTREQ,] [IDr,] AUTH, [CP(CFG_REQUEST),]
 *            SAi2, TSi, TSr}  -->
 *                        <--  HDR, SK {IDr, [CERT,] AUTH, [CP(CFG_REPLY),]
 *                                      SAr2, TSi, TSr}
 *
 * Peer authentication: shared key (method 2; the key from cfg->peer_psk or
 * the psk_lookup callback; with cfg->psk_reply a responder answers such an
 * initiator with AUTH by the same key) or a signature (methods 1, 9-11, 14) with a
 * certificate chain verified against the configured CA store, whose
 * end-entity certificate must name the peer's ID; cfg->methods limits what
 * a responder accepts.  A request without AUTH asks for EAP (2.16): the
 * EAP rounds live in ike_exchange_eap.c, which calls back into the
 * helpers declared in ike_eap_int.h.
 * Errors per 2.21.2 (AUTHENTICATION_FAILED, the IKE SA is not created) and
 * 2.21.3 / 1.2 (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE, INTERNAL_ADDRESS_FAILURE:
 * the IKE SA is created without a CHILD SA).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include "ike_auth.h"
#include "ike_eap_int.h"
#include "ike_eap_tls.h"

#define MAX_CERTREQ_CAS 8

/* ---- names ------------------------------------------------------------------ */

/* See ike_exchange.h. */
const char *ike_peer_method_name(unsigned int m)
{
	switch (m) {
	case IKE_PM_PSK: return "psk";
	case IKE_PM_PUBKEY: return "pubkey";
	case IKE_PM_EAP_MSCHAPV2: return "eap-mschapv2";
	case IKE_PM_EAP_TLS: return "eap-tls";
	default: return "none";
	}
}

/* See ike_exchange.h. */
const char *ike_auth_fail_name(unsigned int f)
{
	switch (f) {
	case IKE_AF_NONE: return "none";
	case IKE_AF_METHOD: return "method not allowed";
	case IKE_AF_UNKNOWN_USER: return "unknown user";
	case IKE_AF_BAD_PASSWORD: return "bad password";
	case IKE_AF_LOCKED: return "locked";
	case IKE_AF_CERT_EXPIRED: return "certificate expired";
	case IKE_AF_CERT_UNKNOWN_CA: return "certificate from an unknown CA";
	case IKE_AF_CERT_REVOKED: return "certificate revoked";
	case IKE_AF_CERT_INVALID: return "certificate invalid";
	case IKE_AF_BAD_AUTH: return "AUTH mismatch";
	case IKE_AF_PEER_ID: return "IDr not ours";
	case IKE_AF_PROTOCOL: return "protocol error";
	case IKE_AF_INTERNAL: return "internal error";
	case IKE_AF_PEER_ABORT: return "abandoned by the client";
	default: return "unknown";
	}
}

/* ---- configuration ------------------------------------------------------------ */

/* Is method bit m acceptable from the peer?  cfg->methods when set, else
 * what peer_auth implies. */
static bool method_allowed(const struct ike_exch_cfg *cfg, uint32_t m)
{
	if (cfg->methods)
		return (cfg->methods & m) != 0;
	if (m == IKE_EXCH_M_PSK)
		return cfg->peer_auth == IKE_EXCH_AUTH_PSK;
	if (m == IKE_EXCH_M_PUBKEY)
		return cfg->peer_auth == IKE_EXCH_AUTH_SIG;
	return false;
}

/* See ike_exchange_int.h. */
int exch_auth_cfg_check(const struct ike_exch_cfg *cfg)
{
	const uint32_t eap = IKE_EXCH_M_EAP_MSCHAPV2 | IKE_EXCH_M_EAP_TLS;

	switch (cfg->auth) {
	case IKE_EXCH_AUTH_PSK:
		if (!cfg->psk || !cfg->psk_len)
			return -EINVAL;
		break;
	case IKE_EXCH_AUTH_SIG:
		if (!cfg->key || cfg->n_certs == 0 ||
		    cfg->n_certs > IKE_EXCH_MAX_CERTS || !cfg->certs)
			return -EINVAL;
		break;
	case IKE_EXCH_AUTH_EAP:
		/* an initiator role only; the responder must authenticate
		 * itself with a key (2.16) */
		if (cfg->methods & eap)
			return -EINVAL;
		if (cfg->eap_method == EAP_TYPE_MSCHAPV2) {
			if (!cfg->mschap || !cfg->eap_password ||
			    (!cfg->eap_user && !cfg->eap_identity))
				return -EINVAL;
		} else if (cfg->eap_method == EAP_TYPE_TLS) {
			if (!cfg->eap_tls)
				return -EINVAL;
		} else {
			return -EINVAL;
		}
		if (cfg->eap_identity_len > IKE_EXCH_MAX_ID ||
		    cfg->eap_user_len > IKE_EXCH_MAX_ID)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (cfg->methods) {
		if (cfg->methods & ~(eap | IKE_EXCH_M_PSK | IKE_EXCH_M_PUBKEY))
			return -EINVAL;
		if ((cfg->methods & IKE_EXCH_M_PUBKEY) && !cfg->trust)
			return -EINVAL;
		if ((cfg->methods & IKE_EXCH_M_PSK) &&
		    !(cfg->peer_psk && cfg->peer_psk_len) && !cfg->psk_lookup)
			return -EINVAL;
		if ((cfg->methods & IKE_EXCH_M_EAP_MSCHAPV2) &&
		    (!cfg->eap_nt_hash || !cfg->mschap))
			return -EINVAL;
		if ((cfg->methods & IKE_EXCH_M_EAP_TLS) && !cfg->eap_tls)
			return -EINVAL;
		if ((cfg->methods & eap) && cfg->auth != IKE_EXCH_AUTH_SIG &&
		    cfg->auth != IKE_EXCH_AUTH_PSK)
			return -EINVAL;
		return 0;
	}
	if (cfg->peer_auth == IKE_EXCH_AUTH_PSK)
		return (cfg->peer_psk && cfg->peer_psk_len) || cfg->psk_lookup ?
		       0 : -EINVAL;
	if (cfg->peer_auth == IKE_EXCH_AUTH_SIG)
		return cfg->trust ? 0 : -EINVAL;
	return -EINVAL;
}

/* ---- our side ----------------------------------------------------------------- */

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
int exch_auth_id_body(const struct ike_exch_cfg *cfg, struct ike_buf *b)
{
	ike_buf_put_u8(b, cfg->id_type);
	ike_buf_put_zero(b, 3);
	ike_buf_put(b, cfg->id, cfg->id_len);
	return ike_buf_error(b);
}

/* Signed octets (2.15) of the initiator (of_i) or the responder, whose ID
 * payload body is idb, into oct. */
static int octets(const struct ike_sa *sa, bool of_i, const uint8_t *idb,
		  size_t idb_len, struct ike_buf *oct)
{
	const struct ike_buf *msg = of_i ? &sa->init_req : &sa->init_resp;
	int r;

	r = ike_auth_octets(oct, sa->keys.prf,
			    of_i ? &sa->keys.sk_pi : &sa->keys.sk_pr,
			    msg->data, msg->len,
			    of_i ? sa->nr : sa->ni, of_i ? sa->nr_len : sa->ni_len,
			    idb, idb_len);
	return r < 0 ? r : ike_buf_error(oct);
}

/*
 * Append our AUTH payload over our signed octets with ID body idb (2.15):
 * with the EAP MSK when msk is set (2.16, method 2), else the shared key
 * or a signature as cfg->auth says.
 */
static int put_auth(const struct ike_sa *sa, struct ike_msg_builder *mb,
		    const uint8_t *idb, size_t idb_len, const struct ike_key *msk)
{
	const struct ike_exch_cfg *cfg = sa->cfg;
	struct ike_buf oct, sig;
	int r;

	ike_buf_init(&oct);
	ike_buf_init(&sig);
	r = octets(sa, sa->initiator, idb, idb_len, &oct);
	if (r == 0 && (msk || sa->reply_psk.ptr || cfg->auth == IKE_EXCH_AUTH_PSK)) {
		uint8_t a[64];

		if (msk)
			r = ike_auth_eap(sa->keys.prf, msk->ptr, msk->len,
					 sa->initiator ? &sa->keys.sk_pi :
					 &sa->keys.sk_pr, oct.data, oct.len, a);
		else if (sa->reply_psk.ptr)	/* cfg->psk_reply */
			r = ike_auth_psk(sa->keys.prf, sa->reply_psk.ptr,
					 sa->reply_psk.len, oct.data, oct.len, a);
		else
			r = ike_auth_psk(sa->keys.prf, cfg->psk, cfg->psk_len,
					 oct.data, oct.len, a);
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

/* See ike_eap_int.h. */
int exch_auth_put_msk(const struct ike_sa *sa, struct ike_msg_builder *mb,
		      const struct ike_key *msk, const uint8_t *idb,
		      size_t idb_len)
{
	return put_auth(sa, mb, idb, idb_len, msk);
}

/* See ike_eap_int.h: IDx, CERT*, [CERTREQ, IDr, N(...)], [AUTH]. */
int exch_auth_put_identity(const struct ike_sa *sa, struct ike_msg_builder *mb,
			   uint8_t id_pl, bool with_auth)
{
	const struct ike_exch_cfg *cfg = sa->cfg;
	struct ike_buf idb;
	int r;

	ike_buf_init(&idb);
	r = exch_auth_id_body(cfg, &idb);
	if (r == 0)
		r = ike_id_build(mb, id_pl, cfg->id_type, cfg->id, cfg->id_len);
	for (size_t i = 0; r == 0 && cfg->auth == IKE_EXCH_AUTH_SIG &&
	     !sa->reply_psk.ptr && i < cfg->n_certs; i++)
		r = ike_cert_build(mb, IKE_CERT_X509_SIG, cfg->certs[i].ptr,
				   cfg->certs[i].len);
	if (r == 0 && sa->initiator && cfg->peer_auth == IKE_EXCH_AUTH_SIG)
		exch_put_certreq(sa, mb);
	if (r == 0 && sa->initiator && cfg->peer_id_type && cfg->peer_id)
		r = ike_id_build(mb, IKE_PL_IDR, cfg->peer_id_type, cfg->peer_id,
				 cfg->peer_id_len);
	if (r == 0 && with_auth)
		r = put_auth(sa, mb, idb.data, idb.len, NULL);
	/* INITIAL_CONTACT / MOBIKE_SUPPORTED are added by exch_seal() */
	ike_buf_free(&idb);
	return r;
}

/* ---- the peer's side ------------------------------------------------------------ */

/* Does certificate x name this ID? (RFC 4945 3.1 / 3.2) */
static bool cert_names_id(X509 *ee, uint8_t type, const uint8_t *data,
			  size_t len)
{
	char buf[IKE_EXCH_MAX_ID + 1];
	unsigned char *der = NULL;
	bool ok = false;
	int dl;

	switch (type) {
	case IKE_ID_FQDN:
	case IKE_ID_RFC822_ADDR:
		if (len > IKE_EXCH_MAX_ID || memchr(data, 0, len))
			return false;
		memcpy(buf, data, len);
		buf[len] = 0;
		if (type == IKE_ID_FQDN)
			return X509_check_host(ee, buf, len, 0, NULL) == 1;
		return X509_check_email(ee, buf, len, 0) == 1;
	case IKE_ID_IPV4_ADDR:
	case IKE_ID_IPV6_ADDR:
		return X509_check_ip(ee, data, len, 0) == 1;
	case IKE_ID_DER_ASN1_DN:
		dl = i2d_X509_NAME(X509_get_subject_name(ee), &der);
		ok = dl > 0 && (size_t)dl == len && memcmp(der, data, len) == 0;
		OPENSSL_free(der);
		return ok;
	default:
		return false;
	}
}

/* Record the first failure reason; returns -EACCES. */
static int auth_refuse(struct ike_sa *sa, uint8_t reason)
{
	if (!sa->auth.fail)
		sa->auth.fail = reason;
	return -EACCES;
}

/*
 * Verify the peer's certificate chain (first CERT = end entity, the others
 * untrusted intermediates) against cfg->trust at cfg->now, and that it
 * names id.  Records the certificate in sa->auth.cert and the reason of a
 * failure in sa->auth.fail.  Returns the end-entity's key (caller frees)
 * or NULL.
 */
static EVP_PKEY *peer_cert_key(struct ike_sa *sa, const struct ike_chain *in,
			       const struct ike_id *id)
{
	const struct ike_exch_cfg *cfg = sa->cfg;
	STACK_OF(X509) *chain = sk_X509_new_null();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509 *ee = NULL;
	EVP_PKEY *key = NULL;
	size_t n = 0;
	uint8_t why = IKE_AF_INTERNAL;

	if (!chain || !ctx)
		goto out;
	why = IKE_AF_CERT_INVALID;
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
			why = IKE_AF_INTERNAL;
			goto out;
		}
	}
	if (!ee)
		goto out;
	ike_cert_info_fill(ee, &sa->auth.cert);
	if (!cfg->trust || !X509_STORE_CTX_init(ctx, cfg->trust, ee, chain)) {
		why = IKE_AF_INTERNAL;
		goto out;
	}
	if (cfg->now)
		X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx),
					   (time_t)cfg->now);
	else
		X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx),
					    X509_V_FLAG_NO_CHECK_TIME);
	if (X509_verify_cert(ctx) != 1) {
		why = ike_cert_verify_fail(X509_STORE_CTX_get_error(ctx));
		if (why == IKE_AF_NONE)
			why = IKE_AF_CERT_INVALID;
		goto out;
	}
	if (!cert_names_id(ee, id->type, id->data, id->len))
		goto out;	/* IKE_AF_CERT_INVALID */
	key = X509_get_pubkey(ee);
	if (!key)
		why = IKE_AF_INTERNAL;
out:
	if (!key)
		auth_refuse(sa, why);
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(chain, X509_free);
	X509_free(ee);
	ERR_clear_error();
	return key;
}

/* Record the peer's ID (3.5) from in; -EBADMSG when missing/malformed. */
static int record_peer_id(struct ike_sa *sa, const struct ike_chain *in,
			  const struct ike_pl **idp_out)
{
	const struct ike_pl *idp = ike_chain_find(in, sa->initiator ?
						  IKE_PL_IDR : IKE_PL_IDI, 0);
	struct ike_id id;

	if (!idp || ike_id_parse(idp->body, idp->len, &id) < 0 ||
	    id.len > IKE_EXCH_MAX_ID)
		return -EBADMSG;
	sa->peer_id_type = id.type;
	memcpy(sa->peer_id, id.data, id.len);
	sa->peer_id_len = id.len;
	if (idp_out)
		*idp_out = idp;
	return 0;
}

/* Does the peer's ID match cfg->peer_id (when one is configured)? */
static bool peer_id_ok(const struct ike_sa *sa)
{
	const struct ike_exch_cfg *cfg = sa->cfg;

	return !cfg->peer_id_type ||
	       (sa->peer_id_type == cfg->peer_id_type &&
		sa->peer_id_len == cfg->peer_id_len &&
		memcmp(sa->peer_id, cfg->peer_id, sa->peer_id_len) == 0);
}

/* The PSK to check the peer's AUTH with: cfg->peer_psk or psk_lookup(). */
static int peer_psk(struct ike_sa *sa, struct ike_key *out)
{
	const struct ike_exch_cfg *cfg = sa->cfg;
	int r;

	if (cfg->peer_psk && cfg->peer_psk_len)
		return ike_key_dup(out, cfg->peer_psk, cfg->peer_psk_len);
	if (!cfg->psk_lookup)
		return auth_refuse(sa, IKE_AF_UNKNOWN_USER);
	r = cfg->psk_lookup(cfg->auth_arg, sa->peer_id_type, sa->peer_id,
			    sa->peer_id_len, out);
	if (r == 0 && (!out->ptr || out->len == 0)) {
		ike_key_free(out);
		r = -EINVAL;
	}
	if (r == -ENOENT)
		return auth_refuse(sa, IKE_AF_UNKNOWN_USER);
	if (r == -EPERM)
		return auth_refuse(sa, IKE_AF_LOCKED);
	if (r < 0)
		return auth_refuse(sa, IKE_AF_INTERNAL);
	return 0;
}

/* See ike_eap_int.h: the peer's ID and AUTH (2.15); the peer signed its
 * first message | our nonce | prf(SK_px, its ID body). */
int exch_auth_verify_peer(struct ike_sa *sa, const struct ike_chain *in)
{
	const struct ike_pl *idp = NULL;
	const struct ike_pl *ap = ike_chain_find(in, IKE_PL_AUTH, 0);
	bool peer_is_i = !sa->initiator;
	struct ike_id id;
	struct ike_auth a;
	struct ike_buf oct;
	int r;

	if (record_peer_id(sa, in, &idp) < 0 || !ap ||
	    ike_auth_parse(ap->body, ap->len, &a) < 0 ||
	    ike_id_parse(idp->body, idp->len, &id) < 0)
		return -EBADMSG;
	sa->peer_auth_method = a.method;
	sa->auth.method = a.method == IKE_AUTH_PSK ? IKE_PM_PSK : IKE_PM_PUBKEY;
	if (!peer_id_ok(sa))
		return auth_refuse(sa, IKE_AF_BAD_AUTH);
	if (!method_allowed(sa->cfg, a.method == IKE_AUTH_PSK ?
			    IKE_EXCH_M_PSK : IKE_EXCH_M_PUBKEY))
		return auth_refuse(sa, IKE_AF_METHOD);	/* no downgrade */
	ike_buf_init(&oct);
	r = octets(sa, peer_is_i, idp->body, idp->len, &oct);
	if (r < 0) {
		ike_buf_free(&oct);
		return r == -ENOMEM ? auth_refuse(sa, IKE_AF_INTERNAL) : r;
	}
	if (a.method == IKE_AUTH_PSK) {
		struct ike_key k = { 0 };

		r = peer_psk(sa, &k);
		if (r == 0 && ike_auth_psk_verify(sa->keys.prf, k.ptr, k.len,
						  oct.data, oct.len, a.data,
						  a.len) < 0)
			r = auth_refuse(sa, IKE_AF_BAD_AUTH);
		if (r == 0 && !sa->initiator && sa->cfg->psk_reply) {
			/* our AUTH will use the same key (cfg->psk_reply) */
			ike_key_free(&sa->reply_psk);
			sa->reply_psk = k;
			memset(&k, 0, sizeof(k));
		}
		ike_key_free(&k);
	} else {
		EVP_PKEY *key = peer_cert_key(sa, in, &id);
		struct ike_auth_sig used = { 0 };

		r = -EACCES;
		if (key) {
			r = ike_auth_verify(a.method, a.data, a.len, key,
					    oct.data, oct.len, &used);
			if (r < 0)
				r = auth_refuse(sa, IKE_AF_BAD_AUTH);
		}
		sa->peer_auth_hash = used.hash;
		sa->peer_auth_pss = used.rsa_pss;
		EVP_PKEY_free(key);
	}
	ike_buf_free(&oct);
	return r < 0 ? -EACCES : 0;
}

/* See ike_eap_int.h. */
int exch_auth_verify_msk(const struct ike_sa *sa, const struct ike_chain *in,
			 const struct ike_key *msk, const uint8_t *idb,
			 size_t idb_len)
{
	const struct ike_pl *ap = ike_chain_find(in, IKE_PL_AUTH, 0);
	struct ike_auth a;
	struct ike_buf oct;
	int r;

	if (!ap || ike_auth_parse(ap->body, ap->len, &a) < 0)
		return -EBADMSG;
	/* 2.16: the shared secret is the MSK, method "Shared Key" */
	if (a.method != IKE_AUTH_PSK || !msk || !msk->ptr)
		return -EACCES;
	ike_buf_init(&oct);
	r = octets(sa, !sa->initiator, idb, idb_len, &oct);
	if (r == 0)
		r = ike_auth_psk_verify(sa->keys.prf, msk->ptr, msk->len,
					oct.data, oct.len, a.data, a.len);
	ike_buf_free(&oct);
	return r < 0 ? -EACCES : 0;
}

/* See ike_eap_int.h: IDi recorded, IDr (3.5: "the responder MAY ... IDr
 * ... is the identity the initiator wants to talk to") must name our id or
 * our end-entity certificate. */
int exch_auth_check_ids(struct ike_sa *sa, const struct ike_chain *in)
{
	const struct ike_exch_cfg *cfg = sa->cfg;
	const struct ike_pl *idr = ike_chain_find(in, IKE_PL_IDR, 0);
	struct ike_id id;
	bool ok;

	if (record_peer_id(sa, in, NULL) < 0)
		return -EBADMSG;
	if (!idr)
		return 0;	/* Windows sends none */
	if (ike_id_parse(idr->body, idr->len, &id) < 0)
		return -EBADMSG;
	ok = id.type == cfg->id_type && id.len == cfg->id_len &&
	     memcmp(id.data, cfg->id, id.len) == 0;
	if (!ok && cfg->auth == IKE_EXCH_AUTH_SIG && cfg->n_certs > 0 &&
	    cfg->certs[0].len <= LONG_MAX) {
		const unsigned char *p = cfg->certs[0].ptr;
		X509 *x = d2i_X509(NULL, &p, (long)cfg->certs[0].len);

		ok = x && cert_names_id(x, id.type, id.data, id.len);
		X509_free(x);
		ERR_clear_error();
	}
	return ok ? 0 : auth_refuse(sa, IKE_AF_PEER_ID);
}

/* ---- CHILD SA of IKE_AUTH ------------------------------------------------------- */

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

/* See ike_exchange.h: the IKE_AUTH request (first, or an EAP round). */
int ike_sa_auth_build(struct ike_sa *sa, struct ike_buf *out)
{
	const struct ike_exch_cfg *cfg = sa->cfg;
	bool eap = cfg->auth == IKE_EXCH_AUTH_EAP;
	bool first = !sa->eap;
	struct ike_buf in;
	struct ike_msg_builder mb;
	struct ike_hdr h;
	uint32_t spi = 0;
	int n = 0, r;

	if (!sa->initiator || sa->state != IKE_ST_INIT_DONE)
		return -EINVAL;
	if (sa->pend.kind != IKE_PEND_NONE)
		return -EBUSY;
	if (first) {
		r = exch_child_spi(sa, &spi);
		if (r < 0)
			return r;
		sa->spi_held = spi;
		n = exch_child_offer(sa, spi, 0, sa->pend.props,
				     IKE_EXCH_MAX_PROPS);
		if (n < 0) {
			exch_spi_drop(sa);
			return n;
		}
	}
	ike_buf_init(&in);
	ike_mb_begin_chain(&mb, &in);
	if (!first) {
		r = exch_eap_build(sa, &mb);	/* restores sa->pend's offer */
	} else {
		r = exch_auth_put_identity(sa, &mb, IKE_PL_IDI, !eap);
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
		}
	}
	if (r == 0)
		r = ike_mb_finish(&mb);
	exch_hdr(sa, &h, IKE_AUTH, false, sa->my_msg_id);
	if (r >= 0)
		r = exch_seal(sa, out, &h, &in, mb.first);
	ike_buf_free(&in);
	if (r < 0) {
		if (first) {
			exch_pend_clear(&sa->pend);
			exch_spi_drop(sa);
		}
		return r;
	}
	sa->pend.kind = IKE_PEND_AUTH;
	sa->pend.msg_id = sa->my_msg_id;
	if (first) {
		sa->pend.n_props = (size_t)n;
		sa->pend.spi = spi;
		sa->pend.tsi = cfg->ts_local;
		sa->pend.tsr = cfg->ts_remote;
		if (eap) {
			r = exch_eap_sent(sa);
			if (r < 0) {
				exch_pend_clear(&sa->pend);
				exch_spi_drop(sa);
				return r;
			}
		}
	}
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

/* See ike_exchange_int.h. */
const struct ike_ts_list *exch_perm_local(const struct ike_sa *sa)
{
	return sa->have_own_local ? &sa->own_local : &sa->cfg->ts_local;
}

/* See ike_exchange_int.h. */
const struct ike_ts_list *exch_perm_remote(const struct ike_sa *sa)
{
	return sa->have_own_remote ? &sa->own_remote : &sa->cfg->ts_remote;
}

/* Responder: fix the selectors of this peer once it is authenticated
 * (cfg->ts_local_for; perm_i holds the CP-assigned addresses when cp). */
static void fix_own_selectors(struct ike_sa *sa, const struct ike_ts_list *perm_i, bool cp)
{
	const struct ike_exch_cfg *cfg = sa->cfg;

	if (cp) {
		sa->own_remote = *perm_i;
		sa->have_own_remote = true;
	}
	if (cfg->ts_local_for) {
		struct ike_ts_list own;
		bool ok;

		memset(&own, 0, sizeof(own));
		ok = cfg->ts_local_for(cfg->auth_arg, sa, &own) == 0 && own.n <= IKE_MAX_TS;
		for (size_t i = 0; ok && i < own.n; i++)
			ok = ike_ts_valid(&own.ts[i]);
		if (ok) {
			sa->own_local = own;
			sa->have_own_local = true;
		}
	}
}

/* Responder: the CP reply (3.15.4). */
static void put_cp_reply(struct ike_msg_builder *mb,
			 const struct ike_cp_reply *reply)
{
	size_t off = ike_mb_pl_begin(mb, IKE_PL_CP, false);
	int r;

	if (off == SIZE_MAX)
		return;
	r = ike_cp_build_reply(mb->b, reply);
	if (r < 0)
		ike_mb_fail(mb, r);
	ike_mb_pl_end(mb, off);
}

/* See ike_eap_int.h. */
int exch_auth_fail(struct ike_sa *sa, uint32_t msg_id, uint8_t reason,
		   int eap_id, struct ike_buf *out, struct ike_exch_result *res)
{
	struct ike_buf ib;
	struct ike_msg_builder mb;
	struct ike_hdr h;
	int r;

	auth_refuse(sa, reason);
	ike_buf_init(&ib);
	ike_mb_begin_chain(&mb, &ib);
	/* RFC 3748 4.2: EAP-Failure ends the conversation; 2.21.2: "the
	 * responder MUST send an AUTHENTICATION_FAILED notification" */
	if (eap_id >= 0)
		ike_eap_build(&mb, EAP_FAILURE, (uint8_t)eap_id, 0, NULL, 0);
	ike_notify_build(&mb, 0, IKE_N_AUTHENTICATION_FAILED, NULL, 0, NULL, 0);
	r = ike_mb_finish(&mb);
	exch_hdr(sa, &h, IKE_AUTH, true, msg_id);
	if (r >= 0)
		r = exch_seal(sa, out, &h, &ib, mb.first);
	ike_buf_free(&ib);
	res->notify = IKE_N_AUTHENTICATION_FAILED;
	sa->state = IKE_ST_FAILED;
	exch_eap_free(sa);
	ike_key_free(&sa->reply_psk);
	return r < 0 ? r : 1;
}

/* See ike_eap_int.h. */
int exch_auth_finish(struct ike_sa *sa, uint32_t msg_id,
		     const struct ike_chain *req, const struct ike_key *msk,
		     struct ike_buf *out, struct ike_exch_result *res)
{
	const struct ike_exch_cfg *cfg = sa->cfg;
	const struct ike_pl *cp = ike_chain_find(req, IKE_PL_CP, 0);
	const struct ike_cp_reply *reply = cfg->cp_reply;
	struct ike_cp_reply assigned;
	struct ike_proposal mine[IKE_EXCH_MAX_PROPS], sel;
	struct ike_ts_list tsi, tsr, perm_i = cfg->ts_remote;
	bool cp_reply = false;
	struct ike_buf ib, idb;
	struct ike_msg_builder mb;
	struct ike_hdr h;
	uint16_t child_err = 0;
	uint32_t spi = 0;
	int nm, r;

	if (cp) {
		struct ike_cp creq;

		if (ike_cp_parse(cp->body, cp->len, &creq) < 0)
			return -EBADMSG;
		if (creq.cfg_type == IKE_CFG_REQUEST && cfg->cp_assign) {
			memset(&assigned, 0, sizeof(assigned));
			reply = NULL;
			if (cfg->cp_assign(cfg->auth_arg, sa, &assigned) == 0)
				reply = &assigned;
			else
				child_err = IKE_N_INTERNAL_ADDRESS_FAILURE;
		}
		if (creq.cfg_type == IKE_CFG_REQUEST && reply &&
		    (reply->has_ip4 || reply->has_ip6)) {
			cp_reply = true;
			/* the client's inner addresses are the only TSi */
			perm_i.n = 0;
			if (reply->has_ip4)
				ike_ts_from_cidr(&perm_i.ts[perm_i.n++],
						 IKE_TS_IPV4_ADDR_RANGE,
						 reply->ip4, 32, 0, 0, 65535);
			if (reply->has_ip6)
				ike_ts_from_cidr(&perm_i.ts[perm_i.n++],
						 IKE_TS_IPV6_ADDR_RANGE,
						 reply->ip6, 128, 0, 0, 65535);
		}
	}
	fix_own_selectors(sa, &perm_i, cp_reply);
	nm = exch_child_offer(sa, 0, 0, mine, IKE_EXCH_MAX_PROPS);
	if (child_err) {
		/* keep INTERNAL_ADDRESS_FAILURE */
	} else if (nm < 0) {
		child_err = IKE_N_NO_PROPOSAL_CHOSEN;
	} else {
		r = exch_child_select(req, mine, (size_t)nm, &perm_i,
				      exch_perm_local(sa), &sel, &tsi, &tsr);
		if (r < 0)
			return r;
		child_err = (uint16_t)r;
	}
	/* our inbound SPI; none now: 3.10.1 TEMPORARY_FAILURE (retry later),
	 * the IKE SA is still set up (1.2) */
	if (!child_err && exch_child_spi(sa, &spi) < 0)
		child_err = IKE_N_TEMPORARY_FAILURE;
	ike_buf_init(&ib);
	ike_buf_init(&idb);
	ike_mb_begin_chain(&mb, &ib);
	if (msk) {
		/* 2.16: "HDR, SK {AUTH, ...}" computed with the MSK */
		r = exch_auth_id_body(cfg, &idb);
		if (r == 0)
			r = exch_auth_put_msk(sa, &mb, msk, idb.data, idb.len);
	} else {
		r = exch_auth_put_identity(sa, &mb, IKE_PL_IDR, true);
	}
	if (r == 0 && child_err) {
		ike_notify_build(&mb, 0, child_err, NULL, 0, NULL, 0);
	} else if (r == 0) {
		int slot = exch_child_slot(sa);

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
				put_cp_reply(&mb, reply);
			ike_sa_build(&mb, &sel, 1);
			exch_put_ts(&mb, IKE_PL_TSI, &tsi);
			exch_put_ts(&mb, IKE_PL_TSR, &tsr);
		}
	}
	if (r >= 0)
		r = ike_mb_finish(&mb);
	exch_hdr(sa, &h, IKE_AUTH, true, msg_id);
	if (r >= 0)
		r = exch_seal(sa, out, &h, &ib, mb.first);
	ike_buf_free(&ib);
	ike_buf_free(&idb);
	sodium_memzero(&assigned, sizeof(assigned));
	if (r < 0) {
		if (res->child >= 0)
			exch_child_release(sa, res->child);
		res->child = -1;
		exch_child_spi_free(sa, spi);	/* not a CHILD SA after all */
		return r;
	}
	res->notify = child_err;
	res->established = true;
	res->initial_contact = sa->peer_initial_contact;
	sa->auth.fail = IKE_AF_NONE;
	sa->state = IKE_ST_ESTABLISHED;
	exch_eap_free(sa);
	return 1;
}

/* Responder: IKE_AUTH request -> response (see the top of this file). */
int exch_auth_request(struct ike_sa *sa, const struct ike_msg_view *v,
		      const struct ike_chain *in, struct ike_buf *out,
		      struct ike_exch_result *res)
{
	int r;

	if (sa->eap)
		return exch_eap_request(sa, v, in, out, res);
	/* 2.16: "the initiator ... indicates its desire to use EAP by
	 * leaving out the AUTH payload" */
	if (!ike_chain_find(in, IKE_PL_AUTH, 0))
		return exch_eap_start(sa, v, in, out, res);
	r = exch_auth_check_ids(sa, in);
	if (r == 0)
		r = exch_auth_verify_peer(sa, in);
	if (r == -EBADMSG)
		return r;
	if (r < 0)
		/* 2.21.2: "... the responder MUST send an
		 * AUTHENTICATION_FAILED notification in the IKE_AUTH
		 * response" */
		return exch_auth_fail(sa, v->hdr.msg_id, IKE_AF_BAD_AUTH, -1,
				      out, res);
	r = exch_auth_finish(sa, v->hdr.msg_id, in, NULL, out, res);
	ike_key_free(&sa->reply_psk);	/* IKE_AUTH is over either way */
	return r;
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

/* See ike_eap_int.h. */
int exch_auth_child_done(struct ike_sa *sa, const struct ike_chain *in,
			 uint16_t err, struct ike_exch_result *res)
{
	const struct ike_pl *s;
	struct ike_proposal reply;
	struct ike_ts_list tsi, tsr;
	size_t n = 0;
	int slot, r;

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

/* Initiator: the IKE_AUTH response (see the top of this file). */
int exch_auth_response(struct ike_sa *sa, const struct ike_chain *in,
		       struct ike_exch_result *res)
{
	uint16_t err, g;
	int r;

	if (sa->eap)
		return exch_eap_response(sa, in, res);
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
	r = exch_auth_verify_peer(sa, in);
	if (r == -EBADMSG)
		return r;
	if (r < 0) {
		sa->state = IKE_ST_FAILED;
		return -EACCES;
	}
	return exch_auth_child_done(sa, in, err, res);
}
