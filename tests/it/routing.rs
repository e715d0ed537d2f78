//! The routing policy end to end: a real daemon on the simulated network with a Twilio
//! route pointing at a local fake (axum on 127.0.0.1:0) that counts the requests it got and
//! answers like Twilio, hangs, or is not there at all. Driven through the HTTP router;
//! state changes are awaited with bounded polling of the API, as a client does.

use super::api::{call, get, wait_for};
use super::daemon::TestDaemon;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};
use smsgate::config::{Config, TwilioConfig};
use smsgate::http::App;
use smsgate::sim::Faults;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TWILIO_SID: &str = "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const EXTERNAL: &str = "+4915112345678";

/// What the fake Twilio does with a request.
#[derive(Clone, Copy)]
enum Mode {
    /// Answer 201 with a sid and a price.
    Accept,
    /// Read the request and never answer.
    Hang,
}

struct FakeTwilio {
    url: String,
    requests: Arc<AtomicUsize>,
}

async fn fake_twilio(mode: Mode) -> FakeTwilio {
    let requests = Arc::new(AtomicUsize::new(0));
    let count = requests.clone();
    let app = axum::Router::new().fallback(move |req: Request| {
        let count = count.clone();
        async move {
            let path = req.uri().path().to_string();
            let _ = axum::body::to_bytes(req.into_body(), 1 << 20).await;
            assert_eq!(path, format!("/2010-04-01/Accounts/{SID}/Messages.json"));
            count.fetch_add(1, Ordering::SeqCst);
            match mode {
                Mode::Accept => Response::builder()
                    .status(201)
                    .body(Body::from(format!(
                        r#"{{"sid":"{TWILIO_SID}","status":"queued","num_segments":"1",
                            "price":"-0.00750","price_unit":"USD","error_code":null}}"#
                    )))
                    .unwrap(),
                Mode::Hang => {
                    std::future::pending::<()>().await;
                    unreachable!()
                }
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    FakeTwilio { url, requests }
}

/// A base URL nothing listens on.
async fn refused_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

/// A daemon on two simulated modems with Twilio at `twilio_url`; waits for both modems.
async fn start(twilio_url: &str, tweak: impl FnOnce(&mut Config)) -> TestDaemon {
    let d = TestDaemon::start(|c| {
        c.dispatch.backoff_initial_ms = 50;
        c.dispatch.backoff_max_ms = 200;
        c.providers.twilio = Some(TwilioConfig {
            account_sid: SID.into(),
            auth_token: smsgate::config::Secret::new("tok3n"),
            from: "+15005550006".into(),
            base_url: twilio_url.into(),
            timeout_ms: 500,
            connect_timeout_ms: 200,
            ..TwilioConfig::default()
        });
        tweak(c);
    })
    .await;
    wait_for(
        &d.app,
        "/api/modems",
        |v| {
            v["modems"]
                .as_array()
                .is_some_and(|m| m.len() == 2 && m.iter().all(|m| m["state"] == "ready"))
        },
        "both modems ready",
    )
    .await;
    d
}

/// Sends one message and returns its id.
async fn send(app: &App, body: Value) -> Value {
    let (status, answer) = call(app, "POST", "/api/sms/send", Some(body), &[]).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer["messages"][0]["id"].clone()
}

async fn wait_status(app: &App, id: &Value, statuses: &[&str]) -> Value {
    wait_for(
        app,
        &format!("/api/sms/{id}"),
        |v| statuses.iter().any(|s| v["status"] == *s),
        &format!("message {id} {statuses:?}"),
    )
    .await
}

/// The routes of the message's events that recorded a failed attempt (back to `queued`
/// with a route).
fn failed_attempts(detail: &Value) -> Vec<String> {
    detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] == "queued" && !e["route"].is_null())
        .map(|e| e["route"].as_str().unwrap().to_string())
        .collect()
}

fn assert_sent_by_twilio(detail: &Value) {
    assert_eq!(detail["route"], "twilio", "{detail}");
    let segment = &detail["segments_detail"][0];
    assert_eq!(segment["route"], "twilio", "{detail}");
    assert_eq!(segment["provider_id"], TWILIO_SID, "{detail}");
    assert_eq!(segment["cost"], json!(0.0075), "{detail}");
    let sent = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["status"] == "sent")
        .unwrap_or_else(|| panic!("no sent event: {detail}"));
    assert_eq!(sent["route"], "twilio");
    assert!(
        sent["detail"].as_str().unwrap().contains(TWILIO_SID),
        "{sent}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_every_modem_down_an_otp_goes_out_through_the_provider() {
    let twilio = fake_twilio(Mode::Accept).await;
    let d = start(&twilio.url, |c| {
        c.routing.otp = vec!["modems".into(), "twilio".into()];
    })
    .await;
    let sim = d.sim();
    sim.set_registration(0, 2);
    sim.set_registration(1, 2);
    wait_for(
        &d.app,
        "/api/modems",
        |v| {
            v["modems"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["state"] != "ready")
        },
        "no modem ready",
    )
    .await;
    // /api/modems shows modems only; /api/routes every route, with its kind.
    let (_, modems) = get(&d.app, "/api/modems").await;
    assert_eq!(modems["modems"].as_array().unwrap().len(), 2, "{modems}");
    let (status, routes) = get(&d.app, "/api/routes").await;
    assert_eq!(status, StatusCode::OK);
    let kinds: Vec<(String, String, bool)> = routes["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["kind"].as_str().unwrap().to_string(),
                r["ready"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("sim0".into(), "modem".into(), false),
            ("sim1".into(), "modem".into(), false),
            ("twilio".into(), "provider".into(), true)
        ],
        "{routes}"
    );
    let id = send(
        &d.app,
        json!({"to": EXTERNAL, "message": "Your code is 123456", "sms_type": "otp"}),
    )
    .await;
    let detail = wait_status(&d.app, &id, &["sent"]).await;
    assert_sent_by_twilio(&detail);
    assert_eq!(detail["attempts"], 0, "{detail}");
    assert_eq!(twilio.requests.load(Ordering::SeqCst), 1);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_provider_down_the_message_goes_by_modem() {
    let url = refused_url().await;
    let d = start(&url, |c| {
        c.routing.transactional = vec!["twilio".into(), "modems".into()];
    })
    .await;
    let id = send(&d.app, json!({"to": EXTERNAL, "message": "provider first"})).await;
    let detail = wait_status(&d.app, &id, &["delivered"]).await;
    let route = detail["route"].as_str().unwrap();
    assert!(route.starts_with("sim"), "{detail}");
    // Twilio was tried `fallback_after_failures` (2) times, each refused, then the modems.
    assert_eq!(failed_attempts(&detail), ["twilio", "twilio"], "{detail}");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_otp_the_provider_took_without_answering_is_never_sent_again() {
    let twilio = fake_twilio(Mode::Hang).await;
    let d = start(&twilio.url, |c| {
        c.routing.otp = vec!["twilio".into(), "modems".into()];
    })
    .await;
    let id = send(
        &d.app,
        json!({"to": EXTERNAL, "message": "Your code is 654321", "sms_type": "otp"}),
    )
    .await;
    // It may well have gone out: `sent`, outcome unknown — a callback can still settle it.
    let detail = wait_status(&d.app, &id, &["sent"]).await;
    assert_eq!(detail["route"], "twilio", "{detail}");
    assert!(
        detail["events"][2]["detail"]
            .as_str()
            .unwrap()
            .contains("outcome unknown, not resent"),
        "{detail}"
    );
    let statuses: Vec<&str> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["queued", "sending", "sent"], "{detail}");
    // A later message goes through the dispatcher (rounds have run since); the OTP stays
    // as it was and Twilio saw one request in all.
    let marker = send(&d.app, json!({"to": EXTERNAL, "message": "later"})).await;
    wait_status(&d.app, &marker, &["delivered"]).await;
    let (_, after) = get(&d.app, &format!("/api/sms/{id}")).await;
    assert_eq!(after["events"], detail["events"], "{after}");
    assert_eq!(twilio.requests.load(Ordering::SeqCst), 1);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_explicit_provider_wins_over_ready_modems() {
    let twilio = fake_twilio(Mode::Accept).await;
    // The default policy: modems only. The request names Twilio.
    let d = start(&twilio.url, |_| {}).await;
    let id = send(
        &d.app,
        json!({"to": EXTERNAL, "message": "by twilio", "provider": "twilio"}),
    )
    .await;
    let detail = wait_status(&d.app, &id, &["sent"]).await;
    assert_sent_by_twilio(&detail);
    assert_eq!(detail["provider"], "twilio");
    // Without `provider` the same policy keeps to the modems.
    let id = send(&d.app, json!({"to": EXTERNAL, "message": "by modem"})).await;
    let detail = wait_status(&d.app, &id, &["delivered"]).await;
    assert!(
        detail["route"].as_str().unwrap().starts_with("sim"),
        "{detail}"
    );
    assert_eq!(twilio.requests.load(Ordering::SeqCst), 1);
    // A provider that is not configured (plivo) is only a preference: the message goes by
    // the policy (the modems), and the answer says which groups it will try.
    let (status, answer) = call(
        &d.app,
        "POST",
        "/api/sms/send",
        Some(json!({"to": EXTERNAL, "message": "x", "provider": "plivo", "sms_type": "alert"})),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer["provider_fallback"]["requested"], "plivo",
        "{answer}"
    );
    assert_eq!(
        answer["provider_fallback"]["route_groups"],
        json!(["modems"]),
        "{answer}"
    );
    let id = answer["messages"][0]["id"].clone();
    let detail = wait_status(&d.app, &id, &["delivered"]).await;
    assert!(
        detail["route"].as_str().unwrap().starts_with("sim"),
        "{detail}"
    );
    assert_eq!(detail["provider"], Value::Null, "{detail}");
    assert_eq!(detail["sms_type"], "alert", "{detail}");
    assert_eq!(twilio.requests.load(Ordering::SeqCst), 1);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_provider_refuses_a_provider_that_is_not_configured() {
    let twilio = fake_twilio(Mode::Accept).await;
    let d = start(&twilio.url, |c| c.routing.strict_provider = true).await;
    let (status, answer) = call(
        &d.app,
        "POST",
        "/api/sms/send",
        Some(json!({"to": EXTERNAL, "message": "x", "provider": "plivo"})),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["error"]["field"], "provider");
    // A configured one still goes.
    let id = send(
        &d.app,
        json!({"to": EXTERNAL, "message": "by twilio", "provider": "twilio"}),
    )
    .await;
    assert_sent_by_twilio(&wait_status(&d.app, &id, &["sent"]).await);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_n_failures_on_the_modems_the_provider_gets_the_message() {
    let twilio = fake_twilio(Mode::Accept).await;
    let d = start(&twilio.url, |c| {
        c.routing.transactional = vec!["modems".into(), "twilio".into()];
        c.routing.fallback_after_failures = 3;
    })
    .await;
    let sim = d.sim();
    for modem in 0..2 {
        // "No network service": retry elsewhere.
        sim.set_faults(
            modem,
            Faults {
                failure_rate: 1.0,
                failure_codes: vec![331],
                ..Faults::default()
            },
        );
    }
    let id = send(&d.app, json!({"to": EXTERNAL, "message": "fail over"})).await;
    let detail = wait_status(&d.app, &id, &["sent"]).await;
    assert_sent_by_twilio(&detail);
    let failed = failed_attempts(&detail);
    assert_eq!(failed.len(), 3, "{detail}");
    assert!(failed.iter().all(|r| r.starts_with("sim")), "{detail}");
    assert_eq!(detail["attempts"], 3, "{detail}");
    assert_eq!(twilio.requests.load(Ordering::SeqCst), 1);
    d.stop().await;
}

/// Messages that wait for busy modems (the provider is idle but not theirs yet) are not
/// leased and released over and over: each is leased once, when a modem takes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_messages_are_not_leased_until_a_route_can_take_them() {
    let twilio = fake_twilio(Mode::Accept).await;
    let d = start(&twilio.url, |c| {
        c.simulator.latency_ms = (1_500, 1_500);
        c.routing.transactional = vec!["modems".into(), "twilio".into()];
        c.routing.fallback_after_secs = 60;
    })
    .await;
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(
            send(
                &d.app,
                json!({"to": EXTERNAL, "message": format!("wait {i}")}),
            )
            .await,
        );
    }
    // Both modems are busy for 1.5 s with the first two; the last two wait that long while
    // the dispatcher polls every 20 ms (and Twilio has free slots all along).
    for id in &ids {
        let done = wait_status(&d.app, id, &["sent", "delivered"]).await;
        let leases = done["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["status"] == "sending")
            .count();
        assert_eq!(leases, 1, "message {id} was leased {leases} times: {done}");
        assert_ne!(done["route"], "twilio");
    }
    assert_eq!(twilio.requests.load(Ordering::SeqCst), 0);
    d.stop().await;
}

/// A backlog that must wait (marketing goes by modem only, and no modem is up) neither hides
/// the messages behind it from a route that can take them nor gets leased while it waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_backlog_does_not_hide_the_messages_behind_it() {
    let twilio = fake_twilio(Mode::Accept).await;
    let d = start(&twilio.url, |c| {
        c.routing.transactional = vec!["modems".into(), "twilio".into()];
    })
    .await;
    let sim = d.sim();
    sim.set_registration(0, 2);
    sim.set_registration(1, 2);
    wait_for(
        &d.app,
        "/api/modems",
        |v| {
            v["modems"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["state"] != "ready")
        },
        "no modem ready",
    )
    .await;
    // 600 marketing messages: more than the pages one round looks at.
    let recipients: Vec<String> = (0..600).map(|i| format!("+4915112{i:06}")).collect();
    let (status, batch) = call(
        &d.app,
        "POST",
        "/api/sms/send-batch",
        Some(json!({"recipients": recipients, "message": "sale", "sms_type": "marketing"})),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{batch}");
    let id = send(
        &d.app,
        json!({"to": EXTERNAL, "message": "your order shipped"}),
    )
    .await;
    let detail = wait_status(&d.app, &id, &["sent"]).await;
    assert_sent_by_twilio(&detail);
    // The backlog waited without being leased.
    let first = &batch["messages"][0]["id"];
    let last = &batch["messages"][599]["id"];
    for waiting in [first, last] {
        let (_, m) = get(&d.app, &format!("/api/sms/{waiting}")).await;
        assert_eq!(m["status"], "queued", "{m}");
        assert_eq!(
            m["events"].as_array().unwrap().len(),
            1,
            "only accepted: {m}"
        );
    }
    d.stop().await;
}
