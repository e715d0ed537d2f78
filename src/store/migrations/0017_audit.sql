-- The audit log (issue 13): who did what through the admin paths. `actor` is an API key's
-- name (never the key), `signal` for SIGHUP, `open-api` when no key is configured; `detail`
-- is a JSON object without secrets. Newest first through the id, which grows with `at`.
CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     INTEGER NOT NULL,
    actor  TEXT    NOT NULL,
    action TEXT    NOT NULL,
    target TEXT,
    detail TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_actor ON audit_log (actor, id);

-- Facts about the database itself (issue 13): `at_rest_key_id` marks a store whose texts are
-- sealed at rest, with the key's fingerprint (never the key), so the daemon refuses to start
-- without that key instead of writing clear text next to sealed rows.
CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
