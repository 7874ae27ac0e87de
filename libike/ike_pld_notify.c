/*
 * ike_pld_notify.c — Notify payload (RFC 7296 3.10) and the data of the
 * notify types a responder reads or sends (RFC 7296 3.10.1, RFC 4555,
 * RFC 4478, RFC 5685, RFC 7383, RFC 7427).
 *
 *  | Protocol ID   |   SPI Size    |      Notify Message Type      |
 *  ~                Security Parameter Index (SPI)                 ~
 *  ~                       Notification Data                       ~
 */
#include <string.h>

#include "ike.h"
#include "ike_payload.h"

/* Framing: SPI Size 0/4/8 and present; the rest is Notification Data. */
int ike_notify_parse(const uint8_t *body, size_t len, struct ike_notify *n)
{
	uint8_t spisz;

	if (len < 4)
		return -EBADMSG;
	spisz = body[1];
	if (spisz != 0 && spisz != 4 && spisz != 8)
		return -EBADMSG;
	if (len - 4 < spisz)
		return -EBADMSG;
	n->protocol = body[0];
	n->spi_size = spisz;
	n->type = ike_get_u16(body + 2);
	n->spi = body + 4;
	n->data = body + 4 + spisz;
	n->data_len = len - 4 - spisz;
	return 0;
}

/* First Notify of `type` in ch: 1 found, 0 none, -EBADMSG malformed. */
int ike_chain_find_notify(const struct ike_chain *ch, uint16_t type,
			  struct ike_notify *n)
{
	for (size_t i = 0; i < ch->n; i++) {
		const struct ike_pl *pl = &ch->pl[i];

		if (pl->type != IKE_PL_NOTIFY)
			continue;
		if (ike_notify_parse(pl->body, pl->len, n) < 0)
			return -EBADMSG;
		if (n->type == type)
			return 1;
	}
	return 0;
}

/* Data of exactly `want` bytes. */
static int data_exact(const struct ike_notify *n, size_t want)
{
	return n->data_len == want ? 0 : -EBADMSG;
}

/* NAT_DETECTION_*: SHA-1 hash (RFC 7296 2.23). */
int ike_notify_nat_hash(const struct ike_notify *n, const uint8_t **hash)
{
	if (data_exact(n, IKE_NAT_HASH_LEN) < 0)
		return -EBADMSG;
	*hash = n->data;
	return 0;
}

/* COOKIE: 1..64 bytes (RFC 7296 2.6, 3.10.1). */
int ike_notify_cookie(const struct ike_notify *n, struct ike_chunk *cookie)
{
	if (n->data_len < 1 || n->data_len > IKE_MAX_COOKIE_LEN)
		return -EBADMSG;
	cookie->ptr = n->data;
	cookie->len = n->data_len;
	return 0;
}

/* COOKIE2: 8..64 bytes (RFC 4555 3.8). */
int ike_notify_cookie2(const struct ike_notify *n, struct ike_chunk *cookie)
{
	if (n->data_len < IKE_MIN_COOKIE2_LEN || n->data_len > IKE_MAX_COOKIE2_LEN)
		return -EBADMSG;
	cookie->ptr = n->data;
	cookie->len = n->data_len;
	return 0;
}

/* Two-byte value (INVALID_KE_PAYLOAD: the accepted DH group). */
int ike_notify_u16(const struct ike_notify *n, uint16_t *v)
{
	if (data_exact(n, 2) < 0)
		return -EBADMSG;
	*v = ike_get_u16(n->data);
	return 0;
}

/* Four-byte value (SET_WINDOW_SIZE, AUTH_LIFETIME). */
int ike_notify_u32(const struct ike_notify *n, uint32_t *v)
{
	if (data_exact(n, 4) < 0)
		return -EBADMSG;
	*v = ike_get_u32(n->data);
	return 0;
}

/* REKEY_SA (1.3.3, 3.10.1): the SPI of the AH/ESP SA being rekeyed. */
int ike_notify_rekey_spi(const struct ike_notify *n, uint32_t *spi)
{
	if ((n->protocol != IKE_PROTO_AH && n->protocol != IKE_PROTO_ESP) ||
	    n->spi_size != 4 || n->data_len != 0)
		return -EBADMSG;
	*spi = ike_get_u32(n->spi);
	return 0;
}

/* ADDITIONAL_IP4_ADDRESS / ADDITIONAL_IP6_ADDRESS (RFC 4555 3.6). */
int ike_notify_addr(const struct ike_notify *n, size_t addr_len,
		    const uint8_t **addr)
{
	if ((addr_len != 4 && addr_len != 16) || data_exact(n, addr_len) < 0)
		return -EBADMSG;
	*addr = n->data;
	return 0;
}

/* Status notifies defined without data. */
int ike_notify_empty(const struct ike_notify *n)
{
	return data_exact(n, 0);
}

/* SIGNATURE_HASH_ALGORITHMS (RFC 7427 4): one or more 2-byte hash IDs. */
int ike_notify_hash_algs(const struct ike_notify *n, uint16_t *algs,
			 size_t max, size_t *count)
{
	size_t cnt;

	*count = 0;
	if (n->data_len == 0 || n->data_len % 2 != 0)
		return -EBADMSG;
	cnt = n->data_len / 2;
	if (cnt > IKE_MAX_HASH_ALGS || cnt > max)
		return -E2BIG;
	for (size_t i = 0; i < cnt; i++)
		algs[i] = ike_get_u16(n->data + 2 * i);
	*count = cnt;
	return 0;
}

/* Identity length of a RFC 5685 gateway identity type, 0 = variable. */
static int gw_len_ok(uint8_t type, size_t len)
{
	switch (type) {
	case IKE_GW_IPV4:
		return len == 4 ? 0 : -EBADMSG;
	case IKE_GW_IPV6:
		return len == 16 ? 0 : -EBADMSG;
	case IKE_GW_FQDN:
		return len >= 1 ? 0 : -EBADMSG;
	default:
		return -ENOTSUP;
	}
}

/* REDIRECT / REDIRECTED_FROM (RFC 5685 8.1, 8.2): GW identity and, for
 * REDIRECT only, an optional nonce of 16..256 bytes. */
int ike_notify_redirect(const struct ike_notify *n, struct ike_redirect *r)
{
	size_t glen, rest;
	int e;

	if (n->data_len < 2)
		return -EBADMSG;
	glen = n->data[1];
	if (n->data_len - 2 < glen)
		return -EBADMSG;
	e = gw_len_ok(n->data[0], glen);
	if (e < 0)
		return e;
	rest = n->data_len - 2 - glen;
	if (rest != 0 && (n->type == IKE_N_REDIRECTED_FROM ||
			  rest < IKE_MIN_NONCE_LEN || rest > IKE_MAX_NONCE_LEN))
		return -EBADMSG;
	r->gw_type = n->data[0];
	r->gw = n->data + 2;
	r->gw_len = glen;
	r->nonce = rest ? n->data + 2 + glen : NULL;
	r->nonce_len = rest;
	return 0;
}

/* Type-specific check of the data of the notify types we know. */
int ike_notify_check(const struct ike_notify *n)
{
	union {
		const uint8_t *p;
		struct ike_chunk c;
		uint16_t u16;
		uint32_t u32;
		struct ike_redirect r;
	} u;
	uint16_t algs[IKE_MAX_HASH_ALGS];
	size_t cnt;

	switch (n->type) {
	case IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD:
		return data_exact(n, 1);
	case IKE_N_NAT_DETECTION_SOURCE_IP:
	case IKE_N_NAT_DETECTION_DESTINATION_IP:
		return ike_notify_nat_hash(n, &u.p);
	case IKE_N_COOKIE:
		return ike_notify_cookie(n, &u.c);
	case IKE_N_COOKIE2:
		return ike_notify_cookie2(n, &u.c);
	case IKE_N_INVALID_KE_PAYLOAD:
		return ike_notify_u16(n, &u.u16);
	case IKE_N_SET_WINDOW_SIZE:
	case IKE_N_AUTH_LIFETIME:
		return ike_notify_u32(n, &u.u32);
	case IKE_N_REKEY_SA:
		return ike_notify_rekey_spi(n, &u.u32);
	case IKE_N_ADDITIONAL_IP4_ADDRESS:
		return ike_notify_addr(n, 4, &u.p);
	case IKE_N_ADDITIONAL_IP6_ADDRESS:
		return ike_notify_addr(n, 16, &u.p);
	case IKE_N_SIGNATURE_HASH_ALGORITHMS:
		return ike_notify_hash_algs(n, algs, IKE_MAX_HASH_ALGS, &cnt);
	case IKE_N_REDIRECT:
	case IKE_N_REDIRECTED_FROM:
		return ike_notify_redirect(n, &u.r);
	case IKE_N_INITIAL_CONTACT:
	case IKE_N_HTTP_CERT_LOOKUP_SUPPORTED:
	case IKE_N_USE_TRANSPORT_MODE:
	case IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED:
	case IKE_N_NON_FIRST_FRAGMENTS_ALSO:
	case IKE_N_MOBIKE_SUPPORTED:
	case IKE_N_NO_ADDITIONAL_ADDRESSES:
	case IKE_N_UPDATE_SA_ADDRESSES:
	case IKE_N_MULTIPLE_AUTH_SUPPORTED:
	case IKE_N_ANOTHER_AUTH_FOLLOWS:
	case IKE_N_REDIRECT_SUPPORTED:
	case IKE_N_EAP_ONLY_AUTHENTICATION:
	case IKE_N_IKEV2_FRAGMENTATION_SUPPORTED:
		return ike_notify_empty(n);
	default:
		return 0;
	}
}

/* Append a Notify payload: SPI of 0/4/8 bytes, protocol 0 without SPI. */
int ike_notify_build(struct ike_msg_builder *mb, uint8_t protocol, uint16_t type,
		     const uint8_t *spi, size_t spi_len,
		     const uint8_t *data, size_t data_len)
{
	size_t off;

	if ((spi_len != 0 && spi_len != 4 && spi_len != 8) ||
	    (spi_len == 0 && protocol != 0)) {
		ike_mb_fail(mb, -EINVAL);
		return -EINVAL;
	}
	off = ike_mb_pl_begin(mb, IKE_PL_NOTIFY, false);
	if (off == SIZE_MAX)
		return mb->b->err;
	ike_buf_put_u8(mb->b, protocol);
	ike_buf_put_u8(mb->b, (uint8_t)spi_len);
	ike_buf_put_u16(mb->b, type);
	ike_buf_put(mb->b, spi, spi_len);
	ike_buf_put(mb->b, data, data_len);
	return ike_mb_pl_end(mb, off);
}

/* Notify without SPI carrying a 2-byte value. */
int ike_notify_build_u16(struct ike_msg_builder *mb, uint16_t type, uint16_t v)
{
	uint8_t d[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	return ike_notify_build(mb, 0, type, NULL, 0, d, sizeof(d));
}

/* Notify without SPI carrying a 4-byte value. */
int ike_notify_build_u32(struct ike_msg_builder *mb, uint16_t type, uint32_t v)
{
	uint8_t d[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	return ike_notify_build(mb, 0, type, NULL, 0, d, sizeof(d));
}

/* SIGNATURE_HASH_ALGORITHMS with algs[0..n), 1..IKE_MAX_HASH_ALGS entries. */
int ike_notify_build_hash_algs(struct ike_msg_builder *mb,
			       const uint16_t *algs, size_t n)
{
	uint8_t d[2 * IKE_MAX_HASH_ALGS];

	if (n == 0 || n > IKE_MAX_HASH_ALGS) {
		ike_mb_fail(mb, -EINVAL);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		d[2 * i] = (uint8_t)(algs[i] >> 8);
		d[2 * i + 1] = (uint8_t)algs[i];
	}
	return ike_notify_build(mb, 0, IKE_N_SIGNATURE_HASH_ALGORITHMS, NULL, 0,
				d, 2 * n);
}

/* REDIRECT / REDIRECTED_FROM (RFC 5685 8); nonce only for REDIRECT. */
int ike_notify_build_redirect(struct ike_msg_builder *mb, uint16_t type,
			      uint8_t gw_type, const uint8_t *gw, size_t gw_len,
			      const uint8_t *nonce, size_t nonce_len)
{
	size_t off;

	if ((type != IKE_N_REDIRECT && type != IKE_N_REDIRECTED_FROM) ||
	    gw_len > 255 || gw_len_ok(gw_type, gw_len) < 0 ||
	    (nonce_len != 0 && (type == IKE_N_REDIRECTED_FROM ||
				nonce_len < IKE_MIN_NONCE_LEN ||
				nonce_len > IKE_MAX_NONCE_LEN))) {
		ike_mb_fail(mb, -EINVAL);
		return -EINVAL;
	}
	off = ike_mb_pl_begin(mb, IKE_PL_NOTIFY, false);
	if (off == SIZE_MAX)
		return mb->b->err;
	ike_buf_put_u8(mb->b, 0);
	ike_buf_put_u8(mb->b, 0);
	ike_buf_put_u16(mb->b, type);
	ike_buf_put_u8(mb->b, gw_type);
	ike_buf_put_u8(mb->b, (uint8_t)gw_len);
	ike_buf_put(mb->b, gw, gw_len);
	ike_buf_put(mb->b, nonce, nonce_len);
	return ike_mb_pl_end(mb, off);
}
