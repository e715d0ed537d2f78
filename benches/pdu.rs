//! Criterion benchmarks of the PDU codec: encoding and decoding a single-segment GSM 7-bit
//! message and a three-segment UCS-2 message. Results are recorded in docs/benchmarks.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use smsgate::pdu::{
    build_submits, Address, Payload, PduModePdu, SegmentPlan, SegmentPolicy, SubmitOptions,
};

const GSM7_TEXT: &str =
    "Your parcel 4711 is out for delivery today between 10:00 and 12:00. Reply STOP to opt out.";

fn ucs2_text() -> String {
    // 3 segments of UCS-2 (16-bit references: 66 characters each), with emoji.
    "Привет! Ваш заказ в пути 🚚 — курьер будет с 10:00 до 12:00. ".repeat(3)
}

fn options() -> SubmitOptions {
    SubmitOptions {
        destination: Some(Address::parse("+4915112345678").unwrap()),
        reference: 0x1234,
        ..SubmitOptions::default()
    }
}

fn encode(text: &str) -> Vec<String> {
    let plan = SegmentPlan::new(Payload::Text(text), &SegmentPolicy::default()).unwrap();
    build_submits(&plan, &options())
        .unwrap()
        .into_iter()
        .map(|p| p.hex)
        .collect()
}

fn bench(c: &mut Criterion) {
    let ucs2 = ucs2_text();
    assert_eq!(encode(GSM7_TEXT).len(), 1);
    assert_eq!(encode(&ucs2).len(), 3);

    let mut group = c.benchmark_group("encode");
    group.throughput(Throughput::Elements(1));
    group.bench_function("gsm7_1_segment", |b| {
        b.iter(|| encode(black_box(GSM7_TEXT)))
    });
    group.bench_function("ucs2_3_segments", |b| b.iter(|| encode(black_box(&ucs2))));
    group.finish();

    let gsm7_pdus = encode(GSM7_TEXT);
    let ucs2_pdus = encode(&ucs2);
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(1));
    group.bench_function("gsm7_1_segment", |b| {
        b.iter(|| PduModePdu::decode_hex(black_box(&gsm7_pdus[0])).unwrap())
    });
    group.bench_function("ucs2_3_segments", |b| {
        b.iter(|| {
            for pdu in &ucs2_pdus {
                black_box(PduModePdu::decode_hex(black_box(pdu)).unwrap());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
