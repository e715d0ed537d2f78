//! What happens after a failed attempt: a pure function of the error class, the attempt
//! count and the policy, with the random jitter passed in.
//!
//! Permanent errors fail at once; "retry elsewhere" and "route broken" go again at once. A
//! "retry here" error (a transient fault of one modem, a provider's pause) goes again at
//! once too when it ends the message's first attempt — the failed attempt already took a
//! whole send's time, and a modem left idle for a backoff is capacity lost — and after any
//! later attempt waits an exponential backoff (with jitter, so a burst of failures does not
//! come back as a burst). Every retry prefers a route other than the one that just failed
//! when one is free (the runner avoids `last_route`; `avoid_route` says whether it must). An ambiguous
//! outcome (sent, unanswered) is never repeated for an OTP — a code that may have arrived
//! twice is worse than a late one: it is recorded `sent` with the outcome unknown, and a
//! delivery report or provider callback (our id is in the callback URL) can still settle
//! it. Other messages are sent again (at least once), but not blindly: only after
//! [`AMBIGUOUS_GRACE`], in which a callback for the unanswered attempt settles it instead.

use crate::message::{Millis, SmsType};
use crate::route::ErrorClass;
use std::time::Duration;

/// How long a message whose send went unanswered waits before it is sent again: time for
/// the provider's status callback for that attempt to arrive and settle it.
pub const AMBIGUOUS_GRACE: Duration = Duration::from_secs(60);

/// The retry policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Backoff after the first failure.
    pub initial: Duration,
    /// Longest backoff.
    pub max: Duration,
    /// Jitter as a fraction of the backoff (0.2 = ±20 %).
    pub jitter: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial: Duration::from_secs(2),
            max: Duration::from_secs(300),
            jitter: 0.2,
        }
    }
}

/// The decision.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Give up: the message becomes `failed` with this reason.
    Fail(String),
    /// Do not send again, but the message may well have gone out: it becomes `sent` with
    /// this note (outcome unknown), so a later report or callback can still settle it.
    SentUnknown(String),
    /// Try again at this time; `avoid_route`: not on the route that just failed.
    Retry {
        /// When the next attempt may start (Unix milliseconds).
        at: Millis,
        /// Whether to avoid the failed route.
        avoid_route: bool,
    },
}

impl RetryPolicy {
    /// The backoff before attempt `attempt + 1` after `attempt` failures (1-based),
    /// with `unit_random` in `[0, 1)` for the jitter.
    pub fn backoff(&self, attempt: u32, unit_random: f64) -> Duration {
        let exp = self
            .initial
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        let base = exp.min(self.max).as_secs_f64();
        let factor = 1.0 + self.jitter.clamp(0.0, 1.0) * (2.0 * unit_random.clamp(0.0, 1.0) - 1.0);
        Duration::from_secs_f64((base * factor).max(0.0))
    }

    /// Decides after attempt number `attempt` (1-based) failed with `class`.
    pub fn decide(
        &self,
        class: ErrorClass,
        attempt: u32,
        sms_type: SmsType,
        error: &str,
        now: Millis,
        unit_random: f64,
    ) -> Decision {
        let millis = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        match class {
            ErrorClass::Permanent => return Decision::Fail(error.to_string()),
            ErrorClass::Ambiguous if sms_type == SmsType::Otp => {
                return Decision::SentUnknown(format!("outcome unknown, not resent (OTP): {error}"))
            }
            _ => {}
        }
        if attempt >= self.max_attempts {
            return Decision::Fail(format!("gave up after {attempt} attempts: {error}"));
        }
        match class {
            ErrorClass::RetryElsewhere | ErrorClass::RouteBroken => Decision::Retry {
                at: now,
                avoid_route: true,
            },
            ErrorClass::Ambiguous => Decision::Retry {
                at: now.saturating_add(millis(
                    self.backoff(attempt, unit_random).max(AMBIGUOUS_GRACE),
                )),
                avoid_route: true,
            },
            _ if attempt == 1 => Decision::Retry {
                at: now,
                avoid_route: true,
            },
            _ => Decision::Retry {
                at: now.saturating_add(millis(self.backoff(attempt - 1, unit_random))),
                avoid_route: false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 1_000_000;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_bounded_jitter() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1, 0.5), Duration::from_secs(2));
        assert_eq!(p.backoff(2, 0.5), Duration::from_secs(4));
        assert_eq!(p.backoff(5, 0.5), Duration::from_secs(32));
        assert_eq!(p.backoff(30, 0.5), Duration::from_secs(300));
        assert_eq!(p.backoff(1, 0.0), Duration::from_secs_f64(1.6));
        assert!(p.backoff(1, 0.999_999) < Duration::from_secs_f64(2.4 + 1e-6));
    }

    #[test]
    fn decisions_by_class() {
        let p = RetryPolicy::default();
        let t = SmsType::Transactional;
        assert!(matches!(
            p.decide(ErrorClass::Permanent, 1, t, "barred", NOW, 0.5),
            Decision::Fail(_)
        ));
        assert_eq!(
            p.decide(ErrorClass::RetryHere, 1, t, "500", NOW, 0.5),
            Decision::Retry {
                at: NOW,
                avoid_route: true
            }
        );
        assert_eq!(
            p.decide(ErrorClass::RetryHere, 2, t, "500", NOW, 0.5),
            Decision::Retry {
                at: NOW + 2000,
                avoid_route: false
            }
        );
        assert_eq!(
            p.decide(ErrorClass::RetryHere, 3, t, "500", NOW, 0.5),
            Decision::Retry {
                at: NOW + 4000,
                avoid_route: false
            }
        );
        assert_eq!(
            p.decide(ErrorClass::RetryElsewhere, 1, t, "331", NOW, 0.5),
            Decision::Retry {
                at: NOW,
                avoid_route: true
            }
        );
        assert_eq!(
            p.decide(ErrorClass::RouteBroken, 2, t, "no prompt", NOW, 0.5),
            Decision::Retry {
                at: NOW,
                avoid_route: true
            }
        );
        assert!(
            matches!(p.decide(ErrorClass::RetryHere, 5, t, "500", NOW, 0.5), Decision::Fail(ref r) if r.contains("5 attempts"))
        );
    }

    #[test]
    fn an_ambiguous_otp_is_never_resent() {
        let p = RetryPolicy::default();
        assert!(matches!(
            p.decide(ErrorClass::Ambiguous, 1, SmsType::Otp, "timeout", NOW, 0.5),
            Decision::SentUnknown(_)
        ));
        // Others go again elsewhere, but only after the grace for a callback.
        let again = p.decide(
            ErrorClass::Ambiguous,
            1,
            SmsType::Transactional,
            "timeout",
            NOW,
            0.5,
        );
        assert_eq!(
            again,
            Decision::Retry {
                at: NOW + 60_000,
                avoid_route: true
            }
        );
    }
}
