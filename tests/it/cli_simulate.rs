//! `smsgate simulate` as a process: one JSON line per modem on stdout, modems answering on
//! TCP and pty, a JSON-lines log, SIGTERM ends it with exit 0 and removes the pty links;
//! bad arguments give one line on stderr and a non-zero exit.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

fn bad(args: &[&str], needle: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_smsgate"))
        .arg("simulate")
        .args(args)
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains(needle), "{stderr}");
    assert!(
        stderr.trim().lines().next().unwrap().contains(needle),
        "{stderr}"
    );
}

#[test]
fn bad_arguments_are_one_line_errors() {
    bad(&["--modems", "1"], "nothing to serve");
    bad(
        &["--modems", "0", "--tcp-port", "7000"],
        "--modems must be 1 to",
    );
    bad(
        &["--tcp-port", "7000", "--control", "0.0.0.0:7100"],
        "loopback only",
    );
    bad(&["--tcp-port", "7000", "--control", "nope"], "HOST:PORT");
    bad(
        &["--tcp-port", "7000", "--latency", "9-1"],
        "MIN is above MAX",
    );
    bad(&["--tcp-port", "65535", "--modems", "2"], "do not fit");
}

fn free_port_pair() -> u16 {
    for _ in 0..20 {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        if port < 65000 && std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
    panic!("no free ports");
}

#[test]
fn runs_until_sigterm_serving_tcp_and_pty_with_a_log() {
    let dir = std::env::temp_dir().join(format!("smsgate-simulate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let base = free_port_pair();
    let log = dir.join("log.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_smsgate"))
        .args(["simulate", "--modems", "2", "--tcp-port", &base.to_string()])
        .arg("--pty-dir")
        .arg(dir.join("ptys"))
        .arg("--log")
        .arg(&log)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    for _ in 0..2 {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        lines.push(serde_json::from_str::<serde_json::Value>(&line).unwrap());
    }
    assert_eq!(lines[1]["modem"], 1);
    assert_eq!(lines[1]["msisdn"], "+12025550102");
    assert_eq!(lines[1]["tcp"], format!("127.0.0.1:{}", base + 1));
    let pty = lines[0]["pty"].as_str().unwrap().to_string();
    assert!(std::fs::symlink_metadata(&pty)
        .unwrap()
        .file_type()
        .is_symlink());

    let mut tcp = TcpStream::connect(("127.0.0.1", base)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut exchange = |send: &[u8], until: &[u8]| {
        tcp.write_all(send).unwrap();
        let mut got = Vec::new();
        let mut chunk = [0u8; 256];
        while !got.windows(until.len()).any(|w| w == until) {
            let n = tcp.read(&mut chunk).unwrap();
            assert!(n > 0);
            got.extend_from_slice(&chunk[..n]);
        }
        String::from_utf8(got).unwrap()
    };
    assert_eq!(exchange(b"AT\r", b"OK\r\n"), "AT\r\r\nOK\r\n");
    exchange(b"ATE0\r", b"OK\r\n");
    assert_eq!(exchange(b"AT+CMGS=22\r", b"> "), "\r\n> ");
    let answer = exchange(
        b"0001000B911346610089F600000AE8329BFD4697D9EC37\x1a",
        b"OK\r\n",
    );
    assert_eq!(answer, "\r\n+CMGS: 0\r\n\r\nOK\r\n");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert!(std::fs::symlink_metadata(&pty).is_err(), "pty link removed");
    let logged = std::fs::read_to_string(&log).unwrap();
    let record: serde_json::Value = serde_json::from_str(logged.lines().next().unwrap()).unwrap();
    assert_eq!(record["text"], "hellohello");
    assert_eq!(record["to"], "+31641600986");
    assert_eq!(record["message_ref"], 0);
    let _ = std::fs::remove_dir_all(&dir);
}
