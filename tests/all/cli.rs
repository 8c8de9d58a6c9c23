//! The real binaries: train, classify, their errors and their output.

use crate::common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::*;

fn bin(name: &str) -> Command {
    let path = match name {
        "train" => env!("CARGO_BIN_EXE_train"),
        "classify" => env!("CARGO_BIN_EXE_classify"),
        "evaluate" => env!("CARGO_BIN_EXE_evaluate"),
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
    for name in ["train", "classify", "evaluate"] {
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

/// Behind a closed output, `classify` stops reading its input: `producer | classify |
/// head` must not read an endless producer to its end.
#[test]
fn a_closed_pipe_stops_the_reading_of_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let model = trained_model(dir.path());
    const LIMIT: usize = 256 << 20;
    for threads in ["1", "2"] {
        let mut child = bin("classify")
            .arg("--model")
            .arg(&model)
            .args(["--input", "lines", "--threads", threads])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let producer = std::thread::spawn(move || {
            let line = b"Paris exige une r\xc3\xa9ponse.\n".repeat(4096);
            let mut written = 0;
            while written < LIMIT {
                if stdin.write_all(&line).is_err() {
                    break; // classify is gone
                }
                written += line.len();
            }
            written
        });
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 64];
        stdout.read_exact(&mut first).unwrap();
        drop(stdout);
        let o = child.wait_with_output().unwrap();
        let written = producer.join().unwrap();
        assert!(o.status.success(), "threads {threads}: {}", stderr(&o));
        assert!(
            written < LIMIT / 4,
            "threads {threads}: {written} bytes read after the output closed"
        );
    }
}

#[test]
fn bad_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let model = trained_model(dir.path());
    let d = dir.path();
    let latin1 = write(d, "latin1.txt", b"Le pr\xe9sident exige.\n");
    let malformed = write(d, "bad.jsonl", "{\"text\": \"ok\"}\n{\"text\": \n");
    let no_text = write(d, "notext.jsonl", "{\"text\": \"ok\"}\n{\"id\": 3}\n");
    let cases: Vec<(Vec<PathBuf>, Vec<&str>)> = vec![
        (vec![d.join("missing.txt")], vec!["missing.txt"]),
        (vec![d.to_path_buf()], vec!["is a directory"]),
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
    assert_eq!(
        o.status.code(),
        Some(1),
        "usage errors exit 1, as the README says"
    );
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

/// Runs `cmd` to its end, or kills it after `secs` seconds and fails.
fn run_within(cmd: &mut Command, secs: u64) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed().as_secs() >= secs {
            child.kill().unwrap();
            panic!("still running after {secs} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn usage_errors_exit_1_and_negative_numbers_reach_the_checks() {
    for name in ["train", "classify", "evaluate"] {
        let o = run(bin(name).arg("--no-such-flag"));
        assert_fails_with(&o, &["--no-such-flag"]);
        assert_eq!(o.status.code(), Some(1), "{name}");
        let o = run(bin(name).arg("--help"));
        assert_eq!(o.status.code(), Some(0), "{name}");
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.json");
    let o = run(bin("train")
        .arg("--data")
        .arg(fixture())
        .arg("--out")
        .arg(&out)
        .args(["--l2", "-1"]));
    assert_fails_with(&o, &["l2 must be a finite number > 0, not -1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!out.exists());
    let o = run(bin("train")
        .arg("--data")
        .arg(fixture())
        .arg("--out")
        .arg(&out)
        .args(["--tune", "--tune-tolerance", "-0.5"]));
    assert_fails_with(
        &o,
        &["the search's gradient tolerance must be a finite number > 0, not -0.5"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(!out.exists());
    let o = run(bin("evaluate")
        .arg("--data")
        .arg(fixture())
        .args(["--cv", "2", "--l2", "-1", "--quiet"]));
    assert_fails_with(&o, &["l2 must be a finite number > 0, not -1"]);
}

#[test]
fn thread_counts_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let model = trained_model(dir.path());
    let o = run_within(classify_labels(&model, "100000").stdin(Stdio::null()), 20);
    assert_fails_with(&o, &["threads must be between 1 and"]);
    assert_eq!(o.status.code(), Some(1));
    let o = run(classify_labels(&model, "0").stdin(Stdio::null()));
    assert_fails_with(&o, &["threads must be between 1 and", "not 0"]);
    let o = run(bin("train")
        .arg("--data")
        .arg(fixture())
        .args(["--tune", "--threads", "100000", "--out"])
        .arg(dir.path().join("t.json")));
    assert_fails_with(&o, &["threads must be between 1 and"]);
}

#[test]
fn output_failures_are_reported_or_quiet_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let model = trained_model(dir.path());
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let o = run(bin("train")
        .arg("--data")
        .arg(fixture())
        .arg("--out")
        .arg(dir.path().join("m2.json"))
        .stdout(full()));
    assert_fails_with(&o, &["standard output", "No space left on device"]);
    let o = run(bin("classify")
        .arg("--model")
        .arg(&model)
        .arg("seeds/000_05d0d908b6be408e.txt")
        .stdout(full()));
    assert_fails_with(&o, &["<stdout>", "No space left on device"]);
    // A reader that has gone (`| true`): quiet, and the model is saved.
    let out = dir.path().join("m3.json");
    let mut child = bin("train")
        .arg("--data")
        .arg(fixture())
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    assert!(out.exists());
}

#[test]
fn data_folders_with_a_symlink_loop_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::copy(fixture(), data.join("train.jsonl")).unwrap();
    std::os::unix::fs::symlink(".", data.join("again")).unwrap();
    let o = run_within(
        bin("train")
            .arg("--data")
            .arg(&data)
            .arg("--out")
            .arg(dir.path().join("m.json")),
        60,
    );
    assert_fails_with(&o, &["again", "symbolic link loop"]);
}

#[test]
fn out_must_be_a_regular_file_or_absent() {
    let dir = tempfile::tempdir().unwrap();
    let model = trained_model(dir.path());
    let before = std::fs::read(&model).unwrap();
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&model, &link).unwrap();
    // A named pipe stands for any special file (a device, as the issue found):
    // a regression must not replace /dev/null on the machine running the tests.
    let fifo = dir.path().join("fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    for (out, needle) in [
        (link.as_path(), "symbolic link"),
        (fifo.as_path(), "not a regular file"),
    ] {
        let o = run(bin("train")
            .arg("--data")
            .arg(fixture())
            .arg("--out")
            .arg(out)
            .arg("--quiet"));
        assert_fails_with(&o, &[needle, "refusing to replace it"]);
    }
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read(&model).unwrap(), before);
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
}

use std::os::unix::fs::FileTypeExt;

#[test]
fn byte_order_marks_empty_inputs_and_exact_ids() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let model = trained_model(d);
    let bom = write(
        d,
        "bom.jsonl",
        "\u{feff}{\"id\": 123456789012345678901234567890, \"text\": \"Paris exige.\"}\n",
    );
    let o = run(bin("classify").arg("--model").arg(&model).arg(&bom));
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.starts_with("{\"id\":123456789012345678901234567890,\"text\":\"Paris exige.\""),
        "{out}"
    );
    let lines = write(d, "bom.txt", "\u{feff}Paris exige.\n");
    let o = run(bin("classify")
        .arg("--model")
        .arg(&model)
        .args(["--input", "lines", "--top", "0"])
        .arg(&lines));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.contains("\"text\":\"Paris exige.\""), "{out}");
    // Training data saved with a byte-order mark.
    let mut data = b"\xef\xbb\xbf".to_vec();
    data.extend(std::fs::read(fixture()).unwrap());
    let data = write(d, "bom-train.jsonl", data);
    let o = run(bin("train")
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(d.join("bom-model.json"))
        .args(["--min-count", "1", "--quiet"]));
    assert!(o.status.success(), "{}", stderr(&o));
    // Empty stdin: nothing to print, not an error. An empty file among several:
    // the others are labeled.
    let o = run(classify_labels(&model, "1").stdin(Stdio::null()));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let empty = write(d, "empty.txt", "");
    let one = write(d, "one.txt", "Paris exige le retrait.\n");
    for threads in ["1", "2"] {
        let o = run(classify_labels(&model, threads)
            .arg(&one)
            .arg(&empty)
            .arg(&one));
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(String::from_utf8(o.stdout).unwrap(), "demand\ndemand\n");
    }
}

#[test]
fn io_errors_name_the_os_error_once() {
    let dir = tempfile::tempdir().unwrap();
    let model = trained_model(dir.path());
    let o = run(bin("classify")
        .arg("--model")
        .arg(&model)
        .arg(dir.path().join("missing.txt")));
    assert_fails_with(&o, &["missing.txt", "(os error 2)"]);
    assert_eq!(stderr(&o).matches("os error").count(), 1, "{}", stderr(&o));
}

/// Writes a copy of the model at `from` with `change` applied to its JSON.
fn altered_model(from: &Path, to: &Path, change: impl FnOnce(&mut serde_json::Value)) {
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(from).unwrap()).unwrap();
    change(&mut json);
    std::fs::write(to, serde_json::to_vec(&json).unwrap()).unwrap();
}

#[test]
fn models_from_strangers_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let model = trained_model(dir.path());
    let bad = dir.path().join("bad.json");
    type Change = Box<dyn FnOnce(&mut serde_json::Value)>;
    let cases: Vec<(Change, &[&str])> = vec![
        (
            Box::new(|m| {
                for row in m["weights"].as_array_mut().unwrap() {
                    *row = serde_json::json!([1.7e308, -1.7e308, 0.0, 0.0, 0.0]);
                }
            }),
            &["weight row 0", "out of range"],
        ),
        (
            Box::new(|m| m["idf"][3] = 0.0.into()),
            &["idf value 0.0 of term 3", "out of range"],
        ),
        (
            Box::new(|m| m["idf"][0] = (-1.0).into()),
            &["idf value -1", "out of range"],
        ),
        (
            Box::new(|m| m["idf"][0] = 1e300.into()),
            &["idf value 1e300", "out of range"],
        ),
        (
            Box::new(|m| m["intercepts"][4] = 1e7.into()),
            &["intercepts", "out of range"],
        ),
        (
            Box::new(|m| m["format_version"] = "1".into()),
            &["\"format_version\" must be a number, not the string \"1\""],
        ),
        (
            Box::new(|m| {
                m["labels"] = serde_json::json!(["none", "refusal", "warning", "offer", "demand"])
            }),
            &["labels [none, refusal, warning, offer, demand] differ"],
        ),
    ];
    for (change, needles) in cases {
        altered_model(&model, &bad, change);
        let o = run(bin("classify")
            .arg("--model")
            .arg(&bad)
            .arg("seeds/000_05d0d908b6be408e.txt"));
        assert_fails_with(&o, needles);
        assert!(!stderr(&o).contains("NoClaim"), "{}", stderr(&o));
        assert!(o.stdout.is_empty());
    }
}

#[test]
fn evaluate_warns_on_the_models_own_training_data() {
    let dir = tempfile::tempdir().unwrap();
    let model = trained_model(dir.path());
    let o = run(bin("evaluate")
        .arg("--model")
        .arg(&model)
        .arg("--data")
        .arg(fixture())
        .args(["--format", "json", "--quiet"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("WARNING: the model was trained on"),
        "{}",
        stderr(&o)
    );
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        report["notes"][0].as_str().unwrap().contains("trained on"),
        "{report}"
    );
    // Fewer articles than a bootstrap needs: no intervals.
    assert!(report.get("bootstrap").is_none(), "{report}");
    // The same records in another file: the hash still tells.
    let copy = write(dir.path(), "copy.jsonl", std::fs::read(fixture()).unwrap());
    let o = run(bin("evaluate")
        .arg("--model")
        .arg(&model)
        .arg("--data")
        .arg(&copy)
        .arg("--quiet"));
    assert!(stderr(&o).contains("same SHA-256"), "{}", stderr(&o));
    // Part of a training folder: the file list tells.
    let held_out = write(
        dir.path(),
        "held-out.jsonl",
        "{\"id\":\"h-1\",\"text\":\"Berlin exige des excuses.\",\"label\":\"demand\"}\n",
    );
    let o = run(bin("evaluate")
        .arg("--model")
        .arg(&model)
        .arg("--data")
        .arg(&held_out)
        .args(["--format", "json", "--quiet"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("WARNING"), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        !report["notes"].to_string().contains("trained on"),
        "{report}"
    );
    // The first example of --help scores a held-out split.
    let o = run(bin("evaluate").arg("--help"));
    let help = String::from_utf8(o.stdout).unwrap();
    let first = help
        .lines()
        .skip_while(|l| !l.starts_with("Examples"))
        .nth(1)
        .unwrap();
    assert!(
        first.contains("--data data/test") && first.contains("--model"),
        "{first}"
    );
}

#[test]
fn on_error_skip_reports_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let model = trained_model(dir.path());
    let input = write(
        dir.path(),
        "mixed.jsonl",
        "{\"text\": \"Paris exige le retrait.\"}\n{\"text\": \n{\"id\": 3}\n{\"text\": \"Paris exige le retrait.\"}\n",
    );
    let o = run(bin("classify")
        .arg("--model")
        .arg(&model)
        .args(["--format", "label", "--on-error", "skip"])
        .arg(&input));
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(String::from_utf8(o.stdout).unwrap(), "demand\ndemand\n");
    for needle in [
        "mixed.jsonl:2: malformed JSON",
        "mixed.jsonl:3: record has no \"text\" field",
        "skipped 2 unreadable line(s)",
    ] {
        assert!(err.contains(needle), "{err}");
    }
    let o = run(bin("classify")
        .arg("--model")
        .arg(&model)
        .args(["--format", "label"])
        .arg(&input));
    assert_fails_with(&o, &["mixed.jsonl:2: malformed JSON"]);
}

#[test]
fn training_records_longer_than_a_sentence_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = std::fs::read_to_string(fixture()).unwrap();
    data.push_str(&format!(
        "{{\"id\":\"long-1\",\"text\":\"{}\",\"label\":\"none\"}}\n",
        "mot ".repeat(20_000)
    ));
    let data = write(dir.path(), "long.jsonl", data);
    let o = run(bin("train")
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(dir.path().join("m.json")));
    assert_fails_with(
        &o,
        &["long.jsonl:51", "more than the 65536 a sentence may have"],
    );
}

#[test]
fn rust_version_covers_the_locked_dependencies() {
    // The highest `rust-version` among the locked crates this machine builds
    // (`cargo metadata` for the host platform: a crate locked only for another
    // target, such as wasip2 for WebAssembly, is never compiled here).
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let declared = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .unwrap()
        .trim_matches('"')
        .to_string();
    // "1.85" and "1.85.0" are the same version.
    let version = |v: &str| -> Vec<u32> {
        let mut parts: Vec<u32> = v.split('.').map(|p| p.parse().unwrap()).collect();
        parts.resize(3, 0);
        parts
    };
    let rustc = Command::new("rustc").arg("-vV").output().unwrap();
    let rustc = String::from_utf8(rustc.stdout).unwrap();
    let host = rustc
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .unwrap()
        .to_string();
    let metadata = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .args(["--filter-platform", &host])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        metadata.status.success(),
        "{}",
        String::from_utf8_lossy(&metadata.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&metadata.stdout).unwrap();
    let mut checked = 0;
    for package in metadata["packages"].as_array().unwrap() {
        if package["source"].is_null() {
            continue; // the crate itself
        }
        checked += 1;
        if let Some(needed) = package["rust_version"].as_str() {
            assert!(
                version(needed) <= version(&declared),
                "{} {} needs Rust {needed}, Cargo.toml says {declared}",
                package["name"],
                package["version"]
            );
        }
    }
    assert!(checked > 20, "only {checked} locked crates listed");
}

/// `train` on the test fixture, writing its model to `out`.
fn train_fixture(out: &Path) -> Command {
    let mut cmd = bin("train");
    cmd.arg("--data").arg(fixture()).arg("--out").arg(out);
    cmd
}

/// Unlabeled news for `--idf-text` and `--self-train`: an article kept (`kept_text`)
/// and one whose URL a labeled held-out record names. Returns (articles, held-out).
fn unlabeled_news(d: &Path, kept_text: &str) -> (PathBuf, PathBuf) {
    let kept = serde_json::json!({"url": "https://kept", "text": kept_text});
    let articles = write(
        d,
        "articles.jsonl",
        format!("{kept}\n{{\"url\": \"https://held\", \"text\": \"Un article du test.\"}}\n"),
    );
    let held = write(
        d,
        "held.jsonl",
        "{\"id\":\"t-1\",\"text\":\"Un article du test.\",\"label\":\"none\",\"source\":\"https://held\"}\n",
    );
    (articles, held)
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn unlabeled_text_counts_in_document_frequencies_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let plain = trained_model(d);
    let (articles, held) =
        unlabeled_news(d, "Le ministre exige un cessez-le-feu. Il refuse de céder.");
    let model = d.join("idf.json");
    let o = run(train_fixture(&model)
        .args(["--l2", "0.01", "--min-count", "1", "--quiet", "--idf-text"])
        .arg(&articles)
        .arg("--idf-held-out")
        .arg(&held));
    assert!(o.status.success(), "{}", stderr(&o));
    let (plain, with) = (read_json(&plain), read_json(&model));
    // Two sentences of the kept article, none of the held-out one.
    assert_eq!(with["training"]["idf_text_sentences"], 2);
    assert!(with["training"]["idf_text_files"][0]
        .as_str()
        .unwrap()
        .ends_with("articles.jsonl"));
    assert!(plain["training"].get("idf_text_sentences").is_none());
    // Same vocabulary, other idf values.
    assert_eq!(with["vocabulary"], plain["vocabulary"]);
    assert_ne!(with["idf"], plain["idf"]);
    // A line that is not a record is an error naming it.
    let bad = write(d, "bad.jsonl", "pas du JSON\n");
    let o = run(train_fixture(&d.join("bad-model.json"))
        .arg("--idf-text")
        .arg(&bad));
    assert_fails_with(&o, &["bad.jsonl:1"]);
}

#[test]
fn self_training_reads_unlabeled_news_leaves_held_out_articles_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (articles, held) = unlabeled_news(
        d,
        "Le ministre exige un cessez-le-feu. Téhéran rejette l'ultimatum. La délégation est arrivée mardi.",
    );
    let model = d.join("self.json");
    let o = run(train_fixture(&model)
        .args(["--l2", "0.01", "--min-count", "1", "--self-train"])
        .arg(&articles)
        .arg("--self-train-held-out")
        .arg(&held)
        .args(["--self-train-min-probability", "0.2"]));
    assert!(o.status.success(), "{}", stderr(&o));
    // Probability 0.2 keeps every sentence: one of five labels always reaches it.
    assert!(
        stderr(&o).contains("self-training kept 3 of 3 unlabeled sentences"),
        "{}",
        stderr(&o)
    );
    let file = read_json(&model);
    let info = &file["training"]["self_training"];
    assert_eq!(info["unlabeled_sentences"], 3);
    assert_eq!(info["min_probability"], 0.2);
    assert_eq!(info["weight"], 0.5);
    assert!(info["files"][0]
        .as_str()
        .unwrap()
        .ends_with("articles.jsonl"));
    // Settings that keep nothing are refused before any fit, and no model is written.
    let refused = d.join("refused.json");
    let o = run(train_fixture(&refused)
        .arg("--self-train")
        .arg(&articles)
        .args(["--self-train-min-probability", "0"]));
    assert_fails_with(&o, &["probability must be a number in (0, 1], not 0"]);
    assert!(!refused.exists());
    // A line that is not a record is an error naming it.
    let bad = write(d, "bad.jsonl", "pas du JSON\n");
    let o = run(train_fixture(&refused).arg("--self-train").arg(&bad));
    assert_fails_with(&o, &["bad.jsonl:1"]);
    // The flags that tune self-training need it.
    let o = run(train_fixture(&refused).args(["--self-train-weight", "1"]));
    assert_fails_with(&o, &["--self-train"]);
    assert!(!refused.exists());
}

#[test]
fn settings_that_would_make_an_unusable_model_or_be_ignored_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(bin("train")
        .arg("--data")
        .arg(fixture())
        .args(["--none-bias", "2e6", "--quiet"])
        .arg("--out")
        .arg(dir.path().join("m.json")));
    assert_fails_with(&o, &["none_bias must be a number between -100 and 100"]);
    assert!(!dir.path().join("m.json").exists());
    let model = trained_model(dir.path());
    let predictions = dir.path().join("p.jsonl");
    let o = run(bin("classify")
        .arg("--model")
        .arg(&model)
        .args(["--input", "jsonl"])
        .arg(fixture()));
    std::fs::write(&predictions, &o.stdout).unwrap();
    let o = run(bin("evaluate")
        .arg("--predictions")
        .arg(&predictions)
        .arg("--data")
        .arg(fixture())
        .args(["--l2", "5"]));
    assert_fails_with(&o, &["apply to --cv and --transfer only"]);
}

#[test]
fn evaluate_gives_bootstrap_intervals_over_enough_articles() {
    let dir = tempfile::tempdir().unwrap();
    let model = trained_model(dir.path());
    // Twenty-four articles of two sentences each, an act and a fact.
    let lines: String = (0..24)
        .map(|a| {
            format!(
                "{{\"id\":\"held-{a}-000\",\"text\":\"Berlin exige des excuses.\",\"label\":\"demand\"}}\n\
                 {{\"id\":\"held-{a}-001\",\"text\":\"La délégation est arrivée mardi.\",\"label\":\"none\"}}\n"
            )
        })
        .collect();
    let data = write(dir.path(), "many.jsonl", lines);
    let o = run(bin("evaluate")
        .arg("--model")
        .arg(&model)
        .arg("--data")
        .arg(&data)
        .args(["--format", "json", "--quiet"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // Every system's bootstrap interval, in the comparison's order, and the model
    // against each baseline on the same resamples.
    let b = &report["bootstrap"];
    let systems: Vec<&str> = b["systems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["system"].as_str().unwrap())
        .collect();
    assert_eq!(systems, ["model", "majority", "cue_rule"], "{b}");
    assert_eq!(b["differences"][1]["versus"], "cue_rule", "{b}");
    let interval = &b["systems"][0]["macro_f1"];
    let (low, high) = (
        interval["low"].as_f64().unwrap(),
        interval["high"].as_f64().unwrap(),
    );
    assert!(0.0 <= low && low <= high && high <= 1.0, "{b}");
    assert_eq!(b["groups"], 24, "{b}");
}
