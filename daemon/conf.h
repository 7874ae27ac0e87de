/*
 * conf.h — /etc/rag/ragd.conf (INTERFACES.md): an INI file with [section],
 * key = value and '#' comments.  The parser works on a buffer so the fuzzer
 * can drive it; rag_config_load() is the file wrapper.  Every error names
 * file:line and the key/value, and all of them are collected (up to
 * RAG_CONF_MAX_ERRORS) instead of stopping at the first.
 *
 * (Named conf.h, not config.h: the build directory's generated config.h,
 * which holds RAG_VERSION and HAVE_LIBSYSTEMD, must stay reachable.)
 */
#ifndef RAG_CONF_H
#define RAG_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike.h"

#define RAG_DEFAULT_CONFIG    "/etc/rag/ragd.conf"
#define RAG_DEFAULT_STATE_DIR "/var/lib/rag"
#define RAG_DEFAULT_CTL_SOCK  "/run/rag/ragd.sock"
#define RAG_ZONEINFO_DIR      "/usr/share/zoneinfo"

/* Limits on everything the file controls (STYLE.md rule 6). */
#define RAG_CONF_MAX_FILE      (256 * 1024)	/* bytes */
#define RAG_CONF_MAX_LINE      1024		/* bytes per line, without newline */
#define RAG_CONF_MAX_ERRORS    64		/* collected; more are counted */
#define RAG_CONF_MAX_ERRLEN    512
#define RAG_CONF_MAX_LISTEN    16
#define RAG_CONF_MAX_DNS       8
#define RAG_CONF_MAX_PROPOSALS 16		/* per [proposals] key, legacy included */
#define RAG_CONF_PATH_MAX      256
#define RAG_CONF_SOCK_MAX      107		/* sun_path minus the NUL */
#define RAG_CONF_ID_MAX        255
#define RAG_CONF_TZ_MAX        64
#define RAG_CONF_DOMAIN_MAX    253
#define RAG_CONF_MAX_KEYS      32		/* keys known to the parser */

struct rag_conf_errors {
	size_t n;		/* messages stored in msg[] */
	size_t dropped;		/* errors beyond RAG_CONF_MAX_ERRORS */
	char msg[RAG_CONF_MAX_ERRORS][RAG_CONF_MAX_ERRLEN];
};

struct rag_addr {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];	/* network order; IPv4 in the first 4 bytes */
};

struct rag_cidr {
	int family;		/* 0 = not configured */
	uint8_t addr[16];
	uint8_t prefix;
};

enum rag_id_kind { RAG_ID_FQDN = 1, RAG_ID_IPV4, RAG_ID_IPV6, RAG_ID_DN };

enum rag_auth_method_bit {
	RAG_AUTH_EAP_MSCHAPV2 = 1u << 0,
	RAG_AUTH_EAP_TLS = 1u << 1,
	RAG_AUTH_PUBKEY = 1u << 2,
	RAG_AUTH_PSK = 1u << 3,
};
#define RAG_AUTH_N_METHODS 4

struct rag_config {
	/* [gateway] */
	struct rag_addr listen[RAG_CONF_MAX_LISTEN];
	size_t n_listen;
	char id[RAG_CONF_ID_MAX + 1];		/* "" until resolved (host FQDN) */
	enum rag_id_kind id_kind;
	char certificate[RAG_CONF_PATH_MAX];
	char private_key[RAG_CONF_PATH_MAX];
	char ca[RAG_CONF_PATH_MAX];
	char state_dir[RAG_CONF_PATH_MAX];
	char control_socket[RAG_CONF_SOCK_MAX + 1];
	char timezone[RAG_CONF_TZ_MAX + 1];
	bool generate_pki;	/* no certificate/private-key given: use state-dir */

	/* [proposals]; legacy proposals are appended when legacy = yes */
	struct ike_proposal ike[RAG_CONF_MAX_PROPOSALS];
	size_t n_ike;
	struct ike_proposal esp[RAG_CONF_MAX_PROPOSALS];
	size_t n_esp;
	bool legacy;

	/* [pool] */
	struct rag_cidr pool4;
	struct rag_cidr pool6;
	struct rag_addr dns[RAG_CONF_MAX_DNS];
	size_t n_dns;
	char dns_domain[RAG_CONF_DOMAIN_MAX + 1];
	bool split_tunnel;

	/* [auth]; methods in configured order */
	uint8_t methods[RAG_AUTH_N_METHODS];	/* enum rag_auth_method_bit */
	size_t n_methods;
	uint32_t lockout_threshold;	/* 0 = never lock */
	uint32_t lockout_time;		/* seconds */

	/* [timers], seconds */
	uint32_t dpd;			/* 0 = no dead peer detection */
	uint32_t ike_lifetime;
	uint32_t child_lifetime;
	uint32_t half_open_limit;

	/* [logs], seconds */
	uint32_t retention;
	uint32_t export_window;

	/* bookkeeping: which keys the file set (defaults fill the rest), the
	 * line each was set on (0 = default) and the file name for messages */
	uint64_t set_mask;
	unsigned int key_line[RAG_CONF_MAX_KEYS];
	char source[RAG_CONF_PATH_MAX];
};

/* Fill c with the embedded defaults (id left empty: see rag_default_id()). */
void rag_config_init(struct rag_config *c);

/*
 * Parse a ragd.conf image of len bytes (not NUL-terminated) on top of c
 * (normally freshly rag_config_init()'ed), then derive what depends on several
 * keys (pki paths under state-dir, legacy proposals, cross-key checks).
 * fname is used in messages only.  Returns 0, or -EINVAL with every error in
 * errs (errs is not cleared first: callers may accumulate).
 */
int rag_config_parse(struct rag_config *c, const uint8_t *buf, size_t len,
		     const char *fname, struct rag_conf_errors *errs);

/*
 * Read path (at most RAG_CONF_MAX_FILE bytes, regular file) and parse it.
 * Returns 0, -ENOENT when the file does not exist (errs untouched) or
 * another negative errno with the reason in errs.
 */
int rag_config_load(struct rag_config *c, const char *path,
		    struct rag_conf_errors *errs);

/*
 * How ragd and rag-ctl find their configuration: load path, or, when it
 * does not exist and explicit_path is false, the embedded defaults
 * (finalized like a file).  *from_file tells which.  0 or a negative errno
 * with every problem in errs.
 */
int rag_config_load_or_defaults(struct rag_config *c, const char *path, bool explicit_path,
				bool *from_file, struct rag_conf_errors *errs);

/*
 * Apply defaults that are not known until run time: when id is empty, set it
 * to the host's FQDN (getaddrinfo AI_CANONNAME on gethostname(), falling back
 * to the host name).  Returns 0 or a negative errno.
 */
int rag_config_resolve_id(struct rag_config *c);

/*
 * Where key (e.g. "certificate") was set: writes "FILE:LINE: [section] key"
 * or, for a default, "FILE: [section] key (default)" into out.
 */
const char *rag_config_where(const struct rag_config *c, const char *key,
			     char *out, size_t outlen);

/* Determine the host's default identity into out (see above). */
int rag_default_id(char *out, size_t outlen);

/* Classify an id string: FQDN, IPv4, IPv6 or DN; returns 0 or -EINVAL. */
int rag_id_classify(const char *id, enum rag_id_kind *kind);

/* Append a printf-formatted message to errs (counting overflow). */
void rag_conf_error(struct rag_conf_errors *errs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- value parsers, exported for rag-ctl-style callers and the tests ---- */

/* "30s", "15m", "24h", "90d" or plain seconds; returns 0 or -EINVAL/-ERANGE. */
int rag_parse_duration(const char *s, uint64_t *out);
/* decimal unsigned in [min, max]; no sign, no spaces, no leading garbage */
int rag_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* one IPv4/IPv6 literal */
int rag_parse_addr(const char *s, struct rag_addr *a);
/* "10.8.0.0/16", "fd00::/64"; host bits must be zero */
int rag_parse_cidr(const char *s, struct rag_cidr *c);
/* yes/no (also true/false, on/off; case-insensitive) */
int rag_parse_bool(const char *s, bool *out);
/* Zone name under RAG_ZONEINFO_DIR ("UTC", "Asia/Tokyo"), no traversal. */
int rag_check_timezone(const char *tz);
/* Format an address / CIDR back to text. */
const char *rag_addr_str(const struct rag_addr *a, char *out, size_t outlen);
const char *rag_cidr_str(const struct rag_cidr *c, char *out, size_t outlen);
const char *rag_auth_method_name(unsigned int bit);

#endif
