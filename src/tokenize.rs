//! Sentence → normalized tokens, with elisions split and negation scope marked.
//!
//! Normalization is NFC, Unicode lowercase, and typographic apostrophes folded to
//! `'`. Tokens are maximal runs of letters and digits; hyphenated forms are split into
//! their parts (the euphonic `t` of `a-t-il` is dropped) and elided articles and
//! pronouns (`l'`, `qu'`, `jusqu'`…) become tokens of their own, so `l'otan` and
//! `l’OTAN` both give `l` + `otan`. Punctuation is dropped but ends a negation scope.

use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// One token: a byte range into the normalized sentence, and whether it lies in the
/// scope of a negation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// Start byte in [`Tokenizer::normalized`].
    pub start: u32,
    /// End byte (exclusive) in [`Tokenizer::normalized`].
    pub end: u32,
    /// True when the token is in the scope of `ne … pas`, `jamais`, `aucun`, `sans`…
    pub negated: bool,
}

/// Elided forms that are split off the word they precede (without the apostrophe).
const ELISIONS: &[&str] = &[
    "l", "d", "j", "n", "s", "t", "m", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu", "presqu",
];

/// Words that close a `ne …` scope, or that negate on their own. A `match` rather
/// than a list: it compares lengths first, and this runs for every token.
fn is_negation_closer(word: &str) -> bool {
    matches!(
        word,
        "pas"
            | "plus"
            | "jamais"
            | "rien"
            | "aucun"
            | "aucune"
            | "personne"
            | "guère"
            | "point"
            | "nullement"
            | "ni"
    )
}

/// Words that open a negation scope without `ne` (`pas question`, `sans condition`).
fn is_bare_negator(word: &str) -> bool {
    matches!(
        word,
        "pas" | "jamais" | "aucun" | "aucune" | "sans" | "nullement"
    )
}

/// Tokens after the closing `pas`/`jamais`… still in scope: "ne peut pas *accepter*".
pub const DEFAULT_NEGATION_WINDOW: u32 = 2;

/// Longest stretch between `ne` and its closer, so that a restrictive `ne … que`
/// cannot mark a whole clause.
const MAX_OPEN_SCOPE: u32 = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    None,
    /// After `ne`/`n'`, waiting for `pas`; counts tokens seen.
    Open(u32),
    /// After the closer or a bare negator: this many more tokens are negated.
    Trailing(u32),
}

/// What a word can do to a negation scope, decided once per word (and cached with
/// it by the one-pass featurizer): bit flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct NegationRole(u8);

impl NegationRole {
    /// A word that does nothing to a scope.
    pub(crate) const NONE: NegationRole = NegationRole(0);
    const NE: u8 = 1;
    const CLOSES: u8 = 2;
    const BARE: u8 = 4;

    /// The flags, for packing (three bits).
    pub(crate) fn bits(self) -> u8 {
        self.0
    }

    /// The role whose flags are `bits` (from [`NegationRole::bits`]).
    pub(crate) fn from_bits(bits: u8) -> NegationRole {
        NegationRole(bits & 7)
    }

    /// The role of a normalized word.
    pub(crate) fn of(word: &str) -> NegationRole {
        // Every negation word starts with one of these letters: most words are
        // ruled out on their first byte.
        let candidate = matches!(
            word.as_bytes().first(),
            Some(b'a' | b'g' | b'j' | b'n' | b'p' | b'r' | b's')
        );
        if !candidate {
            return NegationRole(0);
        }
        let mut bits = 0;
        if word == "ne" || word == "n" {
            bits |= Self::NE;
        }
        if is_negation_closer(word) {
            bits |= Self::CLOSES;
        }
        if is_bare_negator(word) {
            bits |= Self::BARE;
        }
        NegationRole(bits)
    }
}

/// The negation scope of a sentence, token after token.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Negation {
    scope: Scope,
    window: u32,
    enabled: bool,
}

impl Negation {
    pub(crate) fn new(enabled: bool, window: u32) -> Self {
        Negation {
            scope: Scope::None,
            window,
            enabled,
        }
    }

    /// Whether a scope is open or trailing: only then can a clause break matter.
    #[inline]
    pub(crate) fn in_scope(&self) -> bool {
        self.scope != Scope::None
    }

    /// A clause break (punctuation, quotes, dashes) ends any scope.
    #[inline]
    pub(crate) fn clause_break(&mut self) {
        self.scope = Scope::None;
    }

    /// Moves past a token with role `role`; true when that token is negated.
    #[inline]
    pub(crate) fn step(&mut self, role: NegationRole) -> bool {
        // Outside a scope, a word that cannot be a negation word leaves the state
        // as it is (and unmarked): the common case, decided without the machine.
        if !self.enabled || (role.0 == 0 && self.scope == Scope::None) {
            return false;
        }
        let is_ne = role.0 & NegationRole::NE != 0;
        let closes = role.0 & NegationRole::CLOSES != 0;
        let bare = role.0 & NegationRole::BARE != 0;
        let mut negated = false;
        self.scope = match self.scope {
            _ if is_ne => Scope::Open(0),
            Scope::Open(_) if closes => Scope::Trailing(self.window),
            Scope::Open(n) if n >= MAX_OPEN_SCOPE => Scope::None,
            Scope::Open(n) => {
                negated = true;
                Scope::Open(n + 1)
            }
            Scope::Trailing(k) if k > 0 && !closes => {
                negated = true;
                Scope::Trailing(k - 1)
            }
            _ if bare => Scope::Trailing(self.window),
            Scope::Trailing(k) if k > 0 => Scope::Trailing(k),
            _ => Scope::None,
        };
        negated
    }
}

/// What [`scan`] finds in a normalized text, in order.
pub(crate) trait ScanSink {
    /// A token: the byte range `start..end` of the normalized text.
    fn token(&mut self, text: &str, start: usize, end: usize);
    /// Punctuation that ends a clause.
    fn clause_break(&mut self);
}

/// A reusable tokenizer: its buffers are kept between sentences so that the hot path
/// does not allocate once warmed up.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    normalized: String,
    tokens: Vec<Token>,
    negation_window: u32,
    mark_negation: bool,
}

impl Default for Tokenizer {
    fn default() -> Self {
        Tokenizer::new(true, DEFAULT_NEGATION_WINDOW)
    }
}

impl Tokenizer {
    /// A tokenizer; `mark_negation` false leaves every token unmarked.
    pub fn new(mark_negation: bool, negation_window: u32) -> Self {
        Tokenizer {
            normalized: String::new(),
            tokens: Vec::new(),
            negation_window,
            mark_negation,
        }
    }

    /// The normalized form of the last sentence passed to [`Tokenizer::tokenize`].
    pub fn normalized(&self) -> &str {
        &self.normalized
    }

    /// The tokens of the last sentence.
    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    /// The text of a token of the last sentence.
    pub fn text(&self, token: Token) -> &str {
        &self.normalized[token.start as usize..token.end as usize]
    }

    /// Normalizes and tokenizes `sentence`; the tokens borrow the tokenizer's buffers.
    pub fn tokenize(&mut self, sentence: &str) -> &[Token] {
        normalize_into(sentence, &mut self.normalized);
        self.tokens.clear();
        let mut emitter = Emitter {
            tokens: &mut self.tokens,
            negation: Negation::new(self.mark_negation, self.negation_window),
        };
        scan(&self.normalized, &mut emitter);
        &self.tokens
    }
}

/// Splits normalized text into tokens and clause breaks, reported to `sink` in order.
pub(crate) fn scan(text: &str, sink: &mut impl ScanSink) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // ASCII fast path for separators.
        if !ASCII_ALNUM[b as usize] && b.is_ascii() {
            if is_clause_break(b) {
                sink.clause_break();
            }
            i += 1;
            continue;
        }
        let c = text[i..].chars().next().unwrap_or(' ');
        if !c.is_alphanumeric() {
            if matches!(c, '«' | '»' | '“' | '”' | '…' | '—' | '–') {
                sink.clause_break();
            }
            i += c.len_utf8();
            continue;
        }
        // A word: alphanumerics joined by single hyphens or apostrophes. The
        // joiners are noted on the way, so that splitting the word needs no
        // second search.
        let start = i;
        let mut end = i;
        let mut j = i;
        let mut joiners = Joiners::default();
        while j < bytes.len() {
            // Runs of ASCII letters and digits, the bulk of a word, in a tight loop.
            if ASCII_ALNUM[bytes[j] as usize] {
                j += 1;
                while j < bytes.len() && ASCII_ALNUM[bytes[j] as usize] {
                    j += 1;
                }
                end = j;
                continue;
            }
            let n = alphanumeric_len(text, j);
            if n > 0 {
                j += n;
                end = j;
            } else if (bytes[j] == b'-' || bytes[j] == b'\'')
                && j + 1 < bytes.len()
                && alphanumeric_len(text, j + 1) > 0
            {
                if bytes[j] == b'-' {
                    joiners.hyphen = true;
                } else if joiners.apostrophe.is_none() {
                    joiners.apostrophe = Some(j);
                }
                j += 1;
            } else {
                break;
            }
        }
        i = end;
        split_word(text, start, end, joiners, sink);
    }
}

/// ASCII letters and digits by byte value: one load per byte in the scanning loops.
static ASCII_ALNUM: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 128 {
        table[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    table
};

/// The byte length of the character at `i` of `text` (a char boundary) if it is a
/// letter or a digit, else 0; ASCII is decided on the byte alone.
#[inline]
fn alphanumeric_len(text: &str, i: usize) -> usize {
    let b = text.as_bytes()[i];
    if b.is_ascii() {
        return usize::from(b.is_ascii_alphanumeric());
    }
    match text[i..].chars().next() {
        // French accented letters skip the Unicode tables: every character of
        // Latin-1 and Latin Extended-A/B from À on is a letter, but × and ÷
        // (checked by the test `latin_letters_are_alphanumeric`).
        Some(c @ '\u{c0}'..='\u{24f}') => {
            if c == '×' || c == '÷' {
                0
            } else {
                2
            }
        }
        Some(c) if c.is_alphanumeric() => c.len_utf8(),
        _ => 0,
    }
}

/// The joiners found inside a word while scanning it.
#[derive(Debug, Clone, Copy, Default)]
struct Joiners {
    /// Byte position of the first apostrophe.
    apostrophe: Option<usize>,
    /// Whether a hyphen joins two parts.
    hyphen: bool,
}

/// Reports the tokens of the word `start..end` of `normalized`, whose joiners are
/// `joiners`: elisions split off, hyphenated parts apart, euphonic `t` dropped.
fn split_word(
    normalized: &str,
    start: usize,
    end: usize,
    joiners: Joiners,
    sink: &mut impl ScanSink,
) {
    let mut part_start = start;
    // Elisions first: l'otan → l + otan; qu'il → qu + il. Anything else with an
    // apostrophe (aujourd'hui) stays whole.
    if let Some(apos) = joiners.apostrophe {
        let head = &normalized[start..apos];
        if ELISIONS.contains(&head) {
            sink.token(normalized, start, apos);
            part_start = apos + 1;
        }
    }
    // No elision contains a hyphen, so the rest has one if the word has.
    if !joiners.hyphen {
        if part_start < end {
            sink.token(normalized, part_start, end);
        }
        return;
    }
    let rest = &normalized[part_start..end];
    let mut offset = part_start;
    let mut parts = rest.split('-').peekable();
    let mut first = true;
    while let Some(part) = parts.next() {
        let (s, e) = (offset, offset + part.len());
        offset = e + 1;
        // The euphonic t of a-t-il, va-t-on: not a word.
        let euphonic = !first && parts.peek().is_some() && part == "t";
        first = false;
        if !euphonic && s < e {
            sink.token(normalized, s, e);
        }
    }
}

/// Collects the tokens of a sentence with their negation marks.
struct Emitter<'a> {
    tokens: &'a mut Vec<Token>,
    negation: Negation,
}

impl ScanSink for Emitter<'_> {
    #[inline]
    fn token(&mut self, normalized: &str, start: usize, end: usize) {
        let negated = self
            .negation
            .step(NegationRole::of(&normalized[start..end]));
        self.tokens.push(Token {
            start: start as u32,
            end: end as u32,
            negated,
        });
    }

    fn clause_break(&mut self) {
        self.negation.clause_break();
    }
}

/// ASCII punctuation that ends a clause (and so a negation scope): the one list
/// both labeling paths read, so that they cannot drift apart.
pub(crate) const fn is_clause_break(b: u8) -> bool {
    matches!(
        b,
        b',' | b';' | b':' | b'.' | b'!' | b'?' | b'"' | b'(' | b')' | b'[' | b']'
    )
}

/// NFC, lowercase, typographic apostrophes → `'`, into `out` (cleared first).
pub fn normalize_into(text: &str, out: &mut String) {
    out.clear();
    if text.is_ascii() {
        out.push_str(text);
        out.make_ascii_lowercase();
        if text.contains('`') {
            // The backquote is an apostrophe whatever else the text holds, so that
            // a word tokenizes the same in every sentence (and in every chunk of the
            // one-pass featurizer).
            let folded: String = out
                .chars()
                .map(|c| if c == '`' { '\'' } else { c })
                .collect();
            *out = folded;
        }
        return;
    }
    // Most sentences are already NFC and made of characters that are NFC whatever
    // follows them: copy those in one pass, ASCII runs in bulk. Anything else
    // (combining marks, rare blocks) starts over on the general path below.
    if normalize_nfc_safe(text, out) {
        return;
    }
    out.clear();
    if is_nfc_quick(text.chars()) == IsNormalized::Yes {
        text.chars().for_each(|c| push_normalized(c, out));
    } else {
        text.nfc().for_each(|c| push_normalized(c, out));
    }
}

/// Normalizes one chunk of a sentence (a run of bytes that cannot hold a word
/// boundary, as the one-pass path cuts them) into `out` and returns true; or returns false when the chunk holds a character that NFC could merge
/// with a neighbour, where a part of a text normalized alone could differ from the
/// same part normalized within the whole.
pub(crate) fn normalize_chunk(text: &str, out: &mut String) -> bool {
    if text.is_ascii() {
        normalize_into(text, out);
        return true;
    }
    out.clear();
    normalize_nfc_safe(text, out)
}

/// Lowercases and folds one character of NFC text into `out`.
fn push_normalized(c: char, out: &mut String) {
    // Latin-1 letters, most of French accents, skip the Unicode case tables:
    // À..Þ but × lowercase to the character 0x20 above, ß..ÿ are lowercase
    // (checked by the test `latin1_letters_lowercase_as_unicode_says`).
    match c {
        '×' | '÷' => {}
        'À'..='Þ' => {
            out.push(char::from_u32(c as u32 + 0x20).unwrap_or(c));
            return;
        }
        'ß'..='ÿ' => {
            out.push(c);
            return;
        }
        _ => {}
    }
    push_normalized_general(c, out);
}

/// [`push_normalized`] through the Unicode case tables.
fn push_normalized_general(c: char, out: &mut String) {
    let c = match c {
        '\u{2019}' | '\u{2018}' | '\u{02bc}' | '\u{2032}' | '`' | '´' => '\'',
        '\u{2010}' | '\u{2011}' => '-',
        c => c,
    };
    if c.is_uppercase() {
        out.extend(c.to_lowercase());
    } else {
        out.push(c);
    }
}

/// True for a character that NFC leaves alone and that no neighbour can merge into
/// (quick check Yes, combining class 0). A character that merges into the one
/// before it has quick check Maybe or a non-zero combining class, so a text made
/// only of characters this accepts is NFC, and normalizing any part of it alone
/// gives the same as within the whole. Below U+0300 and for the typographic
/// punctuation of news text the answer needs no table; the test
/// `nfc_safe_characters_are_nfc` checks every character this accepts.
fn is_nfc_safe(c: char) -> bool {
    c < '\u{300}'
        || matches!(c, '\u{2002}'..='\u{2027}' | '\u{202f}'..='\u{205e}' | '\u{20a0}'..='\u{20bf}')
        || (is_nfc_quick(std::iter::once(c)) == IsNormalized::Yes
            && unicode_normalization::char::canonical_combining_class(c) == 0)
}

/// The normalization of `text` into `out` when every character of `text` is NFC
/// safe, in which case it returns true; otherwise it returns false and `out` holds
/// a partial result. Gives the same text as `text.chars()` through
/// [`push_normalized`].
fn normalize_nfc_safe(text: &str, out: &mut String) -> bool {
    let mut rest = text;
    while !rest.is_empty() {
        let ascii = rest
            .bytes()
            .position(|b| !b.is_ascii())
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at(ascii);
        if run.contains('`') {
            run.chars().for_each(|c| push_normalized(c, out));
        } else {
            let start = out.len();
            out.push_str(run);
            out[start..].make_ascii_lowercase();
        }
        let mut chars = tail.chars();
        let Some(c) = chars.next() else { break };
        if !is_nfc_safe(c) {
            return false;
        }
        push_normalized(c, out);
        rest = chars.as_str();
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(sentence: &str) -> Vec<String> {
        let mut t = Tokenizer::default();
        let tokens = t.tokenize(sentence).to_vec();
        tokens
            .iter()
            .map(|&tok| {
                let w = t.text(tok).to_string();
                if tok.negated {
                    format!("NOT_{w}")
                } else {
                    w
                }
            })
            .collect()
    }

    #[test]
    fn elision_with_both_apostrophes() {
        assert_eq!(words("L'OTAN"), ["l", "otan"]);
        assert_eq!(words("L’OTAN"), ["l", "otan"]);
        assert_eq!(
            words("jusqu’à l’aube, qu'il"),
            ["jusqu", "à", "l", "aube", "qu", "il"]
        );
        assert_eq!(words("aujourd'hui"), ["aujourd'hui"]);
    }

    #[test]
    fn hyphens_and_euphonic_t() {
        assert_eq!(words("a-t-il déclaré"), ["a", "il", "déclaré"]);
        assert_eq!(words("le vice-ministre"), ["le", "vice", "ministre"]);
        assert_eq!(words("Otan-Russie - fin"), ["otan", "russie", "fin"]);
    }

    #[test]
    fn nfc_lowercase_and_digits() {
        // "é" written as e + combining acute must match the precomposed form.
        assert_eq!(words("E\u{301}TATS-UNIS"), words("ÉTATS-UNIS"));
        assert_eq!(words("ÉTATS-UNIS"), ["états", "unis"]);
        assert_eq!(
            words("40.000 troupes, 2,5 %"),
            ["40", "000", "troupes", "2", "5"]
        );
    }

    #[test]
    fn negation_scope() {
        assert_eq!(
            words("Nous ne renoncerons pas à la possibilité"),
            [
                "nous",
                "ne",
                "NOT_renoncerons",
                "pas",
                "NOT_à",
                "NOT_la",
                "possibilité"
            ]
        );
        assert_eq!(
            words("nous ne pouvons pas accepter, dit-il"),
            [
                "nous",
                "ne",
                "NOT_pouvons",
                "pas",
                "NOT_accepter",
                "dit",
                "il"
            ]
        );
        assert_eq!(
            words("L'Otan n'acceptera pas"),
            ["l", "otan", "n", "NOT_acceptera", "pas"]
        );
        assert_eq!(
            words("pas question de céder"),
            ["pas", "NOT_question", "NOT_de", "céder"]
        );
        assert_eq!(
            words("Le président accepte"),
            ["le", "président", "accepte"]
        );
        // A clause break ends the scope.
        assert_eq!(words("ne cède, accepte"), ["ne", "NOT_cède", "accepte"]);
    }

    /// The reference normalization: the general path for every non-ASCII text.
    fn normalize_general(text: &str) -> String {
        let mut out = String::new();
        if text.is_ascii() {
            normalize_into(text, &mut out);
        } else if is_nfc_quick(text.chars()) == IsNormalized::Yes {
            text.chars().for_each(|c| push_normalized(c, &mut out));
        } else {
            text.nfc().for_each(|c| push_normalized(c, &mut out));
        }
        out
    }

    #[test]
    fn nfc_safe_characters_are_nfc() {
        use unicode_normalization::char::canonical_combining_class;
        for c in (0..=0x10ffffu32)
            .filter_map(char::from_u32)
            .filter(|&c| is_nfc_safe(c))
        {
            assert_eq!(is_nfc_quick(std::iter::once(c)), IsNormalized::Yes, "{c:?}");
            assert_eq!(canonical_combining_class(c), 0, "{c:?}");
        }
    }

    #[test]
    fn fast_normalization_matches_the_general_path() {
        let cases = [
            "L’OTAN exige « sans délai » le RETRAIT — déjà… 40 000 €",
            "ÉTATS-UNIS et Émirats\u{a0}: l`accord, l´accord, l\u{2010}accord",
            "E\u{301}TATS-UNIS", // combining accent: the general path
            "Ǆ ǅ ǆ ΣΑΣ İstanbul ß ẞ",
            "x\u{2000}y\u{2126}z", // singletons that NFC changes
            "all ascii `Backquote` STAYS",
            "",
        ];
        for text in cases {
            let mut fast = String::new();
            normalize_into(text, &mut fast);
            assert_eq!(fast, normalize_general(text), "{text:?}");
        }
    }

    #[test]
    fn latin1_letters_lowercase_as_unicode_says() {
        for c in '\u{80}'..='\u{ff}' {
            let (mut fast, mut general) = (String::new(), String::new());
            push_normalized(c, &mut fast);
            push_normalized_general(c, &mut general);
            assert_eq!(fast, general, "{c:?}");
        }
    }

    #[test]
    fn latin_letters_are_alphanumeric() {
        for c in '\u{c0}'..='\u{24f}' {
            let text = c.to_string();
            let expected = if c.is_alphanumeric() { c.len_utf8() } else { 0 };
            assert_eq!(alphanumeric_len(&text, 0), expected, "{c:?}");
        }
    }

    #[test]
    fn negation_words_start_with_the_filtered_letters() {
        for w in [
            "ne",
            "n",
            "pas",
            "plus",
            "jamais",
            "rien",
            "aucun",
            "aucune",
            "personne",
            "guère",
            "point",
            "nullement",
            "ni",
            "sans",
        ] {
            assert!(
                matches!(
                    w.as_bytes()[0],
                    b'a' | b'g' | b'j' | b'n' | b'p' | b'r' | b's'
                ),
                "{w}"
            );
            assert!(is_negation_closer(w) || is_bare_negator(w) || w == "ne" || w == "n");
        }
    }

    #[test]
    fn joiners_are_found_while_scanning() {
        assert_eq!(
            words("l'a-t-il dit ? jusqu'au-delà"),
            ["l", "a", "il", "dit", "jusqu", "au", "delà"]
        );
        assert_eq!(
            words("'l'otan' -x- l''a x--y"),
            ["l", "otan", "x", "l", "a", "x", "y"]
        );
        assert_eq!(
            words("presqu'île d'aujourd'hui"),
            ["presqu", "île", "d", "aujourd'hui"]
        );
    }

    #[test]
    fn negation_can_be_turned_off() {
        let mut t = Tokenizer::new(false, 2);
        assert!(t
            .tokenize("ne renoncerons pas")
            .iter()
            .all(|tok| !tok.negated));
    }
}
