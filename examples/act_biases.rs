//! Experiment: does a bias per act (on top of the none bias) raise real-news
//! macro-F1? Cross-fitted: the biases scored on fold f are chosen on the other
//! folds' out-of-fold predictions, so the estimate is not optimistic.
//!
//! `cargo run --release --example act_biases`

use demarche::dataset::{whole_articles, Dataset, Record};
use demarche::eval::baseline::score;
use demarche::model::Prediction;
use demarche::train::cv::{cv_folds, out_of_fold};
use demarche::train::tune::NONE_BIAS_GRID;
use demarche::train::TrainConfig;
use demarche::Label;

fn shift(p: &Prediction, bias: &[f64; Label::COUNT]) -> Prediction {
    let mut logits = p.probabilities.map(|q| q.max(f64::MIN_POSITIVE).ln());
    for (l, b) in logits.iter_mut().zip(bias) {
        *l += b;
    }
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = logits.iter().map(|l| (l - max).exp()).sum();
    let probabilities = logits.map(|l| (l - max).exp() / sum);
    let mut label = Label::ALL[0];
    for l in Label::ALL {
        if probabilities[l.index()] > probabilities[label.index()] {
            label = l;
        }
    }
    Prediction {
        label,
        probabilities,
    }
}

fn f1(records: &[&Record], predictions: &[Prediction], bias: &[f64; Label::COUNT]) -> f64 {
    let shifted: Vec<Prediction> = predictions.iter().map(|p| shift(p, bias)).collect();
    score(records, &shifted).macro_f1
}

/// The none bias alone, then (when `per_act`) each act's bias by coordinate ascent.
fn choose(records: &[&Record], predictions: &[Prediction], per_act: bool) -> [f64; Label::COUNT] {
    let none = Label::NoClaim.index();
    let mut bias = [0.0; Label::COUNT];
    let mut best = f64::NEG_INFINITY;
    for b in NONE_BIAS_GRID {
        let mut trial = bias;
        trial[none] = b;
        let v = f1(records, predictions, &trial);
        if v > best {
            best = v;
            bias = trial;
        }
    }
    if per_act {
        let grid: Vec<f64> = (-8..=8).map(|i| i as f64 * 0.125).collect();
        for _sweep in 0..2 {
            for l in Label::ALL {
                for &b in &grid {
                    let mut trial = bias;
                    trial[l.index()] = if l == Label::NoClaim {
                        bias[none] + b
                    } else {
                        b
                    };
                    let v = f1(records, predictions, &trial);
                    if v > best + 1e-12 {
                        best = v;
                        bias = trial;
                    }
                }
            }
        }
    }
    bias
}

fn main() -> anyhow::Result<()> {
    let data = Dataset::load(&["data/train"])?;
    let records: Vec<&Record> = data.records().collect();
    let config = TrainConfig {
        none_bias: 0.0,
        ..TrainConfig::default()
    };
    let k = 5;
    let folds = cv_folds(&records, k)?;
    let (scored, predictions) = out_of_fold(&config, &records, k, 2)?;
    let whole = whole_articles(records.iter().copied());
    for (name, per_act, on_whole) in [
        ("none bias on whole articles", false, true),
        ("none bias on all real", false, false),
        ("per-act biases on whole articles", true, true),
        ("per-act biases on all real", true, false),
    ] {
        let mut all_r = Vec::new();
        let mut all_p = Vec::new();
        let mut whole_r = Vec::new();
        let mut whole_p = Vec::new();
        for f in 0..k {
            let pick = |in_fold: bool, only_whole: bool| {
                scored
                    .iter()
                    .zip(&predictions)
                    .filter(|(&i, _)| (folds[i] == Some(f)) == in_fold)
                    .filter(|(&i, _)| !only_whole || whole.contains(records[i].group()))
                    .map(|(&i, p)| (records[i], *p))
                    .unzip::<_, _, Vec<&Record>, Vec<Prediction>>()
            };
            let (fit_r, fit_p) = pick(false, on_whole);
            let bias = choose(&fit_r, &fit_p, per_act);
            eprintln!("{name}, fold {f}: {bias:?}");
            let (test_r, test_p) = pick(true, false);
            for (r, p) in test_r.iter().zip(&test_p) {
                let s = shift(p, &bias);
                all_r.push(*r);
                all_p.push(s);
                if whole.contains(r.group()) {
                    whole_r.push(*r);
                    whole_p.push(s);
                }
            }
        }
        let zero = [0.0; Label::COUNT];
        println!(
            "{name}: all real {:.4}, whole articles {:.4}",
            f1(&all_r, &all_p, &zero),
            f1(&whole_r, &whole_p, &zero)
        );
    }
    Ok(())
}
