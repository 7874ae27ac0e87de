/*
 * fuzz_cookie.c — the stateless cookie check of RFC 7296 2.6
 * (libike/ike_cookie.h) on arbitrary datagrams.
 *
 * Input: byte 0 selects the peer address family (even: IPv4 192.0.2.1,
 * odd: IPv6 2001:db8::1); the rest is the datagram.  Secrets are fixed
 * (version 7 current, 6 previous) so that seeds can carry valid cookies.
 * Invariants: a "send a cookie" answer is a well-formed IKE_SA_INIT response
 * whose first payload is N(COOKIE) of IKE_COOKIE_LEN bytes under the
 * current version, and it is accepted when echoed; "valid" only for a
 * request that carries a cookie; nothing leaks.
 */
#include <stdlib.h>
#include <string.h>

#include "ike_cookie.h"
#include "ike_payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fixed secrets of the seeds (also in the seed generator's notes). */
static int secrets(struct ike_cookie_secret *cur, struct ike_cookie_secret *prev)
{
	uint8_t k[32];

	memset(k, 0x5a, sizeof(k));
	cur->version = 7;
	prev->version = 6;
	if (ike_key_dup(&cur->key, k, sizeof(k)) < 0)
		return -1;
	memset(k, 0xa5, sizeof(k));
	if (ike_key_dup(&prev->key, k, sizeof(k)) < 0) {
		ike_key_free(&cur->key);
		return -1;
	}
	return 0;
}

/* Payloads of a message that parses (else IKE_MAX_PAYLOADS). */
static size_t n_payloads(const uint8_t *m, size_t len)
{
	struct ike_msg_view *v = malloc(sizeof(*v));
	size_t n = IKE_MAX_PAYLOADS;

	if (v && ike_msg_parse(m, len, v) == 0)
		n = v->ch.n;
	free(v);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ike_endpoint p4 = { 4, { 192, 0, 2, 1 }, 500 };
	static const struct ike_endpoint p6 = { 6, { 0x20, 0x01, 0x0d, 0xb8,
						      [15] = 1 }, 500 };
	struct ike_cookie_secret cur, prev;
	struct ike_msg_view *v;
	struct ike_buf out, retry;
	int r;

	if (size < 1 || ike_init() < 0 || secrets(&cur, &prev) < 0)
		return 0;
	ike_buf_init(&out);
	ike_buf_init(&retry);
	r = ike_cookie_check(&cur, &prev, data + 1, size - 1,
			     data[0] & 1 ? &p6 : &p4, &out);
	if (r == 1) {
		struct ike_notify n;
		struct ike_chunk c;

		v = malloc(sizeof(*v));
		if (!v)
			abort();
		if (ike_msg_parse(out.data, out.len, v) < 0 || v->ch.n != 1 ||
		    v->ch.pl[0].type != IKE_PL_NOTIFY ||
		    ike_notify_parse(v->ch.pl[0].body, v->ch.pl[0].len, &n) < 0 ||
		    n.type != IKE_N_COOKIE || ike_notify_cookie(&n, &c) < 0 ||
		    c.len != IKE_COOKIE_LEN || ike_get_u32(c.ptr) != 7 ||
		    !(v->hdr.flags & IKE_FLAG_RESPONSE) ||
		    v->hdr.exchange != IKE_SA_INIT)
			abort();
		free(v);
		/* 2.6: the retry with this cookie as the first payload passes */
		if (size - 1 >= IKE_HDR_LEN &&
		    size - 1 + 8 + IKE_COOKIE_LEN <= IKE_MAX_MSG_LEN &&
		    n_payloads(data + 1, size - 1) < IKE_MAX_PAYLOADS) {
			const uint8_t *req = data + 1;

			ike_buf_put(&retry, req, IKE_HDR_LEN);
			ike_buf_put_u8(&retry, req[IKE_HDR_OFF_NEXT]);
			ike_buf_put_u8(&retry, 0);
			ike_buf_put_u16(&retry, 8 + IKE_COOKIE_LEN);
			ike_buf_put_u16(&retry, 0);
			ike_buf_put_u16(&retry, IKE_N_COOKIE);
			ike_buf_put(&retry, c.ptr, c.len);
			if (size - 1 > IKE_HDR_LEN)
				ike_buf_put(&retry, req + IKE_HDR_LEN,
					    size - 1 - IKE_HDR_LEN);
			if (ike_buf_error(&retry))
				abort();
			retry.data[IKE_HDR_OFF_NEXT] = IKE_PL_NOTIFY;
			ike_buf_set_u32(&retry, IKE_HDR_OFF_LENGTH,
					(uint32_t)retry.len);
			if (ike_cookie_check(&cur, &prev, retry.data, retry.len,
					     data[0] & 1 ? &p6 : &p4, &out) != 0)
				abort();
		}
	} else if (r != 0 && r != -EBADMSG && r != -EPROTONOSUPPORT &&
		   r != -ENOTSUP && r != -ENOMEM) {
		abort();
	}
	ike_buf_free(&out);
	ike_buf_free(&retry);
	ike_key_free(&cur.key);
	ike_key_free(&prev.key);
	return 0;
}
