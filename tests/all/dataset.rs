//! The labeled data set under data/: every record valid, no near-duplicates, the
//! label balance the data card promises, and a split that never cuts a group.

use crate::common;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use common::root;
use demarche::dataset::{Dataset, Record};
use demarche::Label;

fn load(sub: &str) -> Dataset {
    // Dataset::load validates every line (JSON, required fields, labels, `also`,
    // unique ids) and names file and line on the first bad record.
    Dataset::load(&[root().join(sub)]).unwrap_or_else(|e| panic!("{e}"))
}

/// Lowercase, accents stripped, punctuation collapsed to single spaces.
fn normalize(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let folded: String = text
        .to_lowercase()
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How many values two sorted lists without repeats share.
fn shared_count(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// The articles of a corpus in `../shared/corpora`: id → (URL, date).
fn corpus_articles(name: &str) -> HashMap<String, (String, String)> {
    let path = root()
        .join("../shared/corpora")
        .join(name)
        .join("articles.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (shared/ must sit beside the repository)",
            path.display()
        )
    });
    text.lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let field = |k: &str| v[k].as_str().unwrap().to_string();
            (field("id"), (field("url"), field("date")))
        })
        .collect()
}

fn is_real(r: &Record) -> bool {
    r.id.starts_with("wn-") || r.id.starts_with("os-")
}

#[test]
fn every_record_is_valid_and_complete() {
    let data = load("data");
    assert!(data.files.len() >= 25, "{:?}", data.files);
    let mut articles = corpus_articles("wikinews-fr");
    articles.extend(corpus_articles("orangesum-politique"));
    for e in &data.examples {
        let r = &e.record;
        let at = format!("{}:{}", e.path.display(), e.line);
        let source = r
            .source
            .as_deref()
            .unwrap_or_else(|| panic!("{at}: no source"));
        if is_real(r) {
            // The group is the article: its URL is the source, and each corpus has
            // its own files (the licences differ).
            let (url, _) = articles
                .get(r.group())
                .unwrap_or_else(|| panic!("{at}: {} is no article of the corpora", r.group()));
            assert_eq!(source, url, "{at}: source is not the article's URL");
            let file = e.path.file_name().unwrap().to_string_lossy();
            let expected = if r.id.starts_with("wn-") {
                "wikinews.jsonl"
            } else {
                "orangesum.jsonl"
            };
            assert_eq!(file, expected, "{at}: record of the wrong corpus file");
            let pool = r.pool.as_deref().unwrap_or_else(|| panic!("{at}: no pool"));
            assert!(
                demarche::dataset::POOLS.contains(&pool),
                "{at}: pool {pool}"
            );
            if r.id.starts_with("wn-") {
                assert_eq!(
                    pool, "natural",
                    "{at}: every Wikinews sentence is in the natural pool"
                );
            }
        } else if source == "constructed" {
            assert!(r.actor.is_some(), "{at}: constructed record without actor");
            assert!(r.id.starts_with("con-"), "{at}: id {}", r.id);
        } else {
            assert!(
                source.starts_with("seeds/") && root().join(source).exists(),
                "{at}: source {source}"
            );
            assert!(r.id.starts_with("seed-"), "{at}: id {}", r.id);
        }
        assert_eq!(r.text.trim(), r.text, "{at}: untrimmed text");
    }
}

#[test]
fn no_duplicates_or_near_duplicates() {
    let data = load("data");
    let records: Vec<(&Record, String)> = data
        .examples
        .iter()
        .map(|e| (&e.record, format!("{}:{}", e.path.display(), e.line)))
        .collect();
    let mut exact: HashMap<String, &str> = HashMap::new();
    let mut problems = Vec::new();
    for (r, at) in &records {
        if let Some(first) = exact.insert(normalize(&r.text), at) {
            problems.push(format!("{at} repeats {first}"));
        }
    }
    // Real sentences are text as published: only exact repeats are checked above.
    let records: Vec<(&Record, String)> =
        records.into_iter().filter(|(r, _)| !is_real(r)).collect();
    // Near-duplicates: word sets that overlap by 80 % or more (Jaccard), so that a
    // sentence with one name or number swapped is caught. Seed sentences are real
    // text kept whole and may resemble each other (a caption and its credit line).
    // Each sentence as the sorted ids of its distinct words, so that a pair's
    // overlap is one merge of two short lists: the pairs number in the millions.
    let mut ids: HashMap<String, u32> = HashMap::new();
    let words: Vec<Vec<u32>> = records
        .iter()
        .map(|(r, _)| {
            let mut w: Vec<u32> = normalize(&r.text)
                .split(' ')
                .map(|word| {
                    let next = ids.len() as u32;
                    *ids.entry(word.to_string()).or_insert(next)
                })
                .collect();
            w.sort_unstable();
            w.dedup();
            w
        })
        .collect();
    // Visited by size, each sentence meets the larger ones only until they are too
    // large to overlap it by 80 %.
    let mut by_size: Vec<usize> = (0..records.len()).collect();
    by_size.sort_by_key(|&i| (words[i].len(), i));
    for (x, &i) in by_size.iter().enumerate() {
        for &j in &by_size[x + 1..] {
            let (a, b) = (&words[i], &words[j]);
            if a.len() * 10 < b.len() * 8 {
                break;
            }
            if records[i].0.id.starts_with("seed-") && records[j].0.id.starts_with("seed-") {
                continue;
            }
            let common = shared_count(a, b);
            let union = a.len() + b.len() - common;
            if common * 10 >= union * 8 {
                let (first, second) = (i.min(j), i.max(j));
                problems.push(format!(
                    "{} is a near-duplicate of {}",
                    records[second].1, records[first].1
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn label_balance_meets_the_data_card() {
    let data = load("data");
    let constructed: Vec<&Record> = data
        .records()
        .filter(|r| r.source.as_deref() == Some("constructed"))
        .collect();
    assert!(
        constructed.len() >= 2500,
        "{} constructed records",
        constructed.len()
    );
    let counts = demarche::dataset::label_counts(constructed.iter().copied());
    for act in Label::ACTS {
        assert!(counts[act.index()] >= 400, "{act}: {}", counts[act.index()]);
    }
    let largest_act = Label::ACTS.iter().map(|l| counts[l.index()]).max().unwrap();
    assert!(counts[Label::NoClaim.index()] >= largest_act, "{counts:?}");
    let seeds = load("data/test/seeds.jsonl");
    assert_eq!(seeds.len(), 141);
    // Real news: at least 12,000 sentences, 1,500 acts and 200 of each act.
    let real: Vec<&Record> = data.records().filter(|r| is_real(r)).collect();
    assert!(real.len() >= 12_000, "{} real sentences", real.len());
    let counts = demarche::dataset::label_counts(real.iter().copied());
    let acts: usize = Label::ACTS.iter().map(|l| counts[l.index()]).sum();
    assert!(acts >= 1_500, "{acts} real acts");
    for act in Label::ACTS {
        assert!(
            counts[act.index()] >= 200,
            "real {act}: {}",
            counts[act.index()]
        );
    }
}

#[test]
fn the_split_never_cuts_a_group_and_tests_on_real_news() {
    let train = load("data/train");
    let test = load("data/test");
    let train_groups: BTreeSet<String> = train.groups().into_iter().collect();
    let test_groups: BTreeSet<String> = test.groups().into_iter().collect();
    let shared: Vec<_> = train_groups.intersection(&test_groups).collect();
    assert!(shared.is_empty(), "groups on both sides: {shared:?}");
    // All five seed articles are held out, and constructed text is never the only test.
    let seed_groups: Vec<_> = test_groups
        .iter()
        .filter(|g| g.starts_with("seed-"))
        .collect();
    assert_eq!(seed_groups.len(), 5);
    assert!(test_groups.iter().any(|g| g.starts_with("con-")));
    assert!(train_groups
        .iter()
        .all(|g| g.starts_with("con-") || g.starts_with("wn-") || g.starts_with("os-")));
    // No text on both sides.
    let train_texts: BTreeSet<String> = train.records().map(|r| normalize(&r.text)).collect();
    let leaks: Vec<&str> = test
        .records()
        .filter(|r| train_texts.contains(&normalize(&r.text)))
        .map(|r| r.id.as_str())
        .collect();
    assert!(leaks.is_empty(), "texts on both sides: {leaks:?}");
    // Real test: every Wikinews article of 2018 that holds a record, and at least 60
    // OrangeSum articles drawn whole; nothing of the chosen pools.
    let wikinews = corpus_articles("wikinews-fr");
    for g in train_groups.iter().filter(|g| g.starts_with("wn-")) {
        assert!(
            !wikinews[g.as_str()].1.starts_with("2018"),
            "{g} (2018) is on the train side"
        );
    }
    // Older articles follow a 2018 one to the test side only when they tell the same
    // story (they share a sentence of six words or more): a handful.
    let older: Vec<&String> = test_groups
        .iter()
        .filter(|g| g.starts_with("wn-") && !wikinews[g.as_str()].1.starts_with("2018"))
        .collect();
    assert!(
        older.len() <= 10,
        "{} Wikinews test articles not of 2018: {older:?}",
        older.len()
    );
    let orangesum_test: BTreeSet<&str> = test
        .records()
        .filter(|r| r.id.starts_with("os-"))
        .inspect(|r| assert_eq!(r.pool.as_deref(), Some("natural"), "{}", r.id))
        .map(|r| r.group())
        .collect();
    assert!(
        orangesum_test.len() >= 60,
        "{} OrangeSum test articles",
        orangesum_test.len()
    );
    // One file per group for constructed batches: the file name is the batch.
    let mut batches: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in train.examples.iter().chain(&test.examples) {
        if e.record.id.starts_with("con-") {
            let stem = e.path.file_stem().unwrap().to_string_lossy().into_owned();
            batches
                .entry(e.record.group().to_string())
                .or_default()
                .insert(stem);
        }
    }
    for (group, files) in batches {
        assert_eq!(files.len(), 1, "{group} spans {files:?}");
        assert_eq!(group, format!("con-{}", files.iter().next().unwrap()));
    }
}

/// The data card's table of SHA-256 sums names every data file, and each sum is the
/// file's: a changed label or record cannot go unnoticed by the version.
#[test]
fn every_data_file_has_the_sha256_of_the_data_card() {
    use sha2::{Digest, Sha256};
    let card = std::fs::read_to_string(root().join("data/README.md")).unwrap();
    let listed: BTreeMap<String, String> = card
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let path = cells.get(1)?.strip_prefix("`data/")?.strip_suffix('`')?;
            let sum = cells.get(2)?.trim_matches('`');
            (sum.len() == 64).then(|| (format!("data/{path}"), sum.to_string()))
        })
        .collect();
    let data = load("data");
    let mut files: Vec<String> = data
        .files
        .iter()
        .map(|f| {
            f.strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    files.sort();
    assert_eq!(
        listed.keys().cloned().collect::<Vec<_>>(),
        files,
        "the data card lists other files than data/ holds"
    );
    for (path, sum) in &listed {
        let bytes = std::fs::read(root().join(path)).unwrap();
        let digest: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            &digest, sum,
            "{path} changed: bump the data version and refresh the card"
        );
    }
}
