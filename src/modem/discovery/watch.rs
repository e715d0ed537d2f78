//! The discovery loop: a pass at start, then on file-system events in the globs' parent
//! directories (inotify through the `notify` crate; a burst of events — a stick brings
//! several interfaces and by-id links — is debounced into one pass), on request
//! ([`super::FleetManager::request_scan`]), and on the slow `rescan_secs` timer that backs
//! up the watch (a directory that did not exist yet, a lost event). Never a busy poll.
//!
//! Never imports SQLite, HTTP or the dispatcher; all decisions are the manager's.

use super::FleetManager;
use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// Quiet time after a file-system event before the pass runs.
pub const DEBOUNCE: Duration = Duration::from_millis(300);

/// After a pass that events started, one more this much later: udev sets a new node's
/// group and mode just after creating it, and a stick's interfaces and links come one by
/// one.
pub const FOLLOW_UP: Duration = Duration::from_secs(2);

/// Watches the parent directories that exist now; returns those watched.
fn watch_dirs(watcher: &mut RecommendedWatcher, dirs: &[PathBuf], watched: &mut HashSet<PathBuf>) {
    for dir in dirs {
        if watched.contains(dir) || !dir.is_dir() {
            continue;
        }
        match watcher.watch(dir, RecursiveMode::NonRecursive) {
            Ok(()) => {
                debug!(dir = %dir.display(), "watching for modems");
                watched.insert(dir.clone());
            }
            Err(e) => warn!(dir = %dir.display(), "cannot watch for modems: {e}"),
        }
    }
}

/// Runs discovery passes until `cancel`.
pub async fn run(manager: FleetManager, cancel: CancellationToken) {
    let d = manager.discovery().clone();
    let mut dirs = manager.watch_dirs().await;
    // One slot: a pending "something changed" is all the loop needs to know.
    let (tx, mut rx) = mpsc::channel::<()>(1);
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        // Names appearing, vanishing or renamed; not writes to the ttys themselves.
        let relevant = |kind: &notify::EventKind| {
            matches!(
                kind,
                notify::EventKind::Create(_)
                    | notify::EventKind::Remove(_)
                    | notify::EventKind::Modify(notify::event::ModifyKind::Name(_))
            )
        };
        if event.is_ok_and(|e| relevant(&e.kind)) {
            let _ = tx.try_send(());
        }
    });
    let mut watcher = match watcher {
        Ok(w) => Some(w),
        Err(e) => {
            warn!("no file-system watch ({e}); discovery relies on the rescan timer");
            None
        }
    };
    let mut watched = HashSet::new();
    if let Some(w) = watcher.as_mut() {
        watch_dirs(w, &dirs, &mut watched);
    }
    info!(ports = ?d.ports, rescan_secs = d.rescan_secs, "modem discovery running");
    let mut rescan = tokio::time::interval(Duration::from_secs(d.rescan_secs));
    rescan.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut follow_up: Option<tokio::time::Instant> = None;
    loop {
        manager.scan().await;
        let follow = async {
            match follow_up {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = cancel.cancelled() => return,
            () = follow => {
                follow_up = None;
                continue;
            }
            _ = rescan.tick() => {
                // Directories that appeared since (the first by-id link) are watched now,
                // and those of ports a reload configured.
                dirs = manager.watch_dirs().await;
                if let Some(w) = watcher.as_mut() {
                    watch_dirs(w, &dirs, &mut watched);
                }
            }
            () = manager.0.rescan.notified() => {}
            Some(()) = rx.recv() => {
                // Debounce: wait until the burst is over.
                loop {
                    tokio::select! {
                        () = cancel.cancelled() => return,
                        () = tokio::time::sleep(DEBOUNCE) => break,
                        Some(()) = rx.recv() => {}
                    }
                }
                follow_up = Some(tokio::time::Instant::now() + DEBOUNCE + FOLLOW_UP);
            }
        }
    }
}
