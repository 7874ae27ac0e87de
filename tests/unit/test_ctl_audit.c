/*
 * test_ctl_audit.c — daemon/ctl_audit.c, issue 5 point 6: "Every change
 * through rag-ctl is recorded with the calling Unix user (SO_PEERCRED) and
 * old -> new values" — which requests are audited, the request line with
 * secrets removed (never a password, not even in a quoted error message),
 * the result from the response, one row per object (bounded), NULL old/new.
 * tests/unit/audit_cli.sh drives the same through a real ragd and rag-ctl.
 */
#include <pwd.h>

#include "check.h"
#include "testdb.h"
#include "connlog.h"
#include "ctl_audit.h"
#include "daemon.h"
#include "store.h"

static void test_wanted(void)
{
	CHECK(ctl_audit_wanted(true, true, "add alice"));
	CHECK(ctl_audit_wanted(true, true, ""));		/* "reload" */
	CHECK(!ctl_audit_wanted(true, true, "list"));
	CHECK(!ctl_audit_wanted(true, true, "list json user bob"));
	CHECK(!ctl_audit_wanted(true, true, "show 3"));
	CHECK(ctl_audit_wanted(true, true, "listx"));		/* not the verb */
	CHECK(!ctl_audit_wanted(true, false, "anything"));	/* status */
	CHECK(ctl_audit_wanted(false, false, "x"));		/* unknown: an attempt */
}

static void test_redact(void)
{
	char out[100], s[64];

	ctl_audit_redact("user", "add carol password=hunter2 group=staff", false, out, sizeof(out));
	CHECK(!strcmp(out, "user add carol password=(removed) group=staff"));
	ctl_audit_redact("user", "psk NAME PSK=abc Secret=x key=y keyboard=z", true, out, 64);
	CHECK(!strcmp(out, "user psk NAME PSK=(removed) Secret=(removed) key=(removed) keyb"));
	/* cut at 63 bytes, terminated */
	ctl_audit_redact("reload", "", false, out, sizeof(out));
	CHECK(!strcmp(out, "reload"));
	ctl_audit_redact("user", "passwd bob", true, out, sizeof(out));
	CHECK(!strcmp(out, "user passwd bob " RAG_CTL_SECRET_MARK));
	ctl_audit_redact("x", "password=", false, out, 4);
	CHECK(!strcmp(out, "x p"));

	snprintf(s, sizeof(s), "unexpected argument 'password=hunter2'");
	ctl_audit_redact_text(s, sizeof(s));
	CHECK(!strcmp(s, "unexpected argument 'password=(removed)'"));
	snprintf(s, sizeof(s), "psk=a b PSK=\"cc\" apikey=d api_key=e");
	ctl_audit_redact_text(s, sizeof(s));
	CHECK(!strcmp(s, "psk=(removed) b PSK=\"(removed)\" apikey=d api_key=(removed)"));
	/* growing past the buffer: cut, terminated, the value still gone */
	snprintf(s, 12, "x psk=ab cd");
	ctl_audit_redact_text(s, 12);
	CHECK(strlen(s) < 12);
	CHECK(strstr(s, "ab") == NULL);
	snprintf(s, 20, "psk=a z");
	ctl_audit_redact_text(s, 20);
	CHECK(!strcmp(s, "psk=(removed) z"));
}

static void test_rows(void)
{
	static struct ragd d;		/* big: not on the stack */
	struct ctl_client c;
	char err[512], sql[512];
	struct passwd *pw = getpwuid(getuid());
	sqlite3 *db;

	memset(&d, 0, sizeof(d));
	CHECK_INT(connlog_open(&d.connlog, tdb_dir, err, sizeof(err)), 0);
	memset(&c, 0, sizeof(c));
	c.uid = getuid();
	c.pid = getpid();

	/* not audited: nothing happens */
	ctl_audit_object(&c, "user x", "a", "b");
	ctl_audit_end(&d, &c, "OK\n", 3);

	/* 17 objects: 16 rows, the 17th counted; a refusal quoting a secret */
	{
		static const char resp[] = "ERR 1 bad argument 'password=zz'\nmore\n";

		ctl_audit_begin(&c, "user", "add bob password=zz");
		for (int i = 0; i < CTL_AUDIT_MAX_OBJECTS + 1; i++) {
			char o[32];

			snprintf(o, sizeof(o), "object %d", i);
			ctl_audit_object(&c, o, i % 2 ? NULL : "old", i % 3 ? "new" : NULL);
		}
		ctl_audit_end(&d, &c, resp, sizeof(resp) - 1);
		CHECK(!c.audited && !c.audit);
	}
	/* no objects, OK response: one row, message = first body line */
	ctl_audit_begin(&c, "sa", "kill id 7");
	ctl_audit_end(&d, &c, "OK\nterminated 1 IKE SA\n", 23);
	/* a handler error overrides OK; no response at all is an error */
	ctl_audit_begin(&c, "reload", "");
	ctl_audit_error(&c);
	ctl_audit_end(&d, &c, "OK\nreloaded\n", 12);
	ctl_audit_begin(&c, "frob", "x");
	ctl_audit_end(&d, &c, NULL, 0);
	ctl_audit_begin(&c, "frob", "y");
	ctl_audit_end(&d, &c, "ERR 5 busy\n", 11);
	connlog_close(d.connlog);

	CHECK_INT(store_open(tpath(CONNLOG_DB_FILE), &db, err, sizeof(err)), 0);
	CHECK_INT(store_query_int(db, "SELECT count(*) FROM audit", -1), CTL_AUDIT_MAX_OBJECTS + 4);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE uid = %u AND pid = %d AND "
		 "unix_user = '%s'", (unsigned int)getuid(), (int)getpid(), pw ? pw->pw_name : "");
	CHECK_INT(store_query_int(db, sql, -1), CTL_AUDIT_MAX_OBJECTS + 4);
	CHECK_INT(store_query_int(db, "SELECT count(*) FROM audit WHERE command = 'user add bob "
			"password=(removed)' AND result = 'refused' AND message = "
			"'bad argument ''password=(removed)'' (1 more objects not recorded)'", -1),
		  CTL_AUDIT_MAX_OBJECTS);
	CHECK_INT(store_query_int(db, "SELECT count(*) FROM audit WHERE object = 'object 0' AND "
			"old_value = 'old' AND new_value IS NULL", -1), 1);
	CHECK_INT(store_query_int(db, "SELECT count(*) FROM audit WHERE object = 'object 1' AND "
			"old_value IS NULL AND new_value = 'new'", -1), 1);
	CHECK_INT(store_query_int(db, "SELECT count(*) FROM audit WHERE object = 'object 16'", -1), 0);
	CHECK_INT(store_query_int(db, "SELECT count(*) FROM audit WHERE instr(command || message, 'zz')", -1), 0);
	CHECK_INT(store_query_int(db, "SELECT count(*) FROM audit WHERE command = 'sa kill id 7' AND "
			"result = 'ok' AND message = 'terminated 1 IKE SA' AND object = '' AND "
			"old_value IS NULL AND new_value IS NULL", -1), 1);
	CHECK_INT(store_query_int(db, "SELECT count(*) FROM audit WHERE command = 'reload' AND "
			"result = 'error'", -1), 1);
	CHECK_INT(store_query_int(db, "SELECT count(*) FROM audit WHERE command = 'frob x' AND "
			"result = 'error'", -1), 1);
	CHECK_INT(store_query_int(db, "SELECT count(*) FROM audit WHERE command = 'frob y' AND "
			"result = 'error' AND message = 'busy'", -1), 1);
	store_close(db);
	tdb_remove(CONNLOG_DB_FILE);
}

int main(void)
{
	snprintf(tdb_dir, sizeof(tdb_dir), "/tmp/rag-test-ctl-audit-XXXXXX");
	if (!mkdtemp(tdb_dir))
		return 1;
	test_wanted();
	test_redact();
	test_rows();
	rmdir(tdb_dir);
	return check_done("test_ctl_audit");
}
