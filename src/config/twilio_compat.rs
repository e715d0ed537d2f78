//! `[twilio_compat]`: the credentials of the Twilio-compatible API (`http/twilio_compat.rs`)
//! and the URL it is reached at.
//!
//! Layer 0 like the rest of `config/`: imports only `config` itself. Invariant: a validated
//! section has an `AC` + 32 hex account sid, an auth token of at least 16 characters, and a
//! `public_url` (if any) that is an http(s) URL without a trailing slash.

use super::{ConfigError, Secret};
use serde::Deserialize;

/// `[twilio_compat]`: present = the `/2010-04-01/…` routes are served.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TwilioCompatConfig {
    /// The account sid clients use as Basic-auth user and in the path (`AC` + 32 hex).
    pub account_sid: String,
    /// The auth token: Basic-auth password, and the key status callbacks are signed with.
    pub auth_token: Secret,
    /// The URL clients reach this API at, when it differs from what the daemon sees (behind
    /// a reverse proxy): `https://sms.example.com`. Shown in the start-up log; the resource
    /// `uri`s stay relative, as Twilio's are, so clients resolve them against their own
    /// base URL either way.
    pub public_url: Option<String>,
}

impl Default for TwilioCompatConfig {
    fn default() -> Self {
        Self {
            account_sid: String::new(),
            auth_token: Secret::new(""),
            public_url: None,
        }
    }
}

/// Shortest auth token accepted (Twilio's are 32 hex digits).
pub const MIN_AUTH_TOKEN_LEN: usize = 16;

pub(super) fn validate(c: &TwilioCompatConfig) -> Result<(), ConfigError> {
    let sid = &c.account_sid;
    if !(sid.len() == 34
        && sid.starts_with("AC")
        && sid.bytes().skip(2).all(|b| b.is_ascii_hexdigit()))
    {
        return Err(ConfigError::new(
            "twilio_compat.account_sid",
            "must be AC followed by 32 hex digits (AC0123…)",
        ));
    }
    let token = c.auth_token.expose();
    if token.chars().count() < MIN_AUTH_TOKEN_LEN || token.trim() != token {
        return Err(ConfigError::new(
            "twilio_compat.auth_token",
            format!("must be at least {MIN_AUTH_TOKEN_LEN} characters, without surrounding spaces"),
        ));
    }
    if let Some(url) = &c.public_url {
        if !(url.starts_with("http://") || url.starts_with("https://"))
            || url.ends_with('/')
            || url.contains(char::is_whitespace)
        {
            return Err(ConfigError::new(
                "twilio_compat.public_url",
                "must be an http(s) URL without a trailing slash (https://sms.example.com)",
            ));
        }
    }
    Ok(())
}
