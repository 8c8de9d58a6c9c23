//! Where an evaluation's model and data came from, for the HTML report.

use std::collections::BTreeMap;

use crate::analyze::AnalyzerConfig;
use crate::dataset::{fingerprint, Record};
use crate::features::FeatureConfig;
use crate::model::Model;
use crate::train::TrainConfig;

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
        let mut settings = feature_settings(model.config(), model.space().feature_config());
        settings.insert("l2".into(), crate::train::Setting(t.l2).to_string());
        settings.insert("max_iterations".into(), t.max_iterations.to_string());
        if let Some(c) = &t.convergence {
            settings.insert("lbfgs_memory".into(), c.lbfgs_memory.to_string());
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
        let mut settings = feature_settings(&config.analyzer, &config.features);
        settings.insert("l2".into(), crate::train::Setting(config.l2).to_string());
        settings.insert("max_iterations".into(), config.max_iterations.to_string());
        settings.insert("solver".into(), config.solver.to_string());
        if config.solver == crate::train::Solver::Sparse {
            settings.insert("lbfgs_memory".into(), config.lbfgs_memory.to_string());
        }
        Provenance {
            training_sha256: fingerprint(training.iter().copied()),
            training_sentences: training.len(),
            training_files: Vec::new(),
            settings,
            test_sha256: fingerprint(tested.iter().copied()),
        }
    }
}

fn feature_settings(a: &AnalyzerConfig, f: &FeatureConfig) -> BTreeMap<String, String> {
    [
        ("stemmer", a.stemmer.clone()),
        ("negation", a.negation.to_string()),
        ("negation_window", a.negation_window.to_string()),
        ("ngrams", f.ngrams.to_string()),
        ("weighting", f.weighting.to_string()),
        ("min_count", f.min_count.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}
