-- PostgreSQL twin of ../0011_webhook_retention.sql.
-- Webhook retention: finished deliveries are purged after a while, and with them the events
-- no delivery refers to any more (store/subscriptions.rs `purge_finished`). This index finds
-- the deliveries of an event without scanning them all.
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
