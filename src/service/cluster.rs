//! The façade's part of several nodes sharing one database: `GET /api/cluster` (the nodes
//! seen, their routes, their last heartbeat), whether this node's database answers (for
//! `/readyz`), and the OTP per-number limit counted across nodes.
//!
//! The in-memory limiters (`limits.rs`) stay node-local; for a shared database the
//! per-number OTP limit is *also* taken in the store, under a lock on the number, so "3
//! codes per number per minute" holds whichever nodes the requests reach.

use super::{Service, ServiceError};
use crate::cluster::ClusterView;
use crate::message::Millis;
use crate::store::cluster::{ClusterNode, SharedWindow};
use serde::Serialize;
use std::time::Duration;

/// The scope under which OTP codes per phone number are counted in the store.
const OTP_PHONE_SCOPE: &str = "otp_phone";

/// The shared duplicate keys of a send's messages (in their order) and those it took.
pub(super) struct SharedDuplicates {
    /// One key per message.
    pub keys: Vec<String>,
    /// The keys taken; a message whose key is not here is a duplicate.
    pub taken: std::collections::HashSet<String>,
}

/// A recipient and a hash of the text: what makes a duplicate, stored without the text.
fn duplicate_key(recipient: &str, body: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(body.as_bytes());
    format!(
        "{recipient}\u{1f}{}",
        hex::encode(digest.get(..16).unwrap_or(&digest))
    )
}

/// `GET /api/cluster`.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterStatus {
    /// This node's id (`null` with SQLite: the only node).
    pub this_node: Option<String>,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Whether this node's database answered lately.
    pub database_reachable: bool,
    /// Every node that wrote a heartbeat (with SQLite: this one, as it is now).
    pub nodes: Vec<NodeStatus>,
}

/// One node of [`ClusterStatus`].
#[derive(Debug, Clone, Serialize)]
pub struct NodeStatus {
    /// Its row.
    #[serde(flatten)]
    pub node: ClusterNode,
    /// Whether its heartbeat is recent.
    pub alive: bool,
}

impl Service {
    /// This node's view of the cluster.
    pub fn cluster(&self) -> &ClusterView {
        &self.cluster
    }

    /// Whether this node's database answered lately (always, for SQLite).
    pub fn database_reachable(&self) -> bool {
        self.cluster.database_reachable(self.now())
    }

    /// The nodes sharing the database.
    pub async fn cluster_status(&self) -> Result<ClusterStatus, ServiceError> {
        let now = self.now();
        let Some(me) = self.cluster.node_id() else {
            let routes = crate::cluster::advertised(&self.all_routes(), &self.provider_names());
            return Ok(ClusterStatus {
                this_node: None,
                backend: "sqlite",
                database_reachable: true,
                nodes: vec![NodeStatus {
                    node: ClusterNode {
                        node_id: "local".into(),
                        started_at: now,
                        heartbeat_at: now,
                        version: env!("CARGO_PKG_VERSION").into(),
                        routes,
                    },
                    alive: true,
                }],
            });
        };
        let nodes = self.store.cluster_nodes().await?;
        Ok(ClusterStatus {
            this_node: Some(me.to_string()),
            backend: "postgres",
            database_reachable: self.database_reachable(),
            nodes: nodes
                .into_iter()
                .map(|node| NodeStatus {
                    alive: ClusterView::is_alive(&node, now),
                    node,
                })
                .collect(),
        })
    }

    /// One OTP code to `phone`, counted across the nodes (nothing to do for SQLite: the
    /// node's own limiter is the whole count).
    pub(super) async fn take_shared_otp_code(
        &self,
        phone: &str,
        now: Millis,
    ) -> Result<(), ServiceError> {
        if self.cluster.node_id().is_none() {
            return Ok(());
        }
        let otp = &self.settings().otp;
        let windows = vec![
            SharedWindow {
                limit: otp.per_phone_per_minute,
                period_ms: 60_000,
            },
            SharedWindow {
                limit: otp.per_phone_per_hour,
                period_ms: 3_600_000,
            },
        ];
        match self
            .store
            .take_shared_limit(OTP_PHONE_SCOPE, phone.to_string(), windows, 1, now)
            .await?
        {
            Ok(()) => Ok(()),
            Err(wait_ms) => Err(ServiceError::RateLimited {
                scope: "phone".into(),
                retry_after: Duration::from_millis(u64::try_from(wait_ms).unwrap_or(1)),
            }),
        }
    }

    /// Gives back a shared OTP count taken at `at` (the code was not sent).
    pub(super) async fn refund_shared_otp_code(&self, phone: &str, at: Millis) {
        if self.cluster.node_id().is_none() {
            return;
        }
        if let Err(e) = self
            .store
            .refund_shared_limit(OTP_PHONE_SCOPE, phone.to_string(), at)
            .await
        {
            tracing::warn!(error = %e, "could not give back a shared OTP count");
        }
    }

    /// Several nodes: takes, in the shared database, the duplicate keys of `messages` (a
    /// recipient and a hash of the text — never the text). `None` when there is nothing to
    /// share (the only node, or duplicate suppression off).
    pub(super) async fn take_shared_duplicates(
        &self,
        messages: &[crate::store::NewMessage],
        now: Millis,
    ) -> Option<Result<SharedDuplicates, ServiceError>> {
        let window_secs = self.settings().limits.duplicate_window_secs;
        if self.cluster.node_id().is_none() || window_secs == 0 {
            return None;
        }
        let keys: Vec<String> = messages
            .iter()
            .map(|m| duplicate_key(&m.recipient, &m.body))
            .collect();
        let window_ms = i64::try_from(window_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        Some(
            self.store
                .take_duplicates(keys.clone(), window_ms, now)
                .await
                .map(|taken| SharedDuplicates { keys, taken })
                .map_err(ServiceError::from),
        )
    }

    /// Gives back the shared duplicate keys a send took (its messages were not stored).
    pub(super) async fn refund_shared_duplicates(&self, keys: &[String], at: Millis) {
        if keys.is_empty() {
            return;
        }
        if let Err(e) = self.store.refund_duplicates(keys.to_vec(), at).await {
            tracing::warn!(error = %e, "could not give back shared duplicate keys");
        }
    }

    fn provider_names(&self) -> std::collections::HashSet<String> {
        self.providers
            .iter()
            .map(|p| p.name().to_string())
            .collect()
    }
}
