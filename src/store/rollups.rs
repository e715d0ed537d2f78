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
use serde::Serialize;
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
    if conn.is_postgres() {
        return write_together(conn, &hourly, &daily, &by_status);
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

/// PostgreSQL: the three tables' sums in one statement (one round trip, not one per key
/// and table), and the keys left at zero deleted in a second one. The upserts take their
/// rows in key order, table after table, as `flush` does on SQLite.
fn write_together(
    conn: &Connection,
    hourly: &Sums<(Millis, String, String, String, String)>,
    daily: &Sums<(Millis, String, String, String, String)>,
    by_status: &Sums<(Millis, String, String, String)>,
) -> Result<(), StoreError> {
    #[derive(Serialize)]
    struct Row<'a> {
        n: usize,
        at: Millis,
        route: &'a str,
        sms_type: &'a str,
        country: &'a str,
        status: &'a str,
        messages: i64,
        segments: i64,
        cost: f64,
    }
    /// The rows in key order; `n` numbers them.
    fn rows<'a>(
        sums: impl Iterator<Item = ([&'a str; 4], Millis, (i64, i64, f64))>,
    ) -> Vec<Row<'a>> {
        sums.enumerate()
            .map(
                |(n, ([route, sms_type, country, status], at, (messages, segments, cost)))| Row {
                    n,
                    at,
                    route,
                    sms_type,
                    country,
                    status,
                    messages,
                    segments,
                    cost,
                },
            )
            .collect()
    }
    fn with_country(sums: &Sums<(Millis, String, String, String, String)>) -> Vec<Row<'_>> {
        rows(
            sums.iter()
                .map(|((at, route, sms_type, country, status), &totals)| {
                    (
                        [
                            route.as_str(),
                            sms_type.as_str(),
                            country.as_str(),
                            status.as_str(),
                        ],
                        *at,
                        totals,
                    )
                }),
        )
    }
    let (hourly, daily) = (with_country(hourly), with_country(daily));
    // The table without country: its key with an empty one, never written.
    let status_rows = rows(
        by_status
            .iter()
            .map(|((at, route, sms_type, status), &totals)| {
                (
                    [route.as_str(), sms_type.as_str(), "", status.as_str()],
                    *at,
                    totals,
                )
            }),
    );
    let json = |rows: &[Row<'_>]| {
        serde_json::to_string(rows)
            .map_err(|e| StoreError::Sqlite(format!("encoding the rollups: {e}")))
    };
    let (hourly_json, daily_json, status_json) =
        (json(&hourly)?, json(&daily)?, json(&status_rows)?);
    const ROW: &str = "x(n bigint, at bigint, route text, sms_type text, country text, \
                       status text, messages bigint, segments bigint, cost float8)";
    conn.prepare_cached(&format!(
        "WITH hourly AS (
             INSERT INTO analytics_hourly (hour, route, sms_type, country, status, messages,
                                           segments, cost)
             SELECT at, route, sms_type, country, status, messages, segments, cost
             FROM json_to_recordset(CAST(?1 AS json)) AS {ROW} ORDER BY n
             ON CONFLICT (hour, route, sms_type, country, status) DO UPDATE SET
                 messages = analytics_hourly.messages + excluded.messages,
                 segments = analytics_hourly.segments + excluded.segments,
                 cost = analytics_hourly.cost + excluded.cost
         ),
         daily AS (
             INSERT INTO analytics_daily (day, route, sms_type, country, status, messages,
                                          segments, cost)
             SELECT at, route, sms_type, country, status, messages, segments, cost
             FROM json_to_recordset(CAST(?2 AS json)) AS {ROW} ORDER BY n
             ON CONFLICT (day, route, sms_type, country, status) DO UPDATE SET
                 messages = analytics_daily.messages + excluded.messages,
                 segments = analytics_daily.segments + excluded.segments,
                 cost = analytics_daily.cost + excluded.cost
         )
         INSERT INTO analytics_hourly_status (hour, route, sms_type, status, messages,
                                              segments, cost)
         SELECT at, route, sms_type, status, messages, segments, cost
         FROM json_to_recordset(CAST(?3 AS json)) AS {ROW} ORDER BY n
         ON CONFLICT (hour, route, sms_type, status) DO UPDATE SET
             messages = analytics_hourly_status.messages + excluded.messages,
             segments = analytics_hourly_status.segments + excluded.segments,
             cost = analytics_hourly_status.cost + excluded.cost"
    ))?
    .execute([&hourly_json, &daily_json, &status_json])?;
    // Keep the tables as small as the live keys: a key no message is under goes.
    let emptied = |rows: &[Row<'_>]| rows.iter().any(|r| r.messages <= 0);
    if emptied(&hourly) || emptied(&daily) || emptied(&status_rows) {
        conn.prepare_cached(&format!(
            "WITH hourly AS (
                 DELETE FROM analytics_hourly a USING json_to_recordset(CAST(?1 AS json)) AS {ROW}
                 WHERE x.messages <= 0 AND a.messages <= 0 AND a.hour = x.at
                   AND a.route = x.route AND a.sms_type = x.sms_type
                   AND a.country = x.country AND a.status = x.status
             ),
             daily AS (
                 DELETE FROM analytics_daily a USING json_to_recordset(CAST(?2 AS json)) AS {ROW}
                 WHERE x.messages <= 0 AND a.messages <= 0 AND a.day = x.at
                   AND a.route = x.route AND a.sms_type = x.sms_type
                   AND a.country = x.country AND a.status = x.status
             )
             DELETE FROM analytics_hourly_status a
             USING json_to_recordset(CAST(?3 AS json)) AS {ROW}
             WHERE x.messages <= 0 AND a.messages <= 0 AND a.hour = x.at
               AND a.route = x.route AND a.sms_type = x.sms_type AND a.status = x.status"
        ))?
        .execute([&hourly_json, &daily_json, &status_json])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::postgres_testing;
    use crate::store::sql::{PgConn, PgTarget};

    fn change(status: &str, country: &str, messages: i64, cost: f64) -> Change {
        Change {
            hour: 7_200_000,
            route: "modem-1".into(),
            sms_type: "transactional".into(),
            country: country.into(),
            status: status.into(),
            messages,
            segments: 2 * messages,
            cost,
        }
    }

    fn table(conn: &Connection, sql: &str) -> Vec<String> {
        conn.prepare(sql)
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// Two groups: the sums land in all three tables, and a key brought back to zero goes.
    fn groups_sum_per_key_and_empty_keys_go(conn: &Connection) {
        for group in [
            vec![
                change("queued", "DE", 1, 0.0),
                change("queued", "DE", 2, 0.0),
                change("sent", "FR", 1, 0.5),
            ],
            vec![
                change("queued", "DE", -3, 0.0),
                change("sent", "FR", 1, 0.25),
            ],
        ] {
            conn.execute_batch("BEGIN").unwrap();
            begin();
            for c in group {
                assert!(note(c).is_none());
            }
            flush(conn).unwrap();
            conn.execute_batch("COMMIT").unwrap();
        }
        let keys = "|| '|' || route || '|' || sms_type || '|' || status || '|' || messages
                    || '|' || segments || '|' || cost";
        for (table_name, at, country) in [
            ("analytics_hourly", "hour", "country || '|' ||"),
            ("analytics_daily", "day", "country || '|' ||"),
            ("analytics_hourly_status", "hour", ""),
        ] {
            let rows = table(
                conn,
                &format!("SELECT {country} {at} {keys} FROM {table_name} ORDER BY status"),
            );
            let fr = if country.is_empty() { "" } else { "FR|" };
            let day_or_hour = if at == "day" { 0 } else { 7_200_000 };
            assert_eq!(
                rows,
                [format!(
                    "{fr}{day_or_hour}|modem-1|transactional|sent|2|4|0.75"
                )],
                "{table_name}"
            );
        }
    }

    #[test]
    fn groups_sum_per_key_and_empty_keys_go_on_sqlite_and_postgres() {
        groups_sum_per_key_and_empty_keys_go(&super::super::queue::tests::conn());
        let Some(server) = postgres_testing::require("rollups::groups_sum_per_key") else {
            return;
        };
        let target = PgTarget::for_tests(&server.new_database());
        let conn = Connection::Postgres(std::cell::RefCell::new(PgConn::connect(target).unwrap()));
        super::super::schema::migrate(&conn).unwrap();
        groups_sum_per_key_and_empty_keys_go(&conn);
    }
}
