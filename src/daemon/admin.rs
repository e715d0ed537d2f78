//! Wiring of modem administration (issue 13): each modem route gets its quota (on the
//! service's clock) and USSD timeout from its settings; the quota persister and the
//! balance check run beside it. Settings come from `[[modems]]`, or on the simulator from
//! `[simulator.modem_settings.<name>]`.

use crate::config::{Config, ModemAdminConfig};
use crate::modem::quota::{Quota, QuotaConfig};
use crate::modem::ModemRoute;
use crate::modem_admin::{persist_quota, run_balance, BalanceCheck};
use crate::service::Clock;
use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::warn;

/// The admin settings of the modem called `name`.
fn settings(config: &Config, name: &str) -> ModemAdminConfig {
    config
        .modems
        .iter()
        .find(|m| m.name == name)
        .map(|m| m.admin())
        .or_else(|| config.simulator.modem_settings.get(name).cloned())
        .unwrap_or_default()
}

/// Gives each route its quota and USSD timeout.
pub(super) fn apply(
    config: &Config,
    routes: Vec<Arc<ModemRoute>>,
    clock: &Clock,
) -> Vec<Arc<ModemRoute>> {
    routes
        .into_iter()
        .map(|route| {
            let s = settings(config, route.modem().name());
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
            // Nothing else holds the route yet: the daemon has just started it.
            match Arc::try_unwrap(route) {
                Ok(route) => Arc::new(route.with_quota(quota)),
                Err(route) => {
                    warn!(modem = %route.modem().name(), "quota not applied: the route is shared already");
                    route
                }
            }
        })
        .collect()
}

/// Starts the quota persisters and balance checks.
pub(super) fn spawn(
    config: &Config,
    store: &Store,
    routes: &[Arc<ModemRoute>],
    tasks: &TaskTracker,
    cancel: &CancellationToken,
) {
    for route in routes {
        tasks.spawn(persist_quota(
            store.clone(),
            route.clone(),
            cancel.child_token(),
        ));
        let s = settings(config, route.modem().name());
        let Some(code) = s.balance_ussd else { continue };
        // Validated with the config; a failure here would be a bug, so it is only logged.
        let regex = match regex::Regex::new(&s.balance_regex) {
            Ok(r) => r,
            Err(e) => {
                warn!(modem = %route.modem().name(), "balance_regex: {e}");
                continue;
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
}
