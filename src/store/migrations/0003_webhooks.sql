-- Outbound status callbacks to a message's callback_url: written in the same transaction
-- as the status change they report, delivered (and retried) by the webhook worker.
CREATE TABLE webhook_outbox (
    id              INTEGER PRIMARY KEY,
    message_id      INTEGER NOT NULL REFERENCES messages (id),
    url             TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER,
    gave_up_at      INTEGER,
    last_error      TEXT
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at, id)
    WHERE delivered_at IS NULL AND gave_up_at IS NULL;

-- Installation-wide values generated once (the webhook signing secret).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
