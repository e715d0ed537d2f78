//! The audit log (`audit_log`, migration 0017): one row per admin action — reloads,
//! webhook subscription changes, opt-out and template changes through the API, modem
//! admin commands — with who did it (an API key's *name*, never the key), what, on what,
//! and a JSON detail the caller makes sure holds no secret.
//!
//! Never imports anything above layer 1. Invariants: rows are only appended (and purged by
//! age in bounded batches); a page is newest first, by id, which grows with time.

use super::sql::{params, Connection};
use super::types::StoreError;
use crate::message::Millis;
use serde::Serialize;

/// Longest page.
pub const AUDIT_LIMIT_MAX: usize = 500;

/// Rows a purge batch removes at most.
const PURGE_BATCH: i64 = 500;

/// An entry to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    /// Who: an API key's name, `signal`, `open-api`, `system`.
    pub actor: String,
    /// What: `config.reload`, `webhook.create`, `optout.add`…
    pub action: String,
    /// On what (a subscription id, a number, a modem), if anything.
    pub target: Option<String>,
    /// A JSON object, without secrets.
    pub detail: serde_json::Value,
}

/// An entry as read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    /// Its id (the paging cursor).
    pub id: i64,
    /// When (Unix ms).
    pub at: Millis,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// On what.
    pub target: Option<String>,
    /// The detail object.
    pub detail: serde_json::Value,
}

/// Which entries to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this action.
    pub action: Option<String>,
    /// Only this actor.
    pub actor: Option<String>,
    /// At or after (Unix ms).
    pub since: Option<Millis>,
    /// Before (Unix ms).
    pub until: Option<Millis>,
    /// Only entries with an id below this one (the previous page's `next_cursor`).
    pub before_id: Option<i64>,
    /// Page size (1 ..= [`AUDIT_LIMIT_MAX`]).
    pub limit: usize,
}

/// Appends `entry` at `now` (inside the caller's transaction, if it has one).
pub fn record(conn: &Connection, entry: &NewAuditEntry, now: Millis) -> Result<i64, StoreError> {
    let inserted_id: i64 = conn.prepare_cached(
        "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
    )?
    .query_row(params![
        now,
        entry.actor,
        entry.action,
        entry.target,
        entry.detail.to_string()
    ], |r| r.get::<_, i64>(0))?;
    Ok(inserted_id)
}

/// A page, newest first; the cursor for the next page when this one is full.
pub fn list(
    conn: &Connection,
    filter: &AuditFilter,
) -> Result<(Vec<AuditEntry>, Option<i64>), StoreError> {
    let limit = filter.limit.clamp(1, AUDIT_LIMIT_MAX);
    let entries: Vec<AuditEntry> = conn
        .prepare_cached(
            "SELECT id, at, actor, action, target, detail FROM audit_log
             WHERE (action = ?1 OR ?1 IS NULL) AND (actor = ?2 OR ?2 IS NULL)
               AND (at >= ?3 OR ?3 IS NULL) AND (at < ?4 OR ?4 IS NULL)
               AND (id < ?5 OR ?5 IS NULL)
             ORDER BY id DESC LIMIT ?6",
        )?
        .query_map(
            params![
                filter.action,
                filter.actor,
                filter.since,
                filter.until,
                filter.before_id,
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            |r| {
                let detail: String = r.get(5)?;
                Ok(AuditEntry {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    actor: r.get(2)?,
                    action: r.get(3)?,
                    target: r.get(4)?,
                    // Written by `record` from a JSON value: a row that does not parse
                    // (edited by hand) is shown as its text rather than failing the page.
                    detail: serde_json::from_str(&detail)
                        .unwrap_or(serde_json::Value::String(detail)),
                })
            },
        )?
        .collect::<Result<_, _>>()?;
    let next = (entries.len() == limit)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    Ok((entries, next))
}

/// Deletes at most one batch of entries older than `cutoff`; how many.
pub fn purge_batch(conn: &Connection, cutoff: Millis) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached(
            "DELETE FROM audit_log WHERE id IN (
                 SELECT id FROM audit_log WHERE at < ?1 ORDER BY at LIMIT ?2)",
        )?
        .execute(params![cutoff, PURGE_BATCH])?)
}

impl super::Store {
    /// Appends an audit entry.
    pub async fn audit_record(&self, entry: NewAuditEntry, now: Millis) -> Result<i64, StoreError> {
        super::writer::write(&self.writer, move |c| record(c, &entry, now)).await
    }

    /// A page of the audit log, newest first, and the next page's cursor.
    pub async fn audit_list(
        &self,
        filter: AuditFilter,
    ) -> Result<(Vec<AuditEntry>, Option<i64>), StoreError> {
        super::writer::read(&self.reader, move |c| list(c, &filter)).await
    }

    /// Purges entries older than `cutoff`, batch after batch (each its own short write).
    pub async fn audit_purge(&self, cutoff: Millis) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let n = super::writer::write(&self.writer, move |c| purge_batch(c, cutoff)).await?;
            total += n;
            if i64::try_from(n).unwrap_or(0) < PURGE_BATCH {
                return Ok(total);
            }
            tokio::task::yield_now().await;
        }
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

    fn entry(actor: &str, action: &str) -> NewAuditEntry {
        NewAuditEntry {
            actor: actor.into(),
            action: action.into(),
            target: Some("t".into()),
            detail: serde_json::json!({"n": 1}),
        }
    }

    #[test]
    fn lists_newest_first_with_filters_and_a_cursor() {
        let conn = conn();
        for (i, (actor, action)) in [
            ("ops", "config.reload"),
            ("ops", "webhook.create"),
            ("dev", "config.reload"),
            ("ops", "config.reload"),
        ]
        .iter()
        .enumerate()
        {
            record(&conn, &entry(actor, action), i64::try_from(i).unwrap() * 10).unwrap();
        }
        let all = AuditFilter {
            limit: 10,
            ..AuditFilter::default()
        };
        let (rows, next) = list(&conn, &all).unwrap();
        let ats: Vec<i64> = rows.iter().map(|r| r.at).collect();
        assert_eq!(ats, [30, 20, 10, 0]);
        assert_eq!(next, None);
        assert_eq!(rows[0].detail, serde_json::json!({"n": 1}));

        let reloads_by_ops = AuditFilter {
            action: Some("config.reload".into()),
            actor: Some("ops".into()),
            limit: 1,
            ..AuditFilter::default()
        };
        let (page1, next) = list(&conn, &reloads_by_ops).unwrap();
        assert_eq!(page1.len(), 1);
        assert_eq!(page1[0].at, 30);
        let (page2, _) = list(
            &conn,
            &AuditFilter {
                before_id: next,
                ..reloads_by_ops.clone()
            },
        )
        .unwrap();
        assert_eq!(page2.iter().map(|r| r.at).collect::<Vec<_>>(), [0]);

        let window = AuditFilter {
            since: Some(10),
            until: Some(30),
            limit: 10,
            ..AuditFilter::default()
        };
        let (rows, _) = list(&conn, &window).unwrap();
        assert_eq!(rows.iter().map(|r| r.at).collect::<Vec<_>>(), [20, 10]);
    }

    #[test]
    fn purge_removes_only_old_entries() {
        let conn = conn();
        record(&conn, &entry("a", "x"), 5).unwrap();
        record(&conn, &entry("a", "x"), 50).unwrap();
        assert_eq!(purge_batch(&conn, 10).unwrap(), 1);
        let (rows, _) = list(
            &conn,
            &AuditFilter {
                limit: 10,
                ..AuditFilter::default()
            },
        )
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].at, 50);
    }
}
