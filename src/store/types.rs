//! The store's public data types: options, the error enum, what goes in (`NewBatch`,
//! `NewMessage`, `OutboundSegment`, `SegmentReceipt`, `ListFilter`) and what comes out (`Accepted`,
//! `Leased`, `MessageSummary`, `MessageDetail`, `BatchSummary`, `Recovered`).
//!
//! Owns no behaviour beyond defaults and conversions; never imports rusqlite types into a
//! public signature (the one exception is `From<rusqlite::Error> for StoreError`, which
//! flattens the error to text so callers never name rusqlite).

use crate::message::{MessageId, MessageStatus, MessageType, Millis, RawJson, SmsType};
pub use crate::route::{OutboundSegment, SegmentReceipt};
use serde::Serialize;
use std::collections::BTreeMap;

/// How hard a commit waits for the disk (the configuration's `[storage] durability`).
pub use crate::config::Durability;

/// How a store is opened.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Commit durability.
    pub durability: Durability,
    /// The most jobs the writer puts into one transaction (group commit).
    pub group_commit_max: usize,
    /// Seals the text and PDUs of messages that carry a secret (`NewMessage::redacted_body`);
    /// without one such messages are refused.
    pub sealer: Option<crate::seal::Sealer>,
    /// Encryption at rest: every outbound text and its PDUs are sealed with `sealer`, not
    /// only those carrying a secret (which must then be set).
    pub at_rest: bool,
    /// Reader connections (threads): 2 for SQLite; PostgreSQL's `pool_size`.
    pub readers: usize,
    /// PostgreSQL: writer connections (threads) for accepts, besides the one writer of
    /// everything else; each runs and commits its own groups. SQLite has one writer.
    pub queue_writers: usize,
    /// This node's id, written on every lease it takes (PostgreSQL: the nodes sharing the
    /// database tell their leases apart by it). `None`: the only node.
    pub node_id: Option<String>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            durability: Durability::Full,
            group_commit_max: 512,
            sealer: None,
            at_rest: false,
            readers: 2,
            queue_writers: 1,
            node_id: None,
        }
    }
}

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error (the text is the database's).
    #[error("database: {0}")]
    Sqlite(String),
    /// A database file could not be created or its permissions set.
    #[error("{0}")]
    File(String),
    /// A schema migration failed; the database is left at the previous version.
    #[error("migration {version}: {reason}")]
    Migration {
        /// The version that failed.
        version: u32,
        /// What failed in the migration.
        reason: String,
    },
    /// No such message.
    #[error("not found")]
    NotFound,
    /// The change contradicts the current state (an illegal transition, a duplicate).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The store's threads are gone.
    #[error("store closed")]
    Closed,
    /// The database (PostgreSQL) cannot be reached now: nothing was written; try again later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database gave up on the work because of other nodes' (a deadlock, a lock or
    /// statement timeout): nothing was written; trying again is safe.
    #[error("database busy: {0}")]
    Busy(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(e.to_string())
    }
}

impl From<super::sql::Error> for StoreError {
    fn from(e: super::sql::Error) -> Self {
        match e {
            super::sql::Error::Unavailable(reason) => StoreError::Unavailable(reason),
            super::sql::Error::Busy(reason) => StoreError::Busy(reason),
            other => StoreError::Sqlite(other.to_string()),
        }
    }
}

/// A message to accept.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    /// E.164 recipient.
    pub recipient: String,
    /// The text, or hex for binary messages.
    pub body: String,
    /// The API's message type.
    pub message_type: MessageType,
    /// The API's SMS type.
    pub sms_type: SmsType,
    /// `"gsm7"`, `"ucs2"` or `"8bit"`.
    pub encoding: String,
    /// Higher goes first.
    pub priority: i32,
    /// Not before this time (status `scheduled` while in the future).
    pub schedule_at: Option<Millis>,
    /// Not after this time (then `expired`).
    pub expire_at: Option<Millis>,
    /// A route the client asked for explicitly.
    pub provider: Option<String>,
    /// The client's own id (a label).
    pub custom_id: Option<String>,
    /// The recipient's display name, if the request gave one.
    pub recipient_name: Option<String>,
    /// The segments, in order.
    pub segments: Vec<OutboundSegment>,
    /// Set for a message that carries a secret (an OTP): the store keeps this text as the
    /// message's body — what every read shows — and keeps `body` and the PDUs only sealed
    /// (see `crate::seal`), wiping them once the message is sent or final.
    pub redacted_body: Option<String>,
    /// Set for a reply: the conversation it belongs to from its acceptance, and the inbound
    /// message it answers.
    pub reply: Option<ReplyLink>,
}

/// What makes an outbound message a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyLink {
    /// The conversation.
    pub conversation_id: i64,
    /// The inbound message answered, if one is.
    pub inbound_id: Option<i64>,
}

/// The batch a set of messages is accepted in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewBatch {
    /// A name for humans.
    pub name: Option<String>,
    /// When given and already seen in `idempotency_scope` with the same `fingerprint`, the
    /// earlier accept is returned and nothing is stored; with another fingerprint the
    /// enqueue is refused (`StoreError::Conflict`).
    pub idempotency_key: Option<String>,
    /// Whose keys `idempotency_key` is one of: the API key's name (`""` on an open API).
    pub idempotency_scope: String,
    /// What the request asked for, hashed (see `service`): a replay must match it.
    pub fingerprint: Option<String>,
    /// Where status changes of every message of the batch are reported (stored once).
    pub callback_url: Option<String>,
    /// The client's metadata: its JSON text exactly as sent (stored once, for every message).
    pub metadata: Option<String>,
    /// Several nodes: duplicate suppression counted in the database, in the same
    /// transaction as the messages (see `store::cluster::take_duplicates`).
    pub duplicate_check: Option<DuplicateCheck>,
}

/// The duplicate keys of a batch's messages (a recipient and a hash of the text each, in
/// the messages' order) and the window they are duplicates within.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateCheck {
    /// One key per message.
    pub keys: Vec<String>,
    /// Milliseconds.
    pub window_ms: Millis,
}

/// One message of an accepted batch, as an idempotent replay shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedRow {
    /// Its id.
    pub id: MessageId,
    /// E.164 recipient.
    pub recipient: String,
    /// `gsm7`, `ucs2` or `8bit`.
    pub encoding: String,
    /// Segment count.
    pub segments: usize,
    /// Its status now.
    pub status: MessageStatus,
}

/// The answer to `enqueue`: durable when returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// `"b_"` + 24 lower-case hex digits.
    pub batch_id: String,
    /// The message ids, in input order.
    pub ids: Vec<MessageId>,
    /// True when the idempotency key matched an earlier accept (ids are the earlier ones).
    pub replayed: bool,
    /// Positions (in the messages given) of those not stored: duplicates of a message some
    /// node accepted within the window (`NewBatch::duplicate_check`). `ids` are the others'.
    pub duplicates: Vec<usize>,
}

/// A message handed to the dispatcher by `lease`; it is `sending` until an outcome is
/// recorded or the lease runs out.
#[derive(Debug, Clone, PartialEq)]
pub struct Leased {
    /// The message.
    pub id: MessageId,
    /// E.164 recipient.
    pub recipient: String,
    /// Text or hex.
    pub body: String,
    /// Message type.
    pub message_type: MessageType,
    /// SMS type.
    pub sms_type: SmsType,
    /// `"gsm7"`, `"ucs2"` or `"8bit"`.
    pub encoding: String,
    /// Higher is leased first (issued OTP codes, then client OTP messages, then the rest).
    pub priority: i32,
    /// The route the client asked for.
    pub provider: Option<String>,
    /// Attempts before this one.
    pub attempts: u32,
    /// Not after this time.
    pub expire_at: Option<Millis>,
    /// When it was accepted.
    pub created_at: Millis,
    /// The route of the previous attempt.
    pub last_route: Option<String>,
    /// When it became due: its `schedule_at`, or when it was accepted.
    pub due_at: Millis,
    /// Failed attempts so far per route name (attempts that ended in a retry), for the
    /// routing policy's `fallback_after_failures`.
    pub failures: Vec<(String, u32)>,
    /// The segments, in order.
    pub segments: Vec<OutboundSegment>,
}

/// A due message as the dispatcher places it (see `Store::peek_due`): no text, no PDUs.
#[derive(Debug, Clone, PartialEq)]
pub struct DueMessage {
    /// The message.
    pub id: MessageId,
    /// E.164 recipient.
    pub recipient: String,
    /// SMS type.
    pub sms_type: SmsType,
    /// The route the client asked for.
    pub provider: Option<String>,
    /// Segment count.
    pub segments: usize,
    /// Attempts before this one.
    pub attempts: u32,
    /// Not after this time.
    pub expire_at: Option<Millis>,
    /// When it became due (the later of accepted and `schedule_at`).
    pub due_at: Millis,
    /// Failed attempts per route.
    pub failures: Vec<(String, u32)>,
    /// The route of the previous attempt.
    pub last_route: Option<String>,
}

/// Which messages `list` returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFilter {
    /// Only this status.
    pub status: Option<MessageStatus>,
    /// Only this SMS type.
    pub sms_type: Option<SmsType>,
    /// Only this batch.
    pub batch_id: Option<String>,
    /// Created at or after.
    pub date_from: Option<Millis>,
    /// Created at or before.
    pub date_to: Option<Millis>,
    /// At most this many (capped at 1000).
    pub limit: usize,
    /// Skip this many.
    pub offset: usize,
    /// Only this recipient (E.164).
    pub recipient: Option<String>,
    /// Only messages with a smaller id (keyset paging: the last id of the previous page).
    pub before_id: Option<MessageId>,
}

impl Default for ListFilter {
    fn default() -> Self {
        ListFilter {
            status: None,
            sms_type: None,
            batch_id: None,
            date_from: None,
            date_to: None,
            limit: 50,
            offset: 0,
            recipient: None,
            before_id: None,
        }
    }
}

/// The largest page `list` returns.
pub const LIST_LIMIT_MAX: usize = 1000;

/// One message in a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageSummary {
    /// The message's id.
    pub id: MessageId,
    /// The batch (request) it was accepted in.
    pub batch_id: String,
    /// E.164 recipient.
    pub recipient: String,
    /// Current status.
    pub status: MessageStatus,
    /// SMS type.
    pub sms_type: SmsType,
    /// Message type.
    pub message_type: MessageType,
    /// `gsm7`, `ucs2` or `8bit`.
    pub encoding: String,
    /// Number of segments.
    pub segments: u16,
    /// Higher is leased first.
    pub priority: i32,
    /// The client's id.
    pub custom_id: Option<String>,
    /// The route of the latest attempt.
    pub route: Option<String>,
    /// Attempts so far.
    pub attempts: u32,
    /// The latest error.
    pub error: Option<String>,
    /// Accepted at.
    pub created_at: Millis,
    /// Last change.
    pub updated_at: Millis,
    /// Not before.
    pub schedule_at: Option<Millis>,
    /// Not after.
    pub expire_at: Option<Millis>,
    /// Accepted by the network at.
    pub sent_at: Option<Millis>,
    /// Reached a final status at.
    pub final_at: Option<Millis>,
}

/// One segment of a message, with its delivery state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentDetail {
    /// 1-based position.
    pub seq: u16,
    /// The route it went through.
    pub route: Option<String>,
    /// The modem's TP-MR from `+CMGS`, which its status report names.
    pub message_ref: Option<u8>,
    /// Provider's id.
    pub provider_id: Option<String>,
    /// What the provider charged for it, when known.
    pub cost: Option<f64>,
    /// `"pending"`, `"sent"`, `"delivered"` or `"failed"`.
    pub status: String,
    /// The latest TP-ST reported.
    pub tp_st: Option<u8>,
    /// Sent at.
    pub sent_at: Option<Millis>,
    /// The latest report at.
    pub report_at: Option<Millis>,
}

/// One status change of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// When the status was entered (Unix milliseconds).
    pub at: Millis,
    /// The status entered.
    pub status: MessageStatus,
    /// Through which route.
    pub route: Option<String>,
    /// Why, in words (an error, a report's TP-ST, `accepted`).
    pub detail: Option<String>,
}

/// Everything about one message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageDetail {
    /// The list view's fields.
    #[serde(flatten)]
    pub summary: MessageSummary,
    /// Text or hex.
    pub body: String,
    /// The client's metadata, exactly as sent.
    pub metadata: Option<RawJson>,
    /// The recipient's display name, if the request gave one.
    pub recipient_name: Option<String>,
    /// Callback URL.
    pub callback_url: Option<String>,
    /// The route the client asked for.
    pub provider: Option<String>,
    /// The segments.
    pub segments_detail: Vec<SegmentDetail>,
    /// The status changes, oldest first.
    pub events: Vec<Event>,
}

/// A batch and how its messages are doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchSummary {
    /// `b_…`.
    pub id: String,
    /// The batch's name, if the request gave one.
    pub name: Option<String>,
    /// Accepted at.
    pub created_at: Millis,
    /// Number of messages.
    pub total: u64,
    /// Count per status name (only statuses that occur).
    pub by_status: BTreeMap<String, u64>,
}

/// What `recover` / `reclaim_expired_leases` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Recovered {
    /// Back to `queued` (at-least-once).
    pub requeued: usize,
    /// Marked `failed` (at-most-once).
    pub failed: usize,
}

/// The database name of a message type (the same as its serde name).
pub(crate) fn message_type_str(t: MessageType) -> &'static str {
    match t {
        MessageType::Text => "text",
        MessageType::Unicode => "unicode",
        MessageType::Binary => "binary",
        MessageType::Flash => "flash",
    }
}

/// Reads [`message_type_str`]'s names back.
pub(crate) fn parse_message_type(s: &str) -> Result<MessageType, StoreError> {
    Ok(match s {
        "text" => MessageType::Text,
        "unicode" => MessageType::Unicode,
        "binary" => MessageType::Binary,
        "flash" => MessageType::Flash,
        other => {
            return Err(StoreError::Sqlite(format!(
                "unknown message_type {other:?}"
            )))
        }
    })
}

/// Reads an SMS type from a row.
pub(crate) fn parse_sms_type(s: &str) -> Result<SmsType, StoreError> {
    SmsType::parse(s).ok_or_else(|| StoreError::Sqlite(format!("unknown sms_type {s:?}")))
}

/// Reads a status from a row.
pub(crate) fn parse_status(s: &str) -> Result<MessageStatus, StoreError> {
    MessageStatus::parse(s).ok_or_else(|| StoreError::Sqlite(format!("unknown status {s:?}")))
}
