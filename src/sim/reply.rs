//! What a simulated modem's command answers — information lines ([`Info`]), then a final
//! result code, the `> ` prompt or a reboot ([`Next`]) — rendered as a modem writes them,
//! and the argument helpers every command uses. Shared by the general commands
//! (`commands.rs`) and the SMS commands (`sms.rs`), so neither needs the other's internals.
//!
//! Pure; never imports `at/`, `modem/` or anything higher.

use super::codes::{
    frame, frame_with_body, Final, CME_BAD_PARAMETERS, CME_NO_SIM, CME_SIM_PIN, CME_SIM_PUK,
};
use super::modem::{ModemState, SimLock};
use super::parse::Arg;

/// One information response: a line, optionally followed by its PDU or text line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Info {
    pub header: String,
    pub body: Option<String>,
}

impl Info {
    pub(crate) fn line(header: impl Into<String>) -> Self {
        Self {
            header: header.into(),
            body: None,
        }
    }

    pub(crate) fn with_body(header: impl Into<String>, body: impl Into<String>) -> Self {
        Self {
            header: header.into(),
            body: Some(body.into()),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        match &self.body {
            Some(body) => frame_with_body(&self.header, body),
            None => frame(&self.header),
        }
    }
}

/// What `+CMGS` waits for after the prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Prompt {
    /// PDU mode: hex of SMSC + TPDU, TPDU `length` octets.
    Pdu { length: usize },
    /// Text mode: text for `destination`.
    Text { destination: String },
}

/// What follows the information lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Next {
    Final(Final),
    Prompt(Prompt),
    /// `OK`, then the modem reboots (`AT+CFUN=1,1`).
    Reboot,
}

/// The answer to a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub info: Vec<Info>,
    pub next: Next,
}

/// A command's result: `Ok(Next)` or a final error.
pub(crate) type Outcome = Result<Next, Final>;

pub(crate) const OK: Outcome = Ok(Next::Final(Final::Ok));

impl Reply {
    /// The bytes to write: information lines, the URC `mid` when given (between them and
    /// the final result code), and the final result code or prompt.
    pub(crate) fn render(&self, cmee: u8, mid: Option<&str>) -> Vec<u8> {
        let mut out: Vec<u8> = self.info.iter().flat_map(Info::bytes).collect();
        if let Some(mid) = mid {
            out.extend(frame(mid));
        }
        match &self.next {
            Next::Final(f) => out.extend(frame(&f.line(cmee))),
            Next::Reboot => out.extend(frame("OK")),
            Next::Prompt(_) => out.extend_from_slice(b"\r\n> "),
        }
        out
    }
}

/// `Err(+CME ERROR)` unless the SIM is present and unlocked.
pub(crate) fn require_sim(state: &ModemState) -> Result<(), Final> {
    if state.config.faults.no_sim {
        return Err(Final::Cme(CME_NO_SIM));
    }
    match state.sim {
        SimLock::Ready => Ok(()),
        SimLock::Pin { .. } => Err(Final::Cme(CME_SIM_PIN)),
        SimLock::Puk { .. } => Err(Final::Cme(CME_SIM_PUK)),
    }
}

/// The `index`th argument as a number; `Ok(None)` when omitted.
pub(crate) fn num(args: &[Option<Arg>], index: usize) -> Result<Option<u32>, Final> {
    match args.get(index) {
        None | Some(None) => Ok(None),
        Some(Some(arg)) if arg.quoted => Err(Final::Cme(CME_BAD_PARAMETERS)),
        Some(Some(arg)) => arg
            .text
            .parse()
            .map(Some)
            .map_err(|_| Final::Cme(CME_BAD_PARAMETERS)),
    }
}

/// The `index`th argument as text; `None` when omitted.
pub(crate) fn text(args: &[Option<Arg>], index: usize) -> Option<&str> {
    args.get(index)
        .and_then(Option::as_ref)
        .map(|a| a.text.as_str())
}
