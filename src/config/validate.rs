//! The validation rules of `docs/configuration.md`, in document order. The first broken
//! rule is returned, naming its key.

use super::{ApiKey, Config, ConfigError, ModemEntry, Strategy};
use std::collections::HashMap;

/// Serial speeds a modem's port may be set to.
pub const STANDARD_BAUD_RATES: [u32; 12] = [
    1200, 2400, 4800, 9600, 19200, 38400, 57600, 115_200, 230_400, 460_800, 921_600, 3_000_000,
];

type Check = Result<(), ConfigError>;

fn fail(key: impl Into<String>, reason: impl Into<String>) -> Check {
    Err(ConfigError::new(key, reason))
}

pub(super) fn config(c: &Config) -> Check {
    server(c)?;
    storage(c)?;
    simulator(c)?;
    let mut names: HashMap<&str, usize> = HashMap::new();
    let mut ports: HashMap<&str, usize> = HashMap::new();
    let mut identities: HashMap<(&str, &str), usize> = HashMap::new();
    super::discovery::validate(&c.discovery)?;
    for (i, modem) in c.modems.iter().enumerate() {
        let key = |k: &str| format!("modems[{i}].{k}");
        self::modem(modem, &key)?;
        super::modem_admin::validate(&modem.admin(), &key)?;
        if let Some(first) = names.insert(&modem.name, i) {
            return fail(
                key("name"),
                format!("{:?} is already the name of modems[{first}]", modem.name),
            );
        }
        for (id, value) in [
            ("imei", &modem.imei),
            ("iccid", &modem.iccid),
            ("imsi", &modem.imsi),
        ] {
            let Some(value) = value else { continue };
            if let Some(first) = identities.insert((id, value.as_str()), i) {
                return fail(
                    key(id),
                    format!("{value:?} is already the {id} of modems[{first}]"),
                );
            }
        }
        if modem.port.is_empty() {
            continue;
        }
        if let Some(first) = ports.insert(modem.port.trim(), i) {
            return fail(
                key("port"),
                format!("{:?} is already the port of modems[{first}]", modem.port),
            );
        }
    }
    dispatch(c)?;
    super::analytics::validate(&c.analytics)?;
    super::inbox::validate(&c.inbox, &c.optout)?;
    super::otp::validate_otp(&c.otp)?;
    super::otp::validate_limits(&c.limits)?;
    if let Some(twilio) = &c.twilio_compat {
        super::twilio_compat::validate(twilio)?;
    }
    super::providers::validate(&c.providers)?;
    let modem_names: Vec<&str> = c.modems.iter().map(|m| m.name.as_str()).collect();
    super::routing::validate(&c.routing, &c.providers, &modem_names)?;
    super::callbacks::validate(&c.callbacks)?;
    super::conversations::validate(&c.conversations)?;
    super::webhooks::validate(&c.webhooks)?;
    super::auto_reply::validate(&c.keywords, &c.auto_reply, &c.auto_replies, &c.ai)?;
    api_keys(&c.api_keys)
}

fn server(c: &Config) -> Check {
    let s = &c.server;
    if !s.listen.ip().is_loopback() && c.api_keys.is_empty() {
        return fail(
            "server.listen",
            format!(
                "{} is not a loopback address and no [[api_keys]] is configured, which would \
                 open the API to the network: add a key (smsgate api-key create NAME --scopes …) \
                 or listen on 127.0.0.1",
                s.listen
            ),
        );
    }
    for (i, origin) in s.cors_origins.iter().enumerate() {
        if let Err(why) = cors_origin(origin) {
            return fail(format!("server.cors_origins[{i}]"), why);
        }
    }
    if s.max_body_bytes < 1024 {
        return fail(
            "server.max_body_bytes",
            format!("{} is too small: at least 1024 bytes", s.max_body_bytes),
        );
    }
    for (i, host) in s.allowed_hosts.iter().enumerate() {
        if host.is_empty() || !host.bytes().all(|b| b.is_ascii_graphic()) || host.contains('/') {
            return fail(
                format!("server.allowed_hosts[{i}]"),
                format!(
                    "{host:?} is not a host name such as \"gateway.lan\" (optionally with :port)"
                ),
            );
        }
    }
    if !(100..=600_000).contains(&s.header_read_timeout_ms) {
        return fail(
            "server.header_read_timeout_ms",
            format!("{} is outside 100..=600000", s.header_read_timeout_ms),
        );
    }
    if !(1..=65_536).contains(&s.max_connections) {
        return fail(
            "server.max_connections",
            format!("{} is outside 1..=65536", s.max_connections),
        );
    }
    if s.request_timeout_ms == 0 {
        return fail(
            "server.request_timeout_ms",
            "must be at least 1 millisecond",
        );
    }
    if !(1..=255).contains(&s.max_segments) {
        return fail(
            "server.max_segments",
            format!(
                "{} is outside 1..=255 (a concatenated SMS has at most 255 segments)",
                s.max_segments
            ),
        );
    }
    if let Some(region) = &s.default_region {
        if region.len() != 2 || !region.bytes().all(|b| b.is_ascii_uppercase()) {
            return fail("server.default_region", format!("{region:?} is not an ISO 3166 country code such as \"DE\" (two upper-case letters)"));
        }
    }
    Ok(())
}

fn cors_origin(origin: &str) -> Result<(), String> {
    if origin == "*" {
        return Ok(());
    }
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(|| format!("{origin:?} is not an origin: expected \"*\" or scheme://host[:port] such as \"https://app.example.com\""))?;
    if rest.is_empty() || rest.contains(['/', ' ', '?', '#', '@', '*']) {
        return Err(format!(
            "{origin:?} is not an origin: scheme://host[:port] with no path or trailing slash"
        ));
    }
    // Sent back verbatim in `Access-Control-Allow-Origin`: visible ASCII only (a host in
    // Unicode is written in its punycode form, as browsers send it).
    if !rest.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "{origin:?} is not an origin: only visible ASCII (write an international name as punycode, xn--…)"
        ));
    }
    let (host, port) = match rest.strip_prefix('[') {
        // An IPv6 literal: [::1] or [::1]:8080.
        Some(v6) => match v6.split_once(']') {
            Some((h, "")) => (h, None),
            Some((h, p)) => (h, Some(p.strip_prefix(':').unwrap_or("x"))),
            None => ("", None),
        },
        None => match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        },
    };
    if host.is_empty() || port.is_some_and(|p| p.parse::<u16>().is_err()) {
        return Err(format!(
            "{origin:?} is not an origin: scheme://host[:port] with a port of 0–65535"
        ));
    }
    Ok(())
}

fn storage(c: &Config) -> Check {
    if c.storage.path.as_os_str().is_empty() {
        return fail("storage.path", "must not be empty");
    }
    if c.storage.backend == super::StorageBackend::Postgres {
        postgres_storage(c)?;
    }
    if c.storage.group_commit_max == 0 {
        return fail("storage.group_commit_max", "must be at least 1");
    }
    Ok(())
}

/// `backend = "postgres"`: a URL without a password, sane pool and timeout, a node id that
/// can go in a column, and an OTP secret shared by every node (a code made on one node is
/// checked on another, so they must hash it alike; a per-node `otp.key` file would not).
fn postgres_storage(c: &Config) -> Check {
    let s = &c.storage;
    let Some(url) = s.url.as_deref() else {
        return fail("storage.url", "is required with backend = \"postgres\"");
    };
    let parsed = match url.parse::<postgres::Config>() {
        Ok(parsed) => parsed,
        // The parser's message may quote the URL; say only where it is.
        Err(_) => {
            return fail(
                "storage.url",
                "is not a PostgreSQL URL (postgres://user@host:port/database)",
            )
        }
    };
    if parsed.get_password().is_some() {
        return fail(
            "storage.url",
            "must not carry a password: put it in storage.password_file or SMSGATE_STORAGE_PASSWORD",
        );
    }
    if parsed.get_dbname().is_none() {
        return fail("storage.url", "must name the database");
    }
    if !(1..=64).contains(&s.pool_size) {
        return fail("storage.pool_size", "must be 1–64");
    }
    if !(1..=8).contains(&s.queue_writers) {
        return fail("storage.queue_writers", "must be 1–8");
    }
    if !(100..=600_000).contains(&s.statement_timeout_ms) {
        return fail("storage.statement_timeout_ms", "must be 100–600000");
    }
    if let Some(node) = &s.node_id {
        let ok = !node.is_empty()
            && node.len() <= 64
            && node
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'));
        if !ok {
            return fail("storage.node_id", "must be 1–64 of A–Z a–z 0–9 - _ .");
        }
    }
    if c.otp.secret.is_none() && c.otp.secret_file.is_none() {
        return fail(
            "otp.secret_file",
            "must be set with backend = \"postgres\": every node must hash OTP codes with the same secret",
        );
    }
    Ok(())
}

fn simulator(c: &Config) -> Check {
    let s = &c.simulator;
    let prefix_ok = !s.name_prefix.is_empty()
        && s.name_prefix.len() <= 32
        && s.name_prefix
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_'));
    if !prefix_ok {
        return fail("simulator.name_prefix", "must be 1–32 of A–Z a–z 0–9 - _");
    }
    for (name, settings) in &s.modem_settings {
        super::modem_admin::validate(settings, &|k| {
            format!("simulator.modem_settings.{name}.{k}")
        })?;
    }
    if s.modems > 256 {
        return fail("simulator.modems", format!("{} is more than 256", s.modems));
    }
    let (min, max) = s.latency_ms;
    if min > max {
        return fail(
            "simulator.latency_ms",
            format!("the minimum {min} is larger than the maximum {max}"),
        );
    }
    for (i, prefix) in s.fail_prefixes.iter().enumerate() {
        digits_prefix(prefix).or_else(|why| fail(format!("simulator.fail_prefixes[{i}]"), why))?;
    }
    if !s.cost_per_segment.is_finite() || s.cost_per_segment < 0.0 {
        return fail(
            "simulator.cost_per_segment",
            format!("{} is not a cost: a finite number ≥ 0", s.cost_per_segment),
        );
    }
    Ok(())
}

fn modem(m: &ModemEntry, key: &dyn Fn(&str) -> String) -> Check {
    if let Err(why) = modem_name(&m.name) {
        return fail(key("name"), why);
    }
    for (id, value) in [("imei", &m.imei), ("iccid", &m.iccid), ("imsi", &m.imsi)] {
        if let Some(value) = value {
            super::discovery::identity(id, value).or_else(|why| fail(key(id), why))?;
        }
    }
    if m.port.is_empty() && !m.has_identity() {
        return fail(
            key("port"),
            "give at least one of port, imei, iccid or imsi: a device path (/dev/serial/by-id/…), tcp://host:port, or the modem's identity to find it by",
        );
    }
    if !m.port.is_empty() {
        port(&m.port).or_else(|why| fail(key("port"), why))?;
    }
    if !STANDARD_BAUD_RATES.contains(&m.baud) {
        return fail(
            key("baud"),
            format!(
                "{} is not a standard serial speed (one of {STANDARD_BAUD_RATES:?})",
                m.baud
            ),
        );
    }
    if let Some(pin) = &m.pin {
        let pin = pin.expose();
        // The PIN itself never goes into a message.
        if !(4..=8).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
            return fail(
                key("pin"),
                "a SIM PIN is 4 to 8 digits, written as a string (pin = \"1234\")",
            );
        }
    }
    for (name, limit) in [
        ("per_minute", m.per_minute),
        ("per_hour", m.per_hour),
        ("per_day", m.per_day),
    ] {
        if limit == Some(0) {
            return fail(key(name), "must be at least 1 (leave it out for no limit; set enabled = false to stop the modem)");
        }
    }
    if m.weight == 0 {
        return fail(
            key("weight"),
            "must be at least 1 (set enabled = false to stop the modem)",
        );
    }
    if !m.cost_per_segment.is_finite() || m.cost_per_segment < 0.0 {
        return fail(
            key("cost_per_segment"),
            format!("{} is not a cost: a finite number ≥ 0", m.cost_per_segment),
        );
    }
    for (j, prefix) in m.prefixes.iter().enumerate() {
        digits_prefix(prefix).or_else(|why| fail(key(&format!("prefixes[{j}]")), why))?;
    }
    if let Some(cnmi) = &m.cnmi {
        if cnmi.is_empty() {
            return fail(
                key("cnmi"),
                "an empty list: leave the key out for the built-in variants",
            );
        }
        for (j, variant) in cnmi.iter().enumerate() {
            let fields: Vec<&str> = variant.split(',').collect();
            if fields.len() > 5
                || !fields
                    .iter()
                    .all(|f| !f.is_empty() && f.len() <= 3 && f.bytes().all(|b| b.is_ascii_digit()))
            {
                return fail(key(&format!("cnmi[{j}]")), format!("{variant:?} is not a +CNMI setting: up to 5 numbers separated by commas, such as \"2,1,0,2,0\""));
            }
        }
    }
    Ok(())
}

/// `[A-Za-z0-9_-]+`, at most 64 characters.
fn modem_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(format!(
            "{name:?} is not a name: up to 64 letters, digits, '_' and '-'"
        ));
    }
    Ok(())
}

/// `tcp://host:port`, or a device path (the speed is `baud`, not `@BAUD`).
fn port(spec: &str) -> Result<(), String> {
    if spec.trim() != spec {
        return Err(format!("{spec:?} has spaces around it"));
    }
    if let Some(addr) = spec.strip_prefix("tcp://") {
        let (host, port) = addr
            .rsplit_once(':')
            .ok_or_else(|| format!("{spec:?}: expected tcp://host:port"))?;
        let host_ok = !host.is_empty() && !host.contains(['/', ' ']);
        if !host_ok || port.parse::<u16>().map_or(true, |p| p == 0) {
            return Err(format!(
                "{spec:?}: expected tcp://host:port with a host and a port 1–65535"
            ));
        }
        return Ok(());
    }
    if spec.is_empty() {
        return Err(
            "must not be empty: a device path (/dev/serial/by-id/…) or tcp://host:port".into(),
        );
    }
    if let Some((scheme, _)) = spec.split_once("://") {
        return Err(format!(
            "{scheme}:// is not supported: a device path or tcp://host:port"
        ));
    }
    if let Some((_, baud)) = spec.rsplit_once('@') {
        if !baud.is_empty() && baud.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "{spec:?}: set the speed with the baud key, not @{baud}"
            ));
        }
    }
    Ok(())
}

/// `+?digits`.
fn digits_prefix(prefix: &str) -> Result<(), String> {
    let digits = prefix.strip_prefix('+').unwrap_or(prefix);
    if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{prefix:?} is not a number prefix: digits with an optional leading + (\"+49\", \"4917\")"));
    }
    Ok(())
}

fn dispatch(c: &Config) -> Check {
    let d = &c.dispatch;
    if d.strategy == Strategy::Prefix && !c.modems.iter().any(|m| !m.prefixes.is_empty()) {
        return fail(
            "dispatch.strategy",
            "\"prefix\" needs at least one [[modems]] entry with prefixes (the simulator's modems have none)",
        );
    }
    if d.max_attempts == 0 {
        return fail("dispatch.max_attempts", "must be at least 1");
    }
    if d.backoff_initial_ms > d.backoff_max_ms {
        return fail(
            "dispatch.backoff_initial_ms",
            format!(
                "{} is larger than dispatch.backoff_max_ms ({})",
                d.backoff_initial_ms, d.backoff_max_ms
            ),
        );
    }
    if !d.jitter.is_finite() || !(0.0..=1.0).contains(&d.jitter) {
        return fail("dispatch.jitter", format!("{} is outside 0..=1", d.jitter));
    }
    for (name, value) in [
        ("lease_seconds", d.lease_seconds),
        ("report_window_hours", d.report_window_hours),
        ("poll_interval_ms", d.poll_interval_ms),
    ] {
        if value == 0 {
            return fail(format!("dispatch.{name}"), "must be at least 1");
        }
    }
    Ok(())
}

fn api_keys(keys: &[ApiKey]) -> Check {
    let mut names: HashMap<&str, usize> = HashMap::new();
    let mut hashes: HashMap<String, usize> = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        let key = |k: &str| format!("api_keys[{i}].{k}");
        api_key_name(&k.name).or_else(|why| fail(key("name"), why))?;
        if let Some(first) = names.insert(&k.name, i) {
            return fail(
                key("name"),
                format!("{:?} is already the name of api_keys[{first}]", k.name),
            );
        }
        if k.sha256.len() != 64 || !k.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return fail(
                key("sha256"),
                "not a SHA-256: 64 hex digits (smsgate api-key create prints it)",
            );
        }
        if let Some(first) = hashes.insert(k.sha256.to_ascii_lowercase(), i) {
            return fail(
                key("sha256"),
                format!("the same key as api_keys[{first}]: create one key per client"),
            );
        }
        if k.scopes.is_empty() {
            return fail(
                key("scopes"),
                "no scopes: give at least one of send, otp, read, admin",
            );
        }
    }
    Ok(())
}

/// What an API key's name may be: `[A-Za-z0-9_.-]+`, at most 64 characters.
pub fn api_key_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    {
        return Err(format!(
            "{name:?} is not a name: up to 64 letters, digits, '_', '-' and '.'"
        ));
    }
    Ok(())
}
