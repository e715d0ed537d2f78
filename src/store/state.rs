//! The message state machine as stored: reading a message's status, moving it (every
//! change through [`transition`], which asks [`MessageStatus::can_become`], refuses anything
//! else with `StoreError::Conflict`, writes the `events` row and queues the status callback
//! in the same transaction), and wiping a secret once its message no longer needs it.
//!
//! The one module the queue, status reports and provider callbacks all move messages
//! through — none of them calls another to change a status. Imports only the store's types,
//! its webhook outbox and `message`.

use super::types::StoreError;
use crate::message::{MessageId, MessageStatus, Millis};
use rusqlite::{params, Connection, OptionalExtension};

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
    let from = status_of(conn, id)?;
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
    if to == MessageStatus::Sent || to.is_final() {
        wipe_secret(conn, id)?;
    }
    insert_event(conn, id, to, route, detail, now)?;
    super::webhooks::enqueue_for_transition(conn, id, from, to, route, detail, now)?;
    Ok(from)
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
