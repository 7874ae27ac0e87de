/*
 * ike_cookie.c — stateless responder cookies (RFC 7296 2.6); see
 * ike_cookie.h.  Pure: the secret and the decision to require cookies are
 * the caller's; no clock, no state.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ike_cookie.h"
#include "ike_payload.h"

/* Make a fresh 32-byte secret with the given version. */
int ike_cookie_secret_new(struct ike_cookie_secret *s, uint32_t version)
{
	int r;

	s->version = version;
	r = ike_key_alloc(&s->key, 32);
	if (r < 0)
		return r;
	randombytes_buf(s->key.ptr, s->key.len);
	return 0;
}

/* Cookie = VersionIDofSecret | SHA-256(Ni | IPi | SPIi | secret) (2.6). */
int ike_cookie_make(const struct ike_cookie_secret *s, const uint8_t spi_i[8],
		    const uint8_t *ni, size_t ni_len,
		    const struct ike_endpoint *peer, uint8_t out[IKE_COOKIE_LEN])
{
	crypto_hash_sha256_state st;
	size_t alen;

	if (!s || !s->key.ptr || s->key.len < IKE_COOKIE_SECRET_MIN || !ni ||
	    ni_len < IKE_MIN_NONCE_LEN || ni_len > IKE_MAX_NONCE_LEN || !peer)
		return -EINVAL;
	if (peer->family == 4)
		alen = 4;
	else if (peer->family == 6)
		alen = 16;
	else
		return -EINVAL;
	out[0] = (uint8_t)(s->version >> 24);
	out[1] = (uint8_t)(s->version >> 16);
	out[2] = (uint8_t)(s->version >> 8);
	out[3] = (uint8_t)s->version;
	if (crypto_hash_sha256_init(&st) != 0 ||
	    crypto_hash_sha256_update(&st, ni, ni_len) != 0 ||
	    crypto_hash_sha256_update(&st, peer->addr, alen) != 0 ||
	    crypto_hash_sha256_update(&st, spi_i, 8) != 0 ||
	    crypto_hash_sha256_update(&st, s->key.ptr, s->key.len) != 0 ||
	    crypto_hash_sha256_final(&st, out + IKE_COOKIE_VERSION_LEN) != 0) {
		sodium_memzero(&st, sizeof(st));
		return -ENOMEM;
	}
	sodium_memzero(&st, sizeof(st));
	return 0;
}

/* Is c a valid cookie under secret s (matching version, same hash)? */
static bool cookie_ok(const struct ike_cookie_secret *s, const struct ike_chunk *c,
		      const uint8_t spi_i[8], const struct ike_chunk *ni,
		      const struct ike_endpoint *peer)
{
	uint8_t want[IKE_COOKIE_LEN];
	bool ok;

	if (!s || !s->key.ptr || s->key.len == 0 || c->len != IKE_COOKIE_LEN ||
	    ike_get_u32(c->ptr) != s->version)
		return false;
	if (ike_cookie_make(s, spi_i, ni->ptr, ni->len, peer, want) < 0)
		return false;
	ok = sodium_memcmp(want, c->ptr, IKE_COOKIE_LEN) == 0;
	sodium_memzero(want, sizeof(want));
	return ok;
}

/* HDR(SPIi, 0, IKE_SA_INIT, R), N(COOKIE) — the 2.6 answer. */
static int cookie_response(const struct ike_hdr *req, const uint8_t *cookie,
			   struct ike_buf *out)
{
	struct ike_msg_builder mb;
	struct ike_hdr h;
	int r;

	memset(&h, 0, sizeof(h));
	memcpy(h.spi_i, req->spi_i, 8);
	h.version = IKE_VERSION;
	h.exchange = IKE_SA_INIT;
	h.flags = IKE_FLAG_RESPONSE;
	h.msg_id = 0;
	ike_buf_reset(out);
	ike_mb_begin(&mb, out, &h);
	ike_notify_build(&mb, 0, IKE_N_COOKIE, NULL, 0, cookie, IKE_COOKIE_LEN);
	r = ike_mb_finish(&mb);
	return r < 0 ? r : 1;
}

/* See ike_cookie.h. */
int ike_cookie_check(const struct ike_cookie_secret *cur,
		     const struct ike_cookie_secret *prev,
		     const uint8_t *msg, size_t len,
		     const struct ike_endpoint *peer, struct ike_buf *out)
{
	struct ike_msg_view *v;
	const struct ike_pl *np;
	struct ike_chunk ni, c = { NULL, 0 };
	uint8_t fresh[IKE_COOKIE_LEN];
	int r;

	if (!cur || !msg || !peer || !out)
		return -EINVAL;
	v = malloc(sizeof(*v));
	if (!v)
		return -ENOMEM;
	r = ike_msg_parse(msg, len, v);
	if (r == -EPROTONOSUPPORT || r == -ENOTSUP)
		goto out;
	if (r < 0 || v->hdr.exchange != IKE_SA_INIT ||
	    (v->hdr.flags & (IKE_FLAG_RESPONSE | IKE_FLAG_INITIATOR)) !=
	    IKE_FLAG_INITIATOR || v->hdr.msg_id != 0 ||
	    !sodium_is_zero(v->hdr.spi_r, 8) || sodium_is_zero(v->hdr.spi_i, 8)) {
		r = -EBADMSG;
		goto out;
	}
	r = -EBADMSG;
	np = ike_chain_find(&v->ch, IKE_PL_NONCE, 0);
	if (!np || ike_chain_count(&v->ch, IKE_PL_NONCE) != 1 ||
	    ike_nonce_parse(np->body, np->len, &ni) < 0)
		goto out;
	/* 2.6: "... with the COOKIE notification as the first payload" */
	if (v->ch.n > 0 && v->ch.pl[0].type == IKE_PL_NOTIFY) {
		struct ike_notify n;

		if (ike_notify_parse(v->ch.pl[0].body, v->ch.pl[0].len, &n) < 0)
			goto out;
		if (n.type == IKE_N_COOKIE && ike_notify_cookie(&n, &c) < 0)
			goto out;
	}
	if (c.ptr && (cookie_ok(cur, &c, v->hdr.spi_i, &ni, peer) ||
		      cookie_ok(prev, &c, v->hdr.spi_i, &ni, peer))) {
		r = 0;
		goto out;
	}
	r = ike_cookie_make(cur, v->hdr.spi_i, ni.ptr, ni.len, peer, fresh);
	if (r == 0)
		r = cookie_response(&v->hdr, fresh, out);
out:
	free(v);
	return r;
}
