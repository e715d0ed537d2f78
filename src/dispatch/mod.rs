//! Dispatch (layer 3): lease → choose a route → send → record. (Status reports coming back
//! are `crate::inbound::reports`.)
//!
//! - [`balancer`] — the strategies, a pure function of route snapshots;
//! - [`retry`] — what a failure means for the message, a pure function;
//! - [`routing`] — which group of routes (modem pool, a provider) a message may use now;
//! - [`runner`] — the loop that ties the store to the routes.
//!
//! Knows routes only through the [`crate::route::Route`] trait: never a concrete modem or
//! provider type, never HTTP.

pub mod balancer;
pub mod retry;
pub mod routing;
pub mod runner;

pub use balancer::{Balancer, Strategy};
pub use retry::{Decision, RetryPolicy};
pub use routing::{Routing, RoutingPolicy};
pub use runner::{default_in_flight, DispatchSettings, Dispatcher, ModemSource};
