//! `[console]`: the web console the daemon serves at `/ui/`. Layer 0 like the rest of the
//! config.

use serde::Deserialize;

/// `[console]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    /// Serve the web console at `/ui/` (and redirect `/` there). On by default; `false`
    /// removes the routes (the JSON API is unchanged).
    pub enabled: bool,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self { enabled: true }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn the_console_is_on_by_default_and_can_be_turned_off() {
        let none = |_: &str| None;
        assert!(Config::from_toml("", &none).unwrap().console.enabled);
        let off = Config::from_toml("[console]\nenabled = false\n", &none).unwrap();
        assert!(!off.console.enabled);
        let err = Config::from_toml("[console]\nenable = false\n", &none).unwrap_err();
        assert!(err.to_string().contains("enable"), "{err}");
    }
}
