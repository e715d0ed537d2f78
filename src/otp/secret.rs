//! The server secret and the keys derived from it: one for code hashes, one for sealing OTP
//! texts in the store. The secret comes from the configuration or is generated once into a
//! file beside the database (mode 0600) — not into the database: a copy of the database
//! alone must not be enough to test guesses against the hashes.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::path::Path;
use subtle::ConstantTimeEq;
use thiserror::Error;

type HmacSha256 = Hmac<Sha256>;

/// Why the secret could not be had.
#[derive(Debug, Error)]
pub enum SecretError {
    /// Reading or writing the secret file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file holds something too short to be a secret.
    #[error("{path}: holds fewer than 32 characters; delete it to have a new secret made")]
    TooShort {
        /// The file.
        path: String,
    },
    /// Others than its owner may read the file: the secret may have leaked.
    #[error("{path}: mode {mode:04o} lets others read the OTP secret; chmod 600 it (and consider it exposed)")]
    Exposed {
        /// The file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
}

/// Reads the secret in `path`, or makes a new random one there (64 hex digits, mode 0600).
pub fn load_or_create_secret(path: &Path) -> Result<String, SecretError> {
    let shown = path.display().to_string();
    let io = |source| SecretError::Io {
        path: shown.clone(),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o7777;
                if mode & 0o077 != 0 {
                    return Err(SecretError::Exposed { path: shown, mode });
                }
            }
            let secret = text.trim().to_string();
            if secret.len() < 32 {
                return Err(SecretError::TooShort { path: shown });
            }
            Ok(secret)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let secret = hex::encode(rand::random::<[u8; 32]>());
            write_private(path, &secret).map_err(io)?;
            Ok(secret)
        }
        Err(e) => Err(io(e)),
    }
}

/// Creates `path` readable by its owner only, never overwriting an existing file.
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(content.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

/// The keys derived from the server secret.
#[derive(Clone)]
pub struct OtpKeys {
    code_key: [u8; 32],
    seal_key: [u8; 32],
}

impl std::fmt::Debug for OtpKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OtpKeys(..)")
    }
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
        return [0; 32];
    };
    for part in parts {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

impl OtpKeys {
    /// Keys derived from `secret` (domain-separated, so neither key reveals the other).
    pub fn from_secret(secret: &str) -> Self {
        Self {
            code_key: hmac(secret.as_bytes(), &[b"smsgate otp code hash v1"]),
            seal_key: hmac(secret.as_bytes(), &[b"smsgate store seal v1"]),
        }
    }

    /// Keys from a fresh random secret (tests).
    pub fn random() -> Self {
        Self::from_secret(&hex::encode(rand::random::<[u8; 32]>()))
    }

    /// The key the store seals OTP texts under.
    pub fn seal_key(&self) -> [u8; 32] {
        self.seal_key
    }

    /// The hash of `code` for the session `session_id` (normalise the code first).
    pub fn code_hash(&self, session_id: &str, code: &str) -> [u8; 32] {
        hmac(
            &self.code_key,
            &[b"otp", session_id.as_bytes(), code.as_bytes()],
        )
    }

    /// The hash of a backup code of `user_id` (normalised).
    pub fn backup_hash(&self, user_id: &str, code: &str) -> [u8; 32] {
        hmac(
            &self.code_key,
            &[b"backup", user_id.as_bytes(), code.as_bytes()],
        )
    }
}

/// Whether two hashes are equal, in time independent of where they differ.
pub fn hashes_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_bind_the_session_and_the_secret() {
        let keys = OtpKeys::from_secret("a-secret-of-at-least-32-characters!!");
        let h = keys.code_hash("otp_1", "123456");
        assert_eq!(h, keys.code_hash("otp_1", "123456"));
        assert_ne!(h, keys.code_hash("otp_2", "123456"));
        assert_ne!(h, keys.code_hash("otp_1", "123457"));
        assert_ne!(h, OtpKeys::random().code_hash("otp_1", "123456"));
        // Length-prefixed parts: moving a boundary changes the hash.
        assert_ne!(keys.code_hash("otp_11", "23456"), h);
        assert_ne!(keys.seal_key(), keys.code_key);
    }

    #[test]
    fn equal_hashes_compare_equal_and_others_do_not() {
        assert!(hashes_equal(&[1, 2, 3], &[1, 2, 3]));
        assert!(!hashes_equal(&[1, 2, 3], &[1, 2, 4]));
        assert!(!hashes_equal(&[1, 2, 3], &[1, 2]));
    }

    #[test]
    fn a_secret_file_is_made_once_private_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("otp.key");
        let first = load_or_create_secret(&path).unwrap();
        assert_eq!(first.len(), 64);
        assert_eq!(load_or_create_secret(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "short").unwrap();
        assert!(matches!(
            load_or_create_secret(&path),
            Err(SecretError::TooShort { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn a_secret_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("otp.key");
        load_or_create_secret(&path).unwrap();
        for mode in [0o644, 0o640, 0o604] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let e = load_or_create_secret(&path).unwrap_err();
            assert!(matches!(e, SecretError::Exposed { .. }), "{mode:o}: {e}");
            assert!(e.to_string().contains("chmod 600"), "{e}");
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
        assert_eq!(load_or_create_secret(&path).unwrap().len(), 64);
    }
}
