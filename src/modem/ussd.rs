//! USSD on one modem (27.007 §7.15): `AT+CUSD=1,"<code>",15` asks, the network answers
//! with a `+CUSD: <m>[,<str>[,<dcs>]]` URC (a few modems put it before their `OK`, as an
//! information line); `m=1` means the network waits for a reply, sent the same way within
//! the session. `AT+CUSD=2` ends a session (on our timeout, or when a new request finds a
//! stale one).
//!
//! Invariants: one USSD exchange at a time per modem (a second caller gets
//! [`UssdError::Busy`] at once, never a queue that outlives its HTTP request); a session is
//! continued only with its id; every wait has a deadline; the codes and replies are never
//! logged (they may carry a PIN or a voucher — the AT engine redacts `AT+CUSD=` too).
//! SMS sends interleave freely: the AT engine serialises the commands, and the answer
//! arrives as a URC the session loop hands to [`UssdState::deliver`].

use crate::at::{AtClient, AtError, Class, Cusd};
use crate::pdu::ussd::{self, UssdCoding};
use serde::Serialize;
use std::sync::Mutex;
use std::time::Duration;
use thiserror::Error;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::{info, warn};

/// How long an open session (`m=1`) waits for our reply before we treat it as gone: the
/// network's own session timer is 30–180 s.
pub const SESSION_IDLE: Duration = Duration::from_secs(120);

/// Longest USSD string accepted (a USSD string is at most 182 GSM-7 characters).
pub const MAX_CODE_LEN: usize = 182;

/// One USSD request.
#[derive(Debug, Clone)]
pub struct UssdRequest {
    /// The code (`*100#`) or, in a session, the reply (`1`).
    pub code: String,
    /// The session to continue (from a previous answer with `more`).
    pub session_id: Option<String>,
    /// How long to wait for the network's answer.
    pub timeout: Duration,
}

/// The network's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UssdAnswer {
    /// `<m>` of `+CUSD`.
    pub status: u8,
    /// The network waits for a reply (`m=1`): send it with `session_id`.
    pub more: bool,
    /// The session to continue, when `more`.
    pub session_id: Option<String>,
    /// The decoded answer.
    pub text: Option<String>,
    /// How the modem coded the answer.
    pub coding: Option<UssdCoding>,
    /// `<dcs>` as the modem gave it.
    pub dcs: Option<u8>,
}

/// Why a USSD request got no answer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UssdError {
    /// The code is not a USSD string we send (`field` names what).
    #[error("{0}")]
    Invalid(String),
    /// Another USSD exchange or an open session holds the modem.
    #[error("modem {0} is busy with another USSD exchange")]
    Busy(String),
    /// The session id is not the open session.
    #[error("no open USSD session {0} on this modem")]
    UnknownSession(String),
    /// The modem is not initialised (no AT session).
    #[error("modem {0} is not ready")]
    NotReady(String),
    /// The modem refused the command.
    #[error("the modem refused AT+CUSD: {0}")]
    Refused(AtError),
    /// The network does not support the code (`m=4`).
    #[error("the network does not support this USSD code")]
    NotSupported,
    /// No answer in time (ours, or the network's `m=5`).
    #[error("no USSD answer within {0:?}")]
    Timeout(Duration),
}

#[derive(Debug)]
struct OpenSession {
    id: String,
    expires: Instant,
}

/// The USSD state of one modem: who waits for the next `+CUSD`, and the open session.
#[derive(Debug, Default)]
pub struct UssdState {
    /// Held for a whole exchange: one at a time.
    exchange: tokio::sync::Mutex<()>,
    waiter: Mutex<Option<oneshot::Sender<Cusd>>>,
    session: Mutex<Option<OpenSession>>,
}

impl UssdState {
    /// Hands a `+CUSD` URC to the waiting request. False when nobody waits (a
    /// network-initiated USSD, or an answer after our timeout).
    pub fn deliver(&self, cusd: Cusd) -> bool {
        let waiter = self.waiter.lock().ok().and_then(|mut w| w.take());
        match waiter {
            Some(tx) => tx.send(cusd).is_ok(),
            None => false,
        }
    }

    /// Whether a USSD exchange runs or a session is open now (the balance check waits).
    pub fn busy(&self) -> bool {
        self.exchange.try_lock().is_err() || self.open_session().is_some()
    }

    fn open_session(&self) -> Option<String> {
        let mut session = self.session.lock().ok()?;
        if session
            .as_ref()
            .is_some_and(|s| s.expires <= Instant::now())
        {
            *session = None;
        }
        session.as_ref().map(|s| s.id.clone())
    }

    fn set_session(&self, id: Option<String>) {
        if let Ok(mut s) = self.session.lock() {
            *s = id.map(|id| OpenSession {
                id,
                expires: Instant::now() + SESSION_IDLE,
            });
        }
    }

    fn set_waiter(&self, tx: Option<oneshot::Sender<Cusd>>) {
        if let Ok(mut w) = self.waiter.lock() {
            *w = tx;
        }
    }

    /// Runs one exchange on `client`.
    pub async fn run(
        &self,
        client: &AtClient,
        modem: &str,
        request: &UssdRequest,
    ) -> Result<UssdAnswer, UssdError> {
        check_code(&request.code)?;
        let Ok(_exchange) = self.exchange.try_lock() else {
            return Err(UssdError::Busy(modem.to_string()));
        };
        match (self.open_session(), &request.session_id) {
            (Some(open), Some(asked)) if open == *asked => {}
            (Some(_), None) => return Err(UssdError::Busy(modem.to_string())),
            (_, Some(asked)) => return Err(UssdError::UnknownSession(asked.clone())),
            (None, None) => {}
        }
        let (tx, rx) = oneshot::channel();
        self.set_waiter(Some(tx));
        // audit: the caller records the USSD request (never the code itself).
        let command = format!("AT+CUSD=1,\"{}\",15", request.code);
        let started = Instant::now();
        let inline = match client
            .command_in(&command, Class::Within(request.timeout))
            .await
        {
            Ok(response) => Cusd::from_lines(&response.lines),
            Err(AtError::Timeout(_)) => None,
            Err(e) => {
                self.set_waiter(None);
                self.set_session(None);
                warn!(modem, "AT+CUSD refused: {e}");
                return Err(UssdError::Refused(e));
            }
        };
        let cusd = match inline {
            Some(cusd) => Some(cusd),
            None => {
                let left = request.timeout.saturating_sub(started.elapsed());
                tokio::time::timeout(left, rx)
                    .await
                    .ok()
                    .and_then(Result::ok)
            }
        };
        self.set_waiter(None);
        let Some(cusd) = cusd else {
            warn!(modem, "no USSD answer in time; cancelling with AT+CUSD=2");
            self.cancel(client).await;
            return Err(UssdError::Timeout(request.timeout));
        };
        self.answer(client, cusd, request).await
    }

    async fn answer(
        &self,
        client: &AtClient,
        cusd: Cusd,
        request: &UssdRequest,
    ) -> Result<UssdAnswer, UssdError> {
        let more = cusd.status == 1;
        let session_id = more.then(|| {
            request
                .session_id
                .clone()
                .unwrap_or_else(|| format!("ussd_{}", hex::encode(rand::random::<[u8; 8]>())))
        });
        self.set_session(session_id.clone());
        match cusd.status {
            4 => return Err(UssdError::NotSupported),
            5 => {
                self.cancel(client).await;
                return Err(UssdError::Timeout(request.timeout));
            }
            _ => {}
        }
        let decoded = cusd.text.as_deref().map(|t| ussd::decode(t, cusd.dcs));
        info!(status = cusd.status, more, "USSD answered");
        Ok(UssdAnswer {
            status: cusd.status,
            more,
            session_id,
            coding: decoded.as_ref().map(|d| d.coding),
            text: decoded.map(|d| d.text),
            dcs: cusd.dcs,
        })
    }

    async fn cancel(&self, client: &AtClient) {
        self.set_session(None);
        if let Err(e) = client.command("AT+CUSD=2").await {
            warn!("AT+CUSD=2 failed: {e}");
        }
    }
}

/// A USSD string we send: `0-9 * # +`, at most [`MAX_CODE_LEN`] characters. Nothing else
/// reaches the AT command line (a quote would end the string and inject a command).
pub fn check_code(code: &str) -> Result<(), UssdError> {
    if code.is_empty() {
        return Err(UssdError::Invalid("code: must not be empty".into()));
    }
    if code.len() > MAX_CODE_LEN {
        return Err(UssdError::Invalid(format!(
            "code: at most {MAX_CODE_LEN} characters"
        )));
    }
    if !code
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '*' | '#' | '+'))
    {
        return Err(UssdError::Invalid(
            "code: only digits, '*', '#' and '+' are allowed".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert!(check_code("*100#").is_ok());
        assert!(check_code("1").is_ok());
        assert!(check_code("*123*1234567890#").is_ok());
        assert!(check_code("").is_err());
        assert!(check_code("*100#\",0;+CFUN=0").is_err());
        assert!(check_code(&"1".repeat(183)).is_err());
    }

    #[test]
    fn deliver_without_waiter_is_false() {
        let state = UssdState::default();
        let cusd = Cusd {
            status: 0,
            text: None,
            dcs: None,
        };
        assert!(!state.deliver(cusd.clone()));
        let (tx, mut rx) = oneshot::channel();
        state.set_waiter(Some(tx));
        assert!(state.deliver(cusd.clone()));
        assert_eq!(rx.try_recv().ok(), Some(cusd));
        assert!(!state.busy());
    }
}
