//! Status reports from modems → segment and message states. Matched on modem + TP-MR +
//! recipient within a time window (the store picks the most recent segment, which is how
//! the 0–255 TP-MR wrap is survived); a report that matches nothing is logged, not lost
//! silently.

use crate::message::now_millis;
use crate::modem::ModemEvent;
use crate::store::Store;
use std::time::Duration;
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

/// Consumes modem events until the channel closes.
pub async fn consume(store: Store, mut events: mpsc::Receiver<ModemEvent>, window: Duration) {
    while let Some(event) = events.recv().await {
        match event {
            ModemEvent::StatusReport { modem, report, raw } => {
                let recipient = report.recipient.to_string();
                let result = store
                    .record_status_report(
                        &modem,
                        report.message_ref,
                        &recipient,
                        report.status,
                        report.delivery_status(),
                        now_millis(),
                        window,
                    )
                    .await;
                match result {
                    Ok(Some((id, status))) => debug!(message = %id, %status, "status report"),
                    Ok(None) => {
                        info!(%modem, mr = report.message_ref, %recipient, %raw, "status report matches no sent segment")
                    }
                    Err(e) => warn!(%modem, "recording a status report failed: {e}"),
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
