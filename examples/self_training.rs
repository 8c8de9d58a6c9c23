//! Self-training on unlabeled news (`train --self-train`), measured by the real CV.
//!
//! For each fold of the grouped 5-fold CV over the real training articles, the
//! defaults are fitted on the fold's training side twice: as they are, and through
//! `demarche::train::self_train` with the sentences of `../shared/corpora` that are
//! not labeled, leaving out every article of the test split and of the fold's
//! held-out articles. Both predict the held-out fold; the CV macro-F1 is scored as the
//! ablation scores it, with the best none bias for every real sentence (variants are
//! compared by this) and for whole articles. Then, for reporting only, the real test
//! macro-F1 of both fitted on all of `data/train` (the self-trained one on every
//! sentence of the pool), each with the none bias chosen on whole articles.
//!
//! `cargo run --release --example self_training -- [MIN_PROBABILITY WEIGHT]`
//! (default: the defaults of `train --self-train`)

use std::collections::HashSet;

use demarche::dataset::{Dataset, Record};
use demarche::eval::baseline::{predict_all, score};
use demarche::model::Prediction;
use demarche::segment::sentences;
use demarche::train::cv::{cv_folds, fold_sides, run_parallel};
use demarche::train::tune::{best_none_bias, natural_mix, shift_none};
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
        let (held_out, training) = fold_sides(&all, &folds, f);
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
    let real_test = Dataset::load(&["data/test/real"])?;
    let real_test: Vec<&Record> = real_test.records().collect();
    let everything = SelfTraining {
        min_probability,
        weight,
        ..SelfTraining::new(pool.iter().map(|(_, s)| s.clone()).collect())
    };
    for (name, predictions) in [
        ("defaults", rows.iter().map(|r| r.1).collect::<Vec<_>>()),
        ("self-trained", rows.iter().map(|r| r.2).collect()),
    ] {
        // The models carry the default none bias; the shift found is on top of it.
        let (every_shift, every) = best_none_bias(&records, &predictions);
        let predictions_kept = predictions.clone();
        let (natural, natural_predictions) = natural_mix(records.clone(), predictions);
        let (shift, whole) = best_none_bias(&natural, &natural_predictions);
        let bias = |s: f64| config.none_bias + s;
        let model = if name == "defaults" {
            train(&config, &all, &[])?
        } else {
            self_train(&config, &all, &[], &everything)?
        };
        let test_predictions: Vec<Prediction> = predict_all(&mut model.classifier(), &real_test)
            .iter()
            .map(|p| shift_none(p, shift))
            .collect();
        let test = score(&real_test, &test_predictions).macro_f1;
        // Each corpus on its own (the pool is almost all OrangeSum: every Wikinews
        // sentence is labeled already): the CV at the shift chosen on every real
        // sentence, the test at the one chosen on whole articles, as above.
        for corpus in ["wn-", "os-"] {
            let (mine, theirs): (Vec<&Record>, Vec<Prediction>) = records
                .iter()
                .zip(&predictions_kept)
                .filter(|(r, _)| r.id.starts_with(corpus))
                .map(|(r, p)| (*r, shift_none(p, every_shift)))
                .unzip();
            let (test_mine, test_theirs): (Vec<&Record>, Vec<Prediction>) = real_test
                .iter()
                .zip(&test_predictions)
                .filter(|(r, _)| r.id.starts_with(corpus))
                .map(|(r, p)| (*r, *p))
                .unzip();
            println!(
                "  {name}, {corpus}: real CV {:.4} on {} sentences; real test {:.4} on {}",
                score(&mine, &theirs).macro_f1,
                mine.len(),
                score(&test_mine, &test_theirs).macro_f1,
                test_mine.len()
            );
        }
        println!(
            "{name} (min probability {min_probability}, weight {weight}): real CV {every:.4} (bias {}), whole articles {whole:.4} (bias {}); real test {test:.4} with that bias",
            bias(every_shift),
            bias(shift)
        );
    }
    Ok(())
}
