//! `[retention]`: how long message texts, inbound texts and status events are kept. Layer
//! 0 like the rest of the config. `0` keeps them for ever (the default: nothing is removed
//! unless an operator asks).

use serde::Deserialize;

/// `[retention]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Outbound texts (and PDUs) of messages final more than this many days ago are removed.
    pub message_bodies_days: u32,
    /// Inbound texts (and PDUs) received more than this many days ago are removed.
    pub inbound_days: u32,
    /// Status events of final messages older than this many days are deleted.
    pub events_days: u32,
}

impl RetentionConfig {
    /// The cutoff `days` before `now` (Unix ms), or `None` to keep.
    pub fn cutoff(days: u32, now: i64) -> Option<i64> {
        (days > 0).then(|| now.saturating_sub(i64::from(days) * 24 * 3600 * 1000))
    }
}
