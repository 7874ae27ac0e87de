/*
 * fuzz_sk_decrypt.c — ike_sk_open on attacker-controlled messages.
 *
 * Input: byte 0 selects the case, the rest is a whole IKE message.
 *   bits 0-2  key suite (table below; keys derived once from fixed inputs)
 *   bit 6     SKF layout: body_off = 28 + 8 (fragment fields), else 28 + 4
 *   bit 7     direction: set = sent by the responder (SK_er / SK_ar)
 * A message that opens must round-trip through ike_sk_seal/ike_sk_open.
 *
 * Built with -DSK_DECRYPT_GEN_MAIN this file is instead the generator of the
 * seed corpus:  fuzz_sk_decrypt_gen DIR  writes valid sealed messages for
 * every suite plus edge cases (see gen_main).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike_crypto.h"

struct fz_suite {
	uint16_t prf, encr, keylen, integ;
};

static const struct fz_suite fz_suites[8] = {
	{ IKE_PRF_HMAC_SHA2_256, IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128 },
	{ IKE_PRF_HMAC_SHA2_256, IKE_ENCR_AES_GCM_16, 256, IKE_INTEG_NONE },
	{ IKE_PRF_HMAC_SHA1, IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA1_96 },
	{ IKE_PRF_AES128_XCBC, IKE_ENCR_AES_GCM_8, 128, IKE_INTEG_NONE },
	{ IKE_PRF_HMAC_SHA1, IKE_ENCR_3DES, 0, IKE_INTEG_HMAC_SHA1_96 },
	{ IKE_PRF_AES128_CMAC, IKE_ENCR_AES_CBC, 128, IKE_INTEG_AES_XCBC_96 },
	{ IKE_PRF_HMAC_SHA2_384, IKE_ENCR_AES_GCM_12, 192, IKE_INTEG_NONE },
	{ IKE_PRF_HMAC_SHA2_512, IKE_ENCR_AES_CBC, 192, IKE_INTEG_HMAC_SHA2_512_256 },
};

static struct ike_sa_keys fz_keys[8];
static int fz_ready;

/* Derive the eight key sets once (fixed nonces, shared secret and SPIs). */
static void fz_setup(void)
{
	uint8_t ni[32], nr[32], g[64], si[8], sr[8];

	if (ike_init() < 0)
		abort();
	for (int i = 0; i < 32; i++) {
		ni[i] = (uint8_t)(0x10 + i);
		nr[i] = (uint8_t)(0x90 + i);
	}
	for (int i = 0; i < 64; i++)
		g[i] = (uint8_t)(i * 5 + 1);
	memset(si, 0xa5, sizeof(si));
	memset(sr, 0x5a, sizeof(sr));
	for (int s = 0; s < 8; s++) {
		fz_keys[s].prf = fz_suites[s].prf;
		fz_keys[s].encr = fz_suites[s].encr;
		fz_keys[s].encr_keylen = fz_suites[s].keylen;
		fz_keys[s].integ = fz_suites[s].integ;
		if (ike_derive_ike_keys(&fz_keys[s], ni, 32, nr, 32, g, 64, si, sr) < 0)
			abort();
	}
	fz_ready = 1;
}

/* Body offset for the layout selected by the first byte. */
static size_t fz_body_off(uint8_t sel)
{
	return IKE_HDR_LEN + IKE_GENERIC_HDR_LEN + ((sel & 0x40) ? 4 : 0);
}

/* Re-seal what was opened and open it again: it must give the same bytes. */
static void fz_roundtrip(const struct ike_sa_keys *k, bool init,
			 const uint8_t *msg, size_t body_off,
			 const uint8_t *plain, size_t plen)
{
	struct ike_buf b;
	uint8_t *back;
	size_t blen = 0;

	ike_buf_init(&b);
	ike_buf_put(&b, msg, body_off);
	if (ike_sk_seal(k, init, &b, IKE_HDR_LEN, plain, plen, NULL) < 0)
		abort();
	back = malloc(b.len);
	if (!back)
		abort();
	if (ike_sk_open(k, init, b.data, b.len, body_off, back, b.len, &blen) < 0 ||
	    blen != plen || (plen && memcmp(back, plain, plen) != 0))
		abort();
	free(back);
	ike_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ike_sa_keys *k;
	const uint8_t *msg;
	uint8_t *plain, sel;
	size_t len, plen = 0, body_off;
	bool init;
	int r;

	if (!fz_ready)
		fz_setup();
	if (size < 1)
		return 0;
	sel = data[0];
	msg = data + 1;
	len = size - 1;
	k = &fz_keys[sel & 7];
	init = !(sel & 0x80);
	body_off = fz_body_off(sel);
	/* exact-size heap copy so ASan sees any read past the message */
	plain = malloc(len ? len : 1);
	if (!plain)
		abort();
	r = ike_sk_open(k, init, msg, len, body_off, plain, len, &plen);
	if (r == 0) {
		if (plen > len)
			abort();
		if (len <= IKE_MAX_MSG_LEN - 64)
			fz_roundtrip(k, init, msg, body_off, plain, plen);
	} else if (r != -EBADMSG) {
		abort();	/* only integrity/format errors are possible */
	}
	free(plain);
	return 0;
}

#ifdef SK_DECRYPT_GEN_MAIN
/* Write one seed file: selector byte then message. */
static void gen_write(const char *dir, const char *name, uint8_t sel,
		      const uint8_t *msg, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(&sel, 1, 1, f) != 1 ||
	    (len && fwrite(msg, 1, len, f) != len) || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Build and seal one message for suite s / selector sel. */
static void gen_seal(struct ike_buf *b, uint8_t sel, size_t plen)
{
	uint8_t plain[64], iv[16];
	bool skf = sel & 0x40;

	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)(0x21 + i);
	for (size_t i = 0; i < sizeof(iv); i++)
		iv[i] = (uint8_t)(0x71 * (i + 1) + sel);
	/* a realistic-looking IDi payload at the start of the plaintext */
	plain[0] = IKE_PL_AUTH;
	plain[1] = 0;
	plain[2] = 0;
	plain[3] = 12;
	plain[4] = IKE_ID_FQDN;
	ike_buf_reset(b);
	ike_buf_put_u64(b, 0xa5a5a5a5a5a5a5a5ULL);
	ike_buf_put_u64(b, 0x5a5a5a5a5a5a5a5aULL);
	ike_buf_put_u8(b, skf ? IKE_PL_SKF : IKE_PL_SK);
	ike_buf_put_u8(b, IKE_VERSION);
	ike_buf_put_u8(b, IKE_AUTH);
	ike_buf_put_u8(b, (sel & 0x80) ? IKE_FLAG_RESPONSE : IKE_FLAG_INITIATOR);
	ike_buf_put_u32(b, 1);
	ike_buf_put_u32(b, 0);
	ike_buf_put_u8(b, IKE_PL_IDI);
	ike_buf_put_u8(b, 0);
	ike_buf_put_u16(b, 0);
	if (skf) {
		ike_buf_put_u16(b, 1);
		ike_buf_put_u16(b, 2);
	}
	if (ike_sk_seal(&fz_keys[sel & 7], !(sel & 0x80), b, IKE_HDR_LEN, plain,
			plen, iv) < 0)
		abort();
}

int main(int argc, char **argv)
{
	static const size_t lens[3] = { 12, 0, 45 };
	struct ike_buf b;
	char name[64];

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	fz_setup();
	ike_buf_init(&b);
	for (int s = 0; s < 8; s++) {
		for (int v = 0; v < 3; v++) {
			/* v0: initiator SK, v1: responder SKF, v2: responder SK */
			uint8_t sel = (uint8_t)(s | (v == 1 ? 0x40 : 0) | (v ? 0x80 : 0));

			gen_seal(&b, sel, lens[v]);
			snprintf(name, sizeof(name), "valid-s%d-%s-%s-%zu", s,
				 v ? "resp" : "init", v == 1 ? "skf" : "sk", lens[v]);
			gen_write(argv[1], name, sel, b.data, b.len);
		}
	}
	/* edge cases: nothing after the selector, header only, truncated by
	 * one byte, last ICV byte flipped, wrong direction bit */
	gen_write(argv[1], "edge-empty", 0, NULL, 0);
	gen_seal(&b, 0x00, 12);
	gen_write(argv[1], "edge-header-only", 0x00, b.data, IKE_HDR_LEN + 4);
	gen_write(argv[1], "edge-truncated", 0x00, b.data, b.len - 1);
	b.data[b.len - 1] ^= 0x01;
	gen_write(argv[1], "edge-bad-icv", 0x00, b.data, b.len);
	gen_seal(&b, 0x01, 12);
	gen_write(argv[1], "edge-wrong-direction", 0x81, b.data, b.len);
	gen_seal(&b, 0x04, 0);
	gen_write(argv[1], "edge-3des-iv-only", 0x04, b.data, IKE_HDR_LEN + 4 + 8);
	ike_buf_free(&b);
	for (int s = 0; s < 8; s++)
		ike_sa_keys_free(&fz_keys[s]);
	return 0;
}
#endif
