-- logs.db migration 4: the audit trail of admin changes (INTERFACES.md:
-- time, Unix user, command, what changed (old -> new)).  One row per
-- request through the control socket that changes state, refused ones
-- included; the caller comes from SO_PEERCRED.  Secrets never appear here.
CREATE TABLE audit (
	id INTEGER PRIMARY KEY,
	time_ms INTEGER NOT NULL,		-- UTC milliseconds since the epoch
	uid INTEGER NOT NULL,
	unix_user TEXT NOT NULL DEFAULT '',	-- name of uid when resolvable
	pid INTEGER,
	command TEXT NOT NULL,			-- the request line, secrets removed
	object TEXT NOT NULL DEFAULT '',	-- what it acted on, e.g. "user alice"
	old_value TEXT,				-- before (NULL: did not exist)
	new_value TEXT,				-- after (NULL: removed)
	result TEXT NOT NULL CHECK (result IN ('ok', 'refused', 'error')),
	message TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX audit_time ON audit (time_ms);
CREATE INDEX audit_user_time ON audit (unix_user, time_ms);
