//! `modem.up` / `modem.down` (layer 3): watches each modem's health state and records an
//! event when it starts or stops taking traffic, for the subscriptions that want it.
//!
//! Up is `ready`; down is any other state after it was up, or a first settled state that is
//! not ready (`down`, `degraded`, `sim_error`) — the start-up `initialising` is no event.
//! Only flips are events: a modem going from `down` to `degraded` tells no one anything new.
//!
//! Imports the modem handle (layer 2) and the store; never HTTP.

use crate::message::{format_millis, now_millis};
use crate::modem::{Fleet, ModemRoute, ModemState, ModemStatus};
use crate::store::Store;
use std::collections::HashMap;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tracing::warn;

/// Whether the modem takes traffic, or `None` while that is not known yet.
fn is_up(state: &ModemState, was: Option<bool>) -> Option<bool> {
    match state {
        ModemState::Ready => Some(true),
        ModemState::Initialising if was.is_none() => None,
        _ => Some(false),
    }
}

/// The event a change from `was` to `state` makes, if any.
pub fn transition(was: Option<bool>, state: &ModemState) -> Option<&'static str> {
    match (was, is_up(state, was)) {
        (Some(a), Some(b)) if a == b => None,
        (_, Some(true)) => Some("modem.up"),
        (_, Some(false)) => Some("modem.down"),
        (_, None) => None,
    }
}

/// The event's data: the modem's name, state, why (when not ready) and when.
fn data(status: &ModemStatus, at: i64) -> serde_json::Value {
    let (state, detail) = match &status.state {
        ModemState::Initialising => ("initialising", None),
        ModemState::Ready => ("ready", None),
        ModemState::Degraded(why) => ("degraded", Some(why.as_str())),
        ModemState::Down(why) => ("down", Some(why.as_str())),
        ModemState::SimError(why) => ("sim_error", Some(why.as_str())),
        ModemState::Failed(why) => ("failed", Some(why.as_str())),
    };
    serde_json::json!({
        "modem": status.name,
        "state": state,
        "detail": detail,
        "msisdn": status.identity.msisdn,
        "at": format_millis(at),
    })
}

/// Watches every modem of the fleet until `cancel` (one task per modem): a modem that
/// joins later is watched from then on; one that leaves stops being watched.
pub async fn run(store: Store, fleet: Fleet, cancel: CancellationToken) {
    let mut changes = fleet.subscribe();
    let mut watchers = tokio::task::JoinSet::new();
    // By name: the modem watched and the token that ends its watcher.
    let mut watched: HashMap<String, (Arc<ModemRoute>, CancellationToken)> = HashMap::new();
    loop {
        changes.borrow_and_update();
        let now = fleet.snapshot();
        watched.retain(|name, (modem, stop)| {
            let kept = now
                .iter()
                .any(|m| m.modem().name() == name && Arc::ptr_eq(m, modem));
            if !kept {
                stop.cancel();
            }
            kept
        });
        for modem in now.iter() {
            let name = modem.modem().name().to_string();
            if watched.contains_key(&name) {
                continue;
            }
            let stop = cancel.child_token();
            watchers.spawn(watch(store.clone(), modem.clone(), stop.clone()));
            watched.insert(name, (modem.clone(), stop));
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            changed = changes.changed() => if changed.is_err() { break },
            Some(_) = watchers.join_next(), if !watchers.is_empty() => {}
        }
    }
    while watchers.join_next().await.is_some() {}
}

async fn watch(store: Store, modem: Arc<ModemRoute>, cancel: CancellationToken) {
    let mut rx = modem.modem().watch();
    let mut up: Option<bool> = None;
    loop {
        let status = rx.borrow_and_update().clone();
        if let Some(kind) = transition(up, &status.state) {
            let now = now_millis();
            if let Err(e) = store.emit_event(kind, data(&status, now), now).await {
                warn!(modem = %status.name, "recording {kind} failed: {e}");
            }
        }
        up = is_up(&status.state, up);
        tokio::select! {
            () = cancel.cancelled() => return,
            changed = rx.changed() => if changed.is_err() { return },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_flips_of_ready_are_events() {
        let down = ModemState::Down("port gone".into());
        assert_eq!(transition(None, &ModemState::Initialising), None);
        assert_eq!(transition(None, &ModemState::Ready), Some("modem.up"));
        assert_eq!(transition(None, &down), Some("modem.down"));
        assert_eq!(transition(Some(true), &ModemState::Ready), None);
        assert_eq!(transition(Some(true), &down), Some("modem.down"));
        assert_eq!(
            transition(Some(true), &ModemState::Initialising),
            Some("modem.down")
        );
        assert_eq!(
            transition(Some(false), &ModemState::Degraded("x".into())),
            None
        );
        assert_eq!(
            transition(Some(false), &ModemState::Ready),
            Some("modem.up")
        );
    }
}
