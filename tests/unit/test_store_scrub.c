/*
 * test_store_scrub.c — daemon/store_scrub.c, the "rag-scrub" VFS behind
 * issue 5 point 5 ("rows older than retention are deleted with
 * secure_delete"): secure_delete alone leaves stale copies of cells in the
 * unused part of pages that b-tree rebalancing rebuilt; the VFS zeroes the
 * unused bytes of every page it writes.
 *
 *  - the same random insert/update/delete workload on two databases, one
 *    through rag-scrub and one through the default VFS: the scrubbed one
 *    passes integrity_check, holds exactly the same rows, has no page with
 *    unused bytes left, and no deleted row's marker text in its file;
 *  - store_scrub_page() leaves alone what it must not touch: pages that are
 *    not b-tree pages, pointer-map pages, pages that do not validate.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "testdb.h"
#include "store.h"

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Run the workload on db; deterministic for a seed. */
static void workload(sqlite3 *db, uint64_t seed)
{
	char err[STORE_ERR_MAX], sql[600], pad[300];

	CHECK_INT(store_exec(db, "PRAGMA secure_delete = ON; PRAGMA auto_vacuum = INCREMENTAL; "
			     "VACUUM; CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL, "
			     "v TEXT NOT NULL); CREATE INDEX t_k ON t (k);", err, sizeof(err)), 0);
	memset(pad, 'p', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	for (int round = 0; round < 6; round++) {
		CHECK_INT(store_exec(db, "BEGIN", err, sizeof(err)), 0);
		for (int i = 0; i < 3000; i++) {
			int id = round * 3000 + i + 1;
			uint64_t r = rnd(&seed);

			/* the marker is in the indexed key too: index pages are
			 * where rebalancing leaves most copies */
			snprintf(sql, sizeof(sql), "INSERT INTO t VALUES (%d, 'MARK%06d-%08llx', "
				 "'MARK%06d %.*s')", id, id, (unsigned long long)(r & 0xffffffff), id,
				 (int)(r >> 40) % 250, pad);
			CHECK_INT(store_exec(db, sql, err, sizeof(err)), 0);
		}
		CHECK_INT(store_exec(db, "COMMIT", err, sizeof(err)), 0);
		/* delete about half of the rows, at random; update some */
		CHECK_INT(store_exec(db, "BEGIN", err, sizeof(err)), 0);
		for (int i = 0; i < 1500; i++) {
			snprintf(sql, sizeof(sql), "DELETE FROM t WHERE id = %llu",
				 (unsigned long long)(rnd(&seed) % (uint64_t)((round + 1) * 3000) + 1));
			CHECK_INT(store_exec(db, sql, err, sizeof(err)), 0);
		}
		snprintf(sql, sizeof(sql), "UPDATE t SET v = substr(v, 1, 20) WHERE id %% 7 = %d",
			 round);
		CHECK_INT(store_exec(db, sql, err, sizeof(err)), 0);
		CHECK_INT(store_exec(db, "COMMIT", err, sizeof(err)), 0);
		CHECK_INT(store_exec(db, "PRAGMA incremental_vacuum(50)", err, sizeof(err)), 0);
		if (round % 2)
			CHECK_INT(store_exec(db, "PRAGMA wal_checkpoint(PASSIVE)", err, sizeof(err)), 0);
	}
	CHECK_INT(store_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", err, sizeof(err)), 0);
}

/* A digest of the rows (order by id): FNV-1a over every column. */
static uint64_t rows_digest(sqlite3 *db, long long *count)
{
	sqlite3_stmt *st;
	uint64_t h = 1469598103934665603ull;

	*count = 0;
	if (sqlite3_prepare_v2(db, "SELECT id, k, v FROM t ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		return 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int c = 0; c < 3; c++) {
			const unsigned char *t = sqlite3_column_text(st, c);

			for (; t && *t; t++)
				h = (h ^ *t) * 1099511628211ull;
			h = (h ^ 0xff) * 1099511628211ull;
		}
		(*count)++;
	}
	sqlite3_finalize(st);
	return h;
}

/* Read a whole file (malloc'ed); its size in *n. */
static uint8_t *slurp(const char *path, size_t *n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *b = NULL;

	*n = 0;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && st.st_size > 0 && (b = malloc((size_t)st.st_size)) &&
	    read(fd, b, (size_t)st.st_size) == st.st_size)
		*n = (size_t)st.st_size;
	close(fd);
	return b;
}

/* Unused bytes left in the pages of a database file, and how many of the
 * deleted rows' markers (ids in [1, max] not in the table) its bytes hold. */
static void inspect(const char *name, sqlite3 *db, int max, size_t *unused, int *leaked)
{
	size_t n, ps;
	uint8_t *f = slurp(tpath(name), &n);

	*unused = 0;
	*leaked = 0;
	CHECK(f != NULL && n >= 4096);
	if (!f)
		return;
	ps = (size_t)(f[16] << 8 | f[17]);
	for (size_t off = 0; off + ps <= n; off += ps) {
		uint8_t *copy = malloc(ps);

		memcpy(copy, f + off, ps);
		*unused += store_scrub_page(copy, ps, (uint32_t)(off / ps) + 1, f);
		free(copy);
	}
	for (int id = 1; id <= max; id++) {
		char mark[32], sql[64];
		sqlite3_stmt *st;
		bool live = false;

		snprintf(sql, sizeof(sql), "SELECT 1 FROM t WHERE id = %d", id);
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
			live = sqlite3_step(st) == SQLITE_ROW;
			sqlite3_finalize(st);
		}
		snprintf(mark, sizeof(mark), "MARK%06d", id);
		if (!live && memmem(f, n, mark, strlen(mark)))
			(*leaked)++;
	}
	free(f);
}

static void test_workload(void)
{
	char err[STORE_ERR_MAX];
	sqlite3 *a, *b;
	uint64_t da, dbv;
	long long na, nb;
	size_t unused_a, unused_b;
	int leaked_a, leaked_b;

	CHECK_INT(store_scrub_vfs_register(), 0);
	CHECK_INT(store_scrub_vfs_register(), 0);	/* idempotent */
	tdb_remove("a.db");
	tdb_remove("b.db");
	CHECK_INT(store_open_vfs(tpath("a.db"), STORE_SCRUB_VFS, &a, err, sizeof(err)), 0);
	CHECK_INT(store_open(tpath("b.db"), &b, err, sizeof(err)), 0);
	workload(a, 42);
	workload(b, 42);
	CHECK_INT(store_check(a, err, sizeof(err)), 0);
	CHECK_INT(store_check(b, err, sizeof(err)), 0);
	da = rows_digest(a, &na);
	dbv = rows_digest(b, &nb);
	CHECK(na > 5000);
	CHECK_INT(na, nb);
	CHECK(da == dbv);
	inspect("a.db", a, 18000, &unused_a, &leaked_a);
	inspect("b.db", b, 18000, &unused_b, &leaked_b);
	fprintf(stderr, "scrubbed: %zu unused bytes left, %d deleted markers in the file; "
		"default VFS: %zu and %d\n", unused_a, leaked_a, unused_b, leaked_b);
	CHECK_INT(unused_a, 0);
	CHECK_INT(leaked_a, 0);
	/* the same check finds them without the VFS: it can fail */
	CHECK(unused_b > 0);
	store_close(a);
	store_close(b);
	/* a second connection through the default VFS reads it normally */
	CHECK_INT(store_open(tpath("a.db"), &a, err, sizeof(err)), 0);
	CHECK_INT(store_check(a, err, sizeof(err)), 0);
	CHECK(rows_digest(a, &na) == dbv);
	store_close(a);
	tdb_remove("a.db");
	tdb_remove("b.db");
}

/* A minimal database header for page-level tests: page size ps, auto-vacuum
 * when av, in-header size pages. */
static void header(uint8_t *h, size_t ps, bool av, uint32_t pages)
{
	memset(h, 0, 100);
	memcpy(h, "SQLite format 3", 16);
	h[16] = (uint8_t)(ps >> 8);
	h[17] = (uint8_t)ps;
	h[28] = (uint8_t)(pages >> 24);
	h[29] = (uint8_t)(pages >> 16);
	h[30] = (uint8_t)(pages >> 8);
	h[31] = (uint8_t)pages;
	if (av)
		h[55] = 3;	/* largest root page: non-zero = auto-vacuum */
}

/* A leaf table page with one cell at the end and garbage in the gap. */
static void leaf(uint8_t *p, size_t ps)
{
	memset(p, 0xAA, ps);
	p[0] = 13;			/* leaf table */
	p[1] = p[2] = 0;		/* no freeblock */
	p[3] = 0;
	p[4] = 1;			/* one cell */
	p[5] = (uint8_t)((ps - 8) >> 8);
	p[6] = (uint8_t)(ps - 8);	/* content starts 8 bytes before the end */
	p[7] = 0;
	p[8] = (uint8_t)((ps - 8) >> 8);
	p[9] = (uint8_t)(ps - 8);	/* the cell pointer */
}

static void test_page_rules(void)
{
	uint8_t h[100], p[4096], q[4096];
	const size_t ps = sizeof(p);

	header(h, ps, false, 100);
	leaf(p, ps);
	/* the gap [10, ps - 8) is zeroed, the header and the cell are not */
	CHECK_INT(store_scrub_page(p, ps, 3, h), ps - 8 - 10);
	CHECK_INT(p[0], 13);
	CHECK_INT(p[10], 0);
	CHECK_INT(p[ps - 9], 0);
	CHECK_INT(p[ps - 8], 0xAA);
	CHECK_INT(p[ps - 1], 0xAA);
	CHECK_INT(store_scrub_page(p, ps, 3, h), 0);	/* nothing left */

	/* a freeblock: its inside is zeroed, its 4-byte header kept */
	leaf(p, ps);
	p[5] = (uint8_t)((ps - 40) >> 8);
	p[6] = (uint8_t)(ps - 40);	/* content from ps - 40 */
	p[1] = (uint8_t)((ps - 40) >> 8);
	p[2] = (uint8_t)(ps - 40);	/* freeblock at ps - 40 ... */
	p[ps - 40] = p[ps - 39] = 0;	/* ... last in the chain ... */
	p[ps - 38] = 0;
	p[ps - 37] = 32;		/* ... 32 bytes */
	memcpy(q, p, ps);
	p[ps - 30] = 0;			/* zero already: not counted */
	CHECK_INT(store_scrub_page(p, ps, 3, h), (ps - 40 - 10) + 27);
	CHECK_INT(p[ps - 37], 32);
	CHECK_INT(p[ps - 36], 0);
	CHECK_INT(p[ps - 9], 0);

	/* not validating: left exactly as they were */
	leaf(p, ps);
	p[9] = 4;			/* cell pointer below the content area */
	memcpy(q, p, ps);
	CHECK_INT(store_scrub_page(p, ps, 3, h), 0);
	CHECK_MEM(p, q, ps);
	leaf(p, ps);
	p[1] = (uint8_t)((ps - 8) >> 8);
	p[2] = (uint8_t)(ps - 8);	/* freeblock pointing at itself: a loop */
	p[ps - 8] = p[1];
	p[ps - 7] = p[2];
	p[ps - 6] = 0;
	p[ps - 5] = 8;
	memcpy(q, p, ps);
	CHECK_INT(store_scrub_page(p, ps, 3, h), 0);
	CHECK_MEM(p, q, ps);
	leaf(p, ps);
	p[0] = 0;			/* overflow/freelist page: first byte of a page number */
	memcpy(q, p, ps);
	CHECK_INT(store_scrub_page(p, ps, 3, h), 0);
	CHECK_MEM(p, q, ps);

	/* pointer-map pages of an auto-vacuum database: 2, then every
	 * usable/5 + 1 pages; never touched even when they look like b-tree
	 * pages; their neighbours are */
	header(h, ps, true, 2000);
	leaf(p, ps);
	CHECK_INT(store_scrub_page(p, ps, 2, h), 0);
	leaf(p, ps);
	CHECK_INT(store_scrub_page(p, ps, 2 + ps / 5 + 1, h), 0);
	leaf(p, ps);
	CHECK(store_scrub_page(p, ps, 3, h) > 0);
	/* without auto-vacuum page 2 is an ordinary page */
	header(h, ps, false, 2000);
	leaf(p, ps);
	CHECK(store_scrub_page(p, ps, 2, h) > 0);

	/* a database too big to tell page numbers from page types */
	header(h, ps, false, STORE_SCRUB_MAX_PAGES);
	leaf(p, ps);
	CHECK_INT(store_scrub_page(p, ps, 3, h), 0);
	/* a header that is not a database header, or another page size */
	header(h, ps, false, 100);
	h[0] = 'X';
	leaf(p, ps);
	CHECK_INT(store_scrub_page(p, ps, 3, h), 0);
	header(h, 1024, false, 100);
	leaf(p, ps);
	CHECK_INT(store_scrub_page(p, ps, 3, h), 0);
	CHECK_INT(store_scrub_page(p, ps, 3, NULL), 0);

	/* page 1: the b-tree header follows the 100-byte database header */
	memset(p, 0xAA, ps);
	header(p, ps, false, 100);
	p[100] = 13;
	p[101] = p[102] = p[103] = 0;
	p[104] = 1;
	p[105] = (uint8_t)((ps - 8) >> 8);
	p[106] = (uint8_t)(ps - 8);
	p[107] = 0;
	p[108] = (uint8_t)((ps - 8) >> 8);
	p[109] = (uint8_t)(ps - 8);
	CHECK_INT(store_scrub_page(p, ps, 1, NULL), ps - 8 - 110);
	CHECK(!memcmp(p, "SQLite format 3", 16));
}

int main(void)
{
	snprintf(tdb_dir, sizeof(tdb_dir), "/tmp/rag-test-scrub-XXXXXX");
	if (!mkdtemp(tdb_dir))
		return 1;
	test_page_rules();
	test_workload();
	rmdir(tdb_dir);
	return check_done("test_store_scrub");
}
