-- Status reports that matched no sent segment when they arrived. The network can answer
-- within milliseconds of +CMGS, before the dispatcher has committed "sent": such a report
-- is kept here durably and adopted by record_sent, instead of living only in memory.
CREATE TABLE orphan_reports (
    id          INTEGER PRIMARY KEY,
    route       TEXT    NOT NULL,
    message_ref INTEGER NOT NULL,
    recipient   TEXT    NOT NULL,
    tp_st       INTEGER NOT NULL,
    status      TEXT    NOT NULL,   -- delivered | pending | failed
    received_at INTEGER NOT NULL
);
CREATE INDEX orphan_reports_match ON orphan_reports (route, message_ref, received_at);
