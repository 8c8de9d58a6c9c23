//! The benchmark's tables, from the committed predictions under
//! `benchmark/predictions/` scored against the gold test splits
//! ([`demarche::leaderboard`]).
//!
//! ```sh
//! cargo run --release --example leaderboard              # print the tables (markdown)
//! cargo run --release --example leaderboard -- --write   # put them into BENCHMARK.md
//! cargo run --release --example leaderboard -- --check   # fail if BENCHMARK.md differs
//! ```
//!
//! `--write` and `--check` work on the text between the two marker lines of
//! BENCHMARK.md ([`demarche::leaderboard::BEGIN`], [`demarche::leaderboard::END`]);
//! the rest of the file is left alone. `cargo test --test all benchmark::` runs the check.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Parser;
use demarche::leaderboard::{generated, markdown, splice, BEGIN, END};

/// Print, write or check the leaderboard tables of BENCHMARK.md.
#[derive(Parser, Debug)]
#[command(name = "leaderboard")]
struct Args {
    /// Replace the tables in --document with the fresh ones.
    #[arg(long, conflicts_with = "check")]
    write: bool,
    /// Exit with an error if the tables in --document are not the fresh ones.
    #[arg(long)]
    check: bool,
    /// The repository root: benchmark/predictions/ and data/test/ are under it.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// The document holding the tables, relative to --root.
    #[arg(long, default_value = "BENCHMARK.md")]
    document: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let tables = markdown(&args.root)?;
    if !args.write && !args.check {
        print!("{tables}");
        return Ok(());
    }
    let path = args.root.join(&args.document);
    let document =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let Some(current) = generated(&document) else {
        bail!(
            "{}: no generated part: put the lines\n{BEGIN}\n{END}\nwhere the tables go",
            path.display()
        );
    };
    if args.check {
        if current != tables {
            bail!(
                "{}: the tables are not those of the committed predictions; run `cargo run --release --example leaderboard -- --write`",
                path.display()
            );
        }
        eprintln!("leaderboard: {} is up to date", path.display());
    } else if current == tables {
        eprintln!("leaderboard: {} already up to date", path.display());
    } else {
        let updated = splice(&document, &tables).expect("the markers were found above");
        let tmp = path.with_extension("md.tmp");
        std::fs::write(&tmp, updated).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("replacing {}", path.display()))?;
        eprintln!("leaderboard: tables of {} rewritten", path.display());
    }
    Ok(())
}
