//! The validity period of an SMS-SUBMIT (TP-VP, 3GPP TS 23.040 §9.2.3.12) in its three
//! formats — relative (one octet), absolute (a time stamp) and enhanced (seven octets) —
//! and the TP-VPF bits that announce which one follows.

use super::error::{DecodeError, DecodeErrorKind};
use super::reader::Reader;
use super::timestamp::Timestamp;

/// A validity period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValidityPeriod {
    /// The relative format's octet; see [`ValidityPeriod::relative_minutes`].
    Relative(u8),
    /// An absolute expiry time.
    Absolute(Timestamp),
    /// The enhanced format (§9.2.3.12.3).
    Enhanced(EnhancedValidity),
}

/// The enhanced validity period format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnhancedValidity {
    /// The SC is asked to try delivery only once.
    pub single_shot: bool,
    /// The period itself.
    pub period: EnhancedPeriod,
}

/// The period carried in an enhanced validity period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EnhancedPeriod {
    /// No validity period specified.
    None,
    /// Same meaning as the relative format's octet.
    Relative(u8),
    /// 0–255 seconds.
    Seconds(u8),
    /// Hours, minutes, seconds as semi-octets.
    HoursMinutesSeconds(u8, u8, u8),
    /// A reserved format value; the octets are kept as they came.
    Reserved([u8; 6]),
}

/// The TP-VPF values (bits 4–3 of the first octet); 00 means no TP-VP.
pub(crate) mod vpf {
    pub const ENHANCED: u8 = 0b01;
    pub const RELATIVE: u8 = 0b10;
    pub const ABSOLUTE: u8 = 0b11;
}

impl ValidityPeriod {
    /// The relative period closest to `minutes` (ties go to the longer period; anything
    /// shorter than 5 minutes becomes 5 minutes, anything beyond 63 weeks 63 weeks).
    pub fn from_minutes(minutes: u32) -> Self {
        let best = (0..=255u8)
            .min_by_key(|&v| {
                let m = Self::relative_minutes(v);
                (m.abs_diff(minutes), std::cmp::Reverse(m))
            })
            .unwrap_or(0);
        ValidityPeriod::Relative(best)
    }

    /// The longest relative period not longer than `minutes` (at least the shortest one,
    /// 5 minutes): for a deadline the network must not outlive — an OTP's expiry.
    pub fn at_most_minutes(minutes: u32) -> Self {
        let best = (0..=255u8)
            .rev()
            .find(|&v| Self::relative_minutes(v) <= minutes)
            .unwrap_or(0);
        ValidityPeriod::Relative(best)
    }

    /// Minutes meant by a relative-format octet: 5-minute steps up to 12 hours, then
    /// 30-minute steps up to 24 hours, then days up to 30, then weeks up to 63.
    pub fn relative_minutes(v: u8) -> u32 {
        let v = u32::from(v);
        match v {
            0..=143 => (v + 1) * 5,
            144..=167 => 12 * 60 + (v - 143) * 30,
            168..=196 => (v - 166) * 24 * 60,
            _ => (v - 192) * 7 * 24 * 60,
        }
    }

    /// The TP-VPF bits for this format.
    pub(crate) fn vpf(&self) -> u8 {
        match self {
            ValidityPeriod::Relative(_) => vpf::RELATIVE,
            ValidityPeriod::Absolute(_) => vpf::ABSOLUTE,
            ValidityPeriod::Enhanced(_) => vpf::ENHANCED,
        }
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        match self {
            ValidityPeriod::Relative(v) => out.push(*v),
            ValidityPeriod::Absolute(ts) => out.extend(ts.encode()),
            ValidityPeriod::Enhanced(e) => out.extend(e.encode()),
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>, vpf_bits: u8) -> Result<Option<Self>, DecodeError> {
        const FIELD: &str = "TP-VP";
        Ok(match vpf_bits & 0b11 {
            vpf::RELATIVE => Some(ValidityPeriod::Relative(r.u8(FIELD)?)),
            vpf::ABSOLUTE => Some(ValidityPeriod::Absolute(Timestamp::decode(r, FIELD)?)),
            vpf::ENHANCED => {
                let start = r.offset();
                let octets = r.array::<7>(FIELD)?;
                Some(ValidityPeriod::Enhanced(EnhancedValidity::decode(
                    octets, start,
                )?))
            }
            _ => None,
        })
    }
}

impl EnhancedValidity {
    fn decode(octets: [u8; 7], start: usize) -> Result<Self, DecodeError> {
        let [functionality, a, b, c, d, e, f] = octets;
        let single_shot = functionality & 0x40 != 0;
        let bcd = |octet: u8, index: usize| -> Result<u8, DecodeError> {
            let (lo, hi) = (octet & 0x0F, octet >> 4);
            if lo > 9 || hi > 9 {
                return Err(DecodeError::new(
                    "TP-VP",
                    start + index,
                    DecodeErrorKind::InvalidValue {
                        value: octet,
                        why: "not a BCD digit pair",
                    },
                ));
            }
            Ok(lo * 10 + hi)
        };
        let period = match functionality & 0x07 {
            0b000 => EnhancedPeriod::None,
            0b001 => EnhancedPeriod::Relative(a),
            0b010 => EnhancedPeriod::Seconds(a),
            0b011 => EnhancedPeriod::HoursMinutesSeconds(bcd(a, 1)?, bcd(b, 2)?, bcd(c, 3)?),
            _ => EnhancedPeriod::Reserved([a, b, c, d, e, f]),
        };
        Ok(Self {
            single_shot,
            period,
        })
    }

    fn encode(&self) -> [u8; 7] {
        let swap = |v: u8| (v % 10) << 4 | (v / 10 % 10);
        let mut out = [0u8; 7];
        let (format, body): (u8, [u8; 6]) = match self.period {
            EnhancedPeriod::None => (0, [0; 6]),
            EnhancedPeriod::Relative(v) => (1, [v, 0, 0, 0, 0, 0]),
            EnhancedPeriod::Seconds(s) => (2, [s, 0, 0, 0, 0, 0]),
            EnhancedPeriod::HoursMinutesSeconds(h, m, s) => {
                (3, [swap(h), swap(m), swap(s), 0, 0, 0])
            }
            EnhancedPeriod::Reserved(body) => (7, body),
        };
        out[0] = format | if self.single_shot { 0x40 } else { 0 };
        out[1..].copy_from_slice(&body);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_scale_boundaries() {
        assert_eq!(ValidityPeriod::relative_minutes(0), 5);
        assert_eq!(ValidityPeriod::relative_minutes(143), 720);
        assert_eq!(ValidityPeriod::relative_minutes(144), 750);
        assert_eq!(ValidityPeriod::relative_minutes(167), 1440);
        assert_eq!(ValidityPeriod::relative_minutes(168), 2 * 1440);
        assert_eq!(ValidityPeriod::relative_minutes(196), 30 * 1440);
        assert_eq!(ValidityPeriod::relative_minutes(197), 5 * 7 * 1440);
        assert_eq!(ValidityPeriod::relative_minutes(255), 63 * 7 * 1440);
    }

    #[test]
    fn minutes_round_to_the_nearest_representable_value() {
        assert_eq!(ValidityPeriod::from_minutes(0), ValidityPeriod::Relative(0));
        assert_eq!(ValidityPeriod::from_minutes(5), ValidityPeriod::Relative(0));
        assert_eq!(
            ValidityPeriod::from_minutes(10),
            ValidityPeriod::Relative(1)
        );
        assert_eq!(
            ValidityPeriod::from_minutes(12),
            ValidityPeriod::Relative(1)
        ); // 10 beats 15
        assert_eq!(
            ValidityPeriod::from_minutes(13),
            ValidityPeriod::Relative(2)
        );
        assert_eq!(
            ValidityPeriod::from_minutes(1440),
            ValidityPeriod::Relative(167)
        );
        assert_eq!(
            ValidityPeriod::from_minutes(3 * 1440),
            ValidityPeriod::Relative(169)
        );
        assert_eq!(
            ValidityPeriod::from_minutes(u32::MAX),
            ValidityPeriod::Relative(255)
        );
    }

    #[test]
    fn enhanced_formats_round_trip() {
        for period in [
            EnhancedPeriod::None,
            EnhancedPeriod::Relative(11),
            EnhancedPeriod::Seconds(30),
            EnhancedPeriod::HoursMinutesSeconds(1, 30, 15),
        ] {
            let e = EnhancedValidity {
                single_shot: true,
                period,
            };
            let vp = ValidityPeriod::Enhanced(e);
            let mut bytes = Vec::new();
            vp.encode(&mut bytes);
            let back = ValidityPeriod::decode(&mut Reader::new(&bytes), vpf::ENHANCED).unwrap();
            assert_eq!(back, Some(vp));
        }
    }

    #[test]
    fn at_most_never_exceeds_the_deadline_and_never_goes_below_five_minutes() {
        for minutes in [
            0,
            1,
            4,
            5,
            6,
            9,
            10,
            11,
            719,
            720,
            721,
            1_000,
            100_000,
            u32::MAX,
        ] {
            let ValidityPeriod::Relative(v) = ValidityPeriod::at_most_minutes(minutes) else {
                panic!("relative expected");
            };
            let got = ValidityPeriod::relative_minutes(v);
            assert!(got <= minutes.max(5), "{minutes} -> {got}");
            assert!(
                v == 0 || v == 255 || ValidityPeriod::relative_minutes(v + 1) > minutes,
                "{minutes}"
            );
        }
        assert_eq!(
            ValidityPeriod::at_most_minutes(9),
            ValidityPeriod::Relative(0)
        );
        assert_eq!(
            ValidityPeriod::at_most_minutes(10),
            ValidityPeriod::Relative(1)
        );
    }
}
