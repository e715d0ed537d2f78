//! Sliding-window rate limits (layer 0, pure): "at most N per period" for any key — a phone
//! number, a client IP, an API key, everything at once — over one or more windows checked
//! together, with the exact time a refused caller may try again (`Retry-After`).
//!
//! Written here rather than taken from `governor`: its GCRA spreads a quota evenly (3/minute
//! means one every 20 s), cannot check a minute and an hour quota atomically (a refused
//! request would still use up the other), and has no way to give a unit back when the work
//! it paid for failed. A window here is a log of `(time, count)` entries per key, so "3 per
//! minute" means exactly that, and a refused request consumes nothing.
//!
//! Time is passed in (`now`, Unix milliseconds), never read, so tests are exact.
//! Memory: at most one entry per accepted request per key within the longest window; keys
//! idle for longer than that are dropped every few thousand calls.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Duration;

/// "At most `limit` per `period`".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Units allowed per period; 0 turns the window off.
    pub limit: u32,
    /// The period.
    pub period: Duration,
}

impl Window {
    /// `limit` per second.
    pub fn per_second(limit: u32) -> Self {
        Self::new(limit, Duration::from_secs(1))
    }

    /// `limit` per minute.
    pub fn per_minute(limit: u32) -> Self {
        Self::new(limit, Duration::from_secs(60))
    }

    /// `limit` per hour.
    pub fn per_hour(limit: u32) -> Self {
        Self::new(limit, Duration::from_secs(3600))
    }

    /// `limit` per `period`.
    pub fn new(limit: u32, period: Duration) -> Self {
        Self { limit, period }
    }

    fn period_ms(&self) -> i64 {
        i64::try_from(self.period.as_millis()).unwrap_or(i64::MAX)
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// Over the limit of `window`; capacity frees up after `retry_after`.
    Later {
        /// The window that refused.
        window: Window,
        /// How long until the request would pass.
        retry_after: Duration,
    },
    /// The request alone costs more than `window` ever allows.
    TooLarge {
        /// The window that refused.
        window: Window,
    },
}

/// How often (in calls) idle keys are swept.
const SWEEP_EVERY: u64 = 4096;

#[derive(Debug, Default)]
struct State<K> {
    logs: HashMap<K, VecDeque<(i64, u32)>>,
    calls: u64,
}

/// Limits per key over the same windows.
#[derive(Debug)]
pub struct KeyedLimiter<K> {
    windows: Vec<Window>,
    longest_ms: i64,
    state: Mutex<State<K>>,
}

impl<K: Hash + Eq + Clone> KeyedLimiter<K> {
    /// A limiter over `windows` (those with limit 0 are left out; none left: never refuses).
    pub fn new(windows: impl IntoIterator<Item = Window>) -> Self {
        let windows: Vec<Window> = windows.into_iter().filter(|w| w.limit > 0).collect();
        let longest_ms = windows.iter().map(Window::period_ms).max().unwrap_or(0);
        Self {
            windows,
            longest_ms,
            state: Mutex::new(State {
                logs: HashMap::new(),
                calls: 0,
            }),
        }
    }

    /// Whether the limiter can ever refuse.
    pub fn is_active(&self) -> bool {
        !self.windows.is_empty()
    }

    /// Takes `cost` units for `key` at `now` if every window has room; otherwise takes
    /// nothing and says which window refused and when to come back.
    pub fn acquire(&self, key: &K, cost: u32, now: i64) -> Result<(), Denied> {
        if self.windows.is_empty() || cost == 0 {
            return Ok(());
        }
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.calls = state.calls.wrapping_add(1);
        if state.calls.is_multiple_of(SWEEP_EVERY) {
            let horizon = now.saturating_sub(self.longest_ms);
            state
                .logs
                .retain(|_, log| log.back().is_some_and(|&(at, _)| at > horizon));
        }
        let horizon = now.saturating_sub(self.longest_ms);
        let log = state.logs.entry(key.clone()).or_default();
        while log.front().is_some_and(|&(at, _)| at <= horizon) {
            log.pop_front();
        }
        for window in &self.windows {
            check(window, log, cost, now)?;
        }
        match log.back_mut() {
            Some((at, n)) if *at == now => *n = n.saturating_add(cost),
            _ => log.push_back((now, cost)),
        }
        Ok(())
    }

    /// Units `key` may still take at `now` in its tightest window (`None`: no window).
    pub fn allowance(&self, key: &K, now: i64) -> Option<u64> {
        if self.windows.is_empty() {
            return None;
        }
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let empty = VecDeque::new();
        let log = state.logs.get(key).unwrap_or(&empty);
        self.windows
            .iter()
            .map(|w| u64::from(w.limit).saturating_sub(used(w, log, now)))
            .min()
    }

    /// Takes `cost` units for `key` at `now` whatever room is left: usage that happened
    /// anyway (a modem counts the segments it did send).
    pub fn record(&self, key: &K, cost: u32, now: i64) {
        if self.windows.is_empty() || cost == 0 {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let horizon = now.saturating_sub(self.longest_ms);
        let log = state.logs.entry(key.clone()).or_default();
        while log.front().is_some_and(|&(at, _)| at <= horizon) {
            log.pop_front();
        }
        match log.back_mut() {
            Some((at, n)) if *at == now => *n = n.saturating_add(cost),
            _ => log.push_back((now, cost)),
        }
    }

    /// Gives back `cost` units taken for `key` at `at` (the work they paid for failed).
    pub fn refund(&self, key: &K, cost: u32, at: i64) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(log) = state.logs.get_mut(key) {
            if let Some(entry) = log.iter_mut().rev().find(|(t, _)| *t == at) {
                entry.1 = entry.1.saturating_sub(cost);
            }
            log.retain(|&(_, n)| n > 0);
        }
    }

    /// Keys currently tracked (for tests and metrics).
    pub fn tracked_keys(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .logs
            .len()
    }
}

/// One [`KeyedLimiter`] without keys: the limits of one thing (a modem's segments per
/// minute, hour and day; a provider's requests per second).
#[derive(Debug)]
pub struct Limiter(KeyedLimiter<()>);

impl Limiter {
    /// A limiter over `windows` (those with limit 0 are left out).
    pub fn new(windows: impl IntoIterator<Item = Window>) -> Self {
        Limiter(KeyedLimiter::new(windows))
    }

    /// Whether it can ever refuse.
    pub fn is_active(&self) -> bool {
        self.0.is_active()
    }

    /// See [`KeyedLimiter::acquire`].
    pub fn acquire(&self, cost: u32, now: i64) -> Result<(), Denied> {
        self.0.acquire(&(), cost, now)
    }

    /// See [`KeyedLimiter::allowance`].
    pub fn allowance(&self, now: i64) -> Option<u64> {
        self.0.allowance(&(), now)
    }

    /// See [`KeyedLimiter::record`].
    pub fn record(&self, cost: u32, now: i64) {
        self.0.record(&(), cost, now)
    }
}

/// "Seen within the last `window`" for many keys at about 40 bytes each: duplicate
/// suppression at accept rates of thousands per second. Keys are kept as 64-bit hashes under
/// a random per-process key (SipHash), so nobody can make two different texts collide on
/// purpose, and a chance collision needs ~2^32 keys in one window.
#[derive(Debug)]
pub struct RecentSet {
    window_ms: i64,
    hasher: std::collections::hash_map::RandomState,
    state: Mutex<(HashMap<u64, i64>, u64)>,
}

impl RecentSet {
    /// A set remembering keys for `window` (zero: remembers nothing).
    pub fn new(window: Duration) -> Self {
        Self {
            window_ms: i64::try_from(window.as_millis()).unwrap_or(i64::MAX),
            hasher: std::collections::hash_map::RandomState::new(),
            state: Mutex::new((HashMap::new(), 0)),
        }
    }

    fn hash(&self, key: &impl Hash) -> u64 {
        use std::hash::BuildHasher;
        self.hasher.hash_one(key)
    }

    /// Records `key` at `now` unless it was recorded within the window; whether it was new.
    pub fn insert(&self, key: &impl Hash, now: i64) -> bool {
        if self.window_ms == 0 {
            return true;
        }
        let hash = self.hash(key);
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (seen, calls) = &mut *guard;
        *calls = calls.wrapping_add(1);
        let horizon = now.saturating_sub(self.window_ms);
        if calls.is_multiple_of(SWEEP_EVERY) {
            seen.retain(|_, at| *at > horizon);
        }
        match seen.get(&hash) {
            Some(&at) if at > horizon => false,
            _ => {
                seen.insert(hash, now);
                true
            }
        }
    }

    /// Forgets `key` if it was recorded at `at` (the work it stood for failed).
    pub fn remove(&self, key: &impl Hash, at: i64) {
        let hash = self.hash(key);
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if guard.0.get(&hash) == Some(&at) {
            guard.0.remove(&hash);
        }
    }

    /// Keys remembered (for tests and metrics).
    pub fn len(&self) -> usize {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).0.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Units taken within `window` before `now`.
fn used(window: &Window, log: &VecDeque<(i64, u32)>, now: i64) -> u64 {
    let start = now.saturating_sub(window.period_ms());
    log.iter()
        .filter(|&&(at, _)| at > start)
        .map(|&(_, n)| u64::from(n))
        .sum()
}

/// Whether `window` has room for `cost` more units at `now`, given `log`.
fn check(window: &Window, log: &VecDeque<(i64, u32)>, cost: u32, now: i64) -> Result<(), Denied> {
    if cost > window.limit {
        return Err(Denied::TooLarge { window: *window });
    }
    let start = now.saturating_sub(window.period_ms());
    let used = used(window, log, now);
    let limit = u64::from(window.limit);
    let cost = u64::from(cost);
    if used + cost <= limit {
        return Ok(());
    }
    // Room comes back as the oldest entries leave the window: find the one whose leaving
    // frees enough.
    let mut must_free = used + cost - limit;
    for &(at, n) in log.iter().filter(|&&(at, _)| at > start) {
        let freed = u64::from(n);
        if freed >= must_free {
            let free_at = at.saturating_add(window.period_ms());
            let wait = u64::try_from(free_at.saturating_sub(now)).unwrap_or(0);
            return Err(Denied::Later {
                window: *window,
                retry_after: Duration::from_millis(wait.max(1)),
            });
        }
        must_free -= freed;
    }
    // Unreachable while used > limit - cost; answer conservatively.
    Err(Denied::Later {
        window: *window,
        retry_after: window.period,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn later(d: Result<(), Denied>) -> Duration {
        match d {
            Err(Denied::Later { retry_after, .. }) => retry_after,
            other => panic!("expected Later, got {other:?}"),
        }
    }

    #[test]
    fn allowance_is_the_tightest_window_and_recorded_use_counts_even_over_it() {
        let l = Limiter::new([Window::per_minute(10), Window::per_hour(15)]);
        assert_eq!(l.allowance(0), Some(10));
        l.record(8, 0);
        assert_eq!(l.allowance(1), Some(2));
        // Usage that happened anyway is counted even beyond the limit.
        l.record(5, 2);
        assert_eq!(l.allowance(3), Some(0));
        assert!(l.acquire(1, 3).is_err());
        // A minute later the minute window is empty again; the hour still holds 13 of 15.
        assert_eq!(l.allowance(60_003), Some(2));
        assert_eq!(l.acquire(2, 60_003), Ok(()));
        assert_eq!(l.allowance(60_004), Some(0));
        assert_eq!(Limiter::new([Window::per_second(0)]).allowance(0), None);
    }

    #[test]
    fn three_per_minute_means_the_fourth_waits_for_the_first_to_leave() {
        let l = KeyedLimiter::new([Window::per_minute(3)]);
        assert!(l.acquire(&"a", 1, 0).is_ok());
        assert!(l.acquire(&"a", 1, 10_000).is_ok());
        assert!(l.acquire(&"a", 1, 20_000).is_ok());
        assert_eq!(
            later(l.acquire(&"a", 1, 30_000)),
            Duration::from_secs(30),
            "the entry at 0 leaves at 60 s"
        );
        assert!(l.acquire(&"b", 1, 30_000).is_ok(), "keys are separate");
        assert!(l.acquire(&"a", 1, MIN).is_ok());
        assert!(l.acquire(&"a", 1, MIN + 1).is_err());
    }

    #[test]
    fn a_refused_request_uses_up_no_window() {
        let l = KeyedLimiter::new([Window::per_minute(3), Window::per_hour(4)]);
        for t in 0..3 {
            l.acquire(&1, 1, t).unwrap();
        }
        for t in 3..100 {
            assert!(l.acquire(&1, 1, t).is_err());
        }
        // After a minute the minute window has room and the hour window still has one.
        l.acquire(&1, 1, MIN + 10).unwrap();
        let wait = later(l.acquire(&1, 1, MIN + 20));
        assert_eq!(wait, Duration::from_millis((60 * MIN - MIN - 20) as u64));
    }

    #[test]
    fn costs_count_as_units_and_oversized_requests_are_told_so() {
        let l = KeyedLimiter::new([Window::per_second(10)]);
        l.acquire(&(), 7, 0).unwrap();
        assert!(l.acquire(&(), 4, 1).is_err());
        l.acquire(&(), 3, 1).unwrap();
        assert!(matches!(
            l.acquire(&(), 11, 5_000),
            Err(Denied::TooLarge { .. })
        ));
    }

    #[test]
    fn a_refund_gives_the_units_back() {
        let l = KeyedLimiter::new([Window::per_minute(1)]);
        l.acquire(&"k", 1, 100).unwrap();
        assert!(l.acquire(&"k", 1, 200).is_err());
        l.refund(&"k", 1, 100);
        l.acquire(&"k", 1, 200).unwrap();
    }

    #[test]
    fn zero_limits_never_refuse() {
        let l = KeyedLimiter::new([Window::per_minute(0)]);
        assert!(!l.is_active());
        for t in 0..1000 {
            l.acquire(&"x", 1_000, t).unwrap();
        }
    }

    #[test]
    fn a_recent_key_is_refused_until_its_window_passed() {
        let set = RecentSet::new(Duration::from_secs(60));
        assert!(set.insert(&("+49151", "hello"), 0));
        assert!(!set.insert(&("+49151", "hello"), 59_999));
        assert!(set.insert(&("+49151", "hello!"), 1));
        assert!(set.insert(&("+49152", "hello"), 1));
        assert!(set.insert(&("+49151", "hello"), 60_000));
        set.remove(&("+49151", "hello"), 60_000);
        assert!(set.insert(&("+49151", "hello"), 60_001));
        assert!(RecentSet::new(Duration::ZERO).insert(&1, 0));
        assert!(RecentSet::new(Duration::ZERO).insert(&1, 0));
    }

    #[test]
    fn old_keys_of_a_recent_set_are_swept() {
        let set = RecentSet::new(Duration::from_secs(1));
        for k in 0..(SWEEP_EVERY - 1) {
            set.insert(&k, 0);
        }
        assert_eq!(set.len() as u64, SWEEP_EVERY - 1);
        set.insert(&u64::MAX, 5_000);
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn idle_keys_are_swept() {
        let l = KeyedLimiter::new([Window::per_second(1)]);
        for k in 0..(SWEEP_EVERY - 1) {
            l.acquire(&k, 1, 0).unwrap();
        }
        assert_eq!(l.tracked_keys() as u64, SWEEP_EVERY - 1);
        l.acquire(&u64::MAX, 1, 10_000).unwrap();
        assert_eq!(l.tracked_keys(), 1);
    }
}
