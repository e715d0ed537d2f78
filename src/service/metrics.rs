//! The scrape: the live state the metrics gauges are set from (modem snapshots, the queue
//! depth) read here, where the modems and the store are known, and handed to
//! [`crate::metrics`] as plain values.

use super::Service;
use crate::metrics::{LiveModem, LiveState};
use crate::modem::ModemState;

impl Service {
    /// The Prometheus text exposition of this daemon's metrics.
    pub async fn metrics_text(&self) -> String {
        let modems = self
            .modems()
            .into_iter()
            .map(|view| {
                let status = view.status;
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
                }
            })
            .collect();
        // Two indexed counts (`status` is indexed), the same /readyz answers with.
        let queue_depth = self.queue_depth().await.ok();
        self.metrics().encode(&LiveState {
            modems,
            queue_depth,
        })
    }
}

fn state_name(state: &ModemState) -> &'static str {
    match state {
        ModemState::Initialising => "initialising",
        ModemState::Ready => "ready",
        ModemState::Degraded(_) => "degraded",
        ModemState::Down(_) => "down",
        ModemState::SimError(_) => "sim_error",
    }
}
