//! How sensible a model's evidence is on real news: the share of sentences whose top
//! evidence feature is a function word, an auxiliary, a weekday or a month (or a pair
//! of stems made only of those), overall and among the sentences labeled as acts.
//!
//! `cargo run --release --example evidence -- MODEL [DATA]` (DATA: data/test/real)

use anyhow::Context;
use demarche::dataset::Dataset;
use demarche::Model;

/// Snowball stems of French function words, auxiliaries and their common forms,
/// weekdays and months: words that carry no act.
const EMPTY_STEMS: &[&str] = &[
    // articles, prepositions, conjunctions, pronouns
    "le", "la", "les", "l", "un", "une", "de", "du", "des", "d", "à", "au", "aux", "en", "dan",
    "sur", "pour", "par", "avec", "et", "ou", "mais", "que", "qu", "qui", "ce", "cet", "se", "s",
    "il", "ils", "elle", "elles", "on", "nous", "vous", "je", "j", "leur", "son", "sa", "ses",
    "lui", "y", "ne", "n", "a", "ont", "est", "sont", "été", "être", "avoir", "avait", "aval",
    "sera", "seront", "fait", "plus", "pas", "tout", "tous", "comm", "lor", "selon", "apres",
    "après", "avant", "entre", "sous", "contr", "depuis", "ainsi", "aussi", "alor", "donc", "car",
    "si", "déjà", "encor", "mêm", "autr", "cel", "ceux", // weekdays
    "lund", "mard", "mercred", "jeud", "vendred", "samed", "dimanch", // months
    "janvi", "févri", "mar", "avril", "mai", "juin", "juillet", "août", "septembr", "octobr",
    "novembr", "décembr",
];

fn empty(feature: &str) -> bool {
    let feature = feature.strip_prefix("NOT_").unwrap_or(feature);
    feature
        .split(' ')
        .all(|part| EMPTY_STEMS.contains(&part.strip_prefix("NOT_").unwrap_or(part)))
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let model_path = args.next().context("usage: evidence MODEL [DATA]")?;
    let data_path = args.next().unwrap_or_else(|| "data/test/real".into());
    let model = Model::load(std::path::Path::new(&model_path))?;
    let data = Dataset::load(&[&data_path])?;
    let mut classifier = model.classifier();
    let (mut n, mut n_empty, mut acts, mut acts_empty) = (0, 0, 0, 0);
    let mut examples: Vec<(String, String)> = Vec::new();
    for r in data.records() {
        let (prediction, evidence) = classifier.explain(&r.text, 1);
        let Some(top) = evidence.first() else {
            continue;
        };
        n += 1;
        let is_empty = empty(&top.stem);
        n_empty += is_empty as usize;
        if prediction.label.is_act() {
            acts += 1;
            acts_empty += is_empty as usize;
            if is_empty && examples.len() < 8 {
                examples.push((top.stem.clone(), r.text.chars().take(90).collect()));
            }
        }
    }
    println!("model {model_path}, data {data_path}");
    println!(
        "top evidence an empty word: {n_empty} of {n} sentences ({:.1} %)",
        100.0 * n_empty as f64 / n.max(1) as f64
    );
    println!(
        "among sentences predicted as acts: {acts_empty} of {acts} ({:.1} %)",
        100.0 * acts_empty as f64 / acts.max(1) as f64
    );
    for (stem, text) in examples {
        println!("  {stem:<14} {text}");
    }
    Ok(())
}
