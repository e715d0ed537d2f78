//! USSD on a simulated modem (27.007 §7.15): `AT+CUSD=1,"<code>"[,<dcs>]` answers `OK`
//! and then the network's `+CUSD` URC, from a small menu with sessions; `AT+CUSD=2` ends
//! the session. Answers come as plain text, UCS-2 hex or packed GSM-7 hex per modem
//! ([`UssdCoding`]), as real modems differ, so the host's decoders are all exercised.
//!
//! The menu: `*100#` answers the balance (`Balance: 12.34 EUR`, settable); `*123#` asks
//! for a choice (`m=1`) and answers `1` with the balance and `2` with the number; `*999#`
//! never answers (for timeouts); other codes answer `m=4` (not supported).
//!
//! Never imports `at/`, `modem/` or anything higher.

use super::codes::{Final, CME_BAD_PARAMETERS};
use super::modem::ModemState;
use super::parse::{Arg, Form};
use super::reply::{num, text, Info, Outcome, OK};
use crate::pdu::ussd::{encode_packed_hex, encode_ucs2_hex};

/// How a simulated modem writes USSD answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UssdCoding {
    /// Plain text, DCS 15.
    #[default]
    Text,
    /// UCS-2 hex, DCS 72.
    Ucs2Hex,
    /// Packed GSM-7 hex, DCS 15 (Huawei-style).
    PackedHex,
}

/// USSD settings of one simulated modem.
#[derive(Debug, Clone, PartialEq)]
pub struct UssdConfig {
    /// How answers are written.
    pub coding: UssdCoding,
    /// The balance `*100#` reports.
    pub balance: String,
}

impl Default for UssdConfig {
    fn default() -> Self {
        Self {
            coding: UssdCoding::Text,
            balance: "12.34".into(),
        }
    }
}

/// The menu `*123#` opened, waiting for a choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Session {
    Menu,
}

/// `+CUSD`.
pub(crate) fn command(state: &mut ModemState, form: &Form, info: &mut Vec<Info>) -> Outcome {
    match form {
        Form::Read => info.push(Info::line("+CUSD: 1")),
        Form::Test => info.push(Info::line("+CUSD: (0-2)")),
        Form::Set(args) => return set(state, args),
        Form::Action => {}
    }
    OK
}

fn set(state: &mut ModemState, args: &[Option<Arg>]) -> Outcome {
    match num(args, 0)? {
        Some(2) => {
            state.ussd_session = None;
            OK
        }
        Some(0 | 1) | None => match text(args, 1) {
            None => OK,
            Some(code) => {
                let code = code.to_string();
                if let Some((m, answer)) = answer(state, &code) {
                    let line = render(&state.config.ussd, m, &answer);
                    state.emit_line(&line);
                }
                OK
            }
        },
        Some(_) => Err(Final::Cme(CME_BAD_PARAMETERS)),
    }
}

/// The network's answer to `code` (`m`, text), or `None` for no answer at all.
fn answer(state: &mut ModemState, code: &str) -> Option<(u8, String)> {
    let balance = format!("Balance: {} EUR", state.config.ussd.balance);
    if state.ussd_session.take() == Some(Session::Menu) {
        return Some(match code {
            "1" => (0, balance),
            "2" => (0, format!("Your number is {}", state.msisdn)),
            _ => (2, "Invalid choice".into()),
        });
    }
    match code {
        "*100#" => Some((0, balance)),
        "*123#" => {
            state.ussd_session = Some(Session::Menu);
            Some((1, "1 Balance\n2 My number".into()))
        }
        "*999#" => None,
        _ => Some((4, String::new())),
    }
}

fn render(config: &UssdConfig, m: u8, answer: &str) -> String {
    if m == 4 {
        return "+CUSD: 4".into();
    }
    let (body, dcs) = match config.coding {
        UssdCoding::Text => (answer.replace('"', "'"), 15),
        UssdCoding::Ucs2Hex => (encode_ucs2_hex(answer), 72),
        UssdCoding::PackedHex => (encode_packed_hex(answer), 15),
    };
    format!("+CUSD: {m},\"{body}\",{dcs}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_each_coding() {
        let mut c = UssdConfig::default();
        assert_eq!(render(&c, 0, "Hi you"), "+CUSD: 0,\"Hi you\",15");
        c.coding = UssdCoding::Ucs2Hex;
        assert_eq!(render(&c, 0, "Hi"), "+CUSD: 0,\"00480069\",72");
        c.coding = UssdCoding::PackedHex;
        assert_eq!(render(&c, 1, "*100#"), "+CUSD: 1,\"AA180C3602\",15");
        assert_eq!(render(&c, 4, ""), "+CUSD: 4");
    }
}
