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

    fn provider_names(&self) -> std::collections::HashSet<String> {
        self.providers
            .iter()
            .map(|p| p.name().to_string())
            .collect()
    }
}
