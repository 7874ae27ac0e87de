/*
 * test_certgen.c — the certificates ragd generates on embedded defaults
 * (INTERFACES.md: "a generated CA + RSA-2048 server certificate (SAN = the
 * id)"): SAN for an FQDN id and for IP ids (iPAddress AND DNS of the same
 * text), EKU serverAuth + ikeIntermediate (1.3.6.1.5.5.8.2.2, RFC 4945
 * 5.1.3.12), keyUsage digitalSignature, the chain verifying with
 * X509_verify_cert against the CA, RSA-2048, validity, files 0600 written
 * atomically, and reuse on the second start.
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "conf.h"
#include "ike.h"
#include "pki.h"

static X509 *load_cert(const char *dir, const char *name)
{
	char path[1100];
	FILE *f;
	X509 *x;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}

static EVP_PKEY *load_key(const char *dir, const char *name)
{
	char path[1100];
	FILE *f;
	EVP_PKEY *k;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

static unsigned int file_mode(const char *dir, const char *name)
{
	char path[1100];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s%s", dir, name ? "/" : "", name ? name : "");
	return stat(path, &st) == 0 ? (unsigned int)(st.st_mode & 07777) : 0xffff;
}

/* Read a whole small file into buf; returns its length (0 on error). */
static size_t slurp(const char *dir, const char *name, char *buf, size_t len)
{
	char path[1100];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return 0;
	n = fread(buf, 1, len, f);
	fclose(f);
	return n;
}

/* Count SAN entries of type with the given value (DNS text or IP bytes). */
static int san_count(X509 *x, int type, const void *val, int len)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int n = 0;

	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		ASN1_STRING *s;

		if (g->type != type)
			continue;
		s = type == GEN_DNS ? g->d.dNSName : g->d.iPAddress;
		if (ASN1_STRING_length(s) == len && !memcmp(ASN1_STRING_get0_data(s), val, (size_t)len))
			n++;
	}
	GENERAL_NAMES_free(gens);
	return n;
}

static int san_total(X509 *x)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int n = gens ? sk_GENERAL_NAME_num(gens) : -1;

	GENERAL_NAMES_free(gens);
	return n;
}

/* Does the EKU extension list the dotted OID? */
static bool has_eku(X509 *x, const char *oid)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	ASN1_OBJECT *want = OBJ_txt2obj(oid, 1);
	bool found = false;

	for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku); i++)
		if (!OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), want))
			found = true;
	ASN1_OBJECT_free(want);
	EXTENDED_KEY_USAGE_free(eku);
	return found;
}

/* X509_verify_cert(server) against a store holding only the CA, with the
 * id checked as host name or IP, for the TLS-server purpose. */
static int verify_chain(X509 *ca, X509 *server, const char *host, const char *ip)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *vp;
	int ok;

	X509_STORE_add_cert(store, ca);
	X509_STORE_CTX_init(ctx, store, server, NULL);
	vp = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_purpose(vp, X509_PURPOSE_SSL_SERVER);
	if (host)
		X509_VERIFY_PARAM_set1_host(vp, host, 0);
	if (ip)
		X509_VERIFY_PARAM_set1_ip_asc(vp, ip);
	ok = X509_verify_cert(ctx);
	if (ok != 1)
		fprintf(stderr, "  verify: %s\n",
			X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ok;
}

/* notAfter - now in days (rounded down). */
static int days_left(X509 *x)
{
	int days = 0, secs = 0;

	ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x));
	return days;
}

/* No temp files of rag_write_file_atomic() left behind. */
static int leftovers(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		if (strchr(e->d_name, '.') && strlen(strrchr(e->d_name, '.')) == 7)
			n++;	/* name.XXXXXX */
	if (d)
		closedir(d);
	return n;
}

/* FQDN id: everything the brief and INTERFACES.md require of the files. */
static void test_fqdn(const char *base)
{
	char dir[512], err[256], before[8192], after[8192];
	size_t n1, n2;
	struct rag_pki_gen gen;
	X509 *ca, *srv;
	EVP_PKEY *key;
	int r;

	/* a state dir whose parent does not exist yet */
	snprintf(dir, sizeof(dir), "%s/fqdn/state", base);
	r = rag_pki_generate(dir, "vpn.example.org", &gen, err, sizeof(err));
	CHECK_INT(r, 0);
	if (r)
		fprintf(stderr, "  %s\n", err);
	CHECK(gen.ca_created);
	CHECK(gen.server_created);
	CHECK_INT(file_mode(dir, NULL), 0700);
	CHECK_INT(file_mode(dir, "ca.key"), 0600);
	CHECK_INT(file_mode(dir, "server.key"), 0600);
	CHECK_INT(file_mode(dir, "ca.crt"), 0644);
	CHECK_INT(file_mode(dir, "server.crt"), 0644);
	CHECK_INT(leftovers(dir), 0);

	ca = load_cert(dir, "ca.crt");
	srv = load_cert(dir, "server.crt");
	key = load_key(dir, "server.key");
	CHECK(ca && srv && key);
	if (!ca || !srv || !key)
		return;
	/* RSA-2048 server key, matching the certificate */
	CHECK(EVP_PKEY_is_a(key, "RSA"));
	CHECK_INT(EVP_PKEY_get_bits(key), 2048);
	CHECK_INT(X509_check_private_key(srv, key), 1);
	/* SAN: DNS=id only */
	CHECK_INT(san_total(srv), 1);
	CHECK_INT(san_count(srv, GEN_DNS, "vpn.example.org", 15), 1);
	CHECK(rag_cert_matches_id(srv, "vpn.example.org"));
	CHECK(!rag_cert_matches_id(srv, "evil.example.org"));
	CHECK(!rag_cert_matches_id(srv, "example.org"));
	/* EKU serverAuth + ikeIntermediate, keyUsage digitalSignature only */
	CHECK(has_eku(srv, "1.3.6.1.5.5.7.3.1"));
	CHECK(has_eku(srv, "1.3.6.1.5.5.8.2.2"));
	CHECK(X509_get_extended_key_usage(srv) & XKU_SSL_SERVER);
	CHECK(X509_get_key_usage(srv) & KU_DIGITAL_SIGNATURE);
	CHECK(!(X509_get_key_usage(srv) & KU_KEY_CERT_SIGN));
	CHECK_INT(X509_check_ca(srv), 0);
	/* the CA */
	CHECK(X509_check_ca(ca) >= 1);
	CHECK(X509_get_key_usage(ca) & KU_KEY_CERT_SIGN);
	CHECK_INT(X509_check_issued(ca, srv), X509_V_OK);
	CHECK_INT(X509_check_issued(ca, ca), X509_V_OK);	/* self-signed */
	/* the chain verifies, as a client would check it */
	CHECK_INT(verify_chain(ca, srv, "vpn.example.org", NULL), 1);
	CHECK(verify_chain(ca, srv, "other.example.org", NULL) != 1);
	/* validity: 10 years CA, 2 years server */
	CHECK(days_left(ca) >= 3649 && days_left(ca) <= 3650);
	CHECK(days_left(srv) >= 729 && days_left(srv) <= 730);
	/* fingerprint = SHA-256 over the DER, computed independently */
	{
		unsigned char *der = NULL, md[32];
		char fpr[RAG_FPR_LEN], want[RAG_FPR_LEN];
		int dlen = i2d_X509(ca, &der);
		size_t o = 0;

		CHECK(dlen > 0);
		EVP_Digest(der, (size_t)dlen, md, NULL, EVP_sha256(), NULL);
		OPENSSL_free(der);
		for (int i = 0; i < 32; i++)
			o += (size_t)snprintf(want + o, sizeof(want) - o, i ? ":%02X" : "%02X", md[i]);
		CHECK_INT(rag_fingerprint(ca, fpr, sizeof(fpr)), 0);
		CHECK(!strcmp(fpr, want));
		CHECK_INT(strlen(fpr), 95);
	}

	/* second start: nothing regenerated, files byte-identical */
	n1 = slurp(dir, "server.crt", before, sizeof(before));
	r = rag_pki_generate(dir, "vpn.example.org", &gen, err, sizeof(err));
	CHECK_INT(r, 0);
	CHECK(!gen.ca_created);
	CHECK(!gen.server_created);
	n2 = slurp(dir, "server.crt", after, sizeof(after));
	CHECK(n1 > 0 && n1 == n2 && !memcmp(before, after, n1));

	/* a changed id keeps the CA and reissues the server certificate */
	n1 = slurp(dir, "ca.crt", before, sizeof(before));
	r = rag_pki_generate(dir, "gw.example.org", &gen, err, sizeof(err));
	CHECK_INT(r, 0);
	CHECK(!gen.ca_created);
	CHECK(gen.server_created);
	CHECK(strstr(gen.reason, "does not name the id") != NULL);
	n2 = slurp(dir, "ca.crt", after, sizeof(after));
	CHECK(n1 > 0 && n1 == n2 && !memcmp(before, after, n1));
	X509_free(srv);
	srv = load_cert(dir, "server.crt");
	CHECK(srv && verify_chain(ca, srv, "gw.example.org", NULL) == 1);

	/* a broken CA is never silently replaced */
	{
		char path[600];

		snprintf(path, sizeof(path), "%s/ca.key", dir);
		unlink(path);
		r = rag_pki_generate(dir, "gw.example.org", &gen, err, sizeof(err));
		CHECK_INT(r, -EINVAL);
		CHECK(strstr(err, "move them away") != NULL);
		CHECK(!gen.ca_created);
	}
	X509_free(ca);
	X509_free(srv);
	EVP_PKEY_free(key);
}

/* IP ids: an iPAddress SAN AND a DNS SAN with the same text. */
static void test_ip(const char *base, const char *id, const uint8_t *bin, int binlen)
{
	char dir[512], err[256];
	struct rag_pki_gen gen;
	X509 *ca, *srv;
	int r;

	snprintf(dir, sizeof(dir), "%s/ip%d", base, binlen);
	r = rag_pki_generate(dir, id, &gen, err, sizeof(err));
	CHECK_INT(r, 0);
	if (r)
		fprintf(stderr, "  %s\n", err);
	ca = load_cert(dir, "ca.crt");
	srv = load_cert(dir, "server.crt");
	CHECK(ca && srv);
	if (!ca || !srv)
		return;
	CHECK_INT(san_total(srv), 2);
	CHECK_INT(san_count(srv, GEN_IPADD, bin, binlen), 1);
	CHECK_INT(san_count(srv, GEN_DNS, id, (int)strlen(id)), 1);
	CHECK(rag_cert_matches_id(srv, id));
	CHECK_INT(verify_chain(ca, srv, NULL, id), 1);
	X509_free(ca);
	X509_free(srv);
}

/* ragd's own loader accepts what was generated (the -n path). */
static void test_load_generated(const char *base)
{
	struct rag_config *c = calloc(1, sizeof(*c));
	struct rag_conf_errors *e = calloc(1, sizeof(*e));
	struct rag_pki pki;
	char text[1024], err[256];
	struct rag_pki_gen gen;

	snprintf(text, sizeof(text), "[gateway]\nid = vpn.example.org\nstate-dir = %s/load\n", base);
	rag_config_init(c);
	CHECK_INT(rag_config_parse(c, (const uint8_t *)text, strlen(text), "t.conf", e), 0);
	CHECK(c->generate_pki);
	CHECK_INT(rag_pki_generate(c->state_dir, c->id, &gen, err, sizeof(err)), 0);
	CHECK_INT(rag_pki_load(&pki, c, e), 0);
	for (size_t i = 0; i < e->n; i++)
		fprintf(stderr, "  %s\n", e->msg[i]);
	CHECK(pki.cas != NULL && sk_X509_num(pki.cas) == 1);
	CHECK(pki.ca_fpr[0] != '\0' && pki.cert_fpr[0] != '\0');
	rag_pki_free(&pki);
	/* a DN id cannot be generated */
	CHECK_INT(rag_pki_generate(c->state_dir, "CN=vpn", &gen, err, sizeof(err)), -EINVAL);
	free(c);
	free(e);
}

/* rag_write_file_atomic: mode, content, replacement. */
static void test_atomic(const char *base)
{
	char path[512], buf[16];

	snprintf(path, sizeof(path), "%s/atomic", base);
	CHECK_INT(rag_write_file_atomic(path, "one", 3, 0600), 0);
	CHECK_INT(rag_write_file_atomic(path, "second", 6, 0640), 0);
	CHECK_INT(file_mode(base, "atomic"), 0640);
	CHECK_INT(slurp(base, "atomic", buf, sizeof(buf)), 6);
	CHECK(!memcmp(buf, "second", 6));
	CHECK_INT(leftovers(base), 0);
	CHECK(rag_write_file_atomic("/nonexistent-dir/x", "1", 1, 0600) < 0);
}

int main(void)
{
	char base[] = "/tmp/rag-test-certgen-XXXXXX";
	static const uint8_t v4[4] = { 192, 0, 2, 10 };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x10 };

	if (ike_init() < 0 || !mkdtemp(base))
		return 1;
	test_fqdn(base);
	test_ip(base, "192.0.2.10", v4, 4);
	test_ip(base, "2001:db8::10", v6, 16);
	test_load_generated(base);
	test_atomic(base);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", base);
	}
	return check_done("test_certgen");
}
