//! What is known about a modem: its identity, SIM and network state, and the health state
//! the dispatcher reads (published on a `watch` channel by the driver).

use serde::Serialize;

/// The health state of a modem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "reason", rename_all = "snake_case")]
pub enum ModemState {
    /// Opening the port and running the init sequence.
    Initialising,
    /// Registered and answering: takes traffic.
    Ready,
    /// Answering but not fit for traffic right now (not registered, recovering).
    Degraded(String),
    /// Not answering, port gone, or init failed; recovery is retried with backoff.
    Down(String),
    /// The SIM needs a person: missing, PUK-locked, wrong PIN. Never retried blindly.
    SimError(String),
    /// Out of rotation after failing again and again (reopen, `AT+CFUN=1,1`, backoff did
    /// not help); retried only slowly. The reason says how often and the last error.
    Failed(String),
}

impl ModemState {
    /// Whether the modem should be given messages.
    pub fn accepts_traffic(&self) -> bool {
        matches!(self, ModemState::Ready)
    }
}

/// Identity read during initialisation; any field may be unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// `+CGMI`.
    pub manufacturer: Option<String>,
    /// `+CGMM`.
    pub model: Option<String>,
    /// `+CGMR`.
    pub revision: Option<String>,
    /// `+CGSN`.
    pub imei: Option<String>,
    /// `+CIMI`.
    pub imsi: Option<String>,
    /// `+CCID` (or a vendor variant).
    pub iccid: Option<String>,
    /// `+CNUM`, when the SIM knows its own number.
    pub msisdn: Option<String>,
}

/// 27.007 `<stat>` of `+CREG` and friends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    /// 0: not registered, not searching.
    NotRegistered,
    /// 1: home network.
    Home,
    /// 2: searching.
    Searching,
    /// 3: registration denied.
    Denied,
    /// 4: unknown.
    Unknown,
    /// 5: roaming.
    Roaming,
    /// 6–10: SMS-only and emergency variants of LTE; 6 and 7 can carry SMS.
    SmsOnly,
}

impl Registration {
    /// From a `<stat>` value.
    pub fn from_stat(stat: u8) -> Self {
        match stat {
            0 => Self::NotRegistered,
            1 => Self::Home,
            2 => Self::Searching,
            3 => Self::Denied,
            5 => Self::Roaming,
            6 | 7 => Self::SmsOnly,
            _ => Self::Unknown,
        }
    }

    /// Whether SMS can be sent in this state.
    pub fn can_send(self) -> bool {
        matches!(self, Self::Home | Self::Roaming | Self::SmsOnly)
    }
}

/// Network state from the periodic poll.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NetworkStatus {
    /// Circuit-switched registration (what SMS over CS needs).
    pub registration: Option<Registration>,
    /// Operator name from `+COPS?`.
    pub operator: Option<String>,
    /// `+CSQ` RSSI index (0–31, 99 unknown).
    pub rssi: Option<u8>,
    /// The RSSI in dBm.
    pub signal_dbm: Option<i16>,
}

/// Converts a `+CSQ` RSSI index to dBm (27.007 §8.5): 0 is −113 dBm or less, 31 is
/// −51 dBm or more, 2 dBm per step; 99 is "not known".
pub fn csq_to_dbm(rssi: u8) -> Option<i16> {
    match rssi {
        0..=31 => Some(-113 + 2 * i16::from(rssi)),
        _ => None,
    }
}

/// Everything observable about one modem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModemStatus {
    /// The modem's configured name.
    pub name: String,
    /// Its state (ready, initialising, down…) and, when it is not ready, why.
    #[serde(flatten)]
    pub state: ModemState,
    /// Identity (filled in by initialisation).
    pub identity: Identity,
    /// SMSC from `+CSCA?`.
    pub smsc: Option<String>,
    /// Registration, operator and signal as last polled.
    pub network: NetworkStatus,
    /// The `+CNMI` setting the modem accepted.
    pub cnmi: Option<String>,
    /// The TP-MR of the last segment sent (wraps at 255).
    pub last_message_ref: Option<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csq_scale() {
        assert_eq!(csq_to_dbm(0), Some(-113));
        assert_eq!(csq_to_dbm(20), Some(-73));
        assert_eq!(csq_to_dbm(31), Some(-51));
        assert_eq!(csq_to_dbm(99), None);
    }

    #[test]
    fn registration_states() {
        assert!(Registration::from_stat(1).can_send());
        assert!(Registration::from_stat(5).can_send());
        assert!(!Registration::from_stat(2).can_send());
        assert!(!Registration::from_stat(3).can_send());
    }
}
