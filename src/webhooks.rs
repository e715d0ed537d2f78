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
//! with [`crate::twilio::CALLBACK_PREFIX`]) go out as Twilio's: a form with `MessageSid`,
//! `MessageStatus`, `SmsSid`, `SmsStatus`, `AccountSid`, `From`, `To`, `ApiVersion` (and
//! `ErrorCode` on failure), signed with `X-Twilio-Signature` under `[twilio_compat]
//! auth_token` — built here from the same outbox payload, so retries and ordering are shared.
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
    /// `[twilio_compat]`: signs Twilio-shaped callbacks (none: they fail and are retried).
    pub twilio: Option<TwilioSigning>,
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
            twilio: None,
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
    let sid = crate::twilio::message_sid(sid_key, id);
    let name = crate::twilio::status_name(status).to_string();
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
            crate::twilio::API_VERSION.to_string(),
        ),
    ];
    if let Some((code, _)) = crate::twilio::status_error(status) {
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
            let request = match job.url.strip_prefix(crate::twilio::CALLBACK_PREFIX) {
                None => {
                    let timestamp = now_millis() / 1000;
                    Ok(client
                        .post(&job.url)
                        .header("content-type", "application/json")
                        .header("x-smsgate-timestamp", timestamp.to_string())
                        .header(
                            "x-smsgate-signature",
                            signature(&secret, timestamp, &job.payload),
                        )
                        .body(job.payload.clone()))
                }
                Some(url) => twilio_request(
                    &client,
                    &settings,
                    sid_key.as_deref(),
                    url,
                    &job.payload,
                    format!("{}-{}", job.message_id, job.id),
                ),
            };
            let error = match request {
                Err(why) => Some(why),
                Ok(request) => match request.send().await {
                    Ok(r) if r.status().is_success() => None,
                    Ok(r) => Some(format!("HTTP {}", r.status())),
                    Err(e) => Some(e.to_string()),
                },
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
    let sig = crate::twilio::signature(&signing.auth_token, url, &params);
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
