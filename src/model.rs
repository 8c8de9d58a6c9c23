//! The fitted model: feature space, weights and provenance; sparse prediction,
//! explanations, and the self-describing model file.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::analyze::{AnalyzerConfig, Weighting};
use crate::error::{Error, Result};
use crate::fast::OnePass;
use crate::features::{FeatureConfig, FeatureSpace, Featurizer, SparseVector, ABSENT};
use crate::label::Label;

/// The `format` field of every model file.
pub const FORMAT: &str = "demarche-model";
/// The model-file version this crate writes. Version 2 keeps the feature settings
/// in their own section, `features`, where version 1 kept the n-grams and the
/// weighting in `analyzer` and the minimum count in `training`.
pub const FORMAT_VERSION: u32 = 2;
/// The oldest model-file version this crate reads.
pub const OLDEST_SUPPORTED_VERSION: u32 = 1;
/// Where `train` writes and `classify`/`evaluate` read by default.
pub const DEFAULT_MODEL_PATH: &str = "models/demarche.json";

/// How a model was trained: enough to reproduce it and to know what it has seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingInfo {
    /// Weight of each constructed sentence in the fit.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub constructed_weight: f64,
    /// Added to the `none` intercept after the fit (included in `intercepts`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub none_bias: f64,
    /// Whether the weights of terms made only of empty words were held at zero.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mute_empty_words: bool,
    /// How the solver ended (absent in files written before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub convergence: Option<crate::train::Convergence>,
    /// L2 strength (linfa-logistic's `alpha`).
    pub l2: f64,
    /// L-BFGS iteration cap.
    pub max_iterations: u64,
    /// Number of training sentences.
    pub sentences: usize,
    /// Training sentences per label.
    pub per_label: BTreeMap<Label, usize>,
    /// SHA-256 of the training records (ids, texts, labels in order).
    pub data_sha256: String,
    /// The files the training data came from, as given.
    pub data_files: Vec<String>,
    /// Accuracy on the training sentences.
    pub training_accuracy: f64,
    /// Unlabeled sentences counted in the document frequencies besides the training
    /// sentences (`train --idf-text`).
    #[serde(default, skip_serializing_if = "is_zero_count")]
    pub idf_text_sentences: usize,
    /// The files they came from, as given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub idf_text_files: Vec<String>,
    /// The hyper-parameter search that chose the settings, if one was run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tuning: Option<serde_json::Value>,
    /// The sentences a first fit labeled and the second fit counted too
    /// (`train --self-train`); `sentences`, `per_label`, `data_sha256` and
    /// `training_accuracy` describe the labeled records only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_training: Option<SelfTrainingInfo>,
}

/// What self-training added to a fit ([`crate::train::self_train`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelfTrainingInfo {
    /// The files of unlabeled text, as given.
    pub files: Vec<String>,
    /// Unlabeled sentences the first fit labeled.
    pub unlabeled_sentences: usize,
    /// The least probability of its label for which a sentence was kept.
    pub min_probability: f64,
    /// The weight of each sentence kept.
    pub weight: f64,
    /// Sentences kept, per label.
    pub kept: BTreeMap<Label, usize>,
}

impl Default for TrainingInfo {
    /// Nothing seen, no settings beyond the neutral ones: for models built by hand.
    fn default() -> Self {
        TrainingInfo {
            constructed_weight: one(),
            none_bias: 0.0,
            mute_empty_words: false,
            convergence: None,
            l2: 0.0,
            max_iterations: 0,
            sentences: 0,
            per_label: BTreeMap::new(),
            data_sha256: String::new(),
            data_files: Vec::new(),
            training_accuracy: 0.0,
            idf_text_sentences: 0,
            idf_text_files: Vec::new(),
            tuning: None,
            self_training: None,
        }
    }
}

fn is_zero_count(n: &usize) -> bool {
    *n == 0
}

fn one() -> f64 {
    1.0
}

fn is_one(x: &f64) -> bool {
    *x == 1.0
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// What the model file holds, field by field.
#[derive(Serialize, Deserialize)]
struct ModelFile {
    format: String,
    format_version: u32,
    crate_version: String,
    labels: Vec<Label>,
    analyzer: AnalyzerConfig,
    /// From format 2 on (format 1 has these settings in `analyzer` and `training`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    features: Option<FeatureConfig>,
    vocabulary: Vec<String>,
    idf: Vec<f64>,
    /// One row per feature, one column per label.
    weights: Vec<[f64; Label::COUNT]>,
    intercepts: [f64; Label::COUNT],
    training: TrainingInfo,
}

/// The feature settings where format 1 kept them, read from the same bytes as its
/// [`ModelFile`].
#[derive(Deserialize)]
struct Version1Settings {
    analyzer: Version1Analyzer,
    training: Version1Training,
}

#[derive(Deserialize)]
struct Version1Analyzer {
    // Format 1 always wrote both; one without them reads as it always has.
    #[serde(default = "default_ngrams")]
    ngrams: u8,
    #[serde(default = "default_weighting")]
    weighting: Weighting,
}

#[derive(Deserialize)]
struct Version1Training {
    #[serde(default)]
    min_count: usize,
}

fn default_ngrams() -> u8 {
    FeatureConfig::default().ngrams
}

fn default_weighting() -> Weighting {
    FeatureConfig::default().weighting
}

/// A label and the probability of every label.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    /// The most probable label (the first one on a tie, in column order).
    pub label: Label,
    /// Probabilities in column order ([`Label::ALL`]).
    pub probabilities: [f64; Label::COUNT],
}

impl Prediction {
    /// The probability of the predicted label.
    pub fn confidence(&self) -> f64 {
        self.probabilities[self.label.index()]
    }
}

/// A feature that pushed the decision towards the predicted label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// The feature: a stem, `NOT_` stem, or pair of stems.
    pub stem: String,
    /// The words of the sentence behind it (normalized).
    pub word: String,
    /// Its contribution to the predicted label's score: weight × value.
    pub weight: f64,
}

/// A multinomial logistic regression over bag-of-stems features.
#[derive(Debug, Clone)]
pub struct Model {
    space: FeatureSpace,
    /// Row-major by feature: `weights[f * COUNT + k]`, so that a sparse row reads
    /// contiguous memory.
    weights: Vec<f64>,
    intercepts: [f64; Label::COUNT],
    training: TrainingInfo,
}

impl Model {
    /// Assembles a model; `weights` is row-major by feature.
    pub fn new(
        space: FeatureSpace,
        weights: Vec<f64>,
        intercepts: [f64; Label::COUNT],
        training: TrainingInfo,
    ) -> Result<Self> {
        if weights.len() != space.len() * Label::COUNT {
            return Err(Error::Config(format!(
                "{} weights for {} features × {} labels",
                weights.len(),
                space.len(),
                Label::COUNT
            )));
        }
        if weights.iter().chain(&intercepts).any(|w| !w.is_finite()) {
            return Err(Error::Config("a weight is not finite".into()));
        }
        Ok(Model {
            space,
            weights,
            intercepts,
            training,
        })
    }

    /// The feature space.
    pub fn space(&self) -> &FeatureSpace {
        &self.space
    }

    /// The analyzer configuration.
    pub fn config(&self) -> &AnalyzerConfig {
        self.space.config()
    }

    /// Training provenance.
    pub fn training(&self) -> &TrainingInfo {
        &self.training
    }

    /// Mutable provenance (to record a tuning run).
    pub fn training_mut(&mut self) -> &mut TrainingInfo {
        &mut self.training
    }

    /// Weights of feature `id`, one per label.
    pub fn weights_of(&self, id: u32) -> &[f64] {
        let start = id as usize * Label::COUNT;
        &self.weights[start..start + Label::COUNT]
    }

    /// Intercepts, one per label.
    pub fn intercepts(&self) -> &[f64; Label::COUNT] {
        &self.intercepts
    }

    /// Linear scores of a sparse row, read straight from the weight rows.
    pub fn scores(&self, row: &SparseVector) -> [f64; Label::COUNT] {
        let mut scores = self.intercepts;
        for (&id, &value) in row.indices.iter().zip(&row.values) {
            let w = self.weights_of(id);
            for k in 0..Label::COUNT {
                scores[k] += value * w[k];
            }
        }
        scores
    }

    /// Label and probabilities of a sparse row.
    pub fn predict_row(&self, row: &SparseVector) -> Prediction {
        prediction_of(self.scores(row))
    }

    /// A classifier borrowing this model, with its caches and buffers; one per
    /// thread.
    pub fn classifier(&self) -> Classifier<'_> {
        Classifier {
            model: self,
            one_pass: OnePass::new(&self.space, &self.weights, self.intercepts),
            featurizer: self.space.featurizer(),
            row: SparseVector::default(),
            ids: Vec::new(),
            strongest: Vec::new(),
            handed_over: 0,
        }
    }

    /// The same model as a linfa-logistic fitted model (for comparisons).
    pub fn to_linfa(&self) -> linfa_logistic::MultiFittedLogisticRegression<f64, usize> {
        let n = self.space.len();
        let params = ndarray::Array2::from_shape_vec((n, Label::COUNT), self.weights.clone())
            .expect("shape checked on construction");
        let intercept = ndarray::Array1::from(self.intercepts.to_vec());
        serde_json::from_value(serde_json::json!({
            "intercept": intercept,
            "params": params,
            "classes": (0..Label::COUNT).collect::<Vec<usize>>(),
        }))
        .expect("linfa-logistic's serialized form")
    }

    /// Writes the model atomically: a temporary file in the same folder, synced,
    /// then renamed over `path`, so a failure never leaves a half-written model.
    pub fn save(&self, path: &Path) -> Result<()> {
        let file = ModelFile {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            crate_version: env!("CARGO_PKG_VERSION").into(),
            labels: Label::ALL.to_vec(),
            analyzer: self.space.config().clone(),
            features: Some(*self.space.feature_config()),
            vocabulary: self.space.terms().to_vec(),
            idf: self.space.idf().to_vec(),
            weights: self
                .weights
                .chunks_exact(Label::COUNT)
                .map(|c| c.try_into().expect("rows of COUNT"))
                .collect(),
            intercepts: self.intercepts,
            training: self.training.clone(),
        };
        let mut json = serde_json::to_vec(&file).map_err(|e| Error::Model {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        json.push(b'\n');
        write_atomically(path, &json)
    }

    /// Reads a model file; a corrupt file, another format or an unsupported version
    /// is an error naming the file. A model may come from anyone: sizes are checked
    /// before anything is allocated for them, and every idf value and weight must lie
    /// in the range training can produce ([`MAX_IDF`], [`MAX_WEIGHT`]).
    pub fn load(path: &Path) -> Result<Model> {
        let bad = |message: String| Error::Model {
            path: path.to_path_buf(),
            message,
        };
        if path.is_dir() {
            return Err(Error::Input {
                path: path.to_path_buf(),
                message: "is a directory, expected a model file".into(),
            });
        }
        let mut file = fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
        if size > MAX_MODEL_BYTES {
            return Err(bad(format!(
                "{size} bytes, more than the {MAX_MODEL_BYTES} a model file may have"
            )));
        }
        let mut bytes = Vec::with_capacity(size as usize);
        // `take` bounds the read even if the file grows after the size check.
        std::io::Read::read_to_end(
            &mut std::io::Read::take(&mut file, MAX_MODEL_BYTES + 1),
            &mut bytes,
        )
        .map_err(|e| Error::io(path, e))?;
        if bytes.len() as u64 > MAX_MODEL_BYTES {
            return Err(bad(format!(
                "more than the {MAX_MODEL_BYTES} bytes a model file may have"
            )));
        }
        Model::from_json(path, &bytes)
    }

    /// [`Model::load`] on the bytes of a model file; `path` names it in errors.
    pub fn from_json(path: &Path, bytes: &[u8]) -> Result<Model> {
        let bad = |message: String| Error::Model {
            path: path.to_path_buf(),
            message,
        };
        if bytes.len() as u64 > MAX_MODEL_BYTES {
            return Err(bad(format!(
                "more than the {MAX_MODEL_BYTES} bytes a model file may have"
            )));
        }
        // The header first, without building the rest: the format and version
        // decide how (and whether) the rest is read.
        let header: Header = serde_json::from_slice(bytes)
            .map_err(|e| bad(format!("corrupt or truncated JSON ({e})")))?;
        match &header.format {
            Some(serde_json::Value::String(f)) if f == FORMAT => {}
            Some(serde_json::Value::String(other)) => {
                return Err(bad(format!("format is {other:?}, expected {FORMAT:?}")))
            }
            Some(other) => {
                return Err(bad(format!(
                    "\"format\" must be the string {FORMAT:?}, not {other}"
                )))
            }
            None => return Err(bad(format!("no \"format\" field (expected {FORMAT:?})"))),
        }
        let version = match &header.format_version {
            Some(serde_json::Value::Number(n)) => n.as_u64().ok_or_else(|| {
                bad(format!(
                    "\"format_version\" must be a whole number, not {n}"
                ))
            })?,
            Some(serde_json::Value::String(s)) => {
                return Err(bad(format!(
                    "\"format_version\" must be a number, not the string {s:?}"
                )))
            }
            Some(other) => {
                return Err(bad(format!(
                    "\"format_version\" must be a number, not {other}"
                )))
            }
            None => return Err(bad("no \"format_version\" field".into())),
        };
        if !(OLDEST_SUPPORTED_VERSION as u64..=FORMAT_VERSION as u64).contains(&version) {
            return Err(bad(format!(
                "format version {version} is not supported (this is demarche {}, which reads versions {OLDEST_SUPPORTED_VERSION} to {FORMAT_VERSION})",
                env!("CARGO_PKG_VERSION")
            )));
        }
        let file: ModelFile =
            serde_json::from_slice(bytes).map_err(|e| bad(format!("invalid field: {e}")))?;
        let features = match (version, file.features) {
            (1, None) => {
                let v1: Version1Settings = serde_json::from_slice(bytes)
                    .map_err(|e| bad(format!("invalid field: {e}")))?;
                FeatureConfig {
                    ngrams: v1.analyzer.ngrams,
                    weighting: v1.analyzer.weighting,
                    min_count: v1.training.min_count,
                }
            }
            (1, Some(_)) => {
                return Err(bad(
                    "format version 1 has no \"features\" field: its settings are in \"analyzer\" and \"training\"".into(),
                ))
            }
            (_, Some(features)) => features,
            (_, None) => return Err(bad("no \"features\" field".into())),
        };
        if file.labels != Label::ALL {
            let names: Vec<&str> = file.labels.iter().map(|l| l.as_str()).collect();
            return Err(bad(format!(
                "labels [{}] differ from [demand, refusal, warning, offer, none]",
                names.join(", ")
            )));
        }
        if file.vocabulary.len() >= ABSENT as usize {
            return Err(bad(format!(
                "{} vocabulary terms: feature ids would not fit",
                file.vocabulary.len()
            )));
        }
        if file.weights.len() != file.vocabulary.len() {
            return Err(bad(format!(
                "{} weight rows for {} vocabulary terms",
                file.weights.len(),
                file.vocabulary.len()
            )));
        }
        check_ranges(&file.idf, &file.weights, &file.intercepts).map_err(bad)?;
        let space = FeatureSpace::from_parts(file.analyzer, features, file.vocabulary, file.idf)
            .map_err(|e| bad(e.to_string()))?;
        let weights = file.weights.into_iter().flatten().collect();
        Model::new(space, weights, file.intercepts, file.training).map_err(|e| bad(e.to_string()))
    }
}

/// Largest model file [`Model::load`] reads: ten times the size of a model with a
/// million features, far above any this crate trains, and a bound on what a
/// stranger's file can make it allocate.
pub const MAX_MODEL_BYTES: u64 = 1 << 30;

/// Largest idf value a model file may hold. Training gives `1 + ln(n / df)`: 30
/// would take 10¹² sentences.
pub const MAX_IDF: f64 = 100.0;

/// Largest absolute weight or intercept a model file may hold. L2-penalized
/// training gives weights of a few units; a weight this large would make one
/// feature decide every sentence it occurs in.
pub const MAX_WEIGHT: f64 = 1e6;

/// The fields [`Model::load`] reads before the rest, as whatever JSON they hold, so
/// that a wrong type gets a message saying so rather than "missing field".
#[derive(Deserialize)]
struct Header {
    format: Option<serde_json::Value>,
    format_version: Option<serde_json::Value>,
}

/// Every idf value in `(0, MAX_IDF]` and every weight within `±MAX_WEIGHT`.
fn check_ranges(
    idf: &[f64],
    weights: &[[f64; Label::COUNT]],
    intercepts: &[f64; Label::COUNT],
) -> std::result::Result<(), String> {
    if let Some((i, v)) = idf
        .iter()
        .enumerate()
        .find(|(_, v)| !(v.is_finite() && **v > 0.0 && **v <= MAX_IDF))
    {
        return Err(format!(
            "idf value {v:?} of term {i} is out of range (expected a finite number in (0, {MAX_IDF}])"
        ));
    }
    let ok = |w: &f64| w.is_finite() && w.abs() <= MAX_WEIGHT;
    if let Some((i, row)) = weights
        .iter()
        .enumerate()
        .find(|(_, row)| !row.iter().all(ok))
    {
        return Err(format!(
            "weight row {i} {row:?} is out of range (expected finite numbers within ±{MAX_WEIGHT:e})"
        ));
    }
    if !intercepts.iter().all(ok) {
        return Err(format!(
            "intercepts {intercepts:?} are out of range (expected finite numbers within ±{MAX_WEIGHT:e})"
        ));
    }
    Ok(())
}

/// Writes `bytes` to `path` through a synced temporary file and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let name = path
        .file_name()
        .ok_or_else(|| Error::Input {
            path: path.to_path_buf(),
            message: "not a file path".into(),
        })?
        .to_string_lossy();
    // The rename below would replace a symbolic link or a device node with a
    // regular file: whatever `path` is, it must already be a regular file or absent.
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(Error::Input {
                path: path.to_path_buf(),
                message: "is a symbolic link; refusing to replace it (give the real path)".into(),
            })
        }
        Ok(meta) if !meta.is_file() => {
            return Err(Error::Input {
                path: path.to_path_buf(),
                message: "exists and is not a regular file; refusing to replace it".into(),
            })
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(path, e)),
    }
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    Ok(())
}

/// The scores with NaN (which only an overflow, `∞ − ∞`, can give) made `−∞`: a
/// score that is not a number supports no label, and the order of the rest is total.
fn sanitize(scores: [f64; Label::COUNT]) -> [f64; Label::COUNT] {
    scores.map(|s| if s.is_nan() { f64::NEG_INFINITY } else { s })
}

fn argmax(scores: &[f64; Label::COUNT]) -> Label {
    let scores = sanitize(*scores);
    let mut best = 0;
    for k in 1..Label::COUNT {
        if scores[k] > scores[best] {
            best = k;
        }
    }
    Label::ALL[best]
}

/// Softmax as `exp(s − logsumexp(s))`, shifted by the maximum, so that any scores
/// give finite probabilities summing to 1: finite scores of any size (the largest
/// term is `exp(0) = 1`, so the sum lies in `[1, 5]`), and also the infinite ones
/// that huge weights can sum to: the labels at `+∞` share the mass, a `−∞` or NaN
/// score gets 0, and when no score is above `−∞` every label gets 1/5.
fn softmax(scores: [f64; Label::COUNT]) -> [f64; Label::COUNT] {
    let scores = sanitize(scores);
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return [1.0 / Label::COUNT as f64; Label::COUNT];
    }
    if max == f64::INFINITY {
        let top = scores.iter().filter(|&&s| s == max).count() as f64;
        return scores.map(|s| if s == max { 1.0 / top } else { 0.0 });
    }
    let mut out = scores.map(|s| (s - max).exp());
    let sum: f64 = out.iter().sum();
    out.iter_mut().for_each(|p| *p /= sum);
    out
}

/// The `top` features of `row` that pushed most towards a label whose weight for
/// feature `id` is `weight(id)`, with their contributions, weight × value, into
/// `out`: positive contributions only, largest first, ties in feature order (which
/// is the terms' order).
fn strongest(
    row: &SparseVector,
    weight: impl Fn(u32) -> f64,
    top: usize,
    out: &mut Vec<(u32, f64)>,
) {
    out.clear();
    out.extend(
        row.indices
            .iter()
            .zip(&row.values)
            .map(|(&id, &value)| (id, value * weight(id)))
            .filter(|&(_, contribution)| contribution > 0.0),
    );
    let order = |a: &(u32, f64), b: &(u32, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if out.len() > top && top > 0 {
        out.select_nth_unstable_by(top - 1, order);
    }
    out.truncate(top);
    out.sort_unstable_by(order);
}

/// The label and probabilities of `scores`.
fn prediction_of(scores: [f64; Label::COUNT]) -> Prediction {
    Prediction {
        label: argmax(&scores),
        probabilities: softmax(scores),
    }
}

/// Classifies sentences with one model; holds the per-thread caches and buffers.
///
/// Sentences go through the one-pass path, which gives what the stages give (see
/// the crate docs) at a fraction of the cost; the rare sentence it cannot take (a
/// character that NFC could merge with its neighbour) goes through the stages.
pub struct Classifier<'m> {
    model: &'m Model,
    one_pass: OnePass<'m>,
    /// The stages: sentences handed over, and the reference explanations.
    featurizer: Featurizer<'m>,
    row: SparseVector,
    ids: Vec<u32>,
    strongest: Vec<(u32, f64)>,
    handed_over: u64,
}

impl<'m> Classifier<'m> {
    /// The model.
    pub fn model(&self) -> &'m Model {
        self.model
    }

    /// How many sentences so far the one-pass path handed over to the stages.
    pub fn handed_over(&self) -> u64 {
        self.handed_over
    }

    /// The features of `sentence` (valid until the next call): the row
    /// [`Featurizer::featurize`] gives.
    pub fn features(&mut self, sentence: &str) -> &SparseVector {
        match self.one_pass.unigrams(sentence) {
            Some(unigrams) => {
                self.model
                    .space
                    .row_of_unigrams(unigrams, &mut self.ids, &mut self.row)
            }
            None => {
                self.handed_over += 1;
                self.featurizer.featurize(sentence, &mut self.row);
            }
        }
        &self.row
    }

    /// Label and probabilities of `sentence`.
    pub fn predict(&mut self, sentence: &str) -> Prediction {
        prediction_of(self.scores(sentence))
    }

    /// Only the label: skips the softmax.
    pub fn label(&mut self, sentence: &str) -> Label {
        argmax(&self.scores(sentence))
    }

    /// The linear scores of `sentence`, one per label. They equal
    /// `model.scores(features(sentence))` up to rounding (the sums run in another
    /// order), but come in one pass over the text: each token's feature adds its
    /// weights as it is met, and the norm of the row follows the counts, so no
    /// row is built or sorted.
    pub fn scores(&mut self, sentence: &str) -> [f64; Label::COUNT] {
        if let Some(scores) = self.one_pass.scores(sentence) {
            return scores;
        }
        self.handed_over += 1;
        self.featurizer.featurize(sentence, &mut self.row);
        self.model.scores(&self.row)
    }

    /// The prediction and the `top` features that contributed most to the
    /// predicted label (positive contributions only, largest first), each with the
    /// words of the sentence behind its first occurrence. The same as
    /// [`Classifier::explain_by_stages`], from one pass over the text: the row is
    /// built from the features the scores came from, and only the words of the
    /// features named are looked for again.
    pub fn explain(&mut self, sentence: &str, top: usize) -> (Prediction, Vec<Evidence>) {
        let mut evidence = Vec::new();
        let prediction = self.explain_into(sentence, top, &mut evidence);
        (prediction, evidence)
    }

    /// [`Classifier::explain`] into `evidence`, whose strings are reused: what a
    /// loop over many sentences calls, so that it allocates nothing once warm.
    pub fn explain_into(
        &mut self,
        sentence: &str,
        top: usize,
        evidence: &mut Vec<Evidence>,
    ) -> Prediction {
        let Some(scores) = self.one_pass.scores_keeping_words(sentence) else {
            self.handed_over += 1;
            self.featurizer.featurize(sentence, &mut self.row);
            let prediction = prediction_of(self.model.scores(&self.row));
            self.stage_evidence(sentence, prediction.label, top, evidence);
            return prediction;
        };
        let prediction = prediction_of(scores);
        if top == 0 {
            evidence.clear();
            return prediction;
        }
        let one_pass = &mut self.one_pass;
        one_pass.sort_distinct();
        let space = &self.model.space;
        space.row_of_counts(
            one_pass.counted_features(),
            |id| one_pass.idf(id),
            &mut self.row,
        );
        let label = prediction.label;
        strongest(
            &self.row,
            |id| one_pass.weight(id, label),
            top,
            &mut self.strongest,
        );
        set_evidence(evidence, &self.strongest, space.terms(), |id, words| {
            one_pass.words(sentence, id, words)
        });
        prediction
    }

    /// [`Classifier::explain`] stage by stage: the features and the words behind
    /// them from the featurizer, which keeps every word (the reference the
    /// one-pass explanation is held to; slower). The prediction still comes from
    /// the one-pass path, so that both print the same probabilities.
    pub fn explain_by_stages(&mut self, sentence: &str, top: usize) -> (Prediction, Vec<Evidence>) {
        let prediction = self.predict(sentence);
        let mut evidence = Vec::new();
        self.stage_evidence(sentence, prediction.label, top, &mut evidence);
        (prediction, evidence)
    }

    fn stage_evidence(
        &mut self,
        sentence: &str,
        label: Label,
        top: usize,
        evidence: &mut Vec<Evidence>,
    ) {
        let origins = self
            .featurizer
            .featurize_with_origins(sentence, &mut self.row);
        let k = label.index();
        let model = self.model;
        strongest(
            &self.row,
            |id| model.weights_of(id)[k],
            top,
            &mut self.strongest,
        );
        set_evidence(
            evidence,
            &self.strongest,
            model.space.terms(),
            |id, words| {
                if let Some((_, first)) = origins.iter().find(|(feature, _)| *feature == id) {
                    words.push_str(first);
                }
            },
        );
    }
}

/// Makes `evidence` one entry per `(id, contribution)` of `strongest`, named after
/// `terms`, with the words `words` appends; the strings already there are reused.
fn set_evidence(
    evidence: &mut Vec<Evidence>,
    strongest: &[(u32, f64)],
    terms: &[String],
    mut words: impl FnMut(u32, &mut String),
) {
    evidence.truncate(strongest.len());
    for (k, &(id, weight)) in strongest.iter().enumerate() {
        if k == evidence.len() {
            evidence.push(Evidence {
                stem: String::new(),
                word: String::new(),
                weight,
            });
        }
        let entry = &mut evidence[k];
        entry.stem.clear();
        entry.stem.push_str(&terms[id as usize]);
        entry.word.clear();
        words(id, &mut entry.word);
        entry.weight = weight;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::AnalyzerConfig;

    fn model() -> Model {
        let text = [
            "Moscou exige le retrait",
            "Paris refuse, Paris refuse encore",
        ];
        let features = FeatureConfig {
            min_count: 1,
            ..FeatureConfig::default()
        };
        let space = FeatureSpace::learn(&AnalyzerConfig::default(), &features, text).unwrap();
        let weights = (0..space.len() * Label::COUNT)
            .map(|k| ((k * 7919) % 13) as f64 / 13.0 - 0.5)
            .collect();
        let training = TrainingInfo {
            sentences: 2,
            ..TrainingInfo::default()
        };
        Model::new(space, weights, [0.1, 0.0, -0.1, 0.2, 0.0], training).unwrap()
    }

    #[test]
    fn any_finite_weights_give_finite_probabilities_summing_to_one() {
        let base = model();
        for big in [1e6, 1e300, f64::MAX] {
            let weights: Vec<f64> = (0..base.space.len() * Label::COUNT)
                .map(|k| if k % 3 == 0 { big } else { -big })
                .collect();
            let m = Model::new(
                base.space.clone(),
                weights,
                [big, -big, 0.0, big, -big],
                base.training.clone(),
            )
            .unwrap();
            let mut classifier = m.classifier();
            for sentence in ["Moscou exige le retrait", "Paris refuse", "", "rien"] {
                let p = classifier.predict(sentence);
                assert!(p.probabilities.iter().all(|x| x.is_finite() && *x >= 0.0));
                let sum: f64 = p.probabilities.iter().sum();
                assert!((sum - 1.0).abs() < 1e-12, "{big} {sentence:?}: {p:?}");
                assert!(
                    p.confidence() > 0.0,
                    "the label has the largest probability"
                );
                assert_eq!(classifier.label(sentence), p.label);
            }
        }
        for scores in [
            [f64::NAN; Label::COUNT],
            [
                f64::INFINITY,
                f64::NAN,
                0.0,
                f64::INFINITY,
                f64::NEG_INFINITY,
            ],
            [f64::NEG_INFINITY, f64::NAN, f64::NEG_INFINITY, -1.0, -1e308],
        ] {
            let p = softmax(scores);
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{p:?}");
            assert!(p[argmax(&scores).index()] >= p.iter().copied().fold(0.0, f64::max));
        }
    }

    #[test]
    fn each_format_keeps_the_feature_settings_in_its_own_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        model().save(&path).unwrap();
        let mut json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let load = |json: &serde_json::Value| {
            Model::from_json(Path::new("m.json"), &serde_json::to_vec(json).unwrap())
        };
        let loaded = load(&json).unwrap();
        assert_eq!(loaded.space().feature_config().min_count, 1);
        // Format 2 as written while `training` still repeated the minimum count.
        let mut repeated = json.clone();
        repeated["training"]["min_count"] = 3.into();
        assert_eq!(
            load(&repeated).unwrap().space().feature_config(),
            loaded.space().feature_config()
        );
        let mut v1 = json.clone();
        v1["format_version"] = 1.into();
        v1.as_object_mut().unwrap().remove("features");
        v1["analyzer"]["ngrams"] = 1.into();
        v1["analyzer"]["weighting"] = "binary".into();
        v1["training"]["min_count"] = 3.into();
        let expected = FeatureConfig {
            ngrams: 1,
            weighting: Weighting::Binary,
            min_count: 3,
        };
        assert_eq!(*load(&v1).unwrap().space().feature_config(), expected);
        json["format_version"] = 1.into();
        let message = load(&json).unwrap_err().to_string();
        assert!(
            message.contains("format version 1 has no \"features\""),
            "{message}"
        );
        json["format_version"] = 2.into();
        json.as_object_mut().unwrap().remove("features");
        let message = load(&json).unwrap_err().to_string();
        assert!(message.contains("no \"features\" field"), "{message}");
    }

    #[test]
    fn save_refuses_symbolic_links_and_special_files() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.json");
        std::fs::write(&target, "keep").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        // A named pipe for a special file: a regression must not replace a device.
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let m = model();
        for path in [link.as_path(), fifo.as_path(), dir.path()] {
            match m.save(path) {
                Err(Error::Input { message, .. }) => assert!(
                    message.contains("symbolic link") || message.contains("not a regular file"),
                    "{message}"
                ),
                other => panic!("{}: {other:?}", path.display()),
            }
        }
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        // A regular file is replaced.
        m.save(&target).unwrap();
        assert!(Model::load(&target).is_ok());
    }
}
