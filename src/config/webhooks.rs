//! `[webhooks]`: where webhook subscriptions may deliver and how long an event is retried.
//!
//! Layer 0 like the rest of the config: imports only `url_policy` (the rule itself) and
//! `[callbacks]` (whose network rule subscriptions inherit when this section says nothing).
//! Invariant: a validated `[webhooks]` retries for 60 s to 7 days, backs off from 10 ms to
//! at most its own age limit, and its `allowed_hosts` entries are host names, addresses or
//! CIDR blocks.

use super::{CallbacksConfig, ConfigError};
use crate::url_policy::{parse_cidr, UrlPolicy};
use serde::Deserialize;

/// `[webhooks]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksConfig {
    /// Allow subscription URLs on loopback, private and link-local addresses (unset:
    /// `[callbacks] allow_private_networks`).
    pub allow_private: Option<bool>,
    /// Host names, addresses and CIDR blocks allowed although not public (unset:
    /// `[callbacks] allowed_hosts`).
    pub allowed_hosts: Option<Vec<String>>,
    /// How long an event is retried before it is given up, in seconds (86400: a day).
    pub max_age_secs: u64,
    /// The wait after a first failed attempt, doubling each time (2000 ms).
    pub backoff_initial_ms: u64,
    /// The longest wait between two attempts (3 600 000 ms: an hour).
    pub backoff_max_ms: u64,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        Self {
            allow_private: None,
            allowed_hosts: None,
            max_age_secs: 86_400,
            backoff_initial_ms: 2_000,
            backoff_max_ms: 3_600_000,
        }
    }
}

impl WebhooksConfig {
    /// The rule subscription URLs are checked with: this section's, else `[callbacks]`'s.
    pub fn url_policy(&self, callbacks: &CallbacksConfig) -> UrlPolicy {
        UrlPolicy {
            allow_private: self
                .allow_private
                .unwrap_or(callbacks.allow_private_networks),
            allowed_hosts: self
                .allowed_hosts
                .clone()
                .unwrap_or_else(|| callbacks.allowed_hosts.clone()),
        }
    }
}

/// Checks `[webhooks]`.
pub fn validate(c: &WebhooksConfig) -> Result<(), ConfigError> {
    if !(60..=7 * 86_400).contains(&c.max_age_secs) {
        return Err(ConfigError::new(
            "webhooks.max_age_secs",
            format!("{} is outside 60..=604800", c.max_age_secs),
        ));
    }
    if c.backoff_initial_ms < 10 || c.backoff_initial_ms > c.backoff_max_ms {
        return Err(ConfigError::new(
            "webhooks.backoff_initial_ms",
            format!(
                "{} must be 10 to webhooks.backoff_max_ms ({})",
                c.backoff_initial_ms, c.backoff_max_ms
            ),
        ));
    }
    if c.backoff_max_ms > c.max_age_secs.saturating_mul(1000) {
        return Err(ConfigError::new(
            "webhooks.backoff_max_ms",
            format!(
                "{} is longer than webhooks.max_age_secs ({} s)",
                c.backoff_max_ms, c.max_age_secs
            ),
        ));
    }
    for (i, host) in c.allowed_hosts.iter().flatten().enumerate() {
        let plain_name = !host.is_empty()
            && host.len() <= 253
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        if !plain_name && parse_cidr(host).is_none() {
            return Err(ConfigError::new(
                format!("webhooks.allowed_hosts[{i}]"),
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
        assert!(validate(&WebhooksConfig::default()).is_ok());
        let bad = |f: fn(&mut WebhooksConfig), key: &str| {
            let mut c = WebhooksConfig::default();
            f(&mut c);
            assert_eq!(validate(&c).unwrap_err().key, key);
        };
        bad(|c| c.max_age_secs = 0, "webhooks.max_age_secs");
        bad(|c| c.backoff_initial_ms = 1, "webhooks.backoff_initial_ms");
        bad(|c| c.backoff_max_ms = 1_000, "webhooks.backoff_initial_ms");
        bad(
            |c| {
                c.max_age_secs = 60;
                c.backoff_max_ms = 120_000;
            },
            "webhooks.backoff_max_ms",
        );
        bad(
            |c| c.allowed_hosts = Some(vec!["http://x/".into()]),
            "webhooks.allowed_hosts[0]",
        );
    }

    #[test]
    fn the_network_rule_is_inherited_from_callbacks_unless_set() {
        let callbacks = CallbacksConfig {
            allow_private_networks: true,
            allowed_hosts: vec!["hooks.lan".into()],
            ..CallbacksConfig::default()
        };
        let inherited = WebhooksConfig::default().url_policy(&callbacks);
        assert!(inherited.allow_private);
        assert_eq!(inherited.allowed_hosts, ["hooks.lan"]);
        let own = WebhooksConfig {
            allow_private: Some(false),
            allowed_hosts: Some(vec!["10.0.0.0/8".into()]),
            ..WebhooksConfig::default()
        }
        .url_policy(&callbacks);
        assert!(!own.allow_private);
        assert_eq!(own.allowed_hosts, ["10.0.0.0/8"]);
        assert!(own.check("http://127.0.0.1/x").is_err());
        assert!(own.check("http://10.2.3.4/x").is_ok());
    }
}
