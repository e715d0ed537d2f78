//! `smsgate simulate` driven by AT clients nobody here wrote, from Debian's packages: gammu
//! (identify, sendsms, getallsms), smstools3's `smsd` (a file in its outgoing folder, an
//! inbound message stored as a file) and Kannel (bearerbox with an `at` SMSC and smsbox:
//! `cgi-bin/sendsms` out, an inbound message to a `get-url` service). Each test starts and
//! stops its own processes on the simulator's ptys, with bounded waits.
//!
//! A missing tool prints SKIPPED, unless `SMSGATE_REQUIRE_AT_CLIENTS` is set (as `.ci/run`
//! does after installing them): then it is a failure.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::process::{free_port, http, BIN};

/// Longest wait for anything a tool should do.
const WITHIN: Duration = Duration::from_secs(60);

/// The tool's path, or `None` after saying SKIPPED (a failure when the tools are required).
fn tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    let found = path
        .split(':')
        .chain(["/usr/sbin", "/sbin", "/usr/bin"])
        .map(|dir| Path::new(dir).join(name))
        .find(|candidate| candidate.is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("SMSGATE_REQUIRE_AT_CLIENTS").is_none(),
            "SMSGATE_REQUIRE_AT_CLIENTS is set but `{name}` is not installed \
             (apt-get install gammu smstools kannel)"
        );
        eprintln!("SKIPPED: `{name}` is not installed (apt-get install gammu smstools kannel)");
    }
    found
}

/// Polls `check` until it gives a value or [`WITHIN`] passes.
fn wait_for<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + WITHIN;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: not within {WITHIN:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A child process group (daemons that fork), ended with SIGTERM then SIGKILL on drop.
struct Group(Child);

impl Group {
    fn spawn(command: &mut Command) -> Self {
        let child = command
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("start {command:?}: {e}"));
        Self(child)
    }

    fn signal(&self, signal: &str) {
        let _ = Command::new("kill")
            .args([signal, "--", &format!("-{}", self.0.id())])
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.signal("-TERM");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.signal("-KILL");
        let _ = self.0.wait();
    }
}

/// Runs a command to its end under [`WITHIN`].
fn run(command: &mut Command) -> Output {
    let mut child = Group::spawn(command.stdout(Stdio::piped()).stderr(Stdio::piped()));
    let (mut out, mut err) = (
        child.0.stdout.take().unwrap(),
        child.0.stderr.take().unwrap(),
    );
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = out.read_to_end(&mut text);
        text
    });
    let err_reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = err.read_to_end(&mut text);
        text
    });
    let status = wait_for(&format!("{command:?} to finish"), || {
        child.0.try_wait().ok().flatten()
    });
    Output {
        status,
        stdout: reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

/// `smsgate simulate` on ptys with its control API and network log.
struct Simulator {
    _process: Group,
    ptys: Vec<PathBuf>,
    msisdns: Vec<String>,
    control: SocketAddr,
    log: PathBuf,
}

impl Simulator {
    fn start(dir: &Path, modems: usize) -> Self {
        let control = free_port();
        let log = dir.join("network.jsonl");
        let mut process = Group::spawn(
            Command::new(BIN)
                .args(["simulate", "--modems", &modems.to_string(), "--pty-dir"])
                .arg(dir)
                .arg("--log")
                .arg(&log)
                .args(["--control", &control.to_string()])
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        );
        let stdout = process.0.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let (mut ptys, mut msisdns) = (Vec::new(), Vec::new());
        for _ in 0..modems {
            let line = rx.recv_timeout(WITHIN).expect("a modem line from simulate");
            let modem: Value = serde_json::from_str(&line).expect("JSON");
            ptys.push(PathBuf::from(modem["pty"].as_str().unwrap()));
            msisdns.push(modem["msisdn"].as_str().unwrap().to_string());
        }
        wait_for("the control API", || {
            http(control, "GET", "/modems", None).filter(|(status, _)| *status == 200)
        });
        Self {
            _process: process,
            ptys,
            msisdns,
            control,
            log,
        }
    }

    /// A message from `from` arrives at `modem`.
    fn inject(&self, modem: usize, from: &str, text: &str) {
        let body = serde_json::json!({"from": from, "text": text}).to_string();
        let answer = http(
            self.control,
            "POST",
            &format!("/modems/{modem}/inbound"),
            Some(&body),
        );
        assert!(matches!(answer, Some((200, _))), "inject: {answer:?}");
    }

    /// The segments modems submitted so far, from the network log.
    fn submits(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|record| record["kind"] == "submit")
            .collect()
    }

    /// Waits for the submit of `text` and returns it.
    fn submitted(&self, text: &str) -> Value {
        wait_for(&format!("a submit of {text:?}"), || {
            self.submits().into_iter().find(|s| s["text"] == text)
        })
    }
}

#[test]
fn gammu_identifies_sends_and_reads_the_inbox() {
    let Some(gammu) = tool("gammu") else { return };
    let dir = super::support::scratch_dir("gammu");
    let sim = Simulator::start(&dir, 1);
    let rc = dir.join("gammurc");
    std::fs::write(
        &rc,
        format!(
            "[gammu]\ndevice = {}\nconnection = at\nlogfile = {}\nlogformat = textalldate\n",
            sim.ptys[0].display(),
            dir.join("gammu.log").display()
        ),
    )
    .unwrap();
    let gammu = |args: &[&str]| {
        let out = run(Command::new(&gammu).arg("-c").arg(&rc).args(args));
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "gammu {args:?}: {}\n{text}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        text
    };

    let identity = gammu(&["identify"]);
    assert!(identity.contains("SimModem"), "{identity}");
    assert!(identity.contains("smsgate"), "{identity}");

    gammu(&[
        "sendsms",
        "TEXT",
        "+4915112345678",
        "-text",
        "Hello from gammu",
    ]);
    let submit = sim.submitted("Hello from gammu");
    assert_eq!(submit["to"], "+4915112345678");
    assert_eq!(submit["from"], sim.msisdns[0].as_str());
    gammu(&[
        "sendsms",
        "TEXT",
        "+4915112345678",
        "-unicode",
        "-text",
        "Привет из gammu",
    ]);
    assert_eq!(sim.submitted("Привет из gammu")["encoding"], "ucs2");

    sim.inject(0, "+4915177777777", "Inbound for gammu");
    let inbox = gammu(&["getallsms"]);
    assert_eq!(
        inbox.matches("Inbound for gammu").count(),
        1,
        "listed once, from one memory: {inbox}"
    );
    assert!(inbox.contains("\"+4915177777777\""), "{inbox}");
}

#[test]
fn smstools3_sends_a_file_and_stores_an_inbound_message() {
    let Some(smsd) = tool("smsd") else { return };
    let dir = super::support::scratch_dir("smsd");
    let sim = Simulator::start(&dir, 1);
    let spool = dir.join("spool");
    for folder in ["outgoing", "checked", "incoming", "sent", "failed"] {
        std::fs::create_dir_all(spool.join(folder)).unwrap();
    }
    let conf = dir.join("smsd.conf");
    std::fs::write(
        &conf,
        format!(
            "devices = GSM1\n\
             outgoing = {spool}/outgoing\nchecked = {spool}/checked\n\
             incoming = {spool}/incoming\nsent = {spool}/sent\nfailed = {spool}/failed\n\
             logfile = {dir}/smsd.log\ninfofile = {dir}/smsd.running\n\
             pidfile = {dir}/smsd.pid\nloglevel = 7\ndelaytime = 1\nerrorsleeptime = 1\n\n\
             [GSM1]\ndevice = {pty}\nincoming = yes\nbaudrate = 115200\n",
            spool = spool.display(),
            dir = dir.display(),
            pty = sim.ptys[0].display(),
        ),
    )
    .unwrap();
    std::fs::write(
        spool.join("outgoing/hello"),
        "To: 4915112345678\n\nHello from smstools3\n",
    )
    .unwrap();
    sim.inject(0, "+4915199999999", "Inbound for smsd");

    let _smsd = Group::spawn(
        Command::new(smsd)
            .arg("-t")
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let submit = sim.submitted("Hello from smstools3");
    assert_eq!(submit["to"], "+4915112345678");
    wait_for("the sent file", || {
        spool.join("sent/hello").is_file().then_some(())
    });
    let stored = wait_for("an incoming file", || {
        let entry = std::fs::read_dir(spool.join("incoming"))
            .ok()?
            .next()?
            .ok()?;
        let text = std::fs::read_to_string(entry.path()).ok()?;
        text.contains("Inbound for smsd").then_some(text)
    });
    assert!(stored.contains("From: 4915199999999"), "{stored}");
}

/// A one-shot HTTP receiver for Kannel's `get-url`: the request lines it got.
fn receiver() -> (SocketAddr, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            let mut stream: TcpStream = stream;
            let mut first = String::new();
            if BufReader::new(&stream).read_line(&mut first).is_err() {
                continue;
            }
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            if tx.send(first).is_err() {
                break;
            }
        }
    });
    (addr, rx)
}

/// A plain GET; the status line and body.
fn get(addr: SocketAddr, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    Some(text)
}

#[test]
fn kannel_sends_through_sendsms_and_receives_over_the_at_smsc() {
    let (Some(bearerbox), Some(smsbox)) = (tool("bearerbox"), tool("smsbox")) else {
        return;
    };
    let dir = super::support::scratch_dir("kannel");
    let sim = Simulator::start(&dir, 1);
    let (admin, boxes, sendsms) = (free_port(), free_port(), free_port());
    let (service, requests) = receiver();
    // Debian's modem definitions, as a user's config includes them; the generic one alone
    // where the package's documentation was left out.
    let debian = Path::new("/usr/share/doc/kannel/examples/modems.conf");
    let modems = if debian.is_file() {
        format!("include = \"{}\"\n", debian.display())
    } else {
        "group = modems\nid = generic\nname = \"Generic Modem\"\n".to_string()
    };
    let conf = dir.join("kannel.conf");
    std::fs::write(
        &conf,
        format!(
            "{modems}\n\
             group = core\nadmin-port = {admin_port}\nadmin-password = secret\n\
             smsbox-port = {box_port}\nbox-allow-ip = 127.0.0.1\n\
             log-file = \"{dir}/bearerbox.log\"\nlog-level = 0\naccess-log = \"{dir}/access.log\"\n\n\
             group = smsc\nsmsc = at\nsmsc-id = sim0\nmodemtype = auto\ndevice = {pty}\n\
             speed = 115200\nmy-number = \"{msisdn}\"\n\n\
             group = smsbox\nbearerbox-host = 127.0.0.1\nsendsms-port = {sendsms_port}\n\
             log-file = \"{dir}/smsbox.log\"\nlog-level = 0\n\n\
             group = sendsms-user\nusername = tester\npassword = foobar\n\n\
             group = sms-service\nkeyword = default\n\
             get-url = \"http://{service}/recv?from=%p&to=%P&text=%a\"\nmax-messages = 0\n",
            dir = dir.display(),
            admin_port = admin.port(),
            box_port = boxes.port(),
            sendsms_port = sendsms.port(),
            pty = sim.ptys[0].display(),
            msisdn = sim.msisdns[0],
        ),
    )
    .unwrap();
    let quiet = |command: &mut Command| {
        command.stdout(Stdio::null()).stderr(Stdio::null());
    };
    let mut command = Command::new(bearerbox);
    command.arg(&conf);
    quiet(&mut command);
    let _bearerbox = Group::spawn(&mut command);
    // smsbox gives up at once when bearerbox is not listening yet.
    wait_for("bearerbox's smsbox port", || {
        TcpStream::connect_timeout(&boxes, Duration::from_millis(200))
            .ok()
            .map(drop)
    });
    let mut command = Command::new(smsbox);
    command.arg(&conf);
    quiet(&mut command);
    let _smsbox = Group::spawn(&mut command);

    let from = sim.msisdns[0].trim_start_matches('+').to_string();
    let path = format!(
        "/cgi-bin/sendsms?username=tester&password=foobar&from={from}&to=%2B4915112345678&text=Hello+from+Kannel"
    );
    // Accepted once the SMSC is connected (the modem initialised); queued before that.
    let answer = wait_for("sendsms to accept", || {
        get(sendsms, &path).filter(|a| a.contains("Accepted for delivery") || a.contains("Queued"))
    });
    assert!(
        answer.starts_with("HTTP/1.") && answer.contains(" 202 "),
        "{answer}"
    );
    let submit = sim.submitted("Hello from Kannel");
    assert_eq!(submit["to"], "+4915112345678");

    sim.inject(0, "+4915177777777", "Inbound for Kannel");
    let request = requests.recv_timeout(WITHIN).expect("the get-url request");
    assert!(
        request.starts_with("GET /recv?from=%2B4915177777777&to=")
            && request.contains("&text=Inbound+for+Kannel "),
        "{request}"
    );
}
