//! Logging setup: `tracing` to stderr, filtered by `SMSGATE_LOG` (or `RUST_LOG`), e.g.
//! `SMSGATE_LOG=smsgate::at=debug` shows every AT line written (`w:`) and read (`r:`).
//!
//! Under systemd stderr goes to the journal, which adds its own time stamps.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls are ignored (tests call it freely).
pub fn init(default_filter: &str) {
    let filter = std::env::var("SMSGATE_LOG")
        .ok()
        .or_else(|| std::env::var("RUST_LOG").ok())
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(default_filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal; the journal and log files get plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(true)
        .try_init();
}
