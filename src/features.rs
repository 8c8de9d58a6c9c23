//! Terms → sparse feature vectors over a learnt vocabulary.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use crate::analyze::{Analyzer, AnalyzerConfig, Weighting, NEGATION_PREFIX};
use crate::chunks::ChunkCache;
use crate::error::{Error, Result};
use crate::tokenize::Negation;

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
pub fn smoothed_idf(n_docs: usize, df: usize) -> f64 {
    ((1.0 + n_docs as f64) / (1.0 + df as f64)).ln() + 1.0
}

/// Marks "no such feature" in lookup tables.
pub(crate) const ABSENT: u32 = u32::MAX;

/// The feature space of a model: a sorted vocabulary of terms (stems, `NOT_` stems
/// and "a b" stem pairs), their inverse document frequencies, and how values are
/// computed. Feature ids are positions in the sorted list, so they depend only on
/// the set of terms.
#[derive(Debug, Clone)]
pub struct FeatureSpace {
    config: AnalyzerConfig,
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
        sentences: impl IntoIterator<Item = &'a str>,
        min_count: usize,
    ) -> Result<Self> {
        let mut analyzer = Analyzer::new(config)?;
        let mut document_frequency: BTreeMap<String, usize> = BTreeMap::new();
        let mut n_docs = 0usize;
        let mut seen: Vec<String> = Vec::new();
        for sentence in sentences {
            n_docs += 1;
            seen.clear();
            seen.extend(analyzer.term_names(sentence));
            seen.sort_unstable();
            seen.dedup();
            for term in seen.drain(..) {
                *document_frequency.entry(term).or_insert(0) += 1;
            }
        }
        let min_count = min_count.max(1);
        let (terms, idf): (Vec<String>, Vec<f64>) = document_frequency
            .into_iter()
            .filter(|&(_, df)| df >= min_count)
            .map(|(term, df)| (term, smoothed_idf(n_docs, df)))
            .unzip();
        FeatureSpace::from_parts(config.clone(), terms, idf)
    }

    /// Rebuilds a feature space from saved parts; checks that terms are sorted and
    /// distinct and that there is one idf per term.
    pub fn from_parts(config: AnalyzerConfig, terms: Vec<String>, idf: Vec<f64>) -> Result<Self> {
        config.validate()?;
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
            if let Some((a, b)) = term.split_once(' ') {
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

    /// Whether features include pairs of adjacent stems.
    #[inline]
    pub(crate) fn has_bigrams(&self) -> bool {
        self.config.ngrams >= 2
    }

    /// A featurizer for this space (one per thread).
    pub fn featurizer(&self) -> Featurizer<'_> {
        Featurizer {
            space: self,
            analyzer: Analyzer::new(&self.config).expect("config validated on construction"),
            chunks: ChunkCache::new(Negation::new(
                self.config.negation,
                self.config.negation_window,
            )),
            stem_features: Vec::new(),
            generation: 0,
            unigrams: Vec::new(),
            ids: Vec::new(),
        }
    }
}

/// Turns sentences into [`SparseVector`]s. Reuses its buffers and caches, for each
/// stem it has met, its feature ids plain and negated, so that a known word costs
/// one hash lookup.
pub struct Featurizer<'a> {
    space: &'a FeatureSpace,
    /// The slow path: sentences the chunk cache cannot take, and explanations.
    analyzer: Analyzer,
    chunks: ChunkCache,
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
        self.unigrams.clear();
        let unigrams = &mut self.unigrams;
        if !self
            .chunks
            .for_each_unigram(self.space, sentence, |id| unigrams.push(id))
        {
            self.unigram_ids(sentence);
        }
        self.finish(out);
    }

    /// [`Featurizer::featurize`] through the slow path, then each feature with the
    /// words that produced it (a bigram lists both words), for explanations.
    pub fn featurize_with_origins(
        &mut self,
        sentence: &str,
        out: &mut SparseVector,
    ) -> Vec<(u32, String)> {
        self.unigram_ids(sentence);
        self.finish(out);
        self.origins()
    }

    /// Bigrams, counts and values from [`Featurizer::unigrams`].
    fn finish(&mut self, out: &mut SparseVector) {
        out.clear();
        self.ids.clear();
        self.ids
            .extend(self.unigrams.iter().copied().filter(|&id| id != ABSENT));
        if self.space.has_bigrams() {
            for pair in self.unigrams.windows(2) {
                if pair[0] != ABSENT && pair[1] != ABSENT {
                    if let Some(id) = self.space.bigram(pair[0], pair[1]) {
                        self.ids.push(id);
                    }
                }
            }
        }
        self.ids.sort_unstable();
        let weighting = self.space.config.weighting;
        let mut norm = 0.0;
        let mut k = 0;
        while k < self.ids.len() {
            let id = self.ids[k];
            let mut count = 1;
            while k + count < self.ids.len() && self.ids[k + count] == id {
                count += 1;
            }
            k += count;
            let value = match weighting {
                Weighting::Binary => 1.0,
                Weighting::Tfidf => count as f64 * self.space.idf[id as usize],
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

    /// Calls `emit` with the unigram feature id of every token of `sentence`
    /// through the one-pass path; false when the sentence needs the slow path
    /// (see [`crate::chunks`]).
    #[inline]
    pub(crate) fn for_each_unigram_fast(&mut self, sentence: &str, emit: impl FnMut(u32)) -> bool {
        self.chunks.for_each_unigram(self.space, sentence, emit)
    }

    /// The unigram ids of `sentence` through the slow path alone (for tests that
    /// hold the two paths to the same result).
    #[doc(hidden)]
    pub fn slow_unigram_ids(&mut self, sentence: &str) -> Vec<u32> {
        self.unigram_ids(sentence);
        self.unigrams.clone()
    }

    /// The unigram ids of `sentence` through the one-pass path, or `None` where it
    /// hands the sentence to the slow path.
    #[doc(hidden)]
    pub fn fast_unigram_ids(&mut self, sentence: &str) -> Option<Vec<u32>> {
        let mut ids = Vec::new();
        self.chunks
            .for_each_unigram(self.space, sentence, |id| ids.push(id))
            .then_some(ids)
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

    /// Each feature of the last sentence featurized by the slow path with the words
    /// that produced it.
    fn origins(&self) -> Vec<(u32, String)> {
        let terms = self.analyzer.last_terms();
        let mut out = Vec::new();
        for (k, term) in terms.iter().enumerate() {
            let id = self.unigrams[k];
            if id != ABSENT {
                out.push((id, self.analyzer.word(term).to_string()));
            }
            if k > 0 && self.space.has_bigrams() {
                let (a, b) = (self.unigrams[k - 1], id);
                if a != ABSENT && b != ABSENT {
                    if let Some(bigram) = self.space.bigram(a, b) {
                        let words = format!(
                            "{} {}",
                            self.analyzer.word(&terms[k - 1]),
                            self.analyzer.word(term)
                        );
                        out.push((bigram, words));
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space(sentences: &[&str], min_count: usize, weighting: Weighting) -> FeatureSpace {
        let config = AnalyzerConfig {
            weighting,
            ..AnalyzerConfig::default()
        };
        FeatureSpace::learn(&config, sentences.iter().copied(), min_count).unwrap()
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
        assert!(
            FeatureSpace::from_parts(c.clone(), vec!["b".into(), "a".into()], vec![1.0, 1.0])
                .is_err()
        );
        assert!(FeatureSpace::from_parts(c.clone(), vec!["a".into()], vec![]).is_err());
        assert!(
            FeatureSpace::from_parts(c, vec!["a".into(), "a b".into()], vec![1.0, 1.0]).is_err()
        );
    }
}
