-- Two-way messaging: conversations, webhook subscriptions and their events, inbound
-- messages from cloud providers, and the automatic-reply bookkeeping.

-- A conversation is one remote number talking with one local number (a modem's MSISDN, a
-- provider's sender number, or the route's name while its number is unknown).
CREATE TABLE conversations (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    remote_number     TEXT    NOT NULL,
    local_number      TEXT    NOT NULL,
    route             TEXT,                 -- the modem or provider that last carried it
    status            TEXT    NOT NULL CHECK (status IN ('active', 'closed')),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,     -- last activity (a message either way, a close)
    closed_at         INTEGER,
    inbound_count     INTEGER NOT NULL DEFAULT 0,
    outbound_count    INTEGER NOT NULL DEFAULT 0,
    awaiting_since    INTEGER,              -- first unanswered inbound message's time
    purged_at         INTEGER               -- bodies removed by retention
);
CREATE UNIQUE INDEX conversations_key ON conversations (remote_number, local_number);
CREATE INDEX conversations_updated ON conversations (updated_at, id);
CREATE INDEX conversations_status ON conversations (status, updated_at);

-- One row per answered inbound burst: how long the person waited for the first answer.
CREATE TABLE conversation_responses (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    inbound_at      INTEGER NOT NULL,
    responded_at    INTEGER NOT NULL
);
CREATE INDEX conversation_responses_at ON conversation_responses (responded_at);

ALTER TABLE inbound_messages ADD COLUMN conversation_id INTEGER REFERENCES conversations (id);
-- Messages from a cloud provider name it here (and `modem` holds the provider's name too).
ALTER TABLE inbound_messages ADD COLUMN provider TEXT;
ALTER TABLE inbound_messages ADD COLUMN provider_message_id TEXT;
-- 'pending' until the automatic-reply worker has looked at the message; then 'done'.
ALTER TABLE inbound_messages ADD COLUMN reply_state TEXT;
ALTER TABLE inbound_messages ADD COLUMN reply_note TEXT;
CREATE INDEX inbound_messages_conversation ON inbound_messages (conversation_id, id);
CREATE INDEX inbound_messages_reply_pending ON inbound_messages (id) WHERE reply_state = 'pending';
-- A provider that posts the same message twice (a retried webhook) stores it once.
CREATE UNIQUE INDEX inbound_messages_provider_id
    ON inbound_messages (provider, provider_message_id) WHERE provider_message_id IS NOT NULL;

ALTER TABLE messages ADD COLUMN conversation_id INTEGER REFERENCES conversations (id);
-- The inbound message an automatic or API reply answers.
ALTER TABLE messages ADD COLUMN reply_to INTEGER REFERENCES inbound_messages (id);
CREATE INDEX messages_conversation ON messages (conversation_id, id)
    WHERE conversation_id IS NOT NULL;

-- The number each route sends from, as last known (modems: the SIM's MSISDN; providers:
-- their configured sender). Outbound messages join the conversation of that number.
CREATE TABLE route_numbers (
    route      TEXT PRIMARY KEY,
    number     TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Webhook subscriptions: an API user's receiver and the event types it wants.
CREATE TABLE webhook_subscriptions (
    id          TEXT    PRIMARY KEY,        -- "wh_" + 24 hex digits
    url         TEXT    NOT NULL,
    host        TEXT    NOT NULL,           -- host[:port], the per-host concurrency key
    events      TEXT    NOT NULL,           -- JSON array of event types, as created
    secret      TEXT    NOT NULL,           -- HMAC-SHA256 key of the signature
    description TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE TABLE webhook_subscription_events (
    event           TEXT NOT NULL,
    subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    PRIMARY KEY (event, subscription_id)
) WITHOUT ROWID;

-- An event, written in the transaction of the change it reports, once for all receivers.
CREATE TABLE webhook_events (
    id         TEXT    PRIMARY KEY,         -- "evt_" + 32 hex digits: the de-duplication key
    type       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    payload    TEXT    NOT NULL             -- the whole body: {"id","type","created_at","data"}
);
CREATE INDEX webhook_events_created ON webhook_events (created_at);

-- One event to one subscription: attempts, the last answer, the next try.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    subscription_id TEXT    NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id        TEXT    NOT NULL REFERENCES webhook_events (id),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER,
    gave_up_at      INTEGER,
    last_status     INTEGER,                -- the receiver's HTTP status, if it answered
    last_error      TEXT
);
-- Per-subscription order: the oldest open delivery of each subscription is its only one due.
CREATE INDEX webhook_deliveries_open ON webhook_deliveries (subscription_id, id)
    WHERE delivered_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, id DESC);
