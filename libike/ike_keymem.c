/*
 * ike_keymem.c — guarded memory for key material (struct ike_key).
 *
 * Why not one sodium_malloc() per key: each call maps the key plus three
 * pages (two guard pages and a canary page) as three separate mappings and
 * costs about five system calls.  An IKE SA holds seven keys and each CHILD
 * SA one more, so at 100,000 SAs that would be millions of mappings — far
 * beyond vm.max_map_count (65530 by default) — and gigabytes of address
 * space.  Instead keys are carved from 64 KiB arenas, each of which *is* one
 * sodium_malloc() region: guard pages around the arena, locked in RAM
 * (mlock, best effort under RLIMIT_MEMLOCK) and excluded from core dumps.
 * Slots come in power-of-two size classes; a slot is wiped with
 * sodium_memzero() when freed, before it goes back on its class's free list.
 * Keys larger than the largest class get a sodium_malloc() region of their
 * own.
 *
 * This is the one piece of process-wide state in libike (STYLE.md rule 2
 * says "no globals"): like malloc itself, an allocator is shared by design.
 * It is guarded by a mutex because ragd derives keys on worker threads.
 * Arenas are never returned to the system; memory use is bounded by the
 * peak number of keys alive at once.
 *
 * Every slot starts with a 16-byte header (not secret) naming its class and
 * whether it is in use, so ike_key_free() needs nothing but the pointer and
 * catches double frees and foreign pointers (abort: memory corruption is not
 * recoverable).  Under AddressSanitizer free slots are poisoned, so a
 * use-after-free of a key is still reported despite the reuse.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ike.h"

#if defined(__SANITIZE_ADDRESS__)
#define KM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KM_ASAN 1
#endif
#endif
#ifdef KM_ASAN
#include <sanitizer/asan_interface.h>
#define KM_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define KM_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define KM_POISON(p, n) ((void)(p), (void)(n))
#define KM_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define KM_ARENA_SIZE  (64u * 1024u)
#define KM_HDR         16u		/* header before every key */
#define KM_MIN_SLOT    32u		/* smallest slot: 16 bytes of key */
#define KM_CLASSES     6		/* 32, 64, ..., 1024-byte slots */
#define KM_LARGE       0xffu		/* class of a key with its own region */
#define KM_MAGIC       0x5241474bu	/* "RAGK" */

struct km_hdr {
	uint32_t magic;
	uint8_t cls;		/* size class, or KM_LARGE */
	uint8_t in_use;
	uint8_t pad[2];
	uint64_t next;		/* free list link (slot address), 0 = end */
};

_Static_assert(sizeof(struct km_hdr) == KM_HDR, "slot header is 16 bytes");

static pthread_mutex_t km_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *km_free[KM_CLASSES];	/* first free slot of each class */

static size_t slot_size(unsigned int cls)
{
	return (size_t)KM_MIN_SLOT << cls;
}

/* smallest class whose slot holds len key bytes, or KM_LARGE */
static unsigned int class_of(size_t len)
{
	for (unsigned int c = 0; c < KM_CLASSES; c++)
		if (len <= slot_size(c) - KM_HDR)
			return c;
	return KM_LARGE;
}

static void hdr_get(const uint8_t *slot, struct km_hdr *h)
{
	KM_UNPOISON((void *)slot, KM_HDR);
	memcpy(h, slot, sizeof(*h));
}

static void hdr_put(uint8_t *slot, const struct km_hdr *h)
{
	KM_UNPOISON(slot, KM_HDR);
	memcpy(slot, h, sizeof(*h));
}

/* Carve a new arena into free slots of class cls.  Called with the lock. */
static int arena_add(unsigned int cls)
{
	size_t sz = slot_size(cls), n = KM_ARENA_SIZE / sz;
	uint8_t *a = sodium_malloc(KM_ARENA_SIZE);

	if (!a)
		return -ENOMEM;
	/* link the slots front to back so allocation walks the arena in order */
	for (size_t i = n; i-- > 0;) {
		uint8_t *slot = a + i * sz;
		struct km_hdr h = {
			.magic = KM_MAGIC, .cls = (uint8_t)cls, .in_use = 0,
			.next = (uint64_t)(uintptr_t)km_free[cls],
		};

		sodium_memzero(slot, sz);
		hdr_put(slot, &h);
		KM_POISON(slot, sz);
		km_free[cls] = slot;
	}
	return 0;
}

/* Allocate len zeroed bytes of guarded memory; NULL when out of memory. */
static uint8_t *km_alloc(size_t len)
{
	unsigned int cls = class_of(len);
	struct km_hdr h;
	uint8_t *slot;

	if (cls == KM_LARGE) {
		if (len > SIZE_MAX - KM_HDR)
			return NULL;
		slot = sodium_malloc(len + KM_HDR);
		if (!slot)
			return NULL;
		h = (struct km_hdr){ .magic = KM_MAGIC, .cls = KM_LARGE, .in_use = 1 };
		hdr_put(slot, &h);
		sodium_memzero(slot + KM_HDR, len);
		return slot + KM_HDR;
	}

	pthread_mutex_lock(&km_lock);
	if (!km_free[cls] && arena_add(cls) < 0) {
		pthread_mutex_unlock(&km_lock);
		return NULL;
	}
	slot = km_free[cls];
	hdr_get(slot, &h);
	if (h.magic != KM_MAGIC || h.cls != cls || h.in_use)
		abort();	/* free list corrupted */
	km_free[cls] = (uint8_t *)(uintptr_t)h.next;
	h.in_use = 1;
	h.next = 0;
	hdr_put(slot, &h);
	pthread_mutex_unlock(&km_lock);
	KM_UNPOISON(slot + KM_HDR, slot_size(cls) - KM_HDR);
	/* free slots are wiped already; zero again so callers may rely on it */
	sodium_memzero(slot + KM_HDR, slot_size(cls) - KM_HDR);
	return slot + KM_HDR;
}

/* Wipe and release p (from km_alloc); aborts on a pointer it did not hand
 * out or on a double free. */
static void km_free_ptr(uint8_t *p)
{
	uint8_t *slot = p - KM_HDR;
	struct km_hdr h;
	size_t sz;

	hdr_get(slot, &h);
	if (h.magic != KM_MAGIC || !h.in_use)
		abort();
	if (h.cls == KM_LARGE) {
		h.in_use = 0;
		hdr_put(slot, &h);
		sodium_free(slot);	/* wipes the whole region */
		return;
	}
	if (h.cls >= KM_CLASSES)
		abort();
	sz = slot_size(h.cls);
	sodium_memzero(p, sz - KM_HDR);
	pthread_mutex_lock(&km_lock);
	h.in_use = 0;
	h.next = (uint64_t)(uintptr_t)km_free[h.cls];
	hdr_put(slot, &h);
	km_free[h.cls] = slot;
	KM_POISON(slot, sz);
	pthread_mutex_unlock(&km_lock);
}

int ike_key_alloc(struct ike_key *k, size_t len)
{
	k->ptr = km_alloc(len);
	k->len = 0;
	if (!k->ptr)
		return -ENOMEM;
	k->len = len;
	return 0;
}

int ike_key_dup(struct ike_key *k, const void *p, size_t len)
{
	int r = ike_key_alloc(k, len);

	if (r < 0)
		return r;
	if (len)
		memcpy(k->ptr, p, len);
	return 0;
}

void ike_key_free(struct ike_key *k)
{
	if (k->ptr)
		km_free_ptr(k->ptr);
	k->ptr = NULL;
	k->len = 0;
}
