//! `classify`: labels sentences of articles, lines or JSONL records.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use demarche::model::{Model, DEFAULT_MODEL_PATH};
use demarche::stream::{classify_sources, InputFormat, Options, OutputFormat, Source};

/// Label each sentence of French diplomatic news as demand, refusal, warning, offer
/// or none.
///
/// Reads files (or standard input when none is given, or for "-"), and writes one
/// result per sentence in input order.
#[derive(Parser, Debug)]
#[command(name = "classify", version, about, long_about)]
struct Args {
    /// Model file written by `train`.
    #[arg(long, default_value = DEFAULT_MODEL_PATH)]
    model: PathBuf,
    /// text: articles, segmented into sentences; lines: one sentence per line;
    /// jsonl: objects with a "text" field (and "id"). Default: jsonl for *.jsonl
    /// files, text otherwise.
    #[arg(long, value_parser = ["text", "lines", "jsonl"])]
    input: Option<String>,
    /// jsonl: one JSON object per sentence with probabilities and evidence;
    /// table: readable columns; label: the label alone, one per line.
    #[arg(long, default_value = "jsonl", value_parser = ["jsonl", "table", "label"])]
    format: String,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Evidence features listed per sentence in JSONL output.
    #[arg(long, default_value_t = 5)]
    top: usize,
    /// Input files; none or "-" reads standard input.
    files: Vec<PathBuf>,
}

fn run(args: Args) -> anyhow::Result<()> {
    let model = Model::load(&args.model).map_err(|e| {
        if args.model.exists() {
            anyhow::anyhow!(e)
        } else {
            anyhow::anyhow!("{e} (train a model first: cargo run --release --bin train)")
        }
    })?;
    let options = Options {
        input: args.input.as_deref().map(str::parse::<InputFormat>).transpose()?,
        output: args.format.parse::<OutputFormat>()?,
        threads: args
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1),
        top: args.top,
        ..Options::default()
    };
    let sources: Vec<Source> = if args.files.is_empty() {
        vec![Source::Stdin]
    } else {
        args.files
            .iter()
            .map(|f| {
                if f.as_os_str() == "-" {
                    Source::Stdin
                } else {
                    Source::File(f.clone())
                }
            })
            .collect()
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    classify_sources(&model, &sources, &options, &mut out)?;
    let _ = out.flush();
    Ok(())
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("classify: {e:#}");
            ExitCode::FAILURE
        }
    }
}
