//! Grouped K-fold cross-validation of the training protocol (`evaluate --cv K`):
//! the folds of [`crate::train::cv`], each scored with the model fitted on the
//! others and with the baselines of its training side.

use std::collections::{BTreeMap, HashMap};

use crate::dataset::Record;
use crate::error::{Error, Result};
use crate::eval::metrics::{mean_std, HEADLINES};
use crate::model::Prediction;
use crate::train::cv::{cv_folds, run_fold, run_parallel, FoldOutput, Progress, Silent};
use crate::train::TrainConfig;

use super::baseline::Majority;
use super::provenance::Provenance;
use super::{
    assemble, explain_mistakes, mistake_order, reports, with_baselines, CvSummary, Evaluation,
    FoldSummary, Spread, SYSTEMS,
};

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
    // Pooled out-of-fold predictions of every system, in SYSTEMS order.
    let mut pooled: [Vec<Option<Prediction>>; 3] =
        std::array::from_fn(|_| vec![None; records.len()]);
    let mut per_fold = Vec::new();
    let mut figures: Vec<[Vec<f64>; HEADLINES.len()]> =
        (0..SYSTEMS.len()).map(|_| Default::default()).collect();
    for (fold, out) in outputs.iter().enumerate() {
        let test_records: Vec<&Record> = out.test.iter().map(|&i| records[i]).collect();
        let predictions = with_baselines(
            &test_records,
            out.predictions.clone(),
            Majority::of_model(&out.model),
        );
        let mut fold_figures = BTreeMap::new();
        for (s, report) in reports(&test_records, &predictions).iter().enumerate() {
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
        for (system, fold_predictions) in pooled.iter_mut().zip(predictions) {
            for (&i, p) in out.test.iter().zip(fold_predictions) {
                system[i] = Some(p);
            }
        }
    }
    let unfold = |system: Vec<Option<Prediction>>| -> Result<Vec<Prediction>> {
        system
            .into_iter()
            .map(|p| p.ok_or_else(|| Error::Training("a sentence is in no fold".into())))
            .collect()
    };
    let [model, majority, cue_rule] = pooled;
    let predictions = [unfold(model)?, unfold(majority)?, unfold(cue_rule)?];
    let summary: BTreeMap<String, BTreeMap<String, Spread>> = SYSTEMS
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
        records,
        &predictions,
        errors,
    );
    // The comparison of a cross-validation gives the mean and spread over folds.
    for row in &mut evaluation.comparison {
        if let Some(s) = summary.get(&row.system) {
            row.accuracy = s["accuracy"].mean;
            row.macro_f1 = s["macro_f1"].mean;
            row.claim_f1 = s["claim_f1"].mean;
            row.accuracy_std = Some(s["accuracy"].std);
            row.macro_f1_std = Some(s["macro_f1"].std);
        }
    }
    evaluation.cv = Some(CvSummary {
        k,
        folds: per_fold,
        summary,
    });
    // Each mistake is explained by the model of the fold that made it.
    let order = mistake_order(records, &predictions[0], errors);
    for (mistake, i) in evaluation.errors.iter_mut().zip(order) {
        // `order` indexes the scored records; `folds` every record.
        let fold = folds[scored[i]].unwrap_or_default();
        explain_mistakes(&outputs[fold].model, std::slice::from_mut(mistake));
    }
    evaluation.provenance = Provenance::of_config(config, records, records);
    Ok(evaluation)
}
