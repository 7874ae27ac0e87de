/*
 * ike_dh.c — Diffie-Hellman for the KE payload: MODP (RFC 2409 / RFC 3526)
 * and ECP (RFC 5903) through OpenSSL 3 EVP_PKEY, Curve25519 (RFC 8031)
 * through libsodium.  See ike_dh.h for the contract.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <sodium.h>

#include "ike_dh.h"

enum dh_kind { DH_MODP, DH_ECP, DH_X25519 };

/* largest public value: MODP-4096 = 512 bytes (ECP-521: 2 * 66) */
#define DH_MAX_PUB 512

struct dh_group_info {
	uint16_t id;
	uint8_t kind;		/* enum dh_kind */
	bool legacy;
	uint16_t pub_len;	/* KE data length */
	uint16_t shared_len;	/* g^ir length */
	int nid;		/* ECP: curve NID */
	const char *curve;	/* ECP: OpenSSL group name */
};

static const struct dh_group_info dh_groups[] = {
	{ IKE_DH_MODP1024, DH_MODP, true, 128, 128, 0, NULL },
	{ IKE_DH_MODP1536, DH_MODP, true, 192, 192, 0, NULL },
	{ IKE_DH_MODP2048, DH_MODP, false, 256, 256, 0, NULL },
	{ IKE_DH_MODP3072, DH_MODP, false, 384, 384, 0, NULL },
	{ IKE_DH_MODP4096, DH_MODP, false, 512, 512, 0, NULL },
	{ IKE_DH_ECP256, DH_ECP, false, 64, 32, NID_X9_62_prime256v1, "P-256" },
	{ IKE_DH_ECP384, DH_ECP, false, 96, 48, NID_secp384r1, "P-384" },
	{ IKE_DH_ECP521, DH_ECP, false, 132, 66, NID_secp521r1, "P-521" },
	{ IKE_DH_CURVE25519, DH_X25519, false, 32, 32, 0, NULL },
};

struct ike_dh {
	const struct dh_group_info *info;
	EVP_PKEY *pkey;		/* MODP / ECP key pair */
	uint8_t *x_priv;	/* X25519 scalar, sodium_malloc'ed */
	uint8_t pub[DH_MAX_PUB];
};

/* Group table entry for id, or NULL. */
static const struct dh_group_info *dh_info(uint16_t id)
{
	for (size_t i = 0; i < sizeof(dh_groups) / sizeof(dh_groups[0]); i++)
		if (dh_groups[i].id == id)
			return &dh_groups[i];
	return NULL;
}

/* true for the groups we implement. */
bool ike_dh_supported(uint16_t group)
{
	return dh_info(group) != NULL;
}

/* true for implemented-but-weak groups (2, 5). */
bool ike_dh_is_legacy(uint16_t group)
{
	const struct dh_group_info *g = dh_info(group);

	return g && g->legacy;
}

/* exact KE data length, 0 when unsupported. */
size_t ike_dh_public_len(uint16_t group)
{
	const struct dh_group_info *g = dh_info(group);

	return g ? g->pub_len : 0;
}

/* exact shared secret length, 0 when unsupported. */
size_t ike_dh_shared_len(uint16_t group)
{
	const struct dh_group_info *g = dh_info(group);

	return g ? g->shared_len : 0;
}

/* the group of a context. */
uint16_t ike_dh_group(const struct ike_dh *dh)
{
	return dh->info->id;
}

/* our public value; valid until ike_dh_free. */
const uint8_t *ike_dh_public(const struct ike_dh *dh, size_t *len)
{
	*len = dh->info->pub_len;
	return dh->pub;
}

/* ---- MODP ------------------------------------------------------------------ */

/* New BIGNUM holding the prime of a MODP group (RFC 2409 6.2, RFC 3526),
 * or NULL. */
static BIGNUM *modp_prime(uint16_t id)
{
	switch (id) {
	case IKE_DH_MODP1024: return BN_get_rfc2409_prime_1024(NULL);
	case IKE_DH_MODP1536: return BN_get_rfc3526_prime_1536(NULL);
	case IKE_DH_MODP2048: return BN_get_rfc3526_prime_2048(NULL);
	case IKE_DH_MODP3072: return BN_get_rfc3526_prime_3072(NULL);
	case IKE_DH_MODP4096: return BN_get_rfc3526_prime_4096(NULL);
	default: return NULL;
	}
}

/*
 * Build an EVP_PKEY "DH" of the given selection from p, g = 2 and the
 * optional public / private values.  Returns NULL on failure.
 */
static EVP_PKEY *modp_pkey(const BIGNUM *p, const BIGNUM *pub,
			   const BIGNUM *priv, int selection)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *g = BN_new();

	if (!bld || !g || !BN_set_word(g, 2))
		goto out;
	if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, p) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, g))
		goto out;
	if (pub && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, pub))
		goto out;
	if (priv && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, selection, params) <= 0)
		pkey = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(g);
	return pkey;
}

/* Write the public value of a DH/EC key (BIGNUM form) big-endian, padded. */
static int pkey_pub_bn(const EVP_PKEY *pkey, uint8_t *out, size_t len)
{
	BIGNUM *y = NULL;
	int r = -ENOMEM;

	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, &y) > 0 &&
	    BN_bn2binpad(y, out, (int)len) == (int)len)
		r = 0;
	BN_free(y);
	return r;
}

/*
 * Key pair for a MODP group: random (OpenSSL keygen) or, with priv, the
 * given exponent 1 < x < p - 1 (y = g^x mod p computed here).
 */
static int modp_new(struct ike_dh *dh, const uint8_t *priv, size_t priv_len)
{
	BIGNUM *p = modp_prime(dh->info->id);
	BIGNUM *x = NULL, *y = NULL, *g = NULL, *pm1 = NULL;
	EVP_PKEY *dom = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BN_CTX *bnctx = NULL;
	int r = -ENOMEM;

	if (!p)
		goto out;
	if (!priv) {
		dom = modp_pkey(p, NULL, NULL, EVP_PKEY_KEY_PARAMETERS);
		ctx = dom ? EVP_PKEY_CTX_new_from_pkey(NULL, dom, NULL) : NULL;
		if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0 ||
		    EVP_PKEY_generate(ctx, &dh->pkey) <= 0)
			goto out;
	} else {
		if (priv_len == 0 || priv_len > dh->info->pub_len) {
			r = -EINVAL;
			goto out;
		}
		x = BN_secure_new();
		y = BN_new();
		g = BN_new();
		pm1 = BN_dup(p);
		bnctx = BN_CTX_secure_new();
		if (!x || !y || !g || !pm1 || !bnctx || !BN_set_word(g, 2) ||
		    !BN_sub_word(pm1, 1) || !BN_bin2bn(priv, (int)priv_len, x))
			goto out;
		if (BN_cmp(x, BN_value_one()) <= 0 || BN_cmp(x, pm1) >= 0) {
			r = -EINVAL;
			goto out;
		}
		BN_set_flags(x, BN_FLG_CONSTTIME);
		if (!BN_mod_exp_mont_consttime(y, g, x, p, bnctx, NULL))
			goto out;
		dh->pkey = modp_pkey(p, y, x, EVP_PKEY_KEYPAIR);
		if (!dh->pkey)
			goto out;
	}
	r = pkey_pub_bn(dh->pkey, dh->pub, dh->info->pub_len);
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(dom);
	BN_CTX_free(bnctx);
	BN_clear_free(x);
	BN_free(y);
	BN_free(g);
	BN_free(pm1);
	BN_free(p);
	return r;
}

/*
 * Validate a MODP peer value (1 < y < p - 1, RFC 7296 / SP 800-56A
 * 5.6.2.3.1) and build its EVP_PKEY into *peer.  -EINVAL when invalid.
 */
static int modp_peer(const struct ike_dh *dh, const uint8_t *buf, size_t len,
		     EVP_PKEY **peer)
{
	BIGNUM *p = modp_prime(dh->info->id);
	BIGNUM *y = BN_new(), *pm1 = NULL;
	int r = -ENOMEM;

	if (!p || !y || !BN_bin2bn(buf, (int)len, y) || !(pm1 = BN_dup(p)) ||
	    !BN_sub_word(pm1, 1))
		goto out;
	if (BN_cmp(y, BN_value_one()) <= 0 || BN_cmp(y, pm1) >= 0) {
		r = -EINVAL;
		goto out;
	}
	*peer = modp_pkey(p, y, NULL, EVP_PKEY_PUBLIC_KEY);
	r = *peer ? 0 : -EINVAL;
out:
	BN_free(p);
	BN_free(y);
	BN_free(pm1);
	return r;
}

/* ---- ECP ------------------------------------------------------------------- */

/* Build an EC public (and optionally private) EVP_PKEY on curve from the
 * uncompressed point pt (0x04 | x | y).  OpenSSL's import decodes the
 * point, which rejects coordinates >= p and points not on the curve. */
static EVP_PKEY *ecp_pkey(const char *curve, const uint8_t *pt, size_t pt_len,
			  const BIGNUM *priv)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	if (!bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, pt_len))
		goto out;
	if (priv && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey,
			      priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
			      params) <= 0)
		pkey = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

/* Copy the uncompressed public point of an EC key as x | y into dh->pub. */
static int ecp_export_pub(struct ike_dh *dh)
{
	uint8_t pt[1 + DH_MAX_PUB];
	size_t n = 0;

	if (EVP_PKEY_get_octet_string_param(dh->pkey, OSSL_PKEY_PARAM_PUB_KEY,
					    pt, sizeof(pt), &n) <= 0)
		return -ENOMEM;
	if (n != 1u + dh->info->pub_len || pt[0] != POINT_CONVERSION_UNCOMPRESSED)
		return -EINVAL;
	memcpy(dh->pub, pt + 1, dh->info->pub_len);
	return 0;
}

/*
 * Key pair on an ECP curve: random (OpenSSL keygen) or, with priv, the
 * scalar 0 < d < n with Q = d * G computed here.
 */
static int ecp_new(struct ike_dh *dh, const uint8_t *priv, size_t priv_len)
{
	const struct dh_group_info *gi = dh->info;
	EC_GROUP *grp = NULL;
	EC_POINT *q = NULL;
	BIGNUM *d = NULL;
	uint8_t pt[1 + DH_MAX_PUB];
	int r = -ENOMEM;

	if (!priv) {
		dh->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", gi->curve);
		return dh->pkey ? ecp_export_pub(dh) : -ENOMEM;
	}
	if (priv_len == 0 || priv_len > gi->shared_len)
		return -EINVAL;
	grp = EC_GROUP_new_by_curve_name(gi->nid);
	q = grp ? EC_POINT_new(grp) : NULL;
	d = BN_secure_new();
	if (!grp || !q || !d || !BN_bin2bn(priv, (int)priv_len, d))
		goto out;
	if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(grp)) >= 0) {
		r = -EINVAL;
		goto out;
	}
	if (!EC_POINT_mul(grp, q, d, NULL, NULL, NULL) ||
	    EC_POINT_point2oct(grp, q, POINT_CONVERSION_UNCOMPRESSED, pt,
			       sizeof(pt), NULL) != 1u + gi->pub_len)
		goto out;
	dh->pkey = ecp_pkey(gi->curve, pt, 1u + gi->pub_len, d);
	if (dh->pkey)
		r = ecp_export_pub(dh);
out:
	BN_clear_free(d);
	EC_POINT_free(q);
	EC_GROUP_free(grp);
	return r;
}

/* Import a peer's x | y as an EC public key; -EINVAL when off-curve. */
static int ecp_peer(const struct ike_dh *dh, const uint8_t *buf, size_t len,
		    EVP_PKEY **peer)
{
	uint8_t pt[1 + DH_MAX_PUB];

	pt[0] = POINT_CONVERSION_UNCOMPRESSED;
	memcpy(pt + 1, buf, len);
	*peer = ecp_pkey(dh->info->curve, pt, 1 + len, NULL);
	return *peer ? 0 : -EINVAL;
}

/* ---- X25519 ---------------------------------------------------------------- */

/* Scalar (random or given) in guarded memory and its public value. */
static int x25519_new(struct ike_dh *dh, const uint8_t *priv, size_t priv_len)
{
	if (priv && priv_len != crypto_scalarmult_SCALARBYTES)
		return -EINVAL;
	dh->x_priv = sodium_malloc(crypto_scalarmult_SCALARBYTES);
	if (!dh->x_priv)
		return -ENOMEM;
	if (priv)
		memcpy(dh->x_priv, priv, crypto_scalarmult_SCALARBYTES);
	else
		randombytes_buf(dh->x_priv, crypto_scalarmult_SCALARBYTES);
	if (crypto_scalarmult_base(dh->pub, dh->x_priv) != 0)
		return -EINVAL;	/* only for a zero scalar after clamping */
	return 0;
}

/* ---- Common ------------------------------------------------------------------ */

/* Create a context; priv = NULL for a random key.  See ike_dh.h. */
static int dh_create(struct ike_dh **out, uint16_t group,
		     const uint8_t *priv, size_t priv_len)
{
	const struct dh_group_info *gi = dh_info(group);
	struct ike_dh *dh;
	int r;

	*out = NULL;
	if (!gi)
		return -ENOTSUP;
	dh = calloc(1, sizeof(*dh));
	if (!dh)
		return -ENOMEM;
	dh->info = gi;
	switch (gi->kind) {
	case DH_MODP:
		r = modp_new(dh, priv, priv_len);
		break;
	case DH_ECP:
		r = ecp_new(dh, priv, priv_len);
		break;
	default:
		r = x25519_new(dh, priv, priv_len);
		break;
	}
	if (r < 0) {
		ERR_clear_error();
		ike_dh_free(dh);
		return r;
	}
	*out = dh;
	return 0;
}

/* Fresh random key pair for group. */
int ike_dh_new(struct ike_dh **out, uint16_t group)
{
	return dh_create(out, group, NULL, 0);
}

/* Known private key (tests). */
int ike_dh_new_with_private(struct ike_dh **out, uint16_t group,
			    const uint8_t *priv, size_t priv_len)
{
	if (!priv) {
		*out = NULL;
		return -EINVAL;
	}
	return dh_create(out, group, priv, priv_len);
}

/* EVP derive of our key with peer into shared->ptr[0..len). */
static int evp_derive(const struct ike_dh *dh, EVP_PKEY *peer,
		      struct ike_key *shared)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->pkey, NULL);
	size_t len = dh->info->shared_len;
	int r = -EINVAL;

	if (!ctx || EVP_PKEY_derive_init(ctx) <= 0)
		goto out;
	/* MODP: keep leading zeros (RFC 7296 2.14); the range check above is
	 * the whole validation a safe-prime group needs, so the costly
	 * subgroup check is skipped.  ECP: the import already checked the
	 * point, a second public check is cheap. */
	if (dh->info->kind == DH_MODP) {
		if (EVP_PKEY_CTX_set_dh_pad(ctx, 1) <= 0 ||
		    EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) <= 0)
			goto out;
	} else if (EVP_PKEY_derive_set_peer_ex(ctx, peer, 1) <= 0) {
		goto out;
	}
	r = ike_key_alloc(shared, len);
	if (r < 0)
		goto out;
	if (EVP_PKEY_derive(ctx, shared->ptr, &len) <= 0 ||
	    len != dh->info->shared_len) {
		ike_key_free(shared);
		r = -EINVAL;
	}
out:
	EVP_PKEY_CTX_free(ctx);
	return r;
}

/* Validate the peer's KE data and compute g^ir.  See ike_dh.h. */
int ike_dh_compute(const struct ike_dh *dh, const uint8_t *peer, size_t peer_len,
		   struct ike_key *shared)
{
	const struct dh_group_info *gi = dh->info;
	EVP_PKEY *pk = NULL;
	int r;

	shared->ptr = NULL;
	shared->len = 0;
	if (!peer || peer_len != gi->pub_len)
		return -EINVAL;
	if (gi->kind == DH_X25519) {
		r = ike_key_alloc(shared, crypto_scalarmult_BYTES);
		if (r < 0)
			return r;
		/* RFC 8031 2: reject the all-zero output of a low-order
		 * point; libsodium returns -1 for it */
		if (crypto_scalarmult(shared->ptr, dh->x_priv, peer) != 0) {
			ike_key_free(shared);
			return -EINVAL;
		}
		return 0;
	}
	r = gi->kind == DH_MODP ? modp_peer(dh, peer, peer_len, &pk)
				: ecp_peer(dh, peer, peer_len, &pk);
	if (r == 0)
		r = evp_derive(dh, pk, shared);
	EVP_PKEY_free(pk);
	if (r < 0)
		ERR_clear_error();
	return r;
}

/* Wipe and free a context. */
void ike_dh_free(struct ike_dh *dh)
{
	if (!dh)
		return;
	EVP_PKEY_free(dh->pkey);	/* OpenSSL clears private BIGNUMs */
	if (dh->x_priv)
		sodium_free(dh->x_priv);
	sodium_memzero(dh, sizeof(*dh));
	free(dh);
}
