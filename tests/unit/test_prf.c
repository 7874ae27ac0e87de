/*
 * test_prf.c — PRFs, MAC primitives and prf+.
 *
 *  RFC 2202 section 3   HMAC-SHA-1 test cases 1-7 (case 5 also as -96)
 *  RFC 4231 section 4   HMAC-SHA-256/384/512 test cases 1-7 (case 5 is
 *                       truncated to 128 bits; 6 and 7 use 131-byte keys)
 *  RFC 3566 section 4   AES-XCBC-MAC-96 test cases 1-7
 *  RFC 4434 section 4   AES-XCBC-PRF-128 with 16-, 10- and 18-byte keys
 *  RFC 4493 section 4   AES-CMAC examples 1-4
 *  RFC 4615 section 4   AES-CMAC-PRF-128 with 18-, 16- and 10-byte keys
 *  RFC 7296 section 2.13 prf+: no published vector exists; the expected
 *                       bytes were computed at test-authoring time by an
 *                       independent python3 implementation (hmac/hashlib
 *                       and pyca/cryptography AES, XCBC written from RFC 3566),
 *                       itself checked against the RFC 4434/4615/3566 vectors.
 */
#include "check.h"
#include "ike_crypto.h"

static const char *const data_4231[7] = {
	"Hi There",
	"what do ya want for nothing?",
	NULL,	/* 50 x 0xdd */
	NULL,	/* 50 x 0xcd */
	"Test With Truncation",
	"Test Using Larger Than Block-Size Key - Hash Key First",
	"This is a test using a larger than block-size key and a larger than "
	"block-size data. The key needs to be hashed before being used by the "
	"HMAC algorithm.",
};

/* RFC 4231 section 4.2-4.8 outputs (case 5: first 128 bits only) */
static const char *const want_4231[3][7] = {
	{	/* HMAC-SHA-256 */
		"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
		"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
		"773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
		"82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
		"a3b6167473100ee06e0c796c2955552b",
		"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
		"9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
	},
	{	/* HMAC-SHA-384 */
		"afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
		"faea9ea9076ede7f4af152e8b2fa9cb6",
		"af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
		"8e2240ca5e69e2c78b3239ecfab21649",
		"88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b"
		"2a5ab39dc13814b94e3ab6e101a34f27",
		"3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e"
		"6801dd23c4a7d679ccf8a386c674cffb",
		"3abf34c3503b2a23a46efc619baef897",
		"4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
		"0c2ef6ab4030fe8296248df163f44952",
		"6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5"
		"a678cc31e799176d3860e6110c46523e",
	},
	{	/* HMAC-SHA-512 */
		"87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
		"daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
		"164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
		"9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
		"fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
		"bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb",
		"b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
		"a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd",
		"415fad6271580a531d4179bc891d87a6",
		"80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
		"6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
		"e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
		"b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58",
	},
};

/* Fill key/data of RFC 4231 (and, with sha1 set, RFC 2202) case i (0-based). */
static void hmac_case(int i, bool sha1, uint8_t *key, size_t *klen,
		      uint8_t *data, size_t *dlen)
{
	switch (i) {
	case 0: memset(key, 0x0b, 20); *klen = 20; break;
	case 1: memcpy(key, "Jefe", 4); *klen = 4; break;
	case 2: memset(key, 0xaa, 20); *klen = 20; break;
	case 3: for (int j = 0; j < 25; j++) key[j] = (uint8_t)(j + 1);
		*klen = 25; break;
	case 4: memset(key, 0x0c, 20); *klen = 20; break;
	default: *klen = sha1 ? 80 : 131; memset(key, 0xaa, *klen); break;
	}
	if (i == 2 || i == 3) {
		memset(data, i == 2 ? 0xdd : 0xcd, 50);
		*dlen = 50;
		return;
	}
	if (sha1 && i == 6) {
		static const char d7[] = "Test Using Larger Than Block-Size Key and "
					 "Larger Than One Block-Size Data";
		memcpy(data, d7, strlen(d7));
		*dlen = strlen(d7);
		return;
	}
	*dlen = strlen(data_4231[i]);
	memcpy(data, data_4231[i], *dlen);
}

/* RFC 4231 cases 1-7 through ike_prf for SHA2-256/384/512. */
static void test_rfc4231(void)
{
	static const uint16_t prfs[3] = {
		IKE_PRF_HMAC_SHA2_256, IKE_PRF_HMAC_SHA2_384, IKE_PRF_HMAC_SHA2_512
	};

	for (int a = 0; a < 3; a++) {
		for (int i = 0; i < 7; i++) {
			uint8_t key[131], data[200], out[64];
			size_t klen, dlen, wlen;
			uint8_t *want = check_unhex(want_4231[a][i], &wlen);

			hmac_case(i, false, key, &klen, data, &dlen);
			memset(out, 0, sizeof(out));
			CHECK_INT(ike_prf(prfs[a], key, klen, data, dlen, out), 0);
			CHECK_MEM(out, want, wlen);
			free(want);
		}
	}
}

/* RFC 2202 section 3 HMAC-SHA-1 cases 1-7; case 5 also as HMAC-SHA1-96. */
static void test_rfc2202(void)
{
	static const char *const want[7] = {
		"b617318655057264e28bc0b6fb378c8ef146be00",
		"effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
		"125d7342b9ac11cd91a39af48aa17b4f63f175d3",
		"4c9007f4026250c6bc8414f9bf50c86c2d7235da",
		"4c1a03424b55e07fe7f27be1d58bb9324a9a5a04",
		"aa4ae5e15272d00e95705637ce8a3b55ed402112",
		"e8e99d0f45237d786d6bbaa7965c7808bbff1a91",
	};
	uint8_t key[131], data[200], out[64], icv[12];
	size_t klen, dlen, wlen;

	for (int i = 0; i < 7; i++) {
		uint8_t *w = check_unhex(want[i], &wlen);

		hmac_case(i, true, key, &klen, data, &dlen);
		CHECK_INT(ike_prf(IKE_PRF_HMAC_SHA1, key, klen, data, dlen, out), 0);
		CHECK_INT(wlen, 20);
		CHECK_MEM(out, w, 20);
		free(w);
	}
	/* case 5, "digest-96 = 0x4c1a03424b55e07fe7f27be1" */
	hmac_case(4, true, key, &klen, data, &dlen);
	{
		struct ike_chunk c = { data, dlen };
		static const uint8_t w96[12] = { 0x4c, 0x1a, 0x03, 0x42, 0x4b, 0x55,
						 0xe0, 0x7f, 0xe7, 0xf2, 0x7b, 0xe1 };

		CHECK_INT(ike_integ_mac(IKE_INTEG_HMAC_SHA1_96, key, klen, &c, 1, icv), 0);
		CHECK_MEM(icv, w96, 12);
		/* wrong key length for the transform is refused */
		CHECK_INT(ike_integ_mac(IKE_INTEG_HMAC_SHA1_96, key, 19, &c, 1, icv),
			  -EINVAL);
	}
}

/* RFC 3566 section 4 AES-XCBC-MAC-96 cases 1-7 (full MAC and -96). */
static void test_rfc3566(void)
{
	static const size_t mlen[7] = { 0, 3, 16, 20, 32, 34, 1000 };
	static const char *const want[7] = {
		"75f0251d528ac01c4573dfd584d79f29",
		"5b376580ae2f19afe7219ceef172756f",
		"d2a246fa349b68a79998a4394ff7a263",
		"47f51b4564966215b8985c63055ed308",
		"f54f0ec8d2b9f3d36807734bd5283fd4",
		"becbb3bccdb518a30677d5481fb6b4d8",
		"f0dafee895db30253761103b5d84528f",
	};
	uint8_t key[16], msg[1000], out[16], icv[12];

	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int t = 0; t < 7; t++) {
		size_t wlen;
		uint8_t *w = check_unhex(want[t], &wlen);
		struct ike_chunk c = { msg, mlen[t] };

		for (size_t i = 0; i < mlen[t]; i++)
			msg[i] = t == 6 ? 0 : (uint8_t)i;	/* case 7: zeros */
		CHECK_INT(ike_aes_xcbc_mac(key, &c, 1, out), 0);
		CHECK_MEM(out, w, 16);
		CHECK_INT(ike_integ_mac(IKE_INTEG_AES_XCBC_96, key, 16, &c, 1, icv), 0);
		CHECK_MEM(icv, w, 12);
		/* the same message split at every point gives the same MAC */
		for (size_t s = 0; t != 6 && s <= mlen[t]; s++) {
			struct ike_chunk parts[3] = {
				{ msg, s }, { msg + s, 0 }, { msg + s, mlen[t] - s }
			};

			memset(out, 0, sizeof(out));
			CHECK_INT(ike_aes_xcbc_mac(key, parts, 3, out), 0);
			CHECK_MEM(out, w, 16);
		}
		free(w);
	}
}

/* RFC 4434 section 4 (the 3 vectors with 16-, 10-, 18-byte keys). */
static void test_rfc4434(void)
{
	static const struct { const char *key, *out; } v[3] = {
		{ "000102030405060708090a0b0c0d0e0f", "47f51b4564966215b8985c63055ed308" },
		{ "00010203040506070809", "0fa087af7d866e7653434e602fdde835" },
		{ "000102030405060708090a0b0c0d0e0fedcb", "8cd3c93ae598a9803006ffb67c40e9e4" },
	};
	uint8_t msg[20], out[16];

	for (int i = 0; i < 20; i++)
		msg[i] = (uint8_t)i;
	CHECK_INT(ike_prf_len(IKE_PRF_AES128_XCBC), 16);
	CHECK_INT(ike_prf_keylen(IKE_PRF_AES128_XCBC), 16);
	for (int t = 0; t < 3; t++) {
		size_t klen, wlen;
		uint8_t *k = check_unhex(v[t].key, &klen);
		uint8_t *w = check_unhex(v[t].out, &wlen);

		CHECK_INT(ike_prf(IKE_PRF_AES128_XCBC, k, klen, msg, 20, out), 0);
		CHECK_MEM(out, w, 16);
		free(k);
		free(w);
	}
}

/* RFC 4493 section 4 examples 1-4 and RFC 4615 section 4 PRF vectors. */
static void test_cmac(void)
{
	static const char *const msg_hex =
		"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
		"30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
	static const size_t mlen[4] = { 0, 16, 40, 64 };
	static const char *const want[4] = {
		"bb1d6929e95937287fa37d129b756746",
		"070a16b46b4d4144f79bdd9dd04a287c",
		"dfa66747de9ae63030ca32611497c827",
		"51f0bebf7e3b9d92fc49741779363cfe",
	};
	static const struct { const char *key, *out; } prf[3] = {
		{ "000102030405060708090a0b0c0d0e0fedcb", "84a348a4a45d235babfffc0d2b4da09a" },
		{ "000102030405060708090a0b0c0d0e0f", "980ae87b5f4c9c5214f5b6a8455e4c2d" },
		{ "00010203040506070809", "290d9e112edb09ee141fcf64c0b72f3d" },
	};
	size_t klen, len, wlen;
	uint8_t *key = check_unhex("2b7e151628aed2a6abf7158809cf4f3c", &klen);
	uint8_t *msg = check_unhex(msg_hex, &len);
	uint8_t out[16], m20[20];

	for (int t = 0; t < 4; t++) {
		uint8_t *w = check_unhex(want[t], &wlen);
		struct ike_chunk c = { msg, mlen[t] };

		CHECK_INT(ike_aes_cmac(key, &c, 1, out), 0);
		CHECK_MEM(out, w, 16);
		free(w);
	}
	for (int i = 0; i < 20; i++)
		m20[i] = (uint8_t)i;
	for (int t = 0; t < 3; t++) {
		uint8_t *k = check_unhex(prf[t].key, &klen);
		uint8_t *w = check_unhex(prf[t].out, &wlen);

		CHECK_INT(ike_prf(IKE_PRF_AES128_CMAC, k, klen, m20, 20, out), 0);
		CHECK_MEM(out, w, 16);
		free(k);
		free(w);
	}
	free(key);
	free(msg);
}

/* Check prf+(key, seed) against bytes from the python3 reference. */
static void prf_plus_case(uint16_t prf, size_t klen, const uint8_t *seed,
			  size_t slen, const char *want_hex)
{
	uint8_t key[64], out[256];
	size_t wlen;
	uint8_t *w = check_unhex(want_hex, &wlen);

	for (size_t i = 0; i < klen; i++)
		key[i] = (uint8_t)i;
	CHECK_INT(ike_prf_plus(prf, key, klen, seed, slen, out, wlen), 0);
	CHECK_MEM(out, w, wlen);
	/* a shorter request is a prefix of the longer one */
	memset(out, 0, sizeof(out));
	CHECK_INT(ike_prf_plus(prf, key, klen, seed, slen, out, wlen - 7), 0);
	CHECK_MEM(out, w, wlen - 7);
	free(w);
}

/* RFC 7296 2.13 prf+ against the independent python3 computation. */
static void test_prf_plus(void)
{
	uint8_t seed40[40], seed33[33], k20[20];
	static uint8_t big[255 * 20 + 1];

	for (int i = 0; i < 40; i++)
		seed40[i] = (uint8_t)(0xa0 + i);
	for (int i = 0; i < 33; i++)
		seed33[i] = (uint8_t)i;
	prf_plus_case(IKE_PRF_HMAC_SHA2_256, 32, seed40, 40,
		"98e59a0c619836dde045e095b15d7b77f00e7fb9bed5198089324a051b4462de"
		"452bfe2bff8117520caf8578b280b28412b632221050619acbda50d6e4b81276"
		"ba8e2766de76233ce5e059c3a24971de23443e6af21d1b4c255355c808a9e678"
		"889bd70aab95d013b21c50d34d09576b88aedc075b60ab5300c42513fd1f1fe8"
		"44312ad8be8b13535c432171e197ab04b376880a3ce2991189779a011598e624"
		"a2eb332136ccaf5eb21c79b496075b19749bd548a2b780f5884dfa5a243df8dd"
		"1a658c0ad50fca6d");
	prf_plus_case(IKE_PRF_AES128_XCBC, 16, seed33, 33,
		"4b0391e1622292b22c3935af991a4dd2f1360a3065266f65288165ed94fd696c"
		"a7d92dc1db92020bddb9cf6a0ebaa3a824d8");
	prf_plus_case(IKE_PRF_AES128_CMAC, 16, seed33, 33,
		"c4f2eeeb4f8ee0291facaff065c6d32c74b4adfecc99fab0e7e406b52b21b4d1"
		"6a1655eff4dab303bed58411624be0a0d620");
	prf_plus_case(IKE_PRF_HMAC_SHA2_512, 64, seed33, 33,
		"3632a223f5bfd9db79bf0ca843dd0388e360e71341f9e1db58ca21b79abe82da"
		"056213bb2efef4e3d1fb1610eafe3fca7b88fc32876a2b4ff300f90b39faa45c"
		"b8c75d6c6506d3d41af4ef5a8d82b5cd0407eabab37a37c1d4a48dfc6cd3dcb7"
		"e2de8969009883eeadfa6adbc2ab300909ca5631dc718374baddcd173b3716a1"
		"371e");
	prf_plus_case(IKE_PRF_HMAC_SHA2_384, 48, seed33, 33,
		"d0852586d347c075bc44d166a35e7dcff9e371a03173f730e41f0c7399b8d087"
		"d1070c05d465a9dc519f6d14ae7ffd74ee6a7737f08cf35fde9e226f1425ed69"
		"9bc20be4e33631e6157cef9ee33e4a65b29c89be46c7635eb13c714040f71203"
		"cef71ede");

	/* the 255-iteration limit (2.13: "the counter ... cannot exceed 255"):
	 * exactly 255 blocks of HMAC-SHA1 works, one byte more is refused */
	for (int i = 0; i < 20; i++)
		k20[i] = (uint8_t)i;
	CHECK_INT(ike_prf_plus(IKE_PRF_HMAC_SHA1, k20, 20, (const uint8_t *)"seed",
			       4, big, 255 * 20), 0);
	{
		size_t n;
		uint8_t *first = check_unhex("fc6692ab20a215e10da622ae9d0ef252d290c5ce", &n);
		uint8_t *last = check_unhex("0be2f3c946234d5cf7815928c3fd348215a59aed", &n);

		CHECK_MEM(big, first, 20);
		CHECK_MEM(big + 254 * 20, last, 20);
		free(first);
		free(last);
	}
	CHECK_INT(ike_prf_plus(IKE_PRF_HMAC_SHA1, k20, 20, (const uint8_t *)"seed",
			       4, big, 255 * 20 + 1), -EINVAL);

	/* chunked seed = concatenated seed */
	{
		uint8_t a[100], b[100];
		struct ike_chunk parts[3] = { { seed40, 5 }, { seed40 + 5, 0 },
					      { seed40 + 5, 35 } };

		CHECK_INT(ike_prf_plus(IKE_PRF_HMAC_SHA2_256, k20, 20, seed40, 40, a, 100), 0);
		CHECK_INT(ike_prf_plus_chunks(IKE_PRF_HMAC_SHA2_256, k20, 20, parts, 3, b, 100), 0);
		CHECK_MEM(a, b, 100);
	}
}

/* Lengths and unsupported algorithms. */
static void test_facts(void)
{
	uint8_t out[64];

	CHECK_INT(ike_prf_len(IKE_PRF_HMAC_SHA1), 20);
	CHECK_INT(ike_prf_len(IKE_PRF_HMAC_SHA2_256), 32);
	CHECK_INT(ike_prf_len(IKE_PRF_HMAC_SHA2_384), 48);
	CHECK_INT(ike_prf_len(IKE_PRF_HMAC_SHA2_512), 64);
	CHECK_INT(ike_prf_len(IKE_PRF_AES128_CMAC), 16);
	CHECK_INT(ike_prf_len(IKE_PRF_HMAC_MD5), 0);
	CHECK_INT(ike_prf_keylen(IKE_PRF_HMAC_SHA2_512), 64);
	CHECK_INT(ike_prf(IKE_PRF_HMAC_MD5, out, 16, out, 16, out), -ENOTSUP);
	CHECK_INT(ike_prf(999, out, 16, out, 16, out), -ENOTSUP);
	CHECK_INT(ike_prf_plus(999, out, 16, out, 16, out, 16), -ENOTSUP);
	/* RFC 4868 section 2.6 key and ICV sizes, RFC 2404, RFC 3566, RFC 4494 */
	CHECK_INT(ike_integ_key_len(IKE_INTEG_HMAC_SHA1_96), 20);
	CHECK_INT(ike_integ_icv_len(IKE_INTEG_HMAC_SHA1_96), 12);
	CHECK_INT(ike_integ_key_len(IKE_INTEG_HMAC_SHA2_256_128), 32);
	CHECK_INT(ike_integ_icv_len(IKE_INTEG_HMAC_SHA2_256_128), 16);
	CHECK_INT(ike_integ_key_len(IKE_INTEG_HMAC_SHA2_384_192), 48);
	CHECK_INT(ike_integ_icv_len(IKE_INTEG_HMAC_SHA2_384_192), 24);
	CHECK_INT(ike_integ_key_len(IKE_INTEG_HMAC_SHA2_512_256), 64);
	CHECK_INT(ike_integ_icv_len(IKE_INTEG_HMAC_SHA2_512_256), 32);
	CHECK_INT(ike_integ_key_len(IKE_INTEG_AES_XCBC_96), 16);
	CHECK_INT(ike_integ_icv_len(IKE_INTEG_AES_XCBC_96), 12);
	CHECK_INT(ike_integ_icv_len(IKE_INTEG_HMAC_MD5_96), 0);
	CHECK_INT(ike_integ_icv_len(IKE_INTEG_NONE), 0);
}

/* The truncated integrity ICVs are prefixes of the PRF of the same hash
 * (RFC 4868 section 2.3 "truncated to the first N bits"). */
static void test_integ_truncation(void)
{
	static const struct { uint16_t integ, prf; } m[3] = {
		{ IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256 },
		{ IKE_INTEG_HMAC_SHA2_384_192, IKE_PRF_HMAC_SHA2_384 },
		{ IKE_INTEG_HMAC_SHA2_512_256, IKE_PRF_HMAC_SHA2_512 },
	};
	uint8_t key[64], data[77], full[64], icv[32];
	struct ike_chunk c = { data, sizeof(data) };

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x30 + i);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	for (int t = 0; t < 3; t++) {
		size_t kl = ike_integ_key_len(m[t].integ);

		CHECK_INT(ike_prf(m[t].prf, key, kl, data, sizeof(data), full), 0);
		CHECK_INT(ike_integ_mac(m[t].integ, key, kl, &c, 1, icv), 0);
		CHECK_MEM(icv, full, ike_integ_icv_len(m[t].integ));
	}
}

int main(void)
{
	CHECK_INT(ike_init(), 0);
	test_rfc2202();
	test_rfc4231();
	test_rfc3566();
	test_rfc4434();
	test_cmac();
	test_prf_plus();
	test_facts();
	test_integ_truncation();
	return check_done("prf");
}
