//! The web console's server side, in process: the embedded files with their media types and
//! revalidation, the security headers on every console response (files, redirects, 304,
//! 404 and 405 under `/ui/`), `/` → `/ui/`, `[console] enabled = false` removing the routes;
//! and the two small API additions the console uses: `GET /api/auth/whoami` and
//! `POST /api/sms/count`.

use super::api::call;
use super::daemon::TestDaemon;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use serde_json::json;
use smsgate::config::{generate_api_key, ApiKey, Scope};
use smsgate::http::App;
use tower::ServiceExt;

/// One request; status, headers and the body as text.
async fn raw(
    app: &App,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, String) {
    let mut req = Request::builder().method(method).uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let response = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 24)
        .await
        .unwrap();
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_default()
}

/// The security headers every console response must carry, whatever its status.
fn assert_secured(what: &str, headers: &HeaderMap) {
    let csp = header(headers, "content-security-policy");
    assert!(csp.contains("default-src 'none'"), "{what}: CSP {csp:?}");
    assert!(csp.contains("script-src 'self'"), "{what}: CSP {csp:?}");
    assert!(
        csp.contains("frame-ancestors 'none'"),
        "{what}: CSP {csp:?}"
    );
    assert!(!csp.contains("unsafe-inline"), "{what}: CSP {csp:?}");
    assert!(!csp.contains("unsafe-eval"), "{what}: CSP {csp:?}");
    assert_eq!(
        header(headers, "x-content-type-options"),
        "nosniff",
        "{what}"
    );
    assert_eq!(header(headers, "referrer-policy"), "no-referrer", "{what}");
    assert_eq!(header(headers, "x-frame-options"), "DENY", "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_console_response_carries_the_security_headers() {
    let d = TestDaemon::start(|_| {}).await;
    // `/` and `/ui` send the browser to the console.
    for path in ["/", "/ui"] {
        let (status, headers, _) = raw(&d.app, "GET", path, &[]).await;
        assert!(status.is_redirection(), "{path}: {status}");
        assert_eq!(header(&headers, "location"), "/ui/", "{path}");
        assert_secured(path, &headers);
    }
    // The page: HTML that loads only same-origin modules, no inline script or style.
    let (status, headers, html) = raw(&d.app, "GET", "/ui/", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8");
    assert_secured("/ui/", &headers);
    assert!(
        html.contains(r#"<script type="module" src="app.js"></script>"#),
        "{html}"
    );
    assert!(!html.contains("<style"), "inline style element: {html}");
    assert!(!html.contains("style="), "inline style attribute: {html}");
    assert!(
        html.matches("<script").count() == html.matches("<script type=\"module\" src=").count(),
        "an inline script: {html}"
    );
    // Modules and styles with their media types, revalidated by ETag.
    for (path, kind) in [
        ("/ui/app.js", "text/javascript; charset=utf-8"),
        ("/ui/console.css", "text/css; charset=utf-8"),
        (
            "/ui/vendor/preact-htm.module.js",
            "text/javascript; charset=utf-8",
        ),
        ("/ui/vendor/uPlot.esm.js", "text/javascript; charset=utf-8"),
        ("/ui/vendor/uPlot.min.css", "text/css; charset=utf-8"),
    ] {
        let (status, headers, body) = raw(&d.app, "GET", path, &[]).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(header(&headers, "content-type"), kind, "{path}");
        assert_eq!(header(&headers, "cache-control"), "no-cache", "{path}");
        assert!(!body.is_empty(), "{path}");
        assert_secured(path, &headers);
        let etag = header(&headers, "etag").to_string();
        assert!(etag.len() > 10, "{path}: etag {etag:?}");
        let (status, headers, body) = raw(&d.app, "GET", path, &[("if-none-match", &etag)]).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(body.is_empty());
        assert_secured(&format!("{path} (304)"), &headers);
    }
    // Missing files and wrong methods are errors — still with the headers.
    for (method, path, expected) in [
        ("GET", "/ui/nope.js", StatusCode::NOT_FOUND),
        ("GET", "/ui/vendor/../../Cargo.toml", StatusCode::NOT_FOUND),
        ("GET", "/ui/messages/42", StatusCode::NOT_FOUND),
        ("POST", "/ui/app.js", StatusCode::METHOD_NOT_ALLOWED),
        ("POST", "/ui/", StatusCode::METHOD_NOT_ALLOWED),
    ] {
        let (status, headers, _) = raw(&d.app, method, path, &[]).await;
        assert_eq!(status, expected, "{method} {path}");
        assert_secured(&format!("{method} {path}"), &headers);
    }
    // The JSON API is unchanged: no console headers there.
    let (status, headers, _) = raw(&d.app, "GET", "/api/modems", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get("content-security-policy").is_none());
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_console_has_no_routes() {
    let d = TestDaemon::start(|c| c.console.enabled = false).await;
    for path in ["/", "/ui", "/ui/", "/ui/app.js"] {
        let (status, headers, _) = raw(&d.app, "GET", path, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(headers.get("location").is_none(), "{path}");
    }
    // The API still answers.
    let (status, _, _) = raw(&d.app, "GET", "/api/modems", &[]).await;
    assert_eq!(status, StatusCode::OK);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whoami_names_the_key_and_its_scopes_and_an_open_api_has_them_all() {
    let open = TestDaemon::start(|_| {}).await;
    let (status, body) = call(&open.app, "GET", "/api/auth/whoami", None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["open"], true);
    assert_eq!(body["name"], serde_json::Value::Null);
    assert_eq!(
        body["scopes"],
        json!(["send", "otp", "read", "admin", "metrics"])
    );
    open.stop().await;

    let (admin_key, admin_hash) = generate_api_key();
    let (read_key, read_hash) = generate_api_key();
    let (otp_key, otp_hash) = generate_api_key();
    let d = TestDaemon::start(|c| {
        c.api_keys = vec![
            ApiKey {
                name: "ops".into(),
                sha256: admin_hash,
                scopes: vec![Scope::Admin],
            },
            ApiKey {
                name: "wallboard".into(),
                sha256: read_hash,
                scopes: vec![Scope::Read],
            },
            ApiKey {
                name: "login".into(),
                sha256: otp_hash,
                scopes: vec![Scope::Otp],
            },
        ];
    })
    .await;
    let whoami = |key: String| {
        let app = d.app.clone();
        async move {
            let bearer = format!("Bearer {key}");
            call(
                &app,
                "GET",
                "/api/auth/whoami",
                None,
                &[("authorization", &bearer)],
            )
            .await
        }
    };
    let (status, body) = whoami(admin_key.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"name": "ops", "scopes": ["send", "otp", "read", "admin", "metrics"], "open": false})
    );
    let (_, body) = whoami(read_key.clone()).await;
    assert_eq!(
        body,
        json!({"name": "wallboard", "scopes": ["read"], "open": false})
    );
    let (_, body) = whoami(otp_key.clone()).await;
    assert_eq!(body["scopes"], json!(["otp"]));
    // The key itself, or its hash, never comes back.
    assert!(!body.to_string().contains(&otp_key));
    let (status, _) = whoami("sgk_wrong".into()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = call(&d.app, "GET", "/api/auth/whoami", None, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // X-API-Key works as everywhere else.
    let (status, body) = call(
        &d.app,
        "GET",
        "/api/auth/whoami",
        None,
        &[("x-api-key", &read_key)],
    )
    .await;
    assert_eq!(
        (status, body["name"].as_str()),
        (StatusCode::OK, Some("wallboard"))
    );

    // The counter: a read key may use it, an otp-only key may not.
    let count = |key: String, body: serde_json::Value| {
        let app = d.app.clone();
        async move {
            let bearer = format!("Bearer {key}");
            call(
                &app,
                "POST",
                "/api/sms/count",
                Some(body),
                &[("authorization", &bearer)],
            )
            .await
        }
    };
    let (status, body) = count(read_key.clone(), json!({"text": "hello"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["segments"], 1);
    let (status, _) = count(otp_key, json!({"text": "hello"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_count_endpoint_is_the_calculator_of_smsgate_pdu_count() {
    let d = TestDaemon::start(|_| {}).await;
    let count = |body: serde_json::Value| {
        let app = d.app.clone();
        async move { call(&app, "POST", "/api/sms/count", Some(body), &[]).await }
    };
    // 160 GSM-7 characters are one segment, 161 are two of 152 (16-bit reference).
    let (status, body) = count(json!({"text": "a".repeat(160)})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["encoding"].as_str(), body["segments"].as_u64()),
        (Some("gsm7"), Some(1))
    );
    assert_eq!(body["units_remaining"], 0);
    let (_, body) = count(json!({"text": "a".repeat(161)})).await;
    assert_eq!(body["segments"], 2);
    assert_eq!(body["units_per_segment"], 152);
    // An escape counts two septets; an emoji makes it UCS-2 (two UTF-16 units).
    let (_, body) = count(json!({"text": "€"})).await;
    assert_eq!(
        (body["encoding"].as_str(), body["units"].as_u64()),
        (Some("gsm7"), Some(2))
    );
    let (_, body) = count(json!({"message": "hi 😀"})).await;
    assert_eq!(
        (body["encoding"].as_str(), body["units"].as_u64()),
        (Some("ucs2"), Some(5))
    );
    assert_eq!(body["characters"], 4);
    // Forced UCS-2, and the send path's limit.
    let (_, body) = count(json!({"text": "abc", "message_type": "unicode"})).await;
    assert_eq!(body["encoding"], "ucs2");
    let (_, body) = count(json!({"text": "a".repeat(152 * 11)})).await;
    assert_eq!(
        (body["segments"].as_u64(), body["max_segments"].as_u64()),
        (Some(11), Some(10))
    );
    assert_eq!(body["too_long"], true);

    // The same JSON as `smsgate pdu count` prints for the same text.
    let text = "Grüße aus Köln – 50€ [ok]";
    let (_, body) = count(json!({"text": text})).await;
    let output = std::process::Command::new(super::process::BIN)
        .args(["pdu", "count", "--text", text])
        .output()
        .unwrap();
    assert!(output.status.success());
    let cli: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for (field, value) in cli.as_object().unwrap() {
        assert_eq!(&body[field], value, "{field}: API {body} vs CLI {cli}");
    }

    // Bad input names the field.
    let (status, body) = count(json!({"txt": "x"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "text", "{body}");
    let (status, body) = count(json!({"text": "00ff", "message_type": "binary"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["field"], "message_type", "{body}");
    d.stop().await;
}

/// The code in the default OTP text ("Your verification code is 123456. …").
fn code_in(text: &str) -> String {
    text.split("code is ")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otp_sessions_lists_recent_sessions_without_codes_and_the_success_rate() {
    let d = TestDaemon::start(|_| {}).await;
    let app = &d.app;
    let (first, second, third) = ("+4915112345601", "+4915112345602", "+4915112345603");
    let mut sessions = Vec::new();
    for phone in [first, second, third] {
        let (status, issued) = call(
            app,
            "POST",
            "/api/otp/generate",
            Some(json!({ "phone_number": phone })),
            &[],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{issued}");
        sessions.push(issued["session_id"].as_str().unwrap().to_string());
    }
    // The first is verified with the code read at the handset; the second locked by wrong
    // codes; the third stays active.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let text = loop {
        if let Some(m) = d.sim().sink().into_iter().find(|m| m.to == first) {
            break m.text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no OTP at the handset"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let code = code_in(&text);
    let (_, verdict) = call(
        app,
        "POST",
        "/api/otp/verify",
        Some(json!({"session_id": sessions[0], "otp_code": code})),
        &[],
    )
    .await;
    assert_eq!(verdict["valid"], true, "{verdict}");
    for _ in 0..10 {
        let (_, verdict) = call(
            app,
            "POST",
            "/api/otp/verify",
            Some(json!({"session_id": sessions[1], "otp_code": "000000x"})),
            &[],
        )
        .await;
        if verdict["reason"] == "locked" {
            break;
        }
    }

    let (status, page) = call(app, "GET", "/api/otp/sessions", None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let listed: Vec<&str> = page["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["session_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        [&sessions[2], &sessions[1], &sessions[0]],
        "newest first"
    );
    let by_id = |id: &str| {
        page["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["session_id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id(&sessions[0])["status"], "verified");
    assert_eq!(by_id(&sessions[1])["status"], "locked");
    assert_eq!(by_id(&sessions[2])["status"], "active");
    // Never a code, never a whole number.
    assert!(!page.to_string().contains(&code), "{page}");
    assert!(!page.to_string().contains(first), "{page}");
    assert!(by_id(&sessions[0])["phone_masked"]
        .as_str()
        .unwrap()
        .contains('•'));
    // One verified of the two that ended (the active one has no outcome yet).
    let summary = &page["summary"];
    assert_eq!(summary["total"], 3, "{summary}");
    assert_eq!(summary["verified"], 1);
    assert_eq!(summary["success_rate"], 50.0);
    assert_eq!(
        summary["by_status"],
        json!({"active": 1, "locked": 1, "verified": 1})
    );
    assert_eq!(summary["hours"], 24);

    let (_, page) = call(app, "GET", "/api/otp/sessions?limit=1", None, &[]).await;
    assert_eq!(page["sessions"].as_array().unwrap().len(), 1);
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=x", "limit"),
        ("hours=0", "hours"),
    ] {
        let (status, body) =
            call(app, "GET", &format!("/api/otp/sessions?{query}"), None, &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["error"]["field"], field, "{query}: {body}");
    }
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_message_list_filters_by_recipient() {
    let d = TestDaemon::start(|_| {}).await;
    for (i, to) in ["+4915112345611", "+4915112345612", "+4915112345611"]
        .into_iter()
        .enumerate()
    {
        let text = format!("message {i} for {to}");
        let (status, body) = call(
            &d.app,
            "POST",
            "/api/sms/send",
            Some(json!({"to": to, "message": text})),
            &[],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, page) = call(
        &d.app,
        "GET",
        "/api/sms?recipient=%2B4915112345611",
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 2, "{page}");
    assert!(page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["recipient"] == "+4915112345611"));
    let (status, body) = call(&d.app, "GET", "/api/sms?recipient=12ab", None, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["field"], "recipient", "{body}");
    d.stop().await;
}
