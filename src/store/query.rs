//! Reads: one message with its segments and events, lists, batch summaries, queue depth.
//!
//! Runs on a reader connection (its own thread, `query_only`) inside one read transaction,
//! so a detail's message, segments and events are one consistent snapshot. Never imports
//! anything above `message`; never writes.
//! Invariants: lists are newest first (`created_at DESC, id DESC`) and never longer than
//! [`LIST_LIMIT_MAX`]; filters are bound parameters, never SQL text.

use super::sql::Value;
use super::sql::{params, params_from_iter, Connection, OptionalExtension, Row};
use super::types::AcceptedRow;
use super::types::{
    parse_message_type, parse_sms_type, parse_status, BatchSummary, Event, ListFilter,
    MessageDetail, MessageSummary, SegmentDetail, StoreError, LIST_LIMIT_MAX,
};
use crate::message::{MessageId, Millis, RawJson};
use std::collections::BTreeMap;

/// The summary columns, in the order [`summary_from_row`] reads them.
const SUMMARY_COLUMNS: &str = "id, batch_id, recipient, status, sms_type, message_type, encoding,
    segments, priority, custom_id, route, attempts, error, created_at, updated_at, schedule_at,
    expire_at, sent_at, final_at";

/// The raw text columns that need parsing after the row is read.
struct RawSummary {
    summary: MessageSummary,
    status: String,
    sms_type: String,
    message_type: String,
}

fn summary_from_row(r: &Row<'_>) -> super::sql::Result<RawSummary> {
    let status: String = r.get(3)?;
    let sms_type: String = r.get(4)?;
    let message_type: String = r.get(5)?;
    Ok(RawSummary {
        summary: MessageSummary {
            id: MessageId(r.get(0)?),
            batch_id: r.get(1)?,
            recipient: r.get(2)?,
            // Placeholders, replaced by `RawSummary::parse`.
            status: crate::message::MessageStatus::Queued,
            sms_type: crate::message::SmsType::Transactional,
            message_type: crate::message::MessageType::Text,
            encoding: r.get(6)?,
            segments: r.get(7)?,
            priority: r.get(8)?,
            custom_id: r.get(9)?,
            route: r.get(10)?,
            attempts: r.get(11)?,
            error: r.get(12)?,
            created_at: r.get(13)?,
            updated_at: r.get(14)?,
            schedule_at: r.get(15)?,
            expire_at: r.get(16)?,
            sent_at: r.get(17)?,
            final_at: r.get(18)?,
        },
        status,
        sms_type,
        message_type,
    })
}

impl RawSummary {
    fn parse(self) -> Result<MessageSummary, StoreError> {
        Ok(MessageSummary {
            status: parse_status(&self.status)?,
            sms_type: parse_sms_type(&self.sms_type)?,
            message_type: parse_message_type(&self.message_type)?,
            ..self.summary
        })
    }
}

/// One message with its segments and events.
pub fn get(conn: &Connection, id: MessageId) -> Result<Option<MessageDetail>, StoreError> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, body,
                COALESCE(metadata, (SELECT b.metadata FROM batches b WHERE b.id = batch_id)),
                COALESCE(callback_url, (SELECT b.callback_url FROM batches b WHERE b.id = batch_id)),
                provider, recipient_name
         FROM messages WHERE id = ?1"
    );
    let row = conn
        .prepare_cached(&sql)?
        .query_row([id.0], |r| {
            Ok((
                summary_from_row(r)?,
                r.get::<_, String>(19)?,
                r.get::<_, Option<String>>(20)?,
                r.get::<_, Option<String>>(21)?,
                r.get::<_, Option<String>>(22)?,
                r.get::<_, Option<String>>(23)?,
            ))
        })
        .optional()?;
    let Some((raw, body, metadata, callback_url, provider, recipient_name)) = row else {
        return Ok(None);
    };
    let metadata = metadata.map(RawJson::from_stored);
    let segments_detail = conn
        .prepare_cached(
            "SELECT seq, route, message_ref, provider_id, status, tp_st, sent_at, report_at, cost
             FROM segments WHERE message_id = ?1 ORDER BY seq",
        )?
        .query_map([id.0], |r| {
            Ok(SegmentDetail {
                seq: r.get(0)?,
                route: r.get(1)?,
                message_ref: r.get(2)?,
                provider_id: r.get(3)?,
                status: r.get(4)?,
                tp_st: r.get(5)?,
                sent_at: r.get(6)?,
                report_at: r.get(7)?,
                cost: r.get(8)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let events = conn
        .prepare_cached(
            "SELECT at, status, route, detail FROM events WHERE message_id = ?1 ORDER BY id",
        )?
        .query_map([id.0], |r| {
            Ok((
                r.get::<_, Millis>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .map(|(at, status, route, detail)| {
            Ok(Event {
                at,
                status: parse_status(&status)?,
                route,
                detail,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Some(MessageDetail {
        summary: raw.parse()?,
        body,
        metadata,
        recipient_name,
        callback_url,
        provider,
        segments_detail,
        events,
    }))
}

/// The `WHERE` clause of a filter (paging left out) and its values.
fn filter_clause(filter: &ListFilter) -> (String, Vec<Value>) {
    let mut clauses: Vec<&str> = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    if let Some(status) = filter.status {
        clauses.push("status = ?");
        values.push(Value::Text(status.as_str().into()));
    }
    if let Some(sms_type) = filter.sms_type {
        clauses.push("sms_type = ?");
        values.push(Value::Text(sms_type.as_str().into()));
    }
    if let Some(batch_id) = &filter.batch_id {
        clauses.push("batch_id = ?");
        values.push(Value::Text(batch_id.clone()));
    }
    if let Some(from) = filter.date_from {
        clauses.push("created_at >= ?");
        values.push(Value::Integer(from));
    }
    if let Some(to) = filter.date_to {
        clauses.push("created_at <= ?");
        values.push(Value::Integer(to));
    }
    if let Some(recipient) = &filter.recipient {
        clauses.push("recipient = ?");
        values.push(Value::Text(recipient.clone()));
    }
    if let Some(before) = filter.before_id {
        clauses.push("id < ?");
        values.push(Value::Integer(before.0));
    }
    let filter_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    (filter_sql, values)
}

/// How many messages match the filter, whatever its page (`limit`, `offset`).
pub fn count(conn: &Connection, filter: &ListFilter) -> Result<u64, StoreError> {
    let (filter_sql, values) = filter_clause(filter);
    let sql = format!("SELECT count(*) FROM messages {filter_sql}");
    let n: i64 = conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(values), |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Messages matching the filter, newest first.
pub fn list(conn: &Connection, filter: &ListFilter) -> Result<Vec<MessageSummary>, StoreError> {
    let (filter_sql, mut values) = filter_clause(filter);
    let limit = filter.limit.min(LIST_LIMIT_MAX);
    values.push(Value::Integer(i64::try_from(limit).unwrap_or(0)));
    values.push(Value::Integer(
        i64::try_from(filter.offset).unwrap_or(i64::MAX),
    ));
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM messages {filter_sql}
         ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
    );
    conn.prepare_cached(&sql)?
        .query_map(params_from_iter(values), summary_from_row)?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .map(RawSummary::parse)
        .collect()
}

/// A batch with its count per status.
pub fn batch(conn: &Connection, id: &str) -> Result<Option<BatchSummary>, StoreError> {
    let found: Option<(String, Option<String>, Millis)> = conn
        .prepare_cached("SELECT id, name, created_at FROM batches WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((id, name, created_at)) = found else {
        return Ok(None);
    };
    let mut by_status = BTreeMap::new();
    let mut total = 0u64;
    let rows = conn
        .prepare_cached(
            "SELECT status, count(*) FROM messages WHERE batch_id = ?1 GROUP BY status",
        )?
        .query_map(params![id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    for (status, count) in rows {
        let count = u64::try_from(count).unwrap_or(0);
        total += count;
        by_status.insert(status, count);
    }
    Ok(Some(BatchSummary {
        id,
        name,
        created_at,
        total,
        by_status,
    }))
}

/// Messages not yet through: queued, scheduled or sending.
pub fn queue_depth(conn: &Connection) -> Result<u64, StoreError> {
    let depth: i64 = conn
        .prepare_cached(
            "SELECT (SELECT count(*) FROM messages WHERE status IN ('queued', 'scheduled'))
                  + (SELECT count(*) FROM messages WHERE status = 'sending')",
        )?
        .query_row([], |r| r.get(0))?;
    Ok(u64::try_from(depth).unwrap_or(0))
}

/// The batch accepted under an idempotency key of a scope (an API key's name, `""` when
/// the API is open), with the fingerprint of the request that made it (none before
/// fingerprints were kept).
pub fn batch_for_key(
    conn: &Connection,
    scope: &str,
    key: &str,
) -> Result<Option<(String, Option<String>)>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT id, fingerprint FROM batches
             WHERE idempotency_scope = ?1 AND idempotency_key = ?2",
        )?
        .query_row([scope, key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// The messages a batch accepted, in request order: id, recipient, encoding, segment count
/// and status — what an idempotent replay answers with.
pub fn batch_messages(
    conn: &Connection,
    batch_id: &str,
) -> Result<Vec<super::types::AcceptedRow>, StoreError> {
    conn.prepare_cached(
        "SELECT id, recipient, encoding, segments, status FROM messages
         WHERE batch_id = ?1 ORDER BY batch_pos",
    )?
    .query_map([batch_id], |r| {
        Ok((
            MessageId(r.get(0)?),
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?
    .collect::<Result<Vec<_>, _>>()?
    .into_iter()
    .map(|(id, recipient, encoding, segments, status)| {
        Ok(super::types::AcceptedRow {
            id,
            recipient,
            encoding,
            segments: usize::try_from(segments).unwrap_or(0),
            status: parse_status(&status)?,
        })
    })
    .collect()
}

impl super::Store {
    /// One message with its segments and events.
    pub async fn get(&self, id: MessageId) -> Result<Option<MessageDetail>, StoreError> {
        let detail = super::writer::read(&self.reader, move |c| get(c, id)).await?;
        Ok(detail.map(|mut d| {
            d.body = self.reveal(std::mem::take(&mut d.body));
            d
        }))
    }

    /// Messages matching the filter, newest first.
    pub async fn list(&self, filter: ListFilter) -> Result<Vec<MessageSummary>, StoreError> {
        super::writer::read(&self.reader, move |c| list(c, &filter)).await
    }

    /// How many messages match the filter, whatever its page.
    pub async fn count(&self, filter: ListFilter) -> Result<u64, StoreError> {
        super::writer::read(&self.reader, move |c| count(c, &filter)).await
    }

    /// A batch with its count per status.
    pub async fn batch(&self, id: &str) -> Result<Option<BatchSummary>, StoreError> {
        let id = id.to_owned();
        super::writer::read(&self.reader, move |c| batch(c, &id)).await
    }

    /// The messages of a batch in request order (what a replay answers with).
    pub async fn batch_messages(&self, batch_id: &str) -> Result<Vec<AcceptedRow>, StoreError> {
        let batch_id = batch_id.to_string();
        super::writer::read(&self.reader, move |c| batch_messages(c, &batch_id)).await
    }

    /// The batch accepted under an idempotency key of `scope` (an API key's name, `""` on
    /// an open API), with its request's fingerprint: a request with the key is a replay if
    /// the fingerprints match, a conflict if not.
    pub async fn batch_for_key(
        &self,
        scope: &str,
        key: &str,
    ) -> Result<Option<(String, Option<String>)>, StoreError> {
        let (scope, key) = (scope.to_string(), key.to_string());
        super::writer::read(&self.reader, move |c| batch_for_key(c, &scope, &key)).await
    }

    /// Messages queued, scheduled or sending.
    pub async fn queue_depth(&self) -> Result<u64, StoreError> {
        super::writer::read(&self.reader, queue_depth).await
    }
}
