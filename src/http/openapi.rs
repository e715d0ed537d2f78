//! The OpenAPI 3.1 document of the whole HTTP API, built with `utoipa` from [`ROUTES`] —
//! one row per method and path the routers serve — and served at `GET /api/openapi.json`
//! (no key: it describes the API, it holds nothing). `docs/openapi.json` is this document
//! as written by the test that keeps it current.
//!
//! Invariant (checked by `tests/it/openapi.rs`): [`ROUTES`] lists exactly the routes the
//! routers in `src/http/` declare — a route added without its row, or a row without its
//! route, fails the test — so the document cannot drift from the code.

use super::AppState;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathItem,
    PathsBuilder, Required, ResponseBuilder, ResponsesBuilder,
};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// An API key with this scope (any request, on an open API).
    Scope(&'static str),
    /// A key with any one of these scopes (any request, on an open API).
    AnyOf(&'static [&'static str]),
    /// Nobody needs a key (probes, this document).
    Open,
    /// The caller is a cloud provider: its signature over the request is the check.
    ProviderSignature,
    /// The Twilio-compatible API's Basic auth (`[twilio_compat]`).
    TwilioBasic,
}

/// One method on one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteDoc {
    /// `GET`, `POST`, `PUT`, `DELETE`.
    pub method: &'static str,
    /// As the router declares it (`{id}` for a path parameter).
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// What it does, in a line.
    pub summary: &'static str,
}

const fn route(
    method: &'static str,
    path: &'static str,
    access: Access,
    summary: &'static str,
) -> RouteDoc {
    RouteDoc {
        method,
        path,
        access,
        summary,
    }
}

use Access::{AnyOf, Open, ProviderSignature, Scope, TwilioBasic};

/// Every route the API serves (see the module invariant). `docs/api.md` describes each.
pub const ROUTES: &[RouteDoc] = &[
    // Sending.
    route(
        "POST",
        "/api/sms/send",
        Scope("send"),
        "Send one message to one or more recipients",
    ),
    route("POST", "/api/sms/send-batch", Scope("send"), "Send a batch"),
    route(
        "POST",
        "/api/sms/{id}/cancel",
        Scope("send"),
        "Cancel a message not sent yet",
    ),
    route(
        "POST",
        "/api/sms/count",
        AnyOf(&["send", "read"]),
        "Segments and encoding of a text (the send path's calculator)",
    ),
    route(
        "GET",
        "/api/sms",
        Scope("read"),
        "List messages (filters, paging)",
    ),
    route(
        "GET",
        "/api/sms/{id}",
        Scope("read"),
        "A message with its segments and events",
    ),
    route(
        "GET",
        "/api/batches/{id}",
        Scope("read"),
        "A batch and its messages' states",
    ),
    route(
        "POST",
        "/api/sms/{id}/webhook",
        Scope("send"),
        "Report a message's status (generic provider webhook)",
    ),
    // Conversations (seed 003).
    route(
        "GET",
        "/api/sms/conversations",
        Scope("read"),
        "List conversations",
    ),
    route(
        "GET",
        "/api/sms/conversations/{id}",
        Scope("read"),
        "A conversation",
    ),
    route(
        "GET",
        "/api/sms/conversations/{id}/history",
        Scope("read"),
        "A conversation's messages, both directions",
    ),
    route(
        "POST",
        "/api/sms/conversations/{id}/close",
        Scope("send"),
        "Close a conversation",
    ),
    route(
        "POST",
        "/api/sms/conversations/{id}/reply",
        Scope("send"),
        "Reply by the route the person wrote to",
    ),
    route(
        "GET",
        "/api/sms/stats",
        Scope("read"),
        "Conversation statistics (seed 003)",
    ),
    // Templates.
    route("POST", "/api/templates", Scope("send"), "Create a template"),
    route("GET", "/api/templates", Scope("read"), "List templates"),
    route("GET", "/api/templates/{id}", Scope("read"), "A template"),
    route(
        "PUT",
        "/api/templates/{id}",
        Scope("send"),
        "Update a template",
    ),
    route(
        "DELETE",
        "/api/templates/{id}",
        Scope("send"),
        "Delete a template",
    ),
    route(
        "POST",
        "/api/templates/{id}/preview",
        Scope("send"),
        "Render a template",
    ),
    route(
        "GET",
        "/api/templates/{id}/versions",
        Scope("read"),
        "A template's earlier versions",
    ),
    // Inbound and opt-outs.
    route(
        "GET",
        "/api/inbound",
        Scope("read"),
        "List inbound messages",
    ),
    route(
        "GET",
        "/api/inbound/{id}",
        Scope("read"),
        "An inbound message with its parts",
    ),
    route(
        "GET",
        "/api/optouts",
        Scope("read"),
        "List opted-out numbers",
    ),
    route(
        "GET",
        "/api/optouts/{number}",
        Scope("read"),
        "Whether a number opted out",
    ),
    route(
        "POST",
        "/api/optouts/{number}",
        Scope("send"),
        "Opt a number out",
    ),
    route(
        "DELETE",
        "/api/optouts/{number}",
        Scope("send"),
        "Opt a number back in",
    ),
    // OTP and 2FA.
    route(
        "POST",
        "/api/otp/generate",
        Scope("otp"),
        "Send a one-time code",
    ),
    route(
        "POST",
        "/api/otp/send",
        Scope("otp"),
        "Send a one-time code (short form)",
    ),
    route(
        "POST",
        "/api/otp/verify",
        Scope("otp"),
        "Verify a one-time code",
    ),
    route(
        "GET",
        "/api/otp/sessions",
        Scope("read"),
        "Recent OTP sessions (never a code) and the verification success rate",
    ),
    route(
        "POST",
        "/api/otp/resend/{session_id}",
        Scope("otp"),
        "Send a session's code again",
    ),
    route(
        "GET",
        "/api/otp/{session_id}",
        Scope("otp"),
        "An OTP session's state",
    ),
    route(
        "POST",
        "/api/2fa/enroll",
        Scope("otp"),
        "Enrol a user's phone for 2FA",
    ),
    route(
        "POST",
        "/api/2fa/confirm",
        Scope("otp"),
        "Confirm an enrolment",
    ),
    route(
        "POST",
        "/api/2fa/challenge",
        Scope("otp"),
        "Send a 2FA code",
    ),
    route(
        "POST",
        "/api/2fa/verify",
        Scope("otp"),
        "Verify a 2FA code or backup code",
    ),
    route(
        "POST",
        "/api/2fa/disable",
        Scope("otp"),
        "Disable 2FA for a user",
    ),
    route(
        "GET",
        "/api/2fa/{user_id}",
        Scope("otp"),
        "A user's 2FA state",
    ),
    // Numbers, modems, routes.
    // Analytics.
    route(
        "GET",
        "/api/analytics/stats",
        Scope("read"),
        "Totals, by status, cost, delivery rate, by route and modem",
    ),
    route(
        "GET",
        "/api/analytics/countries",
        Scope("read"),
        "Count, segments and cost per destination country",
    ),
    route(
        "GET",
        "/api/analytics/timeline",
        Scope("read"),
        "Counts by status per hour or day",
    ),
    route(
        "GET",
        "/api/analytics/routes",
        Scope("read"),
        "Per route success rate, latency percentiles, cost, errors",
    ),
    route(
        "GET",
        "/api/analytics/dashboard",
        Scope("read"),
        "The seed 001 dashboard in one call",
    ),
    route(
        "GET",
        "/api/phone/validate/{number}",
        Scope("read"),
        "Validate and describe a number",
    ),
    route(
        "GET",
        "/api/modems",
        Scope("read"),
        "The modems and their state",
    ),
    route(
        "GET",
        "/api/modems/{name}",
        Scope("read"),
        "One modem: identity, state and why, signal history, counters, quota, balance",
    ),
    route(
        "POST",
        "/api/modems/{name}/disable",
        Scope("admin"),
        "Take a modem out of rotation (kept across restarts)",
    ),
    route(
        "POST",
        "/api/modems/{name}/enable",
        Scope("admin"),
        "Put a modem back into rotation",
    ),
    route(
        "POST",
        "/api/modems/{name}/reset",
        Scope("admin"),
        "Reset a modem (AT+CFUN=1,1); it initialises again",
    ),
    route(
        "POST",
        "/api/modems/{name}/ussd",
        Scope("admin"),
        "Send a USSD code or a session reply; the network's answer",
    ),
    route(
        "GET",
        "/api/routes",
        Scope("read"),
        "Every route as the dispatcher sees it",
    ),
    // Administration.
    route(
        "POST",
        "/api/admin/reload",
        Scope("admin"),
        "Re-read the config file and apply what can change live",
    ),
    route(
        "GET",
        "/api/audit",
        Scope("admin"),
        "The audit log of admin actions, newest first",
    ),
    route(
        "GET",
        "/api/cluster",
        Scope("admin"),
        "The nodes sharing this node's database: their routes and last heartbeat",
    ),
    route(
        "GET",
        "/api/webhooks/secret",
        Scope("admin"),
        "The status callbacks' signing secret",
    ),
    route(
        "POST",
        "/api/webhooks",
        Scope("admin"),
        "Subscribe a receiver to events",
    ),
    route(
        "GET",
        "/api/webhooks",
        Scope("admin"),
        "List webhook subscriptions",
    ),
    route(
        "GET",
        "/api/webhooks/{id}",
        Scope("admin"),
        "A webhook subscription",
    ),
    route(
        "DELETE",
        "/api/webhooks/{id}",
        Scope("admin"),
        "Delete a webhook subscription",
    ),
    route(
        "POST",
        "/api/webhooks/{id}/rotate-secret",
        Scope("admin"),
        "New signing secret for a subscription",
    ),
    route(
        "GET",
        "/api/webhooks/{id}/deliveries",
        Scope("admin"),
        "A subscription's deliveries",
    ),
    route(
        "GET",
        "/api/auto-replies",
        Scope("admin"),
        "List automatic-reply rules",
    ),
    route(
        "POST",
        "/api/auto-replies",
        Scope("admin"),
        "Create an automatic-reply rule",
    ),
    route(
        "GET",
        "/api/auto-replies/{id}",
        Scope("admin"),
        "An automatic-reply rule",
    ),
    route(
        "PUT",
        "/api/auto-replies/{id}",
        Scope("admin"),
        "Replace an automatic-reply rule",
    ),
    route(
        "DELETE",
        "/api/auto-replies/{id}",
        Scope("admin"),
        "Delete an automatic-reply rule",
    ),
    // Cloud providers calling us.
    route(
        "POST",
        "/webhooks/twilio/status",
        ProviderSignature,
        "Twilio status callback",
    ),
    route(
        "GET",
        "/webhooks/vonage/status",
        ProviderSignature,
        "Vonage delivery receipt",
    ),
    route(
        "POST",
        "/webhooks/vonage/status",
        ProviderSignature,
        "Vonage delivery receipt",
    ),
    route(
        "POST",
        "/webhooks/plivo/status",
        ProviderSignature,
        "Plivo status callback",
    ),
    route(
        "GET",
        "/webhooks/twilio/sms",
        ProviderSignature,
        "Twilio incoming message",
    ),
    route(
        "POST",
        "/webhooks/twilio/sms",
        ProviderSignature,
        "Twilio incoming message",
    ),
    route(
        "GET",
        "/webhooks/vonage/inbound",
        ProviderSignature,
        "Vonage incoming message",
    ),
    route(
        "POST",
        "/webhooks/vonage/inbound",
        ProviderSignature,
        "Vonage incoming message",
    ),
    route(
        "POST",
        "/webhooks/plivo/sms",
        ProviderSignature,
        "Plivo incoming message",
    ),
    // The Twilio-compatible API.
    route(
        "POST",
        "/2010-04-01/Accounts/{account}/Messages.json",
        TwilioBasic,
        "Create a message (Twilio's API)",
    ),
    route(
        "GET",
        "/2010-04-01/Accounts/{account}/Messages.json",
        TwilioBasic,
        "List messages (Twilio's API)",
    ),
    route(
        "GET",
        "/2010-04-01/Accounts/{account}/Messages/{file}",
        TwilioBasic,
        "Fetch a message (`{sid}.json`)",
    ),
    route(
        "DELETE",
        "/2010-04-01/Accounts/{account}/Messages/{file}",
        TwilioBasic,
        "Cancel a message (`{sid}.json`)",
    ),
    // Probes and this document.
    route("GET", "/healthz", Open, "Liveness"),
    route(
        "GET",
        "/readyz",
        Open,
        "Readiness: the store answers and a route is ready",
    ),
    route("GET", "/api/openapi.json", Open, "This document"),
    route(
        "GET",
        "/api/auth/whoami",
        AnyOf(&["send", "otp", "read", "admin", "metrics"]),
        "The caller's key name and scopes",
    ),
    route(
        "GET",
        "/metrics",
        Scope("metrics"),
        "Prometheus metrics (OpenMetrics text; no key with [metrics] public)",
    ),
];

fn method_of(name: &str) -> Option<HttpMethod> {
    match name {
        "GET" => Some(HttpMethod::Get),
        "POST" => Some(HttpMethod::Post),
        "PUT" => Some(HttpMethod::Put),
        "DELETE" => Some(HttpMethod::Delete),
        "PATCH" => Some(HttpMethod::Patch),
        _ => None,
    }
}

/// The `{name}` parameters of `path`, in order.
pub fn path_parameters(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}

fn tag_of(path: &str) -> &'static str {
    let tags: &[(&str, &'static str)] = &[
        ("/api/sms/conversations", "conversations"),
        ("/api/sms/stats", "conversations"),
        ("/api/sms", "messages"),
        ("/api/batches", "messages"),
        ("/api/templates", "templates"),
        ("/api/inbound", "inbound"),
        ("/api/optouts", "opt-outs"),
        ("/api/otp", "otp"),
        ("/api/2fa", "2fa"),
        ("/api/phone", "numbers"),
        ("/api/analytics", "analytics"),
        ("/api/modems", "system"),
        ("/api/routes", "system"),
        ("/api/webhooks", "webhooks"),
        ("/api/auto-replies", "auto-replies"),
        ("/api/auth", "system"),
        ("/webhooks/", "provider webhooks"),
        ("/2010-04-01/", "twilio-compatible"),
    ];
    tags.iter()
        .find(|(prefix, _)| path.starts_with(prefix))
        .map_or("system", |(_, tag)| tag)
}

/// The component describing a route's request body, where the body is a derived schema
/// of the type the handler deserializes (so the two cannot differ).
fn body_schema(route: &RouteDoc) -> Option<&'static str> {
    match (route.method, route.path) {
        ("POST", "/api/sms/send") => Some("SendBody"),
        ("POST", "/api/sms/send-batch") => Some("BatchBody"),
        _ => None,
    }
}

fn operation(route: &RouteDoc) -> utoipa::openapi::path::Operation {
    let json_response = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content("application/json", ContentBuilder::new().build())
            .build()
    };
    let mut responses = ResponsesBuilder::new()
        .response(
            "200",
            json_response("Success (see docs/api.md for the body)"),
        )
        .response(
            "400",
            json_response("Bad input: `{\"error\", \"field\", \"message\"}`"),
        );
    let mut builder = OperationBuilder::new()
        .summary(Some(route.summary))
        .tag(tag_of(route.path))
        .operation_id(Some(format!(
            "{}{}",
            route.method.to_lowercase(),
            route
                .path
                .replace(['/', '{', '}', '.', '-'], "_")
                .trim_end_matches('_')
        )));
    for name in path_parameters(route.path) {
        builder = builder.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .schema(Some(
                    utoipa::openapi::ObjectBuilder::new()
                        .schema_type(utoipa::openapi::schema::Type::String),
                ))
                .build(),
        );
    }
    if matches!(route.method, "POST" | "PUT") && route.access != Access::ProviderSignature {
        let content = match body_schema(route) {
            Some(name) => ContentBuilder::new()
                .schema(Some(utoipa::openapi::Ref::from_schema_name(name)))
                .build(),
            None => ContentBuilder::new().build(),
        };
        builder = builder.request_body(Some(
            RequestBodyBuilder::new()
                .content("application/json", content)
                .required(Some(Required::True))
                .build(),
        ));
    }
    match route.access {
        Access::Scope(scope) => {
            responses = responses
                .response("401", json_response("No or unknown API key"))
                .response("403", json_response("The key lacks the scope"));
            builder = builder
                .description(Some(format!("Scope `{scope}`.")))
                .security(SecurityRequirement::new("bearer", [scope]))
                .security(SecurityRequirement::new("api_key", [scope]));
        }
        Access::AnyOf(scopes) => {
            responses = responses
                .response("401", json_response("No or unknown API key"))
                .response("403", json_response("The key has none of the scopes"));
            let names: Vec<String> = scopes.iter().map(|s| format!("`{s}`")).collect();
            builder = builder.description(Some(format!("Any of scopes {}.", names.join(", "))));
            // Security requirements are alternatives: any one of them is enough.
            for scope in scopes.iter() {
                builder = builder
                    .security(SecurityRequirement::new("bearer", [*scope]))
                    .security(SecurityRequirement::new("api_key", [*scope]));
            }
        }
        Access::ProviderSignature => {
            responses = responses.response("403", json_response("Bad or missing signature"));
            builder = builder.description(Some(
                "Called by the provider; authenticated by its signature over the public URL.",
            ));
        }
        Access::TwilioBasic => {
            builder = builder.security(SecurityRequirement::new(
                "twilio_basic",
                Vec::<String>::new(),
            ));
        }
        Access::Open => {}
    }
    builder.responses(responses.build()).build()
}

/// The document.
pub fn document() -> OpenApi {
    let mut paths = PathsBuilder::new();
    for route in ROUTES {
        let Some(method) = method_of(route.method) else {
            continue;
        };
        paths = paths.path(route.path, PathItem::new(method, operation(route)));
    }
    let components = ComponentsBuilder::new()
        .schema_from::<super::dto::SendBody>()
        .schema_from::<super::dto::BatchBody>()
        // Hand-described beside their hand-written deserializers (`src/http/dto.rs`).
        .schema(
            "Recipients",
            <super::dto::Recipients as utoipa::PartialSchema>::schema(),
        )
        .schema(
            "RecipientDto",
            <super::dto::RecipientDto as utoipa::PartialSchema>::schema(),
        )
        .security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        )
        .security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        )
        .security_scheme(
            "twilio_basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("smsgate")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "On-premises SMS gateway: GSM modems and cloud providers behind one API. \
                     Bodies and errors are described in docs/api.md.",
                ))
                .build(),
        )
        .paths(paths.build())
        .components(Some(components))
        .build()
}

/// `GET /api/openapi.json` (no key).
pub fn router() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(|| async { Json(document()) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_in_the_document_once_with_its_parameters() {
        let doc = serde_json::to_value(document()).unwrap();
        assert!(
            doc["openapi"].as_str().unwrap().starts_with("3.1"),
            "{}",
            doc["openapi"]
        );
        let mut seen = std::collections::HashSet::new();
        for route in ROUTES {
            assert!(seen.insert((route.method, route.path)), "{route:?} twice");
            let op = &doc["paths"][route.path][route.method.to_lowercase()];
            assert!(op.is_object(), "{route:?} missing");
            let params: Vec<&str> = op["parameters"]
                .as_array()
                .map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect())
                .unwrap_or_default();
            assert_eq!(params, path_parameters(route.path), "{route:?}");
        }
    }
}
