//! `smsgate check-config` and `smsgate api-key create` as processes: the `ok:` line, exit
//! 78 with the bad key on stderr, and a created key that parses back and matches.

use smsgate::config::{Config, Scope};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

const ENV: [&str; 7] = [
    "SMSGATE_LISTEN",
    "SMSGATE_DB",
    "SMSGATE_DURABILITY",
    "SMSGATE_SIM_MODEMS",
    "SMSGATE_SIM_LATENCY_MS",
    "SMSGATE_STRATEGY",
    "SMSGATE_MAX_ATTEMPTS",
];

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn smsgate(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_smsgate"));
    for name in ENV {
        cmd.env_remove(name);
    }
    // The seed's provider variables (TWILIO_ACCOUNT_SID, …) would configure providers too.
    for (name, _) in smsgate::config::PROVIDER_ENV_VARIABLES {
        cmd.env_remove(name);
    }
    let out = cmd
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run smsgate");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// A config file in the temp directory, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(text: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "smsgate-it-config-{}-{}.toml",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, text).unwrap();
        Self(path)
    }
    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn example() -> String {
    format!("{}/smsgate.example.toml", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn check_config_accepts_the_example() {
    let run = smsgate(&["check-config", "--config", &example()], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let line = run.stdout.trim_end();
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(
        line.starts_with("ok: 2 modems (o2-1 /dev/serial/by-id/"),
        "{line}"
    );
    assert!(
        line.contains("pool-7001 tcp://192.168.10.20:7001"),
        "{line}"
    );
    assert!(
        line.contains("strategy least-loaded, storage sqlite smsgate.db, listen 127.0.0.1:8080"),
        "{line}"
    );
    assert!(
        !line.contains("1234"),
        "the example's PIN never prints: {line}"
    );
}

#[test]
fn check_config_without_a_file_describes_the_defaults() {
    let run = smsgate(&["check-config"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("ok: simulator with 2 modems, strategy least-loaded, storage sqlite smsgate.db, listen 127.0.0.1:8080"), "{}", run.stdout);
    let run = smsgate(
        &["check-config"],
        &[("SMSGATE_SIM_MODEMS", "3"), ("SMSGATE_STRATEGY", "sticky")],
    );
    assert!(
        run.stdout
            .starts_with("ok: simulator with 3 modems, strategy sticky,"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_bad_file_exits_78_naming_the_key() {
    let file = TempFile::new(
        "[[modems]]\nname = \"m0\"\nport = \"/dev/ttyUSB0\"\n\n[[modems]]\nname = \"m1\"\nport = \"udp://10.0.0.1:7000\"\n",
    );
    let run = smsgate(&["check-config", "--config", file.path()], &[]);
    assert_eq!(run.code, 78, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty());
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("error: config: modems[1].port: "),
        "{}",
        run.stderr
    );

    let file = TempFile::new("[server]\nlisten = \"0.0.0.0:8080\"\n");
    let run = smsgate(&["check-config", "--config", file.path()], &[]);
    assert_eq!(run.code, 78);
    assert!(
        run.stderr.starts_with("error: config: server.listen: "),
        "{}",
        run.stderr
    );

    let file = TempFile::new("[dispatch]\nretries = 3\n");
    let run = smsgate(&["check-config", "--config", file.path()], &[]);
    assert_eq!(run.code, 78);
    assert!(
        run.stderr
            .starts_with("error: config: dispatch.retries: unknown field"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("(line 2)"), "{}", run.stderr);
}

#[test]
fn a_bad_env_value_exits_78_naming_the_variable() {
    let run = smsgate(
        &["check-config", "--config", &example()],
        &[("SMSGATE_MAX_ATTEMPTS", "zero")],
    );
    assert_eq!(run.code, 78);
    assert!(
        run.stderr
            .starts_with("error: config: SMSGATE_MAX_ATTEMPTS: "),
        "{}",
        run.stderr
    );
}

#[test]
fn the_seed_provider_variables_reach_the_config_below_the_file() {
    // Read from the process environment by the real binary: a bad SID is refused under
    // the variable's name, and the token never reaches the output.
    let seed_env = [
        ("TWILIO_ACCOUNT_SID", "not-a-sid"),
        ("TWILIO_AUTH_TOKEN", "seed-secret-token-4711"),
        ("TWILIO_PHONE_NUMBER", "+15005550006"),
    ];
    let run = smsgate(&["check-config"], &seed_env);
    assert_eq!(run.code, 78, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .starts_with("error: config: TWILIO_ACCOUNT_SID: "),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("seed-secret-token-4711"),
        "{}",
        run.stderr
    );
    // A file with its own [providers.twilio] wins: the variables are not read for it.
    let file = TempFile::new(
        "[providers.twilio]\naccount_sid = \"AC0123456789abcdef0123456789abcdef\"\nauth_token = \"t\"\nfrom = \"+15005550006\"\n",
    );
    let run = smsgate(&["check-config", "--config", file.path()], &seed_env);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn a_missing_file_is_named() {
    let run = smsgate(
        &["check-config", "--config", "/nonexistent/smsgate.toml"],
        &[],
    );
    assert_eq!(run.code, 78);
    assert!(
        run.stderr
            .starts_with("error: config: /nonexistent/smsgate.toml: cannot read"),
        "{}",
        run.stderr
    );
}

#[test]
fn api_key_create_prints_a_key_and_a_block_that_parses_back() {
    let run = smsgate(&["api-key", "create", "shop", "--scopes", "send,read"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (key, block) = run.stdout.split_once('\n').unwrap();
    assert!(key.starts_with("sgk_") && key.len() == 47, "{key}");
    assert!(block.contains("not stored anywhere"), "{block}");
    assert!(!block.contains(key), "the key is printed once");
    assert!(
        block.contains("[[api_keys]]\nname = \"shop\"\nsha256 = \""),
        "{block}"
    );
    assert!(
        block.contains("\nscopes = [\"send\", \"read\"]\n"),
        "{block}"
    );

    // Pasted into a config as printed (comments included), it parses and validates…
    let text = format!("[server]\nlisten = \"0.0.0.0:8080\"\n\n{block}");
    let config = Config::from_toml(&text, &|_| None).unwrap();
    let api = &config.api_keys[0];
    assert_eq!(api.name, "shop");
    assert_eq!(api.scopes, [Scope::Send, Scope::Read]);
    // …and matches the printed key, and nothing else.
    assert!(api.matches(key));
    assert!(!api.matches(&key.replace("sgk_", "sgk-")));
    assert!(!api.matches("sgk_"));

    // Through the binary too: check-config accepts the non-loopback listen with the key.
    let file = TempFile::new(&text);
    let run = smsgate(&["check-config", "--config", file.path()], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("listen 0.0.0.0:8080, 1 api key"),
        "{}",
        run.stdout
    );
}

#[test]
fn api_key_create_makes_a_new_key_each_time() {
    let a = smsgate(&["api-key", "create", "a", "--scopes", "admin"], &[]);
    let b = smsgate(&["api-key", "create", "a", "--scopes", "admin"], &[]);
    assert_ne!(a.stdout.lines().next(), b.stdout.lines().next());
}

#[test]
fn api_key_create_refuses_bad_names_and_scopes() {
    for args in [
        &["api-key", "create", "my key", "--scopes", "send"][..],
        &["api-key", "create", "", "--scopes", "send"],
        &["api-key", "create", "shop", "--scopes", "write"],
        &["api-key", "create", "shop"],
    ] {
        let run = smsgate(args, &[]);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stdout);
        assert!(run.stdout.is_empty(), "{args:?}: no key printed");
        assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    }
}
