/*
 * ike_pld_basic.c — the simple payload bodies of RFC 7296 section 3:
 * KE (3.4), ID (3.5), CERT (3.6), CERTREQ (3.7), AUTH (3.8, with the RFC 7427
 * signature layout), Nonce (3.9), Delete (3.11), Vendor ID (3.12) and EAP
 * (3.16).  Each parser validates the whole body before writing its output.
 */
#include <string.h>

#include "ike.h"
#include "ike_payload.h"

/* Fail the builder with -EINVAL (invalid arguments from our own caller). */
static int inval(struct ike_msg_builder *mb)
{
	ike_mb_fail(mb, -EINVAL);
	return -EINVAL;
}

/* Append a payload whose body is a fixed header hdr[0..hlen) + data. */
static int build_hdr_data(struct ike_msg_builder *mb, uint8_t type,
			  const uint8_t *hdr, size_t hlen,
			  const uint8_t *data, size_t len)
{
	size_t off = ike_mb_pl_begin(mb, type, false);

	if (off == SIZE_MAX)
		return mb->b->err;
	ike_buf_put(mb->b, hdr, hlen);
	ike_buf_put(mb->b, data, len);
	return ike_mb_pl_end(mb, off);
}

/* ---- KE (3.4): | DH Group Num (2) | RESERVED (2) | Key Exchange Data | ---- */

/* KE body: group + non-empty key data (its size is checked by the DH code). */
int ike_ke_parse(const uint8_t *body, size_t len, struct ike_ke *ke)
{
	if (len < 4 + 1)
		return -EBADMSG;
	ke->group = ike_get_u16(body);
	ke->data = body + 4;
	ke->len = len - 4;
	return 0;
}

/* Append a KE payload; data must be non-empty. */
int ike_ke_build(struct ike_msg_builder *mb, uint16_t group,
		 const uint8_t *data, size_t len)
{
	uint8_t h[4] = { (uint8_t)(group >> 8), (uint8_t)group, 0, 0 };

	if (len == 0)
		return inval(mb);
	return build_hdr_data(mb, IKE_PL_KE, h, sizeof(h), data, len);
}

/* ---- Nonce (3.9): 16..256 bytes ------------------------------------------ */

/* Nonce body: the whole body, IKE_MIN_NONCE_LEN..IKE_MAX_NONCE_LEN bytes. */
int ike_nonce_parse(const uint8_t *body, size_t len, struct ike_chunk *nonce)
{
	if (len < IKE_MIN_NONCE_LEN || len > IKE_MAX_NONCE_LEN)
		return -EBADMSG;
	nonce->ptr = body;
	nonce->len = len;
	return 0;
}

/* Append a Nonce payload (16..256 bytes). */
int ike_nonce_build(struct ike_msg_builder *mb, const uint8_t *nonce, size_t len)
{
	if (len < IKE_MIN_NONCE_LEN || len > IKE_MAX_NONCE_LEN)
		return inval(mb);
	return build_hdr_data(mb, IKE_PL_NONCE, NULL, 0, nonce, len);
}

/* ---- ID (3.5): | ID Type | RESERVED (3) | Identification Data | ------------ */

/* Required data length of an ID type, 0 = any non-empty length. */
static size_t id_fixed_len(uint8_t type)
{
	switch (type) {
	case IKE_ID_IPV4_ADDR:
		return 4;
	case IKE_ID_IPV6_ADDR:
		return 16;
	default:
		return 0;
	}
}

/* ID body: IPv4 4 bytes, IPv6 16, every other type non-empty. */
int ike_id_parse(const uint8_t *body, size_t len, struct ike_id *id)
{
	size_t fixed;

	if (len < 4 + 1)
		return -EBADMSG;
	fixed = id_fixed_len(body[0]);
	if (fixed && len - 4 != fixed)
		return -EBADMSG;
	id->type = body[0];
	id->data = body + 4;
	id->len = len - 4;
	return 0;
}

/* Append an IDi or IDr payload; same length rules as the parser. */
int ike_id_build(struct ike_msg_builder *mb, uint8_t pl_type, uint8_t id_type,
		 const uint8_t *data, size_t len)
{
	uint8_t h[4] = { id_type, 0, 0, 0 };
	size_t fixed = id_fixed_len(id_type);

	if ((pl_type != IKE_PL_IDI && pl_type != IKE_PL_IDR) || len == 0 ||
	    (fixed && len != fixed))
		return inval(mb);
	return build_hdr_data(mb, pl_type, h, sizeof(h), data, len);
}

/* ---- CERT (3.6) / CERTREQ (3.7): | Encoding | data | ----------------------- */

/* CERT body: encoding + non-empty certificate data. */
int ike_cert_parse(const uint8_t *body, size_t len, struct ike_cert *c)
{
	if (len < 1 + 1)
		return -EBADMSG;
	c->encoding = body[0];
	c->data = body + 1;
	c->len = len - 1;
	return 0;
}

/* Append a CERT payload with non-empty data. */
int ike_cert_build(struct ike_msg_builder *mb, uint8_t encoding,
		   const uint8_t *data, size_t len)
{
	if (len == 0)
		return inval(mb);
	return build_hdr_data(mb, IKE_PL_CERT, &encoding, 1, data, len);
}

/* CERTREQ body: encoding + CA data; X.509 data is a list of 20-byte hashes. */
int ike_certreq_parse(const uint8_t *body, size_t len, struct ike_certreq *c)
{
	size_t dlen;

	if (len < 1)
		return -EBADMSG;
	dlen = len - 1;
	if (body[0] == IKE_CERT_X509_SIG && dlen % IKE_CERTREQ_HASH_LEN != 0)
		return -EBADMSG;
	c->encoding = body[0];
	c->data = body + 1;
	c->len = dlen;
	c->n_hashes = body[0] == IKE_CERT_X509_SIG ? dlen / IKE_CERTREQ_HASH_LEN : 0;
	return 0;
}

/* Append a CERTREQ payload; X.509 data must be a multiple of 20 bytes. */
int ike_certreq_build(struct ike_msg_builder *mb, uint8_t encoding,
		      const uint8_t *data, size_t len)
{
	if (encoding == IKE_CERT_X509_SIG && len % IKE_CERTREQ_HASH_LEN != 0)
		return inval(mb);
	return build_hdr_data(mb, IKE_PL_CERTREQ, &encoding, 1, data, len);
}

/* ---- AUTH (3.8): | Auth Method | RESERVED (3) | Authentication Data | ------ */

/* AUTH body: method + non-empty authentication data. */
int ike_auth_parse(const uint8_t *body, size_t len, struct ike_auth *a)
{
	if (len < 4 + 1)
		return -EBADMSG;
	a->method = body[0];
	a->data = body + 4;
	a->len = len - 4;
	return 0;
}

/* Append an AUTH payload with non-empty data. */
int ike_auth_build(struct ike_msg_builder *mb, uint8_t method,
		   const uint8_t *data, size_t len)
{
	uint8_t h[4] = { method, 0, 0, 0 };

	if (len == 0)
		return inval(mb);
	return build_hdr_data(mb, IKE_PL_AUTH, h, sizeof(h), data, len);
}

/* RFC 7427 3: | ASN.1 Length (1) | AlgorithmIdentifier | Signature |; the
 * AlgorithmIdentifier and the signature must both be non-empty. */
int ike_sigdata_parse(const uint8_t *data, size_t len, struct ike_sigdata *s)
{
	size_t alen;

	if (len < 1)
		return -EBADMSG;
	alen = data[0];
	if (alen == 0 || len - 1 <= alen)
		return -EBADMSG;
	s->alg_id = data + 1;
	s->alg_id_len = alen;
	s->sig = data + 1 + alen;
	s->sig_len = len - 1 - alen;
	return 0;
}

/* Append AUTH method 14 with the RFC 7427 layout (alg_id 1..255 bytes). */
int ike_auth_build_sig(struct ike_msg_builder *mb, const uint8_t *alg_id,
		       size_t alg_id_len, const uint8_t *sig, size_t sig_len)
{
	uint8_t h[5] = { IKE_AUTH_DIGITAL_SIG, 0, 0, 0, (uint8_t)alg_id_len };
	size_t off;

	if (alg_id_len == 0 || alg_id_len > 255 || sig_len == 0)
		return inval(mb);
	off = ike_mb_pl_begin(mb, IKE_PL_AUTH, false);
	if (off == SIZE_MAX)
		return mb->b->err;
	ike_buf_put(mb->b, h, sizeof(h));
	ike_buf_put(mb->b, alg_id, alg_id_len);
	ike_buf_put(mb->b, sig, sig_len);
	return ike_mb_pl_end(mb, off);
}

/* ---- Vendor ID (3.12): opaque --------------------------------------------- */

/* Vendor ID body: any bytes (may be empty). */
int ike_vendor_parse(const uint8_t *body, size_t len, struct ike_chunk *vid)
{
	vid->ptr = body;
	vid->len = len;
	return 0;
}

/* Append a Vendor ID payload. */
int ike_vendor_build(struct ike_msg_builder *mb, const uint8_t *vid, size_t len)
{
	return build_hdr_data(mb, IKE_PL_VENDOR, NULL, 0, vid, len);
}

/* ---- EAP (3.16, RFC 3748 4): | Code | Identifier | Length | [Type | data] | */

/* EAP body: Length == body length; Request/Response carry a Type byte,
 * Success/Failure are exactly 4 bytes; other codes are malformed. */
int ike_eap_parse(const uint8_t *body, size_t len, struct ike_eap *e)
{
	uint8_t code;

	if (len < 4 || ike_get_u16(body + 2) != len)
		return -EBADMSG;
	code = body[0];
	switch (code) {
	case EAP_REQUEST:
	case EAP_RESPONSE:
		if (len < 5)
			return -EBADMSG;
		break;
	case EAP_SUCCESS:
	case EAP_FAILURE:
		if (len != 4)
			return -EBADMSG;
		break;
	default:
		return -EBADMSG;
	}
	e->code = code;
	e->id = body[1];
	e->pkt = body;
	e->pkt_len = len;
	if (len >= 5) {
		e->type = body[4];
		e->type_data = body + 5;
		e->type_len = len - 5;
	} else {
		e->type = 0;
		e->type_data = NULL;
		e->type_len = 0;
	}
	return 0;
}

/* Append an EAP payload; Success/Failure ignore type and data. */
int ike_eap_build(struct ike_msg_builder *mb, uint8_t code, uint8_t id,
		  uint8_t type, const uint8_t *data, size_t len)
{
	uint8_t h[5];
	size_t hlen;

	switch (code) {
	case EAP_REQUEST:
	case EAP_RESPONSE:
		if (len > UINT16_MAX - 5)
			return inval(mb);
		hlen = 5;
		break;
	case EAP_SUCCESS:
	case EAP_FAILURE:
		hlen = 4;
		len = 0;
		break;
	default:
		return inval(mb);
	}
	h[0] = code;
	h[1] = id;
	h[2] = (uint8_t)((hlen + len) >> 8);
	h[3] = (uint8_t)(hlen + len);
	h[4] = type;
	return build_hdr_data(mb, IKE_PL_EAP, h, hlen, data, len);
}

/* ---- Delete (3.11): | Protocol ID | SPI Size | Num of SPIs | SPIs | ------- */

/* Delete body: IKE has SPI Size 0 and no SPIs; AH/ESP SPI Size 4, at most
 * IKE_MAX_DELETE_SPIS, body exactly 4 + n * 4. */
int ike_delete_parse(const uint8_t *body, size_t len, struct ike_delete *d)
{
	uint8_t proto, spisz;
	uint16_t n;

	if (len < 4)
		return -EBADMSG;
	proto = body[0];
	spisz = body[1];
	n = ike_get_u16(body + 2);
	switch (proto) {
	case IKE_PROTO_IKE:
		if (spisz != 0 || n != 0 || len != 4)
			return -EBADMSG;
		break;
	case IKE_PROTO_AH:
	case IKE_PROTO_ESP:
		if (spisz != 4)
			return -EBADMSG;
		if (n > IKE_MAX_DELETE_SPIS)
			return -E2BIG;
		if (len - 4 != (size_t)n * 4)
			return -EBADMSG;
		break;
	default:
		return -EBADMSG;
	}
	d->protocol = proto;
	d->spi_size = spisz;
	d->n_spis = n;
	d->spis = body + 4;
	return 0;
}

/* Append a Delete payload (IKE: n == 0; AH/ESP: 1..IKE_MAX_DELETE_SPIS). */
int ike_delete_build(struct ike_msg_builder *mb, uint8_t protocol,
		     const uint32_t *spis, size_t n)
{
	size_t off;

	if (protocol == IKE_PROTO_IKE) {
		if (n != 0)
			return inval(mb);
	} else if (protocol == IKE_PROTO_AH || protocol == IKE_PROTO_ESP) {
		if (n == 0 || n > IKE_MAX_DELETE_SPIS)
			return inval(mb);
	} else {
		return inval(mb);
	}
	off = ike_mb_pl_begin(mb, IKE_PL_DELETE, false);
	if (off == SIZE_MAX)
		return mb->b->err;
	ike_buf_put_u8(mb->b, protocol);
	ike_buf_put_u8(mb->b, protocol == IKE_PROTO_IKE ? 0 : 4);
	ike_buf_put_u16(mb->b, (uint16_t)n);
	for (size_t i = 0; i < n; i++)
		ike_buf_put_u32(mb->b, spis[i]);
	return ike_mb_pl_end(mb, off);
}
