//! # demarche
//!
//! Reads French diplomatic news and tells, sentence by sentence, which claim an
//! actor makes: a **demand**, a **refusal**, a **warning**, an **offer**, or
//! **none** of these ([`Label`]). The labels follow the project's annotation guide and
//! map onto event-coding schemes: demand ≈ CAMEO 10 / PLOVER REQUEST, refusal ≈
//! CAMEO 12 / REJECT, warning ≈ CAMEO 13 / THREATEN, offer ≈ CAMEO 03 /
//! AGREE (intent).
//!
//! The pipeline, one module per stage:
//! [`segment`] (article → sentences) → [`tokenize`] (NFC, lowercase, elisions,
//! negation scope) → [`analyze`] (Snowball stems, `NOT_` marks) → [`features`]
//! (sparse bag of stems and stem pairs, under a [`features::FeatureConfig`] saved
//! with the model) → [`train`] (multinomial logistic regression
//! fitted by `linfa-logistic`) → [`model`] (sparse scoring, probabilities, and the
//! stems that drove each decision).
//!
//! Training goes through these stages one after the other. Labeling takes a
//! private shortcut with the same result, behind [`model::Classifier`] alone: a
//! per-thread cache maps each raw chunk of text (`L’OTAN`, `n'acceptera`) to the
//! feature ids the stages make of it, and the scores are summed as the tokens are
//! met, so a known word costs one look-up; the evidence of an explanation comes
//! from the same pass (see [`model::Classifier::explain`]). The shortcut reads the
//! stages' own rules (clause breaks, negation, stemming, bigrams) and the stages
//! never read it; tests hold the two paths to the same features, scores and
//! evidence.
//!
//! ```
//! use demarche::dataset::Record;
//! use demarche::train::{train, TrainConfig};
//! use demarche::Label;
//!
//! let rows = [
//!     ("Moscou exige le retrait des troupes.", Label::Demand),
//!     ("Paris exige des garanties.", Label::Demand),
//!     ("Washington rejette la proposition.", Label::Refusal),
//!     ("Pékin rejette cette demande.", Label::Refusal),
//!     ("Séoul menace de riposter.", Label::Warning),
//!     ("Téhéran menace de représailles.", Label::Warning),
//!     ("Le Qatar propose une médiation.", Label::Offer),
//!     ("Berlin propose une aide.", Label::Offer),
//!     ("La réunion a eu lieu mardi.", Label::NoClaim),
//!     ("Le sommet a eu lieu à Genève.", Label::NoClaim),
//! ];
//! let records: Vec<Record> = rows
//!     .iter()
//!     .enumerate()
//!     .map(|(i, (text, label))| Record::new(format!("doc-{i}"), *text, *label))
//!     .collect();
//! let refs: Vec<&Record> = records.iter().collect();
//! let config = TrainConfig {
//!     l2: 0.01,
//!     ..TrainConfig::default()
//! };
//! let model = train(&config, &refs, &[])?;
//!
//! let mut classifier = model.classifier();
//! assert_eq!(classifier.label("L'Iran rejette l'offre européenne."), Label::Refusal);
//! let (prediction, evidence) = classifier.explain("Ankara menace Athènes.", 3);
//! assert_eq!(prediction.label, Label::Warning);
//! assert_eq!(evidence[0].stem, "menac");
//! # Ok::<(), demarche::Error>(())
//! ```
//!
//! Around the pipeline: [`dataset`] reads labeled JSONL; [`train`] also holds grouped
//! K-fold cross-validation ([`train::cv`]) and the search behind `train --tune`
//! ([`train::tune`](mod@train::tune)); [`eval`] scores the model beside two baselines, all three
//! behind one trait ([`eval::Predictor`]), with its [`eval::metrics`], the HTML
//! [`eval::report`] and the annotators' [`eval::agreement`].
//!
//! The command-line tools `train`, `classify` and `evaluate` are thin shells over
//! this library ([`cli`] holds what they share); see the README.

#![deny(missing_docs)]

pub mod analyze;
#[doc(hidden)]
pub mod checks;
pub mod cli;
pub mod dataset;
pub mod error;
pub mod eval;
mod fast;
pub mod features;
pub mod label;
pub mod leaderboard;
pub mod model;
pub mod segment;
pub mod stream;
pub mod tokenize;
pub mod train;

pub use error::{Error, Result};

/// Longest sentence, in bytes, that the tools hold whole: `classify` cuts longer
/// ones (and says how many it cut), training data may not have longer ones. Real
/// sentences stay under 2 KB; the limit bounds memory on hostile input.
pub const MAX_SENTENCE_BYTES: usize = 1 << 16;

/// Longest word, in bytes (a run of letters and digits), that `classify` passes on
/// whole: longer ones are cut to this length, and the cuts counted in a warning.
/// French words stay under 30 letters; a run of thousands is pasted data (base64,
/// a hash) that would only fill the stem caches.
pub const MAX_WORD_BYTES: usize = 256;

/// The UTF-8 byte-order mark, dropped at the start of any input file.
pub const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";
pub use label::Label;
pub use model::{Classifier, Model, Prediction};
