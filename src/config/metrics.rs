//! `[metrics]`: who may scrape `GET /metrics`. Layer 0 like the rest of the config.

use serde::Deserialize;

/// `[metrics]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Serve `/metrics` without an API key (for a scraper on the LAN). Off by default: a
    /// key with scope `metrics` (or `admin`) is needed once API keys are configured.
    pub public: bool,
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, Scope};

    #[test]
    fn metrics_public_and_the_metrics_scope_parse_from_toml() {
        let none = |_: &str| None;
        let config = Config::from_toml("[metrics]\npublic = true\n", &none).unwrap();
        assert!(config.metrics.public);
        assert!(!Config::from_toml("", &none).unwrap().metrics.public);
        let err = Config::from_toml("[metrics]\npublik = true\n", &none).unwrap_err();
        assert!(err.to_string().contains("publik"), "{err}");
        assert_eq!(Scope::parse("metrics"), Some(Scope::Metrics));
        assert_eq!("metrics".parse::<Scope>(), Ok(Scope::Metrics));
    }
}
