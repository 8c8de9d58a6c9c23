//! Two systems' predictions on the same labeled sentences, compared on the same
//! bootstrap resamples of their articles (`demarche::eval::bootstrap`): each one's
//! macro-F1 interval and the interval of the difference.
//!
//! ```sh
//! cargo run --release --example paired_bootstrap -- data/test/real \
//!     benchmark/predictions/demarche/real.jsonl benchmark/predictions/fasttext/real.jsonl
//! ```

use std::path::PathBuf;

use anyhow::{Context, Result};
use demarche::dataset::Dataset;
use demarche::eval::bootstrap::{bootstrap, MIN_GROUPS, RESAMPLES, SEED};
use demarche::eval::read_predictions;

fn main() -> Result<()> {
    let args: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let [gold, first, second] = args.as_slice() else {
        anyhow::bail!("usage: paired_bootstrap GOLD FIRST.jsonl SECOND.jsonl");
    };
    let data = Dataset::load(std::slice::from_ref(gold))?;
    let records: Vec<_> = data.records().collect();
    let (a, _) = read_predictions(first, &records)?;
    let (b, _) = read_predictions(second, &records)?;
    // benchmark/predictions/<system>/real.jsonl → <system>.
    let name = |p: &PathBuf| {
        p.parent().and_then(|d| d.file_name()).map_or_else(
            || p.display().to_string(),
            |d| d.to_string_lossy().into_owned(),
        )
    };
    let (mut name_a, mut name_b) = (name(first), name(second));
    if name_a == name_b {
        (name_a, name_b) = (first.display().to_string(), second.display().to_string());
    }
    let result = bootstrap(
        &records,
        &[
            (name_a.as_str(), a.as_slice()),
            (name_b.as_str(), b.as_slice()),
        ],
        RESAMPLES,
        SEED,
    )
    .with_context(|| format!("fewer than {MIN_GROUPS} articles: too few to resample"))?;
    print!("{}", result.to_table());
    Ok(())
}
