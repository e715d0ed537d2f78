//! Analytics as store read models: the rollups of migration 0014 and the reads over them.
//!
//! Owns `analytics_hourly` (messages, segments and cost per hour of acceptance × route ×
//! SMS type × country × current status), `analytics_daily` (the same per UTC day),
//! `analytics_hourly_status` (per hour without the country), `analytics_latency` (a bounded
//! histogram of send latency per hour × route) and `analytics_errors` (failed attempts per
//! hour × route × error class), and `messages.country` / `messages.rolled_*`.
//! Never imports anything above `message` and `phone` (the country of a number).
//!
//! Invariants:
//! - **Maintained in the same transaction.** [`sync`] runs inside every status change
//!   (`state::transition`), every acceptance (`queue::enqueue`) and every recorded cost
//!   (`outcomes::record_sent_with`): the rollup commits or rolls back with the change.
//! - **Counted once, moved exactly.** A message is counted under one key, the one its
//!   `rolled_*` columns name; [`sync`] subtracts it there (with the cost it was counted
//!   with) and adds it under its current key, so the rollup equals a scan of `messages`.
//! - **Reads never scan messages**: they aggregate rollup rows (at most hours × routes ×
//!   types × countries × statuses in the range), so a 30-day range stays small whatever the
//!   volume.
//! - Percentiles come from the histogram: bounded storage (at most [`LATENCY_BOUNDS_MS`]
//!   rows per route and hour), answered as the bucket's upper bound — exact to a bucket, not
//!   to the millisecond, which is what retiring a slow SIM needs.

use super::sql::{params, Connection, OptionalExtension};
use super::types::StoreError;
use crate::message::{MessageId, Millis};
use serde::Serialize;
use std::collections::BTreeMap;

/// An hour in milliseconds: the rollups' resolution.
pub const HOUR_MS: Millis = 3_600_000;

/// Upper bounds (ms) of the latency histogram's buckets; the last one catches the rest.
pub const LATENCY_BOUNDS_MS: [Millis; 12] = [
    100,
    250,
    500,
    1_000,
    2_000,
    5_000,
    10_000,
    30_000,
    60_000,
    120_000,
    300_000,
    Millis::MAX,
];

/// The start of the hour `at` falls in.
pub fn hour_of(at: Millis) -> Millis {
    at.div_euclid(HOUR_MS) * HOUR_MS
}

/// Brings message `id`'s rollup entry up to date: if its status, route (`route_hint`, else
/// its stored route) or cost changed since it was last counted, moves it. Call after the
/// change, in the same transaction.
pub fn sync(conn: &Connection, id: MessageId, route_hint: Option<&str>) -> Result<(), StoreError> {
    type Row = (
        Millis,
        String,
        String,
        i64,
        String,
        String,
        f64,
        Option<String>,
        Option<String>,
        Option<f64>,
    );
    let row: Option<Row> = conn
        .prepare_cached(
            "SELECT created_at, sms_type, coalesce(country, ''), segments, status,
                    coalesce(?2, route, ''),
                    (SELECT coalesce(sum(cost), 0.0) FROM segments WHERE message_id = ?1),
                    rolled_status, rolled_route, rolled_cost
             FROM messages WHERE id = ?1",
        )?
        .query_row(params![id.0, route_hint], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
            ))
        })
        .optional()?;
    let Some((
        created,
        sms_type,
        country,
        segments,
        status,
        route,
        cost,
        r_status,
        r_route,
        r_cost,
    )) = row
    else {
        return Ok(());
    };
    let hour = hour_of(created);
    if let (Some(r_status), Some(r_route)) = (&r_status, &r_route) {
        let r_cost = r_cost.unwrap_or(0.0);
        if *r_status == status && *r_route == route && r_cost == cost {
            return Ok(());
        }
        add(
            conn, hour, r_route, &sms_type, &country, r_status, -1, -segments, -r_cost,
        )?;
    }
    add(
        conn, hour, &route, &sms_type, &country, &status, 1, segments, cost,
    )?;
    conn.prepare_cached(
        "UPDATE messages SET rolled_status = ?2, rolled_route = ?3, rolled_cost = ?4
         WHERE id = ?1",
    )?
    .execute(params![id.0, status, route, cost])?;
    Ok(())
}

/// A day in milliseconds.
pub const DAY_MS: Millis = 24 * HOUR_MS;

/// The start of the UTC day `at` falls in.
pub fn day_of(at: Millis) -> Millis {
    at.div_euclid(DAY_MS) * DAY_MS
}

/// Adds to a key of every rollup (the hour's, the day's, the hour's without country). In
/// the writer's groups the change is noted and written, summed per key, before the group
/// commits (`rollups.rs`).
#[allow(clippy::too_many_arguments)]
pub(super) fn add(
    conn: &Connection,
    hour: Millis,
    route: &str,
    sms_type: &str,
    country: &str,
    status: &str,
    messages: i64,
    segments: i64,
    cost: f64,
) -> Result<(), StoreError> {
    let change = super::rollups::Change {
        hour,
        route: route.to_string(),
        sms_type: sms_type.to_string(),
        country: country.to_string(),
        status: status.to_string(),
        messages,
        segments,
        cost,
    };
    if super::rollups::note(change).is_none() {
        return Ok(());
    }
    for (table, column, at) in [
        ("analytics_hourly", "hour", hour),
        ("analytics_daily", "day", day_of(hour)),
    ] {
        add_to(
            conn, table, column, at, route, sms_type, country, status, messages, segments, cost,
        )?;
    }
    add_by_status(
        conn, hour, route, sms_type, status, messages, segments, cost,
    )
}

/// Adds to a key of the hourly rollup without country.
#[allow(clippy::too_many_arguments)]
pub(super) fn add_by_status(
    conn: &Connection,
    hour: Millis,
    route: &str,
    sms_type: &str,
    status: &str,
    messages: i64,
    segments: i64,
    cost: f64,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO analytics_hourly_status (hour, route, sms_type, status, messages,
                                              segments, cost)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (hour, route, sms_type, status) DO UPDATE SET
             messages = analytics_hourly_status.messages + excluded.messages,
             segments = analytics_hourly_status.segments + excluded.segments,
             cost = analytics_hourly_status.cost + excluded.cost",
    )?
    .execute(params![
        hour, route, sms_type, status, messages, segments, cost
    ])?;
    if messages <= 0 {
        conn.prepare_cached(
            "DELETE FROM analytics_hourly_status
             WHERE hour = ?1 AND route = ?2 AND sms_type = ?3 AND status = ?4
               AND messages <= 0",
        )?
        .execute(params![hour, route, sms_type, status])?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(super) fn add_to(
    conn: &Connection,
    table: &str,
    column: &str,
    hour: Millis,
    route: &str,
    sms_type: &str,
    country: &str,
    status: &str,
    messages: i64,
    segments: i64,
    cost: f64,
) -> Result<(), StoreError> {
    conn.prepare_cached(&format!(
        "INSERT INTO {table} ({column}, route, sms_type, country, status, messages,
                              segments, cost)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT ({column}, route, sms_type, country, status) DO UPDATE SET
             messages = {table}.messages + excluded.messages,
             segments = {table}.segments + excluded.segments,
             cost = {table}.cost + excluded.cost"
    ))?
    .execute(params![
        hour, route, sms_type, country, status, messages, segments, cost
    ])?;
    if messages <= 0 {
        // Keep the table as small as the live keys: a key no message is under goes.
        conn.prepare_cached(&format!(
            "DELETE FROM {table}
             WHERE {column} = ?1 AND route = ?2 AND sms_type = ?3 AND country = ?4
               AND status = ?5 AND messages <= 0"
        ))?
        .execute(params![hour, route, sms_type, country, status])?;
    }
    Ok(())
}

/// Counts one send of message `id` on `route` answered at `now` in the latency histogram:
/// from its lease (its latest `sending` event) to the route's answer.
pub fn record_latency(
    conn: &Connection,
    id: MessageId,
    route: &str,
    now: Millis,
) -> Result<(), StoreError> {
    let leased: Option<Millis> = conn
        .prepare_cached("SELECT max(at) FROM events WHERE message_id = ?1 AND status = 'sending'")?
        .query_row([id.0], |r| r.get(0))?;
    let Some(leased) = leased else {
        return Ok(());
    };
    let latency = now.saturating_sub(leased).max(0);
    let le = LATENCY_BOUNDS_MS
        .iter()
        .copied()
        .find(|&bound| latency <= bound)
        .unwrap_or(Millis::MAX);
    conn.prepare_cached(
        "INSERT INTO analytics_latency (hour, route, le_ms, sends) VALUES (?1, ?2, ?3, 1)
         ON CONFLICT (hour, route, le_ms) DO UPDATE SET sends = analytics_latency.sends + 1",
    )?
    .execute(params![hour_of(now), route, le])?;
    Ok(())
}

/// The class of an error text, for counting: its text before the first `:` or `;`, digits
/// of a `+CMS ERROR` code kept, at most 60 characters.
pub fn error_class(detail: &str) -> String {
    let head = detail
        .split([':', ';', '('])
        .next()
        .unwrap_or(detail)
        .trim();
    let head = if head.is_empty() { "unknown" } else { head };
    head.chars().take(60).collect()
}

/// Counts one failed attempt on `route` at `now` under the class of `detail`.
pub fn record_error(
    conn: &Connection,
    route: &str,
    detail: Option<&str>,
    now: Millis,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO analytics_errors (hour, route, class, count) VALUES (?1, ?2, ?3, 1)
         ON CONFLICT (hour, route, class) DO UPDATE SET count = analytics_errors.count + 1",
    )?
    .execute(params![
        hour_of(now),
        route,
        error_class(detail.unwrap_or("unknown"))
    ])?;
    Ok(())
}

/// What the reads select: accepted in `[from, to]` (by the hour accepted, so the range is
/// exact to the hour), optionally one SMS type, one route.
#[derive(Debug, Clone, Default)]
pub struct Range {
    /// First hour included (its start, or any time in it).
    pub from: Millis,
    /// Last instant included.
    pub to: Millis,
    /// Only this SMS type.
    pub sms_type: Option<String>,
    /// Only this route (a modem or provider name).
    pub route: Option<String>,
}

/// One rollup cell as the reads aggregate it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Messages.
    pub messages: i64,
    /// Their segments.
    pub segments: i64,
    /// Their cost.
    pub cost: f64,
}

impl Totals {
    /// Adds `other` to these totals.
    pub fn add(&mut self, other: &Totals) {
        self.messages += other.messages;
        self.segments += other.segments;
        self.cost += other.cost;
    }
}

/// A rollup row in the range: (hour, route, sms_type, country, status, totals).
#[derive(Debug, Clone)]
pub struct Cell {
    /// Hour of acceptance (start).
    pub hour: Millis,
    /// Route (empty before one was chosen).
    pub route: String,
    /// SMS type.
    pub sms_type: String,
    /// Country (empty: unknown).
    pub country: String,
    /// Current status.
    pub status: String,
    /// Messages, segments, cost.
    pub totals: Totals,
}

/// The rollup rows of `range` — the one read every aggregate is computed from. The whole
/// UTC days of the range come from the daily rollup (one row per key and day), the hours
/// before and after them from the hourly one; `hourly` reads only the hourly rollup (for
/// an hourly timeline). A daily row's `hour` is its day's start.
pub fn cells(conn: &Connection, range: &Range, hourly: bool) -> Result<Vec<Cell>, StoreError> {
    let first_hour = hour_of(range.from);
    let last_hour = hour_of(range.to);
    // Whole days: [days_from, days_to).
    let days_from = day_of(first_hour + DAY_MS - 1);
    let days_to = day_of(last_hour + HOUR_MS);
    let mut out = Vec::new();
    if hourly || days_from >= days_to {
        read_cells(
            conn,
            "analytics_hourly",
            "hour",
            first_hour,
            last_hour,
            range,
            &mut out,
        )?;
        return Ok(out);
    }
    read_cells(
        conn,
        "analytics_daily",
        "day",
        days_from,
        days_to - 1,
        range,
        &mut out,
    )?;
    if first_hour < days_from {
        read_cells(
            conn,
            "analytics_hourly",
            "hour",
            first_hour,
            days_from - 1,
            range,
            &mut out,
        )?;
    }
    if days_to <= last_hour {
        read_cells(
            conn,
            "analytics_hourly",
            "hour",
            days_to,
            last_hour,
            range,
            &mut out,
        )?;
    }
    Ok(out)
}

/// The hourly rollup of `range` summed per hour and status only (route, SMS type and
/// country empty), grouped by SQLite: what an hourly timeline needs, without carrying
/// every key of a month of hours out of the database.
pub fn hourly_status_cells(conn: &Connection, range: &Range) -> Result<Vec<Cell>, StoreError> {
    let rows = conn
        .prepare_cached(
            "SELECT hour, status, sum(messages), sum(segments), sum(cost)
             FROM analytics_hourly_status
             WHERE hour >= ?1 AND hour <= ?2
               AND (sms_type = ?3 OR ?3 IS NULL) AND (route = ?4 OR ?4 IS NULL)
               AND messages > 0
             GROUP BY hour, status",
        )?
        .query_map(
            params![
                hour_of(range.from),
                hour_of(range.to),
                range.sms_type,
                range.route
            ],
            |r| {
                Ok(Cell {
                    hour: r.get(0)?,
                    route: String::new(),
                    sms_type: String::new(),
                    country: String::new(),
                    status: r.get(1)?,
                    totals: Totals {
                        messages: r.get(2)?,
                        segments: r.get(3)?,
                        cost: r.get(4)?,
                    },
                })
            },
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Appends the rows of `table` with `column` in `[from, to]` that pass `range`'s filters.
fn read_cells(
    conn: &Connection,
    table: &str,
    column: &str,
    from: Millis,
    to: Millis,
    range: &Range,
    out: &mut Vec<Cell>,
) -> Result<(), StoreError> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {column}, route, sms_type, country, status, messages, segments, cost
         FROM {table}
         WHERE {column} >= ?1 AND {column} <= ?2
           AND (sms_type = ?3 OR ?3 IS NULL) AND (route = ?4 OR ?4 IS NULL)
           AND messages > 0"
    ))?;
    let rows = statement.query_map(params![from, to, range.sms_type, range.route], |r| {
        Ok(Cell {
            hour: r.get(0)?,
            route: r.get(1)?,
            sms_type: r.get(2)?,
            country: r.get(3)?,
            status: r.get(4)?,
            totals: Totals {
                messages: r.get(5)?,
                segments: r.get(6)?,
                cost: r.get(7)?,
            },
        })
    })?;
    for row in rows {
        out.push(row?);
    }
    Ok(())
}

/// Per route: the latency histogram (upper bound ms → sends) and error classes (class →
/// count) over hours `[from, to]` (by the hour of the send or the failure).
#[derive(Debug, Clone, Default)]
pub struct RouteHealth {
    /// Upper bound (ms) → sends.
    pub latency: BTreeMap<Millis, i64>,
    /// Error class → failed attempts.
    pub errors: BTreeMap<String, i64>,
}

/// Latency histograms and error classes per route in `range`.
pub fn route_health(
    conn: &Connection,
    range: &Range,
) -> Result<BTreeMap<String, RouteHealth>, StoreError> {
    let mut out: BTreeMap<String, RouteHealth> = BTreeMap::new();
    let from = hour_of(range.from);
    let mut latency = conn.prepare_cached(
        "SELECT route, le_ms, sum(sends) FROM analytics_latency
         WHERE hour >= ?1 AND hour <= ?2 AND (route = ?3 OR ?3 IS NULL)
         GROUP BY route, le_ms",
    )?;
    let rows = latency.query_map(params![from, range.to, range.route], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Millis>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    for row in rows {
        let (route, le, sends) = row?;
        out.entry(route).or_default().latency.insert(le, sends);
    }
    let mut errors = conn.prepare_cached(
        "SELECT route, class, sum(count) FROM analytics_errors
         WHERE hour >= ?1 AND hour <= ?2 AND (route = ?3 OR ?3 IS NULL)
         GROUP BY route, class",
    )?;
    let rows = errors.query_map(params![from, range.to, range.route], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    for row in rows {
        let (route, class, count) = row?;
        out.entry(route).or_default().errors.insert(class, count);
    }
    Ok(out)
}

impl super::Store {
    /// The rollup rows of `range`.
    pub async fn analytics_cells(
        &self,
        range: Range,
        hourly: bool,
    ) -> Result<Vec<Cell>, StoreError> {
        super::writer::read(&self.reader, move |c| cells(c, &range, hourly)).await
    }

    /// The hourly rollup of `range` per hour and status.
    pub async fn analytics_hourly_status(&self, range: Range) -> Result<Vec<Cell>, StoreError> {
        super::writer::read(&self.reader, move |c| hourly_status_cells(c, &range)).await
    }

    /// The rollup rows of `range` and the routes' latency and errors, in one read.
    pub async fn analytics_routes(
        &self,
        range: Range,
    ) -> Result<(Vec<Cell>, BTreeMap<String, RouteHealth>), StoreError> {
        super::writer::read(&self.reader, move |c| {
            Ok((cells(c, &range, false)?, route_health(c, &range)?))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_floor_and_classes_are_short() {
        assert_eq!(hour_of(3_600_000 * 5 + 17), 3_600_000 * 5);
        assert_eq!(hour_of(-1), -3_600_000);
        assert_eq!(
            error_class("+CMS ERROR 500: unknown error"),
            "+CMS ERROR 500"
        );
        assert_eq!(error_class(""), "unknown");
        assert_eq!(error_class(&"x".repeat(100)).len(), 60);
    }
}
