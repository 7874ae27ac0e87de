/*
 * test_sk_frag.c — SK/SKF framing (RFC 7296 3.14, RFC 7383 2.5) and IKE
 * fragmentation / reassembly (RFC 7383 2.5, 2.6, 2.6.1).
 *
 * The crypto round trips use ike_sk_seal/ike_sk_open with keys from
 * ike_derive_ike_keys; they check framing, not cipher vectors (those are
 * test_sk_crypt's job).
 */
#include <stdlib.h>

#include <sodium.h>

#include "check.h"
#include "ike_frag.h"

/* ---- hand-built messages for ike_sk_locate -------------------------------- */

static void put_hdr(struct ike_buf *b, uint8_t np)
{
	static const uint8_t spis[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

	ike_buf_put(b, spis, 16);
	ike_buf_put_u8(b, np);
	ike_buf_put_u8(b, IKE_VERSION);
	ike_buf_put_u8(b, IKE_AUTH);
	ike_buf_put_u8(b, IKE_FLAG_INITIATOR);
	ike_buf_put_u32(b, 1);
	ike_buf_put_u32(b, 0);
}

static void fix_len(struct ike_buf *b)
{
	ike_buf_set_u32(b, 24, (uint32_t)b->len);
}

/* header | N(4 bytes data) | SK or SKF with 40 bytes of "ciphertext" */
static void build_plain(struct ike_buf *b, bool notify, bool skf,
			uint16_t num, uint16_t total)
{
	uint8_t sk = skf ? IKE_PL_SKF : IKE_PL_SK;

	ike_buf_reset(b);
	put_hdr(b, notify ? IKE_PL_NOTIFY : sk);
	if (notify) {
		ike_buf_put_u8(b, sk);
		ike_buf_put_u8(b, 0);
		ike_buf_put_u16(b, 8);
		ike_buf_put_u32(b, 0x00004000);
	}
	ike_buf_put_u8(b, IKE_PL_IDI);
	ike_buf_put_u8(b, 0);
	ike_buf_put_u16(b, (uint16_t)((skf ? 8 : 4) + 40));
	if (skf) {
		ike_buf_put_u16(b, num);
		ike_buf_put_u16(b, total);
	}
	for (int i = 0; i < 40; i++)
		ike_buf_put_u8(b, (uint8_t)i);
	fix_len(b);
}

/* RFC 7296 3.14 / RFC 7383 2.5 layouts: offsets of SK header and IV. */
static void test_locate(void)
{
	struct ike_buf b;
	struct ike_sk_info si;

	ike_buf_init(&b);
	build_plain(&b, false, false, 0, 0);
	CHECK_INT(ike_sk_locate(b.data, b.len, &si), 0);
	CHECK(!si.is_frag);
	CHECK_INT(si.sk_off, 28);
	CHECK_INT(si.body_off, 32);
	CHECK_INT(si.first_inner, IKE_PL_IDI);

	build_plain(&b, true, false, 0, 0);
	CHECK_INT(ike_sk_locate(b.data, b.len, &si), 0);
	CHECK_INT(si.sk_off, 36);
	CHECK_INT(si.body_off, 40);

	build_plain(&b, false, true, 2, 3);
	CHECK_INT(ike_sk_locate(b.data, b.len, &si), 0);
	CHECK(si.is_frag);
	CHECK_INT(si.sk_off, 28);
	CHECK_INT(si.body_off, 36);
	CHECK_INT(si.frag_num, 2);
	CHECK_INT(si.frag_total, 3);

	build_plain(&b, true, true, IKE_MAX_FRAGMENTS, IKE_MAX_FRAGMENTS);
	CHECK_INT(ike_sk_locate(b.data, b.len, &si), 0);
	CHECK_INT(si.body_off, 44);

	/* RFC 7383 2.6: number 0, number > total, total 0 are invalid */
	build_plain(&b, false, true, 0, 3);
	CHECK_INT(ike_sk_locate(b.data, b.len, &si), -EBADMSG);
	build_plain(&b, false, true, 4, 3);
	CHECK_INT(ike_sk_locate(b.data, b.len, &si), -EBADMSG);
	build_plain(&b, false, true, 0, 0);
	CHECK_INT(ike_sk_locate(b.data, b.len, &si), -EBADMSG);
	build_plain(&b, false, true, 1, IKE_MAX_FRAGMENTS + 1);
	CHECK_INT(ike_sk_locate(b.data, b.len, &si), -E2BIG);

	/* header Length must equal the datagram length */
	build_plain(&b, false, false, 0, 0);
	CHECK_INT(ike_sk_locate(b.data, b.len - 1, &si), -EBADMSG);
	ike_buf_put_u8(&b, 0);
	CHECK_INT(ike_sk_locate(b.data, b.len, &si), -EBADMSG);
	/* SK must be last: a trailing byte covered by the header length */
	fix_len(&b);
	CHECK_INT(ike_sk_locate(b.data, b.len, &si), -EBADMSG);

	/* no SK at all */
	ike_buf_reset(&b);
	put_hdr(&b, IKE_PL_NOTIFY);
	ike_buf_put_u8(&b, 0);
	ike_buf_put_u8(&b, 0);
	ike_buf_put_u16(&b, 8);
	ike_buf_put_u32(&b, 0x00004000);
	fix_len(&b);
	CHECK_INT(ike_sk_locate(b.data, b.len, &si), -ENOENT);
	/* payload length below 4 */
	ike_buf_set_u16(&b, 30, 3);
	CHECK_INT(ike_sk_locate(b.data, b.len, &si), -EBADMSG);
	/* header only, no payloads */
	ike_buf_reset(&b);
	put_hdr(&b, 0);
	fix_len(&b);
	CHECK_INT(ike_sk_locate(b.data, b.len, &si), -ENOENT);

	/* IKE_MAX_PAYLOADS payloads in all is fine, one more is -E2BIG */
	for (int extra = 0; extra < 2; extra++) {
		int nn = IKE_MAX_PAYLOADS - 1 + extra;

		ike_buf_reset(&b);
		put_hdr(&b, IKE_PL_NOTIFY);
		for (int i = 0; i < nn; i++) {
			ike_buf_put_u8(&b, i == nn - 1 ? IKE_PL_SK : IKE_PL_NOTIFY);
			ike_buf_put_u8(&b, 0);
			ike_buf_put_u16(&b, 4);
		}
		ike_buf_put_u8(&b, IKE_PL_IDI);
		ike_buf_put_u8(&b, 0);
		ike_buf_put_u16(&b, 4);
		fix_len(&b);
		CHECK_INT(ike_sk_locate(b.data, b.len, &si), extra ? -E2BIG : 0);
	}

	/* every truncation fails, with or without a matching Length field */
	build_plain(&b, true, true, 1, 2);
	for (size_t i = 0; i < b.len; i++) {
		uint8_t *t = malloc(i ? i : 1);

		memcpy(t, b.data, i);
		CHECK_INT(ike_sk_locate(t, i, &si), -EBADMSG);
		if (i >= 28) {
			t[24] = (uint8_t)(i >> 24);
			t[25] = (uint8_t)(i >> 16);
			t[26] = (uint8_t)(i >> 8);
			t[27] = (uint8_t)i;
			CHECK_INT(ike_sk_locate(t, i, &si), -EBADMSG);
		}
		free(t);
	}
	ike_buf_free(&b);
}

/* ---- reassembly (RFC 7383 2.6) --------------------------------------------- */

static uint8_t pattern(size_t frag, size_t i)
{
	return (uint8_t)(frag * 31 + i * 7 + 1);
}

static void frag_data(uint8_t *d, size_t frag, size_t len)
{
	for (size_t i = 0; i < len; i++)
		d[i] = pattern(frag, i);
}

/* concatenation of fragments 1..n of flen bytes each */
static int check_reassembled(const struct ike_buf *out, size_t n, size_t flen)
{
	if (out->len != n * flen)
		return 0;
	for (size_t f = 0; f < n; f++)
		for (size_t i = 0; i < flen; i++)
			if (out->data[f * flen + i] != pattern(f + 1, i))
				return 0;
	return 1;
}

static void test_reassembly_basic(void)
{
	struct ike_frag_ctx c;
	struct ike_buf out;
	uint8_t d[700], first = 0;

	ike_buf_init(&out);
	ike_frag_ctx_init(&c, 7, 0);
	CHECK_INT(c.max_bytes, IKE_FRAG_MAX_BYTES);
	CHECK_INT(c.msg_id, 7);
	CHECK_INT(ike_frag_take(&c, &out, &first), -EAGAIN);

	/* in order */
	for (int f = 1; f <= 3; f++) {
		frag_data(d, (size_t)f, 100);
		CHECK_INT(ike_frag_add(&c, (uint16_t)f, 3, f == 1 ? IKE_PL_IDI : 0, d, 100),
			  f == 3 ? 1 : 0);
		if (f < 3)
			CHECK_INT(ike_frag_take(&c, &out, &first), -EAGAIN);
	}
	CHECK_INT(ike_frag_take(&c, &out, &first), 0);
	CHECK_INT(first, IKE_PL_IDI);
	CHECK(check_reassembled(&out, 3, 100));
	CHECK_INT(c.total, 0);	/* take resets */
	CHECK_INT(c.bytes, 0);

	/* reverse order with duplicates; Next Payload only from fragment 1 */
	ike_buf_reset(&out);
	for (int f = 4; f >= 1; f--) {
		frag_data(d, (size_t)f, 50);
		CHECK(ike_frag_wanted(&c, (uint16_t)f, 4));
		CHECK_INT(ike_frag_add(&c, (uint16_t)f, 4, f == 1 ? IKE_PL_AUTH : 99, d, 50),
			  f == 1 ? 1 : 0);
		if (f == 3) {
			CHECK(!ike_frag_wanted(&c, 3, 4));
			CHECK_INT(ike_frag_add(&c, 3, 4, 0, d, 50), -EALREADY);
			CHECK_INT(ike_frag_add(&c, 4, 4, 0, d, 10), -EALREADY);
			CHECK_INT(c.n_have, 2);
			CHECK_INT(c.bytes, 100);
		}
	}
	CHECK_INT(ike_frag_take(&c, &out, &first), 0);
	CHECK_INT(first, IKE_PL_AUTH);
	CHECK(check_reassembled(&out, 4, 50));

	/* single fragment message (Total 1) */
	ike_buf_reset(&out);
	frag_data(d, 1, 10);
	CHECK_INT(ike_frag_add(&c, 1, 1, IKE_PL_EAP, d, 10), 1);
	CHECK_INT(ike_frag_take(&c, &out, &first), 0);
	CHECK(check_reassembled(&out, 1, 10));

	/* invalid numbers are ignored and change nothing */
	frag_data(d, 1, 10);
	CHECK_INT(ike_frag_add(&c, 1, 2, IKE_PL_EAP, d, 10), 0);
	CHECK_INT(ike_frag_add(&c, 0, 2, 0, d, 10), -EBADMSG);
	CHECK_INT(ike_frag_add(&c, 3, 2, 0, d, 10), -EBADMSG);
	CHECK_INT(ike_frag_add(&c, 1, 0, 0, d, 10), -EBADMSG);
	CHECK_INT(ike_frag_add(&c, 0, 0, 0, d, 10), -EBADMSG);
	CHECK_INT(ike_frag_add(&c, 1, IKE_MAX_FRAGMENTS + 1, 0, d, 10), -E2BIG);
	CHECK_INT(ike_frag_add(&c, 65535, 65535, 0, d, 10), -E2BIG);
	CHECK(!ike_frag_wanted(&c, 0, 2));
	CHECK(!ike_frag_wanted(&c, 3, 2));
	CHECK(!ike_frag_wanted(&c, 1, IKE_MAX_FRAGMENTS + 1));
	CHECK_INT(c.n_have, 1);
	CHECK_INT(c.total, 2);
	CHECK_INT(c.bytes, 10);
	ike_frag_ctx_reset(&c);
	CHECK_INT(c.n_have, 0);
	CHECK_INT(c.msg_id, 7);
	ike_buf_free(&out);
}

/* RFC 7383 2.6.1: a fragment with a higher Total Fragments discards what
 * was collected (the sender re-fragmented with a smaller size); a lower
 * total is stale and ignored. */
static void test_total_change(void)
{
	struct ike_frag_ctx c;
	struct ike_buf out;
	uint8_t d[100], first;

	ike_buf_init(&out);
	ike_frag_ctx_init(&c, 1, 0);
	frag_data(d, 1, 100);
	CHECK_INT(ike_frag_add(&c, 1, 3, IKE_PL_IDI, d, 100), 0);
	frag_data(d, 2, 100);
	CHECK_INT(ike_frag_add(&c, 2, 3, 0, d, 100), 0);
	CHECK_INT(c.n_have, 2);

	/* higher total: restart with this fragment */
	frag_data(d, 2, 60);
	CHECK(ike_frag_wanted(&c, 2, 5));
	CHECK_INT(ike_frag_add(&c, 2, 5, 0, d, 60), 0);
	CHECK_INT(c.total, 5);
	CHECK_INT(c.n_have, 1);
	CHECK_INT(c.bytes, 60);
	CHECK(c.frag[0].data == NULL);

	/* lower total: stale */
	CHECK(!ike_frag_wanted(&c, 3, 3));
	CHECK_INT(ike_frag_add(&c, 3, 3, 0, d, 100), -ESTALE);
	CHECK_INT(c.n_have, 1);

	for (int f = 1; f <= 5; f++) {
		if (f == 2)
			continue;
		frag_data(d, (size_t)f, 60);
		CHECK_INT(ike_frag_add(&c, (uint16_t)f, 5, f == 1 ? IKE_PL_IDI : 0, d, 60),
			  f == 5 ? 1 : 0);
	}
	CHECK_INT(ike_frag_take(&c, &out, &first), 0);
	CHECK(check_reassembled(&out, 5, 60));
	CHECK_INT(first, IKE_PL_IDI);
	ike_frag_ctx_reset(&c);
	ike_buf_free(&out);
}

/* Limits: IKE_MAX_FRAGMENTS fragments and the byte limit, at and beyond. */
static void test_limits(void)
{
	struct ike_frag_ctx c;
	struct ike_buf out;
	uint8_t d[700], first;

	ike_buf_init(&out);
	ike_frag_ctx_init(&c, 2, 0);
	for (int f = IKE_MAX_FRAGMENTS; f >= 1; f--) {
		frag_data(d, (size_t)f, 20);
		CHECK_INT(ike_frag_add(&c, (uint16_t)f, IKE_MAX_FRAGMENTS,
				       f == 1 ? IKE_PL_CERT : 0, d, 20),
			  f == 1 ? 1 : 0);
	}
	CHECK_INT(ike_frag_take(&c, &out, &first), 0);
	CHECK(check_reassembled(&out, IKE_MAX_FRAGMENTS, 20));

	/* byte limit: exactly max_bytes completes */
	ike_frag_ctx_init(&c, 3, 1000);
	frag_data(d, 1, 600);
	CHECK_INT(ike_frag_add(&c, 1, 2, IKE_PL_IDI, d, 600), 0);
	frag_data(d, 2, 400);
	CHECK_INT(ike_frag_add(&c, 2, 2, 0, d, 400), 1);
	CHECK_INT(c.bytes, 1000);
	ike_buf_reset(&out);
	CHECK_INT(ike_frag_take(&c, &out, &first), 0);
	CHECK_INT(out.len, 1000);

	/* one byte beyond: the whole context is dropped */
	frag_data(d, 1, 600);
	CHECK_INT(ike_frag_add(&c, 1, 2, IKE_PL_IDI, d, 600), 0);
	CHECK_INT(ike_frag_add(&c, 2, 2, 0, d, 401), -E2BIG);
	CHECK_INT(c.n_have, 0);
	CHECK_INT(c.bytes, 0);
	CHECK_INT(c.total, 0);
	CHECK(c.frag[0].data == NULL);
	/* a single fragment above the limit */
	CHECK_INT(ike_frag_add(&c, 1, 2, 0, d, 1001), -E2BIG);
	CHECK_INT(c.n_have, 0);

	/* take into a buffer that is too small: error, fragments kept */
	ike_frag_ctx_init(&c, 4, 0);
	CHECK_INT(ike_frag_add(&c, 1, 2, IKE_PL_IDI, d, 600), 0);
	CHECK_INT(ike_frag_add(&c, 2, 2, 0, d, 600), 1);
	ike_buf_reset(&out);
	out.limit = 1000;
	CHECK_INT(ike_frag_take(&c, &out, &first), -EMSGSIZE);
	CHECK_INT(c.n_have, 2);
	out.limit = 0;
	ike_buf_reset(&out);
	CHECK_INT(ike_frag_take(&c, &out, &first), 0);
	CHECK_INT(out.len, 1200);

	/* empty fragments are legal data-wise */
	CHECK_INT(ike_frag_add(&c, 1, 2, IKE_PL_IDI, d, 0), 0);
	CHECK_INT(ike_frag_add(&c, 2, 2, 0, d, 0), 1);
	ike_buf_reset(&out);
	CHECK_INT(ike_frag_take(&c, &out, &first), 0);
	CHECK_INT(out.len, 0);
	ike_buf_free(&out);
}

/* Windows sends more than 16 fragments of about 626 bytes: 24 of them in a
 * shuffled order with repeats. */
static void test_windows_like(void)
{
	enum { N = 24, FL = 626 };
	struct ike_frag_ctx c;
	struct ike_buf out;
	uint8_t d[FL], first;
	int order[N], done = 0;

	for (int i = 0; i < N; i++)
		order[i] = i + 1;
	srand(7383);
	for (int i = N - 1; i > 0; i--) {
		int j = rand() % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	ike_buf_init(&out);
	ike_frag_ctx_init(&c, 1, 0);
	for (int i = 0; i < N; i++) {
		int f = order[i], r;

		frag_data(d, (size_t)f, FL);
		r = ike_frag_add(&c, (uint16_t)f, N, f == 1 ? IKE_PL_IDI : 0, d, FL);
		if (i == N - 1)
			CHECK_INT(r, 1);
		else
			CHECK_INT(r, 0);
		if (i % 5 == 0 && i < N - 1)	/* retransmitted copy */
			CHECK_INT(ike_frag_add(&c, (uint16_t)f, N, 0, d, FL), -EALREADY);
		done += r == 1;
	}
	CHECK_INT(done, 1);
	CHECK_INT(ike_frag_take(&c, &out, &first), 0);
	CHECK(check_reassembled(&out, N, FL));
	CHECK_INT(first, IKE_PL_IDI);
	ike_buf_free(&out);
}

/* ---- sealing / opening with real keys -------------------------------------- */

static int make_keys(struct ike_sa_keys *k, uint16_t encr, uint16_t keylen,
		     uint16_t integ)
{
	uint8_t ni[32], nr[32], g[64], si[8], sr[8];

	memset(k, 0, sizeof(*k));
	k->prf = IKE_PRF_HMAC_SHA2_256;
	k->encr = encr;
	k->encr_keylen = keylen;
	k->integ = integ;
	randombytes_buf(ni, sizeof(ni));
	randombytes_buf(nr, sizeof(nr));
	randombytes_buf(g, sizeof(g));
	randombytes_buf(si, sizeof(si));
	randombytes_buf(sr, sizeof(sr));
	return ike_derive_ike_keys(k, ni, sizeof(ni), nr, sizeof(nr), g, sizeof(g),
				   si, sr);
}

static void test_hdr(struct ike_hdr *h)
{
	memset(h, 0, sizeof(*h));
	for (int i = 0; i < 8; i++) {
		h->spi_i[i] = (uint8_t)(0xa0 + i);
		h->spi_r[i] = (uint8_t)(0xb0 + i);
	}
	h->version = IKE_VERSION;
	h->exchange = IKE_AUTH;
	h->flags = IKE_FLAG_INITIATOR;
	h->msg_id = 1;
	h->next_payload = 77;	/* ignored */
	h->length = 12345;	/* ignored */
}

/* RFC 7296 3.14: header + SK, sealed and opened again. */
static void test_sk_build(const struct ike_sa_keys *k)
{
	struct ike_buf m;
	struct ike_hdr h;
	struct ike_sk_info si;
	uint8_t inner[300], iv[16], *plain;
	size_t plen;

	test_hdr(&h);
	randombytes_buf(inner, sizeof(inner));
	memset(iv, 0x5a, sizeof(iv));
	ike_buf_init(&m);
	CHECK_INT(ike_sk_build(k, true, &m, &h, IKE_PL_IDI, inner, sizeof(inner), iv), 0);
	CHECK_MEM(m.data, h.spi_i, 8);
	CHECK_MEM(m.data + 8, h.spi_r, 8);
	CHECK_INT(m.data[16], IKE_PL_SK);
	CHECK_INT(m.data[17], IKE_VERSION);
	CHECK_INT(m.data[18], IKE_AUTH);
	CHECK_INT(m.data[19], IKE_FLAG_INITIATOR);
	CHECK_INT(ike_get_u32(m.data + 20), 1);
	CHECK_INT(ike_get_u32(m.data + 24), m.len);
	CHECK_INT(m.data[28], IKE_PL_IDI);
	CHECK_INT(ike_get_u16(m.data + 30), m.len - 28);
	CHECK_INT(m.len, 32 + ike_sk_overhead(k, sizeof(inner)));
	CHECK_MEM(m.data + 32, iv, ike_encr_iv_len(k->encr));

	plain = malloc(m.len);
	CHECK_INT(ike_sk_decrypt(k, true, m.data, m.len, &si, plain, m.len, &plen), 0);
	CHECK(!si.is_frag);
	CHECK_INT(si.first_inner, IKE_PL_IDI);
	CHECK_INT(plen, sizeof(inner));
	CHECK_MEM(plain, inner, sizeof(inner));
	/* wrong direction, modified header (AAD / ICV coverage), modified body */
	CHECK_INT(ike_sk_decrypt(k, false, m.data, m.len, &si, plain, m.len, &plen), -EBADMSG);
	m.data[19] ^= IKE_FLAG_RESPONSE;
	CHECK_INT(ike_sk_decrypt(k, true, m.data, m.len, &si, plain, m.len, &plen), -EBADMSG);
	m.data[19] ^= IKE_FLAG_RESPONSE;
	m.data[m.len / 2] ^= 1;
	CHECK_INT(ike_sk_decrypt(k, true, m.data, m.len, &si, plain, m.len, &plen), -EBADMSG);
	m.data[m.len / 2] ^= 1;
	CHECK_INT(ike_sk_decrypt(k, true, m.data, m.len, &si, plain, m.len, &plen), 0);

	/* empty inner chain (e.g. an empty INFORMATIONAL, RFC 7296 1.4) */
	CHECK_INT(ike_sk_build(k, false, &m, &h, IKE_PL_NONE, NULL, 0, NULL), 0);
	CHECK_INT(ike_sk_decrypt(k, false, m.data, m.len, &si, plain, m.len, &plen), 0);
	CHECK_INT(plen, 0);
	CHECK_INT(si.first_inner, IKE_PL_NONE);

	/* seal_msg argument checks */
	CHECK_INT(ike_sk_seal_msg(k, true, &m, &h, 0, 0, 2, inner, 10, NULL), -EINVAL);
	CHECK_INT(ike_sk_seal_msg(k, true, &m, &h, 0, 3, 2, inner, 10, NULL), -EINVAL);
	CHECK_INT(ike_sk_seal_msg(k, true, &m, &h, 0, 1, IKE_MAX_FRAGMENTS + 1,
				  inner, 10, NULL), -EINVAL);
	free(plain);
	ike_buf_free(&m);
}

/* RFC 7383 2.5: split, seal, open each fragment, reassemble. */
static void frag_roundtrip(const struct ike_sa_keys *k, size_t inner_len,
			   size_t max_msg, int min_frags)
{
	struct ike_buf frags[IKE_MAX_FRAGMENTS], out;
	struct ike_frag_ctx c;
	struct ike_hdr h;
	uint8_t *inner = malloc(inner_len ? inner_len : 1), first = 0;
	int n, best = 0, complete = 0;
	size_t chunk = 0;

	test_hdr(&h);
	randombytes_buf(inner, inner_len);
	for (int i = 0; i < IKE_MAX_FRAGMENTS; i++)
		ike_buf_init(&frags[i]);
	ike_buf_init(&out);
	n = ike_frag_build(k, true, &h, IKE_PL_IDI, inner, inner_len, max_msg,
			   frags, IKE_MAX_FRAGMENTS, NULL);
	/* fewest fragments possible: the largest chunk that fits */
	for (size_t cl = 1; cl < max_msg; cl++)
		if (36 + ike_sk_overhead(k, cl) <= max_msg)
			chunk = cl;
	if (chunk)
		best = inner_len ? (int)((inner_len + chunk - 1) / chunk) : 1;
	CHECK_INT(n, best);
	CHECK(n >= min_frags);

	ike_frag_ctx_init(&c, 1, 0);
	for (int i = n - 1; i >= 0; i--) {	/* last fragment first */
		struct ike_sk_info si;
		uint8_t *plain = malloc(frags[i].len);
		size_t plen = 0;
		int r;

		CHECK(frags[i].len <= max_msg);
		CHECK_INT(frags[i].data[16], IKE_PL_SKF);
		CHECK_INT(ike_get_u32(frags[i].data + 20), h.msg_id);
		CHECK_INT(ike_sk_decrypt(k, true, frags[i].data, frags[i].len, &si,
					 plain, frags[i].len, &plen), 0);
		CHECK(si.is_frag);
		CHECK_INT(si.frag_num, i + 1);
		CHECK_INT(si.frag_total, n);
		CHECK_INT(si.first_inner, i == 0 ? IKE_PL_IDI : 0);
		CHECK(ike_frag_wanted(&c, si.frag_num, si.frag_total));
		r = ike_frag_add(&c, si.frag_num, si.frag_total, si.first_inner,
				 plain, plen);
		CHECK_INT(r, i == 0 ? 1 : 0);
		complete += r == 1;
		free(plain);
	}
	CHECK_INT(complete, 1);
	CHECK_INT(ike_frag_take(&c, &out, &first), 0);
	CHECK_INT(first, IKE_PL_IDI);
	CHECK_INT(out.len, inner_len);
	if (out.len == inner_len && inner_len)
		CHECK_MEM(out.data, inner, inner_len);
	ike_frag_ctx_reset(&c);
	for (int i = 0; i < IKE_MAX_FRAGMENTS; i++)
		ike_buf_free(&frags[i]);
	ike_buf_free(&out);
	free(inner);
}

static void test_frag_build(const struct ike_sa_keys *k)
{
	struct ike_buf frags[4];
	struct ike_hdr h;
	static uint8_t inner[60000];
	size_t mtu6 = ike_frag_max_msg(1280, true, true);

	/* RFC 7383 2.5.1: 1280-byte IPv6 minimum MTU, over UDP 4500 */
	CHECK_INT(mtu6, 1280 - 40 - 8 - 4);
	CHECK_INT(ike_frag_max_msg(576, false, false), 576 - 20 - 8);
	CHECK_INT(ike_frag_max_msg(30, true, false), 0);

	frag_roundtrip(k, 5000, mtu6, 5);
	frag_roundtrip(k, 1000, mtu6, 1);	/* fits: one fragment */
	frag_roundtrip(k, 0, mtu6, 1);
	frag_roundtrip(k, 14000, 626, 20);	/* Windows-sized fragments */
	frag_roundtrip(k, 1, 1280, 1);

	test_hdr(&h);
	for (int i = 0; i < 4; i++)
		ike_buf_init(&frags[i]);
	/* more than IKE_MAX_FRAGMENTS needed */
	CHECK_INT(ike_frag_build(k, true, &h, IKE_PL_IDI, inner, sizeof(inner), 626,
				 frags, 4, NULL), -E2BIG);
	/* more than max_frags needed */
	CHECK_INT(ike_frag_build(k, true, &h, IKE_PL_IDI, inner, 5000, mtu6,
				 frags, 4, NULL), -E2BIG);
	/* no room for data */
	CHECK_INT(ike_frag_build(k, true, &h, IKE_PL_IDI, inner, 10, 36,
				 frags, 4, NULL), -EMSGSIZE);
	CHECK_INT(ike_frag_build(k, true, &h, IKE_PL_IDI, inner, 10,
				 36 + ike_sk_overhead(k, 0) - 1, frags, 4, NULL), -EMSGSIZE);
	for (int i = 0; i < 4; i++)
		ike_buf_free(&frags[i]);
}

int main(void)
{
	struct ike_sa_keys gcm, cbc;

	if (ike_init() < 0)
		return 1;
	test_locate();
	test_reassembly_basic();
	test_total_change();
	test_limits();
	test_windows_like();

	CHECK_INT(make_keys(&gcm, IKE_ENCR_AES_GCM_16, 256, IKE_INTEG_NONE), 0);
	CHECK_INT(make_keys(&cbc, IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128), 0);
	test_sk_build(&gcm);
	test_sk_build(&cbc);
	test_frag_build(&gcm);
	test_frag_build(&cbc);
	ike_sa_keys_free(&gcm);
	ike_sa_keys_free(&cbc);
	return check_done("test_sk_frag");
}
