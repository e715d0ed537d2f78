-- Retention ([retention]): each purge walks only rows not purged yet, oldest first, through
-- partial indexes that rows leave as they are purged — a batch never rescans old work.
CREATE INDEX messages_unpurged_final ON messages (final_at)
    WHERE final_at IS NOT NULL AND body <> '';
CREATE INDEX inbound_messages_unpurged ON inbound_messages (received_at) WHERE text <> '';
CREATE INDEX events_at ON events (at);
