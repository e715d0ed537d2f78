//! The simulated modem network: many modems with their own MSISDNs that answer AT commands
//! like real USB GSM modems (TS 27.005 / 27.007, PDU and text mode), deliver messages to
//! each other, send status reports, and show latency and faults on demand. Served
//! in-process ([`SimNetwork::connect`]), on TCP and on pseudo-terminals; `smsgate simulate`
//! runs it as a process with a small HTTP control API ([`control`]).
//!
//! Layer 1: uses `pdu/` for every PDU and nothing above; never imports `at/`, `modem/` or
//! any higher layer (the client-side AT engine is tested *against* this, so it must not
//! share code with it).
//!
//! Map: [`config`] (what a network is made of), `modem` (one modem's state and what it does
//! with delivered messages), `commands` / `sms` (the AT commands), `parse` (command-line
//! syntax), `codes` (result codes and framing), `session` (one open port: framing, echo,
//! timers), `storage` (SM and ME slots), `text_mode` (`+CMGF=1` forms), `network` (routing,
//! status reports, sink, log), `serve`
//! (duplex, TCP, pty), [`control`] (HTTP).
//!
//! Invariants: bad input from a host never panics the simulator; every delay uses
//! `tokio::time` and every random choice a seeded `StdRng`, so tests run under paused time
//! and repeat exactly; channels are bounded; a message handed to a modem is never lost
//! silently (stored, held, shown, or counted as dropped).

mod clock;
mod codes;
mod commands;
pub mod config;
pub mod control;
mod modem;
mod network;
mod parse;
pub mod plug;
mod reply;
mod serve;
mod session;
mod sms;
mod storage;
mod text_mode;
pub mod ussd;

pub use config::{
    Faults, InboundEncoding, InboundOptions, Latency, NetworkConfig, SimModemConfig, SinkConfig,
    Stall,
};
pub use modem::Counters;
pub use network::{LogKind, LogRecord, SinkMessage, SinkOutcome, SINK_CAPACITY};
pub use serve::PtyGuard;

use modem::ModemState;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::sync::broadcast;

/// Errors of the simulator's API.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// There is no modem with this index.
    #[error("no simulated modem {modem} (the network has {count})")]
    NoSuchModem {
        /// The index asked for.
        modem: usize,
        /// How many modems there are.
        count: usize,
    },
    /// A parameter was refused.
    #[error("invalid {field}: {why}")]
    InvalidParameter {
        /// Which parameter.
        field: &'static str,
        /// Why the value is refused.
        why: String,
    },
    /// A port was opened outside a tokio runtime.
    #[error("the simulator needs a tokio runtime")]
    NoRuntime,
}

/// Capacity of the log broadcast channel (slow subscribers see `Lagged`).
const LOG_CAPACITY: usize = 1024;

pub(crate) struct Inner {
    modems: Vec<Mutex<ModemState>>,
    msisdns: Vec<String>,
    sink_config: SinkConfig,
    sink: Mutex<VecDeque<SinkMessage>>,
    log: broadcast::Sender<LogRecord>,
    next_reference: AtomicU16,
}

impl Inner {
    pub(crate) fn modem(&self, modem: usize) -> Result<MutexGuard<'_, ModemState>, SimError> {
        self.modems
            .get(modem)
            .map(|m| m.lock().unwrap_or_else(PoisonError::into_inner))
            .ok_or(SimError::NoSuchModem {
                modem,
                count: self.modems.len(),
            })
    }

    pub(crate) fn check(&self, modem: usize) -> Result<(), SimError> {
        self.modem(modem).map(drop)
    }

    pub(crate) fn lock_sink(&self) -> MutexGuard<'_, VecDeque<SinkMessage>> {
        self.sink.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn next_reference(&self) -> u16 {
        self.next_reference.fetch_add(1, Ordering::Relaxed)
    }
}

/// The simulated network. Cheap to clone (an `Arc` inside); every method takes `&self`.
#[derive(Clone)]
pub struct SimNetwork {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SimNetwork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimNetwork")
            .field("msisdns", &self.inner.msisdns)
            .finish_non_exhaustive()
    }
}

impl SimNetwork {
    /// A network of the configured modems.
    pub fn new(config: NetworkConfig) -> Self {
        let msisdns = config.modems.iter().map(|m| m.msisdn.clone()).collect();
        let modems = config
            .modems
            .into_iter()
            .enumerate()
            .map(|(i, m)| Mutex::new(ModemState::new(i, m, config.seed)))
            .collect();
        let (log, _) = broadcast::channel(LOG_CAPACITY);
        Self {
            inner: Arc::new(Inner {
                modems,
                msisdns,
                sink_config: config.sink,
                sink: Mutex::new(VecDeque::new()),
                log,
                next_reference: AtomicU16::new(1),
            }),
        }
    }

    /// `n` modems with default settings.
    pub fn with_modems(n: usize) -> Self {
        Self::new(NetworkConfig::with_modems(n))
    }

    /// Number of modems.
    pub fn modem_count(&self) -> usize {
        self.inner.modems.len()
    }

    /// The MSISDN of `modem` (empty for an unknown index).
    pub fn msisdn(&self, modem: usize) -> String {
        self.inner.msisdns.get(modem).cloned().unwrap_or_default()
    }

    /// The modem's IMEI, IMSI and ICCID (stable for the seed, distinct between modems);
    /// `None` for an unknown index.
    pub fn identity(&self, modem: usize) -> Option<(String, String, String)> {
        let state = self.inner.modem(modem).ok()?;
        let id = &state.identity;
        Some((id.imei.clone(), id.imsi.clone(), id.iccid.clone()))
    }

    /// Opens the modem's port in-process: a new session (echo on, default settings) that
    /// replaces any previous one and clears a hang; stored messages survive. Needs a tokio
    /// runtime; for an unknown modem the stream is closed at once.
    pub fn connect(&self, modem: usize) -> tokio::io::DuplexStream {
        serve::connect(&self.inner, modem)
    }

    /// Serves `modem` on `listener`: each accepted connection is a new session.
    pub async fn serve_tcp(
        &self,
        modem: usize,
        listener: tokio::net::TcpListener,
    ) -> std::io::Result<()> {
        serve::serve_tcp(self.inner.clone(), modem, listener).await
    }

    /// Serves `modem` on a pseudo-terminal; `link` becomes a symlink to its slave tty.
    /// The session lasts as long as the guard (reopening the tty does not reset it).
    pub fn serve_pty(&self, modem: usize, link: &std::path::Path) -> std::io::Result<PtyGuard> {
        serve::serve_pty(&self.inner, modem, link)
    }

    /// Replaces the modem's faults (and restarts the hang count and the noise timer).
    pub fn set_faults(&self, modem: usize, faults: Faults) {
        if let Ok(mut state) = self.inner.modem(modem) {
            // A new or changed stall is armed afresh, counting submits from now; one
            // cleared or changed ends any silence it had started.
            if state.config.faults.stall != faults.stall {
                state.stall_done = false;
                state.stall_base = state.counters.segments_sent;
                state.stalled_until = None;
            }
            state.config.faults = faults;
            state.session_commands = 0;
            state.hung = false;
            state.schedule_noise();
            state.wake();
        }
    }

    /// The modem's current faults.
    pub fn faults(&self, modem: usize) -> Option<Faults> {
        self.inner
            .modem(modem)
            .ok()
            .map(|s| s.config.faults.clone())
    }

    /// Replaces the modem's USSD settings (answer coding, balance).
    pub fn set_ussd(&self, modem: usize, ussd: ussd::UssdConfig) {
        if let Ok(mut state) = self.inner.modem(modem) {
            state.config.ussd = ussd;
        }
    }

    /// Replaces the modem's `+CMGS` latency.
    pub fn set_latency(&self, modem: usize, latency: Latency) {
        if let Ok(mut state) = self.inner.modem(modem) {
            state.config.latency = latency;
        }
    }

    /// Sets the registration status (`+CREG` stat) and emits the URCs the session's
    /// `+CREG`/`+CGREG`/`+CEREG` modes ask for.
    pub fn set_registration(&self, modem: usize, stat: u8) {
        if let Ok(mut state) = self.inner.modem(modem) {
            let before = state.reg_stat();
            state.registration = stat;
            commands::registration_changed(&mut state, before);
        }
    }

    /// Emits `\r\n{line}\r\n` now.
    pub fn inject_urc(&self, modem: usize, line: &str) {
        if let Ok(mut state) = self.inner.modem(modem) {
            state.emit_line(line);
        }
    }

    /// The network delivers `text` from `from` (multipart when long); returns the number
    /// of segments.
    pub fn inject_inbound(
        &self,
        modem: usize,
        from: &str,
        text: &str,
        opts: InboundOptions,
    ) -> Result<usize, SimError> {
        network::inject_inbound(&self.inner, modem, from, text, opts)
    }

    /// The network delivers a raw TPDU as it is (a status report if its TP-MTI says so).
    pub fn inject_inbound_tpdu(&self, modem: usize, tpdu: Vec<u8>) -> Result<(), SimError> {
        network::inject_tpdu(&self.inner, modem, tpdu)
    }

    /// Segments sent to numbers that are not simulated modems, oldest first.
    pub fn sink(&self) -> Vec<SinkMessage> {
        self.inner.lock_sink().iter().cloned().collect()
    }

    /// The modem's counters (default for an unknown index).
    pub fn counters(&self, modem: usize) -> Counters {
        self.inner
            .modem(modem)
            .map(|mut s| {
                s.refresh_gauges();
                s.counters.clone()
            })
            .unwrap_or_default()
    }

    /// One record per segment crossing the network.
    pub fn subscribe_log(&self) -> broadcast::Receiver<LogRecord> {
        self.inner.log.subscribe()
    }
}
