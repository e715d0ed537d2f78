//! Serving a simulated modem to a host: in-process (`tokio::io::duplex`), on TCP (each
//! accepted connection is a new port session), and on a pseudo-terminal whose slave side
//! a symlink points at, so the daemon opens it like a USB modem's tty.
//!
//! Never imports `at/`, `modem/` or anything higher. Invariants: a new session replaces the
//! previous one of the same modem (its output channel closes, so the old task ends); a
//! [`PtyGuard`] removes its symlink and ends its session when dropped; only a symlink is
//! ever removed, never a regular file.

use super::modem::CHANNEL_CAPACITY;
use super::{session, Inner, SimError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite, DuplexStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Buffer of each direction of an in-process port.
const DUPLEX_BUFFER: usize = 64 * 1024;

/// Starts a new session of `modem` on `stream`; returns its generation and task.
pub(crate) fn attach<S>(
    inner: &Arc<Inner>,
    modem: usize,
    stream: S,
) -> Result<(u64, JoinHandle<()>), SimError>
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let handle = tokio::runtime::Handle::try_current().map_err(|_| SimError::NoRuntime)?;
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    let generation = inner.modem(modem)?.open_session(tx);
    let task = handle.spawn(session::run(inner.clone(), modem, generation, stream, rx));
    Ok((generation, task))
}

/// The in-process port. On error the returned stream is already closed (reads give EOF).
pub(crate) fn connect(inner: &Arc<Inner>, modem: usize) -> DuplexStream {
    let (host, device) = tokio::io::duplex(DUPLEX_BUFFER);
    if let Err(error) = attach(inner, modem, device) {
        tracing::error!(modem, %error, "cannot open the simulated port");
    }
    host
}

/// Accepts connections forever; each one is a new session.
pub(crate) async fn serve_tcp(
    inner: Arc<Inner>,
    modem: usize,
    listener: tokio::net::TcpListener,
) -> std::io::Result<()> {
    inner.check(modem).map_err(std::io::Error::other)?;
    loop {
        let (stream, peer) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tracing::info!(modem, %peer, "simulated modem: TCP connection");
        attach(&inner, modem, stream).map_err(std::io::Error::other)?;
    }
}

/// Keeps a pseudo-terminal served; dropping it removes the symlink and ends the session.
pub struct PtyGuard {
    link: PathBuf,
    tty: PathBuf,
    inner: Arc<Inner>,
    modem: usize,
    generation: u64,
    task: JoinHandle<()>,
    // Held open so the master never sees a hang-up when the host closes its side.
    _slave: tokio_serial::SerialStream,
}

impl std::fmt::Debug for PtyGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PtyGuard")
            .field("link", &self.link)
            .field("tty", &self.tty)
            .field("modem", &self.modem)
            .finish_non_exhaustive()
    }
}

impl PtyGuard {
    /// The symlink.
    pub fn link(&self) -> &Path {
        &self.link
    }

    /// The slave tty the symlink points at.
    pub fn tty(&self) -> &Path {
        &self.tty
    }
}

impl Drop for PtyGuard {
    fn drop(&mut self) {
        self.task.abort();
        if let Ok(mut state) = self.inner.modem(self.modem) {
            state.close_session(self.generation);
        }
        if std::fs::symlink_metadata(&self.link).is_ok_and(|m| m.file_type().is_symlink()) {
            let _ = std::fs::remove_file(&self.link);
        }
    }
}

/// Serves `modem` on a new pseudo-terminal and points `link` at its slave side.
pub(crate) fn serve_pty(
    inner: &Arc<Inner>,
    modem: usize,
    link: &Path,
) -> std::io::Result<PtyGuard> {
    use tokio_serial::SerialPort;
    inner.check(modem).map_err(std::io::Error::other)?;
    // The slave is neither TIOCEXCL'd nor flock'd here, so the host may open it
    // exclusively, as serialport does by default.
    let (master, slave) = tokio_serial::SerialStream::pair().map_err(std::io::Error::other)?;
    let tty = slave
        .name()
        .map(PathBuf::from)
        .ok_or_else(|| std::io::Error::other("the pseudo-terminal has no name"))?;
    match std::fs::symlink_metadata(link) {
        Ok(meta) if meta.file_type().is_symlink() => std::fs::remove_file(link)?,
        Ok(_) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a symlink", link.display()),
            ))
        }
        Err(_) => {}
    }
    std::os::unix::fs::symlink(&tty, link)?;
    let (generation, task) = match attach(inner, modem, master) {
        Ok(started) => started,
        Err(error) => {
            let _ = std::fs::remove_file(link);
            return Err(std::io::Error::other(error));
        }
    };
    Ok(PtyGuard {
        link: link.to_path_buf(),
        tty,
        inner: inner.clone(),
        modem,
        generation,
        task,
        _slave: slave,
    })
}
