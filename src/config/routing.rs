//! `[routing]`: which routes a message may take, per `sms_type`, and when it moves from one
//! group of routes to the next (the decision itself is `dispatch/routing.rs`, a pure
//! function over these values).
//!
//! Layer 0 like the rest of the config: imports only `config` itself. Invariants of a
//! validated section: every list is non-empty and names each group at most once; a group is
//! `"modems"` (the whole modem pool) or the name of a provider configured under
//! `[providers]` (`nexmo` is read as `vonage`); `fallback_after_failures` is at least 1. An
//! error names the entry, e.g. `routing.otp[1]`.

use super::{ConfigError, ProvidersConfig};
use serde::Deserialize;

/// One group of routes in a routing list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RouteGroup {
    /// Every modem, balanced by `[dispatch] strategy`.
    Modems,
    /// One cloud provider route, by its route name (`twilio`, `aws_sns`, `vonage`, `plivo`).
    Provider(String),
}

impl RouteGroup {
    /// The name written in the config (`"modems"` or the provider's route name).
    pub fn name(&self) -> &str {
        match self {
            RouteGroup::Modems => "modems",
            RouteGroup::Provider(p) => p,
        }
    }
}

/// The provider names a routing list (or a request's `provider`) may use, with their
/// aliases: `nexmo` is Vonage's former name.
pub fn canonical_provider(name: &str) -> &str {
    match name {
        "nexmo" => "vonage",
        other => other,
    }
}

/// Provider names smsgate has routes for.
pub const PROVIDER_NAMES: [&str; 4] = ["twilio", "aws_sns", "vonage", "plivo"];

/// Default of `fallback_after_secs`.
pub const DEFAULT_FALLBACK_AFTER_SECS: u64 = 60;
/// Default of `otp_fallback_after_secs`.
pub const DEFAULT_OTP_FALLBACK_AFTER_SECS: u64 = 20;
/// Default of `fallback_after_failures`.
pub const DEFAULT_FALLBACK_AFTER_FAILURES: u32 = 2;

/// `[routing]`: ordered route groups per SMS type and the fallback conditions.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoutingConfig {
    /// Groups for `otp` messages, in order.
    pub otp: Vec<String>,
    /// Groups for `transactional` messages, in order.
    pub transactional: Vec<String>,
    /// Groups for `marketing` messages, in order (`promotional` is accepted as the key).
    #[serde(alias = "promotional")]
    pub marketing: Vec<String>,
    /// No modem ready and able to take the message (none registered, all rate-limited for
    /// its segments, none serving its prefix): go to the next group at once.
    pub fallback_when_no_modem: bool,
    /// A non-OTP message waiting longer than this since it became due may use the next
    /// group (0: never by time).
    pub fallback_after_secs: u64,
    /// The same for OTP messages (0: never by time).
    pub otp_fallback_after_secs: u64,
    /// After this many failed attempts on a group the message moves to the next group.
    pub fallback_after_failures: u32,
    /// A request's `provider` naming a route that is not configured is refused (400). Off
    /// by default: the seed's clients always send `"provider": "twilio"`, so the name is a
    /// preference and the message goes by the lists above (the answer says so).
    pub strict_provider: bool,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        let modems = || vec!["modems".to_string()];
        Self {
            otp: modems(),
            transactional: modems(),
            marketing: modems(),
            fallback_when_no_modem: true,
            fallback_after_secs: DEFAULT_FALLBACK_AFTER_SECS,
            otp_fallback_after_secs: DEFAULT_OTP_FALLBACK_AFTER_SECS,
            fallback_after_failures: DEFAULT_FALLBACK_AFTER_FAILURES,
            strict_provider: false,
        }
    }
}

impl RoutingConfig {
    /// The parsed groups of one list (call on a validated config; unknown names are left
    /// out).
    pub fn groups(list: &[String]) -> Vec<RouteGroup> {
        list.iter()
            .filter_map(|name| parse_group(name).ok())
            .collect()
    }

    /// The list that routes messages of `sms_type` (by its API name): `otp`, `marketing`
    /// for `promotional`, `transactional` for the rest (`alert` has no list of its own).
    pub fn list_for(&self, sms_type: &str) -> &[String] {
        match sms_type {
            "otp" => &self.otp,
            "promotional" | "marketing" => &self.marketing,
            _ => &self.transactional,
        }
    }
}

fn parse_group(name: &str) -> Result<RouteGroup, String> {
    if name == "modems" {
        return Ok(RouteGroup::Modems);
    }
    let canonical = canonical_provider(name);
    if PROVIDER_NAMES.contains(&canonical) {
        Ok(RouteGroup::Provider(canonical.to_string()))
    } else {
        Err(format!(
            "unknown route group {name:?}: use \"modems\" or a provider ({})",
            PROVIDER_NAMES.join(", ")
        ))
    }
}

fn configured(providers: &ProvidersConfig, name: &str) -> bool {
    match name {
        "twilio" => providers.twilio.is_some(),
        "aws_sns" => providers.aws_sns.is_some(),
        "vonage" => providers.vonage.is_some(),
        "plivo" => providers.plivo.is_some(),
        _ => false,
    }
}

pub(super) fn validate(
    c: &RoutingConfig,
    providers: &ProvidersConfig,
    modem_names: &[&str],
) -> Result<(), ConfigError> {
    for (list_name, list) in [
        ("otp", &c.otp),
        ("transactional", &c.transactional),
        ("marketing", &c.marketing),
    ] {
        if list.is_empty() {
            return Err(ConfigError::new(
                format!("routing.{list_name}"),
                "must name at least one route group (\"modems\" or a provider)",
            ));
        }
        let mut seen = Vec::new();
        for (i, name) in list.iter().enumerate() {
            let key = format!("routing.{list_name}[{i}]");
            let group = parse_group(name).map_err(|reason| ConfigError::new(&key, reason))?;
            if let RouteGroup::Provider(p) = &group {
                if !configured(providers, p) {
                    return Err(ConfigError::new(
                        &key,
                        format!("provider {p:?} is not configured (no [providers.{p}] section)"),
                    ));
                }
            }
            if seen.contains(&group) {
                return Err(ConfigError::new(&key, format!("{name:?} is listed twice")));
            }
            seen.push(group);
        }
    }
    if c.fallback_after_failures == 0 {
        return Err(ConfigError::new(
            "routing.fallback_after_failures",
            "must be at least 1",
        ));
    }
    // A modem named like a provider would make route names ambiguous.
    for (i, name) in modem_names.iter().enumerate() {
        let canonical = canonical_provider(name);
        if *name == "modems" || PROVIDER_NAMES.contains(&canonical) {
            return Err(ConfigError::new(
                format!("modems[{i}].name"),
                format!("{name:?} is reserved for a route group or provider"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, RouteGroup, RoutingConfig};

    const TWILIO: &str = r#"
[providers.twilio]
account_sid = "AC0123456789abcdef0123456789abcdef"
auth_token = "t"
from = "+15005550006"
[providers.vonage]
api_key = "k"
api_secret = "s"
from = "Acme"
"#;

    fn load(extra: &str) -> Result<Config, String> {
        Config::from_toml(&format!("{TWILIO}{extra}"), &|_| None).map_err(|e| e.to_string())
    }

    #[test]
    fn strict_provider_is_off_unless_set_and_alert_reads_the_transactional_list() {
        let c = load("[routing]\notp = [\"twilio\"]\ntransactional = [\"modems\", \"vonage\"]\n")
            .unwrap();
        assert!(!c.routing.strict_provider);
        assert_eq!(c.routing.list_for("alert"), ["modems", "vonage"]);
        assert_eq!(c.routing.list_for("otp"), ["twilio"]);
        assert_eq!(c.routing.list_for("promotional"), ["modems"]);
        let c = load("[routing]\nstrict_provider = true\n").unwrap();
        assert!(c.routing.strict_provider);
    }

    #[test]
    fn defaults_are_modems_only_with_documented_thresholds() {
        let c = load("").unwrap();
        assert_eq!(c.routing, RoutingConfig::default());
        assert_eq!(c.routing.otp, ["modems"]);
        assert!(c.routing.fallback_when_no_modem);
        assert_eq!(c.routing.fallback_after_secs, 60);
        assert_eq!(c.routing.otp_fallback_after_secs, 20);
        assert_eq!(c.routing.fallback_after_failures, 2);
    }

    #[test]
    fn lists_parse_with_aliases() {
        let c = load(
            "[routing]\notp = [\"modems\", \"twilio\"]\npromotional = [\"nexmo\", \"modems\"]\n",
        )
        .unwrap();
        assert_eq!(
            RoutingConfig::groups(&c.routing.otp),
            [RouteGroup::Modems, RouteGroup::Provider("twilio".into())]
        );
        assert_eq!(
            RoutingConfig::groups(&c.routing.marketing),
            [RouteGroup::Provider("vonage".into()), RouteGroup::Modems]
        );
    }

    #[test]
    fn bad_lists_name_the_entry() {
        for (toml, key, why) in [
            (
                "otp = [\"modems\", \"twillio\"]",
                "routing.otp[1]",
                "unknown route group",
            ),
            (
                "transactional = [\"aws_sns\"]",
                "routing.transactional[0]",
                "not configured",
            ),
            (
                "marketing = [\"plivo\"]",
                "routing.marketing[0]",
                "not configured",
            ),
            ("otp = [\"twilio\", \"twilio\"]", "routing.otp[1]", "twice"),
            ("otp = [\"vonage\", \"nexmo\"]", "routing.otp[1]", "twice"),
            ("otp = []", "routing.otp", "at least one"),
            (
                "fallback_after_failures = 0",
                "routing.fallback_after_failures",
                "at least 1",
            ),
            ("fallback_after = 3", "routing.fallback_after", "unknown"),
        ] {
            let err = load(&format!("[routing]\n{toml}\n")).unwrap_err();
            assert!(err.contains(key) && err.contains(why), "{toml}: {err}");
        }
    }

    #[test]
    fn a_modem_cannot_take_a_provider_name() {
        let err = load("[[modems]]\nname = \"twilio\"\nport = \"/dev/ttyUSB0\"\n").unwrap_err();
        assert!(err.contains("modems[0].name"), "{err}");
    }
}
