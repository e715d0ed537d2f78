-- PostgreSQL twin of ../0009_request_bounds.sql.
-- Per-request data is stored once, on the batch, not copied into every recipient's row:
-- the client's metadata (its JSON text exactly as sent) and the callback URL (already a
-- batch column; messages keep theirs only from before this version). A recipient's display
-- name is its own column instead of a key merged into a copy of the metadata.
ALTER TABLE batches ADD COLUMN metadata TEXT;
ALTER TABLE messages ADD COLUMN recipient_name TEXT;

-- Idempotency keys belong to the API key that used them ('' on an open API) and to one
-- request: the SHA-256 fingerprint of what was asked. A key reused with another request is
-- a conflict, never a replay that pairs the earlier messages with the new recipients.
ALTER TABLE batches ADD COLUMN idempotency_scope TEXT;
ALTER TABLE batches ADD COLUMN fingerprint TEXT;
UPDATE batches SET idempotency_scope = '' WHERE idempotency_key IS NOT NULL;
DROP INDEX batches_idempotency_key;
CREATE UNIQUE INDEX batches_idempotency ON batches(idempotency_scope, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- OTP guesses are counted for good: `attempts` restarts with each resent code, `failures`
-- never does, so resends cannot buy more guesses than the session's cap; the per-number cap
-- adds up the failures of the number's recent sessions.
ALTER TABLE otp_sessions ADD COLUMN failures BIGINT NOT NULL DEFAULT 0;
CREATE INDEX otp_sessions_phone ON otp_sessions(phone, created_at);

-- Callbacks are delivered concurrently with a bound per host: the worker takes the oldest
-- few of each host, so one host's backlog or silence never hides another host's callbacks.
ALTER TABLE webhook_outbox ADD COLUMN host TEXT;
-- "No older callback of the same message waits": looked up for every due row.
CREATE INDEX webhook_outbox_pending_message ON webhook_outbox (message_id, id)
    WHERE delivered_at IS NULL AND gave_up_at IS NULL;
