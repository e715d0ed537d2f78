-- Automatic replies (issue 10): the rules created through `/api/auto-replies` (rules from
-- the config file live in memory only), and the log of every automatic decision that
-- concerned a remote number: what the cool-down and the hourly AI caps count.

CREATE TABLE auto_reply_rules (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL,
    match_kind   TEXT    NOT NULL CHECK (match_kind IN ('keyword', 'prefix', 'regex')),
    pattern      TEXT    NOT NULL,
    route        TEXT,                 -- only for messages this modem / provider received
    local_number TEXT,                 -- only for messages sent to this number
    template_id  TEXT,                 -- reply with this template …
    reply_text   TEXT,                 -- … or this text (exactly one of the two)
    priority     INTEGER NOT NULL DEFAULT 0,   -- lower first; ties by id
    enabled      INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    CHECK ((template_id IS NULL) <> (reply_text IS NULL))
);
CREATE INDEX auto_reply_rules_order ON auto_reply_rules (priority, id);

-- One row per automatic reply sent (message_id set) or, for AI decisions, skipped (reason
-- set): the cool-down looks at the newest reply to a number, the AI caps count AI rows.
CREATE TABLE auto_reply_log (
    id            INTEGER PRIMARY KEY,
    remote_number TEXT    NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('rule', 'keyword', 'ai')),
    inbound_id    INTEGER NOT NULL REFERENCES inbound_messages (id),
    message_id    INTEGER REFERENCES messages (id),
    skip_reason   TEXT,
    at            INTEGER NOT NULL
);
CREATE INDEX auto_reply_log_number ON auto_reply_log (remote_number, at);
CREATE INDEX auto_reply_log_kind ON auto_reply_log (kind, at);
