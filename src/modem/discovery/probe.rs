//! Probing one candidate port: is it a modem's AT port that can do SMS, and which modem?
//!
//! Open the port, `AT` must answer `OK` within the probe timeout; then `AT+CGSN` (IMEI),
//! `AT+CIMI` (IMSI, absent while the SIM is locked), the ICCID (`AT+CCID`, `AT+ICCID`,
//! `AT^ICCID?`, `AT+QCCID`: vendors differ) and SMS support (`AT+CMGF=0` or `AT+CSMS?`
//! accepted). A port that does not answer the first `AT` in time (a PPP, diagnostic or
//! NMEA interface) is closed and never written to again in that pass. The port is always
//! closed before this returns, so the modem actor can open it exclusively afterwards.
//!
//! Uses the AT engine and the port code of this crate, never the modem actor, the fleet or
//! anything above layer 2.

use super::matching::Probed;
use crate::at::{self, AtClient, AtError, Class, Deadlines, EngineConfig, Param, Response};
use crate::modem::port::{FlowControl, PortSpec, DEFAULT_BAUD};
use std::path::Path;
use std::time::Duration;

/// What a probe made of a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// An AT port that supports SMS, and who it is.
    Modem(Probed),
    /// Answers AT but refuses both `+CMGF=0` and `+CSMS?`.
    NoSms(Probed),
    /// Did not open, or did not answer `AT` in time: not an AT port (or busy).
    NotAt(String),
}

fn value(r: Result<Response, AtError>, name: &str) -> Option<String> {
    let r = r.ok()?;
    r.info(name)
        .and_then(|p| p.first().and_then(Param::value))
        .or_else(|| r.plain_line().map(str::to_string))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Probes the serial port at `path`; every command has `timeout`.
pub async fn probe_path(path: &Path, timeout: Duration) -> ProbeOutcome {
    let spec = PortSpec::Serial {
        path: path.display().to_string(),
        baud: DEFAULT_BAUD,
        flow: FlowControl::None,
    };
    let link = match spec.open(timeout).await {
        Ok(link) => link,
        Err(e) => return ProbeOutcome::NotAt(e.to_string()),
    };
    let config = EngineConfig {
        name: format!("probe {}", path.display()),
        deadlines: Deadlines {
            quick: timeout,
            slow: timeout,
            prompt: timeout,
            submit: timeout,
            resync_quiet: Duration::from_millis(50).min(timeout),
            resync_max: timeout,
        },
        ..EngineConfig::default()
    };
    let (client, _urcs, engine) = at::spawn(link, config);
    let outcome = probe_client(&client, timeout).await;
    drop(client);
    engine.abort();
    // Wait for the engine to drop the port, so it is closed when the caller opens it.
    let _ = engine.await;
    outcome
}

/// The probe's commands over an AT client (tests drive it over a duplex).
pub async fn probe_client(at: &AtClient, timeout: Duration) -> ProbeOutcome {
    let within = Class::Within(timeout);
    if let Err(e) = at.command_in("AT", within).await {
        return ProbeOutcome::NotAt(format!("no answer to AT: {e}"));
    }
    let _ = at.command_in("ATE0", within).await;
    let imei = value(at.command_in("AT+CGSN", within).await, "+CGSN");
    let imsi = value(at.command_in("AT+CIMI", within).await, "+CIMI");
    let mut iccid = None;
    for (command, name) in [
        ("AT+CCID", "+CCID"),
        ("AT+ICCID", "+ICCID"),
        ("AT^ICCID?", "^ICCID"),
        ("AT+QCCID", "+QCCID"),
    ] {
        iccid = value(at.command_in(command, within).await, name);
        if iccid.is_some() {
            break;
        }
    }
    let probed = Probed { imei, imsi, iccid };
    let sms = at.command_in("AT+CMGF=0", within).await.is_ok()
        || at.command_in("AT+CSMS?", within).await.is_ok();
    if sms {
        ProbeOutcome::Modem(probed)
    } else {
        ProbeOutcome::NoSms(probed)
    }
}
