//! The message state machine as stored: reading a message's status, moving it (every
//! change through [`transition`], which asks [`MessageStatus::can_become`], refuses anything
//! else with `StoreError::Conflict`, writes the `events` row, moves the analytics rollup and
//! queues the status callback in the same transaction), and wiping a secret once its message no longer needs it.
//!
//! The one module the queue, status reports and provider callbacks all move messages
//! through — none of them calls another to change a status. Imports only the store's types,
//! its webhook outbox and `message`.

use super::sql::{params, Connection, OptionalExtension};
use super::types::StoreError;
use crate::message::{MessageId, MessageStatus, Millis};

/// The status of a message, or `NotFound`.
pub fn status_of(conn: &Connection, id: MessageId) -> Result<MessageStatus, StoreError> {
    let text: Option<String> = conn
        .prepare_cached("SELECT status FROM messages WHERE id = ?1")?
        .query_row([id.0], |r| r.get(0))
        .optional()?;
    let text = text.ok_or(StoreError::NotFound)?;
    MessageStatus::parse(&text)
        .ok_or_else(|| StoreError::Sqlite(format!("message {id}: unknown status {text:?}")))
}

/// PostgreSQL: the status, with the row locked until the transaction ends, so that two
/// nodes changing one message (a report received on one while the other records its send)
/// take turns and each sees the other's change. SQLite has one writer; it needs no lock.
fn status_for_change(conn: &Connection, id: MessageId) -> Result<MessageStatus, StoreError> {
    let text: Option<String> = conn
        .prepare_cached("SELECT status FROM messages WHERE id = ?1 FOR UPDATE")?
        .query_row([id.0], |r| r.get(0))
        .optional()?;
    let text = text.ok_or(StoreError::NotFound)?;
    MessageStatus::parse(&text)
        .ok_or_else(|| StoreError::Sqlite(format!("message {id}: unknown status {text:?}")))
}

/// Moves a message to `to` if the state machine allows it (and, when `only_from` is given,
/// only from one of those), writing the event row. Returns the status it had.
pub fn transition(
    conn: &Connection,
    id: MessageId,
    only_from: Option<&[MessageStatus]>,
    to: MessageStatus,
    route: Option<&str>,
    detail: Option<&str>,
    now: Millis,
) -> Result<MessageStatus, StoreError> {
    let from = if conn.is_postgres() {
        status_for_change(conn, id)?
    } else {
        status_of(conn, id)?
    };
    let allowed = from.can_become(to) && only_from.is_none_or(|list| list.contains(&from));
    if !allowed {
        return Err(StoreError::Conflict(format!(
            "message {id} is {from} and cannot become {to}"
        )));
    }
    conn.prepare_cached(
        "UPDATE messages SET status = ?2, updated_at = ?3,
                final_at = CASE WHEN ?4 THEN ?3 ELSE final_at END
         WHERE id = ?1",
    )?
    .execute(params![id.0, to.as_str(), now, to.is_final()])?;
    super::analytics::sync(conn, id, route)?;
    let failed_attempt = matches!(to, MessageStatus::Failed | MessageStatus::Undelivered)
        || (to == MessageStatus::Queued && from == MessageStatus::Sending);
    if let (true, Some(route)) = (failed_attempt, route) {
        super::analytics::record_error(conn, route, detail, now)?;
    }
    if to == MessageStatus::Sent || to.is_final() {
        wipe_secret(conn, id)?;
    }
    insert_event(conn, id, to, route, detail, now)?;
    super::webhooks::enqueue_for_transition(conn, id, from, to, route, detail, now)?;
    if let (MessageStatus::Sent, Some(route)) = (to, route) {
        super::conversations::attach_sent(conn, id, route, now)?;
    }
    // `sms.queued` is the acceptance (see `queue::enqueue`), not a retry going back.
    if !matches!(to, MessageStatus::Queued | MessageStatus::Scheduled) {
        status_event(conn, id, from, to, route, detail, now)?;
    }
    Ok(from)
}

/// The subscription event type of a change to `to`, if subscribers are told of it.
pub(super) fn event_type(to: MessageStatus) -> Option<&'static str> {
    match to {
        MessageStatus::Queued | MessageStatus::Scheduled => Some("sms.queued"),
        MessageStatus::Sent => Some("sms.sent"),
        MessageStatus::Delivered => Some("sms.delivered"),
        MessageStatus::Failed | MessageStatus::Undelivered => Some("sms.failed"),
        MessageStatus::Expired => Some("sms.expired"),
        _ => None,
    }
}

/// Emits the `sms.*` event of message `id`'s change `from → to` (`from == to` for its
/// acceptance).
pub fn status_event(
    conn: &Connection,
    id: MessageId,
    from: MessageStatus,
    to: MessageStatus,
    route: Option<&str>,
    detail: Option<&str>,
    now: Millis,
) -> Result<(), StoreError> {
    let Some(kind) = event_type(to) else {
        return Ok(());
    };
    // Most installations subscribe to few event types: no read of the message for nobody.
    if !super::events::has_subscribers(conn, kind)? {
        return Ok(());
    }
    type Row = (
        String,
        String,
        Option<String>,
        String,
        u32,
        Option<i64>,
        Option<i64>,
    );
    let Some((recipient, sms_type, custom_id, batch_id, segments, conversation_id, reply_to)) =
        conn.prepare_cached(
            "SELECT recipient, sms_type, custom_id, batch_id, segments, conversation_id, reply_to
             FROM messages WHERE id = ?1",
        )?
        .query_row([id.0], |r| {
            Ok::<Row, _>((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .optional()?
    else {
        return Ok(());
    };
    super::events::emit(
        conn,
        kind,
        &serde_json::json!({
            "id": id,
            "to": recipient,
            "status": to,
            "previous_status": (from != to).then_some(from),
            "sms_type": sms_type,
            "segments": segments,
            "route": route,
            "detail": detail,
            "custom_id": custom_id,
            "batch_id": batch_id,
            "conversation_id": conversation_id,
            "reply_to": reply_to,
        }),
        now,
    )?;
    Ok(())
}

/// Once a message carrying a secret is sent or final its sealed text and PDUs are wiped:
/// nothing will send it again, and a secret kept is a secret that can leak.
fn wipe_secret(conn: &Connection, id: MessageId) -> Result<(), StoreError> {
    let wiped = conn
        .prepare_cached(
            "UPDATE messages SET sealed_body = NULL WHERE id = ?1 AND sealed_body IS NOT NULL",
        )?
        .execute([id.0])?;
    if wiped > 0 {
        conn.prepare_cached("UPDATE segments SET pdu_hex = '' WHERE message_id = ?1")?
            .execute([id.0])?;
    }
    Ok(())
}

pub fn insert_event(
    conn: &Connection,
    id: MessageId,
    status: MessageStatus,
    route: Option<&str>,
    detail: Option<&str>,
    now: Millis,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO events (message_id, at, status, route, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![id.0, now, status.as_str(), route, detail])?;
    Ok(())
}
