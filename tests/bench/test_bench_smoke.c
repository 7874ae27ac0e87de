/*
 * test_bench_smoke.c — rag-bench (bench.h) against a libike responder
 * running in a thread of this process on 127.0.0.1, real UDP sockets, no
 * guest.  Proves that the load generator does what the benchmark relies on:
 *
 *   - 50 IKE SAs over 2 threads x 2 source ports: every one established
 *     with IKE_SA_INIT + IKE_AUTH (certificate, RFC 7296 1.2, RFC 7427),
 *     a CHILD SA and a virtual IPv4 address by CP (3.15); the responder
 *     counts the same 50 and all addresses are distinct;
 *   - the SAs are kept up: a liveness check (2.4) the responder sends to
 *     each one is answered, counted on both sides;
 *   - teardown: a Delete (1.4.1) for each, answered;
 *   - the ready file carries the measured setup figures;
 *   - EAP-MSCHAPv2 (2.16) clients against a responder that checks the
 *     password;
 *   - the load shape: never more handshakes in flight than --concurrency,
 *     no faster than --rate;
 *   - failures are counted by reason: NO_PROPOSAL_CHOSEN answered to
 *     IKE_SA_INIT; no answer at all after the retransmissions (with their
 *     count); no latency or rate is reported when nothing was established;
 *   - bad command lines are refused with a message.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "../unit/check.h"
#include "bench.h"
#include "ike_proposal.h"

#define MAX_RSAS 128

static char dir[] = "/tmp/rag-bench-smoke-XXXXXX";
static char path_ca[128], path_cert[128], path_key[128], path_pw[128], path_ready[128];
static EVP_PKEY *ca_key, *srv_key;
static X509 *ca_cert;
static uint8_t *srv_der;
static struct ike_chunk srv_chunk;
static X509_STORE *srv_trust;
static struct ike_mschap_ctx *mschap;

static const char password[] = "correct horse battery staple";

/* ---- PKI: an ECDSA P-256 CA, server and client certificate ------------------- */

static EVP_PKEY *ec_key(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	if (!k)
		abort();
	return k;
}

static void ext(X509 *x, int nid, const char *val)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, ca_cert ? ca_cert : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, val);
	if (!e || !X509_add_ext(x, e, -1))
		abort();
	X509_EXTENSION_free(e);
}

/* Certificate for key; san NULL = the self-signed CA. */
static X509 *issue(EVP_PKEY *key, const char *cn, const char *san, long serial)
{
	X509 *x = X509_new();
	X509_NAME *n;

	if (!x)
		abort();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, ca_cert ? X509_get_subject_name(ca_cert) : n);
	if (san)
		ext(x, NID_subject_alt_name, san);
	else
		ext(x, NID_basic_constraints, "critical,CA:TRUE");
	if (!X509_sign(x, ca_key, EVP_sha256()))
		abort();
	return x;
}

static void write_pem(const char *path, X509 *x, EVP_PKEY *k)
{
	FILE *f = fopen(path, "w");

	if (!f || (x && !PEM_write_X509(f, x)) ||
	    (k && !PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL)))
		abort();
	fclose(f);
}

static void pki(void)
{
	EVP_PKEY *cli_key;
	X509 *srv, *cli;
	FILE *f;
	int len;

	if (!mkdtemp(dir))
		abort();
	snprintf(path_ca, sizeof(path_ca), "%s/ca.crt", dir);
	snprintf(path_cert, sizeof(path_cert), "%s/client.crt", dir);
	snprintf(path_key, sizeof(path_key), "%s/client.key", dir);
	snprintf(path_pw, sizeof(path_pw), "%s/password", dir);
	snprintf(path_ready, sizeof(path_ready), "%s/ready", dir);
	ca_key = ec_key();
	ca_cert = issue(ca_key, "rag bench smoke CA", NULL, 1);
	srv_key = ec_key();
	srv = issue(srv_key, "vpn.test", "DNS:vpn.test", 2);
	cli_key = ec_key();
	cli = issue(cli_key, "bench@corp.test", "email:bench@corp.test", 3);
	write_pem(path_ca, ca_cert, NULL);
	write_pem(path_cert, cli, NULL);
	write_pem(path_key, NULL, cli_key);
	f = fopen(path_pw, "w");
	if (!f || fprintf(f, "%s\n", password) < 0)
		abort();
	fclose(f);
	len = i2d_X509(srv, &srv_der);
	if (len <= 0)
		abort();
	srv_chunk.ptr = srv_der;
	srv_chunk.len = (size_t)len;
	srv_trust = X509_STORE_new();
	if (!srv_trust || !X509_STORE_add_cert(srv_trust, ca_cert))
		abort();
	X509_free(srv);
	X509_free(cli);
	EVP_PKEY_free(cli_key);
}

/* ---- the responder: one thread, one socket, libike's responder role ------- */

struct rsa {
	struct ike_sa *sa;
	struct sockaddr_in peer;
	bool up, live_sent, live_ok;
};

struct responder {
	struct ike_exch_cfg cfg;
	struct ike_proposal ike, esp;
	int fd;
	uint16_t port;
	size_t expect;		/* send liveness checks once this many are up */
	volatile int stop;
	pthread_t tid;
	struct rsa sas[MAX_RSAS];
	size_t n;
	/* what it saw */
	size_t established, with_child, live_answered, deleted, next_ip;
	bool answer;		/* false: read and drop everything */
};

static int cp_assign(void *arg, const struct ike_sa *sa, struct ike_cp_reply *out)
{
	struct responder *r = arg;

	(void)sa;
	memset(out, 0, sizeof(*out));
	out->has_ip4 = true;
	out->ip4[0] = 10;
	out->ip4[1] = 9;
	out->ip4[2] = (uint8_t)(r->next_ip >> 8);
	out->ip4[3] = (uint8_t)(r->next_ip & 0xff);
	r->next_ip++;
	return 0;
}

static int nt_hash(void *arg, const char *user, size_t len, struct ike_key *out)
{
	(void)arg;
	if (len != 5 || memcmp(user, "alice", 5))
		return -ENOENT;
	return ike_mschap_nt_password_hash(mschap, password, sizeof(password) - 1, out);
}

static void send_to(struct responder *r, const struct rsa *x, const uint8_t *p, size_t len)
{
	if (sendto(r->fd, p, len, 0, (const struct sockaddr *)&x->peer, sizeof(x->peer)) < 0)
		perror("responder sendto");
}

static void liveness_round(struct responder *r, struct ike_buf *out)
{
	for (size_t i = 0; i < r->n; i++) {
		struct rsa *x = &r->sas[i];

		if (!x->up || x->live_sent)
			continue;
		x->live_sent = true;
		if (ike_exch_liveness_build(x->sa, out) == 0)
			send_to(r, x, out->data, out->len);
	}
}

static struct rsa *lookup(struct responder *r, const uint8_t *spi_i)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->sas[i].sa && !memcmp(r->sas[i].sa->spi_i, spi_i, 8))
			return &r->sas[i];
	return NULL;
}

static void on_msg(struct responder *r, const uint8_t *p, size_t len,
		   const struct sockaddr_in *from, struct ike_buf *out)
{
	struct ike_exch_result res;
	struct rsa *x;
	int rc;

	if (len < IKE_HDR_LEN)
		return;
	x = lookup(r, p);
	if (p[19] & IKE_FLAG_RESPONSE) {
		if (x && ike_sa_handle_response(x->sa, p, len, &res) == 0 && !x->live_ok) {
			x->live_ok = true;
			r->live_answered++;
		}
		return;
	}
	if (!x) {
		struct ike_endpoint l = { 4, { 127, 0, 0, 1 }, r->port }, rem;

		if (p[18] != IKE_SA_INIT || r->n == MAX_RSAS)
			return;
		memset(&rem, 0, sizeof(rem));
		rem.family = 4;
		memcpy(rem.addr, &from->sin_addr, 4);
		rem.port = ntohs(from->sin_port);
		x = &r->sas[r->n];
		memset(x, 0, sizeof(*x));
		if (ike_sa_new(&r->cfg, false, &l, &rem, &x->sa) < 0)
			return;
		x->peer = *from;
		r->n++;
	}
	rc = ike_sa_handle_request(x->sa, p, len, out, &res);
	if (rc != 1)
		return;
	{
		const struct ike_buf *f;
		size_t nf = ike_sa_frags(x->sa, true, &f);

		if (nf == 0)
			send_to(r, x, out->data, out->len);
		for (size_t k = 0; k < nf; k++)
			send_to(r, x, f[k].data, f[k].len);
	}
	if (res.established) {
		x->up = true;
		r->established++;
		r->with_child += res.child >= 0;
	}
	if (res.ike_deleted) {
		r->deleted++;
		x->up = false;
	}
	if (x->sa->state == IKE_ST_IDLE) {	/* refused IKE_SA_INIT: forget it */
		ike_sa_free(x->sa);
		x->sa = NULL;
	}
}

static void *responder_main(void *arg)
{
	struct responder *r = arg;
	struct ike_buf out;
	uint8_t buf[IKE_MAX_MSG_LEN];

	ike_buf_init(&out);
	while (!r->stop) {
		struct pollfd pfd = { r->fd, POLLIN, 0 };

		if (poll(&pfd, 1, 10) <= 0)
			continue;
		for (;;) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(r->fd, buf, sizeof(buf), MSG_DONTWAIT,
					     (struct sockaddr *)&from, &fl);

			if (n < 0)
				break;
			if (r->answer)
				on_msg(r, buf, (size_t)n, &from, &out);
		}
		if (r->expect && r->established >= r->expect)
			liveness_round(r, &out);
	}
	ike_buf_free(&out);
	return NULL;
}

static void ts_any(struct ike_ts_list *l)
{
	l->n = 1;
	ike_ts_any(&l->ts[0], IKE_TS_IPV4_ADDR_RANGE);
}

static const uint8_t srv_id[] = "vpn.test";

static void responder_start(struct responder *r, const char *ike, size_t expect, bool answer,
			    uint32_t methods)
{
	struct ike_exch_cfg *c = &r->cfg;
	struct sockaddr_in a;
	socklen_t al = sizeof(a);

	memset(r, 0, sizeof(*r));
	if (ike_proposal_parse(ike, IKE_PROTO_IKE, &r->ike, NULL, 0) < 0 ||
	    ike_proposal_parse("aes256gcm16", IKE_PROTO_ESP, &r->esp, NULL, 0) < 0)
		abort();
	c->ike_props = &r->ike;
	c->n_ike_props = 1;
	c->child_props = &r->esp;
	c->n_child_props = 1;
	c->id_type = IKE_ID_FQDN;
	c->id = srv_id;
	c->id_len = sizeof(srv_id) - 1;
	c->auth = IKE_EXCH_AUTH_SIG;
	c->key = srv_key;
	c->certs = &srv_chunk;
	c->n_certs = 1;
	c->peer_auth = IKE_EXCH_AUTH_SIG;
	c->trust = srv_trust;
	c->now = (int64_t)time(NULL);
	c->methods = methods;
	c->eap_nt_hash = nt_hash;
	c->mschap = mschap;
	c->cp_assign = cp_assign;
	c->auth_arg = r;
	ts_any(&c->ts_local);
	ts_any(&c->ts_remote);
	r->expect = expect;
	r->answer = answer;
	r->next_ip = 2;
	r->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (r->fd < 0 || bind(r->fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(r->fd, (struct sockaddr *)&a, &al) < 0)
		abort();
	r->port = ntohs(a.sin_port);
	if (pthread_create(&r->tid, NULL, responder_main, r))
		abort();
}

static void responder_stop(struct responder *r)
{
	r->stop = 1;
	pthread_join(r->tid, NULL);
	for (size_t i = 0; i < r->n; i++)
		ike_sa_free(r->sas[i].sa);
	close(r->fd);
}

/* ---- running rag-bench in-process ----------------------------------------------- */

struct run {
	struct bench_cfg cfg;
	struct bench_stats st;
	int rc;
	bool setup_seen;
	uint64_t setup_established;
};

static void on_setup(const struct bench_cfg *c, const struct bench_stats *s, void *arg)
{
	struct run *x = arg;

	(void)c;
	x->setup_seen = true;
	x->setup_established = s->established;
}

/* argv from a NULL-terminated list, parse, load, run. */
static int run_bench(struct run *x, const char *const *args)
{
	char *argv[64], err[512];
	struct bench_opts o;
	int argc = 0, rc;

	memset(x, 0, sizeof(*x));
	argv[argc++] = (char *)"rag-bench";
	while (*args && argc < 63)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	rc = bench_opts_parse(argc, argv, &o, stdout, err, sizeof(err));
	if (rc == 0)
		rc = bench_cfg_load(&x->cfg, &o, err, sizeof(err));
	if (rc == 0)
		rc = bench_run(&x->cfg, on_setup, x, &x->st, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "rag-bench: %s\n", err);
	else {
		bench_print_setup(stderr, &x->cfg, &x->st);
		bench_print_end(stderr, &x->cfg, &x->st);
	}
	x->rc = rc;
	return rc;
}

static void run_free(struct run *x)
{
	bench_stats_free(&x->st);
	bench_cfg_free(&x->cfg);
}

static uint64_t count_reason(const struct bench_stats *s, const char *text)
{
	for (size_t i = 0; i < s->n_reason; i++)
		if (!strcmp(s->reason[i].text, text))
			return s->reason[i].n;
	return 0;
}

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* value of "key=" in a ready file, or -1 */
static double ready_num(const char *ready, const char *key)
{
	const char *p = ready ? strstr(ready, key) : NULL;

	return p ? strtod(p + strlen(key), NULL) : -1;
}

#define IKE_OK "aes256gcm16-prfsha384-x25519"

/* 50 certificate clients: established, distinct addresses, kept up
 * (liveness answered), deleted. */
static void test_cert_50(void)
{
	struct responder r;
	struct run x;
	char tgt[32];
	const char *ready;

	responder_start(&r, IKE_OK, 50, true, IKE_EXCH_M_PUBKEY);
	snprintf(tgt, sizeof(tgt), "127.0.0.1:%u", r.port);
	const char *args[] = {
		"-t", tgt, "-n", "50", "-c", "8", "-j", "2", "-s", "127.0.0.1",
		"--ports", "2", "--hold", "2", "--ca", path_ca, "--cert", path_cert,
		"--key", path_key, "--id", "bench@corp.test", "--remote-id", "vpn.test",
		"--retransmit-timeout", "2000", "--ready-file", path_ready, NULL,
	};
	CHECK_INT(run_bench(&x, args), 0);
	CHECK(x.setup_seen);
	CHECK_INT(x.setup_established, 50);
	CHECK_INT(x.st.attempted, 50);
	CHECK_INT(x.st.established, 50);
	CHECK_INT(x.st.failed, 0);
	CHECK_INT(x.st.n_threads, 2);
	CHECK_INT(x.st.n_sockets, 2);
	CHECK_INT(x.st.n_lat, 50);
	CHECK_INT(x.st.n_vip4, 50);
	CHECK_INT(bench_distinct_vips(&x.st), 50);
	CHECK(bench_percentile(&x.st, 50) > 0);
	CHECK(bench_percentile(&x.st, 99) >= bench_percentile(&x.st, 50));
	CHECK(x.st.t_last_ns > x.st.t_first_ns);
	/* kept up: every SA answered the responder's liveness check */
	CHECK_INT(x.st.peer_liveness, 50);
	CHECK_INT(x.st.up_at_hold_end, 50);
	CHECK_INT(x.st.del_sent, 50);
	CHECK_INT(x.st.del_answered, 50);
	CHECK_INT(x.st.del_timeouts, 0);
	CHECK_INT(x.st.rx_unknown, 0);
	CHECK(x.st.peak_inflight <= 8);	/* -c 8 over 2 threads */
	responder_stop(&r);
	/* the responder's view: 50 IKE SAs with a CHILD SA, 50 liveness
	 * answers, 50 Deletes */
	CHECK_INT(r.established, 50);
	CHECK_INT(r.with_child, 50);
	CHECK_INT(r.live_answered, 50);
	CHECK_INT(r.deleted, 50);
	ready = slurp(path_ready);
	CHECK(ready && strstr(ready, "established=50\n") && strstr(ready, "failed=0\n") &&
	      strstr(ready, "p99_ms=") && strstr(ready, "rate_hs=") &&
	      strstr(ready, "distinct_vips=50\n"));
	/* the figures are consistent: 0 < p50 <= p99 <= max, and the max is
	 * the largest latency measured */
	CHECK(ready_num(ready, "p50_ms=") > 0);
	CHECK(ready_num(ready, "p50_ms=") <= ready_num(ready, "p99_ms="));
	CHECK(ready_num(ready, "p99_ms=") <= ready_num(ready, "max_ms="));
	{
		uint32_t mx = 0;

		for (size_t i = 0; i < x.st.n_lat; i++)
			mx = x.st.lat_us[i] > mx ? x.st.lat_us[i] : mx;
		CHECK(ready_num(ready, "max_ms=") * 1000 > mx - 51.0 &&
		      ready_num(ready, "max_ms=") * 1000 < mx + 51.0);
	}
	run_free(&x);
}

/* EAP-MSCHAPv2 (2.16): the right password establishes, a wrong one is
 * counted under the responder's AUTHENTICATION_FAILED. */
static void test_eap(void)
{
	struct responder r;
	struct run x;
	char tgt[32], badpw[160];
	FILE *f;

	responder_start(&r, IKE_OK, 0, true, IKE_EXCH_M_EAP_MSCHAPV2);
	snprintf(tgt, sizeof(tgt), "127.0.0.1:%u", r.port);
	{
		const char *args[] = {
			"-t", tgt, "-n", "6", "-c", "3", "--ca", path_ca, "--auth", "eap-mschapv2",
			"--eap-user", "alice", "--password-file", path_pw, "--remote-id", "vpn.test",
			NULL,
		};
		CHECK_INT(run_bench(&x, args), 0);
		CHECK_INT(x.st.established, 6);
		CHECK_INT(x.st.failed, 0);
		CHECK_INT(x.st.del_answered, 6);
		CHECK_INT(x.st.peak_inflight, 3);	/* -c 3 */
		run_free(&x);
	}
	snprintf(badpw, sizeof(badpw), "%s/badpw", dir);
	f = fopen(badpw, "w");
	if (!f || fputs("wrong\n", f) < 0)
		abort();
	fclose(f);
	{
		const char *args[] = {
			"-t", tgt, "-n", "3", "--ca", path_ca, "--auth", "eap-mschapv2",
			"--eap-user", "alice", "--password-file", badpw, NULL,
		};
		CHECK_INT(run_bench(&x, args), 0);
		CHECK_INT(x.st.established, 0);
		CHECK_INT(x.st.failed, 3);
		CHECK_INT(count_reason(&x.st, "IKE_AUTH: the responder answered AUTHENTICATION_FAILED"), 3);
		CHECK_INT(x.st.n_lat, 0);
		run_free(&x);
	}
	responder_stop(&r);
	CHECK_INT(r.established, 6);
}

/* --rate 100: the 20th handshake cannot start before 19 intervals of
 * 10 ms have passed (a lower bound: a slow machine only adds to it). */
static void test_rate(void)
{
	struct responder r;
	struct run x;
	char tgt[32];

	responder_start(&r, IKE_OK, 0, true, IKE_EXCH_M_PUBKEY);
	snprintf(tgt, sizeof(tgt), "127.0.0.1:%u", r.port);
	{
		const char *args[] = {
			"-t", tgt, "-n", "20", "-r", "100", "--ca", path_ca, "--cert", path_cert,
			"--key", path_key, "--id", "bench@corp.test", NULL,
		};
		CHECK_INT(run_bench(&x, args), 0);
		CHECK_INT(x.st.established, 20);
		CHECK(x.st.t_last_ns - x.st.t_first_ns >= 190000000);
		run_free(&x);
	}
	responder_stop(&r);
}

/* Failures by reason: a refused proposal, and silence. */
static void test_failures(void)
{
	struct responder r;
	struct run x;
	char tgt[32];

	responder_start(&r, "aes128-sha256-modp2048", 0, true, IKE_EXCH_M_PUBKEY);
	snprintf(tgt, sizeof(tgt), "127.0.0.1:%u", r.port);
	{
		const char *args[] = {
			"-t", tgt, "-n", "5", "--ca", path_ca, "--cert", path_cert,
			"--key", path_key, "--id", "bench@corp.test", NULL,
		};
		CHECK_INT(run_bench(&x, args), 0);
		CHECK_INT(x.st.failed, 5);
		CHECK_INT(count_reason(&x.st, "IKE_SA_INIT: the responder answered NO_PROPOSAL_CHOSEN"), 5);
		run_free(&x);
	}
	responder_stop(&r);
	CHECK_INT(r.established, 0);

	/* a socket that reads and never answers: 2 retransmissions each */
	responder_start(&r, IKE_OK, 0, false, IKE_EXCH_M_PUBKEY);
	snprintf(tgt, sizeof(tgt), "127.0.0.1:%u", r.port);
	{
		const char *args[] = {
			"-t", tgt, "-n", "4", "--ca", path_ca, "--cert", path_cert,
			"--key", path_key, "--id", "bench@corp.test",
			"--retransmit-timeout", "20", "--retries", "2", "--ready-file", path_ready,
			NULL,
		};
		CHECK_INT(run_bench(&x, args), 0);
		CHECK_INT(x.st.failed, 4);
		CHECK_INT(x.st.established, 0);
		CHECK_INT(x.st.retransmits, 8);
		CHECK_INT(x.st.tx, 12);	/* 4 x (1 + 2) IKE_SA_INIT */
		CHECK_INT(count_reason(&x.st, "IKE_SA_INIT: no answer after 2 retransmissions"), 4);
		CHECK_INT(x.st.n_lat, 0);
		CHECK_INT(x.st.del_sent, 0);
		run_free(&x);
	}
	{
		/* nothing measured, nothing printed: no rate, no latency */
		const char *ready = slurp(path_ready);

		CHECK(ready && strstr(ready, "established=0\n") && !strstr(ready, "rate_hs") &&
		      !strstr(ready, "p50_ms"));
	}
	responder_stop(&r);
}

static void test_usage(void)
{
	static const char *const bad[][8] = {
		{ "--ca", "x", "--auth", "eap-mschapv2", NULL },		/* no target */
		{ "-t", "127.0.0.1:99999", "--ca", "x", NULL },		/* port */
		{ "-t", "host.example", "--ca", "x", NULL },		/* no names */
		{ "-t", "127.0.0.1", "-n", "0", "--ca", "x", NULL },	/* count */
		{ "-t", "127.0.0.1", "-n", "-5", "--ca", "x", NULL },
		{ "-t", "127.0.0.1", NULL },				/* no --ca */
		{ "-t", "127.0.0.1", "--ca", "x", NULL },		/* cert auth: no --cert */
		{ "-t", "127.0.0.1", "--ca", "x", "-s", "::1", NULL },	/* family */
	};
	char err[512];
	struct bench_opts o;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[10];
		int argc = 0;

		argv[argc++] = (char *)"rag-bench";
		for (int k = 0; bad[i][k]; k++)
			argv[argc++] = (char *)bad[i][k];
		argv[argc] = NULL;
		err[0] = '\0';
		CHECK_INT(bench_opts_parse(argc, argv, &o, stdout, err, sizeof(err)), -EINVAL);
		CHECK(err[0] != '\0');
	}
	{
		char *argv[] = { (char *)"rag-bench", (char *)"-t", (char *)"[::1]:4500",
				 (char *)"--ca", (char *)"x", (char *)"--auth",
				 (char *)"eap-mschapv2", (char *)"--eap-user", (char *)"u",
				 (char *)"--password-file", (char *)"p", NULL };

		CHECK_INT(bench_opts_parse(11, argv, &o, stdout, err, sizeof(err)), 0);
		CHECK_INT(o.target.family, 6);
		CHECK_INT(o.target.port, 4500);
	}
}

int main(void)
{
	if (ike_init() < 0 || ike_mschap_ctx_new(&mschap) < 0)
		return 1;
	pki();
	test_usage();
	test_cert_50();
	test_eap();
	test_rate();
	test_failures();
	ike_mschap_ctx_free(mschap);
	X509_STORE_free(srv_trust);
	OPENSSL_free(srv_der);
	X509_free(ca_cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(srv_key);
	{
		const char *files[] = { path_ca, path_cert, path_key, path_pw, path_ready };
		char badpw[160];

		for (size_t i = 0; i < 5; i++)
			unlink(files[i]);
		snprintf(badpw, sizeof(badpw), "%s/badpw", dir);
		unlink(badpw);
		rmdir(dir);
	}
	return check_done("bench_smoke");
}
