//! The training problem of `train`'s defaults, written out for a peer to solve on the
//! very same features, and solved here once more, timed.
//!
//! `benches/peers/same_features.py` runs it, then fits scikit-learn's
//! `LogisticRegression` on the file it writes: the same rows (tf-idf, stems and stem
//! pairs, empty words muted, verbs folded), the same labels, the same L2 (C = 1/α), so
//! the same objective, and compares the time each takes to reach its minimum.
//!
//! ```sh
//! cargo run --release --example same_features -- OUT_DIR [DATA...]
//! ```
//!
//! Writes `OUT_DIR/train.svmlight` (one row per sentence: label index, then
//! `column:value` pairs, columns from 1) and `OUT_DIR/demarche.json` (α, the fit's
//! time, iterations, objective and gradient norm, and the numbers of terms, rows and
//! non-zeros). DATA defaults to `data/train`. Set `RAYON_NUM_THREADS=1` for a
//! one-core time.
//!
//! The file carries no sentence weights, so the data must have none (every weight 1,
//! as in `data/`): the example refuses weighted records rather than compare two
//! different objectives.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use demarche::dataset::Dataset;
use demarche::train::{fit_sparse, Prepared, TrainConfig};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .context("usage: same_features OUT_DIR [DATA...]")?,
    );
    let mut data: Vec<PathBuf> = args.map(PathBuf::from).collect();
    if data.is_empty() {
        data.push("data/train".into());
    }
    let dataset = Dataset::load(&data)?;
    let records: Vec<_> = dataset.records().collect();
    let config = TrainConfig::default();

    let Prepared {
        space,
        rows,
        labels,
        weights,
        ..
    } = Prepared::new(&config, &records)?;
    anyhow::ensure!(
        weights.iter().all(|&w| w == 1.0),
        "weighted records: the svmlight file would not carry the weights"
    );

    let started = Instant::now();
    let (_, _, convergence) = fit_sparse(&config, &rows, space.len(), &labels, &weights, None)?;
    let seconds = started.elapsed().as_secs_f64();

    std::fs::create_dir_all(&out)?;
    let mut text = String::with_capacity(rows.len() * 400);
    for (row, label) in rows.iter().zip(&labels) {
        text.push_str(&label.index().to_string());
        for (&id, &v) in row.indices.iter().zip(&row.values) {
            // Shortest text that reads back as the same f64.
            let _ = write!(text, " {}:{v:?}", id + 1);
        }
        text.push('\n');
    }
    std::fs::write(out.join("train.svmlight"), text)?;
    let summary = serde_json::json!({
        "alpha": config.l2,
        "terms": space.len(),
        "rows": rows.len(),
        "nonzeros": rows.iter().map(|r| r.indices.len()).sum::<usize>(),
        "fit_seconds": seconds,
        "iterations": convergence.iterations,
        "objective": convergence.objective,
        "gradient_norm": convergence.gradient_norm,
        "gradient_tolerance": config.gradient_tolerance,
        "lbfgs_memory": config.lbfgs_memory,
        "threads": rayon::current_num_threads(),
    });
    std::fs::write(
        out.join("demarche.json"),
        serde_json::to_string_pretty(&summary)? + "\n",
    )?;
    println!("{summary}");
    Ok(())
}
