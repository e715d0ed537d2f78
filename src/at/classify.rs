//! Classifies every line from the modem exactly once, in one place: final result code,
//! unsolicited result code, echo of what we wrote, or information line of the running
//! command.
//!
//! The rule that keeps URCs out of command responses (and responses out of the URC
//! stream): a line whose name is in the URC table is a URC unless the running command
//! *expects* that name as its answer (`AT+CREG?` answers `+CREG: …`, `AT+CPIN?` answers
//! `+CPIN: …`). `+CMT`/`+CDS`/`+CBM` are never an answer to anything, so they are always
//! URCs, with their PDU line.

use super::error::{AtError, ErrorCode};
use super::urc;

/// What the running command expects, for classification.
#[derive(Debug, Clone, Default)]
pub struct Expectation {
    /// The command line as written (for recognising its echo).
    pub command: String,
    /// The body written after the prompt (a PDU), whose echo is also dropped.
    pub body: Option<String>,
    /// The information-line name the command answers with (`+CREG` for `AT+CREG?`).
    pub answer_name: Option<String>,
}

impl Expectation {
    /// Derives the expectation from a command line: `AT+CSQ` answers `+CSQ`,
    /// `AT+CMGS=23` answers `+CMGS`, `AT^SYSINFO` answers `^SYSINFO`.
    pub fn for_command(command: &str) -> Self {
        let body = command.get(2..).unwrap_or_default();
        let name_end = body.find(['=', '?', ';']).unwrap_or(body.len());
        let name = body.get(..name_end).unwrap_or_default();
        let answer_name =
            (name.starts_with('+') || name.starts_with('^')).then(|| name.to_ascii_uppercase());
        Self {
            command: command.to_string(),
            body: None,
            answer_name,
        }
    }
}

/// The class of one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineClass {
    /// The command is complete: `Ok(())` for `OK`, the error otherwise.
    Final(Result<(), AtError>),
    /// An unsolicited result code; `trailing` more lines belong to it.
    Urc {
        /// How many following lines belong to it.
        trailing: usize,
    },
    /// Our own command (or PDU) echoed back.
    Echo,
    /// An information line of the running command.
    Info,
    /// A line nobody asked for (no command running, not a known URC).
    Unsolicited,
}

/// Parses a final result code.
pub fn final_result(line: &str) -> Option<Result<(), AtError>> {
    let upper = line.trim();
    if upper == "OK" {
        return Some(Ok(()));
    }
    if let Some(code) = upper.strip_prefix("+CME ERROR:") {
        return Some(Err(AtError::Cme(ErrorCode::parse(code))));
    }
    if let Some(code) = upper.strip_prefix("+CMS ERROR:") {
        return Some(Err(AtError::Cms(ErrorCode::parse(code))));
    }
    match upper {
        // Verbose (ATV1) codes only: the driver sets ATV1, and a bare "0" or "4" could be
        // an information line. The vendor words are Huawei's.
        "ERROR" | "COMMAND NOT SUPPORT" | "TOO MANY PARAMETERS" => Some(Err(AtError::Error)),
        "NO CARRIER" | "BUSY" | "NO ANSWER" | "NO DIALTONE" => {
            Some(Err(AtError::CallResult(upper.to_string())))
        }
        _ => None,
    }
}

/// Classifies `line` given what the running command (if any) expects.
pub fn classify(line: &str, running: Option<&Expectation>) -> LineClass {
    if let Some(exp) = running {
        if let Some(result) = final_result(line) {
            return LineClass::Final(result);
        }
        if line.eq_ignore_ascii_case(exp.command.trim()) || exp.body.as_deref() == Some(line) {
            return LineClass::Echo;
        }
    }
    if let Some((name, trailing)) = urc::recognise(line) {
        let answers = running
            .and_then(|e| e.answer_name.as_deref())
            .is_some_and(|answer| answer.eq_ignore_ascii_case(name));
        let always_urc = trailing > 0;
        if always_urc || !answers {
            return LineClass::Urc { trailing };
        }
    }
    if running.is_some() {
        LineClass::Info
    } else {
        LineClass::Unsolicited
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(cmd: &str) -> Expectation {
        Expectation::for_command(cmd)
    }

    #[test]
    fn finals() {
        assert_eq!(
            classify("OK", Some(&running("AT"))),
            LineClass::Final(Ok(()))
        );
        assert_eq!(
            classify("+CMS ERROR: 500", Some(&running("AT+CMGS=20"))),
            LineClass::Final(Err(AtError::Cms(ErrorCode::Numeric(500))))
        );
        assert_eq!(
            classify("+CME ERROR: SIM PIN required", Some(&running("AT+CSQ"))),
            LineClass::Final(Err(AtError::Cme(ErrorCode::Text(
                "SIM PIN required".into()
            ))))
        );
        assert_eq!(
            classify("COMMAND NOT SUPPORT", Some(&running("AT^X"))),
            LineClass::Final(Err(AtError::Error))
        );
    }

    #[test]
    fn a_urc_during_a_command_stays_a_urc() {
        let csq = running("AT+CSQ");
        assert_eq!(classify("+CSQ: 20,99", Some(&csq)), LineClass::Info);
        assert_eq!(
            classify("+CMTI: \"SM\",2", Some(&csq)),
            LineClass::Urc { trailing: 0 }
        );
        assert_eq!(
            classify("+CREG: 1", Some(&csq)),
            LineClass::Urc { trailing: 0 }
        );
        assert_eq!(
            classify("+CMT: ,23", Some(&csq)),
            LineClass::Urc { trailing: 1 }
        );
        assert_eq!(
            classify("^RSSI: 9", Some(&csq)),
            LineClass::Urc { trailing: 0 }
        );
    }

    #[test]
    fn the_answer_of_a_query_that_shares_a_urc_name_is_info() {
        assert_eq!(
            classify("+CREG: 2,1", Some(&running("AT+CREG?"))),
            LineClass::Info
        );
        assert_eq!(
            classify("+CPIN: READY", Some(&running("AT+CPIN?"))),
            LineClass::Info
        );
        // …but +CMT is never an answer, even to a command named alike.
        assert_eq!(
            classify("+CMT: ,23", Some(&running("AT+CMT?"))),
            LineClass::Urc { trailing: 1 }
        );
    }

    #[test]
    fn echo_and_unsolicited() {
        let mut e = running("AT+CMGS=23");
        e.body = Some("0001000B91".into());
        assert_eq!(classify("AT+CMGS=23", Some(&e)), LineClass::Echo);
        assert_eq!(classify("at+cmgs=23", Some(&e)), LineClass::Echo);
        assert_eq!(classify("0001000B91", Some(&e)), LineClass::Echo);
        assert_eq!(classify("OK", None), LineClass::Unsolicited);
        assert_eq!(classify("RING", None), LineClass::Urc { trailing: 0 });
    }

    #[test]
    fn answer_names() {
        assert_eq!(running("AT+CMGL=4").answer_name.as_deref(), Some("+CMGL"));
        assert_eq!(
            running("AT^SYSINFO").answer_name.as_deref(),
            Some("^SYSINFO")
        );
        assert_eq!(running("ATI").answer_name, None);
        assert_eq!(running("AT+cpin?").answer_name.as_deref(), Some("+CPIN"));
    }
}
