//! OTP, 2FA, phone validation and send limits end to end: a real daemon on the simulated
//! network, driven over HTTP, with the code read the way a user reads it — from the text
//! that arrived at the simulated handset. The façade's clock is injected so expiry and
//! cooldowns are crossed without waiting.

use super::daemon::TestDaemon;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use serde_json::{json, Value};
use smsgate::config::Config;
use smsgate::http::App;
use smsgate::sim::SimNetwork;
use std::time::Duration;
use tower::ServiceExt;

struct Harness {
    d: TestDaemon,
    app: App,
    sim: SimNetwork,
}

impl Harness {
    async fn start(tweak: impl FnOnce(&mut Config)) -> Harness {
        let d = TestDaemon::start(tweak).await;
        Harness {
            app: d.app.clone(),
            sim: d.sim(),
            d,
        }
    }

    fn advance(&self, by: Duration) {
        self.d.advance(by);
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, HeaderMap, Value) {
        let req = Request::builder().method(method).uri(path);
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let response = self.app.clone().oneshot(req).await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            headers,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let (s, _, v) = self.call("POST", path, Some(body)).await;
        (s, v)
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let (s, _, v) = self.call("GET", path, None).await;
        (s, v)
    }

    /// Texts that reached `phone` so far.
    fn texts_to(&self, phone: &str) -> Vec<String> {
        self.sim
            .sink()
            .into_iter()
            .filter(|m| m.to == phone)
            .map(|m| m.text)
            .collect()
    }

    /// Waits for the `n`-th text (1-based) to reach `phone` and returns it.
    async fn nth_text_to(&self, phone: &str, n: usize) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(text) = self.texts_to(phone).get(n - 1) {
                return text.clone();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "text {n} never reached {phone}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the daemon; the data directory lives on in what is returned.
    async fn stop(self) -> tempfile::TempDir {
        self.d.stop().await
    }
}

/// The code in a text of the default form "Your verification code is 123456. It …".
pub(super) fn code_in(text: &str) -> String {
    let rest = text
        .split("code is ")
        .nth(1)
        .unwrap_or_else(|| panic!("no code in {text:?}"));
    rest.chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect()
}

fn retry_after(headers: &HeaderMap) -> u64 {
    headers["retry-after"].to_str().unwrap().parse().unwrap()
}

const PHONE: &str = "+4915112345678";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_read_from_the_handset_verifies_once() {
    let h = Harness::start(|_| {}).await;
    let (status, issued) = h
        .post(
            "/api/otp/generate",
            json!({"phone_number": {"number": PHONE, "name": "Ann"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    let session = issued["session_id"].as_str().unwrap().to_string();
    assert!(issued.get("otp").is_none() && issued.get("code").is_none());
    let text = h.nth_text_to(PHONE, 1).await;
    let code = code_in(&text);
    assert_eq!(code.len(), 6);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    assert!(
        !issued.to_string().contains(&code),
        "the answer holds the code"
    );
    assert!(text.contains("expires in 5 minutes"));

    // The message as the API shows it: an OTP, its code masked.
    let (_, message) = h.get(&format!("/api/sms/{}", issued["message_id"])).await;
    assert_eq!(message["sms_type"], "otp");
    assert!(!message.to_string().contains(&code), "{message}");
    assert!(
        message["body"].as_str().unwrap().contains("******"),
        "{message}"
    );

    let (status, verdict) = h
        .post(
            "/api/otp/verify",
            json!({"phone_number": {"number": PHONE}, "otp_code": code, "session_id": session}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verdict["valid"], true, "{verdict}");
    let (_, again) = h
        .post(
            "/api/otp/verify",
            json!({"phone_number": PHONE, "otp_code": code, "session_id": session}),
        )
        .await;
    assert_eq!(again["valid"], false);
    assert_eq!(again["reason"], "already_used");
    let (_, state) = h.get(&format!("/api/otp/{session}")).await;
    assert_eq!(state["status"], "verified");
    assert!(!state["phone_masked"].as_str().unwrap().contains("12345678"));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_codes_lock_the_session_and_then_even_the_right_one_fails() {
    let h = Harness::start(|_| {}).await;
    let (_, issued) = h
        .post("/api/otp/generate", json!({"phone_number": PHONE}))
        .await;
    let code = code_in(&h.nth_text_to(PHONE, 1).await);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (0..5).rev() {
        let (status, v) = h
            .post(
                "/api/otp/verify",
                json!({"phone_number": PHONE, "otp_code": wrong}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["valid"], false);
        assert_eq!(v["reason"], "invalid_code");
        assert_eq!(v["attempts_left"], left);
    }
    let (_, v) = h
        .post(
            "/api/otp/verify",
            json!({"phone_number": PHONE, "otp_code": code, "session_id": issued["session_id"]}),
        )
        .await;
    assert_eq!(v["valid"], false);
    assert_eq!(v["reason"], "locked");
    let (_, v) = h
        .post(
            "/api/otp/verify",
            json!({"phone_number": PHONE, "otp_code": code}),
        )
        .await;
    assert_eq!(v["reason"], "locked", "by number too: {v}");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_code_is_refused_in_the_short_api_with_400() {
    let h = Harness::start(|_| {}).await;
    let (status, sent) = h.post("/api/otp/send", json!({"phoneNumber": PHONE})).await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    assert_eq!(sent["success"], true);
    assert!(sent["expiresAt"].is_string());
    let code = code_in(&h.nth_text_to(PHONE, 1).await);
    h.advance(Duration::from_secs(5 * 60 + 1));
    let (status, v) = h
        .post(
            "/api/otp/verify",
            json!({"phoneNumber": PHONE, "code": code}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["valid"], false);
    assert_eq!(v["reason"], "expired");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resend_waits_for_its_cooldown_and_replaces_the_code() {
    let h = Harness::start(|_| {}).await;
    let (_, issued) = h
        .post(
            "/api/otp/generate",
            json!({"phone_number": PHONE, "alphanumeric": true, "length": 8,
                   "custom_message": "Use {otp} within {expiry} min", "expiry_minutes": 10}),
        )
        .await;
    let session = issued["session_id"].as_str().unwrap().to_string();
    let first = h.nth_text_to(PHONE, 1).await;
    assert!(first.ends_with("within 10 min"), "{first}");
    let first_code = first.split(' ').nth(1).unwrap().to_string();
    assert_eq!(first_code.len(), 8);

    let (status, headers, body) = h
        .call("POST", &format!("/api/otp/resend/{session}"), None)
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let wait = retry_after(&headers);
    assert!((59..=60).contains(&wait), "Retry-After {wait}");
    assert_eq!(body["error"]["code"], "rate_limited");

    h.advance(Duration::from_secs(61));
    let (status, resent) = h
        .post(&format!("/api/otp/resend/{session}"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{resent}");
    assert_eq!(resent["session_id"], session.as_str());
    let second_code = h
        .nth_text_to(PHONE, 2)
        .await
        .split(' ')
        .nth(1)
        .unwrap()
        .to_string();
    assert_ne!(first_code, second_code);

    // The first code is no longer valid; the new one is (lower case accepted).
    let (_, v) = h
        .post(
            "/api/otp/verify",
            json!({"session_id": session, "otp_code": first_code}),
        )
        .await;
    assert_eq!(v["reason"], "invalid_code");
    let (_, v) = h
        .post(
            "/api/otp/verify",
            json!({"session_id": session, "otp_code": second_code.to_lowercase()}),
        )
        .await;
    assert_eq!(v["valid"], true, "{v}");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_code_invalidates_the_older_one_of_the_number() {
    let h = Harness::start(|_| {}).await;
    let (_, first) = h
        .post("/api/otp/generate", json!({"phone_number": PHONE}))
        .await;
    let old = code_in(&h.nth_text_to(PHONE, 1).await);
    h.post("/api/otp/generate", json!({"phone_number": PHONE}))
        .await;
    let new = code_in(&h.nth_text_to(PHONE, 2).await);
    let (_, v) = h
        .post(
            "/api/otp/verify",
            json!({"session_id": first["session_id"], "otp_code": old}),
        )
        .await;
    assert_eq!(v["reason"], "superseded");
    let (_, v) = h
        .post(
            "/api/otp/verify",
            json!({"phone_number": PHONE, "otp_code": new}),
        )
        .await;
    assert_eq!(v["valid"], true);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_per_number_are_limited_with_429_and_retry_after() {
    let h = Harness::start(|_| {}).await;
    for _ in 0..3 {
        let (status, _) = h
            .post("/api/otp/generate", json!({"phone_number": PHONE}))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, headers, body) = h
        .call(
            "POST",
            "/api/otp/generate",
            Some(json!({"phone_number": PHONE})),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!((1..=60).contains(&retry_after(&headers)));
    assert!(body["error"]["message"].as_str().unwrap().contains("phone"));
    // Another number is not affected; after a minute this one may have a code again.
    let (status, _) = h
        .post(
            "/api/otp/generate",
            json!({"phone_number": "+4915112345679"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    h.advance(Duration::from_secs(61));
    let (status, _) = h
        .post("/api/otp/generate", json!({"phone_number": PHONE}))
        .await;
    assert_eq!(status, StatusCode::OK);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_otp_requests_name_their_field() {
    let h = Harness::start(|_| {}).await;
    for (body, field) in [
        (json!({"phone_number": "12345"}), "phone_number"),
        (json!({"phone_number": PHONE, "length": 3}), "length"),
        (json!({"phone_number": PHONE, "length": 11}), "length"),
        (
            json!({"phone_number": PHONE, "expiry_minutes": 0}),
            "expiry_minutes",
        ),
        (
            json!({"phone_number": PHONE, "custom_message": "no placeholder"}),
            "custom_message",
        ),
        (json!({"phone_number": PHONE, "pin": 1}), "pin"),
    ] {
        let (status, v) = h.post("/api/otp/generate", body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {v}");
        assert!(
            v["error"]["field"].as_str().unwrap().contains(field),
            "{body} → {v}"
        );
    }
    let (status, v) = h
        .post("/api/otp/verify", json!({"phone_number": PHONE}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["field"], "otp_code");
    let (status, _) = h.post("/api/otp/resend/otp_nope", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, v) = h
        .post(
            "/api/otp/verify",
            json!({"phone_number": PHONE, "otp_code": "123456"}),
        )
        .await;
    assert_eq!(v["reason"], "no_active_code");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_enrolment_login_and_backup_codes() {
    let h = Harness::start(|_| {}).await;
    let (status, enrolled) = h
        .post(
            "/api/2fa/enroll",
            json!({"user_id": "u-42", "phone_number": PHONE}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{enrolled}");
    assert_eq!(enrolled["status"], "pending");
    assert!(
        !enrolled.to_string().contains("12345678"),
        "the full number: {enrolled}"
    );
    let (_, state) = h.get("/api/2fa/u-42").await;
    assert_eq!(state["enabled"], false);
    assert_eq!(state["status"], "pending");

    let (status, v) = h
        .post(
            "/api/2fa/confirm",
            json!({"user_id": "u-42", "code": "999999x"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["valid"], false);
    let code = code_in(&h.nth_text_to(PHONE, 1).await);
    let (status, confirmed) = h
        .post("/api/2fa/confirm", json!({"user_id": "u-42", "code": code}))
        .await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    let backups: Vec<String> = confirmed["backup_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(backups.len(), 10);
    let (_, state) = h.get("/api/2fa/u-42").await;
    assert_eq!(state["enabled"], true);
    assert_eq!(state["backup_codes_left"], 10);
    assert!(state["phone_masked"].as_str().unwrap().contains('•'));

    // Login with a code sent by a challenge.
    let (status, _) = h
        .post("/api/2fa/challenge", json!({"user_id": "u-42"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let login = code_in(&h.nth_text_to(PHONE, 2).await);
    // Wrong backup codes are not tried as the login code: they cannot lock it.
    for _ in 0..5 {
        let (status, _) = h
            .post(
                "/api/2fa/verify",
                json!({"user_id": "u-42", "code": "ZZZZZ-ZZZZZ"}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let (status, v) = h
        .post("/api/2fa/verify", json!({"user_id": "u-42", "code": login}))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["method"], "otp");
    let (status, v) = h
        .post("/api/2fa/verify", json!({"user_id": "u-42", "code": login}))
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a login code is single use: {v}"
    );

    // A backup code works once, typed any way.
    let typed = backups[3].to_lowercase().replace('-', " ");
    let (status, v) = h
        .post("/api/2fa/verify", json!({"user_id": "u-42", "code": typed}))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["method"], "backup_code");
    assert_eq!(v["backup_codes_left"], 9);
    let (status, _) = h
        .post(
            "/api/2fa/verify",
            json!({"user_id": "u-42", "code": backups[3]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Enrolling again while active is a conflict; disabling needs a valid code.
    let (status, _) = h
        .post(
            "/api/2fa/enroll",
            json!({"user_id": "u-42", "phone_number": PHONE}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = h
        .post(
            "/api/2fa/disable",
            json!({"user_id": "u-42", "code": "AAAAA-AAAAA"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, v) = h
        .post(
            "/api/2fa/disable",
            json!({"user_id": "u-42", "code": backups[0]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (_, state) = h.get("/api/2fa/u-42").await;
    assert_eq!(state["status"], "disabled");
    let (status, _) = h
        .post("/api/2fa/challenge", json!({"user_id": "u-42"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_numbers_are_validated_and_described() {
    let h = Harness::start(|c| c.server.default_region = Some("DE".into())).await;
    let (status, v) = h.get("/api/phone/validate/+4915112345678").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["valid"], true);
    assert_eq!(v["e164"], "+4915112345678");
    assert_eq!(v["country"], "DE");
    assert_eq!(v["country_calling_code"], 49);
    assert_eq!(v["number_type"], "mobile");
    assert!(v["international"].as_str().unwrap().starts_with("+49 "));
    // National numbers are read in the default region, or the one asked for.
    let (_, v) = h.get("/api/phone/validate/015112345678").await;
    assert_eq!(v["e164"], "+4915112345678");
    let (_, v) = h.get("/api/phone/validate/2025550123?country=US").await;
    assert_eq!(v["e164"], "+12025550123");
    assert_eq!(v["country"], "US");
    let (_, v) = h.get("/api/phone/validate/+4912").await;
    assert_eq!(v["valid"], false);
    assert!(v["reason"].is_string());
    let (_, v) = h.get("/api/phone/validate/hello").await;
    assert_eq!(v["valid"], false);
    let (_, v) = h.get("/api/phone/validate/123?country=ZZ").await;
    assert!(v["reason"].as_str().unwrap().contains("ZZ"));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_and_send_limits_are_refused_before_anything_is_stored() {
    let h = Harness::start(|c| {
        c.limits.per_recipient_per_minute = 2;
        c.limits.per_minute = 5;
        c.server.custom_id_idempotency = true;
    })
    .await;
    let other = "+4915112345670";
    let (status, _) = h
        .post("/api/sms/send", json!({"to": PHONE, "message": "hello"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    // The same text again: refused, naming the recipient; an idempotent replay is not.
    let (status, v) = h
        .post("/api/sms/send", json!({"to": PHONE, "message": "hello"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "duplicate");
    assert_eq!(v["error"]["field"], "to[0].number");
    // In a batch only the duplicate recipient is left out.
    let (status, v) = h
        .post(
            "/api/sms/send",
            json!({"to": [PHONE, other], "message": "hello", "custom_id": "b1"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["total"], 1);
    assert_eq!(v["rejected"][0]["index"], 0);
    assert_eq!(v["rejected"][0]["code"], "duplicate");
    let (status, replay) = h
        .post(
            "/api/sms/send",
            json!({"to": [PHONE, other], "message": "hello", "custom_id": "b1"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(replay["replayed"], true);
    // Regression: the replay paired the stored ids with this request's recipients, so the
    // one message (to `other`) was reported as sent to PHONE, the refused one.
    assert_eq!(replay["total"], 1, "{replay}");
    assert_eq!(replay["messages"][0]["to"], other, "{replay}");
    assert_eq!(
        replay["messages"][0]["id"], v["messages"][0]["id"],
        "{replay}"
    );
    // Per recipient: a third message to PHONE within the minute is refused with 429.
    h.post("/api/sms/send", json!({"to": PHONE, "message": "second"}))
        .await;
    let (status, headers, v) = h
        .call(
            "POST",
            "/api/sms/send",
            Some(json!({"to": PHONE, "message": "third"})),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert!(retry_after(&headers) >= 1);
    // Globally 5 per minute: 3 accepted so far; a request for 3 more is refused whole.
    let (status, headers, v) = h
        .call(
            "POST",
            "/api/sms/send",
            Some(json!({"to": ["+4915112345671", "+4915112345672", "+4915112345673"], "message": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("global"));
    assert!(retry_after(&headers) >= 1);
    let (_, list) = h.get("/api/sms?limit=100").await;
    let stored = list["messages"].as_array().map_or(0, Vec::len);
    assert_eq!(stored, 3, "{list}");
    h.stop().await;
}

/// Runs in a process of its own (see `super::logs`): the capture must see every line.
#[test]
fn no_plain_code_in_the_database_or_the_logs() {
    if !super::logs::in_own_process("otp::no_plain_code_in_the_database_or_the_logs") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(codes_stay_out_of_files_and_logs());
}

async fn codes_stay_out_of_files_and_logs() {
    let logs = super::logs::CapturedLog::install();

    let h = Harness::start(|_| {}).await;
    let mut codes = Vec::new();
    // Ten-digit codes: a chance match with other digits in the files is out of the question.
    for (i, phone) in ["+4915112345601", "+4915112345602", "+4915112345603"]
        .iter()
        .enumerate()
    {
        let (status, _) = h
            .post(
                "/api/otp/generate",
                json!({"phone_number": phone, "length": 10}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let code = code_in(&h.nth_text_to(phone, 1).await);
        assert_eq!(code.len(), 10);
        if i == 0 {
            let (_, v) = h
                .post(
                    "/api/otp/verify",
                    json!({"phone_number": phone, "otp_code": code}),
                )
                .await;
            assert_eq!(v["valid"], true);
        }
        codes.push(code);
    }
    // 2FA: the backup codes too.
    h.post(
        "/api/2fa/enroll",
        json!({"user_id": "u1", "phone_number": "+4915112345604"}),
    )
    .await;
    let code = code_in(&h.nth_text_to("+4915112345604", 1).await);
    let (_, confirmed) = h
        .post("/api/2fa/confirm", json!({"user_id": "u1", "code": code}))
        .await;
    codes.push(code);
    for b in confirmed["backup_codes"].as_array().unwrap() {
        let b = b.as_str().unwrap();
        codes.push(b.to_string());
        codes.push(b.replace('-', ""));
    }
    let dir_guard = h.stop().await;
    let dir = dir_guard.path();

    let mut scanned = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        // The -wal and -shm files go away when the last connection closes.
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        scanned += bytes.len();
        for code in &codes {
            assert!(
                !bytes.windows(code.len()).any(|w| w == code.as_bytes()),
                "{} holds the code {code}",
                path.display()
            );
        }
    }
    assert!(
        scanned > 10_000,
        "the database was not scanned ({scanned} bytes)"
    );
    let logs = logs.text();
    assert!(logs.contains("OTP sent"), "the capture saw no OTP log line");
    for code in &codes {
        assert!(
            !logs.contains(code.as_str()),
            "a log line holds the code {code}"
        );
    }
    // Nor in a form one decoding step away: every long hex run in the log, read as a PDU.
    for token in logs
        .split(|c: char| !c.is_ascii_hexdigit())
        .filter(|t| t.len() >= 24)
    {
        if let Ok(pdu) = smsgate::pdu::PduModePdu::decode_hex(token) {
            let text = match &pdu.tpdu {
                smsgate::pdu::Tpdu::Submit(s) => format!("{:?}", s.user_data.content()),
                smsgate::pdu::Tpdu::Deliver(d) => format!("{:?}", d.user_data.content()),
                other => format!("{other:?}"),
            };
            for code in &codes {
                assert!(
                    !text.contains(code.as_str()),
                    "a logged PDU carries the code {code}"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_otp_can_be_written_by_a_template() {
    let h = Harness::start(|_| {}).await;
    let (status, t) = h
        .post(
            "/api/templates",
            json!({"id": "otp_template", "name": "Login", "sms_type": "otp",
                   "content": "Login code {{ otp }} (valid {{expiry}} min)"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    h.post(
        "/api/templates",
        json!({"id": "no_code", "name": "Oops", "content": "Hello {{name}}"}),
    )
    .await;
    let (status, issued) = h
        .post(
            "/api/otp/generate",
            json!({"phone_number": PHONE, "template_id": "otp_template", "expiry_minutes": 3}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    let text = h.nth_text_to(PHONE, 1).await;
    let code = text
        .strip_prefix("Login code ")
        .and_then(|rest| rest.strip_suffix(" (valid 3 min)"))
        .unwrap_or_else(|| panic!("{text}"));
    let (_, v) = h
        .post(
            "/api/otp/verify",
            json!({"phone_number": PHONE, "otp_code": code}),
        )
        .await;
    assert_eq!(v["valid"], true);
    let (_, t) = h.get("/api/templates/otp_template").await;
    assert_eq!(t["usage_count"], 1);
    for id in ["no_code", "missing"] {
        let (status, v) = h
            .post(
                "/api/otp/generate",
                json!({"phone_number": PHONE, "template_id": id}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["error"]["field"], "template_id");
    }
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_that_replied_stop_gets_no_promotions_but_still_its_codes() {
    let h = Harness::start(|_| {}).await;
    let other = "+4915112345670";
    h.sim
        .inject_inbound(0, PHONE, "Stop", smsgate::sim::InboundOptions::default())
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (status, _) = h.get(&format!("/api/optouts/{PHONE}")).await;
        if status == StatusCode::OK {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "STOP never listed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let promo = json!({"to": PHONE, "message": "50% off", "sms_type": "marketing"});
    let (status, v) = h.post("/api/sms/send", promo).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "opted_out");
    let (status, v) = h
        .post(
            "/api/sms/send-batch",
            json!({"recipients": [PHONE, other], "message": "50% off", "sms_type": "promotional"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["total"], 1);
    assert_eq!(v["messages"][0]["to"], other);
    assert_eq!(v["rejected"][0]["code"], "opted_out");
    // Transactional messages and codes still go (the default `[optout] block`).
    let (status, _) = h
        .post(
            "/api/sms/send",
            json!({"to": PHONE, "message": "Your parcel is here"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h
        .post("/api/otp/generate", json!({"phone_number": PHONE}))
        .await;
    assert_eq!(status, StatusCode::OK);
    // Taken off the list through the API, promotions go again.
    let (status, _, _) = h
        .call("DELETE", &format!("/api/optouts/{PHONE}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = h
        .post(
            "/api/sms/send",
            json!({"to": PHONE, "message": "60% off", "sms_type": "promotional"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_resend_keeps_the_old_code_and_failed_generates_cost_the_number_nothing() {
    let h = Harness::start(|c| {
        c.otp.resend_cooldown_secs = 0;
        c.limits.per_minute = 2;
    })
    .await;
    // A text that cannot be sent (too long) three times: no code went out, so the number's
    // 3-per-minute allowance is untouched.
    let long = format!("{{otp}} {}", "x".repeat(2_000));
    for _ in 0..4 {
        let (status, v) = h
            .post(
                "/api/otp/generate",
                json!({"phone_number": PHONE, "custom_message": long}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["error"]["field"], "custom_message");
    }
    let (status, issued) = h
        .post("/api/otp/generate", json!({"phone_number": PHONE}))
        .await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    let code = code_in(&h.nth_text_to(PHONE, 1).await);
    // The global limit (2 per minute) is reached by another message: the resend is refused
    // before its code replaces the old one, which still works.
    let (status, _) = h
        .post(
            "/api/sms/send",
            json!({"to": "+4915112345670", "message": "hello"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, v) = h
        .post(
            &format!("/api/otp/resend/{}", issued["session_id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{v}");
    let (_, v) = h
        .post(
            "/api/otp/verify",
            json!({"phone_number": PHONE, "otp_code": code}),
        )
        .await;
    assert_eq!(v["valid"], true, "{v}");
    // Verifying by number afterwards says why the code no longer works.
    let (_, v) = h
        .post(
            "/api/otp/verify",
            json!({"phone_number": PHONE, "otp_code": code}),
        )
        .await;
    assert_eq!(v["reason"], "already_used", "{v}");
    assert!(v.get("session_id").is_none());
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_otp_messages_are_screened_and_priorities_cannot_overtake_codes() {
    let h = Harness::start(|_| {}).await;
    let body = json!({"to": PHONE, "message": "Your code is 1234", "sms_type": "otp"});
    let (status, _) = h.post("/api/sms/send", body.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, v) = h.post("/api/sms/send", body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "duplicate");
    for priority in [1_001, -1_001, 2_000_000] {
        let (status, v) = h
            .post(
                "/api/sms/send",
                json!({"to": PHONE, "message": "promo", "priority": priority}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["error"]["field"], "priority");
    }
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resends_never_buy_more_guesses_than_the_session_cap() {
    // Regression: each resend reset the attempt counter, so 4 resends gave 20 guesses.
    let h = Harness::start(|c| {
        c.otp.resend_cooldown_secs = 0;
        c.otp.max_resends = 5;
    })
    .await;
    let (_, issued) = h
        .post("/api/otp/generate", json!({"phone_number": PHONE}))
        .await;
    let session = issued["session_id"].as_str().unwrap().to_string();
    let wrong = |n: u32| json!({"session_id": session, "otp_code": format!("{:06}", 100_000 + n)});
    let mut guesses = 0;
    let mut sent = 1;
    let mut last = Value::Null;
    // Four wrong codes per code (one short of its own lock), then a resend, until locked.
    'outer: for _round in 0..5 {
        let code = code_in(&h.nth_text_to(PHONE, sent).await);
        for _ in 0..4 {
            guesses += 1;
            let mut body = wrong(guesses);
            if body["otp_code"] == code.as_str() {
                body["otp_code"] = json!("000000");
            }
            let (_, v) = h.post("/api/otp/verify", body).await;
            last = v.clone();
            if v["reason"] == "locked" || v["attempts_left"] == 0 {
                break 'outer;
            }
        }
        let (status, _) = h
            .post(&format!("/api/otp/resend/{session}"), json!({}))
            .await;
        if status != StatusCode::OK {
            break;
        }
        sent += 1;
    }
    assert_eq!(
        guesses, 10,
        "the session took {guesses} wrong codes: {last}"
    );
    assert_eq!(last["attempts_left"], 0, "{last}");
    // Locked for good: a resend is refused and the current code no longer verifies.
    let code = code_in(&h.nth_text_to(PHONE, sent).await);
    let (_, v) = h
        .post(
            "/api/otp/verify",
            json!({"session_id": session, "otp_code": code}),
        )
        .await;
    assert_eq!(v["valid"], false);
    assert_eq!(v["reason"], "locked", "{v}");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_past_its_daily_failure_cap_cannot_verify_even_the_right_code() {
    let h = Harness::start(|c| {
        c.otp.max_attempts = 3;
        c.otp.max_failures_per_session = 3;
        c.otp.max_failures_per_number = 4;
    })
    .await;
    // Session 1: three wrong codes lock it (3 failures for the number).
    let (_, first) = h
        .post("/api/otp/generate", json!({"phone_number": PHONE}))
        .await;
    let code = code_in(&h.nth_text_to(PHONE, 1).await);
    for n in 0..3 {
        let guess = if code == "000000" {
            "111111".to_string()
        } else {
            format!("00000{n}")
        };
        h.post(
            "/api/otp/verify",
            json!({"session_id": first["session_id"], "otp_code": guess}),
        )
        .await;
    }
    // Session 2: one wrong code reaches the number's cap of 4 …
    let (_, second) = h
        .post("/api/otp/generate", json!({"phone_number": PHONE}))
        .await;
    let code = code_in(&h.nth_text_to(PHONE, 2).await);
    let (_, v) = h
        .post(
            "/api/otp/verify",
            json!({"session_id": second["session_id"], "otp_code": if code == "999999" { "999998" } else { "999999" }}),
        )
        .await;
    assert_eq!(v["attempts_left"], 0, "{v}");
    // … so session 3's right code is refused: the number is locked for the day.
    let (_, third) = h
        .post("/api/otp/generate", json!({"phone_number": PHONE}))
        .await;
    let code = code_in(&h.nth_text_to(PHONE, 3).await);
    let (_, v) = h
        .post(
            "/api/otp/verify",
            json!({"session_id": third["session_id"], "otp_code": code}),
        )
        .await;
    assert_eq!(v["valid"], false, "{v}");
    assert_eq!(v["reason"], "locked", "{v}");
    // Another number is not affected.
    let other = "+4915112345679";
    h.post("/api/otp/generate", json!({"phone_number": other}))
        .await;
    let code = code_in(&h.nth_text_to(other, 1).await);
    let (_, v) = h
        .post(
            "/api/otp/verify",
            json!({"phone_number": other, "otp_code": code}),
        )
        .await;
    assert_eq!(v["valid"], true, "{v}");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_codes_need_the_operator_to_allow_them() {
    let h = Harness::start(|_| {}).await;
    let (status, v) = h
        .post(
            "/api/otp/generate",
            json!({"phone_number": PHONE, "length": 4}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "length");
    h.stop().await;
    let h = Harness::start(|c| c.otp.min_length = 4).await;
    let (status, v) = h
        .post(
            "/api/otp/generate",
            json!({"phone_number": PHONE, "length": 4}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(code_in(&h.nth_text_to(PHONE, 1).await).len(), 4);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_messages_marked_otp_stay_below_the_codes_the_service_issues() {
    // Regression: a client's sms_type "otp" shared the issued codes' band, so a flood of
    // them (with priority 1000) was leased before a real code and starved it.
    let h = Harness::start(|_| {}).await;
    let (status, v) = h
        .post(
            "/api/sms/send",
            json!({"to": PHONE, "message": "client code 4711", "sms_type": "otp", "priority": 1000}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, issued) = h
        .post(
            "/api/otp/generate",
            json!({"phone_number": "+4915112345679"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    let (_, client) = h.get(&format!("/api/sms/{}", v["messages"][0]["id"])).await;
    let (_, code) = h.get(&format!("/api/sms/{}", issued["message_id"])).await;
    let (client_p, code_p) = (
        client["priority"].as_i64().unwrap(),
        code["priority"].as_i64().unwrap(),
    );
    assert!(
        code_p > client_p,
        "issued code priority {code_p} must exceed every client message ({client_p})"
    );
    // And a client OTP still goes before ordinary client traffic of any priority.
    assert!(client_p > 1000, "{client_p}");
    h.stop().await;
}
