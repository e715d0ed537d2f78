//! This node among the nodes that share one PostgreSQL database (layer 3): its heartbeat,
//! what it knows of the others, and whether its database answers.
//!
//! Every [`HEARTBEAT`] the node writes its row (`store::cluster`: when it started, its
//! routes and whether each is ready) and reads everyone's. From that it keeps a
//! [`ClusterView`] that the rest of the daemon reads without waiting on the database:
//! - the routes other *live* nodes have, so that a message pinned to a route of another node
//!   (a reply in a conversation that node's modem carries, an explicit `provider`) waits
//!   for that node instead of failing here;
//! - whether the database answered lately: `/readyz` fails and the dispatcher stops leasing
//!   while it does not, and both come back by themselves when it answers again.
//!
//! A node with SQLite is a cluster of one: its view is always reachable and knows no other
//! routes. Never imports HTTP, the service or anything above layer 3.

use crate::message::Millis;
use crate::route::Route;
use crate::store::cluster::{ClusterNode, NodeRoute};
use crate::store::Store;
use std::collections::HashSet;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// How often a node writes its heartbeat and reads the others'.
pub const HEARTBEAT: Duration = Duration::from_secs(2);

/// A node whose heartbeat is older than this is taken for gone.
pub const NODE_TIMEOUT: Duration = Duration::from_secs(10);

/// Without a successful heartbeat for this long, the database counts as unreachable.
const DATABASE_TIMEOUT: Duration = Duration::from_secs(5);

/// What this node knows of the cluster; cheap to clone.
#[derive(Debug, Clone)]
pub struct ClusterView {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// `None`: SQLite, the only node.
    node_id: Option<String>,
    started_at: Millis,
    /// Routes of the other live nodes.
    elsewhere: RwLock<HashSet<String>>,
    /// Last heartbeat that committed (Unix ms); the start time until the first.
    database_ok_at: AtomicI64,
    /// Set once a heartbeat failed since the last that succeeded (for one log line each way).
    failing: std::sync::atomic::AtomicBool,
}

impl ClusterView {
    /// The only node (SQLite).
    pub fn single(now: Millis) -> ClusterView {
        Self::new(None, now)
    }

    /// Node `node_id` of a shared database.
    pub fn shared(node_id: String, now: Millis) -> ClusterView {
        Self::new(Some(node_id), now)
    }

    fn new(node_id: Option<String>, now: Millis) -> ClusterView {
        ClusterView {
            inner: Arc::new(Inner {
                node_id,
                started_at: now,
                elsewhere: RwLock::new(HashSet::new()),
                database_ok_at: AtomicI64::new(now),
                failing: std::sync::atomic::AtomicBool::new(false),
            }),
        }
    }

    /// This node's id when the database is shared.
    pub fn node_id(&self) -> Option<&str> {
        self.inner.node_id.as_deref()
    }

    /// Whether another live node has a route called `name`.
    pub fn route_elsewhere(&self, name: &str) -> bool {
        self.inner
            .elsewhere
            .read()
            .map(|set| set.contains(name))
            .unwrap_or(false)
    }

    /// Whether the database answered lately (always, for SQLite).
    pub fn database_reachable(&self, now: Millis) -> bool {
        if self.inner.node_id.is_none() {
            return true;
        }
        let last = self.inner.database_ok_at.load(Ordering::Relaxed);
        now - last <= millis(DATABASE_TIMEOUT)
    }

    /// Someone found the database unreachable: it counts as such until the next heartbeat
    /// gets through (so the dispatcher stops at the first failure, not after the timeout).
    pub fn database_failed(&self) {
        if self.inner.node_id.is_some() {
            self.inner
                .database_ok_at
                .store(i64::MIN / 2, Ordering::Relaxed);
        }
    }

    /// Whether the heartbeat row `node` says it is alive at `now`.
    pub fn is_alive(node: &ClusterNode, now: Millis) -> bool {
        now - node.heartbeat_at <= millis(NODE_TIMEOUT)
    }

    fn learnt(&self, nodes: &[ClusterNode], now: Millis) {
        let me = self.inner.node_id.as_deref();
        let elsewhere: HashSet<String> = nodes
            .iter()
            .filter(|n| Some(n.node_id.as_str()) != me && Self::is_alive(n, now))
            .flat_map(|n| n.routes.iter().map(|r| r.name.clone()))
            .collect();
        if let Ok(mut set) = self.inner.elsewhere.write() {
            *set = elsewhere;
        }
    }
}

fn millis(d: Duration) -> Millis {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// This node's routes as it advertises them.
pub fn advertised(routes: &[Arc<dyn Route>], providers: &HashSet<String>) -> Vec<NodeRoute> {
    routes
        .iter()
        .map(|route| {
            let snapshot = route.snapshot();
            NodeRoute {
                kind: if providers.contains(&snapshot.name) {
                    "provider".into()
                } else {
                    "modem".into()
                },
                name: snapshot.name,
                ready: snapshot.ready,
            }
        })
        .collect()
}

/// Writes the heartbeat every [`HEARTBEAT`] and keeps `view` up to date, until `cancel`.
/// `routes` gives this node's routes at each beat (modems come and go). Does nothing for
/// the only node.
pub async fn run(
    store: Store,
    view: ClusterView,
    routes: impl Fn() -> Vec<NodeRoute> + Send + 'static,
    clock: impl Fn() -> Millis + Send + 'static,
    cancel: CancellationToken,
) {
    let Some(node_id) = view.node_id().map(str::to_string) else {
        return;
    };
    let mut clashing: Vec<String> = Vec::new();
    let mut every = tokio::time::interval(HEARTBEAT);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = every.tick() => {}
        }
        let now = clock();
        let mine = ClusterNode {
            node_id: node_id.clone(),
            started_at: view.inner.started_at,
            heartbeat_at: now,
            version: env!("CARGO_PKG_VERSION").to_string(),
            routes: routes(),
        };
        let my_names: Vec<String> = mine.routes.iter().map(|r| r.name.clone()).collect();
        let beat = match store.cluster_heartbeat(mine).await {
            Ok(()) => store.cluster_nodes().await,
            Err(e) => Err(e),
        };
        match beat {
            Ok(nodes) => {
                view.inner.database_ok_at.store(now, Ordering::Relaxed);
                view.learnt(&nodes, now);
                // Two nodes with a route of one name: a message pinned to it may go out
                // through either. Said once per change.
                let clash: Vec<String> = my_names
                    .iter()
                    .filter(|name| view.route_elsewhere(name))
                    .cloned()
                    .collect();
                if clash != clashing {
                    if !clash.is_empty() {
                        warn!(node = %node_id, routes = %clash.join(", "), "another live node has routes of the same names: give each node's modems names of its own");
                    }
                    clashing = clash;
                }
                if view.inner.failing.swap(false, Ordering::Relaxed) {
                    info!(node = %node_id, "the database answers again");
                }
            }
            Err(e) => {
                if !view.inner.failing.swap(true, Ordering::Relaxed) {
                    warn!(node = %node_id, error = %e, "the database does not answer: not ready, not leasing");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, heartbeat_at: Millis, routes: &[&str]) -> ClusterNode {
        ClusterNode {
            node_id: id.into(),
            started_at: 0,
            heartbeat_at,
            version: "x".into(),
            routes: routes
                .iter()
                .map(|r| NodeRoute {
                    name: (*r).into(),
                    kind: "modem".into(),
                    ready: true,
                })
                .collect(),
        }
    }

    #[test]
    fn routes_of_live_other_nodes_are_elsewhere_and_mine_or_dead_ones_are_not() {
        let view = ClusterView::shared("a".into(), 0);
        let now = 100_000;
        view.learnt(
            &[
                node("a", now, &["a0"]),
                node("b", now - 1_000, &["b0"]),
                node("c", now - 60_000, &["c0"]),
            ],
            now,
        );
        assert!(view.route_elsewhere("b0"));
        assert!(!view.route_elsewhere("a0"), "my own route");
        assert!(!view.route_elsewhere("c0"), "c stopped beating");
    }

    #[test]
    fn the_database_counts_as_unreachable_after_missed_beats_and_sqlite_never() {
        let view = ClusterView::shared("a".into(), 0);
        assert!(view.database_reachable(millis(DATABASE_TIMEOUT)));
        assert!(!view.database_reachable(millis(DATABASE_TIMEOUT) + 1));
        assert!(ClusterView::single(0).database_reachable(i64::MAX));
        view.database_failed();
        assert!(
            !view.database_reachable(1),
            "down at once when a caller saw it fail"
        );
        let single = ClusterView::single(0);
        single.database_failed();
        assert!(single.database_reachable(1));
    }
}
