//! Logging setup: `tracing` to stderr, filtered by `SMSGATE_LOG` (or `RUST_LOG`), e.g.
//! `SMSGATE_LOG=smsgate::at=debug` shows every AT line written (`w:`) and read (`r:`).
//!
//! Two formats: `text` for people (under systemd stderr goes to the journal, which adds
//! its own time stamps) and `json` — one object per line with the time, level, target,
//! fields and the enclosing spans (`modem`, `send` with the message id) — for a log
//! shipper. Neither ever carries a message body, an OTP code or a secret: those are never
//! put in a log field to begin with.

use tracing_subscriber::EnvFilter;

pub use crate::config::LogFormat;

/// Installs the global subscriber once; later calls are ignored (tests call it freely).
pub fn init(default_filter: &str) {
    init_with(default_filter, LogFormat::Text);
}

/// [`init`] in the given format.
pub fn init_with(default_filter: &str, format: LogFormat) {
    let filter = std::env::var("SMSGATE_LOG")
        .ok()
        .or_else(|| std::env::var("RUST_LOG").ok())
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true);
    let _ = match format {
        // Colours only for a person at a terminal; the journal and log files get plain text.
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .try_init(),
    };
}
