//! One actor per modem: it opens the port, initialises the modem, keeps it healthy and
//! turns what it receives into events; senders use the [`Modem`] handle.
//!
//! The supervisor task loops: connect → initialise → session → recover. A session ends
//! when the port closes or the modem falls silent (a health poll missed even after a
//! resynchronisation, or a send found it broken). Recovery climbs a ladder
//! ([`super::ladder`]): reopen the port; on the second failure in a row also reset the
//! modem with `AT+CFUN=1,1`; then retry with exponential backoff (capped), reporting
//! `down`; after `fail_after` failures in a row, `failed` — out of rotation, one log line,
//! retried only every `failed_retry`. A port that vanished (unplugged) is `down` and
//! retried with backoff, or at once when discovery sees it again ([`Modem::nudge`]). SIM problems
//! (missing, PUK, wrong PIN) are reported as `sim_error` and re-checked only slowly —
//! never by entering the PIN again.
//!
//! Invariants: the state on the `watch` channel is `ready` only while an initialised
//! session runs and the modem is registered; a send is refused unless `ready`; every
//! segment of one message goes out through this modem in order, with no other message's
//! segment in between (a send lock); a hung or unplugged modem never holds a caller
//! forever (every AT command has a deadline).

use super::errors::{classify_send_error, ErrorClass};
use super::init::{self, InitConfig, InitError};
use super::ladder::{Ladder, LadderPolicy, Step};
use super::port::{Link, PortError, PortSpec};
use super::receive::{self, ModemEvent, ReceivePolicy};
use super::status::{ModemState, ModemStatus};
use crate::at::{self, AtClient, AtError, Deadlines, EngineConfig, Param, Urc};
use crate::pdu::EncodedPdu;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use thiserror::Error;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn, Instrument};

/// How often a part after the first is tried again on the same modem when it fails for a
/// reason that may pass, before the message is given back to the dispatcher.
pub const MID_MESSAGE_RETRIES: u32 = 2;

/// The wait before such a retry, times the retry's number minus one: the first goes at
/// once (the refusal came after a whole send's latency; a modem kept waiting is capacity
/// lost), the second after this.
pub const MID_MESSAGE_BACKOFF: Duration = Duration::from_millis(500);

/// The future a [`Connector`] returns.
pub type ConnectFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Box<dyn Link>, PortError>> + Send + 'a>>;

/// Opens the byte stream to a modem: a [`PortSpec`], or anything else (the in-process
/// simulator, a test duplex).
pub trait Connector: Send + Sync + 'static {
    /// Opens a fresh link.
    fn connect(&self) -> ConnectFuture<'_>;
    /// For logs.
    fn describe(&self) -> String;
}

impl Connector for PortSpec {
    fn connect(&self) -> ConnectFuture<'_> {
        Box::pin(self.open(Duration::from_secs(5)))
    }

    fn describe(&self) -> String {
        self.to_string()
    }
}

/// A connector from a closure, e.g. `|| sim.connect(0)`.
pub struct FnConnector<F>(pub String, pub F);

impl<F, L> Connector for FnConnector<F>
where
    F: Fn() -> L + Send + Sync + 'static,
    L: Link,
{
    fn connect(&self) -> ConnectFuture<'_> {
        let link: Box<dyn Link> = Box::new((self.1)());
        Box::pin(async move { Ok(link) })
    }

    fn describe(&self) -> String {
        self.0.clone()
    }
}

/// Settings of one modem.
#[derive(Debug, Clone)]
pub struct ModemConfig {
    /// Name used in logs, metrics and the API.
    pub name: String,
    /// The initialisation sequence's settings (PIN, `+CNMI` variants, storage).
    pub init: InitConfig,
    /// AT deadlines.
    pub deadlines: Deadlines,
    /// How often signal and registration are polled.
    pub health_interval: Duration,
    /// How often stored messages are swept with `+CMGL` (URCs get lost).
    pub sweep_interval: Duration,
    /// First and longest wait between recovery attempts.
    pub backoff: (Duration, Duration),
    /// How long a SIM problem waits before it is looked at again.
    pub sim_recheck: Duration,
    /// Wait after `AT+CFUN=1,1` before reopening the port.
    pub reset_wait: Duration,
    /// Failures in a row after which the modem is `failed` (out of rotation).
    pub fail_after: u32,
    /// How often a `failed` modem is tried again.
    pub failed_retry: Duration,
    /// A session up this long clears the count of failures in a row.
    pub stable_after: Duration,
    /// The IMEI the modem on this port must have (a modem found by discovery): another
    /// modem answering there — the device numbers were shuffled — is not used under this
    /// name ([`Modem::misplaced`]).
    pub expect_imei: Option<String>,
    /// Told when the modem finds itself misplaced (the manager's rescan request).
    pub on_misplaced: Option<Arc<tokio::sync::Notify>>,
    /// What the actor takes off the modem.
    pub receive: ReceivePolicy,
    /// Where `+CMGS` latency and `+CMS ERROR` codes are counted.
    pub metrics: crate::metrics::Metrics,
}

impl ModemConfig {
    /// Defaults for a modem called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            init: InitConfig::default(),
            deadlines: Deadlines::default(),
            health_interval: Duration::from_secs(30),
            sweep_interval: Duration::from_secs(120),
            backoff: (Duration::from_secs(1), Duration::from_secs(60)),
            sim_recheck: Duration::from_secs(300),
            reset_wait: Duration::from_secs(15),
            fail_after: 6,
            failed_retry: Duration::from_secs(600),
            stable_after: Duration::from_secs(120),
            expect_imei: None,
            on_misplaced: None,
            receive: ReceivePolicy::All,
            metrics: crate::metrics::Metrics::default(),
        }
    }
}

/// Why a send failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SendError {
    /// The modem is not ready (initialising, down, SIM problem, not registered).
    #[error("modem {modem} is not ready: {state:?}")]
    NotReady {
        /// Which modem.
        modem: String,
        /// Its state.
        state: ModemState,
    },
    /// The modem refused or the link failed. `sent` holds the TP-MRs of the segments that
    /// did go out before the failure.
    #[error("segment {segment} failed on modem {modem} ({class:?}): {error}")]
    Failed {
        /// Which modem.
        modem: String,
        /// Index of the failed segment.
        segment: usize,
        /// TP-MRs of the segments sent before it.
        sent: Vec<u8>,
        /// What the failure means.
        class: ErrorClass,
        /// The engine's error.
        error: AtError,
    },
}

struct Shared {
    name: Arc<str>,
    client: Mutex<Option<AtClient>>,
    status: watch::Sender<ModemStatus>,
    /// Serialises whole messages, so segments of two messages never interleave.
    send_lock: tokio::sync::Mutex<()>,
    /// A send found the modem broken: the session should recover it.
    broken: tokio::sync::Notify,
    /// The operator reset the modem: the session ends and the port is reopened.
    reset_requested: tokio::sync::Notify,
    /// Its port is back (discovery saw it): stop waiting for it.
    port_back: tokio::sync::Notify,
    /// Another modem (another IMEI) answered on its port.
    misplaced: std::sync::atomic::AtomicBool,
    /// The daemon's metrics.
    metrics: crate::metrics::Metrics,
    /// Signal samples and counters for `GET /api/modems/{name}`.
    history: super::history::History,
    /// The USSD exchange and session (see `ussd.rs`).
    ussd: super::ussd::UssdState,
}

impl Shared {
    fn set_state(&self, state: ModemState) {
        self.status.send_if_modified(|s| {
            if s.state == state {
                return false;
            }
            info!(modem = %self.name, ?state, "state");
            s.state = state;
            true
        });
    }

    fn client(&self) -> Option<AtClient> {
        self.client.lock().ok().and_then(|c| c.clone())
    }

    fn set_client(&self, client: Option<AtClient>) {
        if let Ok(mut c) = self.client.lock() {
            *c = client;
        }
    }
}

/// The handle to a running modem actor.
pub struct Modem {
    shared: Arc<Shared>,
    cancel: CancellationToken,
    task: tokio::sync::Mutex<Option<JoinHandle<()>>>,
}

impl Modem {
    /// Starts the actor; received messages and reports go to `events`.
    pub fn start(
        config: ModemConfig,
        connector: impl Connector,
        events: mpsc::Sender<ModemEvent>,
    ) -> Self {
        let name: Arc<str> = Arc::from(config.name.as_str());
        let (status, _) = watch::channel(ModemStatus {
            name: config.name.clone(),
            state: ModemState::Initialising,
            identity: Default::default(),
            smsc: None,
            network: Default::default(),
            cnmi: None,
            last_message_ref: None,
        });
        let shared = Arc::new(Shared {
            name: name.clone(),
            client: Mutex::new(None),
            status,
            send_lock: tokio::sync::Mutex::new(()),
            broken: tokio::sync::Notify::new(),
            reset_requested: tokio::sync::Notify::new(),
            port_back: tokio::sync::Notify::new(),
            misplaced: std::sync::atomic::AtomicBool::new(false),
            metrics: config.metrics.clone(),
            history: super::history::History::default(),
            ussd: super::ussd::UssdState::default(),
        });
        let cancel = CancellationToken::new();
        let supervisor = Supervisor {
            config,
            connector: Box::new(connector),
            shared: shared.clone(),
            events,
            cancel: cancel.clone(),
        };
        let span = tracing::info_span!("modem", modem = %name);
        let task = tokio::spawn(supervisor.run().instrument(span));
        Self {
            shared,
            cancel,
            task: tokio::sync::Mutex::new(Some(task)),
        }
    }

    /// Its port may be there again (discovery saw the path appear): a modem waiting for a
    /// missing port tries now instead of at the end of its backoff. Does nothing otherwise.
    pub fn nudge(&self) {
        self.shared.port_back.notify_one();
    }

    /// Whether another modem than the expected one (`expect_imei`) answered on its port:
    /// the fleet's manager then stops it and looks for the right one elsewhere.
    pub fn misplaced(&self) -> bool {
        self.shared
            .misplaced
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// The modem's name.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// The current status.
    pub fn status(&self) -> ModemStatus {
        self.shared.status.borrow().clone()
    }

    /// A receiver that sees every status change.
    pub fn watch(&self) -> watch::Receiver<ModemStatus> {
        self.shared.status.subscribe()
    }

    /// Waits until the modem leaves `initialising` (ready or not), bounded by `limit`.
    pub async fn settled(&self, limit: Duration) -> ModemState {
        let mut rx = self.watch();
        let wait = async {
            let _ = rx.wait_for(|s| s.state != ModemState::Initialising).await;
        };
        let _ = tokio::time::timeout(limit, wait).await;
        self.status().state
    }

    /// Sends the segments of one message, in order, and returns their TP-MRs.
    pub async fn send_segments(&self, pdus: &[EncodedPdu]) -> Result<Vec<u8>, SendError> {
        let _whole_message = self.shared.send_lock.lock().await;
        let mut refs = Vec::with_capacity(pdus.len());
        for (segment, pdu) in pdus.iter().enumerate() {
            let mut tries = 0;
            let mr = loop {
                let state = self.shared.status.borrow().state.clone();
                let client = match (state.accepts_traffic(), self.shared.client()) {
                    (true, Some(client)) => client,
                    _ if segment == 0 => {
                        return Err(SendError::NotReady {
                            modem: self.shared.name.to_string(),
                            state,
                        })
                    }
                    // The modem went away mid-message: report which segments made it.
                    _ => {
                        return Err(SendError::Failed {
                            modem: self.shared.name.to_string(),
                            segment,
                            sent: refs,
                            class: ErrorClass::RetryElsewhere,
                            error: AtError::Closed,
                        })
                    }
                };
                let command = format!("AT+CMGS={}", pdu.tpdu_length);
                let started = std::time::Instant::now();
                let answer = client.command_with_body(&command, &pdu.hex).await;
                let cms = match &answer {
                    Err(AtError::Cms(code)) => Some(code.number()),
                    _ => None,
                };
                if let Err(e) = &answer {
                    let code = match e {
                        AtError::Cms(code) => Some(code.to_string()),
                        _ => None,
                    };
                    self.shared.history.count_failure(
                        crate::message::now_millis(),
                        e.to_string(),
                        code,
                    );
                }
                self.shared
                    .metrics
                    .modem_cmgs(&self.shared.name, started.elapsed(), cms);
                match answer {
                    Ok(response) => {
                        self.shared.history.count_sent(crate::message::now_millis());
                        let mr = response
                            .info("+CMGS")
                            .and_then(|p| p.first().and_then(Param::int))
                            .and_then(|mr| u8::try_from(mr).ok());
                        // A modem that answers OK without `+CMGS: <mr>` sent it but gives us
                        // no reference to match a report with; 0 stands in and the report is
                        // lost.
                        break mr.unwrap_or_else(|| {
                            warn!(modem = %self.shared.name, "+CMGS answered without a message reference");
                            0
                        });
                    }
                    Err(error) => {
                        let class = classify_send_error(&error);
                        // A later part refused for a reason that may pass (congestion, network
                        // out of order, unknown): the parts before it are with the network
                        // already, under this modem's number and this concatenation
                        // reference. Sent again elsewhere, they would reach the handset twice,
                        // from two numbers, as a fragment beside the whole text. So this part
                        // is tried again here (at once, then a moment later) before giving up.
                        let temporary =
                            matches!(class, ErrorClass::RetryHere | ErrorClass::RetryElsewhere);
                        if segment > 0 && temporary && tries < MID_MESSAGE_RETRIES {
                            tries += 1;
                            warn!(modem = %self.shared.name, segment, ?class, %error, tries, "a part failed mid-message; trying it again on this modem");
                            tokio::time::sleep(MID_MESSAGE_BACKOFF.saturating_mul(tries - 1)).await;
                            continue;
                        }
                        warn!(modem = %self.shared.name, segment, ?class, %error, "send failed");
                        if class == ErrorClass::RouteBroken {
                            self.shared.broken.notify_one();
                        }
                        return Err(SendError::Failed {
                            modem: self.shared.name.to_string(),
                            segment,
                            sent: refs,
                            class,
                            error,
                        });
                    }
                }
            };
            self.shared
                .status
                .send_modify(|s| s.last_message_ref = Some(mr));
            refs.push(mr);
        }
        Ok(refs)
    }

    /// Signal samples and counters.
    pub fn history(&self) -> &super::history::History {
        &self.shared.history
    }

    /// Whether a USSD exchange runs or a USSD session is open.
    pub fn ussd_busy(&self) -> bool {
        self.shared.ussd.busy()
    }

    /// Sends a USSD code (or a session's reply) and waits for the network's answer.
    pub async fn ussd(
        &self,
        request: &super::ussd::UssdRequest,
    ) -> Result<super::ussd::UssdAnswer, super::ussd::UssdError> {
        super::ussd::check_code(&request.code)?;
        let ready = self.shared.status.borrow().state.accepts_traffic();
        let client = match (ready, self.shared.client()) {
            (true, Some(client)) => client,
            _ => {
                return Err(super::ussd::UssdError::NotReady(
                    self.shared.name.to_string(),
                ))
            }
        };
        self.shared
            .ussd
            .run(&client, &self.shared.name, request)
            .await
    }

    /// Resets the modem now (`AT+CFUN=1,1`): the session ends and the supervisor opens the
    /// port again after `reset_wait` and initialises. False when no session runs.
    pub async fn reset(&self) -> bool {
        let Some(client) = self.shared.client() else {
            return false;
        };
        // Not between two segments of a message.
        let _whole_message = self.shared.send_lock.lock().await;
        let _ = client.resync().await;
        match client.command_in("AT+CFUN=1,1", at::Class::Slow).await {
            Ok(_) => {
                warn!(modem = %self.shared.name, "modem reset by the operator (AT+CFUN=1,1)");
                // Not ready from now on, before the send lock is released: no message
                // may go to a rebooting modem.
                self.shared.set_state(ModemState::Initialising);
                self.shared.reset_requested.notify_one();
                true
            }
            Err(e) => {
                warn!(modem = %self.shared.name, "AT+CFUN=1,1 failed: {e}");
                false
            }
        }
    }

    /// Runs a raw AT command (diagnostics: `smsgate modem at`).
    pub async fn raw(&self, command: &str) -> Result<at::Response, AtError> {
        let client = self.shared.client().ok_or(AtError::Closed)?;
        client.command_in(command, at::Class::Slow).await
    }

    /// Stops the actor: lets a running send finish (its deadline bounds it), closes the port.
    pub async fn shutdown(self) {
        self.stop().await;
    }

    /// Like [`Modem::shutdown`], through a shared reference (the daemon holds modems in `Arc`s).
    pub async fn stop(&self) {
        // The send in flight finishes first (its AT deadlines bound it), and while the lock
        // is held no other starts: a modem taken out of the fleet mid-send does not cut
        // its message off.
        let _no_more_sends = self.shared.send_lock.lock().await;
        self.cancel.cancel();
        self.shared.set_client(None);
        if let Some(task) = self.task.lock().await.take() {
            let _ = task.await;
        }
    }
}

/// Whether opening failed because the device is not there (unplugged): `ENOENT`, `ENODEV`,
/// `ENXIO`.
fn port_missing(error: &PortError) -> bool {
    match error {
        PortError::Open { source, .. } => {
            source.kind() == std::io::ErrorKind::NotFound
                || matches!(source.raw_os_error(), Some(2 | 6 | 19))
        }
        PortError::Invalid { .. } => false,
    }
}

struct Supervisor {
    config: ModemConfig,
    connector: Box<dyn Connector>,
    shared: Arc<Shared>,
    events: mpsc::Sender<ModemEvent>,
    cancel: CancellationToken,
}

/// How a session ended.
enum SessionEnd {
    Cancelled,
    /// The port closed or failed.
    LinkLost(String),
    /// The modem stopped answering.
    Silent(String),
    /// The modem rebooted by itself (`RDY`…): initialise again on the same port.
    Restarted,
}

impl Supervisor {
    async fn run(self) {
        let policy = LadderPolicy {
            backoff: self.config.backoff,
            fail_after: self.config.fail_after,
            failed_retry: self.config.failed_retry,
            stable_after: self.config.stable_after,
        };
        let mut ladder = Ladder::default();
        let mut reset_next = false;
        // Once the SIM has refused the configured PIN it is never entered again by this
        // actor: every retry would burn one of the SIM's attempts and end in PUK. Re-checks
        // still look, in case a person unlocked or replaced the SIM.
        let mut init_config = self.config.init.clone();
        while !self.cancel.is_cancelled() {
            // A failed modem stays `failed` while it is tried again, until it is ready.
            if !ladder.is_failed() {
                self.shared.set_state(ModemState::Initialising);
            }
            let link = match self.connector.connect().await {
                Ok(link) => link,
                Err(e) => {
                    let missing = port_missing(&e);
                    let step = ladder.open_failed(missing, &policy);
                    if !self.climb(step, &ladder, e.to_string(), missing).await {
                        break;
                    }
                    continue;
                }
            };
            let engine_config = EngineConfig {
                name: self.config.name.clone(),
                deadlines: self.config.deadlines,
                ..EngineConfig::default()
            };
            let (client, urcs, engine) = at::spawn(link, engine_config);
            if reset_next {
                reset_next = false;
                if self.reset(&client).await {
                    drop(client);
                    engine.abort();
                    continue;
                }
            }
            let started = tokio::time::Instant::now();
            let end = match init::initialise(&client, &init_config).await {
                Ok(found) if self.wrong_modem(found.identity.imei.as_deref()) => {
                    SessionEnd::LinkLost(format!(
                        "another modem (IMEI {}) answers on this port",
                        found.identity.imei.as_deref().unwrap_or("?")
                    ))
                }
                Ok(found) => {
                    self.shared.status.send_modify(|s| {
                        s.identity = found.identity.clone();
                        s.smsc = found.smsc.clone();
                        s.cnmi = found.cnmi.clone();
                    });
                    self.shared.set_client(Some(client.clone()));
                    let end = self.session(&client, urcs, found.needs_ack).await;
                    self.shared.set_client(None);
                    end
                }
                Err(e) if e.needs_person() => {
                    warn!(error = %e, "SIM needs attention");
                    let state = if e == InitError::WrongPin
                        || (e == InitError::PinRequired
                            && init_config.pin.is_none()
                            && self.config.init.pin.is_some())
                    {
                        init_config.pin = None;
                        ModemState::SimError(InitError::WrongPin.to_string())
                    } else {
                        ModemState::SimError(e.to_string())
                    };
                    self.shared.set_state(state);
                    drop(client);
                    engine.abort();
                    if !self.pause(self.config.sim_recheck).await {
                        break;
                    }
                    continue;
                }
                Err(InitError::NoAnswer) => SessionEnd::Silent("no answer to AT".to_string()),
                Err(e) => SessionEnd::LinkLost(e.to_string()),
            };
            drop(client);
            engine.abort();
            match end {
                SessionEnd::Cancelled => break,
                SessionEnd::Restarted => {
                    info!("modem restarted by itself; initialising again");
                    continue;
                }
                SessionEnd::LinkLost(why) | SessionEnd::Silent(why) => {
                    let step = ladder.session_failed(started.elapsed(), &policy);
                    warn!(failures = ladder.failures(), "session ended: {why}");
                    // Second failure in a row: a reopened port was not enough.
                    reset_next = step == Step::Reset;
                    if !self.climb(step, &ladder, why, false).await {
                        break;
                    }
                }
            }
        }
        self.shared
            .set_state(ModemState::Down("stopped".to_string()));
    }

    /// Takes a step of the ladder: publishes the state and waits. False when cancelled.
    /// `port_missing`: the wait ends early when discovery sees the port again.
    async fn climb(&self, step: Step, ladder: &Ladder, why: String, port_missing: bool) -> bool {
        match step {
            Step::Retry(wait) => {
                self.shared.set_state(ModemState::Down(why));
                if port_missing {
                    self.pause_or_port_back(wait).await
                } else {
                    self.pause(wait).await
                }
            }
            Step::Reset => {
                self.shared.set_state(ModemState::Down(why));
                let (first, _) = self.config.backoff;
                self.pause(first.saturating_mul(2)).await
            }
            Step::Failed { first, retry } => {
                let reason = format!(
                    "{} failures in a row (reopen, AT+CFUN=1,1 and backoff did not help), the last: {why}; tried again every {} s",
                    ladder.failures(),
                    retry.as_secs()
                );
                if first {
                    tracing::error!(modem = %self.shared.name, "modem taken out of rotation: {reason}");
                }
                self.shared.set_state(ModemState::Failed(reason));
                self.pause(retry).await
            }
        }
    }

    /// Whether the modem that answered is not the one expected here (and says so once).
    fn wrong_modem(&self, imei: Option<&str>) -> bool {
        let wrong = match (self.config.expect_imei.as_deref(), imei) {
            (Some(want), Some(got)) => want != got,
            _ => false,
        };
        if wrong
            && !self
                .shared
                .misplaced
                .swap(true, std::sync::atomic::Ordering::AcqRel)
        {
            warn!(expected = ?self.config.expect_imei, found = ?imei, "another modem answers on this port");
            if let Some(tell) = &self.config.on_misplaced {
                tell.notify_one();
            }
        }
        wrong
    }

    /// Like [`Self::pause`], ended early by [`Modem::nudge`].
    async fn pause_or_port_back(&self, wait: Duration) -> bool {
        tokio::select! {
            () = self.cancel.cancelled() => false,
            () = tokio::time::sleep(wait) => true,
            () = self.shared.port_back.notified() => true,
        }
    }

    /// Sleeps unless cancelled; false when cancelled.
    async fn pause(&self, wait: Duration) -> bool {
        tokio::select! {
            () = self.cancel.cancelled() => false,
            () = tokio::time::sleep(wait) => true,
        }
    }

    /// `AT+CFUN=1,1`: a full modem reset. True when it was accepted (the caller reopens
    /// the port after `reset_wait`, as USB modems re-enumerate).
    async fn reset(&self, client: &AtClient) -> bool {
        let _ = client.resync().await;
        match client.command_in("AT+CFUN=1,1", at::Class::Slow).await {
            Ok(_) => {
                warn!("modem reset with AT+CFUN=1,1");
                self.pause(self.config.reset_wait).await;
                true
            }
            Err(e) => {
                warn!("AT+CFUN=1,1 failed: {e}");
                false
            }
        }
    }

    async fn session(
        &self,
        client: &AtClient,
        mut urcs: mpsc::Receiver<Urc>,
        needs_ack: bool,
    ) -> SessionEnd {
        let name = self.shared.name.clone();
        let policy = self.config.receive;
        // Health first: the modem is usable for sending while the sweep hands stored
        // messages to a consumer that may take its time.
        if let Err(end) = self.check_health(client).await {
            return end;
        }
        if let Err(e) = receive::sweep(client, &name, policy, &self.events).await {
            warn!("initial +CMGL sweep failed: {e}");
        }
        let mut health = tokio::time::interval(self.config.health_interval);
        let mut sweep = tokio::time::interval(self.config.sweep_interval);
        health.reset();
        sweep.reset();
        loop {
            tokio::select! {
                () = self.cancel.cancelled() => return SessionEnd::Cancelled,
                () = self.shared.reset_requested.notified() => {
                    self.shared.set_state(ModemState::Initialising);
                    if !self.pause(self.config.reset_wait).await {
                        return SessionEnd::Cancelled;
                    }
                    return SessionEnd::Restarted;
                }
                () = self.shared.broken.notified() => {
                    if let Err(end) = self.check_health(client).await {
                        return end;
                    }
                    // It answers again; what it announced while it did not answer
                    // (a `+CMTI`, a `+CDSI`) was lost with its silence: look now, not at the
                    // next periodic sweep.
                    match receive::sweep(client, &name, policy, &self.events).await {
                        Ok(0) => {}
                        Ok(n) => info!(count = n, "after a recovery, a sweep found messages the URCs did not announce"),
                        Err(e) => warn!("+CMGL sweep after a recovery failed: {e}"),
                    }
                }
                urc = urcs.recv() => {
                    let Some(urc) = urc else { return SessionEnd::LinkLost("port closed".to_string()) };
                    if let Some(end) = self.on_urc(client, urc, needs_ack).await {
                        return end;
                    }
                }
                _ = health.tick() => {
                    if let Err(end) = self.check_health(client).await {
                        return end;
                    }
                }
                _ = sweep.tick() => {
                    match receive::sweep(client, &name, policy, &self.events).await {
                        Ok(0) => {}
                        Ok(n) => info!(count = n, "sweep found messages the URCs did not announce"),
                        Err(e) => warn!("+CMGL sweep failed: {e}"),
                    }
                }
            }
        }
    }

    /// Polls signal and registration; a silent modem gets one resynchronisation first.
    async fn check_health(&self, client: &AtClient) -> Result<(), SessionEnd> {
        let network = match init::poll_network(client).await {
            Ok(n) => n,
            Err(AtError::Closed | AtError::Io(_)) => {
                return Err(SessionEnd::LinkLost("port closed".to_string()))
            }
            Err(first) => {
                warn!("health poll failed ({first}); resynchronising");
                let _ = client.resync().await;
                match init::poll_network(client).await {
                    Ok(n) => n,
                    Err(e) => {
                        return Err(SessionEnd::Silent(format!("health poll failed twice: {e}")))
                    }
                }
            }
        };
        self.shared.history.sample_signal(
            crate::message::now_millis(),
            network.rssi,
            network.signal_dbm,
        );
        let registered = network.registration.is_some_and(|r| r.can_send());
        self.shared
            .status
            .send_modify(|s| s.network = network.clone());
        self.shared.set_state(if registered {
            ModemState::Ready
        } else {
            ModemState::Degraded(format!("not registered ({:?})", network.registration))
        });
        Ok(())
    }

    async fn on_urc(&self, client: &AtClient, urc: Urc, needs_ack: bool) -> Option<SessionEnd> {
        let name = &self.shared.name;
        match urc {
            Urc::Ussd(cusd) => {
                if !self.shared.ussd.deliver(cusd) {
                    info!("a USSD message nobody waited for (network-initiated, or too late)");
                }
            }
            Urc::MessageStored { index, .. } | Urc::StatusReportStored { index, .. } => {
                self.shared.history.count_received();
                if let Err(e) =
                    receive::take_stored(client, name, index, self.config.receive, &self.events)
                        .await
                {
                    warn!(index, "reading a stored message failed: {e}");
                }
            }
            Urc::Message { pdu, .. } | Urc::StatusReport { pdu, .. } => {
                self.shared.history.count_received();
                let (ack, acked) = receive::Ack::pair();
                let event = receive::event_for(name, &pdu, ack);
                if !self.config.receive.takes(&event) {
                    // Not acknowledged: with phase 2+ the network delivers it again later.
                    warn!("a routed message arrived while not receiving; not acknowledged");
                    return None;
                }
                // Acknowledge to the network only what the consumer recorded; an undecodable
                // PDU is handed over raw and recorded too, so it is acknowledged as well
                // (unacknowledged, the network would deliver the same bad PDU again and
                // again). What was not recorded is left to the network to deliver again.
                let recorded = receive::hand_over(&self.events, event, acked).await;
                if needs_ack && recorded {
                    if let Err(e) = client.command("AT+CNMA").await {
                        warn!("+CNMA failed (the network may deliver again): {e}");
                    }
                }
            }
            Urc::Registration { stat, .. } => {
                let registration = crate::modem::status::Registration::from_stat(stat);
                self.shared
                    .status
                    .send_modify(|s| s.network.registration = Some(registration));
                self.shared.set_state(if registration.can_send() {
                    ModemState::Ready
                } else {
                    ModemState::Degraded(format!("not registered ({registration:?})"))
                });
            }
            Urc::Signal { rssi } => self.shared.status.send_modify(|s| {
                s.network.rssi = Some(rssi).filter(|&r| r != 99);
                s.network.signal_dbm = crate::modem::status::csq_to_dbm(rssi);
            }),
            Urc::Restarted => return Some(SessionEnd::Restarted),
            Urc::SimState(state) if !state.eq_ignore_ascii_case("READY") => {
                return Some(SessionEnd::LinkLost(format!("SIM state changed: {state}")))
            }
            Urc::SimState(_) => {}
            Urc::Other(line) => tracing::debug!(%line, "unhandled unsolicited line"),
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_port_that_is_not_there_is_missing_not_failing() {
        let gone = PortSpec::parse("/dev/smsgate-test-no-such-port").unwrap();
        let error = match gone.open(Duration::from_secs(1)).await {
            Err(e) => e,
            Ok(_) => panic!("opened a port that does not exist"),
        };
        assert!(port_missing(&error), "{error}");
        let not_a_tty = PortSpec::parse("/dev/null").unwrap();
        if let Err(e) = not_a_tty.open(Duration::from_secs(1)).await {
            assert!(!port_missing(&e), "{e}");
        }
    }
}
