//! Everything that comes in from the modems (layer 3): received messages, reassembled and
//! stored in the inbox with the opt-out keywords they carry (`inbox`), and status reports
//! matched to the segments they report on (`reports`); [`split_events`] hands each modem
//! event to the one of the two that owns it.
//!
//! Two-way messaging grows here (conversations, keyword and automatic replies:
//! `auto_reply` is the worker, `ai` its OpenAI-compatible client). Never
//! imports HTTP, the service, the dispatcher or a concrete modem type: modems are met only
//! as [`ModemEvent`]s, which are acked to their modem only once their consumer committed
//! them.

pub mod ai;
pub mod auto_reply;
pub mod inbox;
pub mod reports;

use crate::modem::ModemEvent;
use tokio::sync::mpsc;
use tracing::warn;

/// Hands each modem event to its consumer: received messages to the inbox, status reports
/// and undecodable PDUs to the report consumer. An event a consumer can no longer take is
/// dropped unacked, so it stays on the modem.
pub async fn split_events(
    mut events: mpsc::Receiver<ModemEvent>,
    reports: mpsc::Sender<ModemEvent>,
    inbound: mpsc::Sender<ModemEvent>,
    metrics: crate::metrics::Metrics,
) {
    while let Some(event) = events.recv().await {
        let to = match event {
            ModemEvent::Received { .. } => {
                metrics.inbound_received();
                &inbound
            }
            ModemEvent::StatusReport { .. } | ModemEvent::Undecodable { .. } => &reports,
        };
        if to.send(event).await.is_err() {
            warn!("a modem event consumer has stopped; the event stays on the modem");
        }
    }
}
