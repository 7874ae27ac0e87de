/*
 * ike_proposal.h — strongSwan-style proposal strings ("aes256gcm16-prfsha384-
 * x25519", "aes256-sha1-modp1024") to and from struct ike_proposal, as used
 * by ragd.conf [proposals] (INTERFACES.md).
 */
#ifndef RAG_IKE_PROPOSAL_H
#define RAG_IKE_PROPOSAL_H

#include "ike.h"

/*
 * Parse one proposal string for protocol IKE_PROTO_IKE or IKE_PROTO_ESP.
 * Tokens are separated by '-'; order is free.  For IKE an integrity
 * algorithm without an explicit PRF implies the matching PRF (strongSwan
 * behaviour); AEAD ciphers take no integrity algorithm.  A DH group in an ESP
 * proposal means PFS for CHILD SAs.  On error returns -EINVAL and, when err
 * is non-NULL, writes a message naming the offending token.
 */
int ike_proposal_parse(const char *s, uint8_t protocol, struct ike_proposal *p,
		       char *err, size_t errlen);

/* Parse a comma-separated list into at most max proposals; returns count. */
int ike_proposal_parse_list(const char *s, uint8_t protocol,
			    struct ike_proposal *p, size_t max,
			    char *err, size_t errlen);

/* Format back to the canonical string; returns length or -EMSGSIZE. */
int ike_proposal_format(const struct ike_proposal *p, char *out, size_t outlen);

#endif
