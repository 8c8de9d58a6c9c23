//! Prints the figures of data/README.md: counts per split, corpus and label, the pools
//! real sentences were drawn from, and the agreement between the two independent
//! annotation passes (Cohen's kappa overall, per corpus, per pool and per label), for
//! the seed sentences and for the real news.
//!
//! `cargo run --release --example data_card`

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use demarche::dataset::{label_counts, whole_articles, Dataset, Record};
use demarche::eval::agreement::{agreement, read_pass, Agreement};
use demarche::Label;
use sha2::{Digest, Sha256};

fn row(name: &str, records: &[&Record]) {
    let counts = label_counts(records.iter().copied());
    print!("| {name:<26} |");
    for c in counts {
        print!(" {c:>7} |");
    }
    println!(" {:>6} |", records.len());
}

/// Which part of the data set a record belongs to, from its id.
fn corpus(r: &Record) -> &'static str {
    match r.id.split('-').next() {
        Some("seed") => "seed articles",
        Some("con") => "constructed",
        Some("wn") => "wikinews-fr",
        Some("os") => "orangesum-politique",
        _ => "other",
    }
}

fn kappa_line(name: &str, a: &Agreement) {
    println!(
        "| {name:<30} | {:>6} | {:>8.3} | {:>6.3} | {:>6.3} |",
        a.n, a.observed, a.expected, a.kappa
    );
}

fn per_label(a: &Agreement) {
    println!("| label   | pass A | pass B | specific agreement |");
    println!("|---------|--------|--------|--------------------|");
    for label in Label::ALL {
        let (x, y) = a.counts[label.index()];
        let s = a.per_label[label.index()].map_or("n/a".to_string(), |v| format!("{v:.3}"));
        println!("| {label:<7} | {x:>6} | {y:>6} | {s:>18} |");
    }
}

/// The two passes' labels for `records`, in their order.
fn passes(
    records: &[&Record],
    first: &BTreeMap<String, Label>,
    second: &BTreeMap<String, Label>,
) -> anyhow::Result<(Vec<Label>, Vec<Label>)> {
    let mut a = Vec::with_capacity(records.len());
    let mut b = Vec::with_capacity(records.len());
    for r in records {
        match (first.get(&r.id), second.get(&r.id)) {
            (Some(&x), Some(&y)) => {
                a.push(x);
                b.push(y);
            }
            _ => bail!("record {} is missing from an annotation pass", r.id),
        }
    }
    Ok((a, b))
}

/// The label each reader gave each candidate of a re-reading file
/// (`N id keep|change label also reason`), by id.
fn read_rereading(path: &Path) -> anyhow::Result<Vec<(String, Label)>> {
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            let fields: Vec<&str> = line.split('\t').collect();
            let label = fields
                .get(3)
                .with_context(|| {
                    format!(
                        "{}:{}: expected N, id, verdict, label",
                        path.display(),
                        i + 1
                    )
                })?
                .parse::<Label>()
                .map_err(|e| anyhow::anyhow!("{}:{}: {e}", path.display(), i + 1))?;
            Ok((fields[1].to_string(), label))
        })
        .collect()
}

/// Cohen's kappa between the two readers of each re-reading (data/README.md, "How
/// it was made", step 5), on the label each gave after re-reading: the files
/// `rereadings/<pass>[-halfN]-reader-1.tsv` and their `-reader-2.tsv`.
fn rereading_agreement() -> anyhow::Result<()> {
    let dir = Path::new("data/annotation/rereadings");
    let mut passes: BTreeMap<String, (Vec<Label>, Vec<Label>)> = BTreeMap::new();
    let mut firsts: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with("-reader-1.tsv"))
        .collect();
    firsts.sort();
    for first in firsts {
        let name = first
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let second = dir.join(name.replace("-reader-1.tsv", "-reader-2.tsv"));
        let (a, b) = (read_rereading(&first)?, read_rereading(&second)?);
        if a.iter().map(|x| &x.0).ne(b.iter().map(|x| &x.0)) {
            bail!(
                "{} and {} list other sentences",
                first.display(),
                second.display()
            );
        }
        let pass = name
            .split("-half")
            .next()
            .unwrap_or(&name)
            .replace("-reader-1.tsv", "");
        let entry = passes.entry(pass).or_default();
        entry.0.extend(a.into_iter().map(|x| x.1));
        entry.1.extend(b.into_iter().map(|x| x.1));
    }
    println!("Agreement between the two readers of each re-reading (label after re-reading):");
    println!();
    println!("| sentences                      |      n | observed | chance |  kappa |");
    println!("|--------------------------------|--------|----------|--------|--------|");
    for (pass, (a, b)) in &passes {
        kappa_line(&format!("re-reading {pass}"), &agreement(a, b)?);
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let train = Dataset::load(&["data/train"])?;
    let test = Dataset::load(&["data/test"])?;
    println!(
        "| records                    |  demand | refusal | warning |   offer |    none |  total |"
    );
    println!(
        "|----------------------------|---------|---------|---------|---------|---------|--------|"
    );
    let mut all_real: Vec<&Record> = Vec::new();
    let mut all: Vec<&Record> = Vec::new();
    for (side, data) in [("train", &train), ("test", &test)] {
        let mut groups: BTreeMap<&str, Vec<&Record>> = BTreeMap::new();
        for r in data.records() {
            groups.entry(corpus(r)).or_default().push(r);
        }
        for name in [
            "constructed",
            "seed articles",
            "wikinews-fr",
            "orangesum-politique",
        ] {
            if let Some(records) = groups.get(name) {
                row(&format!("{side}: {name}"), records);
                if name == "wikinews-fr" || name == "orangesum-politique" {
                    all_real.extend(records);
                }
                all.extend(records);
            }
        }
    }
    row("all real news (annotated)", &all_real);
    row("all", &all);
    let with_also = all.iter().filter(|r| !r.also.is_empty()).count();
    println!();
    println!("records with a secondary label (also): {with_also}");
    let real_acts = all_real.iter().filter(|r| r.label.is_act()).count();
    println!(
        "real sentences: {}, of which acts: {real_acts}",
        all_real.len()
    );
    let articles: std::collections::BTreeSet<&str> = all_real.iter().map(|r| r.group()).collect();
    println!("real articles: {}", articles.len());
    // The sentences `train --tune` chooses the whole-article none bias on.
    let whole = whole_articles(train.records());
    let mix: Vec<&Record> = train
        .records()
        .filter(|r| whole.contains(r.group()))
        .collect();
    println!(
        "whole-article mix of the train split (tune::natural_mix): {} articles, {} sentences, {} acts",
        whole.len(),
        mix.len(),
        mix.iter().filter(|r| r.label.is_act()).count()
    );
    println!();
    println!("| pool (real news)               | records | acts |");
    println!("|--------------------------------|---------|------|");
    let mut pools: BTreeMap<(String, &str), (usize, usize)> = BTreeMap::new();
    for r in &all_real {
        let e = pools
            .entry((r.pool.clone().unwrap_or_default(), corpus(r)))
            .or_default();
        e.0 += 1;
        e.1 += r.label.is_act() as usize;
    }
    for ((pool, name), (n, acts)) in &pools {
        println!("| {:<30} | {n:>7} | {acts:>4} |", format!("{name}: {pool}"));
    }

    let dir = Path::new("data/annotation");
    println!();
    println!("Agreement between the two independent passes (Cohen's kappa):");
    println!();
    println!("| sentences                      |      n | observed | chance |  kappa |");
    println!("|--------------------------------|--------|----------|--------|--------|");
    let to_map =
        |pass: Vec<(String, Label)>| -> BTreeMap<String, Label> { pass.into_iter().collect() };
    let seed_a = read_pass(&dir.join("seeds-pass1.tsv"))?;
    let seed_b = read_pass(&dir.join("seeds-pass2.tsv"))?;
    let seeds: Vec<&Record> = test
        .records()
        .filter(|r| corpus(r) == "seed articles")
        .collect();
    let ids: Vec<&str> = seeds.iter().map(|r| r.id.as_str()).collect();
    for (name, pass) in [("pass 1", &seed_a), ("pass 2", &seed_b)] {
        let pass_ids: Vec<&str> = pass.iter().map(|(id, _)| id.as_str()).collect();
        if pass_ids != ids {
            bail!("seeds {name} does not label exactly the seed sentences of data/test/seeds.jsonl, in order");
        }
    }
    let (sa, sb) = passes(&seeds, &to_map(seed_a), &to_map(seed_b))?;
    let seed_agreement = agreement(&sa, &sb).context("agreement")?;
    kappa_line("seed articles", &seed_agreement);

    let real_a = to_map(read_pass(&dir.join("real-pass-a.tsv"))?);
    let real_b = to_map(read_pass(&dir.join("real-pass-b.tsv"))?);
    if real_a.len() != all_real.len() || real_b.len() != all_real.len() {
        bail!(
            "the real passes hold {} and {} sentences, the data {}",
            real_a.len(),
            real_b.len(),
            all_real.len()
        );
    }
    let (ra, rb) = passes(&all_real, &real_a, &real_b)?;
    let real_agreement = agreement(&ra, &rb)?;
    kappa_line("real news, all", &real_agreement);
    for name in ["wikinews-fr", "orangesum-politique"] {
        let part: Vec<&Record> = all_real
            .iter()
            .copied()
            .filter(|r| corpus(r) == name)
            .collect();
        let (a, b) = passes(&part, &real_a, &real_b)?;
        kappa_line(&format!("real news, {name}"), &agreement(&a, &b)?);
    }
    for pool in demarche::dataset::POOLS {
        let part: Vec<&Record> = all_real
            .iter()
            .copied()
            .filter(|r| r.pool.as_deref() == Some(pool))
            .collect();
        let (a, b) = passes(&part, &real_a, &real_b)?;
        kappa_line(&format!("real news, pool {pool}"), &agreement(&a, &b)?);
    }
    for side in [("train", &train), ("test", &test)] {
        let part: Vec<&Record> = side
            .1
            .records()
            .filter(|r| real_a.contains_key(&r.id))
            .collect();
        let (a, b) = passes(&part, &real_a, &real_b)?;
        kappa_line(&format!("real news, {} split", side.0), &agreement(&a, &b)?);
    }
    // Rounds annotated onto the committed data (`build_real.py --add`) keep the index
    // of their batches (batch, line, record id), which names their sentences.
    let mut rounds: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    rounds.retain(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("round-") && n.ends_with("-batches.tsv"))
    });
    rounds.sort();
    for path in rounds {
        let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
        let ids: HashSet<&str> = text
            .lines()
            .filter_map(|line| line.split('\t').nth(2))
            .collect();
        let part: Vec<&Record> = all_real
            .iter()
            .copied()
            .filter(|r| ids.contains(r.id.as_str()))
            .collect();
        if part.len() != ids.len() {
            bail!(
                "{}: {} ids, {} of them in the data",
                path.display(),
                ids.len(),
                part.len()
            );
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let round = name.trim_end_matches("-batches.tsv").replace('-', " ");
        let (a, b) = passes(&part, &real_a, &real_b)?;
        kappa_line(&format!("real news, {round}"), &agreement(&a, &b)?);
    }
    let adjudicated = all_real
        .iter()
        .zip(ra.iter().zip(&rb))
        .filter(|(_, (a, b))| a != b);
    let (mut to_a, mut to_b, mut third) = (0, 0, 0);
    for (r, (a, b)) in adjudicated {
        if r.label == *a {
            to_a += 1;
        } else if r.label == *b {
            to_b += 1;
        } else {
            third += 1;
        }
    }
    println!();
    println!(
        "real disagreements adjudicated: {} (pass A's label kept {to_a}, pass B's {to_b}, a third label {third})",
        to_a + to_b + third
    );
    println!();
    println!("Per label, real news (specific agreement = 2·both / (A + B)):");
    println!();
    per_label(&real_agreement);
    println!();
    println!("Per label, seed articles:");
    println!();
    per_label(&seed_agreement);
    println!();
    rereading_agreement()?;
    println!();
    println!("SHA-256 of every data file (checked by tests/all/dataset.rs):");
    println!();
    println!("| file | SHA-256 |");
    println!("|---|---|");
    let mut files: Vec<_> = train.files.iter().chain(&test.files).collect();
    files.sort();
    for file in files {
        let bytes = std::fs::read(file)?;
        let digest: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        println!("| `{}` | `{digest}` |", file.display());
    }
    Ok(())
}
