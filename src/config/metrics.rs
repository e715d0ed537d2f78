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
