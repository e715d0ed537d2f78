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
            options.queue_writers = storage.queue_writers;
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
    // No TLS over a Unix socket (as libpq): the socket is local and has no host name to
    // check a certificate against.
    let only_sockets = config
        .get_hosts()
        .iter()
        .all(|h| matches!(h, postgres::config::Host::Unix(_)));
    let tls = match config.get_ssl_mode() {
        postgres::config::SslMode::Disable => None,
        _ if only_sockets => None,
        _ => Some(tls(storage.ssl_root_cert.as_deref())?),
    };
    Ok(PgTarget {
        config,
        tls,
        statement_timeout: Duration::from_millis(storage.statement_timeout_ms),
        application_name: format!("smsgate {}", storage.node_name()),
    })
}

/// TLS to the server: its certificate verified against `root_cert` (a PEM file of the CA
/// that signed it) when given, else against the system's roots (rustls, aws-lc-rs).
fn tls(
    root_cert: Option<&std::path::Path>,
) -> Result<tokio_postgres_rustls::MakeRustlsConnect, StoreError> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::File(format!("TLS: {e}")))?;
    let config = match root_cert {
        Some(path) => {
            let failed = |e: String| {
                StoreError::File(format!("storage.ssl_root_cert {}: {e}", path.display()))
            };
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_file_iter(path).map_err(|e| failed(e.to_string()))? {
                let cert = cert.map_err(|e| failed(e.to_string()))?;
                roots.add(cert).map_err(|e| failed(e.to_string()))?;
            }
            if roots.is_empty() {
                return Err(failed("no certificate in the file".into()));
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        None => builder
            .with_platform_verifier()
            .map_err(|e| StoreError::File(format!("TLS: the system's roots: {e}")))?
            .with_no_client_auth(),
    };
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
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
