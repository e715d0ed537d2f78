//! Conversations end to end on the simulator: multipart inbound (GSM-7, and UCS-2 with an
//! emoji arriving out of order) joins a conversation with its history; a reply leaves by
//! the modem the person wrote to (the simulator's network log says which), waits while that
//! modem is down or goes by a configured stand-in; close, reopen, idle close, retention; the
//! seed's statistics; paging with `total` and a cursor; bad input.

use super::api::{get, post, wait_for};
use super::daemon::TestDaemon;
use axum::http::StatusCode;
use serde_json::{json, Value};
use smsgate::config::Config;
use smsgate::sim::{InboundEncoding, InboundOptions};
use std::time::Duration;

const PERSON: &str = "+4915112345678";
const PERSON_Q: &str = "%2B4915112345678";

async fn start(tweak: impl FnOnce(&mut Config)) -> TestDaemon {
    TestDaemon::start(|c| {
        c.simulator.modems = 3;
        tweak(c);
    })
    .await
}

/// The conversations of `PERSON`, once there are `n`.
async fn conversations_of_person(d: &TestDaemon, n: u64) -> Value {
    wait_for(
        &d.app,
        &format!("/api/sms/conversations?remote_number={PERSON_Q}"),
        |v| v["total"] == n,
        "the person's conversations",
    )
    .await
}

/// The conversation with `PERSON` on `modem`'s number, once it exists.
async fn conversation_on(d: &TestDaemon, modem: usize) -> Value {
    let local = d.sim().msisdn(modem).replace('+', "%2B");
    let page = wait_for(
        &d.app,
        &format!("/api/sms/conversations?remote_number={PERSON_Q}&local_number={local}"),
        |v| v["total"] == 1,
        "the conversation on that modem's number",
    )
    .await;
    page["conversations"][0].clone()
}

async fn history(d: &TestDaemon, id: &Value) -> Vec<Value> {
    let (status, v) = get(&d.app, &format!("/api/sms/conversations/{id}/history")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["messages"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_inbound_in_ucs2_out_of_order_joins_one_conversation() {
    let d = start(|_| {}).await;
    // 4 UCS-2 segments, out of order; an emoji is a surrogate pair in UCS-2.
    let text: String = (0..3)
        .map(|i| format!("Привет {i} 😀 "))
        .collect::<String>()
        .repeat(6);
    let parts = d
        .sim()
        .inject_inbound(
            1,
            PERSON,
            &text,
            InboundOptions {
                encoding: InboundEncoding::Ucs2,
                parts: vec![4, 2, 1, 3],
                ..InboundOptions::default()
            },
        )
        .unwrap();
    assert_eq!(parts, 4);
    let gsm = "a GSM-7 text long enough for two parts: ".repeat(5);
    d.sim()
        .inject_inbound(1, PERSON, &gsm, InboundOptions::default())
        .unwrap();

    let page = conversations_of_person(&d, 1).await;
    let c = &page["conversations"][0];
    assert_eq!(c["local_number"], d.sim().msisdn(1).as_str());
    assert_eq!(c["route"], "sim1");
    assert_eq!(c["status"], "active");
    let c = wait_for(
        &d.app,
        &format!("/api/sms/conversations/{}", c["id"]),
        |v| v["inbound_count"] == 2,
        "both messages in the conversation",
    )
    .await;
    let messages = history(&d, &c["id"]).await;
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert_eq!(messages[0]["direction"], "inbound");
    assert_eq!(messages[0]["text"], text.as_str());
    assert_eq!(messages[0]["from"], PERSON);
    assert_eq!(messages[0]["to"], d.sim().msisdn(1).as_str());
    assert_eq!(messages[0]["status"], "received");
    assert_eq!(messages[1]["text"], gsm.as_str());
    // The inbox has them too, once each.
    let inbox = wait_for(
        &d.app,
        &format!("/api/inbound?from={PERSON_Q}"),
        |v| v["total"] == 2,
        "two inbound messages",
    )
    .await;
    assert_eq!(inbox["messages"][1]["encoding"], "ucs2");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_leaves_by_the_modem_the_person_wrote_to() {
    let d = start(|_| {}).await;
    let mut log = d.sim().subscribe_log();
    d.sim()
        .inject_inbound(
            2,
            PERSON,
            "Is my order on its way?",
            InboundOptions::default(),
        )
        .unwrap();
    let c = conversation_on(&d, 2).await;
    let id = c["id"].clone();
    let inbound = history(&d, &id).await;
    let inbound_id = inbound[0]["id"].clone();

    let (status, v) = post(
        &d.app,
        &format!("/api/sms/conversations/{id}/reply"),
        json!({"message": "Yes, it ships today."}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["route"], "sim2");
    assert_eq!(v["waiting"], false);
    assert_eq!(v["stand_in"], false);
    let message_id = v["messages"][0]["id"].clone();

    // The network saw the reply leave modem 2 (and no other modem).
    let record = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let r = log.recv().await.unwrap();
            if r.to == PERSON {
                return r;
            }
        }
    })
    .await
    .expect("the reply reached the network");
    assert_eq!(record.from_modem, Some(2));
    assert_eq!(record.from, d.sim().msisdn(2));
    assert_eq!(record.text, "Yes, it ships today.");

    let messages = history(&d, &id).await;
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert_eq!(messages[1]["direction"], "outbound");
    assert_eq!(messages[1]["id"], message_id);
    assert_eq!(messages[1]["reply_to"], inbound_id);
    assert_eq!(messages[1]["from"], d.sim().msisdn(2).as_str());
    let c = wait_for(
        &d.app,
        &format!("/api/sms/conversations/{id}"),
        |v| v["outbound_count"] == 1,
        "the reply counted",
    )
    .await;
    assert_eq!(c["inbound_count"], 1);

    // A plain send to the person joins the conversation of the modem it left by.
    let (status, v) = post(
        &d.app,
        "/api/sms/send",
        json!({"to": [PERSON], "message": "Your parcel is out for delivery."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let sent = wait_for(
        &d.app,
        &format!("/api/sms/{}", v["messages"][0]["id"]),
        |m| m["status"] == "sent" || m["status"] == "delivered",
        "the plain send sent",
    )
    .await;
    let route = sent["route"].as_str().unwrap().to_string();
    let modem: usize = route.trim_start_matches("sim").parse().unwrap();
    let joined = conversation_on(&d, modem).await;
    let messages = history(&d, &joined["id"]).await;
    assert!(
        messages
            .iter()
            .any(|m| m["id"] == sent["id"] && m["direction"] == "outbound"),
        "{messages:?}"
    );

    // Seed 003's statistics count both directions and the response time.
    let (status, stats) = get(&d.app, "/api/sms/stats").await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(stats["inbound_messages"], 1);
    assert_eq!(stats["outbound_messages"], 2);
    assert_eq!(stats["responses"], 1);
    assert!(stats["average_first_response_secs"].as_f64().unwrap() >= 0.0);
    assert_eq!(stats["active_numbers_24h"], 1);
    assert_eq!(stats["active_numbers_7d"], 1);
    let active = stats["active_conversations"].as_u64().unwrap();
    assert!((1..=2).contains(&active), "{stats}");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_waits_for_its_modem_or_goes_by_a_configured_stand_in() {
    let d = start(|c| {
        c.conversations.interchangeable = vec![vec!["sim0".into(), "sim1".into()]];
    })
    .await;
    d.sim()
        .inject_inbound(1, PERSON, "hello", InboundOptions::default())
        .unwrap();
    d.sim()
        .inject_inbound(2, PERSON, "hello again", InboundOptions::default())
        .unwrap();
    let on1 = conversation_on(&d, 1).await;
    let on2 = conversation_on(&d, 2).await;
    // Both modems lose the network.
    d.sim().set_registration(1, 0);
    d.sim().set_registration(2, 0);
    for route in ["sim1", "sim2"] {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while d
            .service()
            .routes()
            .iter()
            .any(|r| r.name == route && r.ready)
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{route} never went down"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // sim1 has a stand-in: sim0.
    let (status, v) = post(
        &d.app,
        &format!("/api/sms/conversations/{}/reply", on1["id"]),
        json!({"message": "via the stand-in"}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    assert_eq!(
        (v["route"].as_str(), v["stand_in"].as_bool()),
        (Some("sim0"), Some(true))
    );
    assert_eq!(v["waiting"], false);
    // sim2 has none: the reply waits for it.
    let (status, v) = post(
        &d.app,
        &format!("/api/sms/conversations/{}/reply", on2["id"]),
        json!({"message": "waits for its modem"}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    assert_eq!(
        (v["route"].as_str(), v["waiting"].as_bool()),
        (Some("sim2"), Some(true))
    );
    let waiting_id = v["messages"][0]["id"].clone();
    let first = wait_for(
        &d.app,
        &format!("/api/sms/{}", history(&d, &on1["id"]).await[1]["id"]),
        |m| m["status"] == "sent" || m["status"] == "delivered",
        "the stand-in's reply sent",
    )
    .await;
    assert_eq!(first["route"], "sim0");
    let (_, still) = get(&d.app, &format!("/api/sms/{waiting_id}")).await;
    assert!(
        still["status"] == "queued" || still["status"] == "scheduled",
        "a reply pinned to a modem that is down waits: {still}"
    );
    d.sim().set_registration(2, 1);
    let sent = wait_for(
        &d.app,
        &format!("/api/sms/{waiting_id}"),
        |m| m["status"] == "sent" || m["status"] == "delivered",
        "the waiting reply sent once its modem is back",
    )
    .await;
    assert_eq!(sent["route"], "sim2");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_reopen_idle_close_and_retention() {
    let d = start(|c| {
        c.conversations.idle_close_secs = 3600;
        c.conversations.retention_days = 30;
    })
    .await;
    d.sim()
        .inject_inbound(0, PERSON, "first", InboundOptions::default())
        .unwrap();
    let c = conversation_on(&d, 0).await;
    let id = c["id"].clone();

    let (status, v) = post(
        &d.app,
        &format!("/api/sms/conversations/{id}/close"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["closed"], true);
    assert_eq!(v["conversation"]["status"], "closed");
    assert!(v["conversation"]["closed_at"].is_string());
    let (_, again) = post(
        &d.app,
        &format!("/api/sms/conversations/{id}/close"),
        json!({}),
    )
    .await;
    assert_eq!(again["closed"], false, "closing twice changes nothing");
    let (_, closed) = get(&d.app, "/api/sms/conversations?status=closed").await;
    assert_eq!(closed["total"], 1);

    // The next message reopens the same conversation.
    d.sim()
        .inject_inbound(0, PERSON, "second", InboundOptions::default())
        .unwrap();
    let c = wait_for(
        &d.app,
        &format!("/api/sms/conversations/{id}"),
        |v| v["status"] == "active" && v["inbound_count"] == 2,
        "reopened",
    )
    .await;
    assert_eq!(c["closed_at"], Value::Null);

    // Silence longer than idle_close_secs closes it.
    d.service().conversation_upkeep().await.unwrap();
    let (_, c) = get(&d.app, &format!("/api/sms/conversations/{id}")).await;
    assert_eq!(c["status"], "active", "not idle yet");
    d.advance(Duration::from_secs(3601));
    let (closed, purged) = d.service().conversation_upkeep().await.unwrap();
    assert_eq!((closed, purged), (1, 0));
    let (_, c) = get(&d.app, &format!("/api/sms/conversations/{id}")).await;
    assert_eq!(c["status"], "closed");

    // 30 days after the close its texts go; its counts stay.
    d.advance(Duration::from_secs(29 * 24 * 3600));
    assert_eq!(d.service().conversation_upkeep().await.unwrap(), (0, 0));
    d.advance(Duration::from_secs(2 * 24 * 3600));
    assert_eq!(d.service().conversation_upkeep().await.unwrap(), (0, 1));
    let (_, c) = get(&d.app, &format!("/api/sms/conversations/{id}")).await;
    assert_eq!(c["purged"], true);
    assert_eq!(c["inbound_count"], 2);
    let messages = history(&d, &id).await;
    assert_eq!(messages.len(), 2);
    assert!(messages.iter().all(|m| m["text"] == ""), "{messages:?}");
    let (_, stats) = get(&d.app, "/api/sms/stats").await;
    assert_eq!(
        stats["inbound_messages"], 2,
        "counts survive retention: {stats}"
    );
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_pages_by_cursor_and_offset_and_refuses_bad_input() {
    let d = start(|_| {}).await;
    let people: Vec<String> = (0..5).map(|i| format!("+491511234560{i}")).collect();
    for p in &people {
        d.sim()
            .inject_inbound(0, p, "hi", InboundOptions::default())
            .unwrap();
    }
    wait_for(
        &d.app,
        "/api/sms/conversations",
        |v| v["total"] == 5,
        "five conversations",
    )
    .await;
    let mut seen = Vec::new();
    let mut path = "/api/sms/conversations?limit=2".to_string();
    loop {
        let (status, page) = get(&d.app, &path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["total"], 5);
        for c in page["conversations"].as_array().unwrap() {
            seen.push(c["remote_number"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/sms/conversations?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, people, "every conversation once: {seen:?}");
    let (_, page) = get(&d.app, "/api/sms/conversations?limit=2&offset=4").await;
    assert_eq!(page["conversations"].as_array().unwrap().len(), 1);

    for (path, field) in [
        ("/api/sms/conversations?status=open", "status"),
        ("/api/sms/conversations?limit=0", "limit"),
        ("/api/sms/conversations?cursor=abc", "cursor"),
        (
            "/api/sms/conversations?updated_since=yesterday",
            "updated_since",
        ),
        (
            "/api/sms/conversations?remote_number=%2B12",
            "remote_number",
        ),
        (
            "/api/sms/stats?date_from=2026-02-01T00:00:00Z&date_to=2026-01-01T00:00:00Z",
            "date_to",
        ),
    ] {
        let (status, v) = get(&d.app, path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {v}");
        assert!(v.to_string().contains(field), "{path} names {field}: {v}");
    }
    for path in [
        "/api/sms/conversations/999",
        "/api/sms/conversations/x/history",
    ] {
        let (status, _) = get(&d.app, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, v) = post(
        &d.app,
        "/api/sms/conversations/1/reply",
        json!({"message": " "}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(v.to_string().contains("message"), "{v}");
    let (status, _) = post(
        &d.app,
        "/api/sms/conversations/999/reply",
        json!({"message": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    d.stop().await;
}

/// A real `smsgate serve` killed with SIGKILL between the parts of a message (its modem in a
/// `smsgate simulate` process, as over ser2net) still delivers the message once when it is
/// back: the part it had committed is in the store, the rest arrive after the restart.
#[test]
fn a_daemon_killed_between_parts_delivers_the_message_once_after_restart() {
    use super::process::{free_port, http, start};
    use std::time::Instant;
    let dir = tempfile::tempdir().unwrap();
    let addr = free_port();
    let (_sim, port, control) = super::crash::simulator();
    let config = dir.path().join("smsgate.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"{addr}\"\n[storage]\npath = \"{}\"\n[dispatch]\npoll_interval_ms = 20\n\
             [webhooks]\nallow_private = true\n\
             [[modems]]\nname = \"m0\"\nport = \"tcp://127.0.0.1:{port}\"\n",
            dir.path().join("smsgate.db").display()
        ),
    )
    .unwrap();
    let text = "a message in three parts that the daemon sees across a crash. ".repeat(6);
    let inject = |parts: &str| {
        let body =
            format!(r#"{{"from":"{PERSON}","text":"{text}","reference":77,"parts":{parts}}}"#);
        let (status, v) = http(control, "POST", "/modems/0/inbound", Some(&body)).unwrap();
        assert_eq!(status, 200, "{v}");
    };
    let wait = |what: &str, done: &dyn Fn() -> bool| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !done() {
            assert!(Instant::now() < deadline, "{what}: never happened");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let sim_holds_nothing = || {
        http(control, "GET", "/modems", None).is_some_and(|(_, v)| v[0]["counters"]["stored"] == 0)
    };

    let mut daemon = start(&config, addr);
    // A real receiver subscribed to sms.received: the message reaches it once, signed.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let receiver = runtime.block_on(super::webhook_subscriptions::Receiver::start(false));
    let subscription = format!(r#"{{"url":"{}","events":["sms.received"]}}"#, receiver.url);
    let (status, created) = http(addr, "POST", "/api/webhooks", Some(&subscription)).unwrap();
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().unwrap().to_string();
    let subscription_id = created["id"].as_str().unwrap().to_string();
    inject("[2]");
    // Once the SIM is empty the daemon committed the part (it deletes only after commit).
    wait("part 2 taken off the SIM", &|| {
        http(control, "GET", "/modems", None).is_some_and(|(_, v)| {
            v[0]["counters"]["stored"] == 0 && v[0]["counters"]["segments_received"] == 1
        })
    });
    daemon.0.kill().expect("SIGKILL");
    daemon.0.wait().unwrap();

    let _daemon = start(&config, addr);
    inject("[3, 1]");
    wait("the SIM emptied again", &sim_holds_nothing);
    let inbound = || http(addr, "GET", "/api/inbound", None).map(|(_, v)| v);
    wait("the message in the inbox", &|| {
        inbound().is_some_and(|v| v["total"] == 1 && v["messages"][0]["complete"] == true)
    });
    let v = inbound().unwrap();
    assert_eq!(v["messages"][0]["text"], text.as_str());
    assert_eq!(v["messages"][0]["parts"], 3);
    let (_, page) = http(addr, "GET", "/api/sms/conversations", None).unwrap();
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(page["conversations"][0]["inbound_count"], 1, "{page}");
    let id = &page["conversations"][0]["id"];
    let (_, history) = http(
        addr,
        "GET",
        &format!("/api/sms/conversations/{id}/history"),
        None,
    )
    .unwrap();
    assert_eq!(
        history["messages"].as_array().unwrap().len(),
        1,
        "{history}"
    );
    // Once its one delivery is recorded delivered, no second one can still be on its way.
    wait("the sms.received delivery recorded", &|| {
        let path = format!("/api/webhooks/{subscription_id}/deliveries");
        http(addr, "GET", &path, None).is_some_and(|(_, v)| {
            v["deliveries"].as_array().is_some_and(|all| {
                !all.is_empty() && all.iter().all(|d| d["delivered_at"].is_string())
            })
        })
    });
    let hits = receiver.accepted();
    assert_eq!(hits.len(), 1, "once: {hits:?}");
    assert!(hits[0].signed_by(&secret));
    let event = hits[0].json();
    assert_eq!(event["type"], "sms.received");
    assert_eq!(event["data"]["text"], text.as_str());
    assert_eq!(event["data"]["parts"], 3);
    assert_eq!(event["data"]["conversation_id"], *id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_retried_with_its_idempotency_key_is_sent_once() {
    let d = start(|_| {}).await;
    d.sim()
        .inject_inbound(0, PERSON, "ping", InboundOptions::default())
        .unwrap();
    let c = conversation_on(&d, 0).await;
    let path = format!("/api/sms/conversations/{}/reply", c["id"]);
    let body = json!({"message": "pong"});
    let headers = [("idempotency-key", "reply-42")];
    let (s1, first) = super::api::call(&d.app, "POST", &path, Some(body.clone()), &headers).await;
    let (s2, again) = super::api::call(&d.app, "POST", &path, Some(body), &headers).await;
    assert_eq!(
        (s1, s2),
        (StatusCode::ACCEPTED, StatusCode::ACCEPTED),
        "{first} {again}"
    );
    assert_eq!(first["messages"][0]["id"], again["messages"][0]["id"]);
    assert_eq!(again["replayed"], true);
    let messages = history(&d, &c["id"]).await;
    assert_eq!(
        messages
            .iter()
            .filter(|m| m["direction"] == "outbound")
            .count(),
        1
    );
    d.stop().await;
}
