/*
 * nflog.c — NFLOG over nfnetlink with libmnl (see nflog.h).
 *
 * Wire format (include/uapi/linux/netfilter/nfnetlink_log.h): each message
 * is a netlink header, struct nfgenmsg (family, version, group in network
 * order), then attributes: NFULA_PACKET_HDR (hw_protocol, hook),
 * NFULA_TIMESTAMP (be64 sec, be64 usec), NFULA_PREFIX (NUL-terminated),
 * NFULA_PAYLOAD (the packet from its network header, cut at the snaplen).
 * Everything is copied out with memcpy after its length was checked.
 */
#include "nflog.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>

struct rag_nflog {
	struct mnl_socket *nl;
	uint16_t group;
	uint8_t *buf;
	struct rag_nflog_stats st;
};

#define NL_HDR 16u		/* struct nlmsghdr */
#define NFGEN_HDR 4u		/* struct nfgenmsg */
#define ALIGN4(x) (((x) + 3u) & ~(size_t)3u)

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return be16toh(v);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

/* ---- parsing -------------------------------------------------------------------- */

/* Ports of protocols that start with (source port, destination port). */
static bool has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 33 || proto == 132 || proto == 136;
}

/* The transport part: ports when the header is there. */
static void parse_l4(const uint8_t *p, size_t len, size_t off, struct rag_nflog_rec *r)
{
	if (!has_ports(r->proto) || len < off || len - off < 4)
		return;
	r->sport = get16(p + off);
	r->dport = get16(p + off + 2);
}

/* IPv4 header (RFC 791): addresses, protocol, ports of a first fragment. */
static int parse_ip4(const uint8_t *p, size_t len, struct rag_nflog_rec *r)
{
	size_t ihl;

	if (len < 20)
		return -EBADMSG;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	if (ihl < 20 || ihl > len)
		return -EBADMSG;
	r->family = AF_INET;
	r->proto = p[9];
	memcpy(r->src, p + 12, 4);
	memcpy(r->dst, p + 16, 4);
	if ((get16(p + 6) & 0x1fff) == 0)	/* fragment offset 0 */
		parse_l4(p, len, ihl, r);
	return 0;
}

/* IPv6 header (RFC 8200) and its extension headers, at most
 * RAG_NFLOG_MAX_EXT of them, to the upper-layer protocol. */
static int parse_ip6(const uint8_t *p, size_t len, struct rag_nflog_rec *r)
{
	size_t off = 40;
	uint8_t nh;

	if (len < 40)
		return -EBADMSG;
	r->family = AF_INET6;
	memcpy(r->src, p + 8, 16);
	memcpy(r->dst, p + 24, 16);
	nh = p[6];
	for (int i = 0; i < RAG_NFLOG_MAX_EXT; i++) {
		size_t hl;

		switch (nh) {
		case 0:		/* hop-by-hop */
		case 43:	/* routing */
		case 60:	/* destination options */
			if (len - off < 2)
				goto cut;
			hl = ((size_t)p[off + 1] + 1) * 8;
			break;
		case 51:	/* AH (RFC 4302 2.2: length in 4-octet units - 2) */
			if (len - off < 2)
				goto cut;
			hl = ((size_t)p[off + 1] + 2) * 4;
			break;
		case 44:	/* fragment: ports only in the first */
			if (len - off < 8)
				goto cut;
			if (get16(p + off + 2) & 0xfff8) {
				r->proto = p[off];
				return 0;
			}
			hl = 8;
			break;
		default:
			r->proto = nh;
			parse_l4(p, len, off, r);
			return 0;
		}
		nh = p[off];
		if (len - off < hl)
			goto cut;
		off += hl;
	}
cut:
	/* headers beyond the snaplen or too many of them: protocol unknown */
	r->proto = nh;
	return 0;
}

/* "rag:p:<id>" / "rag:d:<id>" (id decimal, 0..UINT32_MAX, no sign, no
 * leading zeros but "0"), NUL-terminated within the attribute. */
static bool parse_prefix(const uint8_t *s, size_t len, struct rag_nflog_rec *r)
{
	uint64_t v = 0;
	size_t i = 6, digits = 0;

	if (len < 8 || memcmp(s, "rag:", 4) != 0 || (s[4] != 'p' && s[4] != 'd') || s[5] != ':')
		return false;
	r->permit = s[4] == 'p';
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > UINT32_MAX || digits >= 10)
			return false;
	}
	if (!digits || (digits > 1 && s[6] == '0') || i >= len || s[i] != '\0')
		return false;
	r->rule_id = (uint32_t)v;
	return true;
}

/* One NFULNL_MSG_PACKET message body (after nfgenmsg): 1 = a record in r,
 * 0 = not ours, -EBADMSG = malformed. */
static int parse_packet(const uint8_t *a, size_t len, struct rag_nflog_rec *r)
{
	const uint8_t *payload = NULL, *prefix = NULL;
	size_t plen = 0, xlen = 0;
	bool have_ts = false;
	uint64_t sec = 0, usec = 0;
	size_t off = 0;

	/* validate: walk the attributes, remember the ones we use */
	while (off < len) {
		uint16_t alen, atype;

		if (len - off < 4)
			return -EBADMSG;
		memcpy(&alen, a + off, 2);
		memcpy(&atype, a + off + 2, 2);
		atype &= NLA_TYPE_MASK;
		if (alen < 4 || alen > len - off)
			return -EBADMSG;
		switch (atype) {
		case NFULA_PAYLOAD:
			payload = a + off + 4;
			plen = alen - 4u;
			break;
		case NFULA_PREFIX:
			prefix = a + off + 4;
			xlen = alen - 4u;
			break;
		case NFULA_TIMESTAMP:
			if (alen - 4u < 16)
				return -EBADMSG;
			sec = get64(a + off + 4);
			usec = get64(a + off + 12);
			have_ts = true;
			break;
		default:
			break;
		}
		off += ALIGN4((size_t)alen);
	}
	/* interpret */
	memset(r, 0, sizeof(*r));
	r->sport = r->dport = -1;
	if (!prefix || !parse_prefix(prefix, xlen, r))
		return 0;
	if (!payload || !plen)
		return -EBADMSG;
	if (have_ts && sec < (uint64_t)INT64_MAX / 1000 - 1 && usec < 1000000)
		r->time_ms = (int64_t)(sec * 1000 + usec / 1000);
	switch (payload[0] >> 4) {
	case 4:
		if (parse_ip4(payload, plen, r) < 0)
			return -EBADMSG;
		break;
	case 6:
		if (parse_ip6(payload, plen, r) < 0)
			return -EBADMSG;
		break;
	default:
		return -EBADMSG;
	}
	return 1;
}

/* See nflog.h. */
int rag_nflog_parse(const uint8_t *buf, size_t len, rag_nflog_fn fn, void *arg,
		    struct rag_nflog_stats *st)
{
	struct rag_nflog_stats dummy;
	size_t off = 0;
	int n = 0;

	if (!st)
		st = &dummy;
	while (off < len) {
		uint32_t mlen;
		uint16_t type;
		struct rag_nflog_rec r;
		int rc;

		if (len - off < NL_HDR)
			return -EBADMSG;
		memcpy(&mlen, buf + off, 4);
		memcpy(&type, buf + off + 4, 2);
		if (mlen < NL_HDR || mlen > len - off)
			return -EBADMSG;
		if (type == ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET)) {
			if (mlen - NL_HDR < NFGEN_HDR) {
				st->malformed++;
			} else {
				rc = parse_packet(buf + off + NL_HDR + NFGEN_HDR,
						  mlen - NL_HDR - NFGEN_HDR, &r);
				if (rc < 0) {
					st->malformed++;
				} else if (rc == 0) {
					st->foreign++;
				} else {
					st->records++;
					n++;
					if (fn)
						fn(arg, &r);
				}
			}
		}
		off += ALIGN4((size_t)mlen);
	}
	return n;
}

/* ---- socket ------------------------------------------------------------------------ */

/* Send one NFULNL_MSG_CONFIG for group with attribute (type, data, dlen)
 * and wait for the kernel's acknowledgement: 0 or its negative errno. */
static int config(struct rag_nflog *l, uint16_t type, const void *data, size_t dlen)
{
	char buf[8192];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	uint32_t seq = (uint32_t)time(NULL), portid = mnl_socket_get_portid(l->nl);
	ssize_t n;

	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(l->group);
	mnl_attr_put(nlh, type, dlen, data);
	if (mnl_socket_sendto(l->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	/* the socket is nonblocking; the ACK comes synchronously with the
	 * request, but wait a little in case packets are queued before it */
	for (int tries = 0; tries < 100; tries++) {
		n = mnl_socket_recvfrom(l->nl, buf, sizeof(buf));
		if (n < 0 && errno == EAGAIN) {
			struct timespec ts = { 0, 1000000 };

			nanosleep(&ts, NULL);
			continue;
		}
		if (n < 0)
			return -errno;
		if (mnl_cb_run(buf, (size_t)n, seq, portid, NULL, NULL) < 0)
			return -errno;
		return 0;
	}
	return -ETIMEDOUT;
}

/* See nflog.h. */
int rag_nflog_open(struct rag_nflog **out, uint16_t group, uint16_t snaplen, char *err,
		   size_t errlen)
{
	struct rag_nflog *l = calloc(1, sizeof(*l));
	struct nfulnl_msg_config_cmd cmd;
	struct nfulnl_msg_config_mode mode;
	uint32_t v;
	int rcvbuf = 1 << 20, rc;

	*out = NULL;
	if (!l || !(l->buf = malloc(RAG_NFLOG_BUF))) {
		free(l);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	l->group = group;
	l->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!l->nl || mnl_socket_bind(l->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		snprintf(err, errlen, "nfnetlink socket: %s", strerror(errno));
		rag_nflog_close(l);
		return rc;
	}
	/* room for bursts (FORCE needs CAP_NET_ADMIN, which ragd has) */
	if (setsockopt(mnl_socket_get_fd(l->nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(l->nl), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	memset(&cmd, 0, sizeof(cmd));
	cmd.command = NFULNL_CFG_CMD_BIND;
	rc = config(l, NFULA_CFG_CMD, &cmd, sizeof(cmd));
	if (rc < 0) {
		snprintf(err, errlen, "binding NFLOG group %u: %s", (unsigned int)group,
			 rc == -EBUSY ? "already bound by another process" : strerror(-rc));
		rag_nflog_close(l);
		return rc;
	}
	memset(&mode, 0, sizeof(mode));
	mode.copy_mode = NFULNL_COPY_PACKET;
	mode.copy_range = htonl(snaplen);
	rc = config(l, NFULA_CFG_MODE, &mode, sizeof(mode));
	v = htonl(1);			/* no batching: one message per packet */
	if (rc == 0)
		rc = config(l, NFULA_CFG_QTHRESH, &v, sizeof(v));
	if (rc < 0) {
		snprintf(err, errlen, "configuring NFLOG group %u: %s", (unsigned int)group,
			 strerror(-rc));
		rag_nflog_close(l);
		return rc;
	}
	*out = l;
	return 0;
}

/* See nflog.h. */
int rag_nflog_fd(const struct rag_nflog *l)
{
	return mnl_socket_get_fd(l->nl);
}

/* See nflog.h. */
int rag_nflog_read(struct rag_nflog *l, rag_nflog_fn fn, void *arg)
{
	int total = 0;

	for (int i = 0; i < RAG_NFLOG_READ_MAX; i++) {
		ssize_t n = recv(mnl_socket_get_fd(l->nl), l->buf, RAG_NFLOG_BUF, MSG_DONTWAIT);
		int rc;

		if (n < 0 && errno == ENOBUFS) {
			l->st.overruns++;	/* the kernel dropped messages */
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n < 0)
			return total ? total : -errno;
		if (n == 0)
			break;
		rc = rag_nflog_parse(l->buf, (size_t)n, fn, arg, &l->st);
		if (rc < 0)
			l->st.malformed++;
		else
			total += rc;
	}
	return total;
}

/* See nflog.h. */
void rag_nflog_stats(const struct rag_nflog *l, struct rag_nflog_stats *st)
{
	*st = l->st;
}

/* See nflog.h. */
void rag_nflog_close(struct rag_nflog *l)
{
	if (!l)
		return;
	if (l->nl) {
		struct nfulnl_msg_config_cmd cmd;

		memset(&cmd, 0, sizeof(cmd));
		cmd.command = NFULNL_CFG_CMD_UNBIND;
		if (l->buf)
			config(l, NFULA_CFG_CMD, &cmd, sizeof(cmd));
		mnl_socket_close(l->nl);
	}
	free(l->buf);
	free(l);
}
