//! Fuzz target: any line (with any trailing lines) parses into a typed URC or `Other`,
//! and any text parses as a parameter list, without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsgate::at::params;
use smsgate::at::Urc;

fuzz_target!(|input: (String, Vec<String>)| {
    let (line, trailing) = input;
    let _ = Urc::parse(&line, &trailing);
    let _ = params::parse(&line);
    let _ = params::split_info(&line);
});
