//! The HTTP API as a client calls it, for the test modules that drive a daemon in process:
//! one request through the router (`call`, `get`, `post`) and a bounded poll of an endpoint
//! until a condition holds (`wait_for`) — state changes of a daemon running in real time on
//! the simulator are awaited the way a client awaits them.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use smsgate::http::App;
use std::time::Duration;
use tower::ServiceExt;

/// One request; the answer's status and JSON body (`null` when it is not JSON).
pub async fn call(
    app: &App,
    method: &str,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    }
    .unwrap();
    let response = app.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024)
        .await
        .unwrap();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, value)
}

/// `POST` with a JSON body.
pub async fn post(app: &App, path: &str, body: Value) -> (StatusCode, Value) {
    call(app, "POST", path, Some(body), &[]).await
}

/// `GET`.
pub async fn get(app: &App, path: &str) -> (StatusCode, Value) {
    call(app, "GET", path, None, &[]).await
}

/// Polls `path` until `done` holds (at most 30 s), returning the last answer.
pub async fn wait_for(app: &App, path: &str, done: impl Fn(&Value) -> bool, what: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, v) = get(app, path).await;
        if done(&v) {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: never happened; last answer {v}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
