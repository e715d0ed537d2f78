//! SMS templates end to end: a real daemon on the simulated network driven through its
//! router — create, read, list with filters, update with version history, preview (GSM 7-bit
//! and UCS-2, segments), send with a template and read the text the simulated network
//! carried to the handset, usage counts, inactive and deleted templates, bad input, scopes.
//! Real time with zero simulator latency; arrival is awaited by bounded polling.

use super::api::{call, get, post, wait_for};
use super::daemon::TestDaemon;
use axum::http::StatusCode;
use serde_json::{json, Value};
use smsgate::config::{generate_api_key, ApiKey, Config, Scope};
use smsgate::http::App;
use smsgate::sim::SinkMessage;
use std::time::Duration;

/// The suite's daemon, with a route ready before the first request.
async fn start(tweak: impl FnOnce(&mut Config)) -> TestDaemon {
    let d = TestDaemon::start(tweak).await;
    wait_for(&d.app, "/readyz", |v| v["ready"] == true, "ready").await;
    d
}

async fn put(app: &App, path: &str, body: Value) -> (StatusCode, Value) {
    call(app, "PUT", path, Some(body), &[]).await
}

/// Asserts a 400 naming `field`, and returns the error message.
fn assert_invalid(answer: (StatusCode, Value), field: &str, what: &str) -> String {
    assert_eq!(answer.0, StatusCode::BAD_REQUEST, "{what}: {}", answer.1);
    assert_eq!(answer.1["error"]["field"], field, "{what}: {}", answer.1);
    answer.1["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The segments the simulated network carried to `number` (not a simulated modem), once
/// `count` have arrived — at most 30 s of polling.
async fn arrived(d: &TestDaemon, number: &str, count: usize) -> Vec<SinkMessage> {
    let sim = d.sim();
    let wanted = number.trim_start_matches('+');
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let got: Vec<SinkMessage> = sim
            .sink()
            .into_iter()
            .filter(|m| m.to.trim_start_matches('+') == wanted)
            .collect();
        if got.len() >= count {
            return got;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{count} segment(s) to {number} never arrived; got {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn usage_count(app: &App, id: &str) -> u64 {
    let (status, t) = get(app, &format!("/api/templates/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    t["usage_count"].as_u64().unwrap()
}

const HANDSET: &str = "+4915112345678";
const HANDSET_2: &str = "+4915112345679";
const HANDSET_3: &str = "+4915112345670";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_is_created_listed_versioned_previewed_and_sent() {
    let d = start(|_| {}).await;
    let app = &d.app;

    // Create: a client slug, one generated id, one inactive OTP template.
    let (status, welcome) = post(
        app,
        "/api/templates",
        json!({
            "id": "welcome",
            "name": "Welcome Template",
            "content": "Welcome {{name}}! Your account has been created. Use code {{ code }} to verify.",
            "variables": ["code", "name"],
            "category": "onboarding",
            "sms_type": "transactional",
            "is_active": true,
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{welcome}");
    assert_eq!(welcome["id"], "welcome");
    assert_eq!(welcome["variables"], json!(["name", "code"]));
    assert_eq!(welcome["version"], 1);
    assert_eq!(welcome["usage_count"], 0);
    assert_eq!(welcome["is_active"], true);
    assert!(welcome["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(welcome["created_at"], welcome["updated_at"]);

    let (status, promo) = post(
        app,
        "/api/templates",
        json!({"name": "Promo", "content": "Sale: {{discount}} off today only", "category": "marketing", "sms_type": "marketing"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{promo}");
    let promo_id = promo["id"].as_str().unwrap().to_string();
    assert!(
        promo_id.len() == 20
            && promo_id.starts_with("tpl_")
            && promo_id[4..].bytes().all(|b| b.is_ascii_hexdigit()),
        "{promo_id}"
    );
    assert_eq!(promo["variables"], json!(["discount"]));
    assert_eq!(promo["sms_type"], "promotional");
    assert_eq!(promo["category"], "marketing");

    let (status, otp) = post(
        app,
        "/api/templates",
        json!({"id": "otp_template", "name": "OTP", "content": "Your code is {{otp}}", "category": "onboarding", "sms_type": "otp", "is_active": false}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{otp}");
    assert_eq!(otp["is_active"], false);

    let (status, shown) = get(app, "/api/templates/welcome").await;
    assert_eq!((status, &shown), (StatusCode::OK, &welcome));

    // List, with each filter.
    let ids = |v: &Value| -> Vec<String> {
        v["templates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, all) = get(app, "/api/templates").await;
    assert_eq!(
        ids(&all),
        vec!["otp_template", &promo_id, "welcome"],
        "{all}"
    );
    assert_eq!(
        (
            all["total"].clone(),
            all["limit"].clone(),
            all["offset"].clone()
        ),
        (json!(3), json!(50), json!(0))
    );
    let (_, onboarding) = get(app, "/api/templates?category=onboarding").await;
    assert_eq!(ids(&onboarding), vec!["otp_template", "welcome"]);
    assert_eq!(onboarding["total"], 2);
    let (_, promotional) = get(app, "/api/templates?sms_type=promotional").await;
    assert_eq!(ids(&promotional), vec![promo_id.as_str()]);
    let (_, inactive) = get(app, "/api/templates?is_active=false").await;
    assert_eq!(ids(&inactive), vec!["otp_template"]);
    let (_, seed_query) = get(
        app,
        "/api/templates?category=onboarding&sms_type=transactional&is_active=true&limit=50&offset=0",
    )
    .await;
    assert_eq!(ids(&seed_query), vec!["welcome"]);
    let (_, page) = get(app, "/api/templates?limit=1&offset=1").await;
    assert_eq!(ids(&page), vec![promo_id.as_str()]);
    assert_eq!(page["total"], 3);
    assert_invalid(
        get(app, "/api/templates?limit=501").await,
        "limit",
        "limit 501",
    );
    assert_invalid(get(app, "/api/templates?limit=0").await, "limit", "limit 0");
    assert_invalid(
        get(app, "/api/templates?limit=many").await,
        "limit",
        "limit text",
    );
    assert_invalid(
        get(app, "/api/templates?offset=-1").await,
        "offset",
        "offset",
    );
    assert_invalid(
        get(app, "/api/templates?sms_type=fax").await,
        "sms_type",
        "sms_type",
    );
    assert_invalid(
        get(app, "/api/templates?is_active=maybe").await,
        "is_active",
        "is_active",
    );

    // Two updates; each keeps the previous version. An update that changes nothing does
    // not make a version.
    let (status, v2) = put(
        app,
        "/api/templates/welcome",
        json!({"content": "Hi {{name}}, code {{code}}"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v2}");
    assert_eq!(
        (v2["version"].clone(), v2["name"].clone()),
        (json!(2), json!("Welcome Template"))
    );
    let (status, v3) = put(
        app,
        "/api/templates/welcome",
        json!({"name": "Welcome v3", "content": "Hello {{name}}: {{code}}", "variables": ["name", "code"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v3}");
    assert_eq!(v3["version"], 3);
    assert_eq!(v3["created_at"], welcome["created_at"]);
    let (_, same) = put(
        app,
        "/api/templates/welcome",
        json!({"content": "Hello {{name}}: {{code}}"}),
    )
    .await;
    assert_eq!(same, v3);
    let (status, history) = get(app, "/api/templates/welcome/versions").await;
    assert_eq!(status, StatusCode::OK, "{history}");
    assert_eq!(history["template_id"], "welcome");
    assert_eq!(history["current_version"], 3);
    let versions: Vec<(i64, &str, &str)> = history["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_i64().unwrap(),
                v["content"].as_str().unwrap(),
                v["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        versions,
        vec![
            (2, "Hi {{name}}, code {{code}}", "Welcome Template"),
            (
                1,
                "Welcome {{name}}! Your account has been created. Use code {{ code }} to verify.",
                "Welcome Template"
            ),
        ]
    );
    assert_eq!(history["versions"][0]["created_at"], v2["updated_at"]);
    assert_eq!(history["versions"][1]["variables"], json!(["name", "code"]));
    assert_eq!(history["versions"][1]["sms_type"], "transactional");
    assert_eq!(history["versions"][1]["is_active"], true);

    // Preview: GSM 7-bit, UCS-2, several segments; numbers are stringified.
    let (status, gsm) = post(
        app,
        "/api/templates/welcome/preview",
        json!({"variables": {"name": "Ann", "code": 4711}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{gsm}");
    assert_eq!(
        gsm,
        json!({"text": "Hello Ann: 4711", "encoding": "gsm7", "segments": 1, "characters": 15, "missing": []})
    );
    let (_, ucs2) = post(
        app,
        "/api/templates/welcome/preview",
        json!({"template_variables": {"name": "Łucja", "code": "4711"}}),
    )
    .await;
    assert_eq!(
        (ucs2["encoding"].clone(), ucs2["segments"].clone()),
        (json!("ucs2"), json!(1)),
        "{ucs2}"
    );
    assert_eq!(ucs2["text"], "Hello Łucja: 4711");
    let (_, forced) = post(
        app,
        "/api/templates/welcome/preview",
        json!({"variables": {"name": "Ann", "code": true}, "message_type": "unicode"}),
    )
    .await;
    assert_eq!(
        (forced["encoding"].clone(), forced["text"].clone()),
        (json!("ucs2"), json!("Hello Ann: true"))
    );
    // 164 GSM characters: two segments of at most 152 septets.
    let (_, long) = post(
        app,
        "/api/templates/welcome/preview",
        json!({"variables": {"name": "x".repeat(150), "code": "123456"}}),
    )
    .await;
    assert_eq!(
        (long["characters"].clone(), long["segments"].clone()),
        (json!(164), json!(2)),
        "{long}"
    );
    // 72 UCS-2 characters: two segments of at most 66.
    let (_, long_ucs2) = post(
        app,
        "/api/templates/welcome/preview",
        json!({"variables": {"name": "Ł".repeat(60), "code": "4711"}}),
    )
    .await;
    assert_eq!(
        (
            long_ucs2["characters"].clone(),
            long_ucs2["segments"].clone()
        ),
        (json!(72), json!(2)),
        "{long_ucs2}"
    );
    let why = assert_invalid(
        post(
            app,
            "/api/templates/welcome/preview",
            json!({"variables": {"name": "Ann"}}),
        )
        .await,
        "variables.code",
        "preview without code",
    );
    assert!(why.contains("{{code}}"), "{why}");
    assert_invalid(
        post(
            app,
            "/api/templates/welcome/preview",
            json!({"template_variables": {}}),
        )
        .await,
        "template_variables.name",
        "preview without values",
    );
    assert_invalid(
        post(
            app,
            "/api/templates/welcome/preview",
            json!({"variables": {"name": "A", "code": {"x": 1}}}),
        )
        .await,
        "variables.code",
        "object value",
    );
    let (status, _) = post(app, "/api/templates/nope/preview", json!({"variables": {}})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Send with the template: the handset gets the rendered text.
    let (status, sent) = post(
        app,
        "/api/sms/send",
        json!({"to": HANDSET, "template_id": "welcome", "template_variables": {"name": "Ann", "code": 4711}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    assert_eq!(sent["messages"][0]["encoding"], "gsm7");
    assert_eq!(sent["messages"][0]["segments"], 1);
    let segments = arrived(&d, HANDSET, 1).await;
    assert_eq!(segments.len(), 1, "{segments:?}");
    assert_eq!(segments[0].text, "Hello Ann: 4711");
    let (_, message) = get(app, &format!("/api/sms/{}", sent["messages"][0]["id"])).await;
    assert_eq!(message["body"], "Hello Ann: 4711");
    assert_eq!(message["sms_type"], "transactional");
    assert_eq!(usage_count(app, "welcome").await, 1);

    // A batch counts one use per message and takes the template's SMS type; an idempotent
    // replay counts nothing.
    let batch = json!({
        "name": "Sale",
        "recipients": [{"number": HANDSET_2}, {"number": HANDSET_3}],
        "template_id": promo_id,
        "template_variables": {"discount": "50%"},
    });
    let headers = [("idempotency-key", "sale-1")];
    let (status, accepted) = call(
        app,
        "POST",
        "/api/sms/send-batch",
        Some(batch.clone()),
        &headers,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    let (status, replay) = call(app, "POST", "/api/sms/send-batch", Some(batch), &headers).await;
    assert_eq!(
        (status, replay["replayed"].clone()),
        (StatusCode::OK, json!(true))
    );
    assert_eq!(usage_count(app, &promo_id).await, 2);
    let (_, message) = get(app, &format!("/api/sms/{}", accepted["messages"][1]["id"])).await;
    assert_eq!(
        (message["sms_type"].clone(), message["body"].clone()),
        (json!("promotional"), json!("Sale: 50% off today only"))
    );
    assert_eq!(
        arrived(&d, HANDSET_3, 1).await[0].text,
        "Sale: 50% off today only"
    );
    // The caller's explicit sms_type wins over the template's.
    let (_, explicit) = post(
        app,
        "/api/sms/send",
        json!({"to": HANDSET_2, "template_id": promo_id, "template_variables": {"discount": "10%"}, "sms_type": "transactional"}),
    )
    .await;
    let (_, message) = get(app, &format!("/api/sms/{}", explicit["messages"][0]["id"])).await;
    assert_eq!(message["sms_type"], "transactional");
    assert_eq!(usage_count(app, &promo_id).await, 3);

    // Sends that are refused, each naming its field.
    let why = assert_invalid(
        post(
            app,
            "/api/sms/send",
            json!({"to": HANDSET, "template_id": "welcome", "template_variables": {"name": "Ann"}}),
        )
        .await,
        "template_variables.code",
        "missing variable",
    );
    assert!(why.contains("{{code}}"), "{why}");
    assert_invalid(
        post(app, "/api/sms/send", json!({"to": HANDSET, "message": "Hi", "template_id": "welcome", "template_variables": {"name": "A", "code": 1}})).await,
        "message",
        "message and template",
    );
    assert_invalid(
        post(
            app,
            "/api/sms/send",
            json!({"to": HANDSET, "template_id": "nope"}),
        )
        .await,
        "template_id",
        "unknown template",
    );
    let why = assert_invalid(
        post(app, "/api/sms/send", json!({"to": HANDSET, "template_id": "otp_template", "template_variables": {"otp": "123456"}})).await,
        "template_id",
        "inactive template",
    );
    assert!(why.contains("inactive"), "{why}");
    assert_invalid(
        post(
            app,
            "/api/sms/send",
            json!({"to": HANDSET, "message": "Hi", "template_variables": {"a": "b"}}),
        )
        .await,
        "template_variables",
        "variables without template",
    );
    assert_invalid(
        post(app, "/api/sms/send", json!({"to": HANDSET, "template_id": "welcome", "template_variables": {"name": ["A"], "code": 1}})).await,
        "template_variables.name",
        "list value",
    );
    assert_invalid(
        post(app, "/api/sms/send", json!({"to": HANDSET, "template_id": "welcome", "template_variables": {"name": "x".repeat(1600), "code": 1}})).await,
        "template_variables",
        "rendered text too long",
    );
    assert_invalid(
        post(app, "/api/sms/send", json!({"to": HANDSET})).await,
        "message",
        "neither message nor template",
    );
    assert_eq!(
        usage_count(app, "welcome").await,
        1,
        "refused sends count nothing"
    );

    // Activating the OTP template makes it usable.
    let (_, activated) = put(
        app,
        "/api/templates/otp_template",
        json!({"is_active": true}),
    )
    .await;
    assert_eq!(
        (activated["is_active"].clone(), activated["version"].clone()),
        (json!(true), json!(2))
    );
    let (status, otp_sent) = post(
        app,
        "/api/sms/send",
        json!({"to": HANDSET_3, "template_id": "otp_template", "template_variables": {"otp": "123456"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{otp_sent}");
    let (_, message) = get(app, &format!("/api/sms/{}", otp_sent["messages"][0]["id"])).await;
    assert_eq!(message["sms_type"], "otp");

    // Delete: gone for reading, for its history and for sending.
    let (status, _) = call(app, "DELETE", "/api/templates/welcome", None, &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = get(app, "/api/templates/welcome").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(app, "/api/templates/welcome/versions").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_invalid(
        post(app, "/api/sms/send", json!({"to": HANDSET, "template_id": "welcome", "template_variables": {"name": "A", "code": 1}})).await,
        "template_id",
        "deleted template",
    );
    let (status, _) = call(app, "DELETE", "/api/templates/welcome", None, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, all) = get(app, "/api/templates").await;
    assert_eq!(all["total"], 2);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_template_input_is_a_4xx_naming_the_field() {
    let d = start(|_| {}).await;
    let app = &d.app;
    let create = |extra: Value| {
        let mut body = json!({"name": "T", "content": "Hi {{name}}"});
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        post(app, "/api/templates", body)
    };
    let cases = [
        (json!({"content": "Hi {{name"}), "content", "unclosed {{"),
        (json!({"content": "Hi {{}}"}), "content", "empty"),
        (
            json!({"content": "Hi {{first name}}"}),
            "content",
            "first name",
        ),
        (json!({"content": "Hi {{9x}}"}), "content", "9x"),
        (json!({"content": "   "}), "content", "empty"),
        (json!({"content": "x".repeat(1601)}), "content", "1601"),
        (json!({"content": null}), "content", "missing"),
        (json!({"content": 5}), "content", ""),
        (json!({"name": ""}), "name", "empty"),
        (json!({"name": null}), "name", "missing"),
        (json!({"id": "bad id!"}), "id", "A–Z"),
        (json!({"id": "x".repeat(65)}), "id", "1–64"),
        (json!({"id": ""}), "id", ""),
        (json!({"variables": ["name", "code"]}), "variables", "code"),
        (
            json!({"content": "{{a}} {{b}}", "variables": ["a"]}),
            "variables",
            "b",
        ),
        (json!({"variables": ["name", "name"]}), "variables", "twice"),
        (json!({"variables": "name"}), "variables", ""),
        (json!({"sms_type": "fax"}), "sms_type", ""),
        (json!({"category": " "}), "category", "empty"),
        (json!({"is_active": "yes"}), "is_active", ""),
        (json!({"nmae": "typo"}), "nmae", "unknown field"),
        (json!({"version": 7}), "version", "unknown field"),
    ];
    for (extra, field, hint) in cases {
        let answer = create(extra.clone()).await;
        let why = assert_invalid(answer, field, &extra.to_string());
        assert!(why.contains(hint), "{extra}: {why}");
    }
    // The longest content is accepted.
    let (status, _) = create(json!({"content": "x".repeat(1600)})).await;
    assert_eq!(status, StatusCode::CREATED);

    // A duplicate id is a conflict, and the first template is untouched.
    let (status, _) = create(json!({"id": "dup", "content": "first"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, answer) = create(json!({"id": "dup", "content": "second"})).await;
    assert_eq!(
        (status, answer["error"]["code"].clone()),
        (StatusCode::CONFLICT, json!("conflict")),
        "{answer}"
    );
    assert_eq!(get(app, "/api/templates/dup").await.1["content"], "first");

    // Updates are checked like creation.
    let path = "/api/templates/dup";
    assert_invalid(
        put(app, path, json!({"content": "{{x"})).await,
        "content",
        "bad content",
    );
    assert_invalid(
        put(app, path, json!({"variables": ["x"]})).await,
        "variables",
        "variables",
    );
    assert_invalid(
        put(app, path, json!({"name": " "})).await,
        "name",
        "empty name",
    );
    assert_invalid(
        put(app, path, json!({"usage_count": 0})).await,
        "usage_count",
        "unknown",
    );
    let (status, _) = put(app, "/api/templates/nope", json!({"name": "x"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // `category: null` clears it; absent keeps it.
    let (_, t) = put(app, path, json!({"category": "c"})).await;
    assert_eq!(
        (t["category"].clone(), t["version"].clone()),
        (json!("c"), json!(2))
    );
    let (_, t) = put(app, path, json!({"name": "renamed"})).await;
    assert_eq!(
        (t["category"].clone(), t["version"].clone()),
        (json!("c"), json!(3))
    );
    let (_, t) = put(app, path, json!({"category": null})).await;
    assert_eq!(
        (t["category"].clone(), t["version"].clone()),
        (Value::Null, json!(4))
    );
    // Nothing was stored by the refused updates.
    let (_, history) = get(app, "/api/templates/dup/versions").await;
    assert_eq!(history["versions"].as_array().unwrap().len(), 3);
    d.stop().await;
}

/// Method, path, body, headers, expected status.
type Case<'a> = (
    &'a str,
    &'a str,
    Option<Value>,
    &'a [(&'a str, &'a str)],
    StatusCode,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_routes_need_read_or_send_scope() {
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
    let app = &d.app;
    let send = [("x-api-key", send_key.as_str())];
    let read = [("x-api-key", read_key.as_str())];
    let body = json!({"id": "t", "name": "T", "content": "Hi {{name}}"});
    let preview = json!({"variables": {"name": "A"}});
    let cases: [Case; 12] = [
        (
            "POST",
            "/api/templates",
            Some(body.clone()),
            &read,
            StatusCode::FORBIDDEN,
        ),
        (
            "POST",
            "/api/templates",
            Some(body.clone()),
            &[],
            StatusCode::UNAUTHORIZED,
        ),
        (
            "POST",
            "/api/templates",
            Some(body),
            &send,
            StatusCode::CREATED,
        ),
        ("GET", "/api/templates", None, &send, StatusCode::FORBIDDEN),
        ("GET", "/api/templates", None, &read, StatusCode::OK),
        ("GET", "/api/templates/t", None, &read, StatusCode::OK),
        (
            "GET",
            "/api/templates/t/versions",
            None,
            &read,
            StatusCode::OK,
        ),
        (
            "POST",
            "/api/templates/t/preview",
            Some(preview.clone()),
            &read,
            StatusCode::FORBIDDEN,
        ),
        (
            "POST",
            "/api/templates/t/preview",
            Some(preview),
            &send,
            StatusCode::OK,
        ),
        (
            "PUT",
            "/api/templates/t",
            Some(json!({"name": "U"})),
            &read,
            StatusCode::FORBIDDEN,
        ),
        (
            "DELETE",
            "/api/templates/t",
            None,
            &read,
            StatusCode::FORBIDDEN,
        ),
        (
            "DELETE",
            "/api/templates/t",
            None,
            &send,
            StatusCode::NO_CONTENT,
        ),
    ];
    for (method, path, body, headers, expected) in cases {
        let (status, answer) = call(app, method, path, body, headers).await;
        assert_eq!(status, expected, "{method} {path}: {answer}");
    }
    d.stop().await;
}
