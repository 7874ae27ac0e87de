/*
 * ike_sk_crypt.c — protection of the Encrypted (SK) and Encrypted Fragment
 * (SKF) payloads.
 *
 *  CBC + HMAC / XCBC / CMAC   RFC 7296 section 3.14 (AES-CBC RFC 3602,
 *                             3DES-CBC RFC 2451, legacy only)
 *  AES-GCM 8/12/16-byte ICV   RFC 5282 (key = key | 4-byte salt,
 *                             nonce = salt | 8-byte IV, AAD = msg[0..body_off))
 *  SKF                        RFC 7383 section 2.5 (same processing, the
 *                             fragment fields are part of the AAD / ICV)
 *
 * Layout after body_off:  IV | ciphertext(plain | padding | pad length) | ICV
 *
 * Received messages: every length is checked with subtraction-only bounds
 * tests before use; for CBC the ICV is verified in constant time before a
 * single byte is decrypted; any failure yields -EBADMSG and a wiped output.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "ike_crypto.h"

#define GCM_SALT_LEN 4
#define GCM_IV_LEN 8
#define GCM_NONCE_LEN 12
#define ICV_MAX 32		/* HMAC-SHA2-512-256 */
#define SK_LEN_OFF 2		/* payload length in the generic header */
#define HDR_LEN_OFF 24		/* message length in the IKE header */

/* ---- algorithm facts ------------------------------------------------------- */

/* True for the AEAD ciphers we implement (AES-GCM, RFC 5282). */
bool ike_encr_is_aead(uint16_t encr)
{
	return encr == IKE_ENCR_AES_GCM_8 || encr == IKE_ENCR_AES_GCM_12 ||
	       encr == IKE_ENCR_AES_GCM_16;
}

/* AES key size in bytes for a Key Length attribute, 0 when invalid. */
static size_t aes_key_bytes(uint16_t keylen_bits)
{
	switch (keylen_bits) {
	case 128: return 16;
	case 192: return 24;
	case 256: return 32;
	default: return 0;	/* the attribute is mandatory for AES */
	}
}

/* Bytes of SK_e for ENCR, including the 4-byte GCM salt (RFC 5282 7.1). */
size_t ike_encr_keymat_len(uint16_t encr, uint16_t keylen_bits)
{
	size_t k;

	switch (encr) {
	case IKE_ENCR_3DES:
		return keylen_bits == 0 || keylen_bits == 192 ? 24 : 0;
	case IKE_ENCR_AES_CBC:
		return aes_key_bytes(keylen_bits);
	case IKE_ENCR_AES_GCM_8:
	case IKE_ENCR_AES_GCM_12:
	case IKE_ENCR_AES_GCM_16:
		k = aes_key_bytes(keylen_bits);
		return k ? k + GCM_SALT_LEN : 0;
	default:
		return 0;
	}
}

/* IV carried in the SK payload. */
size_t ike_encr_iv_len(uint16_t encr)
{
	switch (encr) {
	case IKE_ENCR_3DES: return 8;
	case IKE_ENCR_AES_CBC: return 16;
	case IKE_ENCR_AES_GCM_8:
	case IKE_ENCR_AES_GCM_12:
	case IKE_ENCR_AES_GCM_16: return GCM_IV_LEN;
	default: return 0;
	}
}

/* Padding alignment: the cipher block for CBC, 1 (none) for GCM. */
size_t ike_encr_block_len(uint16_t encr)
{
	switch (encr) {
	case IKE_ENCR_3DES: return 8;
	case IKE_ENCR_AES_CBC: return 16;
	case IKE_ENCR_AES_GCM_8:
	case IKE_ENCR_AES_GCM_12:
	case IKE_ENCR_AES_GCM_16: return 1;
	default: return 0;
	}
}

/* AEAD tag length (RFC 5282 section 7.1), 0 for non-AEAD ciphers. */
size_t ike_encr_icv_len(uint16_t encr)
{
	switch (encr) {
	case IKE_ENCR_AES_GCM_8: return 8;
	case IKE_ENCR_AES_GCM_12: return 12;
	case IKE_ENCR_AES_GCM_16: return 16;
	default: return 0;
	}
}

/* ---- raw AES-GCM ------------------------------------------------------------- */

/* EVP cipher for AES-GCM with a key of keylen bytes, NULL when invalid. */
static const EVP_CIPHER *gcm_cipher(size_t keylen)
{
	switch (keylen) {
	case 16: return EVP_aes_128_gcm();
	case 24: return EVP_aes_192_gcm();
	case 32: return EVP_aes_256_gcm();
	default: return NULL;
	}
}

/* Shared set-up of an AES-GCM context for either direction. */
static int gcm_ctx(EVP_CIPHER_CTX **out, int enc, const uint8_t *key,
		   size_t keylen, const uint8_t nonce[12], size_t taglen)
{
	const EVP_CIPHER *c = gcm_cipher(keylen);
	EVP_CIPHER_CTX *ctx;

	if (!c || !key || !nonce ||
	    (taglen != 8 && taglen != 12 && taglen != 16))
		return -EINVAL;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -ENOMEM;
	if (EVP_CipherInit_ex(ctx, c, NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, GCM_NONCE_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1) {
		EVP_CIPHER_CTX_free(ctx);
		return -EINVAL;
	}
	*out = ctx;
	return 0;
}

/* Feed the AAD and process len bytes (len < INT_MAX is guaranteed). */
static int gcm_body(EVP_CIPHER_CTX *ctx, const uint8_t *aad, size_t aadlen,
		    const uint8_t *in, size_t len, uint8_t *out)
{
	int outl;

	if (aadlen > IKE_MAX_MSG_LEN || len > IKE_MAX_MSG_LEN)
		return -EINVAL;
	if (aadlen && EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aadlen) != 1)
		return -EINVAL;
	if (len && (EVP_CipherUpdate(ctx, out, &outl, in, (int)len) != 1 ||
		    (size_t)outl != len))
		return -EINVAL;
	return 0;
}

/* AES-GCM encryption: out = E(in), tag = taglen bytes of the GCM tag. */
int ike_aes_gcm_seal(const uint8_t *key, size_t keylen, const uint8_t nonce[12],
		     const uint8_t *aad, size_t aadlen,
		     const uint8_t *in, size_t len, uint8_t *out,
		     uint8_t *tag, size_t taglen)
{
	EVP_CIPHER_CTX *ctx;
	uint8_t fin[16];
	int outl = 0, r;

	r = gcm_ctx(&ctx, 1, key, keylen, nonce, taglen);
	if (r < 0)
		return r;
	r = gcm_body(ctx, aad, aadlen, in, len, out);
	if (r == 0 && (EVP_EncryptFinal_ex(ctx, fin, &outl) != 1 || outl != 0 ||
		       EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, (int)taglen,
					   tag) != 1))
		r = -EINVAL;
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

/* AES-GCM decryption; -EBADMSG (and wiped out) when the tag is wrong. */
int ike_aes_gcm_open(const uint8_t *key, size_t keylen, const uint8_t nonce[12],
		     const uint8_t *aad, size_t aadlen,
		     const uint8_t *in, size_t len, uint8_t *out,
		     const uint8_t *tag, size_t taglen)
{
	EVP_CIPHER_CTX *ctx;
	uint8_t t[16], fin[16];
	int outl = 0, r;

	r = gcm_ctx(&ctx, 0, key, keylen, nonce, taglen);
	if (r < 0)
		return r;
	memcpy(t, tag, taglen);	/* the ctrl takes a non-const pointer */
	r = gcm_body(ctx, aad, aadlen, in, len, out);
	if (r == 0 && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, (int)taglen,
					  t) != 1)
		r = -EINVAL;
	if (r == 0 && (EVP_DecryptFinal_ex(ctx, fin, &outl) != 1 || outl != 0))
		r = -EBADMSG;
	EVP_CIPHER_CTX_free(ctx);
	if (r < 0 && len)
		OPENSSL_cleanse(out, len);
	return r;
}

/* ---- CBC ------------------------------------------------------------------------ */

/* EVP cipher for a CBC transform with an SK_e of keylen bytes. */
static const EVP_CIPHER *cbc_cipher(uint16_t encr, size_t keylen)
{
	if (encr == IKE_ENCR_3DES)
		return keylen == 24 ? EVP_des_ede3_cbc() : NULL;
	if (encr != IKE_ENCR_AES_CBC)
		return NULL;
	switch (keylen) {
	case 16: return EVP_aes_128_cbc();
	case 24: return EVP_aes_192_cbc();
	case 32: return EVP_aes_256_cbc();
	default: return NULL;
	}
}

/* CBC without padding over whole blocks; out may equal in. */
static int cbc_crypt(uint16_t encr, int enc, const struct ike_key *key,
		     const uint8_t *iv, const uint8_t *in, size_t len,
		     uint8_t *out)
{
	const EVP_CIPHER *c = cbc_cipher(encr, key->len);
	EVP_CIPHER_CTX *ctx;
	int outl = 0, r = -EINVAL;

	if (!c || len > IKE_MAX_MSG_LEN)
		return -EINVAL;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -ENOMEM;
	if (EVP_CipherInit_ex(ctx, c, NULL, key->ptr, iv, enc) == 1 &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	    EVP_CipherUpdate(ctx, out, &outl, in, (int)len) == 1 &&
	    (size_t)outl == len)
		r = 0;
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

/* ---- SK payload --------------------------------------------------------------- */

/* Per-message parameters of a key set, after checking it is usable. */
struct sk_params {
	bool aead;
	size_t iv, block, icv;
	const struct ike_key *ke, *ka;
};

/* Validate the key set for one direction and fill p. */
static int sk_params(const struct ike_sa_keys *k, bool initiator,
		     struct sk_params *p)
{
	size_t ek = ike_encr_keymat_len(k->encr, k->encr_keylen);

	p->aead = ike_encr_is_aead(k->encr);
	p->iv = ike_encr_iv_len(k->encr);
	p->block = ike_encr_block_len(k->encr);
	p->ke = initiator ? &k->sk_ei : &k->sk_er;
	p->ka = initiator ? &k->sk_ai : &k->sk_ar;
	if (ek == 0 || p->iv == 0 || p->block == 0)
		return -ENOTSUP;
	if (!p->ke->ptr || p->ke->len != ek)
		return -EINVAL;
	if (p->aead) {
		if (k->integ != IKE_INTEG_NONE)
			return -EINVAL;
		p->icv = ike_encr_icv_len(k->encr);
		return 0;
	}
	p->icv = ike_integ_icv_len(k->integ);
	if (p->icv == 0)
		return -ENOTSUP;
	if (!p->ka->ptr || p->ka->len != ike_integ_key_len(k->integ))
		return -EINVAL;
	return 0;
}

/* GCM nonce = salt (last 4 bytes of SK_e) | 8-byte IV (RFC 5282 section 4). */
static size_t gcm_nonce(const struct ike_key *ke, const uint8_t *iv,
			uint8_t nonce[GCM_NONCE_LEN])
{
	size_t keylen = ke->len - GCM_SALT_LEN;

	memcpy(nonce, ke->ptr + keylen, GCM_SALT_LEN);
	memcpy(nonce + GCM_SALT_LEN, iv, GCM_IV_LEN);
	return keylen;
}

/* Bytes appended by ike_sk_seal for plen bytes of plaintext:
 * IV + ciphertext (plen + padding + pad length byte) + ICV; 0 if unusable. */
size_t ike_sk_overhead(const struct ike_sa_keys *k, size_t plen)
{
	size_t iv = ike_encr_iv_len(k->encr);
	size_t block = ike_encr_block_len(k->encr);
	size_t icv = ike_encr_is_aead(k->encr) ? ike_encr_icv_len(k->encr)
					       : ike_integ_icv_len(k->integ);

	if (iv == 0 || block == 0 || icv == 0 || plen > IKE_MAX_MSG_LEN)
		return 0;
	return iv + (plen / block + 1) * block + icv;
}

/*
 * Encrypt plain into the SK/SKF payload being built in msg (see header).
 * Padding (RFC 7296 3.14): the minimum to reach a block multiple, zero
 * bytes, then the pad length.  On failure msg->len is restored to body_off
 * and the reserved area is wiped.
 */
int ike_sk_seal(const struct ike_sa_keys *k, bool initiator,
		struct ike_buf *msg, size_t sk_off,
		const uint8_t *plain, size_t plen, const uint8_t *iv)
{
	struct sk_params p;
	size_t body_off = msg->len, padded, total;
	uint8_t *out, *ivp, *ct, *icv;
	int r;

	r = sk_params(k, initiator, &p);
	if (r < 0)
		return r;
	if (ike_buf_error(msg))
		return ike_buf_error(msg);
	if (sk_off < IKE_HDR_LEN || sk_off > body_off ||
	    body_off - sk_off < IKE_GENERIC_HDR_LEN || (plen && !plain) ||
	    plen > IKE_MAX_MSG_LEN)
		return -EINVAL;
	padded = (plen / p.block + 1) * p.block;
	total = p.iv + padded + p.icv;
	out = ike_buf_reserve(msg, total);
	if (!out)
		return ike_buf_error(msg);
	if (msg->len > UINT16_MAX) {	/* only with a raised buf limit */
		r = -EMSGSIZE;
		goto fail;
	}
	ivp = out;
	ct = ivp + p.iv;
	icv = ct + padded;
	if (iv)
		memcpy(ivp, iv, p.iv);
	else
		randombytes_buf(ivp, p.iv);
	if (plen)
		memcpy(ct, plain, plen);
	memset(ct + plen, 0, padded - plen - 1);
	ct[padded - 1] = (uint8_t)(padded - plen - 1);

	ike_buf_set_u32(msg, HDR_LEN_OFF, (uint32_t)msg->len);
	ike_buf_set_u16(msg, sk_off + SK_LEN_OFF, (uint16_t)(msg->len - sk_off));

	if (p.aead) {
		uint8_t nonce[GCM_NONCE_LEN];
		size_t keylen = gcm_nonce(p.ke, ivp, nonce);

		r = ike_aes_gcm_seal(p.ke->ptr, keylen, nonce, msg->data, body_off,
				     ct, padded, ct, icv, p.icv);
		sodium_memzero(nonce, sizeof(nonce));	/* holds the salt */
	} else {
		struct ike_chunk signed_part = { msg->data, body_off + p.iv + padded };

		r = cbc_crypt(k->encr, 1, p.ke, ivp, ct, padded, ct);
		if (r == 0)
			r = ike_integ_mac(k->integ, p.ka->ptr, p.ka->len,
					  &signed_part, 1, icv);
	}
	if (r == 0)
		return 0;
fail:
	sodium_memzero(msg->data + body_off, msg->len - body_off);
	msg->len = body_off;
	return r;
}

/*
 * Verify and decrypt the SK/SKF payload of msg[0..msg_len) (see header).
 * Bounds: IV, at least one byte (GCM) or one block (CBC) of ciphertext and
 * the ICV must fit after body_off; CBC ciphertext must be whole blocks.
 */
int ike_sk_open(const struct ike_sa_keys *k, bool initiator,
		const uint8_t *msg, size_t msg_len, size_t body_off,
		uint8_t *plain, size_t plain_cap, size_t *plen)
{
	struct sk_params p;
	const uint8_t *ivp, *ct, *icv;
	size_t ct_len, padlen;
	int r;

	*plen = 0;
	r = sk_params(k, initiator, &p);
	if (r < 0)
		return r;
	if (!msg || !plain)
		return -EINVAL;
	if (msg_len > IKE_MAX_MSG_LEN || body_off > msg_len ||
	    body_off < IKE_HDR_LEN + IKE_GENERIC_HDR_LEN)
		return -EBADMSG;
	if (msg_len - body_off < p.iv + p.icv + p.block)
		return -EBADMSG;
	ct_len = msg_len - body_off - p.iv - p.icv;
	if (ct_len % p.block != 0)
		return -EBADMSG;
	if (plain_cap < ct_len)
		return -EINVAL;
	ivp = msg + body_off;
	ct = ivp + p.iv;
	icv = ct + ct_len;

	if (p.aead) {
		uint8_t nonce[GCM_NONCE_LEN];
		size_t keylen = gcm_nonce(p.ke, ivp, nonce);

		r = ike_aes_gcm_open(p.ke->ptr, keylen, nonce, msg, body_off,
				     ct, ct_len, plain, icv, p.icv);
		sodium_memzero(nonce, sizeof(nonce));
		if (r < 0)
			return r;	/* out already wiped */
	} else {
		struct ike_chunk signed_part = { msg, body_off + p.iv + ct_len };
		uint8_t want[ICV_MAX];

		r = ike_integ_mac(k->integ, p.ka->ptr, p.ka->len, &signed_part, 1,
				  want);
		if (r == 0 && sodium_memcmp(want, icv, p.icv) != 0)
			r = -EBADMSG;
		sodium_memzero(want, sizeof(want));
		if (r < 0)
			return r;
		r = cbc_crypt(k->encr, 0, p.ke, ivp, ct, ct_len, plain);
		if (r < 0) {
			sodium_memzero(plain, ct_len);
			return r;
		}
	}
	/* RFC 7296 3.14: any padding content is accepted; the pad length
	 * must leave room for itself within the ciphertext. */
	padlen = plain[ct_len - 1];
	if (padlen > ct_len - 1) {
		sodium_memzero(plain, ct_len);
		return -EBADMSG;
	}
	*plen = ct_len - 1 - padlen;
	sodium_memzero(plain + *plen, ct_len - *plen);
	return 0;
}
