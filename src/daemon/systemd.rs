//! systemd integration through `sd_notify`: `READY=1` once every modem has initialised or
//! definitively failed, `STATUS=` kept current ("2/3 modems ready, 14 queued"),
//! `STOPPING=1` at shutdown, and `WATCHDOG=1` pings at half the configured `WatchdogSec` —
//! but only while the dispatcher loop's heartbeat is fresh, so a wedged dispatcher makes
//! systemd restart the daemon instead of being kept alive by a timer that proves nothing.
//!
//! Without `NOTIFY_SOCKET` (not under systemd) every call does nothing. The environment is
//! never unset (the `*_and_unset_env` functions are unsafe once threads run).

use crate::message::now_millis;
use crate::service::Service;
use sd_notify::NotifyState;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

fn notify(states: &[NotifyState<'_>]) {
    if let Err(e) = sd_notify::notify(states) {
        debug!("sd_notify failed: {e}");
    }
}

/// `RELOADING=1` (with `MONOTONIC_USEC`, which `Type=notify-reload` requires).
pub fn reloading() {
    match NotifyState::monotonic_usec_now() {
        Ok(now) => notify(&[NotifyState::Reloading, now]),
        Err(_) => notify(&[NotifyState::Reloading]),
    }
}

/// `READY=1` after a reload, whether it was applied or refused.
pub fn reloaded() {
    notify(&[NotifyState::Ready]);
}

/// `STOPPING=1`.
pub fn stopping() {
    notify(&[
        NotifyState::Stopping,
        NotifyState::Status("stopping: finishing running sends"),
    ]);
}

fn status_line(service: &Service, queued: Option<u64>) -> String {
    let modems = service.modems();
    let ready = modems
        .iter()
        .filter(|m| m.status.state.accepts_traffic())
        .count();
    match queued {
        Some(q) => format!("{ready}/{} modems ready, {q} queued", modems.len()),
        None => format!("{ready}/{} modems ready", modems.len()),
    }
}

/// Sends `READY=1` once the modems have settled (bounded by `settle`), then keeps `STATUS=`
/// current and feeds the watchdog while `heartbeat` (Unix ms of the dispatcher's last loop)
/// is fresh. Runs until `cancel`.
pub async fn run(
    service: Service,
    settle: Duration,
    heartbeat: Arc<AtomicI64>,
    cancel: CancellationToken,
) {
    let settled = service.wait_for_modems(settle);
    tokio::select! {
        () = cancel.cancelled() => return,
        () = settled => {}
    }
    let queued = service.queue_depth().await.ok();
    notify(&[
        NotifyState::Ready,
        NotifyState::Status(&status_line(&service, queued)),
    ]);
    let watchdog = sd_notify::watchdog_enabled().map(|d| d / 2);
    let tick = watchdog
        .unwrap_or(Duration::from_secs(10))
        .min(Duration::from_secs(10));
    let mut interval = tokio::time::interval(tick);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = interval.tick() => {}
        }
        let queued = service.queue_depth().await.ok();
        let status = status_line(&service, queued);
        match watchdog {
            Some(period) => {
                let age = now_millis() - heartbeat.load(Ordering::Relaxed);
                let fresh =
                    u128::try_from(age.max(0)).unwrap_or(u128::MAX) < period.as_millis() * 2;
                if fresh {
                    notify(&[NotifyState::Watchdog, NotifyState::Status(&status)]);
                } else {
                    warn!(
                        age_ms = age,
                        "dispatcher heartbeat is stale; not feeding the watchdog"
                    );
                    notify(&[NotifyState::Status(&format!(
                        "dispatcher stalled {age} ms; {status}"
                    ))]);
                }
            }
            None => notify(&[NotifyState::Status(&status)]),
        }
    }
}
