//! Prints the figures of data/README.md: counts per label, source and split, and the
//! agreement between the two independent annotation passes of the seed sentences.
//!
//! `cargo run --release --example data_card`

use std::path::Path;

use anyhow::{bail, Context};
use demarche::agreement::{agreement, read_pass};
use demarche::dataset::{label_counts, Dataset, Record};
use demarche::Label;

fn row(name: &str, records: &[&Record]) {
    let counts = label_counts(records.iter().copied());
    print!("| {name:<24} |");
    for c in counts {
        print!(" {c:>7} |");
    }
    println!(" {:>6} |", records.len());
}

fn main() -> anyhow::Result<()> {
    let train = Dataset::load(&["data/train"])?;
    let test = Dataset::load(&["data/test"])?;
    println!(
        "| records                  |  demand | refusal | warning |   offer |    none |  total |"
    );
    println!(
        "|--------------------------|---------|---------|---------|---------|---------|--------|"
    );
    let is_seed = |r: &&Record| r.id.starts_with("seed-");
    let train_all: Vec<&Record> = train.records().collect();
    let test_constructed: Vec<&Record> = test.records().filter(|r| !is_seed(r)).collect();
    let test_seeds: Vec<&Record> = test.records().filter(is_seed).collect();
    row("train: constructed", &train_all);
    row("test: constructed", &test_constructed);
    row("test: seed articles", &test_seeds);
    let constructed: Vec<&Record> = train_all.iter().chain(&test_constructed).copied().collect();
    row("all constructed", &constructed);
    let all: Vec<&Record> = constructed.iter().chain(&test_seeds).copied().collect();
    row("all", &all);
    println!();
    println!("train groups: {}", train.groups().join(", "));
    println!("test groups:  {}", test.groups().join(", "));
    let with_also = all.iter().filter(|r| !r.also.is_empty()).count();
    println!("records with a secondary label (also): {with_also}");

    let dir = Path::new("data/annotation");
    let first = read_pass(&dir.join("seeds-pass1.tsv"))?;
    let second = read_pass(&dir.join("seeds-pass2.tsv"))?;
    let ids: Vec<&str> = test_seeds.iter().map(|r| r.id.as_str()).collect();
    for (name, pass) in [("pass 1", &first), ("pass 2", &second)] {
        let pass_ids: Vec<&str> = pass.iter().map(|(id, _)| id.as_str()).collect();
        if pass_ids != ids {
            bail!("{name} does not label exactly the seed sentences of data/test/seeds.jsonl, in order");
        }
    }
    let a: Vec<Label> = first.iter().map(|(_, l)| *l).collect();
    let b: Vec<Label> = second.iter().map(|(_, l)| *l).collect();
    let agree = agreement(&a, &b).context("agreement")?;
    let adjudicated: Vec<Label> = test_seeds.iter().map(|r| r.label).collect();
    let kept_first = a.iter().zip(&adjudicated).filter(|(x, y)| x == y).count();
    let kept_second = b.iter().zip(&adjudicated).filter(|(x, y)| x == y).count();
    println!();
    println!("seed sentences annotated twice: {}", agree.n);
    println!(
        "observed agreement:   {:.3} ({} of {})",
        agree.observed,
        (agree.observed * agree.n as f64).round(),
        agree.n
    );
    println!("chance agreement:     {:.3}", agree.expected);
    println!("Cohen's kappa:        {:.3}", agree.kappa);
    println!("adjudicated label = pass 1 on {kept_first}, = pass 2 on {kept_second}");
    println!();
    println!("| label   | pass 1 | pass 2 | specific agreement |");
    println!("|---------|--------|--------|--------------------|");
    for label in Label::ALL {
        let (x, y) = agree.counts[label.index()];
        let s = agree.per_label[label.index()].map_or("n/a".to_string(), |v| format!("{v:.3}"));
        println!("| {label:<7} | {x:>6} | {y:>6} | {s:>18} |");
    }
    Ok(())
}
