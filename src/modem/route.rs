//! A modem as a [`Route`] for the dispatcher: its rate limits (segments per minute, hour,
//! day, in sliding windows), weight, cost, destination prefixes, and the in-flight count
//! (a modem sends one message at a time).

use super::driver::{Modem, SendError};
use crate::pdu::EncodedPdu;
use crate::route::{
    ErrorClass, OutboundMessage, Route, RouteError, RouteSnapshot, SegmentReceipt, SendFuture,
};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Segment limits; `None` is unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// Per rolling minute.
    pub per_minute: Option<u32>,
    /// Per rolling hour.
    pub per_hour: Option<u32>,
    /// Per rolling day.
    pub per_day: Option<u32>,
}

/// Balancing attributes of a modem route.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RouteSettings {
    /// Rate limits.
    pub limits: Limits,
    /// Share for weighted balancing.
    pub weight: u32,
    /// Cost per segment.
    pub cost_per_segment: f64,
    /// Destination prefixes served (empty: any).
    pub prefixes: Vec<String>,
}

/// A modem route.
pub struct ModemRoute {
    modem: Modem,
    settings: RouteSettings,
    in_flight: AtomicUsize,
    sent_segments: AtomicU64,
    /// (when, segments) of recent sends, for the limits; pruned past a day.
    recent: Mutex<VecDeque<(Instant, u32)>>,
}

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);

impl ModemRoute {
    /// Wraps a running modem.
    pub fn new(modem: Modem, settings: RouteSettings) -> Self {
        Self {
            modem,
            settings,
            in_flight: AtomicUsize::new(0),
            sent_segments: AtomicU64::new(0),
            recent: Mutex::new(VecDeque::new()),
        }
    }

    /// The modem behind it.
    pub fn modem(&self) -> &Modem {
        &self.modem
    }

    /// Segments still allowed now under the limits (None: unlimited).
    fn allowance(&self) -> Option<u64> {
        let Limits {
            per_minute,
            per_hour,
            per_day,
        } = self.settings.limits;
        if per_minute.is_none() && per_hour.is_none() && per_day.is_none() {
            return None;
        }
        let now = Instant::now();
        let mut recent = self.recent.lock().ok()?;
        while recent
            .front()
            .is_some_and(|(at, _)| now.duration_since(*at) >= DAY)
        {
            recent.pop_front();
        }
        let used = |window: Duration| -> u64 {
            recent
                .iter()
                .filter(|(at, _)| now.duration_since(*at) < window)
                .map(|(_, n)| u64::from(*n))
                .sum()
        };
        [(per_minute, MINUTE), (per_hour, HOUR), (per_day, DAY)]
            .iter()
            .filter_map(|(limit, window)| limit.map(|l| u64::from(l).saturating_sub(used(*window))))
            .min()
    }

    fn record_usage(&self, segments: u32) {
        self.sent_segments
            .fetch_add(u64::from(segments), Ordering::Relaxed);
        if let Ok(mut recent) = self.recent.lock() {
            recent.push_back((Instant::now(), segments));
        }
    }
}

/// Decrements the in-flight count however the send ends.
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Route for ModemRoute {
    fn name(&self) -> &str {
        self.modem.name()
    }

    fn snapshot(&self) -> RouteSnapshot {
        RouteSnapshot {
            name: self.modem.name().to_string(),
            ready: self.modem.status().state.accepts_traffic(),
            in_flight: self.in_flight.load(Ordering::Acquire),
            concurrency: 1,
            allowance: self.allowance(),
            sent_segments: self.sent_segments.load(Ordering::Relaxed),
            weight: self.settings.weight.max(1),
            prefixes: self.settings.prefixes.clone(),
            cost_per_segment: self.settings.cost_per_segment,
        }
    }

    fn send<'a>(&'a self, message: &'a OutboundMessage) -> SendFuture<'a> {
        Box::pin(async move {
            self.in_flight.fetch_add(1, Ordering::AcqRel);
            let _in_flight = InFlight(&self.in_flight);
            let pdus: Vec<EncodedPdu> = message
                .segments
                .iter()
                .map(|s| EncodedPdu {
                    hex: s.pdu_hex.clone(),
                    tpdu_length: usize::from(s.tpdu_length),
                })
                .collect();
            let result = self.modem.send_segments(&pdus).await;
            let route = self.modem.name().to_string();
            match result {
                Ok(refs) => {
                    self.record_usage(u32::try_from(refs.len()).unwrap_or(u32::MAX));
                    Ok(message
                        .segments
                        .iter()
                        .zip(refs)
                        .map(|(s, mr)| SegmentReceipt {
                            seq: s.seq,
                            message_ref: Some(mr),
                            provider_id: None,
                            cost: None,
                        })
                        .collect())
                }
                Err(SendError::NotReady { state, .. }) => Err(RouteError {
                    route,
                    class: ErrorClass::RetryElsewhere,
                    message: format!("not ready: {state:?}"),
                    sent_segments: 0,
                }),
                Err(SendError::Failed {
                    segment,
                    sent,
                    class,
                    error,
                    ..
                }) => {
                    self.record_usage(u32::try_from(sent.len()).unwrap_or(u32::MAX));
                    Err(RouteError {
                        route,
                        class,
                        message: format!("segment {}: {error}", segment + 1),
                        sent_segments: sent.len(),
                    })
                }
            }
        })
    }
}
