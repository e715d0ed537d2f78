//! The audit layer: after a successful call that changes something through an audited
//! path (webhook subscriptions, opt-outs, templates, modem admin, any other admin-scope
//! write), one audit entry naming the API key *by name* — never the key — the action and
//! the path. The reload handler audits through the service itself (with what changed).
//!
//! Knows only the service. Invariant: request bodies are never read here, so nothing a
//! client sent (a USSD code, a webhook secret) can reach the log.

use super::auth::Authorized;
use crate::config::Scope;
use crate::service::{Service, OPEN_API_ACTOR};
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

/// The audited routes: method, path as the router declares it, action.
const ACTIONS: &[(&str, &str, &str)] = &[
    ("POST", "/api/webhooks", "webhook.create"),
    ("PUT", "/api/webhooks/{id}", "webhook.update"),
    ("PATCH", "/api/webhooks/{id}", "webhook.update"),
    ("DELETE", "/api/webhooks/{id}", "webhook.delete"),
    (
        "POST",
        "/api/webhooks/{id}/rotate-secret",
        "webhook.rotate_secret",
    ),
    ("GET", "/api/webhooks/secret", "webhook.secret_read"),
    ("POST", "/api/optouts/{number}", "optout.add"),
    ("DELETE", "/api/optouts/{number}", "optout.remove"),
    ("POST", "/api/templates", "template.create"),
    ("PUT", "/api/templates/{id}", "template.update"),
    ("DELETE", "/api/templates/{id}", "template.delete"),
    ("POST", "/api/modems/{name}/disable", "modem.disable"),
    ("POST", "/api/modems/{name}/enable", "modem.enable"),
    ("POST", "/api/modems/{name}/reset", "modem.reset"),
    ("POST", "/api/modems/{name}/ussd", "modem.ussd"),
];

/// Routes that audit themselves (with more detail than a path).
const SELF_AUDITED: &[&str] = &["/api/admin/reload"];

/// The action of a successful call, if it is audited.
fn action_for(method: &Method, path: &str, scope: Scope) -> Option<&'static str> {
    if SELF_AUDITED.contains(&path) {
        return None;
    }
    if let Some((_, _, action)) = ACTIONS
        .iter()
        .find(|(m, p, _)| *m == method.as_str() && *p == path)
    {
        return Some(action);
    }
    // Any other admin call that may change something.
    (scope == Scope::Admin && *method != Method::GET && *method != Method::HEAD)
        .then_some("admin.call")
}

/// The middleware (see the module comment).
pub async fn record(State(service): State<Service>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let matched = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    if !response.status().is_success() {
        return response;
    }
    let (Some(authorized), Some(matched)) = (response.extensions().get::<Authorized>(), matched)
    else {
        return response;
    };
    let Some(action) = action_for(&method, &matched, authorized.scope) else {
        return response;
    };
    let actor = authorized
        .key
        .as_ref()
        .map_or(OPEN_API_ACTOR, |k| k.0.as_str())
        .to_string();
    let detail = serde_json::json!({
        "method": method.as_str(),
        "route": matched,
        "status": response.status().as_u16(),
    });
    service.audit_quietly(&actor, action, &path, detail).await;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_by_route_and_scope() {
        assert_eq!(
            action_for(&Method::POST, "/api/webhooks", Scope::Admin),
            Some("webhook.create")
        );
        assert_eq!(
            action_for(&Method::DELETE, "/api/optouts/{number}", Scope::Send),
            Some("optout.remove")
        );
        assert_eq!(
            action_for(&Method::POST, "/api/auto-replies", Scope::Admin),
            Some("admin.call")
        );
        assert_eq!(action_for(&Method::GET, "/api/audit", Scope::Admin), None);
        assert_eq!(
            action_for(&Method::POST, "/api/sms/send", Scope::Send),
            None
        );
        assert_eq!(
            action_for(&Method::POST, "/api/admin/reload", Scope::Admin),
            None
        );
    }
}
