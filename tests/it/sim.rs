//! The simulated modem network, spoken to in raw AT bytes over `SimNetwork::connect()`
//! under paused tokio time (no real sleeping), plus its pty and TCP serving and the control
//! API.

use smsgate::pdu::reassembly::{Accepted, Part};
use smsgate::pdu::{
    build_submits, Address, Content, EncodedPdu, EncodingChoice, Payload, PduModePdu, Reassembler,
    SegmentPlan, SegmentPolicy, StatusReport, SubmitOptions, Tpdu,
};
use smsgate::sim::{
    Faults, InboundEncoding, InboundOptions, Latency, LogKind, NetworkConfig, SimModemConfig,
    SimNetwork, SinkConfig, SinkOutcome, Stall,
};
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

/// A host end of a simulated port, with a read buffer.
struct Port {
    io: DuplexStream,
    buf: Vec<u8>,
}

const FINALS: [&str; 4] = [
    "\r\nOK\r\n",
    "\r\nERROR\r\n",
    "+CME ERROR: ",
    "+CMS ERROR: ",
];

impl Port {
    fn open(net: &SimNetwork, modem: usize) -> Self {
        Self {
            io: net.connect(modem),
            buf: Vec::new(),
        }
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.io.write_all(bytes).await.unwrap();
    }

    async fn fill(&mut self) {
        let mut chunk = [0u8; 1024];
        let n = tokio::time::timeout(Duration::from_secs(60), self.io.read(&mut chunk))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "no answer; buffer so far: {:?}",
                    String::from_utf8_lossy(&self.buf)
                )
            })
            .unwrap();
        assert!(n > 0, "port closed");
        self.buf.extend_from_slice(&chunk[..n]);
    }

    /// Everything up to and including `needle`.
    async fn until(&mut self, needle: &str) -> String {
        loop {
            if let Some(pos) = find(&self.buf, needle.as_bytes()) {
                let end = pos + needle.len();
                let out: Vec<u8> = self.buf.drain(..end).collect();
                return String::from_utf8_lossy(&out).into_owned();
            }
            self.fill().await;
        }
    }

    /// Everything up to and including the final result code (or the `> ` prompt).
    async fn response(&mut self) -> String {
        loop {
            if let Some(end) = final_end(&self.buf) {
                let out: Vec<u8> = self.buf.drain(..end).collect();
                return String::from_utf8_lossy(&out).into_owned();
            }
            self.fill().await;
        }
    }

    /// Sends `AT…` + CR and returns the whole answer.
    async fn cmd(&mut self, line: &str) -> String {
        self.send(format!("{line}\r").as_bytes()).await;
        self.response().await
    }

    /// Sends one PDU with `AT+CMGS` and returns the answer after Ctrl-Z.
    async fn cmgs(&mut self, pdu: &EncodedPdu) -> String {
        let prompt = self.cmd(&format!("AT+CMGS={}", pdu.tpdu_length)).await;
        assert!(prompt.ends_with("\r\n> "), "{prompt:?}");
        self.send(format!("{}\x1a", pdu.hex).as_bytes()).await;
        self.response().await
    }

    /// Asserts nothing arrives within `wait` (paused time).
    async fn silent_for(&mut self, wait: Duration) {
        let mut chunk = [0u8; 64];
        if let Ok(Ok(n)) = tokio::time::timeout(wait, self.io.read(&mut chunk)).await {
            panic!("unexpected: {:?}", String::from_utf8_lossy(&chunk[..n]));
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// End of the first final result code or prompt in `buf`.
fn final_end(buf: &[u8]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for f in FINALS {
        if let Some(pos) = find(buf, f.as_bytes()) {
            let end = if f.ends_with("\r\n") {
                pos + f.len()
            } else {
                pos + find(&buf[pos..], b"\r\n")? + 2
            };
            best = Some(best.map_or(end, |b: usize| b.min(end)));
        }
    }
    if let Some(pos) = find(buf, b"\r\n> ") {
        best = Some(best.map_or(pos + 4, |b| b.min(pos + 4)));
    }
    best
}

/// A port with echo off, numeric errors, PDU mode.
async fn ready(net: &SimNetwork, modem: usize) -> Port {
    let mut port = Port::open(net, modem);
    assert_eq!(port.cmd("ATE0").await, "ATE0\r\r\nOK\r\n");
    assert_eq!(port.cmd("AT+CMEE=1").await, "\r\nOK\r\n");
    port
}

fn submits(to: &str, text: &str, encoding: EncodingChoice, report: bool) -> Vec<EncodedPdu> {
    let policy = SegmentPolicy {
        encoding,
        ..SegmentPolicy::default()
    };
    let plan = SegmentPlan::new(Payload::Text(text), &policy).unwrap();
    build_submits(
        &plan,
        &SubmitOptions {
            destination: Some(Address::parse(to).unwrap()),
            status_report: report,
            reference: 42,
            ..SubmitOptions::default()
        },
    )
    .unwrap()
}

fn one_submit(to: &str, text: &str, report: bool) -> EncodedPdu {
    submits(to, text, EncodingChoice::Auto, report).remove(0)
}

/// `+CMGS: <mr>` of an answer.
fn mr_of(answer: &str) -> u8 {
    let start = answer.find("+CMGS: ").expect(answer) + 7;
    answer[start..]
        .split("\r\n")
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// The `(header, pdu)` pairs of `+CMGL`/`+CMGR`/`+CMT`/`+CDS` lines in an answer.
fn pdus(answer: &str) -> Vec<(String, PduModePdu)> {
    let lines: Vec<&str> = answer.split("\r\n").collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if ["+CMGL: ", "+CMGR: ", "+CMT: ", "+CDS: "]
            .iter()
            .any(|p| line.starts_with(p))
        {
            let pdu = PduModePdu::decode_hex(lines[i + 1]).expect(lines[i + 1]);
            out.push((line.to_string(), pdu));
        }
    }
    out
}

fn deliver_text(pdu: &PduModePdu) -> String {
    match &pdu.tpdu {
        Tpdu::Deliver(d) => match d.user_data.content() {
            Content::Text(t) => t,
            other => panic!("{other:?}"),
        },
        other => panic!("not a deliver: {other:?}"),
    }
}

fn status_report(pdu: &PduModePdu) -> StatusReport {
    match &pdu.tpdu {
        Tpdu::StatusReport(r) => r.clone(),
        other => panic!("not a status report: {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn init_dialogue_with_echo_on() {
    let net = SimNetwork::with_modems(1);
    let mut port = Port::open(&net, 0);
    assert_eq!(port.cmd("AT").await, "AT\r\r\nOK\r\n");
    assert_eq!(port.cmd("at").await, "at\r\r\nOK\r\n");
    assert_eq!(port.cmd("ATZ").await, "ATZ\r\r\nOK\r\n");
    assert_eq!(port.cmd("ATE0").await, "ATE0\r\r\nOK\r\n");
    assert_eq!(port.cmd("AT").await, "\r\nOK\r\n");
    assert_eq!(port.cmd("AT+CMEE=1").await, "\r\nOK\r\n");
    let ati = port.cmd("ATI").await;
    assert!(ati.starts_with("\r\nManufacturer: smsgate\r\n\r\nModel: SimModem\r\n\r\nRevision: "));
    assert_eq!(port.cmd("AT+CGMI").await, "\r\nsmsgate\r\n\r\nOK\r\n");
    assert_eq!(port.cmd("AT+CGMM").await, "\r\nSimModem\r\n\r\nOK\r\n");
    let imei = port.cmd("AT+CGSN").await;
    let imei = imei.trim_start().split("\r\n").next().unwrap().to_string();
    assert_eq!(imei.len(), 15);
    assert!(luhn_ok(&imei), "{imei}");
    assert_eq!(port.cmd("AT+CPIN?").await, "\r\n+CPIN: READY\r\n\r\nOK\r\n");
    let imsi = port.cmd("AT+CIMI").await;
    assert!(imsi.starts_with("\r\n00101"), "{imsi}");
    assert!(port.cmd("AT+CCID").await.starts_with("\r\n+CCID: 89"));
    assert_eq!(
        port.cmd("AT+CNUM").await,
        "\r\n+CNUM: ,\"+12025550101\",145\r\n\r\nOK\r\n"
    );
    assert_eq!(port.cmd("AT+CFUN?").await, "\r\n+CFUN: 1\r\n\r\nOK\r\n");
    assert_eq!(port.cmd("AT+CREG?").await, "\r\n+CREG: 0,1\r\n\r\nOK\r\n");
    assert_eq!(
        port.cmd("AT+CREG=2;+CREG?").await,
        "\r\n+CREG: 2,1,\"1A2B\",\"01C3D4E5\"\r\n\r\nOK\r\n"
    );
    assert_eq!(port.cmd("AT+CGREG?").await, "\r\n+CGREG: 0,1\r\n\r\nOK\r\n");
    assert_eq!(port.cmd("AT+CEREG?").await, "\r\n+CEREG: 0,1\r\n\r\nOK\r\n");
    assert_eq!(port.cmd("AT+COPS=3,0").await, "\r\nOK\r\n");
    assert_eq!(
        port.cmd("AT+COPS?").await,
        "\r\n+COPS: 0,0,\"SimNet\",7\r\n\r\nOK\r\n"
    );
    assert_eq!(port.cmd("AT+CSQ").await, "\r\n+CSQ: 20,99\r\n\r\nOK\r\n");
    assert_eq!(port.cmd("AT+CMGF=0").await, "\r\nOK\r\n");
    assert_eq!(port.cmd("AT+CMGF?").await, "\r\n+CMGF: 0\r\n\r\nOK\r\n");
    assert_eq!(
        port.cmd("AT+CSMS=1").await,
        "\r\n+CSMS: 1,1,1\r\n\r\nOK\r\n"
    );
    assert_eq!(
        port.cmd("AT+CSMS?").await,
        "\r\n+CSMS: 1,1,1,1\r\n\r\nOK\r\n"
    );
    assert_eq!(
        port.cmd("AT+CPMS=\"SM\",\"SM\",\"SM\"").await,
        "\r\n+CPMS: 0,30,0,30,0,30\r\n\r\nOK\r\n"
    );
    assert_eq!(
        port.cmd("AT+CPMS?").await,
        "\r\n+CPMS: \"SM\",0,30,\"SM\",0,30,\"SM\",0,30\r\n\r\nOK\r\n"
    );
    assert_eq!(port.cmd("AT+CPMS=\"BM\"").await, "\r\n+CMS ERROR: 302\r\n");
    assert_eq!(
        port.cmd("AT+CSCA?").await,
        "\r\n+CSCA: \"+15550009999\",145\r\n\r\nOK\r\n"
    );
    assert_eq!(
        port.cmd("AT+CNMI=?").await,
        "\r\n+CNMI: (0-3),(0-3),(0-3),(0-2),(0,1)\r\n\r\nOK\r\n"
    );
    assert_eq!(port.cmd("AT+CNMI=2,1,0,2,0").await, "\r\nOK\r\n");
    assert_eq!(
        port.cmd("AT+CNMI?").await,
        "\r\n+CNMI: 2,1,0,2,0\r\n\r\nOK\r\n"
    );
    assert_eq!(port.cmd("AT+CNMI=4").await, "\r\n+CMS ERROR: 303\r\n");
    assert_eq!(port.cmd("AT+CNMA").await, "\r\n+CMS ERROR: 340\r\n");
    // A command the modem does not have is a plain ERROR, whatever +CMEE says.
    assert_eq!(port.cmd("AT+BOGUS").await, "\r\nERROR\r\n");
    assert_eq!(port.cmd("AT+CMEE=0;+BOGUS").await, "\r\nERROR\r\n");
    assert_eq!(port.cmd("AT+CMEE=2;+BOGUS").await, "\r\nERROR\r\n");
    // Garbage and a bare ESC outside a prompt are ignored.
    port.send(b"\x1bhello\r").await;
    assert_eq!(port.cmd("AT").await, "\r\nOK\r\n");
    assert_eq!(net.counters(0).commands, 39);
}

fn luhn_ok(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                (d * 2) / 10 + (d * 2) % 10
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[tokio::test(start_paused = true)]
async fn send_to_another_modem_arrives_via_cmti_then_cmgr() {
    let net = SimNetwork::with_modems(2);
    let mut a = ready(&net, 0).await;
    let mut b = ready(&net, 1).await;
    assert_eq!(b.cmd("AT+CNMI=2,1,0,0,0").await, "\r\nOK\r\n");
    let answer = a
        .cmgs(&one_submit(&net.msisdn(1), "hello there", false))
        .await;
    assert_eq!(answer, "\r\n+CMGS: 0\r\n\r\nOK\r\n");
    assert_eq!(b.until("\r\n").await, "\r\n");
    assert_eq!(b.until("\r\n").await, "+CMTI: \"SM\",0\r\n");
    let read = b.cmd("AT+CMGR=0").await;
    assert!(read.starts_with("\r\n+CMGR: 0,,"), "{read}");
    let (_, pdu) = pdus(&read).remove(0);
    assert_eq!(deliver_text(&pdu), "hello there");
    let Tpdu::Deliver(deliver) = &pdu.tpdu else {
        unreachable!()
    };
    assert_eq!(deliver.originator.to_string(), "+12025550101");
    assert_eq!(pdu.smsc.as_ref().unwrap().to_string(), "+15550009999");
    // Read now.
    assert!(b.cmd("AT+CMGR=0").await.starts_with("\r\n+CMGR: 1,,"));
    assert_eq!(b.cmd("AT+CMGL=0").await, "\r\nOK\r\n");
    assert_eq!(b.cmd("AT+CMGL=4").await.matches("+CMGL: 0,1,,").count(), 1);
    assert_eq!(b.cmd("AT+CMGD=0").await, "\r\nOK\r\n");
    assert_eq!(b.cmd("AT+CMGR=0").await, "\r\n+CMS ERROR: 321\r\n");
    assert_eq!(b.cmd("AT+CMGD=99").await, "\r\n+CMS ERROR: 321\r\n");
    assert_eq!(net.counters(0).segments_sent, 1);
    assert_eq!(net.counters(1).segments_received, 1);
    assert!(net.sink().is_empty());
}

#[tokio::test(start_paused = true)]
async fn send_via_cmt_acknowledged_with_cnma_and_redelivered_without() {
    let net = SimNetwork::with_modems(2);
    let mut a = ready(&net, 0).await;
    let mut b = ready(&net, 1).await;
    assert!(b.cmd("AT+CSMS=1").await.ends_with("OK\r\n"));
    assert_eq!(b.cmd("AT+CNMI=2,2,0,0,0").await, "\r\nOK\r\n");
    a.cmgs(&one_submit(&net.msisdn(1), "first", false)).await;
    assert_eq!(b.until("+CMT: ").await, "\r\n+CMT: ");
    let header = b.until("\r\n").await;
    let hex_line = b.until("\r\n").await;
    let pdu = PduModePdu::decode_hex(hex_line.trim()).unwrap();
    assert_eq!(deliver_text(&pdu), "first");
    let length: usize = header.trim().trim_start_matches(',').parse().unwrap();
    assert_eq!(length, hex::decode(hex_line.trim()).unwrap().len() - 8);
    assert_eq!(b.cmd("AT+CNMA").await, "\r\nOK\r\n");
    assert_eq!(b.cmd("AT+CNMA").await, "\r\n+CMS ERROR: 340\r\n");
    // Not acknowledged: the network delivers it again once after 15 s, then gives up.
    a.cmgs(&one_submit(&net.msisdn(1), "second", false)).await;
    let first = b.until("\r\n+CMT: ").await;
    assert!(first.ends_with("+CMT: "));
    b.until("\r\n").await;
    let pdu_line = b.until("\r\n").await;
    let before = tokio::time::Instant::now();
    b.until("\r\n+CMT: ").await;
    assert!(tokio::time::Instant::now() - before >= Duration::from_secs(15));
    b.until("\r\n").await;
    assert_eq!(b.until("\r\n").await, pdu_line, "the same PDU again");
    b.silent_for(Duration::from_secs(40)).await;
    let counters = net.counters(1);
    assert_eq!((counters.redeliveries, counters.cnma_timeouts), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn status_report_via_cds_and_via_cdsi() {
    let net = SimNetwork::with_modems(2);
    let mut a = ready(&net, 0).await;
    assert_eq!(a.cmd("AT+CNMI=2,1,0,1,0").await, "\r\nOK\r\n");
    let answer = a.cmgs(&one_submit(&net.msisdn(1), "report me", true)).await;
    let mr = mr_of(&answer);
    let cds = a.until("\r\n+CDS: ").await;
    assert_eq!(cds, "\r\n+CDS: ");
    let len: usize = a.until("\r\n").await.trim().parse().unwrap();
    let hex_line = a.until("\r\n").await;
    let pdu = PduModePdu::decode_hex(hex_line.trim()).unwrap();
    let report = status_report(&pdu);
    assert_eq!(hex::decode(hex_line.trim()).unwrap().len() - 8, len);
    assert_eq!(report.message_ref, mr);
    assert_eq!(report.recipient.to_string(), net.msisdn(1));
    assert_eq!(report.status, 0);

    // ds=2: stored, announced with +CDSI, read with +CMGR.
    assert_eq!(a.cmd("AT+CNMI=2,1,0,2,0").await, "\r\nOK\r\n");
    let answer = a
        .cmgs(&one_submit("+4915112345678", "to the world", true))
        .await;
    let mr2 = mr_of(&answer);
    assert_eq!(mr2, mr.wrapping_add(1));
    assert_eq!(
        a.until("+CDSI: \"SM\",0\r\n").await,
        "\r\n+CDSI: \"SM\",0\r\n"
    );
    let read = a.cmd("AT+CMGR=0").await;
    let report = status_report(&pdus(&read).remove(0).1);
    assert_eq!((report.message_ref, report.status), (mr2, 0));
    assert_eq!(report.recipient.to_string(), "+4915112345678");
    let sink = net.sink();
    assert_eq!(sink.len(), 1);
    assert_eq!(sink[0].text, "to the world");
    assert_eq!(sink[0].message_ref, mr2);
    assert_eq!(net.counters(0).status_reports, 2);
}

#[tokio::test(start_paused = true)]
async fn sink_failure_prefixes_give_failed_reports() {
    let net = SimNetwork::new(NetworkConfig {
        sink: SinkConfig {
            fail_prefixes: vec!["+999".into()],
        },
        ..NetworkConfig::with_modems(1)
    });
    let mut a = ready(&net, 0).await;
    assert_eq!(a.cmd("AT+CNMI=2,1,0,1,0").await, "\r\nOK\r\n");
    a.cmgs(&one_submit("+999123", "nope", true)).await;
    a.until("+CDS: ").await;
    a.until("\r\n").await;
    let report = status_report(&PduModePdu::decode_hex(a.until("\r\n").await.trim()).unwrap());
    assert_eq!(report.status, 0x41);
    assert_eq!(net.sink()[0].outcome, SinkOutcome::Failed(0x41));
}

#[tokio::test(start_paused = true)]
async fn multipart_ucs2_arrives_intact() {
    let net = SimNetwork::with_modems(2);
    let mut a = ready(&net, 0).await;
    let mut b = ready(&net, 1).await;
    let text = "Привет, мир! 🌍 ".repeat(12);
    let parts = submits(&net.msisdn(1), &text, EncodingChoice::Ucs2, false);
    assert!(parts.len() >= 3);
    for part in &parts {
        assert!(a.cmgs(part).await.contains("+CMGS: "));
    }
    let listing = b.cmd("AT+CMGL=4").await;
    let received = pdus(&listing);
    assert_eq!(received.len(), parts.len());
    let mut reassembler = Reassembler::new(Duration::from_secs(60));
    let mut done = None;
    for (_, pdu) in received {
        let Tpdu::Deliver(d) = pdu.tpdu else { panic!() };
        let concat = d.user_data.header.as_ref().unwrap().concat().unwrap();
        let accepted = reassembler
            .accept(
                Part {
                    originator: d.originator.to_string(),
                    reference: concat.reference,
                    total: concat.total,
                    seq: concat.seq,
                    alphabet: d.user_data.alphabet,
                    charset: d.user_data.charset(),
                    body: d.user_data.body.clone(),
                },
                SystemTime::UNIX_EPOCH,
            )
            .unwrap();
        if let Accepted::Complete(message) = accepted {
            done = Some(message.content);
        }
    }
    assert_eq!(done, Some(Content::Text(text)));
}

#[tokio::test(start_paused = true)]
async fn tp_mr_wraps_after_256_sends() {
    let net = SimNetwork::with_modems(1);
    let mut a = ready(&net, 0).await;
    let pdu = one_submit("+4915112345678", "x", false);
    for expected in 0..=255u8 {
        assert_eq!(mr_of(&a.cmgs(&pdu).await), expected);
    }
    assert_eq!(mr_of(&a.cmgs(&pdu).await), 0);
    // The counter is the modem's, not the session's.
    let mut again = ready(&net, 0).await;
    assert_eq!(mr_of(&again.cmgs(&pdu).await), 1);
}

#[tokio::test(start_paused = true)]
async fn bad_bodies_cancel_and_length_mismatch() {
    let net = SimNetwork::with_modems(1);
    let mut a = ready(&net, 0).await;
    let pdu = one_submit("+4915112345678", "hi", false);
    // Wrong length.
    assert!(a
        .cmd(&format!("AT+CMGS={}", pdu.tpdu_length + 1))
        .await
        .ends_with("> "));
    a.send(format!("{}\x1a", pdu.hex).as_bytes()).await;
    assert_eq!(a.response().await, "\r\n+CMS ERROR: 304\r\n");
    // Not hex.
    a.cmd("AT+CMGS=5").await;
    a.send(b"ZZZZ\x1a").await;
    assert_eq!(a.response().await, "\r\n+CMS ERROR: 304\r\n");
    // ESC cancels.
    a.cmd("AT+CMGS=5").await;
    a.send(b"0011\x1b").await;
    assert_eq!(a.response().await, "\r\nOK\r\n");
    assert_eq!(a.cmd("AT+CMGS=abc").await, "\r\n+CMS ERROR: 304\r\n");
    assert_eq!(net.counters(0).send_failures, 2);
    assert_eq!(net.counters(0).segments_sent, 0);
}

#[tokio::test(start_paused = true)]
async fn latency_delays_the_answer() {
    let mut config = NetworkConfig::with_modems(1);
    config.modems[0].latency = Latency::Fixed(Duration::from_secs(3));
    let net = SimNetwork::new(config);
    let mut a = ready(&net, 0).await;
    let start = tokio::time::Instant::now();
    let answer = a.cmgs(&one_submit("+4915112345678", "slow", false)).await;
    assert!(answer.contains("+CMGS: 0"));
    assert!(tokio::time::Instant::now() - start >= Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn failure_rate_answers_cms_errors_from_the_list() {
    let net = SimNetwork::with_modems(1);
    net.set_faults(
        0,
        Faults {
            failure_rate: 1.0,
            failure_codes: vec![38, 500],
            ..Faults::default()
        },
    );
    let mut a = ready(&net, 0).await;
    let pdu = one_submit("+4915112345678", "fail", false);
    for _ in 0..10 {
        let answer = a.cmgs(&pdu).await;
        assert!(
            answer == "\r\n+CMS ERROR: 38\r\n" || answer == "\r\n+CMS ERROR: 500\r\n",
            "{answer}"
        );
    }
    assert_eq!(net.counters(0).send_failures, 10);
    net.set_faults(0, Faults::default());
    assert_eq!(mr_of(&a.cmgs(&pdu).await), 0, "failures use no reference");
}

#[tokio::test(start_paused = true)]
async fn hang_after_k_commands_until_the_port_is_reopened() {
    let net = SimNetwork::with_modems(1);
    net.set_faults(
        0,
        Faults {
            hang_after: Some(3),
            ..Faults::default()
        },
    );
    let mut port = Port::open(&net, 0);
    for _ in 0..3 {
        assert!(port.cmd("AT").await.ends_with("OK\r\n"));
    }
    port.send(b"AT\r").await;
    port.silent_for(Duration::from_secs(30)).await;
    net.inject_urc(0, "RING");
    port.silent_for(Duration::from_secs(1)).await;
    let mut reopened = Port::open(&net, 0);
    assert_eq!(reopened.cmd("AT").await, "AT\r\r\nOK\r\n");
}

#[tokio::test(start_paused = true)]
async fn a_stall_swallows_input_then_answers_the_command_it_caught_late() {
    let net = SimNetwork::with_modems(1);
    net.set_faults(
        0,
        Faults {
            stall: Some(Stall {
                after_submits: 1,
                duration: Duration::from_secs(20),
            }),
            ..Faults::default()
        },
    );
    let mut port = ready(&net, 0).await;
    let pdu = one_submit("+4915112345678", "before the stall", false);
    assert_eq!(mr_of(&port.cmgs(&pdu).await), 0);
    // The next command line starts the stall: no echo, no prompt, no URC.
    port.send(format!("AT+CMGS={}\r", pdu.tpdu_length).as_bytes())
        .await;
    port.silent_for(Duration::from_secs(5)).await;
    port.send(b"\x1bAT\r").await;
    net.inject_urc(0, "RING");
    port.silent_for(Duration::from_secs(14)).await;
    // The caught command is answered late; what came meanwhile was lost.
    assert_eq!(port.response().await, "\r\n> ");
    port.send(format!("{}\x1a", pdu.hex).as_bytes()).await;
    assert_eq!(mr_of(&port.response().await), 1);
    assert_eq!(net.counters(0).segments_sent, 2);
    // Once only: the modem works normally afterwards.
    assert_eq!(mr_of(&port.cmgs(&pdu).await), 2);
    // A stall set again counts submits from then; clearing it ends the silence at once.
    net.set_faults(
        0,
        Faults {
            stall: Some(Stall {
                after_submits: 1,
                duration: Duration::from_secs(3600),
            }),
            ..Faults::default()
        },
    );
    assert!(
        port.cmd("AT").await.ends_with("OK\r\n"),
        "3 submits so far, 0 since"
    );
    assert_eq!(mr_of(&port.cmgs(&pdu).await), 3);
    port.send(b"AT\r").await;
    port.silent_for(Duration::from_secs(60)).await;
    // Cleared: the caught `AT` is answered now, and the modem answers again.
    net.set_faults(0, Faults::default());
    assert_eq!(port.response().await, "\r\nOK\r\n");
    assert_eq!(port.cmd("AT").await, "\r\nOK\r\n");
    port.silent_for(Duration::from_secs(7200)).await;
}

#[tokio::test(start_paused = true)]
async fn noise_emits_random_urcs_between_responses() {
    let mut config = NetworkConfig::with_modems(1);
    config.modems[0].faults.noise_interval = Some(Duration::from_secs(5));
    let net = SimNetwork::new(config);
    let mut port = ready(&net, 0).await;
    let mut lines = 0;
    for _ in 0..6 {
        port.fill().await;
        lines += 1;
    }
    assert!(lines >= 6);
    // Commands still work and answers stay whole.
    let answer = port.cmd("AT+CSQ").await;
    assert!(answer.contains("+CSQ: 20,99\r\n\r\nOK\r\n"), "{answer:?}");
}

#[tokio::test(start_paused = true)]
async fn urc_mid_response_between_info_and_ok_after_prompt_and_after_cmgs() {
    let net = SimNetwork::with_modems(1);
    net.set_faults(
        0,
        Faults {
            urc_mid_response: true,
            ..Faults::default()
        },
    );
    let mut a = ready(&net, 0).await;
    let csq = a.cmd("AT+CSQ").await;
    let lines: Vec<&str> = csq.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{csq:?}");
    assert_eq!(lines[0], "+CSQ: 20,99");
    assert!(is_urc(lines[1]), "{csq:?}");
    assert_eq!(lines[2], "OK");
    let pdu = one_submit("+4915112345678", "mid", false);
    let prompt = a.cmd(&format!("AT+CMGS={}", pdu.tpdu_length)).await;
    assert_eq!(prompt, "\r\n> ");
    let urc = a.until("\r\n").await;
    let urc = urc + &a.until("\r\n").await;
    assert!(is_urc(urc.trim()), "{urc:?}");
    a.send(format!("{}\x1a", pdu.hex).as_bytes()).await;
    let answer = a.response().await;
    let lines: Vec<&str> = answer.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], "+CMGS: 0");
    assert!(is_urc(lines[1]), "{answer:?}");
    assert_eq!(lines[2], "OK");
}

fn is_urc(line: &str) -> bool {
    line.starts_with("^RSSI: ") || line == "^MODE: 5,4" || line == "+CREG: 1"
}

#[tokio::test(start_paused = true)]
async fn no_sim_answers_cme_10() {
    let mut config = NetworkConfig::with_modems(1);
    config.modems[0].faults.no_sim = true;
    let net = SimNetwork::new(config);
    let mut a = ready(&net, 0).await;
    assert_eq!(a.cmd("AT+CPIN?").await, "\r\n+CME ERROR: 10\r\n");
    assert_eq!(a.cmd("AT+CMGL=4").await, "\r\n+CME ERROR: 10\r\n");
    assert_eq!(a.cmd("AT+CREG?").await, "\r\n+CREG: 0,0\r\n\r\nOK\r\n");
}

#[tokio::test(start_paused = true)]
async fn pin_unlock_then_registration() {
    let mut config = NetworkConfig::with_modems(1);
    config.modems[0].pin = Some("1234".into());
    let net = SimNetwork::new(config);
    let mut a = ready(&net, 0).await;
    assert_eq!(a.cmd("AT+CPIN?").await, "\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n");
    assert_eq!(a.cmd("AT+CMGF=0").await, "\r\nOK\r\n");
    assert_eq!(a.cmd("AT+CPMS?").await, "\r\n+CME ERROR: 11\r\n");
    assert_eq!(a.cmd("AT+CMGS=20").await, "\r\n+CME ERROR: 11\r\n");
    assert_eq!(a.cmd("AT+CREG=1").await, "\r\nOK\r\n");
    assert_eq!(a.cmd("AT+CPIN=\"9999\"").await, "\r\n+CME ERROR: 16\r\n");
    assert_eq!(a.cmd("AT+CPIN=\"1234\"").await, "\r\nOK\r\n");
    assert_eq!(a.until("+CREG: 1\r\n").await, "\r\n+CREG: 1\r\n");
    assert_eq!(a.cmd("AT+CPIN?").await, "\r\n+CPIN: READY\r\n\r\nOK\r\n");
    // Three wrong PINs lock it with the PUK after a reboot.
    assert_eq!(a.cmd("AT+CFUN=1,1").await, "\r\nOK\r\n");
    a.until("\r\nRDY\r\n").await;
    assert_eq!(a.cmd("AT+CMEE=1").await, "AT+CMEE=1\r\r\nOK\r\n");
    for _ in 0..3 {
        assert!(a
            .cmd("AT+CPIN=\"0000\"")
            .await
            .ends_with("+CME ERROR: 16\r\n"));
    }
    assert!(a.cmd("AT+CPIN?").await.contains("+CPIN: SIM PUK"));
    assert!(a.cmd("AT+CIMI").await.ends_with("+CME ERROR: 12\r\n"));
}

#[tokio::test(start_paused = true)]
async fn cfun_reset_restores_defaults_and_says_rdy() {
    let net = SimNetwork::with_modems(1);
    let mut a = ready(&net, 0).await;
    assert_eq!(a.cmd("AT+CNMI=2,1,0,2,0").await, "\r\nOK\r\n");
    let start = tokio::time::Instant::now();
    assert_eq!(a.cmd("AT+CFUN=1,1").await, "\r\nOK\r\n");
    // Silent while rebooting.
    a.send(b"AT\r").await;
    assert_eq!(a.until("\r\nRDY\r\n").await, "\r\nRDY\r\n");
    assert!(tokio::time::Instant::now() - start >= Duration::from_secs(1));
    assert_eq!(
        a.cmd("AT+CNMI?").await,
        "AT+CNMI?\r\r\n+CNMI: 0,0,0,0,0\r\n\r\nOK\r\n"
    );
}

#[tokio::test(start_paused = true)]
async fn set_registration_emits_creg_per_mode() {
    let net = SimNetwork::with_modems(1);
    let mut a = ready(&net, 0).await;
    assert_eq!(a.cmd("AT+CREG=2;+CEREG=1").await, "\r\nOK\r\n");
    net.set_registration(0, 2);
    assert_eq!(a.until("\r\n+CREG: 2\r\n").await, "\r\n+CREG: 2\r\n");
    assert_eq!(a.until("\r\n+CEREG: 2\r\n").await, "\r\n+CEREG: 2\r\n");
    assert_eq!(
        a.cmgs(&one_submit("+4915112345678", "x", false)).await,
        "\r\n+CMGS: 0\r\n\r\nOK\r\n".replace("+CMGS: 0\r\n\r\nOK", "+CMS ERROR: 331")
    );
    net.set_registration(0, 5);
    assert_eq!(
        a.until("\r\n+CEREG: 5\r\n").await,
        "\r\n+CREG: 5,\"1A2B\",\"01C3D4E5\"\r\n\r\n+CEREG: 5\r\n"
    );
}

#[tokio::test(start_paused = true)]
async fn inbound_injection_multipart_storage_full_and_log() {
    let mut config = NetworkConfig::with_modems(1);
    config.modems[0].storage_capacity = 2;
    let net = SimNetwork::new(config);
    let mut log = net.subscribe_log();
    let mut a = ready(&net, 0).await;
    assert_eq!(a.cmd("AT+CNMI=2,1,0,0,0").await, "\r\nOK\r\n");
    let text = "A long message from the outside world. ".repeat(6);
    let segments = net
        .inject_inbound(
            0,
            "+4477009001",
            &text,
            InboundOptions {
                reference: Some(7),
                ..InboundOptions::default()
            },
        )
        .unwrap();
    assert_eq!(segments, 2);
    assert_eq!(
        a.until("+CMTI: \"SM\",1\r\n")
            .await
            .matches("+CMTI")
            .count(),
        2
    );
    // The storage is full: the third part waits in the network.
    let segments = net
        .inject_inbound(
            0,
            "MyBank",
            "Ünïcødé ☃",
            InboundOptions {
                encoding: InboundEncoding::Ucs2,
                class: Some(1),
                ..InboundOptions::default()
            },
        )
        .unwrap();
    assert_eq!(segments, 1);
    assert_eq!(net.counters(0).held, 1);
    let listing = a.cmd("AT+CMGL=4").await;
    let texts: String = pdus(&listing)
        .iter()
        .map(|(_, p)| deliver_text(p))
        .collect();
    assert_eq!(texts, text);
    assert_eq!(a.cmd("AT+CMGD=0").await, "\r\nOK\r\n");
    assert_eq!(
        a.until("+CMTI: \"SM\",0\r\n").await,
        "\r\n+CMTI: \"SM\",0\r\n"
    );
    let read = a.cmd("AT+CMGR=0").await;
    assert_eq!(deliver_text(&pdus(&read)[0].1), "Ünïcødé ☃");
    let records: Vec<_> = (0..3).map(|_| log.try_recv().unwrap()).collect();
    assert!(records.iter().all(|r| r.kind == LogKind::Inbound));
    assert_eq!(records[0].concat.unwrap().reference, 7);
    assert_eq!(records[2].encoding, "ucs2");
    let json = serde_json::to_string(&records[0]).unwrap();
    assert!(
        json.contains("\"concat\":{\"ref\":7,\"total\":2,\"seq\":1}"),
        "{json}"
    );
    assert!(net
        .inject_inbound(5, "+1", "x", InboundOptions::default())
        .is_err());
    assert!(net
        .inject_inbound(0, "", "x", InboundOptions::default())
        .is_err());
}

#[tokio::test(start_paused = true)]
async fn malformed_inbound_tpdus_are_listed_not_fatal() {
    let net = SimNetwork::with_modems(1);
    let mut a = ready(&net, 0).await;
    net.inject_inbound_tpdu(0, vec![0x04, 0xFF, 0x00]).unwrap();
    assert!(net.inject_inbound_tpdu(0, Vec::new()).is_err());
    let listing = a.cmd("AT+CMGL=4").await;
    assert!(
        listing.contains("+CMGL: 0,0,,3\r\n07915155009099F904FF00\r\n"),
        "{listing:?}"
    );
    assert_eq!(a.cmd("AT+CMGF=1").await, "\r\nOK\r\n");
    assert!(a.cmd("AT+CMGL=\"ALL\"").await.contains("+CMGL: 0,1,,3"));
}

#[tokio::test(start_paused = true)]
async fn text_mode_send_and_read() {
    let net = SimNetwork::with_modems(2);
    let mut a = ready(&net, 0).await;
    let mut b = ready(&net, 1).await;
    assert_eq!(a.cmd("AT+CMGF=1").await, "\r\nOK\r\n");
    assert_eq!(b.cmd("AT+CMGF=1").await, "\r\nOK\r\n");
    let prompt = a.cmd(&format!("AT+CMGS=\"{}\"", net.msisdn(1))).await;
    assert_eq!(prompt, "\r\n> ");
    a.send(b"line one\r").await;
    assert_eq!(a.until("> ").await, "\r\n> ");
    a.send(b"line two\x1a").await;
    assert_eq!(a.response().await, "\r\n+CMGS: 0\r\n\r\nOK\r\n");
    let listing = b.cmd("AT+CMGL=\"ALL\"").await;
    assert!(
        listing.starts_with("\r\n+CMGL: 0,\"REC UNREAD\",\"+12025550101\",,\""),
        "{listing:?}"
    );
    assert!(
        listing.contains("\r\nline one\nline two\r\n"),
        "{listing:?}"
    );
    assert_eq!(b.cmd("AT+CMGL=4").await, "\r\n+CMS ERROR: 305\r\n");
}

#[tokio::test(start_paused = true)]
async fn text_mode_details_and_the_ucs2_character_set() {
    let net = SimNetwork::with_modems(2);
    let mut a = ready(&net, 0).await;
    let mut b = ready(&net, 1).await;
    assert_eq!(a.cmd("AT+CSDH=?").await, "\r\n+CSDH: (0,1)\r\n\r\nOK\r\n");
    // Sent in UCS2: the number and the text as hex of UTF-16 code units.
    a.cmd("AT+CMGF=1;+CSCS=\"UCS2\"").await;
    let to: String = net
        .msisdn(1)
        .encode_utf16()
        .map(|u| format!("{u:04X}"))
        .collect();
    assert_eq!(a.cmd(&format!("AT+CMGS=\"{to}\"")).await, "\r\n> ");
    a.send(b"041F0440043804320435044200200021\x1a").await;
    assert_eq!(a.response().await, "\r\n+CMGS: 0\r\n\r\nOK\r\n");
    assert_eq!(net.sink().len(), 0, "modem to modem stays in the network");
    // Read with details: <tooa>,<fo>,<pid>,<dcs>,<sca>,<tosca>,<length>. UCS2 data is its
    // octets in hex whatever the character set (TS 27.005 §3.1 <data>); <length> in octets.
    b.cmd("AT+CMGF=1;+CSDH=1").await;
    let read = b.cmd("AT+CMGR=0").await;
    assert!(
        read.contains(",145,4,0,8,\"+15550009999\",145,16\r\n041F0440043804320435044200200021\r\n"),
        "{read:?}"
    );
    let listed = b.cmd("AT+CMGL=\"ALL\"").await;
    assert!(
        listed.contains("\",145,16\r\n041F0440043804320435044200200021\r\n"),
        "{listed:?}"
    );
    // Under UCS2 a string that is not hex of UTF-16 code units is refused.
    assert_eq!(a.cmd("AT+CMGS=\"+1202\"").await, "\r\n+CMS ERROR: 305\r\n");
    // GSM 7 bit without a header is text in the TE character set, <length> in characters.
    a.cmd("AT+CSCS=\"GSM\"").await;
    assert_eq!(
        a.cmd(&format!("AT+CMGS=\"{}\"", net.msisdn(1))).await,
        "\r\n> "
    );
    a.send(b"plain\x1a").await;
    assert!(a.response().await.contains("+CMGS: 1"));
    let plain = b.cmd("AT+CMGR=1").await;
    assert!(plain.contains(",145,5\r\nplain\r\n"), "{plain:?}");
}

#[tokio::test(start_paused = true)]
async fn sm_and_me_are_separate_memories() {
    let net = SimNetwork::with_modems(1);
    let mut a = ready(&net, 0).await;
    assert_eq!(
        a.cmd("AT+CPMS=?").await,
        "\r\n+CPMS: (\"SM\",\"ME\"),(\"SM\",\"ME\"),(\"SM\",\"ME\")\r\n\r\nOK\r\n"
    );
    assert_eq!(a.cmd("AT+CPMS=\"MT\"").await, "\r\n+CMS ERROR: 302\r\n");
    a.cmd("AT+CPMS=\"SM\",\"SM\",\"ME\";+CNMI=2,1,0,0,0").await;
    net.inject_inbound(0, "+4477009001", "to ME", InboundOptions::default())
        .unwrap();
    assert_eq!(
        a.until("+CMTI: \"ME\",0\r\n").await,
        "\r\n+CMTI: \"ME\",0\r\n"
    );
    assert_eq!(
        a.cmd("AT+CPMS?").await,
        "\r\n+CPMS: \"SM\",0,30,\"SM\",0,30,\"ME\",1,30\r\n\r\nOK\r\n"
    );
    // Reading SM finds nothing; the message is in ME, once.
    assert_eq!(a.cmd("AT+CMGL=4").await, "\r\nOK\r\n");
    assert_eq!(
        a.cmd("AT+CPMS=\"ME\"").await,
        "\r\n+CPMS: 1,30,0,30,1,30\r\n\r\nOK\r\n"
    );
    assert_eq!(pdus(&a.cmd("AT+CMGL=4").await).len(), 1);
    let clac = a.cmd("AT+CLAC").await;
    assert!(
        clac.contains("\r\nAT+CPMS\r\n") && clac.ends_with("OK\r\n"),
        "{clac:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn reject_direct_routing_modems_only_store() {
    let mut config = NetworkConfig::with_modems(1);
    config.modems[0].reject_direct_routing = true;
    let net = SimNetwork::new(config);
    let mut a = ready(&net, 0).await;
    assert_eq!(a.cmd("AT+CNMI=2,2,0,0,0").await, "\r\n+CMS ERROR: 303\r\n");
    assert_eq!(a.cmd("AT+CNMI=2,1,0,1,0").await, "\r\n+CMS ERROR: 303\r\n");
    assert_eq!(a.cmd("AT+CNMI=2,1,0,2,0").await, "\r\nOK\r\n");
}

#[tokio::test(start_paused = true)]
async fn cnmi_mode_0_buffers_indications_until_mode_changes() {
    let net = SimNetwork::with_modems(1);
    let mut a = ready(&net, 0).await;
    assert_eq!(a.cmd("AT+CNMI=0,1,0,0,0").await, "\r\nOK\r\n");
    net.inject_inbound(0, "+4477009001", "hi", InboundOptions::default())
        .unwrap();
    a.silent_for(Duration::from_secs(5)).await;
    assert_eq!(a.cmd("AT+CNMI=2,1,0,0,0").await, "\r\nOK\r\n");
    assert_eq!(
        a.until("+CMTI: \"SM\",0\r\n").await,
        "\r\n+CMTI: \"SM\",0\r\n"
    );
}

#[tokio::test(start_paused = true)]
async fn random_bytes_never_break_the_modem() {
    use rand::{Rng, SeedableRng};
    let net = SimNetwork::with_modems(2);
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    for round in 0..20 {
        let mut port = Port::open(&net, round % 2);
        let len = rng.random_range(0..2000);
        let junk: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        port.send(&junk).await;
        // Leave any prompt, then the modem must still answer.
        port.send(b"\x1b\rAT\r").await;
        tokio::time::sleep(Duration::from_secs(20)).await;
        port.buf.clear();
        let mut chunk = [0u8; 4096];
        while let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(10), port.io.read(&mut chunk)).await
        {
            if n == 0 {
                break;
            }
        }
        let answer = Port::cmd(&mut port, "ATE0").await;
        assert!(
            answer.ends_with("OK\r\n") || answer.ends_with("> "),
            "{answer:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn control_api() {
    use axum::body::{to_bytes, Body};
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    let net = SimNetwork::with_modems(2);
    let mut a = ready(&net, 0).await;
    assert_eq!(a.cmd("AT+CNMI=2,1,0,0,0").await, "\r\nOK\r\n");
    let endpoints = vec![
        smsgate::sim::control::Endpoint {
            pty: Some("/tmp/modem0".into()),
            tcp: None,
        },
        smsgate::sim::control::Endpoint::default(),
    ];
    let app = smsgate::sim::control::router(net.clone(), endpoints);
    let call = |method: &str, uri: &str, body: &str| {
        Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    async fn json(response: axum::response::Response) -> (StatusCode, serde_json::Value) {
        let status = response.status();
        let bytes = to_bytes(response.into_body(), 1 << 20).await.unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }

    let (status, body) = json(
        app.clone()
            .oneshot(call("GET", "/modems", ""))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body[0]["msisdn"], "+12025550101");
    assert_eq!(body[0]["pty"], "/tmp/modem0");
    assert_eq!(body[1]["counters"]["commands"], 0);

    let (status, body) = json(
        app.clone()
            .oneshot(call(
                "POST",
                "/modems/0/inbound",
                &format!(
                    "{{\"from\":\"+4477009001\",\"text\":\"{}\"}}",
                    "x".repeat(200)
                ),
            ))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["segments"].as_u64()),
        (StatusCode::OK, Some(2))
    );
    assert!(a
        .until("+CMTI: \"SM\",1\r\n")
        .await
        .contains("+CMTI: \"SM\",0"));

    let (status, body) = json(
        app.clone()
            .oneshot(call("POST", "/modems/0/inbound", "{\"text\":\"x\"}"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "from");
    let (status, body) = json(
        app.clone()
            .oneshot(call(
                "POST",
                "/modems/0/inbound",
                "{\"from\":\"\",\"text\":\"x\"}",
            ))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("from"))
    );
    let (status, body) = json(
        app.clone()
            .oneshot(call("POST", "/modems/9/urc", "{\"line\":\"RING\"}"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::NOT_FOUND, Some("index"))
    );

    let response = app
        .clone()
        .oneshot(call("POST", "/modems/0/urc", "{\"line\":\"RING\"}"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(a.until("\r\nRING\r\n").await, "\r\nRING\r\n");

    let (status, body) = json(
        app.clone()
            .oneshot(call(
                "POST",
                "/modems/0/faults",
                "{\"failure_rate\":1.0,\"failure_codes\":[38],\"latency_ms\":[100,200]}",
            ))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["failure_codes"][0], 38);
    assert_eq!(
        a.cmgs(&one_submit("+4915112345678", "x", false)).await,
        "\r\n+CMS ERROR: 38\r\n"
    );
    let (status, body) = json(
        app.clone()
            .oneshot(call("POST", "/modems/0/faults", "{\"failure_rate\":2}"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("failure_rate"))
    );
    let (status, body) = json(
        app.clone()
            .oneshot(call("POST", "/modems/0/faults", "{\"bogus\":1}"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("bogus"))
    );

    app.clone()
        .oneshot(call("POST", "/modems/0/faults", "{\"failure_rate\":0}"))
        .await
        .unwrap();
    a.cmgs(&one_submit("+4915112345678", "to the sink", false))
        .await;
    let (status, body) = json(app.clone().oneshot(call("GET", "/sink", "")).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body[0]["text"], "to the sink");
    assert_eq!(body[0]["to"], "+4915112345678");
    assert_eq!(body[0]["outcome"], "delivered");

    assert!(smsgate::sim::control::check_loopback("0.0.0.0:80".parse().unwrap()).is_err());
    assert!(smsgate::sim::control::check_loopback("[::1]:80".parse().unwrap()).is_ok());
}

/// Real I/O (a pseudo-terminal), so real time.
#[tokio::test]
async fn pty_serving() {
    let net = SimNetwork::with_modems(1);
    let dir = std::env::temp_dir().join(format!("smsgate-sim-pty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("modem0");
    let guard = net.serve_pty(0, &link).unwrap();
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    {
        let mut port =
            tokio_serial::SerialStream::open(&tokio_serial::new(link.to_string_lossy(), 115_200))
                .unwrap();
        port.write_all(b"AT\r").await.unwrap();
        let mut got = Vec::new();
        let mut chunk = [0u8; 64];
        while find(&got, b"OK\r\n").is_none() {
            let n = tokio::time::timeout(Duration::from_secs(5), port.read(&mut chunk))
                .await
                .expect("the pty answers")
                .unwrap();
            got.extend_from_slice(&chunk[..n]);
        }
        assert_eq!(got, b"AT\r\r\nOK\r\n");
    }
    drop(guard);
    assert!(
        std::fs::symlink_metadata(&link).is_err(),
        "the link is removed"
    );
    let _ = std::fs::remove_dir(&dir);
}

/// Real sockets, so real time.
#[tokio::test]
async fn tcp_serving_each_connection_is_a_new_session() {
    let net = SimNetwork::with_modems(1);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = net.clone();
    tokio::spawn(async move { server.serve_tcp(0, listener).await });
    for _ in 0..2 {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"AT\r").await.unwrap();
        let mut got = Vec::new();
        let mut chunk = [0u8; 64];
        while find(&got, b"OK\r\n").is_none() {
            let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
                .await
                .unwrap()
                .unwrap();
            assert!(n > 0);
            got.extend_from_slice(&chunk[..n]);
        }
        assert_eq!(got, b"AT\r\r\nOK\r\n", "echo is on in every new session");
        stream.write_all(b"ATE0\r").await.unwrap();
    }
}

#[test]
fn default_config() {
    let config = SimModemConfig::default_for(11);
    assert_eq!(config.msisdn, "+12025550112");
    assert_eq!(config.storage_capacity, 30);
    assert_eq!(config.signal_rssi, 20);
    assert_eq!(config.latency, Latency::Fixed(Duration::ZERO));
    assert_eq!(Faults::default().failure_codes, vec![500]);
}
