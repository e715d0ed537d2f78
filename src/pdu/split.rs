//! Choosing the encoding of an outgoing message and splitting it into segments
//! (3GPP TS 23.040 §9.2.3.24.1 concatenation, TS 23.038 national language tables).
//!
//! Encoding choice in `auto`: the GSM 7-bit default alphabet when every character fits;
//! otherwise a national language table among those the caller allows, but only when it
//! needs *fewer* segments than UCS-2; otherwise UCS-2.
//!
//! Invariants: a segment never ends inside an escape sequence (`0x1B x`) or a surrogate
//! pair; the segment count is the minimum for the chosen encoding (greedy filling is optimal
//! because units are indivisible and kept in order); no segment's user data exceeds 140
//! octets; more than 255 segments is an error rather than a wrapped counter.

use super::address::Address;
use super::dcs::{Alphabet, DataCoding};
use super::error::EncodeError;
use super::gsm7::{Charset, NationalLanguage, ESCAPE};
use super::tpdu::{EncodedPdu, Submit};
use super::ucs2;
use super::udh::{Concat, InformationElement, UserDataHeader};
use super::user_data::{header_septets, UserData, MAX_OCTETS, MAX_SEPTETS};
use super::validity::ValidityPeriod;
use serde::Serialize;

/// Which encoding to use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum EncodingChoice {
    /// GSM 7-bit if possible, else an allowed national table if it saves segments, else UCS-2.
    #[default]
    Auto,
    /// GSM 7-bit (default alphabet, or an allowed national table); an error if neither fits.
    Gsm7,
    /// UCS-2.
    Ucs2,
    /// 8-bit data.
    Eight,
}

/// Width of the concatenation reference.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum RefWidth {
    /// IE 0x00, 5 octets + UDHL: 153 septets / 67 UCS-2 characters per segment.
    Eight,
    /// IE 0x08, 6 octets + UDHL: 152 septets / 66 UCS-2 characters per segment. The
    /// default: 65 536 references make accidental merges on the handset far less likely.
    #[default]
    Sixteen,
}

/// How a message may be encoded and split.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentPolicy {
    /// Encoding to use.
    pub encoding: EncodingChoice,
    /// National languages whose tables may be used (none by default: not every handset
    /// implements them).
    pub national_languages: Vec<NationalLanguage>,
    /// Reference width for concatenated messages.
    pub ref_width: RefWidth,
}

/// The content to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload<'a> {
    /// Text, encoded as the policy chooses (GSM 7-bit, a national table, or UCS-2).
    Text(&'a str),
    /// 8-bit data.
    Binary(&'a [u8]),
}

/// A message split into segments, before any header is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentPlan {
    /// Alphabet of every segment.
    pub alphabet: Alphabet,
    /// Tables for GSM 7-bit (default unless a national language was chosen).
    pub charset: Charset,
    /// Units per segment: unpacked septets, or octets.
    pub segments: Vec<Vec<u8>>,
    /// Capacity of each segment in units (for the calculator).
    pub capacity: usize,
    /// The reference width the capacity assumes.
    pub ref_width: RefWidth,
}

/// What the public segment calculators show, for the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SegmentInfo {
    /// `gsm7`, `ucs2` or `8bit`.
    pub encoding: Alphabet,
    /// National locking-shift language, when one was chosen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locking_shift: Option<&'static str>,
    /// National single-shift language, when one was chosen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub single_shift: Option<&'static str>,
    /// Number of segments (SMS parts billed).
    pub segments: usize,
    /// Characters in the text (Unicode scalar values), or octets of data.
    pub characters: usize,
    /// Units used: septets (GSM 7-bit, escapes count 2), UTF-16 code units, or octets.
    pub units: usize,
    /// Units each segment can carry at this segment count.
    pub units_per_segment: usize,
    /// Units still free in the last segment.
    pub units_remaining: usize,
}

impl SegmentPlan {
    /// Plans `payload` under `policy`.
    pub fn new(payload: Payload<'_>, policy: &SegmentPolicy) -> Result<Self, EncodeError> {
        match (payload, policy.encoding) {
            (Payload::Binary(data), EncodingChoice::Auto | EncodingChoice::Eight) => {
                Ok(plan_octets(data, policy.ref_width))
            }
            (Payload::Binary(_), _) => Err(EncodeError::InvalidParameter {
                field: "encoding",
                why: "binary data is sent as 8-bit",
            }),
            (Payload::Text(text), EncodingChoice::Eight) => {
                Ok(plan_octets(text.as_bytes(), policy.ref_width))
            }
            (Payload::Text(text), EncodingChoice::Ucs2) => plan_ucs2(text, policy.ref_width),
            (Payload::Text(text), EncodingChoice::Gsm7) => {
                if let Some(plan) = plan_gsm7(text, Charset::DEFAULT, policy.ref_width)? {
                    return Ok(plan);
                }
                match best_national(text, policy)? {
                    Some(plan) => Ok(plan),
                    // Report the first character that does not fit the default alphabet.
                    None => Err(Charset::DEFAULT.encode(text).err().unwrap_or(
                        EncodeError::InvalidParameter {
                            field: "encoding",
                            why: "text does not fit GSM 7-bit",
                        },
                    )),
                }
            }
            (Payload::Text(text), EncodingChoice::Auto) => {
                if let Some(plan) = plan_gsm7(text, Charset::DEFAULT, policy.ref_width)? {
                    return Ok(plan);
                }
                let ucs2 = plan_ucs2(text, policy.ref_width)?;
                match best_national(text, policy)? {
                    Some(national) if national.segments.len() < ucs2.segments.len() => Ok(national),
                    _ => Ok(ucs2),
                }
            }
        }
    }

    /// The user-data header every segment carries apart from concatenation: the national
    /// language IEs of the chosen charset.
    fn language_ies(&self) -> Vec<InformationElement> {
        language_ies(self.charset)
    }

    /// The calculator's view of this plan.
    pub fn info(&self, characters: usize) -> SegmentInfo {
        let units: usize = self.segments.iter().map(Vec::len).sum();
        let last = self.segments.last().map_or(0, Vec::len);
        SegmentInfo {
            encoding: self.alphabet,
            locking_shift: self.charset.locking.map(NationalLanguage::name),
            single_shift: self.charset.single.map(NationalLanguage::name),
            segments: self.segments.len(),
            characters,
            units: match self.alphabet {
                Alphabet::Ucs2 => units / 2,
                _ => units,
            },
            units_per_segment: self.capacity,
            units_remaining: match self.alphabet {
                Alphabet::Ucs2 => self.capacity.saturating_sub(last / 2),
                _ => self.capacity.saturating_sub(last),
            },
        }
    }
}

/// The segment calculator: encoding, segment count and free space for `payload`.
pub fn segment_info(
    payload: Payload<'_>,
    policy: &SegmentPolicy,
) -> Result<SegmentInfo, EncodeError> {
    let plan = SegmentPlan::new(payload, policy)?;
    let characters = match payload {
        Payload::Text(text) => text.chars().count(),
        Payload::Binary(data) => data.len(),
    };
    Ok(plan.info(characters))
}

/// Everything an SMS-SUBMIT needs besides its content.
#[derive(Debug, Clone, Default)]
pub struct SubmitOptions {
    /// TP-DA, the destination address (none: filled in per recipient later).
    pub destination: Option<Address>,
    /// SMSC to put in front (`None`: the modem's default).
    pub smsc: Option<Address>,
    /// Message class (0 = flash).
    pub class: Option<u8>,
    /// TP-SRR on every segment.
    pub status_report: bool,
    /// TP-VP, how long the SMSC keeps trying (none: its default).
    pub validity: Option<ValidityPeriod>,
    /// TP-RD: ask the SMSC to reject a duplicate of an earlier submit (same TP-MR and TP-DA).
    pub reject_duplicates: bool,
    /// Concatenation reference (used only when there is more than one segment); its width
    /// comes from the plan's policy.
    pub reference: u16,
}

/// Builds one SMS-SUBMIT PDU per segment of `plan`.
pub fn build_submits(
    plan: &SegmentPlan,
    options: &SubmitOptions,
) -> Result<Vec<EncodedPdu>, EncodeError> {
    let destination = options
        .destination
        .clone()
        .ok_or(EncodeError::InvalidParameter {
            field: "destination",
            why: "missing",
        })?;
    if options.class.is_some_and(|c| c > 3) {
        return Err(EncodeError::InvalidParameter {
            field: "class",
            why: "message class is 0, 1, 2 or 3",
        });
    }
    let total = plan.segments.len();
    let total_u8 =
        u8::try_from(total).map_err(|_| EncodeError::TooManySegments { segments: total })?;
    if plan.ref_width == RefWidth::Eight && options.reference > 255 {
        return Err(EncodeError::InvalidParameter {
            field: "reference",
            why: "an 8-bit concatenation reference is at most 255",
        });
    }
    let mut pdus = Vec::with_capacity(total);
    for (index, units) in plan.segments.iter().enumerate() {
        let mut elements = plan.language_ies();
        if total > 1 {
            elements.insert(
                0,
                InformationElement::Concat(Concat {
                    reference: options.reference,
                    total: total_u8,
                    seq: index as u8 + 1,
                    wide: plan.ref_width == RefWidth::Sixteen,
                }),
            );
        }
        let submit = Submit {
            reject_duplicates: options.reject_duplicates,
            status_report_request: options.status_report,
            reply_path: false,
            message_ref: 0,
            destination: destination.clone(),
            protocol_id: 0,
            dcs: DataCoding::new(plan.alphabet, options.class),
            validity: options.validity,
            user_data: UserData {
                header: (!elements.is_empty()).then_some(UserDataHeader { elements }),
                alphabet: plan.alphabet,
                body: units.clone(),
            },
        };
        pdus.push(EncodedPdu::new(options.smsc.as_ref(), &submit.encode()?)?);
    }
    Ok(pdus)
}

fn language_ies(charset: Charset) -> Vec<InformationElement> {
    let mut ies = Vec::new();
    if let Some(lang) = charset.single {
        ies.push(InformationElement::SingleShift(lang.code()));
    }
    if let Some(lang) = charset.locking {
        ies.push(InformationElement::LockingShift(lang.code()));
    }
    ies
}

/// Octets of header (UDHL included) for a segment: language IEs plus, when concatenated,
/// the concatenation IE. 0 when there is no header at all.
fn header_octets(charset: Charset, concatenated: bool, width: RefWidth) -> usize {
    let languages =
        3 * (usize::from(charset.single.is_some()) + usize::from(charset.locking.is_some()));
    let concat = match (concatenated, width) {
        (false, _) => 0,
        (true, RefWidth::Eight) => 5,
        (true, RefWidth::Sixteen) => 6,
    };
    match languages + concat {
        0 => 0,
        n => n + 1,
    }
}

/// Splits indivisible units (given by their sizes) greedily into segments.
fn split_units(
    units: &[u8],
    unit_len: impl Fn(&[u8]) -> usize,
    single: usize,
    multi: usize,
) -> Vec<Vec<u8>> {
    if units.len() <= single {
        return vec![units.to_vec()];
    }
    let mut segments = Vec::with_capacity(units.len() / multi.max(1) + 1);
    let mut current = Vec::with_capacity(multi);
    let mut rest = units;
    while !rest.is_empty() {
        let len = unit_len(rest).min(rest.len());
        if current.len() + len > multi {
            segments.push(std::mem::replace(&mut current, Vec::with_capacity(multi)));
        }
        let (unit, tail) = rest.split_at(len);
        current.extend_from_slice(unit);
        rest = tail;
    }
    segments.push(current);
    segments
}

fn check_count(plan: SegmentPlan) -> Result<SegmentPlan, EncodeError> {
    if plan.segments.len() > 255 {
        return Err(EncodeError::TooManySegments {
            segments: plan.segments.len(),
        });
    }
    Ok(plan)
}

/// Plans GSM 7-bit text in `charset`; `Ok(None)` when a character does not fit.
fn plan_gsm7(
    text: &str,
    charset: Charset,
    width: RefWidth,
) -> Result<Option<SegmentPlan>, EncodeError> {
    if !charset.can_encode(text) {
        return Ok(None);
    }
    let septets = charset.encode(text)?;
    let capacity = |concatenated| {
        let header = header_octets(charset, concatenated, width);
        MAX_SEPTETS
            - if header == 0 {
                0
            } else {
                header_septets(header)
            }
    };
    let (single, multi) = (capacity(false), capacity(true));
    let escape_len = |rest: &[u8]| if rest.first() == Some(&ESCAPE) { 2 } else { 1 };
    let segments = split_units(&septets, escape_len, single, multi);
    let capacity = if segments.len() > 1 { multi } else { single };
    check_count(SegmentPlan {
        alphabet: Alphabet::Gsm7,
        charset,
        segments,
        capacity,
        ref_width: width,
    })
    .map(Some)
}

fn plan_ucs2(text: &str, width: RefWidth) -> Result<SegmentPlan, EncodeError> {
    let octets = ucs2::encode(text);
    let single = MAX_OCTETS / 2 * 2;
    let multi = (MAX_OCTETS - header_octets(Charset::DEFAULT, true, width)) / 2 * 2;
    // A high surrogate (D800–DBFF) starts a 4-octet unit.
    let pair_len = |rest: &[u8]| match rest.first() {
        Some(0xD8..=0xDB) => 4,
        _ => 2,
    };
    let segments = split_units(&octets, pair_len, single, multi);
    let capacity = if segments.len() > 1 { multi } else { single } / 2;
    check_count(SegmentPlan {
        alphabet: Alphabet::Ucs2,
        charset: Charset::DEFAULT,
        segments,
        capacity,
        ref_width: width,
    })
}

fn plan_octets(data: &[u8], width: RefWidth) -> SegmentPlan {
    let multi = MAX_OCTETS - header_octets(Charset::DEFAULT, true, width);
    let segments = split_units(data, |_| 1, MAX_OCTETS, multi);
    let capacity = if segments.len() > 1 {
        multi
    } else {
        MAX_OCTETS
    };
    SegmentPlan {
        alphabet: Alphabet::Eight,
        charset: Charset::DEFAULT,
        segments,
        capacity,
        ref_width: width,
    }
}

/// How good a GSM 7-bit plan is: fewest segments first, then fewest septets on the air
/// (headers included) — a locking table that makes every national letter one septet beats
/// a single-shift table that makes it two, once the longer header has paid for itself.
fn cost(plan: &SegmentPlan) -> (usize, usize) {
    let concatenated = plan.segments.len() > 1;
    let header = header_octets(plan.charset, concatenated, plan.ref_width);
    let header_septets = if header == 0 {
        0
    } else {
        header_septets(header)
    };
    let septets: usize = plan.segments.iter().map(|s| s.len() + header_septets).sum();
    (plan.segments.len(), septets)
}

/// The national charset (among the allowed languages) that needs the fewest segments.
fn best_national(text: &str, policy: &SegmentPolicy) -> Result<Option<SegmentPlan>, EncodeError> {
    let mut best: Option<SegmentPlan> = None;
    let lockings = std::iter::once(None).chain(
        policy
            .national_languages
            .iter()
            .filter(|l| l.locking_shift().is_some())
            .map(|&l| Some(l)),
    );
    for locking in lockings {
        let singles =
            std::iter::once(None).chain(policy.national_languages.iter().map(|&l| Some(l)));
        for single in singles {
            if locking.is_none() && single.is_none() {
                continue;
            }
            let Some(plan) = plan_gsm7(text, Charset { locking, single }, policy.ref_width)? else {
                continue;
            };
            let better = best.as_ref().is_none_or(|b| cost(&plan) < cost(b));
            if better {
                best = Some(plan);
            }
        }
    }
    Ok(best)
}
