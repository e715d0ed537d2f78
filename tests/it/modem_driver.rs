//! The modem driver against the simulated modem network, in process (duplex), under paused
//! tokio time: initialisation, sending single and multipart messages between simulated
//! modems, inbound via each `+CNMI` routing, status reports, faults and recovery.

use crate::support::reassemble_events;
use smsgate::modem::{
    init::InitConfig, ErrorClass, FnConnector, Modem, ModemConfig, ModemEvent, ModemState,
    SendError,
};
use smsgate::pdu::{
    build_submits, Address, Content, EncodedPdu, Payload, SegmentPlan, SegmentPolicy, SubmitOptions,
};
use smsgate::sim::{
    Faults, InboundOptions, NetworkConfig, SimModemConfig, SimNetwork, SinkConfig, Stall,
};
use std::time::Duration;
use tokio::sync::mpsc;

const SETTLE: Duration = Duration::from_secs(120);

fn start(
    net: &SimNetwork,
    index: usize,
    config: ModemConfig,
) -> (Modem, mpsc::Receiver<ModemEvent>) {
    let (tx, rx) = mpsc::channel(256);
    let net = net.clone();
    let connector = FnConnector(format!("sim{index}"), move || net.connect(index));
    (Modem::start(config, connector, tx), rx)
}

fn fast_config(name: &str) -> ModemConfig {
    let mut c = ModemConfig::new(name);
    c.health_interval = Duration::from_secs(5);
    c.sweep_interval = Duration::from_secs(60);
    c.reset_wait = Duration::from_secs(2);
    c
}

fn pdus(to: &str, text: &str, status_report: bool) -> Vec<EncodedPdu> {
    let plan = SegmentPlan::new(Payload::Text(text), &SegmentPolicy::default()).unwrap();
    let options = SubmitOptions {
        destination: Some(Address::parse(to).unwrap()),
        status_report,
        reference: 4242,
        ..SubmitOptions::default()
    };
    build_submits(&plan, &options).unwrap()
}

/// The next event, acked as a consumer that recorded it would.
async fn next_event(events: &mut mpsc::Receiver<ModemEvent>) -> ModemEvent {
    let event = tokio::time::timeout(Duration::from_secs(300), events.recv())
        .await
        .expect("an event within 300 s (paused time)")
        .expect("the modem actor is running");
    event.ack().done();
    event
}

#[tokio::test(start_paused = true)]
async fn initialises_and_reports_identity_and_network() {
    let net = SimNetwork::with_modems(1);
    let (modem, _events) = start(&net, 0, fast_config("m0"));
    assert_eq!(modem.settled(SETTLE).await, ModemState::Ready);
    let status = modem.status();
    assert!(
        status
            .identity
            .imei
            .as_deref()
            .is_some_and(|i| i.len() == 15),
        "{status:?}"
    );
    assert_eq!(
        status.identity.msisdn.as_deref(),
        Some(net.msisdn(0).as_str())
    );
    assert_eq!(status.cnmi.as_deref(), Some("2,1,0,2,0"));
    assert!(status.network.signal_dbm.is_some());
    modem.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_message_between_two_simulated_modems_arrives_via_cmti() {
    let net = SimNetwork::with_modems(2);
    let (sender, _e0) = start(&net, 0, fast_config("m0"));
    let (receiver, mut inbox) = start(&net, 1, fast_config("m1"));
    assert_eq!(sender.settled(SETTLE).await, ModemState::Ready);
    assert_eq!(receiver.settled(SETTLE).await, ModemState::Ready);
    let refs = sender
        .send_segments(&pdus(&net.msisdn(1), "hello over the air", false))
        .await
        .unwrap();
    assert_eq!(refs.len(), 1);
    match next_event(&mut inbox).await {
        ModemEvent::Received { deliver, .. } => {
            assert_eq!(deliver.originator.to_string(), net.msisdn(0));
            assert_eq!(
                deliver.user_data.content(),
                Content::Text("hello over the air".into())
            );
        }
        other => panic!("{other:?}"),
    }
    sender.shutdown().await;
    receiver.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn multipart_ucs2_with_emoji_arrives_intact_in_order() {
    let net = SimNetwork::with_modems(2);
    let (sender, _e0) = start(&net, 0, fast_config("m0"));
    let (receiver, mut inbox) = start(&net, 1, fast_config("m1"));
    sender.settled(SETTLE).await;
    receiver.settled(SETTLE).await;
    let text = "Доставка сегодня 🚚 между 10:00 и 12:00. ".repeat(5);
    let segments = pdus(&net.msisdn(1), &text, false);
    assert!(segments.len() >= 3);
    let refs = sender.send_segments(&segments).await.unwrap();
    assert_eq!(refs.len(), segments.len());
    let mut events = Vec::new();
    for _ in 0..segments.len() {
        events.push(next_event(&mut inbox).await);
    }
    assert_eq!(reassemble_events(&events), Content::Text(text));
}

#[tokio::test(start_paused = true)]
async fn direct_routing_with_cmt_is_acknowledged_and_not_delivered_twice() {
    let net = SimNetwork::with_modems(2);
    let mut direct = fast_config("m1");
    direct.init = InitConfig {
        cnmi: vec!["2,2,0,1,0".into()],
        ..InitConfig::default()
    };
    let (sender, _e0) = start(&net, 0, fast_config("m0"));
    let (receiver, mut inbox) = start(&net, 1, direct);
    sender.settled(SETTLE).await;
    receiver.settled(SETTLE).await;
    assert_eq!(receiver.status().cnmi.as_deref(), Some("2,2,0,1,0"));
    sender
        .send_segments(&pdus(&net.msisdn(1), "direct", false))
        .await
        .unwrap();
    assert!(matches!(
        next_event(&mut inbox).await,
        ModemEvent::Received { .. }
    ));
    // Unacknowledged +CMT would be delivered again after 15 s: nothing may come.
    let again = tokio::time::timeout(Duration::from_secs(60), inbox.recv()).await;
    assert!(again.is_err(), "delivered twice: {again:?}");
}

#[tokio::test(start_paused = true)]
async fn a_modem_that_cannot_route_directly_gets_a_store_variant() {
    let net = SimNetwork::new(NetworkConfig {
        modems: vec![SimModemConfig {
            reject_direct_routing: true,
            ..SimModemConfig::default()
        }],
        sink: SinkConfig::default(),
        seed: 1,
    });
    let mut config = fast_config("m0");
    config.init.cnmi = vec!["2,2,0,1,0".into(), "2,1,0,2,0".into()];
    let (modem, _events) = start(&net, 0, config);
    assert_eq!(modem.settled(SETTLE).await, ModemState::Ready);
    assert_eq!(modem.status().cnmi.as_deref(), Some("2,1,0,2,0"));
}

#[tokio::test(start_paused = true)]
async fn status_reports_come_back_with_the_message_reference_via_cdsi_and_cds() {
    for cnmi in ["2,1,0,2,0", "2,1,0,1,0"] {
        let net = SimNetwork::with_modems(2);
        let mut config = fast_config("m0");
        config.init.cnmi = vec![cnmi.into()];
        let (sender, mut events) = start(&net, 0, config);
        let (receiver, _inbox) = start(&net, 1, fast_config("m1"));
        sender.settled(SETTLE).await;
        receiver.settled(SETTLE).await;
        let refs = sender
            .send_segments(&pdus(&net.msisdn(1), "report me", true))
            .await
            .unwrap();
        match next_event(&mut events).await {
            ModemEvent::StatusReport { report, .. } => {
                assert_eq!(report.message_ref, refs[0], "{cnmi}");
                assert_eq!(report.recipient.to_string(), net.msisdn(1));
                assert_eq!(report.status, 0);
            }
            other => panic!("{cnmi}: {other:?}"),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn message_references_wrap_at_255() {
    let net = SimNetwork::with_modems(1);
    let (modem, _events) = start(&net, 0, fast_config("m0"));
    modem.settled(SETTLE).await;
    let mut refs = Vec::new();
    for i in 0..260 {
        let r = modem
            .send_segments(&pdus("+4915112345678", &format!("n{i}"), false))
            .await
            .unwrap();
        refs.extend(r);
    }
    for pair in refs.windows(2) {
        assert_eq!(pair[1], pair[0].wrapping_add(1), "{refs:?}");
    }
    assert_eq!(modem.status().last_message_ref, refs.last().copied());
    assert_eq!(net.sink().len(), 260);
}

#[tokio::test(start_paused = true)]
async fn cms_errors_are_classified_for_the_dispatcher() {
    for (code, class) in [
        (1u16, ErrorClass::Permanent),
        (42, ErrorClass::RetryElsewhere),
        (500, ErrorClass::RetryHere),
    ] {
        let net = SimNetwork::with_modems(1);
        let (modem, _events) = start(&net, 0, fast_config("m0"));
        modem.settled(SETTLE).await;
        net.set_faults(
            0,
            Faults {
                failure_rate: 1.0,
                failure_codes: vec![code],
                ..Faults::default()
            },
        );
        match modem
            .send_segments(&pdus("+4915112345678", "x", false))
            .await
        {
            Err(SendError::Failed {
                class: got,
                segment: 0,
                ..
            }) => assert_eq!(got, class, "code {code}"),
            other => panic!("code {code}: {other:?}"),
        }
    }
}

/// Regression (issue 14): a temporary `+CMS ERROR` on a later part made the dispatcher
/// restart the whole message on another modem, so the parts before it reached the handset
/// twice, from two numbers. The part is now tried again on the same modem.
#[tokio::test(start_paused = true)]
async fn a_part_refused_mid_message_is_tried_again_on_the_same_modem() {
    let net = SimNetwork::with_modems(1);
    let (modem, _events) = start(&net, 0, fast_config("m0"));
    modem.settled(SETTLE).await;
    let to = "+4915112345678";
    let text = "long enough for three parts. ".repeat(13);
    let parts = pdus(to, &text, false);
    assert_eq!(parts.len(), 3);
    // The second submit (part 2) is refused once with 42, congestion.
    net.set_faults(
        0,
        Faults {
            fail_submits: vec![2],
            failure_codes: vec![42],
            ..Faults::default()
        },
    );
    let refs = modem
        .send_segments(&parts)
        .await
        .expect("sent after a retry");
    assert_eq!(refs.len(), 3);
    let carried: Vec<_> = net.sink().into_iter().filter(|m| m.to == to).collect();
    assert_eq!(carried.len(), 3, "each part exactly once: {carried:?}");
    assert_eq!(net.counters(0).send_failures, 1);

    // Refused every time: given back after the retries, saying which parts made it.
    net.set_faults(
        0,
        Faults {
            fail_submits: (6..=8).collect(),
            failure_codes: vec![42],
            ..Faults::default()
        },
    );
    match modem.send_segments(&parts).await {
        Err(SendError::Failed { segment, sent, .. }) => {
            assert_eq!(segment, 1);
            assert_eq!(sent.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        net.counters(0).send_failures,
        4,
        "1 + the try and its 2 retries"
    );
    // A refusal of the first part is not retried here: nothing went out yet, and another
    // modem may take the whole message at once.
    net.set_faults(
        0,
        Faults {
            fail_submits: vec![9],
            failure_codes: vec![42],
            ..Faults::default()
        },
    );
    assert!(matches!(
        modem.send_segments(&parts).await,
        Err(SendError::Failed { segment: 0, .. })
    ));
}

#[tokio::test(start_paused = true)]
async fn what_arrived_while_the_modem_was_silent_is_found_when_it_answers_again() {
    let net = SimNetwork::with_modems(1);
    let mut config = fast_config("m0");
    config.sweep_interval = Duration::from_secs(3600);
    let (modem, mut events) = start(&net, 0, config);
    let modem = std::sync::Arc::new(modem);
    assert_eq!(modem.settled(SETTLE).await, ModemState::Ready);
    // Silent for 11 s from the next command: the send's `AT+CMGS` gets no prompt (10 s),
    // and the message that arrives meanwhile is stored with its `+CMTI` lost.
    net.set_faults(
        0,
        Faults {
            stall: Some(Stall {
                after_submits: 0,
                duration: Duration::from_secs(11),
            }),
            ..Faults::default()
        },
    );
    let parts = pdus("+4915112345678", "into the silence", false);
    let send = {
        let modem = modem.clone();
        tokio::spawn(async move { modem.send_segments(&parts).await })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    net.inject_inbound(0, "+4477009001", "while silent", InboundOptions::default())
        .unwrap();
    assert!(matches!(
        send.await.unwrap(),
        Err(SendError::Failed {
            class: ErrorClass::RouteBroken,
            ..
        })
    ));
    // Found by the sweep that follows the recovery, not an hour later.
    let started = tokio::time::Instant::now();
    match next_event(&mut events).await {
        ModemEvent::Received { deliver, .. } => {
            assert_eq!(
                deliver.user_data.content(),
                Content::Text("while silent".into())
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[tokio::test(start_paused = true)]
async fn a_hung_modem_is_detected_and_recovered_by_reopening_the_port() {
    let net = SimNetwork::with_modems(1);
    let (modem, _events) = start(&net, 0, fast_config("m0"));
    assert_eq!(modem.settled(SETTLE).await, ModemState::Ready);
    let mut states = modem.watch();
    net.set_faults(
        0,
        Faults {
            hang_after: Some(0),
            ..Faults::default()
        },
    );
    // The next health poll finds it silent…
    let down = tokio::time::timeout(
        SETTLE,
        states.wait_for(|s| matches!(s.state, ModemState::Down(_))),
    )
    .await
    .is_ok();
    assert!(down, "the hang was not detected");
    // …and reopening the port (which clears the hang) brings it back.
    net.set_faults(0, Faults::default());
    let ready = tokio::time::timeout(SETTLE, states.wait_for(|s| s.state == ModemState::Ready))
        .await
        .is_ok();
    assert!(ready, "not recovered: {:?}", modem.status().state);
    modem
        .send_segments(&pdus("+4915112345678", "after recovery", false))
        .await
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_send_to_a_hung_modem_fails_within_its_deadline_instead_of_hanging() {
    let net = SimNetwork::with_modems(1);
    let (modem, _events) = start(&net, 0, fast_config("m0"));
    modem.settled(SETTLE).await;
    net.set_faults(
        0,
        Faults {
            hang_after: Some(0),
            ..Faults::default()
        },
    );
    let result = tokio::time::timeout(
        Duration::from_secs(600),
        modem.send_segments(&pdus("+1555", "x", false)),
    )
    .await;
    match result {
        Ok(Err(SendError::Failed { class, .. })) => assert_eq!(class, ErrorClass::RouteBroken),
        Ok(Err(SendError::NotReady { .. })) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn the_sim_pin_is_entered_once_and_a_wrong_one_is_not_retried() {
    let locked = |pin: &str| {
        SimNetwork::new(NetworkConfig {
            modems: vec![SimModemConfig {
                pin: Some(pin.to_string()),
                ..SimModemConfig::default()
            }],
            sink: SinkConfig::default(),
            seed: 7,
        })
    };
    let net = locked("1234");
    let mut config = fast_config("m0");
    config.init.pin = Some("1234".into());
    let (modem, _events) = start(&net, 0, config.clone());
    assert_eq!(modem.settled(SETTLE).await, ModemState::Ready);

    let net = locked("1234");
    config.init.pin = Some("0000".into());
    let (modem, _events) = start(&net, 0, config.clone());
    assert!(matches!(
        modem.settled(SETTLE).await,
        ModemState::SimError(_)
    ));
    // An hour of periodic SIM re-checks later the SIM still asks for its PIN, not its PUK:
    // the wrong PIN was entered once (three wrong entries lock the simulated SIM, as real
    // ones do).
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert!(
        matches!(modem.status().state, ModemState::SimError(ref why) if why.contains("refused") && !why.contains("PUK")),
        "{:?}",
        modem.status().state
    );

    let net = locked("1234");
    config.init.pin = None;
    let (modem, _events) = start(&net, 0, config);
    assert!(
        matches!(modem.settled(SETTLE).await, ModemState::SimError(ref why) if why.contains("PIN"))
    );
}

#[tokio::test(start_paused = true)]
async fn no_sim_is_a_sim_error() {
    let net = SimNetwork::new(NetworkConfig {
        modems: vec![SimModemConfig {
            faults: Faults {
                no_sim: true,
                ..Faults::default()
            },
            ..SimModemConfig::default()
        }],
        sink: SinkConfig::default(),
        seed: 1,
    });
    let (modem, _events) = start(&net, 0, fast_config("m0"));
    assert!(
        matches!(modem.settled(SETTLE).await, ModemState::SimError(ref why) if why.contains("SIM"))
    );
}

#[tokio::test(start_paused = true)]
async fn noise_and_urcs_mid_response_do_not_disturb_sending_or_receiving() {
    let noisy = Faults {
        noise_interval: Some(Duration::from_millis(300)),
        urc_mid_response: true,
        ..Faults::default()
    };
    let net = SimNetwork::with_modems(2);
    net.set_faults(0, noisy.clone());
    net.set_faults(1, noisy);
    let (sender, _e0) = start(&net, 0, fast_config("m0"));
    let (receiver, mut inbox) = start(&net, 1, fast_config("m1"));
    assert_eq!(sender.settled(SETTLE).await, ModemState::Ready);
    assert_eq!(receiver.settled(SETTLE).await, ModemState::Ready);
    for i in 0..5 {
        sender
            .send_segments(&pdus(&net.msisdn(1), &format!("noisy {i}"), false))
            .await
            .unwrap();
    }
    for i in 0..5 {
        match next_event(&mut inbox).await {
            ModemEvent::Received { deliver, .. } => {
                assert_eq!(
                    deliver.user_data.content(),
                    Content::Text(format!("noisy {i}"))
                )
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn messages_stored_while_nobody_listened_are_swept_at_start() {
    let net = SimNetwork::with_modems(1);
    net.inject_inbound(
        0,
        "+4915112345678",
        "waiting on the SIM",
        Default::default(),
    )
    .unwrap();
    net.inject_inbound(0, "MyBank", "second", Default::default())
        .unwrap();
    let (modem, mut inbox) = start(&net, 0, fast_config("m0"));
    modem.settled(SETTLE).await;
    let mut texts = Vec::new();
    for _ in 0..2 {
        if let ModemEvent::Received { deliver, .. } = next_event(&mut inbox).await {
            texts.push((deliver.originator.to_string(), deliver.user_data.content()));
        }
    }
    texts.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        texts,
        vec![
            (
                "+4915112345678".to_string(),
                Content::Text("waiting on the SIM".into())
            ),
            ("MyBank".to_string(), Content::Text("second".into())),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_message_the_consumer_never_confirms_stays_on_the_modem_and_comes_again() {
    let net = SimNetwork::with_modems(1);
    net.inject_inbound(0, "+4915112345678", "keep me", Default::default())
        .unwrap();
    let (modem, mut inbox) = start(&net, 0, fast_config("m0"));
    modem.settled(SETTLE).await;
    // Taken but never acked (the consumer crashed before recording it)…
    let first = tokio::time::timeout(SETTLE, inbox.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(first, ModemEvent::Received { .. }));
    drop(first);
    // …so it was not deleted: the next sweep offers it again, and this time it is acked.
    let again = next_event(&mut inbox).await;
    let ModemEvent::Received { deliver, .. } = again else {
        panic!("{again:?}")
    };
    assert_eq!(deliver.user_data.content(), Content::Text("keep me".into()));
    // Acked now: deleted, so no third offer.
    let third = tokio::time::timeout(Duration::from_secs(600), inbox.recv()).await;
    assert!(third.is_err(), "offered a third time: {third:?}");
}

/// A modem that never answers climbs the whole ladder — reopen, reset, backoff — and ends
/// `failed`, with its reason, out of rotation; afterwards it is tried only every
/// `failed_retry`, never in a fast loop (connections counted over six hours of paused time).
#[tokio::test(start_paused = true)]
async fn a_modem_that_keeps_failing_is_taken_out_of_rotation_and_retried_slowly() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    let opens = Arc::new(AtomicUsize::new(0));
    // The far ends are kept open and never read: the modem is silent, not gone.
    let far_ends = Arc::new(Mutex::new(Vec::new()));
    let connector = {
        let (opens, far_ends) = (opens.clone(), far_ends.clone());
        FnConnector("silent".to_string(), move || {
            opens.fetch_add(1, Ordering::SeqCst);
            let (near, far) = tokio::io::duplex(1024);
            far_ends.lock().unwrap().push(far);
            near
        })
    };
    let mut config = fast_config("m0");
    config.fail_after = 5;
    config.failed_retry = Duration::from_secs(600);
    let (tx, _rx) = mpsc::channel(16);
    let modem = Modem::start(config, connector, tx);
    let mut states = modem.watch();
    let failed = tokio::time::timeout(
        Duration::from_secs(3600),
        states.wait_for(|s| matches!(s.state, ModemState::Failed(_))),
    )
    .await
    .is_ok();
    assert!(failed, "not failed: {:?}", modem.status().state);
    let ModemState::Failed(reason) = modem.status().state else {
        unreachable!()
    };
    assert!(reason.contains("5 failures in a row"), "{reason}");
    assert!(reason.contains("no answer"), "{reason}");
    assert!(!modem.status().state.accepts_traffic());
    let at_failure = opens.load(Ordering::SeqCst);
    assert!(
        (5..=6).contains(&at_failure),
        "{at_failure} opens before failing"
    );
    // Six hours later: about one try per ten minutes, and still failed.
    tokio::time::sleep(Duration::from_secs(6 * 3600)).await;
    let later = opens.load(Ordering::SeqCst) - at_failure;
    assert!((30..=37).contains(&later), "{later} opens in six hours");
    assert!(matches!(modem.status().state, ModemState::Failed(_)));
    assert!(matches!(
        modem
            .send_segments(&pdus("+4915112345678", "x", false))
            .await,
        Err(SendError::NotReady { .. })
    ));
    modem.shutdown().await;
}
