//! Webhook subscriptions end to end: a real daemon on the simulated network, driven through
//! its router, delivering to real HTTP receivers the tests start on loopback (so
//! `[webhooks] allow_private` is on, except where the refusal itself is tested). Each
//! receiver records every request and answers 200, or 503 while it is "down"; the tests
//! check the HMAC signature themselves with the secret the API handed out. Real time, short
//! backoffs from the config; state is awaited by bounded polling, never by sleeping.

use super::api::{call, get, post};
use super::daemon::TestDaemon;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};
use smsgate::config::Config;
use smsgate::modem::ModemState;
use smsgate::sim::InboundOptions;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const EXTERNAL: &str = "+4915112345678";

/// One request a receiver got, and what it answered.
#[derive(Clone, Debug)]
pub(super) struct Hit {
    headers: HeaderMap,
    body: String,
    answered: u16,
}

impl Hit {
    pub(super) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }

    pub(super) fn kind(&self) -> String {
        self.json()["type"].as_str().unwrap().to_string()
    }

    pub(super) fn event_id(&self) -> String {
        self.json()["id"].as_str().unwrap().to_string()
    }

    /// Whether the signature checks out under `secret`, as a receiver would check it.
    pub(super) fn signed_by(&self, secret: &str) -> bool {
        use hmac::{KeyInit, Mac};
        let timestamp = self.headers["x-smsgate-timestamp"].to_str().unwrap();
        let Some(hex_sig) = self.headers["x-smsgate-signature"]
            .to_str()
            .unwrap()
            .strip_prefix("sha256=")
        else {
            return false;
        };
        let mut mac =
            <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{timestamp}.{}", self.body).as_bytes());
        // verify_slice compares in constant time, as the docs tell receivers to.
        mac.verify_slice(&hex::decode(hex_sig).unwrap()).is_ok()
    }
}

/// A local HTTP receiver: records every request; answers 503 while `down`, else 200.
pub(super) struct Receiver {
    pub(super) url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    down: Arc<AtomicBool>,
}

impl Receiver {
    pub(super) async fn start(down: bool) -> Receiver {
        let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
        let down = Arc::new(AtomicBool::new(down));
        let (h, d) = (hits.clone(), down.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let (hits, down) = (h.clone(), d.clone());
                async move {
                    let status = if down.load(Ordering::SeqCst) {
                        StatusCode::SERVICE_UNAVAILABLE
                    } else {
                        StatusCode::OK
                    };
                    hits.lock().unwrap().push(Hit {
                        headers,
                        body,
                        answered: status.as_u16(),
                    });
                    status
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, hits, down }
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// The requests it answered 200, in arrival order.
    pub(super) fn accepted(&self) -> Vec<Hit> {
        self.hits()
            .into_iter()
            .filter(|h| h.answered == 200)
            .collect()
    }

    /// Waits (at most 30 s) until `done` holds over every request so far.
    async fn wait(&self, what: &str, done: impl Fn(&[Hit]) -> bool) -> Vec<Hit> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let hits = self.hits();
            if done(&hits) {
                return hits;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what}: never happened; got {:?}",
                hits.iter()
                    .map(|h| (h.answered, &h.body))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Loopback receivers allowed; retries after 50 ms, at most 200 ms apart.
fn fast(c: &mut Config) {
    c.webhooks.allow_private = Some(true);
    c.webhooks.backoff_initial_ms = 50;
    c.webhooks.backoff_max_ms = 200;
}

async fn start(tweak: impl FnOnce(&mut Config)) -> TestDaemon {
    let d = TestDaemon::start(tweak).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !d
        .service()
        .modems()
        .iter()
        .all(|m| m.status.state == ModemState::Ready)
    {
        assert!(tokio::time::Instant::now() < deadline, "modems never ready");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    d
}

/// Creates a subscription; returns its id and secret.
async fn subscribe(d: &TestDaemon, url: &str, events: &[&str]) -> (String, String) {
    let (status, body) = post(
        &d.app,
        "/api/webhooks",
        json!({"url": url, "events": events, "description": "test receiver"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (
        body["id"].as_str().unwrap().to_string(),
        body["secret"].as_str().unwrap().to_string(),
    )
}

async fn send(d: &TestDaemon, to: &str, text: &str) -> Value {
    let (status, body) = post(&d.app, "/api/sms/send", json!({"to": to, "message": text})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["messages"][0]["id"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_reach_a_real_receiver_signed_with_the_subscriptions_secret() {
    let d = start(fast).await;
    let receiver = Receiver::start(false).await;
    let (id, secret) = subscribe(
        &d,
        &receiver.url,
        &["sms.received", "sms.sent", "sms.delivered"],
    )
    .await;
    assert!(id.starts_with("wh_") && id.len() == 27, "{id}");
    assert!(secret.len() >= 32, "{secret}");

    let to = d.sim().msisdn(1);
    let message = send(&d, &to, "hello from the gateway").await;
    d.sim()
        .inject_inbound(0, EXTERNAL, "hello, gateway", InboundOptions::default())
        .unwrap();
    let from_external =
        |h: &Hit| h.kind() == "sms.received" && h.json()["data"]["from"] == EXTERNAL;
    let of_message = |h: &Hit, kind: &str| h.kind() == kind && h.json()["data"]["id"] == message;
    let hits = receiver
        .wait("sent, delivered and received", |hits| {
            hits.iter().any(from_external)
                && hits.iter().any(|h| of_message(h, "sms.sent"))
                && hits.iter().any(|h| of_message(h, "sms.delivered"))
        })
        .await;

    for hit in &hits {
        assert!(hit.signed_by(&secret), "bad signature on {}", hit.body);
        assert!(!hit.signed_by("some other secret"));
        let body = hit.json();
        let keys: HashSet<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, HashSet::from(["id", "type", "created_at", "data"]));
        assert!(body["id"].as_str().unwrap().starts_with("evt_"));
        assert_eq!(hit.headers["x-smsgate-event"], hit.kind().as_str());
        assert_eq!(hit.headers["x-smsgate-event-id"], hit.event_id().as_str());
        assert_eq!(hit.headers["content-type"], "application/json");
        let created = body["created_at"].as_str().unwrap();
        assert!(
            smsgate::message::parse_rfc3339(created).is_some(),
            "{created}"
        );
        assert!(
            ["sms.received", "sms.sent", "sms.delivered"].contains(&hit.kind().as_str()),
            "an event nobody subscribed to: {}",
            hit.body
        );
    }
    let sent: Vec<&Hit> = hits.iter().filter(|h| of_message(h, "sms.sent")).collect();
    let delivered = hits
        .iter()
        .position(|h| of_message(h, "sms.delivered"))
        .unwrap();
    assert!(
        hits.iter().position(|h| of_message(h, "sms.sent")).unwrap() < delivered,
        "per-subscription order: sent before delivered"
    );
    assert_eq!(sent[0].json()["data"]["to"], to.as_str());
    assert_eq!(sent[0].json()["data"]["status"], "sent");

    let received = hits.iter().find(|h| from_external(h)).unwrap().json();
    let data = &received["data"];
    assert_eq!(data["text"], "hello, gateway");
    assert_eq!(data["to"], d.sim().msisdn(0).as_str());
    assert_eq!(data["encoding"], "gsm7");
    assert_eq!(data["modem"], "sim0");
    assert_eq!(data["parts"], 1);
    assert!(data["id"].as_i64().is_some(), "{data}");
    assert!(data["conversation_id"].as_i64().is_some(), "{data}");
    assert!(
        data["received_at"]
            .as_str()
            .and_then(smsgate::message::parse_rfc3339)
            .is_some(),
        "{data}"
    );
    let (_, inbound) = get(&d.app, &format!("/api/inbound/{}", data["id"])).await;
    assert_eq!(inbound["text"], "hello, gateway");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_was_down_gets_every_event_once_in_order_and_holds_no_one_else_up() {
    let d = start(fast).await;
    let slow = Receiver::start(true).await;
    let healthy = Receiver::start(false).await;
    let (slow_id, slow_secret) = subscribe(&d, &slow.url, &["sms.queued", "sms.sent"]).await;
    let (_, healthy_secret) = subscribe(&d, &healthy.url, &["sms.queued", "sms.sent"]).await;

    let to = d.sim().msisdn(1);
    for i in 0..5 {
        send(&d, &to, &format!("message {i}")).await;
    }
    // The healthy receiver has every event while the other one is still refusing them.
    let got = healthy
        .wait("the healthy receiver has all ten events", |h| h.len() >= 10)
        .await;
    assert_eq!(got.len(), 10, "no duplicates to a healthy receiver");
    assert!(got.iter().all(|h| h.signed_by(&healthy_secret)));
    assert!(slow.accepted().is_empty());
    // The dead receiver is retried — its oldest event only: order per subscription.
    let tried = slow
        .wait("three attempts at the dead receiver", |h| h.len() >= 3)
        .await;
    let first = tried[0].event_id();
    assert!(
        tried.iter().all(|h| h.event_id() == first),
        "only the head of the queue is tried while it fails"
    );
    let (_, history) = get(&d.app, &format!("/api/webhooks/{slow_id}/deliveries")).await;
    assert_eq!(history["total"], 10);
    let head = history["deliveries"].as_array().unwrap().last().unwrap();
    assert_eq!(head["event_id"], first.as_str());
    assert_eq!(head["last_status"], 503);
    assert_eq!(head["status"], "pending");
    assert!(head["attempts"].as_u64().unwrap() >= 2, "{head}");
    assert!(head["next_attempt_at"].is_string(), "{head}");

    slow.down.store(false, Ordering::SeqCst);
    let all = slow
        .wait("the recovered receiver has all ten", |h| {
            h.iter().filter(|h| h.answered == 200).count() >= 10
        })
        .await;
    let accepted: Vec<String> = all
        .iter()
        .filter(|h| h.answered == 200)
        .map(Hit::event_id)
        .collect();
    let unique: HashSet<&String> = accepted.iter().collect();
    assert_eq!(unique.len(), accepted.len(), "a duplicate: {accepted:?}");
    assert!(all.iter().all(|h| h.signed_by(&slow_secret)));
    // The same events, in the same order, as the healthy receiver got them.
    let healthy_order: Vec<String> = got.iter().map(Hit::event_id).collect();
    let mut slow_types: Vec<String> = Vec::new();
    for h in all.iter().filter(|h| h.answered == 200) {
        slow_types.push(h.kind());
    }
    assert_eq!(accepted.len(), healthy_order.len());
    // The receiver counts a request before the daemon has recorded its answer: wait for the
    // records too.
    let history = super::api::wait_for(
        &d.app,
        &format!("/api/webhooks/{slow_id}/deliveries"),
        |v| {
            v["deliveries"]
                .as_array()
                .is_some_and(|all| all.iter().all(|d| d["status"] == "delivered"))
        },
        "every delivery recorded delivered",
    )
    .await;
    let written: Vec<String> = history["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|d| d["event_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(accepted, written, "delivered in the order written");
    assert_eq!(healthy_order, written, "both receivers saw one order");
    assert!(history["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["status"] == "delivered" && d["last_status"] == 200));
    // Every message's queued event precedes its sent event.
    for (i, h) in all.iter().filter(|h| h.answered == 200).enumerate() {
        if h.kind() == "sms.sent" {
            let id = &h.json()["data"]["id"];
            let queued = all
                .iter()
                .filter(|h| h.answered == 200)
                .position(|q| q.kind() == "sms.queued" && &q.json()["data"]["id"] == id)
                .unwrap();
            assert!(queued < i, "sms.queued of {id} after its sms.sent");
        }
    }
    assert_eq!(slow_types.iter().filter(|t| *t == "sms.queued").count(), 5);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receivers_on_private_addresses_and_other_schemes_are_refused() {
    let d = start(|_| {}).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://169.254.169.254/latest/meta-data",
        "file:///etc/passwd",
        "http://10.0.0.7/hook",
        "http://localhost/hook",
        "http://user:pw@hooks.example.com/hook",
    ] {
        let (status, body) = post(
            &d.app,
            "/api/webhooks",
            json!({"url": url, "events": ["sms.received"]}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {body}");
        assert_eq!(body["error"]["field"], "url", "{url}: {body}");
    }
    let (status, body) = post(
        &d.app,
        "/api/webhooks",
        json!({"url": "http://127.0.0.1:9/hook", "events": ["sms.received"]}),
    )
    .await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("[webhooks]"),
        "{status} {body}"
    );
    // Unknown event types, and none at all, name `events`; a public receiver is fine.
    for events in [json!(["sms.bogus"]), json!([]), json!(["sms.sent", 3])] {
        let (status, body) = post(
            &d.app,
            "/api/webhooks",
            json!({"url": "https://hooks.example.com/h", "events": events}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            body["error"]["field"]
                .as_str()
                .unwrap()
                .starts_with("events"),
            "{body}"
        );
    }
    let (status, body) = post(
        &d.app,
        "/api/webhooks",
        json!({"url": "https://hooks.example.com/h", "events": ["sms.sent"], "secret": "short"}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("secret"))
    );
    let (status, _) = post(
        &d.app,
        "/api/webhooks",
        json!({"url": "https://hooks.example.com/h", "events": ["sms.sent"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    d.stop().await;

    // `[webhooks] allow_private` lets the loopback receiver in; unset, `[callbacks]` rules.
    fn own(c: &mut Config) {
        c.webhooks.allow_private = Some(true);
    }
    fn inherited(c: &mut Config) {
        c.callbacks.allow_private_networks = true;
    }
    fn overridden(c: &mut Config) {
        c.callbacks.allow_private_networks = true;
        c.webhooks.allow_private = Some(false);
    }
    type Tweak = fn(&mut Config);
    let cases: [(Tweak, bool); 3] = [(own, true), (inherited, true), (overridden, false)];
    for (tweak, allowed) in cases {
        let d = TestDaemon::start(tweak).await;
        let (status, body) = post(
            &d.app,
            "/api/webhooks",
            json!({"url": "http://127.0.0.1:9/hook", "events": ["sms.received"]}),
        )
        .await;
        let expected = if allowed {
            StatusCode::CREATED
        } else {
            StatusCode::BAD_REQUEST
        };
        assert_eq!(status, expected, "{body}");
        let (status, body) = post(
            &d.app,
            "/api/webhooks",
            json!({"url": "file:///etc/passwd", "events": ["sms.received"]}),
        )
        .await;
        assert_eq!(
            (status, body["error"]["field"].clone()),
            (StatusCode::BAD_REQUEST, json!("url"))
        );
        d.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_show_attempts_rotation_changes_the_key_and_delete_stops_delivery() {
    let d = start(fast).await;
    let receiver = Receiver::start(true).await;
    let witness = Receiver::start(false).await;
    let (id, old_secret) = subscribe(&d, &receiver.url, &["sms.queued"]).await;
    let (_, _) = subscribe(&d, &witness.url, &["sms.queued"]).await;
    let to = d.sim().msisdn(1);

    // Attempts and the receiver's status codes, while it fails and once it answers.
    let first = send(&d, &to, "one").await;
    let path = format!("/api/webhooks/{id}/deliveries");
    let failing = super::api::wait_for(
        &d.app,
        &path,
        |v| v["deliveries"][0]["attempts"].as_u64() >= Some(2),
        "two failed attempts",
    )
    .await;
    let row = &failing["deliveries"][0];
    assert_eq!(
        (
            row["type"].clone(),
            row["last_status"].clone(),
            row["status"].clone()
        ),
        (json!("sms.queued"), json!(503), json!("pending"))
    );
    assert_eq!(row["last_error"], "HTTP 503 Service Unavailable");
    receiver.down.store(false, Ordering::SeqCst);
    let done = super::api::wait_for(
        &d.app,
        &path,
        |v| v["deliveries"][0]["status"] == "delivered",
        "delivered",
    )
    .await;
    let row = &done["deliveries"][0];
    assert_eq!(row["last_status"], 200);
    assert!(row["attempts"].as_u64().unwrap() >= 3, "{row}");
    assert!(
        row["delivered_at"].is_string() && row["next_attempt_at"].is_null(),
        "{row}"
    );
    let hit = receiver.accepted().remove(0);
    assert_eq!(hit.json()["data"]["id"], first);
    assert!(hit.signed_by(&old_secret));

    // The subscription shows no secret; rotation hands out a new one that signs from now on.
    let (status, shown) = get(&d.app, &format!("/api/webhooks/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["events"], json!(["sms.queued"]));
    assert_eq!(shown["url"], receiver.url.as_str());
    assert!(shown.get("secret").is_none(), "{shown}");
    let (_, listed) = get(&d.app, "/api/webhooks").await;
    assert_eq!(listed["total"], 2);
    assert!(!listed.to_string().contains(&old_secret));
    let (status, rotated) = post(
        &d.app,
        &format!("/api/webhooks/{id}/rotate-secret"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, old_secret);
    let second = send(&d, &to, "two").await;
    let hits = receiver
        .wait("the second event", |h| {
            h.iter().any(|h| h.json()["data"]["id"] == second)
        })
        .await;
    let hit = hits
        .iter()
        .find(|h| h.json()["data"]["id"] == second)
        .unwrap();
    assert!(hit.signed_by(&new_secret));
    assert!(!hit.signed_by(&old_secret));

    // Deleted: gone from the API, and its events are no longer written or delivered.
    let (status, _) = call(&d.app, "DELETE", &format!("/api/webhooks/{id}"), None, &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = get(&d.app, &format!("/api/webhooks/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = get(&d.app, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&d.app, "DELETE", &format!("/api/webhooks/{id}"), None, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let before = receiver.hits().len();
    let third = send(&d, &to, "three").await;
    witness
        .wait("the witness has the third event", |h| {
            h.iter().any(|h| h.json()["data"]["id"] == third)
        })
        .await;
    // The witness has it, so the event was written; the deleted subscription had no row
    // for it, so nothing can still be on its way.
    assert_eq!(receiver.hits().len(), before);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modems_going_down_and_up_are_events() {
    let d = start(fast).await;
    let receiver = Receiver::start(false).await;
    let (_, secret) = subscribe(&d, &receiver.url, &["modem.up", "modem.down"]).await;
    d.sim().set_registration(0, 2); // searching: not fit for traffic
    let hits = receiver
        .wait("modem.down", |h| h.iter().any(|h| h.kind() == "modem.down"))
        .await;
    let down = hits
        .iter()
        .find(|h| h.kind() == "modem.down")
        .unwrap()
        .json();
    assert_eq!(down["data"]["modem"], "sim0");
    assert_eq!(down["data"]["state"], "degraded");
    assert!(down["data"]["detail"].is_string(), "{down}");
    d.sim().set_registration(0, 1);
    let hits = receiver
        .wait("modem.up", |h| h.iter().any(|h| h.kind() == "modem.up"))
        .await;
    let up = hits.iter().find(|h| h.kind() == "modem.up").unwrap().json();
    assert_eq!(up["data"]["modem"], "sim0");
    assert_eq!(up["data"]["state"], "ready");
    assert!(hits.iter().all(|h| h.signed_by(&secret)));
    assert_eq!(hits.len(), 2, "one event per flip: {hits:?}");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undelivered_events_survive_a_restart_and_arrive_once() {
    let d = start(fast).await;
    let receiver = Receiver::start(true).await;
    let (id, secret) = subscribe(&d, &receiver.url, &["sms.queued"]).await;
    let message = send(&d, &d.sim().msisdn(1), "before the restart").await;
    receiver.wait("a failed attempt", |h| !h.is_empty()).await;
    let dir = d.stop().await;

    receiver.down.store(false, Ordering::SeqCst);
    let mut config = super::daemon::test_config(&dir);
    fast(&mut config);
    let d = TestDaemon::start_in(dir, config).await;
    let hits = receiver
        .wait("delivered after the restart", |h| {
            h.iter().any(|h| h.answered == 200)
        })
        .await;
    let accepted: Vec<&Hit> = hits.iter().filter(|h| h.answered == 200).collect();
    assert_eq!(accepted.len(), 1, "{hits:?}");
    assert_eq!(accepted[0].json()["data"]["id"], message);
    assert!(accepted[0].signed_by(&secret));
    assert!(hits.iter().all(|h| h.event_id() == accepted[0].event_id()));
    let done = super::api::wait_for(
        &d.app,
        &format!("/api/webhooks/{id}/deliveries"),
        |v| v["deliveries"][0]["status"] == "delivered",
        "recorded delivered",
    )
    .await;
    assert_eq!(done["total"], 1);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_need_the_admin_scope() {
    use smsgate::config::{generate_api_key, ApiKey, Scope};
    let (send_key, send_hash) = generate_api_key();
    let (admin_key, admin_hash) = generate_api_key();
    let d = TestDaemon::start(|c| {
        c.api_keys = vec![
            ApiKey {
                name: "sender".into(),
                sha256: send_hash,
                scopes: vec![Scope::Send, Scope::Read],
            },
            ApiKey {
                name: "admin".into(),
                sha256: admin_hash,
                scopes: vec![Scope::Admin],
            },
        ];
    })
    .await;
    let body = json!({"url": "https://hooks.example.com/h", "events": ["sms.sent"]});
    let auth = |key: &str| format!("Bearer {key}");
    let send_auth = auth(&send_key);
    let admin_auth = auth(&admin_key);
    for (method, path) in [
        ("GET", "/api/webhooks"),
        ("POST", "/api/webhooks"),
        ("GET", "/api/webhooks/secret"),
    ] {
        let payload = (method == "POST").then(|| body.clone());
        let (status, _) = call(&d.app, method, path, payload.clone(), &[]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
        let (status, _) = call(
            &d.app,
            method,
            path,
            payload,
            &[("authorization", send_auth.as_str())],
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
    }
    let (status, created) = call(
        &d.app,
        "POST",
        "/api/webhooks",
        Some(body),
        &[("authorization", admin_auth.as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    let (status, _) = call(
        &d.app,
        "GET",
        &format!("/api/webhooks/{id}/deliveries"),
        None,
        &[("authorization", send_auth.as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The status callbacks' key is still served beside `/api/webhooks/{id}`.
    let (status, secret) = call(
        &d.app,
        "GET",
        "/api/webhooks/secret",
        None,
        &[("authorization", admin_auth.as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        secret["secret"].as_str().is_some_and(|s| s.len() == 64),
        "{secret}"
    );
    d.stop().await;
}
