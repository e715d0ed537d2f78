//! The daemon's background tasks, by name: tracked so that `stop` can wait for them all and,
//! should some not end in time, say which.
//!
//! Invariants: a task's name is listed from its spawn until its future ends or is dropped
//! (aborted); [`Tasks::wait`] returns once every spawned task has ended and the set is closed.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;

/// The tracked tasks (cheap to clone: every clone is the same set).
#[derive(Clone, Default)]
pub struct Tasks {
    tracker: TaskTracker,
    running: Arc<Mutex<BTreeMap<&'static str, usize>>>,
}

type Running = Arc<Mutex<BTreeMap<&'static str, usize>>>;

/// The list, whether or not a task panicked while holding it.
fn lock(running: &Running) -> std::sync::MutexGuard<'_, BTreeMap<&'static str, usize>> {
    match running.lock() {
        Ok(running) => running,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Takes the name off the list when its task ends, however it ends.
struct Listed {
    name: &'static str,
    running: Running,
}

impl Drop for Listed {
    fn drop(&mut self) {
        let mut running = lock(&self.running);
        if let Some(n) = running.get_mut(self.name) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                running.remove(self.name);
            }
        }
    }
}

impl Tasks {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Spawns `task` under `name`.
    pub fn spawn<F>(&self, name: &'static str, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        *lock(&self.running).entry(name).or_default() += 1;
        let listed = Listed {
            name,
            running: Arc::clone(&self.running),
        };
        self.tracker.spawn(async move {
            let _listed = listed;
            task.await
        })
    }

    /// No more tasks will be spawned: [`Tasks::wait`] may return.
    pub fn close(&self) {
        self.tracker.close();
    }

    /// Until every task has ended (after [`Tasks::close`]).
    pub async fn wait(&self) {
        self.tracker.wait().await;
    }

    /// The names of the tasks still running, with their counts when more than one.
    pub fn running(&self) -> String {
        lock(&self.running)
            .iter()
            .map(|(name, n)| match n {
                1 => (*name).to_string(),
                n => format!("{name} ×{n}"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_task_is_listed_until_it_ends_or_is_aborted() {
        let tasks = Tasks::new();
        let (release, wait) = tokio::sync::oneshot::channel::<()>();
        tasks.spawn("webhooks", async move {
            let _ = wait.await;
        });
        let stuck = tasks.spawn("retention", std::future::pending::<()>());
        tasks
            .spawn("retention", std::future::pending::<()>())
            .abort();
        tokio::task::yield_now().await;
        assert_eq!(tasks.running(), "retention, webhooks");
        let _ = release.send(());
        stuck.abort();
        tasks.close();
        tasks.wait().await;
        assert_eq!(tasks.running(), "");
    }
}
