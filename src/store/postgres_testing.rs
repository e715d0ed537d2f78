//! A PostgreSQL server for tests (unit tests here and the integration tests in `tests/it`):
//! `SMSGATE_TEST_PG_URL` when set, else a throwaway cluster started on first use, one per
//! test process, from the PostgreSQL binaries Debian installs under
//! `/usr/lib/postgresql/<version>/bin` (the highest version found).
//!
//! Owns: finding the binaries, `initdb`, starting and stopping the server, creating empty
//! databases, and the skip / require policy (`SKIPPED: …` on a developer's machine without
//! PostgreSQL; a failure when `CI` or `SMSGATE_REQUIRE_POSTGRES` is set).
//! Std only: no PostgreSQL driver — databases are created with `psql`.
//!
//! As root (here and in CI) the cluster is owned by and run as an unprivileged user
//! (`postgres` when it exists, else `nobody`) through `setpriv`: `initdb`, `pg_ctl` and
//! `postgres` refuse to run as root. `setpriv` (util-linux) switches ids without PAM, so it
//! needs no login shell, home or session set-up for that user.
//!
//! Invariant: no server outlives the test process. A `static` is never dropped, so a `Drop`
//! cannot stop the shared cluster; instead each cluster gets a watchdog, a `sh` loop in its
//! own process group (a Ctrl-C to the test's group does not kill it) that polls
//! `kill -0 <test pid>` and, once the test process is gone however it ended (even by
//! SIGKILL), stops the server with `pg_ctl -m immediate` and removes the directory.

use std::fs;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The role `initdb` creates; every URL connects as it (trust authentication).
const SUPERUSER: &str = "smsgate";
/// Longest wait for the server to accept connections after `pg_ctl` said it started.
const READY_WITHIN: Duration = Duration::from_secs(30);
/// Seconds `pg_ctl -w` waits for a start or stop.
const PG_CTL_TIMEOUT: &str = "60";
/// Settings for tests: durability off (a crash loses a throwaway cluster anyway), room for
/// many pooled connections from tests running in parallel.
const SETTINGS: &str = "fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
shared_buffers = 64MB
listen_addresses = '127.0.0.1'
";

static SERVER: OnceLock<Result<TestServer, String>> = OnceLock::new();
static DATABASES: AtomicU64 = AtomicU64::new(0);

/// A PostgreSQL server for tests: `SMSGATE_TEST_PG_URL` when set, else one throwaway
/// cluster per test process, started on first use. `None` = not available (the caller
/// decides to skip; see [`require`]).
pub fn server() -> Option<&'static TestServer> {
    shared().as_ref().ok()
}

/// Returns the server, or: prints `SKIPPED: <test>: no PostgreSQL (<reason>)` and returns
/// `None` when neither `CI` nor `SMSGATE_REQUIRE_POSTGRES` is set; panics with the reason
/// when either is set (a skip in CI is a failure).
pub fn require(test: &str) -> Option<&'static TestServer> {
    match shared() {
        Ok(server) => Some(server),
        Err(reason) => {
            skip_or_fail(test, reason);
            None
        }
    }
}

/// A cluster of the caller's own (never `SMSGATE_TEST_PG_URL`), stopped and removed when
/// the value is dropped: for tests that stop or restart the server, which would break the
/// other tests of the process on the shared one. Skip / fail as [`require`].
pub fn require_private(test: &str) -> Option<TestServer> {
    match Cluster::create(false).map(TestServer::local) {
        Ok(server) => Some(server),
        Err(reason) => {
            skip_or_fail(test, &reason);
            None
        }
    }
}

/// A private cluster (as [`require_private`]) that also serves TLS (`ssl = on`) with a
/// certificate for `127.0.0.1` and `localhost` signed by a test CA, made with the `openssl`
/// tool; returns the server and the CA's PEM file (what a client must trust).
pub fn require_private_tls(test: &str) -> Option<(TestServer, PathBuf)> {
    match Cluster::create(true) {
        Ok(cluster) => {
            let cert = cluster.data().join("ca.crt");
            Some((TestServer::local(cluster), cert))
        }
        Err(reason) => {
            skip_or_fail(test, &reason);
            None
        }
    }
}

/// The variable that runs the store's own test suite on PostgreSQL: with
/// `SMSGATE_TEST_STORE=postgres`, `Store::open_memory` and the store's unit-test
/// connections each get a new database on [`server`] instead of a private SQLite file.
pub const TEST_STORE_VARIABLE: &str = "SMSGATE_TEST_STORE";

/// The URL of a new database when the store's suite runs on PostgreSQL, else `None`.
/// Panics when PostgreSQL was asked for and there is none: a suite asked to run on
/// PostgreSQL must not pass on SQLite instead.
#[allow(clippy::panic)]
pub fn test_backend() -> Option<String> {
    match std::env::var(TEST_STORE_VARIABLE).as_deref() {
        Ok("postgres") => match shared() {
            Ok(server) => Some(server.new_database()),
            Err(reason) => panic!("{TEST_STORE_VARIABLE}=postgres but no PostgreSQL: {reason}"),
        },
        _ => None,
    }
}

fn shared() -> &'static Result<TestServer, String> {
    SERVER.get_or_init(|| match std::env::var("SMSGATE_TEST_PG_URL") {
        Ok(url) if !url.trim().is_empty() => TestServer::external(url.trim()),
        _ => Cluster::create(false).map(TestServer::local),
    })
}

#[allow(clippy::panic)] // a missing server where one is required fails the test, by design
fn skip_or_fail(test: &str, reason: &str) {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if set("CI") || set("SMSGATE_REQUIRE_POSTGRES") {
        panic!("{test}: no PostgreSQL, and CI or SMSGATE_REQUIRE_POSTGRES is set: {reason}");
    }
    eprintln!("SKIPPED: {test}: no PostgreSQL ({reason})");
}

/// A PostgreSQL server tests can create databases on.
pub struct TestServer {
    /// `postgres://user@host:port`, without a database.
    base: String,
    /// What follows the database in the URL (`?sslmode=…`), or "".
    query: String,
    /// The database `psql` connects to for `CREATE DATABASE`.
    admin_db: String,
    psql: PathBuf,
    /// `None` for `SMSGATE_TEST_PG_URL`; the lock serialises stop / start.
    cluster: Option<Mutex<Cluster>>,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl TestServer {
    fn external(url: &str) -> Result<TestServer, String> {
        let psql = find_psql().ok_or("SMSGATE_TEST_PG_URL is set but psql is not installed")?;
        let scheme_end = url
            .find("://")
            .ok_or_else(|| format!("SMSGATE_TEST_PG_URL is not a postgres:// URL: {url}"))?
            + 3;
        let rest = url.get(scheme_end..).unwrap_or_default();
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        let (path, query) = match tail.find('?') {
            Some(q) => tail.split_at(q),
            None => (tail, ""),
        };
        let db = path.trim_start_matches('/');
        let server = TestServer {
            base: format!("{}{authority}", url.get(..scheme_end).unwrap_or_default()),
            query: query.to_owned(),
            admin_db: if db.is_empty() { "postgres" } else { db }.to_owned(),
            psql,
            cluster: None,
        };
        server
            .psql(&server.admin_db, "SELECT 1")
            .map_err(|e| format!("SMSGATE_TEST_PG_URL does not answer: {e}"))?;
        Ok(server)
    }

    fn local(cluster: Cluster) -> TestServer {
        TestServer {
            base: format!("postgres://{SUPERUSER}@127.0.0.1:{}", cluster.port),
            query: String::new(),
            admin_db: "postgres".to_owned(),
            psql: cluster.psql.clone(),
            cluster: Some(Mutex::new(cluster)),
        }
    }

    /// A new empty database on it (`CREATE DATABASE` with a unique name), as a libpq URL:
    /// `postgres://USER@127.0.0.1:PORT/NAME`.
    #[allow(clippy::panic)] // tests cannot go on without it
    pub fn new_database(&self) -> String {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        // Unique across processes too: SMSGATE_TEST_PG_URL may be shared by several runs.
        let name = format!(
            "t_{}_{}_{nanos:08x}",
            std::process::id(),
            DATABASES.fetch_add(1, Ordering::Relaxed)
        );
        if let Err(e) = self.psql(&self.admin_db, &format!("CREATE DATABASE {name}")) {
            panic!("CREATE DATABASE {name}: {e}");
        }
        self.url_for(&name)
    }

    /// The URL of database `db` on this server.
    pub fn url_for(&self, db: &str) -> String {
        format!("{}/{db}{}", self.base, self.query)
    }

    /// Runs one SQL command with `psql` on database `db`; its output (unaligned, tuples
    /// only) or the error with psql's message.
    pub fn psql(&self, db: &str, sql: &str) -> Result<String, String> {
        let out = Command::new(&self.psql)
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(self.url_for(db))
            .args(["-c", sql])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("{}: {e}", self.psql.display()))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(format!(
                "psql {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    /// Stops and starts the server again (for "database restart under load" tests).
    pub fn restart(&self) {
        let cluster = self.lock_cluster("restart");
        let stopped = cluster.stop("fast");
        check("stop", stopped);
        check("start", cluster.start());
    }

    /// Stops the server (fast shutdown: open connections are ended).
    pub fn stop(&self) {
        check("stop", self.lock_cluster("stop").stop("fast"));
    }

    /// Starts the server again after [`TestServer::stop`], on the same port.
    pub fn start(&self) {
        check("start", self.lock_cluster("start").start());
    }

    #[allow(clippy::panic)] // misuse in a test fails it with a clear message
    fn lock_cluster(&self, what: &str) -> std::sync::MutexGuard<'_, Cluster> {
        let Some(cluster) = &self.cluster else {
            panic!(
                "TestServer::{what}: the server is SMSGATE_TEST_PG_URL ({}), which tests \
                 do not stop or start; unset it to use a throwaway cluster",
                self.base
            );
        };
        cluster
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[allow(clippy::panic)] // a server that cannot be stopped or started fails the test
fn check(what: &str, result: Result<(), String>) {
    if let Err(e) = result {
        panic!("PostgreSQL test cluster {what}: {e}");
    }
}

impl Drop for TestServer {
    // Only private clusters are dropped (the shared one lives in a static; its watchdog
    // removes it). Removing the directory now, not when the process ends, keeps many
    // private clusters from piling up in one long test run.
    fn drop(&mut self) {
        if let Some(cluster) = self.cluster.take() {
            let cluster = cluster
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let _ = cluster.stop("immediate");
            let _ = fs::remove_dir_all(&cluster.dir);
        }
    }
}

/// A cluster in a temporary directory: `data/` (the cluster), `log` (the server's log),
/// and the server's Unix socket.
struct Cluster {
    bin: PathBuf,
    psql: PathBuf,
    dir: PathBuf,
    port: u16,
    /// `setpriv` arguments that run a command as the cluster's owner; empty when not root.
    as_owner: Vec<String>,
    /// Serve TLS with a self-signed certificate.
    tls: bool,
}

impl Cluster {
    fn create(tls: bool) -> Result<Cluster, String> {
        let bin = find_bin_dir()?;
        let psql = find_psql().unwrap_or_else(|| bin.join("psql"));
        let dir = std::env::temp_dir().join(format!(
            "smsgate-pg-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        ));
        fs::create_dir(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let mut cluster = Cluster {
            bin,
            psql,
            dir,
            port: 0,
            as_owner: Vec::new(),
            tls,
        };
        // From here on the watchdog removes the directory whatever happens next.
        let made = cluster.make();
        if made.is_err() {
            let _ = cluster.stop("immediate");
            let _ = fs::remove_dir_all(&cluster.dir);
        }
        made.map(|()| cluster)
    }

    fn make(&mut self) -> Result<(), String> {
        fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("chmod {}: {e}", self.dir.display()))?;
        if running_as_root() {
            let (user, uid, gid) = unprivileged_user()?;
            std::os::unix::fs::chown(&self.dir, Some(uid), Some(gid))
                .map_err(|e| format!("chown {} to {user}: {e}", self.dir.display()))?;
            self.as_owner = vec![
                "setpriv".to_owned(),
                format!("--reuid={uid}"),
                format!("--regid={gid}"),
                "--clear-groups".to_owned(),
            ];
        }
        self.watchdog()?;
        let data = self.data();
        let initdb = self
            .command("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", SUPERUSER, "--no-sync", "-E", "UTF8"])
            .arg("--locale=C")
            .output();
        ran("initdb", initdb)?;
        let socket_dir = self.dir.to_string_lossy().replace('\'', "''");
        let mut conf = fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .map_err(|e| format!("postgresql.conf: {e}"))?;
        write!(
            conf,
            "\n# smsgate tests\n{SETTINGS}unix_socket_directories = '{socket_dir}'\n"
        )
        .map_err(|e| format!("postgresql.conf: {e}"))?;
        if self.tls {
            self.make_certificate()?;
            writeln!(
                conf,
                "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'"
            )
            .map_err(|e| format!("postgresql.conf: {e}"))?;
        }
        // A free port can be taken between finding it and the server binding it: a start
        // that fails for that reason tries another port.
        let mut last = String::new();
        for _ in 0..3 {
            self.port = free_port()?;
            writeln!(conf, "port = {}", self.port).map_err(|e| format!("postgresql.conf: {e}"))?;
            match self.start() {
                Ok(()) => return Ok(()),
                Err(e) if e.contains("Address already in use") => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// A test CA and a server certificate it signed (for `127.0.0.1` and `localhost`) in the
    /// data directory, made as the cluster's owner (the server refuses a key others can
    /// read). A CA apart from the server's certificate: rustls (webpki) refuses a CA
    /// certificate used as the server's own.
    fn make_certificate(&self) -> Result<(), String> {
        let data = self.data();
        let extensions = self.dir.join("server.ext");
        fs::write(
            &extensions,
            "subjectAltName = IP:127.0.0.1, DNS:localhost\nbasicConstraints = CA:FALSE\n",
        )
        .map_err(|e| format!("{}: {e}", extensions.display()))?;
        fs::set_permissions(&extensions, fs::Permissions::from_mode(0o644))
            .map_err(|e| format!("{}: {e}", extensions.display()))?;
        let path = |name: &str| data.join(name).to_string_lossy().into_owned();
        let steps: [(&str, Vec<String>); 3] = [
            (
                "openssl req (the CA)",
                vec![
                    "req".into(),
                    "-x509".into(),
                    "-newkey".into(),
                    "rsa:2048".into(),
                    "-nodes".into(),
                    "-days".into(),
                    "2".into(),
                    "-subj".into(),
                    "/CN=smsgate test CA".into(),
                    "-keyout".into(),
                    path("ca.key"),
                    "-out".into(),
                    path("ca.crt"),
                ],
            ),
            (
                "openssl req (the server)",
                vec![
                    "req".into(),
                    "-newkey".into(),
                    "rsa:2048".into(),
                    "-nodes".into(),
                    "-subj".into(),
                    "/CN=localhost".into(),
                    "-keyout".into(),
                    path("server.key"),
                    "-out".into(),
                    path("server.csr"),
                ],
            ),
            (
                "openssl x509 (signing)",
                vec![
                    "x509".into(),
                    "-req".into(),
                    "-in".into(),
                    path("server.csr"),
                    "-CA".into(),
                    path("ca.crt"),
                    "-CAkey".into(),
                    path("ca.key"),
                    "-CAcreateserial".into(),
                    "-days".into(),
                    "2".into(),
                    "-extfile".into(),
                    extensions.to_string_lossy().into_owned(),
                    "-out".into(),
                    path("server.crt"),
                ],
            ),
        ];
        for (what, args) in steps {
            let mut openssl = match self.as_owner.split_first() {
                Some((setpriv, owner)) => {
                    let mut c = Command::new(setpriv);
                    c.args(owner).arg("openssl");
                    c
                }
                None => Command::new("openssl"),
            };
            ran(what, openssl.args(&args).stdin(Stdio::null()).output())?;
        }
        Ok(())
    }

    fn log(&self) -> PathBuf {
        self.dir.join("log")
    }

    /// `tool` from the PostgreSQL bin directory, run as the cluster's owner.
    fn command(&self, tool: &str) -> Command {
        let program = self.bin.join(tool);
        let mut command = match self.as_owner.split_first() {
            Some((setpriv, args)) => {
                let mut c = Command::new(setpriv);
                c.args(args).arg(program);
                c
            }
            None => Command::new(program),
        };
        command.stdin(Stdio::null());
        command
    }

    /// `pg_ctl -w start`, then a deadline-bounded wait until the port accepts connections.
    fn start(&self) -> Result<(), String> {
        let started = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.log())
            .args(["-w", "-t", PG_CTL_TIMEOUT, "start"])
            .output();
        ran("pg_ctl start", started).map_err(|e| format!("{e}\n{}", self.log_tail()))?;
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + READY_WITHIN;
        while TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_err() {
            if Instant::now() >= deadline {
                return Err(format!(
                    "the server does not accept connections on {address} within \
                     {READY_WITHIN:?}\n{}",
                    self.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// `pg_ctl -w stop` in `mode` (fast: ends the sessions; immediate: no checkpoint).
    fn stop(&self, mode: &str) -> Result<(), String> {
        let stopped = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", mode, "-w", "-t", PG_CTL_TIMEOUT, "stop"])
            .output();
        ran("pg_ctl stop", stopped).map_err(|e| format!("{e}\n{}", self.log_tail()))
    }

    /// The end of the server's log, for error messages.
    fn log_tail(&self) -> String {
        let log = fs::read_to_string(self.log()).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines
            .get(lines.len().saturating_sub(20)..)
            .unwrap_or_default();
        format!(
            "server log ({}), last lines:\n{}",
            self.log().display(),
            tail.join("\n")
        )
    }

    /// Starts the watchdog (see the module comment): a `sh` loop that outlives neither the
    /// test process by more than a second nor the cluster's directory.
    fn watchdog(&self) -> Result<(), String> {
        let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
        let as_owner: Vec<String> = self.as_owner.iter().map(|a| quote(a)).collect();
        let script = format!(
            "while kill -0 {pid} 2>/dev/null && [ -d {dir} ]; do sleep 1; done; \
             [ -f {data}/postmaster.pid ] && {as_owner} {pg_ctl} -D {data} -m immediate -w stop; \
             rm -rf {dir}",
            pid = std::process::id(),
            dir = quote(&self.dir.to_string_lossy()),
            data = quote(&self.data().to_string_lossy()),
            as_owner = as_owner.join(" "),
            pg_ctl = quote(&self.bin.join("pg_ctl").to_string_lossy()),
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group: a Ctrl-C to the test's group must not kill it.
            .process_group(0)
            .spawn()
            .map(drop)
            .map_err(|e| format!("starting the watchdog (sh): {e}"))
    }
}

/// A command's result as `Ok` or a reason with its output.
fn ran(what: &str, output: std::io::Result<Output>) -> Result<(), String> {
    let out = output.map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{what}: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// A port nobody listens on now (the OS picks it).
fn free_port() -> Result<u16, String> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("finding a free port: {e}"))
}

/// The bin directory of the highest PostgreSQL version under `/usr/lib/postgresql`.
fn find_bin_dir() -> Result<PathBuf, String> {
    let root = Path::new("/usr/lib/postgresql");
    let entries = fs::read_dir(root)
        .map_err(|e| format!("{}: {e} (apt-get install postgresql)", root.display()))?;
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            // "15", "16", or "9.6" for old ones: compared as numbers, not as text.
            let name = entry.file_name().to_string_lossy().into_owned();
            let version: Vec<u32> = name
                .split('.')
                .map(str::parse)
                .collect::<Result<_, _>>()
                .ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .max()
        .map(|(_, bin)| bin)
        .ok_or_else(|| {
            format!(
                "no {}/*/bin/initdb (apt-get install postgresql)",
                root.display()
            )
        })
}

/// `/usr/bin/psql` (Debian's wrapper), else the one in the highest version's bin directory.
fn find_psql() -> Option<PathBuf> {
    let wrapper = PathBuf::from("/usr/bin/psql");
    if wrapper.is_file() {
        return Some(wrapper);
    }
    find_bin_dir()
        .ok()
        .map(|bin| bin.join("psql"))
        .filter(|p| p.is_file())
}

/// Whether this process runs as root: `/proc/self` belongs to the process's user.
fn running_as_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The user a root process runs the cluster as: `postgres` if it exists, else `nobody`;
/// its name, uid and gid.
fn unprivileged_user() -> Result<(String, u32, u32), String> {
    let id = |user: &str, flag: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, user]).output().ok()?;
        if !out.status.success() {
            return None;
        }
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    ["postgres", "nobody"]
        .into_iter()
        .find_map(|user| Some((user.to_owned(), id(user, "-u")?, id(user, "-g")?)))
        .ok_or_else(|| "running as root and neither user postgres nor nobody exists".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn databases(server: &TestServer) -> Vec<String> {
        server
            .psql("postgres", "SELECT datname FROM pg_database ORDER BY 1")
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn name_of(url: &str) -> String {
        let path = url.rsplit('/').next().unwrap();
        path.split('?').next().unwrap().to_owned()
    }

    #[test]
    fn creates_empty_databases_with_unique_names() {
        let Some(server) = require("postgres_testing::creates_empty_databases_with_unique_names")
        else {
            return;
        };
        let (a, b) = (server.new_database(), server.new_database());
        assert_ne!(a, b);
        assert!(a.starts_with("postgres://"), "{a}");
        let listed = databases(server);
        for url in [&a, &b] {
            assert!(listed.contains(&name_of(url)), "{url} not in {listed:?}");
            let tables = server
                .psql(
                    &name_of(url),
                    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
                )
                .unwrap();
            assert_eq!(tables.trim(), "0");
        }
    }

    #[test]
    fn a_database_survives_a_restart() {
        // A private cluster: restarting the shared one would cut off the process's other
        // tests mid-query.
        let Some(server) = require_private("postgres_testing::a_database_survives_a_restart")
        else {
            return;
        };
        let url = server.new_database();
        let db = name_of(&url);
        server
            .psql(
                &db,
                "CREATE TABLE kept (n BIGINT); INSERT INTO kept VALUES (7)",
            )
            .unwrap();
        server.restart();
        assert!(databases(&server).contains(&db));
        assert_eq!(server.psql(&db, "SELECT n FROM kept").unwrap().trim(), "7");
        server.stop();
        assert!(
            server.psql(&db, "SELECT 1").is_err(),
            "answers while stopped"
        );
        server.start();
        assert_eq!(server.psql(&db, "SELECT n FROM kept").unwrap().trim(), "7");
    }
}
