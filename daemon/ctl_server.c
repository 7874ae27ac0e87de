/*
 * ctl_server.c — ragd's side of the control protocol (ctl_proto.h): the
 * listening unix socket, non-blocking per-client buffers driven by the event
 * loop, and the command table.  A client sends one request line, gets one
 * response, and the connection is closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "connlog.h"
#include "ctl_audit.h"
#include "daemon.h"
#include "log.h"
#include "logsign.h"
#include "policy_db.h"
#include "responder.h"

#define TAG_CLIENT_BASE ((unsigned int)RAGD_TAG_CLIENT)

/* ---- the listening socket ---------------------------------------------------------- */

/* Create the socket's directory (parents 0755, itself 0750, group rag). */
static int make_socket_dir(const char *path, gid_t gid)
{
	char dir[RAG_CONF_SOCK_MAX + 1];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	dirname(dir);
	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	for (size_t i = 1; dir[i]; i++) {
		if (dir[i] != '/')
			continue;
		dir[i] = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		dir[i] = '/';
	}
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return -errno;
	if (gid != (gid_t)-1 && chown(dir, (uid_t)-1, gid) < 0)
		log_warn("cannot give %s to group rag: %s", dir, strerror(errno));
	return 0;
}

/* See daemon.h. */
int ctl_listen(struct ragd *d, const char *path)
{
	struct sockaddr_un sa;
	struct group *gr = getgrnam("rag");
	gid_t gid = gr ? gr->gr_gid : (gid_t)-1;
	struct epoll_event ev;
	struct stat st;
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	r = make_socket_dir(path, gid);
	if (r < 0) {
		log_err("control socket %s: cannot create its directory: %s", path, strerror(-r));
		return r;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (lstat(path, &st) == 0) {
		/* a live daemon answers connect(); a stale socket is replaced */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (!S_ISSOCK(st.st_mode)) {
			log_err("control socket %s: exists and is not a socket", path);
			close(probe);
			close(fd);
			return -EEXIST;
		}
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			log_err("control socket %s: another ragd is running", path);
			close(probe);
			close(fd);
			return -EADDRINUSE;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	old = umask(0117);	/* the socket is born 0660 */
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, RAG_CTL_MAX_CLIENTS) < 0) {
		r = -errno;
		log_err("control socket %s: %s", path, strerror(-r));
		close(fd);
		return r;
	}
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0)
		log_warn("control socket %s: cannot give it to group rag: %s", path,
			 strerror(errno));
	if (stat(path, &st) == 0) {
		d->ctl_dev = st.st_dev;
		d->ctl_ino = st.st_ino;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = RAGD_TAG_CTL;
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		r = -errno;
		close(fd);
		unlink(path);
		return r;
	}
	snprintf(d->ctl_path, sizeof(d->ctl_path), "%s", path);
	d->ctlfd = fd;
	return fd;
}

/* ---- clients ------------------------------------------------------------------------ */

/* Close client slot c. */
static void client_close(struct ragd *d, struct ctl_client *c)
{
	if (c->fd < 0)
		return;
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* See daemon.h. */
void ctl_accept(struct ragd *d)
{
	for (;;) {
		int fd = accept4(d->ctlfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct ctl_client *c = NULL;
		struct epoll_event ev;
		struct ucred cred;
		socklen_t cl = sizeof(cred);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("control socket: accept: %s", strerror(errno));
			return;
		}
		for (unsigned int i = 0; i < RAG_CTL_MAX_CLIENTS; i++)
			if (d->clients[i].fd < 0) {
				c = &d->clients[i];
				memset(&ev, 0, sizeof(ev));
				ev.events = EPOLLIN;
				ev.data.u32 = TAG_CLIENT_BASE + i;
				break;
			}
		if (!c) {
			static const char busy[] = "ERR 5 too many control connections\n";

			(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			log_warn("control socket: too many connections, one refused");
			continue;
		}
		memset(&cred, 0, sizeof(cred));
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0) {
			log_warn("control socket: SO_PEERCRED: %s", strerror(errno));
			close(fd);
			continue;
		}
		if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->uid = cred.uid;
		c->pid = cred.pid;
		c->deadline_ms = ragd_now_ms() + RAG_CTL_TIMEOUT_MS;
	}
}

/* A growing response buffer. */
struct resp {
	char *buf;
	size_t len, cap;
	bool oom;
};

static void resp_add(struct resp *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append formatted text to r (sticky out-of-memory). */
static void resp_add(struct resp *r, const char *fmt, ...)
{
	va_list ap;

	if (r->oom)
		return;
	va_start(ap, fmt);
	if (rag_vappendf(&r->buf, &r->len, &r->cap, RAG_CTL_MAX_RESPONSE, fmt, ap) < 0)
		r->oom = true;
	va_end(ap);
}

/* See daemon.h. */
int ragd_clock_synced(void)
{
	struct timex tx;
	int st;

	memset(&tx, 0, sizeof(tx));	/* modes = 0: read only */
	st = adjtimex(&tx);
	if (st < 0)
		return -1;	/* e.g. filtered by a seccomp policy */
	return st != TIME_ERROR && !(tx.status & STA_UNSYNC);
}

/* "status": version, uptime, SA counts, clock state, CA fingerprint, id. */
static void cmd_status(struct ragd *d, struct ctl_client *c, char *args, struct resp *r)
{
	struct timespec now;
	long long up;
	char q[RAG_QUOTE_MAX];
	int clock_state;

	(void)c;
	(void)args;
	clock_gettime(CLOCK_MONOTONIC, &now);
	up = (long long)(now.tv_sec - d->started.tv_sec);
	resp_add(r, "OK\n");
	resp_add(r, "daemon: ragd\n");
	resp_add(r, "version: %s\n", RAG_VERSION);
	resp_add(r, "pid: %ld\n", (long)getpid());
	resp_add(r, "uptime: %lld\n", up);
	resp_add(r, "id: %s\n", d->cfg->id);
	{
		struct rag_resp_counts rc;

		rag_resp_counts(d, &rc);
		resp_add(r, "ike-sas: %zu\n", rc.ike);
		resp_add(r, "half-open-sas: %zu\n", rc.half_open);
		resp_add(r, "child-sas: %zu\n", rc.child);
		resp_add(r, "child-sas-in-kernel: %zu\n", rc.child_kernel);
		resp_add(r, "ike-datagrams-in: %llu\n", (unsigned long long)rc.rx);
		resp_add(r, "ike-datagrams-out: %llu\n", (unsigned long long)rc.tx);
		resp_add(r, "ike-datagrams-dropped: %llu\n", (unsigned long long)rc.dropped);
	}
	clock_state = ragd_clock_synced();
	resp_add(r, "clock: %s\n", clock_state > 0 ? "synchronized" : clock_state == 0 ? "unsynchronized" :
		 "unknown");
	resp_add(r, "ca-fingerprint: %s\n", d->pki.ca_fpr[0] ? d->pki.ca_fpr : "none");
	resp_add(r, "certificate-fingerprint: %s\n", d->pki.cert_fpr);
	resp_add(r, "log-signing-key: %s\n", d->logsign ? logsign_public(d->logsign) : "none");
	resp_add(r, "config: %s\n", d->config_from_file ?
		 rag_quote_str(q, sizeof(q), d->config_path) : "embedded defaults");
	resp_add(r, "state-dir: %s\n", d->cfg->state_dir);
	resp_add(r, "reloads: %u\n", d->reloads);
}

/* "reload": re-read config and certificates. */
static void cmd_reload(struct ragd *d, struct ctl_client *c, char *args, struct resp *r)
{
	struct rag_conf_errors *errs = calloc(1, sizeof(*errs));
	char old[sizeof(d->config_desc)];

	(void)args;
	if (!errs) {
		ctl_audit_error(c);
		resp_add(r, "ERR %d out of memory\n", RAG_CTL_E_REFUSED);
		return;
	}
	memcpy(old, d->config_desc, sizeof(old));
	if (ragd_reload(d, errs) == 0) {
		resp_add(r, "OK\nreloaded\n");
	} else {
		resp_add(r, "ERR %d configuration not reloaded, keeping the running one\n",
			 RAG_CTL_E_REFUSED);
		for (size_t i = 0; i < errs->n; i++)
			resp_add(r, "%s\n", errs->msg[i]);
		if (errs->dropped)
			resp_add(r, "(%zu more errors)\n", errs->dropped);
	}
	/* after a refusal the new value is the old one: nothing changed */
	ctl_audit_object(c, "configuration", old, d->config_desc);
	free(errs);
}

/* resp_add() as a ctl_emit_fn. */
static void emit_resp(void *arg, const char *text)
{
	resp_add(arg, "%s", text);
}

/* "user ...": users in rag.db (ctl_users.c); an added or deleted user
 * changes the policy's users (ctl_policy.c). */
static void cmd_user(struct ragd *d, struct ctl_client *c, char *args, struct resp *r)
{
	bool adds_or_dels = !strncmp(args, "add ", 4) || !strncmp(args, "del ", 4);
	size_t before = r->len;

	ctl_users_cmd(d, c, args, emit_resp, r);
	if (adds_or_dels && !r->oom && r->len >= before + 3 && !memcmp(r->buf + before, "OK\n", 3))
		ctl_policy_users_changed(d);
}

/* "group ...", "hostgroup ...", "servicegroup ...", "rule ...": the access
 * policy (ctl_policy.c). */
static void cmd_group(struct ragd *d, struct ctl_client *c, char *args, struct resp *r)
{
	ctl_policy_group_cmd(d, c, POL_FAM_USER, args, emit_resp, r);
}

static void cmd_hostgroup(struct ragd *d, struct ctl_client *c, char *args, struct resp *r)
{
	ctl_policy_group_cmd(d, c, POL_FAM_HOST, args, emit_resp, r);
}

static void cmd_servicegroup(struct ragd *d, struct ctl_client *c, char *args, struct resp *r)
{
	ctl_policy_group_cmd(d, c, POL_FAM_SERVICE, args, emit_resp, r);
}

static void cmd_rule(struct ragd *d, struct ctl_client *c, char *args, struct resp *r)
{
	ctl_policy_rule_cmd(d, c, args, emit_resp, r);
}

/* "log sign HEX" (ctl_log.c). */
static void cmd_log(struct ragd *d, struct ctl_client *c, char *args, struct resp *r)
{
	ctl_log_cmd(d, c, args, emit_resp, r);
}

/* "sa list [json] [user NAME]" | "sa kill user NAME" | "sa kill id ID"
 * (built by rag-ctl's cmd_sa.c; the runtime in responder.c). */
static void cmd_sa(struct ragd *d, struct ctl_client *c, char *args, struct resp *r)
{
	char *tok[5], *save = NULL, *t;
	size_t n = 0;
	const char *user = NULL;
	bool json = false;

	for (t = strtok_r(args, " ", &save); t && n < 5; t = strtok_r(NULL, " ", &save))
		tok[n++] = t;
	if (n >= 1 && !strcmp(tok[0], "list")) {
		for (size_t i = 1; i < n; i++) {
			if (!strcmp(tok[i], "json"))
				json = true;
			else if (!strcmp(tok[i], "user") && i + 1 < n)
				user = tok[++i];
			else {
				resp_add(r, "ERR %d sa list: bad arguments\n", RAG_CTL_E_USAGE);
				return;
			}
		}
		resp_add(r, "OK\n");
		rag_resp_sa_list(d, user, json, emit_resp, r);
		return;
	}
	if (n == 3 && !strcmp(tok[0], "kill") && !strcmp(tok[1], "user")) {
		size_t k = rag_resp_sa_kill_user(d, tok[2]);
		char obj[CONNLOG_STR], old[64];

		if (!k) {
			resp_add(r, "ERR %d no IKE SA of user %s\n", RAG_CTL_E_REFUSED, tok[2]);
		} else {
			snprintf(obj, sizeof(obj), "IKE SAs of user %.200s", tok[2]);
			snprintf(old, sizeof(old), "%zu established", k);
			ctl_audit_object(c, obj, old, NULL);
			resp_add(r, "OK\nterminated %zu IKE SA%s\n", k, k == 1 ? "" : "s");
		}
		return;
	}
	if (n == 3 && !strcmp(tok[0], "kill") && !strcmp(tok[1], "id")) {
		uint64_t id;

		if (rag_parse_uint(tok[2], 1, UINT64_MAX, &id) < 0) {
			resp_add(r, "ERR %d sa kill: bad id\n", RAG_CTL_E_USAGE);
			return;
		}
		if (!rag_resp_sa_kill_id(d, id)) {
			resp_add(r, "ERR %d no IKE SA with id %s\n", RAG_CTL_E_REFUSED, tok[2]);
		} else {
			char obj[64];

			snprintf(obj, sizeof(obj), "IKE SA %llu", (unsigned long long)id);
			ctl_audit_object(c, obj, "established", NULL);
			resp_add(r, "OK\nterminated 1 IKE SA\n");
		}
		return;
	}
	resp_add(r, "ERR %d usage: sa list [json] [user NAME] | sa kill (user NAME | id ID)\n",
		 RAG_CTL_E_USAGE);
}

/* The commands ragd serves; "changes" ones are logged at notice level with
 * the caller's uid and recorded in the audit log (ctl_audit.h: unless their
 * first argument is "list" or "show"), queries at info. */
static const struct {
	const char *name;
	void (*fn)(struct ragd *d, struct ctl_client *c, char *args, struct resp *r);
	bool changes;
} commands[] = {
	{ "status", cmd_status, false },
	{ "reload", cmd_reload, true },
	{ "user", cmd_user, true },
	{ "sa", cmd_sa, true },
	{ "log", cmd_log, true },
	{ "group", cmd_group, true },
	{ "hostgroup", cmd_hostgroup, true },
	{ "servicegroup", cmd_servicegroup, true },
	{ "rule", cmd_rule, true },
};

/* Parse and run the request line of c, leaving the response in c->out. */
static void client_dispatch(struct ragd *d, struct ctl_client *c, char *line)
{
	struct resp r = { 0 };
	char q[RAG_QUOTE_MAX];
	char *args = strchr(line, ' ');
	bool known;
	size_t i;

	if (args)
		*args++ = '\0';
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, line))
			break;
	known = i < sizeof(commands) / sizeof(commands[0]);
	if (!args)
		args = line + strlen(line);
	rag_quote_str(q, sizeof(q), line);
	rag_log(known && commands[i].changes ? RAG_LOG_NOTICE : RAG_LOG_INFO,
		"control: uid %u pid %ld: %s", (unsigned int)c->uid, (long)c->pid, q);
	if (ctl_audit_wanted(known, known && commands[i].changes, args))
		ctl_audit_begin(c, line, args);	/* before the handler cuts args up */
	if (!known)
		resp_add(&r, "ERR %d unknown command %s\n", RAG_CTL_E_UNKNOWN, q);
	else
		commands[i].fn(d, c, args, &r);
	if (r.oom) {
		free(r.buf);
		r.buf = strdup("ERR 1 response too large\n");
		r.len = r.buf ? strlen(r.buf) : 0;
	}
	ctl_audit_end(d, c, r.buf, r.len);
	c->out = r.buf;
	c->out_len = r.len;
	c->out_off = 0;
}

/* Write what is pending; close when done or on error. */
static void client_flush(struct ragd *d, struct ctl_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct epoll_event ev;

			memset(&ev, 0, sizeof(ev));
			ev.events = EPOLLOUT;
			ev.data.u32 = TAG_CLIENT_BASE + (unsigned int)(c - d->clients);
			epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->fd, &ev);
			return;
		}
		if (n <= 0)
			break;
		c->out_off += (size_t)n;
	}
	client_close(d, c);
}

/* Reject a request that is not one line of printable ASCII. */
static bool request_ok(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* See daemon.h. */
void ctl_client_event(struct ragd *d, unsigned int i, uint32_t events)
{
	struct ctl_client *c;

	if (i >= RAG_CTL_MAX_CLIENTS || d->clients[i].fd < 0)
		return;
	c = &d->clients[i];
	if (c->out) {
		client_flush(d, c);
		return;
	}
	if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN)) {
		client_close(d, c);
		return;
	}
	for (;;) {
		ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			client_close(d, c);	/* closed before a full request */
			return;
		}
		c->in_len += (size_t)n;
		nl = memchr(c->in, '\n', c->in_len);
		if (nl) {
			size_t ll = (size_t)(nl - c->in), ml = strlen(" " RAG_CTL_SECRET_MARK);
			bool secret_too_long = false;

			if (ll && c->in[ll - 1] == '\r')
				ll--;
			/* "... --secret-follows": the secret is the next line */
			if (ll > ml && !memcmp(c->in + ll - ml, " " RAG_CTL_SECRET_MARK, ml)) {
				char *s2 = nl + 1;
				char *nl2 = memchr(s2, '\n', c->in_len - (size_t)(s2 - c->in));

				if (!nl2 && c->in_len < sizeof(c->in))
					continue;	/* wait for the secret line */
				if (nl2) {
					c->secret = s2;
					c->secret_len = (size_t)(nl2 - s2);
					if (c->secret_len && s2[c->secret_len - 1] == '\r')
						c->secret_len--;
					ll -= ml;
				} else {
					secret_too_long = true;
				}
			}
			if (secret_too_long) {
				c->out = strdup("ERR 2 request too long\n");
				c->out_len = c->out ? strlen(c->out) : 0;
			} else if (!request_ok(c->in, ll)) {
				c->out = strdup("ERR 2 malformed request\n");
				c->out_len = c->out ? strlen(c->out) : 0;
			} else {
				c->in[ll] = '\0';
				client_dispatch(d, c, c->in);
			}
			/* the buffer may have held a password */
			explicit_bzero(c->in, sizeof(c->in));
			c->secret = NULL;
			c->secret_len = 0;
			if (!c->out) {
				client_close(d, c);
				return;
			}
			client_flush(d, c);
			return;
		}
		if (c->in_len == sizeof(c->in)) {
			c->out = strdup("ERR 2 request too long\n");
			c->out_len = c->out ? strlen(c->out) : 0;
			client_flush(d, c);
			return;
		}
	}
}

/* See daemon.h. */
void ctl_expire(struct ragd *d, uint64_t now_ms)
{
	for (unsigned int i = 0; i < RAG_CTL_MAX_CLIENTS; i++)
		if (d->clients[i].fd >= 0 && now_ms > d->clients[i].deadline_ms) {
			log_info("control: uid %u: timed out", (unsigned int)d->clients[i].uid);
			client_close(d, &d->clients[i]);
		}
}

/* See daemon.h. */
void ctl_close(struct ragd *d)
{
	struct stat st;

	for (unsigned int i = 0; i < RAG_CTL_MAX_CLIENTS; i++)
		client_close(d, &d->clients[i]);
	if (d->ctlfd >= 0) {
		close(d->ctlfd);
		d->ctlfd = -1;
		/* only remove the socket if it is still ours */
		if (d->ctl_path[0] && lstat(d->ctl_path, &st) == 0 &&
		    st.st_dev == d->ctl_dev && st.st_ino == d->ctl_ino)
			unlink(d->ctl_path);
	}
}

/* See daemon.h. */
int ragd_clock_check(struct ragd *d, uint64_t now_ms)
{
	int st;

	if (now_ms < d->next_clock_check_ms)
		return 2;
	d->next_clock_check_ms = now_ms + RAGD_CLOCK_CHECK_MS;
	st = ragd_clock_synced();
	if (st == 0)
		log_warn("the kernel clock is not synchronized (adjtimex: STA_UNSYNC or "
			 "TIME_ERROR): log times cannot be trusted; run an NTP client "
			 "(systemd-timesyncd, chrony); checking again in an hour");
	else if (st < 0)
		log_warn("cannot tell whether the kernel clock is synchronized (adjtimex "
			 "failed); checking again in an hour");
	return st;
}
