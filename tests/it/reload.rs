//! Live reload of a real `smsgate serve`: SIGHUP and `POST /api/admin/reload` swap the API
//! keys (a new key works, a removed one gets 401) without losing a queued message; a bad
//! file (a syntax error, an invalid value) is refused with `smsgate check-config`'s very
//! text and the old keys stay in force; what needs a restart is said, not applied.

use super::ops_support::{call, hangup, key_block, poll, OpsConfig};
use super::process::{start_logging, BIN};
use std::collections::HashSet;
use std::process::Command;
use std::time::Duration;

const ADMIN: &str = "sgk_reload_admin";
const OLD: &str = "sgk_reload_old";
const NEW: &str = "sgk_reload_new";

/// What `smsgate check-config --config FILE` prints on stderr, without `error: `.
fn check_config_error(file: &std::path::Path) -> String {
    let out = Command::new(BIN)
        .args(["check-config", "--config"])
        .arg(file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let text = String::from_utf8(out.stderr).unwrap();
    text.trim_end()
        .strip_prefix("error: ")
        .unwrap_or_else(|| panic!("check-config said {text:?}"))
        .to_string()
}

fn modems_status(addr: std::net::SocketAddr, key: &str) -> u16 {
    call(addr, "GET", "/api/modems", Some(key), None).0
}

#[test]
fn sighup_swaps_the_keys_and_delivers_every_queued_message() {
    let dir = tempfile::tempdir().unwrap();
    let admin = key_block("ops", ADMIN, &["admin"]);
    let config = OpsConfig::new(
        dir.path(),
        &format!("{admin}{}", key_block("old-client", OLD, &["send", "read"])),
    );
    let log = dir.path().join("daemon.log");
    let daemon = start_logging(&config.path, config.addr, Some(&log));
    assert_eq!(modems_status(config.addr, OLD), 200);
    assert_eq!(modems_status(config.addr, NEW), 401);

    // Messages queued just before the reload.
    let mut ids = Vec::new();
    for i in 0..30 {
        let body = format!(r#"{{"to":"+4915123{i:05}0","message":"before reload {i}"}}"#);
        let (status, v) = call(config.addr, "POST", "/api/sms/send", Some(OLD), Some(&body));
        assert!(status == 202 || status == 200, "{status} {v}");
        let id = &v["messages"][0]["id"];
        ids.push(id.as_str().map_or_else(|| id.to_string(), str::to_string));
    }

    config.write(&format!(
        "{admin}{}",
        key_block("new-client", NEW, &["send", "read"])
    ));
    hangup(daemon.0.id());
    assert!(
        poll(Duration::from_secs(20), || modems_status(config.addr, NEW)
            == 200),
        "the new key works after SIGHUP"
    );
    assert_eq!(
        modems_status(config.addr, OLD),
        401,
        "the removed key is refused"
    );

    // Every message queued before the reload is delivered.
    let mut done = HashSet::new();
    let all = poll(Duration::from_secs(60), || {
        for id in &ids {
            if done.contains(id) {
                continue;
            }
            let (_, v) = call(
                config.addr,
                "GET",
                &format!("/api/sms/{id}"),
                Some(NEW),
                None,
            );
            if v["status"] == "delivered" {
                done.insert(id.clone());
            }
        }
        done.len() == ids.len()
    });
    assert!(all, "delivered {} of {}", done.len(), ids.len());

    // The log says what was reloaded, and names no key.
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("configuration reloaded"), "{text}");
    assert!(!text.contains(NEW) && !text.contains(OLD));
}

#[test]
fn a_bad_file_is_refused_with_check_configs_text_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let admin = key_block("ops", ADMIN, &["admin"]);
    let old = key_block("old-client", OLD, &["read"]);
    let config = OpsConfig::new(dir.path(), &format!("{admin}{old}"));
    let log = dir.path().join("daemon.log");
    let daemon = start_logging(&config.path, config.addr, Some(&log));
    let new = key_block("new-client", NEW, &["read"]);

    for (what, broken) in [
        (
            "a syntax error",
            format!("{admin}{new}[limits\nper_minute = 5\n"),
        ),
        (
            "an invalid value",
            format!("{admin}{new}[server]\nmax_segments = 0\n"),
        ),
    ] {
        config.write(&broken);
        let expected = check_config_error(&config.path);
        let (status, v) = call(config.addr, "POST", "/api/admin/reload", Some(ADMIN), None);
        assert_eq!(status, 422, "{what}: {v}");
        assert_eq!(v["error"]["code"], "config_invalid", "{what}");
        assert_eq!(v["error"]["message"], expected.as_str(), "{what}");
        assert_eq!(modems_status(config.addr, OLD), 200, "{what}: old key kept");
        assert_eq!(
            modems_status(config.addr, NEW),
            401,
            "{what}: new key not taken"
        );

        // SIGHUP: refused too, and the log says why with the same text.
        hangup(daemon.0.id());
        assert!(
            poll(Duration::from_secs(20), || {
                std::fs::read_to_string(&log)
                    .unwrap()
                    .lines()
                    .any(|l| l.contains("reload refused") && l.contains(&expected))
            }),
            "{what}: the refusal is logged with check-config's text"
        );
        assert_eq!(
            modems_status(config.addr, OLD),
            200,
            "{what}: still the old key"
        );
    }

    // A good file through the API: the answer lists what changed and what needs a restart.
    let elsewhere = super::process::free_port();
    std::fs::write(
        &config.path,
        format!(
            "[server]\nlisten = \"{elsewhere}\"\nmax_segments = 4\n[storage]\npath = \"{}\"\n\
             [dispatch]\npoll_interval_ms = 20\n[simulator]\nlatency_ms = [5, 30]\n{admin}{new}",
            config.db.display()
        ),
    )
    .unwrap();
    let (status, v) = call(config.addr, "POST", "/api/admin/reload", Some(ADMIN), None);
    assert_eq!(status, 200, "{v}");
    let changed: Vec<&str> = v["changed"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    assert_eq!(changed, ["api_keys", "server.max_segments"], "{v}");
    assert_eq!(
        v["needs_restart"],
        serde_json::json!(["server.listen"]),
        "{v}"
    );
    assert_eq!(modems_status(config.addr, NEW), 200);
    assert_eq!(modems_status(config.addr, OLD), 401);
    // Still listening where it started.
    assert_eq!(call(config.addr, "GET", "/readyz", None, None).0, 200);
    // max_segments = 4 is in force: a 5-segment text is refused.
    let long = "x".repeat(153 * 5);
    let body = format!(r#"{{"to":"+491511234567","message":"{long}"}}"#);
    let (status, v) = call(
        config.addr,
        "POST",
        "/api/sms/send",
        Some(ADMIN),
        Some(&body),
    );
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["field"], "message", "{v}");

    // A key without the admin scope may not reload.
    assert_eq!(
        call(config.addr, "POST", "/api/admin/reload", Some(NEW), None).0,
        403
    );
    drop(daemon);
}

/// Under systemd (`Type=notify-reload` or `ExecReload=kill -HUP`), a reload is framed by
/// `RELOADING=1` with `MONOTONIC_USEC=` and then `READY=1`.
#[test]
fn sighup_notifies_systemd_reloading_then_ready() {
    use std::os::unix::net::UnixDatagram;
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let config = OpsConfig::new(dir.path(), "");
    let mut child = super::process::Daemon(
        Command::new(BIN)
            .args(["serve", "--config"])
            .arg(&config.path)
            .env("NOTIFY_SOCKET", &socket_path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut seen = Vec::new();
    let wait_for = |want: &str, seen: &mut Vec<String>| {
        let mut buf = [0u8; 4096];
        poll(Duration::from_secs(60), || {
            if let Ok(n) = socket.recv(&mut buf) {
                seen.push(String::from_utf8_lossy(&buf[..n]).to_string());
            }
            seen.iter().any(|d| d.lines().any(|l| l == want))
        })
    };
    assert!(wait_for("READY=1", &mut seen), "{seen:?}");
    seen.clear();
    hangup(child.0.id());
    assert!(wait_for("RELOADING=1", &mut seen), "{seen:?}");
    let reloading = seen
        .iter()
        .find(|d| d.lines().any(|l| l == "RELOADING=1"))
        .unwrap();
    assert!(
        reloading.lines().any(|l| l.starts_with("MONOTONIC_USEC=")),
        "{reloading}"
    );
    seen.clear();
    assert!(
        wait_for("READY=1", &mut seen),
        "READY=1 after the reload: {seen:?}"
    );
    assert!(child.0.try_wait().unwrap().is_none(), "still running");
}

/// `[optout] stop_keywords` changed by a reload applies to what the modems receive next.
#[test]
fn a_reloaded_stop_keyword_applies_to_the_modem_inbox() {
    let dir = tempfile::tempdir().unwrap();
    let config = OpsConfig::new(dir.path(), "");
    let _daemon = super::process::start(&config.path, config.addr);
    let addr = config.addr;
    // The gateway texts its own second number: the inbox receives it.
    let inbound_count = || {
        call(addr, "GET", "/api/inbound", None, None).1["total"]
            .as_u64()
            .unwrap_or(0)
    };
    let text_to_self = |text: &str| {
        let body = format!(r#"{{"to":"+12025550102","message":"{text}"}}"#);
        let (status, v) = call(addr, "POST", "/api/sms/send", None, Some(&body));
        assert!(status == 200 || status == 202, "{v}");
    };
    // Which modem sends decides the sender: the inbox names it (`from`) and its opt-out.
    let newest = || call(addr, "GET", "/api/inbound?limit=1", None, None).1["messages"][0].clone();

    text_to_self("HALT");
    assert!(poll(Duration::from_secs(30), || inbound_count() == 1));
    let first = newest();
    assert_eq!(
        first["optout"],
        serde_json::Value::Null,
        "HALT is no stop keyword yet"
    );
    let from = first["from"].as_str().unwrap().to_string();
    assert_eq!(
        call(addr, "GET", &format!("/api/optouts/{from}"), None, None).0,
        404
    );

    config.write("[optout]\nstop_keywords = [\"HALT\"]\n");
    let (status, v) = call(addr, "POST", "/api/admin/reload", None, None);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["changed"], serde_json::json!(["optout"]), "{v}");
    assert_eq!(v["needs_restart"], serde_json::json!([]), "{v}");

    text_to_self("halt");
    assert!(poll(Duration::from_secs(30), || inbound_count() == 2));
    let second = newest();
    assert_eq!(
        second["optout"], "stop",
        "the reloaded keyword applies: {second}"
    );
    let from = second["from"].as_str().unwrap();
    assert_eq!(
        call(addr, "GET", &format!("/api/optouts/{from}"), None, None).0,
        200,
        "the sender is on the list"
    );
}
