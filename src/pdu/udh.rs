//! The user-data header (3GPP TS 23.040 §9.2.3.24): a length octet (UDHL) and a sequence of
//! information elements (IEI, length, data).
//!
//! Every IE is parsed; those this codec understands — concatenation with 8- and 16-bit
//! references (0x00, 0x08), application port addressing (0x04, 0x05) and the national
//! language shifts (0x24, 0x25) — become typed variants, all others are kept verbatim so a
//! header survives decode → encode unchanged.

use super::error::{DecodeError, DecodeErrorKind};
use super::gsm7::NationalLanguage;
use super::reader::Reader;

/// One information element.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum InformationElement {
    /// Concatenated message; `reference` is 8- or 16-bit per `wide`.
    Concat(Concat),
    /// Application port addressing, 8-bit (0x04) or 16-bit (0x05) ports.
    Ports {
        /// Destination port.
        destination: u16,
        /// Originator port.
        source: u16,
        /// 16-bit addressing scheme (IE 0x05).
        wide: bool,
    },
    /// National language single shift (0x24). `code` is the raw language identifier.
    SingleShift(u8),
    /// National language locking shift (0x25).
    LockingShift(u8),
    /// Any other IE, kept as it came.
    Other {
        /// The IE identifier.
        id: u8,
        /// Its data.
        data: Vec<u8>,
    },
}

/// The concatenation information of one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Concat {
    /// The reference shared by all segments of one message.
    #[serde(rename = "ref")]
    pub reference: u16,
    /// Number of segments (1–255).
    pub total: u8,
    /// This segment's number (1-based).
    pub seq: u8,
    /// Whether the 16-bit reference IE (0x08) carries it.
    #[serde(skip)]
    pub wide: bool,
}

/// A parsed user-data header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct UserDataHeader {
    /// The elements in the order they came.
    pub elements: Vec<InformationElement>,
}

const IEI_CONCAT_8: u8 = 0x00;
const IEI_PORTS_8: u8 = 0x04;
const IEI_PORTS_16: u8 = 0x05;
const IEI_CONCAT_16: u8 = 0x08;
const IEI_SINGLE_SHIFT: u8 = 0x24;
const IEI_LOCKING_SHIFT: u8 = 0x25;

impl UserDataHeader {
    /// The concatenation IE, if there is one.
    pub fn concat(&self) -> Option<Concat> {
        self.elements.iter().find_map(|ie| match ie {
            InformationElement::Concat(c) => Some(*c),
            _ => None,
        })
    }

    /// Destination and source ports, if addressed to an application port.
    pub fn ports(&self) -> Option<(u16, u16)> {
        self.elements.iter().find_map(|ie| match ie {
            InformationElement::Ports {
                destination,
                source,
                ..
            } => Some((*destination, *source)),
            _ => None,
        })
    }

    /// The national language tables the header selects (unknown codes are ignored, so
    /// the text falls back to the default tables as TS 23.038 requires).
    pub fn languages(&self) -> (Option<NationalLanguage>, Option<NationalLanguage>) {
        let mut locking = None;
        let mut single = None;
        for ie in &self.elements {
            match ie {
                InformationElement::LockingShift(code) => {
                    locking = NationalLanguage::from_code(*code)
                }
                InformationElement::SingleShift(code) => {
                    single = NationalLanguage::from_code(*code)
                }
                _ => {}
            }
        }
        (locking, single)
    }

    /// Encoded length including the UDHL octet.
    pub fn encoded_len(&self) -> usize {
        1 + self
            .elements
            .iter()
            .map(|ie| 2 + ie_data_len(ie))
            .sum::<usize>()
    }

    /// Encodes UDHL and the elements.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        out.push((self.encoded_len() - 1) as u8);
        for ie in &self.elements {
            match ie {
                InformationElement::Concat(c) if c.wide => {
                    let [hi, lo] = c.reference.to_be_bytes();
                    out.extend([IEI_CONCAT_16, 4, hi, lo, c.total, c.seq]);
                }
                InformationElement::Concat(c) => {
                    out.extend([IEI_CONCAT_8, 3, c.reference as u8, c.total, c.seq]);
                }
                InformationElement::Ports {
                    destination,
                    source,
                    wide: true,
                } => {
                    out.extend([IEI_PORTS_16, 4]);
                    out.extend(destination.to_be_bytes());
                    out.extend(source.to_be_bytes());
                }
                InformationElement::Ports {
                    destination,
                    source,
                    wide: false,
                } => out.extend([IEI_PORTS_8, 2, *destination as u8, *source as u8]),
                InformationElement::SingleShift(code) => out.extend([IEI_SINGLE_SHIFT, 1, *code]),
                InformationElement::LockingShift(code) => out.extend([IEI_LOCKING_SHIFT, 1, *code]),
                InformationElement::Other { id, data } => {
                    out.extend([*id, data.len() as u8]);
                    out.extend(data);
                }
            }
        }
        out
    }

    /// Parses a header; `r` is positioned on the UDHL octet.
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let udhl = r.u8("UDHL")?;
        let body_offset = r.offset();
        let body = r.take(usize::from(udhl), "UDH")?;
        let mut ies = Reader::with_base(body, body_offset);
        let mut elements = Vec::new();
        while !ies.is_empty() {
            let id = ies.u8("UDH IEI")?;
            let len = ies.u8("UDH IEDL")?;
            let data_offset = ies.offset();
            let data = ies.take(usize::from(len), "UDH IED")?;
            elements.push(parse_ie(id, data, data_offset)?);
        }
        Ok(Self { elements })
    }
}

fn ie_data_len(ie: &InformationElement) -> usize {
    match ie {
        InformationElement::Concat(c) if c.wide => 4,
        InformationElement::Concat(_) => 3,
        InformationElement::Ports { wide: true, .. } => 4,
        InformationElement::Ports { wide: false, .. } => 2,
        InformationElement::SingleShift(_) | InformationElement::LockingShift(_) => 1,
        InformationElement::Other { data, .. } => data.len(),
    }
}

fn parse_ie(id: u8, data: &[u8], offset: usize) -> Result<InformationElement, DecodeError> {
    let wrong_length = |why| {
        DecodeError::new(
            "UDH IEDL",
            offset.saturating_sub(1),
            DecodeErrorKind::InvalidValue {
                value: data.len() as u8,
                why,
            },
        )
    };
    Ok(match (id, data) {
        (IEI_CONCAT_8, &[reference, total, seq]) => InformationElement::Concat(Concat {
            reference: u16::from(reference),
            total,
            seq,
            wide: false,
        }),
        (IEI_CONCAT_16, &[hi, lo, total, seq]) => InformationElement::Concat(Concat {
            reference: u16::from_be_bytes([hi, lo]),
            total,
            seq,
            wide: true,
        }),
        (IEI_PORTS_8, &[destination, source]) => InformationElement::Ports {
            destination: u16::from(destination),
            source: u16::from(source),
            wide: false,
        },
        (IEI_PORTS_16, &[d1, d2, s1, s2]) => InformationElement::Ports {
            destination: u16::from_be_bytes([d1, d2]),
            source: u16::from_be_bytes([s1, s2]),
            wide: true,
        },
        (IEI_SINGLE_SHIFT, &[code]) => InformationElement::SingleShift(code),
        (IEI_LOCKING_SHIFT, &[code]) => InformationElement::LockingShift(code),
        (IEI_CONCAT_8, _) => return Err(wrong_length("concatenation IE 0x00 has 3 octets")),
        (IEI_CONCAT_16, _) => return Err(wrong_length("concatenation IE 0x08 has 4 octets")),
        (IEI_PORTS_8, _) => return Err(wrong_length("port IE 0x04 has 2 octets")),
        (IEI_PORTS_16, _) => return Err(wrong_length("port IE 0x05 has 4 octets")),
        (IEI_SINGLE_SHIFT | IEI_LOCKING_SHIFT, _) => {
            return Err(wrong_length("national language IEs have 1 octet"))
        }
        (id, data) => InformationElement::Other {
            id,
            data: data.to_vec(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(hex_str: &str) -> Result<UserDataHeader, DecodeError> {
        UserDataHeader::decode(&mut Reader::new(&hex::decode(hex_str).unwrap()))
    }

    #[test]
    fn concat_8_and_16_bit() {
        let h = parse("050003CC0201").unwrap();
        let c = h.concat().unwrap();
        assert_eq!((c.reference, c.total, c.seq, c.wide), (0xCC, 2, 1, false));
        let h = parse("06080412340302").unwrap();
        let c = h.concat().unwrap();
        assert_eq!((c.reference, c.total, c.seq, c.wide), (0x1234, 3, 2, true));
        assert_eq!(hex::encode_upper(h.encode()), "06080412340302");
    }

    #[test]
    fn ports_languages_and_unknown_ies_survive_a_round_trip() {
        // UDHL 17: 16-bit ports, single + locking shift (Turkish), and an unknown IE 0x70.
        let bytes = hex::decode("110504158115812401012501017003AABBCC").unwrap();
        let h = UserDataHeader::decode(&mut Reader::new(&bytes)).unwrap();
        assert_eq!(h.ports(), Some((0x1581, 0x1581)));
        assert_eq!(
            h.languages(),
            (
                Some(NationalLanguage::Turkish),
                Some(NationalLanguage::Turkish)
            )
        );
        assert!(h.elements.contains(&InformationElement::Other {
            id: 0x70,
            data: vec![0xAA, 0xBB, 0xCC]
        }));
        assert_eq!(h.encode(), bytes);
    }

    #[test]
    fn an_ie_running_past_the_header_is_an_error_with_offset() {
        // UDHL 5, concat IE claims 4 data octets but only 3 remain inside the header.
        let err = parse("0500040102030405").unwrap_err();
        assert_eq!(err.field, "UDH IED");
        assert_eq!(err.offset, 3);
    }

    #[test]
    fn a_known_ie_with_the_wrong_length_is_an_error() {
        let err = parse("0400020102").unwrap_err();
        assert_eq!(err.field, "UDH IEDL");
    }
}
