//! Wiring of modem administration (issue 13): each modem route gets its quota (on the
//! service's clock) and USSD timeout from its settings before it joins the fleet; when a
//! route joins (at start, from discovery, hot-plug or a reload), its stored operator flag
//! and quota use are restored and its quota persister and balance check start; when it
//! leaves, they stop. Settings come from `[[modems]]`, or on the simulator from
//! `[simulator.modem_settings.<name>]`.

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
use tokio_util::task::TaskTracker;
use tracing::warn;

/// The admin settings of the simulated modem called `name` (a configured modem's come
/// with its entry).
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

/// The hook the fleet manager runs on each configured modem's route before it joins.
pub(super) fn route_hook(clock: &Clock) -> RouteHook {
    let clock = clock.clone();
    Arc::new(move |entry: &ModemEntry, route: ModemRoute| prepare(&entry.admin(), route, &clock))
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
    store: Store,
    fleet: Fleet,
    restored: Arc<Vec<Arc<ModemRoute>>>,
    tasks: TaskTracker,
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
            start_tasks(&config, &store, route, &tasks, &token);
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
    config: &Config,
    store: &Store,
    route: &Arc<ModemRoute>,
    tasks: &TaskTracker,
    cancel: &CancellationToken,
) {
    tasks.spawn(persist_quota(
        store.clone(),
        route.clone(),
        cancel.child_token(),
    ));
    let s = settings(config, route.modem().name());
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
    tasks.spawn(run_balance(
        store.clone(),
        route.clone(),
        check,
        cancel.child_token(),
    ));
}
