//! `[discovery]` and the identity keys of `[[modems]]` (`imei`, `iccid`, `imsi`): where the
//! daemon looks for modems that are named by identity rather than by port, and whether it
//! adopts modems nobody configured. Layer 0 like the rest of the config: the globs are
//! checked here as text; listing and probing them is `modem::discovery`'s.

use super::ModemEntry;
use serde::Deserialize;

/// `[discovery]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiscoveryConfig {
    /// Globs of candidate AT ports (`*` and `?` in the last path component only). Looked at
    /// only when some `[[modems]]` entry has no `port`, or `adopt_unknown` is set.
    pub ports: Vec<String>,
    /// Whether modems no entry names join the fleet with default settings (false).
    pub adopt_unknown: bool,
    /// The slow rescan that backs up the file-system watch, in seconds (60).
    pub rescan_secs: u64,
    /// How long a candidate port has to answer each probe command, in milliseconds (1500).
    pub probe_timeout_ms: u64,
}

/// The default `[discovery] ports`.
pub const DEFAULT_DISCOVERY_PORTS: [&str; 4] = [
    "/dev/smsgate/*",
    "/dev/serial/by-id/*",
    "/dev/ttyUSB*",
    "/dev/ttyACM*",
];

impl Default for DiscoveryConfig {
    fn default() -> Self {
        Self {
            ports: DEFAULT_DISCOVERY_PORTS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            adopt_unknown: false,
            rescan_secs: 60,
            probe_timeout_ms: 1500,
        }
    }
}

impl DiscoveryConfig {
    /// Whether discovery has anything to do for these modems: some enabled entry has no
    /// port, or unknown modems are adopted.
    pub fn needed(&self, modems: &[ModemEntry]) -> bool {
        self.adopt_unknown || modems.iter().any(|m| m.enabled && m.port.is_empty())
    }
}

impl ModemEntry {
    /// Whether the entry names the modem by IMEI, ICCID or IMSI.
    pub fn has_identity(&self) -> bool {
        self.imei.is_some() || self.iccid.is_some() || self.imsi.is_some()
    }

    /// How the entry names its modem, for logs: `port /dev/ttyUSB2`, `imei 3520…`.
    pub fn locator(&self) -> String {
        let mut parts = Vec::new();
        if !self.port.is_empty() {
            parts.push(format!("port {}", self.port));
        }
        for (key, value) in [
            ("imei", &self.imei),
            ("iccid", &self.iccid),
            ("imsi", &self.imsi),
        ] {
            if let Some(v) = value {
                parts.push(format!("{key} {v}"));
            }
        }
        parts.join(" ")
    }
}

/// Checks a glob: absolute, wildcards (`*`, `?`) only in the last component.
pub(super) fn glob(pattern: &str) -> Result<(), String> {
    if !pattern.starts_with('/') {
        return Err(format!(
            "{pattern:?} is not an absolute path such as \"/dev/ttyUSB*\""
        ));
    }
    let (dir, name) = pattern.rsplit_once('/').unwrap_or(("", pattern));
    if name.is_empty() {
        return Err(format!(
            "{pattern:?} ends with '/': name the files, e.g. \"{pattern}*\""
        ));
    }
    if dir.contains(['*', '?', '[']) || name.contains('[') {
        return Err(format!(
            "{pattern:?}: only '*' and '?' in the last path component are supported"
        ));
    }
    Ok(())
}

/// IMEI, ICCID, IMSI: digits only (an ICCID may end in `F` on some modems), bounded.
pub(super) fn identity(key: &str, value: &str) -> Result<(), String> {
    let (min, max) = match key {
        "imei" => (14, 16),
        "iccid" => (18, 22),
        _ => (6, 15),
    };
    let digits = value.trim_end_matches(['F', 'f']);
    if value.trim() != value
        || !(min..=max).contains(&value.len())
        || digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(format!(
            "{value:?} is not an {}: {min} to {max} digits, written as a string",
            key.to_uppercase()
        ));
    }
    Ok(())
}

/// `[discovery]` on its own.
pub(super) fn validate(d: &DiscoveryConfig) -> Result<(), super::ConfigError> {
    use super::ConfigError;
    for (i, pattern) in d.ports.iter().enumerate() {
        glob(pattern).map_err(|why| ConfigError::new(format!("discovery.ports[{i}]"), why))?;
    }
    if d.rescan_secs == 0 || d.rescan_secs > 86_400 {
        return Err(ConfigError::new(
            "discovery.rescan_secs",
            format!("{} is not 1 to 86400 seconds", d.rescan_secs),
        ));
    }
    if !(100..=60_000).contains(&d.probe_timeout_ms) {
        return Err(ConfigError::new(
            "discovery.probe_timeout_ms",
            format!("{} is not 100 to 60000 milliseconds", d.probe_timeout_ms),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_are_absolute_with_wildcards_only_at_the_end() {
        assert!(glob("/dev/ttyUSB*").is_ok());
        assert!(glob("/dev/serial/by-id/*").is_ok());
        assert!(glob("/dev/tty?").is_ok());
        assert!(glob("ttyUSB*").is_err());
        assert!(glob("/dev/*/ttyUSB0").is_err());
        assert!(glob("/dev/").is_err());
        assert!(glob("/dev/tty[01]").is_err());
    }

    #[test]
    fn identities_are_digit_strings_of_their_length() {
        assert!(identity("imei", "352099001761481").is_ok());
        assert!(identity("imei", "35209900176148").is_ok());
        assert!(identity("imei", "3520990017614").is_err());
        assert!(identity("imei", "35209900176148x").is_err());
        assert!(identity("iccid", "8901260882217654321F").is_ok());
        assert!(identity("iccid", "89012608822176543210").is_ok());
        assert!(identity("iccid", "8901").is_err());
        assert!(identity("imsi", "001010000000001").is_ok());
        assert!(identity("imsi", " 001010000000001").is_err());
    }
}
