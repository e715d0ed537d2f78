//! The database files are private: the database and its `-wal`/`-shm` companions hold
//! every message, the webhook signing secret and the Twilio sid key, so only the daemon's
//! user may read them — whatever the umask the daemon was started with.
//!
//! The database file is created here, mode 0600, before SQLite opens it; SQLite creates the
//! `-wal` and `-shm` files with the database file's mode. Files found readable by others
//! (made by an older version, or copied in) are narrowed to 0600, with a log line.

use super::types::StoreError;
use std::path::{Path, PathBuf};

/// Creates `db` private if it does not exist; narrows it and its companions to 0600 if
/// they do.
pub fn make_private(db: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let io =
            |what: &Path, e: std::io::Error| StoreError::File(format!("{}: {e}", what.display()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(db)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(db, e)),
        }
        for file in [
            db.to_path_buf(),
            companion(db, "-wal"),
            companion(db, "-shm"),
        ] {
            let Ok(meta) = std::fs::metadata(&file) else {
                continue;
            };
            let mode = meta.permissions().mode() & 0o7777;
            if mode & 0o077 != 0 {
                tracing::warn!(
                    file = %file.display(),
                    mode = format!("{mode:04o}"),
                    "database file readable by others; narrowing it to 0600"
                );
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| io(&file, e))?;
            }
        }
    }
    Ok(())
}

/// `smsgate.db` → `smsgate.db-wal`.
fn companion(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn a_new_database_is_private_and_an_exposed_one_is_narrowed() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("smsgate.db");
        make_private(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        let wal = companion(&db, "-wal");
        std::fs::write(&wal, b"").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o664)).unwrap();
        make_private(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&wal), 0o600);
    }
}
