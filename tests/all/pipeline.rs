//! The library end to end: training, the sparse scorer against linfa's dense one,
//! the model file, and segmentation of the seed articles.

use crate::common;

use std::fs;

use common::*;
use demarche::dataset::Dataset;
use demarche::model::Model;
use demarche::train::{densify, featurize_all};
use demarche::{segment, Label};

#[test]
fn sparse_scorer_equals_linfa_dense_prediction() {
    let model = fixture_model();
    let data = Dataset::load(&[fixture()]).unwrap();
    let mut records: Vec<_> = data.records().cloned().collect();
    // Also sentences with unknown words and none at all.
    for (i, (text, _)) in CLEAR_SENTENCES.iter().enumerate() {
        let mut r = records[0].clone();
        r.id = format!("extra-{i}");
        r.text = text.to_string();
        records.push(r);
    }
    let mut empty = records[0].clone();
    empty.text = "…".into();
    records.push(empty);
    let refs: Vec<_> = records.iter().collect();
    let rows = featurize_all(model.space(), &refs);
    let dense = densify(&rows, model.space().len());
    let linfa = model.to_linfa().predict_probabilities(&dense);
    let mut classifier = model.classifier();
    for (i, r) in records.iter().enumerate() {
        let sparse = classifier.predict(&r.text).probabilities;
        for k in 0..Label::COUNT {
            let diff = (sparse[k] - linfa[[i, k]]).abs();
            assert!(
                diff < 1e-9,
                "row {i} label {k}: sparse {} linfa {}",
                sparse[k],
                linfa[[i, k]]
            );
        }
    }
}

#[test]
fn fixture_is_learnt_and_clear_sentences_get_their_labels() {
    let model = fixture_model();
    assert_eq!(model.training().training_accuracy, 1.0);
    let mut classifier = model.classifier();
    for (text, label) in CLEAR_SENTENCES {
        let p = classifier.predict(text);
        assert_eq!(p.label.as_str(), *label, "{text}");
        let sum: f64 = p.probabilities.iter().sum();
        assert!((sum - 1.0).abs() < 1e-12);
        assert_eq!(classifier.label(text), p.label);
    }
}

#[test]
fn explanations_name_stems_and_words_of_the_sentence() {
    let model = fixture_model();
    let mut classifier = model.classifier();
    let (p, evidence) = classifier.explain("Moscou rejette l'offre et refuse de céder.", 3);
    assert_eq!(p.label, Label::Refusal);
    assert!(!evidence.is_empty() && evidence.len() <= 3);
    assert!(evidence.windows(2).all(|w| w[0].weight >= w[1].weight));
    assert!(
        evidence
            .iter()
            .any(|e| e.stem == "refus" && e.word == "refuse"),
        "{evidence:?}"
    );
    assert!(evidence.iter().all(|e| e.weight > 0.0));
}

/// The evidence `classify` prints comes from one pass over the text: on the
/// fixture, the test data and the v1 model, it is the stage-by-stage explanation
/// to the last bit.
#[test]
fn explanations_from_one_pass_equal_those_of_the_stages() {
    let fixtures = root().join("tests/fixtures");
    let models = [
        fixture_model(),
        Model::load(&fixtures.join("model-v1.json")).unwrap(),
    ];
    let data = Dataset::load(&[fixture(), root().join("data/test")]).unwrap();
    for model in &models {
        let (mut one_pass, mut stages) = (model.classifier(), model.classifier());
        let mut named = 0;
        for record in data.records() {
            let explained = one_pass.explain(&record.text, 5);
            assert_eq!(
                explained,
                stages.explain_by_stages(&record.text, 5),
                "{}",
                record.id
            );
            named += explained.1.len();
        }
        assert!(named > data.len(), "{named} features named");
    }
}

#[test]
fn training_twice_gives_byte_identical_files_and_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a.json"),
        dir.path().join("b.json"),
        dir.path().join("c.json"),
    );
    fixture_model().save(&a).unwrap();
    fixture_model().save(&b).unwrap();
    assert_eq!(fs::read(&a).unwrap(), fs::read(&b).unwrap());
    let loaded = Model::load(&a).unwrap();
    loaded.save(&c).unwrap();
    assert_eq!(fs::read(&a).unwrap(), fs::read(&c).unwrap());
    // No temporary file is left behind.
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    let json: serde_json::Value = serde_json::from_slice(&fs::read(&a).unwrap()).unwrap();
    for key in [
        "format",
        "format_version",
        "crate_version",
        "labels",
        "analyzer",
        "features",
        "vocabulary",
        "weights",
        "intercepts",
        "training",
    ] {
        assert!(json.get(key).is_some(), "model file lacks {key}");
    }
    assert_eq!(
        json["labels"],
        serde_json::json!(["demand", "refusal", "warning", "offer", "none"])
    );
    assert_eq!(json["training"]["per_label"]["demand"], 10);
    assert_eq!(json["training"]["data_sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn bad_model_files_are_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.json");
    fixture_model().save(&good).unwrap();
    let text = fs::read_to_string(&good).unwrap();
    let cases = [
        (
            "truncated.json",
            text[..text.len() / 2].to_string(),
            "corrupt or truncated JSON",
        ),
        (
            "other.json",
            text.replacen("demarche-model", "fasttext", 1),
            "format is \"fasttext\"",
        ),
        (
            "future.json",
            text.replacen(
                &format!("\"format_version\":{}", demarche::model::FORMAT_VERSION),
                "\"format_version\":99",
                1,
            ),
            "version 99 is not supported",
        ),
        (
            "shape.json",
            text.replacen("\"intercepts\":[", "\"intercepts\":[0.5,", 1),
            "invalid field",
        ),
    ];
    for (name, content, expected) in cases {
        let path = write(dir.path(), name, content);
        let message = Model::load(&path).unwrap_err().to_string();
        assert!(message.contains(name), "{message}");
        assert!(
            message.contains(expected),
            "{message} should contain {expected}"
        );
    }
    let missing = Model::load(&dir.path().join("missing.json"))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("missing.json"), "{missing}");
}

#[test]
fn a_label_without_training_data_is_an_error() {
    let data = Dataset::load(&[fixture()]).unwrap();
    let records: Vec<_> = data.records().filter(|r| r.label != Label::Offer).collect();
    let err = demarche::train::train(&fixture_config(), &records, &[]).unwrap_err();
    assert!(err.to_string().contains("labeled offer"), "{err}");
}

#[test]
fn every_seed_sentence_comes_out_whole() {
    // data/test/seeds.jsonl lists every sentence of the five seed articles, in order;
    // the segmenter must give exactly those.
    let data = Dataset::load(&[root().join("data/test/seeds.jsonl")]).unwrap();
    let expected: Vec<(String, String)> = data
        .records()
        .map(|r| (r.source.clone().unwrap(), r.text.clone()))
        .collect();
    let mut files: Vec<_> = fs::read_dir(root().join("seeds"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 5);
    let mut got = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        let name = format!("seeds/{}", file.file_name().unwrap().to_string_lossy());
        for s in segment::sentences(&text) {
            got.push((name.clone(), s.replace('\n', " ")));
        }
    }
    assert_eq!(got.len(), 141);
    assert_eq!(got, expected);
}

#[test]
fn streaming_text_input_segments_like_the_whole_article() {
    use demarche::stream::{read_batches, InputFormat, Source};
    for entry in fs::read_dir(root().join("seeds")).unwrap() {
        let path = entry.unwrap().path();
        let text = fs::read_to_string(&path).unwrap();
        let whole: Vec<String> = segment::sentences(&text)
            .iter()
            .map(|s| s.to_string())
            .collect();
        // A batch size of 3 forces many batches per article.
        let mut streamed = Vec::new();
        read_batches(&Source::File(path.clone()), InputFormat::Text, 3, |items| {
            streamed.extend(items.into_iter().map(|i| i.text));
            Ok(())
        })
        .unwrap();
        assert_eq!(streamed, whole, "{}", path.display());
    }
}

#[test]
fn seeds_are_the_shared_articles_byte_for_byte() {
    // The project's shared folder sits beside the checkout (as in CI); elsewhere
    // there is nothing to compare with.
    let shared = root().join("../shared/seeds");
    if !shared.is_dir() {
        eprintln!("no {} here: skipped", shared.display());
        return;
    }
    let names = |dir: &std::path::Path| {
        let mut v: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(&root().join("seeds")), names(&shared));
    for name in names(&shared) {
        assert_eq!(
            fs::read(root().join("seeds").join(&name)).unwrap(),
            fs::read(shared.join(&name)).unwrap()
        );
    }
}

/// A model file written by this version (format version 1) is committed with the
/// predictions it gave: later versions must keep loading it and predict the same,
/// the way a search index keeps reading its old segments.
#[test]
fn a_committed_format_1_model_loads_and_predicts_as_when_it_was_written() {
    let fixtures = common::root().join("tests/fixtures");
    let model = demarche::Model::load(&fixtures.join("model-v1.json")).unwrap();
    let data = demarche::dataset::Dataset::load(&[fixtures.join("train.jsonl")]).unwrap();
    let texts: std::collections::HashMap<&str, &str> = data
        .records()
        .map(|r| (r.id.as_str(), r.text.as_str()))
        .collect();
    let expected = std::fs::read_to_string(fixtures.join("model-v1.expected.jsonl")).unwrap();
    let mut classifier = model.classifier();
    let mut checked = 0;
    for line in expected.lines() {
        let e: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = e["id"].as_str().unwrap();
        let prediction = classifier.predict(texts[id]);
        assert_eq!(
            prediction.label.as_str(),
            e["label"].as_str().unwrap(),
            "{id}"
        );
        for label in demarche::Label::ALL {
            let want = e["probabilities"][label.as_str()].as_f64().unwrap();
            let got = prediction.probabilities[label.index()];
            assert!(
                (want - got).abs() < 1e-12,
                "{id} {label}: {got} against {want}"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 50);
}

/// A format-1 model saved again is the committed format-2 file, byte for byte: the
/// only change of version 2 is where the feature settings are kept. And the
/// format-2 file predicts what the format-1 file predicted.
#[test]
fn a_format_1_model_saved_again_is_the_committed_format_2_file() {
    let fixtures = common::root().join("tests/fixtures");
    let v1 = Model::load(&fixtures.join("model-v1.json")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("model.json");
    v1.save(&saved).unwrap();
    let committed = fs::read(fixtures.join("model-v2.json")).unwrap();
    assert!(
        fs::read(&saved).unwrap() == committed,
        "{} differs",
        saved.display()
    );
    let json: serde_json::Value = serde_json::from_slice(&committed).unwrap();
    assert_eq!(json["format_version"], 2);
    assert_eq!(
        json["features"],
        serde_json::json!({"ngrams": 2, "weighting": "tfidf", "min_count": 1})
    );
    assert!(json["analyzer"].get("ngrams").is_none());
    assert!(json["training"].get("min_count").is_none());
    let v2 = Model::load(&fixtures.join("model-v2.json")).unwrap();
    assert_eq!(v2.space().feature_config(), v1.space().feature_config());
    assert_eq!(v2.config(), v1.config());
    assert_eq!(v2.training(), v1.training());
    // Fits made before the L-BFGS memory was a setting kept linfa-logistic's 10.
    assert_eq!(v2.training().convergence.as_ref().unwrap().lbfgs_memory, 10);
    let (mut old, mut new) = (v1.classifier(), v2.classifier());
    let data = Dataset::load(&[fixture()]).unwrap();
    for record in data.records() {
        assert_eq!(
            old.predict(&record.text),
            new.predict(&record.text),
            "{}",
            record.id
        );
    }
}
