//! `GET /metrics` on a daemon over the simulator: the exposition parsed by a small Rust
//! reader and by the Python `prometheus_client` parsers (installed by `.ci/run`; skipped
//! outside CI when missing), values that move as messages are sent, fail and are
//! delivered, the `metrics` scope and `[metrics] public`, and the Grafana dashboard's
//! expressions naming only metrics the daemon exposes.

use super::api::{call, get, post, wait_for};
use super::daemon::TestDaemon;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};
use smsgate::config::{generate_api_key, ApiKey, Scope};
use smsgate::http::App;
use smsgate::sim::Faults;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use tower::ServiceExt;

/// sim1's number: a message to it is delivered (status report `delivered`).
const SIM1: &str = "+12025550102";
/// Not on the simulated network; with `fail_prefixes` its status report says failed.
const EXTERNAL: &str = "+4915112345678";

async fn start(tweak: impl FnOnce(&mut smsgate::config::Config)) -> TestDaemon {
    let d = TestDaemon::start(|c| {
        c.dispatch.backoff_initial_ms = 50;
        c.dispatch.backoff_max_ms = 200;
        tweak(c);
    })
    .await;
    d
}

/// `GET /metrics` with `headers`: status, content type and body.
async fn scrape_with(app: &App, headers: &[(&str, &str)]) -> (StatusCode, String, String) {
    let mut req = Request::builder().method("GET").uri("/metrics");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let response = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024)
        .await
        .unwrap();
    (
        status,
        content_type,
        String::from_utf8(bytes.to_vec()).unwrap(),
    )
}

async fn scrape(app: &App) -> String {
    let (status, content_type, body) = scrape_with(app, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        content_type.starts_with("application/openmetrics-text; version=1.0.0"),
        "{content_type}"
    );
    body
}

/// One sample: its name and labels (sorted).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Series {
    name: String,
    labels: BTreeMap<String, String>,
}

/// The exposition read by a small strict reader: every line a `# HELP/TYPE/UNIT`, `# EOF`
/// (last) or `name{l="v",…} value`; the families declared by `# TYPE`.
struct Exposition {
    samples: BTreeMap<Series, f64>,
    families: BTreeMap<String, String>,
}

fn parse(text: &str) -> Exposition {
    assert!(text.ends_with("# EOF\n"), "no # EOF at the end:\n{text}");
    let mut samples = BTreeMap::new();
    let mut families = BTreeMap::new();
    for line in text.lines() {
        if line == "# EOF" {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
            families.insert(name.to_string(), kind.to_string());
            continue;
        }
        if line.starts_with("# HELP ") || line.starts_with("# UNIT ") {
            continue;
        }
        assert!(!line.starts_with('#'), "unexpected comment {line:?}");
        let (series, value) = line.rsplit_once(' ').expect("a sample and its value");
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("value of {line:?}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').expect("labels end with }");
                let mut labels = BTreeMap::new();
                // Label values in these tests hold no `",` sequence; the Python parsers
                // below check the escaping in general.
                for pair in body.split("\",").filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once("=\"").expect("label=\"value\"");
                    labels.insert(k.to_string(), v.trim_end_matches('"').to_string());
                }
                (name.to_string(), labels)
            }
            None => (series.to_string(), BTreeMap::new()),
        };
        assert!(
            name.starts_with("smsgate_"),
            "every metric is smsgate_*: {name}"
        );
        samples.insert(Series { name, labels }, value);
    }
    Exposition { samples, families }
}

impl Exposition {
    /// The sum of every sample named `name` whose labels include all of `with`.
    fn sum(&self, name: &str, with: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|(s, _)| {
                s.name == name
                    && with
                        .iter()
                        .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|(_, v)| *v)
            .sum()
    }

    fn has(&self, name: &str, with: &[(&str, &str)]) -> bool {
        self.samples.keys().any(|s| {
            s.name == name
                && with
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
    }

    /// Every name a PromQL expression may use: sample names, and each family's names with
    /// the suffixes its type gives it.
    fn names(&self) -> BTreeSet<String> {
        let mut names: BTreeSet<String> = self.samples.keys().map(|s| s.name.clone()).collect();
        for (family, kind) in &self.families {
            let suffixes: &[&str] = match kind.as_str() {
                "counter" => &["_total"],
                "histogram" => &["_bucket", "_sum", "_count"],
                _ => &[""],
            };
            for s in suffixes {
                names.insert(format!("{family}{s}"));
            }
        }
        names
    }
}

/// Python's `prometheus_client` reads the exposition with both its OpenMetrics parser
/// (strict: the format we announce) and its Prometheus text parser, and prints every sample
/// as `name{sorted labels} value`; `None` when the library is missing outside CI.
fn python_samples(text: &str) -> Option<BTreeMap<String, f64>> {
    let has_lib = std::process::Command::new("python3")
        .args(["-c", "import prometheus_client"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_lib {
        // `.ci/run` installs it and sets this: there, a missing parser is a failure.
        assert!(
            std::env::var_os("SMSGATE_REQUIRE_PROMETHEUS_CLIENT").is_none(),
            "SMSGATE_REQUIRE_PROMETHEUS_CLIENT is set but `import prometheus_client` fails"
        );
        eprintln!("SKIPPED: prometheus_client is not installed (pip install prometheus_client)");
        return None;
    }
    let script = r#"
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om
from prometheus_client.parser import text_string_to_metric_families as prom
text = sys.stdin.read()
strict = {}
for family in om(text):
    for s in family.samples:
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
        strict[f"{s.name}{{{labels}}}"] = s.value
loose = set()
for family in prom(text):
    for s in family.samples:
        loose.add(s.name)
missing = {k.split("{")[0] for k in strict} - loose
if missing:
    sys.exit(f"the Prometheus text parser lost {sorted(missing)}")
for k, v in sorted(strict.items()):
    print(k, repr(float(v)))
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "prometheus_client refused the exposition: {}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    Some(
        stdout
            .lines()
            .map(|l| {
                let (k, v) = l.rsplit_once(' ').unwrap();
                (k.to_string(), v.parse().unwrap())
            })
            .collect(),
    )
}

async fn send(app: &App, to: &str, text: &str) -> Value {
    let (status, body) = post(app, "/api/sms/send", json!({"to": to, "message": text})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["messages"][0]["id"].clone()
}

async fn wait_status(app: &App, id: &Value, statuses: &[&str]) -> Value {
    wait_for(
        app,
        &format!("/api/sms/{id}"),
        |v| statuses.iter().any(|s| v["status"] == *s),
        &format!("message {id} {statuses:?}"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_move_as_messages_are_sent_fail_and_are_delivered() {
    let d = start(|c| c.simulator.fail_prefixes = vec!["+4915".into()]).await;
    wait_for(&d.app, "/readyz", |v| v["ready"] == true, "ready").await;

    let before = parse(&scrape(&d.app).await);
    assert_eq!(before.sum("smsgate_messages_accepted_total", &[]), 0.0);
    assert_eq!(before.sum("smsgate_build_info", &[]), 1.0);
    assert!(before.has(
        "smsgate_build_info",
        &[("version", env!("CARGO_PKG_VERSION"))]
    ));
    assert!(before.sum("smsgate_uptime_seconds", &[]) > 0.0);
    for modem in ["sim0", "sim1"] {
        let m = [("modem", modem)];
        assert_eq!(before.sum("smsgate_modem_up", &m), 1.0, "{modem}");
        assert_eq!(before.sum("smsgate_modem_registered", &m), 1.0, "{modem}");
        assert_eq!(
            before.sum(
                "smsgate_modem_state",
                &[("modem", modem), ("state", "ready")]
            ),
            1.0
        );
        assert_eq!(
            before.sum("smsgate_modem_state", &m),
            1.0,
            "one state at a time"
        );
        assert!(before.has("smsgate_modem_signal_dbm", &m), "{modem}");
        assert!(before.has("smsgate_modem_network_info", &m), "{modem}");
    }

    // Two delivered, one failed by its status report, then one refused by the modems.
    let delivered = [
        send(&d.app, SIM1, "metrics one").await,
        send(&d.app, SIM1, "metrics two").await,
    ];
    let reported_failed = send(&d.app, EXTERNAL, "metrics three").await;
    for id in &delivered {
        wait_status(&d.app, id, &["delivered"]).await;
    }
    let reported = wait_status(&d.app, &reported_failed, &["failed", "undelivered"]).await;
    let reported_status = reported["status"].as_str().unwrap().to_string();

    let sim = d.sim();
    for modem in 0..2 {
        sim.set_faults(
            modem,
            Faults {
                failure_rate: 1.0,
                // Invalid destination address: permanent, the message fails at once.
                failure_codes: vec![1],
                ..Faults::default()
            },
        );
    }
    let refused = send(&d.app, SIM1, "metrics four").await;
    wait_status(&d.app, &refused, &["failed"]).await;
    // The status report of "three" and the counters settle: poll the scrape.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let after = loop {
        let after = parse(&scrape(&d.app).await);
        if after.sum("smsgate_delivery_reports_total", &[]) >= 3.0
            && after.sum("smsgate_queue_depth", &[]) == 0.0
        {
            break after;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "reports never counted: delivery reports {}, queue depth {}",
            after.sum("smsgate_delivery_reports_total", &[]),
            after.sum("smsgate_queue_depth", &[])
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };

    let t = ("sms_type", "transactional");
    assert_eq!(after.sum("smsgate_messages_accepted_total", &[t]), 4.0);
    assert_eq!(
        after.sum("smsgate_messages_finished_total", &[("status", "sent"), t]),
        3.0
    );
    assert_eq!(
        after.sum(
            "smsgate_messages_finished_total",
            &[("status", "failed"), t]
        ),
        1.0
    );
    // The refused one names the modem that refused it, and its +CMS ERROR code.
    let failed_route = after
        .samples
        .iter()
        .find(|(s, v)| {
            s.name == "smsgate_messages_finished_total"
                && s.labels.get("status").map(String::as_str) == Some("failed")
                && **v > 0.0
        })
        .map(|(s, _)| s.labels["route"].clone())
        .unwrap();
    assert!(["sim0", "sim1"].contains(&failed_route.as_str()));
    assert_eq!(
        after.sum(
            "smsgate_modem_cms_errors_total",
            &[("modem", &failed_route), ("code", "1")]
        ),
        1.0
    );
    assert_eq!(
        after.sum("smsgate_route_errors_total", &[("class", "permanent")]),
        1.0
    );
    assert_eq!(after.sum("smsgate_route_attempts_total", &[]), 4.0);
    assert_eq!(after.sum("smsgate_segments_sent_total", &[]), 3.0);
    assert_eq!(
        after.sum("smsgate_route_send_duration_seconds_count", &[]),
        4.0
    );
    // One +CMGS per segment: three answered, one refused.
    assert_eq!(
        after.sum("smsgate_modem_cmgs_duration_seconds_count", &[]),
        4.0
    );
    assert_eq!(
        after.sum("smsgate_delivery_reports_total", &[("status", "delivered")]),
        2.0
    );
    assert_eq!(
        after.sum(
            "smsgate_delivery_reports_total",
            &[("status", &reported_status)]
        ),
        1.0
    );
    assert!(after.sum("smsgate_route_last_sent_timestamp_seconds", &[]) > 1.7e9);
    assert_eq!(after.sum("smsgate_queue_depth", &[]), 0.0);
    assert_eq!(after.sum("smsgate_queue_messages", &[]), 0.0);
    assert!(after.has("smsgate_queue_messages", &[("status", "queued")]));
    assert_eq!(after.sum("smsgate_queue_oldest_age_seconds", &[]), 0.0);
    assert_eq!(after.sum("smsgate_callbacks_backlog", &[]), 0.0);
    assert_eq!(after.sum("smsgate_webhooks_backlog", &[]), 0.0);

    // HTTP by route template: the message ids polled above are not labels.
    assert_eq!(
        after.sum(
            "smsgate_http_requests_total",
            &[
                ("method", "POST"),
                ("route", "/api/sms/send"),
                ("status", "200")
            ]
        ),
        4.0
    );
    assert!(after.has(
        "smsgate_http_requests_total",
        &[("route", "/api/sms/{id}"), ("status", "200")]
    ));
    assert!(after.has(
        "smsgate_http_request_duration_seconds_bucket",
        &[("route", "/api/sms/send")]
    ));
    for series in after.samples.keys() {
        if let Some(route) = series.labels.get("route") {
            assert!(
                !route
                    .split('/')
                    .any(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit())),
                "a raw path with a message id became a label: {route}"
            );
        }
    }
    // An unknown path is one series, whatever the path.
    get(&d.app, "/api/nothing/here").await;
    get(&d.app, "/api/nothing/else").await;
    let text = scrape(&d.app).await;
    let last = parse(&text);
    assert_eq!(
        last.sum(
            "smsgate_http_requests_total",
            &[("route", "unmatched"), ("status", "404")]
        ),
        2.0
    );

    // The Python parsers read the same numbers.
    if let Some(py) = python_samples(&text) {
        let key = |s: &Series| {
            let labels: Vec<String> = s
                .labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{v}\""))
                .collect();
            format!("{}{{{}}}", s.name, labels.join(","))
        };
        for (series, value) in &last.samples {
            // The OpenMetrics parser reads `_created`-less counters and `+Inf` buckets as
            // written; compare every sample it reports.
            let k = key(series);
            let Some(theirs) = py.get(&k) else {
                panic!("prometheus_client has no {k}; it read {py:?}");
            };
            assert!((theirs - value).abs() < 1e-9, "{k}: {theirs} vs {value}");
        }
        assert_eq!(py.len(), last.samples.len());
    }
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_need_the_metrics_scope_unless_public() {
    let (metrics_key, metrics_hash) = generate_api_key();
    let (read_key, read_hash) = generate_api_key();
    let (admin_key, admin_hash) = generate_api_key();
    let keys = vec![
        ApiKey {
            name: "prometheus".into(),
            sha256: metrics_hash,
            scopes: vec![Scope::Metrics],
        },
        ApiKey {
            name: "dashboard".into(),
            sha256: read_hash,
            scopes: vec![Scope::Read],
        },
        ApiKey {
            name: "ops".into(),
            sha256: admin_hash,
            scopes: vec![Scope::Admin],
        },
    ];
    let d = start(|c| c.api_keys = keys.clone()).await;
    let status = |headers: Vec<(&'static str, String)>| {
        let app = d.app.clone();
        async move {
            let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            scrape_with(&app, &h).await
        }
    };
    let (s, _, body) = status(vec![]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(body.contains("unauthorized"), "JSON error: {body}");
    let (s, _, _) = status(vec![("authorization", "Bearer sgk_wrong".into())]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _, body) = status(vec![("x-api-key", read_key.clone())]).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    let (s, _, body) = status(vec![("authorization", format!("Bearer {metrics_key}"))]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("smsgate_build_info"), "{body}");
    let (s, _, _) = status(vec![("x-api-key", admin_key.clone())]).await;
    assert_eq!(s, StatusCode::OK);
    // The metrics key reads nothing else.
    let (s, _) = call(
        &d.app,
        "GET",
        "/api/modems",
        None,
        &[("x-api-key", &metrics_key)],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A key never reaches the exposition.
    let (_, _, body) = status(vec![("x-api-key", metrics_key.clone())]).await;
    for key in [&metrics_key, &read_key, &admin_key] {
        assert!(!body.contains(key.as_str()));
    }
    d.stop().await;

    let d = start(|c| {
        c.api_keys = keys.clone();
        c.metrics.public = true;
    })
    .await;
    let (s, _, body) = scrape_with(&d.app, &[]).await;
    assert_eq!(s, StatusCode::OK, "public: no key needed");
    assert!(body.contains("smsgate_uptime_seconds"), "{body}");
    // Only /metrics is public.
    let (s, _) = get(&d.app, "/api/modems").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_grafana_dashboard_queries_only_metrics_the_daemon_exposes() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/grafana/smsgate.json");
    let dashboard: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .expect("docs/grafana/smsgate.json is JSON");
    // A daemon with a provider route (never used: the modems take everything) that has sent
    // a message, failed one on a +CMS ERROR and answered requests: every family then has a
    // series (the others are created at zero at start).
    let d = start(|c| {
        c.providers.twilio = Some(smsgate::config::TwilioConfig {
            account_sid: "AC0123456789abcdef0123456789abcdef".into(),
            auth_token: smsgate::config::Secret::new("tok3n"),
            from: "+15005550006".into(),
            // Nothing listens there; no message goes to it in this test.
            base_url: "http://127.0.0.1:9".into(),
            ..smsgate::config::TwilioConfig::default()
        });
    })
    .await;
    wait_for(&d.app, "/readyz", |v| v["ready"] == true, "ready").await;
    let sent = send(&d.app, SIM1, "sent").await;
    wait_status(&d.app, &sent, &["sent", "delivered"]).await;
    let sim = d.sim();
    for modem in 0..2 {
        sim.set_faults(
            modem,
            Faults {
                failure_rate: 1.0,
                failure_codes: vec![1],
                ..Faults::default()
            },
        );
    }
    let refused = send(&d.app, SIM1, "refused").await;
    wait_status(&d.app, &refused, &["failed"]).await;
    let exposed = parse(&scrape(&d.app).await).names();
    d.stop().await;

    let panels = dashboard["panels"].as_array().expect("panels");
    let titles: Vec<String> = panels
        .iter()
        .map(|p| p["title"].as_str().unwrap_or_default().to_lowercase())
        .collect();
    for wanted in ["throughput", "queue", "modem", "delivery", "otp"] {
        assert!(
            titles.iter().any(|t| t.contains(wanted)),
            "no {wanted} panel in {titles:?}"
        );
    }
    let name = regex::Regex::new(r"smsgate_[a-z0-9_]+").unwrap();
    let mut checked = 0;
    for panel in panels.iter().filter(|p| p["type"] != "row") {
        let targets = panel["targets"].as_array().unwrap_or_else(|| {
            panic!("panel {} has no targets", panel["title"]);
        });
        assert!(!targets.is_empty(), "panel {} has no query", panel["title"]);
        for target in targets {
            let expr = target["expr"].as_str().expect("every target has an expr");
            let names: Vec<&str> = name.find_iter(expr).map(|m| m.as_str()).collect();
            assert!(!names.is_empty(), "{expr} names no smsgate metric");
            for n in names {
                assert!(
                    exposed.contains(n),
                    "{expr} uses {n}, which the daemon does not expose"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "only {checked} metric names checked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_callbacks_are_counted_and_wait_in_the_backlog() {
    let d = start(|c| c.callbacks.allow_private_networks = true).await;
    wait_for(&d.app, "/readyz", |v| v["ready"] == true, "ready").await;
    // Nothing listens on the discard port: every attempt fails and is retried later.
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/status", dead.local_addr().unwrap());
    drop(dead);
    let (status, body) = post(
        &d.app,
        "/api/sms/send",
        json!({"to": SIM1, "message": "callback me", "callback_url": url}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let m = loop {
        let m = parse(&scrape(&d.app).await);
        if m.sum(
            "smsgate_outbound_deliveries_total",
            &[("kind", "callback"), ("outcome", "failed")],
        ) >= 1.0
        {
            break m;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no failed callback counted"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(m.sum("smsgate_callbacks_backlog", &[]) >= 1.0);
    assert_eq!(
        m.sum(
            "smsgate_outbound_deliveries_total",
            &[("kind", "callback"), ("outcome", "delivered")]
        ),
        0.0
    );
    d.stop().await;
}
