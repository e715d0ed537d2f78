//! `[inbox]` and `[optout]`: how inbound messages are reassembled and which texts put a
//! sender on (or take it off) the opt-out list, and what that list blocks.
//!
//! Layer 0 like the rest of the config: imports only `message` (for `SmsType`). Invariant:
//! a validated config has at least one stop keyword, no empty keyword, no keyword that is
//! both a stop and a start keyword, and an incomplete timeout of at least one second.

use super::ConfigError;
use crate::message::SmsType;
use serde::Deserialize;
use std::collections::HashMap;

/// The default stop keywords.
pub const DEFAULT_STOP_KEYWORDS: [&str; 7] = [
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "OPTOUT",
];

/// The default start keywords (not `YES`: far too common an answer to mean "subscribe me").
pub const DEFAULT_START_KEYWORDS: [&str; 2] = ["START", "UNSTOP"];

/// Longest keyword, in characters.
const KEYWORD_MAX: usize = 64;

/// `[inbox]`: inbound messages.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InboxConfig {
    /// How long the parts of a concatenated message wait for the missing ones before they
    /// are stored as a message flagged incomplete, in seconds (86400).
    pub incomplete_timeout_secs: u64,
}

impl Default for InboxConfig {
    fn default() -> Self {
        Self {
            incomplete_timeout_secs: 24 * 3600,
        }
    }
}

/// `[optout]`: the opt-out list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OptoutConfig {
    /// An inbound text equal to one of these (trimmed, any case) puts its sender on the list.
    pub stop_keywords: Vec<String>,
    /// An inbound text equal to one of these takes its sender off the list.
    pub start_keywords: Vec<String>,
    /// SMS types the list blocks (`["promotional"]`; `marketing` is an alias).
    pub block: Vec<SmsType>,
}

impl Default for OptoutConfig {
    fn default() -> Self {
        Self {
            stop_keywords: DEFAULT_STOP_KEYWORDS.map(String::from).to_vec(),
            start_keywords: DEFAULT_START_KEYWORDS.map(String::from).to_vec(),
            block: vec![SmsType::Promotional],
        }
    }
}

pub(super) fn validate(inbox: &InboxConfig, optout: &OptoutConfig) -> Result<(), ConfigError> {
    if inbox.incomplete_timeout_secs == 0 {
        return Err(ConfigError::new(
            "inbox.incomplete_timeout_secs",
            "must be at least 1 second",
        ));
    }
    if optout.stop_keywords.is_empty() {
        return Err(ConfigError::new(
            "optout.stop_keywords",
            "needs at least one keyword (recipients must be able to opt out)",
        ));
    }
    let mut seen: HashMap<String, String> = HashMap::new();
    for (list, keywords) in [
        ("stop_keywords", &optout.stop_keywords),
        ("start_keywords", &optout.start_keywords),
    ] {
        for (i, keyword) in keywords.iter().enumerate() {
            let key = format!("optout.{list}[{i}]");
            let folded = keyword.trim().to_uppercase();
            if folded.is_empty() {
                return Err(ConfigError::new(key, "must not be empty"));
            }
            if folded.chars().count() > KEYWORD_MAX {
                return Err(ConfigError::new(
                    key,
                    format!("longer than {KEYWORD_MAX} characters"),
                ));
            }
            if let Some(first) = seen.get(&folded) {
                if !first.starts_with(&format!("optout.{list}[")) {
                    return Err(ConfigError::new(
                        key,
                        format!(
                            "{keyword:?} is already {first}: a text cannot both stop and start"
                        ),
                    ));
                }
            } else {
                seen.insert(folded, key);
            }
        }
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

    #[test]
    fn defaults_are_the_documented_ones() {
        let c = Config::default();
        assert_eq!(c.inbox.incomplete_timeout_secs, 86_400);
        assert_eq!(
            c.optout.stop_keywords,
            [
                "STOP",
                "STOPALL",
                "UNSUBSCRIBE",
                "CANCEL",
                "END",
                "QUIT",
                "OPTOUT"
            ]
        );
        assert_eq!(c.optout.start_keywords, ["START", "UNSTOP"]);
        assert_eq!(c.optout.block, [SmsType::Promotional]);
        c.validate().unwrap();
    }

    #[test]
    fn every_key_parses_and_marketing_is_promotional() {
        let c = parse(
            r#"
[inbox]
incomplete_timeout_secs = 3600
[optout]
stop_keywords = ["halt", "Stop"]
start_keywords = []
block = ["marketing", "transactional"]
"#,
        )
        .unwrap();
        assert_eq!(c.inbox.incomplete_timeout_secs, 3600);
        assert_eq!(c.optout.stop_keywords, ["halt", "Stop"]);
        assert!(c.optout.start_keywords.is_empty());
        assert_eq!(
            c.optout.block,
            [SmsType::Promotional, SmsType::Transactional]
        );
    }

    #[test]
    fn bad_values_name_their_key() {
        refused(
            "[inbox]\nincomplete_timeout_secs = 0",
            "inbox.incomplete_timeout_secs",
        );
        refused("[inbox]\ntimeout = 5", "inbox.timeout");
        refused("[optout]\nstop_keywords = []", "optout.stop_keywords");
        refused(
            "[optout]\nstop_keywords = [\"STOP\", \" \"]",
            "optout.stop_keywords[1]",
        );
        refused(
            &format!("[optout]\nstart_keywords = [\"{}\"]", "x".repeat(65)),
            "optout.start_keywords[0]",
        );
        // A text cannot both stop and start, whatever its case.
        refused(
            "[optout]\nstop_keywords = [\"STOP\"]\nstart_keywords = [\"START\", \"stop\"]",
            "optout.start_keywords[1]",
        );
        refused("[optout]\nblock = [\"spam\"]", "optout.block[0]");
        // The same keyword twice in one list is harmless.
        parse("[optout]\nstop_keywords = [\"STOP\", \"stop\"]").unwrap();
    }
}
