/*
 * ctl_log.c — the "log" control command: ragd signs export-bundle manifests
 * so the log-signing private key never leaves ragd (logsign.h).
 *
 *   request:  log sign HEX        HEX = manifest.json, hex-encoded
 *   response: OK\n<128 hex digits: the Ed25519 signature>\n
 *
 * Who may ask: whoever can connect to the control socket (root and group
 * rag), the same people who can change users and rules.  ragd does not sign
 * arbitrary bytes: only a JSON object whose "format" is a log-bundle
 * manifest and whose "gateway_id" is this gateway's id, at most
 * LOGSIGN_MAX_MESSAGE bytes; every signature is logged at notice level with
 * the caller's uid and the manifest's SHA-256 and window, so a bundle whose
 * manifest was not made by `rag-ctl log export` can be traced to who had it
 * signed.  (ragd cannot re-check the file hashes inside: that would mean
 * re-reading the whole window on the event loop.)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "daemon.h"
#include "log.h"
#include "logsign.h"

/* Emit one formatted ERR line. */
static void refuse(ctl_emit_fn emit, void *arg, int code, const char *msg)
{
	char line[256];

	snprintf(line, sizeof(line), "ERR %d %s\n", code, msg);
	emit(arg, line);
}

/* Check that m[0..len) is a manifest for this gateway; 0 or -EINVAL with
 * why in err. */
static int manifest_ok(const struct ragd *d, const uint8_t *m, size_t len, char *from,
		       char *to, size_t datelen, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loadb((const char *)m, len, JSON_REJECT_DUPLICATES, &jerr);
	const char *fmt, *gw, *f, *t;
	int r = -EINVAL;

	if (!root || !json_is_object(root)) {
		snprintf(err, errlen, "not a JSON object");
		goto out;
	}
	fmt = json_string_value(json_object_get(root, "format"));
	gw = json_string_value(json_object_get(root, "gateway_id"));
	f = json_string_value(json_object_get(root, "from"));
	t = json_string_value(json_object_get(root, "to"));
	if (!fmt || strcmp(fmt, LOG_BUNDLE_FORMAT)) {
		snprintf(err, errlen, "not a log bundle manifest (format)");
		goto out;
	}
	if (!gw || strcmp(gw, d->cfg->id)) {
		snprintf(err, errlen, "gateway_id is not this gateway's id");
		goto out;
	}
	snprintf(from, datelen, "%s", f ? f : "?");
	snprintf(to, datelen, "%s", t ? t : "?");
	r = 0;
out:
	json_decref(root);
	return r;
}

/* See daemon.h. */
void ctl_log_cmd(struct ragd *d, struct ctl_client *c, char *args, ctl_emit_fn emit, void *arg)
{
	uint8_t *m = NULL, sig[LOGSIGN_SIG_LEN], h[crypto_hash_sha256_BYTES];
	char out[2 * LOGSIGN_SIG_LEN + 8], hhex[2 * sizeof(h) + 1], why[96];
	char from[16], to[16], qf[RAG_QUOTE_MAX], qt[RAG_QUOTE_MAX];
	size_t hexlen, mlen;

	if (strncmp(args, "sign ", 5)) {
		refuse(emit, arg, RAG_CTL_E_USAGE, "usage: log sign HEX");
		return;
	}
	args += 5;
	hexlen = strlen(args);
	if (!d->logsign) {
		refuse(emit, arg, RAG_CTL_E_REFUSED, "no log-signing key loaded");
		return;
	}
	if (hexlen == 0 || hexlen % 2 || hexlen / 2 > LOGSIGN_MAX_MESSAGE) {
		char msg[96];

		snprintf(msg, sizeof(msg), "log sign: the manifest must be 1..%d bytes, "
			 "hex-encoded", LOGSIGN_MAX_MESSAGE);
		refuse(emit, arg, RAG_CTL_E_USAGE, msg);
		return;
	}
	m = malloc(hexlen / 2);
	if (!m || sodium_hex2bin(m, hexlen / 2, args, hexlen, NULL, &mlen, NULL) != 0 ||
	    mlen != hexlen / 2) {
		free(m);
		refuse(emit, arg, RAG_CTL_E_USAGE, "log sign: bad hex");
		return;
	}
	if (manifest_ok(d, m, mlen, from, to, sizeof(from), why, sizeof(why)) < 0) {
		char msg[160];

		free(m);
		snprintf(msg, sizeof(msg), "log sign: refused: %s", why);
		log_warn("control: uid %u: %s", (unsigned int)c->uid, msg);
		refuse(emit, arg, RAG_CTL_E_REFUSED, msg);
		return;
	}
	crypto_hash_sha256(h, m, mlen);
	sodium_bin2hex(hhex, sizeof(hhex), h, sizeof(h));
	if (logsign_sign(d->logsign, m, mlen, sig) < 0) {
		free(m);
		refuse(emit, arg, RAG_CTL_E_REFUSED, "log sign: signing failed");
		return;
	}
	free(m);
	log_notice("control: uid %u pid %ld: signed a log bundle manifest, window %s..%s, "
		   "SHA-256 %s", (unsigned int)c->uid, (long)c->pid,
		   rag_quote_str(qf, sizeof(qf), from), rag_quote_str(qt, sizeof(qt), to), hhex);
	emit(arg, "OK\n");
	sodium_bin2hex(out, sizeof(out), sig, sizeof(sig));
	strcat(out, "\n");
	emit(arg, out);
}
