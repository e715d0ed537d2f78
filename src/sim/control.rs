//! The control API of `smsgate simulate`: a small axum router to look at the simulated
//! modems and to drive them from tests and demos — inject inbound messages and URCs,
//! change faults and latency, read the sink. Bound to loopback only.
//!
//! This is the one place outside `http/` that uses axum: it is a test fixture's control
//! plane, not the product's API (see `docs/ARCHITECTURE.md`). Never imports `at/`,
//! `modem/`, `http/` or anything else above layer 1. Invariants: every error is JSON
//! `{"error": "...", "field": "..."}` with a 4xx status; nothing binds to a non-loopback
//! address.

use super::config::{Faults, InboundEncoding, InboundOptions, Latency, Stall};
use super::plug::{PlugError, PtyPlugs};
use super::{Counters, SimError, SimNetwork};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where a modem is served.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Endpoint {
    /// The pty symlink.
    pub pty: Option<PathBuf>,
    /// The TCP address.
    pub tcp: Option<SocketAddr>,
}

/// Errors of the control server.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// The address is not a loopback address.
    #[error("the control API binds to loopback only (127.0.0.1 or ::1), not {0}")]
    NotLoopback(SocketAddr),
    /// Binding or serving failed.
    #[error("control API on {addr}: {source}")]
    Io {
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
}

/// Refuses non-loopback addresses.
pub fn check_loopback(addr: SocketAddr) -> Result<(), ControlError> {
    if addr.ip().is_loopback() {
        Ok(())
    } else {
        Err(ControlError::NotLoopback(addr))
    }
}

#[derive(Clone)]
struct AppState {
    network: SimNetwork,
    endpoints: Arc<Vec<Endpoint>>,
    /// The modems' ptys, when served on ptys (unplug and plug).
    plugs: Option<Arc<PtyPlugs>>,
}

/// The control router; `endpoints[i]` says where modem `i` is served.
pub fn router(network: SimNetwork, endpoints: Vec<Endpoint>) -> Router {
    router_with_plugs(network, endpoints, None)
}

/// [`router`] plus `POST /modems/{index}/unplug` and `POST /modems/{index}/plug`
/// (`{"path": …}` optional: where the new pty's link goes; the last path otherwise).
pub fn router_with_plugs(
    network: SimNetwork,
    endpoints: Vec<Endpoint>,
    plugs: Option<Arc<PtyPlugs>>,
) -> Router {
    Router::new()
        .route("/modems", get(list_modems))
        .route("/modems/{index}/unplug", post(unplug))
        .route("/modems/{index}/plug", post(plug))
        .route("/modems/{index}/inbound", post(inbound))
        .route("/modems/{index}/faults", post(faults))
        .route("/modems/{index}/urc", post(urc))
        .route("/sink", get(sink))
        .fallback(not_found)
        .with_state(AppState {
            network,
            endpoints: Arc::new(endpoints),
            plugs,
        })
}

/// Binds the control API's listener: loopback addresses only.
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, ControlError> {
    check_loopback(addr)?;
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ControlError::Io { addr, source })
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

/// A JSON error with a 4xx status.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    error: String,
    field: Option<String>,
}

impl ApiError {
    fn bad(field: &str, error: impl ToString) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: error.to_string(),
            field: Some(field.to_string()),
        }
    }
}

impl From<SimError> for ApiError {
    fn from(error: SimError) -> Self {
        match &error {
            SimError::NoSuchModem { .. } => Self {
                status: StatusCode::NOT_FOUND,
                error: error.to_string(),
                field: Some("index".into()),
            },
            SimError::InvalidParameter { field, .. } => Self::bad(field, &error),
            SimError::NoRuntime => Self::bad("index", &error),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Body {
            error: String,
            #[serde(skip_serializing_if = "Option::is_none")]
            field: Option<String>,
        }
        (
            self.status,
            Json(Body {
                error: self.error,
                field: self.field,
            }),
        )
            .into_response()
    }
}

async fn not_found() -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        error: "no such resource".into(),
        field: None,
    }
}

/// Parses a JSON body; errors name the field when serde does.
fn parse_json<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        let message = e.to_string();
        let field = message
            .split('`')
            .nth(1)
            .filter(|f| f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or("body")
            .to_string();
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            error: message,
            field: Some(field),
        }
    })
}

fn modem_index(state: &AppState, index: &str) -> Result<usize, ApiError> {
    let index: usize = index
        .parse()
        .map_err(|_| ApiError::bad("index", "a modem index is a number"))?;
    if index >= state.network.modem_count() {
        return Err(SimError::NoSuchModem {
            modem: index,
            count: state.network.modem_count(),
        }
        .into());
    }
    Ok(index)
}

#[derive(Serialize)]
struct ModemView {
    index: usize,
    msisdn: String,
    imei: String,
    imsi: String,
    iccid: String,
    pty: Option<PathBuf>,
    tcp: Option<SocketAddr>,
    counters: Counters,
}

async fn list_modems(State(state): State<AppState>) -> Json<Vec<ModemView>> {
    let network = &state.network;
    Json(
        (0..network.modem_count())
            .map(|index| {
                let endpoint = state.endpoints.get(index).cloned().unwrap_or_default();
                let pty = match &state.plugs {
                    Some(plugs) => plugs.path(index),
                    None => endpoint.pty,
                };
                let (imei, imsi, iccid) = network.identity(index).unwrap_or_default();
                ModemView {
                    index,
                    msisdn: network.msisdn(index),
                    imei,
                    imsi,
                    iccid,
                    pty,
                    tcp: endpoint.tcp,
                    counters: network.counters(index),
                }
            })
            .collect(),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InboundRequest {
    from: String,
    text: String,
    #[serde(default)]
    encoding: InboundEncoding,
    class: Option<u8>,
    reference: Option<u16>,
    /// Only these segments, in this order (empty: all).
    #[serde(default)]
    parts: Vec<u8>,
}

async fn inbound(
    State(state): State<AppState>,
    Path(index): Path<String>,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let index = modem_index(&state, &index)?;
    let request: InboundRequest = parse_json(&body)?;
    let segments = state.network.inject_inbound(
        index,
        &request.from,
        &request.text,
        InboundOptions {
            encoding: request.encoding,
            class: request.class,
            reference: request.reference,
            parts: request.parts,
        },
    )?;
    Ok(Json(serde_json::json!({ "segments": segments })))
}

/// `latency_ms`: a number, or `[min, max]`.
#[derive(Deserialize)]
#[serde(untagged)]
enum LatencyMs {
    Fixed(u64),
    Range([u64; 2]),
}

/// Fields left out keep their current value.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultsRequest {
    failure_rate: Option<f64>,
    failure_codes: Option<Vec<u16>>,
    #[serde(default, with = "double_option")]
    hang_after: Option<Option<u64>>,
    #[serde(default, with = "double_option")]
    noise_interval_ms: Option<Option<u64>>,
    #[serde(default, with = "double_option")]
    stall: Option<Option<StallMs>>,
    urc_mid_response: Option<bool>,
    no_sim: Option<bool>,
    latency_ms: Option<LatencyMs>,
}

/// `{"after_submits": 15, "for_ms": 20000}`: [`super::config::Stall`].
#[derive(Deserialize, Serialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
struct StallMs {
    after_submits: u64,
    for_ms: u64,
}

/// `null` clears an optional fault; a missing field keeps it.
mod double_option {
    use serde::{Deserialize, Deserializer};

    pub(super) fn deserialize<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Option::<T>::deserialize(d).map(Some)
    }
}

#[derive(Serialize)]
struct FaultsView {
    failure_rate: f64,
    failure_codes: Vec<u16>,
    hang_after: Option<u64>,
    noise_interval_ms: Option<u128>,
    stall: Option<StallMs>,
    urc_mid_response: bool,
    no_sim: bool,
}

async fn faults(
    State(state): State<AppState>,
    Path(index): Path<String>,
    body: Bytes,
) -> Result<Json<FaultsView>, ApiError> {
    let index = modem_index(&state, &index)?;
    let request: FaultsRequest = parse_json(&body)?;
    let mut faults: Faults = state.network.faults(index).unwrap_or_default();
    if let Some(rate) = request.failure_rate {
        if !(0.0..=1.0).contains(&rate) {
            return Err(ApiError::bad("failure_rate", "a probability from 0 to 1"));
        }
        faults.failure_rate = rate;
    }
    if let Some(codes) = request.failure_codes {
        faults.failure_codes = codes;
    }
    if let Some(hang) = request.hang_after {
        faults.hang_after = hang;
    }
    if let Some(noise) = request.noise_interval_ms {
        if noise == Some(0) {
            return Err(ApiError::bad("noise_interval_ms", "must be above 0"));
        }
        faults.noise_interval = noise.map(Duration::from_millis);
    }
    if let Some(stall) = request.stall {
        if stall.is_some_and(|s| s.for_ms == 0) {
            return Err(ApiError::bad("stall.for_ms", "must be above 0"));
        }
        faults.stall = stall.map(|s| Stall {
            after_submits: s.after_submits,
            duration: Duration::from_millis(s.for_ms),
        });
    }
    if let Some(mid) = request.urc_mid_response {
        faults.urc_mid_response = mid;
    }
    if let Some(no_sim) = request.no_sim {
        faults.no_sim = no_sim;
    }
    match request.latency_ms {
        Some(LatencyMs::Fixed(ms)) => state
            .network
            .set_latency(index, Latency::Fixed(Duration::from_millis(ms))),
        Some(LatencyMs::Range([min, max])) if min <= max => state.network.set_latency(
            index,
            Latency::Range(Duration::from_millis(min), Duration::from_millis(max)),
        ),
        Some(LatencyMs::Range(_)) => {
            return Err(ApiError::bad("latency_ms", "min is above max"));
        }
        None => {}
    }
    state.network.set_faults(index, faults.clone());
    Ok(Json(FaultsView {
        failure_rate: faults.failure_rate,
        failure_codes: faults.failure_codes,
        hang_after: faults.hang_after,
        noise_interval_ms: faults.noise_interval.map(|d| d.as_millis()),
        stall: faults.stall.map(|s| StallMs {
            after_submits: s.after_submits,
            for_ms: u64::try_from(s.duration.as_millis()).unwrap_or(u64::MAX),
        }),
        urc_mid_response: faults.urc_mid_response,
        no_sim: faults.no_sim,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UrcRequest {
    line: String,
}

async fn urc(
    State(state): State<AppState>,
    Path(index): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let index = modem_index(&state, &index)?;
    let request: UrcRequest = parse_json(&body)?;
    if request.line.contains(['\r', '\n']) {
        return Err(ApiError::bad("line", "one line, without CR or LF"));
    }
    state.network.inject_urc(index, &request.line);
    Ok(StatusCode::NO_CONTENT)
}

async fn sink(State(state): State<AppState>) -> Json<Vec<super::SinkMessage>> {
    Json(state.network.sink())
}

impl From<PlugError> for ApiError {
    fn from(error: PlugError) -> Self {
        match &error {
            PlugError::NoSuchModem(_) => Self {
                status: StatusCode::NOT_FOUND,
                error: error.to_string(),
                field: Some("index".into()),
            },
            PlugError::NotPlugged(_) => Self {
                status: StatusCode::CONFLICT,
                error: error.to_string(),
                field: Some("index".into()),
            },
            PlugError::NoPath(_) | PlugError::Io(_) => Self::bad("path", &error),
        }
    }
}

fn plugs(state: &AppState) -> Result<Arc<PtyPlugs>, ApiError> {
    state.plugs.clone().ok_or_else(|| ApiError {
        status: StatusCode::CONFLICT,
        error: "the modems are not served on ptys (start with --pty-dir)".into(),
        field: None,
    })
}

async fn unplug(
    State(state): State<AppState>,
    Path(index): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let index = modem_index(&state, &index)?;
    let link = plugs(&state)?.unplug(index)?;
    Ok(Json(
        serde_json::json!({ "modem": index, "unplugged": link }),
    ))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PlugRequest {
    path: Option<PathBuf>,
}

async fn plug(
    State(state): State<AppState>,
    Path(index): Path<String>,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let index = modem_index(&state, &index)?;
    let request: PlugRequest = if body.is_empty() {
        PlugRequest::default()
    } else {
        parse_json(&body)?
    };
    let link = plugs(&state)?.plug(index, request.path.as_deref())?;
    Ok(Json(serde_json::json!({ "modem": index, "pty": link })))
}
