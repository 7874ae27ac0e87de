/*
 * test_mschap.c — EAP-MSCHAPv2 primitives and packets.
 *
 * Known answers: RFC 2759 section 9.2 (hash example) and 9.3 (DES key
 * generation); RFC 3079 section 3.5.3 (128-bit MasterKey, SendStartKey128)
 * and the 40-bit start key of 3.5.1 (its first 8 octets).  The MSK layout
 * follows strongSwan's eap_mschapv2.c GenerateMSK (MasterReceiveKey |
 * MasterSendKey | 32 zero octets); there is no published MSK vector, so its
 * receive half was computed independently with python3 hashlib (SHA-1 over
 * MasterKey | 40*0x00 | Magic2 | 40*0xF2) and its send half is the RFC 3079
 * SendStartKey128.  The UTF-8 password vector's MD4 was computed with
 * `openssl dgst -md4 -provider legacy` over hand-encoded UTF-16LE bytes.
 */
#include <pthread.h>

#include <sodium.h>

#include "check.h"
#include "ike.h"
#include "ike_mschap.h"

static uint8_t *unhex(const char *h, size_t want)
{
	size_t n;
	uint8_t *p = check_unhex(h, &n);

	if (n != want)
		abort();
	return p;
}

static struct ike_mschap_ctx *ctx;

/* RFC 2759 9.2 */
static const char *user = "User";
static const char *password = "clientPass";
static const char *auth_ch_hex = "5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28";
static const char *peer_ch_hex = "21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E";
static const char *challenge_hex = "D0 2E 43 86 BC E9 12 26";
static const char *pwhash_hex = "44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE";
static const char *ntresp_hex =
	"82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF";
static const char *pwhashhash_hex = "41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F";
static const char *authresp = "S=407A5589115FD0D6209F510FE9C04566932CDA56";

/* RFC 2759 section 9.2: every intermediate value of the hash example. */
static void test_rfc2759_hash_example(void)
{
	uint8_t *auth_ch = unhex(auth_ch_hex, 16), *peer_ch = unhex(peer_ch_hex, 16);
	uint8_t *challenge = unhex(challenge_hex, 8), *pwhash = unhex(pwhash_hex, 16);
	uint8_t *ntresp = unhex(ntresp_hex, 24), *hh = unhex(pwhashhash_hex, 16);
	struct ike_key nt = { 0 }, nthh = { 0 };
	uint8_t ch[8], resp[24];
	char ar[MSCHAP_AUTH_RESPONSE_LEN + 1];

	CHECK_INT(ike_mschap_nt_password_hash(ctx, password, strlen(password), &nt), 0);
	CHECK_INT(nt.len, 16);
	CHECK_MEM(nt.ptr, pwhash, 16);

	CHECK_INT(ike_mschap_hash_nt_password_hash(ctx, &nt, &nthh), 0);
	CHECK_MEM(nthh.ptr, hh, 16);

	CHECK_INT(ike_mschap_challenge_hash(ctx, peer_ch, auth_ch,
					    (const uint8_t *)user, 4, ch), 0);
	CHECK_MEM(ch, challenge, 8);

	CHECK_INT(ike_mschap_challenge_response(ctx, ch, &nt, resp), 0);
	CHECK_MEM(resp, ntresp, 24);

	memset(resp, 0, sizeof(resp));
	CHECK_INT(ike_mschap_generate_nt_response(ctx, auth_ch, peer_ch,
						  (const uint8_t *)user, 4, &nt, resp), 0);
	CHECK_MEM(resp, ntresp, 24);

	CHECK_INT(ike_mschap_generate_authenticator_response(ctx, &nt, ntresp, peer_ch,
							     auth_ch, (const uint8_t *)user,
							     4, ar), 0);
	CHECK(strcmp(ar, authresp) == 0);

	/* 8.8 CheckAuthenticatorResponse, and its negative */
	CHECK_INT(ike_mschap_check_authenticator_response(ctx, &nt, ntresp, peer_ch,
			auth_ch, (const uint8_t *)user, 4,
			(const uint8_t *)authresp, strlen(authresp)), 0);
	ar[10] = ar[10] == '0' ? '1' : '0';
	CHECK_INT(ike_mschap_check_authenticator_response(ctx, &nt, ntresp, peer_ch,
			auth_ch, (const uint8_t *)user, 4,
			(const uint8_t *)ar, strlen(ar)), -EACCES);
	CHECK_INT(ike_mschap_check_authenticator_response(ctx, &nt, ntresp, peer_ch,
			auth_ch, (const uint8_t *)user, 4,
			(const uint8_t *)authresp, 41), -EACCES);

	/* the server verifies from the NT hash alone */
	CHECK_INT(ike_mschap_verify_nt_response(ctx, &nt, auth_ch, peer_ch,
						(const uint8_t *)user, 4, ntresp), 0);

	ike_key_free(&nt);
	ike_key_free(&nthh);
	free(auth_ch); free(peer_ch); free(challenge); free(pwhash); free(ntresp); free(hh);
}

/* RFC 2759 section 9.3: DES key parity expansion for password "MyPw". */
static void test_rfc2759_des_keys(void)
{
	uint8_t *hash = unhex("FC 15 6A F7 ED CD 6C 0E DD E3 33 7D 42 7F 4E AC", 16);
	uint8_t *k1 = unhex("FD 0B 5B 5E 7F 6E 34 D9", 8);
	uint8_t *k2 = unhex("0E 6E 79 67 37 EA 08 FE", 8);
	struct ike_key nt = { 0 };
	uint8_t out[8];

	CHECK_INT(ike_mschap_nt_password_hash(ctx, "MyPw", 4, &nt), 0);
	CHECK_MEM(nt.ptr, hash, 16);
	ike_mschap_des_key(hash, out);
	CHECK_MEM(out, k1, 8);
	ike_mschap_des_key(hash + 7, out);
	CHECK_MEM(out, k2, 8);
	ike_key_free(&nt);
	free(hash); free(k1); free(k2);
}

/* RFC 3079 section 3.5.3 (128-bit) and 3.5.1 (40-bit start key), and the MSK. */
static void test_rfc3079_keys(void)
{
	uint8_t *hh = unhex(pwhashhash_hex, 16), *ntresp = unhex(ntresp_hex, 24);
	uint8_t *mk_want = unhex("FD EC E3 71 7A 8C 83 8C B3 88 E5 27 AE 3C DD 31", 16);
	uint8_t *send_want = unhex("8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB", 16);
	/* independent python3 hashlib computation, see file comment */
	uint8_t *recv_want = unhex("d5f0e9521e3ea9589645e86051c82226", 16);
	struct ike_key khh = { 0 }, mk = { 0 }, k = { 0 }, nt = { 0 }, msk = { 0 };
	uint8_t zero[32] = { 0 };

	CHECK_INT(ike_key_dup(&khh, hh, 16), 0);
	CHECK_INT(ike_mschap_master_key(ctx, &khh, ntresp, &mk), 0);
	CHECK_MEM(mk.ptr, mk_want, 16);

	/* RFC 3079 3.5.3 computes SendStartKey128 with IsSend = IsServer = TRUE */
	CHECK_INT(ike_mschap_asymmetric_start_key(ctx, &mk, 16, true, true, &k), 0);
	CHECK_INT(k.len, 16);
	CHECK_MEM(k.ptr, send_want, 16);
	ike_key_free(&k);
	/* the client's receive key is the server's send key */
	CHECK_INT(ike_mschap_asymmetric_start_key(ctx, &mk, 16, false, false, &k), 0);
	CHECK_MEM(k.ptr, send_want, 16);
	ike_key_free(&k);
	/* server receive = client send = Magic2 */
	CHECK_INT(ike_mschap_asymmetric_start_key(ctx, &mk, 16, false, true, &k), 0);
	CHECK_MEM(k.ptr, recv_want, 16);
	ike_key_free(&k);
	CHECK_INT(ike_mschap_asymmetric_start_key(ctx, &mk, 16, true, false, &k), 0);
	CHECK_MEM(k.ptr, recv_want, 16);
	ike_key_free(&k);
	/* RFC 3079 3.5.1: SendStartKey40 is the first 8 octets */
	CHECK_INT(ike_mschap_asymmetric_start_key(ctx, &mk, 8, true, true, &k), 0);
	CHECK_INT(k.len, 8);
	CHECK_MEM(k.ptr, send_want, 8);
	ike_key_free(&k);
	CHECK_INT(ike_mschap_asymmetric_start_key(ctx, &mk, 12, true, true, &k), -EINVAL);

	/* MSK = MasterReceiveKey | MasterSendKey | 32 zero octets */
	CHECK_INT(ike_mschap_nt_password_hash(ctx, password, strlen(password), &nt), 0);
	CHECK_INT(ike_mschap_msk(ctx, &nt, ntresp, &msk), 0);
	CHECK_INT(msk.len, 64);
	CHECK_MEM(msk.ptr, recv_want, 16);
	CHECK_MEM(msk.ptr + 16, send_want, 16);
	CHECK_MEM(msk.ptr + 32, zero, 32);

	ike_key_free(&khh); ike_key_free(&mk); ike_key_free(&nt); ike_key_free(&msk);
	free(hh); free(ntresp); free(mk_want); free(send_want); free(recv_want);
}

/* Negative: wrong password, wrong user, altered response or challenge fail. */
static void test_verify_negative(void)
{
	uint8_t *auth_ch = unhex(auth_ch_hex, 16), *peer_ch = unhex(peer_ch_hex, 16);
	uint8_t *ntresp = unhex(ntresp_hex, 24);
	struct ike_key good = { 0 }, bad = { 0 }, shortk = { 0 };
	const uint8_t *u = (const uint8_t *)user;

	CHECK_INT(ike_mschap_nt_password_hash(ctx, password, strlen(password), &good), 0);
	CHECK_INT(ike_mschap_nt_password_hash(ctx, "clientpass", 10, &bad), 0);
	CHECK_INT(ike_mschap_verify_nt_response(ctx, &good, auth_ch, peer_ch, u, 4, ntresp), 0);
	CHECK_INT(ike_mschap_verify_nt_response(ctx, &bad, auth_ch, peer_ch, u, 4, ntresp),
		  -EACCES);
	CHECK_INT(ike_mschap_verify_nt_response(ctx, &good, auth_ch, peer_ch,
						(const uint8_t *)"user", 4, ntresp), -EACCES);
	CHECK_INT(ike_mschap_verify_nt_response(ctx, &good, peer_ch, auth_ch, u, 4, ntresp),
		  -EACCES);
	for (size_t i = 0; i < 24; i += 7) {
		ntresp[i] ^= 0x01;
		CHECK_INT(ike_mschap_verify_nt_response(ctx, &good, auth_ch, peer_ch, u, 4,
							ntresp), -EACCES);
		ntresp[i] ^= 0x01;
	}
	/* an NT hash that is not 16 bytes is an argument error */
	CHECK_INT(ike_key_dup(&shortk, good.ptr, 15), 0);
	CHECK_INT(ike_mschap_verify_nt_response(ctx, &shortk, auth_ch, peer_ch, u, 4, ntresp),
		  -EINVAL);
	ike_key_free(&good); ike_key_free(&bad); ike_key_free(&shortk);
	free(auth_ch); free(peer_ch); free(ntresp);
}

/* RFC 2759 4: only the user name, without the domain, enters ChallengeHash. */
static void test_strip_domain(void)
{
	struct ike_chunk c;

	c = ike_mschap_strip_domain((const uint8_t *)"BIGCO\\johndoe", 13);
	CHECK_INT(c.len, 7);
	CHECK(memcmp(c.ptr, "johndoe", 7) == 0);
	c = ike_mschap_strip_domain((const uint8_t *)"johndoe", 7);
	CHECK_INT(c.len, 7);
	CHECK(memcmp(c.ptr, "johndoe", 7) == 0);
	c = ike_mschap_strip_domain((const uint8_t *)"DOM\\", 4);
	CHECK_INT(c.len, 0);
	c = ike_mschap_strip_domain((const uint8_t *)"", 0);
	CHECK_INT(c.len, 0);
}

/* Password encoding: UTF-8 to UTF-16LE, limits, invalid UTF-8 rejected. */
static void test_password_utf8(void)
{
	/* "pä€😀": U+0070 U+00E4 U+20AC U+1F600 (surrogate pair D83D DE00) */
	static const char pw[] = "p\xc3\xa4\xe2\x82\xac\xf0\x9f\x98\x80";
	uint8_t *want = unhex("0a31ac7d5a63c416a2eb451ca1cfd200", 16);
	static const char *bad[] = {
		"\xc0\x80",		/* overlong NUL */
		"\xc1\xbf",		/* overlong */
		"\xe0\x80\xaf",		/* overlong */
		"\xed\xa0\x80",		/* UTF-16 surrogate */
		"\xf4\x90\x80\x80",	/* > U+10FFFF */
		"\xe2\x82",		/* truncated */
		"\x80",			/* stray continuation */
		"\xff",
		"a\xf0\x9f\x98",	/* truncated at the end */
	};
	char big[260];
	struct ike_key k = { 0 };

	CHECK_INT(ike_mschap_nt_password_hash(ctx, pw, sizeof(pw) - 1, &k), 0);
	CHECK_MEM(k.ptr, want, 16);
	ike_key_free(&k);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(ike_mschap_nt_password_hash(ctx, bad[i], strlen(bad[i]), &k), -EINVAL);
		CHECK(k.ptr == NULL);
	}
	CHECK_INT(ike_mschap_nt_password_hash(ctx, "a\0b", 3, &k), -EINVAL);
	/* RFC 2759: 0 to 256 unicode characters */
	CHECK_INT(ike_mschap_nt_password_hash(ctx, "", 0, &k), 0);
	ike_key_free(&k);
	memset(big, 'x', sizeof(big));
	CHECK_INT(ike_mschap_nt_password_hash(ctx, big, 256, &k), 0);
	ike_key_free(&k);
	CHECK_INT(ike_mschap_nt_password_hash(ctx, big, 257, &k), -E2BIG);
	/* 255 units + one surrogate pair = 257 units */
	memcpy(big + 255, "\xf0\x9f\x98\x80", 4);
	CHECK_INT(ike_mschap_nt_password_hash(ctx, big, 259, &k), -E2BIG);
	free(want);
}

/* draft-kamath-pppext-eap-mschapv2 2.1: Challenge request bytes. */
static void test_challenge_packet(void)
{
	uint8_t *ch = unhex(auth_ch_hex, 16);
	uint8_t *want = unhex("01 07 00 1e 1a 01 2a 00 19 10"
			      "5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28"
			      "72 61 67 64", 30);
	struct ike_mschap_challenge c;
	struct ike_buf b;

	ike_buf_init(&b);
	CHECK_INT(ike_mschap_build_challenge(&b, 7, 0x2a, ch, "ragd"), 0);
	CHECK_INT(b.len, 30);
	CHECK_MEM(b.data, want, 30);
	CHECK_INT(ike_mschap_parse_challenge(b.data, b.len, &c), 0);
	CHECK_INT(c.eap_id, 7);
	CHECK_INT(c.ms_id, 0x2a);
	CHECK_MEM(c.challenge, ch, 16);
	CHECK_INT(c.name.len, 4);
	for (size_t n = 0; n < b.len; n++)
		CHECK_INT(ike_mschap_parse_challenge(b.data, n, &c), -EBADMSG);
	b.data[9] = 8;	/* Value-Size must be 16 */
	CHECK_INT(ike_mschap_parse_challenge(b.data, b.len, &c), -EBADMSG);
	ike_buf_reset(&b);
	CHECK_INT(ike_mschap_build_challenge(&b, 7, 0x2a, ch, "bad\nname"), -EINVAL);
	ike_buf_free(&b);
	free(ch); free(want);
}

/* Response parsing: exact fields, then every malformation is rejected. */
static void test_response_packet(void)
{
	uint8_t *peer_ch = unhex(peer_ch_hex, 16), *ntresp = unhex(ntresp_hex, 24);
	static const uint8_t name[] = "CORP\\User";
	struct ike_mschap_response r;
	struct ike_buf b;
	uint8_t pkt[600];
	size_t len;

	ike_buf_init(&b);
	CHECK_INT(ike_mschap_build_response(&b, 9, 0x2a, peer_ch, ntresp, name,
					    sizeof(name) - 1), 0);
	len = b.len;
	CHECK_INT(len, 59 + sizeof(name) - 1);
	memcpy(pkt, b.data, len);
	/* header: Code 2, Id 9, Length, Type 26, OpCode 2, MS-ID, MS-Length, 49 */
	CHECK_INT(pkt[0], 2);
	CHECK_INT(ike_get_u16(pkt + 2), len);
	CHECK_INT(pkt[4], 26);
	CHECK_INT(pkt[5], 2);
	CHECK_INT(ike_get_u16(pkt + 7), len - 5);
	CHECK_INT(pkt[9], 49);

	CHECK_INT(ike_mschap_parse_response(pkt, len, &r), 0);
	CHECK_INT(r.eap_id, 9);
	CHECK_INT(r.ms_id, 0x2a);
	CHECK_MEM(r.peer_challenge, peer_ch, 16);
	CHECK_MEM(r.nt_response, ntresp, 24);
	CHECK_INT(r.name.len, sizeof(name) - 1);
	CHECK(memcmp(r.name.ptr, name, r.name.len) == 0);

	/* every truncation, with the original lengths ... */
	for (size_t n = 0; n < len; n++)
		CHECK_INT(ike_mschap_parse_response(pkt, n, &r), -EBADMSG);
	/* ... and with Length/MS-Length patched to match: below 59 octets no
	 * Value fits, from 59 on only the name shrinks */
	for (size_t n = 9; n < len; n++) {
		uint8_t t[600];

		memcpy(t, pkt, n);
		t[2] = (uint8_t)(n >> 8); t[3] = (uint8_t)n;
		t[7] = (uint8_t)((n - 5) >> 8); t[8] = (uint8_t)(n - 5);
		CHECK_INT(ike_mschap_parse_response(t, n, &r), n < 59 ? -EBADMSG : 0);
	}
	/* longer buffer than Length */
	pkt[len] = 'x';
	CHECK_INT(ike_mschap_parse_response(pkt, len + 1, &r), -EBADMSG);

#define MUTATE(off, val, want) do { \
		uint8_t _s = pkt[off]; pkt[off] = (val); \
		CHECK_INT(ike_mschap_parse_response(pkt, len, &r), want); \
		pkt[off] = _s; \
	} while (0)
	MUTATE(0, 1, -EBADMSG);		/* Code: Request */
	MUTATE(4, 25, -EBADMSG);	/* Type */
	MUTATE(5, 1, -EBADMSG);		/* OpCode */
	MUTATE(8, (uint8_t)(pkt[8] + 1), -EBADMSG);	/* MS-Length */
	MUTATE(9, 48, -EBADMSG);	/* Value-Size */
	MUTATE(10 + 16, 1, -EBADMSG);	/* Reserved[0] */
	MUTATE(10 + 23, 0x80, -EBADMSG);	/* Reserved[7] */
	MUTATE(10 + 48, 1, -EBADMSG);	/* Flags */
	MUTATE(len - 1, '\n', -EBADMSG);	/* control char in name */
	MUTATE(10, 0xff, 0);		/* challenge bytes are opaque */
#undef MUTATE

	/* name limit: 256 accepted, 257 rejected */
	{
		uint8_t big[257];

		memset(big, 'u', sizeof(big));
		ike_buf_reset(&b);
		CHECK_INT(ike_mschap_build_response(&b, 1, 1, peer_ch, ntresp, big, 256), 0);
		CHECK_INT(ike_mschap_parse_response(b.data, b.len, &r), 0);
		CHECK_INT(r.name.len, 256);
		CHECK_INT(ike_mschap_build_response(&b, 1, 1, peer_ch, ntresp, big, 257), -E2BIG);
		/* hand-built 257-octet name */
		ike_buf_put_u8(&b, 'u');
		ike_buf_set_u16(&b, 2, (uint16_t)b.len);
		ike_buf_set_u16(&b, 7, (uint16_t)(b.len - 5));
		CHECK_INT(ike_mschap_parse_response(b.data, b.len, &r), -E2BIG);
	}
	ike_buf_free(&b);
	free(peer_ch); free(ntresp);
}

/* RFC 2759 5/6: Success and Failure requests and the peer's acks. */
static void test_result_packets(void)
{
	uint8_t *ch = unhex(auth_ch_hex, 16);
	static const char fail_msg[] =
		"E=691 R=0 C=5B5D7C7D7B3F2F3E3C2C602132262628 V=3 M=Authentication failed";
	struct ike_mschap_result res;
	struct ike_buf b;
	uint8_t id, op;

	ike_buf_init(&b);
	CHECK_INT(ike_mschap_build_success(&b, 3, 4, authresp, "Welcome"), 0);
	CHECK_INT(b.len, 9 + 42 + 3 + 7);
	CHECK(memcmp(b.data + 9, "S=407A5589115FD0D6209F510FE9C04566932CDA56 M=Welcome",
		     b.len - 9) == 0);
	CHECK_INT(ike_mschap_parse_result(b.data, b.len, &res), 0);
	CHECK_INT(res.opcode, MSCHAP_OP_SUCCESS);
	CHECK_INT(res.eap_id, 3);
	CHECK_INT(res.ms_id, 4);
	CHECK_INT(res.auth_response.len, 42);
	CHECK(memcmp(res.auth_response.ptr, authresp, 42) == 0);
	CHECK_INT(res.message.len, 7);
	for (size_t n = 0; n < b.len; n++)
		CHECK_INT(ike_mschap_parse_result(b.data, n, &res), -EBADMSG);
	CHECK_INT(ike_mschap_build_success(&b, 3, 4, "S=XYZ", NULL), -EINVAL);

	ike_buf_reset(&b);
	CHECK_INT(ike_mschap_build_failure(&b, 5, 4, MSCHAP_E_AUTHENTICATION_FAILURE,
					   false, ch, "Authentication failed"), 0);
	CHECK_INT(b.len, 9 + sizeof(fail_msg) - 1);
	CHECK(memcmp(b.data + 9, fail_msg, sizeof(fail_msg) - 1) == 0);
	CHECK_INT(b.data[5], MSCHAP_OP_FAILURE);
	CHECK_INT(ike_mschap_parse_result(b.data, b.len, &res), 0);
	CHECK_INT(res.opcode, MSCHAP_OP_FAILURE);
	CHECK_INT(res.error, 691);
	CHECK(!res.retry);
	CHECK(res.has_challenge);
	CHECK_MEM(res.challenge, ch, 16);
	CHECK_INT(res.message.len, 21);
	for (size_t n = 0; n < b.len; n++)
		CHECK_INT(ike_mschap_parse_result(b.data, n, &res), -EBADMSG);

	ike_buf_reset(&b);
	CHECK_INT(ike_mschap_build_failure(&b, 5, 4, 648, true, ch, NULL), 0);
	CHECK_INT(ike_mschap_parse_result(b.data, b.len, &res), 0);
	CHECK_INT(res.error, 648);
	CHECK(res.retry);
	CHECK_INT(res.message.len, 0);

	/* peer acknowledgements: exactly 6 octets */
	ike_buf_reset(&b);
	CHECK_INT(ike_mschap_build_ack(&b, 6, MSCHAP_OP_SUCCESS), 0);
	CHECK_INT(b.len, 6);
	CHECK_INT(ike_mschap_parse_ack(b.data, b.len, &id, &op), 0);
	CHECK_INT(id, 6);
	CHECK_INT(op, MSCHAP_OP_SUCCESS);
	for (size_t n = 0; n < 6; n++)
		CHECK_INT(ike_mschap_parse_ack(b.data, n, &id, &op), -EBADMSG);
	b.data[5] = MSCHAP_OP_RESPONSE;
	CHECK_INT(ike_mschap_parse_ack(b.data, 6, &id, &op), -EBADMSG);
	CHECK_INT(ike_mschap_build_ack(&b, 6, MSCHAP_OP_CHALLENGE), -EINVAL);
	ike_buf_free(&b);
	free(ch);
}

/* RFC 2759 9.1.1 successful authentication, both roles in one process. */
static void test_two_peers(void)
{
	struct ike_key stored = { 0 }, peer_hash = { 0 }, msk_s = { 0 }, msk_p = { 0 };
	uint8_t auth_ch[16], peer_ch[16], nt[24];
	static const uint8_t id[] = "CORP\\alice";
	struct ike_mschap_challenge c;
	struct ike_mschap_response r;
	struct ike_mschap_result res;
	struct ike_chunk u;
	char ar[43];
	struct ike_buf b;

	ike_buf_init(&b);
	randombytes_buf(auth_ch, sizeof(auth_ch));
	randombytes_buf(peer_ch, sizeof(peer_ch));
	CHECK_INT(ike_mschap_nt_password_hash(ctx, "s3cret", 6, &stored), 0);

	/* server -> peer: Challenge */
	CHECK_INT(ike_mschap_build_challenge(&b, 1, 1, auth_ch, "ragd"), 0);
	CHECK_INT(ike_mschap_parse_challenge(b.data, b.len, &c), 0);
	/* peer -> server: Response */
	CHECK_INT(ike_mschap_nt_password_hash(ctx, "s3cret", 6, &peer_hash), 0);
	u = ike_mschap_strip_domain(id, sizeof(id) - 1);
	CHECK_INT(ike_mschap_generate_nt_response(ctx, c.challenge, peer_ch, u.ptr, u.len,
						  &peer_hash, nt), 0);
	ike_buf_reset(&b);
	CHECK_INT(ike_mschap_build_response(&b, c.eap_id, c.ms_id, peer_ch, nt, id,
					    sizeof(id) - 1), 0);
	CHECK_INT(ike_mschap_parse_response(b.data, b.len, &r), 0);
	u = ike_mschap_strip_domain(r.name.ptr, r.name.len);
	CHECK_INT(u.len, 5);
	CHECK_INT(ike_mschap_verify_nt_response(ctx, &stored, auth_ch, r.peer_challenge,
						u.ptr, u.len, r.nt_response), 0);
	/* server -> peer: Success */
	CHECK_INT(ike_mschap_generate_authenticator_response(ctx, &stored, r.nt_response,
			r.peer_challenge, auth_ch, u.ptr, u.len, ar), 0);
	ike_buf_reset(&b);
	CHECK_INT(ike_mschap_build_success(&b, 2, 1, ar, "Welcome"), 0);
	CHECK_INT(ike_mschap_parse_result(b.data, b.len, &res), 0);
	CHECK_INT(ike_mschap_check_authenticator_response(ctx, &peer_hash, nt, peer_ch,
			c.challenge, (const uint8_t *)"alice", 5,
			res.auth_response.ptr, res.auth_response.len), 0);
	/* both ends derive the same MSK */
	CHECK_INT(ike_mschap_msk(ctx, &stored, r.nt_response, &msk_s), 0);
	CHECK_INT(ike_mschap_msk(ctx, &peer_hash, nt, &msk_p), 0);
	CHECK_MEM(msk_s.ptr, msk_p.ptr, 64);

	ike_key_free(&stored); ike_key_free(&peer_hash);
	ike_key_free(&msk_s); ike_key_free(&msk_p);
	ike_buf_free(&b);
}

/* ike_mschap.h thread-safety contract: one context used by several threads
 * at once; every thread must still reproduce the RFC 2759 9.2 NT-Response. */
static void *worker(void *arg)
{
	uint8_t *auth_ch = unhex(auth_ch_hex, 16), *peer_ch = unhex(peer_ch_hex, 16);
	uint8_t *ntresp = unhex(ntresp_hex, 24);
	long bad_count = 0;

	(void)arg;
	for (int i = 0; i < 50; i++) {
		struct ike_key nt = { 0 };

		if (ike_mschap_nt_password_hash(ctx, password, strlen(password), &nt) != 0 ||
		    ike_mschap_verify_nt_response(ctx, &nt, auth_ch, peer_ch,
						  (const uint8_t *)user, 4, ntresp) != 0)
			bad_count++;
		ike_key_free(&nt);
	}
	free(auth_ch); free(peer_ch); free(ntresp);
	return (void *)bad_count;
}

static void test_threads(void)
{
	pthread_t t[4];

	for (int i = 0; i < 4; i++)
		CHECK_INT(pthread_create(&t[i], NULL, worker, NULL), 0);
	for (int i = 0; i < 4; i++) {
		void *ret = (void *)1;

		CHECK_INT(pthread_join(t[i], &ret), 0);
		CHECK(ret == NULL);
	}
}

int main(void)
{
	if (ike_init() < 0)
		return 1;
	CHECK_INT(ike_mschap_ctx_new(&ctx), 0);
	if (!ctx)
		return check_done("mschap");
	test_rfc2759_hash_example();
	test_rfc2759_des_keys();
	test_rfc3079_keys();
	test_verify_negative();
	test_strip_domain();
	test_password_utf8();
	test_challenge_packet();
	test_response_packet();
	test_result_packets();
	test_two_peers();
	test_threads();
	ike_mschap_ctx_free(ctx);
	return check_done("mschap");
}
