//! Command-line definitions (clap derive) and dispatch to the subcommands.

mod backup;
mod client;
mod config;
mod modem;
mod ops;
mod pdu;
mod serve;
mod simulate;

use clap::{Parser, Subcommand};

/// smsgate: an on-premises SMS gateway for GSM modems.
#[derive(Debug, Parser)]
#[command(name = "smsgate", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Encode, decode and count SMS PDUs (3GPP TS 23.040 / 27.005 PDU mode).
    #[command(subcommand)]
    Pdu(pdu::PduCommand),
    /// Run the gateway daemon: modems (or the simulator), queue, dispatcher, HTTP API.
    Serve(serve::ServeArgs),
    /// Drive one modem directly: probe, send, listen, raw AT.
    #[command(subcommand)]
    Modem(modem::ModemCommand),
    /// Run the simulated modem network: modems on pseudo-terminals and/or TCP, a JSON log
    /// of every segment, and a loopback HTTP control API.
    Simulate(simulate::SimulateArgs),
    /// Validate a config file without starting anything: one `ok: …` line, or the bad key
    /// and why (exit 78).
    CheckConfig(config::CheckConfigArgs),
    /// Manage API keys.
    #[command(subcommand)]
    ApiKey(config::ApiKeyCommand),
    /// Copy the database consistently while the daemon runs (SQLite's online backup).
    Backup(backup::BackupArgs),
    /// The running daemon at a glance: queue, modems, routes and their rate allowance.
    Status(ops::StatusArgs),
    /// Send a message through the running daemon; prints its id and status.
    Send(ops::SendArgs),
    /// The running daemon's modems.
    Modems(ops::ModemsArgs),
    /// Run a USSD code on one of the running daemon's modems.
    Ussd(ops::UssdArgs),
    /// Make the running daemon re-read its config file (as SIGHUP does).
    Reload(ops::ReloadArgs),
}

/// Runs the chosen subcommand.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Pdu(command) => pdu::run(command),
        Command::Serve(args) => serve::run(args),
        Command::Modem(command) => {
            smsgate::telemetry::init("warn");
            runtime()?.block_on(modem::run(command))
        }
        Command::Simulate(args) => simulate::run(args),
        Command::CheckConfig(args) => config::check(args),
        Command::ApiKey(command) => config::api_key(command),
        Command::Backup(args) => backup::run(args),
        Command::Status(args) => ops::status(args),
        Command::Send(args) => ops::send(args),
        Command::Modems(args) => ops::modems(args),
        Command::Ussd(args) => ops::ussd(args),
        Command::Reload(args) => ops::reload(args),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}
