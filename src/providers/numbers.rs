//! The number each configured cloud provider sends from, as the conversations key it (layer
//! 0, pure): its configured sender, `+` and digits when it is a number (Plivo's `from` is
//! written without the `+`), else as configured (an alphanumeric sender id).
//!
//! Never imports anything above `config` and `phone`. The daemon records these in the
//! store at start-up so a message sent through a provider joins the conversation of the
//! number people write back to.

use crate::config::ProvidersConfig;

/// `(route name, sender number)` of each configured provider that has a sender (AWS SNS has
/// none unless `sender_id` is set).
pub fn sender_numbers(config: &ProvidersConfig) -> Vec<(&'static str, String)> {
    let senders = [
        ("twilio", config.twilio.as_ref().map(|t| t.from.as_str())),
        (
            "aws_sns",
            config.aws_sns.as_ref().and_then(|s| s.sender_id.as_deref()),
        ),
        ("vonage", config.vonage.as_ref().map(|v| v.from.as_str())),
        ("plivo", config.plivo.as_ref().map(|p| p.from.as_str())),
    ];
    senders
        .into_iter()
        .filter_map(|(route, from)| {
            let from = from?.trim();
            (!from.is_empty()).then(|| (route, crate::phone::international_or_as_sent(from)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{PlivoConfig, TwilioConfig, VonageConfig};

    #[test]
    fn configured_senders_in_their_conversation_form() {
        let config = ProvidersConfig {
            twilio: Some(TwilioConfig {
                from: "+15005550006".into(),
                ..TwilioConfig::default()
            }),
            vonage: Some(VonageConfig {
                from: "AcmeInc".into(),
                ..VonageConfig::default()
            }),
            plivo: Some(PlivoConfig {
                from: "14155550100".into(),
                ..PlivoConfig::default()
            }),
            ..ProvidersConfig::default()
        };
        assert_eq!(
            sender_numbers(&config),
            [
                ("twilio", "+15005550006".to_string()),
                ("vonage", "AcmeInc".to_string()),
                ("plivo", "+14155550100".to_string()),
            ]
        );
        assert!(sender_numbers(&ProvidersConfig::default()).is_empty());
    }
}
