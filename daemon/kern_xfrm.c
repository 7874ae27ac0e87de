/*
 * kern_xfrm.c — kern.h over XFRM netlink (libmnl, <linux/xfrm.h>).
 *
 * Two NETLINK_XFRM sockets (and a NETLINK_ROUTE one for kern_route.c, opened
 * here so that all three live in the same netns): "nl" for requests (blocking, one request in
 * flight, NLM_F_ACK, NETLINK_EXT_ACK + NETLINK_CAP_ACK so an error reply
 * carries the kernel's reason but never echoes our request, which may hold
 * keys) and "ev", non-blocking, subscribed to XFRMNLGRP_EXPIRE.  Both buffers
 * are sodium_malloc'ed and wiped after each use: requests carry keys, and
 * dumps of the state table carry everyone's keys.
 *
 * Every reply is walked with libmnl's bounded iterators; each attribute we
 * read is validated (mnl_attr_validate2) against the size of the struct we
 * copy out of it, and structs are memcpy'd out of the buffer, never cast in
 * place (STYLE.md rule 1).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/udp.h>
#include <linux/xfrm.h>
#include <sodium.h>

#include "ike.h"
#include "kern.h"
#include "kern_int.h"

#ifndef UDP_ENCAP_ESPINUDP
#define UDP_ENCAP_ESPINUDP 2
#endif

#define KERN_TXBUF   8192
#define KERN_RXBUF   32768	/* MNL_SOCKET_DUMP_SIZE: a dump skb fits */
#define KERN_EV_RCVBUF (4 * 1024 * 1024)
#define KERN_EV_BATCH 256	/* datagrams per kern_events_read() call */
#define KERN_DUMP_RETRIES 4	/* NLM_F_DUMP_INTR restarts */
#define KERN_REPLY_TIMEOUT_S 5
#define KERN_MAX_TMPL 6		/* the kernel's XFRM_MAX_DEPTH */


struct kern {
	struct mnl_socket *nl;
	struct mnl_socket *ev;
	struct mnl_socket *rt;	/* NETLINK_ROUTE, for kern_route.c */
	uint32_t rt_seq;
	unsigned int portid;
	uint32_t seq;
	uint8_t *tx;		/* KERN_TXBUF, guarded */
	uint8_t *rx;		/* KERN_RXBUF, guarded */
	char err[KERN_ERRMSG_MAX];
};

/* A reply callback: one data message (not ERROR/DONE).  Returns 0 or -errno. */
typedef int (*kern_msg_cb)(const struct nlmsghdr *nlh, void *arg);

/* ---- small helpers ----------------------------------------------------- */

/* Address length of a family, 0 for anything but AF_INET/AF_INET6. */
static size_t kern_alen(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

/* Copy a kern_addr into an xfrm_address_t (zero padded). */
static void kern_put_xaddr(xfrm_address_t *x, const struct kern_addr *a)
{
	memset(x, 0, sizeof(*x));
	memcpy(x, a->addr, kern_alen(a->family));
}

/* Copy an xfrm_address_t of family out into a kern_addr. */
static void kern_get_xaddr(struct kern_addr *a, const xfrm_address_t *x, int family)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	memcpy(a->addr, x, kern_alen(family));
}

/* Is reqid in the range that marks our states and templates (kern.h)? */
static bool kern_reqid_ours(uint32_t reqid)
{
	return reqid >= KERN_REQID_MIN && reqid <= KERN_REQID_MAX;
}

/* Is a policy priority in our band (kern.h)? */
static bool kern_prio_ours(uint32_t prio)
{
	return prio >= KERN_PRIO_BASE && prio - KERN_PRIO_BASE < KERN_PRIO_SPAN;
}

/* A limit for struct xfrm_lifetime_cfg: 0 means none (XFRM_INF). */
static uint64_t kern_lim(uint64_t v)
{
	return v ? v : XFRM_INF;
}

/* Start a request message in k->tx: header and a zeroed fixed part of
 * hdrlen bytes, whose address is returned through *fixed. */
static struct nlmsghdr *kern_msg(struct kern *k, uint16_t type, uint16_t flags,
				 size_t hdrlen, void **fixed)
{
	struct nlmsghdr *nlh;

	memset(k->tx, 0, KERN_TXBUF);
	nlh = mnl_nlmsg_put_header(k->tx);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	*fixed = mnl_nlmsg_put_extra_header(nlh, hdrlen);
	return nlh;
}

/*
 * Append attribute type made of two parts (a fixed header hdr and data,
 * e.g. struct xfrm_algo and the key) without an intermediate copy, so keys
 * go straight into the guarded buffer.  Returns 0 or -EMSGSIZE.
 */
static int kern_attr2(struct nlmsghdr *nlh, uint16_t type, const void *hdr,
		      size_t hdrlen, const void *data, size_t datalen)
{
	struct nlattr *a;
	size_t plen = hdrlen + datalen;

	if (plen > UINT16_MAX - MNL_ATTR_HDRLEN ||
	    KERN_TXBUF - nlh->nlmsg_len < MNL_ALIGN(MNL_ATTR_HDRLEN + plen))
		return -EMSGSIZE;
	a = mnl_nlmsg_get_payload_tail(nlh);
	a->nla_type = type;
	a->nla_len = (uint16_t)(MNL_ATTR_HDRLEN + plen);
	memcpy((uint8_t *)mnl_attr_get_payload(a), hdr, hdrlen);
	if (datalen)
		memcpy((uint8_t *)mnl_attr_get_payload(a) + hdrlen, data, datalen);
	memset((uint8_t *)a + a->nla_len, 0, MNL_ALIGN(a->nla_len) - a->nla_len);
	nlh->nlmsg_len += MNL_ALIGN(a->nla_len);
	return 0;
}

/* Append attribute type with payload p[0..len); 0 or -EMSGSIZE. */
static int kern_attr(struct nlmsghdr *nlh, uint16_t type, const void *p, size_t len)
{
	return kern_attr2(nlh, type, p, len, NULL, 0);
}

/* ---- request / reply ----------------------------------------------------- */

struct kern_extack {
	char *out;
	size_t outlen;
};

/* mnl_attr_parse callback for the TLVs of an extended ack. */
static int kern_extack_attr(const struct nlattr *a, void *data)
{
	struct kern_extack *x = data;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		snprintf(x->out, x->outlen, "%s", mnl_attr_get_str(a));
	return MNL_CB_OK;
}

/*
 * An NLMSG_ERROR message: returns its (negative) error, 0 for an ack, and
 * copies the extended-ack message text into k->err.  -EBADMSG if truncated.
 */
static int kern_parse_error(struct kern *k, const struct nlmsghdr *nlh)
{
	struct nlmsgerr e;
	size_t plen = mnl_nlmsg_get_payload_len(nlh), off;

	if (plen < sizeof(e))
		return -EBADMSG;
	memcpy(&e, mnl_nlmsg_get_payload(nlh), sizeof(e));
	if (e.error > 0 || e.error < -4095)
		return -EBADMSG;
	if (e.error == 0 || !(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return e.error;
	off = sizeof(e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e.msg.nlmsg_len < NLMSG_HDRLEN ||
		    plen - off < e.msg.nlmsg_len - NLMSG_HDRLEN)
			return e.error;
		off += e.msg.nlmsg_len - NLMSG_HDRLEN;
	}
	if (off <= plen) {
		struct kern_extack x = { k->err, sizeof(k->err) };

		mnl_attr_parse(nlh, (unsigned int)off, kern_extack_attr, &x);
	}
	return e.error;
}

/*
 * Send the request in k->tx (wiping it afterwards) and read replies until
 * its ack / NLMSG_DONE.  Data messages of this request go to cb.  Returns 0,
 * the kernel's negative errno (text in k->err), the first error cb
 * returned, -EINTR when a dump was interrupted (retry), or -errno.
 */
static int kern_talk(struct kern *k, struct nlmsghdr *nlh, kern_msg_cb cb, void *arg)
{
	uint32_t seq = ++k->seq;
	int ret = 0, done = 0;
	bool intr = false;
	ssize_t n;

	k->err[0] = '\0';
	nlh->nlmsg_seq = seq;
	if ((nlh->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)	/* bits shared with EXCL */
		nlh->nlmsg_flags |= NLM_F_ACK;
	n = mnl_socket_sendto(k->nl, nlh, nlh->nlmsg_len);
	sodium_memzero(k->tx, KERN_TXBUF);
	if (n < 0)
		return -errno;

	while (!done) {
		n = mnl_socket_recvfrom(k->nl, k->rx, KERN_RXBUF);
		if (n < 0) {
			int e = errno;

			return e == EAGAIN || e == EWOULDBLOCK ? -ETIMEDOUT : -e;
		}
		int left = (int)n;
		const struct nlmsghdr *m = (const struct nlmsghdr *)k->rx;

		for (; mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
			if (m->nlmsg_seq != seq || (m->nlmsg_pid && m->nlmsg_pid != k->portid))
				continue;	/* a late reply to a timed-out request */
			if (m->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			if (m->nlmsg_type == NLMSG_ERROR) {
				int e = kern_parse_error(k, m);

				if (e && !ret)
					ret = e;
				done = 1;
				break;
			}
			if (m->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (m->nlmsg_type < NLMSG_MIN_TYPE)
				continue;	/* NOOP / OVERRUN */
			if (cb && !ret) {
				int e = cb(m, arg);

				if (e < 0)
					ret = e;
			}
		}
		sodium_memzero(k->rx, (size_t)n);
	}
	if (!ret && intr)
		ret = -EINTR;
	return ret;
}

/* ---- open / close ----------------------------------------------------------- */

/* Open one NETLINK_XFRM socket with SOCK_CLOEXEC (libmnl's _open2). */
static struct mnl_socket *kern_sock(unsigned int groups, int *err)
{
	struct mnl_socket *s = mnl_socket_open2(NETLINK_XFRM, SOCK_CLOEXEC);
	int one = 1;

	if (!s) {
		*err = -errno;
		return NULL;
	}
	if (mnl_socket_bind(s, groups, MNL_SOCKET_AUTOPID) < 0) {
		*err = -errno;
		mnl_socket_close(s);
		return NULL;
	}
	/* both optional: older kernels just lack the error text */
	(void)mnl_socket_setsockopt(s, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(s, NETLINK_CAP_ACK, &one, sizeof(one));
	return s;
}

/* See kern.h. */
int kern_open(struct kern **out)
{
	return kern_open_channel(out, true);
}

/* See kern.h. */
int kern_open_channel(struct kern **out, bool events)
{
	struct kern *k;
	struct timeval tv = { .tv_sec = KERN_REPLY_TIMEOUT_S };
	int err = 0, fd, sz = KERN_EV_RCVBUF;

	*out = NULL;
	if (sodium_init() < 0)
		return -ENOMEM;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->tx = sodium_malloc(KERN_TXBUF);
	k->rx = sodium_malloc(KERN_RXBUF);
	if (!k->tx || !k->rx) {
		err = -ENOMEM;
		goto fail;
	}
	k->nl = kern_sock(0, &err);
	if (!k->nl)
		goto fail;
	k->portid = mnl_socket_get_portid(k->nl);
	fd = mnl_socket_get_fd(k->nl);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		err = -errno;
		goto fail;
	}
	if (events) {
		k->ev = kern_sock(1u << (XFRMNLGRP_EXPIRE - 1), &err);
		if (!k->ev)
			goto fail;
		fd = mnl_socket_get_fd(k->ev);
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
			(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		int fl = fcntl(fd, F_GETFL);

		if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
			err = -errno;
			goto fail;
		}
	}
	k->rt = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!k->rt || mnl_socket_bind(k->rt, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(k->rt), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		err = -errno;
		goto fail;
	}
	k->seq = (uint32_t)randombytes_random();
	k->rt_seq = (uint32_t)randombytes_random();
	*out = k;
	return 0;
fail:
	kern_close(k);
	return err ? err : -EIO;
}

/* See kern.h. */
void kern_close(struct kern *k)
{
	if (!k)
		return;
	if (k->nl)
		mnl_socket_close(k->nl);
	if (k->ev)
		mnl_socket_close(k->ev);
	if (k->rt)
		mnl_socket_close(k->rt);
	sodium_free(k->tx);	/* sodium_free wipes */
	sodium_free(k->rx);
	free(k);
}

/* See kern.h. */
const char *kern_last_error(const struct kern *k)
{
	return k->err;
}

/* See kern_int.h. */
struct mnl_socket *kern_rt_sock(struct kern *k)
{
	return k->rt;
}

/* See kern_int.h. */
uint32_t *kern_rt_seq(struct kern *k)
{
	return &k->rt_seq;
}

/* See kern.h. */
int kern_event_fd(const struct kern *k)
{
	return k->ev ? mnl_socket_get_fd(k->ev) : -1;
}

/* ---- SPI allocation ---------------------------------------------------------- */

struct kern_spi_reply {
	uint32_t spi;
	bool got;
};

/* ALLOCSPI answers with XFRM_MSG_NEWSA holding the larval state. */
static int kern_spi_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct kern_spi_reply *r = arg;
	struct xfrm_usersa_info p;

	if (nlh->nlmsg_type != XFRM_MSG_NEWSA || mnl_nlmsg_get_payload_len(nlh) < sizeof(p))
		return -EBADMSG;
	memcpy(&p, mnl_nlmsg_get_payload(nlh), sizeof(p));
	r->spi = ntohl(p.id.spi);
	r->got = true;
	return 0;
}

/* See kern.h. */
int kern_spi_alloc(struct kern *k, const struct kern_addr *peer,
		   const struct kern_addr *us, uint32_t reqid, uint32_t *spi)
{
	struct xfrm_userspi_info *u;
	struct nlmsghdr *nlh;
	struct kern_spi_reply r = { 0, false };
	int err;

	if (!kern_alen(peer->family) || peer->family != us->family)
		return -EINVAL;
	if (!kern_reqid_ours(reqid))
		return -ERANGE;
	nlh = kern_msg(k, XFRM_MSG_ALLOCSPI, 0, sizeof(*u), (void **)&u);
	kern_put_xaddr(&u->info.id.daddr, us);
	kern_put_xaddr(&u->info.saddr, peer);
	u->info.id.proto = IPPROTO_ESP;
	u->info.family = (uint16_t)us->family;
	u->info.mode = XFRM_MODE_TUNNEL;
	u->info.reqid = reqid;
	u->min = KERN_SPI_MIN;
	u->max = KERN_SPI_MAX;
	err = kern_talk(k, nlh, kern_spi_cb, &r);
	if (err)
		return err;
	if (!r.got || r.spi < KERN_SPI_MIN || r.spi > KERN_SPI_MAX)
		return -EBADMSG;
	*spi = r.spi;
	return 0;
}

/* ---- SAs ------------------------------------------------------------------ */

/* Kernel algorithm names and key/ICV sizes for one kern_sa (see kern.h). */
struct kern_alg {
	bool aead;
	const char *encr_name;
	size_t encr_key_len;		/* bytes, AEAD: incl. salt */
	unsigned int icv_bits;		/* AEAD */
	const char *integ_name;
	size_t integ_key_len;
	unsigned int trunc_bits;
};

/* Map IANA transform IDs to kernel names; validates key lengths. */
static int kern_alg_lookup(const struct kern_sa *sa, struct kern_alg *a)
{
	memset(a, 0, sizeof(*a));
	switch (sa->encr) {
	case IKE_ENCR_AES_GCM_8:
	case IKE_ENCR_AES_GCM_12:
	case IKE_ENCR_AES_GCM_16:
		if (sa->encr_keybits != 128 && sa->encr_keybits != 192 &&
		    sa->encr_keybits != 256)
			return -EINVAL;
		a->aead = true;
		a->encr_name = "rfc4106(gcm(aes))";
		a->encr_key_len = sa->encr_keybits / 8 + 4;	/* RFC 4106 8.1 */
		a->icv_bits = sa->encr == IKE_ENCR_AES_GCM_8 ? 64 :
			      sa->encr == IKE_ENCR_AES_GCM_12 ? 96 : 128;
		if (sa->integ != IKE_INTEG_NONE || sa->integ_key_len)
			return -EINVAL;		/* RFC 4106 8.4: no separate ICV */
		break;
	case IKE_ENCR_AES_CBC:
		if (sa->encr_keybits != 128 && sa->encr_keybits != 192 &&
		    sa->encr_keybits != 256)
			return -EINVAL;
		a->encr_name = "cbc(aes)";
		a->encr_key_len = sa->encr_keybits / 8;
		break;
	case IKE_ENCR_3DES:
		if (sa->encr_keybits != 0 && sa->encr_keybits != 192)
			return -EINVAL;
		a->encr_name = "cbc(des3_ede)";
		a->encr_key_len = 24;
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (sa->encr_key_len != a->encr_key_len || !sa->encr_key)
		return -EINVAL;
	if (a->aead)
		return 0;
	switch (sa->integ) {
	case IKE_INTEG_HMAC_SHA1_96:
		a->integ_name = "hmac(sha1)", a->integ_key_len = 20, a->trunc_bits = 96;
		break;
	case IKE_INTEG_HMAC_SHA2_256_128:
		a->integ_name = "hmac(sha256)", a->integ_key_len = 32, a->trunc_bits = 128;
		break;
	case IKE_INTEG_HMAC_SHA2_384_192:
		a->integ_name = "hmac(sha384)", a->integ_key_len = 48, a->trunc_bits = 192;
		break;
	case IKE_INTEG_HMAC_SHA2_512_256:
		a->integ_name = "hmac(sha512)", a->integ_key_len = 64, a->trunc_bits = 256;
		break;
	case IKE_INTEG_NONE:
		return -EINVAL;		/* ESP without integrity: refused */
	default:
		return -EOPNOTSUPP;
	}
	if (sa->integ_key_len != a->integ_key_len || !sa->integ_key)
		return -EINVAL;
	return 0;
}

/* Check the parts of a kern_sa that do not depend on the algorithm. */
static int kern_sa_check(const struct kern_sa *sa)
{
	if (!kern_alen(sa->src.family) || sa->src.family != sa->dst.family)
		return -EINVAL;
	if (!kern_reqid_ours(sa->reqid))
		return -ERANGE;
	if (sa->spi < 256)		/* RFC 4303 2.1: 0..255 reserved */
		return -EINVAL;
	if (sa->replay_window > KERN_MAX_REPLAY)
		return -EINVAL;
	if ((sa->encap_sport == 0) != (sa->encap_dport == 0))
		return -EINVAL;
	return 0;
}

/* Replay / lifetime state carried over by kern_sa_move(). */
struct kern_ae {
	bool have_ltime, have_replay, have_esn;
	struct xfrm_lifetime_cur ltime;
	struct xfrm_replay_state replay;
	uint8_t esn[sizeof(struct xfrm_replay_state_esn) + KERN_MAX_REPLAY / 8];
	size_t esn_len;
};

/*
 * Build the NEWSA/UPDSA message for sa into k->tx (type: the message type).
 * ae, when not NULL, supplies the replay state and counters to restore.
 */
static int kern_sa_build(struct kern *k, const struct kern_sa *sa, uint16_t type,
			 const struct kern_ae *ae, struct nlmsghdr **out)
{
	struct kern_alg alg;
	struct xfrm_usersa_info *p;
	struct nlmsghdr *nlh;
	bool esn_attr = sa->esn || sa->replay_window > 32;
	int err;

	err = kern_sa_check(sa);
	if (!err)
		err = kern_alg_lookup(sa, &alg);
	if (err)
		return err;
	nlh = kern_msg(k, type, 0, sizeof(*p), (void **)&p);
	/* tunnel mode, selector family unspecified: one SA carries IPv4 and
	 * IPv6 inner packets (the policies do the selecting) */
	p->flags = XFRM_STATE_AF_UNSPEC | (sa->esn ? XFRM_STATE_ESN : 0);
	kern_put_xaddr(&p->id.daddr, &sa->dst);
	p->id.spi = htonl(sa->spi);
	p->id.proto = IPPROTO_ESP;
	kern_put_xaddr(&p->saddr, &sa->src);
	p->family = (uint16_t)sa->dst.family;
	p->mode = XFRM_MODE_TUNNEL;
	p->reqid = sa->reqid;
	p->replay_window = esn_attr ? 0 : (uint8_t)sa->replay_window;
	p->lft.soft_byte_limit = kern_lim(sa->lt.soft_bytes);
	p->lft.hard_byte_limit = kern_lim(sa->lt.hard_bytes);
	p->lft.soft_packet_limit = kern_lim(sa->lt.soft_packets);
	p->lft.hard_packet_limit = kern_lim(sa->lt.hard_packets);
	p->lft.soft_add_expires_seconds = sa->lt.soft_secs;
	p->lft.hard_add_expires_seconds = sa->lt.hard_secs;

	if (alg.aead) {
		struct xfrm_algo_aead h;

		memset(&h, 0, sizeof(h));
		snprintf(h.alg_name, sizeof(h.alg_name), "%s", alg.encr_name);
		h.alg_key_len = (unsigned int)alg.encr_key_len * 8;
		h.alg_icv_len = alg.icv_bits;
		err = kern_attr2(nlh, XFRMA_ALG_AEAD, &h, sizeof(h), sa->encr_key, alg.encr_key_len);
	} else {
		struct xfrm_algo c;
		struct xfrm_algo_auth a;

		memset(&c, 0, sizeof(c));
		snprintf(c.alg_name, sizeof(c.alg_name), "%s", alg.encr_name);
		c.alg_key_len = (unsigned int)alg.encr_key_len * 8;
		err = kern_attr2(nlh, XFRMA_ALG_CRYPT, &c, sizeof(c), sa->encr_key, alg.encr_key_len);
		memset(&a, 0, sizeof(a));
		snprintf(a.alg_name, sizeof(a.alg_name), "%s", alg.integ_name);
		a.alg_key_len = (unsigned int)alg.integ_key_len * 8;
		a.alg_trunc_len = alg.trunc_bits;
		if (!err)
			err = kern_attr2(nlh, XFRMA_ALG_AUTH_TRUNC, &a, sizeof(a),
					 sa->integ_key, alg.integ_key_len);
	}
	if (!err && sa->encap_sport) {
		struct xfrm_encap_tmpl e;

		memset(&e, 0, sizeof(e));
		e.encap_type = UDP_ENCAP_ESPINUDP;	/* RFC 3948 */
		e.encap_sport = htons(sa->encap_sport);
		e.encap_dport = htons(sa->encap_dport);
		err = kern_attr(nlh, XFRMA_ENCAP, &e, sizeof(e));
	}
	if (!err && ae && ae->have_esn && esn_attr) {
		err = kern_attr(nlh, XFRMA_REPLAY_ESN_VAL, ae->esn, ae->esn_len);
	} else if (!err && esn_attr) {
		struct xfrm_replay_state_esn r;
		/* the kernel refuses ESN with a zero window, also outbound */
		uint32_t w = sa->esn && !sa->replay_window ? 32 : sa->replay_window;
		uint32_t words = (w + 31) / 32;
		static const uint32_t zero[KERN_MAX_REPLAY / 32];

		memset(&r, 0, sizeof(r));
		r.bmp_len = words;
		r.replay_window = w;
		err = kern_attr2(nlh, XFRMA_REPLAY_ESN_VAL, &r, sizeof(r), zero, words * 4u);
	} else if (!err && ae && ae->have_replay) {
		err = kern_attr(nlh, XFRMA_REPLAY_VAL, &ae->replay, sizeof(ae->replay));
	}
	if (!err && ae && ae->have_ltime)
		err = kern_attr(nlh, XFRMA_LTIME_VAL, &ae->ltime, sizeof(ae->ltime));
	if (err) {
		sodium_memzero(k->tx, KERN_TXBUF);
		return err;
	}
	*out = nlh;
	return 0;
}

/* See kern.h. */
int kern_sa_add(struct kern *k, const struct kern_sa *sa)
{
	struct nlmsghdr *nlh;
	int err;

	k->err[0] = '\0';
	err = kern_sa_build(k, sa, sa->from_alloc ? XFRM_MSG_UPDSA : XFRM_MSG_NEWSA, NULL, &nlh);
	if (err)
		return err;
	err = kern_talk(k, nlh, NULL, NULL);
	if (err == -ESRCH && sa->from_alloc) {
		/* the larval state expired (xfrm_acq_expires): add afresh */
		err = kern_sa_build(k, sa, XFRM_MSG_NEWSA, NULL, &nlh);
		if (!err)
			err = kern_talk(k, nlh, NULL, NULL);
	}
	return err;
}


/* Build a DELSA / GETAE-style SA id. */
static void kern_sa_id(struct xfrm_usersa_id *id, const struct kern_addr *dst, uint32_t spi)
{
	kern_put_xaddr(&id->daddr, dst);
	id->spi = htonl(spi);
	id->family = (uint16_t)dst->family;
	id->proto = IPPROTO_ESP;
}

/* See kern.h. */
int kern_sa_del(struct kern *k, const struct kern_addr *dst, uint32_t spi)
{
	struct xfrm_usersa_id *id;
	struct nlmsghdr *nlh;

	if (!kern_alen(dst->family))
		return -EINVAL;
	nlh = kern_msg(k, XFRM_MSG_DELSA, 0, sizeof(*id), (void **)&id);
	kern_sa_id(id, dst, spi);
	return kern_talk(k, nlh, NULL, NULL);
}

/* mnl_attr_parse callback of a NEWAE reply: the attributes we use, each
 * length-checked before it is copied. */
static int kern_ae_attr(const struct nlattr *a, void *data)
{
	struct kern_ae *ae = data;
	uint16_t type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, XFRMA_MAX) < 0)
		return MNL_CB_OK;	/* newer kernel: skip */
	switch (type) {
	case XFRMA_LTIME_VAL:
		if (mnl_attr_validate2(a, MNL_TYPE_BINARY, sizeof(ae->ltime)) < 0)
			return MNL_CB_ERROR;
		memcpy(&ae->ltime, mnl_attr_get_payload(a), sizeof(ae->ltime));
		ae->have_ltime = true;
		break;
	case XFRMA_REPLAY_VAL:
		if (mnl_attr_validate2(a, MNL_TYPE_BINARY, sizeof(ae->replay)) < 0)
			return MNL_CB_ERROR;
		memcpy(&ae->replay, mnl_attr_get_payload(a), sizeof(ae->replay));
		ae->have_replay = true;
		break;
	case XFRMA_REPLAY_ESN_VAL: {
		struct xfrm_replay_state_esn r;
		size_t len = mnl_attr_get_payload_len(a);

		if (len < sizeof(r))
			return MNL_CB_ERROR;
		memcpy(&r, mnl_attr_get_payload(a), sizeof(r));
		if (r.bmp_len > KERN_MAX_REPLAY / 32 ||
		    len != sizeof(r) + (size_t)r.bmp_len * 4 || len > sizeof(ae->esn))
			return MNL_CB_ERROR;
		memcpy(ae->esn, mnl_attr_get_payload(a), len);
		ae->esn_len = len;
		ae->have_esn = true;
		break;
	}
	default:
		break;
	}
	return MNL_CB_OK;
}

/* GETAE reply: XFRM_MSG_NEWAE, struct xfrm_aevent_id then attributes. */
static int kern_ae_cb(const struct nlmsghdr *nlh, void *arg)
{
	if (nlh->nlmsg_type != XFRM_MSG_NEWAE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct xfrm_aevent_id))
		return -EBADMSG;
	if (mnl_attr_parse(nlh, sizeof(struct xfrm_aevent_id), kern_ae_attr, arg) != MNL_CB_OK)
		return -EBADMSG;
	return 0;
}

/* Read the replay state and counters of SA (dst, spi) (XFRM_MSG_GETAE). */
static int kern_get_ae(struct kern *k, const struct kern_addr *dst, uint32_t spi,
		       struct kern_ae *ae)
{
	struct xfrm_aevent_id *id;
	struct nlmsghdr *nlh;
	int err;

	if (!kern_alen(dst->family))
		return -EINVAL;
	memset(ae, 0, sizeof(*ae));
	nlh = kern_msg(k, XFRM_MSG_GETAE, 0, sizeof(*id), (void **)&id);
	kern_sa_id(&id->sa_id, dst, spi);
	id->flags = XFRM_AE_RVAL | XFRM_AE_LVAL;
	err = kern_talk(k, nlh, kern_ae_cb, ae);
	if (!err && !ae->have_ltime)
		err = -EBADMSG;
	return err;
}

/* See kern.h. */
int kern_sa_stats(struct kern *k, const struct kern_addr *dst, uint32_t spi,
		  struct kern_sa_stats *st)
{
	struct kern_ae ae;
	int err = kern_get_ae(k, dst, spi, &ae);

	if (err)
		return err;
	st->bytes = ae.ltime.bytes;
	st->packets = ae.ltime.packets;
	st->add_time = ae.ltime.add_time;
	st->use_time = ae.ltime.use_time;
	return 0;
}

/* See kern.h. */
int kern_sa_move(struct kern *k, const struct kern_addr *old_dst,
		 const struct kern_sa *sa)
{
	struct kern_ae ae;
	struct nlmsghdr *nlh;
	struct kern_alg alg;
	int err;

	err = kern_sa_check(sa);
	if (!err)
		err = kern_alg_lookup(sa, &alg);	/* refuse before deleting */
	if (!err)
		err = kern_get_ae(k, old_dst, sa->spi, &ae);
	if (err)
		return err;
	err = kern_sa_del(k, old_dst, sa->spi);
	if (err)
		return err;
	err = kern_sa_build(k, sa, XFRM_MSG_NEWSA, &ae, &nlh);
	if (!err)
		err = kern_talk(k, nlh, NULL, NULL);
	sodium_memzero(&ae, sizeof(ae));
	return err;
}

/* ---- policies ------------------------------------------------------------- */

/* A port range as one value/mask pair (host order in, network order out). */
static int kern_port_mask(uint16_t lo, uint16_t hi, uint16_t *port, uint16_t *mask)
{
	uint32_t size;

	if (lo > hi)
		return -EINVAL;
	if (lo == 0 && hi == UINT16_MAX) {
		*port = 0;
		*mask = 0;
		return 0;
	}
	size = (uint32_t)hi - lo + 1;
	if (size & (size - 1) || lo & (size - 1))
		return -EOPNOTSUPP;
	*port = htons(lo);
	*mask = htons((uint16_t)~(size - 1));
	return 0;
}

/* Copy addr masked to prefix bits into x. */
static void kern_put_prefix(xfrm_address_t *x, const struct kern_ts *t)
{
	uint8_t b[16];
	size_t n = kern_alen(t->family);

	memcpy(b, t->addr, n);
	for (size_t i = 0; i < n; i++) {
		unsigned int keep = t->prefix > i * 8 ? t->prefix - (unsigned int)i * 8 : 0;

		if (keep < 8)
			b[i] &= (uint8_t)(0xff00u >> keep);
	}
	memset(x, 0, sizeof(*x));
	memcpy(x, b, n);
}

/*
 * The selector of src -> dst and the priority that goes with it (more
 * specific = lower value = looked up first).  Returns 0 or -EINVAL /
 * -EOPNOTSUPP for a TS the kernel cannot express.
 */
static int kern_selector(struct xfrm_selector *sel, uint32_t *prio,
			 const struct kern_ts *src, const struct kern_ts *dst)
{
	unsigned int bits = src->family == AF_INET ? 32 : 128, scale = 128 / bits;
	uint16_t sp, spm, dp, dpm;
	int err;

	if (!kern_alen(src->family) || src->family != dst->family ||
	    src->prefix > bits || dst->prefix > bits)
		return -EINVAL;
	if (src->proto && dst->proto && src->proto != dst->proto)
		return -EINVAL;
	err = kern_port_mask(src->port_lo, src->port_hi, &sp, &spm);
	if (!err)
		err = kern_port_mask(dst->port_lo, dst->port_hi, &dp, &dpm);
	if (err)
		return err;
	if (!src->proto && !dst->proto && (spm || dpm))
		return -EINVAL;		/* ports without a protocol */
	memset(sel, 0, sizeof(*sel));
	kern_put_prefix(&sel->saddr, src);
	kern_put_prefix(&sel->daddr, dst);
	sel->sport = sp;
	sel->sport_mask = spm;
	sel->dport = dp;
	sel->dport_mask = dpm;
	sel->family = (uint16_t)src->family;
	sel->prefixlen_s = src->prefix;
	sel->prefixlen_d = dst->prefix;
	sel->proto = src->proto ? src->proto : dst->proto;
	*prio = KERN_PRIO_BASE +
		((128 - src->prefix * scale) + (128 - dst->prefix * scale)) * 4 +
		(sel->proto ? 0 : 2) + (spm || dpm ? 0 : 1);
	return 0;
}

/* One NEWPOLICY / UPDPOLICY. */
static int kern_policy_one(struct kern *k, uint16_t type, uint8_t dir,
			   const struct xfrm_selector *sel, uint32_t prio,
			   const struct kern_addr *tsrc, const struct kern_addr *tdst,
			   uint32_t reqid)
{
	struct xfrm_userpolicy_info *p;
	struct xfrm_user_tmpl t;
	struct nlmsghdr *nlh;
	int err;

	nlh = kern_msg(k, type, 0, sizeof(*p), (void **)&p);
	p->sel = *sel;
	p->lft.soft_byte_limit = XFRM_INF;
	p->lft.hard_byte_limit = XFRM_INF;
	p->lft.soft_packet_limit = XFRM_INF;
	p->lft.hard_packet_limit = XFRM_INF;
	p->priority = prio;
	p->dir = dir;
	p->action = XFRM_POLICY_ALLOW;
	p->share = XFRM_SHARE_ANY;
	memset(&t, 0, sizeof(t));
	kern_put_xaddr(&t.id.daddr, tdst);
	t.id.proto = IPPROTO_ESP;
	t.family = (uint16_t)tdst->family;
	kern_put_xaddr(&t.saddr, tsrc);
	t.reqid = reqid;
	t.mode = XFRM_MODE_TUNNEL;
	t.aalgos = t.ealgos = t.calgos = ~0u;
	err = kern_attr(nlh, XFRMA_TMPL, &t, sizeof(t));
	if (err)
		return err;
	return kern_talk(k, nlh, NULL, NULL);
}

/* One DELPOLICY by selector and direction. */
static int kern_policy_del_one(struct kern *k, uint8_t dir, const struct xfrm_selector *sel)
{
	struct xfrm_userpolicy_id *id;
	struct nlmsghdr *nlh;

	nlh = kern_msg(k, XFRM_MSG_DELPOLICY, 0, sizeof(*id), (void **)&id);
	id->sel = *sel;
	id->dir = dir;
	return kern_talk(k, nlh, NULL, NULL);
}

/* Selectors and priorities of a kern_policy: [0] out, [1] in/fwd. */
static int kern_policy_sels(const struct kern_policy *p, struct xfrm_selector sel[2],
			    uint32_t prio[2])
{
	int err;

	if (!kern_alen(p->local_outer.family) ||
	    p->local_outer.family != p->remote_outer.family)
		return -EINVAL;
	if (!kern_reqid_ours(p->reqid))
		return -ERANGE;
	err = kern_selector(&sel[0], &prio[0], &p->local, &p->remote);
	if (!err)
		err = kern_selector(&sel[1], &prio[1], &p->remote, &p->local);
	return err;
}

/* Add (NEWPOLICY) or replace (UPDPOLICY) the three policies of p. */
static int kern_policy_set(struct kern *k, const struct kern_policy *p, uint16_t type)
{
	static const uint8_t dirs[3] = { XFRM_POLICY_OUT, XFRM_POLICY_IN, XFRM_POLICY_FWD };
	struct xfrm_selector sel[2];
	uint32_t prio[2];
	int err, i;

	k->err[0] = '\0';
	err = kern_policy_sels(p, sel, prio);
	if (err)
		return err;
	for (i = 0; i < 3; i++) {
		int s = dirs[i] == XFRM_POLICY_OUT ? 0 : 1;
		const struct kern_addr *ts = s ? &p->remote_outer : &p->local_outer;
		const struct kern_addr *td = s ? &p->local_outer : &p->remote_outer;

		err = kern_policy_one(k, type, dirs[i], &sel[s], prio[s], ts, td, p->reqid);
		if (err)
			break;
	}
	if (err && type == XFRM_MSG_NEWPOLICY) {
		char saved[KERN_ERRMSG_MAX];

		memcpy(saved, k->err, sizeof(saved));
		while (--i >= 0)
			(void)kern_policy_del_one(k, dirs[i], &sel[dirs[i] == XFRM_POLICY_OUT ? 0 : 1]);
		memcpy(k->err, saved, sizeof(saved));
	}
	return err;
}

/* See kern.h. */
int kern_policy_add(struct kern *k, const struct kern_policy *p)
{
	return kern_policy_set(k, p, XFRM_MSG_NEWPOLICY);
}

/* See kern.h. */
int kern_policy_update(struct kern *k, const struct kern_policy *p)
{
	return kern_policy_set(k, p, XFRM_MSG_UPDPOLICY);
}

/* See kern.h. */
int kern_policy_del(struct kern *k, const struct kern_policy *p)
{
	struct xfrm_selector sel[2];
	uint32_t prio[2];
	int err, ret = 0;

	err = kern_policy_sels(p, sel, prio);
	if (err)
		return err;
	err = kern_policy_del_one(k, XFRM_POLICY_OUT, &sel[0]);
	ret = err;
	err = kern_policy_del_one(k, XFRM_POLICY_IN, &sel[1]);
	if (!ret)
		ret = err;
	err = kern_policy_del_one(k, XFRM_POLICY_FWD, &sel[1]);
	if (!ret)
		ret = err;
	return ret;
}

/* ---- flush / count ------------------------------------------------------------ */

/* What a dump found that is ours, to delete after the dump ended (the
 * socket cannot take requests in the middle of a dump). */
struct kern_victim {
	bool policy;
	uint8_t dir;
	uint8_t proto;
	uint32_t spi;		/* network order */
	uint16_t family;
	xfrm_address_t daddr;
	struct xfrm_selector sel;
};

struct kern_victims {
	struct kern_victim *v;
	size_t n, cap;
	int err;
};

/* Append one victim (bounded by KERN_MAX_FLUSH). */
static int kern_victim_push(struct kern_victims *vs, const struct kern_victim *v)
{
	if (vs->n == vs->cap) {
		size_t cap = vs->cap ? vs->cap * 2 : 64;
		struct kern_victim *nv;

		if (cap > KERN_MAX_FLUSH)
			return -E2BIG;
		nv = realloc(vs->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		vs->v = nv;
		vs->cap = cap;
	}
	vs->v[vs->n++] = *v;
	return 0;
}

struct kern_pol_attrs {
	size_t n_tmpl, n_ours;
	bool foreign;		/* mark, if_id, sub policy type, security ctx */
};

/* Attributes of a dumped policy: templates (an array of xfrm_user_tmpl),
 * and anything that says it is not one of ours. */
static int kern_pol_attr(const struct nlattr *a, void *data)
{
	struct kern_pol_attrs *pa = data;

	switch (mnl_attr_get_type(a)) {
	case XFRMA_TMPL: {
		size_t len = mnl_attr_get_payload_len(a);
		const uint8_t *p = mnl_attr_get_payload(a);
		struct xfrm_user_tmpl t;

		if (len % sizeof(t) || len / sizeof(t) > KERN_MAX_TMPL)
			return MNL_CB_ERROR;
		for (size_t off = 0; len - off >= sizeof(t); off += sizeof(t)) {
			memcpy(&t, p + off, sizeof(t));
			pa->n_tmpl++;
			if (kern_reqid_ours(t.reqid))
				pa->n_ours++;
		}
		break;
	}
	case XFRMA_POLICY_TYPE: {
		struct xfrm_userpolicy_type pt;

		if (mnl_attr_validate2(a, MNL_TYPE_BINARY, sizeof(pt)) < 0)
			return MNL_CB_ERROR;
		memcpy(&pt, mnl_attr_get_payload(a), sizeof(pt));
		if (pt.type != XFRM_POLICY_TYPE_MAIN)
			pa->foreign = true;
		break;
	}
	case XFRMA_MARK:
	case XFRMA_SEC_CTX:
	case XFRMA_IF_ID:
		pa->foreign = true;
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

/* A dumped policy: ours when in our priority band, of the main type, without
 * mark/if_id/security context, and all its templates carry our reqids. */
static int kern_pol_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct kern_victims *vs = arg;
	struct xfrm_userpolicy_info p;
	struct kern_pol_attrs pa = { 0, 0, false };
	struct kern_victim v;

	if (nlh->nlmsg_type != XFRM_MSG_NEWPOLICY)
		return 0;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(p))
		return -EBADMSG;
	memcpy(&p, mnl_nlmsg_get_payload(nlh), sizeof(p));
	if (p.dir >= XFRM_POLICY_MAX || !kern_prio_ours(p.priority))
		return 0;	/* socket policies, foreign bands */
	if (mnl_attr_parse(nlh, sizeof(p), kern_pol_attr, &pa) != MNL_CB_OK)
		return -EBADMSG;
	if (pa.foreign || pa.n_tmpl == 0 || pa.n_ours != pa.n_tmpl)
		return 0;
	memset(&v, 0, sizeof(v));
	v.policy = true;
	v.dir = p.dir;
	v.sel = p.sel;
	return kern_victim_push(vs, &v);
}

/* mnl_attr_parse callback: does a dumped state carry a mark or if_id? */
static int kern_sa_foreign_attr(const struct nlattr *a, void *data)
{
	bool *foreign = data;
	uint16_t t = mnl_attr_get_type(a);

	if (t == XFRMA_MARK || t == XFRMA_IF_ID)
		*foreign = true;
	return MNL_CB_OK;
}

/* A dumped state: ours when its reqid is in our range (and no mark/if_id).
 * Kernel-made ACQUIRE states (SPI 0) cannot be deleted by id; they expire
 * by themselves (net.core.xfrm_acq_expires) and are skipped. */
static int kern_sa_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct kern_victims *vs = arg;
	struct xfrm_usersa_info p;
	struct kern_victim v;
	bool foreign = false;

	if (nlh->nlmsg_type != XFRM_MSG_NEWSA)
		return 0;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(p))
		return -EBADMSG;
	memcpy(&p, mnl_nlmsg_get_payload(nlh), sizeof(p));
	if (!kern_reqid_ours(p.reqid) || p.id.spi == 0)
		goto out;
	if (mnl_attr_parse(nlh, sizeof(p), kern_sa_foreign_attr, &foreign) != MNL_CB_OK)
		foreign = true;
	if (foreign)
		goto out;
	memset(&v, 0, sizeof(v));
	v.daddr = p.id.daddr;
	v.spi = p.id.spi;
	v.proto = p.id.proto;
	v.family = p.family;
	sodium_memzero(&p, sizeof(p));
	return kern_victim_push(vs, &v);
out:
	sodium_memzero(&p, sizeof(p));
	return 0;
}

/* Dump states (policy = false) or policies and collect ours into vs,
 * restarting an interrupted dump a few times. */
static int kern_collect(struct kern *k, bool policy, struct kern_victims *vs)
{
	int err = -EINTR;

	for (int tries = 0; tries < KERN_DUMP_RETRIES && err == -EINTR; tries++) {
		struct nlmsghdr *nlh;
		void *fixed;

		vs->n = 0;
		if (policy)
			nlh = kern_msg(k, XFRM_MSG_GETPOLICY, NLM_F_DUMP, 0, &fixed);
		else
			nlh = kern_msg(k, XFRM_MSG_GETSA, NLM_F_DUMP, 0, &fixed);
		(void)fixed;
		err = kern_talk(k, nlh, policy ? kern_pol_dump_cb : kern_sa_dump_cb, vs);
	}
	return err;
}

/* Delete one collected victim; a vanished one (-ENOENT/-ESRCH) is fine. */
static int kern_victim_del(struct kern *k, const struct kern_victim *v)
{
	struct nlmsghdr *nlh;
	int err;

	if (v->policy) {
		err = kern_policy_del_one(k, v->dir, &v->sel);
	} else {
		struct xfrm_usersa_id *id;

		nlh = kern_msg(k, XFRM_MSG_DELSA, 0, sizeof(*id), (void **)&id);
		id->daddr = v->daddr;
		id->spi = v->spi;
		id->family = v->family;
		id->proto = v->proto;
		err = kern_talk(k, nlh, NULL, NULL);
	}
	return err == -ENOENT || err == -ESRCH ? 1 : err;
}

/* Collect (and, when del, delete) our states and policies. */
static int kern_walk_ours(struct kern *k, bool del, struct kern_flush_stats *st)
{
	struct kern_victims vs = { NULL, 0, 0, 0 };
	struct kern_flush_stats tmp = { 0, 0 };
	int ret = 0;

	/* policies first: once they are gone no packet needs the SAs */
	for (int pass = 0; pass < 2; pass++) {
		bool policy = pass == 0;
		int err = kern_collect(k, policy, &vs);

		if (err) {
			ret = err;
			break;
		}
		for (size_t i = 0; i < vs.n; i++) {
			int e = del ? kern_victim_del(k, &vs.v[i]) : 0;

			if (e < 0) {
				if (!ret)
					ret = e;
				continue;
			}
			if (e == 0) {
				if (policy)
					tmp.policies++;
				else
					tmp.states++;
			}
		}
	}
	free(vs.v);
	if (del) {
		int r = kern_route_flush_ours(k, true);

		if (r < 0 && !ret)
			ret = r;
	}
	if (st)
		*st = tmp;
	return ret;
}

/* See kern.h. */
int kern_flush_ours(struct kern *k, struct kern_flush_stats *st)
{
	return kern_walk_ours(k, true, st);
}

/* See kern.h. */
int kern_count_ours(struct kern *k, struct kern_flush_stats *st)
{
	return kern_walk_ours(k, false, st);
}

/* ---- events ------------------------------------------------------------------ */

/* See kern.h. */
int kern_events_read(struct kern *k, kern_expire_cb cb, void *arg)
{
	int delivered = 0, ret = 0;

	if (!k->ev)
		return -ENOTCONN;
	for (int i = 0; i < KERN_EV_BATCH; i++) {
		ssize_t n = recv(mnl_socket_get_fd(k->ev), k->rx, KERN_RXBUF, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				ret = -ENOBUFS;	/* events were lost; keep draining */
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK && !ret)
				ret = -errno;
			break;
		}
		int left = (int)n;
		const struct nlmsghdr *m = (const struct nlmsghdr *)k->rx;

		for (; mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
			struct xfrm_user_expire e;
			struct kern_expire ev;

			if (m->nlmsg_type != XFRM_MSG_EXPIRE ||
			    mnl_nlmsg_get_payload_len(m) < sizeof(e))
				continue;
			memcpy(&e, mnl_nlmsg_get_payload(m), sizeof(e));
			if (!kern_reqid_ours(e.state.reqid) || e.state.id.proto != IPPROTO_ESP ||
			    !kern_alen(e.state.family))
				continue;
			memset(&ev, 0, sizeof(ev));
			kern_get_xaddr(&ev.src, &e.state.saddr, e.state.family);
			kern_get_xaddr(&ev.dst, &e.state.id.daddr, e.state.family);
			ev.spi = ntohl(e.state.id.spi);
			ev.reqid = e.state.reqid;
			ev.hard = e.hard != 0;
			cb(&ev, arg);
			delivered++;
		}
		sodium_memzero(k->rx, (size_t)n);
	}
	return ret ? ret : delivered;
}
