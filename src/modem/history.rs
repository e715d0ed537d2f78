//! What an operator asks of one modem beyond its current state: the signal of the last
//! hour (one sample per health poll, in a bounded ring) and counters since start — failed
//! sends, `+CMS ERROR` codes, messages received.
//!
//! Plain data behind a mutex; the driver writes, `GET /api/modems/{name}` reads. Invariant:
//! the ring never holds more than [`SIGNAL_SAMPLES`] samples nor any older than
//! [`SIGNAL_WINDOW_MS`] when read.

use crate::message::Millis;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

/// Most signal samples kept (two per minute for an hour at the default 30 s poll).
pub const SIGNAL_SAMPLES: usize = 120;

/// How far back the signal history reaches.
pub const SIGNAL_WINDOW_MS: Millis = 3_600_000;

/// One signal sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SignalSample {
    /// When (Unix milliseconds).
    pub at: Millis,
    /// `+CSQ` RSSI index (None: 99, unknown).
    pub rssi: Option<u8>,
    /// The same in dBm.
    pub dbm: Option<i16>,
}

/// Counters since the daemon started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ModemCounters {
    /// Sends that failed (any segment).
    pub send_failures: u64,
    /// `+CMS ERROR` answers to `+CMGS`, by code.
    pub cms_errors: BTreeMap<String, u64>,
    /// Inbound messages and status reports announced by the modem.
    pub received: u64,
    /// The last send failure: when and what (`+CMS ERROR: 500`, a timeout…).
    pub last_error: Option<LastError>,
    /// When the modem last accepted a segment (`+CMGS: <mr>`), Unix milliseconds.
    pub last_sent_at: Option<Millis>,
}

/// The last failure of a send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LastError {
    /// When (Unix milliseconds).
    pub at: Millis,
    /// What the modem or the link said.
    pub error: String,
}

#[derive(Debug, Default)]
struct Inner {
    signal: VecDeque<SignalSample>,
    counters: ModemCounters,
}

/// The history of one modem.
#[derive(Debug, Default)]
pub struct History {
    inner: Mutex<Inner>,
}

impl History {
    /// Adds a signal sample taken at `at`.
    pub fn sample_signal(&self, at: Millis, rssi: Option<u8>, dbm: Option<i16>) {
        if let Ok(mut inner) = self.inner.lock() {
            if inner.signal.len() >= SIGNAL_SAMPLES {
                inner.signal.pop_front();
            }
            inner.signal.push_back(SignalSample { at, rssi, dbm });
        }
    }

    /// Counts a failed send at `at`: what it was, and its `+CMS ERROR` code if it had one.
    pub fn count_failure(&self, at: Millis, error: String, cms: Option<String>) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.counters.send_failures += 1;
            inner.counters.last_error = Some(LastError { at, error });
            if let Some(code) = cms {
                *inner.counters.cms_errors.entry(code).or_default() += 1;
            }
        }
    }

    /// Records that the modem accepted a segment at `at`.
    pub fn count_sent(&self, at: Millis) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.counters.last_sent_at = Some(at);
        }
    }

    /// Counts a received message or report.
    pub fn count_received(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.counters.received += 1;
        }
    }

    /// The samples of the hour before `now`, oldest first.
    pub fn signal(&self, now: Millis) -> Vec<SignalSample> {
        self.inner
            .lock()
            .map(|i| {
                i.signal
                    .iter()
                    .filter(|s| now.saturating_sub(s.at) <= SIGNAL_WINDOW_MS)
                    .copied()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The counters now.
    pub fn counters(&self) -> ModemCounters {
        self.inner
            .lock()
            .map(|i| i.counters.clone())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_is_bounded_and_windowed() {
        let h = History::default();
        for i in 0..200 {
            h.sample_signal(i * 1000, Some(20), Some(-73));
        }
        let all = h.signal(200_000);
        assert_eq!(all.len(), SIGNAL_SAMPLES);
        assert_eq!(all.first().map(|s| s.at), Some(80_000));
        // Two hours later only what is within the hour counts: none.
        assert!(h.signal(200_000 + 2 * SIGNAL_WINDOW_MS).is_empty());
    }

    #[test]
    fn counts_cms_codes() {
        let h = History::default();
        h.count_failure(1, "+CMS ERROR: 500".into(), Some("500".into()));
        h.count_failure(2, "+CMS ERROR: 500".into(), Some("500".into()));
        h.count_failure(3, "timeout".into(), None);
        h.count_received();
        let c = h.counters();
        assert_eq!(c.send_failures, 3);
        assert_eq!(c.cms_errors.get("500"), Some(&2));
        assert_eq!(c.received, 1);
        assert_eq!(
            c.last_error.map(|e| (e.at, e.error)),
            Some((3, "timeout".into()))
        );
    }
}
