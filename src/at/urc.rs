//! Unsolicited result codes: which lines are URCs (a prefix table covering 27.005/27.007
//! and the common vendor ones), how many lines follow each (`+CMT`, `+CDS` and `+CBM`
//! carry their PDU on the next line), and their typed form.

use super::params::{self, Param};

/// How a URC name is recognised and how many lines belong to it.
struct UrcSpec {
    name: &'static str,
    trailing_lines: usize,
}

const fn spec(name: &'static str, trailing_lines: usize) -> UrcSpec {
    UrcSpec {
        name,
        trailing_lines,
    }
}

/// Every URC name we know. Names with a `+`/`^` prefix are matched before the colon;
/// bare words (`RING`, `RDY`) match the whole line.
static URCS: &[UrcSpec] = &[
    spec("+CMTI", 0),
    spec("+CMT", 1),
    spec("+CDSI", 0),
    spec("+CDS", 1),
    spec("+CBMI", 0),
    spec("+CBM", 1),
    spec("+CREG", 0),
    spec("+CGREG", 0),
    spec("+CEREG", 0),
    spec("+CRING", 0),
    spec("+CLIP", 0),
    spec("+CUSD", 0),
    spec("+CPIN", 0),
    spec("+CFUN", 0),
    spec("+PACSP", 0),
    spec("+QIND", 0),
    spec("+QUSIM", 0),
    spec("+CIEV", 0),
    spec("+STIN", 0),
    spec("^RSSI", 0),
    spec("^HCSQ", 0),
    spec("^BOOT", 0),
    spec("^MODE", 0),
    spec("^SRVST", 0),
    spec("^SIMST", 0),
    spec("^SYSSTART", 0),
    spec("^CEND", 0),
    spec("^ORIG", 0),
    spec("^CONF", 0),
    spec("^CONN", 0),
    spec("^DSFLOWRPT", 0),
    spec("^STIN", 0),
    spec("RING", 0),
    spec("RDY", 0),
    spec("SMS Ready", 0),
    spec("SMS DONE", 0),
    spec("Call Ready", 0),
    spec("PB DONE", 0),
    spec("NORMAL POWER DOWN", 0),
];

/// The name of a URC line if it is one, and how many trailing lines it has.
pub fn recognise(line: &str) -> Option<(&'static str, usize)> {
    let name = line.split_once(':').map_or(line, |(n, _)| n).trim();
    URCS.iter()
        .find(|s| s.name.eq_ignore_ascii_case(name) || s.name.eq_ignore_ascii_case(line.trim()))
        .map(|s| (s.name, s.trailing_lines))
}

/// Registration domain of a `+CREG`/`+CGREG`/`+CEREG` URC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Domain {
    /// Circuit switched (`+CREG`), which SMS over the CS domain needs.
    Cs,
    /// GPRS (`+CGREG`).
    Gprs,
    /// EPS/LTE (`+CEREG`).
    Eps,
}

/// The parameters of `+CUSD` (27.007 §7.15).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cusd {
    /// `<m>`: 0 no further action, 1 further user action required, 2 terminated by the
    /// network, 3 answered by another local client, 4 not supported, 5 network timeout.
    pub status: u8,
    /// `<str>` as the modem wrote it (text, or hex — see `pdu::ussd::decode`).
    pub text: Option<String>,
    /// `<dcs>`: the cell-broadcast data coding scheme of `<str>`.
    pub dcs: Option<u8>,
}

impl Cusd {
    /// From the parameters of a `+CUSD:` line (a URC, or an information line when the
    /// modem answers before its `OK`).
    pub fn from_params(params: &[Param]) -> Option<Cusd> {
        let status = u8::try_from(params.first()?.int()?).ok()?;
        let text = params.get(1).and_then(Param::value);
        let dcs = params
            .get(2)
            .and_then(Param::int)
            .and_then(|d| u8::try_from(d).ok());
        Some(Cusd { status, text, dcs })
    }
}

impl Cusd {
    /// The `+CUSD` of a command's information lines (a modem that answers before its
    /// `OK`), its quoted text joined across lines when it spans several.
    pub fn from_lines(lines: &[String]) -> Option<Cusd> {
        let start = lines
            .iter()
            .position(|l| l.trim_start().to_ascii_uppercase().starts_with("+CUSD:"))?;
        let mut joined = lines.get(start)?.clone();
        for next in lines.iter().skip(start + 1) {
            if joined.bytes().filter(|&b| b == b'"').count() % 2 == 0 {
                break;
            }
            joined.push('\n');
            joined.push_str(next);
        }
        let (_, params) = params::split_info(&joined)?;
        Cusd::from_params(&params)
    }
}

/// A typed URC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Urc {
    /// `+CMTI: <mem>,<index>`: a message was stored.
    MessageStored {
        /// Storage name (`SM`, `ME`…).
        storage: String,
        /// Index in that storage.
        index: u32,
    },
    /// `+CMT: [<alpha>],<length>` + PDU line: a message routed directly to us.
    Message {
        /// TPDU length announced.
        length: usize,
        /// The PDU line (hex, SMSC first).
        pdu: String,
    },
    /// `+CDS: <length>` + PDU line: a status report routed directly to us.
    StatusReport {
        /// TPDU length announced.
        length: usize,
        /// The PDU line.
        pdu: String,
    },
    /// `+CDSI: <mem>,<index>`: a status report was stored.
    StatusReportStored {
        /// Storage name.
        storage: String,
        /// The storage index the report was written to.
        index: u32,
    },
    /// Registration state change.
    Registration {
        /// Which domain.
        domain: Domain,
        /// 27.007 `<stat>`: 1 home, 5 roaming, 2 searching, 3 denied, 0 not registered.
        stat: u8,
    },
    /// Signal quality (`^RSSI: n`, 0–31 like `+CSQ`).
    Signal {
        /// RSSI index.
        rssi: u8,
    },
    /// The modem (re)started: `RDY`, `^BOOT`-free `^SYSSTART`, `+CFUN: 1`, `SMS Ready`…
    Restarted,
    /// SIM state changed (`+CPIN: …` unsolicited).
    SimState(String),
    /// `+CUSD: <m>[,<str>[,<dcs>]]`: the network's USSD answer (or a network-initiated
    /// USSD), not decoded yet (the DCS decides how; see `pdu::ussd`).
    Ussd(Cusd),
    /// Anything else unsolicited: a known vendor URC we do not act on, or a line no command
    /// was waiting for. Kept for the log.
    Other(String),
}

impl Urc {
    /// Builds the typed form from the URC line and its trailing lines.
    pub fn parse(line: &str, trailing: &[String]) -> Urc {
        let Some((name, _)) = recognise(line) else {
            return Urc::Other(line.to_string());
        };
        let params = params::split_info(line).map(|(_, p)| p).unwrap_or_default();
        let storage_index = |params: &[Param]| -> Option<(String, u32)> {
            let storage = params.first()?.text()?.to_string();
            let index = u32::try_from(params.get(1)?.int()?).ok()?;
            Some((storage, index))
        };
        let pdu_line = || {
            trailing
                .first()
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let last_int = |params: &[Param]| params.iter().rev().find_map(Param::int);
        let parsed = match name {
            "+CMTI" => {
                storage_index(&params).map(|(storage, index)| Urc::MessageStored { storage, index })
            }
            "+CDSI" => storage_index(&params)
                .map(|(storage, index)| Urc::StatusReportStored { storage, index }),
            "+CMT" => last_int(&params).map(|length| Urc::Message {
                length: usize::try_from(length).unwrap_or(0),
                pdu: pdu_line(),
            }),
            "+CDS" => last_int(&params).map(|length| Urc::StatusReport {
                length: usize::try_from(length).unwrap_or(0),
                pdu: pdu_line(),
            }),
            "+CREG" | "+CGREG" | "+CEREG" => {
                let domain = match name {
                    "+CREG" => Domain::Cs,
                    "+CGREG" => Domain::Gprs,
                    _ => Domain::Eps,
                };
                // The URC is `<stat>[,<lac>,<ci>…]`; a `<n>,<stat>` form (answer shape) has
                // two leading integers.
                let ints: Vec<i64> = params.iter().map_while(Param::int).collect();
                let stat = if ints.len() >= 2 {
                    ints.get(1)
                } else {
                    ints.first()
                };
                stat.and_then(|&s| u8::try_from(s).ok())
                    .map(|stat| Urc::Registration { domain, stat })
            }
            "^RSSI" => params
                .first()
                .and_then(Param::int)
                .and_then(|r| u8::try_from(r).ok())
                .map(|rssi| Urc::Signal { rssi }),
            "+CPIN" => params
                .first()
                .and_then(Param::text)
                .map(|s| Urc::SimState(s.to_string())),
            "+CUSD" => Cusd::from_params(&params).map(Urc::Ussd),
            "RDY" | "^SYSSTART" | "SMS Ready" | "SMS DONE" => Some(Urc::Restarted),
            "+CFUN" if params.first().and_then(Param::int) == Some(1) => Some(Urc::Restarted),
            _ => None,
        };
        parsed.unwrap_or_else(|| Urc::Other(line.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_with_and_without_colon() {
        assert_eq!(recognise("+CMT: ,23"), Some(("+CMT", 1)));
        assert_eq!(recognise("+CMTI: \"SM\",1"), Some(("+CMTI", 0)));
        assert_eq!(recognise("RING"), Some(("RING", 0)));
        assert_eq!(recognise("SMS Ready"), Some(("SMS Ready", 0)));
        assert_eq!(recognise("+CMGS: 4"), None);
        assert_eq!(recognise("+CMTX: 1"), None);
    }

    #[test]
    fn typed_forms() {
        assert_eq!(
            Urc::parse("+CMTI: \"SM\",7", &[]),
            Urc::MessageStored {
                storage: "SM".into(),
                index: 7
            }
        );
        assert_eq!(
            Urc::parse("+CMT: \"\",23", &["0791AB".into()]),
            Urc::Message {
                length: 23,
                pdu: "0791AB".into()
            }
        );
        assert_eq!(
            Urc::parse("+CDS: 25", &["0006".into()]),
            Urc::StatusReport {
                length: 25,
                pdu: "0006".into()
            }
        );
        assert_eq!(
            Urc::parse("+CREG: 5,\"00A1\",\"1234\"", &[]),
            Urc::Registration {
                domain: Domain::Cs,
                stat: 5
            }
        );
        assert_eq!(
            Urc::parse("+CEREG: 2,1", &[]),
            Urc::Registration {
                domain: Domain::Eps,
                stat: 1
            }
        );
        assert_eq!(Urc::parse("^RSSI: 17", &[]), Urc::Signal { rssi: 17 });
        assert_eq!(Urc::parse("RDY", &[]), Urc::Restarted);
        assert_eq!(
            Urc::parse("+CUSD: 0,\"Balance: 1,5 EUR\",15", &[]),
            Urc::Ussd(Cusd {
                status: 0,
                text: Some("Balance: 1,5 EUR".into()),
                dcs: Some(15)
            })
        );
        assert_eq!(
            Urc::parse("+CUSD: 4", &[]),
            Urc::Ussd(Cusd {
                status: 4,
                text: None,
                dcs: None
            })
        );
        assert_eq!(Urc::parse("+CUSD: x", &[]), Urc::Other("+CUSD: x".into()));
        assert_eq!(
            Urc::parse("+CMTI: garbage", &[]),
            Urc::Other("+CMTI: garbage".into())
        );
    }
}
