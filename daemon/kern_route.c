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
#include <linux/if_addr.h>
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
	if (!((nlh->nlmsg_type == RTM_GETROUTE || nlh->nlmsg_type == RTM_GETADDR) &&
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

/* Copy dst->addr with the host bits below dst->prefix cleared into a. */
static void rt_masked(const struct kern_ts *dst, uint8_t a[16])
{
	size_t dlen = rt_alen(dst->family);

	memset(a, 0, 16);
	memcpy(a, dst->addr, dlen);
	for (size_t i = 0; i < dlen; i++) {
		unsigned int keep = dst->prefix > i * 8 ? dst->prefix - (unsigned int)i * 8 : 0;

		if (keep < 8)
			a[i] &= (uint8_t)(0xff00u >> keep);
	}
}

/*
 * RTM_NEWROUTE of ours (protocol KERN_RTPROT, main table, never replacing:
 * -EEXIST when dst has a route already): type unicast through oif (and gw,
 * when not NULL), or type unreachable (oif 0).
 */
static int rt_new(struct kern *k, const struct kern_ts *dst, uint8_t type, uint32_t oif,
		  const uint8_t *gw)
{
	uint8_t buf[512], a[16];
	struct nlmsghdr *nlh;
	struct rtmsg *rt;
	size_t dlen = rt_alen(dst->family);

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtm_family = (uint8_t)dst->family;
	rt->rtm_dst_len = dst->prefix;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = KERN_RTPROT;
	rt->rtm_type = type;
	rt_masked(dst, a);
	mnl_attr_put(nlh, RTA_DST, dlen, a);
	if (type == RTN_UNICAST) {
		mnl_attr_put_u32(nlh, RTA_OIF, oif);
		rt->rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
		if (gw)
			mnl_attr_put(nlh, RTA_GATEWAY, dlen, gw);
	} else {
		rt->rtm_scope = RT_SCOPE_UNIVERSE;
	}
	return rt_talk(kern_rt_sock(k), kern_rt_seq(k), nlh, NULL, NULL);
}

/* See kern.h. */
int kern_route_add(struct kern *k, const struct kern_ts *dst,
		   const struct kern_addr *peer_outer)
{
	uint8_t buf[512];
	struct nlmsghdr *nlh;
	struct rtmsg *rt;
	struct rt_hop hop;
	size_t dlen = rt_alen(dst->family), plen = rt_alen(peer_outer->family);
	int err;

	if (!dlen || !plen || dst->prefix > dlen * 8)
		return -EINVAL;

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
	err = rt_talk(kern_rt_sock(k), kern_rt_seq(k), nlh, rt_hop_cb, &hop);
	if (!err && !hop.have_oif)
		err = -ENETUNREACH;
	if (err)
		return err;

	/* 2. the same way for dst (a gateway only when the families match) */
	return rt_new(k, dst, RTN_UNICAST, hop.oif,
		      hop.have_gw && dst->family == peer_outer->family ? hop.gw : NULL);
}

/* See kern.h. */
int kern_route_add_unreachable(struct kern *k, const struct kern_ts *dst)
{
	size_t dlen = rt_alen(dst->family);

	if (!dlen || dst->prefix > dlen * 8)
		return -EINVAL;
	return rt_new(k, dst, RTN_UNREACHABLE, 0, NULL);
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
	size_t dlen = rt_alen(dst->family);
	uint8_t a[16];

	if (!dlen || dst->prefix > dlen * 8)
		return -EINVAL;
	rt_masked(dst, a);
	return rt_del(kern_rt_sock(k), kern_rt_seq(k), dst->family, a, dst->prefix);
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

struct rt_addrs {
	kern_addr_cb cb;
	void *arg;
};

/* IFA_LOCAL (IPv4: the address itself, IFA_ADDRESS may be a point-to-point
 * peer) or IFA_ADDRESS of a dumped address. */
struct rt_ifa {
	size_t alen;
	bool have_local, have_addr;
	uint8_t local[16], addr[16];
};

static int rt_ifa_attr(const struct nlattr *a, void *data)
{
	struct rt_ifa *f = data;
	uint16_t t = mnl_attr_get_type(a);

	if (t != IFA_LOCAL && t != IFA_ADDRESS)
		return MNL_CB_OK;
	if (mnl_attr_validate2(a, MNL_TYPE_BINARY, f->alen) < 0)
		return MNL_CB_ERROR;
	memcpy(t == IFA_LOCAL ? f->local : f->addr, mnl_attr_get_payload(a), f->alen);
	if (t == IFA_LOCAL)
		f->have_local = true;
	else
		f->have_addr = true;
	return MNL_CB_OK;
}

/* A dumped address: hand it to the caller's callback. */
static int rt_addr_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct rt_addrs *x = arg;
	struct ifaddrmsg ifa;
	struct rt_ifa f;
	struct kern_addr ka;

	if (nlh->nlmsg_type != RTM_NEWADDR)
		return 0;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(ifa))
		return -EBADMSG;
	memcpy(&ifa, mnl_nlmsg_get_payload(nlh), sizeof(ifa));
	memset(&f, 0, sizeof(f));
	f.alen = rt_alen(ifa.ifa_family);
	if (!f.alen)
		return 0;
	if (mnl_attr_parse(nlh, sizeof(ifa), rt_ifa_attr, &f) != MNL_CB_OK)
		return -EBADMSG;
	if (!f.have_local && !f.have_addr)
		return 0;
	memset(&ka, 0, sizeof(ka));
	ka.family = ifa.ifa_family;
	memcpy(ka.addr, f.have_local ? f.local : f.addr, f.alen);
	x->cb(&ka, ifa.ifa_index, x->arg);
	return 0;
}

/* See kern_int.h. */
int kern_addrs(struct kern *k, kern_addr_cb cb, void *arg)
{
	static const int fams[2] = { AF_INET, AF_INET6 };
	struct rt_addrs x = { cb, arg };

	for (int f = 0; f < 2; f++) {
		uint8_t buf[64];
		struct nlmsghdr *nlh;
		struct ifaddrmsg *ifa;
		int err;

		memset(buf, 0, sizeof(buf));
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = RTM_GETADDR;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
		ifa->ifa_family = (uint8_t)fams[f];
		err = rt_talk(kern_rt_sock(k), kern_rt_seq(k), nlh, rt_addr_cb, &x);
		if (err && err != -EAFNOSUPPORT)	/* IPv6 disabled: none */
			return err;
	}
	return 0;
}
