//! `smsgate backup FILE [--config CONFIG]`: an online, consistent copy of the database of
//! a running (or stopped) daemon — see `smsgate::store::backup`. SQLite only: a PostgreSQL
//! database is backed up with PostgreSQL's own tools.

use anyhow::Context;
use clap::Args;
use smsgate::config::Config;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Where to write the copy (replaced if it exists; written as FILE.partial first).
    file: PathBuf,
    /// The daemon's configuration, for `[storage] path` (default: as `smsgate serve`).
    #[arg(long, env = "SMSGATE_CONFIG")]
    config: Option<PathBuf>,
}

pub fn run(args: BackupArgs) -> anyhow::Result<()> {
    let config = Config::load(args.config.as_deref()).map_err(super::config::config_error)?;
    if config.storage.backend == smsgate::config::StorageBackend::Postgres {
        anyhow::bail!(
            "smsgate backup copies the SQLite file; this daemon uses PostgreSQL ({}): \
             back it up with pg_dump or the server's own backups (docs/scaling.md)",
            config.storage.describe()
        );
    }
    let report = smsgate::store::backup::backup(&config.storage.path, &args.file)
        .with_context(|| format!("backing up {}", config.storage.path.display()))?;
    println!(
        "ok: {} → {} ({} pages, {} bytes)",
        config.storage.path.display(),
        args.file.display(),
        report.pages,
        report.bytes
    );
    Ok(())
}
