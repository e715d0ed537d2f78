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
//! Invariants: a callback is recorded delivered only after a 2xx; the outbox, not memory,
//! is the queue, so a restart loses nothing; callbacks of one message go out in the order
//! of its status changes (oldest first).

use crate::message::{now_millis, Millis};
use crate::store::Store;
use hmac::{KeyInit, Mac};
use sha2::Sha256;
use std::time::Duration;
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
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            max_attempts: 10,
            initial_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(3600),
            timeout: Duration::from_secs(10),
            poll: Duration::from_millis(500),
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

/// `sha256=<hex>` of `"{timestamp}.{body}"` under `secret`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| <hmac::Hmac<Sha256> as KeyInit>::new(&Default::default()));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
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
    let client = match reqwest::Client::builder().timeout(settings.timeout).build() {
        Ok(c) => c,
        Err(e) => {
            warn!("no HTTP client, callbacks disabled: {e}");
            return;
        }
    };
    loop {
        let mut trouble = false;
        // A host that just failed is not tried again in this pass: one dead endpoint must
        // not hold everybody else's callbacks behind its timeouts.
        let mut failing_hosts: std::collections::HashSet<String> = std::collections::HashSet::new();
        let due = store
            .webhooks_due(now_millis(), 32)
            .await
            .unwrap_or_else(|e| {
                warn!("reading the webhook outbox failed: {e}");
                trouble = true;
                Vec::new()
            });
        let idle = due.is_empty();
        for job in due {
            if cancel.is_cancelled() {
                return;
            }
            let host = reqwest::Url::parse(&job.url)
                .ok()
                .and_then(|u| {
                    u.host_str()
                        .map(|h| format!("{h}:{}", u.port_or_known_default().unwrap_or(0)))
                })
                .unwrap_or_default();
            if failing_hosts.contains(&host) {
                continue;
            }
            let timestamp = now_millis() / 1000;
            let result = client
                .post(&job.url)
                .header("content-type", "application/json")
                .header("x-smsgate-timestamp", timestamp.to_string())
                .header(
                    "x-smsgate-signature",
                    signature(&secret, timestamp, &job.payload),
                )
                .body(job.payload.clone())
                .send()
                .await;
            let error = match result {
                Ok(r) if r.status().is_success() => None,
                Ok(r) => Some(format!("HTTP {}", r.status())),
                Err(e) => Some(e.to_string()),
            };
            let now = now_millis();
            let recorded = match error {
                None => {
                    debug!(url = %job.url, message = %job.message_id, "callback delivered");
                    store.webhook_delivered(job.id, now).await
                }
                Some(error) => {
                    failing_hosts.insert(host.clone());
                    let attempt = job.attempts + 1;
                    let next = (attempt < settings.max_attempts)
                        .then(|| now + backoff(&settings, attempt));
                    warn!(url = %job.url, message = %job.message_id, attempt, %error, gave_up = next.is_none(), "callback failed");
                    store.webhook_failed(job.id, &error, next, now).await
                }
            };
            if let Err(e) = recorded {
                warn!("recording a callback attempt failed: {e}");
                trouble = true;
            }
        }
        // Sleep when there is nothing to do, when every due job was skipped, and after any
        // store error (so a full disk does not turn into a hot loop of re-sent callbacks).
        if idle || trouble || !failing_hosts.is_empty() {
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(settings.poll) => {}
            }
        }
    }
}

fn backoff(settings: &WebhookSettings, attempt: u32) -> Millis {
    let d = settings
        .initial_backoff
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
        .min(settings.max_backoff);
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
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

    #[test]
    fn backoff_doubles_to_the_cap() {
        let s = WebhookSettings::default();
        assert_eq!(backoff(&s, 1), 2_000);
        assert_eq!(backoff(&s, 3), 8_000);
        assert_eq!(backoff(&s, 30), 3_600_000);
    }
}
