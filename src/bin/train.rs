//! `train`: fits a model on labeled JSONL and writes the model file.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use demarche::cli::{BarProgress, TrainingFlags};
use demarche::dataset::{unlabeled_sentences, Dataset};
use demarche::model::DEFAULT_MODEL_PATH;
use demarche::stream::check_threads;
use demarche::train::{
    self_train, train, tune, Candidate, Progress, SelfTraining, Setting, TuneGrid, UnlabeledText,
    SEARCH_GRADIENT_TOLERANCE, SELF_TRAINING_MIN_PROBABILITY, SELF_TRAINING_WEIGHT,
};
use demarche::Label;
use indicatif::{ProgressBar, ProgressStyle};

/// Train the demarche classifier (bag of French stems → multinomial logistic
/// regression) on labeled JSONL sentences, and write a self-describing model file.
#[derive(Parser, Debug)]
#[command(name = "train", version, about, long_about)]
struct Args {
    /// Training data: a JSONL file or a folder searched for *.jsonl (repeatable).
    #[arg(long, default_value = "data")]
    data: Vec<PathBuf>,
    /// Where to write the model (atomically).
    #[arg(long, default_value = DEFAULT_MODEL_PATH)]
    out: PathBuf,
    #[command(flatten)]
    training: TrainingFlags,
    /// Multiply the weight of the sentences read from PATH (a file or a folder under
    /// --data) by W, e.g. `--weight data/train/constructed=0.3` (repeatable).
    #[arg(long, value_name = "PATH=W", value_parser = parse_weight)]
    weight: Vec<(PathBuf, f64)>,
    /// Unlabeled news whose sentences count, with the training sentences, in the
    /// document frequencies of tf-idf: JSONL with a `text` field (articles, cut into
    /// sentences, or sentences), a file or a folder; repeatable.
    #[arg(long, value_name = "PATH")]
    idf_text: Vec<PathBuf>,
    /// With --idf-text: leave out the articles whose `url` is the `source` of a
    /// sentence of this labeled data (the test split, say); repeatable.
    #[arg(long, value_name = "PATH", requires = "idf_text")]
    idf_held_out: Vec<PathBuf>,
    /// Self-training: fit, label the sentences of this unlabeled news (JSONL with a
    /// `text` field, articles or sentences; a file or a folder; repeatable) with that
    /// model, and fit again with those it labels confidently added. With --tune, the
    /// search (none bias included) runs on the labeled data and the final fit
    /// self-trains, so the bias is the plain model's.
    #[arg(long, value_name = "PATH")]
    self_train: Vec<PathBuf>,
    /// With --self-train: leave out the articles whose `url` is the `source` of a
    /// sentence of this labeled data (the test split, say); repeatable.
    #[arg(long, value_name = "PATH", requires = "self_train")]
    self_train_held_out: Vec<PathBuf>,
    /// With --self-train: keep a sentence when its label's probability is at least P.
    #[arg(long, value_name = "P", requires = "self_train", default_value_t = SELF_TRAINING_MIN_PROBABILITY)]
    self_train_min_probability: f64,
    /// With --self-train: the weight of each sentence kept.
    #[arg(long, value_name = "W", requires = "self_train", default_value_t = SELF_TRAINING_WEIGHT)]
    self_train_weight: f64,
    /// Pick L2 strength (and, if they pay, n-grams, weighting, min count, the weight
    /// of constructed sentences, verb folding) and the none bias by grouped
    /// cross-validation macro-F1, over the real-news articles of the data when it has
    /// some, then fit with the winner. The L2 grid replaces --l2; the other flags give
    /// the starting point. The search is recorded in the model file.
    #[arg(long)]
    tune: bool,
    /// With --tune: number of cross-validation folds.
    #[arg(long, default_value_t = 5, value_name = "K", requires = "tune")]
    cv: usize,
    /// With --tune: fits run at once (at most four per core).
    #[arg(long, default_value_t = 2, requires = "tune")]
    threads: usize,
    /// With --tune: the gradient norm at which the cross-validation fits stop. The
    /// search compares their predictions, which settle long before the weights; the
    /// chosen model is fitted to linfa's tolerance (1e-4).
    #[arg(long, value_name = "NORM", default_value_t = SEARCH_GRADIENT_TOLERANCE, requires = "tune", allow_negative_numbers = true)]
    tune_tolerance: f64,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

/// The `source` of every sentence of the labeled data at `paths` (none when empty):
/// the articles unlabeled text must leave out.
fn sources(paths: &[PathBuf]) -> anyhow::Result<std::collections::HashSet<String>> {
    if paths.is_empty() {
        return Ok(Default::default());
    }
    Ok(Dataset::load(paths)?
        .records()
        .filter_map(|r| r.source.clone())
        .collect())
}

fn run(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    check_threads(args.threads)?;
    let mut data = Dataset::load(&args.data)?;
    for (path, w) in &args.weight {
        if data.weigh(path, *w)? == 0 {
            anyhow::bail!(
                "--weight {}={w}: no training sentence was read from that path",
                path.display()
            );
        }
    }
    let mut config = args.training.config();
    let self_training = if args.self_train.is_empty() {
        None
    } else {
        let held_out = sources(&args.self_train_held_out)?;
        let sentences = unlabeled_sentences(&args.self_train, &held_out)?;
        if !args.quiet {
            eprintln!(
                "train: {} unlabeled sentences for self-training",
                sentences.len()
            );
        }
        let self_training = SelfTraining {
            min_probability: args.self_train_min_probability,
            weight: args.self_train_weight,
            ..SelfTraining::new(sentences)
        };
        self_training.validate()?;
        Some(self_training)
    };
    if !args.idf_text.is_empty() {
        let held_out = sources(&args.idf_held_out)?;
        let sentences = unlabeled_sentences(&args.idf_text, &held_out)?;
        if !args.quiet {
            eprintln!(
                "train: {} unlabeled sentences for document frequencies",
                sentences.len()
            );
        }
        config.idf_text = Some(UnlabeledText(std::sync::Arc::new(sentences)));
    }
    if !args.quiet && args.tune {
        eprintln!(
            "train: {} sentences, {} groups from {} file(s); tuning by grouped {}-fold cross-validation on {} thread(s)…",
            data.len(),
            data.groups().len(),
            data.files.len(),
            args.cv,
            args.threads.max(1)
        );
    } else if !args.quiet {
        eprintln!(
            "train: {} sentences from {} file(s); fitting (l2 {}, {} iterations max)…",
            data.len(),
            data.files.len(),
            Setting(config.l2),
            config.max_iterations
        );
    }
    let records: Vec<_> = data.records().collect();
    let files: Vec<String> = data.files.iter().map(|p| p.display().to_string()).collect();
    let mut tuning = None;
    if args.tune {
        let grid = TuneGrid {
            gradient_tolerance: args.tune_tolerance,
            ..TuneGrid::default()
        };
        let progress = TuneProgress {
            inner: BarProgress::new(args.quiet, "tuning"),
            quiet: args.quiet,
            started,
        };
        let result = tune(
            &config,
            &records,
            &grid,
            args.cv,
            args.threads.max(1),
            &progress,
        )?;
        progress.inner.bar.finish_and_clear();
        if !args.quiet {
            let c = &result.config;
            eprintln!(
                "train: tuning chose l2 {}, ngrams {}, {}, min count {}, constructed weight {}, fold verbs {}, none bias {} (CV macro-F1 {:.4}) in {:.0} s; fitting…",
                Setting(c.l2),
                c.features.ngrams,
                c.features.weighting,
                c.features.min_count,
                Setting(c.constructed_weight),
                c.fold_verbs,
                c.none_bias,
                result.cv_macro_f1,
                started.elapsed().as_secs_f64()
            );
        }
        config = result.config.clone();
        tuning = Some(result);
    }
    let spinner = fit_spinner(args.quiet, records.len());
    let trained = match &self_training {
        Some(self_training) => self_train(&config, &records, &files, self_training),
        None => train(&config, &records, &files),
    };
    spinner.finish_and_clear();
    let mut model = trained?;
    if let Some(info) = model.training_mut().self_training.as_mut() {
        info.files = args
            .self_train
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        if !args.quiet {
            let kept: Vec<String> = info.kept.iter().map(|(l, n)| format!("{l} {n}")).collect();
            eprintln!(
                "train: self-training kept {} of {} unlabeled sentences ({})",
                info.kept.values().sum::<usize>(),
                info.unlabeled_sentences,
                kept.join(", ")
            );
        }
    }
    if let Some(result) = &tuning {
        model.training_mut().tuning = Some(result.to_json());
    }
    model.training_mut().idf_text_files = args
        .idf_text
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    model.save(&args.out)?;
    let convergence = model.training().convergence.clone();
    if let Some(c) = convergence.as_ref().filter(|c| !c.converged) {
        if c.iterations >= config.max_iterations {
            eprintln!(
                "train: warning: the solver stopped at the iteration cap ({}) before converging (gradient norm {:.2e}, tolerance {:.0e}); raise --max-iterations",
                config.max_iterations, c.gradient_norm, config.gradient_tolerance
            );
        } else {
            eprintln!(
                "train: warning: the objective stopped decreasing after {} iterations with the gradient norm at {:.2e}, above the tolerance {:.0e}: floating point can take this fit no closer; check --l2 and the sentence weights",
                c.iterations, c.gradient_norm, config.gradient_tolerance
            );
        }
    }
    if !args.quiet {
        use std::fmt::Write as _;
        let mut text = String::new();
        // `writeln!` to a String cannot fail.
        macro_rules! out {
            ($($arg:tt)*) => { let _ = writeln!(text, $($arg)*); };
        }
        let counts = data.counts();
        out!("sentences      {}", data.len());
        for label in Label::ALL {
            out!("  {label:<12} {}", counts[label.index()]);
        }
        out!("vocabulary     {} terms", model.space().len());
        out!("training acc.  {:.4}", model.training().training_accuracy);
        if let Some(c) = &convergence {
            out!(
                "solver         {}: {} iterations (L-BFGS memory {}), objective {:.6}, gradient norm {:.2e}{}",
                c.solver,
                c.iterations,
                c.lbfgs_memory,
                c.objective,
                c.gradient_norm,
                if c.converged { "" } else { " (not converged)" }
            );
        }
        if let Some(result) = &tuning {
            out!(
                "tuned          l2 {}, ngrams {}, {}, min count {}, constructed weight {}, fold verbs {}, none bias {}: CV macro-F1 {:.4} ({} folds, {} candidates)",
                Setting(config.l2),
                config.features.ngrams,
                config.features.weighting,
                config.features.min_count,
                Setting(config.constructed_weight),
                config.fold_verbs,
                config.none_bias,
                result.cv_macro_f1,
                result.k,
                result.candidates.len()
            );
        }
        out!("time           {:.2} s", started.elapsed().as_secs_f64());
        out!("model          {}", args.out.display());
        write_stdout(text.as_bytes())?;
    }
    Ok(())
}

/// A spinner with the time elapsed while the final fit runs (drawn only on a terminal).
fn fit_spinner(quiet: bool, sentences: usize) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let spinner = ProgressBar::new_spinner();
    spinner.set_style(
        ProgressStyle::with_template("{spinner} fitting {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    spinner.set_message(format!("{sentences} sentences"));
    spinner.enable_steady_tick(Duration::from_millis(200));
    spinner
}

/// The tuning search: a progress bar over its fits, and a line per candidate.
struct TuneProgress {
    inner: BarProgress,
    quiet: bool,
    started: Instant,
}

impl Progress for TuneProgress {
    fn planned(&self, n: usize) {
        self.inner.planned(n);
    }

    fn fit_done(&self) {
        self.inner.fit_done();
    }

    fn candidate(&self, c: &Candidate) {
        if !self.quiet {
            let line = format!(
                "train: tune [{}] l2 {} ngrams {} {} min count {} constructed weight {} fold verbs {}: CV macro-F1 {:.4} ± {:.4} with none bias {} ({:.4} without); bias for whole articles {} ({:.0} s)",
                c.stage,
                Setting(c.l2),
                c.ngrams,
                c.weighting,
                c.min_count,
                Setting(c.constructed_weight),
                c.fold_verbs,
                c.cv_macro_f1,
                c.cv_macro_f1_std,
                c.none_bias,
                c.cv_macro_f1_without_bias,
                c.natural_none_bias,
                self.started.elapsed().as_secs_f64()
            );
            self.inner.println(line);
        }
    }
}

/// Writes the summary: a closed pipe (`| true`) is not an error, since the model
/// is saved by then; any other failure (`> /dev/full`) is, with its reason.
fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            anyhow::bail!("writing the summary to standard output: {e}")
        }
        _ => Ok(()),
    }
}

fn parse_weight(s: &str) -> Result<(PathBuf, f64), String> {
    let (path, w) = s
        .rsplit_once('=')
        .ok_or_else(|| format!("expected PATH=W, not {s:?}"))?;
    let w: f64 = w
        .parse()
        .map_err(|_| format!("the weight in {s:?} is not a number"))?;
    if !(w.is_finite() && w > 0.0) {
        return Err(format!("the weight in {s:?} must be a finite number > 0"));
    }
    Ok((PathBuf::from(path), w))
}

fn main() -> ExitCode {
    let args = match demarche::cli::parse_args::<Args>() {
        Ok(args) => args,
        Err(code) => return code,
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("train: {e:#}");
            ExitCode::FAILURE
        }
    }
}
