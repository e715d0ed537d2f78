//! Identity and hot-plug with real processes: a `smsgate simulate` serving its modems on
//! ptys (linked in a directory the daemon's `[discovery] ports` glob covers, unplugged and
//! plugged back through its control API) and a `smsgate serve` configured with modems
//! named only by IMEI, or adopting what it finds. What reached the network is counted at
//! the simulator's sink.

use super::process::{free_port, http, start, Daemon, BIN};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `smsgate simulate` with `modems` modems on ptys in `dir`; its control address and the
/// start-up line of each modem (msisdn, imei, pty…).
fn simulator(dir: &Path, modems: usize) -> (Daemon, SocketAddr, Vec<Value>) {
    let control = free_port();
    let mut child = Command::new(BIN)
        .args([
            "simulate",
            "--modems",
            &modems.to_string(),
            "--latency",
            "40",
        ])
        .arg("--pty-dir")
        .arg(dir)
        .arg("--control")
        .arg(control.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start smsgate simulate");
    let stdout = child.stdout.take().expect("stdout");
    let sim = Daemon(child);
    let lines: Vec<Value> = BufReader::new(stdout)
        .lines()
        .take(modems)
        .map(|l| serde_json::from_str(&l.expect("a line")).expect("JSON"))
        .collect();
    assert_eq!(lines.len(), modems, "one line per modem");
    (sim, control, lines)
}

/// Polls `check` every 50 ms until it holds, at most `secs` seconds.
fn wait_until(secs: u64, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The daemon's modems by name → state.
fn modem_states(addr: SocketAddr) -> Vec<(String, String)> {
    let (_, v) = http(addr, "GET", "/api/modems", None).expect("daemon answers");
    v["modems"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|m| {
                    (
                        m["name"].as_str().unwrap_or_default().to_string(),
                        m["state"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn state_of(addr: SocketAddr, name: &str) -> Option<String> {
    modem_states(addr)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, s)| s)
}

fn send(addr: SocketAddr, to: &str, text: &str) -> i64 {
    let body = format!(r#"{{"to":"{to}","message":"{text}"}}"#);
    let (status, v) = http(addr, "POST", "/api/sms/send", Some(&body)).expect("daemon answers");
    assert_eq!(status, 200, "{v}");
    v["messages"][0]["id"].as_i64().expect("an id")
}

fn message(addr: SocketAddr, id: i64) -> Value {
    http(addr, "GET", &format!("/api/sms/{id}"), None)
        .expect("daemon answers")
        .1
}

/// Recipient → how many segments reached the network for it.
fn sink_counts(control: SocketAddr) -> std::collections::HashMap<String, usize> {
    let (_, sink) = http(control, "GET", "/sink", None).expect("simulator answers");
    let mut seen = std::collections::HashMap::new();
    for segment in sink.as_array().expect("a list") {
        *seen
            .entry(segment["to"].as_str().unwrap_or_default().to_string())
            .or_default() += 1;
    }
    seen
}

fn is_sent(v: &Value) -> bool {
    matches!(v["status"].as_str(), Some("sent" | "delivered"))
}

#[test]
fn modems_named_by_imei_survive_an_unplug_mid_batch_and_are_found_again_at_a_new_path() {
    let dir = tempfile::tempdir().unwrap();
    let ptys = dir.path().join("dev");
    std::fs::create_dir_all(&ptys).unwrap();
    let (_sim, control, lines) = simulator(&ptys, 2);
    let imei = |i: usize| lines[i]["imei"].as_str().expect("an imei").to_string();
    let addr = free_port();
    let config = dir.path().join("smsgate.toml");
    // Only identities: the daemon must find the ports. The rescan timer is long, so the
    // return at a new path is found through the file-system watch.
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"{addr}\"\n[storage]\npath = \"{}\"\n[dispatch]\npoll_interval_ms = 20\n\
             [discovery]\nports = [\"{}/modem*\", \"{}/moved*\"]\nrescan_secs = 3600\nprobe_timeout_ms = 500\n\
             [[modems]]\nname = \"a\"\nimei = \"{}\"\n\
             [[modems]]\nname = \"b\"\nimei = \"{}\"\n",
            dir.path().join("smsgate.db").display(),
            ptys.display(),
            ptys.display(),
            imei(0),
            imei(1),
        ),
    )
    .unwrap();
    let _daemon = start(&config, addr);
    wait_until(30, "both modems ready", || {
        state_of(addr, "a").as_deref() == Some("ready")
            && state_of(addr, "b").as_deref() == Some("ready")
    });

    // A batch of 40; modem 0 ("a") is pulled out once a few have gone.
    let ids: Vec<i64> = (0..40)
        .map(|i| send(addr, &format!("+49151124{i:05}"), &format!("hotplug {i}")))
        .collect();
    wait_until(30, "the first messages sent", || {
        sink_counts(control).len() >= 4
    });
    let (status, v) = http(control, "POST", "/modems/0/unplug", None).expect("control");
    assert_eq!(status, 200, "{v}");
    assert!(!ptys.join("modem0").exists(), "the link is gone");
    assert!(
        sink_counts(control).len() < 40,
        "the batch was over before the unplug: nothing tested"
    );
    wait_until(10, "modem a down after its port vanished", || {
        state_of(addr, "a").is_some_and(|s| s != "ready")
    });
    // The message in flight when the port vanished has an unknown outcome: it is sent again
    // after the ambiguous-outcome grace (60 s), the rest at once on the other modem.
    wait_until(150, "the batch completed on the other modem", || {
        ids.iter().all(|&id| is_sent(&message(addr, id)))
    });
    let seen = sink_counts(control);
    for i in 0..40 {
        assert!(
            seen.contains_key(&format!("+49151124{i:05}")),
            "message {i} never reached the network"
        );
    }
    let extra: usize = seen.values().map(|n| n - 1).sum();
    assert!(extra <= 1, "sent twice beyond the one in flight: {seen:?}");

    // Plugged back at another path: found by its IMEI, used again without a restart.
    let moved = ptys.join("moved0");
    let body = format!(r#"{{"path":"{}"}}"#, moved.display());
    let (status, v) = http(control, "POST", "/modems/0/plug", Some(&body)).expect("control");
    assert_eq!(status, 200, "{v}");
    wait_until(30, "modem a ready again at its new path", || {
        state_of(addr, "a").as_deref() == Some("ready")
    });
    // Modem b is pulled now: what follows can only go through a.
    let (status, _) = http(control, "POST", "/modems/1/unplug", None).expect("control");
    assert_eq!(status, 200);
    wait_until(10, "modem b down", || {
        state_of(addr, "b").is_some_and(|s| s != "ready")
    });
    let later: Vec<i64> = (0..5)
        .map(|i| send(addr, &format!("+49151125{i:05}"), &format!("after {i}")))
        .collect();
    wait_until(30, "the later messages sent", || {
        later.iter().all(|&id| is_sent(&message(addr, id)))
    });
    for id in later {
        assert_eq!(
            message(addr, id)["route"],
            "a",
            "sent through the replugged modem"
        );
    }
}

#[test]
fn adopt_unknown_takes_an_unconfigured_modem_and_skips_ports_that_are_not_modems() {
    let dir = tempfile::tempdir().unwrap();
    let ptys = dir.path().join("dev");
    std::fs::create_dir_all(&ptys).unwrap();
    let (_sim, control, lines) = simulator(&ptys, 1);
    // Beside it: a pty nobody answers on (a PPP or NMEA interface) and a regular file.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _enter = runtime.enter();
    let (_silent_master, silent_slave) = tokio_serial::SerialStream::pair().unwrap();
    let silent_tty = tokio_serial::SerialPort::name(&silent_slave).unwrap();
    drop(silent_slave);
    std::os::unix::fs::symlink(&silent_tty, ptys.join("modem-silent")).unwrap();
    std::fs::write(ptys.join("modem-file"), b"not a tty").unwrap();

    let addr = free_port();
    let config = dir.path().join("smsgate.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"{addr}\"\n[storage]\npath = \"{}\"\n[dispatch]\npoll_interval_ms = 20\n\
             [discovery]\nports = [\"{}/*\"]\nadopt_unknown = true\nprobe_timeout_ms = 300\n",
            dir.path().join("smsgate.db").display(),
            ptys.display(),
        ),
    )
    .unwrap();
    let _daemon = start(&config, addr);
    let imei = lines[0]["imei"].as_str().expect("an imei");
    let name = format!("modem-{}", &imei[imei.len() - 6..]);
    wait_until(30, "the adopted modem ready", || {
        state_of(addr, &name).as_deref() == Some("ready")
    });
    assert_eq!(
        modem_states(addr).len(),
        1,
        "only the modem is adopted: {:?}",
        modem_states(addr)
    );
    let id = send(addr, "+4915112600001", "adopted");
    wait_until(30, "sent through the adopted modem", || {
        is_sent(&message(addr, id))
    });
    assert_eq!(message(addr, id)["route"], name.as_str());
    assert_eq!(sink_counts(control).len(), 1);
    // The file was never written to.
    assert_eq!(
        std::fs::read(ptys.join("modem-file")).unwrap(),
        b"not a tty"
    );
}

/// The identity a modem of the daemon reports now.
fn imei_of(addr: SocketAddr, name: &str) -> Option<String> {
    let (_, v) = http(addr, "GET", "/api/modems", None).expect("daemon answers");
    v["modems"]
        .as_array()?
        .iter()
        .find(|m| m["name"] == name)
        .and_then(|m| m["identity"]["imei"].as_str().map(str::to_string))
}

#[test]
fn modems_that_swap_ports_are_each_found_again_by_their_imei() {
    let dir = tempfile::tempdir().unwrap();
    let ptys = dir.path().join("dev");
    std::fs::create_dir_all(&ptys).unwrap();
    let (_sim, control, lines) = simulator(&ptys, 2);
    let imei = |i: usize| lines[i]["imei"].as_str().expect("an imei").to_string();
    let addr = free_port();
    let config = dir.path().join("smsgate.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"{addr}\"\n[storage]\npath = \"{}\"\n\
             [discovery]\nports = [\"{}/*\"]\nrescan_secs = 3600\nprobe_timeout_ms = 500\n\
             [[modems]]\nname = \"a\"\nimei = \"{}\"\n\
             [[modems]]\nname = \"b\"\nimei = \"{}\"\n",
            dir.path().join("smsgate.db").display(),
            ptys.display(),
            imei(0),
            imei(1),
        ),
    )
    .unwrap();
    let _daemon = start(&config, addr);
    wait_until(30, "both modems ready", || {
        state_of(addr, "a").as_deref() == Some("ready")
            && state_of(addr, "b").as_deref() == Some("ready")
    });
    for i in 0..2 {
        let (status, _) =
            http(control, "POST", &format!("/modems/{i}/unplug"), None).expect("control");
        assert_eq!(status, 200);
    }
    wait_until(10, "both down", || {
        state_of(addr, "a").is_some_and(|s| s != "ready")
            && state_of(addr, "b").is_some_and(|s| s != "ready")
    });
    // Modem 1 comes back where modem 0 was; modem 0 somewhere new.
    let at = |path: &Path| format!(r#"{{"path":"{}"}}"#, path.display());
    let body = at(&ptys.join("modem0"));
    assert_eq!(
        http(control, "POST", "/modems/1/plug", Some(&body))
            .unwrap()
            .0,
        200
    );
    let body = at(&ptys.join("modem9"));
    assert_eq!(
        http(control, "POST", "/modems/0/plug", Some(&body))
            .unwrap()
            .0,
        200
    );
    wait_until(30, "each modem ready under its own name", || {
        state_of(addr, "a").as_deref() == Some("ready")
            && state_of(addr, "b").as_deref() == Some("ready")
            && imei_of(addr, "a") == Some(imei(0))
            && imei_of(addr, "b") == Some(imei(1))
    });
    assert_eq!(modem_states(addr).len(), 2);
}

/// `smsgate modem identify` runs discovery's probe over a glob: the modem with its IMEI,
/// the silent pty as not an AT port, the regular file as not a tty.
#[test]
fn modem_identify_tells_which_port_is_which() {
    let dir = tempfile::tempdir().unwrap();
    let ptys = dir.path().join("dev");
    std::fs::create_dir_all(&ptys).unwrap();
    let (_sim, _control, lines) = simulator(&ptys, 1);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _enter = runtime.enter();
    let (_silent_master, silent_slave) = tokio_serial::SerialStream::pair().unwrap();
    let silent_tty = tokio_serial::SerialPort::name(&silent_slave).unwrap();
    drop(silent_slave);
    std::os::unix::fs::symlink(&silent_tty, ptys.join("modem-silent")).unwrap();
    std::fs::write(ptys.join("modem-file"), b"").unwrap();
    let out = Command::new(BIN)
        .args(["modem", "identify", "--timeout-ms", "300"])
        .arg(format!("{}/*", ptys.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let found: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kind = |name: &str| {
        found
            .iter()
            .find(|v| v["port"].as_str().is_some_and(|p| p.ends_with(name)))
            .map(|v| v["kind"].as_str().unwrap_or_default().to_string())
    };
    assert_eq!(kind("/modem0").as_deref(), Some("modem"), "{found:?}");
    assert_eq!(
        kind("/modem-silent").as_deref(),
        Some("not_at"),
        "{found:?}"
    );
    assert_eq!(
        kind("/modem-file").as_deref(),
        Some("not_a_tty"),
        "{found:?}"
    );
    let modem = found
        .iter()
        .find(|v| v["kind"] == "modem")
        .expect("the modem");
    assert_eq!(modem["imei"], lines[0]["imei"]);
    assert_eq!(modem["iccid"], lines[0]["iccid"]);
}

/// Route name of every message in `ids` once all are sent.
fn routes_of(addr: SocketAddr, ids: &[i64]) -> Vec<String> {
    ids.iter()
        .map(|id| {
            message(addr, *id)["route"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[test]
fn a_sighup_adds_a_modem_and_removes_another_while_messages_flow() {
    let dir = tempfile::tempdir().unwrap();
    let ptys = dir.path().join("dev");
    std::fs::create_dir_all(&ptys).unwrap();
    let (_sim, control, _lines) = simulator(&ptys, 3);
    let addr = free_port();
    let config = dir.path().join("smsgate.toml");
    let write = |modems: &[(&str, usize)]| {
        let mut text = format!(
            "[server]\nlisten = \"{addr}\"\n[storage]\npath = \"{}\"\n[dispatch]\npoll_interval_ms = 20\n",
            dir.path().join("smsgate.db").display(),
        );
        for (name, i) in modems {
            text.push_str(&format!(
                "[[modems]]\nname = \"{name}\"\nport = \"{}\"\n",
                ptys.join(format!("modem{i}")).display()
            ));
            // The added modem checks its balance: its settings come with the reload.
            if *name == "c" {
                text.push_str("balance_ussd = \"*100#\"\n");
            }
        }
        std::fs::write(&config, text).unwrap();
    };
    write(&[("a", 0), ("b", 1)]);
    let daemon = start(&config, addr);
    wait_until(30, "a and b ready", || {
        state_of(addr, "a").as_deref() == Some("ready")
            && state_of(addr, "b").as_deref() == Some("ready")
    });

    // Messages flowing; the reload lands while the first ones are still going out.
    let before: Vec<i64> = (0..30)
        .map(|i| send(addr, &format!("+49151127{i:05}"), &format!("reload {i}")))
        .collect();
    wait_until(30, "the first messages sent", || {
        sink_counts(control).len() >= 3
    });
    write(&[("a", 0), ("c", 2)]);
    let pid = daemon.0.id().to_string();
    let hup = Command::new("kill").args(["-HUP", &pid]).status().unwrap();
    assert!(hup.success());
    assert!(
        sink_counts(control).len() < 30,
        "the reload came while the batch was still being sent"
    );
    wait_until(30, "b gone and c ready", || {
        let states = modem_states(addr);
        states.iter().all(|(n, _)| n != "b") && states.iter().any(|(n, s)| n == "c" && s == "ready")
    });
    let after: Vec<i64> = (0..20)
        .map(|i| send(addr, &format!("+49151128{i:05}"), &format!("after {i}")))
        .collect();
    wait_until(60, "every message sent", || {
        before
            .iter()
            .chain(&after)
            .all(|id| is_sent(&message(addr, *id)))
    });
    // Nothing lost; at most the one segment b had in flight went out twice.
    let counts = sink_counts(control);
    assert_eq!(counts.len(), 50, "every recipient reached");
    let twice = counts.values().filter(|n| **n > 1).count();
    assert!(twice <= 1, "sent twice: {twice}");
    // After the reload only a and c send, and c does.
    let routes = routes_of(addr, &after);
    assert!(routes.iter().all(|r| r == "a" || r == "c"), "{routes:?}");
    assert!(routes.iter().any(|r| r == "c"), "{routes:?}");
    // The added modem runs with its own settings from the reloaded file.
    wait_until(30, "c's balance checked", || {
        let (_, v) = http(addr, "GET", "/api/modems/c", None).unwrap();
        v["balance"]["amount"].as_f64().is_some_and(|a| a > 0.0)
    });
    // The audit log names the reload.
    let (_, audit) = http(addr, "GET", "/api/audit?action=config.reload", None).unwrap();
    assert!(
        audit["entries"][0]["detail"].to_string().contains("\"c\""),
        "{audit}"
    );
}
