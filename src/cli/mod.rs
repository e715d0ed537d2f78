//! Command-line definitions (clap derive) and dispatch to the subcommands.

mod pdu;

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
}

/// Runs the chosen subcommand.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Pdu(command) => pdu::run(command),
    }
}
