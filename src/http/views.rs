//! The JSON the message endpoints answer with (`GET /api/sms`, `/api/sms/{id}`,
//! `/api/batches/{id}`): http's own types, built field by field from what the service
//! returns, so the public shape is written down here and a store field can change without
//! changing the API. Times are RFC 3339 ([`Time`]); the client's metadata is written back
//! byte for byte (`RawJson`).

use crate::message::{
    format_millis, MessageId, MessageStatus, MessageType, Millis, RawJson, SmsType,
};
use crate::service::{BatchSummary, MessageDetail, MessageSummary};
use serde::Serialize;
use std::collections::BTreeMap;

/// A time (Unix milliseconds inside) shown as RFC 3339.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time(pub Millis);

impl Serialize for Time {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_millis(self.0))
    }
}

fn time(ms: Option<Millis>) -> Option<Time> {
    ms.map(Time)
}

/// A message in a list.
#[derive(Debug, Clone, Serialize)]
pub struct MessageJson {
    id: MessageId,
    batch_id: String,
    recipient: String,
    status: MessageStatus,
    sms_type: SmsType,
    message_type: MessageType,
    encoding: String,
    segments: u16,
    priority: i32,
    custom_id: Option<String>,
    route: Option<String>,
    attempts: u32,
    error: Option<String>,
    created_at: Time,
    updated_at: Time,
    schedule_at: Option<Time>,
    expire_at: Option<Time>,
    sent_at: Option<Time>,
    final_at: Option<Time>,
}

impl From<&MessageSummary> for MessageJson {
    fn from(m: &MessageSummary) -> Self {
        Self {
            id: m.id,
            batch_id: m.batch_id.clone(),
            recipient: m.recipient.clone(),
            status: m.status,
            sms_type: m.sms_type,
            message_type: m.message_type,
            encoding: m.encoding.clone(),
            segments: m.segments,
            priority: m.priority,
            custom_id: m.custom_id.clone(),
            route: m.route.clone(),
            attempts: m.attempts,
            error: m.error.clone(),
            created_at: Time(m.created_at),
            updated_at: Time(m.updated_at),
            schedule_at: time(m.schedule_at),
            expire_at: time(m.expire_at),
            sent_at: time(m.sent_at),
            final_at: time(m.final_at),
        }
    }
}

/// One segment of a message, with its route, TP-MR or provider id, cost and report.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentJson {
    seq: u16,
    route: Option<String>,
    message_ref: Option<u8>,
    provider_id: Option<String>,
    cost: Option<f64>,
    status: String,
    tp_st: Option<u8>,
    sent_at: Option<Time>,
    report_at: Option<Time>,
}

/// One status change.
#[derive(Debug, Clone, Serialize)]
pub struct EventJson {
    at: Time,
    status: MessageStatus,
    route: Option<String>,
    detail: Option<String>,
}

/// A message with its text, metadata, segments and every state it went through.
#[derive(Debug, Clone, Serialize)]
pub struct MessageDetailJson {
    #[serde(flatten)]
    message: MessageJson,
    body: String,
    metadata: Option<RawJson>,
    recipient_name: Option<String>,
    callback_url: Option<String>,
    provider: Option<String>,
    segments_detail: Vec<SegmentJson>,
    events: Vec<EventJson>,
}

impl From<MessageDetail> for MessageDetailJson {
    fn from(d: MessageDetail) -> Self {
        Self {
            message: MessageJson::from(&d.summary),
            body: d.body,
            metadata: d.metadata,
            recipient_name: d.recipient_name,
            callback_url: d.callback_url,
            provider: d.provider,
            segments_detail: d
                .segments_detail
                .into_iter()
                .map(|s| SegmentJson {
                    seq: s.seq,
                    route: s.route,
                    message_ref: s.message_ref,
                    provider_id: s.provider_id,
                    cost: s.cost,
                    status: s.status,
                    tp_st: s.tp_st,
                    sent_at: time(s.sent_at),
                    report_at: time(s.report_at),
                })
                .collect(),
            events: d
                .events
                .into_iter()
                .map(|e| EventJson {
                    at: Time(e.at),
                    status: e.status,
                    route: e.route,
                    detail: e.detail,
                })
                .collect(),
        }
    }
}

/// A batch and how its messages are doing.
#[derive(Debug, Clone, Serialize)]
pub struct BatchJson {
    id: String,
    name: Option<String>,
    created_at: Time,
    total: u64,
    by_status: BTreeMap<String, u64>,
}

impl From<BatchSummary> for BatchJson {
    fn from(b: BatchSummary) -> Self {
        Self {
            id: b.id,
            name: b.name,
            created_at: Time(b.created_at),
            total: b.total,
            by_status: b.by_status,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_and_metadata_is_verbatim() {
        let metadata =
            RawJson::parse(r#"{"n": 123456789012345678901234567890, "sent_at": 5}"#).unwrap();
        let json = serde_json::to_string(&EventJson {
            at: Time(1_700_000_000_000),
            status: MessageStatus::Sent,
            route: None,
            detail: None,
        })
        .unwrap();
        assert!(json.contains(r#""at":"2023-11-14T22:13:20"#), "{json}");
        let raw = serde_json::to_string(&Some(metadata)).unwrap();
        assert_eq!(
            raw,
            r#"{"n": 123456789012345678901234567890, "sent_at": 5}"#
        );
    }
}
