/*
 * fuzz_dh.c — ike_dh_compute on attacker-controlled KE payload data
 * (RFC 7296 2.10 / 3.4; RFC 3526, RFC 5903, RFC 8031).
 *
 * Input: byte 0 % 9 selects the group (2, 5, 14, 15, 16, 19, 20, 21, 31),
 * the rest is the peer's public value.  One context per group with a fixed
 * private key is created at the first call (static), so the contexts cost
 * nothing per input; the fixed keys also let the seed corpus carry the
 * public value of a second fixed key pair.
 *
 * Oracles (besides ASan/UBSan/LSan), each an independent computation with
 * OpenSSL primitives other than the ones ike_dh.c uses:
 *  - the return is 0 or -EINVAL; on 0 the secret has ike_dh_shared_len()
 *    bytes, on -EINVAL it is empty;
 *  - MODP: success exactly when len == public_len and 1 < y < p - 1 (p from
 *    BN_get_rfc*_prime), and then the secret is y^x mod p, left-padded
 *    (RFC 7296 2.14);
 *  - ECP: success exactly when x | y decodes to a point on the curve with
 *    both coordinates below the field prime (EC_POINT_oct2point), and then
 *    the secret is the x coordinate of d * Q (RFC 5903 section 7);
 *  - Curve25519: success exactly when OpenSSL's X25519 derive succeeds
 *    (it refuses an all-zero result, RFC 7748 6.1 / RFC 8031 2), with the
 *    same 32 bytes;
 *  - when the input is the second key pair's public value, both sides agree.
 * MODP 3072/4096 inputs of the wrong length are refused before any
 * arithmetic, so only exact-length inputs are slow; the private exponent is
 * 256 bits to keep the exact-length case at a few milliseconds.
 *
 * Built with -DDH_GEN_MAIN this file is instead the generator of the seed
 * corpus:  fuzz_dh_gen DIR  writes the second key pair's public value for
 * every group plus edge cases (see gen_main).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "ike_dh.h"

#define FZ_N_GROUPS 9
static const uint16_t fz_groups[FZ_N_GROUPS] = {
	IKE_DH_MODP1024, IKE_DH_MODP1536, IKE_DH_MODP2048, IKE_DH_MODP3072,
	IKE_DH_MODP4096, IKE_DH_ECP256, IKE_DH_ECP384, IKE_DH_ECP521,
	IKE_DH_CURVE25519,
};

/* RFC 7748 section 6.1: Alice's and Bob's X25519 private keys */
static const uint8_t fz_x25519_a[32] = {
	0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1, 0x72,
	0x51, 0xb2, 0x66, 0x45, 0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a,
	0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a,
};
static const uint8_t fz_x25519_b[32] = {
	0x5d, 0xab, 0x08, 0x7e, 0x62, 0x4a, 0x8a, 0x4b, 0x79, 0xe1, 0x7f, 0x8b,
	0x83, 0xb8, 0x0e, 0xe6, 0x6b, 0x45, 0x6a, 0x6d, 0xb7, 0x57, 0x4d, 0x42,
	0x79, 0xe6, 0x5d, 0x63, 0x5d, 0xe0, 0x5d, 0xd1,
};

/* MODP and ECP private keys: 32 fixed octets (below every group order) */
#define FZ_PRIV_LEN 32
static uint8_t fz_priv_a[FZ_PRIV_LEN], fz_priv_b[FZ_PRIV_LEN];

static struct ike_dh *fz_a[FZ_N_GROUPS];	/* the side under test */
static struct ike_dh *fz_b[FZ_N_GROUPS];	/* the seeds' peer */
static BIGNUM *fz_p[FZ_N_GROUPS];		/* MODP primes */
static EC_GROUP *fz_ec[FZ_N_GROUPS];		/* ECP curves */
static BIGNUM *fz_x;				/* fz_priv_a as a BIGNUM */
static EVP_PKEY *fz_x25519;			/* fz_x25519_a, OpenSSL */
static BN_CTX *fz_bn;
static int fz_ready;

/* The RFC 2409 / RFC 3526 prime of a MODP group, NULL for other groups. */
static BIGNUM *fz_modp_prime(uint16_t g)
{
	switch (g) {
	case IKE_DH_MODP1024: return BN_get_rfc2409_prime_1024(NULL);
	case IKE_DH_MODP1536: return BN_get_rfc3526_prime_1536(NULL);
	case IKE_DH_MODP2048: return BN_get_rfc3526_prime_2048(NULL);
	case IKE_DH_MODP3072: return BN_get_rfc3526_prime_3072(NULL);
	case IKE_DH_MODP4096: return BN_get_rfc3526_prime_4096(NULL);
	default: return NULL;
	}
}

/* The OpenSSL curve of an ECP group, NID_undef for other groups. */
static int fz_curve(uint16_t g)
{
	switch (g) {
	case IKE_DH_ECP256: return NID_X9_62_prime256v1;
	case IKE_DH_ECP384: return NID_secp384r1;
	case IKE_DH_ECP521: return NID_secp521r1;
	default: return NID_undef;
	}
}

/* Create both fixed contexts per group and the reference objects, once. */
static void fz_setup(void)
{
	if (ike_init() < 0)
		abort();
	for (int i = 0; i < FZ_PRIV_LEN; i++) {
		fz_priv_a[i] = (uint8_t)(0x5a ^ (i * 7));
		fz_priv_b[i] = (uint8_t)(0x3c ^ (i * 13));
	}
	fz_bn = BN_CTX_new();
	fz_x = BN_bin2bn(fz_priv_a, FZ_PRIV_LEN, NULL);
	fz_x25519 = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL,
						 fz_x25519_a, 32);
	if (!fz_bn || !fz_x || !fz_x25519)
		abort();
	for (int i = 0; i < FZ_N_GROUPS; i++) {
		uint16_t g = fz_groups[i];
		bool x = g == IKE_DH_CURVE25519;

		if (ike_dh_new_with_private(&fz_a[i], g, x ? fz_x25519_a : fz_priv_a,
					    x ? 32 : FZ_PRIV_LEN) < 0 ||
		    ike_dh_new_with_private(&fz_b[i], g, x ? fz_x25519_b : fz_priv_b,
					    x ? 32 : FZ_PRIV_LEN) < 0)
			abort();
		fz_p[i] = fz_modp_prime(g);
		if (fz_curve(g) != NID_undef) {
			fz_ec[i] = EC_GROUP_new_by_curve_name(fz_curve(g));
			if (!fz_ec[i])
				abort();
		}
	}
	fz_ready = 1;
}

/*
 * Reference MODP: *ok = 1 < y < p - 1; when ok, want = y^x mod p padded to
 * len bytes.  in has exactly len = |p| bytes.
 */
static void fz_ref_modp(int gi, const uint8_t *in, size_t len, bool *ok,
			uint8_t *want)
{
	BIGNUM *y = BN_bin2bn(in, (int)len, NULL), *pm1 = BN_dup(fz_p[gi]);
	BIGNUM *z = BN_new();

	if (!y || !pm1 || !z || !BN_sub_word(pm1, 1))
		abort();
	*ok = BN_cmp(y, BN_value_one()) > 0 && BN_cmp(y, pm1) < 0;
	if (*ok && (!BN_mod_exp(z, y, fz_x, fz_p[gi], fz_bn) ||
		    BN_bn2binpad(z, want, (int)len) != (int)len))
		abort();
	BN_free(y);
	BN_free(pm1);
	BN_free(z);
}

/*
 * Reference ECP: *ok = 04 | in is a point on the curve with coordinates
 * below p; when ok, want = x(d * Q) padded to len / 2 bytes.
 */
static void fz_ref_ecp(int gi, const uint8_t *in, size_t len, bool *ok,
		       uint8_t *want)
{
	const EC_GROUP *grp = fz_ec[gi];
	EC_POINT *q = EC_POINT_new(grp), *s = EC_POINT_new(grp);
	BIGNUM *sx = BN_new();
	uint8_t pt[1 + 2 * 66];

	if (!q || !s || !sx || len > 2 * 66)
		abort();
	pt[0] = POINT_CONVERSION_UNCOMPRESSED;
	memcpy(pt + 1, in, len);
	*ok = EC_POINT_oct2point(grp, q, pt, 1 + len, fz_bn) == 1;
	if (*ok) {
		if (!EC_POINT_mul(grp, s, NULL, q, fz_x, fz_bn) ||
		    EC_POINT_is_at_infinity(grp, s) ||
		    !EC_POINT_get_affine_coordinates(grp, s, sx, NULL, fz_bn) ||
		    BN_bn2binpad(sx, want, (int)(len / 2)) != (int)(len / 2))
			abort();
	}
	EC_POINT_free(q);
	EC_POINT_free(s);
	BN_free(sx);
}

/* Reference X25519 through OpenSSL's EVP: *ok and want (32 bytes). */
static void fz_ref_x25519(const uint8_t *in, bool *ok, uint8_t *want)
{
	EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, in, 32);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(fz_x25519, NULL);
	size_t n = 32;

	if (!peer || !ctx || EVP_PKEY_derive_init(ctx) <= 0)
		abort();
	*ok = EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) > 0 &&
	      EVP_PKEY_derive(ctx, want, &n) > 0 && n == 32;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_key shared, other;
	uint8_t want[512];
	const uint8_t *peer, *pub_a, *pub_b;
	size_t len, plen, slen;
	bool ok = false;
	uint16_t g;
	int gi, r;

	if (!fz_ready)
		fz_setup();
	if (size < 1)
		return 0;
	gi = data[0] % FZ_N_GROUPS;
	g = fz_groups[gi];
	peer = data + 1;
	len = size - 1;
	plen = ike_dh_public_len(g);
	slen = ike_dh_shared_len(g);
	if (plen == 0 || slen == 0 || slen > sizeof(want))
		abort();
	r = ike_dh_compute(fz_a[gi], len ? peer : NULL, len, &shared);
	if (len == plen) {
		if (fz_p[gi])
			fz_ref_modp(gi, peer, len, &ok, want);
		else if (fz_ec[gi])
			fz_ref_ecp(gi, peer, len, &ok, want);
		else
			fz_ref_x25519(peer, &ok, want);
		ERR_clear_error();
	}
	if (r == 0) {
		if (!ok || shared.len != slen || !shared.ptr ||
		    memcmp(shared.ptr, want, slen) != 0)
			abort();
		pub_b = ike_dh_public(fz_b[gi], &plen);
		if (len == plen && memcmp(peer, pub_b, plen) == 0) {
			/* RFC 7296 2.14: both ends compute the same g^ir */
			pub_a = ike_dh_public(fz_a[gi], &plen);
			if (ike_dh_compute(fz_b[gi], pub_a, plen, &other) != 0 ||
			    other.len != slen ||
			    memcmp(other.ptr, shared.ptr, slen) != 0)
				abort();
			ike_key_free(&other);
		}
		ike_key_free(&shared);
	} else if (r != -EINVAL || ok || shared.ptr || shared.len) {
		abort();
	}
	return 0;
}

#ifdef DH_GEN_MAIN
/* Write one seed file: selector byte then KE data. */
static void gen_write(const char *dir, const char *name, int gi,
		      const uint8_t *ke, size_t len)
{
	uint8_t sel = (uint8_t)gi;
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(&sel, 1, 1, f) != 1 ||
	    (len && fwrite(ke, 1, len, f) != len) || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Write BIGNUM v padded to len bytes as seed name for group gi. */
static void gen_bn(const char *dir, const char *name, int gi, const BIGNUM *v,
		   size_t len)
{
	uint8_t buf[512];

	if (BN_bn2binpad(v, buf, (int)len) != (int)len)
		abort();
	gen_write(dir, name, gi, buf, len);
}

/* MODP edge values 0, 1, 2, p - 2, p - 1, p, and 2^n - 1 (all 0xff). */
static void gen_modp_edges(const char *dir, int gi, size_t len)
{
	static const struct { const char *name; int base_p; int add; } e[] = {
		{ "zero", 0, 0 }, { "one", 0, 1 }, { "two", 0, 2 },
		{ "p-minus-2", 1, -2 }, { "p-minus-1", 1, -1 }, { "p", 1, 0 },
	};
	BIGNUM *v = BN_new();
	uint8_t ff[512];
	char name[64];

	if (!v)
		abort();
	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
		if (e[i].base_p) {
			if (!BN_copy(v, fz_p[gi]) ||
			    !BN_sub_word(v, (BN_ULONG)-e[i].add))
				abort();
		} else if (!BN_set_word(v, (BN_ULONG)e[i].add)) {
			abort();
		}
		snprintf(name, sizeof(name), "edge-g%u-%s", fz_groups[gi], e[i].name);
		gen_bn(dir, name, gi, v, len);
	}
	memset(ff, 0xff, len);
	snprintf(name, sizeof(name), "edge-g%u-all-ff", fz_groups[gi]);
	gen_write(dir, name, gi, ff, len);
	BN_free(v);
}

/* ECP edge values: (0, 0), the generator, a point off the curve (y + 1),
 * x = p with the generator's y, all 0xff. */
static void gen_ecp_edges(const char *dir, int gi, size_t len)
{
	const EC_GROUP *grp = fz_ec[gi];
	BIGNUM *p = BN_new(), *x = BN_new(), *y = BN_new();
	uint8_t buf[2 * 66];
	size_t half = len / 2;
	char name[64];

	if (!p || !x || !y || !EC_GROUP_get_curve(grp, p, NULL, NULL, fz_bn) ||
	    !EC_POINT_get_affine_coordinates(grp, EC_GROUP_get0_generator(grp),
					     x, y, fz_bn))
		abort();
	memset(buf, 0, len);
	snprintf(name, sizeof(name), "edge-g%u-zero", fz_groups[gi]);
	gen_write(dir, name, gi, buf, len);
	if (BN_bn2binpad(x, buf, (int)half) != (int)half ||
	    BN_bn2binpad(y, buf + half, (int)half) != (int)half)
		abort();
	snprintf(name, sizeof(name), "edge-g%u-generator", fz_groups[gi]);
	gen_write(dir, name, gi, buf, len);
	if (!BN_add_word(y, 1) || BN_bn2binpad(y, buf + half, (int)half) != (int)half)
		abort();
	snprintf(name, sizeof(name), "edge-g%u-off-curve", fz_groups[gi]);
	gen_write(dir, name, gi, buf, len);
	if (!BN_sub_word(y, 1) || BN_bn2binpad(y, buf + half, (int)half) != (int)half ||
	    BN_bn2binpad(p, buf, (int)half) != (int)half)
		abort();
	snprintf(name, sizeof(name), "edge-g%u-x-is-p", fz_groups[gi]);
	gen_write(dir, name, gi, buf, len);
	memset(buf, 0xff, len);
	snprintf(name, sizeof(name), "edge-g%u-all-ff", fz_groups[gi]);
	gen_write(dir, name, gi, buf, len);
	BN_free(p);
	BN_free(x);
	BN_free(y);
}

/* X25519 edge values: low-order points (RFC 7748 section 7: the results
 * of these are all zero) and non-canonical encodings. */
static void gen_x25519_edges(const char *dir, int gi)
{
	/* u = 0, u = 1, a point of order 8, u = p - 1, u = p, u = p + 1 */
	static const uint8_t low[][32] = {
		{ 0 },
		{ 1 },
		{ 0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
		  0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
		  0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00 },
		{ 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
		{ 0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
		{ 0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
	};
	static const char *const names[] = {
		"edge-g31-zero", "edge-g31-one", "edge-g31-order8",
		"edge-g31-p-minus-1", "edge-g31-p", "edge-g31-p-plus-1",
	};
	uint8_t hi[32];
	size_t plen;

	for (size_t i = 0; i < sizeof(low) / sizeof(low[0]); i++)
		gen_write(dir, names[i], gi, low[i], 32);
	/* RFC 7748 5: the top bit of u is masked; Bob's public with it set */
	memcpy(hi, ike_dh_public(fz_b[gi], &plen), 32);
	hi[31] |= 0x80;
	gen_write(dir, "edge-g31-high-bit", gi, hi, 32);
}

int main(int argc, char **argv)
{
	const uint8_t *pub;
	uint8_t buf[513];
	size_t plen;
	char name[64];

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	fz_setup();
	for (int gi = 0; gi < FZ_N_GROUPS; gi++) {
		uint16_t g = fz_groups[gi];

		pub = ike_dh_public(fz_b[gi], &plen);
		snprintf(name, sizeof(name), "valid-g%u", g);
		gen_write(argv[1], name, gi, pub, plen);
		/* one byte short, one byte long */
		snprintf(name, sizeof(name), "edge-g%u-short", g);
		gen_write(argv[1], name, gi, pub, plen - 1);
		memcpy(buf, pub, plen);
		buf[plen] = 0;
		snprintf(name, sizeof(name), "edge-g%u-long", g);
		gen_write(argv[1], name, gi, buf, plen + 1);
		if (fz_p[gi])
			gen_modp_edges(argv[1], gi, plen);
		else if (fz_ec[gi])
			gen_ecp_edges(argv[1], gi, plen);
		else
			gen_x25519_edges(argv[1], gi);
	}
	gen_write(argv[1], "edge-empty", 0, NULL, 0);
	for (int gi = 0; gi < FZ_N_GROUPS; gi++) {
		ike_dh_free(fz_a[gi]);
		ike_dh_free(fz_b[gi]);
		BN_free(fz_p[gi]);
		EC_GROUP_free(fz_ec[gi]);
	}
	BN_free(fz_x);
	EVP_PKEY_free(fz_x25519);
	BN_CTX_free(fz_bn);
	return 0;
}
#endif
