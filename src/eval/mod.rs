//! The evaluation protocol: scoring a model on labeled data, grouped K-fold
//! cross-validation, transfer from constructed sentences to real news, and any
//! system's predictions file; each beside two baselines on the same sentences.
//!
//! By concern:
//!
//! * [`baseline`]: the [`Predictor`] trait that the model and the baselines (majority
//!   label, cue rule) implement, and the one way every system is scored;
//! * [`metrics`]: every figure (see its module docs for the definitions and the
//!   zero-denominator rule: no figure is ever NaN);
//! * [`report`]: the evaluation as one HTML page;
//! * [`agreement`]: agreement between two annotators;
//! * the protocols: here (a saved model, transfer), [`cross_validate`] and
//!   [`evaluate_predictions`].
//!
//! The hyper-parameter search is training's: [`crate::train::tune`](mod@crate::train::tune).
//!
//! # Protocols
//!
//! * **Model**: [`evaluate_model`] scores a saved model on a labeled set.
//! * **Cross-validation**: [`cross_validate`] deals the groups ([`Record::group`]: a
//!   seed article or a constructed topic batch) to K folds with
//!   [`crate::dataset::group_folds`], so that no group is on both sides;
//!   each fold is scored by a model trained on the other K − 1. The report gives the
//!   pooled out-of-fold figures and the mean and sample standard deviation of each
//!   headline figure over the folds.
//! * **Transfer**: [`transfer`] trains on the records whose `source` is
//!   `constructed` and tests on the real-news records (`source` starting with
//!   `seeds/`).
//! * **Predictions**: [`evaluate_predictions`] scores another system's predictions
//!   file ([`read_predictions`]) like the model.

pub mod agreement;
pub mod baseline;
pub mod bootstrap;
mod cv;
pub mod metrics;
mod predictions;
mod provenance;
pub mod report;

pub use baseline::{CueRule, Majority, Predictor};
pub use cv::{cross_validate, cross_validate_with};
pub use predictions::{evaluate_predictions, read_predictions};
pub use provenance::Provenance;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::dataset::{fingerprint, Record};
use crate::error::{Error, Result};
use crate::label::Label;
use crate::model::{Evidence, Model, Prediction};
use crate::train::{train, TrainConfig};

use baseline::{predict_all, score};
use metrics::{Calibration, Report, CALIBRATION_BINS, HEADLINES};

/// One of the model's mistakes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mistake {
    /// Record id.
    pub id: String,
    /// The sentence.
    pub text: String,
    /// Gold label.
    pub gold: Label,
    /// Predicted label.
    pub predicted: Label,
    /// Probability of the predicted label.
    pub probability: f64,
    /// The probability of every label (for the HTML report: how close the gold
    /// label came).
    pub probabilities: BTreeMap<Label, f64>,
    /// The features that pushed towards the predicted label, strongest first (at
    /// most [`EVIDENCE_PER_MISTAKE`]), from the model that made the mistake.
    pub evidence: Vec<Evidence>,
}

/// Evidence features kept per mistake.
pub const EVIDENCE_PER_MISTAKE: usize = 8;

/// One line of the model-vs-baselines comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// `model`, `majority` or `cue_rule`.
    pub system: String,
    /// Accuracy (CV: mean over folds).
    pub accuracy: f64,
    /// Macro-F1 (CV: mean over folds).
    pub macro_f1: f64,
    /// Claim-detection F1 (CV: mean over folds).
    pub claim_f1: f64,
    /// CV only: standard deviation of accuracy over folds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accuracy_std: Option<f64>,
    /// CV only: standard deviation of macro-F1 over folds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub macro_f1_std: Option<f64>,
}

/// Mean and spread of one figure over folds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    /// Mean over folds.
    pub mean: f64,
    /// Sample standard deviation over folds.
    pub std: f64,
}

/// One fold of a cross-validation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoldSummary {
    /// Fold number, from 0.
    pub fold: usize,
    /// Training sentences.
    pub train: usize,
    /// Test sentences.
    pub test: usize,
    /// Test groups.
    pub groups: usize,
    /// Headline figures of each system ([`HEADLINES`] names).
    pub figures: BTreeMap<String, BTreeMap<String, f64>>,
}

/// The cross-validation part of an evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CvSummary {
    /// Number of folds.
    pub k: usize,
    /// Per fold figures.
    pub folds: Vec<FoldSummary>,
    /// System → figure → mean and std over folds.
    pub summary: BTreeMap<String, BTreeMap<String, Spread>>,
}

/// A full evaluation: the model's report (its fields at the top level of the JSON),
/// the baselines' reports, the comparison, and the mistakes asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// `model`, `cv` or `transfer`.
    pub mode: String,
    /// What was trained and tested on.
    pub setup: String,
    /// The model's figures (CV: pooled over the out-of-fold predictions).
    #[serde(flatten)]
    pub report: Report,
    /// Baseline name → its report on the same sentences.
    pub baselines: BTreeMap<String, Report>,
    /// Model vs baselines, headline figures.
    pub comparison: Vec<Comparison>,
    /// Cross-validation details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cv: Option<CvSummary>,
    /// The most confident mistakes, most confident first.
    pub errors: Vec<Mistake>,
    /// Reliability of the model's confidence (CV: pooled out-of-fold predictions).
    pub calibration: Calibration,
    /// How far macro-F1 and claim F1 could move with other articles, for every
    /// system, and the evaluated system's lead over each baseline on the same
    /// resamples; absent when the sentences come from too few articles to resample
    /// ([`bootstrap::MIN_GROUPS`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<bootstrap::Bootstrap>,
    /// Where the model and data came from (HTML report only).
    #[serde(skip)]
    pub provenance: Provenance,
}

/// The systems of every evaluation, in the order of its comparison: the system
/// evaluated, then the baselines.
const SYSTEMS: [&str; 3] = ["model", "majority", "cue_rule"];

/// Every system's predictions for `records`, in [`SYSTEMS`] order: the evaluated
/// system's (given), the majority label's and the cue rule's.
fn with_baselines(
    records: &[&Record],
    evaluated: Vec<Prediction>,
    mut majority: Majority,
) -> [Vec<Prediction>; 3] {
    [
        evaluated,
        predict_all(&mut majority, records),
        predict_all(&mut CueRule::new(), records),
    ]
}

/// Every system's report on `records`, in [`SYSTEMS`] order.
fn reports(records: &[&Record], predictions: &[Vec<Prediction>; 3]) -> [Report; 3] {
    predictions.each_ref().map(|p| score(records, p))
}

/// The `n` most confident mistakes (ties: input order), without evidence (see
/// [`explain_mistakes`]).
pub fn top_mistakes(records: &[&Record], predictions: &[Prediction], n: usize) -> Vec<Mistake> {
    mistake_order(records, predictions, n)
        .into_iter()
        .map(|i| Mistake {
            id: records[i].id.clone(),
            text: records[i].text.clone(),
            gold: records[i].label,
            predicted: predictions[i].label,
            probability: predictions[i].confidence(),
            probabilities: Label::ALL
                .iter()
                .map(|&l| (l, predictions[i].probabilities[l.index()]))
                .collect(),
            evidence: Vec::new(),
        })
        .collect()
}

/// Fills the evidence of `mistakes` from `model` (the model that made them).
pub fn explain_mistakes(model: &Model, mistakes: &mut [Mistake]) {
    let mut classifier = model.classifier();
    for m in mistakes {
        m.evidence = classifier.explain(&m.text, EVIDENCE_PER_MISTAKE).1;
    }
}

/// The calibration of `predictions` against the gold labels of `records`.
pub fn calibration(records: &[&Record], predictions: &[Prediction]) -> Calibration {
    Calibration::compute(
        records
            .iter()
            .zip(predictions)
            .map(|(r, p)| (p.confidence(), p.label == r.label)),
        CALIBRATION_BINS,
    )
}

/// Indices of the `n` most confident mistakes (ties: input order).
fn mistake_order(records: &[&Record], predictions: &[Prediction], n: usize) -> Vec<usize> {
    let mut wrong: Vec<usize> = (0..records.len())
        .filter(|&i| predictions[i].label != records[i].label)
        .collect();
    wrong.sort_by(|&a, &b| {
        predictions[b]
            .confidence()
            .total_cmp(&predictions[a].confidence())
            .then(a.cmp(&b))
    });
    wrong.truncate(n);
    wrong
}

fn comparison(reports: &[Report; 3]) -> Vec<Comparison> {
    SYSTEMS
        .iter()
        .zip(reports)
        .map(|(name, r)| Comparison {
            system: name.to_string(),
            accuracy: r.accuracy,
            macro_f1: r.macro_f1,
            claim_f1: r.claim_detection.f1,
            accuracy_std: None,
            macro_f1_std: None,
        })
        .collect()
}

/// The evaluation of `predictions` (in [`SYSTEMS`] order) of `records`: every
/// system's report, the comparison, the `errors` most confident mistakes of the
/// evaluated system (without their evidence: only its model can explain them), and
/// its calibration, and the bootstrap of every system.
fn assemble(
    mode: &str,
    setup: String,
    records: &[&Record],
    predictions: &[Vec<Prediction>; 3],
    errors: usize,
) -> Evaluation {
    let reports = reports(records, predictions);
    let comparison = comparison(&reports);
    let [model, majority, cue_rule] = reports;
    Evaluation {
        mode: mode.into(),
        setup,
        report: model,
        baselines: [
            ("majority".to_string(), majority),
            ("cue_rule".to_string(), cue_rule),
        ]
        .into_iter()
        .collect(),
        comparison,
        cv: None,
        errors: top_mistakes(records, &predictions[0], errors),
        calibration: calibration(records, &predictions[0]),
        bootstrap: bootstrap::bootstrap(
            records,
            &SYSTEMS
                .iter()
                .zip(predictions)
                .map(|(name, p)| (*name, p.as_slice()))
                .collect::<Vec<_>>(),
            bootstrap::RESAMPLES,
            bootstrap::SEED,
        ),
        provenance: Provenance::default(),
    }
}

/// The evaluation of `model`, trained on other records, on `records`: the majority
/// baseline is its training data's most frequent label; each mistake is explained.
fn evaluate_trained(
    mode: &str,
    setup: impl FnOnce(Label) -> String,
    model: &Model,
    records: &[&Record],
    errors: usize,
) -> Evaluation {
    let majority = Majority::of_model(model);
    let predictions = with_baselines(
        records,
        predict_all(&mut model.classifier(), records),
        majority,
    );
    let mut evaluation = assemble(mode, setup(majority.0), records, &predictions, errors);
    explain_mistakes(model, &mut evaluation.errors);
    evaluation.provenance = Provenance::of_model(model, records);
    evaluation
}

/// Scores a saved model on `records`, with the majority label of its training data
/// and the cue rule as baselines; lists the `errors` most confident mistakes.
pub fn evaluate_model(model: &Model, records: &[&Record], errors: usize) -> Evaluation {
    let sentences = model.training().sentences;
    evaluate_trained(
        "model",
        |majority| {
            format!("saved model (trained on {sentences} sentences; majority label {majority})")
        },
        model,
        records,
        errors,
    )
}

/// Why `records`, read from `files`, look like data `model` was trained on: their
/// fingerprint is the one the model records, or some of the files are (or lie
/// under) files the model names as its training data, resolved from the current
/// directory as `train` was run. `None` when neither: scores on training data
/// measure fit, not accuracy on new text, and must say so.
pub fn training_overlap(model: &Model, records: &[&Record], files: &[PathBuf]) -> Option<String> {
    let training = model.training();
    if !training.data_sha256.is_empty()
        && fingerprint(records.iter().copied()) == training.data_sha256
    {
        return Some(
            "the model was trained on exactly these records (same SHA-256 as recorded in the model)"
                .into(),
        );
    }
    let trained: Vec<PathBuf> = training
        .data_files
        .iter()
        .filter_map(|f| std::fs::canonicalize(f).ok())
        .collect();
    let shared: Vec<String> = files
        .iter()
        .filter(|f| {
            std::fs::canonicalize(f).is_ok_and(|c| trained.iter().any(|t| c.starts_with(t)))
        })
        .map(|f| f.display().to_string())
        .collect();
    if shared.is_empty() {
        return None;
    }
    Some(format!(
        "the model was trained on {} of the {} file(s) scored ({}): these figures measure fit to training data, not accuracy on new text",
        shared.len(),
        files.len(),
        shared.join(", ")
    ))
}

/// True for a record written for the data set.
pub fn is_constructed(record: &Record) -> bool {
    record.source.as_deref() == Some("constructed")
}

/// True for a record taken from a real news article.
pub fn is_seed(record: &Record) -> bool {
    record
        .source
        .as_deref()
        .is_some_and(|s| s.starts_with("seeds/"))
}

/// Trains on the constructed records and scores the model and the baselines on the
/// seed (real-news) records.
pub fn transfer(config: &TrainConfig, records: &[&Record], errors: usize) -> Result<Evaluation> {
    let train_side: Vec<&Record> = records
        .iter()
        .copied()
        .filter(|r| is_constructed(r))
        .collect();
    let test_side: Vec<&Record> = records.iter().copied().filter(|r| is_seed(r)).collect();
    if train_side.is_empty() || test_side.is_empty() {
        return Err(Error::Config(format!(
            "transfer needs records with source \"constructed\" (found {}) and records with a source starting with \"seeds/\" (found {})",
            train_side.len(),
            test_side.len()
        )));
    }
    let model = train(config, &train_side, &[])?;
    Ok(evaluate_trained(
        "transfer",
        |majority| {
            format!(
            "trained on {} constructed sentences, tested on {} seed sentences (majority label {majority})",
            train_side.len(),
            test_side.len()
        )
        },
        &model,
        &test_side,
        errors,
    ))
}

impl Evaluation {
    /// The readable report.
    pub fn to_table(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!("{}: {}\n\n", self.mode, self.setup));
        s.push_str(&self.report.to_table());
        s.push('\n');
        let cv = self.cv.is_some();
        s.push_str(&format!(
            "{:<10} {:>17} {:>17} {:>9}\n",
            "system", "accuracy", "macro-F1", "claim F1"
        ));
        for row in &self.comparison {
            let cell = |v: f64, sd: Option<f64>| match sd {
                Some(sd) if cv => format!("{v:.4} ± {sd:.4}"),
                _ => format!("{v:.4}"),
            };
            s.push_str(&format!(
                "{:<10} {:>17} {:>17} {:>9.4}\n",
                row.system,
                cell(row.accuracy, row.accuracy_std),
                cell(row.macro_f1, row.macro_f1_std),
                row.claim_f1
            ));
        }
        if let Some(b) = &self.bootstrap {
            s.push('\n');
            s.push_str(&b.to_table());
        }
        if let Some(cv) = &self.cv {
            s.push_str(&format!("\nmodel, per fold ({} folds):\n", cv.k));
            s.push_str(&format!(
                "{:<5} {:>6} {:>6} {:>7} {:>9} {:>9}\n",
                "fold", "train", "test", "groups", "accuracy", "macro-F1"
            ));
            for f in &cv.folds {
                let m = &f.figures["model"];
                s.push_str(&format!(
                    "{:<5} {:>6} {:>6} {:>7} {:>9.4} {:>9.4}\n",
                    f.fold, f.train, f.test, f.groups, m["accuracy"], m["macro_f1"]
                ));
            }
            if let Some(model) = cv.summary.get("model") {
                s.push_str("mean ± std over folds:");
                for h in HEADLINES {
                    let sp = model[h];
                    s.push_str(&format!(" {h} {:.4} ± {:.4};", sp.mean, sp.std));
                }
                s.pop();
                s.push('\n');
            }
        }
        if !self.errors.is_empty() {
            s.push_str(&format!(
                "\n{} most confident mistakes:\n",
                self.errors.len()
            ));
            for m in &self.errors {
                s.push_str(&format!(
                    "{:.3}  gold {:<8} predicted {:<8} {}  {}\n",
                    m.probability, m.gold, m.predicted, m.id, m.text
                ));
            }
        }
        s
    }
}
