//! Throughput of the protocol core, next to the primitives it is built on so
//! that the figures can be compared with what this machine can do at best.

#![allow(clippy::expect_used, missing_docs)] // fixtures are built in-process; criterion macros

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use lineup_core::{
    Document, DocumentViewId, Entry, Hash, LogId, Operation, OperationId, PrivateKey, PublishedOperation,
    SchemaId, SeqNum, Value,
};

fn venue_schema() -> SchemaId {
    "venue_0020e19ea020754fb8a34492dcb9a1fc072ad98a64d86a61422393c12d03175b1da1"
        .parse()
        .expect("schema id")
}

fn venue_fields(n: i64) -> BTreeMap<String, Value> {
    BTreeMap::from([
        ("capacity".to_owned(), Value::Int(n)),
        ("is_open".to_owned(), Value::Bool(true)),
        ("name".to_owned(), Value::Str(format!("Stage {n}"))),
        ("rating".to_owned(), Value::Float(4.5)),
    ])
}

fn entries(c: &mut Criterion) {
    let key = PrivateKey::from_bytes(&[1; 32]);
    let payload = Operation::create(venue_schema(), venue_fields(1)).encode();
    let backlink = Hash::of(b"previous entry");
    let skiplink = Hash::of(b"lipmaa entry");
    let seq_num = SeqNum::new(40).expect("non-zero");
    let (_, encoded) =
        Entry::sign(&key, LogId(3), seq_num, Some(skiplink), Some(backlink), &payload).expect("signed");
    let mut group = c.benchmark_group("entry");
    group.throughput(Throughput::Elements(1));
    group.bench_function("decode and verify", |b| {
        b.iter(|| black_box(&encoded).decode().expect("valid"))
    });
    group.bench_function("decode without signature check", |b| {
        b.iter(|| black_box(&encoded).decode_unverified().expect("valid"))
    });
    group.bench_function("sign", |b| {
        b.iter(|| {
            Entry::sign(
                &key,
                LogId(3),
                seq_num,
                Some(skiplink),
                Some(backlink),
                black_box(&payload),
            )
        })
    });
    group.finish();

    // The limits: one ed25519 verification, one BLAKE3 hash of 200 bytes.
    let mut group = c.benchmark_group("baseline");
    group.throughput(Throughput::Elements(1));
    let public = key.public_key();
    let signature = key.sign(encoded.as_bytes());
    group.bench_function("ed25519 verify", |b| {
        b.iter(|| {
            public
                .verify(black_box(encoded.as_bytes()), &signature)
                .expect("valid")
        })
    });
    let bytes = [7u8; 200];
    group.bench_function("blake3 200 bytes", |b| b.iter(|| Hash::of(black_box(&bytes))));
    group.bench_function("ciborium decode to value", |b| {
        b.iter(|| {
            ciborium::de::from_reader::<ciborium::Value, _>(black_box(payload.as_bytes())).expect("cbor")
        })
    });
    group.finish();
}

fn operations(c: &mut Criterion) {
    let create = Operation::create(venue_schema(), venue_fields(7)).encode();
    let update = Operation::update(
        venue_schema(),
        DocumentViewId::from(OperationId(Hash::of(b"a"))),
        BTreeMap::from([("name".to_owned(), Value::Str("Main stage".into()))]),
    )
    .encode();
    let mut group = c.benchmark_group("operation");
    group.throughput(Throughput::Elements(1));
    group.bench_function("decode create", |b| {
        b.iter(|| black_box(&create).decode().expect("valid"))
    });
    group.bench_function("decode update", |b| {
        b.iter(|| black_box(&update).decode().expect("valid"))
    });
    group.bench_function("encode create", |b| {
        let operation = Operation::create(venue_schema(), venue_fields(7));
        b.iter(|| black_box(&operation).encode())
    });
    group.finish();
}

/// A document edited by `writers` people in turn, each update building on the
/// previous one, with every tenth update made concurrently by two writers and
/// merged by the next.
fn document(length: usize, author: &PrivateKey) -> Vec<PublishedOperation> {
    let id = |n: usize| OperationId(Hash::of(&n.to_le_bytes()));
    let mut operations = vec![PublishedOperation {
        id: id(0),
        author: author.public_key(),
        operation: Operation::create(venue_schema(), venue_fields(0)),
    }];
    let mut tips = vec![id(0)];
    let mut n = 1;
    while n < length {
        let previous = DocumentViewId::from_tips(tips.iter().copied()).expect("tips");
        let fork = n % 10 == 0 && n + 1 < length;
        let branches = if fork { 2 } else { 1 };
        tips = (0..branches).map(|branch| id(n + branch)).collect();
        for branch in 0..branches {
            operations.push(PublishedOperation {
                id: id(n + branch),
                author: author.public_key(),
                operation: Operation::update(
                    venue_schema(),
                    previous.clone(),
                    BTreeMap::from([("capacity".to_owned(), Value::Int((n + branch) as i64))]),
                ),
            });
        }
        n += branches;
    }
    operations
}

fn reduction(c: &mut Criterion) {
    let author = PrivateKey::from_bytes(&[2; 32]);
    let mut group = c.benchmark_group("reduce document");
    for length in [10, 10_000] {
        let operations = document(length, &author);
        group.throughput(Throughput::Elements(length as u64));
        group.bench_function(format!("{length} operations"), |b| {
            b.iter_batched(
                || operations.clone(),
                |ops| Document::reduce(&ops).expect("reduces"),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, entries, operations, reduction);
criterion_main!(benches);
