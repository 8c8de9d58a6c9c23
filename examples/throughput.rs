//! In-process labeling throughput, measured the way the peer script measures the
//! Python libraries: model loaded, sentences in memory, one thread.
//!
//! ```sh
//! cargo run --release --example throughput -- MODEL SENTENCES.txt [ROUNDS] [FORMAT]
//! ```
//!
//! Prints the best round's rate in sentences per second, and a checksum (every
//! round must give the same one): with no FORMAT, `Classifier::label` on each
//! sentence and the label histogram; with FORMAT `label` or `jsonl`, what
//! `classify --input lines --format FORMAT --threads 1` writes (reader and writer
//! included, output kept in memory) and the number of output bytes.

use std::time::Instant;

use anyhow::{bail, Context};
use demarche::stream::{classify_sources, InputFormat, Options, OutputFormat, Source};
use demarche::{Label, Model};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 || args.iter().any(|a| a == "--help" || a == "-h") {
        bail!(
            "usage: throughput MODEL SENTENCES.txt [ROUNDS] [label|jsonl]  (one sentence per line)"
        );
    }
    let model = Model::load(args[0].as_ref())?;
    let text = std::fs::read_to_string(&args[1]).with_context(|| args[1].clone())?;
    let sentences: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let rounds: usize = match args.get(2) {
        Some(r) => r.parse().context("ROUNDS must be a number")?,
        None => 5,
    };
    let output = match args.get(3).map(String::as_str) {
        None => None,
        Some("label") => Some(OutputFormat::Label),
        Some("jsonl") => Some(OutputFormat::Jsonl),
        Some(other) => bail!("FORMAT must be label or jsonl, not {other:?}"),
    };
    if sentences.is_empty() {
        bail!("{}: no sentences", args[1]);
    }
    let mut classifier = model.classifier();
    let sources = [Source::File(args[1].clone().into())];
    let mut out = Vec::new();
    let mut best = f64::INFINITY;
    let mut checksum: Option<[usize; Label::COUNT]> = None;
    for _ in 0..rounds.max(1) {
        let started = Instant::now();
        let mut histogram = [0usize; Label::COUNT];
        match output {
            None => {
                for s in &sentences {
                    histogram[classifier.label(s).index()] += 1;
                }
            }
            Some(output) => {
                let options = Options {
                    input: Some(InputFormat::Lines),
                    output,
                    threads: 1,
                    ..Options::default()
                };
                out.clear();
                classify_sources(&model, &sources, &options, &mut out)?;
                histogram[0] = out.len();
            }
        }
        best = best.min(started.elapsed().as_secs_f64());
        if checksum.is_some_and(|c| c != histogram) {
            bail!("rounds disagree: {checksum:?} then {histogram:?}");
        }
        checksum = Some(histogram);
    }
    println!(
        "{} sentences, best of {} rounds {:.3} s: {:.0} sentences/s; {} {:?}",
        sentences.len(),
        rounds.max(1),
        best,
        sentences.len() as f64 / best,
        if output.is_some() {
            "output bytes"
        } else {
            "labels"
        },
        checksum.unwrap_or_default()
    );
    Ok(())
}
