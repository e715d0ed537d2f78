//! Live reload (`SIGHUP`, `POST /api/admin/reload`): re-read the config file the daemon was
//! started with, refuse it whole if it is invalid (with `smsgate check-config`'s text), else
//! apply what can change live and say what needs a restart.
//!
//! Live: `[[api_keys]]` (unless the API switches between open and keyed — the listener's
//! host rule depends on it), `[routing]` (service and dispatcher), `[limits]`, `[otp]`
//! limits, `[optout]` (what it blocks, and the keywords of the modem inbox and of provider
//! inbound), the URL
//! policies of `[callbacks]` and `[webhooks]`, `[conversations]`, `[analytics] currency`,
//! and `[server] max_segments / default_region / custom_id_idempotency`. Everything else is
//! reported under `needs_restart` and not applied. `[[modems]]` go to
//! [`ModemSet::apply_modems`], which has the fleet's manager reconcile them.
//!
//! Holds no business rule beyond the classification. Invariants: reloads run one at a
//! time; a refused reload changes nothing; queued and in-flight messages are never touched
//! (only the settings that place and admit new work are swapped, each as a whole snapshot).

use super::systemd;
use super::Daemon;
use crate::config::{Config, ConfigError, ModemEntry};
use crate::http::auth::Auth;
use crate::service::{
    ModemChanges, ReloadError, ReloadReport, Reloader, Service, ServiceSettings, SIGNAL_ACTOR,
};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

/// The text `smsgate check-config` prints for `e` (after its `error: ` prefix).
pub fn check_config_text(e: &ConfigError) -> String {
    format!("config: {e}")
}

/// The modems the daemon runs, by their config entries, and what a reload asks of them.
pub struct ModemSet {
    running: tokio::sync::Mutex<Vec<ModemEntry>>,
    /// The fleet's manager (none on the simulator, whose modems come from `[simulator]`).
    manager: Option<crate::modem::FleetManager>,
}

impl ModemSet {
    /// The entries the daemon started with, and the manager that runs them.
    pub fn new(running: Vec<ModemEntry>, manager: Option<crate::modem::FleetManager>) -> Self {
        Self {
            running: tokio::sync::Mutex::new(running),
            manager,
        }
    }

    /// Compares `desired` with the running modems — which were added, removed or changed
    /// (by name) — and has the fleet's manager apply it: new modems start, removed ones
    /// stop after their send in flight, changed ones restart with their new settings
    /// (queued messages wait or go by the other routes meanwhile). On the simulator there
    /// is nothing to apply: the note says so.
    pub async fn apply_modems(&self, desired: &[ModemEntry]) -> (ModemChanges, Option<String>) {
        let mut running = self.running.lock().await;
        let changes = modem_changes(&running, desired);
        if changes.is_empty() {
            return (changes, None);
        }
        let Some(manager) = &self.manager else {
            let note = "[[modems]] is not used while the daemon runs on the simulator: a restart is needed";
            warn!(added = ?changes.added, removed = ?changes.removed, changed = ?changes.changed, "{note}");
            return (changes, Some(note.to_string()));
        };
        let report = manager.reconcile(desired).await;
        info!(
            added = ?report.added,
            removed = ?report.removed,
            restarted = ?report.restarted,
            waiting = ?report.waiting,
            "modems reconciled with the reloaded configuration"
        );
        *running = desired.to_vec();
        (changes, None)
    }
}

/// Modems in `desired` and not in `running` (added), the reverse (removed), and in both
/// with other settings (changed), by name.
pub fn modem_changes(running: &[ModemEntry], desired: &[ModemEntry]) -> ModemChanges {
    let find = |list: &[ModemEntry], name: &str| list.iter().find(|m| m.name == name).cloned();
    let mut changes = ModemChanges::default();
    for m in desired {
        match find(running, &m.name) {
            None => changes.added.push(m.name.clone()),
            Some(old) if old != *m => changes.changed.push(m.name.clone()),
            Some(_) => {}
        }
    }
    for m in running {
        if find(desired, &m.name).is_none() {
            changes.removed.push(m.name.clone());
        }
    }
    changes
}

/// What a new config asks for, against the config in force (`current`) and the one the
/// daemon started with (`boot`: the restart-only parts still come from it).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Live sections that differ from `current` (applied).
    pub live: Vec<String>,
    /// Whether the API keys are to be replaced.
    pub api_keys: bool,
    /// Whether `[routing]` is to be replaced in the dispatcher.
    pub routing: bool,
    /// Sections that differ from `boot` and need a restart.
    pub needs_restart: Vec<String>,
}

/// The restart-only part of `[server]` (the live fields set to `boot`'s).
fn server_rest(server: &crate::config::ServerConfig, boot: &Config) -> crate::config::ServerConfig {
    let mut s = server.clone();
    s.max_segments = boot.server.max_segments;
    s.default_region = boot.server.default_region.clone();
    s.custom_id_idempotency = boot.server.custom_id_idempotency;
    s
}

/// Classifies the differences (see the module comment).
pub fn plan(boot: &Config, current: &Config, new: &Config) -> Plan {
    let mut p = Plan::default();
    let mut live = |name: &str, differs: bool| {
        if differs {
            p.live.push(name.to_string());
        }
        differs
    };
    // An open API listens on loopback and answers loopback names only: a key set that
    // appears or disappears changes that rule, which is fixed at start.
    let same_openness = boot.api_keys.is_empty() == new.api_keys.is_empty();
    let keys = same_openness && live("api_keys", current.api_keys != new.api_keys);
    let routing = live("routing", current.routing != new.routing);
    live("limits", current.limits != new.limits);
    live("otp", current.otp != new.otp);
    live("optout", current.optout != new.optout);
    live("conversations", current.conversations != new.conversations);
    live("callbacks", current.callbacks != new.callbacks);
    live("webhooks", current.webhooks != new.webhooks);
    live(
        "analytics.currency",
        current.analytics.currency != new.analytics.currency,
    );
    let s = (&current.server, &new.server);
    live("server.max_segments", s.0.max_segments != s.1.max_segments);
    live(
        "server.default_region",
        s.0.default_region != s.1.default_region,
    );
    live(
        "server.custom_id_idempotency",
        s.0.custom_id_idempotency != s.1.custom_id_idempotency,
    );
    p.api_keys = keys;
    p.routing = routing;

    let mut restart = |name: &str, differs: bool| {
        if differs {
            p.needs_restart.push(name.to_string());
        }
    };
    restart("api_keys (open ↔ keyed API)", !same_openness);
    restart("server.listen", boot.server.listen != new.server.listen);
    let mut rest = server_rest(&new.server, boot);
    rest.listen = boot.server.listen;
    restart("server", rest != boot.server);
    restart("storage", boot.storage != new.storage);
    restart("simulator", boot.simulator != new.simulator);
    restart("discovery", boot.discovery != new.discovery);
    restart("dispatch", boot.dispatch != new.dispatch);
    restart("providers", boot.providers != new.providers);
    restart("twilio_compat", boot.twilio_compat != new.twilio_compat);
    restart("log", boot.log != new.log);
    restart("retention", boot.retention != new.retention);
    restart("metrics", boot.metrics != new.metrics);
    restart("inbox", boot.inbox != new.inbox);
    restart("keywords", boot.keywords != new.keywords);
    restart("auto_reply", boot.auto_reply != new.auto_reply);
    restart("auto_replies", boot.auto_replies != new.auto_replies);
    restart("ai", boot.ai != new.ai);
    // Parts of live sections whose workers took their settings at start.
    restart(
        "otp.secret",
        boot.otp.secret != new.otp.secret || boot.otp.secret_file != new.otp.secret_file,
    );
    let delivery = |c: &crate::config::CallbacksConfig| {
        (c.timeout_secs, c.max_attempts, c.concurrency, c.per_host)
    };
    restart(
        "callbacks delivery (timeout, attempts, concurrency)",
        delivery(&boot.callbacks) != delivery(&new.callbacks),
    );
    let retries = |w: &crate::config::WebhooksConfig| {
        (w.max_age_secs, w.backoff_initial_ms, w.backoff_max_ms)
    };
    restart(
        "webhooks delivery (max age, backoff)",
        retries(&boot.webhooks) != retries(&new.webhooks),
    );
    p
}

/// The live part of the service settings, from `config`.
fn apply_live(s: &mut ServiceSettings, c: &Config) {
    s.max_segments = c.server.max_segments;
    s.default_region = c.server.default_region.clone();
    s.custom_id_idempotency = c.server.custom_id_idempotency;
    s.optout_blocks = c.optout.block.clone();
    s.stop_keywords = c.optout.stop_keywords.clone();
    s.start_keywords = c.optout.start_keywords.clone();
    s.routing = c.routing.clone();
    s.otp = c.otp.clone();
    s.limits = c.limits.clone();
    s.callback_policy = c.callbacks.url_policy();
    s.webhook_policy = c.webhooks.url_policy(&c.callbacks);
    s.conversations = c.conversations.clone();
    s.currency = c.analytics.currency.clone();
}

/// The daemon's [`Reloader`].
pub struct ConfigReloader {
    path: Option<PathBuf>,
    boot: Config,
    current: tokio::sync::Mutex<Config>,
    service: Service,
    auth: Auth,
    inbox_keywords: crate::inbound::inbox::InboxKeywords,
    modems: ModemSet,
}

impl ConfigReloader {
    async fn run(&self) -> Result<ReloadReport, ReloadError> {
        let mut current = self.current.lock().await;
        systemd::reloading();
        let outcome = self.apply(&mut current).await;
        systemd::reloaded();
        outcome
    }

    async fn apply(&self, current: &mut Config) -> Result<ReloadReport, ReloadError> {
        let path = self.path.clone();
        let loaded = tokio::task::spawn_blocking(move || Config::load(path.as_deref()))
            .await
            .map_err(|e| ReloadError::Refused(format!("config: reading the file failed: {e}")))?;
        let new = loaded.map_err(|e| ReloadError::Refused(check_config_text(&e)))?;
        let plan = plan(&self.boot, current, &new);
        if plan.api_keys {
            self.auth.replace(new.api_keys.clone());
        }
        self.service
            .replace_settings(|settings| apply_live(settings, &new));
        if plan.routing {
            self.service.replace_routing(&new.routing);
        }
        if current.optout != new.optout {
            self.inbox_keywords
                .replace(&new.optout.stop_keywords, &new.optout.start_keywords);
        }
        let (modems, modems_note) = if self.boot.uses_simulator() == new.uses_simulator() {
            self.modems.apply_modems(&new.modems).await
        } else {
            (
                modem_changes(&current.modems, &new.modems),
                Some("switching between the simulator and real modems needs a restart".to_string()),
            )
        };
        *current = new;
        Ok(ReloadReport {
            changed: plan.live,
            needs_restart: plan.needs_restart,
            modems,
            modems_note,
        })
    }
}

impl Reloader for ConfigReloader {
    fn reload(
        &self,
    ) -> Pin<Box<dyn Future<Output = Result<ReloadReport, ReloadError>> + Send + '_>> {
        Box::pin(self.run())
    }
}

/// Logs what a reload did (the SIGHUP path has no one to answer).
fn log_outcome(outcome: &Result<ReloadReport, ReloadError>) {
    match outcome {
        Ok(report) => {
            info!(
                changed = ?report.changed,
                modems = ?report.modems,
                "configuration reloaded"
            );
            if !report.needs_restart.is_empty() {
                warn!(
                    sections = ?report.needs_restart,
                    "these settings changed but need a restart; not applied"
                );
            }
        }
        Err(e) => error!("reload refused, the previous configuration stays in force: {e}"),
    }
}

/// Reloads on every SIGHUP until `cancel`.
async fn on_sighup(
    service: Service,
    mut hangups: tokio::signal::unix::Signal,
    cancel: CancellationToken,
) {
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            got = hangups.recv() => if got.is_none() { return },
        }
        info!("SIGHUP received: reloading the configuration");
        log_outcome(&service.reload(SIGNAL_ACTOR).await);
    }
}

impl Daemon {
    /// Makes the daemon reloadable from `path` (none: the defaults, as at start), through
    /// `POST /api/admin/reload` and SIGHUP; `config` is what it was started with. Call
    /// inside the runtime, before serving: from here on SIGHUP reloads instead of ending
    /// the process.
    pub fn enable_reload(&self, path: Option<PathBuf>, config: &Config) {
        let reloader = ConfigReloader {
            path,
            boot: config.clone(),
            current: tokio::sync::Mutex::new(config.clone()),
            service: self.service.clone(),
            auth: self.auth.clone(),
            inbox_keywords: self.inbox_keywords.clone(),
            modems: ModemSet::new(config.modems.clone(), self.manager.clone()),
        };
        self.service.set_reloader(Arc::new(reloader));
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            Ok(hangups) => {
                self.tasks.spawn(
                    "reload",
                    on_sighup(self.service.clone(), hangups, self.cancel.child_token()),
                );
            }
            Err(e) => warn!("cannot listen for SIGHUP ({e}); reload through the API only"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Config {
        Config::from_toml(text, &|_| None).unwrap()
    }

    const KEY_A: &str = "[[api_keys]]\nname = \"a\"\nsha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"\nscopes = [\"admin\"]\n";
    const KEY_B: &str = "[[api_keys]]\nname = \"b\"\nsha256 = \"1111111111111111111111111111111111111111111111111111111111111111\"\nscopes = [\"send\"]\n";

    #[test]
    fn live_sections_are_applied_and_the_rest_needs_a_restart() {
        let boot = parse(KEY_A);
        let new = parse(&format!(
            "[server]\nlisten = \"127.0.0.1:9999\"\nmax_segments = 3\n[limits]\nper_minute = 5\n{KEY_A}{KEY_B}"
        ));
        let p = plan(&boot, &boot, &new);
        assert!(p.api_keys);
        assert!(!p.routing);
        assert_eq!(p.live, ["api_keys", "limits", "server.max_segments"]);
        assert_eq!(p.needs_restart, ["server.listen"]);
    }

    #[test]
    fn nothing_changed_is_an_empty_plan() {
        let boot = parse(KEY_A);
        assert_eq!(plan(&boot, &boot, &boot.clone()), Plan::default());
    }

    #[test]
    fn an_open_api_cannot_become_keyed_live() {
        let boot = parse("");
        let p = plan(&boot, &boot, &parse(KEY_A));
        assert!(!p.api_keys);
        assert_eq!(p.needs_restart, ["api_keys (open ↔ keyed API)"]);
    }

    #[test]
    fn modems_are_compared_by_name() {
        let modems = |text: &str| parse(text).modems;
        let old = modems(
            "[[modems]]\nname = \"m0\"\nport = \"/dev/ttyUSB0\"\n[[modems]]\nname = \"m1\"\nport = \"/dev/ttyUSB1\"\n",
        );
        let new = modems(
            "[[modems]]\nname = \"m1\"\nport = \"/dev/ttyUSB9\"\n[[modems]]\nname = \"m2\"\nport = \"/dev/ttyUSB2\"\n",
        );
        let c = modem_changes(&old, &new);
        assert_eq!(c.added, ["m2"]);
        assert_eq!(c.removed, ["m0"]);
        assert_eq!(c.changed, ["m1"]);
        assert!(modem_changes(&new, &new).is_empty());
    }
}
