/*
 * test_keymem.c — the guarded key allocator (libike/ike_keymem.c).
 *
 * Checks: keys are zeroed on allocation, every size class and the "large"
 * path round-trip, freed slots are reused (so memory is bounded by the peak),
 * the contents of a freed key are wiped before reuse, and 300,000 live keys
 * (about what 30,000 IKE SAs hold) fit — which one sodium_malloc() per key
 * could not do under the default vm.max_map_count of 65530, since each such
 * region is three mappings.
 */
#include <pthread.h>

#include "check.h"
#include "ike.h"

#define MANY 300000

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static void *thread_churn(void *arg)
{
	struct ike_key k[64];
	long bad = 0;

	(void)arg;
	for (int round = 0; round < 2000; round++) {
		for (int i = 0; i < 64; i++) {
			size_t len = (size_t)(16 + (round * 7 + i * 13) % 300);

			if (ike_key_alloc(&k[i], len) < 0 || !all_zero(k[i].ptr, len))
				bad++;
			memset(k[i].ptr, 0x5a, len);
		}
		for (int i = 0; i < 64; i++)
			ike_key_free(&k[i]);
	}
	return (void *)bad;
}

int main(void)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 47, 48, 49, 112, 113,
					240, 496, 1008, 1009, 4096, 70000 };
	struct ike_key k, k2, *many;
	uint8_t *first;

	CHECK_INT(ike_init(), 0);

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		CHECK_INT(ike_key_alloc(&k, sizes[i]), 0);
		CHECK(k.ptr != NULL);
		CHECK_INT(k.len, sizes[i]);
		CHECK(all_zero(k.ptr, sizes[i]));
		memset(k.ptr, 0xa5, sizes[i]);	/* the whole key is writable */
		ike_key_free(&k);
		CHECK(k.ptr == NULL && k.len == 0);
	}

	/* a freed slot is reused, and wiped before it is handed out again */
	CHECK_INT(ike_key_dup(&k, "0123456789abcdef0123456789abcdef", 32), 0);
	first = k.ptr;
	ike_key_free(&k);
	CHECK_INT(ike_key_alloc(&k2, 32), 0);
	CHECK(k2.ptr == first);
	CHECK(all_zero(k2.ptr, 32));
	ike_key_free(&k2);

	/* many live keys at once */
	many = calloc(MANY, sizeof(*many));
	CHECK(many != NULL);
	if (many) {
		int failed = 0;

		for (size_t i = 0; i < MANY; i++)
			if (ike_key_alloc(&many[i], 16 + i % 48) < 0)
				failed++;
		CHECK_INT(failed, 0);
		/* distinct keys do not overlap: write each, then read back */
		for (size_t i = 0; i < MANY; i++)
			if (many[i].ptr)
				memset(many[i].ptr, (int)(i & 0xff), many[i].len);
		failed = 0;
		for (size_t i = 0; i < MANY; i++)
			for (size_t j = 0; many[i].ptr && j < many[i].len; j++)
				if (many[i].ptr[j] != (uint8_t)(i & 0xff))
					failed++;
		CHECK_INT(failed, 0);
		for (size_t i = 0; i < MANY; i++)
			ike_key_free(&many[i]);
		free(many);
	}

	/* concurrent use from worker threads (ragd derives keys there) */
	{
		pthread_t t[4];
		long bad = 0;

		for (int i = 0; i < 4; i++)
			CHECK_INT(pthread_create(&t[i], NULL, thread_churn, NULL), 0);
		for (int i = 0; i < 4; i++) {
			void *r;

			pthread_join(t[i], &r);
			bad += (long)r;
		}
		CHECK_INT(bad, 0);
	}

	ike_key_free(&k);	/* freeing an empty key is harmless */
	return check_done("keymem");
}
