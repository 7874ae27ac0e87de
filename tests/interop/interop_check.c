/*
 * interop_check.c — cross-check libike against real strongSwan exchanges.
 *
 * Input: suite directories written by tests/interop/capture.sh, each with
 *   capture.pcap    UDP 500/4500 as seen in the responder's netns
 *   responder.log   strongSwan charon log with ike/chd at level 4 (key
 *                   material as hex dumps)
 *   meta            suite=, ike=, psk= / eap_user= eap_secret=
 *
 * For every suite:
 *  (a) every IKE message is parsed with libike (header, payload chain, every
 *      payload body with the parser of its type);
 *  (b) from the captured IKE_SA_INIT (nonces, SPIs, chosen proposal) and the
 *      logged DH shared secret: SKEYSEED (RFC 7296 2.14) and SK_d, SK_ai,
 *      SK_ar, SK_ei, SK_er, SK_pi, SK_pr (ike_derive_ike_keys) are compared
 *      byte for byte with the logged values;
 *  (c) every SK payload is decrypted with ike_sk_open and its inner payloads
 *      parsed (SA, IDs, AUTH, CERT, CERTREQ, TS, CP, Notify, Delete, EAP...);
 *  (d) CREATE_CHILD_SA: CHILD_SA KEYMAT (RFC 7296 2.17, with and without
 *      PFS) against the logged seed and ESP keys; the IKE SA rekey
 *      (RFC 7296 2.18) against the logged SKEYSEED and SK_*; every AUTH
 *      payload is verified (PSK, signatures from the CERT payload,
 *      EAP-MSCHAPv2 MSK, RFC 7296 2.15/2.16) and the MSCHAPv2 exchange
 *      itself (RFC 2759) with the configured password.
 * Any parse, decrypt or comparison failure fails the run.  Prints a
 * per-suite summary; exit 0 only when every suite passed.
 *
 * usage: interop_check [-v] DIR...   (DIR = a suite dir, or a dir of suites)
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/x509.h>

#include "ike.h"
#include "ike_auth.h"
#include "ike_crypto.h"
#include "ike_dh.h"
#include "ike_frag.h"
#include "ike_mschap.h"
#include "ike_payload.h"
#include "ike_ts_cp.h"
#include "interop_io.h"

#define MAX_PKTS      4096
#define MAX_SAS       16
#define MAX_ITEMS     1024
#define MAX_PENDING   8

static bool verbose;

/* ---- per-suite state ----------------------------------------------------------- */

struct ike_rec {		/* one IKE SA key derivation in the log */
	const struct logitem *dh, *skeyseed, *sk[7];	/* d ai ar ei er pi pr */
};

struct child_rec {		/* one CHILD_SA key derivation */
	const struct logitem *dh, *seed, *encr_i, *encr_r, *integ_i, *integ_r;
	int thread;
};

/* what a request told us, kept until its response (by message ID) */
struct pending {
	bool used;
	uint32_t msg_id;
	uint8_t exchange;
	struct ike_chunk nonce;
	uint16_t ke_group;
	size_t ke_len;
	bool has_sa;
	struct ike_proposal prop;	/* first proposal of the request */
};

struct sa {
	uint8_t spi_i[8], spi_r[8];
	bool have_spi_r, have_keys;
	struct ike_sa_keys keys;
	uint16_t dh;
	const struct pkt *init_req, *init_resp;	/* IKE_SA_INIT messages */
	struct ike_chunk ni, nr;
	struct ike_chunk idi, idr;		/* ID payload bodies */
	EVP_PKEY *cert_i, *cert_r;		/* from CERT payloads */
	/* EAP-MSCHAPv2 */
	bool have_chal, have_resp, have_msk;
	struct ike_mschap_challenge chal;
	struct ike_mschap_response resp;
	struct ike_key msk;
	struct pending pend[MAX_PENDING];
};

struct suite {
	const char *dir;
	char name[64];
	char psk[128], eap_user[64], eap_secret[128];
	struct pkt pkts[MAX_PKTS];
	size_t n_pkts;
	uint8_t *plains[MAX_PKTS];	/* decrypted inner chains, freed at the end */
	size_t n_plains;
	struct logitem items[MAX_ITEMS];
	size_t n_items;
	struct ike_rec ikes[MAX_SAS];
	size_t n_ikes, used_ikes;
	struct child_rec children[64];
	size_t n_children, used_children;
	struct sa sas[MAX_SAS];
	size_t n_sas;
	const struct logitem *msk_logged;	/* [IKE] "secret" of 64 bytes (EAP MSK) */
	struct ike_mschap_ctx *ms;
	/* counters */
	struct pcap_stats pst;
	unsigned int fails, msgs, encrypted, payloads;
	unsigned int pl_count[64];
	unsigned int ike_keysets, child_keymats, auth_ok, eap_ok, deletes, keys_cmp;
	const struct pkt *cur;	/* message being checked (for messages) */
};

static void fail(struct suite *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* fail: report one failed check of suite s (with the current message). */
static void fail(struct suite *s, const char *fmt, ...)
{
	va_list ap;

	s->fails++;
	if (s->cur)
		fprintf(stderr, "%s: packet %u: FAIL: ", s->name, s->cur->index);
	else
		fprintf(stderr, "%s: FAIL: ", s->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- log records ------------------------------------------------------------------ */

/*
 * group_log: turn the hex dumps into IKE key derivations ("shared Diffie
 * Hellman secret" .. "Sk_pr secret") and CHILD_SA derivations ([CHD] "DH
 * secret", "seed", "encryption/integrity initiator/responder key"), each in
 * the order it started.
 */
static void group_log(struct suite *s)
{
	static const char *const sk_names[7] = {
		"Sk_d secret", "Sk_ai secret", "Sk_ar secret", "Sk_ei secret",
		"Sk_er secret", "Sk_pi secret", "Sk_pr secret",
	};
	struct ike_rec *ike = NULL;

	for (size_t i = 0; i < s->n_items; i++) {
		const struct logitem *it = &s->items[i];
		struct child_rec *c = NULL;

		if (!it->chd) {
			if (!strcmp(it->label, "shared Diffie Hellman secret")) {
				if (s->n_ikes == MAX_SAS) {
					fail(s, "log: too many IKE key derivations");
					return;
				}
				ike = &s->ikes[s->n_ikes++];
				memset(ike, 0, sizeof(*ike));
				ike->dh = it;
			} else if (!strcmp(it->label, "secret") && it->len == 64) {
				s->msk_logged = it;
			} else if (ike && !strcmp(it->label, "SKEYSEED")) {
				ike->skeyseed = it;
			} else if (ike) {
				for (int k = 0; k < 7; k++)
					if (!strcmp(it->label, sk_names[k]))
						ike->sk[k] = it;
			}
			continue;
		}
		/* the thread's newest child record */
		for (size_t j = s->n_children; j-- > 0;)
			if (s->children[j].thread == it->thread) {
				c = &s->children[j];
				break;
			}
		if (!strcmp(it->label, "DH secret") ||
		    (!strcmp(it->label, "seed") && (!c || c->seed || c->encr_i))) {
			if (s->n_children == sizeof(s->children) / sizeof(s->children[0])) {
				fail(s, "log: too many CHILD_SA derivations");
				return;
			}
			c = &s->children[s->n_children++];
			memset(c, 0, sizeof(*c));
			c->thread = it->thread;
		}
		if (!c)
			continue;
		if (!strcmp(it->label, "DH secret"))
			c->dh = it;
		else if (!strcmp(it->label, "seed"))
			c->seed = it;
		else if (!strcmp(it->label, "encryption initiator key"))
			c->encr_i = it;
		else if (!strcmp(it->label, "encryption responder key"))
			c->encr_r = it;
		else if (!strcmp(it->label, "integrity initiator key"))
			c->integ_i = it;
		else if (!strcmp(it->label, "integrity responder key"))
			c->integ_r = it;
	}
}

/* ---- payload parsing --------------------------------------------------------------- */

/* plname: payload type name for messages ("?" when unknown). */
static const char *plname(uint8_t t)
{
	const char *n = ike_payload_name(t);

	return n ? n : "?";
}

/*
 * parse_body: parse one payload body with libike's parser for its type;
 * reply = the message is a response (SA payload: exactly one proposal).
 * Returns 0 or the parser's negative errno; unknown types are -ENOTSUP.
 */
static int parse_body(struct suite *s, const struct ike_pl *pl, bool reply)
{
	struct ike_proposal *props;
	size_t n;
	int r;

	s->payloads++;
	s->pl_count[pl->type & 63]++;
	switch (pl->type) {
	case IKE_PL_SA:
		props = calloc(IKE_MAX_PROPOSALS, sizeof(*props));
		if (!props)
			return -ENOMEM;
		r = ike_sa_parse(pl->body, pl->len, reply ? IKE_SA_PARSE_REPLY : 0,
				 props, IKE_MAX_PROPOSALS, &n);
		if (r == 0 && n == 0)
			r = -EBADMSG;
		free(props);
		return r;
	case IKE_PL_KE: {
		struct ike_ke ke;

		return ike_ke_parse(pl->body, pl->len, &ke);
	}
	case IKE_PL_IDI:
	case IKE_PL_IDR: {
		struct ike_id id;

		return ike_id_parse(pl->body, pl->len, &id);
	}
	case IKE_PL_CERT: {
		struct ike_cert c;

		return ike_cert_parse(pl->body, pl->len, &c);
	}
	case IKE_PL_CERTREQ: {
		struct ike_certreq c;

		return ike_certreq_parse(pl->body, pl->len, &c);
	}
	case IKE_PL_AUTH: {
		struct ike_auth a;
		struct ike_sigdata sd;

		r = ike_auth_parse(pl->body, pl->len, &a);
		if (r == 0 && a.method == IKE_AUTH_DIGITAL_SIG)
			r = ike_sigdata_parse(a.data, a.len, &sd);
		return r;
	}
	case IKE_PL_NONCE: {
		struct ike_chunk c;

		return ike_nonce_parse(pl->body, pl->len, &c);
	}
	case IKE_PL_NOTIFY: {
		struct ike_notify no;

		r = ike_notify_parse(pl->body, pl->len, &no);
		if (r == 0)
			r = ike_notify_check(&no);
		return r;
	}
	case IKE_PL_DELETE: {
		struct ike_delete d;

		return ike_delete_parse(pl->body, pl->len, &d);
	}
	case IKE_PL_VENDOR: {
		struct ike_chunk v;

		return ike_vendor_parse(pl->body, pl->len, &v);
	}
	case IKE_PL_TSI:
	case IKE_PL_TSR: {
		struct ike_ts_list l;

		r = ike_ts_parse(pl->body, pl->len, &l);
		return r < 0 ? r : 0;
	}
	case IKE_PL_CP: {
		struct ike_cp *cp = calloc(1, sizeof(*cp));

		if (!cp)
			return -ENOMEM;
		r = ike_cp_parse(pl->body, pl->len, cp);
		free(cp);
		return r < 0 ? r : 0;
	}
	case IKE_PL_EAP: {
		struct ike_eap e;

		return ike_eap_parse(pl->body, pl->len, &e);
	}
	default:
		return -ENOTSUP;
	}
}

/* parse_chain_bodies: parse_body for every payload of ch except SK/SKF. */
static void parse_chain_bodies(struct suite *s, const struct ike_chain *ch, bool reply,
			       const char *where)
{
	for (size_t i = 0; i < ch->n; i++) {
		int r;

		if (ch->pl[i].type == IKE_PL_SK || ch->pl[i].type == IKE_PL_SKF)
			continue;
		r = parse_body(s, &ch->pl[i], reply);
		if (r < 0)
			fail(s, "%s payload %s (%u): parser returned %d", where,
			     plname(ch->pl[i].type), ch->pl[i].type, r);
	}
}

/* ---- key comparison ------------------------------------------------------------------ */

/* cmp_key: compare derived bytes with a logged hex dump. */
static void cmp_key(struct suite *s, const char *what, const uint8_t *got, size_t got_len,
		    const struct logitem *want)
{
	s->keys_cmp++;
	if (!want) {
		fail(s, "%s: not in the strongSwan log", what);
		return;
	}
	if (got_len != want->len || (got_len && memcmp(got, want->data, got_len) != 0)) {
		fail(s, "%s differs from strongSwan's (%zu vs %zu bytes)", what, got_len, want->len);
		return;
	}
	if (verbose)
		printf("  %s: %s matches (%zu bytes)\n", s->name, what, got_len);
}

/* algs_from_proposal: the negotiated IKE algorithms of a reply proposal. */
static int algs_from_proposal(const struct ike_proposal *p, struct ike_sa_keys *k, uint16_t *dh)
{
	memset(k, 0, sizeof(*k));
	*dh = 0;
	for (unsigned int i = 0; i < p->n_transforms; i++) {
		const struct ike_transform *t = &p->tr[i];

		switch (t->type) {
		case IKE_TR_ENCR: k->encr = t->id; k->encr_keylen = t->keylen; break;
		case IKE_TR_PRF: k->prf = t->id; break;
		case IKE_TR_INTEG: k->integ = t->id; break;
		case IKE_TR_DH: *dh = t->id; break;
		default: break;
		}
	}
	return k->encr && k->prf ? 0 : -EINVAL;
}

/* check_ike_keys: compare all SK_* of k with a logged derivation. */
static void check_ike_keys(struct suite *s, const struct ike_sa_keys *k, const struct ike_rec *rec,
			   const char *tag)
{
	const struct ike_key *ks[7] = { &k->sk_d, &k->sk_ai, &k->sk_ar, &k->sk_ei,
					&k->sk_er, &k->sk_pi, &k->sk_pr };
	static const char *const nm[7] = { "SK_d", "SK_ai", "SK_ar", "SK_ei", "SK_er", "SK_pi", "SK_pr" };
	char what[64];

	for (int i = 0; i < 7; i++) {
		if ((i == 1 || i == 2) && ike_encr_is_aead(k->encr)) {
			if (ks[i]->len != 0)
				fail(s, "%s %s: AEAD suite but libike derived %zu bytes", tag, nm[i], ks[i]->len);
			if (rec->sk[i])
				fail(s, "%s %s: AEAD suite but strongSwan logged one", tag, nm[i]);
			continue;
		}
		snprintf(what, sizeof(what), "%s %s", tag, nm[i]);
		cmp_key(s, what, ks[i]->ptr, ks[i]->len, rec->sk[i]);
	}
}

/* find_sa: the IKE SA with these SPIs; spi_r NULL = a half-open SA (no SPIr yet). */
static struct sa *find_sa(struct suite *s, const uint8_t *spi_i, const uint8_t *spi_r)
{
	for (size_t i = 0; i < s->n_sas; i++)
		if (!memcmp(s->sas[i].spi_i, spi_i, 8) &&
		    (spi_r ? s->sas[i].have_spi_r && !memcmp(s->sas[i].spi_r, spi_r, 8)
			   : !s->sas[i].have_spi_r))
			return &s->sas[i];
	return NULL;
}

/* new_sa: a zeroed IKE SA slot, or NULL when MAX_SAS are in use. */
static struct sa *new_sa(struct suite *s)
{
	struct sa *sa;

	if (s->n_sas == MAX_SAS)
		return NULL;
	sa = &s->sas[s->n_sas++];
	memset(sa, 0, sizeof(*sa));
	return sa;
}

/* pending_slot: the request state for msg_id; create: take a free slot if none. */
static struct pending *pending_slot(struct sa *sa, uint32_t msg_id, bool create)
{
	struct pending *freep = NULL;

	for (int i = 0; i < MAX_PENDING; i++) {
		if (sa->pend[i].used && sa->pend[i].msg_id == msg_id)
			return &sa->pend[i];
		if (!sa->pend[i].used && !freep)
			freep = &sa->pend[i];
	}
	if (!create || !freep)
		return NULL;
	memset(freep, 0, sizeof(*freep));
	freep->used = true;
	freep->msg_id = msg_id;
	return freep;
}

/* ---- IKE_SA_INIT ----------------------------------------------------------------------- */

/* first payload of a type in ch, parsed as nonce / KE / reply SA */
static int get_nonce(const struct ike_chain *ch, struct ike_chunk *n)
{
	const struct ike_pl *pl = ike_chain_find(ch, IKE_PL_NONCE, 0);

	return pl ? ike_nonce_parse(pl->body, pl->len, n) : -ENOENT;
}

static int get_ke(const struct ike_chain *ch, struct ike_ke *ke)
{
	const struct ike_pl *pl = ike_chain_find(ch, IKE_PL_KE, 0);

	return pl ? ike_ke_parse(pl->body, pl->len, ke) : -ENOENT;
}

static int get_first_proposal(const struct ike_chain *ch, bool reply, struct ike_proposal *p)
{
	const struct ike_pl *pl = ike_chain_find(ch, IKE_PL_SA, 0);
	struct ike_proposal *props;
	size_t n = 0;
	int r;

	if (!pl)
		return -ENOENT;
	props = calloc(IKE_MAX_PROPOSALS, sizeof(*props));
	if (!props)
		return -ENOMEM;
	r = ike_sa_parse(pl->body, pl->len, reply ? IKE_SA_PARSE_REPLY : 0, props,
			 IKE_MAX_PROPOSALS, &n);
	if (r == 0 && n >= 1)
		*p = props[0];
	else if (r == 0)
		r = -EBADMSG;
	free(props);
	return r;
}

/* check_ke_len: a KE payload's length must be the group's (RFC 7296 3.4). */
static void check_ke_len(struct suite *s, const struct ike_ke *ke)
{
	size_t want = ike_dh_public_len(ke->group);

	if (want == 0)
		fail(s, "KE group %u not supported by libike", ke->group);
	else if (ke->len != want)
		fail(s, "KE group %u: %zu bytes, libike expects %zu", ke->group, ke->len, want);
}

/* skeyseed_key: the PRF key of SKEYSEED = prf(Ni | Nr, g^ir): for PRFs with
 * a fixed key size half from each nonce, first bits (RFC 7296 2.14). */
static size_t skeyseed_key(uint16_t prf, const struct ike_chunk *ni, const struct ike_chunk *nr,
			   uint8_t *out)
{
	if (prf == IKE_PRF_AES128_XCBC || prf == IKE_PRF_AES128_CMAC) {
		memcpy(out, ni->ptr, 8);
		memcpy(out + 8, nr->ptr, 8);
		return 16;
	}
	memcpy(out, ni->ptr, ni->len);
	memcpy(out + ni->len, nr->ptr, nr->len);
	return ni->len + nr->len;
}

/* do_sa_init: IKE_SA_INIT request/response: nonces, KE lengths, chosen
 * proposal; on the response derive and compare SKEYSEED and SK_* (2.14). */
static void do_sa_init(struct suite *s, const struct pkt *p, const struct ike_msg_view *v)
{
	bool resp = v->hdr.flags & IKE_FLAG_RESPONSE;
	struct ike_ke ke;
	struct sa *sa;

	if (!resp) {
		sa = find_sa(s, v->hdr.spi_i, NULL);	/* a retried request */
		if (!sa)
			sa = new_sa(s);
		if (!sa) {
			fail(s, "too many IKE SAs");
			return;
		}
		memcpy(sa->spi_i, v->hdr.spi_i, 8);
		sa->init_req = p;
		if (get_nonce(&v->ch, &sa->ni) < 0)
			fail(s, "IKE_SA_INIT request without a valid Nonce");
		if (get_ke(&v->ch, &ke) == 0)
			check_ke_len(s, &ke);
		else
			fail(s, "IKE_SA_INIT request without a valid KE");
		return;
	}
	sa = find_sa(s, v->hdr.spi_i, NULL);
	if (!sa) {
		fail(s, "IKE_SA_INIT response without request");
		return;
	}
	if (!ike_chain_find(&v->ch, IKE_PL_SA, 0))
		return;		/* COOKIE / INVALID_KE_PAYLOAD: a new request follows */
	{
		struct ike_proposal prop;
		const struct ike_rec *rec;
		uint8_t key[2 * IKE_MAX_NONCE_LEN], seed[64];
		size_t kl;
		int r;

		memcpy(sa->spi_r, v->hdr.spi_r, 8);
		sa->have_spi_r = true;
		sa->init_resp = p;
		if (get_nonce(&v->ch, &sa->nr) < 0 || !sa->ni.ptr) {
			fail(s, "IKE_SA_INIT: nonces missing");
			return;
		}
		if (get_ke(&v->ch, &ke) == 0)
			check_ke_len(s, &ke);
		else
			fail(s, "IKE_SA_INIT response without a valid KE");
		if (get_first_proposal(&v->ch, true, &prop) < 0 ||
		    algs_from_proposal(&prop, &sa->keys, &sa->dh) < 0) {
			fail(s, "IKE_SA_INIT response: no usable proposal");
			return;
		}
		if (s->used_ikes == s->n_ikes) {
			fail(s, "IKE_SA_INIT: no key derivation left in the log");
			return;
		}
		rec = &s->ikes[s->used_ikes++];
		if (!rec->dh || rec->dh->len != ike_dh_shared_len(sa->dh))
			fail(s, "IKE_SA_INIT: logged DH secret has %zu bytes, group %u wants %zu",
			     rec->dh ? rec->dh->len : 0, sa->dh, ike_dh_shared_len(sa->dh));
		if (!rec->dh)
			return;
		/* SKEYSEED itself (the API does not return it) */
		kl = skeyseed_key(sa->keys.prf, &sa->ni, &sa->nr, key);
		r = ike_prf(sa->keys.prf, key, kl, rec->dh->data, rec->dh->len, seed);
		if (r < 0)
			fail(s, "ike_prf(%u) for SKEYSEED: %d", sa->keys.prf, r);
		else
			cmp_key(s, "SKEYSEED", seed, ike_prf_len(sa->keys.prf), rec->skeyseed);
		r = ike_derive_ike_keys(&sa->keys, sa->ni.ptr, sa->ni.len, sa->nr.ptr, sa->nr.len,
					rec->dh->data, rec->dh->len, sa->spi_i, sa->spi_r);
		if (r < 0) {
			fail(s, "ike_derive_ike_keys: %d", r);
			return;
		}
		sa->have_keys = true;
		check_ike_keys(s, &sa->keys, rec, "IKE_SA_INIT");
		s->ike_keysets++;
	}
}

/* ---- CHILD_SA keys -------------------------------------------------------------------- */

/*
 * check_child: the next logged CHILD_SA derivation must have the seed
 * [g^ir |] Ni | Nr (RFC 7296 2.17) and KEYMAT = prf+(SK_d, seed) split as
 * encr_i | integ_i | encr_r | integ_r must equal the logged keys.
 */
static void check_child(struct suite *s, struct sa *sa, const struct ike_chunk *ni,
			const struct ike_chunk *nr, bool pfs, const struct ike_proposal *esp,
			const char *tag)
{
	const struct child_rec *c;
	const struct logitem *parts[4];
	size_t total = 0, off = 0, slen;
	uint8_t *seed;
	struct ike_key km = { 0 };
	uint16_t encr = 0, keylen = 0, integ = 0;
	int r;

	if (s->used_children == s->n_children) {
		fail(s, "%s: no CHILD_SA derivation left in the log", tag);
		return;
	}
	c = &s->children[s->used_children++];
	if (pfs != (c->dh != NULL))
		fail(s, "%s: PFS %s in the capture but DH secret %s logged", tag,
		     pfs ? "used" : "not used", c->dh ? "" : "not");
	if (!c->seed) {
		fail(s, "%s: no seed logged", tag);
		return;
	}
	slen = (c->dh ? c->dh->len : 0) + ni->len + nr->len;
	seed = malloc(slen);
	if (!seed)
		return;
	if (c->dh)
		memcpy(seed, c->dh->data, c->dh->len);
	memcpy(seed + slen - nr->len - ni->len, ni->ptr, ni->len);
	memcpy(seed + slen - nr->len, nr->ptr, nr->len);
	{
		char what[80];

		snprintf(what, sizeof(what), "%s seed [g^ir] | Ni | Nr", tag);
		cmp_key(s, what, seed, slen, c->seed);
	}
	/* ESP key sizes from the chosen proposal, via libike's tables */
	for (unsigned int i = 0; i < esp->n_transforms; i++) {
		if (esp->tr[i].type == IKE_TR_ENCR) {
			encr = esp->tr[i].id;
			keylen = esp->tr[i].keylen;
		} else if (esp->tr[i].type == IKE_TR_INTEG) {
			integ = esp->tr[i].id;
		}
	}
	if (!c->encr_i || c->encr_i->len != ike_encr_keymat_len(encr, keylen))
		fail(s, "%s: ESP encryption key: log %zu bytes, libike %zu for ENCR %u/%u", tag,
		     c->encr_i ? c->encr_i->len : 0, ike_encr_keymat_len(encr, keylen), encr, keylen);
	if (integ && (!c->integ_i || c->integ_i->len != ike_integ_key_len(integ)))
		fail(s, "%s: ESP integrity key: log %zu bytes, libike %zu for INTEG %u", tag,
		     c->integ_i ? c->integ_i->len : 0, ike_integ_key_len(integ), integ);
	parts[0] = c->encr_i;
	parts[1] = c->integ_i;
	parts[2] = c->encr_r;
	parts[3] = c->integ_r;
	for (int i = 0; i < 4; i++)
		total += parts[i] ? parts[i]->len : 0;
	if (!c->encr_i || !c->encr_r || total == 0) {
		fail(s, "%s: ESP keys missing in the log", tag);
		free(seed);
		return;
	}
	r = ike_derive_child_keymat(sa->keys.prf, &sa->keys.sk_d,
				    c->dh ? c->dh->data : NULL, c->dh ? c->dh->len : 0,
				    ni->ptr, ni->len, nr->ptr, nr->len, &km, total);
	if (r < 0 || km.len != total) {
		fail(s, "%s: ike_derive_child_keymat: %d", tag, r);
	} else {
		static const char *const nm[4] = { "encr_i", "integ_i", "encr_r", "integ_r" };
		char what[80];

		for (int i = 0; i < 4; i++) {
			if (!parts[i])
				continue;
			snprintf(what, sizeof(what), "%s KEYMAT %s", tag, nm[i]);
			cmp_key(s, what, km.ptr + off, parts[i]->len, parts[i]);
			off += parts[i]->len;
		}
		s->child_keymats++;
	}
	ike_key_free(&km);
	free(seed);
}

/* ---- AUTH ------------------------------------------------------------------------------ */

static EVP_PKEY *cert_key(const struct ike_chain *ch)
{
	const struct ike_pl *pl = ike_chain_find(ch, IKE_PL_CERT, 0);
	struct ike_cert c;
	const unsigned char *p;
	X509 *x;
	EVP_PKEY *k;

	if (!pl || ike_cert_parse(pl->body, pl->len, &c) < 0 || c.encoding != IKE_CERT_X509_SIG)
		return NULL;
	p = c.data;
	x = d2i_X509(NULL, &p, (long)c.len);
	if (!x)
		return NULL;
	k = X509_get_pubkey(x);
	X509_free(x);
	return k;
}

/*
 * check_auth: verify the AUTH payload of an IKE_AUTH message from the
 * initiator (from_i) or responder: signed octets per RFC 7296 2.15, then
 * shared key (method 2: PSK, or the EAP MSK after EAP, 2.16) or signature
 * with the key of the sender's CERT payload.
 */
static void check_auth(struct suite *s, struct sa *sa, const struct ike_auth *a, bool from_i)
{
	struct ike_buf oct;
	const struct pkt *m = from_i ? sa->init_req : sa->init_resp;
	const struct ike_chunk *nonce = from_i ? &sa->nr : &sa->ni;
	const struct ike_chunk *id = from_i ? &sa->idi : &sa->idr;
	const char *who = from_i ? "initiator" : "responder";
	int r;

	if (!m || !id->ptr) {
		fail(s, "AUTH of the %s: IKE_SA_INIT or ID missing", who);
		return;
	}
	ike_buf_init(&oct);
	r = ike_auth_octets(&oct, sa->keys.prf, from_i ? &sa->keys.sk_pi : &sa->keys.sk_pr,
			    m->data, m->len, nonce->ptr, nonce->len, id->ptr, id->len);
	if (r < 0 || ike_buf_error(&oct)) {
		fail(s, "ike_auth_octets: %d", r);
		goto out;
	}
	if (a->method == IKE_AUTH_PSK && sa->have_msk) {
		uint8_t want[64];

		r = ike_auth_eap(sa->keys.prf, sa->msk.ptr, sa->msk.len, NULL, oct.data, oct.len, want);
		if (r < 0 || (size_t)r != a->len || memcmp(want, a->data, a->len) != 0)
			fail(s, "AUTH of the %s with the EAP-MSCHAPv2 MSK does not verify (%d)", who, r);
		else
			s->auth_ok++;
	} else if (a->method == IKE_AUTH_PSK) {
		if (!s->psk[0]) {
			fail(s, "AUTH of the %s uses a shared key but the suite has none", who);
			goto out;
		}
		r = ike_auth_psk_verify(sa->keys.prf, (const uint8_t *)s->psk, strlen(s->psk),
					oct.data, oct.len, a->data, a->len);
		if (r < 0)
			fail(s, "PSK AUTH of the %s does not verify: %d", who, r);
		else
			s->auth_ok++;
	} else {
		EVP_PKEY *k = from_i ? sa->cert_i : sa->cert_r;

		if (!k) {
			fail(s, "signature AUTH (method %u) of the %s without a CERT payload", a->method, who);
			goto out;
		}
		r = ike_auth_verify(a->method, a->data, a->len, k, oct.data, oct.len, NULL);
		if (r < 0)
			fail(s, "signature AUTH (method %u) of the %s does not verify: %d", a->method, who, r);
		else
			s->auth_ok++;
	}
out:
	ike_buf_free(&oct);
}

/* ---- EAP-MSCHAPv2 (RFC 2759) ------------------------------------------------------------ */

static void check_eap(struct suite *s, struct sa *sa, const struct ike_eap *e)
{
	struct ike_key nt = { 0 };
	struct ike_chunk user;
	int r;

	if (e->type != EAP_TYPE_MSCHAPV2 || e->type_len < 1)
		return;		/* Identity etc.: parsed only */
	if (!s->ms) {
		fail(s, "EAP-MSCHAPv2 seen but no MSCHAPv2 context (legacy provider?)");
		return;
	}
	if (e->code == EAP_REQUEST && e->type_data[0] == 1) {	/* Challenge */
		r = ike_mschap_parse_challenge(e->pkt, e->pkt_len, &sa->chal);
		if (r < 0)
			fail(s, "MSCHAPv2 Challenge: parse %d", r);
		sa->have_chal = r == 0;
		return;
	}
	if (e->code == EAP_RESPONSE && e->type_data[0] == 2) {	/* Response */
		r = ike_mschap_parse_response(e->pkt, e->pkt_len, &sa->resp);
		if (r < 0 || !sa->have_chal) {
			fail(s, "MSCHAPv2 Response: parse %d (challenge seen: %d)", r, sa->have_chal);
			return;
		}
		sa->have_resp = true;
		user = ike_mschap_strip_domain(sa->resp.name.ptr, sa->resp.name.len);
		if (user.len != strlen(s->eap_user) || memcmp(user.ptr, s->eap_user, user.len) != 0)
			fail(s, "MSCHAPv2 Response: user name is not %s", s->eap_user);
		r = ike_mschap_nt_password_hash(s->ms, s->eap_secret, strlen(s->eap_secret), &nt);
		if (r == 0)
			r = ike_mschap_verify_nt_response(s->ms, &nt, sa->chal.challenge,
							  sa->resp.peer_challenge, user.ptr, user.len,
							  sa->resp.nt_response);
		if (r < 0)
			fail(s, "MSCHAPv2 NT-Response does not verify with the password: %d", r);
		if (r == 0) {
			r = ike_mschap_msk(s->ms, &nt, sa->resp.nt_response, &sa->msk);
			if (r < 0)
				fail(s, "ike_mschap_msk: %d", r);
			else
				cmp_key(s, "EAP-MSCHAPv2 MSK (RFC 3079 3.4)", sa->msk.ptr, sa->msk.len,
					s->msk_logged);
			sa->have_msk = r == 0;
		}
		ike_key_free(&nt);
		return;
	}
	if (e->code == EAP_REQUEST && e->type_data[0] == 3) {	/* Success */
		struct ike_mschap_result res;

		r = ike_mschap_parse_result(e->pkt, e->pkt_len, &res);
		if (r < 0 || !sa->have_resp) {
			char txt[128];
			size_t n = e->pkt_len < 9 ? 0 : e->pkt_len - 9;

			if (n >= sizeof(txt))
				n = sizeof(txt) - 1;
			for (size_t i = 0; i < n; i++)	/* the message text, made printable */
				txt[i] = e->pkt[9 + i] >= 0x20 && e->pkt[9 + i] < 0x7f ? (char)e->pkt[9 + i] : '.';
			txt[n] = '\0';
			fail(s, "MSCHAPv2 Success: ike_mschap_parse_result %d on \"%s\" "
			     "(%zu bytes, last byte 0x%02x)", r, txt, e->pkt_len, e->pkt[e->pkt_len - 1]);
			return;
		}
		user = ike_mschap_strip_domain(sa->resp.name.ptr, sa->resp.name.len);
		r = ike_mschap_nt_password_hash(s->ms, s->eap_secret, strlen(s->eap_secret), &nt);
		if (r == 0)
			r = ike_mschap_check_authenticator_response(s->ms, &nt, sa->resp.nt_response,
					sa->resp.peer_challenge, sa->chal.challenge, user.ptr,
					user.len, res.auth_response.ptr, res.auth_response.len);
		if (r < 0)
			fail(s, "MSCHAPv2 authenticator response (S=) does not verify: %d", r);
		else
			s->eap_ok++;
		ike_key_free(&nt);
	}
}

/* ---- encrypted exchanges --------------------------------------------------------------- */

/* do_ike_auth: decrypted IKE_AUTH: remember IDs and certificates, follow
 * EAP-MSCHAPv2, verify AUTH, check the first CHILD_SA's keys. */
static void do_ike_auth(struct suite *s, struct sa *sa, const struct ike_chain *in, bool resp)
{
	const struct ike_pl *pl;
	bool from_i = !resp;	/* all our exchanges are started by the initiator */

	if ((pl = ike_chain_find(in, from_i ? IKE_PL_IDI : IKE_PL_IDR, 0))) {
		struct ike_chunk *id = from_i ? &sa->idi : &sa->idr;

		id->ptr = pl->body;
		id->len = pl->len;
	}
	if (ike_chain_find(in, IKE_PL_CERT, 0)) {
		EVP_PKEY **k = from_i ? &sa->cert_i : &sa->cert_r;

		EVP_PKEY_free(*k);
		*k = cert_key(in);
		if (!*k)
			fail(s, "CERT payload of the %s: not a usable X.509 certificate",
			     from_i ? "initiator" : "responder");
	}
	if ((pl = ike_chain_find(in, IKE_PL_EAP, 0))) {
		struct ike_eap e;

		if (ike_eap_parse(pl->body, pl->len, &e) == 0)
			check_eap(s, sa, &e);
	}
	if ((pl = ike_chain_find(in, IKE_PL_AUTH, 0))) {
		struct ike_auth a;

		if (ike_auth_parse(pl->body, pl->len, &a) == 0)
			check_auth(s, sa, &a, from_i);
	}
	if (resp && ike_chain_find(in, IKE_PL_SA, 0)) {
		struct ike_proposal esp;

		if (get_first_proposal(in, true, &esp) < 0)
			fail(s, "IKE_AUTH response: bad SA");
		else
			check_child(s, sa, &sa->ni, &sa->nr, false, &esp, "IKE_AUTH child");
	}
}

/* do_create_child: decrypted CREATE_CHILD_SA: keep the request's nonce, KE
 * and SA; on the response check CHILD_SA KEYMAT or the rekeyed IKE SA. */
static void do_create_child(struct suite *s, struct sa *sa, const struct ike_hdr *h,
			    const struct ike_chain *in)
{
	bool resp = h->flags & IKE_FLAG_RESPONSE;
	struct pending *pd = pending_slot(sa, h->msg_id, !resp);
	struct ike_proposal prop;
	struct ike_chunk nr;
	struct ike_ke ke;
	bool has_ke = get_ke(in, &ke) == 0;

	if (!pd) {
		fail(s, "CREATE_CHILD_SA %s %u without %s", resp ? "response" : "request",
		     h->msg_id, resp ? "request" : "free slot");
		return;
	}
	if (has_ke)
		check_ke_len(s, &ke);
	if (!resp) {
		pd->exchange = CREATE_CHILD_SA;
		if (get_nonce(in, &pd->nonce) < 0)
			fail(s, "CREATE_CHILD_SA request without Nonce");
		pd->has_sa = get_first_proposal(in, false, &pd->prop) == 0;
		pd->ke_group = has_ke ? ke.group : 0;
		pd->ke_len = has_ke ? ke.len : 0;
		return;
	}
	pd->used = false;
	if (!ike_chain_find(in, IKE_PL_SA, 0))
		return;		/* error notify (none expected: the capture script checks) */
	if (get_nonce(in, &nr) < 0 || get_first_proposal(in, true, &prop) < 0 || !pd->has_sa) {
		fail(s, "CREATE_CHILD_SA response: Nonce or SA unusable");
		return;
	}
	if (prop.protocol == IKE_PROTO_ESP || prop.protocol == IKE_PROTO_AH) {
		check_child(s, sa, &pd->nonce, &nr, has_ke && pd->ke_group, &prop,
			    has_ke ? "CREATE_CHILD_SA (PFS)" : "CREATE_CHILD_SA");
		return;
	}
	/* IKE SA rekey, RFC 7296 1.3.2 / 2.18 */
	{
		struct sa *nsa = new_sa(s);
		const struct ike_rec *rec;
		uint8_t *sk_in, seed[64];
		size_t sl;
		int r;

		if (!nsa) {
			fail(s, "too many IKE SAs");
			return;
		}
		if (pd->prop.spi_len != 8 || prop.spi_len != 8 || !has_ke) {
			fail(s, "IKE rekey: SPIs or KE missing");
			return;
		}
		memcpy(nsa->spi_i, pd->prop.spi, 8);
		memcpy(nsa->spi_r, prop.spi, 8);
		nsa->have_spi_r = true;
		if (algs_from_proposal(&prop, &nsa->keys, &nsa->dh) < 0) {
			fail(s, "IKE rekey: unusable proposal");
			return;
		}
		if (s->used_ikes == s->n_ikes) {
			fail(s, "IKE rekey: no key derivation left in the log");
			return;
		}
		rec = &s->ikes[s->used_ikes++];
		if (!rec->dh) {
			fail(s, "IKE rekey: no DH secret logged");
			return;
		}
		/* SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) */
		sl = rec->dh->len + pd->nonce.len + nr.len;
		sk_in = malloc(sl);
		if (!sk_in)
			return;
		memcpy(sk_in, rec->dh->data, rec->dh->len);
		memcpy(sk_in + rec->dh->len, pd->nonce.ptr, pd->nonce.len);
		memcpy(sk_in + rec->dh->len + pd->nonce.len, nr.ptr, nr.len);
		r = ike_prf(sa->keys.prf, sa->keys.sk_d.ptr, sa->keys.sk_d.len, sk_in, sl, seed);
		if (r < 0)
			fail(s, "IKE rekey SKEYSEED prf: %d", r);
		else
			cmp_key(s, "rekeyed SKEYSEED", seed, ike_prf_len(sa->keys.prf), rec->skeyseed);
		free(sk_in);
		r = ike_derive_rekeyed_ike_keys(&nsa->keys, sa->keys.prf, &sa->keys.sk_d,
						pd->nonce.ptr, pd->nonce.len, nr.ptr, nr.len,
						rec->dh->data, rec->dh->len, nsa->spi_i, nsa->spi_r);
		if (r < 0) {
			fail(s, "ike_derive_rekeyed_ike_keys: %d", r);
			return;
		}
		nsa->have_keys = true;
		check_ike_keys(s, &nsa->keys, rec, "rekeyed IKE SA");
		s->ike_keysets++;
	}
}

/* do_encrypted: locate and open the SK payload with the SA's keys, parse
 * every inner payload, then hand over to the exchange's checks. */
static void do_encrypted(struct suite *s, const struct pkt *p, const struct ike_msg_view *v)
{
	struct sa *sa = find_sa(s, v->hdr.spi_i, v->hdr.spi_r);
	bool resp = v->hdr.flags & IKE_FLAG_RESPONSE;
	bool from_i = v->hdr.flags & IKE_FLAG_INITIATOR;
	struct ike_sk_info si;
	struct ike_chain *in;
	uint8_t *plain;
	size_t plen = 0;
	int r;

	if (!sa || !sa->have_keys) {
		fail(s, "%s for an IKE SA without keys", ike_exchange_name(v->hdr.exchange));
		return;
	}
	r = ike_sk_locate(p->data, p->len, &si);
	if (r < 0) {
		fail(s, "ike_sk_locate: %d", r);
		return;
	}
	if (si.is_frag) {
		fail(s, "SKF fragment: not expected in these captures");
		return;
	}
	plain = malloc(p->len);
	if (!plain)
		return;
	s->plains[s->n_plains++] = plain;
	r = ike_sk_open(&sa->keys, from_i, p->data, p->len, si.body_off, plain, p->len, &plen);
	if (r < 0) {
		fail(s, "ike_sk_open (%s %s): %d", ike_exchange_name(v->hdr.exchange),
		     resp ? "response" : "request", r);
		return;
	}
	s->encrypted++;
	in = calloc(1, sizeof(*in));
	if (!in)
		return;
	r = ike_chain_parse(plain, plen, 0, si.first_inner, in);
	if (r < 0) {
		fail(s, "inner payload chain: ike_chain_parse %d", r);
		free(in);
		return;
	}
	parse_chain_bodies(s, in, resp, "inner");
	if (verbose) {
		printf("  %s: #%u %s %s %u [", s->name, p->index, ike_exchange_name(v->hdr.exchange),
		       resp ? "response" : "request", v->hdr.msg_id);
		for (size_t i = 0; i < in->n; i++)
			printf(" %s", plname(in->pl[i].type));
		printf(" ]\n");
	}
	s->deletes += (unsigned int)ike_chain_count(in, IKE_PL_DELETE);
	switch (v->hdr.exchange) {
	case IKE_AUTH:
		do_ike_auth(s, sa, in, resp);
		break;
	case CREATE_CHILD_SA:
		do_create_child(s, sa, &v->hdr, in);
		break;
	default:
		break;
	}
	free(in);
}

/* ---- one suite ------------------------------------------------------------------------ */

/* set_field: copy a meta value into dst; a value that does not fit fails
 * the suite rather than being silently truncated. */
static void set_field(struct suite *s, char *dst, size_t cap, const char *val)
{
	size_t n = strlen(val);

	if (n >= cap) {
		fail(s, "meta value too long: %.20s...", val);
		return;
	}
	memcpy(dst, val, n + 1);
}

/* read_meta: suite name, PSK and EAP credentials from SUITE/meta. */
static void read_meta(struct suite *s)
{
	char path[4096], line[512];
	FILE *fp;

	if (!interop_join_path(path, sizeof(path), s->dir, "meta"))
		return;
	fp = fopen(path, "r");
	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "suite=", 6))
			set_field(s, s->name, sizeof(s->name), line + 6);
		else if (!strncmp(line, "psk=", 4))
			set_field(s, s->psk, sizeof(s->psk), line + 4);
		else if (!strncmp(line, "eap_user=", 9))
			set_field(s, s->eap_user, sizeof(s->eap_user), line + 9);
		else if (!strncmp(line, "eap_secret=", 11))
			set_field(s, s->eap_secret, sizeof(s->eap_secret), line + 11);
	}
	fclose(fp);
}

/* free_suite: release everything check_suite allocated (keys wiped). */
static void free_suite(struct suite *s)
{
	for (size_t i = 0; i < s->n_pkts; i++)
		free(s->pkts[i].data);
	for (size_t i = 0; i < s->n_plains; i++)
		free(s->plains[i]);
	for (size_t i = 0; i < s->n_items; i++)
		free(s->items[i].data);
	for (size_t i = 0; i < s->n_sas; i++) {
		ike_sa_keys_free(&s->sas[i].keys);
		ike_key_free(&s->sas[i].msk);
		EVP_PKEY_free(s->sas[i].cert_i);
		EVP_PKEY_free(s->sas[i].cert_r);
	}
	ike_mschap_ctx_free(s->ms);
}

/* check_suite: run every check on one suite directory; returns its failures. */
static unsigned int check_suite(const char *dir)
{
	struct suite *s = calloc(1, sizeof(*s));
	char path[4096], err[256] = "path too long";
	unsigned int fails;
	int r;

	if (!s)
		return 1;
	s->dir = dir;
	set_field(s, s->name, sizeof(s->name), strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir);
	read_meta(s);
	if (s->eap_secret[0] && (r = ike_mschap_ctx_new(&s->ms)) < 0)
		fail(s, "ike_mschap_ctx_new: %d", r);
	if (!interop_join_path(path, sizeof(path), dir, "capture.pcap") ||
	    interop_read_pcap(path, s->pkts, MAX_PKTS, &s->n_pkts, &s->pst, err, sizeof(err)) < 0) {
		fail(s, "pcap: %s", err);
		goto done;
	}
	if (!interop_join_path(path, sizeof(path), dir, "responder.log") ||
	    interop_read_log(path, s->items, MAX_ITEMS, &s->n_items, err, sizeof(err)) < 0) {
		fail(s, "log: %s", err);
		goto done;
	}
	group_log(s);
	for (size_t i = 0; i < s->n_pkts; i++) {
		const struct pkt *p = &s->pkts[i];
		struct ike_msg_view *v = calloc(1, sizeof(*v));

		if (!v)
			break;
		s->cur = p;
		s->msgs++;
		r = ike_msg_parse(p->data, p->len, v);
		if (r < 0) {
			fail(s, "ike_msg_parse: %d", r);
			free(v);
			continue;
		}
		parse_chain_bodies(s, &v->ch, v->hdr.flags & IKE_FLAG_RESPONSE, "outer");
		if (v->hdr.exchange == IKE_SA_INIT)
			do_sa_init(s, p, v);
		else if (v->ch.n && v->ch.pl[v->ch.n - 1].type == IKE_PL_SK)
			do_encrypted(s, p, v);
		else
			fail(s, "%s message without SK payload", ike_exchange_name(v->hdr.exchange));
		free(v);
	}
	s->cur = NULL;
	/* what capture.sh did: initial SA + IKE rekey, children a, b, a', b' */
	if (s->ike_keysets != 2)
		fail(s, "expected 2 IKE key sets (initial + rekey), checked %u", s->ike_keysets);
	if (s->child_keymats != 4)
		fail(s, "expected 4 CHILD_SA KEYMATs, checked %u", s->child_keymats);
	if (s->used_ikes != s->n_ikes || s->used_children != s->n_children)
		fail(s, "log has derivations without a captured exchange (IKE %zu/%zu, CHILD %zu/%zu)",
		     s->used_ikes, s->n_ikes, s->used_children, s->n_children);
	if (s->auth_ok != (s->eap_secret[0] ? 3u : 2u))
		fail(s, "expected %u verified AUTH payloads, got %u", s->eap_secret[0] ? 3u : 2u, s->auth_ok);
	if (s->eap_secret[0] && s->eap_ok != 1)
		fail(s, "EAP-MSCHAPv2 exchange not verified");
	if (s->deletes < 3)
		fail(s, "expected at least 3 Delete payloads, saw %u", s->deletes);
done:
	printf("%s: %s — %u IKE messages (%u decrypted), %u ESP-in-UDP skipped, %u payloads "
	       "parsed [", s->name, s->fails ? "FAILED" : "ok", s->msgs, s->encrypted, s->pst.esp,
	       s->payloads);
	for (unsigned int t = 0; t < 64; t++)
		if (s->pl_count[t])
			printf(" %s:%u", plname((uint8_t)t), s->pl_count[t]);
	printf(" ], %u IKE key sets, %u CHILD KEYMATs, %u key comparisons, %u AUTH verified%s\n",
	       s->ike_keysets, s->child_keymats, s->keys_cmp, s->auth_ok,
	       s->eap_ok ? ", EAP-MSCHAPv2 verified" : "");
	fails = s->fails;
	free_suite(s);
	free(s);
	return fails;
}

/* is_suite: dir holds a capture (capture.pcap). */
static bool is_suite(const char *dir)
{
	char path[4096];
	struct stat st;

	return interop_join_path(path, sizeof(path), dir, "capture.pcap") && stat(path, &st) == 0;
}

/* cmp_str: qsort comparator for C strings. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* main: check every suite given (or found one level below); see the top. */
int main(int argc, char **argv)
{
	unsigned int suites = 0, failed = 0;
	int i = 1;

	if (argc > 1 && !strcmp(argv[1], "-v")) {
		verbose = true;
		i++;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: interop_check [-v] DIR...\n");
		return 2;
	}
	if (ike_init() < 0) {
		fprintf(stderr, "ike_init failed\n");
		return 1;
	}
	for (; i < argc; i++) {
		if (is_suite(argv[i])) {
			suites++;
			failed += check_suite(argv[i]) ? 1 : 0;
			continue;
		}
		/* a directory of suites, in name order */
		DIR *d = opendir(argv[i]);
		char *names[256];
		size_t n = 0;
		struct dirent *de;

		if (!d) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			failed++;
			continue;
		}
		while ((de = readdir(d)) && n < 256) {
			char sub[4096];

			if (de->d_name[0] == '.')
				continue;
			if (interop_join_path(sub, sizeof(sub), argv[i], de->d_name) && is_suite(sub))
				names[n++] = strdup(sub);
		}
		closedir(d);
		qsort(names, n, sizeof(names[0]), cmp_str);
		for (size_t j = 0; j < n; j++) {
			suites++;
			failed += check_suite(names[j]) ? 1 : 0;
			free(names[j]);
		}
	}
	if (suites == 0) {
		fprintf(stderr, "interop_check: no suite found (a suite dir holds capture.pcap)\n");
		return 1;
	}
	printf("interop_check: %u passed, %u failed\n", suites - failed, failed);
	return failed ? 1 : 0;
}
