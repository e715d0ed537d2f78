//! The dispatcher loop: look at the due messages without leasing them, place each on a
//! route (the routing policy, then the balancer, on this round's view of the routes), lease
//! only those placed, send each through the route it was placed on, record the outcome.
//! One task; each send runs in its own task so a slow modem never holds up the others.
//!
//! A message is `sending` only while a route is actually working on it (or for the lease
//! time after a crash). A message that must wait (a busy route, its group's time limit)
//! is not leased at all, so waiting costs no writes; one whose placement no longer holds
//! when leased is released without counting an attempt. Woken by new work
//! (`Dispatcher::wake`), by a route done with a send (before its outcome is recorded, so a
//! modem does not idle for that commit), and by a poll interval (for schedules,
//! retries and expiry).
//!
//! Invariants: every leased message ends the round recorded — sent, retried, failed,
//! expired or released; a store error leaves it `sending` until its lease runs out and
//! `reclaim_expired_leases` returns it, so nothing is lost to a failed write; on shutdown
//! no new lease is taken and running sends finish (their AT deadlines bound them).

use super::balancer::{Balancer, Candidate, Strategy};
use super::retry::{Decision, RetryPolicy};
use super::routing::{self, RoutedMessage, Routing, RoutingPolicy};
use crate::cluster::ClusterView;
use crate::config::RouteGroup;
use crate::message::{now_millis, InFlightPolicy, MessageId, Millis, SmsType};
use crate::metrics::{Metrics, RouteKind};
use crate::route::{OutboundMessage, Route, RouteSnapshot};
use crate::store::{Leased, Store};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn, Instrument};

/// Dispatcher settings.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    /// Balancing strategy.
    pub strategy: Strategy,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// How long a lease lasts before a crashed send is taken back.
    pub lease_for: Duration,
    /// How often to look for due work when nothing wakes the loop.
    pub poll_interval: Duration,
    /// In-flight policy per SMS type, for reclaiming expired leases.
    pub in_flight: fn(SmsType) -> InFlightPolicy,
    /// Delay before a message no route could take is offered again.
    pub no_route_delay: Duration,
    /// Which group of routes (modems, providers) a message may use, and when it falls back.
    pub routing: RoutingPolicy,
    /// Where sends, failures and final statuses are counted.
    pub metrics: Metrics,
    /// The other nodes sharing the database, and whether it answers: a message pinned to
    /// another node's route waits for it, and nothing is leased while the database is away.
    pub cluster: ClusterView,
}

impl Default for DispatchSettings {
    fn default() -> Self {
        Self {
            strategy: Strategy::LeastLoaded,
            retry: RetryPolicy::default(),
            lease_for: Duration::from_secs(300),
            poll_interval: Duration::from_millis(200),
            in_flight: default_in_flight,
            no_route_delay: Duration::from_secs(1),
            routing: RoutingPolicy::default(),
            metrics: Metrics::default(),
            cluster: ClusterView::single(0),
        }
    }
}

/// At-most-once for OTP, at-least-once for everything else.
pub fn default_in_flight(sms_type: SmsType) -> InFlightPolicy {
    match sms_type {
        SmsType::Otp => InFlightPolicy::AtMostOnce,
        _ => InFlightPolicy::AtLeastOnce,
    }
}

/// A handle to wake the dispatcher after new work was stored.
#[derive(Clone, Default)]
pub struct Dispatcher {
    wake: Arc<Notify>,
    heartbeat: Arc<AtomicI64>,
    /// A routing policy a reload handed over, taken by the loop at its next round.
    next_routing: Arc<std::sync::Mutex<Option<RoutingPolicy>>>,
}

impl Dispatcher {
    /// Starts the loop over the modem routes (the `"modems"` group) and the provider routes
    /// (each its own group, by name); it stops leasing when `cancel` fires and ends when
    /// running sends have finished.
    pub fn spawn(
        store: Store,
        modems: Vec<Arc<dyn Route>>,
        providers: Vec<Arc<dyn Route>>,
        settings: DispatchSettings,
        cancel: CancellationToken,
    ) -> (Dispatcher, tokio::task::JoinHandle<()>) {
        Self::spawn_with_modems(
            store,
            Arc::new(move || modems.clone()),
            providers,
            settings,
            cancel,
        )
    }

    /// [`Dispatcher::spawn`] over a changing set of modems: `modems` is asked at the start
    /// of every round (modems join and leave while the daemon runs).
    pub fn spawn_with_modems(
        store: Store,
        modems: ModemSource,
        providers: Vec<Arc<dyn Route>>,
        settings: DispatchSettings,
        cancel: CancellationToken,
    ) -> (Dispatcher, tokio::task::JoinHandle<()>) {
        let dispatcher = Dispatcher::default();
        let (route_done_tx, route_done_rx) = tokio::sync::mpsc::unbounded_channel();
        let mut runner = Runner {
            store,
            modems,
            providers,
            routes: Vec::new(),
            groups: Vec::new(),
            balancer: Balancer::new(settings.strategy),
            running: HashMap::new(),
            released: HashSet::new(),
            housekeeping: None,
            route_done_tx,
            route_done_rx,
            in_flight: HashSet::new(),
            peek_from: 0,
            settings,
            wake: dispatcher.wake.clone(),
            heartbeat: dispatcher.heartbeat.clone(),
            next_routing: dispatcher.next_routing.clone(),
        };
        runner.refresh_routes();
        let task = tokio::spawn(
            runner
                .run(cancel)
                .instrument(tracing::info_span!("dispatch")),
        );
        (dispatcher, task)
    }

    /// New work was stored: look now rather than at the next poll.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Replaces the routing policy from the next round on (a reload); messages already
    /// placed keep their route.
    pub fn set_routing(&self, routing: RoutingPolicy) {
        match self.next_routing.lock() {
            Ok(mut next) => *next = Some(routing),
            Err(poisoned) => *poisoned.into_inner() = Some(routing),
        }
        self.wake();
    }

    /// Unix milliseconds of the loop's last round: proof of progress for the watchdog.
    pub fn heartbeat(&self) -> Arc<AtomicI64> {
        self.heartbeat.clone()
    }
}

/// The modem routes now (asked once per round): the daemon's fleet, or a fixed list.
pub type ModemSource = Arc<dyn Fn() -> Vec<Arc<dyn Route>> + Send + Sync>;

struct Runner {
    store: Store,
    /// Where this round's modem routes come from.
    modems: ModemSource,
    /// The provider routes (fixed).
    providers: Vec<Arc<dyn Route>>,
    /// This round's routes: the modems, then the providers.
    routes: Vec<Arc<dyn Route>>,
    /// The group of each route (parallel to `routes`).
    groups: Vec<RouteGroup>,
    balancer: Balancer,
    settings: DispatchSettings,
    wake: Arc<Notify>,
    heartbeat: Arc<AtomicI64>,
    next_routing: Arc<std::sync::Mutex<Option<RoutingPolicy>>>,
    /// Messages each route (by name) is sending now, counted here at spawn and at join: the
    /// runner's own count is authoritative, so a round that starts before a spawned send
    /// has begun cannot hand the same route a second message. By name, not position: the
    /// modem set changes between rounds (a modem removed mid-send still counts until its
    /// send ends, so a replacement of the same name waits for it).
    running: HashMap<String, usize>,
    /// The ids being sent, whose leases the runner keeps renewing.
    in_flight: HashSet<MessageId>,
    /// Sends whose route is done with them but whose outcome is still being recorded: their
    /// route's count was given back early (see [`send_one`]).
    released: HashSet<MessageId>,
    /// Where a send says that its route is done with it.
    route_done_tx: tokio::sync::mpsc::UnboundedSender<(String, MessageId)>,
    route_done_rx: tokio::sync::mpsc::UnboundedReceiver<(String, MessageId)>,
    /// Where the next round starts looking at the due queue (see [`Runner::place`]).
    peek_from: usize,
    /// The housekeeping task of the last second, while it runs.
    housekeeping: Option<tokio::task::JoinHandle<()>>,
}

/// What a round decided for a due message before leasing it — carried to the lease, so
/// the route chosen when placing is the route it is sent through.
#[derive(Debug, Clone, PartialEq)]
enum Placement {
    /// Send it through the route at this index.
    Route(usize),
    /// Its `expire_at` has passed: record it expired.
    Expired,
    /// The routing policy fails it (the reason).
    Fail(String),
    /// No route serves its recipient (or the provider it names): fail it, or release it.
    Unroutable,
}

/// What became of a leased message in a round.
enum Assigned {
    /// Handed to a route, or finished (expired, failed).
    Done,
    /// Released: no route could take it now.
    Released,
}

/// Pages of due messages one round looks at before it gives up placing any.
const PEEK_PAGES: usize = 4;

/// Whether any route serves `recipient` (by its prefixes), busy or not.
fn served(routes: &[RouteSnapshot], recipient: &str) -> bool {
    routes
        .iter()
        .any(|s| s.prefixes.is_empty() || s.longest_prefix(recipient).is_some())
}

impl Runner {
    async fn run(mut self, cancel: CancellationToken) {
        let mut sends: JoinSet<(String, MessageId)> = JoinSet::new();
        let mut last_housekeeping: Millis = 0;
        while !cancel.is_cancelled() {
            let now = now_millis();
            self.heartbeat.store(now, Ordering::Relaxed);
            self.take_new_routing();
            // While the shared database does not answer, lease nothing (and log nothing per
            // poll): the sends in flight finish and record their outcomes when it is back.
            let reachable = self.settings.cluster.database_reachable(now);
            if reachable && now - last_housekeeping >= 1000 {
                last_housekeeping = now;
                self.start_housekeeping(now);
            }
            self.refresh_routes();
            if reachable {
                self.round(now, &mut sends).await;
            }
            tokio::select! {
                () = cancel.cancelled() => break,
                () = self.wake.notified() => {}
                Some(done) = sends.join_next(), if !sends.is_empty() => self.finished(done),
                Some((name, id)) = self.route_done_rx.recv() => self.route_done(&name, id),
                () = tokio::time::sleep(self.settings.poll_interval) => {}
            }
        }
        info!(
            running = sends.len(),
            "dispatcher stopping; letting running sends finish"
        );
        while let Some(done) = sends.join_next().await {
            self.finished(done);
        }
        if let Some(running) = self.housekeeping.take() {
            let _ = running.await;
        }
    }

    /// Adopts a routing policy a reload handed over, if any.
    fn take_new_routing(&mut self) {
        let next = match self.next_routing.lock() {
            Ok(mut next) => next.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(routing) = next {
            info!("routing policy replaced by a reload");
            self.settings.routing = routing;
        }
    }

    /// Takes this round's modems from the source; rebuilds the route list only when the
    /// set changed (same routes, same order: nothing to do).
    fn refresh_routes(&mut self) {
        let modems = (self.modems)();
        let unchanged = modems.len() + self.providers.len() == self.routes.len()
            && modems
                .iter()
                .zip(&self.routes)
                .all(|(a, b)| Arc::ptr_eq(a, b));
        if unchanged {
            return;
        }
        self.groups = modems
            .iter()
            .map(|_| RouteGroup::Modems)
            .chain(
                self.providers
                    .iter()
                    .map(|p| RouteGroup::Provider(p.name().to_string())),
            )
            .collect();
        self.routes = modems.into_iter().chain(self.providers.clone()).collect();
        debug!(routes = self.routes.len(), "the route set changed");
    }

    /// The route is done with message `id` (its outcome is being recorded): the route may
    /// take the next message now rather than after that write commits.
    fn route_done(&mut self, name: &str, id: MessageId) {
        if self.in_flight.contains(&id) && self.released.insert(id) {
            self.give_back(name);
        }
    }

    fn give_back(&mut self, name: &str) {
        if let Some(n) = self.running.get_mut(name) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.running.remove(name);
            }
        }
    }

    fn finished(&mut self, done: Result<(String, MessageId), tokio::task::JoinError>) {
        match done {
            Ok((name, id)) => {
                if !self.released.remove(&id) {
                    self.give_back(&name);
                }
                self.in_flight.remove(&id);
            }
            // A send task panicked: its lease runs out and the message is reclaimed.
            Err(e) => error!("a send task failed: {e}"),
        }
    }

    /// Starts this second's housekeeping in a task of its own (none while the last one
    /// runs): its writes must not hold up a round — a modem that finished its send would
    /// idle while they wait for the writer.
    fn start_housekeeping(&mut self, now: Millis) {
        if self
            .housekeeping
            .as_ref()
            .is_some_and(|running| !running.is_finished())
        {
            return;
        }
        let ids: Vec<MessageId> = self.in_flight.iter().copied().collect();
        let task = housekeeping(
            self.store.clone(),
            ids,
            self.settings.lease_for,
            self.settings.in_flight,
            self.settings.metrics.clone(),
            now,
        );
        self.housekeeping = Some(tokio::spawn(task.in_current_span()));
    }

    /// One leasing round. The due messages are first looked at without leasing them
    /// (`peek_due`, a read) and placed on this round's view of the routes with the routing
    /// policy and the balancer; only those that found a route are leased. So a
    /// message waiting for its group's time limit, or for a busy route, costs no writes and
    /// no events, however often the dispatcher looks. A round looks at up to `PEEK_PAGES`
    /// pages; when they hold nothing it can place, the next round goes on from where this
    /// one stopped (and starts over at the end of the queue), so a backlog that must wait
    /// (marketing while the modems are down) never hides the messages behind it.
    async fn round(&mut self, now: Millis, sends: &mut JoinSet<(String, MessageId)>) {
        let mut snapshots: Vec<RouteSnapshot> = self.routes.iter().map(|r| r.snapshot()).collect();
        for snapshot in &mut snapshots {
            let running = self.running.get(&snapshot.name).copied().unwrap_or(0);
            snapshot.in_flight = snapshot.in_flight.max(running);
        }
        let free: usize = snapshots
            .iter()
            .filter(|s| s.ready)
            .map(|s| s.concurrency.saturating_sub(s.in_flight))
            .sum();
        if free == 0 {
            return;
        }
        let placed = match self.place(now, free, &snapshots).await {
            Ok(placed) => placed,
            Err(crate::store::StoreError::Unavailable(e)) => {
                // Said once by the cluster heartbeat; no more rounds until it answers.
                debug!("looking at due messages: the database is away: {e}");
                self.settings.cluster.database_failed();
                return;
            }
            Err(e) => {
                error!("looking at due messages failed: {e}");
                return;
            }
        };
        if placed.is_empty() {
            return;
        }
        let ids: Vec<MessageId> = placed.iter().map(|(id, _)| *id).collect();
        let mut placements: HashMap<MessageId, Placement> = placed.into_iter().collect();
        let leased = self
            .store
            .lease_ids(ids, now, self.settings.lease_for)
            .await;
        let leased = match leased {
            Ok(leased) => leased,
            Err(e) => {
                error!("leasing failed: {e}");
                return;
            }
        };
        for message in leased {
            let placement = placements
                .remove(&message.id)
                .unwrap_or(Placement::Unroutable);
            self.assign(message, placement, now, &mut snapshots, sends)
                .await;
        }
    }

    /// Which due messages this round can place (see [`Self::round`]).
    async fn place(
        &mut self,
        now: Millis,
        free: usize,
        snapshots: &[RouteSnapshot],
    ) -> Result<Vec<(MessageId, Placement)>, crate::store::StoreError> {
        let page = free.saturating_mul(4).clamp(16, 256);
        let mut view = snapshots.to_vec();
        let mut chosen = Vec::new();
        let mut looked: HashSet<MessageId> = HashSet::new();
        // The head first, always (a new code must not wait for the cursor to come round),
        // then the pages from where the last round stopped.
        let mut offset = self.peek_from.max(page);
        for n in 0..PEEK_PAGES {
            let from = if n == 0 { 0 } else { offset };
            let due = self.store.peek_due(now, page, from).await?;
            if n > 0 {
                offset += due.len();
            }
            for message in &due {
                if !looked.insert(message.id) {
                    continue;
                }
                if chosen.len() >= free {
                    return Ok(chosen);
                }
                if message.expire_at.is_some_and(|at| at <= now) {
                    chosen.push((message.id, Placement::Expired));
                    continue;
                }
                let routed = RoutedMessage {
                    sms_type: message.sms_type,
                    provider: message.provider.as_deref(),
                    recipient: &message.recipient,
                    segments: message.segments,
                    due_at: message.due_at,
                    failures: &message.failures,
                };
                match routing::decide(&routed, now, &self.settings.routing, &view, &self.groups) {
                    Routing::Wait => {}
                    // Pinned to a route of another node: that node sends it.
                    Routing::Fail(_) if self.pinned_elsewhere(message.provider.as_deref()) => {}
                    Routing::Fail(reason) => chosen.push((message.id, Placement::Fail(reason))),
                    Routing::Try { routes, .. } => {
                        let candidate = Candidate {
                            recipient: &message.recipient,
                            segments: message.segments,
                            avoid: message
                                .last_route
                                .as_deref()
                                .filter(|_| message.attempts > 0),
                            only: None,
                            within: Some(&routes),
                        };
                        // The runner's own balancer: placing is choosing (a round-robin
                        // cursor moves on here; nothing chooses again after the lease).
                        let slot = self.balancer.choose(&view, &candidate);
                        if let Some((index, snapshot)) =
                            slot.and_then(|i| view.get_mut(i).map(|s| (i, s)))
                        {
                            snapshot.in_flight += 1;
                            chosen.push((message.id, Placement::Route(index)));
                        } else if !served(&view, &message.recipient) {
                            chosen.push((message.id, Placement::Unroutable));
                        }
                    }
                }
            }
            if due.len() < page {
                // The end of the queue: the next round looks from just after the head.
                self.peek_from = 0;
                return Ok(chosen);
            }
        }
        // Full pages: the next round goes on from here (after the head again).
        self.peek_from = offset;
        Ok(chosen)
    }

    async fn assign(
        &mut self,
        message: Leased,
        placement: Placement,
        now: Millis,
        snapshots: &mut [RouteSnapshot],
        sends: &mut JoinSet<(String, MessageId)>,
    ) -> Assigned {
        let index = match placement {
            _ if message.expire_at.is_some_and(|at| at <= now) => {
                log_store(
                    self.store.record_expired(message.id, now).await,
                    "recording expiry",
                );
                self.settings
                    .metrics
                    .message_finished("expired", None, message.sms_type.as_str());
                return Assigned::Done;
            }
            Placement::Route(index) => index,
            Placement::Expired => {
                // Placed as expired from a peek a moment old; the lease says otherwise.
                return self.no_route(&message, now, snapshots).await;
            }
            Placement::Fail(reason) => {
                log_store(
                    self.store
                        .record_failed(message.id, None, &reason, now)
                        .await,
                    "failing",
                );
                self.settings
                    .metrics
                    .message_finished("failed", None, message.sms_type.as_str());
                return Assigned::Done;
            }
            Placement::Unroutable => return self.no_route(&message, now, snapshots).await,
        };
        let (Some(route), Some(snapshot)) =
            (self.routes.get(index).cloned(), snapshots.get_mut(index))
        else {
            return self.no_route(&message, now, snapshots).await;
        };
        // Count it at once, in this round's view and in the runner's own count.
        snapshot.in_flight += 1;
        *self.running.entry(route.name().to_string()).or_insert(0) += 1;
        self.in_flight.insert(message.id);
        let store = self.store.clone();
        let retry = self.settings.retry;
        let metrics = self.settings.metrics.clone();
        let kind = match self.groups.get(index) {
            Some(RouteGroup::Provider(_)) => RouteKind::Provider,
            _ => RouteKind::Modem,
        };
        let id = message.id;
        let name = route.name().to_string();
        let span = tracing::info_span!("send", message = %message.id, route = route.name());
        let route_done = self.route_done_tx.clone();
        sends.spawn(
            async move {
                send_one(store, route, message, retry, (metrics, kind), route_done).await;
                (name, id)
            }
            .instrument(span),
        );
        Assigned::Done
    }

    /// Whether `provider` names no route of this node but one of another live node.
    fn pinned_elsewhere(&self, provider: Option<&str>) -> bool {
        provider.is_some_and(|p| {
            let name = crate::config::canonical_provider(p);
            !self.routes.iter().any(|r| r.name() == name)
                && self.settings.cluster.route_elsewhere(name)
        })
    }

    /// No route can take the message now: fail it when none ever could, else release it.
    async fn no_route(
        &self,
        message: &Leased,
        now: Millis,
        snapshots: &[RouteSnapshot],
    ) -> Assigned {
        let unknown_provider = message.provider.as_deref().filter(|p| {
            let name = crate::config::canonical_provider(p);
            !snapshots.iter().any(|s| s.name == name)
                && !self.settings.cluster.route_elsewhere(name)
        });
        let unserved = !snapshots
            .iter()
            .any(|s| s.prefixes.is_empty() || s.longest_prefix(&message.recipient).is_some());
        let permanent = match (unknown_provider, unserved) {
            (Some(p), _) => Some(format!("no route named {p:?}")),
            (None, true) => Some(format!("no route serves {}", message.recipient)),
            _ => None,
        };
        match permanent {
            Some(reason) => {
                log_store(
                    self.store
                        .record_failed(message.id, None, &reason, now)
                        .await,
                    "failing",
                );
                self.settings
                    .metrics
                    .message_finished("failed", None, message.sms_type.as_str());
                Assigned::Done
            }
            None => {
                let delay = i64::try_from(self.settings.no_route_delay.as_millis()).unwrap_or(1000);
                debug!(message = %message.id, "no route free for it now");
                log_store(
                    self.store.release(message.id, now + delay, now).await,
                    "releasing",
                );
                Assigned::Released
            }
        }
    }
}

/// Renews the leases of the sends still running (`ids`), expires due messages past their
/// time, and takes back leases that ran out.
async fn housekeeping(
    store: Store,
    ids: Vec<MessageId>,
    lease_for: Duration,
    in_flight: fn(SmsType) -> InFlightPolicy,
    metrics: Metrics,
    now: Millis,
) {
    // Sends still running keep their leases, however long a slow modem takes.
    if !ids.is_empty() {
        let until = now + i64::try_from(lease_for.as_millis()).unwrap_or(i64::MAX / 2);
        if let Err(e) = store.extend_leases(ids, until).await {
            warn!("renewing leases failed: {e}");
        }
    }
    match store.expire_due(now).await {
        Ok(ids) if !ids.is_empty() => {
            info!(
                count = ids.len(),
                "messages expired before they could be sent"
            );
            // The store answers with ids only: their type is not at hand here.
            for _ in &ids {
                metrics.message_finished("expired", None, "unknown");
            }
        }
        Ok(_) => {}
        Err(e) => warn!("expiring due messages failed: {e}"),
    }
    match store.reclaim_expired_leases(in_flight, now).await {
        Ok(r) if r.requeued + r.failed > 0 => {
            warn!(
                requeued = r.requeued,
                failed = r.failed,
                "reclaimed expired leases"
            )
        }
        Ok(_) => {}
        Err(e) => warn!("reclaiming leases failed: {e}"),
    }
}

/// Sends `message` through `route` and records the outcome. Between the two it tells the
/// runner (`route_done`) that the route is free: the next message need not wait for this
/// one's write to commit — with PostgreSQL a commit is milliseconds a modem would idle. The
/// message stays in flight (its lease renewed) until the outcome is recorded.
async fn send_one(
    store: Store,
    route: Arc<dyn Route>,
    message: Leased,
    retry: RetryPolicy,
    (metrics, kind): (Metrics, RouteKind),
    route_done: tokio::sync::mpsc::UnboundedSender<(String, MessageId)>,
) {
    let outbound = OutboundMessage {
        id: message.id,
        recipient: message.recipient.clone(),
        body: message.body.clone(),
        sms_type: message.sms_type,
        expire_at: message.expire_at,
        segments: message.segments.clone(),
    };
    debug!(
        segments = outbound.segments.len(),
        attempt = message.attempts + 1,
        "sending"
    );
    metrics.route_attempt(route.name(), kind);
    let started = std::time::Instant::now();
    let result = route.send(&outbound).await;
    let took = started.elapsed();
    // The runner may be gone (shutting down): then nothing takes another message anyway.
    let _ = route_done.send((route.name().to_string(), message.id));
    let now = now_millis();
    let sms_type = message.sms_type.as_str();
    match result {
        Ok(receipts) => {
            debug!(segments = receipts.len(), "sent");
            let cost = receipts.iter().filter_map(|r| r.cost).reduce(|a, b| a + b);
            metrics.route_sent(route.name(), kind, receipts.len(), took, cost);
            metrics.message_finished("sent", Some(route.name()), sms_type);
            persist(
                || store.record_sent(message.id, route.name(), receipts.clone(), now),
                "recording a send",
            )
            .await;
        }
        Err(e) => {
            let class_name = serde_json::to_value(e.class)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            metrics.route_failed(route.name(), kind, &class_name, took);
            let attempt = message.attempts + 1;
            // Some segments of an OTP already went out: sending it again would deliver a
            // second, different-looking message. Treat it like an unanswered send.
            let class = if e.sent_segments > 0 && message.sms_type == SmsType::Otp {
                crate::route::ErrorClass::Ambiguous
            } else {
                e.class
            };
            let decision = retry.decide(
                class,
                attempt,
                message.sms_type,
                &e.message,
                now,
                rand::random(),
            );
            match decision {
                Decision::Fail(reason) => {
                    warn!(%reason, "message failed");
                    persist(
                        || store.record_failed(message.id, Some(route.name()), &reason, now),
                        "failing",
                    )
                    .await;
                    metrics.message_finished("failed", Some(route.name()), sms_type);
                }
                Decision::SentUnknown(note) => {
                    warn!(%note, "no answer; not sent again");
                    persist(
                        || store.record_sent_unknown(message.id, route.name(), &note, now),
                        "recording an unanswered send",
                    )
                    .await;
                }
                Decision::Retry { at, .. } if message.expire_at.is_some_and(|exp| exp <= at) => {
                    persist(|| store.record_expired(message.id, now), "recording expiry").await;
                    metrics.message_finished("expired", Some(route.name()), sms_type);
                }
                Decision::Retry { at, .. } => {
                    debug!(error = %e, retry_in_ms = at - now, "will retry");
                    // The modem already retried the failed part itself; what went out before
                    // it goes out again with the whole message: said in the event, so the
                    // parts sent twice can be counted.
                    let detail = match e.sent_segments {
                        0 => e.message.clone(),
                        n => {
                            warn!(parts = n, "retrying a message some of whose parts went out: they will be sent twice");
                            format!("{}; {n} part(s) already sent go out again", e.message)
                        }
                    };
                    persist(
                        || store.record_retry(message.id, Some(route.name()), &detail, at, now),
                        "recording a retry",
                    )
                    .await;
                }
            }
        }
    }
}

/// Records what became of a send. While the shared database cannot be reached (or gives
/// up on the write because of another node's: a deadlock, a lock timeout) the outcome
/// is kept and written again (backing off up to [`PERSIST_BACKOFF_MAX`], for up to
/// [`PERSIST_FOR`]): a send that went out is recorded as sent when the database is back,
/// not sent a second time because its lease ran out unrecorded. Other errors are logged.
async fn persist<T, F, Fut>(mut write: F, what: &str)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, crate::store::StoreError>>,
{
    let started = tokio::time::Instant::now();
    let mut backoff = Duration::from_millis(100);
    loop {
        match write().await {
            Err(
                crate::store::StoreError::Unavailable(reason)
                | crate::store::StoreError::Busy(reason),
            ) if started.elapsed() < PERSIST_FOR => {
                debug!(%reason, "the database is away; {what} again in {backoff:?}");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(PERSIST_BACKOFF_MAX);
            }
            other => return log_store(other, what),
        }
    }
}

/// Longest wait between two tries of recording an outcome while the database is away.
const PERSIST_BACKOFF_MAX: Duration = Duration::from_secs(2);
/// How long an outcome is kept for a database that is away.
const PERSIST_FOR: Duration = Duration::from_secs(600);

fn log_store<T>(result: Result<T, crate::store::StoreError>, what: &str) {
    if let Err(e) = result {
        // The message stays `sending`; its lease runs out and it is reclaimed.
        error!("store failed while {what}: {e}");
    }
}
