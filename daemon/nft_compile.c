/*
 * nft_compile.c — the access policy compiled into disjoint boxes per user
 * class, and the nftables text of ragd's table (see nft_compile.h).
 */
#include "nft_compile.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "log.h"

/* ---- numbers ------------------------------------------------------------------------ */

/* The low bits bits set (bits 0..128). */
static nftc_u128 low_mask(unsigned int bits)
{
	return bits >= 128 ? ~(nftc_u128)0 : (((nftc_u128)1 << bits) - 1);
}

/* Address bits of a family. */
static unsigned int fam_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* Network-order address -> number. */
static nftc_u128 addr_num(int family, const uint8_t *a)
{
	nftc_u128 v = 0;
	unsigned int n = fam_bits(family) / 8;

	for (unsigned int i = 0; i < n; i++)
		v = (v << 8) | a[i];
	return v;
}

/* Number -> network-order address. */
static void num_addr(int family, nftc_u128 v, uint8_t *a)
{
	unsigned int n = fam_bits(family) / 8;

	for (unsigned int i = n; i-- > 0;) {
		a[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

/* Population count of v. */
static unsigned int popcount128(nftc_u128 v)
{
	return (unsigned int)__builtin_popcountll((unsigned long long)v) +
	       (unsigned int)__builtin_popcountll((unsigned long long)(v >> 64));
}

/* ---- box vectors ---------------------------------------------------------------------- */

struct boxvec {
	struct nftc_box *v;
	size_t n, cap;
};

/* Append b; -ENOMEM. */
static int bv_push(struct boxvec *bv, const struct nftc_box *b)
{
	if (bv->n == bv->cap) {
		size_t nc = bv->cap ? bv->cap * 2 : 16;
		struct nftc_box *nv = realloc(bv->v, nc * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		bv->v = nv;
		bv->cap = nc;
	}
	bv->v[bv->n++] = *b;
	return 0;
}

/* Do a and b share a point? */
static bool box_meet(const struct nftc_box *a, const struct nftc_box *b)
{
	for (int d = 0; d < NFTC_DIMS; d++)
		if (a->hi[d] < b->lo[d] || b->hi[d] < a->lo[d])
			return false;
	return true;
}

/* Append the parts of p outside c (p and c meet) to out: at most two per
 * dimension, cut along the address first so that pieces keep whole
 * protocol/port ranges where they can.  0 or -ENOMEM. */
static int box_subtract(const struct nftc_box *p, const struct nftc_box *c, struct boxvec *out)
{
	struct nftc_box rem = *p, piece;

	for (int d = 0; d < NFTC_DIMS; d++) {
		if (rem.lo[d] < c->lo[d]) {
			piece = rem;
			piece.hi[d] = c->lo[d] - 1;
			if (bv_push(out, &piece) < 0)
				return -ENOMEM;
			rem.lo[d] = c->lo[d];
		}
		if (rem.hi[d] > c->hi[d]) {
			piece = rem;
			piece.lo[d] = c->hi[d] + 1;
			if (bv_push(out, &piece) < 0)
				return -ENOMEM;
			rem.hi[d] = c->hi[d];
		}
	}
	return 0;	/* what is left of rem lies inside c */
}

/* ---- compilation ------------------------------------------------------------------------ */

static int cmp_u32(const void *a, const void *b);

struct compiler {
	const struct pol_snapshot *s;
	struct nftc_policy *p;
	size_t max_boxes;
	struct boxvec pieces, tmp;	/* scratch */
	char *err;
	size_t errlen;
};

/* Check the snapshot's rules before using them (never trust the input). */
static int check_rules(struct compiler *c)
{
	const struct pol_snapshot *s = c->s;

	if (s->nrules > NFTC_MAX_RULES || s->nusers > NFTC_MAX_USERS) {
		snprintf(c->err, c->errlen, "policy too large: %zu rules, %zu users (limits %u, %u)",
			 s->nrules, s->nusers, NFTC_MAX_RULES, NFTC_MAX_USERS);
		return -E2BIG;
	}
	for (size_t i = 0; i < s->nrules; i++) {
		const struct pol_rule *r = &s->rules[i];

		if ((r->ndst && !r->dst) || (r->nsvc && !r->svc)) {
			snprintf(c->err, c->errlen, "rule %u: missing members", r->id);
			return -EINVAL;
		}
		for (size_t k = 0; k < r->ndst; k++) {
			const struct pol_prefix *px = &r->dst[k];

			if ((px->family != AF_INET && px->family != AF_INET6) ||
			    px->len > fam_bits(px->family)) {
				snprintf(c->err, c->errlen, "rule %u: bad destination prefix "
					 "(family %u, length %u)", r->id, (unsigned int)px->family,
					 (unsigned int)px->len);
				return -EINVAL;
			}
		}
		for (size_t k = 0; k < r->nsvc; k++) {
			const struct pol_service *sv = &r->svc[k];
			bool ports = sv->proto == POL_PROTO_TCP || sv->proto == POL_PROTO_UDP;

			if ((sv->proto != POL_PROTO_ANY && sv->proto != POL_PROTO_ICMP && !ports) ||
			    (ports && sv->port_lo > sv->port_hi)) {
				snprintf(c->err, c->errlen, "rule %u: bad service (protocol %u, "
					 "ports %u-%u)", r->id, (unsigned int)sv->proto,
					 (unsigned int)sv->port_lo, (unsigned int)sv->port_hi);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* The box of destination px and service sv (icmp means ICMPv6 for an IPv6
 * destination). */
static void make_box(const struct pol_prefix *px, const struct pol_service *sv,
		     struct nftc_box *b)
{
	unsigned int host = fam_bits(px->family) - px->len;
	nftc_u128 a = addr_num(px->family, px->addr) & ~low_mask(host);

	memset(b, 0, sizeof(*b));
	b->lo[NFTC_DIM_ADDR] = a;
	b->hi[NFTC_DIM_ADDR] = a | low_mask(host);
	if (px->family == AF_INET)
		b->hi[NFTC_DIM_ADDR] &= low_mask(32);
	b->lo[NFTC_DIM_PORT] = 0;
	b->hi[NFTC_DIM_PORT] = 65535;
	switch (sv->proto) {
	case POL_PROTO_ANY:
		b->lo[NFTC_DIM_PROTO] = 0;
		b->hi[NFTC_DIM_PROTO] = 255;
		break;
	case POL_PROTO_ICMP:
		b->lo[NFTC_DIM_PROTO] = b->hi[NFTC_DIM_PROTO] = px->family == AF_INET ? 1 : 58;
		break;
	default:
		b->lo[NFTC_DIM_PROTO] = b->hi[NFTC_DIM_PROTO] = sv->proto;
		b->lo[NFTC_DIM_PORT] = sv->port_lo;
		b->hi[NFTC_DIM_PORT] = sv->port_hi;
		break;
	}
}

/* Add box b of rule ri to out after cutting away what earlier boxes (all
 * of out: earlier rules, and earlier boxes of this rule, which decide the
 * same anyway) already decide. */
static int add_box(struct compiler *c, struct boxvec *out, struct nftc_box *b, uint32_t ri)
{
	c->pieces.n = 0;
	b->rule = ri;
	if (bv_push(&c->pieces, b) < 0)
		return -ENOMEM;
	for (size_t j = 0; j < out->n && c->pieces.n; j++) {
		const struct nftc_box *o = &out->v[j];
		struct boxvec sw;

		c->tmp.n = 0;
		for (size_t k = 0; k < c->pieces.n; k++) {
			int rc = box_meet(&c->pieces.v[k], o) ?
				 box_subtract(&c->pieces.v[k], o, &c->tmp) :
				 bv_push(&c->tmp, &c->pieces.v[k]);

			if (rc < 0)
				return rc;
		}
		sw = c->pieces;
		c->pieces = c->tmp;
		c->tmp = sw;
	}
	if (c->p->nboxes + c->pieces.n > c->max_boxes) {
		snprintf(c->err, c->errlen, "policy too large: more than %zu nftables elements "
			 "(at rule %u)", c->max_boxes, c->p->rules[ri].id);
		return -E2BIG;
	}
	for (size_t k = 0; k < c->pieces.n; k++)
		if (bv_push(out, &c->pieces.v[k]) < 0)
			return -ENOMEM;
	c->p->nboxes += c->pieces.n;
	return 0;
}

/* Is g in the ascending array a[0..n)? */
static bool has_group(const uint32_t *a, size_t n, uint32_t g)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a[mid] == g)
			return true;
		if (a[mid] < g)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* The map of the rules whose group is in key[0..n) (ascending), first match
 * resolved among them. */
static int resolve(struct compiler *c, const uint32_t *key, size_t n, struct nftc_map *m)
{
	const struct pol_snapshot *s = c->s;
	struct boxvec out[2] = { { NULL, 0, 0 }, { NULL, 0, 0 } };
	int rc = 0;

	for (size_t i = 0; i < s->nrules && rc == 0; i++) {
		const struct pol_rule *r = &s->rules[i];

		if (!has_group(key, n, r->user_group))
			continue;
		for (size_t x = 0; x < r->ndst && rc == 0; x++) {
			int f = r->dst[x].family == AF_INET ? 0 : 1;

			for (size_t y = 0; y < r->nsvc && rc == 0; y++) {
				struct nftc_box b;

				make_box(&r->dst[x], &r->svc[y], &b);
				rc = add_box(c, &out[f], &b, (uint32_t)i);
			}
		}
	}
	for (int f = 0; f < 2; f++) {
		m->box[f] = out[f].v;
		m->nbox[f] = out[f].n;
	}
	return rc;
}

/* ---- the lookup order of a class's groups -------------------------------------------- */

/* What a box decides, as far as a packet can tell: accept and drop without
 * logging are the same whichever rule they come from; a logged rule names
 * itself. */
static uint32_t target_key(const struct nftc_policy *p, uint32_t rule)
{
	const struct nftc_rule *r = &p->rules[rule];

	return r->log ? 2 + rule : r->permit ? 0 : 1;
}

/* Pairwise precedence between two groups' maps: bit 0 = somewhere a box of
 * a decides differently from an overlapping box of b and a's rule comes
 * first (a must be looked up before b); bit 1 = the other way round. */
static unsigned int pair_order(const struct nftc_policy *p, const struct nftc_map *a,
			       const struct nftc_map *b)
{
	unsigned int bits = 0;

	for (int f = 0; f < 2; f++)
		for (size_t i = 0; i < a->nbox[f] && bits != 3; i++)
			for (size_t j = 0; j < b->nbox[f] && bits != 3; j++) {
				const struct nftc_box *x = &a->box[f][i], *y = &b->box[f][j];

				if (!box_meet(x, y) ||
				    target_key(p, x->rule) == target_key(p, y->rule))
					continue;
				bits |= x->rule < y->rule ? 1u : 2u;
			}
	return bits;
}

/* Memo of pair_order by (group index, group index). */
struct pair_memo {
	struct pair_ent {
		uint32_t a, b;		/* a < b; UINT32_MAX = free */
		uint8_t bits;
	} *e;
	size_t cap, n;
};

static int memo_get(struct pair_memo *m, const struct nftc_policy *p, uint32_t a, uint32_t b,
		    unsigned int *bits)
{
	size_t h;

	if (m->n * 2 >= m->cap) {
		struct pair_memo nm = { NULL, m->cap ? m->cap * 2 : 256, 0 };

		nm.e = malloc(nm.cap * sizeof(*nm.e));
		if (!nm.e)
			return -ENOMEM;
		for (size_t i = 0; i < nm.cap; i++)
			nm.e[i].a = UINT32_MAX;
		for (size_t i = 0; i < m->cap; i++) {
			if (m->e[i].a == UINT32_MAX)
				continue;
			h = ((size_t)m->e[i].a * 2654435761u ^ m->e[i].b) & (nm.cap - 1);
			while (nm.e[h].a != UINT32_MAX)
				h = (h + 1) & (nm.cap - 1);
			nm.e[h] = m->e[i];
			nm.n++;
		}
		free(m->e);
		*m = nm;
	}
	h = ((size_t)a * 2654435761u ^ b) & (m->cap - 1);
	while (m->e[h].a != UINT32_MAX) {
		if (m->e[h].a == a && m->e[h].b == b) {
			*bits = m->e[h].bits;
			return 0;
		}
		h = (h + 1) & (m->cap - 1);
	}
	*bits = pair_order(p, &p->groups[a].m, &p->groups[b].m);
	m->e[h].a = a;
	m->e[h].b = b;
	m->e[h].bits = (uint8_t)*bits;
	m->n++;
	return 0;
}

/* Index of group id in p->groups (present by construction). */
static size_t group_index(const struct nftc_policy *p, uint32_t id)
{
	size_t lo = 0, hi = p->ngroups;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->groups[mid].id == id)
			return mid;
		if (p->groups[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/*
 * Order class k's group lookups (Kahn's algorithm over the precedence
 * edges, lowest group first among the free ones) into k->seq, or mark it
 * merged when the edges have a cycle.
 */
static int order_class(struct compiler *c, struct pair_memo *memo, struct nftc_class *k)
{
	struct nftc_policy *p = c->p;
	size_t n = k->ngroups, *gi = calloc(n, sizeof(size_t)), *indeg = calloc(n, sizeof(size_t));
	uint8_t *edge = calloc(n * n, 1);	/* edge[i * n + j]: i before j */
	bool *done = calloc(n, sizeof(bool));
	int rc = -ENOMEM;

	k->seq = calloc(n, sizeof(size_t));
	if (!gi || !indeg || !edge || !done || !k->seq)
		goto out;
	for (size_t i = 0; i < n; i++)
		gi[i] = group_index(p, k->groups[i]);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			unsigned int bits;

			rc = memo_get(memo, p, (uint32_t)gi[i], (uint32_t)gi[j], &bits);
			if (rc < 0)
				goto out;
			if (bits == 3) {
				k->merged = true;	/* contradicting overlaps */
				goto out;
			}
			if (bits & 1) {
				edge[i * n + j] = 1;
				indeg[j]++;
			}
			if (bits & 2) {
				edge[j * n + i] = 1;
				indeg[i]++;
			}
		}
	while (k->nseq < n) {
		size_t pick = n;

		for (size_t i = 0; i < n && pick == n; i++)
			if (!done[i] && !indeg[i])
				pick = i;
		if (pick == n) {
			k->merged = true;	/* a cycle of three or more */
			goto out;
		}
		done[pick] = true;
		k->seq[k->nseq++] = gi[pick];
		for (size_t j = 0; j < n; j++)
			if (edge[pick * n + j])
				indeg[j]--;
	}
	rc = 0;
out:
	if (k->merged) {
		rc = 0;
		free(k->seq);
		k->seq = NULL;
		k->nseq = 0;
	}
	free(gi);
	free(indeg);
	free(edge);
	free(done);
	return rc;
}

/* The groups some class names, each with its map. */
static int make_groups(struct compiler *c)
{
	struct nftc_policy *p = c->p;
	size_t total = 0;
	uint32_t *ids;
	int rc = 0;

	for (size_t k = 0; k < p->nclasses; k++)
		total += p->classes[k].ngroups;
	if (!total)
		return 0;
	ids = malloc(total * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	total = 0;
	for (size_t k = 0; k < p->nclasses; k++)
		for (size_t i = 0; i < p->classes[k].ngroups; i++)
			ids[total++] = p->classes[k].groups[i];
	qsort(ids, total, sizeof(*ids), cmp_u32);
	p->groups = calloc(total, sizeof(*p->groups));
	if (!p->groups) {
		free(ids);
		return -ENOMEM;
	}
	for (size_t i = 0; i < total; i++)
		if (!p->ngroups || p->groups[p->ngroups - 1].id != ids[i])
			p->groups[p->ngroups++].id = ids[i];
	free(ids);
	for (size_t g = 0; g < p->ngroups && rc == 0; g++)
		rc = resolve(c, &p->groups[g].id, 1, &p->groups[g].m);
	return rc;
}

/* Every class: its lookup order, or its own map. */
static int order_classes(struct compiler *c)
{
	struct nftc_policy *p = c->p;
	struct pair_memo memo = { NULL, 0, 0 };
	int rc = 0;

	for (size_t k = 0; k < p->nclasses && rc == 0; k++) {
		struct nftc_class *cl = &p->classes[k];

		rc = order_class(c, &memo, cl);
		if (rc == 0 && cl->merged) {
			p->nmerged++;
			rc = resolve(c, cl->groups, cl->ngroups, &cl->m);
		}
		for (size_t i = 0; rc == 0 && i < cl->nseq; i++)
			p->groups[cl->seq[i]].used = true;
	}
	free(memo.e);
	return rc;
}

/* A user's class key while sorting. */
struct ukey {
	uint32_t *g;
	size_t n;
	size_t user;
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_ukey(const void *a, const void *b)
{
	const struct ukey *x = a, *y = b;
	size_t n = x->n < y->n ? x->n : y->n;

	for (size_t i = 0; i < n; i++)
		if (x->g[i] != y->g[i])
			return x->g[i] < y->g[i] ? -1 : 1;
	return x->n < y->n ? -1 : x->n > y->n;
}

static int cmp_user(const void *a, const void *b)
{
	const struct nftc_user *x = a, *y = b;

	return strcasecmp(x->name, y->name);
}

/* Group users into classes (users[].cls, classes[].groups). */
static int make_classes(struct compiler *c)
{
	const struct pol_snapshot *s = c->s;
	struct nftc_policy *p = c->p;
	uint32_t *rel = NULL;
	size_t nrel = 0;
	struct ukey *keys = NULL;
	int rc = -ENOMEM;

	/* the groups some rule names */
	if (s->nrules) {
		rel = malloc(s->nrules * sizeof(*rel));
		if (!rel)
			goto out;
		for (size_t i = 0; i < s->nrules; i++)
			rel[i] = s->rules[i].user_group;
		qsort(rel, s->nrules, sizeof(*rel), cmp_u32);
		for (size_t i = 0; i < s->nrules; i++)
			if (!nrel || rel[nrel - 1] != rel[i])
				rel[nrel++] = rel[i];
	}
	if (s->nusers) {
		keys = calloc(s->nusers, sizeof(*keys));
		p->users = calloc(s->nusers, sizeof(*p->users));
		if (!keys || !p->users)
			goto out;
	}
	for (size_t u = 0; u < s->nusers; u++) {
		const struct pol_user *pu = &s->users[u];
		size_t n = 0;

		if (!pu->name || (pu->ngroups && !pu->groups) || pu->ngroups > NFTC_MAX_GROUPS) {
			snprintf(c->err, c->errlen, "user %zu: malformed (name or groups)", u);
			rc = -EINVAL;
			goto out;
		}
		p->users[u].name = strdup(pu->name);
		p->users[u].cls = -1;
		keys[u].user = u;
		if (!p->users[u].name)
			goto out;
		p->nusers = u + 1;
		if (pu->ngroups) {
			keys[u].g = malloc(pu->ngroups * sizeof(uint32_t));
			if (!keys[u].g)
				goto out;
		}
		for (size_t i = 0; i < pu->ngroups; i++)
			if (has_group(rel, nrel, pu->groups[i]))
				keys[u].g[n++] = pu->groups[i];
		if (n)
			qsort(keys[u].g, n, sizeof(uint32_t), cmp_u32);
		/* duplicates in the input would make equal sets differ */
		keys[u].n = 0;
		for (size_t i = 0; i < n; i++)
			if (!keys[u].n || keys[u].g[keys[u].n - 1] != keys[u].g[i])
				keys[u].g[keys[u].n++] = keys[u].g[i];
	}
	p->nusers = s->nusers;
	if (s->nusers)
		qsort(keys, s->nusers, sizeof(*keys), cmp_ukey);
	if (s->nusers) {
		p->classes = calloc(s->nusers, sizeof(*p->classes));
		if (!p->classes)
			goto out;
	}
	for (size_t i = 0; i < s->nusers; i++) {
		struct nftc_class *k;

		if (!keys[i].n)
			continue;	/* no rule applies: default deny */
		k = p->nclasses ? &p->classes[p->nclasses - 1] : NULL;
		if (!k || k->ngroups != keys[i].n ||
		    memcmp(k->groups, keys[i].g, keys[i].n * sizeof(uint32_t)) != 0) {
			k = &p->classes[p->nclasses++];
			k->groups = keys[i].g;
			k->ngroups = keys[i].n;
			keys[i].g = NULL;	/* the class owns it */
		}
		k = &p->classes[p->nclasses - 1];
		k->nusers++;
		p->users[keys[i].user].cls = (int)(p->nclasses - 1);
	}
	rc = 0;
out:
	for (size_t i = 0; keys && i < s->nusers; i++)
		free(keys[i].g);
	free(keys);
	free(rel);
	if (rc == -ENOMEM)
		snprintf(c->err, c->errlen, "out of memory");
	return rc;
}

/* See nft_compile.h. */
int nftc_compile(const struct pol_snapshot *s, size_t max_boxes, struct nftc_policy **out,
		 char *err, size_t errlen)
{
	struct compiler c;
	struct nftc_policy *p = calloc(1, sizeof(*p));
	int rc;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.s = s;
	c.p = p;
	c.max_boxes = max_boxes ? max_boxes : NFTC_MAX_BOXES_DEFAULT;
	c.err = err;
	c.errlen = errlen;
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	p->generation = s->generation;
	rc = check_rules(&c);
	if (rc < 0)
		goto fail;
	if (s->nrules) {
		p->rules = calloc(s->nrules, sizeof(*p->rules));
		if (!p->rules) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	for (size_t i = 0; i < s->nrules; i++) {
		p->rules[i].id = s->rules[i].id;
		p->rules[i].permit = s->rules[i].permit;
		p->rules[i].log = s->rules[i].log;
	}
	p->nrules = s->nrules;
	rc = make_classes(&c);
	if (rc == 0)
		rc = make_groups(&c);
	if (rc == 0)
		rc = order_classes(&c);
	if (rc < 0)
		goto fail;
	if (p->users)
		qsort(p->users, p->nusers, sizeof(*p->users), cmp_user);
	free(c.pieces.v);
	free(c.tmp.v);
	*out = p;
	return 0;
fail:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	free(c.pieces.v);
	free(c.tmp.v);
	nftc_free(p);
	return rc;
}

/* See nft_compile.h. */
void nftc_free(struct nftc_policy *p)
{
	if (!p)
		return;
	for (size_t k = 0; k < p->nclasses; k++) {
		free(p->classes[k].groups);
		free(p->classes[k].seq);
		free(p->classes[k].m.box[0]);
		free(p->classes[k].m.box[1]);
	}
	for (size_t g = 0; g < p->ngroups; g++) {
		free(p->groups[g].m.box[0]);
		free(p->groups[g].m.box[1]);
	}
	free(p->groups);
	for (size_t u = 0; u < p->nusers; u++)
		free(p->users[u].name);
	free(p->classes);
	free(p->users);
	free(p->rules);
	free(p);
}

/* See nft_compile.h. */
int nftc_user_class(const struct nftc_policy *p, const char *name)
{
	size_t lo = 0, hi = p ? p->nusers : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcasecmp(name, p->users[mid].name);

		if (c == 0)
			return p->users[mid].cls;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* The rule of the box of m holding pt (-1: none, -2: more than one). */
static long map_lookup(const struct nftc_map *m, int f, const nftc_u128 *pt)
{
	long hit = -1;

	for (size_t i = 0; i < m->nbox[f]; i++) {
		const struct nftc_box *b = &m->box[f][i];
		bool in = true;

		for (int d = 0; d < NFTC_DIMS && in; d++)
			in = b->lo[d] <= pt[d] && pt[d] <= b->hi[d];
		if (in) {
			if (hit >= 0)
				return -2;
			hit = b->rule;
		}
	}
	return hit;
}

/* See nft_compile.h. */
long nftc_lookup(const struct nftc_policy *p, int cls, int family, const uint8_t *addr,
		 uint8_t proto, uint16_t port)
{
	const struct nftc_class *k;
	nftc_u128 pt[NFTC_DIMS];
	int f = family == AF_INET ? 0 : 1;

	if (!p || cls < 0 || (size_t)cls >= p->nclasses)
		return -1;
	k = &p->classes[cls];
	pt[NFTC_DIM_ADDR] = addr_num(family, addr);
	pt[NFTC_DIM_PROTO] = proto;
	pt[NFTC_DIM_PORT] = port;
	if (k->merged)
		return map_lookup(&k->m, f, pt);
	for (size_t i = 0; i < k->nseq; i++) {
		long hit = map_lookup(&p->groups[k->seq[i]].m, f, pt);

		if (hit != -1)
			return hit;
	}
	return -1;
}

/* ---- text ------------------------------------------------------------------------------ */

/* See nft_compile.h. */
void nftc_text_free(struct nftc_text *t)
{
	free(t->s);
	memset(t, 0, sizeof(*t));
}

/* See nft_compile.h. */
void nftc_text_printf(struct nftc_text *t, const char *fmt, ...)
{
	va_list ap;

	if (t->oom)
		return;
	va_start(ap, fmt);
	if (rag_vappendf(&t->s, &t->len, &t->cap, 0, fmt, ap) < 0)
		t->oom = true;
	va_end(ap);
}

/* One address as text. */
static void addr_text(int family, nftc_u128 v, char *out, size_t outlen)
{
	uint8_t a[16];

	num_addr(family, v, a);
	if (!inet_ntop(family, a, out, (socklen_t)outlen))
		snprintf(out, outlen, "?");
}

/* The address range [lo, hi] as "a", "a/len" or "a-b". */
static void emit_addr_range(struct nftc_text *t, int family, nftc_u128 lo, nftc_u128 hi)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	nftc_u128 size = hi - lo;	/* block size - 1 */
	unsigned int bits = fam_bits(family);

	addr_text(family, lo, a, sizeof(a));
	if (lo == hi) {
		nftc_text_printf(t, "%s", a);
	} else if ((size & (size + 1)) == 0 && (lo & size) == 0) {
		nftc_text_printf(t, "%s/%u", a, bits - popcount128(size));
	} else {
		addr_text(family, hi, b, sizeof(b));
		nftc_text_printf(t, "%s-%s", a, b);
	}
}

/* A number range as "n" or "lo-hi". */
static void emit_num_range(struct nftc_text *t, nftc_u128 lo, nftc_u128 hi)
{
	if (lo == hi)
		nftc_text_printf(t, "%u", (unsigned int)lo);
	else
		nftc_text_printf(t, "%u-%u", (unsigned int)lo, (unsigned int)hi);
}

/* The verdict of rule r. */
static void emit_target(struct nftc_text *t, const struct nftc_rule *r)
{
	if (r->log)
		nftc_text_printf(t, "goto %c%u", r->permit ? 'p' : 'd', r->id);
	else
		nftc_text_printf(t, "%s", r->permit ? "accept" : "drop");
}

/* The rules of a logged chain: a deny chain logs at most deny_rate packets
 * per second and user (the source address), counts the rest per user and
 * drops; a permit chain does the same for the first packet of each flow
 * (permit_rate), so a user opening flows as fast as they can (a scan of a
 * permitted "any" service) cannot fill the disk either, and accepts. */
static void emit_log_chain(struct nftc_text *t, const struct nftc_table_cfg *cfg,
			   const char *name, bool permit, uint32_t rule_id)
{
	static const char *const fam[2][2] = { { "4", "ip" }, { "6", "ip6" } };
	const char *verdict = permit ? "accept" : "drop";
	char set = permit ? 'p' : 'd';

	nftc_text_printf(t, "\tchain %s {\n", name);
	if (permit)
		nftc_text_printf(t, "\t\tct state != new accept\n");
	for (int f = 0; f < 2; f++)
		nftc_text_printf(t, "\t\tupdate @%clim%s { %s saddr limit rate %u/second burst %u "
				 "packets } log prefix \"%s%u\" group %u snaplen %u %s\n",
				 set, fam[f][0], fam[f][1],
				 permit ? cfg->permit_rate : cfg->deny_rate,
				 permit ? cfg->permit_burst : cfg->deny_burst,
				 permit ? NFTC_PREFIX_PERMIT : NFTC_PREFIX_DENY, rule_id,
				 (unsigned int)cfg->nflog_group, (unsigned int)cfg->snaplen, verdict);
	for (int f = 0; f < 2; f++)
		nftc_text_printf(t, "\t\tupdate @%csup%s { %s saddr counter } %s\n",
				 set, fam[f][0], fam[f][1], verdict);
	nftc_text_printf(t, "\t\t%s\n\t}\n", verdict);
}

/* The elements of map m (family index f) named <name>v4 / <name>v6. */
static void emit_map_elements(struct nftc_text *t, const struct nftc_table_cfg *cfg,
			      const struct nftc_policy *p, const struct nftc_map *m,
			      const char *name, int f)
{
	int family = f == 0 ? AF_INET : AF_INET6;

	if (!m->nbox[f])
		return;
	nftc_text_printf(t, "add element inet %s %sv%d {", cfg->table, name, f == 0 ? 4 : 6);
	for (size_t i = 0; i < m->nbox[f]; i++) {
		const struct nftc_box *b = &m->box[f][i];

		nftc_text_printf(t, i ? ",\n\t" : "\n\t");
		emit_addr_range(t, family, b->lo[NFTC_DIM_ADDR], b->hi[NFTC_DIM_ADDR]);
		nftc_text_printf(t, " . ");
		emit_num_range(t, b->lo[NFTC_DIM_PROTO], b->hi[NFTC_DIM_PROTO]);
		nftc_text_printf(t, " . ");
		emit_num_range(t, b->lo[NFTC_DIM_PORT], b->hi[NFTC_DIM_PORT]);
		nftc_text_printf(t, " : ");
		emit_target(t, &p->rules[b->rule]);
	}
	nftc_text_printf(t, " }\n");
}

/* The map declarations of m (only families with elements). */
static void emit_map_decl(struct nftc_text *t, const struct nftc_map *m, const char *name)
{
	for (int f = 0; f < 2; f++)
		if (m->nbox[f])
			nftc_text_printf(t, "\tmap %sv%d { type ipv%d_addr . inet_proto . "
					 "inet_service : verdict; flags interval; }\n",
					 name, f ? 6 : 4, f ? 6 : 4);
}

/* Map names: g<group id> for a group's map, c<class> for a merged class. */
static void group_map_name(const struct nftc_group *g, char *out, size_t outlen)
{
	snprintf(out, outlen, "g%u", g->id);
}

static void class_map_name(size_t k, char *out, size_t outlen)
{
	snprintf(out, outlen, "c%zu", k);
}

/* The vIP map element of v ("10.8.0.2 : goto c3"). */
static void emit_vip_elem(struct nftc_text *t, const struct nftc_vip *v)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(v->family, v->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	if (v->cls >= 0)
		nftc_text_printf(t, "%s : goto c%d", a, v->cls);
	else
		nftc_text_printf(t, "%s : goto deny", a);
}

/* See nft_compile.h. */
void nftc_emit_vip(struct nftc_text *t, const struct nftc_table_cfg *cfg,
		   const struct nftc_vip *v, bool add)
{
	char a[INET6_ADDRSTRLEN];
	int f = v->family == AF_INET ? 4 : 6;

	if (add) {
		nftc_text_printf(t, "add element inet %s vip%d { ", cfg->table, f);
		emit_vip_elem(t, v);
		nftc_text_printf(t, " }\n");
		return;
	}
	if (!inet_ntop(v->family, v->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	nftc_text_printf(t, "delete element inet %s vip%d { %s }\n", cfg->table, f, a);
}

/* Which rules need a log chain (a box of theirs is in some class)? */
static bool *used_log_rules(const struct nftc_policy *p)
{
	bool *used = calloc(p->nrules ? p->nrules : 1, sizeof(*used));

	if (!used)
		return NULL;
	for (size_t k = 0; k < p->nclasses; k++)
		for (int f = 0; f < 2; f++)
			for (size_t i = 0; i < p->classes[k].m.nbox[f]; i++)
				used[p->classes[k].m.box[f][i].rule] = true;
	for (size_t g = 0; g < p->ngroups; g++)
		for (int f = 0; f < 2 && p->groups[g].used; f++)
			for (size_t i = 0; i < p->groups[g].m.nbox[f]; i++)
				used[p->groups[g].m.box[f][i].rule] = true;
	return used;
}

/* See nft_compile.h. */
void nftc_emit_table(struct nftc_text *t, const struct nftc_table_cfg *cfg,
		     const struct nftc_policy *p, const struct nftc_vip *vips, size_t nvips,
		     bool replace)
{
	const char *tb = cfg->table;
	bool *used = NULL;

	if (replace)
		nftc_text_printf(t, "delete table inet %s\n", tb);
	nftc_text_printf(t, "table inet %s {\n", tb);
	if (!p) {
		nftc_text_printf(t, "}\n");
		return;
	}
	used = used_log_rules(p);
	if (!used) {
		t->oom = true;
		return;
	}
	for (int f = 4; f <= 6; f += 2) {
		nftc_text_printf(t, "\tmap vip%d { type ipv%d_addr : verdict; }\n", f, f);
		for (int k = 0; k < 2; k++) {
			char c = k ? 'p' : 'd';	/* permitted flows, denials */

			nftc_text_printf(t, "\tset %clim%d { type ipv%d_addr; flags dynamic,"
					 "timeout; timeout 10m; size %u; }\n", c, f, f,
					 cfg->dyn_size);
			nftc_text_printf(t, "\tset %csup%d { type ipv%d_addr; flags dynamic,"
					 "timeout; timeout 10m; size %u; counter; }\n", c, f, f,
					 cfg->dyn_size);
		}
	}
	emit_log_chain(t, cfg, "deny", false, 0);
	for (size_t i = 0; i < p->nrules; i++) {
		const struct nftc_rule *r = &p->rules[i];
		char name[24];

		if (!r->log || !used[i])
			continue;
		snprintf(name, sizeof(name), "%c%u", r->permit ? 'p' : 'd', r->id);
		emit_log_chain(t, cfg, name, r->permit, r->id);
	}
	for (size_t g = 0; g < p->ngroups; g++) {
		char name[24];

		if (!p->groups[g].used)
			continue;
		group_map_name(&p->groups[g], name, sizeof(name));
		emit_map_decl(t, &p->groups[g].m, name);
	}
	for (size_t k = 0; k < p->nclasses; k++) {
		const struct nftc_class *c = &p->classes[k];
		char name[24];

		if (c->merged) {
			class_map_name(k, name, sizeof(name));
			emit_map_decl(t, &c->m, name);
		}
		nftc_text_printf(t, "\tchain c%zu {\n", k);
		if (c->merged) {
			for (int f = 0; f < 2; f++)
				if (c->m.nbox[f])
					nftc_text_printf(t, "\t\tip%s daddr . meta l4proto . th dport "
							 "vmap @%sv%d\n", f ? "6" : "", name, f ? 6 : 4);
		}
		for (int f = 0; f < 2 && !c->merged; f++)
			for (size_t i = 0; i < c->nseq; i++) {
				const struct nftc_group *g = &p->groups[c->seq[i]];

				if (!g->m.nbox[f])
					continue;
				group_map_name(g, name, sizeof(name));
				nftc_text_printf(t, "\t\tip%s daddr . meta l4proto . th dport "
						 "vmap @%sv%d\n", f ? "6" : "", name, f ? 6 : 4);
			}
		nftc_text_printf(t, "\t\tgoto deny\n\t}\n");
	}
	/* replies of flows pass (the original direction is evaluated on every
	 * packet, so a revoked permit cuts established flows too) */
	nftc_text_printf(t, "\tchain vipcheck {\n\t\tct direction reply accept\n"
			 "\t\tct state related accept\n\t\tip saddr vmap @vip4\n"
			 "\t\tip6 saddr vmap @vip6\n");
	if (cfg->pool4_family == AF_INET) {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET, cfg->pool4, a, sizeof(a));
		nftc_text_printf(t, "\t\tip saddr %s/%u goto deny\n", a, (unsigned int)cfg->pool4_len);
	}
	if (cfg->pool6_family == AF_INET6) {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, cfg->pool6, a, sizeof(a));
		nftc_text_printf(t, "\t\tip6 saddr %s/%u goto deny\n", a,
				 (unsigned int)cfg->pool6_len);
	}
	nftc_text_printf(t, "\t}\n"
			 "\tchain forward {\n\t\ttype filter hook forward priority filter; "
			 "policy accept;\n\t\tgoto vipcheck\n\t}\n"
			 "\tchain input {\n\t\ttype filter hook input priority filter; "
			 "policy accept;\n\t\tgoto vipcheck\n\t}\n}\n");
	for (size_t g = 0; g < p->ngroups; g++) {
		char name[24];

		if (!p->groups[g].used)
			continue;
		group_map_name(&p->groups[g], name, sizeof(name));
		for (int f = 0; f < 2; f++)
			emit_map_elements(t, cfg, p, &p->groups[g].m, name, f);
	}
	for (size_t k = 0; k < p->nclasses; k++) {
		char name[24];

		if (!p->classes[k].merged)
			continue;
		class_map_name(k, name, sizeof(name));
		for (int f = 0; f < 2; f++)
			emit_map_elements(t, cfg, p, &p->classes[k].m, name, f);
	}
	for (int f = 4; f <= 6; f += 2) {
		bool first = true;

		for (size_t i = 0; i < nvips; i++) {
			if (vips[i].family != (f == 4 ? AF_INET : AF_INET6))
				continue;
			if (first)
				nftc_text_printf(t, "add element inet %s vip%d {\n\t", tb, f);
			else
				nftc_text_printf(t, ",\n\t");
			emit_vip_elem(t, &vips[i]);
			first = false;
		}
		if (!first)
			nftc_text_printf(t, " }\n");
	}
	free(used);
}
