//! `evaluate`: scores a model (or the training protocol) on labeled JSONL.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::bail;
use clap::Parser;
use demarche::cli::{BarProgress, TrainingFlags};
use demarche::dataset::Dataset;
use demarche::eval::report::ReportContext;
use demarche::eval::{
    cross_validate_with, evaluate_model, evaluate_predictions, read_predictions, training_overlap,
    transfer,
};
use demarche::model::DEFAULT_MODEL_PATH;
use demarche::train::Setting;

/// Score the demarche classifier on labeled JSONL sentences: accuracy, macro-F1,
/// per-label precision/recall/F1, confusion matrix, claim detection, lenient accuracy,
/// and two baselines (majority label, French cue words) on the same sentences.
///
/// Three protocols: a saved model (default), grouped K-fold cross-validation of the
/// training protocol (--cv K), or training on constructed sentences and testing on
/// real-news seed sentences (--transfer).
#[derive(Parser, Debug)]
#[command(
    name = "evaluate",
    version,
    about,
    long_about,
    after_long_help = "Examples:\n  \
    evaluate --model models/train-split.json --data data/test\n                                                score a model trained on data/train only\n  \
    evaluate --data data/train --cv 5             grouped 5-fold CV of the training protocol\n  \
    evaluate --data data/train --data data/test/seeds.jsonl --transfer\n                                                constructed → real news"
)]
struct Args {
    /// Model file to score (default: models/demarche.json). Not with --cv or --transfer.
    #[arg(long, conflicts_with_all = ["cv", "transfer"])]
    model: Option<PathBuf>,
    /// Score a predictions file (JSONL: "id", "label", optional "probabilities", as
    /// `classify` writes them) instead of a model: any system on the same splits.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["model", "cv", "transfer"])]
    predictions: Option<PathBuf>,
    /// Labeled data: a JSONL file or a folder searched for *.jsonl (repeatable).
    #[arg(long, required = true)]
    data: Vec<PathBuf>,
    /// table: readable report; json: one JSON object.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    format: String,
    /// List the N most confident mistakes.
    #[arg(long, default_value_t = 0, value_name = "N")]
    errors: usize,
    /// Also write the evaluation as one self-contained HTML page to FILE.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Grouped K-fold cross-validation on --data (groups: record id without its
    /// trailing counter).
    #[arg(long, value_name = "K", conflicts_with = "transfer")]
    cv: Option<usize>,
    /// Train on records with source "constructed", test on records with a source
    /// starting with "seeds/".
    #[arg(long)]
    transfer: bool,
    /// With --cv/--transfer: the settings of each fit, as for `train`.
    #[command(flatten, next_help_heading = "Training, with --cv or --transfer")]
    training: TrainingFlags,
    /// With --cv: folds trained at once.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// No progress messages on standard error.
    #[arg(long, short)]
    quiet: bool,
}

fn run(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    demarche::stream::check_threads(args.threads)?;
    let data = Dataset::load(&args.data)?;
    let records: Vec<_> = data.records().collect();
    // The report shows its own number of mistakes; the table and JSON keep --errors.
    let mistakes = match args.report {
        Some(_) => args.errors.max(demarche::eval::report::MISTAKES),
        None => args.errors,
    };
    if args.training.any() && args.cv.is_none() && !args.transfer {
        bail!("the training flags (--l2, --min-count, --ngrams, --weighting, --max-iterations, --solver, --fold-verbs, --mute-empty-words, --none-bias) apply to --cv and --transfer only");
    }
    let mut evaluation = if let Some(path) = &args.predictions {
        let (predictions, has_probabilities) = read_predictions(path, &records)?;
        evaluate_predictions(
            &records,
            &predictions,
            has_probabilities,
            &path.display().to_string(),
            mistakes,
        )
    } else if let Some(k) = args.cv {
        let config = args.training.config();
        if !args.quiet {
            eprintln!(
                "evaluate: {} sentences, {} groups; {k}-fold grouped cross-validation (l2 {}, min count {}, ngrams {}, {}) on {} thread(s)…",
                data.len(),
                data.groups().len(),
                Setting(config.l2),
                config.features.min_count,
                config.features.ngrams,
                config.features.weighting,
                args.threads.max(1)
            );
        }
        let progress = BarProgress::new(args.quiet, "cross-validation");
        let evaluation = cross_validate_with(
            &config,
            &records,
            k,
            args.threads.max(1),
            mistakes,
            &progress,
        );
        progress.bar.finish_and_clear();
        evaluation?
    } else if args.transfer {
        let config = args.training.config();
        if !args.quiet {
            eprintln!("evaluate: training on constructed sentences, testing on seeds…");
        }
        transfer(&config, &records, mistakes)?
    } else {
        let path = args
            .model
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_MODEL_PATH));
        let model = demarche::cli::load_model(&path)?;
        let mut evaluation = evaluate_model(&model, &records, mistakes);
        if let Some(note) = training_overlap(&model, &records, &data.files) {
            eprintln!("evaluate: WARNING: {note}");
            evaluation
                .report
                .notes
                .insert(0, format!("WARNING: {note}"));
        }
        evaluation
    };
    if let Some(path) = &args.report {
        let context = ReportContext {
            data: args.data.iter().map(|p| p.display().to_string()).collect(),
            model: (args.cv.is_none() && !args.transfer && args.predictions.is_none()).then(|| {
                let model = args.model.as_deref();
                model.map_or(DEFAULT_MODEL_PATH.into(), |m| m.display().to_string())
            }),
            command_line: command_line(),
        };
        demarche::eval::report::write(path, &evaluation, &context)?;
        evaluation.errors.truncate(args.errors);
        if !args.quiet {
            eprintln!("evaluate: report written to {}", path.display());
        }
    }
    let text = match args.format.as_str() {
        "json" => serde_json::to_string_pretty(&evaluation)? + "\n",
        _ => evaluation.to_table(),
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        // A closed pipe (`| head`) is not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    if !args.quiet {
        eprintln!("evaluate: done in {:.1} s", started.elapsed().as_secs_f64());
    }
    Ok(())
}

/// The command line as typed, arguments quoted where the shell would need it.
fn command_line() -> String {
    std::env::args()
        .map(|a| {
            let plain = !a.is_empty()
                && a.chars()
                    .all(|c| c.is_alphanumeric() || "-_./=:,+@%".contains(c));
            if plain {
                a
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() -> ExitCode {
    let args = match demarche::cli::parse_args::<Args>() {
        Ok(args) => args,
        Err(code) => return code,
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("evaluate: {e:#}");
            ExitCode::FAILURE
        }
    }
}
