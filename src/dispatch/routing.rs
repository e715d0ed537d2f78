//! The routing policy: which group of routes a message may use now — the modem pool or a
//! cloud provider — as a pure function of the message, the time, the policy and the route
//! snapshots. The balancer then picks one route within the group.
//!
//! Never imports anything but `config`, `message` and `route` (no I/O, no store).
//!
//! The rules, in order:
//! 1. An explicit `provider` in the request wins: only the route of that name (`nexmo` is
//!    `vonage`); if no such route exists the message fails.
//! 2. Otherwise the groups of its `sms_type` are walked in order. A group is *passed* (the
//!    message may go on to the next one) when it has had `fallback_after_failures` failed
//!    attempts of this message, when it is *down* (no route in it ready, able to serve the
//!    recipient and with allowance for all segments — for the modem pool only when
//!    `fallback_when_no_modem`), or when the message has waited longer than the time
//!    threshold of its type since it became due. The first group that is not passed and has
//!    a route free now is the answer; a group neither passed nor free (busy) means *wait*.
//! 3. When every group is passed, the first group with a free route is used regardless of
//!    its failures (the retry policy's `max_attempts` ends the message), else wait.
//!
//! What stops an OTP from going out late or twice is not here but before it: nothing is
//! leased or sent after `expire_at`, and an OTP whose send was ambiguous (sent, no answer,
//! or some segments out) fails at once (`retry.rs`) — it never reaches another group.

use crate::config::{canonical_provider, RouteGroup};
use crate::message::{Millis, SmsType};
use crate::route::RouteSnapshot;
use std::time::Duration;

/// The policy, from `[routing]`.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingPolicy {
    /// Groups for OTP messages, in order.
    pub otp: Vec<RouteGroup>,
    /// Groups for transactional messages.
    pub transactional: Vec<RouteGroup>,
    /// Groups for marketing messages.
    pub marketing: Vec<RouteGroup>,
    /// No modem able to take it → next group at once.
    pub fallback_when_no_modem: bool,
    /// Waiting longer than this since due → next group (non-OTP; `None`: never).
    pub fallback_after: Option<Duration>,
    /// The same for OTP.
    pub otp_fallback_after: Option<Duration>,
    /// Failed attempts on a group before the next one.
    pub fallback_after_failures: u32,
}

impl Default for RoutingPolicy {
    fn default() -> Self {
        Self::from_config(&crate::config::RoutingConfig::default())
    }
}

impl RoutingPolicy {
    /// The policy of a validated `[routing]` section.
    pub fn from_config(c: &crate::config::RoutingConfig) -> Self {
        let secs = |s: u64| (s > 0).then(|| Duration::from_secs(s));
        Self {
            otp: crate::config::RoutingConfig::groups(&c.otp),
            transactional: crate::config::RoutingConfig::groups(&c.transactional),
            marketing: crate::config::RoutingConfig::groups(&c.marketing),
            fallback_when_no_modem: c.fallback_when_no_modem,
            fallback_after: secs(c.fallback_after_secs),
            otp_fallback_after: secs(c.otp_fallback_after_secs),
            fallback_after_failures: c.fallback_after_failures.max(1),
        }
    }

    fn groups(&self, sms_type: SmsType) -> &[RouteGroup] {
        match sms_type {
            SmsType::Otp => &self.otp,
            // `alert` has no list of its own: it goes as transactional.
            SmsType::Transactional | SmsType::Alert => &self.transactional,
            SmsType::Promotional => &self.marketing,
        }
    }

    fn threshold(&self, sms_type: SmsType) -> Option<Duration> {
        match sms_type {
            SmsType::Otp => self.otp_fallback_after,
            _ => self.fallback_after,
        }
    }
}

/// What the routing policy needs to know of a message.
#[derive(Debug, Clone, Copy)]
pub struct RoutedMessage<'a> {
    /// Its SMS type.
    pub sms_type: SmsType,
    /// The route the request named, if any.
    pub provider: Option<&'a str>,
    /// E.164 destination.
    pub recipient: &'a str,
    /// Number of segments.
    pub segments: usize,
    /// When it became due (accepted, or its `schedule_at`).
    pub due_at: Millis,
    /// Failed attempts so far, per route name.
    pub failures: &'a [(String, u32)],
}

/// The decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Routing {
    /// Let the balancer choose among these routes (indices into the snapshots); `group` is
    /// the position in the type's list (`None`: the request named the route).
    Try {
        /// Which group of the list.
        group: Option<usize>,
        /// The routes of that group, at least one of which can take the message now.
        routes: Vec<usize>,
    },
    /// Nothing it may use is free now: offer it again later.
    Wait,
    /// No route will ever take it.
    Fail(String),
}

/// The routing decision for `message` at `now`. `routes` and `groups` are parallel: the
/// snapshot of each route and the group it belongs to.
pub fn decide(
    message: &RoutedMessage<'_>,
    now: Millis,
    policy: &RoutingPolicy,
    routes: &[RouteSnapshot],
    groups: &[RouteGroup],
) -> Routing {
    if let Some(asked) = message.provider {
        let name = canonical_provider(asked);
        let named: Vec<usize> = routes
            .iter()
            .enumerate()
            .filter(|(_, r)| r.name == name)
            .map(|(i, _)| i)
            .collect();
        if named.is_empty() {
            return Routing::Fail(format!("no route named {asked:?}"));
        }
        return Routing::Try {
            group: None,
            routes: named,
        };
    }
    let list = policy.groups(message.sms_type);
    let members = |group: &RouteGroup| -> Vec<usize> {
        groups
            .iter()
            .enumerate()
            .filter(|(_, g)| *g == group)
            .map(|(i, _)| i)
            .collect()
    };
    let waited = u64::try_from(now.saturating_sub(message.due_at)).unwrap_or(0);
    let timed_out = policy
        .threshold(message.sms_type)
        .is_some_and(|t| u128::from(waited) >= t.as_millis());
    let mut free_groups = Vec::new();
    let mut decision = None;
    for (position, group) in list.iter().enumerate() {
        let indices = members(group);
        let snapshot = |i: &usize| routes.get(*i);
        let free = indices
            .iter()
            .filter_map(snapshot)
            .any(|r| r.can_take(message.recipient, message.segments));
        let able = indices.iter().filter_map(snapshot).any(|r| {
            r.ready
                && r.allowance.is_none_or(|a| a >= message.segments as u64)
                && (r.prefixes.is_empty() || r.longest_prefix(message.recipient).is_some())
        });
        let failures: u32 = indices
            .iter()
            .filter_map(snapshot)
            .map(|r| {
                message
                    .failures
                    .iter()
                    .filter(|(name, _)| *name == r.name)
                    .map(|(_, n)| *n)
                    .sum::<u32>()
            })
            .sum();
        let exhausted = failures >= policy.fallback_after_failures;
        if free {
            free_groups.push((position, indices.clone()));
        }
        if decision.is_some() {
            continue;
        }
        if free && !exhausted {
            decision = Some(Routing::Try {
                group: Some(position),
                routes: indices,
            });
            continue;
        }
        let down_passes = !able && (*group != RouteGroup::Modems || policy.fallback_when_no_modem);
        let passed = exhausted || down_passes || timed_out;
        if !passed {
            decision = Some(Routing::Wait);
        }
    }
    if let Some(decision) = decision {
        return decision;
    }
    match free_groups.into_iter().next() {
        Some((position, routes)) => Routing::Try {
            group: Some(position),
            routes,
        },
        None => Routing::Wait,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 1_000_000;

    fn route(name: &str, ready: bool, in_flight: usize, concurrency: usize) -> RouteSnapshot {
        RouteSnapshot {
            name: name.into(),
            ready,
            in_flight,
            concurrency,
            allowance: None,
            sent_segments: 0,
            fragment_segments: 0,
            weight: 1,
            prefixes: Vec::new(),
            cost_per_segment: 0.0,
        }
    }

    /// Two modems and two providers; `modems` says per modem: 'f' free, 'b' busy, 'd' down,
    /// 'r' rate-limited; `providers` the same for twilio, vonage.
    fn world(modems: &str, providers: &str) -> (Vec<RouteSnapshot>, Vec<RouteGroup>) {
        let make = |name: String, state: char, concurrency: usize| {
            let mut r = route(
                &name,
                state != 'd',
                usize::from(state == 'b') * concurrency,
                concurrency,
            );
            if state == 'r' {
                r.allowance = Some(0);
            }
            r
        };
        let mut routes = Vec::new();
        let mut groups = Vec::new();
        for (i, s) in modems.chars().enumerate() {
            routes.push(make(format!("m{i}"), s, 1));
            groups.push(RouteGroup::Modems);
        }
        for (name, s) in ["twilio", "vonage"].iter().zip(providers.chars()) {
            routes.push(make((*name).to_string(), s, 4));
            groups.push(RouteGroup::Provider((*name).to_string()));
        }
        (routes, groups)
    }

    fn policy() -> RoutingPolicy {
        let list = || {
            vec![
                RouteGroup::Modems,
                RouteGroup::Provider("twilio".into()),
                RouteGroup::Provider("vonage".into()),
            ]
        };
        RoutingPolicy {
            otp: list(),
            transactional: list(),
            marketing: vec![RouteGroup::Modems],
            fallback_when_no_modem: true,
            fallback_after: Some(Duration::from_secs(60)),
            otp_fallback_after: Some(Duration::from_secs(20)),
            fallback_after_failures: 2,
        }
    }

    fn msg<'a>(
        sms_type: SmsType,
        waited_secs: i64,
        failures: &'a [(String, u32)],
    ) -> RoutedMessage<'a> {
        RoutedMessage {
            sms_type,
            provider: None,
            recipient: "+15550001",
            segments: 1,
            due_at: NOW - waited_secs * 1000,
            failures,
        }
    }

    fn tried(group: usize, routes: &[usize]) -> Routing {
        Routing::Try {
            group: Some(group),
            routes: routes.to_vec(),
        }
    }

    fn fails(list: &[(&str, u32)]) -> Vec<(String, u32)> {
        list.iter().map(|(n, c)| ((*n).to_string(), *c)).collect()
    }

    /// (case, modems, providers, type, waited secs, failures, expected)
    type Case<'a> = (
        &'a str,
        &'a str,
        &'a str,
        SmsType,
        i64,
        &'a [(&'a str, u32)],
        Routing,
    );

    #[test]
    fn alert_goes_by_the_transactional_list() {
        let mut p = policy();
        p.transactional = vec![RouteGroup::Provider("twilio".into())];
        assert_eq!(p.groups(SmsType::Alert), p.transactional.as_slice());
        assert_ne!(p.groups(SmsType::Alert), p.otp.as_slice());
        assert_eq!(p.threshold(SmsType::Alert), p.fallback_after);
    }

    #[test]
    fn table() {
        use SmsType::{Otp as O, Promotional as M, Transactional as T};
        let p = policy();
        let none: &[(&str, u32)] = &[];
        // (case, modems, providers, type, waited secs, failures, expected)
        let cases: Vec<Case<'_>> = vec![
            (
                "modems free: modems",
                "ff",
                "ff",
                T,
                0,
                none,
                tried(0, &[0, 1]),
            ),
            (
                "one modem free is enough",
                "bf",
                "ff",
                O,
                0,
                none,
                tried(0, &[0, 1]),
            ),
            (
                "modems busy, not waited long: wait",
                "bb",
                "ff",
                T,
                10,
                none,
                Routing::Wait,
            ),
            (
                "modems busy, OTP waited 20 s: twilio",
                "bb",
                "ff",
                O,
                20,
                none,
                tried(1, &[2]),
            ),
            (
                "modems busy, OTP waited 19 s: wait",
                "bb",
                "ff",
                O,
                19,
                none,
                Routing::Wait,
            ),
            (
                "modems busy, transactional 59 s: wait",
                "bb",
                "ff",
                T,
                59,
                none,
                Routing::Wait,
            ),
            (
                "modems busy, transactional 60 s: twilio",
                "bb",
                "ff",
                T,
                60,
                none,
                tried(1, &[2]),
            ),
            (
                "all modems down: twilio at once",
                "dd",
                "ff",
                O,
                0,
                none,
                tried(1, &[2]),
            ),
            (
                "all modems rate-limited: twilio",
                "rr",
                "ff",
                T,
                0,
                none,
                tried(1, &[2]),
            ),
            (
                "one modem down, one busy: wait",
                "db",
                "ff",
                T,
                0,
                none,
                Routing::Wait,
            ),
            (
                "no modems at all: twilio",
                "",
                "ff",
                T,
                0,
                none,
                tried(1, &[0]),
            ),
            (
                "modems down, twilio down: vonage",
                "dd",
                "df",
                T,
                0,
                none,
                tried(2, &[3]),
            ),
            (
                "modems down, twilio busy: wait",
                "dd",
                "bf",
                T,
                0,
                none,
                Routing::Wait,
            ),
            (
                "modems down, twilio busy, waited: vonage",
                "dd",
                "bf",
                T,
                61,
                none,
                tried(2, &[3]),
            ),
            (
                "everything down: wait",
                "dd",
                "dd",
                T,
                0,
                none,
                Routing::Wait,
            ),
            (
                "marketing stays on modems",
                "dd",
                "ff",
                M,
                600,
                none,
                Routing::Wait,
            ),
            (
                "marketing on free modems",
                "ff",
                "ff",
                M,
                0,
                none,
                tried(0, &[0, 1]),
            ),
            (
                "one modem failure: still modems",
                "ff",
                "ff",
                T,
                0,
                &[("m0", 1)],
                tried(0, &[0, 1]),
            ),
            (
                "two failures over the pool: twilio",
                "ff",
                "ff",
                T,
                0,
                &[("m0", 1), ("m1", 1)],
                tried(1, &[2]),
            ),
            (
                "two failures on twilio too: vonage",
                "ff",
                "ff",
                O,
                0,
                &[("m0", 2), ("twilio", 2)],
                tried(2, &[3]),
            ),
            (
                "all groups exhausted: first free group again",
                "ff",
                "ff",
                T,
                0,
                &[("m0", 2), ("twilio", 2), ("vonage", 5)],
                tried(0, &[0, 1]),
            ),
            (
                "all groups exhausted, modems down: twilio",
                "dd",
                "ff",
                T,
                0,
                &[("m0", 2), ("twilio", 2), ("vonage", 2)],
                tried(1, &[2]),
            ),
            (
                "marketing exhausted on its only group: modems",
                "ff",
                "ff",
                M,
                0,
                &[("m1", 3)],
                tried(0, &[0, 1]),
            ),
            (
                "failures elsewhere do not count",
                "ff",
                "ff",
                T,
                0,
                &[("other", 9)],
                tried(0, &[0, 1]),
            ),
        ];
        for (case, modems, providers, t, waited, failures, expected) in cases {
            let (routes, groups) = world(modems, providers);
            let failures = fails(failures);
            let m = msg(t, waited, &failures);
            assert_eq!(decide(&m, NOW, &p, &routes, &groups), expected, "{case}");
        }
    }

    #[test]
    fn without_fallback_when_no_modem_a_down_pool_waits_for_the_time_threshold() {
        let p = RoutingPolicy {
            fallback_when_no_modem: false,
            ..policy()
        };
        let (routes, groups) = world("dd", "ff");
        assert_eq!(
            decide(&msg(SmsType::Otp, 5, &[]), NOW, &p, &routes, &groups),
            Routing::Wait
        );
        assert_eq!(
            decide(&msg(SmsType::Otp, 20, &[]), NOW, &p, &routes, &groups),
            tried(1, &[2])
        );
        // A provider that is down is always passed.
        let (routes, groups) = world("ff", "df");
        let failures = fails(&[("m0", 2)]);
        assert_eq!(
            decide(&msg(SmsType::Otp, 0, &failures), NOW, &p, &routes, &groups),
            tried(2, &[3])
        );
    }

    #[test]
    fn a_zero_threshold_never_falls_back_by_time() {
        let p = RoutingPolicy {
            fallback_after: None,
            ..policy()
        };
        let (routes, groups) = world("bb", "ff");
        let m = msg(SmsType::Transactional, 86_400, &[]);
        assert_eq!(decide(&m, NOW, &p, &routes, &groups), Routing::Wait);
    }

    #[test]
    fn a_prefix_no_modem_serves_counts_as_down() {
        let p = policy();
        let (mut routes, groups) = world("ff", "ff");
        for r in routes.iter_mut().take(2) {
            r.prefixes = vec!["+44".into()];
        }
        let m = msg(SmsType::Transactional, 0, &[]);
        assert_eq!(decide(&m, NOW, &p, &routes, &groups), tried(1, &[2]));
    }

    #[test]
    fn an_explicit_provider_wins_and_nexmo_is_vonage() {
        let p = policy();
        let (routes, groups) = world("ff", "ff");
        let mut m = msg(SmsType::Promotional, 0, &[]);
        m.provider = Some("twilio");
        assert_eq!(
            decide(&m, NOW, &p, &routes, &groups),
            Routing::Try {
                group: None,
                routes: vec![2]
            }
        );
        m.provider = Some("nexmo");
        assert_eq!(
            decide(&m, NOW, &p, &routes, &groups),
            Routing::Try {
                group: None,
                routes: vec![3]
            }
        );
        // Even when that route is down: the balancer finds nothing and the message waits.
        let (routes, groups) = world("ff", "df");
        m.provider = Some("twilio");
        assert_eq!(
            decide(&m, NOW, &p, &routes, &groups),
            Routing::Try {
                group: None,
                routes: vec![2]
            }
        );
        m.provider = Some("clickatell");
        assert!(matches!(
            decide(&m, NOW, &p, &routes, &groups),
            Routing::Fail(ref r) if r.contains("clickatell")
        ));
    }
}
