/*
 * bench_opts.c — rag-bench's command line and the engine configuration it
 * turns into: proposals (strongSwan syntax, ike_proposal.h), the client
 * certificate and key (PEM), the trust anchors for the responder's
 * certificate, identities, and the EAP-MSCHAPv2 secret.
 *
 * Numbers go through rag_parse_uint / rag_parse_duration (daemon/conf.h:
 * checked, no sign, no garbage); every count has a limit (bench.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "bench.h"
#include "conf.h"
#include "ike_proposal.h"

#define DEFAULT_IKE "aes256gcm16-prfsha384-x25519"
#define DEFAULT_ESP "aes256gcm16"

static const char usage_text[] =
"usage: rag-bench -t ADDR[:PORT] --ca FILE [options]\n"
"IKEv2 load generator: opens COUNT IKE SAs (IKE_SA_INIT + IKE_AUTH, a\n"
"CHILD SA and a virtual IPv4 address by CP) against one responder, holds\n"
"them answering its requests, then deletes them; prints what it measured.\n"
"\n"
"  -t, --target ADDR[:PORT]   responder (IPv6: [ADDR]:PORT); port 500\n"
"                             (4500: messages carry the non-ESP marker)\n"
"  -n, --count N              IKE SAs to open (default 100)\n"
"  -c, --concurrency N        handshakes in flight at once (default 100)\n"
"  -r, --rate N               new handshakes per second (default 0 = as\n"
"                             fast as the concurrency allows)\n"
"      --hold DURATION        keep the SAs up this long once every attempt\n"
"                             has ended (30s, 5m, ...; default 0)\n"
"      --no-delete            do not delete the SAs at the end\n"
"      --ike LIST             IKE proposals (default " DEFAULT_IKE ")\n"
"      --esp LIST             ESP proposals (default " DEFAULT_ESP ")\n"
"      --auth cert|eap-mschapv2   client authentication (default cert)\n"
"      --cert FILE --key FILE     client certificate (chain may follow)\n"
"                             and private key, PEM (--auth cert)\n"
"      --ca FILE              trust anchors for the responder's certificate\n"
"      --id ID                our IKE ID (email, FQDN or IP; default: the\n"
"                             EAP user, or required with --auth cert)\n"
"      --remote-id ID         IDr to send (the responder's ID)\n"
"      --eap-user NAME        EAP-MSCHAPv2 user name\n"
"      --password-file FILE   its password (first line)\n"
"  -s, --source ADDR[,ADDR]   local addresses to send from (repeatable;\n"
"                             default: the route's source address)\n"
"      --ports N              UDP sockets (source ports) per address (8)\n"
"  -j, --threads N            event-loop threads (default 1)\n"
"      --retransmit-timeout MS   first retransmission after MS ms (4000;\n"
"                             then x1.8 each time, as strongSwan)\n"
"      --retries N            retransmissions before giving up (default 5)\n"
"      --frag-mtu N           IKE fragment size limit (RFC 7383; 1280)\n"
"      --ready-file FILE      write the setup figures (key=value) here\n"
"                             when every attempt has ended\n"
"  -h, --help\n";

static int errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* "ADDR", "ADDR:PORT", "[V6]" or "[V6]:PORT" into e (default port 500). */
static int parse_target(const char *s, struct ike_endpoint *e)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = NULL, *colon;
	uint64_t p = 500;
	size_t n;

	memset(e, 0, sizeof(*e));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close)
			return -EINVAL;
		n = (size_t)(close - s - 1);
		if (close[1] == ':')
			port = close + 2;
		else if (close[1])
			return -EINVAL;
		s++;
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL;	/* a bare IPv6 address */
		n = colon ? (size_t)(colon - s) : strlen(s);
		if (colon)
			port = colon + 1;
	}
	if (n == 0 || n >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	if (port && rag_parse_uint(port, 1, 65535, &p) < 0)
		return -EINVAL;
	if (inet_pton(AF_INET, host, e->addr) == 1)
		e->family = 4;
	else if (inet_pton(AF_INET6, host, e->addr) == 1)
		e->family = 6;
	else
		return -EINVAL;
	e->port = (uint16_t)p;
	return 0;
}

/* Comma-separated addresses appended to o->src. */
static int parse_sources(const char *s, struct bench_opts *o, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN];

	while (*s) {
		size_t n = strcspn(s, ",");
		struct ike_endpoint *e;

		if (o->n_src == BENCH_MAX_SOURCES)
			return errf(err, errlen, "--source: more than %d addresses", BENCH_MAX_SOURCES);
		if (n == 0 || n >= sizeof(buf))
			return errf(err, errlen, "--source: empty or overlong address");
		memcpy(buf, s, n);
		buf[n] = '\0';
		e = &o->src[o->n_src];
		memset(e, 0, sizeof(*e));
		if (inet_pton(AF_INET, buf, e->addr) == 1)
			e->family = 4;
		else if (inet_pton(AF_INET6, buf, e->addr) == 1)
			e->family = 6;
		else
			return errf(err, errlen, "--source: '%s' is not an IP address", buf);
		o->n_src++;
		s += n;
		if (*s == ',')
			s++;
	}
	return 0;
}

static int num(const char *opt, const char *s, uint64_t min, uint64_t max,
	       uint64_t *out, char *err, size_t errlen)
{
	if (rag_parse_uint(s, min, max, out) < 0)
		return errf(err, errlen, "%s: '%s' is not a number in [%llu, %llu]",
			    opt, s, (unsigned long long)min, (unsigned long long)max);
	return 0;
}

enum {
	O_HOLD = 256, O_NO_DELETE, O_IKE, O_ESP, O_AUTH, O_CERT, O_KEY, O_CA,
	O_ID, O_REMOTE_ID, O_EAP_USER, O_PASSWORD_FILE, O_PORTS, O_RTO,
	O_RETRIES, O_FRAG_MTU, O_READY,
};

static const struct option longopts[] = {
	{ "target", required_argument, NULL, 't' },
	{ "count", required_argument, NULL, 'n' },
	{ "concurrency", required_argument, NULL, 'c' },
	{ "rate", required_argument, NULL, 'r' },
	{ "hold", required_argument, NULL, O_HOLD },
	{ "no-delete", no_argument, NULL, O_NO_DELETE },
	{ "ike", required_argument, NULL, O_IKE },
	{ "esp", required_argument, NULL, O_ESP },
	{ "auth", required_argument, NULL, O_AUTH },
	{ "cert", required_argument, NULL, O_CERT },
	{ "key", required_argument, NULL, O_KEY },
	{ "ca", required_argument, NULL, O_CA },
	{ "id", required_argument, NULL, O_ID },
	{ "remote-id", required_argument, NULL, O_REMOTE_ID },
	{ "eap-user", required_argument, NULL, O_EAP_USER },
	{ "password-file", required_argument, NULL, O_PASSWORD_FILE },
	{ "source", required_argument, NULL, 's' },
	{ "ports", required_argument, NULL, O_PORTS },
	{ "threads", required_argument, NULL, 'j' },
	{ "retransmit-timeout", required_argument, NULL, O_RTO },
	{ "retries", required_argument, NULL, O_RETRIES },
	{ "frag-mtu", required_argument, NULL, O_FRAG_MTU },
	{ "ready-file", required_argument, NULL, O_READY },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* See bench.h. */
int bench_opts_parse(int argc, char **argv, struct bench_opts *o, FILE *out,
		     char *err, size_t errlen)
{
	uint64_t v;
	int ch;

	memset(o, 0, sizeof(*o));
	o->count = 100;
	o->concurrency = 100;
	o->ports = 8;
	o->threads = 1;
	o->rto_ms = 4000;
	o->retries = 5;
	o->frag_mtu = 1280;
	o->ike = DEFAULT_IKE;
	o->esp = DEFAULT_ESP;
	o->auth = BENCH_AUTH_CERT;
	optind = 0;	/* GNU: full re-initialisation (tests parse twice) */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":t:n:c:r:s:j:h", longopts, NULL)) != -1) {
		int rc = 0;

		switch (ch) {
		case 't':
			if (parse_target(optarg, &o->target) < 0)
				return errf(err, errlen, "--target: '%s' is not ADDR[:PORT]", optarg);
			break;
		case 'n':
			rc = num("--count", optarg, 1, BENCH_MAX_COUNT, &o->count, err, errlen);
			break;
		case 'c':
			rc = num("--concurrency", optarg, 1, BENCH_MAX_CONCURRENCY,
				 &o->concurrency, err, errlen);
			break;
		case 'r':
			rc = num("--rate", optarg, 0, BENCH_MAX_RATE, &o->rate, err, errlen);
			break;
		case O_HOLD:
			if (rag_parse_duration(optarg, &o->hold_s) < 0 || o->hold_s > BENCH_MAX_HOLD_S)
				return errf(err, errlen, "--hold: '%s' is not a duration up to 7d", optarg);
			break;
		case O_NO_DELETE: o->no_delete = true; break;
		case O_IKE: o->ike = optarg; break;
		case O_ESP: o->esp = optarg; break;
		case O_AUTH:
			if (!strcmp(optarg, "cert") || !strcmp(optarg, "pubkey"))
				o->auth = BENCH_AUTH_CERT;
			else if (!strcmp(optarg, "eap-mschapv2"))
				o->auth = BENCH_AUTH_EAP_MSCHAPV2;
			else
				return errf(err, errlen, "--auth: '%s' is not cert or eap-mschapv2", optarg);
			break;
		case O_CERT: o->cert_file = optarg; break;
		case O_KEY: o->key_file = optarg; break;
		case O_CA: o->ca_file = optarg; break;
		case O_ID: o->id = optarg; break;
		case O_REMOTE_ID: o->remote_id = optarg; break;
		case O_EAP_USER: o->eap_user = optarg; break;
		case O_PASSWORD_FILE: o->password_file = optarg; break;
		case 's':
			rc = parse_sources(optarg, o, err, errlen);
			break;
		case O_PORTS:
			rc = num("--ports", optarg, 1, BENCH_MAX_PORTS, &v, err, errlen);
			o->ports = (unsigned int)v;
			break;
		case 'j':
			rc = num("--threads", optarg, 1, BENCH_MAX_THREADS, &v, err, errlen);
			o->threads = (unsigned int)v;
			break;
		case O_RTO:
			rc = num("--retransmit-timeout", optarg, 10, 600000, &v, err, errlen);
			o->rto_ms = (uint32_t)v;
			break;
		case O_RETRIES:
			rc = num("--retries", optarg, 0, BENCH_MAX_RETRIES, &v, err, errlen);
			o->retries = (unsigned int)v;
			break;
		case O_FRAG_MTU:
			rc = num("--frag-mtu", optarg, 576, 65535, &v, err, errlen);
			o->frag_mtu = (uint16_t)v;
			break;
		case O_READY: o->ready_file = optarg; break;
		case 'h':
			fputs(usage_text, out);
			return 1;
		case ':':
			return errf(err, errlen, "option %s needs a value", argv[optind - 1]);
		default:
			return errf(err, errlen, "unknown option %s (see --help)", argv[optind - 1]);
		}
		if (rc < 0)
			return rc;
	}
	if (optind < argc)
		return errf(err, errlen, "unexpected argument '%s' (see --help)", argv[optind]);
	if (!o->target.family)
		return errf(err, errlen, "--target is required");
	for (size_t i = 0; i < o->n_src; i++)
		if (o->src[i].family != o->target.family)
			return errf(err, errlen, "--source: address %zu is not of the target's family", i + 1);
	if (!o->ca_file)
		return errf(err, errlen, "--ca is required (the responder's certificate is verified)");
	if (o->auth == BENCH_AUTH_CERT && (!o->cert_file || !o->key_file || !o->id))
		return errf(err, errlen, "--auth cert needs --cert, --key and --id");
	if (o->auth == BENCH_AUTH_EAP_MSCHAPV2 && (!o->eap_user || !o->password_file))
		return errf(err, errlen, "--auth eap-mschapv2 needs --eap-user and --password-file");
	return 0;
}

/* IKE ID from text: IPv4 / IPv6 literal, "user@domain" (RFC822_ADDR) or an
 * FQDN (3.5). */
static int parse_id(const char *s, uint8_t *type, uint8_t *buf, size_t *len)
{
	size_t n = strlen(s);

	if (inet_pton(AF_INET, s, buf) == 1) {
		*type = IKE_ID_IPV4_ADDR;
		*len = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, buf) == 1) {
		*type = IKE_ID_IPV6_ADDR;
		*len = 16;
		return 0;
	}
	if (n == 0 || n > IKE_EXCH_MAX_ID)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return -EINVAL;
	*type = strchr(s, '@') ? IKE_ID_RFC822_ADDR : IKE_ID_FQDN;
	memcpy(buf, s, n);
	*len = n;
	return 0;
}

/* The certificates of a PEM file, end entity first, as DER. */
static int load_certs(struct bench_cfg *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	X509 *x;
	size_t n = 0;

	if (!f)
		return errf(err, errlen, "--cert: cannot open %s: %s", path, strerror(errno));
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		int len;

		if (n == IKE_EXCH_MAX_CERTS) {
			X509_free(x);
			fclose(f);
			return errf(err, errlen, "--cert: more than %d certificates in %s",
				    IKE_EXCH_MAX_CERTS, path);
		}
		c->cert_der[n] = NULL;
		len = i2d_X509(x, &c->cert_der[n]);
		X509_free(x);
		if (len <= 0) {
			fclose(f);
			return errf(err, errlen, "--cert: cannot encode a certificate of %s", path);
		}
		c->certs[n].ptr = c->cert_der[n];
		c->certs[n].len = (size_t)len;
		n++;
	}
	fclose(f);
	if (n == 0)
		return errf(err, errlen, "--cert: no PEM certificate in %s", path);
	c->exch.certs = c->certs;
	c->exch.n_certs = n;
	return 0;
}

static int load_key(struct bench_cfg *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");

	if (!f)
		return errf(err, errlen, "--key: cannot open %s: %s", path, strerror(errno));
	c->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!c->key)
		return errf(err, errlen, "--key: no PEM private key in %s", path);
	c->exch.key = c->key;
	return 0;
}

/* First line of the password file, at most BENCH_MAX_SECRET bytes. */
static int load_password(struct bench_cfg *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return errf(err, errlen, "--password-file: cannot open %s: %s", path, strerror(errno));
	if (!fgets(c->password, sizeof(c->password), f)) {
		fclose(f);
		return errf(err, errlen, "--password-file: %s is empty", path);
	}
	fclose(f);
	n = strcspn(c->password, "\r\n");
	if (c->password[n] == '\0' && n == sizeof(c->password) - 1)
		return errf(err, errlen, "--password-file: first line longer than %d bytes",
			    BENCH_MAX_SECRET);
	c->password[n] = '\0';
	if (n == 0)
		return errf(err, errlen, "--password-file: the first line is empty");
	c->exch.eap_password = c->password;
	c->exch.eap_password_len = n;
	return 0;
}

static void ts_any4(struct ike_ts_list *l)
{
	l->n = 1;
	ike_ts_any(&l->ts[0], IKE_TS_IPV4_ADDR_RANGE);
}

/* See bench.h. */
int bench_cfg_load(struct bench_cfg *c, const struct bench_opts *o, char *err, size_t errlen)
{
	struct ike_exch_cfg *x = &c->exch;
	char perr[160];
	size_t len;
	int n, rc;

	memset(c, 0, sizeof(*c));
	c->o = *o;
	n = ike_proposal_parse_list(o->ike, IKE_PROTO_IKE, c->ike_props, IKE_EXCH_MAX_PROPS,
				    perr, sizeof(perr));
	if (n < 0)
		return errf(err, errlen, "--ike: %s", perr);
	x->ike_props = c->ike_props;
	x->n_ike_props = (size_t)n;
	n = ike_proposal_parse_list(o->esp, IKE_PROTO_ESP, c->esp_props, IKE_EXCH_MAX_PROPS,
				    perr, sizeof(perr));
	if (n < 0)
		return errf(err, errlen, "--esp: %s", perr);
	x->child_props = c->esp_props;
	x->n_child_props = (size_t)n;

	c->trust = X509_STORE_new();
	if (!c->trust || X509_STORE_load_file(c->trust, o->ca_file) != 1)
		return errf(err, errlen, "--ca: no usable PEM certificate in %s", o->ca_file);
	x->trust = c->trust;
	x->peer_auth = IKE_EXCH_AUTH_SIG;
	x->now = (int64_t)time(NULL);
	if (o->remote_id) {
		if (parse_id(o->remote_id, &x->peer_id_type, c->remote_id, &len) < 0)
			return errf(err, errlen, "--remote-id: '%s' is not an IP, email or FQDN",
				    o->remote_id);
		x->peer_id = c->remote_id;
		x->peer_id_len = len;
	}
	if (parse_id(o->id ? o->id : o->eap_user, &x->id_type, c->id, &len) < 0)
		return errf(err, errlen, "--id: '%s' is not an IP, email or FQDN",
			    o->id ? o->id : o->eap_user);
	x->id = c->id;
	x->id_len = len;

	if (o->auth == BENCH_AUTH_CERT) {
		x->auth = IKE_EXCH_AUTH_SIG;
		if ((rc = load_certs(c, o->cert_file, err, errlen)) < 0 ||
		    (rc = load_key(c, o->key_file, err, errlen)) < 0)
			return rc;
	} else {
		x->auth = IKE_EXCH_AUTH_EAP;
		x->eap_method = EAP_TYPE_MSCHAPV2;
		x->eap_identity = (const uint8_t *)o->eap_user;
		x->eap_identity_len = strlen(o->eap_user);
		if (x->eap_identity_len == 0 || x->eap_identity_len > IKE_EXCH_MAX_ID)
			return errf(err, errlen, "--eap-user: empty or longer than %d bytes",
				    IKE_EXCH_MAX_ID);
		if ((rc = load_password(c, o->password_file, err, errlen)) < 0)
			return rc;
		if (ike_mschap_ctx_new(&c->mschap) < 0)
			return errf(err, errlen, "MD4/DES for MSCHAPv2 unavailable in OpenSSL");
		x->mschap = c->mschap;
	}
	/* a remote-access client: everything through the tunnel, an address
	 * by CP; no INITIAL_CONTACT (every SA uses the same identity and must
	 * not replace the others, 2.4), no MOBIKE */
	ts_any4(&x->ts_local);
	ts_any4(&x->ts_remote);
	x->cp_request = true;
	x->frag_mtu = o->frag_mtu;
	return 0;
}

/* See bench.h. */
void bench_cfg_free(struct bench_cfg *c)
{
	for (size_t i = 0; i < IKE_EXCH_MAX_CERTS; i++)
		OPENSSL_free(c->cert_der[i]);
	EVP_PKEY_free(c->key);
	X509_STORE_free(c->trust);
	ike_mschap_ctx_free(c->mschap);
	OPENSSL_cleanse(c->password, sizeof(c->password));
	memset(c, 0, sizeof(*c));
}
