-- logs.db migration 5: the per-user indexes lead with the UTC day
-- (time_ms / 86400000) instead of the user.
--
-- Why: rows arrive in time order from every user at once.  Keyed on
-- (user, time_ms), each new row lands at the end of its own user's range,
-- so a batch of N rows dirties up to N scattered index pages in every
-- table, and once the index outgrows the page cache each of them is read
-- back from the file and written to the WAL again: ingest slowed from
-- ~100,000 to ~40,000 rows/s between 1 and 3 million rows.  Keyed on
-- (day, user, time_ms), new rows land in today's part of the index, which
-- is one day of rows and stays in the cache; the pages a batch dirties are
-- bounded by one day's index, not by the number of users.
--
-- One user's search over a window seeks once per day of the window
-- (cli/log_query.c: "day IN (the days of the window)", ordered by day,
-- time_ms, id, which is time order), still no scan and no sort.
DROP INDEX connection_user_time;
DROP INDEX auth_user_time;
DROP INDEX acl_user_time;
DROP INDEX audit_user_time;
CREATE INDEX connection_user_day ON connection (time_ms / 86400000, user, time_ms);
CREATE INDEX auth_user_day ON auth (time_ms / 86400000, user, time_ms);
CREATE INDEX acl_user_day ON acl (time_ms / 86400000, user, time_ms);
CREATE INDEX audit_user_day ON audit (time_ms / 86400000, unix_user, time_ms);
