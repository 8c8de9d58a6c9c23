//! What the three command-line tools share: argument parsing with the project's exit
//! codes, and progress bars. Kept in the library so the binaries stay thin.

use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};

use crate::analyze::Weighting;
use crate::train::{Progress, Solver, TrainConfig};
use crate::Model;

/// The settings of a fit, as flags: flattened into `train` and into `evaluate`
/// (for `--cv` and `--transfer`). A flag left out keeps [`TrainConfig::default`]'s
/// value, so the defaults live in one place.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TrainingFlags {
    /// L2 regularisation strength (linfa-logistic's alpha) [default: 0.01].
    // A negative number is read as a value, to be refused by the library's check
    // with its reason, not as an unknown flag.
    #[arg(long, allow_negative_numbers = true)]
    pub l2: Option<f64>,
    /// Keep terms found in at least this many training sentences [default: 1].
    #[arg(long)]
    pub min_count: Option<usize>,
    /// 1: stems; 2: stems and adjacent stem pairs [default: 2].
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub ngrams: Option<u8>,
    /// Feature values, both L2-normalized [default: tfidf].
    #[arg(long, value_enum)]
    pub weighting: Option<Weighting>,
    /// L-BFGS iteration cap [default: 1000].
    #[arg(long)]
    pub max_iterations: Option<u64>,
    /// Pairs of past steps the sparse solver's L-BFGS keeps (linfa-logistic keeps
    /// 10): more pairs, fewer iterations but longer ones [default: 6].
    #[arg(long)]
    pub lbfgs_memory: Option<usize>,
    /// Which implementation minimizes linfa-logistic's objective [default: sparse].
    #[arg(long, value_enum)]
    pub solver: Option<Solver>,
    /// Fold third-person plural verbs onto their singular's stem (`proposent` →
    /// `propose`), learnt from the training text; `--tune` may change it
    /// [default: true].
    #[arg(long, value_name = "BOOL")]
    pub fold_verbs: Option<bool>,
    /// Hold the weights of function words, auxiliaries, weekdays and months at zero,
    /// so that no label is decided by them [default: true].
    #[arg(long, value_name = "BOOL")]
    pub mute_empty_words: Option<bool>,
    /// Added to the `none` intercept after the fit: negative finds more acts;
    /// `--tune` chooses it [default: -2].
    #[arg(long, allow_negative_numbers = true)]
    pub none_bias: Option<f64>,
}

impl TrainingFlags {
    /// [`TrainConfig::default`] with the flags given.
    pub fn config(&self) -> TrainConfig {
        let base = TrainConfig::default();
        let mut config = base.clone();
        config.features.ngrams = self.ngrams.unwrap_or(base.features.ngrams);
        config.features.weighting = self.weighting.unwrap_or(base.features.weighting);
        config.features.min_count = self.min_count.unwrap_or(base.features.min_count);
        config.l2 = self.l2.unwrap_or(base.l2);
        config.max_iterations = self.max_iterations.unwrap_or(base.max_iterations);
        config.lbfgs_memory = self.lbfgs_memory.unwrap_or(base.lbfgs_memory);
        config.solver = self.solver.unwrap_or(base.solver);
        config.fold_verbs = self.fold_verbs.unwrap_or(base.fold_verbs);
        config.mute_empty_words = self.mute_empty_words.unwrap_or(base.mute_empty_words);
        config.none_bias = self.none_bias.unwrap_or(base.none_bias);
        config
    }

    /// Whether any flag was given.
    pub fn any(&self) -> bool {
        let TrainingFlags {
            l2,
            min_count,
            ngrams,
            weighting,
            max_iterations,
            lbfgs_memory,
            solver,
            fold_verbs,
            mute_empty_words,
            none_bias,
        } = self;
        l2.is_some()
            || min_count.is_some()
            || ngrams.is_some()
            || weighting.is_some()
            || max_iterations.is_some()
            || lbfgs_memory.is_some()
            || solver.is_some()
            || fold_verbs.is_some()
            || mute_empty_words.is_some()
            || none_bias.is_some()
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[derive(clap::Parser)]
    struct Flags {
        #[command(flatten)]
        training: TrainingFlags,
    }

    /// The defaults the help text states are [`TrainConfig::default`]'s.
    #[test]
    fn help_states_the_library_defaults() {
        let d = TrainConfig::default();
        let expected = [
            ("l2", d.l2.to_string()),
            ("min_count", d.features.min_count.to_string()),
            ("ngrams", d.features.ngrams.to_string()),
            ("weighting", d.features.weighting.to_string()),
            ("max_iterations", d.max_iterations.to_string()),
            ("lbfgs_memory", d.lbfgs_memory.to_string()),
            ("solver", d.solver.to_string()),
            ("fold_verbs", d.fold_verbs.to_string()),
            ("mute_empty_words", d.mute_empty_words.to_string()),
            ("none_bias", d.none_bias.to_string()),
        ];
        let command = Flags::command();
        assert_eq!(command.get_arguments().count(), expected.len());
        for (id, value) in expected {
            let arg = command.get_arguments().find(|a| a.get_id() == id).unwrap();
            let help = arg.get_help().unwrap().to_string();
            assert!(
                help.ends_with(&format!("[default: {value}]")),
                "--{id}: {help:?} should end with [default: {value}]"
            );
        }
    }

    #[test]
    fn flags_override_the_defaults_and_nothing_else() {
        assert_eq!(TrainingFlags::default().config(), TrainConfig::default());
        assert!(!TrainingFlags::default().any());
        let flags = TrainingFlags {
            fold_verbs: Some(false),
            none_bias: Some(0.0),
            ..TrainingFlags::default()
        };
        assert!(flags.any());
        let config = flags.config();
        assert!(!config.fold_verbs);
        assert_eq!(config.none_bias, 0.0);
        assert_eq!(
            TrainConfig {
                fold_verbs: true,
                none_bias: TrainConfig::default().none_bias,
                ..config
            },
            TrainConfig::default()
        );
    }
}
