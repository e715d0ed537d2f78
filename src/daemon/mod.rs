//! The daemon (layer 5): wires configuration, store, modems (real or simulated),
//! dispatcher, status reports and the HTTP API together, and shuts them down in order.
//!
//! Start-up: open the store and recover what a crash left `sending` (re-queued, or failed
//! for OTP — the in-flight policy); start the modems; start the dispatcher, the
//! status-report consumer, the inbox, the webhook worker and the automatic-reply worker
//! (woken by the inbox's commits); serve HTTP. Modem events are
//! split by kind: received messages go to the inbox, the rest to the report consumer. Shutdown on SIGTERM/SIGINT, in this order: stop
//! accepting HTTP requests (in-flight requests finish), stop leasing (running sends finish
//! within their AT deadlines), close the modem ports, exit 0.
//!
//! SIGHUP (and `POST /api/admin/reload`) re-reads the config file (`reload.rs`); a
//! database encrypted at rest starts only with its key (`at_rest.rs`).
//!
//! Holds no business rules: every decision lives in the layers below.

mod admin;
pub mod at_rest;
mod auto_reply;
pub mod reload;
pub mod storage;
pub mod systemd;
mod tasks;

use crate::cluster::ClusterView;
use crate::config::Config;
use crate::dispatch::{self, DispatchSettings, Dispatcher, RetryPolicy};
use crate::http::{self, AppState, HttpSettings};
use crate::inbound::inbox::{Inbox, InboxSettings};
use crate::message::{now_millis, InFlightPolicy, SmsType};
use crate::modem::{
    Fleet, FleetManager, FnConnector, Modem, ModemConfig, ModemEvent, ModemRoute, ReceivePolicy,
    RouteSettings,
};
use crate::otp::{load_or_create_secret, OtpKeys};
use crate::route::Route;
use crate::seal::Sealer;
use crate::service::{Clock, Service, ServiceSettings};
use crate::sim::{Latency, NetworkConfig, SimModemConfig, SimNetwork, SinkConfig};
use crate::store::StoreOptions;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tasks::Tasks;
use thiserror::Error;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Why the daemon could not start.
#[derive(Debug, Error)]
pub enum DaemonError {
    /// The store could not be opened.
    #[error("storage {path}: {source}")]
    Store {
        /// The database path.
        path: String,
        /// What the store said.
        source: crate::store::StoreError,
    },
    /// The HTTP port could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The OTP secret file could not be read or made.
    #[error("otp.secret_file: {0}")]
    OtpSecret(#[from] crate::otp::SecretError),
    /// A cloud provider route could not be built from its configuration.
    #[error("{0}")]
    Provider(#[from] crate::config::ConfigError),
    /// Encryption at rest refuses to start (no key, another key, an unreadable key file).
    #[error("{0}")]
    AtRest(#[from] at_rest::AtRestError),
    /// A modem port specification is unusable.
    #[error("modems[{index}].port: {reason}")]
    Port {
        /// Which modem.
        index: usize,
        /// What is wrong with the port specification.
        reason: String,
    },
}

/// The in-flight policy as the store wants it (a plain function), from the configuration.
fn in_flight_policy(general: InFlightPolicy, otp: InFlightPolicy) -> fn(SmsType) -> InFlightPolicy {
    use InFlightPolicy::{AtLeastOnce as Least, AtMostOnce as Most};
    match (general, otp) {
        (Least, Most) => |t| if t == SmsType::Otp { Most } else { Least },
        (Least, Least) => |_| Least,
        (Most, Most) => |_| Most,
        (Most, Least) => |t| if t == SmsType::Otp { Least } else { Most },
    }
}

/// Hourly, removes OTP sessions older than a day that can no longer be verified: the
/// numbers and metadata of finished sessions are not kept for ever.
async fn purge_otp_sessions(service: Service, cancel: CancellationToken) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = every.tick() => {}
        }
        match service
            .purge_otp_sessions(Duration::from_secs(24 * 3600))
            .await
        {
            Ok(0) => {}
            Ok(n) => info!(
                sessions = n,
                "purged finished OTP sessions older than a day"
            ),
            Err(e) => warn!(error = %e, "could not purge OTP sessions"),
        }
    }
}

/// Every second, records the numbers the modems send from (once a SIM tells its own); every
/// minute, closes idle conversations and removes the texts retention no longer keeps.
async fn conversation_upkeep(service: Service, cancel: CancellationToken) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    let mut known = std::collections::HashMap::new();
    let mut tick: u64 = 0;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = every.tick() => {}
        }
        if let Err(e) = service.record_route_numbers(&mut known).await {
            warn!(error = %e, "could not record the modems' numbers");
        }
        tick = tick.wrapping_add(1);
        if tick % 60 != 1 {
            continue;
        }
        match service.conversation_upkeep().await {
            Ok((0, 0)) => {}
            Ok((closed, purged)) => info!(closed, purged, "conversation upkeep"),
            Err(e) => warn!(error = %e, "could not close idle conversations"),
        }
    }
}

/// Every 10 minutes, `[retention]`: batches of at most 500 rows of each kind, each batch a
/// short write of its own, until a batch comes back short.
async fn retention(
    service: Service,
    config: crate::config::RetentionConfig,
    cancel: CancellationToken,
) {
    if config == crate::config::RetentionConfig::default() {
        return;
    }
    let mut every = tokio::time::interval(Duration::from_secs(600));
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = every.tick() => {}
        }
        match service.retention_pass(config, &cancel).await {
            Ok(t) if t.message_bodies + t.inbound + t.events > 0 => info!(
                message_bodies = t.message_bodies,
                inbound = t.inbound,
                events = t.events,
                "retention removed old texts and events"
            ),
            Ok(_) => {}
            Err(e) => warn!(error = %e, "retention pass failed"),
        }
    }
}

/// The OTP keys: from `otp.secret`, or from the secret file (made on first start) beside
/// the database.
fn otp_keys(config: &Config) -> Result<OtpKeys, DaemonError> {
    if let Some(secret) = &config.otp.secret {
        return Ok(OtpKeys::from_secret(secret.expose()));
    }
    let file = config.otp.secret_file.clone().unwrap_or_else(|| {
        config
            .storage
            .path
            .parent()
            .unwrap_or_else(|| std::path::Path::new("."))
            .join("otp.key")
    });
    Ok(OtpKeys::from_secret(&load_or_create_secret(&file)?))
}

/// A running daemon's parts, for tests and for `run`.
pub struct Daemon {
    /// The façade (what HTTP uses).
    pub service: Service,
    /// The simulated network, when running on it.
    pub simulator: Option<SimNetwork>,
    modems: Fleet,
    /// Starts, restarts and removes the configured modems (none on the simulator).
    manager: Option<FleetManager>,
    cancel: CancellationToken,
    dispatcher_task: tokio::task::JoinHandle<()>,
    reports_task: tokio::task::JoinHandle<()>,
    inbox_task: tokio::task::JoinHandle<()>,
    inbox_cancel: CancellationToken,
    heartbeat: Arc<std::sync::atomic::AtomicI64>,
    tasks: Tasks,
    http: HttpSettings,
    twilio_public_url: Option<String>,
    listen: std::net::SocketAddr,
    serve_limits: http::ServeLimits,
    /// The API keys in force (a reload replaces them).
    auth: http::auth::Auth,
    /// The inbox's opt-out keywords (a reload replaces them).
    inbox_keywords: crate::inbound::inbox::InboxKeywords,
}

impl Daemon {
    /// Opens the store, recovers, starts modems and the dispatcher. Does not serve HTTP yet.
    pub async fn start(config: &Config) -> Result<Daemon, DaemonError> {
        Self::start_with_clock(config, Clock::system()).await
    }

    /// [`Daemon::start`] with the façade reading `clock` (tests move it to expire codes and
    /// pass cooldowns).
    pub async fn start_with_clock(config: &Config, clock: Clock) -> Result<Daemon, DaemonError> {
        let path = config.storage.describe();
        let otp_keys = otp_keys(config)?;
        // Encryption at rest: the key file's key seals (and still opens what the OTP key
        // sealed before it was turned on).
        let key_file = config.storage.encryption_key_file.as_deref();
        let at_rest_key = key_file.map(at_rest::load_key).transpose()?;
        let otp_sealer = Sealer::new(otp_keys.seal_key());
        let sealer = match &at_rest_key {
            Some(key) => Sealer::new(*key).with_fallback(&otp_sealer),
            None => otp_sealer,
        };
        let options = StoreOptions {
            durability: config.storage.durability,
            group_commit_max: config.storage.group_commit_max,
            sealer: Some(sealer),
            at_rest: at_rest_key.is_some(),
            ..StoreOptions::default()
        };
        let store = storage::open(&config.storage, options).await?;
        at_rest::check(&store, at_rest_key.as_ref(), key_file, &config.storage.path).await?;
        let policy = in_flight_policy(config.dispatch.in_flight, config.dispatch.otp_in_flight);
        match store.recover(policy, now_millis()).await {
            Ok(r) if r.requeued + r.failed > 0 => warn!(
                requeued = r.requeued,
                failed = r.failed,
                "recovered messages that were being sent when the daemon stopped"
            ),
            Ok(_) => {}
            Err(source) => return Err(DaemonError::Store { path, source }),
        }

        // One set of metrics per daemon, shared by the dispatcher, the service and HTTP.
        let metrics = crate::metrics::Metrics::new();
        let (events_tx, events_rx) = mpsc::channel::<ModemEvent>(1024);
        let cancel = CancellationToken::new();
        let joined = admin::JoinSettings::default();
        let (modems, manager, simulator) = if config.uses_simulator() {
            let (modems, network) = start_simulated_modems(config, events_tx, &metrics);
            // Quotas and USSD timeouts (issue 13; `modem_admin`), before the routes are shared.
            let modems = admin::apply(config, modems, &clock);
            (Fleet::new(modems), None, Some(network))
        } else {
            // The configured modems join the fleet through its manager: those with a port
            // now, those named by identity when discovery finds them.
            let fleet = Fleet::default();
            let manager = FleetManager::new(
                fleet.clone(),
                events_tx,
                metrics.clone(),
                config.discovery.clone(),
            );
            manager.set_route_hook(admin::route_hook(&clock, joined.clone()));
            manager.reconcile(&config.modems).await;
            (fleet, Some(manager), None)
        };
        // Operator flags and quota use: restored now for the modems there are, and by
        // `admin::follow` for those that join later.
        let restored = modems.snapshot();
        crate::modem_admin::restore(&store, &restored).await;
        let modem_routes: Vec<Arc<dyn Route>> = modems.routes();
        let providers = crate::providers::build(&config.providers)?;
        // Messages sent through a provider join the conversation of its sender number.
        for (route, number) in crate::providers::numbers::sender_numbers(&config.providers) {
            if let Err(e) = store.set_route_number(route, &number, now_millis()).await {
                warn!(%route, error = %e, "could not record a provider's sender number");
            }
        }
        if !providers.is_empty() {
            let names: Vec<&str> = providers.iter().map(|p| p.name()).collect();
            info!(providers = %names.join(", "), "cloud provider routes configured");
        }

        let prepared: Vec<(String, crate::metrics::RouteKind)> = modem_routes
            .iter()
            .map(|r| (r.name().to_string(), crate::metrics::RouteKind::Modem))
            .chain(
                providers
                    .iter()
                    .map(|p| (p.name().to_string(), crate::metrics::RouteKind::Provider)),
            )
            .collect();
        metrics.prepare(&prepared);
        // This node among those sharing the database (a cluster of one on SQLite).
        let cluster = match store.node_id() {
            Some(node) => ClusterView::shared(node.to_string(), now_millis()),
            None => ClusterView::single(now_millis()),
        };
        let d = &config.dispatch;
        let settings = DispatchSettings {
            strategy: d.strategy,
            retry: RetryPolicy {
                max_attempts: d.max_attempts,
                initial: Duration::from_millis(d.backoff_initial_ms),
                max: Duration::from_millis(d.backoff_max_ms),
                jitter: d.jitter,
            },
            lease_for: Duration::from_secs(d.lease_seconds),
            poll_interval: Duration::from_millis(d.poll_interval_ms),
            in_flight: policy,
            // A message no route could take right now is offered again after one poll.
            no_route_delay: Duration::from_millis(d.poll_interval_ms),
            routing: dispatch::RoutingPolicy::from_config(&config.routing),
            metrics: metrics.clone(),
            cluster: cluster.clone(),
        };
        let source = modems.clone();
        let (dispatcher, dispatcher_task) = Dispatcher::spawn_with_modems(
            store.clone(),
            Arc::new(move || source.routes()),
            providers.clone(),
            settings,
            cancel.child_token(),
        );
        let heartbeat = dispatcher.heartbeat();
        let advertised_modems = modems.clone();
        let advertised_providers = providers.clone();
        let provider_names: std::collections::HashSet<String> =
            providers.iter().map(|p| p.name().to_string()).collect();
        let cluster_task = crate::cluster::run(
            store.clone(),
            cluster.clone(),
            move || {
                let mut routes = advertised_modems.routes();
                routes.extend(advertised_providers.iter().cloned());
                crate::cluster::advertised(&routes, &provider_names)
            },
            now_millis,
            cancel.child_token(),
        );
        let window = Duration::from_secs(d.report_window_hours.saturating_mul(3600));
        let (reports_tx, reports_rx) = mpsc::channel::<ModemEvent>(1024);
        let (inbound_tx, inbound_rx) = mpsc::channel::<ModemEvent>(1024);
        // Every task the daemon starts is tracked, so `stop` can wait for them to end.
        let tasks = Tasks::new();
        tasks.spawn("cluster heartbeat", cluster_task);
        tasks.spawn(
            "modem events",
            crate::inbound::split_events(events_rx, reports_tx, inbound_tx, metrics.clone()),
        );
        let reports_task = tasks.spawn(
            "status reports",
            crate::inbound::reports::consume(store.clone(), reports_rx, window, metrics.clone()),
        );
        let lookup = modems.clone();
        let replies_wake = Arc::new(tokio::sync::Notify::new());
        let inbox = Inbox::new(
            store.clone(),
            InboxSettings {
                stop_keywords: config.optout.stop_keywords.clone(),
                start_keywords: config.optout.start_keywords.clone(),
                incomplete_timeout: Duration::from_secs(config.inbox.incomplete_timeout_secs),
                default_region: config.server.default_region.clone(),
            },
            Arc::new(move |name: &str| {
                lookup
                    .get(name)
                    .and_then(|m| m.modem().status().identity.msisdn)
            }),
        )
        .notify_on_commit(replies_wake.clone());
        let inbox_keywords = inbox.keywords();
        // Not a child of `cancel`: the inbox keeps taking what the modems hand over until
        // they are stopped (an event left without a consumer would hold its modem up).
        let inbox_cancel = CancellationToken::new();
        let inbox_task = tasks.spawn(
            "inbox",
            crate::inbound::inbox::consume(inbox, inbound_rx, inbox_cancel.clone()),
        );
        tasks.spawn(
            "status callbacks",
            crate::webhooks::run(
                store.clone(),
                crate::webhooks::WebhookSettings {
                    twilio: config
                        .twilio_compat
                        .as_ref()
                        .map(|t| crate::webhooks::TwilioSigning {
                            account_sid: t.account_sid.clone(),
                            auth_token: t.auth_token.expose().to_string(),
                        }),
                    max_attempts: config.callbacks.max_attempts,
                    timeout: Duration::from_secs(config.callbacks.timeout_secs),
                    concurrency: config.callbacks.concurrency,
                    per_host: config.callbacks.per_host,
                    policy: config.callbacks.url_policy(),
                    metrics: metrics.clone(),
                    ..crate::webhooks::WebhookSettings::default()
                },
                cancel.child_token(),
            ),
        );
        // Webhook subscriptions: their own worker and budgets, beside the callbacks'.
        let w = &config.webhooks;
        tasks.spawn(
            "webhook subscriptions",
            crate::webhooks::subscriptions::run(
                store.clone(),
                crate::webhooks::subscriptions::SubscriptionSettings {
                    max_age: Duration::from_secs(w.max_age_secs),
                    initial_backoff: Duration::from_millis(w.backoff_initial_ms),
                    max_backoff: Duration::from_millis(w.backoff_max_ms),
                    timeout: Duration::from_secs(config.callbacks.timeout_secs),
                    concurrency: config.callbacks.concurrency,
                    per_host: config.callbacks.per_host,
                    policy: w.url_policy(&config.callbacks),
                    metrics: metrics.clone(),
                    ..Default::default()
                },
                cancel.child_token(),
            ),
        );
        tasks.spawn(
            "modem admin",
            admin::follow(
                config.clone(),
                joined,
                store.clone(),
                modems.clone(),
                restored,
                tasks.clone(),
                cancel.child_token(),
            ),
        );
        tasks.spawn(
            "modem webhooks",
            crate::webhooks::modem_events::run(store.clone(), modems.clone(), cancel.child_token()),
        );

        if let Some(manager) = &manager {
            // Discovery passes probe only when a modem is missing or adoption is on; the
            // loop also watches configured ports' directories, so a modem whose device
            // reappears is retried at once.
            if config.discovery.needed(&config.modems)
                || config
                    .modems
                    .iter()
                    .any(|m| m.enabled && !m.port.starts_with("tcp://"))
            {
                tasks.spawn(
                    "discovery",
                    crate::modem::discovery::watch::run(manager.clone(), cancel.child_token()),
                );
            }
        }

        let replies_store = store.clone();
        let replies_clock = clock.clone();
        let service = Service::new(
            store,
            dispatcher,
            modems.clone(),
            providers,
            ServiceSettings {
                max_segments: config.server.max_segments,
                default_region: config.server.default_region.clone(),
                status_reports: d.status_reports,
                optout_blocks: config.optout.block.clone(),
                routing: config.routing.clone(),
                otp: config.otp.clone(),
                limits: config.limits.clone(),
                otp_keys,
                clock,
                callback_policy: config.callbacks.url_policy(),
                webhook_policy: config.webhooks.url_policy(&config.callbacks),
                custom_id_idempotency: config.server.custom_id_idempotency,
                conversations: config.conversations.clone(),
                stop_keywords: config.optout.stop_keywords.clone(),
                start_keywords: config.optout.start_keywords.clone(),
                auto_reply_rules: config.auto_reply.clone(),
                currency: config.analytics.currency.clone(),
            },
        )
        .with_metrics(metrics)
        .with_cluster(cluster);
        auto_reply::spawn(
            config,
            replies_store,
            &service,
            replies_clock,
            replies_wake,
            &tasks,
            cancel.child_token(),
        );
        tasks.spawn(
            "otp purge",
            purge_otp_sessions(service.clone(), cancel.child_token()),
        );
        tasks.spawn(
            "conversation upkeep",
            conversation_upkeep(service.clone(), cancel.child_token()),
        );
        tasks.spawn(
            "retention",
            retention(service.clone(), config.retention, cancel.child_token()),
        );
        Ok(Daemon {
            service,
            simulator,
            modems,
            manager,
            cancel,
            dispatcher_task,
            reports_task,
            inbox_task,
            inbox_cancel,
            heartbeat,
            tasks,
            http: HttpSettings {
                max_body_bytes: config.server.max_body_bytes,
                request_timeout: Duration::from_millis(config.server.request_timeout_ms),
                cors_origins: config.server.cors_origins.clone(),
                allowed_hosts: config.server.allowed_hosts.clone(),
                api_keys: config.api_keys.clone(),
                twilio_compat: config.twilio_compat.as_ref().map(|t| {
                    http::twilio_compat::TwilioCompatSettings {
                        account_sid: t.account_sid.clone(),
                        auth_token: t.auth_token.expose().to_string(),
                    }
                }),
                provider_callbacks: http::provider_callbacks::CallbackSettings::from_config(
                    &config.providers,
                ),
                metrics_public: config.metrics.public,
                console: config.console.enabled,
            },
            twilio_public_url: config
                .twilio_compat
                .as_ref()
                .and_then(|t| t.public_url.clone()),
            listen: config.server.listen,
            serve_limits: http::ServeLimits {
                header_read_timeout: Duration::from_millis(config.server.header_read_timeout_ms),
                max_connections: config.server.max_connections,
            },
            auth: http::auth::Auth::new(config.api_keys.clone()),
            inbox_keywords,
        })
    }

    /// The manager of the configured modems (none on the simulator): a config reload calls
    /// [`FleetManager::reconcile`] with the new `[[modems]]`.
    pub fn fleet_manager(&self) -> Option<&FleetManager> {
        self.manager.as_ref()
    }

    /// The HTTP router of this daemon.
    pub fn router(&self) -> http::App {
        http::router_with_auth(
            AppState {
                service: self.service.clone(),
            },
            &self.http,
            self.auth.clone(),
        )
    }

    /// Serves HTTP until `shutdown` resolves, then stops everything in order.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), DaemonError> {
        let listener = tokio::net::TcpListener::bind(self.listen)
            .await
            .map_err(|source| DaemonError::Listen {
                addr: self.listen,
                source,
            })?;
        let addr = listener.local_addr().unwrap_or(self.listen);
        info!("HTTP API on http://{addr}");
        if let Some(t) = &self.http.twilio_compat {
            let base = self
                .twilio_public_url
                .clone()
                .unwrap_or(format!("http://{addr}"));
            info!(
                "Twilio-compatible API on {base}/2010-04-01/Accounts/{}/Messages.json",
                t.account_sid
            );
        }
        let app = self.router();
        self.tasks.spawn(
            "systemd notify",
            systemd::run(
                self.service.clone(),
                Duration::from_secs(90),
                self.heartbeat.clone(),
                self.cancel.child_token(),
            ),
        );
        let served = http::serve(listener, app, self.serve_limits, shutdown).await;
        if let Err(e) = served {
            warn!("HTTP server ended with an error: {e}");
        }
        info!("stopping: HTTP closed; letting running sends finish");
        self.stop().await;
        Ok(())
    }

    /// Stops the dispatcher (running sends finish), then the modems.
    pub async fn stop(self) {
        systemd::stopping();
        self.cancel.cancel();
        let _ = self.dispatcher_task.await;
        match &self.manager {
            Some(manager) => manager.stop().await,
            None => self.modems.stop_all().await,
        }
        drop(self.manager);
        drop(self.service);
        self.reports_task.abort();
        // The inbox finishes the message it is storing (bounded); what was not acked stays
        // on the SIM for next time.
        self.inbox_cancel.cancel();
        let mut inbox_task = self.inbox_task;
        if tokio::time::timeout(Duration::from_secs(5), &mut inbox_task)
            .await
            .is_err()
        {
            inbox_task.abort();
        }
        // The rest (webhook worker, OTP purge, systemd notifier, event split) end on the
        // cancel or when the modems' event channel closes; a callback in flight is bounded
        // by its timeout, and is delivered again after a restart if it is cut off here.
        self.tasks.close();
        if tokio::time::timeout(Duration::from_secs(5), self.tasks.wait())
            .await
            .is_err()
        {
            warn!(
                "some background tasks did not end within 5 s of the stop: {}",
                self.tasks.running()
            );
        }
        info!("stopped");
    }
}

/// The simulated network's modems, in process.
fn start_simulated_modems(
    config: &Config,
    events: mpsc::Sender<ModemEvent>,
    metrics: &crate::metrics::Metrics,
) -> (Vec<Arc<ModemRoute>>, SimNetwork) {
    // Messages and status reports: the inbox stores inbound messages (and acks them only
    // once committed), the report consumer the reports.
    let receive = ReceivePolicy::All;
    let sim = &config.simulator;
    let latency = match sim.latency_ms {
        (a, b) if a == b => Latency::Fixed(Duration::from_millis(a)),
        (a, b) => Latency::Range(Duration::from_millis(a), Duration::from_millis(b)),
    };
    let network = SimNetwork::new(NetworkConfig {
        modems: (0..sim.modems)
            .map(|i| SimModemConfig {
                latency,
                ..SimModemConfig::default_for(i)
            })
            .collect(),
        sink: SinkConfig {
            fail_prefixes: sim.fail_prefixes.clone(),
        },
        seed: sim.seed,
    });
    let modems = (0..sim.modems)
        .map(|i| {
            let mut modem_config = ModemConfig::new(format!("{}{i}", config.simulator.name_prefix));
            // A simulated reboot takes a second, not a USB re-enumeration.
            modem_config.reset_wait = Duration::from_secs(2);
            modem_config.receive = receive;
            modem_config.metrics = metrics.clone();
            let net = network.clone();
            let connector = FnConnector(
                format!("simulator modem {i} ({})", network.msisdn(i)),
                move || net.connect(i),
            );
            let modem = Modem::start(modem_config, connector, events.clone());
            Arc::new(ModemRoute::new(
                modem,
                RouteSettings {
                    weight: 1,
                    cost_per_segment: sim.cost_per_segment,
                    ..RouteSettings::default()
                },
            ))
        })
        .collect();
    (modems, network)
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => info!("SIGINT received"),
        () = terminate => info!("SIGTERM received"),
    }
}
