//! The application façade (layer 4) every front end uses: validate a send request, prepare
//! its PDUs, store it durably, wake the dispatcher; read messages, batches and modems.
//! SMS templates (CRUD, preview, rendering for a send) are in `templates.rs`; the inbox in
//! `inbound.rs`, the opt-out list in `optouts.rs`; send limits in `limits.rs`; OTP, 2FA and
//! phone validation in `otp.rs`, `twofa.rs` and `phone.rs`; provider status callbacks in
//! `callbacks.rs`; inbound messages from providers in `provider_inbound.rs`; live reload of
//! the settings in `reload.rs` and the audit log in `audit.rs`.
//!
//! Validation happens here and only here, and every failure names the request field it
//! concerns (`to[3].number`, `expire_at`), so the HTTP layer can answer 400 with it. Never
//! imports axum, SQL or AT: it speaks to the store, the dispatcher and the modem handles.
//!
//! Invariants: a message reaches the store only with a valid E.164 recipient, a text that
//! encodes into at most `max_segments` segments, and consistent dates; what `send` returns
//! is durable (the store committed it) — that is the 202's promise.

mod analytics;
mod audit;
mod auto_reply;
mod bounds;
mod callbacks;
pub mod cluster;
mod conversations;
mod inbound;
mod modem_admin;
mod optouts;
mod provider_inbound;
mod reload;
mod retention;
mod webhooks;

pub use crate::store::analytics::Totals;
pub use crate::store::subscriptions::{
    Delivery as WebhookDelivery, Subscription as WebhookSubscription,
};
pub use analytics::{
    AnalyticsQuery, Bucket, Countries, CountryRow, Dashboard, Latency, RouteRow, Routes, Stats,
    Timeline,
};
pub use audit::{AuditEntry, AuditFilter, AUDIT_LIMIT_MAX, OPEN_API_ACTOR, SIGNAL_ACTOR};
pub use auto_reply::{AutoReplyRuleInput, AutoReplyRuleView};
pub use callbacks::{
    generic_outcome, plivo_outcome, twilio_outcome, vonage_outcome, CallbackSource,
    ProviderCallback, GENERIC_PROVIDERS, GENERIC_STATUSES,
};
pub use conversations::{
    ConversationList, ConversationQuery, ReplyOutcome, ReplyRequest, CONVERSATION_LIMIT_MAX,
};
pub use inbound::InboundQuery;
pub use modem_admin::{DetailCounters, ModemAdminError, ModemDetail};
pub use provider_inbound::{
    InboundFields, InboundTextKind, ProviderInboundOutcome, ProviderMessage,
};
pub use reload::{ModemChanges, ReloadError, ReloadReport, Reloader};
pub use webhooks::{CreatedSubscription, NewWebhook};

mod limits;
mod metrics;
mod otp;
mod phone;
mod twofa;

use crate::config::{LimitsConfig, OtpConfig};
use crate::dispatch::Dispatcher;
use crate::message::{now_millis, MessageId, MessageStatus, MessageType, Millis, RawJson, SmsType};
use crate::modem::{Fleet, ModemStatus};
use crate::otp::OtpKeys;
use crate::pdu::{
    build_submits, Address, EncodingChoice, Payload, RefWidth, SegmentInfo, SegmentPlan,
    SegmentPolicy, SubmitOptions, ValidityPeriod,
};
use crate::route::{Route, RouteSnapshot};
// What the front ends read, as the store returns it (http writes its own JSON from these).
pub use crate::store::conversations::{Conversation, ConversationStats, HistoryEntry};
pub use crate::store::inbox::{InboundDetail, InboundMessage};
pub use crate::store::optouts::Optout;
pub use crate::store::provider_status::Recorded;
pub use crate::store::{BatchSummary, ListFilter, MessageDetail, MessageSummary};
use crate::store::{NewBatch, NewMessage, OutboundSegment, Store, StoreError};
use limits::Guards;
pub use limits::{Caller, RejectedRecipient};
pub use otp::{OtpCheck, OtpIssued, OtpOutcomes, OtpRequest, OtpSessionView, OtpVerdict};
pub use phone::PhoneInfo;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
pub use twofa::{TwoFaActivated, TwoFaCodeSent, TwoFaState, TwoFaVerdict};

mod templates;
pub use templates::{
    NewTemplate, RenderedTemplate, TemplateChange, TemplateFilter, TemplateHistory, TemplatePage,
    TemplatePreview, TemplateRecord, TemplateVersion, TEMPLATE_LIST_MAX,
};

/// The priority of a message whose request gives none: 1, as in the seed API
/// (`shared/seeds/004`); the OTP bands below stay far above it.
pub const DEFAULT_PRIORITY: i32 = 1;

/// The largest priority a request may give (and the smallest, negated); OTP codes are
/// queued far above it.
pub const MAX_PRIORITY: i32 = 1_000;

/// Added to the priority of messages a client marks `sms_type: "otp"`: ahead of every other
/// client message, behind every code the service issues itself.
pub const CLIENT_OTP_BAND: i32 = 100_000;

/// Added to the priority of the codes the service issues (`/api/otp/*`, 2FA): the top
/// band, which no client message reaches, so no volume of client traffic — marked OTP or
/// not — can hold an issued code past its expiry.
pub const ISSUED_CODE_BAND: i32 = 1_000_000;

pub use bounds::{MAX_LABEL_CHARS, MAX_METADATA_BYTES};

/// Most recipients one request may carry.
pub const MAX_RECIPIENTS: usize = 10_000;

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ServiceError {
    /// The caller's mistake; `field` names the offending request field.
    #[error("{field}: {reason}")]
    Invalid {
        /// Dotted path of the field.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// No such message or batch.
    #[error("{0} not found")]
    NotFound(String),
    /// The request conflicts with the message's state (e.g. cancelling a sent message).
    #[error("{0}")]
    Conflict(String),
    /// Something on our side failed (the store); the request may be retried.
    #[error("internal error: {0}")]
    Internal(String),
    /// The shared database cannot be reached: nothing was committed; retry shortly.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Over a rate limit (`scope` says which: `phone`, `ip`, `api_key`, `recipient`,
    /// `global`, `resend`); try again after `retry_after`.
    #[error("rate limit ({scope}) exceeded; retry after {retry_after:?}")]
    RateLimited {
        /// Which limit.
        scope: String,
        /// How long until a request would pass.
        retry_after: Duration,
    },
    /// Refused by policy — the recipient opted out, the same text was just sent to it.
    #[error("{field}: {reason}")]
    Refused {
        /// Dotted path of the field.
        field: String,
        /// Machine-readable reason (`opted_out`, `duplicate`).
        code: &'static str,
        /// For people.
        reason: String,
    },
}

impl ServiceError {
    fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ServiceError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ServiceError::NotFound("message".into()),
            StoreError::Conflict(why) => ServiceError::Conflict(why),
            StoreError::Unavailable(why) | StoreError::Busy(why) => ServiceError::Unavailable(why),
            other => ServiceError::Internal(other.to_string()),
        }
    }
}

/// One recipient as given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecipientInput {
    /// The number, E.164 or national.
    pub number: String,
    /// ISO 3166 region for a national number (`US`, `DE`).
    pub country_code: Option<String>,
    /// Display name (kept in metadata).
    pub name: Option<String>,
}

/// A send request, as every front end builds it.
#[derive(Debug, Clone, Default)]
pub struct SendRequest {
    /// Recipients (1 ..= 10 000).
    pub to: Vec<RecipientInput>,
    /// The text (hex for `binary`).
    pub message: String,
    /// Text, unicode, binary or flash.
    pub message_type: MessageType,
    /// Transactional, promotional, OTP.
    pub sms_type: SmsType,
    /// An explicit route.
    pub provider: Option<String>,
    /// Not before.
    pub schedule_at: Option<Millis>,
    /// Not after.
    pub expire_at: Option<Millis>,
    /// Higher first.
    pub priority: Option<i32>,
    /// Where to report status changes.
    pub callback_url: Option<String>,
    /// The caller's label (an idempotency key only with `[server] custom_id_idempotency`).
    pub custom_id: Option<String>,
    /// Anything the caller wants back, verbatim (a JSON object).
    pub metadata: Option<RawJson>,
    /// `Idempotency-Key` header (wins over `custom_id`).
    pub idempotency_key: Option<String>,
    /// The API key the request came with (its name): idempotency keys are its own.
    pub api_key: Option<String>,
    /// Batch name (send-batch).
    pub batch_name: Option<String>,
    /// Render this template into `message` (which must then be empty).
    pub template_id: Option<String>,
    /// The template's variables.
    pub template_variables: BTreeMap<String, String>,
    /// Whether the caller chose `sms_type`; if not, a template's own type applies.
    pub sms_type_given: bool,
    /// A secret inside `message` (an OTP code): the store keeps the text only sealed, and
    /// every read shows it with the secret replaced by `*`.
    pub secret: Option<String>,
    /// How status callbacks to `callback_url` are shaped and signed.
    pub callback_format: CallbackFormat,
    /// Set for a reply in a conversation (see `crate::store::types::ReplyLink`).
    pub reply: Option<crate::store::types::ReplyLink>,
}

/// The shape of a message's status callbacks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CallbackFormat {
    /// smsgate's JSON, signed with `X-Smsgate-Signature` (see `crate::webhooks`).
    #[default]
    Smsgate,
    /// Twilio's form, signed with `X-Twilio-Signature` (the Twilio-compatible API). Stored
    /// as the callback URL with the prefix [`crate::providers::twilio::wire::CALLBACK_PREFIX`], which no
    /// client can send (client URLs must start with `http`).
    Twilio,
}

/// The callback URL as stored: Twilio-format callbacks are marked by a prefix.
fn stored_callback_url(request: &SendRequest) -> Option<String> {
    let url = request.callback_url.as_ref()?;
    Some(match request.callback_format {
        CallbackFormat::Smsgate => url.clone(),
        CallbackFormat::Twilio => {
            format!("{}{url}", crate::providers::twilio::wire::CALLBACK_PREFIX)
        }
    })
}

/// `text` with every occurrence of `secret` replaced by as many `*`.
fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        return text.to_string();
    }
    text.replace(secret, &"*".repeat(secret.chars().count()))
}

/// A request's `provider` that names no configured route, when `[routing]
/// strict_provider` is off: the message goes by the routing policy instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderFallback {
    /// The `provider` as the request gave it.
    pub requested: String,
    /// Why it was not used.
    pub reason: String,
    /// The route groups the routing policy tries for this message, in order (`modems`
    /// or provider names).
    pub route_groups: Vec<String>,
}

/// One accepted message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AcceptedMessage {
    /// Its id.
    pub id: MessageId,
    /// E.164 recipient.
    pub to: String,
    /// `queued` or `scheduled`.
    pub status: MessageStatus,
    /// `gsm7`, `ucs2` or `8bit`.
    pub encoding: String,
    /// Segment count.
    pub segments: usize,
}

/// What `send` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SendOutcome {
    /// The batch the messages belong to.
    pub batch_id: String,
    /// An idempotent replay of an earlier request: nothing new was stored.
    pub replayed: bool,
    /// One per accepted recipient, in order.
    pub messages: Vec<AcceptedMessage>,
    /// Recipients refused by policy (opt-out, duplicate, per-recipient limit), in order.
    pub rejected: Vec<RejectedRecipient>,
    /// Set when the request's `provider` is not configured and was taken as a preference.
    pub provider_fallback: Option<ProviderFallback>,
}

/// Service settings.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// Longest message, in segments.
    pub max_segments: usize,
    /// Region for national numbers given without `country_code`.
    pub default_region: Option<String>,
    /// Ask for status reports on every segment.
    pub status_reports: bool,
    /// SMS types the opt-out list blocks (`[optout] block`).
    pub optout_blocks: Vec<SmsType>,
    /// `[otp]`: codes, sessions, 2FA and their limits.
    pub otp: OtpConfig,
    /// `[limits]`: send rate limits and duplicate suppression.
    pub limits: LimitsConfig,
    /// The keys OTP codes are hashed under.
    pub otp_keys: OtpKeys,
    /// The time (Unix milliseconds): the system clock, or a test's.
    pub clock: Clock,
    /// `[callbacks]`: where callback URLs may point.
    pub callback_policy: crate::url_policy::UrlPolicy,
    /// `[webhooks]`: where webhook subscriptions may deliver.
    pub webhook_policy: crate::url_policy::UrlPolicy,
    /// `[server] custom_id_idempotency`: `custom_id` is also an idempotency key.
    pub custom_id_idempotency: bool,
    /// `[conversations]`: idle close, retention, stand-in routes for replies.
    pub conversations: crate::config::ConversationsConfig,
    /// `[optout] stop_keywords`: what puts a provider's inbound sender on the opt-out list.
    pub stop_keywords: Vec<String>,
    /// `[optout] start_keywords`: what takes it off.
    pub start_keywords: Vec<String>,
    /// `[[auto_reply]]`: the config's automatic-reply rules (shown read-only).
    pub auto_reply_rules: Vec<crate::config::AutoReplyRuleConfig>,
    /// `[routing]`: its lists say where a message whose `provider` is not configured goes,
    /// and `strict_provider` whether such a request is refused instead.
    pub routing: crate::config::RoutingConfig,
    /// `[analytics] currency`: what analytics call their costs.
    pub currency: String,
}

/// A source of the current time, injected so tests can move it (expiry, cooldowns, limits).
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> Millis + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock(Arc::new(now_millis))
    }

    /// A clock that reads `f`.
    pub fn from_fn(f: impl Fn() -> Millis + Send + Sync + 'static) -> Self {
        Clock(Arc::new(f))
    }

    /// The current time, from the injected clock.
    pub fn now(&self) -> Millis {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            max_segments: 10,
            default_region: None,
            status_reports: true,
            optout_blocks: vec![SmsType::Promotional],
            otp: OtpConfig::default(),
            limits: LimitsConfig::default(),
            otp_keys: OtpKeys::random(),
            clock: Clock::system(),
            callback_policy: crate::url_policy::UrlPolicy::default(),
            webhook_policy: crate::url_policy::UrlPolicy::default(),
            custom_id_idempotency: false,
            conversations: crate::config::ConversationsConfig::default(),
            stop_keywords: crate::config::DEFAULT_STOP_KEYWORDS
                .map(String::from)
                .to_vec(),
            start_keywords: crate::config::DEFAULT_START_KEYWORDS
                .map(String::from)
                .to_vec(),
            auto_reply_rules: Vec::new(),
            routing: crate::config::RoutingConfig::default(),
            currency: "USD".into(),
        }
    }
}

/// The façade.
#[derive(Clone)]
pub struct Service {
    store: Store,
    dispatcher: Dispatcher,
    /// The modems now (they join and leave while the daemon runs).
    modems: Fleet,
    /// The cloud provider routes (fixed).
    providers: Vec<Arc<dyn Route>>,
    /// The live settings: a snapshot read per call, replaced whole by a reload.
    settings: Arc<std::sync::RwLock<Arc<ServiceSettings>>>,
    /// The rate limiters, rebuilt when a reload changes `[limits]` or `[otp]`.
    guards: Arc<std::sync::RwLock<Arc<Guards>>>,
    metrics: crate::metrics::Metrics,
    /// Reload, audit: see `reload.rs`, `audit.rs`.
    ops: Arc<reload::Ops>,
    /// This node among those sharing the database (see `cluster.rs`).
    cluster: crate::cluster::ClusterView,
}

/// A modem as `GET /api/modems` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ModemView {
    /// Status (state, identity, network…).
    #[serde(flatten)]
    pub status: ModemStatus,
    /// Balancing view (in flight, allowance, segments sent).
    pub route: RouteSnapshot,
    /// Disabled by an operator (`POST /api/modems/{name}/disable`).
    pub disabled: bool,
    /// Why it is out of rotation although ready, if it is (operator, low balance).
    pub held: Option<&'static str>,
}

impl Service {
    /// Builds the façade.
    pub fn new(
        store: Store,
        dispatcher: Dispatcher,
        modems: Fleet,
        providers: Vec<Arc<dyn Route>>,
        settings: ServiceSettings,
    ) -> Self {
        let guards = Arc::new(Guards::new(&settings.otp, &settings.limits));
        Self {
            store,
            dispatcher,
            modems,
            providers,
            settings: Arc::new(std::sync::RwLock::new(Arc::new(settings))),
            guards: Arc::new(std::sync::RwLock::new(guards)),
            metrics: crate::metrics::Metrics::default(),
            ops: Arc::default(),
            cluster: crate::cluster::ClusterView::single(0),
        }
    }

    /// The settings in force now (a snapshot: a reload replaces them whole).
    pub(crate) fn settings(&self) -> Arc<ServiceSettings> {
        match self.settings.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The rate limiters in force now.
    fn guards(&self) -> Arc<Guards> {
        match self.guards.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The same façade counting into `metrics` (the daemon's, shared with the dispatcher).
    pub fn with_metrics(mut self, metrics: crate::metrics::Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Uses `cluster` as this node's view of the nodes sharing its database.
    pub fn with_cluster(mut self, cluster: crate::cluster::ClusterView) -> Self {
        self.cluster = cluster;
        self
    }

    /// Where this façade counts events.
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.metrics
    }

    /// The service's time.
    pub(crate) fn now(&self) -> Millis {
        self.settings().clock.now()
    }

    /// Validates, prepares and durably stores a send request.
    pub async fn send(&self, mut request: SendRequest) -> Result<SendOutcome, ServiceError> {
        let now = self.now();
        let template = self.apply_template(&mut request).await?;
        let prepared = self.prepare(&request, now)?;
        let idempotency_key = request.idempotency_key.clone().or_else(|| {
            self.settings()
                .custom_id_idempotency
                .then(|| request.custom_id.clone())
                .flatten()
        });
        let idempotency_scope = request.api_key.clone().unwrap_or_default();
        let fingerprint = fingerprint(&request, &prepared);
        // A replay stores nothing new, so no policy applies to it (it would otherwise be
        // refused as a duplicate of itself). The same key with another request is refused:
        // answering it as a replay would pair the earlier ids with the new recipients.
        let replay = match &idempotency_key {
            Some(key) => match self.store.batch_for_key(&idempotency_scope, key).await? {
                Some((_, Some(earlier))) if earlier != fingerprint => {
                    return Err(ServiceError::Conflict(
                        "this idempotency key was used for a different request".into(),
                    ))
                }
                Some(_) => true,
                None => false,
            },
            None => false,
        };
        let (prepared, positions, mut rejected, taken) = if replay {
            let positions = (0..prepared.len()).collect();
            (prepared, positions, Vec::new(), None)
        } else {
            let screened = self
                .screen(prepared, request.sms_type, request.secret.is_some(), now)
                .await?;
            let taken = Some(screened.taken);
            (
                screened.messages,
                screened.positions,
                screened.rejected,
                taken,
            )
        };
        // Several nodes: duplicates are counted in the store, in the messages' transaction
        // (a code this service issued is never one).
        let duplicate_check = (!replay && request.secret.is_none())
            .then(|| self.duplicate_check(&prepared))
            .flatten();
        // What a duplicate refused there needs to be told and given back.
        let texts: Vec<(String, String)> = if duplicate_check.is_some() {
            prepared
                .iter()
                .map(|m| (m.recipient.clone(), m.body.clone()))
                .collect()
        } else {
            Vec::new()
        };
        let batch = NewBatch {
            name: request.batch_name.clone(),
            idempotency_key,
            idempotency_scope,
            fingerprint: Some(fingerprint),
            callback_url: stored_callback_url(&request),
            metadata: request.metadata.as_ref().map(|m| m.as_str().to_string()),
            duplicate_check,
        };
        let summaries: Vec<(String, String, usize)> = prepared
            .iter()
            .map(|m| (m.recipient.clone(), m.encoding.clone(), m.segments.len()))
            .collect();
        let accepted = match self.store.enqueue(batch, prepared, now).await {
            Ok(accepted) => accepted,
            Err(e) => {
                if let Some(taken) = &taken {
                    self.guards().refund(taken);
                    self.refund_shared(taken).await;
                }
                return Err(e.into());
            }
        };
        let summaries = if accepted.duplicates.is_empty() {
            summaries
        } else {
            self.refuse_duplicates(&accepted, &texts, &positions, &mut rejected, taken.as_ref())
                .await?;
            summaries
                .into_iter()
                .enumerate()
                .filter(|(pos, _)| !accepted.duplicates.contains(pos))
                .map(|(_, summary)| summary)
                .collect()
        };
        if !accepted.replayed {
            self.dispatcher.wake();
            let count = accepted.ids.len();
            self.count_template_use(template.as_deref(), count).await;
        }
        let messages = if accepted.replayed {
            // What the first request stored — its recipients may not be this request's
            // (some may have been refused then) — with each message's status now.
            self.store
                .batch_messages(&accepted.batch_id)
                .await?
                .into_iter()
                .map(|row| AcceptedMessage {
                    id: row.id,
                    to: row.recipient,
                    status: row.status,
                    encoding: row.encoding,
                    segments: row.segments,
                })
                .collect()
        } else {
            for _ in &accepted.ids {
                self.metrics.message_accepted(request.sms_type.as_str());
            }
            let status = match request.schedule_at {
                Some(at) if at > now => MessageStatus::Scheduled,
                _ => MessageStatus::Queued,
            };
            accepted
                .ids
                .iter()
                .zip(summaries)
                .map(|(id, (to, encoding, segments))| AcceptedMessage {
                    id: *id,
                    to,
                    status,
                    encoding,
                    segments,
                })
                .collect()
        };
        Ok(SendOutcome {
            batch_id: accepted.batch_id,
            replayed: accepted.replayed,
            messages,
            rejected,
            provider_fallback: self.provider_fallback(&request),
        })
    }

    fn prepare(&self, request: &SendRequest, now: Millis) -> Result<Vec<NewMessage>, ServiceError> {
        if request.to.is_empty() {
            return Err(ServiceError::invalid(
                "to",
                "at least one recipient is required",
            ));
        }
        if request.to.len() > MAX_RECIPIENTS {
            return Err(ServiceError::invalid(
                "to",
                format!("at most {MAX_RECIPIENTS} recipients per request"),
            ));
        }
        if request.message.is_empty() {
            return Err(ServiceError::invalid("message", "must not be empty"));
        }
        if let Some(expire) = request.expire_at {
            if expire <= now {
                return Err(ServiceError::invalid("expire_at", "is in the past"));
            }
            if request.schedule_at.is_some_and(|s| s >= expire) {
                return Err(ServiceError::invalid(
                    "expire_at",
                    "must be after schedule_at",
                ));
            }
        }
        // A reply (conversation or automatic) is pinned to its route: never a preference.
        let strict = self.settings().routing.strict_provider || request.reply.is_some();
        if strict && self.provider_fallback(request).is_some() {
            let known = self.route_names();
            return Err(ServiceError::invalid(
                "provider",
                format!(
                    "no route named {:?}; routes: {}",
                    request.provider.as_deref().unwrap_or_default(),
                    known.join(", ")
                ),
            ));
        }
        self.check_bounds(request)?;
        let binary;
        let payload = match request.message_type {
            MessageType::Binary => {
                binary = hex::decode(request.message.trim()).map_err(|e| {
                    ServiceError::invalid("message", format!("binary messages are hex: {e}"))
                })?;
                Payload::Binary(&binary)
            }
            _ => Payload::Text(&request.message),
        };
        let policy = SegmentPolicy {
            encoding: match request.message_type {
                MessageType::Unicode => EncodingChoice::Ucs2,
                MessageType::Binary => EncodingChoice::Eight,
                MessageType::Text | MessageType::Flash => EncodingChoice::Auto,
            },
            national_languages: Vec::new(),
            ref_width: RefWidth::Sixteen,
        };
        let plan = SegmentPlan::new(payload, &policy)
            .map_err(|e| ServiceError::invalid("message", e.to_string()))?;
        if plan.segments.len() > self.settings().max_segments {
            return Err(ServiceError::invalid(
                "message",
                format!(
                    "needs {} segments; at most {} are allowed",
                    plan.segments.len(),
                    self.settings().max_segments
                ),
            ));
        }
        // The network drops the message at expire_at too: the PDU carries the time left as
        // TP-VP, counted from when it will be submitted (not before `schedule_at`), rounded
        // down so the network never delivers after the deadline (5 minutes at least).
        let validity = request.expire_at.map(|at| {
            let from = request.schedule_at.map_or(now, |s| s.max(now));
            ValidityPeriod::at_most_minutes(
                u32::try_from((at - from).max(0) / 60_000).unwrap_or(u32::MAX),
            )
        });
        if request
            .priority
            .is_some_and(|p| !(-MAX_PRIORITY..=MAX_PRIORITY).contains(&p))
        {
            return Err(ServiceError::invalid(
                "priority",
                format!("must be -{MAX_PRIORITY} to {MAX_PRIORITY} (OTP codes always go first)"),
            ));
        }
        let priority = request.priority.unwrap_or(DEFAULT_PRIORITY).saturating_add(
            match (request.secret.is_some(), request.sms_type) {
                (true, _) => ISSUED_CODE_BAND,
                (false, SmsType::Otp) => CLIENT_OTP_BAND,
                (false, _) => 0,
            },
        );
        let encoding = plan.alphabet.name().to_string();
        let mut messages = Vec::with_capacity(request.to.len());
        for (i, recipient) in request.to.iter().enumerate() {
            let e164 = self
                .normalise(recipient)
                .map_err(|reason| ServiceError::Invalid {
                    field: format!("to[{i}].number"),
                    reason,
                })?;
            let options = SubmitOptions {
                destination: Some(Address::parse(&e164).map_err(|e| {
                    ServiceError::invalid(format!("to[{i}].number"), e.to_string())
                })?),
                smsc: None,
                class: (request.message_type == MessageType::Flash).then_some(0),
                status_report: self.settings().status_reports,
                validity,
                reject_duplicates: false,
                reference: rand::random(),
            };
            let pdus = build_submits(&plan, &options)
                .map_err(|e| ServiceError::invalid("message", e.to_string()))?;
            let segments = pdus
                .into_iter()
                .enumerate()
                .map(|(k, p)| OutboundSegment {
                    seq: u16::try_from(k + 1).unwrap_or(u16::MAX),
                    pdu_hex: p.hex,
                    tpdu_length: u16::try_from(p.tpdu_length).unwrap_or(u16::MAX),
                })
                .collect();
            messages.push(NewMessage {
                recipient: e164,
                body: request.message.clone(),
                message_type: request.message_type,
                sms_type: request.sms_type,
                encoding: encoding.clone(),
                priority,
                schedule_at: request.schedule_at,
                expire_at: request.expire_at,
                // A provider that is not configured is only a preference: the message
                // is stored without it and goes by the routing policy.
                provider: request
                    .provider
                    .as_deref()
                    .map(|p| crate::config::canonical_provider(p).to_string())
                    .filter(|name| self.has_route(name)),
                custom_id: request.custom_id.clone(),
                recipient_name: recipient.name.clone(),
                segments,
                redacted_body: request
                    .secret
                    .as_deref()
                    .map(|secret| redact(&request.message, secret)),
                reply: request.reply,
            });
        }
        Ok(messages)
    }

    /// When the request's `provider` names no configured route: what the message does
    /// instead (`None` when it names one, or none is given).
    fn provider_fallback(&self, request: &SendRequest) -> Option<ProviderFallback> {
        let requested = request.provider.as_deref()?;
        let name = crate::config::canonical_provider(requested);
        if self.has_route(name) {
            return None;
        }
        Some(ProviderFallback {
            requested: requested.to_string(),
            reason: format!(
                "no route named {requested:?} is configured; the routing policy chooses the route"
            ),
            route_groups: self
                .settings()
                .routing
                .list_for(request.sms_type.as_str())
                .to_vec(),
        })
    }

    /// Whether `url` may be a status callback URL (`[callbacks]`'s rule), or why not.
    pub fn check_callback_url(&self, url: &str) -> Result<(), String> {
        self.settings().callback_policy.check(url).map(|_| ())
    }

    /// The limits of `bounds` on every client-chosen field of a send request.
    fn check_bounds(&self, request: &SendRequest) -> Result<(), ServiceError> {
        if let Some(url) = &request.callback_url {
            bounds::callback_url("callback_url", url, &self.settings().callback_policy)?;
        }
        if let Some(id) = &request.custom_id {
            bounds::label("custom_id", id)?;
        }
        if let Some(name) = &request.batch_name {
            bounds::label("name", name)?;
        }
        if let Some(metadata) = &request.metadata {
            bounds::metadata("metadata", metadata)?;
        }
        for (i, recipient) in request.to.iter().enumerate() {
            if let Some(name) = &recipient.name {
                bounds::label(&format!("to[{i}].name"), name)?;
            }
            if recipient.number.len() > 64 {
                return Err(ServiceError::invalid(
                    format!("to[{i}].number"),
                    "longer than 64 characters",
                ));
            }
        }
        Ok(())
    }

    /// E.164 form of a recipient, or why not.
    pub fn normalise(&self, recipient: &RecipientInput) -> Result<String, String> {
        crate::phone::E164::parse(
            &recipient.number,
            recipient
                .country_code
                .as_deref()
                .or(self.settings().default_region.as_deref()),
        )
        .map(String::from)
    }

    /// The most segments one message may have (`[server] max_segments`).
    pub fn max_segments(&self) -> usize {
        self.settings().max_segments
    }

    /// The segment calculator for a text.
    pub fn segments(
        &self,
        text: &str,
        message_type: MessageType,
    ) -> Result<SegmentInfo, ServiceError> {
        let policy = SegmentPolicy {
            encoding: if message_type == MessageType::Unicode {
                EncodingChoice::Ucs2
            } else {
                EncodingChoice::Auto
            },
            ..SegmentPolicy::default()
        };
        crate::pdu::segment_info(Payload::Text(text), &policy)
            .map_err(|e| ServiceError::invalid("message", e.to_string()))
    }

    /// One message with its segments and events.
    pub async fn message(&self, id: MessageId) -> Result<MessageDetail, ServiceError> {
        self.store
            .get(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("message {id}")))
    }

    /// Messages matching a filter, newest first.
    pub async fn list(&self, filter: ListFilter) -> Result<Vec<MessageSummary>, ServiceError> {
        Ok(self.store.list(filter).await?)
    }

    /// How many messages match a filter, whatever its page (`limit`, `offset`).
    pub async fn count(&self, filter: ListFilter) -> Result<u64, ServiceError> {
        Ok(self.store.count(filter).await?)
    }

    /// Cancels a message that has not been sent yet.
    pub async fn cancel(&self, id: MessageId) -> Result<MessageStatus, ServiceError> {
        let status = self
            .store
            .cancel(id, self.now())
            .await
            .map_err(|e| match e {
                StoreError::NotFound => ServiceError::NotFound(format!("message {id}")),
                StoreError::Conflict(_) => {
                    ServiceError::Conflict(format!("message {id} is already being sent or done"))
                }
                other => other.into(),
            })?;
        // A cancelled message never had a route; its type is one indexed read away.
        let sms_type = self
            .message(id)
            .await
            .map_or("unknown", |m| m.summary.sms_type.as_str());
        self.metrics.message_finished("cancelled", None, sms_type);
        Ok(status)
    }

    /// A batch's progress.
    pub async fn batch(&self, id: &str) -> Result<BatchSummary, ServiceError> {
        self.store
            .batch(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("batch {id}")))
    }

    /// Every modem's status and balancing view.
    pub fn modems(&self) -> Vec<ModemView> {
        self.modems
            .snapshot()
            .iter()
            .map(|m| ModemView {
                status: m.modem().status(),
                route: m.snapshot(),
                disabled: m.admin().disabled(),
                held: m.admin().held(),
            })
            .collect()
    }

    /// Waits until every modem has left `initialising` (ready, or definitively not), at
    /// most `limit`.
    pub async fn wait_for_modems(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        for modem in self.modems.snapshot().iter() {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            modem.modem().settled(left).await;
        }
    }

    /// Every route (modems first, then cloud providers) as the dispatcher sees it now.
    pub fn routes(&self) -> Vec<crate::route::RouteSnapshot> {
        self.all_routes().iter().map(|r| r.snapshot()).collect()
    }

    /// When the dispatcher last began a round (Unix ms): it moves every poll while the
    /// dispatcher runs, so a watcher can tell rounds have passed.
    pub fn dispatch_heartbeat(&self) -> crate::message::Millis {
        self.dispatcher
            .heartbeat()
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether at least one route can send now.
    pub fn ready(&self) -> bool {
        self.database_reachable() && self.all_routes().iter().any(|r| r.snapshot().ready)
    }

    /// Every route now: the modems in the fleet, then the providers.
    fn all_routes(&self) -> Vec<Arc<dyn Route>> {
        let mut routes = self.modems.routes();
        routes.extend(self.providers.iter().cloned());
        routes
    }

    /// The names of every route now (for error messages).
    pub(crate) fn route_names(&self) -> Vec<String> {
        self.all_routes()
            .iter()
            .map(|r| r.name().to_string())
            .collect()
    }

    /// Whether a route (a modem in the fleet now, or a provider) has this name.
    pub(crate) fn has_route(&self, name: &str) -> bool {
        self.providers.iter().any(|r| r.name() == name) || self.modems.get(name).is_some()
    }

    /// The shared modem set (the daemon's discovery adds to it and removes from it).
    pub fn fleet(&self) -> &Fleet {
        &self.modems
    }

    /// The secret status callbacks are signed with (see `crate::webhooks`).
    pub async fn webhook_secret(&self) -> Result<String, ServiceError> {
        Ok(crate::webhooks::secret(&self.store).await?)
    }

    /// The key Twilio-compatible message sids are made with (see `crate::twilio`).
    pub async fn twilio_sid_key(&self) -> Result<Vec<u8>, ServiceError> {
        Ok(crate::webhooks::twilio_sid_key(&self.store).await?)
    }

    /// Messages waiting or being sent.
    pub async fn queue_depth(&self) -> Result<u64, ServiceError> {
        Ok(self.store.queue_depth().await?)
    }
}

/// What a send request asks for, as a SHA-256 hex digest: an idempotent replay must ask for
/// the same (recipients as normalised, text as rendered, and every option).
fn fingerprint(request: &SendRequest, prepared: &[NewMessage]) -> String {
    use sha2::{Digest, Sha256};
    let recipients: Vec<(&str, Option<&str>)> = prepared
        .iter()
        .map(|m| (m.recipient.as_str(), m.recipient_name.as_deref()))
        .collect();
    let canonical = serde_json::json!({
        "to": recipients,
        // A template's text may be edited between a request and its retry: the template
        // and its variables are what was asked for.
        "message": request.template_id.is_none().then_some(&request.message),
        "template_id": request.template_id,
        "template_variables": request.template_variables,
        "message_type": request.message_type,
        "sms_type": request.sms_type,
        "provider": request.provider,
        "schedule_at": request.schedule_at,
        "expire_at": request.expire_at,
        "priority": request.priority,
        "callback_url": stored_callback_url(request),
        "custom_id": request.custom_id,
        // Parsed: the same object sent with other spacing or key order is the same request.
        "metadata": request
            .metadata
            .as_ref()
            .and_then(|m| serde_json::from_str::<serde_json::Value>(m.as_str()).ok()),
        "name": request.batch_name,
    });
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}
