/*
 * conf.c — ragd.conf parser (see conf.h).  Two layers: the line scanner
 * (sections, key = value, comments, limits) dispatches through a table of
 * keys to one small value handler per key; the handlers use the checked
 * value parsers at the bottom of this file.  Nothing here logs: errors are
 * collected in struct rag_conf_errors and printed by the caller.
 */
#include "conf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ike_proposal.h"
#include "log.h"

/* ---- defaults -------------------------------------------------------------- */

#define DEFAULT_IKE "aes256gcm16-prfsha384-x25519, aes256-sha256-modp2048, aes128-sha256-ecp256"
#define DEFAULT_ESP "aes256gcm16, aes128gcm16, aes256-sha256, aes128-sha256"
/* What Windows' built-in client offers (INTERFACES.md: legacy = yes). */
#define LEGACY_IKE "aes256-sha1-modp1024, 3des-sha1-modp1024"
#define LEGACY_ESP "aes256-sha1"

#define MINUTE 60u
#define HOUR   (60u * MINUTE)
#define DAY    (24u * HOUR)

/* Fill c with the embedded defaults; proposals that fail to parse (only
 * possible while libike lacks an algorithm) are left empty and reported by
 * rag_config_parse()'s final checks. */
void rag_config_init(struct rag_config *c)
{
	char err[128];
	int n;

	memset(c, 0, sizeof(*c));
	c->listen[0].family = AF_INET;		/* 0.0.0.0 */
	c->listen[1].family = AF_INET6;		/* :: */
	c->n_listen = 2;
	snprintf(c->state_dir, sizeof(c->state_dir), "%s", RAG_DEFAULT_STATE_DIR);
	snprintf(c->control_socket, sizeof(c->control_socket), "%s", RAG_DEFAULT_CTL_SOCK);
	snprintf(c->timezone, sizeof(c->timezone), "UTC");
	n = ike_proposal_parse_list(DEFAULT_IKE, IKE_PROTO_IKE, c->ike,
				    RAG_CONF_MAX_PROPOSALS, err, sizeof(err));
	c->n_ike = n > 0 ? (size_t)n : 0;
	n = ike_proposal_parse_list(DEFAULT_ESP, IKE_PROTO_ESP, c->esp,
				    RAG_CONF_MAX_PROPOSALS, err, sizeof(err));
	c->n_esp = n > 0 ? (size_t)n : 0;
	c->pool4.family = AF_INET;		/* 10.8.0.0/16 */
	c->pool4.addr[0] = 10;
	c->pool4.addr[1] = 8;
	c->pool4.prefix = 16;
	c->split_tunnel = true;
	c->methods[0] = RAG_AUTH_EAP_MSCHAPV2;
	c->methods[1] = RAG_AUTH_EAP_TLS;
	c->methods[2] = RAG_AUTH_PUBKEY;
	c->methods[3] = RAG_AUTH_PSK;
	c->n_methods = 4;
	c->lockout_threshold = 5;
	c->lockout_time = 15 * MINUTE;
	c->dpd = 30;
	c->ike_lifetime = 24 * HOUR;
	c->child_lifetime = 8 * HOUR;
	c->half_open_limit = 1000;
	c->retention = 90 * DAY;
	c->export_window = 30 * DAY;
}

/* ---- error collection ------------------------------------------------------- */

/* Append one formatted message; past RAG_CONF_MAX_ERRORS only count it. */
void rag_conf_error(struct rag_conf_errors *errs, const char *fmt, ...)
{
	va_list ap;

	if (!errs)
		return;
	if (errs->n >= RAG_CONF_MAX_ERRORS) {
		errs->dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(errs->msg[errs->n], RAG_CONF_MAX_ERRLEN, fmt, ap);
	va_end(ap);
	errs->n++;
}

/* ---- small string helpers ---------------------------------------------------- */

/* Trim ASCII blanks on both ends in place; returns the new start. */
static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

/* Copy src into dst[dstlen]; returns -ENAMETOOLONG when it does not fit. */
static int copy_str(char *dst, size_t dstlen, const char *src)
{
	size_t n = strlen(src);

	if (n >= dstlen)
		return -ENAMETOOLONG;
	memcpy(dst, src, n + 1);
	return 0;
}

/* Printable ASCII only (no controls, no DEL, no bytes >= 0x80). */
static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/*
 * Split a comma-separated list in place: items[] get the trimmed items.
 * Returns the count, 0 for an empty value, -E2BIG above max items and
 * -EINVAL for an empty item ("a,,b", trailing comma).
 */
static int split_list(char *s, char **items, size_t max)
{
	size_t n = 0;

	if (*trim(s) == '\0')
		return 0;
	for (;;) {
		char *comma = strchr(s, ',');

		if (comma)
			*comma = '\0';
		if (n == max)
			return -E2BIG;
		items[n] = trim(s);
		if (items[n][0] == '\0')
			return -EINVAL;
		n++;
		if (!comma)
			break;
		s = comma + 1;
	}
	return (int)n;
}

/* Report split_list()'s failure in err. */
static int list_error(int r, size_t max, char *err, size_t errlen)
{
	if (r == -E2BIG)
		snprintf(err, errlen, "too many entries (limit %zu)", max);
	else
		snprintf(err, errlen, "empty list entry");
	return -EINVAL;
}

/* ---- value parsers ---------------------------------------------------------------- */

/* Decimal unsigned in [min, max]: digits only, overflow checked. */
int rag_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* Number with an optional s/m/h/d suffix, in seconds (overflow checked). */
int rag_parse_duration(const char *s, uint64_t *out)
{
	char num[24];
	size_t n = strlen(s);
	uint64_t mult = 1, v;
	int r;

	if (n == 0 || n >= sizeof(num))
		return n ? -ERANGE : -EINVAL;
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 's': mult = 1; num[--n] = '\0'; break;
	case 'm': mult = MINUTE; num[--n] = '\0'; break;
	case 'h': mult = HOUR; num[--n] = '\0'; break;
	case 'd': mult = DAY; num[--n] = '\0'; break;
	default: break;
	}
	r = rag_parse_uint(num, 0, UINT64_MAX, &v);
	if (r < 0)
		return r;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

/* One numeric IPv4 or IPv6 address (inet_pton: no hostnames, no zones). */
int rag_parse_addr(const char *s, struct rag_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->addr) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->addr) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

/* address/prefix with host bits zero; -EINVAL on syntax, -ERANGE on prefix,
 * -EADDRNOTAVAIL when host bits are set. */
int rag_parse_cidr(const char *s, struct rag_cidr *c)
{
	char tmp[64];
	const char *slash = strchr(s, '/');
	struct rag_addr a;
	uint64_t plen;
	size_t alen, bits;

	if (!slash || (size_t)(slash - s) >= sizeof(tmp))
		return -EINVAL;
	alen = (size_t)(slash - s);
	memcpy(tmp, s, alen);
	tmp[alen] = '\0';
	if (rag_parse_addr(tmp, &a) < 0)
		return -EINVAL;
	bits = a.family == AF_INET ? 32 : 128;
	if (rag_parse_uint(slash + 1, 0, bits, &plen) < 0)
		return slash[1] >= '0' && slash[1] <= '9' ? -ERANGE : -EINVAL;
	for (size_t i = plen; i < bits; i++)
		if (a.addr[i / 8] & (0x80 >> (i % 8)))
			return -EADDRNOTAVAIL;
	memset(c, 0, sizeof(*c));
	c->family = a.family;
	memcpy(c->addr, a.addr, sizeof(c->addr));
	c->prefix = (uint8_t)plen;
	return 0;
}

/* yes/no, true/false, on/off (case-insensitive). */
int rag_parse_bool(const char *s, bool *out)
{
	if (!strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcasecmp(s, "on")) {
		*out = true;
		return 0;
	}
	if (!strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcasecmp(s, "off")) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

/*
 * A zone name is a relative path of components [A-Za-z0-9_+-] (first char
 * not '.' or '-'), which must name a TZif file under RAG_ZONEINFO_DIR.
 * Returns 0, -EINVAL for a bad name, -ENOENT when no such zone exists.
 */
int rag_check_timezone(const char *tz)
{
	char path[sizeof(RAG_ZONEINFO_DIR) + RAG_CONF_TZ_MAX + 2];
	size_t n = strlen(tz);
	bool start = true;
	char magic[4];
	struct stat st;
	ssize_t r;
	int fd;

	if (n == 0 || n > RAG_CONF_TZ_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char ch = tz[i];

		if (ch == '/') {
			if (start)
				return -EINVAL;	/* leading '/' or "//" */
			start = true;
			continue;
		}
		if (start && (ch == '.' || ch == '-'))
			return -EINVAL;	/* "..", hidden files, options */
		if (!isalnum((unsigned char)ch) && ch != '_' && ch != '+' &&
		    ch != '-' && ch != '.')
			return -EINVAL;
		start = false;
	}
	if (start)
		return -EINVAL;		/* trailing '/' */
	snprintf(path, sizeof(path), "%s/%s", RAG_ZONEINFO_DIR, tz);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -ENOENT;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -ENOENT;
	}
	r = read(fd, magic, sizeof(magic));
	close(fd);
	if (r != (ssize_t)sizeof(magic) || memcmp(magic, "TZif", 4) != 0)
		return -ENOENT;
	return 0;
}

/* DNS name: labels of [A-Za-z0-9-] (1..63, no leading/trailing '-'),
 * total <= 253, no trailing dot. */
static bool valid_domain(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n == 0 || n > RAG_CONF_DOMAIN_MAX)
		return false;
	for (size_t i = 0; i <= n; i++) {
		char ch = s[i];

		if (ch == '.' || ch == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)ch) && ch != '-')
			return false;
		if (label == 0 && ch == '-')
			return false;
		label++;
	}
	return true;
}

/* FQDN, IPv4, IPv6 or DN (contains '='), see conf.h. */
int rag_id_classify(const char *id, enum rag_id_kind *kind)
{
	struct rag_addr a;

	if (!id[0] || strlen(id) > RAG_CONF_ID_MAX || !printable(id))
		return -EINVAL;
	if (rag_parse_addr(id, &a) == 0) {
		*kind = a.family == AF_INET ? RAG_ID_IPV4 : RAG_ID_IPV6;
		return 0;
	}
	if (strchr(id, '=')) {
		*kind = RAG_ID_DN;
		return 0;
	}
	if (valid_domain(id)) {
		*kind = RAG_ID_FQDN;
		return 0;
	}
	return -EINVAL;
}

/* Format an address; "?" for an unset one. */
const char *rag_addr_str(const struct rag_addr *a, char *out, size_t outlen)
{
	if (!inet_ntop(a->family, a->addr, out, (socklen_t)outlen))
		snprintf(out, outlen, "?");
	return out;
}

/* Format a CIDR; "" for an unset one. */
const char *rag_cidr_str(const struct rag_cidr *c, char *out, size_t outlen)
{
	char a[INET6_ADDRSTRLEN];

	if (!c->family || !inet_ntop(c->family, c->addr, a, sizeof(a)))
		snprintf(out, outlen, "%s", "");
	else
		snprintf(out, outlen, "%s/%u", a, c->prefix);
	return out;
}

static const struct {
	const char *name;
	unsigned int bit;
} method_names[] = {
	{ "eap-mschapv2", RAG_AUTH_EAP_MSCHAPV2 },
	{ "eap-tls", RAG_AUTH_EAP_TLS },
	{ "pubkey", RAG_AUTH_PUBKEY },
	{ "psk", RAG_AUTH_PSK },
};

/* Name of one RAG_AUTH_* bit, NULL when unknown. */
const char *rag_auth_method_name(unsigned int bit)
{
	for (size_t i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++)
		if (method_names[i].bit == bit)
			return method_names[i].name;
	return NULL;
}

/* ---- per-key handlers: return 0 or -EINVAL with a reason in err ------------------ */

typedef int (*key_fn)(struct rag_config *c, char *v, char *err, size_t errlen);

/* A duration in [min, max] seconds into *out. */
static int set_duration(uint32_t *out, const char *v, uint64_t min, uint64_t max,
			char *err, size_t errlen)
{
	uint64_t d;
	int r = rag_parse_duration(v, &d);

	if (r == -EINVAL) {
		snprintf(err, errlen, "invalid duration (a number with s, m, h or d)");
		return -EINVAL;
	}
	if (r < 0 || d < min || d > max) {
		snprintf(err, errlen, "duration out of range (%llus..%llus)",
			 (unsigned long long)min, (unsigned long long)max);
		return -EINVAL;
	}
	*out = (uint32_t)d;
	return 0;
}

/* A decimal integer in [min, max] into *out. */
static int set_uint(uint32_t *out, const char *v, uint64_t min, uint64_t max,
		    char *err, size_t errlen)
{
	uint64_t n;
	int r = rag_parse_uint(v, min, max, &n);

	if (r == -EINVAL) {
		snprintf(err, errlen, "not a decimal number");
		return -EINVAL;
	}
	if (r < 0) {
		snprintf(err, errlen, "out of range (%llu..%llu)",
			 (unsigned long long)min, (unsigned long long)max);
		return -EINVAL;
	}
	*out = (uint32_t)n;
	return 0;
}

/* An absolute path of printable characters that fits dst[dstlen]. */
static int set_path(char *dst, size_t dstlen, const char *v, char *err, size_t errlen)
{
	if (v[0] != '/') {
		snprintf(err, errlen, "must be an absolute path");
		return -EINVAL;
	}
	if (!printable(v)) {
		snprintf(err, errlen, "contains control or non-ASCII characters");
		return -EINVAL;
	}
	if (copy_str(dst, dstlen, v) < 0) {
		snprintf(err, errlen, "path too long (limit %zu)", dstlen - 1);
		return -EINVAL;
	}
	return 0;
}

/* A list of 0..max addresses, no duplicates. */
static int set_addr_list(struct rag_addr *out, size_t *n_out, size_t max, char *v,
			 char *err, size_t errlen)
{
	char *items[RAG_CONF_MAX_LISTEN + 1];
	char q[RAG_QUOTE_MAX];
	int n = split_list(v, items, max);

	if (n < 0)
		return list_error(n, max, err, errlen);
	for (int i = 0; i < n; i++) {
		if (rag_parse_addr(items[i], &out[i]) < 0) {
			snprintf(err, errlen, "%s is not an IP address",
				 rag_quote_str(q, sizeof(q), items[i]));
			return -EINVAL;
		}
		for (int j = 0; j < i; j++)
			if (out[j].family == out[i].family &&
			    !memcmp(out[j].addr, out[i].addr, sizeof(out[i].addr))) {
				snprintf(err, errlen, "%s is listed twice",
					 rag_quote_str(q, sizeof(q), items[i]));
				return -EINVAL;
			}
	}
	*n_out = (size_t)n;
	return 0;
}

/* [gateway] listen: 1..16 distinct IP addresses. */
static int k_listen(struct rag_config *c, char *v, char *err, size_t errlen)
{
	struct rag_addr tmp[RAG_CONF_MAX_LISTEN];
	size_t n = 0;

	if (set_addr_list(tmp, &n, RAG_CONF_MAX_LISTEN, v, err, errlen) < 0)
		return -EINVAL;
	if (n == 0) {
		snprintf(err, errlen, "needs at least one address");
		return -EINVAL;
	}
	memcpy(c->listen, tmp, n * sizeof(tmp[0]));
	c->n_listen = n;
	return 0;
}

/* [gateway] id: FQDN, IP address or DN. */
static int k_id(struct rag_config *c, char *v, char *err, size_t errlen)
{
	enum rag_id_kind kind;

	if (rag_id_classify(v, &kind) < 0) {
		snprintf(err, errlen, "not an FQDN, IP address or DN");
		return -EINVAL;
	}
	copy_str(c->id, sizeof(c->id), v);	/* fits: classify checked the length */
	c->id_kind = kind;
	return 0;
}

/* [gateway] certificate: absolute path. */
static int k_certificate(struct rag_config *c, char *v, char *err, size_t errlen)
{
	return set_path(c->certificate, sizeof(c->certificate), v, err, errlen);
}

/* [gateway] private-key: absolute path (permissions are checked by pki.c). */
static int k_private_key(struct rag_config *c, char *v, char *err, size_t errlen)
{
	return set_path(c->private_key, sizeof(c->private_key), v, err, errlen);
}

/* [gateway] ca: absolute path. */
static int k_ca(struct rag_config *c, char *v, char *err, size_t errlen)
{
	return set_path(c->ca, sizeof(c->ca), v, err, errlen);
}

/* [gateway] state-dir: absolute path. */
static int k_state_dir(struct rag_config *c, char *v, char *err, size_t errlen)
{
	return set_path(c->state_dir, sizeof(c->state_dir), v, err, errlen);
}

/* [gateway] control-socket: absolute path that fits sun_path. */
static int k_control_socket(struct rag_config *c, char *v, char *err, size_t errlen)
{
	return set_path(c->control_socket, sizeof(c->control_socket), v, err, errlen);
}

/* [gateway] timezone: a TZif zone under RAG_ZONEINFO_DIR. */
static int k_timezone(struct rag_config *c, char *v, char *err, size_t errlen)
{
	int r = rag_check_timezone(v);

	if (r == -EINVAL) {
		snprintf(err, errlen, "not a time zone name (e.g. UTC, Europe/Paris)");
		return -EINVAL;
	}
	if (r < 0) {
		snprintf(err, errlen, "unknown time zone (not in %s)", RAG_ZONEINFO_DIR);
		return -EINVAL;
	}
	copy_str(c->timezone, sizeof(c->timezone), v);	/* length checked above */
	return 0;
}

/* A proposal list for protocol into out[]/n_out (libike's parser). */
static int set_proposals(struct ike_proposal *out, size_t *n_out, uint8_t protocol,
			 const char *v, char *err, size_t errlen)
{
	char perr[160];
	int n;

	if (!v[0]) {
		snprintf(err, errlen, "needs at least one proposal");
		return -EINVAL;
	}
	perr[0] = '\0';
	n = ike_proposal_parse_list(v, protocol, out, RAG_CONF_MAX_PROPOSALS,
				    perr, sizeof(perr));
	if (n <= 0) {
		perr[sizeof(perr) - 1] = '\0';
		snprintf(err, errlen, "%s", n == -E2BIG ? "too many proposals" :
			 perr[0] ? perr : "invalid proposal");
		return -EINVAL;
	}
	*n_out = (size_t)n;
	return 0;
}

/* [proposals] ike: proposal list for IKE SAs. */
static int k_ike(struct rag_config *c, char *v, char *err, size_t errlen)
{
	return set_proposals(c->ike, &c->n_ike, IKE_PROTO_IKE, v, err, errlen);
}

/* [proposals] esp: proposal list for CHILD SAs. */
static int k_esp(struct rag_config *c, char *v, char *err, size_t errlen)
{
	return set_proposals(c->esp, &c->n_esp, IKE_PROTO_ESP, v, err, errlen);
}

/* yes/no into *out, or -EINVAL with a reason in err. */
static int set_bool(bool *out, const char *v, char *err, size_t errlen)
{
	if (rag_parse_bool(v, out) < 0) {
		snprintf(err, errlen, "expected yes or no");
		return -EINVAL;
	}
	return 0;
}

/* [proposals] legacy: yes/no. */
static int k_legacy(struct rag_config *c, char *v, char *err, size_t errlen)
{
	return set_bool(&c->legacy, v, err, errlen);
}

/* A pool CIDR of family; empty = no pool of that family. */
static int set_pool(struct rag_cidr *out, int family, const char *v, char *err, size_t errlen)
{
	struct rag_cidr cidr;
	int r;

	if (!v[0]) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	r = rag_parse_cidr(v, &cidr);
	if (r == -EADDRNOTAVAIL) {
		snprintf(err, errlen, "host bits set (give the network address)");
		return -EINVAL;
	}
	if (r < 0 || cidr.family != family) {
		snprintf(err, errlen, "not an %s CIDR (address/prefix)",
			 family == AF_INET ? "IPv4" : "IPv6");
		return -EINVAL;
	}
	/* leave room for the gateway's own address and a few clients */
	if ((family == AF_INET && (cidr.prefix < 8 || cidr.prefix > 30)) ||
	    (family == AF_INET6 && (cidr.prefix < 48 || cidr.prefix > 126))) {
		snprintf(err, errlen, "prefix length out of range (%s)",
			 family == AF_INET ? "/8../30" : "/48../126");
		return -EINVAL;
	}
	*out = cidr;
	return 0;
}

/* [pool] ipv4: IPv4 CIDR or empty. */
static int k_ipv4(struct rag_config *c, char *v, char *err, size_t errlen)
{
	return set_pool(&c->pool4, AF_INET, v, err, errlen);
}

/* [pool] ipv6: IPv6 CIDR or empty. */
static int k_ipv6(struct rag_config *c, char *v, char *err, size_t errlen)
{
	return set_pool(&c->pool6, AF_INET6, v, err, errlen);
}

/* [pool] dns: 0..8 distinct addresses. */
static int k_dns(struct rag_config *c, char *v, char *err, size_t errlen)
{
	struct rag_addr tmp[RAG_CONF_MAX_DNS];
	size_t n = 0;

	if (set_addr_list(tmp, &n, RAG_CONF_MAX_DNS, v, err, errlen) < 0)
		return -EINVAL;
	memcpy(c->dns, tmp, n * sizeof(tmp[0]));
	c->n_dns = n;
	return 0;
}

/* [pool] dns-domain: a domain name or empty. */
static int k_dns_domain(struct rag_config *c, char *v, char *err, size_t errlen)
{
	if (v[0] && !valid_domain(v)) {
		snprintf(err, errlen, "not a domain name");
		return -EINVAL;
	}
	copy_str(c->dns_domain, sizeof(c->dns_domain), v);	/* <= 253 checked */
	return 0;
}

/* [pool] split-tunnel: yes/no. */
static int k_split_tunnel(struct rag_config *c, char *v, char *err, size_t errlen)
{
	return set_bool(&c->split_tunnel, v, err, errlen);
}

/* [auth] methods: 1..4 distinct method names, in order. */
static int k_methods(struct rag_config *c, char *v, char *err, size_t errlen)
{
	char *items[RAG_AUTH_N_METHODS];
	char q[RAG_QUOTE_MAX];
	uint8_t m[RAG_AUTH_N_METHODS];
	unsigned int seen = 0;
	int n = split_list(v, items, RAG_AUTH_N_METHODS);

	if (n < 0)
		return list_error(n, RAG_AUTH_N_METHODS, err, errlen);
	if (n == 0) {
		snprintf(err, errlen, "needs at least one method");
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		unsigned int bit = 0;

		for (size_t j = 0; j < sizeof(method_names) / sizeof(method_names[0]); j++)
			if (!strcmp(items[i], method_names[j].name))
				bit = method_names[j].bit;
		if (!bit) {
			snprintf(err, errlen, "unknown method %s (eap-mschapv2, eap-tls, pubkey, psk)",
				 rag_quote_str(q, sizeof(q), items[i]));
			return -EINVAL;
		}
		if (seen & bit) {
			snprintf(err, errlen, "method %s listed twice", items[i]);
			return -EINVAL;
		}
		seen |= bit;
		m[i] = (uint8_t)bit;
	}
	memcpy(c->methods, m, (size_t)n);
	c->n_methods = (size_t)n;
	return 0;
}

/* [auth] lockout-threshold: 0..1000 (0 = never lock). */
static int k_lockout_threshold(struct rag_config *c, char *v, char *err, size_t errlen)
{
	return set_uint(&c->lockout_threshold, v, 0, 1000, err, errlen);
}

/* [auth] lockout-time: 1s..30d. */
static int k_lockout_time(struct rag_config *c, char *v, char *err, size_t errlen)
{
	return set_duration(&c->lockout_time, v, 1, 30 * DAY, err, errlen);
}

/* [timers] dpd: 0 (off)..1d. */
static int k_dpd(struct rag_config *c, char *v, char *err, size_t errlen)
{
	return set_duration(&c->dpd, v, 0, DAY, err, errlen);
}

/* [timers] ike-lifetime: 1m..30d. */
static int k_ike_lifetime(struct rag_config *c, char *v, char *err, size_t errlen)
{
	return set_duration(&c->ike_lifetime, v, MINUTE, 30 * DAY, err, errlen);
}

/* [timers] child-lifetime: 1m..30d. */
static int k_child_lifetime(struct rag_config *c, char *v, char *err, size_t errlen)
{
	return set_duration(&c->child_lifetime, v, MINUTE, 30 * DAY, err, errlen);
}

/* [timers] half-open-limit: 1..1000000. */
static int k_half_open_limit(struct rag_config *c, char *v, char *err, size_t errlen)
{
	return set_uint(&c->half_open_limit, v, 1, 1000000, err, errlen);
}

/* [logs] retention: 1d..3650d. */
static int k_retention(struct rag_config *c, char *v, char *err, size_t errlen)
{
	return set_duration(&c->retention, v, DAY, 3650 * DAY, err, errlen);
}

/* [logs] export-window: 1d..3650d (<= retention, checked in finalize). */
static int k_export_window(struct rag_config *c, char *v, char *err, size_t errlen)
{
	return set_duration(&c->export_window, v, DAY, 3650 * DAY, err, errlen);
}

/* ---- the key table -------------------------------------------------------------------- */

enum section { S_NONE = -1, S_UNKNOWN = -2, S_GATEWAY = 0, S_PROPOSALS, S_POOL,
	       S_AUTH, S_TIMERS, S_LOGS, S_COUNT };

/* section names, indexed by enum section */
static const char *const section_names[S_COUNT] = {
	"gateway", "proposals", "pool", "auth", "timers", "logs",
};

/* Index into keys[]; also the bit in rag_config.set_mask. */
enum key_idx {
	K_LISTEN, K_ID, K_CERTIFICATE, K_PRIVATE_KEY, K_CA, K_STATE_DIR,
	K_CONTROL_SOCKET, K_TIMEZONE, K_IKE, K_ESP, K_LEGACY, K_IPV4, K_IPV6,
	K_DNS, K_DNS_DOMAIN, K_SPLIT_TUNNEL, K_METHODS, K_LOCKOUT_THRESHOLD,
	K_LOCKOUT_TIME, K_DPD, K_IKE_LIFETIME, K_CHILD_LIFETIME,
	K_HALF_OPEN_LIMIT, K_RETENTION, K_EXPORT_WINDOW, K_COUNT
};
_Static_assert(K_COUNT <= RAG_CONF_MAX_KEYS, "raise RAG_CONF_MAX_KEYS");

static const struct conf_key {
	enum section section;
	const char *name;
	key_fn fn;
} keys[K_COUNT] = {
	[K_LISTEN] = { S_GATEWAY, "listen", k_listen },
	[K_ID] = { S_GATEWAY, "id", k_id },
	[K_CERTIFICATE] = { S_GATEWAY, "certificate", k_certificate },
	[K_PRIVATE_KEY] = { S_GATEWAY, "private-key", k_private_key },
	[K_CA] = { S_GATEWAY, "ca", k_ca },
	[K_STATE_DIR] = { S_GATEWAY, "state-dir", k_state_dir },
	[K_CONTROL_SOCKET] = { S_GATEWAY, "control-socket", k_control_socket },
	[K_TIMEZONE] = { S_GATEWAY, "timezone", k_timezone },
	[K_IKE] = { S_PROPOSALS, "ike", k_ike },
	[K_ESP] = { S_PROPOSALS, "esp", k_esp },
	[K_LEGACY] = { S_PROPOSALS, "legacy", k_legacy },
	[K_IPV4] = { S_POOL, "ipv4", k_ipv4 },
	[K_IPV6] = { S_POOL, "ipv6", k_ipv6 },
	[K_DNS] = { S_POOL, "dns", k_dns },
	[K_DNS_DOMAIN] = { S_POOL, "dns-domain", k_dns_domain },
	[K_SPLIT_TUNNEL] = { S_POOL, "split-tunnel", k_split_tunnel },
	[K_METHODS] = { S_AUTH, "methods", k_methods },
	[K_LOCKOUT_THRESHOLD] = { S_AUTH, "lockout-threshold", k_lockout_threshold },
	[K_LOCKOUT_TIME] = { S_AUTH, "lockout-time", k_lockout_time },
	[K_DPD] = { S_TIMERS, "dpd", k_dpd },
	[K_IKE_LIFETIME] = { S_TIMERS, "ike-lifetime", k_ike_lifetime },
	[K_CHILD_LIFETIME] = { S_TIMERS, "child-lifetime", k_child_lifetime },
	[K_HALF_OPEN_LIMIT] = { S_TIMERS, "half-open-limit", k_half_open_limit },
	[K_RETENTION] = { S_LOGS, "retention", k_retention },
	[K_EXPORT_WINDOW] = { S_LOGS, "export-window", k_export_window },
};

/* ---- the line scanner ------------------------------------------------------------------- */

/* Append the legacy proposals (legacy = yes) to out[]; -EINVAL on failure. */
static int add_legacy(struct ike_proposal *out, size_t *n, uint8_t protocol,
		      const char *list, char *err, size_t errlen)
{
	struct ike_proposal tmp[4];
	int k = ike_proposal_parse_list(list, protocol, tmp, 4, err, errlen);

	if (k <= 0)
		return -EINVAL;
	for (int i = 0; i < k; i++) {
		if (*n >= RAG_CONF_MAX_PROPOSALS) {
			snprintf(err, errlen, "too many proposals with legacy ones added");
			return -EINVAL;
		}
		out[*n] = tmp[i];
		out[*n].num = (uint8_t)(*n + 1);
		(*n)++;
	}
	return 0;
}

/* Set dst to state_dir/name; -ENAMETOOLONG if it does not fit. */
static int state_path(char *dst, size_t dstlen, const char *dir, const char *name)
{
	int n = snprintf(dst, dstlen, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= dstlen ? -ENAMETOOLONG : 0;
}

/* An error at fname:line, or at fname alone when line is 0 (a default). */
static void err_at(struct rag_conf_errors *errs, const char *fname, unsigned int line,
		   const char *msg)
{
	if (line)
		rag_conf_error(errs, "%s:%u: %s", fname, line, msg);
	else
		rag_conf_error(errs, "%s: %s", fname, msg);
}

/* Checks that need several keys, and derived values; lines[] holds where each
 * key was set (0 = default).  Presence, not validity, decides the pairing
 * checks so a bad value is not reported twice. */
static void finalize(struct rag_config *c, const char *fname, const unsigned int *lines,
		     struct rag_conf_errors *errs)
{
	bool has_cert = lines[K_CERTIFICATE] != 0;
	bool has_key = lines[K_PRIVATE_KEY] != 0;
	char err[200];

	if (has_cert != has_key)
		err_at(errs, fname, lines[has_cert ? K_CERTIFICATE : K_PRIVATE_KEY],
		       has_cert ? "[gateway] certificate is set without private-key" :
				  "[gateway] private-key is set without certificate");
	c->generate_pki = !has_cert && !has_key;
	if (c->generate_pki) {
		if (state_path(c->certificate, sizeof(c->certificate), c->state_dir, "server.crt") < 0 ||
		    state_path(c->private_key, sizeof(c->private_key), c->state_dir, "server.key") < 0 ||
		    (!c->ca[0] && state_path(c->ca, sizeof(c->ca), c->state_dir, "ca.crt") < 0))
			err_at(errs, fname, lines[K_STATE_DIR], "[gateway] state-dir: path too long");
		if (c->id[0] && c->id_kind == RAG_ID_DN)
			err_at(errs, fname, lines[K_ID], "[gateway] id: a DN identity needs a "
			       "configured certificate and private-key");
	} else if (has_cert && has_key && !lines[K_CA]) {
		for (size_t i = 0; i < c->n_methods; i++)
			if (c->methods[i] == RAG_AUTH_EAP_TLS || c->methods[i] == RAG_AUTH_PUBKEY) {
				err_at(errs, fname, lines[K_METHODS] ? lines[K_METHODS] :
				       lines[K_CERTIFICATE], "[gateway] ca is required for "
				       "methods eap-tls and pubkey");
				break;
			}
	}
	if (!c->pool4.family && !c->pool6.family)
		err_at(errs, fname, lines[K_IPV4] ? lines[K_IPV4] : lines[K_IPV6],
		       "[pool] no address pool: set ipv4 or ipv6");
	if (c->export_window > c->retention)
		err_at(errs, fname, lines[K_EXPORT_WINDOW] ? lines[K_EXPORT_WINDOW] :
		       lines[K_RETENTION], "[logs] export-window is longer than retention");
	if (c->n_ike == 0 && !lines[K_IKE])
		err_at(errs, fname, 0, "[proposals] the default ike proposals do not parse");
	if (c->n_esp == 0 && !lines[K_ESP])
		err_at(errs, fname, 0, "[proposals] the default esp proposals do not parse");
	if (c->legacy) {
		char msg[260];

		err[0] = '\0';
		if (add_legacy(c->ike, &c->n_ike, IKE_PROTO_IKE, LEGACY_IKE, err, sizeof(err)) < 0 ||
		    add_legacy(c->esp, &c->n_esp, IKE_PROTO_ESP, LEGACY_ESP, err, sizeof(err)) < 0) {
			err[sizeof(err) - 1] = '\0';
			snprintf(msg, sizeof(msg), "[proposals] legacy: %s", err);
			err_at(errs, fname, lines[K_LEGACY], msg);
		}
	}
}

/* Handle one "key = value" line (already stripped of comments). */
static void parse_assignment(struct rag_config *c, enum section sec, char *line,
			     const char *fname, unsigned int lineno, unsigned int *lines,
			     struct rag_conf_errors *errs)
{
	char *eq = strchr(line, '=');
	char qk[RAG_QUOTE_MAX], qv[RAG_QUOTE_MAX], err[200];
	char *key, *val;
	int k;

	if (!eq) {
		rag_conf_error(errs, "%s:%u: expected 'key = value' or '[section]', got %s",
			       fname, lineno, rag_quote_str(qv, sizeof(qv), line));
		return;
	}
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	rag_quote_str(qk, sizeof(qk), key);
	if (sec == S_NONE) {
		rag_conf_error(errs, "%s:%u: key %s outside of a [section]", fname, lineno, qk);
		return;
	}
	if (sec == S_UNKNOWN)
		return;		/* the unknown section was reported once */
	for (k = 0; k < K_COUNT; k++)
		if (keys[k].section == sec && !strcmp(keys[k].name, key))
			break;
	if (k == K_COUNT) {
		rag_conf_error(errs, "%s:%u: unknown key %s in [%s]", fname, lineno, qk,
			       section_names[sec]);
		return;
	}
	if (lines[k]) {
		rag_conf_error(errs, "%s:%u: [%s] %s: duplicate key (first set on line %u)",
			       fname, lineno, section_names[sec], key, lines[k]);
		return;
	}
	lines[k] = lineno;
	err[0] = '\0';
	rag_quote_str(qv, sizeof(qv), val);	/* before handlers split val in place */
	if (keys[k].fn(c, val, err, sizeof(err)) < 0) {
		rag_conf_error(errs, "%s:%u: [%s] %s = %s: %s", fname, lineno,
			       section_names[sec], key, qv, err);
		return;
	}
	c->set_mask |= 1ull << k;
}

/* Scan the buffer line by line; see conf.h for the contract. */
int rag_config_parse(struct rag_config *c, const uint8_t *buf, size_t len,
		     const char *fname, struct rag_conf_errors *errs)
{
	unsigned int *lines = c->key_line;
	size_t before = errs->n + errs->dropped, off = 0;
	enum section sec = S_NONE;
	unsigned int lineno = 0;
	char line[RAG_CONF_MAX_LINE + 1];

	if (!fname)
		fname = "(config)";
	snprintf(c->source, sizeof(c->source), "%s", fname);
	if (len > RAG_CONF_MAX_FILE) {
		rag_conf_error(errs, "%s: file too large (%zu bytes, limit %d)", fname, len,
			       RAG_CONF_MAX_FILE);
		return -EINVAL;
	}
	while (off < len) {
		const uint8_t *nl = memchr(buf + off, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - (buf + off)) : len - off;
		size_t next = off + ll + (nl ? 1 : 0);
		char *s, *hash;

		lineno++;
		if (ll > RAG_CONF_MAX_LINE) {
			rag_conf_error(errs, "%s:%u: line too long (%zu bytes, limit %d)",
				       fname, lineno, ll, RAG_CONF_MAX_LINE);
			off = next;
			continue;
		}
		memcpy(line, buf + off, ll);
		line[ll] = '\0';
		off = next;
		if (memchr(line, '\0', ll)) {
			rag_conf_error(errs, "%s:%u: NUL byte in line", fname, lineno);
			continue;
		}
		if (ll && line[ll - 1] == '\r')
			line[ll - 1] = '\0';
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		s = trim(line);
		if (!*s)
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');
			char q[RAG_QUOTE_MAX];
			int i;

			if (!end || *trim(end + 1)) {
				rag_conf_error(errs, "%s:%u: malformed section header %s", fname,
					       lineno, rag_quote_str(q, sizeof(q), s));
				sec = S_UNKNOWN;
				continue;
			}
			*end = '\0';
			s = trim(s + 1);
			for (i = 0; i < S_COUNT; i++)
				if (!strcmp(section_names[i], s))
					break;
			if (i == S_COUNT) {
				rag_conf_error(errs, "%s:%u: unknown section %s", fname, lineno,
					       rag_quote_str(q, sizeof(q), s));
				sec = S_UNKNOWN;
			} else {
				sec = (enum section)i;
			}
			continue;
		}
		parse_assignment(c, sec, s, fname, lineno, lines, errs);
	}
	finalize(c, fname, lines, errs);
	return errs->n + errs->dropped > before ? -EINVAL : 0;
}

/* See conf.h. */
const char *rag_config_where(const struct rag_config *c, const char *key,
			     char *out, size_t outlen)
{
	const char *src = c->source[0] ? c->source : "(config)";

	for (int k = 0; k < K_COUNT; k++) {
		if (strcmp(keys[k].name, key))
			continue;
		if (c->key_line[k])
			snprintf(out, outlen, "%s:%u: [%s] %s", src, c->key_line[k],
				 section_names[keys[k].section], key);
		else
			snprintf(out, outlen, "%s: [%s] %s (default)", src,
				 section_names[keys[k].section], key);
		return out;
	}
	snprintf(out, outlen, "%s: %s", src, key);
	return out;
}

/* Read and parse a file; see conf.h. */
int rag_config_load(struct rag_config *c, const char *path, struct rag_conf_errors *errs)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		if (r != -ENOENT)
			rag_conf_error(errs, "%s: cannot open: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rag_conf_error(errs, "%s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if (st.st_size > RAG_CONF_MAX_FILE) {
		rag_conf_error(errs, "%s: file too large (%lld bytes, limit %d)", path,
			       (long long)st.st_size, RAG_CONF_MAX_FILE);
		close(fd);
		return -EFBIG;
	}
	buf = malloc(RAG_CONF_MAX_FILE + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	/* read up to one byte past the limit so growth after fstat is caught */
	while (got <= RAG_CONF_MAX_FILE) {
		ssize_t n = read(fd, buf + got, RAG_CONF_MAX_FILE + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			rag_conf_error(errs, "%s: read error: %s", path, strerror(-r));
			free(buf);
			close(fd);
			return r;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	r = rag_config_parse(c, buf, got, path, errs);
	free(buf);
	return r;
}

/* See conf.h. */
int rag_config_load_or_defaults(struct rag_config *c, const char *path, bool explicit_path,
				bool *from_file, struct rag_conf_errors *errs)
{
	int r = rag_config_load(c, path, errs);

	*from_file = r != -ENOENT;
	if (r != -ENOENT)
		return r;
	if (explicit_path) {
		rag_conf_error(errs, "%s: %s", path, strerror(ENOENT));
		return r;
	}
	/* no file at all: embedded defaults (finalized like a file) */
	rag_config_init(c);
	return rag_config_parse(c, (const uint8_t *)"", 0, "(embedded defaults)", errs);
}

/* Host FQDN via getaddrinfo(AI_CANONNAME), else the plain host name. */
int rag_default_id(char *out, size_t outlen)
{
	struct addrinfo hints, *res = NULL;
	char host[256];
	enum rag_id_kind kind;

	if (gethostname(host, sizeof(host) - 1) < 0)
		return -errno;
	host[sizeof(host) - 1] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_flags = AI_CANONNAME;
	if (getaddrinfo(host, NULL, &hints, &res) == 0 && res && res->ai_canonname &&
	    rag_id_classify(res->ai_canonname, &kind) == 0 && kind == RAG_ID_FQDN &&
	    strlen(res->ai_canonname) < outlen) {
		snprintf(out, outlen, "%s", res->ai_canonname);
		freeaddrinfo(res);
		return 0;
	}
	if (res)
		freeaddrinfo(res);
	if (rag_id_classify(host, &kind) < 0 || kind != RAG_ID_FQDN)
		return -EINVAL;
	if (strlen(host) >= outlen)
		return -ENAMETOOLONG;
	snprintf(out, outlen, "%s", host);
	return 0;
}

/* Fill an empty id with the host's name; see conf.h. */
int rag_config_resolve_id(struct rag_config *c)
{
	int r;

	if (c->id[0])
		return 0;
	r = rag_default_id(c->id, sizeof(c->id));
	if (r < 0) {
		c->id[0] = '\0';
		return r;
	}
	return rag_id_classify(c->id, &c->id_kind);
}
