//! The store through its public API: leasing order and timing, outcomes and the state
//! machine, idempotent replay, status-report correlation and roll-up, recovery, durability
//! across reopen, concurrent callers, and a child process killed with SIGKILL mid-enqueue.

use smsgate::message::{InFlightPolicy, MessageId, MessageStatus, MessageType, SmsType};
use smsgate::pdu::DeliveryStatus;
use smsgate::store::{
    Durability, ListFilter, NewBatch, NewMessage, OutboundSegment, SegmentReceipt, Store,
    StoreError, StoreOptions,
};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

const LEASE: Duration = Duration::from_secs(60);
const WINDOW: Duration = Duration::from_secs(3600);
const T0: i64 = 1_700_000_000_000;

fn msg(recipient: &str, priority: i32) -> NewMessage {
    msg_segments(recipient, priority, 1)
}

fn msg_segments(recipient: &str, priority: i32, segments: u16) -> NewMessage {
    NewMessage {
        recipient: recipient.into(),
        body: format!("hello {recipient}"),
        message_type: MessageType::Text,
        sms_type: SmsType::Transactional,
        encoding: "gsm7".into(),
        priority,
        schedule_at: None,
        expire_at: None,
        provider: None,
        custom_id: None,
        recipient_name: None,
        segments: (1..=segments)
            .map(|seq| OutboundSegment {
                seq,
                pdu_hex: format!("0011000B91{seq:02X}"),
                tpdu_length: 20,
            })
            .collect(),
        redacted_body: None,
        reply: None,
    }
}

async fn one(store: &Store, m: NewMessage, now: i64) -> MessageId {
    store
        .enqueue(NewBatch::default(), vec![m], now)
        .await
        .unwrap()
        .ids[0]
}

async fn status(store: &Store, id: MessageId) -> MessageStatus {
    store.get(id).await.unwrap().unwrap().summary.status
}

fn policy_by_type(t: SmsType) -> InFlightPolicy {
    match t {
        SmsType::Otp => InFlightPolicy::AtMostOnce,
        _ => InFlightPolicy::AtLeastOnce,
    }
}

/// Leases one message and records it sent through `route` with one TP-MR per segment.
async fn send(store: &Store, id: MessageId, route: &str, mrs: &[u8], now: i64) {
    let leased = store.lease(now, 1, LEASE).await.unwrap();
    assert_eq!(leased.len(), 1);
    assert_eq!(leased[0].id, id);
    let refs = mrs
        .iter()
        .enumerate()
        .map(|(i, &mr)| SegmentReceipt {
            seq: u16::try_from(i + 1).unwrap(),
            message_ref: Some(mr),
            provider_id: None,
            cost: None,
        })
        .collect();
    store.record_sent(id, route, refs, now).await.unwrap();
}

#[tokio::test]
async fn lease_takes_the_highest_priority_first_then_the_oldest() {
    let store = Store::open_memory().await.unwrap();
    let low_old = one(&store, msg("+15550000001", 0), T0).await;
    let high_new = one(&store, msg("+15550000002", 5), T0 + 1).await;
    let low_new = one(&store, msg("+15550000003", 0), T0 + 2).await;
    let high_newest = one(&store, msg("+15550000004", 5), T0 + 3).await;
    let leased = store.lease(T0 + 10, 3, LEASE).await.unwrap();
    let ids: Vec<_> = leased.iter().map(|l| l.id).collect();
    assert_eq!(ids, vec![high_new, high_newest, low_old]);
    assert_eq!(leased[0].segments.len(), 1);
    assert_eq!(leased[0].attempts, 0);
    assert_eq!(status(&store, high_new).await, MessageStatus::Sending);
    let rest = store.lease(T0 + 10, 10, LEASE).await.unwrap();
    assert_eq!(rest.iter().map(|l| l.id).collect::<Vec<_>>(), vec![low_new]);
    assert!(store.lease(T0 + 10, 10, LEASE).await.unwrap().is_empty());
    assert_eq!(store.queue_depth().await.unwrap(), 4, "sending counts");
}

#[tokio::test]
async fn schedule_at_is_honoured() {
    let store = Store::open_memory().await.unwrap();
    let mut m = msg("+15550000001", 9);
    m.schedule_at = Some(T0 + 1000);
    let later = one(&store, m, T0).await;
    assert_eq!(status(&store, later).await, MessageStatus::Scheduled);
    let mut past = msg("+15550000002", 0);
    past.schedule_at = Some(T0 - 5);
    let now_id = one(&store, past, T0).await;
    assert_eq!(status(&store, now_id).await, MessageStatus::Queued);

    let leased = store.lease(T0 + 999, 10, LEASE).await.unwrap();
    assert_eq!(
        leased.iter().map(|l| l.id).collect::<Vec<_>>(),
        vec![now_id]
    );
    let leased = store.lease(T0 + 1000, 10, LEASE).await.unwrap();
    assert_eq!(leased.iter().map(|l| l.id).collect::<Vec<_>>(), vec![later]);
}

#[tokio::test]
async fn next_attempt_at_is_honoured_after_record_retry() {
    let store = Store::open_memory().await.unwrap();
    let id = one(&store, msg("+15550000001", 0), T0).await;
    store.lease(T0, 1, LEASE).await.unwrap();
    store
        .record_retry(id, Some("modem:a"), "CMS 500", T0 + 5000, T0 + 1)
        .await
        .unwrap();
    assert!(store.lease(T0 + 4999, 1, LEASE).await.unwrap().is_empty());
    let again = store.lease(T0 + 5000, 1, LEASE).await.unwrap();
    assert_eq!(again[0].id, id);
    assert_eq!(again[0].attempts, 1);
    assert_eq!(again[0].last_route.as_deref(), Some("modem:a"));
    let detail = store.get(id).await.unwrap().unwrap();
    assert_eq!(detail.summary.error.as_deref(), Some("CMS 500"));
}

#[tokio::test]
async fn an_expired_message_is_never_leased() {
    let store = Store::open_memory().await.unwrap();
    let mut m = msg("+15550000001", 9);
    m.expire_at = Some(T0 + 100);
    let id = one(&store, m, T0).await;
    assert!(store.lease(T0 + 100, 10, LEASE).await.unwrap().is_empty());
    assert_eq!(store.expire_due(T0 + 100).await.unwrap(), vec![id]);
    assert_eq!(status(&store, id).await, MessageStatus::Expired);
    assert!(store.expire_due(T0 + 200).await.unwrap().is_empty());
    let detail = store.get(id).await.unwrap().unwrap();
    assert_eq!(detail.summary.final_at, Some(T0 + 100));
}

#[tokio::test]
async fn cancel_works_until_sending_and_knows_missing_messages() {
    let store = Store::open_memory().await.unwrap();
    let a = one(&store, msg("+15550000001", 0), T0).await;
    let b = one(&store, msg("+15550000002", 0), T0).await;
    assert_eq!(
        store.cancel(a, T0 + 1).await.unwrap(),
        MessageStatus::Cancelled
    );
    assert_eq!(status(&store, a).await, MessageStatus::Cancelled);
    let leased = store.lease(T0 + 2, 10, LEASE).await.unwrap();
    assert_eq!(leased.len(), 1, "a cancelled message is not leased");
    assert!(matches!(
        store.cancel(b, T0 + 3).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.cancel(MessageId(987_654), T0).await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn an_idempotency_key_replays_the_same_ids_and_stores_nothing_new() {
    let store = Store::open_memory().await.unwrap();
    let batch = NewBatch {
        name: Some("promo".into()),
        idempotency_key: Some("key-1".into()),
        fingerprint: Some("request-1".into()),
        ..NewBatch::default()
    };
    let messages = vec![msg("+15550000001", 0), msg("+15550000002", 0)];
    let first = store
        .enqueue(batch.clone(), messages.clone(), T0)
        .await
        .unwrap();
    assert!(!first.replayed);
    assert_eq!(first.batch_id.len(), 26);
    let again = store.enqueue(batch, messages, T0 + 10).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.ids, first.ids);
    assert_eq!(again.batch_id, first.batch_id);
    assert_eq!(store.queue_depth().await.unwrap(), 2);
    let summary = store.batch(&first.batch_id).await.unwrap().unwrap();
    assert_eq!(summary.total, 2);
    assert_eq!(summary.name.as_deref(), Some("promo"));
    assert_eq!(summary.by_status.get("queued"), Some(&2));
    assert!(store.batch("b_nope").await.unwrap().is_none());
}

#[tokio::test]
async fn idempotency_keys_belong_to_one_api_key_and_one_request() {
    let store = Store::open_memory().await.unwrap();
    let batch = |scope: &str, fingerprint: &str| NewBatch {
        idempotency_key: Some("k".into()),
        idempotency_scope: scope.into(),
        fingerprint: Some(fingerprint.into()),
        ..NewBatch::default()
    };
    let mine = store
        .enqueue(batch("alice", "f1"), vec![msg("+15550000001", 0)], T0)
        .await
        .unwrap();
    // Another API key's "k" is another key: stored, not a replay of alice's.
    let theirs = store
        .enqueue(batch("bob", "f2"), vec![msg("+15550000002", 0)], T0)
        .await
        .unwrap();
    assert!(!theirs.replayed);
    assert_ne!(theirs.ids, mine.ids);
    // The same key with another request is a conflict, never a replay.
    assert!(matches!(
        store
            .enqueue(batch("alice", "f3"), vec![msg("+15550000003", 0)], T0)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let again = store
        .enqueue(batch("alice", "f1"), vec![msg("+15550000001", 0)], T0)
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.ids, mine.ids);
    assert_eq!(store.queue_depth().await.unwrap(), 2);
}

#[tokio::test]
async fn every_transition_writes_an_event_and_illegal_ones_are_refused() {
    let store = Store::open_memory().await.unwrap();
    let id = one(&store, msg("+15550000001", 0), T0).await;
    // Not leased: neither sent nor retried.
    assert!(matches!(
        store.record_sent(id, "modem:a", vec![], T0 + 1).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.record_retry(id, None, "x", T0, T0 + 1).await,
        Err(StoreError::Conflict(_))
    ));
    store.lease(T0 + 2, 1, LEASE).await.unwrap();
    store
        .record_retry(id, Some("modem:a"), "busy", T0 + 3, T0 + 3)
        .await
        .unwrap();
    send(&store, id, "modem:b", &[7], T0 + 4).await;
    assert!(matches!(
        store.cancel(id, T0 + 5).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.record_failed(id, None, "late", T0 + 5).await,
        Err(StoreError::Conflict(_))
    ));
    let report = store
        .record_status_report(
            "modem:b",
            7,
            "+15550000001",
            0,
            DeliveryStatus::Delivered,
            T0 + 6,
            WINDOW,
        )
        .await
        .unwrap();
    assert_eq!(report, Some((id, MessageStatus::Delivered)));
    assert!(matches!(
        store.record_expired(id, T0 + 7).await,
        Err(StoreError::Conflict(_))
    ));
    let detail = store.get(id).await.unwrap().unwrap();
    let trail: Vec<_> = detail.events.iter().map(|e| (e.at, e.status)).collect();
    use MessageStatus::*;
    assert_eq!(
        trail,
        vec![
            (T0, Queued),
            (T0 + 2, Sending),
            (T0 + 3, Queued),
            (T0 + 4, Sending),
            (T0 + 4, Sent),
            (T0 + 6, Delivered),
        ]
    );
    assert_eq!(detail.events[2].detail.as_deref(), Some("busy"));
    assert_eq!(detail.events[4].route.as_deref(), Some("modem:b"));
    assert_eq!(detail.summary.route.as_deref(), Some("modem:b"));
    assert_eq!(detail.summary.sent_at, Some(T0 + 4));
    assert_eq!(detail.summary.final_at, Some(T0 + 6));
    assert_eq!(detail.segments_detail[0].status, "delivered");
    assert_eq!(detail.segments_detail[0].message_ref, Some(7));
    assert_eq!(detail.segments_detail[0].tp_st, Some(0));
}

#[tokio::test]
async fn a_wrapped_tp_mr_matches_the_recent_segment_and_ignores_one_outside_the_window() {
    let store = Store::open_memory().await.unwrap();
    let recipient = "+15550000001";
    let old = one(&store, msg(recipient, 0), T0).await;
    send(&store, old, "modem:a", &[42], T0).await;
    // 256 sends later the modem's TP-MR is 42 again, for the same recipient.
    let recent = one(&store, msg(recipient, 0), T0 + 10_000).await;
    send(&store, recent, "modem:a", &[42], T0 + 10_000).await;
    let now = T0 + 20_000;
    let r = store
        .record_status_report(
            "modem:a",
            42,
            recipient,
            0,
            DeliveryStatus::Delivered,
            now,
            WINDOW,
        )
        .await
        .unwrap();
    assert_eq!(r, Some((recent, MessageStatus::Delivered)));
    assert_eq!(status(&store, old).await, MessageStatus::Sent);
    // The old one is outside a 15 s window: a second report with MR 42 matches nothing.
    let r = store
        .record_status_report(
            "modem:a",
            42,
            recipient,
            0,
            DeliveryStatus::Delivered,
            now,
            Duration::from_secs(15),
        )
        .await
        .unwrap();
    assert_eq!(r, None);
    assert_eq!(status(&store, old).await, MessageStatus::Sent);
    // Another route with the same MR is not ours either.
    let r = store
        .record_status_report(
            "modem:b",
            42,
            recipient,
            0,
            DeliveryStatus::Delivered,
            now,
            WINDOW,
        )
        .await
        .unwrap();
    assert_eq!(r, None);
}

#[tokio::test]
async fn a_report_for_another_recipient_is_ignored() {
    let store = Store::open_memory().await.unwrap();
    let id = one(&store, msg("+15550000001", 0), T0).await;
    send(&store, id, "modem:a", &[9], T0).await;
    let r = store
        .record_status_report(
            "modem:a",
            9,
            "+15550000002",
            0,
            DeliveryStatus::Delivered,
            T0 + 1,
            WINDOW,
        )
        .await
        .unwrap();
    assert_eq!(r, None);
    assert_eq!(status(&store, id).await, MessageStatus::Sent);
    // TP-RA without the plus is the same number.
    let r = store
        .record_status_report(
            "modem:a",
            9,
            "15550000001",
            0,
            DeliveryStatus::Delivered,
            T0 + 2,
            WINDOW,
        )
        .await
        .unwrap();
    assert_eq!(r, Some((id, MessageStatus::Delivered)));
}

#[tokio::test]
async fn segments_roll_up_into_the_message_status() {
    let store = Store::open_memory().await.unwrap();
    let r = "+15550000001";
    let report = |mr: u8, tp_st: u8, at: i64| {
        let store = store.clone();
        async move {
            store
                .record_status_report(
                    "modem:a",
                    mr,
                    r,
                    tp_st,
                    DeliveryStatus::from_tp_st(tp_st),
                    at,
                    WINDOW,
                )
                .await
                .unwrap()
        }
    };
    // Three segments: pending keeps sent, delivered only when all are.
    let a = one(&store, msg_segments(r, 0, 3), T0).await;
    send(&store, a, "modem:a", &[1, 2, 3], T0).await;
    assert_eq!(
        report(1, 0x00, T0 + 1).await,
        Some((a, MessageStatus::Sent))
    );
    assert_eq!(
        report(2, 0x20, T0 + 2).await,
        Some((a, MessageStatus::Sent))
    );
    assert_eq!(
        report(3, 0x00, T0 + 3).await,
        Some((a, MessageStatus::Sent))
    );
    let pending = store.get(a).await.unwrap().unwrap();
    assert_eq!(pending.segments_detail[1].status, "sent");
    assert_eq!(pending.segments_detail[1].tp_st, Some(0x20));
    assert_eq!(
        report(2, 0x00, T0 + 4).await,
        Some((a, MessageStatus::Delivered))
    );

    // Two segments: one failed → undelivered, whatever the other says later.
    let b = one(&store, msg_segments(r, 0, 2), T0 + 10).await;
    send(&store, b, "modem:a", &[4, 5], T0 + 10).await;
    assert_eq!(
        report(4, 0x41, T0 + 11).await,
        Some((b, MessageStatus::Undelivered))
    );
    assert_eq!(
        report(5, 0x00, T0 + 12).await,
        Some((b, MessageStatus::Undelivered))
    );
    let detail = store.get(b).await.unwrap().unwrap();
    assert_eq!(detail.segments_detail[0].status, "failed");
    assert_eq!(detail.segments_detail[1].status, "delivered");
    assert!(detail.summary.error.unwrap().contains("0x41"));
    // A final report is not matched twice.
    assert_eq!(report(4, 0x00, T0 + 13).await, None);
}

#[tokio::test]
async fn recover_requeues_or_fails_by_policy() {
    let store = Store::open_memory().await.unwrap();
    let plain = one(&store, msg("+15550000001", 0), T0).await;
    let mut otp = msg("+15550000002", 0);
    otp.sms_type = SmsType::Otp;
    let otp = one(&store, otp, T0).await;
    let waiting = one(&store, msg("+15550000003", -1), T0).await;
    assert_eq!(store.lease(T0, 2, LEASE).await.unwrap().len(), 2);
    let done = store.recover(policy_by_type, T0 + 1).await.unwrap();
    assert_eq!((done.requeued, done.failed), (1, 1));
    assert_eq!(status(&store, plain).await, MessageStatus::Queued);
    assert_eq!(status(&store, otp).await, MessageStatus::Failed);
    assert_eq!(status(&store, waiting).await, MessageStatus::Queued);
    let failed = store.get(otp).await.unwrap().unwrap();
    let last = failed.events.last().unwrap();
    assert_eq!(last.status, MessageStatus::Failed);
    assert_eq!(last.detail.as_deref(), Some("interrupted by restart"));
    let requeued = store.get(plain).await.unwrap().unwrap();
    assert_eq!(
        requeued.events.last().unwrap().detail.as_deref(),
        Some("requeued after restart")
    );
    let again = store.lease(T0 + 1, 10, LEASE).await.unwrap();
    assert_eq!(again[0].id, plain);
    assert_eq!(again[0].attempts, 1);
    // Everything at-least-once: nothing fails.
    let done = store
        .recover(|_| InFlightPolicy::AtLeastOnce, T0 + 2)
        .await
        .unwrap();
    assert_eq!((done.requeued, done.failed), (2, 0));
}

#[tokio::test]
async fn reclaim_takes_back_only_leases_that_ran_out() {
    let store = Store::open_memory().await.unwrap();
    let short = one(&store, msg("+15550000001", 1), T0).await;
    let long = one(&store, msg("+15550000002", 0), T0).await;
    store.lease(T0, 1, Duration::from_secs(10)).await.unwrap();
    store.lease(T0, 1, Duration::from_secs(100)).await.unwrap();
    let done = store
        .reclaim_expired_leases(policy_by_type, T0 + 10_000)
        .await
        .unwrap();
    assert_eq!(done.requeued + done.failed, 0, "not before lease_until");
    let done = store
        .reclaim_expired_leases(policy_by_type, T0 + 10_001)
        .await
        .unwrap();
    assert_eq!((done.requeued, done.failed), (1, 0));
    assert_eq!(status(&store, short).await, MessageStatus::Queued);
    assert_eq!(status(&store, long).await, MessageStatus::Sending);
}

#[tokio::test]
async fn get_and_list_show_what_was_stored() {
    let store = Store::open_memory().await.unwrap();
    let mut m = msg("+15550000001", 3);
    m.custom_id = Some("order-7".into());
    m.recipient_name = Some("Ann".into());
    m.sms_type = SmsType::Promotional;
    let batch = NewBatch {
        metadata: Some(r#"{"k": [1, 2], "n": 123456789012345678901234567890}"#.into()),
        callback_url: Some("https://example.invalid/cb".into()),
        ..NewBatch::default()
    };
    let accepted = store
        .enqueue(batch, vec![m, msg("+15550000002", 0)], T0)
        .await
        .unwrap();
    let second = one(&store, msg("+15550000003", 0), T0 + 5).await;
    let d = store.get(accepted.ids[0]).await.unwrap().unwrap();
    assert_eq!(d.summary.custom_id.as_deref(), Some("order-7"));
    // Stored once on the batch, read back verbatim for each of its messages.
    let verbatim = r#"{"k": [1, 2], "n": 123456789012345678901234567890}"#;
    assert_eq!(d.metadata.as_ref().map(|m| m.as_str()), Some(verbatim));
    assert_eq!(d.recipient_name.as_deref(), Some("Ann"));
    assert_eq!(
        d.callback_url.as_deref(),
        Some("https://example.invalid/cb")
    );
    let other = store.get(accepted.ids[1]).await.unwrap().unwrap();
    assert_eq!(other.metadata.as_ref().map(|m| m.as_str()), Some(verbatim));
    assert_eq!(other.recipient_name, None);
    assert_eq!(d.summary.batch_id, accepted.batch_id);
    assert_eq!(d.summary.segments, 1);
    assert_eq!(d.segments_detail[0].status, "pending");
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["status"], "queued");
    assert_eq!(json["sms_type"], "promotional");
    assert!(store.get(MessageId(424_242)).await.unwrap().is_none());

    let all = store.list(ListFilter::default()).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].id, second, "newest first");
    let promo = store
        .list(ListFilter {
            sms_type: Some(SmsType::Promotional),
            ..ListFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(promo.len(), 1);
    let batch = store
        .list(ListFilter {
            batch_id: Some(accepted.batch_id.clone()),
            status: Some(MessageStatus::Queued),
            date_from: Some(T0),
            date_to: Some(T0),
            limit: 1,
            offset: 1,
            ..ListFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(batch.len(), 1);
}

#[tokio::test]
async fn accepted_messages_survive_closing_and_reopening_a_file_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("smsgate.db");
    let ids = {
        let store = Store::open(&path, StoreOptions::default()).await.unwrap();
        let messages = (0..100).map(|i| msg(&format!("+1555{i:07}"), 0)).collect();
        let accepted = store
            .enqueue(NewBatch::default(), messages, T0)
            .await
            .unwrap();
        store.lease(T0, 10, LEASE).await.unwrap();
        accepted.ids
    };
    let store = Store::open(&path, StoreOptions::default()).await.unwrap();
    for id in &ids {
        assert!(store.get(*id).await.unwrap().is_some(), "{id}");
    }
    assert_eq!(store.queue_depth().await.unwrap(), 100);
    let done = store.recover(policy_by_type, T0 + 1).await.unwrap();
    assert_eq!(done.requeued, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_callers_all_find_their_messages() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("c.db"), StoreOptions::default())
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for t in 0..50 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..10 {
                let m = msg(&format!("+1555{t:03}{i:04}"), 0);
                ids.extend(
                    store
                        .enqueue(NewBatch::default(), vec![m], T0)
                        .await
                        .unwrap()
                        .ids,
                );
            }
            ids
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    assert_eq!(all.len(), 500);
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 500);
    for id in all {
        assert!(store.get(id).await.unwrap().is_some(), "{id}");
    }
}

/// The child half of the crash test: enqueues from 8 tasks until killed (or 60 s pass),
/// printing `ACCEPTED <id>` only after each enqueue returned Ok.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_child() {
    let Ok(path) = std::env::var("SMSGATE_STORE_CRASH_CHILD") else {
        return; // Only runs when the crash test starts it.
    };
    let options = StoreOptions {
        durability: Durability::Full,
        group_commit_max: 512,
        sealer: None,
        ..StoreOptions::default()
    };
    let store = Store::open(std::path::Path::new(&path), options)
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut tasks = Vec::new();
    for t in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut i = 0u32;
            while tokio::time::Instant::now() < deadline {
                i += 1;
                let messages = vec![msg(&format!("+1555{t:02}{i:05}"), 0); 1 + (i % 3) as usize];
                let accepted = store
                    .enqueue(NewBatch::default(), messages, T0)
                    .await
                    .unwrap();
                let line: Vec<String> = accepted.ids.iter().map(ToString::to_string).collect();
                let mut out = std::io::stdout().lock();
                writeln!(out, "ACCEPTED {}", line.join(" ")).unwrap();
                out.flush().unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_enqueue_that_returned_ok_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "store::crash_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("SMSGATE_STORE_CRASH_CHILD", &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut ids: Vec<i64> = Vec::new();
    let mut accepted_lines = 0;
    // Kill it mid-stream, after a few hundred acknowledged enqueues.
    while accepted_lines < 300 {
        let Some(line) = lines.next() else { break };
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("ACCEPTED ") {
            accepted_lines += 1;
            ids.extend(rest.split(' ').map(|id| id.parse::<i64>().unwrap()));
        }
    }
    child.kill().unwrap(); // SIGKILL
    let exit = child.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&exit),
        Some(9),
        "killed mid-stream, not finished"
    );
    // Lines written before the kill are still in the pipe.
    for line in lines {
        let Ok(line) = line else { break };
        if let Some(rest) = line.strip_prefix("ACCEPTED ") {
            if let Ok(parsed) = rest
                .split(' ')
                .map(|id| id.parse::<i64>())
                .collect::<Result<Vec<_>, _>>()
            {
                ids.extend(parsed);
            }
        }
    }
    assert!(accepted_lines >= 300, "the child stopped early");

    let store = Store::open(&path, StoreOptions::default()).await.unwrap();
    for id in &ids {
        let found = store.get(MessageId(*id)).await.unwrap();
        assert!(found.is_some(), "message {id} was acknowledged but is gone");
    }
    let depth = store.queue_depth().await.unwrap();
    assert!(depth >= ids.len() as u64, "{depth} < {}", ids.len());
    eprintln!(
        "{} acknowledged messages, {depth} found after SIGKILL",
        ids.len()
    );
}

async fn sent(store: &Store, id: MessageId, route: &str, mr: u8, now: i64) {
    store.lease(now, 10, LEASE).await.unwrap();
    store
        .record_sent(
            id,
            route,
            vec![SegmentReceipt {
                seq: 1,
                message_ref: Some(mr),
                provider_id: None,
                cost: None,
            }],
            now,
        )
        .await
        .unwrap();
}

/// Regression: a report that overtook the record of its own send (the network answered
/// before the dispatcher committed "sent") was matched against nothing and lost.
#[tokio::test]
async fn a_report_that_arrives_before_its_send_is_recorded_is_adopted_durably() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orphans.db");
    let store = Store::open(&path, StoreOptions::default()).await.unwrap();
    let id = one(&store, msg("+4915112345678", 0), T0).await;
    let early = store
        .record_status_report(
            "m0",
            9,
            "+4915112345678",
            0,
            DeliveryStatus::Delivered,
            T0 + 10,
            WINDOW,
        )
        .await
        .unwrap();
    assert_eq!(early, None);
    // The daemon may even restart in between: the orphan is on disk.
    drop(store);
    let store = Store::open(&path, StoreOptions::default()).await.unwrap();
    sent(&store, id, "m0", 9, T0 + 12).await;
    assert_eq!(status(&store, id).await, MessageStatus::Delivered);
}

#[tokio::test]
async fn a_stale_or_duplicate_orphan_never_attaches_to_a_later_message() {
    let store = Store::open_memory().await.unwrap();
    // An orphan received at T0 (say, a duplicate of an old report)…
    store
        .record_status_report(
            "m0",
            9,
            "+4915112345678",
            0,
            DeliveryStatus::Delivered,
            T0,
            WINDOW,
        )
        .await
        .unwrap();
    // …and a new message to the same number that reuses TP-MR 9 a minute later.
    let id = one(&store, msg("+4915112345678", 0), T0 + 60_000).await;
    sent(&store, id, "m0", 9, T0 + 60_000).await;
    assert_eq!(status(&store, id).await, MessageStatus::Sent);
    // Another route or recipient never matches either.
    let other = one(&store, msg("+4915112345679", 0), T0 + 60_100).await;
    store
        .record_status_report(
            "m1",
            10,
            "+4915112345679",
            0,
            DeliveryStatus::Delivered,
            T0 + 60_100,
            WINDOW,
        )
        .await
        .unwrap();
    sent(&store, other, "m0", 10, T0 + 60_200).await;
    assert_eq!(status(&store, other).await, MessageStatus::Sent);
}

/// Regression: on a long multi-segment send the first segment's report can arrive many
/// seconds before the send is recorded; it must still be adopted.
#[tokio::test]
async fn an_early_report_is_adopted_however_long_the_send_took() {
    let store = Store::open_memory().await.unwrap();
    let id = one(&store, msg_segments("+4915112345678", 0, 3), T0).await;
    store.lease(T0 + 1_000, 10, LEASE).await.unwrap();
    // Segment 1 (TP-MR 1) is reported at +2 s; the third segment only goes out at +60 s.
    store
        .record_status_report(
            "m0",
            1,
            "+4915112345678",
            0,
            DeliveryStatus::Delivered,
            T0 + 2_000,
            WINDOW,
        )
        .await
        .unwrap();
    let refs = (1..=3)
        .map(|seq| SegmentReceipt {
            seq,
            message_ref: Some(seq as u8),
            provider_id: None,
            cost: None,
        })
        .collect();
    store
        .record_sent(id, "m0", refs, T0 + 60_000)
        .await
        .unwrap();
    for mr in [2u8, 3] {
        store
            .record_status_report(
                "m0",
                mr,
                "+4915112345678",
                0,
                DeliveryStatus::Delivered,
                T0 + 61_000,
                WINDOW,
            )
            .await
            .unwrap();
    }
    assert_eq!(status(&store, id).await, MessageStatus::Delivered);
}

#[tokio::test]
async fn renewed_leases_are_not_reclaimed() {
    let store = Store::open_memory().await.unwrap();
    let id = one(&store, msg("+4915112345678", 0), T0).await;
    store.lease(T0, 10, Duration::from_secs(60)).await.unwrap();
    store.extend_leases(vec![id], T0 + 600_000).await.unwrap();
    let r = store
        .reclaim_expired_leases(policy_by_type, T0 + 120_000)
        .await
        .unwrap();
    assert_eq!((r.requeued, r.failed), (0, 0));
    assert_eq!(status(&store, id).await, MessageStatus::Sending);
    let r = store
        .reclaim_expired_leases(policy_by_type, T0 + 600_001)
        .await
        .unwrap();
    assert_eq!(r.requeued, 1);
}

/// Regression (issue 14): an SC that writes TP-RA in national form (`015112345678`), or
/// with a `00` prefix, must still settle the segment sent to `+4915112345678` — before, the
/// report stayed an orphan and the message never became delivered. Another number with the
/// same TP-MR on the same route is not matched by a shorter suffix.
#[tokio::test]
async fn reports_naming_the_recipient_in_national_or_00_form_settle_their_segment() {
    let store = Store::open_memory().await.unwrap();
    for (n, written) in ["015112345678", "004915112345678", "4915112345678"]
        .iter()
        .enumerate()
    {
        let at = T0 + 100 * i64::try_from(n).unwrap();
        let id = one(&store, msg("+4915112345678", 0), at).await;
        let mr = u8::try_from(10 + n).unwrap();
        send(&store, id, "modem:a", &[mr], at + 1).await;
        // A stranger's number sharing only a short tail is never taken for it.
        let stranger = store
            .record_status_report(
                "modem:a",
                mr,
                "45678",
                0,
                DeliveryStatus::Delivered,
                at + 2,
                WINDOW,
            )
            .await
            .unwrap();
        assert_eq!(stranger, None, "{written}: a 5-digit tail matched");
        let report = store
            .record_status_report(
                "modem:a",
                mr,
                written,
                0,
                DeliveryStatus::Delivered,
                at + 3,
                WINDOW,
            )
            .await
            .unwrap();
        assert_eq!(report, Some((id, MessageStatus::Delivered)), "{written}");
    }
}

/// PostgreSQL, two nodes: two stores (nodes `a` and `b`) on one database lease the same
/// queue at the same time. No message is leased twice (`FOR UPDATE SKIP LOCKED`), every
/// message is leased by one of them, and a node's start-up recovery takes back only its
/// own leases — the other node's stay `sending` until they expire.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_on_one_postgres_database_never_lease_a_message_twice() {
    use smsgate::store::{postgres_testing, PgTarget};
    use std::collections::HashSet;
    let Some(server) = postgres_testing::require("store::two_nodes_on_one_postgres_database")
    else {
        return;
    };
    let url = server.new_database();
    let open = |node: &str| {
        let options = StoreOptions {
            durability: Durability::Normal,
            node_id: Some(node.to_string()),
            ..StoreOptions::default()
        };
        Store::open_postgres(PgTarget::for_tests(&url), options)
    };
    // Opened together: one migrates under the advisory lock, the other waits and finds
    // the schema done.
    let (a, b) = tokio::join!(open("a"), open("b"));
    let (a, b) = (a.unwrap(), b.unwrap());
    let messages: Vec<NewMessage> = (0..400)
        .map(|i| msg(&format!("+4915112{i:06}"), 0))
        .collect();
    a.enqueue(NewBatch::default(), messages, T0).await.unwrap();

    let lease_all = |store: Store| {
        tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let leased = store.lease(T0 + 1, 7, LEASE).await.unwrap();
                if leased.is_empty() {
                    return got;
                }
                got.extend(leased.into_iter().map(|m| m.id));
            }
        })
    };
    let (by_a, by_b) = tokio::join!(lease_all(a.clone()), lease_all(b.clone()));
    let (by_a, by_b) = (by_a.unwrap(), by_b.unwrap());
    let set_a: HashSet<MessageId> = by_a.iter().copied().collect();
    let set_b: HashSet<MessageId> = by_b.iter().copied().collect();
    assert_eq!(set_a.len(), by_a.len(), "node a leased a message twice");
    assert!(
        set_a.is_disjoint(&set_b),
        "a message was leased by both nodes"
    );
    assert_eq!(set_a.len() + set_b.len(), 400, "every message leased once");

    // Node a restarts: only its own leases come back.
    let done = a
        .recover(|_| InFlightPolicy::AtLeastOnce, T0 + 2)
        .await
        .unwrap();
    assert_eq!(done.requeued, set_a.len());
    if let Some(id) = by_b.first() {
        assert_eq!(
            b.get(*id).await.unwrap().unwrap().summary.status,
            MessageStatus::Sending,
            "b's lease is b's until it expires"
        );
    }
    // b dies: once its leases expire, a takes them back.
    let reclaimed = a
        .reclaim_expired_leases(
            |_| InFlightPolicy::AtLeastOnce,
            T0 + 1 + i64::try_from(LEASE.as_millis()).unwrap() + 1,
        )
        .await
        .unwrap();
    assert_eq!(reclaimed.requeued, set_b.len());
}

/// PostgreSQL over TLS, as a managed database needs: with `sslmode=require` and the CA of
/// the server's certificate (`[storage] ssl_root_cert`) the session is encrypted (the
/// server's `pg_stat_ssl` says so) and the store works; against the system's roots the same
/// self-signed certificate is refused — never a silent fallback to clear text; with
/// `sslmode=disable` the session is clear.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_reaches_postgres_over_verified_tls() {
    use smsgate::config::{StorageBackend, StorageConfig};
    use smsgate::daemon::storage::postgres_target;
    use smsgate::store::postgres_testing;
    let Some((server, ca)) =
        postgres_testing::require_private_tls("store::a_node_reaches_postgres_over_verified_tls")
    else {
        return;
    };
    let url = server.new_database();
    let db = url.rsplit('/').next().unwrap().to_string();
    let storage = |mode: &str, ca: Option<std::path::PathBuf>| StorageConfig {
        backend: StorageBackend::Postgres,
        url: Some(format!("{url}?sslmode={mode}")),
        ssl_root_cert: ca,
        node_id: Some(format!("tls-{mode}")),
        ..StorageConfig::default()
    };
    let open = |storage: StorageConfig| async move {
        let options = StoreOptions {
            durability: Durability::Normal,
            node_id: storage.node_id.clone(),
            ..StoreOptions::default()
        };
        Store::open_postgres(postgres_target(&storage)?, options).await
    };
    let sessions = |name: &str, ssl: bool| -> u32 {
        server
            .psql(
                &db,
                &format!(
                    "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
                     WHERE a.application_name = 'smsgate {name}' AND s.ssl = {ssl}"
                ),
            )
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };

    let store = open(storage("require", Some(ca.clone()))).await.unwrap();
    let accepted = store
        .enqueue(NewBatch::default(), vec![msg("+4915112000001", 0)], T0)
        .await
        .unwrap();
    assert_eq!(accepted.ids.len(), 1);
    assert!(sessions("tls-require", true) >= 1, "no TLS session");
    assert_eq!(sessions("tls-require", false), 0, "a session in clear text");

    let refused = open(storage("require", None)).await.unwrap_err();
    assert!(
        refused.to_string().contains("certificate"),
        "an unknown certificate must be refused: {refused}"
    );

    let clear = open(storage("disable", None)).await.unwrap();
    assert_eq!(clear.list(ListFilter::default()).await.unwrap().len(), 1);
    assert!(sessions("tls-disable", false) >= 1);
}
