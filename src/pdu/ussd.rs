//! USSD strings (3GPP TS 27.007 §7.15 `+CUSD`, coded by the cell-broadcast data coding
//! scheme of TS 23.038 §5): what a modem hands us as `<str>` and `<dcs>` made into text.
//!
//! Modems differ in what `<str>` holds. Some decode the network's string into the TE
//! character set (`+CSCS`, usually plain text); some give the raw octets as hex — UCS-2
//! (UTF-16BE) when the DCS says so, or when `+CSCS="UCS2"`; many (Huawei, ZTE) give the
//! *packed* GSM-7 octets as hex even with DCS 15. [`decode`] takes the DCS as the first
//! hint and then checks what the string plausibly is: hex that decodes to readable text is
//! decoded, anything else is taken as it came.
//!
//! Pure (layer 0). Invariant: never fails and never panics — the worst answer is the string
//! as the modem wrote it.

use super::gsm7::{pack, Charset, Septets};
use super::ucs2;

/// How a USSD string was coded, after [`decode`] looked at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UssdCoding {
    /// Plain text in the TE character set, as the modem wrote it.
    Text,
    /// Hex of UCS-2 (UTF-16BE) octets.
    Ucs2Hex,
    /// Hex of packed GSM 7-bit octets.
    PackedGsm7Hex,
    /// Hex of 8-bit data, shown as Latin-1.
    EightBitHex,
}

/// The alphabet a cell-broadcast DCS (TS 23.038 §5) announces; `None` for an unknown DCS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CbsAlphabet {
    /// GSM 7-bit default alphabet.
    Gsm7,
    /// 8-bit data.
    Eight,
    /// UCS-2.
    Ucs2,
}

/// Reads a cell-broadcast DCS: 0000xxxx GSM-7 (a language), 0001 0000 GSM-7 with language
/// indication, 0001 0001 UCS-2 with language indication, 01xx general coding (bits 3–2:
/// 00 GSM-7, 01 8-bit, 10 UCS-2), 1111 data coding (bit 2: 8-bit), the rest GSM-7.
pub fn cbs_alphabet(dcs: u8) -> CbsAlphabet {
    match dcs >> 4 {
        0b0000 | 0b0010 | 0b0011 => CbsAlphabet::Gsm7,
        0b0001 => match dcs & 0x0F {
            0x01 => CbsAlphabet::Ucs2,
            _ => CbsAlphabet::Gsm7,
        },
        0b0100..=0b0111 | 0b1001 => match (dcs >> 2) & 0b11 {
            0b01 => CbsAlphabet::Eight,
            0b10 => CbsAlphabet::Ucs2,
            _ => CbsAlphabet::Gsm7,
        },
        0b1111 if dcs & 0x04 != 0 => CbsAlphabet::Eight,
        _ => CbsAlphabet::Gsm7,
    }
}

/// A decoded USSD string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UssdText {
    /// The text.
    pub text: String,
    /// How it was coded.
    pub coding: UssdCoding,
}

/// Decodes a `+CUSD` `<str>` with its `<dcs>` (none: the modem gave none). Never fails.
pub fn decode(raw: &str, dcs: Option<u8>) -> UssdText {
    let as_text = || UssdText {
        text: raw.to_string(),
        coding: UssdCoding::Text,
    };
    let Some(octets) = hex_octets(raw) else {
        return as_text();
    };
    let alphabet = dcs.map(cbs_alphabet);
    match alphabet {
        Some(CbsAlphabet::Ucs2) => {
            return ucs2_text(&octets).unwrap_or_else(as_text);
        }
        Some(CbsAlphabet::Eight) => {
            return UssdText {
                text: octets.iter().map(|&b| char::from(b)).collect(),
                coding: UssdCoding::EightBitHex,
            }
        }
        Some(CbsAlphabet::Gsm7) | None => {}
    }
    // GSM-7 (or no DCS): the modem may have given text, UCS-2 hex (`+CSCS="UCS2"`) or packed
    // septets as hex. UCS-2 is the stricter test (Latin text has zero high octets), so first.
    ucs2_text(&octets)
        .filter(|t| mostly_latin(&t.text))
        .or_else(|| packed_text(&octets))
        .unwrap_or_else(as_text)
}

/// The octets of an even-length, all-hex string of at least two octets.
fn hex_octets(raw: &str) -> Option<Vec<u8>> {
    let raw = raw.trim();
    if raw.len() < 4 || !raw.len().is_multiple_of(2) || !raw.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return None;
    }
    hex::decode(raw).ok()
}

fn readable(c: char) -> bool {
    !c.is_control() || matches!(c, '\n' | '\r')
}

fn ucs2_text(octets: &[u8]) -> Option<UssdText> {
    if !octets.len().is_multiple_of(2) {
        return None;
    }
    let text = ucs2::decode(octets);
    (text
        .chars()
        .all(|c| readable(c) && c != char::REPLACEMENT_CHARACTER))
    .then_some(UssdText {
        text,
        coding: UssdCoding::Ucs2Hex,
    })
}

/// Most characters below U+0250 (Latin): what tells UCS-2 hex of a Latin text from packed
/// GSM-7 octets that happen to pair into CJK code points.
fn mostly_latin(text: &str) -> bool {
    let total = text.chars().count();
    let latin = text.chars().filter(|&c| u32::from(c) < 0x250).count();
    total > 0 && latin * 2 >= total
}

fn packed_text(octets: &[u8]) -> Option<UssdText> {
    let mut septets = pack::unpack(octets, 0, octets.len() * 8 / 7);
    // 7 spare bits at the end are padding (23.038 §6.1.2.3.1 puts CR there for USSD);
    // a trailing zero septet from padding is dropped too.
    if octets.len().is_multiple_of(7) && matches!(septets.last(), Some(0x0D) | Some(0x00)) {
        septets.pop();
    }
    let text = Charset::DEFAULT.decode(&septets);
    let plausible = !text.is_empty()
        && text
            .chars()
            .all(|c| readable(c) && c != char::REPLACEMENT_CHARACTER)
        // The default alphabet maps 0x00 to '@' and 0x10–0x1A to Greek capitals: a string
        // that is mostly those is binary noise, not an answer.
        && text.chars().filter(|c| c.is_ascii_alphanumeric() || *c == ' ').count() * 2
            >= text.chars().count();
    plausible.then_some(UssdText {
        text: text.trim_end_matches(['\r', '\n']).to_string(),
        coding: UssdCoding::PackedGsm7Hex,
    })
}

/// Encodes `text` as packed GSM-7 hex (how the simulator and tests write such answers);
/// characters outside the default alphabet become `?`.
pub fn encode_packed_hex(text: &str) -> String {
    let mut septets = Vec::with_capacity(text.len());
    for c in text.chars() {
        match Charset::DEFAULT.encode_char(c) {
            Some(Septets::One(s)) => septets.push(s),
            Some(Septets::Escaped(s)) => septets.extend([super::gsm7::ESCAPE, s]),
            None => septets.push(0x3F),
        }
    }
    let mut octets = pack::pack(&septets, 0);
    // Seven spare bits would read as an '@': TS 23.038 §6.1.2.3.1 fills them with CR.
    if septets.len() % 8 == 7 {
        if let Some(last) = octets.last_mut() {
            *last |= 0x0D << 1;
        }
    }
    hex::encode_upper(octets)
}

/// Encodes `text` as UCS-2 hex.
pub fn encode_ucs2_hex(text: &str) -> String {
    hex::encode_upper(ucs2::encode(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_stays_text() {
        let t = decode("Balance: 12.34 EUR", Some(15));
        assert_eq!(t.text, "Balance: 12.34 EUR");
        assert_eq!(t.coding, UssdCoding::Text);
        // Short digit strings are text, not hex.
        assert_eq!(decode("12", Some(15)).coding, UssdCoding::Text);
        assert_eq!(decode("", None).text, "");
    }

    #[test]
    fn ucs2_hex_by_dcs_and_by_shape() {
        // "Привет" with DCS 72 (0x48: general coding, UCS-2).
        let hex = encode_ucs2_hex("Привет 5€");
        let t = decode(&hex, Some(72));
        assert_eq!(t.text, "Привет 5€");
        assert_eq!(t.coding, UssdCoding::Ucs2Hex);
        // Latin UCS-2 hex under DCS 15 (`+CSCS="UCS2"` modems).
        let t = decode(&encode_ucs2_hex("Balance: 1.00"), Some(15));
        assert_eq!(
            (t.text.as_str(), t.coding),
            ("Balance: 1.00", UssdCoding::Ucs2Hex)
        );
        // DCS 0x11: UCS-2 with language indication.
        assert_eq!(decode("00410042", Some(0x11)).text, "AB");
    }

    #[test]
    fn packed_gsm7_hex() {
        // A classic vector: "Your balance is 5.00" packed, as Huawei sticks answer.
        for text in [
            "Your balance is 5.00",
            "1234567",
            "Balance: 12.34 EUR",
            "ok",
        ] {
            let hex = encode_packed_hex(text);
            let t = decode(&hex, Some(15));
            assert_eq!(t.text, text, "{hex}");
            assert_eq!(t.coding, UssdCoding::PackedGsm7Hex);
        }
        // Known vector from the field: "*100#" packed is AA180C3602.
        assert_eq!(encode_packed_hex("*100#"), "AA180C3602");
        assert_eq!(decode("AA180C3602", Some(15)).text, "*100#");
    }

    #[test]
    fn eight_bit_and_unknown_dcs() {
        assert_eq!(decode("4869", Some(0x44)).text, "Hi");
        assert_eq!(cbs_alphabet(0x0F), CbsAlphabet::Gsm7);
        assert_eq!(cbs_alphabet(0x48), CbsAlphabet::Ucs2);
        assert_eq!(cbs_alphabet(0xF4), CbsAlphabet::Eight);
        assert_eq!(cbs_alphabet(0x11), CbsAlphabet::Ucs2);
        // Hex that decodes to nothing readable stays as written.
        let t = decode("00000000", None);
        assert_eq!(t.coding, UssdCoding::Text);
    }

    #[test]
    fn any_input_is_safe() {
        for raw in ["ZZ", "0", "FFFF", "D800", "1B1B1B1B", "  ", "\"x\""] {
            for dcs in [None, Some(0), Some(15), Some(72), Some(0x44), Some(0xFF)] {
                let _ = decode(raw, dcs);
            }
        }
    }
}
