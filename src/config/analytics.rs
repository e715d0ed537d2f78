//! `[analytics]`: how the analytics API reports costs. Layer 0 like the rest of the config.

use super::ConfigError;
use serde::Deserialize;

/// `[analytics]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnalyticsConfig {
    /// The currency costs are counted in (`USD`): an ISO 4217 code, three capital letters.
    /// Modem `cost_per_segment` values and provider prices are taken to be in it.
    pub currency: String,
}

impl Default for AnalyticsConfig {
    fn default() -> Self {
        Self {
            currency: "USD".into(),
        }
    }
}

/// Checks `[analytics]`.
pub(super) fn validate(c: &AnalyticsConfig) -> Result<(), ConfigError> {
    let code = &c.currency;
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ConfigError::new(
            "analytics.currency",
            format!("{code:?} is not an ISO 4217 code (three capital letters, like \"USD\")"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_codes_are_three_capitals() {
        assert!(validate(&AnalyticsConfig::default()).is_ok());
        for bad in ["usd", "US", "EURO", "€"] {
            let err = validate(&AnalyticsConfig {
                currency: bad.into(),
            })
            .unwrap_err();
            assert!(err.to_string().contains("analytics.currency"), "{err}");
        }
    }
}
