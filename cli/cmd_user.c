/*
 * cmd_user.c — `rag-ctl user add|del|passwd|psk|lock|unlock|list`
 * (INTERFACES.md; `user psk` and `user add --psk-stdin` are additions).
 * Secrets only via --password-stdin / --psk-stdin: read from standard input
 * (one line; echo off when it is a terminal), sent hex-encoded on the
 * request's second line (ctl_proto.h RAG_CTL_SECRET_MARK), wiped
 * afterwards.  ragd refuses PSKs shorter than 20 bytes.  The request format
 * is described in daemon/ctl_users.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ctl_proto.h"
#include "rag-ctl.h"

#define USER_USAGE \
	"user add NAME [--password-stdin | --psk-stdin] [--group G]... [--cert-subject DN] | " \
	"user del NAME | user passwd NAME --password-stdin | " \
	"user psk NAME (--psk-stdin | --remove) | user lock NAME | " \
	"user unlock NAME | user list [--json]"

enum { O_PWSTDIN, O_PSKSTDIN, O_REMOVE, O_GROUP, O_SUBJECT, O_JSON, O_N };

/* Read one line (the password or PSK, named by what) from stdin into buf
 * (cap bytes, not terminated); returns its length without the line end, or
 * -1 (reported). */
static long read_secret(char *buf, size_t cap, const char *what)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	size_t n = 0;
	int ch;

	if (tty) {
		fprintf(stderr, "%s: ", strcmp(what, "password") ? what : "Password");
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	while ((ch = getchar()) != EOF && ch != '\n') {
		if (n == cap) {
			n = cap + 1;
			break;
		}
		buf[n++] = (char)ch;
	}
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	if (n > cap) {
		fprintf(stderr, "rag-ctl: %s longer than %zu bytes\n", what, cap);
		return -1;
	}
	if (n && buf[n - 1] == '\r')
		n--;
	if (n == 0) {
		fprintf(stderr, "rag-ctl: empty %s on standard input\n", what);
		return -1;
	}
	return (long)n;
}

/* Append s hex-encoded to out at *off (capacity checked by the caller). */
static void put_hex(char *out, size_t *off, const void *s, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	const unsigned char *p = s;

	for (size_t i = 0; i < n; i++) {
		out[(*off)++] = hx[p[i] >> 4];
		out[(*off)++] = hx[p[i] & 15];
	}
	out[*off] = '\0';
}

/* Print the daemon's tab-separated list (see ctl_users.c) as a table or JSON. */
static void print_list(char *body, bool json)
{
	static const char *const keys[] = { "name", "state", "password", "psk", "groups",
					    "cert_subject", "failed", "locked_until",
					    "created", "updated" };
	char *save = NULL, *line;
	bool first = true;

	if (json)
		putchar('[');
	else
		printf("%-20s %-10s %-8s %-20s %-6s %-4s %s\n", "NAME", "STATE", "PASSWORD",
		       "GROUPS", "FAILED", "PSK", "CERT-SUBJECT");
	for (line = strtok_r(body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[10], *fs = NULL;
		size_t n = 0;

		for (char *t = strtok_r(line, "\t", &fs); t && n < 10; t = strtok_r(NULL, "\t", &fs))
			f[n++] = t;
		if (n != 10)
			continue;
		if (!json) {
			printf("%-20s %-10s %-8s %-20s %-6s %-4s %s\n", f[0], f[1], f[2], f[4],
			       f[6], f[3], f[5]);
			continue;
		}
		printf("%s{", first ? "" : ",");
		first = false;
		for (size_t k = 0; k < 10; k++) {
			if (k)
				putchar(',');
			print_json_str(keys[k]);
			putchar(':');
			if (k == 2 || k == 3)
				printf("%s", !strcmp(f[k], "yes") ? "true" : "false");
			else if (k == 6)
				printf("%s", f[k]);
			else if (k == 4) {
				char *gs = NULL;
				bool gfirst = true;

				putchar('[');
				if (strcmp(f[k], "-"))
					for (char *g = strtok_r(f[k], ",", &gs); g;
					     g = strtok_r(NULL, ",", &gs)) {
						if (!gfirst)
							putchar(',');
						print_json_str(g);
						gfirst = false;
					}
				putchar(']');
			} else if (!strcmp(f[k], "-"))
				printf("null");
			else
				print_json_str(f[k]);
		}
		putchar('}');
	}
	if (json)
		printf("]\n");
}

/* Send req (and the wiped-after secret, when given); print the outcome;
 * returns the exit status. */
static int call(struct ctl_ctx *ctx, const char *what, char *req, bool json, bool list)
{
	char *msg = NULL, *body = NULL;
	int code = ctl_call(ctx, req, &msg, &body);

	explicit_bzero(req, strlen(req));
	if (code < 0)
		return EXIT_UNREACHABLE;
	if (code == 0 && list)
		print_list(body, json);
	else if (code != 0)
		fprintf(stderr, "rag-ctl: %s: %s\n", what, msg[0] ? msg : "refused");
	free(msg);
	free(body);
	if (code == 0)
		return EXIT_OK;
	return code == RAG_CTL_E_USAGE ? EXIT_USAGE : EXIT_REFUSED;
}

/* rag-ctl user ... */
int user_main(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const struct opt_spec spec[O_N] = {
		[O_PWSTDIN] = { "password-stdin", false, false },
		[O_PSKSTDIN] = { "psk-stdin", false, false },
		[O_REMOVE] = { "remove", false, false },
		[O_GROUP] = { "group", true, true },
		[O_SUBJECT] = { "cert-subject", true, false },
		[O_JSON] = { "json", false, false },
	};
	struct opt_val v[O_N];
	const char *pos[2];
	const char *sub;
	char req[RAG_CTL_MAX_REQUEST], pw[RAG_CTL_MAX_SECRET];
	size_t npos, off;
	long pwlen = 0;
	int rc;

	if (argc < 1)
		return usage_error("user", USER_USAGE, "missing subcommand");
	sub = argv[0];
	if (parse_opts("user", argc - 1, argv + 1, spec, O_N, v, pos, 2, &npos) < 0)
		return usage_error("user", USER_USAGE, "bad arguments");
	if (!strcmp(sub, "list")) {
		if (npos || v[O_PWSTDIN].count || v[O_PSKSTDIN].count || v[O_REMOVE].count ||
		    v[O_GROUP].count || v[O_SUBJECT].count)
			return usage_error("user list", USER_USAGE, "takes only --json");
		snprintf(req, sizeof(req), "user list");
		return call(ctx, "user list", req, v[O_JSON].count || ctx->json, true);
	}
	if (strcmp(sub, "add") && strcmp(sub, "del") && strcmp(sub, "passwd") &&
	    strcmp(sub, "psk") && strcmp(sub, "lock") && strcmp(sub, "unlock"))
		return usage_error("user", USER_USAGE, "unknown subcommand '%s'", sub);
	if (npos != 1)
		return usage_error("user", USER_USAGE, "'user %s' takes one NAME", sub);
	if (!valid_name(pos[0]))
		return usage_error("user", USER_USAGE, "invalid user name '%s' (1-64 of "
				   "A-Z a-z 0-9 . _ @ -, not starting with . or -)", pos[0]);
	if (v[O_JSON].count)
		return usage_error("user", USER_USAGE, "--json is for 'user list'");
	off = (size_t)snprintf(req, sizeof(req), "user %s %s", sub, pos[0]);
	if (!strcmp(sub, "add")) {
		for (int i = 0; i < v[O_GROUP].count; i++) {
			if (!valid_name(v[O_GROUP].val[i]))
				return usage_error("user add", USER_USAGE, "invalid group name '%s'",
						   v[O_GROUP].val[i]);
			off += (size_t)snprintf(req + off, sizeof(req) - off, " group=%s",
						v[O_GROUP].val[i]);
		}
		if (v[O_SUBJECT].count) {
			const char *dn = v[O_SUBJECT].val[0];

			if (!valid_dn(dn))
				return usage_error("user add", USER_USAGE, "invalid --cert-subject "
						   "'%s'", dn);
			if (strlen(dn) > 512)
				return usage_error("user add", USER_USAGE, "--cert-subject longer "
						   "than 512 bytes");
			off += (size_t)snprintf(req + off, sizeof(req) - off, " subject=");
			put_hex(req, &off, dn, strlen(dn));
		}
	} else if (v[O_GROUP].count || v[O_SUBJECT].count) {
		return usage_error("user", USER_USAGE, "--group/--cert-subject are for 'user add'");
	}
	if (!strcmp(sub, "passwd") && !v[O_PWSTDIN].count)
		return usage_error("user passwd", USER_USAGE, "needs --password-stdin");
	if (v[O_PWSTDIN].count && strcmp(sub, "add") && strcmp(sub, "passwd"))
		return usage_error("user", USER_USAGE, "--password-stdin is for add/passwd");
	if (v[O_PSKSTDIN].count && strcmp(sub, "add") && strcmp(sub, "psk"))
		return usage_error("user", USER_USAGE, "--psk-stdin is for add/psk");
	if (v[O_REMOVE].count && strcmp(sub, "psk"))
		return usage_error("user", USER_USAGE, "--remove is for 'user psk'");
	if (v[O_PWSTDIN].count && v[O_PSKSTDIN].count)
		return usage_error("user add", USER_USAGE, "one secret per command: add the "
				   "user with --password-stdin, then 'user psk NAME --psk-stdin'");
	if (!strcmp(sub, "psk") && v[O_PSKSTDIN].count == v[O_REMOVE].count)
		return usage_error("user psk", USER_USAGE, "needs --psk-stdin or --remove");
	if (!strcmp(sub, "add") && v[O_PSKSTDIN].count)
		off += (size_t)snprintf(req + off, sizeof(req) - off, " psk");
	if (v[O_PWSTDIN].count || v[O_PSKSTDIN].count) {
		pwlen = read_secret(pw, sizeof(pw), v[O_PSKSTDIN].count ? "PSK" : "password");
		if (pwlen < 0) {
			explicit_bzero(pw, sizeof(pw));
			return EXIT_REFUSED;
		}
		/* request line + marker + newline + hex: fits RAG_CTL_MAX_REQUEST */
		if (off + 1 + strlen(RAG_CTL_SECRET_MARK) + 1 + 2 * (size_t)pwlen + 2 > sizeof(req)) {
			explicit_bzero(pw, sizeof(pw));
			fprintf(stderr, "rag-ctl: user %s: request too long\n", sub);
			return EXIT_REFUSED;
		}
		off += (size_t)snprintf(req + off, sizeof(req) - off, " %s\n", RAG_CTL_SECRET_MARK);
		put_hex(req, &off, pw, (size_t)pwlen);
		explicit_bzero(pw, sizeof(pw));
	}
	{
		char what[96];

		snprintf(what, sizeof(what), "user %s", sub);
		rc = call(ctx, what, req, false, false);
	}
	explicit_bzero(req, sizeof(req));
	return rc;
}
