//! Cloud provider credentials from the environment variables the seed API's users already
//! have (`shared/seeds/004`: `TWILIO_ACCOUNT_SID`, `AWS_ACCESS_KEY_ID`, `NEXMO_API_KEY`, …).
//!
//! Layer 0 like the rest of the config: reads only the `env` function it is given, never the
//! process environment itself (tests pass their own). Precedence, lowest first: these
//! variables, then the config file, then `SMSGATE_*`: a provider whose section the file
//! has is left exactly as the file says, and no `SMSGATE_*` variable names a provider
//! credential. A provider is configured from the environment only when its whole set of
//! variables is there (non-empty); a partial set configures nothing, so a stray
//! `AWS_ACCESS_KEY_ID` alone never turns a route on. Values are never logged: secrets
//! become [`Secret`]s at once.

use super::{AwsSnsConfig, PlivoConfig, ProvidersConfig, Secret, TwilioConfig, VonageConfig};

/// The sender number for Vonage and Plivo (the seed has no per-provider one for them), and
/// for Twilio when `TWILIO_PHONE_NUMBER` is not set.
pub const DEFAULT_FROM_VARIABLE: &str = "DEFAULT_FROM_NUMBER";

/// Every variable read, with the config key it stands for (for documentation, error
/// messages and tests).
pub const PROVIDER_ENV_VARIABLES: [(&str, &str); 11] = [
    ("TWILIO_ACCOUNT_SID", "providers.twilio.account_sid"),
    ("TWILIO_AUTH_TOKEN", "providers.twilio.auth_token"),
    ("TWILIO_PHONE_NUMBER", "providers.twilio.from"),
    ("AWS_ACCESS_KEY_ID", "providers.aws_sns.access_key_id"),
    (
        "AWS_SECRET_ACCESS_KEY",
        "providers.aws_sns.secret_access_key",
    ),
    ("AWS_REGION", "providers.aws_sns.region"),
    ("PLIVO_AUTH_ID", "providers.plivo.auth_id"),
    ("PLIVO_AUTH_TOKEN", "providers.plivo.auth_token"),
    ("NEXMO_API_KEY", "providers.vonage.api_key"),
    ("NEXMO_API_SECRET", "providers.vonage.api_secret"),
    (DEFAULT_FROM_VARIABLE, "providers.{vonage,plivo}.from"),
];

/// Fills each provider section the file left out whose variables are all set; returns the
/// `(variable, config key)` pairs it used, so a value validation refuses is reported under
/// the variable's name.
pub(super) fn apply(
    providers: &mut ProvidersConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<(&'static str, String)> {
    let get = |name: &str| {
        env(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let mut used: Vec<(&'static str, String)> = Vec::new();
    if providers.twilio.is_none() {
        let from = get("TWILIO_PHONE_NUMBER")
            .map(|v| ("TWILIO_PHONE_NUMBER", v))
            .or_else(|| get(DEFAULT_FROM_VARIABLE).map(|v| (DEFAULT_FROM_VARIABLE, v)));
        if let (Some(sid), Some(token), Some((from_var, from))) =
            (get("TWILIO_ACCOUNT_SID"), get("TWILIO_AUTH_TOKEN"), from)
        {
            providers.twilio = Some(TwilioConfig {
                account_sid: sid,
                auth_token: Secret::new(token),
                from,
                ..TwilioConfig::default()
            });
            used.push(("TWILIO_ACCOUNT_SID", "providers.twilio.account_sid".into()));
            used.push(("TWILIO_AUTH_TOKEN", "providers.twilio.auth_token".into()));
            used.push((from_var, "providers.twilio.from".into()));
        }
    }
    if providers.aws_sns.is_none() {
        if let (Some(key_id), Some(secret), Some(region)) = (
            get("AWS_ACCESS_KEY_ID"),
            get("AWS_SECRET_ACCESS_KEY"),
            get("AWS_REGION"),
        ) {
            providers.aws_sns = Some(AwsSnsConfig {
                region,
                access_key_id: key_id,
                secret_access_key: Secret::new(secret),
                ..AwsSnsConfig::default()
            });
            used.push((
                "AWS_ACCESS_KEY_ID",
                "providers.aws_sns.access_key_id".into(),
            ));
            used.push((
                "AWS_SECRET_ACCESS_KEY",
                "providers.aws_sns.secret_access_key".into(),
            ));
            used.push(("AWS_REGION", "providers.aws_sns.region".into()));
        }
    }
    if providers.plivo.is_none() {
        if let (Some(id), Some(token), Some(from)) = (
            get("PLIVO_AUTH_ID"),
            get("PLIVO_AUTH_TOKEN"),
            get(DEFAULT_FROM_VARIABLE),
        ) {
            providers.plivo = Some(PlivoConfig {
                auth_id: id,
                auth_token: Secret::new(token),
                from,
                ..PlivoConfig::default()
            });
            used.push(("PLIVO_AUTH_ID", "providers.plivo.auth_id".into()));
            used.push(("PLIVO_AUTH_TOKEN", "providers.plivo.auth_token".into()));
            used.push((DEFAULT_FROM_VARIABLE, "providers.plivo.from".into()));
        }
    }
    if providers.vonage.is_none() {
        if let (Some(key), Some(secret), Some(from)) = (
            get("NEXMO_API_KEY"),
            get("NEXMO_API_SECRET"),
            get(DEFAULT_FROM_VARIABLE),
        ) {
            providers.vonage = Some(VonageConfig {
                api_key: key,
                api_secret: Secret::new(secret),
                from,
                ..VonageConfig::default()
            });
            used.push(("NEXMO_API_KEY", "providers.vonage.api_key".into()));
            used.push(("NEXMO_API_SECRET", "providers.vonage.api_secret".into()));
            used.push((DEFAULT_FROM_VARIABLE, "providers.vonage.from".into()));
        }
    }
    used
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name: &str| map.get(name).cloned()
    }

    const SID: &str = "AC0123456789abcdef0123456789abcdef";

    const TWILIO: [(&str, &str); 3] = [
        ("TWILIO_ACCOUNT_SID", SID),
        ("TWILIO_AUTH_TOKEN", "env-token"),
        ("TWILIO_PHONE_NUMBER", "+15005550006"),
    ];

    #[test]
    fn a_complete_set_configures_the_provider() {
        let c = Config::from_toml("", &env_of(&TWILIO)).unwrap();
        let t = c.providers.twilio.unwrap();
        assert_eq!(t.account_sid, SID);
        assert_eq!(t.auth_token.expose(), "env-token");
        assert_eq!(t.from, "+15005550006");
        assert_eq!(t.base_url, "https://api.twilio.com");
        assert!(c.providers.aws_sns.is_none());
    }

    #[test]
    fn a_partial_set_configures_nothing() {
        let c = Config::from_toml("", &env_of(&TWILIO[..2])).unwrap();
        assert!(c.providers.twilio.is_none());
        let c = Config::from_toml(
            "",
            &env_of(&[("AWS_ACCESS_KEY_ID", "AKIA"), ("AWS_REGION", "us-east-1")]),
        )
        .unwrap();
        assert!(c.providers.aws_sns.is_none());
        // Vonage and Plivo need a sender: without DEFAULT_FROM_NUMBER, nothing.
        let c = Config::from_toml(
            "",
            &env_of(&[("NEXMO_API_KEY", "k"), ("NEXMO_API_SECRET", "s")]),
        )
        .unwrap();
        assert!(c.providers.vonage.is_none());
    }

    #[test]
    fn every_seed_provider_comes_from_its_variables() {
        let c = Config::from_toml(
            "",
            &env_of(&[
                ("AWS_ACCESS_KEY_ID", "AKIAENV"),
                ("AWS_SECRET_ACCESS_KEY", "aws-secret"),
                ("AWS_REGION", "eu-west-1"),
                ("PLIVO_AUTH_ID", "MAENV"),
                ("PLIVO_AUTH_TOKEN", "plivo-token"),
                ("NEXMO_API_KEY", "nexmo-key"),
                ("NEXMO_API_SECRET", "nexmo-secret"),
                ("TWILIO_ACCOUNT_SID", SID),
                ("TWILIO_AUTH_TOKEN", "env-token"),
                ("DEFAULT_FROM_NUMBER", "+15005550007"),
            ]),
        )
        .unwrap();
        let p = c.providers;
        let sns = p.aws_sns.unwrap();
        assert_eq!(
            (sns.access_key_id.as_str(), sns.region.as_str()),
            ("AKIAENV", "eu-west-1")
        );
        assert_eq!(sns.secret_access_key.expose(), "aws-secret");
        let plivo = p.plivo.unwrap();
        assert_eq!(
            (plivo.auth_id.as_str(), plivo.from.as_str()),
            ("MAENV", "+15005550007")
        );
        let vonage = p.vonage.unwrap();
        assert_eq!(vonage.api_key, "nexmo-key");
        assert_eq!(vonage.api_secret.expose(), "nexmo-secret");
        // Twilio falls back to DEFAULT_FROM_NUMBER without TWILIO_PHONE_NUMBER.
        assert_eq!(p.twilio.unwrap().from, "+15005550007");
    }

    #[test]
    fn the_config_file_wins_over_the_variables() {
        let file = r#"
            [providers.twilio]
            account_sid = "ACfedcba9876543210fedcba9876543210"
            auth_token = "file-token"
            from = "+15005550001"
        "#;
        let c = Config::from_toml(file, &env_of(&TWILIO)).unwrap();
        let t = c.providers.twilio.unwrap();
        // The whole section is the file's: no field is mixed in from the environment.
        assert_eq!(t.account_sid, "ACfedcba9876543210fedcba9876543210");
        assert_eq!(t.auth_token.expose(), "file-token");
        assert_eq!(t.from, "+15005550001");
    }

    #[test]
    fn smsgate_variables_still_apply_beside_them() {
        let mut pairs = TWILIO.to_vec();
        pairs.push(("SMSGATE_MAX_ATTEMPTS", "7"));
        let c = Config::from_toml("", &env_of(&pairs)).unwrap();
        assert_eq!(c.dispatch.max_attempts, 7);
        assert!(c.providers.twilio.is_some());
    }

    #[test]
    fn a_bad_value_names_the_variable_and_hides_secrets() {
        let err = Config::from_toml(
            "",
            &env_of(&[
                ("TWILIO_ACCOUNT_SID", "not-a-sid"),
                ("TWILIO_AUTH_TOKEN", "very-secret-token"),
                ("TWILIO_PHONE_NUMBER", "+15005550006"),
            ]),
        )
        .err()
        .unwrap();
        assert_eq!(err.key, "TWILIO_ACCOUNT_SID", "{err}");
        assert!(err.reason.contains("providers.twilio.account_sid"), "{err}");
        assert!(!err.to_string().contains("very-secret-token"), "{err}");
    }
}
