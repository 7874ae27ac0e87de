/*
 * test_sk_crypt.c — SK / SKF payload protection.
 *
 *  McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", test cases
 *  2-4 (AES-128), 8-10 (AES-192), 14-16 (AES-256), through the raw AEAD
 *  helper, with the full and the truncated (RFC 5282: 8 and 12 byte) tags.
 *  RFC 7296 3.14 / RFC 5282 / RFC 7383 2.5: seal/open round trips for every
 *  ENCR x INTEG x key size we support, the exact layout cross-checked with
 *  OpenSSL EVP directly, tamper tests on every byte, truncation, bad
 *  padding, wrong direction, SKF headers, random IVs.
 */
#include <openssl/evp.h>

#include "check.h"
#include "ike_crypto.h"

/* ---- GCM spec vectors ------------------------------------------------------ */

struct gcm_vec {
	int tc;
	const char *k, *p, *a, *iv, *c, *t;
};

#define P64 "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" \
	    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
#define P60 "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" \
	    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
#define AAD "feedfacedeadbeeffeedfacedeadbeefabaddad2"
#define IV96 "cafebabefacedbaddecaf888"
#define K128 "feffe9928665731c6d6a8f9467308308"

static const struct gcm_vec gcm_vecs[] = {
	{ 2, "00000000000000000000000000000000", "00000000000000000000000000000000",
	  "", "000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78",
	  "ab6e47d42cec13bdf53a67b21257bddf" },
	{ 3, K128, P64, "", IV96,
	  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
	  "4d5c2af327cd64a62cf35abd2ba6fab4" },
	{ 4, K128, P60, AAD, IV96,
	  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
	  "5bc94fbc3221a5db94fae95ae7121a47" },
	{ 8, "000000000000000000000000000000000000000000000000",
	  "00000000000000000000000000000000", "", "000000000000000000000000",
	  "98e7247c07f0fe411c267e4384b0f600", "2ff58d80033927ab8ef4d4587514f0fb" },
	{ 9, K128 "feffe9928665731c", P64, "", IV96,
	  "3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c"
	  "7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710acade256",
	  "9924a7c8587336bfb118024db8674a14" },
	{ 10, K128 "feffe9928665731c", P60, AAD, IV96,
	  "3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c"
	  "7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710",
	  "2519498e80f1478f37ba55bd6d27618c" },
	{ 14, "0000000000000000000000000000000000000000000000000000000000000000",
	  "00000000000000000000000000000000", "", "000000000000000000000000",
	  "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919" },
	{ 15, K128 K128, P64, "", IV96,
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
	  "b094dac5d93471bdec1a502270e3cc6c" },
	{ 16, K128 K128, P60, AAD, IV96,
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
	  "76fc6ece0f4e1768cddf8853bb2d551b" },
};

/* GCM spec test cases through ike_aes_gcm_seal/open, tags 16, 12 and 8. */
static void test_gcm_vectors(void)
{
	static const size_t taglens[3] = { 16, 12, 8 };

	for (size_t v = 0; v < sizeof(gcm_vecs) / sizeof(gcm_vecs[0]); v++) {
		const struct gcm_vec *g = &gcm_vecs[v];
		size_t kl, pl, al, nl, cl, tl;
		uint8_t *k = check_unhex(g->k, &kl), *p = check_unhex(g->p, &pl);
		uint8_t *a = check_unhex(g->a, &al), *n = check_unhex(g->iv, &nl);
		uint8_t *c = check_unhex(g->c, &cl), *t = check_unhex(g->t, &tl);
		uint8_t out[64], tag[16], back[64];

		CHECK_INT(nl, 12);
		CHECK_INT(pl, cl);
		for (int ti = 0; ti < 3; ti++) {
			size_t tlen = taglens[ti];

			memset(out, 0, sizeof(out));
			memset(tag, 0, sizeof(tag));
			CHECK_INT(ike_aes_gcm_seal(k, kl, n, a, al, p, pl, out, tag, tlen), 0);
			if (memcmp(out, c, cl) || memcmp(tag, t, tlen))
				fprintf(stderr, "GCM test case %d (tag %zu)\n", g->tc, tlen);
			CHECK_MEM(out, c, cl);
			CHECK_MEM(tag, t, tlen);	/* truncated tag = leftmost bytes */
			CHECK_INT(ike_aes_gcm_open(k, kl, n, a, al, c, cl, back, t, tlen), 0);
			CHECK_MEM(back, p, pl);
			/* a wrong tag is refused and the output wiped */
			tag[tlen - 1] ^= 1;
			CHECK_INT(ike_aes_gcm_open(k, kl, n, a, al, c, cl, back, tag, tlen),
				  -EBADMSG);
			if (pl) {
				uint8_t zero[64] = { 0 };

				CHECK_MEM(back, zero, pl);
			}
		}
		/* in place */
		memcpy(out, p, pl);
		CHECK_INT(ike_aes_gcm_seal(k, kl, n, a, al, out, pl, out, tag, 16), 0);
		CHECK_MEM(out, c, cl);
		free(k); free(p); free(a); free(n); free(c); free(t);
	}
	{
		uint8_t k[16] = { 0 }, n[12] = { 0 }, tag[16];

		CHECK_INT(ike_aes_gcm_seal(k, 15, n, NULL, 0, NULL, 0, NULL, tag, 16), -EINVAL);
		CHECK_INT(ike_aes_gcm_seal(k, 16, n, NULL, 0, NULL, 0, NULL, tag, 4), -EINVAL);
	}
}

/* ---- SK payload --------------------------------------------------------------- */

struct suite {
	uint16_t encr, keylen, integ;
};

static void suite_name(const struct suite *s, char *buf, size_t n)
{
	snprintf(buf, n, "encr %u/%u integ %u", s->encr, s->keylen, s->integ);
}

/* Derive a full key set for a suite from fixed inputs. */
static void make_keys(const struct suite *s, struct ike_sa_keys *k)
{
	uint8_t ni[32], nr[32], g[64], si[8], sr[8];

	for (int i = 0; i < 32; i++) {
		ni[i] = (uint8_t)i;
		nr[i] = (uint8_t)(0x80 + i);
	}
	for (int i = 0; i < 64; i++)
		g[i] = (uint8_t)(i * 3);
	memset(si, 0x11, 8);
	memset(sr, 0x22, 8);
	memset(k, 0, sizeof(*k));
	k->prf = IKE_PRF_HMAC_SHA2_256;
	k->encr = s->encr;
	k->encr_keylen = s->keylen;
	k->integ = s->integ;
	CHECK_INT(ike_derive_ike_keys(k, ni, 32, nr, 32, g, 64, si, sr), 0);
}

/* IKE header (RFC 7296 3.1) + optional 8-byte payload + SK (or SKF) header. */
static size_t start_msg(struct ike_buf *b, bool skf, bool extra, size_t *sk_off)
{
	ike_buf_reset(b);
	ike_buf_put_u64(b, 0x0102030405060708ULL);	/* SPIi */
	ike_buf_put_u64(b, 0x1112131415161718ULL);	/* SPIr */
	ike_buf_put_u8(b, extra ? IKE_PL_VENDOR : (skf ? IKE_PL_SKF : IKE_PL_SK));
	ike_buf_put_u8(b, IKE_VERSION);
	ike_buf_put_u8(b, IKE_AUTH);
	ike_buf_put_u8(b, IKE_FLAG_INITIATOR);
	ike_buf_put_u32(b, 1);				/* message ID */
	ike_buf_put_u32(b, 0);				/* length, patched */
	if (extra) {					/* a Vendor ID payload */
		ike_buf_put_u8(b, skf ? IKE_PL_SKF : IKE_PL_SK);
		ike_buf_put_u8(b, 0);
		ike_buf_put_u16(b, 8);
		ike_buf_put_u32(b, 0xdeadbeef);
	}
	*sk_off = b->len;
	ike_buf_put_u8(b, IKE_PL_IDI);			/* first inner payload */
	ike_buf_put_u8(b, 0);
	ike_buf_put_u16(b, 0);				/* length, patched */
	if (skf) {
		ike_buf_put_u16(b, 1);			/* Fragment Number */
		ike_buf_put_u16(b, 3);			/* Total Fragments */
	}
	return b->len;
}

/* Verify a sealed message with OpenSSL EVP directly (independent of the
 * code under test): IV position, ciphertext, padding, ICV coverage. */
static void independent_check(const struct suite *s, const struct ike_sa_keys *k,
			      const uint8_t *msg, size_t len, size_t body_off,
			      const uint8_t *plain, size_t plen)
{
	size_t ivl = ike_encr_iv_len(s->encr);
	size_t icvl = ike_encr_is_aead(s->encr) ? ike_encr_icv_len(s->encr)
						: ike_integ_icv_len(s->integ);
	size_t ctl = len - body_off - ivl - icvl;
	const uint8_t *iv = msg + body_off, *ct = iv + ivl, *icv = ct + ctl;
	uint8_t dec[256];
	int outl = 0, fl = 0;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

	CHECK(c != NULL);
	CHECK(ctl < sizeof(dec));
	if (!c || ctl >= sizeof(dec))
		return;
	if (ike_encr_is_aead(s->encr)) {
		const EVP_CIPHER *ci = s->keylen == 128 ? EVP_aes_128_gcm() :
				       s->keylen == 192 ? EVP_aes_192_gcm() : EVP_aes_256_gcm();
		uint8_t nonce[12], tag[16];
		size_t kl = s->keylen / 8;

		memcpy(nonce, k->sk_ei.ptr + kl, 4);	/* salt = last 4 bytes */
		memcpy(nonce + 4, iv, 8);
		memcpy(tag, icv, icvl);
		CHECK_INT(EVP_DecryptInit_ex(c, ci, NULL, NULL, NULL), 1);
		CHECK_INT(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL), 1);
		CHECK_INT(EVP_DecryptInit_ex(c, NULL, NULL, k->sk_ei.ptr, nonce), 1);
		CHECK_INT(EVP_DecryptUpdate(c, NULL, &outl, msg, (int)body_off), 1);
		CHECK_INT(EVP_DecryptUpdate(c, dec, &outl, ct, (int)ctl), 1);
		CHECK_INT(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, (int)icvl, tag), 1);
		CHECK_INT(EVP_DecryptFinal_ex(c, dec + outl, &fl), 1);
	} else {
		const EVP_CIPHER *ci = s->encr == IKE_ENCR_3DES ? EVP_des_ede3_cbc() :
				       s->keylen == 128 ? EVP_aes_128_cbc() :
				       s->keylen == 192 ? EVP_aes_192_cbc() : EVP_aes_256_cbc();
		const char *md = NULL;

		switch (s->integ) {
		case IKE_INTEG_HMAC_SHA1_96: md = "SHA1"; break;
		case IKE_INTEG_HMAC_SHA2_256_128: md = "SHA2-256"; break;
		case IKE_INTEG_HMAC_SHA2_384_192: md = "SHA2-384"; break;
		case IKE_INTEG_HMAC_SHA2_512_256: md = "SHA2-512"; break;
		default: break;	/* XCBC / CMAC: covered by their RFC vectors */
		}
		if (md) {
			uint8_t mac[64];
			size_t ml = 0;

			CHECK(EVP_Q_mac(NULL, "HMAC", NULL, md, NULL, k->sk_ai.ptr,
					k->sk_ai.len, msg, len - icvl, mac, sizeof(mac),
					&ml) != NULL);
			CHECK_MEM(mac, icv, icvl);
		}
		CHECK_INT(EVP_DecryptInit_ex(c, ci, NULL, k->sk_ei.ptr, iv), 1);
		CHECK_INT(EVP_CIPHER_CTX_set_padding(c, 0), 1);
		CHECK_INT(EVP_DecryptUpdate(c, dec, &outl, ct, (int)ctl), 1);
		CHECK_INT(ctl % ike_encr_block_len(s->encr), 0);
	}
	EVP_CIPHER_CTX_free(c);
	/* plain | padding | pad length, minimal padding */
	CHECK_INT(dec[ctl - 1], ctl - 1 - plen);
	CHECK(ctl - 1 - plen < ike_encr_block_len(s->encr));
	CHECK_MEM(dec, plain, plen);
}

/* Every byte flip, every truncation, and the wrong direction fail. */
static void tamper_checks(const struct ike_sa_keys *k, uint8_t *msg, size_t len,
			  size_t body_off)
{
	uint8_t out[512];
	size_t pl;
	int bad = 0;

	for (size_t i = 0; i < len; i++) {
		msg[i] ^= 0x01;
		if (ike_sk_open(k, true, msg, len, body_off, out, sizeof(out), &pl) != -EBADMSG)
			bad++;
		msg[i] ^= 0x01;
		msg[i] ^= 0x80;
		if (ike_sk_open(k, true, msg, len, body_off, out, sizeof(out), &pl) != -EBADMSG)
			bad++;
		msg[i] ^= 0x80;
	}
	CHECK_INT(bad, 0);
	for (size_t l = 0; l < len; l++)
		if (ike_sk_open(k, true, msg, l, body_off, out, sizeof(out), &pl) != -EBADMSG)
			bad++;
	CHECK_INT(bad, 0);
	/* body_off beyond the message, or pointing elsewhere */
	CHECK_INT(ike_sk_open(k, true, msg, len, len + 1, out, sizeof(out), &pl), -EBADMSG);
	CHECK_INT(ike_sk_open(k, true, msg, len, body_off + 1, out, sizeof(out), &pl),
		  -EBADMSG);
	CHECK_INT(ike_sk_open(k, true, msg, len, 8, out, sizeof(out), &pl), -EBADMSG);
	/* SK_er / SK_ar instead of SK_ei / SK_ai */
	CHECK_INT(ike_sk_open(k, false, msg, len, body_off, out, sizeof(out), &pl), -EBADMSG);
	/* untouched message still opens */
	CHECK_INT(ike_sk_open(k, true, msg, len, body_off, out, sizeof(out), &pl), 0);
}

static const size_t plens[] = { 0, 1, 7, 8, 15, 16, 17, 31, 100 };

/* Round trips and negative tests for one suite. */
static void test_suite(const struct suite *s)
{
	struct ike_sa_keys k;
	struct ike_buf b;
	uint8_t plain[100], out[512], iv[16];
	char name[64];
	size_t sk_off, body_off, pl;
	int before = check_failures;

	suite_name(s, name, sizeof(name));
	make_keys(s, &k);
	ike_buf_init(&b);
	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)(0x41 + i);
	for (size_t i = 0; i < sizeof(iv); i++)
		iv[i] = (uint8_t)(0xf0 + i);

	for (size_t pi = 0; pi < sizeof(plens) / sizeof(plens[0]); pi++) {
		for (int variant = 0; variant < 4; variant++) {
			bool skf = variant & 1, extra = variant & 2;
			size_t p = plens[pi];

			body_off = start_msg(&b, skf, extra, &sk_off);
			CHECK_INT(ike_sk_seal(&k, true, &b, sk_off, plain, p, iv), 0);
			CHECK_INT(b.len - body_off, ike_sk_overhead(&k, p));
			/* lengths patched: IKE header and SK payload */
			CHECK_INT(ike_get_u32(b.data + 24), b.len);
			CHECK_INT(ike_get_u16(b.data + sk_off + 2), b.len - sk_off);
			CHECK_MEM(b.data + body_off, iv, ike_encr_iv_len(s->encr));
			independent_check(s, &k, b.data, b.len, body_off, plain, p);
			memset(out, 0xee, sizeof(out));
			CHECK_INT(ike_sk_open(&k, true, b.data, b.len, body_off, out,
					      sizeof(out), &pl), 0);
			CHECK_INT(pl, p);
			CHECK_MEM(out, plain, p);
			if (pi == 4 || (pi == 1 && variant == 3))
				tamper_checks(&k, b.data, b.len, body_off);
			/* the responder's direction */
			body_off = start_msg(&b, skf, extra, &sk_off);
			CHECK_INT(ike_sk_seal(&k, false, &b, sk_off, plain, p, NULL), 0);
			CHECK_INT(ike_sk_open(&k, false, b.data, b.len, body_off, out,
					      sizeof(out), &pl), 0);
			CHECK_INT(pl, p);
			CHECK_MEM(out, plain, p);
			CHECK_INT(ike_sk_open(&k, true, b.data, b.len, body_off, out,
					      sizeof(out), &pl), -EBADMSG);
		}
	}

	/* output capacity: ciphertext length is needed */
	body_off = start_msg(&b, false, false, &sk_off);
	CHECK_INT(ike_sk_seal(&k, true, &b, sk_off, plain, 20, iv), 0);
	CHECK_INT(ike_sk_open(&k, true, b.data, b.len, body_off, out, 20, &pl), -EINVAL);
	CHECK_INT(ike_sk_open(&k, true, b.data, b.len, body_off, out,
			      b.len - body_off, &pl), 0);

	/* random IVs differ between two seals of the same plaintext */
	{
		uint8_t first[16];
		size_t ivl = ike_encr_iv_len(s->encr);

		body_off = start_msg(&b, false, false, &sk_off);
		CHECK_INT(ike_sk_seal(&k, true, &b, sk_off, plain, 20, NULL), 0);
		memcpy(first, b.data + body_off, ivl);
		body_off = start_msg(&b, false, false, &sk_off);
		CHECK_INT(ike_sk_seal(&k, true, &b, sk_off, plain, 20, NULL), 0);
		CHECK(memcmp(first, b.data + body_off, ivl) != 0);
	}

	/* bad arguments to seal leave the buffer as it was */
	body_off = start_msg(&b, false, false, &sk_off);
	CHECK_INT(ike_sk_seal(&k, true, &b, 10, plain, 20, iv), -EINVAL);
	CHECK_INT(ike_sk_seal(&k, true, &b, body_off - 2, plain, 20, iv), -EINVAL);
	CHECK_INT(b.len, body_off);
	/* a message that would exceed the buffer limit */
	b.limit = body_off + 20;
	CHECK_INT(ike_sk_seal(&k, true, &b, sk_off, plain, 20, iv), -EMSGSIZE);
	b.limit = 0;

	ike_buf_free(&b);
	ike_sa_keys_free(&k);
	if (check_failures != before)
		fprintf(stderr, "  ^ suite %s\n", name);
}

/* RFC 7296 3.14 padding rules on receipt, with ICV-valid messages built by
 * hand: pad length may equal the rest of the ciphertext, never exceed it;
 * any padding content is accepted. */
static void test_padding(void)
{
	static const struct suite cbc = { IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128 };
	static const struct suite gcm = { IKE_ENCR_AES_GCM_16, 256, IKE_INTEG_NONE };
	struct ike_sa_keys k;
	struct ike_buf b;
	uint8_t out[128], iv[16] = { 9 };
	size_t sk_off, body_off, pl;

	ike_buf_init(&b);
	/* CBC: encrypt a crafted last block with EVP and MAC it properly */
	make_keys(&cbc, &k);
	for (int padlen = 0; padlen < 40; padlen++) {
		uint8_t pt[32], *ct;
		struct ike_chunk ch;
		int outl;
		EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

		for (int i = 0; i < 32; i++)
			pt[i] = (uint8_t)(0xc0 ^ i);	/* arbitrary padding bytes */
		pt[31] = (uint8_t)padlen;
		body_off = start_msg(&b, false, false, &sk_off);
		ike_buf_put(&b, iv, 16);
		ct = ike_buf_reserve(&b, 32);
		CHECK(c != NULL && ct != NULL);
		if (!c || !ct)
			break;
		CHECK_INT(EVP_EncryptInit_ex(c, EVP_aes_128_cbc(), NULL, k.sk_ei.ptr, iv), 1);
		CHECK_INT(EVP_CIPHER_CTX_set_padding(c, 0), 1);
		CHECK_INT(EVP_EncryptUpdate(c, ct, &outl, pt, 32), 1);
		EVP_CIPHER_CTX_free(c);
		CHECK(ike_buf_reserve(&b, 16) != NULL);
		ike_buf_set_u32(&b, 24, (uint32_t)b.len);
		ike_buf_set_u16(&b, sk_off + 2, (uint16_t)(b.len - sk_off));
		ch.ptr = b.data;
		ch.len = b.len - 16;
		CHECK_INT(ike_integ_mac(IKE_INTEG_HMAC_SHA2_256_128, k.sk_ai.ptr,
					k.sk_ai.len, &ch, 1, b.data + b.len - 16), 0);
		if (padlen <= 31) {
			CHECK_INT(ike_sk_open(&k, true, b.data, b.len, body_off, out,
					      sizeof(out), &pl), 0);
			CHECK_INT(pl, 31 - padlen);
			CHECK_MEM(out, pt, pl);
		} else {
			CHECK_INT(ike_sk_open(&k, true, b.data, b.len, body_off, out,
					      sizeof(out), &pl), -EBADMSG);
			CHECK_INT(pl, 0);
		}
	}
	ike_sa_keys_free(&k);

	/* GCM: the AEAD helper with salt | IV nonce and msg[0..body_off) AAD */
	make_keys(&gcm, &k);
	for (int padlen = 0; padlen < 12; padlen++) {
		uint8_t pt[10], nonce[12], *ct;

		memset(pt, 0x5a, sizeof(pt));
		pt[9] = (uint8_t)padlen;
		body_off = start_msg(&b, false, false, &sk_off);
		ike_buf_put(&b, iv, 8);
		CHECK(ike_buf_reserve(&b, 10 + 16) != NULL);
		ike_buf_set_u32(&b, 24, (uint32_t)b.len);
		ike_buf_set_u16(&b, sk_off + 2, (uint16_t)(b.len - sk_off));
		memcpy(nonce, k.sk_ei.ptr + 32, 4);
		memcpy(nonce + 4, iv, 8);
		ct = b.data + body_off + 8;
		CHECK_INT(ike_aes_gcm_seal(k.sk_ei.ptr, 32, nonce, b.data, body_off,
					   pt, 10, ct, ct + 10, 16), 0);
		CHECK_INT(ike_sk_open(&k, true, b.data, b.len, body_off, out,
				      sizeof(out), &pl), padlen <= 9 ? 0 : -EBADMSG);
		if (padlen <= 9)
			CHECK_INT(pl, 9 - padlen);
	}
	ike_sa_keys_free(&k);
	ike_buf_free(&b);
}

/* Algorithm facts (RFC 3602, RFC 2451, RFC 5282 section 7.1). */
static void test_facts(void)
{
	CHECK_INT(ike_encr_keymat_len(IKE_ENCR_AES_CBC, 128), 16);
	CHECK_INT(ike_encr_keymat_len(IKE_ENCR_AES_CBC, 256), 32);
	CHECK_INT(ike_encr_keymat_len(IKE_ENCR_AES_CBC, 0), 0);
	CHECK_INT(ike_encr_keymat_len(IKE_ENCR_AES_GCM_16, 128), 20);
	CHECK_INT(ike_encr_keymat_len(IKE_ENCR_AES_GCM_8, 192), 28);
	CHECK_INT(ike_encr_keymat_len(IKE_ENCR_AES_GCM_12, 256), 36);
	CHECK_INT(ike_encr_keymat_len(IKE_ENCR_3DES, 0), 24);
	CHECK_INT(ike_encr_keymat_len(IKE_ENCR_DES, 0), 0);
	CHECK_INT(ike_encr_iv_len(IKE_ENCR_AES_CBC), 16);
	CHECK_INT(ike_encr_iv_len(IKE_ENCR_3DES), 8);
	CHECK_INT(ike_encr_iv_len(IKE_ENCR_AES_GCM_12), 8);
	CHECK_INT(ike_encr_icv_len(IKE_ENCR_AES_GCM_8), 8);
	CHECK_INT(ike_encr_icv_len(IKE_ENCR_AES_GCM_12), 12);
	CHECK_INT(ike_encr_icv_len(IKE_ENCR_AES_GCM_16), 16);
	CHECK_INT(ike_encr_icv_len(IKE_ENCR_AES_CBC), 0);
	CHECK(ike_encr_is_aead(IKE_ENCR_AES_GCM_16));
	CHECK(!ike_encr_is_aead(IKE_ENCR_AES_CBC));
	CHECK_INT(ike_encr_block_len(IKE_ENCR_AES_CBC), 16);
	CHECK_INT(ike_encr_block_len(IKE_ENCR_3DES), 8);
	CHECK_INT(ike_encr_block_len(IKE_ENCR_AES_GCM_16), 1);
}

int main(void)
{
	static const uint16_t integs[] = {
		IKE_INTEG_HMAC_SHA1_96, IKE_INTEG_HMAC_SHA2_256_128,
		IKE_INTEG_HMAC_SHA2_384_192, IKE_INTEG_HMAC_SHA2_512_256,
		IKE_INTEG_AES_XCBC_96, IKE_INTEG_AES_CMAC_96,
	};
	static const uint16_t gcms[] = {
		IKE_ENCR_AES_GCM_8, IKE_ENCR_AES_GCM_12, IKE_ENCR_AES_GCM_16,
	};
	static const uint16_t sizes[] = { 128, 192, 256 };
	int suites = 0;

	CHECK_INT(ike_init(), 0);
	test_facts();
	test_gcm_vectors();
	for (size_t i = 0; i < sizeof(integs) / sizeof(integs[0]); i++) {
		for (size_t j = 0; j < 3; j++) {
			struct suite s = { IKE_ENCR_AES_CBC, sizes[j], integs[i] };

			test_suite(&s);
			suites++;
		}
		{
			struct suite s = { IKE_ENCR_3DES, 0, integs[i] };

			test_suite(&s);
			suites++;
		}
	}
	for (size_t i = 0; i < 3; i++) {
		for (size_t j = 0; j < 3; j++) {
			struct suite s = { gcms[i], sizes[j], IKE_INTEG_NONE };

			test_suite(&s);
			suites++;
		}
	}
	CHECK_INT(suites, 6 * 4 + 9);
	test_padding();
	return check_done("sk_crypt");
}
