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

/// Words that close a `ne …` scope, or that negate on their own.
const NEGATION_CLOSERS: &[&str] = &[
    "pas", "plus", "jamais", "rien", "aucun", "aucune", "personne", "guère", "point", "nullement",
    "ni",
];

/// Words that open a negation scope without `ne` (`pas question`, `sans condition`).
const BARE_NEGATORS: &[&str] = &["pas", "jamais", "aucun", "aucune", "sans", "nullement"];

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
            scope: Scope::None,
            mark_negation: self.mark_negation,
            negation_window: self.negation_window,
        };
        let text = self.normalized.as_str();
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            // ASCII fast path for separators.
            if b < 0x80 && !b.is_ascii_alphanumeric() {
                if is_clause_break(b) {
                    emitter.scope = Scope::None;
                }
                i += 1;
                continue;
            }
            let c = text[i..].chars().next().unwrap_or(' ');
            if !c.is_alphanumeric() {
                if matches!(c, '«' | '»' | '“' | '”' | '…' | '—' | '–') {
                    emitter.scope = Scope::None;
                }
                i += c.len_utf8();
                continue;
            }
            // A word: alphanumerics joined by single hyphens or apostrophes.
            let start = i;
            let mut end = i;
            let mut j = i;
            while j < bytes.len() {
                let c = text[j..].chars().next().unwrap_or(' ');
                if c.is_alphanumeric() {
                    j += c.len_utf8();
                    end = j;
                } else if (c == '-' || c == '\'')
                    && text[j + 1..].chars().next().is_some_and(char::is_alphanumeric)
                {
                    j += 1;
                } else {
                    break;
                }
            }
            i = end;
            emitter.push_word(text, start, end);
        }
        &self.tokens
    }
}

/// Turns words into tokens while tracking the negation scope.
struct Emitter<'a> {
    tokens: &'a mut Vec<Token>,
    scope: Scope,
    mark_negation: bool,
    negation_window: u32,
}

impl Emitter<'_> {
    fn push_word(&mut self, normalized: &str, start: usize, end: usize) {
        let text = &normalized[start..end];
        let mut part_start = start;
        // Elisions first: l'otan → l + otan; qu'il → qu + il. Anything else with an
        // apostrophe (aujourd'hui) stays whole.
        if let Some(apos) = text.find('\'') {
            let head = &text[..apos];
            if ELISIONS.contains(&head) {
                self.push_token(normalized, start, start + apos);
                part_start = start + apos + 1;
            }
        }
        let rest = &normalized[part_start..end];
        if !rest.contains('-') {
            self.push_token(normalized, part_start, end);
            return;
        }
        let mut offset = part_start;
        let mut parts = rest.split('-').peekable();
        let mut first = true;
        while let Some(part) = parts.next() {
            let (s, e) = (offset, offset + part.len());
            offset = e + 1;
            // The euphonic t of a-t-il, va-t-on: not a word.
            let euphonic = !first && parts.peek().is_some() && part == "t";
            first = false;
            if !euphonic {
                self.push_token(normalized, s, e);
            }
        }
    }

    fn push_token(&mut self, normalized: &str, start: usize, end: usize) {
        if start >= end {
            return;
        }
        let word = &normalized[start..end];
        let mut negated = false;
        if self.mark_negation {
            let is_ne = word == "ne" || word == "n";
            let closes = NEGATION_CLOSERS.contains(&word);
            self.scope = match self.scope {
                _ if is_ne => Scope::Open(0),
                Scope::Open(_) if closes => Scope::Trailing(self.negation_window),
                Scope::Open(n) if n >= MAX_OPEN_SCOPE => Scope::None,
                Scope::Open(n) => {
                    negated = true;
                    Scope::Open(n + 1)
                }
                Scope::Trailing(k) if k > 0 && !closes => {
                    negated = true;
                    Scope::Trailing(k - 1)
                }
                _ if BARE_NEGATORS.contains(&word) => Scope::Trailing(self.negation_window),
                Scope::Trailing(k) if k > 0 => Scope::Trailing(k),
                _ => Scope::None,
            };
        }
        self.tokens.push(Token {
            start: start as u32,
            end: end as u32,
            negated,
        });
    }
}

fn is_clause_break(b: u8) -> bool {
    matches!(b, b',' | b';' | b':' | b'.' | b'!' | b'?' | b'"' | b'(' | b')' | b'[' | b']')
}

/// NFC, lowercase, typographic apostrophes → `'`, into `out` (cleared first).
pub fn normalize_into(text: &str, out: &mut String) {
    out.clear();
    if text.is_ascii() {
        out.push_str(text);
        out.make_ascii_lowercase();
        return;
    }
    let mut push = |c: char| {
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
    };
    if is_nfc_quick(text.chars()) == IsNormalized::Yes {
        text.chars().for_each(&mut push);
    } else {
        text.nfc().for_each(&mut push);
    }
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
        assert_eq!(words("jusqu’à l’aube, qu'il"), ["jusqu", "à", "l", "aube", "qu", "il"]);
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
        assert_eq!(words("40.000 troupes, 2,5 %"), ["40", "000", "troupes", "2", "5"]);
    }

    #[test]
    fn negation_scope() {
        assert_eq!(
            words("Nous ne renoncerons pas à la possibilité"),
            ["nous", "ne", "NOT_renoncerons", "pas", "NOT_à", "NOT_la", "possibilité"]
        );
        assert_eq!(
            words("nous ne pouvons pas accepter, dit-il"),
            ["nous", "ne", "NOT_pouvons", "pas", "NOT_accepter", "dit", "il"]
        );
        assert_eq!(words("L'Otan n'acceptera pas"), ["l", "otan", "n", "NOT_acceptera", "pas"]);
        assert_eq!(words("pas question de céder"), ["pas", "NOT_question", "NOT_de", "céder"]);
        assert_eq!(words("Le président accepte"), ["le", "président", "accepte"]);
        // A clause break ends the scope.
        assert_eq!(words("ne cède, accepte"), ["ne", "NOT_cède", "accepte"]);
    }

    #[test]
    fn negation_can_be_turned_off() {
        let mut t = Tokenizer::new(false, 2);
        assert!(t.tokenize("ne renoncerons pas").iter().all(|tok| !tok.negated));
    }
}
