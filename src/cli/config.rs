//! `smsgate check-config` (validate a config file without starting anything) and
//! `smsgate api-key create` (a new API key, printed once, and the `[[api_keys]]` block to
//! paste). A config error leaves here as a [`ConfigError`], which `main.rs` turns into exit
//! code 78 (EX_CONFIG).

use clap::{Args, Subcommand};
use smsgate::config::{self, Config, ConfigError, Scope};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct CheckConfigArgs {
    /// The TOML config file (default: none — the built-in defaults, as `smsgate serve`).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key: prints it once, and the [[api_keys]] block (its SHA-256) for the config.
    Create(CreateArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Who holds the key (letters, digits, '_', '-', '.'), unique in the config.
    #[arg(value_parser = key_name)]
    name: String,
    /// What the key may do: send, otp, read, metrics, admin (admin implies all), comma-separated.
    #[arg(long, value_delimiter = ',', required = true, num_args = 1..)]
    scopes: Vec<Scope>,
}

fn key_name(name: &str) -> Result<String, String> {
    config::api_key_name(name).map(|()| name.to_string())
}

/// A config error, with the context `main.rs` prints (`error: config: KEY: REASON`).
pub fn config_error(err: ConfigError) -> anyhow::Error {
    anyhow::Error::new(err).context("config")
}

/// `smsgate check-config`: one `ok: …` line on stdout, or the error (exit 78).
pub fn check(args: CheckConfigArgs) -> anyhow::Result<()> {
    let config = Config::load(args.config.as_deref()).map_err(config_error)?;
    println!("ok: {}", config.summary());
    Ok(())
}

/// `smsgate api-key …`.
pub fn api_key(command: ApiKeyCommand) -> anyhow::Result<()> {
    match command {
        ApiKeyCommand::Create(args) => {
            let mut scopes: Vec<Scope> = Vec::new();
            for scope in args.scopes {
                if !scopes.contains(&scope) {
                    scopes.push(scope);
                }
            }
            let (key, sha256) = config::generate_api_key();
            let scopes: Vec<String> = scopes.iter().map(|s| format!("\"{s}\"")).collect();
            println!("{key}");
            println!(
                "# The key above is shown only now: it is not stored anywhere (the config keeps\n\
                 # only its SHA-256). Give it to the client, then add these lines to the config:"
            );
            println!("[[api_keys]]");
            println!("name = \"{}\"", args.name);
            println!("sha256 = \"{sha256}\"");
            println!("scopes = [{}]", scopes.join(", "));
            Ok(())
        }
    }
}
