//! The daemon the in-process test modules drive: a real `Daemon` (SQLite in a temporary
//! directory, the simulated modem network without latency, a 20 ms dispatch poll) behind its
//! router, with a clock the test can move forward. Each module tweaks the configuration
//! and adds the waits its tests need (`/readyz`, every modem ready) on top.

use smsgate::config::Config;
use smsgate::daemon::Daemon;
use smsgate::http::App;
use smsgate::message::now_millis;
use smsgate::service::{Clock, Service};
use smsgate::sim::SimNetwork;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A running daemon and what a test reaches it through.
pub struct TestDaemon {
    daemon: Option<Daemon>,
    /// The HTTP API, called in process.
    pub app: App,
    /// The data directory (database, `otp.key`); kept until the test ends.
    pub dir: tempfile::TempDir,
    /// Milliseconds the façade's clock is ahead of the system clock.
    skew: Arc<AtomicI64>,
}

/// The configuration tests start from, with the database in `dir`.
pub fn test_config(dir: &tempfile::TempDir) -> Config {
    let mut config = Config::default();
    config.storage.path = dir.path().join("smsgate.db");
    config.simulator.latency_ms = (0, 0);
    config.dispatch.poll_interval_ms = 20;
    config
}

impl TestDaemon {
    /// Starts a daemon on [`test_config`] changed by `tweak`, and waits until every modem
    /// has left `initialising`.
    pub async fn start(tweak: impl FnOnce(&mut Config)) -> TestDaemon {
        let dir = tempfile::tempdir().unwrap();
        let mut config = test_config(&dir);
        tweak(&mut config);
        Self::start_in(dir, config).await
    }

    /// Starts a daemon on `config` with its data in `dir` (a restart reuses a directory).
    pub async fn start_in(dir: tempfile::TempDir, config: Config) -> TestDaemon {
        config.validate().expect("a valid test config");
        let skew = Arc::new(AtomicI64::new(0));
        let clock_skew = skew.clone();
        let clock = Clock::from_fn(move || now_millis() + clock_skew.load(Ordering::SeqCst));
        let daemon = Daemon::start_with_clock(&config, clock)
            .await
            .expect("daemon starts");
        daemon
            .service
            .wait_for_modems(Duration::from_secs(10))
            .await;
        TestDaemon {
            app: daemon.router(),
            daemon: Some(daemon),
            dir,
            skew,
        }
    }

    /// The daemon.
    pub fn daemon(&self) -> &Daemon {
        self.daemon.as_ref().expect("running")
    }

    /// Its façade.
    pub fn service(&self) -> &Service {
        &self.daemon().service
    }

    /// The simulated network it runs on.
    pub fn sim(&self) -> SimNetwork {
        self.daemon()
            .simulator
            .clone()
            .expect("runs on the simulator")
    }

    /// Moves the façade's clock forward (expiry, cooldowns, limits) without waiting.
    pub fn advance(&self, by: Duration) {
        self.skew
            .fetch_add(i64::try_from(by.as_millis()).unwrap(), Ordering::SeqCst);
    }

    /// Stops the daemon; the data directory lives on in what is returned.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(d) = self.daemon.take() {
            d.stop().await;
        }
        self.dir
    }
}
