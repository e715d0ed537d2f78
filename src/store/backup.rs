//! An online, consistent copy of the database while the daemon runs: SQLite's backup API
//! copies the pages of one snapshot, a few hundred at a time with a pause between steps, so
//! the daemon's writer is never held up for long (a step that finds the database changed by
//! another connection starts over from the new snapshot, which SQLite does by itself).
//!
//! The copy is written beside the target as `<target>.partial`, private (0600 — it holds
//! every message and the signing secrets), checked with `PRAGMA integrity_check`, synced,
//! and only then renamed into place: a failed or interrupted backup never leaves a file
//! that looks complete. Restoring is stopping the daemon and putting the copy in place of
//! the database (its `-wal` and `-shm` files removed); see `docs/operations.md`.

use super::types::StoreError;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Pages copied per step (4 KiB each: about 1 MiB).
const PAGES_PER_STEP: std::os::raw::c_int = 256;
/// The pause between steps, in which the daemon's writer may commit.
const PAUSE: Duration = Duration::from_millis(5);

/// What a backup copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupReport {
    /// Pages in the copy.
    pub pages: u64,
    /// Its size in bytes.
    pub bytes: u64,
}

fn sqlite(e: rusqlite::Error) -> StoreError {
    StoreError::Sqlite(e.to_string())
}

/// Copies the database at `source` to `target` (replacing it) while others use it.
pub fn backup(source: &Path, target: &Path) -> Result<BackupReport, StoreError> {
    if !source.exists() {
        return Err(StoreError::File(format!(
            "{}: no such database",
            source.display()
        )));
    }
    let from = Connection::open_with_flags(
        source,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite)?;
    from.busy_timeout(Duration::from_secs(5)).map_err(sqlite)?;
    let partial = PathBuf::from(format!("{}.partial", target.display()));
    let _ = std::fs::remove_file(&partial);
    super::files::make_private(&partial)?;
    let mut to = Connection::open(&partial).map_err(sqlite)?;
    {
        let copy = rusqlite::backup::Backup::new(&from, &mut to).map_err(sqlite)?;
        copy.run_to_completion(PAGES_PER_STEP, PAUSE, None)
            .map_err(sqlite)?;
    }
    // The copy is a plain database file of its own: no WAL to carry along.
    let mode: String = to
        .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
        .map_err(sqlite)?;
    let check: String = to
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(sqlite)?;
    if check != "ok" {
        return Err(StoreError::Sqlite(format!(
            "the copy failed its integrity check: {check}"
        )));
    }
    let pages: i64 = to
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .map_err(sqlite)?;
    drop(to);
    let io = |e: std::io::Error| StoreError::File(format!("{}: {e}", partial.display()));
    std::fs::File::open(&partial)
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    std::fs::rename(&partial, target)
        .map_err(|e| StoreError::File(format!("{}: {e}", target.display())))?;
    let bytes = std::fs::metadata(target).map(|m| m.len()).unwrap_or(0);
    tracing::debug!(%mode, "backup copied");
    Ok(BackupReport {
        pages: u64::try_from(pages).unwrap_or(0),
        bytes,
    })
}
