/*
 * test_pld_basic.c — KE (RFC 7296 3.4), ID (3.5), CERT (3.6), CERTREQ (3.7),
 * AUTH (3.8, RFC 7427 3), Nonce (3.9), Delete (3.11), Vendor ID (3.12) and
 * EAP (3.16, RFC 3748 4): round trips through the builder and chain walk,
 * hand-assembled encodings, truncations, and the size rules of each.
 */
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "check.h"
#include "ike.h"
#include "ike_payload.h"

/* Payload built into a bare chain by the caller's builder calls, then
 * walked back: returns the single payload (type checked by the caller). */
struct one {
	struct ike_buf b;
	struct ike_msg_builder mb;
	struct ike_chain ch;
};

static void one_begin(struct one *o)
{
	ike_buf_init(&o->b);
	ike_mb_begin_chain(&o->mb, &o->b);
}

/* Finish and walk; returns the payload or NULL. */
static const struct ike_pl *one_end(struct one *o, uint8_t type)
{
	if (ike_mb_finish(&o->mb) < 0)
		return NULL;
	if (ike_chain_parse(o->b.data, o->b.len, 0, o->mb.first, &o->ch) != 0 ||
	    o->ch.n != 1 || o->ch.pl[0].type != type)
		return NULL;
	return &o->ch.pl[0];
}

/* Copy p[0..k) to an exact-size heap block so that ASan sees overreads. */
static uint8_t *dup_exact(const uint8_t *p, size_t k)
{
	uint8_t *d = malloc(k ? k : 1);

	memcpy(d, p, k);
	return d;
}

#define IN(ptr, base, k) ((const uint8_t *)(ptr) >= (base) && \
			  (const uint8_t *)(ptr) <= (base) + (k))

/* 3.4: group + RESERVED + key data; data must be non-empty. */
static void test_ke(void)
{
	struct one o;
	const struct ike_pl *pl;
	struct ike_ke ke;
	uint8_t pub[65];
	static const uint8_t hand[] = { 0x00, 0x13, 0x00, 0x00, 0x04, 0xaa };

	for (size_t i = 0; i < sizeof(pub); i++)
		pub[i] = (uint8_t)i;
	one_begin(&o);
	CHECK_INT(ike_ke_build(&o.mb, IKE_DH_ECP256, pub, sizeof(pub)), 0);
	pl = one_end(&o, IKE_PL_KE);
	CHECK(pl != NULL);
	if (pl) {
		CHECK_INT(pl->len, 4 + 65);
		CHECK_INT(ike_ke_parse(pl->body, pl->len, &ke), 0);
		CHECK_INT(ke.group, IKE_DH_ECP256);
		CHECK_INT(ke.len, 65);
		CHECK_MEM(ke.data, pub, 65);
		CHECK_INT(pl->body[2], 0);
		CHECK_INT(pl->body[3], 0);
	}
	ike_buf_free(&o.b);

	CHECK_INT(ike_ke_parse(hand, sizeof(hand), &ke), 0);
	CHECK_INT(ke.group, 19);
	CHECK_INT(ke.len, 2);
	for (size_t k = 0; k < 5; k++)
		CHECK_INT(ike_ke_parse(hand, k, &ke), -EBADMSG);

	one_begin(&o);
	CHECK_INT(ike_ke_build(&o.mb, IKE_DH_ECP256, pub, 0), -EINVAL);
	ike_buf_free(&o.b);
}

/* 3.9: "Nonce Data ... MUST be at least 128 bits in size ... MUST NOT be
 * more than 256 octets"; IKE_MIN_NONCE_LEN / IKE_MAX_NONCE_LEN. */
static void test_nonce(void)
{
	uint8_t n[IKE_MAX_NONCE_LEN + 1];
	struct ike_chunk c;

	memset(n, 0x5a, sizeof(n));
	CHECK_INT(ike_nonce_parse(n, 15, &c), -EBADMSG);
	CHECK_INT(ike_nonce_parse(n, 0, &c), -EBADMSG);
	CHECK_INT(ike_nonce_parse(n, 16, &c), 0);
	CHECK_INT(c.len, 16);
	CHECK(c.ptr == n);
	CHECK_INT(ike_nonce_parse(n, 256, &c), 0);
	CHECK_INT(ike_nonce_parse(n, 257, &c), -EBADMSG);

	for (size_t len = 15; len <= 257; len += 121) {	/* 15, 136, 257 */
		struct one o;
		const struct ike_pl *pl;
		int want = len >= 16 && len <= 256 ? 0 : -EINVAL;

		one_begin(&o);
		CHECK_INT(ike_nonce_build(&o.mb, n, len), want);
		pl = one_end(&o, IKE_PL_NONCE);
		CHECK(want == 0 ? pl != NULL : pl == NULL);
		if (pl) {
			CHECK_INT(ike_nonce_parse(pl->body, pl->len, &c), 0);
			CHECK_INT(c.len, len);
		}
		ike_buf_free(&o.b);
	}
}

/* 3.5: ID Type, 3 RESERVED, data; IPv4 4 octets, IPv6 16, FQDN/RFC822
 * strings without terminator. */
static void test_id(void)
{
	static const uint8_t v4[4] = { 192, 0, 2, 1 };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t hand_fqdn[] = {
		IKE_ID_FQDN, 0, 0, 0, 'v', 'p', 'n', '.', 't', 'e', 's', 't',
	};
	struct {
		uint8_t pl, type;
		const uint8_t *d;
		size_t len;
	} ok[] = {
		{ IKE_PL_IDI, IKE_ID_IPV4_ADDR, v4, 4 },
		{ IKE_PL_IDR, IKE_ID_IPV6_ADDR, v6, 16 },
		{ IKE_PL_IDI, IKE_ID_FQDN, (const uint8_t *)"vpn.test", 8 },
		{ IKE_PL_IDI, IKE_ID_RFC822_ADDR, (const uint8_t *)"alice@example.org", 17 },
		{ IKE_PL_IDR, IKE_ID_KEY_ID, (const uint8_t *)"\x01", 1 },
		{ IKE_PL_IDR, IKE_ID_DER_ASN1_DN, (const uint8_t *)"\x30\x00", 2 },
	};
	struct ike_id id;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct one o;
		const struct ike_pl *pl;

		one_begin(&o);
		CHECK_INT(ike_id_build(&o.mb, ok[i].pl, ok[i].type, ok[i].d, ok[i].len), 0);
		pl = one_end(&o, ok[i].pl);
		CHECK(pl != NULL);
		if (pl) {
			CHECK_INT(ike_id_parse(pl->body, pl->len, &id), 0);
			CHECK_INT(id.type, ok[i].type);
			CHECK_INT(id.len, ok[i].len);
			CHECK_MEM(id.data, ok[i].d, ok[i].len);
			CHECK_INT(pl->body[1] | pl->body[2] | pl->body[3], 0);
			/* the fixed-size types reject every other length */
			for (size_t k = 0; k < pl->len; k++) {
				uint8_t *d = dup_exact(pl->body, k);
				int r = ike_id_parse(d, k, &id);

				if (k < 5 || ok[i].type == IKE_ID_IPV4_ADDR ||
				    ok[i].type == IKE_ID_IPV6_ADDR)
					CHECK_INT(r, -EBADMSG);
				else
					CHECK(r == 0 && id.len == k - 4 && IN(id.data + id.len, d, k));
				free(d);
			}
		}
		ike_buf_free(&o.b);
	}

	CHECK_INT(ike_id_parse(hand_fqdn, sizeof(hand_fqdn), &id), 0);
	CHECK_INT(id.type, IKE_ID_FQDN);
	CHECK_INT(id.len, 8);
	CHECK_MEM(id.data, "vpn.test", 8);
	{
		uint8_t bad[4 + 5] = { IKE_ID_IPV4_ADDR, 0, 0, 0, 1, 2, 3, 4, 5 };

		CHECK_INT(ike_id_parse(bad, 9, &id), -EBADMSG);	/* IPv4 + 1 */
		CHECK_INT(ike_id_parse(bad, 8, &id), 0);
		bad[0] = IKE_ID_IPV6_ADDR;
		CHECK_INT(ike_id_parse(bad, 8, &id), -EBADMSG);
		bad[0] = IKE_ID_FQDN;
		CHECK_INT(ike_id_parse(bad, 4, &id), -EBADMSG);	/* empty */
	}
	{
		struct one o;

		one_begin(&o);
		CHECK_INT(ike_id_build(&o.mb, IKE_PL_IDI, IKE_ID_IPV4_ADDR, v4, 3), -EINVAL);
		ike_buf_free(&o.b);
		one_begin(&o);
		CHECK_INT(ike_id_build(&o.mb, IKE_PL_AUTH, IKE_ID_FQDN, v4, 3), -EINVAL);
		ike_buf_free(&o.b);
		one_begin(&o);
		CHECK_INT(ike_id_build(&o.mb, IKE_PL_IDR, IKE_ID_FQDN, v4, 0), -EINVAL);
		ike_buf_free(&o.b);
	}
}

/* 3.6 / 3.7: CERT needs data; a CERTREQ of encoding 4 (X.509 signature)
 * carries "a concatenated list of SHA-1 hashes of the public keys of
 * trusted Certification Authorities" — a multiple of 20 octets. */
static void test_cert_certreq(void)
{
	uint8_t der[300], hashes[3 * 20];
	struct ike_cert c;
	struct ike_certreq cr;

	for (size_t i = 0; i < sizeof(der); i++)
		der[i] = (uint8_t)(i * 13);
	for (size_t i = 0; i < sizeof(hashes); i++)
		hashes[i] = (uint8_t)(i / 20 + 1);
	{
		struct one o;
		const struct ike_pl *pl;

		one_begin(&o);
		CHECK_INT(ike_cert_build(&o.mb, IKE_CERT_X509_SIG, der, sizeof(der)), 0);
		pl = one_end(&o, IKE_PL_CERT);
		CHECK(pl != NULL);
		if (pl) {
			CHECK_INT(pl->len, 1 + sizeof(der));
			CHECK_INT(ike_cert_parse(pl->body, pl->len, &c), 0);
			CHECK_INT(c.encoding, IKE_CERT_X509_SIG);
			CHECK_INT(c.len, sizeof(der));
			CHECK_MEM(c.data, der, sizeof(der));
		}
		CHECK_INT(ike_cert_parse(der, 1, &c), -EBADMSG);
		CHECK_INT(ike_cert_parse(der, 0, &c), -EBADMSG);
		ike_buf_free(&o.b);
		one_begin(&o);
		CHECK_INT(ike_cert_build(&o.mb, IKE_CERT_X509_SIG, der, 0), -EINVAL);
		ike_buf_free(&o.b);
	}
	for (size_t nh = 0; nh <= 3; nh++) {
		struct one o;
		const struct ike_pl *pl;

		one_begin(&o);
		CHECK_INT(ike_certreq_build(&o.mb, IKE_CERT_X509_SIG, hashes, nh * 20), 0);
		pl = one_end(&o, IKE_PL_CERTREQ);
		CHECK(pl != NULL);
		if (pl) {
			CHECK_INT(ike_certreq_parse(pl->body, pl->len, &cr), 0);
			CHECK_INT(cr.encoding, IKE_CERT_X509_SIG);
			CHECK_INT(cr.n_hashes, nh);
			for (size_t i = 0; i < nh; i++) {
				CHECK_INT(ike_certreq_hash(&cr, i)[0], i + 1);
				CHECK_INT(ike_certreq_hash(&cr, i)[19], i + 1);
			}
			/* every length that is not 1 + 20n is refused */
			for (size_t k = 0; k < pl->len; k++) {
				uint8_t *d = dup_exact(pl->body, k);

				CHECK_INT(ike_certreq_parse(d, k, &cr),
					  k >= 1 && (k - 1) % 20 == 0 ? 0 : -EBADMSG);
				free(d);
			}
		}
		ike_buf_free(&o.b);
	}
	{
		struct one o;
		uint8_t other[] = { IKE_CERT_PGP, 1, 2, 3 };

		CHECK_INT(ike_certreq_parse(other, sizeof(other), &cr), 0);
		CHECK_INT(cr.n_hashes, 0);
		CHECK_INT(cr.len, 3);
		one_begin(&o);
		CHECK_INT(ike_certreq_build(&o.mb, IKE_CERT_X509_SIG, hashes, 21), -EINVAL);
		ike_buf_free(&o.b);
	}
}

/* DER of an AlgorithmIdentifier by OpenSSL (without parameters when
 * ptype is V_ASN1_UNDEF, NULL parameters with V_ASN1_NULL). */
static int algor_der(int nid, int ptype, uint8_t *out, size_t cap)
{
	X509_ALGOR *a = X509_ALGOR_new();
	unsigned char *p = NULL;
	int len;

	if (!a)
		return -1;
	X509_ALGOR_set0(a, OBJ_nid2obj(nid), ptype, NULL);
	len = i2d_X509_ALGOR(a, &p);
	X509_ALGOR_free(a);
	if (len <= 0 || (size_t)len > cap) {
		OPENSSL_free(p);
		return -1;
	}
	memcpy(out, p, (size_t)len);
	OPENSSL_free(p);
	return len;
}

/* 3.8 and RFC 7427 3 / Appendix A: AUTH method 14 carries
 * ASN.1 Length | AlgorithmIdentifier | Signature. */
static void test_auth(void)
{
	/* RFC 7427 A.3.1 ecdsa-with-sha256 and A.1.3 sha256WithRSAEncryption */
	static const uint8_t ecdsa256[] = {
		0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
	};
	static const uint8_t rsa256[] = {
		0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
		0x0b, 0x05, 0x00,
	};
	uint8_t der[64], sig[72], psk_mac[32];
	struct ike_auth a;
	struct ike_sigdata s;
	int dl;

	/* the vectors agree with OpenSSL's encoding of the same OIDs */
	dl = algor_der(NID_ecdsa_with_SHA256, V_ASN1_UNDEF, der, sizeof(der));
	CHECK_INT(dl, sizeof(ecdsa256));
	if (dl == (int)sizeof(ecdsa256))
		CHECK_MEM(der, ecdsa256, sizeof(ecdsa256));
	dl = algor_der(NID_sha256WithRSAEncryption, V_ASN1_NULL, der, sizeof(der));
	CHECK_INT(dl, sizeof(rsa256));
	if (dl == (int)sizeof(rsa256))
		CHECK_MEM(der, rsa256, sizeof(rsa256));

	memset(sig, 0x5c, sizeof(sig));
	memset(psk_mac, 0x77, sizeof(psk_mac));
	{
		struct one o;
		const struct ike_pl *pl;

		one_begin(&o);
		CHECK_INT(ike_auth_build_sig(&o.mb, ecdsa256, sizeof(ecdsa256), sig, sizeof(sig)), 0);
		pl = one_end(&o, IKE_PL_AUTH);
		CHECK(pl != NULL);
		if (pl) {
			CHECK_INT(pl->len, 4 + 1 + 12 + 72);
			CHECK_INT(pl->body[4], 12);	/* ASN.1 Length */
			CHECK_INT(ike_auth_parse(pl->body, pl->len, &a), 0);
			CHECK_INT(a.method, IKE_AUTH_DIGITAL_SIG);
			CHECK_INT(ike_sigdata_parse(a.data, a.len, &s), 0);
			CHECK_INT(s.alg_id_len, 12);
			CHECK_MEM(s.alg_id, ecdsa256, 12);
			CHECK_INT(s.sig_len, 72);
			CHECK_MEM(s.sig, sig, 72);
			/* truncations: the signature may shrink to 1 byte, no less */
			for (size_t k = 0; k < a.len; k++) {
				uint8_t *d = dup_exact(a.data, k);

				CHECK_INT(ike_sigdata_parse(d, k, &s), k >= 1 + 12 + 1 ? 0 : -EBADMSG);
				free(d);
			}
		}
		ike_buf_free(&o.b);
	}
	{
		uint8_t d[1 + sizeof(rsa256) + 4];

		d[0] = sizeof(rsa256);
		memcpy(d + 1, rsa256, sizeof(rsa256));
		memset(d + 1 + sizeof(rsa256), 1, 4);
		CHECK_INT(ike_sigdata_parse(d, sizeof(d), &s), 0);
		CHECK_INT(s.alg_id_len, 15);
		CHECK_INT(s.sig_len, 4);
		d[0] = 0;
		CHECK_INT(ike_sigdata_parse(d, sizeof(d), &s), -EBADMSG);
		d[0] = (uint8_t)(sizeof(d) - 1);	/* no signature left */
		CHECK_INT(ike_sigdata_parse(d, sizeof(d), &s), -EBADMSG);
		d[0] = 0xff;
		CHECK_INT(ike_sigdata_parse(d, sizeof(d), &s), -EBADMSG);
	}
	{
		struct one o;
		const struct ike_pl *pl;

		one_begin(&o);
		CHECK_INT(ike_auth_build(&o.mb, IKE_AUTH_PSK, psk_mac, sizeof(psk_mac)), 0);
		pl = one_end(&o, IKE_PL_AUTH);
		CHECK(pl != NULL);
		if (pl) {
			CHECK_INT(ike_auth_parse(pl->body, pl->len, &a), 0);
			CHECK_INT(a.method, IKE_AUTH_PSK);
			CHECK_INT(a.len, 32);
			for (size_t k = 0; k < 5; k++)
				CHECK_INT(ike_auth_parse(pl->body, k, &a), -EBADMSG);
		}
		ike_buf_free(&o.b);
		one_begin(&o);
		CHECK_INT(ike_auth_build(&o.mb, IKE_AUTH_PSK, psk_mac, 0), -EINVAL);
		ike_buf_free(&o.b);
		one_begin(&o);
		CHECK_INT(ike_auth_build_sig(&o.mb, ecdsa256, 0, sig, 4), -EINVAL);
		ike_buf_free(&o.b);
		one_begin(&o);
		CHECK_INT(ike_auth_build_sig(&o.mb, ecdsa256, 256, sig, 4), -EINVAL);
		ike_buf_free(&o.b);
		one_begin(&o);
		CHECK_INT(ike_auth_build_sig(&o.mb, ecdsa256, 12, sig, 0), -EINVAL);
		ike_buf_free(&o.b);
	}
}

/* 3.12: opaque, any length including 0. */
static void test_vendor(void)
{
	struct one o;
	const struct ike_pl *pl;
	struct ike_chunk v;
	/* strongSwan's vendor ID, MD5("strongSwan") (value from python3 hashlib) */
	static const uint8_t ss_vid[16] = {
		0x88, 0x2f, 0xe5, 0x6d, 0x6f, 0xd2, 0x0d, 0xbc,
		0x22, 0x51, 0x61, 0x3b, 0x2e, 0xbe, 0x5b, 0xeb,
	};

	one_begin(&o);
	CHECK_INT(ike_vendor_build(&o.mb, ss_vid, sizeof(ss_vid)), 0);
	CHECK_INT(ike_vendor_build(&o.mb, NULL, 0), 0);
	CHECK_INT(ike_mb_finish(&o.mb), 4 + 16 + 4);
	CHECK_INT(ike_chain_parse(o.b.data, o.b.len, 0, o.mb.first, &o.ch), 0);
	CHECK_INT(o.ch.n, 2);
	CHECK_INT(ike_vendor_parse(o.ch.pl[0].body, o.ch.pl[0].len, &v), 0);
	CHECK_INT(v.len, 16);
	CHECK_MEM(v.ptr, ss_vid, 16);
	CHECK_INT(ike_vendor_parse(o.ch.pl[1].body, o.ch.pl[1].len, &v), 0);
	CHECK_INT(v.len, 0);
	pl = &o.ch.pl[1];
	CHECK_INT(pl->type, IKE_PL_VENDOR);
	ike_buf_free(&o.b);
}

/* 3.16 / RFC 3748 4: "The Length field indicates the length, in octets,
 * of the EAP packet"; Success and Failure have no Type. */
static void test_eap(void)
{
	/* EAP-Response/Identity "alice" (RFC 3748 5.1), identifier 0x2a */
	static const uint8_t ident[] = { 2, 0x2a, 0x00, 0x0a, 1, 'a', 'l', 'i', 'c', 'e' };
	static const uint8_t success[] = { 3, 0x2b, 0x00, 0x04 };
	struct ike_eap e;

	CHECK_INT(ike_eap_parse(ident, sizeof(ident), &e), 0);
	CHECK_INT(e.code, EAP_RESPONSE);
	CHECK_INT(e.id, 0x2a);
	CHECK_INT(e.type, EAP_TYPE_IDENTITY);
	CHECK_INT(e.type_len, 5);
	CHECK_MEM(e.type_data, "alice", 5);
	CHECK(e.pkt == ident);
	CHECK_INT(e.pkt_len, 10);
	for (size_t k = 0; k < sizeof(ident); k++) {
		uint8_t *d = dup_exact(ident, k);

		CHECK_INT(ike_eap_parse(d, k, &e), -EBADMSG);	/* Length != k */
		free(d);
	}
	{
		struct one o;
		const struct ike_pl *pl;

		one_begin(&o);
		CHECK_INT(ike_eap_build(&o.mb, EAP_RESPONSE, 0x2a, EAP_TYPE_IDENTITY,
					(const uint8_t *)"alice", 5), 0);
		pl = one_end(&o, IKE_PL_EAP);
		CHECK(pl != NULL);
		if (pl) {
			CHECK_INT(pl->len, sizeof(ident));
			CHECK_MEM(pl->body, ident, sizeof(ident));
		}
		ike_buf_free(&o.b);

		one_begin(&o);
		CHECK_INT(ike_eap_build(&o.mb, EAP_SUCCESS, 0x2b, 0, NULL, 0), 0);
		pl = one_end(&o, IKE_PL_EAP);
		CHECK(pl != NULL);
		if (pl) {
			CHECK_INT(pl->len, 4);
			CHECK_MEM(pl->body, success, 4);
		}
		ike_buf_free(&o.b);

		one_begin(&o);
		CHECK_INT(ike_eap_build(&o.mb, 5, 1, 1, NULL, 0), -EINVAL);
		ike_buf_free(&o.b);
	}
	CHECK_INT(ike_eap_parse(success, 4, &e), 0);
	CHECK_INT(e.code, EAP_SUCCESS);
	CHECK_INT(e.type, 0);
	CHECK_INT(e.type_len, 0);
	{
		uint8_t m[8];

		memcpy(m, success, 4);
		m[0] = EAP_FAILURE;
		CHECK_INT(ike_eap_parse(m, 4, &e), 0);
		m[0] = 5;	/* unknown code */
		CHECK_INT(ike_eap_parse(m, 4, &e), -EBADMSG);
		m[0] = 0;
		CHECK_INT(ike_eap_parse(m, 4, &e), -EBADMSG);
		/* Success with a Type byte */
		m[0] = EAP_SUCCESS;
		m[3] = 5;
		m[4] = 1;
		CHECK_INT(ike_eap_parse(m, 5, &e), -EBADMSG);
		/* Request without Type */
		m[0] = EAP_REQUEST;
		m[3] = 4;
		CHECK_INT(ike_eap_parse(m, 4, &e), -EBADMSG);
		/* Length larger / smaller than the payload */
		m[3] = 6;
		CHECK_INT(ike_eap_parse(m, 5, &e), -EBADMSG);
		m[3] = 4;
		CHECK_INT(ike_eap_parse(m, 5, &e), -EBADMSG);
		m[3] = 5;
		CHECK_INT(ike_eap_parse(m, 5, &e), 0);
		CHECK_INT(e.type, 1);
		CHECK_INT(e.type_len, 0);
	}
}

/* 3.11: IKE SA deletion has SPI Size 0 and no SPIs; AH/ESP SPI Size 4;
 * the payload length is 4 + n * size; at most IKE_MAX_DELETE_SPIS. */
static void test_delete(void)
{
	static const uint8_t ike_del[] = { IKE_PROTO_IKE, 0, 0, 0 };
	static const uint8_t esp_del[] = {
		IKE_PROTO_ESP, 4, 0, 2, 0xc1, 0x02, 0x03, 0x04, 0xca, 0xfe, 0xba, 0xbe,
	};
	struct ike_delete d;
	uint32_t spis[IKE_MAX_DELETE_SPIS + 1];

	CHECK_INT(ike_delete_parse(ike_del, 4, &d), 0);
	CHECK_INT(d.protocol, IKE_PROTO_IKE);
	CHECK_INT(d.n_spis, 0);
	CHECK_INT(ike_delete_parse(esp_del, sizeof(esp_del), &d), 0);
	CHECK_INT(d.protocol, IKE_PROTO_ESP);
	CHECK_INT(d.n_spis, 2);
	CHECK_INT(ike_delete_spi(&d, 0), 0xc1020304);
	CHECK_INT(ike_delete_spi(&d, 1), 0xcafebabe);
	for (size_t k = 0; k < sizeof(esp_del); k++) {
		uint8_t *m = dup_exact(esp_del, k);

		CHECK_INT(ike_delete_parse(m, k, &d), -EBADMSG);
		free(m);
	}
	{
		uint8_t m[sizeof(esp_del) + 4];

		memcpy(m, ike_del, 4);
		m[1] = 4;	/* IKE with SPI size */
		CHECK_INT(ike_delete_parse(m, 4, &d), -EBADMSG);
		m[1] = 0;
		m[3] = 1;	/* IKE with one SPI */
		CHECK_INT(ike_delete_parse(m, 4, &d), -EBADMSG);
		m[3] = 0;
		m[4] = 0;
		CHECK_INT(ike_delete_parse(m, 5, &d), -EBADMSG);	/* trailing */
		memcpy(m, esp_del, sizeof(esp_del));
		m[1] = 8;
		CHECK_INT(ike_delete_parse(m, sizeof(esp_del), &d), -EBADMSG);
		m[1] = 4;
		m[0] = 0;
		CHECK_INT(ike_delete_parse(m, sizeof(esp_del), &d), -EBADMSG);
		m[0] = 4;
		CHECK_INT(ike_delete_parse(m, sizeof(esp_del), &d), -EBADMSG);
		m[0] = IKE_PROTO_AH;
		CHECK_INT(ike_delete_parse(m, sizeof(esp_del), &d), 0);
		m[3] = 3;	/* count larger than the SPIs present */
		CHECK_INT(ike_delete_parse(m, sizeof(esp_del), &d), -EBADMSG);
		m[3] = 1;	/* smaller */
		CHECK_INT(ike_delete_parse(m, sizeof(esp_del), &d), -EBADMSG);
		m[2] = 0xff;
		m[3] = 0xff;	/* 65535 SPIs: over the limit, before the length */
		CHECK_INT(ike_delete_parse(m, sizeof(esp_del), &d), -E2BIG);
	}
	/* round trips at the limit and beyond */
	for (size_t i = 0; i <= IKE_MAX_DELETE_SPIS; i++)
		spis[i] = 0x10000000u + (uint32_t)i;
	{
		struct one o;
		const struct ike_pl *pl;

		one_begin(&o);
		CHECK_INT(ike_delete_build(&o.mb, IKE_PROTO_ESP, spis, IKE_MAX_DELETE_SPIS), 0);
		pl = one_end(&o, IKE_PL_DELETE);
		CHECK(pl != NULL);
		if (pl) {
			CHECK_INT(pl->len, 4 + 4 * IKE_MAX_DELETE_SPIS);
			CHECK_INT(ike_delete_parse(pl->body, pl->len, &d), 0);
			CHECK_INT(d.n_spis, IKE_MAX_DELETE_SPIS);
			CHECK_INT(ike_delete_spi(&d, IKE_MAX_DELETE_SPIS - 1),
				  0x10000000u + IKE_MAX_DELETE_SPIS - 1);
		}
		ike_buf_free(&o.b);

		/* one more SPI, encoded by hand: -E2BIG */
		ike_buf_init(&o.b);
		ike_buf_put_u8(&o.b, IKE_PROTO_ESP);
		ike_buf_put_u8(&o.b, 4);
		ike_buf_put_u16(&o.b, IKE_MAX_DELETE_SPIS + 1);
		for (size_t i = 0; i <= IKE_MAX_DELETE_SPIS; i++)
			ike_buf_put_u32(&o.b, spis[i]);
		CHECK_INT(ike_delete_parse(o.b.data, o.b.len, &d), -E2BIG);
		ike_buf_free(&o.b);

		one_begin(&o);
		CHECK_INT(ike_delete_build(&o.mb, IKE_PROTO_ESP, spis, IKE_MAX_DELETE_SPIS + 1), -EINVAL);
		ike_buf_free(&o.b);
		one_begin(&o);
		CHECK_INT(ike_delete_build(&o.mb, IKE_PROTO_ESP, spis, 0), -EINVAL);
		ike_buf_free(&o.b);
		one_begin(&o);
		CHECK_INT(ike_delete_build(&o.mb, IKE_PROTO_IKE, spis, 1), -EINVAL);
		ike_buf_free(&o.b);

		one_begin(&o);
		CHECK_INT(ike_delete_build(&o.mb, IKE_PROTO_IKE, NULL, 0), 0);
		pl = one_end(&o, IKE_PL_DELETE);
		CHECK(pl != NULL);
		if (pl) {
			CHECK_INT(pl->len, 4);
			CHECK_MEM(pl->body, ike_del, 4);
		}
		ike_buf_free(&o.b);
	}
}

int main(void)
{
	test_ke();
	test_nonce();
	test_id();
	test_cert_certreq();
	test_auth();
	test_vendor();
	test_eap();
	test_delete();
	return check_done("pld_basic");
}
