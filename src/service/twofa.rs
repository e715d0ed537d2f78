//! Two-factor authentication for applications that keep their users elsewhere, keyed by
//! their `user_id`: enrol a phone (a code is sent), confirm it (2FA becomes active and ten
//! backup codes are handed out once), challenge (a login code is sent), verify (a code or an
//! unused backup code, which is then used up), disable, and show the state.
//!
//! Codes are OTP sessions of purpose `2fa:<user_id>`, so they share the OTP rules (hashes,
//! expiry, attempts, per-number limits). Backup codes are kept as HMACs and compared in
//! constant time. Wrong codes per user are limited over all sessions and backup codes, so
//! guessing backup codes cannot go on at request speed.

use super::limits::Caller;
use super::otp::{CodeSpec, OtpIssued, OtpVerdict};
use super::{RecipientInput, Service, ServiceError};
use crate::message::Millis;
use crate::otp::{backup_code, hashes_equal, mask_phone, normalise_code};
use crate::store::otp::{CodeShape, OtpSession};
use crate::store::twofa::TwoFaUser;
use serde::Serialize;

/// What enrolling or challenging answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TwoFaCodeSent {
    /// The user.
    pub user_id: String,
    /// `pending` or `active`.
    pub status: String,
    /// The number the code went to, masked (never in full: whoever knows a user id must not
    /// learn the number).
    pub phone_masked: String,
    /// The code's session.
    pub session_id: String,
    /// The message carrying the code.
    pub message_id: crate::message::MessageId,
    /// When the code stops being valid.
    pub expires_at: Millis,
}

impl TwoFaCodeSent {
    fn new(user_id: &str, status: &str, phone: &str, issued: OtpIssued) -> Self {
        Self {
            user_id: user_id.to_string(),
            status: status.to_string(),
            phone_masked: mask_phone(phone),
            session_id: issued.session_id,
            message_id: issued.message_id,
            expires_at: issued.expires_at,
        }
    }
}

/// What confirming answers: the backup codes, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TwoFaActivated {
    /// The user.
    pub user_id: String,
    /// `active`.
    pub status: &'static str,
    /// Single-use codes for when the phone is not at hand.
    pub backup_codes: Vec<String>,
}

/// What verifying answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TwoFaVerdict {
    /// The code was right.
    pub valid: bool,
    /// `otp` or `backup_code`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<&'static str>,
    /// Why not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// Unused backup codes left.
    pub backup_codes_left: u32,
}

/// `GET /api/2fa/{user_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TwoFaState {
    /// The user.
    pub user_id: String,
    /// Whether 2FA is active.
    pub enabled: bool,
    /// `pending`, `active` or `disabled` (not enrolled).
    pub status: String,
    /// The number, masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_masked: Option<String>,
    /// Unused backup codes.
    pub backup_codes_left: u32,
    /// When the user enrolled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Millis>,
    /// When the enrolment was confirmed with a code, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activated_at: Option<Millis>,
}

fn purpose(user_id: &str) -> String {
    format!("2fa:{user_id}")
}

fn check_user_id(user_id: &str) -> Result<(), ServiceError> {
    if user_id.is_empty() || user_id.chars().count() > 128 {
        return Err(ServiceError::invalid("user_id", "1 to 128 characters"));
    }
    super::bounds::printable("user_id", user_id)
}

impl Service {
    async fn twofa_enrolment(&self, user_id: &str) -> Result<TwoFaUser, ServiceError> {
        check_user_id(user_id)?;
        self.store
            .twofa_user(user_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("2FA enrolment of user {user_id}")))
    }

    fn twofa_spec(&self, user_id: &str) -> CodeSpec {
        let config = &self.settings().otp;
        CodeSpec {
            purpose: purpose(user_id),
            shape: CodeShape {
                length: u32::try_from(config.length).unwrap_or(6),
                alphanumeric: false,
                expiry_minutes: config.expiry_minutes,
                text_template: config.message.clone(),
            },
            metadata: None,
        }
    }

    /// Enrols `user_id` with `phone` and sends it a code to confirm with.
    pub async fn twofa_enroll(
        &self,
        user_id: &str,
        phone: &RecipientInput,
        caller: &Caller,
    ) -> Result<TwoFaCodeSent, ServiceError> {
        let now = self.now();
        self.guards().otp_request(caller, now)?;
        check_user_id(user_id)?;
        let phone = self
            .normalise(phone)
            .map_err(|why| ServiceError::invalid("phone_number", why))?;
        if let Some(existing) = self.store.twofa_user(user_id).await? {
            if existing.status == "active" {
                return Err(ServiceError::Conflict(format!(
                    "2FA is already active for user {user_id}; disable it first"
                )));
            }
        }
        let issued = self
            .issue_code(&phone, self.twofa_spec(user_id), now)
            .await?;
        self.store.twofa_enroll(user_id, &phone, now).await?;
        Ok(TwoFaCodeSent::new(user_id, "pending", &phone, issued))
    }

    /// Confirms an enrolment with the code sent to it; answers the backup codes, once.
    pub async fn twofa_confirm(
        &self,
        user_id: &str,
        code: &str,
        caller: &Caller,
    ) -> Result<Result<TwoFaActivated, TwoFaVerdict>, ServiceError> {
        let now = self.now();
        self.guards().otp_request(caller, now)?;
        let user = self.twofa_enrolment(user_id).await?;
        if user.status != "pending" {
            return Err(ServiceError::Conflict(format!(
                "2FA of user {user_id} is {}, not waiting for confirmation",
                user.status
            )));
        }
        let verdict = self.twofa_code(&user, code, now).await?;
        if !verdict.valid {
            return Ok(Err(TwoFaVerdict {
                valid: false,
                method: None,
                reason: verdict.reason,
                backup_codes_left: 0,
            }));
        }
        let keys = &self.settings().otp_keys;
        let codes: Vec<String> = (0..self.settings().otp.backup_codes)
            .map(|_| backup_code())
            .collect();
        let hashes = codes
            .iter()
            .map(|c| keys.backup_hash(user_id, &normalise_code(c)).to_vec())
            .collect();
        // Only the phone the code went to: a re-enrolment meanwhile must not be activated.
        self.store
            .twofa_activate(user_id, &user.phone, hashes, now)
            .await?;
        tracing::info!(user = %user_id, "2FA activated");
        Ok(Ok(TwoFaActivated {
            user_id: user_id.to_string(),
            status: "active",
            backup_codes: codes,
        }))
    }

    /// Sends a login code to an active enrolment.
    pub async fn twofa_challenge(
        &self,
        user_id: &str,
        caller: &Caller,
    ) -> Result<TwoFaCodeSent, ServiceError> {
        let now = self.now();
        self.guards().otp_request(caller, now)?;
        let user = self.active_enrolment(user_id).await?;
        let issued = self
            .issue_code(&user.phone, self.twofa_spec(user_id), now)
            .await?;
        Ok(TwoFaCodeSent::new(
            user_id,
            &user.status,
            &user.phone,
            issued,
        ))
    }

    async fn active_enrolment(&self, user_id: &str) -> Result<TwoFaUser, ServiceError> {
        let user = self.twofa_enrolment(user_id).await?;
        if user.status != "active" {
            return Err(ServiceError::Conflict(format!(
                "2FA of user {user_id} is not active (confirm the enrolment first)"
            )));
        }
        Ok(user)
    }

    /// Checks a login code or an unused backup code (which is then used up).
    pub async fn twofa_verify(
        &self,
        user_id: &str,
        code: &str,
        caller: &Caller,
    ) -> Result<TwoFaVerdict, ServiceError> {
        let now = self.now();
        self.guards().otp_request(caller, now)?;
        let user = self.active_enrolment(user_id).await?;
        self.twofa_check_any(&user, code, now).await
    }

    /// Disables 2FA, given a valid code or backup code.
    pub async fn twofa_disable(
        &self,
        user_id: &str,
        code: &str,
        caller: &Caller,
    ) -> Result<TwoFaVerdict, ServiceError> {
        let now = self.now();
        self.guards().otp_request(caller, now)?;
        let user = self.twofa_enrolment(user_id).await?;
        let verdict = if user.status == "active" {
            self.twofa_check_any(&user, code, now).await?
        } else {
            // A pending enrolment is cancelled with the code sent to confirm it.
            let v = self.twofa_code(&user, code, now).await?;
            TwoFaVerdict {
                valid: v.valid,
                method: v.valid.then_some("otp"),
                reason: v.reason,
                backup_codes_left: 0,
            }
        };
        if verdict.valid {
            self.store.twofa_remove(user_id).await?;
            tracing::info!(user = %user_id, "2FA disabled");
        }
        Ok(verdict)
    }

    /// The state of `user_id`'s 2FA (not enrolled: `disabled`).
    pub async fn twofa_state(
        &self,
        user_id: &str,
        caller: &Caller,
    ) -> Result<TwoFaState, ServiceError> {
        self.guards().otp_request(caller, self.now())?;
        check_user_id(user_id)?;
        Ok(match self.store.twofa_user(user_id).await? {
            Some(u) => TwoFaState {
                user_id: u.user_id,
                enabled: u.status == "active",
                status: u.status,
                phone_masked: Some(mask_phone(&u.phone)),
                backup_codes_left: u.backup_codes_left,
                created_at: Some(u.created_at),
                activated_at: u.activated_at,
            },
            None => TwoFaState {
                user_id: user_id.to_string(),
                enabled: false,
                status: "disabled".into(),
                phone_masked: None,
                backup_codes_left: 0,
                created_at: None,
                activated_at: None,
            },
        })
    }

    /// Starts an attempt: the typed code normalised, one unit of the user's failure limit
    /// taken (given back when the code is right), and the user's active login session.
    async fn twofa_attempt(
        &self,
        user: &TwoFaUser,
        code: &str,
        now: Millis,
    ) -> Result<(String, Option<OtpSession>), ServiceError> {
        let code = normalise_code(code);
        if code.is_empty() || code.len() > 32 {
            return Err(ServiceError::invalid("code", "1 to 32 characters"));
        }
        self.guards().twofa_attempt(&user.user_id, now)?;
        let session = self
            .store
            .otp_active(&user.phone, &purpose(&user.user_id))
            .await?;
        Ok((code, session))
    }

    /// The user's current code; a wrong one counts against the user's failure limit.
    async fn twofa_code(
        &self,
        user: &TwoFaUser,
        code: &str,
        now: Millis,
    ) -> Result<OtpVerdict, ServiceError> {
        let (code, session) = self.twofa_attempt(user, code, now).await?;
        let verdict = match session {
            Some(session) => self.check_code(&session, code, now).await?,
            None => OtpVerdict {
                valid: false,
                reason: Some("no_active_code"),
                attempts_left: 0,
                session_id: None,
            },
        };
        if verdict.valid {
            self.guards().twofa_right(&user.user_id, now);
        }
        Ok(verdict)
    }

    /// A login code, else a backup code.
    async fn twofa_check_any(
        &self,
        user: &TwoFaUser,
        code: &str,
        now: Millis,
    ) -> Result<TwoFaVerdict, ServiceError> {
        let (normalised, session) = self.twofa_attempt(user, code, now).await?;
        let mut reason = "invalid_code";
        // A backup code is not tried as the login code: a miss would count against (and
        // could lock) the session the user is about to use.
        let session = session
            .filter(|s| usize::try_from(s.shape.length).is_ok_and(|len| len == normalised.len()));
        if let Some(session) = session {
            let verdict = self.check_code(&session, normalised.clone(), now).await?;
            if verdict.valid {
                self.guards().twofa_right(&user.user_id, now);
                return Ok(TwoFaVerdict {
                    valid: true,
                    method: Some("otp"),
                    reason: None,
                    backup_codes_left: user.backup_codes_left,
                });
            }
            reason = verdict.reason.unwrap_or("invalid_code");
        }
        let expected_len = 10;
        if normalised.len() == expected_len {
            let keys = self.settings().otp_keys.clone();
            let candidate = keys.backup_hash(&user.user_id, &normalised);
            let matches = Box::new(move |stored: &[u8]| hashes_equal(&candidate, stored));
            if let Some(left) = self
                .store
                .twofa_use_backup(&user.user_id, matches, now)
                .await?
            {
                self.guards().twofa_right(&user.user_id, now);
                tracing::info!(user = %user.user_id, left, "2FA backup code used");
                return Ok(TwoFaVerdict {
                    valid: true,
                    method: Some("backup_code"),
                    reason: None,
                    backup_codes_left: left,
                });
            }
            reason = "invalid_code";
        }
        Ok(TwoFaVerdict {
            valid: false,
            method: None,
            reason: Some(reason),
            backup_codes_left: user.backup_codes_left,
        })
    }
}
