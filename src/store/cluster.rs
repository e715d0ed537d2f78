//! What the nodes sharing one database tell each other through it: each node's heartbeat
//! row (`cluster_nodes`: when it started and last wrote, its routes), and the limits they
//! count together (`shared_limit_hits`: "at most N per period" for a key, e.g. OTP codes
//! per phone number, across every node).
//!
//! Invariants: a shared limit is checked and taken in one transaction under a lock on its
//! key (PostgreSQL: `pg_advisory_xact_lock`; SQLite has one writer), so two nodes taking the
//! last unit at once cannot both get it; a refused request takes nothing.

use super::sql::{params, Connection};
use super::types::StoreError;
use crate::message::Millis;
use serde::{Deserialize, Serialize};

/// A route as a node advertises it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRoute {
    /// The route's name (a modem's or a provider's).
    pub name: String,
    /// `modem` or `provider`.
    pub kind: String,
    /// Whether it can take a message now.
    pub ready: bool,
}

/// A node as its heartbeat row says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterNode {
    /// Its id (`[storage] node_id`).
    pub node_id: String,
    /// When it started (Unix ms).
    pub started_at: Millis,
    /// When it last wrote its row (Unix ms).
    pub heartbeat_at: Millis,
    /// Its smsgate version.
    pub version: String,
    /// Its routes.
    pub routes: Vec<NodeRoute>,
}

/// A window of a shared limit: at most `limit` units per `period_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharedWindow {
    /// Units allowed per period; 0 turns the window off.
    pub limit: u32,
    /// The period in milliseconds.
    pub period_ms: Millis,
}

/// Writes this node's heartbeat row.
pub fn heartbeat(conn: &Connection, node: &ClusterNode) -> Result<(), StoreError> {
    let routes = serde_json::to_string(&node.routes)
        .map_err(|e| StoreError::Sqlite(format!("encoding the routes: {e}")))?;
    conn.prepare_cached(
        "INSERT INTO cluster_nodes (node_id, started_at, heartbeat_at, version, routes)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (node_id) DO UPDATE SET started_at = excluded.started_at,
             heartbeat_at = excluded.heartbeat_at, version = excluded.version,
             routes = excluded.routes",
    )?
    .execute(params![
        node.node_id,
        node.started_at,
        node.heartbeat_at,
        node.version,
        routes
    ])?;
    Ok(())
}

/// Every node that ever wrote a heartbeat, by id.
pub fn nodes(conn: &Connection) -> Result<Vec<ClusterNode>, StoreError> {
    let rows = conn
        .prepare_cached(
            "SELECT node_id, started_at, heartbeat_at, version, routes FROM cluster_nodes
             ORDER BY node_id",
        )?
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Millis>(1)?,
                r.get::<_, Millis>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .map(
            |(node_id, started_at, heartbeat_at, version, routes)| ClusterNode {
                node_id,
                started_at,
                heartbeat_at,
                version,
                // A row written by a newer version that does not parse shows no routes.
                routes: serde_json::from_str(&routes).unwrap_or_default(),
            },
        )
        .collect())
}

/// Takes `units` of the limit `scope`/`key` at `now` if every window has room; else
/// nothing, and how long until it would (ms).
pub fn take_shared(
    conn: &Connection,
    scope: &str,
    key: &str,
    windows: &[SharedWindow],
    units: u32,
    now: Millis,
) -> Result<Result<(), Millis>, StoreError> {
    if conn.is_postgres() {
        // Until the transaction ends, no other node counts this key.
        conn.query_row(
            "SELECT pg_advisory_xact_lock(hashtextextended(?1, 0))",
            [format!("{scope}\u{1f}{key}")],
            |_| Ok(()),
        )?;
    }
    let longest = windows.iter().map(|w| w.period_ms).max().unwrap_or(0);
    conn.prepare_cached(
        "DELETE FROM shared_limit_hits WHERE scope = ?1 AND key = ?2 AND at <= ?3",
    )?
    .execute(params![scope, key, now - longest])?;
    take_locked(conn, scope, key, windows, units, now)
}

/// Of `keys` (a recipient and a text hash each), takes those not taken within `window_ms`
/// before `now` and returns them; the others are duplicates. One statement whatever the
/// number of keys; two nodes taking one key at once cannot both get it (the second's insert
/// waits for the first's row, then finds it within the window).
pub fn take_duplicates(
    conn: &Connection,
    keys: &[String],
    window_ms: Millis,
    now: Millis,
) -> Result<std::collections::HashSet<String>, StoreError> {
    if keys.is_empty() {
        return Ok(std::collections::HashSet::new());
    }
    let json = serde_json::to_string(keys)
        .map_err(|e| StoreError::Sqlite(format!("encoding the keys: {e}")))?;
    let cutoff = now - window_ms;
    conn.prepare_cached("DELETE FROM shared_duplicates WHERE at <= ?1")?
        .execute([cutoff])?;
    let source = if conn.is_postgres() {
        "SELECT DISTINCT k, CAST(?2 AS BIGINT) FROM json_array_elements_text(CAST(?1 AS json)) AS k"
    } else {
        // `WHERE true`: SQLite's parser needs it before an upsert's ON CONFLICT.
        "SELECT DISTINCT value, ?2 FROM json_each(?1) WHERE true"
    };
    let taken = conn
        .prepare_cached(&format!(
            "INSERT INTO shared_duplicates (key, at) {source}
             ON CONFLICT (key) DO UPDATE SET at = excluded.at
             WHERE shared_duplicates.at <= ?3
             RETURNING key"
        ))?
        .query_map(params![json, now, cutoff], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(taken)
}

/// One unit of the limit `scope` for each of `keys` (a key may come more than once: once per
/// message), taken where every window has room; the answer per key, in order. One lock on
/// the whole scope (PostgreSQL) for the transaction: this is the path of limits an operator
/// turned on, and one lock is what keeps a request of many keys within what the lock table
/// holds.
pub fn take_shared_each(
    conn: &Connection,
    scope: &str,
    keys: &[String],
    windows: &[SharedWindow],
    now: Millis,
) -> Result<Vec<Result<(), Millis>>, StoreError> {
    if conn.is_postgres() {
        conn.query_row(
            "SELECT pg_advisory_xact_lock(hashtextextended(?1, 0))",
            [format!("{scope}\u{1f}*")],
            |_| Ok(()),
        )?;
    }
    let longest = windows.iter().map(|w| w.period_ms).max().unwrap_or(0);
    conn.prepare_cached("DELETE FROM shared_limit_hits WHERE scope = ?1 AND at <= ?2")?
        .execute(params![scope, now - longest])?;
    let mut answers = Vec::with_capacity(keys.len());
    for key in keys {
        let answer = take_locked(conn, scope, key, windows, 1, now)?;
        answers.push(answer);
    }
    Ok(answers)
}

/// `units` of `scope`/`key` if every window has room, else how long until there is (ms);
/// the caller holds the lock.
fn take_locked(
    conn: &Connection,
    scope: &str,
    key: &str,
    windows: &[SharedWindow],
    units: u32,
    now: Millis,
) -> Result<Result<(), Millis>, StoreError> {
    for window in windows.iter().filter(|w| w.limit > 0) {
        let since = now - window.period_ms;
        let (used, oldest): (i64, Option<Millis>) = conn
            .prepare_cached(
                "SELECT coalesce(sum(units), 0), min(at) FROM shared_limit_hits
                 WHERE scope = ?1 AND key = ?2 AND at > ?3",
            )?
            .query_row(params![scope, key, since], |r| Ok((r.get(0)?, r.get(1)?)))?;
        if used + i64::from(units) > i64::from(window.limit) {
            // Room comes back as the oldest units in the window leave it.
            let wait = oldest.map_or(window.period_ms, |at| at + window.period_ms - now);
            return Ok(Err(wait.max(1)));
        }
    }
    conn.prepare_cached(
        "INSERT INTO shared_limit_hits (scope, key, at, units) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![scope, key, now, units])?;
    Ok(Ok(()))
}

/// Gives back one unit per key of `keys` taken at `at`.
pub fn refund_shared_each(
    conn: &Connection,
    scope: &str,
    keys: &[String],
    at: Millis,
) -> Result<(), StoreError> {
    for key in keys {
        refund_shared(conn, scope, key, at)?;
    }
    Ok(())
}

/// Gives back one take of `units` made at `at` (the work it paid for did not happen).
pub fn refund_shared(
    conn: &Connection,
    scope: &str,
    key: &str,
    at: Millis,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "DELETE FROM shared_limit_hits WHERE id = (
             SELECT id FROM shared_limit_hits WHERE scope = ?1 AND key = ?2 AND at = ?3
             ORDER BY id DESC LIMIT 1)",
    )?
    .execute(params![scope, key, at])?;
    Ok(())
}

/// The queues whose rows a node claims before it works on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// `webhook_outbox`: status callbacks to a message's `callback_url`.
    Callbacks,
    /// `webhook_deliveries`: deliveries to webhook subscriptions.
    Subscriptions,
}

impl Queue {
    fn table(self) -> &'static str {
        match self {
            Queue::Callbacks => "webhook_outbox",
            Queue::Subscriptions => "webhook_deliveries",
        }
    }
}

/// Claims those of `ids` still due at `now` by moving their next attempt to `until`; returns
/// the ids claimed. Of two nodes claiming one row, the second finds it no longer due (its
/// update waits for the first's commit, then reads the row again), so each delivery is made
/// by one node. A node that dies holding a claim leaves the row due again at `until`.
pub fn claim(
    conn: &Connection,
    queue: Queue,
    ids: &[i64],
    until: Millis,
    now: Millis,
) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "UPDATE {} SET next_attempt_at = ?2
         WHERE id = ?1 AND next_attempt_at <= ?3 AND delivered_at IS NULL AND gave_up_at IS NULL",
        queue.table()
    ))?;
    let mut claimed = Vec::with_capacity(ids.len());
    for &id in ids {
        if stmt.execute(params![id, until, now])? == 1 {
            claimed.push(id);
        }
    }
    Ok(claimed)
}

impl super::Store {
    /// Claims due rows of `queue` for this node (see [`claim`]). The only node needs no
    /// claim: every id comes back, and nothing is written.
    pub async fn claim_due(
        &self,
        queue: Queue,
        ids: Vec<i64>,
        until: Millis,
        now: Millis,
    ) -> Result<Vec<i64>, StoreError> {
        if self.node.is_none() {
            return Ok(ids);
        }
        super::writer::write(&self.writer, move |c| claim(c, queue, &ids, until, now)).await
    }

    /// Writes this node's heartbeat row.
    pub async fn cluster_heartbeat(&self, node: ClusterNode) -> Result<(), StoreError> {
        super::writer::write(&self.writer, move |c| heartbeat(c, &node)).await
    }

    /// The nodes that share this database, as their heartbeat rows say.
    pub async fn cluster_nodes(&self) -> Result<Vec<ClusterNode>, StoreError> {
        super::writer::read(&self.reader, nodes).await
    }

    /// Takes `units` of a limit shared by the nodes (see [`take_shared`]).
    pub async fn take_shared_limit(
        &self,
        scope: &'static str,
        key: String,
        windows: Vec<SharedWindow>,
        units: u32,
        now: Millis,
    ) -> Result<Result<(), Millis>, StoreError> {
        super::writer::write(&self.writer, move |c| {
            take_shared(c, scope, &key, &windows, units, now)
        })
        .await
    }

    /// One unit of a shared limit per key (see [`take_shared_each`]).
    pub async fn take_shared_each(
        &self,
        scope: &'static str,
        keys: Vec<String>,
        windows: Vec<SharedWindow>,
        now: Millis,
    ) -> Result<Vec<Result<(), Millis>>, StoreError> {
        super::writer::write(&self.writer, move |c| {
            take_shared_each(c, scope, &keys, &windows, now)
        })
        .await
    }

    /// Gives back one unit per key taken at `at`.
    pub async fn refund_shared_each(
        &self,
        scope: &'static str,
        keys: Vec<String>,
        at: Millis,
    ) -> Result<(), StoreError> {
        super::writer::write(&self.writer, move |c| {
            refund_shared_each(c, scope, &keys, at)
        })
        .await
    }

    /// Gives back a take of a shared limit made at `at`.
    pub async fn refund_shared_limit(
        &self,
        scope: &'static str,
        key: String,
        at: Millis,
    ) -> Result<(), StoreError> {
        super::writer::write(&self.writer, move |c| refund_shared(c, scope, &key, at)).await
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
    fn a_shared_limit_refuses_the_unit_over_it_until_the_window_moves_on() {
        let conn = conn();
        let minute = [SharedWindow {
            limit: 3,
            period_ms: 60_000,
        }];
        for at in [0, 10, 20] {
            assert_eq!(
                take_shared(&conn, "otp", "+1", &minute, 1, at).unwrap(),
                Ok(())
            );
        }
        // Full: the fourth waits until the first leaves the window.
        assert_eq!(
            take_shared(&conn, "otp", "+1", &minute, 1, 30).unwrap(),
            Err(59_970)
        );
        // Another key is counted apart.
        assert_eq!(
            take_shared(&conn, "otp", "+2", &minute, 1, 30).unwrap(),
            Ok(())
        );
        // A refund makes room at once.
        refund_shared(&conn, "otp", "+1", 20).unwrap();
        assert_eq!(
            take_shared(&conn, "otp", "+1", &minute, 1, 40).unwrap(),
            Ok(())
        );
        assert!(take_shared(&conn, "otp", "+1", &minute, 1, 50)
            .unwrap()
            .is_err());
        // A minute after the first, there is room again.
        assert_eq!(
            take_shared(&conn, "otp", "+1", &minute, 1, 60_001).unwrap(),
            Ok(())
        );
    }

    #[test]
    fn a_due_row_is_claimed_once() {
        let conn = conn();
        let accepted = super::super::queue::enqueue(
            &conn,
            &super::super::types::NewBatch::default(),
            &[super::super::queue::tests::message("+1555", 0, 1)],
            None,
            1,
        )
        .unwrap();
        let message = accepted.ids[0].0;
        let queued = |conn: &Connection, next: Millis| -> i64 {
            conn.query_row(
                "INSERT INTO webhook_outbox (message_id, url, payload, next_attempt_at, created_at)
                 VALUES (?1, 'https://example.com/cb', '{}', ?2, 0) RETURNING id",
                [message, next],
                |r| r.get(0),
            )
            .unwrap()
        };
        let due = queued(&conn, 10);
        let later = queued(&conn, 5_000);
        assert_eq!(
            claim(&conn, Queue::Callbacks, &[due, later], 1_000, 100).unwrap(),
            [due]
        );
        // Claimed: not due again before the claim runs out.
        assert!(claim(&conn, Queue::Callbacks, &[due], 1_000, 500)
            .unwrap()
            .is_empty());
        assert_eq!(
            claim(&conn, Queue::Callbacks, &[due], 2_000, 1_000).unwrap(),
            [due]
        );
    }

    #[test]
    fn a_key_is_a_duplicate_within_its_window_and_free_after_it() {
        let conn = conn();
        let keys = |k: &[&str]| k.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        let taken = take_duplicates(&conn, &keys(&["+1|a", "+2|a"]), 60_000, 1_000).unwrap();
        assert_eq!(taken.len(), 2);
        // Within the window: "+1|a" again is a duplicate, "+3|a" is new.
        let taken = take_duplicates(&conn, &keys(&["+1|a", "+3|a"]), 60_000, 30_000).unwrap();
        assert_eq!(taken, ["+3|a".to_string()].into_iter().collect());
        // The window's end frees a key.
        assert_eq!(
            take_duplicates(&conn, &keys(&["+1|a"]), 60_000, 61_001)
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn heartbeats_replace_the_row_of_their_node() {
        let conn = conn();
        let mut node = ClusterNode {
            node_id: "a".into(),
            started_at: 1,
            heartbeat_at: 2,
            version: "1".into(),
            routes: vec![NodeRoute {
                name: "a0".into(),
                kind: "modem".into(),
                ready: true,
            }],
        };
        heartbeat(&conn, &node).unwrap();
        node.heartbeat_at = 5;
        heartbeat(&conn, &node).unwrap();
        heartbeat(
            &conn,
            &ClusterNode {
                node_id: "b".into(),
                routes: Vec::new(),
                ..node.clone()
            },
        )
        .unwrap();
        let all = nodes(&conn).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0], node);
        assert_eq!(all[1].node_id, "b");
    }
}
