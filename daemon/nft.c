/*
 * nft.c — ragd's nftables table (see nft.h).  The table itself is text
 * from nft_compile.c run through libnftables (one transaction); virtual IP
 * registrations are element adds/deletes sent as one nf_tables batch with
 * libnftnl on our own netlink socket, because libnftables would first dump
 * every chain and set of the table into its cache (milliseconds per
 * connect with thousands of class chains; microseconds this way).  This
 * file also keeps the registry of virtual IPs and reads the suppression
 * counters back.
 */
#include "nft.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <nftables/libnftables.h>
#include <poll.h>
#include <sys/un.h>

#include "nft_compile.h"

/* One virtual IP ever registered (entries are kept after release: the
 * address space is the pool, and late log lines still find the user). */
struct vip_ent {
	struct vip_ent *next;		/* hash chain */
	struct vip_ent *dirty_next;
	uint8_t family;
	uint8_t addr[16];
	char *user;
	uint64_t sa_id;
	bool active;			/* wanted in the vIP map */
	bool dirty;			/* on the dirty list */
	bool in_kernel;			/* in the vIP map now ... */
	int k_cls;			/* ... pointing at this class */
	uint64_t sup_seen;		/* suppressed denials at the last poll */
	uint64_t psup_seen;		/* suppressed new permitted flows, likewise */
};

struct rag_nft {
	struct nft_ctx *ctx;
	struct mnl_socket *nl;		/* element batches (libnftnl) */
	uint32_t seq;
	int lock_fd;			/* abstract socket: one ragd per netns */
	bool own;			/* the table is ours to delete */
	struct nftc_table_cfg tcfg;
	char table[64];
	struct nftc_policy *pol;	/* applied policy, NULL before the first */
	struct vip_ent **b;		/* hash buckets */
	size_t nb, n;
	struct vip_ent *dirty;
	struct nftc_text cmd;		/* scratch */
};

/* Microseconds of CLOCK_MONOTONIC. */
static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Copy libnftables' error text into err: the first lines, without the
 * echo of a (possibly huge) command; "" stays "". */
static void copy_nft_error(struct rag_nft *n, const char *what, char *err, size_t errlen)
{
	const char *e = nft_ctx_get_error_buffer(n->ctx);
	size_t len = e ? strcspn(e, "\n") : 0;

	snprintf(err, errlen, "%s: %.*s", what, (int)(len > 300 ? 300 : len),
		 len ? e : "nftables refused the command");
}

/* Run text (one transaction); 0 or -EIO with the reason. */
static int run(struct rag_nft *n, const char *text, const char *what, char *err, size_t errlen)
{
	int rc = nft_run_cmd_from_buffer(n->ctx, text);

	(void)nft_ctx_get_output_buffer(n->ctx);	/* discard */
	if (rc != 0) {
		copy_nft_error(n, what, err, errlen);
		return -EIO;
	}
	(void)nft_ctx_get_error_buffer(n->ctx);
	return 0;
}

/* ---- registry ------------------------------------------------------------------------ */

static size_t vip_hash(int family, const uint8_t *addr, size_t nb)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)family;
	size_t len = family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < len; i++)
		h = (h ^ addr[i]) * 1099511628211ull;
	return (size_t)(h ^ (h >> 29)) & (nb - 1);
}

static struct vip_ent *vip_get(const struct rag_nft *n, int family, const uint8_t *addr)
{
	size_t len = family == AF_INET ? 4 : 16;

	if (!n->nb)
		return NULL;
	for (struct vip_ent *e = n->b[vip_hash(family, addr, n->nb)]; e; e = e->next)
		if (e->family == family && !memcmp(e->addr, addr, len))
			return e;
	return NULL;
}

/* Double the buckets when the load reaches 1. */
static int vip_grow(struct rag_nft *n)
{
	size_t nb = n->nb ? n->nb * 2 : 256;
	struct vip_ent **b;

	if (n->n < n->nb)
		return 0;
	b = calloc(nb, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < n->nb; i++) {
		struct vip_ent *e = n->b[i];

		while (e) {
			struct vip_ent *next = e->next;
			size_t h = vip_hash(e->family, e->addr, nb);

			e->next = b[h];
			b[h] = e;
			e = next;
		}
	}
	free(n->b);
	n->b = b;
	n->nb = nb;
	return 0;
}

static void mark_dirty(struct rag_nft *n, struct vip_ent *e)
{
	if (e->dirty)
		return;
	e->dirty = true;
	e->dirty_next = n->dirty;
	n->dirty = e;
}

static void info_of(const struct vip_ent *e, struct rag_nft_vip_info *out)
{
	memset(out, 0, sizeof(*out));
	out->family = e->family;
	memcpy(out->addr, e->addr, 16);
	out->user = e->user ? e->user : "";
	out->sa_id = e->sa_id;
	out->active = e->active;
}

/* The class a registered address should point at now. */
static int ent_class(const struct rag_nft *n, const struct vip_ent *e)
{
	return nftc_user_class(n->pol, e->user ? e->user : "");
}

static void ent_vip(const struct rag_nft *n, const struct vip_ent *e, int cls,
		    struct nftc_vip *v)
{
	(void)n;
	memset(v, 0, sizeof(*v));
	v->family = e->family;
	memcpy(v->addr, e->addr, 16);
	v->cls = cls;
}

/* See nft.h. */
int rag_nft_vip_set(struct rag_nft *n, int family, const uint8_t *addr, const char *user,
		    uint64_t sa_id)
{
	struct vip_ent *e;
	char *u;

	if (family != AF_INET && family != AF_INET6)
		return -EINVAL;
	e = vip_get(n, family, addr);
	if (!e) {
		size_t h;

		if (n->n >= RAG_NFT_MAX_VIPS)
			return -ENOSPC;
		if (vip_grow(n) < 0)
			return -ENOMEM;
		e = calloc(1, sizeof(*e));
		if (!e)
			return -ENOMEM;
		e->family = (uint8_t)family;
		memcpy(e->addr, addr, family == AF_INET ? 4 : 16);
		e->k_cls = -1;
		h = vip_hash(family, e->addr, n->nb);
		e->next = n->b[h];
		n->b[h] = e;
		n->n++;
	}
	u = strdup(user ? user : "");
	if (!u)
		return -ENOMEM;
	free(e->user);
	e->user = u;
	e->sa_id = sa_id;
	e->active = true;
	mark_dirty(n, e);
	return 0;
}

/* See nft.h. */
int rag_nft_vip_clear(struct rag_nft *n, int family, const uint8_t *addr)
{
	struct vip_ent *e = vip_get(n, family, addr);

	if (!e || !e->active)
		return 0;
	e->active = false;
	mark_dirty(n, e);
	return 0;
}

/* See nft.h. */
bool rag_nft_pending(const struct rag_nft *n)
{
	return n && n->dirty != NULL;
}

/* See nft.h. */
int rag_nft_vip_find(const struct rag_nft *n, int family, const uint8_t *addr,
		     struct rag_nft_vip_info *out)
{
	const struct vip_ent *e = vip_get(n, family, addr);

	if (!e)
		return -ENOENT;
	info_of(e, out);
	return 0;
}

/* Take everything off the dirty list. */
static void clear_dirty(struct rag_nft *n)
{
	while (n->dirty) {
		struct vip_ent *e = n->dirty;

		n->dirty = e->dirty_next;
		e->dirty = false;
		e->dirty_next = NULL;
	}
}

/* The active entries as nftc_vip (malloc'ed; NULL with *count 0 if none). */
static struct nftc_vip *active_vips(const struct rag_nft *n, size_t *count, int *rc)
{
	struct nftc_vip *v = NULL;
	size_t k = 0;

	*rc = 0;
	*count = 0;
	if (!n->n)
		return NULL;
	v = calloc(n->n, sizeof(*v));
	if (!v) {
		*rc = -ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < n->nb; i++)
		for (const struct vip_ent *e = n->b[i]; e; e = e->next)
			if (e->active)
				ent_vip(n, e, ent_class(n, e), &v[k++]);
	*count = k;
	return v;
}

/* After a successful table swap or map rebuild: the kernel holds exactly
 * the active entries, in their current classes. */
static void kernel_matches_registry(struct rag_nft *n, bool counters_reset)
{
	for (size_t i = 0; i < n->nb; i++)
		for (struct vip_ent *e = n->b[i]; e; e = e->next) {
			e->in_kernel = e->active;
			e->k_cls = e->active ? ent_class(n, e) : -1;
			if (counters_reset)
				e->sup_seen = e->psup_seen = 0;
		}
	clear_dirty(n);
}

/* Rebuild both vIP maps from the registry in one transaction. */
static int rebuild_vip_maps(struct rag_nft *n, char *err, size_t errlen)
{
	struct nftc_text *t = &n->cmd;
	struct nftc_vip *v;
	size_t nv;
	int rc;

	v = active_vips(n, &nv, &rc);
	if (rc < 0)
		return rc;
	t->len = 0;
	t->oom = false;
	nftc_text_printf(t, "flush map inet %s vip4\nflush map inet %s vip6\n", n->table, n->table);
	for (size_t i = 0; i < nv; i++)
		nftc_emit_vip(t, &n->tcfg, &v[i], true);
	free(v);
	if (t->oom)
		return -ENOMEM;
	rc = run(n, t->s, "rebuilding the virtual IP maps", err, errlen);
	if (rc == 0)
		kernel_matches_registry(n, false);
	return rc;
}

/* One element add/delete for the batch. */
struct elem_op {
	const struct vip_ent *e;
	int cls;
	bool add;
};

/* Put the message of op into the batch (false: no room left). */
static bool put_elem(struct rag_nft *n, struct mnl_nlmsg_batch *b, const struct elem_op *op)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *el = nftnl_set_elem_alloc();
	struct nlmsghdr *nlh;
	char chain[24];

	if (!s || !el) {
		nftnl_set_free(s);
		nftnl_set_elem_free(el);
		return false;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, n->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, op->e->family == AF_INET ? "vip4" : "vip6");
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, op->e->addr, op->e->family == AF_INET ? 4 : 16);
	if (op->add) {
		if (op->cls >= 0)
			snprintf(chain, sizeof(chain), "c%d", op->cls);
		else
			snprintf(chain, sizeof(chain), "deny");
		nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_VERDICT, (uint32_t)NFT_GOTO);
		nftnl_set_elem_set_str(el, NFTNL_SET_ELEM_CHAIN, chain);
	}
	nftnl_set_elem_add(s, el);
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b),
				    op->add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM, NFPROTO_INET,
				    (uint16_t)((op->add ? NLM_F_CREATE : 0) | NLM_F_ACK), n->seq++);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return mnl_nlmsg_batch_next(b);
}

/* Wait for count acknowledgements: 0, or the first error's negative errno. */
static int read_acks(struct rag_nft *n, size_t count)
{
	uint8_t buf[16384];
	size_t acks = 0;
	int fd = mnl_socket_get_fd(n->nl);

	while (acks < count) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t r;
		size_t off = 0;

		if (poll(&pfd, 1, 2000) != 1)
			return -ETIMEDOUT;
		r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r < 0)
			return -errno;
		while ((size_t)r - off >= sizeof(struct nlmsghdr)) {
			struct nlmsghdr h;

			memcpy(&h, buf + off, sizeof(h));
			if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > (size_t)r - off)
				return -EBADMSG;
			if (h.nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr e;

				if (h.nlmsg_len < sizeof(h) + sizeof(e))
					return -EBADMSG;
				memcpy(&e, buf + off + sizeof(h), sizeof(e));
				if (e.error)
					return e.error < 0 ? e.error : -e.error;
				acks++;
			}
			off += NLMSG_ALIGN(h.nlmsg_len);
		}
	}
	return 0;
}

/* Send ops as one transaction (begin, the element messages, end). */
static int elem_batch(struct rag_nft *n, const struct elem_op *ops, size_t nops, char *err,
		      size_t errlen)
{
	size_t cap = 256 * (nops + 2) + 4096;
	char *buf = malloc(cap);
	struct mnl_nlmsg_batch *b;
	int rc;

	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	b = mnl_nlmsg_batch_start(buf, cap);
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), n->seq++);
	mnl_nlmsg_batch_next(b);
	for (size_t i = 0; i < nops; i++)
		if (!put_elem(n, b, &ops[i])) {
			mnl_nlmsg_batch_stop(b);
			free(buf);
			snprintf(err, errlen, "updating the virtual IP maps: batch too large");
			return -ENOMEM;
		}
	nftnl_batch_end(mnl_nlmsg_batch_current(b), n->seq++);
	mnl_nlmsg_batch_next(b);
	rc = mnl_socket_sendto(n->nl, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b)) < 0 ?
	     -errno : read_acks(n, nops);
	mnl_nlmsg_batch_stop(b);
	free(buf);
	if (rc < 0)
		snprintf(err, errlen, "updating the virtual IP maps: %s", strerror(-rc));
	return rc;
}

/* See nft.h. */
int rag_nft_commit(struct rag_nft *n, char *err, size_t errlen)
{
	struct elem_op *ops;
	size_t nops = 0, max = 0;
	int rc;

	if (!n->dirty)
		return 0;
	if (!n->pol) {
		/* nothing enforced yet: the first apply writes the maps */
		clear_dirty(n);
		return 0;
	}
	for (struct vip_ent *e = n->dirty; e; e = e->dirty_next)
		max += 2;
	ops = calloc(max, sizeof(*ops));
	if (!ops) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (struct vip_ent *e = n->dirty; e; e = e->dirty_next) {
		int cls = e->active ? ent_class(n, e) : -1;

		if (e->in_kernel && (!e->active || cls != e->k_cls))
			ops[nops++] = (struct elem_op){ e, e->k_cls, false };
		if (e->active && (!e->in_kernel || cls != e->k_cls))
			ops[nops++] = (struct elem_op){ e, cls, true };
	}
	rc = nops ? elem_batch(n, ops, nops, err, errlen) : 0;
	free(ops);
	if (rc == 0) {
		for (struct vip_ent *e = n->dirty; e; e = e->dirty_next) {
			e->in_kernel = e->active;
			e->k_cls = e->active ? ent_class(n, e) : -1;
		}
		clear_dirty(n);
		return 0;
	}
	/* out of step with the kernel somehow: write the maps from scratch */
	return rebuild_vip_maps(n, err, errlen);
}

/* ---- table ---------------------------------------------------------------------------- */

/* Can this process talk nfnetlink at all?  libnftables exits the process
 * when it cannot open its socket, so find out first. */
static int probe_nfnetlink(char *err, size_t errlen)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);

	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "no nfnetlink socket: %s", strerror(e));
		return e == EPROTONOSUPPORT ? -EPROTONOSUPPORT : -e;
	}
	close(fd);
	return 0;
}

/* The per-network-namespace lock: an abstract unix socket (abstract names
 * belong to the network namespace and vanish with their process), so a
 * second ragd in the same namespace is told apart from a crashed one.
 * The fd, or -EBUSY / -errno. */
static int take_lock(const char *table)
{
	struct sockaddr_un a;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), n;

	if (fd < 0)
		return -errno;
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	n = snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "rag/nftables/%s", table);
	if (bind(fd, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
						       1 + (size_t)n)) < 0) {
		int e = errno;

		close(fd);
		return e == EADDRINUSE ? -EBUSY : -e;
	}
	return fd;
}

/* See nft.h. */
int rag_nft_open(struct rag_nft **out, const struct rag_nft_cfg *cfg, bool *leftover,
		 char *err, size_t errlen)
{
	struct rag_nft *n;
	const char *tb = cfg->table ? cfg->table : RAG_NFT_TABLE;
	char cmd[256];
	int rc;

	*out = NULL;
	if (leftover)
		*leftover = false;
	if (strlen(tb) >= sizeof(n->table) || !tb[0] || strspn(tb, "abcdefghijklmnopqrstuvwxyz"
	    "0123456789_") != strlen(tb)) {
		snprintf(err, errlen, "bad table name");
		return -EINVAL;
	}
	rc = probe_nfnetlink(err, errlen);
	if (rc < 0)
		return rc;
	n = calloc(1, sizeof(*n));
	if (!n) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	n->lock_fd = -1;
	snprintf(n->table, sizeof(n->table), "%s", tb);
	n->tcfg.table = n->table;
	n->tcfg.nflog_group = cfg->nflog_group ? cfg->nflog_group : RAG_NFT_NFLOG_GROUP;
	n->tcfg.snaplen = RAG_NFT_SNAPLEN;
	n->tcfg.deny_rate = cfg->deny_rate ? cfg->deny_rate : RAG_NFT_DENY_RATE;
	n->tcfg.deny_burst = cfg->deny_burst ? cfg->deny_burst : RAG_NFT_DENY_BURST;
	n->tcfg.permit_rate = RAG_NFT_PERMIT_RATE;
	n->tcfg.permit_burst = RAG_NFT_PERMIT_BURST;
	n->tcfg.dyn_size = 65536;
	n->tcfg.pool4_family = cfg->pool4.family == AF_INET ? AF_INET : 0;
	n->tcfg.pool4_len = cfg->pool4.len;
	memcpy(n->tcfg.pool4, cfg->pool4.addr, 16);
	n->tcfg.pool6_family = cfg->pool6.family == AF_INET6 ? AF_INET6 : 0;
	n->tcfg.pool6_len = cfg->pool6.len;
	memcpy(n->tcfg.pool6, cfg->pool6.addr, 16);
	/* the per-user rate-limit sets hold one entry per pool address */
	if (n->tcfg.pool4_family && n->tcfg.pool4_len >= 12 && 32 - n->tcfg.pool4_len > 16)
		n->tcfg.dyn_size = 1u << (32 - n->tcfg.pool4_len);
	n->lock_fd = take_lock(n->table);
	if (n->lock_fd < 0) {
		rc = n->lock_fd;
		if (rc == -EBUSY)
			snprintf(err, errlen, "table inet %s belongs to another ragd running in this "
				 "network namespace", n->table);
		else
			snprintf(err, errlen, "lock: %s", strerror(-rc));
		rag_nft_close(n);
		return rc;
	}
	n->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!n->nl || mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		snprintf(err, errlen, "nfnetlink socket: %s", strerror(errno));
		rag_nft_close(n);
		return rc;
	}
	n->seq = (uint32_t)time(NULL);
	n->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!n->ctx || nft_ctx_buffer_output(n->ctx) || nft_ctx_buffer_error(n->ctx)) {
		snprintf(err, errlen, "libnftables: cannot create a context");
		rag_nft_close(n);
		return -ENOMEM;
	}
	/* a table of our name while we hold the lock: a crashed run's */
	snprintf(cmd, sizeof(cmd), "list table inet %s", n->table);
	if (nft_run_cmd_from_buffer(n->ctx, cmd) == 0) {
		(void)nft_ctx_get_output_buffer(n->ctx);
		snprintf(cmd, sizeof(cmd), "delete table inet %s", n->table);
		if (run(n, cmd, "removing a leftover table", err, errlen) < 0) {
			rag_nft_close(n);
			return -EIO;
		}
		if (leftover)
			*leftover = true;
	}
	(void)nft_ctx_get_output_buffer(n->ctx);
	(void)nft_ctx_get_error_buffer(n->ctx);
	n->own = true;
	nftc_emit_table(&n->cmd, &n->tcfg, NULL, NULL, 0, false);
	if (n->cmd.oom || run(n, n->cmd.s, "creating the table", err, errlen) < 0) {
		rc = n->cmd.oom ? -ENOMEM : -EIO;
		if (n->cmd.oom)
			snprintf(err, errlen, "out of memory");
		rag_nft_close(n);
		return rc;
	}
	*out = n;
	return 0;
}

/* See nft.h. */
void rag_nft_close(struct rag_nft *n)
{
	char cmd[128];

	if (!n)
		return;
	if (n->ctx) {
		/* only a table we created is ours to delete */
		snprintf(cmd, sizeof(cmd), "delete table inet %s", n->table);
		if (n->own)
			nft_run_cmd_from_buffer(n->ctx, cmd);
		nft_ctx_free(n->ctx);
	}
	if (n->nl)
		mnl_socket_close(n->nl);
	if (n->lock_fd >= 0)
		close(n->lock_fd);
	for (size_t i = 0; i < n->nb; i++) {
		struct vip_ent *e = n->b[i];

		while (e) {
			struct vip_ent *next = e->next;

			free(e->user);
			free(e);
			e = next;
		}
	}
	free(n->b);
	nftc_free(n->pol);
	nftc_text_free(&n->cmd);
	free(n);
}

/* See nft.h. */
bool rag_nft_enforcing(const struct rag_nft *n)
{
	return n && n->pol;
}

/* See nft.h. */
int rag_nft_apply(struct rag_nft *n, const struct pol_snapshot *s, struct rag_nft_stats *st,
		  char *err, size_t errlen)
{
	struct nftc_policy *p, *old = n->pol;
	struct nftc_text *t = &n->cmd;
	struct nftc_vip *v;
	size_t nv;
	uint64_t t0 = now_us(), t1;
	int rc;

	rc = nftc_compile(s, 0, &p, err, errlen);
	if (rc < 0)
		return rc;
	t1 = now_us();
	/* the registry's classes refer to the new policy from here on */
	n->pol = p;
	v = active_vips(n, &nv, &rc);
	if (rc < 0) {
		n->pol = old;
		nftc_free(p);
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	t->len = 0;
	t->oom = false;
	nftc_emit_table(t, &n->tcfg, p, v, nv, true);
	free(v);
	if (t->oom) {
		n->pol = old;
		nftc_free(p);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = run(n, t->s, "applying the access policy", err, errlen);
	if (rc < 0) {
		n->pol = old;
		nftc_free(p);
		return rc;
	}
	nftc_free(old);
	kernel_matches_registry(n, true);
	if (st) {
		st->classes = p->nclasses;
		st->elements = p->nboxes;
		st->users = p->nusers;
		st->rules = p->nrules;
		st->compile_us = t1 - t0;
		st->apply_us = now_us() - t1;
	}
	return 0;
}

/* ---- suppression counters ---------------------------------------------------------------- */

/* See nft.h.  The input is libnftables' own JSON (trusted, but parsed with
 * bounds anyway): every {"elem": {"val": "ADDR", ..., "counter":
 * {"packets": N, ...}}}. */
int rag_nft_parse_counters(const char *json, rag_nft_elem_fn fn, void *arg)
{
	static const char key_val[] = "\"val\": \"", key_pk[] = "\"packets\": ";
	const char *p = json;
	int count = 0;

	if (!json)
		return -EINVAL;
	while ((p = strstr(p, key_val)) != NULL) {
		const char *a = p + sizeof(key_val) - 1, *q = strchr(a, '"');
		const char *next, *pk;
		char text[INET6_ADDRSTRLEN];
		uint8_t addr[16];
		uint64_t packets = 0;
		int family;

		if (!q || (size_t)(q - a) >= sizeof(text))
			return -EINVAL;
		memcpy(text, a, (size_t)(q - a));
		text[q - a] = '\0';
		memset(addr, 0, sizeof(addr));
		family = strchr(text, ':') ? AF_INET6 : AF_INET;
		if (inet_pton(family, text, addr) != 1)
			return -EINVAL;
		next = strstr(q, key_val);
		pk = strstr(q, key_pk);
		if (pk && (!next || pk < next)) {
			const char *d = pk + sizeof(key_pk) - 1;

			if (*d < '0' || *d > '9')
				return -EINVAL;
			for (; *d >= '0' && *d <= '9'; d++) {
				uint64_t digit = (uint64_t)(*d - '0');

				if (packets > (UINT64_MAX - digit) / 10)
					return -EINVAL;
				packets = packets * 10 + digit;
			}
		}
		fn(arg, family, addr, packets);
		count++;
		p = q;
	}
	return count;
}

struct poll_ctx {
	struct rag_nft *n;
	rag_nft_supp_fn fn;
	void *arg;
	bool permit;			/* reading psup (else dsup) */
};

static void poll_elem(void *arg, int family, const uint8_t *addr, uint64_t packets)
{
	struct poll_ctx *pc = arg;
	struct vip_ent *e = vip_get(pc->n, family, addr);
	struct rag_nft_vip_info info;
	uint64_t delta, *seen;

	if (!e)
		return;	/* never ours: not a pool address we handed out */
	seen = pc->permit ? &e->psup_seen : &e->sup_seen;

	/* a smaller count: the element timed out and started over */
	delta = packets >= *seen ? packets - *seen : packets;
	*seen = packets;
	if (delta) {
		info_of(e, &info);
		pc->fn(pc->arg, &info, pc->permit, delta);
	}
}

/* See nft.h. */
int rag_nft_poll_suppressed(struct rag_nft *n, rag_nft_supp_fn fn, void *arg, char *err,
			    size_t errlen)
{
	char cmd[256];
	struct poll_ctx pc = { n, fn, arg, false };
	const char *out;
	int rc;

	if (!n->pol)
		return 0;
	for (int i = 0; i < 4; i++) {
		int f = i % 2 ? 6 : 4;

		pc.permit = i >= 2;
		snprintf(cmd, sizeof(cmd), "list set inet %s %csup%d", n->table,
			 pc.permit ? 'p' : 'd', f);
		nft_ctx_output_set_flags(n->ctx, NFT_CTX_OUTPUT_JSON);
		rc = nft_run_cmd_from_buffer(n->ctx, cmd);
		nft_ctx_output_set_flags(n->ctx, 0);
		out = nft_ctx_get_output_buffer(n->ctx);
		if (rc != 0) {
			copy_nft_error(n, "reading the suppression counters", err, errlen);
			return -EIO;
		}
		rc = rag_nft_parse_counters(out, poll_elem, &pc);
		if (rc < 0) {
			snprintf(err, errlen, "reading the suppression counters: unexpected output");
			return rc;
		}
	}
	return 0;
}
