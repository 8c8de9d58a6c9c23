//! `classify`: labels sentences of articles, lines or JSONL records.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use demarche::model::DEFAULT_MODEL_PATH;
use demarche::stream::{
    check_threads, classify_sources_with, InputFormat, Notice, OnError, Options, OutputFormat,
    Source,
};

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
    #[arg(long, value_enum)]
    input: Option<InputFormat>,
    /// jsonl: one JSON object per sentence with probabilities and evidence;
    /// table: readable columns; label: the label alone, one per line.
    #[arg(long, value_enum, default_value_t = OutputFormat::Jsonl)]
    format: OutputFormat,
    /// Worker threads (default: all cores; at most four per core).
    #[arg(long)]
    threads: Option<usize>,
    /// stop: the first unreadable line (malformed JSON, no "text", not UTF-8) is an
    /// error; skip: report it on standard error (file:line and why) and go on.
    #[arg(long, value_enum, default_value_t = OnError::Stop)]
    on_error: OnError,
    /// Evidence features listed per sentence in JSONL output.
    #[arg(long, default_value_t = 5)]
    top: usize,
    /// Input files; none or "-" reads standard input.
    files: Vec<PathBuf>,
}

fn run(args: Args) -> anyhow::Result<()> {
    let model = demarche::cli::load_model(&args.model)?;
    let options = Options {
        input: args.input,
        output: args.format,
        threads: check_threads(
            args.threads
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        )?,
        top: args.top,
        on_error: args.on_error,
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
    // Each skipped line is named up to a point; past it, only the count at the end,
    // so that a file of bad lines does not bury the output in messages.
    const NAMED: usize = 20;
    let named = std::sync::atomic::AtomicUsize::new(0);
    let notify = |notice: Notice| match notice {
        Notice::Skipped(_) => {
            if named.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < NAMED {
                eprintln!("classify: warning: {notice}");
            }
        }
        Notice::Cut { .. } | Notice::LongWords { .. } => eprintln!("classify: warning: {notice}"),
    };
    let summary = classify_sources_with(&model, &sources, &options, &mut out, &notify)?;
    if summary.skipped > 0 {
        eprintln!(
            "classify: warning: skipped {} unreadable line(s){}",
            summary.skipped,
            if summary.skipped > NAMED {
                format!(" (the first {NAMED} named above)")
            } else {
                String::new()
            }
        );
    }
    // The engine flushed: a failure left here would be the closed pipe it ended on.
    let _ = out.flush();
    Ok(())
}

fn main() -> ExitCode {
    let args = match demarche::cli::parse_args::<Args>() {
        Ok(args) => args,
        Err(code) => return code,
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("classify: {e:#}");
            ExitCode::FAILURE
        }
    }
}
