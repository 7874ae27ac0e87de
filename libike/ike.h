/*
 * ike.h — libike core: IANA numbers of IKEv2 (RFC 7296 and the RFCs it is
 * extended by), error conventions, the output buffer used by every builder
 * and the guarded memory used for key material.
 *
 * libike is pure: no sockets, no globals, no clock reads, no logging.
 * Functions return 0 (or a length) on success and a negative errno on
 * failure:
 *   -EBADMSG   malformed or truncated input, integrity check failed
 *   -E2BIG     an attacker-controlled count exceeded one of our limits
 *   -ENOTSUP   algorithm or type we do not implement
 *   -EINVAL    invalid argument or invalid peer value (e.g. DH public key)
 *   -ENOMEM    allocation failed
 *   -EACCES    authentication (AUTH payload, MSCHAPv2 response) mismatch
 */
#ifndef RAG_IKE_H
#define RAG_IKE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- RFC 7296 3.1: header ---------------------------------------------- */
#define IKE_HDR_LEN          28
#define IKE_GENERIC_HDR_LEN  4
#define IKE_VERSION          0x20	/* major 2, minor 0 */
#define IKE_MAX_MSG_LEN      65535

enum ike_exchange {
	IKE_SA_INIT = 34,
	IKE_AUTH = 35,
	CREATE_CHILD_SA = 36,
	INFORMATIONAL = 37,
	IKE_SESSION_RESUME = 38,	/* RFC 5723 */
	IKE_INTERMEDIATE = 43,		/* RFC 9242 */
};

#define IKE_FLAG_INITIATOR 0x08
#define IKE_FLAG_VERSION   0x10
#define IKE_FLAG_RESPONSE  0x20

enum ike_payload_type {
	IKE_PL_NONE = 0,
	IKE_PL_SA = 33,
	IKE_PL_KE = 34,
	IKE_PL_IDI = 35,
	IKE_PL_IDR = 36,
	IKE_PL_CERT = 37,
	IKE_PL_CERTREQ = 38,
	IKE_PL_AUTH = 39,
	IKE_PL_NONCE = 40,
	IKE_PL_NOTIFY = 41,
	IKE_PL_DELETE = 42,
	IKE_PL_VENDOR = 43,
	IKE_PL_TSI = 44,
	IKE_PL_TSR = 45,
	IKE_PL_SK = 46,
	IKE_PL_CP = 47,
	IKE_PL_EAP = 48,
	IKE_PL_GSPM = 49,	/* RFC 6467 */
	IKE_PL_SKF = 53,	/* RFC 7383 */
};

/* ---- RFC 7296 3.3: security associations --------------------------------- */
enum ike_protocol { IKE_PROTO_IKE = 1, IKE_PROTO_AH = 2, IKE_PROTO_ESP = 3 };

enum ike_transform_type {
	IKE_TR_ENCR = 1,
	IKE_TR_PRF = 2,
	IKE_TR_INTEG = 3,
	IKE_TR_DH = 4,
	IKE_TR_ESN = 5,
};

enum ike_encr {
	IKE_ENCR_DES_IV64 = 1,
	IKE_ENCR_DES = 2,
	IKE_ENCR_3DES = 3,
	IKE_ENCR_NULL = 11,
	IKE_ENCR_AES_CBC = 12,
	IKE_ENCR_AES_CTR = 13,
	IKE_ENCR_AES_CCM_8 = 14,
	IKE_ENCR_AES_CCM_12 = 15,
	IKE_ENCR_AES_CCM_16 = 16,
	IKE_ENCR_AES_GCM_8 = 18,	/* RFC 5282 / 4106 */
	IKE_ENCR_AES_GCM_12 = 19,
	IKE_ENCR_AES_GCM_16 = 20,
	IKE_ENCR_NULL_AUTH_AES_GMAC = 21,
	IKE_ENCR_CAMELLIA_CBC = 23,
	IKE_ENCR_CHACHA20_POLY1305 = 28,
};

enum ike_prf {
	IKE_PRF_HMAC_MD5 = 1,
	IKE_PRF_HMAC_SHA1 = 2,
	IKE_PRF_AES128_XCBC = 4,
	IKE_PRF_HMAC_SHA2_256 = 5,
	IKE_PRF_HMAC_SHA2_384 = 6,
	IKE_PRF_HMAC_SHA2_512 = 7,
	IKE_PRF_AES128_CMAC = 8,
};

enum ike_integ {
	IKE_INTEG_NONE = 0,
	IKE_INTEG_HMAC_MD5_96 = 1,
	IKE_INTEG_HMAC_SHA1_96 = 2,
	IKE_INTEG_AES_XCBC_96 = 5,
	IKE_INTEG_HMAC_SHA1_160 = 7,
	IKE_INTEG_AES_CMAC_96 = 8,
	IKE_INTEG_HMAC_SHA2_256_128 = 12,
	IKE_INTEG_HMAC_SHA2_384_192 = 13,
	IKE_INTEG_HMAC_SHA2_512_256 = 14,
};

enum ike_dh_group {
	IKE_DH_NONE = 0,
	IKE_DH_MODP768 = 1,
	IKE_DH_MODP1024 = 2,
	IKE_DH_MODP1536 = 5,
	IKE_DH_MODP2048 = 14,
	IKE_DH_MODP3072 = 15,
	IKE_DH_MODP4096 = 16,
	IKE_DH_MODP6144 = 17,
	IKE_DH_MODP8192 = 18,
	IKE_DH_ECP256 = 19,
	IKE_DH_ECP384 = 20,
	IKE_DH_ECP521 = 21,
	IKE_DH_MODP2048_256 = 24,
	IKE_DH_CURVE25519 = 31,
	IKE_DH_CURVE448 = 32,
};

enum ike_esn { IKE_ESN_NO = 0, IKE_ESN_YES = 1 };

#define IKE_ATTR_KEY_LENGTH 14	/* TV format: sent as 0x800e */
#define IKE_ATTR_AF         0x8000

/* ---- RFC 7296 3.5: identification ---------------------------------------- */
enum ike_id_type {
	IKE_ID_IPV4_ADDR = 1,
	IKE_ID_FQDN = 2,
	IKE_ID_RFC822_ADDR = 3,
	IKE_ID_IPV6_ADDR = 5,
	IKE_ID_DER_ASN1_DN = 9,
	IKE_ID_DER_ASN1_GN = 10,
	IKE_ID_KEY_ID = 11,
};

/* ---- RFC 7296 3.6: certificate encodings ---------------------------------- */
enum ike_cert_encoding {
	IKE_CERT_PKCS7 = 1,
	IKE_CERT_PGP = 2,
	IKE_CERT_DNS_KEY = 3,
	IKE_CERT_X509_SIG = 4,
	IKE_CERT_KERBEROS = 6,
	IKE_CERT_CRL = 7,
	IKE_CERT_ARL = 8,
	IKE_CERT_SPKI = 9,
	IKE_CERT_X509_ATTR = 10,
	IKE_CERT_RAW_RSA = 11,
	IKE_CERT_HASH_URL_X509 = 12,
	IKE_CERT_HASH_URL_BUNDLE = 13,
};

/* ---- RFC 7296 3.8 / RFC 7427: authentication methods ----------------------- */
enum ike_auth_method {
	IKE_AUTH_RSA_SIG = 1,
	IKE_AUTH_PSK = 2,
	IKE_AUTH_DSS = 3,
	IKE_AUTH_ECDSA_256 = 9,	/* RFC 4754 */
	IKE_AUTH_ECDSA_384 = 10,
	IKE_AUTH_ECDSA_521 = 11,
	IKE_AUTH_GSPAM = 12,
	IKE_AUTH_NULL = 13,	/* RFC 7619 */
	IKE_AUTH_DIGITAL_SIG = 14,	/* RFC 7427 */
};

/* RFC 7427 section 4: hash algorithm identifiers */
enum ike_hash_alg {
	IKE_HASH_SHA1 = 1,
	IKE_HASH_SHA2_256 = 2,
	IKE_HASH_SHA2_384 = 3,
	IKE_HASH_SHA2_512 = 4,
	IKE_HASH_IDENTITY = 5,	/* RFC 8420, used with Ed25519 */
};

/* ---- RFC 7296 3.10.1 (and RFC 4555, 5685, 7383, 7427): notify types ------- */
enum ike_notify_type {
	/* errors */
	IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
	IKE_N_INVALID_IKE_SPI = 4,
	IKE_N_INVALID_MAJOR_VERSION = 5,
	IKE_N_INVALID_SYNTAX = 7,
	IKE_N_INVALID_MESSAGE_ID = 9,
	IKE_N_INVALID_SPI = 11,
	IKE_N_NO_PROPOSAL_CHOSEN = 14,
	IKE_N_INVALID_KE_PAYLOAD = 17,
	IKE_N_AUTHENTICATION_FAILED = 24,
	IKE_N_SINGLE_PAIR_REQUIRED = 34,
	IKE_N_NO_ADDITIONAL_SAS = 35,
	IKE_N_INTERNAL_ADDRESS_FAILURE = 36,
	IKE_N_FAILED_CP_REQUIRED = 37,
	IKE_N_TS_UNACCEPTABLE = 38,
	IKE_N_INVALID_SELECTORS = 39,
	IKE_N_UNACCEPTABLE_ADDRESSES = 40,	/* RFC 4555 */
	IKE_N_UNEXPECTED_NAT_DETECTED = 41,	/* RFC 4555 */
	IKE_N_TEMPORARY_FAILURE = 43,
	IKE_N_CHILD_SA_NOT_FOUND = 44,
	/* status */
	IKE_N_INITIAL_CONTACT = 16384,
	IKE_N_SET_WINDOW_SIZE = 16385,
	IKE_N_ADDITIONAL_TS_POSSIBLE = 16386,
	IKE_N_IPCOMP_SUPPORTED = 16387,
	IKE_N_NAT_DETECTION_SOURCE_IP = 16388,
	IKE_N_NAT_DETECTION_DESTINATION_IP = 16389,
	IKE_N_COOKIE = 16390,
	IKE_N_USE_TRANSPORT_MODE = 16391,
	IKE_N_HTTP_CERT_LOOKUP_SUPPORTED = 16392,
	IKE_N_REKEY_SA = 16393,
	IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
	IKE_N_NON_FIRST_FRAGMENTS_ALSO = 16395,
	IKE_N_MOBIKE_SUPPORTED = 16396,		/* RFC 4555 */
	IKE_N_ADDITIONAL_IP4_ADDRESS = 16397,
	IKE_N_ADDITIONAL_IP6_ADDRESS = 16398,
	IKE_N_NO_ADDITIONAL_ADDRESSES = 16399,
	IKE_N_UPDATE_SA_ADDRESSES = 16400,
	IKE_N_COOKIE2 = 16401,
	IKE_N_NO_NATS_ALLOWED = 16402,
	IKE_N_AUTH_LIFETIME = 16403,		/* RFC 4478 */
	IKE_N_MULTIPLE_AUTH_SUPPORTED = 16404,	/* RFC 4739 */
	IKE_N_ANOTHER_AUTH_FOLLOWS = 16405,
	IKE_N_REDIRECT_SUPPORTED = 16406,	/* RFC 5685 */
	IKE_N_REDIRECT = 16407,
	IKE_N_REDIRECTED_FROM = 16408,
	IKE_N_EAP_ONLY_AUTHENTICATION = 16417,	/* RFC 5998 */
	IKE_N_IKEV2_FRAGMENTATION_SUPPORTED = 16430,	/* RFC 7383 */
	IKE_N_SIGNATURE_HASH_ALGORITHMS = 16431,	/* RFC 7427 */
};

/* ---- RFC 7296 3.15: configuration payload ---------------------------------- */
enum ike_cfg_type {
	IKE_CFG_REQUEST = 1,
	IKE_CFG_REPLY = 2,
	IKE_CFG_SET = 3,
	IKE_CFG_ACK = 4,
};

enum ike_cfg_attr {
	IKE_CA_INTERNAL_IP4_ADDRESS = 1,
	IKE_CA_INTERNAL_IP4_NETMASK = 2,
	IKE_CA_INTERNAL_IP4_DNS = 3,
	IKE_CA_INTERNAL_IP4_NBNS = 4,
	IKE_CA_INTERNAL_IP4_DHCP = 6,
	IKE_CA_APPLICATION_VERSION = 7,
	IKE_CA_INTERNAL_IP6_ADDRESS = 8,
	IKE_CA_INTERNAL_IP6_DNS = 10,
	IKE_CA_INTERNAL_IP6_DHCP = 12,
	IKE_CA_INTERNAL_IP4_SUBNET = 13,
	IKE_CA_SUPPORTED_ATTRIBUTES = 14,
	IKE_CA_INTERNAL_IP6_SUBNET = 15,
	IKE_CA_INTERNAL_DNS_DOMAIN = 25,	/* RFC 8598 */
	IKE_CA_MS_INTERNAL_IP4_SERVER = 23456,	/* Microsoft private use */
	IKE_CA_MS_INTERNAL_IP6_SERVER = 23457,
};

/* ---- RFC 7296 3.13.1: traffic selector types --------------------------------- */
enum ike_ts_type { IKE_TS_IPV4_ADDR_RANGE = 7, IKE_TS_IPV6_ADDR_RANGE = 8 };

/* ---- RFC 3748: EAP -------------------------------------------------------- */
enum ike_eap_code { EAP_REQUEST = 1, EAP_RESPONSE = 2, EAP_SUCCESS = 3, EAP_FAILURE = 4 };
enum ike_eap_type {
	EAP_TYPE_IDENTITY = 1,
	EAP_TYPE_NOTIFICATION = 2,
	EAP_TYPE_NAK = 3,
	EAP_TYPE_MD5 = 4,
	EAP_TYPE_TLS = 13,
	EAP_TYPE_MSCHAPV2 = 26,
};

/* ---- Limits on what a peer controls (STYLE.md rule 6) ------------------------ */
#define IKE_MAX_PAYLOADS        64	/* payloads in one message (or one SK) */
#define IKE_MAX_PROPOSALS       32	/* proposals in one SA payload */
#define IKE_MAX_TRANSFORMS      64	/* transforms in one proposal */
#define IKE_MAX_TS              16	/* selectors in one TS payload */
#define IKE_MAX_CP_ATTRS        32	/* attributes in one CP payload */
#define IKE_MAX_DELETE_SPIS     256	/* SPIs in one Delete payload */
#define IKE_MAX_FRAGMENTS       64	/* RFC 7383 fragments of one message */
#define IKE_MAX_NONCE_LEN       256	/* RFC 7296 3.9: 16..256 octets */
#define IKE_MIN_NONCE_LEN       16

/* ---- Proposals (shared by the SA payload codec, proposal strings and
 * proposal selection) ------------------------------------------------------ */
struct ike_transform {
	uint8_t type;		/* enum ike_transform_type */
	uint16_t id;		/* transform ID */
	uint16_t keylen;	/* key length attribute in bits, 0 = absent */
	bool unknown_attr;	/* carried an attribute we do not know */
};

struct ike_proposal {
	uint8_t num;		/* proposal number, 1-based */
	uint8_t protocol;	/* enum ike_protocol */
	uint8_t spi_len;	/* 0, 4 (ESP/AH) or 8 (IKE rekey) */
	uint8_t spi[8];
	uint8_t n_transforms;
	struct ike_transform tr[IKE_MAX_TRANSFORMS];
};

/* ---- Output buffer ----------------------------------------------------------
 * Builders append to an ike_buf.  Errors are sticky: after the first failed
 * append every later append is a no-op and ike_buf_error() reports it, so a
 * builder can append a whole message and check once. */
struct ike_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	int err;		/* 0 or first negative errno */
	size_t limit;		/* 0 = IKE_MAX_MSG_LEN */
};

void ike_buf_init(struct ike_buf *b);
void ike_buf_free(struct ike_buf *b);
void ike_buf_reset(struct ike_buf *b);
static inline int ike_buf_error(const struct ike_buf *b) { return b->err; }
/* reserve n bytes at the end and return a pointer to them (NULL on error) */
uint8_t *ike_buf_reserve(struct ike_buf *b, size_t n);
void ike_buf_put(struct ike_buf *b, const void *p, size_t n);
void ike_buf_put_u8(struct ike_buf *b, uint8_t v);
void ike_buf_put_u16(struct ike_buf *b, uint16_t v);	/* big endian */
void ike_buf_put_u32(struct ike_buf *b, uint32_t v);
void ike_buf_put_u64(struct ike_buf *b, uint64_t v);
void ike_buf_put_zero(struct ike_buf *b, size_t n);
/* overwrite a big-endian u16/u32 at an earlier offset (length back-patching) */
void ike_buf_set_u16(struct ike_buf *b, size_t off, uint16_t v);
void ike_buf_set_u32(struct ike_buf *b, size_t off, uint32_t v);

/* ---- Key material -------------------------------------------------------------
 * Secrets live in libsodium guarded memory (sodium_malloc: guard pages,
 * mlock'ed, canary) and are wiped when freed.  An ike_key owns its memory. */
struct ike_key {
	uint8_t *ptr;
	size_t len;
};

int ike_key_alloc(struct ike_key *k, size_t len);	/* zero-filled */
int ike_key_dup(struct ike_key *k, const void *p, size_t len);
void ike_key_free(struct ike_key *k);	/* wipes; safe on an empty key */

/* one-time library set-up (sodium_init); returns 0 or -ENOMEM */
int ike_init(void);

/* read-only view of bytes owned by someone else */
struct ike_chunk {
	const uint8_t *ptr;
	size_t len;
};

static inline uint16_t ike_get_u16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t ike_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t ike_get_u64(const uint8_t *p)
{
	return (uint64_t)ike_get_u32(p) << 32 | ike_get_u32(p + 4);
}

/* name tables, for logs and proposal strings; return NULL when unknown */
const char *ike_exchange_name(unsigned int v);
const char *ike_payload_name(unsigned int v);
const char *ike_notify_name(unsigned int v);

#endif
