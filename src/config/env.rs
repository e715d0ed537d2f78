//! The `SMSGATE_*` environment overrides, applied after the file and before validation.

use super::{Config, ConfigError, Durability, Strategy};
use std::net::SocketAddr;
use std::path::PathBuf;

/// The variables, the key each overrides, and what its value looks like.
pub(super) const VARIABLES: &[(&str, &str, &str)] = &[
    (
        "SMSGATE_LISTEN",
        "server.listen",
        "an address and port such as 127.0.0.1:8080",
    ),
    ("SMSGATE_DB", "storage.path", "a file path"),
    ("SMSGATE_DURABILITY", "storage.durability", "full or normal"),
    (
        "SMSGATE_SIM_MODEMS",
        "simulator.modems",
        "a number of modems, 0 to 256",
    ),
    (
        "SMSGATE_SIM_LATENCY_MS",
        "simulator.latency_ms",
        "milliseconds (500) or MIN-MAX (200-800)",
    ),
    (
        "SMSGATE_STRATEGY",
        "dispatch.strategy",
        "round-robin, least-loaded, weighted, prefix or sticky",
    ),
    (
        "SMSGATE_OTP_SECRET",
        "otp.secret",
        "a secret of at least 32 characters",
    ),
    (
        "SMSGATE_MAX_ATTEMPTS",
        "dispatch.max_attempts",
        "a number of attempts, at least 1",
    ),
];

/// Applies the overrides `env` returns (an empty value counts as unset), then validates.
/// A value that does not parse, or that validation refuses, is an error naming the variable.
pub(super) fn apply(
    config: &mut Config,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), ConfigError> {
    super::auto_reply::apply_env(&mut config.ai, env);
    // The seed's provider variables (`TWILIO_ACCOUNT_SID`, …) fill only sections the file
    // left out; no `SMSGATE_*` variable names a provider, so nothing below overrides them.
    let from_seed_env = super::provider_env::apply(&mut config.providers, env);
    let mut used: Vec<(&str, &str)> = Vec::new();
    for &(name, key, expected) in VARIABLES {
        let Some(value) = env(name).filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        let value = value.trim();
        let bad = || {
            ConfigError::new(
                name,
                format!("{value:?} is not valid (overrides {key}): expected {expected}"),
            )
        };
        match name {
            "SMSGATE_LISTEN" => {
                config.server.listen = value.parse::<SocketAddr>().map_err(|_| bad())?;
            }
            "SMSGATE_DB" => config.storage.path = PathBuf::from(value),
            "SMSGATE_OTP_SECRET" => config.otp.secret = Some(super::Secret::new(value)),
            "SMSGATE_DURABILITY" => {
                config.storage.durability = Durability::parse(value).ok_or_else(bad)?;
            }
            "SMSGATE_SIM_MODEMS" => config.simulator.modems = value.parse().map_err(|_| bad())?,
            "SMSGATE_SIM_LATENCY_MS" => {
                config.simulator.latency_ms = parse_range(value).ok_or_else(bad)?;
            }
            "SMSGATE_STRATEGY" => {
                config.dispatch.strategy = Strategy::parse(value).ok_or_else(bad)?;
            }
            "SMSGATE_MAX_ATTEMPTS" => {
                config.dispatch.max_attempts = value.parse().map_err(|_| bad())?;
            }
            _ => continue,
        }
        used.push((name, key));
    }
    config.validate().map_err(|err| {
        // A rule broken by an override names the variable: that is where the fix goes.
        match used.iter().find(|(_, key)| *key == err.key) {
            Some((name, key)) => {
                ConfigError::new(*name, format!("{} (overrides {key})", err.reason))
            }
            None => match from_seed_env.iter().find(|(_, key)| *key == err.key) {
                Some((name, key)) => {
                    ConfigError::new(*name, format!("{} (sets {key})", err.reason))
                }
                None => err,
            },
        }
    })
}

/// `500` or `200-800`.
fn parse_range(value: &str) -> Option<(u64, u64)> {
    match value.split_once('-') {
        Some((min, max)) => Some((min.trim().parse().ok()?, max.trim().parse().ok()?)),
        None => value.parse().ok().map(|v| (v, v)),
    }
}
