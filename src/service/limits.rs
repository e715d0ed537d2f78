//! Abuse limits of the façade: which sends are refused before they are stored — opted-out
//! recipients, duplicates, per-recipient and global rate limits — and the OTP limits per
//! phone number, client IP and API key.
//!
//! All limits are in memory (`crate::ratelimit`): they protect recipients and the modem
//! pool from loops and floods, and start afresh when the daemon restarts. A request that is
//! refused takes nothing from any limit; one whose store write fails gives back what it took.
//!
//! Per recipient a refusal drops just that recipient (listed in the answer's `rejected`);
//! a request whose every recipient is refused fails with the first refusal. Global limits
//! refuse the whole request (429). Codes the OTP service issues are never duplicates (resends
//! must go) and have their own per-number limits instead of the per-recipient ones; a client's
//! own `sms_type: otp` message is screened like any other.

use super::{Service, ServiceError};
use crate::config::{LimitsConfig, OtpConfig};
use crate::message::{Millis, SmsType};
use crate::ratelimit::{Denied, KeyedLimiter, RecentSet, Window};
use crate::store::NewMessage;
use serde::Serialize;
use std::net::IpAddr;
use std::time::Duration;

/// Who is calling: for the per-IP and per-key limits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    /// The client's address (none in in-process calls).
    pub ip: Option<IpAddr>,
    /// The name of the API key used (none when the API is open).
    pub api_key: Option<String>,
}

/// A recipient refused by policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedRecipient {
    /// Its position in the request's recipients.
    pub index: usize,
    /// E.164.
    pub to: String,
    /// `opted_out`, `duplicate` or `rate_limited`.
    pub code: &'static str,
    /// For people.
    pub reason: String,
    /// For `rate_limited`: when the recipient may get a message again, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
}

/// A recipient and its text.
type DuplicateKey = (String, String);

/// The limiters.
pub(super) struct Guards {
    otp_phone: KeyedLimiter<String>,
    otp_ip: KeyedLimiter<IpAddr>,
    otp_key: KeyedLimiter<String>,
    global: KeyedLimiter<()>,
    recipient: KeyedLimiter<String>,
    duplicates: RecentSet,
    twofa_failures: KeyedLimiter<String>,
}

/// What a send took from the limiters, to give back if it is not stored.
#[derive(Debug, Default)]
pub(super) struct Taken {
    at: Millis,
    recipients: Vec<String>,
    duplicates: Vec<DuplicateKey>,
    global: u32,
    /// What was taken in the shared database (several nodes; see `cluster.rs`): recipients
    /// counted, and units of the global limits.
    pub(super) shared_recipients: Vec<String>,
    pub(super) shared_global: u32,
}

impl Taken {
    /// When it was taken.
    pub(super) fn at(&self) -> Millis {
        self.at
    }
}

/// A send's screening as the shared limits see it: its messages so far (with their
/// positions in the request), those refused, and what was taken.
pub(super) struct SharedScreening {
    pub messages: Vec<NewMessage>,
    pub positions: Vec<usize>,
    pub rejected: Vec<RejectedRecipient>,
    pub taken: Taken,
}

impl Guards {
    /// Gives back the duplicate and per-recipient counts this node took at `at` for a
    /// message of `body` to `to` that was not stored after all.
    pub(super) fn refund_duplicate(&self, to: &str, body: &str, at: Millis) {
        self.duplicates
            .remove(&(to.to_string(), body.to_string()), at);
        self.recipient.refund(&to.to_string(), 1, at);
    }

    /// Gives back what this node took for `m`, which a shared limit refused.
    pub(super) fn refund_message(&self, taken: &mut Taken, m: &NewMessage) {
        let local = duplicate_key(m);
        self.duplicates.remove(&local, taken.at);
        taken.duplicates.retain(|d| *d != local);
        if let Some(at) = taken.recipients.iter().position(|r| *r == m.recipient) {
            taken.recipients.remove(at);
            self.recipient.refund(&m.recipient, 1, taken.at);
        }
    }
}

/// The messages a send may store, those it may not, and what it took.
pub(super) struct Screened {
    pub messages: Vec<NewMessage>,
    /// Each message's position in the request.
    pub positions: Vec<usize>,
    pub rejected: Vec<RejectedRecipient>,
    pub taken: Taken,
}

/// Wrong 2FA codes one user may give per quarter hour, over all sessions and backup codes.
const TWOFA_FAILURES_PER_15_MIN: u32 = 10;

fn retry_secs(d: Duration) -> u64 {
    d.as_millis()
        .div_ceil(1000)
        .try_into()
        .unwrap_or(u64::MAX)
        .max(1)
}

fn limited(scope: &str, denied: Denied) -> ServiceError {
    match denied {
        Denied::Later { retry_after, .. } => ServiceError::RateLimited {
            scope: scope.into(),
            retry_after,
        },
        Denied::TooLarge { window } => ServiceError::invalid(
            "to",
            format!(
                "the request alone exceeds the {scope} limit of {} per {} s",
                window.limit,
                window.period.as_secs()
            ),
        ),
    }
}

impl Guards {
    pub(super) fn new(otp: &OtpConfig, limits: &LimitsConfig) -> Self {
        Self {
            otp_phone: KeyedLimiter::new([
                Window::per_minute(otp.per_phone_per_minute),
                Window::per_hour(otp.per_phone_per_hour),
            ]),
            otp_ip: KeyedLimiter::new([Window::per_minute(otp.per_ip_per_minute)]),
            otp_key: KeyedLimiter::new([Window::per_minute(otp.per_api_key_per_minute)]),
            global: KeyedLimiter::new([
                Window::per_second(limits.per_second),
                Window::per_minute(limits.per_minute),
                Window::per_hour(limits.per_hour),
            ]),
            recipient: KeyedLimiter::new([
                Window::per_minute(limits.per_recipient_per_minute),
                Window::per_hour(limits.per_recipient_per_hour),
            ]),
            duplicates: RecentSet::new(Duration::from_secs(limits.duplicate_window_secs)),
            twofa_failures: KeyedLimiter::new([Window::new(
                TWOFA_FAILURES_PER_15_MIN,
                Duration::from_secs(15 * 60),
            )]),
        }
    }

    /// One OTP or 2FA request from `caller`: the per-IP and per-key limits.
    pub(super) fn otp_request(&self, caller: &Caller, now: Millis) -> Result<(), ServiceError> {
        if let Some(ip) = caller.ip {
            self.otp_ip
                .acquire(&ip, 1, now)
                .map_err(|d| limited("ip", d))?;
        }
        if let Some(key) = &caller.api_key {
            self.otp_key
                .acquire(key, 1, now)
                .map_err(|d| limited("api_key", d))?;
        }
        Ok(())
    }

    /// One code sent to `phone`: the per-number limits.
    pub(super) fn otp_code(&self, phone: &str, now: Millis) -> Result<(), ServiceError> {
        self.otp_phone
            .acquire(&phone.to_string(), 1, now)
            .map_err(|d| limited("phone", d))
    }

    /// Gives back a code counted against `phone` at `at` (the code was not sent).
    pub(super) fn refund_otp_code(&self, phone: &str, at: Millis) {
        self.otp_phone.refund(&phone.to_string(), 1, at);
    }

    /// Takes one attempt of a 2FA code for `user_id` (refused once the user gave too many
    /// wrong ones); a right code gives it back with [`Guards::twofa_right`]. Taking first
    /// makes the limit hold for parallel requests too.
    pub(super) fn twofa_attempt(&self, user_id: &str, now: Millis) -> Result<(), ServiceError> {
        self.twofa_failures
            .acquire(&user_id.to_string(), 1, now)
            .map_err(|d| limited("user", d))
    }

    /// The attempt taken at `at` was a right code: it does not count as a failure.
    pub(super) fn twofa_right(&self, user_id: &str, at: Millis) {
        self.twofa_failures.refund(&user_id.to_string(), 1, at);
    }

    /// Gives back what a send took.
    pub(super) fn refund(&self, taken: &Taken) {
        for r in &taken.recipients {
            self.recipient.refund(r, 1, taken.at);
        }
        for d in &taken.duplicates {
            self.duplicates.remove(d, taken.at);
        }
        self.global.refund(&(), taken.global, taken.at);
    }
}

fn duplicate_key(m: &NewMessage) -> DuplicateKey {
    (m.recipient.clone(), m.body.clone())
}

impl Service {
    /// Applies the send policies to prepared messages (see the module header).
    pub(super) async fn screen(
        &self,
        prepared: Vec<NewMessage>,
        sms_type: SmsType,
        issued_code: bool,
        now: Millis,
    ) -> Result<Screened, ServiceError> {
        let guards = &self.guards();
        let mut taken = Taken {
            at: now,
            ..Taken::default()
        };
        let blocked = self.opted_out(&prepared, sms_type).await?;
        let mut messages = Vec::with_capacity(prepared.len());
        // Each kept message's position in the request (for a later refusal).
        let mut positions = Vec::with_capacity(prepared.len());
        let mut rejected = Vec::new();
        for (index, m) in prepared.into_iter().enumerate() {
            let refuse =
                |code: &'static str, reason: String, retry: Option<Duration>| RejectedRecipient {
                    index,
                    to: m.recipient.clone(),
                    code,
                    reason,
                    retry_after_secs: retry.map(retry_secs),
                };
            if blocked.contains(&m.recipient) {
                rejected.push(refuse(
                    "opted_out",
                    format!(
                        "{} opted out of {} messages",
                        m.recipient,
                        sms_type.as_str()
                    ),
                    None,
                ));
                continue;
            }
            // A code this service issued has its own per-number limits and is never a
            // duplicate; anything a client sends — `sms_type: otp` too — is screened.
            if !issued_code {
                let key = duplicate_key(&m);
                if !guards.duplicates.insert(&key, now) {
                    rejected.push(refuse(
                        "duplicate",
                        format!(
                            "the same text went to {} within the duplicate window",
                            m.recipient
                        ),
                        None,
                    ));
                    continue;
                }
                taken.duplicates.push(key);
                if let Err(denied) = guards.recipient.acquire(&m.recipient, 1, now) {
                    let retry = match denied {
                        Denied::Later { retry_after, .. } => retry_after,
                        Denied::TooLarge { window } => window.period,
                    };
                    rejected.push(refuse(
                        "rate_limited",
                        format!("{} reached its per-recipient limit", m.recipient),
                        Some(retry),
                    ));
                    continue;
                }
                taken.recipients.push(m.recipient.clone());
            }
            positions.push(index);
            messages.push(m);
        }
        // Several nodes: what went through the others counts too (see `cluster.rs`).
        if !issued_code && !messages.is_empty() {
            let mut screening = SharedScreening {
                messages,
                positions,
                rejected,
                taken,
            };
            if let Err(e) = self.screen_shared(&mut screening, now).await {
                guards.refund(&screening.taken);
                self.refund_shared(&screening.taken).await;
                return Err(e);
            }
            (messages, positions, rejected, taken) = (
                screening.messages,
                screening.positions,
                screening.rejected,
                screening.taken,
            );
        }
        if messages.is_empty() {
            guards.refund(&taken);
            self.refund_shared(&taken).await;
            return Err(match rejected.into_iter().next() {
                Some(first) if first.code == "rate_limited" => ServiceError::RateLimited {
                    scope: "recipient".into(),
                    retry_after: Duration::from_secs(first.retry_after_secs.unwrap_or(1)),
                },
                Some(first) => ServiceError::Refused {
                    field: format!("to[{}].number", first.index),
                    code: first.code,
                    reason: first.reason,
                },
                None => ServiceError::invalid("to", "at least one recipient is required"),
            });
        }
        let count = u32::try_from(messages.len()).unwrap_or(u32::MAX);
        if let Err(denied) = guards.global.acquire(&(), count, now) {
            guards.refund(&taken);
            self.refund_shared(&taken).await;
            return Err(limited("global", denied));
        }
        taken.global = count;
        if !issued_code {
            if let Err(e) = self.take_shared_global(&mut taken, count, now).await {
                guards.refund(&taken);
                self.refund_shared(&taken).await;
                return Err(e);
            }
        }
        Ok(Screened {
            messages,
            positions,
            rejected,
            taken,
        })
    }

    /// The recipients of `prepared` the opt-out list blocks for `sms_type`.
    async fn opted_out(
        &self,
        prepared: &[NewMessage],
        sms_type: SmsType,
    ) -> Result<std::collections::HashSet<String>, ServiceError> {
        if !self.optout_blocks(sms_type) {
            return Ok(std::collections::HashSet::new());
        }
        self.opted_out_among(prepared.iter().map(|m| m.recipient.clone()).collect())
            .await
    }
}
