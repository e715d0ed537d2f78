//! The simulated network between the modems: routes each accepted SMS-SUBMIT to the modem
//! that owns the destination MSISDN (as an SMS-DELIVER from the sender's MSISDN, the same
//! user data and header, time-stamped now) or to the sink; sends SMS-STATUS-REPORTs back
//! when TP-SRR asks; injects inbound messages from the outside world; records every
//! segment in the sink and the log.
//!
//! Uses `pdu/` for every PDU; never imports `at/`, `modem/` or anything higher.
//! Invariants: at most one modem lock is held at a time (no lock order to get wrong); a
//! status report carries the TP-MR the sender's `+CMGS` returned and the destination as
//! TP-RA; the sink keeps at most [`SINK_CAPACITY`] segments (oldest dropped).

use super::clock;
use super::config::{InboundEncoding, InboundOptions};
use super::storage::Kind;
use super::{Inner, SimError};
use crate::pdu::udh::{Concat, InformationElement, UserDataHeader};
use crate::pdu::{
    Address, Content, DataCoding, Deliver, EncodingChoice, Payload, RefWidth, SegmentPlan,
    SegmentPolicy, StatusReport, Submit, TypeOfNumber, UserData,
};
use serde::Serialize;

/// Segments the sink keeps.
pub const SINK_CAPACITY: usize = 10_000;

/// What became of a segment sent to the outside world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SinkOutcome {
    /// Delivered (status report TP-ST 0).
    Delivered,
    /// Failed with this TP-ST.
    Failed(u8),
}

/// A segment sent to a number that is not a simulated modem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SinkMessage {
    /// Index of the sending modem.
    pub from_modem: usize,
    /// Its MSISDN.
    pub from: String,
    /// The destination as the SUBMIT gave it.
    pub to: String,
    /// The segment's text (hex for 8-bit data).
    pub text: String,
    /// `gsm7`, `ucs2` or `8bit`.
    pub encoding: &'static str,
    /// Concatenation reference, total and sequence number.
    pub concat: Option<Concat>,
    /// TP-MR the sender's `+CMGS` returned.
    pub message_ref: u8,
    /// RFC 3339 time.
    pub at: String,
    /// Delivered or failed.
    pub outcome: SinkOutcome,
}

/// Which way a logged segment went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    /// An SMS-SUBMIT a modem sent.
    Submit,
    /// An SMS-DELIVER injected from outside.
    Inbound,
    /// An SMS-STATUS-REPORT the network sent a modem.
    StatusReport,
}

/// One segment crossing the network (one JSON line in `--log`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogRecord {
    /// Submit, inbound or status report.
    pub kind: LogKind,
    /// Sending modem, if a modem sent it.
    pub from_modem: Option<usize>,
    /// Receiving modem, if a modem received it.
    pub to_modem: Option<usize>,
    /// The sending modem's number.
    pub from: String,
    /// The number it was sent to.
    pub to: String,
    /// Text of the segment (empty for status reports; hex for 8-bit data).
    pub text: String,
    /// `gsm7`, `ucs2` or `8bit`.
    pub encoding: &'static str,
    /// Concatenation reference, total and sequence number.
    pub concat: Option<Concat>,
    /// The TP-MR the sending modem gave it in `+CMGS`.
    pub message_ref: Option<u8>,
    /// TP-ST of a status report.
    pub status: Option<u8>,
    /// RFC 3339 time.
    pub at: String,
}

fn describe(user_data: &UserData) -> (String, &'static str, Option<Concat>) {
    let text = match user_data.content() {
        Content::Text(text) => text,
        Content::Binary(data) => hex::encode_upper(data),
    };
    let concat = user_data.header.as_ref().and_then(UserDataHeader::concat);
    (text, user_data.alphabet.name(), concat)
}

fn digits(number: &str) -> &str {
    number.trim().trim_start_matches('+')
}

/// The modem whose MSISDN is `address`.
fn find_modem(inner: &Inner, address: &Address) -> Option<usize> {
    if address.ton == TypeOfNumber::Alphanumeric {
        return None;
    }
    inner
        .msisdns
        .iter()
        .position(|msisdn| digits(msisdn) == address.value)
}

fn publish(inner: &Inner, record: LogRecord) {
    // No subscriber is fine.
    let _ = inner.log.send(record);
}

/// Routes a SUBMIT that modem `from_modem` sent with TP-MR `mr`.
pub(crate) fn route_submit(inner: &Inner, from_modem: usize, submit: &Submit, mr: u8) {
    let Some(from) = inner.msisdns.get(from_modem).cloned() else {
        return;
    };
    let received = clock::scts_now();
    let to = submit.destination.to_string();
    let (text, encoding, concat) = describe(&submit.user_data);
    let to_modem = find_modem(inner, &submit.destination);
    let status = match to_modem {
        Some(index) => {
            let deliver = Deliver {
                more_messages: false,
                loop_prevention: false,
                status_report_indication: submit.status_report_request,
                reply_path: submit.reply_path,
                originator: Address::parse(&from).unwrap_or_else(|_| submit.destination.clone()),
                protocol_id: submit.protocol_id,
                dcs: submit.dcs,
                timestamp: received,
                user_data: submit.user_data.clone(),
            };
            match (deliver.encode(), inner.modem(index)) {
                (Ok(tpdu), Ok(mut state)) => {
                    state.receive(Kind::Deliver, tpdu);
                    0
                }
                (Err(error), _) => {
                    tracing::warn!(modem = from_modem, %error, "cannot build SMS-DELIVER");
                    0x41
                }
                (_, Err(_)) => 0x41,
            }
        }
        None => {
            let failed = inner.sink_config.fail_prefixes.iter().any(|prefix| {
                to.starts_with(prefix.as_str()) || digits(&to).starts_with(digits(prefix))
            });
            let outcome = if failed {
                SinkOutcome::Failed(0x41)
            } else {
                SinkOutcome::Delivered
            };
            let mut sink = inner.lock_sink();
            if sink.len() >= SINK_CAPACITY {
                sink.pop_front();
            }
            sink.push_back(SinkMessage {
                from_modem,
                from: from.clone(),
                to: to.clone(),
                text: text.clone(),
                encoding,
                concat,
                message_ref: mr,
                at: clock::rfc3339_now(),
                outcome,
            });
            match outcome {
                SinkOutcome::Delivered => 0,
                SinkOutcome::Failed(status) => status,
            }
        }
    };
    publish(
        inner,
        LogRecord {
            kind: LogKind::Submit,
            from_modem: Some(from_modem),
            to_modem,
            from: from.clone(),
            to: to.clone(),
            text,
            encoding,
            concat,
            message_ref: Some(mr),
            status: Some(status),
            at: clock::rfc3339_now(),
        },
    );
    if submit.status_report_request {
        send_status_report(inner, from_modem, &from, submit, mr, received, status);
    }
}

fn send_status_report(
    inner: &Inner,
    to_modem: usize,
    to: &str,
    submit: &Submit,
    mr: u8,
    received: crate::pdu::Timestamp,
    status: u8,
) {
    let report = StatusReport {
        more_messages: false,
        loop_prevention: false,
        for_command: false,
        message_ref: mr,
        recipient: submit.destination.clone(),
        timestamp: received,
        discharge_time: clock::scts_now(),
        status,
        protocol_id: None,
        dcs: None,
        user_data: None,
    };
    let tpdu = match report.encode() {
        Ok(tpdu) => tpdu,
        Err(error) => {
            tracing::warn!(modem = to_modem, %error, "cannot build SMS-STATUS-REPORT");
            return;
        }
    };
    if let Ok(mut state) = inner.modem(to_modem) {
        state.receive(Kind::StatusReport, tpdu);
    }
    publish(
        inner,
        LogRecord {
            kind: LogKind::StatusReport,
            from_modem: None,
            to_modem: Some(to_modem),
            from: super::modem::NETWORK_SMSC.to_string(),
            to: to.to_string(),
            text: String::new(),
            encoding: "gsm7",
            concat: None,
            message_ref: Some(mr),
            status: Some(status),
            at: clock::rfc3339_now(),
        },
    );
}

fn invalid(field: &'static str, why: impl ToString) -> SimError {
    SimError::InvalidParameter {
        field,
        why: why.to_string(),
    }
}

/// The outside world sends `text` from `from` to modem `modem`.
pub(crate) fn inject_inbound(
    inner: &Inner,
    modem: usize,
    from: &str,
    text: &str,
    opts: InboundOptions,
) -> Result<usize, SimError> {
    let to = inner
        .msisdns
        .get(modem)
        .cloned()
        .ok_or(SimError::NoSuchModem {
            modem,
            count: inner.msisdns.len(),
        })?;
    let originator = Address::parse(from).map_err(|e| invalid("from", e))?;
    if opts.class.is_some_and(|c| c > 3) {
        return Err(invalid("class", "message class is 0, 1, 2 or 3"));
    }
    let reference = opts
        .reference
        .unwrap_or_else(|| inner.next_reference() & 0xFF);
    let policy = SegmentPolicy {
        encoding: match opts.encoding {
            InboundEncoding::Auto => EncodingChoice::Auto,
            InboundEncoding::Gsm7 => EncodingChoice::Gsm7,
            InboundEncoding::Ucs2 => EncodingChoice::Ucs2,
        },
        national_languages: Vec::new(),
        ref_width: if reference > 255 {
            RefWidth::Sixteen
        } else {
            RefWidth::Eight
        },
    };
    let plan = SegmentPlan::new(Payload::Text(text), &policy).map_err(|e| invalid("text", e))?;
    let total = u8::try_from(plan.segments.len()).map_err(|e| invalid("text", e))?;
    let timestamp = clock::scts_now();
    let mut tpdus = Vec::with_capacity(plan.segments.len());
    for (seq, units) in (1..=total).zip(&plan.segments) {
        let header = (total > 1).then(|| UserDataHeader {
            elements: vec![InformationElement::Concat(Concat {
                reference,
                total,
                seq,
                wide: policy.ref_width == RefWidth::Sixteen,
            })],
        });
        let user_data = UserData {
            header,
            alphabet: plan.alphabet,
            body: units.clone(),
        };
        let deliver = Deliver {
            more_messages: false,
            loop_prevention: false,
            status_report_indication: false,
            reply_path: false,
            originator: originator.clone(),
            protocol_id: 0,
            dcs: DataCoding::new(plan.alphabet, opts.class),
            timestamp,
            user_data: user_data.clone(),
        };
        let tpdu = deliver.encode().map_err(|e| invalid("from", e))?;
        tpdus.push((tpdu, user_data));
    }
    if !opts.parts.is_empty() {
        let mut chosen = Vec::with_capacity(opts.parts.len());
        for &seq in &opts.parts {
            let part = usize::from(seq).checked_sub(1).and_then(|i| tpdus.get(i));
            let Some(part) = part else {
                return Err(invalid(
                    "parts",
                    format!("the text has {total} segments, not {seq}"),
                ));
            };
            chosen.push(part.clone());
        }
        tpdus = chosen;
    }
    {
        let mut state = inner.modem(modem)?;
        for (tpdu, _) in &tpdus {
            state.receive(Kind::Deliver, tpdu.clone());
        }
    }
    for (_, user_data) in &tpdus {
        let (text, encoding, concat) = describe(user_data);
        publish(
            inner,
            LogRecord {
                kind: LogKind::Inbound,
                from_modem: None,
                to_modem: Some(modem),
                from: from.to_string(),
                to: to.clone(),
                text,
                encoding,
                concat,
                message_ref: None,
                status: None,
                at: clock::rfc3339_now(),
            },
        );
    }
    Ok(tpdus.len())
}

/// Delivers a raw TPDU as it is (a status report when its TP-MTI says so).
pub(crate) fn inject_tpdu(inner: &Inner, modem: usize, tpdu: Vec<u8>) -> Result<(), SimError> {
    if tpdu.is_empty() || tpdu.len() > 255 {
        return Err(invalid("tpdu", "a TPDU has 1 to 255 octets"));
    }
    let kind = match tpdu.first().map(|b| b & 0x03) {
        Some(0x02) => Kind::StatusReport,
        _ => Kind::Deliver,
    };
    inner.modem(modem)?.receive(kind, tpdu);
    Ok(())
}
