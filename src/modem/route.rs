//! A modem as a [`Route`] for the dispatcher: its rate limits (segments per minute, hour,
//! day, in sliding windows), weight, cost, destination prefixes, and the in-flight count
//! (a modem sends one message at a time).

use super::driver::{Modem, SendError};
use crate::pdu::EncodedPdu;
use crate::ratelimit::{Limiter, Window};
use crate::route::{
    ErrorClass, OutboundMessage, Route, RouteError, RouteSnapshot, SegmentReceipt, SendFuture,
};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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
    fragment_segments: AtomicU64,
    /// Segments sent, against the per-minute, -hour and -day limits.
    limiter: Limiter,
    /// Time zero of the limiter's clock (tokio's, so paused-time tests are exact).
    epoch: Instant,
    /// Operator hold, balance and SIM quota.
    admin: super::admin::AdminState,
}

impl ModemRoute {
    /// Wraps a running modem.
    pub fn new(modem: Modem, settings: RouteSettings) -> Self {
        Self {
            modem,
            in_flight: AtomicUsize::new(0),
            sent_segments: AtomicU64::new(0),
            fragment_segments: AtomicU64::new(0),
            limiter: Limiter::new(
                [
                    (settings.limits.per_minute, 60),
                    (settings.limits.per_hour, 3600),
                    (settings.limits.per_day, 86_400),
                ]
                .into_iter()
                .filter_map(|(limit, secs)| {
                    limit.map(|l| Window::new(l, Duration::from_secs(secs)))
                }),
            ),
            epoch: Instant::now(),
            settings,
            admin: super::admin::AdminState::default(),
        }
    }

    /// The same route with a SIM quota.
    pub fn with_quota(mut self, quota: super::quota::Quota) -> Self {
        self.admin = super::admin::AdminState::with_quota(Some(quota));
        self
    }

    /// The operator's hold, the balance and the quota.
    pub fn admin(&self) -> &super::admin::AdminState {
        &self.admin
    }

    /// The modem behind it.
    pub fn modem(&self) -> &Modem {
        &self.modem
    }

    /// Milliseconds since the route was made, on tokio's clock.
    fn now_ms(&self) -> i64 {
        i64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(i64::MAX)
    }

    /// Segments still allowed now under the limits (None: unlimited). A limit of 0 is
    /// a route that may send nothing.
    fn allowance(&self) -> Option<u64> {
        let Limits {
            per_minute,
            per_hour,
            per_day,
        } = self.settings.limits;
        if [per_minute, per_hour, per_day].contains(&Some(0)) {
            return Some(0);
        }
        // A SIM at its quota is skipped like one at its rate limit: its messages go to
        // another route or wait, and a message that cannot fit all its parts is not started.
        let quota = self.admin.quota().and_then(|q| q.remaining());
        match (self.limiter.allowance(self.now_ms()), quota) {
            (Some(a), Some(q)) => Some(a.min(q)),
            (a, q) => a.or(q),
        }
    }

    fn record_usage(&self, segments: u32) {
        self.sent_segments
            .fetch_add(u64::from(segments), Ordering::Relaxed);
        self.limiter.record(segments, self.now_ms());
        self.admin.record_segments(u64::from(segments));
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
            // Out of rotation when an operator disabled it or its balance is low.
            ready: self.modem.status().state.accepts_traffic() && self.admin.held().is_none(),
            in_flight: self.in_flight.load(Ordering::Acquire),
            concurrency: 1,
            allowance: self.allowance(),
            sent_segments: self.sent_segments.load(Ordering::Relaxed),
            fragment_segments: self.fragment_segments.load(Ordering::Relaxed),
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
                            // `[[modems]] cost_per_segment`, so analytics count what the
                            // SIM plan charges; a free modem records none.
                            cost: (self.settings.cost_per_segment > 0.0)
                                .then_some(self.settings.cost_per_segment),
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
                    self.fragment_segments
                        .fetch_add(sent.len() as u64, Ordering::Relaxed);
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
