//! Crash safety of a real `smsgate serve` process, set up as in the field: the modems live
//! outside the daemon (two `smsgate simulate` processes serving one modem each over TCP,
//! like ser2net ports), clients send while the daemon is killed with SIGKILL once many
//! messages have been accepted, and the daemon is started again. Every message whose 200 a
//! client received must still be there and end `delivered` (status reports that were read
//! but not recorded at the crash are still on the SIM and read again), and no message may
//! reach the network twice except the one each modem had in flight at the crash. And an
//! online `smsgate backup` taken under load holds everything accepted before it began.

use super::process::{free_port, http, start, Daemon, BIN};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One `smsgate simulate --modems 1` on a free TCP port, with its control API.
pub(super) fn simulator() -> (Daemon, u16, SocketAddr) {
    let modem_port = free_port().port();
    let control = free_port();
    let child = Command::new(BIN)
        .args([
            "simulate",
            "--modems",
            "1",
            "--latency",
            "30",
            "--tcp-port",
            &modem_port.to_string(),
            "--control",
        ])
        .arg(control.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start smsgate simulate");
    let sim = Daemon(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while http(control, "GET", "/modems", None).is_none() {
        assert!(Instant::now() < deadline, "smsgate simulate did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    (sim, modem_port, control)
}

#[test]
fn kill_9_loses_nothing_that_was_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let addr = free_port();
    let (_sim0, port0, control0) = simulator();
    let (_sim1, port1, control1) = simulator();
    let config = dir.path().join("smsgate.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"{addr}\"\n[storage]\npath = \"{}\"\n[dispatch]\npoll_interval_ms = 20\n\
             [[modems]]\nname = \"m0\"\nport = \"tcp://127.0.0.1:{port0}\"\n\
             [[modems]]\nname = \"m1\"\nport = \"tcp://127.0.0.1:{port1}\"\n",
            dir.path().join("smsgate.db").display()
        ),
    )
    .unwrap();

    let mut daemon = start(&config, addr);
    // Four clients send as fast as they can; the daemon is killed while they do, once a
    // good number of messages has been accepted (counted, not timed: a loaded machine must
    // not turn this into a test of nothing).
    let accepted_so_far = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let counter = accepted_so_far.clone();
            std::thread::spawn(move || {
                let mut accepted = Vec::new();
                for i in 0..10_000 {
                    let body =
                        format!(r#"{{"to":"+49151123{c}{i:04}","message":"crash test {c}/{i}"}}"#);
                    match http(addr, "POST", "/api/sms/send", Some(&body)) {
                        Some((200, v)) => {
                            accepted.push(v["messages"][0]["id"].as_i64().unwrap());
                            counter.fetch_add(1, Ordering::SeqCst);
                        }
                        Some((status, v)) => panic!("unexpected {status}: {v}"),
                        None => break, // the daemon is gone
                    }
                }
                accepted
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    while accepted_so_far.load(Ordering::SeqCst) < 50 {
        assert!(
            Instant::now() < deadline,
            "the daemon accepted too little to test a crash"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    daemon.0.kill().expect("SIGKILL"); // std sends SIGKILL on Unix
    let status = daemon.0.wait().unwrap();
    assert!(!status.success(), "killed, not exited: {status:?}");
    let accepted: Vec<i64> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    assert!(accepted.len() >= 50, "{} accepted", accepted.len());

    let _daemon = start(&config, addr);
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut pending: Vec<i64> = accepted.clone();
    while !pending.is_empty() {
        assert!(
            Instant::now() < deadline,
            "{} accepted messages not delivered after restart: {:?}",
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
    // What reached the network: each recipient once, except at most the one message each
    // modem had in flight when the daemon died (at-least-once resends it).
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for control in [control0, control1] {
        let (_, sink) = http(control, "GET", "/sink", None).expect("simulator answers");
        for segment in sink.as_array().expect("a list") {
            *seen
                .entry(segment["to"].as_str().unwrap_or_default().to_string())
                .or_default() += 1;
        }
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.len() <= 2, "sent more than once: {twice:?}");
    assert!(
        seen.len() >= accepted.len(),
        "{} recipients reached the network, {} accepted",
        seen.len(),
        accepted.len()
    );
    eprintln!(
        "{} messages accepted before SIGKILL; all delivered after restart; {} sent twice (in flight at the crash)",
        accepted.len(),
        twice.len()
    );
}

/// `smsgate backup` while clients send to a running daemon: the copy opens, passes its
/// integrity check, is private, and holds every message whose 202 a client had received
/// before the backup began.
#[test]
fn an_online_backup_holds_everything_accepted_before_it_began() {
    let dir = tempfile::tempdir().unwrap();
    let addr = free_port();
    let config = dir.path().join("smsgate.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"{addr}\"\n[storage]\npath = \"{}\"\n",
            dir.path().join("smsgate.db").display()
        ),
    )
    .unwrap();
    let _daemon = start(&config, addr);
    let accepted = Arc::new(std::sync::Mutex::new(Vec::<i64>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..3)
        .map(|c| {
            let (accepted, stop) = (accepted.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    let body =
                        format!(r#"{{"to":"+49151123{c}{i:04}","message":"backup {c}/{i}"}}"#);
                    if let Some((status, v)) = http(addr, "POST", "/api/sms/send", Some(&body)) {
                        assert!((200..300).contains(&status), "{status}: {v}");
                        accepted
                            .lock()
                            .unwrap()
                            .push(v["messages"][0]["id"].as_i64().unwrap());
                    }
                    i += 1;
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while accepted.lock().unwrap().len() < 200 {
        assert!(Instant::now() < deadline, "too few messages accepted");
        std::thread::sleep(Duration::from_millis(5));
    }
    let before: Vec<i64> = accepted.lock().unwrap().clone();
    let copy = dir.path().join("copy.db");
    let out = Command::new(BIN)
        .args(["backup"])
        .arg(&copy)
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok: "));
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().unwrap();
    }
    let during = accepted.lock().unwrap().len();
    assert!(
        during > before.len(),
        "the clients kept sending during the backup"
    );

    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the copy holds every message: private");
    assert!(!dir.path().join("copy.db.partial").exists());
    let db = rusqlite::Connection::open(&copy).unwrap();
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let mut present = db.prepare("SELECT 1 FROM messages WHERE id = ?1").unwrap();
    let missing: Vec<i64> = before
        .iter()
        .copied()
        .filter(|id| !present.exists([id]).unwrap())
        .collect();
    assert!(
        missing.is_empty(),
        "accepted before the backup but not in it: {missing:?}"
    );
}
