/*
 * test_msg.c — IKE header (RFC 7296 3.1), generic payload chain (3.2), the
 * message builder, and a real IKE_SA_INIT request captured from strongSwan.
 */
#include <openssl/evp.h>

#include "check.h"
#include "ike.h"
#include "ike_payload.h"

/*
 * IKE_SA_INIT request sent by strongSwan 5.9.8 (Debian 12, charon-systemd,
 * default IKE proposals, PSK connection), captured with tcpdump on a veth
 * between two network namespaces: 10.98.0.2:500 -> 10.98.0.1:500, 892 bytes.
 * charon logged it as
 *   generating IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP)
 *                                     N(FRAG_SUP) N(HASH_ALG) N(REDIR_SUP) ]
 */
static const char ss_init_hex[] =
	"b2f49c7c5d5f4ccd000000000000000021202208000000000000037c220002bc"
	"02000148010100220300000c0100000c800e00800300000c0100000c800e00c0"
	"0300000c0100000c800e01000300000c0100000d800e00800300000c0100000d"
	"800e00c00300000c0100000d800e01000300000c01000017800e00800300000c"
	"01000017800e00c00300000c01000017800e01000300000c01000018800e0080"
	"0300000c01000018800e00c00300000c01000018800e01000300000801000003"
	"030000080300000c030000080300000d030000080300000e0300000803000002"
	"0300000802000005030000080200000603000008020000070300000802000002"
	"030000080400001f030000080400002003000008040000130300000804000014"
	"0300000804000015030000080400001c030000080400001d030000080400001e"
	"030000080400000f030000080400001003000008040000110300000804000012"
	"000000080400000e00000170020100240300000c01000014800e00800300000c"
	"01000014800e00c00300000c01000014800e01000300000c01000010800e0080"
	"0300000c01000010800e00c00300000c01000010800e0100030000080100001c"
	"0300000c01000013800e00800300000c01000013800e00c00300000c01000013"
	"800e01000300000c01000012800e00800300000c01000012800e00c00300000c"
	"01000012800e01000300000c0100000f800e00800300000c0100000f800e00c0"
	"0300000c0100000f800e01000300000c0100000e800e00800300000c0100000e"
	"800e00c00300000c0100000e800e010003000008020000050300000802000006"
	"03000008020000070300000802000002030000080400001f0300000804000020"
	"030000080400001303000008040000140300000804000015030000080400001c"
	"030000080400001d030000080400001e030000080400000f0300000804000010"
	"03000008040000110300000804000012000000080400000e28000028001f0000"
	"ca928c38c158c8a66fc44f7c6abb0ff2504410100c055b299c72b39d07964446"
	"290000244a8f1cafc5fa79c97bbd58fa2ceb4bcc7c106b61df4b0a34189c523f"
	"c9230dc42900001c00004004124d83dfbecf7a90fba17e37704d92e50f30f94b"
	"2900001c00004005188522c77be14ce1bcc644ac2c321d945fa2413429000008"
	"0000402e290000100000402f00020003000400050000000800004016";

static struct ike_hdr test_hdr(void)
{
	struct ike_hdr h = {
		.spi_i = { 1, 2, 3, 4, 5, 6, 7, 8 },
		.spi_r = { 0 },
		.version = IKE_VERSION,
		.exchange = IKE_SA_INIT,
		.flags = IKE_FLAG_INITIATOR,
		.msg_id = 0,
	};
	return h;
}

/* RFC 7296 3.1: layout of the header, build -> parse round trip and the
 * checks on Length and the major version (2.5). */
static void test_header(void)
{
	struct ike_hdr h = test_hdr(), p;
	struct ike_buf b;
	uint8_t raw[IKE_HDR_LEN];

	h.next_payload = IKE_PL_SA;
	h.msg_id = 0x01020304;
	h.length = IKE_HDR_LEN;
	ike_buf_init(&b);
	ike_hdr_build(&b, &h);
	CHECK_INT(b.len, IKE_HDR_LEN);
	{
		static const uint8_t want[IKE_HDR_LEN] = {
			1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0,
			33, 0x20, 34, 0x08, 1, 2, 3, 4, 0, 0, 0, 28,
		};
		CHECK_MEM(b.data, want, IKE_HDR_LEN);
	}
	CHECK_INT(ike_hdr_parse(b.data, b.len, &p), 0);
	CHECK_MEM(p.spi_i, h.spi_i, 8);
	CHECK_MEM(p.spi_r, h.spi_r, 8);
	CHECK_INT(p.next_payload, IKE_PL_SA);
	CHECK_INT(p.version, IKE_VERSION);
	CHECK_INT(p.exchange, IKE_SA_INIT);
	CHECK_INT(p.flags, IKE_FLAG_INITIATOR);
	CHECK_INT(p.msg_id, 0x01020304);
	CHECK_INT(p.length, 28);

	/* every truncation of the fixed header is rejected */
	for (size_t k = 0; k < IKE_HDR_LEN; k++)
		CHECK_INT(ike_hdr_parse(b.data, k, &p), -EBADMSG);

	memcpy(raw, b.data, sizeof(raw));
	/* Length field != datagram length */
	ike_buf_set_u32(&b, IKE_HDR_OFF_LENGTH, 29);
	CHECK_INT(ike_hdr_parse(b.data, b.len, &p), -EBADMSG);
	ike_buf_set_u32(&b, IKE_HDR_OFF_LENGTH, 27);
	CHECK_INT(ike_hdr_parse(b.data, b.len, &p), -EBADMSG);
	ike_buf_set_u32(&b, IKE_HDR_OFF_LENGTH, 0);
	CHECK_INT(ike_hdr_parse(b.data, b.len, &p), -EBADMSG);
	ike_buf_set_u32(&b, IKE_HDR_OFF_LENGTH, 0x8000001c);
	CHECK_INT(ike_hdr_parse(b.data, b.len, &p), -EBADMSG);

	/* 2.5: a higher minor version is accepted ... */
	memcpy(b.data, raw, sizeof(raw));
	b.data[IKE_HDR_OFF_VERSION] = 0x21;
	CHECK_INT(ike_hdr_parse(b.data, b.len, &p), 0);
	/* ... another major version gets its own error (INVALID_MAJOR_VERSION),
	 * with the header filled in so a reply can be addressed */
	b.data[IKE_HDR_OFF_VERSION] = 0x30;
	memset(&p, 0, sizeof(p));
	CHECK_INT(ike_hdr_parse(b.data, b.len, &p), -EPROTONOSUPPORT);
	CHECK_MEM(p.spi_i, h.spi_i, 8);
	CHECK_INT(p.msg_id, 0x01020304);
	b.data[IKE_HDR_OFF_VERSION] = 0x10;	/* IKEv1 */
	CHECK_INT(ike_hdr_parse(b.data, b.len, &p), -EPROTONOSUPPORT);
	/* version checked before length: v3 with a bogus length still says so */
	b.data[IKE_HDR_OFF_VERSION] = 0x30;
	ike_buf_set_u32(&b, IKE_HDR_OFF_LENGTH, 1000);
	CHECK_INT(ike_hdr_parse(b.data, b.len, &p), -EPROTONOSUPPORT);
	ike_buf_free(&b);
}

/* Build SA KE Ni N(NATD_S) N(NATD_D) with the builder; returns finish(). */
static int build_init(struct ike_buf *b)
{
	struct ike_msg_builder mb;
	struct ike_hdr h = test_hdr();
	struct ike_proposal p = {
		.num = 1, .protocol = IKE_PROTO_IKE, .n_transforms = 4,
		.tr = {
			{ .type = IKE_TR_ENCR, .id = IKE_ENCR_AES_GCM_16, .keylen = 256 },
			{ .type = IKE_TR_PRF, .id = IKE_PRF_HMAC_SHA2_256 },
			{ .type = IKE_TR_DH, .id = IKE_DH_CURVE25519 },
			{ .type = IKE_TR_DH, .id = IKE_DH_ECP256 },
		},
	};
	uint8_t ke[32], nonce[32], hash[20];

	memset(ke, 0x11, sizeof(ke));
	memset(nonce, 0x22, sizeof(nonce));
	memset(hash, 0x33, sizeof(hash));
	ike_mb_begin(&mb, b, &h);
	ike_sa_build(&mb, &p, 1);
	ike_ke_build(&mb, IKE_DH_CURVE25519, ke, sizeof(ke));
	ike_nonce_build(&mb, nonce, sizeof(nonce));
	ike_notify_build(&mb, 0, IKE_N_NAT_DETECTION_SOURCE_IP, NULL, 0, hash, 20);
	ike_notify_build(&mb, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, NULL, 0, hash, 20);
	return ike_mb_finish(&mb);
}

/* Builder output: header Next Payload and Length, each payload's Next
 * Payload and Payload Length (3.1, 3.2), and the parsed chain view. */
static void test_builder_roundtrip(void)
{
	struct ike_buf b;
	struct ike_msg_view v;
	static const uint8_t types[] = {
		IKE_PL_SA, IKE_PL_KE, IKE_PL_NONCE, IKE_PL_NOTIFY, IKE_PL_NOTIFY,
	};
	int total;

	ike_buf_init(&b);
	total = build_init(&b);
	CHECK(total > 0);
	CHECK_INT(total, b.len);
	CHECK_INT(ike_get_u32(b.data + IKE_HDR_OFF_LENGTH), b.len);
	CHECK_INT(b.data[IKE_HDR_OFF_NEXT], IKE_PL_SA);

	CHECK_INT(ike_msg_parse(b.data, b.len, &v), 0);
	CHECK_INT(v.hdr.length, b.len);
	CHECK_INT(v.ch.n, 5);
	CHECK_INT(v.ch.sk_next, IKE_PL_NONE);
	CHECK_INT(v.ch.unsupported_critical, 0);
	for (size_t i = 0; i < v.ch.n && i < 5; i++) {
		const struct ike_pl *pl = &v.ch.pl[i];

		CHECK_INT(pl->type, types[i]);
		CHECK(!pl->critical);
		CHECK(pl->body == b.data + pl->off + 4);
		/* Next Payload of this payload names the following one */
		CHECK_INT(b.data[pl->off], i + 1 < 5 ? types[i + 1] : 0);
		CHECK_INT(ike_get_u16(b.data + pl->off + 2), pl->len + 4);
	}
	CHECK_INT(v.ch.pl[0].off, IKE_HDR_LEN);
	CHECK_INT(v.ch.pl[1].len, 4 + 32);	/* KE: group, reserved, data */
	CHECK_INT(v.ch.pl[2].len, 32);
	CHECK_INT(v.ch.pl[3].len, 4 + 20);
	CHECK(ike_chain_find(&v.ch, IKE_PL_NOTIFY, 0) == &v.ch.pl[3]);
	CHECK(ike_chain_find(&v.ch, IKE_PL_NOTIFY, 4) == &v.ch.pl[4]);
	CHECK(ike_chain_find(&v.ch, IKE_PL_NOTIFY, 5) == NULL);
	CHECK(ike_chain_find(&v.ch, IKE_PL_AUTH, 0) == NULL);
	CHECK_INT(ike_chain_count(&v.ch, IKE_PL_NOTIFY), 2);
	CHECK_INT(ike_chain_count(&v.ch, IKE_PL_SA), 1);
	{
		struct ike_notify nt;

		CHECK_INT(ike_chain_find_notify(&v.ch, IKE_N_NAT_DETECTION_DESTINATION_IP, &nt), 1);
		CHECK_INT(nt.type, IKE_N_NAT_DETECTION_DESTINATION_IP);
		CHECK_INT(ike_chain_find_notify(&v.ch, IKE_N_COOKIE, &nt), 0);
		/* a malformed Notify on the way (SPI Size 3) */
		b.data[v.ch.pl[3].off + 4 + 1] = 3;
		CHECK_INT(ike_chain_find_notify(&v.ch, IKE_N_NAT_DETECTION_DESTINATION_IP, &nt), -EBADMSG);
		b.data[v.ch.pl[3].off + 4 + 1] = 0;
	}

	/* the bodies parse with their own parsers */
	{
		struct ike_proposal props[2];
		size_t n;
		struct ike_ke ke;
		struct ike_chunk nonce;
		struct ike_notify nt;

		CHECK_INT(ike_sa_parse(v.ch.pl[0].body, v.ch.pl[0].len, 0, props, 2, &n), 0);
		CHECK_INT(n, 1);
		CHECK_INT(props[0].n_transforms, 4);
		CHECK_INT(ike_ke_parse(v.ch.pl[1].body, v.ch.pl[1].len, &ke), 0);
		CHECK_INT(ke.group, IKE_DH_CURVE25519);
		CHECK_INT(ike_nonce_parse(v.ch.pl[2].body, v.ch.pl[2].len, &nonce), 0);
		CHECK_INT(nonce.len, 32);
		CHECK_INT(ike_notify_parse(v.ch.pl[4].body, v.ch.pl[4].len, &nt), 0);
		CHECK_INT(nt.type, IKE_N_NAT_DETECTION_DESTINATION_IP);
	}

	/* Truncation at every byte: with the Length field left alone the header
	 * check fails; with Length patched to the cut, the chain check fails. */
	{
		uint8_t *cut = malloc(b.len);

		for (size_t k = 0; k < b.len; k++) {
			memcpy(cut, b.data, k);
			CHECK(ike_msg_parse(cut, k, &v) < 0);
			if (k >= IKE_HDR_LEN) {
				cut[24] = (uint8_t)(k >> 24);
				cut[25] = (uint8_t)(k >> 16);
				cut[26] = (uint8_t)(k >> 8);
				cut[27] = (uint8_t)k;
				CHECK_INT(ike_msg_parse(cut, k, &v), -EBADMSG);
				CHECK_INT(ike_chain_parse(cut, k, IKE_HDR_LEN,
							  IKE_PL_SA, &v.ch), -EBADMSG);
			}
		}
		free(cut);
	}
	ike_buf_free(&b);
}

/* 3.2: malformed chains — Payload Length below 4, beyond the message,
 * bytes after the last payload, payloads where Next Payload said none. */
static void test_chain_malformed(void)
{
	struct ike_buf b;
	struct ike_chain ch;
	struct ike_msg_view v;
	size_t off;

	ike_buf_init(&b);
	CHECK(build_init(&b) > 0);
	off = IKE_HDR_LEN;	/* the SA payload */

	for (uint16_t bad = 0; bad < 4; bad++) {
		ike_buf_set_u16(&b, off + 2, bad);
		CHECK_INT(ike_msg_parse(b.data, b.len, &v), -EBADMSG);
	}
	ike_buf_set_u16(&b, off + 2, (uint16_t)(b.len - off + 1));
	CHECK_INT(ike_msg_parse(b.data, b.len, &v), -EBADMSG);
	ike_buf_set_u16(&b, off + 2, 0xffff);
	CHECK_INT(ike_msg_parse(b.data, b.len, &v), -EBADMSG);
	ike_buf_reset(&b);

	/* Next Payload 0 in the header but payloads follow */
	CHECK(build_init(&b) > 0);
	b.data[IKE_HDR_OFF_NEXT] = 0;
	CHECK_INT(ike_msg_parse(b.data, b.len, &v), -EBADMSG);
	/* Next Payload 0 in the middle of the chain */
	b.data[IKE_HDR_OFF_NEXT] = IKE_PL_SA;
	b.data[IKE_HDR_LEN] = 0;
	CHECK_INT(ike_msg_parse(b.data, b.len, &v), -EBADMSG);
	ike_buf_reset(&b);

	/* trailing garbage after a well-formed chain */
	CHECK(build_init(&b) > 0);
	ike_buf_put_u32(&b, 0);
	ike_buf_set_u32(&b, IKE_HDR_OFF_LENGTH, (uint32_t)b.len);
	CHECK_INT(ike_msg_parse(b.data, b.len, &v), -EBADMSG);
	ike_buf_free(&b);

	/* an empty chain: header only, Next Payload 0 */
	{
		struct ike_hdr h = test_hdr();
		uint8_t one = 0;

		h.length = IKE_HDR_LEN;
		h.next_payload = 0;
		ike_buf_init(&b);
		ike_hdr_build(&b, &h);
		CHECK_INT(ike_msg_parse(b.data, b.len, &v), 0);
		CHECK_INT(v.ch.n, 0);
		CHECK_INT(ike_chain_parse(&one, 0, 0, IKE_PL_NONE, &ch), 0);
		CHECK_INT(ch.n, 0);
		CHECK_INT(ike_chain_parse(&one, 1, 0, IKE_PL_NONE, &ch), -EBADMSG);
		CHECK_INT(ike_chain_parse(&one, 1, 2, IKE_PL_NONE, &ch), -EBADMSG);
		ike_buf_free(&b);
	}
}

/* Limit (STYLE rule 6): IKE_MAX_PAYLOADS payloads are accepted, one more
 * is -E2BIG. */
static void test_chain_limit(void)
{
	for (size_t want = IKE_MAX_PAYLOADS - 1; want <= IKE_MAX_PAYLOADS + 1; want++) {
		struct ike_buf b;
		struct ike_msg_builder mb;
		struct ike_hdr h = test_hdr();
		struct ike_msg_view v;
		uint8_t vid[4] = { 'r', 'a', 'g', 0 };

		ike_buf_init(&b);
		ike_mb_begin(&mb, &b, &h);
		for (size_t i = 0; i < want; i++) {
			vid[3] = (uint8_t)i;
			ike_vendor_build(&mb, vid, sizeof(vid));
		}
		CHECK(ike_mb_finish(&mb) > 0);
		if (want <= IKE_MAX_PAYLOADS) {
			CHECK_INT(ike_msg_parse(b.data, b.len, &v), 0);
			CHECK_INT(v.ch.n, want);
			CHECK_INT(v.ch.pl[want - 1].body[3], want - 1);
		} else {
			CHECK_INT(ike_msg_parse(b.data, b.len, &v), -E2BIG);
		}
		ike_buf_free(&b);
	}
}

/* 3.2: "If the critical bit is set and the payload type is unrecognized,
 * the message MUST be rejected and the response to the IKE request
 * containing that payload MUST include a Notify payload
 * UNSUPPORTED_CRITICAL_PAYLOAD" — the type is reported; unknown payloads
 * without the bit are skipped; the bit is ignored on known types. */
static void test_critical(void)
{
	struct ike_buf b;
	struct ike_msg_builder mb;
	struct ike_hdr h = test_hdr();
	struct ike_msg_view v;
	uint8_t body[8] = { 0 }, nonce[16] = { 0 };

	ike_buf_init(&b);
	ike_mb_begin(&mb, &b, &h);
	ike_nonce_build(&mb, nonce, sizeof(nonce));
	ike_pl_build_raw(&mb, 99, false, body, sizeof(body));	/* skipped */
	ike_pl_build_raw(&mb, 120, true, body, 3);		/* rejected */
	ike_pl_build_raw(&mb, 121, true, body, 0);		/* second one */
	ike_pl_build_raw(&mb, IKE_PL_VENDOR, true, body, 2);	/* known: fine */
	CHECK(ike_mb_finish(&mb) > 0);
	CHECK_INT(ike_msg_parse(b.data, b.len, &v), -ENOTSUP);
	CHECK_INT(v.ch.unsupported_critical, 120);
	CHECK_INT(v.ch.n, 5);	/* the chain is still fully described */
	CHECK_INT(v.ch.pl[1].type, 99);
	CHECK(!v.ch.pl[1].critical);
	CHECK_INT(v.ch.pl[2].type, 120);
	CHECK(v.ch.pl[2].critical);
	CHECK_INT(v.ch.pl[2].len, 3);
	CHECK(v.ch.pl[4].critical);
	CHECK_INT(b.data[v.ch.pl[2].off + 1], 0x80);
	ike_buf_reset(&b);

	ike_mb_begin(&mb, &b, &h);
	ike_pl_build_raw(&mb, 99, false, body, sizeof(body));
	ike_pl_build_raw(&mb, IKE_PL_NONCE, true, nonce, sizeof(nonce));
	ike_pl_build_raw(&mb, IKE_PL_GSPM, false, body, 1);
	CHECK(ike_mb_finish(&mb) > 0);
	CHECK_INT(ike_msg_parse(b.data, b.len, &v), 0);
	CHECK_INT(v.ch.n, 3);
	CHECK_INT(v.ch.unsupported_critical, 0);
	CHECK(ike_pl_type_known(IKE_PL_SKF));
	CHECK(ike_pl_type_known(IKE_PL_SA));
	CHECK(ike_pl_type_known(IKE_PL_EAP));
	CHECK(!ike_pl_type_known(32));
	CHECK(!ike_pl_type_known(IKE_PL_GSPM));
	CHECK(!ike_pl_type_known(0));
	ike_buf_free(&b);
}

/* 3.14: SK is the last payload, its Next Payload names the first inner
 * payload; RFC 7383 2.5: same for SKF.  The inner chain is walked with the
 * same function. */
static void test_sk_chain(void)
{
	struct ike_buf b, in;
	struct ike_msg_builder mb, inner;
	struct ike_hdr h = test_hdr();
	struct ike_msg_view v;
	struct ike_chain ich;
	uint8_t fake_ct[40], auth[32];
	size_t sk_off;

	memset(fake_ct, 0xee, sizeof(fake_ct));
	memset(auth, 0xaa, sizeof(auth));
	h.exchange = IKE_AUTH;
	h.msg_id = 1;

	/* inner chain: IDi AUTH N(INITIAL_CONTACT) */
	ike_buf_init(&in);
	ike_mb_begin_chain(&inner, &in);
	ike_id_build(&inner, IKE_PL_IDI, IKE_ID_FQDN, (const uint8_t *)"alice", 5);
	ike_auth_build(&inner, IKE_AUTH_PSK, auth, sizeof(auth));
	ike_notify_build(&inner, 0, IKE_N_INITIAL_CONTACT, NULL, 0, NULL, 0);
	CHECK_INT(ike_mb_finish(&inner), 4 + 9 + 4 + 36 + 4 + 4);
	CHECK_INT(inner.first, IKE_PL_IDI);
	CHECK_INT(ike_chain_parse(in.data, in.len, 0, inner.first, &ich), 0);
	CHECK_INT(ich.n, 3);
	CHECK_INT(ich.pl[0].off, 0);
	CHECK_INT(ich.pl[1].type, IKE_PL_AUTH);
	CHECK_INT(ich.pl[2].type, IKE_PL_NOTIFY);

	/* outer: N(whatever) then SK; emulate ike_sk_seal's appends */
	ike_buf_init(&b);
	ike_mb_begin(&mb, &b, &h);
	ike_notify_build(&mb, 0, IKE_N_MOBIKE_SUPPORTED, NULL, 0, NULL, 0);
	sk_off = ike_mb_sk_begin(&mb, IKE_PL_SK, inner.first);
	CHECK_INT(sk_off, IKE_HDR_LEN + 8);
	CHECK_INT(b.data[sk_off], IKE_PL_IDI);
	CHECK_INT(b.data[IKE_HDR_LEN], IKE_PL_SK);	/* previous Next Payload */
	ike_buf_put(&b, fake_ct, sizeof(fake_ct));
	ike_buf_set_u16(&b, sk_off + 2, (uint16_t)(b.len - sk_off));
	/* nothing may follow SK */
	CHECK(ike_mb_pl_begin(&mb, IKE_PL_NOTIFY, false) == SIZE_MAX);
	CHECK_INT(ike_mb_finish(&mb), -EINVAL);
	b.err = 0;
	CHECK_INT(ike_mb_finish(&mb), (int)b.len);
	CHECK_INT(ike_msg_parse(b.data, b.len, &v), 0);
	CHECK_INT(v.ch.n, 2);
	CHECK_INT(v.ch.pl[1].type, IKE_PL_SK);
	CHECK_INT(v.ch.pl[1].off, sk_off);
	CHECK_INT(v.ch.pl[1].len, sizeof(fake_ct));
	CHECK_INT(v.ch.sk_next, IKE_PL_IDI);

	/* SK that does not reach the end of the message */
	ike_buf_put_u32(&b, 0);
	ike_buf_set_u32(&b, IKE_HDR_OFF_LENGTH, (uint32_t)b.len);
	CHECK_INT(ike_msg_parse(b.data, b.len, &v), -EBADMSG);
	/* ... even if something chains after it */
	ike_buf_set_u16(&b, sk_off + 2, (uint16_t)(b.len - sk_off - 4));
	b.data[sk_off] = IKE_PL_VENDOR;
	CHECK_INT(ike_msg_parse(b.data, b.len, &v), -EBADMSG);
	ike_buf_reset(&b);

	/* SKF: same rule */
	ike_mb_begin(&mb, &b, &h);
	sk_off = ike_mb_sk_begin(&mb, IKE_PL_SKF, IKE_PL_IDI);
	CHECK_INT(b.data[IKE_HDR_OFF_NEXT], IKE_PL_SKF);
	ike_buf_put_u16(&b, 1);
	ike_buf_put_u16(&b, 2);
	ike_buf_put(&b, fake_ct, sizeof(fake_ct));
	ike_buf_set_u16(&b, sk_off + 2, (uint16_t)(b.len - sk_off));
	CHECK(ike_mb_finish(&mb) > 0);
	CHECK_INT(ike_msg_parse(b.data, b.len, &v), 0);
	CHECK_INT(v.ch.n, 1);
	CHECK_INT(v.ch.sk_next, IKE_PL_IDI);
	CHECK_INT(v.ch.pl[0].len, 4 + sizeof(fake_ct));

	/* only SK/SKF may be opened with ike_mb_sk_begin */
	ike_buf_reset(&b);
	ike_mb_begin(&mb, &b, &h);
	CHECK(ike_mb_sk_begin(&mb, IKE_PL_NOTIFY, IKE_PL_IDI) == SIZE_MAX);
	CHECK_INT(ike_mb_finish(&mb), -EINVAL);
	ike_buf_free(&b);
	ike_buf_free(&in);
}

/* Builder errors are sticky; payloads over 65535 bytes are refused. */
static void test_builder_errors(void)
{
	struct ike_buf b;
	struct ike_msg_builder mb;
	struct ike_hdr h = test_hdr();
	uint8_t *big;
	size_t off;

	ike_buf_init(&b);
	ike_mb_begin(&mb, &b, &h);
	CHECK(ike_mb_pl_begin(&mb, IKE_PL_NONE, false) == SIZE_MAX);
	CHECK_INT(ike_vendor_build(&mb, (const uint8_t *)"x", 1), -EINVAL);
	CHECK_INT(ike_mb_finish(&mb), -EINVAL);
	ike_buf_reset(&b);

	/* invalid argument to a payload builder fails the whole message */
	ike_mb_begin(&mb, &b, &h);
	CHECK_INT(ike_nonce_build(&mb, (const uint8_t *)"short", 5), -EINVAL);
	CHECK_INT(ike_mb_finish(&mb), -EINVAL);
	ike_buf_reset(&b);

	/* Payload Length is 16 bits */
	b.limit = 200000;
	big = calloc(1, 70000);
	ike_mb_begin(&mb, &b, &h);
	off = ike_mb_pl_begin(&mb, IKE_PL_VENDOR, false);
	CHECK(off != SIZE_MAX);
	ike_buf_put(&b, big, 65531);
	CHECK_INT(ike_mb_pl_end(&mb, off), 0);
	CHECK_INT(ike_get_u16(b.data + off + 2), 65535);
	ike_buf_reset(&b);
	ike_mb_begin(&mb, &b, &h);
	CHECK_INT(ike_vendor_build(&mb, big, 65532), -EMSGSIZE);
	CHECK_INT(ike_mb_finish(&mb), -EMSGSIZE);
	/* and a message is at most IKE_MAX_MSG_LEN */
	ike_buf_reset(&b);
	ike_mb_begin(&mb, &b, &h);
	ike_vendor_build(&mb, big, 40000);
	ike_vendor_build(&mb, big, 40000);
	CHECK_INT(ike_mb_finish(&mb), -EMSGSIZE);
	free(big);
	ike_buf_free(&b);
}

/* SHA-1 via OpenSSL (independent of libike) for the NAT-D cross-check. */
static void sha1(const uint8_t *d, size_t n, uint8_t out[20])
{
	unsigned int len = 20;

	CHECK_INT(EVP_Digest(d, n, out, &len, EVP_sha1(), NULL), 1);
}

/* Real-world interop: parse strongSwan's IKE_SA_INIT request completely,
 * check what charon says it sent, then rebuild it from the parsed values
 * with our builders: the bytes must be identical. */
static void test_strongswan_capture(void)
{
	size_t len;
	uint8_t *msg = check_unhex(ss_init_hex, &len);
	struct ike_msg_view v;
	static const uint8_t types[] = {
		IKE_PL_SA, IKE_PL_KE, IKE_PL_NONCE, IKE_PL_NOTIFY, IKE_PL_NOTIFY,
		IKE_PL_NOTIFY, IKE_PL_NOTIFY, IKE_PL_NOTIFY,
	};
	static const uint16_t ntypes[] = {
		IKE_N_NAT_DETECTION_SOURCE_IP, IKE_N_NAT_DETECTION_DESTINATION_IP,
		IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, IKE_N_SIGNATURE_HASH_ALGORITHMS,
		IKE_N_REDIRECT_SUPPORTED,
	};
	struct ike_proposal *props = calloc(IKE_MAX_PROPOSALS, sizeof(*props));
	size_t np = 0;
	struct ike_ke ke;
	struct ike_chunk nonce;
	struct ike_notify nt[5];

	CHECK_INT(len, 892);
	CHECK_INT(ike_msg_parse(msg, len, &v), 0);
	CHECK_INT(v.hdr.exchange, IKE_SA_INIT);
	CHECK_INT(v.hdr.flags, IKE_FLAG_INITIATOR);
	CHECK_INT(v.hdr.version, IKE_VERSION);
	CHECK_INT(v.hdr.msg_id, 0);
	CHECK_INT(v.hdr.length, 892);
	{
		static const uint8_t zero[8] = { 0 };
		CHECK_MEM(v.hdr.spi_r, zero, 8);	/* 3.1: zero in the first message */
	}
	CHECK_INT(v.ch.n, 8);
	for (size_t i = 0; i < v.ch.n && i < 8; i++)
		CHECK_INT(v.ch.pl[i].type, types[i]);

	/* SA: strongSwan's default IKE proposals: #1 CBC/CTR/CAMELLIA + HMAC,
	 * #2 AEAD (GCM/CCM/ChaCha20) */
	CHECK_INT(ike_sa_parse(v.ch.pl[0].body, v.ch.pl[0].len, 0, props,
			       IKE_MAX_PROPOSALS, &np), 0);
	CHECK_INT(np, 2);
	CHECK_INT(props[0].num, 1);
	CHECK_INT(props[0].protocol, IKE_PROTO_IKE);
	CHECK_INT(props[0].spi_len, 0);
	CHECK_INT(props[0].n_transforms, 34);
	CHECK_INT(props[0].tr[0].type, IKE_TR_ENCR);
	CHECK_INT(props[0].tr[0].id, IKE_ENCR_AES_CBC);
	CHECK_INT(props[0].tr[0].keylen, 128);
	CHECK(!props[0].tr[0].unknown_attr);
	CHECK_INT(props[0].tr[2].keylen, 256);
	CHECK_INT(props[0].tr[12].type, IKE_TR_ENCR);
	CHECK_INT(props[0].tr[12].id, IKE_ENCR_3DES);
	CHECK_INT(props[0].tr[12].keylen, 0);
	CHECK_INT(props[0].tr[13].type, IKE_TR_INTEG);
	CHECK_INT(props[0].tr[13].id, IKE_INTEG_HMAC_SHA2_256_128);
	CHECK_INT(props[0].tr[17].type, IKE_TR_PRF);
	CHECK_INT(props[0].tr[17].id, IKE_PRF_HMAC_SHA2_256);
	CHECK_INT(props[0].tr[21].type, IKE_TR_DH);
	CHECK_INT(props[0].tr[21].id, IKE_DH_CURVE25519);
	CHECK_INT(props[0].tr[33].type, IKE_TR_DH);
	CHECK_INT(props[0].tr[33].id, IKE_DH_MODP2048);
	CHECK_INT(props[1].num, 2);
	CHECK_INT(props[1].n_transforms, 36);
	CHECK_INT(props[1].tr[0].id, IKE_ENCR_AES_GCM_16);
	CHECK_INT(props[1].tr[6].id, IKE_ENCR_CHACHA20_POLY1305);
	CHECK_INT(props[1].tr[6].keylen, 0);

	/* KE: group 31 (Curve25519), 32-byte public value (RFC 8031 2) */
	CHECK_INT(ike_ke_parse(v.ch.pl[1].body, v.ch.pl[1].len, &ke), 0);
	CHECK_INT(ke.group, IKE_DH_CURVE25519);
	CHECK_INT(ke.len, 32);
	CHECK_INT(ike_nonce_parse(v.ch.pl[2].body, v.ch.pl[2].len, &nonce), 0);
	CHECK_INT(nonce.len, 32);

	for (size_t i = 0; i < 5; i++) {
		CHECK_INT(ike_notify_parse(v.ch.pl[3 + i].body, v.ch.pl[3 + i].len, &nt[i]), 0);
		CHECK_INT(nt[i].type, ntypes[i]);
		CHECK_INT(nt[i].spi_size, 0);
		CHECK_INT(ike_notify_check(&nt[i]), 0);
	}
	/* lookup by notify type */
	{
		struct ike_notify f;

		CHECK_INT(ike_chain_find_notify(&v.ch, IKE_N_SIGNATURE_HASH_ALGORITHMS, &f), 1);
		CHECK(f.data == nt[3].data);
		CHECK_INT(ike_chain_find_notify(&v.ch, IKE_N_COOKIE, &f), 0);
	}
	/* NAT-D (2.23): SHA-1(SPIi | SPIr | IP | port), computed independently
	 * for the capture's addresses 10.98.0.2:500 -> 10.98.0.1:500 */
	{
		uint8_t in[8 + 8 + 4 + 2], want[20];
		const uint8_t *hash;
		static const uint8_t src[4] = { 10, 98, 0, 2 }, dst[4] = { 10, 98, 0, 1 };

		memcpy(in, v.hdr.spi_i, 8);
		memcpy(in + 8, v.hdr.spi_r, 8);
		memcpy(in + 16, src, 4);
		in[20] = 500 >> 8;
		in[21] = 500 & 0xff;
		sha1(in, sizeof(in), want);
		CHECK_INT(ike_notify_nat_hash(&nt[0], &hash), 0);
		CHECK_MEM(hash, want, 20);
		memcpy(in + 16, dst, 4);
		sha1(in, sizeof(in), want);
		CHECK_INT(ike_notify_nat_hash(&nt[1], &hash), 0);
		CHECK_MEM(hash, want, 20);
	}
	/* RFC 7427 4: SHA2-256, SHA2-384, SHA2-512, Identity */
	{
		uint16_t algs[IKE_MAX_HASH_ALGS];
		size_t na;

		CHECK_INT(ike_notify_hash_algs(&nt[3], algs, IKE_MAX_HASH_ALGS, &na), 0);
		CHECK_INT(na, 4);
		CHECK_INT(algs[0], IKE_HASH_SHA2_256);
		CHECK_INT(algs[1], IKE_HASH_SHA2_384);
		CHECK_INT(algs[2], IKE_HASH_SHA2_512);
		CHECK_INT(algs[3], IKE_HASH_IDENTITY);

		/* rebuild byte for byte */
		struct ike_buf b;
		struct ike_msg_builder mb;
		struct ike_hdr h = v.hdr;
		const uint8_t *hs, *hd;

		ike_notify_nat_hash(&nt[0], &hs);
		ike_notify_nat_hash(&nt[1], &hd);
		ike_buf_init(&b);
		ike_mb_begin(&mb, &b, &h);
		ike_sa_build(&mb, props, np);
		ike_ke_build(&mb, ke.group, ke.data, ke.len);
		ike_nonce_build(&mb, nonce.ptr, nonce.len);
		ike_notify_build(&mb, 0, IKE_N_NAT_DETECTION_SOURCE_IP, NULL, 0, hs, 20);
		ike_notify_build(&mb, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, NULL, 0, hd, 20);
		ike_notify_build(&mb, 0, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0, NULL, 0);
		ike_notify_build_hash_algs(&mb, algs, na);
		ike_notify_build(&mb, 0, IKE_N_REDIRECT_SUPPORTED, NULL, 0, NULL, 0);
		CHECK_INT(ike_mb_finish(&mb), 892);
		CHECK_INT(b.len, len);
		if (b.len == len)
			CHECK_MEM(b.data, msg, len);
		ike_buf_free(&b);
	}

	/* every truncation of the capture is rejected, with or without the
	 * Length field adjusted */
	{
		uint8_t *cut = malloc(len);

		for (size_t k = 0; k < len; k++) {
			memcpy(cut, msg, k);
			CHECK(ike_msg_parse(cut, k, &v) < 0);
			if (k >= IKE_HDR_LEN) {
				cut[24] = 0;
				cut[25] = 0;
				cut[26] = (uint8_t)(k >> 8);
				cut[27] = (uint8_t)k;
				CHECK_INT(ike_msg_parse(cut, k, &v), -EBADMSG);
			}
		}
		free(cut);
	}
	free(props);
	free(msg);
}

int main(void)
{
	CHECK_INT(ike_init(), 0);
	test_header();
	test_builder_roundtrip();
	test_chain_malformed();
	test_chain_limit();
	test_critical();
	test_sk_chain();
	test_builder_errors();
	test_strongswan_capture();
	return check_done("msg");
}
