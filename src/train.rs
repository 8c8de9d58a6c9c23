//! Fitting: labeled records → feature space → linfa-logistic → [`Model`].

use linfa::prelude::*;
use linfa_logistic::MultiLogisticRegression;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::analyze::AnalyzerConfig;
use crate::dataset::{fingerprint, label_counts, Record};
use crate::error::{Error, Result};
use crate::features::{FeatureSpace, SparseVector};
use crate::label::Label;
use crate::model::{Model, TrainingInfo};

/// Everything that decides a fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Text → features.
    pub analyzer: AnalyzerConfig,
    /// Minimum number of training sentences a term must occur in.
    pub min_count: usize,
    /// L2 strength (linfa-logistic's `alpha`; about 1/C in scikit-learn's terms).
    pub l2: f64,
    /// L-BFGS iteration cap.
    pub max_iterations: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            analyzer: AnalyzerConfig::default(),
            min_count: 2,
            // Chosen by `train --tune` (grouped cross-validation on data/train).
            l2: 0.03,
            max_iterations: 200,
        }
    }
}

impl TrainConfig {
    /// Checks ranges.
    pub fn validate(&self) -> Result<()> {
        self.analyzer.validate()?;
        if !(self.l2.is_finite() && self.l2 > 0.0) {
            return Err(Error::Config(format!("l2 must be > 0, not {}", self.l2)));
        }
        if self.max_iterations == 0 {
            return Err(Error::Config("max_iterations must be ≥ 1".into()));
        }
        Ok(())
    }
}

/// Sparse rows of `records` under `space`.
pub fn featurize_all(space: &FeatureSpace, records: &[&Record]) -> Vec<SparseVector> {
    let mut featurizer = space.featurizer();
    records
        .iter()
        .map(|r| {
            let mut row = SparseVector::default();
            featurizer.featurize(&r.text, &mut row);
            row
        })
        .collect()
}

/// The dense matrix linfa needs, built only at this boundary.
pub fn densify(rows: &[SparseVector], n_features: usize) -> Array2<f64> {
    let mut x = Array2::zeros((rows.len(), n_features));
    for (i, row) in rows.iter().enumerate() {
        for (&id, &v) in row.indices.iter().zip(&row.values) {
            x[[i, id as usize]] = v;
        }
    }
    x
}

/// Fits a model on `records`; `data_files` is recorded as provenance. Every label
/// must have at least one training sentence.
pub fn train(config: &TrainConfig, records: &[&Record], data_files: &[String]) -> Result<Model> {
    config.validate()?;
    let counts = label_counts(records.iter().copied());
    if let Some(missing) = Label::ALL.iter().find(|l| counts[l.index()] == 0) {
        return Err(Error::Training(format!(
            "no training sentence is labeled {missing}: every label needs examples (counts: {})",
            Label::ALL
                .iter()
                .map(|l| format!("{l} {}", counts[l.index()]))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let space = FeatureSpace::learn(
        &config.analyzer,
        records.iter().map(|r| r.text.as_str()),
        config.min_count,
    )?;
    if space.is_empty() {
        return Err(Error::Training(format!(
            "no term occurs in at least {} sentences: lower --min-count or add data",
            config.min_count
        )));
    }
    let rows = featurize_all(&space, records);
    let x = densify(&rows, space.len());
    let y: Array1<usize> = records.iter().map(|r| r.label.index()).collect();
    let dataset = Dataset::new(x, y);
    let fitted = MultiLogisticRegression::default()
        .alpha(config.l2)
        .max_iterations(config.max_iterations)
        .fit(&dataset)
        .map_err(|e| Error::Training(format!("linfa-logistic: {e}")))?;
    if fitted.classes() != [0, 1, 2, 3, 4] {
        return Err(Error::Training(format!(
            "linfa-logistic returned classes {:?}, expected the five labels",
            fitted.classes()
        )));
    }
    let params = fitted.params();
    let weights: Vec<f64> = params.iter().copied().collect();
    let mut intercepts = [0.0; Label::COUNT];
    for (slot, &b) in intercepts.iter_mut().zip(fitted.intercept()) {
        *slot = b;
    }
    let info = TrainingInfo {
        l2: config.l2,
        max_iterations: config.max_iterations,
        min_count: config.min_count,
        sentences: records.len(),
        per_label: Label::ALL.iter().map(|&l| (l, counts[l.index()])).collect(),
        data_sha256: fingerprint(records.iter().copied()),
        data_files: data_files.to_vec(),
        training_accuracy: 0.0,
        tuning: None,
    };
    let mut model = Model::new(space, weights, intercepts, info)?;
    let correct = rows
        .iter()
        .zip(records)
        .filter(|(row, r)| model.predict_row(row).label == r.label)
        .count();
    model.training_mut().training_accuracy = correct as f64 / records.len() as f64;
    Ok(model)
}
