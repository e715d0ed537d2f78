//! Prometheus metrics (layer 0): the metric families of one daemon and their text
//! exposition. It owns names, labels, buckets and the encoding; it never imports the store,
//! modems, providers or HTTP — callers hand it plain values.
//!
//! One [`Metrics`] is made per daemon and passed down (cheap to clone: an `Arc`): the
//! service counts what it accepts and verifies, the dispatcher what routes send and fail,
//! the HTTP layer its requests. No global registry, so two daemons in one process (the
//! tests) never mix their numbers.
//!
//! Invariants: counters move where the event happens; gauges describing live state
//! (modems, queue depth, uptime) are set from a [`LiveState`] just before encoding, never
//! by scanning the database per scrape. No label ever holds a message body, a code, a
//! phone number or a key.

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The content type of [`Metrics::encode`]'s output (OpenMetrics text 1.0).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The commit the binary was built from, when the build said (`SMSGATE_COMMIT`).
pub const COMMIT: &str = match option_env!("SMSGATE_COMMIT") {
    Some(c) => c,
    None => "unknown",
};

type FloatGauge = Gauge<f64, AtomicU64>;
type FloatCounter = Counter<f64, AtomicU64>;
type Histo = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// `sms_type`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TypeLabels {
    sms_type: String,
}

/// A message's final status, with the route that took it (`none` when no route did).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: String,
    route: String,
    sms_type: String,
}

/// A route (modem or provider) and its kind.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    kind: String,
}

/// A route's failure by [`crate::route::ErrorClass`].
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteErrorLabels {
    route: String,
    kind: String,
    class: String,
}

/// A status report's verdict on a route's message.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReportLabels {
    route: String,
    status: String,
}

/// A `+CMS ERROR` code from a modem.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CmsLabels {
    modem: String,
    code: String,
}

/// An outbound HTTP delivery's kind and outcome.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    kind: String,
    outcome: String,
}

/// A queue status.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    status: String,
}

/// One modem.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModemLabels {
    modem: String,
}

/// One modem and a state name.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModemStateLabels {
    modem: String,
    state: String,
}

/// A modem's network, info-style (the value is always 1).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModemInfoLabels {
    modem: String,
    operator: String,
    registration: String,
}

/// One provider.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProviderLabels {
    provider: String,
}

/// An OTP check's outcome.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: String,
}

/// An HTTP request: the matched path template, never the raw URI.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: String,
    route: String,
    status: String,
}

/// An HTTP request's route for the latency histogram.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpRouteLabels {
    method: String,
    route: String,
}

/// Build information.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: String,
    commit: String,
}

/// What kind of route a name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    /// A GSM modem.
    Modem,
    /// A cloud provider.
    Provider,
}

impl RouteKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Modem => "modem",
            Self::Provider => "provider",
        }
    }
}

/// A modem as the scrape sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveModem {
    /// Its configured name.
    pub name: String,
    /// Its state (`ready`, `initialising`, `down`…).
    pub state: String,
    /// Whether it takes traffic now.
    pub up: bool,
    /// Signal in dBm, when known.
    pub signal_dbm: Option<i16>,
    /// Registration (`home`, `roaming`, `searching`…), when known.
    pub registration: Option<String>,
    /// Whether the registration allows sending.
    pub registered: bool,
    /// Operator name, when known.
    pub operator: Option<String>,
    /// The SIM's balance from the last USSD check, when parsed.
    pub balance: Option<f64>,
}

/// Live state read at scrape time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveState {
    /// Every modem.
    pub modems: Vec<LiveModem>,
    /// The queue and outboxes (none: the store did not answer).
    pub backlog: Option<LiveBacklog>,
}

/// The queue and outbox sizes at scrape time.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LiveBacklog {
    /// Messages `queued`.
    pub queued: u64,
    /// Messages `scheduled`.
    pub scheduled: u64,
    /// Messages `sending`.
    pub sending: u64,
    /// Seconds the oldest `queued` message has waited since it was accepted (0: none).
    pub oldest_queued_age_seconds: f64,
    /// Status callbacks to deliver.
    pub callbacks_open: u64,
    /// Webhook subscription deliveries to make.
    pub webhooks_open: u64,
}

/// `sms_type` values (`crate::message::SmsType`).
const SMS_TYPES: [&str; 4] = ["transactional", "promotional", "otp", "alert"];

/// The final statuses `smsgate_messages_finished_total` counts.
const FINAL_STATUSES: [&str; 4] = ["sent", "failed", "expired", "cancelled"];

/// `crate::route::ErrorClass` as labels.
const ERROR_CLASSES: [&str; 5] = [
    "permanent",
    "retry_here",
    "retry_elsewhere",
    "route_broken",
    "ambiguous",
];

/// The modem states every modem gets a 0/1 series for.
const MODEM_STATES: [&str; 6] = [
    "initialising",
    "ready",
    "degraded",
    "down",
    "sim_error",
    "failed",
];

/// Every metric family of one daemon.
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    registry: Registry,
    started: Instant,
    /// One scrape at a time: live gauges are cleared and set as a whole.
    scrape: Mutex<()>,
    accepted: Family<TypeLabels, Counter>,
    finished: Family<StatusLabels, Counter>,
    segments: Family<RouteLabels, Counter>,
    route_attempts: Family<RouteLabels, Counter>,
    route_errors: Family<RouteErrorLabels, Counter>,
    route_latency: Histo,
    route_last_sent: Family<RouteLabels, FloatGauge>,
    cms_errors: Family<CmsLabels, Counter>,
    cmgs_latency: Family<ModemLabels, Histogram, fn() -> Histogram>,
    reports: Family<ReportLabels, Counter>,
    provider_cost: Family<ProviderLabels, FloatCounter>,
    modem_up: Family<ModemLabels, Gauge>,
    modem_state: Family<ModemStateLabels, Gauge>,
    modem_signal: Family<ModemLabels, Gauge>,
    modem_balance: Family<ModemLabels, FloatGauge>,
    modem_registered: Family<ModemLabels, Gauge>,
    modem_info: Family<ModemInfoLabels, Gauge>,
    queue_depth: Gauge,
    queue: Family<QueueLabels, Gauge>,
    queue_oldest: FloatGauge,
    callbacks_backlog: Gauge,
    webhooks_backlog: Gauge,
    deliveries: Family<DeliveryLabels, Counter>,
    otp_generated: Counter,
    otp_checks: Family<ResultLabels, Counter>,
    inbound: Counter,
    http_requests: Family<HttpLabels, Counter>,
    http_latency: Family<HttpRouteLabels, Histogram, fn() -> Histogram>,
    uptime: FloatGauge,
}

fn send_histogram() -> Histogram {
    // 50 ms … ~100 s: a +CMGS round trip is ~1–5 s; a provider's API call ~0.1–2 s.
    Histogram::new(exponential_buckets(0.05, 2.0, 12))
}

fn http_histogram() -> Histogram {
    // 1 ms … ~8 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 14))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    /// Every family, registered under `smsgate_`.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("smsgate");
        let accepted = Family::<TypeLabels, Counter>::default();
        registry.register(
            "messages_accepted",
            "Messages accepted by the API, by sms_type",
            accepted.clone(),
        );
        let finished = Family::<StatusLabels, Counter>::default();
        registry.register(
            "messages_finished",
            "Messages that reached a final status (sent, delivered, failed, expired, cancelled), by route and sms_type",
            finished.clone(),
        );
        let segments = Family::<RouteLabels, Counter>::default();
        registry.register("segments_sent", "Segments a route sent", segments.clone());
        let route_attempts = Family::<RouteLabels, Counter>::default();
        registry.register(
            "route_attempts",
            "Messages handed to a route (modem or provider) to send",
            route_attempts.clone(),
        );
        let route_errors = Family::<RouteErrorLabels, Counter>::default();
        registry.register(
            "route_errors",
            "Sends a route failed, by error class",
            route_errors.clone(),
        );
        let route_latency: Histo = Family::new_with_constructor(send_histogram);
        registry.register_with_unit(
            "route_send_duration",
            "Time a route took to send a message (a modem: the +CMGS exchanges of all its segments; a provider: its API call)",
            Unit::Seconds,
            route_latency.clone(),
        );
        let route_last_sent = Family::<RouteLabels, FloatGauge>::default();
        registry.register(
            "route_last_sent_timestamp_seconds",
            "Unix time of the last message a route sent",
            route_last_sent.clone(),
        );
        let cms_errors = Family::<CmsLabels, Counter>::default();
        registry.register(
            "modem_cms_errors",
            "+CMS ERROR answers from a modem, by code",
            cms_errors.clone(),
        );
        let cmgs_latency: Family<ModemLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(send_histogram);
        registry.register_with_unit(
            "modem_cmgs_duration",
            "Time of one AT+CMGS exchange (one segment), answered or refused",
            Unit::Seconds,
            cmgs_latency.clone(),
        );
        let reports = Family::<ReportLabels, Counter>::default();
        registry.register(
            "delivery_reports",
            "Status reports by route and the status they gave the message (delivered, undelivered, failed)",
            reports.clone(),
        );
        let provider_cost = Family::<ProviderLabels, FloatCounter>::default();
        registry.register(
            "provider_cost",
            "What providers reported charging, in their currency",
            provider_cost.clone(),
        );
        let modem_up = Family::<ModemLabels, Gauge>::default();
        registry.register(
            "modem_up",
            "1 when the modem takes traffic",
            modem_up.clone(),
        );
        let modem_state = Family::<ModemStateLabels, Gauge>::default();
        registry.register(
            "modem_state",
            "1 for the modem's current state, 0 for the others",
            modem_state.clone(),
        );
        let modem_signal = Family::<ModemLabels, Gauge>::default();
        registry.register(
            "modem_signal_dbm",
            "Signal strength in dBm (absent when unknown)",
            modem_signal.clone(),
        );
        let modem_balance = Family::<ModemLabels, FloatGauge>::default();
        registry.register(
            "modem_balance",
            "The SIM's balance from the last USSD check (absent when unknown)",
            modem_balance.clone(),
        );
        let modem_registered = Family::<ModemLabels, Gauge>::default();
        registry.register(
            "modem_registered",
            "1 when the modem is registered (home or roaming)",
            modem_registered.clone(),
        );
        let modem_info = Family::<ModemInfoLabels, Gauge>::default();
        registry.register(
            "modem_network_info",
            "Always 1: the modem's operator and registration as labels",
            modem_info.clone(),
        );
        let queue_depth = Gauge::default();
        registry.register(
            "queue_depth",
            "Messages queued, scheduled or being sent",
            queue_depth.clone(),
        );
        let queue = Family::<QueueLabels, Gauge>::default();
        registry.register(
            "queue_messages",
            "Messages waiting or being sent, by status (queued, scheduled, sending)",
            queue.clone(),
        );
        let queue_oldest = FloatGauge::default();
        registry.register_with_unit(
            "queue_oldest_age",
            "How long the oldest queued message has waited since it was accepted (0: none)",
            Unit::Seconds,
            queue_oldest.clone(),
        );
        let callbacks_backlog = Gauge::default();
        registry.register(
            "callbacks_backlog",
            "Status callbacks (callback_url) not yet delivered nor given up",
            callbacks_backlog.clone(),
        );
        let webhooks_backlog = Gauge::default();
        registry.register(
            "webhooks_backlog",
            "Webhook subscription deliveries not yet delivered nor given up",
            webhooks_backlog.clone(),
        );
        let deliveries = Family::<DeliveryLabels, Counter>::default();
        registry.register(
            "outbound_deliveries",
            "Status callback and webhook delivery attempts by kind (callback, webhook) and outcome (delivered, failed, gave_up)",
            deliveries.clone(),
        );
        for kind in ["callback", "webhook"] {
            for outcome in ["delivered", "failed", "gave_up"] {
                drop(deliveries.get_or_create(&DeliveryLabels {
                    kind: kind.to_string(),
                    outcome: outcome.to_string(),
                }));
            }
        }
        let otp_generated = Counter::default();
        registry.register(
            "otp_generated",
            "One-time codes generated",
            otp_generated.clone(),
        );
        let otp_checks = Family::<ResultLabels, Counter>::default();
        registry.register(
            "otp_verifications",
            "OTP checks by result (verified, failed, locked)",
            otp_checks.clone(),
        );
        let inbound = Counter::default();
        registry.register(
            "inbound_messages",
            "Inbound messages received",
            inbound.clone(),
        );
        let http_requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, route template and status",
            http_requests.clone(),
        );
        let http_latency: Family<HttpRouteLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(http_histogram);
        registry.register_with_unit(
            "http_request_duration",
            "HTTP request latency by method and route template",
            Unit::Seconds,
            http_latency.clone(),
        );
        let build = Family::<BuildLabels, Gauge>::default();
        build
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION").to_string(),
                commit: COMMIT.to_string(),
            })
            .set(1);
        registry.register("build_info", "Always 1: version and commit", build);
        let uptime = FloatGauge::default();
        registry.register_with_unit(
            "uptime",
            "Time since the daemon started",
            Unit::Seconds,
            uptime.clone(),
        );
        let started_at = FloatGauge::default();
        started_at.set(unix_seconds(SystemTime::now()));
        registry.register(
            "start_time_seconds",
            "Unix time the daemon started",
            started_at,
        );
        Self(Arc::new(Inner {
            registry,
            started: Instant::now(),
            scrape: Mutex::new(()),
            accepted,
            finished,
            segments,
            route_attempts,
            route_errors,
            route_latency,
            route_last_sent,
            cms_errors,
            cmgs_latency,
            reports,
            provider_cost,
            modem_up,
            modem_state,
            modem_signal,
            modem_balance,
            modem_registered,
            modem_info,
            queue_depth,
            queue,
            queue_oldest,
            callbacks_backlog,
            webhooks_backlog,
            deliveries,
            otp_generated,
            otp_checks,
            inbound,
            http_requests,
            http_latency,
            uptime,
        }))
    }

    /// Creates the series known at start at zero — every sms_type, every route with each
    /// final status and error class, the OTP results — so a dashboard shows 0, not "no
    /// data", and `rate()` sees the first event.
    pub fn prepare(&self, routes: &[(String, RouteKind)]) {
        let inner = &self.0;
        // `get_or_create` creates the series at zero; the guard it returns is let go at once.
        for sms_type in SMS_TYPES {
            drop(inner.accepted.get_or_create(&TypeLabels {
                sms_type: sms_type.to_string(),
            }));
            let routes_or_none = routes
                .iter()
                .map(|(name, _)| name.as_str())
                .chain(std::iter::once("none"));
            for route in routes_or_none {
                for status in FINAL_STATUSES {
                    drop(inner.finished.get_or_create(&StatusLabels {
                        status: status.to_string(),
                        route: route.to_string(),
                        sms_type: sms_type.to_string(),
                    }));
                }
            }
        }
        for (name, kind) in routes {
            let labels = route_labels(name, *kind);
            drop(inner.segments.get_or_create(&labels));
            drop(inner.route_attempts.get_or_create(&labels));
            drop(inner.route_latency.get_or_create(&labels));
            for class in ERROR_CLASSES {
                drop(inner.route_errors.get_or_create(&RouteErrorLabels {
                    route: name.clone(),
                    kind: kind.as_str().to_string(),
                    class: class.to_string(),
                }));
            }
            match kind {
                RouteKind::Modem => {
                    drop(inner.cmgs_latency.get_or_create(&ModemLabels {
                        modem: name.clone(),
                    }));
                    for status in ["delivered", "undelivered", "failed"] {
                        drop(inner.reports.get_or_create(&ReportLabels {
                            route: name.clone(),
                            status: status.to_string(),
                        }));
                    }
                }
                RouteKind::Provider => {
                    drop(inner.provider_cost.get_or_create(&ProviderLabels {
                        provider: name.clone(),
                    }));
                }
            }
        }
        for result in ["verified", "failed", "locked"] {
            drop(inner.otp_checks.get_or_create(&ResultLabels {
                result: result.to_string(),
            }));
        }
    }

    /// A message was accepted (stored) for sending.
    pub fn message_accepted(&self, sms_type: &str) {
        self.0
            .accepted
            .get_or_create(&TypeLabels {
                sms_type: sms_type.to_string(),
            })
            .inc();
    }

    /// A message reached a final status (`route`: `None` when no route took it).
    pub fn message_finished(&self, status: &str, route: Option<&str>, sms_type: &str) {
        self.0
            .finished
            .get_or_create(&StatusLabels {
                status: status.to_string(),
                route: route.unwrap_or("none").to_string(),
                sms_type: sms_type.to_string(),
            })
            .inc();
    }

    /// A message was handed to `route`.
    pub fn route_attempt(&self, route: &str, kind: RouteKind) {
        self.0
            .route_attempts
            .get_or_create(&route_labels(route, kind))
            .inc();
    }

    /// `route` sent `segments` segments in `took`, `cost` being what it charged (providers).
    pub fn route_sent(
        &self,
        route: &str,
        kind: RouteKind,
        segments: usize,
        took: Duration,
        cost: Option<f64>,
    ) {
        let labels = route_labels(route, kind);
        self.0
            .segments
            .get_or_create(&labels)
            .inc_by(u64::try_from(segments).unwrap_or(u64::MAX));
        self.0
            .route_latency
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
        self.0
            .route_last_sent
            .get_or_create(&labels)
            .set(unix_seconds(SystemTime::now()));
        if let (RouteKind::Provider, Some(cost)) = (kind, cost) {
            if cost.is_finite() && cost > 0.0 {
                self.0
                    .provider_cost
                    .get_or_create(&ProviderLabels {
                        provider: route.to_string(),
                    })
                    .inc_by(cost);
            }
        }
    }

    /// `route` failed a send after `took`: `class` is the error class.
    pub fn route_failed(&self, route: &str, kind: RouteKind, class: &str, took: Duration) {
        let labels = route_labels(route, kind);
        self.0
            .route_latency
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
        self.0
            .route_errors
            .get_or_create(&RouteErrorLabels {
                route: route.to_string(),
                kind: kind.as_str().to_string(),
                class: class.to_string(),
            })
            .inc();
    }

    /// One `AT+CMGS` exchange of `modem` took `took`; `cms` is `Some` when it was answered
    /// with `+CMS ERROR` (`Some(None)`: a code given as text this crate does not know).
    pub fn modem_cmgs(&self, modem: &str, took: Duration, cms: Option<Option<u16>>) {
        let labels = ModemLabels {
            modem: modem.to_string(),
        };
        self.0
            .cmgs_latency
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
        if let Some(code) = cms {
            self.0
                .cms_errors
                .get_or_create(&CmsLabels {
                    modem: modem.to_string(),
                    code: code.map_or_else(|| "unknown".to_string(), |c| c.to_string()),
                })
                .inc();
        }
    }

    /// A modem's status report said what became of a message sent through `route`.
    pub fn delivery_report(&self, route: &str, status: &str) {
        self.0
            .reports
            .get_or_create(&ReportLabels {
                route: route.to_string(),
                status: status.to_string(),
            })
            .inc();
    }

    /// A status callback (`kind` `callback`) or a webhook subscription delivery (`webhook`)
    /// was attempted: `delivered`, `failed` (retried later) or `gave_up`.
    pub fn outbound_delivery(&self, kind: &str, outcome: &str) {
        self.0
            .deliveries
            .get_or_create(&DeliveryLabels {
                kind: kind.to_string(),
                outcome: outcome.to_string(),
            })
            .inc();
    }

    /// A one-time code was generated.
    pub fn otp_generated(&self) {
        self.0.otp_generated.inc();
    }

    /// A one-time code was checked: `verified`, `failed` or `locked`.
    pub fn otp_checked(&self, result: &str) {
        self.0
            .otp_checks
            .get_or_create(&ResultLabels {
                result: result.to_string(),
            })
            .inc();
    }

    /// An inbound message was received.
    pub fn inbound_received(&self) {
        self.0.inbound.inc();
    }

    /// An HTTP request was answered (`route`: the matched path template).
    pub fn http_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        self.0
            .http_requests
            .get_or_create(&HttpLabels {
                method: method.to_string(),
                route: route.to_string(),
                status: status.to_string(),
            })
            .inc();
        self.0
            .http_latency
            .get_or_create(&HttpRouteLabels {
                method: method.to_string(),
                route: route.to_string(),
            })
            .observe(took.as_secs_f64());
    }

    /// The text exposition, with the live gauges set from `live` first.
    pub fn encode(&self, live: &LiveState) -> String {
        let inner = &self.0;
        // A poisoned lock only means a scrape panicked midway; the gauges are reset below.
        let _one_at_a_time = inner
            .scrape
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.uptime.set(inner.started.elapsed().as_secs_f64());
        if let Some(b) = live.backlog {
            let gauge = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
            inner
                .queue_depth
                .set(gauge(b.queued + b.scheduled + b.sending));
            for (status, n) in [
                ("queued", b.queued),
                ("scheduled", b.scheduled),
                ("sending", b.sending),
            ] {
                inner
                    .queue
                    .get_or_create(&QueueLabels {
                        status: status.to_string(),
                    })
                    .set(gauge(n));
            }
            inner.queue_oldest.set(b.oldest_queued_age_seconds);
            inner.callbacks_backlog.set(gauge(b.callbacks_open));
            inner.webhooks_backlog.set(gauge(b.webhooks_open));
        }
        // Modems come and go with their state: start from empty families each scrape.
        inner.modem_up.clear();
        inner.modem_state.clear();
        inner.modem_signal.clear();
        inner.modem_balance.clear();
        inner.modem_registered.clear();
        inner.modem_info.clear();
        for m in &live.modems {
            let modem = ModemLabels {
                modem: m.name.clone(),
            };
            inner.modem_up.get_or_create(&modem).set(i64::from(m.up));
            inner
                .modem_registered
                .get_or_create(&modem)
                .set(i64::from(m.registered));
            if let Some(dbm) = m.signal_dbm {
                inner.modem_signal.get_or_create(&modem).set(i64::from(dbm));
            }
            if let Some(balance) = m.balance {
                inner.modem_balance.get_or_create(&modem).set(balance);
            }
            for state in MODEM_STATES
                .iter()
                .copied()
                .chain((!MODEM_STATES.contains(&m.state.as_str())).then_some(m.state.as_str()))
            {
                inner
                    .modem_state
                    .get_or_create(&ModemStateLabels {
                        modem: m.name.clone(),
                        state: state.to_string(),
                    })
                    .set(i64::from(state == m.state));
            }
            inner
                .modem_info
                .get_or_create(&ModemInfoLabels {
                    modem: m.name.clone(),
                    operator: m.operator.clone().unwrap_or_default(),
                    registration: m.registration.clone().unwrap_or_default(),
                })
                .set(1);
        }
        let mut out = String::new();
        if encode(&mut out, &inner.registry).is_err() {
            // Writing to a String cannot fail; an encoder error would be a bug in a label.
            tracing::error!("could not encode the metrics");
        }
        out
    }
}

fn route_labels(route: &str, kind: RouteKind) -> RouteLabels {
    RouteLabels {
        route: route.to_string(),
        kind: kind.as_str().to_string(),
    }
}

fn unix_seconds(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    #[test]
    fn counters_move_where_events_are_recorded() {
        let m = Metrics::new();
        m.message_accepted("transactional");
        m.message_accepted("transactional");
        m.route_sent(
            "twilio",
            RouteKind::Provider,
            3,
            Duration::from_millis(200),
            Some(0.0237),
        );
        m.route_failed(
            "sim0",
            RouteKind::Modem,
            "retry_here",
            Duration::from_millis(10),
        );
        m.modem_cmgs("sim0", Duration::from_millis(10), Some(Some(500)));
        m.modem_cmgs("sim0", Duration::from_millis(10), None);
        let text = m.encode(&LiveState::default());
        assert_eq!(
            value(
                &text,
                r#"smsgate_messages_accepted_total{sms_type="transactional"}"#
            ),
            Some(2.0)
        );
        assert_eq!(
            value(
                &text,
                r#"smsgate_segments_sent_total{route="twilio",kind="provider"}"#
            ),
            Some(3.0)
        );
        assert_eq!(
            value(&text, r#"smsgate_provider_cost_total{provider="twilio"}"#),
            Some(0.0237)
        );
        assert_eq!(
            value(
                &text,
                r#"smsgate_modem_cms_errors_total{modem="sim0",code="500"}"#
            ),
            Some(1.0)
        );
        assert_eq!(
            value(
                &text,
                r#"smsgate_modem_cmgs_duration_seconds_count{modem="sim0"}"#
            ),
            Some(2.0)
        );
        assert!(text.contains("smsgate_build_info{version="), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn live_modems_replace_the_last_scrape() {
        let m = Metrics::new();
        let modem = LiveModem {
            name: "sim0".into(),
            state: "ready".into(),
            up: true,
            signal_dbm: Some(-73),
            registration: Some("home".into()),
            registered: true,
            operator: Some("Simnet".into()),
            balance: None,
        };
        let text = m.encode(&LiveState {
            modems: vec![modem],
            backlog: Some(LiveBacklog {
                queued: 3,
                sending: 1,
                oldest_queued_age_seconds: 2.5,
                ..LiveBacklog::default()
            }),
        });
        assert_eq!(
            value(&text, r#"smsgate_modem_signal_dbm{modem="sim0"}"#),
            Some(-73.0)
        );
        assert_eq!(
            value(&text, r#"smsgate_modem_state{modem="sim0",state="ready"}"#),
            Some(1.0)
        );
        assert_eq!(
            value(&text, r#"smsgate_modem_state{modem="sim0",state="down"}"#),
            Some(0.0)
        );
        assert_eq!(value(&text, "smsgate_queue_depth"), Some(4.0));
        assert_eq!(
            value(&text, r#"smsgate_queue_messages{status="sending"}"#),
            Some(1.0)
        );
        assert_eq!(value(&text, "smsgate_queue_oldest_age_seconds"), Some(2.5));
        let text = m.encode(&LiveState::default());
        assert!(!text.contains(r#"modem="sim0""#), "{text}");
    }
}
