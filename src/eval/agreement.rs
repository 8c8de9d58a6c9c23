//! Inter-annotator agreement between two labelings of the same sentences.

use std::path::Path;

use crate::dataset::read_lines;
use crate::error::{Error, Result};
use crate::label::Label;

/// Agreement figures between two annotators.
#[derive(Debug, Clone, PartialEq)]
pub struct Agreement {
    /// Number of sentences labeled by both.
    pub n: usize,
    /// Share of sentences with the same primary label.
    pub observed: f64,
    /// Agreement expected by chance from each annotator's label distribution.
    pub expected: f64,
    /// Cohen's kappa: (observed − expected) / (1 − expected).
    pub kappa: f64,
    /// Per label, in column order: positive specific agreement
    /// 2·both / (first + second), or `None` when neither annotator used the label.
    pub per_label: [Option<f64>; Label::COUNT],
    /// Per label: how often (first annotator, second annotator) used it.
    pub counts: [(usize, usize); Label::COUNT],
}

/// Agreement between two equally long label sequences.
pub fn agreement(first: &[Label], second: &[Label]) -> Result<Agreement> {
    if first.len() != second.len() || first.is_empty() {
        return Err(Error::Config(format!(
            "agreement needs two non-empty labelings of equal length ({} and {})",
            first.len(),
            second.len()
        )));
    }
    let n = first.len();
    let mut both = [0usize; Label::COUNT];
    let mut counts = [(0usize, 0usize); Label::COUNT];
    let mut same = 0;
    for (&a, &b) in first.iter().zip(second) {
        counts[a.index()].0 += 1;
        counts[b.index()].1 += 1;
        if a == b {
            same += 1;
            both[a.index()] += 1;
        }
    }
    let observed = same as f64 / n as f64;
    let expected: f64 = counts
        .iter()
        .map(|&(a, b)| (a as f64 / n as f64) * (b as f64 / n as f64))
        .sum();
    // Two annotators who both used a single label agree perfectly but kappa is 0/0.
    let kappa = if expected < 1.0 {
        (observed - expected) / (1.0 - expected)
    } else {
        1.0
    };
    let mut per_label = [None; Label::COUNT];
    for k in 0..Label::COUNT {
        let (a, b) = counts[k];
        if a + b > 0 {
            per_label[k] = Some(2.0 * both[k] as f64 / (a + b) as f64);
        }
    }
    Ok(Agreement {
        n,
        observed,
        expected,
        kappa,
        per_label,
        counts,
    })
}

/// Reads an annotation pass: one `id<TAB>label<TAB>also` line per sentence.
pub fn read_pass(path: &Path) -> Result<Vec<(String, Label)>> {
    read_lines(path)?
        .into_iter()
        .map(|(line, text)| {
            let mut fields = text.split('\t');
            let id = fields.next().unwrap_or_default().to_string();
            let label = fields
                .next()
                .ok_or_else(|| Error::Record {
                    path: path.to_path_buf(),
                    line,
                    message: "expected id<TAB>label".into(),
                })?
                .parse::<Label>()
                .map_err(|e| Error::Record {
                    path: path.to_path_buf(),
                    line,
                    message: e.to_string(),
                })?;
            Ok((id, label))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Label::*;

    #[test]
    fn kappa_matches_a_hand_computed_case() {
        // First: 4 demand, 6 none; second: 5 demand, 5 none.
        let first = [
            Demand, Demand, Demand, Demand, NoClaim, NoClaim, NoClaim, NoClaim, NoClaim, NoClaim,
        ];
        let second = [
            Demand, Demand, Demand, NoClaim, Demand, Demand, NoClaim, NoClaim, NoClaim, NoClaim,
        ];
        let a = agreement(&first, &second).unwrap();
        // Positions 0-2 and 6-9 agree: 7/10.
        assert!((a.observed - 0.7).abs() < 1e-12);
        // expected = 0.4·0.5 + 0.6·0.5 = 0.5; kappa = (0.7 − 0.5) / 0.5 = 0.4.
        assert!((a.expected - 0.5).abs() < 1e-12);
        assert!((a.kappa - 0.4).abs() < 1e-12);
        // demand: both 3, 4 + 5 uses → 6/9.
        assert!((a.per_label[Demand.index()].unwrap() - 6.0 / 9.0).abs() < 1e-12);
        assert_eq!(a.per_label[Offer.index()], None);
        assert_eq!(a.counts[NoClaim.index()], (6, 5));
    }

    #[test]
    fn perfect_and_degenerate_agreement() {
        let a = agreement(&[Offer, Warning], &[Offer, Warning]).unwrap();
        assert_eq!(a.kappa, 1.0);
        let single = agreement(&[NoClaim, NoClaim], &[NoClaim, NoClaim]).unwrap();
        assert_eq!(single.kappa, 1.0);
        assert!(agreement(&[Offer], &[]).is_err());
    }
}
