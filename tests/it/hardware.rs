//! Hardware tests and their simulator twins: the same scenario runs against a real modem
//! (ignored unless `SMSGATE_TEST_MODEM` names its port) and against the simulated network
//! (always).
//!
//! To run on hardware:
//! `SMSGATE_TEST_MODEM=/dev/serial/by-id/…-if00-port0 SMSGATE_TEST_TO=+49151… [SMSGATE_TEST_PIN=1234]
//!  cargo test --test it hardware -- --ignored --nocapture`

use smsgate::modem::{
    Connector, FnConnector, Modem, ModemConfig, ModemEvent, ModemState, PortSpec,
};
use smsgate::pdu::{build_submits, Address, Payload, SegmentPlan, SegmentPolicy, SubmitOptions};
use smsgate::sim::SimNetwork;
use std::time::Duration;
use tokio::sync::mpsc;

/// Initialise, check identity and registration, send a two-segment message with status
/// reports requested, and wait for a report matching the first segment's TP-MR.
async fn send_with_report(
    connector: impl Connector,
    pin: Option<String>,
    to: &str,
    report_wait: Duration,
) {
    let mut config = ModemConfig::new("hw");
    config.init.pin = pin;
    let (tx, mut events) = mpsc::channel(64);
    let modem = Modem::start(config, connector, tx);
    assert_eq!(
        modem.settled(Duration::from_secs(120)).await,
        ModemState::Ready,
        "{:?}",
        modem.status()
    );
    let status = modem.status();
    assert!(status.identity.imei.is_some(), "{status:?}");
    assert!(
        status.network.registration.is_some_and(|r| r.can_send()),
        "{status:?}"
    );

    let text = format!(
        "smsgate hardware test: {} ",
        "long enough for two segments. ".repeat(6)
    );
    let plan = SegmentPlan::new(Payload::Text(&text), &SegmentPolicy::default()).unwrap();
    let pdus = build_submits(
        &plan,
        &SubmitOptions {
            destination: Some(Address::parse(to).unwrap()),
            status_report: true,
            reference: rand::random(),
            ..SubmitOptions::default()
        },
    )
    .unwrap();
    assert_eq!(pdus.len(), 2);
    let refs = modem.send_segments(&pdus).await.expect("sent");
    assert_eq!(refs.len(), 2);

    let report = tokio::time::timeout(report_wait, async {
        loop {
            if let Some(ModemEvent::StatusReport { report, ack, .. }) = events.recv().await {
                ack.done();
                if report.message_ref == refs[0] {
                    return report;
                }
            }
        }
    })
    .await
    .expect("a status report for the first segment");
    assert_eq!(report.recipient.value, Address::parse(to).unwrap().value);
    modem.shutdown().await;
}

#[tokio::test]
#[ignore = "needs a modem: set SMSGATE_TEST_MODEM (port) and SMSGATE_TEST_TO (a number that can receive)"]
async fn real_modem_sends_and_gets_a_status_report() {
    let port = std::env::var("SMSGATE_TEST_MODEM").expect("SMSGATE_TEST_MODEM");
    let to = std::env::var("SMSGATE_TEST_TO").expect("SMSGATE_TEST_TO");
    let pin = std::env::var("SMSGATE_TEST_PIN").ok();
    send_with_report(
        PortSpec::parse(&port).unwrap(),
        pin,
        &to,
        Duration::from_secs(600),
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn simulated_twin_sends_and_gets_a_status_report() {
    let net = SimNetwork::with_modems(2);
    let to = net.msisdn(1);
    let sim = net.clone();
    send_with_report(
        FnConnector("sim0".into(), move || sim.connect(0)),
        None,
        &to,
        Duration::from_secs(600),
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn simulated_twin_over_tcp() {
    let net = SimNetwork::with_modems(1);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = net.clone();
    tokio::spawn(async move { server.serve_tcp(0, listener).await });
    let spec = PortSpec::parse(&format!("tcp://127.0.0.1:{port}")).unwrap();
    send_with_report(spec, None, "+4915112345678", Duration::from_secs(600)).await;
}
