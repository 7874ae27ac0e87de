/*
 * main.c — ragd's command line (INTERFACES.md):
 *   ragd [-c FILE] [-f|--foreground] [-n|--check] [-v|--verbose]... [--version]
 * ragd never forks: systemd's Type=notify wants the main process to stay, so
 * -f is accepted for compatibility and changes nothing.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config.h"
#include "daemon.h"
#include "ike.h"
#include "log.h"

/* Print the usage text to f. */
static void usage(FILE *f)
{
	fprintf(f,
		"usage: ragd [-c FILE] [-f|--foreground] [-n|--check] [-v|--verbose]... [--version]\n"
		"  -c, --config FILE  configuration file (default %s; when the default is\n"
		"                     absent ragd runs on embedded defaults)\n"
		"  -f, --foreground   accepted for compatibility: ragd always stays in the\n"
		"                     foreground (systemd Type=notify)\n"
		"  -n, --check        validate configuration, keys and certificates and exit\n"
		"  -v, --verbose      more log output (repeat for debug)\n"
		"      --version      print the version and exit\n", RAG_DEFAULT_CONFIG);
}

/* `ragd -n`: print "configuration OK" or every error; exit status 0/1. */
static int check(const char *path, bool explicit_path)
{
	struct rag_conf_errors *errs = calloc(1, sizeof(*errs));
	struct rag_config *c = NULL;
	struct rag_pki pki;
	bool from_file;
	int r;

	if (!errs)
		return 1;
	r = ragd_load(path, explicit_path, true, &c, &pki, &from_file, errs);
	if (r < 0) {
		ragd_print_errors(errs, false);
		free(errs);
		return 1;
	}
	if (!from_file)
		printf("no %s: embedded defaults\n", path);
	if (c->generate_pki && !pki.cert)
		printf("certificates will be generated in %s at the first start\n", c->state_dir);
	printf("configuration OK\n");
	rag_pki_free(&pki);
	free(c);
	free(errs);
	return 0;
}

/* Parse the command line, then run `ragd -n` or the daemon; returns the
 * exit status (0 ok, 1 errors, 2 usage). */
int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = RAG_DEFAULT_CONFIG;
	bool explicit_path = false, check_only = false;
	int verbose = 0, ch;

	while ((ch = getopt_long(argc, argv, "c:fnvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			explicit_path = true;
			break;
		case 'f':
			break;	/* always in the foreground */
		case 'n':
			check_only = true;
			break;
		case 'v':
			if (verbose < 2)
				verbose++;
			break;
		case 'V':
			printf("ragd %s\n", RAG_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ragd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (strlen(config) >= RAG_CONF_PATH_MAX) {
		fprintf(stderr, "ragd: config path too long\n");
		return 2;
	}
	rag_log_set_level((enum rag_log_level)(RAG_LOG_NOTICE + verbose));
	if (ike_init() < 0 || !OPENSSL_init_crypto(0, NULL)) {
		fprintf(stderr, "ragd: crypto library initialisation failed\n");
		return 1;
	}
	/* OpenSSL's secure heap (mlock'ed, wiped on free) for private key
	 * components and secmem BIOs; without it OpenSSL falls back to the
	 * normal heap, so failure here is logged, not fatal. */
	if (CRYPTO_secure_malloc_init(1u << 20, 32) != 1)
		log_warn("OpenSSL secure heap unavailable (RLIMIT_MEMLOCK?); "
			 "private keys use ordinary memory");
	if (check_only)
		return check(config, explicit_path);
	return ragd_run(config, explicit_path);
}
