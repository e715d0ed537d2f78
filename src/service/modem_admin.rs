//! Modem administration (issue 13): one modem's detail (identity, state and why, signal
//! history, counters, quota, balance), taking it out of rotation and back, resetting it,
//! and USSD.
//!
//! Every lookup by name goes through [`Service::modem_route`], the one place that knows how
//! the daemon holds its modems. Never imports axum, SQL or AT.

use super::{Service, ServiceError};
use crate::modem::admin::BalanceReading;
use crate::modem::history::{ModemCounters, SignalSample};
use crate::modem::quota::QuotaView;
use crate::modem::ussd::{UssdAnswer, UssdError, UssdRequest};
use crate::modem::{ModemRoute, ModemStatus};
use crate::route::{Route, RouteSnapshot};
use serde::Serialize;
use std::sync::Arc;
use thiserror::Error;
use tracing::{info, warn};

/// Why a modem admin request failed.
#[derive(Debug, Error)]
pub enum ModemAdminError {
    /// The common cases (unknown modem → 404, bad field → 400, store → 500).
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// Another USSD exchange or session holds the modem (409).
    #[error("{0}")]
    Busy(String),
    /// The modem cannot do it now (not initialised) (503).
    #[error("{0}")]
    Unavailable(String),
    /// The network did not answer in time (504).
    #[error("{0}")]
    Timeout(String),
    /// The modem or network refused (502).
    #[error("{0}")]
    Upstream(String),
}

/// `GET /api/modems/{name}`.
#[derive(Debug, Clone, Serialize)]
pub struct ModemDetail {
    /// Name, state and why, identity (IMEI, IMSI, ICCID, MSISDN, model, firmware), SMSC,
    /// network (operator, registration, signal).
    #[serde(flatten)]
    pub status: ModemStatus,
    /// Takes traffic now: ready and not held.
    pub in_rotation: bool,
    /// Disabled by an operator (kept across restarts).
    pub disabled: bool,
    /// Why it is out of rotation although ready (`disabled by an operator`, low balance).
    pub held: Option<&'static str>,
    /// One sample per health poll over the last hour, oldest first.
    pub signal_history: Vec<SignalSample>,
    /// Counters since start.
    pub counters: DetailCounters,
    /// The SIM quota, when capped.
    pub quota: Option<QuotaView>,
    /// The last balance check.
    pub balance: Option<BalanceReading>,
    /// The balancer's view.
    pub route: RouteSnapshot,
}

/// Counters of one modem.
#[derive(Debug, Clone, Serialize)]
pub struct DetailCounters {
    /// Segments handed to the modem since start.
    pub sent_segments: u64,
    /// Of those, parts of messages that could not be finished on it.
    pub fragment_segments: u64,
    /// Failures, `+CMS ERROR` codes and received messages.
    #[serde(flatten)]
    pub modem: ModemCounters,
}

impl Service {
    /// The modem route called `name`: the one lookup every admin action uses.
    pub(crate) fn modem_route(&self, name: &str) -> Option<Arc<ModemRoute>> {
        self.modems.get(name)
    }

    fn known_modem(&self, name: &str) -> Result<Arc<ModemRoute>, ServiceError> {
        self.modem_route(name)
            .ok_or_else(|| ServiceError::NotFound(format!("modem {name}")))
    }

    /// One modem in detail.
    pub fn modem_detail(&self, name: &str) -> Result<ModemDetail, ServiceError> {
        let route = self.known_modem(name)?;
        let modem = route.modem();
        let status = modem.status();
        let snapshot = route.snapshot();
        let admin = route.admin();
        Ok(ModemDetail {
            in_rotation: snapshot.ready,
            disabled: admin.disabled(),
            held: admin.held(),
            signal_history: modem.history().signal(self.now()),
            counters: DetailCounters {
                sent_segments: snapshot.sent_segments,
                fragment_segments: snapshot.fragment_segments,
                modem: modem.history().counters(),
            },
            quota: admin.quota_view(),
            balance: admin.balance(),
            route: snapshot,
            status,
        })
    }

    /// Takes a modem out of rotation (`true`) or back: the balancer skips it, its queued
    /// work goes elsewhere, it still receives. Stored, so a restart keeps it.
    pub async fn set_modem_disabled(
        &self,
        name: &str,
        disabled: bool,
    ) -> Result<ModemDetail, ServiceError> {
        let route = self.known_modem(name)?;
        self.store
            .set_modem_disabled(name, disabled, self.now())
            .await?;
        if route.admin().set_disabled(disabled) {
            // audit: modem disabled / enabled by the caller.
            info!(
                modem = name,
                disabled, "modem rotation changed by an operator"
            );
        }
        self.modem_detail(name)
    }

    /// Resets a modem (`AT+CFUN=1,1`) in the background: it goes through initialisation
    /// and comes back ready. Returns at once.
    pub fn reset_modem(&self, name: &str) -> Result<(), ServiceError> {
        let route = self.known_modem(name)?.clone();
        // audit: modem reset by the caller.
        tokio::spawn(async move {
            if !route.modem().reset().await {
                warn!(modem = %route.modem().name(), "the reset could not be sent (no session)");
            }
        });
        Ok(())
    }

    /// Sends a USSD code (or a session's reply) and returns the network's answer.
    pub async fn ussd(
        &self,
        name: &str,
        code: &str,
        session_id: Option<String>,
    ) -> Result<UssdAnswer, ModemAdminError> {
        let route = self.known_modem(name)?;
        let request = UssdRequest {
            code: code.trim().to_string(),
            session_id,
            timeout: route.admin().ussd_timeout(),
        };
        // audit: USSD sent by the caller (never the code: it may hold a PIN).
        route.modem().ussd(&request).await.map_err(|e| match e {
            UssdError::Invalid(reason) => {
                let reason = reason.strip_prefix("code: ").unwrap_or(&reason).to_string();
                ServiceError::Invalid {
                    field: "code".into(),
                    reason,
                }
                .into()
            }
            UssdError::UnknownSession(_) => ServiceError::Invalid {
                field: "session_id".into(),
                reason: e.to_string(),
            }
            .into(),
            UssdError::Busy(_) => ModemAdminError::Busy(e.to_string()),
            UssdError::NotReady(_) => ModemAdminError::Unavailable(e.to_string()),
            UssdError::Timeout(_) => ModemAdminError::Timeout(e.to_string()),
            UssdError::Refused(_) | UssdError::NotSupported => {
                ModemAdminError::Upstream(e.to_string())
            }
        })
    }
}
