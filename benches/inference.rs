//! Feature vector → label and probabilities with demarche's sparse scorer, next to
//! linfa-logistic's dense `predict_probabilities` on the same model and rows; and
//! end to end, sentence text → label, and lines of text → `classify`'s output.

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use demarche::features::SparseVector;
use demarche::stream::{classify_sources, InputFormat, Options, OutputFormat, Source};
use demarche::train::densify;
use demarche::Label;
use ndarray::Array2;

/// Rows given to linfa's dense prediction: enough to average over, few enough that
/// the dense matrix stays small (rows × features × 8 bytes).
const DENSE_ROWS: usize = 1_000;

/// How many sentences got each label: the checksum of the timed loops.
type Histogram = [usize; Label::COUNT];

fn argmax(p: impl Iterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (k, v) in p.enumerate() {
        if v > best.1 {
            best = (k, v);
        }
    }
    best.0
}

fn bench(c: &mut Criterion) {
    let data = common::dataset();
    let model = common::model(&data);
    let linfa = model.to_linfa();
    let n_features = model.space().len();
    let corpora = [
        ("seeds", common::seed_sentences()),
        ("news32", common::news_sentences(&data)),
    ];
    for (name, corpus) in &corpora {
        let mut classifier = model.classifier();
        let rows: Vec<SparseVector> = corpus
            .iter()
            .map(|s| classifier.features(s).clone())
            .collect();
        let mut expected: Histogram = [0; Label::COUNT];
        for row in &rows {
            expected[model.predict_row(row).label.index()] += 1;
        }
        eprintln!(
            "inference/{name}: {} sentences, labels {expected:?}",
            rows.len()
        );

        let mut group = c.benchmark_group(format!("inference/{name}"));
        group.warm_up_time(Duration::from_millis(500));
        group.measurement_time(Duration::from_secs(2));
        group.sample_size(20);
        group.throughput(Throughput::Elements(rows.len() as u64));
        group.bench_function("sparse_predict_row", |b| {
            b.iter(|| {
                let mut seen: Histogram = [0; Label::COUNT];
                for row in &rows {
                    let p = model.predict_row(black_box(row));
                    seen[p.label.index()] += 1;
                    black_box(p.probabilities);
                }
                assert_eq!(seen, expected);
            })
        });
        group.bench_function("end_to_end_label", |b| {
            b.iter(|| {
                let mut seen: Histogram = [0; Label::COUNT];
                for s in corpus {
                    seen[classifier.label(black_box(s)).index()] += 1;
                }
                assert_eq!(seen, expected);
            })
        });
        group.bench_function("end_to_end_predict", |b| {
            b.iter(|| {
                let mut seen: Histogram = [0; Label::COUNT];
                for s in corpus {
                    let p = classifier.predict(black_box(s));
                    seen[p.label.index()] += 1;
                }
                assert_eq!(seen, expected);
            })
        });
        // What `classify --input lines` writes to its output, the default JSONL
        // (prediction, the five strongest features and their words) next to the
        // bare labels, through the same reader and writer on one thread.
        let file = tempfile::NamedTempFile::new().unwrap();
        let lines: Vec<String> = corpus
            .iter()
            .map(|s| s.replace(['\n', '\r'], " "))
            .collect();
        std::fs::write(file.path(), lines.join("\n")).unwrap();
        let sources = [Source::File(file.path().to_path_buf())];
        for (name, output) in [
            ("classify_label", OutputFormat::Label),
            ("classify_jsonl", OutputFormat::Jsonl),
        ] {
            let options = Options {
                input: Some(InputFormat::Lines),
                output,
                threads: 1,
                ..Options::default()
            };
            let mut out = Vec::new();
            group.bench_function(name, |b| {
                b.iter(|| {
                    out.clear();
                    classify_sources(&model, &sources, &options, &mut out).unwrap();
                    let lines = out.iter().filter(|&&b| b == b'\n').count();
                    assert_eq!(lines, corpus.len());
                })
            });
        }

        // linfa-logistic: the same weights, dense rows. A tie in probabilities could
        // in principle pick another label than the sparse scorer; the checksum is
        // therefore taken from linfa's own first pass.
        let dense_rows = &rows[..rows.len().min(DENSE_ROWS)];
        let batch = densify(dense_rows, n_features);
        let mut linfa_expected: Histogram = [0; Label::COUNT];
        for p in linfa.predict_probabilities(&batch).rows() {
            linfa_expected[argmax(p.iter().copied())] += 1;
        }
        group.throughput(Throughput::Elements(dense_rows.len() as u64));
        group.sample_size(10);
        group.bench_function("linfa_dense_one_row", |b| {
            // The naive baseline: each sentence as its own 1 × d dense matrix.
            let mut x = Array2::<f64>::zeros((1, n_features));
            b.iter(|| {
                let mut seen: Histogram = [0; Label::COUNT];
                for row in dense_rows {
                    x.fill(0.0);
                    for (&id, &v) in row.indices.iter().zip(&row.values) {
                        x[[0, id as usize]] = v;
                    }
                    let p = linfa.predict_probabilities(black_box(&x));
                    seen[argmax(p.row(0).iter().copied())] += 1;
                }
                assert_eq!(seen, linfa_expected);
            })
        });
        group.bench_function("linfa_dense_batch", |b| {
            // Batched: one matrix product for all rows, the dense matrix built
            // beforehand (outside the timed loop, in linfa's favour).
            b.iter(|| {
                let p = linfa.predict_probabilities(black_box(&batch));
                let mut seen: Histogram = [0; Label::COUNT];
                for r in p.rows() {
                    seen[argmax(r.iter().copied())] += 1;
                }
                assert_eq!(seen, linfa_expected);
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
