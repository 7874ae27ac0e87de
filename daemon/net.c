/*
 * net.c — ragd's IKE sockets: binding, PKTINFO, the non-ESP marker and
 * UDP_ENCAP on the NAT-T port (net.h).
 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/ipsec.h>
#include <linux/xfrm.h>

#ifndef UDP_ENCAP
#define UDP_ENCAP 100
#endif
#ifndef UDP_ENCAP_ESPINUDP
#define UDP_ENCAP_ESPINUDP 2
#endif

#define IKE_HDR_LEN 28

/* See net.h. */
int rag_net_classify(const uint8_t *buf, size_t len, bool natt)
{
	size_t off = 0;
	uint32_t hlen;

	if (natt) {
		if (len == 1 && buf[0] == 0xff)
			return -ENOMSG;		/* RFC 3948 2.3 NAT-keepalive */
		if (len < 4)
			return -EBADMSG;
		if (buf[0] | buf[1] | buf[2] | buf[3])
			return -EPROTO;		/* ESP (RFC 3948 2.2: SPI != 0) */
		off = 4;			/* non-ESP marker */
	}
	if (len - off < IKE_HDR_LEN)
		return -EBADMSG;
	memcpy(&hlen, buf + off + 24, 4);
	hlen = ntohl(hlen);
	if (hlen != len - off)
		return -EBADMSG;		/* RFC 7296 3.1: Length = whole message */
	return (int)off;
}

/* See net.h. */
int rag_net_ports(uint16_t *ike, uint16_t *natt, char *err, size_t errlen)
{
	static const char *const names[2] = { "RAG_IKE_PORT", "RAG_NATT_PORT" };
	uint16_t v[2] = { RAG_NET_IKE_PORT, RAG_NET_NATT_PORT };

	for (int i = 0; i < 2; i++) {
		const char *s = getenv(names[i]);
		uint64_t x;

		if (!s)
			continue;
		if (rag_parse_uint(s, 1, 65535, &x) < 0) {
			snprintf(err, errlen, "%s: not a port number 1..65535", names[i]);
			return -EINVAL;
		}
		v[i] = (uint16_t)x;
	}
	if (v[0] == v[1]) {
		snprintf(err, errlen, "RAG_IKE_PORT and RAG_NATT_PORT must differ");
		return -EINVAL;
	}
	*ike = v[0];
	*natt = v[1];
	return 0;
}

/* Per-socket IPsec bypass (both directions) so IKE itself is never caught
 * by a CHILD SA policy (strongSwan does the same). */
static int bypass(int fd, int family)
{
	struct xfrm_userpolicy_info pol;
	int level = family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
	int opt = family == AF_INET ? IP_XFRM_POLICY : IPV6_XFRM_POLICY;

	for (int dir = XFRM_POLICY_IN; dir <= XFRM_POLICY_OUT; dir++) {
		memset(&pol, 0, sizeof(pol));
		pol.action = XFRM_POLICY_ALLOW;
		pol.sel.family = (uint16_t)family;
		pol.dir = (uint8_t)dir;
		pol.lft.soft_byte_limit = XFRM_INF;
		pol.lft.hard_byte_limit = XFRM_INF;
		pol.lft.soft_packet_limit = XFRM_INF;
		pol.lft.hard_packet_limit = XFRM_INF;
		if (setsockopt(fd, level, opt, &pol, sizeof(pol)) < 0)
			return -errno;
	}
	return 0;
}

/* One bound socket for (addr, port); fills s.  -errno with the failing
 * step in *what; *no_bypass is set when the bypass policy was refused
 * (EPERM). */
static int open_one(struct rag_net_sock *s, const struct rag_addr *a, uint16_t port,
		    bool natt, const char **what, bool *no_bypass)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, fd, r;

	memset(&ss, 0, sizeof(ss));
	*what = "socket";
	fd = socket(a->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return -errno;
	if (a->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, a->addr, 4);
		sl = sizeof(*in);
		*what = "IP_PKTINFO";
		if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0)
			goto fail;
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		memcpy(&in6->sin6_addr, a->addr, 16);
		sl = sizeof(*in6);
		*what = "IPV6_V6ONLY";
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
			goto fail;
		*what = "IPV6_RECVPKTINFO";
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0)
			goto fail;
	}
	/* no SO_REUSEADDR: for UDP it would let a second ragd bind the same
	 * port and silently take half of the datagrams */
	*what = "IPsec bypass policy";
	if ((r = bypass(fd, a->family)) < 0) {
		/* without CAP_NET_ADMIN: no kernel SAs either, so nothing for
		 * IKE to bypass (the caller warns) */
		if (r != -EPERM) {
			errno = -r;
			goto fail;
		}
		*no_bypass = true;
	}
	*what = "bind";
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		goto fail;
	if (natt) {
		int type = UDP_ENCAP_ESPINUDP;

		*what = "UDP_ENCAP_ESPINUDP";
		if (setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &type, sizeof(type)) < 0)
			goto fail;
	}
	s->fd = fd;
	s->family = a->family;
	memcpy(s->addr, a->addr, 16);
	s->port = port;
	s->natt = natt;
	return 0;
fail:
	r = -errno;
	close(fd);
	return r;
}

/* See net.h. */
int rag_net_open(struct rag_net *net, const struct rag_addr *listen, size_t n,
		 uint16_t ike_port, uint16_t natt_port, char *err, size_t errlen)
{
	memset(net, 0, sizeof(*net));
	net->ike_port = ike_port;
	net->natt_port = natt_port;
	if (n > RAG_CONF_MAX_LISTEN) {
		snprintf(err, errlen, "too many listen addresses");
		return -E2BIG;
	}
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 2; k++) {
			uint16_t port = k ? natt_port : ike_port;
			const char *what = "";
			char as[INET6_ADDRSTRLEN];
			int r = open_one(&net->s[net->n], &listen[i], port, k == 1, &what,
					 &net->no_bypass);

			if (r < 0) {
				inet_ntop(listen[i].family, listen[i].addr, as, sizeof(as));
				snprintf(err, errlen, "%s%s%s port %u: %s: %s",
					 listen[i].family == AF_INET6 ? "[" : "", as,
					 listen[i].family == AF_INET6 ? "]" : "",
					 (unsigned int)port, what, strerror(-r));
				rag_net_close(net);
				return r;
			}
			net->n++;
		}
	}
	return 0;
}

/* See net.h. */
void rag_net_close(struct rag_net *net)
{
	for (size_t i = 0; i < net->n; i++)
		if (net->s[i].fd >= 0)
			close(net->s[i].fd);
	net->n = 0;
}

/* See net.h. */
int rag_net_recv(struct rag_net *net, size_t i, uint8_t *buf, size_t cap,
		 struct rag_dgram *d)
{
	struct rag_net_sock *s = &net->s[i];
	struct sockaddr_storage from;
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
			  CMSG_SPACE(sizeof(struct in_pktinfo))];
	} cbuf;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr mh;
	ssize_t got;
	int off;

	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &from;
	mh.msg_namelen = sizeof(from);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf.b;
	mh.msg_controllen = sizeof(cbuf.b);
	got = recvmsg(s->fd, &mh, MSG_DONTWAIT);
	if (got < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	net->st.rx++;
	memset(d, 0, sizeof(*d));
	if (mh.msg_flags & MSG_TRUNC) {
		net->st.garbage++;
		return 0;
	}
	off = rag_net_classify(buf, (size_t)got, s->natt);
	if (off < 0) {
		if (off == -ENOMSG)
			net->st.keepalives++;
		else if (off == -EPROTO)
			net->st.esp++;
		else
			net->st.garbage++;
		return 0;
	}
	if (from.ss_family == AF_INET && s->family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&from;

		d->remote.family = 4;
		memcpy(d->remote.addr, &in->sin_addr, 4);
		d->remote.port = ntohs(in->sin_port);
	} else if (from.ss_family == AF_INET6 && s->family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&from;

		d->remote.family = 6;
		memcpy(d->remote.addr, &in6->sin6_addr, 16);
		d->remote.port = ntohs(in6->sin6_port);
	} else {
		net->st.garbage++;
		return 0;
	}
	d->local.family = d->remote.family;
	memcpy(d->local.addr, s->addr, 16);
	d->local.port = s->port;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memcpy(d->local.addr, &pi.ipi_addr, 4);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
			   c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memcpy(d->local.addr, &pi.ipi6_addr, 16);
		}
	}
	d->natt = s->natt;
	d->msg = buf + off;
	d->len = (size_t)got - (size_t)off;
	return 1;
}

static bool all_zero(const uint8_t *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i])
			return false;
	return true;
}

/* See net.h. */
int rag_net_send(struct rag_net *net, const struct ike_endpoint *local,
		 const struct ike_endpoint *remote, bool natt,
		 const uint8_t *msg, size_t len)
{
	static const uint8_t marker[4] = { 0, 0, 0, 0 };
	int family = remote->family == 4 ? AF_INET : AF_INET6;
	size_t alen = family == AF_INET ? 4 : 16;
	bool have_local = local && local->family == remote->family &&
			  !all_zero(local->addr, alen);
	struct rag_net_sock *s = NULL;
	struct sockaddr_storage to;
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cbuf;
	struct iovec iov[2];
	struct msghdr mh;
	int n = 0;

	/* a socket bound to exactly local, else the wildcard one */
	for (size_t i = 0; i < net->n; i++) {
		struct rag_net_sock *c = &net->s[i];

		if (c->family != family || c->natt != natt)
			continue;
		if (have_local && !memcmp(c->addr, local->addr, alen)) {
			s = c;
			break;
		}
		if (!s && all_zero(c->addr, alen))
			s = c;
	}
	if (!s) {
		net->st.tx_errors++;
		return -ENETUNREACH;
	}
	memset(&to, 0, sizeof(to));
	memset(&mh, 0, sizeof(mh));
	memset(&cbuf, 0, sizeof(cbuf));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&to;

		in->sin_family = AF_INET;
		in->sin_port = htons(remote->port);
		memcpy(&in->sin_addr, remote->addr, 4);
		mh.msg_namelen = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&to;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(remote->port);
		memcpy(&in6->sin6_addr, remote->addr, 16);
		mh.msg_namelen = sizeof(*in6);
	}
	mh.msg_name = &to;
	if (natt) {
		iov[n].iov_base = (void *)(uintptr_t)marker;
		iov[n++].iov_len = sizeof(marker);
	}
	iov[n].iov_base = (void *)(uintptr_t)msg;
	iov[n++].iov_len = len;
	mh.msg_iov = iov;
	mh.msg_iovlen = (size_t)n;
	if (have_local && all_zero(s->addr, alen)) {
		struct cmsghdr *c;

		mh.msg_control = cbuf.b;
		if (family == AF_INET) {
			struct in_pktinfo pi;

			memset(&pi, 0, sizeof(pi));
			memcpy(&pi.ipi_spec_dst, local->addr, 4);
			mh.msg_controllen = CMSG_SPACE(sizeof(pi));
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		} else {
			struct in6_pktinfo pi;

			memset(&pi, 0, sizeof(pi));
			memcpy(&pi.ipi6_addr, local->addr, 16);
			mh.msg_controllen = CMSG_SPACE(sizeof(pi));
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = IPPROTO_IPV6;
			c->cmsg_type = IPV6_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		}
	}
	if (sendmsg(s->fd, &mh, MSG_DONTWAIT) < 0) {
		net->st.tx_errors++;
		return -errno;
	}
	net->st.tx++;
	return 0;
}

/* See net.h. */
const char *rag_ep_str(const struct ike_endpoint *ep, char *out, size_t outlen)
{
	char a[INET6_ADDRSTRLEN];

	if (ep->family == 4) {
		inet_ntop(AF_INET, ep->addr, a, sizeof(a));
		snprintf(out, outlen, "%s:%u", a, (unsigned int)ep->port);
	} else if (ep->family == 6) {
		inet_ntop(AF_INET6, ep->addr, a, sizeof(a));
		snprintf(out, outlen, "[%s]:%u", a, (unsigned int)ep->port);
	} else {
		snprintf(out, outlen, "?");
	}
	return out;
}
