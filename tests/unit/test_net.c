/*
 * test_net.c — ragd's IKE sockets (daemon/net.h): RFC 3948 2.2 (non-ESP
 * marker on the NAT-T port) and 2.3 (NAT-keepalive), RFC 7296 3.1 (the
 * header's Length) and 2.21 (garbage dropped), PKTINFO (the answer leaves
 * from the address the request arrived on), the port override.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "net.h"

/* A 28-byte IKE header with Length = len plus len - 28 bytes of body. */
static size_t ike_msg(uint8_t *buf, size_t len)
{
	uint32_t l = htonl((uint32_t)len);

	memset(buf, 0, len);
	for (int i = 0; i < 8; i++)
		buf[i] = (uint8_t)(0x11 * (i + 1));
	buf[17] = 0x20;
	buf[18] = 34;
	buf[19] = 0x08;
	memcpy(buf + 24, &l, 4);
	return len;
}

static void test_classify(void)
{
	uint8_t m[128], w[132];

	ike_msg(m, 100);
	CHECK_INT(rag_net_classify(m, 100, false), 0);
	CHECK_INT(rag_net_classify(m, 99, false), -EBADMSG);	/* Length mismatch */
	CHECK_INT(rag_net_classify(m, 27, false), -EBADMSG);	/* shorter than HDR */
	CHECK_INT(rag_net_classify(m, 0, false), -EBADMSG);
	memset(w, 0, 4);
	memcpy(w + 4, m, 100);
	CHECK_INT(rag_net_classify(w, 104, true), 4);		/* marker stripped */
	CHECK_INT(rag_net_classify(m, 100, true), -EPROTO);	/* no marker: ESP */
	CHECK_INT(rag_net_classify((const uint8_t *)"\xff", 1, true), -ENOMSG);
	CHECK_INT(rag_net_classify((const uint8_t *)"\xff", 1, false), -EBADMSG);
	CHECK_INT(rag_net_classify(w, 3, true), -EBADMSG);
	CHECK_INT(rag_net_classify(w, 4, true), -EBADMSG);	/* marker only */
	CHECK_INT(rag_net_classify(w, 31, true), -EBADMSG);
}

static void test_ports(void)
{
	uint16_t a, b;
	char err[128];

	unsetenv("RAG_IKE_PORT");
	unsetenv("RAG_NATT_PORT");
	CHECK_INT(rag_net_ports(&a, &b, err, sizeof(err)), 0);
	CHECK_INT(a, 500);
	CHECK_INT(b, 4500);
	setenv("RAG_IKE_PORT", "10500", 1);
	setenv("RAG_NATT_PORT", "14500", 1);
	CHECK_INT(rag_net_ports(&a, &b, err, sizeof(err)), 0);
	CHECK_INT(a, 10500);
	CHECK_INT(b, 14500);
	setenv("RAG_NATT_PORT", "10500", 1);
	CHECK_INT(rag_net_ports(&a, &b, err, sizeof(err)), -EINVAL);
	setenv("RAG_NATT_PORT", "70000", 1);
	CHECK_INT(rag_net_ports(&a, &b, err, sizeof(err)), -EINVAL);
	setenv("RAG_NATT_PORT", "45x", 1);
	CHECK_INT(rag_net_ports(&a, &b, err, sizeof(err)), -EINVAL);
	unsetenv("RAG_IKE_PORT");
	unsetenv("RAG_NATT_PORT");
}

/* Receive on sock i of net, waiting up to 2 s. */
static int recv_one(struct rag_net *net, size_t i, uint8_t *buf, struct rag_dgram *d)
{
	struct pollfd p = { .fd = net->s[i].fd, .events = POLLIN };

	if (poll(&p, 1, 2000) != 1)
		return -ETIMEDOUT;
	return rag_net_recv(net, i, buf, RAG_NET_BUF, d);
}

/* Loopback round trip on both ports. */
static void test_loopback(void)
{
	struct rag_net net;
	struct rag_addr lo = { .family = AF_INET };
	uint16_t base = (uint16_t)(20000 + getpid() % 20000);
	static uint8_t buf[RAG_NET_BUF];
	uint8_t m[200], w[204], back[300];
	struct sockaddr_in to = { .sin_family = AF_INET }, from;
	socklen_t fl = sizeof(from);
	struct rag_dgram d;
	char err[256];
	int c, rc;

	lo.addr[0] = 127;
	lo.addr[3] = 1;
	rc = rag_net_open(&net, &lo, 1, base, (uint16_t)(base + 1), err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "rag_net_open: %s\n", err);
	CHECK_INT(rc, 0);
	if (rc < 0)
		return;
	CHECK_INT(net.n, 2);
	CHECK(!net.s[0].natt && net.s[1].natt);
	c = socket(AF_INET, SOCK_DGRAM, 0);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	/* IKE port: plain message */
	ike_msg(m, 200);
	to.sin_port = htons(base);
	CHECK(sendto(c, m, 200, 0, (struct sockaddr *)&to, sizeof(to)) == 200);
	CHECK_INT(recv_one(&net, 0, buf, &d), 1);
	CHECK_INT(d.len, 200);
	CHECK_MEM(d.msg, m, 200);
	CHECK(!d.natt);
	CHECK_INT(d.local.family, 4);
	CHECK_INT(d.local.addr[0], 127);
	CHECK_INT(d.local.port, base);
	/* answer from the IKE port */
	CHECK_INT(rag_net_send(&net, &d.local, &d.remote, false, m, 200), 0);
	CHECK(recvfrom(c, back, sizeof(back), 0, (struct sockaddr *)&from, &fl) == 200);
	CHECK_INT(ntohs(from.sin_port), base);
	CHECK_MEM(back, m, 200);

	/* NAT-T port: a keepalive (RFC 3948 2.3) and a non-zero first word
	 * (ESP, 2.2) never surface as IKE (with UDP_ENCAP the kernel takes
	 * them itself); the next IKE message behind the marker does */
	to.sin_port = htons((uint16_t)(base + 1));
	CHECK(sendto(c, "\xff", 1, 0, (struct sockaddr *)&to, sizeof(to)) == 1);
	CHECK(sendto(c, m, 20, 0, (struct sockaddr *)&to, sizeof(to)) == 20);
	memset(w, 0, 4);
	memcpy(w + 4, m, 200);
	CHECK(sendto(c, w, 204, 0, (struct sockaddr *)&to, sizeof(to)) == 204);
	for (int k = 0; k < 3; k++) {
		rc = recv_one(&net, 1, buf, &d);
		if (rc != 0)
			break;		/* 0: consumed, not IKE */
	}
	CHECK_INT(rc, 1);
	CHECK(d.natt);
	CHECK_INT(d.len, 200);
	CHECK_MEM(d.msg, m, 200);
	CHECK_INT(rag_net_send(&net, &d.local, &d.remote, true, m, 200), 0);
	CHECK(recvfrom(c, back, sizeof(back), 0, (struct sockaddr *)&from, &fl) == 204);
	CHECK_INT(ntohs(from.sin_port), base + 1);
	CHECK_MEM(back, w, 204);
	/* nothing else pending */
	CHECK_INT(rag_net_recv(&net, 1, buf, RAG_NET_BUF, &d), -EAGAIN);
	/* no IPv6 socket: unreachable */
	d.remote.family = 6;
	CHECK_INT(rag_net_send(&net, NULL, &d.remote, false, m, 200), -ENETUNREACH);
	close(c);
	rag_net_close(&net);
	/* a port in use is an error naming it */
	{
		struct rag_net a, b;

		CHECK_INT(rag_net_open(&a, &lo, 1, base, (uint16_t)(base + 1), err, sizeof(err)), 0);
		rc = rag_net_open(&b, &lo, 1, (uint16_t)(base + 2), (uint16_t)(base + 1), err,
				  sizeof(err));
		CHECK(rc < 0);
		CHECK(strstr(err, "127.0.0.1") != NULL);
		rag_net_close(&a);
	}
}

int main(void)
{
	test_classify();
	test_ports();
	test_loopback();
	return check_done("test_net");
}
