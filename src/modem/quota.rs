//! SIM quotas: at most `per_day` / `per_month` segments in calendar windows that begin at
//! `reset_hour` (UTC) and, for the month, on `reset_day` — how SIM plans count, unlike the
//! sliding rate limits of `route.rs`.
//!
//! The window arithmetic is pure ([`day_start`], [`month_start`]); [`Quota`] holds the use
//! of the current windows and reads the time through an injected clock (tests move it).
//! Invariants: use is counted per segment handed to the modem; a window that has passed
//! reads as empty; the stored use (the daemon persists [`QuotaUse`]) survives restarts.

use crate::message::Millis;
use serde::Serialize;
use std::sync::{Arc, Mutex};
use time::{Date, Month, OffsetDateTime, Time};

/// Caps and reset times.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuotaConfig {
    /// Segments per quota day (None: no cap).
    pub per_day: Option<u64>,
    /// Segments per quota month.
    pub per_month: Option<u64>,
    /// Hour (UTC) the day and month begin.
    pub reset_hour: u8,
    /// Day of month (1–28) the month begins.
    pub reset_day: u8,
}

/// Use in the windows that began at `day_start` and `month_start`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct QuotaUse {
    /// Start of the quota day (Unix ms).
    pub day_start: Millis,
    /// Segments in it.
    pub day_used: u64,
    /// Start of the quota month.
    pub month_start: Millis,
    /// Segments in it.
    pub month_used: u64,
}

/// What `GET /api/modems/{name}` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuotaView {
    /// Current use.
    #[serde(flatten)]
    pub used: QuotaUse,
    /// The day's cap.
    pub per_day: Option<u64>,
    /// The month's cap.
    pub per_month: Option<u64>,
    /// Segments still allowed now (None: no cap).
    pub remaining: Option<u64>,
}

fn to_datetime(at: Millis) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(at) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn millis(date: Date, hour: u8) -> Millis {
    let time = Time::from_hms(hour.min(23), 0, 0).unwrap_or(Time::MIDNIGHT);
    let at = date.with_time(time).assume_utc();
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

/// Start of the quota day containing `now`: today at `reset_hour` UTC, or yesterday's.
pub fn day_start(now: Millis, reset_hour: u8) -> Millis {
    let date = to_datetime(now).date();
    let today = millis(date, reset_hour);
    if now >= today {
        today
    } else {
        date.previous_day().map_or(today, |d| millis(d, reset_hour))
    }
}

/// Start of the quota month containing `now`: this month's `reset_day` at `reset_hour`
/// UTC, or the previous month's.
pub fn month_start(now: Millis, reset_day: u8, reset_hour: u8) -> Millis {
    let date = to_datetime(now).date();
    let day = reset_day.clamp(1, 28);
    let this = Date::from_calendar_date(date.year(), date.month(), day)
        .map_or(now, |d| millis(d, reset_hour));
    if now >= this {
        return this;
    }
    let (year, month) = match date.month() {
        Month::January => (date.year() - 1, Month::December),
        m => (date.year(), m.previous()),
    };
    Date::from_calendar_date(year, month, day).map_or(this, |d| millis(d, reset_hour))
}

/// The clock quotas read (Unix ms).
pub type QuotaClock = Arc<dyn Fn() -> Millis + Send + Sync>;

/// The quota of one SIM.
pub struct Quota {
    config: QuotaConfig,
    clock: QuotaClock,
    used: Mutex<QuotaUse>,
}

impl std::fmt::Debug for Quota {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Quota")
            .field("config", &self.config)
            .finish()
    }
}

impl Quota {
    /// A quota reading `clock`.
    pub fn new(config: QuotaConfig, clock: QuotaClock) -> Self {
        Self {
            config,
            clock,
            used: Mutex::new(QuotaUse::default()),
        }
    }

    /// Whether any cap is set.
    pub fn capped(&self) -> bool {
        self.config.per_day.is_some() || self.config.per_month.is_some()
    }

    /// The use now, windows rolled over.
    pub fn current(&self) -> QuotaUse {
        let now = (self.clock)();
        let day = day_start(now, self.config.reset_hour);
        let month = month_start(now, self.config.reset_day, self.config.reset_hour);
        let Ok(mut used) = self.used.lock() else {
            return QuotaUse::default();
        };
        if used.day_start != day {
            used.day_start = day;
            used.day_used = 0;
        }
        if used.month_start != month {
            used.month_start = month;
            used.month_used = 0;
        }
        *used
    }

    /// Segments still allowed now (None: no cap).
    pub fn remaining(&self) -> Option<u64> {
        let used = self.current();
        let day = self.config.per_day.map(|c| c.saturating_sub(used.day_used));
        let month = self
            .config
            .per_month
            .map(|c| c.saturating_sub(used.month_used));
        match (day, month) {
            (Some(d), Some(m)) => Some(d.min(m)),
            (d, m) => d.or(m),
        }
    }

    /// Counts `segments` handed to the modem.
    pub fn record(&self, segments: u64) {
        let _ = self.current();
        if let Ok(mut used) = self.used.lock() {
            used.day_used += segments;
            used.month_used += segments;
        }
    }

    /// Restores stored use (windows that have passed read as empty).
    pub fn restore(&self, stored: QuotaUse) {
        if let Ok(mut used) = self.used.lock() {
            *used = stored;
        }
    }

    /// The view for the API.
    pub fn view(&self) -> QuotaView {
        QuotaView {
            used: self.current(),
            per_day: self.config.per_day,
            per_month: self.config.per_month,
            remaining: self.remaining(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, Ordering};

    // 2026-12-05 22:00:00 UTC
    const T: Millis = 1_796_508_000_000;
    const H: Millis = 3_600_000;

    #[test]
    fn day_windows() {
        assert_eq!(day_start(T, 0), T - 22 * H);
        // Before today's reset hour the day began yesterday.
        assert_eq!(day_start(T, 23), T - 23 * H);
        assert_eq!(day_start(T, 22), T);
    }

    #[test]
    fn month_windows() {
        // 5 December: a month starting on the 1st began 4 days 22 hours ago.
        assert_eq!(month_start(T, 1, 0), T - (4 * 24 + 22) * H);
        // Starting on the 10th: it began on 10 November.
        assert_eq!(month_start(T, 10, 0), T - (25 * 24 + 22) * H);
        // January wraps to December of the year before.
        let jan3 = 1_767_398_400_000; // 2026-01-03 00:00 UTC
        assert_eq!(month_start(jan3, 5, 0), jan3 - 29 * 24 * H);
    }

    #[test]
    fn caps_and_rollover() {
        let now = Arc::new(AtomicI64::new(T));
        let clock_now = now.clone();
        let q = Quota::new(
            QuotaConfig {
                per_day: Some(3),
                per_month: Some(5),
                reset_hour: 0,
                reset_day: 1,
            },
            Arc::new(move || clock_now.load(Ordering::SeqCst)),
        );
        assert_eq!(q.remaining(), Some(3));
        q.record(3);
        assert_eq!(q.remaining(), Some(0));
        // After midnight UTC the day is fresh; the month remembers.
        now.store(T + 2 * H + 1, Ordering::SeqCst);
        assert_eq!(q.remaining(), Some(2));
        let stored = q.current();
        assert_eq!(stored.month_used, 3);
        // Restored into a new quota: the same.
        let q2 = Quota::new(q.config, Arc::new(move || T + 2 * H + 1));
        q2.restore(stored);
        assert_eq!(q2.remaining(), Some(2));
    }
}
