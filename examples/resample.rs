//! Writes N records drawn with replacement from data/train (a fixed seed, fresh ids)
//! as JSONL: the input of the peak-memory runs of `train` in BENCHMARKS.md.
//!
//! `cargo run --release --example resample -- 200000 /tmp/train-200k.jsonl`

use std::io::{BufWriter, Write};

use anyhow::Context;
use demarche::dataset::{resample, Dataset};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .context("usage: resample N OUT.jsonl")?
        .parse()?;
    let out = args.next().context("usage: resample N OUT.jsonl")?;
    let data = Dataset::load(&["data/train"])?;
    let mut file = BufWriter::new(std::fs::File::create(&out)?);
    for r in resample(data.records(), n, 7) {
        serde_json::to_writer(&mut file, &r)?;
        file.write_all(b"\n")?;
    }
    file.flush()?;
    Ok(())
}
