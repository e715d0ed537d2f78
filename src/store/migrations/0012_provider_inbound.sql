-- Concatenated inbound messages from cloud providers that hand them over part by part
-- (Vonage: concat-ref / concat-total / concat-part, one webhook per part). Each part is
-- stored once under the provider's own id for it, and a set becomes one inbound_messages
-- row in the transaction of the part that completes it — so reassembly survives restarts
-- and a provider retrying a part's webhook changes nothing.
CREATE TABLE provider_inbound_parts (
    id                  INTEGER PRIMARY KEY,
    provider            TEXT    NOT NULL,   -- the provider route's name (`vonage`)
    provider_message_id TEXT    NOT NULL,   -- the provider's id of this part
    sender              TEXT    NOT NULL,   -- E.164 when it is a number, else as sent
    recipient           TEXT    NOT NULL,   -- our number the person wrote to
    concat_ref          TEXT    NOT NULL,   -- the provider's reference of the set
    part_total          INTEGER NOT NULL,
    part_seq            INTEGER NOT NULL,
    text                TEXT    NOT NULL,
    encoding            TEXT    NOT NULL,   -- gsm7 | ucs2 | 8bit
    sent_at             INTEGER,
    received_at         INTEGER NOT NULL,
    message_id          INTEGER REFERENCES inbound_messages (id)
);
CREATE UNIQUE INDEX provider_inbound_parts_once
    ON provider_inbound_parts (provider, provider_message_id);
CREATE INDEX provider_inbound_parts_pending
    ON provider_inbound_parts (provider, sender, recipient, concat_ref, part_total)
    WHERE message_id IS NULL;
CREATE INDEX provider_inbound_parts_stale
    ON provider_inbound_parts (received_at) WHERE message_id IS NULL;
