//! Modems (layer 2): one actor per device that opens its port, initialises it, keeps it
//! healthy, sends SMS-SUBMIT PDUs with `+CMGS` and turns what it receives — messages and
//! status reports — into events.
//!
//! - [`port`] — serial and TCP ports (the only place a serial port is opened);
//! - [`init`] — the initialisation sequence and the network poll;
//! - [`driver`] — the actor and its [`Modem`] handle;
//! - [`receive`] — stored and routed messages → [`ModemEvent`];
//! - [`errors`] — what a `+CMS ERROR` means for the message and the modem;
//! - [`ladder`] — the recovery ladder (reopen, reset, backoff, `failed`) as a pure machine;
//! - [`status`] — identity, network and health state;
//! - [`route`] — a modem as a dispatch route, with its rate limits;
//! - [`admin`] — operator hold, balance reading; [`quota`] — SIM quotas;
//! - [`ussd`] — USSD requests and sessions; [`history`] — signal history and counters.
//! - [`fleet`] — the shared, changing set of modem routes everyone reads;
//! - [`discovery`] — the fleet's manager: reconcile with the config, find modems by
//!   identity on `[discovery] ports`, hot-plug.
//!
//! Never imports SQLite, HTTP, the dispatcher or other modems: the daemon wires modems to
//! those through events and the send handle.

pub mod admin;
pub mod discovery;
pub mod driver;
pub mod errors;
pub mod fleet;
pub mod history;
pub mod init;
pub mod ladder;
pub mod port;
pub mod quota;
pub mod receive;
pub mod route;
pub mod status;
pub mod ussd;

pub use discovery::{FleetManager, ReconcileReport};
pub use driver::{Connector, FnConnector, Modem, ModemConfig, SendError};
pub use errors::ErrorClass;
pub use fleet::{Fleet, FleetError};
pub use port::PortSpec;
pub use receive::{Ack, ModemEvent, ReceivePolicy};
pub use route::{Limits, ModemRoute, RouteSettings};
pub use status::{ModemState, ModemStatus};
