//! The one-pass path behind [`Classifier`](crate::model::Classifier), and nothing
//! else: sentence bytes → unigram ids through a cache of raw chunks of text
//! ([`chunks`]), then scores summed as the features are met, with no row built or
//! sorted (an explanation builds the row of the distinct features it met, and
//! finds again only the words it names). It gives what the stages give (the same
//! features, the same scores to rounding, the same evidence); sentences it cannot
//! take go to the stages.
//!
//! The stages never read this module: it reads them (the tokenizer's negation
//! machine and clause breaks, the analyzer's stemming and key packing, the feature
//! space's vocabulary and bigrams), so that each rule is written once.

mod chunks;
mod flat;

use std::ops::Range;

use chunks::{ChunkCache, Span};

use crate::analyze::Weighting;
use crate::features::{FeatureSpace, PAIR_SEPARATOR};
use crate::label::Label;
use crate::tokenize::{normalize_chunk, scan, Negation, ScanSink};

/// All the scorer reads and writes for one feature, in one cache line: its weights
/// and idf (for the scores and for the evidence), and its count in the current
/// sentence (valid when `generation` is the sentence's).
#[derive(Debug, Clone, Copy, Default)]
#[repr(align(64))]
struct Slot {
    weights: [f64; Label::COUNT],
    idf: f64,
    generation: u32,
    count: u32,
    /// Where the feature first occurs in the sentence's features, when it was
    /// scored for its words.
    first: u32,
    /// The feature is the left part of some bigram feature: a pair starting with
    /// it needs a look-up in the bigram map only then.
    left: bool,
    /// The feature is the right part of some bigram feature.
    right: bool,
}

const _: () = assert!(
    std::mem::size_of::<Slot>() == 64,
    "a slot is one cache line"
);

/// The one-pass scorer of one model, with its caches (one per thread).
pub(crate) struct OnePass<'m> {
    space: &'m FeatureSpace,
    intercepts: [f64; Label::COUNT],
    chunks: ChunkCache,
    /// Per feature: weights and counts, so that nothing is cleared between
    /// sentences.
    slots: Vec<Slot>,
    generation: u32,
    /// The unigram ids of the last sentence read.
    unigrams: Vec<u32>,
    /// The chunk of each of `unigrams`, when the sentence was read for its words.
    spans: Vec<Span>,
    /// The features of the last sentence scored, in order, with repeats.
    features: Vec<u32>,
    /// The terms each of `features` comes from, when the sentence was read for its
    /// words: `[first, end)` indices into `unigrams`.
    origins: Vec<[u32; 2]>,
    /// The distinct features of the sentence, when it was scored for its words.
    distinct: Vec<u32>,
    /// A chunk normalized again, for its words.
    normalized: String,
}

impl<'m> OnePass<'m> {
    /// The scorer of the model with feature space `space`, `weights` row-major by
    /// feature, and `intercepts`.
    pub(crate) fn new(
        space: &'m FeatureSpace,
        weights: &[f64],
        intercepts: [f64; Label::COUNT],
    ) -> Self {
        let mut slots: Vec<Slot> = weights
            .chunks_exact(Label::COUNT)
            .zip(space.idf())
            .map(|(w, &idf)| Slot {
                weights: w.try_into().expect("rows of COUNT"),
                idf,
                ..Slot::default()
            })
            .collect();
        for (left, right) in space.bigram_parts() {
            slots[left as usize].left = true;
            slots[right as usize].right = true;
        }
        let config = space.config();
        OnePass {
            space,
            intercepts,
            chunks: ChunkCache::new(Negation::new(config.negation, config.negation_window)),
            slots,
            generation: 0,
            unigrams: Vec::new(),
            spans: Vec::new(),
            features: Vec::new(),
            origins: Vec::new(),
            distinct: Vec::new(),
            normalized: String::new(),
        }
    }

    /// Reads the unigram ids of `sentence` (and, with `SPANS`, where each comes
    /// from); false when the sentence needs the stages.
    #[inline(always)]
    fn read<const SPANS: bool>(&mut self, sentence: &str) -> bool {
        let (unigrams, spans) = (&mut self.unigrams, &mut self.spans);
        unigrams.clear();
        spans.clear();
        self.chunks
            .for_each_unigram(self.space, sentence, |id, span| {
                unigrams.push(id);
                if SPANS {
                    spans.push(span);
                }
            })
    }

    /// The unigram ids of `sentence`, aligned with the analyzer's terms, or `None`
    /// when the sentence needs the stages.
    pub(crate) fn unigrams(&mut self, sentence: &str) -> Option<&[u32]> {
        self.read::<false>(sentence).then_some(&self.unigrams)
    }

    /// The linear scores of `sentence`, or `None` when it needs the stages. They
    /// equal the scores of its feature row up to rounding (the sums run in another
    /// order): each feature adds its weights as it is met, and the norm of the row
    /// follows the counts.
    pub(crate) fn scores(&mut self, sentence: &str) -> Option<[f64; Label::COUNT]> {
        self.scores_with::<false>(sentence)
    }

    /// [`OnePass::scores`], keeping what [`OnePass::words`] needs.
    pub(crate) fn scores_keeping_words(&mut self, sentence: &str) -> Option<[f64; Label::COUNT]> {
        self.scores_with::<true>(sentence)
    }

    /// Sorts the distinct features of the sentence last scored with its words, for
    /// [`OnePass::counted_features`].
    pub(crate) fn sort_distinct(&mut self) {
        self.distinct.sort_unstable();
    }

    /// The distinct features of the sentence last scored with its words, each with
    /// its count, in the order of [`OnePass::sort_distinct`].
    pub(crate) fn counted_features(&self) -> impl Iterator<Item = (u32, usize)> + '_ {
        self.distinct
            .iter()
            .map(|&id| (id, self.slots[id as usize].count as usize))
    }

    /// The idf of feature `id`, read where scoring just read it (rather than in
    /// the feature space, a cache miss away).
    #[inline]
    pub(crate) fn idf(&self, id: u32) -> f64 {
        self.slots[id as usize].idf
    }

    /// The weight of feature `id` for `label`, read where scoring just read it.
    #[inline]
    pub(crate) fn weight(&self, id: u32, label: Label) -> f64 {
        self.slots[id as usize].weights[label.index()]
    }

    /// Appends to `words` the normalized words behind the first occurrence of
    /// feature `id` in `sentence`, the sentence last given to
    /// [`OnePass::scores_keeping_words`] (two words, space-separated, for a
    /// bigram): those of its chunks, normalized
    /// and tokenized again, which is only worth it for the few features an
    /// explanation names.
    pub(crate) fn words(&mut self, sentence: &str, id: u32, words: &mut String) {
        let slot = &self.slots[id as usize];
        if slot.generation != self.generation {
            return;
        }
        let [first, end] = self.origins[slot.first as usize];
        for k in first..end {
            if k > first {
                words.push(PAIR_SEPARATOR);
            }
            self.push_word(sentence, k as usize, words);
        }
    }

    /// Appends the normalized word of term `k` of the last sentence scored with its
    /// words to `out`.
    fn push_word(&mut self, sentence: &str, k: usize, out: &mut String) {
        let span = self.spans[k];
        let chunk = &sentence[span.start as usize..span.end as usize];
        // Most words: a chunk of ASCII letters and digits is one token, and its
        // normalization is its lowercase.
        if chunk.bytes().all(|b| b.is_ascii_alphanumeric()) {
            let start = out.len();
            out.push_str(chunk);
            out[start..].make_ascii_lowercase();
            return;
        }
        // Terms of one chunk are consecutive: the rank of term k in its chunk.
        let rank = self.spans[..k]
            .iter()
            .rev()
            .take_while(|&&s| s == span)
            .count();
        let normalized = normalize_chunk(chunk, &mut self.normalized);
        debug_assert!(normalized, "a chunk the one-pass path took");
        let mut nth = NthToken { rank, found: None };
        scan(&self.normalized, &mut nth);
        let found = nth.found.expect("as many tokens as the cache found");
        out.push_str(&self.normalized[found]);
    }

    #[inline(always)]
    fn scores_with<const SPANS: bool>(&mut self, sentence: &str) -> Option<[f64; Label::COUNT]> {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // Wrapped: old counts could pass for this sentence's.
            self.slots.iter_mut().for_each(|slot| slot.generation = 0);
            self.generation = 1;
        }
        let fast = self.read::<SPANS>(sentence);
        let space = self.space;
        let generation = self.generation;
        let tfidf = space.feature_config().weighting == Weighting::Tfidf;
        // The unigrams first, then their slots touched in a loop of independent
        // loads (the table is larger than the core's cache: the misses then overlap
        // instead of coming one after another), then the sums.
        let mut touched = 0;
        for &id in self.unigrams.iter() {
            if let Some(slot) = self.slots.get(id as usize) {
                touched ^= slot.generation;
            }
        }
        if !fast {
            return None;
        }
        // The features in order, each unigram followed by the bigram it ends; the
        // look-ups are independent of one another, and so are the loads of the
        // bigrams' slots after them.
        let (features, origins) = (&mut self.features, &mut self.origins);
        features.clear();
        origins.clear();
        let slots = &self.slots;
        space.for_each_feature(
            &self.unigrams,
            |left, right| slots[left as usize].left && slots[right as usize].right,
            |id, from| {
                features.push(id);
                if SPANS {
                    origins.push([from.start as u32, from.end as u32]);
                }
            },
        );
        for &id in features.iter() {
            touched ^= slots[id as usize].generation;
        }
        std::hint::black_box(touched);
        let slots = &mut self.slots;
        let distinct = &mut self.distinct;
        distinct.clear();
        let mut sum = [0.0; Label::COUNT];
        let mut norm_squared = 0.0;
        for (at, &id) in features.iter().enumerate() {
            let slot = &mut slots[id as usize];
            if slot.generation != generation {
                slot.generation = generation;
                slot.count = 0;
                if SPANS {
                    slot.first = at as u32;
                    distinct.push(id);
                }
            } else if !tfidf {
                continue;
            }
            // (c + 1)² − c² = 2c + 1: the row's squared norm as the count grows.
            norm_squared += if tfidf {
                slot.idf * slot.idf * f64::from(2 * slot.count + 1)
            } else {
                1.0
            };
            slot.count += 1;
            // An occurrence adds its weights × its idf (tf-idf) or its weights
            // (binary) to the scores before the row is normalized.
            let scale = if tfidf { slot.idf } else { 1.0 };
            for (total, w) in sum.iter_mut().zip(&slot.weights) {
                *total += w * scale;
            }
        }
        let mut scores = self.intercepts;
        if norm_squared > 0.0 {
            let scale = 1.0 / norm_squared.sqrt();
            for k in 0..Label::COUNT {
                scores[k] += sum[k] * scale;
            }
        }
        Some(scores)
    }
}

/// Finds the byte range of the token of rank `rank` in a scanned text.
struct NthToken {
    rank: usize,
    found: Option<Range<usize>>,
}

impl ScanSink for NthToken {
    fn token(&mut self, _: &str, start: usize, end: usize) {
        if self.rank == 0 && self.found.is_none() {
            self.found = Some(start..end);
        }
        self.rank = self.rank.wrapping_sub(1);
    }

    fn clause_break(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::AnalyzerConfig;
    use crate::features::FeatureConfig;

    fn space(text: &[&str]) -> FeatureSpace {
        let features = FeatureConfig {
            min_count: 1,
            ..FeatureConfig::default()
        };
        FeatureSpace::learn(&AnalyzerConfig::default(), &features, text.iter().copied()).unwrap()
    }

    #[test]
    fn counts_survive_the_generation_wrapping_around() {
        let text = [
            "Moscou exige le retrait",
            "Paris refuse, Paris refuse encore",
        ];
        let space = space(&text);
        let weights: Vec<f64> = (0..space.len() * Label::COUNT)
            .map(|k| ((k * 7919) % 13) as f64 / 13.0 - 0.5)
            .collect();
        let intercepts = [0.1, 0.0, -0.1, 0.2, 0.0];
        let mut fresh = OnePass::new(&space, &weights, intercepts);
        let mut old = OnePass::new(&space, &weights, intercepts);
        // Every slot stamped by an old sentence with the generation that will come
        // round again just after the wrap, with a count of its own: without the
        // reset, the second sentence below would take those counts for its own.
        for slot in &mut old.slots {
            slot.generation = 1;
            slot.count = 5;
        }
        old.generation = u32::MAX - 1;
        for sentence in [
            "Moscou exige",
            "Moscou exige",
            "Paris refuse, Paris refuse encore",
        ] {
            let expected = fresh.scores(sentence).unwrap();
            assert_eq!(old.scores(sentence).unwrap(), expected, "{sentence}");
        }
        assert!(old.generation < 10);
    }

    #[test]
    fn words_are_found_again_in_their_chunks() {
        let text = ["« L’OTAN n'acceptera pas », dit-il. L'OTAN refuse, l'otan cède"];
        let space = space(&text);
        let weights = vec![0.0; space.len() * Label::COUNT];
        let mut one_pass = OnePass::new(&space, &weights, [0.0; Label::COUNT]);
        let sentence = text[0];
        one_pass.scores_keeping_words(sentence).unwrap();
        for (term, words) in [
            ("otan", "otan"),
            ("NOT_accept", "acceptera"),
            ("l otan", "l otan"),
            ("dit il", "dit il"),
            ("refus", "refuse"),
        ] {
            let id = space.id(term).unwrap_or_else(|| panic!("{term}"));
            let mut found = String::new();
            one_pass.words(sentence, id, &mut found);
            assert_eq!(found, words, "{term}");
        }
    }
}
