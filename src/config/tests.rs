use super::*;
use std::collections::HashMap;

fn no_env(_: &str) -> Option<String> {
    None
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml(text, &no_env)
}

fn err(text: &str) -> ConfigError {
    match parse(text) {
        Ok(c) => panic!("expected an error for:\n{text}\ngot {c:?}"),
        Err(e) => e,
    }
}

fn with_env(text: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_toml(text, &|name| vars.get(name).cloned())
}

/// A valid config with two modems and a key, for the validation rules to break one at a time.
fn base() -> Config {
    Config {
        modems: vec![
            ModemEntry::new("m0", "/dev/serial/by-id/usb-modem0"),
            ModemEntry::new("m1", "tcp://127.0.0.1:7000"),
        ],
        api_keys: vec![ApiKey {
            name: "ci".into(),
            sha256: sha256_hex("sgk_x"),
            scopes: vec![Scope::Send],
        }],
        ..Config::default()
    }
}

/// Breaks `base()` with `change`; the error must name `key`.
#[track_caller]
fn refused(key: &str, change: impl FnOnce(&mut Config)) -> ConfigError {
    let mut c = base();
    change(&mut c);
    match c.validate() {
        Ok(()) => panic!("{key}: accepted {c:?}"),
        Err(e) => {
            assert_eq!(e.key, key, "{e}");
            assert!(!e.reason.is_empty());
            e
        }
    }
}

#[test]
fn an_empty_file_is_the_defaults() {
    let c = parse("").unwrap();
    assert_eq!(c, Config::default());
    assert!(c.uses_simulator());
    c.validate().unwrap();
}

#[test]
fn defaults_are_the_documented_ones() {
    let c = Config::default();
    assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
    assert!(c.server.cors_origins.is_empty());
    assert_eq!(c.server.max_body_bytes, 8 * 1024 * 1024);
    assert_eq!(c.server.request_timeout_ms, 30_000);
    assert_eq!(c.server.max_segments, 10);
    assert_eq!(c.server.default_region, None);
    assert_eq!(c.storage.path, PathBuf::from("smsgate.db"));
    assert_eq!(c.storage.durability, Durability::Full);
    assert_eq!(c.storage.group_commit_max, 512);
    assert_eq!(c.simulator.modems, 2);
    assert_eq!(c.simulator.latency_ms, (500, 500));
    assert!(c.simulator.fail_prefixes.is_empty());
    assert_eq!(c.simulator.seed, 1);
    assert!(c.modems.is_empty() && c.api_keys.is_empty());
    let d = &c.dispatch;
    assert_eq!(d.strategy, Strategy::LeastLoaded);
    assert_eq!(d.max_attempts, 5);
    assert_eq!((d.backoff_initial_ms, d.backoff_max_ms), (2_000, 300_000));
    assert!((d.jitter - 0.2).abs() < f64::EPSILON);
    assert_eq!(d.lease_seconds, 300);
    assert_eq!(d.in_flight, InFlightPolicy::AtLeastOnce);
    assert_eq!(d.otp_in_flight, InFlightPolicy::AtMostOnce);
    assert!(d.status_reports);
    assert_eq!(d.report_window_hours, 72);
    assert_eq!(d.poll_interval_ms, 200);
    assert!(c.server.allowed_hosts.is_empty());
    assert_eq!(c.server.header_read_timeout_ms, 10_000);
    assert_eq!(c.server.max_connections, 512);
    assert!(!c.server.custom_id_idempotency);
    let cb = &c.callbacks;
    assert_eq!((cb.timeout_secs, cb.max_attempts), (10, 10));
    assert_eq!((cb.concurrency, cb.per_host), (32, 4));
    assert!(!cb.allow_private_networks && cb.allowed_hosts.is_empty());
    assert_eq!((c.otp.min_length, c.otp.length), (6, 6));
    assert_eq!(
        (
            c.otp.max_failures_per_session,
            c.otp.max_failures_per_number
        ),
        (10, 20)
    );
}

#[test]
fn hardening_keys_parse_and_their_rules_name_the_key() {
    let c = Config::from_toml(
        r#"
        [server]
        allowed_hosts = ["gateway.lan", "sms.example.com:8080"]
        header_read_timeout_ms = 5000
        max_connections = 64
        custom_id_idempotency = true
        cors_origins = ["*", "https://admin.example.com:8443", "http://[::1]:3000"]
        [callbacks]
        allow_private_networks = false
        allowed_hosts = ["10.1.2.0/24", "hooks.lan"]
        concurrency = 8
        per_host = 2
        [otp]
        min_length = 4
        length = 4
        "#,
        &|_| None,
    )
    .unwrap();
    assert_eq!(c.server.max_connections, 64);
    assert_eq!(c.callbacks.per_host, 2);
    assert_eq!(c.otp.min_length, 4);
    for (text, key) in [
        (
            "[server]\nallowed_hosts = [\"a/b\"]",
            "server.allowed_hosts[0]",
        ),
        (
            "[server]\nheader_read_timeout_ms = 0",
            "server.header_read_timeout_ms",
        ),
        ("[server]\nmax_connections = 0", "server.max_connections"),
        ("[callbacks]\nper_host = 100", "callbacks.per_host"),
        (
            "[callbacks]\nallowed_hosts = [\"not a host\"]",
            "callbacks.allowed_hosts[0]",
        ),
        ("[otp]\nlength = 4", "otp.length"),
        ("[otp]\nmin_length = 3", "otp.min_length"),
        (
            "[otp]\nmax_failures_per_session = 2",
            "otp.max_failures_per_session",
        ),
        (
            "[otp]\nmax_failures_per_number = 5",
            "otp.max_failures_per_number",
        ),
    ] {
        let e = Config::from_toml(text, &|_| None).unwrap_err();
        assert_eq!(e.key, key, "{text}: {e}");
    }
}

#[test]
fn modem_keys_have_their_defaults() {
    let c = parse("[[modems]]\nname = \"m0\"\nport = \"/dev/ttyUSB2\"\n").unwrap();
    assert_eq!(c.modems, vec![ModemEntry::new("m0", "/dev/ttyUSB2")]);
    let m = &c.modems[0];
    assert_eq!((m.baud, m.weight, m.enabled), (115_200, 1, true));
    assert!(m.pin.is_none() && m.per_minute.is_none() && m.prefixes.is_empty() && m.cnmi.is_none());
    assert!(
        !c.uses_simulator(),
        "configured modems replace the simulator"
    );
}

#[test]
fn a_full_file_parses_every_key() {
    let c = parse(
        r#"
[server]
listen = "0.0.0.0:9000"
cors_origins = ["https://app.example.com", "http://localhost:3000"]
max_body_bytes = 65536
request_timeout_ms = 5000
max_segments = 6
default_region = "DE"

[storage]
path = "/var/lib/smsgate/smsgate.db"
durability = "normal"
group_commit_max = 64

[simulator]
modems = 0
latency_ms = [200, 800]
fail_prefixes = ["+1555"]
seed = 42

[[modems]]
name = "o2"
port = "/dev/serial/by-id/usb-Huawei_E3372-if00"
baud = 9600
pin = "0000"
per_minute = 10
per_hour = 200
per_day = 1000
weight = 3
cost_per_segment = 0.05
prefixes = ["+49", "+43"]
cnmi = ["2,1,0,2,0"]
enabled = false

[dispatch]
strategy = "prefix"
max_attempts = 3
backoff_initial_ms = 1000
backoff_max_ms = 60000
jitter = 0.5
lease_seconds = 120
in_flight = "at-most-once"
otp_in_flight = "at-least-once"
status_reports = false
report_window_hours = 24
poll_interval_ms = 50

[[api_keys]]
name = "shop"
sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
scopes = ["send", "read"]
"#,
    )
    .unwrap();
    assert_eq!(c.server.listen.to_string(), "0.0.0.0:9000");
    assert_eq!(c.server.cors_origins.len(), 2);
    assert_eq!(c.server.default_region.as_deref(), Some("DE"));
    assert_eq!(c.storage.durability, Durability::Normal);
    assert_eq!(c.simulator.latency_ms, (200, 800));
    assert!(!c.uses_simulator());
    let m = &c.modems[0];
    assert_eq!(m.pin.as_ref().map(Secret::expose), Some("0000"));
    assert_eq!(
        (m.per_minute, m.per_hour, m.per_day),
        (Some(10), Some(200), Some(1000))
    );
    assert_eq!(m.prefixes, ["+49", "+43"]);
    assert!(!m.enabled);
    assert_eq!(c.dispatch.strategy, Strategy::Prefix);
    assert_eq!(c.dispatch.in_flight, InFlightPolicy::AtMostOnce);
    assert!(c.api_keys[0].matches("abc"));
    assert!(c.api_keys[0].allows(Scope::Read) && !c.api_keys[0].allows(Scope::Otp));
}

#[test]
fn the_example_file_is_valid() {
    let c = parse(include_str!("../../smsgate.example.toml")).unwrap();
    assert!(!c.modems.is_empty(), "the example shows modems");
}

#[test]
fn latency_is_a_number_or_a_pair() {
    assert_eq!(
        parse("[simulator]\nlatency_ms = 50")
            .unwrap()
            .simulator
            .latency_ms,
        (50, 50)
    );
    assert_eq!(
        parse("simulator.latency_ms = [0, 10]")
            .unwrap()
            .simulator
            .latency_ms,
        (0, 10)
    );
    for bad in ["[1]", "[1, 2, 3]", "-5", "\"500\""] {
        assert_eq!(
            err(&format!("simulator.latency_ms = {bad}")).key,
            "simulator.latency_ms",
            "{bad}"
        );
    }
}

#[test]
fn the_pin_never_prints() {
    let c = parse("[[modems]]\nname = \"m\"\nport = \"/dev/x\"\npin = \"4711\"\n").unwrap();
    let shown = format!("{c:?} {}", c.modems[0].pin.as_ref().unwrap());
    assert!(!shown.contains("4711"), "{shown}");
    assert!(shown.contains("<redacted>"));
    // Nor does a wrong one in an error message.
    let e = err("[[modems]]\nname = \"m\"\nport = \"/dev/x\"\npin = \"47x1\"\n");
    assert_eq!(e.key, "modems[0].pin");
    assert!(!e.to_string().contains("47x1"), "{e}");
    for pin in ["4711", "4711.5", "[4711]"] {
        let e = err(&format!(
            "[[modems]]\nname = \"m\"\nport = \"/dev/x\"\npin = {pin}\n"
        ));
        assert_eq!(e.key, "modems[0].pin");
        assert!(!e.to_string().contains("4711"), "{e}");
    }
}

// --- TOML errors name the dotted key path and the line ---

#[test]
fn unknown_keys_are_errors_naming_the_key() {
    for (text, key) in [
        ("foo = 1", "foo"),
        ("[server]\nlistn = \"127.0.0.1:1\"", "server.listn"),
        ("[storage]\nfile = \"x\"", "storage.file"),
        ("[simulator]\nmodem = 1", "simulator.modem"),
        ("[dispatch]\nretries = 1", "dispatch.retries"),
        (
            "[[modems]]\nname = \"a\"\nport = \"/dev/x\"\ncolour = 1",
            "modems[0].colour",
        ),
        (
            "[[api_keys]]\nname = \"a\"\nsha256 = \"\"\nscopes = []\nkey = \"x\"",
            "api_keys[0].key",
        ),
        (
            "modems = [{name = \"a\", port = \"/dev/x\", bad = 1}]",
            "modems[0].bad",
        ),
    ] {
        let e = err(text);
        assert_eq!(e.key, key, "{text}: {e}");
        assert!(e.reason.contains("unknown field"), "{e}");
        assert!(e.reason.contains("(line "), "{e}");
    }
}

#[test]
fn wrong_types_name_the_key_and_the_line() {
    let e = err("[server]\n\nlisten = 5");
    assert_eq!(e.key, "server.listen");
    assert!(e.reason.ends_with("(line 3)"), "{e}");
    let two = "[[modems]]\nname = \"a\"\nport = \"/dev/x\"\n[[modems]]\nname = \"b\"\nport = \"/dev/y\"\n";
    assert_eq!(err(&format!("{two}baud = \"fast\"")).key, "modems[1].baud");
    assert_eq!(
        err(&format!("{two}prefixes = [\"+49\", 5]")).key,
        "modems[1].prefixes[1]"
    );
    assert_eq!(
        err("dispatch.strategy = \"fastest\"").key,
        "dispatch.strategy"
    );
    assert_eq!(
        err("dispatch.in_flight = \"twice\"").key,
        "dispatch.in_flight"
    );
    assert_eq!(
        err("storage.durability = \"maybe\"").key,
        "storage.durability"
    );
    assert_eq!(err("server.max_segments = -1").key, "server.max_segments");
    let e = err("[[api_keys]]\nname = \"a\"\nsha256 = \"x\"\nscopes = [\"write\"]");
    assert_eq!(e.key, "api_keys[0].scopes[0]");
}

#[test]
fn missing_required_keys_are_named() {
    let e = err("[[modems]]\nname = \"a\"\nport = \"/dev/x\"\n[[modems]]\nname = \"b\"\n");
    // A modem may be found by identity instead of its port, but it must be named somehow.
    assert_eq!(e.key, "modems[1].port");
    assert!(e.reason.contains("at least one of port, imei"), "{e}");
    assert_eq!(err("[[modems]]\nport = \"/dev/x\"\n").key, "modems[0].name");
}

#[test]
fn syntax_errors_say_where() {
    let e = err("[server\nlisten = 1");
    assert!(e.key.starts_with("line 1, column"), "{e}");
}

// --- validation: every rule names its key ---

#[test]
fn the_base_config_is_valid() {
    base().validate().unwrap();
}

#[test]
fn non_loopback_listen_needs_an_api_key() {
    let e = refused("server.listen", |c| {
        c.server.listen = "0.0.0.0:8080".parse().unwrap();
        c.api_keys.clear();
    });
    assert!(
        e.reason.contains("api-key create") && e.reason.contains("127.0.0.1"),
        "{e}"
    );
    refused("server.listen", |c| {
        c.server.listen = "192.168.1.5:80".parse().unwrap();
        c.api_keys.clear();
    });
    // With a key, or on loopback (v4 or v6), it is fine.
    let mut c = base();
    c.server.listen = "0.0.0.0:8080".parse().unwrap();
    c.validate().unwrap();
    c.api_keys.clear();
    c.server.listen = "[::1]:8080".parse().unwrap();
    c.validate().unwrap();
}

#[test]
fn server_rules() {
    refused("server.cors_origins[1]", |c| {
        c.server.cors_origins = vec!["*".into(), "app.example.com".into()]
    });
    refused("server.cors_origins[0]", |c| {
        c.server.cors_origins = vec!["https://app.example.com/".into()]
    });
    refused("server.max_body_bytes", |c| c.server.max_body_bytes = 10);
    refused("server.request_timeout_ms", |c| {
        c.server.request_timeout_ms = 0
    });
    refused("server.max_segments", |c| c.server.max_segments = 0);
    refused("server.max_segments", |c| c.server.max_segments = 256);
    refused("server.default_region", |c| {
        c.server.default_region = Some("de".into())
    });
    refused("server.default_region", |c| {
        c.server.default_region = Some("DEU".into())
    });
    let mut c = base();
    c.server.max_segments = 255;
    c.server.default_region = Some("DE".into());
    c.server.cors_origins = vec!["http://localhost:3000".into()];
    c.validate().unwrap();
}

#[test]
fn storage_rules() {
    refused("storage.path", |c| c.storage.path = PathBuf::new());
    refused("storage.group_commit_max", |c| {
        c.storage.group_commit_max = 0
    });
}

#[test]
fn simulator_rules() {
    refused("simulator.modems", |c| c.simulator.modems = 257);
    refused("simulator.latency_ms", |c| {
        c.simulator.latency_ms = (800, 200)
    });
    refused("simulator.fail_prefixes[0]", |c| {
        c.simulator.fail_prefixes = vec!["+".into()]
    });
    let mut c = base();
    c.simulator.modems = 256;
    c.validate().unwrap();
}

#[test]
fn modem_names_are_non_empty_unique_and_plain() {
    refused("modems[1].name", |c| c.modems[1].name = String::new());
    refused("modems[1].name", |c| c.modems[1].name = "modem 1".into());
    refused("modems[0].name", |c| c.modems[0].name = "m/0".into());
    let e = refused("modems[1].name", |c| c.modems[1].name = "m0".into());
    assert!(e.reason.contains("modems[0]"), "{e}");
    let mut c = base();
    c.modems[1].name = "Modem_2-b".into();
    c.validate().unwrap();
}

#[test]
fn port_syntax() {
    for bad in [
        "",
        " /dev/ttyUSB0",
        "tcp://",
        "tcp://host",
        "tcp://:7000",
        "tcp://host:0",
        "tcp://host:70000",
        "tcp://host:port",
        "udp://host:7000",
        "/dev/ttyUSB0@9600",
    ] {
        refused("modems[1].port", |c| c.modems[1].port = bad.into());
    }
    for good in [
        "/dev/ttyUSB0",
        "COM3",
        "tcp://[::1]:7000",
        "tcp://modems.lan:7001",
        "/dev/serial/by-id/usb-x@y",
    ] {
        let mut c = base();
        c.modems[1].port = good.into();
        c.validate().unwrap_or_else(|e| panic!("{good}: {e}"));
    }
    let e = refused("modems[1].port", |c| {
        c.modems[1].port = c.modems[0].port.clone()
    });
    assert!(e.reason.contains("modems[0]"), "{e}");
}

#[test]
fn modem_value_rules() {
    refused("modems[0].baud", |c| c.modems[0].baud = 12345);
    refused("modems[0].pin", |c| {
        c.modems[0].pin = Some(Secret::new("123"))
    });
    refused("modems[0].pin", |c| {
        c.modems[0].pin = Some(Secret::new("123456789"))
    });
    refused("modems[0].pin", |c| {
        c.modems[0].pin = Some(Secret::new("12a4"))
    });
    refused("modems[0].per_minute", |c| c.modems[0].per_minute = Some(0));
    refused("modems[0].per_hour", |c| c.modems[0].per_hour = Some(0));
    refused("modems[1].per_day", |c| c.modems[1].per_day = Some(0));
    refused("modems[0].weight", |c| c.modems[0].weight = 0);
    refused("modems[0].cost_per_segment", |c| {
        c.modems[0].cost_per_segment = -0.01
    });
    refused("modems[0].cost_per_segment", |c| {
        c.modems[0].cost_per_segment = f64::NAN
    });
    refused("modems[0].cost_per_segment", |c| {
        c.modems[0].cost_per_segment = f64::INFINITY
    });
    refused("modems[0].prefixes[1]", |c| {
        c.modems[0].prefixes = vec!["+49".into(), "49a".into()]
    });
    refused("modems[0].prefixes[0]", |c| {
        c.modems[0].prefixes = vec![String::new()]
    });
    refused("modems[0].cnmi", |c| c.modems[0].cnmi = Some(vec![]));
    refused("modems[0].cnmi[0]", |c| {
        c.modems[0].cnmi = Some(vec!["2,1,,2,0".into()])
    });
    let mut c = base();
    let m = &mut c.modems[0];
    m.baud = 9600;
    m.pin = Some(Secret::new("00000000"));
    m.per_minute = Some(1);
    m.cost_per_segment = 0.0;
    m.prefixes = vec!["+49".into(), "4917".into()];
    m.cnmi = Some(vec!["2,1,0,2,0".into(), "1,1".into()]);
    c.validate().unwrap();
}

#[test]
fn dispatch_rules() {
    let e = refused("dispatch.strategy", |c| {
        c.dispatch.strategy = Strategy::Prefix
    });
    assert!(e.reason.contains("prefixes"), "{e}");
    refused("dispatch.max_attempts", |c| c.dispatch.max_attempts = 0);
    refused("dispatch.backoff_initial_ms", |c| {
        c.dispatch.backoff_initial_ms = 10_000;
        c.dispatch.backoff_max_ms = 5_000;
    });
    refused("dispatch.jitter", |c| c.dispatch.jitter = 1.5);
    refused("dispatch.jitter", |c| c.dispatch.jitter = -0.1);
    refused("dispatch.jitter", |c| c.dispatch.jitter = f64::NAN);
    refused("dispatch.lease_seconds", |c| c.dispatch.lease_seconds = 0);
    refused("dispatch.report_window_hours", |c| {
        c.dispatch.report_window_hours = 0
    });
    refused("dispatch.poll_interval_ms", |c| {
        c.dispatch.poll_interval_ms = 0
    });
    let mut c = base();
    c.dispatch.strategy = Strategy::Prefix;
    c.modems[1].prefixes = vec!["+49".into()];
    c.dispatch.jitter = 1.0;
    c.validate().unwrap();
}

#[test]
fn api_key_rules() {
    let key = |name: &str, hash: String, scopes: Vec<Scope>| ApiKey {
        name: name.into(),
        sha256: hash,
        scopes,
    };
    refused("api_keys[0].name", |c| c.api_keys[0].name = String::new());
    refused("api_keys[0].name", |c| c.api_keys[0].name = "my key".into());
    refused("api_keys[0].sha256", |c| {
        c.api_keys[0].sha256 = "abc".into()
    });
    refused("api_keys[0].sha256", |c| {
        c.api_keys[0].sha256 = "g".repeat(64)
    });
    refused("api_keys[0].scopes", |c| c.api_keys[0].scopes.clear());
    let e = refused("api_keys[1].name", |c| {
        c.api_keys
            .push(key("ci", sha256_hex("sgk_y"), vec![Scope::Read]))
    });
    assert!(e.reason.contains("api_keys[0]"), "{e}");
    refused("api_keys[1].sha256", |c| {
        c.api_keys.push(key(
            "other",
            sha256_hex("sgk_x").to_uppercase(),
            vec![Scope::Read],
        ))
    });
    let mut c = base();
    c.api_keys
        .push(key("ops.team-1", sha256_hex("sgk_y"), vec![Scope::Admin]));
    c.validate().unwrap();
}

#[test]
fn a_toml_file_is_validated_too() {
    let e = err("[[modems]]\nname = \"a\"\nport = \"/dev/x\"\n[[modems]]\nname = \"b\"\nport = \"udp://x:1\"\n");
    assert_eq!(e.key, "modems[1].port");
    assert!(e.to_string().starts_with("modems[1].port: "), "{e}");
    assert_eq!(
        err("[server]\nlisten = \"0.0.0.0:8080\"").key,
        "server.listen"
    );
}

// --- environment overrides ---

#[test]
fn env_overrides_the_main_keys() {
    let c = with_env(
        "[server]\nlisten = \"127.0.0.1:1\"\n",
        &[
            ("SMSGATE_LISTEN", "127.0.0.1:9999"),
            ("SMSGATE_DB", "/tmp/x.db"),
            ("SMSGATE_DURABILITY", "normal"),
            ("SMSGATE_SIM_MODEMS", "5"),
            ("SMSGATE_SIM_LATENCY_MS", "200-800"),
            ("SMSGATE_STRATEGY", "round-robin"),
            ("SMSGATE_MAX_ATTEMPTS", "9"),
        ],
    )
    .unwrap();
    assert_eq!(c.server.listen.to_string(), "127.0.0.1:9999");
    assert_eq!(c.storage.path, PathBuf::from("/tmp/x.db"));
    assert_eq!(c.storage.durability, Durability::Normal);
    assert_eq!(c.simulator.modems, 5);
    assert_eq!(c.simulator.latency_ms, (200, 800));
    assert_eq!(c.dispatch.strategy, Strategy::RoundRobin);
    assert_eq!(c.dispatch.max_attempts, 9);
    let c = with_env("", &[("SMSGATE_SIM_LATENCY_MS", "300")]).unwrap();
    assert_eq!(c.simulator.latency_ms, (300, 300));
}

#[test]
fn an_empty_env_value_is_unset() {
    let c = with_env("", &[("SMSGATE_LISTEN", ""), ("SMSGATE_DB", " ")]).unwrap();
    assert_eq!(c, Config::default());
}

#[test]
fn a_bad_env_value_names_the_variable() {
    for (name, value) in [
        ("SMSGATE_LISTEN", "localhost"),
        ("SMSGATE_DURABILITY", "sometimes"),
        ("SMSGATE_SIM_MODEMS", "-1"),
        ("SMSGATE_SIM_LATENCY_MS", "200..800"),
        ("SMSGATE_STRATEGY", "fastest"),
        ("SMSGATE_MAX_ATTEMPTS", "many"),
    ] {
        let e = with_env("", &[(name, value)]).unwrap_err();
        assert_eq!(e.key, name, "{e}");
        assert!(e.reason.contains(value), "{e}");
    }
}

#[test]
fn a_rule_broken_by_an_env_value_names_the_variable() {
    for (name, value) in [
        ("SMSGATE_LISTEN", "0.0.0.0:8080"),
        ("SMSGATE_SIM_MODEMS", "1000"),
        ("SMSGATE_SIM_LATENCY_MS", "800-200"),
        ("SMSGATE_STRATEGY", "prefix"),
        ("SMSGATE_MAX_ATTEMPTS", "0"),
    ] {
        let e = with_env("", &[(name, value)]).unwrap_err();
        assert_eq!(e.key, name, "{e}");
        assert!(e.reason.contains("(overrides "), "{e}");
    }
    // A rule broken in the file still names the file's key.
    let e = with_env(
        "dispatch.max_attempts = 0",
        &[("SMSGATE_LISTEN", "127.0.0.1:1")],
    )
    .unwrap_err();
    assert_eq!(e.key, "dispatch.max_attempts");
}

#[test]
fn load_without_a_file_is_the_defaults_and_a_missing_file_names_its_path() {
    // The test process has no SMSGATE_* variables set (CI and cargo do not set them).
    if std::env::vars().any(|(k, _)| k.starts_with("SMSGATE_")) {
        return;
    }
    assert_eq!(Config::load(None).unwrap(), Config::default());
    let path = Path::new("/nonexistent/smsgate.toml");
    let e = Config::load(Some(path)).unwrap_err();
    assert_eq!(e.key, "/nonexistent/smsgate.toml");
    assert!(e.reason.contains("cannot read"), "{e}");
}

#[test]
fn names_round_trip() {
    for s in Strategy::ALL {
        assert_eq!(Strategy::parse(s.as_str()), Some(s));
        let c = parse(&format!("[[modems]]\nname = \"a\"\nport = \"/dev/x\"\nprefixes = [\"1\"]\n[dispatch]\nstrategy = \"{s}\"")).unwrap();
        assert_eq!(c.dispatch.strategy, s);
    }
    for d in [Durability::Full, Durability::Normal] {
        assert_eq!(Durability::parse(d.as_str()), Some(d));
    }
}

#[test]
fn the_summary_names_routes_strategy_storage_and_listen() {
    assert_eq!(
        Config::default().summary(),
        "simulator with 2 modems, strategy least-loaded, storage sqlite smsgate.db, \
         listen 127.0.0.1:8080, no api keys (open API, loopback only)"
    );
    let mut c = base();
    c.modems[1].enabled = false;
    c.modems[0].pin = Some(Secret::new("4711"));
    assert_eq!(
        c.summary(),
        "2 modems (m0 /dev/serial/by-id/usb-modem0, m1 tcp://127.0.0.1:7000 disabled), \
         strategy least-loaded, storage sqlite smsgate.db, listen 127.0.0.1:8080, 1 api key"
    );
    c.modems.clear();
    c.simulator.modems = 0;
    assert!(c.summary().starts_with("no modems (simulator disabled), "));
}

#[test]
fn the_examples_in_the_docs_are_valid() {
    let doc = include_str!("../../docs/configuration.md");
    let mut blocks = 0;
    for (i, part) in doc.split("```toml\n").enumerate().skip(1) {
        let (block, _) = part.split_once("```").unwrap();
        parse(block).unwrap_or_else(|e| panic!("block {i}: {e}\n{block}"));
        blocks += 1;
    }
    assert_eq!(
        blocks, 5,
        "[discovery] by IMEI; simulator only; two USB modems; a TCP pool; encryption at rest"
    );
}

#[test]
fn every_key_and_variable_is_documented() {
    let doc = include_str!("../../docs/configuration.md");
    let keys = [
        "listen",
        "cors_origins",
        "max_body_bytes",
        "request_timeout_ms",
        "max_segments",
        "default_region",
        "path",
        "durability",
        "group_commit_max",
        "modems",
        "latency_ms",
        "fail_prefixes",
        "seed",
        "name",
        "port",
        "baud",
        "pin",
        "per_minute",
        "per_hour",
        "per_day",
        "weight",
        "cost_per_segment",
        "currency",
        "prefixes",
        "cnmi",
        "enabled",
        "strategy",
        "max_attempts",
        "backoff_initial_ms",
        "backoff_max_ms",
        "jitter",
        "lease_seconds",
        "in_flight",
        "otp_in_flight",
        "status_reports",
        "report_window_hours",
        "poll_interval_ms",
        "sha256",
        "scopes",
        "incomplete_timeout_secs",
        "stop_keywords",
        "start_keywords",
        "block",
        "secret",
        "secret_file",
        "length",
        "expiry_minutes",
        "max_expiry_minutes",
        "resend_cooldown_secs",
        "max_resends",
        "message",
        "per_phone_per_minute",
        "per_phone_per_hour",
        "per_ip_per_minute",
        "per_api_key_per_minute",
        "backup_codes",
        "per_second",
        "per_recipient_per_minute",
        "per_recipient_per_hour",
        "duplicate_window_secs",
        "account_sid",
        "auth_token",
        "public_url",
        "callback_base_url",
        "from",
        "base_url",
        "region",
        "access_key_id",
        "secret_access_key",
        "endpoint",
        "sender_id",
        "api_key",
        "api_secret",
        "signature_secret",
        "signature_method",
        "auth_id",
        "timeout_ms",
        "connect_timeout_ms",
        "cost_per_message",
        "otp",
        "transactional",
        "marketing",
        "fallback_when_no_modem",
        "fallback_after_secs",
        "otp_fallback_after_secs",
        "fallback_after_failures",
        "allowed_hosts",
        "header_read_timeout_ms",
        "max_connections",
        "custom_id_idempotency",
        "min_length",
        "max_failures_per_session",
        "max_failures_per_number",
        "timeout_secs",
        "concurrency",
        "per_host",
        "allow_private_networks",
        "allow_private",
        "max_age_secs",
        "modem_settings",
        "balance_ussd",
        "balance_regex",
        "balance_interval_secs",
        "balance_low",
        "balance_low_disable",
        "quota_per_day",
        "quota_per_month",
        "quota_reset_hour",
        "quota_reset_day",
        "ussd_timeout_secs",
    ];
    for key in keys {
        assert!(
            doc.contains(&format!("| `{key}` |")),
            "{key} has no row in docs/configuration.md"
        );
    }
    for (name, _, _) in env::VARIABLES {
        assert!(
            doc.contains(&format!("| `{name}` |")),
            "{name} is not documented"
        );
    }
}

#[test]
fn otp_and_limits_sections_parse_and_their_rules_name_the_key() {
    let c = parse(
        r#"
        [otp]
        secret = "0123456789abcdef0123456789abcdef"
        length = 8
        expiry_minutes = 10
        per_phone_per_minute = 0
        message = "Code: {otp}"
        [limits]
        per_second = 50
        duplicate_window_secs = 0
        "#,
    )
    .unwrap();
    assert_eq!(c.otp.length, 8);
    assert_eq!(c.otp.per_phone_per_minute, 0);
    assert_eq!(c.limits.per_second, 50);
    assert_eq!(
        format!("{:?}", c.otp.secret),
        "Some(<redacted>)",
        "the secret never prints"
    );
    refused("otp.secret", |c| c.otp.secret = Some(Secret::new("short")));
    refused("otp.length", |c| c.otp.length = 3);
    refused("otp.length", |c| c.otp.length = 11);
    refused("otp.expiry_minutes", |c| c.otp.expiry_minutes = 0);
    refused("otp.expiry_minutes", |c| c.otp.expiry_minutes = 61);
    refused("otp.max_expiry_minutes", |c| c.otp.max_expiry_minutes = 0);
    refused("otp.max_attempts", |c| c.otp.max_attempts = 0);
    refused("otp.message", |c| c.otp.message = "no code here".into());
    refused("otp.backup_codes", |c| c.otp.backup_codes = 0);
    refused("limits.duplicate_window_secs", |c| {
        c.limits.duplicate_window_secs = 700_000
    });
    assert_eq!(err("[otp]\nlenght = 6\n").key, "otp.lenght");
}

#[test]
fn the_otp_secret_can_come_from_the_environment_and_is_checked_there() {
    let c = with_env("", &[("SMSGATE_OTP_SECRET", &"k".repeat(40))]).unwrap();
    assert_eq!(c.otp.secret.unwrap().expose().len(), 40);
    let e = with_env("", &[("SMSGATE_OTP_SECRET", "too-short")]).unwrap_err();
    assert_eq!(e.key, "SMSGATE_OTP_SECRET");
    assert!(
        !e.reason.contains("too-short"),
        "the value never shows: {e}"
    );
}

#[test]
fn the_twilio_compat_section_parses_and_its_rules_name_the_key() {
    let c = parse(
        r#"
        [twilio_compat]
        account_sid = "AC0123456789abcdef0123456789abcdef"
        auth_token = "tok-fedcba9876543210fedcba98"
        public_url = "https://sms.example.com"
        "#,
    )
    .unwrap();
    let t = c.twilio_compat.clone().unwrap();
    assert_eq!(t.account_sid, "AC0123456789abcdef0123456789abcdef");
    assert_eq!(t.auth_token.expose(), "tok-fedcba9876543210fedcba98");
    assert!(!format!("{c:?}").contains("fedcba9876543210"));
    assert!(
        format!("{t:?}").contains("<redacted>"),
        "the token never prints"
    );
    assert_eq!(Config::default().twilio_compat, None, "absent by default");
    let good = || TwilioCompatConfig {
        account_sid: format!("AC{}", "a".repeat(32)),
        auth_token: Secret::new("x".repeat(32)),
        public_url: None,
    };
    refused("twilio_compat.account_sid", |c| {
        c.twilio_compat = Some(TwilioCompatConfig {
            account_sid: "AC123".into(),
            ..good()
        })
    });
    refused("twilio_compat.account_sid", |c| {
        c.twilio_compat = Some(TwilioCompatConfig::default())
    });
    refused("twilio_compat.auth_token", |c| {
        c.twilio_compat = Some(TwilioCompatConfig {
            auth_token: Secret::new("short"),
            ..good()
        })
    });
    refused("twilio_compat.public_url", |c| {
        c.twilio_compat = Some(TwilioCompatConfig {
            public_url: Some("https://sms.example.com/".into()),
            ..good()
        })
    });
    assert_eq!(
        err("[twilio_compat]\naccount_sid = \"AC\"\ntoken = \"x\"\n").key,
        "twilio_compat.token"
    );
}

#[test]
fn modems_may_be_named_by_identity_instead_of_port() {
    let c = Config::from_toml(
        "[[modems]]\nname = \"a\"\nimei = \"352099001761481\"\n[[modems]]\nname = \"b\"\niccid = \"89012608822176543210\"\nport = \"/dev/ttyUSB0\"\n",
        &|_| None,
    )
    .unwrap();
    assert_eq!(c.modems[0].port, "");
    assert!(c.discovery.needed(&c.modems));
    assert!(!c.uses_simulator());
    assert!(
        c.summary().contains("a imei 352099001761481"),
        "{}",
        c.summary()
    );
    let e = err("[[modems]]\nname = \"a\"\nimei = \"35x\"\n");
    assert_eq!(e.key, "modems[0].imei");
    let e = err("[[modems]]\nname = \"a\"\nimei = \"352099001761481\"\n[[modems]]\nname = \"b\"\nimei = \"352099001761481\"\n");
    assert_eq!(e.key, "modems[1].imei");
    assert!(e.reason.contains("modems[0]"), "{e}");
    assert_eq!(
        err("[discovery]\nports = [\"/dev/*/x\"]").key,
        "discovery.ports[0]"
    );
    assert_eq!(
        err("[discovery]\nrescan_secs = 0").key,
        "discovery.rescan_secs"
    );
    assert_eq!(
        err("[discovery]\nprobe_timeout_ms = 5").key,
        "discovery.probe_timeout_ms"
    );
    let adopt = Config::from_toml("[discovery]\nadopt_unknown = true\n", &|_| None).unwrap();
    assert!(!adopt.uses_simulator());
    assert!(adopt.discovery.needed(&adopt.modems));
    assert!(!Config::default().discovery.needed(&[]));
}
