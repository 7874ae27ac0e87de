/*
 * sa_table.c — intrusive hash indices over ragd's IKE SAs (sa_table.h).
 */
#include "sa_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#define HIDX_MIN 1024

/* ---- generic index ------------------------------------------------------- */

/* Allocate the initial bucket array.  0 / -ENOMEM. */
static int hidx_init(struct rag_hidx *x)
{
	x->nb = HIDX_MIN;
	x->n = 0;
	x->b = calloc(x->nb, sizeof(*x->b));
	return x->b ? 0 : -ENOMEM;
}

static void hidx_free(struct rag_hidx *x)
{
	free(x->b);
	x->b = NULL;
	x->nb = x->n = 0;
}

/* Link n (hash h) at the head of its chain. */
static void hidx_link(struct rag_hnode **bucket, struct rag_hnode *n)
{
	n->next = *bucket;
	if (n->next)
		n->next->pprev = &n->next;
	*bucket = n;
	n->pprev = bucket;
}

/* Double the bucket array when the load exceeds 1 (amortised O(1); on
 * allocation failure the table just stays denser). */
static void hidx_grow(struct rag_hidx *x)
{
	size_t nnb = x->nb * 2;
	struct rag_hnode **nb;

	if (x->n <= x->nb || nnb > ((size_t)1 << 26))
		return;
	nb = calloc(nnb, sizeof(*nb));
	if (!nb)
		return;
	for (size_t i = 0; i < x->nb; i++) {
		struct rag_hnode *n = x->b[i];

		while (n) {
			struct rag_hnode *next = n->next;

			hidx_link(&nb[n->h & (nnb - 1)], n);
			n = next;
		}
	}
	free(x->b);
	x->b = nb;
	x->nb = nnb;
}

/* Insert n with hash h. */
static void hidx_add(struct rag_hidx *x, struct rag_hnode *n, uint64_t h)
{
	n->h = h;
	hidx_link(&x->b[h & (x->nb - 1)], n);
	x->n++;
	hidx_grow(x);
}

/* Unlink n (O(1)). */
static void hidx_del(struct rag_hidx *x, struct rag_hnode *n)
{
	*n->pprev = n->next;
	if (n->next)
		n->next->pprev = n->pprev;
	n->next = NULL;
	n->pprev = NULL;
	x->n--;
}

static struct rag_hnode *hidx_chain(const struct rag_hidx *x, uint64_t h)
{
	return x->b[h & (x->nb - 1)];
}

/* ---- keys ---------------------------------------------------------------- */

/* SipHash-2-4 of buf under the table key. */
static uint64_t hash(const struct rag_sa_table *t, const void *buf, size_t len)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t h;

	crypto_shorthash(out, buf, len, t->hkey);
	memcpy(&h, out, sizeof(h));
	return h;
}

/* Half-open key: SPIi, family, address, port. */
static uint64_t half_hash(const struct rag_sa_table *t, const uint8_t spi_i[8],
			  const struct ike_endpoint *ep)
{
	uint8_t k[8 + 1 + 16 + 2];

	memcpy(k, spi_i, 8);
	k[8] = ep->family;
	memcpy(k + 9, ep->addr, 16);
	k[25] = (uint8_t)(ep->port >> 8);
	k[26] = (uint8_t)ep->port;
	return hash(t, k, sizeof(k));
}

/* Source key of ep: family, then the IPv4 address or the IPv6 /64. */
static void src_key(const struct ike_endpoint *ep, uint8_t k[9])
{
	memset(k, 0, 9);
	k[0] = ep->family;
	memcpy(k + 1, ep->addr, ep->family == 4 ? 4 : 8);
}

static struct rag_src *src_find(const struct rag_sa_table *t, const uint8_t k[9], uint64_t h)
{
	for (struct rag_hnode *n = hidx_chain(&t->src, h); n; n = n->next) {
		struct rag_src *s = container_of(n, struct rag_src, n);

		if (n->h == h && !memcmp(s->key, k, 9))
			return s;
	}
	return NULL;
}

/* Count sa for its source (creating the node).  0 / -ENOMEM. */
static int src_inc(struct rag_sa_table *t, struct rag_sa *sa)
{
	uint8_t k[9];
	uint64_t h;
	struct rag_src *s;

	src_key(&sa->remote, k);
	h = hash(t, k, sizeof(k));
	s = src_find(t, k, h);
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -ENOMEM;
		memcpy(s->key, k, sizeof(k));
		hidx_add(&t->src, &s->n, h);
	}
	s->n_half++;
	sa->src = s;
	return 0;
}

/* Uncount sa (freeing the node at 0). */
static void src_dec(struct rag_sa_table *t, struct rag_sa *sa)
{
	struct rag_src *s = sa->src;

	if (!s)
		return;
	sa->src = NULL;
	if (--s->n_half)
		return;
	hidx_del(&t->src, &s->n);
	free(s);
}

static bool ep_eq(const struct ike_endpoint *a, const struct ike_endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16);
}

/* ---- table --------------------------------------------------------------- */

/* See sa_table.h. */
int rag_sa_table_init(struct rag_sa_table *t, size_t max)
{
	memset(t, 0, sizeof(*t));
	t->max = max ? max : RAG_SA_MAX_DEFAULT;
	t->next_id = 1;
	randombytes_buf(t->hkey, sizeof(t->hkey));
	if (hidx_init(&t->spi) < 0 || hidx_init(&t->half) < 0 || hidx_init(&t->id) < 0 ||
	    hidx_init(&t->user) < 0 || hidx_init(&t->child) < 0 || hidx_init(&t->src) < 0) {
		rag_sa_table_free(t);
		return -ENOMEM;
	}
	return 0;
}

/* See sa_table.h. */
void rag_sa_table_free(struct rag_sa_table *t)
{
	hidx_free(&t->spi);
	hidx_free(&t->half);
	hidx_free(&t->id);
	hidx_free(&t->user);
	hidx_free(&t->child);
	/* source nodes left (SAs still half open): free them too */
	for (size_t i = 0; t->src.b && i < t->src.nb; i++) {
		struct rag_hnode *n = t->src.b[i];

		while (n) {
			struct rag_hnode *next = n->next;

			free(container_of(n, struct rag_src, n));
			n = next;
		}
	}
	hidx_free(&t->src);
	t->all_head = NULL;
	t->n = t->n_half = 0;
}

/* See sa_table.h. */
int rag_sa_insert(struct rag_sa_table *t, struct rag_sa *sa)
{
	if (t->n >= t->max)
		return -ENOSPC;
	if (rag_sa_by_half(t, sa->spi_i, &sa->remote))
		return -EEXIST;
	if (src_inc(t, sa) < 0)
		return -ENOMEM;
	sa->id = t->next_id++;
	hidx_add(&t->id, &sa->n_id, hash(t, &sa->id, sizeof(sa->id)));
	hidx_add(&t->half, &sa->n_half, half_hash(t, sa->spi_i, &sa->remote));
	sa->in_half = true;
	sa->in_spi = sa->in_user = false;
	for (int i = 0; i < IKE_EXCH_MAX_CHILDREN; i++) {
		sa->cn[i].sa = sa;
		sa->cn[i].idx = i;
		sa->cn[i].linked = false;
	}
	sa->all_prev = NULL;
	sa->all_next = t->all_head;
	if (t->all_head)
		t->all_head->all_prev = sa;
	t->all_head = sa;
	t->n++;
	t->n_half++;
	return 0;
}

/* See sa_table.h. */
void rag_sa_remove(struct rag_sa_table *t, struct rag_sa *sa)
{
	if (!sa->n_id.pprev)
		return;		/* not in the table */
	rag_sa_half_done(t, sa);
	if (sa->in_spi) {
		hidx_del(&t->spi, &sa->n_spi);
		sa->in_spi = false;
	}
	rag_sa_set_user(t, sa, NULL, 0);
	for (int i = 0; i < IKE_EXCH_MAX_CHILDREN; i++)
		rag_sa_child_clear(t, sa, i);
	hidx_del(&t->id, &sa->n_id);
	if (sa->all_prev)
		sa->all_prev->all_next = sa->all_next;
	else
		t->all_head = sa->all_next;
	if (sa->all_next)
		sa->all_next->all_prev = sa->all_prev;
	sa->all_prev = sa->all_next = NULL;
	t->n--;
}

/* See sa_table.h. */
int rag_sa_set_spi(struct rag_sa_table *t, struct rag_sa *sa, const uint8_t spi_r[8])
{
	struct rag_sa *o = rag_sa_by_spi(t, spi_r);

	if (o == sa)
		return 0;
	if (o)
		return -EEXIST;
	if (sa->in_spi)
		hidx_del(&t->spi, &sa->n_spi);
	memcpy(sa->spi_r, spi_r, 8);
	hidx_add(&t->spi, &sa->n_spi, hash(t, spi_r, 8));
	sa->in_spi = true;
	return 0;
}

/* See sa_table.h. */
void rag_sa_half_done(struct rag_sa_table *t, struct rag_sa *sa)
{
	if (!sa->in_half)
		return;
	hidx_del(&t->half, &sa->n_half);
	sa->in_half = false;
	t->n_half--;
	src_dec(t, sa);
}

/* See sa_table.h. */
uint32_t rag_sa_half_from(const struct rag_sa_table *t, const struct ike_endpoint *ep)
{
	uint8_t k[9];
	struct rag_src *s;

	src_key(ep, k);
	s = src_find(t, k, hash(t, k, sizeof(k)));
	return s ? s->n_half : 0;
}

/* See sa_table.h. */
int rag_sa_set_user(struct rag_sa_table *t, struct rag_sa *sa, const char *user, size_t len)
{
	if (user && len > RAG_SA_USER_MAX)
		return -ENAMETOOLONG;
	if (sa->in_user) {
		hidx_del(&t->user, &sa->n_user);
		sa->in_user = false;
	}
	if (!user || !len) {
		sa->user[0] = '\0';
		return 0;
	}
	memcpy(sa->user, user, len);
	sa->user[len] = '\0';
	hidx_add(&t->user, &sa->n_user, hash(t, user, len));
	sa->in_user = true;
	return 0;
}

/* See sa_table.h. */
int rag_sa_child_set(struct rag_sa_table *t, struct rag_sa *sa, int idx, uint32_t spi_in)
{
	int oidx;
	struct rag_sa *o;

	if (idx < 0 || idx >= IKE_EXCH_MAX_CHILDREN)
		return -EINVAL;
	o = rag_sa_by_child(t, spi_in, &oidx);
	if (o == sa && oidx == idx)
		return 0;
	if (o)
		return -EEXIST;
	rag_sa_child_clear(t, sa, idx);
	sa->cn[idx].sa = sa;
	sa->cn[idx].idx = idx;
	sa->cn[idx].spi = spi_in;
	hidx_add(&t->child, &sa->cn[idx].n, hash(t, &spi_in, sizeof(spi_in)));
	sa->cn[idx].linked = true;
	return 0;
}

/* See sa_table.h. */
void rag_sa_child_clear(struct rag_sa_table *t, struct rag_sa *sa, int idx)
{
	if (idx < 0 || idx >= IKE_EXCH_MAX_CHILDREN || !sa->cn[idx].linked)
		return;
	hidx_del(&t->child, &sa->cn[idx].n);
	sa->cn[idx].linked = false;
}

/* See sa_table.h. */
struct rag_sa *rag_sa_by_spi(const struct rag_sa_table *t, const uint8_t spi_r[8])
{
	uint64_t h = hash(t, spi_r, 8);

	for (struct rag_hnode *n = hidx_chain(&t->spi, h); n; n = n->next) {
		struct rag_sa *sa = container_of(n, struct rag_sa, n_spi);

		if (n->h == h && !memcmp(sa->spi_r, spi_r, 8))
			return sa;
	}
	return NULL;
}

/* See sa_table.h. */
struct rag_sa *rag_sa_by_half(const struct rag_sa_table *t, const uint8_t spi_i[8],
			      const struct ike_endpoint *peer)
{
	uint64_t h = half_hash(t, spi_i, peer);

	for (struct rag_hnode *n = hidx_chain(&t->half, h); n; n = n->next) {
		struct rag_sa *sa = container_of(n, struct rag_sa, n_half);

		if (n->h == h && !memcmp(sa->spi_i, spi_i, 8) && ep_eq(&sa->remote, peer))
			return sa;
	}
	return NULL;
}

/* See sa_table.h. */
struct rag_sa *rag_sa_by_id(const struct rag_sa_table *t, uint64_t id)
{
	uint64_t h = hash(t, &id, sizeof(id));

	for (struct rag_hnode *n = hidx_chain(&t->id, h); n; n = n->next) {
		struct rag_sa *sa = container_of(n, struct rag_sa, n_id);

		if (sa->id == id)
			return sa;
	}
	return NULL;
}

/* See sa_table.h. */
struct rag_sa *rag_sa_by_child(const struct rag_sa_table *t, uint32_t spi_in, int *idx)
{
	uint64_t h = hash(t, &spi_in, sizeof(spi_in));

	for (struct rag_hnode *n = hidx_chain(&t->child, h); n; n = n->next) {
		struct rag_child_node *c = container_of(n, struct rag_child_node, n);

		if (n->h == h && c->spi == spi_in) {
			if (idx)
				*idx = c->idx;
			return c->sa;
		}
	}
	return NULL;
}

/* See sa_table.h. */
size_t rag_sa_by_user(const struct rag_sa_table *t, const char *user, size_t len,
		      struct rag_sa **out, size_t max)
{
	uint64_t h;
	size_t n = 0;

	if (!len || len > RAG_SA_USER_MAX)
		return 0;
	h = hash(t, user, len);
	for (struct rag_hnode *x = hidx_chain(&t->user, h); x; x = x->next) {
		struct rag_sa *sa = container_of(x, struct rag_sa, n_user);

		if (x->h == h && strlen(sa->user) == len && !memcmp(sa->user, user, len)) {
			if (n < max)
				out[n] = sa;
			n++;
		}
	}
	return n;
}
