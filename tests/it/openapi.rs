//! The OpenAPI document: served at `/api/openapi.json`, equal to `docs/openapi.json`
//! (`SMSGATE_WRITE_OPENAPI=1` rewrites the file), listing exactly the routes the routers in
//! `src/http/` declare (read from their source: a route added without its row in
//! `http::openapi::ROUTES`, or a row left after its route went, fails here), and valid
//! OpenAPI 3.1 by `openapi-spec-validator` (PyPI; skipped outside CI when missing, required
//! when `SMSGATE_REQUIRE_OPENAPI_VALIDATOR` is set, as `.ci/run` does).

use super::api::get;
use super::daemon::TestDaemon;
use axum::http::StatusCode;
use std::collections::BTreeSet;
use std::path::Path;

/// (method, path) of every `.route(…)` in `src/http/*.rs`; `any(…)` counts as GET and POST
/// (the only use is Vonage, which calls with either).
fn declared_routes() -> BTreeSet<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    let methods = regex::Regex::new(r"(?:^|\.)\s*(get|post|put|delete|patch|any)\(").unwrap();
    let constant = regex::Regex::new(r#"const (\w+): &str = "([^"]+)";"#).unwrap();
    let mut routes = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        let consts: Vec<(String, String)> = constant
            .captures_iter(&source)
            .map(|c| (c[1].to_string(), c[2].to_string()))
            .collect();
        let mut rest = source.as_str();
        while let Some(at) = rest.find(".route(") {
            let call = &rest[at + ".route(".len()..];
            // The call's arguments: up to the parenthesis that closes it.
            let mut depth = 1;
            let end = call
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map(|(i, _)| i)
                .unwrap();
            let args = &call[..end];
            rest = &call[end..];
            let (first, handlers) = args.split_once(',').unwrap();
            let first = first.trim();
            let route_path = match first.strip_prefix('"') {
                Some(literal) => literal.trim_end_matches('"').to_string(),
                None => consts
                    .iter()
                    .find(|(name, _)| name == first)
                    .unwrap_or_else(|| panic!("{}: unknown path {first}", path.display()))
                    .1
                    .clone(),
            };
            for m in methods.captures_iter(handlers.trim()) {
                let verbs: &[&str] = match &m[1] {
                    "any" => &["GET", "POST"],
                    "get" => &["GET"],
                    "post" => &["POST"],
                    "put" => &["PUT"],
                    "delete" => &["DELETE"],
                    _ => &["PATCH"],
                };
                for verb in verbs {
                    routes.insert((verb.to_string(), route_path.clone()));
                }
            }
        }
    }
    routes
}

fn documented_routes(doc: &serde_json::Value) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_document_lists_exactly_the_routes_and_matches_docs_openapi_json() {
    let d = TestDaemon::start(|_| {}).await;
    let (status, doc) = get(&d.app, "/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));

    let declared = declared_routes();
    let documented = documented_routes(&doc);
    assert!(
        declared.len() > 50,
        "the source parser found only {declared:?}"
    );
    let undocumented: Vec<_> = declared.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&declared).collect();
    assert!(
        undocumented.is_empty() && stale.is_empty(),
        "routes without a row in http::openapi::ROUTES: {undocumented:?}; rows without a route: {stale:?}"
    );

    // The send bodies are the handlers' own types, derived: every field the seed sends.
    let send = &doc["components"]["schemas"]["SendBody"]["properties"];
    for field in [
        "to",
        "message",
        "sms_type",
        "priority",
        "provider",
        "schedule_at",
        "callback_url",
        "metadata",
    ] {
        assert!(send[field].is_object(), "SendBody lacks {field}: {send}");
    }
    assert_eq!(
        doc["paths"]["/api/sms/send"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"]["$ref"],
        "#/components/schemas/SendBody"
    );

    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.json");
    let pretty = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    if std::env::var_os("SMSGATE_WRITE_OPENAPI").is_some() {
        std::fs::write(&file, &pretty).unwrap();
    }
    let on_disk = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        on_disk == pretty,
        "docs/openapi.json is not the served document: run `SMSGATE_WRITE_OPENAPI=1 cargo test --test it openapi`"
    );

    // The validator the ecosystem uses, on the document as served.
    let checked = std::process::Command::new("python3")
        .args([
            "-c",
            "import json,sys\n\
             from openapi_spec_validator import validate\n\
             from openapi_spec_validator.validation.exceptions import OpenAPIValidationError\n\
             validate(json.load(open(sys.argv[1])))\n\
             print('valid')",
        ])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&checked.stderr);
    if stderr.contains("No module named 'openapi_spec_validator'") {
        assert!(
            std::env::var_os("SMSGATE_REQUIRE_OPENAPI_VALIDATOR").is_none(),
            "openapi-spec-validator is required here but not installed"
        );
        eprintln!(
            "SKIPPED: openapi-spec-validator not installed (pip install openapi-spec-validator)"
        );
    } else {
        assert!(checked.status.success(), "invalid OpenAPI: {stderr}");
        assert_eq!(String::from_utf8_lossy(&checked.stdout).trim(), "valid");
    }
    d.stop().await;
}
