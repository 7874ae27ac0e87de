/*
 * ctl_audit.h — the audit trail of changes made through the control socket
 * (issue 5 point 6; INTERFACES.md: "Every change made through rag-ctl is
 * recorded with the calling Unix user"), written to logs.db's audit table
 * (schema/logs/004_audit.sql) through connlog_audit().
 *
 * ctl_server.c's dispatch calls ctl_audit_begin() before running a command
 * and ctl_audit_end() with its response.  A request is audited when its
 * command is marked as changing state in the command table and its first
 * argument is not a read-only verb ("list", "show"), and when the command is
 * unknown (the attempt is recorded as refused).  Every audited request gives
 * at least one row: the caller (SO_PEERCRED uid and pid, the uid's name),
 * the request line with secrets removed, the result — ok, refused (the
 * response was "ERR 1/2/4": nothing changed) or error (anything else, or a
 * handler's ctl_audit_error()) — and the response's message.
 *
 * Handlers say what they changed with ctl_audit_object(c, "user alice",
 * old, new): one row per object, old/new NULL when the object did not
 * exist before / does not exist after.  Values describe state, never
 * secrets: "password=yes", not the password or its hash.
 */
#ifndef RAG_CTL_AUDIT_H
#define RAG_CTL_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

struct ragd;
struct ctl_client;

#define CTL_AUDIT_MAX_OBJECTS 16	/* rows per request; more are counted */
#define CTL_AUDIT_CONFIG_DESC 1024	/* ragd.config_desc */

/* Whether a request is audited: changes = the table's flag for a known
 * command, known = the command exists, args = its arguments. */
bool ctl_audit_wanted(bool known, bool changes, const char *args);

/* Start auditing c's request "cmd args" (called before the handler, which
 * may cut args up).  Out of memory: the request is audited with a row that
 * has no objects. */
void ctl_audit_begin(struct ctl_client *c, const char *cmd, const char *args);

/* Record one object the request acted on (no-op when c is not audited). */
void ctl_audit_object(struct ctl_client *c, const char *object, const char *old_value,
		      const char *new_value);

/* The handler failed internally (database error, no memory): result error
 * even if the response says otherwise. */
void ctl_audit_error(struct ctl_client *c);

/* Write the rows for c's request from its response (resp[0..len), NULL =
 * no response: error) and release the state; no-op when not audited. */
void ctl_audit_end(struct ragd *d, struct ctl_client *c, const char *resp, size_t len);

/* The request line as recorded: "cmd args" with the values of password=,
 * psk=, secret=, key= tokens replaced by "(removed)", and the secret marker
 * appended when the request carried a secret line.  Always NUL-terminated. */
void ctl_audit_redact(const char *cmd, const char *args, bool had_secret, char *out,
		      size_t outlen);

/* Remove secret values from free text in place (a response message may
 * quote the request): after a word "password=", "psk=", "secret=", "key="
 * (any case) everything up to the next space or quote becomes "(removed)";
 * s stays NUL-terminated within n bytes. */
void ctl_audit_redact_text(char *s, size_t n);

/* d->config_desc: "file=PATH sha256=HEX id=ID certificate-sha256=FPR" of the
 * configuration in force (the file's digest read now; "embedded defaults"
 * when running without a file).  Called at start and after every reload. */
void ctl_audit_config_desc(struct ragd *d);

#endif
