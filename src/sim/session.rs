//! One open port of a simulated modem: reads bytes from the host, frames them into command
//! lines and `+CMGS` bodies, echoes, runs them against the modem's state, and writes the
//! answers and the unsolicited result codes the network queues for it; runs the modem's
//! timers (latency, noise, `+CNMA` deadline, reboot) with `tokio::time`.
//!
//! Never imports `at/`, `modem/` or anything higher. Invariants: input never panics the
//! session (lines and bodies are bounded; anything that is not a command line is ignored);
//! the modem lock is never held across an `.await`; unsolicited output is written only
//! between responses (never inside one), except the deliberate `urc_mid_response` fault.

use super::codes::{frame, frame_bytes, Final, CMS_BAD_PDU};
use super::commands;
use super::modem::Event;
use super::network;
use super::parse::parse_line;
use super::reply::{Next, Prompt};
use super::sms;
use super::Inner;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::time::{sleep, sleep_until, Instant};

/// Longest command line kept; longer ones answer `ERROR`.
pub(crate) const MAX_LINE: usize = 1024;

const CTRL_Z: u8 = 0x1A;
const ESC: u8 = 0x1B;
const BACKSPACE: u8 = 0x08;

/// What the framer found in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Input {
    /// A command line (without its CR); `true` if it was too long and got cut.
    Line(Vec<u8>, bool),
    /// A `+CMGS` body ended by Ctrl-Z; `true` if it was too long.
    Body(Vec<u8>, bool),
    /// ESC inside the prompt.
    Cancel,
    /// CR inside a text-mode body: the modem prompts again.
    TextNewline,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Mode {
    #[default]
    Command,
    Pdu,
    Text,
}

/// Splits the byte stream: lines end at CR (LF ignored); in the prompt, bodies end at
/// Ctrl-Z and ESC cancels.
#[derive(Debug, Default)]
pub(crate) struct Framer {
    buf: Vec<u8>,
    overflow: bool,
    mode: Mode,
}

impl Framer {
    pub(crate) fn enter_prompt(&mut self, text: bool) {
        self.mode = if text { Mode::Text } else { Mode::Pdu };
        self.buf.clear();
        self.overflow = false;
    }

    pub(crate) fn leave_prompt(&mut self) {
        self.mode = Mode::Command;
        self.buf.clear();
        self.overflow = false;
    }

    fn keep(&mut self, byte: u8, max: usize) {
        if self.buf.len() < max {
            self.buf.push(byte);
        } else {
            self.overflow = true;
        }
    }

    fn take(&mut self) -> (Vec<u8>, bool) {
        let overflow = std::mem::replace(&mut self.overflow, false);
        (std::mem::take(&mut self.buf), overflow)
    }

    pub(crate) fn push(&mut self, byte: u8) -> Option<Input> {
        match (self.mode, byte) {
            (_, BACKSPACE) => {
                self.buf.pop();
                None
            }
            (Mode::Command, b'\r') => {
                let (line, overflow) = self.take();
                Some(Input::Line(line, overflow))
            }
            (Mode::Command, b) if b < 0x20 || b == 0x7F => None,
            (Mode::Command, b) => {
                self.keep(b, MAX_LINE);
                None
            }
            (_, CTRL_Z) => {
                let (body, overflow) = self.take();
                self.mode = Mode::Command;
                Some(Input::Body(body, overflow))
            }
            (_, ESC) => {
                self.leave_prompt();
                Some(Input::Cancel)
            }
            (Mode::Text, b'\r') => {
                self.keep(b'\n', sms::MAX_BODY);
                Some(Input::TextNewline)
            }
            (_, b) if b < 0x20 => None,
            (_, b) => {
                self.keep(b, sms::MAX_BODY);
                None
            }
        }
    }
}

/// Where a session writes.
struct Session<W> {
    inner: Arc<Inner>,
    modem: usize,
    writer: W,
    framer: Framer,
    prompt: Option<Prompt>,
    /// The input a stall caught, answered when the stall ends.
    late: Option<Input>,
}

/// Runs a session until the host closes the port, the port is reopened elsewhere
/// (`rx` closes), or a write fails.
pub(crate) async fn run<S>(
    inner: Arc<Inner>,
    modem: usize,
    generation: u64,
    stream: S,
    mut rx: mpsc::Receiver<Event>,
) where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (mut reader, writer) = tokio::io::split(stream);
    let mut session = Session {
        inner: inner.clone(),
        modem,
        writer,
        framer: Framer::default(),
        prompt: None,
        late: None,
    };
    let mut buf = [0u8; 512];
    loop {
        let (deadline, stall_ends) = match inner.modem(modem) {
            Ok(state) => (state.next_deadline(), state.stalled_until),
            Err(_) => break,
        };
        // The caught input is answered when the stall ends — or at once if it was cleared.
        let late_at = session
            .late
            .as_ref()
            .map(|_| stall_ends.unwrap_or_else(Instant::now));
        let deadline = deadline.into_iter().chain(late_at).min();
        let timer = async {
            match deadline {
                Some(at) => sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        let alive = tokio::select! {
            read = reader.read(&mut buf) => match read {
                Ok(0) | Err(_) => false,
                Ok(n) => session.feed(buf.get(..n).unwrap_or_default()).await,
            },
            event = rx.recv() => match event {
                None => false,
                Some(Event::Output(bytes)) => session.write(&bytes).await,
                Some(Event::Wake) => true,
            },
            () = timer => {
                let now = Instant::now();
                if let Ok(mut state) = inner.modem(modem) {
                    state.tick(now);
                }
                let stall_over = inner
                    .modem(modem)
                    .map_or(true, |state| state.stalled_until.is_none_or(|t| t <= now));
                match session.late.take_if(|_| stall_over) {
                    Some(input) => session.handle(input).await,
                    None => true,
                }
            }
        };
        if !alive {
            break;
        }
    }
    if let Ok(mut state) = inner.modem(modem) {
        state.close_session(generation);
    }
}

impl<W: AsyncWrite + Unpin> Session<W> {
    async fn write(&mut self, bytes: &[u8]) -> bool {
        if bytes.is_empty() {
            return true;
        }
        self.writer.write_all(bytes).await.is_ok() && self.writer.flush().await.is_ok()
    }

    /// Handles a chunk of input; `false` when the port is gone.
    async fn feed(&mut self, bytes: &[u8]) -> bool {
        for &byte in bytes {
            if self.silent() {
                continue;
            }
            if let Some(input) = self.framer.push(byte) {
                if self.stalls(&input) {
                    continue;
                }
                if !self.handle(input).await {
                    return false;
                }
            }
        }
        true
    }

    /// A hung, rebooting or stalled modem reads and discards.
    fn silent(&self) -> bool {
        self.inner
            .modem(self.modem)
            .map_or(true, |s| s.silent(Instant::now()))
    }

    /// The input that starts a stall is kept to be answered when it ends.
    fn stalls(&mut self, input: &Input) -> bool {
        let caught = match input {
            Input::Line(line, _) => parse_line(&String::from_utf8_lossy(line)).is_some(),
            Input::Body(..) => true,
            Input::Cancel | Input::TextNewline => false,
        };
        if !caught {
            return false;
        }
        let started = match self.inner.modem(self.modem) {
            Ok(mut state) => state.begin_stall(Instant::now()).is_some(),
            Err(_) => false,
        };
        if started {
            self.late = Some(input.clone());
        }
        started
    }

    async fn handle(&mut self, input: Input) -> bool {
        match input {
            Input::Line(line, overflow) => {
                let out = self.command(&line, overflow);
                self.write(&out).await
            }
            Input::Body(body, overflow) => self.body(&body, overflow).await,
            Input::Cancel => {
                self.prompt = None;
                self.write(b"\r\nOK\r\n").await
            }
            Input::TextNewline => self.write(b"\r\n> ").await,
        }
    }

    /// Runs a command line and returns what to write (echo included).
    fn command(&mut self, line: &[u8], overflow: bool) -> Vec<u8> {
        let text = String::from_utf8_lossy(line);
        if parse_line(&text).is_none() {
            return Vec::new();
        }
        let Ok(mut state) = self.inner.modem(self.modem) else {
            return Vec::new();
        };
        state.session_commands += 1;
        if state
            .config
            .faults
            .hang_after
            .is_some_and(|k| state.session_commands > k)
        {
            state.hung = true;
            return Vec::new();
        }
        state.counters.commands += 1;
        let mut out = Vec::new();
        if state.settings.echo {
            out.extend_from_slice(line);
            out.push(b'\r');
        }
        if overflow {
            out.extend(frame(&Final::Error.line(state.settings.cmee)));
            return out;
        }
        let Some(reply) = commands::execute(&mut state, &text) else {
            return out;
        };
        let mid_response = state.config.faults.urc_mid_response;
        let prompt = matches!(reply.next, Next::Prompt(_));
        let mid =
            (mid_response && !prompt && !reply.info.is_empty()).then(|| state.mid_response_urc());
        out.extend(reply.render(state.settings.cmee, mid.as_deref()));
        match reply.next {
            Next::Prompt(p) => {
                if mid_response {
                    let urc = state.mid_response_urc();
                    out.extend(frame(&urc));
                }
                self.framer.enter_prompt(matches!(p, Prompt::Text { .. }));
                self.prompt = Some(p);
            }
            Next::Reboot => state.reboot(Instant::now()),
            Next::Final(_) => {}
        }
        out
    }

    /// The body after the prompt: check, wait the latency, route, answer `+CMGS: <mr>`.
    async fn body(&mut self, body: &[u8], overflow: bool) -> bool {
        let Some(prompt) = self.prompt.take() else {
            return true;
        };
        self.framer.leave_prompt();
        let text = String::from_utf8_lossy(body);
        let (echo, checked) = {
            let Ok(mut state) = self.inner.modem(self.modem) else {
                return false;
            };
            let echo = state.settings.echo;
            let checked = if overflow {
                Err(Final::Cms(CMS_BAD_PDU))
            } else {
                sms::parse_body(&state, &prompt, &text)
            };
            let checked = checked
                .map(|submit| (submit, state.sample_latency()))
                .inspect_err(|_| state.counters.send_failures += 1);
            (echo, checked)
        };
        if echo && !self.write(body).await {
            return false;
        }
        let (submit, latency) = match checked {
            Ok(ok) => ok,
            Err(error) => return self.final_result(error).await,
        };
        if !latency.is_zero() {
            sleep(latency).await;
        }
        let accepted = match self.inner.modem(self.modem) {
            Ok(mut state) => sms::accept_submit(&mut state),
            Err(_) => return false,
        };
        let mr = match accepted {
            Ok(mr) => mr,
            Err(error) => return self.final_result(error).await,
        };
        network::route_submit(&self.inner, self.modem, &submit, mr);
        let out = {
            let Ok(mut state) = self.inner.modem(self.modem) else {
                return false;
            };
            let mut out = frame(&format!("+CMGS: {mr}"));
            if state.config.faults.urc_mid_response {
                let urc = state.mid_response_urc();
                out.extend(frame(&urc));
            }
            out.extend(frame("OK"));
            out
        };
        self.write(&out).await
    }

    async fn final_result(&mut self, error: Final) -> bool {
        let line = match self.inner.modem(self.modem) {
            Ok(state) => error.line(state.settings.cmee),
            Err(_) => return false,
        };
        self.write(&frame_bytes(line.as_bytes())).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(framer: &mut Framer, bytes: &[u8]) -> Vec<Input> {
        bytes.iter().filter_map(|&b| framer.push(b)).collect()
    }

    #[test]
    fn lines_end_at_cr_and_ignore_lf_and_escape() {
        let mut f = Framer::default();
        assert_eq!(
            feed(&mut f, b"AT\r\nA\x1bTX\x08E0\r"),
            vec![
                Input::Line(b"AT".to_vec(), false),
                Input::Line(b"ATE0".to_vec(), false)
            ]
        );
    }

    #[test]
    fn prompt_bodies_and_cancel() {
        let mut f = Framer::default();
        f.enter_prompt(false);
        assert_eq!(
            feed(&mut f, b"00\r\n11\x1a"),
            vec![Input::Body(b"0011".to_vec(), false)]
        );
        f.enter_prompt(true);
        assert_eq!(
            feed(&mut f, b"a\rb\x1b"),
            vec![Input::TextNewline, Input::Cancel]
        );
    }

    #[test]
    fn overlong_input_is_cut_and_flagged() {
        let mut f = Framer::default();
        let mut long = vec![b'A'; MAX_LINE + 10];
        long.push(b'\r');
        match feed(&mut f, &long).pop() {
            Some(Input::Line(line, true)) => assert_eq!(line.len(), MAX_LINE),
            other => panic!("{other:?}"),
        }
    }
}
