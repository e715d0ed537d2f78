//! The seed's own Python client (`shared/seeds/004`, "Python Client", copied to
//! `tests/it/data/seed_client.py` with only the base URL and the phone numbers changed) run
//! with `python3` against a real `smsgate serve` on the simulator: every call succeeds as
//! the seed describes — the send answers 200 with a `batch_id` although it names
//! `"provider": "twilio"`, which is not configured; the OTP is generated; the verify call
//! gets a JSON verdict. The daemon then holds what the client sent, and sends it.
//!
//! The client needs `requests`: without it the test is skipped, unless
//! `SMSGATE_REQUIRE_SEED_CLIENT` is set (as `.ci/run` does, after installing it), and then
//! it fails.

use super::process::{free_port, http, start};
use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};

const CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/data/seed_client.py");
/// The number `seed_client.py` sends to.
const NUMBER: &str = "+4915112345678";

/// Whether `python3` can import `requests`; panics when it cannot but CI requires it.
fn requests_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import requests"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("SMSGATE_REQUIRE_SEED_CLIENT").is_none(),
            "SMSGATE_REQUIRE_SEED_CLIENT is set but python3 cannot import requests"
        );
        eprintln!("SKIPPED: python3 with `requests` is not available");
    }
    ok
}

/// The text after `prefix` on the line of `stdout` that starts with it.
fn line_after<'a>(stdout: &'a str, prefix: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line {prefix:?} in the client's output:\n{stdout}"))
}

#[test]
fn the_seed_python_client_runs_unchanged_against_the_daemon() {
    if !requests_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let addr = free_port();
    let config = dir.path().join("smsgate.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"{addr}\"\n[storage]\npath = \"{}\"\n\
             [dispatch]\npoll_interval_ms = 20\n[simulator]\nmodems = 2\nlatency_ms = 10\n",
            dir.path().join("smsgate.db").display()
        ),
    )
    .unwrap();
    let _daemon = start(&config, addr);

    let out = Command::new("python3")
        .arg(CLIENT)
        .env("SMSGATE_BASE_URL", format!("http://{addr}"))
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the seed client failed:\n{stdout}\n{stderr}"
    );

    // The send: printed only when the answer is 200 (the client checks it), with the
    // batch id from the body.
    let batch_id = line_after(&stdout, "SMS sent with batch ID: ").trim();
    assert!(!batch_id.is_empty(), "{stdout}");
    // The OTP: the generate answer (a Python dict) with its session.
    let generated = line_after(&stdout, "OTP generated: ");
    assert!(generated.starts_with('{'), "{generated}");
    assert!(generated.contains("'session_id': '"), "{generated}");
    // The verify: a verdict for the seed's made-up code "123456" (wrong, save for a
    // one-in-a-million draw), not an error.
    let verdict = line_after(&stdout, "OTP verification: ");
    assert!(verdict.contains("'valid': "), "{verdict}");
    assert!(verdict.contains("'success': "), "{verdict}");
    assert!(!verdict.contains("'error'"), "{verdict}");

    // What the client sent is in the store: the message of its batch, to its number, with
    // no provider (twilio is not configured: the routing policy chose), and it goes out
    // over a simulated modem.
    let (status, list) =
        http(addr, "GET", &format!("/api/sms?batch_id={batch_id}"), None).expect("GET /api/sms");
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], 1, "{list}");
    let id = list["messages"][0]["id"].clone();
    assert_eq!(list["messages"][0]["recipient"], NUMBER, "{list}");
    assert_eq!(list["messages"][0]["sms_type"], "transactional", "{list}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let detail: Value = loop {
        let (_, detail) = http(addr, "GET", &format!("/api/sms/{id}"), None).expect("GET");
        if detail["status"] == "delivered" {
            break detail;
        }
        assert!(
            Instant::now() < deadline,
            "the seed client's message was never delivered: {detail}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        detail["route"].as_str().unwrap_or("").starts_with("sim"),
        "{detail}"
    );
    assert_eq!(detail["provider"], Value::Null, "{detail}");
    assert_eq!(
        detail["priority"], 1,
        "the seed's default priority: {detail}"
    );
    // The OTP went to the same number: two messages in all.
    let (_, all) = http(addr, "GET", "/api/sms?limit=1", None).expect("GET /api/sms");
    assert_eq!(all["total"], 2, "{all}");
    assert_eq!(all["count"], 1, "{all}");
}
