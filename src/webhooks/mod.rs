//! Outbound status callbacks (layer 3): POSTs each queued callback from the store's outbox
//! to the message's `callback_url`, signed, with retries.
//!
//! Each request carries the JSON payload, `X-Smsgate-Timestamp` (Unix seconds) and
//! `X-Smsgate-Signature: sha256=<hex>`, the HMAC-SHA256 of `"{timestamp}.{body}"` under the
//! installation's webhook secret (generated once and kept in the database; an admin reads it
//! with `GET /api/webhooks/secret`). A 2xx answer delivers it; anything else, or no answer
//! within the timeout, is retried with exponential backoff up to `max_attempts`, then given
//! up (and kept in the outbox with its last error).
//!
//! Callbacks of messages sent through the Twilio-compatible API (their stored URL starts
//! with [`crate::providers::twilio::wire::CALLBACK_PREFIX`]) go out as Twilio's: a form with `MessageSid`,
//! `MessageStatus`, `SmsSid`, `SmsStatus`, `AccountSid`, `From`, `To`, `ApiVersion` (and
//! `ErrorCode` on failure), signed with `X-Twilio-Signature` under `[twilio_compat]
//! auth_token` — built here from the same outbox payload, so retries and ordering are shared.
//!
//! Deliveries run concurrently — at most `concurrency` in all and `per_host` to one host —
//! so a slow or silent endpoint costs its own callbacks time, never another client's.
//! Where a callback may go is `crate::url_policy`'s rule, checked again here: an address
//! literal against the rule, a name through a resolver that hands the connection only the
//! addresses the rule allows (so a name cannot be re-pointed at a private address between
//! the check and the connection). Redirects are not followed, no proxy is used, and a log
//! line names only the callback's scheme, host and port (a URL may carry a token).
//!
//! Invariants: a callback is recorded delivered only after a 2xx; the outbox, not memory,
//! is the queue, so a restart loses nothing; callbacks of one message go out in the order
//! of its status changes (oldest first): one at a time per message.
//!
//! Webhook subscriptions (`/api/webhooks`) are delivered by [`subscriptions`] with the same
//! signature scheme, client rules and budgets (but budgets of their own); [`modem_events`]
//! turns modem health changes into `modem.up` / `modem.down` events.

pub mod modem_events;
pub mod subscriptions;

use crate::message::{now_millis, MessageId, Millis};
use crate::store::cluster::Queue;
use crate::store::webhooks::WebhookJob;
use crate::store::Store;
use crate::url_policy::UrlPolicy;
use hmac::{KeyInit, Mac};
use sha2::Sha256;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

/// Worker settings.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Attempts before giving up.
    pub max_attempts: u32,
    /// Backoff after the first failure (doubles each time).
    pub initial_backoff: Duration,
    /// Longest backoff.
    pub max_backoff: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
    /// How often to look for due callbacks when idle.
    pub poll: Duration,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// Deliveries in flight at once to one host.
    pub per_host: usize,
    /// Where callbacks may go.
    pub policy: UrlPolicy,
    /// `[twilio_compat]`: signs Twilio-shaped callbacks (none: they fail and are retried).
    pub twilio: Option<TwilioSigning>,
    /// Where delivered and failed callbacks are counted.
    pub metrics: crate::metrics::Metrics,
}

/// The account Twilio-shaped callbacks name and the token they are signed with.
#[derive(Clone)]
pub struct TwilioSigning {
    /// `AccountSid`.
    pub account_sid: String,
    /// The HMAC-SHA1 key of `X-Twilio-Signature`.
    pub auth_token: String,
}

impl std::fmt::Debug for TwilioSigning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioSigning")
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<redacted>")
            .finish()
    }
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            max_attempts: 10,
            initial_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(3600),
            timeout: Duration::from_secs(10),
            poll: Duration::from_millis(500),
            concurrency: 32,
            per_host: 4,
            policy: UrlPolicy::default(),
            twilio: None,
            metrics: crate::metrics::Metrics::default(),
        }
    }
}

/// The setting key of the signing secret.
pub const SECRET_KEY: &str = "webhook_secret";

/// The installation's signing secret (hex), created on first use from the OS CSPRNG.
pub async fn secret(store: &Store) -> Result<String, crate::store::StoreError> {
    store
        .setting_or_init(SECRET_KEY, || {
            let bytes: [u8; 32] = rand::random();
            hex::encode(bytes)
        })
        .await
}

/// The setting key of the Twilio sid key.
pub const TWILIO_SID_KEY: &str = "twilio_sid_key";

/// The key Twilio-compatible sids are made with (32 bytes), created on first use.
pub async fn twilio_sid_key(store: &Store) -> Result<Vec<u8>, crate::store::StoreError> {
    let hex_key = store
        .setting_or_init(TWILIO_SID_KEY, || {
            let bytes: [u8; 32] = rand::random();
            hex::encode(bytes)
        })
        .await?;
    hex::decode(hex_key)
        .map_err(|e| crate::store::StoreError::Sqlite(format!("setting {TWILIO_SID_KEY}: {e}")))
}

/// The form parameters of a Twilio-shaped status callback, from the outbox's JSON payload.
pub fn twilio_params(
    payload: &str,
    sid_key: &[u8],
    account_sid: &str,
) -> Option<Vec<(String, String)>> {
    let v: serde_json::Value = serde_json::from_str(payload).ok()?;
    let id = crate::message::MessageId(v.get("id")?.as_i64()?);
    let status = crate::message::MessageStatus::parse(v.get("status")?.as_str()?)?;
    let sid = crate::providers::twilio::wire::message_sid(sid_key, id);
    let name = crate::providers::twilio::wire::status_name(status).to_string();
    let to = v.get("to").and_then(|t| t.as_str()).unwrap_or_default();
    let from = v
        .pointer("/metadata/twilio_from")
        .and_then(|f| f.as_str())
        .unwrap_or_default();
    let mut params = vec![
        ("MessageSid".to_string(), sid.clone()),
        ("SmsSid".to_string(), sid),
        ("MessageStatus".to_string(), name.clone()),
        ("SmsStatus".to_string(), name),
        ("AccountSid".to_string(), account_sid.to_string()),
        ("From".to_string(), from.to_string()),
        ("To".to_string(), to.to_string()),
        (
            "ApiVersion".to_string(),
            crate::providers::twilio::wire::API_VERSION.to_string(),
        ),
    ];
    if let Some((code, _)) = crate::providers::twilio::wire::status_error(status) {
        params.push(("ErrorCode".to_string(), code.to_string()));
    }
    Some(params)
}

/// `sha256=<hex>` of `"{timestamp}.{body}"` under `secret`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| <hmac::Hmac<Sha256> as KeyInit>::new(&Default::default()));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The `scheme://host[:port]` of a callback URL: all of it a log line may show (the path
/// and query may hold a client's token, the authority its credentials).
pub fn loggable_url(url: &str) -> String {
    let url = url
        .strip_prefix(crate::providers::twilio::wire::CALLBACK_PREFIX)
        .unwrap_or(url);
    let scheme = url
        .split_once("://")
        .map_or("?".to_string(), |(s, _)| s.to_ascii_lowercase());
    format!("{scheme}://{}", crate::url_policy::host_key(url))
}

/// A resolver that gives the HTTP client only the addresses `policy` allows for a name.
struct PolicyResolver(Arc<UrlPolicy>);

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = resolved
                .into_iter()
                .filter(|a| policy.address_allowed(&host, a.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(format!(
                    "{host} resolves to no address a callback may go to (private networks are not allowed)"
                )
                .into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// The HTTP client callbacks go out with: the policy's resolver, no redirects, no proxy.
fn client(settings: &WebhookSettings) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(settings.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(PolicyResolver(Arc::new(settings.policy.clone()))))
        .build()
}

/// What every delivery needs.
struct Deliverer {
    store: Store,
    settings: WebhookSettings,
    client: reqwest::Client,
    secret: String,
    sid_key: Option<Vec<u8>>,
}

/// Delivers callbacks until `cancel`.
pub async fn run(store: Store, settings: WebhookSettings, cancel: CancellationToken) {
    let secret = match secret(&store).await {
        Ok(s) => s,
        Err(e) => {
            warn!("no webhook secret, callbacks disabled: {e}");
            return;
        }
    };
    let client = match client(&settings) {
        Ok(c) => c,
        Err(e) => {
            warn!("no HTTP client, callbacks disabled: {e}");
            return;
        }
    };
    let sid_key = match &settings.twilio {
        Some(_) => match twilio_sid_key(&store).await {
            Ok(k) => Some(k),
            Err(e) => {
                warn!("no Twilio sid key, Twilio callbacks disabled: {e}");
                None
            }
        },
        None => None,
    };
    let concurrency = settings.concurrency.max(1);
    let per_host = settings.per_host.clamp(1, concurrency);
    let poll = settings.poll;
    let deliverer = Arc::new(Deliverer {
        store: store.clone(),
        settings,
        client,
        secret,
        sid_key,
    });
    let claim_for = claim_time(deliverer.settings.timeout);
    let mut running: JoinSet<()> = JoinSet::new();
    let mut busy = InFlight::default();
    loop {
        if running.len() < concurrency {
            match store
                .webhooks_due(now_millis(), concurrency.saturating_mul(4), per_host)
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
                        if !claimed(&store, Queue::Callbacks, job.id, claim_for).await {
                            continue;
                        }
                        let key = (job.message_id, job.host.clone());
                        let deliverer = deliverer.clone();
                        let task = running.spawn(async move { deliverer.deliver(job).await });
                        busy.started(task.id(), key);
                    }
                }
                Err(e) => warn!("reading the webhook outbox failed: {e}"),
            }
        }
        // Wait for a delivery to finish (a slot is free again), or for the next poll.
        tokio::select! {
            () = cancel.cancelled() => {
                running.abort_all();
                return;
            }
            Some(done) = running.join_next_with_id(), if !running.is_empty() => {
                busy.finished(done.map_or_else(|e| e.id(), |(id, ())| id));
                // Take every other finished one too, so one query serves them all.
                while let Some(done) = running.try_join_next_with_id() {
                    busy.finished(done.map_or_else(|e| e.id(), |(id, ())| id));
                }
            }
            () = tokio::time::sleep(poll) => {}
        }
    }
}

/// The deliveries in flight: by task (a task that panicked frees its slots too), by
/// message (one at a time each: order) and by host (at most `per_host`).
#[derive(Default)]
struct InFlight {
    tasks: HashMap<tokio::task::Id, (MessageId, String)>,
    messages: HashSet<MessageId>,
    hosts: HashMap<String, usize>,
}

impl InFlight {
    fn may_start(&self, job: &WebhookJob, per_host: usize) -> bool {
        !self.messages.contains(&job.message_id)
            && self.hosts.get(&job.host).copied().unwrap_or(0) < per_host
    }

    fn started(&mut self, task: tokio::task::Id, (message, host): (MessageId, String)) {
        self.messages.insert(message);
        *self.hosts.entry(host.clone()).or_insert(0) += 1;
        self.tasks.insert(task, (message, host));
    }

    fn finished(&mut self, task: tokio::task::Id) {
        let Some((message, host)) = self.tasks.remove(&task) else {
            return;
        };
        self.messages.remove(&message);
        if let Some(n) = self.hosts.get_mut(&host) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.hosts.remove(&host);
            }
        }
    }
}

impl Deliverer {
    /// One attempt at `job`, recorded in the outbox.
    async fn deliver(&self, mut job: WebhookJob) {
        // The client's metadata is kept once on its batch and joins the payload only now,
        // for the jobs actually started.
        match self.store.webhook_metadata(job.message_id).await {
            Ok(metadata) => {
                job.payload = crate::store::webhooks::with_metadata(job.payload, metadata)
            }
            Err(e) => warn!(message = %job.message_id, "reading a callback's metadata failed: {e}"),
        }
        let error = match self.request(&job) {
            Err(why) => Some(why),
            Ok(request) => match request.send().await {
                Ok(r) if r.status().is_success() => None,
                Ok(r) => Some(format!("HTTP {}", r.status())),
                // reqwest's error text names the URL: keep only what went wrong.
                Err(e) => Some(describe(&e)),
            },
        };
        let now = now_millis();
        let shown = loggable_url(&job.url);
        let recorded = match error {
            None => {
                debug!(url = %shown, message = %job.message_id, "callback delivered");
                self.settings
                    .metrics
                    .outbound_delivery("callback", "delivered");
                self.store.webhook_delivered(job.id, now).await
            }
            Some(error) => {
                let attempt = job.attempts + 1;
                let next = (attempt < self.settings.max_attempts)
                    .then(|| now + backoff(&self.settings, attempt));
                warn!(url = %shown, message = %job.message_id, attempt, %error, gave_up = next.is_none(), "callback failed");
                self.settings.metrics.outbound_delivery(
                    "callback",
                    if next.is_none() { "gave_up" } else { "failed" },
                );
                self.store.webhook_failed(job.id, &error, next, now).await
            }
        };
        if let Err(e) = recorded {
            warn!("recording a callback attempt failed: {e}");
        }
    }

    /// The signed POST for `job`, or why there is none.
    fn request(&self, job: &WebhookJob) -> Result<reqwest::RequestBuilder, String> {
        let plain = job
            .url
            .strip_prefix(crate::providers::twilio::wire::CALLBACK_PREFIX)
            .unwrap_or(&job.url);
        // The rule may have changed since the message was accepted, and an address literal
        // never meets the resolver.
        self.settings
            .policy
            .check(plain)
            .map_err(|why| format!("callback URL refused: {why}"))?;
        match job
            .url
            .strip_prefix(crate::providers::twilio::wire::CALLBACK_PREFIX)
        {
            None => {
                let timestamp = now_millis() / 1000;
                Ok(self
                    .client
                    .post(&job.url)
                    .header("content-type", "application/json")
                    .header("x-smsgate-timestamp", timestamp.to_string())
                    .header(
                        "x-smsgate-signature",
                        signature(&self.secret, timestamp, &job.payload),
                    )
                    .body(job.payload.clone()))
            }
            Some(url) => twilio_request(
                &self.client,
                &self.settings,
                self.sid_key.as_deref(),
                url,
                &job.payload,
                format!("{}-{}", job.message_id, job.id),
            ),
        }
    }
}

/// What went wrong with a request, without its URL.
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_request() {
        "request failed"
    } else {
        "failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {cause}")
    }
}

/// The Twilio-shaped POST of `job` to `url`, or why it cannot be built.
fn twilio_request(
    client: &reqwest::Client,
    settings: &WebhookSettings,
    sid_key: Option<&[u8]>,
    url: &str,
    payload: &str,
    token: String,
) -> Result<reqwest::RequestBuilder, String> {
    let (Some(signing), Some(key)) = (&settings.twilio, sid_key) else {
        return Err("a Twilio-format callback, but [twilio_compat] is not configured".into());
    };
    let params = twilio_params(payload, key, &signing.account_sid)
        .ok_or_else(|| "unreadable outbox payload".to_string())?;
    let body = serde_urlencoded::to_string(&params).map_err(|e| e.to_string())?;
    let sig = crate::providers::twilio::wire::signature(&signing.auth_token, url, &params);
    Ok(client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", sig)
        .header("i-twilio-idempotency-token", token)
        .body(body))
}

fn backoff(settings: &WebhookSettings, attempt: u32) -> Millis {
    let d = settings
        .initial_backoff
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
        .min(settings.max_backoff);
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// How long a claimed delivery stays this node's: two timeouts and a margin, after which a
/// delivery whose node died is due again for any node.
pub(crate) fn claim_time(timeout: Duration) -> Duration {
    timeout.saturating_mul(2) + Duration::from_secs(10)
}

/// Whether this node may deliver row `id` of `queue`: with a shared database, only when it
/// claimed the row first (another node may be about to deliver it); always when it is the
/// only node.
pub(crate) async fn claimed(store: &Store, queue: Queue, id: i64, claim_for: Duration) -> bool {
    let now = now_millis();
    let until = now.saturating_add(i64::try_from(claim_for.as_millis()).unwrap_or(i64::MAX / 2));
    match store.claim_due(queue, vec![id], until, now).await {
        Ok(ids) => !ids.is_empty(),
        Err(e) => {
            warn!("claiming a webhook delivery failed: {e}");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_an_independent_hmac() {
        // HMAC-SHA256(key="secret", "1700000000.{\"a\":1}") computed with Python's hmac module.
        assert_eq!(
            signature("secret", 1_700_000_000, "{\"a\":1}"),
            "sha256=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
        );
    }

    #[tokio::test]
    async fn names_resolving_to_private_addresses_get_no_connection() {
        use reqwest::dns::Resolve;
        let strict = PolicyResolver(Arc::new(UrlPolicy::default()));
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let e = strict.resolve(name).await.err().expect("refused");
        assert!(e.to_string().contains("localhost"), "{e}");
        let open = PolicyResolver(Arc::new(UrlPolicy {
            allow_private: true,
            ..UrlPolicy::default()
        }));
        let addrs: Vec<SocketAddr> = open
            .resolve("localhost".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()) && !addrs.is_empty());
    }

    #[test]
    fn log_lines_show_only_scheme_host_and_port() {
        assert_eq!(
            loggable_url("https://user:pw@hooks.example.com:8443/t/SECRET?token=SECRET"),
            "https://hooks.example.com:8443"
        );
        assert_eq!(
            loggable_url(&format!(
                "{}http://10.0.0.1/x?sig=1",
                crate::providers::twilio::wire::CALLBACK_PREFIX
            )),
            "http://10.0.0.1:80"
        );
    }

    #[test]
    fn backoff_doubles_to_the_cap() {
        let s = WebhookSettings::default();
        assert_eq!(backoff(&s, 1), 2_000);
        assert_eq!(backoff(&s, 3), 8_000);
        assert_eq!(backoff(&s, 30), 3_600_000);
    }
}
