//! The recovery ladder of a modem actor, as a pure state machine (the driver sleeps and
//! acts; this decides), so the steps are unit-tested without a modem:
//!
//! 1. the first failure: reopen the port at once;
//! 2. the second in a row: reset the modem (`AT+CFUN=1,1`), then reopen;
//! 3. then: reopen with exponential backoff (capped), reporting `down`;
//! 4. after `fail_after` failures in a row: `failed` — out of rotation with the reason,
//!    logged once, retried only every `failed_retry`.
//!
//! Failures count "in a row" until a session stays up for `stable_after`: a modem that
//! initialises and dies at once climbs the ladder instead of looping fast. A port that is
//! missing (unplugged) is not the modem failing: it is `down`, retried with the capped
//! backoff (or at once when the port reappears, see [`super::Modem::nudge`]), never
//! escalated.
//!
//! Pure: no I/O, no tokio, no clock (the driver passes how long a session lasted).

use std::time::Duration;

/// The ladder's settings (from [`super::ModemConfig`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LadderPolicy {
    /// First and longest backoff.
    pub backoff: (Duration, Duration),
    /// Failures in a row that take the modem out of rotation.
    pub fail_after: u32,
    /// How often a failed modem is tried again.
    pub failed_retry: Duration,
    /// A session up this long clears the count.
    pub stable_after: Duration,
}

/// What the driver does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Wait, then reopen the port (`down`).
    Retry(Duration),
    /// Reopen the port and reset the modem with `AT+CFUN=1,1` first (`down`).
    Reset,
    /// Out of rotation (`failed`); `first` is the one time it is logged. Wait, then try.
    Failed {
        /// Entering the state now (log it); false for a later retry that failed again.
        first: bool,
        /// The wait before the next try.
        retry: Duration,
    },
}

/// The count of failures in a row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ladder {
    failures: u32,
    failed: bool,
    /// Opens in a row that found no port.
    missing: u32,
}

impl Ladder {
    /// Whether the modem is out of rotation now.
    pub fn is_failed(&self) -> bool {
        self.failed
    }

    /// Failures in a row so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    fn backoff(policy: &LadderPolicy, n: u32) -> Duration {
        let (first, max) = policy.backoff;
        first
            .saturating_mul(1u32 << n.saturating_sub(1).min(16))
            .min(max)
    }

    /// A session (or an initialisation) ended badly after lasting `lasted`.
    pub fn session_failed(&mut self, lasted: Duration, policy: &LadderPolicy) -> Step {
        self.missing = 0;
        if lasted >= policy.stable_after {
            self.failures = 0;
            self.failed = false;
        }
        self.failures = self.failures.saturating_add(1);
        self.step(policy)
    }

    /// The port could not be opened; `missing` when it does not exist (unplugged).
    pub fn open_failed(&mut self, missing: bool, policy: &LadderPolicy) -> Step {
        if missing && !self.failed {
            // Not the modem's fault: wait for it (backing off), without climbing
            // towards `failed`.
            self.missing = self.missing.saturating_add(1);
            return Step::Retry(Self::backoff(policy, self.missing));
        }
        self.missing = 0;
        self.failures = self.failures.saturating_add(1);
        match self.step(policy) {
            // No port, no reset: back off instead.
            Step::Reset => Step::Retry(Self::backoff(policy, self.failures)),
            step => step,
        }
    }

    fn step(&mut self, policy: &LadderPolicy) -> Step {
        if self.failures >= policy.fail_after.max(3) {
            let first = !self.failed;
            self.failed = true;
            return Step::Failed {
                first,
                retry: policy.failed_retry,
            };
        }
        match self.failures {
            0 | 1 => Step::Retry(Duration::ZERO),
            2 => Step::Reset,
            n => Step::Retry(Self::backoff(policy, n)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> LadderPolicy {
        LadderPolicy {
            backoff: (Duration::from_secs(1), Duration::from_secs(60)),
            fail_after: 5,
            failed_retry: Duration::from_secs(600),
            stable_after: Duration::from_secs(120),
        }
    }

    #[test]
    fn reopen_then_reset_then_backoff_then_failed_once() {
        let p = policy();
        let mut l = Ladder::default();
        let short = Duration::from_secs(3);
        assert_eq!(l.session_failed(short, &p), Step::Retry(Duration::ZERO));
        assert_eq!(l.session_failed(short, &p), Step::Reset);
        assert_eq!(
            l.session_failed(short, &p),
            Step::Retry(Duration::from_secs(4))
        );
        assert_eq!(
            l.session_failed(short, &p),
            Step::Retry(Duration::from_secs(8))
        );
        assert_eq!(
            l.session_failed(short, &p),
            Step::Failed {
                first: true,
                retry: Duration::from_secs(600)
            }
        );
        assert!(l.is_failed());
        // Retried slowly, logged only once.
        assert_eq!(
            l.open_failed(false, &p),
            Step::Failed {
                first: false,
                retry: Duration::from_secs(600)
            }
        );
        // A session that stays up clears it all.
        assert_eq!(
            l.session_failed(Duration::from_secs(121), &p),
            Step::Retry(Duration::ZERO)
        );
        assert!(!l.is_failed());
        assert_eq!(l.failures(), 1);
    }

    #[test]
    fn a_modem_that_dies_right_after_init_climbs_instead_of_looping() {
        let p = policy();
        let mut l = Ladder::default();
        let mut waited = Duration::ZERO;
        let mut tries = 0;
        // Six hours of a modem that initialises and dies within a second, every time.
        while waited < Duration::from_secs(6 * 3600) {
            tries += 1;
            waited += match l.session_failed(Duration::from_secs(1), &p) {
                Step::Retry(d) => d,
                Step::Reset => Duration::from_secs(15),
                Step::Failed { retry, .. } => retry,
            } + Duration::from_secs(1);
        }
        assert!(tries <= 5 + 6 * 6 + 1, "{tries} tries in six hours");
        assert!(l.is_failed());
    }

    #[test]
    fn a_missing_port_backs_off_but_never_fails_the_modem() {
        let p = policy();
        let mut l = Ladder::default();
        for _ in 0..100 {
            match l.open_failed(true, &p) {
                Step::Retry(d) => assert!(d <= Duration::from_secs(60) && d > Duration::ZERO),
                other => panic!("{other:?}"),
            }
        }
        assert!(!l.is_failed());
        // An open that fails for another reason (busy, permissions) does count.
        for _ in 0..4 {
            l.open_failed(false, &p);
        }
        assert!(matches!(
            l.open_failed(false, &p),
            Step::Failed { first: true, .. }
        ));
    }
}
