//! The real binaries: train, classify, their errors and their output.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::*;

fn bin(name: &str) -> Command {
    let path = match name {
        "train" => env!("CARGO_BIN_EXE_train"),
        "classify" => env!("CARGO_BIN_EXE_classify"),
        other => panic!("no binary {other}"),
    };
    let mut c = Command::new(path);
    c.current_dir(root());
    c
}

/// `classify` labeling lines with `threads` workers.
fn classify_labels(model: &Path, threads: &str) -> Command {
    let mut cmd = bin("classify");
    cmd.arg("--model").arg(model).args([
        "--input",
        "lines",
        "--format",
        "label",
        "--threads",
        threads,
    ]);
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Trains on the fixture into `dir` and returns the model path.
fn trained_model(dir: &Path) -> PathBuf {
    let model = dir.join("model.json");
    let o = run(bin("train")
        .arg("--data")
        .arg(fixture())
        .arg("--out")
        .arg(&model)
        .args(["--l2", "0.01", "--min-count", "1", "--quiet"]));
    assert!(o.status.success(), "{}", stderr(&o));
    model
}

/// Asserts a clean failure: non-zero exit, no panic, a message containing each
/// of `needles`.
fn assert_fails_with(o: &Output, needles: &[&str]) {
    let err = stderr(o);
    assert!(!o.status.success(), "should fail: {err}");
    assert!(!err.contains("panicked"), "panic: {err}");
    for n in needles {
        assert!(err.contains(n), "{err:?} should contain {n:?}");
    }
}

#[test]
fn every_binary_has_help() {
    for name in ["train", "classify"] {
        let o = run(bin(name).arg("--help"));
        assert!(o.status.success());
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("Usage"), "{text}");
    }
}

#[test]
fn train_prints_a_summary_and_writes_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("sub/model.json");
    let o = run(bin("train")
        .arg("--data")
        .arg(fixture())
        .arg("--out")
        .arg(&model));
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "sentences      50",
        "demand       10",
        "vocabulary",
        "training acc.",
        "model.json",
    ] {
        assert!(out.contains(needle), "{out}");
    }
    assert!(model.exists());
}

#[test]
fn classify_a_seed_article_as_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let model = trained_model(dir.path());
    let o = run(bin("classify")
        .arg("--model")
        .arg(&model)
        .arg("seeds/000_05d0d908b6be408e.txt"));
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 36, "one record per sentence of the article");
    assert_eq!(lines[0]["text"], "BFMTV");
    let labels = ["demand", "refusal", "warning", "offer", "none"];
    for record in &lines {
        let object = record.as_object().unwrap();
        let keys: Vec<&str> = object.keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 4, "{keys:?}");
        for key in ["text", "label", "probabilities", "evidence"] {
            assert!(object.contains_key(key));
        }
        assert!(labels.contains(&record["label"].as_str().unwrap()));
        let probabilities = record["probabilities"].as_object().unwrap();
        assert_eq!(probabilities.len(), 5);
        let sum: f64 = probabilities.values().map(|p| p.as_f64().unwrap()).sum();
        assert!((sum - 1.0).abs() < 1e-9);
        let best = probabilities[record["label"].as_str().unwrap()]
            .as_f64()
            .unwrap();
        assert!(probabilities.values().all(|p| p.as_f64().unwrap() <= best));
        for e in record["evidence"].as_array().unwrap() {
            assert!(
                e["stem"].is_string()
                    && e["word"].is_string()
                    && e["weight"].as_f64().unwrap() > 0.0
            );
        }
    }
}

#[test]
fn clear_sentences_get_their_labels_in_every_input_format() {
    let dir = tempfile::tempdir().unwrap();
    let model = trained_model(dir.path());
    let lines: String = CLEAR_SENTENCES
        .iter()
        .map(|(t, _)| format!("{t}\n"))
        .collect();
    let expected: String = CLEAR_SENTENCES
        .iter()
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let file = write(dir.path(), "clear.txt", &lines);
    for input in ["lines", "text"] {
        let o = run(bin("classify")
            .arg("--model")
            .arg(&model)
            .args(["--input", input, "--format", "label"])
            .arg(&file));
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(
            String::from_utf8(o.stdout).unwrap(),
            expected,
            "--input {input}"
        );
    }
    let jsonl: String = CLEAR_SENTENCES
        .iter()
        .enumerate()
        .map(|(i, (t, _))| format!("{}\n", serde_json::json!({"id": i, "text": t})))
        .collect();
    let file = write(dir.path(), "clear.jsonl", &jsonl);
    let o = run(bin("classify").arg("--model").arg(&model).arg(&file));
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    for (i, line) in out.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["id"], i);
        assert_eq!(v["label"], CLEAR_SENTENCES[i].1);
        assert!(line.starts_with("{\"id\":"), "id comes first: {line}");
    }
    let o = run(bin("classify")
        .arg("--model")
        .arg(&model)
        .args(["--format", "table"])
        .arg(&file));
    let table = String::from_utf8(o.stdout).unwrap();
    assert!(table.starts_with("LABEL"));
    assert!(
        table.lines().nth(1).unwrap().starts_with("demand"),
        "{table}"
    );
}

#[test]
fn standard_input_and_threads_keep_order() {
    let dir = tempfile::tempdir().unwrap();
    let model = trained_model(dir.path());
    // Enough sentences for several batches per thread.
    let mut input = String::new();
    for i in 0..12_000 {
        let (t, _) = CLEAR_SENTENCES[i % CLEAR_SENTENCES.len()];
        input.push_str(&format!("{t} ({i})\n"));
    }
    let mut outputs = Vec::new();
    for threads in ["1", "3"] {
        let mut child = classify_labels(&model, threads)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let data = input.clone();
        let feeder = std::thread::spawn(move || stdin.write_all(data.as_bytes()).unwrap());
        let o = child.wait_with_output().unwrap();
        feeder.join().unwrap();
        assert!(o.status.success());
        outputs.push(String::from_utf8(o.stdout).unwrap());
    }
    assert_eq!(outputs[0].lines().count(), 12_000);
    assert_eq!(outputs[0], outputs[1]);
    let first: Vec<&str> = outputs[0].lines().take(5).collect();
    let expected: Vec<&str> = CLEAR_SENTENCES.iter().map(|(_, l)| *l).collect();
    assert_eq!(first, expected);
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let model = trained_model(dir.path());
    let big: String = (0..200_000)
        .map(|i| format!("Paris exige une réponse {i}.\n"))
        .collect();
    let file = write(dir.path(), "big.txt", big);
    for threads in ["1", "2"] {
        let mut child = bin("classify")
            .arg("--model")
            .arg(&model)
            .args(["--input", "lines", "--threads", threads])
            .arg(&file)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 64];
        stdout.read_exact(&mut first).unwrap();
        drop(stdout);
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "threads {threads}: {}", stderr(&o));
        assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    }
}

#[test]
fn bad_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let model = trained_model(dir.path());
    let d = dir.path();
    let empty = write(d, "empty.txt", "");
    let latin1 = write(d, "latin1.txt", b"Le pr\xe9sident exige.\n");
    let malformed = write(d, "bad.jsonl", "{\"text\": \"ok\"}\n{\"text\": \n");
    let no_text = write(d, "notext.jsonl", "{\"text\": \"ok\"}\n{\"id\": 3}\n");
    let cases: Vec<(Vec<PathBuf>, Vec<&str>)> = vec![
        (vec![d.join("missing.txt")], vec!["missing.txt"]),
        (vec![d.to_path_buf()], vec!["is a directory"]),
        (vec![empty], vec!["empty.txt", "empty input"]),
        (vec![latin1], vec!["latin1.txt:1", "not valid UTF-8"]),
        (vec![malformed], vec!["bad.jsonl:2", "malformed JSON"]),
        (vec![no_text], vec!["notext.jsonl:2", "no \"text\" field"]),
    ];
    for (files, needles) in cases {
        let o = run(bin("classify").arg("--model").arg(&model).args(&files));
        assert_fails_with(&o, &needles);
    }
    let corrupt = write(
        d,
        "corrupt.json",
        "{\"format\": \"demarche-model\", \"format_",
    );
    let o = run(bin("classify")
        .arg("--model")
        .arg(&corrupt)
        .arg("seeds/000_05d0d908b6be408e.txt"));
    assert_fails_with(&o, &["corrupt.json", "corrupt or truncated"]);
    let o = run(bin("classify")
        .arg("--model")
        .arg(d.join("nope.json"))
        .arg("seeds/000_05d0d908b6be408e.txt"));
    assert_fails_with(&o, &["nope.json", "train a model first"]);
    let o = run(bin("classify")
        .arg("--model")
        .arg(&model)
        .args(["--format", "xml"]));
    assert_fails_with(&o, &["xml"]);
}

#[test]
fn invalid_utf8_deep_in_a_big_input_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let model = trained_model(dir.path());
    // Far past the first block read, after a line longer than a block, CRLF endings
    // and no line end at the very end.
    let mut big: Vec<u8> = (1..=120_000)
        .flat_map(|i| format!("Paris exige une réponse {i}.\r\n").into_bytes())
        .collect();
    big.extend_from_slice("Moscou rejette ".repeat(100_000).as_bytes());
    big.extend_from_slice(b"\nBerlin propose \xe9 une aide.\nfin");
    let file = write(dir.path(), "big.txt", big);
    for threads in ["1", "2"] {
        let o = run(classify_labels(&model, threads).arg(&file));
        assert_fails_with(&o, &["big.txt:120002:", "not valid UTF-8"]);
        // Only labels of lines before the bad one were written.
        let labels = String::from_utf8(o.stdout).unwrap();
        assert!(labels.lines().count() <= 120_001, "threads {threads}");
        assert!(labels.lines().all(|l| l.parse::<demarche::Label>().is_ok()));
    }
}

#[test]
fn failed_training_leaves_the_previous_model_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let model = trained_model(dir.path());
    let before = std::fs::read(&model).unwrap();
    let d = dir.path();
    let unknown = write(
        d,
        "unknown.jsonl",
        "{\"id\":\"a-1\",\"text\":\"t\",\"label\":\"threat\"}\n",
    );
    let no_text = write(d, "notext.jsonl", "{\"id\":\"a-1\",\"label\":\"none\"}\n");
    let four = write(
        d,
        "four.jsonl",
        "{\"id\":\"a-1\",\"text\":\"Paris exige.\",\"label\":\"demand\"}\n",
    );
    let cases: Vec<(PathBuf, Vec<&str>)> = vec![
        (unknown, vec!["unknown.jsonl:1", "unknown label \"threat\""]),
        (no_text, vec!["notext.jsonl:1", "no \"text\" field"]),
        (four, vec!["no training sentence is labeled refusal"]),
        (d.join("absent"), vec!["absent", "no such file"]),
    ];
    for (data, needles) in cases {
        let o = run(bin("train")
            .arg("--data")
            .arg(&data)
            .arg("--out")
            .arg(&model));
        assert_fails_with(&o, &needles);
        assert_eq!(std::fs::read(&model).unwrap(), before, "model overwritten");
    }
    let o = run(bin("train")
        .arg("--data")
        .arg(fixture())
        .arg("--out")
        .arg(&model)
        .args(["--weighting", "counts"]));
    assert_fails_with(&o, &["counts"]);
    let o = run(bin("train")
        .arg("--data")
        .arg(fixture())
        .arg("--out")
        .arg(&model)
        .arg("--l2=-1"));
    assert_fails_with(&o, &["l2 must be a finite number > 0"]);
}
