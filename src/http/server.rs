//! The HTTP/1.1 server loop: accepts connections up to a cap, gives each client a deadline
//! for its request headers, hands requests (with the peer address, for the per-IP limits)
//! to the router, and on shutdown lets requests in progress finish.
//!
//! Why not `axum::serve`: it has neither a header-read timeout nor a connection cap, so a
//! client that opens connections and sends nothing holds a file descriptor each for ever —
//! a few hundred of them and the daemon can no longer accept `/healthz`, open its database
//! or a modem port. Here a connection that has not sent complete headers within
//! `header_read_timeout` (also between keep-alive requests) is closed, and no more than
//! `max_connections` are served at once; the rest wait in the listen backlog.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_service::Service;
use tracing::{debug, warn};

/// Connection limits.
#[derive(Debug, Clone, Copy)]
pub struct ServeLimits {
    /// Time a client has to send a request's headers (from connecting, or from the end of
    /// its previous request).
    pub header_read_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 512,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves; requests in progress then finish
/// (idle connections are closed at once).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServeLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let stop = CancellationToken::new();
    let connections = TaskTracker::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // EMFILE and friends: wait a little instead of spinning on the error.
                    warn!("accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let stop = stop.clone();
        connections.spawn(async move {
            let service =
                hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    let mut app = app.clone();
                    async move { app.call(request).await }
                });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                .keep_alive(true);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                () = stop.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = result {
                debug!(%peer, "connection ended: {e}");
            }
            drop(slot);
        });
    }
    stop.cancel();
    connections.close();
    // Requests in progress finish; a client that never reads its answer does not hold the
    // daemon's stop (and a running +CMGS) past this.
    if tokio::time::timeout(DRAIN_LIMIT, connections.wait())
        .await
        .is_err()
    {
        warn!(
            "{} HTTP connections still open {} s after the stop; leaving them",
            connections.len(),
            DRAIN_LIMIT.as_secs()
        );
    }
    Ok(())
}

/// How long the stop waits for requests in progress.
const DRAIN_LIMIT: Duration = Duration::from_secs(30);
