//! The webhook outbox: a status callback is queued in the same transaction as the status
//! change it reports (so a crash can neither lose one nor invent one), then delivered by
//! the worker in `crate::webhooks`, which records each attempt here.
//!
//! Which changes are reported: `sent`, `delivered`, `undelivered`, `failed`, `expired`,
//! `cancelled` — what a client acts on; `queued` is the 202 itself and `sending` is internal.

use super::types::StoreError;
use crate::message::{format_millis, MessageId, MessageStatus, Millis};
use rusqlite::{params, Connection, OptionalExtension};

/// A callback waiting to be delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookJob {
    /// Outbox row.
    pub id: i64,
    /// The message it reports on.
    pub message_id: MessageId,
    /// Where to POST.
    pub url: String,
    /// The JSON body.
    pub payload: String,
    /// Attempts made so far.
    pub attempts: u32,
}

fn reported(status: MessageStatus) -> bool {
    matches!(
        status,
        MessageStatus::Sent
            | MessageStatus::Delivered
            | MessageStatus::Undelivered
            | MessageStatus::Failed
            | MessageStatus::Expired
            | MessageStatus::Cancelled
    )
}

/// Queues the callback for `id`'s change `from → to`, if it has a `callback_url` and the
/// change is one clients are told about. Called by `queue::transition`.
pub fn enqueue_for_transition(
    conn: &Connection,
    id: MessageId,
    from: MessageStatus,
    to: MessageStatus,
    route: Option<&str>,
    detail: Option<&str>,
    now: Millis,
) -> Result<(), StoreError> {
    if !reported(to) {
        return Ok(());
    }
    type Row = (
        Option<String>,
        String,
        Option<String>,
        String,
        Option<String>,
    );
    let row: Option<Row> = conn
        .prepare_cached(
            "SELECT callback_url, batch_id, custom_id, recipient, metadata FROM messages WHERE id = ?1",
        )?
        .query_row([id.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .optional()?;
    let Some((Some(url), batch_id, custom_id, recipient, metadata)) = row else {
        return Ok(());
    };
    let metadata: serde_json::Value = metadata
        .as_deref()
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or(serde_json::Value::Null);
    let payload = serde_json::json!({
        "event": "message.status",
        "id": id,
        "batch_id": batch_id,
        "custom_id": custom_id,
        "to": recipient,
        "status": to,
        "previous_status": from,
        "at": format_millis(now),
        "route": route,
        "detail": detail,
        "metadata": metadata,
    });
    conn.prepare_cached(
        "INSERT INTO webhook_outbox (message_id, url, payload, next_attempt_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
    )?
    .execute(params![id.0, url, payload.to_string(), now])?;
    Ok(())
}

/// Callbacks due at `now`, oldest first.
pub fn due(conn: &Connection, now: Millis, limit: usize) -> Result<Vec<WebhookJob>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let jobs = conn
        .prepare_cached(
            "SELECT id, message_id, url, payload, attempts FROM webhook_outbox o
             WHERE delivered_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= ?1
               -- One message's callbacks go out in order: none while an older one waits.
               AND NOT EXISTS (SELECT 1 FROM webhook_outbox p
                               WHERE p.message_id = o.message_id AND p.id < o.id
                                 AND p.delivered_at IS NULL AND p.gave_up_at IS NULL)
             ORDER BY next_attempt_at, id LIMIT ?2",
        )?
        .query_map(params![now, limit], |r| {
            Ok(WebhookJob {
                id: r.get(0)?,
                message_id: MessageId(r.get(1)?),
                url: r.get(2)?,
                payload: r.get(3)?,
                attempts: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(jobs)
}

/// Records an attempt: delivered, to retry at `next_attempt_at`, or given up (`None`).
pub fn record_attempt(
    conn: &Connection,
    id: i64,
    outcome: Result<(), (&str, Option<Millis>)>,
    now: Millis,
) -> Result<(), StoreError> {
    match outcome {
        Ok(()) => conn
            .prepare_cached("UPDATE webhook_outbox SET attempts = attempts + 1, delivered_at = ?2 WHERE id = ?1")?
            .execute(params![id, now])?,
        Err((error, Some(next))) => conn
            .prepare_cached(
                "UPDATE webhook_outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3 WHERE id = ?1",
            )?
            .execute(params![id, error, next])?,
        Err((error, None)) => conn
            .prepare_cached(
                "UPDATE webhook_outbox SET attempts = attempts + 1, last_error = ?2, gave_up_at = ?3 WHERE id = ?1",
            )?
            .execute(params![id, error, now])?,
    };
    Ok(())
}

/// The value of setting `key`, created with `make` the first time.
pub fn setting_or_init(
    conn: &Connection,
    key: &str,
    make: impl FnOnce() -> String,
) -> Result<String, StoreError> {
    let existing: Option<String> = conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?;
    if let Some(value) = existing {
        return Ok(value);
    }
    let value = make();
    conn.prepare_cached("INSERT INTO settings (key, value) VALUES (?1, ?2)")?
        .execute(params![key, value])?;
    Ok(value)
}
