//! Bringing a modem up: the initialisation sequence, which *probes* rather than assumes,
//! because USB modems differ in small ways (see `docs/modems.md`).
//!
//! Order: ESC + wait for quiet; `AT` until answered; `ATE0`, `ATV1`, `AT+CMEE=1` (numeric
//! error codes: the verbose texts differ between vendors, the numbers do not); SIM state
//! with the configured PIN — entered once, never retried, because a wrong PIN retried burns
//! the SIM's attempts and ends in PUK; identity; PDU mode (required); `+CSMS=1` (phase 2+,
//! which makes `+CNMA` acknowledgements necessary); storage; the first `+CNMI` variant the
//! modem accepts; SMSC; registration URCs.

use super::status::{csq_to_dbm, Identity, NetworkStatus, Registration};
use crate::at::{AtClient, AtError, Class, ErrorCode, Param, Response};
use std::time::Duration;
use thiserror::Error;
use tracing::{info, warn};

/// `+CNMI` settings to try, in order: store messages and report with `+CMTI` (a message
/// stays on the SIM until we have taken it), status reports stored (`+CDSI`) or routed
/// (`+CDS`); then the direct-routing variants for modems that cannot store.
pub const DEFAULT_CNMI: &[&str] = &[
    "2,1,0,2,0",
    "2,1,0,1,0",
    "1,1,0,2,0",
    "1,1,0,1,0",
    "2,2,0,1,0",
    "1,2,0,1,0",
];

/// Settings of the sequence.
#[derive(Debug, Clone)]
pub struct InitConfig {
    /// SIM PIN, if the SIM is locked.
    pub pin: Option<String>,
    /// `+CNMI` variants to try.
    pub cnmi: Vec<String>,
    /// Preferred message storage.
    pub storage: String,
}

impl Default for InitConfig {
    fn default() -> Self {
        Self {
            pin: None,
            cnmi: DEFAULT_CNMI.iter().map(|s| s.to_string()).collect(),
            storage: "SM".to_string(),
        }
    }
}

/// What initialisation found out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Initialised {
    /// What the modem said about itself (IMEI, IMSI, ICCID, MSISDN, model, firmware).
    pub identity: Identity,
    /// SMSC from `+CSCA?`.
    pub smsc: Option<String>,
    /// The `+CNMI` variant accepted (None: the modem takes none; we poll with `+CMGL`).
    pub cnmi: Option<String>,
    /// `+CSMS=1` accepted: routed messages and reports must be acknowledged with `+CNMA`.
    pub needs_ack: bool,
}

/// Why initialisation failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InitError {
    /// Nothing answers `AT`.
    #[error("the modem does not answer AT")]
    NoAnswer,
    /// No SIM.
    #[error("no SIM inserted")]
    SimMissing,
    /// The SIM wants its PUK: a person must unlock it.
    #[error("the SIM is PUK-locked")]
    SimPuk,
    /// The SIM wants a PIN and none is configured.
    #[error("the SIM needs a PIN and none is configured")]
    PinRequired,
    /// The configured PIN was refused (not retried).
    #[error("the SIM refused the configured PIN; not retrying (attempts are limited)")]
    WrongPin,
    /// Another SIM problem.
    #[error("SIM problem: {0}")]
    Sim(String),
    /// PDU mode is not available.
    #[error("the modem refuses PDU mode (AT+CMGF=0): {0}")]
    NoPduMode(AtError),
    /// The link failed during initialisation.
    #[error("link failed during initialisation: {0}")]
    Link(AtError),
}

impl InitError {
    /// SIM problems wait for a person; the others are worth retrying.
    pub fn needs_person(&self) -> bool {
        matches!(
            self,
            InitError::SimMissing
                | InitError::SimPuk
                | InitError::PinRequired
                | InitError::WrongPin
                | InitError::Sim(_)
        )
    }
}

/// Runs the initialisation sequence.
pub async fn initialise(at: &AtClient, config: &InitConfig) -> Result<Initialised, InitError> {
    at.resync().await.map_err(InitError::Link)?;
    let mut answered = false;
    for _ in 0..3 {
        match at.command("AT").await {
            Ok(_) => {
                answered = true;
                break;
            }
            Err(AtError::Closed) => return Err(InitError::Link(AtError::Closed)),
            Err(_) => at.resync().await.map_err(InitError::Link)?,
        }
    }
    if !answered {
        return Err(InitError::NoAnswer);
    }
    // Settings some modems refuse; none is essential.
    for setting in ["ATE0", "ATV1", "AT+CMEE=1"] {
        optional(at.command(setting).await, setting);
    }
    unlock_sim(at, config.pin.as_deref()).await?;
    let identity = read_identity(at).await;
    at.command("AT+CMGF=0")
        .await
        .map_err(InitError::NoPduMode)?;
    let needs_ack = match at.command("AT+CSMS=1").await {
        Ok(r) => r
            .info("+CSMS")
            .is_some_and(|p| p.first().and_then(Param::int) == Some(1)),
        Err(_) => false,
    };
    select_storage(at, &config.storage).await;
    let mut cnmi = None;
    for variant in &config.cnmi {
        if at.command(&format!("AT+CNMI={variant}")).await.is_ok() {
            cnmi = Some(variant.clone());
            break;
        }
    }
    if cnmi.is_none() {
        warn!("the modem accepts none of the +CNMI settings tried; inbound messages will be polled with +CMGL");
    }
    let smsc = at
        .command("AT+CSCA?")
        .await
        .ok()
        .and_then(|r| r.info("+CSCA"))
        .and_then(|p| p.first().and_then(Param::text).map(str::to_string))
        .filter(|s| !s.is_empty());
    if at.command("AT+CREG=2").await.is_err() {
        optional(at.command("AT+CREG=1").await, "AT+CREG=1");
    }
    for setting in ["AT+CGREG=2", "AT+CEREG=2", "AT+COPS=3,0"] {
        optional(at.command(setting).await, setting);
    }
    info!(
        manufacturer = identity.manufacturer.as_deref().unwrap_or("?"),
        model = identity.model.as_deref().unwrap_or("?"),
        imei = identity.imei.as_deref().unwrap_or("?"),
        cnmi = cnmi.as_deref().unwrap_or("none"),
        "modem initialised"
    );
    Ok(Initialised {
        identity,
        smsc,
        cnmi,
        needs_ack,
    })
}

fn optional(result: Result<Response, AtError>, what: &str) {
    if let Err(e) = result {
        tracing::debug!("{what} not supported: {e}");
    }
}

async fn unlock_sim(at: &AtClient, pin: Option<&str>) -> Result<(), InitError> {
    let mut pin_entered = false;
    // A SIM can be busy for a few seconds after power-up (CME 14): wait, bounded.
    for _ in 0..10 {
        let state = match at.command_in("AT+CPIN?", Class::Slow).await {
            Ok(r) => r
                .info("+CPIN")
                .and_then(|p| p.first().and_then(Param::text).map(str::to_ascii_uppercase))
                .unwrap_or_else(|| "READY".to_string()),
            Err(AtError::Cme(code)) => match code.number() {
                Some(10) => return Err(InitError::SimMissing),
                Some(14) => {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                Some(11) => "SIM PIN".to_string(),
                Some(12) => "SIM PUK".to_string(),
                _ => return Err(InitError::Sim(code.to_string())),
            },
            Err(e @ (AtError::Closed | AtError::Io(_) | AtError::Timeout(_))) => {
                return Err(InitError::Link(e))
            }
            Err(e) => return Err(InitError::Sim(e.to_string())),
        };
        match state.as_str() {
            "READY" => return Ok(()),
            "SIM PIN" if pin_entered => {
                // Accepted but not ready yet: give the SIM a moment.
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            "SIM PIN" => {
                let Some(pin) = pin else {
                    return Err(InitError::PinRequired);
                };
                info!("entering the configured SIM PIN");
                match at
                    .command_in(&format!("AT+CPIN=\"{pin}\""), Class::Slow)
                    .await
                {
                    Ok(_) => pin_entered = true,
                    Err(AtError::Cme(ErrorCode::Numeric(16))) => return Err(InitError::WrongPin),
                    Err(AtError::Cme(code)) if code.number() == Some(16) => {
                        return Err(InitError::WrongPin)
                    }
                    Err(e) => return Err(InitError::Sim(format!("PIN entry failed: {e}"))),
                }
            }
            "SIM PUK" => return Err(InitError::SimPuk),
            other => return Err(InitError::Sim(other.to_string())),
        }
    }
    Err(InitError::Sim("the SIM did not become ready".to_string()))
}

async fn read_identity(at: &AtClient) -> Identity {
    let value = |r: Result<Response, AtError>, name: &str| -> Option<String> {
        let r = r.ok()?;
        r.info(name)
            .and_then(|p| p.first().and_then(Param::value))
            .or_else(|| r.plain_line().map(str::to_string))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let mut iccid = value(at.command("AT+CCID").await, "+CCID");
    if iccid.is_none() {
        iccid = value(at.command("AT^ICCID?").await, "^ICCID");
    }
    if iccid.is_none() {
        iccid = value(at.command("AT+QCCID").await, "+QCCID");
    }
    let msisdn = at
        .command("AT+CNUM")
        .await
        .ok()
        .and_then(|r| r.info("+CNUM"))
        .and_then(|p| p.get(1).and_then(Param::text).map(str::to_string))
        .filter(|s| !s.is_empty());
    Identity {
        manufacturer: value(at.command("AT+CGMI").await, "+CGMI"),
        model: value(at.command("AT+CGMM").await, "+CGMM"),
        revision: value(at.command("AT+CGMR").await, "+CGMR"),
        imei: value(at.command("AT+CGSN").await, "+CGSN"),
        imsi: value(at.command("AT+CIMI").await, "+CIMI"),
        iccid,
        msisdn,
    }
}

async fn select_storage(at: &AtClient, preferred: &str) {
    for storage in [preferred, "SM", "ME"] {
        let command = format!("AT+CPMS=\"{storage}\",\"{storage}\",\"{storage}\"");
        if at.command_in(&command, Class::Slow).await.is_ok() {
            return;
        }
    }
    warn!("the modem accepts no +CPMS storage; using its default");
}

/// Reads signal, registration and operator.
pub async fn poll_network(at: &AtClient) -> Result<NetworkStatus, AtError> {
    let csq = at.command("AT+CSQ").await?;
    let rssi = csq
        .info("+CSQ")
        .and_then(|p| p.first().and_then(Param::int))
        .and_then(|r| u8::try_from(r).ok());
    let registration = at
        .command("AT+CREG?")
        .await
        .ok()
        .and_then(|r| r.info("+CREG"))
        .and_then(|p| {
            // `+CREG: <n>,<stat>[,…]`
            p.get(1)
                .and_then(Param::int)
                .and_then(|s| u8::try_from(s).ok())
                .map(Registration::from_stat)
        });
    let operator = at
        .command_in("AT+COPS?", Class::Slow)
        .await
        .ok()
        .and_then(|r| r.info("+COPS"))
        .and_then(|p| p.get(2).and_then(Param::text).map(str::to_string));
    Ok(NetworkStatus {
        registration,
        operator,
        rssi: rssi.filter(|&r| r != 99),
        signal_dbm: rssi.and_then(csq_to_dbm),
    })
}
