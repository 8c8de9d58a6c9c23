//! The HTML report: sections, well-formedness, escaping, atomic writing, and
//! `evaluate --report` in every mode.

use crate::common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use demarche::dataset::{Dataset, Record};
use demarche::eval::report::{self, ReportContext, MISTAKES};
use demarche::eval::{evaluate_model, Evaluation};
use demarche::Label;

const SCRIPT: &str = "<script>alert('x')</script>";

/// Sentences the fixture model gets wrong, one of them carrying markup.
fn tricky_records() -> Vec<Record> {
    let rows = [
        (
            "t<b>-001",
            format!("Le ministre exige {SCRIPT} le retrait & la paix."),
            Label::NoClaim,
        ),
        (
            "t-002",
            "Le Kremlin rejette la proposition.".to_string(),
            Label::Offer,
        ),
        (
            "t-003",
            "La délégation est arrivée mardi à Genève.".to_string(),
            Label::NoClaim,
        ),
    ];
    rows.into_iter()
        .map(|(id, text, label)| Record::new(id, text, label))
        .collect()
}

fn tricky_evaluation() -> Evaluation {
    let model = common::fixture_model();
    let records = tricky_records();
    let refs: Vec<&Record> = records.iter().collect();
    evaluate_model(&model, &refs, MISTAKES)
}

fn context() -> ReportContext {
    ReportContext {
        data: vec!["tricky.jsonl".into()],
        model: Some("model.json".into()),
        command_line: format!("evaluate --data '{SCRIPT}'"),
    }
}

/// Elements that have no end tag in HTML.
const VOID: [&str; 6] = ["meta", "br", "hr", "img", "input", "link"];

/// Checks that every element opened is closed, in order; returns the elements
/// seen. Enough for the markup the report writes (no `<` in text or attributes,
/// since they are escaped; no comments).
fn check_balanced(html: &str) -> Vec<String> {
    let mut stack: Vec<String> = Vec::new();
    let mut seen = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        let close = rest[open..].find('>').expect("a tag ends") + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if tag.starts_with('!') {
            continue;
        }
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        assert!(!name.is_empty(), "empty tag <{tag}>");
        if tag.starts_with('/') {
            let top = stack
                .pop()
                .unwrap_or_else(|| panic!("</{name}> closes nothing"));
            assert_eq!(top, name, "</{name}> closes <{top}>");
        } else if !tag.ends_with('/') && !VOID.contains(&name.as_str()) {
            stack.push(name.clone());
        }
        seen.push(name);
    }
    assert!(stack.is_empty(), "left open: {stack:?}");
    seen
}

#[test]
fn the_report_holds_every_section_and_its_tags_balance() {
    let evaluation = tricky_evaluation();
    let html = report::render(&evaluation, &context());
    let elements = check_balanced(&html);
    assert!(html.starts_with("<!DOCTYPE html>"));
    for id in [
        "headline",
        "summary",
        "per-label",
        "confusion",
        "calibration",
        "mistakes",
        "provenance",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "section {id}");
    }
    for element in ["svg", "rect", "text", "table", "mark", "style"] {
        assert!(elements.iter().any(|e| e == element), "no <{element}>");
    }
    // Self-contained: nothing fetched, no script, and a policy that forbids both.
    for word in ["<script", "src=", "href=", "http://", "https://", "@import"] {
        assert!(!html.contains(word), "{word}");
    }
    assert!(html.contains("default-src 'none'"));
    // The headline figures of the three systems, and the provenance.
    assert!(html.contains("macro-F1") && html.contains("claim-detection F1"));
    assert!(html.contains("majority") && html.contains("cue-rule"));
    let e = &evaluation;
    assert!(html.contains(&format!("{:.3}", e.report.macro_f1)));
    assert!(html.contains(&format!("{:.3}", e.calibration.ece)));
    // Two articles ("t<b>" and "t"): too few to resample, so no intervals.
    assert!(e.bootstrap.is_none());
    assert!(!html.contains("id=\"intervals\""));
    assert!(html.contains(&e.provenance.training_sha256));
    assert!(html.contains(&e.provenance.test_sha256));
    assert!(html.contains(env!("CARGO_PKG_VERSION")));
    // The confusion matrix: one titled cell per (gold, predicted) pair.
    assert_eq!(html.matches("<title>gold ").count(), 25);
}

#[test]
fn text_is_escaped_and_mistakes_show_their_evidence() {
    let evaluation = tricky_evaluation();
    let mistake = evaluation
        .errors
        .iter()
        .find(|m| m.id == "t<b>-001")
        .expect("the fixture model calls the sentence with « exige » a demand");
    assert_eq!(mistake.predicted, Label::Demand);
    assert!(mistake.evidence.iter().any(|e| e.word == "exige"));
    assert_eq!(mistake.probabilities.len(), Label::COUNT);
    let sum: f64 = mistake.probabilities.values().sum();
    assert!((sum - 1.0).abs() < 1e-9);

    let html = report::render(&evaluation, &context());
    assert!(!html.contains(SCRIPT) && !html.contains("<b>"));
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(html.contains("t&lt;b&gt;-001"));
    // The command line, escaped too.
    assert!(html.contains("evaluate --data &#39;&lt;script&gt;"));
    // The evidence word is marked in the sentence.
    let sentence = html
        .split("<p class=\"sentence\">")
        .find(|s| s.contains("&lt;script&gt;"))
        .unwrap();
    assert!(sentence.contains(">exige</mark>"), "{sentence}");
    check_balanced(&html);
}

#[test]
fn an_existing_report_is_replaced_only_on_success() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.html");
    fs::write(&path, "old").unwrap();
    let evaluation = tricky_evaluation();
    // Make the write fail midway: a directory where the temporary file goes.
    let tmp = dir
        .path()
        .join(format!(".report.html.{}.tmp", std::process::id()));
    fs::create_dir(&tmp).unwrap();
    let err = report::write(&path, &evaluation, &context()).unwrap_err();
    assert!(err.to_string().contains("report.html"), "{err}");
    assert_eq!(fs::read_to_string(&path).unwrap(), "old");
    fs::remove_dir(&tmp).unwrap();
    // Now it succeeds, replaces the file whole, and leaves no temporary file.
    report::write(&path, &evaluation, &context()).unwrap();
    let html = fs::read_to_string(&path).unwrap();
    assert_eq!(html, report::render(&evaluation, &context()));
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["report.html"]);
}

fn evaluate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_evaluate"))
        .args(args)
        .output()
        .expect("run evaluate")
}

fn run_ok(args: &[&str]) -> String {
    let out = evaluate(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The fixture with ids in 5 groups that mix labels, and one record in ten taken
/// as real news (for --cv and --transfer).
fn mixed_groups(dir: &Path) -> String {
    let text = fs::read_to_string(common::fixture()).unwrap();
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
    let path = common::write(dir, "mixed.jsonl", out);
    path.to_str().unwrap().to_string()
}

#[test]
fn evaluate_writes_a_report_in_every_mode_and_keeps_its_table_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.json");
    common::fixture_model().save(&model).unwrap();
    let model = model.to_str().unwrap();
    let data = mixed_groups(dir.path());
    let html_path = dir.path().join("out/model.html");
    let html = html_path.to_str().unwrap();

    // Model mode: the table is the same with and without --report.
    let plain = run_ok(&["--model", model, "--data", &data, "-q"]);
    let with_report = run_ok(&["--model", model, "--data", &data, "-q", "--report", html]);
    assert_eq!(plain, with_report);
    let page = fs::read_to_string(&html_path).unwrap();
    check_balanced(&page);
    assert!(page.contains("a saved model on labeled data"));
    assert!(page.contains(model), "the model path is in the provenance");
    assert!(
        page.contains("--report"),
        "the command line is in the provenance"
    );

    // JSON: --errors still rules the mistakes listed; calibration is there.
    let json = run_ok(&[
        "--model", model, "--data", &data, "-q", "--format", "json", "--report", html,
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["errors"].as_array().unwrap().len(), 0);
    assert_eq!(v["calibration"]["bins"].as_array().unwrap().len(), 10);
    assert!(v["calibration"]["ece"].is_number());
    assert!(v.get("provenance").is_none());

    for (mode, args, title) in [
        (
            "cv",
            vec!["--cv", "5", "--min-count", "1"],
            "cross-validation",
        ),
        (
            "transfer",
            vec!["--transfer", "--min-count", "1"],
            "transfer",
        ),
    ] {
        let path = dir.path().join(format!("{mode}.html"));
        let mut all = vec!["--data", data.as_str(), "-q", "--report"];
        all.push(path.to_str().unwrap());
        all.extend(args);
        run_ok(&all);
        let page = fs::read_to_string(&path).unwrap();
        check_balanced(&page);
        assert!(page.contains(title), "{mode}");
        for id in [
            "per-label",
            "confusion",
            "calibration",
            "mistakes",
            "provenance",
        ] {
            assert!(page.contains(&format!("id=\"{id}\"")), "{mode}: {id}");
        }
    }
    let cv = fs::read_to_string(dir.path().join("cv.html")).unwrap();
    assert!(cv.contains(" ± "), "CV figures carry their spread");
}

#[test]
fn a_failed_evaluation_leaves_an_existing_report_alone() {
    let dir = tempfile::tempdir().unwrap();
    let report = common::write(dir.path(), "report.html", "old");
    let out = evaluate(&[
        "--model",
        dir.path().join("no-model.json").to_str().unwrap(),
        "--data",
        common::fixture().to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert_eq!(fs::read_to_string(&report).unwrap(), "old");
}

#[test]
fn a_report_of_the_data_it_was_trained_on_says_there_is_no_mistake() {
    let data = Dataset::load(&[common::fixture()]).unwrap();
    let refs: Vec<&Record> = data.records().collect();
    let evaluation = evaluate_model(&common::fixture_model(), &refs, MISTAKES);
    assert!(evaluation.errors.is_empty());
    let html = report::render(&evaluation, &ReportContext::default());
    assert!(html.contains("made no mistake"));
    check_balanced(&html);
}

#[test]
fn the_report_gives_the_intervals_of_an_evaluation_over_enough_articles() {
    let model = common::fixture_model();
    let records: Vec<Record> = (0..24)
        .flat_map(|a| {
            [
                ("Le ministre exige le retrait des troupes.", Label::Demand),
                ("La délégation est arrivée mardi à Genève.", Label::NoClaim),
            ]
            .into_iter()
            .enumerate()
            .map(move |(i, (text, label))| Record::new(format!("art-{a}-{i:03}"), text, label))
        })
        .collect();
    let refs: Vec<&Record> = records.iter().collect();
    let e = evaluate_model(&model, &refs, MISTAKES);
    let html = report::render(&e, &context());
    check_balanced(&html);
    let b = e.bootstrap.as_ref().expect("24 articles can be resampled");
    assert_eq!(b.groups, 24);
    assert!(html.contains("id=\"intervals\""));
    let model = &b.systems[0];
    assert!(html.contains(&format!(
        "model: macro-F1 {:.3} to {:.3}",
        model.macro_f1.low, model.macro_f1.high
    )));
    assert!(html.contains("model − cue_rule: macro-F1 "));
}
