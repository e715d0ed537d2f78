//! Helpers shared by the test modules: decode a set of SUBMIT PDUs back into one text.

use smsgate::modem::ModemEvent;
use smsgate::pdu::reassembly::{Accepted, Part};
use smsgate::pdu::{Content, EncodedPdu, PduModePdu, Reassembler, Submit, Tpdu};
use std::time::{Duration, SystemTime};

/// Decodes an SMS-SUBMIT PDU from its hex, failing the test on anything else.
pub fn decode_submit(pdu: &EncodedPdu) -> Submit {
    let decoded = PduModePdu::decode_hex(&pdu.hex).unwrap_or_else(|e| panic!("{}: {e}", pdu.hex));
    match decoded.tpdu {
        Tpdu::Submit(s) => s,
        other => panic!("expected a submit, got {other:?}"),
    }
}

/// Decodes and reassembles the segments of one message, as a receiving handset would.
pub fn reassemble(pdus: &[EncodedPdu]) -> Content {
    let submits: Vec<Submit> = pdus.iter().map(decode_submit).collect();
    if submits.len() == 1 {
        return submits[0].user_data.content();
    }
    let mut reassembler = Reassembler::new(Duration::from_secs(60));
    let now = SystemTime::UNIX_EPOCH;
    let mut result = None;
    for s in submits {
        let concat = s
            .user_data
            .header
            .as_ref()
            .and_then(|h| h.concat())
            .expect("every segment of a multi-part message carries a concatenation IE");
        let part = Part {
            originator: s.destination.to_string(),
            reference: concat.reference,
            total: concat.total,
            seq: concat.seq,
            alphabet: s.user_data.alphabet,
            charset: s.user_data.charset(),
            body: s.user_data.body.clone(),
        };
        if let Accepted::Complete(done) = reassembler.accept(part, now).expect("consistent parts") {
            result = Some(done.content);
        }
    }
    result.expect("the last part completes the message")
}

/// Reassembles the segments a modem received (in any order) into one content.
pub fn reassemble_events(events: &[ModemEvent]) -> Content {
    let mut reassembler = Reassembler::new(Duration::from_secs(60));
    let mut result = None;
    for event in events {
        let ModemEvent::Received { deliver, .. } = event else {
            panic!("not a received message: {event:?}")
        };
        let Some(part) = Part::from_deliver(deliver) else {
            return deliver.user_data.content();
        };
        if let Accepted::Complete(done) = reassembler
            .accept(part, SystemTime::UNIX_EPOCH)
            .expect("consistent")
        {
            result = Some(done.content);
        }
    }
    result.expect("all parts arrived")
}

/// A fresh directory for one test's files under the target's temporary directory (kept
/// after the test, for reading its logs), named after the test and this process.
pub fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
