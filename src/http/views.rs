//! The JSON the API answers with: http's own types, built field by field from what the
//! service returns — messages and batches, inbound messages, opt-outs, OTP sessions,
//! templates and 2FA — so the public shape is written down here and a store field can
//! change without changing the API. Times are RFC 3339 ([`Time`]); the client's metadata is
//! written back byte for byte (`RawJson`).

use crate::message::{
    format_millis, MessageId, MessageStatus, MessageType, Millis, RawJson, SmsType,
};
use crate::service::{
    BatchSummary, InboundDetail, InboundMessage, MessageDetail, MessageSummary, Optout, OtpIssued,
    OtpSessionView, TemplateHistory, TemplateRecord, TemplateVersion, TwoFaCodeSent, TwoFaState,
};
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

/// An inbound message.
#[derive(Debug, Clone, Serialize)]
pub struct InboundJson {
    id: i64,
    from: String,
    to: Option<String>,
    modem: String,
    text: String,
    encoding: String,
    parts: u8,
    parts_received: u8,
    complete: bool,
    sent_at: Option<Time>,
    received_at: Time,
    optout: Option<&'static str>,
    /// The cloud provider it came through (null: a modem received it).
    provider: Option<String>,
}

impl From<InboundMessage> for InboundJson {
    fn from(m: InboundMessage) -> Self {
        Self {
            id: m.id,
            from: m.sender,
            to: m.modem_msisdn,
            modem: m.modem,
            text: m.text,
            encoding: m.encoding,
            parts: m.parts,
            parts_received: m.parts_received,
            complete: m.complete,
            sent_at: time(m.sent_at),
            received_at: Time(m.received_at),
            optout: m.optout.map(|a| a.as_str()),
            provider: m.provider,
        }
    }
}

/// One received part of an inbound message.
#[derive(Debug, Clone, Serialize)]
pub struct InboundPartJson {
    seq: u8,
    sent_at: Option<Time>,
    received_at: Time,
    pdu: String,
}

/// An inbound message with its parts.
#[derive(Debug, Clone, Serialize)]
pub struct InboundDetailJson {
    #[serde(flatten)]
    message: InboundJson,
    segments: Vec<InboundPartJson>,
}

impl From<InboundDetail> for InboundDetailJson {
    fn from(d: InboundDetail) -> Self {
        Self {
            message: InboundJson::from(d.message),
            segments: d
                .segments
                .into_iter()
                .map(|p| InboundPartJson {
                    seq: p.seq,
                    sent_at: time(p.sent_at),
                    received_at: Time(p.received_at),
                    pdu: p.pdu,
                })
                .collect(),
        }
    }
}

/// A number on the opt-out list.
#[derive(Debug, Clone, Serialize)]
pub struct OptoutJson {
    number: String,
    source: String,
    keyword: Option<String>,
    created_at: Time,
}

impl From<Optout> for OptoutJson {
    fn from(o: Optout) -> Self {
        Self {
            number: o.number,
            source: o.source,
            keyword: o.keyword,
            created_at: Time(o.created_at),
        }
    }
}

/// A code sent (never the code itself).
#[derive(Debug, Clone, Serialize)]
pub struct OtpIssuedJson {
    session_id: String,
    phone_number: String,
    message_id: MessageId,
    expires_at: Time,
    length: u32,
    expiry_minutes: u32,
    resend_available_at: Time,
}

impl From<&OtpIssued> for OtpIssuedJson {
    fn from(i: &OtpIssued) -> Self {
        Self {
            session_id: i.session_id.clone(),
            phone_number: i.phone_number.clone(),
            message_id: i.message_id,
            expires_at: Time(i.expires_at),
            length: i.length,
            expiry_minutes: i.expiry_minutes,
            resend_available_at: Time(i.resend_available_at),
        }
    }
}

/// An OTP session's state (never its code).
#[derive(Debug, Clone, Serialize)]
pub struct OtpSessionJson {
    session_id: String,
    phone_masked: String,
    status: &'static str,
    attempts_left: u32,
    resends: u32,
    message_id: Option<MessageId>,
    expires_at: Time,
    created_at: Time,
    verified_at: Option<Time>,
}

impl From<OtpSessionView> for OtpSessionJson {
    fn from(v: OtpSessionView) -> Self {
        Self {
            session_id: v.session_id,
            phone_masked: v.phone_masked,
            status: v.status,
            attempts_left: v.attempts_left,
            resends: v.resends,
            message_id: v.message_id,
            expires_at: Time(v.expires_at),
            created_at: Time(v.created_at),
            verified_at: time(v.verified_at),
        }
    }
}

/// A template.
#[derive(Debug, Clone, Serialize)]
pub struct TemplateJson {
    id: String,
    name: String,
    content: String,
    variables: Vec<String>,
    category: Option<String>,
    sms_type: SmsType,
    is_active: bool,
    version: i64,
    usage_count: i64,
    created_at: Time,
    updated_at: Time,
    last_used_at: Option<Time>,
}

impl From<TemplateRecord> for TemplateJson {
    fn from(t: TemplateRecord) -> Self {
        Self {
            id: t.id,
            name: t.name,
            content: t.content,
            variables: t.variables,
            category: t.category,
            sms_type: t.sms_type,
            is_active: t.is_active,
            version: t.version,
            usage_count: t.usage_count,
            created_at: Time(t.created_at),
            updated_at: Time(t.updated_at),
            last_used_at: time(t.last_used_at),
        }
    }
}

/// An earlier version of a template.
#[derive(Debug, Clone, Serialize)]
pub struct TemplateVersionJson {
    version: i64,
    name: String,
    content: String,
    variables: Vec<String>,
    category: Option<String>,
    sms_type: SmsType,
    is_active: bool,
    created_at: Time,
    replaced_at: Time,
}

impl From<TemplateVersion> for TemplateVersionJson {
    fn from(v: TemplateVersion) -> Self {
        Self {
            version: v.version,
            name: v.name,
            content: v.content,
            variables: v.variables,
            category: v.category,
            sms_type: v.sms_type,
            is_active: v.is_active,
            created_at: Time(v.created_at),
            replaced_at: Time(v.replaced_at),
        }
    }
}

/// A template's version history.
#[derive(Debug, Clone, Serialize)]
pub struct TemplateHistoryJson {
    template_id: String,
    current_version: i64,
    versions: Vec<TemplateVersionJson>,
}

impl From<TemplateHistory> for TemplateHistoryJson {
    fn from(h: TemplateHistory) -> Self {
        Self {
            template_id: h.template_id,
            current_version: h.current_version,
            versions: h
                .versions
                .into_iter()
                .map(TemplateVersionJson::from)
                .collect(),
        }
    }
}

/// A 2FA code sent (never the code).
#[derive(Debug, Clone, Serialize)]
pub struct TwoFaCodeSentJson {
    user_id: String,
    status: String,
    phone_masked: String,
    session_id: String,
    message_id: MessageId,
    expires_at: Time,
}

impl From<TwoFaCodeSent> for TwoFaCodeSentJson {
    fn from(c: TwoFaCodeSent) -> Self {
        Self {
            user_id: c.user_id,
            status: c.status,
            phone_masked: c.phone_masked,
            session_id: c.session_id,
            message_id: c.message_id,
            expires_at: Time(c.expires_at),
        }
    }
}

/// A user's 2FA state.
#[derive(Debug, Clone, Serialize)]
pub struct TwoFaStateJson {
    user_id: String,
    enabled: bool,
    status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_masked: Option<String>,
    backup_codes_left: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_at: Option<Time>,
    #[serde(skip_serializing_if = "Option::is_none")]
    activated_at: Option<Time>,
}

impl From<TwoFaState> for TwoFaStateJson {
    fn from(s: TwoFaState) -> Self {
        Self {
            user_id: s.user_id,
            enabled: s.enabled,
            status: s.status,
            phone_masked: s.phone_masked,
            backup_codes_left: s.backup_codes_left,
            created_at: time(s.created_at),
            activated_at: time(s.activated_at),
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
