/*
 * test_dh.c — Diffie-Hellman for the KE payload (ike_dh.h).
 *
 *  - X25519: RFC 7748 section 5.2 vectors, section 6.1 Alice/Bob exchange;
 *    RFC 8031 section 2 all-zero output rejected (low-order points).
 *  - ECP: RFC 5903 section 8.1 / 8.2 / 8.3 (i, g^i, r, g^r, g^ir x only,
 *    KE data x | y without the 0x04 prefix, section 7).
 *  - MODP: two contexts agree for groups 2, 5, 14, 15, 16; a known answer
 *    for group 14 computed independently with python3 pow() at authoring
 *    time (RFC 3526 publishes no DH vector) whose public value and shared
 *    secret both start with a zero byte (padding, RFC 7296 2.14 / 3.4).
 *  - invalid peer values for every group (RFC 7296 / SP 800-56A 5.6.2.3.1).
 */
#include <openssl/bn.h>

#include "ike_dh.h"
#include "check.h"

static const uint16_t all_groups[] = {
	IKE_DH_MODP1024, IKE_DH_MODP1536, IKE_DH_MODP2048, IKE_DH_MODP3072,
	IKE_DH_MODP4096, IKE_DH_ECP256, IKE_DH_ECP384, IKE_DH_ECP521,
	IKE_DH_CURVE25519,
};
#define N_GROUPS (sizeof(all_groups) / sizeof(all_groups[0]))

/* Create with a known private key given in hex; aborts the test on failure. */
static struct ike_dh *dh_with(uint16_t group, const char *priv_hex)
{
	struct ike_dh *dh = NULL;
	size_t n;
	uint8_t *priv = check_unhex(priv_hex, &n);

	CHECK_INT(ike_dh_new_with_private(&dh, group, priv, n), 0);
	free(priv);
	if (!dh) {
		fprintf(stderr, "cannot create group %u\n", group);
		exit(1);
	}
	return dh;
}

/* Public value of dh equals hex. */
static void check_pub(const struct ike_dh *dh, const char *hex)
{
	size_t n, plen;
	uint8_t *want = check_unhex(hex, &n);
	const uint8_t *pub = ike_dh_public(dh, &plen);

	CHECK_INT(plen, n);
	if (plen == n)
		CHECK_MEM(pub, want, n);
	free(want);
}

/* dh with peer (hex) gives shared (hex). */
static void check_shared(const struct ike_dh *dh, const char *peer_hex,
			 const char *shared_hex)
{
	size_t pn, sn;
	uint8_t *peer = check_unhex(peer_hex, &pn);
	uint8_t *want = check_unhex(shared_hex, &sn);
	struct ike_key k = { 0 };

	CHECK_INT(ike_dh_compute(dh, peer, pn, &k), 0);
	CHECK_INT(k.len, sn);
	if (k.ptr && k.len == sn)
		CHECK_MEM(k.ptr, want, sn);
	ike_key_free(&k);
	free(peer);
	free(want);
}

/* dh rejects peer (raw bytes) with -EINVAL and leaves the key empty. */
static void check_reject(const struct ike_dh *dh, const uint8_t *peer, size_t n)
{
	struct ike_key k = { (uint8_t *)1, 1 };

	CHECK_INT(ike_dh_compute(dh, peer, n, &k), -EINVAL);
	CHECK(k.ptr == NULL && k.len == 0);
}

static void check_reject_hex(const struct ike_dh *dh, const char *hex)
{
	size_t n;
	uint8_t *peer = check_unhex(hex, &n);

	check_reject(dh, peer, n);
	free(peer);
}

/* Group metadata: RFC 7296 3.4 lengths, RFC 5903 7, RFC 8031 3. */
static void test_metadata(void)
{
	static const struct { uint16_t g; size_t pub, shared; bool legacy; } t[] = {
		{ IKE_DH_MODP1024, 128, 128, true },
		{ IKE_DH_MODP1536, 192, 192, true },
		{ IKE_DH_MODP2048, 256, 256, false },
		{ IKE_DH_MODP3072, 384, 384, false },
		{ IKE_DH_MODP4096, 512, 512, false },
		{ IKE_DH_ECP256, 64, 32, false },
		{ IKE_DH_ECP384, 96, 48, false },
		{ IKE_DH_ECP521, 132, 66, false },
		{ IKE_DH_CURVE25519, 32, 32, false },
	};
	static const uint16_t unsupported[] = {
		IKE_DH_NONE, IKE_DH_MODP768, IKE_DH_MODP6144, IKE_DH_MODP8192,
		IKE_DH_MODP2048_256, IKE_DH_CURVE448, 0xffff,
	};
	struct ike_dh *dh = (struct ike_dh *)1;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CHECK(ike_dh_supported(t[i].g));
		CHECK_INT(ike_dh_public_len(t[i].g), t[i].pub);
		CHECK_INT(ike_dh_shared_len(t[i].g), t[i].shared);
		CHECK_INT(ike_dh_is_legacy(t[i].g), t[i].legacy);
	}
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
		CHECK(!ike_dh_supported(unsupported[i]));
		CHECK_INT(ike_dh_public_len(unsupported[i]), 0);
		CHECK_INT(ike_dh_shared_len(unsupported[i]), 0);
		CHECK_INT(ike_dh_new(&dh, unsupported[i]), -ENOTSUP);
		CHECK(dh == NULL);
	}
	ike_dh_free(NULL);
}

/* RFC 7748 section 5.2: the two X25519 test vectors (scalar, u -> u'). */
static void test_x25519_rfc7748_5_2(void)
{
	struct ike_dh *dh;

	dh = dh_with(IKE_DH_CURVE25519,
		     "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
	check_shared(dh, "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
		     "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
	ike_dh_free(dh);

	/* u has its top bit set, which X25519 masks (RFC 7748 section 5) */
	dh = dh_with(IKE_DH_CURVE25519,
		     "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d");
	check_shared(dh, "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
		     "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
	ike_dh_free(dh);
}

/* RFC 7748 section 6.1: Alice and Bob. */
static void test_x25519_rfc7748_6_1(void)
{
	static const char a_pub[] =
		"8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
	static const char b_pub[] =
		"de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
	static const char k[] =
		"4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
	struct ike_dh *a = dh_with(IKE_DH_CURVE25519,
		"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	struct ike_dh *b = dh_with(IKE_DH_CURVE25519,
		"5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");

	CHECK_INT(ike_dh_group(a), IKE_DH_CURVE25519);
	check_pub(a, a_pub);
	check_pub(b, b_pub);
	check_shared(a, b_pub, k);
	check_shared(b, a_pub, k);
	ike_dh_free(a);
	ike_dh_free(b);
}

struct rfc5903_vec {
	const char *sec;
	uint16_t group;
	const char *i, *gix, *giy, *r, *grx, *gry, *girx;
};

/* RFC 5903 section 8: published i, g^i, r, g^r and x of g^ir. */
static const struct rfc5903_vec rfc5903[] = {
	{ "8.1", IKE_DH_ECP256,
	  "C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433",
	  "DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180",
	  "5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3",
	  "C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53",
	  "D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63",
	  "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB",
	  "D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE" },
	{ "8.2", IKE_DH_ECP384,
	  "099F3C7034D4A2C699884D73A375A67F7624EF7C6B3C0F160647B67414DCE655"
	  "E35B538041E649EE3FAEF896783AB194",
	  "667842D7D180AC2CDE6F74F37551F55755C7645C20EF73E31634FE72B4C55EE6"
	  "DE3AC808ACB4BDB4C88732AEE95F41AA",
	  "9482ED1FC0EEB9CAFC4984625CCFC23F65032149E0E144ADA024181535A0F38E"
	  "EB9FCFF3C2C947DAE69B4C634573A81C",
	  "41CB0779B4BDB85D47846725FBEC3C9430FAB46CC8DC5060855CC9BDA0AA2942"
	  "E0308312916B8ED2960E4BD55A7448FC",
	  "E558DBEF53EECDE3D3FCCFC1AEA08A89A987475D12FD950D83CFA41732BC509D"
	  "0D1AC43A0336DEF96FDA41D0774A3571",
	  "DCFBEC7AACF3196472169E838430367F66EEBE3C6E70C416DD5F0C68759DD1FF"
	  "F83FA40142209DFF5EAAD96DB9E6386C",
	  "11187331C279962D93D604243FD592CB9D0A926F422E47187521287E7156C5C4"
	  "D603135569B9E9D09CF5D4A270F59746" },
	{ "8.3", IKE_DH_ECP521,
	  "0037ADE9319A89F4DABDB3EF411AACCCA5123C61ACAB57B5393DCE47608172A0"
	  "95AA85A30FE1C2952C6771D937BA9777F5957B2639BAB072462F68C27A57382D4A52",
	  "0015417E84DBF28C0AD3C278713349DC7DF153C897A1891BD98BAB4357C9ECBE"
	  "E1E3BF42E00B8E380AEAE57C2D107564941885942AF5A7F4601723C4195D176CED3E",
	  "017CAE20B6641D2EEB695786D8C946146239D099E18E1D5A514C739D7CB4A10A"
	  "D8A788015AC405D7799DC75E7B7D5B6CF2261A6A7F1507438BF01BEB6CA3926F9582",
	  "0145BA99A847AF43793FDD0E872E7CDFA16BE30FDC780F97BCCC3F078380201E"
	  "9C677D600B343757A3BDBF2A3163E4C2F869CCA7458AA4A4EFFC311F5CB151685EB9",
	  "00D0B3975AC4B799F5BEA16D5E13E9AF971D5E9B984C9F39728B5E5739735A21"
	  "9B97C356436ADC6E95BB0352F6BE64A6C2912D4EF2D0433CED2B6171640012D9460F",
	  "015C68226383956E3BD066E797B623C27CE0EAC2F551A10C2C724D9852077B87"
	  "220B6536C5C408A1D2AEBB8E86D678AE49CB57091F4732296579AB44FCD17F0FC56A",
	  "01144C7D79AE6956BC8EDB8E7C787C4521CB086FA64407F97894E5E6B2D79B04"
	  "D1427E73CA4BAA240A34786859810C06B3C715A3A8CC3151F2BEE417996D19F3DDEA" },
};

/* RFC 5903 section 8 through the API: both directions. */
static void test_ecp_rfc5903(void)
{
	for (size_t v = 0; v < sizeof(rfc5903) / sizeof(rfc5903[0]); v++) {
		const struct rfc5903_vec *t = &rfc5903[v];
		char gi[600], gr[600];
		struct ike_dh *i, *r;

		snprintf(gi, sizeof(gi), "%s%s", t->gix, t->giy);
		snprintf(gr, sizeof(gr), "%s%s", t->grx, t->gry);
		i = dh_with(t->group, t->i);
		r = dh_with(t->group, t->r);
		check_pub(i, gi);
		check_pub(r, gr);
		check_shared(i, gr, t->girx);
		check_shared(r, gi, t->girx);
		/* a second computation with the same context gives the same */
		check_shared(i, gr, t->girx);
		ike_dh_free(i);
		ike_dh_free(r);
	}
}

/* RFC 7296 2.14 / 3.4: group 14 known answer (python3 pow(), see top) —
 * public value and g^ir keep their leading zero byte. */
static void test_modp_known_answer(void)
{
	static const char a[] =
		"3576dbeb916a84add6675963d02c4e3a6f375f10230fd302db32a42e295e8e36";
	static const char b[] =
		"df8727efb52e1e58e3717594d6fd470121a0380851c84db94cab7cb69951bfd9";
	static const char A[] =
		"00fc9a4397d6acb471ea685f28b1a1f7a6d4ba16ad2058c752904a2b5b92551c"
		"e6e77c2c82fd89d6ab64dc39f41967acfb3beaf739367b0c09c7876c60b9f384"
		"4f190309661cd8201a48bb83710c085be13cb7e8b16f7c2455038a2dd9c26462"
		"eb1b5788eea5dab26ebbbd7f7fffba247bc156b75f4898ade6a9818e9c3b6dc8"
		"44e083be8c7918a36537ff3d8b8a86672cb3d61bc11754459fce234d34276643"
		"c60dd79292e5ff51ea8f1e7aec9fe59b4779efef559c6d1955796117ccb04abd"
		"ab47d07b7b1a0e3189f8d85547a84de8b9ec2b368a299b32675c422c13865cd3"
		"ecf215782071c9343f946ee0e8e30a125588edc68bb4a7282f9f5a5758d5a9cd";
	static const char B[] =
		"11c1fb36aaa92fcff50d6540caae01eda84e13855a878dd79ad3127d79c3e1d9"
		"93151867396a55bc3fe6d7a9f23d64c57d6499777518c32f1a20635cc705e566"
		"f00568f41f9728165b86bf93f026edc0d6f071306ad6eac66d4a9177e234f01a"
		"783788ba89d568bba4648de84db7c7986f84e6a5fe4968eddbbc81b0863727c7"
		"486056501efd556737088996fdefc716c38847de1f174924cb7473ba85574fee"
		"f4ea754993d2f2d82eb80e173203e8acfa59c9f7e299357c6acb926cfeeff13f"
		"9bbb1c26f84a0b98baca612a7284cc11380cb539544e8dfd985ee301340dc311"
		"2ae536c776d95a5d06c17dddadff4f72c504f3419223e44f89ea8c854acb9bf7";
	static const char s[] =
		"00727f455b4259c76b848736a0311e6e854ffd76861d15704ae5ba770e15967a"
		"db15ee2a12130724d265abbfcd5b4e88d900a6ac30a7397e14c1f6d0633c04e3"
		"262449bf19f9ab21fedaa6d0c69e0016eb73266c132670d16258e7816002fd41"
		"b014151dfbe212de04cdd67c13ef0e0b3582f0fd6f0d9cd44626ae0159ea9f13"
		"c25cee919865a2e9ce22dc61f7e67e82ca9a78c5af6c873be1eb76acde2b2348"
		"8bd6552d0c2ca214c82bad088a4db98ff3fb21a3eb97cb2af7e0495cc46a595b"
		"30f3c2ab4b2d4344d533fce3b3a8a7de2c64662230d1345b40bb5c89b8a0253b"
		"9da33ec5cc8eeed7bd2e4f3cfbec33c42992c46ad6f12bbd66da87cf2c41d020";
	struct ike_dh *da = dh_with(IKE_DH_MODP2048, a);
	struct ike_dh *db = dh_with(IKE_DH_MODP2048, b);

	check_pub(da, A);
	check_pub(db, B);
	check_shared(da, B, s);
	check_shared(db, A, s);
	ike_dh_free(da);
	ike_dh_free(db);
}

/* Fresh random keys on both sides agree, for every group; two fresh keys
 * differ. */
static void test_agree_random(void)
{
	for (size_t g = 0; g < N_GROUPS; g++) {
		struct ike_dh *a = NULL, *b = NULL;
		struct ike_key ka = { 0 }, kb = { 0 };
		const uint8_t *pa, *pb;
		size_t la, lb;

		CHECK_INT(ike_dh_new(&a, all_groups[g]), 0);
		CHECK_INT(ike_dh_new(&b, all_groups[g]), 0);
		if (!a || !b)
			continue;
		pa = ike_dh_public(a, &la);
		pb = ike_dh_public(b, &lb);
		CHECK_INT(la, ike_dh_public_len(all_groups[g]));
		CHECK(memcmp(pa, pb, la) != 0);
		CHECK_INT(ike_dh_compute(a, pb, lb, &ka), 0);
		CHECK_INT(ike_dh_compute(b, pa, la, &kb), 0);
		CHECK_INT(ka.len, ike_dh_shared_len(all_groups[g]));
		CHECK_INT(kb.len, ka.len);
		if (ka.ptr && kb.ptr && ka.len == kb.len)
			CHECK_MEM(ka.ptr, kb.ptr, ka.len);
		ike_key_free(&ka);
		ike_key_free(&kb);
		ike_dh_free(a);
		ike_dh_free(b);
	}
}

/* New BIGNUM p of a MODP group, from OpenSSL's RFC tables (independent of
 * the library code path under test only in so far as it is a table). */
static BIGNUM *test_prime(uint16_t g)
{
	switch (g) {
	case IKE_DH_MODP1024: return BN_get_rfc2409_prime_1024(NULL);
	case IKE_DH_MODP1536: return BN_get_rfc3526_prime_1536(NULL);
	case IKE_DH_MODP2048: return BN_get_rfc3526_prime_2048(NULL);
	case IKE_DH_MODP3072: return BN_get_rfc3526_prime_3072(NULL);
	default: return BN_get_rfc3526_prime_4096(NULL);
	}
}

/* MODP peer values y <= 1 and y >= p - 1 (RFC 7296 / SP 800-56A
 * 5.6.2.3.1), and wrong lengths. */
static void test_modp_invalid(void)
{
	static const uint16_t modp[] = {
		IKE_DH_MODP1024, IKE_DH_MODP1536, IKE_DH_MODP2048,
		IKE_DH_MODP3072, IKE_DH_MODP4096,
	};

	for (size_t g = 0; g < sizeof(modp) / sizeof(modp[0]); g++) {
		size_t len = ike_dh_public_len(modp[g]);
		uint8_t *v = calloc(1, len + 1);
		BIGNUM *p = test_prime(modp[g]);
		struct ike_dh *dh = NULL;
		struct ike_key k = { 0 };

		CHECK_INT(ike_dh_new(&dh, modp[g]), 0);
		if (!v || !p || !dh)
			abort();
		check_reject(dh, v, len);		/* 0 */
		v[len - 1] = 1;
		check_reject(dh, v, len);		/* 1 */
		v[len - 1] = 2;				/* 2 is valid (= g) */
		CHECK_INT(ike_dh_compute(dh, v, len, &k), 0);
		ike_key_free(&k);
		BN_bn2binpad(p, v, (int)len);
		check_reject(dh, v, len);		/* p */
		v[len - 1]--;
		check_reject(dh, v, len);		/* p - 1 */
		v[len - 1]--;				/* p - 2 is in range */
		CHECK_INT(ike_dh_compute(dh, v, len, &k), 0);
		ike_key_free(&k);
		memset(v, 0xff, len);
		check_reject(dh, v, len);		/* > p */
		v[0] = 0;
		v[len - 1] = 2;
		check_reject(dh, v, len - 1);		/* short */
		check_reject(dh, v, len + 1);		/* long */
		check_reject(dh, v, 0);
		check_reject(dh, NULL, 0);
		/* known private keys out of range: 0, 1, p - 1 */
		{
			struct ike_dh *x = (struct ike_dh *)1;
			uint8_t one = 1, zero = 0;

			CHECK_INT(ike_dh_new_with_private(&x, modp[g], &zero, 1), -EINVAL);
			CHECK(x == NULL);
			CHECK_INT(ike_dh_new_with_private(&x, modp[g], &one, 1), -EINVAL);
			BN_bn2binpad(p, v, (int)len);
			v[len - 1]--;
			CHECK_INT(ike_dh_new_with_private(&x, modp[g], v, len), -EINVAL);
			CHECK_INT(ike_dh_new_with_private(&x, modp[g], v, len + 1), -EINVAL);
		}
		BN_free(p);
		free(v);
		ike_dh_free(dh);
	}
}

/* ECP peer values: off the curve, the all-zero encoding (the point at
 * infinity has no x | y form; (0, 0) is not on these curves), coordinates
 * >= the field prime, wrong lengths; private keys 0 and >= n. */
static void test_ecp_invalid(void)
{
	for (size_t v = 0; v < sizeof(rfc5903) / sizeof(rfc5903[0]); v++) {
		const struct rfc5903_vec *t = &rfc5903[v];
		size_t len = ike_dh_public_len(t->group), n;
		struct ike_dh *dh = dh_with(t->group, t->i);
		char gr[600];
		uint8_t *pt, *buf = calloc(1, len + 1);

		snprintf(gr, sizeof(gr), "%s%s", t->grx, t->gry);
		pt = check_unhex(gr, &n);
		if (!buf || n != len)
			abort();
		memcpy(buf, pt, len);
		buf[len - 1] ^= 1;			/* y changed: off curve */
		check_reject(dh, buf, len);
		memcpy(buf, pt, len);
		buf[len / 2 - 1] ^= 1;			/* x changed */
		check_reject(dh, buf, len);
		memset(buf, 0, len);			/* (0, 0) */
		check_reject(dh, buf, len);
		memset(buf, 0xff, len);			/* x, y >= p */
		check_reject(dh, buf, len);
		memcpy(buf, pt, len);
		check_reject(dh, buf, len - 1);
		check_reject(dh, buf, len + 1);
		check_reject(dh, buf, len / 2);		/* x only (compressed-like) */
		/* valid again after all the failures */
		check_shared(dh, gr, t->girx);

		/* private key 0 and the group order n (>= n) are refused */
		{
			struct ike_dh *x = (struct ike_dh *)1;
			size_t sl = ike_dh_shared_len(t->group);

			memset(buf, 0, len);
			CHECK_INT(ike_dh_new_with_private(&x, t->group, buf, sl), -EINVAL);
			CHECK(x == NULL);
			memset(buf, 0xff, len);
			CHECK_INT(ike_dh_new_with_private(&x, t->group, buf, sl), -EINVAL);
			CHECK_INT(ike_dh_new_with_private(&x, t->group, buf, sl + 1), -EINVAL);
		}
		free(pt);
		free(buf);
		ike_dh_free(dh);
	}
}

/* RFC 8031 section 2 / RFC 7748 section 6.1: peer values of small order
 * give the all-zero shared secret and must be rejected; wrong length. */
static void test_x25519_invalid(void)
{
	static const char *low_order[] = {
		/* 0 and 1 */
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		/* points of order 8 */
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
		/* p - 1 (order 2), p (= 0), p + 1 (= 1) */
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	};
	struct ike_dh *dh = NULL;
	uint8_t buf[33] = { 9 };

	CHECK_INT(ike_dh_new(&dh, IKE_DH_CURVE25519), 0);
	if (!dh)
		abort();
	for (size_t i = 0; i < sizeof(low_order) / sizeof(low_order[0]); i++)
		check_reject_hex(dh, low_order[i]);
	check_reject(dh, buf, 31);
	check_reject(dh, buf, 33);
	check_reject(dh, buf, 0);
	/* the base point itself is a valid peer value */
	{
		struct ike_key k = { 0 };

		CHECK_INT(ike_dh_compute(dh, buf, 32, &k), 0);
		ike_key_free(&k);
	}
	ike_dh_free(dh);
	{
		struct ike_dh *x = (struct ike_dh *)1;

		CHECK_INT(ike_dh_new_with_private(&x, IKE_DH_CURVE25519, buf, 31), -EINVAL);
		CHECK(x == NULL);
		CHECK_INT(ike_dh_new_with_private(&x, IKE_DH_CURVE25519, NULL, 32), -EINVAL);
	}
}

int main(void)
{
	if (ike_init() < 0)
		return 1;
	test_metadata();
	test_x25519_rfc7748_5_2();
	test_x25519_rfc7748_6_1();
	test_ecp_rfc5903();
	test_modp_known_answer();
	test_agree_random();
	test_modp_invalid();
	test_ecp_invalid();
	test_x25519_invalid();
	return check_done("test_dh");
}
