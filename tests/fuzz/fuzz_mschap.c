/*
 * fuzz_mschap.c — the EAP-MSCHAPv2 parsers of libike/ike_mschap.h and the
 * checks of peer-supplied responses (draft-kamath-pppext-eap-mschapv2-02,
 * RFC 2759 sections 4-6 and 8).
 *
 * Input: byte 0 % 6 selects the case, the rest is peer data:
 *   0  ike_mschap_parse_response (server), then the NT-Response is checked
 *      with ike_mschap_verify_nt_response against the fixed NT hash and
 *      Authenticator Challenge; a response that verifies is carried through
 *      the rest of the exchange (Success built, parsed by the peer side,
 *      authenticator response checked, MSK derived)
 *   1  ike_mschap_parse_ack (server)
 *   2  ike_mschap_parse_challenge (peer)
 *   3  ike_mschap_parse_result (peer); a Success's "S=" string is checked
 *      with ike_mschap_check_authenticator_response
 *   4  raw ike_mschap_verify_nt_response: PeerChallenge(16) | NT-Response(24)
 *      | user name (any length, also over the limit)
 *   5  raw ike_mschap_check_authenticator_response: NT-Response(24) |
 *      PeerChallenge(16) | user length(1) | user | received string
 * The fixed values are those of RFC 2759 section 9.2: user "User", password
 * "clientPass", its Authenticator Challenge; the seed corpus carries that
 * example's Response packet, NT-Response and "S=407A..." string.
 *
 * Oracles (besides ASan/UBSan/LSan):
 *  - only documented errors: -EBADMSG / -E2BIG from parsers, -EACCES (and
 *    -E2BIG / -EINVAL for an overlong user name) from the checks;
 *  - chunks returned by a parser lie inside the input;
 *  - what parses is rebuilt byte for byte by the matching builder (Response,
 *    ack, Challenge with a printable name);
 *  - a check succeeds exactly when the received value equals the one
 *    ike_mschap_generate_* computes, and the RFC 2759 9.2 values succeed.
 *
 * Built with -DMSCHAP_GEN_MAIN this file is instead the generator of the
 * seed corpus:  fuzz_mschap_gen DIR  (see gen_main).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike_mschap.h"

/* RFC 2759 section 9.2 */
static const char fz_user[] = "User";
static const char fz_password[] = "clientPass";
static const uint8_t fz_auth_ch[MSCHAP_CHALLENGE_LEN] = {
	0x5b, 0x5d, 0x7c, 0x7d, 0x7b, 0x3f, 0x2f, 0x3e,
	0x3c, 0x2c, 0x60, 0x21, 0x32, 0x26, 0x26, 0x28,
};
static const uint8_t fz_peer_ch[MSCHAP_CHALLENGE_LEN] = {
	0x21, 0x40, 0x23, 0x24, 0x25, 0x5e, 0x26, 0x2a,
	0x28, 0x29, 0x5f, 0x2b, 0x3a, 0x33, 0x7c, 0x7e,
};
static const uint8_t fz_nt_resp[MSCHAP_NT_RESPONSE_LEN] = {
	0x82, 0x30, 0x9e, 0xcd, 0x8d, 0x70, 0x8b, 0x5e, 0xa0, 0x8f, 0xaa, 0x39,
	0x81, 0xcd, 0x83, 0x54, 0x42, 0x33, 0x11, 0x4a, 0x3d, 0x85, 0xd6, 0xdf,
};
static const char fz_auth_resp[] = "S=407A5589115FD0D6209F510FE9C04566932CDA56";

static struct ike_mschap_ctx *fz_ctx;
static struct ike_key fz_nt_hash;
static int fz_ready;

/* Context and NT hash of the fixed password, once. */
static void fz_setup(void)
{
	if (ike_init() < 0 || ike_mschap_ctx_new(&fz_ctx) < 0 ||
	    ike_mschap_nt_password_hash(fz_ctx, fz_password,
					sizeof(fz_password) - 1, &fz_nt_hash) < 0)
		abort();
	fz_ready = 1;
}

/* abort unless c is empty or lies inside buf[0..len) */
static void fz_inside(struct ike_chunk c, const uint8_t *buf, size_t len)
{
	if (c.len == 0)
		return;
	if (!c.ptr || c.ptr < buf || (size_t)(c.ptr - buf) > len ||
	    c.len > len - (size_t)(c.ptr - buf))
		abort();
}

/* abort unless b holds exactly buf[0..len) */
static void fz_same(const struct ike_buf *b, const uint8_t *buf, size_t len)
{
	if (ike_buf_error(b) || b->len != len || memcmp(b->data, buf, len) != 0)
		abort();
}

/*
 * Server-side check of an NT-Response for (peer challenge, user): returns
 * the verify result after checking it against a recomputation.
 */
static int fz_verify(const uint8_t pc[MSCHAP_CHALLENGE_LEN],
		     const uint8_t nt[MSCHAP_NT_RESPONSE_LEN],
		     const uint8_t *user, size_t user_len)
{
	uint8_t want[MSCHAP_NT_RESPONSE_LEN];
	int r, g;

	r = ike_mschap_verify_nt_response(fz_ctx, &fz_nt_hash, fz_auth_ch, pc,
					  user, user_len, nt);
	g = ike_mschap_generate_nt_response(fz_ctx, fz_auth_ch, pc, user,
					    user_len, &fz_nt_hash, want);
	if (g < 0) {
		/* only an overlong user name can make these fail */
		if (r != g || user_len <= MSCHAP_MAX_NAME_LEN ||
		    (g != -E2BIG && g != -EINVAL))
			abort();
		return r;
	}
	if ((r == 0) != (memcmp(want, nt, sizeof(want)) == 0) ||
	    (r != 0 && r != -EACCES))
		abort();
	/* RFC 2759 9.2 known answer */
	if (user_len == sizeof(fz_user) - 1 && !memcmp(user, fz_user, user_len) &&
	    !memcmp(pc, fz_peer_ch, MSCHAP_CHALLENGE_LEN) &&
	    !memcmp(nt, fz_nt_resp, MSCHAP_NT_RESPONSE_LEN) && r != 0)
		abort();
	return r;
}

/*
 * Peer-side check of an "S=" string: returns the check result after
 * comparing it with a recomputation (hex digits in either case).
 */
static int fz_check(const uint8_t nt[MSCHAP_NT_RESPONSE_LEN],
		    const uint8_t pc[MSCHAP_CHALLENGE_LEN],
		    const uint8_t *user, size_t user_len,
		    const uint8_t *recv, size_t recv_len)
{
	char want[MSCHAP_AUTH_RESPONSE_LEN + 1];
	bool same;
	int r, g;

	r = ike_mschap_check_authenticator_response(fz_ctx, &fz_nt_hash, nt, pc,
						    fz_auth_ch, user, user_len,
						    recv, recv_len);
	g = ike_mschap_generate_authenticator_response(fz_ctx, &fz_nt_hash, nt,
						       pc, fz_auth_ch, user,
						       user_len, want);
	if (g < 0) {
		if (user_len <= MSCHAP_MAX_NAME_LEN || (g != -E2BIG && g != -EINVAL) ||
		    (r != g && r != -EACCES))
			abort();
		return r;
	}
	same = recv_len == MSCHAP_AUTH_RESPONSE_LEN;
	for (size_t i = 0; same && i < MSCHAP_AUTH_RESPONSE_LEN; i++) {
		uint8_t c = recv[i];

		if (c >= 'a' && c <= 'f' && i >= 2)
			c = (uint8_t)(c - 'a' + 'A');
		same = c == (uint8_t)want[i];
	}
	if ((r == 0) != same || (r != 0 && r != -EACCES))
		abort();
	/* RFC 2759 9.2 known answer */
	if (user_len == sizeof(fz_user) - 1 && !memcmp(user, fz_user, user_len) &&
	    !memcmp(pc, fz_peer_ch, MSCHAP_CHALLENGE_LEN) &&
	    !memcmp(nt, fz_nt_resp, MSCHAP_NT_RESPONSE_LEN) &&
	    memcmp(want, fz_auth_resp, MSCHAP_AUTH_RESPONSE_LEN + 1) != 0)
		abort();
	return r;
}

/*
 * A Response that verified: run the rest of the exchange (RFC 2759 5,
 * draft-kamath 2.3): Success request built and parsed by the peer, its
 * authenticator response accepted, the MSK derived.
 */
static void fz_after_success(const struct ike_mschap_response *rsp,
			     struct ike_chunk user)
{
	char ar[MSCHAP_AUTH_RESPONSE_LEN + 1];
	struct ike_mschap_result res;
	struct ike_key msk = { 0 };
	struct ike_buf b;

	if (ike_mschap_generate_authenticator_response(fz_ctx, &fz_nt_hash,
						       rsp->nt_response,
						       rsp->peer_challenge,
						       fz_auth_ch, user.ptr,
						       user.len, ar) < 0)
		abort();
	ike_buf_init(&b);
	if (ike_mschap_build_success(&b, (uint8_t)(rsp->eap_id + 1),
				     rsp->ms_id, ar, "Welcome") < 0 ||
	    ike_mschap_parse_result(b.data, b.len, &res) < 0 ||
	    res.opcode != MSCHAP_OP_SUCCESS ||
	    res.message.len != 7 || memcmp(res.message.ptr, "Welcome", 7) != 0 ||
	    fz_check(rsp->nt_response, rsp->peer_challenge, user.ptr, user.len,
		     res.auth_response.ptr, res.auth_response.len) != 0)
		abort();
	ike_buf_free(&b);
	if (ike_mschap_msk(fz_ctx, &fz_nt_hash, rsp->nt_response, &msk) < 0 ||
	    msk.len != MSCHAP_MSK_LEN)
		abort();
	ike_key_free(&msk);
}

/* Case 0: EAP-Response/Response from the peer. */
static void fz_response(const uint8_t *buf, size_t len)
{
	struct ike_mschap_response rsp;
	struct ike_chunk user;
	struct ike_buf b;
	int r;

	r = ike_mschap_parse_response(buf, len, &rsp);
	if (r < 0) {
		if (r != -EBADMSG && r != -E2BIG)
			abort();
		return;
	}
	fz_inside(rsp.name, buf, len);
	if (rsp.flags != 0 || rsp.name.len > MSCHAP_MAX_NAME_LEN)
		abort();
	ike_buf_init(&b);
	if (ike_mschap_build_response(&b, rsp.eap_id, rsp.ms_id, rsp.peer_challenge,
				      rsp.nt_response, rsp.name.ptr,
				      rsp.name.len) < 0)
		abort();
	fz_same(&b, buf, len);
	ike_buf_free(&b);
	user = ike_mschap_strip_domain(rsp.name.ptr, rsp.name.len);
	fz_inside(user, rsp.name.ptr, rsp.name.len);
	if (fz_verify(rsp.peer_challenge, rsp.nt_response, user.ptr, user.len) == 0)
		fz_after_success(&rsp, user);
}

/* Case 1: EAP-Response/Success or /Failure acknowledgement. */
static void fz_ack(const uint8_t *buf, size_t len)
{
	uint8_t id, op;
	struct ike_buf b;
	int r = ike_mschap_parse_ack(buf, len, &id, &op);

	if (r < 0) {
		if (r != -EBADMSG)
			abort();
		return;
	}
	ike_buf_init(&b);
	if (ike_mschap_build_ack(&b, id, op) < 0)
		abort();
	fz_same(&b, buf, len);
	ike_buf_free(&b);
}

/* Case 2: EAP-Request/Challenge, as the peer sees it. */
static void fz_challenge(const uint8_t *buf, size_t len)
{
	struct ike_mschap_challenge c;
	char name[MSCHAP_MAX_NAME_LEN + 1];
	struct ike_buf b;
	bool printable = true;
	int r = ike_mschap_parse_challenge(buf, len, &c);

	if (r < 0) {
		if (r != -EBADMSG && r != -E2BIG)
			abort();
		return;
	}
	fz_inside(c.name, buf, len);
	if (c.name.len > MSCHAP_MAX_NAME_LEN)
		abort();
	for (size_t i = 0; i < c.name.len; i++)
		printable = printable && c.name.ptr[i] >= 0x20 && c.name.ptr[i] < 0x7f;
	if (!printable)
		return;	/* the builder only writes printable names */
	if (c.name.len)
		memcpy(name, c.name.ptr, c.name.len);
	name[c.name.len] = '\0';
	ike_buf_init(&b);
	if (ike_mschap_build_challenge(&b, c.eap_id, c.ms_id, c.challenge, name) < 0)
		abort();
	fz_same(&b, buf, len);
	ike_buf_free(&b);
}

/* Case 3: EAP-Request/Success or /Failure, as the peer sees it. */
static void fz_result(const uint8_t *buf, size_t len)
{
	struct ike_mschap_result res;
	int r = ike_mschap_parse_result(buf, len, &res);

	if (r < 0) {
		if (r != -EBADMSG && r != -E2BIG)
			abort();
		return;
	}
	fz_inside(res.message, buf, len);
	if (res.opcode == MSCHAP_OP_SUCCESS) {
		fz_inside(res.auth_response, buf, len);
		if (res.auth_response.len != MSCHAP_AUTH_RESPONSE_LEN)
			abort();
		fz_check(fz_nt_resp, fz_peer_ch, (const uint8_t *)fz_user,
			 sizeof(fz_user) - 1, res.auth_response.ptr,
			 res.auth_response.len);
	} else if (res.opcode != MSCHAP_OP_FAILURE || res.auth_response.len) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p;
	size_t n;

	if (!fz_ready)
		fz_setup();
	if (size < 1)
		return 0;
	p = data + 1;
	n = size - 1;
	switch (data[0] % 6) {
	case 0:
		fz_response(p, n);
		break;
	case 1:
		fz_ack(p, n);
		break;
	case 2:
		fz_challenge(p, n);
		break;
	case 3:
		fz_result(p, n);
		break;
	case 4:
		if (n >= MSCHAP_CHALLENGE_LEN + MSCHAP_NT_RESPONSE_LEN)
			fz_verify(p, p + MSCHAP_CHALLENGE_LEN,
				  p + MSCHAP_CHALLENGE_LEN + MSCHAP_NT_RESPONSE_LEN,
				  n - MSCHAP_CHALLENGE_LEN - MSCHAP_NT_RESPONSE_LEN);
		break;
	default: {
		size_t off = MSCHAP_NT_RESPONSE_LEN + MSCHAP_CHALLENGE_LEN, ulen;

		if (n < off + 1)
			break;
		ulen = p[off++];
		if (n - off < ulen)
			break;
		fz_check(p, p + MSCHAP_NT_RESPONSE_LEN, p + off, ulen,
			 p + off + ulen, n - off - ulen);
		break;
	}
	}
	return 0;
}

#ifdef MSCHAP_GEN_MAIN
/* Write one seed file: selector byte then data. */
static void gen_write(const char *dir, const char *name, uint8_t sel,
		      const uint8_t *d, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(&sel, 1, 1, f) != 1 ||
	    (len && fwrite(d, 1, len, f) != len) || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Write b as a seed and reset it; abort on a builder error. */
static void gen_buf(const char *dir, const char *name, uint8_t sel,
		    struct ike_buf *b, int r)
{
	if (r < 0 || ike_buf_error(b))
		abort();
	gen_write(dir, name, sel, b->data, b->len);
	ike_buf_reset(b);
}

/* Raw seed from a string (EAP header patched: Length and MS-Length). */
static void gen_raw(const char *dir, const char *name, uint8_t sel,
		    uint8_t code, uint8_t opcode, const char *msg)
{
	uint8_t pkt[600];
	size_t n = strlen(msg), len = 9 + n;

	pkt[0] = code;
	pkt[1] = 7;
	pkt[2] = (uint8_t)(len >> 8);
	pkt[3] = (uint8_t)len;
	pkt[4] = EAP_TYPE_MSCHAPV2;
	pkt[5] = opcode;
	pkt[6] = 6;
	pkt[7] = (uint8_t)((len - 5) >> 8);
	pkt[8] = (uint8_t)(len - 5);
	memcpy(pkt + 9, msg, n);
	gen_write(dir, name, sel, pkt, len);
}

int main(int argc, char **argv)
{
	static const char dom_user[] = "EXAMPLE\\User";
	uint8_t raw[600], name[MSCHAP_MAX_NAME_LEN + 1];
	char ar[MSCHAP_AUTH_RESPONSE_LEN + 1];
	struct ike_buf b;
	const char *d;
	size_t n;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	fz_setup();
	ike_buf_init(&b);

	/* 0: Responses: RFC 2759 9.2 (plain and with a domain), wrong
	 * NT-Response, empty name, name at / over the limit, reserved and
	 * flags set, Length / MS-Length / Value-Size wrong, truncated */
	gen_buf(argv[1], "valid-response-rfc2759", 0, &b,
		ike_mschap_build_response(&b, 2, 1, fz_peer_ch, fz_nt_resp,
					  (const uint8_t *)fz_user, 4));
	gen_buf(argv[1], "valid-response-domain", 0, &b,
		ike_mschap_build_response(&b, 2, 1, fz_peer_ch, fz_nt_resp,
					  (const uint8_t *)dom_user,
					  sizeof(dom_user) - 1));
	memcpy(raw, fz_nt_resp, sizeof(fz_nt_resp));
	raw[23] ^= 1;
	gen_buf(argv[1], "response-bad-nt", 0, &b,
		ike_mschap_build_response(&b, 2, 1, fz_peer_ch, raw,
					  (const uint8_t *)fz_user, 4));
	gen_buf(argv[1], "response-empty-name", 0, &b,
		ike_mschap_build_response(&b, 2, 1, fz_peer_ch, fz_nt_resp,
					  NULL, 0));
	memset(name, 'u', sizeof(name));
	gen_buf(argv[1], "response-name-256", 0, &b,
		ike_mschap_build_response(&b, 2, 1, fz_peer_ch, fz_nt_resp,
					  name, MSCHAP_MAX_NAME_LEN));
	if (ike_mschap_build_response(&b, 2, 1, fz_peer_ch, fz_nt_resp,
				      (const uint8_t *)fz_user, 4) < 0)
		abort();
	memcpy(raw, b.data, b.len);
	n = b.len;
	ike_buf_reset(&b);
	raw[9 + 1 + 16] = 1;	/* first reserved octet */
	gen_write(argv[1], "edge-response-reserved", 0, raw, n);
	raw[9 + 1 + 16] = 0;
	raw[9 + 49] = 1;	/* Flags */
	gen_write(argv[1], "edge-response-flags", 0, raw, n);
	raw[9 + 49] = 0;
	raw[9] = 48;		/* Value-Size */
	gen_write(argv[1], "edge-response-value-size", 0, raw, n);
	raw[9] = 49;
	raw[8]++;		/* MS-Length */
	gen_write(argv[1], "edge-response-ms-length", 0, raw, n);
	raw[8]--;
	gen_write(argv[1], "edge-response-truncated", 0, raw, n - 5);
	gen_write(argv[1], "edge-response-header-only", 0, raw, 9);
	raw[n] = 0x1f;		/* a control character in the name */
	raw[3]++;
	raw[8]++;
	gen_write(argv[1], "edge-response-name-ctl", 0, raw, n + 1);
	/* 257-byte name (Length patched) */
	memcpy(raw + 59, name, MSCHAP_MAX_NAME_LEN + 1);
	n = 59 + MSCHAP_MAX_NAME_LEN + 1;
	raw[2] = (uint8_t)(n >> 8);
	raw[3] = (uint8_t)n;
	raw[7] = (uint8_t)((n - 5) >> 8);
	raw[8] = (uint8_t)(n - 5);
	gen_write(argv[1], "edge-response-name-257", 0, raw, n);

	/* 1: acks */
	gen_buf(argv[1], "valid-ack-success", 1, &b,
		ike_mschap_build_ack(&b, 3, MSCHAP_OP_SUCCESS));
	gen_buf(argv[1], "valid-ack-failure", 1, &b,
		ike_mschap_build_ack(&b, 3, MSCHAP_OP_FAILURE));
	memcpy(raw, "\x02\x03\x00\x06\x1a\x02", 6);
	gen_write(argv[1], "edge-ack-opcode2", 1, raw, 6);
	memcpy(raw, "\x02\x03\x00\x07\x1a\x03\x00", 7);
	gen_write(argv[1], "edge-ack-long", 1, raw, 7);

	/* 2: challenges */
	gen_buf(argv[1], "valid-challenge", 2, &b,
		ike_mschap_build_challenge(&b, 1, 1, fz_auth_ch, "ragd.example.org"));
	gen_buf(argv[1], "valid-challenge-noname", 2, &b,
		ike_mschap_build_challenge(&b, 1, 1, fz_auth_ch, ""));
	if (ike_mschap_build_challenge(&b, 1, 1, fz_auth_ch, "srv") < 0)
		abort();
	memcpy(raw, b.data, b.len);
	n = b.len;
	ike_buf_reset(&b);
	raw[9] = 8;
	gen_write(argv[1], "edge-challenge-value-size", 2, raw, n);
	raw[9] = 16;
	raw[n - 1] = 0xc3;	/* non-ASCII name byte: parses, not rebuilt */
	gen_write(argv[1], "edge-challenge-utf8-name", 2, raw, n);
	gen_write(argv[1], "edge-challenge-truncated", 2, raw, 20);

	/* 3: results: RFC 2759 9.2 Success (upper / lower case hex), with a
	 * message, Failure full and minimal, malformed Failure fields */
	gen_buf(argv[1], "valid-success-rfc2759", 3, &b,
		ike_mschap_build_success(&b, 4, 1, fz_auth_resp, NULL));
	gen_buf(argv[1], "valid-success-msg", 3, &b,
		ike_mschap_build_success(&b, 4, 1, fz_auth_resp, "Welcome to rag"));
	for (size_t i = 0; i <= MSCHAP_AUTH_RESPONSE_LEN; i++)
		ar[i] = (char)(i >= 2 && fz_auth_resp[i] >= 'A' && fz_auth_resp[i] <= 'F'
			       ? fz_auth_resp[i] + 32 : fz_auth_resp[i]);
	gen_buf(argv[1], "valid-success-lowercase", 3, &b,
		ike_mschap_build_success(&b, 4, 1, ar, NULL));
	ar[10] = ar[10] == '0' ? '1' : '0';
	gen_buf(argv[1], "success-wrong", 3, &b,
		ike_mschap_build_success(&b, 4, 1, ar, NULL));
	gen_buf(argv[1], "valid-failure", 3, &b,
		ike_mschap_build_failure(&b, 4, 1, MSCHAP_E_AUTHENTICATION_FAILURE,
					 true, fz_auth_ch, "bad password"));
	gen_raw(argv[1], "valid-failure-minimal", 3, EAP_REQUEST,
		MSCHAP_OP_FAILURE, "E=691");
	gen_raw(argv[1], "valid-failure-unknown-key", 3, EAP_REQUEST,
		MSCHAP_OP_FAILURE, "E=648 R=0 X=whatever V=3 M=");
	gen_raw(argv[1], "edge-failure-no-e", 3, EAP_REQUEST,
		MSCHAP_OP_FAILURE, "R=1 M=x");
	gen_raw(argv[1], "edge-failure-trailing-space", 3, EAP_REQUEST,
		MSCHAP_OP_FAILURE, "E=691 ");
	gen_raw(argv[1], "edge-failure-e-overflow", 3, EAP_REQUEST,
		MSCHAP_OP_FAILURE, "E=4294967296");
	gen_raw(argv[1], "edge-failure-short-c", 3, EAP_REQUEST,
		MSCHAP_OP_FAILURE, "E=691 C=0123");
	gen_raw(argv[1], "edge-success-short", 3, EAP_REQUEST,
		MSCHAP_OP_SUCCESS, "S=407A");
	gen_raw(argv[1], "edge-success-bad-sep", 3, EAP_REQUEST, MSCHAP_OP_SUCCESS,
		"S=407A5589115FD0D6209F510FE9C04566932CDA56_M=x");

	/* 4: raw NT-Response checks: RFC 2759 9.2, a wrong one, a domain
	 * user, a user over the limit */
	memcpy(raw, fz_peer_ch, 16);
	memcpy(raw + 16, fz_nt_resp, 24);
	memcpy(raw + 40, fz_user, 4);
	gen_write(argv[1], "valid-verify-rfc2759", 4, raw, 44);
	raw[20] ^= 0x40;
	gen_write(argv[1], "verify-wrong", 4, raw, 44);
	memset(raw + 40, 'v', MSCHAP_MAX_NAME_LEN + 1);
	gen_write(argv[1], "edge-verify-user-257", 4, raw,
		  40 + MSCHAP_MAX_NAME_LEN + 1);

	/* 5: raw authenticator response checks */
	d = fz_auth_resp;
	memcpy(raw, fz_nt_resp, 24);
	memcpy(raw + 24, fz_peer_ch, 16);
	raw[40] = 4;
	memcpy(raw + 41, fz_user, 4);
	memcpy(raw + 45, d, MSCHAP_AUTH_RESPONSE_LEN);
	gen_write(argv[1], "valid-check-rfc2759", 5, raw, 45 + MSCHAP_AUTH_RESPONSE_LEN);
	gen_write(argv[1], "check-short", 5, raw, 45 + MSCHAP_AUTH_RESPONSE_LEN - 1);
	raw[45 + 7] = 'x';
	gen_write(argv[1], "check-bad-hex", 5, raw, 45 + MSCHAP_AUTH_RESPONSE_LEN);

	gen_write(argv[1], "edge-empty", 0, NULL, 0);
	ike_buf_free(&b);
	ike_key_free(&fz_nt_hash);
	ike_mschap_ctx_free(fz_ctx);
	return 0;
}
#endif
