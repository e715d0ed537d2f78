//! Status reports: which segment a report (`+CDS`, TP-MR + TP-RA + TP-ST) is about, and the
//! roll-up of segment outcomes into the message's status.
//!
//! Runs on the writer's connection inside the job's savepoint. Never imports anything above
//! `message` and `pdu` (for [`DeliveryStatus`]).
//! Invariants: a report matches at most one segment — the most recently sent one with the
//! same route, TP-MR and recipient, sent within the window and still without a final
//! report (TP-MR wraps every 256 sends per modem, so recency and the window pick the right
//! one); a pending TP-ST only records itself; the message becomes `delivered` only when
//! every segment is, `undelivered` as soon as one failed, and stays `sent` otherwise; every
//! change of the message's status goes through `queue::transition` (with its event).

use super::queue::{duration_millis, status_of, transition};
use super::types::StoreError;
use crate::message::{MessageId, MessageStatus, Millis};
use crate::pdu::tpdu::DeliveryStatus;
use rusqlite::{params, Connection, OptionalExtension};

/// Finds the segment a status report is about: `segments_correlation` (route, message_ref,
/// sent_at) narrows it to the sends of that TP-MR on that route; recipients are compared
/// without a leading `+` (TP-RA may come as an international number without it).
pub(super) const MATCH: &str =
    "SELECT s.message_id, s.seq FROM segments s JOIN messages m ON m.id = s.message_id
     WHERE s.route = ?1 AND s.message_ref = ?2 AND s.sent_at >= ?3 AND s.sent_at <= ?4
       AND s.status = 'sent' AND ltrim(m.recipient, '+') = ltrim(?5, '+')
     ORDER BY s.sent_at DESC, s.message_id DESC
     LIMIT 1";

/// Records a status report; returns the message and its status after it, or `None` when no
/// segment matches.
#[allow(clippy::too_many_arguments)]
pub fn record_status_report(
    conn: &Connection,
    route: &str,
    message_ref: u8,
    recipient: &str,
    tp_st: u8,
    status: DeliveryStatus,
    now: Millis,
    window: std::time::Duration,
) -> Result<Option<(MessageId, MessageStatus)>, StoreError> {
    let since = now.saturating_sub(duration_millis(window));
    let found: Option<(i64, u16)> = conn
        .prepare_cached(MATCH)?
        .query_row(
            params![route, message_ref, since, now, recipient.trim()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((id, seq)) = found else {
        return Ok(None);
    };
    let id = MessageId(id);
    let segment_status = match status {
        DeliveryStatus::Pending => "sent",
        DeliveryStatus::Delivered => "delivered",
        DeliveryStatus::Failed => "failed",
    };
    conn.prepare_cached(
        "UPDATE segments SET status = ?3, tp_st = ?4, report_at = ?5
         WHERE message_id = ?1 AND seq = ?2",
    )?
    .execute(params![id.0, seq, segment_status, tp_st, now])?;
    let current = status_of(conn, id)?;
    if status == DeliveryStatus::Pending {
        return Ok(Some((id, current)));
    }
    let (total, delivered, failed): (i64, i64, i64) = conn
        .prepare_cached(
            "SELECT count(*), coalesce(sum(status = 'delivered'), 0),
                    coalesce(sum(status = 'failed'), 0)
             FROM segments WHERE message_id = ?1",
        )?
        .query_row([id.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let detail = format!("status report for segment {seq}: TP-ST 0x{tp_st:02X}");
    let next = if failed > 0 {
        Some(MessageStatus::Undelivered)
    } else if delivered == total {
        Some(MessageStatus::Delivered)
    } else {
        None
    };
    match next {
        Some(next) if current.can_become(next) => {
            transition(conn, id, None, next, Some(route), Some(&detail), now)?;
            if next == MessageStatus::Undelivered {
                conn.prepare_cached("UPDATE messages SET error = ?2 WHERE id = ?1")?
                    .execute(params![id.0, detail])?;
            }
            Ok(Some((id, next)))
        }
        // Already final (a later segment's report after one failed) or not yet complete.
        _ => Ok(Some((id, current))),
    }
}
