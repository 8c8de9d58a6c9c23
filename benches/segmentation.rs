//! Article text → sentences, in bytes per second, on the seed articles.

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use demarche::segment;

fn bench(c: &mut Criterion) {
    let articles = common::seed_articles();
    let bytes: u64 = articles.iter().map(|(_, t)| t.len() as u64).sum();
    let expected: usize = articles
        .iter()
        .map(|(_, t)| segment::sentences(t).len())
        .sum();
    eprintln!(
        "segmentation: {} articles, {bytes} bytes, {expected} sentences",
        articles.len()
    );
    let mut group = c.benchmark_group("segmentation");
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    group.sample_size(20);
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("seeds", |b| {
        b.iter(|| {
            let mut n = 0;
            for (_, text) in &articles {
                segment::for_each_sentence(black_box(text), |s| {
                    black_box(s);
                    n += 1;
                });
            }
            assert_eq!(n, expected);
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
