/*
 * responder_cfg.c — the responder's configuration generation (the engine's
 * struct ike_exch_cfg built from ragd.conf and the certificates) and the
 * engine callbacks that consult the pools.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "daemon.h"
#include "log.h"
#include "responder_int.h"
#include <openssl/x509.h>

#include "ike_eap_tls.h"
#include "ike_proposal.h"

/* ---- the configuration generation --------------------------------------------- */

void gen_unref(struct rag_resp_gen *g)
{
	if (!g || --g->refs)
		return;
	for (size_t i = 0; i < IKE_EXCH_MAX_CERTS; i++)
		OPENSSL_free(g->der[i]);
	SSL_CTX_free(g->eap_tls);
	EVP_PKEY_free(g->key);
	X509_STORE_free(g->trust);
	free(g);
}

/* An address of pool p for identity ident: the remembered one when free;
 * with INITIAL_CONTACT (2.4) also when the identity's old SA, which is
 * about to go, still holds it. */
static int pool_get(struct rag_pool *p, const struct ike_sa *ike, const char *ident,
		    size_t n, uint8_t out[16])
{
	if (ike->peer_initial_contact && rag_pool_share(p, ident, n, out) == 0)
		return 1;
	return rag_pool_alloc(p, ident, n, out);
}

/* ---- split tunnel: what a user may reach (issue 4 point 3) -------------------------
 *
 * With split-tunnel = yes, TSr and the CP INTERNAL_IP4_SUBNET /
 * INTERNAL_IP6_SUBNET attributes of a user are the destinations of the
 * user's permit rules in the current policy snapshot plus the DNS servers
 * handed out (the client sends its queries there; whether they are
 * answered is the policy's decision), merged into at most
 * IKE_CP_MAX_SUBNETS prefixes per family (widened when needed, never
 * narrower than the rules: pol_user_dests).  2 x IKE_CP_MAX_SUBNETS =
 * IKE_MAX_TS selectors.  They are fixed when the user authenticates: a
 * policy change does not renegotiate the selectors of live SAs; the
 * nftables enforcement applies every change at once, so a revoked permit
 * ends now, while a destination newly permitted outside the user's TSr is
 * reachable from the next connection on.
 */
#define SPLIT_MAX IKE_CP_MAX_SUBNETS

/* The split-tunnel destinations of the SA authenticating on this worker
 * thread: 0 with p4[*n4], p6[*n6], or negative (no policy: the caller
 * falls back to everything, a superset). */
static int split_dests(struct rag_resp_gen *g, const struct ike_sa *ike, struct pol_prefix *p4,
		       size_t *n4, struct pol_prefix *p6, size_t *n6)
{
	struct rag_sa *sa = rag_resp_cur;
	char user[RAG_SA_USER_MAX + 1];
	const struct pol_snapshot *s;

	*n4 = *n6 = 0;
	if (!sa || sa->ike != ike)
		return -EINVAL;
	s = ragd_policy_get(g->r->d);
	if (!s)
		return -ENOENT;
	resp_canonical_user(g->r, sa, user, sizeof(user));
	if (g->split4)
		*n4 = pol_user_dests(s, user, AF_INET, g->split_dns, g->n_split_dns, p4, SPLIT_MAX);
	if (g->split6)
		*n6 = pol_user_dests(s, user, AF_INET6, g->split_dns, g->n_split_dns, p6,
				     SPLIT_MAX);
	pol_snapshot_unref(s);
	return 0;
}

/* Worker thread (engine callback ts_local_for): the TSr of the SA being
 * authenticated. */
static int ts_local_cb(void *arg, const struct ike_sa *ike, struct ike_ts_list *out)
{
	struct rag_resp_gen *g = arg;
	struct pol_prefix p[2][SPLIT_MAX];
	size_t n[2];
	int r = split_dests(g, ike, p[0], &n[0], p[1], &n[1]);

	if (r < 0)
		return r;
	out->n = 0;
	for (int f = 0; f < 2; f++)
		for (size_t i = 0; i < n[f] && out->n < IKE_MAX_TS; i++)
			if (ike_ts_from_cidr(&out->ts[out->n], f ? IKE_TS_IPV6_ADDR_RANGE :
					     IKE_TS_IPV4_ADDR_RANGE, p[f][i].addr, p[f][i].len, 0,
					     0, 65535) == 0)
				out->n++;
	if (!out->n) {
		char ident[RAG_SA_USER_MAX + 1], q[RAG_QUOTE_MAX];

		identity_text(ike, ident, sizeof(ident));
		log_notice("split tunnel: %s may reach nothing (no permit rule, no dns "
			   "server): its CHILD SAs get TS_UNACCEPTABLE",
			   rag_quote_str(q, sizeof(q), ident));
	}
	return 0;
}

/* Worker thread (engine callback): assign virtual addresses from the pools
 * to the SA being processed (sticky per identity); with a split tunnel also
 * the user's INTERNAL_IP4/6_SUBNET routes. */
static int cp_assign_cb(void *arg, const struct ike_sa *ike, struct ike_cp_reply *out)
{
	struct rag_resp_gen *g = arg;
	struct rag_resp *r = g->r;
	struct rag_sa *sa = rag_resp_cur;
	char ident[RAG_SA_USER_MAX + 1];
	size_t n = identity_text(ike, ident, sizeof(ident));
	int rc4 = 0, rc6 = 0;

	if (!sa || sa->ike != ike)
		return -EINVAL;
	*out = g->cp_tmpl;
	pthread_mutex_lock(&r->pool_mu);
	if (r->pool4.family && !sa->have_vip4) {
		rc4 = pool_get(&r->pool4, ike, ident, n, sa->vip4);
		sa->have_vip4 = rc4 >= 0;
	}
	if (r->pool6.family && !sa->have_vip6) {
		rc6 = pool_get(&r->pool6, ike, ident, n, sa->vip6);
		sa->have_vip6 = rc6 >= 0;
	}
	pthread_mutex_unlock(&r->pool_mu);
	if (rc4 < 0 || rc6 < 0)
		return -ENOSPC;		/* released in sa_destroy */
	if (sa->have_vip4) {
		out->has_ip4 = true;
		memcpy(out->ip4, sa->vip4, 4);
	}
	if (sa->have_vip6) {
		out->has_ip6 = true;
		memcpy(out->ip6, sa->vip6, 16);
		out->ip6_prefix = 128;
	}
	if (g->split) {
		struct pol_prefix p4[SPLIT_MAX], p6[SPLIT_MAX];
		size_t n4, n6;

		if (split_dests(g, ike, p4, &n4, p6, &n6) == 0) {
			for (size_t i = 0; i < n4; i++) {
				uint32_t m = p4[i].len ? 0xffffffffu << (32 - p4[i].len) : 0;

				m = htonl(m);
				memcpy(out->subnet4[i].addr, p4[i].addr, 4);
				memcpy(out->subnet4[i].mask, &m, 4);
			}
			out->n_subnet4 = (uint8_t)n4;
			for (size_t i = 0; i < n6; i++) {
				memcpy(out->subnet6[i].addr, p6[i].addr, 16);
				out->subnet6[i].prefix = p6[i].len;
			}
			out->n_subnet6 = (uint8_t)n6;
		}
	}
	return 0;
}

/* Add selector "addr/prefix" to l (ignored when full). */
static void ts_add(struct ike_ts_list *l, int family, const uint8_t *addr, unsigned int prefix)
{
	if (l->n >= IKE_MAX_TS)
		return;
	if (ike_ts_from_cidr(&l->ts[l->n], family == AF_INET ? IKE_TS_IPV4_ADDR_RANGE :
			     IKE_TS_IPV6_ADDR_RANGE, addr, prefix, 0, 0, 65535) == 0)
		l->n++;
}

/* Build a generation from the running configuration and certificates.
 * Returns it (refs = 1) or NULL with err filled. */
struct rag_resp_gen *gen_build(struct rag_resp *r, char *err, size_t errlen)
{
	const struct rag_config *c = r->d->cfg;
	const struct rag_pki *pki = &r->d->pki;
	struct rag_resp_gen *g = calloc(1, sizeof(*g));
	struct ike_exch_cfg *x;
	static const uint8_t zero[16];
	size_t nc = 0;

	if (!g) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->refs = 1;
	g->r = r;
	x = &g->cfg;
	if (c->n_ike > IKE_EXCH_MAX_PROPS || c->n_esp > IKE_EXCH_MAX_PROPS)
		log_warn("[proposals]: only the first %d IKE and ESP proposals are used",
			 IKE_EXCH_MAX_PROPS);
	for (size_t i = 0; i < c->n_ike && i < IKE_EXCH_MAX_PROPS; i++)
		g->ike_props[x->n_ike_props++] = c->ike[i];
	for (size_t i = 0; i < c->n_esp && i < IKE_EXCH_MAX_PROPS; i++)
		g->child_props[x->n_child_props++] = c->esp[i];
	x->ike_props = g->ike_props;
	x->child_props = g->child_props;
	x->allow_legacy_dh = c->legacy;

	/* who we are: the configured id, our certificate chain */
	switch (c->id_kind) {
	case RAG_ID_IPV4:
		x->id_type = IKE_ID_IPV4_ADDR;
		x->id_len = inet_pton(AF_INET, c->id, g->id) == 1 ? 4 : 0;
		break;
	case RAG_ID_IPV6:
		x->id_type = IKE_ID_IPV6_ADDR;
		x->id_len = inet_pton(AF_INET6, c->id, g->id) == 1 ? 16 : 0;
		break;
	case RAG_ID_DN: {
		unsigned char *p = NULL;
		int n = i2d_X509_NAME(X509_get_subject_name(pki->cert), &p);

		x->id_type = IKE_ID_DER_ASN1_DN;
		if (n > 0 && (size_t)n <= sizeof(g->id)) {
			memcpy(g->id, p, (size_t)n);
			x->id_len = (size_t)n;
		}
		OPENSSL_free(p);
		break;
	}
	default:
		x->id_type = IKE_ID_FQDN;
		x->id_len = strlen(c->id);
		memcpy(g->id, c->id, x->id_len);
		break;
	}
	x->id = g->id;
	x->auth = IKE_EXCH_AUTH_SIG;
	if (!EVP_PKEY_up_ref(pki->key)) {
		snprintf(err, errlen, "private key reference failed");
		goto fail;
	}
	g->key = pki->key;
	x->key = g->key;
	for (int i = -1; pki->cert && i < (pki->chain ? sk_X509_num(pki->chain) : 0) &&
	     nc < IKE_EXCH_MAX_CERTS; i++) {
		X509 *xc = i < 0 ? pki->cert : sk_X509_value(pki->chain, i);
		unsigned char *p = NULL;
		int n = i2d_X509(xc, &p);

		if (n <= 0) {
			snprintf(err, errlen, "cannot encode certificate %d", i + 1);
			goto fail;
		}
		g->der[nc] = p;
		g->certs[nc].ptr = p;
		g->certs[nc].len = (size_t)n;
		nc++;
	}
	x->certs = g->certs;
	x->n_certs = nc;

	/* whom we accept: certificates from `ca`; EAP / PSK need the users
	 * module (user store, NT hashes, PSKs) */
	if (pki->cas && sk_X509_num(pki->cas) > 0) {
		g->trust = X509_STORE_new();
		if (!g->trust) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		for (int i = 0; i < sk_X509_num(pki->cas); i++)
			X509_STORE_add_cert(g->trust, sk_X509_value(pki->cas, i));
		x->trust = g->trust;
	}
	for (size_t i = 0; i < c->n_methods; i++) {
		switch (c->methods[i]) {
		case RAG_AUTH_PUBKEY:
			if (x->trust)
				x->methods |= IKE_EXCH_M_PUBKEY;
			else
				log_warn("[auth] pubkey: no `ca` configured, client "
					 "certificates cannot be verified: disabled");
			break;
		case RAG_AUTH_PSK:
			if (r->d->users) {
				x->methods |= IKE_EXCH_M_PSK;
				x->psk_lookup = resp_psk_cb;
				/* PSK clients (NetworkManager, iOS, Android)
				 * expect our AUTH by the same key */
				x->psk_reply = true;
			}
			break;
		case RAG_AUTH_EAP_MSCHAPV2:
			if (r->d->users && r->mschap) {
				x->methods |= IKE_EXCH_M_EAP_MSCHAPV2;
				x->eap_nt_hash = resp_nt_hash_cb;
				x->mschap = r->mschap;
				if (!x->eap_first)
					x->eap_first = EAP_TYPE_MSCHAPV2;
			}
			break;
		case RAG_AUTH_EAP_TLS:
			if (!x->trust) {
				log_warn("[auth] eap-tls: no `ca` configured: disabled");
				break;
			}
			if (ike_eap_tls_ctx_new(true, g->key, g->certs, nc, g->trust,
						&g->eap_tls) < 0) {
				log_warn("[auth] eap-tls: cannot set up TLS: disabled");
				break;
			}
			x->methods |= IKE_EXCH_M_EAP_TLS;
			x->eap_tls = g->eap_tls;
			if (!x->eap_first)
				x->eap_first = EAP_TYPE_TLS;
			break;
		default:
			break;
		}
	}
	/* Windows starts EAP with an EAP-Identity round (CLIENTS.md); an
	 * empty identity falls back to the IKE ID */
	x->eap_identity_round = (x->methods & (IKE_EXCH_M_EAP_MSCHAPV2 |
					       IKE_EXCH_M_EAP_TLS)) != 0;
	x->eap_server_name = "rag";
	if (!x->methods) {
		snprintf(err, errlen, "[auth] methods: none usable (pubkey and eap-tls need "
			 "`ca`; eap-mschapv2 and psk need the user database)");
		goto fail;
	}
	x->peer_auth = IKE_EXCH_AUTH_SIG;
	x->now = (int64_t)time(NULL);

	/* CHILD SAs: what clients may reach (TSr) and where they are (TSi).
	 * Everything; with a split tunnel ts_local_cb narrows it per user
	 * (and ts_local stays the fallback when there is no policy). */
	ts_add(&x->ts_local, AF_INET, zero, 0);
	if (c->pool6.family)
		ts_add(&x->ts_local, AF_INET6, zero, 0);
	if (c->split_tunnel) {
		g->split = true;
		g->split4 = c->pool4.family || !c->pool6.family;
		g->split6 = c->pool6.family != 0;
		for (size_t i = 0; i < c->n_dns && i < RAG_CONF_MAX_DNS; i++) {
			struct pol_prefix *p = &g->split_dns[g->n_split_dns++];

			memset(p, 0, sizeof(*p));
			p->family = (uint8_t)c->dns[i].family;
			p->len = c->dns[i].family == AF_INET ? 32 : 128;
			memcpy(p->addr, c->dns[i].addr, 16);
		}
		x->ts_local_for = ts_local_cb;
	}
	if (c->pool4.family)
		ts_add(&x->ts_remote, AF_INET, c->pool4.addr, c->pool4.prefix);
	if (c->pool6.family)
		ts_add(&x->ts_remote, AF_INET6, c->pool6.addr, c->pool6.prefix);
	if (!x->ts_remote.n)
		ts_add(&x->ts_remote, AF_INET, zero, 0);
	for (size_t i = 0; i < c->n_dns; i++) {
		if (c->dns[i].family == AF_INET && g->cp_tmpl.n_dns4 < IKE_CP_MAX_DNS)
			memcpy(g->cp_tmpl.dns4[g->cp_tmpl.n_dns4++], c->dns[i].addr, 4);
		if (c->dns[i].family == AF_INET6 && g->cp_tmpl.n_dns6 < IKE_CP_MAX_DNS)
			memcpy(g->cp_tmpl.dns6[g->cp_tmpl.n_dns6++], c->dns[i].addr, 16);
	}
	if (c->dns_domain[0]) {
		snprintf(g->domain, sizeof(g->domain), "%s", c->dns_domain);
		g->cp_tmpl.domains[0] = g->domain;
		g->cp_tmpl.n_domains = 1;
	}
	if (c->pool4.family) {
		/* RFC 7296 3.15.1 INTERNAL_IP4_NETMASK: the pool's mask */
		uint32_t m = c->pool4.prefix ? 0xffffffffu << (32 - c->pool4.prefix) : 0;

		g->cp_tmpl.has_ip4_netmask = true;
		m = htonl(m);
		memcpy(g->cp_tmpl.ip4_netmask, &m, 4);
	}
	x->cp_assign = cp_assign_cb;
	x->auth_arg = g;
	x->mobike = true;
	if (r->kspi) {		/* inbound SPIs from the kernel (responder_kern.c) */
		x->child_spi_alloc = resp_spi_alloc_cb;
		x->child_spi_free = resp_spi_free_cb;
		x->spi_arg = r;
	}
	g->dpd_s = c->dpd;
	g->ike_life_s = c->ike_lifetime;
	g->child_life_s = c->child_lifetime;
	g->half_open_limit = c->half_open_limit;
	return g;
fail:
	gen_unref(g);
	return NULL;
}
