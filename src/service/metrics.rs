//! The scrape: the live state the metrics gauges are set from (modem snapshots, the queue
//! depth) read here, where the modems and the store are known, and handed to
//! [`crate::metrics`] as plain values.

use super::Service;
use crate::metrics::{LiveBacklog, LiveModem, LiveState};
use crate::modem::ModemState;

impl Service {
    /// The Prometheus text exposition of this daemon's metrics.
    pub async fn metrics_text(&self) -> String {
        let modems = self
            .modems()
            .into_iter()
            .map(|view| {
                let status = view.status;
                let balance = self
                    .modem_route(&status.name)
                    .and_then(|m| m.admin().balance())
                    .and_then(|b| b.amount);
                let registration = status.network.registration;
                LiveModem {
                    name: status.name,
                    state: state_name(&status.state).to_string(),
                    up: status.state.accepts_traffic(),
                    signal_dbm: status.network.signal_dbm,
                    registration: registration.and_then(|r| {
                        serde_json::to_value(r)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                    }),
                    registered: registration.is_some_and(|r| r.can_send()),
                    operator: status.network.operator,
                    balance,
                }
            })
            .collect();
        // Counts over partial indexes: the size of the backlog, not of the history.
        let now = self.now();
        let backlog = self.store.backlog().await.ok().map(|b| LiveBacklog {
            queued: b.queued,
            scheduled: b.scheduled,
            sending: b.sending,
            oldest_queued_age_seconds: b
                .oldest_queued_at
                .map_or(0.0, |at| (now.saturating_sub(at)).max(0) as f64 / 1000.0),
            callbacks_open: b.callbacks_open,
            webhooks_open: b.webhooks_open,
        });
        self.metrics().encode(&LiveState { modems, backlog })
    }
}

fn state_name(state: &ModemState) -> &'static str {
    match state {
        ModemState::Initialising => "initialising",
        ModemState::Ready => "ready",
        ModemState::Degraded(_) => "degraded",
        ModemState::Down(_) => "down",
        ModemState::SimError(_) => "sim_error",
        ModemState::Failed(_) => "failed",
    }
}
