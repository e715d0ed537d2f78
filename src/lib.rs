//! smsgate — an on-premises SMS gateway.
//!
//! The crate is built in layers that only look down (see `docs/ARCHITECTURE.md`):
//! layer 0 holds the pure [`pdu`] codec; the AT engine, the simulated modem network, the
//! store, the modem actors, dispatch and the HTTP API build on it. `main.rs` is only the
//! command line.

pub mod at;
pub mod cluster;
pub mod config;
pub mod daemon;
pub mod dispatch;
pub mod http;
pub mod inbound;
pub mod message;
pub mod metrics;
pub mod modem;
pub mod modem_admin;
pub mod otp;
pub mod pdu;
pub mod phone;
pub mod providers;
pub mod ratelimit;
pub mod route;
pub mod seal;
pub mod service;
pub mod sim;
pub mod store;
pub mod telemetry;
pub mod templates;
pub mod url_policy;
pub mod webhooks;
