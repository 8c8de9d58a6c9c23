//! How far a test figure could move with other articles of the same kind: a bootstrap
//! over articles.
//!
//! A test split of a few thousand sentences holds a few hundred acts, and the
//! sentences of one article are not independent draws (one story, one speaker, one
//! annotator's reading of both). So the unit resampled is the article, the group of
//! [`Record::group`]: each resample draws as many articles as the split has, with
//! replacement, and scores every system on the sentences of the articles drawn. The
//! interval is the central 95 % of those scores (percentile bootstrap).
//!
//! Systems scored on the same sentences are compared on the *same* resamples, so the
//! interval of a difference (model − cue rule) accounts for the articles that are hard
//! for both: it is much narrower than the two intervals side by side suggest.
//!
//! Every resample comes from one ChaCha8 stream seeded with [`SEED`] (a generator
//! whose output `rand_chacha` keeps stable across versions): the same sentences and
//! predictions give the same intervals on any machine.

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::metrics::ConfusionMatrix;
use crate::dataset::Record;
use crate::model::Prediction;

/// Resamples drawn. A bound is an order statistic of the resamples, so its own noise
/// shrinks with their number: with ten thousand, another seed moves a bound by a few
/// thousandths at most (`another_seed_moves_a_bound_by_a_few_thousandths`, on forty
/// articles, where macro-F1 moves in coarse steps), at a fraction of a second.
pub const RESAMPLES: usize = 10_000;
/// Fewest articles worth resampling. With five articles (the seed split, or the
/// constructed test, whose topic batches are its groups) there are only 126 distinct
/// resamples and the interval says little about other articles; such splits get none.
pub const MIN_GROUPS: usize = 20;
/// The seed of every bootstrap: fixed, so that reports are reproducible.
pub const SEED: u64 = 20_261_201;
/// Coverage of the intervals.
pub const LEVEL: f64 = 0.95;

/// A range of values: the central [`LEVEL`] of the resampled figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// The lower bound.
    pub low: f64,
    /// The upper bound.
    pub high: f64,
}

/// One system's intervals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SystemIntervals {
    /// The system's name.
    pub system: String,
    /// Macro-F1.
    pub macro_f1: Interval,
    /// Claim-detection F1.
    pub claim_f1: Interval,
}

/// The first system against another, on the same resamples.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// The first system's name.
    pub system: String,
    /// The other system's name.
    pub versus: String,
    /// First system's macro-F1 minus the other's.
    pub macro_f1: Interval,
    /// Share of resamples in which the first system's macro-F1 is strictly the
    /// higher (a tie counts for neither: two systems with the same predictions get 0).
    pub ahead: f64,
}

/// The intervals of an evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bootstrap {
    /// Resamples drawn.
    pub resamples: usize,
    /// Articles (groups) resampled.
    pub groups: usize,
    /// Coverage of every interval.
    pub level: f64,
    /// Each system's intervals, in the order given.
    pub systems: Vec<SystemIntervals>,
    /// The first system against each of the others.
    pub differences: Vec<Difference>,
}

/// The bootstrap of `systems` (name and predictions, one per record, the first the
/// system evaluated) on `records`, with `resamples` resamples from `seed`.
///
/// `None` when there is nothing to report: no system, no resample, or fewer than
/// [`MIN_GROUPS`] articles.
///
/// # Panics
///
/// When a system has not exactly one prediction per record: the callers pair them
/// by construction, and a mismatch is a bug, not bad input.
pub fn bootstrap(
    records: &[&Record],
    systems: &[(&str, &[Prediction])],
    resamples: usize,
    seed: u64,
) -> Option<Bootstrap> {
    let resampled = Resampled::draw(records, systems, resamples, seed)?;
    Some(Bootstrap {
        resamples,
        groups: resampled.groups,
        level: LEVEL,
        systems: (0..systems.len()).map(|s| resampled.intervals(s)).collect(),
        differences: (1..systems.len())
            .map(|s| resampled.difference(0, s))
            .collect(),
    })
}

/// Every system's figures on every resample: the intervals of any system, and the
/// difference of any two, come from the same draws. [`bootstrap`] reports the first
/// system against the others; a leaderboard reads each row against the next.
#[derive(Debug, Clone)]
pub struct Resampled {
    names: Vec<String>,
    groups: usize,
    /// `macro_f1[s][r]`: system `s` on resample `r`.
    macro_f1: Vec<Vec<f64>>,
    claim_f1: Vec<Vec<f64>>,
}

impl Resampled {
    /// Draws `resamples` resamples of the articles of `records` from `seed` and scores
    /// `systems` on each. The draws do not depend on the systems: the same records and
    /// seed give the same resamples whichever systems are scored, and a system's
    /// intervals are the same alone or among others.
    ///
    /// `None` when [`bootstrap`] gives `None`.
    ///
    /// # Panics
    ///
    /// As [`bootstrap`]: when a system has not exactly one prediction per record.
    pub fn draw(
        records: &[&Record],
        systems: &[(&str, &[Prediction])],
        resamples: usize,
        seed: u64,
    ) -> Option<Resampled> {
        let mut group_index: HashMap<&str, usize> = HashMap::new();
        let groups: Vec<usize> = records
            .iter()
            .map(|r| {
                let next = group_index.len();
                *group_index.entry(r.group()).or_insert(next)
            })
            .collect();
        let n_groups = group_index.len();
        if n_groups < MIN_GROUPS || systems.is_empty() || resamples == 0 {
            return None;
        }
        // Each article's confusion matrix per system: a resample adds up matrices.
        let per_group: Vec<Vec<ConfusionMatrix>> = systems
            .iter()
            .map(|(_, predictions)| {
                assert_eq!(
                    predictions.len(),
                    records.len(),
                    "one prediction per record"
                );
                let mut matrices = vec![ConfusionMatrix::new(); n_groups];
                for ((r, p), &g) in records.iter().zip(predictions.iter()).zip(&groups) {
                    matrices[g].add(r.label, p.label);
                }
                matrices
            })
            .collect();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut macro_f1 = vec![Vec::with_capacity(resamples); systems.len()];
        let mut claim_f1 = vec![Vec::with_capacity(resamples); systems.len()];
        let mut drawn = vec![0usize; n_groups];
        for _ in 0..resamples {
            drawn.iter_mut().for_each(|c| *c = 0);
            for _ in 0..n_groups {
                drawn[rng.random_range(0..n_groups)] += 1;
            }
            for (s, matrices) in per_group.iter().enumerate() {
                let mut sum = ConfusionMatrix::new();
                for (m, &times) in matrices.iter().zip(&drawn) {
                    sum.add_times(m, times);
                }
                macro_f1[s].push(sum.macro_f1());
                claim_f1[s].push(sum.claim_detection().f1);
            }
        }
        Some(Resampled {
            names: systems.iter().map(|(name, _)| name.to_string()).collect(),
            groups: n_groups,
            macro_f1,
            claim_f1,
        })
    }

    /// Articles resampled.
    pub fn groups(&self) -> usize {
        self.groups
    }

    /// System `s`'s intervals.
    pub fn intervals(&self, s: usize) -> SystemIntervals {
        SystemIntervals {
            system: self.names[s].clone(),
            macro_f1: central(&self.macro_f1[s]),
            claim_f1: central(&self.claim_f1[s]),
        }
    }

    /// System `a` against system `b`, on the same resamples.
    pub fn difference(&self, a: usize, b: usize) -> Difference {
        let diffs: Vec<f64> = self.macro_f1[a]
            .iter()
            .zip(&self.macro_f1[b])
            .map(|(x, y)| x - y)
            .collect();
        let ahead = diffs.iter().filter(|&&d| d > 0.0).count() as f64 / diffs.len() as f64;
        Difference {
            system: self.names[a].clone(),
            versus: self.names[b].clone(),
            macro_f1: central(&diffs),
            ahead,
        }
    }
}

/// The central [`LEVEL`] of `values`: the order statistics at the two tails' edges.
fn central(values: &[f64]) -> Interval {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let tail = (1.0 - LEVEL) / 2.0;
    let last = sorted.len() - 1;
    let at = |q: f64| sorted[((q * last as f64).round() as usize).min(last)];
    Interval {
        low: at(tail),
        high: at(1.0 - tail),
    }
}

/// `value` with its sign and three decimals, never "-0.000": a difference that rounds
/// to zero is no lead either way.
pub fn signed(value: f64) -> String {
    let rounded = (value * 1000.0).round() / 1000.0;
    format!("{:+.3}", if rounded == 0.0 { 0.0 } else { rounded })
}

impl Bootstrap {
    /// The readable lines: each system's macro-F1 interval, then the differences.
    pub fn to_table(&self) -> String {
        let mut s = format!(
            "{:.0} % intervals, {} resamples of the {} articles:\n",
            self.level * 100.0,
            self.resamples,
            self.groups
        );
        for i in &self.systems {
            s.push_str(&format!(
                "  {:<20} macro-F1 {:.3} to {:.3}   claim F1 {:.3} to {:.3}\n",
                i.system, i.macro_f1.low, i.macro_f1.high, i.claim_f1.low, i.claim_f1.high
            ));
        }
        for d in &self.differences {
            s.push_str(&format!(
                "  {:<20} macro-F1 {} to {}   {} ahead in {:.1} % of resamples\n",
                format!("{} − {}", d.system, d.versus),
                signed(d.macro_f1.low),
                signed(d.macro_f1.high),
                d.system,
                d.ahead * 100.0
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::label::Label::{self, *};

    /// One prediction per record: the label `pick` gives the record at that index.
    fn predict(records: &[Record], pick: impl Fn(usize, &Record) -> Label) -> Vec<Prediction> {
        records
            .iter()
            .enumerate()
            .map(|(i, r)| predicted(pick(i, r)))
            .collect()
    }

    fn predicted(label: Label) -> Prediction {
        let mut probabilities = [0.0; Label::COUNT];
        probabilities[label.index()] = 1.0;
        Prediction {
            label,
            probabilities,
        }
    }

    /// `n` articles of two sentences, one act (from `acts` in turn) and one `none`.
    fn articles(n: usize, acts: &[Label]) -> Vec<Record> {
        (0..n)
            .flat_map(|a| {
                [
                    Record::new(format!("art-{a}-000"), "x", acts[a % acts.len()]),
                    Record::new(format!("art-{a}-001"), "x", NoClaim),
                ]
            })
            .collect()
    }

    #[test]
    fn a_perfect_system_has_a_point_interval_and_leads_everywhere() {
        let records = articles(40, &[Demand, Refusal, Warning, Offer]);
        let refs: Vec<&Record> = records.iter().collect();
        let perfect = predict(&records, |_, r| r.label);
        let silent = predict(&records, |_, _| NoClaim);
        let b = bootstrap(
            &refs,
            &[("model", &perfect), ("majority", &silent)],
            200,
            SEED,
        )
        .expect("forty articles");
        assert_eq!(b.groups, 40);
        let m = b.systems[0].macro_f1;
        assert_eq!((m.low, m.high), (1.0, 1.0));
        let d = &b.differences[0];
        assert_eq!(
            (d.system.as_str(), d.versus.as_str()),
            ("model", "majority")
        );
        assert!(d.macro_f1.low > 0.5, "{d:?}");
        assert_eq!(d.ahead, 1.0);
    }

    #[test]
    fn a_system_right_half_the_time_gets_a_wide_interval_around_its_score() {
        let records = articles(40, &[Demand, Refusal]);
        let refs: Vec<&Record> = records.iter().collect();
        // Right on the acts of articles 0, 1, 4, 5, 8, 9… (half of them), `none` on
        // the others.
        let half = predict(
            &records,
            |i, r| if (i / 2) % 4 < 2 { r.label } else { NoClaim },
        );
        let b = bootstrap(&refs, &[("model", &half)], RESAMPLES, SEED).unwrap();
        let point = super::super::baseline::score(&refs, &half).macro_f1;
        let m = b.systems[0].macro_f1;
        assert!(m.low < point && point < m.high, "{m:?} around {point}");
        assert!(m.high - m.low > 0.05, "{m:?}");
        assert!(b.differences.is_empty());
    }

    #[test]
    fn another_seed_moves_a_bound_by_a_few_thousandths() {
        let records = articles(40, &[Demand, Offer, Warning]);
        let refs: Vec<&Record> = records.iter().collect();
        let noisy = predict(&records, |i, r| if i % 3 == 0 { Refusal } else { r.label });
        let systems = [("model", noisy.as_slice())];
        let a = bootstrap(&refs, &systems, RESAMPLES, SEED).unwrap();
        assert_eq!(a, bootstrap(&refs, &systems, RESAMPLES, SEED).unwrap());
        let x = a.systems[0].macro_f1;
        for seed in SEED + 1..SEED + 6 {
            let y = bootstrap(&refs, &systems, RESAMPLES, seed).unwrap().systems[0].macro_f1;
            assert!(
                (x.low - y.low).abs() < 0.005 && (x.high - y.high).abs() < 0.005,
                "seed {seed}: {x:?} against {y:?}"
            );
        }
    }

    #[test]
    fn a_system_against_itself_is_level_in_every_resample() {
        let records = articles(40, &[Demand, Offer]);
        let refs: Vec<&Record> = records.iter().collect();
        let p = predict(&records, |i, r| if i % 5 == 0 { Warning } else { r.label });
        let b = bootstrap(&refs, &[("a", &p), ("b", &p)], RESAMPLES, SEED).unwrap();
        assert_eq!(b.systems[0].macro_f1, b.systems[1].macro_f1);
        let d = &b.differences[0];
        assert_eq!((d.macro_f1.low, d.macro_f1.high, d.ahead), (0.0, 0.0, 0.0));
        assert_eq!(signed(-0.0004), "+0.000");
        assert_eq!(signed(-0.0126), "-0.013");
    }

    #[test]
    fn too_few_articles_no_system_or_no_resample_give_nothing() {
        let nineteen = articles(MIN_GROUPS - 1, &[Demand]);
        let refs: Vec<&Record> = nineteen.iter().collect();
        let p = predict(&nineteen, |_, r| r.label);
        assert!(bootstrap(&refs, &[("model", &p)], RESAMPLES, SEED).is_none());
        let twenty = articles(MIN_GROUPS, &[Demand]);
        let refs: Vec<&Record> = twenty.iter().collect();
        let p = predict(&twenty, |_, r| r.label);
        assert!(bootstrap(&refs, &[("model", &p)], RESAMPLES, SEED).is_some());
        assert!(bootstrap(&refs, &[("model", &p)], 0, SEED).is_none());
        assert!(bootstrap(&refs, &[], RESAMPLES, SEED).is_none());
    }

    #[test]
    fn one_draw_for_many_systems_gives_each_pair_what_a_draw_for_the_pair_gives() {
        let records = articles(30, &[Demand, Refusal, Warning]);
        let refs: Vec<&Record> = records.iter().collect();
        let a = predict(&records, |i, r| if i % 3 == 0 { NoClaim } else { r.label });
        let b = predict(&records, |i, r| if i % 4 == 0 { Offer } else { r.label });
        let c = predict(&records, |i, _| if i % 2 == 0 { Demand } else { NoClaim });
        let all = Resampled::draw(&refs, &[("a", &a), ("b", &b), ("c", &c)], 2_000, SEED).unwrap();
        assert_eq!(all.groups(), 30);
        let pair = bootstrap(&refs, &[("b", &b), ("c", &c)], 2_000, SEED).unwrap();
        assert_eq!(all.intervals(1), pair.systems[0]);
        assert_eq!(all.intervals(2), pair.systems[1]);
        assert_eq!(all.difference(1, 2), pair.differences[0]);
        // The other way round, the difference is mirrored and the lead complementary
        // (no resample ties these two).
        let back = all.difference(2, 1);
        assert_eq!(back.macro_f1.low, -pair.differences[0].macro_f1.high);
        assert!((back.ahead + pair.differences[0].ahead - 1.0).abs() < 1e-12);
    }
}
