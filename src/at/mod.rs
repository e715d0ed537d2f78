//! The AT command engine (layer 1): talks V.250 / 27.007 / 27.005 AT over any
//! `AsyncRead + AsyncWrite` — a serial port, a TCP socket, an in-memory duplex — and knows
//! nothing of SMS or PDUs (a two-phase "command with body" covers `+CMGS`).
//!
//! - [`frame`] — bytes → lines and the `> ` prompt (pure);
//! - [`classify`] — each line exactly once: final result, URC, echo, or answer (pure);
//! - [`params`] — nom parser of parameter lists (pure);
//! - [`urc`] — the URC table and the typed [`Urc`] (pure);
//! - [`engine`] — the task that owns the port: one command in flight, deadlines, ESC and
//!   resynchronisation, the URC stream;
//! - [`error`] — [`AtError`], with the modem's `+CME`/`+CMS` codes kept typed.
//!
//! Never imports `pdu`, `message`, `store` or anything above layer 1.

pub mod classify;
pub mod engine;
pub mod error;
pub mod frame;
pub mod params;
pub mod urc;

pub use engine::{spawn, AtClient, Class, Deadlines, EngineConfig, Response};
pub use error::{AtError, ErrorCode};
pub use params::Param;
pub use urc::{Cusd, Urc};
