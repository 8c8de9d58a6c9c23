//! Experiment: how loose may the gradient tolerance of the cross-validation fits be
//! before the out-of-fold predictions, and so the search's scores, move?
//!
//! `cargo run --release --example tune_tolerance`

use std::time::Instant;

use demarche::dataset::{Dataset, Record};
use demarche::model::Prediction;
use demarche::train::cv::out_of_fold;
use demarche::train::tune::{best_none_bias, natural_mix};
use demarche::train::TrainConfig;

const FOLDS: usize = 5;
const THREADS: usize = 2;

fn main() -> anyhow::Result<()> {
    let tolerances = tolerances()?;
    let data = Dataset::load(&["data/train"])?;
    let records: Vec<&Record> = data.records().collect();
    // Labels and probabilities are compared with the first tolerance's.
    let first = tolerances[0];
    let mut reference: Option<Vec<Prediction>> = None;
    for tolerance in tolerances {
        let config = TrainConfig {
            gradient_tolerance: tolerance,
            ..TrainConfig::default()
        };
        let started = Instant::now();
        let (scored, predictions) = out_of_fold(&config, &records, FOLDS, THREADS)?;
        let seconds = started.elapsed().as_secs_f64();
        let held: Vec<&Record> = scored.iter().map(|&i| records[i]).collect();
        let (bias, f1) = best_none_bias(&held, &predictions);
        let (natural, natural_predictions) = natural_mix(held.clone(), predictions.clone());
        let (natural_bias, natural_f1) = best_none_bias(&natural, &natural_predictions);
        let reference = reference.get_or_insert_with(|| predictions.clone());
        let same = reference
            .iter()
            .zip(&predictions)
            .filter(|(a, b)| a.label == b.label)
            .count();
        let max_diff = reference
            .iter()
            .zip(&predictions)
            .flat_map(|(a, b)| {
                a.probabilities
                    .iter()
                    .zip(b.probabilities.iter())
                    .map(|(x, y)| (x - y).abs())
            })
            .fold(0.0, f64::max);
        println!(
            "tolerance {tolerance:e}: {seconds:.1} s; pooled macro-F1 {f1:.4} (bias {bias}), whole articles {natural_f1:.4} (bias {natural_bias}); labels as at {first:e}: {same}/{}; largest probability change {max_diff:.4}",
            predictions.len()
        );
    }
    Ok(())
}

/// The tolerances tried, from the command line, or linfa's and looser ones.
fn tolerances() -> anyhow::Result<Vec<f64>> {
    let given = std::env::args()
        .skip(1)
        .map(|a| {
            a.parse::<f64>()
                .ok()
                .filter(|t| t.is_finite() && *t > 0.0)
                .ok_or_else(|| anyhow::anyhow!("a tolerance must be a number > 0, not {a:?}"))
        })
        .collect::<anyhow::Result<Vec<f64>>>()?;
    Ok(if given.is_empty() {
        vec![1e-4, 1e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0]
    } else {
        given
    })
}
