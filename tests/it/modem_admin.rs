//! Modem administration (issue 13) on the simulator: `GET /api/modems/{name}`, disable /
//! enable / reset, USSD (plain, UCS-2 and packed answers, a session, a timeout), the
//! balance check with its low-balance event and hold, and SIM quotas.

use super::api::{get, post};
use super::daemon::{test_config, TestDaemon};
use super::webhook_subscriptions::Receiver;
use axum::http::StatusCode;
use serde_json::{json, Value};
use smsgate::config::{Config, ModemAdminConfig};
use smsgate::modem::ModemState;
use smsgate::sim::ussd::{UssdCoding, UssdConfig};
use smsgate::sim::InboundOptions;
use std::time::Duration;

const EXTERNAL: &str = "+4915112345678";

async fn start(tweak: impl FnOnce(&mut Config)) -> TestDaemon {
    let d = TestDaemon::start(tweak).await;
    all_ready(&d).await;
    d
}

async fn all_ready(d: &TestDaemon) {
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
}

/// Polls `done` until it holds (30 s at most).
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: never happened"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn send_n(d: &TestDaemon, n: usize, text: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let (status, body) = post(
            &d.app,
            "/api/sms/send",
            json!({"to": EXTERNAL, "message": format!("{text} {i}")}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        ids.push(body["messages"][0]["id"].to_string());
    }
    ids
}

async fn all_sent(d: &TestDaemon, ids: &[String]) {
    for id in ids {
        super::api::wait_for(
            &d.app,
            &format!("/api/sms/{id}"),
            |v| matches!(v["status"].as_str(), Some("sent" | "delivered")),
            "message sent",
        )
        .await;
    }
}

fn sent_by(d: &TestDaemon, modem: usize) -> u64 {
    d.sim().counters(modem).segments_sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detail_shows_identity_state_signal_and_counters_and_404_for_unknown() {
    let d = start(|_| {}).await;
    let ids = send_n(&d, 2, "hello").await;
    all_sent(&d, &ids).await;
    let (status, m) = get(&d.app, "/api/modems/sim0").await;
    assert_eq!(status, StatusCode::OK, "{m}");
    assert_eq!(m["name"], "sim0");
    assert_eq!(m["state"], "ready");
    assert_eq!(m["in_rotation"], true);
    assert_eq!(m["disabled"], false);
    for field in ["imei", "imsi", "iccid", "msisdn", "manufacturer", "model"] {
        assert!(
            m["identity"][field].as_str().is_some_and(|s| !s.is_empty()),
            "identity.{field} missing: {m}"
        );
    }
    assert_eq!(m["identity"]["msisdn"], d.sim().msisdn(0));
    let history = m["signal_history"].as_array().unwrap();
    assert!(!history.is_empty(), "{m}");
    assert_eq!(history[0]["dbm"], -73);
    let sent = m["counters"]["sent_segments"].as_u64().unwrap()
        + get(&d.app, "/api/modems/sim1").await.1["counters"]["sent_segments"]
            .as_u64()
            .unwrap();
    assert_eq!(sent, 2);
    assert_eq!(m["counters"]["send_failures"], 0);

    let (status, body) = get(&d.app, "/api/modems/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    let (status, _) = post(&d.app, "/api/modems/nope/disable", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_modem_gets_no_traffic_until_enabled_and_stays_disabled_across_restart() {
    let d = start(|_| {}).await;
    let (status, m) = post(&d.app, "/api/modems/sim0/disable", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{m}");
    assert_eq!(m["disabled"], true);
    assert_eq!(m["in_rotation"], false);
    assert_eq!(m["held"], "disabled by an operator");
    assert_eq!(m["state"], "ready", "still up: it still receives");
    let (_, list) = get(&d.app, "/api/modems").await;
    assert_eq!(list["modems"][0]["disabled"], true, "{list}");
    assert_eq!(list["modems"][0]["route"]["ready"], false, "{list}");
    let before = sent_by(&d, 0);
    let ids = send_n(&d, 6, "while disabled").await;
    all_sent(&d, &ids).await;
    assert_eq!(sent_by(&d, 0), before, "a disabled modem sent");
    // It still receives.
    d.sim()
        .inject_inbound(0, EXTERNAL, "still listening", InboundOptions::default())
        .unwrap();
    super::api::wait_for(
        &d.app,
        "/api/modems/sim0",
        |v| v["counters"]["received"].as_u64() >= Some(1),
        "inbound counted on the disabled modem",
    )
    .await;

    // Kept across a restart.
    let dir = d.stop().await;
    let config = test_config(&dir);
    let d = TestDaemon::start_in(dir, config).await;
    all_ready(&d).await;
    let (_, m) = get(&d.app, "/api/modems/sim0").await;
    assert_eq!(m["disabled"], true, "{m}");
    let ids = send_n(&d, 3, "after restart").await;
    all_sent(&d, &ids).await;
    assert_eq!(sent_by(&d, 0), 0, "disabled after the restart too");

    let (status, m) = post(&d.app, "/api/modems/sim0/enable", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{m}");
    assert_eq!(m["in_rotation"], true);
    let ids = send_n(&d, 6, "enabled").await;
    all_sent(&d, &ids).await;
    assert!(sent_by(&d, 0) > 0, "an enabled modem is used again");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_reinitialises_the_modem_and_it_is_ready_again() {
    let d = start(|_| {}).await;
    let (_, before) = get(&d.app, "/api/modems/sim0").await;
    let samples = before["signal_history"].as_array().unwrap().len();
    let (status, body) = post(&d.app, "/api/modems/sim0/reset", json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    // It leaves ready (initialising), then comes back.
    let mut left = false;
    until("sim0 ready again after a reset", || {
        let state = d
            .service()
            .modems()
            .into_iter()
            .find(|m| m.status.name == "sim0")
            .map(|m| m.status.state);
        left |= state != Some(ModemState::Ready);
        left && state == Some(ModemState::Ready)
    })
    .await;
    // A new session polled the signal once more: the history grew.
    let (_, after) = get(&d.app, "/api/modems/sim0").await;
    assert!(
        after["signal_history"].as_array().unwrap().len() > samples,
        "{after}"
    );
    let ids = send_n(&d, 4, "after reset").await;
    all_sent(&d, &ids).await;
    d.stop().await;
}

async fn ussd(d: &TestDaemon, modem: &str, body: Value) -> (StatusCode, Value) {
    post(&d.app, &format!("/api/modems/{modem}/ussd"), body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ussd_answers_are_decoded_whatever_the_modem_coding() {
    let d = start(|_| {}).await;
    for (coding, name) in [
        (UssdCoding::Text, "text"),
        (UssdCoding::Ucs2Hex, "ucs2_hex"),
        (UssdCoding::PackedHex, "packed_gsm7_hex"),
    ] {
        d.sim().set_ussd(
            0,
            UssdConfig {
                coding,
                balance: "7.25".into(),
            },
        );
        let (status, a) = ussd(&d, "sim0", json!({"code": "*100#"})).await;
        assert_eq!(status, StatusCode::OK, "{a}");
        assert_eq!(a["text"], "Balance: 7.25 EUR", "{coding:?}: {a}");
        assert_eq!(a["coding"], name, "{a}");
        assert_eq!(a["more"], false);
        assert_eq!(a["status"], 0);
    }
    // Not a USSD string: 400 naming the field; nothing reaches the modem.
    let (status, e) = ussd(&d, "sim0", json!({"code": "*100#\";+CFUN=0"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["field"], "code");
    let (status, e) = ussd(&d, "sim0", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    let (status, e) = ussd(&d, "nope", json!({"code": "*100#"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{e}");
    // An unsupported code: the network says so.
    let (status, e) = ussd(&d, "sim0", json!({"code": "*555#"})).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{e}");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ussd_session_menu_then_reply_then_answer() {
    let d = start(|_| {}).await;
    let (status, menu) = ussd(&d, "sim1", json!({"code": "*123#"})).await;
    assert_eq!(status, StatusCode::OK, "{menu}");
    assert_eq!(menu["more"], true);
    assert_eq!(menu["text"], "1 Balance\n2 My number", "a menu spans lines");
    let session = menu["session_id"].as_str().unwrap().to_string();
    // While the session is open, a new code is refused (one USSD at a time).
    let (status, _) = ussd(&d, "sim1", json!({"code": "*100#"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // A wrong session id is the caller's mistake.
    let (status, e) = ussd(&d, "sim1", json!({"code": "2", "session_id": "ussd_nope"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["field"], "session_id");
    let (status, answer) = ussd(&d, "sim1", json!({"code": "2", "session_id": session})).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["more"], false);
    assert_eq!(
        answer["text"],
        format!("Your number is {}", d.sim().msisdn(1))
    );
    // The session is over: a new code goes through.
    let (status, _) = ussd(&d, "sim1", json!({"code": "*100#"})).await;
    assert_eq!(status, StatusCode::OK);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ussd_timeout_is_504_and_the_modem_still_sends() {
    let d = start(|c| {
        c.simulator.modem_settings.insert(
            "sim0".into(),
            ModemAdminConfig {
                ussd_timeout_secs: 1,
                ..Default::default()
            },
        );
    })
    .await;
    let (status, e) = ussd(&d, "sim0", json!({"code": "*999#"})).await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{e}");
    assert_eq!(e["error"]["code"], "ussd_timeout");
    // Not busy afterwards, and sends go through both modems.
    let (status, a) = ussd(&d, "sim0", json!({"code": "*100#"})).await;
    assert_eq!(status, StatusCode::OK, "{a}");
    let before = sent_by(&d, 0);
    let ids = send_n(&d, 6, "after timeout").await;
    all_sent(&d, &ids).await;
    assert!(
        sent_by(&d, 0) > before,
        "sim0 sent nothing after the USSD timeout"
    );
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ussd_interleaved_with_a_batch_of_sends_loses_nothing() {
    let d = start(|_| {}).await;
    let sends = send_n(&d, 20, "batch");
    let ussds = async {
        let mut answers = Vec::new();
        for _ in 0..5 {
            answers.push(ussd(&d, "sim0", json!({"code": "*100#"})).await);
        }
        answers
    };
    let (ids, answers) = tokio::join!(sends, ussds);
    for (status, a) in answers {
        assert_eq!(status, StatusCode::OK, "{a}");
        assert_eq!(a["text"], "Balance: 12.34 EUR");
    }
    all_sent(&d, &ids).await;
    assert_eq!(sent_by(&d, 0) + sent_by(&d, 1), 20);
    assert_eq!(d.sim().sink().len(), 20);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balance_is_parsed_into_the_api_and_metrics_and_low_balance_raises_an_event_and_holds() {
    let receiver = Receiver::start(false).await;
    let d = start(|c| {
        c.webhooks.allow_private = Some(true);
        c.webhooks.backoff_initial_ms = 50;
        c.simulator.modem_settings.insert(
            "sim0".into(),
            ModemAdminConfig {
                balance_ussd: Some("*100#".into()),
                balance_interval_secs: 1,
                balance_low: Some(5.0),
                balance_low_disable: true,
                ..Default::default()
            },
        );
    })
    .await;
    let (status, body) = post(
        &d.app,
        "/api/webhooks",
        json!({"url": receiver.url, "events": ["modem.balance_low"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let m = super::api::wait_for(
        &d.app,
        "/api/modems/sim0",
        |v| v["balance"]["amount"].as_f64() == Some(12.34),
        "balance parsed",
    )
    .await;
    assert_eq!(m["balance"]["currency"], "EUR");
    assert_eq!(m["balance"]["low"], false);
    let metrics = d.service().metrics_text().await;
    assert!(
        metrics.contains("smsgate_modem_balance{modem=\"sim0\"} 12.34"),
        "{metrics}"
    );
    assert!(receiver.accepted().is_empty());

    // The balance drops below 5: one event, and sim0 is out of rotation.
    d.sim().set_ussd(
        0,
        UssdConfig {
            coding: UssdCoding::PackedHex,
            balance: "1.50".into(),
        },
    );
    super::api::wait_for(
        &d.app,
        "/api/modems/sim0",
        |v| v["in_rotation"] == false && v["balance"]["low"] == true,
        "low balance holds sim0",
    )
    .await;
    until("modem.balance_low delivered", || {
        !receiver.accepted().is_empty()
    })
    .await;
    let hit = &receiver.accepted()[0];
    assert_eq!(hit.kind(), "modem.balance_low");
    assert_eq!(hit.json()["data"]["modem"], "sim0");
    assert_eq!(hit.json()["data"]["amount"], 1.5);
    let before = sent_by(&d, 0);
    let ids = send_n(&d, 4, "low balance").await;
    all_sent(&d, &ids).await;
    assert_eq!(sent_by(&d, 0), before, "a held modem sent");
    // Still low on two later checks: no second event.
    let (_, m) = get(&d.app, "/api/modems/sim0").await;
    let checked = m["balance"]["checked_at"].as_i64().unwrap();
    let m = super::api::wait_for(
        &d.app,
        "/api/modems/sim0",
        |v| v["balance"]["checked_at"].as_i64() > Some(checked + 1500),
        "two more balance checks",
    )
    .await;
    assert_eq!(m["balance"]["low"], true);
    assert_eq!(receiver.accepted().len(), 1, "one event per crossing");

    // Topped up: back in rotation.
    d.sim().set_ussd(0, UssdConfig::default());
    super::api::wait_for(
        &d.app,
        "/api/modems/sim0",
        |v| v["in_rotation"] == true,
        "topped-up modem back in rotation",
    )
    .await;
    d.stop().await;
}

fn quota(per_day: u64) -> ModemAdminConfig {
    ModemAdminConfig {
        quota_per_day: Some(per_day),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sim_at_its_daily_quota_is_skipped_and_its_use_survives_a_restart() {
    let tweak = |c: &mut Config| {
        c.simulator.modem_settings.insert("sim0".into(), quota(3));
    };
    let d = start(tweak).await;
    let ids = send_n(&d, 10, "quota").await;
    all_sent(&d, &ids).await;
    assert_eq!(sent_by(&d, 0), 3, "sim0 sent past its quota");
    assert_eq!(sent_by(&d, 1), 7);
    let (_, m) = get(&d.app, "/api/modems/sim0").await;
    assert_eq!(m["quota"]["day_used"], 3, "{m}");
    assert_eq!(m["quota"]["remaining"], 0);

    let dir = d.stop().await;
    let mut config = test_config(&dir);
    tweak(&mut config);
    let d = TestDaemon::start_in(dir, config).await;
    all_ready(&d).await;
    let (_, m) = get(&d.app, "/api/modems/sim0").await;
    assert_eq!(
        m["quota"]["day_used"], 3,
        "quota use lost in the restart: {m}"
    );
    let ids = send_n(&d, 4, "after restart").await;
    all_sent(&d, &ids).await;
    assert_eq!(sent_by(&d, 0), 0, "sim0 is still at its cap");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_wait_for_the_quota_reset_rather_than_fail() {
    // One modem, capped at 2 segments a day: the third message waits for the next day.
    let d = start(|c| {
        c.simulator.modems = 1;
        c.simulator.modem_settings.insert("sim0".into(), quota(2));
    })
    .await;
    let ids = send_n(&d, 3, "wait").await;
    all_sent(&d, &ids[..2]).await;
    // Ten dispatch rounds pass (the heartbeat moves at each); the capped SIM takes nothing
    // more, and the message neither fails nor expires.
    let mut rounds = std::collections::HashSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while rounds.len() < 10 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the dispatcher stopped"
        );
        rounds.insert(d.service().dispatch_heartbeat());
        tokio::task::yield_now().await;
    }
    let (_, third) = get(&d.app, &format!("/api/sms/{}", ids[2])).await;
    assert_eq!(third["status"], "queued", "{third}");
    // The next quota day.
    d.advance(Duration::from_secs(24 * 3600));
    all_sent(&d, &ids[2..]).await;
    assert_eq!(sent_by(&d, 0), 3);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multipart_message_is_not_started_on_a_sim_that_cannot_fit_it() {
    let d = start(|c| {
        c.simulator.modem_settings.insert("sim0".into(), quota(2));
    })
    .await;
    let long = "x".repeat(400); // three segments
    let (status, body) = post(
        &d.app,
        "/api/sms/send",
        json!({"to": EXTERNAL, "message": long}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["messages"][0]["id"].to_string();
    all_sent(&d, &[id]).await;
    assert_eq!(sent_by(&d, 0), 0);
    assert_eq!(sent_by(&d, 1), 3);
    d.stop().await;
}

/// The AT engine reads a `+CUSD` whose quoted text spans lines (a menu) as one URC, even
/// in the middle of another command, whose response stays clean; a modem that answers
/// before its `OK` gives the same `+CUSD` from the response lines.
#[tokio::test(start_paused = true)]
async fn a_multiline_cusd_is_one_urc_and_never_leaks_into_a_response() {
    use smsgate::at::{self, Cusd, EngineConfig, Urc};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (engine_side, mut modem) = tokio::io::duplex(4096);
    let (client, mut urcs, _task) = at::spawn(engine_side, EngineConfig::default());
    let c = client.clone();
    let call = tokio::spawn(async move { c.command("AT+CSQ").await });
    let mut buf = vec![0u8; 7];
    modem.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"AT+CSQ\r");
    modem
        .write_all(
            b"\r\n+CUSD: 1,\"Menu\r\n1 Balance\r\n2 Top up\",15\r\n\r\n+CSQ: 20,99\r\n\r\nOK\r\n",
        )
        .await
        .unwrap();
    assert_eq!(call.await.unwrap().unwrap().lines, vec!["+CSQ: 20,99"]);
    assert_eq!(
        urcs.recv().await,
        Some(Urc::Ussd(Cusd {
            status: 1,
            text: Some("Menu\n1 Balance\n2 Top up".into()),
            dcs: Some(15)
        }))
    );
    // Answered inline, before OK.
    let call = tokio::spawn(async move { client.command("AT+CUSD=1,\"*1#\",15").await });
    let mut buf = vec![0u8; 19];
    modem.read_exact(&mut buf).await.unwrap();
    modem
        .write_all(b"\r\n+CUSD: 0,\"Line one\r\nLine two\",15\r\n\r\nOK\r\n")
        .await
        .unwrap();
    let lines = call.await.unwrap().unwrap().lines;
    assert_eq!(
        Cusd::from_lines(&lines),
        Some(Cusd {
            status: 0,
            text: Some("Line one\nLine two".into()),
            dcs: Some(15)
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detail_counts_cms_errors_and_keeps_the_last_error() {
    let d = start(|c| {
        c.simulator.modems = 1;
        c.dispatch.backoff_initial_ms = 50;
        c.dispatch.backoff_max_ms = 100;
    })
    .await;
    d.sim().set_faults(
        0,
        smsgate::sim::Faults {
            fail_submits: vec![1],
            failure_codes: vec![500],
            ..Default::default()
        },
    );
    let ids = send_n(&d, 1, "fails once").await;
    all_sent(&d, &ids).await;
    let (_, m) = get(&d.app, "/api/modems/sim0").await;
    assert_eq!(m["counters"]["send_failures"], 1, "{m}");
    assert_eq!(m["counters"]["cms_errors"]["500"], 1, "{m}");
    assert!(
        m["counters"]["last_error"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("500")),
        "{m}"
    );
    assert_eq!(m["counters"]["sent_segments"], 1);
    d.stop().await;
}
