//! One fit (vocabulary, features, linfa-logistic L-BFGS) with the default settings.
//!
//! Criterion takes at least ten samples; a fit on the whole data set takes tens of
//! seconds, so the timed fit uses every third sentence of the data set, which keeps
//! `cargo bench` within minutes. The whole-data fit is timed by benches/peers.

mod common;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use demarche::dataset::Record;
use demarche::train::{train, TrainConfig};

fn bench(c: &mut Criterion) {
    let data = common::dataset();
    // The fallback fixture is small: fit all of it, so that every label is present.
    let step = if data.len() >= 300 { 3 } else { 1 };
    let sample: Vec<&Record> = data.records().step_by(step).collect();
    let config = TrainConfig::default();
    let features = train(&config, &sample, &[]).expect("fit").space().len();
    eprintln!("training: {} sentences, {features} features", sample.len());
    let mut group = c.benchmark_group("training");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(100));
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(sample.len() as u64));
    group.bench_function("fit_every_third_sentence", |b| {
        b.iter(|| {
            let model = train(&config, &sample, &[]).expect("fit");
            assert_eq!(model.space().len(), features);
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
