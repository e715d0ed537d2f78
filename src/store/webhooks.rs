//! The webhook outbox: a status callback is queued in the same transaction as the status
//! change it reports (so a crash can neither lose one nor invent one), then delivered by
//! the worker in `crate::webhooks`, which records each attempt here.
//!
//! Which changes are reported: `sent`, `delivered`, `undelivered`, `failed`, `expired`,
//! `cancelled` — what a client acts on; `queued` is the 202 itself and `sending` is internal.
//!
//! The client's metadata is not copied into each queued callback (a batch of 10,000 with
//! 16 KB of metadata would write it 40,000 times): it is kept once on the batch and put into
//! the payload, verbatim, when the callback is read for delivery.

use super::sql::{params, Connection, OptionalExtension};
use super::types::StoreError;
use crate::message::{format_millis, MessageId, MessageStatus, Millis, RawJson};

/// A callback waiting to be delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookJob {
    /// Outbox row.
    pub id: i64,
    /// The message it reports on.
    pub message_id: MessageId,
    /// Where to POST.
    pub url: String,
    /// Its `host[:port]` (see `crate::url_policy::host_key`).
    pub host: String,
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
/// change is one clients are told about. Called by `state::transition`.
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
            "SELECT COALESCE(callback_url, (SELECT b.callback_url FROM batches b WHERE b.id = batch_id)),
                    batch_id, custom_id, recipient, recipient_name
             FROM messages WHERE id = ?1",
        )?
        .query_row([id.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .optional()?;
    let Some((Some(url), batch_id, custom_id, recipient, recipient_name)) = row else {
        return Ok(());
    };
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
        "recipient_name": recipient_name,
    });
    conn.prepare_cached(
        "INSERT INTO webhook_outbox (message_id, url, host, payload, next_attempt_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    )?
    .execute(params![
        id.0,
        url,
        crate::url_policy::host_key(&url),
        payload.to_string(),
        now
    ])?;
    Ok(())
}

/// How many of the oldest due callbacks the per-host share-out looks at: bounds each poll's
/// cost however large the backlog is (a host with more than this many due waits its turn).
const DUE_WINDOW: i64 = 5_000;

/// Callbacks due at `now`, oldest first, at most `per_host` of each host (so that one
/// host's backlog never fills the page), and of each message only its oldest undelivered
/// one (a message's callbacks go out in order). The payload is as queued: without the
/// client's metadata (see [`metadata_of`] and [`with_metadata`]).
pub fn due(
    conn: &Connection,
    now: Millis,
    limit: usize,
    per_host: usize,
) -> Result<Vec<WebhookJob>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let per_host = i64::try_from(per_host).unwrap_or(i64::MAX);
    let jobs = conn
        .prepare_cached(
            "WITH due AS (
                 SELECT o.id, o.message_id, o.url, o.payload, o.attempts,
                        COALESCE(o.host, o.url) AS host, o.next_attempt_at
                 FROM webhook_outbox o
                 WHERE o.delivered_at IS NULL AND o.gave_up_at IS NULL
                   AND o.next_attempt_at <= ?1
                   -- One message's callbacks go out in order: none while an older one waits.
                   AND NOT EXISTS (SELECT 1 FROM webhook_outbox p
                                   WHERE p.message_id = o.message_id AND p.id < o.id
                                     AND p.delivered_at IS NULL AND p.gave_up_at IS NULL)
                 ORDER BY o.next_attempt_at, o.id
                 LIMIT ?4),
             ranked AS (
                 SELECT *, ROW_NUMBER() OVER (PARTITION BY host
                                              ORDER BY next_attempt_at, id) AS rank
                 FROM due)
             SELECT id, message_id, url, payload, attempts, host FROM ranked
             WHERE rank <= ?3
             ORDER BY next_attempt_at, id LIMIT ?2",
        )?
        .query_map(params![now, limit, per_host, DUE_WINDOW], |r| {
            let url: String = r.get(2)?;
            let host: String = r.get(5)?;
            Ok(WebhookJob {
                id: r.get(0)?,
                message_id: MessageId(r.get(1)?),
                // A row queued before hosts were recorded has its URL as the key.
                host: if host == url {
                    crate::url_policy::host_key(&url)
                } else {
                    host
                },
                url,
                payload: r.get(3)?,
                attempts: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(jobs)
}

/// The client's metadata for a message's callbacks: its own (messages accepted before
/// metadata was kept on the batch) or its batch's.
pub fn metadata_of(conn: &Connection, id: MessageId) -> Result<Option<RawJson>, StoreError> {
    let text: Option<Option<String>> = conn
        .prepare_cached(
            "SELECT COALESCE(m.metadata, b.metadata) FROM messages m
             JOIN batches b ON b.id = m.batch_id WHERE m.id = ?1",
        )?
        .query_row([id.0], |r| r.get(0))
        .optional()?;
    Ok(text.flatten().map(RawJson::from_stored))
}

/// The payload with `"metadata"` set to the client's JSON, verbatim (`null` without any).
/// A payload queued before metadata was kept on the batch already has it and is left as is.
pub fn with_metadata(payload: String, metadata: Option<RawJson>) -> String {
    #[derive(serde::Serialize)]
    struct Full<'a> {
        #[serde(flatten)]
        fields: serde_json::Map<String, serde_json::Value>,
        metadata: Option<&'a RawJson>,
    }
    let Ok(fields) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&payload)
    else {
        return payload;
    };
    if fields.contains_key("metadata") {
        return payload;
    }
    serde_json::to_string(&Full {
        fields,
        metadata: metadata.as_ref(),
    })
    .unwrap_or(payload)
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

impl super::Store {
    /// Status callbacks due at `now` (the webhook worker's queue).
    pub async fn webhooks_due(
        &self,
        now: Millis,
        limit: usize,
        per_host: usize,
    ) -> Result<Vec<WebhookJob>, StoreError> {
        super::writer::read(&self.reader, move |c| due(c, now, limit, per_host)).await
    }

    /// The client's metadata that a message's callbacks carry.
    pub async fn webhook_metadata(
        &self,
        id: MessageId,
    ) -> Result<Option<crate::message::RawJson>, StoreError> {
        super::writer::read(&self.reader, move |c| metadata_of(c, id)).await
    }

    /// A callback was delivered.
    pub async fn webhook_delivered(&self, id: i64, now: Millis) -> Result<(), StoreError> {
        super::writer::write(&self.writer, move |c| record_attempt(c, id, Ok(()), now)).await
    }

    /// A callback failed: retried at `next_attempt_at`, or given up when `None`.
    pub async fn webhook_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: Option<Millis>,
        now: Millis,
    ) -> Result<(), StoreError> {
        let error = error.to_owned();
        super::writer::write(&self.writer, move |c| {
            record_attempt(c, id, Err((&error, next_attempt_at)), now)
        })
        .await
    }

    /// An installation-wide setting, created by `make` the first time it is asked for.
    pub async fn setting_or_init(
        &self,
        key: &str,
        make: impl FnOnce() -> String + Send + 'static,
    ) -> Result<String, StoreError> {
        let key = key.to_owned();
        super::writer::write(&self.writer, move |c| setting_or_init(c, &key, make)).await
    }
}
