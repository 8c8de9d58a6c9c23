//! The evaluation protocol: scoring a model on labeled data, grouped K-fold
//! cross-validation, transfer from constructed sentences to real news, two baselines,
//! and the hyper-parameter search behind `train --tune`.
//!
//! Every figure is computed by [`crate::metrics`] (see its module docs for the
//! definitions and the zero-denominator rule: no figure is ever NaN).
//!
//! # Protocols
//!
//! * **Model**: [`evaluate_model`] scores a saved model on a labeled set.
//! * **Cross-validation**: [`cross_validate`] deals the groups ([`Record::group`]: a
//!   seed article or a constructed topic batch) to K folds with
//!   [`group_folds`], so that no group is on both sides;
//!   each fold is scored by a model trained on the other K − 1. The report gives the
//!   pooled out-of-fold figures and the mean and sample standard deviation of each
//!   headline figure over the folds.
//! * **Transfer**: [`transfer`] trains on the records whose `source` is
//!   `constructed` and tests on the real-news records (`source` starting with
//!   `seeds/`).
//!
//! # Baselines
//!
//! Every report compares the model with two baselines, on the same sentences:
//!
//! * **majority**: always the most frequent label of the training side (the model
//!   file's training counts when scoring a saved model; ties go to the first label in
//!   column order);
//! * **cue rule**: [`CueRule`], the French cue words of [`CUES`], tried label by label
//!   in the order refusal, warning, demand, offer; the first label with a matching cue
//!   wins, and a sentence with no cue is `none`. Refusal comes first because refusals
//!   name what they refuse (« rejette la *demande* », « refuse la *proposition* »),
//!   warning before demand because threats often state a condition.
//!
//! # Tuning
//!
//! [`tune`] runs a staged search by grouped K-fold CV macro-F1 (the mean over folds):
//! first the L2 strength over its grid (with the other settings as given), then, one
//! at a time, n-grams, weighting and minimum count. A setting other than the current
//! one is adopted only if it pays: it must raise the CV macro-F1 by at least
//! [`MIN_GAIN`]. Ties and smaller gains keep the current choice, so the search is
//! deterministic and favours the given defaults. When the best L2 is the smallest
//! (largest) of the grid, the search steps beyond it, ÷ 3 (× 3) at a time, at most
//! [`EDGE_STEPS`] times, while the score improves.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::json;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use crate::analyze::Weighting;
use crate::dataset::{fingerprint, group_folds, label_counts, Record};
use crate::error::{Error, Result};
use crate::label::Label;
use crate::metrics::{mean_std, Calibration, Report, CALIBRATION_BINS, HEADLINES};
use crate::model::{Evidence, Model, Prediction};
use crate::tokenize::Tokenizer;
use crate::train::{train, TrainConfig};

/// French cues per label, in the order they are tried (first match wins).
///
/// Matching is on the tokens of the sentence (see [`crate::tokenize`]: lowercased,
/// elisions split, hyphenated words split) with accents removed. A cue is a sequence
/// of consecutive tokens; a token ending in `*` matches any word it begins, and a
/// token starting with `!` must lie in the scope of a negation (« ne pouvons pas
/// *accepter* »).
pub const CUES: [(Label, &[&str]); 4] = [
    (
        Label::Refusal,
        &[
            "refus*",
            "rejet*",
            "rejett*",
            "declin*",
            "pas question",
            "hors de question",
            "aucun compromis",
            "non negociable*",
            "non recevoir",
            "veto",
            "exclu*",
            "!accept*",
            "!renonc*",
            "!ced*",
            "!recul*",
        ],
    ),
    (
        Label::Warning,
        &[
            "menac*",
            "avert*",
            "mett* en garde",
            "met en garde",
            "mis en garde",
            "mise en garde",
            "consequences",
            "prix eleve",
            "payer* cher",
            "erreur strategique",
            "risque*",
            "danger*",
            "au pire",
            "riposte*",
            "represaill*",
            "alarm*",
        ],
    ),
    (
        Label::Demand,
        &[
            "exig*",
            "demand*",
            "reclam*",
            "appel* a",
            "appel* au",
            "appel* aux",
            "exhort*",
            "insist*",
            "somm* de",
            "enjoin*",
            "doit",
            "doivent",
            "devra",
            "devront",
            "il faut",
            "a condition",
            "sous condition",
        ],
    ),
    (
        Label::Offer,
        &[
            "propos*",
            "offr*",
            "tend* la main",
            "main tendue",
            "pret* a",
            "dispos* a",
            "ouvert* a",
            "sur la table",
            "invit*",
            "cooper*",
        ],
    ),
];

/// How many steps (× or ÷ 3) tuning takes beyond the L2 grid when its best value is
/// on an edge.
pub const EDGE_STEPS: usize = 1;

/// `x` rounded to one significant digit (0.03 / 3 → 0.01, 3 × 3 → 9).
fn round_to_one_digit(x: f64) -> f64 {
    format!("{x:.0e}").parse().unwrap_or(x)
}

/// The smallest rise of CV macro-F1 for which tuning adopts another setting.
pub const MIN_GAIN: f64 = 0.005;

#[derive(Debug, Clone)]
struct CuePart {
    text: String,
    prefix: bool,
    negated: bool,
}

/// The cue-word baseline: see [`CUES`].
#[derive(Debug, Clone)]
pub struct CueRule {
    cues: Vec<(Label, Vec<Vec<CuePart>>)>,
    tokenizer: Tokenizer,
    words: Vec<(String, bool)>,
}

impl Default for CueRule {
    fn default() -> Self {
        CueRule::new()
    }
}

/// Accents removed (the tokenizer has already lowercased the word).
fn fold_accents(word: &str) -> String {
    word.nfd().filter(|c| !is_combining_mark(*c)).collect()
}

impl CueRule {
    /// The rule of [`CUES`].
    pub fn new() -> Self {
        let cues = CUES
            .iter()
            .map(|(label, cues)| {
                let parsed = cues
                    .iter()
                    .map(|cue| {
                        cue.split_whitespace()
                            .map(|part| {
                                let negated = part.starts_with('!');
                                let part = part.trim_start_matches('!');
                                let prefix = part.ends_with('*');
                                CuePart {
                                    text: part.trim_end_matches('*').to_string(),
                                    prefix,
                                    negated,
                                }
                            })
                            .collect()
                    })
                    .collect();
                (*label, parsed)
            })
            .collect();
        CueRule {
            cues,
            tokenizer: Tokenizer::default(),
            words: Vec::new(),
        }
    }

    /// The label of `sentence`: the first label (in [`CUES`] order) with a cue in it,
    /// else `none`.
    pub fn predict(&mut self, sentence: &str) -> Label {
        self.words.clear();
        self.tokenizer.tokenize(sentence);
        for &token in self.tokenizer.tokens() {
            let word = fold_accents(self.tokenizer.text(token));
            self.words.push((word, token.negated));
        }
        let words = &self.words;
        for (label, cues) in &self.cues {
            for cue in cues {
                if cue.is_empty() || cue.len() > words.len() {
                    continue;
                }
                let found = words.windows(cue.len()).any(|window| {
                    window.iter().zip(cue).all(|((word, negated), part)| {
                        (!part.negated || *negated)
                            && if part.prefix {
                                word.starts_with(&part.text)
                            } else {
                                *word == part.text
                            }
                    })
                });
                if found {
                    return *label;
                }
            }
        }
        Label::NoClaim
    }
}

/// The most frequent label of `counts` (ties: the first in column order).
pub fn majority_label(counts: &[usize; Label::COUNT]) -> Label {
    let mut best = 0;
    for k in 1..Label::COUNT {
        if counts[k] > counts[best] {
            best = k;
        }
    }
    Label::ALL[best]
}

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

/// Where an evaluation's model and data came from, for the HTML report (not in
/// the JSON output, which keeps its schema).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Provenance {
    /// SHA-256 of the training records ([`fingerprint`]); with cross-validation,
    /// of all the records, each fold training on the others' part of them.
    pub training_sha256: String,
    /// Training sentences (cross-validation: all the records).
    pub training_sentences: usize,
    /// The training data files recorded in the model, if any.
    pub training_files: Vec<String>,
    /// Training settings, name → value.
    pub settings: BTreeMap<String, String>,
    /// SHA-256 of the scored records.
    pub test_sha256: String,
}

impl Provenance {
    /// The provenance of a trained model scored on `tested`.
    pub fn of_model(model: &Model, tested: &[&Record]) -> Provenance {
        let t = model.training();
        let mut settings = analyzer_settings(model.config());
        settings.insert("l2".into(), t.l2.to_string());
        settings.insert("min_count".into(), t.min_count.to_string());
        settings.insert("max_iterations".into(), t.max_iterations.to_string());
        if let Some(c) = &t.convergence {
            settings.insert(
                "solver".into(),
                format!(
                    "{} ({} iterations, {})",
                    c.solver,
                    c.iterations,
                    if c.converged {
                        "converged"
                    } else {
                        "stopped at the cap"
                    }
                ),
            );
        }
        if t.tuning.is_some() {
            settings.insert("tuned".into(), "yes (train --tune)".into());
        }
        Provenance {
            training_sha256: t.data_sha256.clone(),
            training_sentences: t.sentences,
            training_files: t.data_files.clone(),
            settings,
            test_sha256: fingerprint(tested.iter().copied()),
        }
    }

    /// The provenance of models trained with `config` on `training`.
    pub fn of_config(config: &TrainConfig, training: &[&Record], tested: &[&Record]) -> Provenance {
        let mut settings = analyzer_settings(&config.analyzer);
        settings.insert("l2".into(), config.l2.to_string());
        settings.insert("min_count".into(), config.min_count.to_string());
        settings.insert("max_iterations".into(), config.max_iterations.to_string());
        settings.insert("solver".into(), config.solver.to_string());
        Provenance {
            training_sha256: fingerprint(training.iter().copied()),
            training_sentences: training.len(),
            training_files: Vec::new(),
            settings,
            test_sha256: fingerprint(tested.iter().copied()),
        }
    }
}

fn analyzer_settings(a: &crate::analyze::AnalyzerConfig) -> BTreeMap<String, String> {
    [
        ("stemmer", a.stemmer.clone()),
        ("negation", a.negation.to_string()),
        ("negation_window", a.negation_window.to_string()),
        ("ngrams", a.ngrams.to_string()),
        ("weighting", a.weighting.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

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
    /// Where the model and data came from (HTML report only).
    #[serde(skip)]
    pub provenance: Provenance,
}

const SYSTEMS: [&str; 3] = ["model", "majority", "cue_rule"];

/// The three systems' reports on the same records.
fn score_systems(
    records: &[&Record],
    predictions: &[Prediction],
    majority: &[Label],
    cues: &[Label],
) -> [Report; 3] {
    let score = |labels: &mut dyn Iterator<Item = Label>| {
        Report::compute(
            records
                .iter()
                .zip(labels)
                .map(|(r, p)| (r.label, r.also.as_slice(), p)),
        )
    };
    [
        score(&mut predictions.iter().map(|p| p.label)),
        score(&mut majority.iter().copied()),
        score(&mut cues.iter().copied()),
    ]
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

/// Predictions of `model` for `records`.
pub fn predict_all(model: &Model, records: &[&Record]) -> Vec<Prediction> {
    let mut classifier = model.classifier();
    records
        .iter()
        .map(|r| classifier.predict(&r.text))
        .collect()
}

fn cue_labels(records: &[&Record]) -> Vec<Label> {
    let mut rule = CueRule::new();
    records.iter().map(|r| rule.predict(&r.text)).collect()
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

fn assemble(
    mode: &str,
    setup: String,
    reports: [Report; 3],
    cv: Option<CvSummary>,
    errors: Vec<Mistake>,
) -> Evaluation {
    let mut comparison = comparison(&reports);
    if let Some(cv) = &cv {
        for row in &mut comparison {
            if let Some(s) = cv.summary.get(&row.system) {
                row.accuracy = s["accuracy"].mean;
                row.macro_f1 = s["macro_f1"].mean;
                row.claim_f1 = s["claim_f1"].mean;
                row.accuracy_std = Some(s["accuracy"].std);
                row.macro_f1_std = Some(s["macro_f1"].std);
            }
        }
    }
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
        cv,
        errors,
        calibration: Calibration::default(),
        provenance: Provenance::default(),
    }
}

/// Reads a predictions file (JSONL: `{"id": …, "label": …}`, optionally
/// `"probabilities": {label: p}`; other fields, such as `classify`'s `text` and
/// `evidence`, are ignored) and returns one prediction per record of `records`, in
/// their order, and whether every line gave probabilities. A prediction with no
/// probabilities gets all its mass on its label. Unknown labels, duplicate or extra
/// ids, probabilities that are not all five finite values summing to 1 (± 1e-6) are
/// errors naming the file and line; missing ids are an error that counts them and
/// names the first few.
pub fn read_predictions(
    path: &std::path::Path,
    records: &[&Record],
) -> Result<(Vec<Prediction>, bool)> {
    let at = |line: usize, message: String| Error::Record {
        path: path.to_path_buf(),
        line,
        message,
    };
    let wanted: HashMap<&str, usize> = records
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let mut found: Vec<Option<(usize, Prediction)>> = vec![None; records.len()];
    let mut all_probabilities = true;
    for (line, text) in crate::dataset::read_lines(path)? {
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| at(line, format!("malformed JSON: {e}")))?;
        let id = match value.get("id") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            Some(other) => {
                return Err(at(
                    line,
                    format!("\"id\" must be a string or a number, not {other}"),
                ))
            }
            None => {
                return Err(at(
                    line,
                    "no \"id\": predictions are matched to the data by id".into(),
                ))
            }
        };
        let label: Label = value
            .get("label")
            .and_then(|l| l.as_str())
            .ok_or_else(|| at(line, "no \"label\" string".into()))?
            .parse()
            .map_err(|e: crate::label::UnknownLabel| at(line, e.to_string()))?;
        let probabilities = match value.get("probabilities") {
            None | Some(serde_json::Value::Null) => {
                all_probabilities = false;
                let mut p = [0.0; Label::COUNT];
                p[label.index()] = 1.0;
                p
            }
            Some(serde_json::Value::Object(map)) => {
                let mut p = [f64::NAN; Label::COUNT];
                for (name, v) in map {
                    let l: Label = name.parse().map_err(|e: crate::label::UnknownLabel| {
                        at(line, format!("in \"probabilities\": {e}"))
                    })?;
                    p[l.index()] = v
                        .as_f64()
                        .filter(|x| x.is_finite() && *x >= 0.0)
                        .ok_or_else(|| {
                            at(
                                line,
                                format!("probability of {l} must be a finite number ≥ 0, not {v}"),
                            )
                        })?;
                }
                if let Some(l) = Label::ALL.iter().find(|l| p[l.index()].is_nan()) {
                    return Err(at(line, format!("\"probabilities\" has no value for {l}")));
                }
                let sum: f64 = p.iter().sum();
                if (sum - 1.0).abs() > 1e-6 {
                    return Err(at(line, format!("probabilities sum to {sum}, not 1")));
                }
                p
            }
            Some(other) => {
                return Err(at(
                    line,
                    format!("\"probabilities\" must be an object, not {other}"),
                ))
            }
        };
        let Some(&i) = wanted.get(id.as_str()) else {
            return Err(at(line, format!("id {id:?} is not in the data")));
        };
        if let Some((first, _)) = found[i] {
            return Err(at(
                line,
                format!("duplicate id {id:?} (first at line {first})"),
            ));
        }
        found[i] = Some((
            line,
            Prediction {
                label,
                probabilities,
            },
        ));
    }
    let missing: Vec<&str> = found
        .iter()
        .zip(records)
        .filter(|(f, _)| f.is_none())
        .map(|(_, r)| r.id.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(Error::Input {
            path: path.to_path_buf(),
            message: format!(
                "{} of the {} sentences of the data have no prediction (first: {})",
                missing.len(),
                records.len(),
                missing
                    .iter()
                    .take(5)
                    .map(|id| format!("{id:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    Ok((
        found.into_iter().flatten().map(|(_, p)| p).collect(),
        all_probabilities,
    ))
}

/// Scores any system's `predictions` of `records` (see [`read_predictions`]) like a
/// model's: every figure, the two baselines (the majority label of the gold data,
/// and the cue rule), the most confident mistakes, and calibration when the system
/// gave probabilities.
pub fn evaluate_predictions(
    records: &[&Record],
    predictions: &[Prediction],
    has_probabilities: bool,
    system: &str,
    errors: usize,
) -> Evaluation {
    let majority = majority_label(&label_counts(records.iter().copied()));
    let reports = score_systems(
        records,
        predictions,
        &vec![majority; records.len()],
        &cue_labels(records),
    );
    let mut evaluation = assemble(
        "predictions",
        format!("predictions of {system} (majority baseline: {majority}, the gold data's most frequent label)"),
        reports,
        None,
        top_mistakes(records, predictions, errors),
    );
    if has_probabilities {
        evaluation.calibration = calibration(records, predictions);
    }
    evaluation
}

/// Scores a saved model on `records`, with the majority label of its training data
/// and the cue rule as baselines; lists the `errors` most confident mistakes.
pub fn evaluate_model(model: &Model, records: &[&Record], errors: usize) -> Evaluation {
    let predictions = predict_all(model, records);
    let mut counts = [0; Label::COUNT];
    for (label, n) in &model.training().per_label {
        counts[label.index()] = *n;
    }
    let majority = majority_label(&counts);
    let reports = score_systems(
        records,
        &predictions,
        &vec![majority; records.len()],
        &cue_labels(records),
    );
    let mut evaluation = assemble(
        "model",
        format!(
            "saved model (trained on {} sentences; majority label {majority})",
            model.training().sentences
        ),
        reports,
        None,
        top_mistakes(records, &predictions, errors),
    );
    explain_mistakes(model, &mut evaluation.errors);
    evaluation.calibration = calibration(records, &predictions);
    evaluation.provenance = Provenance::of_model(model, records);
    evaluation
}

/// Why `records`, read from `files`, look like data `model` was trained on: their
/// fingerprint is the one the model records, or some of the files are (or lie
/// under) files the model names as its training data, resolved from the current
/// directory as `train` was run. `None` when neither: scores on training data
/// measure fit, not accuracy on new text, and must say so.
pub fn training_overlap(
    model: &Model,
    records: &[&Record],
    files: &[std::path::PathBuf],
) -> Option<String> {
    let training = model.training();
    if !training.data_sha256.is_empty()
        && crate::dataset::fingerprint(records.iter().copied()) == training.data_sha256
    {
        return Some(
            "the model was trained on exactly these records (same SHA-256 as recorded in the model)"
                .into(),
        );
    }
    let trained: Vec<std::path::PathBuf> = training
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

/// Runs `job(i)` for `i` in `0..jobs` on a pool of up to `threads` threads (rayon);
/// results in job order, or the error of the lowest failed job. The fits inside a job
/// share the pool.
pub fn run_parallel<T: Send>(
    jobs: usize,
    threads: usize,
    job: impl Fn(usize) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    use rayon::prelude::*;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.clamp(1, jobs.max(1)))
        .build()
        .map_err(|e| Error::Training(format!("cannot start worker threads: {e}")))?;
    let results: Vec<Result<T>> = pool.install(|| (0..jobs).into_par_iter().map(&job).collect());
    results.into_iter().collect()
}

/// Hears of the work of cross-validation and tuning as it is done, to show progress.
pub trait Progress: Sync {
    /// `n` more fits are planned.
    fn planned(&self, _n: usize) {}
    /// One fit is done.
    fn fit_done(&self) {}
    /// A tuning candidate has its score.
    fn candidate(&self, _candidate: &Candidate) {}
}

/// Progress that nobody hears.
pub struct Silent;

impl Progress for Silent {}

/// The out-of-fold predictions of one fold.
struct FoldOutput {
    test: Vec<usize>,
    predictions: Vec<Prediction>,
    train: usize,
    majority: Label,
    /// Kept to explain the fold's mistakes.
    model: Model,
}

/// Trains on every fold but `fold` (and on the records in no fold) and predicts `fold`.
fn run_fold(
    config: &TrainConfig,
    records: &[&Record],
    folds: &[Option<usize>],
    fold: usize,
) -> Result<FoldOutput> {
    let (test, train_side): (Vec<usize>, Vec<usize>) =
        (0..records.len()).partition(|&i| folds[i] == Some(fold));
    let train_records: Vec<&Record> = train_side.iter().map(|&i| records[i]).collect();
    let test_records: Vec<&Record> = test.iter().map(|&i| records[i]).collect();
    let model = train(config, &train_records, &[])
        .map_err(|e| Error::Training(format!("fold {fold}: {e}")))?;
    Ok(FoldOutput {
        predictions: predict_all(&model, &test_records),
        majority: majority_label(&label_counts(train_records.iter().copied())),
        train: train_records.len(),
        test,
        model,
    })
}

/// Grouped K-fold cross-validation of `config` on `records`, folds run on up to
/// `threads` threads. Deterministic: folds depend only on the data, and each fold's
/// fit only on its training side.
pub fn cross_validate(
    config: &TrainConfig,
    records: &[&Record],
    k: usize,
    threads: usize,
    errors: usize,
) -> Result<Evaluation> {
    cross_validate_with(config, records, k, threads, errors, &Silent)
}

/// [`cross_validate`], telling `progress` of each fold's fit.
pub fn cross_validate_with(
    config: &TrainConfig,
    records: &[&Record],
    k: usize,
    threads: usize,
    errors: usize,
    progress: &dyn Progress,
) -> Result<Evaluation> {
    config.validate()?;
    let folds = cv_folds(records, k)?;
    progress.planned(k);
    let outputs = run_parallel(k, threads, |f| {
        let out = run_fold(config, records, &folds, f);
        progress.fit_done();
        out
    })?;
    let all_records = records;
    let scored: Vec<usize> = (0..records.len()).filter(|&i| folds[i].is_some()).collect();
    let position: HashMap<usize, usize> = scored.iter().enumerate().map(|(p, &i)| (i, p)).collect();
    let records: Vec<&Record> = scored.iter().map(|&i| all_records[i]).collect();
    let records = records.as_slice();
    let outputs: Vec<FoldOutput> = outputs
        .into_iter()
        .map(|mut out| {
            for i in &mut out.test {
                *i = position[i];
            }
            out
        })
        .collect();
    let mut predictions: Vec<Option<Prediction>> = vec![None; records.len()];
    let mut majority = vec![Label::NoClaim; records.len()];
    let cues = cue_labels(records);
    let mut per_fold = Vec::new();
    let mut figures: Vec<[Vec<f64>; HEADLINES.len()]> =
        (0..3).map(|_| Default::default()).collect();
    for (fold, out) in outputs.iter().enumerate() {
        let test_records: Vec<&Record> = out.test.iter().map(|&i| records[i]).collect();
        let fold_majority = vec![out.majority; out.test.len()];
        let fold_cues: Vec<Label> = out.test.iter().map(|&i| cues[i]).collect();
        let reports = score_systems(&test_records, &out.predictions, &fold_majority, &fold_cues);
        let mut fold_figures = BTreeMap::new();
        for (s, report) in reports.iter().enumerate() {
            let values = report.headlines();
            for (m, v) in values.iter().enumerate() {
                figures[s][m].push(*v);
            }
            fold_figures.insert(
                SYSTEMS[s].to_string(),
                HEADLINES
                    .iter()
                    .map(|h| h.to_string())
                    .zip(values)
                    .collect(),
            );
        }
        let mut groups: Vec<&str> = test_records.iter().map(|r| r.group()).collect();
        groups.sort_unstable();
        groups.dedup();
        per_fold.push(FoldSummary {
            fold,
            train: out.train,
            test: out.test.len(),
            groups: groups.len(),
            figures: fold_figures,
        });
        for (j, &i) in out.test.iter().enumerate() {
            predictions[i] = Some(out.predictions[j]);
            majority[i] = out.majority;
        }
    }
    let predictions: Vec<Prediction> = predictions
        .into_iter()
        .map(|p| p.ok_or_else(|| Error::Training("a sentence is in no fold".into())))
        .collect::<Result<_>>()?;
    let summary = SYSTEMS
        .iter()
        .zip(&figures)
        .map(|(name, per_metric)| {
            let spreads = HEADLINES
                .iter()
                .zip(per_metric)
                .map(|(h, values)| {
                    let (mean, std) = mean_std(values);
                    (h.to_string(), Spread { mean, std })
                })
                .collect();
            (name.to_string(), spreads)
        })
        .collect();
    let reports = score_systems(records, &predictions, &majority, &cues);
    let mut evaluation = assemble(
        "cv",
        format!(
            "grouped {k}-fold cross-validation over {} groups{} (pooled out-of-fold figures; per-fold mean ± std in the comparison)",
            per_fold.iter().map(|f| f.groups).sum::<usize>(),
            if records.len() < all_records.len() {
                format!(
                    " of real news, scored on their {} sentences; the other {} sentences train every fold",
                    records.len(),
                    all_records.len() - records.len()
                )
            } else {
                String::new()
            }
        ),
        reports,
        Some(CvSummary {
            k,
            folds: per_fold,
            summary,
        }),
        top_mistakes(records, &predictions, errors),
    );
    // Each mistake is explained by the model of the fold that made it.
    let order = mistake_order(records, &predictions, errors);
    for (mistake, i) in evaluation.errors.iter_mut().zip(order) {
        // `order` indexes the scored records; `folds` every record.
        let fold = folds[scored[i]].unwrap_or_default();
        explain_mistakes(&outputs[fold].model, std::slice::from_mut(mistake));
    }
    evaluation.calibration = calibration(records, &predictions);
    evaluation.provenance = Provenance::of_config(config, records, records);
    Ok(evaluation)
}

/// True for a sentence of a real news article of the data set (its source is the
/// article's URL).
pub fn is_real(record: &Record) -> bool {
    record
        .source
        .as_deref()
        .is_some_and(|s| s.starts_with("https://") || s.starts_with("http://"))
}

/// The fold of each record for grouped K-fold cross-validation. When `records` hold
/// real news, only the real articles are dealt to folds and scored: the model is for
/// real news, so settings are chosen by how they do there, while the other records
/// (constructed sentences, seeds) train every fold. Otherwise every group is dealt.
pub fn cv_folds(records: &[&Record], k: usize) -> Result<Vec<Option<usize>>> {
    let scored: Vec<usize> = (0..records.len())
        .filter(|&i| is_real(records[i]))
        .collect();
    if scored.is_empty() {
        return Ok(group_folds(records, k)?.into_iter().map(Some).collect());
    }
    let subset: Vec<&Record> = scored.iter().map(|&i| records[i]).collect();
    let mut folds = vec![None; records.len()];
    for (&i, f) in scored.iter().zip(group_folds(&subset, k)?) {
        folds[i] = Some(f);
    }
    Ok(folds)
}

/// Out-of-fold predictions of grouped K-fold cross-validation ([`cv_folds`]): the
/// scored records' indices in `records`, and a prediction for each.
pub fn out_of_fold(
    config: &TrainConfig,
    records: &[&Record],
    k: usize,
    threads: usize,
) -> Result<(Vec<usize>, Vec<Prediction>)> {
    config.validate()?;
    let folds = cv_folds(records, k)?;
    let outputs = run_parallel(k, threads, |f| run_fold(config, records, &folds, f))?;
    let mut by_index: BTreeMap<usize, Prediction> = BTreeMap::new();
    for out in outputs {
        by_index.extend(out.test.into_iter().zip(out.predictions));
    }
    Ok(by_index.into_iter().unzip())
}

/// A prediction with `bias` added to the log-odds of `none`: what the model predicts
/// once its `none` intercept is shifted by `bias`.
pub fn shift_none(prediction: &Prediction, bias: f64) -> Prediction {
    let mut logits = prediction
        .probabilities
        .map(|p| p.max(f64::MIN_POSITIVE).ln());
    logits[Label::NoClaim.index()] += bias;
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
        let f1 = Report::compute(
            records
                .iter()
                .zip(predictions)
                .map(|(r, p)| (r.label, r.also.as_slice(), shift_none(p, bias).label)),
        )
        .macro_f1;
        if f1 > best.1 {
            best = (bias, f1);
        }
    }
    best
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
    let predictions = predict_all(&model, &test_side);
    let majority = majority_label(&label_counts(train_side.iter().copied()));
    let reports = score_systems(
        &test_side,
        &predictions,
        &vec![majority; test_side.len()],
        &cue_labels(&test_side),
    );
    let mut evaluation = assemble(
        "transfer",
        format!(
            "trained on {} constructed sentences, tested on {} seed sentences (majority label {majority})",
            train_side.len(),
            test_side.len()
        ),
        reports,
        None,
        top_mistakes(&test_side, &predictions, errors),
    );
    explain_mistakes(&model, &mut evaluation.errors);
    evaluation.calibration = calibration(&test_side, &predictions);
    evaluation.provenance = Provenance::of_model(&model, &test_side);
    Ok(evaluation)
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
}

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
            "method": format!("staged search by grouped {}-fold cross-validation (folds over real-news articles when the data has some, scored on them): l2 first (a warm-started path per fold; stepping beyond the grid, ×/÷ 3 up to {EDGE_STEPS} times, when the best is on its edge), then ngrams, weighting, min_count, constructed_weight, fold_verbs one at a time, each adopted only if it raises the mean macro-F1 by at least {MIN_GAIN}; every candidate judged with the none bias that is best on its pooled out-of-fold predictions", self.k),
            "metric": "macro_f1 (mean over folds)",
            "folds": self.k,
            "min_gain": MIN_GAIN,
            "grid": self.grid,
            "candidates": self.candidates,
            "chosen": {
                "l2": self.config.l2,
                "ngrams": self.config.analyzer.ngrams,
                "weighting": self.config.analyzer.weighting,
                "min_count": self.config.min_count,
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
        c.analyzer.ngrams,
        c.analyzer.weighting == Weighting::Tfidf,
        c.min_count,
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
    let folds = cv_folds(records, k)?;
    // (held-out fold, training side) of fold `f`.
    let fold_sides = |f: usize| -> (Vec<&Record>, Vec<&Record>) {
        let (test, train): (Vec<_>, Vec<_>) = records
            .iter()
            .zip(&folds)
            .partition(|(_, fold)| **fold == Some(f));
        (
            test.into_iter().map(|(r, _)| *r).collect(),
            train.into_iter().map(|(r, _)| *r).collect(),
        )
    };
    let score = |test: &[&Record], predictions: &[Prediction]| {
        Report::compute(
            test.iter()
                .zip(predictions)
                .map(|(r, p)| (r.label, r.also.as_slice(), p.label)),
        )
        .macro_f1
    };
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
        let bias = if grid.tune_none_bias {
            let test: Vec<&Record> = per_fold.iter().flat_map(|f| f.0.iter().copied()).collect();
            let predictions: Vec<Prediction> =
                per_fold.iter().flat_map(|f| f.1.iter().copied()).collect();
            best_none_bias(&test, &predictions).0
        } else {
            0.0
        };
        let values: Vec<f64> = per_fold
            .iter()
            .map(|(test, predictions)| {
                let shifted: Vec<Prediction> =
                    predictions.iter().map(|p| shift_none(p, bias)).collect();
                score(test, &shifted)
            })
            .collect();
        let (mean, std) = mean_std(&values);
        let unshifted: Vec<f64> = per_fold.iter().map(|(t, p)| score(t, p)).collect();
        Candidate {
            stage: stage.to_string(),
            l2: config.l2,
            ngrams: config.analyzer.ngrams,
            weighting: config.analyzer.weighting,
            min_count: config.min_count,
            constructed_weight: config.constructed_weight,
            fold_verbs: config.fold_verbs,
            none_bias: bias,
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
        let (test, train_side) = fold_sides(f);
        let models = crate::train::train_path(&path_configs, &train_side)
            .map_err(|e| Error::Training(format!("fold {f}: {e}")))?;
        let mut out: Vec<FoldPredictions> = vec![(Vec::new(), Vec::new()); path_configs.len()];
        for (j, model) in models.iter().enumerate() {
            out[path_order[j]] = (test.clone(), predict_all(model, &test));
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
            c.analyzer.ngrams = g.ngrams[i]
        }),
        ("weighting", grid.weighting.len(), |c, i, g| {
            c.analyzer.weighting = g.weighting[i]
        }),
        ("min_count", grid.min_count.len(), |c, i, g| {
            c.min_count = g.min_count[i]
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
    // The winner keeps the none bias it was judged with.
    best.none_bias = seen[&key(&best)].none_bias;
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
    fn cue_rule_examples() {
        let mut rule = CueRule::new();
        let cases = [
            ("L'OTAN a rejeté la demande de la Russie.", Label::Refusal),
            (
                "Nous ne pouvons pas accepter ces conditions.",
                Label::Refusal,
            ),
            ("Nous acceptons ces conditions.", Label::NoClaim),
            ("Moscou MENACE de riposter.", Label::Warning),
            ("Paris exige le retrait des troupes.", Label::Demand),
            ("La Russie doit engager la désescalade.", Label::Demand),
            ("Berlin se dit prêt à négocier.", Label::Offer),
            ("L'Otan tend la main à la Russie.", Label::Offer),
            ("Le ministre est arrivé jeudi.", Label::NoClaim),
            ("Il met en garde contre une escalade.", Label::Warning),
        ];
        for (text, expected) in cases {
            assert_eq!(rule.predict(text), expected, "{text}");
        }
    }

    #[test]
    fn edge_steps_round_to_one_digit() {
        assert_eq!(round_to_one_digit(0.03 / 3.0), 0.01);
        assert_eq!(round_to_one_digit(0.01 / 3.0), 0.003);
        assert_eq!(round_to_one_digit(3.0 * 3.0), 9.0);
        assert_eq!(round_to_one_digit(9.0 * 3.0), 30.0);
    }

    #[test]
    fn majority_ties_go_to_column_order() {
        assert_eq!(majority_label(&[1, 3, 3, 0, 2]), Label::Refusal);
        assert_eq!(majority_label(&[0, 0, 0, 0, 0]), Label::Demand);
        assert_eq!(majority_label(&[1, 0, 0, 0, 9]), Label::NoClaim);
    }

    #[test]
    fn parallel_results_keep_job_order() {
        let out = run_parallel(7, 2, |i| Ok(i * 10)).unwrap();
        assert_eq!(out, [0, 10, 20, 30, 40, 50, 60]);
        let err = run_parallel(3, 2, |i| {
            if i == 1 {
                Err(Error::Config("boom".into()))
            } else {
                Ok(i)
            }
        });
        assert!(err.is_err());
        assert!(run_parallel(0, 2, Ok).unwrap().is_empty());
    }
}
