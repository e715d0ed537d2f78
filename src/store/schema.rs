//! The schema and its migrations, versioned with `PRAGMA user_version` (SQLite) or the
//! `schema_version` table (PostgreSQL), and the pragmas every SQLite connection gets.
//!
//! Owns: `migrations/*.sql` (applied in order, each in its own transaction together with the
//! new `user_version`, so a failed migration leaves the previous version intact) and the
//! connection set-up (WAL, `synchronous`, foreign keys, busy timeout).
//! Never imports anything above `message`.
//! Invariants: migrations are append-only — a released file is never edited; a database
//! newer than this binary is refused, never downgraded.

use super::types::{Durability, StoreError};
use rusqlite::Connection;

/// The advisory lock the nodes sharing a PostgreSQL database take while one of them
/// migrates it (any fixed number; this one spells "smsgate" in ASCII).
const MIGRATION_LOCK: i64 = 0x0073_6d73_6761_7465;

/// The migrations, in order: version `i + 1` is `MIGRATIONS[i]`.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_orphan_reports.sql"),
    include_str!("migrations/0003_webhooks.sql"),
    include_str!("migrations/0004_templates.sql"),
    include_str!("migrations/0005_inbox.sql"),
    include_str!("migrations/0006_otp.sql"),
    include_str!("migrations/0007_segment_cost.sql"),
    include_str!("migrations/0008_provider_callbacks.sql"),
    include_str!("migrations/0009_request_bounds.sql"),
    include_str!("migrations/0010_two_way.sql"),
    include_str!("migrations/0011_webhook_retention.sql"),
    include_str!("migrations/0012_provider_inbound.sql"),
    include_str!("migrations/0013_auto_reply.sql"),
    include_str!("migrations/0014_analytics.sql"),
    include_str!("migrations/0015_retention.sql"),
    include_str!("migrations/0016_modem_admin.sql"),
    include_str!("migrations/0017_audit.sql"),
    include_str!("migrations/0018_cluster.sql"),
];

/// The PostgreSQL twins of [`MIGRATIONS`], numbered alike: version `i + 1` is
/// `POSTGRES_MIGRATIONS[i]` on either database.
const POSTGRES_MIGRATIONS: &[&str] = &[
    include_str!("migrations/postgres/0001_init.sql"),
    include_str!("migrations/postgres/0002_orphan_reports.sql"),
    include_str!("migrations/postgres/0003_webhooks.sql"),
    include_str!("migrations/postgres/0004_templates.sql"),
    include_str!("migrations/postgres/0005_inbox.sql"),
    include_str!("migrations/postgres/0006_otp.sql"),
    include_str!("migrations/postgres/0007_segment_cost.sql"),
    include_str!("migrations/postgres/0008_provider_callbacks.sql"),
    include_str!("migrations/postgres/0009_request_bounds.sql"),
    include_str!("migrations/postgres/0010_two_way.sql"),
    include_str!("migrations/postgres/0011_webhook_retention.sql"),
    include_str!("migrations/postgres/0012_provider_inbound.sql"),
    include_str!("migrations/postgres/0013_auto_reply.sql"),
    include_str!("migrations/postgres/0014_analytics.sql"),
    include_str!("migrations/postgres/0015_retention.sql"),
    include_str!("migrations/postgres/0016_modem_admin.sql"),
    include_str!("migrations/postgres/0017_audit.sql"),
    include_str!("migrations/postgres/0018_cluster.sql"),
];

/// The schema version this binary writes.
pub fn latest_version() -> u32 {
    u32::try_from(MIGRATIONS.len()).unwrap_or(u32::MAX)
}

/// How long a connection waits for a lock before `SQLITE_BUSY`.
const BUSY_TIMEOUT_MS: u32 = 5_000;

/// Pragmas for the one write connection: WAL, durability, foreign keys, busy timeout (a
/// PostgreSQL session needs none).
pub fn configure_writer(
    conn: &super::sql::Connection,
    durability: Durability,
) -> Result<(), StoreError> {
    let Some(conn) = conn.sqlite() else {
        return Ok(());
    };
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    // An in-memory database answers "memory"; every file database must be in WAL.
    if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
        return Err(StoreError::Sqlite(format!(
            "journal_mode WAL refused (got {mode})"
        )));
    }
    let sync = match durability {
        Durability::Full => "FULL",
        Durability::Normal => "NORMAL",
    };
    conn.execute_batch(&format!(
        "PRAGMA synchronous = {sync};
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = {BUSY_TIMEOUT_MS};
         PRAGMA temp_store = MEMORY;"
    ))?;
    Ok(())
}

/// Pragmas for a read connection: read only, busy timeout.
pub fn configure_reader(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(&format!(
        "PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = {BUSY_TIMEOUT_MS};
         PRAGMA query_only = ON;"
    ))?;
    Ok(())
}

/// Brings the schema up to [`latest_version`], on either database; returns the version
/// found before.
pub fn migrate(conn: &super::sql::Connection) -> Result<u32, StoreError> {
    match conn.sqlite() {
        Some(sqlite) => migrate_sqlite(sqlite),
        None => migrate_postgres(conn),
    }
}

/// SQLite: versions in `PRAGMA user_version`, one transaction per version.
fn migrate_sqlite(conn: &Connection) -> Result<u32, StoreError> {
    let found: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let latest = latest_version();
    if found > latest {
        return Err(StoreError::Migration {
            version: found,
            reason: format!("the database is newer than this binary (which knows {latest})"),
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate() {
        let version = u32::try_from(index + 1).unwrap_or(u32::MAX);
        if version <= found {
            continue;
        }
        let failed = |e: rusqlite::Error| StoreError::Migration {
            version,
            reason: e.to_string(),
        };
        conn.execute_batch("BEGIN IMMEDIATE").map_err(failed)?;
        let applied = conn
            .execute_batch(sql)
            .and_then(|()| conn.execute_batch(&format!("PRAGMA user_version = {version}")));
        match applied {
            Ok(()) => conn.execute_batch("COMMIT").map_err(failed)?,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(failed(e));
            }
        }
    }
    Ok(found)
}

/// Brings a PostgreSQL database up to [`latest_version`] under an advisory lock, so that of
/// several nodes starting together one migrates and the others find it done. Each version
/// commits with its `schema_version` row. Returns the version found before.
pub fn migrate_postgres(conn: &super::sql::Connection) -> Result<u32, StoreError> {
    let failed = |version: u32| {
        move |e: super::sql::Error| StoreError::Migration {
            version,
            reason: e.to_string(),
        }
    };
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
        .or_else(|e| {
            // Two nodes creating it at once: one of them loses the race on the catalogue.
            conn.execute_batch("SELECT 1 FROM schema_version LIMIT 1")
                .map_err(|_| failed(0)(e))
        })?;
    conn.query_row("SELECT pg_advisory_lock(?1)", [MIGRATION_LOCK], |_| Ok(()))
        .map_err(failed(0))?;
    let result = migrate_postgres_locked(conn);
    let _ = conn.query_row(
        "SELECT pg_advisory_unlock(?1)",
        [MIGRATION_LOCK],
        |_| Ok(()),
    );
    result
}

fn migrate_postgres_locked(conn: &super::sql::Connection) -> Result<u32, StoreError> {
    let found: Option<i64> = conn
        .query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0))
        .map_err(|e| StoreError::Migration {
            version: 0,
            reason: e.to_string(),
        })?;
    let found = u32::try_from(found.unwrap_or(0)).unwrap_or(u32::MAX);
    let latest = latest_version();
    if found > latest {
        return Err(StoreError::Migration {
            version: found,
            reason: format!("the database is newer than this binary (which knows {latest})"),
        });
    }
    for (index, sql) in POSTGRES_MIGRATIONS.iter().enumerate() {
        let version = u32::try_from(index + 1).unwrap_or(u32::MAX);
        if version <= found {
            continue;
        }
        let failed = |e: super::sql::Error| StoreError::Migration {
            version,
            reason: e.to_string(),
        };
        conn.execute_batch("BEGIN").map_err(failed)?;
        let applied = conn.execute_batch(sql).and_then(|()| {
            conn.execute(
                "INSERT INTO schema_version (version) VALUES (?1)",
                [i64::from(version)],
            )
            .map(|_| ())
        });
        match applied {
            Ok(()) => conn.execute_batch("COMMIT").map_err(failed)?,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(failed(e));
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_a_new_database_once() {
        let conn = super::super::sql::Connection::open_in_memory().unwrap();
        configure_writer(&conn, Durability::Normal).unwrap();
        assert_eq!(migrate(&conn).unwrap(), 0);
        assert_eq!(migrate(&conn).unwrap(), latest_version());
        let conn = conn.sqlite().unwrap();
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('batches','messages','segments','events')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 4);
    }

    #[test]
    fn refuses_a_database_from_the_future() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA user_version = 99").unwrap();
        match migrate_sqlite(&conn) {
            Err(StoreError::Migration { version: 99, .. }) => {}
            other => panic!("{other:?}"),
        }
    }
}
