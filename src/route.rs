//! The seam between the dispatcher and whatever carries a message: a modem or a cloud
//! provider. Layer 0 — types and a trait, no I/O.
//!
//! A [`Route`] takes one message (all its segments) and either returns a receipt per
//! segment or a [`RouteError`] whose [`ErrorClass`] tells the dispatcher what to do next.
//! [`RouteSnapshot`] is what the balancer sees of a route: pure data, so balancing and retry
//! decisions are pure functions that are tested without any route at all.

use crate::message::{MessageId, Millis, SmsType};
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;
use thiserror::Error;

/// What a failed send means for the message and the route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// The message cannot be delivered by any route (bad number, barred, rejected).
    Permanent,
    /// A passing failure: the same route may succeed in a moment.
    RetryHere,
    /// This route cannot send now (no network, SMSC unknown, congestion): use another.
    RetryElsewhere,
    /// The route needs recovery (SIM gone, ME failure, no answer): use another at once.
    RouteBroken,
    /// The message went out and no answer came: it may or may not have been sent.
    Ambiguous,
}

/// One segment of a message — one type from accept to send: the service makes it from the
/// codec's PDU, the store keeps it (sealed when it carries a secret), the lease hands it
/// back, a route sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundSegment {
    /// 1-based.
    pub seq: u16,
    /// PDU-mode hex (SMSC octets first) for modems.
    pub pdu_hex: String,
    /// `AT+CMGS` length.
    pub tpdu_length: u16,
}

/// A message as a route receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundMessage {
    /// Its id (providers put it in callback URLs).
    pub id: MessageId,
    /// E.164 destination.
    pub recipient: String,
    /// The text (or hex for binary), for providers that take text.
    pub body: String,
    /// What it is for.
    pub sms_type: SmsType,
    /// Not to be sent after this.
    pub expire_at: Option<Millis>,
    /// The PDUs, for modems.
    pub segments: Vec<OutboundSegment>,
}

/// The receipt of one segment: what the route learnt sending it, recorded by the store as
/// it is.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentReceipt {
    /// 1-based.
    pub seq: u16,
    /// The modem's TP-MR for this segment.
    pub message_ref: Option<u8>,
    /// The provider's id for it.
    pub provider_id: Option<String>,
    /// What this segment cost, in the provider's currency, when known (a provider that
    /// prices the whole message puts it on the first receipt; modems: `None`).
    pub cost: Option<f64>,
}

/// A failed send.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{route}: {message} ({class:?})")]
pub struct RouteError {
    /// Which route.
    pub route: String,
    /// What it means.
    pub class: ErrorClass,
    /// What happened.
    pub message: String,
    /// Segments that went out before the failure.
    pub sent_segments: usize,
}

/// What the balancer sees of a route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteSnapshot {
    /// Route name (modem name, or provider name).
    pub name: String,
    /// Fit for traffic now.
    pub ready: bool,
    /// Messages being sent right now.
    pub in_flight: usize,
    /// How many messages it can send at once (1 for a modem).
    pub concurrency: usize,
    /// Segments it may still send under its per-minute/hour/day limits (None: unlimited).
    pub allowance: Option<u64>,
    /// Segments sent since start, for least-loaded and weighted balancing.
    pub sent_segments: u64,
    /// Of those, parts of messages the route could not finish: the recipient holds a
    /// fragment, and when the message is retried these parts go out again (what a SIM farm
    /// pays twice for).
    pub fragment_segments: u64,
    /// Relative share for `weighted`.
    pub weight: u32,
    /// Destination prefixes it serves (empty: any).
    pub prefixes: Vec<String>,
    /// Cost per segment.
    pub cost_per_segment: f64,
}

impl RouteSnapshot {
    /// Whether it can take a message of `segments` segments to `recipient` now.
    pub fn can_take(&self, recipient: &str, segments: usize) -> bool {
        self.ready
            && self.in_flight < self.concurrency
            && self.allowance.is_none_or(|a| a >= segments as u64)
            && (self.prefixes.is_empty() || self.longest_prefix(recipient).is_some())
    }

    /// Length of the longest of its prefixes that `recipient` starts with.
    pub fn longest_prefix(&self, recipient: &str) -> Option<usize> {
        let digits = recipient.trim_start_matches('+');
        self.prefixes
            .iter()
            .map(|p| p.trim_start_matches('+'))
            .filter(|p| digits.starts_with(p))
            .map(str::len)
            .max()
    }
}

/// The future a route's send returns.
pub type SendFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<SegmentReceipt>, RouteError>> + Send + 'a>>;

/// Something that carries messages: a modem or a provider.
pub trait Route: Send + Sync {
    /// Its name (unique among routes).
    fn name(&self) -> &str;
    /// Its current state for the balancer.
    fn snapshot(&self) -> RouteSnapshot;
    /// Sends every segment of `message`, in order.
    fn send<'a>(&'a self, message: &'a OutboundMessage) -> SendFuture<'a>;
}
