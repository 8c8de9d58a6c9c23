//! Scores of predicted labels against gold labels: confusion matrix, precision,
//! recall, F1, macro-F1, claim detection, lenient accuracy; as a table or as JSON.
//!
//! # Definitions
//!
//! * **Confusion matrix**: rows are gold labels, columns predicted labels, both in
//!   [`Label::ALL`] order.
//! * **Precision** of a label = true positives / sentences predicted with it;
//!   **recall** = true positives / sentences whose gold label it is (its *support*);
//!   **F1** = 2PR / (P + R).
//! * **Accuracy**: share of sentences whose prediction is the gold label.
//! * **Lenient accuracy**: a prediction also counts as right when it is one of the
//!   sentence's secondary acts (`also`).
//! * **Claim detection**: the binary task "any act" vs `none`: precision, recall and
//!   F1 of predicting an act (whichever) for a sentence whose gold label is an act.
//! * **Act macro-F1**: on the sentences whose gold label is an act only, the mean F1
//!   of the four acts (a prediction of `none` there is a miss for recall).
//!
//! # Undefined ratios: the rule
//!
//! A ratio whose denominator is zero is **0**, never NaN: a label never predicted has
//! precision 0, a label with no gold sentence has recall 0, and F1 is 0 when P + R = 0.
//! So a label present in the data and never predicted counts in the macro average
//! with F1 = 0. A label **absent from the gold data** (support 0) is **left out of the
//! macro average** (its F1 would say nothing about the model), and the report carries
//! a note naming it (and how often it was predicted, as those predictions are errors
//! already counted against the other labels' recall). When no label at all has a gold
//! sentence (an empty set) every figure is 0, with a note; when no gold sentence is an
//! act, the act macro-F1 is 0, with a note. No figure is ever NaN or infinite.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::label::Label;

/// Counts of (gold, predicted) pairs: `counts[gold][predicted]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConfusionMatrix {
    /// Rows gold, columns predicted, in [`Label::ALL`] order.
    pub counts: [[usize; Label::COUNT]; Label::COUNT],
}

impl ConfusionMatrix {
    /// An empty matrix.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one sentence.
    pub fn add(&mut self, gold: Label, predicted: Label) {
        self.counts[gold.index()][predicted.index()] += 1;
    }

    /// Adds `other`'s counts `times` over (an article drawn `times` by a bootstrap).
    pub fn add_times(&mut self, other: &ConfusionMatrix, times: usize) {
        for (row, add) in self.counts.iter_mut().zip(&other.counts) {
            for (c, a) in row.iter_mut().zip(add) {
                *c += a * times;
            }
        }
    }

    /// The matrix of `(gold, predicted)` pairs.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (Label, Label)>) -> Self {
        let mut m = Self::new();
        for (gold, predicted) in pairs {
            m.add(gold, predicted);
        }
        m
    }

    /// Number of sentences.
    pub fn total(&self) -> usize {
        self.counts.iter().flatten().sum()
    }

    /// Sentences predicted right.
    pub fn correct(&self) -> usize {
        (0..Label::COUNT).map(|k| self.counts[k][k]).sum()
    }

    /// Sentences whose gold label is `label`.
    pub fn support(&self, label: Label) -> usize {
        self.counts[label.index()].iter().sum()
    }

    /// Sentences predicted as `label`.
    pub fn predicted(&self, label: Label) -> usize {
        self.counts.iter().map(|row| row[label.index()]).sum()
    }

    /// Precision, recall, F1 and support of `label` (zero-denominator rule above).
    pub fn scores(&self, label: Label) -> LabelScores {
        let tp = self.counts[label.index()][label.index()];
        LabelScores::from_counts(tp, self.predicted(label), self.support(label))
    }

    /// Accuracy (0 for an empty matrix).
    pub fn accuracy(&self) -> f64 {
        ratio(self.correct(), self.total())
    }

    /// Mean F1 over the labels with gold support (0 when none has).
    pub fn macro_f1(&self) -> f64 {
        macro_over(Label::ALL.iter().map(|&l| self.scores(l)))
    }

    /// Any act vs `none`: precision, recall and F1 of "is an act".
    pub fn claim_detection(&self) -> LabelScores {
        let mut tp = 0;
        let mut predicted = 0;
        let mut support = 0;
        for gold in Label::ALL {
            for pred in Label::ALL {
                let c = self.counts[gold.index()][pred.index()];
                if gold.is_act() && pred.is_act() {
                    tp += c;
                }
                if pred.is_act() {
                    predicted += c;
                }
                if gold.is_act() {
                    support += c;
                }
            }
        }
        LabelScores::from_counts(tp, predicted, support)
    }

    /// Macro-F1 over the four acts, on the sentences whose gold label is an act
    /// (0 when there is none).
    pub fn act_macro_f1(&self) -> f64 {
        let mut acts_only = *self;
        acts_only.counts[Label::NoClaim.index()] = [0; Label::COUNT];
        macro_over(Label::ACTS.iter().map(|&l| acts_only.scores(l)))
    }
}

/// `num / den`, or 0 when `den` is 0.
fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// Mean F1 of the scores with support > 0; 0 when none has.
fn macro_over(scores: impl Iterator<Item = LabelScores>) -> f64 {
    let (sum, n) = scores
        .filter(|s| s.support > 0)
        .fold((0.0, 0usize), |(sum, n), s| (sum + s.f1, n + 1));
    if n == 0 {
        0.0
    } else {
        sum / n as f64
    }
}

/// Precision, recall, F1 and support of one label (or of one binary decision).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LabelScores {
    /// True positives / predicted; 0 when nothing was predicted.
    pub precision: f64,
    /// True positives / support; 0 when the support is 0.
    pub recall: f64,
    /// Harmonic mean of precision and recall; 0 when both are 0.
    pub f1: f64,
    /// Gold sentences.
    pub support: usize,
    /// Predicted sentences.
    pub predicted: usize,
}

impl LabelScores {
    /// Scores from true positives, predicted and gold counts.
    pub fn from_counts(tp: usize, predicted: usize, support: usize) -> Self {
        let precision = ratio(tp, predicted);
        let recall = ratio(tp, support);
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        LabelScores {
            precision,
            recall,
            f1,
            support,
            predicted,
        }
    }
}

/// The confusion matrix as it appears in JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfusionJson {
    /// Row and column labels, in order.
    pub labels: Vec<Label>,
    /// Rows gold, columns predicted.
    pub matrix: Vec<Vec<usize>>,
}

/// Every figure of one scoring run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Number of sentences.
    pub n: usize,
    /// Share of exact predictions.
    pub accuracy: f64,
    /// Mean F1 over the labels present in the gold data.
    pub macro_f1: f64,
    /// Per label scores, in column order.
    pub per_label: BTreeMap<Label, LabelScores>,
    /// Rows gold, columns predicted.
    pub confusion: ConfusionJson,
    /// Any act vs `none`.
    pub claim_detection: LabelScores,
    /// Macro-F1 over the four acts on the sentences whose gold label is an act.
    pub act_macro_f1: f64,
    /// A prediction counts as right when it is the gold label or one of `also`.
    pub lenient_accuracy: f64,
    /// How undefined cases were handled (labels left out of the macro average…).
    pub notes: Vec<String>,
}

impl Report {
    /// Scores `(gold, also, predicted)` triples.
    pub fn compute<'a>(items: impl IntoIterator<Item = (Label, &'a [Label], Label)>) -> Report {
        let mut matrix = ConfusionMatrix::new();
        let mut lenient = 0;
        for (gold, also, predicted) in items {
            matrix.add(gold, predicted);
            if predicted == gold || also.contains(&predicted) {
                lenient += 1;
            }
        }
        Report::from_matrix(&matrix, lenient)
    }

    /// The report of a matrix, given the number of leniently right sentences.
    pub fn from_matrix(matrix: &ConfusionMatrix, lenient_correct: usize) -> Report {
        let n = matrix.total();
        let mut notes = Vec::new();
        if n == 0 {
            notes.push("no sentence: every figure is 0".to_string());
        } else {
            for label in Label::ALL {
                if matrix.support(label) == 0 {
                    notes.push(format!(
                        "{label}: no gold sentence, left out of the macro average (predicted {} times)",
                        matrix.predicted(label)
                    ));
                }
            }
            if Label::ACTS.iter().all(|&l| matrix.support(l) == 0) {
                notes.push("no gold sentence is an act: act macro-F1 is 0".to_string());
            }
        }
        Report {
            n,
            accuracy: matrix.accuracy(),
            macro_f1: matrix.macro_f1(),
            per_label: Label::ALL.iter().map(|&l| (l, matrix.scores(l))).collect(),
            confusion: ConfusionJson {
                labels: Label::ALL.to_vec(),
                matrix: matrix.counts.iter().map(|row| row.to_vec()).collect(),
            },
            claim_detection: matrix.claim_detection(),
            act_macro_f1: matrix.act_macro_f1(),
            lenient_accuracy: ratio(lenient_correct, n),
            notes,
        }
    }

    /// The confusion matrix back as counts.
    pub fn matrix(&self) -> ConfusionMatrix {
        let mut m = ConfusionMatrix::new();
        for (i, row) in self.confusion.matrix.iter().enumerate() {
            for (j, &c) in row.iter().enumerate() {
                m.counts[i][j] = c;
            }
        }
        m
    }

    /// The headline figures, in [`HEADLINES`] order.
    pub fn headlines(&self) -> [f64; HEADLINES.len()] {
        [
            self.accuracy,
            self.macro_f1,
            self.claim_detection.f1,
            self.act_macro_f1,
            self.lenient_accuracy,
        ]
    }

    /// A readable table: summary figures, per-label scores, confusion matrix, notes.
    pub fn to_table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "sentences          {}", self.n);
        let _ = writeln!(s, "accuracy           {:.4}", self.accuracy);
        let _ = writeln!(s, "macro-F1           {:.4}", self.macro_f1);
        let _ = writeln!(s, "lenient accuracy   {:.4}", self.lenient_accuracy);
        let c = &self.claim_detection;
        let _ = writeln!(
            s,
            "claim detection    P {:.4}  R {:.4}  F1 {:.4}",
            c.precision, c.recall, c.f1
        );
        let _ = writeln!(
            s,
            "act macro-F1       {:.4}  (gold acts only)",
            self.act_macro_f1
        );
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "{:<10} {:>9} {:>9} {:>9} {:>8} {:>9}",
            "label", "precision", "recall", "F1", "support", "predicted"
        );
        for (label, sc) in &self.per_label {
            let _ = writeln!(
                s,
                "{:<10} {:>9.4} {:>9.4} {:>9.4} {:>8} {:>9}",
                label.as_str(),
                sc.precision,
                sc.recall,
                sc.f1,
                sc.support,
                sc.predicted
            );
        }
        let _ = writeln!(s);
        let _ = write!(s, "{:<14}", "gold \\ pred");
        for label in Label::ALL {
            let _ = write!(s, " {:>8}", label.as_str());
        }
        let _ = writeln!(s);
        for (label, row) in Label::ALL.iter().zip(&self.confusion.matrix) {
            let _ = write!(s, "{:<14}", label.as_str());
            for c in row {
                let _ = write!(s, " {c:>8}");
            }
            let _ = writeln!(s);
        }
        for note in &self.notes {
            let _ = writeln!(s, "note: {note}");
        }
        s
    }
}

/// Number of equal-width confidence bins of the reliability diagram: ten bins of
/// 0.1 are the usual choice, and coarse enough that a test set of a hundred
/// sentences still puts several sentences in the bins that matter.
pub const CALIBRATION_BINS: usize = 10;

/// One bin of a reliability diagram: the sentences whose predicted-label
/// probability lies in `lower..upper` (the last bin includes 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CalibrationBin {
    /// Lower edge (inclusive).
    pub lower: f64,
    /// Upper edge (exclusive, but 1 for the last bin).
    pub upper: f64,
    /// Sentences in the bin.
    pub count: usize,
    /// Mean probability of the predicted label; 0 for an empty bin.
    pub confidence: f64,
    /// Share of the bin's sentences predicted right; 0 for an empty bin.
    pub accuracy: f64,
}

/// How far the model's confidence is from its accuracy: the bins of a reliability
/// diagram and the expected calibration error.
///
/// The **expected calibration error** (ECE) is Σ over bins of (count / N) ×
/// |accuracy − confidence|: 0 when every bin is right as often as it is sure, and
/// at most 1. With no sentence it is 0.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Calibration {
    /// Equal-width bins over [0, 1], lowest first.
    pub bins: Vec<CalibrationBin>,
    /// Expected calibration error.
    pub ece: f64,
}

impl Calibration {
    /// The calibration of `(probability of the predicted label, predicted right)`
    /// pairs over `bins` equal-width bins (at least one). A probability on an edge
    /// goes to the bin above it; 1 goes to the last bin; values outside [0, 1] are
    /// clamped.
    pub fn compute(items: impl IntoIterator<Item = (f64, bool)>, bins: usize) -> Calibration {
        let bins = bins.max(1);
        let mut count = vec![0usize; bins];
        let mut confidence = vec![0.0; bins];
        let mut correct = vec![0usize; bins];
        let mut n = 0;
        for (p, right) in items {
            let p = if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) };
            let b = ((p * bins as f64) as usize).min(bins - 1);
            count[b] += 1;
            confidence[b] += p;
            correct[b] += usize::from(right);
            n += 1;
        }
        let mut ece = 0.0;
        let bins: Vec<CalibrationBin> = (0..bins)
            .map(|b| {
                let bin = CalibrationBin {
                    lower: b as f64 / bins as f64,
                    upper: (b + 1) as f64 / bins as f64,
                    count: count[b],
                    confidence: if count[b] == 0 {
                        0.0
                    } else {
                        confidence[b] / count[b] as f64
                    },
                    accuracy: ratio(correct[b], count[b]),
                };
                if n > 0 {
                    ece += bin.count as f64 / n as f64 * (bin.accuracy - bin.confidence).abs();
                }
                bin
            })
            .collect();
        Calibration { bins, ece }
    }
}

/// Names of the headline figures, as in JSON.
pub const HEADLINES: [&str; 5] = [
    "accuracy",
    "macro_f1",
    "claim_f1",
    "act_macro_f1",
    "lenient_accuracy",
];

/// Mean and sample standard deviation (K − 1 denominator; 0 for fewer than two
/// values, 0 and 0 for none).
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return (mean, 0.0);
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Label::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn adding_a_matrix_three_times_triples_its_counts() {
        let one = ConfusionMatrix::from_pairs([(Demand, Demand), (Offer, NoClaim)]);
        let mut sum = ConfusionMatrix::from_pairs([(Demand, Demand)]);
        sum.add_times(&one, 3);
        assert_eq!(sum.counts[Demand.index()][Demand.index()], 4);
        assert_eq!(sum.counts[Offer.index()][NoClaim.index()], 3);
        assert_eq!(sum.total(), 7);
        sum.add_times(&one, 0);
        assert_eq!(sum.total(), 7);
    }

    /// Three sentences, computed on paper:
    /// gold demand → demand, gold demand → refusal, gold refusal → refusal.
    /// demand: P 1/1, R 1/2, F1 2/3. refusal: P 1/2, R 1/1, F1 2/3.
    /// warning, offer, none: absent, left out. Macro-F1 = 2/3, accuracy 2/3.
    #[test]
    fn three_sentences_on_paper() {
        let r = Report::compute([
            (Demand, &[][..], Demand),
            (Demand, &[Refusal][..], Refusal),
            (Refusal, &[][..], Refusal),
        ]);
        assert_eq!(r.n, 3);
        assert!(close(r.accuracy, 2.0 / 3.0));
        assert!(close(r.lenient_accuracy, 1.0));
        let d = r.per_label[&Demand];
        assert!(close(d.precision, 1.0) && close(d.recall, 0.5) && close(d.f1, 2.0 / 3.0));
        assert_eq!((d.support, d.predicted), (2, 1));
        let f = r.per_label[&Refusal];
        assert!(close(f.precision, 0.5) && close(f.recall, 1.0) && close(f.f1, 2.0 / 3.0));
        assert!(close(r.macro_f1, 2.0 / 3.0));
        assert_eq!(r.confusion.matrix[0], [1, 1, 0, 0, 0]);
        assert_eq!(r.confusion.matrix[1], [0, 1, 0, 0, 0]);
        // Every sentence is an act, predicted an act.
        assert!(close(r.claim_detection.f1, 1.0));
        assert!(close(r.act_macro_f1, 2.0 / 3.0));
        assert_eq!(r.notes.len(), 3, "{:?}", r.notes);
        assert!(r.notes[0].starts_with("warning: no gold sentence"));
    }

    /// A five-label case, computed on paper.
    /// gold:  D D D R R W O N N N
    /// pred:  D D N R D W N N N O
    #[test]
    fn five_labels_on_paper() {
        let gold = [
            Demand, Demand, Demand, Refusal, Refusal, Warning, Offer, NoClaim, NoClaim, NoClaim,
        ];
        let pred = [
            Demand, Demand, NoClaim, Refusal, Demand, Warning, NoClaim, NoClaim, NoClaim, Offer,
        ];
        let r = Report::compute(gold.iter().zip(&pred).map(|(&g, &p)| (g, &[][..], p)));
        assert!(close(r.accuracy, 0.6 + 0.0));
        // demand: tp 2, predicted 3, support 3 → P R F1 = 2/3.
        assert!(close(r.per_label[&Demand].f1, 2.0 / 3.0));
        // refusal: tp 1, predicted 1, support 2 → P 1, R 1/2, F1 2/3.
        assert!(close(r.per_label[&Refusal].f1, 2.0 / 3.0));
        // warning: perfect.
        assert!(close(r.per_label[&Warning].f1, 1.0));
        // offer: tp 0, predicted 1, support 1 → 0.
        assert!(close(r.per_label[&Offer].f1, 0.0));
        // none: tp 2, predicted 4, support 3 → P 1/2, R 2/3, F1 4/7.
        assert!(close(r.per_label[&NoClaim].f1, 4.0 / 7.0));
        let expected = (2.0 / 3.0 + 2.0 / 3.0 + 1.0 + 0.0 + 4.0 / 7.0) / 5.0;
        assert!(close(r.macro_f1, expected));
        // Claim detection: gold acts 7, predicted acts 6 (D D R D W O), tp 5.
        let c = r.claim_detection;
        assert!(close(c.precision, 5.0 / 6.0) && close(c.recall, 5.0 / 7.0));
        // Acts only (first seven sentences): demand tp 2 pred 3 sup 3 → 2/3;
        // refusal tp 1 pred 1 sup 2 → 2/3; warning 1; offer tp 0 pred 0 sup 1 → 0.
        assert!(close(r.act_macro_f1, (2.0 / 3.0 + 2.0 / 3.0 + 1.0) / 4.0));
        assert!(r.notes.is_empty());
        assert_eq!(r.matrix().counts[Demand.index()], [2, 0, 0, 0, 1]);
    }

    #[test]
    fn absent_and_never_predicted_labels_give_no_nan() {
        // Offer never predicted, warning absent, everything predicted none.
        let r = Report::compute([(Offer, &[][..], NoClaim), (NoClaim, &[][..], NoClaim)]);
        let json = serde_json::to_string(&r).unwrap();
        assert!(!json.contains("NaN") && !json.contains("null"), "{json}");
        assert!(close(r.per_label[&Offer].f1, 0.0));
        // Present labels: offer (0) and none (P 1/2, R 1, F1 2/3).
        assert!(close(r.macro_f1, (0.0 + 2.0 / 3.0) / 2.0));
        assert!(close(r.claim_detection.f1, 0.0));
        let empty = Report::compute([]);
        assert_eq!(empty.headlines(), [0.0; 5]);
        assert!(empty.notes[0].contains("no sentence"));
        let only_none = Report::compute([(NoClaim, &[][..], Demand)]);
        assert!(only_none
            .notes
            .iter()
            .any(|n| n.contains("no gold sentence is an act")));
        assert!(only_none
            .notes
            .iter()
            .any(|n| n.contains("demand: no gold sentence") && n.contains("predicted 1 times")));
        for v in only_none.headlines() {
            assert!(v.is_finite());
        }
    }

    /// Four sentences, on paper: 0.95 right and 0.95 wrong (bin 0.9–1: confidence
    /// 0.95, accuracy 0.5, gap 0.45), 0.35 right (bin 0.3–0.4: gap 0.65), 0.25
    /// wrong (bin 0.2–0.3: gap 0.25). ECE = (2 × 0.45 + 0.65 + 0.25) / 4 = 0.45.
    #[test]
    fn calibration_on_paper() {
        let c = Calibration::compute(
            [(0.95, true), (0.95, false), (0.35, true), (0.25, false)],
            CALIBRATION_BINS,
        );
        assert_eq!(c.bins.len(), 10);
        assert_eq!(
            c.bins.iter().map(|b| b.count).collect::<Vec<_>>(),
            [0, 0, 1, 1, 0, 0, 0, 0, 0, 2]
        );
        let top = c.bins[9];
        assert!(close(top.confidence, 0.95) && close(top.accuracy, 0.5));
        assert!(close(top.lower, 0.9) && close(top.upper, 1.0));
        assert!(close(c.bins[3].accuracy, 1.0) && close(c.bins[2].accuracy, 0.0));
        assert!(close(c.ece, 0.45), "{}", c.ece);
        // Edges: 1 goes to the last bin, 0.5 to the bin above it.
        let edges = Calibration::compute([(1.0, true), (0.5, true)], 10);
        assert_eq!((edges.bins[9].count, edges.bins[5].count), (1, 1));
        // Empty: every bin empty, no NaN.
        let empty = Calibration::compute([], 10);
        assert_eq!(empty.ece, 0.0);
        assert!(empty.bins.iter().all(|b| b.count == 0 && b.accuracy == 0.0));
        // Perfectly calibrated: certain and right.
        assert_eq!(Calibration::compute([(1.0, true); 3], 10).ece, 0.0);
    }

    #[test]
    fn mean_and_sample_std() {
        let (m, s) = mean_std(&[1.0, 2.0, 3.0]);
        assert!(close(m, 2.0) && close(s, 1.0));
        assert_eq!(mean_std(&[0.5]), (0.5, 0.0));
        assert_eq!(mean_std(&[]), (0.0, 0.0));
    }

    #[test]
    fn json_keys_and_label_order() {
        let r = Report::compute([(Warning, &[][..], Warning)]);
        let v = serde_json::to_value(&r).unwrap();
        for key in [
            "n",
            "accuracy",
            "macro_f1",
            "per_label",
            "confusion",
            "claim_detection",
            "lenient_accuracy",
        ] {
            assert!(v.get(key).is_some(), "{key}");
        }
        assert_eq!(
            v["confusion"]["labels"],
            serde_json::json!(["demand", "refusal", "warning", "offer", "none"])
        );
        assert_eq!(v["per_label"]["warning"]["support"], 1);
        let text = serde_json::to_string(&r).unwrap();
        let order: Vec<usize> = [
            "\"demand\":{",
            "\"refusal\":{",
            "\"warning\":{",
            "\"offer\":{",
            "\"none\":{",
        ]
        .iter()
        .map(|k| text.find(k).unwrap())
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    }
}

/// How often a model decides on words that carry no act: among `sentences`, the
/// share whose top evidence term is made only of function words, auxiliaries,
/// weekdays or months ([`crate::analyze::is_empty_term`]), overall and among the
/// sentences it labels as acts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EmptyEvidence {
    /// Sentences with any evidence.
    pub sentences: usize,
    /// Of those, the ones whose top evidence is an empty term.
    pub empty: usize,
    /// Sentences labeled as an act.
    pub acts: usize,
    /// Of those, the ones whose top evidence is an empty term.
    pub acts_empty: usize,
}

impl EmptyEvidence {
    /// Explains every sentence with `model` and counts.
    pub fn measure<'a>(
        model: &crate::model::Model,
        sentences: impl IntoIterator<Item = &'a str>,
    ) -> EmptyEvidence {
        let mut classifier = model.classifier();
        let mut counts = EmptyEvidence {
            sentences: 0,
            empty: 0,
            acts: 0,
            acts_empty: 0,
        };
        for sentence in sentences {
            let (prediction, evidence) = classifier.explain(sentence, 1);
            let Some(top) = evidence.first() else {
                continue;
            };
            let empty = crate::analyze::is_empty_term(&top.stem);
            counts.sentences += 1;
            counts.empty += usize::from(empty);
            if prediction.label.is_act() {
                counts.acts += 1;
                counts.acts_empty += usize::from(empty);
            }
        }
        counts
    }

    /// Share of the sentences labeled as acts whose top evidence is empty.
    pub fn acts_share(&self) -> f64 {
        self.acts_empty as f64 / self.acts.max(1) as f64
    }

    /// Share of all sentences whose top evidence is empty.
    pub fn share(&self) -> f64 {
        self.empty as f64 / self.sentences.max(1) as f64
    }
}
