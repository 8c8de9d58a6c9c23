//! The hyper-parameter search behind `train --tune`.
//!
//! [`tune`] runs a staged search by grouped K-fold CV macro-F1 (the mean over folds,
//! folds from [`cv_folds`]): first the L2 strength over its grid (with the other
//! settings as given), then, one at a time, n-grams, weighting, minimum count, the
//! weight of constructed sentences and verb folding. A setting other than the current
//! one is adopted only if it pays: it must raise the CV macro-F1 by at least
//! [`MIN_GAIN`]. Ties and smaller gains keep the current choice, so the search is
//! deterministic and favours the given defaults. When the best L2 is the smallest
//! (largest) of the grid, the search steps beyond it, ÷ 3 (× 3) at a time, at most
//! [`EDGE_STEPS`] times, while the score improves.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::json;

use crate::analyze::Weighting;
use crate::dataset::{whole_articles, Record};
use crate::error::{Error, Result};
use crate::eval::baseline::{predict_all, score};
use crate::eval::metrics::mean_std;
use crate::label::Label;
use crate::model::Prediction;
use crate::train::TrainConfig;

use super::cv::{cv_folds, fold_sides, run_fold, run_parallel, Progress};

/// How many steps (× or ÷ 3) tuning takes beyond the L2 grid when its best value is
/// on an edge.
pub const EDGE_STEPS: usize = 1;

/// `x` rounded to one significant digit (0.03 / 3 → 0.01, 3 × 3 → 9).
fn round_to_one_digit(x: f64) -> f64 {
    format!("{x:.0e}").parse().unwrap_or(x)
}

/// The smallest rise of CV macro-F1 for which tuning adopts another setting.
pub const MIN_GAIN: f64 = 0.005;

/// A prediction with `bias` added to the log-odds of `none`: what the model predicts
/// once its `none` intercept is shifted by `bias`.
pub fn shift_none(prediction: &Prediction, bias: f64) -> Prediction {
    let mut shifts = [0.0; Label::COUNT];
    shifts[Label::NoClaim.index()] = bias;
    shift_intercepts(prediction, &shifts)
}

/// A prediction with `shifts[l]` added to the log-odds of each label `l`: what the
/// model predicts once its intercepts are shifted so.
pub fn shift_intercepts(prediction: &Prediction, shifts: &[f64; Label::COUNT]) -> Prediction {
    let mut logits = prediction
        .probabilities
        .map(|p| p.max(f64::MIN_POSITIVE).ln());
    for (logit, shift) in logits.iter_mut().zip(shifts) {
        *logit += shift;
    }
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = logits.iter().map(|l| (l - max).exp()).sum();
    let probabilities = logits.map(|l| (l - max).exp() / sum);
    let mut label = Label::ALL[0];
    for l in Label::ALL {
        if probabilities[l.index()] > probabilities[label.index()] {
            label = l;
        }
    }
    Prediction {
        label,
        probabilities,
    }
}

/// Candidate shifts of the `none` intercept tried by [`best_none_bias`].
pub const NONE_BIAS_GRID: [f64; 13] = [
    -3.0, -2.5, -2.0, -1.5, -1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0, 1.5,
];

/// The shift of the `none` intercept that maximizes macro-F1 of `predictions` on
/// `records` (ties: the smallest shift in absolute value), and that macro-F1. Shifting
/// an intercept moves every prediction the same way in log-odds, so out-of-fold
/// predictions can be re-scored without refitting.
pub fn best_none_bias(records: &[&Record], predictions: &[Prediction]) -> (f64, f64) {
    let mut best = (0.0, f64::NEG_INFINITY);
    let mut grid = NONE_BIAS_GRID;
    grid.sort_by(|a, b| a.abs().total_cmp(&b.abs()).then(a.total_cmp(b)));
    for bias in grid {
        let shifted: Vec<Prediction> = predictions.iter().map(|p| shift_none(p, bias)).collect();
        let f1 = score(records, &shifted).macro_f1;
        if f1 > best.1 {
            best = (bias, f1);
        }
    }
    best
}

/// The sentences of whole articles among `records` and their predictions, when they
/// hold every label; otherwise all of them. The none bias corrects the prior of the
/// training mix for real news, so it is estimated where the labels have the mix of
/// real news: the sentences chosen for annotation (by cue words or a model) are a
/// third acts, whole articles a twentieth.
pub fn natural_mix(
    records: Vec<&Record>,
    predictions: Vec<Prediction>,
) -> (Vec<&Record>, Vec<Prediction>) {
    let whole = whole_articles(records.iter().copied());
    let (natural, natural_predictions): (Vec<&Record>, Vec<Prediction>) = records
        .iter()
        .zip(&predictions)
        .filter(|(r, _)| whole.contains(r.group()))
        .map(|(r, p)| (*r, *p))
        .unzip();
    let every_label = Label::ALL
        .iter()
        .all(|&l| natural.iter().any(|r| r.label == l));
    if every_label {
        (natural, natural_predictions)
    } else {
        (records, predictions)
    }
}

/// The values tried by [`tune`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TuneGrid {
    /// L2 strengths, searched first.
    pub l2: Vec<f64>,
    /// N-gram orders.
    pub ngrams: Vec<u8>,
    /// Feature weightings.
    pub weighting: Vec<Weighting>,
    /// Minimum counts.
    pub min_count: Vec<usize>,
    /// Weights of constructed sentences.
    pub constructed_weight: Vec<f64>,
    /// Verb folding off and on.
    pub fold_verbs: Vec<bool>,
    /// Whether to choose a none bias ([`best_none_bias`]).
    pub tune_none_bias: bool,
    /// The gradient tolerance of the cross-validation fits (the configured one when
    /// that is looser). The search compares out-of-fold predictions, which settle long
    /// before the weights do; the model the search chooses is fitted to the configured
    /// tolerance. See [`SEARCH_GRADIENT_TOLERANCE`].
    pub gradient_tolerance: f64,
}

/// The default gradient tolerance of the search's fits. On data 2.10.0 (`cargo run
/// --release --example tune_tolerance`), stopping the defaults' five fold fits at a
/// gradient norm of 0.1 instead of linfa's 1e-4 took 9.2 s instead of 19.8 s, changed
/// 36 of 37,945 out-of-fold labels and no probability by more than 0.032, and moved the
/// pooled CV macro-F1 by 0.0002, a 25th of [`MIN_GAIN`].
pub const SEARCH_GRADIENT_TOLERANCE: f64 = 0.1;

/// L2 0.01 to 1 (on the project's data 3 scored far below and the best sat at the
/// low end), n-grams 1 and 2, binary and tf-idf, min count 1 to 3: 9 candidates
/// (10 when the best L2 is on an edge), 45 to 50 fits with 5 folds.
impl Default for TuneGrid {
    fn default() -> Self {
        TuneGrid {
            l2: vec![0.01, 0.03, 0.1, 0.3, 1.0],
            ngrams: vec![1, 2],
            weighting: vec![Weighting::Binary, Weighting::Tfidf],
            min_count: vec![1, 2, 3],
            constructed_weight: vec![1.0, 0.3],
            fold_verbs: vec![false, true],
            tune_none_bias: true,
            gradient_tolerance: SEARCH_GRADIENT_TOLERANCE,
        }
    }
}

/// One candidate of a tuning run and its CV score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// The search stage that tried it.
    pub stage: String,
    /// L2 strength.
    pub l2: f64,
    /// N-gram order.
    pub ngrams: u8,
    /// Weighting.
    pub weighting: Weighting,
    /// Minimum count.
    pub min_count: usize,
    /// Weight of constructed sentences.
    pub constructed_weight: f64,
    /// Verb folding.
    pub fold_verbs: bool,
    /// The none bias it was judged with (chosen on its pooled out-of-fold predictions).
    pub none_bias: f64,
    /// The none bias best for the sentences of whole articles among those predictions
    /// ([`natural_mix`]): the one a model with these settings is given, since the bias
    /// corrects the training mix's prior for news as it comes.
    pub natural_none_bias: f64,
    /// Mean macro-F1 over the folds, with that bias.
    pub cv_macro_f1: f64,
    /// Mean macro-F1 over the folds without the bias.
    pub cv_macro_f1_without_bias: f64,
    /// Its sample standard deviation over the folds.
    pub cv_macro_f1_std: f64,
}

/// The outcome of [`tune`].
#[derive(Debug, Clone, PartialEq)]
pub struct Tuning {
    /// The winning configuration.
    pub config: TrainConfig,
    /// Its CV macro-F1 (mean over folds, with its none bias).
    pub cv_macro_f1: f64,
    /// Every candidate tried, in order.
    pub candidates: Vec<Candidate>,
    /// Number of folds.
    pub k: usize,
    /// The grid.
    pub grid: TuneGrid,
}

impl Tuning {
    /// The record of the search kept in the model file (no timings, so that the
    /// file stays reproducible).
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "method": format!("staged search by grouped {}-fold cross-validation (folds over real-news articles when the data has some, scored on them): fits stopped at the grid's gradient_tolerance (the configured one when looser), the chosen model refitted at the configured one; l2 first (a warm-started path per fold; stepping beyond the grid, ×/÷ 3 up to {EDGE_STEPS} times, when the best is on its edge), then ngrams, weighting, min_count, constructed_weight, fold_verbs one at a time, each adopted only if it raises the mean macro-F1 by at least {MIN_GAIN}; every candidate judged with the none bias that is best on its pooled out-of-fold predictions", self.k),
            "metric": "macro_f1 (mean over folds)",
            "folds": self.k,
            "min_gain": MIN_GAIN,
            "grid": self.grid,
            "candidates": self.candidates,
            "chosen": {
                "l2": self.config.l2,
                "ngrams": self.config.features.ngrams,
                "weighting": self.config.features.weighting,
                "min_count": self.config.features.min_count,
                "constructed_weight": self.config.constructed_weight,
                "fold_verbs": self.config.fold_verbs,
                "none_bias": self.config.none_bias,
            },
            "cv_macro_f1": self.cv_macro_f1,
        })
    }
}

type Key = (u64, u8, bool, usize, u64, bool);

fn key(c: &TrainConfig) -> Key {
    (
        c.l2.to_bits(),
        c.features.ngrams,
        c.features.weighting == Weighting::Tfidf,
        c.features.min_count,
        c.constructed_weight.to_bits(),
        c.fold_verbs,
    )
}

/// Picks L2 strength, n-grams, weighting, minimum count, the weight of constructed
/// sentences, verb folding and the `none` bias by grouped K-fold CV macro-F1 on
/// `records` (on real news when there is some: [`cv_folds`]), starting from `base`
/// (see the module docs). Runs the fits on up to `threads` threads; `progress` hears
/// of each fit and each candidate.
pub fn tune(
    base: &TrainConfig,
    records: &[&Record],
    grid: &TuneGrid,
    k: usize,
    threads: usize,
    progress: &dyn Progress,
) -> Result<Tuning> {
    base.validate()?;
    if grid.l2.is_empty() {
        return Err(Error::Config("the tuning grid has no L2 value".into()));
    }
    if !(grid.gradient_tolerance.is_finite() && grid.gradient_tolerance > 0.0) {
        return Err(Error::Config(format!(
            "the search's gradient tolerance must be a finite number > 0, not {}",
            super::Setting(grid.gradient_tolerance)
        )));
    }
    let configured_tolerance = base.gradient_tolerance;
    // The record must say where the fold fits really stopped, so a looser configured
    // tolerance replaces the grid's in it too.
    let grid = &TuneGrid {
        gradient_tolerance: grid.gradient_tolerance.max(configured_tolerance),
        ..grid.clone()
    };
    let base = &TrainConfig {
        gradient_tolerance: grid.gradient_tolerance,
        ..base.clone()
    };
    let folds = cv_folds(records, k)?;
    // (held-out fold, training side) of fold `f`.
    let mut seen: HashMap<Key, Candidate> = HashMap::new();
    let mut candidates: Vec<Candidate> = Vec::new();
    // A candidate's score: the mean macro-F1 over the folds, with the none bias that
    // maximizes macro-F1 on its pooled out-of-fold predictions when the bias is tuned
    // (an intercept shift moves every prediction alike, so it needs no refit). Judging
    // every setting with its best bias keeps the search from preferring settings that
    // only move the threshold.
    let judge = |stage: &str,
                 config: &TrainConfig,
                 per_fold: &[(Vec<&Record>, Vec<Prediction>)]| {
        // Settings are compared by the real CV, each with the bias best for every real
        // sentence scored; the bias a model is given is the one best for whole articles.
        let (bias, natural_bias) = if grid.tune_none_bias {
            let test: Vec<&Record> = per_fold.iter().flat_map(|f| f.0.iter().copied()).collect();
            let predictions: Vec<Prediction> =
                per_fold.iter().flat_map(|f| f.1.iter().copied()).collect();
            let judged = best_none_bias(&test, &predictions).0;
            let (natural, natural_predictions) = natural_mix(test, predictions);
            (judged, best_none_bias(&natural, &natural_predictions).0)
        } else {
            (0.0, 0.0)
        };
        let values: Vec<f64> = per_fold
            .iter()
            .map(|(test, predictions)| {
                let shifted: Vec<Prediction> =
                    predictions.iter().map(|p| shift_none(p, bias)).collect();
                score(test, &shifted).macro_f1
            })
            .collect();
        let (mean, std) = mean_std(&values);
        let unshifted: Vec<f64> = per_fold.iter().map(|(t, p)| score(t, p).macro_f1).collect();
        Candidate {
            stage: stage.to_string(),
            l2: config.l2,
            ngrams: config.features.ngrams,
            weighting: config.features.weighting,
            min_count: config.features.min_count,
            constructed_weight: config.constructed_weight,
            fold_verbs: config.fold_verbs,
            // The fits already carry the configured bias; the shift is on top of it.
            none_bias: config.none_bias + bias,
            natural_none_bias: config.none_bias + natural_bias,
            cv_macro_f1: mean,
            cv_macro_f1_std: std,
            cv_macro_f1_without_bias: mean_std(&unshifted).0,
        }
    };
    // Stage 1: L2 over its grid; best mean wins, ties to the earlier grid value. Each
    // fold fits the whole grid as one warm-started path, strongest L2 first, on one
    // vocabulary and feature matrix.
    let l2_configs: Vec<TrainConfig> = grid
        .l2
        .iter()
        .map(|&l2| TrainConfig { l2, ..base.clone() })
        .collect();
    let mut path_order: Vec<usize> = (0..l2_configs.len()).collect();
    path_order.sort_by(|&a, &b| l2_configs[b].l2.total_cmp(&l2_configs[a].l2));
    let path_configs: Vec<TrainConfig> =
        path_order.iter().map(|&i| l2_configs[i].clone()).collect();
    progress.planned(k * path_configs.len());
    type FoldPredictions<'r> = (Vec<&'r Record>, Vec<Prediction>);
    let per_fold: Vec<Vec<FoldPredictions>> = run_parallel(k, threads, |f| {
        let (held_out, train_side) = fold_sides(records, &folds, f);
        let test: Vec<&Record> = held_out.iter().map(|&i| records[i]).collect();
        let models = super::train_path(&path_configs, &train_side)
            .map_err(|e| Error::Training(format!("fold {f}: {e}")))?;
        let mut out: Vec<FoldPredictions> = vec![(Vec::new(), Vec::new()); path_configs.len()];
        for (j, model) in models.iter().enumerate() {
            out[path_order[j]] = (test.clone(), predict_all(&mut model.classifier(), &test));
            progress.fit_done();
        }
        Ok(out)
    })?;
    let mut scored = Vec::new();
    for (i, config) in l2_configs.iter().enumerate() {
        let folds_of: Vec<FoldPredictions> = per_fold.iter().map(|f| f[i].clone()).collect();
        let candidate = judge("l2", config, &folds_of);
        progress.candidate(&candidate);
        candidates.push(candidate.clone());
        seen.insert(key(config), candidate.clone());
        scored.push(candidate);
    }
    // Scores the configurations not seen yet, all their folds in one parallel batch.
    let mut evaluate = |stage: &str, configs: Vec<TrainConfig>| -> Result<Vec<Candidate>> {
        let mut fresh: Vec<TrainConfig> = Vec::new();
        for c in &configs {
            c.validate()?;
            if !seen.contains_key(&key(c)) && !fresh.iter().any(|f| key(f) == key(c)) {
                fresh.push(c.clone());
            }
        }
        progress.planned(fresh.len() * k);
        let outputs = run_parallel(fresh.len() * k, threads, |job| {
            let (c, f) = (job / k, job % k);
            let out = run_fold(&fresh[c], records, &folds, f)?;
            progress.fit_done();
            let test: Vec<&Record> = out.test.iter().map(|&i| records[i]).collect();
            Ok((test, out.predictions))
        })?;
        for (c, config) in fresh.iter().enumerate() {
            let candidate = judge(stage, config, &outputs[c * k..(c + 1) * k]);
            progress.candidate(&candidate);
            candidates.push(candidate.clone());
            seen.insert(key(config), candidate);
        }
        Ok(configs.iter().map(|c| seen[&key(c)].clone()).collect())
    };
    let mut best_index = 0;
    for (i, c) in scored.iter().enumerate() {
        if c.cv_macro_f1 > scored[best_index].cv_macro_f1 {
            best_index = i;
        }
    }
    let mut best = l2_configs[best_index].clone();
    let mut best_score = scored[best_index].cv_macro_f1;
    // A best L2 on the edge of the grid: step beyond it (× or ÷ 3), up to
    // EDGE_STEPS times, while that improves the score.
    let smallest = grid.l2.iter().copied().fold(f64::INFINITY, f64::min);
    let largest = grid.l2.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let direction = if best.l2 == smallest && smallest < largest {
        Some(1.0 / 3.0)
    } else if best.l2 == largest && smallest < largest {
        Some(3.0)
    } else {
        None
    };
    if let Some(factor) = direction {
        for _ in 0..EDGE_STEPS {
            let next = TrainConfig {
                l2: round_to_one_digit(best.l2 * factor),
                ..best.clone()
            };
            let scored = evaluate("l2-edge", vec![next.clone()])?;
            if scored[0].cv_macro_f1 > best_score {
                best = next;
                best_score = scored[0].cv_macro_f1;
            } else {
                break;
            }
        }
    }
    // Stages 2-6: one setting at a time, adopted only if it pays.
    type Setter = fn(&mut TrainConfig, usize, &TuneGrid);
    let stages: [(&str, usize, Setter); 5] = [
        ("ngrams", grid.ngrams.len(), |c, i, g| {
            c.features.ngrams = g.ngrams[i]
        }),
        ("weighting", grid.weighting.len(), |c, i, g| {
            c.features.weighting = g.weighting[i]
        }),
        ("min_count", grid.min_count.len(), |c, i, g| {
            c.features.min_count = g.min_count[i]
        }),
        (
            "constructed_weight",
            grid.constructed_weight.len(),
            |c, i, g| c.constructed_weight = g.constructed_weight[i],
        ),
        ("fold_verbs", grid.fold_verbs.len(), |c, i, g| {
            c.fold_verbs = g.fold_verbs[i]
        }),
    ];
    for (stage, n, set) in stages {
        let configs: Vec<TrainConfig> = (0..n)
            .map(|i| {
                let mut c = best.clone();
                set(&mut c, i, grid);
                c
            })
            .collect();
        let scored = evaluate(stage, configs.clone())?;
        let mut winner: Option<usize> = None;
        for (i, c) in scored.iter().enumerate() {
            let target = winner.map_or(best_score, |w| scored[w].cv_macro_f1);
            if key(&configs[i]) != key(&best) && c.cv_macro_f1 >= target + MIN_GAIN {
                winner = Some(i);
            }
        }
        if let Some(w) = winner {
            best = configs[w].clone();
            best_score = scored[w].cv_macro_f1;
        }
    }
    // The winner gets the none bias best for whole articles, the mix of news; its
    // tolerance goes back to the configured one, so that the model the search chooses
    // is the model a plain `train` with those settings writes.
    best.none_bias = seen[&key(&best)].natural_none_bias;
    best.gradient_tolerance = configured_tolerance;
    Ok(Tuning {
        config: best,
        cv_macro_f1: best_score,
        candidates,
        k,
        grid: grid.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_steps_round_to_one_digit() {
        assert_eq!(round_to_one_digit(0.03 / 3.0), 0.01);
        assert_eq!(round_to_one_digit(0.01 / 3.0), 0.003);
        assert_eq!(round_to_one_digit(3.0 * 3.0), 9.0);
        assert_eq!(round_to_one_digit(9.0 * 3.0), 30.0);
    }

    fn record(id: &str, label: Label, pool: &str) -> Record {
        Record {
            pool: Some(pool.to_string()),
            ..Record::new(id, "texte", label)
        }
    }

    fn certain(label: Label) -> Prediction {
        let mut probabilities = [0.0; Label::COUNT];
        probabilities[label.index()] = 1.0;
        Prediction {
            label,
            probabilities,
        }
    }

    /// The bias is estimated on whole articles, every sentence of an article a `whole`
    /// pool completed included, when they hold every label; otherwise on everything.
    #[test]
    fn the_natural_mix_is_the_sentences_of_whole_articles() {
        let mut records = vec![
            record("os-1-000", Label::Demand, "cue"),
            record("os-2-000", Label::Refusal, "predicted"),
        ];
        for (i, label) in Label::ALL.into_iter().enumerate() {
            records.push(record(&format!("wn-{i}-000"), label, "natural"));
        }
        records.push(record("os-3-000", Label::Offer, "predicted"));
        records.push(record("os-3-001", Label::NoClaim, "whole"));
        let refs: Vec<&Record> = records.iter().collect();
        let predictions: Vec<Prediction> = refs.iter().map(|r| certain(r.label)).collect();
        let (chosen, chosen_predictions) = natural_mix(refs.clone(), predictions.clone());
        let ids: Vec<&str> = chosen.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            ["wn-0-000", "wn-1-000", "wn-2-000", "wn-3-000", "wn-4-000", "os-3-000", "os-3-001"]
        );
        assert_eq!(chosen_predictions.len(), chosen.len());
        assert_eq!(chosen_predictions[5].label, Label::Offer);
        // Whole articles without a warning: every sentence.
        let without: Vec<&Record> = refs
            .iter()
            .copied()
            .filter(|r| r.id != "wn-2-000")
            .collect();
        let n = without.len();
        let (all, _) = natural_mix(without, vec![certain(Label::NoClaim); n]);
        assert_eq!(all.len(), n);
    }
}
