//! Addresses (3GPP TS 23.040 §9.1.2.5) — TP-OA, TP-DA, TP-RA — and the SMSC address that
//! PDU mode puts in front of the TPDU (TS 27.005 §3.1, encoded as TS 24.008 §10.5.4.9).
//!
//! Digits are swapped semi-octets with an `F` filler for odd counts; `*`, `#`, `a`, `b`,
//! `c` use nibbles A–E. Alphanumeric addresses (type of number 101, e.g. `MyBank`) are
//! GSM-7 packed and their length field counts the useful semi-octets.

use super::error::{DecodeError, DecodeErrorKind, EncodeError};
use super::gsm7::{pack, Charset};
use super::reader::Reader;
use std::fmt;

/// Type of number (TON), bits 6–4 of the type-of-address octet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TypeOfNumber {
    /// 000: unknown (the usual choice for national numbers in PDU mode).
    Unknown,
    /// 001: international; shown with a leading `+`.
    International,
    /// 010: national.
    National,
    /// 011: network specific.
    NetworkSpecific,
    /// 100: subscriber.
    Subscriber,
    /// 101: alphanumeric (GSM-7 coded).
    Alphanumeric,
    /// 110: abbreviated.
    Abbreviated,
    /// 111: reserved.
    Reserved,
}

impl TypeOfNumber {
    fn from_bits(bits: u8) -> Self {
        match bits & 0x07 {
            0 => Self::Unknown,
            1 => Self::International,
            2 => Self::National,
            3 => Self::NetworkSpecific,
            4 => Self::Subscriber,
            5 => Self::Alphanumeric,
            6 => Self::Abbreviated,
            _ => Self::Reserved,
        }
    }

    fn bits(self) -> u8 {
        self as u8
    }
}

/// An address as carried in a PDU.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address {
    /// Type of number.
    pub ton: TypeOfNumber,
    /// Numbering plan identification (bits 3–0; 1 = ISDN/E.164, 0 for alphanumeric).
    pub npi: u8,
    /// Digits (without `+`) or, for alphanumeric addresses, the text.
    pub value: String,
}

impl Address {
    /// Parses a user-supplied address: `+digits` is international, plain digits (and
    /// `*#`) are of unknown type (what modems expect for national numbers), anything
    /// else up to 11 GSM-7 characters is alphanumeric.
    pub fn parse(input: &str) -> Result<Self, EncodeError> {
        let invalid = |why| EncodeError::InvalidAddress {
            address: input.to_string(),
            why,
        };
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(invalid("empty"));
        }
        if let Some(digits) = trimmed.strip_prefix('+') {
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid("an international number is + followed by digits"));
            }
            return Self::digits(TypeOfNumber::International, digits, input);
        }
        if trimmed
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
        {
            return Self::digits(TypeOfNumber::Unknown, trimmed, input);
        }
        Self::alphanumeric(trimmed)
    }

    /// A number of the given type of number, ISDN numbering plan.
    pub fn digits(ton: TypeOfNumber, digits: &str, original: &str) -> Result<Self, EncodeError> {
        if digits.len() > 20 {
            return Err(EncodeError::InvalidAddress {
                address: original.to_string(),
                why: "more than 20 digits",
            });
        }
        Ok(Self {
            ton,
            npi: 1,
            value: digits.to_string(),
        })
    }

    /// An alphanumeric originator (at most 11 GSM-7 characters, i.e. 20 semi-octets).
    pub fn alphanumeric(text: &str) -> Result<Self, EncodeError> {
        let invalid = |why| EncodeError::InvalidAddress {
            address: text.to_string(),
            why,
        };
        match Charset::DEFAULT.septet_count(text) {
            None => Err(invalid("alphanumeric addresses use the GSM 7-bit alphabet")),
            Some(n) if n > 11 => Err(invalid("alphanumeric addresses have at most 11 characters")),
            Some(_) => Ok(Self {
                ton: TypeOfNumber::Alphanumeric,
                npi: 0,
                value: text.to_string(),
            }),
        }
    }

    /// The type-of-address octet.
    pub fn type_octet(&self) -> u8 {
        0x80 | self.ton.bits() << 4 | (self.npi & 0x0F)
    }

    /// The TP-OA/TP-DA/TP-RA encoding: length in semi-octets, type, value.
    pub fn encode_tp(&self) -> Result<Vec<u8>, EncodeError> {
        let (semi_octets, body) = self.encode_body()?;
        let mut out = Vec::with_capacity(2 + body.len());
        out.push(semi_octets);
        out.push(self.type_octet());
        out.extend(body);
        Ok(out)
    }

    /// The SMSC encoding of PDU mode: length in octets (type included), type, value.
    pub fn encode_smsc(&self) -> Result<Vec<u8>, EncodeError> {
        let (_, body) = self.encode_body()?;
        let mut out = Vec::with_capacity(2 + body.len());
        out.push(body.len() as u8 + 1);
        out.push(self.type_octet());
        out.extend(body);
        Ok(out)
    }

    fn encode_body(&self) -> Result<(u8, Vec<u8>), EncodeError> {
        if self.ton == TypeOfNumber::Alphanumeric {
            let septets = Charset::DEFAULT.encode(&self.value)?;
            let semi_octets = (septets.len() * 7).div_ceil(4);
            return Ok((semi_octets as u8, pack::pack(&septets, 0)));
        }
        let nibbles = self
            .value
            .chars()
            .map(|c| digit_nibble(c).ok_or(()))
            .collect::<Result<Vec<u8>, ()>>()
            .map_err(|()| EncodeError::InvalidAddress {
                address: self.value.clone(),
                why: "digits may only be 0-9 * # a b c",
            })?;
        let body = nibbles
            .chunks(2)
            .map(|pair| match pair {
                [lo, hi] => hi << 4 | lo,
                [lo] => 0xF0 | lo,
                _ => 0xFF,
            })
            .collect();
        Ok((nibbles.len() as u8, body))
    }

    /// Decodes a TP address (length in semi-octets).
    pub(crate) fn decode_tp(r: &mut Reader<'_>, field: &'static str) -> Result<Self, DecodeError> {
        let semi_octets = r.u8(field)?;
        if semi_octets > 20 {
            return Err(r.error(
                field,
                DecodeErrorKind::InvalidValue {
                    value: semi_octets,
                    why: "address longer than 20 semi-octets",
                },
            ));
        }
        let type_octet = r.u8(field)?;
        let body_offset = r.offset();
        let body = r.take(usize::from(semi_octets).div_ceil(2), field)?;
        Self::decode_body(
            type_octet,
            body,
            usize::from(semi_octets),
            field,
            body_offset,
        )
    }

    /// Decodes the SMSC prefix of a PDU-mode PDU; `None` when its length is 0 (the modem's
    /// default SMSC).
    pub(crate) fn decode_smsc(r: &mut Reader<'_>) -> Result<Option<Self>, DecodeError> {
        const FIELD: &str = "SMSC";
        let octets = r.u8(FIELD)?;
        if octets == 0 {
            return Ok(None);
        }
        if octets > 11 {
            return Err(r.error(
                FIELD,
                DecodeErrorKind::InvalidValue {
                    value: octets,
                    why: "SMSC address longer than 11 octets",
                },
            ));
        }
        let type_octet = r.u8(FIELD)?;
        let body_offset = r.offset();
        let body = r.take(usize::from(octets) - 1, FIELD)?;
        let semi_octets = body.len() * 2 - usize::from(body.last().is_some_and(|b| b >> 4 == 0xF));
        Self::decode_body(type_octet, body, semi_octets, FIELD, body_offset).map(Some)
    }

    fn decode_body(
        type_octet: u8,
        body: &[u8],
        semi_octets: usize,
        field: &'static str,
        offset: usize,
    ) -> Result<Self, DecodeError> {
        let ton = TypeOfNumber::from_bits(type_octet >> 4);
        let npi = type_octet & 0x0F;
        if ton == TypeOfNumber::Alphanumeric {
            let septets = pack::unpack(body, 0, semi_octets * 4 / 7);
            let value = Charset::DEFAULT.decode(&septets);
            return Ok(Self { ton, npi, value });
        }
        let mut value = String::with_capacity(semi_octets);
        for i in 0..semi_octets {
            let octet = body.get(i / 2).copied().unwrap_or(0xFF);
            let nibble = if i % 2 == 0 { octet & 0x0F } else { octet >> 4 };
            match nibble_digit(nibble) {
                Some(c) => value.push(c),
                None => {
                    return Err(DecodeError::new(
                        field,
                        offset + i / 2,
                        DecodeErrorKind::InvalidValue {
                            value: octet,
                            why: "filler nibble inside the digits",
                        },
                    ))
                }
            }
        }
        Ok(Self { ton, npi, value })
    }
}

impl fmt::Display for Address {
    /// `+digits` for international numbers, the bare value otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ton == TypeOfNumber::International {
            write!(f, "+{}", self.value)
        } else {
            f.write_str(&self.value)
        }
    }
}

fn digit_nibble(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '*' => Some(0xA),
        '#' => Some(0xB),
        'a' | 'A' => Some(0xC),
        'b' | 'B' => Some(0xD),
        'c' | 'C' => Some(0xE),
        _ => None,
    }
}

fn nibble_digit(n: u8) -> Option<char> {
    match n {
        0..=9 => Some(char::from(b'0' + n)),
        0xA => Some('*'),
        0xB => Some('#'),
        0xC => Some('a'),
        0xD => Some('b'),
        0xE => Some('c'),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Result<Address, DecodeError> {
        Address::decode_tp(&mut Reader::new(bytes), "TP-OA")
    }

    #[test]
    fn international_odd_digit_count_round_trips() {
        let a = Address::parse("+31641600986").unwrap();
        let bytes = a.encode_tp().unwrap();
        assert_eq!(hex::encode_upper(&bytes), "0B911346610089F6");
        assert_eq!(decode(&bytes).unwrap().to_string(), "+31641600986");
    }

    #[test]
    fn national_numbers_use_unknown_type() {
        let a = Address::parse("0612345678").unwrap();
        assert_eq!(hex::encode_upper(a.encode_tp().unwrap()), "0A816021436587");
        assert_eq!(a.to_string(), "0612345678");
    }

    #[test]
    fn alphanumeric_originator_round_trips() {
        let a = Address::parse("MyBank").unwrap();
        let bytes = a.encode_tp().unwrap();
        // 6 characters = 42 bits = 11 semi-octets, TOA 0xD0.
        assert_eq!(&bytes[..2], &[0x0B, 0xD0]);
        let back = decode(&bytes).unwrap();
        assert_eq!(back.ton, TypeOfNumber::Alphanumeric);
        assert_eq!(back.value, "MyBank");
    }

    #[test]
    fn smsc_prefix_round_trips_and_empty_means_default() {
        let smsc = Address::parse("+31624000000").unwrap();
        let bytes = smsc.encode_smsc().unwrap();
        assert_eq!(hex::encode_upper(&bytes), "07911326040000F0");
        let back = Address::decode_smsc(&mut Reader::new(&bytes))
            .unwrap()
            .unwrap();
        assert_eq!(back.to_string(), "+31624000000");
        assert_eq!(Address::decode_smsc(&mut Reader::new(&[0])).unwrap(), None);
    }

    #[test]
    fn filler_inside_digits_is_an_error_with_offset() {
        let err = decode(&[0x04, 0x81, 0xF1, 0x32]).unwrap_err();
        assert_eq!((err.field, err.offset), ("TP-OA", 2));
    }

    #[test]
    fn bad_user_addresses_are_refused() {
        assert!(Address::parse("+12ab").is_err());
        assert!(Address::parse("").is_err());
        assert!(Address::parse("TwelveChars!").is_err());
        assert!(Address::parse("+123456789012345678901").is_err());
    }
}
