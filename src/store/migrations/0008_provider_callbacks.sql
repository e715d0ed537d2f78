-- Provider status callbacks that arrived before their send was recorded: a provider can
-- call back (queued, sent, even delivered) before the dispatcher has committed the answer
-- to its request, while the message is still `sending`. Such a callback is kept here
-- durably and adopted by record_sent when the message is recorded as sent through the
-- same provider (and, when both are known, with the same provider message id), instead of
-- being lost. Rows are pruned after a day.
CREATE TABLE pending_provider_callbacks (
    id          INTEGER PRIMARY KEY,
    message_id  INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    provider    TEXT,               -- twilio | vonage | plivo | …; NULL: any route
    provider_id TEXT,               -- the provider's message id, when the callback has one
    outcome     TEXT    NOT NULL,   -- progress | sent | delivered | undelivered | failed
    raw_status  TEXT    NOT NULL,   -- the provider's own status name
    error_code  TEXT,
    price       TEXT,
    reported_at INTEGER,            -- the time the callback gives, if any
    received_at INTEGER NOT NULL
);
CREATE INDEX pending_provider_callbacks_message ON pending_provider_callbacks (message_id, id);
CREATE INDEX pending_provider_callbacks_received ON pending_provider_callbacks (received_at);
