//! Wiring of modem administration (issue 13): each modem route gets its quota (on the
//! service's clock) and USSD timeout from its settings before it joins the fleet; when a
//! route joins (at start, from discovery, hot-plug or a reload), its stored operator flag
//! and quota use are restored and its quota persister and balance check start; when it
//! leaves, they stop. Settings come from `[[modems]]`, or on the simulator from
//! `[simulator.modem_settings.<name>]`.

use super::tasks::Tasks;
use crate::config::{Config, ModemAdminConfig, ModemEntry};
use crate::modem::discovery::RouteHook;
use crate::modem::quota::{Quota, QuotaConfig};
use crate::modem::{Fleet, ModemRoute};
use crate::modem_admin::{persist_quota, run_balance, BalanceCheck};
use crate::service::Clock;
use crate::store::Store;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::warn;

/// The admin settings each configured modem last joined the fleet with, by name: written
/// by [`route_hook`] as the route is made (at start, from discovery or a reload), read by
/// [`follow`] when the route joins, so a reloaded entry's balance check runs with its new
/// settings.
#[derive(Clone, Default)]
pub(super) struct JoinSettings(Arc<std::sync::Mutex<HashMap<String, ModemAdminConfig>>>);

impl JoinSettings {
    fn set(&self, name: &str, s: ModemAdminConfig) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(name.to_string(), s);
        }
    }

    fn get(&self, name: &str) -> Option<ModemAdminConfig> {
        self.0.lock().ok().and_then(|map| map.get(name).cloned())
    }
}

/// The admin settings of the modem called `name` in the start configuration (the
/// simulated modems' come from `[simulator.modem_settings]`).
fn settings(config: &Config, name: &str) -> ModemAdminConfig {
    config
        .modems
        .iter()
        .find(|m| m.name == name)
        .map(|m| m.admin())
        .or_else(|| config.simulator.modem_settings.get(name).cloned())
        .unwrap_or_default()
}

/// Gives `route` its quota and USSD timeout from `s`.
fn prepare(s: &ModemAdminConfig, route: ModemRoute, clock: &Clock) -> ModemRoute {
    route
        .admin()
        .set_ussd_timeout(Duration::from_secs(s.ussd_timeout_secs));
    if s.quota_per_day.is_none() && s.quota_per_month.is_none() {
        return route;
    }
    let clock = clock.clone();
    let quota = Quota::new(
        QuotaConfig {
            per_day: s.quota_per_day,
            per_month: s.quota_per_month,
            reset_hour: s.quota_reset_hour,
            reset_day: s.quota_reset_day,
        },
        Arc::new(move || clock.now()),
    );
    route.with_quota(quota)
}

/// The hook the fleet manager runs on each configured modem's route before it joins; it
/// records the entry's settings in `joined`.
pub(super) fn route_hook(clock: &Clock, joined: JoinSettings) -> RouteHook {
    let clock = clock.clone();
    Arc::new(move |entry: &ModemEntry, route: ModemRoute| {
        let s = entry.admin();
        joined.set(&entry.name, s.clone());
        prepare(&s, route, &clock)
    })
}

/// Gives each simulated route its quota and USSD timeout.
pub(super) fn apply(
    config: &Config,
    routes: Vec<Arc<ModemRoute>>,
    clock: &Clock,
) -> Vec<Arc<ModemRoute>> {
    routes
        .into_iter()
        .map(|route| {
            // Nothing else holds the route yet: the daemon has just started it.
            match Arc::try_unwrap(route) {
                Ok(route) => {
                    let s = settings(config, route.modem().name());
                    Arc::new(prepare(&s, route, clock))
                }
                Err(route) => {
                    warn!(modem = %route.modem().name(), "quota not applied: the route is shared already");
                    route
                }
            }
        })
        .collect()
}

/// Follows the fleet until `cancel`: each route that joins gets its stored flag and quota
/// use back (but those of `restored`, which the daemon restored before starting), then its
/// quota persister and balance check; a route that leaves has them stopped. A joining
/// modem needs seconds to initialise, so the restore lands before it can take traffic.
pub(super) async fn follow(
    config: Config,
    joined: JoinSettings,
    store: Store,
    fleet: Fleet,
    restored: Arc<Vec<Arc<ModemRoute>>>,
    tasks: Tasks,
    cancel: CancellationToken,
) {
    let mut changes = fleet.subscribe();
    // Per route (by identity of the `Arc`): the token that stops its tasks.
    let mut running: HashMap<usize, (Arc<ModemRoute>, CancellationToken)> = HashMap::new();
    loop {
        let now = fleet.snapshot();
        let present: Vec<usize> = now.iter().map(|r| Arc::as_ptr(r) as usize).collect();
        running.retain(|key, (_, token)| {
            let keep = present.contains(key);
            if !keep {
                token.cancel();
            }
            keep
        });
        for route in now.iter() {
            let key = Arc::as_ptr(route) as usize;
            if running.contains_key(&key) {
                continue;
            }
            // Restoring twice would overwrite use counted since the first restore.
            if !restored.iter().any(|r| Arc::ptr_eq(r, route)) {
                crate::modem_admin::restore(&store, std::slice::from_ref(route)).await;
            }
            let token = cancel.child_token();
            let name = route.modem().name();
            let s = joined.get(name).unwrap_or_else(|| settings(&config, name));
            start_tasks(s, &store, route, &tasks, &token);
            running.insert(key, (route.clone(), token));
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            changed = changes.changed() => if changed.is_err() { return },
        }
    }
}

/// Starts one route's quota persister and balance check.
fn start_tasks(
    s: ModemAdminConfig,
    store: &Store,
    route: &Arc<ModemRoute>,
    tasks: &Tasks,
    cancel: &CancellationToken,
) {
    tasks.spawn(
        "sim quota",
        persist_quota(store.clone(), route.clone(), cancel.child_token()),
    );
    let Some(code) = s.balance_ussd else { return };
    // Validated with the config; a failure here would be a bug, so it is only logged.
    let regex = match regex::Regex::new(&s.balance_regex) {
        Ok(r) => r,
        Err(e) => {
            warn!(modem = %route.modem().name(), "balance_regex: {e}");
            return;
        }
    };
    let check = BalanceCheck {
        code,
        regex,
        interval: Duration::from_secs(s.balance_interval_secs),
        low: s.balance_low,
        low_disable: s.balance_low_disable,
    };
    tasks.spawn(
        "balance check",
        run_balance(store.clone(), route.clone(), check, cancel.child_token()),
    );
}
