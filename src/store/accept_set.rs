//! Accepts stored set-wise: on PostgreSQL, the accepts that wait for the writer together
//! are stored in one statement per table.
//!
//! Stored row by row (`queue::enqueue_with`), a single send is nine statements — each one
//! a round trip to the server and a wake-up of its backend — and a 10,000-recipient batch
//! is 30,000. On PostgreSQL that, not the work, was what limited a node (see
//! `docs/benchmarks.md`). So when a write group holds a run of accepts, the writer hands
//! the run to [`run_together`]: the duplicate keys are taken, and the batches, messages,
//! segments and events of the whole run are inserted, each table with one statement over a
//! JSON array of rows. SQLite, in the process, stays row by row.
//!
//! Invariants: every accept is answered exactly as [`enqueue_with`] one after the other, in
//! the run's order, would have answered it — the same ids in input order, the same
//! duplicates (a key taken by an earlier accept of the run is a duplicate for a later one),
//! the same replays and refusals; an accept refused for itself (a conflict) stores nothing
//! and does not disturb the others; whenever the set-wise statements fail, everything they
//! did is rolled back and each accept runs again on its own (in its own savepoint), so one
//! bad accept can only fail itself.

use super::queue::{enqueue_with, new_batch_id, prepare, replay, Prepared};
use super::sql::{params, Connection};
use super::types::{message_type_str, Accepted, NewBatch, NewMessage, StoreError};
use super::writer::{in_savepoint, settle, GroupFailure, WriteJob};
use crate::message::{MessageId, Millis};
use crate::seal::Sealer;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use tokio::sync::oneshot;

/// An accept on its way to the writer.
pub struct AcceptJob {
    batch: NewBatch,
    messages: Vec<NewMessage>,
    sealer: Option<Sealer>,
    at_rest: bool,
    now: Millis,
    outcome: Option<Result<Accepted, StoreError>>,
    reply: oneshot::Sender<Result<Accepted, StoreError>>,
}

impl AcceptJob {
    /// The job, and where its answer comes.
    pub fn new(
        batch: NewBatch,
        messages: Vec<NewMessage>,
        sealer: Option<Sealer>,
        at_rest: bool,
        now: Millis,
    ) -> (Self, oneshot::Receiver<Result<Accepted, StoreError>>) {
        let (reply, answer) = oneshot::channel();
        let job = AcceptJob {
            batch,
            messages,
            sealer,
            at_rest,
            now,
            outcome: None,
            reply,
        };
        (job, answer)
    }

    /// Its message at `pos` (a position the plan took from its messages).
    fn message(&self, pos: usize) -> Result<&NewMessage, StoreError> {
        self.messages
            .get(pos)
            .ok_or_else(|| StoreError::Sqlite(format!("no message at position {pos}")))
    }

    /// The sealer for encryption at rest, or why there is none.
    fn at_rest_sealer(&self) -> Result<Option<&Sealer>, StoreError> {
        match (self.at_rest, &self.sealer) {
            (false, _) => Ok(None),
            (true, Some(sealer)) => Ok(Some(sealer)),
            (true, None) => Err(StoreError::Conflict(
                "encryption at rest needs a store opened with a sealer".into(),
            )),
        }
    }
}

impl WriteJob for AcceptJob {
    /// On its own: row by row, in its savepoint.
    fn run(&mut self, conn: &Connection) -> bool {
        let (outcome, trusted) = in_savepoint(conn, |c| {
            enqueue_with(
                c,
                &self.batch,
                &self.messages,
                self.sealer.as_ref(),
                self.at_rest,
                self.now,
            )
        });
        self.outcome = Some(outcome);
        trusted
    }

    fn answer(self: Box<Self>, committed: Result<(), GroupFailure>) {
        // The caller may have gone away (a cancelled request): its work is committed anyway.
        let _ = self.reply.send(settle(committed, self.outcome));
    }

    fn accept(&mut self) -> Option<&mut AcceptJob> {
        Some(self)
    }

    fn is_accept(&self) -> bool {
        true
    }
}

/// Runs a run of accepts of the writer's group: set-wise in the savepoint `accepts`, or,
/// should that fail, each on its own. `savepoint_open`: the writer opened `accepts` with
/// its `BEGIN` (one round trip for both). Answers whether the transaction can still be
/// trusted.
pub(super) fn run_together(
    conn: &Connection,
    jobs: &mut [&mut AcceptJob],
    savepoint_open: bool,
) -> bool {
    let mark = super::rollups::mark();
    if savepoint_open || conn.execute_batch("SAVEPOINT accepts").is_ok() {
        // Not released: a savepoint lives until the commit, and its RELEASE would be one
        // more round trip. A later run's `accepts` hides this one.
        match store_together(conn, jobs) {
            Ok(outcomes) => {
                for (job, outcome) in jobs.iter_mut().zip(outcomes) {
                    job.outcome = Some(outcome);
                }
                return true;
            }
            Err(e) => {
                tracing::debug!(accepts = jobs.len(), error = %e, "set-wise accept failed; one by one")
            }
        }
        super::rollups::rollback_to(mark);
        if conn
            .execute_batch("ROLLBACK TO accepts; RELEASE accepts")
            .is_err()
        {
            return false;
        }
    }
    jobs.iter_mut().all(|job| job.run(conn))
}

/// What one accept of the run comes to before its rows are written.
enum Plan {
    /// Answered already: a replay, a refusal, or every message a duplicate.
    Answered(Result<Accepted, StoreError>),
    /// Stored under `batch_id`: the positions kept (in the request's messages) and how
    /// each is stored; `duplicates` are the positions left out.
    Store {
        batch_id: String,
        kept: Vec<(usize, Prepared)>,
        duplicates: Vec<usize>,
    },
}

/// Stores `jobs` set-wise; their answers in order. An `Err` means the statements failed
/// and the caller rolls them back.
fn store_together(
    conn: &Connection,
    jobs: &[&mut AcceptJob],
) -> Result<Vec<Result<Accepted, StoreError>>, StoreError> {
    // Replays and refusals; every other message worked out.
    let mut prepared: Vec<Result<Vec<Prepared>, Result<Accepted, StoreError>>> =
        Vec::with_capacity(jobs.len());
    let mut new_keys = HashSet::new();
    for job in jobs {
        if let Some(answer) = replay(conn, &job.batch)? {
            prepared.push(Err(answer));
            continue;
        }
        // A new idempotency key twice in one run: the second is a replay of the first,
        // which only the one-by-one path sees.
        if let Some(key) = &job.batch.idempotency_key {
            if !new_keys.insert((&job.batch.idempotency_scope, key)) {
                return Err(StoreError::Conflict(
                    "one new idempotency key twice in one write group".into(),
                ));
            }
        }
        prepared.push(job.at_rest_sealer().map_err(Err).and_then(|at_rest| {
            job.messages
                .iter()
                .map(|m| prepare(m, job.sealer.as_ref(), at_rest, job.now))
                .collect::<Result<Vec<_>, _>>()
                .map_err(Err)
        }));
    }

    let taken = take_duplicates(conn, jobs, &prepared)?;
    let plans = plan(jobs, prepared, &taken);
    let ids = insert_rows(conn, jobs, &plans)?;

    let mut answers = Vec::with_capacity(jobs.len());
    for (plan, ids) in plans.into_iter().zip(ids) {
        answers.push(match plan {
            Plan::Answered(answer) => answer,
            Plan::Store {
                batch_id,
                duplicates,
                ..
            } => Ok(Accepted {
                batch_id,
                ids,
                replayed: false,
                duplicates,
            }),
        });
    }
    Ok(answers)
}

thread_local! {
    /// When the writer thread last swept expired duplicate keys out.
    static SWEPT: std::cell::Cell<Millis> = const { std::cell::Cell::new(0) };
}

/// Takes the duplicate keys of the accepts that check them, in one statement: the keys
/// taken. A key is taken for the first accept of the run that has it.
fn take_duplicates(
    conn: &Connection,
    jobs: &[&mut AcceptJob],
    prepared: &[Result<Vec<Prepared>, Result<Accepted, StoreError>>],
) -> Result<HashSet<String>, StoreError> {
    #[derive(Serialize)]
    struct Key<'a> {
        n: usize,
        k: &'a str,
        at: Millis,
    }
    let mut rows = Vec::new();
    let mut window = None;
    let mut oldest = Millis::MAX;
    for (job, prepared) in jobs.iter().zip(prepared) {
        let (Some(check), Ok(_)) = (&job.batch.duplicate_check, prepared) else {
            continue;
        };
        if *window.get_or_insert(check.window_ms) != check.window_ms {
            return Err(StoreError::Conflict(
                "two duplicate windows in one write group".into(),
            ));
        }
        oldest = oldest.min(job.now);
        for key in &check.keys {
            rows.push(Key {
                n: rows.len(),
                k: key,
                at: job.now,
            });
        }
    }
    let Some(window) = window else {
        return Ok(HashSet::new());
    };
    if rows.is_empty() {
        return Ok(HashSet::new());
    }
    // Keys past their window are taken again by the upsert below; sweeping them out only
    // keeps the table small, so once a second is enough.
    if SWEPT.with(|swept| oldest.abs_diff(swept.get()) >= 1_000) {
        conn.prepare_cached("DELETE FROM shared_duplicates WHERE at <= ?1")?
            .execute([oldest - window])?;
        SWEPT.with(|swept| swept.set(oldest));
    }
    let taken = conn
        .prepare_cached(
            "INSERT INTO shared_duplicates (key, at)
             SELECT DISTINCT ON (k) k, at
             FROM json_to_recordset(CAST(?1 AS json)) AS x(n bigint, k text, at bigint)
             ORDER BY k, n
             ON CONFLICT (key) DO UPDATE SET at = excluded.at
             WHERE shared_duplicates.at <= excluded.at - ?2
             RETURNING key",
        )?
        .query_map(params![to_json(&rows)?, window], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(taken)
}

/// Each accept's plan: its answer, or what it stores. Positions are dropped as duplicates
/// as `enqueue_with` drops them (a key not taken, or taken by an earlier accept).
fn plan(
    jobs: &[&mut AcceptJob],
    prepared: Vec<Result<Vec<Prepared>, Result<Accepted, StoreError>>>,
    taken: &HashSet<String>,
) -> Vec<Plan> {
    let mut owner: HashMap<&str, usize> = HashMap::new();
    let mut plans = Vec::with_capacity(jobs.len());
    for (index, (job, prepared)) in jobs.iter().zip(prepared).enumerate() {
        let rows = match prepared {
            Ok(rows) => rows,
            Err(answer) => {
                plans.push(Plan::Answered(answer));
                continue;
            }
        };
        let mut kept = Vec::with_capacity(rows.len());
        let mut duplicates = Vec::new();
        match &job.batch.duplicate_check {
            None => kept.extend(rows.into_iter().enumerate()),
            // As `enqueue_with`: positions pair with keys, and a position without one goes.
            Some(check) => {
                for ((pos, row), key) in rows.into_iter().enumerate().zip(&check.keys) {
                    let fresh =
                        taken.contains(key) && *owner.entry(key.as_str()).or_insert(index) == index;
                    if fresh {
                        kept.push((pos, row));
                    } else {
                        duplicates.push(pos);
                    }
                }
            }
        }
        plans.push(if kept.is_empty() {
            Plan::Answered(Ok(Accepted {
                batch_id: String::new(),
                ids: Vec::new(),
                replayed: false,
                duplicates,
            }))
        } else {
            Plan::Store {
                batch_id: new_batch_id(),
                kept,
                duplicates,
            }
        });
    }
    plans
}

/// Inserts the batches, messages, segments and events the plans store (one statement for
/// all four tables), links replies, emits `sms.queued` and notes the rollups; the new ids
/// per plan, in input order.
fn insert_rows(
    conn: &Connection,
    jobs: &[&mut AcceptJob],
    plans: &[Plan],
) -> Result<Vec<Vec<MessageId>>, StoreError> {
    #[derive(Serialize)]
    struct Batch<'a> {
        id: &'a str,
        name: Option<&'a str>,
        idempotency_key: Option<&'a str>,
        idempotency_scope: Option<&'a str>,
        fingerprint: Option<&'a str>,
        callback_url: Option<&'a str>,
        metadata: Option<&'a str>,
        created_at: Millis,
    }
    #[derive(Serialize)]
    struct Segment<'a> {
        seq: u16,
        pdu: &'a str,
        len: u16,
    }
    #[derive(Serialize)]
    struct Message<'a> {
        n: usize,
        batch_id: &'a str,
        batch_pos: usize,
        recipient: &'a str,
        body: &'a str,
        message_type: &'a str,
        sms_type: &'a str,
        encoding: &'a str,
        priority: i32,
        status: &'a str,
        schedule_at: Option<Millis>,
        expire_at: Option<Millis>,
        provider: Option<&'a str>,
        custom_id: Option<&'a str>,
        recipient_name: Option<&'a str>,
        segments: u16,
        created_at: Millis,
        country: Option<&'a str>,
        sealed_body: Option<&'a str>,
        segs: Vec<Segment<'a>>,
    }

    let mut batches = Vec::new();
    let mut messages = Vec::new();
    let mut kinds = Vec::new();
    for (job, plan) in jobs.iter().zip(plans) {
        let Plan::Store { batch_id, kept, .. } = plan else {
            continue;
        };
        let batch = &job.batch;
        batches.push(Batch {
            id: batch_id,
            name: batch.name.as_deref(),
            idempotency_key: batch.idempotency_key.as_deref(),
            idempotency_scope: batch
                .idempotency_key
                .as_ref()
                .map(|_| batch.idempotency_scope.as_str()),
            fingerprint: batch.fingerprint.as_deref(),
            callback_url: batch.callback_url.as_deref(),
            metadata: batch.metadata.as_deref(),
            created_at: job.now,
        });
        for (batch_pos, (pos, row)) in kept.iter().enumerate() {
            let m = job.message(*pos)?;
            if let Some(kind) = super::state::event_type(row.status) {
                if !kinds.contains(&kind) {
                    kinds.push(kind);
                }
            }
            messages.push(Message {
                n: messages.len(),
                batch_id,
                batch_pos,
                recipient: &m.recipient,
                body: &row.stored_body,
                message_type: message_type_str(m.message_type),
                sms_type: m.sms_type.as_str(),
                encoding: &m.encoding,
                priority: m.priority,
                status: row.status.as_str(),
                schedule_at: m.schedule_at,
                expire_at: m.expire_at,
                provider: m.provider.as_deref(),
                custom_id: m.custom_id.as_deref(),
                recipient_name: m.recipient_name.as_deref(),
                segments: row.segment_count,
                created_at: job.now,
                country: row.country.as_deref(),
                sealed_body: row.sealed_body.as_deref(),
                segs: m
                    .segments
                    .iter()
                    .zip(&row.pdus)
                    .map(|(s, pdu)| Segment {
                        seq: s.seq,
                        pdu,
                        len: s.tpdu_length,
                    })
                    .collect(),
            });
        }
    }
    if messages.is_empty() {
        return Ok(plans.iter().map(|_| Vec::new()).collect());
    }

    // One statement: its sub-statements share one snapshot, and the foreign keys are
    // checked at its end, when the batches, messages and segments are all there. Ids are
    // handed out in `n` order, which is input order; each comes back with its `n`. It also
    // says which of the event types of these messages have subscribers.
    let mut inserted: Vec<Option<i64>> = vec![None; messages.len()];
    let mut subscribed: Option<String> = None;
    let mut statement = conn.prepare_cached(
        "WITH source AS (
             SELECT * FROM json_to_recordset(CAST(?2 AS json)) AS x(n bigint, batch_id text,
                 batch_pos bigint, recipient text, body text, message_type text,
                 sms_type text, encoding text, priority bigint, status text,
                 schedule_at bigint, expire_at bigint, provider text, custom_id text,
                 recipient_name text, segments bigint, created_at bigint, country text,
                 sealed_body text, segs json)
         ),
         new_batches AS (
             INSERT INTO batches (id, name, idempotency_key, idempotency_scope, fingerprint,
                                  callback_url, metadata, created_at)
             SELECT id, name, idempotency_key, idempotency_scope, fingerprint,
                    callback_url, metadata, created_at
             FROM json_to_recordset(CAST(?1 AS json)) AS x(id text, name text,
                  idempotency_key text, idempotency_scope text, fingerprint text,
                  callback_url text, metadata text, created_at bigint)
         ),
         new_messages AS (
             INSERT INTO messages (batch_id, batch_pos, recipient, body, message_type,
                 sms_type, encoding, priority, status, schedule_at, expire_at, provider,
                 custom_id, recipient_name, segments, created_at, updated_at,
                 country, rolled_status, rolled_route, rolled_cost, sealed_body)
             SELECT batch_id, batch_pos, recipient, body, message_type,
                 sms_type, encoding, priority, status, schedule_at, expire_at, provider,
                 custom_id, recipient_name, segments, created_at, created_at,
                 country, status, '', 0.0, sealed_body
             FROM source ORDER BY n
             RETURNING id, batch_id, batch_pos
         ),
         numbered AS (
             SELECT m.id, s.n, s.status, s.created_at, s.segs
             FROM new_messages m
             JOIN source s ON s.batch_id = m.batch_id AND s.batch_pos = m.batch_pos
         ),
         new_segments AS (
             INSERT INTO segments (message_id, seq, pdu_hex, tpdu_length)
             SELECT numbered.id, g.seq, g.pdu, g.len
             FROM numbered, json_to_recordset(numbered.segs) AS g(seq bigint, pdu text,
                  len bigint)
         ),
         new_events AS (
             INSERT INTO events (message_id, at, status, route, detail)
             SELECT id, created_at, status, NULL, 'accepted' FROM numbered ORDER BY n
         )
         SELECT id, n,
                (SELECT string_agg(DISTINCT event, ',') FROM webhook_subscription_events
                 WHERE event IN (SELECT json_array_elements_text(CAST(?3 AS json))))
         FROM numbered",
    )?;
    let mut returned = statement.query(params![
        to_json(&batches)?,
        to_json(&messages)?,
        to_json(&kinds)?
    ])?;
    while let Some(row) = returned.next()? {
        let n = usize::try_from(row.get::<_, i64>(1)?).unwrap_or(usize::MAX);
        if let Some(slot) = inserted.get_mut(n) {
            *slot = Some(row.get(0)?);
        }
        subscribed = row.get(2)?;
    }
    drop(returned);
    drop(statement);
    let subscribed: HashSet<&str> = subscribed.as_deref().unwrap_or("").split(',').collect();

    let mut ids = Vec::with_capacity(plans.len());
    // The messages come in `n` order here as they were numbered above.
    let mut next = 0;
    let mut rollup: BTreeMap<(Millis, &str, &str, &str), (i64, i64)> = BTreeMap::new();
    for (job, plan) in jobs.iter().zip(plans) {
        let Plan::Store { batch_id, kept, .. } = plan else {
            ids.push(Vec::new());
            continue;
        };
        let mut these = Vec::with_capacity(kept.len());
        for (batch_pos, (pos, row)) in kept.iter().enumerate() {
            let id = inserted
                .get(next)
                .copied()
                .flatten()
                .map(MessageId)
                .ok_or_else(|| {
                    StoreError::Sqlite(format!("message {batch_id}/{batch_pos} was not inserted"))
                })?;
            next += 1;
            let m = job.message(*pos)?;
            // Replies, and `sms.queued` for its subscribers: message by message, as they
            // are rare.
            if let Some(reply) = m.reply {
                super::queue::link_reply(conn, id, m, reply, job.now)?;
            }
            if super::state::event_type(row.status).is_some_and(|kind| subscribed.contains(kind)) {
                super::state::status_event(conn, id, row.status, row.status, None, None, job.now)?;
            }
            let counted = rollup
                .entry((
                    super::analytics::hour_of(job.now),
                    m.sms_type.as_str(),
                    row.country.as_deref().unwrap_or_default(),
                    row.status.as_str(),
                ))
                .or_default();
            counted.0 += 1;
            counted.1 += i64::from(row.segment_count);
            these.push(id);
        }
        ids.push(these);
    }
    for ((hour, sms_type, country, status), (count, segments)) in rollup {
        super::analytics::add(
            conn, hour, "", sms_type, country, status, count, segments, 0.0,
        )?;
    }
    Ok(ids)
}

fn to_json(rows: &impl Serialize) -> Result<String, StoreError> {
    serde_json::to_string(rows).map_err(|e| StoreError::Sqlite(format!("encoding rows: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::postgres_testing;
    use crate::store::queue::tests::message;
    use crate::store::sql::{PgConn, PgTarget};
    use crate::store::types::{DuplicateCheck, ReplyLink};
    use std::cell::RefCell;

    const T0: Millis = 1_780_000_000_000;

    /// A migrated database of its own on the test server.
    fn database(test: &str) -> Option<Connection> {
        let server = postgres_testing::require(test)?;
        let target = PgTarget::for_tests(&server.new_database());
        let conn = Connection::Postgres(RefCell::new(PgConn::connect(target).unwrap()));
        super::super::schema::migrate(&conn).unwrap();
        Some(conn)
    }

    fn checked(keys: &[&str]) -> NewBatch {
        NewBatch {
            duplicate_check: Some(DuplicateCheck {
                keys: keys.iter().map(|k| k.to_string()).collect(),
                window_ms: 60_000,
            }),
            ..NewBatch::default()
        }
    }

    fn keyed(key: &str) -> NewBatch {
        NewBatch {
            idempotency_key: Some(key.into()),
            idempotency_scope: "api".into(),
            fingerprint: Some(format!("f-{key}")),
            ..NewBatch::default()
        }
    }

    fn secret(recipient: &str) -> NewMessage {
        NewMessage {
            body: "your code is 123456".into(),
            redacted_body: Some("your code is ******".into()),
            ..message(recipient, 0, 1)
        }
    }

    /// The accepts of one run: every path a run can take.
    fn jobs(sealer: Option<&Sealer>) -> Vec<AcceptJob> {
        let requests: Vec<(NewBatch, Vec<NewMessage>)> = vec![
            // keys a and b are new; a comes again in the next accept: a duplicate there.
            (
                checked(&["a", "b"]),
                vec![
                    message("+491511000001", 0, 1),
                    message("+491511000002", 0, 2),
                ],
            ),
            (
                checked(&["a", "c"]),
                vec![
                    message("+491511000001", 0, 1),
                    message("+4915112345678", 5, 1),
                ],
            ),
            // The same key twice in one batch: both kept (as one by one).
            (
                checked(&["d", "d"]),
                vec![
                    message("+491511000004", 0, 1),
                    message("+491511000004", 0, 1),
                ],
            ),
            // Every message a duplicate: nothing stored.
            (checked(&["b"]), vec![message("+491511000002", 0, 1)]),
            // Taken before the run: a duplicate.
            (checked(&["seen-dup"]), vec![message("+491511000009", 0, 1)]),
            // An idempotency key seen before the run: a replay; one with another request: refused.
            (keyed("seen"), vec![message("+491511000005", 0, 1)]),
            (
                NewBatch {
                    fingerprint: Some("another".into()),
                    ..keyed("seen")
                },
                vec![message("+491511000005", 0, 1)],
            ),
            // A new idempotency key, a scheduled message, a secret, no check at all.
            (keyed("new"), vec![message("+491511000006", 1, 3)]),
            (
                NewBatch::default(),
                vec![
                    NewMessage {
                        schedule_at: Some(T0 + 3_600_000),
                        ..message("+33612345678", 0, 1)
                    },
                    secret("+491511000008"),
                ],
            ),
        ];
        requests
            .into_iter()
            .map(|(batch, messages)| AcceptJob::new(batch, messages, sealer.cloned(), false, T0).0)
            .collect()
    }

    /// What happened before the run, the same in both databases.
    fn before(conn: &Connection) {
        conn.execute_batch("BEGIN").unwrap();
        // A subscriber of `sms.queued`: every accepted message is an event for it.
        conn.execute_batch(
            "INSERT INTO webhook_subscriptions (id, url, host, events, secret, created_at,
                                                updated_at)
             VALUES ('wh_1', 'http://receiver.test/', 'receiver.test', '[\"sms.queued\"]',
                     's', 0, 0);
             INSERT INTO webhook_subscription_events (event, subscription_id)
             VALUES ('sms.queued', 'wh_1');",
        )
        .unwrap();
        enqueue_with(
            conn,
            &keyed("seen"),
            &[message("+491511000005", 0, 1)],
            None,
            false,
            T0 - 10,
        )
        .unwrap();
        enqueue_with(
            conn,
            &checked(&["seen-dup"]),
            &[message("+491511000009", 0, 1)],
            None,
            false,
            T0 - 10,
        )
        .unwrap();
        conn.execute_batch("COMMIT").unwrap();
    }

    /// An answer without the ids and batch ids that differ between databases.
    fn shape(answer: &Result<Accepted, StoreError>) -> String {
        match answer {
            Ok(a) => format!(
                "ok ids={} replayed={} duplicates={:?} batch={}",
                a.ids.len(),
                a.replayed,
                a.duplicates,
                !a.batch_id.is_empty()
            ),
            Err(e) => format!("err {e}"),
        }
    }

    /// What the database holds, ids left out.
    fn contents(conn: &Connection) -> Vec<String> {
        let queries = [
            "SELECT m.recipient || '|' || m.batch_pos || '|' || m.body || '|' || m.status || '|' ||
                    m.priority || '|' || m.segments || '|' || coalesce(m.country, '-') || '|' ||
                    (m.sealed_body IS NOT NULL) || '|' || coalesce(b.idempotency_key, '-') || '|' ||
                    coalesce(m.schedule_at, 0) || '|' || m.rolled_status
             FROM messages m JOIN batches b ON b.id = m.batch_id ORDER BY m.id",
            "SELECT s.seq || '|' ||
                    CASE WHEN s.pdu_hex LIKE 'sealed:%' THEN 'sealed' ELSE s.pdu_hex END || '|' || s.tpdu_length || '|' || m.recipient
             FROM segments s JOIN messages m ON m.id = s.message_id ORDER BY m.id, s.seq",
            "SELECT e.status || '|' || e.detail || '|' || m.recipient
             FROM events e JOIN messages m ON m.id = e.message_id ORDER BY e.id",
            "SELECT key FROM shared_duplicates ORDER BY key",
            "SELECT e.type || '|' || (e.payload::json -> 'data' ->> 'to')
             FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id ORDER BY d.id",
            "SELECT status || '|' || country || '|' || messages || '|' || segments
             FROM analytics_hourly ORDER BY status, country",
        ];
        let mut all = Vec::new();
        for sql in queries {
            let rows: Vec<String> = conn
                .prepare(sql)
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            all.push(rows.join("\n"));
        }
        all
    }

    /// The same accepts, set-wise in one database and one by one in another: the same
    /// answers and the same rows.
    #[test]
    fn a_run_stored_set_wise_answers_and_stores_what_one_by_one_does() {
        let Some(set_wise) = database("accept_set::a_run_stored_set_wise") else {
            return;
        };
        let one_by_one = database("accept_set::a_run_stored_set_wise").unwrap();
        let sealer = Sealer::random();
        before(&set_wise);
        before(&one_by_one);

        let mut jobs_a = jobs(Some(&sealer));
        let mut run: Vec<&mut AcceptJob> = jobs_a.iter_mut().collect();
        set_wise.execute_batch("BEGIN").unwrap();
        super::super::rollups::begin();
        // Directly, so that a silent fall back to one by one cannot pass for the set.
        let answers_a = store_together(&set_wise, &run).unwrap();
        super::super::rollups::flush(&set_wise).unwrap();
        set_wise.execute_batch("COMMIT").unwrap();
        run.clear();

        let mut jobs_b = jobs(Some(&sealer));
        one_by_one.execute_batch("BEGIN").unwrap();
        super::super::rollups::begin();
        let answers_b: Vec<_> = jobs_b
            .iter_mut()
            .map(|job| {
                assert!(job.run(&one_by_one));
                job.outcome.take().unwrap()
            })
            .collect();
        super::super::rollups::flush(&one_by_one).unwrap();
        one_by_one.execute_batch("COMMIT").unwrap();

        let shapes_a: Vec<String> = answers_a.iter().map(shape).collect();
        let shapes_b: Vec<String> = answers_b.iter().map(shape).collect();
        assert_eq!(shapes_a, shapes_b);
        // The cases the run was built for, spelled out.
        assert_eq!(
            shapes_a[1],
            "ok ids=1 replayed=false duplicates=[0] batch=true"
        );
        assert_eq!(
            shapes_a[2],
            "ok ids=2 replayed=false duplicates=[] batch=true"
        );
        assert_eq!(
            shapes_a[3],
            "ok ids=0 replayed=false duplicates=[0] batch=false"
        );
        assert_eq!(
            shapes_a[4],
            "ok ids=0 replayed=false duplicates=[0] batch=false"
        );
        assert_eq!(
            shapes_a[5],
            "ok ids=1 replayed=true duplicates=[] batch=true"
        );
        assert!(shapes_a[6].starts_with("err "), "{}", shapes_a[6]);
        assert_eq!(contents(&set_wise), contents(&one_by_one));
        let contents = contents(&set_wise);
        assert!(contents[4].contains("+4915112345678"), "{}", contents[4]);
        assert!(contents[5].contains("|DE|"), "countries are rolled up");

        // Ids in input order, within each accept and across the run.
        let ids: Vec<i64> = answers_a
            .iter()
            .filter_map(|a| a.as_ref().ok())
            .filter(|a| !a.replayed)
            .flat_map(|a| a.ids.iter().map(|id| id.0))
            .collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        // The secret's text is only sealed.
        let sealed: String = set_wise
            .query_row(
                "SELECT sealed_body FROM messages WHERE recipient = '+491511000008'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(sealer.open(&sealed).unwrap(), "your code is 123456");
    }

    /// One accept that fails in the set-wise statements (a reply to a conversation that
    /// does not exist) fails alone: the run falls back to one by one.
    #[test]
    fn an_accept_that_breaks_the_set_fails_alone() {
        let Some(conn) = database("accept_set::an_accept_that_breaks_the_set") else {
            return;
        };
        let broken = NewMessage {
            reply: Some(ReplyLink {
                conversation_id: 999_999,
                inbound_id: None,
            }),
            ..message("+491511000002", 0, 1)
        };
        let mut jobs: Vec<AcceptJob> = [
            vec![message("+491511000001", 0, 1)],
            vec![broken],
            vec![message("+491511000003", 0, 2)],
        ]
        .into_iter()
        .zip([checked(&["x"]), checked(&["y"]), NewBatch::default()])
        .map(|(messages, batch)| AcceptJob::new(batch, messages, None, false, T0).0)
        .collect();
        let mut run: Vec<&mut AcceptJob> = jobs.iter_mut().collect();
        conn.execute_batch("BEGIN").unwrap();
        super::super::rollups::begin();
        assert!(run_together(&conn, &mut run, false));
        super::super::rollups::flush(&conn).unwrap();
        conn.execute_batch("COMMIT").unwrap();
        let answers: Vec<String> = jobs
            .iter_mut()
            .map(|job| shape(job.outcome.as_ref().unwrap()))
            .collect();
        assert_eq!(
            answers[0],
            "ok ids=1 replayed=false duplicates=[] batch=true"
        );
        assert_eq!(answers[1], format!("err {}", StoreError::NotFound));
        assert_eq!(
            answers[2],
            "ok ids=1 replayed=false duplicates=[] batch=true"
        );
        let stored: Vec<String> = conn
            .prepare("SELECT recipient FROM messages ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(stored, ["+491511000001", "+491511000003"]);
        // The broken accept's key went back with it: only the first accept's remains.
        let keys: i64 = conn
            .query_row("SELECT count(*) FROM shared_duplicates", [], |r| r.get(0))
            .unwrap();
        assert_eq!(keys, 1);
    }
}
