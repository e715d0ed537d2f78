//! Service-centre time stamps (TP-SCTS, TP-DT and absolute TP-VP; 3GPP TS 23.040
//! §9.2.3.11): seven swapped semi-octet pairs — year, month, day, hour, minute, second —
//! and the time zone in quarter hours with its sign in bit 3 of the zone's second nibble.
//!
//! Invariant: a decoded [`Timestamp`] has every field in range (month 1–12, a day that
//! exists in that month, hour < 24, minute and second < 60, |zone| ≤ 79 quarters), so
//! formatting it can never produce an impossible date.

use super::error::{DecodeError, DecodeErrorKind};
use super::reader::Reader;
use std::fmt;

/// A time stamp as the SMSC wrote it: local time with its offset from UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timestamp {
    /// Full year (two-digit years below 70 are 20YY, the rest 19YY).
    pub year: u16,
    /// 1–12.
    pub month: u8,
    /// 1–31, valid for the month.
    pub day: u8,
    /// 0–23.
    pub hour: u8,
    /// 0–59.
    pub minute: u8,
    /// 0–59.
    pub second: u8,
    /// Offset from UTC in quarter hours (−79..=79).
    pub zone_quarters: i8,
}

impl Timestamp {
    pub(crate) fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, DecodeError> {
        let start = r.offset();
        let octets = r.array::<7>(field)?;
        let bcd = |i: usize| -> Result<u8, DecodeError> {
            let octet = octets.get(i).copied().unwrap_or(0);
            let (lo, hi) = (octet & 0x0F, octet >> 4);
            if lo > 9 || hi > 9 {
                return Err(DecodeError::new(
                    field,
                    start + i,
                    DecodeErrorKind::InvalidValue {
                        value: octet,
                        why: "not a BCD digit pair",
                    },
                ));
            }
            Ok(lo * 10 + hi)
        };
        let yy = bcd(0)?;
        let year = if yy < 70 { 2000 } else { 1900 } + u16::from(yy);
        let ts = Timestamp {
            year,
            month: bcd(1)?,
            day: bcd(2)?,
            hour: bcd(3)?,
            minute: bcd(4)?,
            second: bcd(5)?,
            zone_quarters: 0,
        };
        let zone = octets[6];
        let (lo, hi) = (zone & 0x07, zone >> 4);
        if hi > 9 {
            return Err(DecodeError::new(
                field,
                start + 6,
                DecodeErrorKind::InvalidValue {
                    value: zone,
                    why: "time zone is not BCD",
                },
            ));
        }
        let quarters = (lo * 10 + hi) as i8;
        let ts = Timestamp {
            zone_quarters: if zone & 0x08 != 0 {
                -quarters
            } else {
                quarters
            },
            ..ts
        };
        ts.validate().map_err(|(index, why)| {
            DecodeError::new(
                field,
                start + index,
                DecodeErrorKind::InvalidValue {
                    value: octets.get(index).copied().unwrap_or(0),
                    why,
                },
            )
        })?;
        Ok(ts)
    }

    /// The seven octets of this time stamp.
    pub fn encode(&self) -> [u8; 7] {
        let swap = |v: u8| (v % 10) << 4 | (v / 10 % 10);
        let quarters = self.zone_quarters.unsigned_abs();
        let zone = swap(quarters) | if self.zone_quarters < 0 { 0x08 } else { 0 };
        [
            swap((self.year % 100) as u8),
            swap(self.month),
            swap(self.day),
            swap(self.hour),
            swap(self.minute),
            swap(self.second),
            zone,
        ]
    }

    /// Checks ranges; the error names the octet index (0 = year) and why.
    fn validate(&self) -> Result<(), (usize, &'static str)> {
        if !(1..=12).contains(&self.month) {
            return Err((1, "month out of range"));
        }
        if self.day == 0 || self.day > days_in_month(self.year, self.month) {
            return Err((2, "day out of range for the month"));
        }
        if self.hour > 23 {
            return Err((3, "hour out of range"));
        }
        if self.minute > 59 {
            return Err((4, "minute out of range"));
        }
        if self.second > 59 {
            return Err((5, "second out of range"));
        }
        if self.zone_quarters.unsigned_abs() > 79 {
            return Err((6, "time zone out of range"));
        }
        Ok(())
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339, in the SMSC's own zone: `2024-03-15T10:20:30+02:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let minutes = i32::from(self.zone_quarters) * 15;
        let sign = if minutes < 0 { '-' } else { '+' };
        let minutes = minutes.abs();
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}{:02}:{:02}",
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            sign,
            minutes / 60,
            minutes % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(hex_str: &str) -> Result<Timestamp, DecodeError> {
        let bytes = hex::decode(hex_str).unwrap();
        Timestamp::decode(&mut Reader::new(&bytes), "TP-SCTS")
    }

    #[test]
    fn positive_zone() {
        // 1999-03-29 15:16:59, +8 quarters: the classic "hellohello" example's SCTS.
        let ts = decode("99309251619580").unwrap();
        assert_eq!(ts.to_string(), "1999-03-29T15:16:59+02:00");
        assert_eq!(hex::encode_upper(ts.encode()), "99309251619580");
    }

    #[test]
    fn negative_zone_and_quarter_hours() {
        // 2021-12-31 23:59:58, zone -23 quarters: digits "23" swapped to 0x32, sign bit 0x08.
        let ts = decode("1221133295853A").unwrap();
        assert_eq!(ts.to_string(), "2021-12-31T23:59:58-05:45");
        assert_eq!(ts.zone_quarters, -23);
        assert_eq!(hex::encode_upper(ts.encode()), "1221133295853A");
    }

    #[test]
    fn impossible_dates_are_errors_naming_the_octet() {
        let err = decode("42201300000000").unwrap_err(); // 2024-02-31
        assert_eq!(err.offset, 2);
        let err = decode("4A101000000000").unwrap_err();
        assert_eq!(err.offset, 0);
        let err = decode("42101052000000").unwrap_err(); // hour 25
        assert_eq!(err.offset, 3);
    }
}
