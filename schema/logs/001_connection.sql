-- logs.db migration 1: the connection log (INTERFACES.md "The three logs":
-- time, event, user, device, client address:port, virtual IP, IKE SPIs,
-- algorithms, bytes in/out, duration, reason).  Times are UTC milliseconds
-- since the epoch; rag-ctl shows them in the configured timezone.  Indexes
-- serve the searches of issue 5 (by time window, by user within a window).
CREATE TABLE connection (
	id INTEGER PRIMARY KEY,
	time_ms INTEGER NOT NULL,
	event TEXT NOT NULL CHECK (event IN ('connect', 'disconnect', 'rekey', 'fail')),
	sa_id INTEGER,				-- ragd's IKE SA id (rag-ctl sa list)
	user TEXT NOT NULL DEFAULT '',
	device TEXT NOT NULL DEFAULT '',	-- IKE ID / certificate subject
	client_addr TEXT NOT NULL DEFAULT '',	-- outer address
	client_port INTEGER,
	vip4 TEXT,
	vip6 TEXT,
	spi_i TEXT,				-- IKE SPIs, 16 hex digits
	spi_r TEXT,
	ike_alg TEXT,
	esp_alg TEXT,
	bytes_in INTEGER NOT NULL DEFAULT 0,
	bytes_out INTEGER NOT NULL DEFAULT 0,
	packets_in INTEGER NOT NULL DEFAULT 0,
	packets_out INTEGER NOT NULL DEFAULT 0,
	duration_s INTEGER,
	reason TEXT
) STRICT;

CREATE INDEX connection_time ON connection (time_ms);
CREATE INDEX connection_user_time ON connection (user, time_ms);
