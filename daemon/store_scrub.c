/*
 * store_scrub.c — the "rag-scrub" SQLite VFS: the default VFS with one
 * change, every page written to a main database file has its unused bytes
 * zeroed first (see store.h "Scrubbing").
 *
 * Why: PRAGMA secure_delete zeroes a cell when it is deleted and a page when
 * it is freed, but when SQLite rebalances a b-tree it rebuilds pages from
 * the end and leaves whatever was below the new cell content area — stale
 * copies of cells that lived on the page before.  Those copies outlive the
 * rows they were copied from, so a deleted user name can still be read from
 * the file after retention deleted its rows (tests/unit/test_retention.c
 * greps for it).  Zeroing the unallocated area and the freeblocks of each
 * b-tree page on its way to the file removes them; SQLite never reads those
 * bytes (the file format gives them no meaning), so nothing else changes.
 *
 * Only main-database writes are touched: WAL frames are checksummed over
 * their content (and short-lived: retention ends with a truncating
 * checkpoint), and rollback journals are not used (WAL mode).
 */
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* b-tree page types (SQLite file format, section 1.6) */
#define PT_INTERIOR_INDEX 2
#define PT_INTERIOR_TABLE 5
#define PT_LEAF_INDEX     10
#define PT_LEAF_TABLE     13

static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Zero n bytes at p; how many were not zero. */
static size_t zero_range(uint8_t *p, size_t n)
{
	size_t nz = 0;

	for (size_t i = 0; i < n; i++)
		nz += p[i] != 0;
	if (nz)
		memset(p, 0, n);
	return nz;
}

/* See store.h. */
size_t store_scrub_page(uint8_t *page, size_t page_size, uint32_t pgno, const uint8_t *hdr1)
{
	uint32_t usable, hdr, hsize, ncell, cstart, ptr_end, fb, prev_end, n;
	uint32_t fbs[512][2];
	size_t nfb = 0, zeroed = 0;
	uint8_t type;

	if (page_size < 512 || page_size > 65536 || (page_size & (page_size - 1)) || !pgno)
		return 0;
	if (pgno == 1)
		hdr1 = page;
	if (!hdr1 || memcmp(hdr1, "SQLite format 3", 16))
		return 0;
	/* page size as the header says it (1 means 65536) must be this size */
	n = be16(hdr1 + 16);
	if ((n == 1 ? 65536u : n) != page_size || hdr1[20] >= page_size - 480)
		return 0;
	usable = (uint32_t)page_size - hdr1[20];	/* minus reserved bytes */
	/* overflow and freelist-trunk pages begin with a page number, whose
	 * first byte is 0 below 2^24 pages (so never a page type); in a
	 * database that large (or near it) leave everything alone */
	if (pgno >= STORE_SCRUB_MAX_PAGES || be32(hdr1 + 28) >= STORE_SCRUB_MAX_PAGES)
		return 0;
	/* auto-vacuum: pointer-map pages, whose first byte may look like a
	 * page type, sit at 2, 2 + J, 2 + 2J... with J = usable / 5 + 1, moved
	 * one on when that is the lock-byte page (SQLite's PTRMAP_PAGENO) */
	if (be32(hdr1 + 52) && pgno >= 2) {
		uint32_t j = usable / 5 + 1, pending = (uint32_t)(0x40000000u / page_size) + 1;
		uint32_t map = (pgno - 2) / j * j + 2;

		if (map == pending)
			map++;
		if (pgno == map || pgno == pending)
			return 0;
	}
	hdr = pgno == 1 ? 100 : 0;
	type = page[hdr];
	if (type == PT_INTERIOR_INDEX || type == PT_INTERIOR_TABLE)
		hsize = 12;
	else if (type == PT_LEAF_INDEX || type == PT_LEAF_TABLE)
		hsize = 8;
	else
		return 0;

	/* validate everything before changing anything */
	ncell = be16(page + hdr + 3);
	cstart = be16(page + hdr + 5);
	if (cstart == 0)
		cstart = 65536;
	ptr_end = hdr + hsize + 2 * ncell;
	if (ptr_end > cstart || cstart > usable)
		return 0;
	for (uint32_t i = 0; i < ncell; i++) {
		uint32_t c = be16(page + hdr + hsize + 2 * i);

		if (c < cstart || c >= usable)
			return 0;
	}
	/* freeblocks: ascending, inside the content area, not overlapping */
	prev_end = cstart;
	for (fb = be16(page + hdr + 1); fb; fb = be16(page + fb)) {
		uint32_t size;

		if (nfb == sizeof(fbs) / sizeof(fbs[0]) || fb < prev_end || fb > usable - 4)
			return 0;
		size = be16(page + fb + 2);
		if (size < 4 || size > usable - fb)
			return 0;
		fbs[nfb][0] = fb;
		fbs[nfb][1] = size;
		nfb++;
		prev_end = fb + size;
	}

	zeroed = zero_range(page + ptr_end, cstart - ptr_end);
	for (size_t i = 0; i < nfb; i++)	/* keeping each 4-byte header (next, size) */
		zeroed += zero_range(page + fbs[i][0] + 4, fbs[i][1] - 4);
	return zeroed;
}

/* ---- the VFS shim ------------------------------------------------------------ */

struct scrub_file {
	sqlite3_file base;		/* base.pMethods = &scrub_io */
	sqlite3_file *real;		/* the default VFS's file, after this struct */
	bool main_db;
	bool have_hdr;
	uint8_t hdr1[100];		/* page 1's header as last written or read */
	uint8_t *buf;			/* page copy for scrubbing (main_db) */
	size_t buf_size;
};

static sqlite3_vfs *real_vfs;
static sqlite3_vfs scrub_vfs;
static sqlite3_io_methods scrub_io;
static pthread_once_t scrub_once = PTHREAD_ONCE_INIT;
static int scrub_rc = SQLITE_ERROR;

#define REAL(f) (((struct scrub_file *)(f))->real)

static int x_close(sqlite3_file *f)
{
	struct scrub_file *s = (struct scrub_file *)f;
	int rc = s->real->pMethods ? s->real->pMethods->xClose(s->real) : SQLITE_OK;

	free(s->buf);
	s->buf = NULL;
	return rc;
}

static int x_read(sqlite3_file *f, void *p, int amt, sqlite3_int64 off)
{
	struct scrub_file *s = (struct scrub_file *)f;
	int rc = s->real->pMethods->xRead(s->real, p, amt, off);

	if (rc == SQLITE_OK && s->main_db && off == 0 && amt >= 100) {
		memcpy(s->hdr1, p, 100);
		s->have_hdr = true;
	}
	return rc;
}

/* Main database: scrub whole-page writes on a copy (the buffer belongs to
 * the pager), then write the copy. */
static int x_write(sqlite3_file *f, const void *p, int amt, sqlite3_int64 off)
{
	struct scrub_file *s = (struct scrub_file *)f;
	size_t sz = (size_t)amt;

	if (!s->main_db || amt < 512 || amt > 65536 || (sz & (sz - 1)) || off < 0 ||
	    off % amt)
		return s->real->pMethods->xWrite(s->real, p, amt, off);
	if (off == 0) {
		memcpy(s->hdr1, p, 100);
		s->have_hdr = true;
	}
	if (!s->have_hdr) {
		/* the header of the file as it is (a page written before page 1) */
		uint8_t h[100];

		if (s->real->pMethods->xRead(s->real, h, 100, 0) == SQLITE_OK) {
			memcpy(s->hdr1, h, 100);
			s->have_hdr = true;
		}
	}
	if (s->buf_size != sz) {
		uint8_t *nb = realloc(s->buf, sz);

		if (!nb)	/* no copy, no scrub: still write, unchanged */
			return s->real->pMethods->xWrite(s->real, p, amt, off);
		s->buf = nb;
		s->buf_size = sz;
	}
	memcpy(s->buf, p, sz);
	store_scrub_page(s->buf, sz, (uint32_t)(off / amt) + 1, s->have_hdr ? s->hdr1 : NULL);
	return s->real->pMethods->xWrite(s->real, s->buf, amt, off);
}

static int x_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int x_sync(sqlite3_file *f, int flags)
{
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int x_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int x_lock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xLock(REAL(f), lock);
}

static int x_unlock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}

static int x_check_lock(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int x_file_control(sqlite3_file *f, int op, void *arg)
{
	int rc = REAL(f)->pMethods->xFileControl(REAL(f), op, arg);

	/* the VFS name in the pager's messages */
	if (op == SQLITE_FCNTL_VFSNAME && rc == SQLITE_OK) {
		char **name = arg;
		char *n = sqlite3_mprintf("rag-scrub/%z", *name);

		if (n)
			*name = n;
	}
	return rc;
}

static int x_sector_size(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int x_device_chars(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int x_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), pg, pgsz, extend, pp);
}

static int x_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void x_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int x_shm_unmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static int x_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, amt, pp);
}

static int x_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
	struct scrub_file *s = (struct scrub_file *)f;
	int rc;

	(void)vfs;
	memset(s, 0, sizeof(*s));
	s->real = (sqlite3_file *)(s + 1);
	rc = real_vfs->xOpen(real_vfs, name, s->real, flags, out);
	if (rc != SQLITE_OK || !s->real->pMethods) {
		/* SQLite calls xClose only when pMethods is set */
		return rc;
	}
	/* the methods table must not offer more than the real file has */
	if (s->real->pMethods->iVersion < 3) {
		s->real->pMethods->xClose(s->real);
		return SQLITE_CANTOPEN;
	}
	s->main_db = (flags & SQLITE_OPEN_MAIN_DB) != 0;
	s->base.pMethods = &scrub_io;
	return SQLITE_OK;
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync)
{
	(void)vfs;
	return real_vfs->xDelete(real_vfs, name, sync);
}

static int v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int v_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *v_dlopen(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return real_vfs->xDlOpen(real_vfs, name);
}

static void v_dlerror(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	real_vfs->xDlError(real_vfs, n, out);
}

static void (*v_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	(void)vfs;
	return real_vfs->xDlSym(real_vfs, h, sym);
}

static void v_dlclose(sqlite3_vfs *vfs, void *h)
{
	(void)vfs;
	real_vfs->xDlClose(real_vfs, h);
}

static int v_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs->xRandomness(real_vfs, n, out);
}

static int v_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return real_vfs->xSleep(real_vfs, us);
}

static int v_current_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return real_vfs->xCurrentTime(real_vfs, out);
}

static int v_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs->xGetLastError(real_vfs, n, out);
}

static int v_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

/* Build the VFS around the default one and register it (once). */
static void scrub_register(void)
{
	static const sqlite3_io_methods io = {
		.iVersion = 3,
		.xClose = x_close, .xRead = x_read, .xWrite = x_write,
		.xTruncate = x_truncate, .xSync = x_sync, .xFileSize = x_file_size,
		.xLock = x_lock, .xUnlock = x_unlock, .xCheckReservedLock = x_check_lock,
		.xFileControl = x_file_control, .xSectorSize = x_sector_size,
		.xDeviceCharacteristics = x_device_chars,
		.xShmMap = x_shm_map, .xShmLock = x_shm_lock, .xShmBarrier = x_shm_barrier,
		.xShmUnmap = x_shm_unmap, .xFetch = x_fetch, .xUnfetch = x_unfetch,
	};

	real_vfs = sqlite3_vfs_find(NULL);
	if (!real_vfs || real_vfs->iVersion < 2)
		return;
	scrub_io = io;
	scrub_vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)sizeof(struct scrub_file) + real_vfs->szOsFile,
		.mxPathname = real_vfs->mxPathname,
		.zName = STORE_SCRUB_VFS,
		.xOpen = v_open, .xDelete = v_delete, .xAccess = v_access,
		.xFullPathname = v_full_pathname, .xDlOpen = v_dlopen,
		.xDlError = v_dlerror, .xDlSym = v_dlsym, .xDlClose = v_dlclose,
		.xRandomness = v_randomness, .xSleep = v_sleep,
		.xCurrentTime = v_current_time, .xGetLastError = v_last_error,
		.xCurrentTimeInt64 = v_current_time64,
	};
	scrub_rc = sqlite3_vfs_register(&scrub_vfs, 0);
}

/* See store.h. */
int store_scrub_vfs_register(void)
{
	pthread_once(&scrub_once, scrub_register);
	return scrub_rc == SQLITE_OK ? 0 : -EIO;
}
