//! `smsgate serve [--config FILE]`: the daemon. Without a config file it runs on two
//! simulated modems with SQLite at `./smsgate.db` and HTTP on `127.0.0.1:8080`, and says so
//! in its first log lines.

use anyhow::Context;
use clap::Args;
use smsgate::config::{Config, LogFormat};
use smsgate::daemon::{shutdown_signal, Daemon};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TOML configuration (docs/configuration.md). Default: simulated modems, ./smsgate.db.
    #[arg(long, env = "SMSGATE_CONFIG")]
    config: Option<PathBuf>,
    /// `text` or `json` (one object per line, for a log shipper); default `[log] format`.
    #[arg(long, env = "SMSGATE_LOG_FORMAT", value_enum)]
    log_format: Option<LogFormat>,
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let config = Config::load(args.config.as_deref());
    let format = args
        .log_format
        .or_else(|| config.as_ref().ok().map(|c| c.log.format))
        .unwrap_or_default();
    smsgate::telemetry::init_with("info", format);
    let config = config.map_err(super::config::config_error)?;
    tracing::info!("{}", config.summary());
    match &args.config {
        Some(path) => tracing::info!("configuration from {}", path.display()),
        None => tracing::info!("no --config given: using the defaults (docs/configuration.md)"),
    }
    if config.uses_simulator() {
        tracing::info!(
            "no [[modems]] configured: running on {} simulated modems (latency {}–{} ms); set [simulator] modems = 0 to disable",
            config.simulator.modems,
            config.simulator.latency_ms.0,
            config.simulator.latency_ms.1
        );
    }
    match config.storage.backend {
        smsgate::config::StorageBackend::Sqlite => tracing::info!(
            "storage: SQLite at {} (durability {})",
            config.storage.path.display(),
            config.storage.durability
        ),
        smsgate::config::StorageBackend::Postgres => tracing::info!(
            "storage: PostgreSQL {} (shared with the other nodes on it)",
            config.storage.describe()
        ),
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async {
        let daemon = Daemon::start(&config).await?;
        // SIGHUP and POST /api/admin/reload re-read the same file.
        daemon.enable_reload(args.config.clone(), &config);
        if let Some(sim) = &daemon.simulator {
            for i in 0..sim.modem_count() {
                tracing::info!("simulated modem sim{i} has number {}", sim.msisdn(i));
            }
        }
        daemon.serve(shutdown_signal()).await?;
        anyhow::Ok(())
    })
}
