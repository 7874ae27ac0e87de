/*
 * test_pool.c — the virtual address pool (daemon/pool.h), issue 3
 * "Configuration payload: a virtual IPv4 (and IPv6 when a pool is set)
 * from the pool, the same address again for the same user on reconnect
 * when free", and STYLE.md rule 6 (limits, exhaustion).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>

#include <sodium.h>

#include "check.h"
#include "pool.h"

static const char *a4(const uint8_t *a, char *buf)
{
	return inet_ntop(AF_INET, a, buf, INET_ADDRSTRLEN);
}

/* A /29: 8 addresses minus network, .1 (gateway) and broadcast = 5. */
static void test_small_v4(void)
{
	struct rag_pool p;
	uint8_t net[4] = { 10, 9, 0, 0 }, a[16], seen[8][16], b[16];
	char s[INET_ADDRSTRLEN];
	int rc;

	CHECK_INT(rag_pool_init(&p, AF_INET, net, 29, 0), 0);
	CHECK_INT(rag_pool_capacity(&p), 5);
	for (int i = 0; i < 5; i++) {
		char u[8];

		snprintf(u, sizeof(u), "u%d", i);
		rc = rag_pool_alloc(&p, u, strlen(u), seen[i]);
		CHECK_INT(rc, 0);
		/* never the network, gateway or broadcast address */
		CHECK(seen[i][3] >= 2 && seen[i][3] <= 6);
		CHECK(rag_pool_contains(&p, seen[i]));
		for (int j = 0; j < i; j++)
			CHECK(memcmp(seen[i], seen[j], 4) != 0);
	}
	CHECK_INT(rag_pool_used(&p), 5);
	/* exhaustion (limit) */
	CHECK_INT(rag_pool_alloc(&p, "u9", 2, a), -ENOSPC);
	/* release and reuse */
	CHECK_INT(rag_pool_release(&p, seen[2]), 0);
	CHECK_INT(rag_pool_release(&p, seen[2]), -EINVAL);	/* double release */
	CHECK_INT(rag_pool_used(&p), 4);
	rc = rag_pool_alloc(&p, "u2", 2, a);
	CHECK_INT(rc, 1);					/* sticky reuse */
	CHECK_MEM(a, seen[2], 4);
	/* addresses outside or reserved are refused */
	memcpy(b, net, 4);
	b[3] = 1;
	CHECK_INT(rag_pool_release(&p, b), -EINVAL);
	CHECK_INT(rag_pool_take(&p, b), -EINVAL);
	b[0] = 11;
	CHECK(!rag_pool_contains(&p, b));
	CHECK_INT(rag_pool_release(&p, b), -EINVAL);
	printf("small pool ok, last %s\n", a4(a, s));
	rag_pool_free(&p);
}

/* Sticky addresses survive other users' churn; a taken sticky address
 * gives the user another one. */
static void test_sticky(void)
{
	struct rag_pool p;
	uint8_t net[4] = { 10, 8, 0, 0 }, alice[16], bob[16], x[16], y[16];

	CHECK_INT(rag_pool_init(&p, AF_INET, net, 16, 0), 0);
	CHECK_INT(rag_pool_capacity(&p), 65536 - 3);
	CHECK_INT(rag_pool_alloc(&p, "alice", 5, alice), 0);
	CHECK_INT(rag_pool_alloc(&p, "bob", 3, bob), 0);
	CHECK_INT(rag_pool_release(&p, alice), 0);
	/* 1000 other users come and go: alice's address is reused last */
	for (int i = 0; i < 1000; i++) {
		char u[16];

		snprintf(u, sizeof(u), "user%d", i);
		CHECK_INT(rag_pool_alloc(&p, u, strlen(u), x), 0);
		CHECK(memcmp(x, alice, 4) != 0);
		CHECK_INT(rag_pool_release(&p, x), 0);
	}
	CHECK_INT(rag_pool_alloc(&p, "alice", 5, x), 1);
	CHECK_MEM(x, alice, 4);
	/* alice connects a second device: another address */
	CHECK_INT(rag_pool_alloc(&p, "alice", 5, y), 0);
	CHECK(memcmp(y, alice, 4) != 0);
	/* case matters and anonymous users are not remembered */
	CHECK_INT(rag_pool_alloc(&p, "", 0, x), 0);
	CHECK_INT(rag_pool_used(&p), 4);
	/* a name longer than the limit is served, not remembered */
	{
		char big[RAG_POOL_USER_MAX + 10];

		memset(big, 'a', sizeof(big));
		CHECK_INT(rag_pool_alloc(&p, big, sizeof(big), x), 0);
		CHECK_INT(rag_pool_release(&p, x), 0);
		CHECK_INT(rag_pool_alloc(&p, big, sizeof(big), y), 0);
	}
	rag_pool_free(&p);
}

/* INITIAL_CONTACT (RFC 7296 2.4): the same user's address still held by
 * its dying SA is shared, and survives the first release. */
static void test_share(void)
{
	struct rag_pool p;
	uint8_t net[4] = { 10, 7, 0, 0 }, a[16], b[16], c[16];

	CHECK_INT(rag_pool_init(&p, AF_INET, net, 24, 0), 0);
	CHECK_INT(rag_pool_share(&p, "carol", 5, b), -ENOENT);	/* unknown */
	CHECK_INT(rag_pool_alloc(&p, "carol", 5, a), 0);
	CHECK_INT(rag_pool_share(&p, "dave", 4, b), -ENOENT);	/* not his */
	CHECK_INT(rag_pool_share(&p, "carol", 5, b), 0);
	CHECK_MEM(a, b, 4);
	CHECK_INT(rag_pool_used(&p), 1);
	CHECK_INT(rag_pool_release(&p, a), 0);	/* the old SA goes */
	CHECK_INT(rag_pool_alloc(&p, "erin", 4, c), 0);
	CHECK(memcmp(c, a, 4) != 0);		/* still held by the new SA */
	CHECK_INT(rag_pool_release(&p, b), 0);
	CHECK_INT(rag_pool_release(&p, b), -EINVAL);
	CHECK_INT(rag_pool_used(&p), 1);
	/* a free remembered address is not "shared" */
	CHECK_INT(rag_pool_share(&p, "carol", 5, b), -ENOENT);
	rag_pool_free(&p);
}

/* IPv6 /64: capped at RAG_POOL_MAX_ADDRS; bad prefixes refused. */
static void test_v6_and_limits(void)
{
	struct rag_pool p;
	uint8_t net6[16] = { 0xfd, 0, 0x02, 0 }, a[16], bad[4] = { 10, 0, 0, 1 };

	CHECK_INT(rag_pool_init(&p, AF_INET6, net6, 64, 0), 0);
	CHECK_INT(rag_pool_capacity(&p), RAG_POOL_MAX_ADDRS - 2);
	CHECK_INT(rag_pool_alloc(&p, "u", 1, a), 0);
	CHECK_MEM(a, net6, 8);
	CHECK_INT(a[15], 2);		/* ::2, after the gateway's ::1 */
	CHECK(rag_pool_contains(&p, a));
	CHECK_INT(rag_pool_release(&p, a), 0);
	rag_pool_free(&p);
	CHECK_INT(rag_pool_init(&p, AF_INET6, net6, 48, 0), -EINVAL);
	CHECK_INT(rag_pool_init(&p, AF_INET, bad, 24, 0), -EINVAL);	/* host bits */
	CHECK_INT(rag_pool_init(&p, AF_INET, bad, 7, 0), -EINVAL);
	CHECK_INT(rag_pool_alloc(&p, "u", 1, a), -EINVAL);		/* not set up */
	rag_pool_free(&p);
}

/* The sticky map is bounded (LRU eviction). */
static void test_sticky_limit(void)
{
	struct rag_pool p;
	uint8_t net[4] = { 10, 6, 0, 0 }, a[16], first[16];

	CHECK_INT(rag_pool_init(&p, AF_INET, net, 16, 4), 0);
	CHECK_INT(rag_pool_alloc(&p, "u0", 2, first), 0);
	CHECK_INT(rag_pool_release(&p, first), 0);
	for (int i = 1; i <= 4; i++) {
		char u[8];

		snprintf(u, sizeof(u), "u%d", i);
		CHECK_INT(rag_pool_alloc(&p, u, strlen(u), a), 0);
	}
	CHECK_INT(p.nsticky, 4);
	/* u0 was evicted: no sticky reuse */
	CHECK_INT(rag_pool_alloc(&p, "u0", 2, a), 0);
	rag_pool_free(&p);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_small_v4();
	test_sticky();
	test_share();
	test_v6_and_limits();
	test_sticky_limit();
	return check_done("test_pool");
}
