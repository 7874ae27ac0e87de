/*
 * fuzz_store_scrub.c — libFuzzer target for daemon/store_scrub.c's page
 * scrubber (store_scrub_page), which reads the structure of every page
 * logs.db's writer sends to the file: a damaged database can put any bytes
 * there.  Input: 1 byte page-size selector (512..4096), 1 byte flags
 * (auto-vacuum, page 1), 2 bytes page number, then the page (short input is
 * zero-padded).  Invariants: no crash or out-of-bounds access; the scrubber
 * only turns bytes into zeros, reports exactly how many it changed, never
 * touches the page header, and a second pass changes nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One input: scrub, then check the invariants above; 0 always. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t page[4096], orig[4096], hdr[100];
	size_t ps, changed = 0, n;
	uint32_t pgno;
	bool page1;

	if (size < 4)
		return 0;
	ps = (size_t)512 << (data[0] % 4);
	page1 = data[1] & 2;
	pgno = page1 ? 1 : (uint32_t)(data[2] << 8 | data[3]);
	memset(page, 0, sizeof(page));
	memcpy(page, data + 4, size - 4 < ps ? size - 4 : ps);
	/* a valid header, so the page itself is what is exercised */
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, "SQLite format 3", 16);
	hdr[16] = (uint8_t)(ps >> 8);
	hdr[17] = (uint8_t)ps;
	hdr[31] = 100;
	if (data[1] & 1)
		hdr[55] = 3;	/* auto-vacuum */
	if (page1)
		memcpy(page, hdr, sizeof(hdr));
	memcpy(orig, page, ps);
	n = store_scrub_page(page, ps, pgno, hdr);
	for (size_t i = 0; i < ps; i++) {
		if (page[i] == orig[i])
			continue;
		if (page[i] != 0)
			abort();	/* only zeros are written */
		changed++;
	}
	if (changed != n)
		abort();
	if (memcmp(page, orig, page1 ? 108 : 8))
		abort();	/* headers are never touched */
	if (store_scrub_page(page, ps, pgno, hdr) != 0)
		abort();	/* idempotent */
	return 0;
}
