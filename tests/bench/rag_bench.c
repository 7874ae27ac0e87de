/*
 * rag_bench.c — main() of rag-bench (bench.h): parse the command line,
 * load credentials, run, report.
 *
 * Exit status: 0 every attempt established (and, unless --no-delete, every
 * Delete answered); 1 the run completed with failures; 2 usage or
 * configuration error; 3 the run could not start.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static void target_text(const struct ike_endpoint *e, char *out, size_t len)
{
	char a[64];

	if (!inet_ntop(e->family == 4 ? AF_INET : AF_INET6, e->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(out, len, e->family == 6 ? "[%s]:%u" : "%s:%u", a, e->port);
}

static void on_setup(const struct bench_cfg *c, const struct bench_stats *s, void *arg)
{
	struct bench_stats *m = (struct bench_stats *)s;	/* sorting only */

	(void)arg;
	bench_print_setup(stdout, c, m);
	if (c->o.hold_s)
		printf("rag-bench: holding the SAs for %llu s\n", (unsigned long long)c->o.hold_s);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static struct bench_cfg cfg;
	struct bench_opts o;
	struct bench_stats st;
	char err[512], tgt[80];
	int rc;

	if (ike_init() < 0) {
		fprintf(stderr, "rag-bench: libsodium initialisation failed\n");
		return 3;
	}
	rc = bench_opts_parse(argc, argv, &o, stdout, err, sizeof(err));
	if (rc == 1)
		return 0;
	if (rc < 0 || bench_cfg_load(&cfg, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "rag-bench: %s\n", err);
		bench_cfg_free(&cfg);
		return 2;
	}
	target_text(&o.target, tgt, sizeof(tgt));
	printf("rag-bench: target %s, auth %s, IKE %s, ESP %s, %llu IKE SAs\n", tgt,
	       o.auth == BENCH_AUTH_CERT ? "certificate" : "EAP-MSCHAPv2", o.ike, o.esp,
	       (unsigned long long)o.count);
	fflush(stdout);
	rc = bench_run(&cfg, on_setup, NULL, &st, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "rag-bench: %s\n", err);
		bench_stats_free(&st);
		bench_cfg_free(&cfg);
		return 3;
	}
	bench_print_end(stdout, &cfg, &st);
	rc = st.established == st.attempted &&
	     (o.no_delete || st.del_answered == st.up_at_hold_end) ? 0 : 1;
	bench_stats_free(&st);
	bench_cfg_free(&cfg);
	return rc;
}
