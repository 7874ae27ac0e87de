-- rag.db migration 3: the access policy (issue 4).  User groups and their
-- members are in migration 2; this adds host groups (destinations), service
-- groups (protocol/ports) and the ordered rules that tie a user group, a
-- host group and a service group to a verdict.  daemon/policy.h has the
-- semantics (first match wins, no match = deny) and the size limits, which
-- ragd enforces before writing.
--
-- Ids: AUTOINCREMENT, so an id is never reused; a rule's id is what
-- `rag-ctl rule list` shows and the acl log records, and it stays the same
-- when other rules are added or deleted.  Rules are evaluated in ascending
-- `position` (1..n, kept dense by ragd); position is not unique in the
-- table only because renumbering shifts rows one at a time.
CREATE TABLE host_group (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	name TEXT NOT NULL COLLATE NOCASE UNIQUE
		CHECK (length(name) BETWEEN 1 AND 64),
	created INTEGER NOT NULL
) STRICT;

-- An address (prefix 32 / 128) or a CIDR with its host bits zero; addr
-- holds 4 or 16 bytes in network order.
CREATE TABLE host_group_member (
	group_id INTEGER NOT NULL REFERENCES host_group (id) ON DELETE CASCADE,
	family INTEGER NOT NULL CHECK (family IN (4, 6)),
	addr BLOB NOT NULL CHECK (length(addr) = (CASE family WHEN 4 THEN 4 ELSE 16 END)),
	prefix INTEGER NOT NULL
		CHECK (prefix BETWEEN 0 AND (CASE family WHEN 4 THEN 32 ELSE 128 END)),
	PRIMARY KEY (group_id, family, addr, prefix)
) STRICT, WITHOUT ROWID;

CREATE TABLE service_group (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	name TEXT NOT NULL COLLATE NOCASE UNIQUE
		CHECK (length(name) BETWEEN 1 AND 64),
	created INTEGER NOT NULL
) STRICT;

-- proto 0 = any (ports 0-65535), 1 = icmp (and icmpv6 towards IPv6
-- destinations; ports 0-65535), 6 = tcp, 17 = udp (ports 1-65535).
CREATE TABLE service_group_member (
	group_id INTEGER NOT NULL REFERENCES service_group (id) ON DELETE CASCADE,
	proto INTEGER NOT NULL CHECK (proto IN (0, 1, 6, 17)),
	port_lo INTEGER NOT NULL CHECK (port_lo BETWEEN 0 AND 65535),
	port_hi INTEGER NOT NULL CHECK (port_hi BETWEEN port_lo AND 65535),
	PRIMARY KEY (group_id, proto, port_lo, port_hi)
) STRICT, WITHOUT ROWID;

-- A group a rule uses cannot be deleted (RESTRICT; ragd refuses first,
-- naming the rules).
CREATE TABLE rule (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	position INTEGER NOT NULL CHECK (position >= 1),
	user_group_id INTEGER NOT NULL REFERENCES user_group (id) ON DELETE RESTRICT,
	host_group_id INTEGER NOT NULL REFERENCES host_group (id) ON DELETE RESTRICT,
	service_group_id INTEGER NOT NULL REFERENCES service_group (id) ON DELETE RESTRICT,
	action TEXT NOT NULL CHECK (action IN ('permit', 'deny')),
	log INTEGER NOT NULL DEFAULT 1 CHECK (log IN (0, 1)),
	created INTEGER NOT NULL
) STRICT;

CREATE INDEX rule_position ON rule (position);
CREATE INDEX rule_user_group ON rule (user_group_id);
CREATE INDEX rule_host_group ON rule (host_group_id);
CREATE INDEX rule_service_group ON rule (service_group_id);
