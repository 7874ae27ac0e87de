/*
 * ike_pld_cp.c — Configuration payload bodies (RFC 7296 3.15, RFC 8598).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   CFG Type    |                    RESERVED                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                   Configuration Attributes                    ~
 *
 * Attribute (3.15.1):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |R|         Attribute Type      |            Length             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                             Value                             ~
 *
 * R is reserved: sent as zero, ignored on receipt (3.15.1).  Attribute
 * types we do not know (NBNS-style vendor ones, Microsoft 23456/23457,
 * RFC 8598 DNSSEC trust anchors...) are kept verbatim so a reply can
 * ignore them and a relay could re-encode them.
 */
#include <string.h>

#include "ike_ts_cp.h"

#define CP_HDR_LEN 4
#define CP_ATTR_HDR_LEN 4
#define CP_TYPE_MASK 0x7fff

/* Value lengths of the known attributes, RFC 7296 3.15.1 table and RFC 8598
 * 4.1.  kind: FIXED = 0 or len; ANY = any length; PAIRS = multiple of 2. */
enum cp_len_kind { CP_FIXED, CP_ANY, CP_PAIRS };

struct cp_len_rule {
	uint16_t type;
	uint8_t kind;
	uint8_t len;
};

static const struct cp_len_rule cp_len_rules[] = {
	{ IKE_CA_INTERNAL_IP4_ADDRESS, CP_FIXED, 4 },
	{ IKE_CA_INTERNAL_IP4_NETMASK, CP_FIXED, 4 },
	{ IKE_CA_INTERNAL_IP4_DNS, CP_FIXED, 4 },
	{ IKE_CA_INTERNAL_IP4_NBNS, CP_FIXED, 4 },
	{ IKE_CA_INTERNAL_IP4_DHCP, CP_FIXED, 4 },
	{ IKE_CA_APPLICATION_VERSION, CP_ANY, 0 },
	{ IKE_CA_INTERNAL_IP6_ADDRESS, CP_FIXED, 17 },	/* address + prefix */
	{ IKE_CA_INTERNAL_IP6_DNS, CP_FIXED, 16 },
	{ IKE_CA_INTERNAL_IP6_DHCP, CP_FIXED, 16 },
	{ IKE_CA_INTERNAL_IP4_SUBNET, CP_FIXED, 8 },	/* address + netmask */
	{ IKE_CA_SUPPORTED_ATTRIBUTES, CP_PAIRS, 0 },
	{ IKE_CA_INTERNAL_IP6_SUBNET, CP_FIXED, 17 },	/* address + prefix */
	{ IKE_CA_INTERNAL_DNS_DOMAIN, CP_ANY, 0 },	/* RFC 8598 4.1 */
};

/* Acceptable value length for type; unknown types accept anything. */
bool ike_cp_attr_len_ok(uint16_t type, size_t len)
{
	type &= CP_TYPE_MASK;
	for (size_t i = 0; i < sizeof(cp_len_rules) / sizeof(cp_len_rules[0]); i++) {
		const struct cp_len_rule *r = &cp_len_rules[i];

		if (r->type != type)
			continue;
		switch (r->kind) {
		case CP_FIXED:
			return len == 0 || len == r->len;
		case CP_PAIRS:
			return len % 2 == 0;
		default:
			return true;
		}
	}
	return true;
}

/* Parse a CP body; see ike_ts_cp.h.  Pass 1 validates every length and the
 * count, pass 2 fills out. */
int ike_cp_parse(const uint8_t *buf, size_t len, struct ike_cp *out)
{
	size_t off, n = 0;

	memset(out, 0, sizeof(*out));
	if (len < CP_HDR_LEN)
		return -EBADMSG;
	if (buf[0] < IKE_CFG_REQUEST || buf[0] > IKE_CFG_ACK)
		return -EBADMSG;

	for (off = CP_HDR_LEN; off < len; n++) {
		uint16_t type, alen;

		if (len - off < CP_ATTR_HDR_LEN)
			return -EBADMSG;
		type = ike_get_u16(buf + off) & CP_TYPE_MASK;
		alen = ike_get_u16(buf + off + 2);
		if (len - off - CP_ATTR_HDR_LEN < alen)
			return -EBADMSG;
		if (!ike_cp_attr_len_ok(type, alen))
			return -EBADMSG;
		if (n == IKE_MAX_CP_ATTRS)
			return -E2BIG;
		off += CP_ATTR_HDR_LEN + (size_t)alen;
	}

	out->cfg_type = buf[0];
	off = CP_HDR_LEN;
	for (size_t i = 0; i < n; i++) {
		struct ike_cp_attr *a = &out->attr[i];

		a->type = ike_get_u16(buf + off) & CP_TYPE_MASK;
		a->len = ike_get_u16(buf + off + 2);
		a->val = buf + off + CP_ATTR_HDR_LEN;
		off += CP_ATTR_HDR_LEN + (size_t)a->len;
	}
	out->n = (uint8_t)n;
	return 0;
}

/* CFG Type + RESERVED. */
void ike_cp_put_header(struct ike_buf *b, uint8_t cfg_type)
{
	ike_buf_put_u8(b, cfg_type);
	ike_buf_put_zero(b, 3);
}

/* One TLV attribute (R bit clear); -EINVAL sticky when len > 65535. */
void ike_cp_put_attr(struct ike_buf *b, uint16_t type, const void *val,
		     size_t len)
{
	if (len > UINT16_MAX) {
		if (!b->err)
			b->err = -EINVAL;
		return;
	}
	ike_buf_put_u16(b, type & CP_TYPE_MASK);
	ike_buf_put_u16(b, (uint16_t)len);
	if (len)
		ike_buf_put(b, val, len);
}

/* Re-encode cp verbatim. */
int ike_cp_build(struct ike_buf *b, const struct ike_cp *cp)
{
	if (cp->n > IKE_MAX_CP_ATTRS)
		return -EINVAL;
	ike_cp_put_header(b, cp->cfg_type);
	for (size_t i = 0; i < cp->n; i++)
		ike_cp_put_attr(b, cp->attr[i].type, cp->attr[i].val,
				cp->attr[i].len);
	return ike_buf_error(b);
}

/* First attribute of type at index >= from, or -ENOENT. */
int ike_cp_find(const struct ike_cp *cp, uint16_t type, unsigned int from)
{
	for (unsigned int i = from; i < cp->n && i < IKE_MAX_CP_ATTRS; i++)
		if (cp->attr[i].type == (type & CP_TYPE_MASK))
			return (int)i;
	return -ENOENT;
}

/* CFG_REPLY body from r; arguments are checked before anything is
 * appended. */
int ike_cp_build_reply(struct ike_buf *b, const struct ike_cp_reply *r)
{
	size_t n_attrs;

	if (r->n_dns4 > IKE_CP_MAX_DNS || r->n_dns6 > IKE_CP_MAX_DNS ||
	    r->n_subnet4 > IKE_CP_MAX_SUBNETS || r->n_subnet6 > IKE_CP_MAX_SUBNETS ||
	    r->n_domains > IKE_CP_MAX_DOMAINS)
		return -EINVAL;
	if (r->has_ip6 && r->ip6_prefix > 128)
		return -EINVAL;
	for (size_t i = 0; i < r->n_subnet6; i++)
		if (r->subnet6[i].prefix > 128)
			return -EINVAL;
	for (size_t i = 0; i < r->n_domains; i++) {
		size_t dl = r->domains[i] ? strnlen(r->domains[i], 256) : 0;

		if (dl == 0 || dl > 255)
			return -EINVAL;
	}
	n_attrs = (size_t)r->has_ip4 + r->has_ip4_netmask + r->n_dns4 +
		  r->has_ip6 + r->n_dns6 + r->n_subnet4 + r->n_subnet6 +
		  r->n_domains;
	if (n_attrs > IKE_MAX_CP_ATTRS)
		return -EINVAL;	/* the peer could not parse it */

	ike_cp_put_header(b, IKE_CFG_REPLY);
	if (r->has_ip4)
		ike_cp_put_attr(b, IKE_CA_INTERNAL_IP4_ADDRESS, r->ip4, 4);
	if (r->has_ip4_netmask)
		ike_cp_put_attr(b, IKE_CA_INTERNAL_IP4_NETMASK, r->ip4_netmask, 4);
	for (size_t i = 0; i < r->n_dns4; i++)
		ike_cp_put_attr(b, IKE_CA_INTERNAL_IP4_DNS, r->dns4[i], 4);
	if (r->has_ip6) {
		uint8_t v[17];

		memcpy(v, r->ip6, 16);
		v[16] = r->ip6_prefix;
		ike_cp_put_attr(b, IKE_CA_INTERNAL_IP6_ADDRESS, v, sizeof(v));
	}
	for (size_t i = 0; i < r->n_dns6; i++)
		ike_cp_put_attr(b, IKE_CA_INTERNAL_IP6_DNS, r->dns6[i], 16);
	for (size_t i = 0; i < r->n_subnet4; i++) {
		uint8_t v[8];

		memcpy(v, r->subnet4[i].addr, 4);
		memcpy(v + 4, r->subnet4[i].mask, 4);
		ike_cp_put_attr(b, IKE_CA_INTERNAL_IP4_SUBNET, v, sizeof(v));
	}
	for (size_t i = 0; i < r->n_subnet6; i++) {
		uint8_t v[17];

		memcpy(v, r->subnet6[i].addr, 16);
		v[16] = r->subnet6[i].prefix;
		ike_cp_put_attr(b, IKE_CA_INTERNAL_IP6_SUBNET, v, sizeof(v));
	}
	for (size_t i = 0; i < r->n_domains; i++)
		ike_cp_put_attr(b, IKE_CA_INTERNAL_DNS_DOMAIN, r->domains[i],
				strlen(r->domains[i]));
	return ike_buf_error(b);
}
