//! The analytics API on the simulator: the numbers equal what the test sent — counts by
//! status, segments, costs from the simulated modems' `cost_per_segment`, countries for
//! recipients in DE, FR, US and GB, filters, route health, the dashboard, timeline buckets
//! on either side of midnight UTC (the façade's clock moved there), and 400s naming the
//! field for bad input. Real time; final states are awaited by bounded polling.

use super::api::{get, post, wait_for};
use super::daemon::TestDaemon;
use axum::http::StatusCode;
use serde_json::{json, Value};
use smsgate::message::{format_millis, now_millis};
use std::time::Duration;

const DE: &str = "+4915112345678";
const FR: &str = "+33612345678";
const US: &str = "+12025550102";
const GB: &str = "+447977260174";
const COST: f64 = 0.025;
const DAY_MS: i64 = 86_400_000;

async fn start(tweak: impl FnOnce(&mut smsgate::config::Config)) -> TestDaemon {
    let d = TestDaemon::start(tweak).await;
    wait_for(&d.app, "/readyz", |v| v["ready"] == true, "ready").await;
    d
}

async fn send(d: &TestDaemon, body: Value) -> (Value, u64) {
    let (status, answer) = post(&d.app, "/api/sms/send", body).await;
    assert!(status.is_success(), "{status} {answer}");
    let m = &answer["messages"][0];
    (m["id"].clone(), m["segments"].as_u64().unwrap())
}

async fn wait_status(d: &TestDaemon, id: &Value, status: &str) {
    wait_for(
        &d.app,
        &format!("/api/sms/{id}"),
        |v| v["status"] == status,
        &format!("message {id} {status}"),
    )
    .await;
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-9)
}

/// The day (`YYYY-MM-DD`) of `ms`.
fn day(ms: i64) -> String {
    format_millis(ms)[..10].to_string()
}

fn bad(answer: &(StatusCode, Value), field: &str) {
    assert_eq!(answer.0, StatusCode::BAD_REQUEST, "{}", answer.1);
    assert_eq!(answer.1["error"]["field"], field, "{}", answer.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_countries_routes_and_dashboard_equal_what_was_sent() {
    let d = start(|c| {
        c.simulator.cost_per_segment = COST;
        c.simulator.fail_prefixes = vec![GB.into()];
    })
    .await;
    let long = "A longer text that needs two segments. ".repeat(5);
    let (de1, s_de1) = send(&d, json!({"to": DE, "message": "Hallo"})).await;
    let (de2, s_de2) = send(&d, json!({"to": DE, "message": long})).await;
    let (fr, s_fr) = send(&d, json!({"to": FR, "message": "Bonjour"})).await;
    let (us, s_us) = send(
        &d,
        json!({"to": US, "message": "Hi", "sms_type": "transactional"}),
    )
    .await;
    let (gb, s_gb) = send(&d, json!({"to": GB, "message": "Hello"})).await;
    let later = format_millis(now_millis() + 3_600_000);
    let (promo, s_promo) = send(
        &d,
        json!({"to": FR, "message": "Soldes", "sms_type": "promotional", "schedule_at": later}),
    )
    .await;
    assert_eq!(s_de2, 2);
    let (status, _) = post(&d.app, &format!("/api/sms/{promo}/cancel"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    for id in [&de1, &de2, &fr, &us] {
        wait_status(&d, id, "delivered").await;
    }
    wait_status(&d, &gb, "undelivered").await;

    let sent_segments = s_de1 + s_de2 + s_fr + s_us + s_gb;
    let all_segments = sent_segments + s_promo;
    let today = day(now_millis());
    let (status, stats) = get(&d.app, &format!("/api/analytics/stats?date_from={today}")).await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(stats["total"], 6, "{stats}");
    assert_eq!(stats["delivered"], 4, "{stats}");
    assert_eq!(stats["failed"], 0, "{stats}");
    assert_eq!(stats["by_status"]["undelivered"], 1, "{stats}");
    assert_eq!(stats["by_status"]["cancelled"], 1, "{stats}");
    assert_eq!(stats["segments"], all_segments, "{stats}");
    assert!(close(&stats["delivery_rate"], 66.67), "{stats}");
    // Only what a modem sent costs: the cancelled message never left.
    let cost = COST * sent_segments as f64;
    assert!(close(&stats["total_cost"], cost), "{stats}");
    assert!(close(&stats["average_cost"], cost / 6.0), "{stats}");
    assert_eq!(stats["currency"], "USD");
    assert_eq!(stats["by_provider"], json!({}), "{stats}");
    let by_modem = stats["by_modem"].as_object().unwrap();
    let routed: i64 = by_modem
        .values()
        .map(|t| t["messages"].as_i64().unwrap())
        .sum();
    assert_eq!(routed, 5, "{stats}");
    // The cost a message reports is the one counted.
    let (_, detail) = get(&d.app, &format!("/api/sms/{de2}")).await;
    let parts = detail["segments_detail"].as_array().unwrap();
    assert!(parts.iter().all(|p| close(&p["cost"], COST)), "{detail}");

    // Filters: by SMS type and by route.
    let (_, promo_stats) = get(
        &d.app,
        &format!("/api/analytics/stats?date_from={today}&sms_type=promotional"),
    )
    .await;
    assert_eq!(promo_stats["total"], 1, "{promo_stats}");
    assert_eq!(promo_stats["by_status"]["cancelled"], 1);
    let (_, transactional) = get(
        &d.app,
        &format!("/api/analytics/stats?date_from={today}&sms_type=transactional"),
    )
    .await;
    assert_eq!(transactional["total"], 5, "{transactional}");
    // `alert` is a type of its own (it routes as transactional): none was sent.
    let (_, alert) = get(
        &d.app,
        &format!("/api/analytics/stats?date_from={today}&sms_type=alert"),
    )
    .await;
    assert_eq!(alert["total"], 0, "{alert}");
    let (name, totals) = by_modem.iter().next().unwrap();
    let (_, one) = get(
        &d.app,
        &format!("/api/analytics/stats?date_from={today}&route={name}"),
    )
    .await;
    assert_eq!(one["total"], totals["messages"], "{one}");
    assert!(close(&one["total_cost"], totals["cost"].as_f64().unwrap()));

    // Countries, most expensive first.
    let (status, countries) = get(
        &d.app,
        &format!("/api/analytics/countries?date_from={today}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{countries}");
    let rows = countries["countries"].as_array().unwrap();
    let row = |code: &str| {
        rows.iter()
            .find(|r| r["country"] == code)
            .unwrap_or_else(|| panic!("{code} missing in {countries}"))
            .clone()
    };
    assert_eq!(rows[0]["country"], "DE", "{countries}");
    assert_eq!(row("DE")["count"], 2);
    assert_eq!(row("DE")["segments"], s_de1 + s_de2);
    assert!(close(&row("DE")["cost"], COST * (s_de1 + s_de2) as f64));
    assert_eq!(row("FR")["count"], 2);
    assert!(close(&row("FR")["cost"], COST * s_fr as f64));
    assert_eq!(row("US")["count"], 1);
    assert_eq!(row("GB")["count"], 1);
    assert_eq!(rows.len(), 4, "{countries}");
    let (_, top) = get(
        &d.app,
        &format!("/api/analytics/countries?date_from={today}&limit=1"),
    )
    .await;
    assert_eq!(top["countries"].as_array().unwrap().len(), 1, "{top}");

    // Route health: every sim route that sent has latency and a success rate.
    let (status, routes) = get(&d.app, &format!("/api/analytics/routes?date_from={today}")).await;
    assert_eq!(status, StatusCode::OK, "{routes}");
    let routes = routes["routes"].as_array().unwrap().clone();
    assert!(!routes.is_empty());
    let sends: i64 = routes
        .iter()
        .map(|r| r["latency"]["sends"].as_i64().unwrap())
        .sum();
    assert_eq!(sends, 5, "{routes:?}");
    for r in &routes {
        assert_eq!(r["kind"], "modem", "{r}");
        if r["latency"]["sends"].as_i64().unwrap() > 0 {
            assert!(r["latency"]["p50_ms"].as_i64().is_some(), "{r}");
        }
    }
    let failed_route = routes
        .iter()
        .find(|r| r["by_status"]["undelivered"] == 1)
        .expect("the route of the undelivered message");
    assert!(failed_route["success_rate"].as_f64().unwrap() < 100.0);
    let errors: i64 = failed_route["errors"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_i64().unwrap())
        .sum();
    assert_eq!(errors, 1, "{failed_route}");

    // The dashboard in one call.
    let (status, dash) = get(
        &d.app,
        &format!("/api/analytics/dashboard?date_from={today}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{dash}");
    assert_eq!(dash["stats"]["total"], 6);
    assert_eq!(dash["by_country"][0]["country"], "DE");
    assert_eq!(dash["by_status"]["delivered"], 4);
    assert_eq!(dash["timeline"]["interval"], "hour");
    let counted: i64 = dash["timeline"]["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["total"].as_i64().unwrap())
        .sum();
    assert_eq!(counted, 6, "{dash}");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeline_buckets_split_at_midnight_utc_and_include_empty_ones() {
    let d = start(|_| {}).await;
    // Move the façade's clock to 30 minutes before the next midnight UTC.
    let now = now_millis();
    let mut midnight = (now / DAY_MS + 1) * DAY_MS;
    // Within the last half hour of a day, the next midnight but one (the clock only moves
    // forward).
    if midnight - now <= 31 * 60_000 {
        midnight += DAY_MS;
    }
    let before = midnight - 30 * 60_000;
    d.advance(Duration::from_millis(u64::try_from(before - now).unwrap()));
    send(&d, json!({"to": DE, "message": "before midnight"})).await;
    d.advance(Duration::from_secs(3600));
    send(&d, json!({"to": DE, "message": "after midnight"})).await;
    send(&d, json!({"to": FR, "message": "after midnight too"})).await;

    let (first, second) = (day(before), day(midnight));
    let (status, t) = get(
        &d.app,
        &format!(
            "/api/analytics/timeline?interval=day&date_from={first}&date_to={}",
            day(midnight + 2 * DAY_MS)
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{t}");
    let buckets = t["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 4, "{t}");
    assert_eq!(buckets[0]["start"], format!("{first}T00:00:00Z"));
    assert_eq!(buckets[1]["start"], format!("{second}T00:00:00Z"));
    let totals: Vec<i64> = buckets
        .iter()
        .map(|b| b["total"].as_i64().unwrap())
        .collect();
    assert_eq!(totals, vec![1, 2, 0, 0], "{t}");

    // Hourly, with RFC 3339 bounds: 23:00 holds one, 00:00 two.
    let (status, t) = get(
        &d.app,
        &format!(
            "/api/analytics/timeline?interval=hour&date_from={}&date_to={}",
            format_millis(midnight - 3_600_000),
            format_millis(midnight + 3_599_999)
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{t}");
    let buckets = t["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 2, "{t}");
    assert_eq!(buckets[0]["start"], format_millis(midnight - 3_600_000));
    assert_eq!(buckets[0]["total"], 1, "{t}");
    assert_eq!(buckets[1]["start"], format_millis(midnight));
    assert_eq!(buckets[1]["total"], 2, "{t}");

    // The stats of the second day alone.
    let (_, stats) = get(
        &d.app,
        &format!("/api/analytics/stats?date_from={second}&date_to={second}"),
    )
    .await;
    assert_eq!(stats["total"], 2, "{stats}");
    // Hours before a whole day (hourly rollup) and the day (daily rollup) add up.
    let (_, stats) = get(
        &d.app,
        &format!(
            "/api/analytics/stats?date_from={}&date_to={second}",
            format_millis(midnight - 12 * 3_600_000)
        ),
    )
    .await;
    assert_eq!(stats["total"], 3, "{stats}");
    // And a whole day with hours after it.
    let (_, stats) = get(
        &d.app,
        &format!(
            "/api/analytics/stats?date_from={first}&date_to={}",
            format_millis(midnight + 3_600_000)
        ),
    )
    .await;
    assert_eq!(stats["total"], 3, "{stats}");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_analytics_queries_are_400s_naming_the_field() {
    let d = start(|_| {}).await;
    bad(
        &get(&d.app, "/api/analytics/stats?date_from=yesterday").await,
        "date_from",
    );
    bad(
        &get(&d.app, "/api/analytics/stats?date_to=2024-02-30").await,
        "date_to",
    );
    bad(
        &get(
            &d.app,
            "/api/analytics/stats?date_from=2024-02-02&date_to=2024-02-01",
        )
        .await,
        "date_from",
    );
    bad(
        &get(&d.app, "/api/analytics/stats?sms_type=spam").await,
        "sms_type",
    );
    bad(
        &get(&d.app, "/api/analytics/timeline?interval=week").await,
        "interval",
    );
    bad(
        &get(
            &d.app,
            "/api/analytics/timeline?interval=hour&date_from=2000-01-01",
        )
        .await,
        "date_from",
    );
    bad(
        &get(&d.app, "/api/analytics/countries?limit=many").await,
        "limit",
    );
    bad(
        &get(&d.app, "/api/analytics/countries?limit=0").await,
        "limit",
    );
    // Seed-style dates, inclusive: an empty store answers zeros, not errors.
    let (status, stats) = get(
        &d.app,
        "/api/analytics/stats?date_from=2024-01-01T00:00:00Z&date_to=2024-01-31T23:59:59Z",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(stats["total"], 0);
    assert_eq!(stats["delivery_rate"], 0.0);
    d.stop().await;
}
