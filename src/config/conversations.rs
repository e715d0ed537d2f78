//! `[conversations]`: when a conversation closes by itself, how long the texts of closed
//! ones are kept, and which routes may stand in for each other when a reply's own is down.
//!
//! Layer 0 like the rest of the config. Invariants: a validated config closes idle
//! conversations after at least a minute, and a route appears in at most one group of
//! interchangeable routes (so the stand-in for a route is never ambiguous).

use super::ConfigError;
use serde::Deserialize;
use std::collections::HashMap;

/// `[conversations]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConversationsConfig {
    /// A conversation silent this long is closed (seconds; 86400).
    pub idle_close_secs: u64,
    /// The texts of conversations closed more than this many days ago are removed, their
    /// counts and times kept for the statistics (0: kept for ever).
    pub retention_days: u32,
    /// Groups of routes a person would accept a reply from interchangeably (modems sharing
    /// one number, say): a reply whose own route is down goes by a ready member of its
    /// group. Without a group a reply waits for its route.
    pub interchangeable: Vec<Vec<String>>,
}

impl Default for ConversationsConfig {
    fn default() -> Self {
        Self {
            idle_close_secs: 24 * 3600,
            retention_days: 0,
            interchangeable: Vec::new(),
        }
    }
}

impl ConversationsConfig {
    /// The other routes of `route`'s group, in the configured order.
    pub fn stand_ins(&self, route: &str) -> Vec<String> {
        self.interchangeable
            .iter()
            .find(|group| group.iter().any(|r| r == route))
            .map(|group| group.iter().filter(|r| *r != route).cloned().collect())
            .unwrap_or_default()
    }
}

pub(super) fn validate(c: &ConversationsConfig) -> Result<(), ConfigError> {
    if c.idle_close_secs < 60 {
        return Err(ConfigError::new(
            "conversations.idle_close_secs",
            "must be at least 60 seconds",
        ));
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, group) in c.interchangeable.iter().enumerate() {
        for route in group {
            if route.trim().is_empty() {
                return Err(ConfigError::new(
                    format!("conversations.interchangeable[{i}]"),
                    "a route name must not be empty",
                ));
            }
            if let Some(first) = seen.insert(route, i) {
                return Err(ConfigError::new(
                    format!("conversations.interchangeable[{i}]"),
                    format!("{route:?} is already in interchangeable[{first}]"),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stand_ins_are_the_rest_of_the_group() {
        let c = ConversationsConfig {
            interchangeable: vec![vec!["a".into(), "b".into(), "c".into()], vec!["d".into()]],
            ..ConversationsConfig::default()
        };
        assert_eq!(c.stand_ins("b"), ["a", "c"]);
        assert!(c.stand_ins("d").is_empty());
        assert!(c.stand_ins("x").is_empty());
        assert!(validate(&c).is_ok());
    }

    #[test]
    fn a_route_in_two_groups_and_a_short_idle_time_are_refused() {
        let twice = ConversationsConfig {
            interchangeable: vec![vec!["a".into()], vec!["b".into(), "a".into()]],
            ..ConversationsConfig::default()
        };
        let e = validate(&twice).unwrap_err();
        assert_eq!(e.key, "conversations.interchangeable[1]");
        let short = ConversationsConfig {
            idle_close_secs: 5,
            ..ConversationsConfig::default()
        };
        assert_eq!(
            validate(&short).unwrap_err().key,
            "conversations.idle_close_secs"
        );
    }
}
