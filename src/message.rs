//! The vocabulary every layer shares (layer 0, no I/O): message ids, states, kinds and
//! priorities, and time as Unix milliseconds.
//!
//! Invariant: a [`MessageStatus`] only moves forward along the state machine of
//! `docs/ARCHITECTURE.md` — [`MessageStatus::can_become`] is the one place that says which
//! transitions exist, and the store refuses any other.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// Unix time in milliseconds (UTC). Stored and compared as an integer; formatted as
/// RFC 3339 only at the edges (HTTP, CLI).
pub type Millis = i64;

/// The current time in Unix milliseconds.
pub fn now_millis() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Formats Unix milliseconds as RFC 3339 UTC (`2026-11-21T10:45:46.123Z`).
pub fn format_millis(ms: Millis) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ms.to_string())
}

/// Parses RFC 3339 (`2024-01-15T10:00:00Z`, offsets allowed) into Unix milliseconds.
pub fn parse_rfc3339(text: &str) -> Option<Millis> {
    let t =
        time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
            .ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// A message's id (one recipient, one text; possibly several segments).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageId(pub i64);

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// Accepted, waiting for a route.
    Queued,
    /// Accepted, not to be sent before its `schedule_at`.
    Scheduled,
    /// Leased by the dispatcher; segments are going out.
    Sending,
    /// Every segment was accepted by the network (modem `+CMGS` or provider).
    Sent,
    /// Every segment was reported delivered.
    Delivered,
    /// A status report said at least one segment will not be delivered.
    Undelivered,
    /// A permanent error, or attempts exhausted.
    Failed,
    /// `expire_at` passed before it could be sent.
    Expired,
    /// Cancelled by the API before it was sent.
    Cancelled,
}

impl MessageStatus {
    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Scheduled => "scheduled",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Undelivered => "undelivered",
            Self::Failed => "failed",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses [`MessageStatus::as_str`]'s names.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "queued" => Self::Queued,
            "scheduled" => Self::Scheduled,
            "sending" => Self::Sending,
            "sent" => Self::Sent,
            "delivered" => Self::Delivered,
            "undelivered" => Self::Undelivered,
            "failed" => Self::Failed,
            "expired" => Self::Expired,
            "cancelled" => Self::Cancelled,
            _ => return None,
        })
    }

    /// No further transition is possible (except late delivery reports on `sent`, which is
    /// not final).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Delivered | Self::Undelivered | Self::Failed | Self::Expired | Self::Cancelled
        )
    }

    /// Whether `self → next` is a transition of the state machine.
    pub fn can_become(self, next: MessageStatus) -> bool {
        use MessageStatus::*;
        matches!(
            (self, next),
            (Scheduled, Queued)
                | (Queued | Scheduled, Sending | Expired | Cancelled | Failed)
                // A lease returned (retry later, or recovered after a crash).
                | (Sending, Queued | Sent | Failed | Expired)
                // A pending report (TP-ST 0x20–0x3F) keeps `sent`; only final ones move.
                | (Sent, Delivered | Undelivered)
        )
    }
}

impl fmt::Display for MessageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The seed API's `message_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageType {
    /// Text, GSM 7-bit when possible, else UCS-2.
    #[default]
    Text,
    /// Force UCS-2.
    Unicode,
    /// 8-bit data given in hex.
    Binary,
    /// Class 0: shown at once, not stored by the handset.
    Flash,
}

/// The seed API's `sms_type`: what the message is for, which decides routing, priority and
/// opt-out handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsType {
    /// Receipts, alerts, notifications.
    #[default]
    Transactional,
    /// Marketing (the seed also says `marketing`).
    #[serde(alias = "marketing")]
    Promotional,
    /// One-time passwords: highest priority, never sent late, at-most-once.
    Otp,
    /// Critical alerts (the seed's `alert`): routed and prioritised as transactional, but
    /// kept as `alert` on the message and in filters.
    Alert,
}

impl SmsType {
    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Transactional => "transactional",
            Self::Promotional => "promotional",
            Self::Otp => "otp",
            Self::Alert => "alert",
        }
    }

    /// Parses a name (`marketing` is `promotional`).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "transactional" => Self::Transactional,
            "promotional" | "marketing" => Self::Promotional,
            "otp" => Self::Otp,
            "alert" => Self::Alert,
            _ => return None,
        })
    }
}

/// What to do with a message that was being sent when the daemon died.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InFlightPolicy {
    /// Send it again (a segment may arrive twice). The default for ordinary messages.
    AtLeastOnce,
    /// Mark it failed (never twice). The default for OTP: a second code is worse than none.
    AtMostOnce,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip_in_millis() {
        let ms = parse_rfc3339("2024-01-15T10:00:00Z").unwrap();
        assert_eq!(ms, 1_705_312_800_000);
        assert_eq!(format_millis(ms), "2024-01-15T10:00:00Z");
        assert_eq!(parse_rfc3339("2024-01-15T12:00:00+02:00"), Some(ms));
        assert_eq!(parse_rfc3339("15.01.2024"), None);
    }

    #[test]
    fn the_state_machine_only_moves_forward() {
        use MessageStatus::*;
        assert!(Queued.can_become(Sending));
        assert!(Sending.can_become(Queued));
        assert!(Sent.can_become(Delivered));
        assert!(!Delivered.can_become(Sent));
        assert!(!Failed.can_become(Queued));
        assert!(!Sent.can_become(Cancelled));
        for s in [
            Queued,
            Scheduled,
            Sending,
            Sent,
            Delivered,
            Undelivered,
            Failed,
            Expired,
            Cancelled,
        ] {
            assert_eq!(MessageStatus::parse(s.as_str()), Some(s));
        }
    }
}

/// A client's JSON (request `metadata`), kept as the exact text it was sent as and written
/// back out unchanged: no key is rewritten and no number loses digits (a `serde_json::Value`
/// would turn an integer beyond 64 bits into a float).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawJson(String);

impl RawJson {
    /// `text` if it is one well-formed JSON value, else the parser's complaint.
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str::<&serde_json::value::RawValue>(text)
            .map(|raw| RawJson(raw.get().to_string()))
            .map_err(|e| e.to_string())
    }

    /// Text the store wrote earlier (trusted to be JSON; `null` stands in if it is not).
    pub fn from_stored(text: String) -> Self {
        match serde_json::from_str::<&serde_json::value::RawValue>(&text) {
            Ok(_) => RawJson(text),
            Err(_) => RawJson("null".into()),
        }
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the value is a JSON object.
    pub fn is_object(&self) -> bool {
        self.0.trim_start().starts_with('{')
    }
}

impl From<Box<serde_json::value::RawValue>> for RawJson {
    fn from(raw: Box<serde_json::value::RawValue>) -> Self {
        RawJson(raw.get().to_string())
    }
}

impl Serialize for RawJson {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match serde_json::value::RawValue::from_string(self.0.clone()) {
            Ok(raw) => raw.serialize(s),
            Err(e) => Err(serde::ser::Error::custom(e)),
        }
    }
}
