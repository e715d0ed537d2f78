//! The opt-out list: E.164 numbers that asked not to get (by default promotional) messages,
//! added by a stop keyword in an inbound SMS (written by `inbox` in the same transaction as
//! that message) or through the API.
//!
//! Never imports anything above `message`. Invariants: one row per number (the first
//! reason is kept: adding a listed number changes nothing); numbers arrive already in
//! E.164 — normalising is the caller's job.

use super::sql::{params, Connection, OptionalExtension};
use super::types::StoreError;
use crate::message::Millis;
use serde::Serialize;
use std::collections::HashSet;

/// Who put a number on the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A stop keyword in an inbound SMS.
    Sms,
    /// The API.
    Api,
}

impl Source {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Api => "api",
        }
    }
}

/// A number on the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Optout {
    /// E.164.
    pub number: String,
    /// `sms` or `api`.
    pub source: String,
    /// The stop keyword (source `sms`).
    pub keyword: Option<String>,
    /// When it was added (Unix ms).
    pub created_at: Millis,
}

/// A page of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptoutPage {
    /// Newest first.
    pub optouts: Vec<Optout>,
    /// Numbers on the list in all.
    pub total: u64,
}

/// Adds `number` (no change if it is listed); returns its row and whether it was added.
pub fn add(
    conn: &Connection,
    number: &str,
    source: Source,
    keyword: Option<&str>,
    now: Millis,
) -> Result<(Optout, bool), StoreError> {
    let added = conn
        .prepare_cached(
            "INSERT INTO optouts (number, source, keyword, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (number) DO NOTHING",
        )?
        .execute(params![number, source.as_str(), keyword, now])?
        == 1;
    let row = get(conn, number)?.ok_or(StoreError::NotFound)?;
    if added {
        changed_event(conn, number, true, source, keyword, now)?;
    }
    Ok((row, added))
}

/// Removes `number` at `now` at the request of `source`; whether it was listed.
pub fn remove(
    conn: &Connection,
    number: &str,
    source: Source,
    keyword: Option<&str>,
    now: Millis,
) -> Result<bool, StoreError> {
    let removed = conn
        .prepare_cached("DELETE FROM optouts WHERE number = ?1")?
        .execute([number])?
        == 1;
    if removed {
        changed_event(conn, number, false, source, keyword, now)?;
    }
    Ok(removed)
}

/// The `optout.changed` event of a change of the list.
fn changed_event(
    conn: &Connection,
    number: &str,
    opted_out: bool,
    source: Source,
    keyword: Option<&str>,
    now: Millis,
) -> Result<(), StoreError> {
    super::events::emit(
        conn,
        "optout.changed",
        &serde_json::json!({
            "number": number,
            "opted_out": opted_out,
            "source": source.as_str(),
            "keyword": keyword,
        }),
        now,
    )?;
    Ok(())
}

/// The row of `number`, if listed.
pub fn get(conn: &Connection, number: &str) -> Result<Option<Optout>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT number, source, keyword, created_at FROM optouts WHERE number = ?1",
        )?
        .query_row([number], |r| {
            Ok(Optout {
                number: r.get(0)?,
                source: r.get(1)?,
                keyword: r.get(2)?,
                created_at: r.get(3)?,
            })
        })
        .optional()?)
}

/// A page of the list, newest first.
pub fn list(conn: &Connection, limit: usize, offset: usize) -> Result<OptoutPage, StoreError> {
    let optouts = conn
        .prepare_cached(
            "SELECT number, source, keyword, created_at FROM optouts
             ORDER BY created_at DESC, number LIMIT ?1 OFFSET ?2",
        )?
        .query_map(
            params![
                i64::try_from(limit).unwrap_or(i64::MAX),
                i64::try_from(offset).unwrap_or(i64::MAX)
            ],
            |r| {
                Ok(Optout {
                    number: r.get(0)?,
                    source: r.get(1)?,
                    keyword: r.get(2)?,
                    created_at: r.get(3)?,
                })
            },
        )?
        .collect::<Result<_, _>>()?;
    let total: i64 = conn.query_row("SELECT count(*) FROM optouts", [], |r| r.get(0))?;
    Ok(OptoutPage {
        optouts,
        total: u64::try_from(total).unwrap_or(0),
    })
}

/// The numbers of `numbers` that are listed, in one statement.
pub fn among(conn: &Connection, numbers: &[String]) -> Result<HashSet<String>, StoreError> {
    if numbers.is_empty() {
        return Ok(HashSet::new());
    }
    let json = serde_json::to_string(numbers)
        .map_err(|e| StoreError::Sqlite(format!("encoding the numbers: {e}")))?;
    // The list goes in as one JSON array: one statement, whatever its length.
    let sql = if conn.is_postgres() {
        "SELECT number FROM optouts
         WHERE number IN (SELECT json_array_elements_text(CAST(?1 AS json)))"
    } else {
        "SELECT number FROM optouts WHERE number IN (SELECT value FROM json_each(?1))"
    };
    let found = conn
        .prepare_cached(sql)?
        .query_map([json], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(found)
}

impl super::Store {
    /// Puts `number` (E.164) on the opt-out list; its row, and whether it was added (false:
    /// it was already there, unchanged).
    pub async fn optout_add(
        &self,
        number: &str,
        source: Source,
        keyword: Option<&str>,
        now: Millis,
    ) -> Result<(Optout, bool), StoreError> {
        let number = number.to_owned();
        let keyword = keyword.map(str::to_owned);
        super::writer::write(&self.writer, move |c| {
            add(c, &number, source, keyword.as_deref(), now)
        })
        .await
    }

    /// Takes `number` off the list; whether it was there.
    pub async fn optout_remove(&self, number: &str, now: Millis) -> Result<bool, StoreError> {
        let number = number.to_owned();
        super::writer::write(&self.writer, move |c| {
            remove(c, &number, Source::Api, None, now)
        })
        .await
    }

    /// The list's row for `number`.
    pub async fn optout_get(&self, number: &str) -> Result<Option<Optout>, StoreError> {
        let number = number.to_owned();
        super::writer::read(&self.reader, move |c| get(c, &number)).await
    }

    /// A page of the list, newest first.
    pub async fn optout_list(&self, limit: usize, offset: usize) -> Result<OptoutPage, StoreError> {
        super::writer::read(&self.reader, move |c| list(c, limit, offset)).await
    }

    /// Which of `numbers` (E.164) are on the list — one read.
    pub async fn opted_out_among(
        &self,
        numbers: Vec<String>,
    ) -> Result<HashSet<String>, StoreError> {
        super::writer::read(&self.reader, move |c| among(c, &numbers)).await
    }
}
