/*
 * responder_ctl.c — `rag-ctl sa list` / `sa kill` (responder.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "daemon.h"
#include "log.h"
#include "responder_int.h"

#define MAX_KILL 4096		/* SAs one `sa kill --user` handles */

static void json_str(char *buf, size_t cap, const char *s)
{
	size_t n = strlen(buf);

	if (n + 2 >= cap)
		return;
	buf[n++] = '"';
	for (; *s && n + 8 < cap; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)ch;
		} else if (ch < 0x20 || ch >= 0x7f) {
			n += (size_t)snprintf(buf + n, cap - n, "\\u%04x", ch);
		} else {
			buf[n++] = (char)ch;
		}
	}
	buf[n++] = '"';
	buf[n] = '\0';
}

/* Copy s with anything but printable ASCII (and spaces) replaced. */
static const char *plain(const char *s, char *out, size_t outlen)
{
	size_t n = 0;

	for (; *s && n + 1 < outlen; s++)
		out[n++] = (*s > 0x20 && *s < 0x7f) ? *s : '?';
	out[n] = '\0';
	return n ? out : "-";
}

/* One SA for `sa list`. */
static void list_one(struct rag_resp *r, const struct rag_sa *sa, bool json, bool first,
		     rag_resp_emit emit, void *arg)
{
	static const char *const states[] = {
		"idle", "init-sent", "half-open", "auth-sent", "established", "rekeyed",
		"deleted", "failed",
	};
	char remote[64], local[64], vip[INET6_ADDRSTRLEN] = "", vip6[INET6_ADDRSTRLEN] = "";
	char since[32] = "", line[2048], u[RAG_SA_USER_MAX + 1], a[128], ca[128];
	const char *st = sa->state < 8 ? states[sa->state] : "?";
	uint64_t bin, bout;
	unsigned int nchild = 0;

	if (sa->ike && !sa->busy)
		st = sa->ike->state < 8 ? states[sa->ike->state] : "?";
	rag_ep_str(&sa->remote, remote, sizeof(remote));
	rag_ep_str(&sa->local, local, sizeof(local));
	if (sa->have_vip4)
		inet_ntop(AF_INET, sa->vip4, vip, sizeof(vip));
	if (sa->have_vip6)
		inet_ntop(AF_INET6, sa->vip6, vip6, sizeof(vip6));
	if (sa->established_wall) {
		struct tm tm;

		gmtime_r(&sa->established_wall, &tm);
		strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	for (int i = 0; i < IKE_EXCH_MAX_CHILDREN; i++)
		nchild += sa->ck[i].known;
	sa_bytes(r, sa, &bin, &bout);
	if (!json) {
		snprintf(line, sizeof(line),
			 "id=%llu user=%s state=%s remote=%s local=%s vip=%s%s%s algs=%s "
			 "child-algs=%s children=%u bytes-in=%llu bytes-out=%llu since=%s "
			 "method=%s%s%s\n",
			 (unsigned long long)sa->id, plain(sa->user, u, sizeof(u)), st, remote,
			 local, vip[0] ? vip : "-", vip6[0] ? "," : "", vip6,
			 plain(sa->algs, a, sizeof(a)), plain(sa->child_algs, ca, sizeof(ca)),
			 nchild, (unsigned long long)bin, (unsigned long long)bout,
			 since[0] ? since : "-", sa->method[0] ? sa->method : "-",
			 sa->kern_error[0] ? " kernel-error=" : "",
			 sa->kern_error[0] ? "yes" : "");
		emit(arg, line);
		return;
	}
	snprintf(line, sizeof(line), "%s{\"id\":%llu,\"user\":", first ? "" : ",",
		 (unsigned long long)sa->id);
	json_str(line, sizeof(line), sa->user);
	snprintf(line + strlen(line), sizeof(line) - strlen(line), ",\"state\":\"%s\","
		 "\"remote\":\"%s\",\"local\":\"%s\",\"vip\":\"%s\",\"vip6\":\"%s\",\"algs\":",
		 st, remote, local, vip, vip6);
	json_str(line, sizeof(line), sa->algs);
	snprintf(line + strlen(line), sizeof(line) - strlen(line), ",\"child-algs\":");
	json_str(line, sizeof(line), sa->child_algs);
	snprintf(line + strlen(line), sizeof(line) - strlen(line),
		 ",\"children\":%u,\"bytes-in\":%llu,\"bytes-out\":%llu,\"since\":\"%s\","
		 "\"method\":\"%s\",\"kernel-error\":", nchild, (unsigned long long)bin,
		 (unsigned long long)bout, since, sa->method);
	json_str(line, sizeof(line), sa->kern_error);
	snprintf(line + strlen(line), sizeof(line) - strlen(line), "}");
	emit(arg, line);
}

/* See responder.h. */
size_t rag_resp_sa_list(struct ragd *d, const char *user, bool json,
			rag_resp_emit emit, void *arg)
{
	struct rag_resp *r = d->resp;
	size_t n = 0;

	if (json)
		emit(arg, "[");
	if (r && user) {
		struct rag_sa *v[MAX_KILL];
		size_t k = rag_sa_by_user(&r->tab, user, strlen(user), v, MAX_KILL);

		for (size_t i = 0; i < k && i < MAX_KILL; i++, n++)
			list_one(r, v[i], json, n == 0, emit, arg);
	} else if (r) {
		for (struct rag_sa *sa = rag_sa_first(&r->tab); sa; sa = rag_sa_next(sa), n++)
			list_one(r, sa, json, n == 0, emit, arg);
	}
	if (json)
		emit(arg, "]\n");
	return n;
}

/* Kill one SA for the administrator: DELETE (1.4.1), kernel state, SA. */
static void kill_one(struct rag_resp *r, struct rag_sa *sa)
{
	sa_kill(r, sa);
}

/* See responder.h. */
size_t rag_resp_sa_kill_user(struct ragd *d, const char *user)
{
	struct rag_resp *r = d->resp;
	struct rag_sa *v[MAX_KILL];
	size_t k;

	if (!r)
		return 0;
	k = rag_sa_by_user(&r->tab, user, strlen(user), v, MAX_KILL);
	if (k > MAX_KILL)
		k = MAX_KILL;
	for (size_t i = 0; i < k; i++)
		kill_one(r, v[i]);
	return k;
}

/* See responder.h. */
size_t rag_resp_sa_kill_id(struct ragd *d, uint64_t id)
{
	struct rag_resp *r = d->resp;
	struct rag_sa *sa = r ? rag_sa_by_id(&r->tab, id) : NULL;

	if (!sa)
		return 0;
	kill_one(r, sa);
	return 1;
}
