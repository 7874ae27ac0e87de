/*
 * notify.c — sd_notify wrapper (see notify.h).
 */
#include "notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "conf.h"

#if HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#if !HAVE_LIBSYSTEMD
/* Send one datagram to $NOTIFY_SOCKET ("/path" or "@abstract"). */
static int notify_raw(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	size_t n;
	socklen_t salen;
	ssize_t w;
	int fd;

	if (!path || !path[0])
		return 0;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa.sun_path))
		return -EINVAL;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';	/* abstract namespace */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '/'));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	w = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	n = (size_t)errno;
	close(fd);
	return w < 0 ? -(int)n : 1;
}
#endif

/* See notify.h. */
int rag_notify(const char *state)
{
#if HAVE_LIBSYSTEMD
	return sd_notify(0, state);
#else
	return notify_raw(state);
#endif
}

/* See notify.h. */
int rag_notifyf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return rag_notify(buf);
}

/* See notify.h. */
int rag_watchdog_usec(uint64_t *usec)
{
#if HAVE_LIBSYSTEMD
	return sd_watchdog_enabled(0, usec) > 0 ? 1 : 0;
#else
	const char *s = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	uint64_t v, p;

	if (!s || rag_parse_uint(s, 1, UINT64_MAX, &v) < 0)
		return 0;
	if (pid && (rag_parse_uint(pid, 1, UINT32_MAX, &p) < 0 || p != (uint64_t)getpid()))
		return 0;
	*usec = v;
	return 1;
#endif
}
