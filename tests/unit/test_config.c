/*
 * test_config.c — ragd.conf parser (daemon/conf.c) against the contract in
 * INTERFACES.md "/etc/rag/ragd.conf": every key valid and invalid, the
 * documented defaults, durations "s m h d", CIDRs, "#" comments (also
 * trailing), "Unknown keys and bad values are errors naming file:line", all
 * errors collected, the limits (line length, file size, list lengths, error
 * count) and the private-key permission check ("refused if group/world
 * readable").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "conf.h"
#include "ike.h"
#include "ike_proposal.h"
#include "log.h"
#include "pki.h"

static struct rag_config cfg;
static struct rag_conf_errors errs;

/* Parse text as file "t.conf" on fresh defaults; returns the parse result. */
static int parse(const char *text)
{
	rag_config_init(&cfg);
	memset(&errs, 0, sizeof(errs));
	return rag_config_parse(&cfg, (const uint8_t *)text, strlen(text), "t.conf", &errs);
}

/* Is there an error message containing needle? */
static bool has_error(const char *needle)
{
	for (size_t i = 0; i < errs.n; i++)
		if (strstr(errs.msg[i], needle))
			return true;
	return false;
}

static void dump_errors(void)
{
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "    [%zu] %s\n", i, errs.msg[i]);
}

/* text must parse cleanly */
#define CHECK_OK(text) do { \
	int _r = parse(text); \
	CHECK_INT(_r, 0); \
	if (_r) dump_errors(); \
} while (0)

/* text must fail with exactly one error containing needle */
#define CHECK_ERR(text, needle) do { \
	int _r = parse(text); \
	CHECK_INT(_r, -EINVAL); \
	CHECK_INT(errs.n, 1); \
	CHECK(has_error(needle)); \
	if (errs.n != 1 || !has_error(needle)) dump_errors(); \
} while (0)

static bool addr_is(const struct rag_addr *a, int family, const char *text)
{
	uint8_t want[16] = { 0 };

	return a->family == family && inet_pton(family, text, want) == 1 &&
	       !memcmp(a->addr, want, family == AF_INET ? 4 : 16);
}

static char *read_data(const char *name, size_t *len)
{
	const char *dir = getenv("RAG_TEST_DATA");
	char path[512];
	FILE *f;
	char *buf = malloc(65536);

	snprintf(path, sizeof(path), "%s/config/%s", dir ? dir : "tests/unit/data", name);
	f = fopen(path, "rb");
	if (!f || !buf) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	*len = fread(buf, 1, 65535, f);
	fclose(f);
	return buf;
}

/* INTERFACES.md: documented defaults, used with no config file at all. */
static void test_defaults(void)
{
	CHECK_OK("");
	CHECK_INT(cfg.n_listen, 2);
	CHECK(addr_is(&cfg.listen[0], AF_INET, "0.0.0.0"));
	CHECK(addr_is(&cfg.listen[1], AF_INET6, "::"));
	CHECK(cfg.id[0] == '\0');	/* resolved at run time (host FQDN) */
	CHECK(!strcmp(cfg.state_dir, "/var/lib/rag"));
	CHECK(!strcmp(cfg.control_socket, "/run/rag/ragd.sock"));
	CHECK(!strcmp(cfg.timezone, "UTC"));
	CHECK(cfg.generate_pki);
	CHECK(!strcmp(cfg.certificate, "/var/lib/rag/server.crt"));
	CHECK(!strcmp(cfg.private_key, "/var/lib/rag/server.key"));
	CHECK(!strcmp(cfg.ca, "/var/lib/rag/ca.crt"));
	CHECK_INT(cfg.n_ike, 3);
	CHECK_INT(cfg.n_esp, 4);
	CHECK(!cfg.legacy);
	CHECK_INT(cfg.pool4.family, AF_INET);
	CHECK_INT(cfg.pool4.prefix, 16);
	CHECK(cfg.pool4.addr[0] == 10 && cfg.pool4.addr[1] == 8);
	CHECK_INT(cfg.pool6.family, 0);
	CHECK_INT(cfg.n_dns, 0);
	CHECK(cfg.split_tunnel);
	CHECK_INT(cfg.n_methods, 4);
	CHECK_INT(cfg.methods[0], RAG_AUTH_EAP_MSCHAPV2);
	CHECK_INT(cfg.lockout_threshold, 5);
	CHECK_INT(cfg.lockout_time, 15 * 60);
	CHECK_INT(cfg.dpd, 30);
	CHECK_INT(cfg.ike_lifetime, 24 * 3600);
	CHECK_INT(cfg.child_lifetime, 8 * 3600);
	CHECK_INT(cfg.half_open_limit, 1000);
	CHECK_INT(cfg.retention, 90 * 86400);
	CHECK_INT(cfg.export_window, 30 * 86400);
}

/* The example of INTERFACES.md parses as written, trailing comments included. */
static void test_example(void)
{
	size_t len;
	char *buf = read_data("example.conf", &len);
	int r;

	rag_config_init(&cfg);
	memset(&errs, 0, sizeof(errs));
	r = rag_config_parse(&cfg, (const uint8_t *)buf, len, "example.conf", &errs);
	CHECK_INT(r, 0);
	if (r)
		dump_errors();
	CHECK(!strcmp(cfg.id, "vpn.example.com"));
	CHECK_INT(cfg.id_kind, RAG_ID_FQDN);
	CHECK(!cfg.generate_pki);
	CHECK(!strcmp(cfg.certificate, "/etc/rag/server.crt"));
	CHECK(!strcmp(cfg.private_key, "/etc/rag/server.key"));
	CHECK(!strcmp(cfg.ca, "/etc/rag/clients-ca.crt"));
	CHECK(!strcmp(cfg.timezone, "Asia/Tokyo"));
	CHECK_INT(cfg.n_ike, 3);
	CHECK_INT(cfg.ike[0].protocol, IKE_PROTO_IKE);
	CHECK_INT(cfg.n_esp, 4);
	CHECK_INT(cfg.esp[0].protocol, IKE_PROTO_ESP);
	CHECK_INT(cfg.n_dns, 2);
	CHECK(addr_is(&cfg.dns[1], AF_INET, "10.0.0.54"));
	CHECK(!strcmp(cfg.dns_domain, "corp.example"));
	CHECK_INT(cfg.pool6.family, 0);	/* "ipv6 =   # optional" */
	CHECK_INT(cfg.dpd, 30);
	CHECK_INT(cfg.retention, 90 * 86400);
	free(buf);
}

/* packaging/ragd.conf (the installed example) is the INTERFACES.md example:
 * it parses and has the same values. */
static void test_packaged_example(void)
{
	const char *dir = getenv("RAG_TEST_DATA");
	char path[600];
	struct rag_config *c2 = calloc(1, sizeof(*c2));
	int r;

	snprintf(path, sizeof(path), "%s/../../../packaging/ragd.conf",
		 dir ? dir : "tests/unit/data");
	rag_config_init(c2);
	memset(&errs, 0, sizeof(errs));
	r = rag_config_load(c2, path, &errs);
	CHECK_INT(r, 0);
	if (r)
		dump_errors();
	test_example();		/* leaves the tests/unit/data copy in cfg */
	/* same settings apart from bookkeeping (lines, file name) */
	memset(c2->key_line, 0, sizeof(c2->key_line));
	memset(cfg.key_line, 0, sizeof(cfg.key_line));
	memset(c2->source, 0, sizeof(c2->source));
	memset(cfg.source, 0, sizeof(cfg.source));
	/* proposals compared as canonical strings (struct padding is not ours) */
	CHECK_INT(c2->n_ike, cfg.n_ike);
	CHECK_INT(c2->n_esp, cfg.n_esp);
	for (size_t i = 0; i < cfg.n_ike + cfg.n_esp && i < 2 * RAG_CONF_MAX_PROPOSALS; i++) {
		char a[256], b[256];
		const struct ike_proposal *pa = i < cfg.n_ike ? &c2->ike[i] : &c2->esp[i - cfg.n_ike];
		const struct ike_proposal *pb = i < cfg.n_ike ? &cfg.ike[i] : &cfg.esp[i - cfg.n_ike];

		CHECK(ike_proposal_format(pa, a, sizeof(a)) > 0);
		CHECK(ike_proposal_format(pb, b, sizeof(b)) > 0);
		CHECK(!strcmp(a, b));
	}
	memset(c2->ike, 0, sizeof(c2->ike));
	memset(cfg.ike, 0, sizeof(cfg.ike));
	memset(c2->esp, 0, sizeof(c2->esp));
	memset(cfg.esp, 0, sizeof(cfg.esp));
	CHECK(!memcmp(c2, &cfg, sizeof(cfg)));
	free(c2);
}

/* Every key with a non-default value. */
static void test_custom(void)
{
	size_t len;
	char *buf = read_data("custom.conf", &len);
	char where[300];
	int r;

	rag_config_init(&cfg);
	memset(&errs, 0, sizeof(errs));
	r = rag_config_parse(&cfg, (const uint8_t *)buf, len, "custom.conf", &errs);
	CHECK_INT(r, 0);
	if (r)
		dump_errors();
	CHECK_INT(cfg.n_listen, 2);
	CHECK(addr_is(&cfg.listen[0], AF_INET, "192.0.2.1"));
	CHECK(addr_is(&cfg.listen[1], AF_INET6, "2001:db8::1"));
	CHECK(!strcmp(cfg.id, "192.0.2.1"));
	CHECK_INT(cfg.id_kind, RAG_ID_IPV4);
	CHECK(!strcmp(cfg.certificate, "/srv/rag/gw.crt"));
	CHECK(!strcmp(cfg.private_key, "/srv/rag/gw.key"));
	CHECK(!strcmp(cfg.ca, "/srv/rag/ca.crt"));
	CHECK(!strcmp(cfg.state_dir, "/srv/rag/state"));
	CHECK(!strcmp(cfg.control_socket, "/srv/rag/ctl.sock"));
	CHECK(!strcmp(cfg.timezone, "Europe/Paris"));
	CHECK(!cfg.generate_pki);
	CHECK(cfg.legacy);
	CHECK_INT(cfg.n_ike, 1 + 2);	/* + aes256-sha1-modp1024, 3des-sha1-modp1024 */
	CHECK_INT(cfg.n_esp, 1 + 1);	/* + aes256-sha1 */
	CHECK_INT(cfg.ike[2].num, 3);
	CHECK_INT(cfg.pool4.prefix, 12);
	CHECK_INT(cfg.pool6.family, AF_INET6);
	CHECK_INT(cfg.pool6.prefix, 64);
	CHECK_INT(cfg.n_dns, 1);
	CHECK(!strcmp(cfg.dns_domain, "example.org"));
	CHECK(!cfg.split_tunnel);
	CHECK_INT(cfg.n_methods, 2);
	CHECK_INT(cfg.methods[0], RAG_AUTH_PUBKEY);
	CHECK_INT(cfg.methods[1], RAG_AUTH_EAP_TLS);
	CHECK_INT(cfg.lockout_threshold, 0);
	CHECK_INT(cfg.lockout_time, 7200);
	CHECK_INT(cfg.dpd, 0);
	CHECK_INT(cfg.ike_lifetime, 86400);
	CHECK_INT(cfg.child_lifetime, 5400);
	CHECK_INT(cfg.half_open_limit, 50);
	CHECK_INT(cfg.retention, 365 * 86400);
	CHECK_INT(cfg.export_window, 7 * 86400);
	CHECK(!strcmp(rag_config_where(&cfg, "timezone", where, sizeof(where)),
		      "custom.conf:10: [gateway] timezone"));
	free(buf);
}

/* INTERFACES.md: "Unknown keys and bad values are errors naming file:line";
 * all of them are reported, not just the first. */
static void test_all_errors(void)
{
	static const struct {
		const char *text;
	} want[] = {
		{ "bad-values.conf:3: [gateway] listen = '0.0.0.0, not-an-address'" },
		{ "bad-values.conf:4: [gateway] id = 'bad_id!'" },
		{ "bad-values.conf:5: [gateway] timezone = '../../etc/passwd'" },
		{ "bad-values.conf:6: [gateway] state-dir = 'relative/path'" },
		{ "bad-values.conf:7: unknown key 'colour' in [gateway]" },
		{ "bad-values.conf:9: [proposals] ike = 'aes999-sha1'" },
		{ "bad-values.conf:10: [proposals] legacy = 'maybe'" },
		{ "bad-values.conf:12: [pool] ipv4 = '10.8.0.1/16': host bits set" },
		{ "bad-values.conf:13: [pool] ipv6 = '10.0.0.0/8'" },
		{ "bad-values.conf:14: [pool] dns = '10.0.0.53, 10.0.0.53': '10.0.0.53' is listed twice" },
		{ "bad-values.conf:15: [pool] split-tunnel = 'perhaps'" },
		{ "bad-values.conf:17: [auth] methods = 'eap-mschapv2, telnet': unknown method 'telnet'" },
		{ "bad-values.conf:18: [auth] lockout-threshold = '-1'" },
		{ "bad-values.conf:19: [auth] lockout-time = '15 minutes'" },
		{ "bad-values.conf:21: [timers] dpd = '30x'" },
		{ "bad-values.conf:22: [timers] half-open-limit = '99999999999999999999999': out of range" },
		{ "bad-values.conf:24: [logs] retention = '0d': duration out of range" },
		{ "bad-values.conf:25: unknown section 'nonsense'" },
	};
	size_t len;
	char *buf = read_data("bad-values.conf", &len);
	int r;

	rag_config_init(&cfg);
	memset(&errs, 0, sizeof(errs));
	r = rag_config_parse(&cfg, (const uint8_t *)buf, len, "bad-values.conf", &errs);
	CHECK_INT(r, -EINVAL);
	CHECK_INT(errs.n, sizeof(want) / sizeof(want[0]));	/* line 26 is in [nonsense]: skipped */
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		bool found = i < errs.n && !strncmp(errs.msg[i], want[i].text, strlen(want[i].text));

		CHECK(found);
		if (!found)
			fprintf(stderr, "  wanted: %s\n     got: %s\n", want[i].text,
				i < errs.n ? errs.msg[i] : "(nothing)");
	}
	free(buf);
}

/* Each key: a good value parses, bad ones name the key and value. */
static void test_keys(void)
{
	/* [gateway] */
	CHECK_OK("[gateway]\nlisten = ::1\n");
	CHECK_INT(cfg.n_listen, 1);
	CHECK_ERR("[gateway]\nlisten =\n", "t.conf:2: [gateway] listen = '': needs at least one");
	CHECK_ERR("[gateway]\nlisten = vpn.example.com\n", "is not an IP address");
	CHECK_ERR("[gateway]\nlisten = 1.2.3.4,,5.6.7.8\n", "empty list entry");
	CHECK_ERR("[gateway]\nlisten = 1.2.3.4,\n", "empty list entry");
	CHECK_ERR("[gateway]\nlisten = 1.2.3.4/32\n", "not an IP address");
	CHECK_OK("[gateway]\nid = gw-1.corp.example\n");
	CHECK_INT(cfg.id_kind, RAG_ID_FQDN);
	CHECK_OK("[gateway]\nid = 2001:db8::7\n");
	CHECK_INT(cfg.id_kind, RAG_ID_IPV6);
	CHECK_OK("[gateway]\nid = C=JP, O=Example, CN=vpn\ncertificate = /a.crt\n"
		 "private-key = /a.key\nca = /ca.crt\n");
	CHECK_INT(cfg.id_kind, RAG_ID_DN);
	CHECK_ERR("[gateway]\nid = CN=vpn\n", "a DN identity needs a configured certificate");
	CHECK_ERR("[gateway]\nid = under_score.example\n", "t.conf:2: [gateway] id");
	CHECK_ERR("[gateway]\nid = -lead.example\n", "not an FQDN");
	CHECK_ERR("[gateway]\nid = trail-.example\n", "not an FQDN");
	CHECK_ERR("[gateway]\nid = a..b\n", "not an FQDN");
	CHECK_ERR("[gateway]\nid =\n", "not an FQDN");
	CHECK_ERR("[gateway]\nid = caf\xc3\xa9.example\n", "not an FQDN");
	CHECK_ERR("[gateway]\ncertificate = server.crt\nprivate-key = /k\nca = /c\n",
		  "t.conf:2: [gateway] certificate = 'server.crt': must be an absolute path");
	CHECK_ERR("[gateway]\ncertificate = /etc/rag/s.crt\n",
		  "t.conf:2: [gateway] certificate is set without private-key");
	CHECK_ERR("[gateway]\nprivate-key = /etc/rag/s.key\n",
		  "t.conf:2: [gateway] private-key is set without certificate");
	CHECK_ERR("[gateway]\ncertificate = /c\nprivate-key = /k\n",
		  "ca is required for methods eap-tls and pubkey");
	CHECK_OK("[gateway]\ncertificate = /c\nprivate-key = /k\n[auth]\nmethods = eap-mschapv2\n");
	CHECK(cfg.ca[0] == '\0');
	CHECK_ERR("[gateway]\nca = \n", "must be an absolute path");
	CHECK_ERR("[gateway]\nstate-dir = /var/lib/rag\x01\n", "control or non-ASCII");
	CHECK_OK("[gateway]\nstate-dir = /tmp/x\n");
	CHECK(!strcmp(cfg.certificate, "/tmp/x/server.crt"));
	{
		char text[600] = "[gateway]\ncontrol-socket = /";

		memset(text + strlen(text), 'a', 120);
		strcat(text, "\n");
		CHECK_ERR(text, "path too long (limit 107)");
	}
	CHECK_OK("[gateway]\ntimezone = America/Argentina/Buenos_Aires\n");
	CHECK_ERR("[gateway]\ntimezone = Mars/Olympus_Mons\n", "unknown time zone");
	CHECK_ERR("[gateway]\ntimezone = /etc/localtime\n", "not a time zone name");
	CHECK_ERR("[gateway]\ntimezone = Asia/../Asia/Tokyo\n", "not a time zone name");
	CHECK_ERR("[gateway]\ntimezone = zone.tab\n", "unknown time zone");	/* not TZif */
	CHECK_ERR("[gateway]\ntimezone = Asia\n", "unknown time zone");		/* a directory */

	/* [proposals] */
	CHECK_OK("[proposals]\nike = aes256-sha256-modp2048\nesp = aes256gcm16-x25519\n");
	CHECK_INT(cfg.n_ike, 1);
	CHECK_INT(cfg.n_esp, 1);
	CHECK_ERR("[proposals]\nike =\n", "needs at least one proposal");
	CHECK_ERR("[proposals]\nesp = rot13\n", "t.conf:2: [proposals] esp = 'rot13'");
	CHECK_ERR("[proposals]\nlegacy = 2\n", "expected yes or no");
	CHECK_OK("[proposals]\nlegacy = yes\n");
	CHECK_INT(cfg.n_ike, 5);
	CHECK_INT(cfg.n_esp, 5);
	CHECK_OK("[proposals]\nlegacy = No\n");
	CHECK(!cfg.legacy);

	/* [pool] */
	CHECK_OK("[pool]\nipv4 = 192.168.100.0/24\nipv6 = fd00::/64\n");
	CHECK_INT(cfg.pool4.prefix, 24);
	CHECK_INT(cfg.pool6.prefix, 64);
	CHECK_OK("[pool]\nipv4 =\nipv6 = fd00:ab::/48\n");
	CHECK_INT(cfg.pool4.family, 0);
	CHECK_ERR("[pool]\nipv4 =\n", "no address pool");
	CHECK_ERR("[pool]\nipv4 = 10.0.0.0/31\n", "prefix length out of range");
	CHECK_ERR("[pool]\nipv4 = 10.0.0.0/33\n", "not an IPv4 CIDR");
	CHECK_ERR("[pool]\nipv4 = 10.0.0.0\n", "not an IPv4 CIDR");
	CHECK_ERR("[pool]\nipv4 = fd00::/64\n", "not an IPv4 CIDR");
	CHECK_ERR("[pool]\nipv6 = fd00::1/64\n", "host bits set");
	CHECK_ERR("[pool]\nipv6 = fd00::/129\n", "not an IPv6 CIDR");
	CHECK_OK("[pool]\ndns = 10.0.0.53, 2001:db8::53\n");
	CHECK_INT(cfg.n_dns, 2);
	CHECK_ERR("[pool]\ndns = 1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4,5.5.5.5,6.6.6.6,7.7.7.7,8.8.8.8,9.9.9.9\n",
		  "too many entries (limit 8)");
	CHECK_OK("[pool]\ndns-domain =\n");
	CHECK_ERR("[pool]\ndns-domain = corp example\n", "not a domain name");
	CHECK_OK("[pool]\nsplit-tunnel = no\n");
	CHECK(!cfg.split_tunnel);
	CHECK_ERR("[pool]\nsplit-tunnel = 1\n", "expected yes or no");

	/* [auth] */
	CHECK_OK("[auth]\nmethods = psk\n");
	CHECK_INT(cfg.n_methods, 1);
	CHECK_ERR("[auth]\nmethods = psk, psk\n", "listed twice");
	CHECK_ERR("[auth]\nmethods =\n", "needs at least one method");
	CHECK_ERR("[auth]\nmethods = psk, pubkey, eap-tls, eap-mschapv2, psk\n", "too many entries");
	CHECK_OK("[auth]\nlockout-threshold = 1000\n");
	CHECK_ERR("[auth]\nlockout-threshold = 1001\n", "out of range (0..1000)");
	CHECK_ERR("[auth]\nlockout-threshold = 0x10\n", "not a decimal number");
	CHECK_ERR("[auth]\nlockout-threshold = +5\n", "not a decimal number");
	CHECK_ERR("[auth]\nlockout-time = 0\n", "duration out of range");

	/* [timers] */
	CHECK_OK("[timers]\ndpd = 2m\nike-lifetime = 4h\nchild-lifetime = 3600\nhalf-open-limit = 1\n");
	CHECK_INT(cfg.dpd, 120);
	CHECK_INT(cfg.ike_lifetime, 14400);
	CHECK_INT(cfg.child_lifetime, 3600);
	CHECK_INT(cfg.half_open_limit, 1);
	CHECK_ERR("[timers]\nike-lifetime = 30s\n", "duration out of range");
	CHECK_ERR("[timers]\nchild-lifetime = 31d\n", "duration out of range");
	CHECK_ERR("[timers]\nhalf-open-limit = 0\n", "out of range");
	CHECK_ERR("[timers]\ndpd = 1.5h\n", "invalid duration");

	/* [logs] */
	CHECK_OK("[logs]\nretention = 10d\nexport-window = 10d\n");
	CHECK_ERR("[logs]\nretention = 10d\nexport-window = 11d\n",
		  "t.conf:3: [logs] export-window is longer than retention");
	CHECK_ERR("[logs]\nexport-window = 3651d\n", "duration out of range");
}

/* Durations accept s m h d (INTERFACES.md); numbers are checked, never atoi. */
static void test_values(void)
{
	static const struct {
		const char *s;
		int r;
		uint64_t v;
	} dur[] = {
		{ "30s", 0, 30 }, { "15m", 0, 900 }, { "24h", 0, 86400 }, { "90d", 0, 7776000 },
		{ "45", 0, 45 }, { "0", 0, 0 }, { "0d", 0, 0 },
		{ "", -EINVAL, 0 }, { "s", -EINVAL, 0 }, { "-1s", -EINVAL, 0 },
		{ "1 h", -EINVAL, 0 }, { "1hh", -EINVAL, 0 }, { "1w", -EINVAL, 0 },
		{ "1.5h", -EINVAL, 0 }, { "1H", -EINVAL, 0 },
		{ "213503982334602d", -ERANGE, 0 },		/* * 86400 overflows 64 bits */
		{ "213503982334601d", 0, 213503982334601ull * 86400 },
		{ "18446744073709551616", -ERANGE, 0 },		/* 2^64 */
		{ "18446744073709551615", 0, UINT64_MAX },
	};
	struct rag_cidr c;
	struct rag_addr a;
	uint64_t v;
	bool b;

	for (size_t i = 0; i < sizeof(dur) / sizeof(dur[0]); i++) {
		int r = rag_parse_duration(dur[i].s, &v);

		CHECK_INT(r, dur[i].r);
		if (r != dur[i].r)
			fprintf(stderr, "  duration '%s'\n", dur[i].s);
		if (r == 0)
			CHECK(v == dur[i].v);
	}
	CHECK_INT(rag_parse_uint("10", 1, 10, &v), 0);
	CHECK_INT(rag_parse_uint("11", 1, 10, &v), -ERANGE);
	CHECK_INT(rag_parse_uint("0", 1, 10, &v), -ERANGE);
	CHECK_INT(rag_parse_uint(" 1", 0, 10, &v), -EINVAL);
	CHECK_INT(rag_parse_uint("1 ", 0, 10, &v), -EINVAL);

	CHECK_INT(rag_parse_cidr("10.8.0.0/16", &c), 0);
	CHECK_INT(c.prefix, 16);
	CHECK_INT(rag_parse_cidr("0.0.0.0/0", &c), 0);
	CHECK_INT(rag_parse_cidr("10.8.0.1/32", &c), 0);
	CHECK_INT(rag_parse_cidr("10.8.0.1/16", &c), -EADDRNOTAVAIL);
	CHECK_INT(rag_parse_cidr("10.8.0.0/33", &c), -ERANGE);
	CHECK_INT(rag_parse_cidr("10.8.0.0/", &c), -EINVAL);
	CHECK_INT(rag_parse_cidr("10.8.0.0", &c), -EINVAL);
	CHECK_INT(rag_parse_cidr("10.8.0/16", &c), -EINVAL);
	CHECK_INT(rag_parse_cidr("2001:db8::/32", &c), 0);
	CHECK_INT(c.family, AF_INET6);
	CHECK_INT(rag_parse_cidr("2001:db8::/129", &c), -ERANGE);
	CHECK_INT(rag_parse_cidr("2001:db8::1/127", &c), -EADDRNOTAVAIL);
	CHECK_INT(rag_parse_cidr("2001:db8::/-1", &c), -EINVAL);
	CHECK_INT(rag_parse_addr("1.2.3.4", &a), 0);
	CHECK_INT(rag_parse_addr("1.2.3", &a), -EINVAL);
	CHECK_INT(rag_parse_addr("fe80::1%eth0", &a), -EINVAL);

	CHECK_INT(rag_parse_bool("YES", &b), 0);
	CHECK(b);
	CHECK_INT(rag_parse_bool("off", &b), 0);
	CHECK(!b);
	CHECK_INT(rag_parse_bool("", &b), -EINVAL);

	CHECK_INT(rag_check_timezone("UTC"), 0);
	CHECK_INT(rag_check_timezone("Asia/Tokyo"), 0);
	CHECK_INT(rag_check_timezone("../etc/passwd"), -EINVAL);
	CHECK_INT(rag_check_timezone("Asia/../../etc/passwd"), -EINVAL);
	CHECK_INT(rag_check_timezone("Asia//Tokyo"), -EINVAL);
	CHECK_INT(rag_check_timezone("Asia/Tokyo/"), -EINVAL);
	CHECK_INT(rag_check_timezone("/Asia/Tokyo"), -EINVAL);
	CHECK_INT(rag_check_timezone(".hidden"), -EINVAL);
	CHECK_INT(rag_check_timezone("Asia/To kyo"), -EINVAL);
	CHECK_INT(rag_check_timezone(""), -EINVAL);
	CHECK_INT(rag_check_timezone("Nowhere"), -ENOENT);
}

/* INI syntax: sections, comments, whitespace, CRLF, structural errors. */
static void test_syntax(void)
{
	CHECK_OK("# comment only\n\n   \t\n[timers]   # trailing comment on a header\n"
		 "  dpd=10s#no space before the comment\r\n[logs]\r\nretention = 30d\r\n");
	CHECK_INT(cfg.dpd, 10);
	CHECK_INT(cfg.retention, 30 * 86400);
	CHECK_OK("[timers]\ndpd = 10s");	/* no final newline */
	CHECK_INT(cfg.dpd, 10);
	CHECK_OK("[ timers ]\ndpd = 11s\n[logs]\n[timers]\nike-lifetime = 1h\n");	/* re-opened */
	CHECK_INT(cfg.dpd, 11);
	CHECK_ERR("dpd = 10s\n", "t.conf:1: key 'dpd' outside of a [section]");
	CHECK_ERR("[timers]\ndpd 10s\n", "t.conf:2: expected 'key = value'");
	CHECK_ERR("[timers\ndpd = 10s\n", "t.conf:1: malformed section header");
	CHECK_ERR("[timers] x\n", "malformed section header");
	CHECK_ERR("[Timers]\ndpd = 1s\n", "t.conf:1: unknown section 'Timers'");
	CHECK_ERR("[timers]\nDPD = 1s\n", "t.conf:2: unknown key 'DPD' in [timers]");
	CHECK_ERR("[timers]\nretention = 1d\n", "unknown key 'retention' in [timers]");
	CHECK_ERR("[timers]\ndpd = 1s\ndpd = 2s\n",
		  "t.conf:3: [timers] dpd: duplicate key (first set on line 2)");
	CHECK_INT(cfg.dpd, 1);
	{
		static const char nul[] = "[timers]\ndpd = 1\0s\n";

		rag_config_init(&cfg);
		memset(&errs, 0, sizeof(errs));
		CHECK_INT(rag_config_parse(&cfg, (const uint8_t *)nul, sizeof(nul) - 1, "t.conf",
					   &errs), -EINVAL);
		CHECK(has_error("t.conf:2: NUL byte"));
	}
	/* untrusted text in messages is quoted and escaped */
	CHECK_ERR("[timers]\ndpd = \x1b[31m'x\n", "dpd = '\\x1b[31m\\'x'");
}

/* Limits: line length, file size, number of collected errors. */
static void test_limits(void)
{
	char *big = malloc(RAG_CONF_MAX_FILE + 2);
	size_t off = 0;
	int r;

	/* a line of exactly RAG_CONF_MAX_LINE bytes is fine, one more is not */
	memcpy(big, "#", 1);
	memset(big + 1, 'x', RAG_CONF_MAX_LINE - 1);
	memcpy(big + RAG_CONF_MAX_LINE, "\n[timers]\ndpd = 5s\n#", 20);
	memset(big + RAG_CONF_MAX_LINE + 20, 'y', RAG_CONF_MAX_LINE);
	big[2 * RAG_CONF_MAX_LINE + 20] = '\0';
	r = parse(big);
	CHECK_INT(r, -EINVAL);
	CHECK_INT(errs.n, 1);
	CHECK(has_error("t.conf:4: line too long (1025 bytes, limit 1024)"));
	CHECK_INT(cfg.dpd, 5);	/* the lines around it still count */

	/* file size */
	memset(big, '\n', RAG_CONF_MAX_FILE + 1);
	rag_config_init(&cfg);
	memset(&errs, 0, sizeof(errs));
	CHECK_INT(rag_config_parse(&cfg, (uint8_t *)big, RAG_CONF_MAX_FILE + 1, "t.conf", &errs),
		  -EINVAL);
	CHECK(has_error("file too large"));
	rag_config_init(&cfg);
	memset(&errs, 0, sizeof(errs));
	CHECK_INT(rag_config_parse(&cfg, (uint8_t *)big, RAG_CONF_MAX_FILE, "t.conf", &errs), 0);

	/* 100 bad lines: 64 messages kept, the rest counted */
	off = (size_t)sprintf(big, "[timers]\n");
	for (int i = 0; i < 100; i++)
		off += (size_t)sprintf(big + off, "bogus%d = 1\n", i);
	r = parse(big);
	CHECK_INT(r, -EINVAL);
	CHECK_INT(errs.n, RAG_CONF_MAX_ERRORS);
	CHECK_INT(errs.dropped, 100 - RAG_CONF_MAX_ERRORS);
	CHECK(!strcmp(errs.msg[0], "t.conf:2: unknown key 'bogus0' in [timers]"));

	/* list lengths: 16 listen addresses fit, 17 do not */
	off = (size_t)sprintf(big, "[gateway]\nlisten = ");
	for (int i = 0; i < 17; i++)
		off += (size_t)sprintf(big + off, "%s192.0.2.%d", i ? ", " : "", i + 1);
	strcpy(big + off, "\n");
	CHECK_ERR(big, "too many entries (limit 16)");
	off = (size_t)sprintf(big, "[gateway]\nlisten = ");
	for (int i = 0; i < 16; i++)
		off += (size_t)sprintf(big + off, "%s192.0.2.%d", i ? ", " : "", i + 1);
	strcpy(big + off, "\n");
	CHECK_OK(big);
	CHECK_INT(cfg.n_listen, 16);
	free(big);
}

/* rag_config_load: missing file, file name in messages. */
static void test_load(const char *dir)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/none.conf", dir);
	rag_config_init(&cfg);
	memset(&errs, 0, sizeof(errs));
	CHECK_INT(rag_config_load(&cfg, path, &errs), -ENOENT);
	CHECK_INT(errs.n, 0);
	snprintf(path, sizeof(path), "%s/x.conf", dir);
	f = fopen(path, "w");
	fputs("[timers]\n\ndpd = never\n", f);
	fclose(f);
	CHECK_INT(rag_config_load(&cfg, path, &errs), -EINVAL);
	CHECK_INT(errs.n, 1);
	CHECK(strstr(errs.msg[0], "/x.conf:3: [timers] dpd = 'never'") != NULL);
	rag_config_init(&cfg);
	memset(&errs, 0, sizeof(errs));
	CHECK_INT(rag_config_load(&cfg, dir, &errs), -EINVAL);	/* a directory */
	CHECK(has_error("not a regular file"));
}

/* INTERFACES.md: private-key "refused if group/world readable". */
static void test_key_permissions(const char *dir)
{
	struct rag_pki_gen gen;
	struct rag_pki pki;
	char err[256], text[1024];
	int r;

	r = rag_pki_generate(dir, "vpn.example.net", &gen, err, sizeof(err));
	CHECK_INT(r, 0);
	if (r)
		fprintf(stderr, "  %s\n", err);
	snprintf(text, sizeof(text),
		 "[gateway]\nid = vpn.example.net\ncertificate = %s/server.crt\n"
		 "private-key = %s/server.key\nca = %s/ca.crt\n", dir, dir, dir);
	CHECK_OK(text);
	CHECK_INT(rag_pki_load(&pki, &cfg, &errs), 0);
	CHECK(pki.key != NULL && pki.cert != NULL);
	rag_pki_free(&pki);

	for (unsigned int mode = 0640; mode; mode = mode == 0640 ? 0604 : mode == 0604 ? 0620 : 0) {
		snprintf(err, sizeof(err), "%s/server.key", dir);
		chmod(err, mode);
		memset(&errs, 0, sizeof(errs));
		CHECK_INT(rag_pki_load(&pki, &cfg, &errs), -EINVAL);
		CHECK_INT(errs.n, 1);
		CHECK(has_error("t.conf:4: [gateway] private-key: "));
		CHECK(has_error("refused: accessible by group/others"));
		CHECK(pki.key == NULL);
	}
	chmod(err, 0400);
	memset(&errs, 0, sizeof(errs));
	CHECK_INT(rag_pki_load(&pki, &cfg, &errs), 0);
	rag_pki_free(&pki);

	/* the id must be in the SAN; a missing ca file is reported with its line */
	snprintf(text, sizeof(text),
		 "[gateway]\nid = other.example.net\ncertificate = %s/server.crt\n"
		 "private-key = %s/server.key\nca = %s/missing.crt\n", dir, dir, dir);
	CHECK_OK(text);
	CHECK_INT(rag_pki_load(&pki, &cfg, &errs), -EINVAL);
	CHECK_INT(errs.n, 2);
	CHECK(has_error("t.conf:3: [gateway] certificate: "));
	CHECK(has_error("id 'other.example.net' is not in its subjectAltName"));
	CHECK(has_error("t.conf:5: [gateway] ca: "));

	/* key and certificate that do not belong together */
	snprintf(text, sizeof(text),
		 "[gateway]\nid = vpn.example.net\ncertificate = %s/server.crt\n"
		 "private-key = %s/ca.key\nca = %s/ca.crt\n", dir, dir, dir);
	CHECK_OK(text);
	CHECK_INT(rag_pki_load(&pki, &cfg, &errs), -EINVAL);
	CHECK(has_error("does not match certificate"));
}

/* rag_quote: printable kept, quote/backslash escaped, the rest \xNN, cut. */
static void test_quote(void)
{
	char out[RAG_QUOTE_MAX], small[12];

	CHECK(!strcmp(rag_quote_str(out, sizeof(out), "a'b\\c\n\x7f"), "'a\\'b\\\\c\\x0a\\x7f'"));
	CHECK(!strcmp(rag_quote_str(small, sizeof(small), "abcdefghijkl"), "'abcdef...'"));
	CHECK(!strcmp(rag_quote_str(small, sizeof(small), "abcdefgh"), "'abcdefgh'"));
	CHECK(!strcmp(rag_quote(out, sizeof(out), "a\0b", 3), "'a\\x00b'"));
}

/* id classification (FQDN, IP or DN). */
static void test_id(void)
{
	enum rag_id_kind k;

	CHECK_INT(rag_id_classify("vpn.example.com", &k), 0);
	CHECK_INT(k, RAG_ID_FQDN);
	CHECK_INT(rag_id_classify("vm", &k), 0);	/* a bare host name is a valid FQDN id */
	CHECK_INT(rag_id_classify("192.0.2.1", &k), 0);
	CHECK_INT(k, RAG_ID_IPV4);
	CHECK_INT(rag_id_classify("O=x, CN=y", &k), 0);
	CHECK_INT(k, RAG_ID_DN);
	CHECK_INT(rag_id_classify("a b", &k), -EINVAL);
	CHECK_INT(rag_id_classify("example.com.", &k), -EINVAL);
}

int main(void)
{
	char dir[] = "/tmp/rag-test-config-XXXXXX";

	if (ike_init() < 0 || !mkdtemp(dir))
		return 1;
	test_defaults();
	test_example();
	test_custom();
	test_packaged_example();
	test_all_errors();
	test_keys();
	test_values();
	test_syntax();
	test_limits();
	test_load(dir);
	test_key_permissions(dir);
	test_quote();
	test_id();
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return check_done("test_config");
}
