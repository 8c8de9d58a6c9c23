//! Terms → sparse feature vectors over a learnt vocabulary, under a
//! [`FeatureConfig`].

use std::collections::BTreeMap;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::analyze::{Analyzer, AnalyzerConfig, Weighting, NEGATION_PREFIX};
use crate::error::{Error, Result};

/// The key of a pair of unigram ids in the bigram map.
#[inline]
fn pair_key(left: u32, right: u32) -> u64 {
    (u64::from(left) << 32) | u64::from(right)
}

/// A sparse row: sorted, distinct feature ids and their values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVector {
    /// Feature ids, ascending.
    pub indices: Vec<u32>,
    /// One value per id.
    pub values: Vec<f64>,
}

impl SparseVector {
    /// Number of non-zero features.
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// True when no feature is present.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    fn clear(&mut self) {
        self.indices.clear();
        self.values.clear();
    }
}

/// Inverse document frequency of a term found in `df` of `n_docs` sentences,
/// smoothed as scikit-learn smooths it.
fn smoothed_idf(n_docs: usize, df: usize) -> f64 {
    ((1.0 + n_docs as f64) / (1.0 + df as f64)).ln() + 1.0
}

/// Which terms become features and what values they take. Saved in the model file
/// (from format version 2 on), beside the analyzer configuration: a model is read
/// with the features it was trained with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// 1: stems only; 2: stems and pairs of adjacent stems.
    pub ngrams: u8,
    /// Feature values.
    pub weighting: Weighting,
    /// Minimum number of training sentences a term must occur in.
    pub min_count: usize,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            ngrams: 2,
            // Chosen by `train --tune` (grouped cross-validation on data/train).
            weighting: Weighting::Tfidf,
            // By the real-news cross-validation of the ablation (README, Results):
            // terms seen once help on real news (+0.010 on data 2.1.0).
            min_count: 1,
        }
    }
}

impl FeatureConfig {
    /// Checks that the configuration can be used.
    pub fn validate(&self) -> Result<()> {
        if !(1..=2).contains(&self.ngrams) {
            return Err(Error::Config(format!(
                "ngrams must be 1 or 2, not {}",
                self.ngrams
            )));
        }
        Ok(())
    }

    /// Whether features include pairs of adjacent stems.
    #[inline]
    pub fn has_bigrams(&self) -> bool {
        self.ngrams >= 2
    }
}

/// The distinct terms of `sentence` (stems, and pairs of adjacent stems when
/// `features` has them), sorted, into `out`.
fn distinct_terms(
    analyzer: &mut Analyzer,
    features: &FeatureConfig,
    sentence: &str,
    out: &mut Vec<String>,
) {
    out.clear();
    let names = analyzer.term_names(sentence);
    if features.has_bigrams() {
        out.extend(names.windows(2).map(|w| join_words([&*w[0], &*w[1]])));
    }
    out.extend(names);
    out.sort_unstable();
    out.dedup();
}

/// In how many of `sentences` each term occurs (only the terms of `known`, when
/// given), counted in parallel; counts do not depend on how the work is shared.
fn count_documents(
    config: &AnalyzerConfig,
    features: &FeatureConfig,
    sentences: &[&str],
    known: Option<&BTreeMap<String, usize>>,
) -> FxHashMap<String, usize> {
    sentences
        .par_iter()
        .fold(
            || {
                let analyzer = Analyzer::new(config).expect("configuration checked by the caller");
                (analyzer, Vec::new(), FxHashMap::default())
            },
            |(mut analyzer, mut seen, mut counts), sentence| {
                distinct_terms(&mut analyzer, features, sentence, &mut seen);
                for term in seen.drain(..) {
                    if known.is_none_or(|k| k.contains_key(&term)) {
                        *counts.entry(term).or_insert(0) += 1;
                    }
                }
                (analyzer, seen, counts)
            },
        )
        .map(|(_, _, counts)| counts)
        .reduce(FxHashMap::default, |a, b| {
            let (mut a, b) = if a.len() >= b.len() { (a, b) } else { (b, a) };
            for (term, n) in b {
                *a.entry(term).or_insert(0) += n;
            }
            a
        })
}

/// Marks "no such feature" in lookup tables.
pub(crate) const ABSENT: u32 = u32::MAX;

/// The feature space of a model: a sorted vocabulary of terms (stems, `NOT_` stems
/// and "a b" stem pairs), their inverse document frequencies, and how terms are
/// found and values computed. Feature ids are positions in the sorted list, so they
/// depend only on the set of terms.
#[derive(Debug, Clone)]
pub struct FeatureSpace {
    config: AnalyzerConfig,
    features: FeatureConfig,
    terms: Vec<String>,
    idf: Vec<f64>,
    index: FxHashMap<String, u32>,
    /// (left unigram id, right unigram id) packed into a `u64` → bigram id.
    bigrams: FxHashMap<u64, u32>,
}

impl FeatureSpace {
    /// Learns the vocabulary of `sentences`: every term found in at least
    /// `min_count` sentences.
    pub fn learn<'a>(
        config: &AnalyzerConfig,
        features: &FeatureConfig,
        sentences: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self> {
        Self::learn_with_unlabeled(config, features, sentences, std::iter::empty())
    }

    /// [`FeatureSpace::learn`], with the idf of each term counted over `unlabeled`
    /// sentences too: the vocabulary is still that of `sentences`, but how rare a
    /// term is comes from more text than was labeled.
    pub fn learn_with_unlabeled<'a, 'b>(
        config: &AnalyzerConfig,
        features: &FeatureConfig,
        sentences: impl IntoIterator<Item = &'a str>,
        unlabeled: impl IntoIterator<Item = &'b str>,
    ) -> Result<Self> {
        let features = *features;
        features.validate()?;
        // Analyzers are built before the parallel counts so that a bad configuration
        // is an error here, not a panic in a worker.
        Analyzer::new(config)?;
        let sentences: Vec<&str> = sentences.into_iter().collect();
        let unlabeled: Vec<&str> = unlabeled.into_iter().collect();
        let n_docs = sentences.len() + unlabeled.len();
        let mut document_frequency: BTreeMap<String, usize> =
            count_documents(config, &features, &sentences, None)
                .into_iter()
                .collect();
        let min_count = features.min_count.max(1);
        document_frequency.retain(|_, df| *df >= min_count);
        if !unlabeled.is_empty() {
            let more = count_documents(config, &features, &unlabeled, Some(&document_frequency));
            for (term, df) in more {
                *document_frequency
                    .get_mut(&term)
                    .expect("counted only when known") += df;
            }
        }
        let (terms, idf): (Vec<String>, Vec<f64>) = document_frequency
            .into_iter()
            .map(|(term, df)| (term, smoothed_idf(n_docs, df)))
            .unzip();
        FeatureSpace::from_parts(config.clone(), features, terms, idf)
    }

    /// Rebuilds a feature space from saved parts; checks that terms are sorted and
    /// distinct and that there is one idf per term.
    pub fn from_parts(
        config: AnalyzerConfig,
        features: FeatureConfig,
        terms: Vec<String>,
        idf: Vec<f64>,
    ) -> Result<Self> {
        config.validate()?;
        features.validate()?;
        if idf.len() != terms.len() {
            return Err(Error::Config(format!(
                "{} terms but {} idf values",
                terms.len(),
                idf.len()
            )));
        }
        if let Some(w) = terms.windows(2).find(|w| w[0] >= w[1]) {
            return Err(Error::Config(format!(
                "vocabulary is not sorted and distinct at {:?}, {:?}",
                w[0], w[1]
            )));
        }
        let index: FxHashMap<String, u32> = terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let mut bigrams = FxHashMap::default();
        for (i, term) in terms.iter().enumerate() {
            if let Some((a, b)) = term.split_once(PAIR_SEPARATOR) {
                match (index.get(a), index.get(b)) {
                    (Some(&a), Some(&b)) => {
                        bigrams.insert(pair_key(a, b), i as u32);
                    }
                    // A bigram is never more frequent than its parts, so with one
                    // min count its parts are always in the vocabulary.
                    _ => {
                        return Err(Error::Config(format!(
                            "bigram {term:?} has a part outside the vocabulary"
                        )))
                    }
                }
            }
        }
        Ok(FeatureSpace {
            config,
            features,
            terms,
            idf,
            index,
            bigrams,
        })
    }

    /// The analyzer configuration.
    pub fn config(&self) -> &AnalyzerConfig {
        &self.config
    }

    /// The feature configuration.
    pub fn feature_config(&self) -> &FeatureConfig {
        &self.features
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// True for an empty vocabulary.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Terms in id order.
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// Inverse document frequencies in id order.
    pub fn idf(&self) -> &[f64] {
        &self.idf
    }

    /// The id of a term, if it is in the vocabulary.
    pub fn id(&self, term: &str) -> Option<u32> {
        self.index.get(term).copied()
    }

    /// The unigram feature ids of a stem, plain and `NOT_`-prefixed ([`ABSENT`]
    /// where not in the vocabulary): what both featurizer paths look up once per
    /// stem or word.
    pub(crate) fn stem_ids(&self, stem: &str) -> [u32; 2] {
        let plain = self.id(stem).unwrap_or(ABSENT);
        let negated = self
            .id(&format!("{NEGATION_PREFIX}{stem}"))
            .unwrap_or(ABSENT);
        [plain, negated]
    }

    /// The id of the bigram of the unigrams `left` then `right`, if it is a feature.
    #[inline]
    pub(crate) fn bigram(&self, left: u32, right: u32) -> Option<u32> {
        self.bigrams.get(&pair_key(left, right)).copied()
    }

    /// The (left, right) unigram ids of every bigram feature.
    pub(crate) fn bigram_parts(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.bigrams
            .keys()
            .map(|&key| ((key >> 32) as u32, key as u32))
    }

    /// Walks the features of a sentence whose unigram ids are `unigrams` ([`ABSENT`]
    /// for terms outside the vocabulary), in order: each unigram, then the bigram it
    /// ends, if that pair is a feature. `emit` gets the feature id and the terms it
    /// comes from. `may_pair` may rule pairs out before the look-up (a cheaper test
    /// the one-pass scorer has at hand); it must never rule out a bigram feature.
    /// The one place where adjacent terms make a bigram, for every path.
    #[inline(always)]
    pub(crate) fn for_each_feature(
        &self,
        unigrams: &[u32],
        may_pair: impl Fn(u32, u32) -> bool,
        mut emit: impl FnMut(u32, std::ops::Range<usize>),
    ) {
        let bigrams = self.features.has_bigrams();
        let mut previous = ABSENT;
        for (k, &id) in unigrams.iter().enumerate() {
            if id == ABSENT {
                previous = ABSENT;
                continue;
            }
            emit(id, k..k + 1);
            if bigrams && previous != ABSENT && may_pair(previous, id) {
                if let Some(pair) = self.bigram(previous, id) {
                    emit(pair, k - 1..k + 1);
                }
            }
            previous = id;
        }
    }

    /// The row of a sentence whose unigram ids are `unigrams`: bigrams, counts,
    /// values, L2 norm. `ids` is scratch space.
    pub(crate) fn row_of_unigrams(
        &self,
        unigrams: &[u32],
        ids: &mut Vec<u32>,
        out: &mut SparseVector,
    ) {
        ids.clear();
        self.for_each_feature(unigrams, |_, _| true, |id, _| ids.push(id));
        ids.sort_unstable();
        let counted = ids.chunk_by(|a, b| a == b).map(|run| (run[0], run.len()));
        self.row_of_counts(counted, |id| self.idf[id as usize], out);
    }

    /// The row of a sentence whose distinct features, ascending, come with their
    /// counts in `counted`: values, L2 norm (summed in feature order). `idf` gives
    /// this space's idf of a feature (from wherever the caller has it at hand).
    pub(crate) fn row_of_counts(
        &self,
        counted: impl IntoIterator<Item = (u32, usize)>,
        idf: impl Fn(u32) -> f64,
        out: &mut SparseVector,
    ) {
        out.clear();
        let mut norm = 0.0;
        for (id, count) in counted {
            let value = match self.features.weighting {
                Weighting::Binary => 1.0,
                Weighting::Tfidf => count as f64 * idf(id),
            };
            norm += value * value;
            out.indices.push(id);
            out.values.push(value);
        }
        if norm > 0.0 {
            let scale = 1.0 / norm.sqrt();
            out.values.iter_mut().for_each(|v| *v *= scale);
        }
    }

    /// A featurizer for this space (one per thread).
    pub fn featurizer(&self) -> Featurizer<'_> {
        Featurizer {
            space: self,
            analyzer: Analyzer::new(&self.config).expect("config validated on construction"),
            stem_features: Vec::new(),
            generation: 0,
            unigrams: Vec::new(),
            ids: Vec::new(),
        }
    }
}

/// Turns sentences into [`SparseVector`]s, stage after stage: tokens, stems,
/// vocabulary look-ups, bigrams, values. Reuses its buffers and caches, for each
/// stem it has met, its feature ids plain and negated. (Labeling takes a faster
/// path to the same rows: see [`crate::model::Classifier`].)
pub struct Featurizer<'a> {
    space: &'a FeatureSpace,
    analyzer: Analyzer,
    stem_features: Vec<[u32; 2]>,
    generation: u64,
    unigrams: Vec<u32>,
    ids: Vec<u32>,
}

impl<'a> Featurizer<'a> {
    /// The feature space.
    pub fn space(&self) -> &'a FeatureSpace {
        self.space
    }

    /// The analyzer (for the words behind the last sentence's terms).
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// Writes the features of `sentence` into `out`.
    pub fn featurize(&mut self, sentence: &str, out: &mut SparseVector) {
        self.unigram_ids(sentence);
        self.space
            .row_of_unigrams(&self.unigrams, &mut self.ids, out);
    }

    /// [`Featurizer::featurize`], then each feature with the words that produced it
    /// (a bigram lists both words), in sentence order, for explanations.
    pub fn featurize_with_origins(
        &mut self,
        sentence: &str,
        out: &mut SparseVector,
    ) -> Vec<(u32, String)> {
        self.featurize(sentence, out);
        let terms = self.analyzer.last_terms();
        let mut origins = Vec::new();
        self.space.for_each_feature(
            &self.unigrams,
            |_, _| true,
            |id, from| {
                let words = terms[from].iter().map(|t| self.analyzer.word(t));
                origins.push((id, join_words(words)));
            },
        );
        origins
    }

    /// The unigram feature id of each term of `sentence` (ABSENT when unknown), in
    /// [`Featurizer::unigrams`] order, aligned with the analyzer's terms.
    fn unigram_ids(&mut self, sentence: &str) {
        self.unigrams.clear();
        self.analyzer.analyze(sentence);
        if self.analyzer.generation() != self.generation {
            self.stem_features.clear();
            self.generation = self.analyzer.generation();
        }
        let known = self.stem_features.len();
        if self.analyzer.stem_count() > known {
            for id in known..self.analyzer.stem_count() {
                let stem = self.analyzer.stem(id as u32);
                self.stem_features.push(self.space.stem_ids(stem));
            }
        }
        for term in self.analyzer.last_terms() {
            self.unigrams
                .push(self.stem_features[term.stem as usize][term.negated as usize]);
        }
    }
}

/// Separates the two stems of a bigram's name, and the two words behind it.
pub(crate) const PAIR_SEPARATOR: char = ' ';

/// Words (or stems) of adjacent terms as one name: `exige de`.
pub(crate) fn join_words<'w>(words: impl IntoIterator<Item = &'w str>) -> String {
    let mut out = String::new();
    for word in words {
        if !out.is_empty() {
            out.push(PAIR_SEPARATOR);
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space(sentences: &[&str], min_count: usize, weighting: Weighting) -> FeatureSpace {
        let features = FeatureConfig {
            ngrams: 2,
            weighting,
            min_count,
        };
        FeatureSpace::learn(
            &AnalyzerConfig::default(),
            &features,
            sentences.iter().copied(),
        )
        .unwrap()
    }

    #[test]
    fn vocabulary_is_sorted_stable_and_filtered() {
        let a = space(
            &["Moscou exige", "Moscou refuse", "Paris exige"],
            2,
            Weighting::Binary,
        );
        assert_eq!(a.terms(), ["exig", "moscou"]);
        let b = space(
            &["Paris exige", "Moscou refuse", "Moscou exige"],
            2,
            Weighting::Binary,
        );
        assert_eq!(a.terms(), b.terms());
        let all = space(&["Moscou exige"], 1, Weighting::Binary);
        assert_eq!(all.terms(), ["exig", "moscou", "moscou exig"]);
    }

    #[test]
    fn binary_and_tfidf_rows_are_unit_length() {
        for weighting in [Weighting::Binary, Weighting::Tfidf] {
            let s = space(&["Moscou exige exige", "Paris refuse"], 1, weighting);
            let mut f = s.featurizer();
            let mut row = SparseVector::default();
            f.featurize("Moscou exige exige, inconnu", &mut row);
            assert!(row.indices.windows(2).all(|w| w[0] < w[1]));
            let norm: f64 = row.values.iter().map(|v| v * v).sum();
            assert!((norm - 1.0).abs() < 1e-12);
            let names: Vec<&str> = row
                .indices
                .iter()
                .map(|&i| s.terms()[i as usize].as_str())
                .collect();
            assert_eq!(names, ["exig", "exig exig", "moscou", "moscou exig"]);
            if weighting == Weighting::Tfidf {
                // "exig" occurs twice: its value is larger than that of "moscou".
                assert!(row.values[0] > row.values[2]);
            } else {
                assert!(row.values.iter().all(|&v| (v - 0.5).abs() < 1e-12));
            }
        }
    }

    #[test]
    fn negated_stems_are_distinct_features() {
        let s = space(
            &["nous renoncerons", "nous ne renoncerons pas"],
            1,
            Weighting::Binary,
        );
        assert!(s.id("renonc").is_some());
        assert!(s.id("NOT_renonc").is_some());
        let mut f = s.featurizer();
        let mut row = SparseVector::default();
        f.featurize("ils ne renonceront pas", &mut row);
        assert!(row.indices.contains(&s.id("NOT_renonc").unwrap()));
        assert!(!row.indices.contains(&s.id("renonc").unwrap()));
    }

    #[test]
    fn empty_and_unknown_sentences_give_empty_rows() {
        let s = space(&["Moscou exige"], 1, Weighting::Binary);
        let mut f = s.featurizer();
        let mut row = SparseVector::default();
        f.featurize("", &mut row);
        assert!(row.is_empty());
        f.featurize("Tout autre chose.", &mut row);
        assert!(row.is_empty());
    }

    #[test]
    fn corrupt_parts_are_refused() {
        let c = AnalyzerConfig::default();
        let f = FeatureConfig {
            min_count: 1,
            ..FeatureConfig::default()
        };
        let parts = |terms: &[&str], idf: &[f64]| {
            let terms = terms.iter().map(|t| t.to_string()).collect();
            FeatureSpace::from_parts(c.clone(), f, terms, idf.to_vec())
        };
        assert!(parts(&["a"], &[1.0]).is_ok());
        assert!(parts(&["b", "a"], &[1.0, 1.0]).is_err());
        assert!(parts(&["a"], &[]).is_err());
        assert!(parts(&["a", "a b"], &[1.0, 1.0]).is_err());
        let trigrams = FeatureConfig { ngrams: 3, ..f };
        assert!(FeatureSpace::from_parts(c.clone(), trigrams, vec![], vec![]).is_err());
    }

    #[test]
    fn the_feature_config_decides_the_terms_and_values() {
        let unigrams = FeatureConfig {
            ngrams: 1,
            weighting: Weighting::Binary,
            min_count: 2,
        };
        let analyzer = AnalyzerConfig::default();
        let s =
            FeatureSpace::learn(&analyzer, &unigrams, ["Moscou exige", "Moscou exige"]).unwrap();
        assert_eq!(*s.feature_config(), unigrams);
        assert_eq!(s.terms(), ["exig", "moscou"]);
        let mut row = SparseVector::default();
        s.featurizer().featurize("Moscou exige exige", &mut row);
        // Binary: "exig" twice counts as once, so both values are equal.
        assert_eq!(row.values.len(), 2);
        assert!(row.values.iter().all(|v| (v - 0.5f64.sqrt()).abs() < 1e-12));
        let trigrams = FeatureConfig {
            ngrams: 3,
            ..FeatureConfig::default()
        };
        assert!(FeatureSpace::learn(&analyzer, &trigrams, ["a b c"]).is_err());
    }

    #[test]
    fn unlabeled_text_counts_in_the_idf_of_every_term_and_adds_none() {
        let features = FeatureConfig {
            min_count: 2,
            ..FeatureConfig::default()
        };
        let space = FeatureSpace::learn_with_unlabeled(
            &AnalyzerConfig::default(),
            &features,
            ["Paris exige", "Paris exige", "Berlin refuse"],
            ["Paris exige", "Moscou exige", "Berlin refuse"],
        )
        .unwrap();
        // Berlin and refuse occur once labeled: below the minimum count, whatever
        // the unlabeled text says. The verb is in 4 of the 6 sentences, the city
        // and the pair (counted like any term) in 3.
        let df: Vec<usize> = space
            .terms()
            .iter()
            .map(|t| if t.starts_with("exig") { 4 } else { 3 })
            .collect();
        assert_eq!(space.terms().len(), 3, "{:?}", space.terms());
        assert!(space.terms().iter().any(|t| t.contains(' ')));
        for ((term, &idf), df) in space.terms().iter().zip(space.idf()).zip(df) {
            assert_eq!(idf, smoothed_idf(6, df), "{term}");
        }
    }

    #[test]
    fn the_default_is_bigrams_tfidf_min_count_one() {
        let d = FeatureConfig::default();
        assert_eq!(
            (d.ngrams, d.weighting, d.min_count),
            (2, Weighting::Tfidf, 1)
        );
    }
}
