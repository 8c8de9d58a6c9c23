//! The invariants that fuzzing (`fuzz/`) and the property tests
//! (`tests/all/properties.rs`) check on arbitrary input, written once for both. Each
//! function panics when its invariant fails, which is what a fuzzer or a property
//! test needs; this module is not part of the supported API.

use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;

use crate::dataset::{parse_record, Record};
use crate::features::{FeatureConfig, SparseVector};
use crate::label::Label;
use crate::model::{Model, Prediction};
use crate::stream::{for_each_line, LineSink};
use crate::train::{train, TrainConfig};
use crate::{segment, Result, MAX_SENTENCE_BYTES};

/// Sentences of any text are pieces of it, in order, without overlap.
pub fn segmenter(text: &str) {
    let base = text.as_ptr() as usize;
    let mut end = 0;
    for sentence in segment::sentences(text) {
        let start = (sentence.as_ptr() as usize)
            .checked_sub(base)
            .expect("a sentence lies in the text");
        assert!(start >= end, "sentences overlap or go back: {text:?}");
        assert!(start + sentence.len() <= text.len(), "outside the text");
        end = start + sentence.len();
    }
}

/// A model trained once on a few sentences, with bigrams and tf-idf.
pub fn small_model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let rows = [
            ("Moscou exige le retrait des troupes.", Label::Demand),
            ("Paris exige des garanties écrites.", Label::Demand),
            ("Washington rejette la proposition.", Label::Refusal),
            ("Nous ne renoncerons pas à nos droits.", Label::Refusal),
            ("Séoul menace de riposter.", Label::Warning),
            ("L'Otan met en garde contre une escalade.", Label::Warning),
            ("Le Qatar propose une médiation.", Label::Offer),
            ("Berlin est prêt à aider l'Ukraine.", Label::Offer),
            ("La réunion a eu lieu mardi.", Label::NoClaim),
            ("Le sommet s'est tenu à Genève.", Label::NoClaim),
        ];
        let records: Vec<Record> = rows
            .iter()
            .enumerate()
            .map(|(i, (text, label))| Record::new(format!("doc-{i}"), *text, *label))
            .collect();
        let refs: Vec<&Record> = records.iter().collect();
        let config = TrainConfig {
            features: FeatureConfig {
                min_count: 1,
                ..FeatureConfig::default()
            },
            l2: 0.01,
            ..TrainConfig::default()
        };
        train(&config, &refs, &[]).expect("the small model trains")
    })
}

/// Probabilities are finite, in [0, 1], sum to 1, and the label has the largest.
pub fn prediction(p: &Prediction) {
    assert!(
        p.probabilities
            .iter()
            .all(|x| x.is_finite() && (0.0..=1.0).contains(x)),
        "{p:?}"
    );
    let sum: f64 = p.probabilities.iter().sum();
    assert!((sum - 1.0).abs() < 1e-9, "{p:?}");
    let max = p.probabilities.iter().copied().fold(0.0, f64::max);
    assert_eq!(p.confidence(), max, "{p:?}");
}

/// The one-pass path gives the stages' feature row, the same scores to rounding,
/// and the same explanation; predictions are sound.
pub fn one_pass_equals_stages(sentence: &str) {
    let model = small_model();
    let mut slow = model.space().featurizer();
    let mut slow_row = SparseVector::default();
    slow.featurize(sentence, &mut slow_row);
    let mut classifier = model.classifier();
    assert_eq!(classifier.features(sentence), &slow_row, "{sentence:?}");
    let scores = classifier.scores(sentence);
    let reference = model.scores(&slow_row);
    for k in 0..Label::COUNT {
        assert!(
            (scores[k] - reference[k]).abs() <= 1e-12 * (1.0 + reference[k].abs()),
            "{sentence:?}: {scores:?} vs {reference:?}"
        );
    }
    prediction(&classifier.predict(sentence));
    let (p, evidence) = classifier.explain(sentence, 3);
    prediction(&p);
    assert!(evidence.len() <= 3 && evidence.iter().all(|e| e.weight > 0.0));
    assert_eq!(
        (p, evidence),
        classifier.explain_by_stages(sentence, 3),
        "{sentence:?}"
    );
}

/// Loading any bytes as a model never panics; a model that loads predicts soundly.
pub fn model_loader(bytes: &[u8]) {
    if let Ok(model) = Model::from_json(Path::new("fuzz.json"), bytes) {
        let mut classifier = model.classifier();
        for sentence in ["Moscou exige le retrait.", "", "Nous ne cédons pas"] {
            prediction(&classifier.predict(sentence));
        }
    }
}

/// Any JSONL line: a training record that parses has an id and a text within the
/// limits and survives a round trip; a classify record keeps its id as valid JSON
/// and reads the `text` a JSON reader reads.
pub fn jsonl_line(line: &str) {
    let path = Path::new("fuzz.jsonl");
    if let Ok(record) = parse_record(path, 1, line) {
        assert!(!record.id.trim().is_empty() && !record.text.trim().is_empty());
        assert!(record.text.len() <= MAX_SENTENCE_BYTES);
        let again = serde_json::to_string(&record).expect("a record serializes");
        assert_eq!(parse_record(path, 1, &again).expect("round trip"), record);
    }
    if let Ok((id, text)) = crate::stream::parse_record_line(path, 1, line) {
        if let Some(id) = id {
            serde_json::from_str::<serde_json::Value>(id.get()).expect("an id is JSON");
        }
        let value: serde_json::Value = serde_json::from_str(line).expect("the line is JSON");
        assert_eq!(value["text"].as_str(), Some(text.as_str()), "{line:?}");
    }
}

/// Lines (or the error) of a byte stream, pieces joined.
#[derive(Default)]
struct Joined {
    lines: Vec<(usize, String)>,
    current: Option<(usize, String)>,
}

impl LineSink for Joined {
    fn piece(&mut self, line: usize, text: &str, end: bool) -> Result<()> {
        let current = self.current.get_or_insert((line, String::new()));
        assert_eq!(current.0, line, "pieces of a line share its number");
        current.1.push_str(text);
        if end {
            self.lines.extend(self.current.take());
        }
        Ok(())
    }
    fn bad_line(&mut self, line: usize) -> Result<()> {
        self.current = None;
        self.lines.push((line, "<not UTF-8>".into()));
        Ok(())
    }
}

/// Reads `bytes` `step` bytes at a time.
struct Steps<'a> {
    bytes: &'a [u8],
    step: usize,
}

impl Read for Steps<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

/// The stream reader gives the same lines (and the same lines not UTF-8) however
/// the input is cut into reads and however small the pieces of long lines are.
pub fn line_reader(bytes: &[u8], step: usize, piece: usize) {
    let read = |step: usize, piece: usize| {
        let mut sink = Joined::default();
        let mut reader = Steps { bytes, step };
        for_each_line(Path::new("fuzz"), &mut reader, piece, &mut sink).expect("reading memory");
        assert!(sink.current.is_none(), "a line without its end");
        sink.lines
    };
    assert_eq!(read(step.max(1), piece), read(usize::MAX, usize::MAX));
}

/// The `segment` fuzz target: any bytes, read as text.
pub fn fuzz_segment(data: &[u8]) {
    segmenter(&String::from_utf8_lossy(data));
}

/// The `analyze` fuzz target: any bytes, read as a sentence.
pub fn fuzz_analyze(data: &[u8]) {
    one_pass_equals_stages(&String::from_utf8_lossy(data));
}

/// The `model_load` fuzz target: any bytes, read as a model file.
pub fn fuzz_model_load(data: &[u8]) {
    model_loader(data);
}

/// The `jsonl` fuzz target: any bytes as a JSONL line, and as a stream read in
/// reads and pieces of sizes taken from the input's length.
pub fn fuzz_jsonl(data: &[u8]) {
    jsonl_line(&String::from_utf8_lossy(data));
    line_reader(data, 1 + data.len() % 7, 4 + data.len() % 13);
}
