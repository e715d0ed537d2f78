//! Choosing a route for a message: a pure function of the routes' snapshots, the message
//! and a little balancer state (the round-robin cursor), so every strategy is tested with
//! plain data.
//!
//! Every strategy first keeps only the routes that can take the message now (ready, a free
//! slot, enough allowance under their rate limits for all its segments, serving its
//! destination prefix) — all segments go through the one route chosen. A route the
//! message just failed on is avoided when another candidate exists.

use crate::route::RouteSnapshot;

pub use crate::config::Strategy;

/// What the balancer needs to know of a message.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// E.164 destination.
    pub recipient: &'a str,
    /// Number of segments.
    pub segments: usize,
    /// A route to avoid if possible (the one it just failed on).
    pub avoid: Option<&'a str>,
    /// A route it must take (explicit `provider` in the request).
    pub only: Option<&'a str>,
    /// When given, only these routes (indices) may be chosen: the group the routing
    /// policy picked.
    pub within: Option<&'a [usize]>,
}

/// Balancer state kept between choices.
#[derive(Debug, Default, Clone)]
pub struct Balancer {
    strategy: Strategy,
    cursor: usize,
}

impl Balancer {
    /// A balancer with `strategy`.
    pub fn new(strategy: Strategy) -> Self {
        Self {
            strategy,
            cursor: 0,
        }
    }

    /// The index (into `routes`) of the route for `message`, or `None` when no route can
    /// take it now.
    pub fn choose(&mut self, routes: &[RouteSnapshot], message: &Candidate<'_>) -> Option<usize> {
        let fits: Vec<usize> = routes
            .iter()
            .enumerate()
            .filter(|(i, _)| message.within.is_none_or(|w| w.contains(i)))
            .filter(|(_, r)| message.only.is_none_or(|only| r.name == only))
            .filter(|(_, r)| r.can_take(message.recipient, message.segments))
            .map(|(i, _)| i)
            .collect();
        // The route the message just failed on is avoided whenever another route is
        // ready for it — even one that is busy this instant: then the message waits for
        // it rather than going straight back to the route that failed.
        let serves = |(i, r): (usize, &RouteSnapshot)| {
            message.within.is_none_or(|w| w.contains(&i))
                && r.ready
                && message.only.is_none_or(|only| r.name == only)
                && (r.prefixes.is_empty() || r.longest_prefix(message.recipient).is_some())
        };
        let preferred: Vec<usize> = match message.avoid {
            Some(avoid)
                if routes
                    .iter()
                    .enumerate()
                    .any(|(i, r)| r.name != avoid && serves((i, r))) =>
            {
                fits.iter()
                    .copied()
                    .filter(|&i| routes.get(i).is_some_and(|r| r.name != avoid))
                    .collect()
            }
            _ => fits,
        };
        if preferred.is_empty() {
            return None;
        }
        let route = |i: usize| routes.get(i);
        let least_loaded = |candidates: &[usize]| {
            candidates
                .iter()
                .copied()
                .min_by_key(|&i| route(i).map(|r| (r.in_flight, r.sent_segments, r.name.clone())))
        };
        match self.strategy {
            Strategy::LeastLoaded => least_loaded(&preferred),
            Strategy::RoundRobin => {
                // The first candidate at or after the cursor, in route order.
                let n = routes.len().max(1);
                let pick = (0..n)
                    .map(|k| (self.cursor + k) % n)
                    .find(|i| preferred.contains(i))?;
                self.cursor = (pick + 1) % n;
                Some(pick)
            }
            Strategy::Weighted => preferred.iter().copied().min_by(|&a, &b| {
                let load = |i: usize| {
                    route(i).map_or(f64::INFINITY, |r| {
                        (r.sent_segments as f64 + 1.0) / f64::from(r.weight.max(1))
                    })
                };
                load(a).total_cmp(&load(b)).then(a.cmp(&b))
            }),
            Strategy::Prefix => {
                let best = preferred
                    .iter()
                    .filter_map(|&i| route(i).and_then(|r| r.longest_prefix(message.recipient)))
                    .max();
                match best {
                    Some(len) => {
                        let matching: Vec<usize> = preferred
                            .iter()
                            .copied()
                            .filter(|&i| {
                                route(i).and_then(|r| r.longest_prefix(message.recipient))
                                    == Some(len)
                            })
                            .collect();
                        least_loaded(&matching)
                    }
                    None => least_loaded(&preferred),
                }
            }
            Strategy::Sticky => preferred
                .iter()
                .copied()
                .max_by_key(|&i| route(i).map(|r| rendezvous(message.recipient, &r.name))),
        }
    }
}

/// Rendezvous (highest random weight) score of a recipient on a route: FNV-1a over both.
fn rendezvous(recipient: &str, route: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in recipient.bytes().chain([0]).chain(route.bytes()) {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    // One more mixing round so that close inputs spread.
    hash ^= hash >> 33;
    hash.wrapping_mul(0xff51_afd7_ed55_8ccd)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(name: &str) -> RouteSnapshot {
        RouteSnapshot {
            name: name.into(),
            ready: true,
            in_flight: 0,
            concurrency: 1,
            allowance: None,
            sent_segments: 0,
            fragment_segments: 0,
            weight: 1,
            prefixes: vec![],
            cost_per_segment: 0.0,
        }
    }

    fn msg(recipient: &str) -> Candidate<'_> {
        Candidate {
            recipient,
            segments: 1,
            avoid: None,
            only: None,
            within: None,
        }
    }

    fn names(routes: &[RouteSnapshot], picks: &[Option<usize>]) -> Vec<String> {
        picks
            .iter()
            .map(|p| p.map_or("-".into(), |i| routes[i].name.clone()))
            .collect()
    }

    #[test]
    fn only_routes_that_can_take_it_are_candidates() {
        let mut routes = vec![route("a"), route("b"), route("c"), route("d")];
        routes[0].ready = false;
        routes[1].in_flight = 1; // busy
        routes[2].allowance = Some(2); // rate limit leaves 2 segments
        let mut b = Balancer::new(Strategy::LeastLoaded);
        let three_segments = Candidate {
            segments: 3,
            ..msg("+491")
        };
        assert_eq!(
            names(&routes, &[b.choose(&routes, &three_segments)]),
            vec!["d"]
        );
        routes[3].ready = false;
        assert_eq!(b.choose(&routes, &three_segments), None);
        assert_eq!(
            names(&routes, &[b.choose(&routes, &msg("+491"))]),
            vec!["c"]
        );
    }

    #[test]
    fn least_loaded_prefers_fewer_in_flight_then_fewer_sent() {
        let mut routes = vec![route("a"), route("b"), route("c")];
        routes.iter_mut().for_each(|r| r.concurrency = 4);
        routes[0].in_flight = 2;
        routes[1].sent_segments = 10;
        routes[2].sent_segments = 3;
        let mut b = Balancer::new(Strategy::LeastLoaded);
        assert_eq!(names(&routes, &[b.choose(&routes, &msg("+1"))]), vec!["c"]);
    }

    #[test]
    fn round_robin_cycles_and_skips_unavailable_routes() {
        let mut routes = vec![route("a"), route("b"), route("c")];
        let mut b = Balancer::new(Strategy::RoundRobin);
        let picks: Vec<_> = (0..4).map(|_| b.choose(&routes, &msg("+1"))).collect();
        assert_eq!(names(&routes, &picks), vec!["a", "b", "c", "a"]);
        routes[1].ready = false;
        let picks: Vec<_> = (0..3).map(|_| b.choose(&routes, &msg("+1"))).collect();
        assert_eq!(names(&routes, &picks), vec!["c", "a", "c"]);
    }

    #[test]
    fn weighted_shares_follow_the_weights() {
        let mut routes = vec![route("a"), route("b")];
        routes[0].weight = 3;
        let mut b = Balancer::new(Strategy::Weighted);
        let mut counts = [0u64; 2];
        for _ in 0..400 {
            let i = b.choose(&routes, &msg("+1")).unwrap();
            counts[i] += 1;
            routes[i].sent_segments += 1;
        }
        assert_eq!(counts, [300, 100]);
    }

    #[test]
    fn prefix_picks_the_longest_match_and_never_a_route_that_does_not_serve_it() {
        let mut routes = vec![route("any"), route("de"), route("de-mobile"), route("fr")];
        routes[1].prefixes = vec!["+49".into()];
        routes[2].prefixes = vec!["+4915".into(), "+4916".into()];
        routes[3].prefixes = vec!["33".into()];
        let mut b = Balancer::new(Strategy::Prefix);
        let picks = [
            b.choose(&routes, &msg("+4915112345678")),
            b.choose(&routes, &msg("+4930123456")),
            b.choose(&routes, &msg("+33612345678")),
            b.choose(&routes, &msg("+15551234567")),
        ];
        assert_eq!(names(&routes, &picks), vec!["de-mobile", "de", "fr", "any"]);
        routes[0].ready = false;
        assert_eq!(b.choose(&routes, &msg("+15551234567")), None);
    }

    #[test]
    fn sticky_keeps_a_recipient_on_its_route_and_moves_only_its_own_recipients() {
        let mut routes = vec![route("a"), route("b"), route("c")];
        let mut b = Balancer::new(Strategy::Sticky);
        let recipients: Vec<String> = (0..60).map(|i| format!("+4915100000{i:02}")).collect();
        let before: Vec<usize> = recipients
            .iter()
            .map(|r| b.choose(&routes, &msg(r)).unwrap())
            .collect();
        let again: Vec<usize> = recipients
            .iter()
            .map(|r| b.choose(&routes, &msg(r)).unwrap())
            .collect();
        assert_eq!(before, again);
        assert!(
            (0..3).all(|i| before.contains(&i)),
            "all routes used: {before:?}"
        );
        routes[1].ready = false;
        let after: Vec<usize> = recipients
            .iter()
            .map(|r| b.choose(&routes, &msg(r)).unwrap())
            .collect();
        for (x, y) in before.iter().zip(&after) {
            if *x != 1 {
                assert_eq!(x, y, "a recipient not on the lost route moved");
            } else {
                assert_ne!(*y, 1);
            }
        }
    }

    #[test]
    fn the_route_just_failed_on_is_avoided_unless_it_is_the_only_one() {
        let mut routes = vec![route("a"), route("b")];
        let mut b = Balancer::new(Strategy::LeastLoaded);
        let m = Candidate {
            avoid: Some("a"),
            ..msg("+1")
        };
        assert_eq!(names(&routes, &[b.choose(&routes, &m)]), vec!["b"]);
        // b is ready but busy: wait for it rather than go back to a.
        routes[1].in_flight = 1;
        assert_eq!(b.choose(&routes, &m), None);
        // b is down: a is the only route left, so a it is.
        routes[1].ready = false;
        assert_eq!(names(&routes, &[b.choose(&routes, &m)]), vec!["a"]);
        routes[1].ready = true;
        routes[1].in_flight = 0;
        let single = vec![route("a")];
        assert_eq!(b.choose(&single, &m), Some(0));
        let forced = Candidate {
            only: Some("a"),
            within: None,
            ..msg("+1")
        };
        assert_eq!(names(&routes, &[b.choose(&routes, &forced)]), vec!["a"]);
    }
}
