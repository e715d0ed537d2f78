//! The Twilio-compatible API end to end on the simulated network: create → fetch → list
//! with paging (next_page_uri followed to the end) → delete; Basic auth and path account
//! failures; Twilio's error JSON for bad input; a status callback to a receiver on
//! 127.0.0.1 whose X-Twilio-Signature verifies by the documented algorithm (recomputed here
//! independently); and the official twilio Python SDK (tests/twilio_sdk/check.py) when
//! `import twilio` works.

use super::daemon::TestDaemon;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use hmac::{KeyInit, Mac};
use serde_json::Value;
use smsgate::config::{Config, Secret, TwilioCompatConfig};
use smsgate::http::App;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower::ServiceExt;

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "tok_5f1e2d3c4b5a69788796a5b4c3d2e1f0";
const SIM1: &str = "+12025550102";

/// The suite's daemon: the Twilio-compatible API on, no duplicate suppression.
async fn start(tweak: impl FnOnce(&mut Config)) -> TestDaemon {
    TestDaemon::start(|c| {
        c.limits.duplicate_window_secs = 0;
        c.twilio_compat = Some(TwilioCompatConfig {
            account_sid: ACCOUNT.into(),
            auth_token: Secret::new(TOKEN),
            public_url: None,
        });
        tweak(c);
    })
    .await
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

async fn call(
    app: &App,
    method: &str,
    path: &str,
    form: Option<&str>,
    auth: Option<String>,
) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let req = match form {
        Some(f) => req
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(f.to_string())),
        None => req.body(Body::empty()),
    }
    .unwrap();
    let response = app.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn tw(app: &App, method: &str, path: &str, form: Option<&str>) -> (StatusCode, Value) {
    call(app, method, path, form, Some(basic(ACCOUNT, TOKEN))).await
}

fn messages_path() -> String {
    format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json")
}

fn message_path(sid: &str) -> String {
    format!("/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid}.json")
}

/// Polls the message until its Twilio status is `status` (at most 30 s).
async fn wait_status(app: &App, sid: &str, status: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, v) = tw(app, "GET", &message_path(sid), None).await;
        if v["status"] == status {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never {status}: {v}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn assert_twilio_error(v: &Value, code: u64, status: u16) {
    assert_eq!(v["code"], code, "{v}");
    assert_eq!(v["status"], status, "{v}");
    assert_eq!(
        v["more_info"],
        format!("https://www.twilio.com/docs/errors/{code}"),
        "{v}"
    );
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
}

fn is_rfc2822(s: &Value) -> bool {
    let s = s.as_str().unwrap_or_default();
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc2822).is_ok()
        && s.ends_with(" +0000")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_fetch_list_with_paging_and_delete() {
    let d = start(|_| {}).await;
    // `+` for spaces (python) and %20 (node); an unencoded + in To (decoded as a space).
    let (status, created) = tw(
        &d.app,
        "POST",
        &messages_path(),
        Some("To=+12025550102&From=%2B15005550006&Body=Hello+from%20Twilio+%2B+friends"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let sid = created["sid"].as_str().unwrap().to_string();
    assert!(sid.len() == 34 && sid.starts_with("SM"), "{sid}");
    assert!(sid[2..]
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_eq!(created["to"], SIM1);
    assert_eq!(created["from"], "+15005550006");
    assert_eq!(created["body"], "Hello from Twilio + friends");
    assert_eq!(created["status"], "queued");
    assert_eq!(created["direction"], "outbound-api");
    assert_eq!(created["api_version"], "2010-04-01");
    assert_eq!(created["account_sid"], ACCOUNT);
    assert_eq!(created["num_segments"], "1");
    assert_eq!(created["num_media"], "0");
    assert_eq!(created["uri"], message_path(&sid));
    assert_eq!(
        created["subresource_uris"]["media"],
        format!("/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid}/Media.json")
    );
    assert!(is_rfc2822(&created["date_created"]), "{created}");
    assert!(is_rfc2822(&created["date_updated"]), "{created}");
    assert!(created["date_sent"].is_null() && created["price"].is_null());
    assert!(created["error_code"].is_null() && created["error_message"].is_null());
    for key in ["messaging_service_sid", "price_unit"] {
        assert!(created.as_object().unwrap().contains_key(key), "{key}");
    }

    let delivered = wait_status(&d.app, &sid, "delivered").await;
    assert!(is_rfc2822(&delivered["date_sent"]), "{delivered}");
    assert_eq!(delivered["sid"], sid.as_str());

    // Four more, then page through all five two at a time.
    let mut sids = vec![sid.clone()];
    for i in 0..4 {
        let (s, v) = tw(
            &d.app,
            "POST",
            &messages_path(),
            Some(&format!("To=%2B12025550102&Body=filler+{i}")),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        sids.push(v["sid"].as_str().unwrap().to_string());
    }
    let mut seen = Vec::new();
    let mut next = Some(format!("{}?PageSize=2", messages_path()));
    let mut pages = 0;
    while let Some(uri) = next {
        let (s, page) = tw(&d.app, "GET", &uri, None).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert_eq!(page["page"], pages, "{page}");
        assert_eq!(page["page_size"], 2);
        assert_eq!(page["start"], pages * 2);
        if pages == 0 {
            assert!(page["previous_page_uri"].is_null(), "{page}");
        } else {
            assert!(page["previous_page_uri"].is_string(), "{page}");
        }
        assert!(page["first_page_uri"]
            .as_str()
            .unwrap()
            .starts_with(&messages_path()));
        for m in page["messages"].as_array().unwrap() {
            seen.push(m["sid"].as_str().unwrap().to_string());
        }
        next = page["next_page_uri"].as_str().map(str::to_string);
        pages += 1;
        assert!(pages <= 3, "more pages than messages");
    }
    assert_eq!(pages, 3);
    sids.reverse(); // newest first
    assert_eq!(seen, sids);

    // Regression: Page arithmetic wrapped (page + 1, start + count) on huge pages.
    for page in ["18446744073709551615", "1000001", "-1"] {
        let (s, e) = tw(
            &d.app,
            "GET",
            &format!("{}?Page={page}&PageSize=1000", messages_path()),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "Page={page}: {e}");
        assert_twilio_error(&e, 20001, 400);
    }
    let (s, page) = tw(
        &d.app,
        "GET",
        &format!("{}?Page=1000000&PageSize=1000", messages_path()),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(page["messages"].as_array().unwrap().len(), 0);

    // Filters: To (with an encoded +), DateSent of today and of another day.
    let (_, page) = tw(
        &d.app,
        "GET",
        &format!("{}?To=%2B12025550102&PageSize=1000", messages_path()),
        None,
    )
    .await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 5);
    let (_, page) = tw(
        &d.app,
        "GET",
        &format!("{}?To=%2B12025550101", messages_path()),
        None,
    )
    .await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 0, "{page}");
    let (_, page) = tw(
        &d.app,
        "GET",
        &format!("{}?DateSent=2001-01-01", messages_path()),
        None,
    )
    .await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 0, "{page}");
    let (s, e) = tw(
        &d.app,
        "GET",
        &format!("{}?PageSize=1001", messages_path()),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_twilio_error(&e, 20001, 400);

    // Deleting a delivered message: 204, and smsgate keeps its history.
    let (s, _) = tw(&d.app, "DELETE", &message_path(&sid), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, v) = tw(&d.app, "GET", &message_path(&sid), None).await;
    assert_eq!(v["status"], "delivered");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_cancels_a_message_not_yet_sent() {
    // No modem: messages stay queued.
    let d = start(|c| c.simulator.modems = 0).await;
    let (s, created) = tw(
        &d.app,
        "POST",
        &messages_path(),
        Some("To=%2B12025550102&Body=never+sent"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let sid = created["sid"].as_str().unwrap();
    let (s, _) = tw(&d.app, "DELETE", &message_path(sid), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, v) = tw(&d.app, "GET", &message_path(sid), None).await;
    assert_eq!(v["status"], "canceled", "{v}");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_failures_unknown_sids_and_bad_input_get_twilio_errors() {
    let d = start(|_| {}).await;
    let path = messages_path();
    let form = Some("To=%2B12025550102&Body=hi");
    let (s, e) = call(&d.app, "POST", &path, form, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_twilio_error(&e, 20003, 401);
    let (s, e) = call(
        &d.app,
        "GET",
        &path,
        None,
        Some(basic(ACCOUNT, "tok_wrong_wrong_wrong_wrong_wrong_")),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_twilio_error(&e, 20003, 401);
    let (s, _) = call(&d.app, "GET", &path, None, Some("Bearer x".into())).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let other = format!("AC{}", "f".repeat(32));
    let (s, e) = call(
        &d.app,
        "GET",
        &format!("/2010-04-01/Accounts/{other}/Messages.json"),
        None,
        Some(basic(ACCOUNT, TOKEN)),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_twilio_error(&e, 20003, 403);
    // Nothing was stored by the refused create.
    let (_, page) = tw(&d.app, "GET", &path, None).await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 0);

    // A sid this installation did not hand out: 404, also for a real one with a changed digit.
    let (s, e) = tw(
        &d.app,
        "GET",
        &message_path(&format!("SM{}", "0".repeat(32))),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_twilio_error(&e, 20404, 404);
    let (_, created) = tw(&d.app, "POST", &path, form).await;
    let sid = created["sid"].as_str().unwrap().to_string();
    let mut forged = sid.clone();
    let last = if forged.ends_with('0') { "1" } else { "0" };
    forged.replace_range(33.., last);
    let (s, _) = tw(&d.app, "GET", &message_path(&forged), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = tw(
        &d.app,
        "GET",
        &format!("/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "without .json");

    for (form, code) in [
        ("Body=hi", 21604),
        ("To=%2B12025550102", 21602),
        ("To=%2B12025550102&Body=", 21602),
        ("To=12345&Body=hi", 21211),
        ("To=%2B1&Body=hi", 21211),
        ("To=%2B12025550102&Body=hi&ValidityPeriod=0", 21624),
        ("To=%2B12025550102&Body=hi&ValidityPeriod=abc", 21624),
        (
            "To=%2B12025550102&Body=hi&StatusCallback=ftp%3A%2F%2Fx",
            21609,
        ),
        // Regression (SSRF): the gateway's own loopback, a cloud metadata address,
        // credentials in the URL and a URL without a host are refused when accepted.
        (
            "To=%2B12025550102&Body=hi&StatusCallback=http%3A%2F%2F127.0.0.1%3A8080%2Fapi%2Fsms",
            21609,
        ),
        (
            "To=%2B12025550102&Body=hi&StatusCallback=http%3A%2F%2F169.254.169.254%2Flatest",
            21609,
        ),
        (
            "To=%2B12025550102&Body=hi&StatusCallback=https%3A%2F%2Fu%3Ap%40hooks.example.com%2Fx",
            21609,
        ),
        (
            "To=%2B12025550102&Body=hi&StatusCallback=http%3A%2F%2F",
            21609,
        ),
    ] {
        let (s, e) = tw(&d.app, "POST", &path, Some(form)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{form}: {e}");
        assert_twilio_error(&e, code, 400);
    }
    let long = format!("To=%2B12025550102&Body={}", "a".repeat(1601));
    let (_, e) = tw(&d.app, "POST", &path, Some(&long)).await;
    assert_twilio_error(&e, 21617, 400);
    // Longer than the configured max_segments (10) but within 1600: also 21617.
    let long = format!("To=%2B12025550102&Body={}", "a".repeat(1600));
    let (_, e) = tw(&d.app, "POST", &path, Some(&long)).await;
    assert_twilio_error(&e, 21617, 400);
    let (s, v) = tw(
        &d.app,
        "POST",
        &path,
        Some("To=%2B12025550102&Body=ok&ValidityPeriod=36000&MessagingServiceSid=MG1"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    d.stop().await;

    // Without [twilio_compat] the routes do not exist.
    let d = start(|c| c.twilio_compat = None).await;
    let (s, _) = tw(&d.app, "GET", &messages_path(), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    d.stop().await;
}

type Captured = Arc<Mutex<Vec<(String, axum::http::HeaderMap, String)>>>;

/// An HTTP receiver on 127.0.0.1:0 keeping every POST (path with query, headers, body).
async fn receiver() -> (String, Captured) {
    let captured: Captured = Arc::default();
    let store = captured.clone();
    let app = axum::Router::new().fallback(
        move |uri: axum::http::Uri, headers: axum::http::HeaderMap, body: String| {
            let store = store.clone();
            async move {
                store.lock().unwrap().push((uri.to_string(), headers, body));
                StatusCode::NO_CONTENT
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), captured)
}

/// Twilio's documented algorithm, written out again here (not smsgate's code).
fn expected_signature(token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort();
    let mut s = url.to_string();
    for (k, v) in &sorted {
        s.push_str(k);
        s.push_str(v);
    }
    let mut mac = <hmac::Hmac<sha1::Sha1> as KeyInit>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(s.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_callbacks_are_twilio_forms_signed_with_the_auth_token() {
    let (base, captured) = receiver().await;
    let d = start(|c| {
        c.simulator.fail_prefixes = vec!["+12025550103".into()];
        // The receiver is on loopback, which callbacks may reach only when allowed.
        c.callbacks.allow_private_networks = true;
    })
    .await;
    let url = format!("{base}/twilio/status?tenant=7");
    let form = format!(
        "To=%2B12025550102&From=%2B15005550006&Body=callback+me&StatusCallback={}",
        urlencode(&url)
    );
    let (s, created) = tw(&d.app, "POST", &messages_path(), Some(&form)).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let sid = created["sid"].as_str().unwrap().to_string();
    wait_status(&d.app, &sid, "delivered").await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let statuses = loop {
        let got: Vec<_> = captured.lock().unwrap().clone();
        let statuses: Vec<String> = got
            .iter()
            .map(|(path, headers, body)| {
                assert_eq!(path, "/twilio/status?tenant=7");
                assert_eq!(headers["content-type"], "application/x-www-form-urlencoded");
                let params: Vec<(String, String)> = serde_urlencoded::from_str(body).unwrap();
                let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                let sig = headers["x-twilio-signature"].to_str().unwrap();
                assert_eq!(sig, expected_signature(TOKEN, &url, &params), "{body}");
                assert_ne!(sig, expected_signature("another-token-0000", &url, &params));
                assert_eq!(get("MessageSid").as_deref(), Some(sid.as_str()));
                assert_eq!(get("SmsSid").as_deref(), Some(sid.as_str()));
                assert_eq!(get("AccountSid").as_deref(), Some(ACCOUNT));
                assert_eq!(get("To").as_deref(), Some(SIM1));
                assert_eq!(get("From").as_deref(), Some("+15005550006"));
                assert_eq!(get("ApiVersion").as_deref(), Some("2010-04-01"));
                assert_eq!(get("SmsStatus"), get("MessageStatus"));
                assert_eq!(get("ErrorCode"), None, "no error on success");
                get("MessageStatus").unwrap()
            })
            .collect();
        if statuses.iter().any(|s| s == "delivered") {
            break statuses;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no delivered callback: {statuses:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // No callback for the initial status; the order is the order of the changes.
    assert_eq!(statuses, ["sent", "delivered"]);

    // A message the network refuses: `undelivered` with an ErrorCode.
    let form = format!(
        "To=%2B12025550103&Body=fails&StatusCallback={}",
        urlencode(&url)
    );
    let (_, created) = tw(&d.app, "POST", &messages_path(), Some(&form)).await;
    let failing = created["sid"].as_str().unwrap().to_string();
    let v = wait_status(&d.app, &failing, "undelivered").await;
    assert_eq!(v["error_code"], 30003, "{v}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let got: Vec<_> = captured.lock().unwrap().clone();
        let last = got.iter().find_map(|(_, headers, body)| {
            let params: Vec<(String, String)> = serde_urlencoded::from_str(body).unwrap();
            let has = |k: &str, v: &str| params.iter().any(|(n, x)| n == k && x == v);
            (has("MessageSid", &failing) && has("MessageStatus", "undelivered"))
                .then(|| (headers.clone(), params))
        });
        if let Some((headers, params)) = last {
            assert!(
                params.iter().any(|(k, v)| k == "ErrorCode" && v == "30003"),
                "{params:?}"
            );
            assert!(
                params.iter().any(|(k, v)| k == "From" && v.is_empty()),
                "no From given: {params:?}"
            );
            assert_eq!(
                headers["x-twilio-signature"].to_str().unwrap(),
                expected_signature(TOKEN, &url, &params)
            );
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no undelivered callback"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    d.stop().await;
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).unwrap()[2..].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_twilio_python_sdk_creates_fetches_lists_and_validates_callbacks() {
    let has_sdk = std::process::Command::new("python3")
        .args(["-c", "import twilio"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_sdk {
        // `.ci/run` installs the SDK and sets this: there, a missing SDK is a failure.
        assert!(
            std::env::var_os("SMSGATE_REQUIRE_TWILIO_SDK").is_none(),
            "SMSGATE_REQUIRE_TWILIO_SDK is set but `import twilio` fails"
        );
        eprintln!("SKIPPED: the twilio Python SDK is not installed (pip install twilio)");
        return;
    }
    // The SDK's status callback receiver is on loopback: allowed only when configured.
    let d = start(|c| c.callbacks.allow_private_networks = true).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(smsgate::http::serve(
        listener,
        d.app.clone(),
        smsgate::http::ServeLimits::default(),
        async {
            let _ = stop_rx.await;
        },
    ));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/twilio_sdk/check.py");
    let url = format!("http://{addr}");
    // The SDK is synchronous: run it off the runtime, which keeps serving it.
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .arg(script)
            .env("SMSGATE_URL", url)
            .env("ACCOUNT_SID", ACCOUNT)
            .env("AUTH_TOKEN", TOKEN)
            .env("TO", SIM1)
            .output()
    });
    let output = tokio::time::timeout(Duration::from_secs(120), output)
        .await
        .expect("the SDK check finishes")
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.starts_with("OK"),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let _ = stop_tx.send(());
    let _ = server.await;
    d.stop().await;
}
