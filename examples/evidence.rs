//! How sensible a model's evidence is on real news: the share of sentences whose top
//! evidence feature is a function word, an auxiliary, a weekday or a month (or a pair
//! of stems made only of those), overall and among the sentences labeled as acts.
//!
//! `cargo run --release --example evidence -- MODEL [DATA]` (DATA: data/test/real)

use anyhow::Context;
use demarche::analyze::is_empty_term;
use demarche::dataset::Dataset;
use demarche::eval::metrics::EmptyEvidence;
use demarche::Model;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let model_path = args.next().context("usage: evidence MODEL [DATA]")?;
    let data_path = args.next().unwrap_or_else(|| "data/test/real".into());
    let model = Model::load(std::path::Path::new(&model_path))?;
    let data = Dataset::load(&[&data_path])?;
    let counts = EmptyEvidence::measure(&model, data.records().map(|r| r.text.as_str()));
    println!("model {model_path}, data {data_path}");
    println!(
        "top evidence an empty word: {} of {} sentences ({:.1} %)",
        counts.empty,
        counts.sentences,
        100.0 * counts.share()
    );
    println!(
        "among sentences predicted as acts: {} of {} ({:.1} %)",
        counts.acts_empty,
        counts.acts,
        100.0 * counts.acts_share()
    );
    let mut classifier = model.classifier();
    let examples = data.records().filter_map(|r| {
        let (prediction, evidence) = classifier.explain(&r.text, 1);
        let top = evidence.first()?;
        (prediction.label.is_act() && is_empty_term(&top.stem)).then(|| {
            (
                top.stem.clone(),
                r.text.chars().take(90).collect::<String>(),
            )
        })
    });
    for (stem, text) in examples.take(8) {
        println!("  {stem:<14} {text}");
    }
    Ok(())
}
