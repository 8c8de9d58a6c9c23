//! Sentence text → sparse feature vector (normalize, tokenize, stem, look up), next
//! to a reference pass that only finds word boundaries and lowercases.
//!
//! Each corpus is measured twice, once per throughput unit (sentences/s, bytes/s),
//! because a Criterion group reports one unit.

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use demarche::features::{FeatureSpace, SparseVector};
use demarche::train::TrainConfig;

/// The reference: split on anything that is not a letter or a digit and lowercase
/// each word into a reused buffer. Returns the number of words and the bytes of
/// lowercase text, so the work cannot be optimized away.
fn words_lowercase(sentence: &str, word: &mut String) -> (usize, usize) {
    let (mut words, mut bytes) = (0, 0);
    for w in sentence.split(|c: char| !c.is_alphanumeric()) {
        if w.is_empty() {
            continue;
        }
        word.clear();
        if w.is_ascii() {
            word.push_str(w);
            word.make_ascii_lowercase();
        } else {
            w.chars()
                .flat_map(char::to_lowercase)
                .for_each(|c| word.push(c));
        }
        words += 1;
        bytes += word.len();
    }
    (words, bytes)
}

fn bench(c: &mut Criterion) {
    let data = common::dataset();
    let config = TrainConfig::default();
    let space = FeatureSpace::learn(
        &config.analyzer,
        &config.features,
        data.records().map(|r| r.text.as_str()),
    )
    .expect("feature space");
    let corpora = [
        ("seeds", common::seed_sentences()),
        ("news32", common::news_sentences(&data)),
    ];
    for (name, corpus) in &corpora {
        // Expected totals, computed once; the timed loops must find them again.
        let mut featurizer = space.featurizer();
        let mut row = SparseVector::default();
        let features: usize = corpus
            .iter()
            .map(|s| {
                featurizer.featurize(s, &mut row);
                row.len()
            })
            .sum();
        let mut word = String::new();
        let words: (usize, usize) = corpus.iter().fold((0, 0), |acc, s| {
            let (w, b) = words_lowercase(s, &mut word);
            (acc.0 + w, acc.1 + b)
        });
        eprintln!(
            "extraction/{name}: {} sentences, {} bytes, {} words, {} features",
            corpus.len(),
            common::bytes(corpus),
            words.0,
            features
        );
        for (unit, throughput) in [
            ("sentences", Throughput::Elements(corpus.len() as u64)),
            ("bytes", Throughput::Bytes(common::bytes(corpus))),
        ] {
            let mut group = c.benchmark_group(format!("extraction/{name}/{unit}"));
            group.throughput(throughput);
            group.warm_up_time(Duration::from_millis(500));
            group.measurement_time(Duration::from_secs(2));
            group.sample_size(20);
            group.bench_function("featurize", |b| {
                b.iter(|| {
                    let mut total = 0;
                    for s in corpus {
                        featurizer.featurize(black_box(s), &mut row);
                        total += row.len();
                    }
                    assert_eq!(total, features);
                })
            });
            group.bench_function("words_lowercase", |b| {
                b.iter(|| {
                    let mut total = (0, 0);
                    for s in corpus {
                        let (w, n) = words_lowercase(black_box(s), &mut word);
                        total = (total.0 + w, total.1 + n);
                    }
                    assert_eq!(total, words);
                })
            });
            group.finish();
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
