//! Webhook events: what a subscription is told, written in the transaction of the change it
//! reports (so a crash can neither lose an event nor invent one), fanned out at write time
//! into one delivery row per subscription that wants its type.
//!
//! An event is stored once (`webhook_events`, its body complete: `{"id", "type",
//! "created_at", "data"}`) and delivered per subscription (`webhook_deliveries`). A change
//! nobody subscribed to writes nothing: the lookup of the subscribers of a type is one
//! indexed read.
//!
//! Never imports anything above layer 1.

use super::sql::{params, Connection};
use super::types::StoreError;
use crate::message::{format_millis, Millis};
use serde::Serialize;

/// The event types a subscription may ask for.
pub const EVENT_TYPES: &[&str] = &[
    "sms.received",
    "sms.queued",
    "sms.sent",
    "sms.delivered",
    "sms.failed",
    "sms.expired",
    "conversation.closed",
    "optout.changed",
    "modem.up",
    "modem.down",
    "modem.balance_low",
    "otp.verified",
];

/// A new event id: `evt_` and 128 random bits in hex (the receiver's de-duplication key).
pub fn new_event_id() -> String {
    let bytes: [u8; 16] = rand::random();
    format!("evt_{}", hex::encode(bytes))
}

/// Whether any subscription takes events of type `kind`.
pub fn has_subscribers(conn: &Connection, kind: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM webhook_subscription_events WHERE event = ?1 LIMIT 1")?
        .exists([kind])?)
}

/// Records event `kind` with `data` for every subscription that wants it; returns its id,
/// or `None` when nobody subscribed (nothing is written then).
pub fn emit(
    conn: &Connection,
    kind: &str,
    data: &impl Serialize,
    now: Millis,
) -> Result<Option<String>, StoreError> {
    let subscribers: Vec<String> = conn
        .prepare_cached("SELECT subscription_id FROM webhook_subscription_events WHERE event = ?1")?
        .query_map([kind], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if subscribers.is_empty() {
        return Ok(None);
    }
    #[derive(Serialize)]
    struct Body<'a, D: Serialize> {
        id: &'a str,
        #[serde(rename = "type")]
        kind: &'a str,
        created_at: String,
        data: &'a D,
    }
    let id = new_event_id();
    let body = serde_json::to_string(&Body {
        id: &id,
        kind,
        created_at: format_millis(now),
        data,
    })
    .map_err(|e| StoreError::Sqlite(format!("event {kind} not serialisable: {e}")))?;
    conn.prepare_cached(
        "INSERT INTO webhook_events (id, type, created_at, payload) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        id,
        kind,
        now,
        super::at_rest::seal_for_storage(&body)
    ])?;
    let mut deliver = conn.prepare_cached(
        "INSERT INTO webhook_deliveries (subscription_id, event_id, next_attempt_at, created_at)
         VALUES (?1, ?2, ?3, ?3)",
    )?;
    for subscription in &subscribers {
        deliver.execute(params![subscription, id, now])?;
    }
    Ok(Some(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let conn = Connection::for_tests();
        super::super::schema::migrate(&conn).unwrap();
        conn
    }

    fn subscribe(conn: &Connection, id: &str, events: &[&str]) {
        conn.execute(
            "INSERT INTO webhook_subscriptions (id, url, host, events, secret, created_at, updated_at)
             VALUES (?1, 'https://example.com/h', 'example.com', '[]', 's', 0, 0)",
            [id],
        )
        .unwrap();
        for e in events {
            conn.execute(
                "INSERT INTO webhook_subscription_events (event, subscription_id) VALUES (?1, ?2)",
                params![e, id],
            )
            .unwrap();
        }
    }

    fn count(conn: &Connection, table: &str) -> i64 {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn an_event_nobody_wants_writes_nothing() {
        let conn = conn();
        subscribe(&conn, "wh_a", &["sms.sent"]);
        let id = emit(&conn, "sms.received", &serde_json::json!({"x": 1}), 5).unwrap();
        assert_eq!(id, None);
        assert_eq!(count(&conn, "webhook_events"), 0);
        assert_eq!(count(&conn, "webhook_deliveries"), 0);
    }

    #[test]
    fn an_event_is_stored_once_and_delivered_to_each_subscriber() {
        let conn = conn();
        subscribe(&conn, "wh_a", &["sms.received", "sms.sent"]);
        subscribe(&conn, "wh_b", &["sms.received"]);
        subscribe(&conn, "wh_c", &["sms.sent"]);
        let id = emit(
            &conn,
            "sms.received",
            &serde_json::json!({"from": "+4917"}),
            1_000,
        )
        .unwrap()
        .unwrap();
        assert!(id.starts_with("evt_") && id.len() == 36, "{id}");
        assert_eq!(count(&conn, "webhook_events"), 1);
        let mut receivers: Vec<String> = conn
            .prepare("SELECT subscription_id FROM webhook_deliveries WHERE event_id = ?1")
            .unwrap()
            .query_map([&id], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        receivers.sort();
        assert_eq!(receivers, ["wh_a", "wh_b"]);
        let payload: String = conn
            .query_row("SELECT payload FROM webhook_events", [], |r| r.get(0))
            .unwrap();
        let body: serde_json::Value = serde_json::from_str(&payload).unwrap();
        assert_eq!(body["id"], id.as_str());
        assert_eq!(body["type"], "sms.received");
        assert_eq!(
            crate::message::parse_rfc3339(body["created_at"].as_str().unwrap()),
            Some(1_000)
        );
        assert_eq!(body["data"]["from"], "+4917");
    }
}
