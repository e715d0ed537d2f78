//! The AT engine: one task per port that owns the byte stream, runs one command at a time
//! and routes every line (see `classify`) to the command that waits for it or to the URC
//! stream.
//!
//! Shape (mini-redis's bounded actor): [`AtClient`] handles send requests over a bounded
//! channel and get the answer on a oneshot; the engine task selects over the next request
//! (only when idle), bytes from the port, the running command's deadline, and flushing URCs
//! to a bounded channel.
//!
//! Invariants:
//! - One command in flight; every command has a deadline (by class, see [`Deadlines`]).
//! - A missed `> ` prompt is cancelled with ESC. After any deadline is missed the engine
//!   *resynchronises* before the next command: it discards answers until the port has been
//!   quiet for a moment, so a late `OK` can never be taken as the next command's answer.
//! - A URC never enters a command's response, and an answer never enters the URC stream.
//!   URCs are never dropped while fewer than [`URC_BACKLOG`] are waiting; the engine keeps
//!   reading (and answering commands) while the consumer is slow.
//! - Every line written and read is traced at debug level as `w: …` / `r: …` (target
//!   `smsgate::at`), the format of the transcripts in `docs/modems.md` — except secrets:
//!   the argument of `AT+CPIN=` (and other password commands) is never logged.

use super::classify::{classify, Expectation, LineClass};
use super::error::AtError;
use super::frame::{Frame, LineBuffer};
use super::params::{self, Param};
use super::urc::Urc;
use std::collections::VecDeque;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{sleep_until, Instant};
use tracing::{debug, warn, Instrument};

/// URCs held while the consumer is slow before the oldest are dropped (with a warning).
pub const URC_BACKLOG: usize = 1024;
const CTRL_Z: u8 = 0x1A;
const ESC: u8 = 0x1B;

/// Deadlines per command class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// Queries and settings (`AT+CSQ`, `AT+CMGF=0`): about 2 s on every modem seen.
    pub quick: Duration,
    /// Commands that touch the SIM or network (`+CPIN`, `+CMGL` of a full SIM, `+COPS`).
    pub slow: Duration,
    /// From `AT+CMGS=<n>` to the `> ` prompt.
    pub prompt: Duration,
    /// From the PDU to `+CMGS: <mr>`: the network round trip, up to 120 s on a bad cell.
    pub submit: Duration,
    /// Quiet time that ends a resynchronisation.
    pub resync_quiet: Duration,
    /// Longest a resynchronisation may take.
    pub resync_max: Duration,
}

impl Default for Deadlines {
    fn default() -> Self {
        Self {
            quick: Duration::from_secs(2),
            slow: Duration::from_secs(30),
            prompt: Duration::from_secs(10),
            submit: Duration::from_secs(120),
            resync_quiet: Duration::from_millis(300),
            resync_max: Duration::from_secs(3),
        }
    }
}

/// The class of a command, which picks its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// [`Deadlines::quick`].
    Quick,
    /// [`Deadlines::slow`].
    Slow,
    /// An explicit deadline.
    Within(Duration),
}

/// The information lines of a successful command, in order, without echo or URCs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    /// The lines.
    pub lines: Vec<String>,
}

impl Response {
    /// Parameters of the first line named `name` (e.g. `+CSQ`).
    pub fn info(&self, name: &str) -> Option<Vec<Param>> {
        self.all_info(name).next()
    }

    /// Parameters of every line named `name`.
    pub fn all_info<'a>(&'a self, name: &'a str) -> impl Iterator<Item = Vec<Param>> + 'a {
        self.lines.iter().filter_map(move |line| {
            params::split_info(line)
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, p)| p)
        })
    }

    /// The first line that is not a named information line (e.g. the IMEI of `AT+CGSN`).
    pub fn plain_line(&self) -> Option<&str> {
        self.lines
            .iter()
            .map(String::as_str)
            .find(|l| params::split_info(l).is_none())
    }
}

struct Request {
    command: String,
    body: Option<String>,
    class: Class,
    reply: oneshot::Sender<Result<Response, AtError>>,
}

enum Job {
    Command(Request),
    /// Send ESC and wait for quiet: used at start and by health recovery.
    Resync(oneshot::Sender<()>),
}

/// A handle to the engine of one port. Cheap to clone; the engine stops (and closes the
/// port) when every handle is dropped.
#[derive(Clone)]
pub struct AtClient {
    jobs: mpsc::Sender<Job>,
}

impl AtClient {
    /// Runs `command` (e.g. `AT+CSQ`) with the quick deadline.
    pub async fn command(&self, command: &str) -> Result<Response, AtError> {
        self.run(command, None, Class::Quick).await
    }

    /// Runs `command` with the given deadline class.
    pub async fn command_in(&self, command: &str, class: Class) -> Result<Response, AtError> {
        self.run(command, None, class).await
    }

    /// Runs a two-phase command: `command` (e.g. `AT+CMGS=23`), wait for `> `, then `body`
    /// and Ctrl-Z; the answer (e.g. `+CMGS: 7`) comes within `Deadlines::submit`.
    pub async fn command_with_body(&self, command: &str, body: &str) -> Result<Response, AtError> {
        if body.bytes().any(|b| b == CTRL_Z || b == ESC) {
            return Err(AtError::InvalidCommand(
                "the body may not contain Ctrl-Z or ESC",
            ));
        }
        self.run(command, Some(body.to_string()), Class::Quick)
            .await
    }

    /// Cancels whatever the modem is doing (ESC) and waits until the port is quiet.
    pub async fn resync(&self) -> Result<(), AtError> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Job::Resync(tx))
            .await
            .map_err(|_| AtError::Closed)?;
        rx.await.map_err(|_| AtError::Closed)
    }

    async fn run(
        &self,
        command: &str,
        body: Option<String>,
        class: Class,
    ) -> Result<Response, AtError> {
        if command
            .bytes()
            .any(|b| b == b'\r' || b == b'\n' || b == CTRL_Z || b == ESC)
        {
            return Err(AtError::InvalidCommand(
                "a command is one line without control characters",
            ));
        }
        let (reply, rx) = oneshot::channel();
        let request = Request {
            command: command.to_string(),
            body,
            class,
            reply,
        };
        self.jobs
            .send(Job::Command(request))
            .await
            .map_err(|_| AtError::Closed)?;
        rx.await.map_err(|_| AtError::Closed)?
    }
}

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Name for logs (the modem's name).
    pub name: String,
    /// Deadlines per class.
    pub deadlines: Deadlines,
    /// Requests that may wait for the engine.
    pub request_queue: usize,
    /// URCs buffered in the channel to the consumer.
    pub urc_queue: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            name: "modem".to_string(),
            deadlines: Deadlines::default(),
            request_queue: 16,
            urc_queue: 64,
        }
    }
}

/// Starts the engine on `io`. Returns the client handle, the URC stream (closed when the
/// port closes), and the task.
pub fn spawn<IO>(io: IO, config: EngineConfig) -> (AtClient, mpsc::Receiver<Urc>, JoinHandle<()>)
where
    IO: AsyncRead + AsyncWrite + Send + 'static,
{
    let (jobs_tx, jobs_rx) = mpsc::channel(config.request_queue.max(1));
    let (urc_tx, urc_rx) = mpsc::channel(config.urc_queue.max(1));
    let span = tracing::debug_span!("at", modem = %config.name);
    let engine = Engine {
        deadlines: config.deadlines,
        buffer: LineBuffer::new(),
        urcs: urc_tx,
        backlog: VecDeque::new(),
        pending_urc: None,
    };
    let task = tokio::spawn(engine.run(io, jobs_rx).instrument(span));
    (AtClient { jobs: jobs_tx }, urc_rx, task)
}

/// A URC whose trailing lines (a PDU) are still being read — or a `+CUSD` whose quoted
/// text spans lines (menus: `+CUSD: 1,"1 Balance` CR LF `2 Top up",15`), read until its
/// quote closes.
struct PendingUrc {
    line: String,
    trailing: Vec<String>,
    wanted: usize,
    /// Continuation lines of an open quote (at most [`MAX_QUOTED_LINES`]).
    open_quote: Option<usize>,
}

/// Most lines a quoted URC string may span before it is handed on as it is.
const MAX_QUOTED_LINES: usize = 32;

/// Whether `line` leaves a double quote open.
fn quote_open(line: &str) -> bool {
    line.bytes().filter(|&b| b == b'"').count() % 2 == 1
}

enum Phase {
    /// Waiting for `> ` (the body is written when it comes).
    Prompt,
    /// Waiting for the final result code.
    Final,
}

struct Running {
    request: Request,
    expectation: Expectation,
    phase: Phase,
    deadline: Instant,
    lines: Vec<String>,
}

struct Engine {
    deadlines: Deadlines,
    buffer: LineBuffer,
    urcs: mpsc::Sender<Urc>,
    backlog: VecDeque<Urc>,
    pending_urc: Option<PendingUrc>,
}

/// What the engine is doing between jobs.
enum State {
    Idle,
    Busy(Box<Running>),
    /// Discarding until quiet; the waiter (if any) is told when done.
    Resyncing {
        quiet_until: Instant,
        give_up: Instant,
        waiter: Option<oneshot::Sender<()>>,
    },
}

impl Engine {
    async fn run<IO: AsyncRead + AsyncWrite>(mut self, io: IO, mut jobs: mpsc::Receiver<Job>) {
        let (mut reader, mut writer) = tokio::io::split(io);
        let mut state = State::Idle;
        let mut read_buf = vec![0u8; 1024];
        loop {
            let wake_at = match &state {
                State::Idle => None,
                State::Busy(r) => Some(r.deadline),
                State::Resyncing {
                    quiet_until,
                    give_up,
                    ..
                } => Some((*quiet_until).min(*give_up)),
            };
            // A clone, so that waiting for room does not borrow the engine.
            let urc_sender = (!self.backlog.is_empty()).then(|| self.urcs.clone());
            tokio::select! {
                job = jobs.recv(), if matches!(state, State::Idle) => {
                    let Some(job) = job else { break };
                    state = self.start(job, &mut writer).await;
                }
                read = reader.read(&mut read_buf) => {
                    let n = match read {
                        Ok(0) => { debug!("r: <EOF>"); break }
                        Ok(n) => n,
                        Err(e) => { warn!("read failed: {e}"); break }
                    };
                    self.buffer.push(read_buf.get(..n).unwrap_or_default());
                    if let State::Resyncing { quiet_until, .. } = &mut state {
                        *quiet_until = Instant::now() + self.deadlines.resync_quiet;
                    }
                    state = self.drain_frames(state, &mut writer).await;
                }
                () = sleep_until(wake_at.unwrap_or_else(Instant::now)), if wake_at.is_some() => {
                    state = self.on_deadline(state, &mut writer).await;
                }
                permit = reserve(urc_sender.as_ref()), if urc_sender.is_some() => {
                    match (permit, self.backlog.pop_front()) {
                        (Some(permit), Some(urc)) => permit.send(urc),
                        // The consumer is gone: nobody will read the backlog.
                        (None, _) => self.backlog.clear(),
                        (Some(_), None) => {}
                    }
                }
            }
        }
        // The port closed or every client is gone: fail what is running and waiting.
        if let State::Busy(running) = state {
            // A body already written may have been acted on: say so, it is not a plain close.
            let error = if matches!(running.phase, Phase::Final) && running.request.body.is_some() {
                AtError::ClosedAfterBody
            } else {
                AtError::Closed
            };
            let _ = running.request.reply.send(Err(error));
        }
        jobs.close();
        while let Ok(job) = jobs.try_recv() {
            if let Job::Command(r) = job {
                let _ = r.reply.send(Err(AtError::Closed));
            }
        }
        // Hand over what the consumer has not taken yet; stop if it is gone.
        for urc in std::mem::take(&mut self.backlog) {
            if self.urcs.send(urc).await.is_err() {
                break;
            }
        }
    }

    async fn start<W: AsyncWrite + Unpin>(&mut self, job: Job, writer: &mut W) -> State {
        match job {
            Job::Resync(waiter) => self.begin_resync(writer, Some(waiter)).await,
            Job::Command(request) => {
                let now = Instant::now();
                let deadline = now
                    + match (&request.body, request.class) {
                        (Some(_), _) => self.deadlines.prompt,
                        (None, Class::Quick) => self.deadlines.quick,
                        (None, Class::Slow) => self.deadlines.slow,
                        (None, Class::Within(d)) => d,
                    };
                let mut expectation = Expectation::for_command(&request.command);
                expectation.body = request.body.clone();
                debug!("w: {}", redacted(&request.command));
                let line = format!("{}\r", request.command);
                if let Err(e) = write_within(writer, line.as_bytes(), deadline).await {
                    let _ = request.reply.send(Err(e));
                    return self.begin_resync(writer, None).await;
                }
                let phase = if request.body.is_some() {
                    Phase::Prompt
                } else {
                    Phase::Final
                };
                State::Busy(Box::new(Running {
                    request,
                    expectation,
                    phase,
                    deadline,
                    lines: Vec::new(),
                }))
            }
        }
    }

    async fn begin_resync<W: AsyncWrite + Unpin>(
        &mut self,
        writer: &mut W,
        waiter: Option<oneshot::Sender<()>>,
    ) -> State {
        debug!("w: <ESC> (resync)");
        let now = Instant::now();
        let _ = write_within(writer, &[ESC], now + self.deadlines.quick).await;
        State::Resyncing {
            quiet_until: now + self.deadlines.resync_quiet,
            give_up: now + self.deadlines.resync_max,
            waiter,
        }
    }

    async fn on_deadline<W: AsyncWrite + Unpin>(&mut self, state: State, writer: &mut W) -> State {
        match state {
            State::Busy(running) if Instant::now() >= running.deadline => {
                let elapsed = match running.phase {
                    Phase::Prompt => AtError::NoPrompt(self.deadlines.prompt),
                    Phase::Final => {
                        AtError::Timeout(match (&running.request.body, running.request.class) {
                            (Some(_), _) => self.deadlines.submit,
                            (None, Class::Quick) => self.deadlines.quick,
                            (None, Class::Slow) => self.deadlines.slow,
                            (None, Class::Within(d)) => d,
                        })
                    }
                };
                warn!(command = %redacted(&running.request.command), "{elapsed}");
                let _ = running.request.reply.send(Err(elapsed));
                self.begin_resync(writer, None).await
            }
            State::Resyncing {
                quiet_until,
                give_up,
                waiter,
            } => {
                let now = Instant::now();
                if now >= quiet_until || now >= give_up {
                    if now >= give_up && now < quiet_until {
                        warn!("port still chattering after resync; continuing");
                    }
                    self.buffer = LineBuffer::new();
                    if let Some(w) = waiter {
                        let _ = w.send(());
                    }
                    State::Idle
                } else {
                    State::Resyncing {
                        quiet_until,
                        give_up,
                        waiter,
                    }
                }
            }
            other => other,
        }
    }

    /// Handles every complete frame in the buffer.
    async fn drain_frames<W: AsyncWrite + Unpin>(
        &mut self,
        mut state: State,
        writer: &mut W,
    ) -> State {
        loop {
            let want_prompt = matches!(&state, State::Busy(r) if matches!(r.phase, Phase::Prompt));
            let Some(frame) = self.buffer.next_frame(want_prompt) else {
                return state;
            };
            state = match frame {
                Frame::Prompt => match state {
                    State::Busy(running) => self.write_body(running, writer).await,
                    other => other,
                },
                Frame::Line(line) => self.on_line(line, state),
            };
        }
    }

    async fn write_body<W: AsyncWrite + Unpin>(
        &mut self,
        mut running: Box<Running>,
        writer: &mut W,
    ) -> State {
        let body = running.request.body.clone().unwrap_or_default();
        debug!("r: > ");
        // The body is a message (a PDU, or text in text mode): what it says may be a secret
        // (an OTP code, trivially decoded from the hex) and is never the engine's to log.
        debug!("w: <message body, {} characters><Ctrl-Z>", body.len());
        let mut bytes = body.into_bytes();
        bytes.push(CTRL_Z);
        running.deadline = Instant::now() + self.deadlines.submit;
        if let Err(e) = write_within(writer, &bytes, running.deadline).await {
            let _ = running.request.reply.send(Err(e));
            return self.begin_resync(writer, None).await;
        }
        running.phase = Phase::Final;
        State::Busy(running)
    }

    fn on_line(&mut self, line: String, state: State) -> State {
        debug!("r: {}", redacted(&line));
        // Lines that belong to a URC read just before (the PDU of +CMT/+CDS) come first.
        if let Some(mut pending) = self.pending_urc.take() {
            if let Some(lines) = pending.open_quote {
                pending.line.push('\n');
                pending.line.push_str(&line);
                if quote_open(&line) || lines + 1 >= MAX_QUOTED_LINES {
                    self.emit(Urc::parse(&pending.line, &[]));
                } else {
                    pending.open_quote = Some(lines + 1);
                    self.pending_urc = Some(pending);
                }
                return state;
            }
            if is_hex(&line) {
                pending.trailing.push(line);
                if pending.trailing.len() >= pending.wanted {
                    self.emit(Urc::parse(&pending.line, &pending.trailing));
                } else {
                    self.pending_urc = Some(pending);
                }
                return state;
            }
            // Not a PDU: the modem sent no body after all. Hand the URC on as it is and
            // classify this line normally.
            warn!(urc = %pending.line, "URC without its PDU line");
            self.emit(Urc::parse(&pending.line, &pending.trailing));
        }
        let expectation = match &state {
            State::Busy(running) => Some(&running.expectation),
            _ => None,
        };
        match classify(&line, expectation) {
            LineClass::Urc { trailing: 0 } if line.starts_with("+CUSD") && quote_open(&line) => {
                self.pending_urc = Some(PendingUrc {
                    line,
                    trailing: Vec::new(),
                    wanted: 0,
                    open_quote: Some(0),
                })
            }
            LineClass::Urc { trailing: 0 } => self.emit(Urc::parse(&line, &[])),
            LineClass::Urc { trailing } => {
                self.pending_urc = Some(PendingUrc {
                    line,
                    trailing: Vec::new(),
                    wanted: trailing,
                    open_quote: None,
                })
            }
            LineClass::Echo => {}
            LineClass::Unsolicited => {
                if !matches!(state, State::Resyncing { .. }) {
                    // Not a URC we know, and nobody asked: keep it for the log (a late
                    // `+CMGS: <mr>` after a deadline shows up here, and matters).
                    self.emit(Urc::Other(line));
                }
            }
            LineClass::Info => {
                if let State::Busy(mut running) = state {
                    running.lines.push(line);
                    return State::Busy(running);
                }
            }
            LineClass::Final(result) => {
                if let State::Busy(running) = state {
                    let Running { request, lines, .. } = *running;
                    let _ = request.reply.send(result.map(|()| Response { lines }));
                    return State::Idle;
                }
            }
        }
        state
    }

    fn emit(&mut self, urc: Urc) {
        if !self.backlog.is_empty() {
            self.push_backlog(urc);
            return;
        }
        match self.urcs.try_send(urc) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(urc)) => self.push_backlog(urc),
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    fn push_backlog(&mut self, urc: Urc) {
        if self.backlog.len() >= URC_BACKLOG {
            if let Some(dropped) = self.backlog.pop_front() {
                warn!(?dropped, "URC consumer too slow; dropping the oldest URC");
            }
        }
        self.backlog.push_back(urc);
    }
}

/// The command as it may appear in a log: PINs, PUKs and passwords are hidden.
fn redacted(command: &str) -> std::borrow::Cow<'_, str> {
    let upper = command.to_ascii_uppercase();
    // `+CUSD`: a USSD string may carry a PIN or voucher (`*123*<pin>#`).
    let secret = ["AT+CPIN=", "AT+CLCK=", "AT+CPWD=", "AT^CPIN=", "AT+CUSD="];
    match secret.iter().find(|p| upper.starts_with(*p)) {
        Some(prefix) => format!(
            "{}<redacted>",
            command.get(..prefix.len()).unwrap_or_default()
        )
        .into(),
        None => command.into(),
    }
}

async fn reserve(sender: Option<&mpsc::Sender<Urc>>) -> Option<mpsc::Permit<'_, Urc>> {
    sender?.reserve().await.ok()
}

fn is_hex(line: &str) -> bool {
    !line.is_empty() && line.bytes().all(|b| b.is_ascii_hexdigit())
}

async fn write_within<W: AsyncWrite + Unpin>(
    writer: &mut W,
    bytes: &[u8],
    deadline: Instant,
) -> Result<(), AtError> {
    let write = async {
        writer.write_all(bytes).await?;
        writer.flush().await
    };
    match tokio::time::timeout_at(deadline, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(AtError::Io(e.to_string())),
        Err(_) => Err(AtError::Timeout(
            deadline.saturating_duration_since(Instant::now()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn pins_never_reach_the_trace() {
        assert_eq!(redacted("AT+CPIN=\"1234\""), "AT+CPIN=<redacted>");
        assert_eq!(redacted("at+cpin=\"1234\",\"5678\""), "at+cpin=<redacted>");
        assert_eq!(redacted("AT+CPIN?"), "AT+CPIN?");
    }

    #[test]
    fn ussd_codes_never_reach_the_trace() {
        // A USSD string may carry a PIN or a voucher (`*123*<pin>#`).
        assert_eq!(
            redacted("AT+CUSD=1,\"*123*4711#\",15"),
            "AT+CUSD=<redacted>"
        );
        assert_eq!(redacted("AT+CUSD=2"), "AT+CUSD=<redacted>");
        assert_eq!(redacted("AT+CUSD?"), "AT+CUSD?");
    }
}
