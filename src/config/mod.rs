//! The configuration (layer 0): the TOML file of `docs/configuration.md` → `SMSGATE_*`
//! environment overrides → a validated [`Config`]; API keys (hashing, matching, generating).
//!
//! Owns: the config types and their defaults, the mapping of TOML errors to dotted key
//! paths (`modems[1].port`), every validation rule, the env overrides, [`ApiKey`] and
//! [`generate_api_key`]. Never imports `at/`, `sim/`, `modem/`, `store/` or anything above
//! layer 0, and no tokio: the daemon reads a `Config` and builds the rest from it (the port
//! syntax is checked here on its own, not with `modem::port`).
//!
//! Invariants:
//! - **A `Config` that came out of [`Config::load`] or [`Config::from_toml`] is valid**:
//!   both end with [`Config::validate`]; every error is a [`ConfigError`] naming the key
//!   (or the environment variable) and the reason.
//! - **Secrets never print**: a modem PIN is a [`Secret`] whose `Debug`/`Display` is
//!   `<redacted>`; API keys are held only as SHA-256 hashes and compared in constant time.

mod analytics;
mod auto_reply;
mod callbacks;
mod console;
mod conversations;
mod discovery;
mod env;
mod inbox;
mod keys;
mod log;
mod metrics;
mod modem_admin;
mod otp;
mod provider_env;
mod providers;
mod retention;
mod routing;
mod toml_error;
mod twilio_compat;
mod validate;
mod webhooks;

pub use validate::{api_key_name, STANDARD_BAUD_RATES};

pub use analytics::AnalyticsConfig;
pub use auto_reply::{
    compile_pattern, AiConfig, AutoRepliesConfig, AutoReplyRuleConfig, KeywordsConfig, RuleMatch,
    AI_KEY_VARIABLES, PATTERN_MAX, REGEX_SIZE_LIMIT,
};
pub use callbacks::CallbacksConfig;
pub use console::ConsoleConfig;
pub use conversations::ConversationsConfig;
pub use discovery::{DiscoveryConfig, DEFAULT_DISCOVERY_PORTS};
pub use inbox::{InboxConfig, OptoutConfig, DEFAULT_START_KEYWORDS, DEFAULT_STOP_KEYWORDS};
pub use keys::{generate_api_key, sha256_hex, ApiKey, Scope};
pub use log::{LogConfig, LogFormat};
pub use metrics::MetricsConfig;
pub use modem_admin::{ModemAdminConfig, DEFAULT_BALANCE_REGEX};
pub use otp::{LimitsConfig, OtpConfig, MIN_SECRET_LEN};
pub use provider_env::{DEFAULT_FROM_VARIABLE, PROVIDER_ENV_VARIABLES};
pub use providers::{
    is_http_url, AwsSnsConfig, PlivoConfig, ProviderLimits, ProvidersConfig, TwilioConfig,
    VonageConfig, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_TIMEOUT_MS,
};
pub use retention::RetentionConfig;
pub use routing::{
    canonical_provider, RouteGroup, RoutingConfig, DEFAULT_FALLBACK_AFTER_FAILURES,
    DEFAULT_FALLBACK_AFTER_SECS, DEFAULT_OTP_FALLBACK_AFTER_SECS, PROVIDER_NAMES,
};
pub use twilio_compat::{TwilioCompatConfig, MIN_AUTH_TOKEN_LEN};
pub use webhooks::WebhooksConfig;

use crate::message::InFlightPolicy;
use serde::{de, Deserialize, Deserializer};
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

/// The validated configuration of the daemon.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `[server]`: the HTTP API.
    pub server: ServerConfig,
    /// `[storage]`: the SQLite database.
    pub storage: StorageConfig,
    /// `[simulator]`: the in-process simulated network used when no modem is configured.
    pub simulator: SimulatorConfig,
    /// `[[modems]]`: the GSM modems.
    pub modems: Vec<ModemEntry>,
    /// `[discovery]`: where modems named by identity (or not named at all) are looked for.
    pub discovery: DiscoveryConfig,
    /// `[dispatch]`: balancing and retries.
    pub dispatch: DispatchConfig,
    /// `[[api_keys]]`: who may use the API (none: open, loopback only).
    pub api_keys: Vec<ApiKey>,
    /// `[inbox]`: inbound messages.
    pub inbox: InboxConfig,
    /// `[optout]`: the opt-out list's keywords and what it blocks.
    pub optout: OptoutConfig,
    /// `[otp]`: one-time codes, 2FA and their abuse limits.
    pub otp: OtpConfig,
    /// `[limits]`: send rate limits and duplicate suppression.
    pub limits: LimitsConfig,
    /// `[twilio_compat]`: the Twilio-compatible API (absent: not served).
    pub twilio_compat: Option<TwilioCompatConfig>,
    /// `[providers]`: cloud SMS providers (Twilio, AWS SNS, Vonage, Plivo).
    pub providers: ProvidersConfig,
    /// `[routing]`: route groups per SMS type and when to fall back to the next one.
    pub routing: RoutingConfig,
    /// `[callbacks]`: status callback delivery and where callbacks may go.
    pub callbacks: CallbacksConfig,
    /// `[conversations]`: idle close, retention, interchangeable routes for replies.
    pub conversations: ConversationsConfig,
    /// `[log]`: the log format.
    pub log: LogConfig,
    /// `[retention]`: how long texts and events are kept.
    pub retention: RetentionConfig,
    /// `[metrics]`: Prometheus scraping.
    pub metrics: MetricsConfig,
    /// `[webhooks]`: where webhook subscriptions may deliver, and their retries.
    pub webhooks: WebhooksConfig,
    /// `[keywords]`: keywords with a configured answer (HELP).
    pub keywords: KeywordsConfig,
    /// `[[auto_reply]]`: automatic-reply rules from the file (shown read-only by the API).
    pub auto_reply: Vec<AutoReplyRuleConfig>,
    /// `[auto_replies]`: the cool-down and the senders never answered.
    pub auto_replies: AutoRepliesConfig,
    /// `[ai]`: AI replies through an OpenAI-compatible endpoint (off by default).
    pub ai: AiConfig,
    /// `[analytics]`: the currency costs are reported in.
    pub analytics: AnalyticsConfig,
    /// `[console]`: the web console at `/ui/`.
    pub console: ConsoleConfig,
}

/// `[server]`: the HTTP API.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address and port to listen on (`127.0.0.1:8080`). A non-loopback address needs at
    /// least one API key.
    pub listen: SocketAddr,
    /// Origins allowed by CORS (`[]`: no cross-origin access; `"*"`: any).
    pub cors_origins: Vec<String>,
    /// Largest request body accepted, in bytes (8 MiB).
    pub max_body_bytes: usize,
    /// Time limit of one request, in milliseconds (30000).
    pub request_timeout_ms: u64,
    /// Longest message accepted, in segments (10; at most 255).
    pub max_segments: usize,
    /// Region of national numbers without `+` (ISO 3166 alpha-2 such as `"DE"`; none: only
    /// international numbers are accepted).
    pub default_region: Option<String>,
    /// `Host` header values served while no API key is configured, besides loopback
    /// (`localhost`, `127.0.0.1`, `[::1]`): an open API answers no other name, so a web page
    /// cannot reach it through a DNS-rebinding name.
    pub allowed_hosts: Vec<String>,
    /// Time a client has to send a request's headers, in milliseconds (10000); a connection
    /// that sends nothing is closed then.
    pub header_read_timeout_ms: u64,
    /// Connections served at once (512); more wait to be accepted.
    pub max_connections: usize,
    /// Also treat `custom_id` as an idempotency key (scoped to the API key, like the
    /// header). False (the default): it is only the client's label; retries are made safe
    /// with the `Idempotency-Key` header.
    pub custom_id_idempotency: bool,
}

/// `[storage]`: the database — an embedded SQLite file (the default) or a PostgreSQL
/// database shared by several nodes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// `sqlite` (the default) or `postgres`.
    pub backend: StorageBackend,
    /// The database file (`smsgate.db`, relative to the working directory); SQLite only.
    pub path: PathBuf,
    /// PostgreSQL: a libpq URL or key/value string without a password
    /// (`postgres://smsgate@db.example/smsgate`).
    pub url: Option<String>,
    /// PostgreSQL: a file holding the password (mode 0600); `SMSGATE_STORAGE_PASSWORD`
    /// is used when it is not set.
    pub password_file: Option<PathBuf>,
    /// PostgreSQL: connections used for reads (4); the writers have their own.
    pub pool_size: usize,
    /// PostgreSQL: writer connections for accepted messages (2), each committing its own
    /// groups, so that one group runs while another waits for its commit; every other write
    /// has one writer connection more.
    pub queue_writers: usize,
    /// PostgreSQL: longest a statement may run, in milliseconds (5000).
    pub statement_timeout_ms: u64,
    /// PostgreSQL: this node's name among the nodes sharing the database (the host name).
    pub node_id: Option<String>,
    /// PostgreSQL: a PEM file of the CA that signed the server's certificate (TLS); without
    /// it the system's roots are used. TLS itself follows the URL's `sslmode`.
    pub ssl_root_cert: Option<PathBuf>,
    /// What a commit survives.
    pub durability: Durability,
    /// Most writes grouped into one transaction (512).
    pub group_commit_max: usize,
    /// Encryption at rest: a file of 32 random bytes (raw or 64 hex digits, mode 0600)
    /// whose key seals message texts and PDUs in the database (none: not encrypted).
    pub encryption_key_file: Option<PathBuf>,
}

/// Which database `[storage]` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageBackend {
    /// An embedded SQLite file: one node.
    #[default]
    Sqlite,
    /// A PostgreSQL database: one or more nodes share queue, state and limits.
    Postgres,
}

impl StorageBackend {
    /// The name used in TOML and in `check-config`'s summary.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// What a committed write survives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Durability {
    /// fsync every commit (`synchronous=FULL`): survives power loss.
    #[default]
    Full,
    /// WAL with `synchronous=NORMAL`: survives a process crash, not power loss.
    Normal,
}

impl Durability {
    /// The name used in TOML and `SMSGATE_DURABILITY`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Normal => "normal",
        }
    }

    /// Parses [`Durability::as_str`]'s names.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "full" => Some(Self::Full),
            "normal" => Some(Self::Normal),
            _ => None,
        }
    }
}

impl fmt::Display for Durability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[simulator]`: the in-process simulated modem network.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimulatorConfig {
    /// Number of simulated modems (2), used only when no `[[modems]]` is configured; 0
    /// disables the simulator.
    pub modems: usize,
    /// Delay before a simulated `+CMGS` answers, min and max in milliseconds ((500, 500)).
    /// TOML accepts `500` or `[200, 800]`.
    #[serde(deserialize_with = "latency_range")]
    pub latency_ms: (u64, u64),
    /// Destinations starting with one of these get failed status reports.
    pub fail_prefixes: Vec<String>,
    /// Seed of the simulator's random choices (1).
    pub seed: u64,
    /// Cost of one segment on each simulated modem (0.0), as `[[modems]] cost_per_segment`.
    pub cost_per_segment: f64,
    /// The simulated modems are named this and their number (`sim` → `sim0`, `sim1`…).
    /// Nodes sharing a database need names of their own (`a` → `a0`…): a route name says
    /// which node has the modem.
    pub name_prefix: String,
    /// Balance and quota settings of simulated modems by name (`[simulator.modem_settings.sim0]`),
    /// the keys `[[modems]]` has for real ones.
    pub modem_settings: std::collections::BTreeMap<String, ModemAdminConfig>,
}

/// `[[modems]]`: one GSM modem.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModemEntry {
    /// Unique name (`[A-Za-z0-9_-]+`), used in logs, metrics and the API.
    pub name: String,
    /// `/dev/serial/by-id/…` (a serial device) or `tcp://host:port`; empty (left out):
    /// the modem is found by `imei`, `iccid` or `imsi` among `[discovery] ports`.
    #[serde(default)]
    pub port: String,
    /// The modem's IMEI (`+CGSN`): found by it on whatever port it appears.
    #[serde(default)]
    pub imei: Option<String>,
    /// The SIM's ICCID (`+CCID`): the modem holding this SIM.
    #[serde(default)]
    pub iccid: Option<String>,
    /// The SIM's IMSI (`+CIMI`): the modem holding this SIM.
    #[serde(default)]
    pub imsi: Option<String>,
    /// Serial speed (115200); ignored for TCP.
    #[serde(default = "default_baud")]
    pub baud: u32,
    /// SIM PIN (4–8 digits, a string), entered once if the SIM asks for it.
    #[serde(default)]
    pub pin: Option<Secret>,
    /// Most segments sent per minute (none: no limit).
    #[serde(default)]
    pub per_minute: Option<u32>,
    /// Most segments sent per hour.
    #[serde(default)]
    pub per_hour: Option<u32>,
    /// Most segments sent per day (SIM plans often cap this).
    #[serde(default)]
    pub per_day: Option<u32>,
    /// Share of traffic under the `weighted` strategy (1).
    #[serde(default = "one")]
    pub weight: u32,
    /// Cost of one segment, in any currency unit (0.0); reported, used to prefer cheap routes.
    #[serde(default)]
    pub cost_per_segment: f64,
    /// Destination prefixes this modem serves (`["+49", "+43"]`; `[]`: any destination).
    #[serde(default)]
    pub prefixes: Vec<String>,
    /// `+CNMI` settings to try in order (none: the driver's built-in list).
    #[serde(default)]
    pub cnmi: Option<Vec<String>>,
    /// Whether the daemon uses this modem (true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// USSD code answering the SIM's balance (`"*100#"`); see `docs/configuration.md`.
    #[serde(default)]
    pub balance_ussd: Option<String>,
    /// Where the amount is in the balance answer (a regex; `amount` group or the first).
    #[serde(default)]
    pub balance_regex: Option<String>,
    /// Seconds between balance checks (3600).
    #[serde(default)]
    pub balance_interval_secs: Option<u64>,
    /// Threshold below which the balance is low (`modem.balance_low`).
    #[serde(default)]
    pub balance_low: Option<f64>,
    /// A low balance takes the modem out of rotation (false).
    #[serde(default)]
    pub balance_low_disable: bool,
    /// Most segments per quota day.
    #[serde(default)]
    pub quota_per_day: Option<u64>,
    /// Most segments per quota month.
    #[serde(default)]
    pub quota_per_month: Option<u64>,
    /// Hour (UTC) the quota day starts (0).
    #[serde(default)]
    pub quota_reset_hour: Option<u8>,
    /// Day of month (1–28) the quota month starts (1).
    #[serde(default)]
    pub quota_reset_day: Option<u8>,
    /// Seconds a USSD request waits for the network (30).
    #[serde(default)]
    pub ussd_timeout_secs: Option<u64>,
}

/// A secret string (a SIM PIN): `Debug` and `Display` print `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself — only for the one place that needs it (the modem driver).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Secret;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string of digits")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Secret, E> {
                Ok(Secret::new(v))
            }
            // The value itself is not repeated in the error: it is a secret.
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Secret, E> {
                Err(E::custom(
                    "write the PIN as a string (pin = \"0000\") so leading zeros survive",
                ))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Secret, E> {
                self.visit_i64(0)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Secret, E> {
                self.visit_i64(0)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Secret, E> {
                Err(E::custom("expected the PIN as a string of digits"))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// How the dispatcher chooses a route (modem) for a message. Every strategy considers
/// only routes that are ready, have a free slot, have enough rate-limit allowance for all
/// the message's segments, and serve its destination prefix (`src/dispatch/balancer.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Each route in turn.
    RoundRobin,
    /// The route with the fewest messages in flight, then the fewest segments sent.
    #[default]
    LeastLoaded,
    /// Segments in proportion to `weight` (deterministically: the route furthest below
    /// its share goes next).
    Weighted,
    /// The route whose longest `prefixes` entry matches the destination, least loaded
    /// among equals (routes with `prefixes = []` serve any destination).
    Prefix,
    /// The same recipient always goes to the same route while it is available
    /// (rendezvous hashing: when a route comes or goes, only its own recipients move).
    Sticky,
}

impl Strategy {
    /// All strategies, for messages and docs.
    pub const ALL: [Strategy; 5] = [
        Self::RoundRobin,
        Self::LeastLoaded,
        Self::Weighted,
        Self::Prefix,
        Self::Sticky,
    ];

    /// The name used in TOML and `SMSGATE_STRATEGY`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RoundRobin => "round-robin",
            Self::LeastLoaded => "least-loaded",
            Self::Weighted => "weighted",
            Self::Prefix => "prefix",
            Self::Sticky => "sticky",
        }
    }

    /// Parses [`Strategy::as_str`]'s names.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[dispatch]`: balancing and retries.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DispatchConfig {
    /// How a modem is chosen (least-loaded).
    pub strategy: Strategy,
    /// Attempts before a message fails (5).
    pub max_attempts: u32,
    /// First retry delay in milliseconds (2000); doubles per attempt.
    pub backoff_initial_ms: u64,
    /// Longest retry delay in milliseconds (300000).
    pub backoff_max_ms: u64,
    /// Random share of a retry delay, 0..=1 (0.2: ±20 %).
    pub jitter: f64,
    /// How long a leased message stays with one sender before it is taken back (300 s).
    pub lease_seconds: u64,
    /// A message being sent when the daemon died is sent again (`at-least-once`) or failed
    /// (`at-most-once`).
    pub in_flight: InFlightPolicy,
    /// The same for OTP messages (`at-most-once`: a second code is worse than none).
    pub otp_in_flight: InFlightPolicy,
    /// Ask for status reports (true).
    pub status_reports: bool,
    /// How long a sent message waits for its status report, in hours (72).
    pub report_window_hours: u64,
    /// How often the idle dispatcher looks for due work, in milliseconds (200).
    pub poll_interval_ms: u64,
}

/// A configuration error: the key (a dotted path such as `modems[1].port`, or an
/// environment variable, or the file) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// `server.listen`, `modems[1].port`, `SMSGATE_LISTEN`, a file path…
    pub key: String,
    /// What is wrong, and what would be right.
    pub reason: String,
}

impl ConfigError {
    /// An error at `key`.
    pub fn new(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.reason)
    }
}

impl std::error::Error for ConfigError {}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)),
            cors_origins: Vec::new(),
            max_body_bytes: 8 * 1024 * 1024,
            request_timeout_ms: 30_000,
            max_segments: 10,
            default_region: None,
            allowed_hosts: Vec::new(),
            header_read_timeout_ms: 10_000,
            max_connections: 512,
            custom_id_idempotency: false,
        }
    }
}

impl StorageConfig {
    /// Which database, said without a password: `sqlite smsgate.db` or
    /// `postgres smsgate@db:5432/smsgate (node n1)`.
    pub fn describe(&self) -> String {
        match self.backend {
            StorageBackend::Sqlite => format!("sqlite {}", self.path.display()),
            StorageBackend::Postgres => {
                let place = self
                    .url
                    .as_deref()
                    .and_then(|u| u.parse::<postgres::Config>().ok())
                    .map(|c| {
                        let host = c
                            .get_hosts()
                            .first()
                            .map(|h| match h {
                                postgres::config::Host::Tcp(h) => h.clone(),
                                postgres::config::Host::Unix(p) => p.display().to_string(),
                            })
                            .unwrap_or_else(|| "localhost".into());
                        let port = c.get_ports().first().copied().unwrap_or(5432);
                        format!(
                            "{}@{host}:{port}/{}",
                            c.get_user().unwrap_or("?"),
                            c.get_dbname().unwrap_or("?")
                        )
                    })
                    .unwrap_or_else(|| "(no url)".into());
                format!("postgres {place} (node {})", self.node_name())
            }
        }
    }

    /// This node's id: `node_id`, else the host name.
    pub fn node_name(&self) -> String {
        self.node_id.clone().unwrap_or_else(host_name)
    }
}

/// The machine's host name (`/proc/sys/kernel/hostname`, else `HOSTNAME`, else `node`).
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "node".into())
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            backend: StorageBackend::Sqlite,
            path: PathBuf::from("smsgate.db"),
            url: None,
            password_file: None,
            pool_size: 4,
            queue_writers: 2,
            statement_timeout_ms: 5_000,
            node_id: None,
            ssl_root_cert: None,
            durability: Durability::Full,
            group_commit_max: 512,
            encryption_key_file: None,
        }
    }
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        Self {
            modems: 2,
            latency_ms: (500, 500),
            fail_prefixes: Vec::new(),
            seed: 1,
            cost_per_segment: 0.0,
            name_prefix: "sim".into(),
            modem_settings: Default::default(),
        }
    }
}

impl Default for DispatchConfig {
    fn default() -> Self {
        Self {
            strategy: Strategy::LeastLoaded,
            max_attempts: 5,
            backoff_initial_ms: 2_000,
            backoff_max_ms: 300_000,
            jitter: 0.2,
            lease_seconds: 300,
            in_flight: InFlightPolicy::AtLeastOnce,
            otp_in_flight: InFlightPolicy::AtMostOnce,
            status_reports: true,
            report_window_hours: 72,
            poll_interval_ms: 200,
        }
    }
}

impl ModemEntry {
    /// A modem with the given name and port and every other key at its default.
    pub fn new(name: impl Into<String>, port: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            port: port.into(),
            imei: None,
            iccid: None,
            imsi: None,
            baud: default_baud(),
            pin: None,
            per_minute: None,
            per_hour: None,
            per_day: None,
            weight: 1,
            cost_per_segment: 0.0,
            prefixes: Vec::new(),
            cnmi: None,
            enabled: true,
            balance_ussd: None,
            balance_regex: None,
            balance_interval_secs: None,
            balance_low: None,
            balance_low_disable: false,
            quota_per_day: None,
            quota_per_month: None,
            quota_reset_hour: None,
            quota_reset_day: None,
            ussd_timeout_secs: None,
        }
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn default_baud() -> u32 {
    115_200
}

fn one() -> u32 {
    1
}

fn yes() -> bool {
    true
}

/// `500` or `[200, 800]`.
fn latency_range<'de, D: Deserializer<'de>>(deserializer: D) -> Result<(u64, u64), D::Error> {
    struct Visitor;
    impl<'de> de::Visitor<'de> for Visitor {
        type Value = (u64, u64);
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("milliseconds as a number (500) or [min, max] ([200, 800])")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<(u64, u64), E> {
            Ok((v, v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<(u64, u64), E> {
            u64::try_from(v)
                .map(|v| (v, v))
                .map_err(|_| E::custom("latency cannot be negative"))
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<(u64, u64), A::Error> {
            let wrong = || de::Error::custom("expected [min, max]: two numbers of milliseconds");
            let min: u64 = seq.next_element()?.ok_or_else(wrong)?;
            let max: u64 = seq.next_element()?.ok_or_else(wrong)?;
            if seq.next_element::<de::IgnoredAny>()?.is_some() {
                return Err(wrong());
            }
            Ok((min, max))
        }
    }
    deserializer.deserialize_any(Visitor)
}

impl Default for Config {
    /// What `smsgate serve` uses without `--config`: the simulator with 2 modems, SQLite at
    /// `./smsgate.db`, HTTP on `127.0.0.1:8080`, no API keys.
    fn default() -> Self {
        Self {
            server: ServerConfig::default(),
            storage: StorageConfig::default(),
            simulator: SimulatorConfig::default(),
            modems: Vec::new(),
            discovery: DiscoveryConfig::default(),
            dispatch: DispatchConfig::default(),
            api_keys: Vec::new(),
            inbox: InboxConfig::default(),
            optout: OptoutConfig::default(),
            otp: OtpConfig::default(),
            limits: LimitsConfig::default(),
            twilio_compat: None,
            providers: ProvidersConfig::default(),
            routing: RoutingConfig::default(),
            callbacks: CallbacksConfig::default(),
            conversations: ConversationsConfig::default(),
            log: LogConfig::default(),
            retention: RetentionConfig::default(),
            metrics: MetricsConfig::default(),
            webhooks: WebhooksConfig::default(),
            keywords: KeywordsConfig::default(),
            auto_reply: Vec::new(),
            auto_replies: AutoRepliesConfig::default(),
            ai: AiConfig::default(),
            analytics: AnalyticsConfig::default(),
            console: ConsoleConfig::default(),
        }
    }
}

impl Config {
    /// Reads the file (`None`: the defaults), applies the `SMSGATE_*` variables of the
    /// process environment and validates.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let env = |name: &str| std::env::var(name).ok();
        match path {
            None => {
                let mut config = Config::default();
                env::apply(&mut config, &env)?;
                Ok(config)
            }
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    ConfigError::new(
                        path.display().to_string(),
                        format!("cannot read the config file: {e}"),
                    )
                })?;
                Self::from_toml(&text, &env)
            }
        }
    }

    /// Parses a TOML document, applies the overrides `env` returns for the `SMSGATE_*`
    /// names (see `docs/configuration.md`) and validates.
    pub fn from_toml(
        text: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut config: Config =
            toml::from_str(text).map_err(|e| toml_error::to_config_error(text, &e))?;
        env::apply(&mut config, env)?;
        Ok(config)
    }

    /// Whether the daemon runs on the in-process simulated network: no `[[modems]]`, no
    /// `[discovery] adopt_unknown` and `simulator.modems > 0`.
    pub fn uses_simulator(&self) -> bool {
        self.modems.is_empty() && !self.discovery.adopt_unknown && self.simulator.modems > 0
    }

    /// One line describing what the daemon would run, for `smsgate check-config` and the
    /// start-up log: `2 modems (m0 /dev/ttyUSB2, m1 tcp://…), strategy least-loaded,
    /// storage smsgate.db, listen 127.0.0.1:8080, 1 api key`. Never shows a secret.
    pub fn summary(&self) -> String {
        let routes = if self.uses_simulator() {
            format!("simulator with {}", plural(self.simulator.modems, "modem"))
        } else if self.modems.is_empty() {
            "no modems (simulator disabled)".to_string()
        } else {
            let list: Vec<String> = self
                .modems
                .iter()
                .map(|m| {
                    let off = if m.enabled { "" } else { " disabled" };
                    let port = if m.port.is_empty() {
                        m.locator()
                    } else {
                        m.port.clone()
                    };
                    format!("{} {port}{off}", m.name)
                })
                .collect();
            format!(
                "{} ({})",
                plural(self.modems.len(), "modem"),
                list.join(", ")
            )
        };
        let access = if self.api_keys.is_empty() {
            "no api keys (open API, loopback only)".to_string()
        } else {
            plural(self.api_keys.len(), "api key")
        };
        format!(
            "{routes}, strategy {}, storage {}, listen {}, {access}",
            self.dispatch.strategy,
            self.storage.describe(),
            self.server.listen
        )
    }

    /// Checks every rule of `docs/configuration.md`; the error names the first bad key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        validate::config(self)
    }
}

#[cfg(test)]
mod tests;
