/*
 * fuzz_auth.c — ike_auth_verify / ike_auth_psk_verify on attacker-controlled
 * AUTH payload data (RFC 7296 2.15, 3.8; RFC 4754; RFC 7427; RFC 8420).
 *
 * Input: byte 0 selects the case, the rest is the AUTH data (the payload
 * body after the 4-byte Auth Method / RESERVED header).
 *   high nibble % 7: method  1, 9, 10, 11, 14, 2 (shared key), 13 (NULL
 *                    auth, which ike_auth_verify must refuse with -ENOTSUP)
 *   low nibble:      signature methods: key % 5 = RSA-2048, P-256, P-384,
 *                    P-521, Ed25519 (public halves only, as a certificate
 *                    would give them; every method meets every key type);
 *                    method 2: prf % 7 = HMAC-SHA1, AES-XCBC,
 *                    HMAC-SHA2-256/384/512, AES-CMAC, HMAC-MD5 (which
 *                    libike does not implement: must give -ENOTSUP)
 * The signed octets and the shared secret are fixed strings.
 *
 * Oracles (besides ASan/UBSan/LSan):
 *  - the return value is one of the documented ones: 0 / -EACCES, and
 *    -ENOTSUP exactly for methods other than 1, 9, 10, 11, 14;
 *  - a signature never verifies unless (method, key, AUTH data) is one of the
 *    valid signatures of the seed corpus, whose SHA-256 digests are listed in
 *    fz_valid[] below: on random data, forging one is impossible;
 *  - a shared-key AUTH verifies exactly when it equals ike_auth_psk()'s.
 *
 * Keys are fixed (the seed corpus carries signatures made with them):
 * tests/unit/data/rsa2048.pem and the EC test keys below (openssl genpkey,
 * test only); Ed25519 uses the RFC 8032 7.1 TEST 1 secret key.
 *
 * Built with -DAUTH_GEN_MAIN this file is instead the generator of the seed
 * corpus:  fuzz_auth_gen DIR  writes valid AUTH data for every method / key /
 * hash (ECDSA and RSASSA-PSS are randomized) plus edge cases and prints the
 * digests of the valid ones for fz_valid[].  Regenerating the corpus means
 * replacing fz_valid[] with the printed table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "ike_auth.h"
#include "ike_crypto.h"

/* tests/unit/data/rsa2048.pem (test only) */
static const char fz_rsa_pem[] =
#include "../unit/data/rsa2048.pem.inc"
;

/* openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 (test only) */
static const char fz_p256_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgtj9GqtDDZqDmam6o\n"
	"aZiLh8wjYzMnSqO6rgMVGRHptpqhRANCAAR386AVZjxgb+ivLGQjzRb3e7FToOwQ\n"
	"RbHtk7UhmNeDh664gcgqsbFgIdNidbfkaSNAp77FRK2J/SbKDJ26bL6U\n"
	"-----END PRIVATE KEY-----\n";

/* ... ec_paramgen_curve:P-384 (test only) */
static const char fz_p384_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDD8SXXVqiUTmJ9oyW1V\n"
	"aYq2RC9p0AS97qrIQJY/SLdu8BIPgnPJt+CRzuk7MQYZJeyhZANiAARuCS/RgoZP\n"
	"fxdsLScIDAY42kw1Yobb3RXT1U3/ClJrFIcBgnSCyDworOk230CD+WYLSDwpSIaF\n"
	"1NzwtgicPVfn7QX+mNtIHqx62VinKL5Ac/R0bNQNFErXv1387PdVuuk=\n"
	"-----END PRIVATE KEY-----\n";

/* ... ec_paramgen_curve:P-521 (test only) */
static const char fz_p521_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIHuAgEAMBAGByqGSM49AgEGBSuBBAAjBIHWMIHTAgEBBEIAK5CUeMrxPYXFLYZ1\n"
	"5p4T9RCTQLWURbVqngdG4Euno5ya3YVvhJNEHdmBpNxRuyCeCnWKFEEA5l7ma3za\n"
	"hI1JBLGhgYkDgYYABACLSpt2Wf2Ppw74ZQ1zImmEKoy6I9cfwF8su2uV+l4FlL9b\n"
	"kQ85IjgQNEM6W07Z2F1BpZ7Ql0aNOEpjKKeE1ZuR2QHhpBrX0bpoJKUkeUlqfbWS\n"
	"j/oZmDd0wKNwAGN9gw5QC6uBXDgfRuIFtn3aD8Ub/YRnv0AtWGBA4J1LfVyH84nK\n"
	"NA==\n"
	"-----END PRIVATE KEY-----\n";

/* RFC 8032 section 7.1 TEST 1 SECRET KEY */
static const uint8_t fz_ed25519_seed[32] = {
	0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4,
	0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19,
	0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
};

static const char fz_octets[] =
	"fuzz_auth: RealMessage | NonceData | prf(SK_p, RestOfIDPayload)";
#define FZ_OCTETS_LEN (sizeof(fz_octets) - 1)
static const char fz_psk[] = "fuzz_auth pre-shared key";
#define FZ_PSK_LEN (sizeof(fz_psk) - 1)

#define FZ_N_METHODS 7
#define FZ_M_PSK 5
static const uint8_t fz_methods[FZ_N_METHODS] = {
	IKE_AUTH_RSA_SIG, IKE_AUTH_ECDSA_256, IKE_AUTH_ECDSA_384,
	IKE_AUTH_ECDSA_521, IKE_AUTH_DIGITAL_SIG, IKE_AUTH_PSK, IKE_AUTH_NULL,
};

#define FZ_N_KEYS 5
#define FZ_N_PRFS 7
static const uint16_t fz_prfs[FZ_N_PRFS] = {
	IKE_PRF_HMAC_SHA1, IKE_PRF_AES128_XCBC, IKE_PRF_HMAC_SHA2_256,
	IKE_PRF_HMAC_SHA2_384, IKE_PRF_HMAC_SHA2_512, IKE_PRF_AES128_CMAC,
	IKE_PRF_HMAC_MD5,
};

/*
 * SHA-256(method | key index | AUTH data) of every valid signature in
 * tests/fuzz/corpus/auth (printed by the generator, see the file comment).
 */
static const uint8_t fz_valid[][32] = {
	{ 0x94, 0xc0, 0x8d, 0x0e, 0x64, 0x48, 0x3b, 0xde, 0xce, 0xb4, 0x80, 0x21,
	  0x40, 0x32, 0xe9, 0x30, 0x1f, 0x20, 0x3d, 0x3b, 0x96, 0x8c, 0xfb, 0x2c,
	  0x55, 0x62, 0x9d, 0x7b, 0xef, 0xda, 0xf0, 0x4f },
	{ 0x87, 0xa7, 0x28, 0xde, 0x7d, 0xd4, 0x97, 0x3b, 0x63, 0x34, 0x16, 0x15,
	  0x7b, 0x88, 0xea, 0x36, 0x90, 0x39, 0x4c, 0x19, 0xcd, 0xe5, 0x29, 0x23,
	  0xba, 0x71, 0x30, 0xd5, 0x04, 0x38, 0x2b, 0x16 },
	{ 0x7f, 0xd5, 0xa2, 0x65, 0x0d, 0x9a, 0xa5, 0x88, 0x31, 0xb6, 0x95, 0x9b,
	  0xc9, 0xfc, 0x58, 0x28, 0x8c, 0x0b, 0x8e, 0x5d, 0xaf, 0xf5, 0x25, 0x7b,
	  0x30, 0x96, 0x1b, 0xa2, 0x6e, 0x8b, 0x9b, 0x81 },
	{ 0x0b, 0xfb, 0xee, 0x77, 0x29, 0x73, 0x2e, 0x2f, 0xd7, 0x2d, 0xde, 0xa7,
	  0x6a, 0x82, 0xc6, 0xa2, 0xa4, 0xf5, 0x16, 0x22, 0x84, 0xbe, 0x42, 0x40,
	  0xbe, 0x87, 0xb6, 0x4d, 0x69, 0xdd, 0x2f, 0xbe },
	{ 0x59, 0x73, 0x89, 0xab, 0xc9, 0x79, 0x3e, 0x97, 0xaf, 0x8d, 0x90, 0x69,
	  0x8e, 0xef, 0x04, 0x9b, 0x15, 0x0c, 0xfb, 0x5a, 0xa0, 0x65, 0x7a, 0x4a,
	  0xad, 0x64, 0x2e, 0xea, 0x64, 0x54, 0xf2, 0xc1 },
	{ 0x75, 0x8c, 0x15, 0x01, 0x79, 0xb1, 0x46, 0x2b, 0x8a, 0x4a, 0x0c, 0x74,
	  0xb9, 0x00, 0x6e, 0x43, 0xbd, 0xcd, 0xbb, 0x41, 0xd4, 0x5e, 0x13, 0x1e,
	  0x1d, 0xa2, 0x7f, 0xfb, 0xc0, 0x68, 0x56, 0xf8 },
	{ 0x37, 0x43, 0x3b, 0x15, 0x68, 0xe6, 0x40, 0xa4, 0x4f, 0x7a, 0xbd, 0x50,
	  0x29, 0x90, 0x24, 0x3e, 0x62, 0xcd, 0x2f, 0x2c, 0xab, 0x8d, 0xbe, 0xe3,
	  0x8f, 0x3f, 0xaf, 0x62, 0x93, 0x45, 0x9e, 0x3e },
	{ 0xc9, 0x11, 0x18, 0x88, 0x32, 0xc2, 0x34, 0xa8, 0x51, 0x2a, 0xb2, 0xb6,
	  0x1d, 0x7b, 0x22, 0x61, 0xa2, 0x02, 0x2b, 0x66, 0x0a, 0xfc, 0x69, 0x81,
	  0xe4, 0xf7, 0x8c, 0x08, 0x41, 0x18, 0x84, 0x62 },
	{ 0x07, 0x26, 0xab, 0x4c, 0x3c, 0x80, 0x12, 0xac, 0xb4, 0xd4, 0x4b, 0xe4,
	  0x32, 0x00, 0xff, 0x26, 0x54, 0x25, 0xd2, 0x4b, 0xb1, 0x8d, 0x52, 0xb1,
	  0x75, 0xe5, 0xed, 0x1e, 0xde, 0x9d, 0x4d, 0xa1 },
	{ 0x54, 0xc0, 0x03, 0x2f, 0x08, 0x0a, 0x1d, 0x43, 0xb1, 0x12, 0x98, 0xf7,
	  0x21, 0x17, 0x1c, 0x2b, 0x24, 0x42, 0xf0, 0x2b, 0x33, 0x64, 0x7b, 0x48,
	  0xcc, 0x44, 0x6b, 0xfe, 0xe5, 0x97, 0x48, 0x61 },
	{ 0x64, 0x78, 0xf9, 0x0d, 0xe6, 0xb4, 0x43, 0x61, 0xee, 0x99, 0x27, 0xf5,
	  0x21, 0xb1, 0x2c, 0xab, 0x4d, 0x03, 0x66, 0xbb, 0xd4, 0x0f, 0xf9, 0xe7,
	  0x90, 0xe5, 0x69, 0xe4, 0xdb, 0x2b, 0x8e, 0x5b },
	{ 0xa6, 0xd8, 0xbf, 0xb5, 0xf7, 0xee, 0x86, 0xfe, 0x79, 0xc5, 0x69, 0xc9,
	  0xa0, 0x70, 0xce, 0xf1, 0xef, 0xd9, 0x80, 0x5d, 0xd9, 0x4c, 0xba, 0xe5,
	  0x2f, 0x29, 0xaf, 0xd5, 0xa4, 0xc4, 0x55, 0x3f },
	{ 0x96, 0xd9, 0x6c, 0x5b, 0x12, 0x29, 0xea, 0x87, 0x31, 0xb1, 0x55, 0x95,
	  0x5c, 0x5c, 0x19, 0x1a, 0xde, 0xdc, 0x8a, 0x00, 0x5f, 0x77, 0x3d, 0xbe,
	  0x7a, 0x0c, 0xf4, 0xa2, 0x20, 0x70, 0xd3, 0x05 },
	{ 0xff, 0x1b, 0x29, 0x6d, 0xdc, 0x40, 0x8f, 0xe9, 0x3f, 0x65, 0xda, 0x25,
	  0xe6, 0xaa, 0x4e, 0x9c, 0x8a, 0xf4, 0xc9, 0xaf, 0x59, 0x4c, 0xac, 0x92,
	  0x33, 0x25, 0xfa, 0xd4, 0x1c, 0xa8, 0x10, 0xa3 },
	{ 0x8f, 0x2e, 0xec, 0xe7, 0xb3, 0x69, 0x5b, 0xdd, 0x77, 0x39, 0x95, 0xc2,
	  0x79, 0xfb, 0xfa, 0x47, 0xc8, 0xdf, 0xc3, 0xe3, 0x41, 0x4c, 0x27, 0xac,
	  0x58, 0xf6, 0x46, 0xb3, 0x04, 0x2e, 0xc7, 0xd3 },
	{ 0x60, 0xec, 0x94, 0xf0, 0xd6, 0x4f, 0x41, 0xc1, 0x5b, 0xbb, 0xf8, 0x5d,
	  0x03, 0x16, 0xf5, 0xa3, 0x2b, 0x24, 0x8a, 0x34, 0x0b, 0xcf, 0x64, 0xbe,
	  0x61, 0x31, 0x2f, 0x54, 0xa5, 0x6c, 0xfa, 0xb6 },
	{ 0x8c, 0x9a, 0xbc, 0xe4, 0xa5, 0xbb, 0xbe, 0xb9, 0x23, 0x42, 0xfb, 0x67,
	  0x19, 0x3a, 0x5d, 0x36, 0x87, 0x32, 0x76, 0x60, 0x41, 0x6b, 0x28, 0x1b,
	  0x58, 0x6b, 0x4d, 0x6b, 0xff, 0x71, 0xb5, 0x50 },
	{ 0x99, 0xab, 0xda, 0x3b, 0x79, 0x21, 0x4d, 0x1e, 0xda, 0x35, 0xfc, 0x60,
	  0x2f, 0x08, 0x80, 0x0f, 0x72, 0xfd, 0x0b, 0x75, 0xd0, 0x55, 0xeb, 0xda,
	  0x60, 0x43, 0xa6, 0x08, 0xc8, 0x21, 0x03, 0x40 },
	{ 0xde, 0x47, 0x3c, 0x83, 0xf9, 0x31, 0x2b, 0xf5, 0x49, 0x48, 0xdc, 0x39,
	  0xc7, 0x07, 0x9d, 0x83, 0x4c, 0x22, 0x0b, 0xc0, 0x8e, 0xf2, 0x1e, 0xf4,
	  0x22, 0x88, 0xff, 0xc4, 0xee, 0xec, 0xde, 0xf9 },
	{ 0x18, 0x89, 0x32, 0x10, 0x07, 0x03, 0xa0, 0x38, 0x67, 0x91, 0xf1, 0x9f,
	  0x15, 0xec, 0xda, 0xd2, 0x85, 0xb2, 0x91, 0x63, 0x66, 0x1e, 0x29, 0x2e,
	  0x48, 0xe6, 0x5c, 0xb1, 0x11, 0xd7, 0x4c, 0x9c },
	{ 0xd9, 0xa9, 0x00, 0xda, 0x8c, 0x8e, 0x23, 0x2d, 0xde, 0xcc, 0xaf, 0x07,
	  0xe7, 0x99, 0xd9, 0x71, 0x39, 0x85, 0xf2, 0xd9, 0x49, 0xbf, 0x11, 0x0d,
	  0xc6, 0xc7, 0xf7, 0xa0, 0xda, 0x2e, 0x1c, 0x54 },
};
#define FZ_N_VALID (sizeof(fz_valid) / sizeof(fz_valid[0]))

static EVP_PKEY *fz_priv[FZ_N_KEYS];	/* private keys (generator only) */
static EVP_PKEY *fz_pub[FZ_N_KEYS];	/* their public halves */
static int fz_ready;

/* Parse a PEM private key; abort on failure. */
static EVP_PKEY *fz_load_pem(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	if (!k)
		abort();
	return k;
}

/* The public half of k, through SubjectPublicKeyInfo DER; abort on failure. */
static EVP_PKEY *fz_pub_of(EVP_PKEY *k)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int n = i2d_PUBKEY(k, &der);
	EVP_PKEY *pub;

	if (n <= 0)
		abort();
	p = der;
	pub = d2i_PUBKEY(NULL, &p, n);
	OPENSSL_free(der);
	if (!pub)
		abort();
	return pub;
}

/* Load the five fixed keys once. */
static void fz_setup(void)
{
	if (ike_init() < 0)
		abort();
	fz_priv[0] = fz_load_pem(fz_rsa_pem);
	fz_priv[1] = fz_load_pem(fz_p256_pem);
	fz_priv[2] = fz_load_pem(fz_p384_pem);
	fz_priv[3] = fz_load_pem(fz_p521_pem);
	fz_priv[4] = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
						  fz_ed25519_seed,
						  sizeof(fz_ed25519_seed));
	if (!fz_priv[4])
		abort();
	for (int i = 0; i < FZ_N_KEYS; i++)
		fz_pub[i] = fz_pub_of(fz_priv[i]);
	fz_ready = 1;
}

/* SHA-256(method | key | auth) into d. */
static void fz_digest(uint8_t method, uint8_t key, const uint8_t *auth,
		      size_t len, uint8_t d[32])
{
	crypto_hash_sha256_state st;
	uint8_t hdr[2] = { method, key };

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, hdr, sizeof(hdr));
	crypto_hash_sha256_update(&st, auth, len);
	crypto_hash_sha256_final(&st, d);
}

/* Is (method, key, auth) one of the known-valid seed signatures? */
static bool fz_known_valid(uint8_t method, uint8_t key, const uint8_t *auth,
			   size_t len)
{
	uint8_t d[32];

	fz_digest(method, key, auth, len, d);
	for (size_t i = 0; i < FZ_N_VALID; i++)
		if (memcmp(d, fz_valid[i], sizeof(d)) == 0)
			return true;
	return false;
}

/* Shared-key AUTH: verify must agree with a recomputation; a prf libike
 * does not implement gives -ENOTSUP. */
static void fz_psk_case(uint16_t prf, const uint8_t *auth, size_t len)
{
	uint8_t want[64];
	int n, r;

	r = ike_auth_psk_verify(prf, (const uint8_t *)fz_psk, FZ_PSK_LEN,
				(const uint8_t *)fz_octets, FZ_OCTETS_LEN,
				auth, len);
	if (ike_prf_len(prf) == 0) {
		if (r != -ENOTSUP)
			abort();
		return;
	}
	n = ike_auth_psk(prf, (const uint8_t *)fz_psk, FZ_PSK_LEN,
			 (const uint8_t *)fz_octets, FZ_OCTETS_LEN, want);
	if (n <= 0 || (size_t)n > sizeof(want))
		abort();
	if (r == 0) {
		if (len != (size_t)n || memcmp(auth, want, len) != 0)
			abort();
	} else if (r != -EACCES || (len == (size_t)n &&
				    memcmp(auth, want, len) == 0)) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_auth_sig used;
	const uint8_t *auth;
	uint8_t method, key;
	size_t len;
	int r;

	if (!fz_ready)
		fz_setup();
	if (size < 1)
		return 0;
	method = fz_methods[(data[0] >> 4) % FZ_N_METHODS];
	auth = data + 1;
	len = size - 1;
	if (method == IKE_AUTH_PSK) {
		fz_psk_case(fz_prfs[(data[0] & 15) % FZ_N_PRFS], auth, len);
		return 0;
	}
	key = (uint8_t)((data[0] & 15) % FZ_N_KEYS);
	r = ike_auth_verify(method, len ? auth : NULL, len, fz_pub[key],
			    (const uint8_t *)fz_octets, FZ_OCTETS_LEN, &used);
	if (used.method != method)
		abort();
	if (method == IKE_AUTH_NULL) {
		if (r != -ENOTSUP)
			abort();
		return 0;
	}
	if (r == 0) {
		if (!fz_known_valid(method, key, auth, len))
			abort();	/* a signature we never made verified */
	} else if (r != -EACCES) {
		abort();
	}
	ERR_clear_error();
	return 0;
}

#ifdef AUTH_GEN_MAIN
/* Write one seed file: selector byte then AUTH data. */
static void gen_write(const char *dir, const char *name, uint8_t sel,
		      const uint8_t *auth, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(&sel, 1, 1, f) != 1 ||
	    (len && fwrite(auth, 1, len, f) != len) || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Selector byte for fz_methods[mi] and key / prf index k. */
static uint8_t gen_sel(int mi, int k)
{
	return (uint8_t)(mi << 4 | k);
}

/* Sign with key k as (method, hash, pss); the AUTH data is left in b. */
static void gen_sign(struct ike_buf *b, int k, uint8_t method, uint8_t hash,
		     bool pss)
{
	struct ike_auth_sig s = { .method = method, .hash = hash, .rsa_pss = pss };

	for (;;) {
		ike_buf_reset(b);
		if (ike_auth_sign(&s, fz_priv[k], (const uint8_t *)fz_octets,
				  FZ_OCTETS_LEN, b) < 0)
			abort();
		/* keep RSA signatures free of a leading zero octet so a
		 * mutation that strips it tests length checking, not luck */
		if (!(k == 0 && b->data[b->len - 256] == 0))
			break;
	}
	if (ike_auth_verify(method, b->data, b->len, fz_pub[k],
			    (const uint8_t *)fz_octets, FZ_OCTETS_LEN, NULL) != 0)
		abort();
}

/* Write a valid signature seed and print its digest line. */
static void gen_valid(const char *dir, const char *name, int mi, int k,
		      const struct ike_buf *b)
{
	uint8_t d[32];

	gen_write(dir, name, gen_sel(mi, k), b->data, b->len);
	fz_digest(fz_methods[mi], (uint8_t)k, b->data, b->len, d);
	printf("\t{ ");
	for (int i = 0; i < 32; i++)
		printf("0x%02x,%s", d[i], i == 31 ? " },\n" :
		       (i % 12 == 11 ? "\n\t  " : " "));
}

int main(int argc, char **argv)
{
	static const char *const kname[FZ_N_KEYS] = {
		"rsa", "p256", "p384", "p521", "ed25519",
	};
	static const struct { uint8_t hash; bool pss; const char *name; } rsa14[] = {
		{ IKE_HASH_SHA1, false, "sha1" },
		{ IKE_HASH_SHA2_256, false, "sha256" },
		{ IKE_HASH_SHA2_384, false, "sha384" },
		{ IKE_HASH_SHA2_512, false, "sha512" },
		{ IKE_HASH_SHA2_256, true, "pss-sha256" },
		{ IKE_HASH_SHA2_384, true, "pss-sha384" },
		{ IKE_HASH_SHA2_512, true, "pss-sha512" },
	};
	static const char *const ecname[3] = { "sha256", "sha384", "sha512" };
	uint8_t big[IKE_AUTH_MAX_DATA + 1], psk[64];
	struct ike_buf b;
	char name[128];

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	fz_setup();
	ike_buf_init(&b);

	/* classic methods: 1 (RSA), 9/10/11 (curve) */
	gen_sign(&b, 0, IKE_AUTH_RSA_SIG, IKE_HASH_SHA1, false);
	gen_valid(argv[1], "valid-m1-rsa", 0, 0, &b);
	for (int k = 1; k <= 3; k++) {
		snprintf(name, sizeof(name), "valid-m%d-%s", fz_methods[k], kname[k]);
		gen_sign(&b, k, fz_methods[k], 0, false);
		gen_valid(argv[1], name, k, k, &b);
	}
	/* method 14 (RFC 7427) with every AlgorithmIdentifier of our table */
	for (size_t i = 0; i < sizeof(rsa14) / sizeof(rsa14[0]); i++) {
		snprintf(name, sizeof(name), "valid-m14-rsa-%s", rsa14[i].name);
		gen_sign(&b, 0, IKE_AUTH_DIGITAL_SIG, rsa14[i].hash, rsa14[i].pss);
		gen_valid(argv[1], name, 4, 0, &b);
	}
	for (int k = 1; k <= 3; k++)
		for (int h = 0; h < 3; h++) {
			snprintf(name, sizeof(name), "valid-m14-%s-%s", kname[k],
				 ecname[h]);
			gen_sign(&b, k, IKE_AUTH_DIGITAL_SIG,
				 (uint8_t)(IKE_HASH_SHA2_256 + h), false);
			gen_valid(argv[1], name, 4, k, &b);
		}
	gen_sign(&b, 4, IKE_AUTH_DIGITAL_SIG, IKE_HASH_IDENTITY, false);
	gen_valid(argv[1], "valid-m14-ed25519", 4, 4, &b);

	/* shared key AUTH for every prf (the last, HMAC-MD5, is unsupported) */
	memset(psk, 0x5c, sizeof(psk));
	gen_write(argv[1], "edge-m2-md5", gen_sel(FZ_M_PSK, FZ_N_PRFS - 1), psk, 16);
	for (int p = 0; p < FZ_N_PRFS - 1; p++) {
		int n = ike_auth_psk(fz_prfs[p], (const uint8_t *)fz_psk,
				     FZ_PSK_LEN, (const uint8_t *)fz_octets,
				     FZ_OCTETS_LEN, psk);

		if (n <= 0)
			abort();
		snprintf(name, sizeof(name), "valid-m2-prf%u", fz_prfs[p]);
		gen_write(argv[1], name, gen_sel(FZ_M_PSK, p), psk, (size_t)n);
		psk[n - 1] ^= 1;
		snprintf(name, sizeof(name), "edge-m2-prf%u-flipped", fz_prfs[p]);
		gen_write(argv[1], name, gen_sel(FZ_M_PSK, p), psk, (size_t)n);
	}

	/* edge cases */
	gen_write(argv[1], "edge-empty", gen_sel(4, 0), NULL, 0);
	gen_write(argv[1], "edge-null-auth", gen_sel(6, 0), (const uint8_t *)"x", 1);
	memset(big, 0x41, sizeof(big));
	big[0] = 15;
	gen_write(argv[1], "edge-m14-over-max", gen_sel(4, 0), big, sizeof(big));
	/* a valid ECDSA-256 r | s presented with the P-384 key (method 9) */
	gen_sign(&b, 1, IKE_AUTH_ECDSA_256, 0, false);
	gen_write(argv[1], "edge-m9-wrong-curve", gen_sel(1, 2), b.data, b.len);
	gen_write(argv[1], "edge-m9-truncated", gen_sel(1, 1), b.data, b.len - 1);
	/* r = 0, s = 0 */
	memset(big, 0, 64);
	gen_write(argv[1], "edge-m9-zero", gen_sel(1, 1), big, 64);
	/* r = s = all ones (>= n) */
	memset(big, 0xff, 132);
	gen_write(argv[1], "edge-m11-ones", gen_sel(3, 3), big, 132);
	/* RSA method 1: last byte flipped, leading octet dropped, with a
	 * leading zero octet added */
	gen_sign(&b, 0, IKE_AUTH_RSA_SIG, IKE_HASH_SHA1, false);
	b.data[b.len - 1] ^= 1;
	gen_write(argv[1], "edge-m1-flipped", gen_sel(0, 0), b.data, b.len);
	b.data[b.len - 1] ^= 1;
	gen_write(argv[1], "edge-m1-short", gen_sel(0, 0), b.data + 1, b.len - 1);
	big[0] = 0;
	memcpy(big + 1, b.data, b.len);
	gen_write(argv[1], "edge-m1-long", gen_sel(0, 0), big, b.len + 1);
	/* method 1 signature presented with the Ed25519 / P-256 keys */
	gen_write(argv[1], "edge-m1-ed25519-key", gen_sel(0, 4), b.data, b.len);
	/* method 14: RSA PKCS#1 SHA-256 AlgId with the P-256 key (algorithm
	 * substitution), AlgId length 0, AlgId length = everything (no
	 * signature), AlgId length beyond the data, unknown AlgId */
	gen_sign(&b, 0, IKE_AUTH_DIGITAL_SIG, IKE_HASH_SHA2_256, false);
	gen_write(argv[1], "edge-m14-rsa-algid-ec-key", gen_sel(4, 1), b.data, b.len);
	gen_write(argv[1], "edge-m14-algid-only", gen_sel(4, 0), b.data,
		  1 + (size_t)b.data[0]);
	big[0] = 0;
	memcpy(big + 1, b.data + 1, b.len - 1);
	gen_write(argv[1], "edge-m14-algid-len0", gen_sel(4, 0), big, b.len);
	big[0] = 0xff;
	gen_write(argv[1], "edge-m14-algid-len255", gen_sel(4, 0), big, 40);
	memcpy(big, b.data, b.len);
	big[1 + 12] ^= 0x80;	/* OID byte of sha256WithRSAEncryption */
	gen_write(argv[1], "edge-m14-unknown-algid", gen_sel(4, 0), big, b.len);
	/* Ed25519 signature with the high bit of S set (non-canonical) */
	gen_sign(&b, 4, IKE_AUTH_DIGITAL_SIG, IKE_HASH_IDENTITY, false);
	b.data[b.len - 1] |= 0x80;
	gen_write(argv[1], "edge-m14-ed25519-big-s", gen_sel(4, 4), b.data, b.len);
	ike_buf_free(&b);
	for (int k = 0; k < FZ_N_KEYS; k++) {
		EVP_PKEY_free(fz_priv[k]);
		EVP_PKEY_free(fz_pub[k]);
	}
	return 0;
}
#endif
