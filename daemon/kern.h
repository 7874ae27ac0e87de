/*
 * kern.h — ragd's one narrow interface to the kernel's IPsec state (XFRM over
 * netlink, libmnl).  STYLE.md rule 7: nothing here knows IKE messages; the
 * arguments are plain values (addresses, SPIs, IANA transform numbers, keys),
 * so this file and kern_xfrm.c could move into a privileged helper process
 * behind a pipe without touching the protocol code.
 *
 * What is ours.  Every SA (also the larval ones ALLOCSPI creates) and every
 * policy template ragd installs carries a reqid in [KERN_REQID_MIN,
 * KERN_REQID_MAX], and every policy's priority lies in [KERN_PRIO_BASE,
 * KERN_PRIO_BASE + KERN_PRIO_SPAN).  kern_flush_ours() deletes exactly the
 * states whose reqid is in our range and the policies whose priority is in
 * our band AND whose templates all carry a reqid in our range; anything else
 * (strongSwan's, libreswan's, an admin's `ip xfrm`, per-socket policies) is
 * left alone.  Why reqid: it is the one field that both states and policy
 * templates carry, the kernel never rewrites it, and it has to be unique per
 * CHILD SA anyway (two clients behind one NAT share outer addresses, so the
 * outbound template must name its SA by reqid).  Marks were rejected: a mark
 * changes which packets a policy matches.  XFRMA_SA_EXTRA_FLAGS has no bit
 * for "owner".
 *
 * The runtime chooses reqids (one per CHILD SA lineage: a rekeyed CHILD SA
 * keeps its reqid, so its policies stay in place while old and new SAs
 * overlap).  Values outside the range are refused with -ERANGE.
 *
 * Conventions: every function returns 0 (or a count) or a negative errno.
 * When the kernel rejected a request, kern_last_error() holds its extended
 * ack text (NETLINK_EXT_ACK), or "" when it sent none; this library does not
 * log — the caller logs once with __func__ and the peer.  Keys are copied
 * into guarded (sodium_malloc) netlink buffers that are wiped after every
 * request; replies that may hold keys are wiped too.  Numbers in the structs
 * (SPIs, ports, reqids) are in HOST byte order; addresses are network-order
 * bytes.  A struct kern is used from one thread (the event loop).
 *
 * Opening binds both sockets in the caller's network namespace (tests and the
 * e2e driver setns() before kern_open()).
 */
#ifndef RAG_KERN_H
#define RAG_KERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- ownership ranges (see above) --------------------------------------- */
#define KERN_REQID_MIN   0x52000001u	/* 'R' in the top byte */
#define KERN_REQID_MAX   0x52ffffffu
#define KERN_PRIO_BASE   0x52000u	/* 335872: policy priority band */
#define KERN_PRIO_SPAN   2048u
/* SPIs ragd allocates for inbound SAs (RFC 4303 2.1: 1..255 are reserved) */
#define KERN_SPI_MIN     0xc0000100u
#define KERN_SPI_MAX     0xcfffffffu

/* Limits (STYLE.md rule 6). */
#define KERN_MAX_KEY         64	/* bytes of one key (HMAC-SHA2-512: 64) */
#define KERN_MAX_REPLAY      4096	/* replay window, packets */
#define KERN_MAX_FLUSH       (4u * 1024 * 1024)	/* objects one flush handles */
#define KERN_ERRMSG_MAX      256

struct kern;

/* An address: family AF_INET (first 4 bytes used) or AF_INET6. */
struct kern_addr {
	int family;
	uint8_t addr[16];
};

/* Soft/hard limits of an SA; 0 = no limit.  Seconds count from the add. */
struct kern_lifetime {
	uint64_t soft_bytes, hard_bytes;
	uint64_t soft_packets, hard_packets;
	uint64_t soft_secs, hard_secs;
};

/*
 * One ESP SA in tunnel mode.  src/dst are the outer addresses in the
 * direction the SA protects (inbound: src = peer, dst = us).
 * Algorithms are IANA IKEv2 transform IDs (ike.h):
 *   encr IKE_ENCR_AES_CBC (encr_keybits 128/192/256) + integ
 *        IKE_INTEG_HMAC_SHA1_96 / _SHA2_256_128 / _SHA2_384_192 / _SHA2_512_256
 *   encr IKE_ENCR_3DES (encr_keybits 0 or 192) + one of those integs (legacy)
 *   encr IKE_ENCR_AES_GCM_8/_12/_16 (encr_keybits 128/192/256), integ NONE;
 *        encr_key is the KEYMAT slice incl. the 4-byte salt (RFC 4106 8.1)
 * Anything else is -EOPNOTSUPP; wrong key lengths are -EINVAL.
 */
struct kern_sa {
	struct kern_addr src, dst;
	uint32_t spi;
	uint32_t reqid;
	uint16_t encr, encr_keybits, integ;
	const uint8_t *encr_key;
	size_t encr_key_len;
	const uint8_t *integ_key;
	size_t integ_key_len;
	bool esn;			/* RFC 4303 ESN negotiated */
	uint32_t replay_window;		/* packets; 0 = no anti-replay (outbound;
					 * with ESN the kernel wants one: 32) */
	uint16_t encap_sport;		/* UDP encapsulation (RFC 3948) when */
	uint16_t encap_dport;		/* both are non-zero; else plain ESP */
	struct kern_lifetime lt;
	/* inbound SA whose SPI came from kern_spi_alloc(): it replaces the
	 * larval state (XFRM_MSG_UPDSA; falls back to NEWSA if the larval
	 * state already expired) */
	bool from_alloc;
};

/* Counters of one SA (XFRM_MSG_GETAE: no key material crosses). */
struct kern_sa_stats {
	uint64_t bytes, packets;
	uint64_t add_time, use_time;	/* seconds since the epoch; 0 = unused */
};

/*
 * A traffic selector as the kernel can express it: a prefix, an IP protocol
 * (0 = any) and a port range (host order) that must be one value/mask pair
 * (any: 0..65535; one port; or an aligned power-of-two block), otherwise
 * -EOPNOTSUPP (the runtime narrows TS to what it can install).
 */
struct kern_ts {
	int family;
	uint8_t addr[16];
	uint8_t prefix;
	uint8_t proto;
	uint16_t port_lo, port_hi;
};

/*
 * The policies of one TS pair of a CHILD SA: out (local -> remote, template
 * local_outer -> remote_outer), in and fwd (remote -> local, template
 * remote_outer -> local_outer); all ESP, tunnel mode, reqid.  local is our
 * side (the networks behind the gateway), remote the peer's (its virtual IP).
 */
struct kern_policy {
	struct kern_ts local, remote;
	struct kern_addr local_outer, remote_outer;
	uint32_t reqid;
};

/* An XFRM expire event for one of our SAs (RFC 7296 2.8: soft -> rekey,
 * hard -> the kernel has removed the SA; delete the CHILD SA). */
struct kern_expire {
	struct kern_addr src, dst;
	uint32_t spi;
	uint32_t reqid;
	bool hard;
};
typedef void (*kern_expire_cb)(const struct kern_expire *ev, void *arg);

/* Open the request socket, the event socket (XFRMNLGRP_EXPIRE) and a
 * NETLINK_ROUTE socket (routes), all SOCK_CLOEXEC, in the current netns.
 * Returns 0 or -errno. */
int kern_open(struct kern **out);

/* A channel without the event socket (events false: kern_event_fd() is -1,
 * kern_events_read() -ENOTCONN); kern_open() = kern_open_channel(out,
 * true).  A struct kern is used by one thread at a time, so a second
 * thread gets its own channel: ragd's worker threads allocate SPIs
 * (kern_spi_alloc) on one of these under a mutex, while the event loop
 * keeps the first.  Kernel state is per netns, not per socket: an SPI
 * allocated on one channel is installed (UPDSA) through another. */
int kern_open_channel(struct kern **out, bool events);

/* Close the sockets and free k (does NOT flush: see kern_flush_ours). */
void kern_close(struct kern *k);

/* Extended-ack text of the last failed request ("" when none). */
const char *kern_last_error(const struct kern *k);

/* The event socket (non-blocking) the event loop polls for EPOLLIN. */
int kern_event_fd(const struct kern *k);

/*
 * Read every pending event; cb is called for each expire of an SA whose
 * reqid is ours.  Returns the number of events delivered, or -ENOBUFS when
 * the kernel dropped events (the socket buffer overflowed: the caller should
 * re-check its SAs' lifetimes), or another -errno.
 */
int kern_events_read(struct kern *k, kern_expire_cb cb, void *arg);

/*
 * Allocate an inbound SPI in [KERN_SPI_MIN, KERN_SPI_MAX] for an SA from
 * peer to us (XFRM_MSG_ALLOCSPI): the kernel keeps a larval state that
 * reserves it (and drops it after net.core.xfrm_acq_expires, 30 s by
 * default).  The SPI is known before the CREATE_CHILD_SA / IKE_AUTH
 * response is sent.  Install the SA later with kern_sa_add(from_alloc).
 */
int kern_spi_alloc(struct kern *k, const struct kern_addr *peer,
		   const struct kern_addr *us, uint32_t reqid, uint32_t *spi);

/* Install an SA (NEWSA, or UPDSA when sa->from_alloc).  -EEXIST if it
 * exists; on this host without ESP: -EPROTONOSUPPORT / -ENOENT etc. with
 * the kernel's reason in kern_last_error(). */
int kern_sa_add(struct kern *k, const struct kern_sa *sa);

/* Delete the SA (dst, spi).  -ESRCH when there is none. */
int kern_sa_del(struct kern *k, const struct kern_addr *dst, uint32_t spi);

/* Counters of SA (dst, spi). */
int kern_sa_stats(struct kern *k, const struct kern_addr *dst, uint32_t spi,
		  struct kern_sa_stats *st);

/*
 * MOBIKE (RFC 4555 3.5) / NAT mapping change: move SA (old_dst, spi) to the
 * addresses and encapsulation of sa (same spi, keys and algorithms as it
 * was installed with).  The replay state and the counters carry over
 * (GETAE, then DELSA, then NEWSA with XFRMA_REPLAY_* and XFRMA_LTIME_VAL).
 * If the re-add fails the SA is gone and the error is returned.
 */
int kern_sa_move(struct kern *k, const struct kern_addr *old_dst,
		 const struct kern_sa *sa);

/* Install the out/in/fwd policies of p (NEWPOLICY x3; on failure the ones
 * already added are removed again).  -EEXIST when the selector is taken. */
int kern_policy_add(struct kern *k, const struct kern_policy *p);

/* Same, replacing existing policies in place (UPDPOLICY): MOBIKE moves the
 * template endpoints to p->local_outer / p->remote_outer. */
int kern_policy_update(struct kern *k, const struct kern_policy *p);

/* Delete the three policies of p (selectors are what identifies them).
 * Returns 0 if all three went, else the first error (-ENOENT if missing). */
int kern_policy_del(struct kern *k, const struct kern_policy *p);

/* What kern_flush_ours() removed. */
struct kern_flush_stats {
	size_t states, policies;	/* routes: kern_route_flush_ours() */
};

/*
 * Routes to virtual IPs (kern_route.c).  The kernel routes a packet BEFORE
 * it looks up the XFRM policies, so return traffic from the internal
 * network to a client's virtual IP is dropped ("network unreachable")
 * unless some route covers that address.  kern_route_add() installs one
 * for dst (normally the client's /32 or /128) in the main table through
 * the interface (and next hop, when the families match) that leads to the
 * client's outer address peer_outer, as strongSwan does; it carries
 * protocol KERN_RTPROT, which is how kern_flush_ours() and kern_route_del()
 * recognise ours.  -EEXIST when a route for dst exists already (ours or
 * not: it is never replaced).  Uses the NETLINK_ROUTE socket kern_open()
 * opened, i.e. the same netns as the SAs.
 * kern_route_add_unreachable(): an "unreachable" route for dst (a whole
 * pool), same protocol and table: the more specific routes above win for
 * connected clients; the rest of the pool is answered with ICMP
 * unreachable instead of following some less specific route (the default
 * route) in the clear.  -EEXIST as above.
 */
#define KERN_RTPROT 82		/* 'R'; not in iproute2's rt_protos */
int kern_route_add(struct kern *k, const struct kern_ts *dst,
		   const struct kern_addr *peer_outer);
int kern_route_add_unreachable(struct kern *k, const struct kern_ts *dst);
/* Delete our route for dst; -ESRCH / -ENOENT when there is none of ours. */
int kern_route_del(struct kern *k, const struct kern_ts *dst);
/* Delete (del) or count every route with protocol KERN_RTPROT in the main
 * table, IPv4 and IPv6; returns the number or -errno. */
int kern_route_flush_ours(struct kern *k, bool del);

/*
 * Delete every state and policy that is ours (see the top of this file),
 * also larval states; used at start (leftovers of a crashed run) and at
 * exit.  Foreign state is never touched.  Kernel-made ACQUIRE states
 * (SPI 0, only when some key manager listens for acquires) cannot be
 * deleted by id and are left to expire (net.core.xfrm_acq_expires).
 * Policies go first, then states, then our routes (kern_route_add; not
 * counted in st).
 * Returns 0 or -errno (st, if not NULL, counts what went even on error).
 */
int kern_flush_ours(struct kern *k, struct kern_flush_stats *st);

/* Count our states and policies without changing anything (tests, status). */
int kern_count_ours(struct kern *k, struct kern_flush_stats *st);

/* ---- host prerequisites ------------------------------------------------- */

#define KERN_CHECK_MAX     8
#define KERN_CHECK_MSG_MAX 320

struct kern_check {
	size_t n;			/* messages in msg[] */
	size_t n_fatal;			/* of which prevent operation */
	struct {
		bool fatal;
		char text[KERN_CHECK_MSG_MAX];
	} msg[KERN_CHECK_MAX];
};

/* What the check needs to know about the configuration. */
struct kern_check_req {
	bool listen6;			/* an IPv6 listen address (esp6 needed) */
	struct kern_ts pool4, pool6;	/* the pools (address, prefix) */
};

/*
 * Check the host before serving (ragd start, issue 3 item 3):
 *   fatal: net.ipv4.ip_forward = 0; net.ipv6.conf.all.forwarding = 0 when
 *     an IPv6 pool is set; the kernel cannot add an ESP SA (esp4 or the
 *     cbc(aes)/hmac(sha256)/rfc4106(gcm(aes)) transforms missing): probe
 *     SAs 127.0.0.1 -> 127.0.0.1 (SPI from kern_spi_alloc(), our reqid)
 *     are added and deleted again, which also warms up the crypto
 *     templates; xfrm_user missing shows up earlier, as kern_open failing;
 *   warning: an IPv6 listen address but no esp6 (probe on ::1);
 *   fatal: an address of the host lies inside a pool (the kernel would
 *     deliver the traffic of the client given it locally) — except the
 *     pool's first host address, which pool.h reserves for the gateway.
 * Routes to the pool are no prerequisite: ragd installs a route for each
 * client's virtual IP and an unreachable route for the pool itself
 * (kern_route_add*, see above).
 * Fills out; returns 0 when nothing fatal was found, else -ENOTSUP.
 * (Implemented in kern_check.c on top of the calls above.)
 */
int kern_check_host(struct kern *k, const struct kern_check_req *req,
		    struct kern_check *out);

#endif
