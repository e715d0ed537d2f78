//! Reassembly of concatenated inbound messages, as a pure state machine.
//!
//! Parts are keyed by originator + reference + total (TS 23.040 §9.2.3.24.1 makes the
//! reference unique per originator only together with the count). The caller passes the
//! time in — on every [`Reassembler::accept`] and [`Reassembler::expire`] — so tests need
//! no clock and the daemon can replay persisted parts with their original arrival times
//! after a restart.
//!
//! Invariants: a set completes exactly once, when its last missing part arrives, and is then
//! forgotten; a repeated part with the same content is a duplicate (modems and SMSCs resend),
//! one with *different* content is reported as an inconsistency and never silently replaces
//! what arrived first; bodies are joined as raw units before decoding, so an escape sequence
//! or surrogate pair split across parts by the sender still decodes.

use super::dcs::Alphabet;
use super::gsm7::Charset;
use super::tpdu::Deliver;
use super::user_data::{decode_units, Content};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};
use thiserror::Error;

/// One received segment of a concatenated message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The originator, as displayed (`+…` for international numbers).
    pub originator: String,
    /// Concatenation reference.
    pub reference: u16,
    /// Number of parts the message has.
    pub total: u8,
    /// This part's number, 1-based.
    pub seq: u8,
    /// Alphabet of `body`.
    pub alphabet: Alphabet,
    /// GSM 7-bit tables of this part.
    pub charset: Charset,
    /// Unpacked septets or octets.
    pub body: Vec<u8>,
}

impl Part {
    /// The part an SMS-DELIVER carries, if it is one segment of a concatenated message
    /// (`None` for a message complete in itself).
    pub fn from_deliver(deliver: &Deliver) -> Option<Part> {
        let ud = &deliver.user_data;
        let concat = ud.header.as_ref()?.concat().filter(|c| c.total > 1)?;
        Some(Part {
            originator: deliver.originator.to_string(),
            reference: concat.reference,
            total: concat.total,
            seq: concat.seq,
            alphabet: ud.alphabet,
            charset: ud.charset(),
            body: ud.body.clone(),
        })
    }
}

/// The key of a set of parts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SetKey {
    /// The sender (TP-OA) as text: concatenation references are per sender.
    pub originator: String,
    /// The concatenation reference shared by the parts (8- or 16-bit).
    pub reference: u16,
    /// Total number of parts.
    pub total: u8,
}

/// A complete message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assembled {
    /// Which set this was.
    pub key: SetKey,
    /// The joined, decoded content.
    pub content: Content,
    /// When its first part arrived.
    pub first_seen: SystemTime,
}

/// What [`Reassembler::accept`] did with a part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// The part completed its message.
    Complete(Assembled),
    /// Stored; the message still lacks parts.
    Pending {
        /// Parts held so far.
        received: usize,
        /// Parts the message has.
        total: u8,
    },
    /// The same part with the same content was already held; nothing changed.
    Duplicate,
}

/// A part that cannot belong to the message its key names.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Inconsistency {
    /// The sequence number is 0 or beyond the total (or the total is 0).
    #[error("part {seq} of {total} is out of range")]
    OutOfRange {
        /// Its sequence number.
        seq: u8,
        /// The total it claims.
        total: u8,
    },
    /// Its alphabet or tables differ from the parts already held.
    #[error("part {seq} is coded differently from the parts already received")]
    CodingMismatch {
        /// Its sequence number.
        seq: u8,
    },
    /// A part with this number and different content is already held.
    #[error("part {seq} arrived twice with different content")]
    ConflictingDuplicate {
        /// Its sequence number.
        seq: u8,
    },
}

/// An incomplete set given up on by [`Reassembler::expire`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expired {
    /// Which set.
    pub key: SetKey,
    /// When its first part arrived.
    pub first_seen: SystemTime,
    /// The parts that did arrive, by sequence number, decoded one by one.
    pub parts: BTreeMap<u8, Content>,
}

#[derive(Debug)]
struct PendingSet {
    first_seen: SystemTime,
    alphabet: Alphabet,
    charset: Charset,
    parts: BTreeMap<u8, Vec<u8>>,
}

/// Collects parts until their messages are complete or expire.
#[derive(Debug)]
pub struct Reassembler {
    timeout: Duration,
    pending: HashMap<SetKey, PendingSet>,
}

impl Reassembler {
    /// A reassembler that gives up on a set `timeout` after its first part arrived.
    pub fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            pending: HashMap::new(),
        }
    }

    /// Number of incomplete sets held.
    pub fn pending_sets(&self) -> usize {
        self.pending.len()
    }

    /// Takes one part received at `now`.
    pub fn accept(&mut self, part: Part, now: SystemTime) -> Result<Accepted, Inconsistency> {
        if part.total == 0 || part.seq == 0 || part.seq > part.total {
            return Err(Inconsistency::OutOfRange {
                seq: part.seq,
                total: part.total,
            });
        }
        let key = SetKey {
            originator: part.originator,
            reference: part.reference,
            total: part.total,
        };
        let set = self
            .pending
            .entry(key.clone())
            .or_insert_with(|| PendingSet {
                first_seen: now,
                alphabet: part.alphabet,
                charset: part.charset,
                parts: BTreeMap::new(),
            });
        if set.alphabet != part.alphabet || set.charset != part.charset {
            return Err(Inconsistency::CodingMismatch { seq: part.seq });
        }
        if let Some(held) = set.parts.get(&part.seq) {
            return if *held == part.body {
                Ok(Accepted::Duplicate)
            } else {
                Err(Inconsistency::ConflictingDuplicate { seq: part.seq })
            };
        }
        set.parts.insert(part.seq, part.body);
        let received = set.parts.len();
        if received < usize::from(key.total) {
            return Ok(Accepted::Pending {
                received,
                total: key.total,
            });
        }
        let Some(set) = self.pending.remove(&key) else {
            return Ok(Accepted::Pending {
                received,
                total: key.total,
            });
        };
        let joined: Vec<u8> = set.parts.into_values().flatten().collect();
        Ok(Accepted::Complete(Assembled {
            key,
            content: decode_units(set.alphabet, set.charset, &joined),
            first_seen: set.first_seen,
        }))
    }

    /// Removes and returns every set whose first part arrived at least `timeout` before `now`.
    pub fn expire(&mut self, now: SystemTime) -> Vec<Expired> {
        let timeout = self.timeout;
        let due: Vec<SetKey> = self
            .pending
            .iter()
            .filter(|(_, set)| {
                now.duration_since(set.first_seen)
                    .is_ok_and(|age| age >= timeout)
            })
            .map(|(key, _)| key.clone())
            .collect();
        let mut expired: Vec<Expired> = due
            .into_iter()
            .filter_map(|key| {
                let set = self.pending.remove(&key)?;
                let parts = set
                    .parts
                    .into_iter()
                    .map(|(seq, body)| (seq, decode_units(set.alphabet, set.charset, &body)))
                    .collect();
                Some(Expired {
                    key,
                    first_seen: set.first_seen,
                    parts,
                })
            })
            .collect();
        expired.sort_by(|a, b| a.key.cmp(&b.key));
        expired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn part(from: &str, reference: u16, total: u8, seq: u8, body: &[u8]) -> Part {
        Part {
            originator: from.to_string(),
            reference,
            total,
            seq,
            alphabet: Alphabet::Gsm7,
            charset: Charset::DEFAULT,
            body: body.to_vec(),
        }
    }

    #[test]
    fn parts_in_any_order_complete_once() {
        let mut r = Reassembler::new(Duration::from_secs(600));
        assert_eq!(
            r.accept(part("+1", 9, 3, 3, b"lo"), at(0)).unwrap(),
            Accepted::Pending {
                received: 1,
                total: 3
            }
        );
        r.accept(part("+1", 9, 3, 1, b"he"), at(1)).unwrap();
        let Accepted::Complete(done) = r.accept(part("+1", 9, 3, 2, b"l"), at(2)).unwrap() else {
            panic!("not complete")
        };
        assert_eq!(done.content, Content::Text("hello".into()));
        assert_eq!(done.first_seen, at(0));
        assert_eq!(r.pending_sets(), 0);
    }

    #[test]
    fn duplicates_are_dropped_and_conflicts_reported() {
        let mut r = Reassembler::new(Duration::from_secs(600));
        r.accept(part("+1", 1, 2, 1, b"a"), at(0)).unwrap();
        assert_eq!(
            r.accept(part("+1", 1, 2, 1, b"a"), at(1)).unwrap(),
            Accepted::Duplicate
        );
        assert_eq!(
            r.accept(part("+1", 1, 2, 1, b"b"), at(1)),
            Err(Inconsistency::ConflictingDuplicate { seq: 1 })
        );
        assert_eq!(
            r.accept(part("+1", 1, 2, 3, b"c"), at(1)),
            Err(Inconsistency::OutOfRange { seq: 3, total: 2 })
        );
        let mut ucs2 = part("+1", 1, 2, 2, &[0, 0x41]);
        ucs2.alphabet = Alphabet::Ucs2;
        assert_eq!(
            r.accept(ucs2, at(1)),
            Err(Inconsistency::CodingMismatch { seq: 2 })
        );
    }

    #[test]
    fn different_originators_or_totals_never_mix() {
        let mut r = Reassembler::new(Duration::from_secs(600));
        r.accept(part("+1", 5, 2, 1, b"a"), at(0)).unwrap();
        r.accept(part("+2", 5, 2, 2, b"b"), at(0)).unwrap();
        r.accept(part("+1", 5, 3, 2, b"c"), at(0)).unwrap();
        assert_eq!(r.pending_sets(), 3);
    }

    #[test]
    fn incomplete_sets_expire_at_the_time_passed_in() {
        let mut r = Reassembler::new(Duration::from_secs(600));
        r.accept(part("+1", 5, 2, 1, b"a"), at(100)).unwrap();
        assert!(r.expire(at(699)).is_empty());
        let expired = r.expire(at(700));
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].parts.get(&1), Some(&Content::Text("a".into())));
        assert_eq!(r.pending_sets(), 0);
    }

    #[test]
    fn a_surrogate_pair_split_across_parts_is_joined_before_decoding() {
        let mut r = Reassembler::new(Duration::from_secs(600));
        let bytes = crate::pdu::ucs2::encode("😀");
        let mut first = part("+1", 2, 2, 1, &bytes[..2]);
        let mut second = part("+1", 2, 2, 2, &bytes[2..]);
        first.alphabet = Alphabet::Ucs2;
        second.alphabet = Alphabet::Ucs2;
        r.accept(first, at(0)).unwrap();
        let Accepted::Complete(done) = r.accept(second, at(0)).unwrap() else {
            panic!("not complete")
        };
        assert_eq!(done.content, Content::Text("😀".into()));
    }
}
