//! Fixed corpora and the model shared by the benches. Everything here runs once,
//! outside the timed loops.
#![allow(dead_code)] // each bench uses a part of it

use std::path::{Path, PathBuf};

use demarche::dataset::{Dataset, Record};
use demarche::segment;
use demarche::train::{train, TrainConfig};
use demarche::Model;

/// Words per sentence of the news corpus (a long news sentence).
pub const NEWS_WORDS: usize = 32;
/// Sentences in the news corpus.
pub const NEWS_SENTENCES: usize = 12_000;

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The labeled data: `data/**/*.jsonl`, or the test fixture when the data set is
/// not there, so that the benches always run.
pub fn dataset() -> Dataset {
    let data = root().join("data");
    match Dataset::load(&[&data]) {
        Ok(d) if d.len() >= 100 => {
            eprintln!("bench data: {} sentences from {}", d.len(), data.display());
            d
        }
        _ => {
            let fixture = root().join("tests/fixtures/train.jsonl");
            eprintln!(
                "bench data: data/ missing, falling back to {}",
                fixture.display()
            );
            Dataset::load(&[fixture]).expect("the test fixture")
        }
    }
}

/// A model trained with the default settings on [`dataset`].
pub fn model(data: &Dataset) -> Model {
    let records: Vec<&Record> = data.records().collect();
    let started = std::time::Instant::now();
    let model = train(&TrainConfig::default(), &records, &[]).expect("training the bench model");
    eprintln!(
        "bench model: {} features, trained in {:.1} s",
        model.space().len(),
        started.elapsed().as_secs_f64()
    );
    model
}

/// The seed articles, `seeds/*.txt`, in file-name order.
pub fn seed_articles() -> Vec<(PathBuf, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("seeds"))
        .expect("seeds/")
        .map(|e| e.expect("seeds/ entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("seed article");
            (p, text)
        })
        .collect()
}

/// The sentences of the seed articles, as `demarche::segment` splits them.
pub fn seed_sentences() -> Vec<String> {
    seed_articles()
        .iter()
        .flat_map(|(_, text)| segment::sentences(text).into_iter().map(str::to_string))
        .collect()
}

/// [`NEWS_SENTENCES`] sentences of [`NEWS_WORDS`] words each: windows over the words
/// of the data set's sentences laid end to end, at four phases, so that the corpus
/// has the data set's vocabulary and punctuation, and no two sentences are equal.
pub fn news_sentences(data: &Dataset) -> Vec<String> {
    let words: Vec<&str> = data
        .records()
        .flat_map(|r| r.text.split_whitespace())
        .collect();
    assert!(!words.is_empty(), "no words in the data set");
    let mut out = Vec::with_capacity(NEWS_SENTENCES);
    let mut start = 0usize;
    while out.len() < NEWS_SENTENCES {
        let mut sentence = String::new();
        for k in 0..NEWS_WORDS {
            if k > 0 {
                sentence.push(' ');
            }
            sentence.push_str(words[(start + k) % words.len()]);
        }
        out.push(sentence);
        // Step by a window plus a quarter window: successive passes over the word
        // stream start at other phases.
        start += NEWS_WORDS + NEWS_WORDS / 4 + 1;
    }
    out
}

/// Total bytes of a corpus.
pub fn bytes(corpus: &[String]) -> u64 {
    corpus.iter().map(|s| s.len() as u64).sum()
}
