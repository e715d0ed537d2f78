//! Malformed input never panics the decoder: random bytes, and valid PDUs with random
//! octets changed or cut off (which reach far deeper into the decoder than noise does).

use proptest::prelude::*;
use smsgate::pdu::PduModePdu;

const VALID: &[&str] = &[
    "07911326040000F0040B911346610089F60000208062917314080CC8329BFD065DDF72363904",
    "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37",
    "0006D60B911326880736F4111011719551401110117195714000",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = PduModePdu::decode(&bytes);
    }

    #[test]
    fn mutated_valid_pdus_never_panic(
        which in 0..VALID.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = hex::decode(VALID[which]).unwrap();
        for (index, value) in edits {
            let i = index.index(bytes.len());
            bytes[i] = value;
        }
        let _ = PduModePdu::decode(&bytes);
        let keep = cut.index(bytes.len() + 1);
        let _ = PduModePdu::decode(&bytes[..keep]);
    }

    #[test]
    fn random_text_is_never_accepted_as_hex_silently(text in "\\PC{0,40}") {
        // Either it is hex and decodes (or fails) cleanly, or the error names the hex field.
        if let Err(e) = PduModePdu::decode_hex(&text) {
            prop_assert!(!e.to_string().is_empty());
        }
    }
}

#[test]
fn every_truncation_of_a_valid_pdu_is_an_error_not_a_panic() {
    for pdu in VALID {
        let bytes = hex::decode(pdu).unwrap();
        assert!(PduModePdu::decode(&bytes).is_ok(), "{pdu}");
        for keep in 0..bytes.len() {
            let err = PduModePdu::decode(&bytes[..keep]).expect_err("a cut PDU must not decode");
            assert!(
                err.offset <= keep,
                "offset {} beyond input {keep}",
                err.offset
            );
        }
    }
}
