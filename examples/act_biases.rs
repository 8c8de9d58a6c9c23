//! Experiment: does a bias per act, on top of the none bias, raise real-news
//! macro-F1? Cross-fitted: the biases applied to fold f are chosen on the other
//! folds' out-of-fold predictions, so the estimate is not optimistic. The README
//! (*How the settings were chosen*) quotes the "whole articles" figures of the first
//! and third rows; on data 2.7.0 per-act biases were not kept.
//!
//! `cargo run --release --example act_biases`

use demarche::dataset::{whole_articles, Dataset, Record};
use demarche::eval::baseline::score;
use demarche::model::Prediction;
use demarche::train::cv::{cv_folds, out_of_fold};
use demarche::train::tune::{best_none_bias, shift_intercepts};
use demarche::train::TrainConfig;
use demarche::Label;

const FOLDS: usize = 5;
const THREADS: usize = 2;

fn macro_f1(records: &[&Record], predictions: &[Prediction], shifts: &[f64; Label::COUNT]) -> f64 {
    let shifted: Vec<Prediction> = predictions
        .iter()
        .map(|p| shift_intercepts(p, shifts))
        .collect();
    score(records, &shifted).macro_f1
}

/// The none bias as `train --tune` chooses it, then (when `per_act`) a shift of each
/// label's intercept within ±1 of where it started, by coordinate ascent.
fn choose(records: &[&Record], predictions: &[Prediction], per_act: bool) -> [f64; Label::COUNT] {
    let mut shifts = [0.0; Label::COUNT];
    shifts[Label::NoClaim.index()] = best_none_bias(records, predictions).0;
    if per_act {
        let start = shifts;
        let mut best = macro_f1(records, predictions, &shifts);
        for _sweep in 0..2 {
            for l in Label::ALL {
                for step in -8..=8 {
                    let mut trial = shifts;
                    trial[l.index()] = start[l.index()] + f64::from(step) * 0.125;
                    let value = macro_f1(records, predictions, &trial);
                    if value > best + 1e-12 {
                        best = value;
                        shifts = trial;
                    }
                }
            }
        }
    }
    shifts
}

fn main() -> anyhow::Result<()> {
    let data = Dataset::load(&["data/train"])?;
    let records: Vec<&Record> = data.records().collect();
    // No bias in the fits: the shifts chosen here are the whole of it.
    let config = TrainConfig {
        none_bias: 0.0,
        ..TrainConfig::default()
    };
    let folds = cv_folds(&records, FOLDS)?;
    let (scored, predictions) = out_of_fold(&config, &records, FOLDS, THREADS)?;
    let whole = whole_articles(records.iter().copied());
    for (name, per_act, on_whole) in [
        ("none bias on whole articles", false, true),
        ("none bias on all real", false, false),
        ("per-act biases on whole articles", true, true),
        ("per-act biases on all real", true, false),
    ] {
        let (mut all_r, mut all_p) = (Vec::new(), Vec::new());
        let (mut whole_r, mut whole_p) = (Vec::new(), Vec::new());
        for f in 0..FOLDS {
            let pick = |in_fold: bool, only_whole: bool| -> (Vec<&Record>, Vec<Prediction>) {
                scored
                    .iter()
                    .zip(&predictions)
                    .filter(|(&i, _)| (folds[i] == Some(f)) == in_fold)
                    .filter(|(&i, _)| !only_whole || whole.contains(records[i].group()))
                    .map(|(&i, p)| (records[i], *p))
                    .unzip()
            };
            let (fit_r, fit_p) = pick(false, on_whole);
            let shifts = choose(&fit_r, &fit_p, per_act);
            eprintln!("{name}, fold {f}: {shifts:?}");
            let (test_r, test_p) = pick(true, false);
            for (r, p) in test_r.into_iter().zip(&test_p) {
                let shifted = shift_intercepts(p, &shifts);
                if whole.contains(r.group()) {
                    whole_r.push(r);
                    whole_p.push(shifted);
                }
                all_r.push(r);
                all_p.push(shifted);
            }
        }
        let none = [0.0; Label::COUNT];
        println!(
            "{name}: all real {:.4}, whole articles {:.4}",
            macro_f1(&all_r, &all_p, &none),
            macro_f1(&whole_r, &whole_p, &none)
        );
    }
    Ok(())
}
