/*
 * pool.h — the virtual address pool ([pool] ipv4 / ipv6, INTERFACES.md):
 * addresses handed to clients in the IKE_AUTH Configuration payload
 * (RFC 7296 3.15).  One struct rag_pool per address family.
 *
 *   allocation   a bitmap over the pool's host addresses, searched a word
 *                (64 addresses) at a time from a round-robin cursor, so
 *                freshly released addresses are reused last;
 *   sticky       the pool remembers user -> address (a bounded LRU map):
 *                the same user gets the same address again on reconnect
 *                when it is free (issue 3, "Configuration payload");
 *   limits       at most RAG_POOL_MAX_ADDRS addresses are used from a large
 *                pool (an IPv6 /64 included), at most RAG_POOL_MAX_STICKY
 *                remembered users (STYLE.md rule 6).
 *
 * Reserved: the network address and (IPv4, prefix < 31) the broadcast
 * address, and the first host address (.1 / ::1 of the prefix), which
 * belongs to the gateway side by convention.
 * Not thread-safe: one thread at a time (the responder holds a lock when a
 * worker thread assigns addresses).  Nothing here logs.
 */
#ifndef RAG_POOL_H
#define RAG_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RAG_POOL_MAX_ADDRS   (1u << 20)	/* addresses used of one pool */
#define RAG_POOL_MAX_STICKY  65536u	/* remembered users (LRU) */
#define RAG_POOL_USER_MAX    255	/* bytes of a user name */

struct rag_pool_sticky;

struct rag_pool {
	int family;			/* AF_INET / AF_INET6; 0 = no pool */
	uint8_t base[16];		/* network address, network order */
	uint8_t prefix;
	uint32_t size;			/* usable offsets [first, size) */
	uint32_t first;			/* lowest offset handed out */
	uint64_t *bitmap;		/* bit set = in use (offset) */
	uint64_t *owner;		/* per offset: hash of the user holding it */
	uint8_t *shares;		/* per offset: extra holders (rag_pool_share) */
	uint32_t hint;			/* next offset to try (round-robin) */
	uint32_t used;
	/* sticky map: hash of user -> node, LRU list */
	struct rag_pool_sticky **sbuckets;
	size_t nsbuckets, nsticky, max_sticky;
	struct rag_pool_sticky *lru_head, *lru_tail;	/* head = most recent */
	uint8_t hkey[16];		/* siphash key (attacker-chosen names) */
};

/*
 * Set up a pool over addr/prefix (family AF_INET, prefix 8..30 or 31/32
 * for tiny pools; AF_INET6, prefix 64..126) with at most max_sticky
 * remembered users (0 = RAG_POOL_MAX_STICKY).  Returns 0, -EINVAL
 * (bad family/prefix, host bits set), -ENOMEM.
 */
int rag_pool_init(struct rag_pool *p, int family, const uint8_t *addr,
		  unsigned int prefix, size_t max_sticky);

/* Free everything (safe on a zeroed pool). */
void rag_pool_free(struct rag_pool *p);

/*
 * Allocate an address for user (len bytes, may be 0 = anonymous: no
 * stickiness).  The user's remembered address is returned when it is free;
 * otherwise the next free one, which is then remembered for user.
 * out receives the address (16 bytes, IPv4 in bytes 0..3).  Returns 1 when
 * the sticky address was reused, 0 for another address, -ENOSPC when the
 * pool is exhausted, -EINVAL when the pool is not set up.
 */
int rag_pool_alloc(struct rag_pool *p, const char *user, size_t len,
		   uint8_t out[16]);

/*
 * RFC 7296 2.4 INITIAL_CONTACT: the user reconnects while its old SA (about
 * to be removed) still holds its remembered address.  When that address is
 * held by the same user, it is handed out once more (a second holder; the
 * first release keeps it allocated).  Returns 0 with out filled, -ENOENT
 * when there is no such address.
 */
int rag_pool_share(struct rag_pool *p, const char *user, size_t len, uint8_t out[16]);

/* Take one specific address (e.g. a client's request); 0, -EBUSY (taken),
 * -EINVAL (outside the pool or reserved). */
int rag_pool_take(struct rag_pool *p, const uint8_t addr[16]);

/* Give addr back (one holder).  0, or -EINVAL when it is not an allocated
 * address. */
int rag_pool_release(struct rag_pool *p, const uint8_t addr[16]);

/* Addresses in use / usable in total. */
uint32_t rag_pool_used(const struct rag_pool *p);
uint32_t rag_pool_capacity(const struct rag_pool *p);

/* Is addr inside the pool's prefix? */
bool rag_pool_contains(const struct rag_pool *p, const uint8_t addr[16]);

#endif
