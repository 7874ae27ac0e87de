/*
 * client.c — rag-ctl's side of the control protocol (daemon/ctl_proto.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_proto.h"
#include "log_text.h"
#include "rag-ctl.h"

/* See rag-ctl.h. */
int ctl_call(const struct ctl_ctx *ctx, const char *request, char **msg, char **body)
{
	struct sockaddr_un sa;
	struct timeval tv = { .tv_sec = 30 };	/* a reload may regenerate a key */
	size_t rlen = strlen(request), len = 0, cap = 4096;
	char *buf, *nl;
	int fd, code;

	*msg = *body = NULL;
	if (strlen(ctx->socket) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "rag-ctl: socket path too long: %s\n", ctx->socket);
		return -1;
	}
	if (rlen + 1 > RAG_CTL_MAX_REQUEST) {
		fprintf(stderr, "rag-ctl: request too long\n");
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, ctx->socket, strlen(ctx->socket));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "rag-ctl: cannot reach ragd at %s: %s\n", ctx->socket,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	buf = malloc(cap);
	if (!buf || send(fd, request, rlen, MSG_NOSIGNAL) != (ssize_t)rlen ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) != 1) {
		fprintf(stderr, "rag-ctl: cannot talk to ragd at %s: %s\n", ctx->socket,
			strerror(errno));
		free(buf);
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t n;

		if (cap - len < 2) {
			char *nb = cap >= RAG_CTL_MAX_RESPONSE ? NULL : realloc(buf, cap * 2);

			if (!nb) {
				fprintf(stderr, "rag-ctl: response from ragd too large\n");
				free(buf);
				close(fd);
				return -1;
			}
			buf = nb;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "rag-ctl: no answer from ragd at %s: %s\n", ctx->socket,
				strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	nl = strchr(buf, '\n');
	if (!nl) {
		fprintf(stderr, "rag-ctl: malformed answer from ragd\n");
		free(buf);
		return -1;
	}
	*nl = '\0';
	if (!strcmp(buf, "OK")) {
		code = 0;
		*msg = strdup("");
	} else if (!strncmp(buf, "ERR ", 4) && buf[4] >= '1' && buf[4] <= '9') {
		char *end;

		code = (int)strtol(buf + 4, &end, 10);
		*msg = strdup(*end == ' ' ? end + 1 : "");
	} else {
		fprintf(stderr, "rag-ctl: malformed answer from ragd\n");
		free(buf);
		return -1;
	}
	*body = strdup(nl + 1);
	free(buf);
	if (!*msg || !*body) {
		free(*msg);
		free(*body);
		*msg = *body = NULL;
		fprintf(stderr, "rag-ctl: out of memory\n");
		return -1;
	}
	return code;
}

/* See rag-ctl.h. */
int ctl_request(const struct ctl_ctx *ctx, const char *what, const char *request, char **body)
{
	char *msg = NULL, *b = NULL;
	int code = ctl_call(ctx, request, &msg, &b);

	if (body)
		*body = NULL;
	if (code < 0)
		return EXIT_UNREACHABLE;
	if (code != 0)
		fprintf(stderr, "rag-ctl: %s: %s\n", what, msg[0] ? msg : "refused");
	free(msg);
	if (code == 0 && body)
		*body = b;
	else
		free(b);
	if (code == 0)
		return EXIT_OK;
	return code == RAG_CTL_E_USAGE ? EXIT_USAGE : EXIT_REFUSED;
}

/* Write s[0..n) as a JSON string (log_text.h: escapes, valid UTF-8). */
static void json_str(const char *s, size_t n)
{
	text_json(stdout, s, n);
}

/* See rag-ctl.h. */
void print_json_str(const char *s)
{
	json_str(s, strlen(s));
}

/* See rag-ctl.h. */
void print_kv_json(const char *body)
{
	const char *p = body;
	bool first = true;

	putchar('{');
	while (*p) {
		const char *eol = strchr(p, '\n'), *colon;
		size_t ll = eol ? (size_t)(eol - p) : strlen(p);

		colon = memchr(p, ':', ll);
		if (colon) {
			const char *v = colon + 1;
			size_t vl = ll - (size_t)(v - p);

			while (vl && *v == ' ') {
				v++;
				vl--;
			}
			if (!first)
				putchar(',');
			json_str(p, (size_t)(colon - p));
			putchar(':');
			json_str(v, vl);
			first = false;
		}
		p += ll + (eol ? 1 : 0);
	}
	printf("}\n");
}
