//! `[callbacks]`: how status callbacks (`callback_url`, the Twilio-compatible
//! `StatusCallback`) are delivered and where they may go.
//!
//! Layer 0 like the rest of the config: imports only `url_policy` (the rule itself).
//! Invariant: a validated `[callbacks]` has a timeout of 1–300 s, 1–100 attempts, a global
//! bound of 1–1024 concurrent deliveries, a per-host bound of at least 1 and at most the
//! global one, and `allowed_hosts` entries that are host names, addresses or CIDR blocks.

use super::ConfigError;
use crate::url_policy::{parse_cidr, UrlPolicy};
use serde::Deserialize;

/// `[callbacks]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CallbacksConfig {
    /// Time limit of one delivery attempt, in seconds (10).
    pub timeout_secs: u64,
    /// Attempts before a callback is given up (10).
    pub max_attempts: u32,
    /// Deliveries in flight at once, over all hosts (32).
    pub concurrency: usize,
    /// Deliveries in flight at once to one host (4): a slow or silent endpoint holds at
    /// most this many of the `concurrency` slots.
    pub per_host: usize,
    /// Allow callback URLs on loopback, private, link-local and other non-public addresses
    /// (false: such URLs are refused when a message is accepted and when a name resolves to
    /// such an address at delivery).
    pub allow_private_networks: bool,
    /// Host names, addresses and CIDR blocks allowed even though they are not public
    /// (`["hooks.lan", "10.1.2.0/24"]`).
    pub allowed_hosts: Vec<String>,
}

impl Default for CallbacksConfig {
    fn default() -> Self {
        Self {
            timeout_secs: 10,
            max_attempts: 10,
            concurrency: 32,
            per_host: 4,
            allow_private_networks: false,
            allowed_hosts: Vec::new(),
        }
    }
}

impl CallbacksConfig {
    /// The rule callback URLs are checked with.
    pub fn url_policy(&self) -> UrlPolicy {
        UrlPolicy {
            allow_private: self.allow_private_networks,
            allowed_hosts: self.allowed_hosts.clone(),
        }
    }
}

/// Checks `[callbacks]`.
pub fn validate(c: &CallbacksConfig) -> Result<(), ConfigError> {
    if !(1..=300).contains(&c.timeout_secs) {
        return Err(ConfigError::new(
            "callbacks.timeout_secs",
            format!("{} is outside 1..=300", c.timeout_secs),
        ));
    }
    if !(1..=100).contains(&c.max_attempts) {
        return Err(ConfigError::new(
            "callbacks.max_attempts",
            format!("{} is outside 1..=100", c.max_attempts),
        ));
    }
    if !(1..=1024).contains(&c.concurrency) {
        return Err(ConfigError::new(
            "callbacks.concurrency",
            format!("{} is outside 1..=1024", c.concurrency),
        ));
    }
    if c.per_host == 0 || c.per_host > c.concurrency {
        return Err(ConfigError::new(
            "callbacks.per_host",
            format!(
                "{} must be 1 to callbacks.concurrency ({})",
                c.per_host, c.concurrency
            ),
        ));
    }
    for (i, host) in c.allowed_hosts.iter().enumerate() {
        let plain_name = !host.is_empty()
            && host.len() <= 253
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        if !plain_name && parse_cidr(host).is_none() {
            return Err(ConfigError::new(
                format!("callbacks.allowed_hosts[{i}]"),
                format!("{host:?} is not a host name, an IP address or a CIDR block such as \"10.1.2.0/24\""),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_bad_values_name_their_key() {
        assert!(validate(&CallbacksConfig::default()).is_ok());
        let bad = |f: fn(&mut CallbacksConfig), key: &str| {
            let mut c = CallbacksConfig::default();
            f(&mut c);
            assert_eq!(validate(&c).unwrap_err().key, key);
        };
        bad(|c| c.timeout_secs = 0, "callbacks.timeout_secs");
        bad(|c| c.max_attempts = 0, "callbacks.max_attempts");
        bad(|c| c.concurrency = 0, "callbacks.concurrency");
        bad(|c| c.per_host = 64, "callbacks.per_host");
        bad(
            |c| c.allowed_hosts = vec!["http://x/".into()],
            "callbacks.allowed_hosts[0]",
        );
        let c = CallbacksConfig {
            allowed_hosts: vec!["hooks.lan".into(), "10.0.0.0/8".into(), "::1".into()],
            ..CallbacksConfig::default()
        };
        assert!(validate(&c).is_ok());
    }
}
