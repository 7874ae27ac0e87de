/*
 * net.h — ragd's IKE sockets (issue 3, "ragd runtime"; RFC 7296 2.23,
 * RFC 3948):
 *
 *   - one UDP socket per `listen` address and port: the IKE port (500) and
 *     the NAT-T port (4500); IPv6 sockets are IPV6_V6ONLY; all non-blocking
 *     and SOCK_CLOEXEC; each with a per-socket IPsec bypass policy
 *     (IP_XFRM_POLICY / IPV6_XFRM_POLICY) so a CHILD SA's policy never
 *     captures IKE itself (needs CAP_NET_ADMIN; without it: no_bypass);
 *   - IP_PKTINFO / IPV6_RECVPKTINFO tell which local address a datagram
 *     arrived on, and the answer leaves from that address (a wildcard
 *     listener on a multi-homed host must not answer from another one);
 *   - the NAT-T sockets carry UDP_ENCAP_ESPINUDP, so the kernel takes the
 *     ESP-in-UDP packets itself; what reaches us there is IKE behind the
 *     4-byte zero non-ESP marker (stripped here, prepended on send) or a
 *     1-byte 0xff NAT-keepalive (RFC 3948 2.3; counted and ignored);
 *   - anything that cannot be an IKE message (shorter than the IKE header,
 *     wrong length field, a marker missing on 4500) is dropped silently
 *     (RFC 7296 2.21) and counted.
 *
 * Ports: 500 / 4500 unless overridden for tests by the environment
 * variables RAG_IKE_PORT and RAG_NATT_PORT (1..65535, different), which
 * rag_net_ports() reads; ragd logs the override.
 */
#ifndef RAG_NET_H
#define RAG_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "ike_exchange.h"

#define RAG_NET_MAX_SOCKS   (2 * RAG_CONF_MAX_LISTEN)
#define RAG_NET_IKE_PORT    500
#define RAG_NET_NATT_PORT   4500
#define RAG_NET_BUF         65536	/* receive buffer: any UDP payload */
#define RAG_NET_RECV_BATCH  64	/* datagrams read per wake-up per socket */

struct rag_net_sock {
	int fd;
	int family;		/* AF_INET / AF_INET6 */
	uint8_t addr[16];	/* bound address (may be the wildcard) */
	uint16_t port;
	bool natt;		/* the NAT-T port: marker, UDP_ENCAP */
};

struct rag_net_stats {
	uint64_t rx, tx, garbage, keepalives, esp, tx_errors;
};

struct rag_net {
	struct rag_net_sock s[RAG_NET_MAX_SOCKS];
	size_t n;
	uint16_t ike_port, natt_port;
	bool no_bypass;		/* IP_XFRM_POLICY refused (no CAP_NET_ADMIN) */
	struct rag_net_stats st;
};

/* One IKE message received. */
struct rag_dgram {
	struct ike_endpoint local;	/* the address it arrived on */
	struct ike_endpoint remote;	/* who sent it */
	bool natt;			/* on the NAT-T port (marker stripped) */
	const uint8_t *msg;		/* the IKE message (into the caller's buffer) */
	size_t len;
};

/* Ports from RAG_IKE_PORT / RAG_NATT_PORT or the defaults; -EINVAL with a
 * message in err when a variable is set but not a valid, distinct port. */
int rag_net_ports(uint16_t *ike, uint16_t *natt, char *err, size_t errlen);

/*
 * Open and bind both ports on every address of listen[0..n).  On failure
 * everything opened is closed again and err names the address, port and
 * reason.  Returns 0 or -errno.
 */
int rag_net_open(struct rag_net *net, const struct rag_addr *listen, size_t n,
		 uint16_t ike_port, uint16_t natt_port, char *err, size_t errlen);

/* Close every socket (safe after a failed / no open). */
void rag_net_close(struct rag_net *net);

/*
 * Read one datagram from socket i into buf (cap >= RAG_NET_BUF).  Returns
 * 1 with an IKE message in *d, 0 when a datagram was consumed but is not
 * for IKE (garbage, keepalive: counted), -EAGAIN when nothing is pending,
 * another -errno on a socket error.
 */
int rag_net_recv(struct rag_net *net, size_t i, uint8_t *buf, size_t cap,
		 struct rag_dgram *d);

/*
 * Send msg to remote from local (the address a request arrived on; an
 * all-zero local lets the kernel choose), on the NAT-T port when natt
 * (with the non-ESP marker) else on the IKE port.  Returns 0 or -errno
 * (-ENETUNREACH when no socket of that family / port exists).
 */
int rag_net_send(struct rag_net *net, const struct ike_endpoint *local,
		 const struct ike_endpoint *remote, bool natt,
		 const uint8_t *msg, size_t len);

/*
 * Classify a UDP payload received on the NAT-T port (natt) or the IKE port:
 * returns the offset of the IKE message (0 or 4) when it can be IKE
 * (at least the 28-byte header, the header's length field equal to the
 * remaining length), -ENOMSG for a NAT-keepalive, -EPROTO for ESP (a
 * non-zero SPI on 4500: the kernel should have taken it), -EBADMSG for
 * garbage.  Pure; the fuzz and unit tests drive it.
 */
int rag_net_classify(const uint8_t *buf, size_t len, bool natt);

/* "192.0.2.1[500]" / "[2001:db8::1]:4500" into out (>= 64 bytes). */
const char *rag_ep_str(const struct ike_endpoint *ep, char *out, size_t outlen);

#endif
