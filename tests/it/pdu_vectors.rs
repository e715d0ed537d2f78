//! Real PDU vectors in both directions, from `tests/it/data/pdu_vectors.json` (provenance
//! and the independent checks each passed are in `tests/it/data/README.md`).
//!
//! Decode: every field a vector states must match what `smsgate pdu decode` would print.
//! Encode: the arguments of `smsgate pdu encode` must produce exactly the published PDUs.

use serde::Deserialize;
use serde_json::{Map, Value};
use smsgate::pdu::{
    build_submits, Address, EncodingChoice, Payload, PduModePdu, PduSummary, RefWidth, SegmentPlan,
    SegmentPolicy, SubmitOptions, ValidityPeriod,
};

#[derive(Deserialize)]
struct Vectors {
    decode: Vec<DecodeVector>,
    encode: Vec<EncodeVector>,
}

#[derive(Deserialize)]
struct DecodeVector {
    name: String,
    hex: String,
    expect: Map<String, Value>,
}

#[derive(Deserialize)]
struct EncodeVector {
    name: String,
    args: EncodeArgs,
    pdus: Vec<ExpectedPdu>,
}

#[derive(Deserialize)]
struct EncodeArgs {
    to: String,
    text: String,
    encoding: String,
    class: Option<u8>,
    status_report: bool,
    validity_minutes: Option<u32>,
    #[serde(rename = "ref")]
    reference: Option<u16>,
    smsc: Option<String>,
}

#[derive(Deserialize)]
struct ExpectedPdu {
    hex: String,
    tpdu_length: usize,
}

fn vectors() -> Vectors {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/data/pdu_vectors.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn decode_vectors_give_the_published_fields() {
    let vectors = vectors();
    assert!(vectors.decode.len() >= 30, "the vector file lost entries");
    let mut failures = Vec::new();
    for v in &vectors.decode {
        let summary = match PduModePdu::decode_hex(&v.hex) {
            Ok(pdu) => serde_json::to_value(PduSummary::from(&pdu)).unwrap(),
            Err(e) => {
                failures.push(format!("{}: {e}", v.name));
                continue;
            }
        };
        for (field, expected) in &v.expect {
            let actual = summary.get(field).unwrap_or(&Value::Null);
            if actual != expected {
                failures.push(format!(
                    "{}: {field} = {actual}, expected {expected}",
                    v.name
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn encode_vectors_give_the_published_pdus() {
    let vectors = vectors();
    assert!(vectors.encode.len() >= 10, "the vector file lost entries");
    let mut failures = Vec::new();
    for v in &vectors.encode {
        let a = &v.args;
        // The CLI's rule: a reference up to 255 travels in the 8-bit IE, above it the 16-bit IE.
        let ref_width = match a.reference {
            Some(r) if r > 255 => RefWidth::Sixteen,
            _ => RefWidth::Eight,
        };
        let policy = SegmentPolicy {
            encoding: match a.encoding.as_str() {
                "gsm7" => EncodingChoice::Gsm7,
                "ucs2" => EncodingChoice::Ucs2,
                "8bit" => EncodingChoice::Eight,
                _ => EncodingChoice::Auto,
            },
            ref_width,
            ..SegmentPolicy::default()
        };
        let plan = SegmentPlan::new(Payload::Text(&a.text), &policy).unwrap();
        let options = SubmitOptions {
            destination: Some(Address::parse(&a.to).unwrap()),
            smsc: a.smsc.as_deref().map(|s| Address::parse(s).unwrap()),
            class: a.class,
            status_report: a.status_report,
            validity: a.validity_minutes.map(ValidityPeriod::from_minutes),
            reject_duplicates: false,
            reference: a.reference.unwrap_or(0),
        };
        let pdus = build_submits(&plan, &options).unwrap();
        let actual: Vec<(String, usize)> =
            pdus.into_iter().map(|p| (p.hex, p.tpdu_length)).collect();
        let expected: Vec<(String, usize)> = v
            .pdus
            .iter()
            .map(|p| (p.hex.to_uppercase(), p.tpdu_length))
            .collect();
        if actual != expected {
            failures.push(format!(
                "{}:\n  got      {actual:?}\n  expected {expected:?}",
                v.name
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
