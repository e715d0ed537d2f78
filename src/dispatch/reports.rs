//! Status reports from modems → segment and message states. Matched on modem + TP-MR +
//! recipient within a time window (the store picks the most recent segment, which is how
//! the 0–255 TP-MR wrap is survived).
//!
//! A report can overtake the record of its own send: the network may answer within
//! milliseconds of `+CMGS`, before the dispatcher has committed "sent". So a report that
//! matches nothing is held and tried again for [`HOLD`] before it is given up (and logged,
//! never dropped silently). At most [`MAX_HELD`] wait; beyond that the oldest is logged and
//! dropped.

use crate::message::now_millis;
use crate::modem::ModemEvent;
use crate::pdu::DeliveryStatus;
use crate::store::Store;
use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::{debug, info, warn};

/// How long an unmatched report is retried.
pub const HOLD: Duration = Duration::from_secs(30);
/// Unmatched reports held at most.
pub const MAX_HELD: usize = 10_000;
const RETRY_EVERY: Duration = Duration::from_millis(250);

#[derive(Debug, Clone)]
struct Report {
    modem: String,
    message_ref: u8,
    recipient: String,
    tp_st: u8,
    status: DeliveryStatus,
    raw: String,
}

/// Consumes modem events until the channel closes.
pub async fn consume(store: Store, mut events: mpsc::Receiver<ModemEvent>, window: Duration) {
    let mut held: VecDeque<(Instant, Report)> = VecDeque::new();
    loop {
        let event = tokio::select! {
            event = events.recv() => match event {
                Some(event) => event,
                None => break,
            },
            () = tokio::time::sleep(RETRY_EVERY), if !held.is_empty() => {
                retry_held(&store, &mut held, window).await;
                continue;
            }
        };
        match event {
            ModemEvent::StatusReport { modem, report, raw } => {
                let report = Report {
                    modem: modem.to_string(),
                    message_ref: report.message_ref,
                    recipient: report.recipient.to_string(),
                    tp_st: report.status,
                    status: report.delivery_status(),
                    raw,
                };
                if !record(&store, &report, window).await {
                    if held.len() >= MAX_HELD {
                        if let Some((_, oldest)) = held.pop_front() {
                            warn!(modem = %oldest.modem, mr = oldest.message_ref, raw = %oldest.raw, "too many unmatched status reports; dropping the oldest");
                        }
                    }
                    held.push_back((Instant::now() + HOLD, report));
                }
            }
            ModemEvent::Received { modem, deliver, .. } => {
                // The daemon asks modems for status reports only until the inbox exists, so
                // this is not expected; say so rather than drop it quietly.
                warn!(%modem, from = %deliver.originator, "inbound message event without an inbox");
            }
            ModemEvent::Undecodable { modem, raw, error } => {
                warn!(%modem, %raw, %error, "undecodable PDU")
            }
        }
    }
}

/// Tries to record a report; false when it matches nothing (yet).
async fn record(store: &Store, r: &Report, window: Duration) -> bool {
    let result = store
        .record_status_report(
            &r.modem,
            r.message_ref,
            &r.recipient,
            r.tp_st,
            r.status,
            now_millis(),
            window,
        )
        .await;
    match result {
        Ok(Some((id, status))) => {
            debug!(message = %id, %status, "status report");
            true
        }
        Ok(None) => false,
        Err(e) => {
            warn!(modem = %r.modem, "recording a status report failed: {e}");
            false
        }
    }
}

async fn retry_held(store: &Store, held: &mut VecDeque<(Instant, Report)>, window: Duration) {
    let now = Instant::now();
    let mut still = VecDeque::with_capacity(held.len());
    for (deadline, report) in held.drain(..) {
        if record(store, &report, window).await {
            continue;
        }
        if now >= deadline {
            info!(modem = %report.modem, mr = report.message_ref, recipient = %report.recipient, raw = %report.raw, "status report matches no sent segment");
        } else {
            still.push_back((deadline, report));
        }
    }
    *held = still;
}
