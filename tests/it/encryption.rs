//! Encryption at rest on a real `smsgate serve`: with `[storage] encryption_key_file` the
//! texts in the SQLite file — outbound texts and PDUs, inbound texts and parts, webhook
//! payloads — are sealed (read with rusqlite: no clear text, no key, only its fingerprint)
//! while the API shows them in clear; a restart without the
//! key file, or with another key, refuses to start with a clear message; with the key the
//! old messages read as before.

use super::ops_support::{call, poll, OpsConfig};
use super::process::{start, BIN};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TEXT: &str = "Parcel 7731 waits at the back door, code word HERON";

fn key_file(dir: &Path, name: &str, key: &[u8; 32]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, hex::encode(key)).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

fn storage_line(key: Option<&Path>) -> String {
    key.map_or(String::new(), |k| {
        format!("encryption_key_file = \"{}\"\n", k.display())
    })
}

/// `smsgate serve` that must refuse to start: its exit code and standard error.
fn refused(config: &Path) -> (Option<i32>, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            return (status.code(), err);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("smsgate serve started without the right key");
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

#[test]
fn texts_are_sealed_in_the_file_and_the_daemon_needs_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let key: [u8; 32] = rand::random();
    let good = key_file(dir.path(), "at-rest.key", &key);
    // The [storage] section comes after the fixed part's, so the key line goes into it.
    let write = |config: &OpsConfig, key: Option<&Path>| {
        let text = std::fs::read_to_string(&config.path).unwrap();
        let text = text.replace("[dispatch]", &format!("{}[dispatch]", storage_line(key)));
        std::fs::write(&config.path, text).unwrap();
    };
    let config = OpsConfig::new(dir.path(), "[webhooks]\nallow_private = true\n");
    write(&config, Some(&good));
    let daemon = start(&config.path, config.addr);
    // A subscriber to inbound messages (nobody listens: its payloads wait in the table).
    let (status, v) = call(
        config.addr,
        "POST",
        "/api/webhooks",
        None,
        Some(r#"{"url":"http://127.0.0.1:9/hook","events":["sms.received"]}"#),
    );
    assert_eq!(status, 201, "{v}");
    // One message out, and one to the gateway's own second number, which comes back in.
    let mut ids = Vec::new();
    for to in ["+4915123456789", "+12025550102"] {
        let body = format!(r#"{{"to":"{to}","message":"{TEXT}"}}"#);
        let (status, v) = call(config.addr, "POST", "/api/sms/send", None, Some(&body));
        assert!(status == 200 || status == 202, "{v}");
        ids.push(
            v["messages"][0]["id"]
                .to_string()
                .trim_matches('"')
                .to_string(),
        );
    }
    let id = ids[0].clone();
    assert!(poll(Duration::from_secs(30), || {
        ids.iter().all(|id| {
            call(config.addr, "GET", &format!("/api/sms/{id}"), None, None).1["status"]
                == "delivered"
        })
    }));
    // The API shows the texts in clear, outbound and inbound.
    let (_, v) = call(config.addr, "GET", &format!("/api/sms/{id}"), None, None);
    assert_eq!(v["body"], TEXT, "{v}");
    assert!(poll(Duration::from_secs(30), || {
        call(config.addr, "GET", "/api/inbound", None, None).1["messages"][0]["text"] == TEXT
    }));
    let (_, inbound) = call(config.addr, "GET", "/api/inbound", None, None);
    let inbound_id = inbound["messages"][0]["id"].clone();
    drop(daemon);

    // In the file: sealed text and PDUs, the key's fingerprint, never the key.
    let db = rusqlite::Connection::open(&config.db).unwrap();
    let stored: String = db
        .query_row("SELECT body FROM messages", [], |r| r.get(0))
        .unwrap();
    assert!(stored.starts_with("sealed:v1:"), "{stored}");
    assert!(!stored.contains("HERON"));
    let pdus: Vec<String> = db
        .prepare("SELECT pdu_hex FROM segments")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!pdus.is_empty());
    assert!(pdus.iter().all(|p| p.starts_with("sealed:v1:")), "{pdus:?}");
    for (what, sql) in [
        ("inbound text", "SELECT text FROM inbound_messages"),
        ("inbound part", "SELECT pdu FROM inbound_parts"),
        ("event payload", "SELECT payload FROM webhook_events"),
    ] {
        let values: Vec<String> = db
            .prepare(sql)
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(!values.is_empty(), "{what}");
        assert!(
            values.iter().all(|v| v.starts_with("sealed:v1:")),
            "{what}: {values:?}"
        );
    }
    let key_id: String = db
        .query_row(
            "SELECT value FROM store_meta WHERE key = 'at_rest_key_id'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(key_id.len(), 16);
    drop(db);
    let mut raw = std::fs::read(&config.db).unwrap();
    if let Ok(wal) = std::fs::read(dir.path().join("smsgate.db-wal")) {
        raw.extend(wal);
    }
    let raw = String::from_utf8_lossy(&raw);
    assert!(!raw.contains("HERON"), "clear text in the database file");
    assert!(
        !raw.contains(&hex::encode(key)),
        "the key in the database file"
    );

    // Without the key file: refused, naming the database and the key id.
    write(&config, None);
    std::fs::write(
        &config.path,
        std::fs::read_to_string(&config.path)
            .unwrap()
            .replace(&storage_line(Some(&good)), ""),
    )
    .unwrap();
    let (code, err) = refused(&config.path);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("is encrypted at rest") && err.contains(&key_id),
        "{err}"
    );

    // With another key: refused too.
    let other = key_file(dir.path(), "other.key", &rand::random());
    write(&config, Some(&other));
    let (code, err) = refused(&config.path);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("holds another key"), "{err}");
    assert!(!err.contains(&hex::encode(key)));

    // A key file others may read: refused, the key not shown.
    std::fs::set_permissions(&good, std::fs::Permissions::from_mode(0o644)).unwrap();
    let text = std::fs::read_to_string(&config.path).unwrap();
    std::fs::write(
        &config.path,
        text.replace(&other.display().to_string(), &good.display().to_string()),
    )
    .unwrap();
    let (code, err) = refused(&config.path);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("mode 0644"), "{err}");
    std::fs::set_permissions(&good, std::fs::Permissions::from_mode(0o600)).unwrap();

    // With the key again: the old message reads as before.
    let daemon = start(&config.path, config.addr);
    let (_, v) = call(config.addr, "GET", &format!("/api/sms/{id}"), None, None);
    assert_eq!(v["body"], TEXT, "{v}");
    let (_, v) = call(
        config.addr,
        "GET",
        &format!("/api/inbound/{inbound_id}"),
        None,
        None,
    );
    assert_eq!(v["text"], TEXT, "{v}");
    drop(daemon);
}
