//! Provider status callbacks end to end on a daemon over the simulator, with Twilio, Vonage
//! and Plivo configured (fake base URLs: nothing is sent to them). A message is made
//! "sent through a provider" through the store itself — accepted over HTTP with a far
//! `schedule_at` (so the dispatcher never takes it), then leased and recorded as sent on a
//! second store handle with the provider's id — and callbacks signed as each provider
//! signs them (the signatures computed here independently of `callback_signatures`) move
//! it: valid signature → delivered; bad or missing signature → 403 and nothing recorded;
//! duplicates and late statuses → 200 and an "ignored" event; a callback before the send
//! was recorded → kept and adopted; the generic webhook's bad input → 400 naming the field.

use super::daemon::TestDaemon;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use hmac::{KeyInit, Mac};
use serde_json::{json, Value};
use smsgate::config::{PlivoConfig, Secret, TwilioConfig, VonageConfig};
use smsgate::http::App;
use smsgate::message::MessageId;
use smsgate::store::{SegmentReceipt, Store, StoreOptions};
use std::time::Duration;
use tower::ServiceExt;

const BASE: &str = "https://gw.example.com";
const TWILIO_TOKEN: &str = "twilio_tok_0123456789abcdef";
const VONAGE_SECRET: &str = "vonage_sig_secret";
const PLIVO_TOKEN: &str = "plivo_tok_0123456789";
/// 2099-01-01T00:00:00Z: messages scheduled then are never taken by the dispatcher.
const FAR: i64 = 4_070_908_800_000;

/// The daemon, and a second handle on its database: the test plays the dispatcher's part.
struct Running {
    daemon: TestDaemon,
    app: App,
    store: Store,
}

impl Running {
    async fn stop(self) {
        self.daemon.stop().await;
    }
}

async fn start() -> Running {
    let daemon = TestDaemon::start(|c| {
        c.limits.duplicate_window_secs = 0;
        c.providers.callback_base_url = Some(BASE.into());
        c.providers.twilio = Some(TwilioConfig {
            account_sid: "AC0123456789abcdef0123456789abcdef".into(),
            auth_token: Secret::new(TWILIO_TOKEN),
            from: "+15005550006".into(),
            base_url: "http://127.0.0.1:9".into(),
            ..TwilioConfig::default()
        });
        c.providers.vonage = Some(VonageConfig {
            api_key: "abcd1234".into(),
            api_secret: Secret::new("s3cret"),
            from: "AcmeInc".into(),
            signature_secret: Some(Secret::new(VONAGE_SECRET)),
            base_url: "http://127.0.0.1:9".into(),
            ..VonageConfig::default()
        });
        c.providers.plivo = Some(PlivoConfig {
            auth_id: "MAXXXXXXXXXXXXXXXXXX".into(),
            auth_token: Secret::new(PLIVO_TOKEN),
            from: "14155550100".into(),
            base_url: "http://127.0.0.1:9".into(),
            ..PlivoConfig::default()
        });
    })
    .await;
    let store = Store::open(
        &daemon.dir.path().join("smsgate.db"),
        StoreOptions::default(),
    )
    .await
    .unwrap();
    Running {
        app: daemon.app.clone(),
        daemon,
        store,
    }
}

async fn request(
    app: &App,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    content_type: Option<&str>,
    body: String,
) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let response = app
        .clone()
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// A message accepted over HTTP for 2099 (never dispatched); its id.
async fn accept(app: &App, segments_text: &str) -> MessageId {
    let (status, body) = request(
        app,
        "POST",
        "/api/sms/send",
        &[],
        Some("application/json"),
        json!({"to": "+12025550199", "message": segments_text,
               "schedule_at": "2099-01-01T00:00:00Z"})
        .to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    MessageId(body["messages"][0]["id"].as_i64().unwrap())
}

/// Leases the test's scheduled messages (as the dispatcher would in 2099): `sending`.
async fn lease(r: &Running) {
    let leased = r
        .store
        .lease(FAR + 1, 10, Duration::from_secs(3600))
        .await
        .unwrap();
    assert!(!leased.is_empty());
}

async fn record_sent(r: &Running, id: MessageId, route: &str, provider_ids: &[&str]) {
    let refs = provider_ids
        .iter()
        .enumerate()
        .map(|(i, p)| SegmentReceipt {
            seq: u16::try_from(i + 1).unwrap(),
            message_ref: None,
            provider_id: Some(p.to_string()),
            cost: None,
        })
        .collect();
    r.store.record_sent(id, route, refs, FAR + 2).await.unwrap();
}

/// A message sent through `route` with those provider ids (one per segment: the text has
/// as many segments).
async fn sent_through(r: &Running, route: &str, provider_ids: &[&str]) -> MessageId {
    let text = "x".repeat(150 * provider_ids.len());
    let id = accept(&r.app, &text).await;
    lease(r).await;
    record_sent(r, id, route, provider_ids).await;
    id
}

async fn detail(app: &App, id: MessageId) -> Value {
    let (status, body) = request(
        app,
        "GET",
        &format!("/api/sms/{}", id.0),
        &[],
        None,
        String::new(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn event_details(detail: &Value) -> Vec<String> {
    detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"].as_str().unwrap_or("").to_string())
        .collect()
}

fn form(params: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(params).unwrap()
}

/// X-Twilio-Signature, recomputed from Twilio's documented algorithm.
fn twilio_sig(token: &str, url: &str, params: &[(&str, &str)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort();
    let mut s = url.to_string();
    for (k, v) in sorted {
        s.push_str(k);
        s.push_str(v);
    }
    let mut mac = <hmac::Hmac<sha1::Sha1> as KeyInit>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(s.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

async fn twilio_callback(
    app: &App,
    id: MessageId,
    params: &[(&str, &str)],
    signature: Option<String>,
) -> (StatusCode, Value) {
    let query = format!("message_id={}", id.0);
    let sig = signature.unwrap_or_else(|| {
        twilio_sig(
            TWILIO_TOKEN,
            &format!("{BASE}/webhooks/twilio/status?{query}"),
            params,
        )
    });
    request(
        app,
        "POST",
        &format!("/webhooks/twilio/status?{query}"),
        &[("x-twilio-signature", &sig), ("host", "evil.example.net")],
        Some("application/x-www-form-urlencoded"),
        form(params),
    )
    .await
}

fn twilio_params<'a>(sid: &'a str, status: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("MessageSid", sid),
        ("SmsSid", sid),
        ("MessageStatus", status),
        ("SmsStatus", status),
        ("AccountSid", "AC0123456789abcdef0123456789abcdef"),
        ("From", "+15005550006"),
        ("To", "+12025550199"),
        ("ApiVersion", "2010-04-01"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilio_callbacks_move_forward_and_ignore_duplicates_and_late_ones() {
    let r = start().await;
    let sid = "SM0123456789abcdef0123456789abcdef";
    let id = sent_through(&r, "twilio", &[sid]).await;
    assert_eq!(detail(&r.app, id).await["status"], "sent");

    // A bad signature (signed with another token): 403, nothing recorded.
    let events_before = detail(&r.app, id).await["events"].as_array().unwrap().len();
    let forged = twilio_sig(
        "another token",
        &format!("{BASE}/webhooks/twilio/status?message_id={}", id.0),
        &twilio_params(sid, "delivered"),
    );
    let (status, body) =
        twilio_callback(&r.app, id, &twilio_params(sid, "delivered"), Some(forged)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // Signed over the URL the request's Host names instead of the public one: refused too.
    let host_signed = twilio_sig(
        TWILIO_TOKEN,
        &format!(
            "http://evil.example.net/webhooks/twilio/status?message_id={}",
            id.0
        ),
        &twilio_params(sid, "delivered"),
    );
    let (status, _) = twilio_callback(
        &r.app,
        id,
        &twilio_params(sid, "delivered"),
        Some(host_signed),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // No signature at all.
    let (status, _) = twilio_callback(
        &r.app,
        id,
        &twilio_params(sid, "delivered"),
        Some(String::new()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let d = detail(&r.app, id).await;
    assert_eq!(d["status"], "sent");
    assert_eq!(d["events"].as_array().unwrap().len(), events_before);

    // `sent` while sent: an event only.
    let (status, body) = twilio_callback(&r.app, id, &twilio_params(sid, "sent"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["result"], "recorded");
    // `delivered`, validly signed: the message is delivered.
    let (status, body) = twilio_callback(&r.app, id, &twilio_params(sid, "delivered"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["result"], "applied");
    assert_eq!(body["status"], "delivered");
    assert_eq!(detail(&r.app, id).await["status"], "delivered");
    // The same again: 200, ignored, recorded.
    let (status, body) = twilio_callback(&r.app, id, &twilio_params(sid, "delivered"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result"], "ignored");
    // A late `sent`: ignored, recorded.
    let (status, body) = twilio_callback(&r.app, id, &twilio_params(sid, "sent"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result"], "ignored");
    let d = detail(&r.app, id).await;
    assert_eq!(d["status"], "delivered");
    let events = event_details(&d);
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("ignored duplicate twilio status delivered")),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("ignored late twilio status sent")),
        "{events:?}"
    );
    // Another sid than the message's: ignored.
    let other = sent_through(&r, "twilio", &["SM1111111111111111aaaaaaaaaaaaaaaa"]).await;
    let (status, body) =
        twilio_callback(&r.app, other, &twilio_params(sid, "delivered"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result"], "ignored");
    assert_eq!(detail(&r.app, other).await["status"], "sent");
    // An unknown message: 404. A bad message_id: 400 naming it.
    let (status, _) = twilio_callback(
        &r.app,
        MessageId(99_999),
        &twilio_params(sid, "delivered"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let params = twilio_params(sid, "delivered");
    let sig = twilio_sig(
        TWILIO_TOKEN,
        &format!("{BASE}/webhooks/twilio/status?message_id=x"),
        &params,
    );
    let (status, body) = request(
        &r.app,
        "POST",
        "/webhooks/twilio/status?message_id=x",
        &[("x-twilio-signature", &sig)],
        Some("application/x-www-form-urlencoded"),
        form(&params),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["field"], "message_id");
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_before_the_send_was_recorded_is_kept_and_adopted() {
    let r = start().await;
    let sid = "SM2222222222222222bbbbbbbbbbbbbbbb";
    let id = accept(&r.app, "early").await;
    lease(&r).await;
    assert_eq!(detail(&r.app, id).await["status"], "sending");
    let (status, body) = twilio_callback(&r.app, id, &twilio_params(sid, "delivered"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["result"], "pending");
    assert_eq!(detail(&r.app, id).await["status"], "sending");
    record_sent(&r, id, "twilio", &[sid]).await;
    let d = detail(&r.app, id).await;
    assert_eq!(d["status"], "delivered", "{d}");
    let events = event_details(&d);
    assert!(
        events.contains(
            &"twilio status delivered (received before the send was recorded)".to_string()
        ),
        "{events:?}"
    );
    r.stop().await;
}

/// Vonage's signed-webhook `sig` (HMAC-SHA256, hex), recomputed from the reference.
fn vonage_sig(params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut s = String::new();
    for (k, v) in sorted {
        s.push_str(&format!("&{k}={}", v.replace(['&', '='], "_")));
    }
    let mut mac =
        <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(VONAGE_SECRET.as_bytes()).unwrap();
    mac.update(s.as_bytes());
    hex::encode_upper(mac.finalize().into_bytes())
}

fn vonage_dlr(message_id: &str, status: &str, timestamp: i64) -> Vec<(String, String)> {
    [
        ("msisdn", "12025550199"),
        ("to", "AcmeInc"),
        ("network-code", "310260"),
        ("messageId", message_id),
        ("price", "0.03330000"),
        ("status", status),
        ("scts", "2401151230"),
        ("err-code", if status == "delivered" { "0" } else { "5" }),
        ("api-key", "abcd1234"),
        ("message-timestamp", "2024-01-15 12:30:00"),
        ("nonce", "ec11dd3e-1e7f-4db5-9467-82b02cd223b9"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .chain([("timestamp".to_string(), timestamp.to_string())])
    .collect()
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vonage_receipts_signed_by_get_and_by_json_post() {
    let r = start().await;
    let id = sent_through(&r, "vonage", &["0A0000001234567B", "0A0000001234567C"]).await;

    // GET with the receipt in the query (Vonage appends it to our callback URL).
    let mut params = vonage_dlr("0A0000001234567B", "delivered", now_secs());
    params.push(("sig".into(), vonage_sig(&params)));
    let query = serde_urlencoded::to_string(
        [("message_id".to_string(), id.0.to_string())]
            .into_iter()
            .chain(params.clone())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let (status, body) = request(
        &r.app,
        "GET",
        &format!("/webhooks/vonage/status?{query}"),
        &[],
        None,
        String::new(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["result"], "applied");
    assert_eq!(body["status"], "sent", "one part of two");

    // The same signed receipt replayed against another of our messages: that message's
    // segments do not carry the Vonage id, so it is ignored there.
    let other = sent_through(&r, "vonage", &["0A00000099999999"]).await;
    let replay = query.replace(
        &format!("message_id={}", id.0),
        &format!("message_id={}", other.0),
    );
    let (status, body) = request(
        &r.app,
        "GET",
        &format!("/webhooks/vonage/status?{replay}"),
        &[],
        None,
        String::new(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["result"], "ignored", "{body}");
    assert_eq!(detail(&r.app, other).await["status"], "sent");
    // A receipt that names no Vonage message id is refused.
    let mut anonymous = vonage_dlr("0A0000001234567C", "delivered", now_secs());
    anonymous.retain(|(k, _)| k != "messageId");
    anonymous.push(("sig".into(), vonage_sig(&anonymous)));
    let query_anon = serde_urlencoded::to_string(
        [("message_id".to_string(), id.0.to_string())]
            .into_iter()
            .chain(anonymous)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let (status, body) = request(
        &r.app,
        "GET",
        &format!("/webhooks/vonage/status?{query_anon}"),
        &[],
        None,
        String::new(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "messageId", "{body}");

    // A tampered receipt (status changed after signing): 403, nothing recorded.
    let mut tampered = vonage_dlr("0A0000001234567C", "delivered", now_secs());
    let sig = vonage_sig(&tampered);
    for (k, v) in &mut tampered {
        if k == "status" {
            *v = "failed".into();
        }
    }
    tampered.push(("sig".into(), sig));
    let body_json: serde_json::Map<String, Value> = tampered
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let uri = format!("/webhooks/vonage/status?message_id={}", id.0);
    let (status, _) = request(
        &r.app,
        "POST",
        &uri,
        &[],
        Some("application/json"),
        Value::Object(body_json).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A correctly signed but stale one: 403.
    let mut stale = vonage_dlr("0A0000001234567C", "delivered", now_secs() - 3600);
    stale.push(("sig".into(), vonage_sig(&stale)));
    let stale_json: serde_json::Map<String, Value> = stale
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let (status, _) = request(
        &r.app,
        "POST",
        &uri,
        &[],
        Some("application/json"),
        Value::Object(stale_json).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Unsigned: 403.
    let unsigned: serde_json::Map<String, Value> =
        vonage_dlr("0A0000001234567C", "delivered", now_secs())
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
    let (status, _) = request(
        &r.app,
        "POST",
        &uri,
        &[],
        Some("application/json"),
        Value::Object(unsigned).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(detail(&r.app, id).await["status"], "sent");

    // The second part, signed, by JSON POST: the message is delivered, the price recorded.
    let mut part2 = vonage_dlr("0A0000001234567C", "delivered", now_secs());
    part2.push(("sig".into(), vonage_sig(&part2)));
    let part2_json: serde_json::Map<String, Value> = part2
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let (status, body) = request(
        &r.app,
        "POST",
        &uri,
        &[],
        Some("application/json"),
        Value::Object(part2_json).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "delivered");
    let d = detail(&r.app, id).await;
    assert_eq!(d["status"], "delivered");
    let events = event_details(&d);
    assert!(
        events.iter().any(|e| e.starts_with(
            "vonage status delivered, price 0.03330000, reported 2024-01-15T12:30:00Z"
        )),
        "{events:?}"
    );
    r.stop().await;
}

/// X-Plivo-Signature-V3 recomputed from the reference.
fn plivo_sig(url_no_query: &str, query: &str, params: &[(&str, &str)], nonce: &str) -> String {
    let mut sorted = params.to_vec();
    sorted.sort();
    let mut s = format!("{url_no_query}?{query}.");
    for (k, v) in sorted {
        s.push_str(k);
        s.push_str(v);
    }
    s.push('.');
    s.push_str(nonce);
    let mut mac =
        <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(PLIVO_TOKEN.as_bytes()).unwrap();
    mac.update(s.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plivo_callbacks_verify_v3_signatures() {
    let r = start().await;
    let uuid = "db3ce55a-7f1d-11e1-8ea7-1231380bc196";
    let id = sent_through(&r, "plivo", &[uuid]).await;
    let query = format!("message_id={}", id.0);
    let params = [
        ("MessageUUID", uuid),
        ("Status", "undelivered"),
        ("ErrorCode", "50"),
        ("From", "14155550100"),
        ("To", "12025550199"),
        ("TotalAmount", "0.00350"),
        ("TotalRate", "0.00350"),
        ("Units", "1"),
    ];
    let nonce = "12345678901234567890";
    let good = plivo_sig(
        &format!("{BASE}/webhooks/plivo/status"),
        &query,
        &params,
        nonce,
    );
    let uri = format!("/webhooks/plivo/status?{query}");
    let post = |sig: String, nonce: String| {
        let app = r.app.clone();
        let uri = uri.clone();
        let body = form(&params);
        async move {
            request(
                &app,
                "POST",
                &uri,
                &[
                    ("x-plivo-signature-v3", &sig),
                    ("x-plivo-signature-v3-nonce", &nonce),
                ],
                Some("application/x-www-form-urlencoded"),
                body,
            )
            .await
        }
    };
    // Wrong nonce, wrong signature, none: 403, nothing changed.
    let (status, _) = post(good.clone(), "99999999999999999999".into()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post("bm90IGl0".into(), nonce.into()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post(String::new(), String::new()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(detail(&r.app, id).await["status"], "sent");
    // Rotated tokens: several signatures, one good.
    let (status, body) = post(format!("bm90IGl0,{good}"), nonce.into()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "undelivered");
    let d = detail(&r.app, id).await;
    assert_eq!(d["status"], "undelivered");
    assert_eq!(
        d["error"],
        "plivo status undelivered, error 50, price 0.00350"
    );
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generic_webhook_validates_and_records() {
    let r = start().await;
    let id = sent_through(&r, "aws_sns", &["5f1e2d3c-sns"]).await;
    let uri = format!("/api/sms/{}/webhook", id.0);
    let post = |body: Value| {
        let app = r.app.clone();
        let uri = uri.clone();
        async move {
            request(
                &app,
                "POST",
                &uri,
                &[],
                Some("application/json"),
                body.to_string(),
            )
            .await
        }
    };
    for (body, field) in [
        (json!({}), "status"),
        (json!({"status": "arrived"}), "status"),
        (
            json!({"status": "delivered", "timestamp": "yesterday"}),
            "timestamp",
        ),
        (
            json!({"status": "delivered", "provider": "carrier-pigeon"}),
            "provider",
        ),
        (
            json!({"status": "delivered", "error_code": {"x": 1}}),
            "error_code",
        ),
        (json!({"status": "delivered", "colour": "red"}), "colour"),
        (json!({"status": 7}), "status"),
    ] {
        let (status, answer) = post(body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {answer}");
        assert_eq!(answer["error"]["field"], field, "{body} → {answer}");
    }
    assert_eq!(detail(&r.app, id).await["status"], "sent");
    // Another provider than the message went through: ignored.
    let (status, answer) = post(json!({"status": "delivered", "provider": "twilio"})).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["result"], "ignored");
    let (status, answer) = post(
        json!({"status": "delivered", "timestamp": "2024-01-15T10:05:00Z",
                                       "provider": "aws_sns", "error_code": null}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["status"], "delivered");
    let (status, answer) = post(json!({"status": "undelivered", "provider": "aws_sns"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["result"], "ignored");
    assert_eq!(detail(&r.app, id).await["status"], "delivered");
    // Unknown message: 404.
    let (status, _) = request(
        &r.app,
        "POST",
        "/api/sms/99999/webhook",
        &[],
        Some("application/json"),
        json!({"status": "delivered"}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_or_unconfigured_providers_are_404() {
    let r = start().await;
    for path in ["/webhooks/clickatell/status", "/webhooks/aws_sns/status"] {
        let (status, _) = request(&r.app, "POST", path, &[], None, String::new()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    r.stop().await;
    // Without callback_base_url no provider route exists (a signature could not be checked).
    let daemon = TestDaemon::start(|c| {
        c.simulator.modems = 1;
        c.providers.twilio = Some(TwilioConfig {
            account_sid: "AC0123456789abcdef0123456789abcdef".into(),
            auth_token: Secret::new(TWILIO_TOKEN),
            from: "+15005550006".into(),
            ..TwilioConfig::default()
        });
    })
    .await;
    let (status, _) = request(
        &daemon.app,
        "POST",
        "/webhooks/twilio/status",
        &[],
        None,
        String::new(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    daemon.stop().await;
}
