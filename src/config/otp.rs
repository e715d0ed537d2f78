//! `[otp]` (codes, sessions, 2FA, their abuse limits) and `[limits]` (send rate limits and
//! duplicate suppression): types, defaults and validation.
//!
//! Layer 0 like the rest of `config/`: no I/O (the OTP secret file is read by the daemon).

use super::{ConfigError, Secret};
use serde::Deserialize;
use std::path::PathBuf;

/// `[otp]`: one-time codes and 2FA.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OtpConfig {
    /// The server secret codes are hashed and OTP texts sealed under (at least 32
    /// characters). None: a random secret generated once into `secret_file`.
    pub secret: Option<Secret>,
    /// Where the generated secret is kept (mode 0600). Default: `otp.key` beside the database.
    pub secret_file: Option<PathBuf>,
    /// Digits (or characters) of a code when the request does not say (6; `min_length`–10).
    pub length: usize,
    /// The shortest code a request may ask for (6; 4–10): every code is guessed with
    /// probability at most `max_failures_per_session / 10^min_length`.
    pub min_length: usize,
    /// Lifetime of a code when the request does not say, in minutes (5).
    pub expiry_minutes: u32,
    /// The longest lifetime a request may ask for, in minutes (60).
    pub max_expiry_minutes: u32,
    /// Wrong codes after which a session's current code is locked (5).
    pub max_attempts: u32,
    /// Wrong codes a session may take over all its resent codes (10); a resend never gives
    /// more guesses than this in all.
    pub max_failures_per_session: u32,
    /// Wrong codes one number may take in 24 hours over all its sessions (20); beyond it,
    /// its codes are locked until the day has passed.
    pub max_failures_per_number: u32,
    /// Seconds between two sends of one session (60).
    pub resend_cooldown_secs: u64,
    /// Resends one session allows (3); then a new code must be generated.
    pub max_resends: u32,
    /// The text when the request gives none; `{otp}` is the code, `{expiry}` the minutes.
    pub message: String,
    /// Codes sent to one number per minute (3; 0: no limit).
    pub per_phone_per_minute: u32,
    /// Codes sent to one number per hour (10; 0: no limit).
    pub per_phone_per_hour: u32,
    /// OTP and 2FA requests from one client IP per minute (60; 0: no limit).
    pub per_ip_per_minute: u32,
    /// OTP and 2FA requests with one API key per minute (600; 0: no limit).
    pub per_api_key_per_minute: u32,
    /// Backup codes handed out when 2FA is confirmed (10).
    pub backup_codes: usize,
}

impl Default for OtpConfig {
    fn default() -> Self {
        Self {
            secret: None,
            secret_file: None,
            length: 6,
            min_length: 6,
            expiry_minutes: 5,
            max_expiry_minutes: 60,
            max_attempts: 5,
            max_failures_per_session: 10,
            max_failures_per_number: 20,
            resend_cooldown_secs: 60,
            max_resends: 3,
            message: "Your verification code is {otp}. It expires in {expiry} minutes.".into(),
            per_phone_per_minute: 3,
            per_phone_per_hour: 10,
            per_ip_per_minute: 60,
            per_api_key_per_minute: 600,
            backup_codes: 10,
        }
    }
}

/// `[limits]`: how fast the API accepts messages, and duplicate suppression.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Messages accepted per second, all clients together (0: no limit).
    pub per_second: u32,
    /// Messages accepted per minute (0: no limit).
    pub per_minute: u32,
    /// Messages accepted per hour (0: no limit).
    pub per_hour: u32,
    /// Messages accepted for one recipient per minute (0: no limit). OTP codes have their
    /// own limits in `[otp]`.
    pub per_recipient_per_minute: u32,
    /// Messages accepted for one recipient per hour (0: no limit).
    pub per_recipient_per_hour: u32,
    /// The same text to the same number within this many seconds is refused as a
    /// duplicate (60; 0: off). OTP codes are never duplicates of each other.
    pub duplicate_window_secs: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            per_second: 0,
            per_minute: 0,
            per_hour: 0,
            per_recipient_per_minute: 0,
            per_recipient_per_hour: 0,
            duplicate_window_secs: 60,
        }
    }
}

/// The shortest secret accepted.
pub const MIN_SECRET_LEN: usize = 32;

/// Checks `[otp]`.
pub(super) fn validate_otp(o: &OtpConfig) -> Result<(), ConfigError> {
    if let Some(secret) = &o.secret {
        if secret.expose().len() < MIN_SECRET_LEN {
            return Err(ConfigError::new(
                "otp.secret",
                format!(
                    "must be at least {MIN_SECRET_LEN} characters (try: openssl rand -hex 32), \
                     or leave it out to have one generated into otp.secret_file"
                ),
            ));
        }
    }
    if !(4..=10).contains(&o.min_length) {
        return Err(ConfigError::new(
            "otp.min_length",
            format!("{} is outside 4..=10", o.min_length),
        ));
    }
    if !(o.min_length..=10).contains(&o.length) {
        return Err(ConfigError::new(
            "otp.length",
            format!(
                "{} is outside otp.min_length ({})..=10",
                o.length, o.min_length
            ),
        ));
    }
    if o.max_expiry_minutes == 0 || o.max_expiry_minutes > 24 * 60 {
        return Err(ConfigError::new(
            "otp.max_expiry_minutes",
            "must be 1 to 1440 minutes",
        ));
    }
    if o.expiry_minutes == 0 || o.expiry_minutes > o.max_expiry_minutes {
        return Err(ConfigError::new(
            "otp.expiry_minutes",
            format!(
                "must be 1 to otp.max_expiry_minutes ({})",
                o.max_expiry_minutes
            ),
        ));
    }
    if o.max_failures_per_session < o.max_attempts {
        return Err(ConfigError::new(
            "otp.max_failures_per_session",
            format!("must be at least otp.max_attempts ({})", o.max_attempts),
        ));
    }
    if o.max_failures_per_number < o.max_failures_per_session {
        return Err(ConfigError::new(
            "otp.max_failures_per_number",
            format!(
                "must be at least otp.max_failures_per_session ({})",
                o.max_failures_per_session
            ),
        ));
    }
    if o.max_attempts == 0 {
        return Err(ConfigError::new("otp.max_attempts", "must be at least 1"));
    }
    if !o.message.contains("{otp}") {
        return Err(ConfigError::new(
            "otp.message",
            "must contain {otp}, where the code goes",
        ));
    }
    if o.backup_codes == 0 || o.backup_codes > 100 {
        return Err(ConfigError::new("otp.backup_codes", "must be 1 to 100"));
    }
    Ok(())
}

/// Checks `[limits]`.
pub(super) fn validate_limits(l: &LimitsConfig) -> Result<(), ConfigError> {
    if l.duplicate_window_secs > 7 * 24 * 3600 {
        return Err(ConfigError::new(
            "limits.duplicate_window_secs",
            "must be at most a week (604800)",
        ));
    }
    Ok(())
}
