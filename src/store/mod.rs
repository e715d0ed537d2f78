//! STUB of the store API for the dispatch branch; replaced by the real store at merge.
#![allow(missing_docs, clippy::unused_async, dead_code)]
use crate::message::*;
use crate::pdu::DeliveryStatus;
use std::path::Path;
use std::time::Duration;
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    #[default]
    Full,
    Normal,
}
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub durability: Durability,
    pub group_commit_max: usize,
}
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlite(String),
    #[error("migration {version}: {reason}")]
    Migration { version: u32, reason: String },
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("store closed")]
    Closed,
}
#[derive(Clone)]
pub struct Store;
#[derive(Debug, Clone)]
pub struct NewSegment {
    pub seq: u16,
    pub pdu_hex: String,
    pub tpdu_length: u16,
}
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub recipient: String,
    pub body: String,
    pub message_type: MessageType,
    pub sms_type: SmsType,
    pub encoding: String,
    pub priority: i32,
    pub schedule_at: Option<Millis>,
    pub expire_at: Option<Millis>,
    pub provider: Option<String>,
    pub callback_url: Option<String>,
    pub custom_id: Option<String>,
    pub metadata: Option<serde_json::Value>,
    pub segments: Vec<NewSegment>,
}
#[derive(Debug, Clone, Default)]
pub struct NewBatch {
    pub name: Option<String>,
    pub idempotency_key: Option<String>,
    pub callback_url: Option<String>,
}
#[derive(Debug, Clone)]
pub struct Accepted {
    pub batch_id: String,
    pub ids: Vec<MessageId>,
    pub replayed: bool,
}
#[derive(Debug, Clone)]
pub struct StoredSegment {
    pub seq: u16,
    pub pdu_hex: String,
    pub tpdu_length: u16,
}
#[derive(Debug, Clone)]
pub struct Leased {
    pub id: MessageId,
    pub recipient: String,
    pub body: String,
    pub message_type: MessageType,
    pub sms_type: SmsType,
    pub encoding: String,
    pub priority: i32,
    pub provider: Option<String>,
    pub attempts: u32,
    pub expire_at: Option<Millis>,
    pub created_at: Millis,
    pub last_route: Option<String>,
    pub segments: Vec<StoredSegment>,
}
#[derive(Debug, Clone)]
pub struct SegmentRef {
    pub seq: u16,
    pub message_ref: Option<u8>,
    pub provider_id: Option<String>,
}
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<MessageStatus>,
    pub sms_type: Option<SmsType>,
    pub batch_id: Option<String>,
    pub date_from: Option<Millis>,
    pub date_to: Option<Millis>,
    pub limit: usize,
    pub offset: usize,
}
#[derive(Debug, Clone, serde::Serialize)]
pub struct MessageSummary {
    pub id: MessageId,
    pub batch_id: String,
    pub recipient: String,
    pub status: MessageStatus,
    pub sms_type: SmsType,
    pub message_type: MessageType,
    pub encoding: String,
    pub segments: u16,
    pub priority: i32,
    pub custom_id: Option<String>,
    pub route: Option<String>,
    pub attempts: u32,
    pub error: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub schedule_at: Option<Millis>,
    pub expire_at: Option<Millis>,
    pub sent_at: Option<Millis>,
    pub final_at: Option<Millis>,
}
#[derive(Debug, Clone, serde::Serialize)]
pub struct SegmentDetail {
    pub seq: u16,
    pub route: Option<String>,
    pub message_ref: Option<u8>,
    pub provider_id: Option<String>,
    pub status: String,
    pub tp_st: Option<u8>,
    pub sent_at: Option<Millis>,
    pub report_at: Option<Millis>,
}
#[derive(Debug, Clone, serde::Serialize)]
pub struct Event {
    pub at: Millis,
    pub status: MessageStatus,
    pub route: Option<String>,
    pub detail: Option<String>,
}
#[derive(Debug, Clone, serde::Serialize)]
pub struct MessageDetail {
    #[serde(flatten)]
    pub summary: MessageSummary,
    pub body: String,
    pub metadata: Option<serde_json::Value>,
    pub callback_url: Option<String>,
    pub provider: Option<String>,
    pub segments_detail: Vec<SegmentDetail>,
    pub events: Vec<Event>,
}
#[derive(Debug, Clone, serde::Serialize)]
pub struct BatchSummary {
    pub id: String,
    pub name: Option<String>,
    pub created_at: Millis,
    pub total: u64,
    pub by_status: std::collections::BTreeMap<String, u64>,
}
#[derive(Debug, Clone, Copy, Default)]
pub struct Recovered {
    pub requeued: usize,
    pub failed: usize,
}
impl Store {
    pub async fn open(_path: &Path, _options: StoreOptions) -> Result<Store, StoreError> {
        Err(StoreError::Closed)
    }
    pub async fn open_memory() -> Result<Store, StoreError> {
        Err(StoreError::Closed)
    }
    pub async fn enqueue(
        &self,
        _b: NewBatch,
        _m: Vec<NewMessage>,
        _now: Millis,
    ) -> Result<Accepted, StoreError> {
        Err(StoreError::Closed)
    }
    pub async fn lease(
        &self,
        _now: Millis,
        _limit: usize,
        _lease_for: Duration,
    ) -> Result<Vec<Leased>, StoreError> {
        Err(StoreError::Closed)
    }
    pub async fn expire_due(&self, _now: Millis) -> Result<Vec<MessageId>, StoreError> {
        Err(StoreError::Closed)
    }
    pub async fn record_sent(
        &self,
        _id: MessageId,
        _route: &str,
        _refs: Vec<SegmentRef>,
        _now: Millis,
    ) -> Result<(), StoreError> {
        Err(StoreError::Closed)
    }
    pub async fn record_retry(
        &self,
        _id: MessageId,
        _route: Option<&str>,
        _error: &str,
        _next: Millis,
        _now: Millis,
    ) -> Result<(), StoreError> {
        Err(StoreError::Closed)
    }
    pub async fn release(
        &self,
        _id: MessageId,
        _next: Millis,
        _now: Millis,
    ) -> Result<(), StoreError> {
        Err(StoreError::Closed)
    }
    pub async fn record_failed(
        &self,
        _id: MessageId,
        _route: Option<&str>,
        _error: &str,
        _now: Millis,
    ) -> Result<(), StoreError> {
        Err(StoreError::Closed)
    }
    pub async fn record_expired(&self, _id: MessageId, _now: Millis) -> Result<(), StoreError> {
        Err(StoreError::Closed)
    }
    pub async fn cancel(&self, _id: MessageId, _now: Millis) -> Result<MessageStatus, StoreError> {
        Err(StoreError::Closed)
    }
    #[allow(clippy::too_many_arguments)]
    pub async fn record_status_report(
        &self,
        _route: &str,
        _mr: u8,
        _recipient: &str,
        _tp_st: u8,
        _status: DeliveryStatus,
        _now: Millis,
        _window: Duration,
    ) -> Result<Option<(MessageId, MessageStatus)>, StoreError> {
        Err(StoreError::Closed)
    }
    pub async fn recover(
        &self,
        _p: fn(SmsType) -> InFlightPolicy,
        _now: Millis,
    ) -> Result<Recovered, StoreError> {
        Err(StoreError::Closed)
    }
    pub async fn reclaim_expired_leases(
        &self,
        _p: fn(SmsType) -> InFlightPolicy,
        _now: Millis,
    ) -> Result<Recovered, StoreError> {
        Err(StoreError::Closed)
    }
    pub async fn get(&self, _id: MessageId) -> Result<Option<MessageDetail>, StoreError> {
        Err(StoreError::Closed)
    }
    pub async fn list(&self, _f: ListFilter) -> Result<Vec<MessageSummary>, StoreError> {
        Err(StoreError::Closed)
    }
    pub async fn batch(&self, _id: &str) -> Result<Option<BatchSummary>, StoreError> {
        Err(StoreError::Closed)
    }
    pub async fn queue_depth(&self) -> Result<u64, StoreError> {
        Err(StoreError::Closed)
    }
}
