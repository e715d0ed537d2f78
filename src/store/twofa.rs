//! 2FA enrolments in SQLite (migration 0006): a user's phone, pending until a code sent to
//! it is verified, then active with its backup codes (as hashes only; a used one is marked,
//! never deleted, so it cannot be used twice). The codes themselves are OTP sessions of
//! purpose `2fa:<user_id>` (`otp.rs`).
//!
//! Whether a presented backup code matches is decided by a closure the caller passes in
//! (it holds the key and compares in constant time), run inside the write job that marks it
//! used. Never imports anything above layer 1.

use super::sql::{params, Connection, OptionalExtension};
use super::types::StoreError;
use crate::message::Millis;
use serde::Serialize;

/// Says whether the presented backup code matches a stored hash.
pub type BackupMatcher = Box<dyn Fn(&[u8]) -> bool + Send>;

/// A 2FA enrolment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TwoFaUser {
    /// The application's user id.
    pub user_id: String,
    /// E.164.
    pub phone: String,
    /// `pending` (code sent, not confirmed) or `active`.
    pub status: String,
    /// Unused backup codes.
    pub backup_codes_left: u32,
    /// When the user enrolled.
    pub created_at: Millis,
    /// When the enrolment was confirmed with a code, if it was.
    pub activated_at: Option<Millis>,
}

/// One enrolment.
pub fn twofa_get(conn: &Connection, user_id: &str) -> Result<Option<TwoFaUser>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT user_id, phone, status, created_at, activated_at,
                (SELECT COUNT(*) FROM twofa_backup_codes b
                 WHERE b.user_id = u.user_id AND b.used_at IS NULL)
             FROM twofa_users u WHERE user_id = ?1",
        )?
        .query_row([user_id], |r| {
            Ok(TwoFaUser {
                user_id: r.get(0)?,
                phone: r.get(1)?,
                status: r.get(2)?,
                created_at: r.get(3)?,
                activated_at: r.get(4)?,
                backup_codes_left: r.get(5)?,
            })
        })
        .optional()?)
}

/// Enrols (or re-enrols, while still pending) a user with `phone`; an active enrolment is
/// a conflict (disable it first).
pub fn twofa_enroll(
    conn: &Connection,
    user_id: &str,
    phone: &str,
    now: Millis,
) -> Result<(), StoreError> {
    if let Some(existing) = twofa_get(conn, user_id)? {
        if existing.status == "active" {
            return Err(StoreError::Conflict(format!(
                "2FA is already active for user {user_id:?}; disable it first"
            )));
        }
    }
    conn.prepare_cached(
        "INSERT INTO twofa_users (user_id, phone, status, created_at, updated_at)
         VALUES (?1, ?2, 'pending', ?3, ?3)
         ON CONFLICT(user_id) DO UPDATE SET phone = ?2, status = 'pending', updated_at = ?3",
    )?
    .execute(params![user_id, phone, now])?;
    Ok(())
}

/// Activates a pending enrolment of `phone` (the number whose code was verified) with its
/// backup codes' hashes.
pub fn twofa_activate(
    conn: &Connection,
    user_id: &str,
    phone: &str,
    backup_hashes: &[Vec<u8>],
    now: Millis,
) -> Result<(), StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE twofa_users SET status = 'active', activated_at = ?2, updated_at = ?2
             WHERE user_id = ?1 AND status = 'pending' AND phone = ?3",
        )?
        .execute(params![user_id, now, phone])?;
    if changed == 0 {
        return Err(StoreError::Conflict(format!(
            "2FA for user {user_id:?} is not waiting for confirmation"
        )));
    }
    conn.prepare_cached("DELETE FROM twofa_backup_codes WHERE user_id = ?1")?
        .execute([user_id])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO twofa_backup_codes (user_id, code_hash) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    )?;
    for hash in backup_hashes {
        insert.execute(params![user_id, hash])?;
    }
    Ok(())
}

/// Uses up the unused backup code of `user_id` that `matches` accepts; returns the codes
/// left, or `None` when no unused code matched. Every unused code is compared (the closure
/// compares in constant time), so timing does not tell which one matched.
pub fn twofa_use_backup(
    conn: &Connection,
    user_id: &str,
    matches: &dyn Fn(&[u8]) -> bool,
    now: Millis,
) -> Result<Option<u32>, StoreError> {
    let hashes = conn
        .prepare_cached(
            "SELECT code_hash FROM twofa_backup_codes WHERE user_id = ?1 AND used_at IS NULL",
        )?
        .query_map([user_id], |r| r.get::<_, Vec<u8>>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut hit = None;
    for hash in &hashes {
        if matches(hash) {
            hit = Some(hash);
        }
    }
    let Some(hash) = hit else {
        return Ok(None);
    };
    conn.prepare_cached(
        "UPDATE twofa_backup_codes SET used_at = ?3 WHERE user_id = ?1 AND code_hash = ?2",
    )?
    .execute(params![user_id, hash, now])?;
    let left = u32::try_from(hashes.len().saturating_sub(1)).unwrap_or(u32::MAX);
    Ok(Some(left))
}

/// Removes an enrolment and its backup codes; whether there was one.
pub fn twofa_remove(conn: &Connection, user_id: &str) -> Result<bool, StoreError> {
    conn.prepare_cached("DELETE FROM twofa_backup_codes WHERE user_id = ?1")?
        .execute([user_id])?;
    let removed = conn
        .prepare_cached("DELETE FROM twofa_users WHERE user_id = ?1")?
        .execute([user_id])?;
    Ok(removed > 0)
}

impl super::Store {
    /// One 2FA enrolment.
    pub async fn twofa_user(&self, user_id: &str) -> Result<Option<TwoFaUser>, StoreError> {
        let user_id = user_id.to_string();
        super::writer::read(&self.reader, move |c| twofa_get(c, &user_id)).await
    }

    /// Enrols a user (pending) — see [`twofa_enroll`].
    pub async fn twofa_enroll(
        &self,
        user_id: &str,
        phone: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        let (user_id, phone) = (user_id.to_string(), phone.to_string());
        super::writer::write(&self.writer, move |c| {
            twofa_enroll(c, &user_id, &phone, now)
        })
        .await
    }

    /// Activates an enrolment with its backup codes' hashes.
    pub async fn twofa_activate(
        &self,
        user_id: &str,
        phone: &str,
        backup_hashes: Vec<Vec<u8>>,
        now: Millis,
    ) -> Result<(), StoreError> {
        let (user_id, phone) = (user_id.to_string(), phone.to_string());
        super::writer::write(&self.writer, move |c| {
            twofa_activate(c, &user_id, &phone, &backup_hashes, now)
        })
        .await
    }

    /// Uses up a matching backup code (see [`twofa_use_backup`]).
    pub async fn twofa_use_backup(
        &self,
        user_id: &str,
        matches: BackupMatcher,
        now: Millis,
    ) -> Result<Option<u32>, StoreError> {
        let user_id = user_id.to_string();
        super::writer::write(&self.writer, move |c| {
            twofa_use_backup(c, &user_id, &*matches, now)
        })
        .await
    }

    /// Removes an enrolment.
    pub async fn twofa_remove(&self, user_id: &str) -> Result<bool, StoreError> {
        let user_id = user_id.to_string();
        super::writer::write(&self.writer, move |c| twofa_remove(c, &user_id)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let conn = Connection::for_tests();
        super::super::schema::migrate(&conn).unwrap();
        conn
    }

    #[test]
    fn twofa_enrolment_activation_and_backup_codes() {
        let c = db();
        twofa_enroll(&c, "u1", "+1", 0).unwrap();
        twofa_enroll(&c, "u1", "+2", 1).unwrap();
        assert_eq!(twofa_get(&c, "u1").unwrap().unwrap().phone, "+2");
        assert!(
            twofa_activate(&c, "u1", "+1", &[], 2).is_err(),
            "not the verified phone"
        );
        twofa_activate(&c, "u1", "+2", &[b"a".to_vec(), b"b".to_vec()], 2).unwrap();
        assert!(matches!(
            twofa_enroll(&c, "u1", "+3", 3),
            Err(StoreError::Conflict(_))
        ));
        assert!(twofa_activate(&c, "u1", "+2", &[], 3).is_err());
        assert_eq!(
            twofa_use_backup(&c, "u1", &|h| h == b"b", 4).unwrap(),
            Some(1)
        );
        assert_eq!(twofa_use_backup(&c, "u1", &|h| h == b"b", 5).unwrap(), None);
        assert_eq!(twofa_get(&c, "u1").unwrap().unwrap().backup_codes_left, 1);
        assert!(twofa_remove(&c, "u1").unwrap());
        assert!(!twofa_remove(&c, "u1").unwrap());
        assert!(twofa_get(&c, "u1").unwrap().is_none());
    }
}
