-- rag.db migration 1: the users of the gateway (issue 3).
-- Secrets are never stored in clear: nt_hash and psk hold sealed blobs
-- (daemon/secrets.h: XChaCha20-Poly1305 under secrets.key, the user id and
-- the column's purpose as associated data).  AUTOINCREMENT: an id is never
-- reused, so a blob of a deleted user can never open for a new one.
CREATE TABLE users (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	name TEXT NOT NULL COLLATE NOCASE UNIQUE
		CHECK (length(name) BETWEEN 1 AND 64),
	cert_subject TEXT
		CHECK (cert_subject IS NULL OR length(cert_subject) BETWEEN 1 AND 512),
	nt_hash BLOB,			-- sealed RFC 2759 NtPasswordHash
	psk BLOB,			-- sealed pre-shared key
	locked INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),	-- admin lock
	locked_until INTEGER NOT NULL DEFAULT 0,	-- automatic lockout, unix s
	failed_count INTEGER NOT NULL DEFAULT 0 CHECK (failed_count >= 0),
	created INTEGER NOT NULL,	-- unix seconds, UTC
	updated INTEGER NOT NULL
) STRICT;

CREATE INDEX users_cert_subject ON users (cert_subject) WHERE cert_subject IS NOT NULL;
