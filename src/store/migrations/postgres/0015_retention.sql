-- PostgreSQL twin of ../0015_retention.sql.
-- Retention ([retention]) and webhook upkeep: each purge walks only rows not purged yet, oldest first, through
-- partial indexes that rows leave as they are purged — a batch never rescans old work.
CREATE INDEX messages_unpurged_final ON messages (final_at)
    WHERE final_at IS NOT NULL AND body <> '';
CREATE INDEX inbound_messages_unpurged ON inbound_messages (received_at) WHERE text <> '';
CREATE INDEX events_at ON events (at);

-- Webhook deliveries: expiring the open ones past the retry window, and purging finished
-- ones, each walk an index instead of the table.
CREATE INDEX webhook_deliveries_open_age ON webhook_deliveries (created_at)
    WHERE delivered_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (coalesce(delivered_at, gave_up_at))
    WHERE delivered_at IS NOT NULL OR gave_up_at IS NOT NULL;

-- Conversations closed and not purged yet, by when they closed (retention walks these only).
CREATE INDEX conversations_to_purge ON conversations (closed_at)
    WHERE status = 'closed' AND purged_at IS NULL;
CREATE INDEX provider_inbound_parts_message ON provider_inbound_parts (message_id)
    WHERE message_id IS NOT NULL;
