-- logs.db migration 3: the access-control log (INTERFACES.md: time, user,
-- virtual IP, destination address, protocol, destination port, verdict,
-- rule ID).  One row per new permitted flow and per denied packet, read from
-- NFLOG (issue 4).  Denied-packet logging is rate-limited per user; a row
-- with suppressed > 0 says how many denials before it were not recorded.
-- rule_id NULL = the default deny (no rule matched).
CREATE TABLE acl (
	id INTEGER PRIMARY KEY,
	time_ms INTEGER NOT NULL,		-- UTC milliseconds since the epoch
	user TEXT NOT NULL DEFAULT '',
	sa_id INTEGER,				-- ragd's IKE SA id
	vip TEXT NOT NULL DEFAULT '',		-- source virtual IP
	dst_addr TEXT NOT NULL DEFAULT '',
	proto TEXT NOT NULL DEFAULT '',		-- tcp, udp, icmp, icmpv6 or a number
	src_port INTEGER,
	dst_port INTEGER,			-- NULL for protocols without ports
	verdict TEXT NOT NULL CHECK (verdict IN ('permit', 'deny')),
	rule_id INTEGER,
	suppressed INTEGER NOT NULL DEFAULT 0 CHECK (suppressed >= 0)
) STRICT;

CREATE INDEX acl_time ON acl (time_ms);
CREATE INDEX acl_user_time ON acl (user, time_ms);
