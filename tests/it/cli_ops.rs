//! The operator CLI (`smsgate status|send|modems|ussd|reload`) as a process against a real
//! `smsgate serve` on the simulator: aligned tables, `--json` for scripts, the address from
//! the config file and the key from the environment, and one clear line (exit 1) when the
//! daemon is not running or the key is wrong.

use super::ops_support::{call, key_block, poll, OpsConfig};
use super::process::{free_port, start, BIN};
use serde_json::Value;
use std::process::{Command, Output};
use std::time::Duration;

const ADMIN: &str = "sgk_cli_admin";
const READER: &str = "sgk_cli_reader";

fn smsgate(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("SMSGATE_URL")
        .env_remove("SMSGATE_API_KEY")
        .env_remove("SMSGATE_CONFIG");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn status_send_modems_and_reload_against_a_running_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let config = OpsConfig::new(
        dir.path(),
        &format!(
            "{}{}",
            key_block("ops", ADMIN, &["admin"]),
            key_block("reader", READER, &["read"])
        ),
    );
    let _daemon = start(&config.path, config.addr);
    let url = format!("http://{}", config.addr);
    let by_url = ["--url", url.as_str(), "--key", ADMIN];

    // status: a table with aligned columns, both simulated modems and their routes.
    let text = stdout(&smsgate(&[&["status"][..], &by_url].concat(), &[]));
    assert!(text.starts_with("ready: yes"), "{text}");
    let header = text
        .lines()
        .find(|l| l.starts_with("MODEM"))
        .unwrap_or_else(|| panic!("{text}"));
    let row = text.lines().find(|l| l.starts_with("sim0")).unwrap();
    let state_at = header.find("STATE").unwrap();
    assert_eq!(&row[state_at..state_at + 5], "ready", "aligned:\n{text}");
    assert!(text.lines().any(|l| l.starts_with("ROUTE")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("sim1")), "{text}");

    // status --json: for scripts, with the config's address and the key from the env.
    let config_path = config.path.to_str().unwrap();
    let out = smsgate(
        &["status", "--json", "--config", config_path],
        &[("SMSGATE_API_KEY", ADMIN)],
    );
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["ready"], true);
    assert_eq!(v["queue_depth"], 0);
    assert_eq!(v["modems"].as_array().unwrap().len(), 2);
    assert_eq!(v["routes"][0]["name"], "sim0");

    // send: the message id and its status; the daemon knows it.
    let text = stdout(&smsgate(
        &[
            &[
                "send",
                "--to",
                "+4915123456789",
                "--text",
                "hello from the cli",
            ][..],
            &by_url,
        ]
        .concat(),
        &[],
    ));
    let line = text.lines().nth(1).unwrap_or_else(|| panic!("{text}"));
    let id = line.split_whitespace().next().unwrap();
    assert!(line.contains("queued"), "{text}");
    assert!(line.contains("+4915123456789"), "{text}");
    assert!(
        poll(Duration::from_secs(30), || {
            let (_, v) = call(
                config.addr,
                "GET",
                &format!("/api/sms/{id}"),
                Some(ADMIN),
                None,
            );
            v["status"] == "delivered"
        }),
        "the message {id} sent by the CLI is delivered"
    );

    // modems.
    let text = stdout(&smsgate(&[&["modems"][..], &by_url].concat(), &[]));
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.contains("+12025550101"), "{text}");

    // reload: nothing changed; then a new setting is reported.
    let text = stdout(&smsgate(&[&["reload"][..], &by_url].concat(), &[]));
    assert_eq!(text.trim(), "reloaded: nothing", "{text}");
    let keys = format!(
        "{}{}[limits]\nper_minute = 100\n",
        key_block("ops", ADMIN, &["admin"]),
        key_block("reader", READER, &["read"])
    );
    config.write(&keys);
    let text = stdout(&smsgate(&[&["reload"][..], &by_url].concat(), &[]));
    assert_eq!(text.trim(), "reloaded: limits", "{text}");
    let out = smsgate(&[&["reload", "--json"][..], &by_url].concat(), &[]);
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["reloaded"], true);

    // A bad file: exit 1 and check-config's text.
    config.write("[server\n");
    let out = smsgate(&[&["reload"][..], &by_url].concat(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: 422: config: "), "{err}");
    config.write(&keys);

    // A key without the scope, and a wrong key: one line each, exit 1.
    let out = smsgate(&["reload", "--url", &url, "--key", READER], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("(403)") && err.lines().count() == 1, "{err}");
    let out = smsgate(&["status", "--url", &url, "--key", "sgk_wrong"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refused the API key (401)") && err.lines().count() == 1,
        "{err}"
    );

    // USSD goes to the modem admin API (its own branch); the answer's error is shown.
    let out = smsgate(&[&["ussd", "sim0", "*100#"][..], &by_url].concat(), &[]);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("error: 404") && err.lines().count() == 1,
            "{err}"
        );
    }
}

#[test]
fn daemon_not_running_is_one_line_and_exit_1() {
    let url = format!("http://{}", free_port());
    for command in ["status", "modems", "reload"] {
        let out = smsgate(&[command, "--url", &url], &[]);
        assert_eq!(out.status.code(), Some(1), "{command}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{command}: {err}");
        assert!(
            err.contains(&format!(
                "smsgate is not running at {url} (connection refused)"
            )),
            "{command}: {err}"
        );
        assert!(out.stdout.is_empty(), "{command}");
    }
}
