//! The analyzer: sentence → stemmed terms. Its configuration is saved in every
//! model file, so that training and classifying cannot disagree on preprocessing.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::tokenize::{Token, Tokenizer, DEFAULT_NEGATION_WINDOW};

/// Prefix of a stem in the scope of a negation: `NOT_renonc`.
pub const NEGATION_PREFIX: &str = "NOT_";

/// How feature values are computed from term counts (then L2-normalized).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Weighting {
    /// 1 for every term present.
    #[default]
    Binary,
    /// Term count × smoothed inverse document frequency.
    Tfidf,
}

impl std::str::FromStr for Weighting {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "binary" => Ok(Weighting::Binary),
            "tfidf" => Ok(Weighting::Tfidf),
            other => Err(Error::Config(format!(
                "unknown weighting {other:?} (expected binary or tfidf)"
            ))),
        }
    }
}

impl std::fmt::Display for Weighting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Weighting::Binary => "binary",
            Weighting::Tfidf => "tfidf",
        })
    }
}

/// Everything that decides how text becomes terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalyzerConfig {
    /// Stemming algorithm; only `"snowball-french"` exists.
    pub stemmer: String,
    /// Mark stems in the scope of a negation with [`NEGATION_PREFIX`].
    pub negation: bool,
    /// Tokens after the closing `pas`/`jamais`… that stay in scope.
    pub negation_window: u32,
    /// Third-person plural verb forms and the singular form whose stem they take
    /// (`proposent` → `propose`): French Snowball leaves these plurals whole or cuts
    /// them short (`réclament` → `recl`), so « les États-Unis proposent » and
    /// « Washington propose » would not share a stem. Learnt from the training text
    /// ([`learn_verb_folds`]); empty means no folding.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub verb_folds: BTreeMap<String, String>,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        AnalyzerConfig {
            stemmer: STEMMER_NAME.to_string(),
            negation: true,
            negation_window: DEFAULT_NEGATION_WINDOW,
            verb_folds: BTreeMap::new(),
        }
    }
}

const STEMMER_NAME: &str = "snowball-french";

impl AnalyzerConfig {
    /// Checks that the configuration can be used.
    pub fn validate(&self) -> Result<()> {
        if self.stemmer != STEMMER_NAME {
            return Err(Error::Config(format!(
                "unknown stemmer {:?} (only {STEMMER_NAME:?} exists)",
                self.stemmer
            )));
        }
        Ok(())
    }
}

/// The stem of `word`: Snowball's, or that of its singular form when `folds` maps
/// it to one. The one place where a word becomes a stem, for both labeling paths.
pub(crate) fn stem_word<'a>(
    stemmer: &Stemmer,
    folds: &BTreeMap<String, String>,
    word: &'a str,
) -> Cow<'a, str> {
    match folds.get(word) {
        Some(singular) => Cow::Owned(stemmer.stem(singular).into_owned()),
        None => stemmer.stem(word),
    }
}

/// The third-person plural verb forms of `sentences` whose stem differs from their
/// singular's, each mapped to that singular. A word `Xent` of six letters or more
/// folds onto `Xe` when `Xe` occurs too, and so does another form of the same verb
/// (`Xer`, `X-ait`, `X-aient`, `X-ons`, with a doubled final consonant undone:
/// `appellent` → `appelle`, seen with `appelait`); failing that, onto `Xt` when `Xt`
/// and `Xre`, `X-ait`, `X-aient` or `X-ons` occur (`excluent` → `exclut`). The
/// second form keeps nouns and adverbs in `-ent` whole (`gouvernement`, `comment`,
/// `souvent`).
pub fn learn_verb_folds<'a>(
    sentences: impl IntoIterator<Item = &'a str>,
) -> BTreeMap<String, String> {
    let sentences: Vec<&str> = sentences.into_iter().collect();
    // The set of words does not depend on how the sentences are shared out.
    let words: BTreeSet<String> = sentences
        .par_iter()
        .fold(
            || (Tokenizer::new(false, 0), FxHashSet::<String>::default()),
            |(mut tokenizer, mut words), sentence| {
                tokenizer.tokenize(sentence);
                let normalized = tokenizer.normalized();
                for t in tokenizer.tokens() {
                    let word = &normalized[t.start as usize..t.end as usize];
                    if !words.contains(word) {
                        words.insert(word.to_string());
                    }
                }
                (tokenizer, words)
            },
        )
        .map(|(_, words)| words)
        .reduce(FxHashSet::default, |a, b| {
            let (mut a, b) = if a.len() >= b.len() { (a, b) } else { (b, a) };
            a.extend(b);
            a
        })
        .into_iter()
        .collect();
    let stemmer = Stemmer::create(Algorithm::French);
    let mut folds = BTreeMap::new();
    for word in &words {
        let Some(base) = word.strip_suffix("ent") else {
            continue;
        };
        if word.chars().count() < 6 {
            continue;
        }
        let mut bases = vec![base.to_string()];
        let chars: Vec<char> = base.chars().collect();
        if chars.len() >= 2 && chars[chars.len() - 1] == chars[chars.len() - 2] {
            bases.push(chars[..chars.len() - 1].iter().collect());
        }
        // First-group verbs (`proposent` → `propose`, confirmed by `proposer`), then
        // verbs whose singular ends in -t (`excluent` → `exclut`, confirmed by
        // `exclure`; `rompent` → `rompt`).
        let families: [(String, &[&str]); 2] = [
            (format!("{base}e"), &["er", "ait", "aient", "ons"]),
            (format!("{base}t"), &["re", "ait", "aient", "ons"]),
        ];
        let fold = families.into_iter().find(|(singular, endings)| {
            words.contains(singular)
                && bases.iter().any(|b| {
                    endings
                        .iter()
                        .any(|ending| words.contains(&format!("{b}{ending}")))
                })
                && stemmer.stem(word) != stemmer.stem(singular)
        });
        if let Some((singular, _)) = fold {
            folds.insert(word.clone(), singular);
        }
    }
    folds
}

/// A stemmed token: an interned stem, its negation mark, and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    /// Id of the stem in [`Analyzer::stem`].
    pub stem: u32,
    /// In the scope of a negation.
    pub negated: bool,
    /// The token in [`Analyzer::normalized`].
    pub token: Token,
}

/// Past this many distinct words the cache is emptied, so memory stays flat on
/// endless input.
const MAX_CACHED_WORDS: usize = 1 << 20;

/// Longest text packed into a `u128` key by [`pack_short`]: the last byte holds the
/// length.
pub(crate) const SHORT_KEY_BYTES: usize = 15;

/// The key of a text of at most [`SHORT_KEY_BYTES`] bytes: its bytes in order, then
/// zeros, and its length in the last byte. Both labeling paths key their caches so:
/// the key lives in the hash table itself, and a look-up compares two machine words
/// instead of following a pointer to a string elsewhere in memory (a cache miss per
/// token). The bytes are read with overlapping loads rather than copied one by one
/// into a buffer: a copy the processor cannot forward to the loads that follow
/// stalled every look-up.
#[inline]
pub(crate) fn pack_short(text: &[u8]) -> u128 {
    let n = text.len();
    debug_assert!(n <= SHORT_KEY_BYTES);
    let word = |at: usize| u64::from_le_bytes(text[at..at + 8].try_into().unwrap());
    let half = |at: usize| u64::from(u32::from_le_bytes(text[at..at + 4].try_into().unwrap()));
    let (low, high) = if n >= 8 {
        // The last 8 bytes, shifted so that byte 8 of the text lands in byte 0.
        let tail = word(n - 8).checked_shr(8 * (16 - n) as u32).unwrap_or(0);
        (word(0), tail)
    } else if n >= 4 {
        let tail = half(n - 4).checked_shr(8 * (8 - n) as u32).unwrap_or(0);
        (half(0) | tail << 32, 0)
    } else {
        let mut low = 0u64;
        for (k, &b) in text.iter().enumerate() {
            low |= u64::from(b) << (8 * k);
        }
        (low, 0)
    };
    u128::from(low) | u128::from(high) << 64 | (n as u128) << 120
}

/// A word as a cache key: nearly all words fit [`pack_short`].
enum WordKey<'a> {
    Short(u128),
    Long(&'a str),
}

impl<'a> WordKey<'a> {
    fn new(word: &'a str) -> Self {
        if word.len() > SHORT_KEY_BYTES {
            WordKey::Long(word)
        } else {
            WordKey::Short(pack_short(word.as_bytes()))
        }
    }
}

/// The word → stem id cache, in two maps by word length (see [`WordKey`]).
#[derive(Default)]
struct WordStems {
    short: FxHashMap<u128, u32>,
    long: FxHashMap<Box<str>, u32>,
}

impl WordStems {
    fn get(&self, key: &WordKey<'_>) -> Option<u32> {
        match key {
            WordKey::Short(k) => self.short.get(k).copied(),
            WordKey::Long(word) => self.long.get(*word).copied(),
        }
    }

    fn insert(&mut self, key: WordKey<'_>, id: u32) {
        match key {
            WordKey::Short(k) => self.short.insert(k, id),
            WordKey::Long(word) => self.long.insert(word.into(), id),
        };
    }

    fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }

    fn clear(&mut self) {
        self.short.clear();
        self.long.clear();
    }
}

/// Turns sentences into stemmed terms. Keeps a word → stem cache, so each distinct
/// word is stemmed once; use one analyzer per thread.
pub struct Analyzer {
    config: AnalyzerConfig,
    tokenizer: Tokenizer,
    stemmer: Stemmer,
    word_stems: WordStems,
    stem_ids: FxHashMap<Box<str>, u32>,
    stems: Vec<Box<str>>,
    terms: Vec<Term>,
    generation: u64,
}

impl Analyzer {
    /// An analyzer for `config` (which must be valid).
    pub fn new(config: &AnalyzerConfig) -> Result<Self> {
        config.validate()?;
        Ok(Analyzer {
            config: config.clone(),
            tokenizer: Tokenizer::new(config.negation, config.negation_window),
            stemmer: Stemmer::create(Algorithm::French),
            word_stems: WordStems::default(),
            stem_ids: FxHashMap::default(),
            stems: Vec::new(),
            terms: Vec::new(),
            generation: 0,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &AnalyzerConfig {
        &self.config
    }

    /// Stems `sentence`; the terms borrow the analyzer's buffers.
    pub fn analyze(&mut self, sentence: &str) -> &[Term] {
        if self.word_stems.len() > MAX_CACHED_WORDS {
            self.word_stems.clear();
            self.stem_ids.clear();
            self.stems.clear();
            self.generation += 1;
        }
        let Analyzer {
            config,
            tokenizer,
            stemmer,
            word_stems,
            stem_ids,
            stems,
            terms,
            ..
        } = self;
        terms.clear();
        tokenizer.tokenize(sentence);
        let normalized = tokenizer.normalized();
        for &token in tokenizer.tokens() {
            let word = &normalized[token.start as usize..token.end as usize];
            let key = WordKey::new(word);
            let stem = match word_stems.get(&key) {
                Some(id) => id,
                None => {
                    let stemmed = stem_word(stemmer, &config.verb_folds, word);
                    let id = match stem_ids.get(stemmed.as_ref()) {
                        Some(&id) => id,
                        None => {
                            let id = stems.len() as u32;
                            let boxed: Box<str> = stemmed.as_ref().into();
                            stems.push(boxed.clone());
                            stem_ids.insert(boxed, id);
                            id
                        }
                    };
                    word_stems.insert(key, id);
                    id
                }
            };
            terms.push(Term {
                stem,
                negated: token.negated,
                token,
            });
        }
        &self.terms
    }

    /// The terms of the last sentence analyzed.
    pub fn last_terms(&self) -> &[Term] {
        &self.terms
    }

    /// The stem with id `id`.
    pub fn stem(&self, id: u32) -> &str {
        &self.stems[id as usize]
    }

    /// Number of distinct stems seen since the cache was last emptied.
    pub fn stem_count(&self) -> usize {
        self.stems.len()
    }

    /// Changes whenever the cache is emptied and stem ids are reassigned.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The normalized text of the last sentence.
    pub fn normalized(&self) -> &str {
        self.tokenizer.normalized()
    }

    /// The normalized word a term came from.
    pub fn word(&self, term: &Term) -> &str {
        self.tokenizer.text(term.token)
    }

    /// The feature name of a unigram term: its stem, prefixed when negated.
    pub fn term_name(&self, term: &Term) -> String {
        let stem = self.stem(term.stem);
        if term.negated {
            format!("{NEGATION_PREFIX}{stem}")
        } else {
            stem.to_string()
        }
    }

    /// The unigram feature names of a sentence, in order, with repeats.
    pub fn term_names(&mut self, sentence: &str) -> Vec<String> {
        self.analyze(sentence);
        self.terms.iter().map(|t| self.term_name(t)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_are_those_of_rust_stemmers() {
        let mut a = Analyzer::new(&AnalyzerConfig::default()).unwrap();
        let names = a.term_names("L'Otan refuse de renoncer");
        // Observed from rust-stemmers' French Snowball stemmer.
        assert_eq!(names, ["l", "otan", "refus", "de", "renonc"]);
        let names = a.term_names("Nous ne renoncerons pas");
        assert_eq!(names, ["nous", "ne", "NOT_renonc", "pas"]);
        assert_eq!(a.term_names("exige exigeons"), ["exig", "exigeon"]);
    }

    #[test]
    fn packed_keys_hold_the_bytes_and_the_length() {
        let text = b"abcdefghijklmnopq";
        for n in 0..=SHORT_KEY_BYTES {
            let mut expected = [0u8; 16];
            expected[..n].copy_from_slice(&text[..n]);
            expected[SHORT_KEY_BYTES] = n as u8;
            assert_eq!(pack_short(&text[..n]), u128::from_le_bytes(expected), "{n}");
        }
    }

    #[test]
    fn same_word_same_stem_id() {
        let mut a = Analyzer::new(&AnalyzerConfig::default()).unwrap();
        let first = a.analyze("Moscou exige")[1].stem;
        let second = a.analyze("Pékin exigeait")[1].stem;
        assert_eq!(first, second);
        assert_eq!(a.stem(first), "exig");
    }

    #[test]
    fn short_and_long_words_are_cached_apart() {
        let mut a = Analyzer::new(&AnalyzerConfig::default()).unwrap();
        // 15 bytes (packed), 16 bytes (a string key), and words that are prefixes
        // of one another or differ only in length.
        let sentence =
            "anticonstituti anticonstitutio anticonstitution anticonstitutionnellement a aa";
        let first: Vec<u32> = a.analyze(sentence).iter().map(|t| t.stem).collect();
        let names: Vec<String> = first.iter().map(|&s| a.stem(s).to_string()).collect();
        let again: Vec<u32> = a.analyze(sentence).iter().map(|t| t.stem).collect();
        assert_eq!(first, again);
        let mut fresh = Analyzer::new(&AnalyzerConfig::default()).unwrap();
        for (word, name) in sentence.split(' ').zip(&names) {
            let id = fresh.analyze(word)[0].stem;
            assert_eq!(fresh.stem(id), name, "{word}");
        }
        assert_eq!(a.word_stems.len(), 6);
        assert_eq!(a.word_stems.long.len(), 2);
    }

    #[test]
    fn bad_configurations_are_refused() {
        let bad = AnalyzerConfig {
            stemmer: "porter".into(),
            ..AnalyzerConfig::default()
        };
        assert!(Analyzer::new(&bad).is_err());
        assert!("counts".parse::<Weighting>().is_err());
    }
}

#[cfg(test)]
mod verb_fold_tests {
    use super::*;

    #[test]
    fn plural_verbs_fold_onto_their_singular_and_nouns_stay() {
        let folds = learn_verb_folds([
            "Les États-Unis proposent une trêve. Washington propose. Il faut proposer.",
            "Ils réclament des garanties ; elle réclame ; ils réclamaient.",
            "Ils appellent au calme, il appelle, on appelait.",
            "Le gouvernement et le parlement. Comment ? Souvent. Le gouverne.",
            "Ils menacent, elle menace, menacer.",
            "Ils n'excluent pas, il n'exclut pas, exclure. Ils rompent, il rompt, rompre.",
            "Son parent est parti, à part.",
        ]);
        assert_eq!(folds.get("excluent").map(String::as_str), Some("exclut"));
        assert_eq!(folds.get("rompent").map(String::as_str), Some("rompt"));
        assert!(!folds.contains_key("parent"), "{folds:?}");
        assert_eq!(folds.get("proposent").map(String::as_str), Some("propose"));
        assert_eq!(folds.get("réclament").map(String::as_str), Some("réclame"));
        assert_eq!(folds.get("appellent").map(String::as_str), Some("appelle"));
        assert_eq!(folds.get("menacent").map(String::as_str), Some("menace"));
        for noun in ["gouvernement", "parlement", "comment", "souvent"] {
            assert!(!folds.contains_key(noun), "{noun} folded: {folds:?}");
        }
        let config = AnalyzerConfig {
            verb_folds: folds,
            ..AnalyzerConfig::default()
        };
        let mut analyzer = Analyzer::new(&config).unwrap();
        let plural = analyzer.term_names("Les États-Unis proposent une trêve");
        let singular = analyzer.term_names("Washington propose une trêve");
        assert!(plural.contains(&"propos".to_string()), "{plural:?}");
        assert!(singular.contains(&"propos".to_string()), "{singular:?}");
        assert_eq!(
            analyzer.term_names("Ils réclament")[1],
            analyzer.term_names("Il réclame")[1]
        );
    }
}

/// Snowball stems of French function words, auxiliaries and their common forms,
/// weekdays and months: words that carry no act, whatever the sentence. A model that
/// decides on them has learnt the topics or the dates of its training news.
pub const EMPTY_STEMS: &[&str] = &[
    // articles, prepositions, conjunctions, pronouns, auxiliaries
    "le", "la", "les", "l", "un", "une", "de", "du", "des", "d", "à", "au", "aux", "en", "dan",
    "sur", "pour", "par", "avec", "et", "ou", "mais", "que", "qu", "qui", "ce", "cet", "se", "s",
    "il", "ils", "elle", "elles", "on", "nous", "vous", "je", "j", "leur", "son", "sa", "ses",
    "lui", "y", "ne", "n", "a", "ont", "est", "sont", "été", "être", "avoir", "avait", "aval",
    "sera", "seront", "fait", "plus", "pas", "tout", "tous", "comm", "lor", "selon", "apres",
    "après", "avant", "entre", "sous", "contr", "depuis", "ainsi", "aussi", "alor", "donc", "car",
    "si", "déjà", "encor", "mêm", "autr", "cel", "ceux", // weekdays
    "lund", "mard", "mercred", "jeud", "vendred", "samed", "dimanch", // months
    "janvi", "févri", "mar", "avril", "mai", "juin", "juillet", "août", "septembr", "octobr",
    "novembr", "décembr",
];

/// Whether a term (a stem, a [`NEGATION_PREFIX`]ed stem, or a pair of those) is made
/// only of [`EMPTY_STEMS`].
pub fn is_empty_term(term: &str) -> bool {
    term.split(' ').all(|part| {
        let stem = part.strip_prefix(NEGATION_PREFIX).unwrap_or(part);
        EMPTY_STEMS.contains(&stem)
    })
}
