//! Fuzz target: any text either encodes into segments that decode back to the same text,
//! or is refused with an `EncodeError` (only for more than 255 segments).
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsgate::pdu::{
    build_submits, Address, Content, NationalLanguage, Payload, PduModePdu, RefWidth, SegmentPlan, SegmentPolicy,
    SubmitOptions, Tpdu,
};

fuzz_target!(|input: (bool, bool, String)| {
    let (wide, national, text) = input;
    let policy = SegmentPolicy {
        ref_width: if wide { RefWidth::Sixteen } else { RefWidth::Eight },
        national_languages: if national { NationalLanguage::ALL.to_vec() } else { Vec::new() },
        ..SegmentPolicy::default()
    };
    let Ok(plan) = SegmentPlan::new(Payload::Text(&text), &policy) else { return };
    let options = SubmitOptions {
        destination: Address::parse("+15551234567").ok(),
        reference: 77,
        ..SubmitOptions::default()
    };
    let pdus = build_submits(&plan, &options).expect("a plan always builds");
    let mut units = Vec::new();
    let mut charset = None;
    for pdu in &pdus {
        let Tpdu::Submit(submit) = PduModePdu::decode_hex(&pdu.hex).expect("own PDUs decode").tpdu else {
            panic!("not a submit")
        };
        assert!(submit.user_data.body.len() <= 160);
        charset = Some(submit.user_data.charset());
        units.extend(submit.user_data.body);
    }
    let decoded = smsgate::pdu::user_data::decode_units(plan.alphabet, charset.unwrap_or_default(), &units);
    assert_eq!(decoded, Content::Text(text));
});
