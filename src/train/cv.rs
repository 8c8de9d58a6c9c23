//! Grouped K-fold cross-validation, as tuning and evaluation both run it: which
//! records go to which fold, a fit per fold on the others, and the folds' fits run
//! at once on rayon's threads.
//!
//! The groups ([`Record::group`]: a seed article or a constructed topic batch) are
//! dealt to folds by [`group_folds`], so that no group is on both sides. When the
//! records hold real news, only the real articles are dealt and scored ([`cv_folds`]).

use std::collections::BTreeMap;

use crate::dataset::{group_folds, Record};
use crate::error::{Error, Result};
use crate::eval::baseline::predict_all;
use crate::model::{Model, Prediction};
use crate::train::{train, TrainConfig};

use super::tune::Candidate;

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

/// Runs `job(i)` for `i` in `0..jobs` on a rayon pool of up to `threads` threads;
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

/// One fold's held-out records and the model's predictions for them.
pub(crate) struct FoldOutput {
    /// Indices, in the records cross-validated, of the held-out records.
    pub test: Vec<usize>,
    /// The model's prediction for each of them.
    pub predictions: Vec<Prediction>,
    /// Training sentences.
    pub train: usize,
    /// The model fitted on the other folds, kept to explain its mistakes and to
    /// give the fold's majority label.
    pub model: Model,
}

/// Trains on every fold but `fold` (and on the records in no fold) and predicts `fold`.
pub(crate) fn run_fold(
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
        predictions: predict_all(&mut model.classifier(), &test_records),
        train: train_records.len(),
        test,
        model,
    })
}

/// Fold `f`'s two sides: the indices of the records it holds out (in order) and the
/// records that train it (every record dealt to another fold or to none).
pub fn fold_sides<'r>(
    records: &[&'r Record],
    folds: &[Option<usize>],
    f: usize,
) -> (Vec<usize>, Vec<&'r Record>) {
    let held_out = (0..records.len())
        .filter(|&i| folds[i] == Some(f))
        .collect();
    let training = records
        .iter()
        .zip(folds)
        .filter(|(_, fold)| **fold != Some(f))
        .map(|(r, _)| *r)
        .collect();
    (held_out, training)
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

#[cfg(test)]
mod tests {
    use super::*;

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
