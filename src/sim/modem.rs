//! The state of one simulated modem — SIM, settings of the current session, SM and ME storage,
//! registration, the TP-MR counter, counters — and what happens when the network hands it
//! a message: store and `+CMTI`, or route it to the host as `+CMT` / `+CDS` and wait for
//! `+CNMA`, per `+CNMI` and `+CSMS`.
//!
//! Synchronous: the state sits behind a mutex in the network and is never held across an
//! `.await`; output to the host goes through the session's bounded channel (`try_send`, a
//! full channel drops the URC and counts it). The AT commands themselves are in
//! [`super::commands`] and [`super::sms`]. Never imports `at/`, `modem/` or anything higher.
//!
//! Invariants: a message the network handed over is stored, held until a slot frees, shown
//! to the host, or counted as dropped — never lost silently; at most one `+CMT`/`+CDS`
//! awaits `+CNMA` at a time (TS 27.005 §3.4.1), later ones queue behind it; opening the port
//! resets the session settings but never the storage or the TP-MR counter.

use super::codes::{frame, frame_bytes, frame_with_body};
use super::config::{Latency, SimModemConfig};
use super::storage::{Kind, Memories, Memory, Stat, Storage, Stored};
use super::text_mode;
use crate::pdu::{Address, EncodedPdu};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The network's service centre, shown by `+CSCA?` and put in front of delivered PDUs.
pub(crate) const NETWORK_SMSC: &str = "+15550009999";
/// How long the host has to acknowledge a `+CMT`/`+CDS` with `+CNMA` (`+CSMS=1`).
pub(crate) const ACK_TIMEOUT: Duration = Duration::from_secs(15);
/// How long `AT+CFUN=1,1` keeps the modem silent before `RDY`.
pub(crate) const REBOOT_DELAY: Duration = Duration::from_secs(1);
/// Messages the network holds for a modem whose storage is full.
const MAX_HELD: usize = 1000;
/// Indications buffered while `+CNMI` mode is 0.
const MAX_BUFFERED: usize = 16;
/// Capacity of a session's output channel.
pub(crate) const CHANNEL_CAPACITY: usize = 256;

/// Something for the session task.
#[derive(Debug)]
pub(crate) enum Event {
    /// Bytes to write (an unsolicited result code, already framed).
    Output(Vec<u8>),
    /// Timers changed: recompute deadlines.
    Wake,
}

/// Per-modem counters, as `GET /modems` and [`crate::sim::SimNetwork::counters`] show them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counters {
    /// Command lines answered.
    pub commands: u64,
    /// Segments accepted by `+CMGS`.
    pub segments_sent: u64,
    /// SMS-DELIVER segments the network handed to this modem.
    pub segments_received: u64,
    /// Status reports the network handed to this modem.
    pub status_reports: u64,
    /// `+CMGS` answered with an error after the body.
    pub send_failures: u64,
    /// `+CMT`/`+CDS` sent a second time because `+CNMA` did not come in time.
    pub redeliveries: u64,
    /// `+CMT`/`+CDS` dropped after the redelivery was not acknowledged either.
    pub cnma_timeouts: u64,
    /// Unsolicited lines lost because the host did not read (full channel) or no port was open.
    pub urcs_dropped: u64,
    /// Messages dropped: network hold queue full, or status reports with `ds=0`.
    pub messages_dropped: u64,
    /// Messages in SM and ME storage now.
    pub stored: usize,
    /// Messages the network holds because the storage is full.
    pub held: usize,
}

/// The SIM's lock state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SimLock {
    Ready,
    Pin { attempts_left: u8 },
    Puk { attempts_left: u8 },
}

/// Settings of one session (reset by opening the port, `ATZ` and `AT+CFUN=1,1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settings {
    pub echo: bool,
    pub cmee: u8,
    pub text_mode: bool,
    pub csms: u8,
    /// mode, mt, bm, ds, bfr.
    pub cnmi: [u8; 5],
    pub creg: u8,
    pub cgreg: u8,
    pub cereg: u8,
    pub cops_format: u8,
    /// `+CPMS` `<mem1>` (read, list, delete), `<mem2>` (write), `<mem3>` (receive).
    pub cpms: [Memory; 3],
    /// First octet of text-mode SUBMITs (`+CSMP`); 0x20 asks for a status report.
    pub csmp_fo: u8,
    /// The TE character set (`+CSCS`): `IRA`, `GSM` or `UCS2`.
    pub cscs: String,
    /// `+CSDH=1`: text-mode headers with their optional fields.
    pub csdh: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            echo: true,
            cmee: 0,
            text_mode: false,
            csms: 0,
            cnmi: [0; 5],
            creg: 0,
            cgreg: 0,
            cereg: 0,
            cops_format: 0,
            cpms: [Memory::Sm; 3],
            csmp_fo: 17,
            cscs: "IRA".into(),
            csdh: false,
        }
    }
}

impl Settings {
    pub(crate) fn mt(&self) -> u8 {
        self.cnmi[1]
    }

    pub(crate) fn ds(&self) -> u8 {
        self.cnmi[3]
    }
}

/// A message routed to the host rather than stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Direct {
    pub kind: Kind,
    pub tpdu: Vec<u8>,
}

#[derive(Debug, Clone)]
pub(crate) struct AckWait {
    pub direct: Direct,
    pub deadline: Instant,
    pub redelivered: bool,
}

/// The open port: where unsolicited output goes.
#[derive(Debug)]
pub(crate) struct Link {
    pub generation: u64,
    pub tx: mpsc::Sender<Event>,
}

/// IMEI, IMSI, ICCID.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub imei: String,
    pub imsi: String,
    pub iccid: String,
}

/// Appends the Luhn check digit to `digits`.
pub(crate) fn with_luhn(digits: &str) -> String {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b.saturating_sub(b'0'));
            if i % 2 == 0 {
                let doubled = d * 2;
                doubled / 10 + doubled % 10
            } else {
                d
            }
        })
        .sum();
    format!("{digits}{}", (10 - sum % 10) % 10)
}

impl Identity {
    /// Stable for a seed and index, and distinct between the modems of one network: the
    /// index is part of every number (tests find simulated modems by IMEI).
    fn generate(index: usize, rng: &mut StdRng) -> Self {
        let index = index % 1000;
        let serial: u32 = rng.random_range(0..100_000);
        let subscriber: u64 = rng.random_range(0..10_000_000);
        let card: u64 = rng.random_range(0..100_000_000_000);
        Self {
            imei: with_luhn(&format!("352099{index:03}{serial:05}")),
            imsi: format!("00101{index:03}{subscriber:07}"),
            iccid: with_luhn(&format!("8901{index:03}{card:011}")),
        }
    }
}

/// One simulated modem.
#[derive(Debug)]
pub(crate) struct ModemState {
    pub index: usize,
    pub msisdn: String,
    pub config: SimModemConfig,
    pub identity: Identity,
    pub sim: SimLock,
    pub pin: Option<String>,
    pub puk: String,
    pub settings: Settings,
    /// Registration status the network gives (what `set_registration` set).
    pub registration: u8,
    pub fun: u8,
    pub smsc: String,
    pub memories: Memories,
    pub held: VecDeque<Stored>,
    pub next_mr: u8,
    pub counters: Counters,
    pub link: Option<Link>,
    pub generation: u64,
    pub ack: Option<AckWait>,
    pub direct_queue: VecDeque<Direct>,
    pub buffered: VecDeque<Vec<u8>>,
    pub session_commands: u64,
    pub hung: bool,
    /// Silent until then ([`super::config::Stall`]).
    pub stalled_until: Option<Instant>,
    /// The configured stall has happened.
    pub stall_done: bool,
    /// `segments_sent` when the stall was configured: it counts submits from there.
    pub stall_base: u64,
    pub reboot_at: Option<Instant>,
    pub noise_at: Option<Instant>,
    /// The USSD menu waiting for a reply.
    pub ussd_session: Option<super::ussd::Session>,
    pub rng: StdRng,
}

impl ModemState {
    pub(crate) fn new(index: usize, config: SimModemConfig, seed: u64) -> Self {
        let mut rng =
            StdRng::seed_from_u64(seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let identity = Identity::generate(index, &mut rng);
        let pin = config.pin.clone();
        Self {
            index,
            msisdn: config.msisdn.clone(),
            memories: Memories::new(config.storage_capacity),
            sim: if pin.is_some() {
                SimLock::Pin { attempts_left: 3 }
            } else {
                SimLock::Ready
            },
            pin,
            puk: "12345678".into(),
            config,
            identity,
            settings: Settings::default(),
            registration: 1,
            fun: 1,
            smsc: NETWORK_SMSC.into(),
            held: VecDeque::new(),
            next_mr: 0,
            counters: Counters::default(),
            link: None,
            generation: 0,
            ack: None,
            direct_queue: VecDeque::new(),
            buffered: VecDeque::new(),
            session_commands: 0,
            hung: false,
            stalled_until: None,
            stall_done: false,
            stall_base: 0,
            reboot_at: None,
            noise_at: None,
            ussd_session: None,
            rng,
        }
    }

    /// A new port session: default settings, no hang, a fresh output channel. Messages
    /// that awaited `+CNMA` on the old session are stored (the network re-sends them and the
    /// default `+CNMI` stores them).
    pub(crate) fn open_session(&mut self, tx: mpsc::Sender<Event>) -> u64 {
        self.generation += 1;
        self.link = Some(Link {
            generation: self.generation,
            tx,
        });
        self.reset_settings();
        self.session_commands = 0;
        self.hung = false;
        self.reboot_at = None;
        self.ussd_session = None;
        self.schedule_noise();
        self.generation
    }

    /// The session of `generation` ended.
    pub(crate) fn close_session(&mut self, generation: u64) {
        if self
            .link
            .as_ref()
            .is_some_and(|l| l.generation == generation)
        {
            self.link = None;
            self.flush_unacknowledged();
        }
    }

    /// Settings back to defaults (`ATZ`, reopening the port, reboot).
    pub(crate) fn reset_settings(&mut self) {
        self.settings = Settings::default();
        self.buffered.clear();
        self.flush_unacknowledged();
    }

    fn flush_unacknowledged(&mut self) {
        let pending: Vec<Direct> = self
            .ack
            .take()
            .map(|a| a.direct)
            .into_iter()
            .chain(self.direct_queue.drain(..))
            .collect();
        for direct in pending {
            self.store(direct.kind, direct.tpdu, false);
        }
    }

    /// `AT+CFUN=1,1`: settings reset, the SIM locks again, silence until `RDY`.
    pub(crate) fn reboot(&mut self, now: Instant) {
        self.reset_settings();
        if self.pin.is_some() {
            self.sim = SimLock::Pin { attempts_left: 3 };
        }
        self.fun = 1;
        self.reboot_at = Some(now + REBOOT_DELAY);
    }

    pub(crate) fn schedule_noise(&mut self) {
        self.noise_at = self
            .config
            .faults
            .noise_interval
            .filter(|d| !d.is_zero())
            .map(|d| Instant::now() + d);
    }

    /// Registration status as the modem reports it now.
    pub(crate) fn reg_stat(&self) -> u8 {
        if self.config.faults.no_sim || self.sim != SimLock::Ready || self.fun != 1 {
            0
        } else {
            self.registration
        }
    }

    pub(crate) fn registered(&self) -> bool {
        matches!(self.reg_stat(), 1 | 5)
    }

    /// The delay before `+CMGS` answers.
    pub(crate) fn sample_latency(&mut self) -> Duration {
        match self.config.latency {
            Latency::Fixed(d) => d,
            Latency::Range(a, b) if b > a => self.rng.random_range(a..=b),
            Latency::Range(a, _) => a,
        }
    }

    /// Hung, rebooting or stalled: reads and discards, says nothing.
    pub(crate) fn silent(&self, now: Instant) -> bool {
        self.hung || self.reboot_at.is_some() || self.stalled_until.is_some_and(|t| now < t)
    }

    /// Starts the configured stall if it is due; returns when it ends.
    pub(crate) fn begin_stall(&mut self, now: Instant) -> Option<Instant> {
        let stall = self.config.faults.stall?;
        let submits = self.counters.segments_sent.saturating_sub(self.stall_base);
        if self.stall_done || submits < stall.after_submits {
            return None;
        }
        self.stall_done = true;
        let until = now + stall.duration;
        self.stalled_until = Some(until);
        Some(until)
    }

    /// Writes unsolicited bytes to the host, if a port is open and the modem answers.
    pub(crate) fn emit(&mut self, bytes: Vec<u8>) {
        if self.silent(Instant::now()) {
            self.counters.urcs_dropped += 1;
            return;
        }
        let sent = self
            .link
            .as_ref()
            .is_some_and(|link| link.tx.try_send(Event::Output(bytes)).is_ok());
        if !sent {
            self.counters.urcs_dropped += 1;
        }
    }

    pub(crate) fn emit_line(&mut self, line: &str) {
        self.emit(frame(line));
    }

    /// Asks the session to recompute its timers.
    pub(crate) fn wake(&self) {
        if let Some(link) = &self.link {
            let _ = link.tx.try_send(Event::Wake);
        }
    }

    /// An SMS indication (`+CMTI`, `+CMT`, `+CDS`, `+CDSI`): buffered in `+CNMI` mode 0.
    fn emit_indication(&mut self, bytes: Vec<u8>) {
        if self.settings.cnmi[0] == 0 {
            if self.buffered.len() >= MAX_BUFFERED {
                self.buffered.pop_front();
                self.counters.urcs_dropped += 1;
            }
            self.buffered.push_back(bytes);
        } else {
            self.emit(bytes);
        }
    }

    /// `+CNMI` left mode 0: flush (`bfr=0`) or clear (`bfr=1`) the buffered indications.
    pub(crate) fn flush_buffered(&mut self) {
        let buffered: Vec<Vec<u8>> = self.buffered.drain(..).collect();
        if self.settings.cnmi[4] == 0 {
            for bytes in buffered {
                self.emit(bytes);
            }
        }
    }

    /// The network hands this modem a TPDU.
    pub(crate) fn receive(&mut self, kind: Kind, tpdu: Vec<u8>) {
        let direct = match kind {
            Kind::Deliver => {
                self.counters.segments_received += 1;
                self.settings.mt() == 2
            }
            Kind::StatusReport => {
                self.counters.status_reports += 1;
                match self.settings.ds() {
                    0 => {
                        self.counters.messages_dropped += 1;
                        return;
                    }
                    1 => true,
                    _ => false,
                }
            }
        };
        if direct && self.link.is_some() {
            self.route_direct(Direct { kind, tpdu });
        } else {
            self.store(kind, tpdu, true);
        }
    }

    /// Stores a message and announces it; a full storage makes the network hold it.
    fn store(&mut self, kind: Kind, tpdu: Vec<u8>, announce: bool) {
        let stored = Stored {
            stat: Stat::Unread,
            kind,
            tpdu,
        };
        let memory = self.settings.cpms[2];
        match self.memories.get_mut(memory).insert(stored.clone()) {
            Some(index) => {
                let urc = match kind {
                    Kind::Deliver if announce && matches!(self.settings.mt(), 1..=3) => {
                        Some(format!("+CMTI: \"{}\",{index}", memory.name()))
                    }
                    Kind::StatusReport if announce && self.settings.ds() == 2 => {
                        Some(format!("+CDSI: \"{}\",{index}", memory.name()))
                    }
                    _ => None,
                };
                if let Some(urc) = urc {
                    self.emit_indication(frame(&urc));
                }
            }
            None if self.held.len() < MAX_HELD => self.held.push_back(stored),
            None => self.counters.messages_dropped += 1,
        }
        self.refresh_gauges();
    }

    /// A slot may have freed: the network delivers what it held.
    pub(crate) fn deliver_held(&mut self) {
        while !self.receive_memory().is_full() {
            let Some(next) = self.held.pop_front() else {
                break;
            };
            self.store(next.kind, next.tpdu, true);
        }
        self.refresh_gauges();
    }

    /// Where received messages go (`<mem3>`).
    pub(crate) fn receive_memory(&self) -> &Storage {
        self.memories.get(self.settings.cpms[2])
    }

    /// What `+CMGR`, `+CMGL` and `+CMGD` work on (`<mem1>`).
    pub(crate) fn read_memory(&mut self) -> &mut Storage {
        self.memories.get_mut(self.settings.cpms[0])
    }

    pub(crate) fn refresh_gauges(&mut self) {
        self.counters.stored = self.memories.used();
        self.counters.held = self.held.len();
    }

    fn route_direct(&mut self, direct: Direct) {
        if self.settings.csms == 1 {
            if self.ack.is_some() {
                self.direct_queue.push_back(direct);
                return;
            }
            self.ack = Some(AckWait {
                direct: direct.clone(),
                deadline: Instant::now() + ACK_TIMEOUT,
                redelivered: false,
            });
            self.wake();
        }
        let bytes = self.direct_output(&direct);
        self.emit_indication(bytes);
    }

    /// `AT+CNMA`: `false` when nothing awaits an acknowledgement.
    pub(crate) fn acknowledge(&mut self) -> bool {
        if self.settings.csms != 1 || self.ack.take().is_none() {
            return false;
        }
        if let Some(next) = self.direct_queue.pop_front() {
            self.route_direct(next);
        }
        true
    }

    /// The `+CNMA` deadline passed: send once more, then give up.
    pub(crate) fn ack_expired(&mut self, now: Instant) {
        let Some(wait) = self.ack.as_mut() else {
            return;
        };
        if wait.deadline > now {
            return;
        }
        if wait.redelivered {
            self.ack = None;
            self.counters.cnma_timeouts += 1;
            if let Some(next) = self.direct_queue.pop_front() {
                self.route_direct(next);
            }
        } else {
            wait.redelivered = true;
            wait.deadline = now + ACK_TIMEOUT;
            let direct = wait.direct.clone();
            self.counters.redeliveries += 1;
            let bytes = self.direct_output(&direct);
            self.emit_indication(bytes);
        }
    }

    /// How text-mode output looks in this session.
    pub(crate) fn text_view(&self) -> text_mode::View<'_> {
        text_mode::View {
            details: self.settings.csdh,
            charset: &self.settings.cscs,
            smsc: &self.smsc,
        }
    }

    /// `+CMT: ,<len>\r\n<pdu>` or `+CDS: <len>\r\n<pdu>` (or their text-mode forms).
    fn direct_output(&self, direct: &Direct) -> Vec<u8> {
        let prefix = match direct.kind {
            Kind::Deliver => "+CMT",
            Kind::StatusReport => "+CDS",
        };
        if self.settings.text_mode {
            let rendered = text_mode::render(
                direct.kind,
                &direct.tpdu,
                None,
                text_mode::Form::Routed,
                self.text_view(),
            );
            if let Some((header, body)) = rendered {
                let header = format!("{prefix}: {header}");
                return match body {
                    Some(body) => frame_with_body(&header, &body),
                    None => frame(&header),
                };
            }
        }
        let header = match direct.kind {
            Kind::Deliver => format!("+CMT: ,{}", direct.tpdu.len()),
            Kind::StatusReport => format!("+CDS: {}", direct.tpdu.len()),
        };
        frame_with_body(&header, &pdu_hex(&direct.tpdu))
    }

    /// A URC to put inside a response (`urc_mid_response`).
    pub(crate) fn mid_response_urc(&mut self) -> String {
        match self.rng.random_range(0..3u8) {
            0 => format!("^RSSI: {}", self.rng.random_range(5..=31u8)),
            1 => "^MODE: 5,4".into(),
            _ => "+CREG: 1".into(),
        }
    }

    /// A random unsolicited line (`noise_interval`), as raw bytes without framing.
    pub(crate) fn noise_line(&mut self) -> Vec<u8> {
        match self.rng.random_range(0..6u8) {
            0 => format!("^RSSI: {}", self.rng.random_range(5..=31u8)).into_bytes(),
            1 => b"^MODE: 5,4".to_vec(),
            2 => b"+CREG: 1".to_vec(),
            3 => b"RING".to_vec(),
            4 => format!(
                "^BOOT:{},0,0,0,72",
                self.rng.random_range(10_000_000..99_999_999u32)
            )
            .into_bytes(),
            _ => {
                let len = self.rng.random_range(3..12usize);
                (0..len)
                    .map(|_| {
                        if self.rng.random_bool(0.2) {
                            0xFF
                        } else {
                            self.rng.random_range(b'!'..=b'~')
                        }
                    })
                    .collect()
            }
        }
    }

    /// The session's next deadline: reboot end, noise, or `+CNMA` timeout.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        [
            self.reboot_at,
            self.noise_at,
            self.ack.as_ref().map(|a| a.deadline),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs the timers due at `now`.
    pub(crate) fn tick(&mut self, now: Instant) {
        if self.reboot_at.is_some_and(|t| t <= now) {
            self.reboot_at = None;
            self.emit_line("RDY");
        }
        if self.noise_at.is_some_and(|t| t <= now) {
            let line = self.noise_line();
            self.emit(frame_bytes(&line));
            self.noise_at = self.config.faults.noise_interval.map(|d| now + d);
        }
        self.ack_expired(now);
    }
}

/// PDU-mode hex of a delivered TPDU: the network's SMSC in front.
pub(crate) fn pdu_hex(tpdu: &[u8]) -> String {
    let smsc = Address::parse(NETWORK_SMSC).ok();
    match EncodedPdu::new(smsc.as_ref(), tpdu) {
        Ok(pdu) => pdu.hex,
        Err(_) => format!("00{}", hex::encode_upper(tpdu)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn() {
        assert_eq!(with_luhn("7992739871"), "79927398713");
        let state = ModemState::new(0, SimModemConfig::default(), 7);
        assert_eq!(state.identity.imei.len(), 15);
        assert_eq!(with_luhn(&state.identity.imei[..14]), state.identity.imei);
        assert!(state.identity.iccid.starts_with("89"));
    }

    #[test]
    fn identities_are_stable_and_distinct_between_modems() {
        let ids: Vec<Identity> = (0..50)
            .map(|i| ModemState::new(i, SimModemConfig::default(), 7).identity)
            .collect();
        let again = ModemState::new(3, SimModemConfig::default(), 7).identity;
        assert_eq!(ids[3].imei, again.imei);
        for (i, a) in ids.iter().enumerate() {
            assert_eq!(with_luhn(&a.imei[..14]), a.imei);
            for b in &ids[i + 1..] {
                assert_ne!(a.imei, b.imei);
                assert_ne!(a.imsi, b.imsi);
                assert_ne!(a.iccid, b.iccid);
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn cnma_queue_and_redelivery() {
        let (tx, mut rx) = mpsc::channel(16);
        let mut m = ModemState::new(0, SimModemConfig::default(), 1);
        m.open_session(tx);
        m.settings.cnmi = [2, 2, 0, 1, 0];
        m.settings.csms = 1;
        m.receive(Kind::Deliver, vec![0x04, 0x00]);
        m.receive(Kind::Deliver, vec![0x04, 0x01]);
        assert_eq!(m.direct_queue.len(), 1);
        let first = m.ack.as_ref().unwrap().deadline;
        m.ack_expired(first);
        assert_eq!(m.counters.redeliveries, 1);
        let second = m.ack.as_ref().unwrap().deadline;
        m.ack_expired(second);
        assert_eq!(m.counters.cnma_timeouts, 1);
        assert!(m.acknowledge());
        assert!(!m.acknowledge());
        let mut outputs = 0;
        while let Ok(e) = rx.try_recv() {
            if matches!(e, Event::Output(_)) {
                outputs += 1;
            }
        }
        assert_eq!(outputs, 3);
    }

    #[test]
    fn full_storage_holds_then_delivers() {
        let config = SimModemConfig {
            storage_capacity: 1,
            ..SimModemConfig::default()
        };
        let mut m = ModemState::new(0, config, 1);
        m.receive(Kind::Deliver, vec![1]);
        m.receive(Kind::Deliver, vec![2]);
        assert_eq!((m.counters.stored, m.counters.held), (1, 1));
        m.memories.get_mut(Memory::Sm).delete(0).unwrap();
        m.deliver_held();
        assert_eq!((m.counters.stored, m.counters.held), (1, 0));
    }
}
