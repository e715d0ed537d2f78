//! Live reload as the front ends see it: `Service::reload` runs the daemon's [`Reloader`]
//! (registered once at start; the daemon owns the config file and the parts above this
//! layer, such as the API keys), audits the attempt, and answers what changed. The live
//! settings themselves are a snapshot (`Arc<ServiceSettings>`) every call reads afresh;
//! `replace_settings` swaps it whole, so a request sees either the old or the new settings,
//! never a mix.
//!
//! Never imports axum, SQL or AT. Invariant: a refused reload changes nothing; queued and
//! in-flight messages are never touched by a reload (only the settings that place new work).

use super::{Guards, Service, ServiceSettings};
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use thiserror::Error;

/// Modems a reload found added, removed or changed (by name), for the fleet to apply.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ModemChanges {
    /// In the new file only.
    pub added: Vec<String>,
    /// In the old file only.
    pub removed: Vec<String>,
    /// In both, with different settings.
    pub changed: Vec<String>,
}

impl ModemChanges {
    /// Nothing to do.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// What a reload did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReloadReport {
    /// Config sections applied live (`api_keys`, `routing`, `limits`…).
    pub changed: Vec<String>,
    /// Sections that differ from the running daemon's but only take effect after a
    /// restart (`server.listen`, `storage`…): not applied.
    pub needs_restart: Vec<String>,
    /// Modems added, removed or changed.
    pub modems: ModemChanges,
    /// What happened to the modem changes (applied, or why not).
    pub modems_note: Option<String>,
}

/// Why a reload did not happen.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReloadError {
    /// The new config is invalid: the same text `smsgate check-config` prints (without
    /// its `error: ` prefix). The old config stays in force.
    #[error("{0}")]
    Refused(String),
    /// This daemon cannot reload (no reloader registered: a test or embedded service).
    #[error("reload is not available in this process")]
    Unavailable,
}

/// The daemon's part of a reload: re-read the file, apply what can change live.
pub trait Reloader: Send + Sync {
    /// Re-reads the config file and applies it; reloads never run concurrently.
    fn reload(
        &self,
    ) -> Pin<Box<dyn Future<Output = Result<ReloadReport, ReloadError>> + Send + '_>>;
}

/// What the reload and audit paths share between clones of the service.
#[derive(Default)]
pub(crate) struct Ops {
    reloader: OnceLock<Arc<dyn Reloader>>,
}

impl Service {
    /// Registers the daemon's reloader (the first registration wins).
    pub fn set_reloader(&self, reloader: Arc<dyn Reloader>) {
        if self.ops.reloader.set(reloader).is_err() {
            tracing::warn!("a reloader was already registered; keeping the first");
        }
    }

    /// Re-reads the config and applies it (`POST /api/admin/reload`, `SIGHUP`); `actor` is
    /// the API key's name (`signal` for SIGHUP). Audited either way.
    pub async fn reload(&self, actor: &str) -> Result<ReloadReport, ReloadError> {
        let Some(reloader) = self.ops.reloader.get().cloned() else {
            return Err(ReloadError::Unavailable);
        };
        let outcome = reloader.reload().await;
        let detail = match &outcome {
            Ok(report) => serde_json::json!({
                "ok": true,
                "changed": report.changed,
                "needs_restart": report.needs_restart,
                "modems": report.modems,
            }),
            Err(e) => serde_json::json!({"ok": false, "error": e.to_string()}),
        };
        self.audit_quietly(actor, "config.reload", "config", detail)
            .await;
        outcome
    }

    /// Replaces the live settings with `f` applied to a copy of the current ones; the rate
    /// limiters are rebuilt (their counts start afresh) only if `[limits]` or `[otp]` changed.
    pub fn replace_settings(&self, f: impl FnOnce(&mut ServiceSettings)) {
        let current = self.settings();
        let mut next = (*current).clone();
        f(&mut next);
        if next.limits != current.limits || next.otp != current.otp {
            let guards = Arc::new(Guards::new(&next.otp, &next.limits));
            match self.guards.write() {
                Ok(mut g) => *g = guards,
                Err(poisoned) => *poisoned.into_inner() = guards,
            }
        }
        let next = Arc::new(next);
        match self.settings.write() {
            Ok(mut s) => *s = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
    }

    /// Replaces the dispatcher's routing policy (`[routing]`), from its next round on.
    pub fn replace_routing(&self, routing: &crate::config::RoutingConfig) {
        self.dispatcher
            .set_routing(crate::dispatch::RoutingPolicy::from_config(routing));
    }
}
