/*
 * ike_mschap.h — EAP-MSCHAPv2 for IKEv2 (RFC 7296 2.16):
 *
 *   hash primitives            RFC 2759 section 8 (NtPasswordHash, ...)
 *   MPPE keys                  RFC 3079 section 3.4 (GetMasterKey, ...)
 *   the 64-byte MSK            MasterReceiveKey | MasterSendKey | 32 zero
 *                              octets, as strongSwan's eap_mschapv2 plugin
 *                              (GenerateMSK) and Windows form it
 *   EAP packet layer           draft-kamath-pppext-eap-mschapv2-02 (EAP
 *                              Type 26), message formats of RFC 2759 4-6
 *
 * MD4 and DES live in OpenSSL 3's legacy provider.  libike has no globals and
 * must never load "legacy" into the default library context, so every
 * function takes a struct ike_mschap_ctx: a private OSSL_LIB_CTX with the
 * "legacy" and "default" providers loaded and MD4, SHA-1 and DES-ECB fetched
 * from it once.
 *
 * Thread safety: ike_mschap_ctx_new/_free must not race with any use of the
 * same context.  Between them, a context is read-only: every operation
 * creates its own EVP_MD_CTX / EVP_CIPHER_CTX from the pre-fetched (immutable,
 * reference-counted) algorithm objects, so one context may be used from
 * several threads at once.
 *
 * Secrets: the server stores only the NT hash (MD4 of the UTF-16LE password).
 * NT hashes, the password hash hash, master keys and the MSK are passed as
 * struct ike_key (guarded memory); intermediate values on the stack are wiped.
 *
 * Returns follow ike.h: 0 on success or a negative errno (-EINVAL bad
 * argument, -EBADMSG malformed packet, -E2BIG over a limit, -EACCES response
 * mismatch, -ENOMEM, -ENOTSUP when the legacy provider is missing).
 */
#ifndef RAG_IKE_MSCHAP_H
#define RAG_IKE_MSCHAP_H

#include "ike.h"

#define MSCHAP_CHALLENGE_LEN      16	/* Authenticator / Peer Challenge */
#define MSCHAP_HASH_LEN           16	/* NT hash, hash hash, master key */
#define MSCHAP_CHALLENGE_HASH_LEN 8
#define MSCHAP_NT_RESPONSE_LEN    24
#define MSCHAP_AUTH_RESPONSE_LEN  42	/* "S=" + 40 uppercase hex digits */
#define MSCHAP_MSK_LEN            64
#define MSCHAP_MAX_PASSWORD_UNITS 256	/* UTF-16 code units (RFC 2759 PWBLOCK) */
#define MSCHAP_MAX_PASSWORD_BYTES 1024	/* UTF-8 input bound checked first */
#define MSCHAP_MAX_NAME_LEN       256	/* RFC 2759 4: 0 to 256 characters */
#define MSCHAP_MAX_MESSAGE_LEN    256	/* M=<message> text we build or accept */
#define MSCHAP_RESPONSE_VALUE_LEN 49	/* 16 + 8 + 24 + 1 */

/* MS-CHAPv2 OpCodes (draft-kamath-pppext-eap-mschapv2 section 2) */
enum ike_mschap_opcode {
	MSCHAP_OP_CHALLENGE = 1,
	MSCHAP_OP_RESPONSE = 2,
	MSCHAP_OP_SUCCESS = 3,
	MSCHAP_OP_FAILURE = 4,
	MSCHAP_OP_CHANGE_PASSWORD = 7,
};

/* RFC 2759 section 6 error codes */
enum ike_mschap_error {
	MSCHAP_E_RESTRICTED_LOGON_HOURS = 646,
	MSCHAP_E_ACCT_DISABLED = 647,
	MSCHAP_E_PASSWD_EXPIRED = 648,
	MSCHAP_E_NO_DIALIN_PERMISSION = 649,
	MSCHAP_E_AUTHENTICATION_FAILURE = 691,
	MSCHAP_E_CHANGING_PASSWORD = 709,
};

struct ike_mschap_ctx;

/* ---- Context ---------------------------------------------------------------- */
/* Create a context with its own OSSL_LIB_CTX (legacy + default providers).
 * -ENOTSUP when MD4 or DES-ECB cannot be fetched (no legacy provider). */
int ike_mschap_ctx_new(struct ike_mschap_ctx **out);
void ike_mschap_ctx_free(struct ike_mschap_ctx *ctx);	/* NULL is a no-op */

/* ---- RFC 2759 section 8 ------------------------------------------------------ */
/*
 * NtPasswordHash (8.3): MD4 of the password in UTF-16LE.  pw is UTF-8 of
 * pw_len bytes (no terminator needed); invalid UTF-8 (overlong forms,
 * surrogates, > U+10FFFF, truncated sequences, NUL) is -EINVAL; more than
 * MSCHAP_MAX_PASSWORD_UNITS UTF-16 code units is -E2BIG.  out is allocated
 * (16 bytes, guarded) and must be freed with ike_key_free.
 */
int ike_mschap_nt_password_hash(const struct ike_mschap_ctx *ctx,
				const char *pw, size_t pw_len, struct ike_key *out);

/* HashNtPasswordHash (8.4): out (allocated, 16 bytes) = MD4(nt_hash). */
int ike_mschap_hash_nt_password_hash(const struct ike_mschap_ctx *ctx,
				     const struct ike_key *nt_hash,
				     struct ike_key *out);

/*
 * The user name without a "DOMAIN\" prefix (RFC 2759 section 4: "only the
 * user name is used, without any associated Windows NT domain name").
 * Everything after the first backslash, or the whole name when it has none.
 * The result points into name.
 */
struct ike_chunk ike_mschap_strip_domain(const uint8_t *name, size_t len);

/* ChallengeHash (8.2): first 8 octets of SHA-1(peer | auth | user).  user
 * must already be stripped of its domain; at most MSCHAP_MAX_NAME_LEN. */
int ike_mschap_challenge_hash(const struct ike_mschap_ctx *ctx,
			      const uint8_t peer_challenge[MSCHAP_CHALLENGE_LEN],
			      const uint8_t auth_challenge[MSCHAP_CHALLENGE_LEN],
			      const uint8_t *user, size_t user_len,
			      uint8_t out[MSCHAP_CHALLENGE_HASH_LEN]);

/* DES key expansion (8.6, example 9.3): 56 key bits to 8 octets, odd parity. */
void ike_mschap_des_key(const uint8_t in[7], uint8_t out[8]);

/* ChallengeResponse (8.5): DES-encrypt the 8-octet challenge under the three
 * 7-octet thirds of the NT hash zero-padded to 21 octets. */
int ike_mschap_challenge_response(const struct ike_mschap_ctx *ctx,
				  const uint8_t challenge[MSCHAP_CHALLENGE_HASH_LEN],
				  const struct ike_key *nt_hash,
				  uint8_t out[MSCHAP_NT_RESPONSE_LEN]);

/* GenerateNTResponse (8.1) from the NT hash (user: stripped name). */
int ike_mschap_generate_nt_response(const struct ike_mschap_ctx *ctx,
				    const uint8_t auth_challenge[MSCHAP_CHALLENGE_LEN],
				    const uint8_t peer_challenge[MSCHAP_CHALLENGE_LEN],
				    const uint8_t *user, size_t user_len,
				    const struct ike_key *nt_hash,
				    uint8_t out[MSCHAP_NT_RESPONSE_LEN]);

/*
 * GenerateAuthenticatorResponse (8.7) from the NT hash: writes "S=" and 40
 * uppercase hex digits plus a NUL to out (MSCHAP_AUTH_RESPONSE_LEN + 1).
 */
int ike_mschap_generate_authenticator_response(
	const struct ike_mschap_ctx *ctx, const struct ike_key *nt_hash,
	const uint8_t nt_response[MSCHAP_NT_RESPONSE_LEN],
	const uint8_t peer_challenge[MSCHAP_CHALLENGE_LEN],
	const uint8_t auth_challenge[MSCHAP_CHALLENGE_LEN],
	const uint8_t *user, size_t user_len,
	char out[MSCHAP_AUTH_RESPONSE_LEN + 1]);

/*
 * Server side: recompute the NT-Response from the stored NT hash and compare
 * it with the peer's in constant time.  0 on match, -EACCES on mismatch.
 */
int ike_mschap_verify_nt_response(const struct ike_mschap_ctx *ctx,
				  const struct ike_key *nt_hash,
				  const uint8_t auth_challenge[MSCHAP_CHALLENGE_LEN],
				  const uint8_t peer_challenge[MSCHAP_CHALLENGE_LEN],
				  const uint8_t *user, size_t user_len,
				  const uint8_t received[MSCHAP_NT_RESPONSE_LEN]);

/*
 * Peer side, CheckAuthenticatorResponse (8.8): compare the authenticator's
 * 42-octet "S=..." string with the expected one in constant time.
 * 0 on match, -EACCES otherwise.
 */
int ike_mschap_check_authenticator_response(
	const struct ike_mschap_ctx *ctx, const struct ike_key *nt_hash,
	const uint8_t nt_response[MSCHAP_NT_RESPONSE_LEN],
	const uint8_t peer_challenge[MSCHAP_CHALLENGE_LEN],
	const uint8_t auth_challenge[MSCHAP_CHALLENGE_LEN],
	const uint8_t *user, size_t user_len,
	const uint8_t *received, size_t received_len);

/* ---- RFC 3079 section 3.4 ------------------------------------------------------ */
/* GetMasterKey: out (allocated, 16) = SHA-1(hash_hash | nt_response |
 * "This is the MPPE Master Key")[0..16). */
int ike_mschap_master_key(const struct ike_mschap_ctx *ctx,
			  const struct ike_key *nt_hash_hash,
			  const uint8_t nt_response[MSCHAP_NT_RESPONSE_LEN],
			  struct ike_key *out);

/*
 * GetAsymmetricStartKey: out (allocated, key_len = 8 or 16 bytes) =
 * SHA-1(master | SHSpad1 | magic | SHSpad2)[0..key_len), where magic is
 * Magic3 ("...on the server side, it is the send key.") when
 * is_send == is_server and Magic2 otherwise.
 */
int ike_mschap_asymmetric_start_key(const struct ike_mschap_ctx *ctx,
				    const struct ike_key *master, size_t key_len,
				    bool is_send, bool is_server,
				    struct ike_key *out);

/*
 * The EAP-MSCHAPv2 MSK used as the IKEv2 AUTH key (RFC 7296 2.16): 64 bytes =
 * MasterReceiveKey | MasterSendKey | 32 zero octets, receive/send from the
 * server's point of view (RFC 3079 3.4 with IsServer = TRUE; 16-byte keys).
 * Both peers compute the same bytes.  Derived from the NT hash and the
 * NT-Response; out is allocated (guarded).
 */
int ike_mschap_msk(const struct ike_mschap_ctx *ctx,
		   const struct ike_key *nt_hash,
		   const uint8_t nt_response[MSCHAP_NT_RESPONSE_LEN],
		   struct ike_key *out);

/* ---- EAP-MSCHAPv2 packets (whole EAP packets: Code .. end) ---------------------
 *
 *   Challenge/Response:  Code | Identifier | Length(2) | Type=26 | OpCode |
 *                        MS-CHAPv2-ID | MS-Length(2) = Length - 5 |
 *                        Value-Size | Value | Name
 *   Success/Failure req: Code=1 | Id | Length | 26 | OpCode | MS-CHAPv2-ID |
 *                        MS-Length | Message
 *   Success/Failure rsp: Code=2 | Id | Length=6 | 26 | OpCode
 */

/* Server: EAP-Request/Challenge (Value-Size 16, challenge, server name of at
 * most MSCHAP_MAX_NAME_LEN printable bytes).  Appends to b. */
int ike_mschap_build_challenge(struct ike_buf *b, uint8_t eap_id, uint8_t ms_id,
			       const uint8_t challenge[MSCHAP_CHALLENGE_LEN],
			       const char *server_name);

struct ike_mschap_response {
	uint8_t eap_id;
	uint8_t ms_id;
	uint8_t peer_challenge[MSCHAP_CHALLENGE_LEN];
	uint8_t nt_response[MSCHAP_NT_RESPONSE_LEN];
	uint8_t flags;
	struct ike_chunk name;	/* as sent (may carry "DOMAIN\"); points into buf */
};

/*
 * Server: parse an EAP-Response/MSCHAPv2 Response.  Checks Code, Type,
 * OpCode, Length == len, MS-Length == Length - 5, Value-Size == 49, the
 * 8 reserved octets and Flags are zero (RFC 2759 4), and the name is 0..256
 * bytes with no control characters.  -EBADMSG on any violation (-E2BIG for
 * an overlong name).
 */
int ike_mschap_parse_response(const uint8_t *buf, size_t len,
			      struct ike_mschap_response *r);

/* Server: EAP-Request/Success, message "S=<auth> M=<msg>"; auth_response is
 * the NUL-terminated "S=" + 40 hex string (msg printable
 * ASCII, at most MSCHAP_MAX_MESSAGE_LEN; NULL = no " M=" part). */
int ike_mschap_build_success(struct ike_buf *b, uint8_t eap_id, uint8_t ms_id,
			     const char *auth_response,
			     const char *msg);

/* Server: EAP-Request/Failure, message
 * "E=<error> R=<0|1> C=<32 uppercase hex of challenge> V=3 M=<msg>". */
int ike_mschap_build_failure(struct ike_buf *b, uint8_t eap_id, uint8_t ms_id,
			     unsigned int error, bool retry,
			     const uint8_t challenge[MSCHAP_CHALLENGE_LEN],
			     const char *msg);

/* Server: parse the peer's EAP-Response/Success or /Failure (6 octets);
 * *opcode = MSCHAP_OP_SUCCESS or MSCHAP_OP_FAILURE, *eap_id = Identifier. */
int ike_mschap_parse_ack(const uint8_t *buf, size_t len, uint8_t *eap_id,
			 uint8_t *opcode);

/* ---- Peer side (two-peer tests, rag-bench) ----------------------------------- */
struct ike_mschap_challenge {
	uint8_t eap_id;
	uint8_t ms_id;
	uint8_t challenge[MSCHAP_CHALLENGE_LEN];
	struct ike_chunk name;	/* points into buf */
};

/* Peer: parse an EAP-Request/Challenge (Value-Size must be 16). */
int ike_mschap_parse_challenge(const uint8_t *buf, size_t len,
			       struct ike_mschap_challenge *c);

/* Peer: EAP-Response/Response with 8 zero reserved octets and Flags 0. */
int ike_mschap_build_response(struct ike_buf *b, uint8_t eap_id, uint8_t ms_id,
			      const uint8_t peer_challenge[MSCHAP_CHALLENGE_LEN],
			      const uint8_t nt_response[MSCHAP_NT_RESPONSE_LEN],
			      const uint8_t *name, size_t name_len);

struct ike_mschap_result {
	uint8_t eap_id;
	uint8_t ms_id;
	uint8_t opcode;		/* MSCHAP_OP_SUCCESS or MSCHAP_OP_FAILURE */
	/* Success: the "S=" + 40 hex authenticator response (points into buf) */
	struct ike_chunk auth_response;
	/* Failure: E=, R=, C= (C is optional to us; has_challenge says) */
	unsigned int error;
	bool retry;
	bool has_challenge;
	uint8_t challenge[MSCHAP_CHALLENGE_LEN];
	struct ike_chunk message;	/* text after "M=", may be empty */
};

/* Peer: parse an EAP-Request/Success or /Failure and its message fields. */
int ike_mschap_parse_result(const uint8_t *buf, size_t len,
			    struct ike_mschap_result *res);

/* Peer: the 6-octet EAP-Response/Success or /Failure acknowledgement. */
int ike_mschap_build_ack(struct ike_buf *b, uint8_t eap_id, uint8_t opcode);

#endif
