//! Fits with the default settings (vocabulary, features, sparse L-BFGS) on 2,000,
//! 20,000 and 200,000 sentences resampled from the data set, to show how fitting time
//! grows with the data. Each sample draws sentences with replacement (a fixed seed) and
//! gives them fresh ids, so the vocabulary stays that of the data set while the rows
//! grow. Criterion takes ten samples at least: the 200,000 size takes minutes.
//!
//! `cargo bench --bench training` (or `-- training/fit/2000` for one size)

mod common;

use std::time::Duration;

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use demarche::dataset::{resample, Record};
use demarche::train::{train, TrainConfig};

fn bench(c: &mut Criterion) {
    let data = common::dataset();
    let config = TrainConfig::default();
    let mut group = c.benchmark_group("training");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_millis(100));
    group.measurement_time(Duration::from_secs(20));
    for size in [2_000, 20_000, 200_000] {
        let sample = resample(data.records(), size, 7);
        let refs: Vec<&Record> = sample.iter().collect();
        let model = train(&config, &refs, &[]).expect("fit");
        let features = model.space().len();
        let c = model.training().convergence.clone().expect("sparse fit");
        eprintln!(
            "training: {size} sentences, {features} features, {} iterations, converged {}",
            c.iterations, c.converged
        );
        group.throughput(Throughput::Elements(size as u64));
        group.bench_with_input(BenchmarkId::new("fit", size), &refs, |b, refs| {
            b.iter(|| {
                let model = train(&config, refs, &[]).expect("fit");
                assert_eq!(model.space().len(), features);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
