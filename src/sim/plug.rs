//! Unplugging and plugging simulated modems served on pseudo-terminals, as a USB stick
//! is pulled and pushed back: unplug closes the pty master and removes the symlink (the
//! host reading the slave sees the port vanish); plug makes a new pty and link, at the old
//! path or another one (a stick that re-enumerates as another ttyUSB).
//!
//! Never imports `at/`, `modem/` or anything higher. Invariant: at most one pty per modem.

use super::serve::PtyGuard;
use super::SimNetwork;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// The ptys of a network's modems, by index.
pub struct PtyPlugs {
    network: SimNetwork,
    /// Per modem: the pty now (None: unplugged) and the last link path.
    slots: Mutex<Vec<(Option<PtyGuard>, Option<PathBuf>)>>,
}

/// Why a plug or unplug was refused.
#[derive(Debug, thiserror::Error)]
pub enum PlugError {
    /// No modem has that index.
    #[error("no simulated modem {0}")]
    NoSuchModem(usize),
    /// Already unplugged.
    #[error("modem {0} is not plugged in")]
    NotPlugged(usize),
    /// No path given, and none known.
    #[error("modem {0} has no previous path: give one")]
    NoPath(usize),
    /// Making the pty or the link failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl PtyPlugs {
    /// No modem plugged in yet.
    pub fn new(network: SimNetwork) -> Self {
        let slots = (0..network.modem_count()).map(|_| (None, None)).collect();
        Self {
            network,
            slots: Mutex::new(slots),
        }
    }

    /// Serves `modem` on a new pty linked at `path` (its last path when `None`); an
    /// existing pty of the modem is unplugged first. Returns the link.
    pub fn plug(&self, modem: usize, path: Option<&Path>) -> Result<PathBuf, PlugError> {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = slots.get_mut(modem).ok_or(PlugError::NoSuchModem(modem))?;
        let link = match path {
            Some(p) => p.to_path_buf(),
            None => slot.1.clone().ok_or(PlugError::NoPath(modem))?,
        };
        // The old pty goes first: its link may be the path asked for.
        slot.0 = None;
        let guard = self.network.serve_pty(modem, &link)?;
        tracing::info!(modem, link = %link.display(), tty = %guard.tty().display(), "simulated modem plugged in");
        *slot = (Some(guard), Some(link.clone()));
        Ok(link)
    }

    /// Closes the modem's pty and removes its link. Returns the link it had.
    pub fn unplug(&self, modem: usize) -> Result<PathBuf, PlugError> {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = slots.get_mut(modem).ok_or(PlugError::NoSuchModem(modem))?;
        let guard = slot.0.take().ok_or(PlugError::NotPlugged(modem))?;
        let link = guard.link().to_path_buf();
        drop(guard);
        tracing::info!(modem, link = %link.display(), "simulated modem unplugged");
        Ok(link)
    }

    /// Where the modem is plugged in now.
    pub fn path(&self, modem: usize) -> Option<PathBuf> {
        let slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        slots
            .get(modem)
            .and_then(|(g, _)| g.as_ref().map(|g| g.link().to_path_buf()))
    }

    /// Unplugs every modem (process exit: the links are removed).
    pub fn unplug_all(&self) {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        for slot in slots.iter_mut() {
            slot.0 = None;
        }
    }
}
