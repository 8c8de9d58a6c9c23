//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use demarche::dataset::Dataset;
use demarche::features::FeatureConfig;
use demarche::train::{train, TrainConfig};
use demarche::Model;

/// The crate root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The small, clearly separable training fixture.
pub fn fixture() -> PathBuf {
    root().join("tests/fixtures/train.jsonl")
}

/// Settings under which the fixture is learnt perfectly.
pub fn fixture_config() -> TrainConfig {
    TrainConfig {
        l2: 0.01,
        features: FeatureConfig {
            min_count: 1,
            ..FeatureConfig::default()
        },
        ..TrainConfig::default()
    }
}

/// A model trained on the fixture.
pub fn fixture_model() -> Model {
    let data = Dataset::load(&[fixture()]).unwrap();
    let records: Vec<_> = data.records().collect();
    train(&fixture_config(), &records, &["fixture".to_string()]).unwrap()
}

/// Sentences written for the tests, not in the fixture, with the label each must get.
pub const CLEAR_SENTENCES: &[(&str, &str)] = &[
    (
        "Le Premier ministre exige le retrait des forces étrangères.",
        "demand",
    ),
    (
        "L'Iran rejette catégoriquement l'ultimatum américain.",
        "refusal",
    ),
    (
        "Pyongyang menace de représailles les navires étrangers.",
        "warning",
    ),
    (
        "Le Qatar propose une médiation pour la libération des otages.",
        "offer",
    ),
    ("La délégation est arrivée mardi à Genève.", "none"),
];

/// Writes `content` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}
