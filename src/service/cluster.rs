//! The façade's part of several nodes sharing one database: `GET /api/cluster` (the nodes
//! seen, their routes, their last heartbeat), whether this node's database answers (for
//! `/readyz`), and the OTP per-number limit counted across nodes.
//!
//! The in-memory limiters (`limits.rs`) stay node-local; for a shared database the
//! per-number OTP limit, duplicate suppression, the per-recipient and the global send
//! limits are *also* taken in the store (under a lock, in the writer's transaction), so "3
//! codes per number per minute" or "the same text to the same number once a minute" holds
//! whichever nodes the requests reach. The OTP limits per client IP and per API key stay
//! node-local: a client meets them on the node it talks to.

use super::limits::{SharedScreening, Taken};
use super::{RejectedRecipient, Service, ServiceError};
use crate::cluster::ClusterView;
use crate::message::Millis;
use crate::store::cluster::{ClusterNode, SharedWindow};
use serde::Serialize;
use std::time::Duration;

/// The scope under which OTP codes per phone number are counted in the store.
const OTP_PHONE_SCOPE: &str = "otp_phone";
/// Messages per recipient (`[limits] per_recipient_*`).
const RECIPIENT_SCOPE: &str = "recipient";
/// Messages of every client together (`[limits] per_second`, `per_minute`, `per_hour`).
const GLOBAL_SCOPE: &str = "global";

fn secs_ms(secs: u64) -> Millis {
    i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
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

    /// Several nodes: the per-recipient limits counted across them. Of `screening.messages`
    /// (which passed this node's own limiters), those whose number is at its limit through
    /// any node are moved to `rejected` (and what this node took for them given back). A
    /// store failure is an error; what was taken stays in `screening.taken` for the
    /// caller's refund. Nothing to do for the only node. (Duplicates are counted in the
    /// messages' own transaction: [`Self::duplicate_check`].)
    pub(super) async fn screen_shared(
        &self,
        screening: &mut SharedScreening,
        now: Millis,
    ) -> Result<(), ServiceError> {
        if self.cluster.node_id().is_none() {
            return Ok(());
        }
        let limits = self.settings().limits.clone();
        let windows: Vec<SharedWindow> = [
            (limits.per_recipient_per_minute, 60_000),
            (limits.per_recipient_per_hour, 3_600_000),
        ]
        .into_iter()
        .filter(|(limit, _)| *limit > 0)
        .map(|(limit, period_ms)| SharedWindow { limit, period_ms })
        .collect();
        if !windows.is_empty() && !screening.messages.is_empty() {
            let keys: Vec<String> = screening
                .messages
                .iter()
                .map(|m| m.recipient.clone())
                .collect();
            let answers = self
                .store
                .take_shared_each(RECIPIENT_SCOPE, keys.clone(), windows, now)
                .await?;
            let verdicts = keys
                .into_iter()
                .zip(answers)
                .map(|(key, answer)| match answer {
                    Ok(()) => {
                        screening.taken.shared_recipients.push(key);
                        None
                    }
                    Err(wait_ms) => Some(("rate_limited", Some(wait_ms))),
                })
                .collect();
            self.refuse(screening, verdicts, |to| {
                format!("{to} reached its per-recipient limit")
            });
        }
        Ok(())
    }

    /// Moves the messages whose verdict is a refusal (`code`, and a wait for a rate limit)
    /// to `rejected`, giving back what this node took for them.
    fn refuse(
        &self,
        screening: &mut SharedScreening,
        verdicts: Vec<Option<(&'static str, Option<Millis>)>>,
        reason: impl Fn(&str) -> String,
    ) {
        let messages = std::mem::take(&mut screening.messages);
        let positions = std::mem::take(&mut screening.positions);
        let guards = self.guards();
        for ((m, index), verdict) in messages.into_iter().zip(positions).zip(verdicts) {
            match verdict {
                None => {
                    screening.messages.push(m);
                    screening.positions.push(index);
                }
                Some((code, wait_ms)) => {
                    guards.refund_message(&mut screening.taken, &m);
                    screening.rejected.push(RejectedRecipient {
                        index,
                        reason: reason(&m.recipient),
                        to: m.recipient,
                        code,
                        retry_after_secs: wait_ms
                            .map(|ms| u64::try_from(ms).unwrap_or(1).div_ceil(1000).max(1)),
                    });
                }
            }
        }
        screening.rejected.sort_by_key(|r| r.index);
    }

    /// Several nodes: `count` units of the global limits (`[limits] per_second`,
    /// `per_minute`, `per_hour`), counted across them.
    pub(super) async fn take_shared_global(
        &self,
        taken: &mut Taken,
        count: u32,
        now: Millis,
    ) -> Result<(), ServiceError> {
        if self.cluster.node_id().is_none() {
            return Ok(());
        }
        let limits = self.settings().limits.clone();
        let windows: Vec<SharedWindow> = [
            (limits.per_second, 1_000),
            (limits.per_minute, 60_000),
            (limits.per_hour, 3_600_000),
        ]
        .into_iter()
        .filter(|(limit, _)| *limit > 0)
        .map(|(limit, period_ms)| SharedWindow { limit, period_ms })
        .collect();
        if windows.is_empty() {
            return Ok(());
        }
        match self
            .store
            .take_shared_limit(GLOBAL_SCOPE, String::new(), windows, count, now)
            .await?
        {
            Ok(()) => {
                taken.shared_global = count;
                Ok(())
            }
            Err(wait_ms) => Err(ServiceError::RateLimited {
                scope: "global".into(),
                retry_after: Duration::from_millis(u64::try_from(wait_ms).unwrap_or(1)),
            }),
        }
    }

    /// Several nodes: the duplicate keys of `messages` (a recipient and a hash of the text
    /// — never the text), for the store to count in the transaction that stores them.
    /// `None` for the only node, or with duplicate suppression off.
    pub(super) fn duplicate_check(
        &self,
        messages: &[crate::store::NewMessage],
    ) -> Option<crate::store::DuplicateCheck> {
        let window_secs = self.settings().limits.duplicate_window_secs;
        if self.cluster.node_id().is_none() || window_secs == 0 {
            return None;
        }
        Some(crate::store::DuplicateCheck {
            keys: messages
                .iter()
                .map(|m| duplicate_key(&m.recipient, &m.body))
                .collect(),
            window_ms: secs_ms(window_secs),
        })
    }

    /// The store refused some messages of a send as duplicates (through another node):
    /// they join `rejected`, and what this node took for them goes back. All of them: the
    /// request fails as a duplicate, as when this node finds one.
    pub(super) async fn refuse_duplicates(
        &self,
        accepted: &crate::store::Accepted,
        texts: &[(String, String)],
        positions: &[usize],
        rejected: &mut Vec<RejectedRecipient>,
        taken: Option<&Taken>,
    ) -> Result<(), ServiceError> {
        let Some(taken) = taken else {
            return Ok(());
        };
        let at = taken.at();
        let mut shared_recipients = Vec::new();
        for &pos in &accepted.duplicates {
            let (Some((to, body)), Some(&index)) = (texts.get(pos), positions.get(pos)) else {
                continue;
            };
            self.guards().refund_duplicate(to, body, at);
            if taken.shared_recipients.contains(to) {
                shared_recipients.push(to.clone());
            }
            rejected.push(RejectedRecipient {
                index,
                to: to.clone(),
                code: "duplicate",
                reason: format!("the same text went to {to} within the duplicate window"),
                retry_after_secs: None,
            });
        }
        rejected.sort_by_key(|r| r.index);
        let mut refunds = Vec::new();
        if !shared_recipients.is_empty() {
            refunds.push(
                self.store
                    .refund_shared_each(RECIPIENT_SCOPE, shared_recipients, at)
                    .await,
            );
        }
        if accepted.ids.is_empty() && taken.shared_global > 0 {
            refunds.push(
                self.store
                    .refund_shared_limit(GLOBAL_SCOPE, String::new(), at)
                    .await,
            );
        }
        for failed in refunds.into_iter().filter_map(Result::err) {
            tracing::warn!(error = %failed, "could not give back a shared send limit");
        }
        if accepted.ids.is_empty() {
            let first = rejected.iter().find(|r| r.code == "duplicate");
            return Err(match first {
                Some(first) => ServiceError::Refused {
                    field: format!("to[{}].number", first.index),
                    code: first.code,
                    reason: first.reason.clone(),
                },
                None => ServiceError::invalid("to", "at least one recipient is required"),
            });
        }
        Ok(())
    }

    /// Gives back what a send took in the shared database (its messages were not stored).
    pub(super) async fn refund_shared(&self, taken: &Taken) {
        let at = taken.at();
        let mut failures = Vec::new();
        if !taken.shared_recipients.is_empty() {
            if let Err(e) = self
                .store
                .refund_shared_each(RECIPIENT_SCOPE, taken.shared_recipients.clone(), at)
                .await
            {
                failures.push(e);
            }
        }
        if taken.shared_global > 0 {
            if let Err(e) = self
                .store
                .refund_shared_limit(GLOBAL_SCOPE, String::new(), at)
                .await
            {
                failures.push(e);
            }
        }
        for e in failures {
            tracing::warn!(error = %e, "could not give back a shared send limit");
        }
    }

    fn provider_names(&self) -> std::collections::HashSet<String> {
        self.providers
            .iter()
            .map(|p| p.name().to_string())
            .collect()
    }
}
