//! Property tests of the codec: whatever the text, it survives encode → PDU hex → decode →
//! reassembly unchanged; no segment's user data exceeds 140 octets; the segment count is
//! minimal for the chosen encoding.

use crate::support::{decode_submit, reassemble};
use proptest::prelude::*;
use smsgate::pdu::{
    build_submits, Address, Alphabet, Content, NationalLanguage, Payload, RefWidth, SegmentPlan,
    SegmentPolicy, SubmitOptions,
};

fn any_policy() -> impl Strategy<Value = SegmentPolicy> {
    (any::<bool>(), any::<bool>()).prop_map(|(wide, national)| SegmentPolicy {
        ref_width: if wide {
            RefWidth::Sixteen
        } else {
            RefWidth::Eight
        },
        national_languages: if national {
            NationalLanguage::ALL.to_vec()
        } else {
            Vec::new()
        },
        ..SegmentPolicy::default()
    })
}

/// Text mixing GSM characters, extension characters, Turkish letters, CJK and emoji, so
/// every encoding path and both kinds of indivisible unit are exercised.
fn mixed_text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        4 => "[a-zA-Z0-9 .,!?@£$]{1,20}",
        2 => "[€\\[\\]{}|^~\\\\]{1,4}",
        1 => "[şğıİçöü]{1,4}",
        1 => "[日本語テキスト]{1,3}",
        1 => "[😀🎉👍🏽]{1,2}",
    ];
    prop::collection::vec(pieces, 0..30).prop_map(|v| v.concat())
}

fn units_of(plan: &SegmentPlan, segment: &[u8], at: usize) -> usize {
    // Size of the indivisible unit starting at `at` in `segment`.
    match plan.alphabet {
        Alphabet::Gsm7 if segment.get(at) == Some(&0x1B) => 2,
        Alphabet::Ucs2 if matches!(segment.get(at), Some(0xD8..=0xDB)) => 4,
        Alphabet::Ucs2 => 2,
        _ => 1,
    }
}

fn check_round_trip(text: &str, policy: &SegmentPolicy) -> Result<(), TestCaseError> {
    let plan = SegmentPlan::new(Payload::Text(text), policy)
        .expect("any text up to this size is encodable");
    let options = SubmitOptions {
        destination: Some(Address::parse("+15551234567").unwrap()),
        reference: 200,
        ..SubmitOptions::default()
    };
    let pdus = build_submits(&plan, &options).unwrap();
    prop_assert_eq!(reassemble(&pdus), Content::Text(text.to_string()));
    for pdu in &pdus {
        let submit = decode_submit(pdu);
        let mut ud = Vec::new();
        submit.user_data.encode(&mut ud);
        prop_assert!(ud.len() - 1 <= 140, "user data of {} octets", ud.len() - 1);
    }
    // Minimality: greedy filling is optimal exactly when no segment could have taken the
    // first unit of the next one; and a text that fits one segment is never split.
    let capacity_octets = |seg: &Vec<u8>| match plan.alphabet {
        Alphabet::Ucs2 => seg.len(),
        _ => seg.len(),
    };
    let capacity = match plan.alphabet {
        Alphabet::Ucs2 => plan.capacity * 2,
        _ => plan.capacity,
    };
    for pair in plan.segments.windows(2) {
        let next_unit = units_of(&plan, &pair[1], 0);
        prop_assert!(
            capacity_octets(&pair[0]) + next_unit > capacity,
            "a segment was closed early"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_unicode_string_round_trips(text in "\\PC{0,400}", policy in any_policy()) {
        check_round_trip(&text, &policy)?;
    }

    #[test]
    fn mixed_scripts_round_trip(text in mixed_text(), policy in any_policy()) {
        check_round_trip(&text, &policy)?;
    }

    #[test]
    fn gsm_text_never_needs_more_segments_than_the_arithmetic_says(
        text in "[a-z€{}]{0,700}", wide in any::<bool>()
    ) {
        let policy = SegmentPolicy { ref_width: if wide { RefWidth::Sixteen } else { RefWidth::Eight }, ..SegmentPolicy::default() };
        let plan = SegmentPlan::new(Payload::Text(&text), &policy).unwrap();
        let septets: usize = plan.segments.iter().map(Vec::len).sum();
        let per = if wide { 152 } else { 153 };
        let lower = if septets <= 160 { 1 } else { septets.div_ceil(per) };
        // Each segment wastes at most one septet (an escape pushed over), so at most:
        let upper = if septets <= 160 { 1 } else { septets.div_ceil(per - 1) };
        prop_assert!(plan.segments.len() >= lower && plan.segments.len() <= upper);
    }
}
