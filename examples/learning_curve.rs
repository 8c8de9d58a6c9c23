//! Would more annotated news help? The real-news learning curve of the defaults:
//! grouped 5-fold cross-validation over the real training articles, each fold's model
//! trained on the constructed data and a growing share of the other folds' real
//! articles (an eighth, a quarter, a half, all), every share scored on the same
//! held-out sentences. The shares are nested: a seeded shuffle of the articles, cut
//! at each share. For reporting only, the real test macro-F1 of a model trained on
//! the same share of all of `data/train`.
//!
//! `cargo run --release --example learning_curve [-- SHARE…]` (shares as fractions,
//! default `0.125 0.25 0.5 1`); about two and a half minutes on two cores.

use std::collections::{BTreeSet, HashSet};

use demarche::dataset::{Dataset, Record};
use demarche::eval::baseline::{predict_all, score};
use demarche::model::Prediction;
use demarche::train::cv::{cv_folds, fold_sides, is_real, run_parallel};
use demarche::train::tune::{best_none_bias, natural_mix, shift_none};
use demarche::train::{train, TrainConfig};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The shuffle's seed: the same articles in every share, on every run.
const SEED: u64 = 20261201;
const FOLDS: usize = 5;

/// The records of `records` that are not real news, or whose article is in `kept`.
fn keep<'r>(records: &[&'r Record], kept: &HashSet<&str>) -> Vec<&'r Record> {
    records
        .iter()
        .copied()
        .filter(|r| !is_real(r) || kept.contains(r.group()))
        .collect()
}

fn main() -> anyhow::Result<()> {
    let shares: Vec<f64> = {
        let given: Vec<f64> = std::env::args()
            .skip(1)
            .map(|a| a.parse::<f64>())
            .collect::<Result<_, _>>()?;
        if given.is_empty() {
            vec![0.125, 0.25, 0.5, 1.0]
        } else {
            given
        }
    };
    anyhow::ensure!(
        shares.iter().all(|&s| s > 0.0 && s <= 1.0),
        "a share is a fraction in (0, 1]"
    );
    let train_data = Dataset::load(&["data/train"])?;
    let test_data = Dataset::load(&["data/test/real"])?;
    let all: Vec<&Record> = train_data.records().collect();
    let test: Vec<&Record> = test_data.records().collect();
    let config = TrainConfig {
        none_bias: 0.0,
        ..TrainConfig::default()
    };
    let folds = cv_folds(&all, FOLDS)?;
    let mut articles: Vec<&str> = all
        .iter()
        .filter(|r| is_real(r))
        .map(|r| r.group())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    articles.shuffle(&mut ChaCha8Rng::seed_from_u64(SEED));
    println!("| share of real training articles | real articles | real sentences in a fold's training (mean) | real CV macro-F1, whole articles, their best none bias | real CV macro-F1, every real sentence, its best bias | real test macro-F1 (all of data/train at that share, bias from CV) |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for share in shares {
        let n = ((articles.len() as f64 * share).round() as usize).max(1);
        let kept: HashSet<&str> = articles[..n].iter().copied().collect();
        let outputs = run_parallel(FOLDS, 2, |f| {
            let (held_out, training) = fold_sides(&all, &folds, f);
            let training = keep(&training, &kept);
            let held: Vec<&Record> = held_out.iter().map(|&i| all[i]).collect();
            let model = train(&config, &training, &[])?;
            let predictions = predict_all(&mut model.classifier(), &held);
            let real_trained = training.iter().filter(|r| is_real(r)).count();
            Ok((held_out, predictions, real_trained))
        })?;
        let mut scored: Vec<(usize, Prediction)> = Vec::new();
        let mut real_trained = 0;
        for (held_out, predictions, real) in outputs {
            scored.extend(held_out.into_iter().zip(predictions));
            real_trained += real;
        }
        scored.sort_by_key(|(i, _)| *i);
        let records: Vec<&Record> = scored.iter().map(|(i, _)| all[*i]).collect();
        let predictions: Vec<Prediction> = scored.iter().map(|(_, p)| *p).collect();
        let (every_bias, every_f1) = best_none_bias(&records, &predictions);
        let (natural_records, natural_predictions) = natural_mix(records, predictions);
        let (bias, natural_f1) = best_none_bias(&natural_records, &natural_predictions);
        let model = train(&config, &keep(&all, &kept), &[])?;
        let test_predictions: Vec<Prediction> = predict_all(&mut model.classifier(), &test)
            .iter()
            .map(|p| shift_none(p, bias))
            .collect();
        let test_f1 = score(&test, &test_predictions).macro_f1;
        eprintln!("share {share}: {n} articles; whole articles {natural_f1} (bias {bias}); every real sentence {every_f1} (bias {every_bias}); test {test_f1}");
        println!(
            "| {share} | {n} | {} | {natural_f1:.3} (bias {bias}) | {every_f1:.3} (bias {every_bias}) | {test_f1:.3} |",
            real_trained / FOLDS
        );
    }
    Ok(())
}
