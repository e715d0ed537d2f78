//! The operator's hold on one modem route: disabled by an admin, held back by a low
//! balance, the last balance reading, and the SIM quota. Kept on the [`super::ModemRoute`],
//! read by its snapshot (a held modem is not `ready` to the balancer; a quota caps its
//! allowance) — so the dispatcher needs no new rule, and a held modem still receives SMS.
//!
//! Never imports the store: the daemon restores the persisted flag and quota use at start
//! and persists them when [`AdminState::changed`] fires.

use super::quota::{Quota, QuotaView};
use crate::message::Millis;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use tokio::sync::watch;

/// The last balance check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BalanceReading {
    /// The parsed amount (None: the regex found none).
    pub amount: Option<f64>,
    /// The currency, when the answer names one after the amount.
    pub currency: Option<String>,
    /// The network's answer as decoded.
    pub raw: String,
    /// When (Unix ms).
    pub checked_at: Millis,
    /// Below `balance_low`.
    pub low: bool,
}

/// Admin state of one modem route.
#[derive(Debug)]
pub struct AdminState {
    disabled: AtomicBool,
    balance_hold: AtomicBool,
    balance: Mutex<Option<BalanceReading>>,
    quota: Option<Quota>,
    /// Bumped on every change worth persisting.
    changed: watch::Sender<u64>,
    /// How long a USSD request waits for the network (milliseconds).
    ussd_timeout_ms: std::sync::atomic::AtomicU64,
}

impl Default for AdminState {
    fn default() -> Self {
        Self::with_quota(None)
    }
}

impl AdminState {
    /// With a quota.
    pub fn with_quota(quota: Option<Quota>) -> Self {
        Self {
            disabled: AtomicBool::new(false),
            balance_hold: AtomicBool::new(false),
            balance: Mutex::new(None),
            quota: quota.filter(Quota::capped),
            changed: watch::channel(0).0,
            ussd_timeout_ms: std::sync::atomic::AtomicU64::new(30_000),
        }
    }

    /// How long a USSD request waits for the network's answer (30 s).
    pub fn ussd_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.ussd_timeout_ms.load(Ordering::Relaxed))
    }

    /// Sets [`AdminState::ussd_timeout`].
    pub fn set_ussd_timeout(&self, timeout: std::time::Duration) {
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self.ussd_timeout_ms.store(ms, Ordering::Relaxed);
    }

    fn bump(&self) {
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// Disabled by an operator.
    pub fn disabled(&self) -> bool {
        self.disabled.load(Ordering::Acquire)
    }

    /// Sets the operator's flag; true when it changed.
    pub fn set_disabled(&self, disabled: bool) -> bool {
        let was = self.disabled.swap(disabled, Ordering::AcqRel);
        if was != disabled {
            self.bump();
        }
        was != disabled
    }

    /// Held back by a low balance (`balance_low_disable`).
    pub fn balance_hold(&self) -> bool {
        self.balance_hold.load(Ordering::Acquire)
    }

    /// Sets the low-balance hold.
    pub fn set_balance_hold(&self, hold: bool) {
        self.balance_hold.store(hold, Ordering::Release);
    }

    /// Out of rotation for any reason, and why.
    pub fn held(&self) -> Option<&'static str> {
        if self.disabled() {
            Some("disabled by an operator")
        } else if self.balance_hold() {
            Some("balance below balance_low")
        } else {
            None
        }
    }

    /// The last balance reading.
    pub fn balance(&self) -> Option<BalanceReading> {
        self.balance.lock().ok().and_then(|b| b.clone())
    }

    /// Records a balance reading.
    pub fn set_balance(&self, reading: BalanceReading) {
        if let Ok(mut b) = self.balance.lock() {
            *b = Some(reading);
        }
    }

    /// The quota, when capped.
    pub fn quota(&self) -> Option<&Quota> {
        self.quota.as_ref()
    }

    /// The quota as the API shows it.
    pub fn quota_view(&self) -> Option<QuotaView> {
        self.quota.as_ref().map(Quota::view)
    }

    /// Counts segments handed to the modem against the quota.
    pub fn record_segments(&self, segments: u64) {
        if let Some(q) = &self.quota {
            if segments > 0 {
                q.record(segments);
                self.bump();
            }
        }
    }

    /// Sees every change of the disabled flag or the quota use (the daemon persists them).
    pub fn watch_changes(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }
}
