//! Framing of the bytes a modem sends into lines and the SMS prompt.
//!
//! V.250 responses are `\r\n<text>\r\n`, but modems differ: some end lines with a bare CR
//! or LF, some send NUL or 0xFF noise after a reset, and the `+CMGS` prompt `> ` arrives
//! with no line end at all. `LineBuffer` is pure (bytes in, frames out), so it is tested
//! and fuzzed without I/O, and it survives any split of the input into reads.
//!
//! Invariants: every byte is consumed exactly once; a line is never longer than
//! [`MAX_LINE`] (a longer run is cut, so a modem spewing garbage cannot grow memory
//! without bound); empty lines are dropped; the prompt is recognised only when the caller
//! is waiting for one, so a `>` inside ordinary text is never mistaken for it.

/// Longest line kept; a PDU line is at most ~360 hex characters, text-mode lines less.
pub const MAX_LINE: usize = 2048;

/// One unit of modem output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A line without its terminator, lossily decoded as UTF-8.
    Line(String),
    /// The `> ` prompt of `+CMGS`/`+CMGW`.
    Prompt,
}

/// Accumulates bytes and yields frames.
#[derive(Debug, Default)]
pub struct LineBuffer {
    buf: Vec<u8>,
}

impl LineBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes read from the modem.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() > MAX_LINE * 2 && !self.buf.iter().any(|&b| b == b'\r' || b == b'\n') {
            // A runaway line: keep only the tail, which is what a later terminator ends.
            let cut = self.buf.len() - MAX_LINE;
            self.buf.drain(..cut);
        }
    }

    /// Whether bytes are waiting that do not form a frame yet.
    pub fn has_partial(&self) -> bool {
        self.buf.iter().any(|&b| !is_noise(b))
    }

    /// The next complete frame, if any. `want_prompt`: the engine is waiting for `> `.
    pub fn next_frame(&mut self, want_prompt: bool) -> Option<Frame> {
        loop {
            // Skip terminators and noise in front of the next line.
            let start = self
                .buf
                .iter()
                .position(|&b| !is_noise(b))
                .unwrap_or(self.buf.len());
            self.buf.drain(..start);
            if self.buf.is_empty() {
                return None;
            }
            if want_prompt && self.buf.first() == Some(&b'>') {
                // "> " (or a bare ">" that some modems send) with no line end after it.
                let len = if self.buf.get(1) == Some(&b' ') { 2 } else { 1 };
                self.buf.drain(..len);
                return Some(Frame::Prompt);
            }
            let end = self.buf.iter().position(|&b| b == b'\r' || b == b'\n')?;
            let line: Vec<u8> = self.buf.drain(..end).collect();
            let text = String::from_utf8_lossy(line.get(..MAX_LINE).unwrap_or(&line));
            let text = text.trim_matches(|c: char| c.is_whitespace() || c.is_control());
            if !text.is_empty() {
                return Some(Frame::Line(text.to_string()));
            }
        }
    }
}

/// Bytes that never start a line: terminators, NUL, 0xFF (seen after resets) and spaces.
fn is_noise(b: u8) -> bool {
    matches!(b, b'\r' | b'\n' | 0 | 0xFF | b' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[&[u8]], want_prompt: bool) -> Vec<Frame> {
        let mut lb = LineBuffer::new();
        let mut out = Vec::new();
        for chunk in input {
            lb.push(chunk);
            while let Some(f) = lb.next_frame(want_prompt) {
                out.push(f);
            }
        }
        out
    }

    fn line(s: &str) -> Frame {
        Frame::Line(s.to_string())
    }

    #[test]
    fn v250_lines_in_any_split() {
        let whole: &[u8] = b"\r\n+CSQ: 20,99\r\n\r\nOK\r\n";
        let expected = vec![line("+CSQ: 20,99"), line("OK")];
        for split in 0..whole.len() {
            let (a, b) = whole.split_at(split);
            assert_eq!(frames(&[a, b], false), expected, "split at {split}");
        }
    }

    #[test]
    fn bare_cr_bare_lf_and_noise_bytes() {
        assert_eq!(
            frames(&[b"\x00\xFFRDY\rOK\n\n+CMTI: \"SM\",1\r"], false),
            vec![line("RDY"), line("OK"), line("+CMTI: \"SM\",1")]
        );
    }

    #[test]
    fn the_prompt_needs_no_line_end_but_only_when_expected() {
        assert_eq!(frames(&[b"\r\n> "], true), vec![Frame::Prompt]);
        assert_eq!(frames(&[b"\r\n>"], true), vec![Frame::Prompt]);
        // Not waiting for a prompt: "> " is just an incomplete line.
        assert_eq!(frames(&[b"\r\n> "], false), vec![]);
        // A URC right after the prompt is still a line.
        assert_eq!(
            frames(&[b"\r\n> \r\n^RSSI: 5\r\n"], true),
            vec![Frame::Prompt, line("^RSSI: 5")]
        );
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        assert_eq!(
            frames(&[b"A\xC3\x28B\r\n"], false),
            vec![line("A\u{FFFD}(B")]
        );
    }

    #[test]
    fn a_runaway_line_does_not_grow_without_bound() {
        let mut lb = LineBuffer::new();
        for _ in 0..100 {
            lb.push(&[b'x'; 1000]);
        }
        assert!(lb.buf.len() <= MAX_LINE * 2 + 1000);
        lb.push(b"\r\n");
        match lb.next_frame(false) {
            Some(Frame::Line(l)) => assert!(l.len() <= MAX_LINE),
            other => panic!("{other:?}"),
        }
    }
}
