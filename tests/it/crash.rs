//! Crash safety of a real `smsgate serve` process: clients send while the daemon is killed
//! with SIGKILL at an arbitrary moment; after a restart every message whose 202 a client
//! received is still there and ends in a final state (delivered).

use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_smsgate");

/// A minimal HTTP/1.1 client (one request per connection).
fn http(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> Option<(u16, Value)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let text = String::from_utf8_lossy(&response);
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let json = text
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    Some((status, json))
}

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(config: &std::path::Path, addr: SocketAddr) -> Daemon {
    let child = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start smsgate serve");
    let daemon = Daemon(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some((200, _)) = http(addr, "GET", "/readyz", None) {
            return daemon;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("smsgate serve did not become ready");
}

fn free_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

#[test]
fn kill_9_loses_nothing_that_was_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let addr = free_port();
    let config = dir.path().join("smsgate.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"{addr}\"\n[storage]\npath = \"{}\"\n[simulator]\nmodems = 2\nlatency_ms = 50\n[dispatch]\npoll_interval_ms = 20\n",
            dir.path().join("smsgate.db").display()
        ),
    )
    .unwrap();

    let mut daemon = start(&config, addr);
    // Four clients send as fast as they can; the daemon is killed while they do.
    let clients: Vec<_> = (0..4)
        .map(|c| {
            std::thread::spawn(move || {
                let mut accepted = Vec::new();
                for i in 0..10_000 {
                    let body =
                        format!(r#"{{"to":"+49151123{c}{i:04}","message":"crash test {c}/{i}"}}"#);
                    match http(addr, "POST", "/api/sms/send", Some(&body)) {
                        Some((202, v)) => accepted.push(v["messages"][0]["id"].as_i64().unwrap()),
                        Some((status, v)) => panic!("unexpected {status}: {v}"),
                        None => break, // the daemon is gone
                    }
                }
                accepted
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(700));
    daemon.0.kill().expect("SIGKILL"); // std sends SIGKILL on Unix
    let status = daemon.0.wait().unwrap();
    assert!(!status.success(), "killed, not exited: {status:?}");
    let accepted: Vec<i64> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    assert!(
        accepted.len() > 20,
        "too few sends before the kill to mean anything: {}",
        accepted.len()
    );

    let _daemon = start(&config, addr);
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut pending: Vec<i64> = accepted.clone();
    while !pending.is_empty() {
        assert!(
            Instant::now() < deadline,
            "{} accepted messages not final after restart: {:?}",
            pending.len(),
            &pending[..pending.len().min(10)]
        );
        pending.retain(|id| {
            let (status, v) =
                http(addr, "GET", &format!("/api/sms/{id}"), None).expect("daemon answers");
            assert_eq!(status, 200, "accepted message {id} lost: {v}");
            v["status"] != "delivered"
        });
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!(
        "{} messages accepted before SIGKILL; all delivered after restart",
        accepted.len()
    );
}
