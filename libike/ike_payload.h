/*
 * ike_payload.h — the core IKEv2 codec (RFC 7296 section 3): the IKE header,
 * the generic payload chain, a message builder, and the bodies of SA, KE,
 * ID, CERT, CERTREQ, AUTH, Nonce, Notify, Delete, Vendor ID and EAP.
 * (TS, CP, SK/SKF framing and fragments live in codec-b's headers.)
 *
 * Parsing is two-step, as in iked: ike_msg_parse()/ike_chain_parse() only
 * validate the framing (header, payload lengths, chain consumes the buffer
 * exactly) and hand back struct ike_pl views; then the caller hands each
 * body to the parser of its type (ike_sa_parse(), ike_nonce_parse(), ...),
 * which validates the body completely before interpreting it into a struct.
 * Parsed structs point into the input buffer (no allocation): they are
 * valid only while the input is.
 *
 * Building: struct ike_msg_builder appends to a struct ike_buf (ike.h) and
 * back-patches the previous payload's Next Payload byte, each payload's
 * length and the header's length.  Every ike_*_build() appends one whole
 * payload (generic header + body).  Builders return 0 or a negative errno and
 * also record the first error in the buffer (sticky), so a message can be
 * built in one go and checked once, by ike_mb_finish().
 *
 * Example (IKE_SA_INIT request):
 *	struct ike_buf b; struct ike_msg_builder mb;
 *	ike_buf_init(&b);
 *	ike_mb_begin(&mb, &b, &hdr);	 // hdr.next_payload/length are filled in
 *	ike_sa_build(&mb, props, nprops);
 *	ike_ke_build(&mb, IKE_DH_CURVE25519, pub, 32);
 *	ike_nonce_build(&mb, ni, 32);
 *	ike_notify_build(&mb, 0, IKE_N_NAT_DETECTION_SOURCE_IP, NULL, 0, h, 20);
 *	r = ike_mb_finish(&mb);	 // total length or negative errno
 *
 * SK payload: build the inner chain with a second builder started by
 * ike_mb_begin_chain() into its own ike_buf; on the outer builder call
 * ike_mb_sk_begin(&mb, IKE_PL_SK, inner.first) which writes the SK generic
 * header (Next Payload = first inner payload) and returns its offset
 * (sk_off for ike_sk_seal(), ike_crypto.h); nothing may be added after it.
 *
 * Receiving: ike_msg_parse() returns
 *	-EBADMSG          malformed header or chain (answer INVALID_SYNTAX only
 *	                  where RFC 7296 2.21 allows it)
 *	-EPROTONOSUPPORT  major version != 2; v->hdr is filled; for a major
 *	                  version > 2 answer INVALID_MAJOR_VERSION (2.5)
 *	-E2BIG            more than IKE_MAX_PAYLOADS payloads
 *	-ENOTSUP          chain well formed but holds a payload of an unknown
 *	                  type with the critical bit set; its type is in
 *	                  v->ch.unsupported_critical (answer
 *	                  UNSUPPORTED_CRITICAL_PAYLOAD with that type, 3.2)
 * If the last payload is SK/SKF, v->ch.sk_next is its Next Payload field,
 * the first inner payload: after ike_sk_open() walk the plaintext with
 * ike_chain_parse(plain, plen, 0, v->ch.sk_next, &inner).
 */
#ifndef RAG_IKE_PAYLOAD_H
#define RAG_IKE_PAYLOAD_H

#include "ike.h"

/* ---- RFC 7296 3.1: IKE header ----------------------------------------------
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Initiator's SPI                  |
 * |                       IKE SA Responder's SPI                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
 * |                          Message ID                           |
 * |                            Length                             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#define IKE_HDR_OFF_NEXT    16
#define IKE_HDR_OFF_VERSION 17
#define IKE_HDR_OFF_EXCH    18
#define IKE_HDR_OFF_FLAGS   19
#define IKE_HDR_OFF_MSGID   20
#define IKE_HDR_OFF_LENGTH  24

struct ike_hdr {
	uint8_t spi_i[8], spi_r[8];
	uint8_t next_payload;
	uint8_t version;	/* major << 4 | minor; IKE_VERSION = 0x20 */
	uint8_t exchange;	/* enum ike_exchange */
	uint8_t flags;		/* IKE_FLAG_* */
	uint32_t msg_id;	/* host order */
	uint32_t length;	/* host order, whole message */
};

/*
 * Parse the 28-byte header of the message buf[0..len).  Returns 0;
 * -EBADMSG when len < 28, the Length field != len or Length < 28;
 * -EPROTONOSUPPORT when the major version is not 2 (h is filled in; per 2.5
 * the caller answers INVALID_MAJOR_VERSION only when the major version is
 * higher than 2, and drops IKEv1).  Checked before Length, whose meaning
 * belongs to the other version.  Reserved flag bits are ignored (3.1).
 */
int ike_hdr_parse(const uint8_t *buf, size_t len, struct ike_hdr *h);

/* Append the 28-byte header h (fields written as given, big endian). */
void ike_hdr_build(struct ike_buf *b, const struct ike_hdr *h);

/* ---- RFC 7296 3.2: generic payload header and the payload chain ------------
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 */
struct ike_pl {
	uint8_t type;		/* this payload's type (from the previous Next Payload) */
	bool critical;		/* C bit */
	size_t off;		/* offset of the generic header in the walked buffer */
	const uint8_t *body;	/* after the 4-byte generic header */
	size_t len;		/* body length (Payload Length - 4) */
};

struct ike_chain {
	struct ike_pl pl[IKE_MAX_PAYLOADS];
	size_t n;
	uint8_t sk_next;		/* last payload SK/SKF: its Next Payload (first
					 * inner payload); otherwise IKE_PL_NONE */
	uint8_t unsupported_critical;	/* first unknown type with C set, or 0 */
};

/* true for the payload types this codec (or codec-b) understands */
bool ike_pl_type_known(uint8_t type);

/*
 * Walk the payload chain in buf[start..len) whose first payload has type
 * `first` (IKE_PL_NONE: the chain must be empty).  Every payload needs
 * Payload Length >= 4 and within the buffer; the chain must end (Next
 * Payload 0) exactly at len.  SK (46) and SKF (53) must be the last payload:
 * their body runs to the end and their Next Payload field is returned in
 * ch->sk_next.  ike_pl.off is relative to buf (not buf + start) so that for a
 * whole message it is the offset in the message.  Unknown types without the
 * critical bit are listed (and must be skipped by the caller).  When
 * walking a decrypted inner chain, an SK/SKF inside it is accepted here as
 * framing; the caller must reject it (nested encryption is not allowed).
 * Returns 0, -EBADMSG, -E2BIG (more than IKE_MAX_PAYLOADS), or -ENOTSUP
 * when the chain is well formed but holds an unknown critical payload (its
 * type in ch->unsupported_critical; ch is filled in).
 */
int ike_chain_parse(const uint8_t *buf, size_t len, size_t start,
		    uint8_t first, struct ike_chain *ch);

/* First payload of the given type at index >= from, or NULL. */
const struct ike_pl *ike_chain_find(const struct ike_chain *ch, uint8_t type,
				    size_t from);
/* Number of payloads of the given type. */
size_t ike_chain_count(const struct ike_chain *ch, uint8_t type);

struct ike_msg_view {
	struct ike_hdr hdr;
	const uint8_t *msg;	/* the whole message, as passed in */
	size_t len;
	struct ike_chain ch;	/* top-level payloads; off = offset in msg */
};

/*
 * Parse header + top-level chain of the message buf[0..len) in one call;
 * error returns as for ike_hdr_parse() and ike_chain_parse() (see the top of
 * this file).  On -EPROTONOSUPPORT only v->hdr is valid.
 */
int ike_msg_parse(const uint8_t *buf, size_t len, struct ike_msg_view *v);

/* ---- Message builder ---------------------------------------------------------- */
struct ike_msg_builder {
	struct ike_buf *b;
	size_t base;		/* offset in b of the IKE header / chain start */
	bool has_hdr;		/* begun with ike_mb_begin() */
	bool closed;		/* SK/SKF written: nothing may follow */
	uint8_t first;		/* type of the first payload, IKE_PL_NONE if none */
	size_t last;		/* offset in b of the last payload's generic header */
	size_t n;		/* payloads appended */
};

/* Start a message: append header h (its next_payload and length are
 * replaced and patched later). */
void ike_mb_begin(struct ike_msg_builder *mb, struct ike_buf *b,
		  const struct ike_hdr *h);
/* Start a bare payload chain (e.g. the plaintext inner chain of SK); the
 * first payload's type is in mb->first afterwards. */
void ike_mb_begin_chain(struct ike_msg_builder *mb, struct ike_buf *b);

/*
 * Low level, for payload builders (also codec-b's TS/CP): patch the previous
 * Next Payload byte (header or previous payload) with type, append a generic
 * header (Next Payload 0, length placeholder) and return its offset in
 * mb->b, or SIZE_MAX on error (recorded in the buffer).  After appending the
 * body call ike_mb_pl_end() with that offset to patch the Payload Length
 * (-EMSGSIZE when over 65535).
 */
size_t ike_mb_pl_begin(struct ike_msg_builder *mb, uint8_t type, bool critical);
int ike_mb_pl_end(struct ike_msg_builder *mb, size_t off);

/*
 * Append an opaque payload: generic header + body (for Vendor ID, tests of
 * unknown payloads, or a body encoded elsewhere).
 */
int ike_pl_build_raw(struct ike_msg_builder *mb, uint8_t type, bool critical,
		     const uint8_t *body, size_t len);

/*
 * Append the generic header of an SK (IKE_PL_SK) or SKF (IKE_PL_SKF) payload
 * whose Next Payload is inner_first, and close the builder.  Returns the
 * header's offset in mb->b (sk_off of ike_sk_seal(), which appends the rest
 * and patches both lengths), or SIZE_MAX on error.  For SKF the caller
 * appends Fragment Number and Total Fragments next (RFC 7383 2.5).
 */
size_t ike_mb_sk_begin(struct ike_msg_builder *mb, uint8_t type,
		       uint8_t inner_first);

/* Record err (negative errno) in the builder's buffer unless one is there. */
void ike_mb_fail(struct ike_msg_builder *mb, int err);

/*
 * Finish: patch the header Length (ike_mb_begin) and return the total length
 * of the message or chain, or the first error recorded.
 */
int ike_mb_finish(struct ike_msg_builder *mb);

/* ---- RFC 7296 3.3: Security Association ----------------------------------------
 * Proposal:  | Last (0/2) | RESERVED | Proposal Length | Proposal Num |
 *            | Protocol ID | SPI Size | Num Transforms | SPI ... | Transforms
 * Transform: | Last (0/3) | RESERVED | Transform Length | Type | RESERVED |
 *            | Transform ID | Attributes (TV: AF=1, 4 bytes; TLV: AF=0) |
 */
#define IKE_SA_PARSE_REPLY 0x1	/* responder's SA: exactly one proposal, any
				 * number >= 1 (the one accepted, 3.3.1) */

/*
 * Parse an SA payload body into props[0..*n) (max at most
 * IKE_MAX_PROPOSALS).  Checks: proposal numbers 1, 2, 3, ... (request;
 * see IKE_SA_PARSE_REPLY), Last fields 0 on the last substructure and 2
 * (proposal) / 3 (transform) otherwise, Protocol ID 1..3 with SPI Size 0 or
 * 8 for IKE and 4 for AH/ESP, Num Transforms 1..IKE_MAX_TRANSFORMS and equal
 * to the transforms present, every length consumed exactly.  Key Length (TV)
 * sets keylen; any other attribute is skipped and sets unknown_attr.
 * Returns 0, -EBADMSG, or -E2BIG (more proposals than max or transforms than
 * IKE_MAX_TRANSFORMS).
 */
int ike_sa_parse(const uint8_t *body, size_t len, unsigned int flags,
		 struct ike_proposal *props, size_t max, size_t *n);

/* Append an SA payload carrying props[0..n) (their num fields as given).
 * -EINVAL for n == 0, n > IKE_MAX_PROPOSALS, bad spi_len / n_transforms. */
int ike_sa_build(struct ike_msg_builder *mb, const struct ike_proposal *props,
		 size_t n);

/* ---- RFC 7296 3.4: Key Exchange ---- | DH Group Num | RESERVED | Key data | */
struct ike_ke {
	uint16_t group;
	const uint8_t *data;
	size_t len;		/* >= 1 */
};
int ike_ke_parse(const uint8_t *body, size_t len, struct ike_ke *ke);
int ike_ke_build(struct ike_msg_builder *mb, uint16_t group,
		 const uint8_t *data, size_t len);

/* ---- RFC 7296 3.9: Nonce (16..256 bytes) ---------------------------------------- */
int ike_nonce_parse(const uint8_t *body, size_t len, struct ike_chunk *nonce);
int ike_nonce_build(struct ike_msg_builder *mb, const uint8_t *nonce, size_t len);

/* ---- RFC 7296 3.5: Identification (IDi / IDr) ----- | ID Type | RESERVED(3) | data
 * IPv4 4 bytes, IPv6 16, FQDN / RFC822 / DN / GN / KEY_ID non-empty; other
 * types must be non-empty and are returned as is (the caller decides). */
struct ike_id {
	uint8_t type;		/* enum ike_id_type */
	const uint8_t *data;
	size_t len;
};
int ike_id_parse(const uint8_t *body, size_t len, struct ike_id *id);
/* pl_type: IKE_PL_IDI or IKE_PL_IDR */
int ike_id_build(struct ike_msg_builder *mb, uint8_t pl_type, uint8_t id_type,
		 const uint8_t *data, size_t len);

/* ---- RFC 7296 3.6 / 3.7: Certificate and Certificate Request ------------------
 * | Cert Encoding | Certificate Data / Certification Authority ... | */
#define IKE_CERTREQ_HASH_LEN 20	/* SHA-1 of the CA's SubjectPublicKeyInfo */

struct ike_cert {
	uint8_t encoding;	/* enum ike_cert_encoding */
	const uint8_t *data;
	size_t len;		/* CERT: >= 1 */
};
int ike_cert_parse(const uint8_t *body, size_t len, struct ike_cert *c);
int ike_cert_build(struct ike_msg_builder *mb, uint8_t encoding,
		   const uint8_t *data, size_t len);

struct ike_certreq {
	uint8_t encoding;
	const uint8_t *data;	/* X.509: n_hashes SHA-1 hashes of 20 bytes */
	size_t len;
	size_t n_hashes;	/* X.509 (IKE_CERT_X509_SIG) only, else 0 */
};
/* X.509 encoding: len must be a multiple of 20 (may be 0: "any CA"). */
int ike_certreq_parse(const uint8_t *body, size_t len, struct ike_certreq *c);
int ike_certreq_build(struct ike_msg_builder *mb, uint8_t encoding,
		      const uint8_t *data, size_t len);
/* i-th hash of an X.509 CERTREQ (i < n_hashes) */
static inline const uint8_t *ike_certreq_hash(const struct ike_certreq *c, size_t i)
{
	return c->data + i * IKE_CERTREQ_HASH_LEN;
}

/* ---- RFC 7296 3.8: Authentication ---- | Auth Method | RESERVED(3) | data | */
struct ike_auth {
	uint8_t method;		/* enum ike_auth_method */
	const uint8_t *data;
	size_t len;		/* >= 1 */
};
int ike_auth_parse(const uint8_t *body, size_t len, struct ike_auth *a);
int ike_auth_build(struct ike_msg_builder *mb, uint8_t method,
		   const uint8_t *data, size_t len);

/* RFC 7427 section 3: Authentication Data of method 14 (Digital Signature):
 * | ASN.1 Length (1) | AlgorithmIdentifier ASN.1 object | Signature | */
struct ike_sigdata {
	const uint8_t *alg_id;	/* DER AlgorithmIdentifier (1..255 bytes) */
	size_t alg_id_len;
	const uint8_t *sig;	/* >= 1 byte */
	size_t sig_len;
};
int ike_sigdata_parse(const uint8_t *data, size_t len, struct ike_sigdata *s);
/* Append an AUTH payload with method IKE_AUTH_DIGITAL_SIG and this layout. */
int ike_auth_build_sig(struct ike_msg_builder *mb, const uint8_t *alg_id,
		       size_t alg_id_len, const uint8_t *sig, size_t sig_len);

/* ---- RFC 7296 3.12: Vendor ID (opaque, 0..n bytes) --------------------------- */
int ike_vendor_parse(const uint8_t *body, size_t len, struct ike_chunk *vid);
int ike_vendor_build(struct ike_msg_builder *mb, const uint8_t *vid, size_t len);

/* ---- RFC 7296 3.16 / RFC 3748 4: EAP -------------------------------------------
 * | Code | Identifier | Length | Type (Request/Response) | Type Data ... |
 * Length must equal the payload body length; Request/Response >= 5 bytes,
 * Success/Failure exactly 4; other codes -EBADMSG. */
struct ike_eap {
	uint8_t code;		/* enum ike_eap_code */
	uint8_t id;
	uint8_t type;		/* Request/Response only, else 0 */
	const uint8_t *type_data;	/* after the Type byte */
	size_t type_len;
	const uint8_t *pkt;	/* the whole EAP packet (for MSK / MSCHAPv2) */
	size_t pkt_len;
};
int ike_eap_parse(const uint8_t *body, size_t len, struct ike_eap *e);
/* code Success/Failure: type/data ignored (pass 0, NULL, 0). */
int ike_eap_build(struct ike_msg_builder *mb, uint8_t code, uint8_t id,
		  uint8_t type, const uint8_t *data, size_t len);

/* ---- RFC 7296 3.11: Delete ---------------------------------------------------
 * | Protocol ID | SPI Size | Num of SPIs | SPIs ... |
 * IKE: SPI Size 0 and no SPIs; AH/ESP: SPI Size 4, at most
 * IKE_MAX_DELETE_SPIS (-E2BIG beyond); body length == 4 + n * size. */
struct ike_delete {
	uint8_t protocol;
	uint8_t spi_size;
	uint16_t n_spis;
	const uint8_t *spis;
};
int ike_delete_parse(const uint8_t *body, size_t len, struct ike_delete *d);
/* i-th SPI (AH/ESP) in host order */
static inline uint32_t ike_delete_spi(const struct ike_delete *d, size_t i)
{
	return ike_get_u32(d->spis + 4 * i);
}
/* protocol IKE: n must be 0; AH/ESP: spis in host order, 1..IKE_MAX_DELETE_SPIS */
int ike_delete_build(struct ike_msg_builder *mb, uint8_t protocol,
		     const uint32_t *spis, size_t n);

/* ---- RFC 7296 3.10: Notify -----------------------------------------------------
 * | Protocol ID | SPI Size | Notify Message Type | SPI | Notification Data | */
#define IKE_NAT_HASH_LEN        20	/* SHA-1, 2.23 */
#define IKE_MAX_COOKIE_LEN      64	/* 2.6 */
#define IKE_MIN_COOKIE2_LEN     8	/* RFC 4555 3.8 */
#define IKE_MAX_COOKIE2_LEN     64
#define IKE_MAX_HASH_ALGS       16	/* SIGNATURE_HASH_ALGORITHMS entries we read */

struct ike_notify {
	uint8_t protocol;	/* 0 when no SPI, else enum ike_protocol */
	uint8_t spi_size;	/* 0, 4 or 8 */
	uint16_t type;		/* enum ike_notify_type */
	const uint8_t *spi;	/* spi_size bytes */
	const uint8_t *data;
	size_t data_len;
};

/*
 * Find the first Notify of `type` in a parsed chain and parse it into *n.
 * Returns 1 when found, 0 when there is none, -EBADMSG when a Notify
 * payload met on the way is malformed.  Type-specific data is not checked.
 */
int ike_chain_find_notify(const struct ike_chain *ch, uint16_t type,
			  struct ike_notify *n);

/* Framing only: SPI Size 0, 4 or 8 and within the body.  Type-specific data
 * is checked by ike_notify_check() or the accessors below. */
int ike_notify_parse(const uint8_t *body, size_t len, struct ike_notify *n);
/*
 * Check the data of the types listed below (and of the empty status
 * types: INITIAL_CONTACT, MOBIKE_SUPPORTED, IKEV2_FRAGMENTATION_SUPPORTED,
 * ...); other types pass.  Returns 0 or -EBADMSG.
 */
int ike_notify_check(const struct ike_notify *n);

/* Append a Notify; spi_len 0/4/8 (protocol 0 when 0). */
int ike_notify_build(struct ike_msg_builder *mb, uint8_t protocol, uint16_t type,
		     const uint8_t *spi, size_t spi_len,
		     const uint8_t *data, size_t data_len);

/* Type-specific accessors; each returns 0 or -EBADMSG when the data has the
 * wrong size for the type.  They do not check n->type. */
/* NAT_DETECTION_SOURCE_IP / _DESTINATION_IP: 20-byte SHA-1 (2.23) */
int ike_notify_nat_hash(const struct ike_notify *n, const uint8_t **hash);
/* COOKIE: 1..64 bytes (2.6) */
int ike_notify_cookie(const struct ike_notify *n, struct ike_chunk *cookie);
/* COOKIE2: 8..64 bytes (RFC 4555 3.8) */
int ike_notify_cookie2(const struct ike_notify *n, struct ike_chunk *cookie);
/* INVALID_KE_PAYLOAD: 2-byte accepted DH group (1.3) */
int ike_notify_u16(const struct ike_notify *n, uint16_t *v);
/* SET_WINDOW_SIZE, AUTH_LIFETIME (RFC 4478): 4-byte value */
int ike_notify_u32(const struct ike_notify *n, uint32_t *v);
/* REKEY_SA (1.3.3): protocol AH/ESP, 4-byte SPI, no data; SPI host order */
int ike_notify_rekey_spi(const struct ike_notify *n, uint32_t *spi);
/* ADDITIONAL_IP4_ADDRESS (4 bytes) / ADDITIONAL_IP6_ADDRESS (16) (RFC 4555 3.6) */
int ike_notify_addr(const struct ike_notify *n, size_t addr_len,
		    const uint8_t **addr);
/* status notifies without data (INITIAL_CONTACT, MOBIKE_SUPPORTED,
 * UPDATE_SA_ADDRESSES, IKEV2_FRAGMENTATION_SUPPORTED, ...) */
int ike_notify_empty(const struct ike_notify *n);
/*
 * SIGNATURE_HASH_ALGORITHMS (RFC 7427 4): list of 2-byte hash IDs, even
 * length, at least one; writes at most max to algs and the total count to
 * *n (-E2BIG when more than max or than IKE_MAX_HASH_ALGS).
 */
int ike_notify_hash_algs(const struct ike_notify *n, uint16_t *algs,
			 size_t max, size_t *count);
int ike_notify_build_hash_algs(struct ike_msg_builder *mb,
			       const uint16_t *algs, size_t n);

/* REDIRECT / REDIRECTED_FROM (RFC 5685 8.1, 8.2):
 * | GW Ident Type | GW Ident Len | New Responder GW Identity | [Nonce Data] |
 * GW types 1 IPv4 (4 bytes), 2 IPv6 (16), 3 FQDN (>= 1).  REDIRECT in an
 * IKE_SA_INIT response carries the initiator's nonce (16..256 bytes);
 * REDIRECTED_FROM never has one. */
enum ike_gw_ident { IKE_GW_IPV4 = 1, IKE_GW_IPV6 = 2, IKE_GW_FQDN = 3 };
struct ike_redirect {
	uint8_t gw_type;
	const uint8_t *gw;
	size_t gw_len;
	const uint8_t *nonce;	/* NULL when absent */
	size_t nonce_len;
};
int ike_notify_redirect(const struct ike_notify *n, struct ike_redirect *r);
/* type IKE_N_REDIRECT or IKE_N_REDIRECTED_FROM; nonce NULL/0 when none */
int ike_notify_build_redirect(struct ike_msg_builder *mb, uint16_t type,
			      uint8_t gw_type, const uint8_t *gw, size_t gw_len,
			      const uint8_t *nonce, size_t nonce_len);
/* helpers for fixed-size data */
int ike_notify_build_u16(struct ike_msg_builder *mb, uint16_t type, uint16_t v);
int ike_notify_build_u32(struct ike_msg_builder *mb, uint16_t type, uint32_t v);

#endif
