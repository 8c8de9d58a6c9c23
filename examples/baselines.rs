//! Writes the predictions of the two baselines of `evaluate` as JSONL, in the format
//! `evaluate --predictions` reads (`{"id": …, "label": …}`, no probabilities), so that
//! they can stand in the benchmark beside any other system (see BENCHMARK.md).
//!
//! * `majority`: the most frequent label of the training data
//!   ([`demarche::eval::baseline::majority_label`] over `--train`);
//! * `cue-rule`: [`demarche::eval::CueRule`], the French cue words of
//!   [`demarche::eval::baseline::CUES`] (nothing is learnt; `--train` is not read).
//!
//! ```sh
//! cargo run --release --example baselines -- majority --train data/train data/test/real > majority-real.jsonl
//! cargo run --release --example baselines -- cue-rule data/test/seeds.jsonl > cue-rule-seeds.jsonl
//! ```

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Parser, ValueEnum};
use demarche::dataset::{label_counts, Dataset};
use demarche::eval::baseline::{majority_label, CueRule};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Baseline {
    /// The most frequent label of --train, for every sentence.
    Majority,
    /// The first label with a French cue word in the sentence, else none.
    CueRule,
}

/// Predictions of evaluate's baselines for the sentences of labeled JSONL.
#[derive(Parser, Debug)]
#[command(name = "baselines")]
struct Args {
    /// Which baseline.
    #[arg(value_enum)]
    baseline: Baseline,
    /// Training data for the majority label: a JSONL file or a folder (repeatable).
    #[arg(long)]
    train: Vec<PathBuf>,
    /// The sentences to label: JSONL files or folders of them, records with an id.
    #[arg(required = true)]
    data: Vec<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let data = Dataset::load(&args.data)?;
    let mut predict: Box<dyn FnMut(&str) -> demarche::Label> = match args.baseline {
        Baseline::Majority => {
            if args.train.is_empty() {
                bail!("majority needs --train: the label is the training data's most frequent");
            }
            let train = Dataset::load(&args.train)?;
            let label = majority_label(&label_counts(train.records()));
            Box::new(move |_| label)
        }
        Baseline::CueRule => {
            let mut rule = CueRule::new();
            Box::new(move |text| rule.label(text))
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for record in data.records() {
        let line = serde_json::json!({"id": record.id, "label": predict(&record.text)});
        writeln!(out, "{line}").context("writing the predictions")?;
    }
    out.flush().context("writing the predictions")?;
    Ok(())
}
