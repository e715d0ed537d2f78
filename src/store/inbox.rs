//! The inbox's tables: every received part stored once (`inbound_parts`), sets of parts
//! joined into messages (`inbound_messages`), and the opt-out change a message makes — all
//! in the one transaction of the job that stored the part that completed it.
//!
//! What a set of parts *says* (joining and decoding, whether a text is a stop keyword) is
//! the inbox's business, not SQL: the caller passes its pure [`InboundRules`], which run
//! here, inside the transaction. Never imports anything above `message`.
//!
//! Invariants:
//! - **Stored once.** A part is identified by receiving modem, sender, concatenation
//!   reference, total, number and its PDU; storing it again changes nothing (`duplicate`).
//! - **A set completes exactly once.** The parts of a set with no `message_id` are its
//!   pending parts; the part that makes them `total` creates the message and marks them, in
//!   the same transaction. A restart loses nothing: the pending rows are the state.
//! - **Nothing received is lost.** A set that stays incomplete is closed as an incomplete
//!   message (`complete = 0`) by [`close_stale`]; a part whose number a pending set already
//!   holds with other content (the sender reused the reference) closes that set as
//!   incomplete first and starts a new one.

use super::sql::{params, Connection, OptionalExtension, Row};
use super::types::StoreError;
use crate::message::Millis;
use serde::Serialize;
use std::sync::Arc;

/// `concat_ref` of a message complete in itself.
pub const SINGLE: i64 = -1;

/// One received SMS-DELIVER, as the inbox hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInboundPart {
    /// The receiving modem's name.
    pub modem: String,
    /// Its own number, if known.
    pub modem_msisdn: Option<String>,
    /// The originator: E.164 when international, else as sent.
    pub sender: String,
    /// Concatenation reference (`None`: a message complete in itself).
    pub concat_ref: Option<u16>,
    /// Parts of its message (1 for a message complete in itself).
    pub total: u8,
    /// This part's number, 1-based.
    pub seq: u8,
    /// Its SCTS in Unix milliseconds (UTC).
    pub sent_at: Option<Millis>,
    /// The PDU line as the modem printed it.
    pub pdu: String,
    /// When it was read.
    pub received_at: Millis,
}

/// A stored part, as [`InboundRules::join`] sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPart {
    /// Its number, 1-based.
    pub seq: u8,
    /// The PDU line.
    pub pdu: String,
}

/// The text of a set of parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    /// The text (8-bit data as upper-case hex).
    pub text: String,
    /// `gsm7`, `ucs2` or `8bit`.
    pub encoding: String,
}

/// What an opt-out keyword does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OptoutAction {
    /// Puts the sender on the list.
    Stop,
    /// Takes the sender off the list.
    Start,
}

impl OptoutAction {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stop => "stop",
            Self::Start => "start",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "stop" => Some(Self::Stop),
            "start" => Some(Self::Start),
            _ => None,
        }
    }
}

/// An opt-out change a message asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptoutRequest {
    /// The E.164 number it concerns.
    pub number: String,
    /// Stop or start.
    pub action: OptoutAction,
    /// The keyword that matched.
    pub keyword: String,
}

/// The inbox's pure decisions, run inside the store's transaction. Must not do I/O.
pub trait InboundRules: Send + Sync {
    /// The text of `parts` (in `seq` order; for an incomplete set, the ones that arrived).
    fn join(&self, parts: &[StoredPart]) -> Joined;
    /// The opt-out change a complete message from `sender` with `text` asks for.
    fn optout(&self, sender: &str, text: &str) -> Option<OptoutRequest>;
}

/// What happened to an opt-out request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptoutApplied {
    /// The request.
    pub request: OptoutRequest,
    /// Whether the list changed (false: already on it, or not on it for a start).
    pub changed: bool,
}

/// A message the inbox created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedMessage {
    /// Its id.
    pub id: i64,
    /// Whether every part arrived.
    pub complete: bool,
    /// The opt-out change it made, if its text was a keyword.
    pub optout: Option<OptoutApplied>,
}

/// What storing one part did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InboundReceipt {
    /// The part was already stored; nothing changed.
    pub duplicate: bool,
    /// Parts of its set held now (0 for a duplicate).
    pub received: usize,
    /// Parts its set has.
    pub total: u8,
    /// The message this part completed.
    pub completed: Option<CreatedMessage>,
    /// An older pending set with the same key, closed as incomplete because this part
    /// reused its reference.
    pub superseded: Option<CreatedMessage>,
}

/// An inbound message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboundMessage {
    /// Its id.
    pub id: i64,
    /// The sender.
    #[serde(rename = "from")]
    pub sender: String,
    /// The receiving SIM's number, when known.
    #[serde(rename = "to")]
    pub modem_msisdn: Option<String>,
    /// The receiving modem.
    pub modem: String,
    /// The text (8-bit data as hex).
    pub text: String,
    /// `gsm7`, `ucs2` or `8bit`.
    pub encoding: String,
    /// Parts the message has.
    pub parts: u8,
    /// Parts that arrived.
    pub parts_received: u8,
    /// Whether every part arrived.
    pub complete: bool,
    /// The SCTS of its first part (Unix ms).
    pub sent_at: Option<Millis>,
    /// When it entered the inbox (Unix ms).
    pub received_at: Millis,
    /// `stop` or `start` when its text was an opt-out keyword.
    pub optout: Option<OptoutAction>,
    /// The cloud provider it came through (`None`: a modem received it).
    pub provider: Option<String>,
}

/// One part of an inbound message, for diagnosis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboundPartView {
    /// Its number.
    pub seq: u8,
    /// Its SCTS (Unix ms).
    pub sent_at: Option<Millis>,
    /// When it was read.
    pub received_at: Millis,
    /// The PDU line.
    pub pdu: String,
}

/// A message with its parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboundDetail {
    /// The message.
    #[serde(flatten)]
    pub message: InboundMessage,
    /// Its parts, by number.
    pub segments: Vec<InboundPartView>,
}

/// Which inbound messages to list (newest first).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InboundFilter {
    /// Only from this sender.
    pub sender: Option<String>,
    /// Only those that entered the inbox at or after this time.
    pub since: Option<Millis>,
    /// At most this many.
    pub limit: usize,
    /// After skipping this many.
    pub offset: usize,
}

/// A page of inbound messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundPage {
    /// The messages, newest first.
    pub messages: Vec<InboundMessage>,
    /// How many match the filter in all.
    pub total: u64,
}

/// The key of a set of parts.
#[derive(Debug, Clone)]
struct SetKey {
    modem: String,
    sender: String,
    concat_ref: i64,
    total: u8,
}

#[derive(Debug, Clone)]
struct PartRow {
    id: i64,
    seq: u8,
    pdu: String,
    modem_msisdn: Option<String>,
    sent_at: Option<Millis>,
}

/// Stores `part`; completes its message when it was the last one missing.
pub fn receive(
    conn: &Connection,
    part: &NewInboundPart,
    rules: &dyn InboundRules,
    now: Millis,
) -> Result<InboundReceipt, StoreError> {
    let key = SetKey {
        modem: part.modem.clone(),
        sender: part.sender.clone(),
        concat_ref: part.concat_ref.map_or(SINGLE, i64::from),
        total: part.total.max(1),
    };
    let seq = if key.total == 1 { 1 } else { part.seq };
    // The same part again: compared opened, as PDUs sealed at rest differ byte for byte.
    let candidates: Vec<String> = conn
        .prepare_cached(
            "SELECT pdu FROM inbound_parts
             WHERE modem = ?1 AND sender = ?2 AND concat_ref = ?3 AND part_total = ?4
               AND part_seq = ?5",
        )?
        .query_map(
            params![key.modem, key.sender, key.concat_ref, key.total, seq],
            |r| r.get(0),
        )?
        .collect::<Result<_, _>>()?;
    let known = candidates
        .into_iter()
        .any(|pdu| super::at_rest::open_stored(pdu) == part.pdu);
    if known {
        return Ok(InboundReceipt {
            duplicate: true,
            total: key.total,
            ..InboundReceipt::default()
        });
    }
    let mut pending = pending_parts(conn, &key)?;
    let mut superseded = None;
    if pending.iter().any(|p| p.seq == seq) {
        superseded = Some(create_message(conn, &key, &pending, false, rules, now)?);
        pending.clear();
    }
    let inserted_id: i64 = conn
        .prepare_cached(
            "INSERT INTO inbound_parts (modem, modem_msisdn, sender, concat_ref, part_total,
                                    part_seq, sent_at, pdu, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
        )?
        .query_row(
            params![
                key.modem,
                part.modem_msisdn,
                key.sender,
                key.concat_ref,
                key.total,
                seq,
                part.sent_at,
                super::at_rest::seal_for_storage(&part.pdu),
                part.received_at
            ],
            |r| r.get::<_, i64>(0),
        )?;
    pending.push(PartRow {
        id: inserted_id,
        seq,
        pdu: part.pdu.clone(),
        modem_msisdn: part.modem_msisdn.clone(),
        sent_at: part.sent_at,
    });
    let received = pending.len();
    let completed = if received >= usize::from(key.total) {
        Some(create_message(conn, &key, &pending, true, rules, now)?)
    } else {
        None
    };
    Ok(InboundReceipt {
        duplicate: false,
        received,
        total: key.total,
        completed,
        superseded,
    })
}

/// Closes every set whose first part arrived at or before `cutoff` as an incomplete
/// message; returns them.
pub fn close_stale(
    conn: &Connection,
    cutoff: Millis,
    rules: &dyn InboundRules,
    now: Millis,
) -> Result<Vec<CreatedMessage>, StoreError> {
    let keys: Vec<SetKey> = conn
        .prepare_cached(
            "SELECT modem, sender, concat_ref, part_total FROM inbound_parts
             WHERE message_id IS NULL
             GROUP BY modem, sender, concat_ref, part_total
             HAVING min(received_at) <= ?1",
        )?
        .query_map([cutoff], |r| {
            Ok(SetKey {
                modem: r.get(0)?,
                sender: r.get(1)?,
                concat_ref: r.get(2)?,
                total: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut closed = Vec::with_capacity(keys.len());
    for key in keys {
        let parts = pending_parts(conn, &key)?;
        if !parts.is_empty() {
            closed.push(create_message(conn, &key, &parts, false, rules, now)?);
        }
    }
    // Sets a cloud provider hands over part by part time out the same way.
    closed.extend(super::provider_inbox::close_stale(
        conn, cutoff, rules, now,
    )?);
    Ok(closed)
}

fn pending_parts(conn: &Connection, key: &SetKey) -> Result<Vec<PartRow>, StoreError> {
    let rows = conn
        .prepare_cached(
            "SELECT id, part_seq, pdu, modem_msisdn, sent_at FROM inbound_parts
             WHERE modem = ?1 AND sender = ?2 AND concat_ref = ?3 AND part_total = ?4
               AND message_id IS NULL
             ORDER BY part_seq, id",
        )?
        .query_map(
            params![key.modem, key.sender, key.concat_ref, key.total],
            |r| {
                Ok(PartRow {
                    id: r.get(0)?,
                    seq: r.get(1)?,
                    pdu: super::at_rest::open_stored(r.get(2)?),
                    modem_msisdn: r.get(3)?,
                    sent_at: r.get(4)?,
                })
            },
        )?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

fn create_message(
    conn: &Connection,
    key: &SetKey,
    parts: &[PartRow],
    complete: bool,
    rules: &dyn InboundRules,
    now: Millis,
) -> Result<CreatedMessage, StoreError> {
    let mut parts = parts.to_vec();
    parts.sort_by_key(|p| (p.seq, p.id));
    let stored: Vec<StoredPart> = parts
        .iter()
        .map(|p| StoredPart {
            seq: p.seq,
            pdu: p.pdu.clone(),
        })
        .collect();
    let joined = rules.join(&stored);
    let request = if complete {
        rules.optout(&key.sender, &joined.text)
    } else {
        None
    };
    let msisdn = parts.iter().rev().find_map(|p| p.modem_msisdn.clone());
    let sent_at = parts.first().and_then(|p| p.sent_at);
    let received = u8::try_from(parts.len()).unwrap_or(u8::MAX);
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO inbound_messages (modem, modem_msisdn, sender, concat_ref, text, encoding,
                                       parts_total, parts_received, complete, sent_at,
                                       received_at, optout)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) RETURNING id",
        )?
        .query_row(
            params![
                key.modem,
                msisdn,
                key.sender,
                key.concat_ref,
                super::at_rest::seal_for_storage(&joined.text),
                joined.encoding,
                key.total,
                received,
                complete,
                sent_at,
                now,
                request.as_ref().map(|r| r.action.as_str()),
            ],
            |r| r.get::<_, i64>(0),
        )?;
    let mut mark = conn.prepare_cached("UPDATE inbound_parts SET message_id = ?1 WHERE id = ?2")?;
    for part in &parts {
        mark.execute(params![id, part.id])?;
    }
    let local = match &msisdn {
        Some(number) => number.clone(),
        None => super::conversations::local_number(conn, &key.modem)?,
    };
    let received_message = ReceivedMessage {
        id,
        from: &key.sender,
        to: &local,
        text: &joined.text,
        encoding: &joined.encoding,
        modem: Some(&key.modem),
        provider: None,
        parts: key.total,
        parts_received: received,
        complete,
        received_at: now,
    };
    after_insert(conn, &received_message)?;
    let optout = apply_optout(conn, request, now)?;
    Ok(CreatedMessage {
        id,
        complete,
        optout,
    })
}

/// Applies the opt-out change a new inbound message asks for (a stop keyword puts its
/// sender on the list, a start keyword takes it off), in the message's transaction. Shared
/// by modem and provider messages so both follow the same rule.
pub fn apply_optout(
    conn: &Connection,
    request: Option<OptoutRequest>,
    now: Millis,
) -> Result<Option<OptoutApplied>, StoreError> {
    let Some(request) = request else {
        return Ok(None);
    };
    let changed = match request.action {
        OptoutAction::Stop => {
            super::optouts::add(
                conn,
                &request.number,
                super::optouts::Source::Sms,
                Some(&request.keyword),
                now,
            )?
            .1
        }
        OptoutAction::Start => super::optouts::remove(
            conn,
            &request.number,
            super::optouts::Source::Sms,
            Some(&request.keyword),
            now,
        )?,
    };
    Ok(Some(OptoutApplied { request, changed }))
}

/// What `sms.received` tells about a new inbound message (and what joins it to its
/// conversation).
#[derive(Debug, Clone, Serialize)]
pub struct ReceivedMessage<'a> {
    /// The inbound message's id.
    pub id: i64,
    /// The sender.
    pub from: &'a str,
    /// The local number it was sent to.
    pub to: &'a str,
    /// Its text (8-bit data as hex).
    pub text: &'a str,
    /// `gsm7`, `ucs2` or `8bit`.
    pub encoding: &'a str,
    /// The receiving modem (for a modem's message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modem: Option<&'a str>,
    /// The provider it came through (for a provider's message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<&'a str>,
    /// Parts the message has.
    pub parts: u8,
    /// Parts that arrived.
    pub parts_received: u8,
    /// Whether every part arrived.
    pub complete: bool,
    /// When it entered the inbox (Unix ms).
    #[serde(serialize_with = "serialize_rfc3339")]
    pub received_at: Millis,
}

fn serialize_rfc3339<S: serde::Serializer>(ms: &Millis, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::message::format_millis(*ms))
}

/// Everything a new inbound message brings, in its transaction: its conversation, its place
/// in the automatic-reply queue and its `sms.received` event.
pub fn after_insert(conn: &Connection, message: &ReceivedMessage<'_>) -> Result<(), StoreError> {
    let route = message.provider.or(message.modem);
    let conversation = super::conversations::touch(
        conn,
        message.from,
        message.to,
        route,
        super::conversations::Direction::Inbound,
        message.received_at,
    )?;
    conn.prepare_cached(
        "UPDATE inbound_messages SET conversation_id = ?2, reply_state = 'pending' WHERE id = ?1",
    )?
    .execute(params![message.id, conversation])?;
    #[derive(Serialize)]
    struct Event<'a> {
        #[serde(flatten)]
        message: &'a ReceivedMessage<'a>,
        conversation_id: i64,
    }
    super::events::emit(
        conn,
        "sms.received",
        &Event {
            message,
            conversation_id: conversation,
        },
        message.received_at,
    )?;
    Ok(())
}

const MESSAGE_COLUMNS: &str = "id, sender, modem_msisdn, modem, text, encoding, parts_total, \
                               parts_received, complete, sent_at, received_at, optout, \
                               provider";

fn message_row(r: &Row<'_>) -> super::sql::Result<InboundMessage> {
    let optout: Option<String> = r.get(11)?;
    Ok(InboundMessage {
        id: r.get(0)?,
        sender: r.get(1)?,
        modem_msisdn: r.get(2)?,
        modem: r.get(3)?,
        text: r.get(4)?,
        encoding: r.get(5)?,
        parts: r.get(6)?,
        parts_received: r.get(7)?,
        complete: r.get(8)?,
        sent_at: r.get(9)?,
        received_at: r.get(10)?,
        optout: optout.as_deref().and_then(OptoutAction::parse),
        provider: r.get(12)?,
    })
}

/// Inbound messages matching `filter`, newest first, and how many match in all.
pub fn list(conn: &Connection, filter: &InboundFilter) -> Result<InboundPage, StoreError> {
    let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
    let offset = i64::try_from(filter.offset).unwrap_or(i64::MAX);
    let since = filter.since.unwrap_or(i64::MIN);
    let condition = "(sender = ?1 OR ?1 IS NULL) AND received_at >= ?2";
    let messages = conn
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM inbound_messages WHERE {condition}
             ORDER BY id DESC LIMIT ?3 OFFSET ?4"
        ))?
        .query_map(params![filter.sender, since, limit, offset], message_row)?
        .collect::<Result<_, _>>()?;
    let total: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM inbound_messages WHERE {condition}"
        ))?
        .query_row(params![filter.sender, since], |r| r.get(0))?;
    Ok(InboundPage {
        messages,
        total: u64::try_from(total).unwrap_or(0),
    })
}

/// One inbound message with its parts.
pub fn get(conn: &Connection, id: i64) -> Result<Option<InboundDetail>, StoreError> {
    let message = conn
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM inbound_messages WHERE id = ?1"
        ))?
        .query_row([id], message_row)
        .optional()?;
    let Some(message) = message else {
        return Ok(None);
    };
    let segments = conn
        .prepare_cached(
            "SELECT part_seq, sent_at, received_at, pdu FROM inbound_parts
             WHERE message_id = ?1 ORDER BY part_seq, id",
        )?
        .query_map([id], |r| {
            Ok(InboundPartView {
                seq: r.get(0)?,
                sent_at: r.get(1)?,
                received_at: r.get(2)?,
                pdu: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(Some(InboundDetail { message, segments }))
}

/// Parts of sets not complete yet.
pub fn pending_count(conn: &Connection) -> Result<u64, StoreError> {
    let n: i64 = conn.query_row(
        "SELECT count(*) FROM inbound_parts WHERE message_id IS NULL",
        [],
        |r| r.get(0),
    )?;
    Ok(u64::try_from(n).unwrap_or(0))
}

impl super::Store {
    /// Stores one received part, once; completes its message when it was the last one
    /// missing (and applies the message's opt-out keyword), all in one transaction.
    pub async fn receive_inbound(
        &self,
        part: NewInboundPart,
        rules: Arc<dyn InboundRules>,
        now: Millis,
    ) -> Result<InboundReceipt, StoreError> {
        super::writer::write(&self.writer, move |c| {
            receive(c, &part, rules.as_ref(), now)
        })
        .await
    }

    /// Closes every set of parts whose first part arrived at or before `cutoff` as an
    /// incomplete message.
    pub async fn close_stale_inbound(
        &self,
        cutoff: Millis,
        rules: Arc<dyn InboundRules>,
        now: Millis,
    ) -> Result<Vec<CreatedMessage>, StoreError> {
        super::writer::write(&self.writer, move |c| {
            close_stale(c, cutoff, rules.as_ref(), now)
        })
        .await
    }

    /// Inbound messages, newest first.
    pub async fn inbound_list(&self, filter: InboundFilter) -> Result<InboundPage, StoreError> {
        let mut page = super::writer::read(&self.reader, move |c| list(c, &filter)).await?;
        for m in &mut page.messages {
            m.text = self.reveal(std::mem::take(&mut m.text));
        }
        Ok(page)
    }

    /// One inbound message with its parts.
    pub async fn inbound_get(&self, id: i64) -> Result<Option<InboundDetail>, StoreError> {
        let detail = super::writer::read(&self.reader, move |c| get(c, id)).await?;
        Ok(detail.map(|mut d| {
            d.message.text = self.reveal(std::mem::take(&mut d.message.text));
            for part in &mut d.segments {
                part.pdu = self.reveal(std::mem::take(&mut part.pdu));
            }
            d
        }))
    }

    /// Parts waiting for the rest of their message.
    pub async fn inbound_pending_parts(&self) -> Result<u64, StoreError> {
        super::writer::read(&self.reader, pending_count).await
    }
}
