//! The data coding scheme (TP-DCS, 3GPP TS 23.038 §4): which alphabet the user data uses,
//! the message class, compression and message-waiting indications.
//!
//! Decoding follows every coding group of §4, reserved ones included (they are read as the
//! GSM 7-bit default alphabet, as the specification asks), so no DCS octet is an error.

use serde::Serialize;

/// The character set of the user data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Alphabet {
    /// GSM 7-bit (default alphabet, possibly with national tables).
    #[serde(rename = "gsm7")]
    Gsm7,
    /// 8-bit data.
    #[serde(rename = "8bit")]
    Eight,
    /// UCS-2 / UTF-16BE.
    #[serde(rename = "ucs2")]
    Ucs2,
}

impl Alphabet {
    /// The name used in the CLI and the API.
    pub fn name(self) -> &'static str {
        match self {
            Alphabet::Gsm7 => "gsm7",
            Alphabet::Eight => "8bit",
            Alphabet::Ucs2 => "ucs2",
        }
    }
}

/// A decoded (or to-be-encoded) TP-DCS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DataCoding {
    /// Alphabet of the user data.
    pub alphabet: Alphabet,
    /// Message class 0–3 (class 0 is a "flash" message shown at once).
    pub class: Option<u8>,
    /// The text is compressed (TS 23.042); the codec does not decompress it.
    pub compressed: bool,
    /// The message is marked for automatic deletion (coding group 01xx).
    pub auto_delete: bool,
    /// Message waiting indication group (1100–1110): `Some(store)`.
    pub message_waiting: Option<bool>,
}

impl DataCoding {
    /// Plain coding of `alphabet` with an optional class.
    pub fn new(alphabet: Alphabet, class: Option<u8>) -> Self {
        Self {
            alphabet,
            class,
            compressed: false,
            auto_delete: false,
            message_waiting: None,
        }
    }

    /// Reads a DCS octet.
    pub fn decode(octet: u8) -> Self {
        let general_alphabet = |bits: u8| match bits & 0b11 {
            0b01 => Alphabet::Eight,
            0b10 => Alphabet::Ucs2,
            _ => Alphabet::Gsm7, // 00, and 11 (reserved) read as the default alphabet
        };
        let mut dcs = Self::new(Alphabet::Gsm7, None);
        match octet >> 4 {
            // 00xx and 01xx: general data coding (01xx: automatic deletion).
            0b0000..=0b0111 => {
                dcs.alphabet = general_alphabet(octet >> 2);
                dcs.compressed = octet & 0x20 != 0;
                dcs.auto_delete = octet & 0x40 != 0;
                if octet & 0x10 != 0 {
                    dcs.class = Some(octet & 0x03);
                }
            }
            0b1100 => dcs.message_waiting = Some(false),
            0b1101 => dcs.message_waiting = Some(true),
            0b1110 => {
                dcs.message_waiting = Some(true);
                dcs.alphabet = Alphabet::Ucs2;
            }
            0b1111 => {
                dcs.alphabet = if octet & 0x04 != 0 {
                    Alphabet::Eight
                } else {
                    Alphabet::Gsm7
                };
                dcs.class = Some(octet & 0x03);
            }
            _ => {} // 1000–1011 reserved: default alphabet
        }
        dcs
    }

    /// The DCS octet for sending: general data coding group, class bits when a class is set.
    pub fn encode(&self) -> u8 {
        let alphabet = match self.alphabet {
            Alphabet::Gsm7 => 0x00,
            Alphabet::Eight => 0x04,
            Alphabet::Ucs2 => 0x08,
        };
        let class = self.class.map_or(0, |c| 0x10 | (c & 0x03));
        alphabet | class | if self.compressed { 0x20 } else { 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn general_group() {
        assert_eq!(DataCoding::decode(0x00).alphabet, Alphabet::Gsm7);
        assert_eq!(DataCoding::decode(0x04).alphabet, Alphabet::Eight);
        assert_eq!(DataCoding::decode(0x08).alphabet, Alphabet::Ucs2);
        let flash = DataCoding::decode(0x18);
        assert_eq!((flash.alphabet, flash.class), (Alphabet::Ucs2, Some(0)));
        assert!(DataCoding::decode(0x20).compressed);
        assert!(DataCoding::decode(0x40).auto_delete);
    }

    #[test]
    fn other_groups() {
        let f = DataCoding::decode(0xF5);
        assert_eq!((f.alphabet, f.class), (Alphabet::Eight, Some(1)));
        assert_eq!(DataCoding::decode(0xF0).class, Some(0));
        assert_eq!(DataCoding::decode(0xE0).alphabet, Alphabet::Ucs2);
        assert_eq!(DataCoding::decode(0xC8).message_waiting, Some(false));
        assert_eq!(DataCoding::decode(0x90).alphabet, Alphabet::Gsm7);
    }

    #[test]
    fn encode_round_trips_every_alphabet_and_class() {
        for alphabet in [Alphabet::Gsm7, Alphabet::Eight, Alphabet::Ucs2] {
            for class in [None, Some(0), Some(1), Some(2), Some(3)] {
                let dcs = DataCoding::new(alphabet, class);
                assert_eq!(DataCoding::decode(dcs.encode()), dcs);
            }
        }
        assert_eq!(DataCoding::new(Alphabet::Gsm7, Some(0)).encode(), 0x10);
        assert_eq!(DataCoding::new(Alphabet::Eight, Some(1)).encode(), 0x15);
    }
}
