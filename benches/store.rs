//! Criterion benchmarks of the store (results in docs/benchmarks.md, "Store"):
//! - `enqueue_10k_one_call` — one `enqueue` of 10,000 one-segment messages into a new
//!   database (`Durability::Full`);
//! - `enqueue_single_concurrent` — 2,048 single-message `enqueue` calls from 256 concurrent
//!   tasks (`Durability::Full`, group commit);
//! - `lease_100_of_100k` — `lease(100)` with 100,000 messages queued (after each lease the
//!   100 are given back with `record_retry`, untimed).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use smsgate::message::{MessageType, SmsType};
use smsgate::store::{NewBatch, NewMessage, OutboundSegment, Store, StoreOptions};
use std::time::{Duration, Instant};

const T0: i64 = 1_700_000_000_000;

fn message(i: usize) -> NewMessage {
    NewMessage {
        recipient: format!("+4915{i:09}"),
        body: "Your parcel 4711 is out for delivery today between 10:00 and 12:00.".into(),
        message_type: MessageType::Text,
        sms_type: SmsType::Transactional,
        encoding: "gsm7".into(),
        priority: i32::try_from(i % 3).unwrap(),
        schedule_at: None,
        expire_at: None,
        provider: None,
        custom_id: None,
        recipient_name: None,
        segments: vec![OutboundSegment {
            seq: 1,
            pdu_hex: "0011000D91945111325476F80000AA0CC8329BFD06DDDF723619".into(),
            tpdu_length: 25,
        }],
        redacted_body: None,
        reply: None,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn enqueue_10k_one_call(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("store");
    group.sample_size(10);
    group.throughput(Throughput::Elements(10_000));
    let messages: Vec<NewMessage> = (0..10_000).map(message).collect();
    group.bench_function("enqueue_10k_one_call", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let dir = tempfile::tempdir().unwrap();
                let batch = messages.clone();
                total += rt.block_on(async {
                    let store = Store::open(&dir.path().join("b.db"), StoreOptions::default())
                        .await
                        .unwrap();
                    let start = Instant::now();
                    store.enqueue(NewBatch::default(), batch, T0).await.unwrap();
                    start.elapsed()
                });
            }
            total
        });
    });
    group.finish();
}

fn enqueue_single_concurrent(c: &mut Criterion) {
    const TASKS: usize = 256;
    const PER_TASK: usize = 8;
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let store = rt
        .block_on(Store::open(
            &dir.path().join("c.db"),
            StoreOptions::default(),
        ))
        .unwrap();
    let mut group = c.benchmark_group("store");
    group.sample_size(10);
    group.throughput(Throughput::Elements((TASKS * PER_TASK) as u64));
    group.bench_function("enqueue_single_concurrent", |b| {
        b.iter(|| {
            let store = store.clone();
            rt.block_on(async move {
                let mut tasks = tokio::task::JoinSet::new();
                for t in 0..TASKS {
                    let store = store.clone();
                    tasks.spawn(async move {
                        for i in 0..PER_TASK {
                            store
                                .enqueue(NewBatch::default(), vec![message(t * PER_TASK + i)], T0)
                                .await
                                .unwrap();
                        }
                    });
                }
                while let Some(done) = tasks.join_next().await {
                    done.unwrap();
                }
            })
        });
    });
    group.finish();
}

fn lease_100_of_100k(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let store = rt.block_on(async {
        let store = Store::open(&dir.path().join("l.db"), StoreOptions::default())
            .await
            .unwrap();
        for chunk in 0..10 {
            let messages = (chunk * 10_000..(chunk + 1) * 10_000)
                .map(message)
                .collect();
            store
                .enqueue(NewBatch::default(), messages, T0)
                .await
                .unwrap();
        }
        store
    });
    let mut group = c.benchmark_group("store");
    group.sample_size(20);
    group.throughput(Throughput::Elements(100));
    let mut now = T0;
    group.bench_function("lease_100_of_100k", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                now += 1;
                total += rt.block_on(async {
                    let start = Instant::now();
                    let leased = store
                        .lease(now, 100, Duration::from_secs(60))
                        .await
                        .unwrap();
                    let took = start.elapsed();
                    assert_eq!(leased.len(), 100);
                    // Give them back (untimed), as one group commit.
                    let mut back = tokio::task::JoinSet::new();
                    for l in leased {
                        let store = store.clone();
                        back.spawn(async move {
                            store
                                .record_retry(l.id, None, "bench", now, now)
                                .await
                                .unwrap();
                        });
                    }
                    while let Some(done) = back.join_next().await {
                        done.unwrap();
                    }
                    took
                });
            }
            total
        });
    });
    group.finish();
}

criterion_group!(
    benches,
    enqueue_10k_one_call,
    enqueue_single_concurrent,
    lease_100_of_100k
);
criterion_main!(benches);
