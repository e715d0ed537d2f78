//! Opening the configured store: the SQLite file, or the PostgreSQL database shared with
//! other nodes — its password read from `storage.password_file` or
//! `SMSGATE_STORAGE_PASSWORD`, never from the URL and never logged.

use super::DaemonError;
use crate::config::{StorageBackend, StorageConfig};
use crate::store::{PgTarget, Store, StoreError, StoreOptions};
use std::time::Duration;

/// The variable that carries the PostgreSQL password when no file is configured.
pub const PASSWORD_VARIABLE: &str = "SMSGATE_STORAGE_PASSWORD";

/// Opens the store `storage` describes.
pub async fn open(
    storage: &StorageConfig,
    mut options: StoreOptions,
) -> Result<Store, DaemonError> {
    let failed = |source: StoreError| DaemonError::Store {
        path: storage.describe(),
        source,
    };
    match storage.backend {
        StorageBackend::Sqlite => Store::open(&storage.path, options).await.map_err(failed),
        StorageBackend::Postgres => {
            let target = postgres_target(storage).map_err(failed)?;
            options.readers = storage.pool_size;
            options.node_id = Some(storage.node_name());
            Store::open_postgres(target, options).await.map_err(failed)
        }
    }
}

/// Where and how to connect: the URL, the password, this node's name on its sessions, and
/// the statement timeout.
pub fn postgres_target(storage: &StorageConfig) -> Result<PgTarget, StoreError> {
    let url = storage
        .url
        .as_deref()
        .ok_or_else(|| StoreError::File("storage.url is not set".into()))?;
    let mut config: postgres::Config = url
        .parse()
        .map_err(|_| StoreError::File("storage.url is not a PostgreSQL URL".into()))?;
    if let Some(password) = password(storage)? {
        config.password(password);
    }
    config.connect_timeout(Duration::from_secs(5));
    Ok(PgTarget {
        config,
        statement_timeout: Duration::from_millis(storage.statement_timeout_ms),
        application_name: format!("smsgate {}", storage.node_name()),
    })
}

/// The password: the file's first line, else the variable, else none (trust or peer auth).
fn password(storage: &StorageConfig) -> Result<Option<String>, StoreError> {
    if let Some(file) = &storage.password_file {
        let text = std::fs::read_to_string(file).map_err(|e| {
            StoreError::File(format!("storage.password_file {}: {e}", file.display()))
        })?;
        let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
        return Ok(Some(line.to_string()));
    }
    Ok(std::env::var(PASSWORD_VARIABLE)
        .ok()
        .filter(|p| !p.is_empty()))
}
