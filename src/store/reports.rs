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
//! change of the message's status goes through `state::transition` (with its event).
//!
//! A report that matches nothing is kept as an *orphan* (`orphan_reports`): it may have
//! overtaken the record of its own send. `record_sent` adopts an orphan of the same route,
//! TP-MR and recipient received since this attempt's lease (less [`EARLY_MARGIN`] for clock
//! steps) — while a modem sends one message it cannot reuse a TP-MR for another, so a stale
//! or duplicate orphan never attaches to a later message. Orphans are pruned after a day.

use super::queue::duration_millis;
use super::sql::{params, Connection, OptionalExtension};
use super::state::{status_of, transition};
use super::types::StoreError;
use crate::message::{MessageId, MessageStatus, Millis};
use crate::pdu::tpdu::DeliveryStatus;
use std::time::Duration;

/// Finds the segment a status report is about: `segments_correlation` (route, message_ref,
/// sent_at) narrows it to the sends of that TP-MR on that route; the recipient then only
/// has to be the same number. TP-RA comes as the SC writes it: international with or
/// without `+`, with a `00` prefix, or national with its trunk `0` (`015112345678` for
/// `+4915112345678`) — so the stored E.164 digits must equal the report's, or end with
/// them once their leading `+` and `0`s are gone (the "ends with" is spelt with a positive
/// `substr` start, which both SQLite and PostgreSQL read alike) (at least 6 digits: with the route, TP-MR
/// and time window already fixed, that cannot pick another recipient).
pub(super) const MATCH: &str =
    "SELECT s.message_id, s.seq FROM segments s JOIN messages m ON m.id = s.message_id
     WHERE s.route = ?1 AND s.message_ref = ?2 AND s.sent_at >= ?3 AND s.sent_at <= ?4
       AND s.status = 'sent'
       AND (ltrim(m.recipient, '+') = ltrim(?5, '+')
            OR (length(ltrim(?5, '+0')) >= 6
                AND substr(ltrim(m.recipient, '+'),
                           length(ltrim(m.recipient, '+')) - length(ltrim(?5, '+0')) + 1)
                    = ltrim(?5, '+0')))
     ORDER BY s.sent_at DESC, s.message_id DESC
     LIMIT 1";

/// How much earlier than its send's recorded `sent_at` a report may have been received.
pub const EARLY_MARGIN: Millis = 5_000;
/// Orphans older than this are pruned.
pub const ORPHAN_TTL: Millis = 86_400_000;

fn status_name(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Pending => "pending",
        DeliveryStatus::Delivered => "delivered",
        DeliveryStatus::Failed => "failed",
    }
}

fn parse_status(name: &str) -> DeliveryStatus {
    match name {
        "delivered" => DeliveryStatus::Delivered,
        "pending" => DeliveryStatus::Pending,
        _ => DeliveryStatus::Failed,
    }
}

/// Records a status report; returns the message and its status after it, or `None` when no
/// segment matches — the report is then kept as an orphan for `record_sent` to adopt.
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
        conn.prepare_cached(
            "INSERT INTO orphan_reports (route, message_ref, recipient, tp_st, status, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            route,
            message_ref,
            recipient.trim(),
            tp_st,
            status_name(status),
            now
        ])?;
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
    let detail = format!("status report for segment {seq}: TP-ST 0x{tp_st:02X}");
    let after = roll_up(conn, id, Some(route), &detail, now)?;
    Ok(Some((id, after)))
}

/// The segment → message roll-up: the message becomes `undelivered` as soon as one segment
/// failed and `delivered` when every segment is, through `transition` (with an event whose
/// detail is `detail`; an undelivered message keeps it as its error); otherwise, or when it
/// is already final, it stays as it is. Returns its status after.
pub(super) fn roll_up(
    conn: &Connection,
    id: MessageId,
    route: Option<&str>,
    detail: &str,
    now: Millis,
) -> Result<MessageStatus, StoreError> {
    let current = status_of(conn, id)?;
    let (total, delivered, failed): (i64, i64, i64) = conn
        .prepare_cached(
            "SELECT count(*), coalesce(sum(CASE WHEN status = 'delivered' THEN 1 ELSE 0 END), 0),
                    coalesce(sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0)
             FROM segments WHERE message_id = ?1",
        )?
        .query_row([id.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let next = if failed > 0 {
        Some(MessageStatus::Undelivered)
    } else if delivered == total {
        Some(MessageStatus::Delivered)
    } else {
        None
    };
    match next {
        Some(next) if current.can_become(next) => {
            transition(conn, id, None, next, route, Some(detail), now)?;
            if next == MessageStatus::Undelivered {
                conn.prepare_cached("UPDATE messages SET error = ?2 WHERE id = ?1")?
                    .execute(params![id.0, detail])?;
            }
            Ok(next)
        }
        // Already final (a later segment's report after one failed) or not yet complete.
        _ => Ok(current),
    }
}

/// Adopts orphan reports for the segments of message `id` that were just recorded as sent
/// on `route` at `now` (called by `record_sent`, in the same transaction).
pub fn adopt_orphans(
    conn: &Connection,
    id: MessageId,
    route: &str,
    now: Millis,
    window: std::time::Duration,
) -> Result<(), StoreError> {
    let recipient: String = conn
        .prepare_cached("SELECT recipient FROM messages WHERE id = ?1")?
        .query_row([id.0], |r| r.get(0))?;
    let refs: Vec<u8> = conn
        .prepare_cached("SELECT message_ref FROM segments WHERE message_id = ?1 AND message_ref IS NOT NULL ORDER BY seq")?
        .query_map([id.0], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    // A report can be received from the moment the first segment went out, which for a
    // long message is well before this record: adopt from the lease of this attempt on.
    let leased_at: Millis = conn
        .prepare_cached("SELECT max(at) FROM events WHERE message_id = ?1 AND status = 'sending'")?
        .query_row([id.0], |r| r.get::<_, Option<Millis>>(0))?
        .unwrap_or(now);
    let since = leased_at.min(now) - EARLY_MARGIN;
    for mr in refs {
        let orphan: Option<(i64, u8, String, Millis)> = conn
            .prepare_cached(
                "SELECT id, tp_st, status, received_at FROM orphan_reports
                 WHERE route = ?1 AND message_ref = ?2 AND received_at >= ?3
                   AND (ltrim(recipient, '+') = ltrim(?4, '+')
                        OR (length(ltrim(recipient, '+0')) >= 6
                            AND substr(ltrim(?4, '+'),
                                       length(ltrim(?4, '+')) - length(ltrim(recipient, '+0')) + 1)
                                = ltrim(recipient, '+0')))
                 ORDER BY received_at LIMIT 1",
            )?
            .query_row(params![route, mr, since, recipient], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        let Some((orphan_id, tp_st, status, _received)) = orphan else {
            continue;
        };
        conn.prepare_cached("DELETE FROM orphan_reports WHERE id = ?1")?
            .execute([orphan_id])?;
        record_status_report(
            conn,
            route,
            mr,
            &recipient,
            tp_st,
            parse_status(&status),
            now,
            window,
        )?;
    }
    Ok(())
}

/// Deletes orphans older than [`ORPHAN_TTL`].
pub fn prune_orphans(conn: &Connection, now: Millis) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached("DELETE FROM orphan_reports WHERE received_at < ?1")?
        .execute([now - ORPHAN_TTL])?)
}

impl super::Store {
    /// Records a status report (see `reports`): the message and its status after the
    /// update, or `None` when no segment matches (log-worthy, not an error).
    #[allow(clippy::too_many_arguments)]
    pub async fn record_status_report(
        &self,
        route: &str,
        message_ref: u8,
        recipient: &str,
        tp_st: u8,
        status: DeliveryStatus,
        now: Millis,
        window: Duration,
    ) -> Result<Option<(MessageId, MessageStatus)>, StoreError> {
        let route = route.to_owned();
        let recipient = recipient.to_owned();
        super::writer::write(&self.writer, move |c| {
            record_status_report(
                c,
                &route,
                message_ref,
                &recipient,
                tp_st,
                status,
                now,
                window,
            )
        })
        .await
    }
}
