//! The inbox and the opt-out list end to end: a real daemon on the simulated network
//! (SQLite file, simulated modems, inbox consumer) driven through its router, with inbound
//! SMS injected into the network as a handset would send them; and a modem wired to the
//! inbox directly, to check that what the store did not commit stays on the SIM. Real time;
//! state changes are awaited with bounded polling of the API or the simulator.

use super::daemon::TestDaemon;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use smsgate::config::{generate_api_key, ApiKey, Config, Scope};
use smsgate::http::App;
use smsgate::inbound::inbox::{Inbox, InboxSettings};
use smsgate::message::SmsType;
use smsgate::modem::{FnConnector, Modem, ModemConfig, ModemEvent, ModemState};
use smsgate::sim::{InboundOptions, SimNetwork};
use smsgate::store::{Store, StoreOptions};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tower::ServiceExt;

const EXTERNAL: &str = "+4915112345678";
const EXTERNAL_Q: &str = "%2B4915112345678";
const OTHER: &str = "+33612345678";

/// The suite's daemon, with every modem ready, so each knows its own number (read at
/// initialisation).
async fn start(tweak: impl FnOnce(&mut Config)) -> TestDaemon {
    let d = TestDaemon::start(tweak).await;
    wait_until("every modem ready", || {
        d.service()
            .modems()
            .iter()
            .all(|m| m.status.state == ModemState::Ready)
    })
    .await;
    d
}

async fn call(app: &App, method: &str, path: &str, key: Option<&str>) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(key) = key {
        req = req.header("authorization", format!("Bearer {key}"));
    }
    let response = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
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

async fn get(app: &App, path: &str) -> (StatusCode, Value) {
    call(app, "GET", path, None).await
}

/// Polls `path` until `done` holds (at most 30 s), returning the last answer.
async fn wait_for(app: &App, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, v) = get(app, path).await;
        if done(&v) {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{path}: never happened; last answer {v}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls `check` until it holds (at most 30 s).
async fn wait_until(what: &str, check: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: never happened"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn long_text() -> String {
    (0..15)
        .map(|i| format!("part of a long reply {i:02}. "))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_three_part_inbound_message_arrives_as_one() {
    let d = start(|_| {}).await;
    let text = long_text();
    let parts = d
        .sim()
        .inject_inbound(0, EXTERNAL, &text, InboundOptions::default())
        .unwrap();
    assert_eq!(parts, 3, "the text needs three segments");
    let page = wait_for(&d.app, &format!("/api/inbound?from={EXTERNAL_Q}"), |v| {
        v["total"] == 1
    })
    .await;
    let m = &page["messages"][0];
    assert_eq!(m["text"], text.as_str());
    assert_eq!(m["from"], EXTERNAL);
    assert_eq!(m["to"], d.sim().msisdn(0).as_str());
    assert_eq!(m["modem"], "sim0");
    assert_eq!(
        (m["parts"].as_u64(), m["parts_received"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(m["complete"], true);
    assert_eq!(m["encoding"], "gsm7");
    assert!(
        m["sent_at"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{m}"
    );
    assert!(m["received_at"].as_str().is_some(), "{m}");
    assert_eq!(m["optout"], Value::Null);

    let (status, detail) = get(&d.app, &format!("/api/inbound/{}", m["id"])).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["text"], text.as_str());
    let seqs: Vec<u64> = detail["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, vec![1, 2, 3]);
    // Recorded, so taken off the SIM.
    wait_until("the SIM is empty", || d.sim().counters(0).stored == 0).await;

    // The filters: another sender, a time after it, a page, and bad input.
    d.sim()
        .inject_inbound(1, OTHER, "hello", InboundOptions::default())
        .unwrap();
    let all = wait_for(&d.app, "/api/inbound", |v| v["total"] == 2).await;
    assert_eq!(all["messages"][0]["from"], OTHER, "newest first");
    assert_eq!(all["messages"][0]["to"], d.sim().msisdn(1).as_str());
    // An unencoded + arrives as a space; it is read as the + it was.
    let (_, mine) = get(&d.app, "/api/inbound?from=+4915112345678").await;
    assert_eq!(mine["total"], 1, "{mine}");
    let (_, later) = get(&d.app, "/api/inbound?since=2999-01-01T00:00:00Z").await;
    assert_eq!(later["total"], 0);
    let (_, page) = get(&d.app, "/api/inbound?limit=1&offset=1").await;
    assert_eq!(
        (page["total"].as_u64(), page["messages"][0]["from"].as_str()),
        (Some(2), Some(EXTERNAL))
    );
    for (query, field) in [
        ("since=yesterday", "since"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("from=%2B12", "from"),
    ] {
        let (status, body) = get(&d.app, &format!("/api/inbound?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error"]["field"], field, "{query}: {body}");
    }
    for id in ["999", "0", "abc"] {
        let (status, _) = get(&d.app, &format!("/api/inbound/{id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{id}");
    }
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_reply_puts_the_number_on_the_list_and_start_takes_it_off() {
    let d = start(|_| {}).await;
    let path = format!("/api/optouts/{EXTERNAL}");
    let (status, _) = get(&d.app, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    d.sim()
        .inject_inbound(0, EXTERNAL, "Stop", InboundOptions::default())
        .unwrap();
    let row = wait_for(&d.app, &path, |v| v["number"] == EXTERNAL).await;
    assert_eq!(row["source"], "sms");
    assert_eq!(row["keyword"], "STOP");
    assert!(row["created_at"].as_str().is_some());
    let list = wait_for(&d.app, "/api/optouts", |v| v["total"] == 1).await;
    assert_eq!(list["optouts"][0]["number"], EXTERNAL);
    let (_, inbound) = get(&d.app, "/api/inbound").await;
    assert_eq!(inbound["messages"][0]["optout"], "stop");
    assert_eq!(inbound["messages"][0]["text"], "Stop");

    // What the send path will ask.
    let service = &d.service();
    let among = service
        .opted_out_among(vec![EXTERNAL.to_string(), OTHER.to_string()])
        .await
        .unwrap();
    assert_eq!(
        among.into_iter().collect::<Vec<_>>(),
        vec![EXTERNAL.to_string()]
    );
    assert!(service.optout_blocks(SmsType::Promotional));
    assert!(!service.optout_blocks(SmsType::Transactional));
    assert!(!service.optout_blocks(SmsType::Otp));

    // A sentence with the word in it is an ordinary message.
    d.sim()
        .inject_inbound(0, OTHER, "please stop calling", InboundOptions::default())
        .unwrap();
    wait_for(&d.app, "/api/inbound", |v| v["total"] == 2).await;
    let (status, _) = get(&d.app, &format!("/api/optouts/{OTHER}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    d.sim()
        .inject_inbound(1, EXTERNAL, " START ", InboundOptions::default())
        .unwrap();
    wait_for(&d.app, &path, |v| v["error"]["code"] == "not_found").await;
    let (_, list) = get(&d.app, "/api/optouts").await;
    assert_eq!(list["total"], 0);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_keywords_and_blocked_types_are_used() {
    let d = start(|c| {
        c.optout.stop_keywords = vec!["HALT".into()];
        c.optout.start_keywords = vec!["WEITER".into()];
        c.optout.block = vec![SmsType::Promotional, SmsType::Transactional];
    })
    .await;
    d.sim()
        .inject_inbound(0, EXTERNAL, "stop", InboundOptions::default())
        .unwrap();
    d.sim()
        .inject_inbound(0, OTHER, "halt", InboundOptions::default())
        .unwrap();
    wait_for(&d.app, "/api/inbound", |v| v["total"] == 2).await;
    let list = wait_for(&d.app, "/api/optouts", |v| v["total"] == 1).await;
    assert_eq!(list["optouts"][0]["number"], OTHER, "{list}");
    assert_eq!(list["optouts"][0]["keyword"], "HALT");
    assert!(d.service().optout_blocks(SmsType::Transactional));
    assert!(!d.service().optout_blocks(SmsType::Otp));
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_optout_api_adds_removes_lists_and_refuses_bad_numbers() {
    let d = start(|c| c.server.default_region = Some("DE".into())).await;
    let app = &d.app;
    let (status, body) = call(app, "POST", &format!("/api/optouts/{EXTERNAL}"), None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["number"], EXTERNAL);
    assert_eq!(body["source"], "api");
    assert_eq!(body["keyword"], Value::Null);
    // Again, written nationally: the same number, already there.
    let (status, again) = call(app, "POST", "/api/optouts/0151%2012345678", None).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again, body, "left as it was");
    let (status, _) = call(app, "POST", &format!("/api/optouts/{OTHER}"), None).await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, list) = get(app, "/api/optouts?limit=1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (list["total"].as_u64(), list["limit"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(list["optouts"].as_array().unwrap().len(), 1);
    let (_, rest) = get(app, "/api/optouts?limit=1&offset=1").await;
    assert_ne!(rest["optouts"][0]["number"], list["optouts"][0]["number"]);
    let (status, one) = get(app, "/api/optouts/+4915112345678").await;
    assert_eq!(
        (status, one["number"].as_str()),
        (StatusCode::OK, Some(EXTERNAL))
    );

    let (status, body) = call(app, "DELETE", &format!("/api/optouts/{EXTERNAL}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = call(app, "DELETE", &format!("/api/optouts/{EXTERNAL}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = get(app, &format!("/api/optouts/{EXTERNAL}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = get(app, "/api/optouts").await;
    assert_eq!(list["total"], 1);

    // A + number the numbering plan does not know (Ofcom's drama range) is still E.164: its
    // owner may have sent STOP, so it can be listed, shown and removed.
    let (status, body) = call(app, "POST", "/api/optouts/+44%207700%20900123", None).await;
    assert_eq!(
        (status, body["number"].as_str()),
        (StatusCode::CREATED, Some("+447700900123"))
    );
    let (status, _) = call(app, "DELETE", "/api/optouts/+447700900123", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    for (method, path) in [
        ("POST", "/api/optouts/not-a-number"),
        ("DELETE", "/api/optouts/%2B49"),
        ("GET", "/api/optouts/12"),
    ] {
        let (status, body) = call(app, method, path, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {path}: {body}");
        assert_eq!(body["error"]["field"], "number", "{body}");
    }
    for query in ["limit=0", "limit=5000"] {
        let (status, body) = get(app, &format!("/api/optouts?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"]["field"], "limit");
    }
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_needs_read_and_changing_the_list_needs_send() {
    let (read_key, read_hash) = generate_api_key();
    let (send_key, send_hash) = generate_api_key();
    let d = start(|c| {
        c.api_keys = vec![
            ApiKey {
                name: "reader".into(),
                sha256: read_hash,
                scopes: vec![Scope::Read],
            },
            ApiKey {
                name: "sender".into(),
                sha256: send_hash,
                scopes: vec![Scope::Send],
            },
        ];
    })
    .await;
    let app = &d.app;
    let path = format!("/api/optouts/{EXTERNAL}");
    assert_eq!(
        call(app, "POST", &path, Some(&read_key)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(app, "POST", &path, Some(&send_key)).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        call(app, "GET", &path, Some(&send_key)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(app, "GET", &path, Some(&read_key)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        call(app, "GET", "/api/inbound", Some(&read_key)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        call(app, "GET", "/api/inbound", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(app, "DELETE", &path, Some(&read_key)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(app, "DELETE", &path, Some(&send_key)).await.0,
        StatusCode::NO_CONTENT
    );
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incomplete_message_is_delivered_flagged_after_the_timeout() {
    let d = start(|c| c.inbox.incomplete_timeout_secs = 1).await;
    // Only part 1 of 2 ever arrives: inject the whole text's first segment by hand.
    let text = long_text();
    let plan = smsgate::pdu::SegmentPlan::new(
        smsgate::pdu::Payload::Text(&text[..200]),
        &smsgate::pdu::SegmentPolicy {
            ref_width: smsgate::pdu::RefWidth::Eight,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(plan.segments.len(), 2);
    d.sim()
        .inject_inbound_tpdu(0, first_part_tpdu(&plan, EXTERNAL))
        .unwrap();
    let page = wait_for(&d.app, "/api/inbound", |v| v["total"] == 1).await;
    let m = &page["messages"][0];
    assert_eq!(m["complete"], false, "{m}");
    assert_eq!(
        (m["parts"].as_u64(), m["parts_received"].as_u64()),
        (Some(2), Some(1))
    );
    assert!(text.starts_with(m["text"].as_str().unwrap()), "{m}");
    d.stop().await;
}

/// The TPDU of an SMS-DELIVER carrying segment 1 of `plan` (8-bit reference 99).
fn first_part_tpdu(plan: &smsgate::pdu::SegmentPlan, from: &str) -> Vec<u8> {
    use smsgate::pdu::udh::{Concat, InformationElement, UserDataHeader};
    use smsgate::pdu::{Address, DataCoding, Deliver, Timestamp, UserData};
    let deliver = Deliver {
        more_messages: false,
        loop_prevention: false,
        status_report_indication: false,
        reply_path: false,
        originator: Address::parse(from).unwrap(),
        protocol_id: 0,
        dcs: DataCoding::new(plan.alphabet, None),
        timestamp: Timestamp {
            year: 2024,
            month: 5,
            day: 1,
            hour: 12,
            minute: 0,
            second: 0,
            zone_quarters: 4,
        },
        user_data: UserData {
            header: Some(UserDataHeader {
                elements: vec![InformationElement::Concat(Concat {
                    reference: 99,
                    total: 2,
                    seq: 1,
                    wide: false,
                })],
            }),
            alphabet: plan.alphabet,
            body: plan.segments[0].clone(),
        },
    };
    deliver.encode().unwrap()
}

/// A message the store could not commit is not acked, so the modem keeps it on the SIM and
/// offers it again; once the store works it is recorded and deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_the_inbox_could_not_commit_stays_on_the_sim() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let store = Store::open(&path, StoreOptions::default()).await.unwrap();
    // The disk "fails" for inbound parts: every insert is refused.
    let side = rusqlite::Connection::open(&path).unwrap();
    side.execute_batch(
        "CREATE TRIGGER fail_parts BEFORE INSERT ON inbound_parts
         BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;",
    )
    .unwrap();

    let net = SimNetwork::with_modems(1);
    let (tx, mut rx) = mpsc::channel::<ModemEvent>(16);
    let mut config = ModemConfig::new("m0");
    config.sweep_interval = Duration::from_millis(300);
    let sim = net.clone();
    let modem = Modem::start(
        config,
        FnConnector("sim0".into(), move || sim.connect(0)),
        tx,
    );
    assert_eq!(
        modem.settled(Duration::from_secs(30)).await,
        ModemState::Ready
    );
    let inbox = Inbox::new(
        store.clone(),
        InboxSettings::default(),
        Arc::new(|_: &str| None),
    );

    net.inject_inbound(0, EXTERNAL, "keep me", InboundOptions::default())
        .unwrap();
    // Offered, not recorded (not acked), offered again by the next sweep: twice in all,
    // so the modem did not delete it after the failure.
    for offer in 1..=2 {
        let event = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .unwrap_or_else(|_| panic!("offer {offer} within 30 s"))
            .unwrap();
        assert!(matches!(event, ModemEvent::Received { .. }), "{event:?}");
        inbox.handle(event).await;
        assert_eq!(net.counters(0).stored, 1, "offer {offer}: still on the SIM");
    }
    assert_eq!(store.inbound_pending_parts().await.unwrap(), 0);

    // The disk recovers: the next offer is recorded, acked and deleted.
    side.execute_batch("DROP TRIGGER fail_parts").unwrap();
    let event = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .unwrap()
        .unwrap();
    inbox.handle(event).await;
    wait_until("deleted once recorded", || net.counters(0).stored == 0).await;
    let page = store
        .inbound_list(smsgate::store::inbox::InboundFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.messages[0].text, "keep me");
    modem.shutdown().await;
}

/// The README's first steps: a message sent to the second simulated modem comes back in
/// through its inbox, from the first modem's number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_sent_to_a_simulated_modem_arrives_in_the_inbox() {
    let d = start(|_| {}).await;
    let body = serde_json::json!({"to": [d.sim().msisdn(1)], "message": "Hello from smsgate 😀"});
    let req = Request::builder()
        .method("POST")
        .uri("/api/sms/send")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let status = d.app.clone().oneshot(req).await.unwrap().status();
    assert_eq!(status, StatusCode::OK);
    let page = wait_for(&d.app, "/api/inbound", |v| v["total"] == 1).await;
    let m = &page["messages"][0];
    assert_eq!(m["from"], d.sim().msisdn(0).as_str());
    assert_eq!(m["to"], d.sim().msisdn(1).as_str());
    assert_eq!(m["modem"], "sim1");
    assert_eq!(m["text"], "Hello from smsgate 😀");
    assert_eq!(m["encoding"], "ucs2");
    d.stop().await;
}
