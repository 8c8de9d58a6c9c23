//! The front end of the one-pass scorer: raw sentence bytes → the unigram
//! feature id of every token, through a cache from raw chunks of text to what the
//! normalize → tokenize → stem → look-up stages make of them.
//!
//! A *chunk* is a maximal run of bytes that are ASCII letters or digits, `-`, `'`,
//! `` ` `` or any byte of a non-ASCII character. Every other byte is ASCII space or
//! punctuation: normalization leaves it as it is, and it always ends a word. So the
//! tokens of a sentence are the tokens of its chunks laid end to end, and each
//! distinct chunk goes through the slow stages once. Only two things run across
//! chunks: the negation scope, driven here by the tokenizer's own state machine
//! over roles cached with each token, and the bigrams, built by the feature space
//! from consecutive ids.
//!
//! A chunk holding a character that NFC could merge with a neighbour (a combining
//! accent, say) is cached as such, and its sentence takes the slow path: the
//! equivalence of the two paths rests on normalization acting character by
//! character, which is what the tokenizer does for every other text. The tests in
//! `tests/all/fast_path.rs` compare both paths on the data set and on random text.

use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::FxHashMap;

use super::flat::FlatMap;
use crate::analyze::{pack_short, stem_word, SHORT_KEY_BYTES};
use crate::features::{FeatureSpace, ABSENT};
use crate::tokenize::{is_clause_break, normalize_chunk, scan, Negation, NegationRole, ScanSink};

/// One token of a chunk, or a clause break inside it (`«`, `—`, …).
#[derive(Debug, Clone, Copy)]
struct Unit {
    /// Feature ids of the token's stem, plain and `NOT_`-prefixed.
    ids: [u32; 2],
    role: NegationRole,
    clause_break: bool,
}

/// What the cache holds for a chunk, packed into 8 bytes (a table slot is then 24
/// bytes with its key). Most chunks are one token, held inline: a look-up then
/// reads one table slot and nothing else. Longer chunks (`l'otan`,
/// `«\u{a0}nous`) keep their units in [`ChunkCache::units`].
///
/// Bits 0–1 tell the kind. A token: bits 2–4 its negation role, bits 8–31 and
/// 40–63 its plain and negated feature ids (all ones for [`ABSENT`]). Several
/// units: bits 8–23 their number, bits 32–63 where they start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Entry(u64);

impl Entry {
    const TOKEN: u64 = 0;
    const BREAK: u64 = 1;
    const UNITS: u64 = 2;
    const SLOW: u64 = 3;
    /// Feature ids must be below this to be held inline.
    const ID_LIMIT: u32 = (1 << 24) - 1;

    /// A token, if its ids fit.
    fn token(unit: &Unit) -> Option<Entry> {
        if unit.clause_break {
            return Some(Entry(Self::BREAK));
        }
        let packed = |id: u32| match id {
            ABSENT => Some(u64::from(Self::ID_LIMIT)),
            id if id < Self::ID_LIMIT => Some(u64::from(id)),
            _ => None,
        };
        let (plain, negated) = (packed(unit.ids[0])?, packed(unit.ids[1])?);
        Some(Entry(
            Self::TOKEN | u64::from(unit.role.bits()) << 2 | plain << 8 | negated << 40,
        ))
    }

    fn units(start: usize, len: usize) -> Option<Entry> {
        let start = u32::try_from(start).ok()?;
        let len = u16::try_from(len).ok()?;
        Some(Entry(
            Self::UNITS | u64::from(len) << 8 | u64::from(start) << 32,
        ))
    }

    #[inline]
    fn kind(self) -> u64 {
        self.0 & 3
    }

    #[inline]
    fn role(self) -> NegationRole {
        NegationRole::from_bits((self.0 >> 2) as u8 & 7)
    }

    #[inline]
    fn id(self, negated: bool) -> u32 {
        let id = (if negated { self.0 >> 40 } else { self.0 >> 8 }) as u32 & Self::ID_LIMIT;
        if id == Self::ID_LIMIT {
            ABSENT
        } else {
            id
        }
    }

    #[inline]
    fn span(self) -> std::ops::Range<usize> {
        let start = (self.0 >> 32) as usize;
        start..start + ((self.0 >> 8) & 0xffff) as usize
    }
}

/// Past this many distinct chunks the cache is emptied, so memory stays flat on
/// endless input: at most 2¹⁹ table slots of 24 bytes (13 MB) per thread.
const MAX_CACHED_CHUNKS: usize = 1 << 18;

/// Past this many bytes of long keys and cached words the cache is emptied too: a
/// count of entries alone would let 2¹⁸ chunks of 64 KB each (hostile input with
/// no spaces) hold gigabytes.
const MAX_CACHED_BYTES: usize = 1 << 24;

/// Byte classes of the sentence scan.
const SEPARATOR: u8 = 0;
const BREAK: u8 = 1;
const CHUNK: u8 = 2;

/// [`SEPARATOR`], [`BREAK`] or [`CHUNK`] by byte value.
static BYTE_CLASS: [u8; 256] = {
    let mut table = [CHUNK; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = if c.is_ascii_alphanumeric() || c == b'-' || c == b'\'' || c == b'`' {
            CHUNK
        } else if is_clause_break(c) {
            BREAK
        } else {
            SEPARATOR
        };
        b += 1;
    }
    table
};

/// The chunk bytes of a sentence as bits, 64 bytes a word, into `out`. Built
/// sixteen bytes at a time, they replace a load, a table look-up and a branch per
/// byte (seven instructions a byte, and a mispredicted branch at every word end)
/// with a count of zeros per chunk boundary.
fn chunk_bits(bytes: &[u8], out: &mut Vec<u64>) {
    out.clear();
    let word = |w: &[u8; 64]| {
        (0..4).fold(0u64, |bits, k| {
            let block: &[u8; 16] = w[16 * k..16 * k + 16].try_into().unwrap();
            bits | u64::from(chunk_bits16(block)) << (16 * k)
        })
    };
    let mut words = bytes.chunks_exact(64);
    for w in words.by_ref() {
        out.push(word(w.try_into().unwrap()));
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        // Padding with spaces, which belong to no chunk.
        let mut w = [b' '; 64];
        w[..rest.len()].copy_from_slice(rest);
        out.push(word(&w));
    }
}

/// The chunk bytes among sixteen: [`BYTE_CLASS`] `== CHUNK` sixteen bytes at a time.
#[inline(always)]
fn chunk_bits16(block: &[u8; 16]) -> u16 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: SSE2 belongs to the x86_64 baseline: every x86_64 processor has
        // it, so the target feature the function asks for is always there.
        unsafe { chunk_bits16_sse2(block) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        chunk_bits16_portable(block)
    }
}

/// [`chunk_bits16`] for processors without SSE2, byte by byte.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn chunk_bits16_portable(block: &[u8; 16]) -> u16 {
    block.iter().enumerate().fold(0, |bits, (k, &b)| {
        bits | u16::from(BYTE_CLASS[b as usize] == CHUNK) << k
    })
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn chunk_bits16_sse2(block: &[u8; 16]) -> u16 {
    use std::arch::x86_64::*;
    let low = u64::from_le_bytes(block[..8].try_into().unwrap());
    let high = u64::from_le_bytes(block[8..].try_into().unwrap());
    let v = _mm_set_epi64x(high as i64, low as i64);
    macro_rules! splat {
        ($b:expr) => {
            _mm_set1_epi8($b as i8)
        };
    }
    // Signed comparisons: ASCII bytes are 0..=127, the bytes of other characters
    // negative, so never within an ASCII range.
    macro_rules! within {
        ($x:expr, $lo:expr, $hi:expr) => {
            _mm_and_si128(
                _mm_cmpgt_epi8($x, splat!($lo - 1)),
                _mm_cmplt_epi8($x, splat!($hi + 1)),
            )
        };
    }
    let folded = _mm_or_si128(v, splat!(0x20u8)); // A–Z onto a–z
    let non_ascii = _mm_cmplt_epi8(v, _mm_setzero_si128());
    let joiners = _mm_or_si128(
        _mm_or_si128(
            _mm_cmpeq_epi8(v, splat!(b'-')),
            _mm_cmpeq_epi8(v, splat!(b'\'')),
        ),
        _mm_cmpeq_epi8(v, splat!(b'`')),
    );
    let chunk = _mm_or_si128(
        _mm_or_si128(non_ascii, within!(v, b'0', b'9')),
        _mm_or_si128(within!(folded, b'a', b'z'), joiners),
    );
    _mm_movemask_epi8(chunk) as u16
}

/// Where a token's chunk lies in its sentence, in bytes: enough to find its word
/// again, for the few tokens an explanation names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    pub(super) start: u32,
    pub(super) end: u32,
}

/// The chunk → units cache of one classifier (one per thread).
pub(super) struct ChunkCache {
    /// Keys are [`pack_short`]ed as two `u64`, not a `u128`, whose 16-byte alignment
    /// would pad every entry to 48 bytes.
    short: FlatMap<[u64; 2], Entry>,
    long: FxHashMap<Box<[u8]>, Entry>,
    units: Vec<Unit>,
    /// [`chunk_bits`] of the sentence being read.
    bits: Vec<u64>,
    /// Normalized word → feature ids, so that `Nous`, `nous` and `«\u{a0}nous`
    /// stem `nous` once.
    words: FxHashMap<Box<str>, [u32; 2]>,
    stemmer: Stemmer,
    normalized: String,
    negation: Negation,
    /// [`MAX_CACHED_CHUNKS`], lower in tests.
    limit: usize,
    /// Bytes held by the keys of `long` and `words`, and by `units`.
    bytes: usize,
}

impl ChunkCache {
    pub(super) fn new(negation: Negation) -> Self {
        ChunkCache {
            limit: MAX_CACHED_CHUNKS,
            bytes: 0,
            short: FlatMap::default(),
            long: FxHashMap::default(),
            units: Vec::new(),
            bits: Vec::new(),
            words: FxHashMap::default(),
            stemmer: Stemmer::create(Algorithm::French),
            normalized: String::new(),
            negation,
        }
    }

    /// Calls `emit` with the unigram feature id of every token of `sentence`, in
    /// order ([`ABSENT`] for a term outside the vocabulary), and the byte range of
    /// the chunk it comes from, and returns true; or
    /// returns false, part way, when the sentence needs the slow path, in which
    /// case what was emitted must be thrown away.
    #[inline]
    pub(super) fn for_each_unigram(
        &mut self,
        space: &FeatureSpace,
        sentence: &str,
        mut emit: impl FnMut(u32, Span),
    ) -> bool {
        let bytes = sentence.as_bytes();
        let mut bits = std::mem::take(&mut self.bits);
        chunk_bits(bytes, &mut bits);
        let fast = self.emit_unigrams(space, bytes, &bits, &mut emit);
        self.bits = bits;
        fast
    }

    #[inline(always)]
    fn emit_unigrams(
        &mut self,
        space: &FeatureSpace,
        bytes: &[u8],
        bits: &[u64],
        emit: &mut impl FnMut(u32, Span),
    ) -> bool {
        let mut negation = self.negation;
        // Chunk boundaries, in byte order, where a chunk bit turns on or off: each
        // costs a count of zeros.
        let (mut start, mut end) = (0, 0);
        let mut carry = 0;
        for (w, &chunk) in bits.iter().enumerate() {
            let mut turns = chunk ^ (chunk << 1 | carry);
            carry = chunk >> 63;
            while turns != 0 {
                let bit = turns.trailing_zeros();
                turns &= turns - 1;
                let at = w * 64 + bit as usize;
                if chunk >> bit & 1 == 0 {
                    if !self.emit_chunk(space, bytes, start..at, &mut negation, emit) {
                        return false;
                    }
                    end = at;
                    continue;
                }
                start = at;
                // Punctuation between chunks ends a clause; it matters only inside
                // a negation scope, so the bytes are read only then.
                if negation.in_scope()
                    && bytes[end..start]
                        .iter()
                        .any(|&b| BYTE_CLASS[b as usize] == BREAK)
                {
                    negation.clause_break();
                }
            }
        }
        // A chunk running to the end of the last word has not turned off.
        if carry == 1 && !self.emit_chunk(space, bytes, start..bytes.len(), &mut negation, emit) {
            return false;
        }
        true
    }

    /// Emits the unigrams of one chunk; false for a chunk of the slow path.
    #[inline(always)]
    fn emit_chunk(
        &mut self,
        space: &FeatureSpace,
        bytes: &[u8],
        range: std::ops::Range<usize>,
        negation: &mut Negation,
        emit: &mut impl FnMut(u32, Span),
    ) -> bool {
        let span = Span {
            start: range.start as u32,
            end: range.end as u32,
        };
        let entry = self.lookup(space, &bytes[range]);
        // Tokens first and apart: a jump table here mispredicted.
        if entry.kind() == Entry::TOKEN {
            let negated = negation.step(entry.role());
            emit(entry.id(negated), span);
        } else if entry.kind() == Entry::BREAK {
            negation.clause_break();
        } else if entry.kind() == Entry::UNITS {
            for unit in &self.units[entry.span()] {
                if unit.clause_break {
                    negation.clause_break();
                } else {
                    let negated = negation.step(unit.role);
                    emit(unit.ids[negated as usize], span);
                }
            }
        } else {
            return false;
        }
        true
    }

    #[inline(always)]
    fn lookup(&mut self, space: &FeatureSpace, chunk: &[u8]) -> Entry {
        if chunk.len() <= SHORT_KEY_BYTES {
            let key = pack_short(chunk);
            let key = [key as u64, (key >> 64) as u64];
            if let Some(entry) = self.short.get(&key) {
                return entry;
            }
            let entry = self.build(space, chunk);
            self.short.insert(key, entry);
            entry
        } else {
            if let Some(&entry) = self.long.get(chunk) {
                return entry;
            }
            let entry = self.build(space, chunk);
            self.bytes += chunk.len();
            self.long.insert(chunk.into(), entry);
            entry
        }
    }

    /// Runs a chunk through the slow stages and makes its entry.
    #[cold]
    #[inline(never)]
    fn build(&mut self, space: &FeatureSpace, chunk: &[u8]) -> Entry {
        const SLOW: Entry = Entry(Entry::SLOW);
        if self.short.len() + self.long.len() >= self.limit || self.bytes >= MAX_CACHED_BYTES {
            self.short.clear();
            self.long.clear();
            self.units.clear();
            self.words.clear();
            self.bytes = 0;
        }
        // Chunks end next to ASCII bytes, so a chunk of valid text is valid text.
        let Ok(text) = std::str::from_utf8(chunk) else {
            return SLOW;
        };
        if !normalize_chunk(text, &mut self.normalized) {
            return SLOW;
        }
        let start = self.units.len();
        let mut builder = Builder {
            units: &mut self.units,
            words: &mut self.words,
            bytes: &mut self.bytes,
            stemmer: &self.stemmer,
            space,
        };
        scan(&self.normalized, &mut builder);
        let len = self.units.len() - start;
        if len == 1 {
            if let Some(entry) = Entry::token(&self.units[start]) {
                self.units.truncate(start);
                return entry;
            }
        }
        Entry::units(start, len).unwrap_or_else(|| {
            // Tens of thousands of tokens in one chunk: not worth a special case.
            self.units.truncate(start);
            SLOW
        })
    }
}

/// Collects the units of one chunk.
struct Builder<'a> {
    units: &'a mut Vec<Unit>,
    bytes: &'a mut usize,
    words: &'a mut FxHashMap<Box<str>, [u32; 2]>,
    stemmer: &'a Stemmer,
    space: &'a FeatureSpace,
}

impl ScanSink for Builder<'_> {
    fn token(&mut self, text: &str, start: usize, end: usize) {
        let word = &text[start..end];
        let ids = match self.words.get(word) {
            Some(&ids) => ids,
            None => {
                let stem = stem_word(self.stemmer, &self.space.config().verb_folds, word);
                let ids = self.space.stem_ids(&stem);
                *self.bytes += word.len();
                self.words.insert(word.into(), ids);
                ids
            }
        };
        *self.bytes += std::mem::size_of::<Unit>();
        self.units.push(Unit {
            ids,
            role: NegationRole::of(word),
            clause_break: false,
        });
    }

    fn clause_break(&mut self) {
        self.units.push(Unit {
            ids: [ABSENT; 2],
            role: NegationRole::NONE,
            clause_break: true,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::FeatureConfig;

    /// The unigram ids of `text` stage by stage: analyzer, then vocabulary.
    fn stage_unigram_ids(space: &FeatureSpace, text: &str) -> Vec<u32> {
        let mut analyzer = crate::analyze::Analyzer::new(space.config()).unwrap();
        let terms = analyzer.analyze(text).to_vec();
        terms
            .iter()
            .map(|t| space.stem_ids(analyzer.stem(t.stem))[t.negated as usize])
            .collect()
    }

    /// The chunk bit of every byte, one byte at a time: what the SIMD code must give.
    fn reference_bits(bytes: &[u8]) -> Vec<u64> {
        let mut out = vec![0u64; bytes.len().div_ceil(64)];
        for (i, &b) in bytes.iter().enumerate() {
            if BYTE_CLASS[b as usize] == CHUNK {
                out[i / 64] |= 1 << (i % 64);
            }
        }
        out
    }

    #[test]
    fn the_simd_block_classifies_every_byte_at_every_position() {
        // The `unsafe` SSE2 block against the portable one: each of the 256 byte
        // values at each of the 16 positions, among bytes of each class.
        for fill in [b' ', b'a', b',', 0xc3, 0x80, 0xff, 0x00, b'Z'] {
            for at in 0..16 {
                for b in 0..=255u8 {
                    let mut block = [fill; 16];
                    block[at] = b;
                    assert_eq!(
                        chunk_bits16(&block),
                        chunk_bits16_portable(&block),
                        "byte {b:#04x} at {at} among {fill:#04x}"
                    );
                }
            }
        }
    }

    #[test]
    fn chunk_bits_are_right_at_every_length_around_the_block_and_word_edges() {
        // Lengths 0 to 64 on each side of every 16-byte block edge and 64-byte word
        // edge up to 192 bytes, with chunk bytes next to each edge and padding.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let alphabet = b"aZ9-'` ,.;!?()\"\t\n\xc3\xa9\xe2\x80\x99\x7f\x00~_";
        let mut out = Vec::new();
        for len in 0..=192usize {
            for _ in 0..20 {
                let bytes: Vec<u8> = (0..len)
                    .map(|_| alphabet[next() as usize % alphabet.len()])
                    .collect();
                chunk_bits(&bytes, &mut out);
                assert_eq!(out, reference_bits(&bytes), "{bytes:?}");
            }
            // All chunk bytes and no chunk byte: padding must add no bit.
            for fill in [b'a', b' '] {
                let bytes = vec![fill; len];
                chunk_bits(&bytes, &mut out);
                assert_eq!(out, reference_bits(&bytes), "{len} × {fill}");
            }
        }
    }

    #[test]
    fn an_emptied_cache_gives_the_same_ids() {
        let config = crate::analyze::AnalyzerConfig::default();
        let text = "Moscou exige le retrait. Paris refuse. L'OTAN ne cède pas.";
        let features = FeatureConfig {
            min_count: 1,
            ..FeatureConfig::default()
        };
        let space = FeatureSpace::learn(&config, &features, [text, text]).unwrap();
        let negation = Negation::new(true, config.negation_window);
        let mut roomy = ChunkCache::new(negation);
        let mut tight = ChunkCache::new(negation);
        tight.limit = 3;
        for _ in 0..3 {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            assert!(roomy.for_each_unigram(&space, text, |id, _| a.push(id)));
            assert!(tight.for_each_unigram(&space, text, |id, _| b.push(id)));
            assert_eq!(a, b);
            assert!(a.iter().all(|&id| id != ABSENT));
            assert!(tight.short.len() + tight.long.len() <= 3);
        }
    }

    #[test]
    fn sixteen_byte_classes_agree_with_the_byte_table() {
        for b in 0..=255u8 {
            for position in 0..16 {
                for filler in [b'a', b' ', b'.', 0xc3] {
                    let mut block = [filler; 16];
                    block[position] = b;
                    let bits = chunk_bits16(&block);
                    assert_eq!(bits, chunk_bits16_portable(&block));
                    for (k, &byte) in block.iter().enumerate() {
                        let chunk = BYTE_CLASS[byte as usize] == CHUNK;
                        assert_eq!(bits >> k & 1 == 1, chunk, "{byte:#x} at {k}");
                    }
                }
            }
        }
    }

    #[test]
    fn chunks_and_breaks_are_found_across_words() {
        // Chunks and breaks on both sides of the 16- and 64-byte boundaries, a
        // chunk ending a 64-byte word exactly, and one ending the sentence.
        let config = crate::analyze::AnalyzerConfig::default();
        let long_a = "a".repeat(60);
        let long_e = "é".repeat(40);
        let texts = [
            format!("{long_a}, {long_e}. «{}» x", "b".repeat(17)),
            format!("{} {}", "c".repeat(63), "d".repeat(64)),
            "c".repeat(64),
            format!("ne {} pas", "e".repeat(61)),
        ];
        for text in &texts {
            let features = FeatureConfig {
                min_count: 1,
                ..FeatureConfig::default()
            };
            let space =
                FeatureSpace::learn(&config, &features, [text.as_str(), text.as_str()]).unwrap();
            let slow = stage_unigram_ids(&space, text);
            let mut cache = ChunkCache::new(Negation::new(true, config.negation_window));
            let mut fast = Vec::new();
            assert!(cache.for_each_unigram(&space, text, |id, _| fast.push(id)));
            assert_eq!(fast, slow, "{text}");
            assert!(fast.iter().all(|&id| id != ABSENT));
        }
    }

    #[test]
    fn entries_give_back_what_was_packed() {
        let roles = ["ne", "pas", "sans", "aucun", "otan"].map(NegationRole::of);
        for role in roles {
            for ids in [
                [0, ABSENT],
                [ABSENT, 7],
                [Entry::ID_LIMIT - 1, 0],
                [ABSENT; 2],
            ] {
                let unit = Unit {
                    ids,
                    role,
                    clause_break: false,
                };
                let entry = Entry::token(&unit).unwrap();
                assert_eq!(entry.kind(), Entry::TOKEN);
                assert_eq!(entry.role(), role);
                assert_eq!([entry.id(false), entry.id(true)], ids);
            }
        }
        // Ids too large to pack inline: the chunk keeps its units in the arena.
        let big = Unit {
            ids: [Entry::ID_LIMIT, 0],
            role: NegationRole::NONE,
            clause_break: false,
        };
        assert!(Entry::token(&big).is_none());
        let clause_break = Unit {
            clause_break: true,
            ..big
        };
        assert_eq!(Entry::token(&clause_break).unwrap().kind(), Entry::BREAK);
        let units = Entry::units(123_456, 3).unwrap();
        assert_eq!(units.kind(), Entry::UNITS);
        assert_eq!(units.span(), 123_456..123_459);
        assert!(Entry::units(0, 1 << 16).is_none());
    }
}
