//! Fuzz target: arbitrary modem output, split into arbitrary reads, through the line
//! framer and the classifier (with and without a running command): no panic, every line
//! bounded, and re-framing the same bytes in one piece gives the same lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsgate::at::classify::{classify, Expectation};
use smsgate::at::frame::{Frame, LineBuffer, MAX_LINE};

fuzz_target!(|input: (u8, bool, Vec<u8>)| {
    let (split, want_prompt, bytes) = input;
    let chunk = usize::from(split).max(1);
    let expectation = Expectation::for_command("AT+CMGS=23");
    let mut pieces = LineBuffer::new();
    let mut framed = Vec::new();
    for part in bytes.chunks(chunk) {
        pieces.push(part);
        while let Some(frame) = pieces.next_frame(want_prompt) {
            if let Frame::Line(line) = &frame {
                assert!(line.len() <= MAX_LINE * 3); // lossy UTF-8 may widen bytes
                let _ = classify(line, Some(&expectation));
                let _ = classify(line, None);
            }
            framed.push(frame);
        }
    }
    if bytes.len() <= MAX_LINE {
        let mut whole = LineBuffer::new();
        whole.push(&bytes);
        let mut again = Vec::new();
        while let Some(frame) = whole.next_frame(want_prompt) {
            again.push(frame);
        }
        assert_eq!(framed, again);
    }
});
