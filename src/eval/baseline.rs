//! The systems an evaluation compares: anything that labels sentences is a
//! [`Predictor`] — the model's [`Classifier`], and the two baselines every report
//! sets beside it, on the same sentences:
//!
//! * **majority** ([`Majority`]): always the most frequent label of the training
//!   side (the model file's training counts when scoring a saved model; ties go to
//!   the first label in column order);
//! * **cue rule** ([`CueRule`]): the French cue words of [`CUES`], tried label by
//!   label in the order refusal, warning, demand, offer; the first label with a
//!   matching cue wins, and a sentence with no cue is `none`. Refusal comes first
//!   because refusals name what they refuse (« rejette la *demande* », « refuse la
//!   *proposition* »), warning before demand because threats often state a condition.
//!
//! Every system is scored the same way: [`predict_all`], then [`score`].

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use crate::dataset::Record;
use crate::eval::metrics::Report;
use crate::label::Label;
use crate::model::{Classifier, Model, Prediction};
use crate::tokenize::Tokenizer;

/// A system that labels sentences.
pub trait Predictor {
    /// The system's prediction for `sentence`. A system without probabilities puts
    /// all the mass on its label ([`certain`]).
    fn predict(&mut self, sentence: &str) -> Prediction;
}

impl Predictor for Classifier<'_> {
    fn predict(&mut self, sentence: &str) -> Prediction {
        Classifier::predict(self, sentence)
    }
}

/// The prediction of a system that gives a label and no probabilities: all the
/// mass on `label`.
pub fn certain(label: Label) -> Prediction {
    let mut probabilities = [0.0; Label::COUNT];
    probabilities[label.index()] = 1.0;
    Prediction {
        label,
        probabilities,
    }
}

/// The predictions of `system` for `records`, in their order.
pub fn predict_all(system: &mut dyn Predictor, records: &[&Record]) -> Vec<Prediction> {
    records.iter().map(|r| system.predict(&r.text)).collect()
}

/// Every figure of `predictions` against the gold labels of `records` (in the same
/// order).
pub fn score(records: &[&Record], predictions: &[Prediction]) -> Report {
    Report::compute(
        records
            .iter()
            .zip(predictions)
            .map(|(r, p)| (r.label, r.also.as_slice(), p.label)),
    )
}

/// The majority baseline: one label for every sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Majority(pub Label);

impl Majority {
    /// The most frequent label of the data `model` was trained on.
    pub fn of_model(model: &Model) -> Majority {
        let mut counts = [0; Label::COUNT];
        for (label, n) in &model.training().per_label {
            counts[label.index()] = *n;
        }
        Majority(majority_label(&counts))
    }
}

impl Predictor for Majority {
    fn predict(&mut self, _sentence: &str) -> Prediction {
        certain(self.0)
    }
}

impl Predictor for CueRule {
    fn predict(&mut self, sentence: &str) -> Prediction {
        certain(self.label(sentence))
    }
}

/// French cues per label, in the order they are tried (first match wins).
///
/// Matching is on the tokens of the sentence (see [`crate::tokenize`]: lowercased,
/// elisions split, hyphenated words split) with accents removed. A cue is a sequence
/// of consecutive tokens; a token ending in `*` matches any word it begins, and a
/// token starting with `!` must lie in the scope of a negation (« ne pouvons pas
/// *accepter* »).
pub const CUES: [(Label, &[&str]); 4] = [
    (
        Label::Refusal,
        &[
            "refus*",
            "rejet*",
            "rejett*",
            "declin*",
            "pas question",
            "hors de question",
            "aucun compromis",
            "non negociable*",
            "non recevoir",
            "veto",
            "exclu*",
            "!accept*",
            "!renonc*",
            "!ced*",
            "!recul*",
        ],
    ),
    (
        Label::Warning,
        &[
            "menac*",
            "avert*",
            "mett* en garde",
            "met en garde",
            "mis en garde",
            "mise en garde",
            "consequences",
            "prix eleve",
            "payer* cher",
            "erreur strategique",
            "risque*",
            "danger*",
            "au pire",
            "riposte*",
            "represaill*",
            "alarm*",
        ],
    ),
    (
        Label::Demand,
        &[
            "exig*",
            "demand*",
            "reclam*",
            "appel* a",
            "appel* au",
            "appel* aux",
            "exhort*",
            "insist*",
            "somm* de",
            "enjoin*",
            "doit",
            "doivent",
            "devra",
            "devront",
            "il faut",
            "a condition",
            "sous condition",
        ],
    ),
    (
        Label::Offer,
        &[
            "propos*",
            "offr*",
            "tend* la main",
            "main tendue",
            "pret* a",
            "dispos* a",
            "ouvert* a",
            "sur la table",
            "invit*",
            "cooper*",
        ],
    ),
];

#[derive(Debug, Clone)]
struct CuePart {
    text: String,
    prefix: bool,
    negated: bool,
}

/// The cue-word baseline: see [`CUES`].
#[derive(Debug, Clone)]
pub struct CueRule {
    cues: Vec<(Label, Vec<Vec<CuePart>>)>,
    tokenizer: Tokenizer,
    words: Vec<(String, bool)>,
}

impl Default for CueRule {
    fn default() -> Self {
        CueRule::new()
    }
}

/// Accents removed (the tokenizer has already lowercased the word).
fn fold_accents(word: &str) -> String {
    word.nfd().filter(|c| !is_combining_mark(*c)).collect()
}

impl CueRule {
    /// The rule of [`CUES`].
    pub fn new() -> Self {
        let cues = CUES
            .iter()
            .map(|(label, cues)| {
                let parsed = cues
                    .iter()
                    .map(|cue| {
                        cue.split_whitespace()
                            .map(|part| {
                                let negated = part.starts_with('!');
                                let part = part.trim_start_matches('!');
                                let prefix = part.ends_with('*');
                                CuePart {
                                    text: part.trim_end_matches('*').to_string(),
                                    prefix,
                                    negated,
                                }
                            })
                            .collect()
                    })
                    .collect();
                (*label, parsed)
            })
            .collect();
        CueRule {
            cues,
            tokenizer: Tokenizer::default(),
            words: Vec::new(),
        }
    }

    /// The label of `sentence`: the first label (in [`CUES`] order) with a cue in it,
    /// else `none`.
    pub fn label(&mut self, sentence: &str) -> Label {
        self.words.clear();
        self.tokenizer.tokenize(sentence);
        for &token in self.tokenizer.tokens() {
            let word = fold_accents(self.tokenizer.text(token));
            self.words.push((word, token.negated));
        }
        let words = &self.words;
        for (label, cues) in &self.cues {
            for cue in cues {
                if cue.is_empty() || cue.len() > words.len() {
                    continue;
                }
                let found = words.windows(cue.len()).any(|window| {
                    window.iter().zip(cue).all(|((word, negated), part)| {
                        (!part.negated || *negated)
                            && if part.prefix {
                                word.starts_with(&part.text)
                            } else {
                                *word == part.text
                            }
                    })
                });
                if found {
                    return *label;
                }
            }
        }
        Label::NoClaim
    }
}

/// The most frequent label of `counts` (ties: the first in column order).
pub fn majority_label(counts: &[usize; Label::COUNT]) -> Label {
    let mut best = 0;
    for k in 1..Label::COUNT {
        if counts[k] > counts[best] {
            best = k;
        }
    }
    Label::ALL[best]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cue_rule_examples() {
        let mut rule = CueRule::new();
        let cases = [
            ("L'OTAN a rejeté la demande de la Russie.", Label::Refusal),
            (
                "Nous ne pouvons pas accepter ces conditions.",
                Label::Refusal,
            ),
            ("Nous acceptons ces conditions.", Label::NoClaim),
            ("Moscou MENACE de riposter.", Label::Warning),
            ("Paris exige le retrait des troupes.", Label::Demand),
            ("La Russie doit engager la désescalade.", Label::Demand),
            ("Berlin se dit prêt à négocier.", Label::Offer),
            ("L'Otan tend la main à la Russie.", Label::Offer),
            ("Le ministre est arrivé jeudi.", Label::NoClaim),
            ("Il met en garde contre une escalade.", Label::Warning),
        ];
        for (text, expected) in cases {
            assert_eq!(rule.label(text), expected, "{text}");
            assert_eq!(Predictor::predict(&mut rule, text), certain(expected));
        }
    }

    #[test]
    fn majority_ties_go_to_column_order() {
        assert_eq!(majority_label(&[1, 3, 3, 0, 2]), Label::Refusal);
        assert_eq!(majority_label(&[0, 0, 0, 0, 0]), Label::Demand);
        assert_eq!(majority_label(&[1, 0, 0, 0, 9]), Label::NoClaim);
    }
}
