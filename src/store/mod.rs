//! The store (layer 1): the only user of rusqlite. Messages, their segments and events,
//! batches, the outbound queue (enqueue / lease / outcomes / recovery) and status-report
//! correlation, in one SQLite database in WAL mode.
//!
//! - [`types`] — options, `StoreError`, what goes in and what comes out;
//! - `writer` — the group-commit writer thread and the reader threads;
//! - `schema` + `migrations/*.sql` — the schema, versioned with `PRAGMA user_version`;
//! - `state` — the state machine as stored: every status change and its event (and its
//!   status callback), through one function;
//! - `queue` — enqueue, peek, lease; `outcomes` — what became of a lease, cancelling,
//!   recovery of unanswered leases;
//! - `files` — the database files are private (0600);
//! - `reports` — status-report correlation and the segment → message roll-up;
//! - `query` — reads;
//! - [`inbox`] — inbound parts, their reassembly into messages, and the opt-out changes
//!   those make; [`optouts`] — the opt-out list.
//! - [`templates`] — SMS templates, their version history and usage counts.
//! - [`provider_status`] — provider status callbacks: attribution, forward-only changes,
//!   ignored duplicates and late ones recorded, early ones kept for `record_sent`;
//! - [`webhooks`] — the status-callback outbox.
//!
//! Never imports HTTP, modems, the dispatcher or anything above layer 1; uses only
//! `message`, `seal`, `url_policy` (the outbox's host key) and `pdu` (for `DeliveryStatus`).
//!
//! Invariants:
//! - **Durable before answered.** Every write runs on the one writer thread inside a group
//!   transaction and is answered only after that transaction's `COMMIT` returned
//!   (`synchronous=FULL` under [`Durability::Full`]): an `Ok` from [`Store::enqueue`] means
//!   the messages survive a crash of the process or the machine.
//! - **One job, one savepoint.** A job that fails rolls back alone; the rest of its group
//!   commits.
//! - **The state machine.** Every status change goes through `MessageStatus::can_become`,
//!   writes an `events` row in the same transaction, and an illegal one is refused with
//!   [`StoreError::Conflict`].
//! - **Nothing in flight is lost.** A `sending` message ends sent, queued again, failed or
//!   expired — by an outcome, [`Store::reclaim_expired_leases`], or [`Store::recover`] at
//!   start-up.
//! - Reads run on their own connections and threads and never wait for the writer.

mod files;
pub mod inbox;
pub mod optouts;
pub mod otp;
mod outcomes;
pub mod provider_status;
mod query;
mod queue;
mod reports;
mod schema;
mod state;
pub mod templates;
pub mod types;
pub mod webhooks;
mod writer;

pub use types::{
    Accepted, AcceptedRow, BatchSummary, DueMessage, Durability, Event, Leased, ListFilter,
    MessageDetail, MessageSummary, NewBatch, NewMessage, NewSegment, Recovered, SegmentDetail,
    SegmentRef, StoreError, StoreOptions, StoredSegment, LIST_LIMIT_MAX,
};

use crate::message::{InFlightPolicy, MessageId, MessageStatus, Millis, SmsType};
use crate::pdu::tpdu::DeliveryStatus;
use crate::seal::Sealer;
use outcomes::Reclaim;
use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use writer::{Guard, ReadJob, WriteJob};

/// A handle to the store; cheap to clone. The threads end (and a temporary database is
/// removed) when the last clone is dropped.
#[derive(Clone)]
pub struct Store {
    // Field order matters: the senders drop before the guard, which joins the threads.
    writer: mpsc::Sender<Box<dyn WriteJob>>,
    reader: mpsc::Sender<ReadJob>,
    sealer: Option<Sealer>,
    _guard: Arc<Guard>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Store {
    /// Opens (creating and migrating) the database at `path`.
    pub async fn open(path: &Path, options: StoreOptions) -> Result<Store, StoreError> {
        Self::start(path, options, false).await
    }

    /// A private database for tests: a temporary file (WAL needs a file), removed when the
    /// last handle is dropped. `Durability::Normal`.
    pub async fn open_memory() -> Result<Store, StoreError> {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!(
            "smsgate-store-{}-{n}-{}.db",
            std::process::id(),
            hex::encode(rand::random::<[u8; 6]>())
        );
        let path = std::env::temp_dir().join(name);
        let options = StoreOptions {
            durability: Durability::Normal,
            sealer: Some(Sealer::random()),
            ..StoreOptions::default()
        };
        Self::start(&path, options, true).await
    }

    async fn start(path: &Path, options: StoreOptions, temp: bool) -> Result<Store, StoreError> {
        files::make_private(path)?;
        let threads =
            writer::start(path, options.durability, options.group_commit_max, temp).await?;
        Ok(Store {
            writer: threads.writer,
            reader: threads.reader,
            sealer: options.sealer,
            _guard: threads.guard,
        })
    }

    /// Accepts a batch: `queued` (or `scheduled` when `schedule_at > now`), durable on
    /// return. A known idempotency key returns the earlier accept with `replayed` and stores
    /// nothing.
    pub async fn enqueue(
        &self,
        batch: NewBatch,
        messages: Vec<NewMessage>,
        now: Millis,
    ) -> Result<Accepted, StoreError> {
        let sealer = self.sealer.clone();
        writer::write(&self.writer, move |c| {
            queue::enqueue(c, &batch, &messages, sealer.as_ref(), now)
        })
        .await
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
        writer::write(&self.writer, move |c| {
            queue::lease(c, now, limit, lease_for, sealer.as_ref())
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
        writer::read(&self.reader, move |c| {
            queue::peek_due(c, now, limit, offset)
        })
        .await
    }

    /// Leases those of `ids` that are still due, in that order.
    pub async fn lease_ids(
        &self,
        ids: Vec<MessageId>,
        now: Millis,
        lease_for: Duration,
    ) -> Result<Vec<Leased>, StoreError> {
        let sealer = self.sealer.clone();
        writer::write(&self.writer, move |c| {
            queue::lease_ids(c, &ids, now, lease_for, sealer.as_ref())
        })
        .await
    }

    /// Queued or scheduled messages whose `expire_at <= now` become `expired`.
    pub async fn expire_due(&self, now: Millis) -> Result<Vec<MessageId>, StoreError> {
        writer::write(&self.writer, move |c| queue::expire_due(c, now)).await
    }

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
        writer::write(&self.writer, move |c| {
            outcomes::record_sent_unknown(c, id, &route, &note, now)
        })
        .await
    }

    /// `sending → sent`; the segments get the route, their references and `sent_at`.
    pub async fn record_sent(
        &self,
        id: MessageId,
        route: &str,
        refs: Vec<SegmentRef>,
        now: Millis,
    ) -> Result<(), StoreError> {
        let route = route.to_owned();
        writer::write(&self.writer, move |c| {
            outcomes::record_sent(c, id, &route, &refs, now)
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
        writer::write(&self.writer, move |c| {
            outcomes::record_retry(c, id, route.as_deref(), &error, next_attempt_at, now)
        })
        .await
    }

    /// Renews the leases of messages still being sent, to `until`.
    pub async fn extend_leases(
        &self,
        ids: Vec<MessageId>,
        until: Millis,
    ) -> Result<(), StoreError> {
        writer::write(&self.writer, move |c| {
            outcomes::extend_leases(c, &ids, until)
        })
        .await
    }

    /// `sending → queued` without counting an attempt (no route could take it this round).
    pub async fn release(
        &self,
        id: MessageId,
        next_attempt_at: Millis,
        now: Millis,
    ) -> Result<(), StoreError> {
        writer::write(&self.writer, move |c| {
            outcomes::release(c, id, next_attempt_at, now)
        })
        .await
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
        writer::write(&self.writer, move |c| {
            outcomes::record_failed(c, id, route.as_deref(), &error, now)
        })
        .await
    }

    /// `sending / queued → expired`.
    pub async fn record_expired(&self, id: MessageId, now: Millis) -> Result<(), StoreError> {
        writer::write(&self.writer, move |c| outcomes::record_expired(c, id, now)).await
    }

    /// `queued / scheduled → cancelled`; `NotFound`, or `Conflict` once sending or later.
    pub async fn cancel(&self, id: MessageId, now: Millis) -> Result<MessageStatus, StoreError> {
        writer::write(&self.writer, move |c| outcomes::cancel(c, id, now)).await
    }

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
        writer::write(&self.writer, move |c| {
            reports::record_status_report(
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

    /// Records a provider's status callback for message `id` (or, without it, the message
    /// whose segment carries the callback's provider id); see [`provider_status`].
    /// `NotFound` when there is no such message.
    pub async fn record_provider_status(
        &self,
        id: Option<MessageId>,
        status: provider_status::ProviderStatus,
        now: Millis,
    ) -> Result<provider_status::Recorded, StoreError> {
        writer::write(&self.writer, move |c| {
            provider_status::record(c, id, &status, now)
        })
        .await
    }

    /// Start-up: every `sending` message is queued again (at-least-once) or failed
    /// "interrupted by restart" (at-most-once), by the policy of its SMS type.
    pub async fn recover(
        &self,
        policy: fn(SmsType) -> InFlightPolicy,
        now: Millis,
    ) -> Result<Recovered, StoreError> {
        writer::write(&self.writer, move |c| {
            outcomes::reclaim(c, Reclaim::All, policy, now)
        })
        .await
    }

    /// While running: the same for `sending` messages whose lease ran out before `now`.
    pub async fn reclaim_expired_leases(
        &self,
        policy: fn(SmsType) -> InFlightPolicy,
        now: Millis,
    ) -> Result<Recovered, StoreError> {
        writer::write(&self.writer, move |c| {
            outcomes::reclaim(c, Reclaim::ExpiredLeases, policy, now)
        })
        .await
    }

    /// One message with its segments and events.
    pub async fn get(&self, id: MessageId) -> Result<Option<MessageDetail>, StoreError> {
        writer::read(&self.reader, move |c| query::get(c, id)).await
    }

    /// Messages matching the filter, newest first.
    pub async fn list(&self, filter: ListFilter) -> Result<Vec<MessageSummary>, StoreError> {
        writer::read(&self.reader, move |c| query::list(c, &filter)).await
    }

    /// A batch with its count per status.
    pub async fn batch(&self, id: &str) -> Result<Option<BatchSummary>, StoreError> {
        let id = id.to_owned();
        writer::read(&self.reader, move |c| query::batch(c, &id)).await
    }

    /// The messages of a batch in request order (what a replay answers with).
    pub async fn batch_messages(&self, batch_id: &str) -> Result<Vec<AcceptedRow>, StoreError> {
        let batch_id = batch_id.to_string();
        writer::read(&self.reader, move |c| query::batch_messages(c, &batch_id)).await
    }

    /// The batch accepted under an idempotency key of `scope` (an API key's name, `""` on
    /// an open API), with its request's fingerprint: a request with the key is a replay if
    /// the fingerprints match, a conflict if not.
    pub async fn batch_for_key(
        &self,
        scope: &str,
        key: &str,
    ) -> Result<Option<(String, Option<String>)>, StoreError> {
        let (scope, key) = (scope.to_string(), key.to_string());
        writer::read(&self.reader, move |c| query::batch_for_key(c, &scope, &key)).await
    }

    /// Messages queued, scheduled or sending.
    pub async fn queue_depth(&self) -> Result<u64, StoreError> {
        writer::read(&self.reader, query::queue_depth).await
    }

    /// Status callbacks due at `now` (the webhook worker's queue).
    pub async fn webhooks_due(
        &self,
        now: Millis,
        limit: usize,
        per_host: usize,
    ) -> Result<Vec<webhooks::WebhookJob>, StoreError> {
        writer::read(&self.reader, move |c| {
            webhooks::due(c, now, limit, per_host)
        })
        .await
    }

    /// The client's metadata that a message's callbacks carry.
    pub async fn webhook_metadata(
        &self,
        id: MessageId,
    ) -> Result<Option<crate::message::RawJson>, StoreError> {
        writer::read(&self.reader, move |c| webhooks::metadata_of(c, id)).await
    }

    /// A callback was delivered.
    pub async fn webhook_delivered(&self, id: i64, now: Millis) -> Result<(), StoreError> {
        writer::write(&self.writer, move |c| {
            webhooks::record_attempt(c, id, Ok(()), now)
        })
        .await
    }

    /// A callback failed: retried at `next_attempt_at`, or given up when `None`.
    pub async fn webhook_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: Option<Millis>,
        now: Millis,
    ) -> Result<(), StoreError> {
        let error = error.to_owned();
        writer::write(&self.writer, move |c| {
            webhooks::record_attempt(c, id, Err((&error, next_attempt_at)), now)
        })
        .await
    }

    /// An installation-wide setting, created by `make` the first time it is asked for.
    pub async fn setting_or_init(
        &self,
        key: &str,
        make: impl FnOnce() -> String + Send + 'static,
    ) -> Result<String, StoreError> {
        let key = key.to_owned();
        writer::write(&self.writer, move |c| {
            webhooks::setting_or_init(c, &key, make)
        })
        .await
    }

    /// Stores one received part, once; completes its message when it was the last one
    /// missing (and applies the message's opt-out keyword), all in one transaction.
    pub async fn receive_inbound(
        &self,
        part: inbox::NewInboundPart,
        rules: Arc<dyn inbox::InboundRules>,
        now: Millis,
    ) -> Result<inbox::InboundReceipt, StoreError> {
        writer::write(&self.writer, move |c| {
            inbox::receive(c, &part, rules.as_ref(), now)
        })
        .await
    }

    /// Closes every set of parts whose first part arrived at or before `cutoff` as an
    /// incomplete message.
    pub async fn close_stale_inbound(
        &self,
        cutoff: Millis,
        rules: Arc<dyn inbox::InboundRules>,
        now: Millis,
    ) -> Result<Vec<inbox::CreatedMessage>, StoreError> {
        writer::write(&self.writer, move |c| {
            inbox::close_stale(c, cutoff, rules.as_ref(), now)
        })
        .await
    }

    /// Inbound messages, newest first.
    pub async fn inbound_list(
        &self,
        filter: inbox::InboundFilter,
    ) -> Result<inbox::InboundPage, StoreError> {
        writer::read(&self.reader, move |c| inbox::list(c, &filter)).await
    }

    /// One inbound message with its parts.
    pub async fn inbound_get(&self, id: i64) -> Result<Option<inbox::InboundDetail>, StoreError> {
        writer::read(&self.reader, move |c| inbox::get(c, id)).await
    }

    /// Parts waiting for the rest of their message.
    pub async fn inbound_pending_parts(&self) -> Result<u64, StoreError> {
        writer::read(&self.reader, inbox::pending_count).await
    }

    /// Puts `number` (E.164) on the opt-out list; its row, and whether it was added (false:
    /// it was already there, unchanged).
    pub async fn optout_add(
        &self,
        number: &str,
        source: optouts::Source,
        keyword: Option<&str>,
        now: Millis,
    ) -> Result<(optouts::Optout, bool), StoreError> {
        let number = number.to_owned();
        let keyword = keyword.map(str::to_owned);
        writer::write(&self.writer, move |c| {
            optouts::add(c, &number, source, keyword.as_deref(), now)
        })
        .await
    }

    /// Takes `number` off the list; whether it was there.
    pub async fn optout_remove(&self, number: &str) -> Result<bool, StoreError> {
        let number = number.to_owned();
        writer::write(&self.writer, move |c| optouts::remove(c, &number)).await
    }

    /// The list's row for `number`.
    pub async fn optout_get(&self, number: &str) -> Result<Option<optouts::Optout>, StoreError> {
        let number = number.to_owned();
        writer::read(&self.reader, move |c| optouts::get(c, &number)).await
    }

    /// A page of the list, newest first.
    pub async fn optout_list(
        &self,
        limit: usize,
        offset: usize,
    ) -> Result<optouts::OptoutPage, StoreError> {
        writer::read(&self.reader, move |c| optouts::list(c, limit, offset)).await
    }

    /// Which of `numbers` (E.164) are on the list — one read.
    pub async fn opted_out_among(
        &self,
        numbers: Vec<String>,
    ) -> Result<HashSet<String>, StoreError> {
        writer::read(&self.reader, move |c| optouts::among(c, &numbers)).await
    }
}
