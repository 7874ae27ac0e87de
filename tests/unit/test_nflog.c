/*
 * test_nflog.c — daemon/nflog.c's parser of NFLOG datagrams (issue 4 point
 * 5: "time, user, virtual IP, destination, protocol, port, verdict, rule
 * ID" come from here).  Messages are built byte by byte in the kernel's
 * format (nfnetlink_log.h): the fields of IPv4/TCP, UDP, ICMP, IPv6 behind
 * hop-by-hop, destination-options and fragment headers, the kernel
 * timestamp; later fragments and cut-off packets have no ports; foreign
 * prefixes are skipped; malformed framing or attributes are refused
 * without reading past the buffer (the ASan build checks that).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>

#include "check.h"
#include "nflog.h"

static uint8_t msgbuf[4096];
static size_t msglen;

/* ---- building messages ---------------------------------------------------------- */

static size_t body_start;

static void put(const void *p, size_t n)
{
	memcpy(msgbuf + msglen, p, n);
	msglen += n;
}

static void begin_msg(uint8_t family)
{
	uint32_t len = 0;
	uint16_t type = 0x0400, flags = 0;	/* NFNL_SUBSYS_ULOG, NFULNL_MSG_PACKET */
	uint32_t z = 0;
	uint8_t nfg[4] = { family, 0, 0x52, 0x41 };

	body_start = msglen;
	put(&len, 4);
	put(&type, 2);
	put(&flags, 2);
	put(&z, 4);
	put(&z, 4);
	put(nfg, 4);
}

static void end_msg(void)
{
	uint32_t len = (uint32_t)(msglen - body_start);

	memcpy(msgbuf + body_start, &len, 4);
}

static void attr(uint16_t type, const void *data, size_t n)
{
	uint16_t l = (uint16_t)(4 + n);
	static const uint8_t zero[4];

	put(&l, 2);
	put(&type, 2);
	put(data, n);
	put(zero, (4 - n % 4) % 4);
}

static void prefix(const char *s)
{
	attr(10, s, strlen(s) + 1);	/* NFULA_PREFIX, with its NUL */
}

static size_t ip4(uint8_t *p, uint8_t proto, uint16_t frag, const uint8_t *l4, size_t n)
{
	static const uint8_t src[4] = { 10, 200, 0, 5 }, dst[4] = { 198, 51, 100, 10 };

	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (uint8_t)((20 + n) >> 8);
	p[3] = (uint8_t)(20 + n);
	p[6] = (uint8_t)(frag >> 8);
	p[7] = (uint8_t)frag;
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	memcpy(p + 20, l4, n);
	return 20 + n;
}

static const uint8_t tcp_hdr[20] = { 0x9c, 0x40, 0x00, 0x16, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02 };
static const uint8_t udp_hdr[9] = { 0x14, 0xe9, 0x00, 0x35, 0, 9, 0, 0, 'q' };
static const uint8_t icmp_hdr[8] = { 8, 0, 0, 0, 0, 1, 0, 1 };

/* ---- collecting ---------------------------------------------------------------------- */

static struct rag_nflog_rec got[8];
static size_t ngot;

static void fn(void *arg, const struct rag_nflog_rec *r)
{
	(void)arg;
	if (ngot < 8)
		got[ngot++] = *r;
}

static int parse(struct rag_nflog_stats *st)
{
	ngot = 0;
	memset(st, 0, sizeof(*st));
	return rag_nflog_parse(msgbuf, msglen, fn, NULL, st);
}

static void test_ipv4(void)
{
	struct rag_nflog_stats st;
	uint8_t pkt[128], v4[4];
	uint8_t ts[16] = { 0, 0, 0, 0, 0x69, 0x1f, 0x0a, 0x80, 0, 0, 0, 0, 0, 1, 0xe2, 0x40 };
	size_t n;

	/* TCP, deny by rule 17, with a timestamp (1763641984 s + 123456 us) */
	msglen = 0;
	begin_msg(AF_INET);
	attr(1, "\x08\x00\x02\x00", 4);	/* NFULA_PACKET_HDR */
	attr(3, ts, 16);			/* NFULA_TIMESTAMP */
	prefix("rag:d:17");
	n = ip4(pkt, 6, 0, tcp_hdr, sizeof(tcp_hdr));
	attr(9, pkt, n);			/* NFULA_PAYLOAD */
	end_msg();
	/* a second message in the same datagram: UDP permit, rule 4294967295 */
	begin_msg(AF_INET);
	prefix("rag:p:4294967295");
	n = ip4(pkt, 17, 0, udp_hdr, sizeof(udp_hdr));
	attr(9, pkt, n);
	end_msg();
	CHECK_INT(parse(&st), 2);
	CHECK_INT(ngot, 2);
	CHECK(!got[0].permit && got[0].rule_id == 17);
	CHECK_INT(got[0].time_ms, 1763641984123LL);
	CHECK_INT(got[0].family, AF_INET);
	inet_pton(AF_INET, "10.200.0.5", v4);
	CHECK_MEM(got[0].src, v4, 4);
	inet_pton(AF_INET, "198.51.100.10", v4);
	CHECK_MEM(got[0].dst, v4, 4);
	CHECK_INT(got[0].proto, 6);
	CHECK_INT(got[0].sport, 40000);
	CHECK_INT(got[0].dport, 22);
	CHECK(got[1].permit && got[1].rule_id == 4294967295u);
	CHECK_INT(got[1].time_ms, 0);
	CHECK_INT(got[1].proto, 17);
	CHECK_INT(got[1].dport, 53);
	CHECK_INT(st.records, 2);

	/* ICMP: no ports; default deny is rule 0 */
	msglen = 0;
	begin_msg(AF_INET);
	prefix("rag:d:0");
	n = ip4(pkt, 1, 0, icmp_hdr, sizeof(icmp_hdr));
	attr(9, pkt, n);
	end_msg();
	CHECK_INT(parse(&st), 1);
	CHECK(!got[0].permit && got[0].rule_id == 0 && got[0].proto == 1);
	CHECK(got[0].sport == -1 && got[0].dport == -1);

	/* a later fragment has no transport header: no ports */
	msglen = 0;
	begin_msg(AF_INET);
	prefix("rag:d:3");
	n = ip4(pkt, 17, 100, udp_hdr, sizeof(udp_hdr));
	attr(9, pkt, n);
	end_msg();
	CHECK_INT(parse(&st), 1);
	CHECK(got[0].proto == 17 && got[0].dport == -1);

	/* cut by the snaplen inside the TCP header: no ports, still a record */
	msglen = 0;
	begin_msg(AF_INET);
	prefix("rag:d:9");
	n = ip4(pkt, 6, 0, tcp_hdr, sizeof(tcp_hdr));
	attr(9, pkt, 22);
	end_msg();
	CHECK_INT(parse(&st), 1);
	CHECK(got[0].proto == 6 && got[0].dport == -1);

	/* header length field past the payload: malformed */
	msglen = 0;
	begin_msg(AF_INET);
	prefix("rag:d:9");
	n = ip4(pkt, 6, 0, tcp_hdr, 0);
	pkt[0] = 0x4f;
	attr(9, pkt, n);
	end_msg();
	CHECK_INT(parse(&st), 0);
	CHECK_INT(st.malformed, 1);
}

static void test_ipv6(void)
{
	struct rag_nflog_stats st;
	uint8_t pkt[256], a[16];
	size_t n = 0;

	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x60;
	pkt[6] = 0;		/* hop-by-hop */
	pkt[7] = 64;
	inet_pton(AF_INET6, "fd00:200::5", pkt + 8);
	inet_pton(AF_INET6, "2001:db8:2::10", pkt + 24);
	n = 40;
	/* hop-by-hop (8 bytes) -> destination options (16 bytes) -> fragment
	 * (offset 0) -> TCP */
	pkt[n] = 60;
	pkt[n + 1] = 0;
	n += 8;
	pkt[n] = 44;
	pkt[n + 1] = 1;
	n += 16;
	pkt[n] = 6;
	n += 8;
	memcpy(pkt + n, tcp_hdr, sizeof(tcp_hdr));
	pkt[n + 2] = 0x01;	/* dport 443 */
	pkt[n + 3] = 0xbb;
	n += sizeof(tcp_hdr);
	msglen = 0;
	begin_msg(AF_INET6);
	prefix("rag:p:13");
	attr(9, pkt, n);
	end_msg();
	CHECK_INT(parse(&st), 1);
	CHECK_INT(got[0].family, AF_INET6);
	inet_pton(AF_INET6, "fd00:200::5", a);
	CHECK_MEM(got[0].src, a, 16);
	inet_pton(AF_INET6, "2001:db8:2::10", a);
	CHECK_MEM(got[0].dst, a, 16);
	CHECK(got[0].permit && got[0].rule_id == 13);
	CHECK(got[0].proto == 6 && got[0].sport == 40000 && got[0].dport == 443);

	/* the same with a non-first fragment: protocol known, no ports */
	pkt[40 + 8 + 16 + 2] = 0x00;
	pkt[40 + 8 + 16 + 3] = 0x08;	/* offset 1 (8 bytes) */
	msglen = 0;
	begin_msg(AF_INET6);
	prefix("rag:p:13");
	attr(9, pkt, n);
	end_msg();
	CHECK_INT(parse(&st), 1);
	CHECK(got[0].proto == 6 && got[0].dport == -1);

	/* cut inside the extension headers */
	msglen = 0;
	begin_msg(AF_INET6);
	prefix("rag:d:0");
	attr(9, pkt, 44);
	end_msg();
	CHECK_INT(parse(&st), 1);
	CHECK_INT(got[0].dport, -1);

	/* shorter than an IPv6 header */
	msglen = 0;
	begin_msg(AF_INET6);
	prefix("rag:d:0");
	attr(9, pkt, 39);
	end_msg();
	CHECK_INT(parse(&st), 0);
	CHECK_INT(st.malformed, 1);
}

static void test_prefixes_and_framing(void)
{
	static const char *const bad[] = {
		"rag:x:1", "rag:p:", "rag:p:01", "rag:p:4294967296", "rag:p:12a", "rag:p:-1",
		"RAG:p:1", "rag:p:99999999999", "other", "",
	};
	struct rag_nflog_stats st;
	uint8_t pkt[64];
	size_t n = ip4(pkt, 1, 0, icmp_hdr, sizeof(icmp_hdr));

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msglen = 0;
		begin_msg(AF_INET);
		prefix(bad[i]);
		attr(9, pkt, n);
		end_msg();
		CHECK_INT(parse(&st), 0);
		CHECK_INT(st.foreign, 1);
	}
	/* a prefix without its NUL */
	msglen = 0;
	begin_msg(AF_INET);
	attr(10, "rag:d:5", 7);
	attr(9, pkt, n);
	end_msg();
	CHECK_INT(parse(&st), 0);
	CHECK_INT(st.foreign, 1);
	/* no payload */
	msglen = 0;
	begin_msg(AF_INET);
	prefix("rag:d:5");
	end_msg();
	CHECK_INT(parse(&st), 0);
	CHECK_INT(st.malformed, 1);
	/* an attribute longer than the message */
	msglen = 0;
	begin_msg(AF_INET);
	prefix("rag:d:5");
	attr(9, pkt, n);
	end_msg();
	msgbuf[16 + 4 + 12] = 0xff;	/* the payload attribute's length */
	CHECK_INT(parse(&st), 0);
	CHECK_INT(st.malformed, 1);
	/* netlink length beyond the datagram: framing broken */
	msglen = 0;
	begin_msg(AF_INET);
	prefix("rag:d:5");
	attr(9, pkt, n);
	end_msg();
	msglen -= 4;
	CHECK_INT(parse(&st), -EBADMSG);
	/* a netlink length below its header */
	msglen = 16;
	memset(msgbuf, 0, 16);
	msgbuf[0] = 8;
	CHECK_INT(parse(&st), -EBADMSG);
	/* other message types (NLMSG_DONE) are skipped */
	memset(msgbuf, 0, 20);
	msgbuf[0] = 20;
	msgbuf[4] = 3;
	msglen = 20;
	CHECK_INT(parse(&st), 0);
	CHECK_INT(st.malformed + st.foreign, 0);
	/* empty */
	msglen = 0;
	CHECK_INT(parse(&st), 0);
}

int main(void)
{
	test_ipv4();
	test_ipv6();
	test_prefixes_and_framing();
	return check_done("test_nflog");
}
