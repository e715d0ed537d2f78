//! The group-commit writer thread and the reader threads.
//!
//! Owns the write connections: one on SQLite; on PostgreSQL one for every write but the
//! queue's two ends, accepts and leases, and `queue_writers` more for those. Async callers
//! send a job over a bounded channel and await a oneshot; a writer takes the first waiting
//! job,
//! drains up to `group_commit_max` more that are already waiting, runs them in ONE
//! transaction with a `SAVEPOINT` per job (a job that fails rolls back alone), commits
//! once, and only then answers every job. A run of accepts in a group is stored set-wise
//! on PostgreSQL (`accept_set`). The queue writers take their jobs in turns, so one group
//! runs while another waits for its commit. Accepts insert new rows, and leases take due
//! rows under `FOR UPDATE SKIP LOCKED` and check their status — as they do beside other
//! nodes' writers; neither can miss another job's uncommitted rows as two jobs that
//! correlate could (a status report and the send it reports, each uncommitted while the
//! other looks): those stay on the one writer, in order. And a lease does not wait behind a
//! group of outcomes for the modem to get its next message. Reads run
//! on their own connections and threads (WAL lets them proceed while the writer commits).
//! The same threads drive SQLite or PostgreSQL ([`Backend`]); with PostgreSQL a group that
//! finds the server gone is answered `Unavailable` at once, and the session is opened again
//! for a later group (see `sql::postgres`).
//! Never imports anything above `message`.
//! Invariants: a job is answered `Ok` only after the `COMMIT` that contains it returned; if
//! the commit fails every job of the group gets the error; no job runs outside a
//! transaction; the threads end when the last `Store` handle is dropped.

use super::schema;
use super::sql::{Connection, PgConn, PgTarget};
use super::types::{Durability, StoreError};
use crate::seal::Sealer;
use rusqlite::OpenFlags;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use tokio::sync::{mpsc, oneshot};

/// How many jobs may wait for the writer before callers wait to send.
const WRITE_QUEUE: usize = 8_192;
/// How many reads may wait for a reader.
const READ_QUEUE: usize = 1_024;

/// A unit of work for the writer: run inside a savepoint, answer after the commit.
pub trait WriteJob: Send {
    /// Runs the job inside its savepoint. Returns false when the transaction can no longer
    /// be trusted (a savepoint could not be rolled back): the whole group is then abandoned.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller once the group's fate is known.
    fn answer(self: Box<Self>, committed: Result<(), GroupFailure>);
    /// An accept, which the writer may store together with the accepts next to it in the
    /// group (PostgreSQL: see `accept_set`).
    fn accept(&mut self) -> Option<&mut super::accept_set::AcceptJob> {
        None
    }
    /// Whether [`WriteJob::accept`] gives the job.
    fn is_accept(&self) -> bool {
        false
    }
}

/// Why a group did not commit.
#[derive(Debug, Clone)]
pub enum GroupFailure {
    /// The database could not be reached: nothing of the group was written.
    Unavailable(String),
    /// The database gave up on the group because of other sessions (its commit deadlocked
    /// or timed out): nothing of it was written.
    Busy(String),
    /// The transaction failed (the database's reason).
    Failed(String),
}

impl From<super::sql::Error> for GroupFailure {
    fn from(e: super::sql::Error) -> Self {
        match e {
            super::sql::Error::Unavailable(reason) => GroupFailure::Unavailable(reason),
            super::sql::Error::Busy(reason) => GroupFailure::Busy(reason),
            other => GroupFailure::Failed(other.to_string()),
        }
    }
}

struct TypedJob<T, F> {
    work: Option<F>,
    outcome: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> WriteJob for TypedJob<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(work) = self.work.take() else {
            return true;
        };
        let (outcome, trusted) = in_savepoint(conn, work);
        self.outcome = Some(outcome);
        trusted
    }

    fn answer(self: Box<Self>, committed: Result<(), GroupFailure>) {
        // The caller may have gone away (a cancelled request): its work is committed anyway.
        let _ = self.reply.send(settle(committed, self.outcome));
    }
}

/// Runs `work` inside the savepoint `job`: what it did stays when it succeeds, and goes
/// (with the analytics notes it made) when it fails. Also answers whether the
/// transaction can still be trusted (false: a savepoint could not be rolled back).
pub(super) fn in_savepoint<T>(
    conn: &Connection,
    work: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> (Result<T, StoreError>, bool) {
    let mark = super::rollups::mark();
    if let Err(e) = conn.execute_batch("SAVEPOINT job") {
        return (Err(e.into()), true);
    }
    let failed = match work(conn) {
        Ok(value) => match conn.execute_batch("RELEASE job") {
            Ok(()) => return (Ok(value), true),
            Err(e) => e.into(),
        },
        Err(e) => e,
    };
    super::rollups::rollback_to(mark);
    let trusted = conn.execute_batch("ROLLBACK TO job; RELEASE job").is_ok();
    (Err(failed), trusted)
}

/// A job's answer, from its own outcome and its group's.
pub(super) fn settle<T>(
    committed: Result<(), GroupFailure>,
    outcome: Option<Result<T, StoreError>>,
) -> Result<T, StoreError> {
    match (committed, outcome) {
        (Ok(()), Some(outcome)) => outcome,
        // The job's own error says more than the group's.
        (Err(_), Some(Err(e))) => Err(e),
        (Err(GroupFailure::Unavailable(reason)), _) => Err(StoreError::Unavailable(reason)),
        (Err(GroupFailure::Busy(reason)), _) => Err(StoreError::Busy(reason)),
        (Err(GroupFailure::Failed(reason)), _) => Err(StoreError::Sqlite(reason)),
        (Ok(()), None) => Err(StoreError::Closed),
    }
}

/// A read: runs on a reader connection inside a read transaction and answers itself.
pub type ReadJob = Box<dyn FnOnce(&Connection) + Send>;

/// The channels to the threads, and the threads themselves.
pub struct Threads {
    /// To the writer.
    pub writer: mpsc::Sender<Box<dyn WriteJob>>,
    /// To the writers of the queue's ends (accepts and leases): the writer's own queue on
    /// SQLite.
    pub queue: mpsc::Sender<Box<dyn WriteJob>>,
    /// To the readers.
    pub reader: mpsc::Sender<ReadJob>,
    /// Joined (and the temporary database removed) when the last handle goes.
    pub guard: Arc<Guard>,
}

/// Joins the threads when the last `Store` is dropped, and removes a temporary database.
pub struct Guard {
    handles: Mutex<Vec<JoinHandle<()>>>,
    remove: Option<PathBuf>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        // Every sender is gone by now (the `Store` fields drop before its guard), so the
        // threads finish their current job and end.
        let handles = match self.handles.get_mut() {
            Ok(handles) => std::mem::take(handles),
            Err(poisoned) => std::mem::take(poisoned.into_inner()),
        };
        for handle in handles {
            let _ = handle.join();
        }
        if let Some(path) = &self.remove {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut name = path.clone().into_os_string();
                name.push(suffix);
                let _ = std::fs::remove_file(PathBuf::from(name));
            }
        }
    }
}

/// Sends a write job and waits for its answer (after its commit).
pub async fn write<T, F>(writer: &mpsc::Sender<Box<dyn WriteJob>>, work: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
{
    let (reply, answer) = oneshot::channel();
    let job: Box<dyn WriteJob> = Box::new(TypedJob {
        work: Some(work),
        outcome: None,
        reply,
    });
    submit(writer, job, answer).await
}

/// Sends `job` to the writer and waits for its `answer` (after its commit).
pub(super) async fn submit<T>(
    writer: &mpsc::Sender<Box<dyn WriteJob>>,
    job: Box<dyn WriteJob>,
    answer: oneshot::Receiver<Result<T, StoreError>>,
) -> Result<T, StoreError> {
    writer.send(job).await.map_err(|_| StoreError::Closed)?;
    answer.await.map_err(|_| StoreError::Closed)?
}

/// Sends a read and waits for its answer.
pub async fn read<T, F>(reader: &mpsc::Sender<ReadJob>, work: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
{
    let (reply, answer) = oneshot::channel();
    let job: ReadJob = Box::new(move |conn: &Connection| {
        let result = in_read_transaction(conn, work);
        let _ = reply.send(result);
    });
    reader.send(job).await.map_err(|_| StoreError::Closed)?;
    answer.await.map_err(|_| StoreError::Closed)?
}

/// Runs a read inside one read-only snapshot, so its queries agree with each other.
fn in_read_transaction<T>(
    conn: &Connection,
    work: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let (begin, end) = match conn {
        Connection::Sqlite(_) => ("BEGIN DEFERRED", "COMMIT"),
        Connection::Postgres(_) => ("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", "COMMIT"),
    };
    conn.execute_batch(begin)?;
    match work(conn) {
        Ok(value) => {
            conn.execute_batch(end)?;
            Ok(value)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Where the store keeps its data.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // made once per store
pub enum Backend {
    /// A SQLite database file (WAL).
    Sqlite(PathBuf),
    /// A PostgreSQL database, shared with other nodes.
    Postgres(PgTarget),
}

fn open_sqlite(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    Ok(Connection::Sqlite(rusqlite::Connection::open_with_flags(
        path, flags,
    )?))
}

/// The writer's connection: configured and migrated.
fn open_writer(backend: &Backend, durability: Durability) -> Result<Connection, StoreError> {
    match backend {
        Backend::Sqlite(path) => {
            let conn = open_sqlite(path)?;
            schema::configure_writer(&conn, durability)?;
            schema::migrate(&conn)?;
            Ok(conn)
        }
        Backend::Postgres(target) => {
            let conn = Connection::Postgres(RefCell::new(PgConn::connect(target.clone())?));
            schema::migrate(&conn)?;
            Ok(conn)
        }
    }
}

/// A reader's connection.
fn open_reader(backend: &Backend) -> Result<Connection, StoreError> {
    match backend {
        Backend::Sqlite(path) => {
            let conn = open_sqlite(path)?;
            if let Some(sqlite) = conn.sqlite() {
                schema::configure_reader(sqlite)?;
            }
            Ok(conn)
        }
        Backend::Postgres(target) => Ok(Connection::Postgres(RefCell::new(PgConn::connect(
            target.clone(),
        )?))),
    }
}

/// Opens (creating and migrating) the database and starts the writer and reader threads.
/// `writers` writer threads on PostgreSQL (one on SQLite, which allows one writer), each
/// with `at_rest` as its sealer for encryption at rest. `remove_on_close` deletes the
/// database files when the last handle goes (temporary databases for tests).
pub async fn start(
    backend: &Backend,
    durability: Durability,
    group_commit_max: usize,
    readers: usize,
    queue_writers: usize,
    at_rest: Option<Sealer>,
    remove_on_close: bool,
) -> Result<Threads, StoreError> {
    let readers = readers.max(1);
    let queue_writers = match backend {
        Backend::Sqlite(_) => 0,
        Backend::Postgres(_) => queue_writers.max(1),
    };
    let writers = 1 + queue_writers;
    let max = group_commit_max.max(1);
    // Declared before the channels so that, on an early return, the senders drop first and
    // the guard's joins cannot wait for threads still blocked on a channel.
    let guard = Arc::new(Guard {
        handles: Mutex::new(Vec::with_capacity(writers + readers)),
        remove: match backend {
            Backend::Sqlite(path) if remove_on_close => Some(path.clone()),
            _ => None,
        },
    });
    let add_handle = |h: JoinHandle<()>| {
        if let Ok(mut all) = guard.handles.lock() {
            all.push(h);
        }
    };
    let (write_tx, write_rx) = mpsc::channel::<Box<dyn WriteJob>>(WRITE_QUEUE);
    let (read_tx, read_rx) = mpsc::channel::<ReadJob>(READ_QUEUE);
    type Queue = Arc<Mutex<mpsc::Receiver<Box<dyn WriteJob>>>>;
    let mut queues: Vec<(String, Queue)> =
        vec![("store-writer".into(), Arc::new(Mutex::new(write_rx)))];
    // PostgreSQL: accepts and leases have writers of their own, taking their jobs in turns.
    let queue_tx = if queue_writers == 0 {
        write_tx.clone()
    } else {
        let (queue_tx, queue_rx) = mpsc::channel::<Box<dyn WriteJob>>(WRITE_QUEUE);
        let queue_rx = Arc::new(Mutex::new(queue_rx));
        for n in 0..queue_writers {
            queues.push((format!("store-queue-{n}"), Arc::clone(&queue_rx)));
        }
        queue_tx
    };

    // One after the other: the first migrates, the others find the schema done.
    for (name, queue) in queues {
        let backend = backend.clone();
        let sealer = at_rest.clone();
        let open = move || {
            let conn = open_writer(&backend, durability)?;
            if let Some(sealer) = sealer {
                super::at_rest::install(sealer);
            }
            Ok(conn)
        };
        add_handle(
            spawn_on_connection(name, open, move |conn| writer_loop(conn, &queue, max)).await?,
        );
    }
    let read_rx = Arc::new(Mutex::new(read_rx));
    for n in 0..readers {
        let backend = backend.clone();
        let queue = Arc::clone(&read_rx);
        let open = move || open_reader(&backend);
        let run = move |conn: &Connection| reader_loop(conn, &queue);
        add_handle(spawn_on_connection(format!("store-reader-{n}"), open, run).await?);
    }
    Ok(Threads {
        writer: write_tx,
        queue: queue_tx,
        reader: read_tx,
        guard,
    })
}

/// Starts thread `name`: it opens its connection with `open`, says whether that worked
/// (answered before this returns), then runs `run` on it until `run` returns.
async fn spawn_on_connection(
    name: String,
    open: impl FnOnce() -> Result<Connection, StoreError> + Send + 'static,
    run: impl FnOnce(&Connection) + Send + 'static,
) -> Result<JoinHandle<()>, StoreError> {
    let (ready_tx, ready_rx) = oneshot::channel();
    let handle = std::thread::Builder::new()
        .name(name.clone())
        .spawn(move || match open() {
            Ok(conn) => {
                let _ = ready_tx.send(Ok(()));
                run(&conn);
            }
            Err(e) => {
                let _ = ready_tx.send(Err(e));
            }
        })
        .map_err(|e| StoreError::Sqlite(format!("cannot start thread {name}: {e}")))?;
    ready_rx.await.map_err(|_| StoreError::Closed)??;
    Ok(handle)
}

/// Takes a group from the queue (the first job waited for, then up to `max` that are
/// already waiting), runs it, answers it; until the queue closes. With several writers the
/// queue is taken in turns: one writer gathers its group while another runs or commits.
fn writer_loop(conn: &Connection, queue: &Mutex<mpsc::Receiver<Box<dyn WriteJob>>>, max: usize) {
    let mut group: Vec<Box<dyn WriteJob>> = Vec::with_capacity(max);
    loop {
        {
            let Ok(mut jobs) = queue.lock() else {
                return;
            };
            let Some(first) = jobs.blocking_recv() else {
                return;
            };
            group.push(first);
            while group.len() < max {
                match jobs.try_recv() {
                    Ok(job) => group.push(job),
                    Err(_) => break,
                }
            }
        }
        let committed = run_group(conn, &mut group);
        for job in group.drain(..) {
            job.answer(committed.clone());
        }
    }
}

/// Runs a group in one transaction; `Ok` once the commit returned.
fn run_group(conn: &Connection, group: &mut [Box<dyn WriteJob>]) -> Result<(), GroupFailure> {
    // A group that opens with accepts opens their savepoint with its BEGIN (PostgreSQL).
    let accepts_first = conn.is_postgres() && group.first().is_some_and(|j| j.is_accept());
    let begin = match conn {
        Connection::Sqlite(_) => "BEGIN IMMEDIATE",
        Connection::Postgres(_) if accepts_first => "BEGIN; SAVEPOINT accepts",
        Connection::Postgres(_) => "BEGIN",
    };
    conn.execute_batch(begin)?;
    super::rollups::begin();
    // On PostgreSQL, each run of accepts is stored set-wise (a few statements for the lot);
    // every other job runs on its own.
    let set_wise = conn.is_postgres();
    let runs = group.chunk_by_mut(|a, b| set_wise && a.is_accept() && b.is_accept());
    for (n, run) in runs.enumerate() {
        let accepts: Option<Vec<&mut super::accept_set::AcceptJob>> = if set_wise {
            run.iter_mut().map(|job| job.accept()).collect()
        } else {
            None
        };
        let trusted = match accepts {
            Some(mut accepts) => {
                super::accept_set::run_together(conn, &mut accepts, accepts_first && n == 0)
            }
            None => run.iter_mut().all(|job| job.run(conn)),
        };
        if !trusted {
            super::rollups::abandon();
            let _ = conn.execute_batch("ROLLBACK");
            if let Connection::Postgres(pg) = conn {
                if !pg.borrow().is_connected() {
                    return Err(GroupFailure::Unavailable(
                        "the database connection was lost during the transaction".into(),
                    ));
                }
            }
            return Err(GroupFailure::Failed(
                "transaction abandoned: a savepoint could not be rolled back".into(),
            ));
        }
    }
    // The group's analytics, summed per key and in key order (see `rollups.rs`).
    if let Err(e) = super::rollups::flush(conn) {
        super::rollups::abandon();
        let _ = conn.execute_batch("ROLLBACK");
        return Err(match e {
            StoreError::Unavailable(reason) => GroupFailure::Unavailable(reason),
            StoreError::Busy(reason) => GroupFailure::Busy(reason),
            other => GroupFailure::Failed(format!("writing the analytics rollups: {other}")),
        });
    }
    match conn.execute_batch("COMMIT") {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e.into())
        }
    }
}

fn reader_loop(conn: &Connection, queue: &Mutex<mpsc::Receiver<ReadJob>>) {
    loop {
        let job = match queue.lock() {
            Ok(mut rx) => rx.blocking_recv(),
            Err(_) => None,
        };
        match job {
            Some(job) => job(conn),
            None => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const READERS: usize = 2;

    async fn temp() -> (tempfile::TempDir, Threads) {
        let dir = tempfile::tempdir().unwrap();
        let backend = Backend::Sqlite(dir.path().join("w.db"));
        let threads = start(&backend, Durability::Normal, 64, READERS, 1, None, false)
            .await
            .unwrap();
        threads
            .guard
            .handles
            .lock()
            .map(|h| assert_eq!(h.len(), 1 + READERS))
            .unwrap();
        write(&threads.writer, |c| {
            Ok(c.execute_batch("CREATE TABLE t (v INTEGER UNIQUE)")?)
        })
        .await
        .unwrap();
        (dir, threads)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_job_rolls_back_alone_in_its_group() {
        let (_dir, threads) = temp().await;
        let mut waiting = Vec::new();
        for v in [1, 2, 1, 3] {
            let writer = threads.writer.clone();
            waiting.push(tokio::spawn(async move {
                write(&writer, move |c| {
                    c.execute("INSERT INTO t (v) VALUES (?1)", [v])?;
                    Ok(v)
                })
                .await
            }));
        }
        let mut ok = 0;
        for w in waiting {
            if w.await.unwrap().is_ok() {
                ok += 1;
            }
        }
        assert_eq!(ok, 3, "the duplicate 1 fails, the others commit");
        let n: i64 = read(&threads.reader, |c| {
            Ok(c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?)
        })
        .await
        .unwrap();
        assert_eq!(n, 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_rolled_back_job_takes_its_analytics_notes_back() {
        let (_dir, threads) = temp().await;
        let add = |messages: i64| {
            move |c: &Connection| {
                super::super::analytics::add(
                    c,
                    0,
                    "r",
                    "transactional",
                    "DE",
                    "queued",
                    messages,
                    messages,
                    0.0,
                )
            }
        };
        let mut waiting = Vec::new();
        for (messages, fails) in [(1, false), (5, true), (2, false)] {
            let writer = threads.writer.clone();
            waiting.push(tokio::spawn(async move {
                write(&writer, move |c| {
                    add(messages)(c)?;
                    if fails {
                        return Err(StoreError::Conflict("this job fails".into()));
                    }
                    Ok(())
                })
                .await
            }));
        }
        for w in waiting {
            let _ = w.await.unwrap();
        }
        let (hourly, daily, by_status): (i64, i64, i64) = read(&threads.reader, |c| {
            Ok(c.query_row(
                "SELECT (SELECT sum(messages) FROM analytics_hourly),
                        (SELECT sum(messages) FROM analytics_daily),
                        (SELECT sum(messages) FROM analytics_hourly_status)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?)
        })
        .await
        .unwrap();
        assert_eq!(
            (hourly, daily, by_status),
            (3, 3, 3),
            "the failed job's 5 must not count"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn threads_end_and_the_temporary_file_goes_when_the_guard_drops() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gone.db");
        let threads = start(
            &Backend::Sqlite(path.clone()),
            Durability::Normal,
            8,
            READERS,
            1,
            None,
            true,
        )
        .await
        .unwrap();
        assert!(path.exists());
        drop(threads);
        assert!(!path.exists());
    }
}
