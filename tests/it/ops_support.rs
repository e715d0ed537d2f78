//! Helpers for the operations tests (reload, CLI, audit, encryption): a config with API
//! keys for a real `smsgate serve` on the built-in simulator, and an HTTP call with a key.

use super::process::free_port;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One `[[api_keys]]` block for `key` named `name` with `scopes`.
pub fn key_block(name: &str, key: &str, scopes: &[&str]) -> String {
    let sha = hex::encode(Sha256::digest(key.as_bytes()));
    let scopes: Vec<String> = scopes.iter().map(|s| format!("\"{s}\"")).collect();
    format!(
        "[[api_keys]]\nname = \"{name}\"\nsha256 = \"{sha}\"\nscopes = [{}]\n",
        scopes.join(", ")
    )
}

/// A daemon config on the built-in simulator: its address, database and extra lines.
pub struct OpsConfig {
    /// Where the daemon listens.
    pub addr: SocketAddr,
    /// The config file.
    pub path: PathBuf,
    /// The database.
    pub db: PathBuf,
}

impl OpsConfig {
    /// In `dir`, with `extra` appended (API keys, other sections).
    pub fn new(dir: &Path, extra: &str) -> Self {
        let config = OpsConfig {
            addr: free_port(),
            path: dir.join("smsgate.toml"),
            db: dir.join("smsgate.db"),
        };
        config.write(extra);
        config
    }

    /// Rewrites the file with `extra` after the fixed part.
    pub fn write(&self, extra: &str) {
        std::fs::write(
            &self.path,
            format!(
                "[server]\nlisten = \"{}\"\n[storage]\npath = \"{}\"\n[dispatch]\npoll_interval_ms = 20\n\
                 [simulator]\nlatency_ms = [5, 30]\n{extra}",
                self.addr,
                self.db.display()
            ),
        )
        .unwrap();
    }
}

/// One request with `key` (if any): the status and the JSON body (`Null` if none).
pub fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<&str>,
) -> (u16, Value) {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let body = body.unwrap_or("");
    let auth = key.map_or(String::new(), |k| format!("Authorization: Bearer {k}\r\n"));
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response);
    let status = text.split(' ').nth(1).unwrap().parse().unwrap();
    let json = text
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

/// Polls `check` until it holds or `within` passes; whether it held.
pub fn poll(within: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    check()
}

/// Sends SIGHUP to `pid`.
pub fn hangup(pid: u32) {
    let status = std::process::Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}
