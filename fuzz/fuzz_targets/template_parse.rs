//! Fuzz target: arbitrary template content through the template parser and renderer: no
//! panic; text pieces never hold `{{`; every placeholder is listed once; rendering without
//! values reports exactly the placeholders missing, and with a value for each succeeds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsgate::templates::{parse, Piece};

fuzz_target!(|input: (String, String)| {
    let (content, value) = input;
    let Ok(parsed) = parse(&content) else {
        return;
    };
    let placeholders = parsed.placeholders();
    for piece in parsed.pieces() {
        match piece {
            Piece::Text(text) => assert!(!text.contains("{{")),
            Piece::Placeholder(name) => assert!(placeholders.contains(&name.as_str())),
        }
    }
    let mut unique = placeholders.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), placeholders.len());
    let missing = parsed.render(|_| None).err().unwrap_or_default();
    assert_eq!(missing, placeholders);
    assert!(parsed.render(|_| Some(value.as_str())).is_ok());
});
