//! What every provider route shares: the HTTP client with its timeouts, the classification
//! of transport failures and HTTP statuses, `Retry-After`, the per-second rate limit, the
//! pause after a 429 or a credential failure, the snapshot, form encoding, and the mapping
//! of a provider's message ids onto our segments.
//!
//! Invariants: an error that left no doubt that the request never reached the provider
//! (connect, DNS, refused, TLS handshake) is `RetryElsewhere`; any failure after the request
//! may have been sent (timeout, reset, unreadable answer, a 5xx without a provider error
//! body) is `Ambiguous` — never resent blindly. Messages never appear in errors or logs.

use crate::config::{ConfigError, ProviderLimits};
use crate::ratelimit::{Denied, Limiter, Window};
use crate::route::{ErrorClass, OutboundMessage, RouteError, RouteSnapshot, SegmentReceipt};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Messages one provider route sends at the same time.
pub const CONCURRENCY: usize = 8;
/// How long a route rests after a 429 without `Retry-After`.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);
/// The longest `Retry-After` honoured (a longer one is cut to this).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);
/// How long a route whose credentials were refused stays out of the balancer.
pub const BROKEN_PAUSE: Duration = Duration::from_secs(300);

/// An HTTP answer, read whole.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// `Retry-After`, when present and readable.
    pub retry_after: Option<Duration>,
    /// The body (empty when it could not be read).
    pub body: String,
}

#[derive(Debug, Default)]
struct State {
    /// Not ready before this (429, refused credentials).
    paused_until: Option<Instant>,
}

/// The part of a provider route that is the same for every provider.
pub struct Core {
    name: &'static str,
    client: reqwest::Client,
    limits: ProviderLimits,
    in_flight: AtomicUsize,
    sent_segments: AtomicU64,
    fragment_segments: AtomicU64,
    state: Mutex<State>,
    /// Requests started, against `per_second`.
    per_second: Limiter,
    /// Time zero of the limiter's clock (tokio's, so paused-time tests are exact).
    epoch: Instant,
}

/// Decrements the in-flight count however the send ends.
pub struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Core {
    /// A core named `name` with its own client (errors name `providers.{name}`).
    pub fn new(name: &'static str, limits: ProviderLimits) -> Result<Self, ConfigError> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(limits.connect_timeout_ms))
            .timeout(Duration::from_millis(limits.timeout_ms))
            .user_agent(concat!("smsgate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::new(format!("providers.{name}"), e.to_string()))?;
        Ok(Self {
            name,
            client,
            limits,
            in_flight: AtomicUsize::new(0),
            sent_segments: AtomicU64::new(0),
            fragment_segments: AtomicU64::new(0),
            state: Mutex::new(State::default()),
            per_second: Limiter::new([Window::per_second(limits.per_second)]),
            epoch: Instant::now(),
        })
    }

    /// The route's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The configured cost of a message, for answers that carry none.
    pub fn cost_per_message(&self) -> Option<f64> {
        self.limits.cost_per_message
    }

    /// The HTTP client.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Milliseconds since the route was made, on tokio's clock.
    fn now_ms(&self) -> i64 {
        i64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(i64::MAX)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What the balancer sees.
    pub fn snapshot(&self) -> RouteSnapshot {
        let now = Instant::now();
        let ready = self.state().paused_until.is_none_or(|t| now >= t);
        // `per_second` counts messages; the balancer asks for segments. A message takes
        // one unit whatever its length, so "any room left" is unlimited.
        let allowance = self
            .per_second
            .allowance(self.now_ms())
            .and_then(|left| (left == 0).then_some(0));
        RouteSnapshot {
            name: self.name.to_string(),
            ready,
            in_flight: self.in_flight.load(Ordering::Acquire),
            concurrency: CONCURRENCY,
            allowance,
            sent_segments: self.sent_segments.load(Ordering::Relaxed),
            fragment_segments: self.fragment_segments.load(Ordering::Relaxed),
            weight: 1,
            prefixes: Vec::new(),
            cost_per_segment: self.limits.cost_per_message.unwrap_or(0.0),
        }
    }

    /// Counts a send in flight until the guard drops, then waits for a slot of the
    /// per-second limit (a send the balancer let through at the edge of a second waits
    /// for the next one rather than failing).
    pub async fn begin(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        let guard = InFlight(&self.in_flight);
        while let Err(Denied::Later { retry_after, .. }) = self.per_second.acquire(1, self.now_ms())
        {
            tokio::time::sleep(retry_after).await;
        }
        guard
    }

    /// Keeps the route out of the balancer for `d` (the longer of this and any pause
    /// already set).
    pub fn pause(&self, d: Duration) {
        let until = Instant::now() + d.min(MAX_RETRY_AFTER);
        let mut state = self.state();
        state.paused_until = Some(state.paused_until.map_or(until, |t| t.max(until)));
    }

    /// Counts parts the provider accepted of a message it then refused.
    pub fn record_fragment(&self, segments: usize) {
        self.fragment_segments
            .fetch_add(segments as u64, Ordering::Relaxed);
    }

    /// Counts segments handed to the provider.
    pub fn record_sent(&self, segments: usize) {
        self.sent_segments
            .fetch_add(segments as u64, Ordering::Relaxed);
    }

    /// A `RouteError` of this route; a 429-like class pauses the route for `retry_after`
    /// (or a second), a broken route for [`BROKEN_PAUSE`].
    pub fn error(
        &self,
        class: ErrorClass,
        message: impl Into<String>,
        retry_after: Option<Duration>,
    ) -> RouteError {
        match class {
            ErrorClass::RetryHere => self.pause(retry_after.unwrap_or(DEFAULT_RETRY_AFTER)),
            ErrorClass::RouteBroken => self.pause(BROKEN_PAUSE),
            _ => {}
        }
        RouteError {
            route: self.name.to_string(),
            class,
            message: message.into(),
            sent_segments: 0,
        }
    }

    /// Sends the request and reads the whole answer; a transport failure is classified.
    pub async fn execute(&self, request: reqwest::RequestBuilder) -> Result<Answer, RouteError> {
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                let (class, message) = classify_transport(&e, self.limits.timeout_ms);
                return Err(self.error(class, message, None));
            }
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, time::OffsetDateTime::now_utc()));
        match read_capped(response, MAX_ANSWER_BYTES).await {
            Ok(body) => Ok(Answer {
                status,
                retry_after,
                body,
            }),
            // The status line came, the body did not: the provider got the request.
            Err(why) => Err(self.error(
                ErrorClass::Ambiguous,
                format!(
                    "HTTP {status} but the answer could not be read ({why}): the message may have been sent"
                ),
                None,
            )),
        }
    }
}

/// The largest provider answer read: every documented answer is a few kilobytes; a
/// misbehaving endpoint must not make the daemon buffer without bound.
pub const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// The answer's body as text, refusing one larger than `cap` bytes.
async fn read_capped(mut response: reqwest::Response, cap: usize) -> Result<String, String> {
    let mut body: Vec<u8> = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len().saturating_add(chunk.len()) > cap {
                    return Err(format!("larger than {cap} bytes"));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(String::from_utf8_lossy(&body).into_owned()),
            Err(e) => return Err(e.without_url().to_string()),
        }
    }
}

/// A transport failure → its class and a message (no URL: it may carry an account id).
pub fn classify_transport(e: &reqwest::Error, timeout_ms: u64) -> (ErrorClass, String) {
    let e_text = {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        text.replace(e.url().map(|u| u.as_str()).unwrap_or("\u{0}"), "<url>")
    };
    if e.is_connect() {
        (
            ErrorClass::RetryElsewhere,
            format!("could not connect, the request was not sent: {e_text}"),
        )
    } else if e.is_builder() {
        (
            ErrorClass::RetryElsewhere,
            format!("the request could not be built, nothing was sent: {e_text}"),
        )
    } else if e.is_timeout() {
        (
            ErrorClass::Ambiguous,
            format!("no answer within {timeout_ms} ms after the request was sent: it may have been delivered"),
        )
    } else {
        (
            ErrorClass::Ambiguous,
            format!("the request failed after it may have been sent: {e_text}"),
        )
    }
}

/// The classes that follow from the HTTP status alone, for statuses every provider uses
/// the same way: 401/403 → broken credentials, 429 → retry later here. `None`: the
/// provider's body decides.
pub fn classify_status(status: u16) -> Option<ErrorClass> {
    match status {
        401 | 403 => Some(ErrorClass::RouteBroken),
        429 => Some(ErrorClass::RetryHere),
        _ => None,
    }
}

/// `Retry-After`: delta-seconds, or an HTTP date (RFC 2822 form) relative to `now`.
pub fn parse_retry_after(value: &str, now: time::OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    // HTTP dates end in `GMT`, which is RFC 2822's obsolete zone: read it as `+0000`.
    let value = match value.strip_suffix(" GMT") {
        Some(rest) => format!("{rest} +0000"),
        None => value.to_string(),
    };
    let when =
        time::OffsetDateTime::parse(&value, &time::format_description::well_known::Rfc2822).ok()?;
    let delta = when - now;
    Some(Duration::try_from(delta).unwrap_or(Duration::ZERO))
}

/// `application/x-www-form-urlencoded` serialisation (WHATWG): letters, digits and `*-._`
/// as they are, space as `+`, every other byte of the UTF-8 as `%XX`.
pub fn form_encode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_component(&mut out, k);
        out.push('=');
        encode_component(&mut out, v);
    }
    out
}

fn encode_component(out: &mut String, s: &str) {
    use std::fmt::Write;
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            // Writing to a String cannot fail.
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
}

/// Our status-callback URL for a message: `{base}{path}?message_id={id}` (`None` when no
/// `callback_base_url` is configured).
pub fn callback_url(base: Option<&str>, path: &str, message: &OutboundMessage) -> Option<String> {
    base.map(|b| {
        format!(
            "{}{path}?message_id={}",
            b.trim_end_matches('/'),
            message.id
        )
    })
}

/// Maps a provider's per-part ids (and costs) onto our segments, in order: part *i* to
/// segment *i*. When the provider split into more parts than we did, the extra ids are
/// joined with `,` onto our last segment and their costs added to it; when into fewer
/// (Vonage packs 153 septets where we put 152; a provider may answer one id for all), our
/// remaining segments carry the last part's id (no cost), so that part's delivery receipt
/// settles them too — a segment without an id would wait for a receipt that never comes.
/// A message without segments gets no receipts.
pub fn receipts_for_parts(
    message: &OutboundMessage,
    parts: &[(String, Option<f64>)],
) -> Vec<SegmentReceipt> {
    let n = message.segments.len();
    message
        .segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mine: &[(String, Option<f64>)] = if i + 1 == n {
                parts.get(i..).unwrap_or(&[])
            } else {
                parts.get(i..=i).unwrap_or(&[])
            };
            let mut ids: Vec<&str> = mine.iter().map(|(id, _)| id.as_str()).collect();
            if ids.is_empty() {
                ids.extend(parts.last().map(|(id, _)| id.as_str()));
            }
            let cost = mine
                .iter()
                .filter_map(|(_, c)| *c)
                .fold(None, |acc: Option<f64>, c| Some(acc.unwrap_or(0.0) + c));
            SegmentReceipt {
                seq: s.seq,
                message_ref: None,
                provider_id: (!ids.is_empty()).then(|| ids.join(",")),
                cost,
            }
        })
        .collect()
}

/// Receipts for a provider that answers with one id for the whole message: every segment
/// carries that id (a callback by id finds them all); the cost goes on the first.
pub fn receipts_for_message(
    message: &OutboundMessage,
    id: Option<&str>,
    cost: Option<f64>,
) -> Vec<SegmentReceipt> {
    message
        .segments
        .iter()
        .enumerate()
        .map(|(i, s)| SegmentReceipt {
            seq: s.seq,
            message_ref: None,
            provider_id: id.map(str::to_string),
            cost: if i == 0 { cost } else { None },
        })
        .collect()
}

/// `+15558675310` → `15558675310` (Vonage and Plivo write numbers without the plus).
pub fn without_plus(number: &str) -> &str {
    number.strip_prefix('+').unwrap_or(number)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::message::{MessageId, SmsType};
    use crate::route::OutboundSegment;

    pub(crate) fn message(segments: u16) -> OutboundMessage {
        OutboundMessage {
            id: MessageId(42),
            recipient: "+15558675310".into(),
            body: "Hi ✓".into(),
            sms_type: SmsType::Transactional,
            expire_at: None,
            segments: (1..=segments)
                .map(|seq| OutboundSegment {
                    seq,
                    pdu_hex: String::new(),
                    tpdu_length: 0,
                })
                .collect(),
        }
    }

    /// A one-shot HTTP server on loopback answering with `body` (status 200).
    async fn answering(body: Vec<u8>) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf).await;
            let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len());
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&body).await;
        });
        format!("http://{addr}/")
    }

    #[tokio::test]
    async fn an_answer_beyond_the_cap_is_refused_not_buffered() {
        let url = answering(vec![b'x'; MAX_ANSWER_BYTES + 1]).await;
        let response = reqwest::get(&url).await.unwrap();
        let e = read_capped(response, MAX_ANSWER_BYTES).await.unwrap_err();
        assert!(e.contains("larger than"), "{e}");
        let url = answering(b"{\"ok\":true}".to_vec()).await;
        let response = reqwest::get(&url).await.unwrap();
        assert_eq!(
            read_capped(response, MAX_ANSWER_BYTES).await.unwrap(),
            "{\"ok\":true}"
        );
    }

    #[test]
    fn form_encoding_matches_the_sigv4_vector() {
        assert_eq!(
            form_encode([
                ("PhoneNumber", "+15558675310"),
                ("Message", "Hi ✓"),
                ("Name", "AWS.SNS.SMS.SenderID"),
                ("x", "a&b=c/d~e*f"),
            ]),
            "PhoneNumber=%2B15558675310&Message=Hi+%E2%9C%93&Name=AWS.SNS.SMS.SenderID&x=a%26b%3Dc%2Fd%7Ee*f"
        );
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = time::macros::datetime!(2015-10-21 07:28:00 UTC);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 +0000", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    #[test]
    fn statuses_every_provider_shares() {
        assert_eq!(classify_status(401), Some(ErrorClass::RouteBroken));
        assert_eq!(classify_status(403), Some(ErrorClass::RouteBroken));
        assert_eq!(classify_status(429), Some(ErrorClass::RetryHere));
        assert_eq!(classify_status(400), None);
        assert_eq!(classify_status(500), None);
    }

    #[test]
    fn parts_map_onto_segments_in_order() {
        let p = |id: &str, c: f64| (id.to_string(), Some(c));
        let ids = |r: &[SegmentReceipt]| {
            r.iter()
                .map(|r| (r.seq, r.provider_id.clone(), r.cost))
                .collect::<Vec<_>>()
        };
        // As many parts as segments: one each.
        assert_eq!(
            ids(&receipts_for_parts(
                &message(2),
                &[p("a", 0.1), p("b", 0.2)]
            )),
            [
                (1, Some("a".into()), Some(0.1)),
                (2, Some("b".into()), Some(0.2))
            ]
        );
        // More parts: the extra ones go to the last segment.
        let r = receipts_for_parts(&message(2), &[p("a", 0.1), p("b", 0.2), p("c", 0.25)]);
        assert_eq!(r[1].provider_id.as_deref(), Some("b,c"));
        assert!((r[1].cost.unwrap() - 0.45).abs() < 1e-9);
        // Fewer parts: the rest carry the last part's id (its receipt settles them).
        assert_eq!(
            ids(&receipts_for_parts(&message(3), &[p("a", 0.1)])),
            [
                (1, Some("a".into()), Some(0.1)),
                (2, Some("a".into()), None),
                (3, Some("a".into()), None)
            ]
        );
        assert!(receipts_for_parts(&message(0), &[p("a", 0.1)]).is_empty());
        // One id for the whole message: on every segment, the cost on the first.
        assert_eq!(
            ids(&receipts_for_message(
                &message(2),
                Some("SM1"),
                Some(0.0075)
            )),
            [
                (1, Some("SM1".into()), Some(0.0075)),
                (2, Some("SM1".into()), None)
            ]
        );
    }

    #[test]
    fn callback_urls_carry_our_id() {
        assert_eq!(
            callback_url(
                Some("https://gw.example.com/"),
                "/webhooks/twilio/status",
                &message(1)
            ),
            Some("https://gw.example.com/webhooks/twilio/status?message_id=42".into())
        );
        assert_eq!(callback_url(None, "/x", &message(1)), None);
    }

    #[tokio::test(start_paused = true)]
    async fn per_second_limit_shows_in_the_snapshot_and_paces_sends() {
        let core = Core::new(
            "test",
            ProviderLimits {
                timeout_ms: 1000,
                connect_timeout_ms: 100,
                per_second: 2,
                cost_per_message: Some(0.05),
            },
        )
        .unwrap();
        let s = core.snapshot();
        assert!(s.ready);
        assert_eq!(s.allowance, None);
        assert_eq!(s.cost_per_segment, 0.05);
        let start = Instant::now();
        drop(core.begin().await);
        let g = core.begin().await;
        assert_eq!(core.snapshot().in_flight, 1);
        assert_eq!(core.snapshot().allowance, Some(0));
        assert!(!core.snapshot().can_take("+1555", 1));
        drop(g);
        // The third send of the second waits for the first to leave the window.
        drop(core.begin().await);
        assert_eq!(start.elapsed(), Duration::from_secs(1));
        assert_eq!(core.snapshot().in_flight, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_pauses_the_route_for_its_retry_after() {
        let core = Core::new(
            "test",
            ProviderLimits {
                timeout_ms: 1000,
                connect_timeout_ms: 100,
                per_second: 0,
                cost_per_message: None,
            },
        )
        .unwrap();
        let e = core.error(ErrorClass::RetryHere, "429", Some(Duration::from_secs(7)));
        assert_eq!(e.class, ErrorClass::RetryHere);
        assert!(!core.snapshot().ready);
        tokio::time::advance(Duration::from_millis(6_999)).await;
        assert!(!core.snapshot().ready);
        tokio::time::advance(Duration::from_millis(1)).await;
        assert!(core.snapshot().ready);
        core.error(ErrorClass::RouteBroken, "401", None);
        tokio::time::advance(BROKEN_PAUSE - Duration::from_millis(1)).await;
        assert!(!core.snapshot().ready);
        tokio::time::advance(Duration::from_millis(1)).await;
        assert!(core.snapshot().ready);
        // A permanent error leaves the route as it was.
        core.error(ErrorClass::Permanent, "bad number", None);
        assert!(core.snapshot().ready);
    }
}
