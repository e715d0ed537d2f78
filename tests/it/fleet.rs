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
