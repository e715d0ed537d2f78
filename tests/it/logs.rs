//! What reaches the logs, for the tests that check it: a capture of every line, and a way
//! to run a test in a process of its own. Tracing decides once per process and call site
//! whether anyone listens, so a capture installed while other tests run in parallel can
//! miss lines (a thread-local subscriber did, now and then); a child process that installs
//! the capture as its global subscriber before anything logs sees them all.

use std::sync::{Arc, Mutex};

/// Every log line written to it.
#[derive(Clone, Default)]
pub struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl CapturedLog {
    /// Installs a capture of everything (TRACE and up, no colours) as the process's
    /// subscriber. Only in a process of its own (see [`in_own_process`]).
    pub fn install() -> CapturedLog {
        let log = CapturedLog::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        log
    }

    /// What was logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for CapturedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const CHILD: &str = "SMSGATE_TEST_ALONE";

/// `true` in the child: run the test's body there. In the parent, runs this test binary
/// again filtered to `test` (its path, `module::name`), asserts that the child passed, and
/// returns `false`.
pub fn in_own_process(test: &str) -> bool {
    if std::env::var(CHILD).is_ok_and(|t| t == test) {
        return true;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--test-threads=1"])
        .env(CHILD, test)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("1 passed"),
        "the child ran no test:\n{stdout}"
    );
    false
}
