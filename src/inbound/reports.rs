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
use crate::pdu::DeliveryStatus;
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
                        // Kept, and adopted by the send when it is recorded (a busy writer,
                        // a fast network): counted now, by the verdict it carries, or it
                        // would never be counted at all.
                        match report.delivery_status() {
                            DeliveryStatus::Delivered => {
                                metrics.delivery_report(&modem, "delivered")
                            }
                            DeliveryStatus::Failed => {
                                metrics.delivery_report(&modem, "undelivered")
                            }
                            DeliveryStatus::Pending => {}
                        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{LiveState, Metrics};
    use crate::modem::Ack;
    use crate::pdu::{Address, StatusReport, Timestamp};

    fn report(status: u8) -> StatusReport {
        let at = Timestamp {
            year: 2026,
            month: 12,
            day: 6,
            hour: 4,
            minute: 0,
            second: 0,
            zone_quarters: 0,
        };
        StatusReport {
            more_messages: false,
            loop_prevention: false,
            for_command: false,
            message_ref: 7,
            recipient: Address::parse("+4915112345678").unwrap(),
            timestamp: at,
            discharge_time: at,
            status,
            protocol_id: None,
            dcs: None,
            user_data: None,
        }
    }

    /// A report that comes before its send is recorded (kept until the send adopts it) is
    /// counted too, by its own verdict — the send that adopts it counts nothing.
    #[tokio::test]
    async fn a_report_ahead_of_its_send_is_counted_by_its_verdict() {
        let store = Store::open_memory().await.unwrap();
        let metrics = Metrics::new();
        let (tx, rx) = mpsc::channel(4);
        for status in [0x00, 0x40, 0x20] {
            tx.send(ModemEvent::StatusReport {
                modem: "sim0".into(),
                report: report(status),
                raw: String::new(),
                ack: Ack::none(),
            })
            .await
            .unwrap();
        }
        drop(tx);
        consume(store, rx, Duration::from_secs(3600), metrics.clone()).await;
        let text = metrics.encode(&LiveState::default());
        let count = |status: &str| {
            text.lines()
                .filter(|l| {
                    l.starts_with("smsgate_delivery_reports_total{")
                        && l.contains(&format!("status=\"{status}\""))
                })
                .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .sum::<f64>()
        };
        assert_eq!(count("delivered"), 1.0, "{text}");
        assert_eq!(count("undelivered"), 1.0, "{text}");
        // A pending report (the SC still trying) settles nothing.
        assert_eq!(count("pending"), 0.0);
    }
}
