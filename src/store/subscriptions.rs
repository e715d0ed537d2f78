//! Webhook subscriptions (layer 1): an API user's receiver URL, the event types it wants
//! and its signing secret; and the delivery queue the subscription worker drains
//! (`webhook_deliveries`, filled by [`super::events::emit`] in the transaction of each
//! change).
//!
//! Never imports anything above layer 1; the URL was checked by the caller (the service)
//! and its host key comes from `crate::url_policy`.
//!
//! Invariants:
//! - the secret leaves this module only from [`create`], [`rotate_secret`] and the worker's
//!   [`due`] (which signs with it) — [`get`] and [`list`] never read it;
//! - **per-subscription order**: only the oldest open delivery of a subscription is ever
//!   due, so a receiver sees its events in the order they were written, a failing one
//!   holding back the rest of its own queue and nobody else's;
//! - a delivery ends delivered (2xx) or given up (its event older than `max_age`), never
//!   silently dropped; deleting a subscription removes its queue with it.

use super::sql::{params, Connection, OptionalExtension};
use super::types::StoreError;
use crate::message::Millis;

/// Longest page of subscriptions or deliveries.
pub const PAGE_MAX: usize = 1000;

/// A new subscription, as the service validated it.
#[derive(Clone)]
pub struct NewSubscription {
    /// Its id (`wh_` + 24 hex digits).
    pub id: String,
    /// The receiver.
    pub url: String,
    /// Event types (each one of `events::EVENT_TYPES`, no duplicates).
    pub events: Vec<String>,
    /// The HMAC-SHA256 key.
    pub secret: String,
    /// A note for people.
    pub description: Option<String>,
}

/// A subscription as shown (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// `wh_…`.
    pub id: String,
    /// The receiver.
    pub url: String,
    /// Event types, as created.
    pub events: Vec<String>,
    /// A note for people.
    pub description: Option<String>,
    /// Created (Unix ms).
    pub created_at: Millis,
    /// Last changed (created, secret rotated).
    pub updated_at: Millis,
    /// Deliveries neither delivered nor given up.
    pub pending: i64,
}

/// One event to one subscription, as `GET /api/webhooks/{id}/deliveries` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The delivery's own id.
    pub id: i64,
    /// The event (`evt_…`, the receiver's de-duplication key).
    pub event_id: String,
    /// The event type.
    pub event_type: String,
    /// Attempts made.
    pub attempts: u32,
    /// The receiver's HTTP status on the last attempt, if it answered.
    pub last_status: Option<u16>,
    /// What went wrong on the last attempt.
    pub last_error: Option<String>,
    /// When it is (or was) next tried.
    pub next_attempt_at: Millis,
    /// Queued.
    pub created_at: Millis,
    /// Delivered (a 2xx).
    pub delivered_at: Option<Millis>,
    /// Given up.
    pub gave_up_at: Option<Millis>,
}

/// A delivery the worker should attempt now.
#[derive(Clone)]
pub struct DeliveryJob {
    /// The delivery.
    pub id: i64,
    /// Its subscription (one at a time each).
    pub subscription_id: String,
    /// The receiver.
    pub url: String,
    /// `host:port`, the per-host bound's key.
    pub host: String,
    /// The signing key.
    pub secret: String,
    /// `evt_…`.
    pub event_id: String,
    /// The event type.
    pub event_type: String,
    /// The whole body, as stored.
    pub payload: String,
    /// When the event happened (the age limit counts from here).
    pub event_created_at: Millis,
    /// Attempts made so far.
    pub attempts: u32,
}

// A secret never reaches a log, not even through `{:?}`.
impl std::fmt::Debug for NewSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSubscription")
            .field("id", &self.id)
            .field("events", &self.events)
            .field("secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for DeliveryJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryJob")
            .field("id", &self.id)
            .field("subscription_id", &self.subscription_id)
            .field("host", &self.host)
            .field("event_id", &self.event_id)
            .field("attempts", &self.attempts)
            .field("secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// What an attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The receiver answered 2xx.
    Delivered {
        /// Its status.
        status: u16,
    },
    /// Anything else: retried at `next`, or given up when `None`.
    Failed {
        /// The receiver's status, if it answered.
        status: Option<u16>,
        /// What went wrong.
        error: String,
        /// The next try.
        next: Option<Millis>,
    },
}

fn events_of(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

/// Stores a subscription and the event types it wants.
pub fn create(conn: &Connection, new: &NewSubscription, now: Millis) -> Result<(), StoreError> {
    let events = serde_json::to_string(&new.events)
        .map_err(|e| StoreError::Sqlite(format!("events not serialisable: {e}")))?;
    conn.prepare_cached(
        "INSERT INTO webhook_subscriptions (id, url, host, events, secret, description, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )?
    .execute(params![
        new.id,
        new.url,
        crate::url_policy::host_key(&new.url),
        events,
        new.secret,
        new.description,
        now
    ])?;
    let mut wants = conn.prepare_cached(
        "INSERT INTO webhook_subscription_events (event, subscription_id) VALUES (?1, ?2)
         ON CONFLICT DO NOTHING",
    )?;
    for event in &new.events {
        wants.execute(params![event, new.id])?;
    }
    Ok(())
}

const COLUMNS: &str = "s.id, s.url, s.events, s.description, s.created_at, s.updated_at,
     (SELECT count(*) FROM webhook_deliveries d
      WHERE d.subscription_id = s.id AND d.delivered_at IS NULL AND d.gave_up_at IS NULL)";

fn subscription_row(r: &super::sql::Row<'_>) -> super::sql::Result<Subscription> {
    let events: String = r.get(2)?;
    Ok(Subscription {
        id: r.get(0)?,
        url: r.get(1)?,
        events: events_of(&events),
        description: r.get(3)?,
        created_at: r.get(4)?,
        updated_at: r.get(5)?,
        pending: r.get(6)?,
    })
}

/// One subscription (without its secret).
pub fn get(conn: &Connection, id: &str) -> Result<Option<Subscription>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM webhook_subscriptions s WHERE s.id = ?1"
        ))?
        .query_row([id], subscription_row)
        .optional()?)
}

/// Every subscription, oldest first (there are few: an administrator makes them).
pub fn list(conn: &Connection) -> Result<Vec<Subscription>, StoreError> {
    let rows = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM webhook_subscriptions s ORDER BY s.created_at, s.id"
        ))?
        .query_map([], subscription_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Removes a subscription with its queue and history; whether it existed.
pub fn delete(conn: &Connection, id: &str) -> Result<bool, StoreError> {
    conn.prepare_cached("DELETE FROM webhook_deliveries WHERE subscription_id = ?1")?
        .execute([id])?;
    conn.prepare_cached("DELETE FROM webhook_subscription_events WHERE subscription_id = ?1")?
        .execute([id])?;
    let n = conn
        .prepare_cached("DELETE FROM webhook_subscriptions WHERE id = ?1")?
        .execute([id])?;
    Ok(n > 0)
}

/// Replaces the signing key; whether the subscription exists. Deliveries not yet sent are
/// signed with the new one.
pub fn rotate_secret(
    conn: &Connection,
    id: &str,
    secret: &str,
    now: Millis,
) -> Result<bool, StoreError> {
    let n = conn
        .prepare_cached(
            "UPDATE webhook_subscriptions SET secret = ?2, updated_at = ?3 WHERE id = ?1",
        )?
        .execute(params![id, secret, now])?;
    Ok(n > 0)
}

/// A subscription's deliveries, newest first, and how many it has in all.
pub fn deliveries(
    conn: &Connection,
    subscription: &str,
    limit: usize,
    offset: usize,
) -> Result<(Vec<Delivery>, i64), StoreError> {
    let limit = i64::try_from(limit.min(PAGE_MAX)).unwrap_or(0);
    let offset = i64::try_from(offset).unwrap_or(i64::MAX);
    let rows = conn
        .prepare_cached(
            "SELECT d.id, d.event_id, e.type, d.attempts, d.last_status, d.last_error,
                    d.next_attempt_at, d.created_at, d.delivered_at, d.gave_up_at
             FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
             WHERE d.subscription_id = ?1
             ORDER BY d.id DESC LIMIT ?2 OFFSET ?3",
        )?
        .query_map(params![subscription, limit, offset], |r| {
            let status: Option<i64> = r.get(4)?;
            Ok(Delivery {
                id: r.get(0)?,
                event_id: r.get(1)?,
                event_type: r.get(2)?,
                attempts: r.get(3)?,
                last_status: status.and_then(|s| u16::try_from(s).ok()),
                last_error: r.get(5)?,
                next_attempt_at: r.get(6)?,
                created_at: r.get(7)?,
                delivered_at: r.get(8)?,
                gave_up_at: r.get(9)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let total: i64 = conn
        .prepare_cached("SELECT count(*) FROM webhook_deliveries WHERE subscription_id = ?1")?
        .query_row([subscription], |r| r.get(0))?;
    Ok((rows, total))
}

/// How many subscription heads the per-host share-out looks at per poll: bounds each poll's
/// cost however many subscriptions are backed up.
const DUE_WINDOW: i64 = 5_000;

/// Deliveries due at `now`: of each subscription only its oldest open one (order), and of
/// each host at most `per_host` (one receiver's backlog never fills the page), oldest first.
pub fn due(
    conn: &Connection,
    now: Millis,
    limit: usize,
    per_host: usize,
) -> Result<Vec<DeliveryJob>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let per_host = i64::try_from(per_host).unwrap_or(i64::MAX);
    let jobs = conn
        .prepare_cached(
            "WITH heads AS (
                 -- One indexed probe per subscription (webhook_deliveries_open), however
                 -- long a subscription's backlog is.
                 SELECT s.id AS subscription_id,
                        (SELECT d.id FROM webhook_deliveries d
                         WHERE d.subscription_id = s.id
                           AND d.delivered_at IS NULL AND d.gave_up_at IS NULL
                         ORDER BY d.id LIMIT 1) AS id
                 FROM webhook_subscriptions s),
             due AS (
                 SELECT d.id, d.subscription_id, s.url, s.host, s.secret, d.event_id, e.type,
                        e.payload, e.created_at, d.attempts, d.next_attempt_at
                 FROM heads h
                 JOIN webhook_deliveries d ON d.id = h.id AND h.id IS NOT NULL
                 JOIN webhook_subscriptions s ON s.id = d.subscription_id
                 JOIN webhook_events e ON e.id = d.event_id
                 WHERE d.next_attempt_at <= ?1
                 ORDER BY d.next_attempt_at, d.id
                 LIMIT ?4),
             ranked AS (
                 SELECT *, ROW_NUMBER() OVER (PARTITION BY host
                                              ORDER BY next_attempt_at, id) AS rank
                 FROM due)
             SELECT id, subscription_id, url, host, secret, event_id, type, payload, created_at,
                    attempts
             FROM ranked WHERE rank <= ?3
             ORDER BY next_attempt_at, id LIMIT ?2",
        )?
        .query_map(params![now, limit, per_host, DUE_WINDOW], |r| {
            Ok(DeliveryJob {
                id: r.get(0)?,
                subscription_id: r.get(1)?,
                url: r.get(2)?,
                host: r.get(3)?,
                secret: r.get(4)?,
                event_id: r.get(5)?,
                event_type: r.get(6)?,
                payload: r.get(7)?,
                event_created_at: r.get(8)?,
                attempts: r.get(9)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(jobs)
}

/// Gives up, in one bounded batch, every open delivery of an event made at or before
/// `cutoff` (older than the retry window): a receiver that hangs on each attempt must not
/// make the events queued behind it cost an attempt each before they expire. How many.
pub fn expire(conn: &Connection, cutoff: Millis, now: Millis) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached(
            "UPDATE webhook_deliveries SET gave_up_at = ?2,
                    last_error = COALESCE(last_error, 'expired') || ' (retry window over)'
             WHERE id IN (SELECT id FROM webhook_deliveries INDEXED BY webhook_deliveries_open_age
                          WHERE delivered_at IS NULL AND gave_up_at IS NULL AND created_at <= ?1
                          LIMIT 5000)",
        )?
        .execute(params![cutoff, now])?)
}

/// Records an attempt at delivery `id` (nothing, if its subscription was deleted meanwhile).
pub fn record_attempt(
    conn: &Connection,
    id: i64,
    attempt: &Attempt,
    now: Millis,
) -> Result<(), StoreError> {
    match attempt {
        Attempt::Delivered { status } => conn
            .prepare_cached(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, delivered_at = ?2,
                        last_status = ?3, last_error = NULL WHERE id = ?1",
            )?
            .execute(params![id, now, status])?,
        Attempt::Failed {
            status,
            error,
            next: Some(next),
        } => conn
            .prepare_cached(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = ?2,
                        last_error = ?3, next_attempt_at = ?4 WHERE id = ?1",
            )?
            .execute(params![id, status, error, next])?,
        Attempt::Failed {
            status,
            error,
            next: None,
        } => conn
            .prepare_cached(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = ?2,
                        last_error = ?3, gave_up_at = ?4 WHERE id = ?1",
            )?
            .execute(params![id, status, error, now])?,
    };
    Ok(())
}

/// Most rows one purge step removes (each step is one short write).
pub const PURGE_BATCH: usize = 5_000;

/// Removes up to [`PURGE_BATCH`] deliveries delivered or given up before `before`, then up to
/// as many events from before `before` that no delivery refers to (finished and purged, or
/// their subscription deleted). Returns how many rows went; call again while it is
/// [`PURGE_BATCH`] or more.
pub fn purge_finished(conn: &Connection, before: Millis) -> Result<usize, StoreError> {
    let batch = i64::try_from(PURGE_BATCH).unwrap_or(i64::MAX);
    let deliveries = conn
        .prepare_cached(
            "DELETE FROM webhook_deliveries WHERE id IN (
                 SELECT id FROM webhook_deliveries INDEXED BY webhook_deliveries_finished
                 WHERE (delivered_at IS NOT NULL OR gave_up_at IS NOT NULL)
                   AND coalesce(delivered_at, gave_up_at) < ?1
                 LIMIT ?2)",
        )?
        .execute(params![before, batch])?;
    let events = conn
        .prepare_cached(
            "DELETE FROM webhook_events WHERE id IN (
                 SELECT e.id FROM webhook_events e
                 WHERE e.created_at < ?1
                   AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)
                 LIMIT ?2)",
        )?
        .execute(params![before, batch])?;
    Ok(deliveries.max(events))
}

impl super::Store {
    /// Purges finished deliveries and unreferenced events older than `before` (one step).
    pub async fn subscription_purge(&self, before: Millis) -> Result<usize, StoreError> {
        super::writer::write(&self.writer, move |c| purge_finished(c, before)).await
    }

    /// Stores a new subscription.
    pub async fn subscription_create(
        &self,
        new: NewSubscription,
        now: Millis,
    ) -> Result<(), StoreError> {
        super::writer::write(&self.writer, move |c| create(c, &new, now)).await
    }

    /// One subscription (without its secret).
    pub async fn subscription_get(&self, id: &str) -> Result<Option<Subscription>, StoreError> {
        let id = id.to_owned();
        super::writer::read(&self.reader, move |c| get(c, &id)).await
    }

    /// Every subscription (without secrets).
    pub async fn subscription_list(&self) -> Result<Vec<Subscription>, StoreError> {
        super::writer::read(&self.reader, list).await
    }

    /// Deletes a subscription and its deliveries; whether it existed.
    pub async fn subscription_delete(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        super::writer::write(&self.writer, move |c| delete(c, &id)).await
    }

    /// Replaces a subscription's secret; whether it exists.
    pub async fn subscription_rotate_secret(
        &self,
        id: &str,
        secret: String,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let id = id.to_owned();
        super::writer::write(&self.writer, move |c| rotate_secret(c, &id, &secret, now)).await
    }

    /// A subscription's deliveries, newest first, and their total.
    pub async fn subscription_deliveries(
        &self,
        id: &str,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<Delivery>, i64), StoreError> {
        let id = id.to_owned();
        super::writer::read(&self.reader, move |c| deliveries(c, &id, limit, offset)).await
    }

    /// Subscription deliveries due at `now` (the subscription worker's queue).
    pub async fn subscription_deliveries_due(
        &self,
        now: Millis,
        limit: usize,
        per_host: usize,
    ) -> Result<Vec<DeliveryJob>, StoreError> {
        let mut jobs =
            super::writer::read(&self.reader, move |c| due(c, now, limit, per_host)).await?;
        // Payloads sealed at rest go out opened.
        for job in &mut jobs {
            job.payload = self.reveal(std::mem::take(&mut job.payload));
        }
        Ok(jobs)
    }

    /// Gives up the open deliveries of events made at or before `cutoff` (see [`expire`]).
    pub async fn subscription_deliveries_expire(
        &self,
        cutoff: Millis,
        now: Millis,
    ) -> Result<usize, StoreError> {
        super::writer::write(&self.writer, move |c| expire(c, cutoff, now)).await
    }

    /// Records a delivery attempt.
    pub async fn subscription_attempt(
        &self,
        id: i64,
        attempt: Attempt,
        now: Millis,
    ) -> Result<(), StoreError> {
        super::writer::write(&self.writer, move |c| record_attempt(c, id, &attempt, now)).await
    }

    /// Records event `kind` outside any message change (`modem.up`, `modem.down`) for every
    /// subscription that wants it; its id, or `None` when nobody subscribed.
    pub async fn emit_event(
        &self,
        kind: &'static str,
        data: serde_json::Value,
        now: Millis,
    ) -> Result<Option<String>, StoreError> {
        super::writer::write(&self.writer, move |c| {
            super::events::emit(c, kind, &data, now)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let conn = Connection::for_tests();
        if !conn.is_postgres() {
            conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        }
        super::super::schema::migrate(&conn).unwrap();
        conn
    }

    fn subscribe(conn: &Connection, id: &str, url: &str, events: &[&str]) {
        create(
            conn,
            &NewSubscription {
                id: id.into(),
                url: url.into(),
                events: events.iter().map(|e| e.to_string()).collect(),
                secret: format!("secret-{id}"),
                description: Some("test".into()),
            },
            1,
        )
        .unwrap();
    }

    fn emit(conn: &Connection, kind: &str, n: i64, now: Millis) -> String {
        super::super::events::emit(conn, kind, &serde_json::json!({ "n": n }), now)
            .unwrap()
            .unwrap()
    }

    #[test]
    fn get_and_list_never_carry_the_secret_and_count_pending() {
        let conn = conn();
        subscribe(
            &conn,
            "wh_a",
            "https://a.example/h",
            &["sms.sent", "sms.received"],
        );
        emit(&conn, "sms.sent", 1, 10);
        let s = get(&conn, "wh_a").unwrap().unwrap();
        assert_eq!(s.events, ["sms.sent", "sms.received"]);
        assert_eq!(s.pending, 1);
        assert_eq!(list(&conn).unwrap(), vec![s]);
        assert_eq!(get(&conn, "wh_nope").unwrap(), None);
    }

    #[test]
    fn deliveries_past_the_retry_window_are_given_up_in_bulk_and_purged() {
        let conn = conn();
        subscribe(&conn, "wh_a", "https://a.example/h", &["sms.sent"]);
        for n in 0..5 {
            emit(&conn, "sms.sent", n, 10 + n);
        }
        let fresh = emit(&conn, "sms.sent", 9, 1_000);
        // Events made at or before 12 are over the window: 3 of them, without an attempt.
        assert_eq!(expire(&conn, 12, 2_000).unwrap(), 3);
        assert_eq!(expire(&conn, 12, 2_000).unwrap(), 0, "once");
        let head = due(&conn, 5_000, 10, 4).unwrap();
        assert_eq!(head.len(), 1);
        assert_ne!(head[0].event_id, fresh, "the rest still go in order");
        // Finished ones (given up at 2000) go with the purge, and their events.
        assert_eq!(purge_finished(&conn, 3_000).unwrap(), 3);
        let left: i64 = conn
            .query_row("SELECT count(*) FROM webhook_deliveries", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 3);
    }

    #[test]
    fn only_the_oldest_open_delivery_of_a_subscription_is_due() {
        let conn = conn();
        subscribe(&conn, "wh_a", "https://a.example/h", &["sms.sent"]);
        subscribe(&conn, "wh_b", "https://b.example/h", &["sms.sent"]);
        let first = emit(&conn, "sms.sent", 1, 10);
        let second = emit(&conn, "sms.sent", 2, 11);
        let due_now = due(&conn, 100, 10, 4).unwrap();
        let mut heads: Vec<(&str, &str)> = due_now
            .iter()
            .map(|j| (j.subscription_id.as_str(), j.event_id.as_str()))
            .collect();
        heads.sort();
        assert_eq!(heads, [("wh_a", first.as_str()), ("wh_b", first.as_str())]);
        assert_eq!(
            due_now[0].secret,
            format!("secret-{}", due_now[0].subscription_id)
        );
        // A failed head holds its own queue back, not the other subscription's.
        let a = due_now
            .iter()
            .find(|j| j.subscription_id == "wh_a")
            .unwrap();
        let b = due_now
            .iter()
            .find(|j| j.subscription_id == "wh_b")
            .unwrap();
        let failed = Attempt::Failed {
            status: Some(503),
            error: "HTTP 503".into(),
            next: Some(1_000),
        };
        record_attempt(&conn, a.id, &failed, 100).unwrap();
        record_attempt(&conn, b.id, &Attempt::Delivered { status: 200 }, 100).unwrap();
        let later = due(&conn, 200, 10, 4).unwrap();
        assert_eq!(later.len(), 1);
        assert_eq!(
            (
                later[0].subscription_id.as_str(),
                later[0].event_id.as_str()
            ),
            ("wh_b", second.as_str())
        );
        let retry = due(&conn, 1_000, 10, 4).unwrap();
        let a_again = retry.iter().find(|j| j.subscription_id == "wh_a").unwrap();
        assert_eq!(
            (a_again.event_id.as_str(), a_again.attempts),
            (first.as_str(), 1)
        );
        let (history, total) = deliveries(&conn, "wh_a", 10, 0).unwrap();
        assert_eq!(total, 2);
        assert_eq!(history[1].event_id, first, "newest first");
        assert_eq!(history[1].last_status, Some(503));
        assert_eq!(history[1].last_error.as_deref(), Some("HTTP 503"));
        assert_eq!(history[1].next_attempt_at, 1_000);
        assert_eq!(history[0].attempts, 0);
    }

    #[test]
    fn one_host_gets_at_most_per_host_at_once() {
        let conn = conn();
        for i in 0..5 {
            subscribe(
                &conn,
                &format!("wh_{i}"),
                "https://same.example/h",
                &["sms.sent"],
            );
        }
        subscribe(&conn, "wh_other", "https://other.example/h", &["sms.sent"]);
        emit(&conn, "sms.sent", 1, 10);
        let jobs = due(&conn, 100, 100, 2).unwrap();
        let same = jobs.iter().filter(|j| j.host == "same.example:443").count();
        assert_eq!(same, 2);
        assert!(jobs.iter().any(|j| j.subscription_id == "wh_other"));
    }

    #[test]
    fn given_up_ends_the_delivery_and_frees_the_queue() {
        let conn = conn();
        subscribe(&conn, "wh_a", "https://a.example/h", &["sms.sent"]);
        emit(&conn, "sms.sent", 1, 10);
        let second = emit(&conn, "sms.sent", 2, 11);
        let head = due(&conn, 100, 10, 4).unwrap().remove(0);
        let gave_up = Attempt::Failed {
            status: None,
            error: "could not connect".into(),
            next: None,
        };
        record_attempt(&conn, head.id, &gave_up, 100).unwrap();
        let next = due(&conn, 100, 10, 4).unwrap();
        assert_eq!(next[0].event_id, second);
        let (history, _) = deliveries(&conn, "wh_a", 10, 0).unwrap();
        assert_eq!(history[1].gave_up_at, Some(100));
        assert_eq!(history[1].last_status, None);
    }

    #[test]
    fn purge_removes_finished_deliveries_and_unreferenced_events_only() {
        let conn = conn();
        subscribe(&conn, "wh_a", "https://a.example/h", &["sms.sent"]);
        let old = emit(&conn, "sms.sent", 1, 10);
        let open = emit(&conn, "sms.sent", 2, 11);
        let head = due(&conn, 100, 10, 4).unwrap().remove(0);
        assert_eq!(head.event_id, old);
        record_attempt(&conn, head.id, &Attempt::Delivered { status: 200 }, 100).unwrap();
        // Not yet old enough.
        assert_eq!(purge_finished(&conn, 100).unwrap(), 0);
        assert_eq!(purge_finished(&conn, 101).unwrap(), 1);
        let (left, total) = deliveries(&conn, "wh_a", 10, 0).unwrap();
        assert_eq!((total, left[0].event_id.as_str()), (1, open.as_str()));
        let events: Vec<String> = conn
            .prepare("SELECT id FROM webhook_events")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(events, [open], "the open delivery's event stays");
        // Deleting the subscription leaves its events to the next purge.
        delete(&conn, "wh_a").unwrap();
        assert_eq!(purge_finished(&conn, 101).unwrap(), 1);
    }

    #[test]
    fn delete_takes_the_queue_along_and_rotate_changes_the_key() {
        let conn = conn();
        subscribe(&conn, "wh_a", "https://a.example/h", &["sms.sent"]);
        emit(&conn, "sms.sent", 1, 10);
        assert!(rotate_secret(&conn, "wh_a", "new", 20).unwrap());
        assert_eq!(due(&conn, 100, 10, 4).unwrap()[0].secret, "new");
        assert!(!rotate_secret(&conn, "wh_nope", "new", 20).unwrap());
        assert!(delete(&conn, "wh_a").unwrap());
        assert!(!delete(&conn, "wh_a").unwrap());
        assert!(due(&conn, 100, 10, 4).unwrap().is_empty());
        // Nobody subscribes any more: the next change writes nothing.
        assert_eq!(
            super::super::events::emit(&conn, "sms.sent", &serde_json::json!({}), 30).unwrap(),
            None
        );
    }
}
