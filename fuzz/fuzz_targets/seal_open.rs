//! Fuzz target: arbitrary text as a sealed value (what a damaged or edited database could
//! hold) never panics `Sealer::open`, and nothing but a value sealed under the key opens; a
//! value sealed from the input's text opens back to it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsgate::seal::Sealer;

fuzz_target!(|input: (String, String)| {
    let (stored, plain) = input;
    let sealer = Sealer::new([7; 32]);
    if let Ok(opened) = sealer.open(&stored) {
        // Only a genuine seal opens: forging one needs the key.
        assert_eq!(sealer.seal(&opened).len(), stored.len());
    }
    let _ = sealer.open(&format!("{}{stored}", smsgate::seal::PREFIX));
    assert_eq!(sealer.open(&sealer.seal(&plain)).as_deref(), Ok(plain.as_str()));
});
