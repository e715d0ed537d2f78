//! Webhook subscription delivery (layer 3): POSTs each event the store queued for a
//! subscription (`webhook_deliveries`) to its URL, signed with the subscription's own
//! secret, with retries for up to `max_age` (a day by default).
//!
//! Each request carries the event's stored body (`{"id", "type", "created_at", "data"}`),
//! `X-Smsgate-Event` (its type), `X-Smsgate-Event-Id` (the receiver's de-duplication key),
//! `X-Smsgate-Timestamp` and `X-Smsgate-Signature: sha256=<hex>` — the same scheme as the
//! status callbacks (see [`super::signature`]) under the subscription's key. A 2xx delivers
//! it; anything else is retried with exponential backoff; once the event is older than
//! `max_age` the delivery is given up (kept, with its last status and error).
//!
//! It runs beside the status-callback worker with budgets of its own — at most
//! `concurrency` deliveries in all and `per_host` to one `host:port` — so a dead receiver
//! costs its own deliveries time, never sending, status callbacks or other receivers. The
//! network rule is checked again at delivery (the URL) and on every address a name resolves
//! to (the resolver hands the connection only allowed addresses); no redirects, no proxy;
//! a log line names only scheme, host and port.
//!
//! Delivered and given-up deliveries are kept `keep_finished` (7 days) for
//! `GET /api/webhooks/{id}/deliveries`, then purged hourly with the events no delivery
//! refers to any more.
//!
//! Invariants: delivered only after a 2xx; the table is the queue (a restart loses
//! nothing, an attempt cut off is made again: at-least-once); one delivery in flight per
//! subscription, and only its oldest open one (order per subscription).

use super::{describe, loggable_url, signature, PolicyResolver};
use crate::message::{now_millis, Millis};
use crate::store::cluster::Queue;
use crate::store::subscriptions::{Attempt, DeliveryJob};
use crate::store::Store;
use crate::url_policy::UrlPolicy;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

/// Subscription worker settings.
#[derive(Debug, Clone)]
pub struct SubscriptionSettings {
    /// How long an event is retried.
    pub max_age: Duration,
    /// Backoff after the first failure (doubles each time).
    pub initial_backoff: Duration,
    /// Longest backoff.
    pub max_backoff: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
    /// How often to look for due deliveries when idle.
    pub poll: Duration,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// Deliveries in flight at once to one host.
    pub per_host: usize,
    /// Where subscriptions may deliver.
    pub policy: UrlPolicy,
    /// How long delivered and given-up deliveries stay in the history (and their events,
    /// which may carry message texts, in the database).
    pub keep_finished: Duration,
    /// Where delivered and failed deliveries are counted.
    pub metrics: crate::metrics::Metrics,
}

impl Default for SubscriptionSettings {
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(86_400),
            initial_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(3600),
            timeout: Duration::from_secs(10),
            poll: Duration::from_millis(500),
            concurrency: 32,
            per_host: 4,
            policy: UrlPolicy::default(),
            keep_finished: Duration::from_secs(7 * 86_400),
            metrics: crate::metrics::Metrics::default(),
        }
    }
}

/// How often finished deliveries are purged.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// Purges what finished more than `keep` ago, a batch at a time (each a short write, so
/// sending never waits long behind it).
async fn purge(store: &Store, keep: Duration) {
    let keep = i64::try_from(keep.as_millis()).unwrap_or(i64::MAX);
    let before = now_millis().saturating_sub(keep);
    let mut removed = 0usize;
    for _ in 0..100 {
        match store.subscription_purge(before).await {
            Ok(n) => {
                removed = removed.saturating_add(n);
                if n < crate::store::subscriptions::PURGE_BATCH {
                    break;
                }
            }
            Err(e) => {
                warn!("purging finished webhook deliveries failed: {e}");
                break;
            }
        }
    }
    if removed > 0 {
        debug!(
            removed,
            "purged finished webhook deliveries and their events"
        );
    }
}

/// The next attempt after `attempts` failed ones at `now`, or `None` once the event (made at
/// `created_at`) has been retried for `max_age`. The last try falls on the age limit itself.
pub fn next_attempt(
    settings: &SubscriptionSettings,
    attempts: u32,
    created_at: Millis,
    now: Millis,
) -> Option<Millis> {
    let millis = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    let deadline = created_at.saturating_add(millis(settings.max_age));
    if now >= deadline {
        return None;
    }
    let wait = settings
        .initial_backoff
        .saturating_mul(1u32 << attempts.saturating_sub(1).min(20))
        .min(settings.max_backoff);
    Some(now.saturating_add(millis(wait)).min(deadline))
}

/// How often open deliveries past the retry window are given up in bulk.
const EXPIRE_EVERY: Duration = Duration::from_secs(10);

/// Delivers subscription events until `cancel`.
pub async fn run(store: Store, settings: SubscriptionSettings, cancel: CancellationToken) {
    let client = match reqwest::Client::builder()
        .timeout(settings.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(PolicyResolver(Arc::new(settings.policy.clone()))))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            warn!("no HTTP client, webhook subscriptions disabled: {e}");
            return;
        }
    };
    let concurrency = settings.concurrency.max(1);
    let per_host = settings.per_host.clamp(1, concurrency);
    let poll = settings.poll;
    let deliverer = Arc::new(Deliverer {
        store: store.clone(),
        settings,
        client,
    });
    let mut running: JoinSet<()> = JoinSet::new();
    let mut busy = InFlight::default();
    let claim_for = super::claim_time(deliverer.settings.timeout);
    let mut purged_at: Option<tokio::time::Instant> = None;
    let mut expired_at: Option<tokio::time::Instant> = None;
    loop {
        if purged_at.is_none_or(|at| at.elapsed() >= PURGE_EVERY) {
            purge(&store, deliverer.settings.keep_finished).await;
            purged_at = Some(tokio::time::Instant::now());
        }
        if expired_at.is_none_or(|at| at.elapsed() >= EXPIRE_EVERY) {
            let now = now_millis();
            let max_age = i64::try_from(deliverer.settings.max_age.as_millis()).unwrap_or(i64::MAX);
            match store
                .subscription_deliveries_expire(now.saturating_sub(max_age), now)
                .await
            {
                Ok(0) => {}
                Ok(n) => warn!(
                    deliveries = n,
                    "webhook deliveries given up: older than the retry window"
                ),
                Err(e) => warn!("expiring old webhook deliveries failed: {e}"),
            }
            expired_at = Some(tokio::time::Instant::now());
        }
        if running.len() < concurrency {
            match store
                .subscription_deliveries_due(now_millis(), concurrency.saturating_mul(4), per_host)
                .await
            {
                Ok(due) => {
                    for job in due {
                        if running.len() >= concurrency {
                            break;
                        }
                        if !busy.may_start(&job, per_host) {
                            continue;
                        }
                        if !super::claimed(&store, Queue::Subscriptions, job.id, claim_for).await {
                            continue;
                        }
                        let key = (job.subscription_id.clone(), job.host.clone());
                        let deliverer = deliverer.clone();
                        let task = running.spawn(async move { deliverer.deliver(job).await });
                        busy.started(task.id(), key);
                    }
                }
                Err(e) => warn!("reading the webhook delivery queue failed: {e}"),
            }
        }
        tokio::select! {
            () = cancel.cancelled() => {
                running.abort_all();
                return;
            }
            Some(done) = running.join_next_with_id(), if !running.is_empty() => {
                busy.finished(done.map_or_else(|e| e.id(), |(id, ())| id));
                while let Some(done) = running.try_join_next_with_id() {
                    busy.finished(done.map_or_else(|e| e.id(), |(id, ())| id));
                }
            }
            () = tokio::time::sleep(poll) => {}
        }
    }
}

/// The deliveries in flight: by task, by subscription (one at a time each: order) and by
/// host (at most `per_host`).
#[derive(Default)]
struct InFlight {
    tasks: HashMap<tokio::task::Id, (String, String)>,
    subscriptions: HashSet<String>,
    hosts: HashMap<String, usize>,
}

impl InFlight {
    fn may_start(&self, job: &DeliveryJob, per_host: usize) -> bool {
        !self.subscriptions.contains(&job.subscription_id)
            && self.hosts.get(&job.host).copied().unwrap_or(0) < per_host
    }

    fn started(&mut self, task: tokio::task::Id, (subscription, host): (String, String)) {
        self.subscriptions.insert(subscription.clone());
        *self.hosts.entry(host.clone()).or_insert(0) += 1;
        self.tasks.insert(task, (subscription, host));
    }

    fn finished(&mut self, task: tokio::task::Id) {
        let Some((subscription, host)) = self.tasks.remove(&task) else {
            return;
        };
        self.subscriptions.remove(&subscription);
        if let Some(n) = self.hosts.get_mut(&host) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.hosts.remove(&host);
            }
        }
    }
}

struct Deliverer {
    store: Store,
    settings: SubscriptionSettings,
    client: reqwest::Client,
}

impl Deliverer {
    /// One attempt at `job`, recorded in the queue.
    async fn deliver(&self, job: DeliveryJob) {
        let outcome: Result<u16, (Option<u16>, String)> = match self.request(&job) {
            Err(why) => Err((None, why)),
            Ok(request) => match request.send().await {
                Ok(r) if r.status().is_success() => Ok(r.status().as_u16()),
                Ok(r) => Err((Some(r.status().as_u16()), format!("HTTP {}", r.status()))),
                Err(e) => Err((None, describe(&e))),
            },
        };
        let now = now_millis();
        let shown = loggable_url(&job.url);
        let attempt = match outcome {
            Ok(status) => {
                debug!(url = %shown, subscription = %job.subscription_id, event = %job.event_id, "webhook delivered");
                self.settings
                    .metrics
                    .outbound_delivery("webhook", "delivered");
                Attempt::Delivered { status }
            }
            Err((status, error)) => {
                let attempts = job.attempts.saturating_add(1);
                let next = next_attempt(&self.settings, attempts, job.event_created_at, now);
                warn!(url = %shown, subscription = %job.subscription_id, event = %job.event_id,
                      attempt = attempts, %error, gave_up = next.is_none(), "webhook delivery failed");
                self.settings.metrics.outbound_delivery(
                    "webhook",
                    if next.is_none() { "gave_up" } else { "failed" },
                );
                Attempt::Failed {
                    status,
                    error,
                    next,
                }
            }
        };
        if let Err(e) = self.store.subscription_attempt(job.id, attempt, now).await {
            warn!("recording a webhook delivery attempt failed: {e}");
        }
    }

    /// The signed POST for `job`, or why there is none.
    fn request(&self, job: &DeliveryJob) -> Result<reqwest::RequestBuilder, String> {
        // The rule may have changed since the subscription was made, and an address literal
        // never meets the resolver.
        self.settings
            .policy
            .check(&job.url)
            .map_err(|why| format!("webhook URL refused: {why}"))?;
        let timestamp = now_millis() / 1000;
        Ok(self
            .client
            .post(&job.url)
            .header("content-type", "application/json")
            .header("x-smsgate-event", &job.event_type)
            .header("x-smsgate-event-id", &job.event_id)
            .header("x-smsgate-timestamp", timestamp.to_string())
            .header(
                "x-smsgate-signature",
                signature(&job.secret, timestamp, &job.payload),
            )
            .body(job.payload.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_and_ends_at_the_age_limit() {
        let s = SubscriptionSettings {
            max_age: Duration::from_secs(100),
            initial_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(30),
            ..SubscriptionSettings::default()
        };
        assert_eq!(next_attempt(&s, 1, 0, 1_000), Some(3_000));
        assert_eq!(next_attempt(&s, 3, 0, 1_000), Some(9_000));
        assert_eq!(next_attempt(&s, 30, 0, 1_000), Some(31_000));
        // The last try is at the limit, not past it; after it, the delivery is given up.
        assert_eq!(next_attempt(&s, 30, 0, 90_000), Some(100_000));
        assert_eq!(next_attempt(&s, 31, 0, 100_000), None);
    }
}
