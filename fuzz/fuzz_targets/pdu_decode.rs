//! Fuzz target: any octets handed to the PDU decoder (as a modem would hand them over)
//! give a value or a `DecodeError`, never a panic; a decoded PDU can always be summarised.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsgate::pdu::{PduModePdu, PduSummary};

fuzz_target!(|data: &[u8]| {
    if let Ok(pdu) = PduModePdu::decode(data) {
        let _ = PduSummary::from(&pdu);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = PduModePdu::decode_hex(text);
    }
});
