//! Configuration of the simulated network: the modems, their faults, and the sink.
//!
//! Plain data with defaults; no behaviour. Never imports `at/`, `modem/` or anything above
//! layer 1. Invariant: every default here is what a freshly plugged-in, healthy modem with
//! an unlocked SIM would show (`SimModemConfig::default_for(i)`).

use std::time::Duration;

/// The whole simulated network.
#[derive(Debug, Clone, Default)]
pub struct NetworkConfig {
    /// One entry per simulated modem; modem `i` is `modems[i]`.
    pub modems: Vec<SimModemConfig>,
    /// What happens to messages for numbers that are not simulated modems.
    pub sink: SinkConfig,
    /// Seed of every random choice (latency, failures, noise, identities).
    pub seed: u64,
}

impl NetworkConfig {
    /// `n` modems with default settings.
    pub fn with_modems(n: usize) -> Self {
        Self {
            modems: (0..n).map(SimModemConfig::default_for).collect(),
            sink: SinkConfig::default(),
            seed: 0,
        }
    }
}

/// Delay between the Ctrl-Z that ends a `+CMGS` body and the `+CMGS: <mr>` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Latency {
    /// Always this long.
    Fixed(Duration),
    /// Uniformly distributed in `[min, max]` (seeded).
    Range(Duration, Duration),
}

impl Default for Latency {
    fn default() -> Self {
        Latency::Fixed(Duration::ZERO)
    }
}

/// One simulated modem.
#[derive(Debug, Clone)]
pub struct SimModemConfig {
    /// Its own number (`+CNUM`, the originator of what it sends).
    pub msisdn: String,
    /// Delay before `+CMGS` answers.
    pub latency: Latency,
    /// `Some(pin)`: the SIM starts locked (`+CPIN: SIM PIN`).
    pub pin: Option<String>,
    /// Injected faults.
    pub faults: Faults,
    /// Number of SM storage slots.
    pub storage_capacity: usize,
    /// The `+CSQ` RSSI value (0–31, 99 unknown).
    pub signal_rssi: u8,
    /// `+CNMI` with `mt=2` or `ds=1` answers `+CMS ERROR: 303` (modems that only store).
    pub reject_direct_routing: bool,
    /// USSD answers: coding and balance.
    pub ussd: super::ussd::UssdConfig,
}

impl SimModemConfig {
    /// The defaults for modem `index`: MSISDN `+1202555{0101+index:04}` — numbers in the
    /// 555-01xx range North America keeps for fiction, yet valid to phone-number
    /// libraries, so the HTTP API (which validates E.164) accepts them.
    pub fn default_for(index: usize) -> Self {
        Self {
            msisdn: format!("+1202555{:04}", 101 + index),
            latency: Latency::default(),
            pin: None,
            faults: Faults::default(),
            storage_capacity: 30,
            signal_rssi: 20,
            reject_direct_routing: false,
            ussd: super::ussd::UssdConfig::default(),
        }
    }
}

impl Default for SimModemConfig {
    fn default() -> Self {
        Self::default_for(0)
    }
}

/// Faults a modem shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    /// Probability (0–1) that a `+CMGS` fails with one of `failure_codes`.
    pub failure_rate: f64,
    /// `+CMS ERROR` codes to pick from.
    pub failure_codes: Vec<u16>,
    /// These submits fail, counted from 1 over every `+CMGS` that reaches the network,
    /// with the first of `failure_codes` — a fault at an exact point (the second part of a
    /// message, say), for tests that must not depend on chance.
    pub fail_submits: Vec<u64>,
    /// After this many commands the modem stops answering until the port is reopened.
    pub hang_after: Option<u64>,
    /// Once: the modem stops answering for a while, then answers late (see [`Stall`]).
    pub stall: Option<Stall>,
    /// Emit a random unsolicited line this often.
    pub noise_interval: Option<Duration>,
    /// Put a URC between information lines and the final result code, and after `> `.
    pub urc_mid_response: bool,
    /// No SIM: `+CPIN?` answers `+CME ERROR: 10`.
    pub no_sim: bool,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            failure_rate: 0.0,
            failure_codes: vec![500],
            fail_submits: Vec::new(),
            hang_after: None,
            stall: None,
            noise_interval: None,
            urc_mid_response: false,
            no_sim: false,
        }
    }
}

/// A modem that goes silent for a while and comes back, as firmware busy with the network
/// does: the first command line or `+CMGS` body after `after_submits` accepted submits
/// (counted from when the stall is set; setting the same stall again does not re-arm it —
/// clear it first) gets
/// no echo and no answer for `duration`; input meanwhile is lost, unsolicited codes are not
/// sent; then that command (or body) is answered, late, and the modem works again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stall {
    /// Accepted submits before the stall.
    pub after_submits: u64,
    /// How long the modem is silent.
    pub duration: Duration,
}

/// The world outside the simulated network.
#[derive(Debug, Clone, Default)]
pub struct SinkConfig {
    /// Destinations starting with one of these get a failed status report (TP-ST 0x41).
    pub fail_prefixes: Vec<String>,
}

/// Text encoding of an injected inbound message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InboundEncoding {
    /// GSM 7-bit when every character fits, else UCS-2.
    #[default]
    Auto,
    /// GSM 7-bit (an error if the text does not fit).
    Gsm7,
    /// UCS-2.
    Ucs2,
}

/// Options of [`crate::sim::SimNetwork::inject_inbound`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboundOptions {
    /// The alphabet the simulated sender writes in.
    pub encoding: InboundEncoding,
    /// Message class 0–3.
    pub class: Option<u8>,
    /// Concatenation reference; `None` takes the network's next one. References above
    /// 255 use the 16-bit IE, others the 8-bit IE most handsets send.
    pub reference: Option<u16>,
    /// Only these segments (1-based), in this order — a message arriving out of order or
    /// with a part still to come; empty: every segment in order.
    pub parts: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_simulator_number_is_accepted_by_the_api() {
        // Regression: the simulator once numbered its modems +1555…, which no phone-number
        // library accepts, so a new user's first API call to a simulated modem failed.
        for i in 0..256 {
            let msisdn = SimModemConfig::default_for(i).msisdn;
            assert_eq!(
                crate::phone::E164::parse(&msisdn, None).map(String::from),
                Ok(msisdn.clone())
            );
        }
    }
}
