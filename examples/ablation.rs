//! The ablation table of the README: each variant of the training recipe, its
//! macro-F1 by grouped 5-fold cross-validation over the real training articles (the
//! figure variants are chosen by), and, for reporting only, its macro-F1 on the real
//! test split when trained on all of `data/train`.
//!
//! `cargo run --release --example ablation [-- VARIANT…]`

use demarche::analyze::Weighting;
use demarche::dataset::{unlabeled_sentences, Dataset, Record};
use demarche::eval::baseline::{predict_all, score};
use demarche::eval::metrics::EmptyEvidence;
use demarche::model::Prediction;
use demarche::train::cv::{is_real, out_of_fold};
use demarche::train::tune::{best_none_bias, shift_none};
use demarche::train::{train, TrainConfig, UnlabeledText};

/// `text` with ` cadremodal` when it holds an obligation or modal frame and
/// ` cadreattribution` when it holds an attribution frame (lowercase word patterns).
fn with_frames(text: &str) -> String {
    const MODAL: &[&str] = &[
        " doit ",
        " doivent ",
        " devra ",
        " devront ",
        " devrait ",
        " devraient ",
        " faut ",
        " faudra ",
        " faudrait ",
        " il est nécessaire ",
        " il est indispensable ",
        " il importe ",
    ];
    const ATTRIBUTION: &[&str] = &[
        " a déclaré ",
        " a affirmé ",
        " a indiqué ",
        " a annoncé ",
        " a dit ",
        " a estimé ",
        " a souligné ",
        " a assuré ",
        " a ajouté ",
        " a expliqué ",
        " a averti ",
        " selon ",
        " d'après ",
        " déclare ",
        " affirme ",
        " estime ",
        " souligne ",
        " assure ",
    ];
    // Words between single spaces, whatever the punctuation around them.
    let words: String = text
        .to_lowercase()
        .chars()
        .map(|c| match c {
            '’' | '\'' => '\'',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .collect();
    let lower = format!(
        " {} ",
        words.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    let mut out = text.to_string();
    if MODAL.iter().any(|p| lower.contains(p)) {
        out.push_str(" cadremodal");
    }
    if ATTRIBUTION.iter().any(|p| lower.contains(p)) {
        out.push_str(" cadreattribution");
    }
    out
}

/// Every sentence of the articles of `../shared/corpora` that have no sentence in
/// `test`: the unlabeled news the idf variant counts.
fn unlabeled_news(test: &[&Record]) -> anyhow::Result<UnlabeledText> {
    let held_out = test.iter().filter_map(|r| r.source.clone()).collect();
    let sentences = unlabeled_sentences(&["../shared/corpora"], &held_out)?;
    eprintln!("{} unlabeled sentences", sentences.len());
    Ok(UnlabeledText(std::sync::Arc::new(sentences)))
}

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
    let unlabeled = unlabeled_news(&test)?;
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
    // Obligation and attribution frames as one pseudo-word each, appended to the
    // sentence: do frames shared across verbs and topics transfer better than the
    // stems and pairs that already hold them?
    let marked_train: Vec<Record> = all
        .iter()
        .map(|r| Record {
            text: with_frames(&r.text),
            ..(*r).clone()
        })
        .collect();
    let marked_train: Vec<&Record> = marked_train.iter().collect();
    let marked_test: Vec<Record> = test
        .iter()
        .map(|r| Record {
            text: with_frames(&r.text),
            ..(*r).clone()
        })
        .collect();
    let marked_test: Vec<&Record> = marked_test.iter().collect();
    let variants: Vec<(&str, TrainConfig, bool)> = vec![
        (
            "defaults (l2 0.01, verbs folded, empty words muted), real + constructed",
            base.clone(),
            false,
        ),
        ("verbs not folded", with(&|c| c.fold_verbs = false), false),
        (
            "empty words not muted",
            with(&|c| c.mute_empty_words = false),
            false,
        ),
        (
            "neither (the former defaults)",
            with(&|c| {
                c.fold_verbs = false;
                c.mute_empty_words = false;
            }),
            false,
        ),
        ("real only", base.clone(), true),
        (
            "constructed weight 0.3",
            with(&|c| c.constructed_weight = 0.3),
            false,
        ),
        ("l2 0.003", with(&|c| c.l2 = 0.003), false),
        ("l2 0.03", with(&|c| c.l2 = 0.03), false),
        ("min count 1", with(&|c| c.features.min_count = 1), false),
        ("min count 3", with(&|c| c.features.min_count = 3), false),
        (
            "binary",
            with(&|c| c.features.weighting = Weighting::Binary),
            false,
        ),
        ("unigrams", with(&|c| c.features.ngrams = 1), false),
        ("acts weighted 3", base.clone(), false),
        ("frame markers", base.clone(), false),
        (
            "idf from unlabeled news",
            with(&|c| c.idf_text = Some(unlabeled.clone())),
            false,
        ),
        (
            "idf from unlabeled news, min count 1",
            with(&|c| {
                c.idf_text = Some(unlabeled.clone());
                c.features.min_count = 1;
            }),
            false,
        ),
    ];
    println!("| variant | real CV macro-F1 | + none bias (CV-chosen) | real test macro-F1 | real test, with that bias | acts decided by an empty word (real test) |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, config, only_real) in variants {
        if !wanted.is_empty() && !wanted.iter().any(|w| name.contains(w.as_str())) {
            continue;
        }
        let records = if only_real {
            &real_only
        } else if name.starts_with("acts weighted") {
            &weighted
        } else if name.starts_with("frame markers") {
            &marked_train
        } else {
            &all
        };
        let test = if name.starts_with("frame markers") {
            &marked_test
        } else {
            &test
        };
        let (scored, predictions) = out_of_fold(&config, records, 5, 2)?;
        let scored_records: Vec<&Record> = scored.iter().map(|&i| records[i]).collect();
        let cv = score(&scored_records, &predictions).macro_f1;
        let (bias, cv_biased) = best_none_bias(&scored_records, &predictions);
        let model = train(&config, records, &[])?;
        let test_predictions = predict_all(&mut model.classifier(), test);
        let test_f1 = score(test, &test_predictions).macro_f1;
        let shifted: Vec<Prediction> = test_predictions
            .iter()
            .map(|p| shift_none(p, bias))
            .collect();
        let test_biased = score(test, &shifted).macro_f1;
        // Evidence as users would see it: from the model with its bias.
        let biased = TrainConfig {
            none_bias: bias,
            ..config.clone()
        };
        let biased_model = train(&biased, records, &[])?;
        let empty = EmptyEvidence::measure(&biased_model, test.iter().map(|r| r.text.as_str()));
        println!(
            "| {name} | {cv:.3} | {cv_biased:.3} (bias {bias}) | {test_f1:.3} | {test_biased:.3} | {:.1} % |",
            100.0 * empty.acts_share()
        );
    }
    Ok(())
}
