/*
 * daemon.c — configuration loading shared by `ragd -n` and the daemon, the
 * start-up banner, reload, and the event loop (see daemon.h).
 */
#include "daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "acl.h"
#include "config.h"
#include "log.h"
#include "notify.h"
#include "policy.h"
#include "responder.h"

/* See daemon.h. */
uint64_t ragd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* See daemon.h. */
void ragd_print_errors(const struct rag_conf_errors *errs, bool as_log)
{
	for (size_t i = 0; i < errs->n; i++) {
		if (as_log)
			log_err("%s", errs->msg[i]);
		else
			fprintf(stderr, "%s\n", errs->msg[i]);
	}
	if (errs->dropped) {
		if (as_log)
			log_err("(%zu more errors not shown)", errs->dropped);
		else
			fprintf(stderr, "(%zu more errors not shown)\n", errs->dropped);
	}
}

/* Are the generated files there (so -n can check them)? */
static bool generated_present(const struct rag_config *c)
{
	struct stat st;

	return stat(c->certificate, &st) == 0 || stat(c->private_key, &st) == 0;
}

/* See daemon.h. */
int ragd_load(const char *path, bool explicit_path, bool check_only,
	      struct rag_config **cfgp, struct rag_pki *pki, bool *from_file,
	      struct rag_conf_errors *errs)
{
	struct rag_config *c = malloc(sizeof(*c));
	size_t before = errs->n + errs->dropped;
	char err[RAG_CONF_MAX_ERRLEN - 64];
	int r;

	*cfgp = NULL;
	memset(pki, 0, sizeof(*pki));
	if (!c) {
		rag_conf_error(errs, "out of memory");
		return -ENOMEM;
	}
	rag_config_init(c);
	rag_config_load_or_defaults(c, path, explicit_path, from_file, errs);
	if (errs->n + errs->dropped > before)
		goto fail;
	if (rag_config_resolve_id(c) < 0) {
		rag_conf_error(errs, "%s: [gateway] id: not set and the host name is not "
			       "usable as one; set id", c->source);
		goto fail;
	}
	if (c->generate_pki && !check_only) {
		struct rag_pki_gen gen;

		r = rag_pki_generate(c->state_dir, c->id, &gen, err, sizeof(err));
		if (r < 0) {
			rag_conf_error(errs, "%s: generating certificates: %s", c->source, err);
			goto fail;
		}
		if (gen.ca_created)
			log_notice("generated a new CA in %s", c->state_dir);
		if (gen.server_created)
			log_notice("generated a new server certificate for %s (%s)", c->id,
				   gen.reason);
	}
	if (c->generate_pki && check_only && !generated_present(c)) {
		/* nothing to check yet: the first start creates them */
		*cfgp = c;
		return 0;
	}
	if (rag_pki_load(pki, c, errs) < 0)
		goto fail;
	*cfgp = c;
	return 0;
fail:
	free(c);
	return -EINVAL;
}

/* Log what we run with; on generated certificates also how a client
 * connects (README material). */
static void banner(struct ragd *d)
{
	const struct rag_config *c = d->cfg;
	char q[RAG_QUOTE_MAX];

	log_notice("configuration: %s", d->config_from_file ?
		   rag_quote_str(q, sizeof(q), d->config_path) :
		   "embedded defaults (no config file)");
	log_notice("id %s, state directory %s", c->id, c->state_dir);
	log_notice("server certificate %s, SHA-256 %s", c->certificate, d->pki.cert_fpr);
	if (c->ca[0])
		log_notice("CA %s, SHA-256 %s", c->ca, d->pki.ca_fpr);
	if (c->generate_pki) {
		log_notice("to connect a client: server address %s; install %s on it "
			   "as a trusted root CA (check the SHA-256 fingerprint above)",
			   c->id, c->ca);
		log_notice("clients authenticate with EAP-MSCHAPv2 as a user created by "
			   "'rag-ctl user add NAME --password-stdin'");
	}
}

/* See daemon.h. */
int ragd_reload(struct ragd *d, struct rag_conf_errors *errs)
{
	struct rag_config *nc;
	struct rag_pki np;
	bool from_file;

	if (ragd_load(d->config_path, d->config_explicit, false, &nc, &np, &from_file,
		      errs) < 0) {
		ragd_print_errors(errs, true);
		log_err("reload failed, keeping the running configuration");
		return -EINVAL;
	}
	if (strcmp(nc->control_socket, d->cfg->control_socket))
		log_warn("control-socket changed: takes effect at the next start");
	if (strcmp(nc->state_dir, d->cfg->state_dir))
		log_warn("state-dir changed: takes effect at the next start");
	rag_pki_free(&d->pki);
	d->pki = np;
	free(d->cfg);
	d->cfg = nc;
	d->config_from_file = from_file;
	d->reloads++;
	rag_resp_reload(d);	/* new IKE SAs use the new configuration */
	ragd_stores_reload(d);
	log_notice("configuration reloaded (%s), id %s, certificate SHA-256 %s",
		   from_file ? d->config_path : "embedded defaults", nc->id, np.cert_fpr);
	return 0;
}

/* Reload on SIGHUP: errors are logged by ragd_reload(). */
static void reload_signal(struct ragd *d)
{
	struct rag_conf_errors *errs = calloc(1, sizeof(*errs));

	if (!errs) {
		log_err("reload: out of memory");
		return;
	}
	log_notice("SIGHUP: reloading configuration");
	ragd_reload(d, errs);
	free(errs);
}

/* Drain the signalfd. */
static void handle_signals(struct ragd *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			reload_signal(d);
			break;
		case SIGTERM:
		case SIGINT:
			log_notice("signal %u: shutting down", si.ssi_signo);
			d->quit = true;
			break;
		default:
			break;
		}
	}
}

/* sd_notify STATUS= with the SA counts, when they changed. */
static void notify_status(struct ragd *d, bool force)
{
	static struct rag_resp_counts last;
	struct rag_resp_counts c;
	char buf[160];

	rag_resp_counts(d, &c);
	if (!force && c.ike == last.ike && c.half_open == last.half_open &&
	    c.child == last.child)
		return;
	last = c;
	snprintf(buf, sizeof(buf), "STATUS=%zu IKE SAs, %zu half-open, %zu CHILD SAs "
		 "(%zu in the kernel)", c.ike, c.half_open, c.child, c.child_kernel);
	rag_notify(buf);
}

/* Timer tick: watchdog pings and control client deadlines. */
static void handle_timer(struct ragd *d)
{
	uint64_t expirations, now = ragd_now_ms();

	while (read(d->timerfd, &expirations, sizeof(expirations)) > 0)
		;
	if (d->watchdog_usec && now >= d->next_watchdog_ms) {
		rag_notify("WATCHDOG=1");
		d->next_watchdog_ms = now + d->watchdog_usec / 2000u;
	}
	ctl_expire(d, now);
	ragd_acl_tick(d);
	notify_status(d, false);
	ragd_clock_check(d, now);	/* hourly */
}

/* Add fd to the epoll set with tag. */
static int watch(struct ragd *d, int fd, uint32_t tag)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = tag;
	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* Signals, timer and epoll set; returns 0 or a negative errno (logged). */
static int setup_loop(struct ragd *d)
{
	struct itimerspec its;
	uint64_t tick_ms = 1000;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	d->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->epfd < 0 || d->sigfd < 0 || d->timerfd < 0) {
		log_err("event loop set-up: %s", strerror(errno));
		return -errno;
	}
	if (rag_watchdog_usec(&d->watchdog_usec) > 0) {
		uint64_t half = d->watchdog_usec / 2000u;

		if (half == 0)
			half = 1;
		if (half < tick_ms)
			tick_ms = half;
		log_info("systemd watchdog every %llu ms", (unsigned long long)half);
	}
	memset(&its, 0, sizeof(its));
	its.it_interval.tv_sec = (time_t)(tick_ms / 1000);
	its.it_interval.tv_nsec = (long)(tick_ms % 1000) * 1000000L;
	its.it_value = its.it_interval;
	if (timerfd_settime(d->timerfd, 0, &its, NULL) < 0 ||
	    watch(d, d->sigfd, RAGD_TAG_SIG) < 0 || watch(d, d->timerfd, RAGD_TAG_TIMER) < 0) {
		log_err("event loop set-up: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/* See daemon.h. */
int ragd_run(const char *config_path, bool explicit_path)
{
	struct rag_conf_errors *errs = calloc(1, sizeof(*errs));
	struct ragd d;
	int status = 1;

	memset(&d, 0, sizeof(d));
	d.epfd = d.sigfd = d.timerfd = d.ctlfd = -1;
	for (unsigned int i = 0; i < RAG_CTL_MAX_CLIENTS; i++)
		d.clients[i].fd = -1;
	d.config_path = config_path;
	d.config_explicit = explicit_path;
	clock_gettime(CLOCK_MONOTONIC, &d.started);
	d.started_wall = time(NULL);
	if (!errs)
		return 1;
	log_notice("ragd %s starting", RAG_VERSION);
	if (ragd_load(config_path, explicit_path, false, &d.cfg, &d.pki,
		      &d.config_from_file, errs) < 0) {
		ragd_print_errors(errs, true);
		log_err("not starting: configuration errors");
		free(errs);
		return 1;
	}
	free(errs);
	banner(&d);
	if (setup_loop(&d) < 0 || ragd_stores_open(&d) < 0 || ragd_policy_open(&d) < 0 ||
	    ctl_listen(&d, d.cfg->control_socket) < 0)
		goto out;
	ragd_acl_open(&d);	/* failure logged: no CHILD SA is installed then */
	log_notice("control socket %s", d.ctl_path);
	if (rag_resp_start(&d) < 0) {
		log_err("not starting: the IKE service could not start");
		goto out;
	}
	rag_notify("READY=1");
	notify_status(&d, true);
	log_notice("ready");
	d.next_watchdog_ms = ragd_now_ms();
	ragd_clock_check(&d, d.next_watchdog_ms);	/* at start, then hourly */
	while (!d.quit) {
		struct epoll_event evs[16];
		uint64_t now = ragd_now_ms();
		uint64_t next = rag_resp_timers(&d, now);
		int timeout = -1, n;

		/* IKE timers (heap) decide how long to sleep; the 1 s timerfd
		 * still drives the watchdog and control deadlines */
		if (next != UINT64_MAX)
			timeout = next <= now ? 0 : next - now > 1000 ? 1000 : (int)(next - now);
		n = epoll_wait(d.epfd, evs, 16, timeout);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_err("epoll_wait: %s", strerror(errno));
			goto out;
		}
		for (int i = 0; i < n; i++) {
			uint32_t tag = evs[i].data.u32;

			if (tag == RAGD_TAG_SIG)
				handle_signals(&d);
			else if (tag == RAGD_TAG_TIMER)
				handle_timer(&d);
			else if (tag == RAGD_TAG_CTL)
				ctl_accept(&d);
			else if (tag == RAGD_TAG_NFLOG)
				ragd_acl_event(&d);
			else if (tag == RAGD_TAG_WORKERS || tag == RAGD_TAG_KERN ||
				 tag >= RAGD_TAG_NET)
				rag_resp_event(&d, tag, evs[i].events);
			else if (tag >= RAGD_TAG_CLIENT)
				ctl_client_event(&d, tag - RAGD_TAG_CLIENT, evs[i].events);
		}
	}
	rag_notify("STOPPING=1\nSTATUS=stopping");
	status = 0;
out:
	rag_resp_stop(&d);	/* DELETE to every peer, kernel state removed */
	ragd_acl_close(&d);	/* the nftables table; last acl rows */
	ctl_close(&d);
	if (d.timerfd >= 0)
		close(d.timerfd);
	if (d.sigfd >= 0)
		close(d.sigfd);
	if (d.epfd >= 0)
		close(d.epfd);
	ragd_policy_close(&d);
	ragd_stores_close(&d);	/* flushes queued log rows */
	rag_pki_free(&d.pki);
	free(d.cfg);
	log_notice("exiting (status %d)", status);
	return status;
}
