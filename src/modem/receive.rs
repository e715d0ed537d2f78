//! Turning what a modem holds or routes into [`ModemEvent`]s: reading stored messages
//! (`+CMGR`, `+CMGL`), decoding their PDUs, and the events themselves.
//!
//! Invariant: a stored message is deleted from the modem (and a routed one acknowledged to
//! the network with `+CNMA`) only after the consumer *acked* its event — said it is durably
//! recorded ([`Ack::done`]). Without an ack within [`ACK_TIMEOUT`] it stays on the modem and
//! the next sweep offers it again (a routed one is redelivered by the network). A PDU that
//! does not decode is still handed over (raw, with the error), so nothing received is lost
//! to a decoder gap.

use crate::at::{AtClient, AtError, Class, Param, Response};
use crate::pdu::{Address, Deliver, PduModePdu, StatusReport, Tpdu};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tracing::warn;

/// How long the modem waits for the consumer to ack an event before keeping it.
pub const ACK_TIMEOUT: Duration = Duration::from_secs(30);

/// The consumer's word that an event is durably recorded: only then does the modem delete
/// what it read (or acknowledge it to the network). Cheap to clone; the first `done` counts.
#[derive(Clone, Default)]
pub struct Ack(Option<Arc<Mutex<Option<oneshot::Sender<()>>>>>);

impl Ack {
    /// An ack and the receiver the modem waits on.
    pub fn pair() -> (Ack, oneshot::Receiver<()>) {
        let (tx, rx) = oneshot::channel();
        (Ack(Some(Arc::new(Mutex::new(Some(tx))))), rx)
    }

    /// An ack nobody waits for (an event built outside a modem, e.g. in a test).
    pub fn none() -> Ack {
        Ack(None)
    }

    /// The event is recorded: the modem may delete it.
    pub fn done(&self) {
        let sender = self
            .0
            .as_ref()
            .and_then(|slot| slot.lock().ok().and_then(|mut s| s.take()));
        if let Some(sender) = sender {
            let _ = sender.send(());
        }
    }
}

impl fmt::Debug for Ack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ack")
    }
}

/// Acks carry no data: two events are equal whatever their acks.
impl PartialEq for Ack {
    fn eq(&self, _: &Ack) -> bool {
        true
    }
}

impl Eq for Ack {}

/// Something a modem received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModemEvent {
    /// One SMS-DELIVER (one segment of a message; reassembly is the inbox's job).
    Received {
        /// The modem's name.
        modem: Arc<str>,
        /// SMSC that delivered it.
        smsc: Option<Address>,
        /// The decoded TPDU.
        deliver: Deliver,
        /// The PDU as the modem printed it (for storage and diagnosis).
        raw: String,
        /// Call `done` once it is recorded.
        ack: Ack,
    },
    /// A status report for a message this modem sent.
    StatusReport {
        /// The modem's name.
        modem: Arc<str>,
        /// The decoded report.
        report: StatusReport,
        /// The PDU as printed.
        raw: String,
        /// Call `done` once it is recorded.
        ack: Ack,
    },
    /// A PDU that did not decode (kept, never dropped).
    Undecodable {
        /// The modem's name.
        modem: Arc<str>,
        /// The PDU line.
        raw: String,
        /// The decoder's error (field and offset).
        error: String,
        /// Call `done` once it is recorded.
        ack: Ack,
    },
}

impl ModemEvent {
    /// The event's ack.
    pub fn ack(&self) -> &Ack {
        match self {
            ModemEvent::Received { ack, .. }
            | ModemEvent::StatusReport { ack, .. }
            | ModemEvent::Undecodable { ack, .. } => ack,
        }
    }
}

/// What a modem actor takes off the modem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReceivePolicy {
    /// Messages and status reports (the daemon).
    #[default]
    All,
    /// Status reports only; messages stay on the modem (`smsgate modem send --wait-report`).
    ReportsOnly,
    /// Nothing; everything stays on the modem (`smsgate modem probe`).
    Nothing,
}

impl ReceivePolicy {
    /// Whether this event may be taken (handed over and deleted from the modem).
    pub fn takes(self, event: &ModemEvent) -> bool {
        match self {
            ReceivePolicy::All => true,
            ReceivePolicy::ReportsOnly => matches!(event, ModemEvent::StatusReport { .. }),
            ReceivePolicy::Nothing => false,
        }
    }
}

/// Decodes one PDU line into the event it stands for.
pub fn event_for(modem: &Arc<str>, raw: &str, ack: Ack) -> ModemEvent {
    match PduModePdu::decode_hex(raw) {
        Ok(PduModePdu {
            smsc,
            tpdu: Tpdu::Deliver(deliver),
        }) => ModemEvent::Received {
            modem: modem.clone(),
            smsc,
            deliver,
            raw: raw.to_string(),
            ack,
        },
        Ok(PduModePdu {
            tpdu: Tpdu::StatusReport(report),
            ..
        }) => ModemEvent::StatusReport {
            modem: modem.clone(),
            report,
            raw: raw.to_string(),
            ack,
        },
        Ok(PduModePdu {
            tpdu: Tpdu::Submit(_),
            ..
        }) => ModemEvent::Undecodable {
            modem: modem.clone(),
            raw: raw.to_string(),
            error: "an SMS-SUBMIT (a sent message stored on the SIM), not an inbound message"
                .to_string(),
            ack,
        },
        Err(e) => {
            warn!(modem = %modem, error = %e, "undecodable inbound PDU");
            ModemEvent::Undecodable {
                modem: modem.clone(),
                raw: raw.to_string(),
                error: e.to_string(),
                ack,
            }
        }
    }
}

/// Hands `event` to the consumer and waits (at most [`ACK_TIMEOUT`]) for its ack; true when
/// the modem may now delete what it read.
pub async fn hand_over(
    events: &mpsc::Sender<ModemEvent>,
    event: ModemEvent,
    acked: oneshot::Receiver<()>,
) -> bool {
    // Bounded as a whole: a consumer that neither takes nor confirms must not stall the
    // modem's session (health checks, recovery) for long.
    let deadline = tokio::time::Instant::now() + ACK_TIMEOUT;
    match tokio::time::timeout_at(deadline, events.send(event)).await {
        Ok(Ok(())) => {}
        _ => return false,
    }
    match tokio::time::timeout_at(deadline, acked).await {
        Ok(Ok(())) => true,
        _ => {
            warn!("the consumer did not confirm an inbound event; leaving it on the modem");
            false
        }
    }
}

/// The `(index, pdu)` pairs of a `+CMGL` answer in PDU mode.
pub fn listed_messages(response: &Response) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut lines = response.lines.iter().peekable();
    while let Some(line) = lines.next() {
        let Some(("+CMGL", params)) = crate::at::params::split_info(line) else {
            continue;
        };
        let index = params
            .first()
            .and_then(Param::int)
            .and_then(|i| u32::try_from(i).ok());
        let is_pdu_next = lines
            .peek()
            .is_some_and(|l| crate::at::params::split_info(l).is_none());
        if let (Some(index), true) = (index, is_pdu_next) {
            if let Some(pdu) = lines.next() {
                out.push((index, pdu.trim().to_string()));
            }
        }
    }
    out
}

/// Reads the message at `index`, hands it over, deletes it. A missing index (already read
/// by a sweep) is not an error.
pub async fn take_stored(
    at: &AtClient,
    modem: &Arc<str>,
    index: u32,
    policy: ReceivePolicy,
    events: &mpsc::Sender<ModemEvent>,
) -> Result<(), AtError> {
    if policy == ReceivePolicy::Nothing {
        return Ok(());
    }
    let response = match at
        .command_in(&format!("AT+CMGR={index}"), Class::Slow)
        .await
    {
        Ok(r) => r,
        Err(AtError::Cms(code)) if code.number() == Some(321) => return Ok(()),
        Err(e) => return Err(e),
    };
    // `+CMGR: <stat>,[<alpha>],<length>` then the PDU line; an empty slot answers OK alone.
    let pdu = response
        .lines
        .iter()
        .skip_while(|l| !l.starts_with("+CMGR"))
        .nth(1)
        .cloned();
    let Some(pdu) = pdu else {
        return Ok(()); // an empty slot
    };
    let (ack, acked) = Ack::pair();
    let event = event_for(modem, pdu.trim(), ack);
    if !policy.takes(&event) || !hand_over(events, event, acked).await {
        return Ok(()); // not ours to take, or not recorded: it stays on the modem
    }
    at.command(&format!("AT+CMGD={index}")).await.map(|_| ())
}

/// Lists every stored message (`AT+CMGL=4`), hands each over and deletes it. Modems lose
/// URCs (a `+CMTI` during a reset, a full buffer), so this runs at start and periodically.
pub async fn sweep(
    at: &AtClient,
    modem: &Arc<str>,
    policy: ReceivePolicy,
    events: &mpsc::Sender<ModemEvent>,
) -> Result<usize, AtError> {
    if policy == ReceivePolicy::Nothing {
        return Ok(0);
    }
    let response = at.command_in("AT+CMGL=4", Class::Slow).await?;
    let mut taken = 0;
    for (index, pdu) in listed_messages(&response) {
        let (ack, acked) = Ack::pair();
        let event = event_for(modem, &pdu, ack);
        if !policy.takes(&event) {
            continue;
        }
        if !hand_over(events, event, acked).await {
            break;
        }
        at.command(&format!("AT+CMGD={index}")).await?;
        taken += 1;
    }
    Ok(taken)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmgl_pairs_indices_with_pdus() {
        let response = Response {
            lines: vec![
                "+CMGL: 1,0,,24".into(),
                "07911326040000F0040B911346610089F60000208062917314080CC8329BFD065DDF72363904"
                    .into(),
                "+CMGL: 4,1,,5".into(),
                "0006D6".into(),
                "+CMGL: 9,1,,5".into(), // cut off: no PDU line
            ],
        };
        let listed = listed_messages(&response);
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[1], (4, "0006D6".to_string()));
    }

    #[test]
    fn events_by_pdu_type() {
        let modem: Arc<str> = Arc::from("m0");
        let deliver =
            "07911326040000F0040B911346610089F60000208062917314080CC8329BFD065DDF72363904";
        assert!(matches!(
            event_for(&modem, deliver, Ack::none()),
            ModemEvent::Received { .. }
        ));
        let report = "0006D60B911326880736F4111011719551401110117195714000";
        assert!(matches!(
            event_for(&modem, report, Ack::none()),
            ModemEvent::StatusReport { .. }
        ));
        assert!(matches!(
            event_for(&modem, "07ZZ", Ack::none()),
            ModemEvent::Undecodable { .. }
        ));
    }
}
