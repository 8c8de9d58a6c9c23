//! The ablation table of the README: each variant of the training recipe, its
//! macro-F1 by grouped 5-fold cross-validation over the real training articles (the
//! figure variants are chosen by), and, for reporting only, its macro-F1 on the real
//! test split when trained on all of `data/train`.
//!
//! `cargo run --release --example ablation [-- VARIANT…]`

use demarche::analyze::Weighting;
use demarche::dataset::{Dataset, Record};
use demarche::eval::baseline::{predict_all, score};
use demarche::model::Prediction;
use demarche::train::cv::{is_real, out_of_fold};
use demarche::train::tune::{best_none_bias, shift_none};
use demarche::train::{train, TrainConfig};

fn main() -> anyhow::Result<()> {
    let wanted: Vec<String> = std::env::args().skip(1).collect();
    let train_data = Dataset::load(&["data/train"])?;
    let test_data = Dataset::load(&["data/test/real"])?;
    let all: Vec<&Record> = train_data.records().collect();
    let real_only: Vec<&Record> = all.iter().copied().filter(|r| is_real(r)).collect();
    let test: Vec<&Record> = test_data.records().collect();
    // The defaults without their none bias: each variant's bias is chosen on its own
    // out-of-fold predictions.
    let base = TrainConfig {
        none_bias: 0.0,
        ..TrainConfig::default()
    };
    let with = |change: &dyn Fn(&mut TrainConfig)| {
        let mut c = base.clone();
        change(&mut c);
        c
    };
    // Acts count three times as much as `none` in the fit (class weights).
    let weighted: Vec<Record> = all
        .iter()
        .map(|r| Record {
            weight: r.label.is_act().then_some(3.0),
            ..(*r).clone()
        })
        .collect();
    let weighted: Vec<&Record> = weighted.iter().collect();
    let variants: Vec<(&str, TrainConfig, bool)> = vec![
        (
            "defaults (l2 0.01), real + constructed",
            base.clone(),
            false,
        ),
        (
            "l2 0.03 (the former default)",
            with(&|c| c.l2 = 0.03),
            false,
        ),
        ("real only", base.clone(), true),
        (
            "constructed weight 0.3",
            with(&|c| c.constructed_weight = 0.3),
            false,
        ),
        (
            "constructed weight 0.1",
            with(&|c| c.constructed_weight = 0.1),
            false,
        ),
        ("l2 0.1", with(&|c| c.l2 = 0.1), false),
        ("l2 0.3", with(&|c| c.l2 = 0.3), false),
        ("fold verbs", with(&|c| c.fold_verbs = true), false),
        ("min count 1", with(&|c| c.min_count = 1), false),
        ("min count 3", with(&|c| c.min_count = 3), false),
        (
            "binary",
            with(&|c| c.analyzer.weighting = Weighting::Binary),
            false,
        ),
        ("unigrams", with(&|c| c.analyzer.ngrams = 1), false),
        ("acts weighted 3", base.clone(), false),
    ];
    println!("| variant | real CV macro-F1 | + none bias (CV-chosen) | real test macro-F1 | real test, with that bias |");
    println!("|---|---:|---:|---:|---:|");
    for (name, config, only_real) in variants {
        if !wanted.is_empty() && !wanted.iter().any(|w| name.contains(w.as_str())) {
            continue;
        }
        let records = if only_real {
            &real_only
        } else if name.starts_with("acts weighted") {
            &weighted
        } else {
            &all
        };
        let (scored, predictions) = out_of_fold(&config, records, 5, 2)?;
        let scored_records: Vec<&Record> = scored.iter().map(|&i| records[i]).collect();
        let cv = score(&scored_records, &predictions).macro_f1;
        let (bias, cv_biased) = best_none_bias(&scored_records, &predictions);
        let model = train(&config, records, &[])?;
        let test_predictions = predict_all(&mut model.classifier(), &test);
        let test_f1 = score(&test, &test_predictions).macro_f1;
        let shifted: Vec<Prediction> = test_predictions
            .iter()
            .map(|p| shift_none(p, bias))
            .collect();
        let test_biased = score(&test, &shifted).macro_f1;
        println!(
            "| {name} | {cv:.3} | {cv_biased:.3} (bias {bias}) | {test_f1:.3} | {test_biased:.3} |"
        );
    }
    Ok(())
}
