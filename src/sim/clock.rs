//! Wall-clock helpers: the SMSC time stamp (TP-SCTS, always UTC) and the RFC 3339 time of
//! log records, from `SystemTime` without a date library.
//!
//! Only wall-clock *labels* come from here; every delay in `sim/` uses `tokio::time`, so
//! tests run under paused time. Never imports `at/`, `modem/` or anything higher.

use crate::pdu::Timestamp;
use std::time::{SystemTime, UNIX_EPOCH};

/// Civil date and time (UTC) of `unix` seconds.
fn civil(unix: u64) -> (u16, u8, u8, u8, u8, u8) {
    let days = unix / 86_400;
    let secs = unix % 86_400;
    // Howard Hinnant's days-to-civil, for days since 1970-01-01 (non-negative here).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (
        u16::try_from(year).unwrap_or(u16::MAX),
        month as u8,
        day as u8,
        (secs / 3600) as u8,
        (secs / 60 % 60) as u8,
        (secs % 60) as u8,
    )
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The current time as an SMSC time stamp (UTC, zone 0).
pub(crate) fn scts_now() -> Timestamp {
    scts_at(unix_now())
}

pub(crate) fn scts_at(unix: u64) -> Timestamp {
    let (year, month, day, hour, minute, second) = civil(unix);
    Timestamp {
        year,
        month,
        day,
        hour,
        minute,
        second,
        zone_quarters: 0,
    }
}

/// The current time, RFC 3339 with milliseconds, UTC.
pub(crate) fn rfc3339_now() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let (y, mo, d, h, mi, s) = civil(now.as_secs());
    format!(
        "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}Z",
        now.subsec_millis()
    )
}

/// A time stamp as text mode shows it: `yy/MM/dd,hh:mm:ss±zz`.
pub(crate) fn text_mode(ts: &Timestamp) -> String {
    let sign = if ts.zone_quarters < 0 { '-' } else { '+' };
    format!(
        "{:02}/{:02}/{:02},{:02}:{:02}:{:02}{sign}{:02}",
        ts.year % 100,
        ts.month,
        ts.day,
        ts.hour,
        ts.minute,
        ts.second,
        ts.zone_quarters.unsigned_abs()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(civil(951_782_400), (2000, 2, 29, 0, 0, 0));
        assert_eq!(civil(1_710_498_030), (2024, 3, 15, 10, 20, 30));
    }

    #[test]
    fn text_mode_format() {
        assert_eq!(text_mode(&scts_at(1_710_498_030)), "24/03/15,10:20:30+00");
    }
}
