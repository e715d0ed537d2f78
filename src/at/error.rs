//! Errors of the AT engine: the modem's own final result codes (`ERROR`, `+CME ERROR`,
//! `+CMS ERROR`) kept apart from the engine's (deadline missed, port closed), because the
//! modem driver decides on them differently — retry, fail over, or declare the modem down.

use std::time::Duration;
use thiserror::Error;

/// An error code as the modem sent it: numeric with `AT+CMEE=1`, text with `=2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorCode {
    /// Numeric form.
    Numeric(u16),
    /// Verbose form; [`ErrorCode::number`] maps the common texts back to numbers.
    Text(String),
}

impl ErrorCode {
    pub(crate) fn parse(s: &str) -> Self {
        let s = s.trim();
        s.parse()
            .map_or_else(|_| ErrorCode::Text(s.to_string()), ErrorCode::Numeric)
    }

    /// The numeric code (27.007 §9.2 for CME, 27.005 §3.2.5 for CMS), also for the verbose
    /// texts modems commonly send.
    pub fn number(&self) -> Option<u16> {
        match self {
            ErrorCode::Numeric(n) => Some(*n),
            ErrorCode::Text(t) => VERBOSE
                .iter()
                .find(|(text, _)| t.eq_ignore_ascii_case(text))
                .map(|(_, n)| *n),
        }
    }
}

/// Verbose texts of 27.007 / 27.005 and their numbers (the ones that drive decisions).
static VERBOSE: &[(&str, u16)] = &[
    ("phone failure", 0),
    ("operation not allowed", 3),
    ("operation not supported", 4),
    ("SIM not inserted", 10),
    ("SIM PIN required", 11),
    ("SIM PUK required", 12),
    ("SIM failure", 13),
    ("SIM busy", 14),
    ("SIM wrong", 15),
    ("incorrect password", 16),
    ("memory full", 20),
    ("invalid index", 21),
    ("no network service", 30),
    ("network timeout", 31),
    ("unknown error", 100),
    ("ME failure", 300),
    ("operation not allowed", 302),
    ("operation not supported", 303),
    ("invalid PDU mode parameter", 304),
    ("invalid text mode parameter", 305),
    ("SIM not inserted", 310),
    ("SIM PIN required", 311),
    ("SIM failure", 313),
    ("SIM busy", 314),
    ("memory failure", 320),
    ("invalid memory index", 321),
    ("memory full", 322),
    ("SMSC address unknown", 330),
    ("no network service", 331),
    ("network timeout", 332),
    ("no +CNMA acknowledgement expected", 340),
    ("unknown error", 500),
];

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ErrorCode::Numeric(n) => write!(f, "{n}"),
            ErrorCode::Text(t) => f.write_str(t),
        }
    }
}

/// Why an AT command failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AtError {
    /// Plain `ERROR` (or a vendor word such as `COMMAND NOT SUPPORT`).
    #[error("ERROR")]
    Error,
    /// `+CME ERROR: <code>` (equipment / SIM / network).
    #[error("+CME ERROR: {0}")]
    Cme(ErrorCode),
    /// `+CMS ERROR: <code>` (SMS).
    #[error("+CMS ERROR: {0}")]
    Cms(ErrorCode),
    /// `NO CARRIER`, `BUSY`, `NO ANSWER`, `NO DIALTONE`.
    #[error("{0}")]
    CallResult(String),
    /// No final result code before the deadline.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// No `> ` prompt before the deadline (ESC was sent to cancel).
    #[error("no '> ' prompt within {0:?}")]
    NoPrompt(Duration),
    /// The port closed (EOF), or the engine has stopped.
    #[error("port closed")]
    Closed,
    /// The port closed after a two-phase command's body was written, before its answer:
    /// whether the device acted on it is unknown (a modem unplugged mid-`+CMGS`).
    #[error("port closed after the body was written (outcome unknown)")]
    ClosedAfterBody,
    /// A read or write failed.
    #[error("I/O error: {0}")]
    Io(String),
    /// The command text itself is unusable (contains CR, Ctrl-Z or ESC).
    #[error("invalid command: {0}")]
    InvalidCommand(&'static str),
}

impl AtError {
    /// Whether the modem itself answered (as opposed to the link failing).
    pub fn is_modem_answer(&self) -> bool {
        matches!(
            self,
            AtError::Error | AtError::Cme(_) | AtError::Cms(_) | AtError::CallResult(_)
        )
    }
}
