//! Modem administration upkeep (layer 3): what the daemon runs beside each modem route —
//! restoring the stored disable flag and quota use at start, persisting quota use as it
//! changes, and the periodic balance check by USSD with its `modem.balance_low` event and
//! optional hold.
//!
//! Imports the modem handle (layer 2) and the store; never HTTP, the service or the
//! dispatcher. Invariants: a balance check never runs while a USSD exchange or session is
//! open on the modem; `modem.balance_low` is emitted once per crossing below the threshold
//! (not on every check while it stays low); the low-balance hold is lifted as soon as a
//! check reads the balance at or above the threshold again.

use crate::message::{format_millis, now_millis};
use crate::modem::admin::BalanceReading;
use crate::modem::quota::QuotaUse;
use crate::modem::ussd::UssdRequest;
use crate::modem::ModemRoute;
use crate::store::modem_admin::StoredQuota;
use crate::store::Store;
use regex::Regex;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Restores the operator's disable flags and the quota use stored for `routes`.
pub async fn restore(store: &Store, routes: &[Arc<ModemRoute>]) {
    let disabled = store.disabled_modems().await.unwrap_or_else(|e| {
        warn!("reading the disabled modems failed: {e}");
        Vec::new()
    });
    for route in routes {
        let name = route.modem().name();
        if disabled.iter().any(|d| d == name) {
            info!(
                modem = name,
                "disabled by an operator (stored); out of rotation"
            );
            route.admin().set_disabled(true);
        }
        if let Some(quota) = route.admin().quota() {
            match store.modem_quota(name).await {
                Ok(Some(q)) => quota.restore(QuotaUse {
                    day_start: q.day_start,
                    day_used: q.day_used,
                    month_start: q.month_start,
                    month_used: q.month_used,
                }),
                Ok(None) => {}
                Err(e) => warn!(modem = name, "reading the quota use failed: {e}"),
            }
        }
    }
}

/// Writes a route's quota use whenever it changes, until `cancel` (then once more).
pub async fn persist_quota(store: Store, route: Arc<ModemRoute>, cancel: CancellationToken) {
    if route.admin().quota().is_none() {
        return;
    }
    let mut changes = route.admin().watch_changes();
    loop {
        let stop = tokio::select! {
            () = cancel.cancelled() => true,
            changed = changes.changed() => changed.is_err(),
        };
        if let Some(quota) = route.admin().quota() {
            let q = quota.current();
            let stored = StoredQuota {
                day_start: q.day_start,
                day_used: q.day_used,
                month_start: q.month_start,
                month_used: q.month_used,
            };
            if let Err(e) = store
                .set_modem_quota(route.modem().name(), stored, now_millis())
                .await
            {
                warn!(modem = %route.modem().name(), "storing the quota use failed: {e}");
            }
        }
        if stop {
            return;
        }
    }
}

/// A balance check's settings.
#[derive(Debug, Clone)]
pub struct BalanceCheck {
    /// The USSD code.
    pub code: String,
    /// Finds the amount (`amount` group, else the first group).
    pub regex: Regex,
    /// Between checks.
    pub interval: Duration,
    /// Low below this.
    pub low: Option<f64>,
    /// A low balance takes the modem out of rotation.
    pub low_disable: bool,
}

/// The amount (and currency, when a `currency` group or a three-letter code after the
/// amount names one) in a balance answer. `1,50` reads as 1.50.
pub fn parse_amount(regex: &Regex, text: &str) -> Option<(f64, Option<String>)> {
    let caps = regex.captures(text)?;
    let amount = caps.name("amount").or_else(|| caps.get(1))?;
    let value: f64 = amount.as_str().replace(',', ".").parse().ok()?;
    let currency = caps
        .name("currency")
        .map(|c| c.as_str().to_string())
        .or_else(|| {
            let rest = text.get(amount.end()..)?.trim_start();
            let code: String = rest.chars().take_while(char::is_ascii_uppercase).collect();
            (code.len() == 3).then_some(code)
        });
    Some((value, currency))
}

/// Checks `route`'s balance every `check.interval` until `cancel`.
pub async fn run_balance(
    store: Store,
    route: Arc<ModemRoute>,
    check: BalanceCheck,
    cancel: CancellationToken,
) {
    let name = route.modem().name().to_string();
    let mut was_low = false;
    let mut status = route.modem().watch();
    loop {
        // Wait for a ready modem with no USSD exchange or session of its own.
        loop {
            let ready = status.borrow_and_update().state.accepts_traffic();
            if ready && !route.modem().ussd_busy() {
                break;
            }
            tokio::select! {
                () = cancel.cancelled() => return,
                _ = status.changed() => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
        let request = UssdRequest {
            code: check.code.clone(),
            session_id: None,
            timeout: route.admin().ussd_timeout(),
        };
        match route.modem().ussd(&request).await {
            Ok(answer) => {
                let raw = answer.text.unwrap_or_default();
                let parsed = parse_amount(&check.regex, &raw);
                if parsed.is_none() {
                    warn!(modem = %name, "the balance answer did not match balance_regex");
                }
                let amount = parsed.as_ref().map(|(a, _)| *a);
                let low = matches!((amount, check.low), (Some(a), Some(t)) if a < t);
                let now = now_millis();
                route.admin().set_balance(BalanceReading {
                    amount,
                    currency: parsed.and_then(|(_, c)| c),
                    raw,
                    checked_at: now,
                    low,
                });
                if low && !was_low {
                    warn!(modem = %name, ?amount, threshold = ?check.low, "balance low");
                    let data = serde_json::json!({
                        "modem": name,
                        "amount": amount,
                        "threshold": check.low,
                        "out_of_rotation": check.low_disable,
                        "at": format_millis(now),
                    });
                    if let Err(e) = store.emit_event("modem.balance_low", data, now).await {
                        warn!(modem = %name, "recording modem.balance_low failed: {e}");
                    }
                }
                if amount.is_some() {
                    was_low = low;
                    route.admin().set_balance_hold(low && check.low_disable);
                }
            }
            Err(e) => warn!(modem = %name, "balance check failed: {e}"),
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(check.interval) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts() {
        let re = Regex::new(crate::config::DEFAULT_BALANCE_REGEX).unwrap();
        assert_eq!(
            parse_amount(&re, "Balance: 12.34 EUR"),
            Some((12.34, Some("EUR".into())))
        );
        assert_eq!(parse_amount(&re, "Your balance is 1,50"), Some((1.5, None)));
        assert_eq!(parse_amount(&re, "Unknown command"), None);
        let first_group = Regex::new(r"(?i)balance[^0-9]*([0-9]+[.,][0-9]+)").unwrap();
        assert_eq!(
            parse_amount(&first_group, "BALANCE 3.00 USD left").map(|p| p.0),
            Some(3.0)
        );
    }
}
