/*
 * fuzz_bundle.c — libFuzzer target for the log bundle reader behind
 * `rag-ctl log verify` (cli/log_bundle.c bundle_verify_mem): any byte string
 * as a .tar.gz must give a bounded report, never a crash, leak or
 * out-of-bounds access; a result of 0 ("valid") must come with the OK line
 * and nothing else.  The public key is the one that signed the seed bundles
 * (tests/fuzz/corpus/bundle/valid*.tar.gz), so the signature-valid path is
 * reached by the seeds; members are capped at 1 MiB so gzip bombs end fast.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log_bundle.h"
#include "logsign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEED_PUB "MCowBQYDK2VwAyEABUpUm7QTcjDiX4Ky3DYev1j+ifYDrgw3WYAOTMyOR5c="

struct seen {
	int lines, ok;
};

static void rep(void *arg, const char *line)
{
	struct seen *s = arg;

	if (strlen(line) >= 512)
		abort();	/* reports are bounded */
	s->lines++;
	s->ok += !strncmp(line, "OK: ", 4);
}

/* One input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pk[LOGSIGN_PK_LEN];
	static int init;
	struct seen s = { 0, 0 };
	int r;

	if (!init) {
		if (sodium_init() < 0 || logsign_pub_parse(SEED_PUB, strlen(SEED_PUB), pk) < 0)
			abort();
		init = 1;
	}
	r = bundle_verify_mem(data, size, pk, 1u << 20, rep, &s);
	if (r == 0 && (s.ok != 1 || s.lines != 1))
		abort();
	if (r > 0 && (s.ok != 0 || s.lines != r))
		abort();
	return 0;
}
