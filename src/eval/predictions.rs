//! Scoring any system by its predictions file (`evaluate --predictions`), on the
//! same splits and with the same baselines as the model.

use std::collections::HashMap;
use std::path::Path;

use crate::dataset::{label_counts, read_lines, Record};
use crate::error::{Error, Result};
use crate::label::{Label, UnknownLabel};
use crate::model::Prediction;

use super::baseline::{certain, majority_label, Majority};
use super::metrics::Calibration;
use super::{assemble, with_baselines, Evaluation};

/// Reads a predictions file (JSONL: `{"id": …, "label": …}`, optionally
/// `"probabilities": {label: p}`; other fields, such as `classify`'s `text` and
/// `evidence`, are ignored) and returns one prediction per record of `records`, in
/// their order, and whether every line gave probabilities. A prediction with no
/// probabilities gets all its mass on its label. Unknown labels, duplicate or extra
/// ids, probabilities that are not all five finite values summing to 1 (± 1e-6) are
/// errors naming the file and line; missing ids are an error that counts them and
/// names the first few.
pub fn read_predictions(path: &Path, records: &[&Record]) -> Result<(Vec<Prediction>, bool)> {
    let at = |line: usize, message: String| Error::Record {
        path: path.to_path_buf(),
        line,
        message,
    };
    let wanted: HashMap<&str, usize> = records
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let mut found: Vec<Option<(usize, Prediction)>> = vec![None; records.len()];
    let mut all_probabilities = true;
    for (line, text) in read_lines(path)? {
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| at(line, format!("malformed JSON: {e}")))?;
        let id = match value.get("id") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            Some(other) => {
                return Err(at(
                    line,
                    format!("\"id\" must be a string or a number, not {other}"),
                ))
            }
            None => {
                return Err(at(
                    line,
                    "no \"id\": predictions are matched to the data by id".into(),
                ))
            }
        };
        let label: Label = value
            .get("label")
            .and_then(|l| l.as_str())
            .ok_or_else(|| at(line, "no \"label\" string".into()))?
            .parse()
            .map_err(|e: UnknownLabel| at(line, e.to_string()))?;
        let probabilities = match value.get("probabilities") {
            None | Some(serde_json::Value::Null) => {
                all_probabilities = false;
                certain(label).probabilities
            }
            Some(serde_json::Value::Object(map)) => {
                let mut p = [f64::NAN; Label::COUNT];
                for (name, v) in map {
                    let l: Label = name.parse().map_err(|e: UnknownLabel| {
                        at(line, format!("in \"probabilities\": {e}"))
                    })?;
                    p[l.index()] = v
                        .as_f64()
                        .filter(|x| x.is_finite() && *x >= 0.0)
                        .ok_or_else(|| {
                            at(
                                line,
                                format!("probability of {l} must be a finite number ≥ 0, not {v}"),
                            )
                        })?;
                }
                if let Some(l) = Label::ALL.iter().find(|l| p[l.index()].is_nan()) {
                    return Err(at(line, format!("\"probabilities\" has no value for {l}")));
                }
                let sum: f64 = p.iter().sum();
                if (sum - 1.0).abs() > 1e-6 {
                    return Err(at(line, format!("probabilities sum to {sum}, not 1")));
                }
                p
            }
            Some(other) => {
                return Err(at(
                    line,
                    format!("\"probabilities\" must be an object, not {other}"),
                ))
            }
        };
        let Some(&i) = wanted.get(id.as_str()) else {
            return Err(at(line, format!("id {id:?} is not in the data")));
        };
        if let Some((first, _)) = found[i] {
            return Err(at(
                line,
                format!("duplicate id {id:?} (first at line {first})"),
            ));
        }
        found[i] = Some((
            line,
            Prediction {
                label,
                probabilities,
            },
        ));
    }
    let missing: Vec<&str> = found
        .iter()
        .zip(records)
        .filter(|(f, _)| f.is_none())
        .map(|(_, r)| r.id.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(Error::Input {
            path: path.to_path_buf(),
            message: format!(
                "{} of the {} sentences of the data have no prediction (first: {})",
                missing.len(),
                records.len(),
                missing
                    .iter()
                    .take(5)
                    .map(|id| format!("{id:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    Ok((
        found.into_iter().flatten().map(|(_, p)| p).collect(),
        all_probabilities,
    ))
}

/// Scores any system's `predictions` of `records` (see [`read_predictions`]) like a
/// model's: every figure, the two baselines (the majority label of the gold data,
/// and the cue rule), the most confident mistakes, and calibration when the system
/// gave probabilities.
pub fn evaluate_predictions(
    records: &[&Record],
    predictions: &[Prediction],
    has_probabilities: bool,
    system: &str,
    errors: usize,
) -> Evaluation {
    let majority = Majority(majority_label(&label_counts(records.iter().copied())));
    let predictions = with_baselines(records, predictions.to_vec(), majority);
    let mut evaluation = assemble(
        "predictions",
        format!(
            "predictions of {system} (majority baseline: {}, the gold data's most frequent label)",
            majority.0
        ),
        records,
        &predictions,
        errors,
    );
    if !has_probabilities {
        // Labels alone carry no confidence to calibrate.
        evaluation.calibration = Calibration::default();
    }
    evaluation
}
