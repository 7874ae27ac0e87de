/*
 * notify.h — the systemd service manager protocol (sd_notify(3)): READY=1,
 * STATUS=, STOPPING=1, WATCHDOG=1.  Uses libsystemd when built with it,
 * otherwise sends the datagram to $NOTIFY_SOCKET itself.  Without a service
 * manager every call is a no-op.
 */
#ifndef RAG_NOTIFY_H
#define RAG_NOTIFY_H

#include <stdint.h>

/* Send state (e.g. "READY=1\nSTATUS=..."); returns 1 sent, 0 no manager, <0 error. */
int rag_notify(const char *state);

/* printf-style rag_notify(). */
int rag_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Watchdog interval requested by the manager ($WATCHDOG_USEC, for our pid):
 * returns 1 with *usec set, 0 when disabled. */
int rag_watchdog_usec(uint64_t *usec);

#endif
