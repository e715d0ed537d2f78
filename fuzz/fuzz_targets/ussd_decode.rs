//! Fuzz target: any `+CUSD` line parses into a typed URC or `Other`, and any USSD string
//! with any DCS decodes (text, UCS-2 hex, packed GSM-7 hex) without panicking; what the
//! encoders write decodes back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsgate::at::{Cusd, Urc};
use smsgate::pdu::ussd;

fuzz_target!(|input: (String, Option<u8>)| {
    let (raw, dcs) = input;
    let _ = ussd::decode(&raw, dcs);
    let _ = Urc::parse(&format!("+CUSD: 1,\"{raw}\",15"), &[]);
    if let Some(p) = smsgate::at::params::split_info(&format!("+CUSD: {raw}")) {
        let _ = Cusd::from_params(&p.1);
    }
    let hex = ussd::encode_ucs2_hex(&raw);
    let _ = ussd::decode(&hex, Some(72));
    let _ = ussd::decode(&ussd::encode_packed_hex(&raw), Some(15));
});
