//! The fleet's manager in process, over simulated modems served on TCP: `reconcile` adds
//! new entries, removes missing ones (a send in flight on a removed modem finishes first),
//! restarts changed ones, and changes nothing when called again with the same entries —
//! the function a config reload calls.

use smsgate::config::ModemEntry;
use smsgate::metrics::Metrics;
use smsgate::modem::{Fleet, FleetManager, ModemState, ReconcileReport};
use smsgate::pdu::{build_submits, Address, Payload, SegmentPlan, SegmentPolicy, SubmitOptions};
use smsgate::sim::{Latency, SimNetwork};
use std::time::Duration;
use tokio::sync::mpsc;

/// Three simulated modems, each on its own TCP port; their `tcp://` addresses.
async fn network() -> (SimNetwork, Vec<String>) {
    let net = SimNetwork::with_modems(3);
    let mut ports = Vec::new();
    for i in 0..3 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        ports.push(format!("tcp://{}", listener.local_addr().unwrap()));
        let server = net.clone();
        tokio::spawn(async move { server.serve_tcp(i, listener).await });
    }
    (net, ports)
}

async fn ready(fleet: &Fleet, name: &str) {
    let modem = fleet.get(name).expect("in the fleet");
    let mut states = modem.modem().watch();
    tokio::time::timeout(
        Duration::from_secs(20),
        states.wait_for(|s| s.state == ModemState::Ready),
    )
    .await
    .expect("ready in time")
    .expect("running");
}

fn names(report: &[String]) -> Vec<&str> {
    report.iter().map(String::as_str).collect()
}

#[tokio::test]
async fn reconcile_adds_removes_and_restarts_and_is_idempotent() {
    let (net, ports) = network().await;
    let fleet = Fleet::default();
    let (events, mut rx) = mpsc::channel(64);
    // Nobody reads inbound here; keep the channel drained.
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let manager = FleetManager::new(
        fleet.clone(),
        events,
        Metrics::new(),
        smsgate::config::DiscoveryConfig::default(),
    );
    let m0 = ModemEntry::new("m0", &ports[0]);
    let m1 = ModemEntry::new("m1", &ports[1]);
    let report = manager.reconcile(&[m0.clone(), m1.clone()]).await;
    assert_eq!(names(&report.added), ["m0", "m1"]);
    assert_eq!(fleet.names(), ["m0", "m1"]);
    ready(&fleet, "m0").await;
    ready(&fleet, "m1").await;

    // The same entries again: nothing happens.
    assert_eq!(
        manager.reconcile(&[m0.clone(), m1.clone()]).await,
        ReconcileReport::default()
    );

    // m0 is removed while it is sending (a slow network): its send finishes first.
    net.set_latency(0, Latency::Fixed(Duration::from_millis(1500)));
    let plan =
        SegmentPlan::new(Payload::Text("removed mid-send"), &SegmentPolicy::default()).unwrap();
    let pdus = build_submits(
        &plan,
        &SubmitOptions {
            destination: Some(Address::parse("+4915112345678").unwrap()),
            ..SubmitOptions::default()
        },
    )
    .unwrap();
    let sending = fleet.get("m0").unwrap();
    let send = tokio::spawn(async move { sending.modem().send_segments(&pdus).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut m1_changed = m1.clone();
    m1_changed.weight = 3;
    let m2 = ModemEntry::new("m2", &ports[2]);
    let mut m3_off = ModemEntry::new("m3", "tcp://127.0.0.1:9");
    m3_off.enabled = false;
    let report = manager
        .reconcile(&[m1_changed.clone(), m2.clone(), m3_off])
        .await;
    assert_eq!(names(&report.removed), ["m0"]);
    assert_eq!(names(&report.restarted), ["m1"]);
    assert_eq!(names(&report.added), ["m2"]);
    let refs = send.await.unwrap();
    assert!(refs.is_ok(), "the send in flight finished: {refs:?}");
    assert_eq!(net.counters(0).segments_sent, 1);
    let mut now = fleet.names();
    now.sort();
    assert_eq!(now, ["m1", "m2"]);
    ready(&fleet, "m1").await;
    ready(&fleet, "m2").await;
    assert_eq!(
        manager.reconcile(&[m1_changed, m2]).await,
        ReconcileReport::default()
    );

    // An entry named only by identity waits for discovery.
    let mut by_imei = ModemEntry::new("m4", "");
    by_imei.imei = Some("352099999999994".into());
    let report = manager.reconcile(&[by_imei]).await;
    assert_eq!(names(&report.waiting), ["m4"]);
    assert_eq!(report.removed.len(), 2);
    assert!(fleet.names().is_empty());
    manager.stop().await;
}

/// The daemon reads the fleet on each use: a modem taken out gets no new message and
/// leaves `/api/routes` and `/api/modems`; one put in takes traffic and shows up there and
/// in the metrics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dispatcher_and_the_api_follow_modems_joining_and_leaving() {
    use crate::api::{get, post, wait_for};
    use crate::daemon::TestDaemon;
    use serde_json::json;
    let d = TestDaemon::start(|c| c.simulator.modems = 2).await;
    let fleet = d.service().fleet().clone();
    let sim1 = fleet.detach("sim1").expect("sim1 in the fleet");
    let routes = |v: &serde_json::Value| -> Vec<String> {
        v["routes"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|x| x["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (_, v) = get(&d.app, "/api/routes").await;
    assert_eq!(routes(&v), ["sim0"], "{v}");
    let send = |to: String| {
        let app = d.app.clone();
        async move {
            let (status, v) =
                post(&app, "/api/sms/send", json!({"to": to, "message": "fleet"})).await;
            assert_eq!(status.as_u16(), 200, "{v}");
            v["messages"][0]["id"].as_i64().unwrap()
        }
    };
    let route_of = |id: i64| {
        let app = d.app.clone();
        async move {
            wait_for(
                &app,
                &format!("/api/sms/{id}"),
                |v| matches!(v["status"].as_str(), Some("sent" | "delivered")),
                "sent",
            )
            .await["route"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        }
    };
    let mut first = Vec::new();
    for i in 0..6 {
        first.push(send(format!("+4915112610{i:03}")).await);
    }
    for id in first {
        assert_eq!(route_of(id).await, "sim0", "a detached modem got a message");
    }
    // sim1 back, sim0 out (stopped): the next messages can only go through sim1.
    fleet.add(sim1).unwrap();
    assert!(fleet.remove("sim0").await);
    let (_, v) = get(&d.app, "/api/routes").await;
    assert_eq!(routes(&v), ["sim1"], "{v}");
    let (_, v) = get(&d.app, "/api/modems").await;
    assert_eq!(v["modems"].as_array().map(Vec::len), Some(1), "{v}");
    let mut later = Vec::new();
    for i in 0..4 {
        later.push(send(format!("+4915112620{i:03}")).await);
    }
    for id in later {
        assert_eq!(route_of(id).await, "sim1");
    }
    let metrics = d.service().metrics_text().await;
    assert!(
        metrics.contains("smsgate_modem_up{modem=\"sim1\"} 1"),
        "sim1 in the live gauges: {metrics}"
    );
    assert!(
        !metrics.contains("smsgate_modem_up{modem=\"sim0\"}"),
        "sim0 gone from the live gauges"
    );
    d.stop().await;
}

/// A stopped manager lets go of the modems' event channel even while a clone of it lives on
/// (a reload handler's): the daemon's event consumer ends instead of holding the stop up.
#[tokio::test]
async fn a_stopped_manager_closes_the_event_channel_though_a_clone_lives_on() {
    let (_net, ports) = network().await;
    let fleet = Fleet::default();
    let (events, mut rx) = mpsc::channel(64);
    let manager = FleetManager::new(
        fleet.clone(),
        events,
        Metrics::new(),
        smsgate::config::DiscoveryConfig::default(),
    );
    let kept = manager.clone();
    manager.reconcile(&[ModemEntry::new("m0", &ports[0])]).await;
    ready(&fleet, "m0").await;
    manager.stop().await;
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        while rx.recv().await.is_some() {}
    })
    .await;
    assert!(
        closed.is_ok(),
        "the event channel is still open after the stop"
    );
    // Nothing starts any more: a reconcile after the stop adds nothing.
    let report = kept.reconcile(&[ModemEntry::new("m1", &ports[1])]).await;
    assert!(fleet.get("m1").is_none(), "{report:?}");
}
