/*
 * responder_kern.c — kernel state of CHILD SAs (kern.h): ESP SAs both ways
 * and in/out/fwd policies on creation and rekey, removal on delete.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <sodium.h>

#include "acl.h"
#include "daemon.h"
#include "log.h"
#include "responder_int.h"
#include "ike_proposal.h"

#define MAX_POLICIES 16		/* kernel policies per CHILD SA */

/* ---- inbound SPIs from the kernel ------------------------------------------------- */

/* The engine's SA as kernel addresses: us, the peer.  -EINVAL without. */
static int ike_kaddrs(const struct ike_sa *ike, struct kern_addr *us, struct kern_addr *peer)
{
	if (!ike->have_endpoints)
		return -EINVAL;
	ep_kaddr(&ike->local, us);
	ep_kaddr(&ike->remote, peer);
	return 0;
}

/*
 * See responder_int.h.  XFRM_MSG_ALLOCSPI leaves a larval state (reqid in
 * our range, so kern_flush_ours() counts it as ours) that reserves the SPI
 * until child_kern_install() fills it with UPDSA (kern_sa_add from_alloc)
 * or resp_spi_free_cb() deletes it; the kernel drops a forgotten one after
 * net.core.xfrm_acq_expires (30 s).  The responder's final reqid replaces
 * the larval one on UPDSA.
 */
int resp_spi_alloc_cb(void *arg, const struct ike_sa *ike, uint32_t *spi)
{
	struct rag_resp *r = arg;
	struct kern_addr us, peer;
	int rc = ike_kaddrs(ike, &us, &peer);

	if (rc < 0)
		return rc;
	pthread_mutex_lock(&r->kspi_mu);
	rc = kern_spi_alloc(r->kspi, &peer, &us, KERN_REQID_MIN, spi);
	if (rc < 0) {
		char ep[64];

		/* the engine answers TEMPORARY_FAILURE */
		log_warn("XFRM_MSG_ALLOCSPI for a CHILD SA with %s: %s%s%s",
			 rag_ep_str(&ike->remote, ep, sizeof(ep)), strerror(-rc),
			 kern_last_error(r->kspi)[0] ? ": " : "", kern_last_error(r->kspi));
	}
	pthread_mutex_unlock(&r->kspi_mu);
	return rc;
}

/* See responder_int.h. */
void resp_spi_free_cb(void *arg, const struct ike_sa *ike, uint32_t spi)
{
	struct rag_resp *r = arg;
	struct kern_addr us, peer;

	if (ike_kaddrs(ike, &us, &peer) < 0)
		return;
	pthread_mutex_lock(&r->kspi_mu);
	(void)kern_sa_del(r->kspi, &us, spi);	/* may have expired already */
	pthread_mutex_unlock(&r->kspi_mu);
}

/* ---- kernel state of CHILD SAs -------------------------------------------------- */

/* Kernel selector(s) for one IKE selector: its prefixes (at most max).
 * Port ranges the kernel cannot express become "any port" of that
 * protocol only when they are the full range; otherwise skipped.
 * Returns the count. */
static size_t ts_to_kern(const struct ike_ts *ts, struct kern_ts *out, size_t max)
{
	struct ike_cidr cidr[8];
	int n = ike_ts_to_cidrs(ts, cidr, 8);
	size_t k = 0;
	bool any_port = ts->start_port == 0 && ts->end_port == 65535;
	bool one_port = ts->start_port == ts->end_port;

	if (n <= 0 || (!any_port && !one_port))
		return 0;
	for (int i = 0; i < n && k < max; i++, k++) {
		memset(&out[k], 0, sizeof(out[k]));
		out[k].family = cidr[i].type == IKE_TS_IPV4_ADDR_RANGE ? AF_INET : AF_INET6;
		memcpy(out[k].addr, cidr[i].addr, 16);
		out[k].prefix = cidr[i].prefix;
		out[k].proto = ts->proto;
		out[k].port_lo = ts->start_port;
		out[k].port_hi = ts->end_port;
	}
	return k;
}

/* A fresh reqid from our range (wraps; 16M lineages). */
static uint32_t reqid_new(struct rag_resp *r)
{
	uint32_t q = r->next_reqid++;

	if (r->next_reqid > KERN_REQID_MAX || r->next_reqid < KERN_REQID_MIN)
		r->next_reqid = KERN_REQID_MIN;
	return q;
}

/* ---- routes to virtual IPs ----------------------------------------------------------- */

/*
 * The kernel routes before it looks up XFRM policies (kern.h), so return
 * traffic to a client's virtual IP needs a route.  ragd keeps one host
 * route per virtual IP (kern_route_add: through the interface and next hop
 * towards the client's outer address, as strongSwan does, which also
 * satisfies strict reverse-path filtering of the decrypted packets) while
 * a CHILD SA of the client has its policies in the kernel, and none
 * otherwise: then the pool's unreachable route (kern_init) answers
 * instead of a less specific route carrying the traffic in the clear.
 * force: the client moved (MOBIKE): re-add through the new path.
 */
void vip_routes_sync(struct rag_resp *r, struct rag_sa *sa, bool force)
{
	bool want = false;
	char tag[160];

	for (int i = 0; i < IKE_EXCH_MAX_CHILDREN && !want; i++)
		want = sa->ck[i].known && sa->ck[i].npol > 0;
	for (int f = 0; f < 2 && r->kern; f++) {
		bool have = f == 0 ? sa->have_vip4 : sa->have_vip6;
		bool *on = f == 0 ? &sa->route4 : &sa->route6;
		struct kern_ts ts;
		struct kern_addr peer;
		char txt[INET6_ADDRSTRLEN];
		int rc;

		memset(&ts, 0, sizeof(ts));
		ts.family = f == 0 ? AF_INET : AF_INET6;
		ts.prefix = f == 0 ? 32 : 128;
		memcpy(ts.addr, f == 0 ? sa->vip4 : sa->vip6, f == 0 ? 4 : 16);
		if (*on && (force || !want || !have)) {
			(void)kern_route_del(r->kern, &ts);
			*on = false;
		}
		if (*on || !want || !have)
			continue;
		ep_kaddr(&sa->remote, &peer);
		rc = kern_route_add(r->kern, &ts, &peer);
		inet_ntop(ts.family, ts.addr, txt, sizeof(txt));
		if (rc == 0)
			*on = true;
		else if (rc == -EEXIST)
			log_info("%s: a route to %s exists (not ragd's): kept as it is",
				 sa_tag(sa, tag, sizeof(tag)), txt);
		else
			log_warn("%s: no route to the virtual IP %s: %s; return traffic to it "
				 "is dropped", sa_tag(sa, tag, sizeof(tag)), txt, strerror(-rc));
	}
}

/* Remove the kernel state of CHILD slot i (SAs; policies unless another
 * slot of the same lineage takes them over). */
void child_kern_remove(struct rag_resp *r, struct rag_sa *sa, int i)
{
	struct rag_child_k *k = &sa->ck[i];

	if (r->kern && k->installed_in)
		kern_sa_del(r->kern, &k->in_dst, k->spi_in);
	if (r->kern && k->installed_out)
		kern_sa_del(r->kern, &k->out_dst, k->spi_out);
	if (k->installed_in || k->installed_out)
		r->n_child_kernel--;
	k->installed_in = k->installed_out = false;
	k->out_deferred = false;
	if (k->npol) {
		int heir = -1;

		for (int j = 0; j < IKE_EXCH_MAX_CHILDREN; j++)
			if (j != i && sa->ck[j].known && sa->ck[j].reqid == k->reqid &&
			    sa->ck[j].installed_in && !sa->ck[j].npol)
				heir = j;
		if (heir >= 0) {
			sa->ck[heir].pol = k->pol;
			sa->ck[heir].npol = k->npol;
		} else {
			for (size_t p = 0; r->kern && p < k->npol; p++)
				kern_policy_del(r->kern, &k->pol[p]);
			free(k->pol);
		}
		k->pol = NULL;
		k->npol = 0;
		vip_routes_sync(r, sa, false);	/* the last policies went */
	}
}

/*
 * The kernel SA of CHILD slot i of sa in one direction, with sa's current
 * addresses: the negotiated algorithms and keys (KEYMAT split per RFC 7296
 * 2.17: the first half protects initiator -> responder of the creating
 * exchange, encryption key before integrity key), UDP encapsulation when
 * NAT detection (RFC 7296 2.23) found a NAT on either side — a client that
 * floated IKE to port 4500 without a NAT (MOBIKE, RFC 4555 3.4) still sends
 * plain ESP; the strongSwan app forces encapsulation by faking NAT-D.
 * The key pointers point into the engine's KEYMAT.  -EINVAL on a short
 * KEYMAT.
 */
static int child_kern_sa(const struct rag_sa *sa, int i, bool inbound, struct kern_sa *ks)
{
	const struct ike_child_sa *c = &sa->ike->child[i];
	const struct rag_child_k *k = &sa->ck[i];
	size_t half = c->encr_len + c->integ_len;
	const uint8_t *i2r = c->keymat.ptr, *r2i = c->keymat.ptr + half;
	const uint8_t *key = (c->exch_initiator == inbound) ? r2i : i2r;
	bool encap = sa->natt && (sa->ike->nat_local || sa->ike->nat_remote);
	struct kern_addr us, peer;

	if (c->keymat.len < 2 * half)
		return -EINVAL;
	ep_kaddr(&sa->local, &us);
	ep_kaddr(&sa->remote, &peer);
	memset(ks, 0, sizeof(*ks));
	ks->reqid = k->reqid;
	ks->encr = c->encr;
	ks->encr_keybits = c->encr_keylen;
	ks->integ = c->integ;
	ks->esn = c->esn == IKE_ESN_YES;
	/* child-lifetime is the SA's end; the soft expire starts our rekey
	 * before it (RFC 7296 2.8) unless the client rekeyed first */
	ks->lt.hard_secs = sa->gen->child_life_s;
	ks->lt.soft_secs = k->soft_s;
	ks->src = inbound ? peer : us;
	ks->dst = inbound ? us : peer;
	ks->spi = inbound ? c->spi_in : c->spi_out;
	ks->encr_key = key;
	ks->encr_key_len = c->encr_len;
	ks->integ_key = key + c->encr_len;
	ks->integ_key_len = c->integ_len;
	ks->replay_window = inbound ? 64 : 0;
	/* our SPI came from kern_spi_alloc(): fill its larval state */
	ks->from_alloc = inbound && sa->gen->cfg.child_spi_alloc != NULL;
	if (encap) {
		ks->encap_sport = inbound ? sa->remote.port : sa->local.port;
		ks->encap_dport = inbound ? sa->local.port : sa->remote.port;
	}
	return 0;
}

/* sa->kern_error from the kernel's last failure (errno and its ack text). */
static void kern_err_text(struct rag_resp *r, struct rag_sa *sa, int rc)
{
	snprintf(sa->kern_error, sizeof(sa->kern_error), "%s%s%s", strerror(-rc),
		 kern_last_error(r->kern)[0] ? ": " : "", kern_last_error(r->kern));
}

/* The outbound SA of CHILD slot i (us -> peer); 0 or -errno (kern_error). */
static int child_kern_out(struct rag_resp *r, struct rag_sa *sa, int i)
{
	struct kern_sa ks;
	int rc;

	(void)child_kern_sa(sa, i, false, &ks);
	rc = kern_sa_add(r->kern, &ks);
	if (rc < 0) {
		kern_err_text(r, sa, rc);
		return rc;
	}
	sa->ck[i].installed_out = true;
	sa->ck[i].out_deferred = false;
	return 0;
}

/*
 * Install CHILD slot i of sa: the inbound and outbound ESP SAs
 * (child_kern_sa) and (unless a rekeyed predecessor of the same lineage
 * holds them) the in/out/fwd policies for the narrowed selectors.
 *
 * When the PEER rekeyed (we answered its CREATE_CHILD_SA), the new
 * outbound SA is deferred (k->out_deferred) until the old CHILD SA is
 * gone (children_sync): the kernel sends on the newest outbound SA of a
 * reqid at once, but the peer can decrypt with the new SA only once it has
 * processed our response — a round trip later, lost packets in between.
 * The initiator of a rekey deletes the old SA as soon as it is done (RFC
 * 7296 2.8: "... the replaced SA SHOULD be deleted"), which is the moment
 * it surely has the new inbound SA (as strongSwan and other responders do).
 * Returns 0 or -errno with the reason in sa->kern_error.
 */
static int child_kern_install(struct rag_resp *r, struct rag_sa *sa, int i, int rekeyed)
{
	const struct ike_child_sa *c = &sa->ike->child[i];
	struct rag_child_k *k = &sa->ck[i];
	struct kern_sa ks;
	struct kern_addr us, peer;
	int rc;

	if (!r->kern) {
		snprintf(sa->kern_error, sizeof(sa->kern_error), "no kernel XFRM channel");
		return -ENOTCONN;
	}
	if (!ragd_acl_ready(r->d)) {	/* fail closed (acl.h) */
		snprintf(sa->kern_error, sizeof(sa->kern_error),
			 "the access policy cannot be enforced (nftables)");
		return -EPERM;
	}
	ep_kaddr(&sa->local, &us);
	ep_kaddr(&sa->remote, &peer);
	if (rekeyed >= 0 && sa->ck[rekeyed].reqid)
		k->reqid = sa->ck[rekeyed].reqid;	/* same lineage */
	else
		k->reqid = reqid_new(r);
	k->spi_in = c->spi_in;
	k->spi_out = c->spi_out;
	k->in_dst = us;
	k->out_dst = peer;
	k->soft_s = (uint32_t)(rag_rekey_ms(sa->gen->child_life_s, randombytes_random()) / 1000);

	/* inbound: peer -> us */
	if (child_kern_sa(sa, i, true, &ks) < 0) {
		snprintf(sa->kern_error, sizeof(sa->kern_error), "short KEYMAT");
		return -EINVAL;
	}
	rc = kern_sa_add(r->kern, &ks);
	if (rc < 0) {
		kern_err_text(r, sa, rc);
		if (ks.from_alloc)	/* give the larval state back */
			(void)kern_sa_del(r->kern, &us, c->spi_in);
		goto fail;
	}
	k->installed_in = true;
	r->n_child_kernel++;
	if (rekeyed >= 0 && !c->exch_initiator && sa->ck[rekeyed].installed_out) {
		k->out_deferred = true;		/* see above */
	} else {
		/* outbound: us -> peer */
		rc = child_kern_out(r, sa, i);
		if (rc < 0)
			goto fail;
	}
	if (rekeyed >= 0 && sa->ck[rekeyed].npol)
		return 0;	/* the lineage's policies stay */

	/* policies: local = TSr (our side), remote = TSi (the client) */
	k->pol = calloc(MAX_POLICIES, sizeof(*k->pol));
	if (!k->pol) {
		rc = -ENOMEM;
		snprintf(sa->kern_error, sizeof(sa->kern_error), "out of memory");
		goto fail;
	}
	for (size_t a = 0; a < c->tsr.n; a++) {
		struct kern_ts lk[4], rk[4];
		size_t nl = ts_to_kern(&c->tsr.ts[a], lk, 4);

		for (size_t b = 0; b < c->tsi.n; b++) {
			size_t nr = ts_to_kern(&c->tsi.ts[b], rk, 4);

			for (size_t x = 0; x < nl; x++) {
				for (size_t y = 0; y < nr && k->npol < MAX_POLICIES; y++) {
					struct kern_policy *p = &k->pol[k->npol];

					if (lk[x].family != rk[y].family)
						continue;
					p->local = lk[x];
					p->remote = rk[y];
					p->local_outer = us;
					p->remote_outer = peer;
					p->reqid = k->reqid;
					rc = kern_policy_add(r->kern, p);
					if (rc < 0)
						goto kfail;
					k->npol++;
				}
			}
		}
	}
	if (!k->npol) {
		rc = -EOPNOTSUPP;
		snprintf(sa->kern_error, sizeof(sa->kern_error),
			 "no traffic selector the kernel can express");
		goto fail;
	}
	vip_routes_sync(r, sa, false);
	return 0;
kfail:
	kern_err_text(r, sa, rc);
fail:
	child_kern_remove(r, sa, i);
	return rc;
}

/*
 * MOBIKE (RFC 4555 3.5) / NAT mapping change (RFC 7296 2.23): sa's
 * addresses (or encapsulation) changed; move CHILD slot i's kernel SAs
 * (same SPIs and keys, replay state and counters carried over:
 * kern_sa_move) and repoint its policies' templates at the new outer
 * addresses (UPDPOLICY, in place, so no packet meets a gap in the policy
 * table).  Returns 0 or -errno with the reason in sa->kern_error; on
 * failure the caller removes and reinstalls the slot.
 */
int child_kern_move(struct rag_resp *r, struct rag_sa *sa, int i)
{
	struct rag_child_k *k = &sa->ck[i];
	struct kern_addr us, peer;
	struct kern_sa ks;
	int rc = 0;

	if (!r->kern || !k->installed_in || (!k->installed_out && !k->out_deferred))
		return -ENOENT;
	ep_kaddr(&sa->local, &us);
	ep_kaddr(&sa->remote, &peer);
	if (child_kern_sa(sa, i, true, &ks) < 0)
		return -EINVAL;
	rc = kern_sa_move(r->kern, &k->in_dst, &ks);
	if (rc < 0) {
		k->installed_in = false;	/* kern_sa_move: gone on failure */
		goto kfail;
	}
	k->in_dst = us;
	if (k->installed_out) {		/* a deferred one is added at the new address */
		(void)child_kern_sa(sa, i, false, &ks);
		rc = kern_sa_move(r->kern, &k->out_dst, &ks);
		if (rc < 0) {
			k->installed_out = false;
			goto kfail;
		}
	}
	k->out_dst = peer;
	for (size_t p = 0; p < k->npol; p++) {
		k->pol[p].local_outer = us;
		k->pol[p].remote_outer = peer;
		rc = kern_policy_update(r->kern, &k->pol[p]);
		if (rc < 0)
			goto kfail;
	}
	return 0;
kfail:
	kern_err_text(r, sa, rc);
	return rc;
}

/* Short text of CHILD slot i's algorithms ("aes256gcm16", ...). */
static void child_alg_text(const struct ike_child_sa *c, char *out, size_t outlen)
{
	if (ike_proposal_format(&c->prop, out, outlen) < 0)
		snprintf(out, outlen, "encr %u/%u integ %u", (unsigned int)c->encr,
			 (unsigned int)c->encr_keylen, (unsigned int)c->integ);
}

/*
 * Bring the kernel in line with the engine's CHILD SAs of sa after a job:
 * slots that went away (DELETE, rekey finished, replaced) lose their kernel
 * state; new slots are installed.  rekeyed names the predecessor of a slot
 * created by a rekey (res.child / res.rekeyed_child).  Returns the slots
 * whose installation failed (bit mask).
 */
unsigned int children_sync(struct rag_resp *r, struct rag_sa *sa, int created,
				  int rekeyed)
{
	unsigned int failed = 0;
	char tag[160];

	for (int i = 0; i < IKE_EXCH_MAX_CHILDREN; i++) {
		const struct ike_child_sa *c = &sa->ike->child[i];
		struct rag_child_k *k = &sa->ck[i];

		if (k->known && (!c->in_use || c->spi_in != k->spi_in)) {
			child_kern_remove(r, sa, i);
			rag_sa_child_clear(&r->tab, sa, i);
			k->known = false;
			k->failed = false;
			r->n_child--;
		}
	}
	/* deferred outbound SAs whose predecessor is gone now send */
	for (int i = 0; i < IKE_EXCH_MAX_CHILDREN; i++) {
		struct rag_child_k *k = &sa->ck[i];
		bool old_out = false;

		if (!k->known || !k->out_deferred)
			continue;
		for (int j = 0; j < IKE_EXCH_MAX_CHILDREN; j++)
			old_out |= j != i && sa->ck[j].known && sa->ck[j].reqid == k->reqid &&
				   sa->ck[j].installed_out;
		if (old_out)
			continue;
		if (child_kern_out(r, sa, i) < 0) {
			k->failed = true;
			failed |= 1u << i;
			log_err("%s: outbound SA %08x of the rekeyed CHILD SA NOT installed: %s",
				sa_tag(sa, tag, sizeof(tag)), k->spi_out, sa->kern_error);
		}
	}
	for (int i = 0; i < IKE_EXCH_MAX_CHILDREN; i++) {
		const struct ike_child_sa *c = &sa->ike->child[i];
		struct rag_child_k *k = &sa->ck[i];
		char algs[96];
		int rc;

		if (!c->in_use || k->known)
			continue;
		k->known = true;
		k->spi_in = c->spi_in;
		k->created_ms = rag_resp_now_ms();
		r->n_child++;
		rag_sa_child_set(&r->tab, sa, i, c->spi_in);
		child_alg_text(c, algs, sizeof(algs));
		if (!sa->child_algs[0] || i == created)
			snprintf(sa->child_algs, sizeof(sa->child_algs), "%s", algs);
		rc = child_kern_install(r, sa, i, i == created ? rekeyed : -1);
		if (rc < 0) {
			k->failed = true;
			failed |= 1u << i;
			log_err("%s: CHILD SA %08x/%08x (%s) NOT installed in the kernel: %s",
				sa_tag(sa, tag, sizeof(tag)), c->spi_in, c->spi_out, algs,
				sa->kern_error);
		} else {
			sa->kern_error[0] = '\0';
			log_notice("%s: CHILD SA %08x/%08x %s installed (reqid %u%s)",
				   sa_tag(sa, tag, sizeof(tag)), c->spi_in, c->spi_out, algs,
				   k->reqid,
				   sa->natt && (sa->ike->nat_local || sa->ike->nat_remote) ?
				   ", UDP-encapsulated" : "");
		}
	}
	return failed;
}

/* See responder_int.h. */
void sa_bytes(struct rag_resp *r, const struct rag_sa *sa, uint64_t *in, uint64_t *out)
{
	*in = 0;
	if (out)
		*out = 0;
	for (int i = 0; r->kern && i < IKE_EXCH_MAX_CHILDREN; i++) {
		const struct rag_child_k *k = &sa->ck[i];
		struct kern_sa_stats st;

		if (k->installed_in && kern_sa_stats(r->kern, &k->in_dst, k->spi_in, &st) == 0)
			*in += st.bytes;
		if (out && k->installed_out &&
		    kern_sa_stats(r->kern, &k->out_dst, k->spi_out, &st) == 0)
			*out += st.bytes;
	}
}
