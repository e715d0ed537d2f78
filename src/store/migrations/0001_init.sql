-- smsgate store, schema version 1: batches, messages, segments, events.
-- Times are Unix milliseconds (INTEGER). Statuses are MessageStatus::as_str names.

CREATE TABLE batches (
    id              TEXT PRIMARY KEY NOT NULL,
    name            TEXT,
    idempotency_key TEXT,
    callback_url    TEXT,
    created_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX batches_idempotency_key ON batches(idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- AUTOINCREMENT: an id is never reused, even after rows are purged.
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id        TEXT NOT NULL REFERENCES batches(id),
    batch_pos       INTEGER NOT NULL,
    recipient       TEXT NOT NULL,
    body            TEXT NOT NULL,
    message_type    TEXT NOT NULL,
    sms_type        TEXT NOT NULL,
    encoding        TEXT NOT NULL,
    priority        INTEGER NOT NULL,
    status          TEXT NOT NULL,
    schedule_at     INTEGER,
    expire_at       INTEGER,
    provider        TEXT,
    callback_url    TEXT,
    custom_id       TEXT,
    metadata        TEXT,
    segments        INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    lease_until     INTEGER,
    route           TEXT,
    error           TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    final_at        INTEGER
);
-- Leasing: walk the waiting messages by priority, then age; the query repeats this WHERE.
CREATE INDEX messages_due ON messages(priority DESC, id)
    WHERE status IN ('queued', 'scheduled');
-- expire_due.
CREATE INDEX messages_expiry ON messages(expire_at)
    WHERE status IN ('queued', 'scheduled') AND expire_at IS NOT NULL;
-- recover / reclaim_expired_leases.
CREATE INDEX messages_leases ON messages(lease_until) WHERE status = 'sending';
-- Listing, newest first, optionally by status and SMS type.
CREATE INDEX messages_created ON messages(created_at);
CREATE INDEX messages_status_created ON messages(status, sms_type, created_at);
CREATE INDEX messages_sms_type_created ON messages(sms_type, created_at);
-- Batches (and idempotent replay, in input order).
CREATE INDEX messages_batch ON messages(batch_id, batch_pos);

CREATE TABLE segments (
    message_id  INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    pdu_hex     TEXT NOT NULL,
    tpdu_length INTEGER NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending',
    route       TEXT,
    message_ref INTEGER,
    provider_id TEXT,
    tp_st       INTEGER,
    sent_at     INTEGER,
    report_at   INTEGER,
    PRIMARY KEY (message_id, seq)
) WITHOUT ROWID;
-- Status-report correlation: route + TP-MR, most recent first.
CREATE INDEX segments_correlation ON segments(route, message_ref, sent_at)
    WHERE message_ref IS NOT NULL;
-- Provider callbacks name the provider's id.
CREATE INDEX segments_provider_id ON segments(provider_id) WHERE provider_id IS NOT NULL;

CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    status     TEXT NOT NULL,
    route      TEXT,
    detail     TEXT
);
CREATE INDEX events_message ON events(message_id, id);
