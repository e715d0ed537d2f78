//! A flat, serialisable view of a decoded PDU: the JSON that `smsgate pdu decode` prints
//! (its field names are a contract external tools depend on) and that the API can reuse.

use super::dcs::{Alphabet, DataCoding};
use super::tpdu::{DeliveryStatus, PduModePdu, Tpdu};
use super::udh::{Concat, InformationElement, UserDataHeader};
use super::user_data::{Content, UserData};
use super::validity::ValidityPeriod;
use serde::Serialize;

/// The decoded fields of a PDU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PduSummary {
    /// `deliver`, `submit` or `status-report`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// SMSC address (`+…`), or null for the modem's default.
    pub smsc: Option<String>,
    /// Originator (SMS-DELIVER only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// Destination (SMS-SUBMIT) or recipient (SMS-STATUS-REPORT).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    /// Text, 8-bit data as lower-case hex, or null without user data.
    pub text: Option<String>,
    /// Alphabet of the user data.
    pub encoding: Alphabet,
    /// Message class, or null.
    pub class: Option<u8>,
    /// Concatenation header, or null.
    pub concat: Option<Concat>,
    /// SCTS as RFC 3339, or null (SMS-SUBMIT has none).
    pub timestamp: Option<String>,
    /// TP-MR (SMS-SUBMIT and SMS-STATUS-REPORT).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_ref: Option<u8>,
    /// TP-ST (SMS-STATUS-REPORT).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u8>,
    /// TP-ST classified (SMS-STATUS-REPORT).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_status: Option<DeliveryStatus>,
    /// TP-DT as RFC 3339 (SMS-STATUS-REPORT).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discharge_time: Option<String>,
    /// TP-SRR (SMS-SUBMIT) or TP-SRI (SMS-DELIVER).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_report: Option<bool>,
    /// Relative validity in minutes (SMS-SUBMIT with a relative TP-VP).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validity_minutes: Option<u32>,
    /// TP-PID, the protocol identifier (present in SUBMIT and DELIVER).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol_id: Option<u8>,
    /// Application ports `{destination, source}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ports: Option<Ports>,
    /// Every user-data header element, `{iei, data}` in hex.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub udh: Vec<IeSummary>,
}

/// Application port addressing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Ports {
    /// Destination port.
    pub destination: u16,
    /// Originator port.
    pub source: u16,
}

/// One header element in raw form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IeSummary {
    /// The IE identifier.
    pub iei: u8,
    /// Its data, lower-case hex.
    pub data: String,
}

impl From<&PduModePdu> for PduSummary {
    fn from(pdu: &PduModePdu) -> Self {
        let empty = |kind| PduSummary {
            kind,
            smsc: pdu.smsc.as_ref().map(ToString::to_string),
            sender: None,
            recipient: None,
            text: None,
            encoding: Alphabet::Gsm7,
            class: None,
            concat: None,
            timestamp: None,
            message_ref: None,
            status: None,
            delivery_status: None,
            discharge_time: None,
            status_report: None,
            validity_minutes: None,
            protocol_id: None,
            ports: None,
            udh: Vec::new(),
        };
        match &pdu.tpdu {
            Tpdu::Deliver(d) => PduSummary {
                sender: Some(d.originator.to_string()),
                timestamp: Some(d.timestamp.to_string()),
                status_report: Some(d.status_report_indication),
                protocol_id: Some(d.protocol_id),
                ..empty("deliver").with_user_data(&d.dcs, Some(&d.user_data))
            },
            Tpdu::Submit(s) => PduSummary {
                recipient: Some(s.destination.to_string()),
                message_ref: Some(s.message_ref),
                status_report: Some(s.status_report_request),
                validity_minutes: match s.validity {
                    Some(ValidityPeriod::Relative(v)) => Some(ValidityPeriod::relative_minutes(v)),
                    _ => None,
                },
                protocol_id: Some(s.protocol_id),
                ..empty("submit").with_user_data(&s.dcs, Some(&s.user_data))
            },
            Tpdu::StatusReport(r) => {
                let dcs = r.dcs.unwrap_or_else(|| DataCoding::decode(0));
                PduSummary {
                    recipient: Some(r.recipient.to_string()),
                    timestamp: Some(r.timestamp.to_string()),
                    message_ref: Some(r.message_ref),
                    status: Some(r.status),
                    delivery_status: Some(r.delivery_status()),
                    discharge_time: Some(r.discharge_time.to_string()),
                    protocol_id: r.protocol_id,
                    ..empty("status-report").with_user_data(&dcs, r.user_data.as_ref())
                }
            }
        }
    }
}

impl PduSummary {
    fn with_user_data(self, dcs: &DataCoding, user_data: Option<&UserData>) -> Self {
        let header = user_data.and_then(|ud| ud.header.as_ref());
        PduSummary {
            text: user_data.map(|ud| match ud.content() {
                Content::Text(text) => text,
                Content::Binary(octets) => hex::encode(octets),
            }),
            encoding: user_data.map_or(dcs.alphabet, |ud| ud.alphabet),
            class: dcs.class,
            concat: header.and_then(UserDataHeader::concat),
            ports: header
                .and_then(UserDataHeader::ports)
                .map(|(destination, source)| Ports {
                    destination,
                    source,
                }),
            udh: header.map(ie_summaries).unwrap_or_default(),
            ..self
        }
    }
}

fn ie_summaries(header: &UserDataHeader) -> Vec<IeSummary> {
    // Re-encode each element on its own to show exactly what the header carries.
    header
        .elements
        .iter()
        .map(|ie: &InformationElement| {
            let bytes = UserDataHeader {
                elements: vec![ie.clone()],
            }
            .encode();
            IeSummary {
                iei: bytes.get(1).copied().unwrap_or(0),
                data: hex::encode(bytes.get(3..).unwrap_or_default()),
            }
        })
        .collect()
}
