-- logs.db migration 2: the authentication log (INTERFACES.md: time,
-- user/identity, device (certificate subject/serial), method, result
-- success/failure/locked, reason, client address), one row per
-- authentication.  Issue 5 fills the certificate fields for pubkey/EAP-TLS.
CREATE TABLE auth (
	id INTEGER PRIMARY KEY,
	time_ms INTEGER NOT NULL,
	result TEXT NOT NULL CHECK (result IN ('success', 'failure', 'locked')),
	sa_id INTEGER,
	user TEXT NOT NULL DEFAULT '',		-- resolved user, '' = unknown
	identity TEXT NOT NULL DEFAULT '',	-- EAP identity, else the IKE ID
	ike_id TEXT NOT NULL DEFAULT '',	-- IDi as received
	method TEXT NOT NULL DEFAULT '',
	reason TEXT NOT NULL DEFAULT '',
	client_addr TEXT NOT NULL DEFAULT '',
	client_port INTEGER,
	cert_subject TEXT,
	cert_issuer TEXT,
	cert_serial TEXT,
	cert_sha256 TEXT
) STRICT;

CREATE INDEX auth_time ON auth (time_ms);
CREATE INDEX auth_user_time ON auth (user, time_ms);
