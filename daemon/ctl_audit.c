/*
 * ctl_audit.c — audit rows for changes made through the control socket
 * (see ctl_audit.h).
 */
#include "ctl_audit.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "connlog.h"
#include "daemon.h"
#include "log.h"

struct ctl_audit_object {
	char *object, *old_value, *new_value;	/* malloc'ed; values may be NULL */
};

struct ctl_audit {
	char command[CONNLOG_CMD];
	struct ctl_audit_object obj[CTL_AUDIT_MAX_OBJECTS];
	size_t n, dropped;
	bool error;
};

/* Read-only subcommands of commands that otherwise change state. */
static const char *const read_verbs[] = { "list", "show" };

/* Token keys whose values are secrets (matched without regard to case). */
static const char *const secret_keys[] = { "password", "passwd", "psk", "secret", "key" };

/* See ctl_audit.h. */
bool ctl_audit_wanted(bool known, bool changes, const char *args)
{
	size_t n = strcspn(args, " ");

	if (!known)
		return true;	/* an attempt at something: recorded, refused */
	if (!changes)
		return false;
	for (size_t i = 0; i < sizeof(read_verbs) / sizeof(read_verbs[0]); i++)
		if (n == strlen(read_verbs[i]) && !strncmp(args, read_verbs[i], n))
			return false;
	return true;
}

/* Append s[0..n) to out (bounded, always terminated); false when cut. */
static bool append(char *out, size_t outlen, size_t *len, const char *s, size_t n)
{
	size_t room = *len < outlen ? outlen - 1 - *len : 0;
	bool fits = n <= room;

	if (!fits)
		n = room;
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = '\0';
	return fits;
}

/* See ctl_audit.h. */
void ctl_audit_redact(const char *cmd, const char *args, bool had_secret, char *out,
		      size_t outlen)
{
	size_t len = 0;
	const char *p = args;

	if (!outlen)
		return;
	out[0] = '\0';
	append(out, outlen, &len, cmd, strlen(cmd));
	while (*p) {
		size_t n = strcspn(p, " ");
		const char *eq = memchr(p, '=', n);
		bool secret = false;

		if (eq)
			for (size_t i = 0; i < sizeof(secret_keys) / sizeof(secret_keys[0]); i++)
				if ((size_t)(eq - p) == strlen(secret_keys[i]) &&
				    !strncasecmp(p, secret_keys[i], (size_t)(eq - p)))
					secret = true;
		append(out, outlen, &len, " ", 1);
		if (secret) {
			append(out, outlen, &len, p, (size_t)(eq - p) + 1);
			append(out, outlen, &len, "(removed)", 9);
		} else {
			append(out, outlen, &len, p, n);
		}
		p += n;
		while (*p == ' ')
			p++;
	}
	if (had_secret)
		append(out, outlen, &len, " " RAG_CTL_SECRET_MARK, strlen(" " RAG_CTL_SECRET_MARK));
}

/* See ctl_audit.h. */
void ctl_audit_redact_text(char *s, size_t n)
{
	static const char removed[] = "(removed)";

	for (size_t i = 0; s[i]; i++) {
		if (i && ((s[i - 1] >= 'a' && s[i - 1] <= 'z') || (s[i - 1] >= 'A' && s[i - 1] <= 'Z')))
			continue;	/* only at the start of a word */
		for (size_t k = 0; k < sizeof(secret_keys) / sizeof(secret_keys[0]); k++) {
			size_t kl = strlen(secret_keys[k]), v, e;

			if (strncasecmp(s + i, secret_keys[k], kl) || s[i + kl] != '=')
				continue;
			v = i + kl + 1;
			if (s[v] == '"' || s[v] == '\'')
				v++;	/* a quoted value: up to the closing quote */
			for (e = v; s[e] && s[e] != ' ' && s[e] != '\'' && s[e] != '"'; e++)
				;
			if (e - v == sizeof(removed) - 1 && !memcmp(s + v, removed, e - v))
				break;	/* already */
			/* replace s[v..e) by "(removed)" (may grow: cut at n) */
			{
				size_t tail = strlen(s + e), rl = sizeof(removed) - 1;

				if (v + rl + tail >= n)
					tail = v + rl < n ? n - 1 - v - rl : 0;
				if (v + rl < n) {
					memmove(s + v + rl, s + e, tail);
					s[v + rl + tail] = '\0';
					memcpy(s + v, removed, rl);
				} else {
					s[v] = '\0';
				}
			}
			i = v;
			break;
		}
		if (!s[i])
			break;
	}
}

/* See ctl_audit.h. */
void ctl_audit_begin(struct ctl_client *c, const char *cmd, const char *args)
{
	struct ctl_audit *a = calloc(1, sizeof(*a));

	c->audited = true;
	c->audit = a;
	if (a)
		ctl_audit_redact(cmd, args, c->secret != NULL, a->command, sizeof(a->command));
}

/* strdup that keeps NULL (and says whether it failed). */
static bool dup_or_null(const char *s, char **out)
{
	*out = s ? strdup(s) : NULL;
	return !s || *out;
}

/* See ctl_audit.h. */
void ctl_audit_object(struct ctl_client *c, const char *object, const char *old_value,
		      const char *new_value)
{
	struct ctl_audit *a = c->audit;
	struct ctl_audit_object *o;

	if (!a)
		return;
	if (a->n == CTL_AUDIT_MAX_OBJECTS) {
		a->dropped++;
		return;
	}
	o = &a->obj[a->n];
	if (!dup_or_null(object ? object : "", &o->object) ||
	    !dup_or_null(old_value, &o->old_value) || !dup_or_null(new_value, &o->new_value)) {
		free(o->object);
		free(o->old_value);
		free(o->new_value);
		memset(o, 0, sizeof(*o));
		a->dropped++;
		return;
	}
	a->n++;
}

/* See ctl_audit.h. */
void ctl_audit_error(struct ctl_client *c)
{
	if (c->audit)
		c->audit->error = true;
}

/* The result and message of a response ("OK\n<first line>..." or
 * "ERR <code> <message>\n..."). */
static enum connlog_audit_result parse_response(const char *resp, size_t len, char *msg,
						size_t msglen)
{
	const char *nl, *body;
	size_t n = 0;
	int code = -1;

	msg[0] = '\0';
	if (!resp || len < 2)
		return CONNLOG_AUDIT_ERROR;
	if (len >= 3 && !memcmp(resp, "OK\n", 3)) {
		body = resp + 3;
		nl = memchr(body, '\n', len - 3);
		n = nl ? (size_t)(nl - body) : len - 3;
		snprintf(msg, msglen, "%.*s", (int)(n < msglen ? n : msglen - 1), body);
		return CONNLOG_AUDIT_OK;
	}
	if (len > 4 && !memcmp(resp, "ERR ", 4)) {
		size_t off = 4;

		code = 0;
		while (off < len && resp[off] >= '0' && resp[off] <= '9' && code < 1000)
			code = code * 10 + (resp[off++] - '0');
		if (off < len && resp[off] == ' ')
			off++;
		for (n = 0; off + n < len && resp[off + n] != '\n'; n++)
			;
		snprintf(msg, msglen, "%.*s", (int)(n < msglen ? n : msglen - 1), resp + off);
	}
	switch (code) {
	case RAG_CTL_E_REFUSED:
	case RAG_CTL_E_USAGE:
	case RAG_CTL_E_UNKNOWN:
		return CONNLOG_AUDIT_REFUSED;
	default:
		return CONNLOG_AUDIT_ERROR;
	}
}

/* Copy a value into a row field; false for NULL. */
static bool set_value(char *dst, size_t n, const char *v)
{
	if (!v)
		return false;
	snprintf(dst, n, "%s", v);
	return true;
}

/* See ctl_audit.h. */
void ctl_audit_end(struct ragd *d, struct ctl_client *c, const char *resp, size_t len)
{
	struct ctl_audit *a = c->audit;
	struct connlog_audit *row;
	struct passwd pw, *pwp = NULL;
	char pwbuf[1024];
	size_t rows;

	if (!c->audited)
		return;
	c->audited = false;
	c->audit = NULL;
	row = calloc(1, sizeof(*row));
	if (!row) {
		log_err("audit: out of memory: a control request of uid %u is not recorded",
			(unsigned int)c->uid);
		goto out;
	}
	row->uid = (uint32_t)c->uid;
	row->pid = (int32_t)c->pid;
	if (getpwuid_r(c->uid, &pw, pwbuf, sizeof(pwbuf), &pwp) == 0 && pwp)
		snprintf(row->unix_user, sizeof(row->unix_user), "%s", pw.pw_name);
	if (a)
		snprintf(row->command, sizeof(row->command), "%s", a->command);
	else
		snprintf(row->command, sizeof(row->command), "(request not kept: out of memory)");
	row->result = parse_response(resp, len, row->message, sizeof(row->message));
	ctl_audit_redact_text(row->message, sizeof(row->message));
	if (a && a->error)
		row->result = CONNLOG_AUDIT_ERROR;
	if (a && a->dropped) {
		size_t m = strlen(row->message);

		snprintf(row->message + m, sizeof(row->message) - m, " (%zu more objects not "
			 "recorded)", a->dropped);
	}
	rows = a && a->n ? a->n : 1;
	for (size_t i = 0; i < rows; i++) {
		const struct ctl_audit_object *o = a && a->n ? &a->obj[i] : NULL;
		int r;

		snprintf(row->object, sizeof(row->object), "%s", o ? o->object : "");
		row->has_old = set_value(row->old_value, sizeof(row->old_value),
					 o ? o->old_value : NULL);
		row->has_new = set_value(row->new_value, sizeof(row->new_value),
					 o ? o->new_value : NULL);
		r = d->connlog ? connlog_audit(d->connlog, row) : -ENODEV;
		if (r < 0)
			log_err("audit: a row for uid %u is lost (%s): %s", (unsigned int)c->uid,
				d->connlog ? strerror(-r) : "logs.db is not open", row->command);
	}
	free(row);
out:
	if (a) {
		for (size_t i = 0; i < a->n; i++) {
			free(a->obj[i].object);
			free(a->obj[i].old_value);
			free(a->obj[i].new_value);
		}
		free(a);
	}
}

/* See ctl_audit.h. */
void ctl_audit_config_desc(struct ragd *d)
{
	char hex[2 * EVP_MAX_MD_SIZE + 1] = "-";
	char q[RAG_QUOTE_MAX];

	if (d->config_from_file) {
		int fd = open(d->config_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		unsigned char buf[4096], dig[EVP_MAX_MD_SIZE];
		unsigned int dl = 0;
		size_t total = 0;
		ssize_t n = 0;

		if (fd >= 0 && md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1) {
			while (total <= RAG_CONF_MAX_FILE && (n = read(fd, buf, sizeof(buf))) > 0) {
				EVP_DigestUpdate(md, buf, (size_t)n);
				total += (size_t)n;
			}
			if (n == 0 && EVP_DigestFinal_ex(md, dig, &dl) == 1)
				for (unsigned int i = 0; i < dl; i++)
					snprintf(hex + 2 * i, 3, "%02x", dig[i]);
		}
		EVP_MD_CTX_free(md);
		if (fd >= 0)
			close(fd);
	}
	snprintf(d->config_desc, sizeof(d->config_desc), "file=%s sha256=%s id=%s "
		 "certificate-sha256=%s", d->config_from_file ?
		 rag_quote_str(q, sizeof(q), d->config_path) : "(embedded defaults)", hex,
		 d->cfg->id, d->pki.cert_fpr);
}
