//! What became of a leased message — sent (or sent with the outcome unknown), another
//! attempt, given back unattempted, failed, expired — and cancelling, and giving back the
//! leases nobody answered (at start-up, or expired) by the in-flight policy.
//!
//! Every function runs on the writer's connection inside the job's savepoint and moves the
//! message through `state::transition`. Invariant: a `sending` message is never lost: it
//! ends sent / queued / failed / expired.

use super::sql::{params, Connection};
use super::state::transition;
use super::types::{parse_sms_type, Recovered, SegmentReceipt, StoreError};
use crate::message::{InFlightPolicy, MessageId, MessageStatus, Millis, SmsType};

/// `sending → sent`: every segment gets the route and `sent_at`, and its reference.
pub fn record_sent(
    conn: &Connection,
    id: MessageId,
    route: &str,
    refs: &[SegmentReceipt],
    now: Millis,
) -> Result<(), StoreError> {
    record_sent_with(conn, id, route, refs, sent_detail(refs), now)
}

/// A send whose outcome is unknown (the route took it and never answered) that must not be
/// repeated: `sent`, with `note` as the event's detail, so a delivery report or a provider
/// callback for it can still settle it.
pub fn record_sent_unknown(
    conn: &Connection,
    id: MessageId,
    route: &str,
    note: &str,
    now: Millis,
) -> Result<(), StoreError> {
    record_sent_with(conn, id, route, &[], Some(note.to_string()), now)
}

pub(super) fn record_sent_with(
    conn: &Connection,
    id: MessageId,
    route: &str,
    refs: &[SegmentReceipt],
    detail: Option<String>,
    now: Millis,
) -> Result<(), StoreError> {
    transition(
        conn,
        id,
        None,
        MessageStatus::Sent,
        Some(route),
        detail.as_deref(),
        now,
    )?;
    conn.prepare_cached(
        "UPDATE messages SET route = ?2, sent_at = ?3, lease_until = NULL, error = NULL
         WHERE id = ?1",
    )?
    .execute(params![id.0, route, now])?;
    conn.prepare_cached(
        "UPDATE segments SET status = 'sent', route = ?2, sent_at = ?3 WHERE message_id = ?1",
    )?
    .execute(params![id.0, route, now])?;
    let mut set_ref = conn.prepare_cached(
        "UPDATE segments SET message_ref = ?3, provider_id = ?4, cost = ?5
         WHERE message_id = ?1 AND seq = ?2",
    )?;
    for r in refs {
        let cost = r.cost.filter(|c| c.is_finite());
        if set_ref.execute(params![id.0, r.seq, r.message_ref, r.provider_id, cost])? == 0 {
            return Err(StoreError::Conflict(format!(
                "message {id} has no segment {}",
                r.seq
            )));
        }
    }
    // The costs just recorded, and how long the send took.
    super::analytics::sync(conn, id, Some(route))?;
    super::analytics::record_latency(conn, id, route, now)?;
    // A status report may have arrived before this record: adopt it now.
    super::reports::adopt_orphans(conn, id, route, now, std::time::Duration::from_secs(60))?;
    // So may a provider's status callback.
    super::provider_status::adopt(conn, id, route, now)
}

/// The `sent` event's detail: the provider's ids and the cost, when a provider answered
/// with them (a modem's TP-MRs are on the segments).
fn sent_detail(refs: &[SegmentReceipt]) -> Option<String> {
    let ids: Vec<&str> = refs
        .iter()
        .filter_map(|r| r.provider_id.as_deref())
        .collect();
    let costs: Vec<f64> = refs
        .iter()
        .filter_map(|r| r.cost.filter(|c| c.is_finite()))
        .collect();
    let mut parts = Vec::new();
    if !ids.is_empty() {
        parts.push(format!("provider_id {}", ids.join(",")));
    }
    if !costs.is_empty() {
        parts.push(format!("cost {}", costs.iter().sum::<f64>()));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// `sending → queued` for another attempt at `next_attempt_at`.
pub fn record_retry(
    conn: &Connection,
    id: MessageId,
    route: Option<&str>,
    error: &str,
    next_attempt_at: Millis,
    now: Millis,
) -> Result<(), StoreError> {
    transition(
        conn,
        id,
        Some(&[MessageStatus::Sending]),
        MessageStatus::Queued,
        route,
        Some(error),
        now,
    )?;
    conn.prepare_cached(
        "UPDATE messages SET attempts = attempts + 1, error = ?2, route = coalesce(?3, route),
                next_attempt_at = ?4, lease_until = NULL
         WHERE id = ?1",
    )?
    .execute(params![id.0, error, route, next_attempt_at])?;
    Ok(())
}

/// Pushes the lease of messages still `sending` out to `until` (the dispatcher renews the
/// leases of sends that are still running, so a slow modem is not mistaken for a crash).
pub fn extend_leases(
    conn: &Connection,
    ids: &[MessageId],
    until: Millis,
) -> Result<(), StoreError> {
    let mut extend = conn.prepare_cached(
        "UPDATE messages SET lease_until = ?2 WHERE id = ?1 AND status = 'sending'",
    )?;
    for id in ids {
        extend.execute(params![id.0, until])?;
    }
    Ok(())
}

/// `sending → queued` without counting an attempt: the dispatcher leased the message but
/// no route could take it this round (all busy or rate-limited).
pub fn release(
    conn: &Connection,
    id: MessageId,
    next_attempt_at: Millis,
    now: Millis,
) -> Result<(), StoreError> {
    transition(
        conn,
        id,
        Some(&[MessageStatus::Sending]),
        MessageStatus::Queued,
        None,
        Some("no route free; offered again"),
        now,
    )?;
    conn.prepare_cached(
        "UPDATE messages SET next_attempt_at = ?2, lease_until = NULL WHERE id = ?1",
    )?
    .execute(params![id.0, next_attempt_at])?;
    Ok(())
}

/// `→ failed` (a permanent error, or attempts exhausted).
pub fn record_failed(
    conn: &Connection,
    id: MessageId,
    route: Option<&str>,
    error: &str,
    now: Millis,
) -> Result<(), StoreError> {
    let from = transition(
        conn,
        id,
        None,
        MessageStatus::Failed,
        route,
        Some(error),
        now,
    )?;
    let attempted = i64::from(from == MessageStatus::Sending);
    conn.prepare_cached(
        "UPDATE messages SET attempts = attempts + ?4, error = ?2, route = coalesce(?3, route),
                lease_until = NULL
         WHERE id = ?1",
    )?
    .execute(params![id.0, error, route, attempted])?;
    Ok(())
}

/// `sending / queued / scheduled → expired`.
pub fn record_expired(conn: &Connection, id: MessageId, now: Millis) -> Result<(), StoreError> {
    transition(
        conn,
        id,
        None,
        MessageStatus::Expired,
        None,
        Some("expire_at passed before it was sent"),
        now,
    )?;
    conn.prepare_cached("UPDATE messages SET lease_until = NULL WHERE id = ?1")?
        .execute([id.0])?;
    Ok(())
}

/// `queued / scheduled → cancelled`; `Conflict` once it is sending or later.
pub fn cancel(conn: &Connection, id: MessageId, now: Millis) -> Result<MessageStatus, StoreError> {
    transition(
        conn,
        id,
        None,
        MessageStatus::Cancelled,
        None,
        Some("cancelled"),
        now,
    )?;
    Ok(MessageStatus::Cancelled)
}

/// Which `sending` messages to give back.
#[derive(Debug, Clone)]
pub enum Reclaim {
    /// Those leased by this node (`None`: the only node, every lease), at start-up:
    /// nothing of this node can be in flight then.
    Node(Option<String>),
    /// Those whose lease ran out before `now`.
    ExpiredLeases,
}

/// Gives back `sending` messages by the in-flight policy of their SMS type: queued again
/// (at-least-once) or failed (at-most-once). Returns the counts.
pub fn reclaim(
    conn: &Connection,
    which: Reclaim,
    policy: fn(SmsType) -> InFlightPolicy,
    now: Millis,
) -> Result<Recovered, StoreError> {
    // PostgreSQL: several nodes reclaim at once; each takes the rows no other has locked.
    let skip_locked = if conn.is_postgres() {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let row = |r: &super::sql::Row<'_>| Ok((MessageId(r.get(0)?), r.get::<_, String>(1)?));
    let rows = match &which {
        Reclaim::Node(node) => conn
            .prepare_cached(&format!(
                "SELECT id, sms_type FROM messages
                 WHERE status = 'sending' AND (CAST(?1 AS TEXT) IS NULL OR lease_node = ?1)
                 ORDER BY id{skip_locked}"
            ))?
            .query_map([node.clone()], row)?
            .collect::<Result<Vec<_>, _>>()?,
        Reclaim::ExpiredLeases => conn
            .prepare_cached(&format!(
                "SELECT id, sms_type FROM messages
                 WHERE status = 'sending' AND (lease_until IS NULL OR lease_until < ?1)
                 ORDER BY id{skip_locked}"
            ))?
            .query_map([now], row)?
            .collect::<Result<Vec<_>, _>>()?,
    };
    let (requeue_detail, fail_detail) = match which {
        Reclaim::Node(_) => ("requeued after restart", "interrupted by restart"),
        Reclaim::ExpiredLeases => ("requeued: lease expired", "lease expired"),
    };
    let mut done = Recovered::default();
    for (id, sms_type) in rows {
        match policy(parse_sms_type(&sms_type)?) {
            InFlightPolicy::AtLeastOnce => {
                transition(
                    conn,
                    id,
                    None,
                    MessageStatus::Queued,
                    None,
                    Some(requeue_detail),
                    now,
                )?;
                conn.prepare_cached(
                    "UPDATE messages SET attempts = attempts + 1, error = ?2, next_attempt_at = ?3,
                            lease_until = NULL
                     WHERE id = ?1",
                )?
                .execute(params![id.0, requeue_detail, now])?;
                done.requeued += 1;
            }
            InFlightPolicy::AtMostOnce => {
                transition(
                    conn,
                    id,
                    None,
                    MessageStatus::Failed,
                    None,
                    Some(fail_detail),
                    now,
                )?;
                conn.prepare_cached(
                    "UPDATE messages SET attempts = attempts + 1, error = ?2, lease_until = NULL
                     WHERE id = ?1",
                )?
                .execute(params![id.0, fail_detail])?;
                done.failed += 1;
            }
        }
    }
    Ok(done)
}

impl super::Store {
    /// A send whose outcome is unknown that must not be repeated: `sent` with `note`
    /// (a report or provider callback can still settle it).
    pub async fn record_sent_unknown(
        &self,
        id: MessageId,
        route: &str,
        note: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        let (route, note) = (route.to_string(), note.to_string());
        super::writer::write(&self.writer, move |c| {
            record_sent_unknown(c, id, &route, &note, now)
        })
        .await
    }

    /// `sending → sent`; the segments get the route, their references and `sent_at`.
    pub async fn record_sent(
        &self,
        id: MessageId,
        route: &str,
        refs: Vec<SegmentReceipt>,
        now: Millis,
    ) -> Result<(), StoreError> {
        let route = route.to_owned();
        super::writer::write(&self.writer, move |c| {
            record_sent(c, id, &route, &refs, now)
        })
        .await
    }

    /// `sending → queued` for another attempt at `next_attempt_at`; attempts + 1, the error
    /// kept.
    pub async fn record_retry(
        &self,
        id: MessageId,
        route: Option<&str>,
        error: &str,
        next_attempt_at: Millis,
        now: Millis,
    ) -> Result<(), StoreError> {
        let route = route.map(str::to_owned);
        let error = error.to_owned();
        super::writer::write(&self.writer, move |c| {
            record_retry(c, id, route.as_deref(), &error, next_attempt_at, now)
        })
        .await
    }

    /// Renews the leases of messages still being sent, to `until`.
    pub async fn extend_leases(
        &self,
        ids: Vec<MessageId>,
        until: Millis,
    ) -> Result<(), StoreError> {
        super::writer::write(&self.writer, move |c| extend_leases(c, &ids, until)).await
    }

    /// `sending → queued` without counting an attempt (no route could take it this round).
    pub async fn release(
        &self,
        id: MessageId,
        next_attempt_at: Millis,
        now: Millis,
    ) -> Result<(), StoreError> {
        super::writer::write(&self.writer, move |c| release(c, id, next_attempt_at, now)).await
    }

    /// `→ failed` (permanent error or attempts exhausted).
    pub async fn record_failed(
        &self,
        id: MessageId,
        route: Option<&str>,
        error: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        let route = route.map(str::to_owned);
        let error = error.to_owned();
        super::writer::write(&self.writer, move |c| {
            record_failed(c, id, route.as_deref(), &error, now)
        })
        .await
    }

    /// `sending / queued → expired`.
    pub async fn record_expired(&self, id: MessageId, now: Millis) -> Result<(), StoreError> {
        super::writer::write(&self.writer, move |c| record_expired(c, id, now)).await
    }

    /// `queued / scheduled → cancelled`; `NotFound`, or `Conflict` once sending or later.
    pub async fn cancel(&self, id: MessageId, now: Millis) -> Result<MessageStatus, StoreError> {
        super::writer::write(&self.writer, move |c| cancel(c, id, now)).await
    }

    /// Start-up: every `sending` message this node leased (every one, when it is the only
    /// node) is queued again (at-least-once) or failed "interrupted by restart"
    /// (at-most-once), by the policy of its SMS type. Other nodes' leases are theirs until
    /// they expire ([`Self::reclaim_expired_leases`]).
    pub async fn recover(
        &self,
        policy: fn(SmsType) -> InFlightPolicy,
        now: Millis,
    ) -> Result<Recovered, StoreError> {
        let node = self.node.as_deref().map(str::to_string);
        super::writer::write(&self.writer, move |c| {
            reclaim(c, Reclaim::Node(node), policy, now)
        })
        .await
    }

    /// While running: the same for `sending` messages whose lease ran out before `now`.
    pub async fn reclaim_expired_leases(
        &self,
        policy: fn(SmsType) -> InFlightPolicy,
        now: Millis,
    ) -> Result<Recovered, StoreError> {
        super::writer::write(&self.writer, move |c| {
            reclaim(c, Reclaim::ExpiredLeases, policy, now)
        })
        .await
    }
}
