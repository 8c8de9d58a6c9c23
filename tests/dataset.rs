//! The labeled data set under data/: every record valid, no near-duplicates, the
//! label balance the data card promises, and a split that never cuts a group.

mod common;

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

#[test]
fn every_record_is_valid_and_complete() {
    let data = load("data");
    assert!(data.files.len() >= 21, "{:?}", data.files);
    for e in &data.examples {
        let r = &e.record;
        let at = format!("{}:{}", e.path.display(), e.line);
        let source = r
            .source
            .as_deref()
            .unwrap_or_else(|| panic!("{at}: no source"));
        if source == "constructed" {
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
    // Near-duplicates: word sets that overlap by 80 % or more (Jaccard), so that a
    // sentence with one name or number swapped is caught. Seed sentences are real
    // text kept whole and may resemble each other (a caption and its credit line).
    let words: Vec<BTreeSet<String>> = records
        .iter()
        .map(|(r, _)| normalize(&r.text).split(' ').map(str::to_string).collect())
        .collect();
    for i in 0..records.len() {
        for j in i + 1..records.len() {
            let both_seeds =
                records[i].0.id.starts_with("seed-") && records[j].0.id.starts_with("seed-");
            let (a, b) = (&words[i], &words[j]);
            if both_seeds || a.len().min(b.len()) * 10 < a.len().max(b.len()) * 8 {
                continue;
            }
            let common = a.intersection(b).count();
            let union = a.len() + b.len() - common;
            if common * 10 >= union * 8 {
                problems.push(format!(
                    "{} is a near-duplicate of {}",
                    records[j].1, records[i].1
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
    assert!(train_groups.iter().all(|g| g.starts_with("con-")));
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
