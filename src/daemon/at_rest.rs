//! Encryption at rest, the daemon's part: read `[storage] encryption_key_file` (32 random
//! bytes, raw or as 64 hex digits; private to its owner, like the OTP secret file), name the
//! key by a fingerprint, and check it against the database's marker before anything is
//! written: a database encrypted at rest never starts without its key (nor with another
//! one), so clear text is never written next to sealed rows.
//!
//! Holds no business rule. Invariants: the key never reaches a log or an error message —
//! only its fingerprint (`key id`, 16 hex digits of a SHA-256 over a label and the key).

use crate::store::Store;
use sha2::{Digest, Sha256};
use std::path::Path;
use thiserror::Error;

/// Why encryption at rest refuses to start.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum AtRestError {
    /// The key file cannot be read.
    #[error("storage.encryption_key_file: {path}: {reason}")]
    KeyFile {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The database is encrypted at rest and no key file is configured.
    #[error(
        "storage: {db} is encrypted at rest (key id {key_id}): set [storage] encryption_key_file to its key file; refusing to start rather than write clear text next to sealed rows"
    )]
    KeyMissing {
        /// The database.
        db: String,
        /// The fingerprint of the key it was sealed with.
        key_id: String,
    },
    /// The key file holds another key than the database was sealed with.
    #[error(
        "storage.encryption_key_file: {path} holds another key (key id {given}) than {db} was encrypted with (key id {expected}); refusing to start"
    )]
    WrongKey {
        /// The key file.
        path: String,
        /// The database.
        db: String,
        /// The file's key id.
        given: String,
        /// The database's key id.
        expected: String,
    },
    /// The marker could not be read or written.
    #[error("storage: {0}")]
    Store(String),
}

/// The key in `path`: 32 bytes, raw or as 64 hex digits (surrounding whitespace ignored).
pub fn load_key(path: &Path) -> Result<[u8; 32], AtRestError> {
    let fail = |reason: String| AtRestError::KeyFile {
        path: path.display().to_string(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| fail(e.to_string()))?
            .permissions()
            .mode()
            & 0o7777;
        if mode & 0o077 != 0 {
            return Err(fail(format!(
                "mode {mode:04o} lets others read the key; chmod 600 it (and consider it exposed)"
            )));
        }
    }
    if let Ok(key) = <[u8; 32]>::try_from(bytes.as_slice()) {
        return Ok(key);
    }
    let text = String::from_utf8_lossy(&bytes);
    let digits = text.trim();
    if digits.len() == 64 {
        if let Ok(decoded) = hex::decode(digits) {
            if let Ok(key) = <[u8; 32]>::try_from(decoded.as_slice()) {
                return Ok(key);
            }
        }
    }
    Err(fail(format!(
        "must hold 32 random bytes, raw or as 64 hex digits (it holds {} bytes); make one with `head -c 32 /dev/urandom > FILE`",
        bytes.len()
    )))
}

/// The key's fingerprint: 16 hex digits, safe to store and to show.
pub fn key_id(key: &[u8; 32]) -> String {
    let digest = Sha256::new()
        .chain_update(b"smsgate at-rest key id v1")
        .chain_update(key)
        .finalize();
    hex::encode(digest).chars().take(16).collect()
}

/// Checks `key` (none: not configured) against the marker of the store at `db`, and marks a
/// store that starts being encrypted.
pub async fn check(
    store: &Store,
    key: Option<&[u8; 32]>,
    key_file: Option<&Path>,
    db: &Path,
) -> Result<(), AtRestError> {
    let marked = store
        .at_rest_key_id()
        .await
        .map_err(|e| AtRestError::Store(e.to_string()))?;
    match (marked, key) {
        (None, None) => Ok(()),
        (Some(expected), None) => Err(AtRestError::KeyMissing {
            db: db.display().to_string(),
            key_id: expected,
        }),
        (Some(expected), Some(key)) => {
            let given = key_id(key);
            if given == expected {
                Ok(())
            } else {
                Err(AtRestError::WrongKey {
                    path: key_file
                        .map(|p| p.display().to_string())
                        .unwrap_or_default(),
                    db: db.display().to_string(),
                    given,
                    expected,
                })
            }
        }
        (None, Some(key)) => {
            let id = key_id(key);
            tracing::info!(key_id = %id, "storage: encryption at rest turned on; texts written from now on are sealed");
            store
                .mark_at_rest(id)
                .await
                .map_err(|e| AtRestError::Store(e.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn private(dir: &Path, name: &str, content: &[u8]) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path
    }

    #[test]
    fn raw_and_hex_keys_load_and_others_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let raw = [7u8; 32];
        assert_eq!(load_key(&private(dir.path(), "raw", &raw)).unwrap(), raw);
        let hex_file = private(
            dir.path(),
            "hex",
            format!("{}\n", hex::encode(raw)).as_bytes(),
        );
        assert_eq!(load_key(&hex_file).unwrap(), raw);
        let short = private(dir.path(), "short", b"abc");
        assert!(load_key(&short)
            .unwrap_err()
            .to_string()
            .contains("32 random bytes"));
        let open = private(dir.path(), "open", &raw);
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_key(&open).unwrap_err().to_string();
        assert!(err.contains("mode 0644"), "{err}");
        assert!(!err.contains(&hex::encode(raw)));
    }

    #[test]
    fn the_key_id_names_the_key_without_showing_it() {
        let a = key_id(&[1u8; 32]);
        assert_eq!(a.len(), 16);
        assert_ne!(a, key_id(&[2u8; 32]));
        assert!(!hex::encode([1u8; 32]).contains(&a));
    }
}
