//! The label set: the four speech acts and `none`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The speech act that a sentence performs or reports (see `ANNOTATION.md`).
///
/// The declaration order is the column order of every model and report:
/// [`Label::ALL`] lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    /// An actor asks, requires or urges another party to do or stop something.
    Demand,
    /// An actor rejects a demand or proposal, rules something out, or vetoes.
    Refusal,
    /// An actor warns or threatens of consequences, or raises an alarm about a risk.
    Warning,
    /// An actor proposes, offers, or declares itself ready to talk or help.
    Offer,
    /// Anything else: facts, background, assessments, page furniture.
    #[serde(rename = "none")]
    NoClaim,
}

impl Label {
    /// Every label, in column order.
    pub const ALL: [Label; 5] = [
        Label::Demand,
        Label::Refusal,
        Label::Warning,
        Label::Offer,
        Label::NoClaim,
    ];

    /// Number of labels.
    pub const COUNT: usize = 5;

    /// The four acts (every label but `none`).
    pub const ACTS: [Label; 4] = [Label::Demand, Label::Refusal, Label::Warning, Label::Offer];

    /// The label's name as written in data files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Demand => "demand",
            Label::Refusal => "refusal",
            Label::Warning => "warning",
            Label::Offer => "offer",
            Label::NoClaim => "none",
        }
    }

    /// Column index of the label in [`Label::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The label at column `index`, if any.
    pub fn from_index(index: usize) -> Option<Label> {
        Label::ALL.get(index).copied()
    }

    /// True for the four acts, false for `none`.
    pub fn is_act(self) -> bool {
        self != Label::NoClaim
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The error returned when a string names no label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLabel(pub String);

impl fmt::Display for UnknownLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown label {:?} (expected one of demand, refusal, warning, offer, none)",
            self.0
        )
    }
}

impl std::error::Error for UnknownLabel {}

impl FromStr for Label {
    type Err = UnknownLabel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Label::ALL
            .into_iter()
            .find(|label| label.as_str() == s)
            .ok_or_else(|| UnknownLabel(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_fix_column_order() {
        for (i, label) in Label::ALL.into_iter().enumerate() {
            assert_eq!(label.index(), i);
            assert_eq!(Label::from_index(i), Some(label));
            assert_eq!(label.as_str().parse::<Label>(), Ok(label));
            let json = serde_json::to_string(&label).unwrap();
            assert_eq!(json, format!("\"{}\"", label.as_str()));
        }
        assert_eq!(Label::NoClaim.as_str(), "none");
        assert!("Demand".parse::<Label>().is_err());
        assert!("threat".parse::<Label>().is_err());
        assert_eq!(Label::from_index(5), None);
    }
}
