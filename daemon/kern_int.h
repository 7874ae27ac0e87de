/*
 * kern_int.h — shared between the kern_*.c files only (not part of the
 * kern.h interface): the rtnetlink socket that kern_open() opened in the
 * same network namespace as the XFRM sockets, so routes land where the SAs
 * and policies are.
 */
#ifndef RAG_KERN_INT_H
#define RAG_KERN_INT_H

#include <stdint.h>

#include "kern.h"

struct mnl_socket;

/* k's NETLINK_ROUTE socket (blocking, reply timeout) and its next sequence
 * number (incremented by the caller per request). */
struct mnl_socket *kern_rt_sock(struct kern *k);
uint32_t *kern_rt_seq(struct kern *k);

/* Every address of the host in k's namespace (RTM_GETADDR dump, IPv4 and
 * IPv6): cb(address, interface index, arg).  0 or -errno. */
typedef void (*kern_addr_cb)(const struct kern_addr *a, uint32_t ifindex, void *arg);
int kern_addrs(struct kern *k, kern_addr_cb cb, void *arg);

#endif
