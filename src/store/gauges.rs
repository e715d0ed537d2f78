//! What the metrics scrape reads of the store: the queue by status, the age of the oldest
//! waiting message, and the open callback and webhook deliveries — each an indexed count
//! over a partial index (its size is the backlog, never the whole history).

use super::sql::Connection;
use super::{Store, StoreError};
use crate::message::Millis;

/// Live queue and outbox sizes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog {
    /// Messages `queued` (due now or waiting for a retry).
    pub queued: u64,
    /// Messages `scheduled` for later.
    pub scheduled: u64,
    /// Messages being sent.
    pub sending: u64,
    /// `created_at` of the oldest `queued` message.
    pub oldest_queued_at: Option<Millis>,
    /// Status callbacks not yet delivered nor given up.
    pub callbacks_open: u64,
    /// Webhook subscription deliveries not yet delivered nor given up.
    pub webhooks_open: u64,
}

fn count(conn: &Connection, sql: &str) -> Result<u64, StoreError> {
    let n: i64 = conn.prepare_cached(sql)?.query_row([], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

fn backlog(conn: &Connection) -> Result<Backlog, StoreError> {
    // Each WHERE repeats its partial index's, so SQLite walks only the backlog.
    Ok(Backlog {
        queued: count(
            conn,
            "SELECT count(*) FROM messages INDEXED BY messages_due
              WHERE status IN ('queued', 'scheduled') AND status = 'queued'",
        )?,
        scheduled: count(
            conn,
            "SELECT count(*) FROM messages INDEXED BY messages_due
              WHERE status IN ('queued', 'scheduled') AND status = 'scheduled'",
        )?,
        sending: count(
            conn,
            "SELECT count(*) FROM messages INDEXED BY messages_leases WHERE status = 'sending'",
        )?,
        oldest_queued_at: conn
            .prepare_cached(
                "SELECT min(created_at) FROM messages INDEXED BY messages_due
                  WHERE status IN ('queued', 'scheduled') AND status = 'queued'",
            )?
            .query_row([], |r| r.get::<_, Option<i64>>(0))?,
        callbacks_open: count(
            conn,
            "SELECT count(*) FROM webhook_outbox INDEXED BY webhook_outbox_due
              WHERE delivered_at IS NULL AND gave_up_at IS NULL",
        )?,
        webhooks_open: count(
            conn,
            "SELECT count(*) FROM webhook_deliveries INDEXED BY webhook_deliveries_open
              WHERE delivered_at IS NULL AND gave_up_at IS NULL",
        )?,
    })
}

impl Store {
    /// The queue and outbox sizes the metrics scrape reports.
    pub async fn backlog(&self) -> Result<Backlog, StoreError> {
        super::writer::read(&self.reader, backlog).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_empty_store_has_no_backlog_and_its_queries_use_their_indexes() {
        let store = Store::open_memory().await.unwrap();
        // `INDEXED BY` makes SQLite refuse a query its index cannot answer: that these
        // run at all says each walks its partial index.
        assert_eq!(store.backlog().await.unwrap(), Backlog::default());
    }
}
