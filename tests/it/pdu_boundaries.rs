//! Segment boundaries, checked through the real encoder and decoder: each case encodes a
//! text, checks the segment count and the size of every segment, decodes the PDUs again
//! and compares the text.

use crate::support::{decode_submit, reassemble};
use smsgate::pdu::{
    build_submits, segment_info, Address, Alphabet, Content, EncodingChoice, Payload, RefWidth,
    SegmentPlan, SegmentPolicy, SubmitOptions,
};

fn policy(width: RefWidth) -> SegmentPolicy {
    SegmentPolicy {
        ref_width: width,
        ..SegmentPolicy::default()
    }
}

/// Encodes `text`, checks it comes back intact, returns units per segment.
fn segment_sizes(text: &str, width: RefWidth) -> (Alphabet, Vec<usize>) {
    let plan = SegmentPlan::new(Payload::Text(text), &policy(width)).unwrap();
    let options = SubmitOptions {
        destination: Some(Address::parse("+4915112345678").unwrap()),
        reference: 42,
        ..SubmitOptions::default()
    };
    let pdus = build_submits(&plan, &options).unwrap();
    assert_eq!(reassemble(&pdus), Content::Text(text.to_string()));
    let sizes = pdus
        .iter()
        .map(|p| {
            let ud = decode_submit(p).user_data;
            match ud.alphabet {
                Alphabet::Ucs2 => ud.body.len() / 2,
                _ => ud.body.len(),
            }
        })
        .collect();
    (plan.alphabet, sizes)
}

#[test]
fn gsm7_160_is_one_segment_161_is_two() {
    assert_eq!(
        segment_sizes(&"a".repeat(160), RefWidth::Eight),
        (Alphabet::Gsm7, vec![160])
    );
    assert_eq!(
        segment_sizes(&"a".repeat(161), RefWidth::Eight),
        (Alphabet::Gsm7, vec![153, 8])
    );
}

#[test]
fn gsm7_with_8_bit_references_fills_153_septets_per_segment() {
    for k in 2..=4 {
        let (_, sizes) = segment_sizes(&"b".repeat(153 * k), RefWidth::Eight);
        assert_eq!(sizes, vec![153; k]);
        let (_, sizes) = segment_sizes(&"b".repeat(153 * k + 1), RefWidth::Eight);
        assert_eq!(sizes.len(), k + 1);
    }
}

#[test]
fn gsm7_with_16_bit_references_fills_152_septets_per_segment() {
    for k in 2..=4 {
        let (_, sizes) = segment_sizes(&"c".repeat(152 * k), RefWidth::Sixteen);
        assert_eq!(sizes, vec![152; k]);
        let (_, sizes) = segment_sizes(&"c".repeat(152 * k + 1), RefWidth::Sixteen);
        assert_eq!(sizes.len(), k + 1);
    }
}

#[test]
fn ucs2_70_is_one_segment_71_is_two() {
    assert_eq!(
        segment_sizes(&"ж".repeat(70), RefWidth::Eight),
        (Alphabet::Ucs2, vec![70])
    );
    assert_eq!(
        segment_sizes(&"ж".repeat(71), RefWidth::Eight),
        (Alphabet::Ucs2, vec![67, 4])
    );
}

#[test]
fn ucs2_fills_67_or_66_characters_per_segment() {
    for k in 2..=4 {
        assert_eq!(
            segment_sizes(&"ж".repeat(67 * k), RefWidth::Eight).1,
            vec![67; k]
        );
        assert_eq!(
            segment_sizes(&"ж".repeat(66 * k), RefWidth::Sixteen).1,
            vec![66; k]
        );
        assert_eq!(
            segment_sizes(&"ж".repeat(67 * k + 1), RefWidth::Eight)
                .1
                .len(),
            k + 1
        );
    }
}

#[test]
fn extension_characters_count_two_septets_and_160_is_still_the_limit() {
    // 158 septets of text + one € (2 septets) = 160: one segment.
    assert_eq!(
        segment_sizes(&format!("{}€", "a".repeat(158)), RefWidth::Eight).1,
        vec![160]
    );
    // 159 + € = 161 septets: two segments.
    assert_eq!(
        segment_sizes(&format!("{}€", "a".repeat(159)), RefWidth::Eight)
            .1
            .len(),
        2
    );
}

#[test]
fn an_escape_sequence_straddling_a_boundary_moves_whole_to_the_next_segment() {
    // 152 'a' then '€': the escape would be septet 153 and its character septet 154.
    let text = format!("{}€{}", "a".repeat(152), "z".repeat(20));
    let (_, sizes) = segment_sizes(&text, RefWidth::Eight);
    assert_eq!(sizes, vec![152, 22]);
    // 16-bit references: the same happens at 151.
    let text = format!("{}{{{}", "a".repeat(151), "z".repeat(20));
    assert_eq!(segment_sizes(&text, RefWidth::Sixteen).1, vec![151, 22]);
}

#[test]
fn an_emoji_straddling_a_boundary_moves_whole_to_the_next_segment() {
    // 66 UCS-2 characters then an emoji (2 UTF-16 units): it cannot start at unit 67.
    let text = format!("{}😀{}", "ж".repeat(66), "ж".repeat(10));
    assert_eq!(segment_sizes(&text, RefWidth::Eight).1, vec![66, 12]);
    let text = format!("{}😀{}", "ж".repeat(65), "ж".repeat(10));
    assert_eq!(segment_sizes(&text, RefWidth::Sixteen).1, vec![65, 12]);
    // 69 units + an emoji in a single message does not fit 70: two segments.
    let text = format!("{}😀", "ж".repeat(69));
    assert_eq!(segment_sizes(&text, RefWidth::Eight).1.len(), 2);
    let text = format!("{}😀", "ж".repeat(68));
    assert_eq!(segment_sizes(&text, RefWidth::Eight).1, vec![70]);
}

#[test]
fn a_single_non_gsm_character_switches_the_whole_message_to_ucs2() {
    let (alphabet, sizes) = segment_sizes(&format!("{}ç", "a".repeat(100)), RefWidth::Eight);
    assert_eq!((alphabet, sizes), (Alphabet::Ucs2, vec![67, 34]));
}

#[test]
fn the_calculator_reports_what_the_encoder_does() {
    let info = segment_info(Payload::Text(&"a".repeat(161)), &policy(RefWidth::Eight)).unwrap();
    assert_eq!(info.encoding, Alphabet::Gsm7);
    assert_eq!(
        (
            info.segments,
            info.units,
            info.units_per_segment,
            info.units_remaining
        ),
        (2, 161, 153, 145)
    );
    let info = segment_info(Payload::Text("Hi 😀"), &policy(RefWidth::Sixteen)).unwrap();
    assert_eq!(info.encoding, Alphabet::Ucs2);
    assert_eq!(
        (
            info.segments,
            info.characters,
            info.units,
            info.units_remaining
        ),
        (1, 4, 5, 65)
    );
    let info = segment_info(Payload::Text("{x}"), &policy(RefWidth::Sixteen)).unwrap();
    assert_eq!((info.units, info.units_remaining), (5, 155));
}

#[test]
fn explicit_gsm7_refuses_characters_outside_the_alphabet() {
    let p = SegmentPolicy {
        encoding: EncodingChoice::Gsm7,
        ..SegmentPolicy::default()
    };
    assert!(SegmentPlan::new(Payload::Text("naïve"), &p).is_err());
}

#[test]
fn more_than_255_segments_is_an_error() {
    let text = "a".repeat(152 * 255 + 1);
    assert!(SegmentPlan::new(Payload::Text(&text), &policy(RefWidth::Sixteen)).is_err());
    let text = "a".repeat(152 * 255);
    assert_eq!(
        SegmentPlan::new(Payload::Text(&text), &policy(RefWidth::Sixteen))
            .unwrap()
            .segments
            .len(),
        255
    );
}

#[test]
fn binary_data_splits_at_134_or_133_octets() {
    let data = vec![0xAB; 300];
    let p = policy(RefWidth::Eight);
    let plan = SegmentPlan::new(Payload::Binary(&data), &p).unwrap();
    let sizes: Vec<usize> = plan.segments.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![134, 134, 32]);
    let plan = SegmentPlan::new(Payload::Binary(&data[..140]), &p).unwrap();
    assert_eq!(plan.segments.len(), 1);
}

mod national_languages {
    use super::*;
    use smsgate::pdu::{Charset, NationalLanguage};

    fn plan(text: &str, languages: &[NationalLanguage]) -> SegmentPlan {
        let policy = SegmentPolicy {
            national_languages: languages.to_vec(),
            ..SegmentPolicy::default()
        };
        SegmentPlan::new(Payload::Text(text), &policy).unwrap()
    }

    const TURKISH: &str = "Sayın müşterimiz, siparişiniz yola çıktı. Kargo takip numaranız 4711, \
                           teslimat yarın öğleden sonra. İyi günler dileriz.";

    #[test]
    fn turkish_tables_are_chosen_when_they_save_segments() {
        assert!(TURKISH.chars().count() > 70);
        assert_eq!(plan(TURKISH, &[]).alphabet, Alphabet::Ucs2);
        assert_eq!(plan(TURKISH, &[]).segments.len(), 2);
        let national = plan(TURKISH, &[NationalLanguage::Turkish]);
        assert_eq!(national.alphabet, Alphabet::Gsm7);
        assert_eq!(national.segments.len(), 1);
        assert_eq!(national.charset.locking, Some(NationalLanguage::Turkish));
    }

    #[test]
    fn a_national_table_that_saves_nothing_is_not_used() {
        // Short enough for one UCS-2 segment: the national table would save nothing, and
        // UCS-2 is understood by every handset.
        let short = "Siparişiniz yola çıktı.";
        assert_eq!(
            plan(short, &[NationalLanguage::Turkish]).alphabet,
            Alphabet::Ucs2
        );
    }

    #[test]
    fn turkish_pdus_carry_the_language_ies_and_decode_back() {
        let national = plan(TURKISH, &[NationalLanguage::Turkish]);
        let options = SubmitOptions {
            destination: Some(Address::parse("+905321234567").unwrap()),
            ..SubmitOptions::default()
        };
        let pdus = build_submits(&national, &options).unwrap();
        let submit = decode_submit(&pdus[0]);
        assert_eq!(submit.user_data.charset(), national.charset);
        assert_eq!(reassemble(&pdus), Content::Text(TURKISH.to_string()));
    }

    #[test]
    fn spanish_single_shift_alone_covers_accented_vowels() {
        let text = "¿Cuándo llegará el envío? Mañana por la mañana, según la compañía de transporte. Gracias.";
        let national = plan(text, &[NationalLanguage::Spanish]);
        assert_eq!(national.alphabet, Alphabet::Gsm7);
        assert_eq!(
            national.charset,
            Charset {
                locking: None,
                single: Some(NationalLanguage::Spanish)
            }
        );
        assert_eq!(national.segments.len(), 1);
    }

    #[test]
    fn the_calculator_names_the_tables_it_chose() {
        let policy = SegmentPolicy {
            national_languages: vec![NationalLanguage::Turkish, NationalLanguage::Portuguese],
            ..SegmentPolicy::default()
        };
        let info = segment_info(Payload::Text(TURKISH), &policy).unwrap();
        assert_eq!(info.locking_shift, Some("turkish"));
        assert_eq!(info.segments, 1);
    }
}
