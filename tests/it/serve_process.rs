//! `smsgate serve` as systemd runs it: `READY=1` and `STATUS=` over `NOTIFY_SOCKET` once
//! the modems have settled; on SIGTERM `STOPPING=1` and exit 0; a bad configuration exits
//! 78 (EX_CONFIG) naming the key.

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_smsgate");

fn datagrams_until(socket: &UnixDatagram, want: &str, within: Duration) -> Vec<String> {
    let deadline = Instant::now() + within;
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        if let Ok(n) = socket.recv(&mut buf) {
            let text = String::from_utf8_lossy(&buf[..n]).to_string();
            let done = text.lines().any(|l| l == want);
            seen.push(text);
            if done {
                return seen;
            }
        }
    }
    panic!("no {want} within {within:?}; got {seen:?}");
}

#[test]
fn ready_status_and_a_clean_exit_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    let listen = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut child = Command::new(BIN)
        .arg("serve")
        .env("NOTIFY_SOCKET", &socket_path)
        .env("SMSGATE_DB", dir.path().join("smsgate.db"))
        .env("SMSGATE_LISTEN", listen.to_string())
        .env("SMSGATE_SIM_LATENCY_MS", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let ready = datagrams_until(&socket, "READY=1", Duration::from_secs(60));
    let all = ready.join("\n");
    assert!(all.contains("STATUS=2/2 modems ready"), "{all}");

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    datagrams_until(&socket, "STOPPING=1", Duration::from_secs(30));
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0), "SIGTERM must end in exit 0");
}

#[test]
fn a_bad_configuration_exits_78_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(
        &config,
        "[[modems]]\nname = \"m0\"\nport = \"/dev/ttyUSB0\"\nbaud = 12345\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("modems[0].baud"), "{stderr}");
}

/// `[log] format = "json"`: every line the daemon writes is one JSON object, a message's
/// send is inside a `send` span naming its id (so `grep` on the id follows it), and its
/// text is in no line.
#[test]
fn json_logs_are_one_object_per_line_with_the_message_span() {
    use super::process::{free_port, http, start_logging};
    let dir = tempfile::tempdir().unwrap();
    let addr = free_port();
    let config = dir.path().join("smsgate.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"{addr}\"\n[storage]\npath = \"{}\"\n[log]\nformat = \"json\"\n",
            dir.path().join("smsgate.db").display()
        ),
    )
    .unwrap();
    let log = dir.path().join("daemon.log");
    let daemon = start_logging(&config, addr, Some(&log));
    let body = r#"{"to":"+4915112345678","message":"a body that must stay out of logs"}"#;
    let (status, v) = http(addr, "POST", "/api/sms/send", Some(body)).unwrap();
    assert!((200..300).contains(&status), "{v}");
    let id = v["messages"][0]["id"].as_i64().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, m) = http(addr, "GET", &format!("/api/sms/{id}"), None).unwrap();
        if m["status"] == "sent" || m["status"] == "delivered" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never sent: {m}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(daemon);
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(lines.len() > 5, "{text}");
    assert!(lines
        .iter()
        .all(|l| l["timestamp"].is_string() && l["level"].is_string()));
    let in_send_span = lines.iter().any(|l| {
        l["spans"].as_array().is_some_and(|spans| {
            spans
                .iter()
                .any(|s| s["name"] == "send" && s["message"] == id.to_string().as_str())
        })
    });
    assert!(
        in_send_span,
        "no line inside the send span of {id}:\n{text}"
    );
    assert!(!text.contains("must stay out of logs"), "{text}");
}

/// `systemd/smsgate.service` passes `systemd-analyze verify` without a single warning (a
/// key in the wrong section is only a warning there, and systemd then ignores it), with its
/// `ExecStart` pointed at the binary under test. Skipped where systemd-analyze is missing,
/// unless `SMSGATE_REQUIRE_SYSTEMD_ANALYZE` is set (as `.ci/run` does).
#[test]
fn the_systemd_unit_verifies_without_warnings() {
    let unit = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("systemd/smsgate.service"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("smsgate.service");
    std::fs::write(&path, unit.replace("/usr/local/bin/smsgate", BIN)).unwrap();
    let out = match Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            assert!(
                std::env::var_os("SMSGATE_REQUIRE_SYSTEMD_ANALYZE").is_none(),
                "systemd-analyze is required here: {e}"
            );
            eprintln!("SKIPPED: systemd-analyze not available ({e})");
            return;
        }
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.trim().is_empty(), "systemd-analyze warns:\n{stderr}");
}
