//! A real `smsgate serve` process for the tests that need one (crash safety, memory and
//! disk bounds, what reaches the logs): start it on a config file and wait for `/readyz`,
//! talk to it with a minimal HTTP/1.1 client, and kill it when the handle is dropped.

use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_smsgate");

/// A minimal HTTP/1.1 client (one request per connection): the status and the JSON body.
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Option<(u16, Value)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
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

/// A running `smsgate serve`, killed when dropped.
pub struct Daemon(pub Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `smsgate serve --config CONFIG` (its output discarded) and waits for `/readyz`.
pub fn start(config: &Path, addr: SocketAddr) -> Daemon {
    start_logging(config, addr, None)
}

/// [`start`], with the daemon's standard error (its log) written to `log` if given, at
/// `RUST_LOG=debug`.
pub fn start_logging(config: &Path, addr: SocketAddr, log: Option<&Path>) -> Daemon {
    let mut command = Command::new(BIN);
    command
        .args(["serve", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(log) = log {
        command
            .env("RUST_LOG", "debug")
            .stderr(std::fs::File::create(log).expect("log file"));
    }
    let daemon = Daemon(command.spawn().expect("start smsgate serve"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some((200, _)) = http(addr, "GET", "/readyz", None) {
            return daemon;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("smsgate serve did not become ready");
}

/// A loopback address with a port nobody listens on (yet).
pub fn free_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// The peak resident memory (`VmHWM`) of a process, in bytes.
pub fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status");
    kb * 1024
}
