//! Experiment: do the later stages of `train --tune` (other weighting, minimum count,
//! constructed weight, verb folding, n-grams) converge faster from the weights of the
//! fold's model with the current settings, term by term, than from zero?
//!
//! `cargo run --release --example warm_stages`

use std::time::Instant;

use demarche::analyze::Weighting;
use demarche::dataset::{Dataset, Record};
use demarche::train::cv::{cv_folds, fold_sides};
use demarche::train::{fit_sparse, train, Prepared, TrainConfig, SEARCH_GRADIENT_TOLERANCE};
use demarche::Label;

const K: usize = Label::COUNT;

fn main() -> anyhow::Result<()> {
    let data = Dataset::load(&["data/train"])?;
    let records: Vec<&Record> = data.records().collect();
    let folds = cv_folds(&records, 5)?;
    let (_, train_side) = fold_sides(&records, &folds, 0);
    let base = TrainConfig {
        gradient_tolerance: SEARCH_GRADIENT_TOLERANCE,
        ..TrainConfig::default()
    };
    let start = train(&base, &train_side, &[])?;
    let variants: Vec<(&str, TrainConfig)> = vec![
        ("binary", {
            let mut c = base.clone();
            c.features.weighting = Weighting::Binary;
            c
        }),
        ("min count 2", {
            let mut c = base.clone();
            c.features.min_count = 2;
            c
        }),
        (
            "constructed 0.3",
            TrainConfig {
                constructed_weight: 0.3,
                ..base.clone()
            },
        ),
        (
            "no verb folding",
            TrainConfig {
                fold_verbs: false,
                ..base.clone()
            },
        ),
        ("unigrams", {
            let mut c = base.clone();
            c.features.ngrams = 1;
            c
        }),
    ];
    for (name, config) in variants {
        let prepared = Prepared::new(&config, &train_side)?;
        let mut warm = vec![0.0; (prepared.space.len() + 1) * K];
        for (id, term) in prepared.space.terms().iter().enumerate() {
            if let Some(old) = start.space().id(term) {
                warm[id * K..(id + 1) * K].copy_from_slice(start.weights_of(old));
            }
        }
        let mut intercepts = *start.intercepts();
        intercepts[Label::NoClaim.index()] -= start.training().none_bias;
        warm[prepared.space.len() * K..].copy_from_slice(&intercepts);
        for (how, w) in [("cold", None), ("warm", Some(warm))] {
            let t = Instant::now();
            let fitted = fit_sparse(
                &config,
                &prepared.rows,
                prepared.space.len(),
                &prepared.labels,
                &prepared.weights,
                w,
            )?;
            println!(
                "{name:16} {how}: {} iterations, {:.2} s, objective {:.6}",
                fitted.2.iterations,
                t.elapsed().as_secs_f64(),
                fitted.2.objective
            );
        }
    }
    Ok(())
}
