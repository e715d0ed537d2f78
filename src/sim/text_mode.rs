//! Text mode (`AT+CMGF=1`, TS 27.005 §3.1 and §4): how a simulated modem shows a TPDU as
//! header fields and a body — `+CMT`/`+CDS` when routed, `+CMGL` and `+CMGR` when stored —
//! with the optional fields `AT+CSDH=1` asks for, and strings in the TE character set of
//! `AT+CSCS` (`"UCS2"`: hex of UTF-16 code units, as modems give it); and how it reads the
//! strings a client types in that character set.
//!
//! Pure functions, no I/O; never imports `at/`, `modem/` or anything higher. Invariants: a
//! TPDU that does not decode gives `None` (the caller shows it in PDU form instead); the
//! body is text only for GSM 7 bit without a user-data header, and otherwise the user data's
//! octets in hex, whatever `+CSCS` says (§3.1 `<data>`).

use super::clock;
use super::storage::Kind;
use crate::pdu::{Alphabet, Content, Tpdu};

/// Which answer the fields are for: they differ in what `+CSDH=1` adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// `+CMT:` / `+CDS:`.
    Routed,
    /// `+CMGL: <index>,`.
    List,
    /// `+CMGR:`.
    Read,
}

/// The session settings that shape text-mode output.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'a> {
    /// `AT+CSDH=1`: show the optional header fields.
    pub details: bool,
    /// `AT+CSCS`: `IRA`, `GSM` or `UCS2`.
    pub charset: &'a str,
    /// The service centre, shown as `<sca>` with details.
    pub smsc: &'a str,
}

impl View<'_> {
    /// A string in the TE character set.
    fn string(&self, text: &str) -> String {
        if self.charset.eq_ignore_ascii_case("UCS2") {
            text.encode_utf16()
                .map(|unit| format!("{unit:04X}"))
                .collect()
        } else {
            text.to_string()
        }
    }
}

/// Reads a string the client typed in the TE character set; `None` if it is not valid there.
pub(crate) fn decode_te_string(charset: &str, text: &str) -> Option<String> {
    if !charset.eq_ignore_ascii_case("UCS2") {
        return Some(text.to_string());
    }
    let digits: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    if !digits.len().is_multiple_of(4) || !digits.iter().all(char::is_ascii_hexdigit) {
        return None;
    }
    let units = digits
        .chunks(4)
        .map(|unit| u16::from_str_radix(&unit.iter().collect::<String>(), 16).ok())
        .collect::<Option<Vec<u16>>>()?;
    String::from_utf16(&units).ok()
}

/// Header fields (after the `+CMT: ` / `+CMGL: <index>,` / `+CMGR: ` prefix) and the body
/// line, if the kind has one. `stat` (`REC UNREAD` …) goes first for stored messages.
pub(crate) fn render(
    kind: Kind,
    tpdu: &[u8],
    stat: Option<&str>,
    form: Form,
    view: View<'_>,
) -> Option<(String, Option<String>)> {
    let stat = stat.map(|s| format!("\"{s}\",")).unwrap_or_default();
    match (kind, Tpdu::decode(tpdu).ok()?) {
        (Kind::Deliver, Tpdu::Deliver(d)) => {
            // §3.1 <data>: GSM 7 bit without a header is converted to the TE character set
            // (<length> in characters); 8-bit and UCS2 data, and anything with a header, is
            // each octet of the user data as two hex digits (<length> in octets).
            let (body, length) = match (d.dcs.alphabet, d.user_data.content()) {
                (Alphabet::Gsm7, Content::Text(text)) if d.user_data.header.is_none() => {
                    let length = text.chars().count();
                    (view.string(&text), length)
                }
                _ => {
                    let mut encoded = Vec::new();
                    d.user_data.encode(&mut encoded);
                    let octets = encoded.get(1..).unwrap_or_default();
                    (hex::encode_upper(octets), octets.len())
                }
            };
            let oa = view.string(&d.originator.to_string());
            let scts = clock::text_mode(&d.timestamp);
            let tooa = d.originator.type_octet();
            let mut header = format!("{stat}\"{oa}\",,\"{scts}\"");
            if view.details {
                match form {
                    Form::List => header.push_str(&format!(",{tooa},{length}")),
                    Form::Routed | Form::Read => header.push_str(&format!(
                        ",{tooa},{},{},{},\"{}\",{},{length}",
                        tpdu.first().copied().unwrap_or(0),
                        d.protocol_id,
                        d.dcs.encode(),
                        view.string(view.smsc),
                        if view.smsc.starts_with('+') { 145 } else { 129 },
                    )),
                }
            }
            Some((header, Some(body)))
        }
        (Kind::StatusReport, Tpdu::StatusReport(r)) => Some((
            format!(
                "{stat}{},{},\"{}\",{},\"{}\",\"{}\",{}",
                tpdu.first().copied().unwrap_or(6),
                r.message_ref,
                view.string(&r.recipient.to_string()),
                r.recipient.type_octet(),
                clock::text_mode(&r.timestamp),
                clock::text_mode(&r.discharge_time),
                r.status
            ),
            None,
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ucs2_strings_both_ways() {
        let view = View {
            details: false,
            charset: "UCS2",
            smsc: "",
        };
        assert_eq!(view.string("Hi 😀"), "004800690020D83DDE00");
        assert_eq!(
            decode_te_string("UCS2", "00480069 0020D83DDE00").as_deref(),
            Some("Hi 😀")
        );
        assert_eq!(decode_te_string("UCS2", "004"), None);
        assert_eq!(decode_te_string("UCS2", "+120"), None, "no sign");
        assert_eq!(decode_te_string("UCS2", "D800"), None);
        assert_eq!(decode_te_string("GSM", "plain").as_deref(), Some("plain"));
    }
}
