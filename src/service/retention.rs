//! `[retention]` through the façade: the cutoffs from the service's clock, and batch after
//! batch of `crate::store::retention` until one comes back short — other writers (sending)
//! go between batches.
//!
//! Never imports axum, SQL or AT.

use super::{Service, ServiceError};

impl Service {
    /// Purges what `[retention]` no longer keeps, batch after batch until one comes back
    /// short (or the daemon stops); how many rows of each kind.
    pub async fn retention_pass(
        &self,
        config: crate::config::RetentionConfig,
        cancel: &tokio_util::sync::CancellationToken,
    ) -> Result<crate::store::retention::Purged, ServiceError> {
        use crate::config::RetentionConfig;
        let now = self.now();
        let cutoffs = crate::store::retention::Cutoffs {
            message_bodies: RetentionConfig::cutoff(config.message_bodies_days, now),
            inbound: RetentionConfig::cutoff(config.inbound_days, now),
            events: RetentionConfig::cutoff(config.events_days, now),
        };
        // The audit log ages out with the events (`events_days`).
        let audit = self.purge_audit(cutoffs.events).await?;
        if audit > 0 {
            tracing::info!(entries = audit, "retention removed old audit entries");
        }
        let mut total = crate::store::retention::Purged::default();
        loop {
            let batch = self.store.retention_batch(cutoffs).await?;
            total.message_bodies += batch.message_bodies;
            total.inbound += batch.inbound;
            total.events += batch.events;
            if !batch.more() || cancel.is_cancelled() {
                return Ok(total);
            }
            // Other writers go between batches.
            tokio::task::yield_now().await;
        }
    }
}
