//! The web console in a real browser: headless Chromium driven by
//! `tests/it/data/console_browser.py` (selenium, Debian's `chromium` and `chromium-driver`)
//! against a real `smsgate serve` whose two modems are a `smsgate simulate` process (so the
//! script can inject inbound SMS through its control API), with an admin and a read-only
//! key. The script logs in, sees both modems ready, sends from the form with the live
//! segment count, watches the message reach `delivered` without a reload, reads an injected
//! reply in its conversation, replies and closes, creates and edits a template, sends with it,
//! cancels a scheduled message, shows a modem detail (a stand-in for `GET /api/modems/{name}`
//! installed over `fetch`) with its admin actions, navigates by keyboard at 360 px, compares the
//! overview with `/api/analytics/stats`, checks that SMS texts, names and template names
//! holding `<img onerror>` and `</script>` render as text with nothing executed, that the
//! browser log has no JS error and no CSP violation, that a read-only key has no send
//! button, and that a refused key goes back to the login page. Screenshots of each page at
//! 1280 px and 360 px are written to `target/console-shots/`.
//!
//! Needs python3 with selenium, /usr/bin/chromium and /usr/bin/chromedriver: without them
//! the test is skipped, unless `SMSGATE_REQUIRE_BROWSER` is set (as `.ci/run` does after
//! installing them), and then it fails.

use super::process::{free_port, http, start, Daemon, BIN};
use smsgate::config::generate_api_key;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/it/data/console_browser.py"
);
const PERSON: &str = "+4915112345678";

/// Whether the browser and its driver are here; panics when they are not but CI requires
/// them.
fn browser_available() -> bool {
    let selenium = Command::new("python3")
        .args(["-c", "import selenium"])
        .output()
        .is_ok_and(|o| o.status.success());
    let chromium = Path::new("/usr/bin/chromium").exists();
    let driver = Path::new("/usr/bin/chromedriver").exists();
    let ok = selenium && chromium && driver;
    if !ok {
        assert!(
            std::env::var_os("SMSGATE_REQUIRE_BROWSER").is_none(),
            "SMSGATE_REQUIRE_BROWSER is set but the browser test cannot run: \
             selenium {selenium}, /usr/bin/chromium {chromium}, /usr/bin/chromedriver {driver}"
        );
        eprintln!(
            "SKIPPED: python3 with selenium, chromium and chromedriver are not all installed"
        );
    }
    ok
}

/// A base port whose next port is free too (`smsgate simulate` serves modem i on BASE+i).
fn two_free_ports() -> u16 {
    for _ in 0..50 {
        let base = free_port().port();
        let both = TcpListener::bind(("127.0.0.1", base)).is_ok()
            && TcpListener::bind(("127.0.0.1", base + 1)).is_ok();
        if both {
            return base;
        }
    }
    panic!("no two consecutive free ports");
}

/// `smsgate simulate --modems 2` on TCP, with its control API.
fn simulator() -> (Daemon, u16, SocketAddr) {
    let base = two_free_ports();
    let control = free_port();
    let child = Command::new(BIN)
        .args(["simulate", "--modems", "2", "--latency", "50", "--tcp-port"])
        .arg(base.to_string())
        .arg("--control")
        .arg(control.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start smsgate simulate");
    let sim = Daemon(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while http(control, "GET", "/modems", None).is_none() {
        assert!(Instant::now() < deadline, "smsgate simulate did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    (sim, base, control)
}

#[test]
fn the_console_works_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let addr = free_port();
    let (_sim, base, control) = simulator();
    let (admin_key, admin_hash) = generate_api_key();
    let (read_key, read_hash) = generate_api_key();
    let config = dir.path().join("smsgate.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"{addr}\"\n[storage]\npath = \"{}\"\n\
             [dispatch]\npoll_interval_ms = 20\n\
             [[modems]]\nname = \"m0\"\nport = \"tcp://127.0.0.1:{base}\"\n\
             [[modems]]\nname = \"m1\"\nport = \"tcp://127.0.0.1:{}\"\n\
             [[api_keys]]\nname = \"ops\"\nsha256 = \"{admin_hash}\"\nscopes = [\"admin\"]\n\
             [[api_keys]]\nname = \"wallboard\"\nsha256 = \"{read_hash}\"\nscopes = [\"read\"]\n",
            dir.path().join("smsgate.db").display(),
            base + 1,
        ),
    )
    .unwrap();
    let _daemon = start(&config, addr);
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/console-shots");
    std::fs::create_dir_all(&shots).unwrap();

    let out = Command::new("python3")
        .arg(SCRIPT)
        .env("SMSGATE_URL", format!("http://{addr}"))
        .env("SMSGATE_ADMIN_KEY", &admin_key)
        .env("SMSGATE_READ_KEY", &read_key)
        .env("SMSGATE_CONTROL", control.to_string())
        .env("SMSGATE_PERSON", PERSON)
        .env("SMSGATE_SHOTS", &shots)
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the browser test failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("console browser test: all passed"),
        "{stdout}\n{stderr}"
    );
    for page in [
        "overview",
        "messages",
        "message",
        "send",
        "conversations",
        "conversation",
        "modems",
        "templates",
        "template",
        "otp",
        "webhooks",
        "modem-detail",
    ] {
        for width in [1280, 360] {
            let file = shots.join(format!("{page}-{width}.png"));
            let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
            assert!(size > 1000, "no screenshot {}", file.display());
        }
    }
}
