/*
 * test_sa_table.c — ragd's SA indices (daemon/sa_table.h): issue 3 "O(1)
 * SA lookup by SPI ... design for 100,000 concurrent IKE SAs"; RFC 7296
 * 2.1 (a retransmitted IKE_SA_INIT finds its half-open SA by SPIi and
 * peer); 2.4 (INITIAL_CONTACT: the identity's SAs); the table limit.
 */
#include <errno.h>
#include <time.h>

#include <sodium.h>

#include "check.h"
#include "sa_table.h"

static struct rag_sa *mk(uint64_t k, uint8_t last_octet, uint16_t port)
{
	struct rag_sa *sa = calloc(1, sizeof(*sa));

	if (!sa)
		abort();
	memcpy(sa->spi_i, &k, 8);
	sa->remote.family = 4;
	sa->remote.addr[0] = 192;
	sa->remote.addr[3] = last_octet;
	sa->remote.port = port;
	return sa;
}

static void test_basic(void)
{
	struct rag_sa_table t;
	struct rag_sa *a = mk(1, 10, 500), *b = mk(1, 11, 500), *c = mk(1, 10, 4500);
	struct rag_sa *dup = mk(1, 10, 500), *v[4];
	uint8_t spi[8] = { 9, 9, 9, 9, 9, 9, 9, 9 }, spi2[8] = { 8 };
	int idx = -1;

	CHECK_INT(rag_sa_table_init(&t, 3), 0);
	CHECK_INT(rag_sa_insert(&t, a), 0);
	/* same SPIi from another address / port is another SA (2.1 keys
	 * half-open SAs by SPIi and peer) */
	CHECK_INT(rag_sa_insert(&t, b), 0);
	CHECK_INT(rag_sa_insert(&t, dup), -EEXIST);
	CHECK_INT(rag_sa_insert(&t, c), 0);
	CHECK_INT(t.n, 3);
	CHECK_INT(t.n_half, 3);
	{	/* limit */
		struct rag_sa *d = mk(2, 1, 1);

		CHECK_INT(rag_sa_insert(&t, d), -ENOSPC);
		free(d);
	}
	CHECK(rag_sa_by_half(&t, a->spi_i, &a->remote) == a);
	CHECK(rag_sa_by_half(&t, b->spi_i, &b->remote) == b);
	CHECK(rag_sa_by_half(&t, c->spi_i, &c->remote) == c);
	CHECK(a->id != b->id && b->id != c->id);
	CHECK(rag_sa_by_id(&t, b->id) == b);
	CHECK(rag_sa_by_id(&t, 12345) == NULL);
	/* IKE_SA_INIT done: SPIr index; half-open count drops */
	CHECK_INT(rag_sa_set_spi(&t, a, spi), 0);
	CHECK_INT(rag_sa_set_spi(&t, b, spi), -EEXIST);
	CHECK(rag_sa_by_spi(&t, spi) == a);
	CHECK(rag_sa_by_spi(&t, spi2) == NULL);
	rag_sa_half_done(&t, a);
	rag_sa_half_done(&t, a);	/* idempotent */
	CHECK_INT(t.n_half, 2);
	CHECK(rag_sa_by_half(&t, a->spi_i, &a->remote) == NULL);
	/* users */
	CHECK_INT(rag_sa_set_user(&t, a, "alice", 5), 0);
	CHECK_INT(rag_sa_set_user(&t, b, "alice", 5), 0);
	CHECK_INT(rag_sa_set_user(&t, c, "alicf", 5), 0);
	CHECK_INT(rag_sa_by_user(&t, "alice", 5, v, 4), 2);
	CHECK((v[0] == a && v[1] == b) || (v[0] == b && v[1] == a));
	CHECK_INT(rag_sa_by_user(&t, "Alice", 5, v, 4), 0);	/* exact */
	CHECK_INT(rag_sa_by_user(&t, "alice", 5, v, 1), 2);	/* count beyond max */
	CHECK_INT(rag_sa_set_user(&t, b, NULL, 0), 0);
	CHECK_INT(rag_sa_by_user(&t, "alice", 5, v, 4), 1);
	{
		char big[RAG_SA_USER_MAX + 2];

		memset(big, 'x', sizeof(big));
		CHECK_INT(rag_sa_set_user(&t, b, big, sizeof(big)), -ENAMETOOLONG);
	}
	/* CHILD SAs by inbound ESP SPI */
	CHECK_INT(rag_sa_child_set(&t, a, 0, 0xc0000101u), 0);
	CHECK_INT(rag_sa_child_set(&t, a, 3, 0xc0000102u), 0);
	CHECK_INT(rag_sa_child_set(&t, b, 0, 0xc0000101u), -EEXIST);
	CHECK_INT(rag_sa_child_set(&t, b, IKE_EXCH_MAX_CHILDREN, 1), -EINVAL);
	CHECK(rag_sa_by_child(&t, 0xc0000102u, &idx) == a);
	CHECK_INT(idx, 3);
	CHECK_INT(rag_sa_child_set(&t, a, 3, 0xc0000103u), 0);	/* rekey: new SPI */
	CHECK(rag_sa_by_child(&t, 0xc0000102u, &idx) == NULL);
	CHECK(rag_sa_by_child(&t, 0xc0000103u, &idx) == a);
	rag_sa_child_clear(&t, a, 0);
	CHECK(rag_sa_by_child(&t, 0xc0000101u, &idx) == NULL);
	/* iteration and removal from every index */
	{
		size_t n = 0;

		for (struct rag_sa *s = rag_sa_first(&t); s; s = rag_sa_next(s))
			n++;
		CHECK_INT(n, 3);
	}
	rag_sa_remove(&t, a);
	rag_sa_remove(&t, a);	/* twice is harmless */
	CHECK_INT(t.n, 2);
	CHECK(rag_sa_by_spi(&t, spi) == NULL);
	CHECK(rag_sa_by_id(&t, a->id) == NULL);
	CHECK(rag_sa_by_child(&t, 0xc0000103u, &idx) == NULL);
	CHECK_INT(rag_sa_by_user(&t, "alice", 5, v, 4), 0);
	rag_sa_remove(&t, b);
	rag_sa_remove(&t, c);
	CHECK_INT(t.n, 0);
	CHECK_INT(t.n_half, 0);
	CHECK(rag_sa_first(&t) == NULL);
	rag_sa_table_free(&t);
	free(a);
	free(b);
	free(c);
	free(dup);
}

/* 100,000 SAs: insert, index, look up and remove all; the lookups must
 * stay fast (the indices grow: a full scan per lookup would take minutes). */
static void test_scale(void)
{
	enum { N = 100000 };
	struct rag_sa_table t;
	struct rag_sa **s = calloc(N, sizeof(*s));
	struct timespec t0, t1;
	bool ok = true;
	double secs;

	CHECK(s != NULL);
	CHECK_INT(rag_sa_table_init(&t, 0), 0);
	for (uint64_t i = 0; i < N; i++) {
		uint8_t spi[8];
		char u[16];

		s[i] = mk(i + 1, (uint8_t)i, (uint16_t)(i >> 8));
		if (rag_sa_insert(&t, s[i]) < 0)
			ok = false;
		randombytes_buf(spi, 8);
		if (rag_sa_set_spi(&t, s[i], spi) < 0)
			ok = false;
		rag_sa_half_done(&t, s[i]);
		snprintf(u, sizeof(u), "user%llu", (unsigned long long)(i % 5000));
		rag_sa_set_user(&t, s[i], u, strlen(u));
		rag_sa_child_set(&t, s[i], 0, (uint32_t)(0xc0000100u + i));
	}
	CHECK(ok);
	CHECK_INT(t.n, N);
	CHECK_INT(t.n_half, 0);
	CHECK(t.spi.nb >= N);	/* grew: load <= 1 */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int round = 0; round < 10; round++)
		for (size_t i = 0; i < N; i++) {
			int idx;

			if (rag_sa_by_spi(&t, s[i]->spi_r) != s[i] ||
			    rag_sa_by_id(&t, s[i]->id) != s[i] ||
			    rag_sa_by_child(&t, (uint32_t)(0xc0000100u + i), &idx) != s[i])
				ok = false;
		}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	CHECK(ok);
	printf("3,000,000 indexed lookups among %d SAs: %.3f s\n", N, secs);
	CHECK(secs < 20.0);	/* generous for ASan; a scan would be ~hours */
	{
		struct rag_sa *v[32];

		CHECK_INT(rag_sa_by_user(&t, "user42", 6, v, 32), N / 5000);
	}
	for (size_t i = 0; i < N; i++) {
		rag_sa_remove(&t, s[i]);
		free(s[i]);
	}
	CHECK_INT(t.n, 0);
	CHECK_INT(t.spi.n, 0);
	CHECK_INT(t.user.n, 0);
	CHECK_INT(t.child.n, 0);
	rag_sa_table_free(&t);
	free(s);
}

static struct ike_endpoint ep4(uint8_t last, uint16_t port)
{
	struct ike_endpoint e = { 4, { 198, 51, 100, last }, port };

	return e;
}

/*
 * Half-open SAs per source (responder.c HALF_OPEN_PER_SRC: COOKIEs for
 * one address beyond it, RFC 7296 2.6): counted by address, not port;
 * IPv6 by /64; leaving the half-open state (established, removed)
 * uncounts; a source's node is freed at 0, so there are never more nodes
 * than half-open SAs.
 */
static void test_per_source(void)
{
	struct rag_sa_table t;
	struct rag_sa *sa[8];
	struct ike_endpoint a = ep4(7, 500), a2 = ep4(7, 4500), b = ep4(8, 500);
	struct ike_endpoint v6a = { 6, { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, [15] = 1 }, 500 };
	struct ike_endpoint v6b = v6a, v6c = v6a;

	v6b.addr[15] = 0x99;		/* same /64, another host */
	v6b.addr[9] = 0x42;
	v6c.addr[7] = 3;		/* another /64 */
	CHECK_INT(rag_sa_table_init(&t, 0), 0);
	for (int i = 0; i < 8; i++) {
		uint64_t k = 100 + (uint64_t)i;

		sa[i] = mk(k, 0, 0);
		sa[i]->remote = i < 3 ? (i == 1 ? a2 : a) : i == 3 ? b :
				i < 6 ? (i == 4 ? v6a : v6b) : v6c;
		CHECK_INT(rag_sa_insert(&t, sa[i]), 0);
	}
	CHECK_INT(rag_sa_half_from(&t, &a), 3);		/* ports do not matter */
	CHECK_INT(rag_sa_half_from(&t, &a2), 3);
	CHECK_INT(rag_sa_half_from(&t, &b), 1);
	CHECK_INT(rag_sa_half_from(&t, &v6a), 2);	/* one /64 */
	CHECK_INT(rag_sa_half_from(&t, &v6c), 2);	/* sa[6], sa[7] */
	{
		struct ike_endpoint none = ep4(9, 500);

		CHECK_INT(rag_sa_half_from(&t, &none), 0);
	}
	CHECK_INT(t.src.n, 4);
	/* established: no longer half open; the address moving later does
	 * not matter (the node is remembered) */
	rag_sa_half_done(&t, sa[0]);
	sa[0]->remote = b;
	CHECK_INT(rag_sa_half_from(&t, &a), 2);
	CHECK_INT(rag_sa_half_from(&t, &b), 1);
	rag_sa_half_done(&t, sa[0]);			/* idempotent */
	CHECK_INT(rag_sa_half_from(&t, &a), 2);
	/* removed while half open */
	rag_sa_remove(&t, sa[1]);
	rag_sa_remove(&t, sa[3]);
	CHECK_INT(rag_sa_half_from(&t, &a), 1);
	CHECK_INT(rag_sa_half_from(&t, &b), 0);
	CHECK_INT(t.src.n, 3);				/* b's node is gone */
	for (int i = 0; i < 8; i++)
		rag_sa_remove(&t, sa[i]);
	CHECK_INT(t.src.n, 0);
	CHECK_INT(t.n_half, 0);
	for (int i = 0; i < 8; i++)
		free(sa[i]);

	/* many sources: exact counts, nodes = distinct sources, all freed */
	{
		enum { N = 20000 };
		struct rag_sa **v = calloc(N, sizeof(*v));

		if (!v)
			abort();
		for (int i = 0; i < N; i++) {
			v[i] = mk(1000 + (uint64_t)i, 0, 0);
			v[i]->remote = ep4(0, 500);
			v[i]->remote.addr[2] = (uint8_t)(i / 2 / 256);
			v[i]->remote.addr[3] = (uint8_t)(i / 2 % 256);
			CHECK(rag_sa_insert(&t, v[i]) == 0);
		}
		CHECK_INT(t.src.n, N / 2);
		CHECK_INT(rag_sa_half_from(&t, &v[N - 1]->remote), 2);
		for (int i = 0; i < N; i += 2)
			rag_sa_half_done(&t, v[i]);
		CHECK_INT(rag_sa_half_from(&t, &v[N - 1]->remote), 1);
		CHECK_INT(t.src.n, N / 2);
		for (int i = 0; i < N; i++) {
			rag_sa_remove(&t, v[i]);
			free(v[i]);
		}
		CHECK_INT(t.src.n, 0);
		free(v);
	}
	rag_sa_table_free(&t);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_basic();
	test_scale();
	test_per_source();
	return check_done("test_sa_table");
}
