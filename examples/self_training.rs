//! Self-training on unlabeled news (`train --self-train`), measured by the real CV.
//!
//! For each fold of the grouped 5-fold CV over the real training articles, the
//! defaults are fitted on the fold's training side twice: as they are, and through
//! `demarche::train::self_train` with the sentences of `../shared/corpora` that are
//! not labeled, leaving out every article of the test split and of the fold's
//! held-out articles. Both predict the held-out fold; the CV macro-F1 is scored as the
//! ablation scores it, with the best none bias for every real sentence (variants are
//! compared by this) and for whole articles.
//!
//! `cargo run --release --example self_training -- [MIN_PROBABILITY WEIGHT]`
//! (default: the defaults of `train --self-train`)

use std::collections::HashSet;

use demarche::dataset::{Dataset, Record};
use demarche::eval::baseline::predict_all;
use demarche::model::Prediction;
use demarche::segment::sentences;
use demarche::train::cv::{cv_folds, run_parallel};
use demarche::train::tune::{best_none_bias, natural_mix};
use demarche::train::{
    self_train, train, SelfTraining, TrainConfig, SELF_TRAINING_MIN_PROBABILITY,
    SELF_TRAINING_WEIGHT,
};

const FOLDS: usize = 5;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let min_probability: f64 = args
        .first()
        .map_or(Ok(SELF_TRAINING_MIN_PROBABILITY), |a| a.parse())?;
    let weight: f64 = args
        .get(1)
        .map_or(Ok(SELF_TRAINING_WEIGHT), |a| a.parse())?;
    let train_data = Dataset::load(&["data/train"])?;
    let test_data = Dataset::load(&["data/test"])?;
    let all: Vec<&Record> = train_data.records().collect();
    let test_articles: HashSet<&str> = test_data
        .records()
        .filter_map(|r| r.source.as_deref())
        .collect();
    let labeled_texts: HashSet<&str> = train_data
        .records()
        .chain(test_data.records())
        .map(|r| r.text.as_str())
        .collect();
    #[derive(serde::Deserialize)]
    struct Article {
        url: String,
        text: String,
    }
    // (article, sentence) for every sentence of the corpora not labeled and not from a
    // test article.
    let mut pool: Vec<(String, String)> = Vec::new();
    for file in [
        "../shared/corpora/wikinews-fr/articles.jsonl",
        "../shared/corpora/orangesum-politique/articles.jsonl",
    ] {
        for line in std::fs::read_to_string(file)?.lines() {
            let article: Article = serde_json::from_str(line)?;
            if test_articles.contains(article.url.as_str()) {
                continue;
            }
            for sentence in sentences(&article.text) {
                if !labeled_texts.contains(sentence) {
                    pool.push((article.url.clone(), sentence.to_string()));
                }
            }
        }
    }
    eprintln!("{} unlabeled sentences", pool.len());
    let config = TrainConfig::default();
    let folds = cv_folds(&all, FOLDS)?;
    let outputs = run_parallel(FOLDS, 2, |f| {
        let training: Vec<&Record> = all
            .iter()
            .zip(&folds)
            .filter(|(_, fold)| **fold != Some(f))
            .map(|(r, _)| *r)
            .collect();
        let held_out: Vec<usize> = (0..all.len()).filter(|&i| folds[i] == Some(f)).collect();
        let held: Vec<&Record> = held_out.iter().map(|&i| all[i]).collect();
        let held_articles: HashSet<&str> =
            held.iter().filter_map(|r| r.source.as_deref()).collect();
        let unlabeled: Vec<String> = pool
            .iter()
            .filter(|(url, _)| !held_articles.contains(url.as_str()))
            .map(|(_, s)| s.clone())
            .collect();
        let self_training = SelfTraining {
            min_probability,
            weight,
            ..SelfTraining::new(unlabeled)
        };
        let plain = train(&config, &training, &[])?;
        let base = predict_all(&mut plain.classifier(), &held);
        let self_trained = self_train(&config, &training, &[], &self_training)?;
        let with_pseudo = predict_all(&mut self_trained.classifier(), &held);
        if let Some(info) = &self_trained.training().self_training {
            eprintln!(
                "fold {f}: kept {} of {} unlabeled sentences {:?}",
                info.kept.values().sum::<usize>(),
                info.unlabeled_sentences,
                info.kept
            );
        }
        Ok((held_out, base, with_pseudo))
    })?;
    let mut rows: Vec<(usize, Prediction, Prediction)> = Vec::new();
    for (held_out, base, with_pseudo) in outputs {
        for ((i, b), p) in held_out.into_iter().zip(base).zip(with_pseudo) {
            rows.push((i, b, p));
        }
    }
    rows.sort_by_key(|(i, _, _)| *i);
    let records: Vec<&Record> = rows.iter().map(|(i, _, _)| all[*i]).collect();
    for (name, predictions) in [
        ("defaults", rows.iter().map(|r| r.1).collect::<Vec<_>>()),
        ("self-trained", rows.iter().map(|r| r.2).collect()),
    ] {
        // The models carry the default none bias; the shift found is on top of it.
        let (every_shift, every) = best_none_bias(&records, &predictions);
        let (natural, natural_predictions) = natural_mix(records.clone(), predictions);
        let (shift, whole) = best_none_bias(&natural, &natural_predictions);
        let bias = |s: f64| config.none_bias + s;
        println!(
            "{name} (min probability {min_probability}, weight {weight}): real CV {every:.4} (bias {}), whole articles {whole:.4} (bias {})",
            bias(every_shift),
            bias(shift)
        );
    }
    Ok(())
}
