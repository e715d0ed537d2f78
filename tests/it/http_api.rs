//! The HTTP API end to end on the simulated network, in process: a real daemon (SQLite
//! file, simulated modems, dispatcher, status reports) driven through its router as a
//! client would. Real time with zero simulator latency; state changes are awaited with
//! bounded polling of the API, as a client does.

use super::api::{call, get, post, wait_for};
use super::daemon::{test_config, TestDaemon};
use axum::http::StatusCode;
use serde_json::{json, Value};
use smsgate::config::{generate_api_key, ApiKey, Config, Scope};
use smsgate::daemon::Daemon;
use smsgate::http::App;
use smsgate::sim::Faults;
use std::time::Duration;

/// The suite's daemon: quick retries, and a route ready before the first request (as a
/// load balancer would wait for /readyz).
async fn start_in(dir: tempfile::TempDir, mut config: Config) -> TestDaemon {
    config.dispatch.backoff_initial_ms = 50;
    config.dispatch.backoff_max_ms = 200;
    let simulated = config.uses_simulator();
    let d = TestDaemon::start_in(dir, config).await;
    if simulated {
        wait_for(&d.app, "/readyz", |v| v["ready"] == true, "ready").await;
    }
    d
}

async fn start(tweak: impl FnOnce(&mut Config)) -> TestDaemon {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&dir);
    tweak(&mut config);
    start_in(dir, config).await
}

async fn wait_status(app: &App, id: &Value, status: &str) -> Value {
    wait_for(
        app,
        &format!("/api/sms/{id}"),
        |v| v["status"] == status,
        &format!("message {id} {status}"),
    )
    .await
}

const SIM1: &str = "+12025550102";
const EXTERNAL: &str = "+4915112345678";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_message_is_accepted_sent_and_delivered_with_every_state_recorded() {
    let d = start(|_| {}).await;
    let (status, body) = post(
        &d.app,
        "/api/sms/send",
        json!({
            "to": [{"number": SIM1, "name": "Sim one"}],
            "message": "Hello over the API",
            "metadata": {"campaign": "welcome"},
        }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["messages"][0]["to"], SIM1);
    assert_eq!(body["messages"][0]["encoding"], "gsm7");
    assert_eq!(body["messages"][0]["segments"], 1);
    let id = body["messages"][0]["id"].clone();
    let detail = wait_status(&d.app, &id, "delivered").await;
    let states: Vec<&str> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        vec!["queued", "sending", "sent", "delivered"],
        "{detail}"
    );
    assert!(detail["route"].as_str().unwrap().starts_with("sim"));
    assert_eq!(detail["segments_detail"][0]["status"], "delivered");
    assert_eq!(detail["metadata"]["campaign"], "welcome");
    // The metadata comes back as sent; the recipient's name is a field of its own.
    assert!(
        detail["metadata"].get("recipient_name").is_none(),
        "{detail}"
    );
    assert_eq!(detail["recipient_name"], "Sim one");
    assert!(detail["sent_at"].as_str().unwrap().ends_with('Z'));
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_unicode_and_flash_messages_are_delivered_whole() {
    let d = start(|_| {}).await;
    let text = "Ваш заказ в пути 🚚 — курьер будет с 10:00 до 12:00. ".repeat(4);
    let (status, body) = post(
        &d.app,
        "/api/sms/send",
        json!({"to": SIM1, "message": text}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["messages"][0]["encoding"], "ucs2");
    let segments = body["messages"][0]["segments"].as_u64().unwrap();
    assert!(segments >= 3);
    let detail = wait_status(&d.app, &body["messages"][0]["id"], "delivered").await;
    let parts = detail["segments_detail"].as_array().unwrap();
    assert_eq!(parts.len() as u64, segments);
    assert!(
        parts
            .iter()
            .all(|p| p["status"] == "delivered" && p["route"] == detail["route"]),
        "{detail}"
    );

    let (status, body) = post(
        &d.app,
        "/api/sms/send",
        json!({"to": [EXTERNAL], "message": "Flash!", "message_type": "flash"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    wait_status(&d.app, &body["messages"][0]["id"], "delivered").await;
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_accepted_at_once_and_its_progress_can_be_followed() {
    let d = start(|_| {}).await;
    let recipients: Vec<Value> = (0..60)
        .map(|i| json!({"number": format!("+49151123450{i:02}")}))
        .collect();
    let (status, body) = post(
        &d.app,
        "/api/sms/send-batch",
        json!({
            "name": "newsletter", "recipients": recipients, "message": "Batch message",
        }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 60);
    let batch = body["batch_id"].as_str().unwrap();
    let summary = wait_for(
        &d.app,
        &format!("/api/batches/{batch}"),
        |v| v["by_status"]["delivered"] == 60,
        "batch delivered",
    )
    .await;
    assert_eq!(summary["total"], 60);
    assert_eq!(summary["name"], "newsletter");
    let (_, list) = get(
        &d.app,
        &format!("/api/sms?batch_id={batch}&status=delivered&limit=100"),
    )
    .await;
    assert_eq!(list["count"], 60);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_messages_wait_and_can_be_cancelled_until_sent() {
    let d = start(|_| {}).await;
    let soon = smsgate::message::format_millis(smsgate::message::now_millis() + 1500);
    let (_, body) = post(
        &d.app,
        "/api/sms/send",
        json!({"to": SIM1, "message": "later", "schedule_at": soon}),
    )
    .await;
    let id = body["messages"][0]["id"].clone();
    assert_eq!(body["messages"][0]["status"], "scheduled");
    let (_, now) = get(&d.app, &format!("/api/sms/{id}")).await;
    assert_eq!(now["status"], "scheduled");
    let sent = wait_status(&d.app, &id, "delivered").await;
    let sent_at = smsgate::message::parse_rfc3339(sent["sent_at"].as_str().unwrap()).unwrap();
    assert!(
        sent_at >= smsgate::message::parse_rfc3339(&soon).unwrap(),
        "sent before schedule_at"
    );

    let later = smsgate::message::format_millis(smsgate::message::now_millis() + 3_600_000);
    let (_, body) = post(
        &d.app,
        "/api/sms/send",
        json!({"to": SIM1, "message": "cancel me", "schedule_at": later}),
    )
    .await;
    let id = body["messages"][0]["id"].clone();
    let (status, body) = post(&d.app, &format!("/api/sms/{id}/cancel"), json!({})).await;
    assert_eq!(
        (status, body["status"].clone()),
        (StatusCode::OK, json!("cancelled"))
    );
    let (status, body) = post(&d.app, &format!("/api/sms/{id}/cancel"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = post(&d.app, "/api/sms/999999/cancel", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_message_is_never_sent_late() {
    // No modem at all: nothing can send, so the message waits until expire_at passes.
    let d = start(|c| c.simulator.modems = 0).await;
    let expire = smsgate::message::format_millis(smsgate::message::now_millis() + 800);
    let (status, body) = post(
        &d.app,
        "/api/sms/send",
        json!({"to": SIM1, "message": "too late", "expire_at": expire}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let detail = wait_status(&d.app, &body["messages"][0]["id"], "expired").await;
    assert_eq!(detail["sent_at"], Value::Null);
    let (ready, _) = get(&d.app, "/readyz").await;
    assert_eq!(ready, StatusCode::SERVICE_UNAVAILABLE);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_request_returns_the_same_messages_instead_of_sending_twice() {
    // custom_id is an idempotency key only when the operator says so.
    let d = start(|c| c.server.custom_id_idempotency = true).await;
    let body = json!({"to": [SIM1, EXTERNAL], "message": "once", "custom_id": "order-4711"});
    let (_, first) = post(&d.app, "/api/sms/send", body.clone()).await;
    let (status, again) = post(&d.app, "/api/sms/send", body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["replayed"], true);
    assert_eq!(first["batch_id"], again["batch_id"]);
    assert_eq!(first["messages"][0]["id"], again["messages"][0]["id"]);
    let with_key = |key: &'static str| {
        let app = d.app.clone();
        async move {
            call(
                &app,
                "POST",
                "/api/sms/send",
                Some(json!({"to": SIM1, "message": "keyed"})),
                &[("Idempotency-Key", key)],
            )
            .await
        }
    };
    let (_, a) = with_key("k-1").await;
    let (_, b) = with_key("k-1").await;
    assert_eq!(a["messages"][0]["id"], b["messages"][0]["id"]);
    let (_, list) = get(&d.app, "/api/sms?limit=100").await;
    assert_eq!(
        list["count"], 3,
        "two recipients + one keyed message: {list}"
    );
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_modem_failing_mid_batch_hands_its_messages_to_another() {
    // 20 ms per send: 200 messages keep two modems busy for about two seconds, so a fault
    // injected after the first deliveries always lands in the middle of the batch.
    let d = start(|c| c.simulator.latency_ms = (20, 20)).await;
    let sim = d.sim();
    let recipients: Vec<Value> = (0..200)
        .map(|i| json!(format!("+4915112346{i:03}")))
        .collect();
    let (_, body) = post(
        &d.app,
        "/api/sms/send-batch",
        json!({"recipients": recipients, "message": "failover"}),
    )
    .await;
    let batch = body["batch_id"].as_str().unwrap().to_string();
    // Mid-batch, sim0 starts answering every send with "no network service" (retry elsewhere).
    let before = wait_for(
        &d.app,
        &format!("/api/batches/{batch}"),
        |v| v["by_status"]["delivered"].as_u64().unwrap_or(0) >= 4,
        "first deliveries",
    )
    .await;
    sim.set_faults(
        0,
        Faults {
            failure_rate: 1.0,
            failure_codes: vec![331],
            ..Faults::default()
        },
    );
    assert!(
        before["by_status"]["delivered"].as_u64().unwrap() < 150,
        "the batch was nearly done before the fault: {before}"
    );
    wait_for(
        &d.app,
        &format!("/api/batches/{batch}"),
        |v| v["by_status"]["delivered"] == 200,
        "whole batch delivered",
    )
    .await;
    let (_, list) = get(&d.app, &format!("/api/sms?batch_id={batch}&limit=1000")).await;
    let moved: Vec<&Value> = list["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["attempts"].as_u64().unwrap() > 0)
        .collect();
    assert!(!moved.is_empty(), "no message failed over: {list}");
    for m in moved {
        assert_eq!(m["route"], "sim1", "{m}");
    }
    // A provider that is not configured is a preference (the seed's clients always send
    // one): the routing policy chooses, and the answer says so.
    let (status, answer) = post(
        &d.app,
        "/api/sms/send",
        json!({"to": SIM1, "message": "x", "provider": "twilio"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer["provider_fallback"]["requested"], "twilio",
        "{answer}"
    );
    assert_eq!(
        answer["provider_fallback"]["route_groups"],
        json!(["modems"]),
        "{answer}"
    );
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_modem_holds_no_message_hostage() {
    let d = start(|_| {}).await;
    let sim = d.sim();
    sim.set_faults(
        0,
        Faults {
            hang_after: Some(0),
            ..Faults::default()
        },
    );
    let mut ids = Vec::new();
    for i in 0..4 {
        let (_, body) = post(
            &d.app,
            "/api/sms/send",
            json!({"to": EXTERNAL, "message": format!("hang {i}")}),
        )
        .await;
        ids.push(body["messages"][0]["id"].clone());
    }
    for id in &ids {
        // The one that went to the hung modem waits for its prompt deadline (10 s), then
        // moves to sim1.
        let detail = wait_status(&d.app, id, "delivered").await;
        assert_eq!(detail["route"], "sim1", "{detail}");
    }
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_that_go_out_twice_are_counted_on_their_route() {
    let d = start(|c| c.simulator.modems = 1).await;
    let sim = d.sim();
    // Part 2 of the 3-part message is refused with congestion on the try and both
    // retries: part 1 is already with the network, and the whole message is sent again.
    sim.set_faults(
        0,
        Faults {
            fail_submits: vec![2, 3, 4],
            failure_codes: vec![42],
            ..Faults::default()
        },
    );
    let text = "twice ".repeat(60);
    let (_, body) = post(
        &d.app,
        "/api/sms/send",
        json!({"to": EXTERNAL, "message": text}),
    )
    .await;
    let id = body["messages"][0]["id"].clone();
    let detail = wait_status(&d.app, &id, "delivered").await;
    assert_eq!(detail["segments"], 3, "{detail}");
    let carried = sim.sink().into_iter().filter(|m| m.to == EXTERNAL).count();
    assert_eq!(carried, 4, "part 1 twice, parts 2 and 3 once");
    let (_, routes) = get(&d.app, "/api/routes").await;
    let sim0 = routes["routes"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["name"] == "sim0"))
        .cloned()
        .unwrap_or_else(|| panic!("{routes}"));
    assert_eq!(sim0["fragment_segments"], 1, "{sim0}");
    assert_eq!(sim0["sent_segments"], 4, "{sim0}");
    let (_, modems) = get(&d.app, "/api/modems").await;
    assert_eq!(
        modems["modems"][0]["route"]["fragment_segments"], 1,
        "{modems}"
    );
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_4xx_naming_the_field_never_a_500() {
    let d = start(|c| c.server.max_body_bytes = 4096).await;
    let cases = [
        (json!({"to": "12345", "message": "x"}), "to[0].number"),
        (json!({"to": [], "message": "x"}), "to"),
        (json!({"to": SIM1, "message": ""}), "message"),
        (json!({"to": SIM1, "message": "x".repeat(3000)}), "message"),
        (json!({"to": SIM1}), "message"),
        (json!({"message": "x"}), "to"),
        (
            json!({"to": SIM1, "message": "x", "schedule_at": "tomorrow"}),
            "schedule_at",
        ),
        (
            json!({"to": SIM1, "message": "x", "expire_at": "2001-01-01T00:00:00Z"}),
            "expire_at",
        ),
        (
            json!({"to": SIM1, "message": "zz", "message_type": "binary"}),
            "message",
        ),
        (
            json!({"to": SIM1, "message": "x", "message_type": "fax"}),
            "message_type",
        ),
        (json!({"to": [{"number": 5}], "message": "x"}), "to"),
        (
            json!({"to": SIM1, "message": "x", "callback_url": "ftp://x"}),
            "callback_url",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = post(&d.app, "/api/sms/send", body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {answer}");
        assert_eq!(answer["error"]["field"], field, "{body} → {answer}");
    }
    let big = json!({"to": SIM1, "message": "y".repeat(10_000)});
    let (status, answer) = post(&d.app, "/api/sms/send", big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    let (status, _) = call(&d.app, "POST", "/api/sms/send", None, &[]).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, answer) = get(&d.app, "/api/sms?status=bogus").await;
    assert_eq!(
        (status, answer["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("status"))
    );
    let (status, _) = get(&d.app, "/api/sms/abc").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(&d.app, "/api/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_and_scopes_are_enforced() {
    let (send_key, send_hash) = generate_api_key();
    let (read_key, read_hash) = generate_api_key();
    let d = start(|c| {
        c.api_keys = vec![
            ApiKey {
                name: "app".into(),
                sha256: send_hash,
                scopes: vec![Scope::Send],
            },
            ApiKey {
                name: "dashboard".into(),
                sha256: read_hash,
                scopes: vec![Scope::Read],
            },
        ];
    })
    .await;
    let body = json!({"to": SIM1, "message": "authorised"});
    let send = |headers: Vec<(&'static str, String)>| {
        let app = d.app.clone();
        let body = body.clone();
        async move {
            let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            call(&app, "POST", "/api/sms/send", Some(body), &h).await.0
        }
    };
    assert_eq!(send(vec![]).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        send(vec![("authorization", "Bearer sgk_wrong".into())]).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(vec![("x-api-key", read_key.clone())]).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(vec![("authorization", format!("Bearer {send_key}"))]).await,
        StatusCode::OK
    );
    // Another text: the same one again within a minute would be refused as a duplicate.
    let again = json!({"to": SIM1, "message": "authorised again"});
    let (status, _) = call(
        &d.app,
        "POST",
        "/api/sms/send",
        Some(again),
        &[("x-api-key", &send_key)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &d.app,
        "GET",
        "/api/modems",
        None,
        &[("x-api-key", &read_key)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &d.app,
        "GET",
        "/api/modems",
        None,
        &[("x-api-key", &send_key)],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Probes stay open.
    let (status, _) = get(&d.app, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modems_are_listed_with_state_identity_and_counters() {
    let d = start(|_| {}).await;
    // /readyz (what `start` waits for) needs one ready modem; this test looks at both.
    let body = wait_for(
        &d.app,
        "/api/modems",
        |v| {
            v["modems"]
                .as_array()
                .is_some_and(|m| m.iter().all(|m| m["state"] == "ready"))
        },
        "both modems ready",
    )
    .await;
    let modems = body["modems"].as_array().unwrap();
    assert_eq!(modems.len(), 2);
    assert_eq!(modems[0]["name"], "sim0");
    assert_eq!(modems[0]["state"], "ready");
    assert_eq!(modems[0]["identity"]["msisdn"], "+12025550101");
    assert_eq!(modems[0]["network"]["operator"], "SimNet");
    assert!(modems[0]["route"]["sent_segments"].is_u64());
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_queued_before_a_restart_is_sent_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&dir);
    config.simulator.modems = 0; // nothing sends: everything stays queued
    let d = Daemon::start(&config).await.unwrap();
    let app = d.router();
    let (_, body) = post(
        &app,
        "/api/sms/send",
        json!({"to": [SIM1, EXTERNAL, "+4915112345679"], "message": "survives"}),
    )
    .await;
    let ids: Vec<Value> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    d.stop().await;

    config.simulator.modems = 2;
    let d = start_in(dir, config).await;
    for id in &ids {
        wait_status(&d.app, id, "delivered").await;
    }
    d.stop().await;
}

/// A local HTTP endpoint that records callbacks; it answers 503 to the first `fail_first`.
async fn callback_receiver(
    fail_first: usize,
) -> (
    String,
    tokio::sync::mpsc::Receiver<(axum::http::HeaderMap, String)>,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let seen = std::sync::Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let tx = tx.clone();
            let seen = seen.clone();
            async move {
                let n = seen.fetch_add(1, Ordering::SeqCst);
                let _ = tx.send((headers, body)).await;
                if n < fail_first {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, rx)
}

fn hmac_hex(secret: &str, message: &str) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_changes_are_called_back_signed_and_in_order() {
    // The receiver is on loopback, which callbacks may reach only when allowed.
    let d = start(|c| c.callbacks.allow_private_networks = true).await;
    let (url, mut hooks) = callback_receiver(0).await;
    let (_, body) = post(&d.app, "/api/sms/send", json!({
        "to": SIM1, "message": "call me back", "callback_url": url, "custom_id": "cb-1", "metadata": {"k": "v"},
    }))
    .await;
    let id = body["messages"][0]["id"].clone();
    let (status, secret) = get(&d.app, "/api/webhooks/secret").await;
    assert_eq!(status, StatusCode::OK);
    let secret = secret["secret"].as_str().unwrap().to_string();
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let (headers, payload) = tokio::time::timeout(Duration::from_secs(30), hooks.recv())
            .await
            .unwrap()
            .unwrap();
        let timestamp = headers["x-smsgate-timestamp"].to_str().unwrap();
        let signature = headers["x-smsgate-signature"].to_str().unwrap();
        assert_eq!(
            signature,
            format!(
                "sha256={}",
                hmac_hex(&secret, &format!("{timestamp}.{payload}"))
            )
        );
        let v: Value = serde_json::from_str(&payload).unwrap();
        assert_eq!(
            (v["id"].clone(), v["custom_id"].clone(), v["to"].clone()),
            (id.clone(), json!("cb-1"), json!(SIM1))
        );
        assert_eq!(v["metadata"]["k"], "v");
        assert!(
            payload.contains(r#""metadata":{"k": "v"}"#)
                || payload.contains(r#""metadata":{"k":"v"}"#),
            "{payload}"
        );
        statuses.push(v["status"].as_str().unwrap().to_string());
    }
    assert_eq!(statuses, vec!["sent", "delivered"]);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_callback_is_retried() {
    // The receiver is on loopback, which callbacks may reach only when allowed.
    let d = start(|c| c.callbacks.allow_private_networks = true).await;
    let (url, mut hooks) = callback_receiver(1).await;
    let expire = smsgate::message::format_millis(smsgate::message::now_millis() + 3_600_000);
    let later = smsgate::message::format_millis(smsgate::message::now_millis() + 1_800_000);
    let (_, body) = post(&d.app, "/api/sms/send", json!({
        "to": SIM1, "message": "x", "callback_url": url, "schedule_at": later, "expire_at": expire,
    }))
    .await;
    let id = body["messages"][0]["id"].clone();
    post(&d.app, &format!("/api/sms/{id}/cancel"), json!({})).await;
    let first = tokio::time::timeout(Duration::from_secs(30), hooks.recv())
        .await
        .unwrap()
        .unwrap();
    let again = tokio::time::timeout(Duration::from_secs(30), hooks.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.1, again.1, "the retry carries the same payload");
    let v: Value = serde_json::from_str(&again.1).unwrap();
    assert_eq!(v["status"], "cancelled");
    d.stop().await;
}

/// Regression: once the route chosen when placing became the route sent through, the
/// runner's own round-robin cursor stopped moving (placing chose with a copy), and every
/// message went to the first modem.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_robin_takes_the_modems_in_turn() {
    let d = start(|c| c.dispatch.strategy = smsgate::config::Strategy::RoundRobin).await;
    let mut routes = Vec::new();
    for i in 0..4 {
        let (status, body) = post(
            &d.app,
            "/api/sms/send",
            json!({"to": EXTERNAL, "message": format!("turn {i}")}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // One at a time: each round has both modems free.
        let sent = wait_for(
            &d.app,
            &format!("/api/sms/{}", body["messages"][0]["id"]),
            |v| v["status"] == "sent" || v["status"] == "delivered",
            "sent",
        )
        .await;
        routes.push(sent["route"].as_str().unwrap().to_string());
    }
    assert!(
        routes.windows(2).all(|w| w[0] != w[1]),
        "round robin repeated a modem: {routes:?}"
    );
    d.stop().await;
}

/// Regression: a message no route could take (pinned to a modem that is not ready) was
/// leased and released every round, and the free modem never got any work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_no_route_can_take_never_starves_a_free_modem() {
    let d = start(|_| {}).await;
    let sim = d.sim();
    sim.set_registration(0, 2); // sim0: searching, so not ready
    wait_for(
        &d.app,
        "/api/modems",
        |v| v["modems"][0]["state"] != "ready",
        "sim0 not ready",
    )
    .await;
    let (_, pinned) = post(
        &d.app,
        "/api/sms/send",
        json!({"to": SIM1, "message": "only via sim0", "provider": "sim0"}),
    )
    .await;
    let (_, free) = post(
        &d.app,
        "/api/sms/send",
        json!({"to": EXTERNAL, "message": "any modem"}),
    )
    .await;
    let delivered = wait_status(&d.app, &free["messages"][0]["id"], "delivered").await;
    assert_eq!(delivered["route"], "sim1");
    let (_, waiting) = get(&d.app, &format!("/api/sms/{}", pinned["messages"][0]["id"])).await;
    assert_eq!(waiting["status"], "queued", "{waiting}");
    assert_eq!(
        waiting["attempts"], 0,
        "waiting for its route costs no attempt"
    );
    d.stop().await;
}
