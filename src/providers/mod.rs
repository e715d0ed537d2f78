//! Cloud SMS providers as routes (layer 1): one file per provider — `twilio`, `aws_sns`,
//! `vonage`, `plivo` — each a [`Route`] over its own `reqwest` client, and [`build`], which
//! makes the configured ones. `http.rs` holds what they share: timeouts, the classification
//! of transport failures and HTTP statuses, `Retry-After`, the per-second limit and the
//! snapshot. `docs/providers.md` documents what each sends and how its errors map.
//!
//! Never imports `modem/`, `store/`, `dispatch/`, `service/` or `http/` (`.ci/layers`
//! checks): the dispatcher sees a provider only as a `dyn Route`.
//!
//! Invariants: a request that provably never left (connect, DNS, refused) is
//! `RetryElsewhere`; a request that may have been sent and got no usable answer is
//! `Ambiguous`, never reported as anything safer; 401/403 take the route out of the balancer
//! for [`http::BROKEN_PAUSE`], a 429 for its `Retry-After`; message texts and credentials
//! never appear in errors or logs.

pub mod aws_sns;
pub mod http;
pub mod numbers;
pub mod plivo;
pub mod signatures;
pub mod twilio;
pub mod vonage;

use crate::config::{ConfigError, ProvidersConfig};
use crate::route::Route;
use std::sync::Arc;

/// The configured providers as routes, named `twilio`, `aws_sns`, `vonage`, `plivo` (in
/// that order; an unconfigured provider is left out). An error names the config key.
pub fn build(config: &ProvidersConfig) -> Result<Vec<Arc<dyn Route>>, ConfigError> {
    let callback = config.callback_base_url.as_deref();
    let mut routes: Vec<Arc<dyn Route>> = Vec::new();
    if let Some(c) = &config.twilio {
        routes.push(Arc::new(twilio::TwilioRoute::new(c, callback)?));
    }
    if let Some(c) = &config.aws_sns {
        routes.push(Arc::new(aws_sns::AwsSnsRoute::new(c)?));
    }
    if let Some(c) = &config.vonage {
        routes.push(Arc::new(vonage::VonageRoute::new(c, callback)?));
    }
    if let Some(c) = &config.plivo {
        routes.push(Arc::new(plivo::PlivoRoute::new(c, callback)?));
    }
    Ok(routes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn build_makes_the_configured_routes_by_name() {
        assert!(build(&ProvidersConfig::default()).unwrap().is_empty());
        let c = Config::from_toml(
            r#"
[providers.twilio]
account_sid = "AC0123456789abcdef0123456789abcdef"
auth_token = "t"
from = "+15005550006"
[providers.aws_sns]
region = "us-east-1"
access_key_id = "a"
secret_access_key = "s"
[providers.vonage]
api_key = "k"
api_secret = "s"
from = "Acme"
[providers.plivo]
auth_id = "MAXXXXXXXXXXXXXXXXXX"
auth_token = "t"
from = "14155550100"
"#,
            &|_| None,
        )
        .unwrap();
        let routes = build(&c.providers).unwrap();
        let names: Vec<&str> = routes.iter().map(|r| r.name()).collect();
        assert_eq!(names, ["twilio", "aws_sns", "vonage", "plivo"]);
        for r in &routes {
            let s = r.snapshot();
            assert_eq!(s.name, r.name());
            assert!(s.ready);
            assert_eq!(s.in_flight, 0);
            assert_eq!(s.allowance, None);
        }
    }
}
