//! End to end, as a user would: `smsgate simulate` serves two modems on pseudo-terminals,
//! `smsgate modem listen` waits on one, `smsgate modem send` sends from the other and waits
//! for the status report. Real processes, real ptys, real time (bounded waits only).

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_smsgate");

/// Kills the process when the test ends, whatever happens.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Streams a child's stdout lines into a channel.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn json_line(rx: &mpsc::Receiver<String>, within: Duration, what: &str) -> Value {
    let line = rx
        .recv_timeout(within)
        .unwrap_or_else(|e| panic!("no {what} line within {within:?}: {e}"));
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {line}"))
}

#[test]
fn simulate_on_ptys_driven_by_modem_send_and_listen() {
    let dir = super::support::scratch_dir("e2e-sim");
    let log = dir.join("network.jsonl");
    let mut sim = Running(
        Command::new(BIN)
            .args(["simulate", "--modems", "2", "--pty-dir"])
            .arg(&dir)
            .arg("--log")
            .arg(&log)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start smsgate simulate"),
    );
    let sim_lines = lines_of(&mut sim.0);
    let m0 = json_line(&sim_lines, Duration::from_secs(30), "modem 0");
    let m1 = json_line(&sim_lines, Duration::from_secs(5), "modem 1");
    let (pty0, pty1) = (
        m0["pty"].as_str().unwrap().to_string(),
        m1["pty"].as_str().unwrap().to_string(),
    );
    let (msisdn0, msisdn1) = (
        m0["msisdn"].as_str().unwrap(),
        m1["msisdn"].as_str().unwrap(),
    );

    let mut listen = Running(
        Command::new(BIN)
            .args(["modem", "listen", "--port", &pty1, "--for", "60"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start smsgate modem listen"),
    );
    let heard = lines_of(&mut listen.0);

    let text = "Hello from the e2e test 😀 — long enough to need two UCS-2 segments, so reassembly is exercised too.";
    let send = Command::new(BIN)
        .args([
            "modem",
            "send",
            "--port",
            &pty0,
            "--to",
            msisdn1,
            "--text",
            text,
            "--wait-report",
            "30",
        ])
        .output()
        .expect("run smsgate modem send");
    let stderr = String::from_utf8_lossy(&send.stderr);
    assert!(send.status.success(), "send failed: {stderr}");
    let sent: Value = serde_json::from_slice(&send.stdout).expect("send prints JSON");
    let segments = sent["segments"].as_array().unwrap();
    assert_eq!(segments.len(), 2, "{sent}");
    let reports = sent["status_reports"].as_array().unwrap();
    assert_eq!(reports.len(), 2, "a report per segment: {sent}");
    assert!(
        reports.iter().all(|r| r["delivery_status"] == "delivered"),
        "{sent}"
    );

    let message = json_line(&heard, Duration::from_secs(60), "listened message");
    assert_eq!(message["type"], "message", "{message}");
    assert_eq!(message["from"], msisdn0);
    assert_eq!(message["text"], text);
    assert_eq!(message["parts"], 2);

    // The network log has one line per segment crossing the network.
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    let segments_logged = logged
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["to"] == msisdn1)
        .count();
    assert_eq!(segments_logged, 2, "{logged}");
}
