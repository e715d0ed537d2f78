//! Status reports from modems → segment and message states. Matched on modem + TP-MR +
//! recipient within a time window (the store picks the most recent segment, which is how
//! the 0–255 TP-MR wrap is survived).
//!
//! Each report is acked to its modem only after the store recorded it — matched, or kept
//! durably as an orphan when it overtook the record of its own send (the store adopts it
//! when the send is recorded). Until then the report stays on the SIM, so a crash between
//! reading and recording loses nothing: the next sweep reads it again.

use crate::message::now_millis;
use crate::modem::ModemEvent;
use crate::store::Store;
use std::time::Duration;
use tokio::sync::mpsc;
use tracing::{debug, warn};

/// Consumes modem events until the channel closes.
pub async fn consume(
    store: Store,
    mut events: mpsc::Receiver<ModemEvent>,
    window: Duration,
    metrics: crate::metrics::Metrics,
) {
    while let Some(event) = events.recv().await {
        match event {
            ModemEvent::StatusReport {
                modem,
                report,
                raw,
                ack,
            } => {
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
                    Ok(Some((id, status))) => {
                        debug!(message = %id, %status, "status report");
                        metrics.delivery_report(&modem, status.as_str());
                        ack.done();
                    }
                    Ok(None) => {
                        debug!(%modem, mr = report.message_ref, %recipient, %raw, "status report kept until its send is recorded");
                        ack.done();
                    }
                    // Not acked: it stays on the modem and is offered again.
                    Err(e) => warn!(%modem, "recording a status report failed: {e}"),
                }
            }
            ModemEvent::Received { modem, .. } => {
                // Received messages are the inbox's (the daemon routes them there); one that
                // lands here is not acked and so stays on the modem for the inbox to take.
                warn!(%modem, "inbound message event at the status-report consumer; left on the modem");
            }
            ModemEvent::Undecodable {
                modem,
                raw,
                error,
                ack,
            } => {
                // The raw PDU is in this log line: that is its record until the inbox
                // stores undecodable PDUs.
                warn!(%modem, %raw, %error, "undecodable PDU");
                ack.done();
            }
        }
    }
}
