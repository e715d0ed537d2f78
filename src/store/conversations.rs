//! Conversations: one remote number talking with one local number, across both directions.
//!
//! Owns the `conversations` and `conversation_responses` tables and the `conversation_id`
//! links of inbound and outbound messages. An inbound message joins its conversation when
//! the inbox creates it; an outbound one when it is accepted as a reply, or else when it is
//! sent (only then is the route, and so the local number, known). The local number is the
//! route's number from `route_numbers` (the SIM's MSISDN, the provider's sender), or the
//! route's name while that is unknown.
//!
//! Invariants: a conversation is created on first contact and reopened by the next message
//! after it was closed; it is closed by the API or after `idle_close` of silence, each close
//! reported as a `conversation.closed` event in the same transaction. Retention removes the
//! bodies of long-closed conversations, never their counts (the statistics need them).
//! Never imports anything above layer 1.

use super::events;
use super::sql::{params, Connection, OptionalExtension, Row};
use super::types::StoreError;
use crate::message::{format_millis, Millis};
use serde::Serialize;

/// Whether a conversation is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConversationStatus {
    /// Open: the last message is younger than the idle limit and nobody closed it.
    Active,
    /// Closed; the next message reopens it.
    Closed,
}

impl ConversationStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Closed => "closed",
        }
    }

    /// Parses a stored or requested name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "closed" => Some(Self::Closed),
            _ => None,
        }
    }
}

/// A conversation as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conversation {
    /// Its id.
    pub id: i64,
    /// The person's number.
    pub remote_number: String,
    /// Our number (or the route's name while its number is unknown).
    pub local_number: String,
    /// The modem or provider that last carried it: where replies go.
    pub route: Option<String>,
    /// Active or closed.
    pub status: ConversationStatus,
    /// First contact (Unix ms).
    pub created_at: Millis,
    /// Last activity (Unix ms).
    pub updated_at: Millis,
    /// When it was closed, while it is.
    pub closed_at: Option<Millis>,
    /// Messages received.
    pub inbound_count: u64,
    /// Messages sent.
    pub outbound_count: u64,
    /// Whether retention removed its bodies.
    pub purged: bool,
}

const COLUMNS: &str = "id, remote_number, local_number, route, status, created_at, updated_at, \
                       closed_at, inbound_count, outbound_count, purged_at";

fn conversation_row(r: &Row<'_>) -> super::sql::Result<Conversation> {
    let status: String = r.get(4)?;
    let purged: Option<Millis> = r.get(10)?;
    Ok(Conversation {
        id: r.get(0)?,
        remote_number: r.get(1)?,
        local_number: r.get(2)?,
        route: r.get(3)?,
        status: ConversationStatus::parse(&status).unwrap_or(ConversationStatus::Closed),
        created_at: r.get(5)?,
        updated_at: r.get(6)?,
        closed_at: r.get(7)?,
        inbound_count: u64::try_from(r.get::<_, i64>(8)?).unwrap_or(0),
        outbound_count: u64::try_from(r.get::<_, i64>(9)?).unwrap_or(0),
        purged: purged.is_some(),
    })
}

/// The number `route` sends from, or its name while unknown.
pub fn local_number(conn: &Connection, route: &str) -> Result<String, StoreError> {
    let number: Option<String> = conn
        .prepare_cached("SELECT number FROM route_numbers WHERE route = ?1")?
        .query_row([route], |r| r.get(0))
        .optional()?;
    Ok(number.unwrap_or_else(|| route.to_owned()))
}

/// Records the number `route` sends from (a modem learnt its MSISDN; a provider's sender).
/// Conversations keyed by the route's name while its number was unknown move to the
/// number — merged into the conversation with the same person there, if there is one.
pub fn set_route_number(
    conn: &Connection,
    route: &str,
    number: &str,
    now: Millis,
) -> Result<(), StoreError> {
    let changed = conn
        .prepare_cached(
            "INSERT INTO route_numbers (route, number, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (route) DO UPDATE SET number = excluded.number, updated_at = excluded.updated_at
             WHERE route_numbers.number <> excluded.number",
        )?
        .execute(params![route, number, now])?;
    if changed == 0 || route == number {
        return Ok(());
    }
    let provisional: Vec<(i64, String)> = conn
        .prepare_cached("SELECT id, remote_number FROM conversations WHERE local_number = ?1")?
        .query_map([route], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, remote) in provisional {
        let existing: Option<i64> = conn
            .prepare_cached(
                "SELECT id FROM conversations WHERE remote_number = ?1 AND local_number = ?2",
            )?
            .query_row(params![remote, number], |r| r.get(0))
            .optional()?;
        match existing {
            None => {
                conn.prepare_cached("UPDATE conversations SET local_number = ?2 WHERE id = ?1")?
                    .execute(params![id, number])?;
            }
            Some(target) => merge(conn, id, target)?,
        }
    }
    Ok(())
}

/// Moves conversation `from` (its messages, counts and response times) into `into`.
fn merge(conn: &Connection, from: i64, into: i64) -> Result<(), StoreError> {
    let (least, greatest) = (conn.least(), conn.greatest());
    for sql in [
        "UPDATE inbound_messages SET conversation_id = ?2 WHERE conversation_id = ?1",
        "UPDATE messages SET conversation_id = ?2 WHERE conversation_id = ?1",
        "UPDATE conversation_responses SET conversation_id = ?2 WHERE conversation_id = ?1",
        &format!("UPDATE conversations SET
             inbound_count = inbound_count + (SELECT inbound_count FROM conversations WHERE id = ?1),
             outbound_count = outbound_count + (SELECT outbound_count FROM conversations WHERE id = ?1),
             created_at = {least}(created_at, (SELECT created_at FROM conversations WHERE id = ?1)),
             updated_at = {greatest}(updated_at, (SELECT updated_at FROM conversations WHERE id = ?1)),
             awaiting_since = CASE
                 WHEN awaiting_since IS NULL THEN (SELECT awaiting_since FROM conversations WHERE id = ?1)
                 ELSE {least}(awaiting_since, COALESCE((SELECT awaiting_since FROM conversations WHERE id = ?1), awaiting_since))
             END,
             status = CASE WHEN (SELECT status FROM conversations WHERE id = ?1) = 'active'
                           THEN 'active' ELSE status END,
             closed_at = CASE WHEN (SELECT status FROM conversations WHERE id = ?1) = 'active'
                              THEN NULL ELSE closed_at END,
             purged_at = CASE WHEN (SELECT purged_at FROM conversations WHERE id = ?1) IS NULL
                              THEN NULL ELSE purged_at END
         WHERE id = ?2"),
    ] {
        conn.prepare_cached(sql)?.execute(params![from, into])?;
    }
    conn.prepare_cached("DELETE FROM conversations WHERE id = ?1")?
        .execute([from])?;
    Ok(())
}

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The person wrote to us.
    Inbound,
    /// We wrote to the person.
    Outbound,
}

/// The conversation of (`remote`, `local`), created or reopened, with one more message in
/// `direction` at `at` carried by `route`; returns its id.
pub fn touch(
    conn: &Connection,
    remote: &str,
    local: &str,
    route: Option<&str>,
    direction: Direction,
    at: Millis,
) -> Result<i64, StoreError> {
    let greatest = conn.greatest();
    let id: i64 = conn
        .prepare_cached(&format!(
            "INSERT INTO conversations (remote_number, local_number, route, status, created_at, updated_at)
             VALUES (?1, ?2, ?3, 'active', ?4, ?4)
             ON CONFLICT (remote_number, local_number) DO UPDATE
                SET status = 'active', closed_at = NULL, purged_at = NULL,
                    route = COALESCE(excluded.route, conversations.route),
                    updated_at = {greatest}(conversations.updated_at, excluded.updated_at)
             RETURNING id"
        ))?
        .query_row(params![remote, local, route, at], |r| r.get(0))?;
    match direction {
        Direction::Inbound => {
            conn.prepare_cached(
                "UPDATE conversations SET inbound_count = inbound_count + 1,
                        awaiting_since = COALESCE(awaiting_since, ?2)
                 WHERE id = ?1",
            )?
            .execute(params![id, at])?;
        }
        Direction::Outbound => {
            let awaiting: Option<Millis> = conn
                .prepare_cached("SELECT awaiting_since FROM conversations WHERE id = ?1")?
                .query_row([id], |r| r.get(0))?;
            if let Some(since) = awaiting {
                conn.prepare_cached(
                    "INSERT INTO conversation_responses (conversation_id, inbound_at, responded_at)
                     VALUES (?1, ?2, ?3)",
                )?
                .execute(params![id, since, at.max(since)])?;
            }
            conn.prepare_cached(
                "UPDATE conversations SET outbound_count = outbound_count + 1, awaiting_since = NULL
                 WHERE id = ?1",
            )?
            .execute([id])?;
        }
    }
    Ok(id)
}

/// Joins outbound message `id` to its conversation when it is sent by `route` (unless it
/// already belongs to one, as a reply does from its acceptance).
pub fn attach_sent(
    conn: &Connection,
    id: crate::message::MessageId,
    route: &str,
    at: Millis,
) -> Result<(), StoreError> {
    let row: Option<(String, Option<i64>)> = conn
        .prepare_cached("SELECT recipient, conversation_id FROM messages WHERE id = ?1")?
        .query_row([id.0], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((recipient, None)) = row else {
        return Ok(());
    };
    let local = local_number(conn, route)?;
    let conversation = touch(
        conn,
        &recipient,
        &local,
        Some(route),
        Direction::Outbound,
        at,
    )?;
    conn.prepare_cached("UPDATE messages SET conversation_id = ?2 WHERE id = ?1")?
        .execute(params![id.0, conversation])?;
    Ok(())
}

/// What `conversation.closed` carries.
#[derive(Serialize)]
struct ClosedEvent<'a> {
    conversation_id: i64,
    remote_number: &'a str,
    local_number: &'a str,
    reason: &'a str,
    closed_at: String,
}

/// Closes conversation `id` (`reason`: `api` or `idle`); `Ok(None)` when there is none,
/// `Ok(Some(false))` when it was already closed.
pub fn close(
    conn: &Connection,
    id: i64,
    reason: &str,
    now: Millis,
) -> Result<Option<bool>, StoreError> {
    let Some(conversation) = get(conn, id)? else {
        return Ok(None);
    };
    if conversation.status == ConversationStatus::Closed {
        return Ok(Some(false));
    }
    conn.prepare_cached(&format!(
        "UPDATE conversations SET status = 'closed', closed_at = ?2,
                updated_at = {}(updated_at, ?2)
         WHERE id = ?1",
        conn.greatest()
    ))?
    .execute(params![id, now])?;
    events::emit(
        conn,
        "conversation.closed",
        &ClosedEvent {
            conversation_id: id,
            remote_number: &conversation.remote_number,
            local_number: &conversation.local_number,
            reason,
            closed_at: format_millis(now),
        },
        now,
    )?;
    Ok(Some(true))
}

/// Closes up to `limit` active conversations silent since before `cutoff`; how many.
pub fn close_idle(
    conn: &Connection,
    cutoff: Millis,
    limit: usize,
    now: Millis,
) -> Result<usize, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let ids: Vec<i64> = conn
        .prepare_cached(
            "SELECT id FROM conversations WHERE status = 'active' AND updated_at < ?1
             ORDER BY updated_at LIMIT ?2",
        )?
        .query_map(params![cutoff, limit], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in &ids {
        close(conn, *id, "idle", now)?;
    }
    Ok(ids.len())
}

/// Removes the bodies of up to `limit` conversations closed before `cutoff` (their counts,
/// times and response times stay); how many.
pub fn purge_closed(
    conn: &Connection,
    cutoff: Millis,
    limit: usize,
    now: Millis,
) -> Result<usize, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let ids: Vec<i64> = conn
        .prepare_cached(
            "SELECT id FROM conversations INDEXED BY conversations_to_purge
             WHERE status = 'closed' AND purged_at IS NULL AND closed_at < ?1
             ORDER BY closed_at LIMIT ?2",
        )?
        .query_map(params![cutoff, limit], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in &ids {
        conn.prepare_cached(
            "UPDATE provider_inbound_parts SET text = '' WHERE message_id IN
                 (SELECT id FROM inbound_messages WHERE conversation_id = ?1)",
        )?
        .execute([id])?;
        conn.prepare_cached("UPDATE inbound_messages SET text = '' WHERE conversation_id = ?1")?
            .execute([id])?;
        // Each part keeps a distinct value: (modem, sender, ref, total, seq, pdu) is unique.
        conn.prepare_cached(
            "UPDATE inbound_parts SET pdu = 'purged:' || id WHERE message_id IN
                 (SELECT id FROM inbound_messages WHERE conversation_id = ?1)",
        )?
        .execute([id])?;
        conn.prepare_cached(
            "UPDATE messages SET body = '' WHERE conversation_id = ?1
                AND status NOT IN ('queued', 'scheduled', 'sending')",
        )?
        .execute([id])?;
        conn.prepare_cached("UPDATE conversations SET purged_at = ?2 WHERE id = ?1")?
            .execute(params![id, now])?;
    }
    Ok(ids.len())
}

/// Conversations one upkeep write closes at most.
pub const UPKEEP_CLOSE_BATCH: usize = 500;
/// Conversations one upkeep write purges at most.
pub const UPKEEP_PURGE_BATCH: usize = 200;

/// One conversation.
pub fn get(conn: &Connection, id: i64) -> Result<Option<Conversation>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM conversations WHERE id = ?1"
        ))?
        .query_row([id], conversation_row)
        .optional()?)
}

/// What `GET /api/sms/conversations` filters by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConversationFilter {
    /// Only active or only closed ones.
    pub status: Option<ConversationStatus>,
    /// Only with this person.
    pub remote_number: Option<String>,
    /// Only on this local number.
    pub local_number: Option<String>,
    /// Only carried by this route (a modem or provider name).
    pub route: Option<String>,
    /// Only those with activity at or after this time.
    pub updated_since: Option<Millis>,
    /// Keyset paging: only those older than this (`updated_at`, `id`) position.
    pub before: Option<(Millis, i64)>,
    /// Page size.
    pub limit: usize,
    /// Rows skipped (limit/offset paging).
    pub offset: usize,
}

/// A page of conversations, most recently active first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConversationPage {
    /// The page.
    pub conversations: Vec<Conversation>,
    /// How many match in all (ignoring paging).
    pub total: u64,
}

/// Conversations matching `filter`, most recently active first.
pub fn list(
    conn: &Connection,
    filter: &ConversationFilter,
) -> Result<ConversationPage, StoreError> {
    let condition = "(status = ?1 OR ?1 IS NULL) AND (remote_number = ?2 OR ?2 IS NULL)
                     AND (local_number = ?3 OR ?3 IS NULL) AND (route = ?4 OR ?4 IS NULL)
                     AND updated_at >= ?5";
    let status = filter.status.map(ConversationStatus::as_str);
    let since = filter.updated_since.unwrap_or(Millis::MIN);
    let (before_at, before_id) = filter.before.unwrap_or((Millis::MAX, i64::MAX));
    let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
    let offset = i64::try_from(filter.offset).unwrap_or(i64::MAX);
    let conversations = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM conversations WHERE {condition}
               AND (updated_at < ?6 OR (updated_at = ?6 AND id < ?7))
             ORDER BY updated_at DESC, id DESC LIMIT ?8 OFFSET ?9"
        ))?
        .query_map(
            params![
                status,
                filter.remote_number,
                filter.local_number,
                filter.route,
                since,
                before_at,
                before_id,
                limit,
                offset
            ],
            conversation_row,
        )?
        .collect::<Result<_, _>>()?;
    let total: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM conversations WHERE {condition}"
        ))?
        .query_row(
            params![
                status,
                filter.remote_number,
                filter.local_number,
                filter.route,
                since
            ],
            |r| r.get(0),
        )?;
    Ok(ConversationPage {
        conversations,
        total: u64::try_from(total).unwrap_or(0),
    })
}

/// One message of a conversation's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    /// `inbound` or `outbound`.
    pub direction: &'static str,
    /// The inbound message's id, or the outbound message's id.
    pub id: i64,
    /// Who wrote.
    pub from: String,
    /// Who it was for.
    pub to: String,
    /// The text (empty once retention removed it; an OTP shows its redacted form).
    pub text: String,
    /// Inbound: `received` (or `incomplete`); outbound: the message's status.
    pub status: String,
    /// The modem or provider that carried it.
    pub route: Option<String>,
    /// When it entered smsgate (Unix ms): received, or accepted.
    pub at: Millis,
    /// Outbound: when it was sent.
    pub sent_at: Option<Millis>,
    /// Outbound: the inbound message it answers.
    pub reply_to: Option<i64>,
}

/// The newest `limit` messages of conversation `id` in both directions, oldest first
/// (`None`: no such conversation).
pub fn history(
    conn: &Connection,
    id: i64,
    limit: usize,
) -> Result<Option<Vec<HistoryEntry>>, StoreError> {
    let Some(conversation) = get(conn, id)? else {
        return Ok(None);
    };
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    // The newest `limit` messages, then put in order: a long conversation shows its end.
    let mut entries: Vec<HistoryEntry> = conn
        .prepare_cached(
            "SELECT * FROM (
                 SELECT 'inbound' AS direction, id, sender AS party, text,
                        CASE WHEN complete THEN 'received' ELSE 'incomplete' END AS status,
                        COALESCE(provider, modem) AS route, received_at AS at,
                        NULL AS sent_at, NULL AS reply_to
                 FROM inbound_messages WHERE conversation_id = ?1
                 UNION ALL
                 SELECT 'outbound', id, recipient, body, status, route, created_at,
                        sent_at, reply_to
                 FROM messages WHERE conversation_id = ?1)
             ORDER BY at DESC, direction DESC, id DESC LIMIT ?2",
        )?
        .query_map(params![id, limit], |r| {
            let direction: String = r.get(0)?;
            let party: String = r.get(2)?;
            let inbound = direction == "inbound";
            let (from, to) = if inbound {
                (party, conversation.local_number.clone())
            } else {
                (conversation.local_number.clone(), party)
            };
            Ok(HistoryEntry {
                direction: if inbound { "inbound" } else { "outbound" },
                id: r.get(1)?,
                from,
                to,
                text: r.get(3)?,
                status: r.get(4)?,
                route: r.get(5)?,
                at: r.get(6)?,
                sent_at: r.get(7)?,
                reply_to: r.get(8)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    entries.reverse();
    Ok(Some(entries))
}

/// Seed 003's statistics over a time range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConversationStats {
    /// Messages received in the range.
    pub inbound_messages: u64,
    /// Messages accepted for sending in the range that belong to a conversation.
    pub outbound_messages: u64,
    /// Conversations active now.
    pub active_conversations: u64,
    /// Conversations with activity in the range.
    pub conversations_in_range: u64,
    /// Average time from a person's first unanswered message to our first answer, for
    /// answers in the range (seconds; `None` without any).
    pub average_first_response_secs: Option<f64>,
    /// Answers that average is over.
    pub responses: u64,
    /// Distinct remote numbers that wrote to us in the 24 hours before `now`.
    pub active_numbers_24h: u64,
    /// The same over 7 days.
    pub active_numbers_7d: u64,
}

/// Statistics for `[from, to)` (Unix ms), with the 24 h / 7 d figures counted back from `now`.
pub fn stats(
    conn: &Connection,
    from: Millis,
    to: Millis,
    now: Millis,
) -> Result<ConversationStats, StoreError> {
    let count = |sql: &str, a: Millis, b: Millis| -> Result<u64, StoreError> {
        let n: i64 = conn
            .prepare_cached(sql)?
            .query_row(params![a, b], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    };
    let inbound_messages = count(
        "SELECT count(*) FROM inbound_messages WHERE received_at >= ?1 AND received_at < ?2",
        from,
        to,
    )?;
    let outbound_messages = count(
        "SELECT count(*) FROM messages WHERE conversation_id IS NOT NULL
            AND created_at >= ?1 AND created_at < ?2",
        from,
        to,
    )?;
    let conversations_in_range = count(
        "SELECT count(*) FROM conversations WHERE updated_at >= ?1 AND created_at < ?2",
        from,
        to,
    )?;
    let active: i64 = conn
        .prepare_cached("SELECT count(*) FROM conversations WHERE status = 'active'")?
        .query_row([], |r| r.get(0))?;
    let (responses, average): (i64, Option<f64>) = conn
        .prepare_cached(
            "SELECT count(*), avg(responded_at - inbound_at) FROM conversation_responses
             WHERE responded_at >= ?1 AND responded_at < ?2",
        )?
        .query_row(params![from, to], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let distinct = "SELECT count(DISTINCT sender) FROM inbound_messages
                    WHERE received_at >= ?1 AND received_at <= ?2";
    const DAY: Millis = 24 * 3600 * 1000;
    Ok(ConversationStats {
        inbound_messages,
        outbound_messages,
        active_conversations: u64::try_from(active).unwrap_or(0),
        conversations_in_range,
        average_first_response_secs: average.map(|ms| ms / 1000.0),
        responses: u64::try_from(responses).unwrap_or(0),
        active_numbers_24h: count(distinct, now - DAY, now)?,
        active_numbers_7d: count(distinct, now - 7 * DAY, now)?,
    })
}

impl super::Store {
    /// Records the number `route` sends from.
    pub async fn set_route_number(
        &self,
        route: &str,
        number: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        let (route, number) = (route.to_owned(), number.to_owned());
        super::writer::write(&self.writer, move |c| {
            set_route_number(c, &route, &number, now)
        })
        .await
    }

    /// One conversation.
    pub async fn conversation(&self, id: i64) -> Result<Option<Conversation>, StoreError> {
        super::writer::read(&self.reader, move |c| get(c, id)).await
    }

    /// Conversations matching `filter`.
    pub async fn conversations(
        &self,
        filter: ConversationFilter,
    ) -> Result<ConversationPage, StoreError> {
        super::writer::read(&self.reader, move |c| list(c, &filter)).await
    }

    /// A conversation's newest `limit` messages, oldest first.
    pub async fn conversation_history(
        &self,
        id: i64,
        limit: usize,
    ) -> Result<Option<Vec<HistoryEntry>>, StoreError> {
        let entries = super::writer::read(&self.reader, move |c| history(c, id, limit)).await?;
        Ok(entries.map(|entries| {
            entries
                .into_iter()
                .map(|mut e| {
                    e.text = self.reveal(std::mem::take(&mut e.text));
                    e
                })
                .collect()
        }))
    }

    /// Closes a conversation (see [`close`]).
    pub async fn close_conversation(
        &self,
        id: i64,
        now: Millis,
    ) -> Result<Option<bool>, StoreError> {
        super::writer::write(&self.writer, move |c| close(c, id, "api", now)).await
    }

    /// Closes idle conversations and purges the bodies of long-closed ones; how many of each.
    pub async fn conversation_upkeep(
        &self,
        idle_cutoff: Millis,
        purge_cutoff: Option<Millis>,
        now: Millis,
    ) -> Result<(usize, usize), StoreError> {
        super::writer::write(&self.writer, move |c| {
            let closed = close_idle(c, idle_cutoff, UPKEEP_CLOSE_BATCH, now)?;
            let purged = match purge_cutoff {
                Some(cutoff) => purge_closed(c, cutoff, UPKEEP_PURGE_BATCH, now)?,
                None => 0,
            };
            Ok((closed, purged))
        })
        .await
    }

    /// The newest inbound message of conversation `id`, if any.
    pub async fn last_inbound_of(&self, id: i64) -> Result<Option<i64>, StoreError> {
        super::writer::read(&self.reader, move |c| {
            Ok(
                c.prepare_cached(
                    "SELECT max(id) FROM inbound_messages WHERE conversation_id = ?1",
                )?
                .query_row([id], |r| r.get(0))?,
            )
        })
        .await
    }

    /// Seed 003's statistics.
    pub async fn conversation_stats(
        &self,
        from: Millis,
        to: Millis,
        now: Millis,
    ) -> Result<ConversationStats, StoreError> {
        super::writer::read(&self.reader, move |c| stats(c, from, to, now)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let conn = Connection::for_tests();
        super::super::schema::migrate(&conn).unwrap();
        conn
    }

    #[test]
    fn a_route_learning_its_number_moves_and_merges_its_conversations() {
        let conn = conn();
        // Before the modem knew its number: one conversation keyed by its name per person.
        let a = touch(&conn, "+491", "sim0", Some("sim0"), Direction::Outbound, 10).unwrap();
        let b = touch(&conn, "+492", "sim0", Some("sim0"), Direction::Outbound, 11).unwrap();
        // Meanwhile +491 wrote to the number.
        let c = touch(&conn, "+491", "+1555", Some("sim0"), Direction::Inbound, 12).unwrap();
        assert_ne!(a, c);
        set_route_number(&conn, "sim0", "+1555", 20).unwrap();
        assert!(get(&conn, a).unwrap().is_none(), "merged away");
        let merged = get(&conn, c).unwrap().unwrap();
        assert_eq!((merged.inbound_count, merged.outbound_count), (1, 1));
        assert_eq!(merged.created_at, 10);
        assert_eq!(get(&conn, b).unwrap().unwrap().local_number, "+1555");
        assert_eq!(local_number(&conn, "sim0").unwrap(), "+1555");
        // Recording the same number again changes nothing.
        set_route_number(&conn, "sim0", "+1555", 30).unwrap();
        assert_eq!(get(&conn, b).unwrap().unwrap().local_number, "+1555");
    }

    #[test]
    fn an_answer_records_how_long_the_person_waited_once() {
        let conn = conn();
        let id = touch(&conn, "+491", "+1555", None, Direction::Inbound, 1_000).unwrap();
        touch(&conn, "+491", "+1555", None, Direction::Inbound, 5_000).unwrap();
        touch(&conn, "+491", "+1555", None, Direction::Outbound, 61_000).unwrap();
        touch(&conn, "+491", "+1555", None, Direction::Outbound, 70_000).unwrap();
        let s = stats(&conn, 0, 100_000, 100_000).unwrap();
        assert_eq!(s.responses, 1);
        assert_eq!(s.average_first_response_secs, Some(60.0));
        assert_eq!((s.inbound_messages, s.active_conversations), (0, 1));
        assert_eq!(close(&conn, id, "api", 80_000).unwrap(), Some(true));
        assert_eq!(close(&conn, id, "api", 80_000).unwrap(), Some(false));
        assert_eq!(close(&conn, 99, "api", 80_000).unwrap(), None);
    }
}
