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
    let mut link = match spec.open(timeout).await {
        Ok(link) => link,
        Err(e) => return ProbeOutcome::NotAt(e.to_string()),
    };
    // The first `AT` goes out by hand, not through the engine: a port that does not answer
    // gets exactly these bytes and nothing more (the engine would resynchronise with an
    // ESC and log a warning for every PPP or NMEA port on every pass).
    if !answers_at(&mut link, timeout).await {
        return ProbeOutcome::NotAt(format!("no OK to AT within {timeout:?}"));
    }
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

/// Whether the port answers `OK` to `AT` within `timeout`. An ESC first cancels a `> `
/// prompt a crashed process may have left open (a modem mid-`+CMGS` would take the `AT`
/// as message text).
pub async fn answers_at<L>(link: &mut L, timeout: Duration) -> bool
where
    L: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + ?Sized,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let exchange = async {
        link.write_all(&[0x1b]).await.ok()?;
        link.flush().await.ok()?;
        // What the ESC stirred up is read and dropped.
        let mut scratch = [0u8; 256];
        let settle = Duration::from_millis(100).min(timeout / 4);
        let _ = tokio::time::timeout(settle, async {
            loop {
                match link.read(&mut scratch).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        })
        .await;
        link.write_all(b"AT\r").await.ok()?;
        link.flush().await.ok()?;
        let mut seen: Vec<u8> = Vec::new();
        loop {
            let n = link.read(&mut scratch).await.ok()?;
            if n == 0 {
                return None;
            }
            seen.extend_from_slice(scratch.get(..n).unwrap_or_default());
            let text = String::from_utf8_lossy(&seen);
            if text.split(['\r', '\n']).any(|line| line.trim() == "OK") {
                return Some(());
            }
            if seen.len() > 4096 {
                // A chattering port (NMEA, diagnostics): keep only the tail.
                seen.drain(..seen.len() - 64);
            }
        }
    };
    matches!(tokio::time::timeout(timeout, exchange).await, Ok(Some(())))
}

/// The probe's identity and SMS commands over an AT client, once the port answered `AT`.
pub async fn probe_client(at: &AtClient, timeout: Duration) -> ProbeOutcome {
    let within = Class::Within(timeout);
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

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test(start_paused = true)]
    async fn a_port_that_answers_ok_is_an_at_port() {
        let (mut host, mut device) = tokio::io::duplex(1024);
        let modem = tokio::spawn(async move {
            let mut got = Vec::new();
            let mut buf = [0u8; 64];
            while !got.ends_with(b"AT\r") {
                let n = device.read(&mut buf).await.unwrap();
                got.extend_from_slice(&buf[..n]);
            }
            device.write_all(b"AT\r\r\nOK\r\n").await.unwrap();
            (got, device)
        });
        assert!(answers_at(&mut host, Duration::from_millis(500)).await);
        let (got, _device) = modem.await.unwrap();
        assert_eq!(got, b"\x1bAT\r");
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_or_chattering_port_gets_one_at_and_nothing_more() {
        // Silent.
        let (mut host, mut device) = tokio::io::duplex(1024);
        assert!(!answers_at(&mut host, Duration::from_millis(500)).await);
        drop(host);
        let mut written = Vec::new();
        device.read_to_end(&mut written).await.unwrap();
        assert_eq!(written, b"\x1bAT\r");
        // NMEA sentences, never an OK.
        let (mut host, mut device) = tokio::io::duplex(1024);
        let gps = tokio::spawn(async move {
            for _ in 0..20 {
                if device
                    .write_all(b"$GPGGA,123519,4807.038,N*47\r\n")
                    .await
                    .is_err()
                {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        assert!(!answers_at(&mut host, Duration::from_millis(500)).await);
        drop(host);
        gps.await.unwrap();
    }
}
