//! The audit log on a real `smsgate serve`: webhook subscription create/rotate/delete,
//! opt-out and template changes through the API, reloads by API and by SIGHUP — each in
//! `GET /api/audit` with the key's *name* (never the key), newest first, with filters and a
//! cursor; refused calls leave no entry; the log is admin-only.

use super::ops_support::{call, hangup, key_block, poll, OpsConfig};
use super::process::start;
use serde_json::Value;
use std::time::Duration;

const ADMIN: &str = "sgk_audit_admin_secret";
const SENDER: &str = "sgk_audit_sender_secret";

fn audit(addr: std::net::SocketAddr, query: &str) -> Value {
    let (status, v) = call(
        addr,
        "GET",
        &format!("/api/audit{query}"),
        Some(ADMIN),
        None,
    );
    assert_eq!(status, 200, "{v}");
    v
}

fn actions(v: &Value) -> Vec<(String, String)> {
    v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_string(),
                e["action"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn admin_actions_are_audited_by_key_name_never_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let keys = format!(
        "{}{}[webhooks]\nallow_private = true\n",
        key_block("ops-team", ADMIN, &["admin"]),
        key_block("shop", SENDER, &["send", "read"])
    );
    let config = OpsConfig::new(dir.path(), &keys);
    let daemon = start(&config.path, config.addr);
    let addr = config.addr;
    let empty = audit(addr, "");
    assert_eq!(empty["entries"], serde_json::json!([]));

    let (status, hook) = call(
        addr,
        "POST",
        "/api/webhooks",
        Some(ADMIN),
        Some(r#"{"url":"http://127.0.0.1:9/hook","events":["sms.received"]}"#),
    );
    assert_eq!(status, 201, "{hook}");
    let id = hook["id"].as_str().unwrap();
    let secret = hook["secret"].as_str().unwrap_or_default().to_string();
    let (status, rotated) = call(
        addr,
        "POST",
        &format!("/api/webhooks/{id}/rotate-secret"),
        Some(ADMIN),
        None,
    );
    assert_eq!(status, 200, "{rotated}");
    assert_eq!(
        call(
            addr,
            "DELETE",
            &format!("/api/webhooks/{id}"),
            Some(ADMIN),
            None
        )
        .0,
        204
    );
    assert_eq!(
        call(
            addr,
            "POST",
            "/api/optouts/+4915123456789",
            Some(SENDER),
            None
        )
        .0,
        201
    );
    assert_eq!(
        call(
            addr,
            "DELETE",
            "/api/optouts/+4915123456789",
            Some(SENDER),
            None
        )
        .0,
        204
    );
    let (status, v) = call(
        addr,
        "POST",
        "/api/templates",
        Some(SENDER),
        Some(r#"{"name":"Audit","content":"Hello {{name}}"}"#),
    );
    assert_eq!(status, 201, "{v}");
    // Refused calls are not actions: a 403 and a 404 leave nothing.
    assert_eq!(
        call(addr, "POST", "/api/webhooks", Some(SENDER), Some("{}")).0,
        403
    );
    assert_eq!(
        call(addr, "DELETE", "/api/webhooks/nope", Some(ADMIN), None).0,
        404
    );
    let (status, v) = call(addr, "POST", "/api/admin/reload", Some(ADMIN), None);
    assert_eq!(status, 200, "{v}");
    hangup(daemon.0.id());
    assert!(poll(Duration::from_secs(20), || audit(
        addr,
        "?actor=signal"
    )["entries"]
        .as_array()
        .is_some_and(|e| e.len() == 1)));

    let all = audit(addr, "");
    let expected: Vec<(String, String)> = [
        ("signal", "config.reload"),
        ("ops-team", "config.reload"),
        ("shop", "template.create"),
        ("shop", "optout.remove"),
        ("shop", "optout.add"),
        ("ops-team", "webhook.delete"),
        ("ops-team", "webhook.rotate_secret"),
        ("ops-team", "webhook.create"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(actions(&all), expected, "{all}");
    let entry = &all["entries"][7];
    assert_eq!(entry["target"], "/api/webhooks");
    assert_eq!(entry["detail"]["status"], 201);
    assert!(entry["at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(all["entries"][1]["detail"]["ok"], true);

    // Never a key or a webhook secret, anywhere in the log.
    let text = all.to_string();
    for secret in [
        ADMIN,
        SENDER,
        &secret,
        rotated["secret"].as_str().unwrap_or("-"),
    ] {
        assert!(
            secret.is_empty() || !text.contains(secret),
            "{secret} in {text}"
        );
    }

    // Filters and paging.
    assert_eq!(
        actions(&audit(addr, "?action=optout.add")),
        [("shop".to_string(), "optout.add".to_string())]
    );
    assert_eq!(
        audit(addr, "?actor=shop")["entries"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let page1 = audit(addr, "?limit=3");
    assert_eq!(actions(&page1), expected[..3]);
    let cursor = page1["next_cursor"].as_str().unwrap();
    let page2 = audit(addr, &format!("?limit=3&cursor={cursor}"));
    assert_eq!(actions(&page2), expected[3..6]);
    assert_eq!(
        audit(addr, "?since=2999-01-01T00:00:00Z")["entries"],
        serde_json::json!([])
    );
    assert_eq!(
        audit(addr, "?until=2000-01-01T00:00:00Z")["entries"],
        serde_json::json!([])
    );
    let (status, v) = call(addr, "GET", "/api/audit?since=yesterday", Some(ADMIN), None);
    assert_eq!((status, v["error"]["field"].as_str()), (400, Some("since")));

    // Admin only.
    assert_eq!(call(addr, "GET", "/api/audit", Some(SENDER), None).0, 403);
}
