-- rag.db migration 2: user groups and membership.  `rag-ctl user add
-- --group G` stores membership of existing groups; the access-policy
-- milestone (issue 4) adds `rag-ctl group ...`, host/service groups and
-- rules referring to user_group.id.
CREATE TABLE user_group (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	name TEXT NOT NULL COLLATE NOCASE UNIQUE
		CHECK (length(name) BETWEEN 1 AND 64),
	created INTEGER NOT NULL
) STRICT;

CREATE TABLE user_group_member (
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	group_id INTEGER NOT NULL REFERENCES user_group (id) ON DELETE CASCADE,
	PRIMARY KEY (user_id, group_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX user_group_member_group ON user_group_member (group_id, user_id);
