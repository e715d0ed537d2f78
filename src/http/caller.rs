//! Who is calling: the peer address (from `ConnectInfo`, set by [`super::serve`]) and the
//! name of the API key the request was authorised with (set by `auth`), as the service's
//! [`Caller`] for its per-IP and per-key limits.
//!
//! The peer address is the TCP peer: behind a reverse proxy every request has the proxy's
//! address, and the per-IP limit then applies to all clients together.

use super::auth::KeyName;
use crate::service::Caller;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::convert::Infallible;
use std::net::SocketAddr;

/// The caller of a request.
pub struct ClientCaller(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for ClientCaller {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientCaller(Caller {
            ip: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip()),
            api_key: parts.extensions.get::<KeyName>().map(|k| k.0.clone()),
        }))
    }
}
