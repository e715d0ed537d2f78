-- The inbox: every received SMS-DELIVER stored once as a part, parts joined into messages
-- (a message complete in itself is a set of one part), and the opt-out list. Parts of an
-- unfinished set are rows with no message_id yet, so reassembly survives a restart.
CREATE TABLE inbound_messages (
    id              INTEGER PRIMARY KEY,
    modem           TEXT    NOT NULL,           -- the receiving modem's name
    modem_msisdn    TEXT,                       -- its own number, when the SIM knows it
    sender          TEXT    NOT NULL,           -- E.164 when international, else as sent
    concat_ref      INTEGER NOT NULL,           -- -1 for a message complete in itself
    text            TEXT    NOT NULL,           -- 8-bit data as upper-case hex
    encoding        TEXT    NOT NULL,           -- gsm7 | ucs2 | 8bit
    parts_total     INTEGER NOT NULL,
    parts_received  INTEGER NOT NULL,
    complete        INTEGER NOT NULL,           -- 0: closed with parts missing
    sent_at         INTEGER,                    -- the first part's SCTS, Unix ms (UTC)
    received_at     INTEGER NOT NULL,           -- when it entered the inbox
    optout          TEXT CHECK (optout IN ('stop', 'start'))
);
CREATE INDEX inbound_messages_sender ON inbound_messages (sender, id);
CREATE INDEX inbound_messages_received ON inbound_messages (received_at);

CREATE TABLE inbound_parts (
    id              INTEGER PRIMARY KEY,
    modem           TEXT    NOT NULL,
    modem_msisdn    TEXT,
    sender          TEXT    NOT NULL,
    concat_ref      INTEGER NOT NULL,           -- -1 for a message complete in itself
    part_total      INTEGER NOT NULL,
    part_seq        INTEGER NOT NULL,
    sent_at         INTEGER,
    pdu             TEXT    NOT NULL,           -- as the modem printed it (SMSC + TPDU)
    received_at     INTEGER NOT NULL,
    message_id      INTEGER REFERENCES inbound_messages (id)
);
-- A part read twice (the modem offers it again after a crash between commit and delete,
-- or the network delivers it again) is the same PDU: stored once.
CREATE UNIQUE INDEX inbound_parts_once
    ON inbound_parts (modem, sender, concat_ref, part_total, part_seq, pdu);
CREATE INDEX inbound_parts_pending
    ON inbound_parts (modem, sender, concat_ref, part_total) WHERE message_id IS NULL;
CREATE INDEX inbound_parts_stale ON inbound_parts (received_at) WHERE message_id IS NULL;
CREATE INDEX inbound_parts_message ON inbound_parts (message_id);

-- Numbers that asked not to get (by default promotional) messages.
CREATE TABLE optouts (
    number      TEXT    PRIMARY KEY,            -- E.164
    source      TEXT    NOT NULL CHECK (source IN ('sms', 'api')),
    keyword     TEXT,                           -- the stop keyword, for source 'sms'
    created_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX optouts_created ON optouts (created_at, number);
