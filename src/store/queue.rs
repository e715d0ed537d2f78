//! The outbound queue: enqueue, peek and lease (the outcomes of a lease are `outcomes.rs`).
//!
//! Every function runs on the writer's connection inside the job's savepoint, so what it
//! changes commits or rolls back as one. Never imports anything above `message`.
//! Invariants: every status change goes through `state::transition` (the state machine and
//! its events); a message is leased only while due
//! (queued, or scheduled and `schedule_at <= now`; `next_attempt_at <= now`; not expired);
//! a `sending` message is never lost: it ends sent / queued / failed / expired.

use super::outcomes::{record_expired, record_sent_with};
use super::sql::{params, Connection, OptionalExtension};
use super::state::{insert_event, transition};
use super::types::{
    message_type_str, parse_message_type, parse_sms_type, Accepted, DueMessage, Leased, NewBatch,
    NewMessage, OutboundSegment, ReplyLink, SegmentReceipt, StoreError,
};
use crate::message::{MessageId, MessageStatus, Millis};
use crate::seal::Sealer;
use std::time::Duration;

/// A new batch id: `b_` and 24 lower-case hex digits from the OS-seeded RNG.
pub fn new_batch_id() -> String {
    format!("b_{}", hex::encode(rand::random::<[u8; 12]>()))
}

/// Converts a duration to milliseconds, saturating.
pub fn duration_millis(d: std::time::Duration) -> Millis {
    Millis::try_from(d.as_millis()).unwrap_or(Millis::MAX)
}

/// [`enqueue_with`] without encryption at rest (the unit tests' shorthand).
#[cfg(test)]
pub fn enqueue(
    conn: &Connection,
    batch: &NewBatch,
    messages: &[NewMessage],
    sealer: Option<&Sealer>,
    now: Millis,
) -> Result<Accepted, StoreError> {
    enqueue_with(conn, batch, messages, sealer, false, now)
}

/// Stores a batch of messages (or, for a known idempotency key, returns the earlier ids).
/// With `at_rest`, every text and PDU is stored sealed by `sealer` (encryption at rest),
/// not only those of messages carrying a secret.
pub fn enqueue_with(
    conn: &Connection,
    batch: &NewBatch,
    messages: &[NewMessage],
    sealer: Option<&Sealer>,
    at_rest: bool,
    now: Millis,
) -> Result<Accepted, StoreError> {
    let at_rest = match (at_rest, sealer) {
        (false, _) => None,
        (true, Some(sealer)) => Some(sealer),
        (true, None) => {
            return Err(StoreError::Conflict(
                "encryption at rest needs a store opened with a sealer".into(),
            ))
        }
    };
    if let Some(replayed) = replay(conn, batch)? {
        return replayed;
    }
    // Several nodes: the messages some node accepted within the window are not stored.
    let mut duplicates = Vec::new();
    let messages: Vec<&NewMessage> = match &batch.duplicate_check {
        None => messages.iter().collect(),
        Some(check) => {
            let fresh = super::cluster::take_duplicates(conn, &check.keys, check.window_ms, now)?;
            messages
                .iter()
                .zip(&check.keys)
                .enumerate()
                .filter_map(|(pos, (m, key))| {
                    if fresh.contains(key) {
                        Some(m)
                    } else {
                        duplicates.push(pos);
                        None
                    }
                })
                .collect()
        }
    };
    if messages.is_empty() {
        return Ok(Accepted {
            batch_id: String::new(),
            ids: Vec::new(),
            replayed: false,
            duplicates,
        });
    }
    let batch_id = new_batch_id();
    conn.prepare_cached(
        "INSERT INTO batches (id, name, idempotency_key, idempotency_scope, fingerprint,
                              callback_url, metadata, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        batch_id,
        batch.name,
        batch.idempotency_key,
        batch
            .idempotency_key
            .as_ref()
            .map(|_| &batch.idempotency_scope),
        batch.fingerprint,
        batch.callback_url,
        batch.metadata,
        now
    ])?;
    let mut insert_message = conn.prepare_cached(
        "INSERT INTO messages (batch_id, batch_pos, recipient, body, message_type, sms_type,
            encoding, priority, status, schedule_at, expire_at, provider, custom_id,
            recipient_name, segments, created_at, updated_at,
            country, rolled_status, rolled_route, rolled_cost)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16,
                 ?17, ?9, '', 0.0)
         RETURNING id",
    )?;
    // The analytics rollups of what this batch adds, counted here and written once per key
    // (hour, SMS type, country, status) below: a 10,000-recipient batch is a few upserts,
    // not three per message. A new message has no route and no cost yet, and is already
    // marked rolled up as such (`analytics::sync` moves it from there when it changes).
    let mut rollup: std::collections::BTreeMap<(&'static str, String, &'static str), (i64, i64)> =
        std::collections::BTreeMap::new();
    let mut insert_segment = conn.prepare_cached(
        "INSERT INTO segments (message_id, seq, pdu_hex, tpdu_length) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut ids = Vec::with_capacity(messages.len());
    for (pos, m) in messages.iter().enumerate() {
        let row = prepare(m, sealer, at_rest, now)?;
        let inserted_id: i64 = insert_message.query_row(
            params![
                batch_id,
                i64::try_from(pos).unwrap_or(i64::MAX),
                m.recipient,
                row.stored_body,
                message_type_str(m.message_type),
                m.sms_type.as_str(),
                m.encoding,
                m.priority,
                row.status.as_str(),
                m.schedule_at,
                m.expire_at,
                m.provider,
                m.custom_id,
                m.recipient_name,
                row.segment_count,
                now,
                row.country
            ],
            |r| r.get::<_, i64>(0),
        )?;
        let id = MessageId(inserted_id);
        let counted = rollup
            .entry((
                m.sms_type.as_str(),
                row.country.clone().unwrap_or_default(),
                row.status.as_str(),
            ))
            .or_default();
        counted.0 += 1;
        counted.1 += i64::from(row.segment_count);
        if let Some(sealed) = &row.sealed_body {
            conn.prepare_cached("UPDATE messages SET sealed_body = ?2 WHERE id = ?1")?
                .execute(params![id.0, sealed])?;
        }
        for (s, pdu) in m.segments.iter().zip(&row.pdus) {
            insert_segment.execute(params![id.0, s.seq, pdu, s.tpdu_length])?;
        }
        insert_event(conn, id, row.status, None, Some("accepted"), now)?;
        if let Some(reply) = m.reply {
            link_reply(conn, id, m, reply, now)?;
        }
        super::state::status_event(conn, id, row.status, row.status, None, None, now)?;
        ids.push(id);
    }
    let hour = super::analytics::hour_of(now);
    for ((sms_type, country, status), (count, segments)) in rollup {
        super::analytics::add(
            conn, hour, "", sms_type, &country, status, count, segments, 0.0,
        )?;
    }
    Ok(Accepted {
        batch_id,
        ids,
        replayed: false,
        duplicates,
    })
}

/// The earlier accept of `batch`'s idempotency key, if there was one: `Some(Ok)` to answer
/// again, `Some(Err)` when the key came with a different request.
pub(super) fn replay(
    conn: &Connection,
    batch: &NewBatch,
) -> Result<Option<Result<Accepted, StoreError>>, StoreError> {
    let Some(key) = &batch.idempotency_key else {
        return Ok(None);
    };
    let Some((batch_id, fingerprint)) =
        super::query::batch_for_key(conn, &batch.idempotency_scope, key)?
    else {
        return Ok(None);
    };
    if fingerprint.is_some() && fingerprint != batch.fingerprint {
        return Ok(Some(Err(StoreError::Conflict(
            "this idempotency key was used for a different request".into(),
        ))));
    }
    let ids = conn
        .prepare_cached("SELECT id FROM messages WHERE batch_id = ?1 ORDER BY batch_pos")?
        .query_map([&batch_id], |r| r.get(0).map(MessageId))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Ok(Accepted {
        batch_id,
        ids,
        replayed: true,
        duplicates: Vec::new(),
    })))
}

/// A new message as it is stored, worked out once for either way of storing it (row by
/// row here, set-wise in `accept_set`).
pub(super) struct Prepared {
    /// `queued`, or `scheduled` when `schedule_at` is ahead.
    pub status: MessageStatus,
    pub segment_count: u16,
    /// The recipient's country (analytics).
    pub country: Option<String>,
    /// What reads show: the text, or the redacted text of a message carrying a secret;
    /// sealed under encryption at rest.
    pub stored_body: String,
    /// The real text of a message carrying a secret, sealed.
    pub sealed_body: Option<String>,
    /// The segments' PDUs as stored (sealed when the text is secret or at rest), in order.
    pub pdus: Vec<String>,
}

/// Works out how `m` is stored; refuses what cannot be stored as asked.
pub(super) fn prepare(
    m: &NewMessage,
    sealer: Option<&Sealer>,
    at_rest: Option<&Sealer>,
    now: Millis,
) -> Result<Prepared, StoreError> {
    let status = if m.schedule_at.is_some_and(|at| at > now) {
        MessageStatus::Scheduled
    } else {
        MessageStatus::Queued
    };
    let segment_count = u16::try_from(m.segments.len())
        .map_err(|_| StoreError::Conflict("more than 65535 segments".into()))?;
    let shown = m.redacted_body.as_ref().unwrap_or(&m.body);
    let stored_body = match at_rest {
        Some(sealer) => sealer.seal(shown),
        None => shown.clone(),
    };
    // A secret's text and PDUs are kept only sealed; under encryption at rest every PDU is.
    let (sealed_body, pdu_sealer) = match (&m.redacted_body, sealer) {
        (None, _) => (None, at_rest),
        (Some(_), Some(sealer)) => (Some(sealer.seal(&m.body)), Some(sealer)),
        (Some(_), None) => {
            return Err(StoreError::Conflict(
                "a message carrying a secret needs a store opened with a sealer".into(),
            ))
        }
    };
    let pdus = m
        .segments
        .iter()
        .map(|s| match pdu_sealer {
            Some(sealer) => sealer.seal(&s.pdu_hex),
            None => s.pdu_hex.clone(),
        })
        .collect();
    Ok(Prepared {
        status,
        segment_count,
        country: crate::phone::country_of(&m.recipient),
        stored_body,
        sealed_body,
        pdus,
    })
}

/// Makes the new reply `id` part of its conversation from its acceptance.
pub(super) fn link_reply(
    conn: &Connection,
    id: MessageId,
    m: &NewMessage,
    reply: ReplyLink,
    now: Millis,
) -> Result<(), StoreError> {
    let conversation: Option<(String, String)> = conn
        .prepare_cached("SELECT remote_number, local_number FROM conversations WHERE id = ?1")?
        .query_row([reply.conversation_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (remote, local) = conversation.ok_or(StoreError::NotFound)?;
    let conversation = super::conversations::touch(
        conn,
        &remote,
        &local,
        m.provider.as_deref(),
        super::conversations::Direction::Outbound,
        now,
    )?;
    conn.prepare_cached("UPDATE messages SET conversation_id = ?2, reply_to = ?3 WHERE id = ?1")?
        .execute(params![id.0, conversation, reply.inbound_id])?;
    Ok(())
}

/// The lease query: the partial index `messages_due` has the same `status IN (…)` term and
/// the same order, so SQLite walks the index and stops after `limit` matches. `INDEXED BY`
/// pins it (the planner would otherwise pick `messages_status_created` and sort), and makes
/// the statement fail to prepare should the index ever stop being usable.
const DUE: &str = "SELECT id FROM messages INDEXED BY messages_due
     WHERE status IN ('queued', 'scheduled')
       AND (status = 'queued' OR schedule_at <= ?1)
       AND next_attempt_at <= ?1
       AND (expire_at IS NULL OR expire_at > ?1)
     ORDER BY priority DESC, id
     LIMIT ?2";

/// The lease query for `conn`'s database, its rows `?3 ..?3 + ?2` (`paged`) or the first
/// `?2`. PostgreSQL reads the queued messages and the scheduled ones that are due apart,
/// each from its own partial index (`messages_queued`, `messages_scheduled_due`), and merges
/// them: over `messages_due` its planner scans the table when a large backlog is scheduled
/// for later. SQLite walks `messages_due` as [`DUE`] says.
fn due_query(conn: &Connection, paged: bool) -> String {
    if !conn.is_postgres() {
        return if paged {
            format!("{DUE} OFFSET ?3")
        } else {
            DUE.to_string()
        };
    }
    let (inner, outer) = if paged {
        (
            "CAST(?2 AS BIGINT) + CAST(?3 AS BIGINT)",
            "LIMIT ?2 OFFSET ?3",
        )
    } else {
        ("?2", "LIMIT ?2")
    };
    format!(
        "SELECT id FROM (
             (SELECT id, priority FROM messages
              WHERE status = 'queued' AND next_attempt_at <= ?1
                AND (expire_at IS NULL OR expire_at > ?1)
              ORDER BY priority DESC, id LIMIT {inner})
             UNION ALL
             (SELECT id, priority FROM messages
              WHERE status = 'scheduled' AND schedule_at <= ?1 AND next_attempt_at <= ?1
                AND (expire_at IS NULL OR expire_at > ?1)
              ORDER BY priority DESC, id LIMIT {inner})
         ) due
         ORDER BY priority DESC, id {outer}"
    )
}

/// The due messages `offset ..offset + limit` in leasing order, with what placing them on
/// a route needs — not their texts or PDUs: for the dispatcher to decide which it can place
/// before it leases any (a read; nothing changes). One query per page, plus one per message
/// that failed before (its failures by route).
pub fn peek_due(
    conn: &Connection,
    now: Millis,
    limit: usize,
    offset: usize,
) -> Result<Vec<DueMessage>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let offset = i64::try_from(offset).unwrap_or(i64::MAX);
    let sql = format!(
        "SELECT m.id, m.recipient, m.sms_type, m.provider, m.segments, m.attempts,
                m.expire_at, m.created_at, m.schedule_at, m.route
         FROM messages m JOIN ({}) due ON due.id = m.id
         ORDER BY m.priority DESC, m.id",
        due_query(conn, true)
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params![now, limit, offset], |r| {
            Ok((
                MessageId(r.get(0)?),
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, u32>(4)?,
                r.get::<_, u32>(5)?,
                (
                    r.get::<_, Option<Millis>>(6)?,
                    r.get::<_, Millis>(7)?,
                    r.get::<_, Option<Millis>>(8)?,
                    r.get::<_, Option<String>>(9)?,
                ),
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(
            |(id, recipient, sms_type, provider, segments, attempts, rest)| {
                let (expire_at, created_at, schedule_at, last_route) = rest;
                Ok(DueMessage {
                    id,
                    recipient,
                    sms_type: parse_sms_type(&sms_type)?,
                    provider,
                    segments: usize::try_from(segments).unwrap_or(usize::MAX),
                    attempts,
                    expire_at,
                    due_at: schedule_at.map_or(created_at, |at| at.max(created_at)),
                    failures: if attempts > 0 {
                        failures_by_route(conn, id)?
                    } else {
                        Vec::new()
                    },
                    last_route,
                })
            },
        )
        .collect()
}

/// Leases those of `ids` that are still due (a peek may be a moment old), in that order.
/// PostgreSQL: another node may be leasing the same messages right now. Each takes a row
/// lock on those it leases and skips those locked by another, so a message is leased by one
/// node only and no node waits for another.
pub fn lease_ids(
    conn: &Connection,
    ids: &[MessageId],
    now: Millis,
    lease_for: std::time::Duration,
    sealer: Option<&Sealer>,
    node: Option<&str>,
) -> Result<Vec<Leased>, StoreError> {
    let lock = if conn.is_postgres() {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let mut still_due = conn.prepare_cached(&format!(
        "SELECT 1 FROM messages
         WHERE id = ?1 AND status IN ('queued', 'scheduled')
           AND (status = 'queued' OR schedule_at <= ?2)
           AND next_attempt_at <= ?2
           AND (expire_at IS NULL OR expire_at > ?2){lock}"
    ))?;
    let mut due = Vec::with_capacity(ids.len());
    for &id in ids {
        if still_due.exists(params![id.0, now])? {
            due.push(id);
        }
    }
    lease_listed(conn, due, now, lease_for, sealer, node)
}

/// Leases up to `limit` due messages: they become `sending` until `now + lease_for`.
pub fn lease(
    conn: &Connection,
    now: Millis,
    limit: usize,
    lease_for: std::time::Duration,
    sealer: Option<&Sealer>,
    node: Option<&str>,
) -> Result<Vec<Leased>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let ids = conn
        .prepare_cached(&due_query(conn, false))?
        .query_map(params![now, limit], |r| r.get(0).map(MessageId))?
        .collect::<Result<Vec<_>, _>>()?;
    if conn.is_postgres() {
        // Another node may be leasing the same ones: lock each, skipping those it has.
        return lease_ids(conn, &ids, now, lease_for, sealer, node);
    }
    lease_listed(conn, ids, now, lease_for, sealer, node)
}

/// Leases `ids` (all due): each becomes `sending` until `now + lease_for`.
fn lease_listed(
    conn: &Connection,
    ids: Vec<MessageId>,
    now: Millis,
    lease_for: std::time::Duration,
    sealer: Option<&Sealer>,
    node: Option<&str>,
) -> Result<Vec<Leased>, StoreError> {
    let until = now.saturating_add(duration_millis(lease_for));
    let mut set_lease =
        conn.prepare_cached("UPDATE messages SET lease_until = ?2, lease_node = ?3 WHERE id = ?1")?;
    let mut leased = Vec::with_capacity(ids.len());
    for id in ids {
        if settled_by_callback(conn, id, now)? {
            continue;
        }
        let message = match load_leased(conn, id)?.opened(sealer) {
            Ok(message) => message,
            Err(why) => {
                // A secret that no longer opens (the OTP secret was changed) can never be
                // sent: fail it rather than lease it again and again.
                let detail = format!("its sealed text does not open: {why}");
                transition(
                    conn,
                    id,
                    None,
                    MessageStatus::Failed,
                    None,
                    Some(&detail),
                    now,
                )?;
                continue;
            }
        };
        transition(
            conn,
            id,
            None,
            MessageStatus::Sending,
            None,
            Some("leased"),
            now,
        )?;
        set_lease.execute(params![id.0, until, node])?;
        leased.push(message);
    }
    Ok(leased)
}

/// A message waiting to be sent again after an unanswered attempt, for which the provider's
/// status callback has come meanwhile (kept as pending): that attempt did go out, so the
/// message is recorded as sent through it (and the callback applied) instead of being sent
/// a second time. A callback saying the provider failed it does not count.
fn settled_by_callback(conn: &Connection, id: MessageId, now: Millis) -> Result<bool, StoreError> {
    let earlier: Option<(String, Option<String>)> = conn
        .prepare_cached(
            "SELECT provider, provider_id FROM pending_provider_callbacks
             WHERE message_id = ?1 AND provider IS NOT NULL AND outcome != 'failed'
             ORDER BY id LIMIT 1",
        )?
        .query_row([id.0], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((route, provider_id)) = earlier else {
        return Ok(false);
    };
    transition(
        conn,
        id,
        None,
        MessageStatus::Sending,
        Some(&route),
        Some("a status callback came for the unanswered attempt"),
        now,
    )?;
    let refs: Vec<SegmentReceipt> = conn
        .prepare_cached("SELECT seq FROM segments WHERE message_id = ?1 ORDER BY seq")?
        .query_map([id.0], |r| r.get::<_, u16>(0))?
        .map(|seq| {
            seq.map(|seq| SegmentReceipt {
                seq,
                message_ref: None,
                provider_id: provider_id.clone(),
                cost: None,
            })
        })
        .collect::<Result<_, _>>()?;
    record_sent_with(
        conn,
        id,
        &route,
        &refs,
        Some(format!(
            "the unanswered attempt through {route} went out (its status callback came); not sent again"
        )),
        now,
    )?;
    Ok(true)
}

/// A leased message as stored: `body` is the redacted text and the PDUs are sealed when
/// `sealed_body` is set.
struct StoredLeased {
    message: Leased,
    sealed_body: Option<String>,
}

impl StoredLeased {
    /// The message with its secret text and PDUs opened.
    fn opened(self, sealer: Option<&Sealer>) -> Result<Leased, String> {
        let StoredLeased {
            mut message,
            sealed_body,
        } = self;
        let at_rest = crate::seal::is_sealed(&message.body);
        if sealed_body.is_none() && !at_rest {
            return Ok(message);
        }
        let sealer = sealer.ok_or("no sealer configured")?;
        // The secret text when there is one, else the text sealed at rest.
        let text = sealed_body.as_deref().unwrap_or(&message.body);
        message.body = sealer.open(text).map_err(|e| e.to_string())?;
        for segment in &mut message.segments {
            if crate::seal::is_sealed(&segment.pdu_hex) {
                segment.pdu_hex = sealer.open(&segment.pdu_hex).map_err(|e| e.to_string())?;
            }
        }
        Ok(message)
    }
}

fn load_leased(conn: &Connection, id: MessageId) -> Result<StoredLeased, StoreError> {
    let segments = conn
        .prepare_cached(
            "SELECT seq, pdu_hex, tpdu_length FROM segments WHERE message_id = ?1 ORDER BY seq",
        )?
        .query_map([id.0], |r| {
            Ok(OutboundSegment {
                seq: r.get(0)?,
                pdu_hex: r.get(1)?,
                tpdu_length: r.get(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT recipient, body, message_type, sms_type, encoding, priority, provider, attempts,
                expire_at, created_at, route, sealed_body, schedule_at
         FROM messages WHERE id = ?1",
    )?;
    let row = stmt
        .query_row([id.0], |r| {
            Ok((
                (
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ),
                (
                    r.get::<_, i32>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, u32>(7)?,
                    r.get::<_, Option<Millis>>(8)?,
                    r.get::<_, Millis>(9)?,
                    r.get::<_, Option<String>>(10)?,
                ),
                r.get::<_, Option<String>>(11)?,
                r.get::<_, Option<Millis>>(12)?,
            ))
        })
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let ((recipient, body, message_type, sms_type, encoding), rest, sealed_body, schedule_at) = row;
    let (priority, provider, attempts, expire_at, created_at, last_route) = rest;
    let message = Leased {
        id,
        recipient,
        body,
        message_type: parse_message_type(&message_type)?,
        sms_type: parse_sms_type(&sms_type)?,
        encoding,
        priority,
        provider,
        attempts,
        expire_at,
        created_at,
        last_route,
        due_at: schedule_at.map_or(created_at, |at| at.max(created_at)),
        failures: failures_by_route(conn, id)?,
        segments,
    };
    Ok(StoredLeased {
        message,
        sealed_body,
    })
}

/// Failed attempts of a message per route: the retries recorded with a route (a release or
/// a reclaimed lease names none).
fn failures_by_route(conn: &Connection, id: MessageId) -> Result<Vec<(String, u32)>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT route, count(*) FROM events
             WHERE message_id = ?1 AND status = 'queued' AND route IS NOT NULL
             GROUP BY route ORDER BY route",
        )?
        .query_map([id.0], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?)
}

/// Queued or scheduled messages whose `expire_at` passed become `expired`.
pub fn expire_due(conn: &Connection, now: Millis) -> Result<Vec<MessageId>, StoreError> {
    let ids = conn
        .prepare_cached(
            "SELECT id FROM messages
             WHERE status IN ('queued', 'scheduled') AND expire_at IS NOT NULL AND expire_at <= ?1
             ORDER BY id",
        )?
        .query_map([now], |r| r.get(0).map(MessageId))?
        .collect::<Result<Vec<_>, _>>()?;
    for &id in &ids {
        record_expired(conn, id, now)?;
    }
    // Housekeeping that rides on this periodic job: reports nobody adopted within a day.
    super::reports::prune_orphans(conn, now)?;
    Ok(ids)
}

impl super::Store {
    /// Accepts a batch: `queued` (or `scheduled` when `schedule_at > now`), durable on
    /// return. A known idempotency key returns the earlier accept with `replayed` and stores
    /// nothing.
    pub async fn enqueue(
        &self,
        batch: NewBatch,
        messages: Vec<NewMessage>,
        now: Millis,
    ) -> Result<Accepted, StoreError> {
        let (job, answer) = super::accept_set::AcceptJob::new(
            batch,
            messages,
            self.sealer.clone(),
            self.at_rest,
            now,
        );
        super::writer::submit(&self.queue, Box::new(job), answer).await
    }

    /// Leases up to `limit` due messages (highest priority, then oldest): they become
    /// `sending` until `now + lease_for`.
    pub async fn lease(
        &self,
        now: Millis,
        limit: usize,
        lease_for: Duration,
    ) -> Result<Vec<Leased>, StoreError> {
        let sealer = self.sealer.clone();
        let node = self.node.clone();
        super::writer::write(&self.queue, move |c| {
            lease(c, now, limit, lease_for, sealer.as_ref(), node.as_deref())
        })
        .await
    }

    /// The due messages `offset..offset + limit`, in leasing order, without leasing them
    /// (sealed text stays sealed): what the dispatcher places before it leases.
    pub async fn peek_due(
        &self,
        now: Millis,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<DueMessage>, StoreError> {
        super::writer::read(&self.reader, move |c| peek_due(c, now, limit, offset)).await
    }

    /// Leases those of `ids` that are still due, in that order.
    pub async fn lease_ids(
        &self,
        ids: Vec<MessageId>,
        now: Millis,
        lease_for: Duration,
    ) -> Result<Vec<Leased>, StoreError> {
        let sealer = self.sealer.clone();
        let node = self.node.clone();
        super::writer::write(&self.queue, move |c| {
            lease_ids(c, &ids, now, lease_for, sealer.as_ref(), node.as_deref())
        })
        .await
    }

    /// Queued or scheduled messages whose `expire_at <= now` become `expired`.
    pub async fn expire_due(&self, now: Millis) -> Result<Vec<MessageId>, StoreError> {
        super::writer::write(&self.writer, move |c| expire_due(c, now)).await
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::outcomes::*;
    use super::*;
    use crate::message::MessageType;
    use crate::message::SmsType;
    use crate::store::schema;
    use crate::store::types::{Durability, OutboundSegment};

    pub(crate) fn conn() -> Connection {
        let conn = Connection::for_tests();
        schema::configure_writer(&conn, Durability::Normal).unwrap();
        schema::migrate(&conn).unwrap();
        conn
    }

    pub(crate) fn message(recipient: &str, priority: i32, segments: u16) -> NewMessage {
        NewMessage {
            recipient: recipient.into(),
            body: "hello".into(),
            message_type: MessageType::Text,
            sms_type: SmsType::Transactional,
            encoding: "gsm7".into(),
            priority,
            schedule_at: None,
            expire_at: None,
            provider: None,
            custom_id: None,
            recipient_name: None,
            segments: (1..=segments)
                .map(|seq| OutboundSegment {
                    seq,
                    pdu_hex: format!("00{seq:02X}"),
                    tpdu_length: 1,
                })
                .collect(),
            redacted_body: None,
            reply: None,
        }
    }

    fn plan(conn: &Connection, sql: &str) -> String {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = stmt
            .query_map(params![0, 0], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        rows.join("; ")
    }

    #[test]
    fn peek_shows_due_messages_in_leasing_order_without_leasing_them() {
        let conn = conn();
        let ids = enqueue(
            &conn,
            &NewBatch::default(),
            &[
                message("+1", 0, 1),
                message("+2", 5, 3),
                message("+3", 1, 1),
            ],
            None,
            1,
        )
        .unwrap()
        .ids;
        let first = peek_due(&conn, 2, 2, 0).unwrap();
        let order: Vec<MessageId> = first.iter().map(|m| m.id).collect();
        assert_eq!(order, [ids[1], ids[2]], "priority first");
        assert_eq!(first[0].segments, 3);
        assert_eq!(first[0].recipient, "+2");
        assert_eq!(
            peek_due(&conn, 2, 2, 2).unwrap()[0].id,
            ids[0],
            "the next page"
        );
        // Nothing was leased: the same page again, and a lease takes the same messages.
        assert_eq!(peek_due(&conn, 2, 2, 0).unwrap(), first);
        let leased = lease(&conn, 2, 1, std::time::Duration::from_secs(60), None, None).unwrap();
        assert_eq!(leased[0].id, ids[1]);
        // A failed attempt shows in the next peek as a failure on its route.
        record_retry(&conn, ids[1], Some("twilio"), "refused", 3, 3).unwrap();
        let again = peek_due(&conn, 3, 10, 0).unwrap();
        let retried = again.iter().find(|m| m.id == ids[1]).unwrap();
        assert_eq!(retried.failures, [("twilio".to_string(), 1)]);
        assert_eq!(retried.last_route.as_deref(), Some("twilio"));
        assert_eq!(retried.attempts, 1);
    }

    #[test]
    fn the_lease_query_walks_the_partial_due_index_without_sorting() {
        let conn = conn();
        if conn.is_postgres() {
            return; // SQLite's query planner is what this checks
        }
        let plan = plan(&conn, DUE);
        assert!(plan.contains("messages_due"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }

    #[test]
    fn status_reports_are_correlated_through_their_index() {
        let conn = conn();
        if conn.is_postgres() {
            return; // SQLite's query planner is what this checks
        }
        let sql = super::super::reports::MATCH
            .replace("?5", "'x'")
            .replace("?3", "0")
            .replace("?4", "0");
        let plan = plan(&conn, &sql);
        assert!(plan.contains("segments_correlation"), "{plan}");
    }

    #[test]
    fn an_illegal_transition_is_refused_and_writes_no_event() {
        let conn = conn();
        let accepted = enqueue(
            &conn,
            &NewBatch::default(),
            &[message("+1555", 0, 1)],
            None,
            1,
        )
        .unwrap();
        let id = accepted.ids[0];
        let err = transition(&conn, id, None, MessageStatus::Delivered, None, None, 2).unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        let events: i64 = conn
            .query_row(
                "SELECT count(*) FROM events WHERE message_id = ?1",
                [id.0],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(events, 1, "only the accept");
        assert!(matches!(
            transition(
                &conn,
                MessageId(999),
                None,
                MessageStatus::Queued,
                None,
                None,
                2
            ),
            Err(StoreError::NotFound)
        ));
    }

    #[test]
    fn record_retry_only_returns_a_lease() {
        let conn = conn();
        let mut m = message("+1555", 0, 1);
        m.schedule_at = Some(100);
        let id = enqueue_with(&conn, &NewBatch::default(), &[m], None, false, 1)
            .unwrap()
            .ids[0];
        // scheduled → queued is a transition, but not a retry.
        let err = record_retry(&conn, id, None, "x", 0, 2).unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    }

    #[test]
    fn release_returns_a_lease_without_counting_an_attempt() {
        let conn = conn();
        let id = enqueue(
            &conn,
            &NewBatch::default(),
            &[message("+1555", 0, 1)],
            None,
            1,
        )
        .unwrap()
        .ids[0];
        let leased = lease(&conn, 2, 10, std::time::Duration::from_secs(60), None, None).unwrap();
        assert_eq!(leased.len(), 1);
        release(&conn, id, 50, 3).unwrap();
        // Not due before 50, and no attempt counted when it comes back.
        assert!(lease(
            &conn,
            49,
            10,
            std::time::Duration::from_secs(60),
            None,
            None
        )
        .unwrap()
        .is_empty());
        let again = lease(
            &conn,
            50,
            10,
            std::time::Duration::from_secs(60),
            None,
            None,
        )
        .unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 0);
        // Only a leased message can be released.
        assert!(matches!(release(&conn, id, 0, 4), Ok(())));
        assert!(matches!(
            release(&conn, id, 0, 5),
            Err(StoreError::Conflict(_))
        ));
    }

    #[test]
    fn batch_ids_have_the_documented_shape() {
        let id = new_batch_id();
        assert_eq!(id.len(), 26);
        assert!(id.starts_with("b_"));
        assert!(id[2..]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(id, new_batch_id());
    }
}
