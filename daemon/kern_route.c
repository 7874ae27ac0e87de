/*
 * kern_route.c — routes to clients' virtual IPs (kern.h): rtnetlink over
 * libmnl, on the NETLINK_ROUTE socket kern_open() opened next to the XFRM
 * ones (kern_int.h), so routes land in the same netns.  Only routes with protocol KERN_RTPROT in the main table are ever
 * deleted; the kernel itself matches the protocol on RTM_DELROUTE, so an
 * admin's route for the same prefix cannot be removed by mistake.
 * Replies are walked with libmnl's bounded iterators and each attribute is
 * validated against the size we copy out (STYLE.md rule 1).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "kern.h"
#include "kern_int.h"

#define RT_BUF 16384
#define RT_MAX_FLUSH (1u << 20)

/* Address length of a family, 0 for anything but AF_INET/AF_INET6. */
static size_t rt_alen(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

typedef int (*rt_cb)(const struct nlmsghdr *nlh, void *arg);

/*
 * Send nlh (with the socket's next sequence number *seqp) and read until
 * its ack / NLMSG_DONE; data messages go to cb.
 * Returns 0, the kernel's negative errno, cb's first error, or -errno.
 */
static int rt_talk(struct mnl_socket *s, uint32_t *seqp, struct nlmsghdr *nlh,
		   rt_cb cb, void *arg)
{
	uint8_t *buf = malloc(RT_BUF);
	uint32_t seq = ++*seqp;	/* per socket: replies to older requests are skipped */
	int ret = 0, done = 0;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	nlh->nlmsg_seq = seq;
	/* NLM_F_DUMP shares bits with NLM_F_EXCL / NLM_F_REPLACE: compare whole */
	if (!(nlh->nlmsg_type == RTM_GETROUTE &&
	      (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP))
		nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(s, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	while (!done) {
		n = mnl_socket_recvfrom(s, buf, RT_BUF);
		if (n < 0) {
			ret = errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}
		int left = (int)n;
		const struct nlmsghdr *m = (const struct nlmsghdr *)buf;

		for (; mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
			if (m->nlmsg_seq != seq)
				continue;
			if (m->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr e;

				if (mnl_nlmsg_get_payload_len(m) < sizeof(e)) {
					ret = -EBADMSG;
				} else {
					memcpy(&e, mnl_nlmsg_get_payload(m), sizeof(e));
					if (e.error < 0 && !ret)
						ret = e.error;
				}
				done = 1;
				break;
			}
			if (m->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (m->nlmsg_type >= NLMSG_MIN_TYPE && cb && !ret) {
				int e = cb(m, arg);

				if (e < 0)
					ret = e;
			}
		}
	}
out:
	free(buf);
	return ret;
}

/* Where RTM_GETROUTE says a destination goes. */
struct rt_hop {
	uint32_t oif;
	bool have_oif, have_gw;
	int gw_family;
	uint8_t gw[16];
};

/* Attributes of the RTM_NEWROUTE answer to a lookup. */
static int rt_hop_attr(const struct nlattr *a, void *data)
{
	struct rt_hop *h = data;
	size_t glen = rt_alen(h->gw_family);

	switch (mnl_attr_get_type(a)) {
	case RTA_OIF:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		h->oif = mnl_attr_get_u32(a);
		h->have_oif = true;
		break;
	case RTA_GATEWAY:
		if (mnl_attr_validate2(a, MNL_TYPE_BINARY, glen) < 0)
			return MNL_CB_ERROR;
		memcpy(h->gw, mnl_attr_get_payload(a), glen);
		h->have_gw = true;
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

/* Callback: parse the lookup answer. */
static int rt_hop_cb(const struct nlmsghdr *nlh, void *arg)
{
	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct rtmsg))
		return -EBADMSG;
	if (mnl_attr_parse(nlh, sizeof(struct rtmsg), rt_hop_attr, arg) != MNL_CB_OK)
		return -EBADMSG;
	return 0;
}

/* See kern.h. */
int kern_route_add(struct kern *k, const struct kern_ts *dst,
		   const struct kern_addr *peer_outer)
{
	uint8_t buf[512];
	struct mnl_socket *s;
	struct nlmsghdr *nlh;
	struct rtmsg *rt;
	struct rt_hop hop;
	size_t dlen = rt_alen(dst->family), plen = rt_alen(peer_outer->family);
	uint32_t *seq = kern_rt_seq(k);
	int err = 0;

	if (!dlen || !plen || dst->prefix > dlen * 8)
		return -EINVAL;
	s = kern_rt_sock(k);

	/* 1. how is the peer reached? */
	memset(&hop, 0, sizeof(hop));
	hop.gw_family = peer_outer->family;
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtm_family = (uint8_t)peer_outer->family;
	rt->rtm_dst_len = (uint8_t)(plen * 8);
	mnl_attr_put(nlh, RTA_DST, plen, peer_outer->addr);
	err = rt_talk(s, seq, nlh, rt_hop_cb, &hop);
	if (!err && !hop.have_oif)
		err = -ENETUNREACH;
	if (err)
		goto out;

	/* 2. the same way for dst (a gateway only when the families match) */
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtm_family = (uint8_t)dst->family;
	rt->rtm_dst_len = dst->prefix;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = KERN_RTPROT;
	rt->rtm_type = RTN_UNICAST;
	{
		uint8_t a[16];

		memcpy(a, dst->addr, dlen);
		for (size_t i = 0; i < dlen; i++) {	/* host bits off */
			unsigned int keep = dst->prefix > i * 8 ? dst->prefix - (unsigned int)i * 8 : 0;

			if (keep < 8)
				a[i] &= (uint8_t)(0xff00u >> keep);
		}
		mnl_attr_put(nlh, RTA_DST, dlen, a);
	}
	mnl_attr_put_u32(nlh, RTA_OIF, hop.oif);
	if (hop.have_gw && dst->family == peer_outer->family) {
		rt->rtm_scope = RT_SCOPE_UNIVERSE;
		mnl_attr_put(nlh, RTA_GATEWAY, plen, hop.gw);
	} else {
		rt->rtm_scope = RT_SCOPE_LINK;
	}
	err = rt_talk(s, seq, nlh, NULL, NULL);
out:
	return err;
}

/* One RTM_DELROUTE of our route family/dst/prefix (the kernel matches the
 * protocol, so only ours can go). */
static int rt_del(struct mnl_socket *s, uint32_t *seq, int family, const uint8_t *addr,
		  uint8_t prefix)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh;
	struct rtmsg *rt;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_DELROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtm_family = (uint8_t)family;
	rt->rtm_dst_len = prefix;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = KERN_RTPROT;
	rt->rtm_scope = RT_SCOPE_NOWHERE;
	if (prefix)
		mnl_attr_put(nlh, RTA_DST, rt_alen(family), addr);
	return rt_talk(s, seq, nlh, NULL, NULL);
}

/* See kern.h. */
int kern_route_del(struct kern *k, const struct kern_ts *dst)
{
	struct mnl_socket *s;
	size_t dlen = rt_alen(dst->family);
	uint8_t a[16];
	if (!dlen || dst->prefix > dlen * 8)
		return -EINVAL;
	memcpy(a, dst->addr, dlen);
	for (size_t i = 0; i < dlen; i++) {
		unsigned int keep = dst->prefix > i * 8 ? dst->prefix - (unsigned int)i * 8 : 0;

		if (keep < 8)
			a[i] &= (uint8_t)(0xff00u >> keep);
	}
	s = kern_rt_sock(k);
	return rt_del(s, kern_rt_seq(k), dst->family, a, dst->prefix);
}

struct rt_victim {
	int family;
	uint8_t prefix;
	uint8_t addr[16];
};

struct rt_victims {
	struct rt_victim *v;
	size_t n, cap;
};

struct rt_dst {
	int family;
	bool have;
	uint8_t addr[16];
	uint32_t table;
};

/* RTA_DST / RTA_TABLE of a dumped route. */
static int rt_dst_attr(const struct nlattr *a, void *data)
{
	struct rt_dst *d = data;

	switch (mnl_attr_get_type(a)) {
	case RTA_DST:
		if (mnl_attr_validate2(a, MNL_TYPE_BINARY, rt_alen(d->family)) < 0)
			return MNL_CB_ERROR;
		memcpy(d->addr, mnl_attr_get_payload(a), rt_alen(d->family));
		d->have = true;
		break;
	case RTA_TABLE:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		d->table = mnl_attr_get_u32(a);
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

/* A dumped route: collect it when it is ours (protocol, main table). */
static int rt_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct rt_victims *vs = arg;
	struct rtmsg rt;
	struct rt_dst d;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return 0;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(rt))
		return -EBADMSG;
	memcpy(&rt, mnl_nlmsg_get_payload(nlh), sizeof(rt));
	if (rt.rtm_protocol != KERN_RTPROT || !rt_alen(rt.rtm_family))
		return 0;
	memset(&d, 0, sizeof(d));
	d.family = rt.rtm_family;
	d.table = rt.rtm_table;
	if (mnl_attr_parse(nlh, sizeof(rt), rt_dst_attr, &d) != MNL_CB_OK)
		return -EBADMSG;
	if (d.table != RT_TABLE_MAIN || (rt.rtm_dst_len && !d.have))
		return 0;
	if (vs->n == vs->cap) {
		size_t cap = vs->cap ? vs->cap * 2 : 32;
		struct rt_victim *nv;

		if (cap > RT_MAX_FLUSH)
			return -E2BIG;
		nv = realloc(vs->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		vs->v = nv;
		vs->cap = cap;
	}
	vs->v[vs->n].family = d.family;
	vs->v[vs->n].prefix = rt.rtm_dst_len;
	memcpy(vs->v[vs->n].addr, d.addr, 16);
	vs->n++;
	return 0;
}

/* See kern.h. */
int kern_route_flush_ours(struct kern *k, bool del)
{
	static const int fams[2] = { AF_INET, AF_INET6 };
	struct rt_victims vs = { NULL, 0, 0 };
	struct mnl_socket *s = kern_rt_sock(k);
	uint32_t *seq = kern_rt_seq(k);
	int err = 0, count = 0;

	for (int f = 0; f < 2 && !err; f++) {
		uint8_t buf[64];
		struct nlmsghdr *nlh;
		struct rtmsg *rt;

		memset(buf, 0, sizeof(buf));
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = RTM_GETROUTE;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
		rt->rtm_family = (uint8_t)fams[f];
		vs.n = 0;
		err = rt_talk(s, seq, nlh, rt_dump_cb, &vs);
		if (err == -EAFNOSUPPORT)
			err = 0;	/* IPv6 disabled */
		for (size_t i = 0; i < vs.n && !err; i++) {
			int e = del ? rt_del(s, seq, vs.v[i].family, vs.v[i].addr, vs.v[i].prefix) : 0;

			if (e == 0)
				count++;
			else if (e != -ESRCH && e != -ENOENT)
				err = e;
		}
	}
	free(vs.v);
	return err ? err : count;
}

/* See kern_int.h. */
int kern_route_lookup(struct kern *k, const struct kern_addr *a)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh;
	struct rtmsg *rt;
	struct rt_hop hop;
	size_t alen = rt_alen(a->family);

	if (!alen)
		return -EINVAL;
	memset(&hop, 0, sizeof(hop));
	hop.gw_family = a->family;
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtm_family = (uint8_t)a->family;
	rt->rtm_dst_len = (uint8_t)(alen * 8);
	mnl_attr_put(nlh, RTA_DST, alen, a->addr);
	return rt_talk(kern_rt_sock(k), kern_rt_seq(k), nlh, rt_hop_cb, &hop);
}
