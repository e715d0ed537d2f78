//! Discovery and the fleet's manager: which modems run, on which ports.
//!
//! [`FleetManager`] owns the desired `[[modems]]` entries and starts, restarts and removes
//! modem actors in the shared [`Fleet`]:
//! - [`FleetManager::reconcile`] takes the desired entries (start-up, and a config reload
//!   later): entries with a `port` start on it; entries gone are removed (their in-flight
//!   send finishes first); changed entries are restarted; entries named only by identity
//!   wait for discovery.
//! - [`FleetManager::scan`] is one discovery pass: list the `[discovery] ports` globs
//!   ([`glob`]), skip ports a running modem uses and anything that is not a character
//!   device, probe the rest ([`probe`]), match what answers to entries by identity
//!   ([`matching`]) and start it — or, with `adopt_unknown`, adopt it under a default name.
//!   A modem named by identity whose port has vanished is *lost*: when its IMEI answers on
//!   another port it is restarted there, under the same name.
//! - [`watch::run`] runs passes on file-system events (inotify through `notify`, debounced)
//!   and on a slow rescan timer; never a busy poll.
//!
//! Passes never probe when nothing is missing (no entry waits for its modem, no modem is
//! lost, nothing is adopted), so a working appliance writes to no foreign port. Never
//! imports SQLite, HTTP or the dispatcher.

pub mod glob;
pub mod matching;
pub mod probe;
pub mod watch;

use super::driver::{Modem, ModemConfig};
use super::fleet::Fleet;
use super::port::{FlowControl, PortSpec};
use super::receive::{ModemEvent, ReceivePolicy};
use super::route::{Limits, ModemRoute, RouteSettings};
use crate::config::{DiscoveryConfig, ModemEntry};
use crate::route::Route;
use matching::Probed;
use probe::ProbeOutcome;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Mutex, Notify};
use tracing::{debug, info, warn};

/// A modem the manager started.
#[derive(Debug, Clone)]
struct Running {
    /// The entry it runs with (an adopted modem's is made up).
    entry: ModemEntry,
    /// The port it was started on (the entry's, or where discovery found it).
    port: String,
    /// Found by discovery (by identity, or adopted) rather than by a configured port.
    discovered: bool,
    /// Adopted: no entry names it.
    adopted: bool,
    /// Its IMEI, when discovery read one.
    imei: Option<String>,
}

impl Running {
    /// A discovered modem whose device path is gone: it may come back elsewhere.
    fn lost(&self) -> bool {
        self.discovered && glob::canonical(std::path::Path::new(&self.port)).is_none()
    }
}

#[derive(Default)]
struct State {
    /// The enabled entries wanted now.
    desired: Vec<ModemEntry>,
    /// By name.
    running: HashMap<String, Running>,
}

/// What [`FleetManager::reconcile`] changed, by modem name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Started on their configured port.
    pub added: Vec<String>,
    /// Stopped and taken out of the fleet.
    pub removed: Vec<String>,
    /// Stopped and started again with their new settings.
    pub restarted: Vec<String>,
    /// Named by identity and not running yet: discovery looks for them.
    pub waiting: Vec<String>,
}

struct Inner {
    fleet: Fleet,
    /// Where the modems it starts send their events; taken by [`FleetManager::stop`], so the
    /// daemon's event consumers end although a clone of the manager (a reload handler's)
    /// outlives the stop.
    events: std::sync::Mutex<Option<mpsc::Sender<ModemEvent>>>,
    metrics: crate::metrics::Metrics,
    discovery: DiscoveryConfig,
    state: Mutex<State>,
    /// Asks the discovery loop for a pass now.
    rescan: Arc<Notify>,
    /// Set by [`FleetManager::stop`]: nothing starts any more.
    stopped: std::sync::atomic::AtomicBool,
    /// Completes a route before it joins the fleet (the daemon attaches its quota).
    prepare: std::sync::OnceLock<RouteHook>,
}

/// Completes a modem's route from its entry before anyone else holds it.
pub type RouteHook = Arc<dyn Fn(&ModemEntry, ModemRoute) -> ModemRoute + Send + Sync>;

/// Starts, restarts and removes modems in the fleet (cheap to clone).
#[derive(Clone)]
pub struct FleetManager(Arc<Inner>);

impl FleetManager {
    /// A manager of `fleet`; modems it starts send their events to `events`.
    pub fn new(
        fleet: Fleet,
        events: mpsc::Sender<ModemEvent>,
        metrics: crate::metrics::Metrics,
        discovery: DiscoveryConfig,
    ) -> Self {
        Self(Arc::new(Inner {
            fleet,
            events: std::sync::Mutex::new(Some(events)),
            metrics,
            discovery,
            state: Mutex::new(State::default()),
            rescan: Arc::new(Notify::new()),
            stopped: std::sync::atomic::AtomicBool::new(false),
            prepare: std::sync::OnceLock::new(),
        }))
    }

    /// Sets what completes each route before it joins the fleet (once, before the first
    /// reconcile; a second call is ignored).
    pub fn set_route_hook(&self, hook: RouteHook) {
        let _ = self.0.prepare.set(hook);
    }

    /// The fleet it manages.
    pub fn fleet(&self) -> &Fleet {
        &self.0.fleet
    }

    /// The `[discovery]` settings.
    pub fn discovery(&self) -> &DiscoveryConfig {
        &self.0.discovery
    }

    /// What the discovery loop watches: the globs' directories when discovery is needed,
    /// and the directories of the configured serial ports (a modem configured by port is
    /// nudged when its device appears again).
    pub async fn watch_dirs(&self) -> Vec<PathBuf> {
        let state = self.0.state.lock().await;
        let globs = if self.0.discovery.needed(&state.desired) {
            glob::parent_dirs(&self.0.discovery.ports)
        } else {
            Vec::new()
        };
        let mut dirs: Vec<PathBuf> = state
            .desired
            .iter()
            .filter(|e| !e.port.is_empty() && !e.port.starts_with("tcp://"))
            .filter_map(|e| std::path::Path::new(&e.port).parent().map(PathBuf::from))
            .chain(globs)
            .collect();
        dirs.sort();
        dirs.dedup();
        dirs
    }

    /// Asks the discovery loop for a pass soon.
    pub fn request_scan(&self) {
        self.0.rescan.notify_one();
    }

    /// Brings the fleet to `desired` (disabled entries count as absent): adds new entries,
    /// removes missing ones (their in-flight send finishes first), restarts changed ones.
    /// Entries with a port start at once; entries named only by identity are left to
    /// discovery (a pass is requested). Adopted modems are kept unless an entry now names
    /// them. Safe to call again with the same entries: nothing changes.
    pub async fn reconcile(&self, desired: &[ModemEntry]) -> ReconcileReport {
        let enabled: Vec<ModemEntry> = desired.iter().filter(|e| e.enabled).cloned().collect();
        let mut report = ReconcileReport::default();
        let mut state = self.0.state.lock().await;
        if self.is_stopped() {
            return report;
        }
        let names: Vec<String> = state.running.keys().cloned().collect();
        for name in names {
            let Some(running) = state.running.get(&name).cloned() else {
                continue;
            };
            let wanted = enabled.iter().find(|e| e.name == name);
            let keep = match wanted {
                None => running.adopted,
                Some(entry) => !running.adopted && *entry == running.entry,
            };
            if keep {
                continue;
            }
            self.0.fleet.remove(&name).await;
            state.running.remove(&name);
            info!(modem = %name, "modem removed from the fleet");
            if wanted.is_some() && !running.adopted {
                report.restarted.push(name);
            } else {
                report.removed.push(name);
            }
        }
        for entry in &enabled {
            if state.running.contains_key(&entry.name) {
                continue;
            }
            if entry.port.is_empty() {
                report.waiting.push(entry.name.clone());
                continue;
            }
            match self.start(entry, &entry.port, false, None) {
                Ok(running) => {
                    state.running.insert(entry.name.clone(), running);
                    if !report.restarted.contains(&entry.name) {
                        report.added.push(entry.name.clone());
                    }
                }
                Err(why) => warn!(modem = %entry.name, "cannot start: {why}"),
            }
        }
        report
            .restarted
            .retain(|n| state.running.contains_key(n) || report.waiting.contains(n));
        state.desired = enabled;
        let discover = self.0.discovery.needed(&state.desired);
        drop(state);
        if discover {
            self.request_scan();
        }
        report
    }

    /// Starts a modem actor for `entry` on `port` and adds it to the fleet.
    fn start(
        &self,
        entry: &ModemEntry,
        port: &str,
        discovered: bool,
        imei: Option<String>,
    ) -> Result<Running, String> {
        let spec = if port.starts_with("tcp://") {
            PortSpec::parse(port).map_err(|e| e.to_string())?
        } else {
            PortSpec::Serial {
                path: port.to_string(),
                baud: entry.baud,
                flow: FlowControl::None,
            }
        };
        let mut config = ModemConfig::new(entry.name.clone());
        config.receive = ReceivePolicy::All;
        config.metrics = self.0.metrics.clone();
        // A modem found by its identity (or configured with a port and an IMEI) must be
        // that modem whenever its port reopens.
        config.expect_imei = if discovered {
            imei.clone()
        } else {
            entry.imei.clone()
        };
        config.on_misplaced = Some(self.0.rescan.clone());
        config.init.pin = entry.pin.as_ref().map(|p| p.expose().to_string());
        if let Some(cnmi) = &entry.cnmi {
            config.init.cnmi = cnmi.clone();
        }
        let events = match self.0.events.lock() {
            Ok(events) => events.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
        .ok_or_else(|| "the fleet manager has stopped".to_string())?;
        info!(modem = %entry.name, port = %spec, "starting modem");
        let modem = Modem::start(config, spec, events);
        let mut route = ModemRoute::new(modem, route_settings(entry));
        if let Some(prepare) = self.0.prepare.get() {
            route = prepare(entry, route);
        }
        let route = Arc::new(route);
        self.0
            .metrics
            .prepare(&[(route.name().to_string(), crate::metrics::RouteKind::Modem)]);
        if let Err(e) = self.0.fleet.add(route.clone()) {
            // Not in the fleet: stop the actor in the background (it holds the port).
            tokio::spawn(async move { route.modem().stop().await });
            return Err(e.to_string());
        }
        Ok(Running {
            entry: entry.clone(),
            port: port.to_string(),
            discovered,
            adopted: false,
            imei,
        })
    }

    /// One discovery pass (see the module documentation). Returns the names started.
    pub async fn scan(&self) -> Vec<String> {
        let mut state = self.0.state.lock().await;
        if self.is_stopped() {
            return Vec::new();
        }
        let d = &self.0.discovery;
        // A discovered modem whose port now holds another modem (device numbers shuffled)
        // is stopped: its port is free to probe, and it is looked for like a new one.
        let misplaced: Vec<String> = state
            .running
            .iter()
            .filter(|(name, r)| {
                r.discovered
                    && self
                        .0
                        .fleet
                        .get(name)
                        .is_some_and(|m| m.modem().misplaced())
            })
            .map(|(name, _)| name.clone())
            .collect();
        for name in misplaced {
            info!(modem = %name, "another modem is at this modem's port; looking for it elsewhere");
            self.0.fleet.remove(&name).await;
            state.running.remove(&name);
        }
        // Modems waiting for a port that is there again try now (a stick back at the same
        // path); this writes nothing to any port by itself.
        for (name, r) in &state.running {
            if r.port.starts_with("tcp://")
                || glob::canonical(std::path::Path::new(&r.port)).is_none()
            {
                continue;
            }
            if let Some(m) = self.0.fleet.get(name) {
                if !m.modem().status().state.accepts_traffic() {
                    m.modem().nudge();
                }
            }
        }
        let lost: Vec<String> = state
            .running
            .iter()
            .filter(|(_, r)| r.lost())
            .map(|(n, _)| n.clone())
            .collect();
        let waiting: Vec<ModemEntry> = state
            .desired
            .iter()
            .filter(|e| {
                e.port.is_empty()
                    && (!state.running.contains_key(&e.name) || lost.contains(&e.name))
            })
            .cloned()
            .collect();
        if waiting.is_empty() && lost.is_empty() && !d.adopt_unknown {
            return Vec::new();
        }
        // Ports in use by a modem that is not lost, by their real path.
        let in_use: HashSet<PathBuf> = state
            .running
            .values()
            .filter_map(|r| glob::canonical(std::path::Path::new(&r.port)))
            .collect();
        // IMEIs of modems running (not lost): a second interface of the same stick, or the
        // same stick at a second path, is not started twice.
        let mut taken: HashSet<String> = state
            .running
            .values()
            .filter(|r| !r.lost())
            .filter_map(|r| r.imei.clone())
            .collect();
        // And what the modems themselves reported once initialised (a modem started on a
        // configured port has no probe behind it).
        for (name, r) in &state.running {
            if r.lost() {
                continue;
            }
            if let Some(imei) = self
                .0
                .fleet
                .get(name)
                .and_then(|m| m.modem().status().identity.imei)
            {
                taken.insert(imei);
            }
        }
        let timeout = Duration::from_millis(d.probe_timeout_ms);
        let mut started = Vec::new();
        for path in glob::candidates(&d.ports) {
            let real = glob::canonical(&path).unwrap_or_else(|| path.clone());
            if in_use.contains(&real) {
                continue;
            }
            if !glob::is_char_device(&path) {
                debug!(port = %path.display(), "not a character device; skipped");
                continue;
            }
            let found = match probe::probe_path(&path, timeout).await {
                ProbeOutcome::Modem(found) => found,
                ProbeOutcome::NoSms(_) => {
                    debug!(port = %path.display(), "answers AT but not SMS; skipped");
                    continue;
                }
                ProbeOutcome::NotAt(why) => {
                    debug!(port = %path.display(), "not an AT port ({why}); skipped");
                    continue;
                }
            };
            if let Some(imei) = &found.imei {
                if !taken.insert(imei.clone()) {
                    debug!(port = %path.display(), "another interface of a modem already in use; skipped");
                    continue;
                }
            }
            let port = path.display().to_string();
            let (entry, adopted) = match matching::find(&state.desired, &found) {
                Some(entry) => (entry.clone(), false),
                None if d.adopt_unknown => match self.adoptable(&state, &found) {
                    Some(entry) => (entry, true),
                    None => continue,
                },
                None => {
                    debug!(port = %port, imei = ?found.imei, "a modem no entry names; not adopted");
                    continue;
                }
            };
            if let Some(old) = state.running.get(&entry.name) {
                if !old.lost() {
                    continue;
                }
                info!(modem = %entry.name, from = %old.port, to = %port, "modem came back at another port");
                self.0.fleet.remove(&entry.name).await;
                state.running.remove(&entry.name);
            }
            match self.start(&entry, &port, true, found.imei.clone()) {
                Ok(mut running) => {
                    running.adopted = adopted;
                    info!(modem = %entry.name, port = %port, adopted, "modem found");
                    state.running.insert(entry.name.clone(), running);
                    started.push(entry.name.clone());
                }
                Err(why) => warn!(modem = %entry.name, "cannot start: {why}"),
            }
        }
        started
    }

    /// The entry an unconfigured modem joins with: defaults, named after its identity;
    /// the same name again when it is an adopted modem that came back.
    fn adoptable(&self, state: &State, found: &Probed) -> Option<ModemEntry> {
        let name = matching::adopted_name(found)?;
        if state.desired.iter().any(|e| e.name == name) {
            return None;
        }
        match state.running.get(&name) {
            Some(r) if !r.adopted => None,
            _ => {
                let mut entry = ModemEntry::new(name, "");
                entry.imei = found.imei.clone();
                Some(entry)
            }
        }
    }

    fn is_stopped(&self) -> bool {
        self.0.stopped.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Stops every modem (daemon shutdown); later passes and reconciles do nothing.
    pub async fn stop(&self) {
        let mut state = self.0.state.lock().await;
        self.0
            .stopped
            .store(true, std::sync::atomic::Ordering::Release);
        state.running.clear();
        self.0.fleet.stop_all().await;
        match self.0.events.lock() {
            Ok(mut events) => events.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
    }
}

/// The balancing settings of an entry.
fn route_settings(entry: &ModemEntry) -> RouteSettings {
    RouteSettings {
        limits: Limits {
            per_minute: entry.per_minute,
            per_hour: entry.per_hour,
            per_day: entry.per_day,
        },
        weight: entry.weight,
        cost_per_segment: entry.cost_per_segment,
        prefixes: entry.prefixes.clone(),
    }
}
