//! Automatic replies end to end: a real daemon on the simulated network (SQLite file,
//! simulated modems, inbox, worker, dispatcher), inbound SMS injected as handsets send
//! them, replies read from the network's sink (which modem sent them) and the database
//! (`reply_to`, `reply_note`). AI replies against a fake OpenAI-compatible server the test
//! starts. Real time; every wait is a bounded poll.

use super::daemon::TestDaemon;
use super::logs::{in_own_process, CapturedLog};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use smsgate::config::{AutoReplyRuleConfig, Config, RuleMatch, Secret};
use smsgate::inbound::auto_reply::{ReplyOutcome, ReplyRequest, ReplySink};
use smsgate::modem::ModemState;
use smsgate::sim::InboundOptions;
use smsgate::store::auto_reply::ReplyKind;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ALICE: &str = "+4915112345678";
const BOB: &str = "+4915187654321";
const CAROL: &str = "+33612345678";
const DAVE: &str = "+447911123456";
const ERIN: &str = "+4930901820";

fn rule(name: &str, kind: RuleMatch, pattern: &str, text: &str) -> AutoReplyRuleConfig {
    AutoReplyRuleConfig {
        name: name.into(),
        match_kind: kind,
        pattern: pattern.into(),
        modem: None,
        local_number: None,
        template_id: None,
        text: Some(text.into()),
        priority: 0,
    }
}

async fn start(tweak: impl FnOnce(&mut Config)) -> TestDaemon {
    let d = TestDaemon::start(|c| {
        c.auto_replies.poll_interval_ms = 50;
        tweak(c);
    })
    .await;
    wait_until("every modem ready", || {
        d.service()
            .modems()
            .iter()
            .all(|m| m.status.state == ModemState::Ready)
    })
    .await;
    d
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: never happened"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn db(d: &TestDaemon) -> rusqlite::Connection {
    rusqlite::Connection::open(d.dir.path().join("smsgate.db")).unwrap()
}

/// The automatic-reply notes of the messages from `sender`, oldest first, once `n` of them
/// are decided.
async fn notes(d: &TestDaemon, sender: &str, n: usize) -> Vec<(i64, String)> {
    let mut found = Vec::new();
    wait_until(&format!("{n} decided message(s) from {sender}"), || {
        let conn = db(d);
        found = conn
            .prepare(
                "SELECT id, reply_note FROM inbound_messages
                 WHERE sender = ?1 AND reply_state = 'done' ORDER BY id",
            )
            .unwrap()
            .query_map([sender], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        found.len() >= n
    })
    .await;
    found
}

/// The segments the network carried to `to`: (sending modem, text).
fn sunk(d: &TestDaemon, to: &str) -> Vec<(usize, String)> {
    d.sim()
        .sink()
        .into_iter()
        .filter(|m| m.to == to)
        .map(|m| (m.from_modem, m.text))
        .collect()
}

async fn wait_sunk(d: &TestDaemon, to: &str, n: usize) -> Vec<(usize, String)> {
    wait_until(&format!("{n} segment(s) to {to}"), || {
        sunk(d, to).len() >= n
    })
    .await;
    sunk(d, to)
}

/// `(reply_to, sms_type, provider)` of outbound message `id`.
fn outbound(d: &TestDaemon, id: i64) -> (Option<i64>, String, Option<String>) {
    db(d)
        .query_row(
            "SELECT reply_to, sms_type, provider FROM messages WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
}

fn replied_id(note: &str) -> i64 {
    note.strip_prefix("replied:")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("not a reply note: {note}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keyword_rule_replies_by_the_modem_that_received_the_message() {
    let d = start(|c| {
        c.auto_reply = vec![rule("hours", RuleMatch::Keyword, "HOURS", "Open 9-17")];
    })
    .await;
    // Received by the second modem: the answer must leave by it, not by the balancer's pick.
    d.sim()
        .inject_inbound(1, ALICE, "  hours ", InboundOptions::default())
        .unwrap();
    let decided = notes(&d, ALICE, 1).await;
    let (inbound, note) = &decided[0];
    let reply = replied_id(note);
    assert_eq!(
        outbound(&d, reply),
        (Some(*inbound), "transactional".into(), Some("sim1".into()))
    );
    let segments = wait_sunk(&d, ALICE, 1).await;
    assert_eq!(segments, [(1, "Open 9-17".to_string())]);
    // Not a keyword: a text that merely contains it gets nothing.
    d.sim()
        .inject_inbound(0, BOB, "what are your hours?", InboundOptions::default())
        .unwrap();
    assert_eq!(notes(&d, BOB, 1).await[0].1, "skipped:no_match");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_and_a_regex_rule_answer_and_the_rules_api_edits_rules() {
    let d = start(|c| {
        c.keywords.help_text = Some("Call +4930123456 for help".into());
        c.auto_reply = vec![rule(
            "order",
            RuleMatch::Regex,
            r"^order\s+#?\d+$",
            "Your order is on its way",
        )];
    })
    .await;
    d.sim()
        .inject_inbound(0, ALICE, "Help", InboundOptions::default())
        .unwrap();
    d.sim()
        .inject_inbound(0, BOB, "Order #4711", InboundOptions::default())
        .unwrap();
    assert!(notes(&d, ALICE, 1).await[0].1.starts_with("replied:"));
    assert!(notes(&d, BOB, 1).await[0].1.starts_with("replied:"));
    assert_eq!(
        wait_sunk(&d, ALICE, 1).await[0].1,
        "Call +4930123456 for help"
    );
    assert_eq!(wait_sunk(&d, BOB, 1).await[0].1, "Your order is on its way");

    // The API: a bad regex is a 400 naming `pattern`; a good rule is used at once; the
    // config rule is listed, read-only.
    let (status, body) = super::api::post(
        &d.app,
        "/api/auto-replies",
        json!({"name": "bad", "match": "regex", "pattern": "(unclosed", "text": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.to_string().contains("pattern"), "{body}");
    let (status, created) = super::api::post(
        &d.app,
        "/api/auto-replies",
        json!({"name": "price", "match": "prefix", "pattern": "price", "text": "Cheap!"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (_, list) = super::api::get(&d.app, "/api/auto-replies").await;
    assert_eq!(list["total"], 2, "{list}");
    assert_eq!(list["rules"][0]["source"], "config");
    assert_eq!(list["rules"][0]["id"], "config:order");
    assert_eq!(list["rules"][1]["id"], created["id"]);
    let (status, _) = super::api::call(
        &d.app,
        "DELETE",
        "/api/auto-replies/config:order",
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    d.sim()
        .inject_inbound(0, CAROL, "PRICE of apples?", InboundOptions::default())
        .unwrap();
    assert!(notes(&d, CAROL, 1).await[0].1.starts_with("replied:"));
    assert_eq!(wait_sunk(&d, CAROL, 1).await[0].1, "Cheap!");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alphanumeric_senders_short_codes_opted_out_numbers_and_stop_get_nothing() {
    let d = start(|c| {
        c.auto_reply = vec![rule("all", RuleMatch::Regex, ".", "We got your message")];
    })
    .await;
    let (status, _) = super::api::post(&d.app, &format!("/api/optouts/{BOB}"), json!({})).await;
    assert!(status.is_success());
    let sim = d.sim();
    sim.inject_inbound(0, "MyShop", "hello", InboundOptions::default())
        .unwrap();
    sim.inject_inbound(0, "72345", "hello", InboundOptions::default())
        .unwrap();
    sim.inject_inbound(0, BOB, "hello", InboundOptions::default())
        .unwrap();
    sim.inject_inbound(0, CAROL, "STOP", InboundOptions::default())
        .unwrap();
    assert_eq!(
        notes(&d, "MyShop", 1).await[0].1,
        "skipped:alphanumeric_sender"
    );
    assert_eq!(notes(&d, "72345", 1).await[0].1, "skipped:short_code");
    assert_eq!(notes(&d, BOB, 1).await[0].1, "skipped:opted_out");
    // STOP put Carol on the list in the same transaction: no answer, not even a rule's.
    assert_eq!(notes(&d, CAROL, 1).await[0].1, "skipped:opted_out");
    // A control that does get an answer, sent last: once it is out, the others had
    // every chance to be answered too.
    sim.inject_inbound(0, DAVE, "hello", InboundOptions::default())
        .unwrap();
    wait_sunk(&d, DAVE, 1).await;
    let answered: Vec<String> = sim.sink().into_iter().map(|m| m.to).collect();
    assert_eq!(answered, [DAVE], "only the control was answered");
    d.stop().await;
}

/// Two of smsgate's own numbers answering anything: one message starts an exchange that
/// the per-number cool-down ends after one answer each way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_auto_repliers_never_loop() {
    let d = start(|c| {
        c.auto_reply = vec![rule(
            "echo",
            RuleMatch::Regex,
            ".",
            "Thanks, we will answer soon",
        )];
    })
    .await;
    let (m0, m1) = (d.sim().msisdn(0), d.sim().msisdn(1));
    let (status, body) = super::api::post(
        &d.app,
        "/api/sms/send",
        json!({"to": [m1], "message": "hi", "provider": "sim0"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // sim1 gets "hi" from m0 and answers; sim0 gets that answer from m1 and answers; sim1
    // gets the second answer from m0 — inside the cool-down for m0: the exchange ends.
    let at_sim1 = notes(&d, &m0, 2).await;
    let at_sim0 = notes(&d, &m1, 1).await;
    assert!(at_sim1[0].1.starts_with("replied:"), "{at_sim1:?}");
    assert!(at_sim0[0].1.starts_with("replied:"), "{at_sim0:?}");
    assert_eq!(at_sim1[1].1, "skipped:cooldown");
    // Nothing left to decide, nothing left to send: the count is final.
    let conn = db(&d);
    let pending: i64 = conn
        .query_row(
            "SELECT count(*) FROM inbound_messages WHERE reply_state = 'pending'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(pending, 0);
    let outbound: i64 = conn
        .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(outbound, 3, "the first message and one answer each way");
    let inbound: i64 = conn
        .query_row("SELECT count(*) FROM inbound_messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(inbound, 3);
    d.stop().await;
}

/// The crash window: the reply was queued but the daemon died before the inbound message
/// was marked done. After the restart the worker finds the queued reply by its key and
/// completes the bookkeeping: the person gets one answer, not two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_queued_before_a_crash_is_not_sent_again_after_the_restart() {
    let tweak = |c: &mut Config| {
        c.auto_reply = vec![rule("hours", RuleMatch::Keyword, "HOURS", "Open 9-17")];
    };
    // First run: the worker is off, so the message stays pending; the reply is queued as
    // the worker would queue it, and the "crash" comes before the bookkeeping.
    let d = start(|c| {
        tweak(c);
        c.auto_replies.enabled = false;
    })
    .await;
    d.sim()
        .inject_inbound(0, ERIN, "hours", InboundOptions::default())
        .unwrap();
    let mut pending: Option<(i64, i64)> = None;
    wait_until("the message pending in the inbox", || {
        pending = db(&d)
            .query_row(
                "SELECT id, conversation_id FROM inbound_messages
                 WHERE sender = ?1 AND reply_state = 'pending'",
                [ERIN],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .ok();
        pending.is_some()
    })
    .await;
    let (inbound, conversation) = pending.unwrap();
    let outcome = d
        .service()
        .send_reply(ReplyRequest {
            to: ERIN.into(),
            route: "sim0".into(),
            conversation_id: conversation,
            inbound_id: inbound,
            text: Some("Open 9-17".into()),
            template_id: None,
            variables: BTreeMap::new(),
            kind: ReplyKind::Rule,
        })
        .await
        .unwrap();
    let ReplyOutcome::Queued(first) = outcome else {
        panic!("not queued: {outcome:?}")
    };
    let mut config = super::daemon::test_config(&d.dir);
    tweak(&mut config);
    config.auto_replies.poll_interval_ms = 50;
    let dir = d.stop().await;
    // Second run, worker on.
    let d = TestDaemon::start_in(dir, config).await;
    let decided = notes(&d, ERIN, 1).await;
    assert_eq!(decided[0], (inbound, format!("replied:{first}")));
    let replies: i64 = db(&d)
        .query_row(
            "SELECT count(*) FROM messages WHERE reply_to = ?1",
            [inbound],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(replies, 1, "one reply, queued once");
    let logged: i64 = db(&d)
        .query_row(
            "SELECT count(*) FROM auto_reply_log WHERE inbound_id = ?1 AND message_id = ?2",
            [inbound, first],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(logged, 1, "the cool-down knows about it");
    d.stop().await;
}

/// One request the fake AI server saw: its `Authorization` header and its JSON body.
type SeenRequest = (Option<String>, Value);

/// What the fake AI server saw and answers.
#[derive(Clone, Default)]
struct FakeAi {
    requests: Arc<Mutex<Vec<SeenRequest>>>,
}

async fn completions(
    State(fake): State<FakeAi>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    fake.requests.lock().unwrap().push((auth, body.clone()));
    let last = body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_string();
    let answer = |text: String| {
        Json(json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}))
            .into_response()
    };
    match last.as_str() {
        "slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            answer("too late".into())
        }
        "fail" => (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
        "garbage" => "this is not json".into_response(),
        "huge" => answer("word ".repeat(2_000)),
        _ => answer(format!(
            "AI answer #{}",
            fake.requests.lock().unwrap().len()
        )),
    }
}

async fn fake_ai() -> (FakeAi, String) {
    let fake = FakeAi::default();
    let app = Router::new()
        .route("/v1/chat/completions", post(completions))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (fake, format!("http://{addr}/v1"))
}

const AI_KEY: &str = "sk-test-0123456789abcdef-never-logged";

/// Runs in a process of its own so the log capture sees every line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ai_replies_use_the_context_fall_back_on_failures_and_never_log_the_key() {
    if !in_own_process(
        "auto_reply::ai_replies_use_the_context_fall_back_on_failures_and_never_log_the_key",
    ) {
        return;
    }
    let log = CapturedLog::install();
    let (fake, base_url) = fake_ai().await;
    let d = start(|c| {
        c.ai.enabled = true;
        c.ai.base_url = base_url;
        c.ai.model = "test-model".into();
        c.ai.api_key = Some(Secret::new(AI_KEY));
        c.ai.system_prompt = "You are the shop's assistant.".into();
        c.ai.max_tokens = 77;
        c.ai.timeout_secs = 1;
        c.ai.max_segments = 1;
        c.ai.fallback_text = Some("Sorry, please try again later".into());
        // Alice talks twice: the second message must see the first exchange.
        c.auto_replies.cooldown_secs = 0;
    })
    .await;
    let sim = d.sim();
    sim.inject_inbound(0, ALICE, "Do you have apples?", InboundOptions::default())
        .unwrap();
    wait_sunk(&d, ALICE, 1).await;
    sim.inject_inbound(0, ALICE, "And pears?", InboundOptions::default())
        .unwrap();
    let alice = wait_sunk(&d, ALICE, 2).await;
    assert_eq!(alice[0].1, "AI answer #1");
    assert_eq!(alice[1].1, "AI answer #2");
    {
        let requests = fake.requests.lock().unwrap();
        let (auth, body) = &requests[1];
        assert_eq!(auth.as_deref(), Some(format!("Bearer {AI_KEY}").as_str()));
        assert_eq!(body["model"], "test-model");
        assert_eq!(body["max_tokens"], 77);
        let roles_and_texts: Vec<(String, String)> = body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["role"].as_str().unwrap().to_string(),
                    m["content"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let expected = [
            ("system", "You are the shop's assistant."),
            ("user", "Do you have apples?"),
            ("assistant", "AI answer #1"),
            ("user", "And pears?"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(r, t)| (r.to_string(), t.to_string()))
            .collect();
        assert_eq!(roles_and_texts, expected);
    }
    // Slow past the timeout, a 500, malformed JSON: the fallback text each time.
    for (who, text) in [(BOB, "slow"), (CAROL, "fail"), (DAVE, "garbage")] {
        sim.inject_inbound(0, who, text, InboundOptions::default())
            .unwrap();
        let got = wait_sunk(&d, who, 1).await;
        assert_eq!(
            got,
            [(0, "Sorry, please try again later".to_string())],
            "{text}"
        );
    }
    // A huge answer is cut to max_segments (one GSM-7 segment: 160 characters).
    sim.inject_inbound(0, ERIN, "huge", InboundOptions::default())
        .unwrap();
    let note = &notes(&d, ERIN, 1).await[0].1;
    let body: String = db(&d)
        .query_row(
            "SELECT body FROM messages WHERE id = ?1",
            [replied_id(note)],
            |r| r.get(0),
        )
        .unwrap();
    assert!(body.len() <= 160 && body.len() > 150, "{}", body.len());
    assert!(body.starts_with("word word"));
    let segments = wait_sunk(&d, ERIN, 1).await;
    assert_eq!(segments.len(), 1);
    d.stop().await;
    let text = log.text();
    assert!(text.contains("AI reply failed"), "failures are logged");
    assert!(!text.contains(AI_KEY), "the AI key reached the log");
    assert!(
        !text.contains("Do you have apples"),
        "a message text reached the log"
    );
}

/// A message that waited through an outage longer than `[auto_replies] max_age_secs` is not
/// answered when the worker finally gets to it: an answer hours late is worse than none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_older_than_max_age_is_not_answered() {
    const FRANK: &str = "+4915199887766";
    let help = |c: &mut Config| {
        c.keywords.help_text = Some("Call us".into());
        c.auto_replies.max_age_secs = 3_600;
    };
    let d = start(|c| {
        help(c);
        c.auto_replies.enabled = false;
    })
    .await;
    d.sim()
        .inject_inbound(0, FRANK, "HELP", InboundOptions::default())
        .unwrap();
    wait_until("the message pending in the inbox", || {
        db(&d)
            .query_row(
                "SELECT count(*) FROM inbound_messages WHERE sender = ?1 AND reply_state = 'pending'",
                [FRANK],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
            == 1
    })
    .await;
    let dir = d.stop().await;
    // The outage: the message has been waiting for two hours.
    rusqlite::Connection::open(dir.path().join("smsgate.db"))
        .unwrap()
        .execute(
            "UPDATE inbound_messages SET received_at = received_at - 7200000 WHERE sender = ?1",
            [FRANK],
        )
        .unwrap();
    let mut config = super::daemon::test_config(&dir);
    help(&mut config);
    config.auto_replies.poll_interval_ms = 50;
    let d = TestDaemon::start_in(dir, config).await;
    let decided = notes(&d, FRANK, 1).await;
    assert_eq!(decided[0].1, "skipped:stale");
    assert!(sunk(&d, FRANK).is_empty(), "nothing sent");
    d.stop().await;
}
