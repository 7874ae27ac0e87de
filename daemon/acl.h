/*
 * acl.h — access control inside ragd (issue 4 points 2 and 5): the
 * nftables table (nft.h) that enforces the policy on traffic from virtual
 * IPs, the NFLOG reader (nflog.h) and the access-control log rows
 * (connlog.h), wired into the event loop.  This is the boundary that logs
 * (nft.c and nflog.c do not).
 *
 * Hooks:
 *   ragd_acl_open / close    start (after the databases) and SIGTERM (after
 *                            the responder removed its SAs): the table is
 *                            created empty / deleted;
 *   ragd_acl_policy          the policy snapshot changed (policy.h): the
 *                            table is swapped for one enforcing it;
 *   ragd_acl_vip_up / down   an IKE SA with virtual IPs is established /
 *                            removed: the address joins / leaves its user's
 *                            class (element updates, no reload);
 *   ragd_acl_event           the NFLOG socket is readable: acl rows;
 *   ragd_acl_tick            1 s: per-user counts of rate-limited denials
 *                            become acl rows (suppressed = N);
 *   ragd_acl_ready           false unless a policy is in force (no
 *                            nf_tables, another ragd in this network
 *                            namespace, the policy could not be loaded or
 *                            its first apply failed): the responder then
 *                            installs no CHILD SA (fail closed).
 */
#ifndef RAG_ACL_H
#define RAG_ACL_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

struct ragd;

/* 0, or a negative errno (logged; enforcement unavailable, ragd goes on
 * serving IKE but installs no CHILD SA). */
int ragd_acl_open(struct ragd *d);
void ragd_acl_close(struct ragd *d);

bool ragd_acl_ready(const struct ragd *d);

/* 0 or a negative errno (logged; the previous policy stays in force). */
int ragd_acl_policy(struct ragd *d, const struct pol_snapshot *s);

/* family AF_INET / AF_INET6, addr network order. */
void ragd_acl_vip_up(struct ragd *d, int family, const uint8_t *addr, const char *user,
		     uint64_t sa_id);
void ragd_acl_vip_down(struct ragd *d, int family, const uint8_t *addr);

void ragd_acl_event(struct ragd *d);
void ragd_acl_tick(struct ragd *d);

#endif
