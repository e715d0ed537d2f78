//! The operator CLI's connection to a running daemon: where it listens (`--url`,
//! `SMSGATE_URL`, else `[server] listen` of the config file) and the API key (`--key`,
//! `SMSGATE_API_KEY`, `--key-file`; the config holds only keys' hashes, so the key itself
//! never comes from it). One request at a time on a small current-thread runtime.
//!
//! Errors are one line each: the daemon not running (connection refused), a missing or
//! refused key (401), a key without the scope (403), or the API's own error message.

use anyhow::{anyhow, Context};
use clap::Args;
use serde_json::Value;
use smsgate::config::Config;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// How to reach the daemon (every operator command takes these).
#[derive(Debug, Args)]
pub struct Connection {
    /// The daemon's base URL (default: from `[server] listen` of the config).
    #[arg(long, env = "SMSGATE_URL", global = true)]
    url: Option<String>,
    /// An API key (admin scope for `reload`; `read`/`send` for the others).
    #[arg(long, env = "SMSGATE_API_KEY", global = true, hide_env_values = true)]
    key: Option<String>,
    /// A file holding the API key (its first line).
    #[arg(long, value_name = "FILE", global = true)]
    key_file: Option<PathBuf>,
    /// The daemon's config file, for its listen address.
    #[arg(long, env = "SMSGATE_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Print the API's JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
}

/// A connected client.
pub struct Client {
    base: String,
    key: Option<String>,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

/// Where a daemon listening on `listen` is reached from this machine (a wildcard address
/// is reached on loopback).
fn reachable(listen: SocketAddr) -> SocketAddr {
    match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), listen.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), listen.port())
        }
        _ => listen,
    }
}

impl Connection {
    /// The client these options describe.
    pub fn connect(&self) -> anyhow::Result<Client> {
        let base = match &self.url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => {
                let config =
                    Config::load(self.config.as_deref()).map_err(super::config::config_error)?;
                format!("http://{}", reachable(config.server.listen))
            }
        };
        let key = match (&self.key, &self.key_file) {
            (Some(key), _) => Some(key.trim().to_string()),
            (None, Some(file)) => {
                let text = std::fs::read_to_string(file)
                    .with_context(|| format!("reading the key file {}", file.display()))?;
                Some(text.lines().next().unwrap_or_default().trim().to_string())
            }
            (None, None) => None,
        }
        .filter(|k| !k.is_empty());
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .context("building the HTTP client")?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the runtime")?;
        Ok(Client {
            base,
            key,
            http,
            runtime,
        })
    }
}

/// `v` at the JSON pointer `path` (null when absent).
fn field<'a>(v: &'a Value, path: &str) -> &'a Value {
    v.pointer(path).unwrap_or(&Value::Null)
}

impl Client {
    /// `GET path`: the JSON body of a 2xx answer, else a one-line error.
    pub fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.call(reqwest::Method::GET, path, None)
    }

    /// `POST path` with `body`.
    pub fn post(&self, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        self.call(reqwest::Method::POST, path, body)
    }

    fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method, &url);
        if let Some(key) = &self.key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.runtime.block_on(async {
            let response = request.send().await.map_err(|e| self.unreachable(&e))?;
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            if status.is_success() {
                return Ok(json);
            }
            let message = field(&json, "/error/message")
                .as_str()
                .map_or_else(|| text.trim().to_string(), str::to_string);
            Err(match status.as_u16() {
                401 => anyhow!(
                    "the daemon at {} refused the API key (401): give one with --key, --key-file or SMSGATE_API_KEY",
                    self.base
                ),
                403 => anyhow!("the API key may not do this (403): {message}"),
                code => anyhow!("{code}: {message}"),
            })
        })
    }

    fn unreachable(&self, e: &reqwest::Error) -> anyhow::Error {
        if e.is_connect() {
            anyhow!(
                "smsgate is not running at {} (connection refused); start it with `smsgate serve` or give --url",
                self.base
            )
        } else if e.is_timeout() {
            anyhow!("smsgate at {} did not answer in time", self.base)
        } else {
            anyhow!("cannot reach smsgate at {}: {e}", self.base)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_listen_address_is_reached_on_loopback() {
        let v4: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert_eq!(reachable(v4).to_string(), "127.0.0.1:8080");
        let v6: SocketAddr = "[::]:9000".parse().unwrap();
        assert_eq!(reachable(v6).to_string(), "[::1]:9000");
        let fixed: SocketAddr = "10.0.0.5:80".parse().unwrap();
        assert_eq!(reachable(fixed), fixed);
    }
}
