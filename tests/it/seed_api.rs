//! The seed API's small differences (`shared/seeds/004`), on a daemon over the simulator:
//! the send paths answer 200, `sms_type: "alert"` is kept and filtered on while it routes
//! as transactional, `priority` defaults to 1 (OTP bands stay above), `GET /api/sms`
//! carries `total` besides its page. (The provider preference is in `routing.rs`; the
//! seed's Python client in `seed_client.rs`.)

use super::api::{get, post, wait_for};
use super::daemon::TestDaemon;
use axum::http::StatusCode;
use serde_json::json;

const EXTERNAL: &str = "+4915112345678";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alert_default_priority_total_and_200_on_the_seed_send_paths() {
    let d = TestDaemon::start(|_| {}).await;

    // send: 200 (the seed's client checks it), the body as before.
    let (status, alert) = post(
        &d.app,
        "/api/sms/send",
        json!({"to": [{"number": EXTERNAL, "name": "Ops"}], "message": "disk full", "sms_type": "alert"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{alert}");
    assert_eq!(alert["status"], "accepted", "{alert}");
    assert!(alert["batch_id"].is_string(), "{alert}");
    assert!(alert.get("provider_fallback").is_none(), "{alert}");
    let alert_id = alert["messages"][0]["id"].clone();

    // send-batch: 200 too.
    let (status, batch) = post(
        &d.app,
        "/api/sms/send-batch",
        json!({
            "name": "Marketing Campaign",
            "recipients": [{"number": "+4915112345671"}, {"number": "+4915112345672"}],
            "message": "Special offer!",
            "sms_type": "promotional",
        }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{batch}");
    assert_eq!(batch["total"], 2, "{batch}");

    // A client OTP message: its band stays far above the default priority.
    let (status, otp) = post(
        &d.app,
        "/api/sms/send",
        json!({"to": EXTERNAL, "message": "code 4711", "sms_type": "otp"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{otp}");
    let otp_id = otp["messages"][0]["id"].clone();

    // The alert keeps its type, gets the seed's default priority 1, and goes out as a
    // transactional message would (over the modems, the default transactional list).
    let detail = wait_for(
        &d.app,
        &format!("/api/sms/{alert_id}"),
        |v| v["status"] == "delivered",
        "the alert delivered",
    )
    .await;
    assert_eq!(detail["sms_type"], "alert", "{detail}");
    assert_eq!(detail["priority"], 1, "{detail}");
    assert!(
        detail["route"].as_str().unwrap_or("").starts_with("sim"),
        "{detail}"
    );
    let (_, otp_detail) = get(&d.app, &format!("/api/sms/{otp_id}")).await;
    assert!(
        otp_detail["priority"].as_i64().unwrap() > 100_000,
        "{otp_detail}"
    );
    let (_, promo) = get(
        &d.app,
        &format!("/api/sms?batch_id={}", batch["batch_id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(promo["messages"][0]["priority"], 1, "{promo}");

    // Filters see `alert`; `total` counts every match, `count` the page.
    let (status, alerts) = get(&d.app, "/api/sms?sms_type=alert").await;
    assert_eq!(status, StatusCode::OK, "{alerts}");
    assert_eq!(alerts["total"], 1, "{alerts}");
    assert_eq!(alerts["messages"][0]["id"], alert_id, "{alerts}");
    let (_, page) = get(&d.app, "/api/sms?limit=1&offset=1").await;
    assert_eq!(page["total"], 4, "{page}");
    assert_eq!(page["count"], 1, "{page}");
    let (_, none) = get(&d.app, "/api/sms?sms_type=alert&status=failed").await;
    assert_eq!(
        (none["total"].clone(), none["count"].clone()),
        (json!(0), json!(0))
    );
    let (status, bad) = get(&d.app, "/api/sms?sms_type=emergency").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    assert_eq!(bad["error"]["field"], "sms_type", "{bad}");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_pinned_to_a_route_that_is_gone_is_refused_not_rerouted() {
    use smsgate::service::{RecipientInput, SendRequest, ServiceError};
    use smsgate::store::types::ReplyLink;
    let d = TestDaemon::start(|_| {}).await;
    let request = |reply: Option<ReplyLink>| SendRequest {
        to: vec![RecipientInput {
            number: EXTERNAL.into(),
            ..RecipientInput::default()
        }],
        message: "hi".into(),
        provider: Some("twilio".into()),
        reply,
        ..SendRequest::default()
    };
    // A client's unknown provider is a preference…
    let outcome = d.service().send(request(None)).await.unwrap();
    let fallback = outcome.provider_fallback.expect("provider_fallback");
    assert_eq!(fallback.requested, "twilio");
    assert_eq!(fallback.route_groups, ["modems"]);
    // …but a reply's route is a pin: a vanished one is an error, never another route.
    let refused = d
        .service()
        .send(request(Some(ReplyLink {
            conversation_id: 1,
            inbound_id: None,
        })))
        .await;
    assert!(
        matches!(&refused, Err(ServiceError::Invalid { field, .. }) if field == "provider"),
        "{refused:?}"
    );
    d.stop().await;
}
