//! `smsgate modem probe|send|listen|at|identify`: one modem driven from the command line,
//! for field diagnosis and for scripts. JSON on stdout; errors as one line on stderr,
//! non-zero exit. `identify` runs discovery's probe (the daemon's own code) over ports or
//! globs: which port is an AT port that does SMS, and which IMEI/ICCID/IMSI to configure.

use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use smsgate::at::{self, EngineConfig};
use smsgate::modem::status::ModemState;
use smsgate::modem::{Modem, ModemConfig, ModemEvent, PortSpec, ReceivePolicy};
use smsgate::pdu::reassembly::{Accepted, Part};
use smsgate::pdu::{
    build_submits, Address, Content, Payload, Reassembler, SegmentPlan, SegmentPolicy,
    SubmitOptions,
};
use std::time::{Duration, SystemTime};
use tokio::sync::mpsc;

#[derive(Debug, Subcommand)]
pub enum ModemCommand {
    /// Initialise the modem and print identity, SIM, registration, operator and signal.
    Probe(PortArgs),
    /// Send one SMS (split into segments as needed) and print each segment's reference.
    Send(SendArgs),
    /// Print one JSON line per received message (reassembled) or status report.
    Listen(ListenArgs),
    /// Probe ports the way `[discovery]` does and print one JSON line per port: whether it
    /// answers AT and supports SMS, and its IMEI, IMSI and ICCID.
    Identify {
        /// Device paths or globs (`/dev/ttyUSB*`); default: `[discovery] ports`' defaults.
        ports: Vec<String>,
        /// How long each probe command may take, in milliseconds.
        #[arg(long, default_value_t = 1500)]
        timeout_ms: u64,
    },
    /// Send one raw AT command and print the answer (no initialisation: for diagnosis).
    At {
        #[command(flatten)]
        port: PortArgs,
        /// The command, e.g. 'AT+CSQ'.
        command: String,
    },
}

#[derive(Debug, Args)]
pub struct PortArgs {
    /// A device path (optionally PATH@BAUD) or tcp://host:port.
    #[arg(long)]
    port: String,
    /// SIM PIN, if the SIM is locked.
    #[arg(long, env = "SMSGATE_SIM_PIN", hide_env_values = true)]
    pin: Option<String>,
    /// How long initialisation may take, in seconds.
    #[arg(long, default_value_t = 60)]
    init_timeout: u64,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    #[command(flatten)]
    port: PortArgs,
    /// Destination number.
    #[arg(long)]
    to: String,
    /// Message text.
    #[arg(long)]
    text: String,
    /// Request a status report for every segment.
    #[arg(long)]
    status_report: bool,
    /// Wait up to this many seconds for the status reports (implies --status-report).
    #[arg(long)]
    wait_report: Option<u64>,
}

#[derive(Debug, Args)]
pub struct ListenArgs {
    #[command(flatten)]
    port: PortArgs,
    /// Stop after this many seconds (default: until interrupted).
    #[arg(long = "for")]
    duration: Option<u64>,
}

pub async fn run(command: ModemCommand) -> anyhow::Result<()> {
    match command {
        ModemCommand::Probe(port) => probe(port).await,
        ModemCommand::Send(args) => send(args).await,
        ModemCommand::Listen(args) => listen(args).await,
        ModemCommand::At { port, command } => raw_at(port, command).await,
        ModemCommand::Identify { ports, timeout_ms } => identify(ports, timeout_ms).await,
    }
}

async fn identify(ports: Vec<String>, timeout_ms: u64) -> anyhow::Result<()> {
    use smsgate::modem::discovery::{glob, probe};
    let patterns = if ports.is_empty() {
        smsgate::config::DEFAULT_DISCOVERY_PORTS
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        ports
    };
    let timeout = Duration::from_millis(timeout_ms.clamp(100, 60_000));
    for path in glob::candidates(&patterns) {
        let line = if !glob::is_char_device(&path) {
            json!({"port": path, "kind": "not_a_tty"})
        } else {
            match probe::probe_path(&path, timeout).await {
                probe::ProbeOutcome::Modem(p) => {
                    json!({"port": path, "kind": "modem", "imei": p.imei, "imsi": p.imsi, "iccid": p.iccid})
                }
                probe::ProbeOutcome::NoSms(p) => {
                    json!({"port": path, "kind": "no_sms", "imei": p.imei, "imsi": p.imsi, "iccid": p.iccid})
                }
                probe::ProbeOutcome::NotAt(why) => {
                    json!({"port": path, "kind": "not_at", "why": why})
                }
            }
        };
        println!("{line}");
    }
    Ok(())
}

async fn start(
    args: &PortArgs,
    receive: ReceivePolicy,
) -> anyhow::Result<(Modem, mpsc::Receiver<ModemEvent>)> {
    let spec = PortSpec::parse(&args.port)?;
    let mut config = ModemConfig::new("modem");
    config.init.pin = args.pin.clone();
    config.receive = receive;
    let (events_tx, events_rx) = mpsc::channel(64);
    let modem = Modem::start(config, spec, events_tx);
    let state = modem.settled(Duration::from_secs(args.init_timeout)).await;
    match state {
        ModemState::Ready | ModemState::Degraded(_) => Ok((modem, events_rx)),
        other => {
            let status = serde_json::to_string(&modem.status())?;
            modem.shutdown().await;
            bail!("modem not usable: {other:?} (status: {status})")
        }
    }
}

async fn probe(args: PortArgs) -> anyhow::Result<()> {
    let (modem, _events) = start(&args, ReceivePolicy::Nothing).await?;
    println!("{}", serde_json::to_string(&modem.status())?);
    modem.shutdown().await;
    Ok(())
}

async fn send(args: SendArgs) -> anyhow::Result<()> {
    let destination = Address::parse(&args.to).context("--to")?;
    let wants_report = args.status_report || args.wait_report.is_some();
    let policy = if args.wait_report.is_some() {
        ReceivePolicy::ReportsOnly
    } else {
        ReceivePolicy::Nothing
    };
    let plan = SegmentPlan::new(Payload::Text(&args.text), &SegmentPolicy::default())?;
    let pdus = build_submits(
        &plan,
        &SubmitOptions {
            destination: Some(destination.clone()),
            status_report: wants_report,
            reference: rand::random(),
            ..SubmitOptions::default()
        },
    )?;
    let (modem, mut events) = start(&args.port, policy).await?;
    let sent = modem.send_segments(&pdus).await;
    let refs = match sent {
        Ok(refs) => refs,
        Err(e) => {
            modem.shutdown().await;
            return Err(e.into());
        }
    };
    let mut reports: Vec<Value> = Vec::new();
    if let Some(wait) = args.wait_report {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
        let mut missing: Vec<u8> = refs.clone();
        while !missing.is_empty() {
            let Ok(Some(event)) = tokio::time::timeout_at(deadline, events.recv()).await else {
                break;
            };
            if let ModemEvent::StatusReport { report, ack, .. } = event {
                // Match on TP-MR and recipient (the MR alone wraps every 256 messages).
                let same_recipient = report.recipient.value == destination.value;
                if let (true, Some(pos)) = (
                    same_recipient,
                    missing.iter().position(|&mr| mr == report.message_ref),
                ) {
                    // Ours: printed below, so it may leave the modem. Others' stay on it.
                    ack.done();
                    missing.remove(pos);
                    reports.push(json!({
                        "message_ref": report.message_ref,
                        "recipient": report.recipient.to_string(),
                        "status": report.status,
                        "delivery_status": report.delivery_status(),
                        "discharge_time": report.discharge_time.to_string(),
                    }));
                }
            }
        }
    }
    let segments: Vec<Value> = refs
        .iter()
        .enumerate()
        .map(|(i, mr)| json!({"seq": i + 1, "message_ref": mr}))
        .collect();
    let mut out = json!({
        "to": destination.to_string(),
        "encoding": plan.alphabet,
        "segments": segments,
    });
    if args.wait_report.is_some() {
        out = with(out, "status_reports", Value::Array(reports));
    }
    println!("{out}");
    modem.shutdown().await;
    Ok(())
}

async fn listen(args: ListenArgs) -> anyhow::Result<()> {
    let (modem, mut events) = start(&args.port, ReceivePolicy::All).await?;
    let mut reassembler = Reassembler::new(Duration::from_secs(3600));
    let stop = async {
        match args.duration {
            Some(secs) => tokio::time::sleep(Duration::from_secs(secs)).await,
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    };
    tokio::pin!(stop);
    loop {
        let event = tokio::select! {
            () = &mut stop => break,
            event = events.recv() => match event { Some(e) => e, None => break },
        };
        // Printed (or held for reassembly, and printed at the end if incomplete): it may
        // leave the modem.
        let ack = event.ack().clone();
        let line = listen_line(&mut reassembler, event);
        ack.done();
        if let Some(line) = line {
            println!("{line}");
        }
    }
    // Parts of messages that never completed were taken off the modem: print them too.
    for expired in reassembler.expire(SystemTime::now() + Duration::from_secs(7200)) {
        let parts: Vec<Value> = expired
            .parts
            .iter()
            .map(|(seq, content)| json!({"seq": seq, "text": content_text(content)}))
            .collect();
        println!(
            "{}",
            json!({"type": "incomplete", "from": expired.key.originator, "ref": expired.key.reference,
                   "total": expired.key.total, "parts": parts})
        );
    }
    modem.shutdown().await;
    Ok(())
}

/// Adds a field to a JSON object (a no-op on anything else).
fn with(mut object: Value, key: &str, value: Value) -> Value {
    if let Value::Object(map) = &mut object {
        map.insert(key.to_string(), value);
    }
    object
}

fn content_text(content: &Content) -> String {
    match content {
        Content::Text(t) => t.clone(),
        Content::Binary(b) => hex::encode(b),
    }
}

fn listen_line(reassembler: &mut Reassembler, event: ModemEvent) -> Option<Value> {
    match event {
        ModemEvent::Received { deliver, .. } => {
            let ud = &deliver.user_data;
            let from = deliver.originator.to_string();
            let base = json!({
                "type": "message",
                "from": from,
                "encoding": ud.alphabet,
                "timestamp": deliver.timestamp.to_string(),
                "class": deliver.dcs.class,
            });
            let Some(part) = Part::from_deliver(&deliver) else {
                let v = with(base, "text", json!(content_text(&ud.content())));
                return Some(with(v, "parts", json!(1)));
            };
            let total = part.total;
            match reassembler.accept(part, SystemTime::now()) {
                Ok(Accepted::Complete(done)) => {
                    let v = with(base, "text", json!(content_text(&done.content)));
                    Some(with(v, "parts", json!(total)))
                }
                Ok(_) => None,
                Err(e) => Some(json!({"type": "inconsistent-part", "error": e.to_string()})),
            }
        }
        ModemEvent::StatusReport { report, .. } => Some(json!({
            "type": "status-report",
            "message_ref": report.message_ref,
            "recipient": report.recipient.to_string(),
            "status": report.status,
            "delivery_status": report.delivery_status(),
            "discharge_time": report.discharge_time.to_string(),
        })),
        ModemEvent::Undecodable { raw, error, .. } => {
            Some(json!({"type": "undecodable", "raw": raw, "error": error}))
        }
    }
}

async fn raw_at(args: PortArgs, command: String) -> anyhow::Result<()> {
    let spec = PortSpec::parse(&args.port)?;
    let link = spec.open(Duration::from_secs(5)).await?;
    let (client, _urcs, _task) = at::spawn(link, EngineConfig::default());
    client.resync().await.map_err(|e| anyhow!("{e}"))?;
    match client.command_in(&command, at::Class::Slow).await {
        Ok(response) => {
            for line in &response.lines {
                println!("{line}");
            }
            println!("OK");
            Ok(())
        }
        Err(e) => {
            for line in e.to_string().lines() {
                println!("{line}");
            }
            bail!("{command}: {e}")
        }
    }
}
