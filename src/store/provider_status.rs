//! Provider status callbacks (Twilio, Vonage, Plivo, the generic webhook): which message and
//! segments a callback is about, and what it changes.
//!
//! Runs on the writer's connection inside the job's savepoint. Never imports anything above
//! `message`; the provider's own status names are mapped to a [`ProviderOutcome`] by the
//! service before they get here (the raw name is kept for the events).
//!
//! Invariants:
//! - **Forward only.** A status change goes through `state::transition` (and so
//!   `MessageStatus::can_become`) via the segment roll-up of `reports`; a segment already
//!   `delivered` or `failed` is never changed again.
//! - **Nothing silently dropped.** Every callback that reaches the store leaves a trace: a
//!   status change, an event (intermediate statuses), an event saying why it was ignored
//!   (`ignored duplicate twilio status delivered`, `ignored late twilio status sent`, another
//!   provider's or another provider id's callback), or — while the message is still
//!   `queued`/`scheduled`/`sending`, i.e. before the send's answer was recorded — a row in
//!   `pending_provider_callbacks` that `record_sent` adopts in its transaction when the
//!   message is recorded as sent through that provider (and, when both are known, with
//!   that provider id). Pending rows are pruned after [`PENDING_TTL`].
//! - **Attribution.** A callback names our message id (from its URL) and, where it has one,
//!   the provider's id: it applies only to the segments carrying that id (a comma-joined
//!   list of part ids counts), and only to a message sent through that provider.

use super::reports::roll_up;
use super::sql::{params, Connection, OptionalExtension};
use super::state::{insert_event, status_of};
use super::types::StoreError;
use crate::message::{MessageId, MessageStatus, Millis};
use serde::Serialize;

/// Pending callbacks older than this are pruned.
pub const PENDING_TTL: Millis = 86_400_000;

/// What a provider's status means for our message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderOutcome {
    /// An intermediate status (queued, accepted, buffered, sending…): recorded as an event.
    Progress,
    /// Handed to a carrier: recorded as an event (our message is `sent` already).
    Sent,
    /// Delivered to the handset.
    Delivered,
    /// A negative delivery report after sending.
    Undelivered,
    /// The provider failed it (never reached a carrier, or rejected).
    Failed,
}

impl ProviderOutcome {
    /// Its name in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Progress => "progress",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Undelivered => "undelivered",
            Self::Failed => "failed",
        }
    }

    /// By its name in the store.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "progress" => Some(Self::Progress),
            "sent" => Some(Self::Sent),
            "delivered" => Some(Self::Delivered),
            "undelivered" => Some(Self::Undelivered),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }

    /// The segment status it leads to, if it is final for the segment.
    fn segment_status(self) -> Option<&'static str> {
        match self {
            Self::Delivered => Some("delivered"),
            Self::Undelivered | Self::Failed => Some("failed"),
            Self::Progress | Self::Sent => None,
        }
    }
}

/// One provider status callback, as the service understood it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderStatus {
    /// The provider that called (`twilio`, `vonage`, `plivo`…; a route name), or `None`
    /// for a generic webhook that did not say.
    pub provider: Option<String>,
    /// The provider's message id, when the callback has one.
    pub provider_id: Option<String>,
    /// What it means.
    pub outcome: ProviderOutcome,
    /// The provider's own status name (for the event).
    pub raw_status: String,
    /// The provider's error code, if any.
    pub error_code: Option<String>,
    /// The price the callback reports, as the provider wrote it.
    pub price: Option<String>,
    /// The time the callback gives, if any.
    pub reported_at: Option<Millis>,
}

/// What became of a callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// It moved the message or some of its segments.
    Applied,
    /// Recorded as an event only (an intermediate status).
    Recorded,
    /// Ignored (duplicate, late, another provider's), recorded as an event.
    Ignored,
    /// Kept until the send is recorded (the message is not `sent` yet).
    Pending,
}

/// The answer to one callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recorded {
    /// Our message.
    pub message_id: MessageId,
    /// What became of the callback.
    pub verdict: Verdict,
    /// The message's status after it.
    pub status: MessageStatus,
    /// What the event says (or why it waits).
    pub detail: String,
}

/// Finds the message a callback without our id is about, by the provider's id alone.
fn by_provider_id(
    conn: &Connection,
    provider: Option<&str>,
    provider_id: &str,
) -> Result<Option<MessageId>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT message_id FROM segments
             WHERE provider_id = ?1 AND (route = ?2 OR ?2 IS NULL)
             ORDER BY sent_at DESC LIMIT 1",
        )?
        .query_row(params![provider_id, provider], |r| r.get(0))
        .optional()?
        .map(MessageId))
}

/// Records a provider status for message `id` (or, without it, for the message whose
/// segment carries the provider id). `NotFound` when there is no such message.
pub fn record(
    conn: &Connection,
    id: Option<MessageId>,
    status: &ProviderStatus,
    now: Millis,
) -> Result<Recorded, StoreError> {
    conn.prepare_cached("DELETE FROM pending_provider_callbacks WHERE received_at < ?1")?
        .execute([now.saturating_sub(PENDING_TTL)])?;
    let id = match (id, status.provider_id.as_deref()) {
        (Some(id), _) => id,
        (None, Some(pid)) => {
            by_provider_id(conn, status.provider.as_deref(), pid)?.ok_or(StoreError::NotFound)?
        }
        (None, None) => return Err(StoreError::NotFound),
    };
    let current = status_of(conn, id)?;
    if matches!(
        current,
        MessageStatus::Queued | MessageStatus::Scheduled | MessageStatus::Sending
    ) {
        conn.prepare_cached(
            "INSERT INTO pending_provider_callbacks (message_id, provider, provider_id,
                 outcome, raw_status, error_code, price, reported_at, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            id.0,
            status.provider,
            status.provider_id,
            status.outcome.as_str(),
            status.raw_status,
            status.error_code,
            status.price,
            status.reported_at,
            now
        ])?;
        return Ok(Recorded {
            message_id: id,
            verdict: Verdict::Pending,
            status: current,
            detail: format!(
                "{}: kept until the send is recorded (the message is {current})",
                label(status)
            ),
        });
    }
    apply(conn, id, status, "", now)
}

/// `twilio status delivered` (or `webhook status delivered` without a provider).
fn label(status: &ProviderStatus) -> String {
    format!(
        "{} status {}",
        status.provider.as_deref().unwrap_or("webhook"),
        status.raw_status
    )
}

/// `, error 30003, price 0.0075, reported 2024-01-15T10:05:00Z`.
fn extras(status: &ProviderStatus) -> String {
    let mut s = String::new();
    if let Some(code) = &status.error_code {
        s.push_str(&format!(", error {code}"));
    }
    if let Some(price) = &status.price {
        s.push_str(&format!(", price {price}"));
    }
    if let Some(at) = status.reported_at {
        let formatted = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at) * 1_000_000)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            });
        if let Some(t) = formatted {
            s.push_str(&format!(", reported {t}"));
        }
    }
    s
}

fn ignored(
    conn: &Connection,
    id: MessageId,
    current: MessageStatus,
    status: &ProviderStatus,
    detail: String,
    now: Millis,
) -> Result<Recorded, StoreError> {
    insert_event(
        conn,
        id,
        current,
        status.provider.as_deref(),
        Some(&detail),
        now,
    )?;
    Ok(Recorded {
        message_id: id,
        verdict: Verdict::Ignored,
        status: current,
        detail,
    })
}

/// Applies a callback to a message that has been recorded as sent (or is final). `note` is
/// appended to the event detail.
fn apply(
    conn: &Connection,
    id: MessageId,
    status: &ProviderStatus,
    note: &str,
    now: Millis,
) -> Result<Recorded, StoreError> {
    let current = status_of(conn, id)?;
    let what = label(status);
    let provider = status.provider.as_deref();
    // Another route's callback (e.g. an attempt through Twilio whose answer was lost, then
    // a send through a modem): recorded, never applied.
    let route: Option<String> = conn
        .prepare_cached("SELECT route FROM messages WHERE id = ?1")?
        .query_row([id.0], |r| r.get(0))?;
    if let (Some(p), Some(r)) = (provider, route.as_deref()) {
        if p != r {
            let detail = format!("ignored {what}{note}: the message was sent through {r}");
            return ignored(conn, id, current, status, detail, now);
        }
    }
    // The segments it is about.
    let segments: Vec<(u16, Option<String>, String)> = conn
        .prepare_cached(
            "SELECT seq, provider_id, status FROM segments WHERE message_id = ?1 ORDER BY seq",
        )?
        .query_map([id.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let any_ids = segments.iter().any(|(_, p, _)| p.is_some());
    let targets: Vec<u16> = match status.provider_id.as_deref() {
        Some(pid) if any_ids => segments
            .iter()
            .filter(|(_, p, _)| {
                p.as_deref()
                    .is_some_and(|ids| ids.split(',').any(|one| one.trim() == pid))
            })
            .map(|(seq, _, _)| *seq)
            .collect(),
        _ => segments.iter().map(|(seq, _, _)| *seq).collect(),
    };
    if targets.is_empty() {
        let pid = status.provider_id.as_deref().unwrap_or_default();
        let detail = format!("ignored {what}{note}: {pid} is not this message's provider id");
        return ignored(conn, id, current, status, detail, now);
    }
    // The price (Twilio writes it negative) is the cost of what the callback is about: kept
    // on its first segment, as a send's answer keeps it — whatever else the callback is.
    if let Some(cost) = status
        .price
        .as_deref()
        .and_then(|p| p.trim().parse::<f64>().ok())
        .filter(|c| c.is_finite())
    {
        if let Some(first) = targets.first() {
            conn.prepare_cached(
                "UPDATE segments SET cost = ?3 WHERE message_id = ?1 AND seq = ?2",
            )?
            .execute(params![id.0, first, cost.abs()])?;
        }
    }
    let detail = format!("{what}{}{note}", extras(status));
    if current.is_final() {
        let same = matches!(
            (status.outcome, current),
            (ProviderOutcome::Delivered, MessageStatus::Delivered)
                | (
                    ProviderOutcome::Undelivered | ProviderOutcome::Failed,
                    MessageStatus::Undelivered | MessageStatus::Failed
                )
        );
        let kind = if same { "duplicate" } else { "late" };
        return ignored(
            conn,
            id,
            current,
            status,
            format!("ignored {kind} {detail}"),
            now,
        );
    }
    let Some(segment_status) = status.outcome.segment_status() else {
        // Intermediate or `sent`: the message is `sent` already; the event says so.
        insert_event(conn, id, current, provider, Some(&detail), now)?;
        return Ok(Recorded {
            message_id: id,
            verdict: Verdict::Recorded,
            status: current,
            detail,
        });
    };
    let mut changed = Vec::new();
    {
        let mut update = conn.prepare_cached(
            "UPDATE segments SET status = ?3, report_at = ?4
             WHERE message_id = ?1 AND seq = ?2 AND status NOT IN ('delivered', 'failed')",
        )?;
        for seq in &targets {
            if update.execute(params![id.0, seq, segment_status, now])? > 0 {
                changed.push(*seq);
            }
        }
    }
    if changed.is_empty() {
        return ignored(
            conn,
            id,
            current,
            status,
            format!("ignored duplicate {detail}"),
            now,
        );
    }
    let after = roll_up(conn, id, provider, &detail, now)?;
    if after == current {
        // Some segments moved, the message not yet (a multi-part message).
        let list: Vec<String> = changed.iter().map(u16::to_string).collect();
        let detail = format!("{detail} (segment {})", list.join(", "));
        insert_event(conn, id, current, provider, Some(&detail), now)?;
        return Ok(Recorded {
            message_id: id,
            verdict: Verdict::Applied,
            status: current,
            detail,
        });
    }
    Ok(Recorded {
        message_id: id,
        verdict: Verdict::Applied,
        status: after,
        detail,
    })
}

/// Adopts the pending callbacks of message `id`, just recorded as sent through `route`
/// (called by `record_sent`, in the same transaction): those of that provider (or of none)
/// are applied in the order they arrived and deleted.
pub fn adopt(conn: &Connection, id: MessageId, route: &str, now: Millis) -> Result<(), StoreError> {
    type Row = (
        i64,
        Option<String>,
        Option<String>,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<Millis>,
    );
    let rows: Vec<Row> = conn
        .prepare_cached(
            "SELECT id, provider, provider_id, outcome, raw_status, error_code, price, reported_at
             FROM pending_provider_callbacks
             WHERE message_id = ?1 AND (provider IS NULL OR provider = ?2)
             ORDER BY id",
        )?
        .query_map(params![id.0, route], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    for (row, provider, provider_id, outcome, raw_status, error_code, price, reported_at) in rows {
        conn.prepare_cached("DELETE FROM pending_provider_callbacks WHERE id = ?1")?
            .execute([row])?;
        let status = ProviderStatus {
            provider,
            provider_id,
            outcome: ProviderOutcome::parse(&outcome).unwrap_or(ProviderOutcome::Progress),
            raw_status,
            error_code,
            price,
            reported_at,
        };
        apply(
            conn,
            id,
            &status,
            " (received before the send was recorded)",
            now,
        )?;
    }
    Ok(())
}

impl super::Store {
    /// Records a provider's status callback for message `id` (or, without it, the message
    /// whose segment carries the callback's provider id); see [`provider_status`].
    /// `NotFound` when there is no such message.
    pub async fn record_provider_status(
        &self,
        id: Option<MessageId>,
        status: ProviderStatus,
        now: Millis,
    ) -> Result<Recorded, StoreError> {
        super::writer::write(&self.writer, move |c| record(c, id, &status, now)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::outcomes::{record_retry, record_sent};
    use crate::store::queue::tests::{conn, message};
    use crate::store::queue::{enqueue, lease};
    use crate::store::types::{NewBatch, SegmentReceipt};
    use std::time::Duration;

    fn status(
        provider: &str,
        pid: Option<&str>,
        outcome: ProviderOutcome,
        raw: &str,
    ) -> ProviderStatus {
        ProviderStatus {
            provider: Some(provider.into()),
            provider_id: pid.map(str::to_string),
            outcome,
            raw_status: raw.into(),
            error_code: None,
            price: None,
            reported_at: None,
        }
    }

    /// A message of `segments` segments, leased at 10 (now `sending`).
    fn sending(conn: &Connection, segments: u16) -> MessageId {
        let accepted = enqueue(
            conn,
            &NewBatch::default(),
            &[message("+1555", 0, segments)],
            None,
            1,
        )
        .unwrap();
        let leased = lease(conn, 10, 1, Duration::from_secs(60), None, None).unwrap();
        assert_eq!(leased.len(), 1);
        accepted.ids[0]
    }

    #[test]
    fn a_callback_for_an_unanswered_attempt_settles_it_instead_of_a_resend() {
        let c = conn();
        let id = sending(&c, 2);
        // Twilio took it and never answered: back to the queue, due again at 100.
        record_retry(&c, id, Some("twilio"), "no answer", 100, 20).unwrap();
        // Meanwhile its callback comes (our id is in the URL): kept, the message is queued.
        let r = record(
            &c,
            Some(id),
            &status(
                "twilio",
                Some("SMabc"),
                ProviderOutcome::Delivered,
                "delivered",
            ),
            30,
        )
        .unwrap();
        assert_eq!(r.verdict, Verdict::Pending);
        // When it is due again it is not leased (sent again) but recorded sent through
        // Twilio, and the kept callback delivers it.
        let leased = lease(&c, 100, 10, Duration::from_secs(60), None, None).unwrap();
        assert!(leased.is_empty(), "sent again: {leased:?}");
        assert_eq!(status_of(&c, id).unwrap(), MessageStatus::Delivered);
        let pid: Option<String> = c
            .query_row(
                "SELECT provider_id FROM segments WHERE message_id = ?1 AND seq = 2",
                [id.0],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(pid.as_deref(), Some("SMabc"));
    }

    #[test]
    fn a_failed_callback_for_an_unanswered_attempt_does_not_stop_the_resend() {
        let c = conn();
        let id = sending(&c, 1);
        record_retry(&c, id, Some("twilio"), "no answer", 100, 20).unwrap();
        record(
            &c,
            Some(id),
            &status("twilio", Some("SMabc"), ProviderOutcome::Failed, "failed"),
            30,
        )
        .unwrap();
        let leased = lease(&c, 100, 10, Duration::from_secs(60), None, None).unwrap();
        assert_eq!(leased.len(), 1);
    }

    fn refs(ids: &[&str]) -> Vec<SegmentReceipt> {
        ids.iter()
            .enumerate()
            .map(|(i, id)| SegmentReceipt {
                seq: u16::try_from(i + 1).unwrap(),
                message_ref: None,
                provider_id: Some(id.to_string()),
                cost: None,
            })
            .collect()
    }

    fn details(conn: &Connection, id: MessageId) -> Vec<(String, String)> {
        conn.prepare(
            "SELECT status, coalesce(detail, '') FROM events WHERE message_id = ?1 ORDER BY id",
        )
        .unwrap()
        .query_map([id.0], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    }

    #[test]
    fn delivered_then_duplicate_then_late() {
        let conn = conn();
        let id = sending(&conn, 1);
        record_sent(&conn, id, "twilio", &refs(&["SM1"]), 20).unwrap();
        let mut s = status(
            "twilio",
            Some("SM1"),
            ProviderOutcome::Delivered,
            "delivered",
        );
        s.price = Some("0.0075".into());
        let r = record(&conn, Some(id), &s, 30).unwrap();
        assert_eq!(
            (r.verdict, r.status),
            (Verdict::Applied, MessageStatus::Delivered)
        );
        assert!(r.detail.contains("price 0.0075"), "{}", r.detail);
        let cost: Option<f64> = conn
            .query_row(
                "SELECT cost FROM segments WHERE message_id = ?1 AND seq = 1",
                [id.0],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            cost,
            Some(0.0075),
            "the callback's price is the segment's cost"
        );
        let r = record(&conn, Some(id), &s, 31).unwrap();
        assert_eq!(
            (r.verdict, r.status),
            (Verdict::Ignored, MessageStatus::Delivered)
        );
        let late = status("twilio", Some("SM1"), ProviderOutcome::Sent, "sent");
        let r = record(&conn, Some(id), &late, 32).unwrap();
        assert_eq!(r.verdict, Verdict::Ignored);
        let events = details(&conn, id);
        let last: Vec<&str> = events
            .iter()
            .rev()
            .take(3)
            .map(|(_, d)| d.as_str())
            .collect();
        assert!(
            last[0].starts_with("ignored late twilio status sent"),
            "{events:?}"
        );
        assert!(
            last[1].starts_with("ignored duplicate twilio status delivered"),
            "{events:?}"
        );
        assert_eq!(
            events.iter().filter(|(s, _)| s == "delivered").count(),
            3,
            "{events:?}"
        );
    }

    #[test]
    fn intermediate_statuses_are_events_and_failures_roll_up() {
        let conn = conn();
        let id = sending(&conn, 1);
        record_sent(&conn, id, "plivo", &refs(&["u1"]), 20).unwrap();
        let r = record(
            &conn,
            Some(id),
            &status("plivo", Some("u1"), ProviderOutcome::Sent, "sent"),
            30,
        )
        .unwrap();
        assert_eq!(
            (r.verdict, r.status),
            (Verdict::Recorded, MessageStatus::Sent)
        );
        let mut failed = status(
            "plivo",
            Some("u1"),
            ProviderOutcome::Undelivered,
            "undelivered",
        );
        failed.error_code = Some("50".into());
        let r = record(&conn, Some(id), &failed, 31).unwrap();
        assert_eq!(
            (r.verdict, r.status),
            (Verdict::Applied, MessageStatus::Undelivered)
        );
        let error: String = conn
            .query_row("SELECT error FROM messages WHERE id = ?1", [id.0], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(error, "plivo status undelivered, error 50");
    }

    #[test]
    fn other_providers_and_other_ids_are_ignored() {
        let conn = conn();
        let id = sending(&conn, 1);
        record_sent(&conn, id, "twilio", &refs(&["SM1"]), 20).unwrap();
        let r = record(
            &conn,
            Some(id),
            &status(
                "vonage",
                Some("SM1"),
                ProviderOutcome::Delivered,
                "delivered",
            ),
            30,
        )
        .unwrap();
        assert_eq!(
            (r.verdict, r.status),
            (Verdict::Ignored, MessageStatus::Sent)
        );
        assert!(r.detail.contains("sent through twilio"), "{}", r.detail);
        let r = record(
            &conn,
            Some(id),
            &status(
                "twilio",
                Some("SM2"),
                ProviderOutcome::Delivered,
                "delivered",
            ),
            31,
        )
        .unwrap();
        assert_eq!(
            (r.verdict, r.status),
            (Verdict::Ignored, MessageStatus::Sent)
        );
        assert!(
            r.detail.contains("SM2 is not this message's provider id"),
            "{}",
            r.detail
        );
        // Without our id, the provider id finds the message.
        let r = record(
            &conn,
            None,
            &status(
                "twilio",
                Some("SM1"),
                ProviderOutcome::Delivered,
                "delivered",
            ),
            32,
        )
        .unwrap();
        assert_eq!((r.message_id, r.status), (id, MessageStatus::Delivered));
        assert!(matches!(
            record(
                &conn,
                None,
                &status(
                    "twilio",
                    Some("SM9"),
                    ProviderOutcome::Delivered,
                    "delivered"
                ),
                33
            ),
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            record(
                &conn,
                Some(MessageId(999)),
                &status("twilio", None, ProviderOutcome::Delivered, "delivered"),
                33
            ),
            Err(StoreError::NotFound)
        ));
    }

    #[test]
    fn parts_roll_up_when_all_are_delivered() {
        let conn = conn();
        let id = sending(&conn, 2);
        record_sent(&conn, id, "vonage", &refs(&["p1", "p2,p3"]), 20).unwrap();
        let d = |pid: &str| status("vonage", Some(pid), ProviderOutcome::Delivered, "delivered");
        let r = record(&conn, Some(id), &d("p1"), 30).unwrap();
        assert_eq!(
            (r.verdict, r.status),
            (Verdict::Applied, MessageStatus::Sent)
        );
        assert!(r.detail.ends_with("(segment 1)"), "{}", r.detail);
        // A part id joined onto the last segment counts.
        let r = record(&conn, Some(id), &d("p3"), 31).unwrap();
        assert_eq!(
            (r.verdict, r.status),
            (Verdict::Applied, MessageStatus::Delivered)
        );
    }

    #[test]
    fn an_early_callback_waits_for_its_send() {
        let conn = conn();
        let id = sending(&conn, 1);
        let early = status(
            "twilio",
            Some("SM1"),
            ProviderOutcome::Delivered,
            "delivered",
        );
        let r = record(&conn, Some(id), &early, 15).unwrap();
        assert_eq!(
            (r.verdict, r.status),
            (Verdict::Pending, MessageStatus::Sending)
        );
        // Another provider's early callback is not adopted by this send.
        record(
            &conn,
            Some(id),
            &status("plivo", None, ProviderOutcome::Failed, "failed"),
            16,
        )
        .unwrap();
        record_sent(&conn, id, "twilio", &refs(&["SM1"]), 20).unwrap();
        assert_eq!(status_of(&conn, id).unwrap(), MessageStatus::Delivered);
        let events = details(&conn, id);
        assert!(
            events.iter().any(|(s, d)| s == "delivered"
                && d == "twilio status delivered (received before the send was recorded)"),
            "{events:?}"
        );
        let left: i64 = conn
            .query_row("SELECT count(*) FROM pending_provider_callbacks", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(left, 1, "the plivo one stays until pruned");
        // A day later it is pruned by the next callback.
        record(&conn, Some(id), &early, 16 + PENDING_TTL + 1).unwrap();
        let left: i64 = conn
            .query_row("SELECT count(*) FROM pending_provider_callbacks", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(left, 0);
    }
}
