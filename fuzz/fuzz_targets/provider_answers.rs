//! Fuzz target: what providers and their callbacks send us, through our hand-written readers —
//! the SNS XML extractor, `Retry-After`, Twilio prices, the Twilio-compatible API's form parser
//! and number repair, and the callback signature checks (Twilio, Vonage, Plivo V3). None may
//! panic; a signature check of arbitrary input against a fixed secret must not pass unless the
//! input carries the right signature (which the fuzzer cannot guess).
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsgate::providers::signatures::{plivo_v3_base, plivo_v3_verify, twilio_verify, vonage_verify, VonageMethod};
use smsgate::http::twilio_compat::{parse_form, repair_number};
use smsgate::providers::aws_sns::xml_text;
use smsgate::providers::http::parse_retry_after;
use smsgate::providers::twilio::parse_price;

fuzz_target!(|input: (String, String, Vec<u8>)| {
    let (text, tag, form) = input;
    let _ = xml_text(&text, &tag);
    let _ = xml_text(&text, "MessageId");
    let _ = parse_retry_after(&text, time::OffsetDateTime::UNIX_EPOCH);
    let _ = parse_price(Some(&text));
    let _ = repair_number(&text);
    if let Ok(pairs) = parse_form(&form) {
        assert!(!twilio_verify("secret-token", "https://gw.example/cb", &pairs, &text));
        assert!(!vonage_verify(VonageMethod::Sha256, "secret-token", &pairs));
        let base = plivo_v3_base("https://gw.example/cb", &pairs, &pairs);
        assert!(!plivo_v3_verify("secret-token", &base, &tag, &text));
    }
});
