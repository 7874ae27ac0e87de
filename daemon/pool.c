/*
 * pool.c — virtual address pool: bitmap allocation and the sticky
 * user -> address LRU map (pool.h).
 */
#include "pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

struct rag_pool_sticky {
	struct rag_pool_sticky *hnext;		/* hash chain */
	struct rag_pool_sticky *prev, *next;	/* LRU */
	uint64_t h;
	uint32_t off;
	size_t len;
	char user[];
};

/* Address bytes of the family: 4 or 16. */
static size_t alen(const struct rag_pool *p)
{
	return p->family == AF_INET ? 4 : 16;
}

/* Offset of addr within the pool (low 32 bits of addr - base), or -1 when
 * outside the prefix / the used range. */
static int64_t offset_of(const struct rag_pool *p, const uint8_t *addr)
{
	size_t n = alen(p);
	uint32_t off = 0;

	for (unsigned int bit = 0; bit < p->prefix; bit++) {
		uint8_t m = (uint8_t)(0x80u >> (bit % 8));

		if ((addr[bit / 8] & m) != (p->base[bit / 8] & m))
			return -1;
	}
	/* the host part (base has zero host bits, so addr ^ base is it);
	 * offsets are < 2^20, so only the last 4 bytes may be non-zero */
	for (size_t i = 0; i + 4 < n; i++)
		if (addr[i] != p->base[i])
			return -1;
	for (size_t i = n - 4; i < n; i++)
		off = (off << 8) | (uint32_t)(addr[i] ^ p->base[i]);
	if (off >= p->size)
		return -1;
	return off;
}

/* Address at offset off into out[16] (zero-padded). */
static void addr_at(const struct rag_pool *p, uint32_t off, uint8_t out[16])
{
	size_t n = alen(p);

	memset(out, 0, 16);
	memcpy(out, p->base, n);
	for (size_t i = n; i-- > n - 4; off >>= 8)
		out[i] |= (uint8_t)(off & 0xffu);
}

/* See pool.h. */
int rag_pool_init(struct rag_pool *p, int family, const uint8_t *addr,
		  unsigned int prefix, size_t max_sticky)
{
	unsigned int bits = family == AF_INET ? 32 : family == AF_INET6 ? 128 : 0;
	uint64_t hosts;
	size_t words;

	memset(p, 0, sizeof(*p));
	if (!bits || prefix > bits || (family == AF_INET && prefix < 8) ||
	    (family == AF_INET6 && (prefix < 64 || prefix > 126)))
		return -EINVAL;
	for (unsigned int bit = prefix; bit < bits; bit++)
		if (addr[bit / 8] & (0x80u >> (bit % 8)))
			return -EINVAL;	/* host bits set */
	p->family = family;
	p->prefix = (uint8_t)prefix;
	memcpy(p->base, addr, bits / 8);
	hosts = bits - prefix >= 21 ? RAG_POOL_MAX_ADDRS : (1ull << (bits - prefix));
	p->size = (uint32_t)hosts;
	if (family == AF_INET && prefix <= 30 && hosts == (1ull << (bits - prefix)))
		p->size--;		/* broadcast */
	/* network address and the gateway's .1, except in /31 and /32 */
	p->first = family == AF_INET && prefix >= 31 ? 0 : 2;
	if (p->first >= p->size) {
		p->family = 0;
		return -EINVAL;
	}
	words = (p->size + 63) / 64;
	p->bitmap = calloc(words, sizeof(uint64_t));
	p->owner = calloc(p->size, sizeof(uint64_t));
	p->shares = calloc(p->size, 1);
	p->max_sticky = max_sticky ? max_sticky : RAG_POOL_MAX_STICKY;
	p->nsbuckets = 1024;
	while (p->nsbuckets < p->max_sticky && p->nsbuckets < 65536)
		p->nsbuckets *= 2;
	p->sbuckets = calloc(p->nsbuckets, sizeof(*p->sbuckets));
	if (!p->bitmap || !p->sbuckets || !p->owner || !p->shares) {
		rag_pool_free(p);
		return -ENOMEM;
	}
	/* reserved offsets are marked used (they are never released) */
	for (uint32_t o = 0; o < p->first; o++)
		p->bitmap[o / 64] |= 1ull << (o % 64);
	randombytes_buf(p->hkey, sizeof(p->hkey));
	return 0;
}

/* See pool.h. */
void rag_pool_free(struct rag_pool *p)
{
	struct rag_pool_sticky *s = p->lru_head;

	while (s) {
		struct rag_pool_sticky *n = s->next;

		free(s);
		s = n;
	}
	free(p->bitmap);
	free(p->owner);
	free(p->shares);
	free(p->sbuckets);
	memset(p, 0, sizeof(*p));
}

/* Hash of a user name. */
static uint64_t uhash(const struct rag_pool *p, const char *u, size_t len)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t h;

	crypto_shorthash(out, (const unsigned char *)u, len, p->hkey);
	memcpy(&h, out, sizeof(h));
	return h;
}

/* The sticky node of user, or NULL. */
static struct rag_pool_sticky *sticky_find(const struct rag_pool *p, const char *u,
					   size_t len, uint64_t h)
{
	for (struct rag_pool_sticky *s = p->sbuckets[h & (p->nsbuckets - 1)]; s; s = s->hnext)
		if (s->h == h && s->len == len && !memcmp(s->user, u, len))
			return s;
	return NULL;
}

/* Unlink s from the LRU list. */
static void lru_unlink(struct rag_pool *p, struct rag_pool_sticky *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		p->lru_head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		p->lru_tail = s->prev;
	s->prev = s->next = NULL;
}

/* Put s at the head (most recent) of the LRU list. */
static void lru_push(struct rag_pool *p, struct rag_pool_sticky *s)
{
	s->prev = NULL;
	s->next = p->lru_head;
	if (p->lru_head)
		p->lru_head->prev = s;
	p->lru_head = s;
	if (!p->lru_tail)
		p->lru_tail = s;
}

/* Remove s from hash and LRU and free it. */
static void sticky_drop(struct rag_pool *p, struct rag_pool_sticky *s)
{
	struct rag_pool_sticky **pp = &p->sbuckets[s->h & (p->nsbuckets - 1)];

	while (*pp && *pp != s)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = s->hnext;
	lru_unlink(p, s);
	free(s);
	p->nsticky--;
}

/* Remember user -> off (evicting the least recently used entry at the
 * limit).  Allocation failure just forgets. */
static void sticky_set(struct rag_pool *p, const char *u, size_t len, uint64_t h,
		       uint32_t off)
{
	struct rag_pool_sticky *s = sticky_find(p, u, len, h);

	if (s) {
		s->off = off;
		lru_unlink(p, s);
		lru_push(p, s);
		return;
	}
	if (p->nsticky >= p->max_sticky && p->lru_tail)
		sticky_drop(p, p->lru_tail);
	s = malloc(sizeof(*s) + len + 1);
	if (!s)
		return;
	s->h = h;
	s->off = off;
	s->len = len;
	memcpy(s->user, u, len);
	s->user[len] = '\0';
	s->hnext = p->sbuckets[h & (p->nsbuckets - 1)];
	p->sbuckets[h & (p->nsbuckets - 1)] = s;
	lru_push(p, s);
	p->nsticky++;
}

static bool used(const struct rag_pool *p, uint32_t off)
{
	return p->bitmap[off / 64] & (1ull << (off % 64));
}

static void mark(struct rag_pool *p, uint32_t off, bool on)
{
	if (on)
		p->bitmap[off / 64] |= 1ull << (off % 64);
	else
		p->bitmap[off / 64] &= ~(1ull << (off % 64));
}

/* The first free offset at or after the cursor (wrapping), a word of 64
 * at a time; -1 when full.  The cursor then moves past it: allocation is
 * round-robin, so a released address is reused only after the rest of the
 * pool, which keeps remembered (sticky) addresses free for their users. */
static int64_t find_free(struct rag_pool *p)
{
	size_t words = (p->size + 63) / 64;
	uint32_t cur = p->hint < p->size ? p->hint : 0;

	for (size_t k = 0; k <= words; k++) {
		size_t w = (cur / 64 + k) % words;
		uint64_t free_bits = ~p->bitmap[w];

		if (w == words - 1 && p->size % 64)
			free_bits &= (1ull << (p->size % 64)) - 1;
		if (k == 0)
			free_bits &= ~0ull << (cur % 64);	/* at or after cur */
		if (free_bits) {
			uint32_t off = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(free_bits));

			p->hint = off + 1 < p->size ? off + 1 : 0;
			return off;
		}
	}
	return -1;
}

/* See pool.h. */
int rag_pool_alloc(struct rag_pool *p, const char *user, size_t len, uint8_t out[16])
{
	uint64_t h = 0;
	int64_t off;

	if (!p->family)
		return -EINVAL;
	if (len > RAG_POOL_USER_MAX)
		len = 0;	/* not remembered */
	if (len) {
		struct rag_pool_sticky *s;

		h = uhash(p, user, len);
		s = sticky_find(p, user, len, h);
		if (s && !used(p, s->off)) {
			mark(p, s->off, true);
			p->owner[s->off] = h;
			p->used++;
			lru_unlink(p, s);
			lru_push(p, s);
			addr_at(p, s->off, out);
			return 1;
		}
	}
	off = find_free(p);
	if (off < 0)
		return -ENOSPC;
	mark(p, (uint32_t)off, true);
	p->owner[off] = h;
	p->used++;
	if (len)
		sticky_set(p, user, len, h, (uint32_t)off);
	addr_at(p, (uint32_t)off, out);
	return 0;
}

/* See pool.h. */
int rag_pool_share(struct rag_pool *p, const char *user, size_t len, uint8_t out[16])
{
	struct rag_pool_sticky *s;
	uint64_t h;

	if (!p->family || !len || len > RAG_POOL_USER_MAX)
		return -ENOENT;
	h = uhash(p, user, len);
	s = sticky_find(p, user, len, h);
	if (!s || !used(p, s->off) || p->owner[s->off] != h || p->shares[s->off] == UINT8_MAX)
		return -ENOENT;
	p->shares[s->off]++;
	addr_at(p, s->off, out);
	return 0;
}

/* See pool.h. */
int rag_pool_take(struct rag_pool *p, const uint8_t addr[16])
{
	int64_t off;

	if (!p->family)
		return -EINVAL;
	off = offset_of(p, addr);
	if (off < p->first)
		return -EINVAL;
	if (used(p, (uint32_t)off))
		return -EBUSY;
	mark(p, (uint32_t)off, true);
	p->used++;
	return 0;
}

/* See pool.h. */
int rag_pool_release(struct rag_pool *p, const uint8_t addr[16])
{
	int64_t off;

	if (!p->family)
		return -EINVAL;
	off = offset_of(p, addr);
	if (off < p->first || !used(p, (uint32_t)off))
		return -EINVAL;
	if (p->shares[off]) {
		p->shares[off]--;	/* another holder keeps it */
		return 0;
	}
	p->owner[off] = 0;
	mark(p, (uint32_t)off, false);
	p->used--;
	return 0;
}

/* See pool.h. */
uint32_t rag_pool_used(const struct rag_pool *p)
{
	return p->used;
}

/* See pool.h. */
uint32_t rag_pool_capacity(const struct rag_pool *p)
{
	return p->family ? p->size - p->first : 0;
}

/* See pool.h. */
bool rag_pool_contains(const struct rag_pool *p, const uint8_t addr[16])
{
	return p->family && offset_of(p, addr) >= 0;
}
