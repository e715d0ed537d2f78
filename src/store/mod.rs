//! The store (layer 1): the only user of rusqlite. Messages, their segments and events,
//! batches, the outbound queue (enqueue / lease / outcomes / recovery), status-report
//! correlation, the inbox, opt-outs, templates, OTP sessions and 2FA, provider callbacks
//! and the status-callback outbox — in one SQLite database in WAL mode. Each file owns its
//! tables' functions and its part of the async [`Store`] API (an `impl Store` block).
//!
//! - [`types`] — options, `StoreError`, what goes in and what comes out;
//! - `writer` — the group-commit writer thread and the reader threads;
//! - `schema` + `migrations/*.sql` — the schema, versioned with `PRAGMA user_version`;
//! - `state` — the state machine as stored: every status change and its event (and its
//!   status callback), through one function;
//! - `queue` — enqueue, peek, lease; `accept_set` — the accepts of a write group stored
//!   set-wise on PostgreSQL; `outcomes` — what became of a lease, cancelling,
//!   recovery of unanswered leases;
//! - `files` — the database files are private (0600);
//! - `reports` — status-report correlation and the segment → message roll-up;
//! - `query` — reads;
//! - [`inbox`] — inbound parts, their reassembly into messages, and the opt-out changes
//!   those make; [`optouts`] — the opt-out list.
//! - [`templates`] — SMS templates, their version history and usage counts;
//! - [`otp`] — OTP sessions (hashes only); [`twofa`] — 2FA enrolments and backup codes;
//! - [`provider_inbox`] — inbound messages from cloud providers, stored once by their id,
//!   and the parts of those handed over part by part;
//! - [`provider_status`] — provider status callbacks: attribution, forward-only changes,
//!   ignored duplicates and late ones recorded, early ones kept for `record_sent`;
//! - [`webhooks`] — the status-callback outbox; [`subscriptions`] — webhook subscriptions
//!   and their delivery queue.
//! - [`auto_reply`] — automatic-reply rules, the pending inbound messages and the reply log.
//! - [`audit`] — the audit log of admin actions (actor names, never keys).
//! - [`analytics`] — the destination country, the hourly rollups kept with every status
//!   change, send latency and error classes, and the reads over them.
//!
//! Never imports HTTP, modems, the dispatcher or anything above layer 1; uses only
//! `message`, `seal`, `url_policy` (the outbox's host key), `pdu` (for `DeliveryStatus`) and
//! `phone` (a destination's country).
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

mod accept_set;
pub mod analytics;
pub mod at_rest;
pub mod audit;
pub mod auto_reply;

pub mod backup;
pub mod cluster;
pub mod conversations;
pub mod events;
mod files;
mod gauges;
pub mod inbox;
pub mod modem_admin;
pub mod optouts;
pub mod otp;
mod outcomes;
#[doc(hidden)]
pub mod postgres_testing;
pub mod provider_inbox;
pub mod provider_status;
mod query;
mod queue;
mod reports;
pub mod retention;
mod rollups;
mod schema;
pub mod sql;
mod state;
pub mod subscriptions;
pub mod templates;
pub mod twofa;
pub mod types;
pub mod webhooks;
mod writer;

pub use gauges::Backlog;
pub use types::{
    Accepted, AcceptedRow, BatchSummary, DueMessage, DuplicateCheck, Durability, Event, Leased,
    ListFilter, MessageDetail, MessageSummary, NewBatch, NewMessage, OutboundSegment, Recovered,
    SegmentDetail, SegmentReceipt, StoreError, StoreOptions, LIST_LIMIT_MAX,
};

use crate::seal::Sealer;
pub use sql::PgTarget;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;
use writer::{Backend, Guard, ReadJob, WriteJob};

/// A handle to the store; cheap to clone. The threads end (and a temporary database is
/// removed) when the last clone is dropped.
#[derive(Clone)]
pub struct Store {
    // Field order matters: the senders drop before the guard, which joins the threads.
    writer: mpsc::Sender<Box<dyn WriteJob>>,
    /// The queue's two ends, accepts (`enqueue`) and leases: writers of their own on
    /// PostgreSQL, else `writer`'s queue.
    queue: mpsc::Sender<Box<dyn WriteJob>>,
    reader: mpsc::Sender<ReadJob>,
    sealer: Option<Sealer>,
    /// Encryption at rest: outbound texts and PDUs are stored sealed (see `at_rest`).
    at_rest: bool,
    /// This node's id among the nodes sharing a PostgreSQL database (`None`: the only node).
    node: Option<Arc<str>>,
    _guard: Arc<Guard>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Store {
    /// This node's id when several share the database, else `None`.
    pub fn node_id(&self) -> Option<&str> {
        self.node.as_deref()
    }

    /// Opens (creating and migrating) the database at `path`.
    pub async fn open(path: &Path, options: StoreOptions) -> Result<Store, StoreError> {
        Self::start(&Backend::Sqlite(path.to_path_buf()), options, false).await
    }

    /// Opens (migrating under an advisory lock) the shared PostgreSQL database at `target`.
    pub async fn open_postgres(
        target: PgTarget,
        options: StoreOptions,
    ) -> Result<Store, StoreError> {
        Self::start(&Backend::Postgres(target), options, false).await
    }

    /// A private database for tests: a temporary file (WAL needs a file), removed when the
    /// last handle is dropped. `Durability::Normal`.
    pub async fn open_memory() -> Result<Store, StoreError> {
        if let Some(url) = postgres_testing::test_backend() {
            // Two queue writers, as a node runs by default.
            let options = StoreOptions {
                durability: Durability::Normal,
                sealer: Some(Sealer::random()),
                queue_writers: 2,
                ..StoreOptions::default()
            };
            return Self::open_postgres(PgTarget::for_tests(&url), options).await;
        }
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
        Self::start(&Backend::Sqlite(path), options, true).await
    }

    async fn start(
        backend: &Backend,
        options: StoreOptions,
        temp: bool,
    ) -> Result<Store, StoreError> {
        if let Backend::Sqlite(path) = backend {
            files::make_private(path)?;
        }
        // Encryption at rest: the writer threads seal the texts their jobs write.
        let at_rest = options.sealer.clone().filter(|_| options.at_rest);
        let threads = writer::start(
            backend,
            options.durability,
            options.group_commit_max,
            options.readers,
            options.queue_writers,
            at_rest,
            temp,
        )
        .await?;
        Ok(Store {
            writer: threads.writer,
            queue: threads.queue,
            reader: threads.reader,
            sealer: options.sealer,
            at_rest: options.at_rest,
            node: options.node_id.map(Arc::from),
            _guard: threads.guard,
        })
    }
}
