/*
 * test_connlog.c — daemon/connlog.c: issue 3 point 6 ("a connection log row
 * per connect, disconnect and failure (user, client address, virtual IP,
 * algorithms, bytes, reason)") with the fields of INTERFACES.md "The three
 * logs" (connection and auth), written off the caller's thread in batched
 * transactions, and issue 5's "SIGTERM loses no row": connlog_close()
 * flushes everything queued.  And the acl log (issue 4 point 5: "time,
 * user, virtual IP, destination, protocol, port, verdict, rule ID" and the
 * number of denials suppressed by the rate limit).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "connlog.h"
#include "store.h"

static char dir[256];

/* A path in the temporary directory. */
static const char *tpath(const char *name)
{
	static char p[4][512];
	static unsigned int k;
	char *b = p[k++ % 4];

	snprintf(b, sizeof(p[0]), "%s/%s", dir, name);
	return b;
}

/* One integer from a query on logs.db (or -1). */
static long long q_int(const char *sql)
{
	char err[STORE_ERR_MAX];
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	if (store_open(tpath(CONNLOG_DB_FILE), &db, err, sizeof(err)) < 0)
		return -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	store_close(db);
	return v;
}

static void sin4(struct sockaddr_storage *ss, const char *a, uint16_t port)
{
	struct sockaddr_in in;

	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_port = htons(port);
	inet_pton(AF_INET, a, &in.sin_addr);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &in, sizeof(in));
}

static void sin6(struct sockaddr_storage *ss, const char *a, uint16_t port)
{
	struct sockaddr_in6 in6;

	memset(&in6, 0, sizeof(in6));
	in6.sin6_family = AF_INET6;
	in6.sin6_port = htons(port);
	inet_pton(AF_INET6, a, &in6.sin6_addr);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &in6, sizeof(in6));
}

static void test_rows(void)
{
	struct connlog *l;
	struct connlog_conn c;
	struct connlog_auth a;
	char err[256], buf[80];
	uint64_t w, f, d;
	struct stat st;

	CHECK_INT(connlog_open(&l, dir, err, sizeof(err)), 0);
	CHECK_INT(stat(tpath(CONNLOG_DB_FILE), &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);

	memset(&c, 0, sizeof(c));
	c.time_ms = 1763600000123;
	c.event = CONNLOG_CONNECT;
	c.sa_id = 42;
	snprintf(c.user, sizeof(c.user), "alice");
	snprintf(c.device, sizeof(c.device), "192.0.2.10");
	sin4(&c.client, "192.0.2.10", 4500);
	snprintf(c.vip4, sizeof(c.vip4), "10.8.0.2");
	c.spi_i = 0x0123456789abcdefull;
	c.spi_r = 0xfedcba9876543210ull;
	snprintf(c.ike_alg, sizeof(c.ike_alg), "aes256-sha1-modp1024");
	snprintf(c.esp_alg, sizeof(c.esp_alg), "aes256-sha1");
	CHECK_INT(connlog_connection(l, &c), 0);
	c.event = CONNLOG_DISCONNECT;
	c.time_ms += 3600000;
	c.bytes_in = 123456789;
	c.bytes_out = 987654321;
	c.packets_in = 1000;
	c.packets_out = 2000;
	c.duration_s = 3600;
	snprintf(c.reason, sizeof(c.reason), "client DELETE");
	CHECK_INT(connlog_connection(l, &c), 0);
	memset(&c, 0, sizeof(c));
	c.event = CONNLOG_FAIL;	/* time 0 = now */
	sin6(&c.client, "2001:db8::7", 500);
	snprintf(c.reason, sizeof(c.reason), "AUTHENTICATION_FAILED: bad password");
	memset(c.user, 'x', sizeof(c.user));	/* unterminated: cut, not overrun */
	CHECK_INT(connlog_connection(l, &c), 0);
	c.event = (enum connlog_event)9;
	CHECK_INT(connlog_connection(l, &c), -EINVAL);

	memset(&a, 0, sizeof(a));
	a.result = CONNLOG_AUTH_FAILURE;
	snprintf(a.identity, sizeof(a.identity), "CORP\\alice");
	snprintf(a.ike_id, sizeof(a.ike_id), "192.0.2.10");
	snprintf(a.user, sizeof(a.user), "alice");
	snprintf(a.method, sizeof(a.method), "eap-mschapv2");
	snprintf(a.reason, sizeof(a.reason), "bad password");
	sin4(&a.client, "192.0.2.10", 4500);
	CHECK_INT(connlog_auth(l, &a), 0);
	a.result = CONNLOG_AUTH_SUCCESS;
	snprintf(a.method, sizeof(a.method), "eap-tls");
	snprintf(a.cert_subject, sizeof(a.cert_subject), "CN=alice, O=Example");
	snprintf(a.cert_serial, sizeof(a.cert_serial), "01ab");
	CHECK_INT(connlog_auth(l, &a), 0);
	a.result = (enum connlog_result)0;
	CHECK_INT(connlog_auth(l, &a), -EINVAL);
	connlog_flush(l);
	connlog_stats(l, &w, &f, &d);
	CHECK_INT(w, 5);
	CHECK_INT(f, 0);
	CHECK_INT(d, 0);

	/* the connection rows, field by field */
	CHECK_INT(q_int("SELECT count(*) FROM connection"), 3);
	CHECK_INT(q_int("SELECT count(*) FROM connection WHERE event = 'connect' AND "
			"time_ms = 1763600000123 AND sa_id = 42 AND user = 'alice' AND "
			"client_addr = '192.0.2.10' AND client_port = 4500 AND vip4 = '10.8.0.2' "
			"AND vip6 IS NULL AND spi_i = '0123456789abcdef' AND "
			"spi_r = 'fedcba9876543210' AND ike_alg = 'aes256-sha1-modp1024' AND "
			"esp_alg = 'aes256-sha1' AND duration_s IS NULL AND reason IS NULL"), 1);
	CHECK_INT(q_int("SELECT count(*) FROM connection WHERE event = 'disconnect' AND "
			"bytes_in = 123456789 AND bytes_out = 987654321 AND packets_in = 1000 "
			"AND packets_out = 2000 AND duration_s = 3600 AND "
			"reason = 'client DELETE'"), 1);
	CHECK_INT(q_int("SELECT count(*) FROM connection WHERE event = 'fail' AND "
			"client_addr = '2001:db8::7' AND client_port = 500 AND "
			"length(user) = 255 AND spi_i IS NULL AND "
			"time_ms > 1700000000000"), 1);
	CHECK_INT(q_int("SELECT count(*) FROM auth"), 2);
	CHECK_INT(q_int("SELECT count(*) FROM auth WHERE result = 'failure' AND "
			"identity = 'CORP\\alice' AND ike_id = '192.0.2.10' AND user = 'alice' "
			"AND method = 'eap-mschapv2' AND reason = 'bad password' AND "
			"client_port = 4500 AND cert_subject IS NULL"), 1);
	CHECK_INT(q_int("SELECT count(*) FROM auth WHERE result = 'success' AND "
			"cert_subject = 'CN=alice, O=Example' AND cert_serial = '01ab'"), 1);

	connlog_format_addr(&c.client, buf, sizeof(buf));
	CHECK(!strcmp(buf, "[2001:db8::7]:500"));
	connlog_format_addr(&a.client, buf, sizeof(buf));
	CHECK(!strcmp(buf, "192.0.2.10:4500"));
	connlog_close(l);
}

/* acl rows: permit with a rule, default deny (rule_id NULL), a protocol
 * without ports (NULL), a summary row carrying a suppressed count. */
static void test_acl_rows(void)
{
	struct connlog *l;
	struct connlog_acl a;
	char err[256];
	uint64_t w, f, d;

	CHECK_INT(connlog_open(&l, dir, err, sizeof(err)), 0);
	memset(&a, 0, sizeof(a));
	a.time_ms = 1763600000999;
	a.permit = true;
	a.rule_id = 17;
	a.sa_id = 42;
	snprintf(a.user, sizeof(a.user), "alice");
	snprintf(a.vip, sizeof(a.vip), "10.8.0.2");
	snprintf(a.dst, sizeof(a.dst), "198.51.100.10");
	snprintf(a.proto, sizeof(a.proto), "tcp");
	a.src_port = 40000;
	a.dst_port = 22;
	CHECK_INT(connlog_acl(l, &a), 0);
	a.time_ms = 0;
	a.permit = false;
	a.rule_id = 0;
	snprintf(a.proto, sizeof(a.proto), "icmp");
	a.src_port = a.dst_port = -1;
	a.suppressed = 5;
	CHECK_INT(connlog_acl(l, &a), 0);
	memset(a.user, 'y', sizeof(a.user));	/* unterminated: cut */
	memset(a.proto, 'z', sizeof(a.proto));
	a.dst[0] = '\0';
	a.suppressed = 123;
	a.dst_port = 70000;			/* out of range: NULL */
	CHECK_INT(connlog_acl(l, &a), 0);
	connlog_flush(l);
	connlog_stats(l, &w, &f, &d);
	CHECK_INT(w, 3);
	CHECK_INT(f, 0);
	CHECK_INT(q_int("SELECT count(*) FROM acl WHERE time_ms = 1763600000999 AND "
			"user = 'alice' AND sa_id = 42 AND vip = '10.8.0.2' AND "
			"dst_addr = '198.51.100.10' AND proto = 'tcp' AND src_port = 40000 AND "
			"dst_port = 22 AND verdict = 'permit' AND rule_id = 17 AND "
			"suppressed = 0"), 1);
	CHECK_INT(q_int("SELECT count(*) FROM acl WHERE verdict = 'deny' AND rule_id IS NULL "
			"AND proto = 'icmp' AND src_port IS NULL AND dst_port IS NULL AND "
			"suppressed = 5 AND time_ms > 1700000000000"), 1);
	CHECK_INT(q_int("SELECT count(*) FROM acl WHERE length(user) = 255 AND "
			"length(proto) = 15 AND dst_addr = '' AND dst_port IS NULL AND "
			"suppressed = 123"), 1);
	connlog_close(l);
}

/* Many rows are batched; close (SIGTERM) loses none of those queued.  The
 * queue is bounded in writer time (store.h "Durability", CONNLOG_MAX_DELAY_MS):
 * a burst beyond it is refused with -EAGAIN, and this producer retries, so
 * every row is accepted once. */
static void test_close_flushes(void)
{
	struct connlog *l;
	struct connlog_conn c;
	char err[256];
	const int N = 30000;
	int accepted = 0, r;

	CHECK_INT(connlog_open(&l, dir, err, sizeof(err)), 0);
	memset(&c, 0, sizeof(c));
	c.event = CONNLOG_REKEY;
	for (int i = 0; i < N; i++) {
		c.sa_id = (uint64_t)i + 1;
		while ((r = connlog_connection(l, &c)) == -EAGAIN)
			usleep(100);
		if (r == 0)
			accepted++;
	}
	connlog_close(l);	/* no flush before: close must do it */
	CHECK_INT(accepted, N);
	CHECK_INT(q_int("SELECT count(*) FROM connection WHERE event = 'rekey'"), N);
	{
		char e2[STORE_ERR_MAX];
		sqlite3 *db;

		CHECK_INT(store_open(tpath(CONNLOG_DB_FILE), &db, e2, sizeof(e2)), 0);
		CHECK_INT(store_check(db, e2, sizeof(e2)), 0);
		CHECK_INT(store_user_version(db), store_schema_logs.n);
		store_close(db);
	}
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/rag-test-connlog-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	test_rows();
	test_acl_rows();
	test_close_flushes();
	unlink(tpath(CONNLOG_DB_FILE));
	unlink(tpath("logs.db-wal"));
	unlink(tpath("logs.db-shm"));
	rmdir(dir);
	return check_done("test_connlog");
}
