//! OTP flows of the façade: generate (a code sent as an OTP message), verify, resend, and a
//! session's state. 2FA (`twofa`) builds on the same `issue_code` and `check_code`.
//!
//! A code exists in clear only in this process, between being drawn and being handed to the
//! store, where the message text is sealed and the session keeps an HMAC. OTP messages go
//! first in the queue (priority), carry their expiry as TP-VP, and the dispatcher never sends
//! them after it (`expire_at`).

use super::limits::Caller;
use super::{RecipientInput, SendRequest, Service, ServiceError};
use crate::message::{MessageId, Millis, SmsType};
use crate::otp::{generate_code, hashes_equal, mask_phone, normalise_code, render_message};
use crate::store::otp::{
    Attempt, CodeShape, FailureCaps, NewOtpSession, OtpSession, OtpStatus, Resend, ResendRules,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The purpose of codes from `/api/otp/*`.
pub const VERIFICATION: &str = "verification";

/// `POST /api/otp/generate`, as every front end builds it.
#[derive(Debug, Clone, Default)]
pub struct OtpRequest {
    /// The number to send the code to.
    pub phone: RecipientInput,
    /// Symbols (4–10; default from `[otp]`).
    pub length: Option<usize>,
    /// Lifetime in minutes (default from `[otp]`).
    pub expiry_minutes: Option<u32>,
    /// Letters and digits instead of digits.
    pub alphanumeric: bool,
    /// The text, with `{otp}` and `{expiry}`.
    pub custom_message: Option<String>,
    /// A template (its `{{otp}}`/`{{code}}` and `{{expiry}}` are filled in).
    pub template_id: Option<String>,
    /// Kept with the session.
    pub metadata: Option<serde_json::Value>,
}

/// A code sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OtpIssued {
    /// The session to verify or resend with.
    pub session_id: String,
    /// E.164.
    pub phone_number: String,
    /// The message carrying the code.
    pub message_id: MessageId,
    /// When the code stops being valid.
    pub expires_at: Millis,
    /// Symbols in the code.
    pub length: u32,
    /// Lifetime in minutes.
    pub expiry_minutes: u32,
    /// When a resend will be allowed.
    pub resend_available_at: Millis,
}

/// `POST /api/otp/verify`.
#[derive(Debug, Clone, Default)]
pub struct OtpCheck {
    /// The number the code was sent to (or `session_id`).
    pub phone: Option<RecipientInput>,
    /// The session (or `phone`).
    pub session_id: Option<String>,
    /// The code as typed.
    pub code: String,
}

/// What a verification came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OtpVerdict {
    /// The code was right (and is now used up).
    pub valid: bool,
    /// Why not: `invalid_code`, `expired`, `locked`, `already_used`, `superseded`,
    /// `no_active_code`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// Wrong codes the session still takes.
    pub attempts_left: u32,
    /// The session checked, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

impl OtpVerdict {
    fn invalid(reason: &'static str, attempts_left: u32, session_id: Option<String>) -> Self {
        Self {
            valid: false,
            reason: Some(reason),
            attempts_left,
            session_id,
        }
    }
}

/// How the OTP sessions of a window ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OtpOutcomes {
    /// The window's start.
    pub since: Millis,
    /// Sessions sent in the window.
    pub total: u64,
    /// Of them, verified.
    pub verified: u64,
    /// `verified` in percent of the sessions that ended (verified, locked or expired; not
    /// those still active or superseded), two decimals; 0 when none ended.
    pub success_rate: f64,
    /// Sessions by outcome: `active`, `verified`, `locked`, `superseded`, `expired`.
    pub by_status: BTreeMap<String, u64>,
}

/// A session as the API shows it at `now`.
fn session_view(s: OtpSession, now: Millis) -> OtpSessionView {
    let expired = s.status == OtpStatus::Active && now >= s.expires_at;
    OtpSessionView {
        session_id: s.id,
        phone_masked: mask_phone(&s.phone),
        status: if expired {
            "expired"
        } else {
            s.status.as_str()
        },
        attempts_left: if s.status == OtpStatus::Active && !expired {
            s.max_attempts.saturating_sub(s.attempts)
        } else {
            0
        },
        resends: s.resends,
        message_id: s.message_id,
        expires_at: s.expires_at,
        created_at: s.created_at,
        verified_at: s.verified_at,
    }
}

/// A session as `GET /api/otp/{session_id}` shows it (never the code).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OtpSessionView {
    /// The session.
    pub session_id: String,
    /// The number, masked.
    pub phone_masked: String,
    /// `active`, `verified`, `locked`, `superseded`, `expired`.
    pub status: &'static str,
    /// Wrong codes it still takes.
    pub attempts_left: u32,
    /// Resends so far.
    pub resends: u32,
    /// The message carrying the current code.
    pub message_id: Option<MessageId>,
    /// When the current code stops being valid.
    pub expires_at: Millis,
    /// When the session was created.
    pub created_at: Millis,
    /// When its code was verified, if it was.
    pub verified_at: Option<Millis>,
}

/// How a code is made and sent.
pub(super) struct CodeSpec {
    pub purpose: String,
    pub shape: CodeShape,
    pub metadata: Option<serde_json::Value>,
}

fn new_session_id() -> String {
    format!("otp_{}", hex::encode(rand::random::<[u8; 16]>()))
}

fn minutes_ms(minutes: u32) -> Millis {
    Millis::from(minutes) * 60_000
}

impl Service {
    /// Generates a code for the request's number and sends it.
    pub async fn otp_generate(
        &self,
        request: OtpRequest,
        caller: &Caller,
    ) -> Result<OtpIssued, ServiceError> {
        let now = self.now();
        self.guards().otp_request(caller, now)?;
        let config = &self.settings().otp;
        let phone = self
            .normalise(&request.phone)
            .map_err(|why| ServiceError::invalid("phone_number", why))?;
        let length = request.length.unwrap_or(config.length);
        if !(config.min_length..=10).contains(&length) {
            return Err(ServiceError::invalid(
                "length",
                format!("{length} is outside {}..=10", config.min_length),
            ));
        }
        if let Some(metadata) = &request.metadata {
            let size = metadata.to_string().len();
            if size > super::MAX_METADATA_BYTES {
                return Err(ServiceError::invalid(
                    "metadata",
                    format!("{size} bytes; at most {}", super::MAX_METADATA_BYTES),
                ));
            }
        }
        if let Some(text) = &request.custom_message {
            if text.chars().count() > 1_600 {
                return Err(ServiceError::invalid(
                    "custom_message",
                    "longer than 1600 characters",
                ));
            }
        }
        let expiry_minutes = request.expiry_minutes.unwrap_or(config.expiry_minutes);
        if expiry_minutes == 0 || expiry_minutes > config.max_expiry_minutes {
            return Err(ServiceError::invalid(
                "expiry_minutes",
                format!("must be 1 to {}", config.max_expiry_minutes),
            ));
        }
        let text_template = match (&request.custom_message, &request.template_id) {
            (Some(_), Some(_)) => {
                return Err(ServiceError::invalid(
                    "custom_message",
                    "give custom_message or template_id, not both",
                ))
            }
            (Some(text), None) => {
                if !text.contains("{otp}") {
                    return Err(ServiceError::invalid(
                        "custom_message",
                        "must contain {otp}, where the code goes",
                    ));
                }
                text.clone()
            }
            (None, Some(id)) => self.otp_text_from_template(id).await?,
            (None, None) => config.message.clone(),
        };
        let spec = CodeSpec {
            purpose: VERIFICATION.into(),
            shape: CodeShape {
                length: u32::try_from(length).unwrap_or(6),
                alphanumeric: request.alphanumeric,
                expiry_minutes,
                text_template,
            },
            metadata: request.metadata,
        };
        let issued = self.issue_code(&phone, spec, now).await?;
        if let Some(id) = &request.template_id {
            if let Err(e) = self.record_template_use(id).await {
                tracing::warn!(template = %id, error = %e, "could not count a template use");
            }
        }
        Ok(issued)
    }

    /// Sends a new code of `spec` to `phone` in a new session, superseding the number's
    /// earlier codes for the same purpose.
    pub(super) async fn issue_code(
        &self,
        phone: &str,
        spec: CodeSpec,
        now: Millis,
    ) -> Result<OtpIssued, ServiceError> {
        self.guards().otp_code(phone, now)?;
        if let Err(e) = self.take_shared_otp_code(phone, now).await {
            self.guards().refund_otp_code(phone, now);
            return Err(e);
        }
        let issued = self.issue_counted_code(phone, spec, now).await;
        if issued.is_err() {
            // No code went out: it must not count against the number.
            self.guards().refund_otp_code(phone, now);
            self.refund_shared_otp_code(phone, now).await;
        }
        issued
    }

    async fn issue_counted_code(
        &self,
        phone: &str,
        spec: CodeSpec,
        now: Millis,
    ) -> Result<OtpIssued, ServiceError> {
        let session_id = new_session_id();
        let code = generate_code(
            usize::try_from(spec.shape.length).unwrap_or(6),
            spec.shape.alphanumeric,
        );
        let expires_at = now + minutes_ms(spec.shape.expiry_minutes);
        self.store
            .otp_create(
                NewOtpSession {
                    id: session_id.clone(),
                    phone: phone.to_string(),
                    purpose: spec.purpose.clone(),
                    code_hash: self
                        .settings()
                        .otp_keys
                        .code_hash(&session_id, &code)
                        .to_vec(),
                    shape: spec.shape.clone(),
                    max_attempts: self.settings().otp.max_attempts,
                    expires_at,
                    metadata: spec.metadata.clone(),
                },
                now,
            )
            .await?;
        let message_id = match self
            .send_code(phone, &session_id, &spec.shape, &code, expires_at)
            .await
        {
            Ok(id) => id,
            Err(e) => {
                // Nothing was queued: the session must not linger as if a code were out.
                if let Err(cleanup) = self.store.otp_discard(&session_id).await {
                    tracing::warn!(session = %session_id, error = %cleanup, "could not discard an unsent OTP session");
                }
                return Err(e);
            }
        };
        let superseded = self
            .store
            .otp_activate(&session_id, message_id, now)
            .await?;
        self.cancel_stale_codes(superseded).await;
        self.metrics().otp_generated();
        tracing::info!(session = %session_id, message = %message_id, to = %mask_phone(phone), purpose = %spec.purpose, "OTP sent");
        Ok(OtpIssued {
            session_id,
            phone_number: phone.to_string(),
            message_id,
            expires_at,
            length: spec.shape.length,
            expiry_minutes: spec.shape.expiry_minutes,
            resend_available_at: now + self.resend_cooldown_ms(),
        })
    }

    fn resend_cooldown_ms(&self) -> Millis {
        Millis::try_from(self.settings().otp.resend_cooldown_secs)
            .unwrap_or(Millis::MAX / 2_000)
            .saturating_mul(1_000)
    }

    /// Queues the OTP message: first in line, never sent after `expires_at`, its text
    /// sealed in the store.
    async fn send_code(
        &self,
        phone: &str,
        session_id: &str,
        shape: &CodeShape,
        code: &str,
        expires_at: Millis,
    ) -> Result<MessageId, ServiceError> {
        let text = render_message(&shape.text_template, code, shape.expiry_minutes);
        let outcome = self
            .send(SendRequest {
                to: vec![RecipientInput {
                    number: phone.to_string(),
                    ..RecipientInput::default()
                }],
                message: text,
                sms_type: SmsType::Otp,
                expire_at: Some(expires_at),
                metadata: crate::message::RawJson::parse(
                    &serde_json::json!({ "otp_session": session_id }).to_string(),
                )
                .ok(),
                secret: Some(code.to_string()),
                ..SendRequest::default()
            })
            .await
            .map_err(|e| match e {
                // The request's field is `phone_number`, not the inner send's `to[0]`.
                ServiceError::Invalid { field, reason } if field.starts_with("to") => {
                    ServiceError::invalid("phone_number", reason)
                }
                ServiceError::Invalid { field, reason } if field == "message" => {
                    ServiceError::invalid("custom_message", reason)
                }
                ServiceError::Refused { code, reason, .. } => ServiceError::Refused {
                    field: "phone_number".into(),
                    code,
                    reason,
                },
                other => other,
            })?;
        outcome
            .messages
            .first()
            .map(|m| m.id)
            .ok_or_else(|| ServiceError::Internal("the OTP message was not accepted".into()))
    }

    /// Cancels the messages of superseded codes that have not gone out yet: their codes no
    /// longer work, so sending them would only confuse.
    async fn cancel_stale_codes(&self, messages: Vec<MessageId>) {
        for id in messages {
            // Already sent (or gone) is fine: a conflict is the expected answer then.
            let _ = self.store.cancel(id, self.now()).await;
        }
    }

    /// Checks a code (see [`OtpVerdict`]).
    pub async fn otp_verify(
        &self,
        check: OtpCheck,
        caller: &Caller,
    ) -> Result<OtpVerdict, ServiceError> {
        let now = self.now();
        self.guards().otp_request(caller, now)?;
        let code = normalise_code(&check.code);
        if code.is_empty() || code.len() > 32 {
            return Err(ServiceError::invalid("otp_code", "1 to 32 characters"));
        }
        let phone = match &check.phone {
            Some(p) => Some(
                self.normalise(p)
                    .map_err(|why| ServiceError::invalid("phone_number", why))?,
            ),
            None => None,
        };
        let session = match (&check.session_id, &phone) {
            (Some(id), _) => self
                .store
                .otp_session(id)
                .await?
                // A session of another number (or of 2FA) is no session for this check.
                .filter(|s| s.purpose == VERIFICATION)
                .filter(|s| phone.as_ref().is_none_or(|p| *p == s.phone)),
            (None, Some(phone)) => self.store.otp_active(phone, VERIFICATION).await?,
            (None, None) => {
                return Err(ServiceError::invalid(
                    "phone_number",
                    "give phone_number or session_id",
                ))
            }
        };
        let Some(session) = session else {
            // No code to check: say why, when the number's latest code was used, locked or
            // replaced (no attempt is counted, and the session id is not handed out).
            let reason = match (&check.session_id, &phone) {
                (None, Some(phone)) => match self.store.otp_latest(phone, VERIFICATION).await? {
                    Some(s) if s.status == OtpStatus::Verified => "already_used",
                    Some(s) if s.status == OtpStatus::Locked => "locked",
                    _ => "no_active_code",
                },
                _ => "no_active_code",
            };
            return Ok(OtpVerdict::invalid(reason, 0, None));
        };
        self.check_code(&session, code, now).await
    }

    /// Counts one attempt of `code` (normalised) against `session`.
    pub(super) async fn check_code(
        &self,
        session: &OtpSession,
        code: String,
        now: Millis,
    ) -> Result<OtpVerdict, ServiceError> {
        let keys = self.settings().otp_keys.clone();
        let matches = Box::new(move |session_id: &str, stored: &[u8]| {
            hashes_equal(&keys.code_hash(session_id, &code), stored)
        });
        let config = &self.settings().otp;
        let caps = FailureCaps {
            per_session: config.max_failures_per_session,
            per_number: config.max_failures_per_number,
            since: now.saturating_sub(24 * 3600 * 1000),
        };
        let attempt = self
            .store
            .otp_attempt(&session.id, matches, caps, now)
            .await?;
        let id = Some(session.id.clone());
        let verdict = match attempt {
            Attempt::Verified => OtpVerdict {
                valid: true,
                reason: None,
                attempts_left: 0,
                session_id: id,
            },
            Attempt::Wrong { attempts_left } => {
                OtpVerdict::invalid("invalid_code", attempts_left, id)
            }
            Attempt::Expired => OtpVerdict::invalid("expired", 0, id),
            Attempt::NotActive(OtpStatus::Verified) => OtpVerdict::invalid("already_used", 0, id),
            Attempt::NotActive(OtpStatus::Locked) => OtpVerdict::invalid("locked", 0, id),
            Attempt::NotActive(OtpStatus::Superseded) => OtpVerdict::invalid("superseded", 0, id),
            Attempt::NotActive(_) => OtpVerdict::invalid("no_active_code", 0, id),
        };
        self.metrics().otp_checked(match verdict.reason {
            None => "verified",
            Some("locked") => "locked",
            // The last allowed attempt failed: the code is locked now.
            Some("invalid_code") if verdict.attempts_left == 0 => "locked",
            Some(_) => "failed",
        });
        tracing::info!(session = %session.id, valid = verdict.valid, reason = verdict.reason.unwrap_or("-"), "OTP checked");
        Ok(verdict)
    }

    /// Sends a new code for `session_id`, invalidating the previous one.
    pub async fn otp_resend(
        &self,
        session_id: &str,
        caller: &Caller,
    ) -> Result<OtpIssued, ServiceError> {
        let now = self.now();
        self.guards().otp_request(caller, now)?;
        let session = self
            .store
            .otp_session(session_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("OTP session {session_id}")))?;
        self.resend_code(&session, now).await
    }

    /// The resend itself. The new code is queued before it replaces the old one, so a
    /// resend that fails (a limit, a store error) leaves the old code working; the store
    /// re-checks the session when it swaps them.
    pub(super) async fn resend_code(
        &self,
        session: &OtpSession,
        now: Millis,
    ) -> Result<OtpIssued, ServiceError> {
        let config = &self.settings().otp;
        let refused = |refusal: Resend| match refusal {
            Resend::Cooldown { allowed_at } => ServiceError::RateLimited {
                scope: "resend".into(),
                retry_after: Duration::from_millis(u64::try_from(allowed_at - now).unwrap_or(1)),
            },
            Resend::NotActive(status) => ServiceError::Conflict(format!(
                "session {} is {}; generate a new code",
                session.id,
                status.as_str()
            )),
            Resend::Exhausted | Resend::Renewed { .. } => ServiceError::Conflict(format!(
                "session {} was resent {} times already; generate a new code",
                session.id, config.max_resends
            )),
        };
        if session.status != OtpStatus::Active {
            return Err(refused(Resend::NotActive(session.status)));
        }
        let allowed_at = session
            .last_sent_at
            .saturating_add(self.resend_cooldown_ms());
        if now < allowed_at {
            return Err(refused(Resend::Cooldown { allowed_at }));
        }
        if session.resends >= config.max_resends {
            return Err(refused(Resend::Exhausted));
        }
        let shape = &session.shape;
        let code = generate_code(
            usize::try_from(shape.length).unwrap_or(6),
            shape.alphanumeric,
        );
        let expires_at = now + minutes_ms(shape.expiry_minutes);
        self.guards().otp_code(&session.phone, now)?;
        if let Err(e) = self.take_shared_otp_code(&session.phone, now).await {
            self.guards().refund_otp_code(&session.phone, now);
            return Err(e);
        }
        let message_id = match self
            .send_code(&session.phone, &session.id, shape, &code, expires_at)
            .await
        {
            Ok(id) => id,
            Err(e) => {
                self.guards().refund_otp_code(&session.phone, now);
                self.refund_shared_otp_code(&session.phone, now).await;
                return Err(e);
            }
        };
        let rules = ResendRules {
            code_hash: self
                .settings()
                .otp_keys
                .code_hash(&session.id, &code)
                .to_vec(),
            expires_at,
            cooldown_ms: self.resend_cooldown_ms(),
            max_resends: config.max_resends,
            message: message_id,
        };
        let swapped = self.store.otp_resend(&session.id, rules, now).await;
        match swapped {
            Ok(Resend::Renewed {
                previous_message, ..
            }) => {
                self.cancel_stale_codes(previous_message.into_iter().collect())
                    .await;
            }
            other => {
                // Another request won the race (or the store failed): the new code must not
                // go out, and it cost the number nothing.
                self.cancel_stale_codes(vec![message_id]).await;
                self.guards().refund_otp_code(&session.phone, now);
                self.refund_shared_otp_code(&session.phone, now).await;
                return Err(match other {
                    Ok(refusal) => refused(refusal),
                    Err(e) => e.into(),
                });
            }
        }
        tracing::info!(session = %session.id, message = %message_id, "OTP resent");
        Ok(OtpIssued {
            session_id: session.id.clone(),
            phone_number: session.phone.clone(),
            message_id,
            expires_at,
            length: shape.length,
            expiry_minutes: shape.expiry_minutes,
            resend_available_at: now + self.resend_cooldown_ms(),
        })
    }

    /// A session's state.
    pub async fn otp_session(
        &self,
        session_id: &str,
        caller: &Caller,
    ) -> Result<OtpSessionView, ServiceError> {
        self.guards().otp_request(caller, self.now())?;
        let s = self
            .store
            .otp_session(session_id)
            .await?
            .filter(|s| s.status != OtpStatus::Pending)
            .ok_or_else(|| ServiceError::NotFound(format!("OTP session {session_id}")))?;
        Ok(session_view(s, self.now()))
    }

    /// The newest sessions that were sent, newest first, as [`Service::otp_session`] shows
    /// them (never a code; the number masked), and how the sessions of the last `window`
    /// ended — for the console's OTP page.
    pub async fn otp_recent(
        &self,
        limit: usize,
        window: Duration,
    ) -> Result<(Vec<OtpSessionView>, OtpOutcomes), ServiceError> {
        let now = self.now();
        let sessions = self
            .store
            .otp_recent(limit)
            .await?
            .into_iter()
            .map(|s| session_view(s, now))
            .collect();
        let window = Millis::try_from(window.as_millis()).unwrap_or(Millis::MAX);
        let since = now.saturating_sub(window);
        let by_status: BTreeMap<String, u64> = self
            .store
            .otp_outcomes(since, now)
            .await?
            .into_iter()
            .collect();
        let count = |s: &str| by_status.get(s).copied().unwrap_or(0);
        let total: u64 = by_status.values().sum();
        let verified = count("verified");
        // Sessions still open have no outcome yet; a superseded one was replaced by a
        // resend-by-generate and is not a failure of the user either.
        let decided = total.saturating_sub(count("active") + count("superseded"));
        let success_rate = if decided == 0 {
            0.0
        } else {
            (verified as f64 * 10_000.0 / decided as f64).round() / 100.0
        };
        Ok((
            sessions,
            OtpOutcomes {
                since,
                total,
                verified,
                success_rate,
                by_status,
            },
        ))
    }

    /// Removes sessions created more than `age` ago that can no longer be verified.
    pub async fn purge_otp_sessions(&self, age: Duration) -> Result<usize, ServiceError> {
        let now = self.now();
        let age = Millis::try_from(age.as_millis()).unwrap_or(Millis::MAX);
        Ok(self.store.otp_purge(now.saturating_sub(age), now).await?)
    }

    /// The text of an OTP message from a template: its `{{otp}}` (or `{{code}}`) and
    /// `{{expiry}}` become the `{otp}` and `{expiry}` every OTP text uses.
    async fn otp_text_from_template(&self, template_id: &str) -> Result<String, ServiceError> {
        let variables: BTreeMap<String, String> =
            [("otp", "{otp}"), ("code", "{otp}"), ("expiry", "{expiry}")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        let rendered = self
            .render_template(template_id, &variables)
            .await
            .map_err(|e| match e {
                ServiceError::Invalid { field, reason } if field.starts_with("template_variables") => {
                    ServiceError::invalid(
                        "template_id",
                        format!("an OTP fills only {{{{otp}}}}, {{{{code}}}} and {{{{expiry}}}}: {reason}"),
                    )
                }
                other => other,
            })?;
        if !rendered.text.contains("{otp}") {
            return Err(ServiceError::invalid(
                "template_id",
                format!("template {template_id} has no {{{{otp}}}} or {{{{code}}}} placeholder for the code"),
            ));
        }
        Ok(rendered.text)
    }
}
