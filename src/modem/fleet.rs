//! The fleet: the one shared, changing set of modem routes that the dispatcher, the
//! service (status, routes, readiness, metrics), the inbox's number lookup and the
//! `modem.up`/`modem.down` watcher read on each use.
//!
//! A snapshot is an `Arc<Vec<…>>` behind a `RwLock`: readers clone the `Arc` and never
//! hold the lock across an await; writers replace the whole vector. Every change bumps a
//! version on a `watch` channel so watchers can react (start watching a new modem, stop
//! watching a removed one).
//!
//! Invariants: names are unique within a snapshot; [`Fleet::remove`] first takes the modem
//! out of the snapshot (no new message is leased to it), then stops it — the send in
//! flight finishes under its AT deadlines, then the port closes. Never imports SQLite,
//! HTTP or the dispatcher.

use super::route::ModemRoute;
use crate::route::Route;
use std::sync::{Arc, PoisonError, RwLock};
use thiserror::Error;
use tokio::sync::watch;

/// Why a modem could not join the fleet.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum FleetError {
    /// Another modem already has the name.
    #[error("a modem named {0:?} is already in the fleet")]
    Duplicate(String),
}

struct Inner {
    members: RwLock<Arc<Vec<Arc<ModemRoute>>>>,
    version: watch::Sender<u64>,
}

/// The shared modem set (cheap to clone).
#[derive(Clone)]
pub struct Fleet(Arc<Inner>);

impl Default for Fleet {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl Fleet {
    /// A fleet of these modems (names must be unique; later duplicates are dropped).
    pub fn new(modems: Vec<Arc<ModemRoute>>) -> Self {
        let mut unique: Vec<Arc<ModemRoute>> = Vec::with_capacity(modems.len());
        for m in modems {
            if !unique.iter().any(|u| u.name() == m.name()) {
                unique.push(m);
            }
        }
        let (version, _) = watch::channel(0);
        Self(Arc::new(Inner {
            members: RwLock::new(Arc::new(unique)),
            version,
        }))
    }

    /// The modems now, in the order they joined.
    pub fn snapshot(&self) -> Arc<Vec<Arc<ModemRoute>>> {
        self.0
            .members
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The modems now, as dispatch routes.
    pub fn routes(&self) -> Vec<Arc<dyn Route>> {
        self.snapshot()
            .iter()
            .map(|m| m.clone() as Arc<dyn Route>)
            .collect()
    }

    /// The modem called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<ModemRoute>> {
        self.snapshot().iter().find(|m| m.name() == name).cloned()
    }

    /// The names of the modems now.
    pub fn names(&self) -> Vec<String> {
        self.snapshot()
            .iter()
            .map(|m| m.name().to_string())
            .collect()
    }

    /// Adds a running modem; it takes traffic as soon as it is `ready`.
    pub fn add(&self, modem: Arc<ModemRoute>) -> Result<(), FleetError> {
        {
            let mut members = self
                .0
                .members
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            if members.iter().any(|m| m.name() == modem.name()) {
                return Err(FleetError::Duplicate(modem.name().to_string()));
            }
            let mut next = members.as_ref().clone();
            next.push(modem);
            *members = Arc::new(next);
        }
        self.0.version.send_modify(|v| *v = v.wrapping_add(1));
        Ok(())
    }

    /// Takes the modem out of the snapshot without stopping it (the caller stops it).
    pub fn detach(&self, name: &str) -> Option<Arc<ModemRoute>> {
        let removed = {
            let mut members = self
                .0
                .members
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            let position = members.iter().position(|m| m.name() == name)?;
            let mut next = members.as_ref().clone();
            let removed = next.remove(position);
            *members = Arc::new(next);
            removed
        };
        self.0.version.send_modify(|v| *v = v.wrapping_add(1));
        Some(removed)
    }

    /// Removes the modem: no new lease goes to it, the send in flight finishes, the port
    /// closes. False when no modem has the name.
    pub async fn remove(&self, name: &str) -> bool {
        match self.detach(name) {
            Some(modem) => {
                modem.modem().stop().await;
                true
            }
            None => false,
        }
    }

    /// A receiver that changes whenever a modem joins or leaves.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.0.version.subscribe()
    }

    /// Stops every modem (daemon shutdown); the fleet is empty afterwards.
    pub async fn stop_all(&self) {
        for name in self.names() {
            self.remove(&name).await;
        }
    }
}
