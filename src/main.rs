//! The `smsgate` command line. Parsing arguments and choosing the exit code happen here;
//! everything else is in the library.

mod cli;

use clap::Parser;
use std::process::ExitCode;

/// Exit code of a configuration error (sysexits.h `EX_CONFIG`).
const EX_CONFIG: u8 = 78;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line, naming the field and offset for PDU errors (see cli::pdu).
            eprintln!("error: {err:#}");
            if err.downcast_ref::<smsgate::config::ConfigError>().is_some() {
                ExitCode::from(EX_CONFIG)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
