//! What the three command-line tools share: argument parsing with the project's exit
//! codes, and progress bars. Kept in the library so the binaries stay thin.

use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};

use crate::train::Progress;
use crate::Model;

/// Parses the command line, or prints clap's message and says how to exit: usage
/// errors exit 1 like every other error (clap's own code is 2); `--help` and
/// `--version` exit 0.
pub fn parse_args<A: clap::Parser>() -> Result<A, ExitCode> {
    A::try_parse().map_err(|e| {
        let _ = e.print();
        if e.use_stderr() {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        }
    })
}

/// Loads a model file; when there is no file at `path`, the error says how to make
/// one.
pub fn load_model(path: &std::path::Path) -> anyhow::Result<Model> {
    Model::load(path).map_err(|e| {
        if path.exists() {
            anyhow::anyhow!(e)
        } else {
            anyhow::anyhow!("{e} (train a model first: cargo run --release --bin train)")
        }
    })
}

/// A progress bar over fits, with the time elapsed and an ETA: drawn on standard
/// error when it is a terminal, hidden otherwise or when `quiet`.
pub struct BarProgress {
    /// The bar, for printing lines above it and clearing it at the end.
    pub bar: ProgressBar,
}

impl BarProgress {
    /// A bar whose line starts with `what` (`tuning`, `cross-validation`).
    pub fn new(quiet: bool, what: &str) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(0)
        };
        bar.set_style(
            ProgressStyle::with_template(&format!(
                "{what} {{bar:30}} {{pos}}/{{len}} fits [{{elapsed}} elapsed, ETA {{eta}}]"
            ))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        BarProgress { bar }
    }

    /// Prints `line` on standard error above the bar (a hidden bar would swallow it).
    pub fn println(&self, line: String) {
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }
}

impl Progress for BarProgress {
    fn planned(&self, n: usize) {
        self.bar.inc_length(n as u64);
    }

    fn fit_done(&self) {
        self.bar.inc(1);
    }
}
