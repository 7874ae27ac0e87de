/*
 * test_pld_sa.c — Security Association payload (RFC 7296 3.3): encoding
 * against a hand-assembled body, round trips, every malformation we can
 * name, and the limits IKE_MAX_PROPOSALS / IKE_MAX_TRANSFORMS.
 */
#include "check.h"
#include "ike.h"
#include "ike_payload.h"

static struct ike_proposal props[IKE_MAX_PROPOSALS + 1];
static struct ike_proposal out[IKE_MAX_PROPOSALS + 1];

/*
 * Hand-assembled SA body following the diagrams of 3.3.1, 3.3.2 and 3.3.5:
 * proposal 1 IKE: ENCR_AES_CBC keylen 256, PRF_HMAC_SHA2_256,
 * INTEG_HMAC_SHA2_256_128, DH 19; proposal 2 ESP SPI 0x01020304:
 * ENCR_AES_GCM_16 keylen 128, ESN none.
 */
static const uint8_t hand_sa[] = {
	/* proposal 1: Last=2 (more), RESERVED, length 8+4*8+4 = 44 */
	0x02, 0x00, 0x00, 44, 1, IKE_PROTO_IKE, 0, 4,
	/* transform: Last=3 (more), RESERVED, length 12, type 1, RESERVED, ID 12 */
	0x03, 0x00, 0x00, 12, IKE_TR_ENCR, 0x00, 0x00, 12,
	0x80, 0x0e, 0x01, 0x00,	/* AF=1, Key Length = 256 */
	0x03, 0x00, 0x00, 8, IKE_TR_PRF, 0x00, 0x00, 5,
	0x03, 0x00, 0x00, 8, IKE_TR_INTEG, 0x00, 0x00, 12,
	0x00, 0x00, 0x00, 8, IKE_TR_DH, 0x00, 0x00, 19,	/* Last=0 */
	/* proposal 2: Last=0, length 8+4+12+8 = 32 */
	0x00, 0x00, 0x00, 32, 2, IKE_PROTO_ESP, 4, 2,
	0x01, 0x02, 0x03, 0x04,
	0x03, 0x00, 0x00, 12, IKE_TR_ENCR, 0x00, 0x00, 20,
	0x80, 0x0e, 0x00, 0x80,
	0x00, 0x00, 0x00, 8, IKE_TR_ESN, 0x00, 0x00, 0,
};

static void set_hand_props(void)
{
	memset(props, 0, sizeof(props));
	props[0] = (struct ike_proposal){
		.num = 1, .protocol = IKE_PROTO_IKE, .n_transforms = 4,
		.tr = {
			{ IKE_TR_ENCR, IKE_ENCR_AES_CBC, 256, false },
			{ IKE_TR_PRF, IKE_PRF_HMAC_SHA2_256, 0, false },
			{ IKE_TR_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0, false },
			{ IKE_TR_DH, IKE_DH_ECP256, 0, false },
		},
	};
	props[1] = (struct ike_proposal){
		.num = 2, .protocol = IKE_PROTO_ESP, .spi_len = 4,
		.spi = { 1, 2, 3, 4 }, .n_transforms = 2,
		.tr = {
			{ IKE_TR_ENCR, IKE_ENCR_AES_GCM_16, 128, false },
			{ IKE_TR_ESN, IKE_ESN_NO, 0, false },
		},
	};
}

/* Build an SA payload into b (bare chain); returns the body pointer. */
static const uint8_t *build_sa(struct ike_buf *b, const struct ike_proposal *p,
			       size_t n, size_t *len)
{
	struct ike_msg_builder mb;

	ike_buf_reset(b);
	ike_mb_begin_chain(&mb, b);
	if (ike_sa_build(&mb, p, n) < 0 || ike_mb_finish(&mb) < 0) {
		*len = 0;
		return NULL;
	}
	*len = b->len - 4;
	return b->data + 4;
}

static bool prop_equal(const struct ike_proposal *a, const struct ike_proposal *b)
{
	if (a->num != b->num || a->protocol != b->protocol ||
	    a->spi_len != b->spi_len || memcmp(a->spi, b->spi, a->spi_len) ||
	    a->n_transforms != b->n_transforms)
		return false;
	for (size_t i = 0; i < a->n_transforms; i++)
		if (a->tr[i].type != b->tr[i].type || a->tr[i].id != b->tr[i].id ||
		    a->tr[i].keylen != b->tr[i].keylen ||
		    a->tr[i].unknown_attr != b->tr[i].unknown_attr)
			return false;
	return true;
}

/* 3.3: our encoder emits exactly the hand-assembled bytes and the parser
 * reads them back; every truncation is rejected. */
static void test_hand_encoding(void)
{
	struct ike_buf b;
	const uint8_t *body;
	size_t len, n = 99;

	set_hand_props();
	ike_buf_init(&b);
	body = build_sa(&b, props, 2, &len);
	CHECK(body != NULL);
	CHECK_INT(len, sizeof(hand_sa));
	if (body && len == sizeof(hand_sa))
		CHECK_MEM(body, hand_sa, sizeof(hand_sa));
	CHECK_INT(b.data[0], 0);	/* generic header: Next Payload none */
	CHECK_INT(ike_get_u16(b.data + 2), sizeof(hand_sa) + 4);

	CHECK_INT(ike_sa_parse(hand_sa, sizeof(hand_sa), 0, out, IKE_MAX_PROPOSALS, &n), 0);
	CHECK_INT(n, 2);
	CHECK(prop_equal(&out[0], &props[0]));
	CHECK(prop_equal(&out[1], &props[1]));

	for (size_t k = 0; k < sizeof(hand_sa); k++) {
		n = 99;
		CHECK_INT(ike_sa_parse(hand_sa, k, 0, out, IKE_MAX_PROPOSALS, &n), -EBADMSG);
		CHECK_INT(n, 0);
	}
	ike_buf_free(&b);
}

/* Build -> parse round trips: IKE with an 8-byte SPI (rekey, 1.3.2),
 * AH, ESP, many transforms. */
static void test_roundtrip(void)
{
	struct ike_buf b;
	const uint8_t *body;
	size_t len, n;

	memset(props, 0, sizeof(props));
	props[0] = (struct ike_proposal){
		.num = 1, .protocol = IKE_PROTO_IKE, .spi_len = 8,
		.spi = { 9, 8, 7, 6, 5, 4, 3, 2 }, .n_transforms = 3,
		.tr = {
			{ IKE_TR_ENCR, IKE_ENCR_CHACHA20_POLY1305, 0, false },
			{ IKE_TR_PRF, IKE_PRF_HMAC_SHA2_512, 0, false },
			{ IKE_TR_DH, IKE_DH_CURVE448, 0, false },
		},
	};
	props[1] = (struct ike_proposal){
		.num = 2, .protocol = IKE_PROTO_AH, .spi_len = 4,
		.spi = { 0xde, 0xad, 0xbe, 0xef }, .n_transforms = 2,
		.tr = {
			{ IKE_TR_INTEG, IKE_INTEG_HMAC_SHA2_384_192, 0, false },
			{ IKE_TR_ESN, IKE_ESN_YES, 0, false },
		},
	};
	props[2].num = 3;
	props[2].protocol = IKE_PROTO_ESP;
	props[2].spi_len = 4;
	props[2].n_transforms = IKE_MAX_TRANSFORMS;
	for (size_t i = 0; i < IKE_MAX_TRANSFORMS; i++) {
		props[2].tr[i].type = (uint8_t)(1 + i % 5);
		props[2].tr[i].id = (uint16_t)(i * 7);
		props[2].tr[i].keylen = (uint16_t)(i % 3 ? 0 : 64 + i);
	}
	ike_buf_init(&b);
	body = build_sa(&b, props, 3, &len);
	CHECK(body != NULL);
	CHECK_INT(ike_sa_parse(body, len, 0, out, IKE_MAX_PROPOSALS, &n), 0);
	CHECK_INT(n, 3);
	for (size_t i = 0; i < 3; i++)
		CHECK(prop_equal(&out[i], &props[i]));
	/* max smaller than the proposals present */
	CHECK_INT(ike_sa_parse(body, len, 0, out, 2, &n), -E2BIG);
	CHECK_INT(n, 0);
	/* IKE_SA_PARSE_REPLY wants exactly one proposal */
	CHECK_INT(ike_sa_parse(body, len, IKE_SA_PARSE_REPLY, out, IKE_MAX_PROPOSALS, &n), -EBADMSG);
	ike_buf_free(&b);
}

/* 3.3.1: "When a proposal is accepted, the proposal number in the SA
 * payload MUST match the number on the proposal sent that was accepted." */
static void test_reply(void)
{
	struct ike_buf b;
	const uint8_t *body;
	size_t len, n;

	set_hand_props();
	props[1].num = 3;	/* the responder accepted proposal #3 */
	ike_buf_init(&b);
	body = build_sa(&b, &props[1], 1, &len);
	CHECK(body != NULL);
	CHECK_INT(ike_sa_parse(body, len, IKE_SA_PARSE_REPLY, out, 1, &n), 0);
	CHECK_INT(n, 1);
	CHECK_INT(out[0].num, 3);
	/* in a request numbering starts at 1 */
	CHECK_INT(ike_sa_parse(body, len, 0, out, 1, &n), -EBADMSG);
	/* number 0 is never valid */
	b.data[4 + 4] = 0;
	CHECK_INT(ike_sa_parse(body, len, IKE_SA_PARSE_REPLY, out, 1, &n), -EBADMSG);
	ike_buf_free(&b);
}

/* Copy hand_sa, apply one byte change, expect err. */
static void expect_mod(size_t off, uint8_t val, int err, int line)
{
	uint8_t m[sizeof(hand_sa)];
	size_t n;
	int r;

	memcpy(m, hand_sa, sizeof(m));
	m[off] = val;
	r = ike_sa_parse(m, sizeof(m), 0, out, IKE_MAX_PROPOSALS, &n);
	if (r != err)
		fprintf(stderr, "  (from line %d: byte %zu = 0x%02x)\n", line, off, val);
	CHECK_INT(r, err);
}
#define EXPECT_MOD(off, val, err) expect_mod(off, val, err, __LINE__)

/* Offsets in hand_sa */
#define P1 0
#define P1T1 8
#define P1T4 36
#define P2 44
#define P2T1 56
#define P2T2 68

/* Malformed proposals and transforms (3.3.1 - 3.3.5). */
static void test_malformed(void)
{
	/* Last Substruc: 2 on a non-last proposal, 0 on the last */
	EXPECT_MOD(P1, 0, -EBADMSG);
	EXPECT_MOD(P1, 3, -EBADMSG);
	EXPECT_MOD(P2, 2, -EBADMSG);
	/* transforms: 3 on non-last, 0 on last */
	EXPECT_MOD(P1T1, 0, -EBADMSG);
	EXPECT_MOD(P1T1, 2, -EBADMSG);
	EXPECT_MOD(P1T4, 3, -EBADMSG);
	/* numbering 1, 2, ... */
	EXPECT_MOD(P1 + 4, 0, -EBADMSG);
	EXPECT_MOD(P1 + 4, 2, -EBADMSG);
	EXPECT_MOD(P2 + 4, 3, -EBADMSG);
	EXPECT_MOD(P2 + 4, 1, -EBADMSG);
	/* protocol / SPI size */
	EXPECT_MOD(P1 + 5, 0, -EBADMSG);
	EXPECT_MOD(P1 + 5, 4, -EBADMSG);
	EXPECT_MOD(P2 + 6, 0, -EBADMSG);	/* ESP without SPI */
	EXPECT_MOD(P2 + 6, 8, -EBADMSG);	/* ESP with 8 */
	/* Num Transforms: 0, more or fewer than present, above the limit */
	EXPECT_MOD(P1 + 7, 0, -EBADMSG);
	EXPECT_MOD(P1 + 7, 3, -EBADMSG);
	EXPECT_MOD(P1 + 7, 5, -EBADMSG);
	EXPECT_MOD(P1 + 7, IKE_MAX_TRANSFORMS + 1, -E2BIG);
	EXPECT_MOD(P1 + 7, 255, -E2BIG);
	/* Proposal Length: short, long, below the header */
	EXPECT_MOD(P1 + 3, 43, -EBADMSG);
	EXPECT_MOD(P1 + 3, 45, -EBADMSG);
	EXPECT_MOD(P1 + 3, 7, -EBADMSG);
	EXPECT_MOD(P2 + 3, 31, -EBADMSG);
	EXPECT_MOD(P2 + 2, 1, -EBADMSG);
	/* Transform Length: below 8, not matching attributes */
	EXPECT_MOD(P1T1 + 3, 7, -EBADMSG);
	EXPECT_MOD(P1T1 + 3, 10, -EBADMSG);	/* half an attribute */
	EXPECT_MOD(P1T1 + 3, 8, -EBADMSG);	/* attribute becomes a transform */
	EXPECT_MOD(P2T2 + 3, 12, -EBADMSG);
	/* Key Length as TLV whose length runs past the transform */
	EXPECT_MOD(P1T1 + 8, 0x00, -EBADMSG);

	/* TLV attribute that fits is skipped and flagged */
	{
		uint8_t m[sizeof(hand_sa)];
		size_t n;

		memcpy(m, hand_sa, sizeof(m));
		m[P1T1 + 8] = 0x00;	/* AF=0, type 14 */
		m[P1T1 + 10] = 0x00;
		m[P1T1 + 11] = 0x00;	/* length 0 */
		CHECK_INT(ike_sa_parse(m, sizeof(m), 0, out, IKE_MAX_PROPOSALS, &n), 0);
		CHECK(out[0].tr[0].unknown_attr);
		CHECK_INT(out[0].tr[0].keylen, 0);
		/* unknown TV attribute */
		m[P1T1 + 8] = 0x80;
		m[P1T1 + 9] = 0x01;
		CHECK_INT(ike_sa_parse(m, sizeof(m), 0, out, IKE_MAX_PROPOSALS, &n), 0);
		CHECK(out[0].tr[0].unknown_attr);
		CHECK_INT(out[0].tr[0].keylen, 0);
		CHECK(!out[0].tr[1].unknown_attr);
	}
	/* empty body: an SA payload has at least one proposal */
	{
		size_t n;

		CHECK_INT(ike_sa_parse(hand_sa, 0, 0, out, IKE_MAX_PROPOSALS, &n), -EBADMSG);
	}
}

/* Two Key Length attributes, and a TLV attribute of real length. */
static void test_attributes(void)
{
	static const uint8_t two_keylen[] = {
		0x00, 0x00, 0x00, 24, 1, IKE_PROTO_IKE, 0, 1,
		0x00, 0x00, 0x00, 16, IKE_TR_ENCR, 0, 0, 12,
		0x80, 0x0e, 0x00, 0x80, 0x80, 0x0e, 0x01, 0x00,
	};
	static const uint8_t tlv[] = {
		0x00, 0x00, 0x00, 27, 1, IKE_PROTO_IKE, 0, 1,
		0x00, 0x00, 0x00, 19, IKE_TR_ENCR, 0, 0, 12,
		0x00, 0x22, 0x00, 0x03, 'a', 'b', 'c',	/* TLV type 0x22, 3 bytes */
		0x80, 0x0e, 0x00, 0xc0,
	};
	size_t n;

	CHECK_INT(ike_sa_parse(two_keylen, sizeof(two_keylen), 0, out, 1, &n), -EBADMSG);
	{
		uint8_t m[sizeof(tlv)];

		CHECK_INT(ike_sa_parse(tlv, sizeof(tlv), 0, out, 1, &n), 0);
		CHECK_INT(n, 1);
		CHECK_INT(out[0].tr[0].keylen, 192);
		CHECK(out[0].tr[0].unknown_attr);
		/* TLV length one too long: the Key Length TV is cut */
		memcpy(m, tlv, sizeof(m));
		m[19] = 4;
		CHECK_INT(ike_sa_parse(m, sizeof(m), 0, out, 1, &n), -EBADMSG);
		/* TLV length running past the transform */
		m[19] = 8;
		CHECK_INT(ike_sa_parse(m, sizeof(m), 0, out, 1, &n), -EBADMSG);
	}
}

/* Write a raw proposal with nt transforms of 8 bytes (no attributes). */
static void raw_prop(struct ike_buf *b, bool last, uint8_t num, unsigned int nt)
{
	ike_buf_put_u8(b, last ? 0 : 2);
	ike_buf_put_u8(b, 0);
	ike_buf_put_u16(b, (uint16_t)(8 + 8 * nt));
	ike_buf_put_u8(b, num);
	ike_buf_put_u8(b, IKE_PROTO_IKE);
	ike_buf_put_u8(b, 0);
	ike_buf_put_u8(b, (uint8_t)nt);
	for (unsigned int i = 0; i < nt; i++) {
		ike_buf_put_u8(b, i + 1 == nt ? 0 : 3);
		ike_buf_put_u8(b, 0);
		ike_buf_put_u16(b, 8);
		ike_buf_put_u8(b, IKE_TR_DH);
		ike_buf_put_u8(b, 0);
		ike_buf_put_u16(b, (uint16_t)i);
	}
}

/* STYLE rule 6: at the limit accepted, one beyond -E2BIG. */
static void test_limits(void)
{
	struct ike_buf b;
	size_t n;

	ike_buf_init(&b);
	for (unsigned int np = IKE_MAX_PROPOSALS; np <= IKE_MAX_PROPOSALS + 1; np++) {
		ike_buf_reset(&b);
		for (unsigned int i = 0; i < np; i++)
			raw_prop(&b, i + 1 == np, (uint8_t)(i + 1), 2);
		CHECK_INT(ike_sa_parse(b.data, b.len, 0, out, IKE_MAX_PROPOSALS + 1, &n),
			  np <= IKE_MAX_PROPOSALS ? 0 : -E2BIG);
		CHECK_INT(n, np <= IKE_MAX_PROPOSALS ? np : 0);
	}
	for (unsigned int nt = IKE_MAX_TRANSFORMS; nt <= IKE_MAX_TRANSFORMS + 1; nt++) {
		ike_buf_reset(&b);
		raw_prop(&b, true, 1, nt);
		CHECK_INT(ike_sa_parse(b.data, b.len, 0, out, 1, &n),
			  nt <= IKE_MAX_TRANSFORMS ? 0 : -E2BIG);
		if (nt <= IKE_MAX_TRANSFORMS) {
			CHECK_INT(out[0].n_transforms, nt);
			CHECK_INT(out[0].tr[nt - 1].id, nt - 1);
		}
	}
	ike_buf_free(&b);
}

/* The builder refuses what the parser would refuse. */
static void test_build_invalid(void)
{
	struct ike_buf b;
	size_t len;

	ike_buf_init(&b);
	set_hand_props();
	CHECK(build_sa(&b, props, 0, &len) == NULL);
	CHECK_INT(ike_buf_error(&b), -EINVAL);
	props[0].n_transforms = 0;
	CHECK(build_sa(&b, props, 1, &len) == NULL);
	set_hand_props();
	props[1].spi_len = 3;
	CHECK(build_sa(&b, props, 2, &len) == NULL);
	set_hand_props();
	props[0].num = 0;
	CHECK(build_sa(&b, props, 1, &len) == NULL);
	set_hand_props();
	props[0].n_transforms = IKE_MAX_TRANSFORMS + 1;
	CHECK(build_sa(&b, props, 1, &len) == NULL);
	set_hand_props();
	CHECK(build_sa(&b, props, IKE_MAX_PROPOSALS + 1, &len) == NULL);
	set_hand_props();
	CHECK(build_sa(&b, props, 2, &len) != NULL);
	ike_buf_free(&b);
}

int main(void)
{
	test_hand_encoding();
	test_roundtrip();
	test_reply();
	test_malformed();
	test_attributes();
	test_limits();
	test_build_invalid();
	return check_done("pld_sa");
}
