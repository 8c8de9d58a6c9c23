//! The `evaluate` binary and the evaluation protocol, on the fixture data.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use demarche::dataset::{Dataset, Record};
use demarche::eval::{cross_validate, evaluate_model, transfer};
use demarche::features::FeatureConfig;
use demarche::train::{train, tune, Silent, TrainConfig, TuneGrid};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/train.jsonl");

fn evaluate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_evaluate"))
        .args(args)
        .output()
        .expect("run evaluate")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn fixture_records(data: &Dataset) -> Vec<&Record> {
    data.records().collect()
}

/// Settings, pinned whatever the defaults become, under which the 50 fixture
/// sentences are learnt without error: a small L2, every term kept (the sentences are
/// few), and function words unmuted (the labels hang partly on them).
fn exact_config() -> TrainConfig {
    TrainConfig {
        l2: 0.01,
        mute_empty_words: false,
        features: FeatureConfig {
            min_count: 1,
            ..FeatureConfig::default()
        },
        ..TrainConfig::default()
    }
}

fn fixture_model(dir: &Path) -> PathBuf {
    let data = Dataset::load(&[FIXTURE]).unwrap();
    let model = train(&exact_config(), &fixture_records(&data), &[]).unwrap();
    let path = dir.join("model.json");
    model.save(&path).unwrap();
    path
}

/// The fixture with ids rewritten so that each of 5 groups mixes all labels (the
/// fixture's own groups are one label each, which no fold can train without).
fn mixed_groups(dir: &Path) -> PathBuf {
    let text = fs::read_to_string(FIXTURE).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
        v["id"] = format!("grp{}-{:03}", i % 5, i).into();
        if i % 10 == 0 {
            v["source"] = "seeds/fake.txt".into();
        }
        out.push_str(&v.to_string());
        out.push('\n');
    }
    let path = dir.join("mixed.jsonl");
    fs::write(&path, out).unwrap();
    path
}

#[test]
fn a_model_scores_its_separable_training_data_perfectly() {
    let data = Dataset::load(&[FIXTURE]).unwrap();
    let records = fixture_records(&data);
    let model = train(&exact_config(), &records, &[]).unwrap();
    let evaluation = evaluate_model(&model, &records, 5);
    assert_eq!(evaluation.report.n, 50);
    assert_eq!(evaluation.report.accuracy, 1.0);
    assert_eq!(evaluation.report.macro_f1, 1.0);
    assert_eq!(evaluation.report.lenient_accuracy, 1.0);
    assert!(evaluation.errors.is_empty());
    // The baselines are on the same sentences: majority is one label in five.
    assert_eq!(evaluation.baselines["majority"].accuracy, 0.2);
    assert!(evaluation.baselines["cue_rule"].accuracy > 0.5);
}

#[test]
fn json_output_has_the_documented_schema() {
    let dir = tempfile::tempdir().unwrap();
    let model = fixture_model(dir.path());
    let out = evaluate(&[
        "--model",
        model.to_str().unwrap(),
        "--data",
        FIXTURE,
        "--format",
        "json",
        "--errors",
        "3",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "n",
        "accuracy",
        "macro_f1",
        "per_label",
        "confusion",
        "claim_detection",
        "lenient_accuracy",
        "act_macro_f1",
        "baselines",
        "comparison",
        "errors",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["n"], 50);
    assert_eq!(v["accuracy"], 1.0);
    for label in ["demand", "refusal", "warning", "offer", "none"] {
        for key in ["precision", "recall", "f1", "support"] {
            assert!(v["per_label"][label][key].is_number(), "{label}.{key}");
        }
        assert_eq!(v["per_label"][label]["support"], 10);
    }
    assert_eq!(
        v["confusion"]["labels"],
        serde_json::json!(["demand", "refusal", "warning", "offer", "none"])
    );
    let matrix = v["confusion"]["matrix"].as_array().unwrap();
    assert_eq!(matrix.len(), 5);
    assert_eq!(matrix[2], serde_json::json!([0, 0, 10, 0, 0]));
    for key in ["precision", "recall", "f1"] {
        assert!(v["claim_detection"][key].is_number());
    }
    let systems: Vec<&str> = v["comparison"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["system"].as_str().unwrap())
        .collect();
    assert_eq!(systems, ["model", "majority", "cue_rule"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("NaN"));
}

#[test]
fn table_output_compares_with_baselines() {
    let dir = tempfile::tempdir().unwrap();
    let model = fixture_model(dir.path());
    let out = evaluate(&["--model", model.to_str().unwrap(), "--data", FIXTURE]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "accuracy",
        "macro-F1",
        "claim detection",
        "lenient accuracy",
        "gold \\ pred",
        "majority",
        "cue_rule",
    ] {
        assert!(text.contains(needle), "{needle} not in {text}");
    }
}

#[test]
fn a_label_absent_from_the_data_gives_no_nan() {
    let dir = tempfile::tempdir().unwrap();
    let model = fixture_model(dir.path());
    let only_demands: String = fs::read_to_string(FIXTURE)
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"demand\""))
        .map(|l| format!("{l}\n"))
        .collect();
    let data = dir.path().join("demands.jsonl");
    fs::write(&data, only_demands).unwrap();
    let out = evaluate(&[
        "--model",
        model.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("NaN") && !text.contains("null"), "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["n"], 10);
    assert_eq!(v["macro_f1"], 1.0, "only demand is averaged");
    assert_eq!(v["per_label"]["offer"]["f1"], 0.0);
    let notes = v["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 4, "{notes:?}");
}

#[test]
fn a_missing_file_is_named_with_a_non_zero_exit() {
    let out = evaluate(&["--data", "no/such/file.jsonl", "--model", FIXTURE]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.starts_with("evaluate: "), "{err}");
    assert!(err.contains("no/such/file.jsonl"), "{err}");
    let out = evaluate(&["--data", FIXTURE, "--model", "no/such/model.json"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no/such/model.json"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_malformed_line_is_named_by_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let model = fixture_model(dir.path());
    let data = dir.path().join("bad.jsonl");
    fs::write(
        &data,
        "{\"id\":\"a-1\",\"text\":\"Paris exige.\",\"label\":\"demand\"}\n{oops\n",
    )
    .unwrap();
    let out = evaluate(&[
        "--model",
        model.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("bad.jsonl:2:"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn help_works_and_bad_flag_combinations_are_refused() {
    let out = evaluate(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--model",
        "--data",
        "--format",
        "--errors",
        "--cv",
        "--transfer",
    ] {
        assert!(text.contains(flag), "{flag}");
    }
    let out = evaluate(&["--data", FIXTURE, "--cv", "3", "--model", "m.json"]);
    assert!(!out.status.success());
    let out = evaluate(&["--data", FIXTURE, "--model", "m.json", "--l2", "0.1"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--cv and --transfer only"));
}

#[test]
fn cross_validation_keeps_groups_apart_and_reports_spread() {
    let dir = tempfile::tempdir().unwrap();
    let data_path = mixed_groups(dir.path());
    let data = Dataset::load(&[&data_path]).unwrap();
    let records = fixture_records(&data);
    let config = exact_config();
    let a = cross_validate(&config, &records, 5, 2, 3).unwrap();
    let b = cross_validate(&config, &records, 5, 1, 3).unwrap();
    assert_eq!(a, b, "results do not depend on the number of threads");
    let cv = a.cv.as_ref().unwrap();
    assert_eq!(cv.folds.len(), 5);
    assert!(cv
        .folds
        .iter()
        .all(|f| f.groups == 1 && f.test == 10 && f.train == 40));
    assert_eq!(a.report.n, 50);
    let spread = cv.summary["model"]["macro_f1"];
    assert!(spread.mean > 0.5 && spread.std.is_finite());
    assert!(a.comparison[0].macro_f1_std.is_some());
    // The binary prints the same figures.
    let out = evaluate(&[
        "--data",
        data_path.to_str().unwrap(),
        "--cv",
        "5",
        "--min-count",
        "1",
        "--l2",
        "0.01",
        "--mute-empty-words",
        "false",
        "--format",
        "json",
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["cv"]["k"], 5);
    assert_eq!(v["macro_f1"], a.report.macro_f1);
    assert!(v["cv"]["summary"]["cue_rule"]["accuracy"]["std"].is_number());
    // Too many folds, or a fold whose training side lacks a label, is an error.
    let out = evaluate(&["--data", FIXTURE, "--cv", "9", "--quiet"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("number of groups"),
        "{}",
        stderr(&out)
    );
    let out = evaluate(&["--data", FIXTURE, "--cv", "5", "--quiet"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("fold"), "{}", stderr(&out));
}

#[test]
fn transfer_trains_on_constructed_and_tests_on_seeds() {
    let dir = tempfile::tempdir().unwrap();
    let data_path = mixed_groups(dir.path());
    let data = Dataset::load(&[&data_path]).unwrap();
    let records = fixture_records(&data);
    let config = exact_config();
    let evaluation = transfer(&config, &records, 0).unwrap();
    assert_eq!(evaluation.report.n, 5);
    assert!(evaluation.setup.contains("45 constructed"));
    let only_constructed = Dataset::load(&[FIXTURE]).unwrap();
    let err = transfer(&config, &fixture_records(&only_constructed), 0).unwrap_err();
    assert!(err.to_string().contains("seeds/"), "{err}");
}

/// The search's fits stop at the grid's tolerance (looser than linfa's by default);
/// the model it chooses is fitted to the configured one, looser or tighter.
#[test]
fn the_search_fits_to_its_own_tolerance_and_the_chosen_model_to_the_configured_one() {
    let dir = tempfile::tempdir().unwrap();
    let data_path = mixed_groups(dir.path());
    let data = Dataset::load(&[&data_path]).unwrap();
    let records = fixture_records(&data);
    let grid = TuneGrid {
        l2: vec![0.01],
        ngrams: vec![2],
        weighting: vec![demarche::analyze::Weighting::Tfidf],
        min_count: vec![1],
        constructed_weight: vec![1.0],
        fold_verbs: vec![true],
        tune_none_bias: true,
        gradient_tolerance: 0.1,
    };
    // The record names the tolerance the fold fits stopped at: the grid's, or the
    // configured one when that is looser.
    for (configured, searched) in [(1e-4, 0.1), (0.5, 0.5)] {
        let base = TrainConfig {
            gradient_tolerance: configured,
            ..TrainConfig::default()
        };
        let tuning = tune(&base, &records, &grid, 5, 2, &Silent).unwrap();
        assert_eq!(tuning.config.gradient_tolerance, configured);
        assert_eq!(tuning.to_json()["grid"]["gradient_tolerance"], searched);
    }
    // The tolerance reaches the fold fits, from the grid or from the configuration when
    // looser: at 1e12 they stop before their first step and leave every weight at zero,
    // which the trainer refuses, naming the fold and the tolerance.
    for (configured, searched) in [(1e12, 0.1), (1e-4, 1e12)] {
        let base = TrainConfig {
            gradient_tolerance: configured,
            ..TrainConfig::default()
        };
        let stopped_at_once = TuneGrid {
            gradient_tolerance: searched,
            ..grid.clone()
        };
        let err = tune(&base, &records, &stopped_at_once, 5, 2, &Silent)
            .unwrap_err()
            .to_string();
        assert!(err.contains("fold"), "{err}");
        assert!(
            err.contains("the gradient tolerance 1e12 is above the gradient norm at the start"),
            "{err}"
        );
    }
    let base = TrainConfig::default();
    for senseless in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let bad = TuneGrid {
            gradient_tolerance: senseless,
            ..grid.clone()
        };
        let err = tune(&base, &records, &bad, 5, 2, &Silent).unwrap_err();
        assert!(
            err.to_string().contains("search's gradient tolerance"),
            "{err}"
        );
    }
}

#[test]
fn tuning_is_deterministic_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let data_path = mixed_groups(dir.path());
    let data = Dataset::load(&[&data_path]).unwrap();
    let records = fixture_records(&data);
    let grid = TuneGrid {
        l2: vec![0.01, 1.0],
        ngrams: vec![1, 2],
        weighting: vec![demarche::analyze::Weighting::Binary],
        min_count: vec![1, 2],
        constructed_weight: vec![1.0],
        fold_verbs: vec![false, true],
        ..TuneGrid::default()
    };
    let base = TrainConfig {
        features: FeatureConfig {
            min_count: 1,
            ..FeatureConfig::default()
        },
        ..TrainConfig::default()
    };
    let a = tune(&base, &records, &grid, 5, 2, &Silent).unwrap();
    let b = tune(&base, &records, &grid, 5, 1, &Silent).unwrap();
    assert_eq!(a, b);
    // 2 l2 values (and at most one step beyond the grid's edge), then one other
    // ngrams, one other min count.
    let stage = |name: &str| a.candidates.iter().filter(|c| c.stage == name).count();
    assert_eq!(
        (
            stage("l2"),
            stage("ngrams"),
            stage("min_count"),
            stage("fold_verbs")
        ),
        (2, 1, 1, 1),
        "{:?}",
        a.candidates
    );
    assert!(stage("l2-edge") <= 1);
    let best = a
        .candidates
        .iter()
        .map(|c| c.cv_macro_f1)
        .fold(f64::MIN, f64::max);
    assert!(a.cv_macro_f1 <= best && a.cv_macro_f1 > 0.0);
    let json = a.to_json();
    assert_eq!(json["chosen"]["l2"], a.config.l2);
    assert_eq!(
        json["candidates"].as_array().unwrap().len(),
        a.candidates.len()
    );
    assert_eq!(json["grid"]["l2"], serde_json::json!([0.01, 1.0]));
    // The none bias is the configured one shifted by one of the grid's, kept only if
    // it pays on the pooled out-of-fold predictions.
    assert!(demarche::train::tune::NONE_BIAS_GRID.contains(&(a.config.none_bias - base.none_bias)));
    assert_eq!(json["chosen"]["none_bias"], a.config.none_bias);
    // Tuning from the bias it chose finds it again: the chosen bias is absolute, not
    // the shift it was judged with (which dropped the configured bias before).
    let from_zero = TrainConfig {
        none_bias: 0.0,
        ..base.clone()
    };
    let z = tune(&from_zero, &records, &grid, 5, 2, &Silent).unwrap();
    assert_ne!(z.config.none_bias, 0.0, "the fixture should need a bias");
    let again = tune(
        &TrainConfig {
            none_bias: z.config.none_bias,
            ..from_zero
        },
        &records,
        &grid,
        5,
        2,
        &Silent,
    )
    .unwrap();
    assert_eq!(again.config.none_bias, z.config.none_bias);
}

#[test]
fn train_tune_records_the_search_in_the_model_file() {
    let dir = tempfile::tempdir().unwrap();
    let data_path = mixed_groups(dir.path());
    let model_path = dir.path().join("tuned.json");
    let out = Command::new(env!("CARGO_BIN_EXE_train"))
        .args([
            "--data",
            data_path.to_str().unwrap(),
            "--out",
            model_path.to_str().unwrap(),
            "--tune",
            "--cv",
            "5",
            "--min-count",
            "1",
            "--quiet",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&fs::read(&model_path).unwrap()).unwrap();
    let tuning = &v["training"]["tuning"];
    assert_eq!(tuning["folds"], 5);
    assert!(tuning["cv_macro_f1"].is_number());
    assert_eq!(tuning["chosen"]["l2"], v["training"]["l2"]);
    assert!(tuning["candidates"].as_array().unwrap().len() >= 5);
}

#[test]
fn any_systems_predictions_score_like_the_model_that_wrote_them() {
    let dir = tempfile::tempdir().unwrap();
    let model = fixture_model(dir.path());
    let model_arg = model.to_str().unwrap();
    // classify writes the predictions format itself.
    let classified = Command::new(env!("CARGO_BIN_EXE_classify"))
        .args(["--model", model_arg, "--input", "jsonl", FIXTURE])
        .output()
        .unwrap();
    assert!(classified.status.success(), "{}", stderr(&classified));
    let predictions = dir.path().join("predictions.jsonl");
    std::fs::write(&predictions, &classified.stdout).unwrap();
    let json = |out: Output| -> serde_json::Value {
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let by_model = json(evaluate(&[
        "--model", model_arg, "--data", FIXTURE, "--format", "json",
    ]));
    let by_file = json(evaluate(&[
        "--predictions",
        predictions.to_str().unwrap(),
        "--data",
        FIXTURE,
        "--format",
        "json",
    ]));
    for key in [
        "accuracy",
        "macro_f1",
        "per_label",
        "confusion",
        "claim_detection",
        "calibration",
    ] {
        assert_eq!(by_model[key], by_file[key], "{key}");
    }
    assert_eq!(
        by_model["baselines"]["cue_rule"],
        by_file["baselines"]["cue_rule"]
    );

    // Broken predictions are errors naming the file and line, or counting the missing.
    let lines: Vec<String> = String::from_utf8(classified.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let cases: [(&str, Vec<String>, &str); 5] = [
        ("missing", lines[1..].to_vec(), "have no prediction"),
        ("duplicate", [lines.clone(), vec![lines[0].clone()]].concat(), "duplicate id"),
        (
            "unknown label",
            [vec![lines[0].replacen("\"label\":\"", "\"label\":\"x", 1)], lines[1..].to_vec()].concat(),
            ":1:",
        ),
        (
            "extra id",
            [lines.clone(), vec![r#"{"id":"nobody","label":"none"}"#.to_string()]].concat(),
            "not in the data",
        ),
        (
            "bad sum",
            [
                lines.clone()[..lines.len() - 1].to_vec(),
                vec![serde_json::json!({
                    "id": serde_json::from_str::<serde_json::Value>(&lines[lines.len() - 1]).unwrap()["id"],
                    "label": "none",
                    "probabilities": {"demand": 0.5, "refusal": 0.5, "warning": 0.5, "offer": 0.0, "none": 0.0}
                })
                .to_string()],
            ]
            .concat(),
            "sum to",
        ),
    ];
    for (name, content, expected) in cases {
        let path = dir.path().join(format!("{}.jsonl", name.replace(' ', "-")));
        std::fs::write(&path, content.join("\n") + "\n").unwrap();
        let out = evaluate(&["--predictions", path.to_str().unwrap(), "--data", FIXTURE]);
        assert!(!out.status.success(), "{name}");
        let err = stderr(&out);
        assert!(err.contains(expected), "{name}: {err}");
        assert!(
            err.contains(path.file_name().unwrap().to_str().unwrap()),
            "{name}: {err}"
        );
    }
}
