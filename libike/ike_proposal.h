/*
 * ike_proposal.h — strongSwan-style proposal strings ("aes256gcm16-prfsha384-
 * x25519", "aes256-sha1-modp1024") to and from struct ike_proposal, as used
 * by ragd.conf [proposals] (INTERFACES.md).
 *
 * Keywords are those of strongSwan's "Algorithm Proposals (Cipher Suites)"
 * (docs.strongswan.org/docs/latest/config/proposals.html) that rag
 * implements:
 *   encryption  aes128 aes192 aes256 (CBC), 3des,
 *               aes{128,192,256}gcm{8,12,16} (aliases gcm64/gcm96/gcm128,
 *               and plain "gcm" = gcm16)
 *   integrity   sha1 (HMAC_SHA1_96), sha256 (HMAC_SHA2_256_128),
 *               sha384 (_384_192), sha512 (_512_256), aesxcbc (AES_XCBC_96)
 *   PRF         prfsha1 prfsha256 prfsha384 prfsha512 prfaesxcbc prfaescmac
 *   DH          modp1024 modp1536 modp2048 modp3072 modp4096 ecp256 ecp384
 *               ecp521 x25519 (alias curve25519)
 *   ESN         esn noesn (ESP only)
 * Keywords are matched case-insensitively.  As in strongSwan (IKEv2),
 * several algorithms of one kind may be listed; their order is the
 * preference.  Listing the same algorithm twice (also via an alias) is an
 * error.
 */
#ifndef RAG_IKE_PROPOSAL_H
#define RAG_IKE_PROPOSAL_H

#include "ike.h"

#define IKE_PROPOSAL_MAX_LEN      512	/* one proposal string, bytes */
#define IKE_PROPOSAL_LIST_MAX_LEN 4096	/* a comma-separated list, bytes */
#define IKE_PROPOSAL_TOKEN_MAX    31	/* longest keyword we accept */

/*
 * Parse one proposal string for protocol IKE_PROTO_IKE or IKE_PROTO_ESP.
 * Tokens are separated by '-'; order is free.  For IKE an integrity
 * algorithm without an explicit PRF implies the matching PRF (strongSwan
 * behaviour); AEAD ciphers take no integrity algorithm and, for IKE, need an
 * explicit PRF.  An IKE proposal must end up with ENCR, PRF, DH and (unless
 * AEAD) INTEG; ESP needs ENCR and (unless AEAD) INTEG.  A DH group in an ESP
 * proposal means PFS for CHILD SAs; ESP without esn/noesn gets no-ESN.
 * AEAD and non-AEAD ciphers may not be mixed in one proposal.
 * Transforms are stored in the order ENCR, PRF, INTEG, DH, ESN, each kind in
 * the order written; num = 1, spi_len = 0.
 * On error returns -EINVAL and, when err is non-NULL, writes a message
 * naming the offending token (control characters shown as '?').
 */
int ike_proposal_parse(const char *s, uint8_t protocol, struct ike_proposal *p,
		       char *err, size_t errlen);

/*
 * Parse a comma-separated list (blanks around commas ignored) into at most
 * max proposals (and never more than IKE_MAX_PROPOSALS), numbered 1..n;
 * returns the count.  -EINVAL on a bad proposal (err: "proposal N: ..."),
 * -E2BIG when the list has more proposals than allowed.
 */
int ike_proposal_parse_list(const char *s, uint8_t protocol,
			    struct ike_proposal *p, size_t max,
			    char *err, size_t errlen);

/*
 * Format back to the canonical string: kinds in the order encryption,
 * integrity, PRF, DH, ESN, canonical keyword of each transform; for IKE the
 * PRFs are left out when they are exactly those the integrity algorithms
 * imply, for ESP a lone noesn is left out.  The result parses back to the
 * same proposal.  Returns the length (without the NUL), -EMSGSIZE when out
 * is too small, -EINVAL for a protocol or transform that has no keyword.
 */
int ike_proposal_format(const struct ike_proposal *p, char *out, size_t outlen);

#endif
