//! `[providers]`: the cloud SMS providers used as routes besides the modems — Twilio,
//! AWS SNS, Vonage, Plivo — and the public URL their status callbacks come back to.
//!
//! Layer 0 like the rest of the config: no I/O, no HTTP client; `providers/` builds the
//! routes from these values. Invariants of a validated config: every configured provider
//! has its credentials and sender (none empty), every URL is an absolute `http(s)://` URL
//! with a host, timeouts are at least 1 ms and the connect timeout is not longer than the
//! total one, a cost is a finite number ≥ 0. Secrets are [`Secret`]s and never print.

use super::{ConfigError, Secret};
use serde::Deserialize;

/// Default total timeout of one provider request, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u64 = 15_000;
/// Default connect timeout of one provider request, in milliseconds.
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 3_000;

/// `[providers]`: the cloud providers (each section present = that provider configured).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProvidersConfig {
    /// Public base URL of this gateway for status callbacks (`https://gw.example.com`);
    /// none: no callback URL is sent to the providers.
    pub callback_base_url: Option<String>,
    /// `[providers.twilio]`.
    pub twilio: Option<TwilioConfig>,
    /// `[providers.aws_sns]`.
    pub aws_sns: Option<AwsSnsConfig>,
    /// `[providers.vonage]`.
    pub vonage: Option<VonageConfig>,
    /// `[providers.plivo]`.
    pub plivo: Option<PlivoConfig>,
}

/// The settings every provider has: timeouts, rate limit, cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProviderLimits {
    /// Total timeout of one request (connect, send, answer), in milliseconds.
    pub timeout_ms: u64,
    /// Connect timeout, in milliseconds.
    pub connect_timeout_ms: u64,
    /// Messages per second (0: no limit).
    pub per_second: u32,
    /// What one message costs when the provider's answer does not say.
    pub cost_per_message: Option<f64>,
}

/// `[providers.twilio]`: the Twilio Messages API.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TwilioConfig {
    /// `AC` + 32 hex digits.
    pub account_sid: String,
    /// The auth token (Basic auth password).
    pub auth_token: Secret,
    /// Sender: a Twilio number, short code or alphanumeric sender id.
    pub from: String,
    /// API base URL (`https://api.twilio.com`).
    pub base_url: String,
    /// Total timeout in ms.
    pub timeout_ms: u64,
    /// Connect timeout in ms.
    pub connect_timeout_ms: u64,
    /// Messages per second (0: no limit).
    pub per_second: u32,
    /// Cost of a message when the answer carries no price.
    pub cost_per_message: Option<f64>,
}

impl Default for TwilioConfig {
    fn default() -> Self {
        Self {
            account_sid: String::new(),
            auth_token: Secret::new(""),
            from: String::new(),
            base_url: "https://api.twilio.com".into(),
            timeout_ms: DEFAULT_TIMEOUT_MS,
            connect_timeout_ms: DEFAULT_CONNECT_TIMEOUT_MS,
            per_second: 0,
            cost_per_message: None,
        }
    }
}

/// `[providers.aws_sns]`: AWS SNS `Publish` to a phone number.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AwsSnsConfig {
    /// AWS region (`us-east-1`).
    pub region: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: Secret,
    /// Endpoint override (default `https://sns.{region}.amazonaws.com`).
    pub endpoint: Option<String>,
    /// `AWS.SNS.SMS.SenderID` (3–11 letters and digits, at least one letter).
    pub sender_id: Option<String>,
    /// Total timeout in ms.
    pub timeout_ms: u64,
    /// Connect timeout in ms.
    pub connect_timeout_ms: u64,
    /// Messages per second (0: no limit).
    pub per_second: u32,
    /// Cost of a message (SNS answers carry none).
    pub cost_per_message: Option<f64>,
}

impl Default for AwsSnsConfig {
    fn default() -> Self {
        Self {
            region: String::new(),
            access_key_id: String::new(),
            secret_access_key: Secret::new(""),
            endpoint: None,
            sender_id: None,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            connect_timeout_ms: DEFAULT_CONNECT_TIMEOUT_MS,
            per_second: 0,
            cost_per_message: None,
        }
    }
}

/// `[providers.vonage]`: the Vonage (Nexmo) SMS API.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VonageConfig {
    /// API key.
    pub api_key: String,
    /// API secret.
    pub api_secret: Secret,
    /// Sender number or alphanumeric sender id.
    pub from: String,
    /// Signature secret of signed webhooks (Vonage dashboard → API settings); when set,
    /// delivery receipts without a valid `sig` are refused. None: receipts are not signed.
    pub signature_secret: Option<Secret>,
    /// The HMAC of signed webhooks: `sha256` (default), `sha1` or `sha512`.
    pub signature_method: String,
    /// API base URL (`https://rest.nexmo.com`).
    pub base_url: String,
    /// Total timeout in ms.
    pub timeout_ms: u64,
    /// Connect timeout in ms.
    pub connect_timeout_ms: u64,
    /// Messages per second (0: no limit).
    pub per_second: u32,
    /// Cost of a message when the answer carries no price.
    pub cost_per_message: Option<f64>,
}

impl Default for VonageConfig {
    fn default() -> Self {
        Self {
            api_key: String::new(),
            api_secret: Secret::new(""),
            from: String::new(),
            signature_secret: None,
            signature_method: "sha256".into(),
            base_url: "https://rest.nexmo.com".into(),
            timeout_ms: DEFAULT_TIMEOUT_MS,
            connect_timeout_ms: DEFAULT_CONNECT_TIMEOUT_MS,
            per_second: 0,
            cost_per_message: None,
        }
    }
}

/// `[providers.plivo]`: the Plivo Message API.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlivoConfig {
    /// Auth id (Basic auth user, and part of the path).
    pub auth_id: String,
    /// Auth token.
    pub auth_token: Secret,
    /// Sender number.
    pub from: String,
    /// API base URL (`https://api.plivo.com`).
    pub base_url: String,
    /// Total timeout in ms.
    pub timeout_ms: u64,
    /// Connect timeout in ms.
    pub connect_timeout_ms: u64,
    /// Messages per second (0: no limit).
    pub per_second: u32,
    /// Cost of a message (Plivo's answer carries none).
    pub cost_per_message: Option<f64>,
}

impl Default for PlivoConfig {
    fn default() -> Self {
        Self {
            auth_id: String::new(),
            auth_token: Secret::new(""),
            from: String::new(),
            base_url: "https://api.plivo.com".into(),
            timeout_ms: DEFAULT_TIMEOUT_MS,
            connect_timeout_ms: DEFAULT_CONNECT_TIMEOUT_MS,
            per_second: 0,
            cost_per_message: None,
        }
    }
}

macro_rules! limits_of {
    ($t:ty) => {
        impl $t {
            /// Its timeouts, rate limit and cost.
            pub fn limits(&self) -> ProviderLimits {
                ProviderLimits {
                    timeout_ms: self.timeout_ms,
                    connect_timeout_ms: self.connect_timeout_ms,
                    per_second: self.per_second,
                    cost_per_message: self.cost_per_message,
                }
            }
        }
    };
}
limits_of!(TwilioConfig);
limits_of!(AwsSnsConfig);
limits_of!(VonageConfig);
limits_of!(PlivoConfig);

type Check = Result<(), ConfigError>;

fn required(key: String, value: &str) -> Check {
    if value.trim().is_empty() {
        return Err(ConfigError::new(key, "is required and must not be empty"));
    }
    Ok(())
}

/// Whether `url` is an absolute `http://` or `https://` URL with a host and no spaces.
pub fn is_http_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty()
                && !host.starts_with(':')
                && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

fn url(key: String, value: &str) -> Check {
    if !is_http_url(value) {
        return Err(ConfigError::new(
            key,
            format!("{value:?} is not an absolute http:// or https:// URL"),
        ));
    }
    Ok(())
}

/// A provider's API address: https, or plain http only to this machine (a local fake or
/// a TLS-terminating proxy on loopback) — the requests carry the account's credentials.
fn api_url(key: String, value: &str) -> Check {
    url(key.clone(), value)?;
    let parsed = url::Url::parse(value)
        .map_err(|e| ConfigError::new(key.clone(), format!("{value:?} is not a URL: {e}")))?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if parsed.scheme() == "http" && !loopback {
        return Err(ConfigError::new(
            key,
            format!("{value:?}: plain http is allowed only to a loopback address (credentials would cross the network in clear); use https"),
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(ConfigError::new(
            key,
            "must not contain credentials; they belong in the provider's own keys",
        ));
    }
    Ok(())
}

fn limits(section: &str, l: ProviderLimits) -> Check {
    let key = |k: &str| format!("providers.{section}.{k}");
    if l.timeout_ms == 0 {
        return Err(ConfigError::new(key("timeout_ms"), "must be at least 1"));
    }
    if l.connect_timeout_ms == 0 {
        return Err(ConfigError::new(
            key("connect_timeout_ms"),
            "must be at least 1",
        ));
    }
    if l.connect_timeout_ms > l.timeout_ms {
        return Err(ConfigError::new(
            key("connect_timeout_ms"),
            format!(
                "{} is longer than timeout_ms ({})",
                l.connect_timeout_ms, l.timeout_ms
            ),
        ));
    }
    if let Some(cost) = l.cost_per_message {
        if !cost.is_finite() || cost < 0.0 {
            return Err(ConfigError::new(
                key("cost_per_message"),
                "must be a number ≥ 0",
            ));
        }
    }
    Ok(())
}

pub(super) fn validate(p: &ProvidersConfig) -> Check {
    if let Some(u) = &p.callback_base_url {
        url("providers.callback_base_url".into(), u)?;
    }
    if let Some(t) = &p.twilio {
        let key = |k: &str| format!("providers.twilio.{k}");
        let sid = t.account_sid.trim();
        let hex = sid.get(2..).unwrap_or("");
        if !sid.starts_with("AC") || hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit())
        {
            return Err(ConfigError::new(
                key("account_sid"),
                "must be AC followed by 32 hex digits",
            ));
        }
        required(key("auth_token"), t.auth_token.expose())?;
        required(key("from"), &t.from)?;
        api_url(key("base_url"), &t.base_url)?;
        limits("twilio", t.limits())?;
    }
    if let Some(s) = &p.aws_sns {
        let key = |k: &str| format!("providers.aws_sns.{k}");
        required(key("region"), &s.region)?;
        if !s
            .region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(ConfigError::new(
                key("region"),
                format!("{:?} is not a region name such as \"us-east-1\"", s.region),
            ));
        }
        required(key("access_key_id"), &s.access_key_id)?;
        required(key("secret_access_key"), s.secret_access_key.expose())?;
        if let Some(e) = &s.endpoint {
            api_url(key("endpoint"), e)?;
        }
        if let Some(id) = &s.sender_id {
            let ok = (3..=11).contains(&id.chars().count())
                && id.chars().all(|c| c.is_ascii_alphanumeric())
                && id.chars().any(|c| c.is_ascii_alphabetic());
            if !ok {
                return Err(ConfigError::new(
                    key("sender_id"),
                    "must be 3–11 letters and digits with at least one letter",
                ));
            }
        }
        limits("aws_sns", s.limits())?;
    }
    if let Some(v) = &p.vonage {
        let key = |k: &str| format!("providers.vonage.{k}");
        required(key("api_key"), &v.api_key)?;
        required(key("api_secret"), v.api_secret.expose())?;
        required(key("from"), &v.from)?;
        if let Some(secret) = &v.signature_secret {
            required(key("signature_secret"), secret.expose())?;
        }
        if !matches!(v.signature_method.as_str(), "sha1" | "sha256" | "sha512") {
            return Err(ConfigError::new(
                key("signature_method"),
                format!(
                    "{:?} is not one of \"sha256\", \"sha1\", \"sha512\"",
                    v.signature_method
                ),
            ));
        }
        api_url(key("base_url"), &v.base_url)?;
        limits("vonage", v.limits())?;
    }
    if let Some(pl) = &p.plivo {
        let key = |k: &str| format!("providers.plivo.{k}");
        required(key("auth_id"), &pl.auth_id)?;
        if !pl.auth_id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ConfigError::new(
                key("auth_id"),
                "must be letters and digits only",
            ));
        }
        required(key("auth_token"), pl.auth_token.expose())?;
        required(key("from"), &pl.from)?;
        api_url(key("base_url"), &pl.base_url)?;
        limits("plivo", pl.limits())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml(text, &|_| None)
    }

    #[track_caller]
    fn refused(text: &str, key: &str) {
        match parse(text) {
            Ok(c) => panic!("{key}: accepted {c:?}"),
            Err(e) => assert_eq!(e.key, key, "{e}"),
        }
    }

    const FULL: &str = r#"
[providers]
callback_base_url = "https://gw.example.com"
[providers.twilio]
account_sid = "AC0123456789abcdef0123456789abcdef"
auth_token = "tok"
from = "+15005550006"
base_url = "http://127.0.0.1:9000"
timeout_ms = 2000
connect_timeout_ms = 500
per_second = 1
cost_per_message = 0.0075
[providers.aws_sns]
region = "eu-west-1"
access_key_id = "AKIDEXAMPLE"
secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
endpoint = "http://127.0.0.1:5055"
sender_id = "ACME"
[providers.vonage]
api_key = "abcd1234"
api_secret = "s3cret"
from = "AcmeInc"
signature_secret = "vsig"
signature_method = "sha512"
[providers.plivo]
auth_id = "MAXXXXXXXXXXXXXXXXXX"
auth_token = "ptok"
from = "14155550100"
"#;

    #[test]
    fn every_key_parses_with_its_defaults() {
        let c = parse(FULL).unwrap();
        let p = &c.providers;
        assert_eq!(
            p.callback_base_url.as_deref(),
            Some("https://gw.example.com")
        );
        let t = p.twilio.as_ref().unwrap();
        assert_eq!(t.base_url, "http://127.0.0.1:9000");
        assert_eq!(t.auth_token.expose(), "tok");
        assert_eq!(
            t.limits(),
            ProviderLimits {
                timeout_ms: 2000,
                connect_timeout_ms: 500,
                per_second: 1,
                cost_per_message: Some(0.0075)
            }
        );
        let s = p.aws_sns.as_ref().unwrap();
        assert_eq!(s.endpoint.as_deref(), Some("http://127.0.0.1:5055"));
        assert_eq!(s.sender_id.as_deref(), Some("ACME"));
        assert_eq!(s.timeout_ms, DEFAULT_TIMEOUT_MS);
        let v = p.vonage.as_ref().unwrap();
        assert_eq!(v.base_url, "https://rest.nexmo.com");
        assert_eq!(v.connect_timeout_ms, DEFAULT_CONNECT_TIMEOUT_MS);
        assert_eq!(
            v.signature_secret.as_ref().map(|s| s.expose()),
            Some("vsig")
        );
        assert_eq!(v.signature_method, "sha512");
        assert_eq!(VonageConfig::default().signature_method, "sha256");
        let pl = p.plivo.as_ref().unwrap();
        assert_eq!(pl.base_url, "https://api.plivo.com");
        assert_eq!(pl.per_second, 0);
        assert!(parse("").unwrap().providers == ProvidersConfig::default());
    }

    #[test]
    fn secrets_never_print() {
        let c = parse(FULL).unwrap();
        let shown = format!("{:?}", c.providers);
        for secret in ["tok\"", "wJalrXUtnFEMI", "s3cret", "ptok", "vsig"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn bad_values_name_their_key() {
        let sid = "account_sid = \"AC0123456789abcdef0123456789abcdef\"\nauth_token = \"t\"\nfrom = \"+1\"\n";
        refused(
            "[providers]\ncallback_base_url = \"gw.example.com\"",
            "providers.callback_base_url",
        );
        refused(
            "[providers.twilio]\naccount_sid = \"AC12\"\nauth_token = \"t\"\nfrom = \"+1\"",
            "providers.twilio.account_sid",
        );
        refused(
            "[providers.twilio]\naccount_sid = \"AC0123456789abcdef0123456789abcdef\"\nfrom = \"+1\"",
            "providers.twilio.auth_token",
        );
        // Credentials never cross the network in clear: plain http only to loopback.
        refused(
            &format!("[providers.twilio]\n{sid}base_url = \"http://api.twilio.example\""),
            "providers.twilio.base_url",
        );
        refused(
            &format!("[providers.twilio]\n{sid}base_url = \"http://10.0.0.5:8080\""),
            "providers.twilio.base_url",
        );
        refused(
            "[providers.aws_sns]\nregion = \"eu-west-1\"\naccess_key_id = \"AKIA\"\nsecret_access_key = \"s\"\nendpoint = \"http://sns.example\"",
            "providers.aws_sns.endpoint",
        );
        assert!(parse(&format!(
            "[providers.twilio]\n{sid}base_url = \"http://localhost:9000\""
        ))
        .is_ok());
        refused(
            &format!("[providers.twilio]\n{sid}base_url = \"ftp://x\""),
            "providers.twilio.base_url",
        );
        refused(
            &format!("[providers.twilio]\n{sid}timeout_ms = 0"),
            "providers.twilio.timeout_ms",
        );
        refused(
            &format!("[providers.twilio]\n{sid}timeout_ms = 100\nconnect_timeout_ms = 200"),
            "providers.twilio.connect_timeout_ms",
        );
        refused(
            &format!("[providers.twilio]\n{sid}cost_per_message = -1.0"),
            "providers.twilio.cost_per_message",
        );
        refused(
            &format!("[providers.twilio]\n{sid}token = \"x\""),
            "providers.twilio.token",
        );
        refused(
            "[providers.aws_sns]\nregion = \"EU West\"\naccess_key_id = \"a\"\nsecret_access_key = \"s\"",
            "providers.aws_sns.region",
        );
        refused(
            "[providers.aws_sns]\nregion = \"eu-west-1\"\naccess_key_id = \"a\"\nsecret_access_key = \"s\"\nsender_id = \"12345\"",
            "providers.aws_sns.sender_id",
        );
        refused(
            "[providers.aws_sns]\nregion = \"eu-west-1\"\naccess_key_id = \"a\"",
            "providers.aws_sns.secret_access_key",
        );
        refused(
            "[providers.vonage]\napi_key = \"k\"\napi_secret = \"s\"",
            "providers.vonage.from",
        );
        refused(
            "[providers.vonage]\napi_key = \"k\"\napi_secret = \"s\"\nfrom = \"A\"\nsignature_method = \"md5\"",
            "providers.vonage.signature_method",
        );
        refused(
            "[providers.vonage]\napi_key = \"k\"\napi_secret = \"s\"\nfrom = \"A\"\nsignature_secret = \" \"",
            "providers.vonage.signature_secret",
        );
        refused(
            "[providers.plivo]\nauth_id = \"MA/../x\"\nauth_token = \"t\"\nfrom = \"1\"",
            "providers.plivo.auth_id",
        );
        refused(
            "[providers.clickatell]\napi_key = \"k\"",
            "providers.clickatell",
        );
    }

    #[test]
    fn url_check() {
        assert!(is_http_url("https://api.twilio.com"));
        assert!(is_http_url("http://127.0.0.1:5055/"));
        assert!(!is_http_url("https://"));
        assert!(!is_http_url("https://:80"));
        assert!(!is_http_url("https://a b"));
        assert!(!is_http_url("api.twilio.com"));
    }
}
