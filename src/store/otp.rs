//! OTP sessions in SQLite (migration 0006): create, activate, attempt, resend, purge.
//! (2FA enrolments, whose codes are OTP sessions, are `twofa.rs`.)
//!
//! Holds only hashes. Whether a presented code matches is decided by a closure the caller
//! passes in (it holds the key and compares in constant time), run inside the same write
//! job as the update it leads to — so two verifications of one code cannot both succeed, and
//! a resend between reading a session and counting an attempt cannot let an old code in.
//! Never imports anything above layer 1.

use super::sql::{params, Connection, OptionalExtension};
use super::types::StoreError;
use crate::message::{MessageId, Millis};
use serde::Serialize;

/// Says whether the presented code matches a session's stored hash: `(session_id, hash)`.
pub type CodeMatcher = Box<dyn Fn(&str, &[u8]) -> bool + Send>;

/// A session's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OtpStatus {
    /// Created, its code not yet handed to the queue.
    Pending,
    /// Its code may be verified.
    Active,
    /// Its code was verified (single use).
    Verified,
    /// Too many wrong codes.
    Locked,
    /// A newer code for the same number and purpose replaced it.
    Superseded,
}

impl OtpStatus {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            OtpStatus::Pending => "pending",
            OtpStatus::Active => "active",
            OtpStatus::Verified => "verified",
            OtpStatus::Locked => "locked",
            OtpStatus::Superseded => "superseded",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "pending" => OtpStatus::Pending,
            "active" => OtpStatus::Active,
            "verified" => OtpStatus::Verified,
            "locked" => OtpStatus::Locked,
            "superseded" => OtpStatus::Superseded,
            other => return Err(StoreError::Sqlite(format!("unknown OTP status {other:?}"))),
        })
    }
}

/// A new session.
#[derive(Debug, Clone)]
pub struct NewOtpSession {
    /// The public session id.
    pub id: String,
    /// E.164.
    pub phone: String,
    /// `verification`, or `2fa:<user_id>`.
    pub purpose: String,
    /// HMAC of the code.
    pub code_hash: Vec<u8>,
    /// How codes of this session are made, and the text they are sent in.
    pub shape: CodeShape,
    /// Wrong codes before it locks.
    pub max_attempts: u32,
    /// When the code stops being valid.
    pub expires_at: Millis,
    /// The caller's metadata.
    pub metadata: Option<serde_json::Value>,
}

/// How a session's codes are made and sent (a resend makes the same kind).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeShape {
    /// Symbols per code.
    pub length: u32,
    /// Letters and digits, or digits only.
    pub alphanumeric: bool,
    /// Lifetime of a code.
    pub expiry_minutes: u32,
    /// The text with `{otp}` and `{expiry}` unfilled.
    #[serde(skip)]
    pub text_template: String,
}

/// A session as stored (without its hash).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OtpSession {
    /// The public session id.
    pub id: String,
    /// E.164.
    pub phone: String,
    /// What it is for.
    pub purpose: String,
    /// How its codes are made.
    pub shape: CodeShape,
    /// Where the session is: pending, active, verified, locked or superseded.
    pub status: OtpStatus,
    /// Wrong codes given for the current code.
    pub attempts: u32,
    /// Wrong codes before it locks.
    pub max_attempts: u32,
    /// Resends so far.
    pub resends: u32,
    /// The SMS carrying the current code.
    pub message_id: Option<MessageId>,
    /// When the current code stops being valid.
    pub expires_at: Millis,
    /// When the current code was handed to the queue.
    pub last_sent_at: Millis,
    /// When the session was created.
    pub created_at: Millis,
    /// When its code was verified, if it was.
    pub verified_at: Option<Millis>,
}

/// What an attempt to verify a code came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// The code was right; the session is now used up.
    Verified,
    /// Wrong code; `attempts_left` more may be tried (0: the session is now locked).
    Wrong {
        /// Tries left.
        attempts_left: u32,
    },
    /// The code expired (right or wrong, it no longer counts).
    Expired,
    /// The session is not active: verified, locked, superseded or pending.
    NotActive(OtpStatus),
}

/// What a resend request came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resend {
    /// The new code is in place; the message of the previous one (if any) may be cancelled.
    Renewed {
        /// The previous code's message.
        previous_message: Option<MessageId>,
        /// The session's phone number.
        phone: String,
    },
    /// Too soon after the last send.
    Cooldown {
        /// When a resend is allowed.
        allowed_at: Millis,
    },
    /// The session has been resent as often as allowed.
    Exhausted,
    /// The session is not active.
    NotActive(OtpStatus),
}

const SESSION_COLUMNS: &str = "id, phone, purpose, status, attempts, max_attempts, resends,
     message_id, expires_at, last_sent_at, created_at, verified_at, code_length, alphanumeric,
     expiry_minutes, text_template";

fn session_row(r: &super::sql::Row<'_>) -> super::sql::Result<(OtpSession, String)> {
    let status: String = r.get(3)?;
    Ok((
        OtpSession {
            id: r.get(0)?,
            phone: r.get(1)?,
            purpose: r.get(2)?,
            shape: CodeShape {
                length: r.get(12)?,
                alphanumeric: r.get(13)?,
                expiry_minutes: r.get(14)?,
                text_template: r.get(15)?,
            },
            status: OtpStatus::Pending,
            attempts: r.get(4)?,
            max_attempts: r.get(5)?,
            resends: r.get(6)?,
            message_id: r.get::<_, Option<i64>>(7)?.map(MessageId),
            expires_at: r.get(8)?,
            last_sent_at: r.get(9)?,
            created_at: r.get(10)?,
            verified_at: r.get(11)?,
        },
        status,
    ))
}

fn finish(row: Option<(OtpSession, String)>) -> Result<Option<OtpSession>, StoreError> {
    row.map(|(mut s, status)| {
        s.status = OtpStatus::parse(&status)?;
        Ok(s)
    })
    .transpose()
}

/// Stores a `pending` session.
pub fn create(conn: &Connection, s: &NewOtpSession, now: Millis) -> Result<(), StoreError> {
    let metadata = s
        .metadata
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::Sqlite(format!("metadata: {e}")))?;
    conn.prepare_cached(
        "INSERT INTO otp_sessions (id, phone, purpose, code_hash, status, max_attempts,
            expires_at, last_sent_at, created_at, updated_at, metadata, code_length,
            alphanumeric, expiry_minutes, text_template)
         VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?7, ?7, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        s.id,
        s.phone,
        s.purpose,
        s.code_hash,
        s.max_attempts,
        s.expires_at,
        now,
        metadata,
        s.shape.length,
        s.shape.alphanumeric,
        s.shape.expiry_minutes,
        s.shape.text_template,
    ])?;
    Ok(())
}

/// Makes a pending session `active` with the message carrying its code, and supersedes the
/// other active sessions of its number and purpose (a new code invalidates older ones).
/// Returns the messages of the superseded sessions, which may still be waiting to be sent.
pub fn activate(
    conn: &Connection,
    id: &str,
    message: MessageId,
    now: Millis,
) -> Result<Vec<MessageId>, StoreError> {
    let (phone, purpose): (String, String) = conn
        .prepare_cached("SELECT phone, purpose FROM otp_sessions WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let superseded = conn
        .prepare_cached(
            "SELECT message_id FROM otp_sessions
             WHERE phone = ?1 AND purpose = ?2 AND status = 'active' AND id != ?3
               AND message_id IS NOT NULL",
        )?
        .query_map(params![phone, purpose, id], |r| r.get(0).map(MessageId))?
        .collect::<Result<Vec<_>, _>>()?;
    conn.prepare_cached(
        "UPDATE otp_sessions SET status = 'superseded', updated_at = ?4
         WHERE phone = ?1 AND purpose = ?2 AND status = 'active' AND id != ?3",
    )?
    .execute(params![phone, purpose, id, now])?;
    conn.prepare_cached(
        "UPDATE otp_sessions SET status = 'active', message_id = ?2, updated_at = ?3
         WHERE id = ?1 AND status IN ('pending', 'active')",
    )?
    .execute(params![id, message.0, now])?;
    Ok(superseded)
}

/// Removes a session whose code could not be queued.
pub fn discard(conn: &Connection, id: &str) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM otp_sessions WHERE id = ?1 AND status = 'pending'")?
        .execute([id])?;
    Ok(())
}

/// One session.
pub fn get(conn: &Connection, id: &str) -> Result<Option<OtpSession>, StoreError> {
    let row = conn
        .prepare_cached(&format!(
            "SELECT {SESSION_COLUMNS} FROM otp_sessions WHERE id = ?1"
        ))?
        .query_row([id], session_row)
        .optional()?;
    finish(row)
}

/// The newest active session of a number and purpose.
pub fn active(
    conn: &Connection,
    phone: &str,
    purpose: &str,
) -> Result<Option<OtpSession>, StoreError> {
    let row = conn
        .prepare_cached(&format!(
            "SELECT {SESSION_COLUMNS} FROM otp_sessions
             WHERE phone = ?1 AND purpose = ?2 AND status = 'active'
             ORDER BY created_at DESC, rowid DESC LIMIT 1"
        ))?
        .query_row(params![phone, purpose], session_row)
        .optional()?;
    finish(row)
}

/// The newest session of a number and purpose that is not pending, whatever its state (to
/// tell a caller verifying by number that its code was used, locked or replaced).
pub fn latest(
    conn: &Connection,
    phone: &str,
    purpose: &str,
) -> Result<Option<OtpSession>, StoreError> {
    let row = conn
        .prepare_cached(&format!(
            "SELECT {SESSION_COLUMNS} FROM otp_sessions
             WHERE phone = ?1 AND purpose = ?2 AND status != 'pending'
             ORDER BY created_at DESC, rowid DESC LIMIT 1"
        ))?
        .query_row(params![phone, purpose], session_row)
        .optional()?;
    finish(row)
}

/// The newest sessions that were sent (pending ones left out), newest first.
pub fn recent(conn: &Connection, limit: usize) -> Result<Vec<OtpSession>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = conn
        .prepare_cached(&format!(
            "SELECT {SESSION_COLUMNS} FROM otp_sessions WHERE status != 'pending'
             ORDER BY created_at DESC, rowid DESC LIMIT ?1"
        ))?
        .query_map([limit], session_row)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .filter_map(|row| finish(Some(row)).transpose())
        .collect()
}

/// How the sessions created at or after `since` ended, by status (pending ones left out;
/// an active session past its expiry at `now` counts as `expired`).
pub fn outcomes(
    conn: &Connection,
    since: Millis,
    now: Millis,
) -> Result<Vec<(String, u64)>, StoreError> {
    let rows = conn
        .prepare_cached(
            "SELECT CASE WHEN status = 'active' AND expires_at <= ?2 THEN 'expired'
                         ELSE status END AS outcome, count(*)
             FROM otp_sessions WHERE status != 'pending' AND created_at >= ?1
             GROUP BY outcome ORDER BY outcome",
        )?
        .query_map(params![since, now], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .map(|(status, n)| (status, u64::try_from(n).unwrap_or(0)))
        .collect())
}

/// Removes sessions created before `before` that can no longer be verified (used, locked,
/// replaced, never sent, or expired by `now`); how many.
pub fn purge(conn: &Connection, before: Millis, now: Millis) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached(
            "DELETE FROM otp_sessions
             WHERE created_at < ?1 AND (status != 'active' OR expires_at <= ?2)",
        )?
        .execute(params![before, now])?)
}

/// The guess budgets beyond the current code's `max_attempts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureCaps {
    /// Wrong codes one session may take over all its resent codes.
    pub per_session: u32,
    /// Wrong codes one number may take over its sessions created since `since`.
    pub per_number: u32,
    /// The start of the per-number window.
    pub since: Millis,
}

impl Default for FailureCaps {
    fn default() -> Self {
        Self {
            per_session: u32::MAX,
            per_number: u32::MAX,
            since: 0,
        }
    }
}

/// Counts an attempt at the session's code: `matches(session_id, stored_hash)` says
/// whether the presented code is right. Verified is final (single use); the
/// `max_attempts`-th wrong code for the current code locks the session, and so does
/// reaching either cap of `caps` — counted in `failures`, which a resend never resets. A
/// number already at its cap is locked before its code is even compared.
pub fn attempt(
    conn: &Connection,
    id: &str,
    matches: &dyn Fn(&str, &[u8]) -> bool,
    caps: FailureCaps,
    now: Millis,
) -> Result<Attempt, StoreError> {
    type Row = (String, Vec<u8>, u32, u32, Millis, u32, String);
    let row: Option<Row> = conn
        .prepare_cached(
            "SELECT status, code_hash, attempts, max_attempts, expires_at, failures, phone
             FROM otp_sessions WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .optional()?;
    let (status, hash, attempts, max_attempts, expires_at, failures, phone) =
        row.ok_or(StoreError::NotFound)?;
    let status = OtpStatus::parse(&status)?;
    if status != OtpStatus::Active {
        return Ok(Attempt::NotActive(status));
    }
    if now >= expires_at {
        return Ok(Attempt::Expired);
    }
    let lock = |attempts: u32, failures: u32| -> Result<(), StoreError> {
        conn.prepare_cached(
            "UPDATE otp_sessions SET attempts = ?2, failures = ?3, updated_at = ?4,
                status = 'locked'
             WHERE id = ?1",
        )?
        .execute(params![id, attempts, failures, now])?;
        Ok(())
    };
    let number_failures: u32 = conn
        .prepare_cached(
            "SELECT COALESCE(SUM(failures), 0) FROM otp_sessions
             WHERE phone = ?1 AND created_at >= ?2",
        )?
        .query_row(params![phone, caps.since], |r| r.get(0))?;
    if number_failures >= caps.per_number {
        lock(attempts, failures)?;
        return Ok(Attempt::NotActive(OtpStatus::Locked));
    }
    if matches(id, &hash) {
        conn.prepare_cached(
            "UPDATE otp_sessions SET status = 'verified', verified_at = ?2, updated_at = ?2
             WHERE id = ?1",
        )?
        .execute(params![id, now])?;
        super::events::emit(
            conn,
            "otp.verified",
            &serde_json::json!({
                "session_id": id,
                "phone": phone,
                "verified_at": crate::message::format_millis(now),
            }),
            now,
        )?;
        return Ok(Attempt::Verified);
    }
    let attempts = attempts.saturating_add(1);
    let failures = failures.saturating_add(1);
    let attempts_left = max_attempts
        .saturating_sub(attempts)
        .min(caps.per_session.saturating_sub(failures))
        .min(
            caps.per_number
                .saturating_sub(number_failures.saturating_add(1)),
        );
    if attempts_left == 0 {
        lock(attempts, failures)?;
    } else {
        conn.prepare_cached(
            "UPDATE otp_sessions SET attempts = ?2, failures = ?3, updated_at = ?4 WHERE id = ?1",
        )?
        .execute(params![id, attempts, failures, now])?;
    }
    Ok(Attempt::Wrong { attempts_left })
}

/// What a resend may change.
#[derive(Debug, Clone)]
pub struct ResendRules {
    /// The new code's hash.
    pub code_hash: Vec<u8>,
    /// The new code's expiry.
    pub expires_at: Millis,
    /// Least time between two sends.
    pub cooldown_ms: i64,
    /// Most resends per session.
    pub max_resends: u32,
    /// The message carrying the new code (already queued).
    pub message: MessageId,
}

/// Replaces an active session's code (attempts start again) and its message, if the
/// cooldown has passed and resends are left.
pub fn resend(
    conn: &Connection,
    id: &str,
    rules: &ResendRules,
    now: Millis,
) -> Result<Resend, StoreError> {
    let session = get(conn, id)?.ok_or(StoreError::NotFound)?;
    if session.status != OtpStatus::Active {
        return Ok(Resend::NotActive(session.status));
    }
    let allowed_at = session.last_sent_at.saturating_add(rules.cooldown_ms);
    if now < allowed_at {
        return Ok(Resend::Cooldown { allowed_at });
    }
    if session.resends >= rules.max_resends {
        return Ok(Resend::Exhausted);
    }
    conn.prepare_cached(
        "UPDATE otp_sessions SET code_hash = ?2, expires_at = ?3, attempts = 0,
            resends = resends + 1, last_sent_at = ?4, updated_at = ?4, message_id = ?5
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        rules.code_hash,
        rules.expires_at,
        now,
        rules.message.0
    ])?;
    Ok(Resend::Renewed {
        previous_message: session.message_id,
        phone: session.phone,
    })
}

impl super::Store {
    /// Stores a `pending` session (see [`create`]).
    pub async fn otp_create(&self, session: NewOtpSession, now: Millis) -> Result<(), StoreError> {
        super::writer::write(&self.writer, move |c| create(c, &session, now)).await
    }

    /// Activates a session with its message, superseding older ones (see [`activate`]).
    pub async fn otp_activate(
        &self,
        id: &str,
        message: MessageId,
        now: Millis,
    ) -> Result<Vec<MessageId>, StoreError> {
        let id = id.to_string();
        super::writer::write(&self.writer, move |c| activate(c, &id, message, now)).await
    }

    /// Removes a pending session whose code could not be queued.
    pub async fn otp_discard(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_string();
        super::writer::write(&self.writer, move |c| discard(c, &id)).await
    }

    /// One session.
    pub async fn otp_session(&self, id: &str) -> Result<Option<OtpSession>, StoreError> {
        let id = id.to_string();
        super::writer::read(&self.reader, move |c| get(c, &id)).await
    }

    /// The newest active session of a number and purpose.
    pub async fn otp_active(
        &self,
        phone: &str,
        purpose: &str,
    ) -> Result<Option<OtpSession>, StoreError> {
        let (phone, purpose) = (phone.to_string(), purpose.to_string());
        super::writer::read(&self.reader, move |c| active(c, &phone, &purpose)).await
    }

    /// The newest non-pending session of a number and purpose (see [`latest`]).
    pub async fn otp_latest(
        &self,
        phone: &str,
        purpose: &str,
    ) -> Result<Option<OtpSession>, StoreError> {
        let (phone, purpose) = (phone.to_string(), purpose.to_string());
        super::writer::read(&self.reader, move |c| latest(c, &phone, &purpose)).await
    }

    /// The newest sent sessions (see [`recent`]).
    pub async fn otp_recent(&self, limit: usize) -> Result<Vec<OtpSession>, StoreError> {
        super::writer::read(&self.reader, move |c| recent(c, limit)).await
    }

    /// How recent sessions ended (see [`outcomes`]).
    pub async fn otp_outcomes(
        &self,
        since: Millis,
        now: Millis,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        super::writer::read(&self.reader, move |c| outcomes(c, since, now)).await
    }

    /// Removes sessions that can no longer be verified (see [`purge`]).
    pub async fn otp_purge(&self, before: Millis, now: Millis) -> Result<usize, StoreError> {
        super::writer::write(&self.writer, move |c| purge(c, before, now)).await
    }

    /// Counts an attempt (see [`attempt`]).
    pub async fn otp_attempt(
        &self,
        id: &str,
        matches: CodeMatcher,
        caps: FailureCaps,
        now: Millis,
    ) -> Result<Attempt, StoreError> {
        let id = id.to_string();
        super::writer::write(&self.writer, move |c| attempt(c, &id, &*matches, caps, now)).await
    }

    /// Replaces a session's code (see [`resend`]).
    pub async fn otp_resend(
        &self,
        id: &str,
        rules: ResendRules,
        now: Millis,
    ) -> Result<Resend, StoreError> {
        let id = id.to_string();
        super::writer::write(&self.writer, move |c| resend(c, &id, &rules, now)).await
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

    fn session(id: &str, phone: &str) -> NewOtpSession {
        NewOtpSession {
            id: id.into(),
            phone: phone.into(),
            purpose: "verification".into(),
            code_hash: id.as_bytes().to_vec(),
            shape: CodeShape {
                length: 6,
                alphanumeric: false,
                expiry_minutes: 5,
                text_template: "code {otp}".into(),
            },
            max_attempts: 3,
            expires_at: 1_000,
            metadata: None,
        }
    }

    fn right(id: &str, hash: &[u8]) -> bool {
        id.as_bytes() == hash
    }

    fn wrong(_: &str, _: &[u8]) -> bool {
        false
    }

    #[test]
    fn a_session_verifies_once() {
        let c = db();
        create(&c, &session("s1", "+1"), 0).unwrap();
        assert_eq!(
            attempt(&c, "s1", &right, FailureCaps::default(), 1).unwrap(),
            Attempt::NotActive(OtpStatus::Pending)
        );
        activate(&c, "s1", MessageId(7), 1).unwrap();
        assert_eq!(
            attempt(&c, "s1", &right, FailureCaps::default(), 2).unwrap(),
            Attempt::Verified
        );
        assert_eq!(
            attempt(&c, "s1", &right, FailureCaps::default(), 3).unwrap(),
            Attempt::NotActive(OtpStatus::Verified)
        );
    }

    #[test]
    fn wrong_codes_lock_the_session() {
        let c = db();
        create(&c, &session("s1", "+1"), 0).unwrap();
        activate(&c, "s1", MessageId(7), 1).unwrap();
        assert_eq!(
            attempt(&c, "s1", &wrong, FailureCaps::default(), 2).unwrap(),
            Attempt::Wrong { attempts_left: 2 }
        );
        attempt(&c, "s1", &wrong, FailureCaps::default(), 2).unwrap();
        assert_eq!(
            attempt(&c, "s1", &wrong, FailureCaps::default(), 2).unwrap(),
            Attempt::Wrong { attempts_left: 0 }
        );
        assert_eq!(
            attempt(&c, "s1", &right, FailureCaps::default(), 3).unwrap(),
            Attempt::NotActive(OtpStatus::Locked)
        );
    }

    #[test]
    fn an_expired_code_does_not_verify() {
        let c = db();
        create(&c, &session("s1", "+1"), 0).unwrap();
        activate(&c, "s1", MessageId(7), 1).unwrap();
        assert_eq!(
            attempt(&c, "s1", &right, FailureCaps::default(), 1_000).unwrap(),
            Attempt::Expired
        );
    }

    #[test]
    fn a_new_code_supersedes_the_older_ones_of_the_number() {
        let c = db();
        create(&c, &session("s1", "+1"), 0).unwrap();
        activate(&c, "s1", MessageId(7), 0).unwrap();
        create(&c, &session("other", "+2"), 0).unwrap();
        activate(&c, "other", MessageId(8), 0).unwrap();
        create(&c, &session("s2", "+1"), 1).unwrap();
        assert_eq!(active(&c, "+1", "verification").unwrap().unwrap().id, "s1");
        assert_eq!(
            activate(&c, "s2", MessageId(9), 2).unwrap(),
            vec![MessageId(7)]
        );
        assert_eq!(active(&c, "+1", "verification").unwrap().unwrap().id, "s2");
        assert_eq!(
            get(&c, "s1").unwrap().unwrap().status,
            OtpStatus::Superseded
        );
        assert_eq!(get(&c, "other").unwrap().unwrap().status, OtpStatus::Active);
    }

    #[test]
    fn resends_respect_the_cooldown_and_the_limit() {
        let c = db();
        create(&c, &session("s1", "+1"), 0).unwrap();
        activate(&c, "s1", MessageId(7), 0).unwrap();
        let rules = |hash: &str| ResendRules {
            code_hash: hash.as_bytes().to_vec(),
            expires_at: 10_000,
            cooldown_ms: 100,
            max_resends: 1,
            message: MessageId(8),
        };
        assert_eq!(
            resend(&c, "s1", &rules("n1"), 50).unwrap(),
            Resend::Cooldown { allowed_at: 100 }
        );
        assert_eq!(
            resend(&c, "s1", &rules("n1"), 100).unwrap(),
            Resend::Renewed {
                previous_message: Some(MessageId(7)),
                phone: "+1".into()
            }
        );
        // The old code no longer matches; the new one does.
        assert!(matches!(
            attempt(&c, "s1", &right, FailureCaps::default(), 101).unwrap(),
            Attempt::Wrong { .. }
        ));
        assert_eq!(
            attempt(&c, "s1", &|_, h| h == b"n1", FailureCaps::default(), 102).unwrap(),
            Attempt::Verified
        );
        assert_eq!(
            resend(&c, "s1", &rules("n2"), 500).unwrap(),
            Resend::NotActive(OtpStatus::Verified)
        );
    }

    #[test]
    fn old_finished_sessions_are_purged_and_live_ones_kept() {
        let c = db();
        for (id, phone) in [
            ("done", "+1"),
            ("live", "+2"),
            ("unsent", "+3"),
            ("new", "+4"),
        ] {
            create(&c, &session(id, phone), if id == "new" { 500 } else { 0 }).unwrap();
        }
        activate(&c, "done", MessageId(1), 0).unwrap();
        attempt(&c, "done", &right, FailureCaps::default(), 1).unwrap();
        activate(&c, "live", MessageId(2), 0).unwrap();
        activate(&c, "new", MessageId(3), 500).unwrap();
        // At 999 the live session (expires at 1000) is still valid.
        assert_eq!(purge(&c, 100, 999).unwrap(), 2, "done and unsent");
        assert!(get(&c, "live").unwrap().is_some());
        assert!(get(&c, "new").unwrap().is_some());
        assert_eq!(purge(&c, 100, 1_000).unwrap(), 1, "live has expired");
        assert_eq!(latest(&c, "+4", "verification").unwrap().unwrap().id, "new");
    }
}
