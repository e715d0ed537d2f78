//! Inbound messages from cloud providers (Twilio, Vonage, Plivo) into the same inbox as the
//! modems' messages: `inbound_messages` rows with `modem` = `provider` = the provider route's
//! name and the provider's id in `provider_message_id`, and, for a provider that hands a
//! long message over part by part (Vonage's `concat-*`), the parts in
//! `provider_inbound_parts` until the set is whole.
//!
//! The caller passes its pure [`InboundRules`] (only `optout` is asked: provider texts
//! arrive decoded). Never imports anything above `message`.
//!
//! Invariants:
//! - **Stored once.** A message (a part) is identified by its provider and the provider's id
//!   for it; a provider retrying its webhook stores nothing new ((`InboundReceipt::duplicate`)).
//! - **Like a modem's message.** A new message applies its opt-out keyword
//!   ([`super::inbox::apply_optout`]) and goes through [`super::inbox::after_insert`]
//!   (conversation, reply state, `sms.received` with `provider`) in its own transaction.
//! - **A set completes exactly once**, in the transaction of the part that completes it;
//!   the pending rows are the state, so a restart loses nothing. A part whose number the
//!   pending set already holds (the provider reused the reference) closes that set as
//!   incomplete first; a set still incomplete after the inbox's timeout is closed as an
//!   incomplete message by [`close_stale`] (run with the modems' stale sets).

use super::inbox::{
    after_insert, apply_optout, CreatedMessage, InboundReceipt, InboundRules, ReceivedMessage,
};
use super::sql::{params, Connection, OptionalExtension};
use super::types::StoreError;
use crate::message::Millis;
use std::sync::Arc;

/// A whole message a provider delivered (or one part of a set, with [`ProviderConcat`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderInbound {
    /// The provider route's name (`twilio`, `vonage`, `plivo`).
    pub provider: String,
    /// The provider's id of this message (part): Twilio `MessageSid`, Vonage `messageId`,
    /// Plivo `MessageUUID`.
    pub provider_message_id: String,
    /// The sender: E.164 when it is a number, else as sent.
    pub from: String,
    /// Our number the person wrote to, E.164 when it is a number.
    pub to: String,
    /// The text (8-bit data as upper-case hex).
    pub text: String,
    /// `gsm7`, `ucs2` or `8bit`.
    pub encoding: String,
    /// Segments the message took on the air (1 when the provider does not say).
    pub parts: u8,
    /// When the provider says it was sent (Unix ms).
    pub sent_at: Option<Millis>,
    /// Present when this is one part of a concatenated message handed over part by part.
    pub concat: Option<ProviderConcat>,
}

/// Where a part belongs in its set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderConcat {
    /// The provider's reference of the set.
    pub reference: String,
    /// Parts the set has (≥ 1).
    pub total: u8,
    /// This part's number, 1-based (≤ `total`).
    pub seq: u8,
}

/// Stores `inbound` once: a whole message at once, a part into its set.
pub fn receive(
    conn: &Connection,
    inbound: &ProviderInbound,
    rules: &dyn InboundRules,
    now: Millis,
) -> Result<InboundReceipt, StoreError> {
    match &inbound.concat {
        Some(concat) if concat.total > 1 => receive_part(conn, inbound, concat, rules, now),
        _ => receive_whole(conn, inbound, rules, now),
    }
}

/// One message as it enters `inbound_messages`.
struct NewMessage<'a> {
    provider: &'a str,
    provider_message_id: &'a str,
    from: &'a str,
    to: &'a str,
    concat_ref: i64,
    text: &'a str,
    encoding: &'a str,
    parts_total: u8,
    parts_received: u8,
    complete: bool,
    sent_at: Option<Millis>,
}

fn receive_whole(
    conn: &Connection,
    inbound: &ProviderInbound,
    rules: &dyn InboundRules,
    now: Millis,
) -> Result<InboundReceipt, StoreError> {
    let known: Option<i64> = conn
        .prepare_cached(
            "SELECT id FROM inbound_messages WHERE provider = ?1 AND provider_message_id = ?2",
        )?
        .query_row(
            params![inbound.provider, inbound.provider_message_id],
            |r| r.get(0),
        )
        .optional()?;
    if known.is_some() {
        return Ok(InboundReceipt {
            duplicate: true,
            ..InboundReceipt::default()
        });
    }
    let parts = inbound.parts.max(1);
    let message = insert_message(
        conn,
        &NewMessage {
            provider: &inbound.provider,
            provider_message_id: &inbound.provider_message_id,
            from: &inbound.from,
            to: &inbound.to,
            concat_ref: super::inbox::SINGLE,
            text: &inbound.text,
            encoding: &inbound.encoding,
            parts_total: parts,
            parts_received: parts,
            complete: true,
            sent_at: inbound.sent_at,
        },
        rules,
        now,
    )?;
    Ok(InboundReceipt {
        duplicate: false,
        received: usize::from(parts),
        total: parts,
        completed: Some(message),
        superseded: None,
    })
}

/// Inserts the message, applies its opt-out keyword (complete messages only) and runs
/// `after_insert`: everything a modem's message gets, in the same order.
fn insert_message(
    conn: &Connection,
    m: &NewMessage<'_>,
    rules: &dyn InboundRules,
    now: Millis,
) -> Result<CreatedMessage, StoreError> {
    let request = if m.complete {
        rules.optout(m.from, m.text)
    } else {
        None
    };
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO inbound_messages (modem, modem_msisdn, sender, concat_ref, text, encoding,
                                       parts_total, parts_received, complete, sent_at,
                                       received_at, optout, provider, provider_message_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?1, ?13) RETURNING id",
        )?
        .query_row(
            params![
                m.provider,
                m.to,
                m.from,
                m.concat_ref,
                super::at_rest::seal_for_storage(m.text),
                m.encoding,
                m.parts_total,
                m.parts_received,
                m.complete,
                m.sent_at,
                now,
                request.as_ref().map(|r| r.action.as_str()),
                m.provider_message_id,
            ],
            |r| r.get::<_, i64>(0),
        )?;
    after_insert(
        conn,
        &ReceivedMessage {
            id,
            from: m.from,
            to: m.to,
            text: m.text,
            encoding: m.encoding,
            modem: None,
            provider: Some(m.provider),
            parts: m.parts_total,
            parts_received: m.parts_received,
            complete: m.complete,
            received_at: now,
        },
    )?;
    let optout = apply_optout(conn, request, now)?;
    Ok(CreatedMessage {
        id,
        complete: m.complete,
        optout,
    })
}

/// The key of a set of parts.
#[derive(Debug, Clone)]
struct SetKey {
    provider: String,
    sender: String,
    recipient: String,
    concat_ref: String,
    total: u8,
}

#[derive(Debug, Clone)]
struct PartRow {
    id: i64,
    seq: u8,
    provider_message_id: String,
    text: String,
    encoding: String,
    sent_at: Option<Millis>,
}

fn receive_part(
    conn: &Connection,
    inbound: &ProviderInbound,
    concat: &ProviderConcat,
    rules: &dyn InboundRules,
    now: Millis,
) -> Result<InboundReceipt, StoreError> {
    let known: Option<i64> = conn
        .prepare_cached(
            "SELECT id FROM provider_inbound_parts
             WHERE provider = ?1 AND provider_message_id = ?2",
        )?
        .query_row(
            params![inbound.provider, inbound.provider_message_id],
            |r| r.get(0),
        )
        .optional()?;
    if known.is_some() {
        return Ok(InboundReceipt {
            duplicate: true,
            ..InboundReceipt::default()
        });
    }
    let key = SetKey {
        provider: inbound.provider.clone(),
        sender: inbound.from.clone(),
        recipient: inbound.to.clone(),
        concat_ref: concat.reference.clone(),
        total: concat.total,
    };
    let seq = concat.seq.clamp(1, concat.total);
    let mut pending = pending_parts(conn, &key)?;
    let mut superseded = None;
    if pending.iter().any(|p| p.seq == seq) {
        superseded = Some(create_from_parts(conn, &key, &pending, false, rules, now)?);
        pending.clear();
    }
    let inserted_id: i64 = conn
        .prepare_cached(
            "INSERT INTO provider_inbound_parts (provider, provider_message_id, sender, recipient,
                                             concat_ref, part_total, part_seq, text, encoding,
                                             sent_at, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id",
        )?
        .query_row(
            params![
                key.provider,
                inbound.provider_message_id,
                key.sender,
                key.recipient,
                key.concat_ref,
                key.total,
                seq,
                super::at_rest::seal_for_storage(&inbound.text),
                inbound.encoding,
                inbound.sent_at,
                now
            ],
            |r| r.get::<_, i64>(0),
        )?;
    pending.push(PartRow {
        id: inserted_id,
        seq,
        provider_message_id: inbound.provider_message_id.clone(),
        text: inbound.text.clone(),
        encoding: inbound.encoding.clone(),
        sent_at: inbound.sent_at,
    });
    let received = pending.len();
    let completed = if received >= usize::from(key.total) {
        Some(create_from_parts(conn, &key, &pending, true, rules, now)?)
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

fn pending_parts(conn: &Connection, key: &SetKey) -> Result<Vec<PartRow>, StoreError> {
    let rows = conn
        .prepare_cached(
            "SELECT id, part_seq, provider_message_id, text, encoding, sent_at
             FROM provider_inbound_parts
             WHERE provider = ?1 AND sender = ?2 AND recipient = ?3 AND concat_ref = ?4
               AND part_total = ?5 AND message_id IS NULL
             ORDER BY part_seq, id",
        )?
        .query_map(
            params![
                key.provider,
                key.sender,
                key.recipient,
                key.concat_ref,
                key.total
            ],
            |r| {
                Ok(PartRow {
                    id: r.get(0)?,
                    seq: r.get(1)?,
                    provider_message_id: r.get(2)?,
                    text: super::at_rest::open_stored(r.get(3)?),
                    encoding: r.get(4)?,
                    sent_at: r.get(5)?,
                })
            },
        )?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The encoding of a set: the widest of its parts'.
fn joined_encoding(parts: &[PartRow]) -> &'static str {
    if parts.iter().any(|p| p.encoding == "8bit") {
        "8bit"
    } else if parts.iter().any(|p| p.encoding == "ucs2") {
        "ucs2"
    } else {
        "gsm7"
    }
}

fn create_from_parts(
    conn: &Connection,
    key: &SetKey,
    parts: &[PartRow],
    complete: bool,
    rules: &dyn InboundRules,
    now: Millis,
) -> Result<CreatedMessage, StoreError> {
    let mut parts = parts.to_vec();
    parts.sort_by_key(|p| (p.seq, p.id));
    let text: String = parts.iter().map(|p| p.text.as_str()).collect();
    // The message is known by its first part's id (the lowest-numbered one that arrived).
    let provider_message_id = parts
        .first()
        .map(|p| p.provider_message_id.clone())
        .unwrap_or_default();
    let message = insert_message(
        conn,
        &NewMessage {
            provider: &key.provider,
            provider_message_id: &provider_message_id,
            from: &key.sender,
            to: &key.recipient,
            // The provider's reference is text; the column is the modems' numeric one.
            concat_ref: key
                .concat_ref
                .parse::<i64>()
                .unwrap_or(super::inbox::SINGLE),
            text: &text,
            encoding: joined_encoding(&parts),
            parts_total: key.total,
            parts_received: u8::try_from(parts.len()).unwrap_or(u8::MAX),
            complete,
            sent_at: parts.first().and_then(|p| p.sent_at),
        },
        rules,
        now,
    )?;
    let mut mark =
        conn.prepare_cached("UPDATE provider_inbound_parts SET message_id = ?1 WHERE id = ?2")?;
    for part in &parts {
        mark.execute(params![message.id, part.id])?;
    }
    Ok(message)
}

/// Closes every provider set whose first part arrived at or before `cutoff` as an
/// incomplete message; returns them.
pub fn close_stale(
    conn: &Connection,
    cutoff: Millis,
    rules: &dyn InboundRules,
    now: Millis,
) -> Result<Vec<CreatedMessage>, StoreError> {
    let keys: Vec<SetKey> = conn
        .prepare_cached(
            "SELECT provider, sender, recipient, concat_ref, part_total
             FROM provider_inbound_parts WHERE message_id IS NULL
             GROUP BY provider, sender, recipient, concat_ref, part_total
             HAVING min(received_at) <= ?1",
        )?
        .query_map([cutoff], |r| {
            Ok(SetKey {
                provider: r.get(0)?,
                sender: r.get(1)?,
                recipient: r.get(2)?,
                concat_ref: r.get(3)?,
                total: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut closed = Vec::with_capacity(keys.len());
    for key in keys {
        let parts = pending_parts(conn, &key)?;
        if !parts.is_empty() {
            closed.push(create_from_parts(conn, &key, &parts, false, rules, now)?);
        }
    }
    Ok(closed)
}

impl super::Store {
    /// Stores a provider's inbound message (or part) once, in one transaction with its
    /// opt-out change, conversation and `sms.received` event.
    pub async fn receive_provider_inbound(
        &self,
        inbound: ProviderInbound,
        rules: Arc<dyn InboundRules>,
        now: Millis,
    ) -> Result<InboundReceipt, StoreError> {
        super::writer::write(&self.writer, move |c| {
            receive(c, &inbound, rules.as_ref(), now)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::inbox::{Joined, OptoutAction, OptoutRequest, StoredPart};
    use crate::store::Store;

    /// STOP from an E.164 sender, nothing else.
    struct StopOnly;

    impl InboundRules for StopOnly {
        fn join(&self, _parts: &[StoredPart]) -> Joined {
            Joined {
                text: String::new(),
                encoding: "gsm7".into(),
            }
        }
        fn optout(&self, sender: &str, text: &str) -> Option<OptoutRequest> {
            (sender.starts_with('+') && text.trim().eq_ignore_ascii_case("stop")).then(|| {
                OptoutRequest {
                    number: sender.into(),
                    action: OptoutAction::Stop,
                    keyword: "STOP".into(),
                }
            })
        }
    }

    const FROM: &str = "+447700900001";
    const TO: &str = "+447700900000";

    fn message(id: &str, text: &str) -> ProviderInbound {
        ProviderInbound {
            provider: "vonage".into(),
            provider_message_id: id.into(),
            from: FROM.into(),
            to: TO.into(),
            text: text.into(),
            encoding: "gsm7".into(),
            parts: 1,
            sent_at: None,
            concat: None,
        }
    }

    fn part(id: &str, reference: &str, total: u8, seq: u8, text: &str) -> ProviderInbound {
        ProviderInbound {
            concat: Some(ProviderConcat {
                reference: reference.into(),
                total,
                seq,
            }),
            ..message(id, text)
        }
    }

    async fn give(store: &Store, m: ProviderInbound, now: Millis) -> InboundReceipt {
        store
            .receive_provider_inbound(m, Arc::new(StopOnly), now)
            .await
            .unwrap()
    }

    async fn count(store: &Store, sql: &'static str) -> i64 {
        super::super::writer::read(&store.reader, move |c| {
            Ok(c.query_row(sql, [], |r| r.get::<_, i64>(0))?)
        })
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn a_message_posted_twice_is_stored_once_with_its_conversation_and_event() {
        let store = Store::open_memory().await.unwrap();
        let first = give(&store, message("SM1", "hello"), 1_000).await;
        assert!(first.completed.unwrap().complete);
        assert!(give(&store, message("SM1", "hello"), 2_000).await.duplicate);
        // The same id from another provider is another message.
        let other = ProviderInbound {
            provider: "plivo".into(),
            ..message("SM1", "hello")
        };
        assert!(give(&store, other, 3_000).await.completed.is_some());
        assert_eq!(
            count(&store, "SELECT count(*) FROM inbound_messages").await,
            2
        );
        let page = store
            .inbound_list(crate::store::inbox::InboundFilter {
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        let vonage = page
            .messages
            .iter()
            .find(|m| m.provider.as_deref() == Some("vonage"))
            .unwrap();
        assert_eq!(
            (vonage.modem.as_str(), vonage.modem_msisdn.as_deref()),
            ("vonage", Some(TO))
        );
        assert_eq!(
            count(
                &store,
                "SELECT count(*) FROM conversations WHERE remote_number = '+447700900001'
                 AND local_number = '+447700900000' AND inbound_count = 2"
            )
            .await,
            1
        );
        assert_eq!(
            count(
                &store,
                "SELECT count(*) FROM inbound_messages
                 WHERE reply_state = 'pending' AND conversation_id IS NOT NULL"
            )
            .await,
            2
        );
    }

    #[tokio::test]
    async fn stop_from_a_provider_puts_the_sender_on_the_list() {
        let store = Store::open_memory().await.unwrap();
        let r = give(&store, message("SM2", " Stop "), 1_000).await;
        assert!(r.completed.unwrap().optout.is_some_and(|o| o.changed));
        assert!(store.optout_get(FROM).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn parts_in_any_order_make_one_message_once() {
        let store = Store::open_memory().await.unwrap();
        let r = give(&store, part("p3", "ab", 3, 3, "three"), 1_000).await;
        assert_eq!((r.received, r.total, r.completed.is_none()), (1, 3, true));
        give(&store, part("p1", "ab", 3, 1, "one "), 1_001).await;
        // A retried part changes nothing.
        assert!(
            give(&store, part("p1", "ab", 3, 1, "one "), 1_002)
                .await
                .duplicate
        );
        let done = give(&store, part("p2", "ab", 3, 2, "two "), 1_003).await;
        assert!(done.superseded.is_none());
        let m = store
            .inbound_get(done.completed.unwrap().id)
            .await
            .unwrap()
            .unwrap()
            .message;
        assert_eq!(m.text, "one two three");
        assert_eq!((m.parts, m.parts_received, m.complete), (3, 3, true));
        assert_eq!(
            count(&store, "SELECT count(*) FROM inbound_messages").await,
            1
        );
        // A part retried after its set completed is still a duplicate.
        assert!(
            give(&store, part("p2", "ab", 3, 2, "two "), 1_004)
                .await
                .duplicate
        );
    }

    #[tokio::test]
    async fn a_stale_set_closes_incomplete_and_a_reused_reference_starts_a_new_one() {
        let store = Store::open_memory().await.unwrap();
        give(&store, part("a1", "7", 2, 1, "first "), 1_000).await;
        // Part 1 again under another id: the old set closes incomplete, a new one starts.
        let r = give(&store, part("b1", "7", 2, 1, "again "), 2_000).await;
        assert!(r.completed.is_none());
        assert!(!r.superseded.unwrap().complete);
        // The inbox's stale check closes provider sets too.
        let closed = store
            .close_stale_inbound(2_000, Arc::new(StopOnly), 3_000)
            .await
            .unwrap();
        assert_eq!(closed.len(), 1);
        let m = store
            .inbound_get(closed[0].id)
            .await
            .unwrap()
            .unwrap()
            .message;
        assert_eq!(
            (m.text.as_str(), m.parts_received, m.complete),
            ("again ", 1, false)
        );
        assert_eq!(
            count(
                &store,
                "SELECT count(*) FROM provider_inbound_parts WHERE message_id IS NULL"
            )
            .await,
            0
        );
    }

    #[test]
    fn the_widest_encoding_wins() {
        let row = |e: &str| PartRow {
            id: 1,
            seq: 1,
            provider_message_id: String::new(),
            text: String::new(),
            encoding: e.into(),
            sent_at: None,
        };
        assert_eq!(joined_encoding(&[row("gsm7"), row("gsm7")]), "gsm7");
        assert_eq!(joined_encoding(&[row("gsm7"), row("ucs2")]), "ucs2");
        assert_eq!(joined_encoding(&[row("ucs2"), row("8bit")]), "8bit");
    }
}
