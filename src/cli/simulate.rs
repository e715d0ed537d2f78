//! `smsgate simulate`: runs the simulated modem network as a process — each modem on a
//! pseudo-terminal (`DIR/modem<i>`) and/or TCP (`127.0.0.1:BASE+i`), an optional JSON-lines
//! log of every segment, and an optional loopback-only HTTP control API (which can also
//! unplug and plug the ptys) — until SIGINT or SIGTERM. The one JSON line per modem printed
//! at start is a contract (see README.md).

use anyhow::{bail, Context};
use clap::Args;
use smsgate::sim::control::{self, Endpoint};
use smsgate::sim::plug::PtyPlugs;
use smsgate::sim::{Latency, NetworkConfig, SimNetwork};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Most modems one process simulates.
const MAX_MODEMS: usize = 256;

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Number of simulated modems (MSISDNs +12025550101, +12025550102, …).
    #[arg(long, default_value_t = 1)]
    modems: usize,
    /// Serve modem i on a pseudo-terminal linked as DIR/modem<i>.
    #[arg(long, value_name = "DIR")]
    pty_dir: Option<PathBuf>,
    /// Serve modem i on TCP 127.0.0.1:BASE+i.
    #[arg(long, value_name = "BASE")]
    tcp_port: Option<u16>,
    /// Delay before +CMGS answers: MS, or MIN-MAX for a random delay in that range.
    #[arg(long, value_name = "MS|MIN-MAX", value_parser = parse_latency)]
    latency: Option<Latency>,
    /// Append one JSON line per segment crossing the network to FILE.
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
    /// Serve the control API on HOST:PORT (loopback only).
    #[arg(long, value_name = "HOST:PORT")]
    control: Option<String>,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Destinations with this prefix get failed status reports (repeatable).
    #[arg(long, value_name = "PREFIX")]
    fail_prefix: Vec<String>,
}

fn parse_latency(text: &str) -> Result<Latency, String> {
    let ms = |s: &str| {
        s.trim()
            .parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| format!("latency is MS or MIN-MAX in milliseconds, not {text:?}"))
    };
    match text.split_once('-') {
        None => Ok(Latency::Fixed(ms(text)?)),
        Some((min, max)) => {
            let (min, max) = (ms(min)?, ms(max)?);
            if min > max {
                return Err(format!("latency {text:?}: MIN is above MAX"));
            }
            Ok(Latency::Range(min, max))
        }
    }
}

/// Runs until SIGINT or SIGTERM.
pub fn run(args: SimulateArgs) -> anyhow::Result<()> {
    smsgate::telemetry::init("info");
    if args.modems == 0 || args.modems > MAX_MODEMS {
        bail!("--modems must be 1 to {MAX_MODEMS}");
    }
    if args.pty_dir.is_none() && args.tcp_port.is_none() {
        bail!("nothing to serve the modems on: give --pty-dir DIR and/or --tcp-port BASE");
    }
    if let Some(base) = args.tcp_port {
        if usize::from(base) + args.modems - 1 > usize::from(u16::MAX) || base == 0 {
            bail!(
                "--tcp-port {base}: ports {base}+0..{} do not fit",
                args.modems
            );
        }
    }
    let control = match &args.control {
        Some(text) => {
            let addr: SocketAddr = text.parse().with_context(|| {
                format!("--control {text:?}: expected HOST:PORT, e.g. 127.0.0.1:7100")
            })?;
            control::check_loopback(addr)?;
            Some(addr)
        }
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(serve(args, control))
}

async fn serve(args: SimulateArgs, control_addr: Option<SocketAddr>) -> anyhow::Result<()> {
    let mut config = NetworkConfig::with_modems(args.modems);
    config.seed = args.seed;
    config.sink.fail_prefixes = args.fail_prefix.clone();
    if let Some(latency) = args.latency {
        for modem in &mut config.modems {
            modem.latency = latency;
        }
    }
    let network = SimNetwork::new(config);

    let mut log_file = match &args.log {
        Some(path) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("--log {}", path.display()))?,
        ),
        None => None,
    };
    let mut log = network.subscribe_log();

    if let Some(dir) = &args.pty_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("--pty-dir {}", dir.display()))?;
    }
    let plugs = std::sync::Arc::new(PtyPlugs::new(network.clone()));
    let mut endpoints = Vec::new();
    for modem in 0..args.modems {
        let mut endpoint = Endpoint::default();
        if let Some(dir) = &args.pty_dir {
            let link = dir.join(format!("modem{modem}"));
            plugs
                .plug(modem, Some(&link))
                .with_context(|| format!("serving modem {modem} on {}", link.display()))?;
            endpoint.pty = Some(link);
        }
        if let Some(base) = args.tcp_port {
            let port = u16::try_from(usize::from(base) + modem).context("TCP port")?;
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding {addr} for modem {modem}"))?;
            let server = network.clone();
            tokio::spawn(async move {
                if let Err(error) = server.serve_tcp(modem, listener).await {
                    tracing::error!(modem, %error, "TCP serving stopped");
                }
            });
            endpoint.tcp = Some(addr);
        }
        endpoints.push(endpoint);
    }

    let shutdown = tokio_util::sync::CancellationToken::new();
    if let Some(addr) = control_addr {
        let router = control::router_with_plugs(
            network.clone(),
            endpoints.clone(),
            args.pty_dir.is_some().then(|| plugs.clone()),
        );
        let listener = control::bind(addr).await?;
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let served = control::serve(listener, router, async move { stop.cancelled().await });
            if let Err(error) = served.await {
                tracing::error!(%error, "control API stopped");
            }
        });
    }

    // The handlers are in place before the endpoint lines announce readiness: a client may
    // send SIGTERM as soon as it has read them, and must get a clean exit, not the default
    // disposition's kill.
    use tokio::signal::unix::{signal, SignalKind};
    let mut sigterm = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut sigint = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut stdout = std::io::stdout().lock();
    for (modem, endpoint) in endpoints.iter().enumerate() {
        let (imei, imsi, iccid) = network.identity(modem).unwrap_or_default();
        let line = serde_json::json!({
            "modem": modem,
            "msisdn": network.msisdn(modem),
            "imei": imei,
            "imsi": imsi,
            "iccid": iccid,
            "pty": endpoint.pty,
            "tcp": endpoint.tcp.map(|a| a.to_string()),
        });
        writeln!(stdout, "{line}").context("writing to stdout")?;
    }
    stdout.flush().context("writing to stdout")?;
    drop(stdout);
    tracing::info!(modems = args.modems, "simulated network running");

    let mut write_record = |record: &smsgate::sim::LogRecord| -> anyhow::Result<()> {
        if let Some(file) = log_file.as_mut() {
            let line = serde_json::to_string(record).context("log record")?;
            writeln!(file, "{line}").context("writing the log")?;
        }
        Ok(())
    };
    loop {
        tokio::select! {
            _ = sigint.recv() => break,
            _ = sigterm.recv() => break,
            record = log.recv() => match record {
                Ok(record) => write_record(&record)?,
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "log fell behind; records lost");
                }
                Err(RecvError::Closed) => break,
            },
        }
    }
    // Records already published are written before exiting.
    while let Ok(record) = log.try_recv() {
        write_record(&record)?;
    }
    tracing::info!("stopping the simulated network");
    shutdown.cancel();
    plugs.unplug_all();
    Ok(())
}
