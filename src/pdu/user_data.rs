//! TP-UDL and TP-UD (3GPP TS 23.040 §9.2.3.16, §9.2.3.24): the user data with its optional
//! header, in the units the alphabet uses.
//!
//! For GSM 7-bit, TP-UDL counts septets *including* the header and the fill bits that put
//! the text on a septet boundary; for 8-bit and UCS-2 it counts octets including the
//! header. The body is kept as raw units — unpacked septets or octets — not as text, so
//! the reassembler can join segments *before* decoding: an escape or a surrogate pair that
//! a careless sender split across two segments still decodes correctly.

use super::dcs::{Alphabet, DataCoding};
use super::error::{DecodeError, DecodeErrorKind};
use super::gsm7::{pack, Charset};
use super::reader::Reader;
use super::ucs2;
use super::udh::UserDataHeader;

/// Maximum TP-UD length in octets.
pub const MAX_OCTETS: usize = 140;
/// Maximum TP-UD length in septets.
pub const MAX_SEPTETS: usize = 160;

/// User data: header and body units.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserData {
    /// The header, when TP-UDHI was set.
    pub header: Option<UserDataHeader>,
    /// Alphabet of `body` (from the DCS; compressed data counts as 8-bit).
    pub alphabet: Alphabet,
    /// Unpacked septets (GSM 7-bit) or octets (8-bit, UCS-2) after the header.
    pub body: Vec<u8>,
}

/// The body decoded for people: text, or the octets of 8-bit data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// GSM 7-bit or UCS-2 text.
    Text(String),
    /// 8-bit (or compressed) data.
    Binary(Vec<u8>),
}

/// Number of septets a header of `len` octets (UDHL included) occupies, fill bits included.
pub fn header_septets(len: usize) -> usize {
    (len * 8).div_ceil(7)
}

impl UserData {
    /// The charset the header selects (national language IEs), default otherwise.
    pub fn charset(&self) -> Charset {
        let (locking, single) = self
            .header
            .as_ref()
            .map(UserDataHeader::languages)
            .unwrap_or_default();
        Charset { locking, single }
    }

    /// Decodes the body.
    pub fn content(&self) -> Content {
        decode_units(self.alphabet, self.charset(), &self.body)
    }

    /// Encodes TP-UDL and TP-UD.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let header = self
            .header
            .as_ref()
            .map(UserDataHeader::encode)
            .unwrap_or_default();
        match self.alphabet {
            Alphabet::Gsm7 => {
                let header_septets = if header.is_empty() {
                    0
                } else {
                    header_septets(header.len())
                };
                let fill = (header_septets * 7 - header.len() * 8) as u8;
                out.push((header_septets + self.body.len()) as u8);
                out.extend(&header);
                out.extend(pack::pack(&self.body, fill));
            }
            Alphabet::Eight | Alphabet::Ucs2 => {
                out.push((header.len() + self.body.len()) as u8);
                out.extend(&header);
                out.extend(&self.body);
            }
        }
    }

    /// Decodes TP-UDL and TP-UD; `r` is positioned on TP-UDL.
    pub(crate) fn decode(
        r: &mut Reader<'_>,
        dcs: &DataCoding,
        has_header: bool,
    ) -> Result<Self, DecodeError> {
        let udl_offset = r.offset();
        let udl = usize::from(r.u8("TP-UDL")?);
        let alphabet = if dcs.compressed {
            Alphabet::Eight
        } else {
            dcs.alphabet
        };
        let too_long = |why| {
            DecodeError::new(
                "TP-UDL",
                udl_offset,
                DecodeErrorKind::InvalidValue {
                    value: udl as u8,
                    why,
                },
            )
        };
        let octets = match alphabet {
            Alphabet::Gsm7 if udl > MAX_SEPTETS => return Err(too_long("more than 160 septets")),
            Alphabet::Gsm7 => pack::packed_len(udl, 0),
            _ if udl > MAX_OCTETS => return Err(too_long("more than 140 octets")),
            _ => udl,
        };
        let ud_offset = r.offset();
        let ud = r.take(octets, "TP-UD")?;
        let mut ud_reader = Reader::with_base(ud, ud_offset);
        let header = if has_header {
            Some(UserDataHeader::decode(&mut ud_reader)?)
        } else {
            None
        };
        let header_len = ud.len() - ud_reader.remaining();
        let body_offset = ud_reader.offset();
        let rest = ud_reader.rest();
        let body = match alphabet {
            Alphabet::Gsm7 => {
                let skip = if has_header {
                    header_septets(header_len)
                } else {
                    0
                };
                if skip > udl {
                    return Err(too_long("shorter than its user-data header"));
                }
                let fill = (skip * 7 - header_len * 8) as u8;
                pack::unpack(rest, fill, udl - skip)
            }
            Alphabet::Eight | Alphabet::Ucs2 => {
                if header_len > udl {
                    return Err(too_long("shorter than its user-data header"));
                }
                let body = rest.get(..udl - header_len).unwrap_or(rest).to_vec();
                if alphabet == Alphabet::Ucs2 && body.len() % 2 != 0 {
                    return Err(DecodeError::new(
                        "TP-UD",
                        body_offset + body.len() - 1,
                        DecodeErrorKind::Malformed("UCS-2 text has an odd number of octets"),
                    ));
                }
                body
            }
        };
        Ok(Self {
            header,
            alphabet,
            body,
        })
    }
}

/// Decodes raw units of `alphabet` (used for single segments and joined ones alike).
pub fn decode_units(alphabet: Alphabet, charset: Charset, units: &[u8]) -> Content {
    match alphabet {
        Alphabet::Gsm7 => Content::Text(charset.decode(units)),
        Alphabet::Ucs2 => Content::Text(ucs2::decode(units)),
        Alphabet::Eight => Content::Binary(units.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdu::udh::{Concat, InformationElement};

    fn round_trip(ud: &UserData) -> UserData {
        let mut bytes = Vec::new();
        ud.encode(&mut bytes);
        let dcs = DataCoding::new(ud.alphabet, None);
        UserData::decode(&mut Reader::new(&bytes), &dcs, ud.header.is_some()).unwrap()
    }

    fn concat_header(wide: bool) -> UserDataHeader {
        UserDataHeader {
            elements: vec![InformationElement::Concat(Concat {
                reference: 7,
                total: 2,
                seq: 1,
                wide,
            })],
        }
    }

    #[test]
    fn gsm7_with_a_6_octet_header_uses_one_fill_bit_and_153_septets() {
        let body = vec![0x41; 153];
        let ud = UserData {
            header: Some(concat_header(false)),
            alphabet: Alphabet::Gsm7,
            body,
        };
        let mut bytes = Vec::new();
        ud.encode(&mut bytes);
        assert_eq!(bytes[0], 160); // UDL: 7 header septets + 153
        assert_eq!(bytes.len(), 1 + 140);
        assert_eq!(round_trip(&ud), ud);
    }

    #[test]
    fn gsm7_with_a_7_octet_header_needs_no_fill_and_carries_152_septets() {
        let ud = UserData {
            header: Some(concat_header(true)),
            alphabet: Alphabet::Gsm7,
            body: vec![0x20; 152],
        };
        let mut bytes = Vec::new();
        ud.encode(&mut bytes);
        assert_eq!((bytes[0], bytes.len()), (160, 141));
        assert_eq!(round_trip(&ud), ud);
    }

    #[test]
    fn udl_beyond_the_maximum_is_an_error() {
        let dcs = DataCoding::new(Alphabet::Ucs2, None);
        let mut bytes = vec![141];
        bytes.extend([0; 141]);
        let err = UserData::decode(&mut Reader::new(&bytes), &dcs, false).unwrap_err();
        assert_eq!((err.field, err.offset), ("TP-UDL", 0));
    }

    #[test]
    fn odd_ucs2_is_an_error_and_truncated_ud_names_the_shortfall() {
        let dcs = DataCoding::new(Alphabet::Ucs2, None);
        let err = UserData::decode(&mut Reader::new(&[3, 0, 0x41, 0]), &dcs, false).unwrap_err();
        assert_eq!(err.field, "TP-UD");
        let err = UserData::decode(&mut Reader::new(&[4, 0, 0x41]), &dcs, false).unwrap_err();
        assert_eq!(err.reason, DecodeErrorKind::Truncated { needed: 2 });
    }

    #[test]
    fn a_header_longer_than_udl_is_an_error() {
        // 8-bit data, UDL 2 but the header says 5 octets.
        let dcs = DataCoding::new(Alphabet::Eight, None);
        assert!(UserData::decode(&mut Reader::new(&[2, 5, 0]), &dcs, true).is_err());
    }
}
