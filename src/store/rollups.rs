//! The analytics rollup changes of one write group, applied once per key at its end.
//!
//! Every status change moves a message between rollup keys (`analytics::sync` → `add`):
//! three upserts each, on rows every message of the hour shares. Written as they come,
//! they are three round trips per change and, with several nodes on one PostgreSQL
//! database, hot rows that two writers lock in different orders — a deadlock. So while the
//! writer thread runs a group, `analytics::add` only notes the change here; before the
//! group commits, [`flush`] writes the sum per key, table by table, each in key order.
//! Every node taking the rows in one order cannot deadlock on them, and a group of 500
//! accepted messages writes a handful of rows instead of 1,500.
//!
//! Invariants: a change is written in the transaction of the job that made it, or not at
//! all — a job rolled back to its savepoint takes its notes back ([`rollback_to`]); outside
//! the writer's groups (unit tests, migrations) `analytics::add` writes at once.

use super::sql::Connection;
use super::types::StoreError;
use crate::message::Millis;
use std::cell::RefCell;
use std::collections::BTreeMap;

/// One noted change: `messages`, `segments` and `cost` added to a key.
#[derive(Debug, Clone)]
pub(super) struct Change {
    pub hour: Millis,
    pub route: String,
    pub sms_type: String,
    pub country: String,
    pub status: String,
    pub messages: i64,
    pub segments: i64,
    pub cost: f64,
}

thread_local! {
    /// The changes of the group the writer thread is running (`None`: no group).
    static NOTED: RefCell<Option<Vec<Change>>> = const { RefCell::new(None) };
}

/// The writer starts a group: changes are noted from now on.
pub(super) fn begin() {
    NOTED.with(|n| *n.borrow_mut() = Some(Vec::new()));
}

/// The group ended without committing: its notes go.
pub(super) fn abandon() {
    NOTED.with(|n| *n.borrow_mut() = None);
}

/// Notes `change` if a group is running; else gives it back to be written at once.
pub(super) fn note(change: Change) -> Option<Change> {
    NOTED.with(|n| match n.borrow_mut().as_mut() {
        Some(noted) => {
            noted.push(change);
            None
        }
        None => Some(change),
    })
}

/// Where a job's notes begin (for [`rollback_to`]).
pub(super) fn mark() -> usize {
    NOTED.with(|n| n.borrow().as_ref().map_or(0, Vec::len))
}

/// A job rolled back to its savepoint: its notes go.
pub(super) fn rollback_to(mark: usize) {
    NOTED.with(|n| {
        if let Some(noted) = n.borrow_mut().as_mut() {
            noted.truncate(mark);
        }
    });
}

/// Sums per key.
type Sums<K> = BTreeMap<K, (i64, i64, f64)>;

/// Writes the group's notes, summed per key: the hourly table, then the daily one, then
/// the hourly one without country, each in key order. Ends the noting.
pub(super) fn flush(conn: &Connection) -> Result<(), StoreError> {
    let noted = NOTED.with(|n| n.borrow_mut().take()).unwrap_or_default();
    if noted.is_empty() {
        return Ok(());
    }
    let mut hourly: Sums<(Millis, String, String, String, String)> = BTreeMap::new();
    let mut daily: Sums<(Millis, String, String, String, String)> = BTreeMap::new();
    let mut by_status: Sums<(Millis, String, String, String)> = BTreeMap::new();
    for c in noted {
        let add = |sum: &mut (i64, i64, f64)| {
            sum.0 += c.messages;
            sum.1 += c.segments;
            sum.2 += c.cost;
        };
        add(hourly
            .entry((
                c.hour,
                c.route.clone(),
                c.sms_type.clone(),
                c.country.clone(),
                c.status.clone(),
            ))
            .or_default());
        add(daily
            .entry((
                super::analytics::day_of(c.hour),
                c.route.clone(),
                c.sms_type.clone(),
                c.country.clone(),
                c.status.clone(),
            ))
            .or_default());
        add(by_status
            .entry((c.hour, c.route, c.sms_type, c.status))
            .or_default());
    }
    for (table, column, sums) in [
        ("analytics_hourly", "hour", &hourly),
        ("analytics_daily", "day", &daily),
    ] {
        for ((at, route, sms_type, country, status), (messages, segments, cost)) in sums {
            super::analytics::add_to(
                conn, table, column, *at, route, sms_type, country, status, *messages, *segments,
                *cost,
            )?;
        }
    }
    for ((hour, route, sms_type, status), (messages, segments, cost)) in &by_status {
        super::analytics::add_by_status(
            conn, *hour, route, sms_type, status, *messages, *segments, *cost,
        )?;
    }
    Ok(())
}
