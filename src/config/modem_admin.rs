//! Per-modem administration settings: the balance check by USSD and the SIM quotas. They
//! are keys of `[[modems]]` (`balance_ussd = "*100#"`, `quota_per_day = 500`…); on the
//! simulator, where there is no `[[modems]]`, the same keys go in
//! `[simulator.modem_settings.sim0]`.
//!
//! Pure (layer 0): parsing and validation only.

use super::{ConfigError, ModemEntry};
use serde::Deserialize;

/// The default `balance_regex`: the first number with a decimal part after "balance".
pub const DEFAULT_BALANCE_REGEX: &str = r"(?i)balance[^0-9]*(?P<amount>[0-9]+(?:[.,][0-9]+)?)";

/// Balance and quota settings of one modem.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModemAdminConfig {
    /// USSD code that answers the balance (`"*100#"`); none: no balance checks.
    pub balance_ussd: Option<String>,
    /// Where the amount is in the answer: the `amount` named group, else the first group.
    pub balance_regex: String,
    /// Seconds between balance checks (3600).
    pub balance_interval_secs: u64,
    /// Below this amount the balance is low (none: never).
    pub balance_low: Option<f64>,
    /// A low balance takes the modem out of rotation until it is above again (false).
    pub balance_low_disable: bool,
    /// Most segments per quota day (none: no cap).
    pub quota_per_day: Option<u64>,
    /// Most segments per quota month (none: no cap).
    pub quota_per_month: Option<u64>,
    /// Hour (UTC, 0–23) at which the quota day and month begin (0).
    pub quota_reset_hour: u8,
    /// Day of the month (1–28) on which the quota month begins (1).
    pub quota_reset_day: u8,
    /// Seconds a USSD request waits for the network's answer (30).
    pub ussd_timeout_secs: u64,
}

impl Default for ModemAdminConfig {
    fn default() -> Self {
        Self {
            balance_ussd: None,
            balance_regex: DEFAULT_BALANCE_REGEX.to_string(),
            balance_interval_secs: 3600,
            balance_low: None,
            balance_low_disable: false,
            quota_per_day: None,
            quota_per_month: None,
            quota_reset_hour: 0,
            quota_reset_day: 1,
            ussd_timeout_secs: 30,
        }
    }
}

impl ModemEntry {
    /// This modem's balance and quota settings.
    pub fn admin(&self) -> ModemAdminConfig {
        ModemAdminConfig {
            balance_ussd: self.balance_ussd.clone(),
            balance_regex: self
                .balance_regex
                .clone()
                .unwrap_or_else(|| DEFAULT_BALANCE_REGEX.to_string()),
            balance_interval_secs: self.balance_interval_secs.unwrap_or(3600),
            balance_low: self.balance_low,
            balance_low_disable: self.balance_low_disable,
            quota_per_day: self.quota_per_day,
            quota_per_month: self.quota_per_month,
            quota_reset_hour: self.quota_reset_hour.unwrap_or(0),
            quota_reset_day: self.quota_reset_day.unwrap_or(1),
            ussd_timeout_secs: self.ussd_timeout_secs.unwrap_or(30),
        }
    }
}

/// Checks one modem's settings; `key` makes the full key name (`modems[0].balance_regex`).
pub fn validate(c: &ModemAdminConfig, key: &dyn Fn(&str) -> String) -> Result<(), ConfigError> {
    if let Some(code) = &c.balance_ussd {
        let ok = !code.is_empty()
            && code.len() <= 182
            && code
                .chars()
                .all(|ch| ch.is_ascii_digit() || matches!(ch, '*' | '#' | '+'));
        if !ok {
            return Err(ConfigError::new(
                key("balance_ussd"),
                format!("{code:?} is not a USSD code: digits, '*', '#' and '+' only"),
            ));
        }
    }
    match regex::Regex::new(&c.balance_regex) {
        Ok(re) if re.captures_len() < 2 => {
            return Err(ConfigError::new(
                key("balance_regex"),
                "needs a capture group for the amount (named `amount`, or the first group)",
            ))
        }
        Ok(_) => {}
        Err(e) => return Err(ConfigError::new(key("balance_regex"), e.to_string())),
    }
    if c.balance_interval_secs == 0 {
        return Err(ConfigError::new(
            key("balance_interval_secs"),
            "must be at least 1",
        ));
    }
    if !(1..=180).contains(&c.ussd_timeout_secs) {
        return Err(ConfigError::new(key("ussd_timeout_secs"), "1–180 seconds"));
    }
    if c.quota_reset_hour > 23 {
        return Err(ConfigError::new(key("quota_reset_hour"), "0–23 (UTC)"));
    }
    if !(1..=28).contains(&c.quota_reset_day) {
        return Err(ConfigError::new(
            key("quota_reset_day"),
            "1–28 (every month has these days)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(c: &ModemAdminConfig) -> Result<(), String> {
        validate(c, &|k| format!("modems[0].{k}")).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_valid_and_bad_keys_are_named() {
        assert!(check(&ModemAdminConfig::default()).is_ok());
        let bad = ModemAdminConfig {
            balance_ussd: Some("*100#\"".into()),
            ..Default::default()
        };
        assert!(check(&bad).unwrap_err().contains("modems[0].balance_ussd"));
        let bad = ModemAdminConfig {
            balance_regex: "balance".into(),
            ..Default::default()
        };
        assert!(check(&bad).unwrap_err().contains("balance_regex"));
        let bad = ModemAdminConfig {
            quota_reset_day: 31,
            ..Default::default()
        };
        assert!(check(&bad).unwrap_err().contains("quota_reset_day"));
    }
}
